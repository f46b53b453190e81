/* test_wait.c — dbmig_wait (core/wait.c, SPEC section 16): the backoff and
 * the state rule (wait.h, pure), then the loop through the real SQLite
 * plugin wrapped in a driver table that fails chosen connects and reads:
 * a connection refused three times and then accepted (one notice, not
 * three; four looks, the pauses between them within the backoff's
 * bounds), a failed read that drops the connection and makes a new one,
 * the time-out (DBMIG_ETIMEOUT, its kind, what it waited for), the phase
 * pre flag and option, a stop from another thread, the refusals that do
 * not wait, and the DEBUG event per look with verbose. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_files.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "loader.h"
#include "wait.h"

/* ---- the backoff and the state rule ------------------------------------------- */

static void test_backoff_bounds(void **state)
{
    (void)state;
    /* step k (0-based) pauses between half of and all of min(100 * 2^k, 2000) */
    for (uint64_t seed = 1; seed < 200; seed++) {
        dm_backoff b;
        dm_backoff_init(&b, seed);
        int step = DM_WAIT_FIRST_MS;
        for (int k = 0; k < 12; k++) {
            int ms = dm_backoff_next(&b, 1e9);
            if (ms < step / 2 || ms > step)
                fail_msg("seed %llu, pause %d: %d ms, expected %d..%d", (unsigned long long)seed,
                         k, ms, step / 2, step);
            step = step * 2 > DM_WAIT_CAP_MS ? DM_WAIT_CAP_MS : step * 2;
        }
    }
}

static void test_backoff_jitter_and_seed(void **state)
{
    (void)state;
    dm_backoff a, b, c;
    dm_backoff_init(&a, 7);
    dm_backoff_init(&b, 7);
    dm_backoff_init(&c, 8);
    int differ = 0;
    for (int k = 0; k < 10; k++) {
        int x = dm_backoff_next(&a, 1e9), y = dm_backoff_next(&b, 1e9), z = dm_backoff_next(&c, 1e9);
        assert_int_equal(x, y); /* the same seed, the same pauses */
        differ += x != z;
    }
    assert_true(differ >= 5); /* two replicas do not look in step */
    /* seed 0 too (xorshift stuck at 0 would give no jitter): at the cap,
     * the pauses still differ */
    dm_backoff zero;
    dm_backoff_init(&zero, 0);
    for (int k = 0; k < 6; k++)
        dm_backoff_next(&zero, 1e9);
    int first = dm_backoff_next(&zero, 1e9), varies = 0;
    for (int k = 0; k < 10; k++)
        varies |= dm_backoff_next(&zero, 1e9) != first;
    assert_true(varies);
}

static void test_backoff_deadline(void **state)
{
    (void)state;
    dm_backoff b;
    dm_backoff_init(&b, 3);
    for (int k = 0; k < 6; k++)
        dm_backoff_next(&b, 1e9); /* at the cap now */
    assert_int_equal(dm_backoff_next(&b, 30), 30);   /* never past the deadline */
    assert_int_equal(dm_backoff_next(&b, 0.4), 1);   /* but never 0 before it */
    assert_int_equal(dm_backoff_next(&b, 0), 0);
    assert_int_equal(dm_backoff_next(&b, -5), 0);
}

static void test_state_of(void **state)
{
    (void)state;
    static const struct {
        dm_wait_seen s;
        int reachable, want;
    } t[] = {
        {{0, 0, 0, 0}, 0, DBMIG_WS_UNREACHABLE},
        {{0, 0, 0, 0}, 1, DBMIG_WS_UNREACHABLE},
        {{0, 1, 0, 0}, 0, DBMIG_WS_NO_DATABASE},
        {{0, 1, 0, 0}, 1, DBMIG_WS_NO_DATABASE}, /* an application could not connect */
        {{1, 0, 0, 0}, 0, DBMIG_WS_READY},
        {{1, 0, 3, 0}, 0, DBMIG_WS_PENDING},
        {{1, 0, 3, 0}, 1, DBMIG_WS_READY},
        {{1, 0, 3, 1}, 0, DBMIG_WS_DIRTY},       /* dirty says more than pending */
        {{1, 0, 1, 1}, 1, DBMIG_WS_READY},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (dm_wait_state_of(&t[i].s, t[i].reachable) != t[i].want)
            fail_msg("case %zu: state %d, expected %d", i, dm_wait_state_of(&t[i].s, t[i].reachable),
                     t[i].want);
}

/* ---- the loop, through a wrapped SQLite driver --------------------------------- */

typedef struct wrap {
    dbmig_driver table;
    const dbmig_driver *real;
    int connects, closes, queries;
    int fail_connects;   /* the first N connects fail */
    int fail_query_at;   /* this query call fails (1-based; 0: none) */
    dbmig_db_error err;
    const dbmig_conn *injected_on;
} wrap;

static int w_connect(void *self, const dbmig_host *h, const char *url, dbmig_conn **out,
                     dbmig_db_error *e)
{
    wrap *w = self;
    if (++w->connects <= w->fail_connects) {
        memset(e, 0, sizeof *e);
        snprintf(e->message, sizeof e->message, "injected: connection refused");
        snprintf(e->code, sizeof e->code, "FAKE");
        return DBMIG_DRV_ERROR;
    }
    return w->real->connect(NULL, h, url, out, e);
}

static void w_close(void *self, dbmig_conn *c)
{
    wrap *w = self;
    w->closes++;
    if (w->injected_on == c)
        w->injected_on = NULL;
    w->real->close(NULL, c);
}

static int w_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *p)
{
    wrap *w = self;
    if (++w->queries == w->fail_query_at) {
        memset(&w->err, 0, sizeof w->err);
        snprintf(w->err.message, sizeof w->err.message, "injected: server closed the connection");
        w->injected_on = c;
        return DBMIG_DRV_ERROR;
    }
    return w->real->query(NULL, c, sql, fn, p);
}

static const dbmig_db_error *w_last_error(void *self, const dbmig_conn *c)
{
    wrap *w = self;
    return c && c == w->injected_on ? &w->err : w->real->last_error(NULL, c);
}

typedef struct events {
    int info_notices, debug_notices;
    char last[512];
} events;

static void on_event(void *payload, const dbmig_event *ev)
{
    events *e = payload;
    if (ev->kind != DBMIG_EV_NOTICE)
        return;
    if (ev->level == DBMIG_LOG_DEBUG)
        e->debug_notices++;
    else
        e->info_notices++;
    snprintf(e->last, sizeof e->last, "%s", ev->message ? ev->message : "");
}

typedef struct fx {
    wrap w;
    dm_plugin *plugin;
    events ev;
    char dir[64], mig[96], db[128], url[160];
} fx;

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
    dm_err_free(&e);
    f->w.real = dm_plugin_driver(f->plugin);
    f->w.table = *f->w.real;
    f->w.table.connect = w_connect;
    f->w.table.close = w_close;
    f->w.table.query = w_query;
    f->w.table.last_error = w_last_error;
    snprintf(f->dir, sizeof f->dir, "/tmp/dbmig-wait-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->mig, sizeof f->mig, "%s/m", f->dir);
    mkdir(f->mig, 0755);
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->db);
    ut_write_file(f->mig, "001_a.sql", "-- dbmig:up\nCREATE TABLE a (id INTEGER);\n");
    ut_write_file(f->mig, "002_post.sql",
                  "-- dbmig:phase post\n-- dbmig:up\nCREATE TABLE b (id INTEGER);\n");
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

static dbmig *open_h(fx *f, int verbose, dbmig_phase phase)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->url;
    o.dir = f->mig;
    o.verbose = verbose;
    o.phase = phase;
    o.on_event = on_event;
    o.event_payload = &f->ev;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dm_use_driver(h, &f->w.table, &f->w), DBMIG_OK);
    memset(&f->w.connects, 0, sizeof f->w - offsetof(wrap, connects));
    memset(&f->ev, 0, sizeof f->ev);
    return h;
}

/* The database file with `upto` applied ("" for an empty database). */
static void prepare(fx *f, const char *upto)
{
    unlink(f->db);
    dbmig *h = open_h(f, 0, DBMIG_PHASE_ALL);
    if (*upto)
        assert_int_equal(dbmig_upgrade(h, upto, 0), DBMIG_OK);
    else
        assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
    dbmig_close(h);
}

static void test_refused_then_reachable(void **state)
{
    fx *f = *state;
    prepare(f, "");
    dbmig *h = open_h(f, 0, DBMIG_PHASE_ALL);
    f->w.fail_connects = 3;
    dbmig_wait_result *r = NULL;
    double t0 = dm_now_ms();
    assert_int_equal(dbmig_wait(h, 10000, DBMIG_WAIT_REACHABLE, &r), DBMIG_OK);
    double ms = dm_now_ms() - t0;
    assert_int_equal(f->w.connects, 4);
    assert_int_equal(r->polls, 4);
    assert_int_equal(r->state, DBMIG_WS_READY);
    assert_true(r->reachable);
    assert_null(r->error);
    /* three refusals are one state: one notice */
    assert_int_equal(f->ev.info_notices, 1);
    assert_non_null(strstr(f->ev.last, "waiting up to 10 s: the database is not reachable"));
    assert_non_null(strstr(f->ev.last, "injected: connection refused"));
    /* three pauses: 50..100, 100..200, 200..400 ms */
    if (ms < 350 || ms > 1500)
        fail_msg("three pauses took %.0f ms", ms);
    dbmig_wait_result_free(r);
    dbmig_close(h);
}

static void test_read_failure_reconnects(void **state)
{
    fx *f = *state;
    prepare(f, "head");
    dbmig *h = open_h(f, 0, DBMIG_PHASE_ALL);
    f->w.fail_query_at = 1; /* the first look's version-table read */
    dbmig_wait_result *r = NULL;
    assert_int_equal(dbmig_wait(h, 10000, 0, &r), DBMIG_OK);
    assert_int_equal(r->polls, 2);
    assert_int_equal(f->w.connects, 2); /* the failed connection was dropped */
    assert_int_equal(f->w.closes, 1);
    assert_int_equal(r->applied, 2);
    assert_int_equal(f->ev.info_notices, 1);
    assert_non_null(strstr(f->ev.last, "connected, but the read failed"));
    assert_non_null(strstr(f->ev.last, "server closed the connection"));
    dbmig_wait_result_free(r);
    dbmig_close(h);
}

static void test_timeout_pending(void **state)
{
    fx *f = *state;
    prepare(f, "001");
    dbmig *h = open_h(f, 0, DBMIG_PHASE_ALL);
    dbmig_wait_result *r = NULL;
    double t0 = dm_now_ms();
    assert_int_equal(dbmig_wait(h, 300, 0, &r), DBMIG_ETIMEOUT);
    double ms = dm_now_ms() - t0;
    if (ms < 300 || ms > 1200)
        fail_msg("a 300 ms time-out took %.0f ms", ms);
    assert_int_equal(r->state, DBMIG_WS_PENDING);
    assert_int_equal(r->npending, 1);
    assert_string_equal(r->pending[0], "002");
    assert_int_equal(r->applied, 1);
    assert_true(r->polls >= 3);
    dbmig_error_info e = DBMIG_ERROR_INFO_INIT;
    assert_int_equal(dbmig_last_error(h, &e), DBMIG_OK);
    assert_int_equal(e.code, DBMIG_ETIMEOUT);
    assert_int_equal(-e.code, 4); /* the CLI's exit code */
    assert_int_equal(e.kind, DBMIG_KIND_TIMEOUT);
    assert_non_null(strstr(e.message, "timed out after 0.3 s"));
    assert_non_null(strstr(e.message, "1 pending revision (002)"));
    dbmig_wait_result_free(r);
    /* out may be NULL */
    assert_int_equal(dbmig_wait(h, 0, 0, NULL), DBMIG_ETIMEOUT);
    dbmig_close(h);
}

static void test_phase_pre(void **state)
{
    fx *f = *state;
    prepare(f, "001");
    dbmig *h = open_h(f, 0, DBMIG_PHASE_ALL);
    dbmig_wait_result *r = NULL;
    assert_int_equal(dbmig_wait(h, 0, DBMIG_WAIT_PHASE_PRE, &r), DBMIG_OK);
    assert_int_equal(r->npending, 0);
    assert_int_equal(r->npost, 1);
    assert_string_equal(r->post[0], "002");
    dbmig_wait_result_free(r);
    dbmig_close(h);
    h = open_h(f, 0, DBMIG_PHASE_PRE); /* the option does the same */
    assert_int_equal(dbmig_wait(h, 0, 0, NULL), DBMIG_OK);
    dbmig_close(h);
}

/* The stop comes once the pauses are long (the fifth, 0.8 to 1.6 s): it
 * must end the wait within a slice of its nap, not at the pause's end. */
typedef struct stopper {
    dbmig *h;
    double at;
} stopper;

static void *stop_later(void *arg)
{
    stopper *s = arg;
    dm_sleep_ms(1700);
    s->at = dm_now_ms();
    dbmig_interrupt(s->h);
    return NULL;
}

static void test_interrupt(void **state)
{
    fx *f = *state;
    prepare(f, "001");
    dbmig *h = open_h(f, 0, DBMIG_PHASE_ALL);
    pthread_t t;
    stopper s = {h, 0};
    assert_int_equal(pthread_create(&t, NULL, stop_later, &s), 0);
    dbmig_wait_result *r = NULL;
    assert_int_equal(dbmig_wait(h, 60000, 0, &r), DBMIG_EINTERRUPTED);
    double ms = dm_now_ms() - s.at;
    pthread_join(t, NULL);
    if (ms > 250)
        fail_msg("the stop took %.0f ms", ms);
    assert_non_null(strstr(dbmig_errmsg(h), "interrupted while waiting"));
    assert_int_equal(r->state, DBMIG_WS_PENDING);
    dbmig_wait_result_free(r);
    dbmig_close(h);
}

static int write_nothing(void *p, const char *d, size_t n)
{
    (void)p, (void)d, (void)n;
    return 0;
}

static void test_refused_at_once(void **state)
{
    fx *f = *state;
    prepare(f, "");
    dbmig *h = open_h(f, 0, DBMIG_PHASE_ALL);
    assert_int_equal(dbmig_wait(h, 10000, 0x100, NULL), DBMIG_EUSAGE);
    dbmig_close(h);
    assert_int_equal(dbmig_wait(NULL, 0, 0, NULL), DBMIG_EUSAGE);
    /* offline mode */
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->url;
    o.dir = f->mig;
    o.sql_out = write_nothing;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dbmig_wait(h, 10000, 0, NULL), DBMIG_EUSAGE);
    dbmig_close(h);
    /* a bad folder: no connection is even tried */
    ut_write_file(f->mig, "003_bad.sql", "-- dbmig:parents nope\n-- dbmig:up\nSELECT 1;\n");
    h = open_h(f, 0, DBMIG_PHASE_ALL);
    dbmig_wait_result *r = (dbmig_wait_result *)1;
    assert_int_equal(dbmig_wait(h, 10000, 0, &r), DBMIG_EINVALID);
    assert_null(r);
    assert_int_equal(f->w.connects, 0);
    /* ... which --reachable does not read */
    assert_int_equal(dbmig_wait(h, 10000, DBMIG_WAIT_REACHABLE, NULL), DBMIG_OK);
    dbmig_close(h);
    char p[160];
    snprintf(p, sizeof p, "%s/003_bad.sql", f->mig);
    unlink(p);
}

static void test_verbose_and_nodb(void **state)
{
    fx *f = *state;
    unlink(f->db);
    dbmig *h = open_h(f, 1, DBMIG_PHASE_ALL);
    dbmig_wait_result *r = NULL;
    assert_int_equal(dbmig_wait(h, 250, 0, &r), DBMIG_ETIMEOUT);
    assert_int_equal(r->state, DBMIG_WS_NO_DATABASE);
    assert_false(r->reachable);
    assert_non_null(r->error);
    assert_int_equal(f->ev.debug_notices, (int)r->polls); /* one per look with verbose */
    assert_int_equal(f->ev.info_notices, 1);
    assert_true(access(f->db, F_OK) != 0); /* nothing created */
    dbmig_wait_result_free(r);
    dbmig_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_backoff_jitter_and_seed),
        cmocka_unit_test(test_backoff_deadline),
        cmocka_unit_test(test_state_of),
        cmocka_unit_test(test_refused_then_reachable),
        cmocka_unit_test(test_read_failure_reconnects),
        cmocka_unit_test(test_timeout_pending),
        cmocka_unit_test(test_phase_pre),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_refused_at_once),
        cmocka_unit_test(test_verbose_and_nodb),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
