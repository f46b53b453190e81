/* test_ddlretry.c — the executor's lock time-out retries (SPEC section 14,
 * exec.c + ddlwait.c), deterministic: the real SQLite plugin behind a
 * wrapper whose exec fails a statement containing "blocked" with a given
 * error kind for its first N runs, as a server would after
 * --ddl-lock-timeout. Checked from the events and the database:
 *   - a transactional step is rolled back, the step before it committed,
 *     and it runs again (RETRY events: attempt k of retries + 1);
 *   - retries used up: the run fails with "gave up after N retries",
 *     nothing of the step applied;
 *   - --single-transaction rolls back the whole run and runs it again;
 *   - outside a transaction only the blocked statement runs again; blocked
 *     at its first statement and given up on, the step leaves no row;
 *   - a statement time-out, or a lock time-out without --ddl-lock-timeout,
 *     is not retried;
 *   - a server without a statement time-out (conn_caps, MySQL 8) has
 *     --statement-timeout refused before anything runs. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "loader.h"

typedef struct wrap {
    dbmig_driver table;
    const dbmig_driver *real;
    int fail_left;       /* the next runs of a "blocked" statement that fail */
    uint32_t kind;       /* with this kind */
    int first_runs;      /* runs of a statement containing "first_" */
    dbmig_db_error err;
    const dbmig_conn *injected_on;
} wrap;

static int w_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *aff)
{
    wrap *w = self;
    w->injected_on = NULL;
    if (strstr(sql, "first_"))
        w->first_runs++;
    if (strstr(sql, "blocked") && w->fail_left > 0) {
        w->fail_left--;
        memset(&w->err, 0, sizeof w->err);
        w->err.kind = w->kind;
        snprintf(w->err.code, sizeof w->err.code, "FAKE");
        snprintf(w->err.message, sizeof w->err.message, "injected time-out");
        w->injected_on = c;
        return DBMIG_DRV_ERROR;
    }
    return w->real->exec(NULL, c, sql, len, aff);
}

static const dbmig_db_error *w_last_error(void *self, const dbmig_conn *c)
{
    wrap *w = self;
    return c && w->injected_on == c ? &w->err : w->real->last_error(NULL, c);
}

typedef struct fx {
    wrap w;
    dm_plugin *plugin;
    char dir[64], mig[96], url[160];
    int starts[8], done[8], rolled_back[8], retries;
    int attempt[16], attempts, transactional, stmt;
    char rb_text[256];
} fx;

static void on_event(void *p, const dbmig_event *ev)
{
    fx *f = p;
    int r = ev->revision ? atoi(ev->revision) : 0;
    if (r < 0 || r > 7)
        r = 0;
    if (ev->kind == DBMIG_EV_START)
        f->starts[r]++;
    else if (ev->kind == DBMIG_EV_DONE)
        f->done[r]++;
    else if (ev->kind == DBMIG_EV_ROLLED_BACK) {
        f->rolled_back[r]++;
        snprintf(f->rb_text, sizeof f->rb_text, "%s", ev->text ? ev->text : "");
    } else if (ev->kind == DBMIG_EV_RETRY) {
        if (f->retries < 16)
            f->attempt[f->retries] = ev->attempt;
        f->retries++;
        f->attempts = ev->attempts;
        f->transactional = ev->transactional;
        f->stmt = (int)ev->stmt;
        assert_null(ev->blocker); /* SQLite names no blocker */
        assert_true(ev->ms >= 0 && ev->ms <= 10000);
    }
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dm_err e = {0};
    if (!f || dm_plugin_load(DBMIG_PLUGIN_DIR, "sqlite", &f->plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "%s\n", dm_err_msg(&e));
        dm_err_free(&e);
        free(f);
        return -1;
    }
    f->w.real = dm_plugin_driver(f->plugin);
    f->w.table = *f->w.real;
    f->w.table.exec = w_exec;
    f->w.table.last_error = w_last_error;
    snprintf(f->dir, sizeof f->dir, "/tmp/dbmig-ddlretry-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->mig, sizeof f->mig, "%s/m", f->dir);
    mkdir(f->mig, 0755);
    snprintf(f->url, sizeof f->url, "sqlite:%s/t.db", f->dir);
    ut_write_file(f->mig, "001_a.sql", "-- dbmig:up\nCREATE TABLE a (id INTEGER);\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    int rc = ut_rmrf(f->dir);
    dm_plugin_unload(f->plugin);
    free(f);
    return rc;
}

/* A handle on f's folder with --ddl-lock-timeout (0: off) and retries. */
static dbmig *open_h(fx *f, int timeout_ms, int retries, int single)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->url;
    o.dir = f->mig;
    o.lock_timeout = 0;
    o.ddl_lock_timeout_ms = timeout_ms;
    o.ddl_retries = retries;
    o.single_transaction = single;
    o.on_event = on_event;
    o.event_payload = f;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    return h;
}

/* The one statement a blocked migration 002 runs. */
#define BLOCKED_B "-- dbmig:up\nCREATE TABLE blocked_b (id INTEGER);\n"

/* 002 as text, whose "blocked" statement fails its next fail_left runs
 * with kind; a handle as open_h's. */
static dbmig *open_blocked(fx *f, const char *text, int fail_left, uint32_t kind, int timeout_ms,
                           int retries, int single)
{
    ut_write_file(f->mig, "002_b.sql", text);
    f->w.fail_left = fail_left;
    f->w.kind = kind;
    return open_h(f, timeout_ms, retries, single);
}

static int count_row(void *p, int n, const char *const *v, const size_t *l)
{
    (void)n;
    (void)l;
    *(long *)p = v[0] ? atol(v[0]) : -1;
    return 0;
}

/* One number from the database, on h's connection. */
static long num(dbmig *h, const char *sql)
{
    long n = -2;
    assert_int_equal(h->drv->query(h->drv_self, h->conn, sql, count_row, &n), DBMIG_DRV_OK);
    return n;
}

static long has_table(dbmig *h, const char *t)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", t);
    return num(h, sql);
}

static long has_row(dbmig *h, const char *rev)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM dbmig_version WHERE revision = '%s'", rev);
    return num(h, sql);
}

static void test_tx_retried(void **state)
{
    fx *f = *state;
    dbmig *h = open_blocked(f, BLOCKED_B, 2, DBMIG_DB_ERR_LOCK_TIMEOUT, 1000, -1, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(f->retries, 2);
    assert_int_equal(f->attempt[0], 1);
    assert_int_equal(f->attempt[1], 2);
    assert_int_equal(f->attempts, 6); /* the default 5 retries */
    assert_int_equal(f->transactional, 1);
    assert_int_equal(f->stmt, 1);
    assert_int_equal(f->done[1], 1); /* 001 committed before 002 was retried */
    assert_int_equal(f->done[2], 1);
    assert_int_equal(f->starts[2], 1);
    assert_int_equal(has_table(h, "blocked_b"), 1);
    assert_int_equal(has_row(h, "002"), 1);
    dbmig_close(h);
}

static void test_tx_exhausted(void **state)
{
    fx *f = *state;
    dbmig *h = open_blocked(f, BLOCKED_B, 100, DBMIG_DB_ERR_LOCK_TIMEOUT, 1000, 2, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    const char *m = dbmig_errmsg(h);
    assert_non_null(strstr(m, "injected time-out"));
    assert_non_null(strstr(m, "gave up after 2 retries (--ddl-retries 2)"));
    assert_non_null(strstr(m, "run the command again once the lock is free"));
    assert_int_equal(f->retries, 2);
    assert_int_equal(f->w.fail_left, 100 - 3);
    assert_int_equal(has_row(h, "001"), 1);
    assert_int_equal(has_row(h, "002"), 0);
    assert_int_equal(has_table(h, "blocked_b"), 0);
    dbmig_close(h);
}

static void test_single_transaction(void **state)
{
    fx *f = *state;
    dbmig *h = open_blocked(f, BLOCKED_B, 1, DBMIG_DB_ERR_LOCK_TIMEOUT, 1000, -1, 1);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(f->retries, 1);
    assert_int_equal(f->rolled_back[1], 1); /* the whole run went back */
    assert_non_null(strstr(f->rb_text, "lock time-out"));
    assert_int_equal(f->starts[1], 2);       /* and ran again from the start */
    assert_int_equal(f->done[1], 1);
    assert_int_equal(f->done[2], 1);
    assert_int_equal(has_row(h, "001") + has_row(h, "002"), 2);
    assert_int_equal(has_table(h, "a"), 1);
    dbmig_close(h);
}

static void test_notx_statement_alone(void **state)
{
    fx *f = *state;
    dbmig *h = open_blocked(f,
                            "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE first_b (id "
                            "INTEGER);\nCREATE TABLE blocked_b (id INTEGER);\n",
                            2, DBMIG_DB_ERR_LOCK_TIMEOUT, 1000, -1, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(f->retries, 2);
    assert_int_equal(f->transactional, 0);
    assert_int_equal(f->stmt, 2);
    assert_int_equal(f->w.first_runs, 1); /* statement 1 never ran again */
    assert_int_equal(num(h, "SELECT dirty FROM dbmig_version WHERE revision = '002'"), 0);
    assert_int_equal(has_table(h, "blocked_b"), 1);
    dbmig_close(h);
}

static void test_notx_first_given_up(void **state)
{
    fx *f = *state;
    dbmig *h = open_blocked(f,
                            "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE blocked_b (id "
                            "INTEGER);\nCREATE TABLE c (id INTEGER);\n",
                            100, DBMIG_DB_ERR_LOCK_TIMEOUT, 1000, 0, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "gave up after 0 retries"));
    assert_non_null(strstr(dbmig_errmsg(h), "its dirty row was removed"));
    assert_int_equal(f->retries, 0);
    assert_int_equal(has_row(h, "002"), 0); /* a plain run applies it later */
    f->w.fail_left = 0;
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(has_row(h, "002"), 1);
    dbmig_close(h);
}

static void test_not_retried(void **state)
{
    fx *f = *state;
    dbmig *h = open_blocked(f, BLOCKED_B, 1, DBMIG_DB_ERR_STATEMENT_TIMEOUT, 1000, 5, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_int_equal(f->retries, 0);
    assert_null(strstr(dbmig_errmsg(h), "gave up"));
    dbmig_close(h);
    /* a lock time-out without --ddl-lock-timeout fails as any error */
    h = open_blocked(f, BLOCKED_B, 1, DBMIG_DB_ERR_LOCK_TIMEOUT, 0, 5, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_int_equal(f->retries, 0);
    assert_int_equal(has_row(h, "002"), 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
}

/* A MySQL 8 server (conn_caps: NO_STATEMENT_TIMEOUT) behind a driver whose
 * template exists for MariaDB: --statement-timeout is refused (usage)
 * before anything is read or written. */
static uint32_t w_caps_no_stmt_timeout(void *self, const dbmig_conn *c)
{
    wrap *w = self;
    (void)c;
    return w->real->caps | DBMIG_CAP_NO_STATEMENT_TIMEOUT;
}

static void test_statement_timeout_refused_by_server(void **state)
{
    fx *f = *state;
    dbmig_dialect_sql sql = *f->w.real->sql;
    sql.statement_timeout = "PRAGMA busy_timeout = {ms}"; /* stands for MariaDB's */
    f->w.table.sql = &sql;
    f->w.table.conn_caps = w_caps_no_stmt_timeout;
    dbmig *h = open_h(f, 0, -1, 0);
    h->o.statement_timeout_ms = 1000;
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "cannot honour --statement-timeout"));
    assert_int_equal(f->starts[1], 0);
    assert_int_equal(has_table(h, "dbmig_version"), 0); /* nothing written */
    h->o.statement_timeout_ms = 0;
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tx_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notx_statement_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notx_first_given_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_timeout_refused_by_server, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
