/*
 * tests/embed/last_error.c — dbmig_last_error: the last failure, structured
 * (code, kind, message, and for a migration's statement its revision, file,
 * line, statement number, the database's code, detail and hint), through
 * the shared library.
 *
 *   last_error
 *
 * Migrates a folder whose second migration fails at a known line, checks the
 * structured error against the file and the FAILED event, then that a later
 * failure elsewhere (an unknown target) carries no stale location and that a
 * call that succeeds leaves no error; then the kinds a real failure gives
 * through the public API (a missing driver, a bad file, no handle; LOCK and
 * INTERRUPTED are tests/unit/test_engine.c's, test_error_kinds, with a
 * PostgreSQL-like detail and hint). The dbmig_error_info is written at the
 * very end of a readable page (a PROT_NONE page follows): writing past the
 * caller's version crashes here, and a version-1 caller (the struct as
 * version 1 declared it) gets its fields and nothing past them.
 */
#define _DEFAULT_SOURCE /* mkdtemp, MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dbmig/dbmig.h>

#include "embed_test.h"


static const char *str(const char *s) { return s ? s : "(null)"; }

/* dbmig_error_info as DBMIG_ERROR_INFO_VERSION 1 declared it: what an
 * application built against that header passes. */
typedef struct error_info_v1 {
    unsigned version;
    int code;
    const char *message;
    const char *revision;
    const char *file;
    int line;
    size_t stmt;
    const char *db_code;
} error_info_v1;

/* The kind of h's last failure (and its code into *code). */
static int kind_of(const dbmig *h, int *code, const char **detail, const char **hint)
{
    dbmig_error_info e = DBMIG_ERROR_INFO_INIT;
    if (dbmig_last_error(h, &e) != DBMIG_OK)
        return -1;
    *code = e.code;
    *detail = e.detail;
    *hint = e.hint;
    return e.kind;
}

/* What the FAILED event said, to compare with dbmig_last_error. */
typedef struct seen {
    int failed;
    char revision[64], file[512], code[64];
    int line;
    size_t stmt;
} seen;

static void on_event(void *payload, const dbmig_event *ev)
{
    seen *s = payload;
    if (ev->kind != DBMIG_EV_FAILED)
        return;
    s->failed++;
    snprintf(s->revision, sizeof s->revision, "%s", str(ev->revision));
    snprintf(s->file, sizeof s->file, "%s", str(ev->file));
    snprintf(s->code, sizeof s->code, "%s", str(ev->code));
    s->line = ev->line;
    s->stmt = ev->stmt;
}

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

int main(void)
{
    char dir[] = "/tmp/dbmig-last-error.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char mig[600], url[600];
    snprintf(mig, sizeof mig, "%s/migrations", dir);
    snprintf(url, sizeof url, "sqlite:%s/app.db", dir);
    if (mkdir(mig, 0700) != 0 ||
        write_file(mig, "001_first.sql",
                   "-- dbmig:message first\n\n-- dbmig:up\nCREATE TABLE a (id INTEGER);\n\n"
                   "-- dbmig:down\nDROP TABLE a;\n") != 0 ||
        /* line 6: the failing statement, the second of the up section */
        write_file(mig, "002_second.sql",
                   "-- dbmig:message second\n\n-- dbmig:up\nCREATE TABLE b (id INTEGER);\n\n"
                   "INSERT INTO no_such_table VALUES (1);\n\n-- dbmig:down\nDROP TABLE b;\n") != 0) {
        perror("writing the migrations");
        return 1;
    }

    guarded g;
    dbmig_error_info *e = guarded_alloc(&g, sizeof(dbmig_error_info));
    if (!e) {
        perror("mmap");
        return 1;
    }
    const dbmig_error_info init = DBMIG_ERROR_INFO_INIT;

    seen s;
    memset(&s, 0, sizeof s);
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = url;
    o.dir = mig;
    o.on_event = on_event;
    o.event_payload = &s;
    dbmig *h = NULL;
    int rc = dbmig_open(&h, &o);
    CHECK(rc == DBMIG_OK, "dbmig_open: %d %s", rc, h ? dbmig_errmsg(h) : "");

    /* 1. A statement fails: code, message and where. */
    rc = dbmig_upgrade(h, "head", 0);
    CHECK(rc == DBMIG_ERROR, "upgrade returned %d, expected DBMIG_ERROR", rc);
    *e = init;
    CHECK(dbmig_last_error(h, e) == DBMIG_OK, "dbmig_last_error refused a version-1 struct");
    CHECK(e->version == DBMIG_ERROR_INFO_VERSION, "version changed to %u", e->version);
    CHECK(e->code == DBMIG_ERROR, "code %d", e->code);
    CHECK(e->message && strcmp(e->message, dbmig_errmsg(h)) == 0, "message \"%s\" is not dbmig_errmsg's",
          str(e->message));
    CHECK(e->message && strstr(e->message, "no_such_table"), "message \"%s\"", str(e->message));
    CHECK(e->revision && strcmp(e->revision, s.revision) == 0 && strcmp(e->revision, "002") == 0,
          "revision %s (event: %s)", str(e->revision), s.revision);
    CHECK(e->file && strcmp(e->file, s.file) == 0 && strstr(e->file, "002_second.sql"),
          "file %s (event: %s)", str(e->file), s.file);
    CHECK(e->line == 6 && e->line == s.line, "line %d (event: %d), expected 6", e->line, s.line);
    CHECK(e->stmt == 2 && e->stmt == s.stmt, "stmt %zu (event: %zu), expected 2", e->stmt, s.stmt);
    CHECK(e->db_code && strcmp(e->db_code, s.code) == 0, "db_code %s (event: %s)", str(e->db_code),
          s.code);
    CHECK(s.failed == 1, "%d FAILED events", s.failed);
    /* Version 2: the database refused it. SQLite gives a detail (its result
     * code, also in the message) and never a hint (PostgreSQL's are checked
     * in tests/postgres and, simulated, in tests/unit/test_engine.c). */
    CHECK(e->kind == DBMIG_KIND_DATABASE, "kind %d, expected DATABASE", e->kind);
    CHECK(e->detail && strstr(e->detail, "SQLITE_ERROR") && e->message &&
              strstr(e->message, e->detail),
          "detail %s", str(e->detail));
    CHECK(!e->hint, "hint %s from SQLite", str(e->hint));

    /* 1b. The same, asked by an application built with version 1: its
     * fields, and not one byte past them (here: a PROT_NONE page; in a
     * longer buffer: the bytes after it untouched). */
    {
        guarded g1;
        error_info_v1 *v1 = guarded_alloc(&g1, sizeof(error_info_v1));
        CHECK(v1 != NULL, "mmap");
        if (v1) {
            memset(v1, 0, sizeof *v1);
            v1->version = 1;
            CHECK(dbmig_last_error(h, (dbmig_error_info *)v1) == DBMIG_OK, "version 1 refused");
            CHECK(v1->version == 1 && v1->code == e->code && v1->message == e->message &&
                      v1->revision == e->revision && v1->file == e->file && v1->line == e->line &&
                      v1->stmt == e->stmt && v1->db_code == e->db_code,
                  "version 1 got other fields than version 2");
            guarded_free(&g1);
        }
        union {
            dbmig_error_info v2;
            unsigned char bytes[sizeof(dbmig_error_info) + 64];
        } buf;
        memset(&buf, 0xA5, sizeof buf);
        ((error_info_v1 *)&buf)->version = 1;
        CHECK(dbmig_last_error(h, (dbmig_error_info *)&buf) == DBMIG_OK, "version 1 refused");
        size_t bad = 0;
        for (size_t i = sizeof(error_info_v1); i < sizeof buf.bytes; i++)
            bad += buf.bytes[i] != 0xA5;
        CHECK(bad == 0, "%zu bytes past a version-1 struct written", bad);
        CHECK(((error_info_v1 *)&buf)->line == 6, "version 1: line %d",
              ((error_info_v1 *)&buf)->line);
    }

    /* 2. A later failure that is no migration's: no stale location. */
    rc = dbmig_upgrade(h, "no_such_target", 0);
    CHECK(rc == DBMIG_EUSAGE, "unknown target: %d", rc);
    *e = init;
    CHECK(dbmig_last_error(h, e) == DBMIG_OK, "dbmig_last_error");
    CHECK(e->code == DBMIG_EUSAGE, "code %d", e->code);
    CHECK(e->message && strstr(e->message, "no_such_target"), "message \"%s\"", str(e->message));
    CHECK(!e->revision && !e->file && e->line == 0 && e->stmt == 0 && !e->db_code,
          "a stale location: %s %s:%d stmt %zu code %s", str(e->revision), str(e->file), e->line,
          e->stmt, str(e->db_code));
    CHECK(e->kind == DBMIG_KIND_USAGE && !e->detail && !e->hint,
          "unknown target: kind %d (expected USAGE), detail %s, hint %s", e->kind, str(e->detail),
          str(e->hint));

    /* 3. A call that succeeds leaves no error. */
    size_t pending = 0;
    rc = dbmig_pending(h, &pending);
    CHECK(rc == DBMIG_OK && pending == 1, "pending: rc %d, %zu", rc, pending);
    *e = init;
    CHECK(dbmig_last_error(h, e) == DBMIG_OK, "dbmig_last_error");
    CHECK(e->code == DBMIG_OK && e->message && e->message[0] == '\0' && !e->revision,
          "after a success: code %d, message \"%s\", revision %s", e->code, str(e->message),
          str(e->revision));
    CHECK(e->kind == DBMIG_KIND_NONE && !e->detail && !e->hint, "after a success: kind %d",
          e->kind);

    /* 4. Versions the library does not know are refused, nothing written. */
    unsigned bad[] = {0, DBMIG_ERROR_INFO_VERSION + 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        *e = init;
        e->version = bad[i];
        e->code = 12345;
        CHECK(dbmig_last_error(h, e) == DBMIG_EUSAGE, "version %u accepted", bad[i]);
        CHECK(e->code == 12345, "version %u: the struct was written", bad[i]);
    }
    CHECK(dbmig_last_error(h, NULL) == DBMIG_EUSAGE, "NULL out accepted");
    dbmig_close(h);

    /* 4b. DRIVER: no plugin for the URL's scheme (a usage code, exit 2). */
    int code = 0;
    const char *detail, *hint;
    o.url = "nosuchdriver://x";
    o.on_event = NULL;
    rc = dbmig_open(&h, &o);
    CHECK(rc == DBMIG_OK, "dbmig_open: %d", rc);
    rc = dbmig_pending(h, &pending);
    int kind = kind_of(h, &code, &detail, &hint);
    CHECK(rc == DBMIG_EUSAGE && code == rc && kind == DBMIG_KIND_DRIVER && !detail && !hint,
          "a missing driver: rc %d, kind %d (expected DRIVER): %s", rc, kind, dbmig_errmsg(h));
    dbmig_close(h);

    /* 4c. INVALID: a migration file that does not parse (the message names
     * file:line; the fields do not: the parser does not record them). */
    char bad_dir[600];
    snprintf(bad_dir, sizeof bad_dir, "%s/bad", dir);
    if (mkdir(bad_dir, 0700) != 0 ||
        write_file(bad_dir, "001_bad.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:bogus\n") != 0) {
        perror("writing the bad folder");
        return 1;
    }
    o.url = url;
    o.dir = bad_dir;
    rc = dbmig_open(&h, &o);
    CHECK(rc == DBMIG_OK, "dbmig_open: %d", rc);
    rc = dbmig_pending(h, &pending);
    kind = kind_of(h, &code, &detail, &hint);
    CHECK(rc == DBMIG_EINVALID && kind == DBMIG_KIND_INVALID && strstr(dbmig_errmsg(h), "001_bad.sql:3:"),
          "a bad file: rc %d, kind %d (expected INVALID): %s", rc, kind, dbmig_errmsg(h));
    dbmig_close(h);

    /* 5. No handle (dbmig_open could not allocate one). */
    *e = init;
    CHECK(dbmig_last_error(NULL, e) == DBMIG_OK && e->code == DBMIG_ERROR && e->message &&
              strcmp(e->message, "out of memory") == 0,
          "NULL handle: code %d message %s", e->code, str(e->message));
    CHECK(e->kind == DBMIG_KIND_SYSTEM, "NULL handle: kind %d, expected SYSTEM", e->kind);

    guarded_free(&g);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    if (failures)
        return 1;
    printf("ok: dbmig_last_error gave 002_second.sql:6, statement 2, its kind, and no stale "
           "location after\n");
    return 0;
}
