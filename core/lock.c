/* lock.c — the migration lock (SPEC section 7).
 *
 * session: the driver's try_lock (an advisory lock that dies with the
 * session or the process), polled until --lock-timeout; the core owns the
 * waiting, the messages and the time-out.
 *
 * lease: for setups where a session lock cannot exclude everyone (Galera:
 * GET_LOCK is node-local; PgBouncer in transaction pooling: lock and unlock
 * land on different server connections). A row in <table>_lock, written in
 * its own committed statement, names this run's random token and an expiry
 * time on the database's clock. A second connection, on its own thread,
 * pushes the expiry forward every lease/3 seconds while the run lasts, so a
 * statement that runs for an hour keeps the lease. Another process takes
 * the row over only after the expiry has passed. Every version-table write
 * is fenced: it happens only while the row still carries this run's token
 * (INSERT ... SELECT ... FROM <lock> WHERE token = ..., UPDATE/DELETE ...
 * AND EXISTS (...)), and a write that finds the lease gone fails the run.
 *
 * What a lease cannot guarantee: a holder cut off from the database for
 * longer than the lease, while one of its non-transactional statements is
 * still running, can overlap with the process that took over. The fencing
 * keeps the version table right (the late holder's write is refused and its
 * revision stays dirty), but the statement itself has run. Pick
 * --lease-seconds above the longest stall you expect.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "lock.h"
#include "loader.h"

#define LEASE_ID "dbmig"

struct dm_lease {
    dbmig *h;
    char token[40];
    char holder[200];
    char *qlock;          /* quoted <table>_lock */
    dbmig_conn *conn2;    /* the renewing connection */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;             /* under mu */
    int lost;             /* under mu: renewal found the row gone */
    char lost_why[300];   /* under mu */
};

/* ---- session ----------------------------------------------------------- */

static int session_take(dbmig *h)
{
    double deadline = dm_now_ms() + h->o.lock_timeout * 1000.0;
    int waited = 0, sleep_ms = 20;
    for (;;) {
        int acquired = 0;
        char holder[256] = "";
        if (h->drv->try_lock(h->drv_self, h->conn, h->table, &acquired, holder, sizeof holder) !=
            DBMIG_DRV_OK)
            return dm_db_error(h, "cannot take the migration lock");
        if (acquired) {
            h->locked = 1;
            if (waited)
                dm_emit(h, DBMIG_EV_LOCKED, NULL, "migration lock acquired", NULL);
            return DBMIG_OK;
        }
        double now = dm_now_ms();
        if (now >= deadline)
            return dm_err_set(&h->err, DBMIG_ELOCKED,
                              "the migration lock on %s is held by %s and was not released "
                              "within --lock-timeout %gs; another dbmig is migrating this "
                              "database: wait for it, or raise --lock-timeout",
                              h->table, holder[0] ? holder : "another process",
                              h->o.lock_timeout);
        if (!waited) {
            char msg[400];
            snprintf(msg, sizeof msg, "waiting up to %gs for the migration lock held by %s",
                     h->o.lock_timeout, holder[0] ? holder : "another process");
            dm_emit(h, DBMIG_EV_LOCK_WAIT, NULL, msg, holder);
            waited = 1;
        }
        if (h->interrupted) /* dbmig_interrupt (exec.c) */
            return dm_err_set(&h->err, DBMIG_EINTERRUPTED,
                              "interrupted while waiting for the migration lock on %s; nothing "
                              "was run", h->table);
        double left = deadline - now;
        dm_sleep_ms(left < sleep_ms ? (int)left + 1 : sleep_ms);
        if (sleep_ms < 200)
            sleep_ms *= 2;
    }
}

/* ---- lease --------------------------------------------------------------- */

/* The database's clock in epoch milliseconds, as an SQL expression: the
 * driver's (dbmig_dialect_sql.lease_now_ms). Never NULL here: a driver
 * without it is refused the lease before anything is taken (lease_sql). */
static void now_expr(const dbmig *h, char *out, size_t cap)
{
    const char *now = DM_DRV_SQL(h->drv, lease_now_ms);
    snprintf(out, cap, "%s", now ? now : "NULL");
}

/* The lease needs the driver's SQL (driver.h: lease_now_ms and
 * lease_share_lock); without it the core never guesses another database's
 * SQL: the lease is refused, naming the driver (exit 2). auto: chosen
 * because the server cannot share a session lock (Galera). */
static int lease_sql(dbmig *h, int autochosen)
{
    if (DM_DRV_SQL(h->drv, lease_now_ms) && DM_DRV_SQL(h->drv, lease_share_lock))
        return DBMIG_OK;
    const char *file = dm_plugin_file(h->plugin);
    if (autochosen)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "the server cannot share a session lock across its nodes, so dbmig "
                          "needs the lease lock, but driver %s%s%s%s gives no SQL for it (its "
                          "dialect SQL has no lease clock: plugins/README.md, section 6); "
                          "update the driver, or pass --lock session if every client reaches "
                          "one node",
                          h->drv->name, file ? " (" : "", file ? file : "", file ? ")" : "");
    return dm_err_set(&h->err, DBMIG_EUSAGE,
                      "--lock lease: driver %s%s%s%s gives no SQL for the lease lock (its dialect "
                      "SQL has no lease clock: plugins/README.md, section 6), and dbmig "
                      "does not guess another database's SQL; use --lock session, or a driver "
                      "that supports the lease lock",
                      h->drv->name, file ? " (" : "", file ? file : "", file ? ")" : "");
}

static int lease_exec(dbmig *h, dbmig_conn *c, dm_buf *sql, int64_t *affected)
{
    int64_t n = 0;
    int rc = h->drv->exec(h->drv_self, c, dm_buf_str(sql), sql->len, &n);
    dm_buf_free(sql);
    if (affected)
        *affected = n;
    return rc;
}

typedef struct holder_row {
    char holder[200];
    long long left_ms;
    int found;
} holder_row;

static int read_holder(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)lens;
    holder_row *r = payload;
    if (ncols >= 2) {
        snprintf(r->holder, sizeof r->holder, "%s", v[0] ? v[0] : "?");
        r->left_ms = v[1] ? strtoll(v[1], NULL, 10) : 0;
        r->found = 1;
    }
    return 1;
}

static void random_token(char out[40])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof b) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
        for (size_t i = 0; i < sizeof b; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
            b[i] = (unsigned char)(x >> 56);
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void *renew_main(void *arg)
{
    dm_lease *l = arg;
    dbmig *h = l->h;
    long period_ms = (long)h->o.lease_seconds * 1000 / 3;
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += period_ms / 1000;
        until.tv_nsec += (period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int w = 0;
        while (!l->stop && w != ETIMEDOUT)
            w = pthread_cond_timedwait(&l->cv, &l->mu, &until);
        if (l->stop)
            break;
        pthread_mutex_unlock(&l->mu);
        char now[96];
        now_expr(h, now, sizeof now);
        dm_buf sql = {0};
        int64_t n = 0;
        int rc = dm_buf_printf(&sql, "UPDATE %s SET expires_at = %s + %lld WHERE id = '" LEASE_ID
                                     "' AND token = '%s'",
                               l->qlock, now, (long long)h->o.lease_seconds * 1000, l->token);
        rc = rc ? DBMIG_DRV_ERROR : lease_exec(h, l->conn2, &sql, &n);
        pthread_mutex_lock(&l->mu);
        if (rc == DBMIG_DRV_OK && n == 0 && !l->lost) {
            l->lost = 1;
            snprintf(l->lost_why, sizeof l->lost_why,
                     "the lease lock on %s was taken over by another process (it expired "
                     "before it could be renewed)", h->table);
        }
        /* A failed renewal is retried at the next period; the lease only
         * counts as lost once the row says so. */
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void lease_free(dm_lease *l)
{
    if (!l)
        return;
    if (l->thread_started) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    if (l->conn2)
        l->h->drv->close(l->h->drv_self, l->conn2);
    free(l->qlock);
    free(l);
}

/* A new lease: its random token and the holder it names. */
static dm_lease *lease_new(dbmig *h)
{
    dm_lease *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->h = h;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    random_token(l->token);
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    snprintf(l->holder, sizeof l->holder, "pid %ld on %s (lease)", (long)getpid(), host);
    return l;
}

/* l->qlock: <table>_lock quoted, in the version table's schema if any. */
static int lease_qlock(dbmig *h, dm_lease *l)
{
    dm_buf q = {0};
    char *lockname = malloc(strlen(h->table) + 6);
    int rc = DBMIG_OK;
    if (!lockname)
        return dm_err_nomem(&h->err);
    sprintf(lockname, "%s_lock", h->table);
    rc = dm_quote_qualified(h, lockname, &q);
    free(lockname);
    if (rc != DBMIG_OK) {
        dm_buf_free(&q);
        return rc;
    }
    l->qlock = dm_buf_take(&q);
    return DBMIG_OK;
}

/* Creates the lock table if it is missing. */
static int lease_table(dbmig *h, dm_lease *l)
{
    dm_buf sql = {0};
    dm_buf_printf(&sql,
                  "CREATE TABLE IF NOT EXISTS %s (id VARCHAR(64) NOT NULL PRIMARY KEY, "
                  "token VARCHAR(64) NOT NULL, holder VARCHAR(255) NOT NULL, "
                  "expires_at BIGINT NOT NULL)",
                  l->qlock);
    if (lease_exec(h, h->conn, &sql, NULL) == DBMIG_DRV_OK)
        return DBMIG_OK;
    /* Two processes creating it at once: one may lose a catalog race
     * even with IF NOT EXISTS. Fine if the table is there now. */
    int exists = 0;
    int rc = dm_db_error(h, "cannot create the lease lock table");
    char name[200];
    snprintf(name, sizeof name, "%s_lock", strchr(h->table, '.') ? strchr(h->table, '.') + 1 : h->table);
    if (h->drv->table_exists(h->drv_self, h->conn, name, &exists) != DBMIG_DRV_OK || !exists)
        return rc;
    dm_err_clear(&h->err);
    return DBMIG_OK;
}

/* One attempt: insert a fresh row, else take over an expired one, then
 * confirm the row carries our token. *got = 1 when the lease is ours;
 * insert_error gets the failed insert's error. */
static int lease_try(dbmig *h, dm_lease *l, const char *now, dm_buf *insert_error, int *got)
{
    long long lease_ms = (long long)h->o.lease_seconds * 1000;
    dm_buf sql = {0};
    int64_t n = 0;
    *got = 0;
    /* 1. A fresh row. Two inserts racing (or two Galera nodes) make one
     *    fail with a duplicate key or a certification conflict. */
    dm_buf_printf(&sql, "INSERT INTO %s (id, token, holder, expires_at) VALUES ('" LEASE_ID
                        "', '%s', ",
                  l->qlock, l->token);
    dm_quote_literal(h, l->holder, &sql);
    dm_buf_printf(&sql, ", %s + %lld)", now, lease_ms);
    int ok = lease_exec(h, h->conn, &sql, &n) == DBMIG_DRV_OK;
    if (!ok) {
        dm_db_error_format(insert_error, h->drv->last_error(h->drv_self, h->conn));
        /* 2. Take over a row whose lease has expired. */
        dm_buf_printf(&sql, "UPDATE %s SET token = '%s', holder = ", l->qlock, l->token);
        dm_quote_literal(h, l->holder, &sql);
        dm_buf_printf(&sql, ", expires_at = %s + %lld WHERE id = '" LEASE_ID "' AND expires_at < %s",
                      now, lease_ms, now);
        ok = lease_exec(h, h->conn, &sql, &n) == DBMIG_DRV_OK && n == 1;
        if (ok)
            dm_emit(h, DBMIG_EV_NOTICE, NULL, "took over an expired lease lock", NULL);
    }
    if (!ok)
        return DBMIG_OK;
    /* Confirm: the row carries our token (a Galera conflict can surface
     * only at commit, i.e. after the statement returned). */
    holder_row r = {"", 0, 0};
    dm_buf_printf(&sql, "SELECT holder, expires_at - %s FROM %s WHERE id = '" LEASE_ID
                        "' AND token = '%s'",
                  now, l->qlock, l->token);
    int qrc = h->drv->query(h->drv_self, h->conn, dm_buf_str(&sql), read_holder, &r);
    dm_buf_free(&sql);
    if (qrc != DBMIG_DRV_OK) {
        /* We may hold it without being able to tell: give it back. */
        int rc = dm_db_error(h, "cannot confirm the lease lock");
        dm_buf_printf(&sql, "DELETE FROM %s WHERE id = '" LEASE_ID "' AND token = '%s'",
                      l->qlock, l->token);
        lease_exec(h, h->conn, &sql, NULL);
        return rc;
    }
    *got = r.found;
    return DBMIG_OK;
}

/* The waiting between two attempts. */
typedef struct lease_wait {
    double deadline;
    int waited, sleep_ms, lonely_failures;
} lease_wait;

/* After a failed attempt: who holds the row; give up at --lock-timeout,
 * on a stop or on a database error; else say so once and sleep. */
static int lease_wait_once(dbmig *h, dm_lease *l, const char *now, const dm_buf *insert_error,
                           lease_wait *w)
{
    holder_row r = {"", 0, 0};
    dm_buf sql = {0};
    dm_buf_printf(&sql, "SELECT holder, expires_at - %s FROM %s WHERE id = '" LEASE_ID "'", now,
                  l->qlock);
    int qrc = h->drv->query(h->drv_self, h->conn, dm_buf_str(&sql), read_holder, &r);
    dm_buf_free(&sql);
    if (qrc != DBMIG_DRV_OK)
        return dm_db_error(h, "cannot read the lease lock table");
    /* The insert failed, yet nobody holds the row: not a conflict but
     * a database error (once may be a race with a release; three times
     * in a row is not). */
    if (!r.found && insert_error->len && ++w->lonely_failures >= 3) {
        dm_err_set(&h->err, DBMIG_ERROR, "cannot take the lease lock on %s: %s", h->table,
                   dm_buf_str(insert_error));
        return dm_err_kind(&h->err, DBMIG_KIND_DATABASE); /* detail, hint: in the message only */
    }
    if (r.found)
        w->lonely_failures = 0;
    double t = dm_now_ms();
    if (t >= w->deadline)
        return dm_err_set(&h->err, DBMIG_ELOCKED,
                          "the lease lock on %s is held by %s (lease ends in %.1fs) and was not "
                          "released within --lock-timeout %gs; wait for it, or raise "
                          "--lock-timeout",
                          h->table, r.found ? r.holder : "another process",
                          r.found ? (double)r.left_ms / 1000.0 : 0.0, h->o.lock_timeout);
    if (!w->waited && r.found) {
        char msg[400];
        snprintf(msg, sizeof msg, "waiting up to %gs for the lease lock held by %s (lease ends in %.1fs)",
                 h->o.lock_timeout, r.holder, (double)r.left_ms / 1000.0);
        dm_emit(h, DBMIG_EV_LOCK_WAIT, NULL, msg, r.holder);
        w->waited = 1;
    }
    if (h->interrupted) /* dbmig_interrupt (exec.c) */
        return dm_err_set(&h->err, DBMIG_EINTERRUPTED,
                          "interrupted while waiting for the lease lock on %s; nothing was "
                          "run", h->table);
    /* Poll at most every 250 ms, with a little jitter so that waiters
     * released together do not retry in lock-step. */
    double left = w->deadline - t;
    int nap = w->sleep_ms + (int)(((unsigned)getpid() * 2654435761u + (unsigned)t) % 40u);
    dm_sleep_ms(left < nap ? (int)left + 1 : nap);
    if (w->sleep_ms < 200)
        w->sleep_ms *= 2;
    return DBMIG_OK;
}

/* The lease is ours: renew it from a second connection while the run
 * lasts. */
static int lease_start(dbmig *h, dm_lease *l, int waited)
{
    int rc = DBMIG_OK;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    if (h->drv->connect(h->drv_self, &h->host, h->url, &l->conn2, &e) != DBMIG_DRV_OK) {
        l->conn2 = NULL;
        dm_buf m = {0};
        dm_db_error_format(&m, &e);
        rc = dm_err_set(&h->err, DBMIG_ERROR, "cannot open the lease renewal connection: %s",
                        dm_buf_str(&m));
        dm_buf_free(&m);
    } else if (pthread_create(&l->thread, NULL, renew_main, l) != 0) {
        rc = dm_err_set(&h->err, DBMIG_ERROR, "cannot start the lease renewal thread");
    } else {
        l->thread_started = 1;
    }
    h->lease = l;
    if (rc != DBMIG_OK) {
        dm_lock_release(h);
        return rc;
    }
    h->locked = 1;
    if (waited)
        dm_emit(h, DBMIG_EV_LOCKED, NULL, "lease lock acquired", NULL);
    return DBMIG_OK;
}

static int lease_take(dbmig *h)
{
    dm_lease *l = lease_new(h);
    if (!l)
        return dm_err_nomem(&h->err);
    int rc = lease_qlock(h, l);
    if (rc == DBMIG_OK)
        rc = lease_table(h, l);
    lease_wait w = {dm_now_ms() + h->o.lock_timeout * 1000.0, 0, 50, 0};
    int got = 0;
    while (rc == DBMIG_OK && !got) {
        char now[96];
        now_expr(h, now, sizeof now);
        dm_buf insert_error = {0};
        rc = lease_try(h, l, now, &insert_error, &got);
        if (rc == DBMIG_OK && !got)
            rc = lease_wait_once(h, l, now, &insert_error, &w);
        dm_buf_free(&insert_error);
    }
    if (rc != DBMIG_OK) {
        lease_free(l);
        return rc;
    }
    return lease_start(h, l, w.waited);
}

/* ---- the interface --------------------------------------------------------- */

int dm_lock_acquire(dbmig *h)
{
    /* Refused before anything is created when the driver cannot. */
    int rc = h->o.lock == DBMIG_LOCK_LEASE ? lease_sql(h, 0) : DBMIG_OK;
    if (rc != DBMIG_OK)
        return rc;
    /* A command that writes may create the database (a new SQLite file):
     * the connection so far was made without. */
    rc = dm_need_conn_create(h);
    if (rc != DBMIG_OK)
        return rc;
    int lease = h->o.lock == DBMIG_LOCK_LEASE ||
                (h->o.lock == DBMIG_LOCK_AUTO && (h->caps & DBMIG_CAP_SESSION_LOCK_UNSAFE));
    if (lease && h->o.lock == DBMIG_LOCK_AUTO && (rc = lease_sql(h, 1)) != DBMIG_OK)
        return rc;
    if (lease && h->o.lock == DBMIG_LOCK_AUTO)
        dm_emit(h, DBMIG_EV_NOTICE, NULL,
                "the server cannot share a session lock across its nodes (Galera): using the "
                "lease lock",
                NULL);
    return lease ? lease_take(h) : session_take(h);
}

void dm_lock_release(dbmig *h)
{
    if (h->lease) {
        dm_lease *l = h->lease;
        h->lease = NULL;
        /* Stop renewing first, then give the row back. */
        if (l->thread_started) {
            pthread_mutex_lock(&l->mu);
            l->stop = 1;
            pthread_cond_signal(&l->cv);
            pthread_mutex_unlock(&l->mu);
            pthread_join(l->thread, NULL);
            l->thread_started = 0;
        }
        if (h->conn) {
            dm_buf sql = {0};
            dm_buf_printf(&sql, "DELETE FROM %s WHERE id = '" LEASE_ID "' AND token = '%s'", l->qlock,
                          l->token);
            lease_exec(h, h->conn, &sql, NULL);
        }
        lease_free(l);
        h->locked = 0;
        return;
    }
    if (h->locked && h->conn) {
        h->drv->unlock(h->drv_self, h->conn, h->table);
        h->locked = 0;
    }
}

int dm_lease_lost(dbmig *h)
{
    dm_lease *l = h->lease;
    if (!l)
        return 0;
    pthread_mutex_lock(&l->mu);
    int lost = l->lost;
    if (lost)
        dm_err_set(&h->err, DBMIG_ERROR, "%s; stopping before the next migration", l->lost_why);
    pthread_mutex_unlock(&l->mu);
    return lost;
}

int dm_lease_fence(dbmig *h, dm_buf *b, int insert)
{
    dm_lease *l = h->lease;
    if (!l)
        return 0;
    /* Read the lock row with a share lock where the dialect has one: a
     * take-over (an UPDATE of that row) then waits for this transaction to
     * commit, so it cannot slip between the fenced write and the commit. */
    const char *share = DM_DRV_SQL(h->drv, lease_share_lock);
    if (!share)
        share = "";
    if (insert)
        return dm_buf_printf(b, " FROM %s WHERE id = '" LEASE_ID "' AND token = '%s'%s", l->qlock,
                             l->token, share);
    return dm_buf_printf(b, " AND EXISTS (SELECT 1 FROM %s WHERE id = '" LEASE_ID "' AND token = '%s'%s)",
                         l->qlock, l->token, share);
}
