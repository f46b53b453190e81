/* test_engine.c — the engine (runs, transactions, group commit, the dirty
 * protocol, the lock loop, validation) driven through a wrapper driver: the
 * real SQLite plugin behind the real vtable, with every call counted and the
 * Nth call of a chosen function made to fail. Nothing is mocked but the
 * failures. */
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
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "exec.h"
#include "lock.h"
#include "loader.h"

/* ---- the wrapper driver ------------------------------------------------- */

enum { F_EXEC, F_QUERY, F_BEGIN, F_COMMIT, F_ROLLBACK, F_TRYLOCK, F_NFN };

typedef struct wrap {
    dbmig_driver table;  /* this wrapper's: the real one's, with the w_* methods */
    const dbmig_driver *real;
    void *inner;         /* the real driver's self (NULL: sqlite has no init) */
    int calls[F_NFN];
    int fail_fn, fail_at; /* fail the fail_at-th call of fail_fn (0: never) */
    int lock_busy;        /* try_lock reports "held" */
    dbmig_db_error err;
    int injected;         /* the last error was ours */
    /* Non-NULL: the real driver's errors get this detail and hint (as a
     * PostgreSQL server gives them; SQLite has neither). */
    const char *add_detail, *add_hint;
    dbmig_db_error decorated;
} wrap;

/* The wrapper's state is its self (driver ABI 2): dm_use_driver(h, &w->table,
 * w) hands it to the core, which passes it first to every method. */

static int inject(wrap *w, int fn)
{
    w->calls[fn]++;
    if (w->fail_fn == fn && w->calls[fn] == w->fail_at) {
        memset(&w->err, 0, sizeof w->err);
        snprintf(w->err.message, sizeof w->err.message, "injected failure of call %d", w->fail_at);
        snprintf(w->err.code, sizeof w->err.code, "FAKE");
        w->injected = 1;
        return 1;
    }
    w->injected = 0;
    return 0;
}

static int w_connect(void *self, const dbmig_host *h, const char *url, dbmig_conn **out, dbmig_db_error *e)
{
    wrap *w = self;
    return w->real->connect(w->inner, h, url, out, e);
}
static void w_close(void *self, dbmig_conn *c) { wrap *w = self; w->real->close(w->inner, c); }
static int w_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *aff)
{
    wrap *w = self;
    return inject(w, F_EXEC) ? DBMIG_DRV_ERROR : w->real->exec(w->inner, c, sql, len, aff);
}
static int w_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *p)
{
    wrap *w = self;
    return inject(w, F_QUERY) ? DBMIG_DRV_ERROR : w->real->query(w->inner, c, sql, fn, p);
}
static int w_begin(void *self, dbmig_conn *c) { wrap *w = self; return inject(w, F_BEGIN) ? DBMIG_DRV_ERROR : w->real->begin(w->inner, c); }
static int w_commit(void *self, dbmig_conn *c)
{
    wrap *w = self;
    return inject(w, F_COMMIT) ? DBMIG_DRV_ERROR : w->real->commit(w->inner, c);
}
static int w_rollback(void *self, dbmig_conn *c)
{
    wrap *w = self;
    inject(w, F_ROLLBACK);
    return w->real->rollback(w->inner, c);
}
static int w_try_lock(void *self, dbmig_conn *c, const char *key, int *acq, char *holder, size_t cap)
{
    wrap *w = self;
    if (inject(w, F_TRYLOCK))
        return DBMIG_DRV_ERROR;
    if (w->lock_busy) {
        *acq = 0;
        snprintf(holder, cap, "pid 4242 (test)");
        return DBMIG_DRV_OK;
    }
    return w->real->try_lock(w->inner, c, key, acq, holder, cap);
}
static int w_unlock(void *self, dbmig_conn *c, const char *key) { wrap *w = self; return w->real->unlock(w->inner, c, key); }
static int w_table_exists(void *self, dbmig_conn *c, const char *t, int *e)
{
    wrap *w = self;
    return w->real->table_exists(w->inner, c, t, e);
}
static int w_column_exists(void *self, dbmig_conn *c, const char *t, const char *col, int *e)
{
    wrap *w = self;
    return w->real->column_exists(w->inner, c, t, col, e);
}
static int w_index_exists(void *self, dbmig_conn *c, const char *t, const char *i, int *e, char *to, size_t n)
{
    wrap *w = self;
    return w->real->index_exists(w->inner, c, t, i, e, to, n);
}
static size_t w_qi(void *self, const dbmig_conn *c, const char *in, size_t n, char *out, size_t cap)
{
    wrap *w = self;
    return w->real->quote_ident(w->inner, c, in, n, out, cap);
}
static size_t w_ql(void *self, const dbmig_conn *c, const char *in, size_t n, char *out, size_t cap)
{
    wrap *w = self;
    return w->real->quote_literal(w->inner, c, in, n, out, cap);
}
static const dbmig_db_error *w_last_error(void *self, const dbmig_conn *c)
{
    wrap *w = self;
    const dbmig_db_error *e = w->injected ? &w->err : w->real->last_error(w->inner, c);
    if (!e || (!w->add_detail && !w->add_hint))
        return e;
    w->decorated = *e;
    snprintf(w->decorated.detail, sizeof w->decorated.detail, "%s", w->add_detail ? w->add_detail : "");
    snprintf(w->decorated.hint, sizeof w->decorated.hint, "%s", w->add_hint ? w->add_hint : "");
    return &w->decorated;
}
static int w_server_version(void *self, dbmig_conn *c, char *out, size_t cap)
{
    wrap *w = self;
    return w->real->server_version(w->inner, c, out, cap);
}



/* ---- fixture ------------------------------------------------------------------ */

typedef struct fx {
    wrap w;
    dm_plugin *plugin;
    char dir[64];
    char db[128];
    char url[160];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    dm_err e = {0};
    if (dm_plugin_load(DBMIG_PLUGIN_DIR, "sqlite", &f->plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "%s\n", dm_err_msg(&e));
        dm_err_free(&e);
        free(f);
        return -1;
    }
    dm_err_free(&e);
    f->w.real = dm_plugin_driver(f->plugin);
    f->w.table = *f->w.real;
    f->w.table.connect = w_connect;
    f->w.table.close = w_close;
    f->w.table.exec = w_exec;
    f->w.table.query = w_query;
    f->w.table.begin = w_begin;
    f->w.table.commit = w_commit;
    f->w.table.rollback = w_rollback;
    f->w.table.try_lock = w_try_lock;
    f->w.table.unlock = w_unlock;
    f->w.table.table_exists = w_table_exists;
    f->w.table.column_exists = w_column_exists;
    f->w.table.index_exists = w_index_exists;
    f->w.table.quote_ident = w_qi;
    f->w.table.quote_literal = w_ql;
    f->w.table.last_error = w_last_error;
    f->w.table.server_version = w_server_version;
    snprintf(f->dir, sizeof f->dir, "/tmp/dbmig-engine-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    mkdir(mig, 0755);
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->db);
    /* Five migrations, each a table and a row; 003 has two statements. */
    for (int i = 1; i <= 5; i++) {
        char name[32], body[512];
        snprintf(name, sizeof name, "%03d_t%d.sql", i, i);
        snprintf(body, sizeof body,
                 "-- dbmig:up\nCREATE TABLE t%d (id INTEGER);\n%s"
                 "-- dbmig:down\nDROP TABLE t%d;\n",
                 i, i == 3 ? "INSERT INTO t3 VALUES (3);\n" : "", i);
        ut_write_file(mig, name, body);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (ut_rmrf(f->dir) != 0)
        return -1;
    dm_plugin_unload(f->plugin);
    free(f);
    return 0;
}

/* A handle on the fixture's database and folder (m/) through the wrapped
 * driver, with o's other settings. */
static dbmig *open_with(fx *f, dbmig_options o)
{
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    o.url = f->url;
    o.dir = mig;
    o.lock_timeout = 0;
    dbmig *h;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    return h;
}

static dbmig *open_h(fx *f, int commit_interval, int single)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.commit_interval_ms = commit_interval;
    o.single_transaction = single;
    return open_with(f, o);
}

/* Applied revisions according to the version table, as a bit mask
 * (bit i = revision 00i), and the tables that exist, the same way. */
static unsigned applied_mask(fx *f)
{
    dbmig *h = open_h(f, 200, 0);
    dbmig_status *st;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    unsigned m = 0;
    for (size_t i = 0; i < st->nrevs; i++) {
        assert_false(st->revs[i].flags & DBMIG_REV_DIRTY);
        if (st->revs[i].flags & DBMIG_REV_APPLIED)
            m |= 1u << atoi(st->revs[i].revision);
    }
    dbmig_status_free(st);
    dbmig_close(h);
    return m;
}

static unsigned table_mask(fx *f)
{
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dm_need_conn(h), DBMIG_OK);
    unsigned m = 0;
    for (int i = 1; i <= 5; i++) {
        char t[8];
        int e = 0;
        snprintf(t, sizeof t, "t%d", i);
        assert_int_equal(h->drv->table_exists(h->drv_self, h->conn, t, &e), DBMIG_DRV_OK);
        if (e)
            m |= 1u << i;
    }
    dbmig_close(h);
    return m;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_upgrade_and_downgrade(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);
    assert_int_equal(table_mask(f), 0x3e);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "002", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x06);
    assert_int_equal(table_mask(f), 0x06);
    size_t pending = 99;
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_pending(h, &pending), DBMIG_OK);
    assert_int_equal(pending, 3);
    dbmig_close(h);
}

static void test_group_commit_counts(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 60000, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(f->w.calls[F_BEGIN], 1); /* five migrations, one commit */
    assert_int_equal(f->w.calls[F_COMMIT], 1);

    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
    dbmig_close(h);
    memset(f->w.calls, 0, sizeof f->w.calls);
    h = open_h(f, 0, 0); /* --commit-interval 0: a commit per migration */
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(f->w.calls[F_COMMIT], 5);
}

static void test_failure_in_k_keeps_earlier(void **state)
{
    fx *f = *state;
    /* Break 004 so that it fails on its statement. */
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "004_t4.sql", "-- dbmig:up\nCREATE TABLE t4 (id INTEGER);\nINSERT INTO nope VALUES (1);\n-- dbmig:down\nDROP TABLE t4;\n");
    for (int interval = 0; interval <= 1; interval++) {
        dbmig *h = open_h(f, interval ? 60000 : 0, 0);
        assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
        const char *msg = dbmig_errmsg(h);
        assert_non_null(strstr(msg, "004_t4.sql:3"));
        assert_non_null(strstr(msg, "no such table: nope"));
        assert_non_null(strstr(msg, "nothing of 004"));
        dbmig_close(h);
        assert_int_equal(applied_mask(f), 0x0e);
        assert_int_equal(table_mask(f), 0x0e);
        h = open_h(f, 0, 0);
        assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
        dbmig_close(h);
    }
}

/* A driver without savepoints: grouping would make a failure roll back
 * the earlier migrations of the group too, so each commits alone. */
static void test_no_savepoints_commits_each(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "004_t4.sql", "CREATE TABLE t4 (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
    f->w.table.caps &= ~(uint32_t)DBMIG_CAP_SAVEPOINTS;
    dbmig *h = open_h(f, 60000, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    dbmig_close(h);
    f->w.table.caps |= DBMIG_CAP_SAVEPOINTS;
    assert_int_equal(f->w.calls[F_COMMIT], 3);
    assert_int_equal(applied_mask(f), 0x0e);
    assert_int_equal(table_mask(f), 0x0e);
}

static void test_single_transaction_all_or_nothing(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "005_t5.sql", "CREATE TABLE t5 (id INTEGER);\nSELECT * FROM nope;\n");
    dbmig *h = open_h(f, 0, 1);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "single-transaction"));
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0);
    assert_int_equal(table_mask(f), 0);
}

/* Every exec/commit/begin of an upgrade fails once, in turn. After each
 * failure the version table must agree with the schema, and a clean re-run
 * must complete. */
static void test_fault_injection_every_call(void **state)
{
    fx *f = *state;
    const int fns[] = {F_EXEC, F_BEGIN, F_COMMIT, F_QUERY, F_TRYLOCK};
    int runs = 0;
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
        for (int n = 1;; n++) {
            unlink(f->db);
            dbmig *h = open_h(f, k % 2 ? 0 : 60000, 0);
            memset(f->w.calls, 0, sizeof f->w.calls);
            f->w.fail_fn = fns[k];
            f->w.fail_at = n;
            int rc = dbmig_upgrade(h, "head", 0);
            int reached = f->w.calls[fns[k]] >= n;
            f->w.fail_fn = -1;
            f->w.fail_at = 0;
            if (reached) {
                assert_int_not_equal(rc, DBMIG_OK);
                assert_non_null(strstr(dbmig_errmsg(h), "injected failure"));
            }
            dbmig_close(h);
            runs++;
            assert_int_equal(applied_mask(f), table_mask(f));
            h = open_h(f, 200, 0);
            assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
            dbmig_close(h);
            assert_int_equal(applied_mask(f), 0x3e);
            if (!reached)
                break;
        }
    }
    assert_true(runs > 20);
}

static void test_lock_timeout(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 200, 0);
    f->w.lock_busy = 1;
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ELOCKED);
    assert_non_null(strstr(dbmig_errmsg(h), "pid 4242"));
    f->w.lock_busy = 0;
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0);
}

/* dbmig_last_error's kind, detail and hint: each kind from a real failure. */
static dbmig_error_info last_error_of(const dbmig *h)
{
    dbmig_error_info e = DBMIG_ERROR_INFO_INIT;
    assert_int_equal(dbmig_last_error(h, &e), DBMIG_OK);
    assert_string_equal(e.message, dbmig_errmsg(h));
    return e;
}

static void test_error_kinds(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    /* DATABASE: a statement refused, with the database's detail and hint,
     * which the message keeps as before. */
    ut_write_file(mig, "004_t4.sql", "-- dbmig:up\nCREATE TABLE t4 (id INTEGER);\n"
                                  "INSERT INTO nope VALUES (1);\n");
    f->w.add_detail = "the detail";
    f->w.add_hint = "the hint";
    dbmig *h = open_h(f, 0, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    dbmig_error_info e = last_error_of(h);
    assert_int_equal(e.kind, DBMIG_KIND_DATABASE);
    assert_string_equal(e.revision, "004");
    assert_int_equal(e.line, 3);
    assert_string_equal(e.detail, "the detail");
    assert_string_equal(e.hint, "the hint");
    assert_non_null(strstr(e.message, "no such table: nope [1]\n  detail: the detail\n  hint: the hint\n"));
    /* SQLite's own: a detail (its result code), no hint: NULL, not "". */
    f->w.add_detail = f->w.add_hint = NULL;
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    e = last_error_of(h);
    assert_int_equal(e.kind, DBMIG_KIND_DATABASE);
    assert_non_null(e.detail);
    assert_non_null(strstr(e.detail, "SQLITE_ERROR"));
    assert_non_null(strstr(e.message, e.detail));
    assert_null(e.hint);
    /* A driver call that fails outside a statement (a commit): DATABASE. */
    dbmig_close(h);
    ut_write_file(mig, "004_t4.sql", "CREATE TABLE t4 (id INTEGER);\n");
    h = open_h(f, 0, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    f->w.fail_fn = F_COMMIT;
    f->w.fail_at = 1;
    f->w.add_detail = "commit detail";
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    f->w.fail_fn = -1;
    f->w.add_detail = NULL;
    e = last_error_of(h);
    assert_int_equal(e.kind, DBMIG_KIND_DATABASE);
    assert_non_null(strstr(e.message, "injected failure of call 1 [FAKE]\n  detail: commit detail"));
    assert_string_equal(e.detail, "commit detail");
    assert_null(e.hint);
    assert_string_equal(e.db_code, "FAKE"); /* no statement's, yet the database's */
    assert_null(e.revision);
    /* USAGE: an unknown target; nothing of the last failure stays. */
    assert_int_equal(dbmig_upgrade(h, "no_such_target", 0), DBMIG_EUSAGE);
    e = last_error_of(h);
    assert_int_equal(e.kind, DBMIG_KIND_USAGE);
    assert_null(e.detail);
    assert_null(e.hint);
    /* NONE after a success. */
    size_t pending = 0;
    assert_int_equal(dbmig_pending(h, &pending), DBMIG_OK);
    assert_int_equal(last_error_of(h).kind, DBMIG_KIND_NONE);
    dbmig_close(h);
    /* LOCK: the lock is held elsewhere. */
    h = open_h(f, 0, 0);
    f->w.lock_busy = 1;
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ELOCKED);
    f->w.lock_busy = 0;
    assert_int_equal(last_error_of(h).kind, DBMIG_KIND_LOCK);
    /* INTERRUPTED: a requested stop. */
    dbmig_interrupt(h);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINTERRUPTED);
    assert_int_equal(last_error_of(h).kind, DBMIG_KIND_INTERRUPTED);
    dbmig_close(h);
    /* INVALID: a file that does not parse. */
    ut_write_file(mig, "006_bad.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:bogus\n");
    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINVALID);
    e = last_error_of(h);
    assert_int_equal(e.kind, DBMIG_KIND_INVALID);
    assert_non_null(strstr(e.message, "006_bad.sql:3:"));
    dbmig_close(h);
}

static void test_checksum_validation(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "002", 0), DBMIG_OK);
    dbmig_close(h);
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "001_t1.sql", "-- dbmig:up\nCREATE TABLE t1 (id INTEGER, x INTEGER);\n-- dbmig:down\nDROP TABLE t1;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINVALID);
    assert_non_null(strstr(dbmig_errmsg(h), "001_t1.sql"));
    assert_non_null(strstr(dbmig_errmsg(h), "repair --checksums"));
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x06);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_CHECKSUMS, NULL), DBMIG_OK);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);
}

static void test_dirty_protocol_and_resume(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\n"
               "INSERT INTO t3 VALUES (1);\nINSERT INTO missing_table VALUES (2);\n"
               "INSERT INTO t3 VALUES (3);\n-- dbmig:down\nDROP TABLE t3;\n");
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    const char *msg = dbmig_errmsg(h);
    assert_non_null(strstr(msg, "003_t3.sql:5"));
    assert_non_null(strstr(msg, "statements 1..2 of 003 were committed"));
    assert_non_null(strstr(msg, "--resume"));
    dbmig_close(h);

    h = open_h(f, 200, 0);
    dbmig_status *st;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_int_equal(st->dirty, 1);
    assert_string_equal(st->revs[2].revision, "003");
    assert_int_equal(st->revs[2].progress, 2);
    dbmig_status_free(st);
    /* A plain upgrade refuses. */
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINVALID);
    assert_non_null(strstr(dbmig_errmsg(h), "dirty"));
    dbmig_close(h);

    /* Fix the cause: the committed statements are unchanged, so resume runs
     * statement 3 onwards, then the rest. */
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\n"
               "INSERT INTO t3 VALUES (1);\nINSERT INTO t3 VALUES (2);\n"
               "INSERT INTO t3 VALUES (3);\n-- dbmig:down\nDROP TABLE t3;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_RESUME), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);

    /* Resume refuses when committed statements changed. */
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "002", 0), DBMIG_OK);
    dbmig_close(h);
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\n"
               "INSERT INTO nope VALUES (1);\n-- dbmig:down\nDROP TABLE t3;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "003", 0), DBMIG_ERROR);
    dbmig_close(h);
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE t3 (id INTEGER, y INTEGER);\n"
               "INSERT INTO t3 VALUES (1, 1);\n-- dbmig:down\nDROP TABLE t3;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_RESUME), DBMIG_EINVALID);
    assert_non_null(strstr(dbmig_errmsg(h), "were changed"));
    /* Settle it by hand. */
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "003"), DBMIG_OK);
    dbmig_close(h);
}

static void test_stamp(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 200, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_stamp(h, "003"), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x0e);
    assert_int_equal(table_mask(f), 0); /* no migration SQL ran */
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_stamp(h, "base"), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0);
}

/* --phase pre through the library (SPEC section 14): upgrade, pending and
 * check honour dbmig_options.phase. 004 is post; 005 first follows it. */
static dbmig *open_phase(fx *f, dbmig_phase phase)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.phase = phase;
    return open_with(f, o);
}

static size_t pending_in(fx *f, dbmig_phase phase)
{
    size_t n = 99;
    dbmig *h = open_phase(f, phase);
    assert_int_equal(dbmig_pending(h, &n), DBMIG_OK);
    dbmig_close(h);
    return n;
}

static void test_phase_pre(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "004_t4.sql", "-- dbmig:phase post\n-- dbmig:up\nCREATE TABLE t4 (id INTEGER);\n");
    dbmig *h = open_phase(f, DBMIG_PHASE_PRE);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINVALID); /* 005 needs 004 */
    assert_non_null(strstr(dbmig_errmsg(h), "cannot apply 005 (005_t5.sql): it needs 004"));
    assert_int_equal(dbmig_upgrade(h, "003", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x0e);
    assert_int_equal(pending_in(f, DBMIG_PHASE_PRE), 1); /* 005 */
    assert_int_equal(pending_in(f, DBMIG_PHASE_ALL), 2);
    /* 005 on its own branch: applied by --phase pre, 004 left pending */
    ut_write_file(mig, "005_t5.sql", "-- dbmig:parents 003\n-- dbmig:up\nCREATE TABLE t5 (id INTEGER);\n");
    h = open_phase(f, DBMIG_PHASE_PRE);
    assert_int_equal(dbmig_upgrade(h, "heads", 0), DBMIG_OK);
    dbmig_check_result *res = NULL;
    assert_int_equal(dbmig_check(h, &res), DBMIG_OK); /* the readiness gate passes */
    assert_non_null(res);
    assert_int_equal(res->nproblems, 0);
    for (size_t i = 0; i < res->status->nrevs; i++)
        assert_int_equal(!!(res->status->revs[i].flags & DBMIG_REV_POST),
                         strcmp(res->status->revs[i].revision, "004") == 0);
    dbmig_check_free(res);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x2e);
    assert_int_equal(pending_in(f, DBMIG_PHASE_PRE), 0);
    assert_int_equal(pending_in(f, DBMIG_PHASE_POST), 1);
    h = open_phase(f, DBMIG_PHASE_ALL);
    assert_int_equal(dbmig_check(h, NULL), DBMIG_EINVALID); /* 004 pending */
    assert_int_equal(dbmig_upgrade(h, "heads", 0), DBMIG_OK);
    assert_int_equal(dbmig_check(h, NULL), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);
    assert_int_equal(pending_in(f, DBMIG_PHASE_PRE), 0); /* 004 applied is not counted twice */
}

static int sink(void *payload, const char *data, size_t len)
{
    return dm_buf_append(payload, data, len);
}

static void test_offline_script(void **state)
{
    fx *f = *state;
    dbmig_options o = DBMIG_OPTIONS_INIT;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    o.url = f->url;
    o.dir = mig;
    dm_buf out = {0};
    o.sql_out = sink;
    o.sql_payload = &out;
    dbmig *h;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    assert_int_equal(dbmig_upgrade(h, "002:head", 0), DBMIG_OK);
    const char *s = dm_buf_str(&out);
    assert_non_null(strstr(s, "CREATE TABLE IF NOT EXISTS \"dbmig_version\""));
    assert_null(strstr(s, "CREATE TABLE t2")); /* FROM 002: already applied */
    assert_non_null(strstr(s, "CREATE TABLE t3"));
    assert_non_null(strstr(s, "SELECT '005'"));
    /* Offline downgrade needs FROM. */
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_EUSAGE);
    dm_buf_reset(&out);
    assert_int_equal(dbmig_downgrade(h, "head:003", 0), DBMIG_OK);
    assert_non_null(strstr(dm_buf_str(&out), "DROP TABLE t5"));
    assert_null(strstr(dm_buf_str(&out), "DROP TABLE t3"));
    dbmig_close(h);
    dm_buf_free(&out);
    struct stat sb;
    assert_int_not_equal(stat(f->db, &sb), 0); /* never connected */
    assert_int_equal(f->w.calls[F_EXEC] + f->w.calls[F_QUERY], 0);
}

/* With DBMIG_CAP_MULTI_STATEMENT a transactional migration goes as one
 * exec; a failure is still pinned to its statement (by the error position,
 * or by re-running the statements one at a time when there is none). */
static void test_batched_steps(void **state)
{
    fx *f = *state;
    f->w.table.caps |= DBMIG_CAP_MULTI_STATEMENT;
    dbmig *h = open_h(f, 60000, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    /* create the version table + one per migration */
    assert_int_equal(f->w.calls[F_EXEC], 1 + 5);
    assert_int_equal(applied_mask(f), 0x3e);
    assert_int_equal(table_mask(f), 0x3e);
    h = open_h(f, 60000, 0);
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(table_mask(f), 0);

    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    /* A syntax error: the database gives a position. */
    ut_write_file(mig, "004_t4.sql", "-- dbmig:up\nCREATE TABLE t4 (id INTEGER);\n\nINSERT INTO t4\n  VALUES (1,, 2);\n-- dbmig:down\nDROP TABLE t4;\n");
    h = open_h(f, 60000, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "004_t4.sql:5: statement 2 of 2"));
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x0e);
    assert_int_equal(table_mask(f), 0x0e);
    /* Positions count characters: multi-byte text before the error must
     * not shift the line. */
    ut_write_file(mig, "004_t4.sql", "-- dbmig:up\nCREATE TABLE t4 (id INTEGER, n TEXT DEFAULT '\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9');\n"
                                  "INSERT INTO t4 VALUES ('\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac', 1);\n\nINSERT INTO t4\n  VALUES (1,, 2);\n"
                                  "-- dbmig:down\nDROP TABLE t4;\n");
    h = open_h(f, 60000, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "004_t4.sql:6: statement 3 of 3"));
    dbmig_close(h);
    f->w.table.caps &= ~(uint32_t)DBMIG_CAP_MULTI_STATEMENT;
    h = open_h(f, 60000, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "004_t4.sql:6: statement 3 of 3"));
    dbmig_close(h);
    f->w.table.caps |= DBMIG_CAP_MULTI_STATEMENT;
    /* A run-time error without a position: found by re-running. */
    ut_write_file(mig, "004_t4.sql", "-- dbmig:up\nCREATE TABLE t4 (id INTEGER PRIMARY KEY);\nINSERT INTO t4 VALUES (1);\nINSERT INTO t4 VALUES (1);\n-- dbmig:down\nDROP TABLE t4;\n");
    h = open_h(f, 60000, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "004_t4.sql:4: statement 3 of 3"));
    assert_non_null(strstr(dbmig_errmsg(h), "UNIQUE"));
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x0e);
    assert_int_equal(table_mask(f), 0x0e);
    f->w.table.caps &= ~(uint32_t)DBMIG_CAP_MULTI_STATEMENT;
}

/* ---- issue 13: dry runs, refusals before anything is created, commands
 * that would act on the wrong thing -------------------------------------------- */

static dbmig *open_opts(fx *f, int dry, const char *table)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.dry_run = dry;
    o.table = table;
    return open_with(f, o);
}

static int db_exists(const fx *f)
{
    struct stat sb;
    return stat(f->db, &sb) == 0;
}

/* The version table's rows, as "rev:checksum-prefix:dirty,..." */
static int rows_cb(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)lens;
    dm_buf *b = payload;
    for (int i = 0; i < ncols; i++)
        dm_buf_printf(b, "%s%s", v[i] ? v[i] : "NULL", i + 1 < ncols ? ":" : ",");
    return 0;
}

static char *vrows(fx *f)
{
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
    dm_buf b = {0};
    int e = 0;
    assert_int_equal(h->drv->table_exists(h->drv_self, h->conn, "dbmig_version", &e), DBMIG_DRV_OK);
    if (!e)
        dm_buf_puts(&b, "<no version table>");
    else
        assert_int_equal(h->drv->query(h->drv_self, h->conn,
                                       "SELECT revision, checksum, dirty, progress, seq FROM "
                                       "dbmig_version ORDER BY seq",
                                       rows_cb, &b),
                         DBMIG_DRV_OK);
    dbmig_close(h);
    return dm_buf_take(&b);
}

/* Every writing command under --dry-run: no exec, no transaction, no lock,
 * the version table exactly as it was (and not created when missing). */
static void test_dry_run_never_writes(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    /* a fresh database: a dry upgrade creates no version table */
    dbmig *h = open_opts(f, 1, NULL);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(dbmig_stamp(h, "head"), DBMIG_OK);
    /* refused as the real one is: no database, no version table to repair */
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_CHECKSUMS, NULL), DBMIG_ERROR);
    dbmig_close(h);
    assert_int_equal(f->w.calls[F_EXEC] + f->w.calls[F_BEGIN] + f->w.calls[F_TRYLOCK], 0);
    char *before = vrows(f), *after;
    assert_string_equal(before, "<no version table>");
    free(before);

    /* 001, 002 applied; 003 dirty (outside a transaction, failed at 2) */
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\n"
               "INSERT INTO missing_table VALUES (2);\n-- dbmig:down\nDROP TABLE t3;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    dbmig_close(h);
    /* 001 edited since */
    ut_write_file(mig, "001_t1.sql",
               "-- dbmig:up\nCREATE TABLE t1 (id INTEGER, x INTEGER);\n-- dbmig:down\nDROP TABLE t1;\n");
    before = vrows(f);
    static const struct {
        int what;
        const char *id;
    } repairs[] = {{DBMIG_REPAIR_CHECKSUMS, NULL},
                   {DBMIG_REPAIR_APPLIED, "003"},
                   {DBMIG_REPAIR_REVERTED, "003"}};
    for (size_t k = 0; k < 3; k++) {
        h = open_opts(f, 1, NULL);
        memset(f->w.calls, 0, sizeof f->w.calls);
        assert_int_equal(dbmig_repair(h, repairs[k].what, repairs[k].id), DBMIG_OK);
        dbmig_close(h);
        assert_int_equal(f->w.calls[F_EXEC] + f->w.calls[F_BEGIN] + f->w.calls[F_TRYLOCK], 0);
        after = vrows(f);
        assert_string_equal(after, before);
        free(after);
    }
    /* settle 003 and accept 001, for real, then dry downgrade and stamp */
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "003"), DBMIG_OK);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_CHECKSUMS, NULL), DBMIG_OK);
    dbmig_close(h);
    free(before);
    before = vrows(f);
    h = open_opts(f, 1, NULL);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
    assert_int_equal(dbmig_stamp(h, "005"), DBMIG_OK);
    assert_int_equal(dbmig_stamp(h, "base"), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(f->w.calls[F_EXEC] + f->w.calls[F_BEGIN] + f->w.calls[F_TRYLOCK], 0);
    after = vrows(f);
    assert_string_equal(after, before);
    free(after);
    free(before);
}

/* A target that cannot be resolved is refused before connecting: the
 * SQLite file is not created, nor the version table. */
static void test_bad_target_creates_nothing(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "nosuch", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "unknown revision 'nosuch'"));
    assert_int_equal(dbmig_downgrade(h, "nosuch", 0), DBMIG_EUSAGE);
    assert_int_equal(dbmig_stamp(h, "nosuch"), DBMIG_EUSAGE);
    assert_int_equal(dbmig_upgrade(h, "-1", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "dbmig downgrade -1"));
    assert_int_equal(dbmig_downgrade(h, "+1", 0), DBMIG_EUSAGE);
    assert_int_equal(dbmig_upgrade(h, "+0", 0), DBMIG_EUSAGE);
    assert_int_equal(dbmig_upgrade(h, "00", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "ambiguous"));
    dbmig_close(h);
    /* two heads: head is ambiguous for upgrade, downgrade and stamp */
    ut_write_file(mig, "006_side.sql",
               "-- dbmig:parents 004\n-- dbmig:up\nCREATE TABLE t6 (id INTEGER);\n"
               "-- dbmig:down\nDROP TABLE t6;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "several heads"));
    assert_int_equal(dbmig_downgrade(h, "head", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "several heads"));
    assert_int_equal(dbmig_stamp(h, "head"), DBMIG_EUSAGE);
    dbmig_close(h);
    assert_false(db_exists(f));
    /* with a database: refusals leave no version table behind */
    h = open_h(f, 200, 0);
    /* no database yet: downgrade has nothing to revert, creates nothing */
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "only `dbmig upgrade` creates"));
    assert_false(db_exists(f));
    assert_int_equal(dbmig_upgrade(h, "base", 0), DBMIG_OK); /* creates it */
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK); /* nothing to do */
    assert_int_equal(dbmig_downgrade(h, "-1", 0), DBMIG_EUSAGE);
    assert_int_equal(dbmig_downgrade(h, "002", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "nothing is applied"));
    dbmig_close(h);
    char *rows = vrows(f);
    assert_string_equal(rows, "<no version table>");
    free(rows);
}

/* downgrade X where X is not applied: exit 2 naming X and the applied
 * heads; <id>-N and <id>+N work for both commands. */
static void test_downgrade_targets(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "003-1", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x06);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "004", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "cannot downgrade to 004"));
    assert_non_null(strstr(dbmig_errmsg(h), "the applied head is 002"));
    assert_int_equal(dbmig_downgrade(h, "head", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "not applied"));
    assert_int_equal(dbmig_downgrade(h, "001+1", 0), DBMIG_OK); /* down to 002: nothing */
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(dbmig_downgrade(h, "002+1", 0), DBMIG_OK); /* down to 003 */
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x0e);
    assert_int_equal(table_mask(f), 0x0e);
}

/* downgrade -1 when the most recently applied revision has no file: it
 * reverted the one before it; now exit 3 naming it and the fixes. */
static void test_downgrade_last_without_file(void **state)
{
    fx *f = *state;
    char mig[96], path[160];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    snprintf(path, sizeof path, "%s/005_t5.sql", mig);
    assert_int_equal(unlink(path), 0);
    char *before = vrows(f);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "-1", 0), DBMIG_EINVALID);
    const char *m = dbmig_errmsg(h);
    assert_non_null(strstr(m, "the most recently applied revision, 005, has no file"));
    assert_non_null(strstr(m, "dbmig repair --reverted 005"));
    assert_int_equal(dbmig_downgrade(h, "-2", 0), DBMIG_EINVALID);
    assert_int_equal(dbmig_stamp(h, "-1"), DBMIG_EINVALID);
    dbmig_close(h);
    char *after = vrows(f);
    assert_string_equal(after, before);
    free(after);
    assert_int_equal(table_mask(f), 0x3e);
    /* the fix: remove the row (a dry run first changes nothing) */
    h = open_opts(f, 1, NULL);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "005"), DBMIG_OK);
    dbmig_close(h);
    after = vrows(f);
    assert_string_equal(after, before);
    free(after);
    free(before);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_APPLIED, "004"), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "not dirty"));
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "004"), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "dbmig downgrade"));
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "zzz"), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "unknown revision 'zzz'"));
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "005"), DBMIG_OK);
    assert_int_equal(dbmig_downgrade(h, "-1", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x0e);
    assert_int_equal(table_mask(f), 0x2e); /* 004 reverted; t5 was never reverted */
}

/* A missing ancestor stops downgrade too (SPEC section 4), unless
 * --allow-missing. */
static void test_downgrade_missing_ancestor(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    /* a file merged late: 001a sorts between 001 and 002 and becomes 002's parent
     * (not 0025: name order against number order is refused, test_graph_names) */
    ut_write_file(mig, "001a_late.sql",
               "-- dbmig:up\nCREATE TABLE late (id INTEGER);\n-- dbmig:down\nDROP TABLE late;\n");
    char *before = vrows(f);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "-1", 0), DBMIG_EINVALID);
    const char *m = dbmig_errmsg(h);
    assert_non_null(strstr(m, "revision 001a ("));
    assert_non_null(strstr(m, "dbmig upgrade --allow-missing"));
    assert_non_null(strstr(m, "dbmig downgrade --allow-missing"));
    dbmig_close(h);
    char *after = vrows(f);
    assert_string_equal(after, before);
    free(after);
    free(before);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "-1", DBMIG_ALLOW_MISSING), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(table_mask(f), 0x1e);
}

/* --table main.t on SQLite is t (reads and writes meet); another schema is
 * refused before anything is created. */
static void test_qualified_table(void **state)
{
    fx *f = *state;
    dbmig *h = open_opts(f, 0, "other.dbmig_version");
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "use --table dbmig_version"));
    dbmig_close(h);
    assert_false(db_exists(f));
    for (int run = 0; run < 2; run++) {
        h = open_opts(f, 0, "main.dbmig_version");
        assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
        dbmig_close(h);
    }
    assert_int_equal(applied_mask(f), 0x3e);
    h = open_opts(f, 0, "MAIN.dbmig_version");
    assert_int_equal(dbmig_downgrade(h, "-1", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x1e);
}

/* stamp: +N / -N; nothing to change writes nothing. */
static void test_stamp_relative(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_stamp(h, "base"), DBMIG_OK); /* nothing to change */
    dbmig_close(h);
    char *rows = vrows(f);
    assert_string_equal(rows, "<no version table>");
    free(rows);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_stamp(h, "+2"), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x06);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_stamp(h, "-1"), DBMIG_OK);
    assert_int_equal(dbmig_stamp(h, "-2"), DBMIG_EUSAGE);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x02);
    assert_int_equal(table_mask(f), 0);
}

/* A URL the driver itself rejects is a usage error (exit 2). */
static void test_bad_url_is_usage(void **state)
{
    fx *f = *state;
    snprintf(f->url, sizeof f->url, "sqlite:%s?no_such_option=1", f->db);
    dbmig *h = open_h(f, 200, 0);
    dbmig_status *st = NULL;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "bad database URL"));
    dbmig_close(h);
}

static int count_rows(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)ncols;
    (void)lens;
    *(long long *)payload = v[0] ? atoll(v[0]) : -1;
    return 0;
}

static long long scalar(dbmig *h, const char *sql)
{
    long long out = -1;
    assert_int_equal(h->drv->query(h->drv_self, h->conn, sql, count_rows, &out), DBMIG_DRV_OK);
    return out;
}

static dbmig *open_lease(fx *f, double timeout)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    o.url = f->url;
    o.dir = mig;
    o.lock_timeout = timeout;
    o.lock = DBMIG_LOCK_LEASE;
    o.lease_seconds = 2; /* renewed every 667 ms: a loaded machine may be late by a second */
    dbmig *h;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    assert_int_equal(dm_need_conn(h), DBMIG_OK);
    return h;
}

/* The lease lock: exclusion, renewal past the lease length, take-over only
 * after expiry, and the fence noticing a lost lease. */
/* A driver that gives no lease SQL (driver.h, dbmig_dialect_sql) is never
 * handed another dialect's: --lock lease, and the lease a server that
 * cannot share a session lock needs (--lock auto), are refused by name
 * (DBMIG_EUSAGE, exit 2) before anything is written. */
static void test_lease_needs_driver_sql(void **state)
{
    fx *f = *state;
    f->w.table.sql = NULL;
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.lock = DBMIG_LOCK_LEASE;
    dbmig *h = open_with(f, o);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "--lock lease: driver sqlite"));
    assert_non_null(strstr(dbmig_errmsg(h), "gives no SQL for the lease lock"));
    dbmig_close(h);
    f->w.table.caps |= DBMIG_CAP_SESSION_LOCK_UNSAFE; /* a Galera-like server */
    o.lock = DBMIG_LOCK_AUTO;
    h = open_with(f, o);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "cannot share a session lock"));
    assert_non_null(strstr(dbmig_errmsg(h), "--lock session"));
    int e = 1;
    assert_int_equal(h->drv->table_exists(h->drv_self, h->conn, "dbmig_version", &e), DBMIG_DRV_OK);
    assert_int_equal(e, 0); /* nothing written */
    dbmig_close(h);
    /* the same table with the driver's SQL takes the lease */
    f->w.table.sql = f->w.real->sql;
    h = open_with(f, o);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
}

static void test_lease_lock(void **state)
{
    fx *f = *state;
    dbmig *a = open_lease(f, 0), *b = open_lease(f, 0);
    assert_int_equal(dm_lock_acquire(a), DBMIG_OK);
    assert_int_equal(dm_lock_acquire(b), DBMIG_ELOCKED);
    assert_non_null(strstr(dbmig_errmsg(b), "(lease)"));
    /* Held for 1.5 leases: renewal keeps it ours. */
    dm_sleep_ms(3000);
    assert_int_equal(dm_lock_acquire(b), DBMIG_ELOCKED);
    assert_false(dm_lease_lost(a));
    assert_true(scalar(b, "SELECT count(*) FROM dbmig_version_lock WHERE expires_at > "
                          "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)") == 1);
    /* Simulate a holder that stopped renewing long ago: expire the row (and
     * its token, as a takeover does, so that a renewal of a's that comes
     * before c's takeover cannot extend it again: under valgrind at nice 19
     * that gap exceeded a renewal period); c takes it over, and a's
     * renewal then finds the lease gone. */
    static const char expire[] =
        "UPDATE dbmig_version_lock SET expires_at = 0, token = 'expired-by-test'";
    assert_int_equal(b->drv->exec(b->drv_self, b->conn, expire, sizeof expire - 1, NULL),
                     DBMIG_DRV_OK);
    dbmig *c = open_lease(f, 5);
    assert_int_equal(dm_lock_acquire(c), DBMIG_OK);
    /* a's next renewal (every 667 ms) finds it gone: wait for it, up to 10 s
     * on a loaded machine */
    for (int i = 0; i < 100 && !dm_lease_lost(a); i++)
        dm_sleep_ms(100);
    assert_true(dm_lease_lost(a));
    assert_non_null(strstr(dbmig_errmsg(a), "taken over"));
    dm_lock_release(c);
    assert_int_equal(scalar(b, "SELECT count(*) FROM dbmig_version_lock"), 0);
    dm_lock_release(a); /* deletes nothing: the row is not a's */
    dbmig_close(a);
    dbmig_close(b);
    dbmig_close(c);
    /* A whole run under a lease. */
    dbmig *h = open_lease(f, 5);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);
}

static void must_drop_t4(dbmig *h)
{
    static const char drop[] = "DROP TABLE IF EXISTS t4";
    assert_int_equal(h->drv->exec(h->drv_self, h->conn, drop, sizeof drop - 1, NULL), DBMIG_DRV_OK);
}

/* Without transactional DDL but with multi-statement exec (MySQL and
 * MariaDB), the dirty protocol's writes ride with the next statement: n + 1
 * execs for n statements. What a failure leaves is what the one-at-a-time
 * protocol leaves: progress counts the statements that ran (so --resume
 * and its progress_hash work), and an exec that fails before reaching the
 * database leaves at most one dirty revision, settled as a user would. */
static void test_riding_dirty_protocol(void **state)
{
    fx *f = *state;
    uint32_t caps = f->w.table.caps;
    f->w.table.caps = (caps | DBMIG_CAP_MULTI_STATEMENT) & ~(uint32_t)DBMIG_CAP_TRANSACTIONAL_DDL;
    dbmig *h = open_h(f, 200, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    /* the version table; 001, 002, 004, 005: 1 + 1; 003 (CREATE TABLE,
     * INSERT): 2, its final row in the INSERT's transaction (one at a time
     * it would be 1 + 4 * 4 + 6 = 23) */
    assert_int_equal(f->w.calls[F_EXEC], 1 + 4 * 2 + 2);
    assert_int_equal(f->w.calls[F_BEGIN], 0);
    assert_int_equal(applied_mask(f), 0x3e);
    assert_int_equal(table_mask(f), 0x3e);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "002", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(table_mask(f), 0x06);

    /* statement 3 of 4 fails: 1..2 ran and are recorded */
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\nINSERT INTO t3 VALUES (1);\n"
               "INSERT INTO missing_table VALUES (2);\nINSERT INTO t3 VALUES (3);\n"
               "-- dbmig:down\nDROP TABLE t3;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    if (!strstr(dbmig_errmsg(h), "003_t3.sql:4: statement 3 of 4") ||
        !strstr(dbmig_errmsg(h), "missing_table"))
        fail_msg("%s", dbmig_errmsg(h));
    assert_non_null(strstr(dbmig_errmsg(h), "statements 1..2 of 003 were committed"));
    dbmig_close(h);
    h = open_h(f, 200, 0);
    dbmig_status *st;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_int_equal(st->dirty, 1);
    assert_int_equal(st->revs[2].progress, 2);
    dbmig_status_free(st);
    dbmig_close(h);
    /* fixed: --resume accepts the recorded progress_hash and runs 3..4 */
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\nINSERT INTO t3 VALUES (1);\n"
               "INSERT INTO t3 VALUES (2);\nINSERT INTO t3 VALUES (3);\n"
               "-- dbmig:down\nDROP TABLE t3;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_RESUME), DBMIG_OK);
    assert_int_equal(dm_need_conn(h), DBMIG_OK);
    assert_int_equal(scalar(h, "SELECT COUNT(*) FROM t3"), 3);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);

    /* a run-time error has no position: one query on the version row tells
     * that "progress = 2" landed, so statement 3 is the one that failed */
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_downgrade(h, "003", 0), DBMIG_OK);
    dbmig_close(h);
    ut_write_file(mig, "004_t4.sql",
               "-- dbmig:up\nCREATE TABLE t4 (id INTEGER PRIMARY KEY);\nINSERT INTO t4 VALUES (1);\n"
               "INSERT INTO t4 VALUES (1);\n-- dbmig:down\nDROP TABLE t4;\n");
    h = open_h(f, 200, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    int queries = f->w.calls[F_QUERY];
    if (!strstr(dbmig_errmsg(h), "004_t4.sql:4: statement 3 of 3") ||
        !strstr(dbmig_errmsg(h), "UNIQUE") ||
        !strstr(dbmig_errmsg(h), "statements 1..2 of 004 were committed"))
        fail_msg("%s", dbmig_errmsg(h));
    dbmig_close(h);
    /* ... and when that query fails too, the message says it cannot tell */
    int told = 0;
    for (int n = 1; n <= queries && !told; n++) {
        unlink(f->db);
        h = open_h(f, 200, 0);
        assert_int_equal(dbmig_upgrade(h, "003", 0), DBMIG_OK);
        dbmig_close(h);
        h = open_h(f, 200, 0);
        memset(f->w.calls, 0, sizeof f->w.calls);
        f->w.fail_fn = F_QUERY;
        f->w.fail_at = n;
        assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
        f->w.fail_fn = -1;
        told = strstr(dbmig_errmsg(h), "could not be told apart") != NULL;
        dbmig_close(h);
    }
    assert_true(told);
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_int_equal(st->dirty, 1);
    assert_int_equal(st->revs[3].progress, 2);
    dbmig_status_free(st);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "004"), DBMIG_OK);
    assert_int_equal(dm_need_conn(h), DBMIG_OK);
    must_drop_t4(h);
    dbmig_close(h);
    ut_write_file(mig, "004_t4.sql", "-- dbmig:up\nCREATE TABLE t4 (id INTEGER);\n-- dbmig:down\nDROP TABLE t4;\n");

    /* every exec failing in turn, before it reaches the database */
    for (int n = 1;; n++) {
        unlink(f->db);
        f->w.fail_fn = F_EXEC;
        f->w.fail_at = n;
        memset(f->w.calls, 0, sizeof f->w.calls);
        h = open_h(f, 200, 0);
        int rc = dbmig_upgrade(h, "head", 0);
        int reached = f->w.calls[F_EXEC] >= n;
        if (reached) {
            assert_int_equal(rc, DBMIG_ERROR);
            assert_non_null(strstr(dbmig_errmsg(h), "injected"));
        }
        dbmig_close(h);
        f->w.fail_fn = -1;
        if (!reached) {
            assert_int_equal(rc, DBMIG_OK);
            break;
        }
        h = open_h(f, 200, 0);
        st = NULL;
        if (n > 1) { /* n == 1: the version table was not created */
            assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
            assert_true(st->dirty <= 1);
        }
        unsigned applied = 0, dirty = 0;
        for (size_t i = 0; st && i < st->nrevs; i++) {
            unsigned bit = 1u << atoi(st->revs[i].revision);
            if (st->revs[i].flags & DBMIG_REV_DIRTY)
                dirty |= bit;
            else if (st->revs[i].flags & DBMIG_REV_APPLIED)
                applied |= bit;
        }
        dbmig_status_free(st);
        dbmig_close(h);
        unsigned tables = table_mask(f);
        if ((tables & ~dirty) != applied)
            fail_msg("exec %d failed: clean revisions 0x%x, tables 0x%x (dirty 0x%x)", n, applied,
                     tables, dirty);
        if (dirty) { /* the one in flight ran or not: settle by the schema */
            char id[8];
            snprintf(id, sizeof id, "%03d", __builtin_ctz(dirty));
            h = open_h(f, 200, 0);
            assert_int_equal(dbmig_repair(h, tables & dirty ? DBMIG_REPAIR_APPLIED : DBMIG_REPAIR_REVERTED, id),
                             DBMIG_OK);
            dbmig_close(h);
        }
        h = open_h(f, 200, 0);
        if (dbmig_upgrade(h, "head", 0) != DBMIG_OK)
            fail_msg("exec %d failed; the clean re-run: %s", n, dbmig_errmsg(h));
        dbmig_close(h);
        assert_int_equal(applied_mask(f), 0x3e);
    }
    f->w.table.caps = caps;
}

/* ---- event levels ------------------------------------------------------------- */

typedef struct levlog {
    int kind[256], level[256];
    char msg[256][80];
    size_t n;
} levlog;

static void ev_level(void *payload, const dbmig_event *ev)
{
    levlog *l = payload;
    if (l->n < 256) {
        l->kind[l->n] = ev->kind;
        l->level[l->n] = ev->level;
        snprintf(l->msg[l->n], sizeof l->msg[0], "%s", ev->message ? ev->message : "");
        l->n++;
    }
}

/* How many events of kind were seen; each must have level `level` (a
 * NOTICE: each whose message contains `about`). */
static size_t levels_are(const levlog *l, int kind, const char *about, int level)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->kind[i] != kind || (about && !strstr(l->msg[i], about)))
            continue;
        if (l->level[i] != level)
            fail_msg("event %d (%s) has level %d, not %d", kind, l->msg[i], l->level[i], level);
        n++;
    }
    return n;
}

/* Every event carries a level: INFO for a migration's progress, DEBUG for
 * its statements, ERROR for a failure, WARN for a rollback or a notice
 * that warns, INFO for other notices. */
static void test_event_levels(void **state)
{
    fx *f = *state;
    levlog l = {0};
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.verbose = 1; /* statements one at a time: STATEMENT events */
    o.on_event = ev_level;
    o.event_payload = &l;
    dbmig *h = open_with(f, o);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(levels_are(&l, DBMIG_EV_START, NULL, DBMIG_LOG_INFO), 5);
    assert_int_equal(levels_are(&l, DBMIG_EV_DONE, NULL, DBMIG_LOG_INFO), 5);
    assert_int_equal(levels_are(&l, DBMIG_EV_STATEMENT, NULL, DBMIG_LOG_DEBUG), 6);
    assert_int_equal(levels_are(&l, DBMIG_EV_STATEMENT_DONE, NULL, DBMIG_LOG_DEBUG), 6);
    memset(&l, 0, sizeof l);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(levels_are(&l, DBMIG_EV_NOTICE, "nothing to do", DBMIG_LOG_INFO), 1);
    memset(&l, 0, sizeof l);
    o.dry_run = 1;
    dbmig *d = open_with(f, o);
    assert_int_equal(dbmig_downgrade(d, "-1", 0), DBMIG_OK);
    dbmig_close(d);
    o.dry_run = 0;
    assert_int_equal(levels_are(&l, DBMIG_EV_PLAN, NULL, DBMIG_LOG_INFO), 1);
    assert_int_equal(levels_are(&l, DBMIG_EV_NOTICE, "dry run", DBMIG_LOG_INFO), 1);
    /* An applied revision whose file is gone: a warning, and the run goes on. */
    char mig[96], path[128];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    snprintf(path, sizeof path, "%s/005_t5.sql", mig);
    assert_int_equal(unlink(path), 0);
    dbmig_close(h); /* a handle reads its folder once */
    h = open_with(f, o);
    memset(&l, 0, sizeof l);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(levels_are(&l, DBMIG_EV_NOTICE, "no file", DBMIG_LOG_WARN), 1);
    assert_int_equal(levels_are(&l, DBMIG_EV_NOTICE, "nothing to do", DBMIG_LOG_INFO), 1);
    dbmig_close(h);
    /* A failure inside --single-transaction: the failed one ERROR, the
     * ones rolled back with it WARN. */
    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "005"), DBMIG_OK);
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
    dbmig_close(h);
    ut_write_file(mig, "004_t4.sql", "CREATE TABLE t4 (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
    memset(&l, 0, sizeof l);
    o.verbose = 0;
    o.single_transaction = 1;
    h = open_with(f, o);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    dbmig_close(h);
    assert_int_equal(levels_are(&l, DBMIG_EV_FAILED, NULL, DBMIG_LOG_ERROR), 1);
    assert_int_equal(levels_are(&l, DBMIG_EV_ROLLED_BACK, NULL, DBMIG_LOG_WARN), 3);
}

/* ---- DONE after the commit; dbmig_interrupt ------------------------------------ */

typedef struct evlog {
    dbmig *h;
    const wrap *w;         /* the wrapper driver, for its commit count */
    char seen[64][48];     /* "D001@1": kind, revision, commits made so far */
    size_t n;
    const char *stop_rev;  /* interrupt when this revision's statement 1 starts */
} evlog;

static void ev_record(void *payload, const dbmig_event *ev)
{
    evlog *l = payload;
    char kind = ev->kind == DBMIG_EV_DONE          ? 'D'
                : ev->kind == DBMIG_EV_ROLLED_BACK ? 'R'
                : ev->kind == DBMIG_EV_FAILED      ? 'F'
                : ev->kind == DBMIG_EV_STATEMENT   ? 'S'
                                                   : 0;
    if (kind && kind != 'S' && l->n < 64)
        snprintf(l->seen[l->n++], sizeof l->seen[0], "%c%s@%d", kind, ev->revision,
                 l->w->calls[F_COMMIT]);
    if (kind == 'S' && l->stop_rev && ev->stmt == 1 && strcmp(ev->revision, l->stop_rev) == 0)
        dbmig_interrupt(l->h);
}

static dbmig *open_ev(fx *f, int commit_interval, evlog *l)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    o.url = f->url;
    o.dir = mig;
    o.lock_timeout = 0;
    o.commit_interval_ms = commit_interval;
    o.on_event = ev_record;
    o.event_payload = l;
    dbmig *h;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    l->h = h;
    l->w = &f->w;
    return h;
}

static int seen(const evlog *l, const char *what)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->seen[i], what) == 0)
            return 1;
    return 0;
}

/* Five migrations sharing one commit: every DONE comes after that commit
 * (before the fix, each DONE fired before it, with 0 commits made). */
static void test_done_only_after_commit(void **state)
{
    fx *f = *state;
    evlog l = {0};
    dbmig *h = open_ev(f, 60000, &l);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(f->w.calls[F_COMMIT], 1);
    assert_int_equal(l.n, 5);
    for (int i = 1; i <= 5; i++) {
        char want[16];
        snprintf(want, sizeof want, "D%03d@1", i);
        assert_true(seen(&l, want));
    }
    /* --single-transaction with a failure in 004: 001..003 were never
     * committed, so they are reported rolled back, not applied. */
    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
    dbmig_close(h);
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "004_t4.sql", "CREATE TABLE t4 (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
    memset(&l, 0, sizeof l);
    l.w = &f->w;
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->url;
    o.dir = mig;
    o.single_transaction = 1;
    o.on_event = ev_record;
    o.event_payload = &l;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    dbmig_close(h);
    assert_true(seen(&l, "R001@0") && seen(&l, "R002@0") && seen(&l, "R003@0"));
    assert_true(seen(&l, "F004@0"));
    for (size_t i = 0; i < l.n; i++)
        assert_true(l.seen[i][0] != 'D');
    assert_int_equal(applied_mask(f), 0);

    /* The group's commit fails: each of its migrations is reported rolled
     * back, once, and none applied or failed besides. */
    ut_write_file(mig, "004_t4.sql", "CREATE TABLE t4 (id INTEGER);\n");
    memset(&l, 0, sizeof l);
    l.w = &f->w;
    h = open_ev(f, 60000, &l);
    memset(f->w.calls, 0, sizeof f->w.calls);
    f->w.fail_fn = F_COMMIT;
    f->w.fail_at = 1;
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    f->w.fail_fn = -1;
    assert_non_null(strstr(dbmig_errmsg(h), "commit failed"));
    dbmig_close(h);
    assert_int_equal(l.n, 5);
    for (int i = 1; i <= 5; i++) {
        char want[16];
        snprintf(want, sizeof want, "R%03d@1", i);
        assert_true(seen(&l, want));
    }
    assert_int_equal(applied_mask(f), 0);
}

/* dbmig_interrupt at a statement boundary: the open group is rolled back,
 * the committed revisions stay, the lock is released. */
static void test_interrupt_rolls_back_open_group(void **state)
{
    fx *f = *state;
    /* One group (long interval): stopping inside 003 loses 001..003. */
    evlog l = {.stop_rev = "003"};
    dbmig *h = open_ev(f, 60000, &l);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINTERRUPTED);
    const char *msg = dbmig_errmsg(h);
    assert_non_null(strstr(msg, "stopped before statement 2 of 2 of revision 003"));
    assert_non_null(strstr(msg, "rolled back, so not applied: 001 002 003"));
    assert_int_equal(f->w.calls[F_COMMIT], 0);
    assert_true(seen(&l, "R001@0") && seen(&l, "R002@0") && seen(&l, "R003@0"));
    assert_int_equal(l.n, 3);
    /* The request stays: a later run on the handle stops at once. */
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINTERRUPTED);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0);
    assert_int_equal(table_mask(f), 0);

    /* A commit per migration: 001 and 002 stay applied; the lock is free
     * (lock_timeout 0 would fail otherwise). */
    memset(&l, 0, sizeof l);
    l.w = &f->w;
    l.stop_rev = "003";
    h = open_ev(f, 0, &l);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINTERRUPTED);
    assert_non_null(strstr(dbmig_errmsg(h), "2 revision(s) of this run are committed"));
    dbmig_close(h);
    assert_true(seen(&l, "D001@1") && seen(&l, "D002@2") && seen(&l, "R003@2"));
    assert_int_equal(applied_mask(f), 0x06);
    assert_int_equal(table_mask(f), 0x06);
    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);

    /* Outside a transaction: 003 is left dirty with statement 1 recorded,
     * and the message gives the resume hint. */
    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_downgrade(h, "002", 0), DBMIG_OK);
    dbmig_close(h);
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "003_t3.sql", "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\n"
                                  "INSERT INTO t3 VALUES (3);\n-- dbmig:down\nDROP TABLE t3;\n");
    memset(&l, 0, sizeof l);
    l.w = &f->w;
    l.stop_rev = "003";
    h = open_ev(f, 0, &l);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINTERRUPTED);
    msg = dbmig_errmsg(h);
    assert_non_null(strstr(msg, "statements 1..1 are committed"));
    assert_non_null(strstr(msg, "dbmig upgrade --resume"));
    assert_true(seen(&l, "F003@0"));
    dbmig_close(h);
    h = open_h(f, 0, 0);
    dbmig_status *st;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    for (size_t i = 0; i < st->nrevs; i++)
        if (strcmp(st->revs[i].revision, "003") == 0) {
            assert_true(st->revs[i].flags & DBMIG_REV_DIRTY);
            assert_int_equal(st->revs[i].progress, 1);
        }
    dbmig_status_free(st);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_RESUME), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);

    /* The riding protocol (MySQL's): the pending "progress = 1" is written
     * before the stop, so --resume starts at statement 2. */
    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_downgrade(h, "002", 0), DBMIG_OK);
    dbmig_close(h);
    uint32_t caps = f->w.table.caps;
    f->w.table.caps = (caps | DBMIG_CAP_MULTI_STATEMENT) & ~(uint32_t)DBMIG_CAP_TRANSACTIONAL_DDL;
    memset(&l, 0, sizeof l);
    l.w = &f->w;
    l.stop_rev = "003";
    h = open_ev(f, 0, &l);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINTERRUPTED);
    assert_non_null(strstr(dbmig_errmsg(h), "statements 1..1 are committed"));
    dbmig_close(h);
    h = open_h(f, 0, 0);
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_int_equal(st->revs[2].flags & DBMIG_REV_DIRTY, DBMIG_REV_DIRTY);
    assert_int_equal(st->revs[2].progress, 1);
    dbmig_status_free(st);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_RESUME), DBMIG_OK);
    dbmig_close(h);
    f->w.table.caps = caps;
    assert_int_equal(applied_mask(f), 0x3e);
}

/* The riding protocol's row changes (INSERT, UPDATE, DELETE, REPLACE) run in
 * one transaction with their own progress record: nothing is owed after
 * one, a first one needs no dirty row before it, a last one carries the
 * final row. What a failure leaves stays exact. */
static void test_riding_row_changes(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    uint32_t caps = f->w.table.caps;
    f->w.table.caps = (caps | DBMIG_CAP_MULTI_STATEMENT) & ~(uint32_t)DBMIG_CAP_TRANSACTIONAL_DDL;
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "005", 0), DBMIG_OK);
    dbmig_close(h);
    /* two row changes alone (transaction off): one exec each, no dirty row
     * before the first, the final row with the second */
    ut_write_file(mig, "006_rows.sql",
               "-- dbmig:transaction off\n-- dbmig:up\nINSERT INTO t3 VALUES (6);\n"
               "UPDATE t3 SET id = 7 WHERE id = 6;\n-- dbmig:down\nDELETE FROM t3 WHERE id = 7;\n");
    h = open_h(f, 200, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(f->w.calls[F_EXEC], 2);
    assert_int_equal(dm_need_conn(h), DBMIG_OK);
    assert_int_equal(scalar(h, "SELECT COUNT(*) FROM t3 WHERE id = 7"), 1);
    assert_int_equal(scalar(h, "SELECT dirty + progress FROM dbmig_version WHERE revision = '006'"), 0);
    assert_int_equal(dbmig_downgrade(h, "005", 0), DBMIG_OK);
    dbmig_close(h);
    /* a first row change that fails: rolled back, and the dirty row with
     * progress 0 says that nothing of it committed, as before */
    ut_write_file(mig, "006_rows.sql",
               "-- dbmig:up\nINSERT INTO nope VALUES (1);\nCREATE TABLE t6 (id INTEGER);\n"
               "-- dbmig:down\nDROP TABLE t6;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    if (!strstr(dbmig_errmsg(h), "006_rows.sql:2: statement 1 of 2") ||
        !strstr(dbmig_errmsg(h), "no statement of 006 was committed"))
        fail_msg("%s", dbmig_errmsg(h));
    dbmig_status *st;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_int_equal(st->revs[5].flags & DBMIG_REV_DIRTY, DBMIG_REV_DIRTY);
    assert_int_equal(st->revs[5].progress, 0);
    dbmig_status_free(st);
    assert_int_equal(dbmig_repair(h, DBMIG_REPAIR_REVERTED, "006"), DBMIG_OK);
    dbmig_close(h);
    /* DDL, a row change, DDL that fails: the row change's record came with
     * it (progress 2, no write between), and --resume runs statement 3 */
    ut_write_file(mig, "006_rows.sql",
               "-- dbmig:up\nCREATE TABLE t6 (id INTEGER);\nINSERT INTO t6 VALUES (1);\n"
               "CREATE TABLE t3 (id INTEGER);\n-- dbmig:down\nDROP TABLE t6;\n");
    h = open_h(f, 200, 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    assert_int_equal(f->w.calls[F_EXEC], 3);
    assert_non_null(strstr(dbmig_errmsg(h), "statements 1..2 of 006 were committed"));
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_int_equal(st->revs[5].progress, 2);
    dbmig_status_free(st);
    dbmig_close(h);
    ut_write_file(mig, "006_rows.sql",
               "-- dbmig:up\nCREATE TABLE t6 (id INTEGER);\nINSERT INTO t6 VALUES (1);\n"
               "CREATE TABLE t7 (id INTEGER);\n-- dbmig:down\nDROP TABLE t7;\nDROP TABLE t6;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_RESUME), DBMIG_OK);
    assert_int_equal(dm_need_conn(h), DBMIG_OK);
    assert_int_equal(scalar(h, "SELECT COUNT(*) FROM t6"), 1);
    dbmig_close(h);
    f->w.table.caps = caps;
}

/* dbmig_cancel from another thread abandons a long statement (the driver's
 * optional cancel method) instead of waiting for its end. */
typedef struct canceller {
    dbmig *h;
    atomic_int started; /* the long statement has started */
} canceller;

static void ev_started(void *payload, const dbmig_event *ev)
{
    canceller *c = payload;
    if (ev->kind == DBMIG_EV_STATEMENT && strcmp(ev->revision, "006") == 0)
        atomic_store(&c->started, 1);
}

static void *cancel_soon(void *arg)
{
    canceller *c = arg;
    while (!atomic_load(&c->started)) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_int_equal(dbmig_cancel(c->h), DBMIG_OK);
    return NULL;
}

static void test_cancel_abandons_long_statement(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    /* ~10 s of work for SQLite, then a row. */
    ut_write_file(mig, "006_long.sql",
               "-- dbmig:up\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x "
               "< 50000000) SELECT count(*) FROM c;\nCREATE TABLE t6 (id INTEGER);\n"
               "-- dbmig:down\nDROP TABLE t6;\n");
    canceller c = {0};
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->url;
    o.dir = mig;
    o.lock_timeout = 0;
    o.commit_interval_ms = 0;
    o.on_event = ev_started;
    o.event_payload = &c;
    dbmig *h;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    c.h = h;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_soon, &c), 0);
    double t0 = dm_now_ms();
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_EINTERRUPTED);
    double ms = dm_now_ms() - t0;
    pthread_join(t, NULL);
    assert_non_null(strstr(dbmig_errmsg(h), "statement 1 of 2 of revision 006 was cancelled"));
    assert_non_null(strstr(dbmig_errmsg(h), "rolled back, so not applied: 006"));
    assert_true(ms < 5000); /* not the ~10 s the statement takes */
    /* Nothing runs now: there is nothing to cancel. */
    assert_int_equal(dbmig_cancel(h), DBMIG_ERROR);
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e); /* 001..005 committed, 006 not */
}

/* dbmig_check, the readiness rule of `dbmig check` in the library: a
 * missing SQLite file (everything pending, nothing created), one pending,
 * all applied, one edited. */
static void test_check_rule(void **state)
{
    fx *f = *state;
    dbmig_check_result *res;
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_check(h, &res), DBMIG_EINVALID);
    assert_non_null(res);
    assert_int_equal(res->nproblems, 5);
    assert_int_equal(res->problems[0].kind, DBMIG_CHECK_PENDING);
    assert_non_null(strstr(dbmig_errmsg(h), "001 (001_t1.sql) is pending"));
    dbmig_check_free(res);
    assert_int_equal(dbmig_check(h, NULL), DBMIG_EINVALID);
    dbmig_close(h);
    assert_false(db_exists(f));

    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "004", 0), DBMIG_OK);
    assert_int_equal(dbmig_check(h, &res), DBMIG_EINVALID);
    assert_int_equal(res->nproblems, 1);
    assert_int_equal(res->problems[0].kind, DBMIG_CHECK_PENDING);
    assert_string_equal(res->problems[0].revision, "005");
    assert_string_equal(res->problems[0].file, "005_t5.sql");
    assert_non_null(strstr(res->problems[0].text, "run `dbmig upgrade`"));
    assert_non_null(strstr(dbmig_errmsg(h), "005 (005_t5.sql) is pending"));
    dbmig_check_free(res);

    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(dbmig_check(h, &res), DBMIG_OK);
    assert_int_equal(res->nproblems, 0);
    assert_int_equal(res->status->nrevs, 5);
    dbmig_check_free(res);
    assert_int_equal(dbmig_check(h, NULL), DBMIG_OK);
    dbmig_close(h);

    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "002_t2.sql", "-- dbmig:up\nCREATE TABLE t2 (id INTEGER, x INTEGER);\n-- dbmig:down\nDROP TABLE t2;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_check(h, &res), DBMIG_EINVALID);
    assert_int_equal(res->nproblems, 1);
    assert_int_equal(res->problems[0].kind, DBMIG_CHECK_EDITED);
    assert_string_equal(res->problems[0].revision, "002");
    assert_non_null(strstr(dbmig_errmsg(h), "002 (002_t2.sql) was edited after it was applied"));
    assert_non_null(strstr(dbmig_errmsg(h), "repair --checksums"));
    dbmig_check_free(res);
    dbmig_close(h);
}

/* ---- verify sections (SPEC section 12): upgrade --verify, dm_exec_section -- */

/* count(*) of a table, through a fresh handle (-1: the query failed). */
static int count_cb(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)ncols;
    (void)lens;
    *(int *)payload = v[0] ? atoi(v[0]) : -1;
    return 0;
}

static int row_count(fx *f, const char *table)
{
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
    char sql[96];
    int n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    if (h->drv->query(h->drv_self, h->conn, sql, count_cb, &n) != DBMIG_DRV_OK)
        n = -1;
    dbmig_close(h);
    return n;
}

static void test_exec_section(void **state)
{
    fx *f = *state;
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dm_need_driver(h), DBMIG_OK);
    assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
    assert_int_equal(dm_sql_exec(h, "CREATE TABLE fx (id INTEGER)", NULL), DBMIG_OK);
    const char *text = "-- dbmig:up\nSELECT 1;\n"
                       "-- dbmig:fixture\nINSERT INTO fx VALUES (1);\nINSERT INTO fx VALUES (2);\n"
                       "-- dbmig:verify\nSELECT id FROM fx;\n\nSELECT nosuch\n  FROM fx;\n"
                       "-- dbmig:verify postgres\nSELECT 1/0;\n";
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(dm_migfile_parse("m/010_fx.sql", text, strlen(text), &mf, &err), 0);
    assert_int_equal(dm_exec_section(h, &mf, DM_FIXTURE), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(row_count(f, "fx"), 2);

    h = open_h(f, 200, 0);
    assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
    memset(f->w.calls, 0, sizeof f->w.calls);
    /* the generic verify section (not postgres'): statement 2 fails */
    assert_int_equal(dm_exec_section(h, &mf, DM_VERIFY), DBMIG_ERROR);
    assert_int_equal(f->w.calls[F_EXEC], 2);
    const char *msg = dbmig_errmsg(h);
    assert_non_null(strstr(msg, "m/010_fx.sql:9: verify failed: statement 2 of 2 of the verify "
                                "section of revision 010 raised an error: "));
    assert_non_null(strstr(msg, "no such column: nosuch"));
    dbmig_error_info ei = DBMIG_ERROR_INFO_INIT;
    assert_int_equal(dbmig_last_error(h, &ei), DBMIG_OK);
    assert_int_equal(ei.code, DBMIG_ERROR);
    assert_int_equal(ei.kind, DBMIG_KIND_DATABASE);
    assert_string_equal(ei.revision, "010");
    assert_string_equal(ei.file, "m/010_fx.sql");
    assert_int_equal(ei.line, 9);
    assert_int_equal(ei.stmt, 2);
    /* a kind without a section for the driver: nothing runs */
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dm_exec_section(h, &mf, DM_DOWN), DBMIG_OK);
    assert_int_equal(f->w.calls[F_EXEC], 0);
    /* a failing fixture statement says so */
    assert_int_equal(dm_sql_exec(h, "DROP TABLE fx", NULL), DBMIG_OK);
    assert_int_equal(dm_exec_section(h, &mf, DM_FIXTURE), DBMIG_ERROR);
    assert_non_null(strstr(dbmig_errmsg(h), "m/010_fx.sql:4: statement 1 of 2 of the fixture "
                                            "section of revision 010 failed: no such table"));
    dm_migfile_free(&mf);
    /* a malformed section: refused before anything runs */
    const char *bad = "-- dbmig:up\nSELECT 1;\n-- dbmig:fixture\nINSERT INTO fx VALUES ('x);\n";
    assert_int_equal(dm_migfile_parse("m/011_bad.sql", bad, strlen(bad), &mf, &err), 0);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dm_exec_section(h, &mf, DM_FIXTURE), DBMIG_EINVALID);
    assert_int_equal(f->w.calls[F_EXEC], 0);
    assert_non_null(strstr(dbmig_errmsg(h), "m/011_bad.sql:4: unterminated"));
    dm_migfile_free(&mf);
    dbmig_close(h);
    dm_err_free(&err);
}

static void test_upgrade_verify(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    /* 002 verifies its row, 004 checks a column that is not there */
    ut_write_file(mig, "002_t2.sql",
               "-- dbmig:up\nCREATE TABLE t2 (id INTEGER);\nINSERT INTO t2 VALUES (2);\n"
               "-- dbmig:verify\nSELECT id FROM t2;\n-- dbmig:down\nDROP TABLE t2;\n");
    ut_write_file(mig, "004_t4.sql",
               "-- dbmig:up\nCREATE TABLE t4 (id INTEGER);\n-- dbmig:verify\n"
               "SELECT id FROM t4;\nSELECT name FROM t4;\n-- dbmig:down\nDROP TABLE t4;\n");
    /* without --verify the verify sections are not run */
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_OK);
    assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
    /* a dry run lists them and runs nothing */
    dbmig_close(h);
    h = open_opts(f, 1, NULL);
    memset(f->w.calls, 0, sizeof f->w.calls);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_VERIFY), DBMIG_OK);
    assert_int_equal(f->w.calls[F_EXEC] + f->w.calls[F_BEGIN], 0);
    dbmig_close(h);
    /* --verify: 004 fails its verify and is rolled back, 001..003 stay */
    for (int interval = 0; interval <= 1; interval++) {
        h = open_h(f, interval ? 60000 : 0, 0);
        assert_int_equal(dbmig_upgrade(h, "head", DBMIG_VERIFY), DBMIG_ERROR);
        const char *msg = dbmig_errmsg(h);
        assert_non_null(strstr(msg, "004_t4.sql:5: verify failed: statement 2 of 2 of the "
                                    "verify section of revision 004"));
        assert_non_null(strstr(msg, "nothing of 004 was applied"));
        assert_non_null(strstr(msg, "its verify section"));
        dbmig_error_info ei = DBMIG_ERROR_INFO_INIT;
        assert_int_equal(dbmig_last_error(h, &ei), DBMIG_OK);
        assert_string_equal(ei.revision, "004");
        assert_int_equal(ei.line, 5);
        assert_int_equal(ei.stmt, 0); /* not one of 004's own statements */
        dbmig_close(h);
        assert_int_equal(applied_mask(f), 0x0e);
        assert_int_equal(table_mask(f), 0x0e);
        h = open_h(f, 0, 0);
        assert_int_equal(dbmig_downgrade(h, "base", 0), DBMIG_OK);
        dbmig_close(h);
    }
    /* fixed: every verify passes */
    ut_write_file(mig, "004_t4.sql",
               "-- dbmig:up\nCREATE TABLE t4 (id INTEGER, name TEXT);\n-- dbmig:verify\n"
               "SELECT id FROM t4;\nSELECT name FROM t4;\n-- dbmig:down\nDROP TABLE t4;\n");
    h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_VERIFY), DBMIG_OK);
    /* refused where it cannot be honoured */
    assert_int_equal(dbmig_downgrade(h, "base", DBMIG_VERIFY), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "--verify is for upgrade"));
    dbmig_close(h);
    assert_int_equal(applied_mask(f), 0x3e);
    dbmig_options o = DBMIG_OPTIONS_INIT;
    dm_buf out = {0};
    o.sql_out = sink;
    o.sql_payload = &out;
    h = open_with(f, o);
    assert_int_equal(dbmig_upgrade(h, "base:head", DBMIG_VERIFY), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "--verify cannot be honoured with --sql"));
    assert_int_equal(out.len, 0);
    dbmig_close(h);
    dm_buf_free(&out);
}

/* Outside a transaction a failed verify cannot undo the statements: the
 * revision is left dirty with every statement counted, and `--resume
 * --verify` runs only the verify section again. */
static void test_upgrade_verify_notx(void **state)
{
    fx *f = *state;
    char mig[96];
    snprintf(mig, sizeof mig, "%s/m", f->dir);
    ut_write_file(mig, "003_t3.sql",
               "-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE t3 (id INTEGER);\n"
               "INSERT INTO t3 VALUES (3);\n-- dbmig:verify\nSELECT id FROM t3 WHERE id = 3;\n"
               "SELECT id FROM t3_expected;\n-- dbmig:down\nDROP TABLE t3;\n");
    dbmig *h = open_h(f, 200, 0);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_VERIFY), DBMIG_ERROR);
    const char *msg = dbmig_errmsg(h);
    assert_non_null(strstr(msg, "003_t3.sql:7: verify failed"));
    assert_non_null(strstr(msg, "its 2 statement(s) are committed"));
    assert_non_null(strstr(msg, "marked dirty (progress 2)"));
    assert_non_null(strstr(msg, "dbmig upgrade --resume --verify"));
    dbmig_status *st;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_int_equal(st->dirty, 1);
    assert_int_equal(st->revs[2].progress, 2);
    dbmig_status_free(st);
    dbmig_close(h);
    assert_int_equal(row_count(f, "t3"), 1);
    /* the cause fixed by hand: resume runs no statement of 003 again */
    h = open_h(f, 200, 0);
    assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
    assert_int_equal(dm_sql_exec(h, "CREATE TABLE t3_expected (id INTEGER)", NULL), DBMIG_OK);
    assert_int_equal(dbmig_upgrade(h, "head", DBMIG_RESUME | DBMIG_VERIFY), DBMIG_OK);
    dbmig_close(h);
    assert_int_equal(row_count(f, "t3"), 1);
    assert_int_equal(applied_mask(f), 0x3e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upgrade_and_downgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_in_k_keeps_earlier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_transaction_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_savepoints_commits_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_injection_every_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checksum_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dirty_protocol_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_needs_driver_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batched_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_riding_dirty_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_riding_row_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_url_is_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_never_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_target_creates_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_downgrade_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_downgrade_last_without_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_downgrade_missing_ancestor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qualified_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp_relative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_done_only_after_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_rolls_back_open_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_abandons_long_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_verify_notx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phase_pre, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
