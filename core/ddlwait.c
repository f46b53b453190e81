/* ddlwait.c — the session time-outs, the retry policy and the blocker
 * watcher of SPEC section 14 (see ddlwait.h).
 *
 * The watcher: one thread, one connection of its own, opened only with
 * --ddl-lock-timeout and a driver that gives session_id and blockers. The
 * executor marks each migration statement's start and end (enter/leave);
 * while one runs longer than min(timeout / 2, 500 ms) the thread runs the
 * blockers query for the main session every 250 ms and keeps the latest
 * answer. A poll that ends after its statement did still counts for that
 * statement (a lock time-out ends the wait the poll was looking at). The
 * main thread never waits for the watcher except at close (join). */
#define _POSIX_C_SOURCE 200809L
#include "ddlwait.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "loader.h"
#include "thread.h"

#define POLL_MS 250
#define FIRST_POLL_MAX_MS 500
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 10000

struct dm_ddlwait {
    dbmig *h;
    int lock_set, stmt_set; /* what open() set, for close() to reset */
    uint64_t rng;           /* the jitter's xorshift state */
    /* the watcher */
    dbmig_conn *conn2;
    char *blockers_sql;     /* {id} replaced */
    const char *who;        /* "pid" or "connection" */
    int delay_ms;           /* a statement's first poll after this long */
    pthread_t thread;
    int watch_tried, started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    int stop, running;
    unsigned gen;           /* statements entered so far */
    double next;            /* the running statement's next poll (dm_now_ms) */
    char seen[DM_BLOCKER_CAP]; /* the running (or last) statement's blockers */
    dm_retry retry;         /* the executor's (main thread only) */
};

/* ---- pure helpers ---------------------------------------------------------- */

int dm_ddl_backoff_cap_ms(int attempt)
{
    if (attempt < 0)
        attempt = 0;
    if (attempt >= 6) /* 200 << 6 = 12800 > the cap; no overflow for larger ones */
        return BACKOFF_CAP_MS;
    int ms = BACKOFF_BASE_MS << attempt;
    return ms < BACKOFF_CAP_MS ? ms : BACKOFF_CAP_MS;
}

int dm_ddl_template(const char *tpl, long ms, const char *id, dm_buf *out)
{
    long s = ms <= 0 ? 1 : (ms + 999) / 1000;
    int oom = 0;
    for (const char *p = tpl; *p && !oom;) {
        if (strncmp(p, "{ms}", 4) == 0) {
            oom = dm_buf_printf(out, "%ld", ms);
            p += 4;
        } else if (strncmp(p, "{s}", 3) == 0) {
            oom = dm_buf_printf(out, "%ld", s);
            p += 3;
        } else if (id && strncmp(p, "{id}", 4) == 0) {
            oom = dm_buf_puts(out, id);
            p += 4;
        } else {
            oom = dm_buf_append(out, p, 1);
            p++;
        }
    }
    return oom ? -1 : 0;
}

/* The first non-empty line of q, spaces collapsed, at most 120 bytes (cut
 * on a UTF-8 boundary, "..." added when anything was left out). */
static void first_line(const char *q, char *out, size_t cap)
{
    size_t max = cap > 124 ? 120 : cap - 4, n = 0, i = 0;
    while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
        q++;
    size_t len = strcspn(q, "\r\n");
    int more = q[len] != '\0';
    for (; i < len && n < max; i++) {
        char c = q[i] == '\t' ? ' ' : q[i];
        if (!(c == ' ' && n > 0 && out[n - 1] == ' '))
            out[n++] = c;
    }
    if (i < len) {
        more = 1;
        if (((unsigned char)q[i] & 0xC0) == 0x80) { /* cut inside a character */
            while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
                n--;
            if (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0xC0)
                n--;
        }
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (more)
        snprintf(out + n, cap - n, "...");
}

void dm_ddl_blocker_text(const char *who, const char *const *v, int ncols, char *out, size_t cap)
{
    const char *id = ncols > 0 && v[0] ? v[0] : "?";
    const char *state = ncols > 1 && v[1] && *v[1] ? v[1] : "unknown state";
    const char *secs = ncols > 2 && v[2] && *v[2] ? v[2] : NULL;
    char q[128] = "";
    if (ncols > 3 && v[3])
        first_line(v[3], q, sizeof q);
    int n = snprintf(out, cap, "%s %.20s (%.40s%s%.20s%s)", who, id, state, secs ? " " : "",
                     secs ? secs : "", secs ? " s" : "");
    if (n > 0 && (size_t)n < cap && q[0])
        snprintf(out + n, cap - (size_t)n, ": %s", q);
}

/* ---- options --------------------------------------------------------------- */

static int refuse(dbmig *h, const char *opt, const char *key, const char *why)
{
    return dm_err_set(&h->err, DBMIG_EUSAGE,
                      "driver %s cannot honour --%s: %s. Drop the option (or the config key "
                      "%s, or the variable DBMIG_%s) for this database",
                      h->drv->name, opt, why, opt, key);
}

int dm_ddlwait_check(dbmig *h)
{
    if (!h->drv)
        return DBMIG_OK;
    if (h->o.ddl_lock_timeout_ms > 0 && !DM_DRV_SQL(h->drv, lock_timeout))
        return refuse(h, "ddl-lock-timeout", "DDL_LOCK_TIMEOUT",
                      "it cannot bound a statement's wait for a lock");
    if (h->o.statement_timeout_ms > 0 && !DM_DRV_SQL(h->drv, statement_timeout))
        return refuse(h, "statement-timeout", "STATEMENT_TIMEOUT",
                      h->drv->dialect == DBMIG_DIALECT_SQLITE
                          ? "SQLite has no statement time-out that SQL can set"
                          : "it cannot bound how long a statement runs");
    /* the server reached (h->conn): MySQL vs MariaDB */
    if (h->o.statement_timeout_ms > 0 && h->conn && (h->caps & DBMIG_CAP_NO_STATEMENT_TIMEOUT))
        return refuse(h, "statement-timeout", "STATEMENT_TIMEOUT",
                      h->drv->dialect == DBMIG_DIALECT_MYSQL
                          ? "MySQL has no statement time-out for DDL (max_statement_time is "
                            "MariaDB's; max_execution_time bounds a SELECT only)"
                          : "the server it reached cannot bound how long a statement runs");
    return DBMIG_OK;
}

dm_retry *dm_ddlwait_retry(dm_ddlwait *w) { return w ? &w->retry : NULL; }

int dm_ddlwait_retryable(const dbmig *h, uint32_t kind)
{
    return h->o.ddl_lock_timeout_ms > 0 && kind == DBMIG_DB_ERR_LOCK_TIMEOUT;
}

int dm_ddlwait_retries(const dbmig *h) { return h->o.ddl_retries < 0 ? 5 : h->o.ddl_retries; }

int dm_ddlwait_backoff_ms(dm_ddlwait *w, int attempt)
{
    int cap = dm_ddl_backoff_cap_ms(attempt);
    if (!w)
        return cap;
    w->rng ^= w->rng << 13; /* xorshift64 */
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return (int)(w->rng % (uint64_t)(cap + 1));
}

/* Runs each `;`-separated statement of tpl on h->conn. report: a failure
 * sets h->err (through dm_sql_exec); else it is ignored and h->err left
 * alone (a reset after the run, whose error is the one to keep). */
static int run_each(dbmig *h, const char *tpl, long ms, int report)
{
    dm_buf sql = {0};
    if (dm_ddl_template(tpl, ms, NULL, &sql) != 0)
        return report ? dm_err_nomem(&h->err) : DBMIG_ERROR;
    int rc = DBMIG_OK;
    char *p = sql.ptr;
    while (rc == DBMIG_OK && p && *p) {
        char *end = strchr(p, ';');
        if (end)
            *end = '\0';
        if (strspn(p, " \t\n") < strlen(p))
            rc = report ? dm_sql_exec(h, p, NULL)
                        : h->drv->exec(h->drv_self, h->conn, p, strlen(p), NULL) == DBMIG_DRV_OK
                              ? DBMIG_OK
                              : DBMIG_ERROR;
        p = end ? end + 1 : NULL;
    }
    dm_buf_free(&sql);
    return rc;
}

static int apply(dbmig *h, const char *tpl, long ms, const char *opt)
{
    int rc = run_each(h, tpl, ms, 1);
    if (rc != DBMIG_OK)
        dm_err_prefix(&h->err, "cannot set --%s with driver %s: ", opt, h->drv->name);
    return rc;
}

/* ---- the watcher ------------------------------------------------------------ */

typedef struct poll_ctx {
    const char *who;
    int rows;
    char text[DM_BLOCKER_CAP];
} poll_ctx;

static int poll_row(void *payload, int ncols, const char *const *values, const size_t *lengths)
{
    (void)lengths;
    poll_ctx *p = payload;
    if (p->rows++ == 0)
        dm_ddl_blocker_text(p->who, values, ncols, p->text, sizeof p->text);
    return 0;
}

/* One run of the blockers query: 1 and text when a session blocks. */
static int watch_poll(dm_ddlwait *w, char *text, size_t cap)
{
    dbmig *h = w->h;
    poll_ctx p = {.who = w->who};
    if (h->drv->query(h->drv_self, w->conn2, w->blockers_sql, poll_row, &p) != DBMIG_DRV_OK ||
        p.rows == 0)
        return 0;
    size_t n = strlen(p.text);
    if (p.rows > 1 && n < sizeof p.text)
        snprintf(p.text + n, sizeof p.text - n, " (and %d other session%s)", p.rows - 1,
                 p.rows > 2 ? "s" : "");
    snprintf(text, cap, "%s", p.text);
    return 1;
}

static void wait_until(dm_ddlwait *w, double at_ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(at_ms / 1000);
    ts.tv_nsec = (long)((at_ms - (double)ts.tv_sec * 1000) * 1e6);
    if (ts.tv_nsec < 0)
        ts.tv_nsec = 0;
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_nsec = 999999999L;
    (void)pthread_cond_timedwait(&w->cv, &w->mu, &ts); /* the clock is CLOCK_MONOTONIC */
}

static void *watch_main(void *arg)
{
    dm_ddlwait *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        if (!w->running) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        double now = dm_now_ms();
        if (now < w->next) {
            wait_until(w, w->next);
            continue;
        }
        unsigned gen = w->gen;
        w->next = now + POLL_MS;
        pthread_mutex_unlock(&w->mu);
        char text[DM_BLOCKER_CAP];
        int got = watch_poll(w, text, sizeof text);
        pthread_mutex_lock(&w->mu);
        if (got && gen == w->gen) /* the same statement, running or just ended */
            snprintf(w->seen, sizeof w->seen, "%s", text);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

typedef struct id_ctx {
    char id[32];
    int ok;
} id_ctx;

static int id_row(void *payload, int ncols, const char *const *values, const size_t *lengths)
{
    (void)lengths;
    id_ctx *c = payload;
    const char *v = ncols > 0 && values[0] ? values[0] : "";
    /* pasted into SQL: digits only */
    c->ok = *v && strspn(v, "0123456789") == strlen(v) && strlen(v) < sizeof c->id;
    if (c->ok)
        snprintf(c->id, sizeof c->id, "%s", v);
    return 1;
}

/* The blockers query for h->conn's session, or NULL (the driver has none,
 * or the session's id could not be read). */
static char *blockers_sql(dbmig *h)
{
    const char *sid = DM_DRV_SQL(h->drv, session_id), *tpl = DM_DRV_SQL(h->drv, blockers);
    id_ctx c = {.ok = 0};
    if (!sid || !tpl || h->drv->query(h->drv_self, h->conn, sid, id_row, &c) != DBMIG_DRV_OK ||
        !c.ok)
        return NULL;
    dm_buf b = {0};
    if (dm_ddl_template(tpl, 0, c.id, &b) != 0) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

void dm_ddlwait_watch(dm_ddlwait *w)
{
    if (!w || w->watch_tried || w->h->o.ddl_lock_timeout_ms <= 0)
        return; /* tried already, or nothing to watch for */
    w->watch_tried = 1;
    dbmig *h = w->h;
    int t = h->o.ddl_lock_timeout_ms / 2;
    w->delay_ms = t < FIRST_POLL_MAX_MS ? t : FIRST_POLL_MAX_MS;
    w->who = h->drv->dialect == DBMIG_DIALECT_POSTGRES ? "pid" : "connection";
    if (!(w->blockers_sql = blockers_sql(h)))
        return;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    if (h->drv->connect(h->drv_self, &h->host, h->url, &w->conn2, &e) != DBMIG_DRV_OK) {
        w->conn2 = NULL;
        dm_emit_level(h, DBMIG_EV_NOTICE, DBMIG_LOG_DEBUG, NULL,
                      "--ddl-lock-timeout: no second connection to watch for blockers; a "
                      "retry will not say what blocked it",
                      NULL);
        return;
    }
    w->started = dm_thread_start(&w->thread, watch_main, w) == 0;
}

/* ---- a run's time-outs -------------------------------------------------------- */

static int ddlwait_new(dbmig *h, dm_ddlwait **out)
{
    dm_ddlwait *w = calloc(1, sizeof *w);
    if (!w)
        return dm_err_nomem(&h->err);
    pthread_condattr_t ca;
    int bad = pthread_condattr_init(&ca) != 0;
    bad = bad || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
          pthread_cond_init(&w->cv, &ca) != 0;
    if (!bad)
        pthread_condattr_destroy(&ca);
    if (bad || pthread_mutex_init(&w->mu, NULL) != 0) {
        if (!bad)
            pthread_cond_destroy(&w->cv);
        free(w);
        return dm_err_set(&h->err, DBMIG_ERROR, "cannot set up the time-outs' watcher");
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    w->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
             (uint64_t)(uintptr_t)w;
    if (!w->rng)
        w->rng = 0x9E3779B97F4A7C15ULL;
    w->h = h;
    *out = w;
    return DBMIG_OK;
}

int dm_ddlwait_open(dbmig *h, dm_ddlwait **out)
{
    *out = NULL;
    if (h->o.ddl_lock_timeout_ms <= 0 && h->o.statement_timeout_ms <= 0)
        return DBMIG_OK;
    int rc = dm_ddlwait_check(h);
    dm_ddlwait *w = NULL;
    if (rc == DBMIG_OK)
        rc = ddlwait_new(h, &w);
    if (rc != DBMIG_OK || !w)
        return rc;
    if (h->o.ddl_lock_timeout_ms > 0) {
        rc = apply(h, DM_DRV_SQL(h->drv, lock_timeout), h->o.ddl_lock_timeout_ms,
                   "ddl-lock-timeout");
        w->lock_set = rc == DBMIG_OK;
    }
    if (rc == DBMIG_OK && h->o.statement_timeout_ms > 0) {
        rc = apply(h, DM_DRV_SQL(h->drv, statement_timeout), h->o.statement_timeout_ms,
                   "statement-timeout");
        w->stmt_set = rc == DBMIG_OK;
    }
    if (rc != DBMIG_OK) {
        dm_ddlwait_close(w);
        return rc;
    }
    *out = w;
    return DBMIG_OK;
}

int dm_ddlwait_nap(dbmig *h, int ms)
{
    double until = dm_now_ms() + ms;
    int left = ms;
    while (left > 0 && !dm_exec_stopped(h)) {
        dm_sleep_ms(left < 50 ? left : 50);
        left = (int)(until - dm_now_ms() + 0.5);
    }
    return dm_exec_stopped(h) != 0;
}

int dm_ddlwait_own(dbmig *h, dm_ddlwait *w, const char *what, int (*fn)(void *arg), void *arg)
{
    int retries = dm_ddlwait_retries(h);
    for (int attempt = 0;; attempt++) {
        int rc = fn(arg);
        const dbmig_db_error *e =
            rc == DBMIG_ERROR && w && h->conn ? h->drv->last_error(h->drv_self, h->conn) : NULL;
        if (!e || !dm_ddlwait_retryable(h, e->kind) || attempt >= retries)
            return rc;
        int ms = dm_ddlwait_backoff_ms(w, attempt);
        char msg[200];
        snprintf(msg, sizeof msg,
                 "lock time-out: %s (attempt %d of %d, --ddl-lock-timeout %d ms); trying again "
                 "in %.1f s",
                 what, attempt + 1, retries + 1, h->o.ddl_lock_timeout_ms, ms / 1000.0);
        dm_emit_level(h, DBMIG_EV_NOTICE, DBMIG_LOG_WARN, NULL, msg, NULL);
        if (dm_ddlwait_nap(h, ms))
            return rc;
        dm_err_clear(&h->err);
    }
}

void dm_ddlwait_close(dm_ddlwait *w)
{
    if (!w)
        return;
    dbmig *h = w->h;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    if (w->conn2)
        h->drv->close(h->drv_self, w->conn2);
    const char *lr = DM_DRV_SQL(h->drv, lock_timeout_reset);
    const char *sr = DM_DRV_SQL(h->drv, statement_timeout_reset);
    if (w->lock_set && lr && h->conn)
        (void)run_each(h, lr, 0, 0);
    if (w->stmt_set && sr && h->conn)
        (void)run_each(h, sr, 0, 0);
    free(w->blockers_sql);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

int dm_ddlwait_script(dbmig *h, dm_buf *b)
{
    int rc = dm_ddlwait_check(h);
    int oom = 0;
    if (rc == DBMIG_OK && h->o.ddl_lock_timeout_ms > 0) {
        oom |= dm_buf_printf(b, "-- dbmig: --ddl-lock-timeout %d ms (a script stops at a lock "
                                "time-out: it is not retried)\n",
                             h->o.ddl_lock_timeout_ms);
        oom |= dm_ddl_template(DM_DRV_SQL(h->drv, lock_timeout), h->o.ddl_lock_timeout_ms, NULL,
                               b) != 0 ||
               dm_buf_puts(b, ";\n");
    }
    if (rc == DBMIG_OK && h->o.statement_timeout_ms > 0) {
        oom |= dm_buf_printf(b, "-- dbmig: --statement-timeout %d ms\n", h->o.statement_timeout_ms);
        oom |= dm_ddl_template(DM_DRV_SQL(h->drv, statement_timeout), h->o.statement_timeout_ms,
                               NULL, b) != 0 ||
               dm_buf_puts(b, ";\n");
    }
    return rc != DBMIG_OK ? rc : oom ? dm_err_nomem(&h->err) : DBMIG_OK;
}

void dm_ddlwait_enter(dm_ddlwait *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->running = 1;
    w->gen++;
    w->next = dm_now_ms() + w->delay_ms;
    w->seen[0] = '\0';
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void dm_ddlwait_leave(dm_ddlwait *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->running = 0;
    pthread_mutex_unlock(&w->mu);
}

void dm_ddlwait_blocker(dm_ddlwait *w, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->mu);
    snprintf(out, cap, "%s", w->seen);
    pthread_mutex_unlock(&w->mu);
}
