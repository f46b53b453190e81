/* test_driver_sqlite.c — the driver contract suite, run against the real SQLite
 * plugin loaded through dm_plugin_load(), plus SQLite-specific checks.
 *
 * The contract_* functions take (driver, url[, url of a second connection to
 * the same database]) and only use the driver table, so the same suite can
 * run against the postgres and mysql plugins: copy them or move them into a
 * shared header when those drivers land. SQL there sticks to what every
 * dialect accepts. */
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

#include "loader.h"

/* ---- a host that counts what the driver allocates ------------------------ */

typedef struct counter {
    long live;  /* allocations not yet freed */
    long total; /* allocations ever */
} counter;

static void *h_alloc(void *payload, size_t n)
{
    counter *c = payload;
    void *p = malloc(n);
    if (p) {
        c->live++;
        c->total++;
    }
    return p;
}
static void *h_realloc(void *payload, void *p, size_t n)
{
    counter *c = payload;
    void *q = realloc(p, n);
    if (q && !p) {
        c->live++;
        c->total++;
    }
    return q;
}
static void h_free(void *payload, void *p)
{
    counter *c = payload;
    if (p)
        c->live--;
    free(p);
}
static void h_log(void *payload, int level, const char *message)
{
    (void)payload, (void)level, (void)message;
}


static dbmig_host make_host(counter *c)
{
    dbmig_host h = {sizeof(dbmig_host), c, h_alloc, h_realloc, h_free, h_log};
    return h;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* Connects or fails the test with the driver's message. */
static dbmig_conn *must_connect(const dbmig_driver *d, const dbmig_host *h, const char *url)
{
    dbmig_conn *c = NULL;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    if (d->connect(h, url, &c, &e) != DBMIG_DRV_OK)
        fail_msg("connect %s: %s", url, e.message);
    assert_non_null(c);
    return c;
}

static void must_exec(const dbmig_driver *d, dbmig_conn *c, const char *sql)
{
    int64_t n = -1;
    if (d->exec(c, sql, strlen(sql), &n) != DBMIG_DRV_OK)
        fail_msg("exec %s: %s", sql, d->last_error(c)->message);
}

/* Collects one query's rows as "a|b|NULL;..." text. */
typedef struct rows {
    char text[1024];
    int nrows, ncols, stop_after;
} rows;

static int collect_row(void *payload, int ncols, const char *const *v, const size_t *len)
{
    rows *r = payload;
    r->ncols = ncols;
    size_t o = strlen(r->text);
    for (int i = 0; i < ncols; i++) {
        if (v[i])
            assert_int_equal(strlen(v[i]), len[i]);
        o += (size_t)snprintf(r->text + o, sizeof r->text - o, "%s%s", i ? "|" : "",
                              v[i] ? v[i] : "NULL");
    }
    snprintf(r->text + o, sizeof r->text - o, ";");
    r->nrows++;
    return r->stop_after && r->nrows >= r->stop_after;
}

static const char *query_text(const dbmig_driver *d, dbmig_conn *c, const char *sql, rows *r)
{
    memset(r, 0, sizeof *r);
    if (d->query(c, sql, collect_row, r) != DBMIG_DRV_OK)
        fail_msg("query %s: %s", sql, d->last_error(c)->message);
    return r->text;
}

/* ---- the contract -------------------------------------------------------- */

static void contract_table(const dbmig_driver *d)
{
    assert_int_equal(d->abi_major, DBMIG_DRIVER_ABI_MAJOR);
    assert_true(d->size >= DBMIG_DRIVER_SIZE_1_0);
    assert_non_null(d->name);
    assert_non_null(d->version);
    assert_non_null(d->description);
    assert_non_null(d->schemes);
    assert_non_null(d->schemes[0]);
}

static void contract_connect_close(const dbmig_driver *d, const char *url)
{
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    char ver[64] = "";
    if (d->server_version) {
        assert_int_equal(d->server_version(c, ver, sizeof ver), DBMIG_DRV_OK);
        assert_true(strlen(ver) > 0);
    }
    d->close(c);
    assert_true(cnt.total > 0); /* the driver allocates through the host */
    assert_int_equal(cnt.live, 0);
}

static void contract_exec(const dbmig_driver *d, const char *url)
{
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int64_t n = -1;
    const char *ddl = "CREATE TABLE ct_people (id INTEGER PRIMARY KEY, name VARCHAR(40), "
                      "note VARCHAR(40))";
    assert_int_equal(d->exec(c, ddl, strlen(ddl), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    const char *ins[] = {"INSERT INTO ct_people (id, name, note) VALUES (1, 'ann', 'x')",
                         "INSERT INTO ct_people (id, name, note) VALUES (2, 'bob', NULL)",
                         "INSERT INTO ct_people (id, name, note) VALUES (3, 'o''hara', 'x')"};
    for (int i = 0; i < 3; i++) {
        n = -1;
        assert_int_equal(d->exec(c, ins[i], strlen(ins[i]), &n), DBMIG_DRV_OK);
        assert_int_equal(n, 1);
    }
    const char *upd = "UPDATE ct_people SET note = 'y' WHERE note = 'x'";
    assert_int_equal(d->exec(c, upd, strlen(upd), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 2);
    /* affected may be NULL; the length bounds the text */
    const char *del = "DELETE FROM ct_people WHERE id = 99; garbage that is never read";
    assert_int_equal(d->exec(c, del, strlen("DELETE FROM ct_people WHERE id = 99"), NULL),
                     DBMIG_DRV_OK);
    /* DDL after DML reports no rows */
    const char *ddl2 = "CREATE TABLE ct_other (id INTEGER)";
    assert_int_equal(d->exec(c, ddl2, strlen(ddl2), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    d->close(c);
    assert_int_equal(cnt.live, 0);
}

static void contract_query(const dbmig_driver *d, const char *url)
{
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    must_exec(d, c, "CREATE TABLE ct_q (id INTEGER, name VARCHAR(40), note VARCHAR(40))");
    must_exec(d, c, "INSERT INTO ct_q VALUES (1, 'ann', 'x')");
    must_exec(d, c, "INSERT INTO ct_q VALUES (2, 'bob', NULL)");
    must_exec(d, c, "INSERT INTO ct_q VALUES (3, 'o''hara', '')");
    rows r;
    assert_string_equal(query_text(d, c, "SELECT id, name, note FROM ct_q ORDER BY id", &r),
                        "1|ann|x;2|bob|NULL;3|o'hara|;");
    assert_int_equal(r.nrows, 3);
    assert_int_equal(r.ncols, 3);
    /* no rows: the callback is never called */
    assert_string_equal(query_text(d, c, "SELECT id FROM ct_q WHERE id > 100", &r), "");
    assert_int_equal(r.nrows, 0);
    /* the callback stops the query and query still succeeds */
    memset(&r, 0, sizeof r);
    r.stop_after = 1;
    assert_int_equal(d->query(c, "SELECT id FROM ct_q ORDER BY id", collect_row, &r),
                     DBMIG_DRV_OK);
    assert_int_equal(r.nrows, 1);
    assert_string_equal(r.text, "1;");
    /* the connection is usable after a stopped query */
    assert_string_equal(query_text(d, c, "SELECT COUNT(*) FROM ct_q", &r), "3;");
    d->close(c);
    assert_int_equal(cnt.live, 0);
}

static void contract_errors(const dbmig_driver *d, const char *url)
{
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    const char *bad = "SELECT * FROM ct_no_such_table";
    assert_int_equal(d->exec(c, bad, strlen(bad), NULL), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = d->last_error(c);
    assert_non_null(e);
    assert_true(e->code[0] != '\0');
    assert_contains(e->message, "ct_no_such_table");
    assert_true(e->position >= 0 && e->position <= (int)strlen(bad) + 1);

    rows r;
    memset(&r, 0, sizeof r);
    assert_int_equal(d->query(c, bad, collect_row, &r), DBMIG_DRV_ERROR);
    assert_contains(d->last_error(c)->message, "ct_no_such_table");

    must_exec(d, c, "CREATE TABLE ct_u (id INTEGER PRIMARY KEY)");
    must_exec(d, c, "INSERT INTO ct_u VALUES (1)");
    const char *dup = "INSERT INTO ct_u VALUES (1)";
    assert_int_equal(d->exec(c, dup, strlen(dup), NULL), DBMIG_DRV_ERROR);
    assert_true(d->last_error(c)->code[0] != '\0');
    assert_true(d->last_error(c)->message[0] != '\0');
    /* a failure does not break the connection */
    assert_string_equal(query_text(d, c, "SELECT COUNT(*) FROM ct_u", &r), "1;");
    d->close(c);
    assert_int_equal(cnt.live, 0);
}

static void contract_transactions(const dbmig_driver *d, const char *url)
{
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int exists = -1;
    rows r;
    must_exec(d, c, "CREATE TABLE ct_tx (id INTEGER)");

    /* commit keeps, rollback undoes DML */
    assert_int_equal(d->begin(c), DBMIG_DRV_OK);
    must_exec(d, c, "INSERT INTO ct_tx VALUES (1)");
    assert_int_equal(d->commit(c), DBMIG_DRV_OK);
    assert_int_equal(d->begin(c), DBMIG_DRV_OK);
    must_exec(d, c, "INSERT INTO ct_tx VALUES (2)");
    assert_int_equal(d->rollback(c), DBMIG_DRV_OK);
    assert_string_equal(query_text(d, c, "SELECT id FROM ct_tx", &r), "1;");

    if (d->caps & DBMIG_CAP_TRANSACTIONAL_DDL) {
        assert_int_equal(d->begin(c), DBMIG_DRV_OK);
        must_exec(d, c, "CREATE TABLE ct_ddl (id INTEGER)");
        assert_int_equal(d->table_exists(c, "ct_ddl", &exists), DBMIG_DRV_OK);
        assert_int_equal(exists, 1);
        assert_int_equal(d->rollback(c), DBMIG_DRV_OK);
        assert_int_equal(d->table_exists(c, "ct_ddl", &exists), DBMIG_DRV_OK);
        assert_int_equal(exists, 0);
    }
    if (d->caps & DBMIG_CAP_SAVEPOINTS) {
        assert_int_equal(d->begin(c), DBMIG_DRV_OK);
        must_exec(d, c, "INSERT INTO ct_tx VALUES (10)");
        must_exec(d, c, "SAVEPOINT dbmig_1");
        must_exec(d, c, "INSERT INTO ct_tx VALUES (11)");
        must_exec(d, c, "ROLLBACK TO SAVEPOINT dbmig_1");
        must_exec(d, c, "RELEASE SAVEPOINT dbmig_1");
        must_exec(d, c, "SAVEPOINT dbmig_2");
        must_exec(d, c, "INSERT INTO ct_tx VALUES (12)");
        must_exec(d, c, "RELEASE SAVEPOINT dbmig_2");
        assert_int_equal(d->commit(c), DBMIG_DRV_OK);
        assert_string_equal(query_text(d, c, "SELECT id FROM ct_tx ORDER BY id", &r),
                            "1;10;12;");
    }
    /* commit without a transaction is an error the driver reports */
    assert_int_equal(d->commit(c), DBMIG_DRV_ERROR);
    assert_true(d->last_error(c)->message[0] != '\0');
    d->close(c);
    assert_int_equal(cnt.live, 0);
}

static void contract_catalog(const dbmig_driver *d, const char *url)
{
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int ex = -1;
    char tbl[64];
    if (!d->table_exists || !d->column_exists || !d->index_exists) {
        d->close(c);
        return;
    }
    assert_int_equal(d->table_exists(c, "ct_cat", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    must_exec(d, c, "CREATE TABLE ct_cat (id INTEGER, email VARCHAR(80))");
    must_exec(d, c, "CREATE INDEX ct_cat_email ON ct_cat (email)");
    assert_int_equal(d->table_exists(c, "ct_cat", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    /* a name is data, never SQL */
    assert_int_equal(d->table_exists(c, "ct_cat' OR '1'='1", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);

    assert_int_equal(d->column_exists(c, "ct_cat", "email", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(d->column_exists(c, "ct_cat", "phone", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(d->column_exists(c, "ct_nothing", "email", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);

    strcpy(tbl, "unchanged");
    assert_int_equal(d->index_exists(c, NULL, "ct_cat_email", &ex, tbl, sizeof tbl),
                     DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_string_equal(tbl, "ct_cat");
    assert_int_equal(d->index_exists(c, "ct_cat", "ct_cat_email", &ex, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(d->index_exists(c, "ct_other", "ct_cat_email", &ex, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(d->index_exists(c, NULL, "ct_nope", &ex, tbl, sizeof tbl), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    d->close(c);
    assert_int_equal(cnt.live, 0);
}

static void contract_quoting(const dbmig_driver *d)
{
    char out[64];
    /* conn == NULL: offline mode */
    size_t n = d->quote_literal(NULL, "it's", 4, out, sizeof out);
    assert_string_equal(out, "'it''s'");
    assert_int_equal(n, strlen("'it''s'"));
    n = d->quote_literal(NULL, "", 0, out, sizeof out);
    assert_string_equal(out, "''");
    assert_int_equal(n, 2);
    /* too small: truncated, NUL-terminated, the needed length returned */
    char small[4] = "zzz";
    n = d->quote_literal(NULL, "abcdef", 6, small, sizeof small);
    assert_int_equal(n, 8);
    assert_int_equal(strlen(small), 3);
    assert_int_equal(d->quote_literal(NULL, "abcdef", 6, NULL, 0), 8);
    /* the length, not a NUL, ends the input */
    n = d->quote_literal(NULL, "abXYZ", 2, out, sizeof out);
    assert_string_equal(out, "'ab'");

    if (d->dialect != DBMIG_DIALECT_MYSQL) {
        n = d->quote_ident(NULL, "we\"ird", 6, out, sizeof out);
        assert_string_equal(out, "\"we\"\"ird\"");
        assert_int_equal(n, strlen(out));
    }
}

/* url2: a second connection to the same database (the same URL for files). */
static void contract_lock(const dbmig_driver *d, const char *url, const char *url2)
{
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(d, &h, url);
    dbmig_conn *b = must_connect(d, &h, url2);
    int got = -1;
    char holder[128];

    assert_int_equal(d->try_lock(a, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    strcpy(holder, "junk");
    assert_int_equal(d->try_lock(b, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    if (d->caps & DBMIG_CAP_LOCK_REPORTS_HOLDER) {
        char pid[32];
        snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
        assert_contains(holder, pid);
    }
    /* another key is another lock */
    assert_int_equal(d->try_lock(b, "other_table", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(d->unlock(b, "other_table"), DBMIG_DRV_OK);

    assert_int_equal(d->unlock(a, "dbmig_version"), DBMIG_DRV_OK);
    assert_int_equal(d->try_lock(b, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    /* closing the holder's connection releases the lock too */
    d->close(b);
    assert_int_equal(d->try_lock(a, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(d->unlock(a, "dbmig_version"), DBMIG_DRV_OK);
    d->close(a);
    assert_int_equal(cnt.live, 0);
}

/* A lock held by a process that dies (without unlocking) is released. */
static void contract_lock_dies_with_process(const dbmig_driver *d, const char *url)
{
    int up[2], down[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        counter cnt = {0, 0};
        dbmig_host h = make_host(&cnt);
        dbmig_conn *c = NULL;
        dbmig_db_error e;
        int got = 0;
        char buf = 'x';
        if (d->connect(&h, url, &c, &e) != DBMIG_DRV_OK ||
            d->try_lock(c, "dbmig_version", &got, NULL, 0) != DBMIG_DRV_OK || !got)
            buf = 'F';
        if (write(up[1], &buf, 1) != 1)
            _exit(3);
        if (read(down[0], &buf, 1) < 0) /* wait for the parent's go */
            _exit(4);
        _exit(0); /* no unlock, no close */
    }
    close(up[1]);
    close(down[0]);
    char buf = 0;
    assert_int_equal(read(up[0], &buf, 1), 1);
    assert_int_equal(buf, 'x');

    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int got = -1;
    char holder[128] = "";
    assert_int_equal(d->try_lock(c, "dbmig_version", &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    if (d->caps & DBMIG_CAP_LOCK_REPORTS_HOLDER) {
        char want[32];
        snprintf(want, sizeof want, "pid %ld", (long)pid);
        assert_contains(holder, want);
    }
    assert_int_equal(write(down[1], "g", 1), 1);
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the server or OS may need a moment to notice */
    for (int i = 0; i < 50 && got != 1; i++) {
        assert_int_equal(d->try_lock(c, "dbmig_version", &got, holder, sizeof holder),
                         DBMIG_DRV_OK);
        if (!got)
            dm_sleep_ms(100);
    }
    assert_int_equal(got, 1);
    assert_int_equal(d->unlock(c, "dbmig_version"), DBMIG_DRV_OK);
    d->close(c);
    close(up[0]);
    close(down[1]);
    assert_int_equal(cnt.live, 0);
}

/* ---- fixtures: the plugin and a fresh database per test ------------------ */

typedef struct fx {
    dm_plugin *plugin;
    const dbmig_driver *d;
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
    f->d = dm_plugin_driver(f->plugin);
    strcpy(f->dir, "/tmp/dbmig-sqlite-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->file, sizeof f->file, "%s/test.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->file);
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
    contract_table(f->d);
    assert_string_equal(f->d->name, "sqlite");
    assert_int_equal(f->d->dialect, DBMIG_DIALECT_SQLITE);
    uint32_t want = DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
                    DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS |
                    DBMIG_CAP_BOOLEAN | DBMIG_CAP_LOCK_REPORTS_HOLDER;
    assert_int_equal(f->d->caps, want);
    assert_true(f->d->unload_safe);
}

static void test_connect_close(void **state)
{
    FX;
    contract_connect_close(f->d, f->url);
    struct stat st;
    assert_int_equal(stat(f->file, &st), 0); /* created */
    contract_connect_close(f->d, "sqlite::memory:");
}
static void test_exec(void **state)
{
    FX;
    contract_exec(f->d, f->url);
    contract_exec(f->d, "sqlite::memory:");
}
static void test_query(void **state)
{
    FX;
    contract_query(f->d, f->url);
    contract_query(f->d, "sqlite::memory:");
}
static void test_errors(void **state)
{
    FX;
    contract_errors(f->d, f->url);
}
static void test_transactions(void **state)
{
    FX;
    contract_transactions(f->d, f->url);
    contract_transactions(f->d, "sqlite::memory:");
}
static void test_catalog(void **state)
{
    FX;
    contract_catalog(f->d, f->url);
}
static void test_quoting(void **state)
{
    FX;
    contract_quoting(f->d);
}
static void test_lock(void **state)
{
    FX;
    contract_lock(f->d, f->url, f->url);
}
static void test_lock_dies_with_process(void **state)
{
    FX;
    contract_lock_dies_with_process(f->d, f->url);
}

/* ---- SQLite specifics ---------------------------------------------------- */

static void test_url_forms(void **state)
{
    FX;
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    char url[512];
    const char *forms[] = {"sqlite:%s/a.db", "sqlite3:%s/b.db", "sqlite://%s/c.db",
                           "SQLite:%s/d.db?busy_timeout=250", NULL};
    const char *files[] = {"a.db", "b.db", "c.db", "d.db"};
    for (int i = 0; forms[i]; i++) {
        snprintf(url, sizeof url, forms[i], f->dir);
        dbmig_conn *c = must_connect(f->d, &h, url);
        f->d->close(c);
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
    dbmig_conn *c = must_connect(f->d, &h, "sqlite:rel.db");
    f->d->close(c);
    struct stat st;
    assert_int_equal(stat("rel.db", &st), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(cnt.live, 0);
}

static void test_url_errors(void **state)
{
    FX;
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_db_error e;
    dbmig_conn *c = (dbmig_conn *)&e; /* must stay untouched */
    const char *bad[] = {"postgres://x/y", "sqlite:", "sqlite:x.db?busy_timeout=abc",
                         "sqlite:x.db?mode=ro", NULL};
    const char *want[] = {"not a SQLite URL", "no database file", "busy_timeout", "mode", NULL};
    for (int i = 0; bad[i]; i++) {
        memset(&e, 0, sizeof e);
        assert_int_equal(f->d->connect(&h, bad[i], &c, &e), DBMIG_DRV_ERROR);
        assert_ptr_equal(c, (dbmig_conn *)&e);
        assert_contains(e.message, want[i]);
    }
    /* an unopenable file: the path and sqlite's own message */
    memset(&e, 0, sizeof e);
    assert_int_equal(f->d->connect(&h, "sqlite:/nonexistent-dir/sub/x.db", &c, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "/nonexistent-dir/sub/x.db");
    assert_contains(e.message, "unable to open database file");
    assert_string_equal(e.code, "14"); /* SQLITE_CANTOPEN */
    assert_true(e.hint[0] != '\0');
    assert_int_equal(cnt.live, 0);
}

static void test_error_fill_details(void **state)
{
    FX;
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->d, &h, f->url);
    /* position: 1-based, in characters, inside the text given */
    const char *sql = "SELECT nosuchcol FROM sqlite_master";
    assert_int_equal(f->d->exec(c, sql, strlen(sql), NULL), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = f->d->last_error(c);
    assert_string_equal(e->code, "1");
    assert_contains(e->message, "no such column: nosuchcol");
    assert_contains(e->detail, "SQLITE_ERROR");
    assert_int_equal(e->position, 8);
    /* in a later statement of the same text, counted from the text's start;
     * multi-byte characters count once */
    const char *two = "SELECT 'é'; SELECT nosuchcol FROM sqlite_master";
    assert_int_equal(f->d->exec(c, two, strlen(two), NULL), DBMIG_DRV_ERROR);
    assert_int_equal(f->d->last_error(c)->position, 20);
    /* syntax errors */
    const char *syn = "CREATE TABLE (x)";
    assert_int_equal(f->d->exec(c, syn, strlen(syn), NULL), DBMIG_DRV_ERROR);
    assert_contains(f->d->last_error(c)->message, "syntax error");
    /* constraint violation: the extended code */
    must_exec(f->d, c, "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE)");
    must_exec(f->d, c, "INSERT INTO u VALUES (1, 'a')");
    const char *dup = "INSERT INTO u VALUES (2, 'a')";
    assert_int_equal(f->d->exec(c, dup, strlen(dup), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->d->last_error(c)->code, "2067"); /* SQLITE_CONSTRAINT_UNIQUE */
    assert_contains(f->d->last_error(c)->detail, "SQLITE_CONSTRAINT");
    assert_contains(f->d->last_error(c)->message, "UNIQUE constraint failed: u.email");
    assert_int_equal(f->d->last_error(c)->position, 0);
    /* a later success clears it */
    must_exec(f->d, c, "SELECT 1");
    assert_string_equal(f->d->last_error(c)->code, "");
    f->d->close(c);
    assert_int_equal(f->d->last_error(NULL)->code[0], '\0');
    assert_int_equal(cnt.live, 0);
}

static void test_multi_statement_exec(void **state)
{
    FX;
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->d, &h, f->url);
    const char *sql = "CREATE TABLE m (x INTEGER);\n"
                      "INSERT INTO m VALUES (1);\n"
                      "INSERT INTO m VALUES (2), (3); -- a trailing comment\n"
                      "CREATE TRIGGER m_t AFTER INSERT ON m BEGIN SELECT 1; END;\n"
                      "PRAGMA user_version = 7;\n";
    int64_t n = -1;
    assert_int_equal(f->d->exec(c, sql, strlen(sql), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 3);
    rows r;
    assert_string_equal(query_text(f->d, c, "SELECT SUM(x) FROM m", &r), "6;");
    assert_string_equal(query_text(f->d, c, "PRAGMA user_version", &r), "7;");
    /* only white space and comments: nothing to do */
    assert_int_equal(f->d->exec(c, "  -- nothing\n", 13, &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    /* a failure in the middle stops there: the first statement ran */
    const char *half = "INSERT INTO m VALUES (4); SELECT nosuchcol FROM m; "
                       "INSERT INTO m VALUES (6)";
    assert_int_equal(f->d->exec(c, half, strlen(half), &n), DBMIG_DRV_ERROR);
    assert_int_equal(f->d->last_error(c)->position, 34);
    assert_string_equal(query_text(f->d, c, "SELECT SUM(x) FROM m", &r), "10;");
    f->d->close(c);
    assert_int_equal(cnt.live, 0);
}

static void test_lock_files(void **state)
{
    FX;
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->d, &h, f->url);
    int got = 0;
    char p[512], buf[128] = "";
    assert_int_equal(f->d->try_lock(c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
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
    assert_int_equal(f->d->try_lock(c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    /* a second key while holding one is refused with a message */
    assert_int_equal(f->d->try_lock(c, "x", &got, NULL, 0), DBMIG_DRV_ERROR);
    assert_true(f->d->last_error(c)->message[0] != '\0');
    assert_int_equal(f->d->unlock(c, "dbmig_version"), DBMIG_DRV_OK);
    /* other keys: sanitized suffix */
    assert_int_equal(f->d->try_lock(c, "main.my version/../x", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    snprintf(p, sizeof p, "%s.dbmig-lock-main_my_version____x", f->file);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(f->d->unlock(c, "main.my version/../x"), DBMIG_DRV_OK);
    /* unlock without a lock is harmless */
    assert_int_equal(f->d->unlock(c, "dbmig_version"), DBMIG_DRV_OK);
    f->d->close(c);

    /* memory databases: always acquired, no file */
    dbmig_conn *m1 = must_connect(f->d, &h, "sqlite::memory:");
    dbmig_conn *m2 = must_connect(f->d, &h, "sqlite::memory:");
    assert_int_equal(f->d->try_lock(m1, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    got = 0;
    assert_int_equal(f->d->try_lock(m2, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->d->unlock(m1, "dbmig_version"), DBMIG_DRV_OK);
    f->d->close(m1);
    f->d->close(m2);

    /* a folder where the lock file cannot be created: an error, not a hang */
    if (geteuid() != 0) {
        char ro[256], url[300];
        snprintf(ro, sizeof ro, "%s/ro", f->dir);
        assert_int_equal(mkdir(ro, 0700), 0);
        snprintf(url, sizeof url, "sqlite:%s/x.db", ro);
        c = must_connect(f->d, &h, url);
        must_exec(f->d, c, "CREATE TABLE t (x)");
        assert_int_equal(chmod(ro, 0500), 0);
        assert_int_equal(f->d->try_lock(c, "dbmig_version", &got, NULL, 0), DBMIG_DRV_ERROR);
        assert_contains(f->d->last_error(c)->message, ".dbmig-lock");
        assert_int_equal(chmod(ro, 0700), 0);
        f->d->close(c);
    }
    assert_int_equal(cnt.live, 0);
}

static void test_busy_timeout(void **state)
{
    FX;
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    char url[400];
    snprintf(url, sizeof url, "%s?busy_timeout=100", f->url);
    dbmig_conn *a = must_connect(f->d, &h, url);
    dbmig_conn *b = must_connect(f->d, &h, url);
    must_exec(f->d, a, "CREATE TABLE bt (x)");
    assert_int_equal(f->d->begin(a), DBMIG_DRV_OK);
    must_exec(f->d, a, "INSERT INTO bt VALUES (1)");
    double t0 = dm_now_ms();
    assert_int_equal(f->d->begin(b), DBMIG_DRV_ERROR); /* BEGIN IMMEDIATE waits, then gives up */
    double waited = dm_now_ms() - t0;
    assert_true(waited >= 80 && waited < 5000);
    assert_string_equal(f->d->last_error(b)->code, "5"); /* SQLITE_BUSY */
    assert_true(f->d->last_error(b)->hint[0] != '\0');
    assert_int_equal(f->d->commit(a), DBMIG_DRV_OK);
    assert_int_equal(f->d->begin(b), DBMIG_DRV_OK);
    assert_int_equal(f->d->rollback(b), DBMIG_DRV_OK);
    f->d->close(a);
    f->d->close(b);
    assert_int_equal(cnt.live, 0);
}

static void test_server_version(void **state)
{
    FX;
    counter cnt = {0, 0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->d, &h, "sqlite::memory:");
    char v[32] = "", v2[40] = "";
    assert_int_equal(f->d->server_version(c, v, sizeof v), DBMIG_DRV_OK);
    assert_true(strncmp(v, "3.", 2) == 0);
    rows r;
    snprintf(v2, sizeof v2, "%s;", v);
    assert_string_equal(query_text(f->d, c, "SELECT sqlite_version()", &r), v2);
    f->d->close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_dies_with_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_fill_details, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_statement_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_version, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
