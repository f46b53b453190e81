/* test_driver_sqlite.c — the driver contract suite (driver_contract.c), run
 * against the real SQLite plugin loaded through dm_plugin_load(), plus
 * SQLite-specific checks. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbmig/dbmig.h"
#include "driver_contract.h"
#include "loader.h"
#include "util.h"


/* ---- fixtures: the plugin and a fresh database per test ------------------ */

typedef struct fx {
    contract_fx ct; /* first: what the shared contract tests read */
    dm_plugin *plugin;
    char dir[64];
    char url[320];
    char file[256];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    dm_err e = {0};
    if (dm_plugin_load(DBMIG_PLUGIN_DIR, "sqlite", &f->plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "cannot load the sqlite plugin: %s\n", dm_err_msg(&e));
        dm_err_free(&e);
        free(f);
        return -1;
    }
    dm_err_free(&e);
    f->ct.d = dm_plugin_driver(f->plugin);
    strcpy(f->dir, "/tmp/dbmig-sqlite-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->file, sizeof f->file, "%s/test.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->file);
    f->ct.url = f->url; /* holder NULL: a client-side lock names "pid <pid>" */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    dm_plugin_unload(f->plugin);
    free(f);
    return rc == 0 ? 0 : -1;
}

#define FX fx *f = *state

static void test_table(void **state)
{
    FX;
    assert_string_equal(f->ct.d->name, "sqlite");
    assert_int_equal(f->ct.d->dialect, DBMIG_DIALECT_SQLITE);
    uint32_t want = DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
                    DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS |
                    DBMIG_CAP_BOOLEAN | DBMIG_CAP_LOCK_REPORTS_HOLDER;
    assert_int_equal(f->ct.d->caps, want);
    assert_true(f->ct.d->unload_safe);
}

/* The shared contract runs on a file (CONTRACT_TESTS); a connection
 * creates that file, and the same checks hold on a memory database. */
static void test_file_and_memory(void **state)
{
    FX;
    contract_connect_close(f->ct.d, f->url);
    struct stat st;
    assert_int_equal(stat(f->file, &st), 0); /* created */
    static const char mem[] = "sqlite::memory:";
    contract_connect_close(f->ct.d, mem);
    contract_exec(f->ct.d, mem);
    contract_query(f->ct.d, mem);
    contract_transactions(f->ct.d, mem);
}

/* ---- SQLite specifics ---------------------------------------------------- */

static void test_url_forms(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[512];
    const char *forms[] = {"sqlite:%s/a.db", "sqlite3:%s/b.db", "sqlite://%s/c.db",
                           "SQLite:%s/d.db?busy_timeout=250", NULL};
    const char *files[] = {"a.db", "b.db", "c.db", "d.db"};
    for (int i = 0; forms[i]; i++) {
        snprintf(url, sizeof url, forms[i], f->dir);
        dbmig_conn *c = must_connect(f->ct.d, &h, url);
        f->ct.d->close(NULL, c);
        char p[512];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        if (stat(p, &st) != 0)
            fail_msg("%s did not create %s", url, p);
    }
    /* a relative path is relative to the working folder */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    dbmig_conn *c = must_connect(f->ct.d, &h, "sqlite:rel.db");
    f->ct.d->close(NULL, c);
    struct stat st;
    assert_int_equal(stat("rel.db", &st), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(cnt.live, 0);
}

static void test_url_errors(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_db_error e;
    dbmig_conn *c = (dbmig_conn *)&e; /* must stay untouched */
    const char *bad[] = {"postgres://x/y", "sqlite:", "sqlite:x.db?busy_timeout=abc",
                         "sqlite:x.db?mode=ro", NULL};
    const char *want[] = {"not a SQLite URL", "no database file", "busy_timeout", "mode", NULL};
    for (int i = 0; bad[i]; i++) {
        memset(&e, 0, sizeof e);
        assert_int_equal(f->ct.d->connect(NULL, &h, bad[i], &c, &e), DBMIG_DRV_ERROR);
        assert_ptr_equal(c, (dbmig_conn *)&e);
        assert_contains(e.message, want[i]);
    }
    /* a file in a folder that does not exist: the path, "URL" (exit 2), a hint */
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->connect(NULL, &h, "sqlite:/nonexistent-dir/sub/x.db", &c, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "/nonexistent-dir/sub/x.db");
    assert_contains(e.message, "folder");
    assert_int_equal(e.kind, DBMIG_DB_ERR_URL);
    assert_true(e.hint[0] != '\0');
    /* an unopenable file: the path and sqlite's own message */
    if (geteuid() != 0) {
        char p[300], u[320];
        snprintf(p, sizeof p, "%s/noperm.db", f->dir);
        FILE *fp = fopen(p, "w");
        assert_non_null(fp);
        fclose(fp);
        assert_int_equal(chmod(p, 0), 0);
        snprintf(u, sizeof u, "sqlite:%s", p);
        memset(&e, 0, sizeof e);
        assert_int_equal(f->ct.d->connect(NULL, &h, u, &c, &e), DBMIG_DRV_ERROR);
        assert_contains(e.message, "noperm.db");
        assert_string_equal(e.code, "14"); /* SQLITE_CANTOPEN */
    }
    assert_int_equal(cnt.live, 0);
}

static void test_error_fill_details(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    /* position: 1-based, in characters, inside the text given */
    const char *sql = "SELECT nosuchcol FROM sqlite_master";
    assert_int_equal(f->ct.d->exec(NULL, c, sql, strlen(sql), NULL), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "1");
    assert_contains(e->message, "no such column: nosuchcol");
    assert_contains(e->detail, "SQLITE_ERROR");
    assert_int_equal(e->position, 8);
    /* in a later statement of the same text, counted from the text's start;
     * multi-byte characters count once */
    const char *two = "SELECT 'é'; SELECT nosuchcol FROM sqlite_master";
    assert_int_equal(f->ct.d->exec(NULL, c, two, strlen(two), NULL), DBMIG_DRV_ERROR);
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, 20);
    /* syntax errors */
    const char *syn = "CREATE TABLE (x)";
    assert_int_equal(f->ct.d->exec(NULL, c, syn, strlen(syn), NULL), DBMIG_DRV_ERROR);
    assert_contains(f->ct.d->last_error(NULL, c)->message, "syntax error");
    /* constraint violation: the extended code */
    must_exec(f->ct.d, c, "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE)");
    must_exec(f->ct.d, c, "INSERT INTO u VALUES (1, 'a')");
    const char *dup = "INSERT INTO u VALUES (2, 'a')";
    assert_int_equal(f->ct.d->exec(NULL, c, dup, strlen(dup), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "2067"); /* SQLITE_CONSTRAINT_UNIQUE */
    assert_contains(f->ct.d->last_error(NULL, c)->detail, "SQLITE_CONSTRAINT");
    assert_contains(f->ct.d->last_error(NULL, c)->message, "UNIQUE constraint failed: u.email");
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, 0);
    /* a later success clears it */
    must_exec(f->ct.d, c, "SELECT 1");
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "");
    f->ct.d->close(NULL, c);
    assert_int_equal(f->ct.d->last_error(NULL, NULL)->code[0], '\0');
    assert_int_equal(cnt.live, 0);
}

static void test_multi_statement_exec(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    const char *sql = "CREATE TABLE m (x INTEGER);\n"
                      "INSERT INTO m VALUES (1);\n"
                      "INSERT INTO m VALUES (2), (3); -- a trailing comment\n"
                      "CREATE TRIGGER m_t AFTER INSERT ON m BEGIN SELECT 1; END;\n"
                      "PRAGMA user_version = 7;\n";
    int64_t n = -1;
    assert_int_equal(f->ct.d->exec(NULL, c, sql, strlen(sql), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 3);
    rows r;
    assert_string_equal(query_text(f->ct.d, c, "SELECT SUM(x) FROM m", &r), "6;");
    assert_string_equal(query_text(f->ct.d, c, "PRAGMA user_version", &r), "7;");
    /* only white space and comments: nothing to do */
    assert_int_equal(f->ct.d->exec(NULL, c, "  -- nothing\n", 13, &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    /* a failure in the middle stops there: the first statement ran */
    const char *half = "INSERT INTO m VALUES (4); SELECT nosuchcol FROM m; "
                       "INSERT INTO m VALUES (6)";
    assert_int_equal(f->ct.d->exec(NULL, c, half, strlen(half), &n), DBMIG_DRV_ERROR);
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, 34);
    assert_string_equal(query_text(f->ct.d, c, "SELECT SUM(x) FROM m", &r), "10;");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Integers are formatted by the driver (not sqlite3_column_text): the
 * same text as SQLite's, at the edges too; other types go through SQLite. */
static void test_integer_text(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    rows r;
    assert_string_equal(query_text(f->ct.d, c,
                                   "SELECT 0, 7, -1, 10, -10, 9223372036854775807, "
                                   "-9223372036854775807 - 1, 1.5, '12', NULL",
                                   &r),
                        "0|7|-1|10|-10|9223372036854775807|-9223372036854775808|1.5|12|NULL;");
    /* the buffers are per column and per row */
    must_exec(f->ct.d, c, "CREATE TABLE n (a INTEGER, b INTEGER)");
    must_exec(f->ct.d, c, "INSERT INTO n VALUES (1, 22), (333, 4444)");
    assert_string_equal(query_text(f->ct.d, c, "SELECT a, b, a FROM n ORDER BY a", &r),
                        "1|22|1;333|4444|333;");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_lock_files(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    int got = 0;
    char p[512], buf[128] = "";
    assert_int_equal(f->ct.d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    snprintf(p, sizeof p, "%s.dbmig-lock", f->file);
    FILE *fp = fopen(p, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    char want[32];
    snprintf(want, sizeof want, "pid %ld on host ", (long)getpid());
    assert_contains(buf, want);
    /* taking it again on the same connection is fine */
    assert_int_equal(f->ct.d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    /* a second key while holding one is refused with a message */
    assert_int_equal(f->ct.d->try_lock(NULL, c, "x", &got, NULL, 0), DBMIG_DRV_ERROR);
    assert_true(f->ct.d->last_error(NULL, c)->message[0] != '\0');
    assert_int_equal(f->ct.d->unlock(NULL, c, "dbmig_version"), DBMIG_DRV_OK);
    /* other keys: sanitized suffix */
    assert_int_equal(f->ct.d->try_lock(NULL, c, "main.my version/../x", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    snprintf(p, sizeof p, "%s.dbmig-lock-main_my_version____x", f->file);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(f->ct.d->unlock(NULL, c, "main.my version/../x"), DBMIG_DRV_OK);
    /* unlock without a lock is harmless */
    assert_int_equal(f->ct.d->unlock(NULL, c, "dbmig_version"), DBMIG_DRV_OK);
    f->ct.d->close(NULL, c);

    /* memory databases: always acquired, no file */
    dbmig_conn *m1 = must_connect(f->ct.d, &h, "sqlite::memory:");
    dbmig_conn *m2 = must_connect(f->ct.d, &h, "sqlite::memory:");
    assert_int_equal(f->ct.d->try_lock(NULL, m1, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    got = 0;
    assert_int_equal(f->ct.d->try_lock(NULL, m2, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->unlock(NULL, m1, "dbmig_version"), DBMIG_DRV_OK);
    f->ct.d->close(NULL, m1);
    f->ct.d->close(NULL, m2);

    /* a folder where the lock file cannot be created: an error, not a hang */
    if (geteuid() != 0) {
        char ro[256], url[300];
        snprintf(ro, sizeof ro, "%s/ro", f->dir);
        assert_int_equal(mkdir(ro, 0700), 0);
        snprintf(url, sizeof url, "sqlite:%s/x.db", ro);
        c = must_connect(f->ct.d, &h, url);
        must_exec(f->ct.d, c, "CREATE TABLE t (x)");
        assert_int_equal(chmod(ro, 0500), 0);
        assert_int_equal(f->ct.d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_ERROR);
        assert_contains(f->ct.d->last_error(NULL, c)->message, ".dbmig-lock");
        assert_int_equal(chmod(ro, 0700), 0);
        f->ct.d->close(NULL, c);
    }
    assert_int_equal(cnt.live, 0);
}

static void test_busy_timeout(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[400];
    snprintf(url, sizeof url, "%s?busy_timeout=100", f->url);
    dbmig_conn *a = must_connect(f->ct.d, &h, url);
    dbmig_conn *b = must_connect(f->ct.d, &h, url);
    must_exec(f->ct.d, a, "CREATE TABLE bt (x)");
    assert_int_equal(f->ct.d->begin(NULL, a), DBMIG_DRV_OK);
    must_exec(f->ct.d, a, "INSERT INTO bt VALUES (1)");
    double t0 = dm_now_ms();
    assert_int_equal(f->ct.d->begin(NULL, b), DBMIG_DRV_ERROR); /* BEGIN IMMEDIATE waits, then gives up */
    double waited = dm_now_ms() - t0;
    assert_true(waited >= 80 && waited < 5000);
    assert_string_equal(f->ct.d->last_error(NULL, b)->code, "5"); /* SQLITE_BUSY */
    assert_true(f->ct.d->last_error(NULL, b)->hint[0] != '\0');
    assert_int_equal(f->ct.d->commit(NULL, a), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->begin(NULL, b), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->rollback(NULL, b), DBMIG_DRV_OK);
    f->ct.d->close(NULL, a);
    f->ct.d->close(NULL, b);
    assert_int_equal(cnt.live, 0);
}

static void test_server_version(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, "sqlite::memory:");
    char v[32] = "", v2[40] = "";
    assert_int_equal(f->ct.d->server_version(NULL, c, v, sizeof v), DBMIG_DRV_OK);
    assert_true(strncmp(v, "3.", 2) == 0);
    rows r;
    snprintf(v2, sizeof v2, "%s;", v);
    assert_string_equal(query_text(f->ct.d, c, "SELECT sqlite_version()", &r), v2);
    f->ct.d->close(NULL, c);
}

/* ---- no creation, paths that are no database, the lock file -------------- */

static int file_has(const char *path, const char *want)
{
    char buf[256] = "";
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return strcmp(buf, want) == 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* DBMIG_HOST_NO_CREATE: a missing file is the error NODB, and stays missing. */
static void test_no_create(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    h.flags = DBMIG_HOST_NO_CREATE;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    dbmig_conn *c = (dbmig_conn *)&e; /* must stay untouched */
    struct stat st;
    assert_int_equal(f->ct.d->connect(NULL, &h, f->url, &c, &e), DBMIG_DRV_ERROR);
    assert_ptr_equal(c, (dbmig_conn *)&e);
    assert_int_equal(e.kind, DBMIG_DB_ERR_NODB);
    assert_contains(e.message, f->file);
    assert_contains(e.message, "does not exist");
    assert_int_not_equal(stat(f->file, &st), 0);
    /* in a missing folder: NODB too, and the folder is named as missing */
    char url[400];
    snprintf(url, sizeof url, "sqlite:%s/nodir/x.db", f->dir);
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
    assert_int_equal(e.kind, DBMIG_DB_ERR_NODB);
    assert_contains(e.message, "folder");
    /* a memory database always exists */
    c = must_connect(f->ct.d, &h, "sqlite::memory:");
    f->ct.d->close(NULL, c);
    /* an existing file opens (an empty file is an empty database) */
    write_text(f->file, "");
    c = must_connect(f->ct.d, &h, f->url);
    f->ct.d->close(NULL, c);
    assert_int_equal(unlink(f->file), 0);
    /* without the flag the file is created (ABI 2: every host has flags) */
    dbmig_host plain = make_host(&cnt);
    c = must_connect(f->ct.d, &plain, f->url);
    f->ct.d->close(NULL, c);
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(cnt.live, 0);
}

/* A text file, a folder, a FIFO where the database should be: refused as a
 * bad URL (exit 2), never written, with or without NO_CREATE. */
static void test_not_a_database(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char p[300], url[400];
    const char *text = "my notes, not a database\n";
    snprintf(p, sizeof p, "%s/notes.db", f->dir);
    write_text(p, text);
    snprintf(url, sizeof url, "sqlite:%s", p);
    for (int ro = 0; ro < 2; ro++) {
        h.flags = ro ? DBMIG_HOST_NO_CREATE : 0;
        dbmig_db_error e;
        memset(&e, 0, sizeof e);
        dbmig_conn *c = NULL;
        assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
        assert_null(c);
        assert_int_equal(e.kind, DBMIG_DB_ERR_URL);
        assert_contains(e.message, "notes.db");
        assert_contains(e.message, "not an SQLite database");
        assert_true(file_has(p, text));
        /* a folder */
        snprintf(url, sizeof url, "sqlite:%s", f->dir);
        memset(&e, 0, sizeof e);
        assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
        assert_int_equal(e.kind, DBMIG_DB_ERR_URL);
        assert_contains(e.message, "is a folder");
        /* a FIFO: refused at once, never opened (that would block) */
        char fifo[300];
        snprintf(fifo, sizeof fifo, "%s/fifo.db", f->dir);
        if (!ro)
            assert_int_equal(mkfifo(fifo, 0600), 0);
        snprintf(url, sizeof url, "sqlite:%s", fifo);
        memset(&e, 0, sizeof e);
        assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
        assert_int_equal(e.kind, DBMIG_DB_ERR_URL);
        assert_contains(e.message, "not a regular file");
        snprintf(url, sizeof url, "sqlite:%s", p);
    }
    assert_int_equal(cnt.live, 0);
}

/* No URL the driver echoes carries a query value or a password. */
static void test_url_no_secret(void **state)
{
    FX;
    (void)f;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const char *urls[] = {"sqlite:?key=s3cret", "sqlite://?password=s3cret&x=1",
                          "postgres://u:s3cret@h/db", "mysql://u:s3cret@h/db?pwd=s3cret",
                          "sqlite:x.db?key=s3cret", "sqlite:x.db?busy_timeout=1&pass=s3cret", NULL};
    for (int i = 0; urls[i]; i++) {
        dbmig_db_error e;
        memset(&e, 0, sizeof e);
        dbmig_conn *c = NULL;
        assert_int_equal(f->ct.d->connect(NULL, &h, urls[i], &c, &e), DBMIG_DRV_ERROR);
        if (strstr(e.message, "s3cret") || strstr(e.detail, "s3cret") || strstr(e.hint, "s3cret"))
            fail_msg("%s: the error shows the secret: %s", urls[i], e.message);
    }
    assert_int_equal(cnt.live, 0);
}

/* connect() never waits for another connection's lock: the migration lock
 * comes first, bounded by --lock-timeout (issue 13, defect 18). */
static void test_connect_does_not_wait(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[400];
    snprintf(url, sizeof url, "%s?busy_timeout=3000", f->url);
    dbmig_conn *a = must_connect(f->ct.d, &h, url);
    must_exec(f->ct.d, a, "CREATE TABLE w (x)");
    must_exec(f->ct.d, a, "BEGIN EXCLUSIVE");
    must_exec(f->ct.d, a, "INSERT INTO w VALUES (1)");
    double t0 = dm_now_ms();
    dbmig_conn *b = must_connect(f->ct.d, &h, url);
    double took = dm_now_ms() - t0;
    if (took > 1500)
        fail_msg("connect waited %.0f ms for another connection's lock", took);
    /* statements still wait (and give up) with the busy timeout */
    must_exec(f->ct.d, a, "COMMIT");
    rows r;
    assert_string_equal(query_text(f->ct.d, b, "SELECT count(*) FROM w", &r), "1;");
    f->ct.d->close(NULL, a);
    f->ct.d->close(NULL, b);
    assert_int_equal(cnt.live, 0);
}

static int try_lock_fails(const dbmig_driver *d, dbmig_conn *c, const char *want)
{
    int got = 0;
    if (d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0) != DBMIG_DRV_ERROR || got)
        return 0;
    const dbmig_db_error *e = d->last_error(NULL, c);
    if (!strstr(e->message, ".dbmig-lock") || !strstr(e->message, want) ||
        !strstr(e->message, "remove"))
        fail_msg("unexpected lock error: %s", e->message);
    return 1;
}

/* The lock file: never through a symlink (its target survives), never a
 * FIFO, folder, hard link or another user's file. */
static void test_lock_file_refusals(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    must_exec(f->ct.d, c, "CREATE TABLE t (x)");
    char lock[300], target[300];
    snprintf(lock, sizeof lock, "%s.dbmig-lock", f->file);
    snprintf(target, sizeof target, "%s/precious.txt", f->dir);
    const char *text = "precious content\nsecond line\n";
    write_text(target, text);

    assert_int_equal(symlink(target, lock), 0);
    assert_true(try_lock_fails(f->ct.d, c, "symbolic link"));
    assert_true(file_has(target, text));
    /* a dangling symlink is not followed either (it would create its target) */
    char ghost[300];
    snprintf(ghost, sizeof ghost, "%s/ghost", f->dir);
    assert_int_equal(unlink(lock), 0);
    assert_int_equal(symlink(ghost, lock), 0);
    assert_true(try_lock_fails(f->ct.d, c, "symbolic link"));
    struct stat st;
    assert_int_not_equal(lstat(ghost, &st), 0);
    assert_int_equal(unlink(lock), 0);

    assert_int_equal(mkfifo(lock, 0600), 0);
    assert_true(try_lock_fails(f->ct.d, c, "FIFO"));
    assert_int_equal(unlink(lock), 0);

    assert_int_equal(mkdir(lock, 0700), 0);
    assert_true(try_lock_fails(f->ct.d, c, "folder"));
    assert_int_equal(rmdir(lock), 0);

    assert_int_equal(link(target, lock), 0);
    assert_true(try_lock_fails(f->ct.d, c, "hard link"));
    assert_true(file_has(target, text));
    assert_int_equal(unlink(lock), 0);

    /* another user's file (as root: one owned by nobody); root's own files
     * are accepted, as are the invoking user's */
    if (geteuid() == 0) {
        write_text(lock, "");
        assert_int_equal(chown(lock, 65534, 65534), 0);
        /* "owned by uid 65534", or "it belongs to uid 65534" where root runs
         * without CAP_DAC_OVERRIDE (tests/nobody.sh) and cannot open it */
        assert_true(try_lock_fails(f->ct.d, c, "uid 65534"));
        assert_int_equal(chown(lock, 0, 0), 0);
    }
    int got = 0;
    assert_int_equal(f->ct.d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->unlock(NULL, c, "dbmig_version"), DBMIG_DRV_OK);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* ---- through the library: read-only commands never create the file ------ */

typedef struct notes {
    char all[4096];
} notes;

static void on_note(void *payload, const dbmig_event *ev)
{
    notes *n = payload;
    if (ev->kind == DBMIG_EV_NOTICE && ev->message) {
        size_t l = strlen(n->all);
        snprintf(n->all + l, sizeof n->all - l, "%s\n", ev->message);
    }
}

static dbmig *lib_open(fx *f, notes *n, int dry_run)
{
    char mig[300];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    mkdir(mig, 0755);
    char p[400];
    snprintf(p, sizeof p, "%s/001_a.sql", mig);
    write_text(p, "-- dbmig:up\nCREATE TABLE a (x INTEGER);\n-- dbmig:down\nDROP TABLE a;\n");
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->url;
    o.dir = mig;
    o.plugin_path = DBMIG_PLUGIN_DIR;
    o.lock_timeout = 0;
    o.dry_run = dry_run;
    o.on_event = on_note;
    o.event_payload = n;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    return h;
}

static void test_library_no_create(void **state)
{
    FX;
    notes n = {""};
    char lock[300];
    snprintf(lock, sizeof lock, "%s.dbmig-lock", f->file);
    struct stat st;
    dbmig *h = lib_open(f, &n, 0);
    dbmig_status *s = NULL;
    assert_int_equal(dbmig_status_get(h, &s), DBMIG_OK);
    assert_int_equal(s->applied, 0);
    assert_int_equal(s->pending, 1);
    dbmig_status_free(s);
    assert_contains(n.all, "does not exist: nothing is applied");
    assert_int_not_equal(stat(f->file, &st), 0);
    assert_int_not_equal(stat(lock, &st), 0);
    size_t pending = 0;
    assert_int_equal(dbmig_pending(h, &pending), DBMIG_OK);
    assert_int_equal(pending, 1);
    assert_int_not_equal(stat(f->file, &st), 0);
    /* the same handle then upgrades: the file is created, and said so */
    n.all[0] = '\0';
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_contains(n.all, "so it was created");
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(dbmig_status_get(h, &s), DBMIG_OK);
    assert_int_equal(s->applied, 1);
    dbmig_status_free(s);
    dbmig_close(h);
    /* a dry run on a missing file writes nothing either */
    assert_int_equal(unlink(f->file), 0);
    assert_int_equal(unlink(lock), 0);
    n.all[0] = '\0';
    h = lib_open(f, &n, 1);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(dbmig_stamp(h, "head"), DBMIG_OK);
    assert_contains(n.all, "does not exist");
    assert_int_not_equal(stat(f->file, &st), 0);
    assert_int_not_equal(stat(lock, &st), 0);
    dbmig_close(h);
    /* a handle that saw no file sees one created since by someone else */
    n.all[0] = '\0';
    h = lib_open(f, &n, 0);
    assert_int_equal(dbmig_status_get(h, &s), DBMIG_OK);
    dbmig_status_free(s);
    dbmig *other = lib_open(f, &n, 0);
    assert_int_equal(dbmig_upgrade(other, "head", 0), DBMIG_OK);
    dbmig_close(other);
    assert_int_equal(dbmig_status_get(h, &s), DBMIG_OK);
    assert_int_equal(s->applied, 1);
    dbmig_status_free(s);
    dbmig_close(h);
}

/* ---- inspect() and scratch databases (ABI 2.1) ------------------------------ */

/* One reported object, flattened to text: lists joined with ','. */
typedef struct iobj {
    uint32_t kind, flags, position;
    char table[64], name[64], type[64], dflt[64], gen[64], coll[32];
    char cols[128], ref[64], refcols[64], del[16], upd[16], pred[64], def[256];
} iobj;

typedef struct icoll {
    iobj v[64];
    int n, stop_after; /* stop_after > 0: return 1 at that object */
} icoll;

static void cpy(char *out, size_t cap, const char *s) { snprintf(out, cap, "%s", s ? s : "NULL"); }

static void join(char *out, size_t cap, const char *const *v, uint32_t n)
{
    out[0] = '\0';
    for (uint32_t i = 0; i < n; i++) {
        size_t o = strlen(out);
        snprintf(out + o, cap - o, "%s%s", i ? "," : "", v[i]);
    }
}

static int on_obj(void *payload, const dbmig_schema_object *o)
{
    icoll *c = payload;
    assert_true(c->n < 64);
    assert_int_equal(o->size, sizeof *o);
    iobj *d = &c->v[c->n++];
    d->kind = o->kind;
    d->flags = o->flags;
    d->position = o->position;
    cpy(d->table, sizeof d->table, o->table);
    cpy(d->name, sizeof d->name, o->name);
    cpy(d->type, sizeof d->type, o->type);
    cpy(d->dflt, sizeof d->dflt, o->default_expr);
    cpy(d->gen, sizeof d->gen, o->generated);
    cpy(d->coll, sizeof d->coll, o->collation);
    join(d->cols, sizeof d->cols, o->columns, o->ncolumns);
    cpy(d->ref, sizeof d->ref, o->ref_table);
    join(d->refcols, sizeof d->refcols, o->ref_columns, o->nref_columns);
    cpy(d->del, sizeof d->del, o->on_delete);
    cpy(d->upd, sizeof d->upd, o->on_update);
    cpy(d->pred, sizeof d->pred, o->predicate);
    cpy(d->def, sizeof d->def, o->definition);
    return c->stop_after > 0 && c->n >= c->stop_after;
}

static int count_kind(const icoll *c, uint32_t kind)
{
    int n = 0;
    for (int i = 0; i < c->n; i++)
        n += c->v[i].kind == kind;
    return n;
}

/* The object of that kind, table ("NULL" for none) and name; fails the
 * test when there is none. */
static const iobj *find_obj(const icoll *c, uint32_t kind, const char *table, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (c->v[i].kind == kind && strcmp(c->v[i].table, table) == 0 &&
            strcmp(c->v[i].name, name) == 0)
            return &c->v[i];
    fail_msg("no object of kind %u named %s.%s", kind, table, name);
    return NULL;
}

/* The object of that kind on table whose columns are cols. */
static const iobj *find_cols(const icoll *c, uint32_t kind, const char *table, const char *cols)
{
    for (int i = 0; i < c->n; i++)
        if (c->v[i].kind == kind && strcmp(c->v[i].table, table) == 0 &&
            strcmp(c->v[i].cols, cols) == 0)
            return &c->v[i];
    fail_msg("no object of kind %u on %s (%s)", kind, table, cols);
    return NULL;
}

static const char INSPECT_SCHEMA[] =
    "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " code TEXT NOT NULL UNIQUE COLLATE NOCASE, note varchar(20) DEFAULT 'n/a');"
    "CREATE TABLE child (a INTEGER NOT NULL, b INTEGER NOT NULL,"
    " parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE,"
    " qty INT CONSTRAINT qty_pos CHECK (qty > 0),"
    " dbl INT GENERATED ALWAYS AS (qty * 2) STORED, half INT AS (qty / 2),"
    " PRIMARY KEY (b, a), CHECK (a <> b));"
    "CREATE INDEX child_big ON child (qty) WHERE qty > 10;"
    "CREATE UNIQUE INDEX parent_lower ON parent (lower(code), note DESC);"
    "CREATE VIEW v (x) AS SELECT a FROM child;"
    "CREATE TRIGGER tr AFTER INSERT ON child BEGIN SELECT 1; END;";

static void inspect_into(const dbmig_driver *d, dbmig_conn *c, icoll *out)
{
    if (d->inspect(NULL, c, on_obj, out) != DBMIG_DRV_OK)
        fail_msg("inspect: %s", d->last_error(NULL, c)->message);
}

/* Every kind SQLite has, counted, and the fields each one carries. */
static void test_inspect_objects(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const dbmig_driver *d = f->ct.d;
    assert_non_null(d->inspect);
    dbmig_conn *c = must_connect(d, &h, f->url);
    must_exec(d, c, INSPECT_SCHEMA);
    must_exec(d, c, "INSERT INTO parent (code) VALUES ('x')"); /* fills sqlite_sequence */
    static icoll got;
    memset(&got, 0, sizeof got);
    inspect_into(d, c, &got);
    assert_int_equal(count_kind(&got, DBMIG_SO_TABLE), 2); /* no sqlite_sequence */
    assert_int_equal(count_kind(&got, DBMIG_SO_COLUMN), 9);
    assert_int_equal(count_kind(&got, DBMIG_SO_PRIMARY_KEY), 2);
    assert_int_equal(count_kind(&got, DBMIG_SO_UNIQUE), 1);
    assert_int_equal(count_kind(&got, DBMIG_SO_FOREIGN_KEY), 1);
    assert_int_equal(count_kind(&got, DBMIG_SO_CHECK), 2);
    assert_int_equal(count_kind(&got, DBMIG_SO_INDEX), 2);
    assert_int_equal(count_kind(&got, DBMIG_SO_VIEW), 1);
    assert_int_equal(count_kind(&got, DBMIG_SO_TRIGGER), 1);
    assert_int_equal(got.n, 21);

    const iobj *o = find_obj(&got, DBMIG_SO_COLUMN, "parent", "id");
    assert_int_equal(o->position, 1);
    assert_string_equal(o->type, "INTEGER");
    assert_true(o->flags & DBMIG_SO_IDENTITY);
    o = find_obj(&got, DBMIG_SO_COLUMN, "parent", "code");
    assert_int_equal(o->flags, 0); /* NOT NULL */
    assert_string_equal(o->coll, "NOCASE");
    o = find_obj(&got, DBMIG_SO_COLUMN, "parent", "note");
    assert_int_equal(o->flags, DBMIG_SO_NULLABLE);
    assert_string_equal(o->type, "varchar(20)");
    assert_string_equal(o->dflt, "'n/a'");
    assert_string_equal(o->coll, "NULL");
    o = find_obj(&got, DBMIG_SO_COLUMN, "child", "dbl");
    assert_int_equal(o->position, 5);
    assert_int_equal(o->flags, DBMIG_SO_NULLABLE | DBMIG_SO_GENERATED_STORED);
    assert_string_equal(o->gen, "qty * 2");
    o = find_obj(&got, DBMIG_SO_COLUMN, "child", "half");
    assert_int_equal(o->flags, DBMIG_SO_NULLABLE); /* virtual */
    assert_string_equal(o->gen, "qty / 2");
    assert_string_equal(find_obj(&got, DBMIG_SO_COLUMN, "child", "a")->gen, "NULL");

    assert_string_equal(find_obj(&got, DBMIG_SO_TABLE, "NULL", "child")->name, "child");
    assert_string_equal(find_obj(&got, DBMIG_SO_PRIMARY_KEY, "child", "")->cols, "b,a");
    assert_string_equal(find_obj(&got, DBMIG_SO_PRIMARY_KEY, "parent", "")->cols, "id");
    assert_string_equal(find_obj(&got, DBMIG_SO_UNIQUE, "parent", "")->cols, "code");
    o = find_obj(&got, DBMIG_SO_FOREIGN_KEY, "child", "");
    assert_string_equal(o->cols, "parent_id");
    assert_string_equal(o->ref, "parent");
    assert_string_equal(o->refcols, "id");
    assert_string_equal(o->del, "CASCADE");
    assert_string_equal(o->upd, "NO ACTION");
    assert_int_equal(o->flags, 0);
    assert_string_equal(find_obj(&got, DBMIG_SO_CHECK, "child", "qty_pos")->def, "qty > 0");
    assert_string_equal(find_obj(&got, DBMIG_SO_CHECK, "child", "")->def, "a <> b");
    o = find_obj(&got, DBMIG_SO_INDEX, "child", "child_big");
    assert_string_equal(o->cols, "qty");
    assert_string_equal(o->pred, "qty > 10");
    assert_int_equal(o->flags, 0);
    o = find_obj(&got, DBMIG_SO_INDEX, "parent", "parent_lower");
    assert_string_equal(o->cols, "(lower(code)),note DESC");
    assert_string_equal(o->pred, "NULL");
    assert_int_equal(o->flags, DBMIG_SO_UNIQUE_INDEX);
    assert_string_equal(find_obj(&got, DBMIG_SO_VIEW, "NULL", "v")->def, "SELECT a FROM child");
    assert_string_equal(find_obj(&got, DBMIG_SO_TRIGGER, "child", "tr")->def,
                        "CREATE TRIGGER tr AFTER INSERT ON child BEGIN SELECT 1; END");

    /* a callback that says stop ends the walk there, without an error */
    static icoll few;
    memset(&few, 0, sizeof few);
    few.stop_after = 3;
    inspect_into(d, c, &few);
    assert_int_equal(few.n, 3);
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* The stored text is read token by token: quotes, comments and strings
 * hide what looks like a clause; a foreign key's DEFERRABLE lands on the
 * right key; a key without parent columns gets the parent's key. */
static void test_inspect_text_scan(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const dbmig_driver *d = f->ct.d;
    dbmig_conn *c = must_connect(d, &h, f->url);
    must_exec(d, c,
              "CREATE TABLE p (k1 INT, k2 INT, e1 DEFAULT (abs(-1)), e2 DEFAULT ((1) + 2), e3 DEFAULT (-5),"
              " PRIMARY KEY (k1, k2));"
              "CREATE TABLE \"we\"\"ird\" (\"a,b\" TEXT DEFAULT 'x,) CHECK (0)' /* ) , CHECK (1) */"
              " -- CHECK (2), AS (3)\n"
              " CHECK (\"a,b\" <> 'CHECK (3)') COLLATE [RTRIM],"
              " r1 INT, r2 INT, s INT REFERENCES p (k1) DEFERRABLE INITIALLY DEFERRED,"
              " t INT REFERENCES p (k2) DEFERRABLE INITIALLY IMMEDIATE,"
              " u INT REFERENCES p (k1) DEFERRABLE,"
              " FOREIGN KEY (r1, r2) REFERENCES p NOT DEFERRABLE,"
              " CONSTRAINT \"c\"\"1\" CHECK (r1 IN (1, 2)))");
    must_exec(d, c,
              "CREATE INDEX \"we_i\" ON \"we\"\"ird\" (\"a,b\" COLLATE NOCASE, (r1 + r2) DESC, "
              "substr(\"a,b\", 1, 2)) WHERE r1 IS NOT NULL -- why\n");
    static icoll got;
    memset(&got, 0, sizeof got);
    inspect_into(d, c, &got);
    assert_int_equal(count_kind(&got, DBMIG_SO_CHECK), 2);
    assert_string_equal(find_obj(&got, DBMIG_SO_CHECK, "we\"ird", "")->def,
                        "\"a,b\" <> 'CHECK (3)'");
    assert_string_equal(find_obj(&got, DBMIG_SO_CHECK, "we\"ird", "c\"1")->def,
                        "r1 IN (1, 2)");
    const iobj *o = find_obj(&got, DBMIG_SO_COLUMN, "we\"ird", "a,b");
    assert_string_equal(o->coll, "RTRIM");
    assert_string_equal(o->dflt, "'x,) CHECK (0)'");
    assert_string_equal(o->gen, "NULL");
    assert_int_equal(count_kind(&got, DBMIG_SO_FOREIGN_KEY), 4);
    o = find_cols(&got, DBMIG_SO_FOREIGN_KEY, "we\"ird", "s");
    assert_int_equal(o->flags, DBMIG_SO_DEFERRABLE);
    /* checked at once all the same: not deferred */
    assert_int_equal(find_cols(&got, DBMIG_SO_FOREIGN_KEY, "we\"ird", "t")->flags, 0);
    assert_int_equal(find_cols(&got, DBMIG_SO_FOREIGN_KEY, "we\"ird", "u")->flags, 0);
    assert_string_equal(o->refcols, "k1");
    o = find_cols(&got, DBMIG_SO_FOREIGN_KEY, "we\"ird", "r1,r2");
    assert_int_equal(o->flags, 0);
    assert_string_equal(o->refcols, "k1,k2"); /* the parent's key */
    /* SQLite gives an expression default without its parentheses: back in */
    assert_string_equal(find_obj(&got, DBMIG_SO_COLUMN, "p", "e1")->dflt, "(abs(-1))");
    assert_string_equal(find_obj(&got, DBMIG_SO_COLUMN, "p", "e2")->dflt, "((1) + 2)");
    assert_string_equal(find_obj(&got, DBMIG_SO_COLUMN, "p", "e3")->dflt, "-5");
    o = find_obj(&got, DBMIG_SO_INDEX, "we\"ird", "we_i");
    assert_string_equal(o->cols, "a,b,(r1 + r2) DESC,(substr(\"a,b\", 1, 2))");
    assert_string_equal(o->pred, "r1 IS NOT NULL"); /* not the comment */
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* An empty database has nothing to report; a catalog read that fails (a
 * writer holds the file) is an error with SQLite's words, and the
 * connection works again afterwards. */
static void test_inspect_empty_and_busy(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const dbmig_driver *d = f->ct.d;
    dbmig_conn *c = must_connect(d, &h, "sqlite::memory:");
    static icoll got;
    memset(&got, 0, sizeof got);
    inspect_into(d, c, &got);
    assert_int_equal(got.n, 0);
    d->close(NULL, c);

    char url[400];
    snprintf(url, sizeof url, "%s?busy_timeout=0", f->url);
    c = must_connect(d, &h, url);
    must_exec(d, c, "CREATE TABLE t (a INT)");
    dbmig_conn *w = must_connect(d, &h, f->url);
    must_exec(d, w, "BEGIN EXCLUSIVE");
    memset(&got, 0, sizeof got);
    assert_int_equal(d->inspect(NULL, c, on_obj, &got), DBMIG_DRV_ERROR);
    assert_contains(d->last_error(NULL, c)->message, "locked");
    must_exec(d, w, "ROLLBACK");
    memset(&got, 0, sizeof got);
    inspect_into(d, c, &got);
    assert_int_equal(got.n, 2);
    d->close(NULL, w);
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* A host whose allocations fail from the n-th on (fail_at 0: never). */
typedef struct failing {
    long n, fail_at, live;
} failing;

static void *fl_alloc(void *p, size_t n)
{
    failing *f = p;
    if (f->fail_at && ++f->n >= f->fail_at)
        return NULL;
    void *q = malloc(n);
    f->live += q != NULL;
    return q;
}
static void *fl_realloc(void *p, void *q, size_t n)
{
    (void)p;
    return realloc(q, n);
}
static void fl_free(void *p, void *q)
{
    failing *f = p;
    f->live -= q != NULL;
    free(q);
}
static void fl_log(void *p, int level, const char *m)
{
    (void)p;
    (void)level;
    (void)m;
}

/* Every allocation inspect() makes fails in turn: each run ends with an
 * out-of-memory error (or succeeds, once no allocation is left to fail),
 * never a crash, and frees what it took. */
static void test_inspect_out_of_memory(void **state)
{
    FX;
    const dbmig_driver *d = f->ct.d;
    failing fl = {0, 0, 0};
    dbmig_host h = {sizeof h, &fl, fl_alloc, fl_realloc, fl_free, fl_log, 0};
    dbmig_conn *c = must_connect(d, &h, f->url);
    must_exec(d, c, INSPECT_SCHEMA);
    static icoll got;
    int ok = 0;
    for (long at = 1; at < 2000 && !ok; at++) {
        long before = fl.live;
        fl.n = 0;
        fl.fail_at = at;
        memset(&got, 0, sizeof got);
        if (d->inspect(NULL, c, on_obj, &got) == DBMIG_DRV_OK)
            ok = 1;
        else
            assert_contains(d->last_error(NULL, c)->message, "out of memory");
        fl.fail_at = 0;
        assert_int_equal(fl.live, before);
    }
    assert_true(ok);
    assert_int_equal(got.n, 21);
    d->close(NULL, c);
    assert_int_equal(fl.live, 0);
}

static int file_exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static int dir_entries(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    return system(cmd) == 0 ? 0 : 1;
}

/* scratch_create makes <TMPDIR>/<name>.db (conn NULL), never reuses a file,
 * refuses a name that is not one; scratch_drop removes the file and
 * everything beside it, succeeds when it is gone, and removes nothing but
 * the scratch database it names. */
static void test_scratch(void **state)
{
    FX;
    const dbmig_driver *d = f->ct.d;
    assert_non_null(d->scratch_create);
    assert_non_null(d->scratch_drop);
    char tmp[128], url[512], want[600], file[300];
    snprintf(tmp, sizeof tmp, "%s/tmp/", f->dir); /* a trailing slash too */
    assert_int_equal(mkdir(tmp, 0700), 0);
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TMPDIR", tmp, 1);
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, NULL, "dbmig_scratch_t1", url, sizeof url, &e),
                     DBMIG_DRV_OK);
    snprintf(file, sizeof file, "%s/tmp/dbmig_scratch_t1.db", f->dir);
    snprintf(want, sizeof want, "sqlite:%s", file);
    assert_string_equal(url, want);
    assert_true(file_exists(file));

    /* usable, and its lock and journal files are removed with it */
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    must_exec(d, c, "CREATE TABLE t (a INT)");
    int got = 0;
    assert_int_equal(d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    d->close(NULL, c);
    char side[600];
    snprintf(side, sizeof side, "%s-journal", file);
    write_text(side, "");
    snprintf(side, sizeof side, "%s.dbmig-lock-other", file);
    write_text(side, "");

    /* never reused: the existing file is refused and left as it is */
    char url2[512] = "unchanged";
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, NULL, "dbmig_scratch_t1", url2, sizeof url2, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "already exists");
    assert_contains(e.message, file);
    c = must_connect(d, &h, url);
    rows r = {0};
    assert_string_equal(query_text(d, c, "SELECT count(*) FROM sqlite_master", &r), "1;");
    d->close(NULL, c);

    /* bad names, and a URL that is not that scratch database */
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, NULL, "../evil", url2, sizeof url2, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "cannot name a scratch database");
    assert_int_equal(d->scratch_create(NULL, NULL, "dbmig_scratch_t2", url2, 10, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "does not fit");
    assert_int_equal(d->scratch_drop(NULL, NULL, "dbmig_scratch_t2", url, &e), DBMIG_DRV_ERROR);
    assert_contains(e.message, "will not remove");
    assert_true(file_exists(file));

    assert_int_equal(d->scratch_drop(NULL, NULL, "dbmig_scratch_t1", url, &e), DBMIG_DRV_OK);
    assert_int_equal(dir_entries(tmp), 0);
    assert_int_equal(d->scratch_drop(NULL, NULL, "dbmig_scratch_t1", url, &e), DBMIG_DRV_OK);
    assert_int_equal(cnt.live, 0);

    /* a TMPDIR that cannot hold one: said, with the fix */
    char bad[200];
    snprintf(bad, sizeof bad, "%s/missing", f->dir);
    setenv("TMPDIR", bad, 1);
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, NULL, "dbmig_scratch_t3", url2, sizeof url2, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "cannot create the scratch database file");
    assert_contains(e.message, bad);
    assert_contains(e.hint, "TMPDIR");
    snprintf(bad, sizeof bad, "%s/q?x", f->dir);
    assert_int_equal(mkdir(bad, 0700), 0);
    setenv("TMPDIR", bad, 1);
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, NULL, "dbmig_scratch_t3", url2, sizeof url2, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "has a '?' in its name");
    assert_contains(e.hint, "TMPDIR");
    assert_int_equal(dir_entries(bad), 0);
    if (saved) {
        setenv("TMPDIR", saved, 1);
        free(saved);
    } else {
        unsetenv("TMPDIR");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CONTRACT_TESTS(setup, teardown),
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_and_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_fill_details, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_statement_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_no_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_does_not_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_file_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_library_no_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_text_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_empty_and_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
