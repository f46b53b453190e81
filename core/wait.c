/* wait.c — dbmig_wait (SPEC section 16): the readiness gate of Kubernetes
 * init containers and start scripts. It looks, pauses (wait.h's backoff)
 * and looks again until the database is reachable and has nothing pending,
 * or the time is up. Read-only: it never takes the lock, never creates the
 * database or the version table, and reads only committed rows, so a
 * revision applied by a concurrent upgrade counts only once it is
 * committed (an uncommitted group is invisible, never "ready" too early).
 *
 * What waiting can fix is retried: a refused connection, a server starting
 * up, a read that failed (the connection is dropped and made again), a
 * database not created yet, pending or dirty revisions. What it cannot fix
 * fails at once: no or bad URL, an unknown driver, a bad migrations
 * folder. No global state: the backoff's random state lives on the stack. */
#define _POSIX_C_SOURCE 200809L
#include "wait.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddlwait.h"
#include "engine.h"
#include "exec.h"
#include "vtable.h"

/* ---- the pure parts (wait.h) ------------------------------------------------ */

void dm_backoff_init(dm_backoff *b, uint64_t seed)
{
    b->step_ms = DM_WAIT_FIRST_MS;
    b->rng = seed ? seed : 0x9E3779B97F4A7C15ull; /* xorshift must not start at 0 */
}

int dm_backoff_next(dm_backoff *b, double left_ms)
{
    if (left_ms <= 0)
        return 0;
    int step = b->step_ms;
    b->step_ms = step >= DM_WAIT_CAP_MS / 2 ? DM_WAIT_CAP_MS : step * 2;
    b->rng ^= b->rng << 13; /* xorshift64 */
    b->rng ^= b->rng >> 7;
    b->rng ^= b->rng << 17;
    int half = step / 2;
    int ms = half + (int)(b->rng % (uint64_t)(step - half + 1)); /* [step/2, step] */
    if (ms > left_ms)
        ms = (int)left_ms;
    return ms > 0 ? ms : 1;
}

int dm_wait_state_of(const dm_wait_seen *s, int reachable_only)
{
    if (s->nodb)
        return DBMIG_WS_NO_DATABASE;
    if (!s->connected)
        return DBMIG_WS_UNREACHABLE;
    if (reachable_only)
        return DBMIG_WS_READY;
    if (s->dirty)
        return DBMIG_WS_DIRTY;
    return s->pending ? DBMIG_WS_PENDING : DBMIG_WS_READY;
}

/* ---- one look ------------------------------------------------------------------ */

typedef struct look {
    dm_wait_seen seen;
    int state;
    size_t applied;
    dm_strv pending, dirty, post;
    dm_buf error;    /* the connection's or the read's failure */
    dm_buf advice;   /* the driver's hint for a database that does not exist */
    int read_failed; /* connected, but the read failed (a permission, a restart) */
} look;

static void look_free(look *l)
{
    dm_strv_free(&l->pending);
    dm_strv_free(&l->dirty);
    dm_strv_free(&l->post);
    dm_buf_free(&l->error);
    dm_buf_free(&l->advice);
    memset(l, 0, sizeof *l);
}

/* A failure that waiting can fix: the database refused or did not answer
 * (a bad URL, a driver that cannot load, a bad folder are no such thing). */
static int transient(const dbmig *h, int rc)
{
    return rc == DBMIG_ERROR && h->err.kind == DBMIG_KIND_DATABASE;
}

/* A connection that failed a read is made again at the next look (the
 * server may have restarted). Never one that holds the lock: wait takes
 * none, so that is a caller's between two of its own calls. */
static void drop_conn(dbmig *h)
{
    if (h->conn && !h->locked && !h->lease) {
        h->drv->close(h->drv_self, h->conn);
        h->conn = NULL;
    }
}

/* The folder's revisions against the rows read: applied and clean, pending
 * (dirty ones too), or post ones left for after the deploy (pre). */
static int classify(dbmig *h, const dm_vstate *vs, int pre, look *l)
{
    const dm_graph *g = &h->graph;
    const dm_vrow **rowof = calloc(g->n ? g->n : 1, sizeof(const dm_vrow *)); // NOLINT(bugprone-sizeof-expression)
    if (!rowof)
        return dm_err_nomem(&h->err);
    for (size_t i = 0; i < vs->n; i++)
        if (vs->rows[i].rev != DM_NONE)
            rowof[vs->rows[i].rev] = &vs->rows[i];
    int fail = 0;
    for (size_t k = 0; k < g->n && !fail; k++) {
        size_t r = g->order[k];
        const dm_vrow *row = rowof[r];
        if (row && !row->dirty)
            l->applied++;
        else if (row) /* a dirty post revision is pending even before the deploy */
            fail = dm_strv_push(&l->pending, g->revs[r].id) ||
                   dm_strv_push(&l->dirty, g->revs[r].id);
        else if (pre && g->revs[r].file.post)
            fail = dm_strv_push(&l->post, g->revs[r].id);
        else
            fail = dm_strv_push(&l->pending, g->revs[r].id);
    }
    free(rowof);
    l->seen.pending = l->pending.n;
    l->seen.dirty = l->dirty.n;
    return fail ? dm_err_nomem(&h->err) : DBMIG_OK;
}

/* The connection's or the read's failure, kept for the messages. */
static int keep_error(dbmig *h, look *l)
{
    dm_buf_reset(&l->error);
    return dm_buf_puts(&l->error, dbmig_errmsg(h)) ? dm_err_nomem(&h->err) : DBMIG_OK;
}

/* Connected: reads what the look needs (a round trip in any case, so that
 * a connection kept from an earlier call must answer now). */
static int look_read(dbmig *h, int reachable, int pre, look *l)
{
    if (reachable) {
        int exists = 0;
        if (h->drv->table_exists(h->drv_self, h->conn, h->table, &exists) != DBMIG_DRV_OK)
            return dm_db_error(h, "the connection did not answer");
        l->seen.connected = 1;
        return DBMIG_OK;
    }
    dm_vstate vs;
    int rc = dm_vstate_read(h, &vs, 0); /* no table yet: no rows, every revision pending */
    if (rc != DBMIG_OK)
        return rc;
    l->seen.connected = 1;
    rc = classify(h, &vs, pre, l);
    dm_vstate_free(&vs);
    return rc;
}

/* One look: DBMIG_OK with l filled (its state says what it saw), or the
 * failure that waiting cannot fix. */
static int look_once(dbmig *h, int reachable, int pre, look *l)
{
    look_free(l);
    dm_err_clear(&h->err);
    int rc = dm_need_conn(h), reading = 0;
    if (rc == DBMIG_OK && !h->conn && h->nodb) {
        l->seen.nodb = 1;
        /* the driver's own advice when it gives one: `dbmig upgrade`
         * creates a SQLite file, but not a folder that is missing too */
        const char *hint = h->nodb_hint && *h->nodb_hint ? h->nodb_hint
                                                         : "`dbmig upgrade` creates it";
        if (dm_buf_puts(&l->error, h->nodb_msg ? h->nodb_msg : "the database does not exist") ||
            dm_buf_puts(&l->advice, hint))
            return dm_err_nomem(&h->err);
    } else if (rc == DBMIG_OK) {
        reading = 1;
        rc = look_read(h, reachable, pre, l);
        if (rc != DBMIG_OK && transient(h, rc))
            drop_conn(h);
    }
    if (rc != DBMIG_OK) {
        if (!transient(h, rc))
            return rc;
        look_free(l);
        l->read_failed = reading;
        if ((rc = keep_error(h, l)) != DBMIG_OK)
            return rc;
        dm_err_clear(&h->err);
    }
    l->state = dm_wait_state_of(&l->seen, reachable);
    return DBMIG_OK;
}

/* ---- what it says ----------------------------------------------------------- */

/* " (a, b, c and 4 more)": at most five names. */
static void list_ids(dm_buf *b, const dm_strv *v)
{
    dm_buf_puts(b, " (");
    for (size_t i = 0; i < v->n && i < 5; i++)
        dm_buf_printf(b, "%s%s", i ? ", " : "", v->v[i]);
    if (v->n > 5)
        dm_buf_printf(b, " and %zu more", v->n - 5);
    dm_buf_puts(b, ")");
}

/* What the look waits for, one line: "3 revisions pending (a, b, c)". */
static void describe(const look *l, dm_buf *b)
{
    const char *err = dm_buf_str(&l->error);
    switch (l->state) {
    case DBMIG_WS_UNREACHABLE:
        dm_buf_printf(b, "%s: %.*s",
                      l->read_failed ? "connected, but the read failed"
                                     : "the database is not reachable",
                      (int)strcspn(err, "\n"), err);
        break;
    case DBMIG_WS_NO_DATABASE:
        dm_buf_printf(b, "the database does not exist yet (%s); %s", err, dm_buf_str(&l->advice));
        break;
    case DBMIG_WS_DIRTY:
        dm_buf_printf(b, "%zu dirty revision%s", l->dirty.n, l->dirty.n == 1 ? "" : "s");
        list_ids(b, &l->dirty);
        if (l->pending.n > l->dirty.n)
            dm_buf_printf(b, " and %zu other pending", l->pending.n - l->dirty.n);
        break;
    case DBMIG_WS_PENDING:
        dm_buf_printf(b, "%zu revision%s pending", l->pending.n, l->pending.n == 1 ? "" : "s");
        list_ids(b, &l->pending);
        break;
    default:
        dm_buf_puts(b, "ready");
    }
}

/* A notice each time what it waits for changes (said: the last one); with
 * verbose, a DEBUG one for every look. */
static void report(dbmig *h, const look *l, dm_buf *said, unsigned polls, double t0, int next_ms,
                   int limit_ms)
{
    dm_buf now = {0}, msg = {0};
    describe(l, &now);
    /* time-out 0: one look, no waiting to announce (its error says it all) */
    if (l->state != DBMIG_WS_READY && limit_ms > 0 &&
        strcmp(dm_buf_str(&now), dm_buf_str(said)) != 0) {
        if (polls == 1)
            dm_buf_printf(&msg, "waiting up to %g s: %s", limit_ms / 1000.0, dm_buf_str(&now));
        else
            dm_buf_printf(&msg, "still waiting after %.1f s: %s", (dm_now_ms() - t0) / 1000.0,
                          dm_buf_str(&now));
        dm_emit(h, DBMIG_EV_NOTICE, NULL, dm_buf_str(&msg), NULL);
        dm_buf_reset(said);
        dm_buf_puts(said, dm_buf_str(&now));
    }
    if (h->o.verbose) {
        dm_buf_reset(&msg);
        dm_buf_printf(&msg, "look %u after %.1f s: %s", polls, (dm_now_ms() - t0) / 1000.0,
                      dm_buf_str(&now));
        if (next_ms > 0)
            dm_buf_printf(&msg, "; next in %d ms", next_ms);
        dm_emit_level(h, DBMIG_EV_NOTICE, DBMIG_LOG_DEBUG, NULL, dm_buf_str(&msg), NULL);
    }
    dm_buf_free(&now);
    dm_buf_free(&msg);
}

/* The time-out's message: what it still waited for and what to do. */
static int timed_out(dbmig *h, const look *l, int limit_ms, unsigned polls, int pre)
{
    dm_buf b = {0};
    if (limit_ms == 0)
        dm_buf_puts(&b, "not ready at the only look (time-out 0): waiting for ");
    else
        dm_buf_printf(&b, "timed out after %g s (%u looks) waiting for ", limit_ms / 1000.0, polls);
    const char *err = dm_buf_str(&l->error);
    if (l->state == DBMIG_WS_UNREACHABLE) {
        dm_buf_printf(&b, "%s: %s",
                      l->read_failed
                          ? "the database to answer; it connected, but the last read failed"
                          : "the database to be reachable; the last attempt",
                      err);
    } else if (l->state == DBMIG_WS_NO_DATABASE) {
        dm_buf_printf(&b, "the database to exist: %s; %s", err, dm_buf_str(&l->advice));
    } else if (l->state == DBMIG_WS_DIRTY) {
        dm_buf_printf(&b, "%zu dirty revision%s", l->dirty.n, l->dirty.n == 1 ? "" : "s");
        list_ids(&b, &l->dirty);
        dm_buf_puts(&b, ": an upgrade may still be applying it outside a transaction, or one "
                        "failed there and left it dirty; if no upgrade is running, see `dbmig "
                        "status`, fix the cause and run `dbmig upgrade --resume`, or settle it "
                        "with `dbmig repair`");
    } else {
        dm_buf_printf(&b, "%zu pending revision%s", l->pending.n, l->pending.n == 1 ? "" : "s");
        list_ids(&b, &l->pending);
        dm_buf_printf(&b, " to be applied: nothing applied them in time; run `dbmig upgrade%s` "
                          "(a Job or a deploy step), or wait longer",
                      pre ? " --phase pre" : "");
    }
    dm_err_set(&h->err, DBMIG_ETIMEOUT, "%s", dm_buf_str(&b));
    dm_buf_free(&b);
    return dm_err_kind(&h->err, DBMIG_KIND_TIMEOUT);
}

/* ---- the result ---------------------------------------------------------------- */

void dbmig_wait_result_free(dbmig_wait_result *r)
{
    if (!r)
        return;
    dm_strs_free(r->pending, r->npending);
    dm_strs_free(r->dirty, r->ndirty);
    dm_strs_free(r->post, r->npost);
    free((char *)r->error);
    free(r);
}

static dbmig_wait_result *result_of(const look *l, unsigned polls, double ms)
{
    dbmig_wait_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->state = l->state;
    r->reachable = l->seen.connected;
    r->applied = l->applied;
    r->polls = polls;
    r->elapsed_ms = ms;
    r->pending = dm_strs_dup((const char *const *)l->pending.v, l->pending.n);
    r->npending = l->pending.n;
    r->dirty = dm_strs_dup((const char *const *)l->dirty.v, l->dirty.n);
    r->ndirty = l->dirty.n;
    r->post = dm_strs_dup((const char *const *)l->post.v, l->post.n);
    r->npost = l->post.n;
    r->error = l->error.len ? dm_strdup(dm_buf_str(&l->error)) : NULL;
    if (!r->pending || !r->dirty || !r->post || (l->error.len && !r->error)) {
        dbmig_wait_result_free(r);
        return NULL;
    }
    return r;
}

/* ---- the loop ------------------------------------------------------------------- */

/* What cannot change while it waits is checked once, before the first look:
 * the call itself, the folder (unless only reachability is asked), the
 * driver. */
static int wait_start(dbmig *h, unsigned flags)
{
    dm_err_clear(&h->err);
    if (flags & ~(DBMIG_WAIT_REACHABLE | DBMIG_WAIT_PHASE_PRE))
        return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig_wait: unknown flags 0x%x",
                          flags & ~(DBMIG_WAIT_REACHABLE | DBMIG_WAIT_PHASE_PRE));
    if (h->o.sql_out)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "wait needs a database to look at; it cannot run in offline mode "
                          "(--sql, sql_out)");
    int rc = flags & DBMIG_WAIT_REACHABLE ? DBMIG_OK : dm_need_graph(h);
    return rc != DBMIG_OK ? rc : dm_need_driver(h);
}

int dbmig_wait(dbmig *h, int timeout_ms, unsigned flags, dbmig_wait_result **out)
{
    if (out)
        *out = NULL;
    if (!h)
        return DBMIG_EUSAGE;
    int rc = wait_start(h, flags);
    if (rc != DBMIG_OK)
        return rc;
    int reachable = (flags & DBMIG_WAIT_REACHABLE) != 0;
    int pre = (flags & DBMIG_WAIT_PHASE_PRE) || h->o.phase == DBMIG_PHASE_PRE;
    int limit = timeout_ms < 0 ? DM_WAIT_DEFAULT_MS : timeout_ms;
    double t0 = dm_now_ms(), deadline = t0 + limit;
    dm_backoff b;
    dm_backoff_init(&b, (uint64_t)(t0 * 1000.0) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)h);
    look l = {0};
    dm_buf said = {0};
    unsigned polls = 0;
    for (;;) {
        if (dm_exec_stopped(h)) {
            rc = DBMIG_EINTERRUPTED;
            break;
        }
        if ((rc = look_once(h, reachable, pre, &l)) != DBMIG_OK)
            break;
        polls++;
        double left = deadline - dm_now_ms();
        int ms = l.state == DBMIG_WS_READY ? 0 : dm_backoff_next(&b, left);
        report(h, &l, &said, polls, t0, ms, limit);
        if (l.state == DBMIG_WS_READY)
            break;
        if (left <= 0) {
            rc = timed_out(h, &l, limit, polls, pre);
            break;
        }
        if (dm_ddlwait_nap(h, ms)) {
            rc = DBMIG_EINTERRUPTED;
            break;
        }
    }
    if (rc == DBMIG_EINTERRUPTED) {
        dm_buf what = {0};
        describe(&l, &what);
        rc = dm_err_set(&h->err, DBMIG_EINTERRUPTED, "interrupted while waiting (%u looks): %s",
                        polls, polls ? dm_buf_str(&what) : "no look taken");
        dm_buf_free(&what);
    }
    if (out && (rc == DBMIG_OK || rc == DBMIG_ETIMEOUT || rc == DBMIG_EINTERRUPTED) &&
        !(*out = result_of(&l, polls, dm_now_ms() - t0)))
        rc = dm_err_nomem(&h->err);
    look_free(&l);
    dm_buf_free(&said);
    return rc;
}
