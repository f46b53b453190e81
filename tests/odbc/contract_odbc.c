/* contract_odbc.c — the driver contract suite (tests/unit/driver_contract.c)
 * and ODBC-specific checks, run against the ODBC plugin as a third party
 * builds it (plugins/odbc, built from an installed dbmig) and loads it from a
 * folder, through a real ODBC driver:
 *
 *   DBMIG_ODBC_PLUGIN_DIR   the folder holding dbmig_odbc.so (required)
 *   DBMIG_ODBC_KIND         sqlite | postgres
 *   sqlite:   DBMIG_ODBC_SQLITE_DRIVER  the SQLite ODBC driver (libsqlite3odbc.so);
 *             every test gets a fresh database file in a temp folder
 *   postgres: DBMIG_ODBC_URL  odbc:Driver=...psqlodbcw.so;Server=...;PWD=...
 *             every test starts from an empty `public` schema
 *
 * Registered by tests/odbc/CMakeLists.txt and run by tests/odbc/run.sh; it
 * FAILS (never skips) when the environment is missing. */
#define _XOPEN_SOURCE 700
#include "driver_contract.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader.h"
#include "util.h"

enum { K_SQLITE, K_POSTGRES };

typedef struct fx {
    contract_fx ct; /* first: what the shared contract tests read */
    dm_plugin *plugin;
    int kind;
    const char *driver_so; /* sqlite */
    const char *pg_url;    /* postgres */
    char dir[64];
    int n;          /* database files made so far (sqlite) */
    char url[1024]; /* this test's URL */
    char file[256]; /* sqlite: this test's database file */
} fx;

#define FX fx *f = *state

/* PostgreSQL's holder text names the server session: "pid <backend pid>". */
static void pg_holder(const dbmig_driver *d, dbmig_conn *c, char *out, size_t cap)
{
    rows r;
    query_text(d, c, "SELECT pg_backend_pid()", &r);
    size_t n = strlen(r.text);
    if (n && r.text[n - 1] == ';')
        r.text[n - 1] = '\0';
    snprintf(out, cap, "pid %s", r.text);
}

static int group_setup(void **state)
{
    const char *dir = getenv("DBMIG_ODBC_PLUGIN_DIR");
    const char *kind = getenv("DBMIG_ODBC_KIND");
    if (!dir || !*dir || !kind) {
        fprintf(stderr, "contract_odbc: set DBMIG_ODBC_PLUGIN_DIR and DBMIG_ODBC_KIND "
                        "(tests/odbc/run.sh does)\n");
        return -1;
    }
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (strcmp(kind, "sqlite") == 0) {
        f->kind = K_SQLITE;
        f->driver_so = getenv("DBMIG_ODBC_SQLITE_DRIVER");
        if (!f->driver_so || !*f->driver_so) {
            fprintf(stderr, "contract_odbc: DBMIG_ODBC_SQLITE_DRIVER is not set\n");
            free(f);
            return -1;
        }
    } else if (strcmp(kind, "postgres") == 0) {
        f->kind = K_POSTGRES;
        f->pg_url = getenv("DBMIG_ODBC_URL");
        if (!f->pg_url || !*f->pg_url) {
            fprintf(stderr, "contract_odbc: DBMIG_ODBC_URL is not set\n");
            free(f);
            return -1;
        }
    } else {
        fprintf(stderr, "contract_odbc: unknown DBMIG_ODBC_KIND '%s'\n", kind);
        free(f);
        return -1;
    }
    dm_err e = {0};
    if (dm_plugin_load(dir, "odbc", &f->plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "cannot load the odbc plugin from %s: %s\n", dir, dm_err_msg(&e));
        dm_err_free(&e);
        free(f);
        return -1;
    }
    dm_err_free(&e);
    f->ct.d = dm_plugin_driver(f->plugin);
    f->ct.url = f->url; /* filled per test by setup() */
    f->ct.holder = f->kind == K_POSTGRES ? pg_holder : NULL;
    strcpy(f->dir, "/tmp/dbmig-odbc-ct-XXXXXX");
    if (!mkdtemp(f->dir)) {
        dm_plugin_unload(f->plugin);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    dm_plugin_unload(f->plugin);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* A fresh, empty database for every test. */
static int setup(void **state)
{
    fx *f = *state;
    if (f->kind == K_SQLITE) {
        snprintf(f->file, sizeof f->file, "%s/t%d.db", f->dir, ++f->n);
        snprintf(f->url, sizeof f->url, "odbc:Driver=%s;Database=%s", f->driver_so, f->file);
        return 0;
    }
    snprintf(f->url, sizeof f->url, "%s", f->pg_url);
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = NULL;
    dbmig_db_error e;
    if (f->ct.d->connect(NULL, &h, f->url, &c, &e) != DBMIG_DRV_OK) {
        fprintf(stderr, "contract_odbc: cannot connect: %s\n", e.message);
        return -1;
    }
    const char *reset[] = {"SET client_min_messages = warning", "DROP SCHEMA IF EXISTS public CASCADE",
                           "CREATE SCHEMA public", "DROP SCHEMA IF EXISTS ct_s CASCADE"};
    int rc = 0;
    for (size_t i = 0; i < sizeof reset / sizeof reset[0] && !rc; i++)
        if (f->ct.d->exec(NULL, c, reset[i], strlen(reset[i]), NULL) != DBMIG_DRV_OK) {
            fprintf(stderr, "contract_odbc: %s: %s\n", reset[i], f->ct.d->last_error(NULL, c)->message);
            rc = -1;
        }
    f->ct.d->close(NULL, c);
    return rc;
}

/* ---- ODBC specifics ------------------------------------------------------ */

static void test_table(void **state)
{
    FX;
    assert_string_equal(f->ct.d->name, "odbc");
    assert_string_equal(f->ct.d->schemes[0], "odbc");
    assert_null(f->ct.d->schemes[1]);
    /* only what every server has: the rest comes per connection */
    assert_int_equal(f->ct.d->caps, DBMIG_CAP_LOCK_REPORTS_HOLDER);
    assert_int_equal(f->ct.d->dialect, DBMIG_DIALECT_GENERIC);
    assert_non_null(f->ct.d->conn_caps);
    assert_non_null(f->ct.d->server_version);
    assert_non_null(f->ct.d->table_exists);
    assert_non_null(f->ct.d->column_exists);
    assert_non_null(f->ct.d->index_exists);
    assert_int_equal(f->ct.d->unload_safe, 0);
}

/* Capabilities read from SQLGetInfo; the server's name and version. */
static void test_conn_caps(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    uint32_t caps = f->ct.d->conn_caps(NULL, c);
    char ver[128] = "";
    assert_int_equal(f->ct.d->server_version(NULL, c, ver, sizeof ver), DBMIG_DRV_OK);
    rows r;
    if (f->kind == K_SQLITE) {
        assert_int_equal(caps, DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
                                   DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS |
                                   DBMIG_CAP_DROP_INDEX_IF_EXISTS | DBMIG_CAP_BOOLEAN |
                                   DBMIG_CAP_LOCK_REPORTS_HOLDER);
        /* SQL_DBMS_VER: the SQLite the ODBC driver was built with */
        assert_true(strncmp(ver, "SQLite 3.", 9) == 0);
        assert_string_equal(query_text(f->ct.d, c, "SELECT 1", &r), "1;");
    } else {
        assert_int_equal(caps, DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
                                   DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS |
                                   DBMIG_CAP_DROP_INDEX_IF_EXISTS |
                                   DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS |
                                   DBMIG_CAP_DROP_COLUMN_IF_EXISTS | DBMIG_CAP_CONCURRENT_INDEX |
                                   DBMIG_CAP_BOOLEAN | DBMIG_CAP_LOCK_REPORTS_HOLDER);
        assert_true(strncmp(ver, "PostgreSQL ", 11) == 0);
        /* the major version the server reports, e.g. "15" of "15.0018" */
        const char *sv = query_text(f->ct.d, c, "SHOW server_version_num", &r);
        char major[8];
        snprintf(major, sizeof major, "%.*s", (int)(strlen(sv) - 5), sv);
        assert_true(strncmp(ver + 11, major, strlen(major)) == 0);
    }
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* What the per-connection capabilities promise holds: DDL rolls back,
 * savepoints work (the contract checks these only for the static caps). */
static void test_conn_caps_hold(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    uint32_t caps = f->ct.d->conn_caps(NULL, c);
    int ex = -1;
    rows r;
    assert_true(caps & DBMIG_CAP_TRANSACTIONAL_DDL);
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_OK);
    must_exec(f->ct.d, c, "CREATE TABLE ct_ddl (id INTEGER)");
    must_exec(f->ct.d, c, "INSERT INTO ct_ddl VALUES (1)");
    assert_int_equal(f->ct.d->table_exists(NULL, c, "ct_ddl", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->rollback(NULL, c), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->table_exists(NULL, c, "ct_ddl", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);

    assert_true(caps & DBMIG_CAP_SAVEPOINTS);
    must_exec(f->ct.d, c, "CREATE TABLE ct_sp (id INTEGER)");
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_OK);
    must_exec(f->ct.d, c, "SAVEPOINT dbmig_1");
    must_exec(f->ct.d, c, "CREATE TABLE ct_sp1 (id INTEGER)");
    must_exec(f->ct.d, c, "INSERT INTO ct_sp VALUES (1)");
    must_exec(f->ct.d, c, "RELEASE SAVEPOINT dbmig_1");
    must_exec(f->ct.d, c, "SAVEPOINT dbmig_2");
    must_exec(f->ct.d, c, "CREATE TABLE ct_sp2 (id INTEGER)");
    must_exec(f->ct.d, c, "INSERT INTO ct_sp VALUES (2)");
    /* a failing statement inside savepoint 2, as a failing migration */
    const char *bad = "INSERT INTO ct_nosuch VALUES (1)";
    assert_int_equal(f->ct.d->exec(NULL, c, bad, strlen(bad), NULL), DBMIG_DRV_ERROR);
    must_exec(f->ct.d, c, "ROLLBACK TO SAVEPOINT dbmig_2");
    must_exec(f->ct.d, c, "RELEASE SAVEPOINT dbmig_2");
    assert_int_equal(f->ct.d->commit(NULL, c), DBMIG_DRV_OK);
    assert_string_equal(query_text(f->ct.d, c, "SELECT id FROM ct_sp ORDER BY id", &r), "1;");
    assert_int_equal(f->ct.d->table_exists(NULL, c, "ct_sp1", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->table_exists(NULL, c, "ct_sp2", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    /* begin twice is refused; rollback without a transaction too */
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_ERROR);
    assert_contains(f->ct.d->last_error(NULL, c)->message, "already open");
    assert_int_equal(f->ct.d->rollback(NULL, c), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->rollback(NULL, c), DBMIG_DRV_ERROR);
    /* back in autocommit: a write is visible to a second connection at once */
    must_exec(f->ct.d, c, "INSERT INTO ct_sp VALUES (3)");
    dbmig_conn *c2 = must_connect(f->ct.d, &h, f->url);
    assert_string_equal(query_text(f->ct.d, c2, "SELECT COUNT(*) FROM ct_sp", &r), "2;");
    f->ct.d->close(NULL, c2);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Quoting through a connection: the server's identifier quote. */
static void test_quoting_conn(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    char out[64];
    size_t n = f->ct.d->quote_ident(NULL, c, "we\"ird", 6, out, sizeof out);
    assert_string_equal(out, "\"we\"\"ird\"");
    assert_int_equal(n, strlen(out));
    n = f->ct.d->quote_literal(NULL, c, "it's", 4, out, sizeof out);
    assert_string_equal(out, "'it''s'");
    /* a quoted name really works as a name */
    char sql[128];
    f->ct.d->quote_ident(NULL, c, "Mixed Case", 10, out, sizeof out);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INTEGER)", out);
    must_exec(f->ct.d, c, sql);
    int ex = -1;
    assert_int_equal(f->ct.d->table_exists(NULL, c, "Mixed Case", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Errors: the SQLSTATE and the ODBC driver's message without its prefixes. */
static void test_errors_diag(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    const char *bad = "SELECT * FROM ct_no_such_table";
    assert_int_equal(f->ct.d->exec(NULL, c, bad, strlen(bad), NULL), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = f->ct.d->last_error(NULL, c);
    assert_int_equal(strlen(e->code), 5); /* a SQLSTATE */
    if (f->kind == K_POSTGRES)
        assert_string_equal(e->code, "42P01");
    assert_true(e->message[0] != '[');
    assert_null(strchr(e->message, '\n'));
    assert_contains(e->detail, "native error");
    assert_contains(e->detail, "SQLSTATE ");
    assert_int_equal(e->position, 0);
    /* a later success clears it */
    must_exec(f->ct.d, c, "CREATE TABLE ct_e (id INTEGER)");
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "");
    if (f->kind == K_POSTGRES) {
        /* the server's notices reach host->log at INFO */
        long logs = cnt.logs;
        must_exec(f->ct.d, c, "CREATE TABLE IF NOT EXISTS ct_e (id INTEGER)");
        assert_true(cnt.logs > logs);
        assert_int_equal(cnt.last_level, DBMIG_LOG_INFO);
        assert_contains(cnt.last_log, "already exists");
    }
    /* a SELECT through exec runs to its end; its rows are dropped */
    int64_t n = -1;
    const char *sel = "SELECT id FROM ct_e";
    assert_int_equal(f->ct.d->exec(NULL, c, sel, strlen(sel), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Long values are read in pieces (SQLGetData with a growing buffer). */
typedef struct long_seen {
    int n;
    size_t len[4];
    int null[4];
    int xs; /* the long value is 7000 'x' */
} long_seen;

static int long_cb(void *payload, int ncols, const char *const *v, const size_t *len)
{
    long_seen *s = payload;
    assert_int_equal(ncols, 1);
    if (s->n < 4) {
        s->len[s->n] = v[0] ? len[0] : 0;
        s->null[s->n] = v[0] == NULL;
        if (v[0] && len[0] == 7000)
            s->xs = strspn(v[0], "x") == 7000 && v[0][7000] == '\0';
        if (v[0])
            assert_int_equal(strlen(v[0]), len[0]);
    }
    s->n++;
    return 0;
}

static void test_query_long_values(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    must_exec(f->ct.d, c, "CREATE TABLE ct_long (id INTEGER, t VARCHAR(8000))");
    char *sql = malloc(7100);
    assert_non_null(sql);
    int n = snprintf(sql, 7100, "INSERT INTO ct_long VALUES (1, '");
    memset(sql + n, 'x', 7000);
    snprintf(sql + n + 7000, 7100 - (size_t)n - 7000, "')");
    must_exec(f->ct.d, c, sql);
    free(sql);
    must_exec(f->ct.d, c, "INSERT INTO ct_long VALUES (2, 'short')");
    must_exec(f->ct.d, c, "INSERT INTO ct_long VALUES (3, NULL)");
    must_exec(f->ct.d, c, "INSERT INTO ct_long VALUES (4, 'after')");
    long_seen seen;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(f->ct.d->query(NULL, c, "SELECT t FROM ct_long ORDER BY id", long_cb, &seen),
                     DBMIG_DRV_OK);
    assert_int_equal(seen.n, 4);
    assert_int_equal(seen.len[0], 7000);
    assert_int_equal(seen.xs, 1);
    assert_int_equal(seen.len[1], 5);
    assert_int_equal(seen.null[2], 1);
    assert_int_equal(seen.len[3], 5);
    /* UTF-8 text comes back byte for byte */
    rows r;
    must_exec(f->ct.d, c, "INSERT INTO ct_long VALUES (5, 'h\xc3\xa9llo \xe2\x9c\x93')");
    assert_string_equal(query_text(f->ct.d, c, "SELECT t FROM ct_long WHERE id = 5", &r),
                        "h\xc3\xa9llo \xe2\x9c\x93;");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Catalog names are patterns to ODBC ('_' matches any character): the driver
 * must compare the names it gets back. */
static void test_catalog_patterns(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    int ex = -1;
    char tbl[64] = "";
    must_exec(f->ct.d, c, "CREATE TABLE ctxcat (id INTEGER, axb INTEGER)");
    must_exec(f->ct.d, c, "CREATE INDEX ctxcat_i ON ctxcat (axb)");
    assert_int_equal(f->ct.d->table_exists(NULL, c, "ct_cat", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(f->ct.d->table_exists(NULL, c, "ctxcat", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->column_exists(NULL, c, "ctxcat", "a_b", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(f->ct.d->column_exists(NULL, c, "ctxcat", "axb", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "ctxcat_i", &ex, tbl, sizeof tbl), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_string_equal(tbl, "ctxcat");
    assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "ctxca__i", &ex, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    if (f->kind == K_POSTGRES) {
        /* the current schema only, unless the name is qualified */
        must_exec(f->ct.d, c, "CREATE SCHEMA ct_s");
        must_exec(f->ct.d, c, "CREATE TABLE ct_s.ct_t (id INTEGER, c2 INTEGER)");
        must_exec(f->ct.d, c, "CREATE INDEX ct_t_c2 ON ct_s.ct_t (c2)");
        assert_int_equal(f->ct.d->table_exists(NULL, c, "ct_t", &ex), DBMIG_DRV_OK);
        assert_int_equal(ex, 0);
        assert_int_equal(f->ct.d->table_exists(NULL, c, "ct_s.ct_t", &ex), DBMIG_DRV_OK);
        assert_int_equal(ex, 1);
        assert_int_equal(f->ct.d->column_exists(NULL, c, "ct_s.ct_t", "c2", &ex), DBMIG_DRV_OK);
        assert_int_equal(ex, 1);
        assert_int_equal(f->ct.d->index_exists(NULL, c, "ct_s.ct_t", "ct_t_c2", &ex, NULL, 0), DBMIG_DRV_OK);
        assert_int_equal(ex, 1);
        assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "ct_t_c2", &ex, NULL, 0), DBMIG_DRV_OK);
        assert_int_equal(ex, 0);
    }
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Bad URLs and failed connections: clear messages, *out untouched, and the
 * password never in them. */
static void test_connect_errors(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_db_error e;
    dbmig_conn *c = (dbmig_conn *)&e; /* must stay untouched */
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->connect(NULL, &h, "odbc:", &c, &e), DBMIG_DRV_ERROR);
    assert_contains(e.message, "not an ODBC URL");
    assert_true(e.hint[0] != '\0');
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->connect(NULL, &h, "sqlite:x.db", &c, &e), DBMIG_DRV_ERROR);
    assert_contains(e.message, "not an ODBC URL");
    /* an unknown DSN: the driver manager's SQLSTATE IM002 and a hint */
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->connect(NULL, &h, "odbc:DSN=dbmig_no_such_dsn;UID=u;PWD=Sekrit-Pw-42", &c, &e),
                     DBMIG_DRV_ERROR);
    assert_string_equal(e.code, "IM002");
    assert_contains(e.message, "ODBC connection failed");
    assert_true(e.hint[0] != '\0');
    assert_null(strstr(e.message, "Sekrit-Pw-42"));
    assert_null(strstr(e.detail, "Sekrit-Pw-42"));
    if (f->kind == K_POSTGRES) {
        /* a wrong password: the server refuses; the password is nowhere */
        char url[1100];
        snprintf(url, sizeof url, "%s;PWD={Wr0ng;pass}", f->url);
        memset(&e, 0, sizeof e);
        assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
        assert_contains(e.message, "password");
        assert_null(strstr(e.message, "Wr0ng"));
        assert_null(strstr(e.detail, "Wr0ng"));
        assert_string_equal(e.code, "08001");
    }
    assert_ptr_equal(c, (dbmig_conn *)&e);
    assert_int_equal(cnt.live, 0);
}

/* SQLite (and any server without a session lock): the lock table. */
static void test_lock_table(void **state)
{
    FX;
    if (f->kind != K_SQLITE) {
        /* PostgreSQL: an advisory lock, no table; the holder is a session
         * whose application_name names this process */
        counter cnt = {0};
        dbmig_host h = make_host(&cnt);
        dbmig_conn *a = must_connect(f->ct.d, &h, f->url);
        dbmig_conn *b = must_connect(f->ct.d, &h, f->url);
        int got = -1, ex = -1;
        char holder[256] = "", want[64];
        assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
        assert_int_equal(got, 1);
        assert_int_equal(f->ct.d->try_lock(NULL, b, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
        assert_int_equal(got, 0);
        snprintf(want, sizeof want, "application dbmig pid %ld on host ", (long)getpid());
        assert_contains(holder, want);
        assert_int_equal(f->ct.d->table_exists(NULL, a, "dbmig_version_odbc_lock", &ex), DBMIG_DRV_OK);
        assert_int_equal(ex, 0);
        /* taking it twice on one connection is fine; one unlock frees it */
        assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
        assert_int_equal(got, 1);
        assert_int_equal(f->ct.d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);
        assert_int_equal(f->ct.d->try_lock(NULL, b, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
        assert_int_equal(got, 1);
        assert_int_equal(f->ct.d->unlock(NULL, b, "dbmig_version"), DBMIG_DRV_OK);
        f->ct.d->close(NULL, a);
        f->ct.d->close(NULL, b);
        assert_int_equal(cnt.live, 0);
        return;
    }
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(f->ct.d, &h, f->url);
    dbmig_conn *b = must_connect(f->ct.d, &h, f->url);
    int got = -1;
    char holder[256] = "", want[300], host[128];
    rows r;
    assert_int_equal(gethostname(host, sizeof host), 0);
    host[sizeof host - 1] = '\0';

    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    snprintf(want, sizeof want, "pid %ld on host %s;", (long)getpid(), host);
    assert_string_equal(query_text(f->ct.d, b, "SELECT holder FROM dbmig_version_odbc_lock", &r), want);
    /* a lock table cannot be taken inside a transaction */
    assert_int_equal(f->ct.d->begin(NULL, b), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->try_lock(NULL, b, "dbmig_version", &got, NULL, 0), DBMIG_DRV_ERROR);
    assert_contains(f->ct.d->last_error(NULL, b)->message, "transaction");
    assert_int_equal(f->ct.d->rollback(NULL, b), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);
    assert_string_equal(query_text(f->ct.d, b, "SELECT COUNT(*) FROM dbmig_version_odbc_lock", &r), "0;");

    /* a row left by a holder that died on ANOTHER host stays until deleted */
    must_exec(f->ct.d, b,
              "INSERT INTO dbmig_version_odbc_lock (id, holder, host, pid, owner, acquired_at) "
              "VALUES (1, 'pid 1 on host elsewhere.example', 'elsewhere.example', 1, 'x', 'then')");
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    assert_string_equal(holder, "pid 1 on host elsewhere.example");
    must_exec(f->ct.d, b, "DELETE FROM dbmig_version_odbc_lock"); /* by hand */
    /* the same host name in another PID namespace (a container): its pid
     * means nothing here, so its row is not taken over either */
    char other[600];
    snprintf(other, sizeof other,
             "INSERT INTO dbmig_version_odbc_lock (id, holder, host, pid, owner, acquired_at) "
             "VALUES (1, 'pid 999999 on host %s', '%s pid:[1]', 999999, 'y', 'then')",
             host, host);
    must_exec(f->ct.d, b, other);
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    must_exec(f->ct.d, b, "DELETE FROM dbmig_version_odbc_lock");
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);

    /* a row left by a dead process on THIS host is taken over (with a log) */
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    /* the host id: host name and PID namespace */
    char ns[64] = "", hostid[256];
    ssize_t nl = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    ns[nl > 0 ? nl : 0] = '\0';
    snprintf(hostid, sizeof hostid, "%s%s%s", host, ns[0] ? " " : "", ns);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO dbmig_version_odbc_lock (id, holder, host, pid, owner, acquired_at) "
             "VALUES (1, 'pid %ld on host %s', '%s', %ld, 'gone', 'then')",
             (long)dead, host, hostid, (long)dead);
    must_exec(f->ct.d, b, sql);
    long logs = cnt.logs;
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_true(cnt.logs > logs);
    assert_int_equal(cnt.last_level, DBMIG_LOG_WARN);
    assert_contains(cnt.last_log, "is gone; took its lock row over");
    snprintf(want, sizeof want, "(pid %ld on host %s)", (long)dead, host);
    assert_contains(cnt.last_log, want);
    snprintf(want, sizeof want, "%ld;", (long)getpid());
    assert_string_equal(query_text(f->ct.d, b, "SELECT pid FROM dbmig_version_odbc_lock", &r), want);

    /* a qualified key: the lock table sits in that schema ("main" for SQLite) */
    assert_int_equal(f->ct.d->try_lock(NULL, b, "main.other", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_string_equal(query_text(f->ct.d, a, "SELECT COUNT(*) FROM main.other_odbc_lock", &r), "1;");
    /* closing releases */
    f->ct.d->close(NULL, b);
    assert_string_equal(query_text(f->ct.d, a, "SELECT COUNT(*) FROM main.other_odbc_lock", &r), "0;");
    f->ct.d->close(NULL, a);
    assert_int_equal(cnt.live, 0);
}

/* PostgreSQL: the ODBC plugin's lock and the built-in postgres driver's lock
 * are the same lock (when the built-in plugin is installed beside it). */
static void test_lock_interop_postgres(void **state)
{
    FX;
    if (f->kind != K_POSTGRES)
        return;
    const char *pg_url = getenv("DBMIG_TEST_PG_URL");
    assert_non_null(pg_url);
    dm_plugin *pp = NULL;
    dm_err e = {0};
    if (dm_plugin_load(getenv("DBMIG_ODBC_PLUGIN_DIR"), "postgres", &pp, &e) != DBMIG_OK)
        fail_msg("the postgres plugin is not installed beside the odbc one: %s", dm_err_msg(&e));
    dm_err_free(&e);
    const dbmig_driver *pd = dm_plugin_driver(pp);
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *o = must_connect(f->ct.d, &h, f->url);
    dbmig_conn *p = must_connect(pd, &h, pg_url);
    int got = -1;
    char holder[256] = "", want[64];
    assert_int_equal(f->ct.d->try_lock(NULL, o, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(pd->try_lock(NULL, p, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    pg_holder(f->ct.d, o, want, sizeof want);
    assert_contains(holder, want);
    assert_int_equal(f->ct.d->unlock(NULL, o, "dbmig_version"), DBMIG_DRV_OK);
    assert_int_equal(pd->try_lock(NULL, p, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->try_lock(NULL, o, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    pg_holder(pd, p, want, sizeof want);
    assert_contains(holder, want);
    assert_int_equal(pd->unlock(NULL, p, "dbmig_version"), DBMIG_DRV_OK);
    pd->close(NULL, p);
    f->ct.d->close(NULL, o);
    dm_plugin_unload(pp);
    assert_int_equal(cnt.live, 0);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CONTRACT_TESTS(setup, NULL),
        T(test_table),
        T(test_conn_caps),
        T(test_conn_caps_hold),
        T(test_quoting_conn),
        T(test_errors_diag),
        T(test_query_long_values),
        T(test_catalog_patterns),
        T(test_connect_errors),
        T(test_lock_table),
        T(test_lock_interop_postgres),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
