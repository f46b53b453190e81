/*
 * tests/embed/options_v1.c — an application built against the FIRST layout
 * of dbmig_options keeps working with this libdbmig (dbmig.h, the
 * compatibility rule above DBMIG_OPTIONS_VERSION).
 *
 *   options_v1 MIGRATIONS_DIR
 *
 * The program carries its own copy of the version-1 struct, as the 0.1.0
 * header declared it, and never uses today's dbmig_options. The copy sits at
 * the very end of a readable page, followed by an inaccessible page: a
 * library that reads one byte past the caller's struct (for example by
 * copying sizeof(dbmig_options) once fields have been appended) crashes here
 * in any build, without ASan or valgrind. Through that struct it migrates a
 * fresh SQLite database with a non-default version table and an event
 * callback (fields at the end of the old layout), then checks that the
 * library refuses version 0 and a version newer than its own.
 *
 * Links the shared libdbmig only, like an application.
 */
#define _DEFAULT_SOURCE /* mkdtemp, popen, MAP_ANONYMOUS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dbmig/dbmig.h>

#include "embed_test.h"

/* dbmig_options as version 1 of <dbmig/dbmig.h> declared it. Never edit:
 * this is what applications built against dbmig 0.1.0 pass. */
typedef struct options_v1 {
    unsigned version;
    const char *url;
    const char *driver;
    const char *dir;
    const char *table;
    const char *plugin_path;
    double lock_timeout;
    int lock; /* dbmig_lock_strategy */
    int lease_seconds;
    int commit_interval_ms;
    int single_transaction;
    int dry_run;
    dbmig_write_fn sql_out;
    void *sql_payload;
    dbmig_event_fn on_event;
    void *event_payload;
    int verbose;
} options_v1;


typedef struct counts {
    int done, failed;
} counts;

static void on_event(void *payload, const dbmig_event *ev)
{
    counts *c = payload;
    if (ev->kind == DBMIG_EV_DONE)
        c->done++;
    else if (ev->kind == DBMIG_EV_FAILED)
        c->failed++;
}

/* A version-1 struct placed so that its last byte is the last readable byte
 * of the mapping (the next page is PROT_NONE), set as DBMIG_OPTIONS_INIT
 * set it at version 1. */
static options_v1 *options_v1_alloc(guarded *g)
{
    options_v1 *o = guarded_alloc(g, sizeof(options_v1));
    if (!o)
        return NULL;
    memset(o, 0, sizeof *o);
    o->version = 1;
    o->lock_timeout = -1.0;
    o->commit_interval_ms = -1;
    return o;
}

static size_t count_sql_files(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "find '%s' -maxdepth 1 -name '*.sql' -type f | wc -l", dir);
    FILE *p = popen(cmd, "r");
    unsigned long n = 0;
    if (!p || fscanf(p, "%lu", &n) != 1)
        n = 0;
    if (p)
        pclose(p);
    return (size_t)n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: options_v1 MIGRATIONS_DIR\n");
        return 2;
    }
    const char *migrations = argv[1];
    size_t nfiles = count_sql_files(migrations);
    CHECK(nfiles > 0, "no migration files in %s", migrations);

    char dir[] = "/tmp/dbmig-options-v1.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char url[256];
    snprintf(url, sizeof url, "sqlite:%s/app.db", dir);

    /* 1. Migrate through a version-1 struct. */
    guarded g;
    options_v1 *o = options_v1_alloc(&g);
    if (!o) {
        perror("mmap");
        return 1;
    }
    counts c = {0, 0};
    o->url = url;
    o->dir = migrations;
    o->table = "app_schema_version";
    o->on_event = on_event;
    o->event_payload = &c;
    dbmig *h = NULL;
    int rc = dbmig_open(&h, (const dbmig_options *)o);
    CHECK(rc == DBMIG_OK, "dbmig_open with a version-1 struct: %d %s", rc, h ? dbmig_errmsg(h) : "");
    if (rc == DBMIG_OK) {
        rc = dbmig_upgrade(h, "head", 0);
        CHECK(rc == DBMIG_OK, "upgrade: %d %s", rc, dbmig_errmsg(h));
        CHECK((size_t)c.done == nfiles, "%d DONE events for %zu migrations (on_event, event_payload)",
              c.done, nfiles);
        CHECK(c.failed == 0, "%d FAILED events", c.failed);
        size_t pending = 99;
        rc = dbmig_pending(h, &pending);
        CHECK(rc == DBMIG_OK && pending == 0, "pending after upgrade: rc %d, %zu", rc, pending);
        dbmig_status *st = NULL;
        rc = dbmig_status_get(h, &st);
        CHECK(rc == DBMIG_OK && st && st->applied == nfiles, "status: rc %d, %zu applied", rc,
              st ? st->applied : 0);
        dbmig_status_free(st);
    }
    dbmig_close(h);

    /* The version table is the one the old struct named. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s/app.db' 'SELECT count(*) FROM app_schema_version'", dir);
    FILE *p = popen(cmd, "r");
    unsigned long rows = 0;
    CHECK(p && fscanf(p, "%lu", &rows) == 1 && rows == nfiles,
          "app_schema_version has %lu rows, expected %zu", rows, nfiles);
    if (p)
        pclose(p);

    /* 2. Version 0 (not initialised) and a version from the future are
     * refused, each with a message saying what to do. */
    unsigned bad[] = {0, DBMIG_OPTIONS_VERSION + 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o->version = bad[i];
        h = NULL;
        rc = dbmig_open(&h, (const dbmig_options *)o);
        const char *msg = h ? dbmig_errmsg(h) : "";
        CHECK(rc == DBMIG_EUSAGE, "version %u: rc %d, expected DBMIG_EUSAGE", bad[i], rc);
        CHECK(strstr(msg, "dbmig_options.version is") != NULL,
              "version %u: message \"%s\" does not name the field", bad[i], msg);
        CHECK(strstr(msg, bad[i] == 0 ? "DBMIG_OPTIONS_INIT" : "newer <dbmig/dbmig.h>") != NULL,
              "version %u: message \"%s\" does not say what to do", bad[i], msg);
        dbmig_close(h);
    }
    guarded_free(&g);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    if (failures)
        return 1;
    printf("ok: a version-1 dbmig_options (%zu bytes, ending at a guard page) migrated %zu "
           "revisions; versions 0 and %u refused\n",
           sizeof(options_v1), nfiles, (unsigned)DBMIG_OPTIONS_VERSION + 1);
    return 0;
}
