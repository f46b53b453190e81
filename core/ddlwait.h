/* ddlwait.h — DDL that never stalls production (SPEC section 14): the
 * session time-outs of --ddl-lock-timeout and --statement-timeout, the
 * retry policy of a lock time-out (--ddl-retries, backoff with full
 * jitter), and the watcher that tells what blocked a statement.
 *
 * An upgrade or downgrade (run.c) opens one dm_ddlwait once it holds the
 * migration lock: the time-outs are set on the run's connection with the
 * driver's templates (driver.h, dbmig_dialect_sql ABI 2.3) before dbmig's
 * own look-ups (dm_ddlwait_own), so no statement of the run waits longer.
 * When there is something to apply, the executor (exec.c) starts the
 * watcher (dm_ddlwait_watch): with --ddl-lock-timeout and a driver that can
 * name blockers, a thread with its own connection polls the driver's
 * blockers query while a migration statement runs longer than
 * min(timeout / 2, 500 ms). close() puts the server's defaults back, stops
 * and joins the thread and closes its connection. Internal. */
#ifndef DM_DDLWAIT_H
#define DM_DDLWAIT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

typedef struct dm_ddlwait dm_ddlwait;

/* The blocker text's size: "pid 4242 (idle in transaction 12 s): UPDATE t
 * SET ..." and "(and N other sessions)". */
#define DM_BLOCKER_CAP 256

/* Refuses (DBMIG_EUSAGE) an option of SPEC section 14 that h's loaded
 * driver cannot honour (its template is NULL), or, once connected, the
 * server it reached (DBMIG_CAP_NO_STATEMENT_TIMEOUT), naming the driver and
 * the option. Never a silent no-op. */
int dm_ddlwait_check(dbmig *h);

/* When --ddl-lock-timeout or --statement-timeout is set: applies them on
 * h->conn. *out stays NULL when neither option is set. A template the
 * server refuses is DBMIG_ERROR naming the option and the database's
 * words. */
int dm_ddlwait_open(dbmig *h, dm_ddlwait **out);
/* Starts the watcher where it can (--ddl-lock-timeout, a driver with
 * blockers; once): a watcher that cannot start is no failure, blockers are
 * then not told. NULL is a no-op. */
void dm_ddlwait_watch(dm_ddlwait *w);
/* Runs fn(arg), dbmig's own statements before the migrations' (the version
 * table's look-up): a lock time-out there (w not NULL) is retried as a
 * migration's is (--ddl-retries, backoff), each retry a warning naming
 * what. */
int dm_ddlwait_own(dbmig *h, dm_ddlwait *w, const char *what, int (*fn)(void *arg), void *arg);
/* Sleeps ms in slices unless a stop (dbmig_interrupt, dbmig_cancel)
 * comes: 1 when stopped. */
int dm_ddlwait_nap(dbmig *h, int ms);
/* Resets the time-outs (errors ignored: the run's outcome is decided),
 * joins the watcher, closes its connection, frees w. NULL is a no-op. */
void dm_ddlwait_close(dm_ddlwait *w);

/* An offline script (--sql): the time-outs' statements at its head, so the
 * script runs under them too (a script cannot retry: a comment says so).
 * A time-out the driver cannot honour is refused as in a live run. */
int dm_ddlwait_script(dbmig *h, dm_buf *b);

/* A migration statement starts / has ended on h->conn (w may be NULL). */
void dm_ddlwait_enter(dm_ddlwait *w);
void dm_ddlwait_leave(dm_ddlwait *w);
/* The blockers the watcher saw during the last statement ("" when none
 * was seen or w is NULL). */
void dm_ddlwait_blocker(dm_ddlwait *w, char *out, size_t cap);

/* The retries of the running step (of the whole run under
 * --single-transaction): how many were made, and the last blocker seen. */
typedef struct dm_retry {
    int attempt;
    char blocker[DM_BLOCKER_CAP];
} dm_retry;
/* w's retry state (NULL when w is NULL); the executor resets it when a
 * step starts. */
dm_retry *dm_ddlwait_retry(dm_ddlwait *w);

/* Whether a failure of kind `kind` (dbmig_db_error_kind) is retried:
 * a lock time-out, with --ddl-lock-timeout set. */
int dm_ddlwait_retryable(const dbmig *h, uint32_t kind);
/* --ddl-retries (its default 5 when < 0). */
int dm_ddlwait_retries(const dbmig *h);
/* How long to wait before retry number `attempt` (0-based): a uniformly
 * random 0..dm_ddl_backoff_cap_ms(attempt) ("full jitter"). */
int dm_ddlwait_backoff_ms(dm_ddlwait *w, int attempt);

/* 200 ms x 2^attempt, at most 10 s. */
int dm_ddl_backoff_cap_ms(int attempt);
/* Appends tpl to out with {ms} = ms, {s} = ms in whole seconds rounded up
 * (at least 1) and {id} = id (NULL: left as is). -1 on no memory. */
int dm_ddl_template(const char *tpl, long ms, const char *id, dm_buf *out);
/* One row of a blockers query (id, state, seconds, query) as the RETRY
 * event's text: "pid 4242 (idle in transaction 12 s): UPDATE t SET x = 1",
 * the query's first non-empty line, shortened. who: "pid", "connection". */
void dm_ddl_blocker_text(const char *who, const char *const *v, int ncols, char *out,
                         size_t cap);

#endif
