/* run.c — the runs that change a database: upgrade, downgrade, stamp,
 * repair, and their offline (--sql) form. SPEC sections 7 and 8.
 *
 * Every run: take the lock, create the version table if missing, read the
 * state, validate, plan, parse every statement of the plan (so that a
 * malformed file stops the run before anything is applied), then apply.
 *
 * Transactional migrations (the driver has transactional DDL and the file
 * does not say `transaction off`) share one transaction, each inside its own
 * savepoint, committed once the group has been open longer than
 * --commit-interval: a failure in migration k rolls back to k's savepoint
 * and commits 1..k-1, exactly as if each had committed alone.
 * Non-transactional ones follow the dirty protocol: the row is written dirty
 * first, `progress` counts committed statements, dirty is cleared at the end.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddl.h"
#include "engine.h"
#include "sha256.h"

/* ---- small helpers ------------------------------------------------------- */

typedef struct run run;
/* The failing statement of a run, for the FAILED event. */
typedef struct fail_info {
    size_t stmt;   /* 1-based; 0 when the failure was not a statement's own */
    int line;
    char code[32];
} fail_info;
static void note_failure(run *x, size_t idx, int line, const char *code);

/* "v1:" + the hex of a SHA-256 digest, as the version table keeps it. */
static int nomem(dbmig *h) { return dm_err_nomem(&h->err); }

static const char *file_of(const dbmig *h, size_t r) { return h->graph.revs[r].file.path; }

static void utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *bool_lit(const dbmig *h, int v)
{
    if (h->caps & DBMIG_CAP_BOOLEAN)
        return v ? "TRUE" : "FALSE";
    return v ? "1" : "0";
}

/* Formats the driver's last error into err, with the statement's place. */
/* Formats the driver's last error into out, with the statement's place.
 * position: the error's offset inside this statement (1-based), or -1 to
 * take the driver's own. */
/* The error e (the driver's last one when NULL) of statement idx. */
static int stmt_error_e(run *x, dbmig *h, size_t r, const dm_stmt *s, size_t idx, size_t total,
                        int position, const dbmig_db_error *e, dm_buf *out)
{
    if (!e)
        e = h->drv->last_error(h->conn);
    int line = dm_error_line(s->sql, s->line, position >= 0 ? position : e ? e->position : 0);
    note_failure(x, idx, line, e ? e->code : NULL);
    int rc = dm_buf_printf(out, "%s:%d: statement %zu of %zu of revision %s failed: %s",
                           file_of(h, r), line, idx + 1, total, h->graph.revs[r].id,
                           e && e->message[0] ? e->message : "unknown error");
    if (e && e->code[0])
        rc |= dm_buf_printf(out, " [%s]", e->code);
    if (e && e->detail[0])
        rc |= dm_buf_printf(out, "\n  detail: %s", e->detail);
    if (e && e->hint[0])
        rc |= dm_buf_printf(out, "\n  hint: %s", e->hint);
    return rc ? -1 : 0;
}

static int stmt_error_at(run *x, dbmig *h, size_t r, const dm_stmt *s, size_t idx, size_t total,
                         int position, dm_buf *out)
{
    return stmt_error_e(x, h, r, s, idx, total, position, NULL, out);
}

static int stmt_error(run *x, dbmig *h, size_t r, const dm_stmt *s, size_t idx, size_t total,
                      dm_buf *out)
{
    return stmt_error_at(x, h, r, s, idx, total, -1, out);
}

static int exec_sql(dbmig *h, const char *sql, int64_t *affected)
{
    if (h->drv->exec(h->conn, sql, strlen(sql), affected) != DBMIG_DRV_OK) {
        const dbmig_db_error *e = h->drv->last_error(h->conn);
        return dm_err_set(&h->err, DBMIG_ERROR, "the database failed on `%.200s`: %s%s%s%s", sql,
                          e ? e->message : "unknown error", e && e->code[0] ? " [" : "",
                          e ? e->code : "", e && e->code[0] ? "]" : "");
    }
    return DBMIG_OK;
}

static int exec_buf(dbmig *h, dm_buf *b)
{
    int rc = exec_sql(h, dm_buf_str(b), NULL);
    dm_buf_free(b);
    return rc;
}

/* A version-table write under a lease must touch a row; none means the
 * fence refused it: the lease is no longer ours. */
static int exec_fenced(dbmig *h, dm_buf *b)
{
    int64_t n = -1;
    int rc = exec_sql(h, dm_buf_str(b), &n);
    dm_buf_free(b);
    if (rc == DBMIG_OK && h->lease && n == 0)
        rc = dm_err_set(&h->err, DBMIG_ERROR,
                        "the lease lock on %s is no longer ours (it expired and another process "
                        "took it over); the version-table write was refused. Check `dbmig status`, "
                        "and raise --lease-seconds if statements stall longer than the lease",
                        h->table);
    return rc;
}


/* ---- version-table writes ------------------------------------------------- */

/* The INSERT of a revision's row into b; -1 when out of memory. */
static int row_insert_sql(dbmig *h, size_t r, int dirty, int64_t duration, int64_t seq,
                          const char *checksum, dm_buf *b)
{
    const dm_migfile *f = &h->graph.revs[r].file;
    char ts[32];
    utc_now(ts);
    char msg[256];
    snprintf(msg, sizeof msg, "%s", f->message ? f->message : "");
    /* INSERT ... SELECT so that a lease can fence it (see lock.c). */
    return dm_buf_printf(b,
                         "INSERT INTO %s (revision, checksum, message, applied_at, "
                         "duration_ms, dirty, progress, progress_hash, seq) %s",
                         h->qtable, h->lease ? "SELECT " : "VALUES (") ||
                   dm_quote_literal(h, f->revision, b) || dm_buf_puts(b, ", ") ||
                   dm_quote_literal(h, checksum ? checksum : f->checksum, b) ||
                   dm_buf_puts(b, ", ") || dm_quote_literal(h, msg, b) || dm_buf_puts(b, ", ") ||
                   dm_quote_literal(h, ts, b) ||
                   dm_buf_printf(b, ", %lld, %s, 0, NULL, %lld%s", (long long)duration,
                                 bool_lit(h, dirty), (long long)seq, h->lease ? "" : ")") ||
                   dm_lease_fence(h, b, 1)
               ? -1
               : 0;
}

static int row_insert(dbmig *h, size_t r, int dirty, int64_t duration, int64_t seq,
                      const char *checksum)
{
    dm_buf b = {0};
    if (row_insert_sql(h, r, dirty, duration, seq, checksum, &b)) {
        dm_buf_free(&b);
        return nomem(h);
    }
    return exec_fenced(h, &b);
}

static int row_where(dbmig *h, dm_buf *b, const char *rev)
{
    if (dm_buf_puts(b, " WHERE revision = ") || dm_quote_literal(h, rev, b))
        return nomem(h);
    return DBMIG_OK;
}

/* DELETE FROM <t> WHERE revision = rev, into b */
static int row_delete_sql(dbmig *h, const char *rev, dm_buf *b)
{
    if (dm_buf_printf(b, "DELETE FROM %s", h->qtable) || row_where(h, b, rev) ||
        dm_lease_fence(h, b, 0))
        return nomem(h);
    return DBMIG_OK;
}

static int row_delete(dbmig *h, const char *rev)
{
    dm_buf b = {0};
    if (row_delete_sql(h, rev, &b) != DBMIG_OK) {
        dm_buf_free(&b);
        return DBMIG_ERROR;
    }
    return exec_fenced(h, &b);
}

/* UPDATE <t> SET <set> WHERE revision = rev, into b */
static int row_update_sql(dbmig *h, const char *rev, const char *set, dm_buf *b)
{
    if (dm_buf_printf(b, "UPDATE %s SET %s", h->qtable, set) || row_where(h, b, rev) ||
        dm_lease_fence(h, b, 0))
        return nomem(h);
    return DBMIG_OK;
}

static int row_update(dbmig *h, const char *rev, const char *set)
{
    dm_buf b = {0};
    if (row_update_sql(h, rev, set, &b) != DBMIG_OK) {
        dm_buf_free(&b);
        return DBMIG_ERROR;
    }
    return exec_fenced(h, &b);
}

static void progress_set(char set[200], size_t done, const char *hash)
{
    snprintf(set, 200, "progress = %zu, progress_hash = '%s'", done, hash);
}

static int row_progress(dbmig *h, const char *rev, size_t done, const char *hash)
{
    char set[200];
    progress_set(set, done, hash);
    return row_update(h, rev, set);
}

/* The UPDATE that settles a revision's row (clean, its duration and the
 * file's checksum), into b. */
static int row_finish_sql(dbmig *h, size_t r, int64_t duration, dm_buf *b)
{
    dm_buf set = {0};
    char ts[32];
    utc_now(ts);
    int rc = dm_buf_printf(&set, "dirty = %s, progress = 0, progress_hash = NULL, duration_ms = %lld, checksum = ",
                           bool_lit(h, 0), (long long)duration) ||
             dm_quote_literal(h, h->graph.revs[r].file.checksum, &set) ||
             dm_buf_puts(&set, ", applied_at = ") || dm_quote_literal(h, ts, &set);
    rc = rc ? nomem(h) : row_update_sql(h, h->graph.revs[r].id, set.ptr, b);
    dm_buf_free(&set);
    return rc;
}

static int row_finish(dbmig *h, size_t r, int64_t duration)
{
    dm_buf b = {0};
    if (row_finish_sql(h, r, duration, &b) != DBMIG_OK) {
        dm_buf_free(&b);
        return DBMIG_ERROR;
    }
    return exec_fenced(h, &b);
}

/* ---- a prepared run --------------------------------------------------------- */

typedef struct step {
    size_t rev;
    dm_stmt_list stmts;  /* every statement, unless the file is streamed */
    int streamed;        /* a large file: statements come from dm_migfile_stream */
    size_t nstmts;       /* the statement count (both cases) */
    int transactional;
    size_t start;        /* first statement to run (--resume) */
    int resume;          /* this step resumes a dirty row */
    char why_notx[160];  /* why a transactional driver runs it outside a transaction */
} step;

struct run {
    dbmig *h;
    dm_vstate st;
    dm_applied a;
    step *steps;
    size_t n;
    int down;
    fail_info fail;  /* the failing statement (apply) */
    int cancelled;   /* a stop cancelled the running statement (dbmig_cancel) */
};

static void note_failure(run *x, size_t idx, int line, const char *code)
{
    x->fail.stmt = idx + 1;
    x->fail.line = line;
    snprintf(x->fail.code, sizeof x->fail.code, "%s", code ? code : "");
}

static void run_free(run *x)
{
    for (size_t i = 0; i < x->n; i++)
        dm_stmt_list_free(&x->steps[i].stmts);
    free(x->steps);
    dm_applied_free(&x->a);
    dm_vstate_free(&x->st);
}

static const char *drv_name(const dbmig *h) { return h->drv ? h->drv->name : NULL; }
static int dialect(const dbmig *h) { return h->drv ? (int)h->drv->dialect : DBMIG_DIALECT_GENERIC; }

/* Calls fn for every statement of a step, k = 0, 1, ...: from the list, or
 * streamed from the file (which is read again, and must not have changed).
 * fn returns 0 to go on, or a dbmig_rc to stop, which each_stmt returns. */
typedef int (*stmt_fn)(void *payload, size_t k, const dm_stmt *st);

typedef struct stream_adapter {
    stmt_fn fn;
    void *payload;
    size_t k;
} stream_adapter;

static int stream_cb(void *payload, const dm_stmt *st)
{
    stream_adapter *a = payload;
    return a->fn(a->payload, a->k++, st);
}

static int each_stmt(run *x, const step *s, stmt_fn fn, void *payload)
{
    if (!s->streamed) {
        for (size_t k = 0; k < s->stmts.n; k++) {
            int rc = fn(payload, k, &s->stmts.v[k]);
            if (rc != 0)
                return rc;
        }
        return DBMIG_OK;
    }
    dbmig *h = x->h;
    stream_adapter a = {fn, payload, 0};
    int found = 0;
    return dm_migfile_stream(&h->graph.revs[s->rev].file, x->down ? DM_DOWN : DM_UP, drv_name(h),
                             dialect(h), stream_cb, &a, &found, &h->err);
}

/* What deciding a step's transaction needs to know of its statements. */
typedef struct survey {
    dbmig *h;
    size_t n;
    int all_dml;
    int autocommit_line; /* a statement that cannot run in a transaction, 0 if none */
} survey;

static int survey_one(void *payload, size_t k, const dm_stmt *st)
{
    (void)k;
    survey *v = payload;
    v->n++;
    if (!v->autocommit_line && dm_ddl_needs_autocommit(st->sql, st->len, dialect(v->h), v->h->caps))
        v->autocommit_line = st->line;
    if (v->all_dml && !dm_ddl_is_dml(st->sql, st->len, dialect(v->h)))
        v->all_dml = 0;
    return 0;
}

/* Whether a step runs inside a transaction: the file allows it, and either
 * the driver rolls DDL back or the step is made only of DML; never when a
 * statement cannot run in a transaction (CREATE INDEX CONCURRENTLY). */
static void decide_transaction(dbmig *h, step *s, const dm_migfile *f, const survey *v)
{
    s->transactional = 0;
    s->why_notx[0] = '\0';
    if (!f->transaction) {
        if (h->caps & DBMIG_CAP_TRANSACTIONAL_DDL)
            snprintf(s->why_notx, sizeof s->why_notx, "runs outside a transaction (transaction off)");
        return;
    }
    if (v->autocommit_line) {
        snprintf(s->why_notx, sizeof s->why_notx,
                 "runs outside a transaction: the statement at %s:%d cannot run inside one",
                 f->filename, v->autocommit_line);
        return;
    }
    s->transactional = (h->caps & DBMIG_CAP_TRANSACTIONAL_DDL) || v->all_dml;
}

/* Parses the statements of every step (a streamed file: one pass that only
 * splits), so that a malformed file stops the run before anything is
 * applied; a down step without a down section makes the plan irreversible. */
static int prepare_steps(run *x, const dm_plan *p)
{
    dbmig *h = x->h;
    x->steps = calloc(p->n ? p->n : 1, sizeof *x->steps);
    if (!x->steps)
        return nomem(h);
    for (size_t i = 0; i < p->n; i++) {
        step *s = &x->steps[x->n++];
        s->rev = p->v[i];
        const dm_migfile *f = &h->graph.revs[s->rev].file;
        int found = 0, rc;
        survey v = {h, 0, 1, 0};
        if (f->streamed) {
            stream_adapter a = {survey_one, &v, 0};
            s->streamed = 1;
            rc = dm_migfile_stream(f, x->down ? DM_DOWN : DM_UP, drv_name(h), dialect(h), stream_cb,
                                   &a, &found, &h->err);
        } else {
            rc = dm_migfile_statements(f, x->down ? DM_DOWN : DM_UP, drv_name(h), dialect(h),
                                       &s->stmts, &found, &h->err);
            if (rc == DBMIG_OK)
                rc = each_stmt(x, s, survey_one, &v);
        }
        if (rc != DBMIG_OK)
            return rc;
        s->nstmts = v.n;
        if (x->down && !found)
            return dm_err_set(&h->err, DBMIG_EINVALID,
                              "cannot downgrade: revision %s (%s) has no down section%s%s, so it "
                              "is irreversible; nothing was reverted. Add a `-- dbmig:down` "
                              "section to it, or downgrade to %s or a later revision",
                              f->revision, f->path, drv_name(h) ? " for driver " : "",
                              drv_name(h) ? drv_name(h) : "", f->revision);
        decide_transaction(h, s, f, &v);
    }
    return DBMIG_OK;
}

/* Validation before a run (SPEC section 4): checksums, dirty rows, missing
 * ancestors. All problems are listed, each with its fix. */
static int validate(run *x, int upgrade, unsigned flags)
{
    dbmig *h = x->h;
    dm_buf msg = {0};
    size_t problems = 0;
    for (size_t i = 0; i < x->st.n; i++) {
        const dm_vrow *r = &x->st.rows[i];
        if (r->rev == DM_NONE) {
            char t[300];
            snprintf(t, sizeof t,
                     "revision %s is applied but no file in %s has that id; it is left alone",
                     r->revision, h->dir);
            dm_emit(h, DBMIG_EV_NOTICE, r->revision, t, NULL);
            continue;
        }
        const dm_migfile *f = &h->graph.revs[r->rev].file;
        if (r->dirty) {
            if (upgrade && (flags & DBMIG_RESUME))
                continue;
            problems++;
            dm_buf_printf(&msg,
                          "\n  revision %s (%s) is dirty: it ran outside a transaction and "
                          "failed after %lld committed statement(s). Fix the cause, then run "
                          "`dbmig upgrade --resume`, or settle it by hand with "
                          "`dbmig repair --applied %s` or `dbmig repair --reverted %s`",
                          r->revision, f->path, (long long)r->progress, r->revision, r->revision);
        } else if (strcmp(r->checksum, f->checksum) != 0) {
            problems++;
            dm_buf_printf(&msg,
                          "\n  revision %s (%s) was edited after it was applied (applied %.19s…, "
                          "file %.19s…). Restore the file as it was, or accept the edit with "
                          "`dbmig repair --checksums`",
                          r->revision, f->path, r->checksum, f->checksum);
        }
    }
    if (!(flags & DBMIG_ALLOW_MISSING)) {
        unsigned char *miss = calloc(h->graph.n ? h->graph.n : 1, 1);
        if (!miss) {
            dm_buf_free(&msg);
            return nomem(h);
        }
        if (dm_graph_missing(&h->graph, &x->a, miss)) {
            for (size_t k = 0; k < h->graph.n; k++) {
                size_t r = h->graph.order[k];
                if (!miss[r])
                    continue;
                problems++;
                dm_buf_printf(&msg,
                              "\n  revision %s (%s) is not applied, but revisions that descend "
                              "from it are (a file merged late?). Run `dbmig upgrade "
                              "--allow-missing` to apply it in graph order%s",
                              h->graph.revs[r].id, file_of(h, r),
                              upgrade ? "" : " first, or `dbmig downgrade --allow-missing "
                                             "TARGET` to revert the applied ones all the same");
            }
        }
        free(miss);
    }
    int rc = DBMIG_OK;
    if (problems)
        rc = dm_err_set(&h->err, DBMIG_EINVALID, "refusing to %s: %zu problem(s) found; nothing was run:%s",
                        upgrade ? "upgrade" : "downgrade", problems, dm_buf_str(&msg));
    dm_buf_free(&msg);
    return rc;
}

/* Reads the state under the lock and fills x->a. The version table is not
 * created here: see ensure_table. */
static int load_state(run *x)
{
    dbmig *h = x->h;
    int rc = dm_vstate_read(h, &x->st, 0);
    if (rc != DBMIG_OK)
        return rc;
    if (dm_applied_from(&h->graph, &x->st, &x->a) != 0)
        return nomem(h);
    return DBMIG_OK;
}

/* Creates the version table when it is missing, just before the first
 * write: a dry run, a refusal or a run with nothing to do creates nothing. */
static int ensure_table(run *x)
{
    dbmig *h = x->h;
    if (x->st.table_exists)
        return DBMIG_OK;
    dm_buf ddl = {0};
    int rc = dm_vtable_ddl(h, &ddl);
    if (rc == DBMIG_OK)
        rc = exec_buf(h, &ddl);
    else
        dm_buf_free(&ddl);
    if (rc != DBMIG_OK)
        return dm_err_prefix(&h->err, "cannot create the version table %s: ", h->table);
    /* A driver that cannot find the table it has just created (a --table
     * name it does not understand) would read an empty state on every run
     * and record every revision again: stop here. */
    int exists = 0;
    if (h->drv->table_exists(h->conn, h->table, &exists) != DBMIG_DRV_OK)
        return dm_db_error(h, "cannot look up the version table");
    if (!exists)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "driver %s cannot find the version table %s after creating it "
                          "(CREATE TABLE IF NOT EXISTS %s ran), so it would record every "
                          "revision again on the next run; use an unqualified --table name",
                          h->drv->name, h->table, h->qtable);
    x->st.table_exists = 1;
    return DBMIG_OK;
}

/* What a command checks before connecting (engine.c's `between`). */
typedef struct precheck {
    const char *target; /* NULL: no target */
    dm_target_cmd cmd;
} precheck;

static int check_before_connect(dbmig *h, void *arg)
{
    const precheck *p = arg;
    return p && p->target ? dm_target_check(&h->graph, p->target, p->cmd, &h->err) : DBMIG_OK;
}

/* Loads the folder and the driver, checks the target, connects, takes the
 * lock (not for a dry run, which writes nothing) and reads the state. */
static int begin_run(run *x, const precheck *pre)
{
    dbmig *h = x->h;
    int rc = dm_need_graph_conn_then(h, check_before_connect, (void *)pre);
    if (rc == DBMIG_OK && !h->o.dry_run)
        rc = dm_lock_acquire(h);
    if (rc == DBMIG_OK)
        rc = load_state(x);
    return rc;
}

/* -N counts the most recently applied rows, files or not: reverting "the
 * one before" a revision whose file is gone would act on the wrong thing
 * (issue 13). Exit 3 naming it, with the fixes. */
static int check_last_rows(run *x, const char *target, const char *verb)
{
    dbmig *h = x->h;
    if (!target || target[0] != '-')
        return DBMIG_OK;
    char *end = NULL;
    unsigned long long n = strtoull(target + 1, &end, 10);
    if (!isdigit((unsigned char)target[1]) || *end || n == 0)
        return DBMIG_OK; /* the planner says what is wrong with it */
    for (size_t i = x->st.n; i-- > 0 && n > 0; n--) {
        const dm_vrow *r = &x->st.rows[i];
        if (r->rev != DM_NONE)
            continue;
        char which[96];
        if (strcmp(target, "-1") == 0)
            snprintf(which, sizeof which, "the most recently applied revision");
        else
            snprintf(which, sizeof which, "one of the %s most recently applied revisions",
                     target + 1);
        return dm_err_set(&h->err, DBMIG_EINVALID,
                          "cannot %s %s: %s, %s, has no file in %s (deleted, renamed, or from "
                          "another branch?), so it cannot be reverted, and the revision before "
                          "it is not the one you meant; nothing was %s. Restore its file (e.g. "
                          "`git checkout` it) and run the command again, or, if its changes are "
                          "already gone from the database, remove its row with `dbmig repair "
                          "--reverted %s`",
                          verb, target, which, r->revision, h->dir,
                          strcmp(verb, "stamp") == 0 ? "changed" : "reverted", r->revision);
    }
    return DBMIG_OK;
}

/* ---- applying ----------------------------------------------------------------- */

/* An interrupted run stops with this (SPEC section 4): the caller names
 * what was committed and what was rolled back. */
void dbmig_interrupt(dbmig *h)
{
    if (h)
        h->interrupted = 1;
}

static int stopped(const dbmig *h) { return h->interrupted != 0; }

int dbmig_cancel(dbmig *h)
{
    if (!h)
        return DBMIG_ERROR;
    h->interrupted = 1;
    dbmig_conn *c = atomic_load(&h->running);
    if (!c || h->drv->size < DBMIG_DRIVER_SIZE_1_1 || !h->drv->cancel)
        return DBMIG_ERROR;
    return h->drv->cancel(c) == DBMIG_DRV_OK ? DBMIG_OK : DBMIG_ERROR;
}

static void report_done(dbmig *h, const run *x, size_t i, double ms, dbmig_event_kind kind,
                        const char *text)
{
    const step *s = &x->steps[i];
    const dm_migfile *f = &h->graph.revs[s->rev].file;
    if (!h->o.on_event)
        return;
    dbmig_event ev = {0};
    ev.kind = kind;
    ev.downgrade = x->down;
    ev.index = i + 1;
    ev.total = x->n;
    ev.revision = f->revision;
    ev.message = f->message;
    ev.ms = ms;
    ev.text = text;
    ev.nstmts = s->nstmts;
    ev.file = f->path;
    ev.transactional = s->transactional;
    if (kind == DBMIG_EV_FAILED) {
        ev.stmt = x->fail.stmt;
        ev.line = x->fail.line;
        ev.code = x->fail.code[0] ? x->fail.code : NULL;
    }
    h->o.on_event(h->o.event_payload, &ev);
}

/* One step of a dry run's plan (called by dry_report). */
static void report_plan(dbmig *h, const run *x, size_t i)
{
    report_done(h, x, i, 0, DBMIG_EV_PLAN, x->steps[i].why_notx[0] ? x->steps[i].why_notx : NULL);
}

/* A statement starts (done = 0) or has succeeded (done = 1, ms its time). */
static void report_stmt(dbmig *h, const run *x, const step *s, size_t k, const dm_stmt *st,
                        int done, double ms)
{
    if (!h->o.on_event)
        return;
    const dm_migfile *f = &h->graph.revs[s->rev].file;
    dbmig_event ev = {0};
    ev.kind = done ? DBMIG_EV_STATEMENT_DONE : DBMIG_EV_STATEMENT;
    ev.downgrade = x->down;
    ev.index = (size_t)(s - x->steps) + 1;
    ev.total = x->n;
    ev.revision = f->revision;
    ev.message = f->message;
    ev.ms = ms;
    ev.stmt = k + 1;
    ev.nstmts = s->nstmts;
    ev.file = f->path;
    ev.line = st->line;
    ev.sql = st->sql;
    h->o.on_event(h->o.event_payload, &ev);
}

/* The open transaction and the group of steps [g0, g1) that ran inside it:
 * their DONE waits for the commit (a revision is reported applied only
 * once it is committed); a rollback reports them ROLLED_BACK. ms[i] is
 * step i's time. */
typedef struct tx {
    int open;
    double since;
    size_t g0, g1;
    double *ms;
    size_t done; /* steps reported DONE */
} tx;

static void tx_settle(dbmig *h, const run *x, tx *t, int committed, const char *why)
{
    for (size_t i = t->g0; i < t->g1; i++)
        report_done(h, x, i, committed ? t->ms[i] : 0,
                    committed ? DBMIG_EV_DONE : DBMIG_EV_ROLLED_BACK, committed ? NULL : why);
    if (committed)
        t->done += t->g1 - t->g0;
    t->g0 = t->g1;
}

static int tx_commit(dbmig *h, const run *x, tx *t)
{
    if (!t->open)
        return DBMIG_OK;
    t->open = 0;
    if (h->drv->commit(h->conn) != DBMIG_DRV_OK) {
        int rc = dm_db_error(h, "commit failed; the migrations of this group are not applied");
        h->drv->rollback(h->conn); /* in case the transaction is still open */
        tx_settle(h, x, t, 0, "its group's commit failed");
        return rc;
    }
    tx_settle(h, x, t, 1, NULL);
    return DBMIG_OK;
}

static void tx_rollback(dbmig *h, const run *x, tx *t, const char *why)
{
    if (t->open) {
        h->drv->rollback(h->conn);
        t->open = 0;
    }
    tx_settle(h, x, t, 0, why);
}

static int use_savepoints(const dbmig *h) { return (h->caps & DBMIG_CAP_SAVEPOINTS) != 0; }

/* Runs one statement through the portable-DDL layer. DBMIG_ERROR with
 * `why` filled when the database refused it. */
static int run_stmt(run *x, size_t r, const dm_stmt *st, size_t k, size_t total, dm_buf *why)
{
    dbmig *h = x->h;
    dm_buf sql = {0};
    int skip = 0;
    int rc = dm_ddl_prepare(h->drv, h->conn, h->caps, st->sql, st->len, &sql, &skip, NULL, &h->err);
    if (rc != DBMIG_OK) {
        dm_buf_free(&sql);
        note_failure(x, k, st->line, NULL);
        dm_buf_printf(why, "%s:%d: %s", file_of(h, r), st->line, dm_err_msg(&h->err));
        return rc;
    }
    if (!skip && h->drv->exec(h->conn, dm_buf_str(&sql), sql.len, NULL) != DBMIG_DRV_OK) {
        stmt_error(x, h, r, st, k, total, why);
        rc = DBMIG_ERROR;
    }
    dm_buf_free(&sql);
    return rc;
}

/* One round trip for a whole transactional step, where the driver takes
 * several statements in one exec (DBMIG_CAP_MULTI_STATEMENT): SAVEPOINT,
 * the statements, the version row and RELEASE go as one text. Only for
 * steps whose statements the portable-DDL layer passes through untouched
 * (an emulation must look at the catalog between statements). */
static int passthrough_all(const dbmig *h, const step *s)
{
    for (size_t k = 0; k < s->stmts.n; k++)
        if (!dm_ddl_passthrough(s->stmts.v[k].sql, s->stmts.v[k].len, (int)h->drv->dialect, h->caps))
            return 0;
    return 1;
}

static int batchable(const run *x, const step *s)
{
    const dbmig *h = x->h;
    /* -v reports each statement and its time: one at a time then. */
    return (h->caps & DBMIG_CAP_MULTI_STATEMENT) && use_savepoints(h) && !h->lease && !s->resume &&
           !s->streamed && !h->o.verbose && passthrough_all(h, s);
}

/* The byte offset inside text of the driver's last error position, or
 * (size_t)-1 when it gave none (positions count characters). */
static size_t error_byte(dbmig *h, const char *text, size_t len)
{
    const dbmig_db_error *e = h->drv->last_error(h->conn);
    return e && e->position > 0 ? dm_char_to_byte(text, len, (size_t)e->position - 1) : (size_t)-1;
}

static int run_tx_batch(run *x, size_t i, int64_t seq, double t0, dm_buf *why)
{
    dbmig *h = x->h;
    step *s = &x->steps[i];
    const dm_rev *rev = &h->graph.revs[s->rev];
    size_t *off = malloc((s->stmts.n + 1) * sizeof *off);
    dm_buf b = {0};
    if (!off)
        return nomem(h);
    int oom = dm_buf_puts(&b, "SAVEPOINT dbmig_step;\n");
    for (size_t k = 0; k < s->stmts.n; k++) {
        off[k] = b.len;
        oom |= dm_buf_append(&b, s->stmts.v[k].sql, s->stmts.v[k].len) || dm_buf_puts(&b, ";\n");
    }
    dm_buf row = {0};
    oom |= x->down ? row_delete_sql(h, rev->id, &row) != DBMIG_OK
                   : row_insert_sql(h, s->rev, 0, (int64_t)(dm_now_ms() - t0), seq, NULL, &row);
    off[s->stmts.n] = b.len;
    oom |= dm_buf_append(&b, dm_buf_str(&row), row.len) || dm_buf_puts(&b, ";\nRELEASE SAVEPOINT dbmig_step");
    dm_buf_free(&row);
    if (oom) {
        free(off);
        dm_buf_free(&b);
        return nomem(h);
    }
    int rc = DBMIG_OK;
    if (h->drv->exec(h->conn, b.ptr, b.len, NULL) != DBMIG_DRV_OK) {
        rc = DBMIG_ERROR;
        /* The position counts characters of the whole text: find the byte,
         * then the statement, then the character inside that statement. */
        size_t pos = error_byte(h, b.ptr, b.len);
        size_t k = s->stmts.n;
        if (pos != (size_t)-1)
            for (k = 0; k < s->stmts.n && !(pos >= off[k] && pos < off[k + 1]); k++)
                ;
        if (k < s->stmts.n) {
            int in_stmt = (int)dm_byte_to_char(b.ptr + off[k], pos - off[k]) + 1;
            stmt_error_at(x, h, s->rev, &s->stmts.v[k], k, s->stmts.n, in_stmt, why);
        } else if (stopped(h)) {
            /* Cancelled (dbmig_cancel): never run the statements again to
             * find the failing one; apply() reports the stop. */
        } else {
            /* No position: find the failing statement by running them one
             * at a time inside the savepoint (transactional DDL: undone). */
            dm_buf first = {0};
            if (s->stmts.n)
                stmt_error_at(x, h, s->rev, &s->stmts.v[0], 0, s->stmts.n, 0, &first);
            else
                dm_db_error(h, "recording the revision failed"), dm_buf_puts(&first, dm_err_msg(&h->err));
            int found = 0;
            if (exec_sql(h, "ROLLBACK TO SAVEPOINT dbmig_step", NULL) == DBMIG_OK)
                for (k = 0; k < s->stmts.n && !found; k++)
                    if (h->drv->exec(h->conn, s->stmts.v[k].sql, s->stmts.v[k].len, NULL) != DBMIG_DRV_OK) {
                        stmt_error(x, h, s->rev, &s->stmts.v[k], k, s->stmts.n, why);
                        found = 1;
                    }
            if (!found)
                dm_buf_puts(why, dm_buf_str(&first));
            dm_buf_free(&first);
        }
    }
    free(off);
    dm_buf_free(&b);
    return rc;
}

/* Running a step's statements, one at a time. Outside a transaction it
 * also keeps the SHA-256 of the statements so far (progress_hash's value,
 * computed incrementally) and records progress after each. */
typedef struct exec_ctx {
    run *x;
    step *s;
    dm_buf *why;
    int notx;            /* the dirty protocol: record progress */
    dm_sha256 md;        /* notx: hash of statements 0..k */
    size_t failed_at;    /* the statement that failed, (size_t)-1 if none */
    size_t stopped_at;   /* dbmig_interrupt: the statement not run, (size_t)-1 if none */
} exec_ctx;

static int exec_one(void *payload, size_t k, const dm_stmt *st)
{
    exec_ctx *c = payload;
    run *x = c->x;
    dbmig *h = x->h;
    const char *id = h->graph.revs[c->s->rev].id;
    if (c->notx)
        dm_sha256_update(&c->md, st->sql, st->len + 1);
    if (k < c->s->start)
        return 0; /* --resume: committed before */
    /* A statement boundary: between two statements, and before the first
     * one of a transactional step (a stop there loses nothing more; outside
     * a transaction the step would be left dirty for no statement). */
    if ((k > c->s->start || !c->notx) && stopped(h)) {
        c->stopped_at = k;
        x->fail.stmt = k + 1; /* the statement not run */
        x->fail.line = st->line;
        return DBMIG_EINTERRUPTED;
    }
    double t0 = h->o.on_event ? dm_now_ms() : 0;
    report_stmt(h, x, c->s, k, st, 0, 0);
    if (run_stmt(x, c->s->rev, st, k, c->s->nstmts, c->why) != DBMIG_OK) {
        if (stopped(h)) { /* cancelled by dbmig_cancel: it counts as not run */
            c->stopped_at = k;
            x->fail.stmt = k + 1;
            x->fail.line = st->line;
            x->cancelled = 1;
            dm_buf_reset(c->why);
            return DBMIG_EINTERRUPTED;
        }
        c->failed_at = k;
        return DBMIG_ERROR;
    }
    if (h->o.on_event)
        report_stmt(h, x, c->s, k, st, 1, dm_now_ms() - t0);
    if (c->notx) { /* a down section records its progress too */
        char hash[DM_CHECKSUM_LEN + 1];
        dm_sha256_v1(&c->md, hash);
        int rc = row_progress(h, id, k + 1, hash);
        if (rc != DBMIG_OK)
            return rc;
    }
    return 0;
}

/* Runs a step's statements; when the failure is not a statement's own (a
 * streamed file that changed, a version-table write), `why` gets err. */
static int exec_all(run *x, step *s, int notx, dm_buf *why, size_t *failed_at)
{
    dbmig *h = x->h;
    exec_ctx c = {.x = x, .s = s, .why = why, .notx = notx, .failed_at = (size_t)-1,
                  .stopped_at = (size_t)-1};
    *failed_at = (size_t)-1;
    dm_sha256_init(&c.md);
    int rc = each_stmt(x, s, exec_one, &c);
    if (rc == DBMIG_EINTERRUPTED) {
        *failed_at = c.stopped_at; /* statements before it ran */
        return rc;
    }
    if (rc != DBMIG_OK && why->len == 0)
        dm_buf_puts(why, dm_err_msg(&h->err));
    *failed_at = c.failed_at;
    return rc;
}

/* Runs one transactional step inside the open transaction. On a failure the
 * message goes to `why`. */
static int run_tx_step(run *x, size_t i, int64_t seq, double t0, dm_buf *why)
{
    dbmig *h = x->h;
    step *s = &x->steps[i];
    size_t failed_at = (size_t)-1;
    int rc = exec_all(x, s, 0, why, &failed_at);
    if (rc != DBMIG_OK)
        return rc == DBMIG_EINTERRUPTED ? rc : DBMIG_ERROR;
    if (x->down)
        return row_delete(h, h->graph.revs[s->rev].id);
    return row_insert(h, s->rev, 0, (int64_t)(dm_now_ms() - t0), seq, NULL);
}

/* The dirty protocol in fewer round trips, where the driver takes several
 * statements in one exec (DBMIG_CAP_MULTI_STATEMENT; MySQL/MariaDB, whose
 * DDL cannot run in a transaction). While a statement runs, and after a
 * crash or a failure, the row says what the one-at-a-time protocol says: no
 * row, no statement committed; dirty with progress p, statements 1..p
 * committed (and p + 1 perhaps, in the instant between its commit and the
 * next write); clean, all of them. The writes:
 *
 *  - before a statement, the record of every statement before it (the
 *    dirty row before statement 1, "progress = k" after statement k) rides
 *    in front of it, in the same text, unless it is recorded already;
 *  - a row change (INSERT, UPDATE, DELETE, REPLACE: dm_ddl_is_row_change)
 *    runs in one transaction with its own record ("progress = k + 1", or
 *    the final row after the last statement): both commit or neither, so
 *    nothing is owed after it, and a first statement that is a row change
 *    needs no dirty row before it (a crash leaves no row and nothing
 *    committed). Like DML-only migrations (decide_transaction), this counts
 *    on a transactional engine for the changed table;
 *  - after a last statement that commits on its own (DDL, CALL, a SELECT),
 *    the final row is a round trip of its own (row_finish in run_notx_step):
 *    the server finishes a text whose client was killed, and a client killed
 *    during its last statement must leave the row dirty;
 *  - a stop between two statements first makes the write owed.
 * The database stops a multi-statement text at its first error. Round trips
 * and row writes for n statements: n + 1 and n + 1 before; now n when the
 * last statement is a row change, one write fewer per row change that
 * follows another or comes first (bench migration: CREATE TABLE, CREATE
 * INDEX, INSERT: 3 round trips instead of 4, docs/performance.md). Only for
 * an upgrade that does not resume, without a lease (whose fence needs each
 * write's own row count), of statements the portable-DDL layer passes
 * through untouched; not where DDL is transactional (PostgreSQL runs a
 * multi-statement text as one transaction, and its steps run outside one to
 * escape exactly that). */
static int rides(const run *x, const step *s)
{
    const dbmig *h = x->h;
    return (h->caps & DBMIG_CAP_MULTI_STATEMENT) && !(h->caps & DBMIG_CAP_TRANSACTIONAL_DDL) &&
           !h->lease && !x->down && !s->resume && !s->streamed && s->stmts.n > 0 &&
           !h->o.verbose && passthrough_all(h, s);
}

/* After a failed text: did its version-table write land (in the still open
 * transaction, for a row change)? 1 yes, 0 no, -1 cannot tell. It landed
 * when the row exists and, for want > 0, has progress = want; want < 0:
 * the row is clean (the final row). */
typedef struct landed_ctx {
    int found;
    int64_t progress;
    int dirty;
} landed_ctx;

static int landed_row(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)lens;
    landed_ctx *c = payload;
    c->found = 1;
    c->progress = ncols > 0 && v[0] ? strtoll(v[0], NULL, 10) : -1;
    c->dirty = ncols > 1 && v[1] && (v[1][0] == '1' || v[1][0] == 't' || v[1][0] == 'T');
    return 0;
}

static int write_landed(dbmig *h, const char *id, int64_t want)
{
    dm_buf q = {0};
    landed_ctx c = {0, -1, 1};
    int rc = dm_buf_printf(&q, "SELECT progress, dirty FROM %s", h->qtable) || row_where(h, &q, id)
                 ? -1
                 : h->drv->query(h->conn, q.ptr, landed_row, &c) == DBMIG_DRV_OK ? 0 : -1;
    dm_buf_free(&q);
    if (rc != 0)
        return -1;
    if (want < 0)
        return c.found && !c.dirty;
    return c.found && (want == 0 || c.progress == want);
}

/* One step's riding state. */
typedef struct ride {
    run *x;
    step *s;
    const char *id;
    int64_t seq;
    double t0;         /* the step's start: the final row's duration */
    dm_sha256 md;      /* the statements committed so far */
    int row;           /* its row is written */
    dm_buf owed;       /* the record owed before the next statement, if not yet written */
    dm_buf b;          /* the text sent */
    size_t head;       /* where the statement starts inside b */
    int txn;           /* b is a row change's transaction */
    int64_t want;      /* the write in b, for write_landed (-2: none) */
    int64_t duration;  /* the final row's duration_ms, when b writes it */
} ride;

/* The record of statements 0..k (a row change's own write) into b. */
static int ride_record(ride *r, size_t k, const char *hash, dm_buf *b)
{
    dbmig *h = r->x->h;
    size_t n = r->s->stmts.n;
    char set[200];
    progress_set(set, k + 1, hash);
    r->duration = (int64_t)(dm_now_ms() - r->t0);
    r->want = k + 1 == n ? -1 : (int64_t)(k + 1);
    if (k + 1 == n)
        return r->row ? row_finish_sql(h, r->s->rev, r->duration, b)
                      : row_insert_sql(h, r->s->rev, 0, r->duration, r->seq, NULL, b) ? nomem(h) : DBMIG_OK;
    if (!r->row && (row_insert_sql(h, r->s->rev, 1, 0, r->seq, NULL, b) || dm_buf_puts(b, ";\n")))
        return nomem(h);
    return row_update_sql(h, r->id, set, b);
}

/* The text for statement k: "[<owed write>;] <statement>", or for a row
 * change "[<owed write>;] START TRANSACTION; <its record>; <statement>;
 * COMMIT". */
static int ride_text(ride *r, size_t k, const dm_stmt *st)
{
    dbmig *h = r->x->h;
    dm_buf_reset(&r->b);
    r->txn = dm_ddl_is_row_change(st->sql, st->len, (int)h->drv->dialect);
    r->want = r->owed.len && r->row ? (int64_t)k : r->owed.len ? 0 : -2;
    int oom = 0;
    if (r->owed.len && (r->row || !r->txn)) /* a first row change needs no dirty row */
        oom = dm_buf_append(&r->b, r->owed.ptr, r->owed.len) || dm_buf_puts(&r->b, ";\n");
    if (r->txn) {
        dm_sha256 md = r->md;
        char hash[DM_CHECKSUM_LEN + 1];
        dm_sha256_update(&md, st->sql, st->len + 1);
        dm_sha256_v1(&md, hash);
        /* SQL's own verb; SQLite (only under the unit tests' wrapper: its
         * DDL is transactional) knows BEGIN, which MariaDB's Oracle mode
         * reads as a block. */
        oom = oom || dm_buf_puts(&r->b, h->drv->dialect == DBMIG_DIALECT_SQLITE ? "BEGIN;\n"
                                                                               : "START TRANSACTION;\n");
        if (!oom && ride_record(r, k, hash, &r->b) != DBMIG_OK)
            return DBMIG_ERROR;
        oom = oom || dm_buf_puts(&r->b, ";\n");
    }
    r->head = r->b.len;
    /* "\n;": a statement may end in a -- or # comment (the last one of a
     * file, without its semicolon). */
    oom = oom || dm_buf_append(&r->b, st->sql, st->len) || (r->txn && dm_buf_puts(&r->b, "\n;\nCOMMIT"));
    return oom ? nomem(h) : DBMIG_OK;
}

/* Statement k's text failed: whose failure was it, what is recorded now.
 * A statement's failure: *failed_at = k, why its error (progress is exact:
 * the writes before it landed, its own was rolled back with it). A write's:
 * *failed_at stays (size_t)-1, why says what is recorded (nothing when the
 * row was not written: nothing ran). */
static int ride_failed(ride *r, size_t k, const dm_stmt *st, dm_buf *why, size_t *failed_at)
{
    run *x = r->x;
    dbmig *h = x->h;
    /* Kept: the queries below replace the driver's last error. */
    const dbmig_db_error *le = h->drv->last_error(h->conn);
    dbmig_db_error e;
    if (le)
        e = *le;
    else
        memset(&e, 0, sizeof e);
    size_t pos = error_byte(h, r->b.ptr, r->b.len);
    int landed = pos != (size_t)-1 ? pos >= r->head : r->want == -2 ? 1 : write_landed(h, r->id, r->want);
    /* A deadlock (SQLSTATE 40001) rolls the whole transaction back, the
     * record with the statement that failed. */
    if (r->txn && landed == 0 && strstr(e.code, "40001"))
        landed = 1;
    if (r->txn)
        h->drv->rollback(h->conn); /* a lost connection rolls it back too */
    if (landed == 1) {
        int in_stmt = pos != (size_t)-1 ? (int)dm_byte_to_char(r->b.ptr + r->head, pos - r->head) + 1 : 0;
        e.position = 0;
        stmt_error_e(x, h, r->s->rev, st, k, r->s->stmts.n, in_stmt, &e, why);
        /* A first row change failed: nothing is committed; the dirty row
         * says so, as after any failure outside a transaction. */
        if (r->row || !r->txn || exec_sql(h, r->owed.ptr, NULL) == DBMIG_OK) {
            *failed_at = k;
            return DBMIG_ERROR;
        }
        dm_buf_printf(why, "\nand writing its dirty row failed: %s", dm_err_msg(&h->err));
        return DBMIG_ERROR;
    }
    dm_err_set(&h->err, DBMIG_ERROR, "cannot record %s of revision %s in %s: %s%s%s%s",
               r->row ? "the progress" : "the start", r->id, h->table,
               e.message[0] ? e.message : "unknown error", e.code[0] ? " [" : "", e.code,
               e.code[0] ? "]" : "");
    if (r->row || landed < 0)
        dm_buf_puts(why, dm_err_msg(&h->err));
    if (landed < 0)
        dm_buf_printf(why, "\n(which of \"record progress %lld\" and statement %zu failed could not "
                           "be told apart)",
                      (long long)(r->want < 0 ? (int64_t)r->s->stmts.n : r->want), k + 1);
    return DBMIG_ERROR;
}

/* Statement k ran: what the next statement is owed. */
static int ride_ran(ride *r, size_t k, const dm_stmt *st, int *settled)
{
    dbmig *h = r->x->h;
    size_t n = r->s->stmts.n;
    r->row = 1;
    dm_sha256_update(&r->md, st->sql, st->len + 1);
    dm_buf_reset(&r->owed);
    if (r->txn && k + 1 == n) {
        *settled = 1;
        /* The final row went with the statement and carries the time before
         * it: correct it when the statement itself took long. */
        int64_t all = (int64_t)(dm_now_ms() - r->t0);
        char set[64];
        snprintf(set, sizeof set, "duration_ms = %lld", (long long)all);
        if (all - r->duration >= 100)
            (void)row_update(h, r->id, set); /* the row is settled either way */
        return DBMIG_OK;
    }
    if (r->txn || k + 1 == n)
        return DBMIG_OK; /* nothing owed: recorded, or row_finish follows */
    char hash[DM_CHECKSUM_LEN + 1], set[200];
    dm_sha256_v1(&r->md, hash);
    progress_set(set, k + 1, hash);
    return row_update_sql(h, r->id, set, &r->owed);
}

/* Runs s's statements with the writes riding along (see rides()). On a
 * statement's failure *failed_at = k and why holds its error; on a write's
 * failure *failed_at stays (size_t)-1 and why says what is recorded.
 * *settled = 1 when the final row went with the last statement. */
static int exec_ride(run *x, step *s, int64_t seq, double t0, dm_buf *why, size_t *failed_at,
                     int *settled)
{
    dbmig *h = x->h;
    ride r = {.x = x, .s = s, .id = h->graph.revs[s->rev].id, .seq = seq, .t0 = t0};
    dm_sha256_init(&r.md);
    *failed_at = (size_t)-1;
    *settled = 0;
    int rc = row_insert_sql(h, s->rev, 1, 0, seq, NULL, &r.owed) ? nomem(h) : DBMIG_OK;
    for (size_t k = 0; k < s->stmts.n && rc == DBMIG_OK; k++) {
        const dm_stmt *st = &s->stmts.v[k];
        if (k > 0 && stopped(h)) { /* the owed write first: progress is exact */
            rc = r.owed.len ? exec_sql(h, dm_buf_str(&r.owed), NULL) : DBMIG_OK;
            if (rc == DBMIG_OK) {
                rc = DBMIG_EINTERRUPTED;
                *failed_at = k;
                x->fail.stmt = k + 1; /* the statement not run */
                x->fail.line = st->line;
            } else {
                dm_buf_puts(why, dm_err_msg(&h->err));
            }
            break;
        }
        if ((rc = ride_text(&r, k, st)) != DBMIG_OK)
            break;
        double ts = h->o.on_event ? dm_now_ms() : 0;
        report_stmt(h, x, s, k, st, 0, 0);
        if (h->drv->exec(h->conn, r.b.ptr, r.b.len, NULL) != DBMIG_DRV_OK) {
            rc = ride_failed(&r, k, st, why, failed_at);
            break;
        }
        if (h->o.on_event)
            report_stmt(h, x, s, k, st, 1, dm_now_ms() - ts);
        rc = ride_ran(&r, k, st, settled);
    }
    dm_buf_free(&r.owed);
    dm_buf_free(&r.b);
    return rc;
}

/* Runs one step outside any transaction with the dirty protocol. A stop
 * (dbmig_interrupt) between two of its statements returns
 * DBMIG_EINTERRUPTED with *stopped_at = the statement not run: the row
 * stays dirty with the progress of the statements before it, and `why`
 * says how to go on. */
static int run_notx_step(run *x, size_t i, int64_t seq, double t0, dm_buf *why, size_t *stopped_at)
{
    dbmig *h = x->h;
    step *s = &x->steps[i];
    const char *id = h->graph.revs[s->rev].id;
    int rc;
    int ride = rides(x, s);
    *stopped_at = (size_t)-1;
    if (x->down)
        rc = row_update(h, id, h->caps & DBMIG_CAP_BOOLEAN ? "dirty = TRUE" : "dirty = 1");
    else if (s->resume || ride)
        rc = DBMIG_OK; /* riding: the row goes with statement 1 */
    else
        rc = row_insert(h, s->rev, 1, 0, seq, NULL);
    if (rc != DBMIG_OK)
        return rc;
    size_t k = (size_t)-1;
    int settled = 0; /* the final row rode with the last statement */
    if (ride && (rc = exec_ride(x, s, seq, t0, why, &k, &settled)) != DBMIG_OK && k == (size_t)-1 &&
        !why->len)
        return rc; /* the dirty row was not written: nothing ran */
    if (!ride)
        rc = exec_all(x, s, 1, why, &k);
    if (rc == DBMIG_EINTERRUPTED) {
        *stopped_at = k;
        char where[96], done[64];
        if (x->cancelled)
            snprintf(where, sizeof where, "during statement %zu (cancelled, so not run)", k + 1);
        else
            snprintf(where, sizeof where, "between statements %zu and %zu", k, k + 1);
        if (k)
            snprintf(done, sizeof done, "statements 1..%zu %s", k, x->down ? "ran" : "are committed");
        else
            snprintf(done, sizeof done, "none of its statements %s", x->down ? "ran" : "is committed");
        if (x->down)
            dm_buf_printf(why,
                          "revision %s was stopped %s of its down section, which runs outside a "
                          "transaction: %s and it is marked dirty. Settle it with `dbmig repair "
                          "--applied %s` (and downgrade again) or `dbmig repair --reverted %s`",
                          id, where, done, id, id);
        else
            dm_buf_printf(why,
                          "revision %s was stopped %s; it runs outside a transaction, so %s and "
                          "it is marked dirty with that progress recorded. Run `dbmig upgrade "
                          "--resume` to finish it from statement %zu (or settle it with `dbmig "
                          "repair --applied %s` or `--reverted %s`)",
                          id, where, done, k + 1, id, id);
        return rc;
    }
    if (rc != DBMIG_OK) {
        if (k == (size_t)-1)
            dm_buf_printf(why, "\nrevision %s is marked dirty; see `dbmig status`", id);
        else if (x->down)
            dm_buf_printf(why,
                          "\nrevision %s is marked dirty: statements 1..%zu of its down "
                          "section ran. Fix the cause, then settle it with `dbmig repair "
                          "--applied %s` (and downgrade again) or `dbmig repair --reverted %s`",
                          id, k, id, id);
        else if (k == 0)
            dm_buf_printf(why,
                          "\nno statement of %s was committed; it is marked dirty. Fix the "
                          "cause, then run `dbmig upgrade --resume` (it starts at statement "
                          "1), or `dbmig repair --reverted %s`",
                          id, id);
        else
            dm_buf_printf(why,
                          "\nstatements 1..%zu of %s were committed (it ran outside a "
                          "transaction) and it is marked dirty. Fix the cause, then run "
                          "`dbmig upgrade --resume` to run it from statement %zu, or settle "
                          "it by hand with `dbmig repair --applied %s` or `dbmig repair "
                          "--reverted %s`",
                          k, id, k + 1, id, id);
        return DBMIG_ERROR;
    }
    if (x->down)
        return row_delete(h, id);
    return settled ? DBMIG_OK : row_finish(h, s->rev, (int64_t)(dm_now_ms() - t0));
}

/* The message of a stopped run: where it stopped, what is committed, what
 * was rolled back (names), and how to go on. */
static int stop_error(run *x, size_t i, size_t committed, size_t rb0, size_t rb1,
                      size_t stopped_at, const dm_buf *why)
{
    dbmig *h = x->h;
    dm_buf m = {0};
    const char *verb = x->down ? "reverted" : "applied";
    if (i < x->n && x->cancelled && stopped_at != (size_t)-1)
        dm_buf_printf(&m, "interrupted: statement %zu of %zu of revision %s was cancelled",
                      stopped_at + 1, x->steps[i].nstmts, h->graph.revs[x->steps[i].rev].id);
    else if (i < x->n && x->cancelled)
        dm_buf_printf(&m, "interrupted: the statements of revision %s were cancelled",
                      h->graph.revs[x->steps[i].rev].id);
    else if (i < x->n && stopped_at != (size_t)-1)
        dm_buf_printf(&m, "interrupted: stopped before statement %zu of %zu of revision %s",
                      stopped_at + 1, x->steps[i].nstmts, h->graph.revs[x->steps[i].rev].id);
    else if (i < x->n && stopped_at == (size_t)-1)
        dm_buf_printf(&m, "interrupted: stopped before revision %s",
                      h->graph.revs[x->steps[i].rev].id);
    else
        dm_buf_puts(&m, "interrupted");
    dm_buf_printf(&m, "; %zu revision(s) of this run %s committed (%s)", committed,
                  committed == 1 ? "is" : "are", verb);
    if (rb1 > rb0) {
        dm_buf_printf(&m, "; rolled back, so not %s:", verb);
        for (size_t k = rb0; k < rb1; k++)
            dm_buf_printf(&m, " %s", h->graph.revs[x->steps[k].rev].id);
    }
    if (why->len)
        dm_buf_printf(&m, "\n%s", dm_buf_str(why));
    else
        dm_buf_printf(&m, "\nthe lock is released; run the same command again to go on");
    int rc = dm_buf_str(&m)[0] ? dm_err_set(&h->err, DBMIG_EINTERRUPTED, "%s", dm_buf_str(&m))
                               : nomem(h);
    dm_buf_free(&m);
    return rc;
}

static int apply(run *x)
{
    dbmig *h = x->h;
    tx t = {0};
    int single = h->o.single_transaction;
    int64_t seq = x->st.max_seq;
    int rc = DBMIG_OK;
    dm_buf why = {0};
    size_t i;
    size_t stopped_at = (size_t)-1; /* a stop inside step i: the statement not run */
    t.ms = calloc(x->n ? x->n : 1, sizeof *t.ms);
    if (!t.ms)
        return nomem(h);
    atomic_store(&h->running, h->conn); /* dbmig_cancel may cancel from now */

    for (i = 0; i < x->n; i++) {
        step *s = &x->steps[i];
        double t0 = dm_now_ms();
        if (stopped(h)) {
            rc = DBMIG_EINTERRUPTED;
            break;
        }
        if (dm_lease_lost(h)) {
            rc = DBMIG_ERROR;
            break;
        }
        report_done(h, x, i, 0, DBMIG_EV_START, s->why_notx[0] ? s->why_notx : NULL);
        if (!x->down && !s->resume)
            seq++; /* a resumed revision keeps its row and its seq */
        if (s->transactional) {
            if (!t.open) {
                if (h->drv->begin(h->conn) != DBMIG_DRV_OK) {
                    rc = dm_db_error(h, "cannot begin a transaction");
                    break;
                }
                t.open = 1;
                t.since = t0;
                t.g0 = t.g1 = i;
            }
            int sp = use_savepoints(h);
            int batch = batchable(x, s);
            if (sp && !batch && (rc = exec_sql(h, "SAVEPOINT dbmig_step", NULL)) != DBMIG_OK)
                break;
            rc = batch ? run_tx_batch(x, i, seq, t0, &why) : run_tx_step(x, i, seq, t0, &why);
            if (rc == DBMIG_ERROR && stopped(h)) { /* cancelled (dbmig_cancel) */
                rc = DBMIG_EINTERRUPTED;
                x->cancelled = 1;
                x->fail.stmt = 0;
                dm_buf_reset(&why);
            }
            if (rc == DBMIG_EINTERRUPTED) {
                stopped_at = x->fail.stmt ? x->fail.stmt - 1 : (size_t)-1;
                break;
            }
            if (rc != DBMIG_OK) {
                if (single || !sp) {
                    tx_rollback(h, x, &t, "the run failed");
                } else {
                    /* Undo k only, keep 1..k-1 of the group. */
                    if (exec_sql(h, "ROLLBACK TO SAVEPOINT dbmig_step", NULL) != DBMIG_OK ||
                        tx_commit(h, x, &t) != DBMIG_OK)
                        tx_rollback(h, x, &t, "the run failed");
                }
                break;
            }
            if (sp && !batch && (rc = exec_sql(h, "RELEASE SAVEPOINT dbmig_step", NULL)) != DBMIG_OK)
                break;
            t.ms[i] = dm_now_ms() - t0;
            t.g1 = i + 1; /* reported DONE at the commit */
            /* Without savepoints a failure could only roll back the whole
             * group: commit every migration alone then. */
            if (!single && (h->o.commit_interval_ms == 0 || !sp ||
                            dm_now_ms() - t.since >= h->o.commit_interval_ms ||
                            i + 1 == x->n || !x->steps[i + 1].transactional)) {
                if ((rc = tx_commit(h, x, &t)) != DBMIG_OK) {
                    i = x->n; /* each step of the group is reported ROLLED_BACK */
                    break;
                }
            }
        } else {
            if ((rc = tx_commit(h, x, &t)) != DBMIG_OK)
                break;
            t.g0 = t.g1 = i + 1;
            rc = run_notx_step(x, i, seq, t0, &why, &stopped_at);
            if (rc != DBMIG_OK)
                break;
            report_done(h, x, i, dm_now_ms() - t0, DBMIG_EV_DONE, NULL);
            t.done++;
        }
    }
    if (rc == DBMIG_OK) {
        rc = tx_commit(h, x, &t);
    } else if (rc == DBMIG_EINTERRUPTED) {
        /* Roll back the open group, the stopped step's own work with it. */
        size_t rb0 = t.g0, rb1 = t.g1;
        if (i < x->n && x->steps[i].transactional && t.open)
            rb1 = i + 1;
        if (t.open) {
            h->drv->rollback(h->conn);
            t.open = 0;
        }
        for (size_t k = rb0; k < rb1; k++)
            report_done(h, x, k, 0, DBMIG_EV_ROLLED_BACK, "interrupted: its group was rolled back");
        if (i < x->n && !x->steps[i].transactional && stopped_at != (size_t)-1)
            report_done(h, x, i, 0, DBMIG_EV_FAILED,
                        x->cancelled ? "its running statement was cancelled outside a "
                                       "transaction: left dirty with its progress recorded"
                                     : "stopped between two statements outside a transaction: "
                                       "left dirty with its progress recorded");
        rc = stop_error(x, i, t.done, rb0, rb1, stopped_at, &why);
        i = x->n; /* every started step is reported */
    } else {
        tx_rollback(h, x, &t, "the run failed");
    }

    if (rc != DBMIG_OK && i < x->n) {
        report_done(h, x, i, 0, DBMIG_EV_FAILED, NULL);
        if (why.len) {
            /* A statement failed: say what is applied now. */
            const char *id = h->graph.revs[x->steps[i].rev].id;
            if (x->steps[i].transactional) {
                if (single)
                    dm_buf_printf(&why, "\n--single-transaction: the whole run was rolled back; "
                                        "nothing was %s",
                                  x->down ? "reverted" : "applied");
                else
                    dm_buf_printf(&why, "\nnothing of %s was %s (its transaction was rolled "
                                        "back); %zu earlier revision(s) of this run %s committed",
                                  id, x->down ? "reverted" : "applied", i,
                                  i == 1 ? "is" : "are");
            }
            if (x->steps[i].transactional)
                dm_buf_puts(&why, "\nfix the statement and run the command again");
            dm_err_set(&h->err, DBMIG_ERROR, "%s", dm_buf_str(&why));
            const dm_migfile *f = &h->graph.revs[x->steps[i].rev].file;
            dm_errloc_set(h, f->revision, f->path, x->fail.line, x->fail.stmt, x->fail.code);
        }
    }
    atomic_store(&h->running, NULL);
    free(t.ms);
    dm_buf_free(&why);
    return rc;
}

/* ---- offline (--sql) --------------------------------------------------------- */

static int out_write(dbmig *h, dm_buf *b)
{
    int rc = h->o.sql_out(h->o.sql_payload, dm_buf_str(b), b->len) == 0
                 ? DBMIG_OK
                 : dm_err_set(&h->err, DBMIG_ERROR, "cannot write the SQL script");
    dm_buf_reset(b);
    return rc;
}

/* Appends s for a `--` comment line of a script, or a literal that ends up
 * on a terminal: control characters (a newline in a file name, a CR or an
 * ESC sequence in a message, the C1 controls U+0080..U+009F) become visible
 * escapes (\n, \r, \t, \xHH, \u00HH), so nothing breaks out of the comment
 * or drives the terminal. */
static void script_text(dm_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '\n')
            dm_buf_puts(b, "\\n");
        else if (*p == '\r')
            dm_buf_puts(b, "\\r");
        else if (*p == '\t')
            dm_buf_puts(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            dm_buf_printf(b, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            dm_buf_printf(b, "\\u%04x", p[1]);
            p++;
        } else
            dm_buf_append(b, (const char *)p, 1);
    }
}

typedef struct offline_ctx {
    dbmig *h;
    dm_buf *b, *sql;
} offline_ctx;

/* One statement of an offline script, through the portable-DDL layer with
 * no connection (its notes become comments); flushed as it grows so that a
 * streamed file never sits in memory. */
static int offline_one(void *payload, size_t k, const dm_stmt *st)
{
    (void)k;
    offline_ctx *c = payload;
    dm_buf note = {0};
    int skip = 0;
    int rc = dm_ddl_prepare(c->h->drv, NULL, c->h->caps, st->sql, st->len, c->sql, &skip, &note,
                            &c->h->err);
    if (note.len) {
        dm_buf_puts(c->b, "-- dbmig: ");
        script_text(c->b, note.ptr);
        dm_buf_puts(c->b, "\n");
    }
    dm_buf_append(c->b, dm_buf_str(c->sql), c->sql->len);
    dm_buf_puts(c->b, ";\n");
    dm_buf_reset(c->sql);
    dm_buf_free(&note);
    if (rc == DBMIG_OK && c->b->len > 65536)
        rc = out_write(c->h, c->b);
    return rc;
}

static int offline(dbmig *h, const char *target, int down)
{
    int rc = dm_need_graph(h);
    if (rc == DBMIG_OK)
        rc = dm_need_driver(h);
    if (rc != DBMIG_OK)
        return rc;
    /* FROM:TO — the start state is everything up to FROM. */
    char *from = NULL;
    const char *to = target;
    const char *colon = strchr(target, ':');
    if (colon) {
        from = dm_strndup(target, (size_t)(colon - target));
        to = colon + 1;
        if (!from)
            return nomem(h);
    } else if (down) {
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "an offline downgrade needs its starting point: write the target as "
                          "FROM:TO, e.g. `dbmig --sql downgrade head:base`");
    }
    run x = {0};
    x.h = h;
    x.down = down;
    dm_plan p = {0};
    x.a.is = calloc(h->graph.n ? h->graph.n : 1, 1);
    x.a.by_seq = malloc((h->graph.n ? h->graph.n : 1) * sizeof *x.a.by_seq);
    if (!x.a.is || !x.a.by_seq) {
        free(from);
        run_free(&x);
        return nomem(h);
    }
    if (from && *from && strcmp(from, "base") != 0) {
        rc = dm_plan_stamp(&h->graph, &x.a, from, x.a.is, &h->err);
        x.a.nseq = 0;
        for (size_t k = 0; rc == DBMIG_OK && k < h->graph.n; k++)
            if (x.a.is[h->graph.order[k]])
                x.a.by_seq[x.a.nseq++] = h->graph.order[k];
    }
    free(from);
    if (rc == DBMIG_OK) {
        rc = down ? dm_plan_downgrade(&h->graph, &x.a, to, &p, &h->err)
                  : dm_plan_upgrade(&h->graph, &x.a, to, &p, &h->err);
    }
    if (rc == DBMIG_OK)
        rc = prepare_steps(&x, &p);
    dm_plan_free(&p);

    dm_buf b = {0}, sql = {0};
    char ts[32];
    utc_now(ts);
    if (rc == DBMIG_OK) {
        dm_buf_printf(&b, "-- dbmig %s script for driver %s, %zu revision(s), generated %s UTC\n",
                      down ? "downgrade" : "upgrade", h->drv->name, x.n, ts);
        rc = dm_vtable_ddl(h, &b);
        dm_buf_puts(&b, ";\n");
    }
    for (size_t i = 0; rc == DBMIG_OK && i < x.n; i++) {
        step *s = &x.steps[i];
        const dm_migfile *f = &h->graph.revs[s->rev].file;
        dm_buf_printf(&b, "\n-- %s %s: ", down ? "revert" : "apply", f->revision);
        script_text(&b, f->message);
        dm_buf_puts(&b, " (");
        script_text(&b, f->path);
        dm_buf_printf(&b, ")%s\n", s->transactional ? "" : " -- outside a transaction");
        if (s->transactional)
            dm_buf_puts(&b, "BEGIN;\n");
        offline_ctx oc = {h, &b, &sql};
        rc = each_stmt(&x, s, offline_one, &oc);
        if (rc != DBMIG_OK)
            break;
        if (down) {
            dm_buf_printf(&b, "DELETE FROM %s WHERE revision = ", h->qtable);
            dm_quote_literal(h, f->revision, &b);
        } else {
            dm_buf_printf(&b,
                          "INSERT INTO %s (revision, checksum, message, applied_at, duration_ms, "
                          "dirty, progress, progress_hash, seq) SELECT ",
                          h->qtable);
            dm_quote_literal(h, f->revision, &b);
            dm_buf_puts(&b, ", ");
            dm_quote_literal(h, f->checksum, &b);
            dm_buf_puts(&b, ", ");
            {
                /* the message as the comment above shows it: no raw control
                 * characters in a script that may be printed to a terminal */
                dm_buf msg = {0};
                script_text(&msg, f->message);
                dm_quote_literal(h, dm_buf_str(&msg), &b);
                dm_buf_free(&msg);
            }
            dm_buf_puts(&b, ", ");
            dm_quote_literal(h, ts, &b);
            dm_buf_printf(&b, ", 0, %s, 0, NULL, COALESCE(MAX(seq), 0) + 1 FROM %s",
                          bool_lit(h, 0), h->qtable);
        }
        dm_buf_puts(&b, ";\n");
        if (s->transactional)
            dm_buf_puts(&b, "COMMIT;\n");
        rc = out_write(h, &b);
    }
    if (rc == DBMIG_OK && b.len)
        rc = out_write(h, &b);
    dm_buf_free(&b);
    dm_buf_free(&sql);
    run_free(&x);
    return rc;
}

/* ---- upgrade / downgrade ------------------------------------------------------ */

static int dry_report(run *x)
{
    dbmig *h = x->h;
    if (x->n == 0)
        dm_emit(h, DBMIG_EV_NOTICE, NULL, "dry run: nothing to do", NULL);
    if (x->n > 0 && !x->st.table_exists) {
        char t[300];
        snprintf(t, sizeof t, "dry run: would create the version table %s", h->table);
        dm_emit(h, DBMIG_EV_NOTICE, NULL, t, NULL);
    }
    for (size_t i = 0; i < x->n; i++) {
        const dm_migfile *f = &h->graph.revs[x->steps[i].rev].file;
        char t[512];
        snprintf(t, sizeof t, "dry run: would %s %s %s (%zu statement(s)%s)",
                 x->down ? "revert" : "apply", f->revision, f->message ? f->message : "",
                 x->steps[i].nstmts, x->steps[i].transactional ? "" : ", outside a transaction");
        dm_emit(h, DBMIG_EV_NOTICE, f->revision, t, NULL);
        report_plan(h, x, i);
    }
    return DBMIG_OK;
}

/* Turns dirty rows into resume steps placed before the plan. */
static int add_resume_steps(run *x, dm_plan *p)
{
    dbmig *h = x->h;
    size_t ndirty = 0;
    for (size_t i = 0; i < x->st.n; i++)
        if (x->st.rows[i].dirty && x->st.rows[i].rev != DM_NONE)
            ndirty++;
    if (!ndirty)
        return DBMIG_OK;
    size_t *v = malloc((p->n + ndirty) * sizeof *v);
    if (!v)
        return nomem(h);
    size_t n = 0;
    for (size_t i = 0; i < x->st.n; i++)
        if (x->st.rows[i].dirty && x->st.rows[i].rev != DM_NONE)
            v[n++] = x->st.rows[i].rev;
    for (size_t i = 0; i < p->n; i++) {
        int dup = 0;
        for (size_t k = 0; k < ndirty; k++)
            dup |= v[k] == p->v[i];
        if (!dup)
            v[n++] = p->v[i];
    }
    free(p->v);
    p->v = v;
    p->n = n;
    return DBMIG_OK;
}

/* "v1:" + SHA-256 of the first n statements, each with its NUL: what the
 * dirty protocol records as progress_hash and --resume compares. */
typedef struct hash_ctx {
    dm_sha256 md;
    size_t n;
} hash_ctx;

static int hash_one(void *payload, size_t k, const dm_stmt *st)
{
    hash_ctx *c = payload;
    if (k >= c->n)
        return 1; /* enough: stop */
    dm_sha256_update(&c->md, st->sql, st->len + 1);
    return 0;
}

static int progress_hash(run *x, const step *s, size_t n, char out[DM_CHECKSUM_LEN + 1])
{
    hash_ctx c = {.n = n};
    dm_sha256_init(&c.md);
    int rc = each_stmt(x, s, hash_one, &c);
    if (rc == 1)
        rc = DBMIG_OK;
    dm_sha256_v1(&c.md, out);
    return rc;
}

static int check_resume(run *x)
{
    dbmig *h = x->h;
    for (size_t i = 0; i < x->n; i++) {
        step *s = &x->steps[i];
        const dm_vrow *row = NULL;
        for (size_t k = 0; k < x->st.n; k++)
            if (x->st.rows[k].rev == s->rev && x->st.rows[k].dirty)
                row = &x->st.rows[k];
        if (!row)
            continue;
        s->resume = 1;
        s->transactional = 0; /* finishing a dirty revision is non-transactional */
        size_t done = (size_t)(row->progress > 0 ? row->progress : 0);
        if (done > s->nstmts)
            return dm_err_set(&h->err, DBMIG_EINVALID,
                              "cannot resume %s: the version table says %zu statements were "
                              "committed but %s now has %zu; settle it with `dbmig repair "
                              "--applied %s` or `--reverted %s`",
                              row->revision, done, file_of(h, s->rev), s->nstmts, row->revision,
                              row->revision);
        if (done > 0) {
            char hash[DM_CHECKSUM_LEN + 1];
            int rc = progress_hash(x, s, done, hash);
            if (rc != DBMIG_OK)
                return rc;
            if (!row->progress_hash || strcmp(hash, row->progress_hash) != 0)
                return dm_err_set(&h->err, DBMIG_EINVALID,
                                  "cannot resume %s: its first %zu statement(s), already "
                                  "committed, were changed in %s since they ran; restore them, "
                                  "or settle the revision with `dbmig repair --applied %s` or "
                                  "`--reverted %s`",
                                  row->revision, done, file_of(h, s->rev), row->revision,
                                  row->revision);
        }
        s->start = done;
    }
    return DBMIG_OK;
}

static int migrate(dbmig *h, const char *target, unsigned flags, int down)
{
    dm_err_clear(&h->err);
    if (!target || !*target)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "%s needs a target",
                          down ? "downgrade" : "upgrade");
    if (h->o.sql_out)
        return offline(h, target, down);
    run x = {0};
    x.h = h;
    x.down = down;
    dm_plan p = {0};
    precheck pre = {target, down ? DM_TARGET_DOWNGRADE : DM_TARGET_UPGRADE};
    int rc = begin_run(&x, &pre);
    if (rc == DBMIG_OK)
        rc = validate(&x, !down, flags);
    if (rc == DBMIG_OK && down)
        rc = check_last_rows(&x, target, "downgrade");
    if (rc == DBMIG_OK)
        rc = down ? dm_plan_downgrade(&h->graph, &x.a, target, &p, &h->err)
                  : dm_plan_upgrade(&h->graph, &x.a, target, &p, &h->err);
    if (rc == DBMIG_OK && !down && (flags & DBMIG_ALLOW_MISSING)) {
        /* Missing ancestors of applied revisions join the plan in graph order. */
        unsigned char *mark = calloc(h->graph.n ? h->graph.n : 1, 1);
        size_t *v = mark ? malloc((h->graph.n ? h->graph.n : 1) * sizeof *v) : NULL;
        if (!mark || !v) {
            rc = nomem(h);
        } else {
            dm_graph_missing(&h->graph, &x.a, mark);
            for (size_t i = 0; i < p.n; i++)
                mark[p.v[i]] = 1;
            size_t n = 0;
            for (size_t k = 0; k < h->graph.n; k++)
                if (mark[h->graph.order[k]])
                    v[n++] = h->graph.order[k];
            free(p.v);
            p.v = v;
            p.n = n;
            v = NULL;
        }
        free(mark);
        free(v);
    }
    if (rc == DBMIG_OK && !down && (flags & DBMIG_RESUME))
        rc = add_resume_steps(&x, &p);
    if (rc == DBMIG_OK)
        rc = prepare_steps(&x, &p);
    if (rc == DBMIG_OK && !down && (flags & DBMIG_RESUME))
        rc = check_resume(&x);
    if (rc == DBMIG_OK && h->o.single_transaction) {
        if (!(h->caps & DBMIG_CAP_TRANSACTIONAL_DDL))
            rc = dm_err_set(&h->err, DBMIG_EUSAGE,
                            "--single-transaction needs transactional DDL, which driver %s does "
                            "not have; drop the option",
                            h->drv->name);
        for (size_t i = 0; rc == DBMIG_OK && i < x.n; i++)
            if (!x.steps[i].transactional)
                rc = dm_err_set(&h->err, DBMIG_EUSAGE,
                                "--single-transaction cannot include revision %s (%s): it runs "
                                "outside a transaction; drop the option or migrate up to it first",
                                h->graph.revs[x.steps[i].rev].id, file_of(h, x.steps[i].rev));
    }
    dm_plan_free(&p);
    if (rc == DBMIG_OK) {
        if (h->o.dry_run)
            rc = dry_report(&x);
        else if (x.n == 0)
            dm_emit(h, DBMIG_EV_NOTICE, NULL, "nothing to do", NULL);
        else if ((rc = ensure_table(&x)) == DBMIG_OK)
            rc = apply(&x);
    }
    dm_lock_release(h);
    run_free(&x);
    return rc;
}

int dbmig_upgrade(dbmig *h, const char *target, unsigned flags)
{
    return migrate(h, target ? target : "head", flags, 0);
}

int dbmig_downgrade(dbmig *h, const char *target, unsigned flags)
{
    return migrate(h, target, flags, 1);
}

/* ---- stamp and repair ------------------------------------------------------------- */

int dbmig_stamp(dbmig *h, const char *target)
{
    dm_err_clear(&h->err);
    if (!target || !*target)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "stamp needs a target");
    run x = {0};
    x.h = h;
    precheck pre = {target, DM_TARGET_STAMP};
    int rc = begin_run(&x, &pre);
    unsigned char *want = NULL;
    if (rc == DBMIG_OK)
        rc = check_last_rows(&x, target, "stamp");
    if (rc == DBMIG_OK) {
        want = calloc(h->graph.n ? h->graph.n : 1, 1);
        rc = want ? dm_plan_stamp(&h->graph, &x.a, target, want, &h->err) : nomem(h);
    }
    size_t added = 0, removed = 0;
    for (size_t r = 0; rc == DBMIG_OK && want && r < h->graph.n; r++) {
        added += !x.a.is[r] && want[r];
        removed += x.a.is[r] && !want[r];
    }
    if (rc == DBMIG_OK && want && h->o.dry_run) {
        if (!added && !removed)
            dm_emit(h, DBMIG_EV_NOTICE, NULL, "dry run: nothing to do", NULL);
        else if (!x.st.table_exists) {
            char t[300];
            snprintf(t, sizeof t, "dry run: would create the version table %s", h->table);
            dm_emit(h, DBMIG_EV_NOTICE, NULL, t, NULL);
        }
        for (size_t k = 0; k < h->graph.n; k++) {
            size_t r = h->graph.order[k];
            if (want[r] != x.a.is[r]) {
                char t[300];
                snprintf(t, sizeof t, "dry run: would stamp %s as %s", h->graph.revs[r].id,
                         want[r] ? "applied" : "not applied");
                dm_emit(h, DBMIG_EV_NOTICE, h->graph.revs[r].id, t, NULL);
            }
        }
    } else if (rc == DBMIG_OK && !added && !removed) {
        dm_emit(h, DBMIG_EV_NOTICE, NULL, "nothing to do: the version table already says so",
                NULL);
    } else if (rc == DBMIG_OK && want) {
        rc = ensure_table(&x);
        if (rc == DBMIG_OK && h->drv->begin(h->conn) != DBMIG_DRV_OK)
            rc = dm_db_error(h, "cannot begin a transaction");
        else if (rc == DBMIG_OK) {
            int64_t seq = x.st.max_seq;
            /* Children first for removals, parents first for additions. */
            for (size_t k = h->graph.n; rc == DBMIG_OK && k-- > 0;) {
                size_t r = h->graph.order[k];
                if (x.a.is[r] && !want[r])
                    rc = row_delete(h, h->graph.revs[r].id);
            }
            for (size_t k = 0; rc == DBMIG_OK && k < h->graph.n; k++) {
                size_t r = h->graph.order[k];
                if (!x.a.is[r] && want[r])
                    rc = row_insert(h, r, 0, 0, ++seq, NULL);
            }
            if (rc == DBMIG_OK) {
                if (h->drv->commit(h->conn) != DBMIG_DRV_OK)
                    rc = dm_db_error(h, "commit failed; the version table is unchanged");
            } else {
                h->drv->rollback(h->conn);
            }
        }
        if (rc == DBMIG_OK) {
            char t[400];
            snprintf(t, sizeof t,
                     "stamped %s: %zu revision(s) marked applied, %zu marked not applied%s; no "
                     "migration SQL was run",
                     target, added, removed,
                     removed ? " (their schema changes are still in the database)" : "");
            dm_emit(h, DBMIG_EV_NOTICE, NULL, t, NULL);
        }
    }
    free(want);
    dm_lock_release(h);
    run_free(&x);
    return rc;
}

/* The version-table row repair --applied/--reverted ID names: an exact
 * revision, else a unique prefix of a file's id. NULL with err set when
 * there is none, or when the row cannot be settled that way. */
static dm_vrow *repair_row(run *x, int what, const char *id)
{
    dbmig *h = x->h;
    dm_vrow *row = NULL;
    for (size_t i = 0; i < x->st.n; i++)
        if (strcmp(x->st.rows[i].revision, id) == 0)
            row = &x->st.rows[i];
    size_t r = DM_NONE;
    if (!row) {
        if (dm_graph_lookup(&h->graph, id, &r, &h->err) != DBMIG_OK) {
            if (strncmp(dm_err_msg(&h->err), "unknown revision", 16) == 0)
                dm_err_set(&h->err, DBMIG_EUSAGE,
                           "nothing to repair: unknown revision '%s': the version table has no "
                           "row with that id and no file in %s has it; `dbmig status` lists the "
                           "applied revisions",
                           id, h->dir);
            return NULL;
        }
        for (size_t i = 0; i < x->st.n; i++)
            if (x->st.rows[i].rev == r)
                row = &x->st.rows[i];
    }
    if (!row) {
        dm_err_set(&h->err, DBMIG_EUSAGE,
                   "nothing to repair: revision %s (%s) is not applied (the version table has no "
                   "row for it); `dbmig status` shows what is applied and what is dirty",
                   h->graph.revs[r].id, file_of(h, r));
        return NULL;
    }
    if (row->dirty)
        return row;
    if (what == DBMIG_REPAIR_REVERTED && row->rev == DM_NONE)
        return row; /* an applied revision whose file is gone: drop its row */
    if (what == DBMIG_REPAIR_APPLIED)
        dm_err_set(&h->err, DBMIG_EUSAGE,
                   "nothing to repair: revision %s is applied and not dirty; repair --applied "
                   "only settles a dirty revision (see `dbmig status`)",
                   row->revision);
    else
        dm_err_set(&h->err, DBMIG_EUSAGE,
                   "refusing to remove the row of revision %s: it is applied, not dirty, and its "
                   "file %s exists, so repair --reverted would leave its schema changes in place "
                   "unrecorded. Revert it with `dbmig downgrade` (e.g. `dbmig downgrade %s-1`), "
                   "or change the version table alone with `dbmig stamp`",
                   row->revision, file_of(x->h, row->rev), row->revision);
    return NULL;
}

int dbmig_repair(dbmig *h, int what, const char *id)
{
    dm_err_clear(&h->err);
    if (what != DBMIG_REPAIR_CHECKSUMS && (!id || !*id))
        return dm_err_set(&h->err, DBMIG_EUSAGE, "repair --applied/--reverted needs a revision id");
    if (what < DBMIG_REPAIR_CHECKSUMS || what > DBMIG_REPAIR_REVERTED)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "repair needs one of --checksums, --applied ID, --reverted ID");
    run x = {0};
    x.h = h;
    int dry = h->o.dry_run;
    int rc = begin_run(&x, NULL);
    if (rc == DBMIG_OK && what == DBMIG_REPAIR_CHECKSUMS) {
        size_t fixed = 0;
        for (size_t i = 0; rc == DBMIG_OK && i < x.st.n; i++) {
            dm_vrow *r = &x.st.rows[i];
            if (r->rev == DM_NONE || r->dirty)
                continue;
            const char *sum = h->graph.revs[r->rev].file.checksum;
            if (strcmp(sum, r->checksum) == 0)
                continue;
            if (!dry) {
                char set[128];
                snprintf(set, sizeof set, "checksum = '%s'", sum);
                rc = row_update(h, r->revision, set);
            }
            if (rc == DBMIG_OK) {
                char t[300];
                snprintf(t, sizeof t, "%s the edited file of %s (%s)",
                         dry ? "dry run: would accept" : "accepted", r->revision,
                         file_of(h, r->rev));
                dm_emit(h, DBMIG_EV_NOTICE, r->revision, t, NULL);
                fixed++;
            }
        }
        if (rc == DBMIG_OK && !fixed)
            dm_emit(h, DBMIG_EV_NOTICE, NULL,
                    dry ? "dry run: nothing to do: every checksum already matches"
                        : "every checksum already matches",
                    NULL);
    } else if (rc == DBMIG_OK) {
        dm_vrow *row = repair_row(&x, what, id);
        if (!row)
            rc = h->err.code ? h->err.code : DBMIG_EUSAGE;
        else if (dry)
            rc = DBMIG_OK;
        else if (what == DBMIG_REPAIR_REVERTED)
            rc = row_delete(h, row->revision);
        else if (row->rev == DM_NONE)
            rc = row_update(h, row->revision, h->caps & DBMIG_CAP_BOOLEAN
                                                  ? "dirty = FALSE, progress = 0, progress_hash = NULL"
                                                  : "dirty = 0, progress = 0, progress_hash = NULL");
        else
            rc = row_finish(h, row->rev, row->duration_ms);
        if (rc == DBMIG_OK && row) {
            char t[400];
            if (what == DBMIG_REPAIR_REVERTED && !row->dirty)
                snprintf(t, sizeof t,
                         "%s the row of %s, which has no file (its schema changes, if any, "
                         "were not reverted)",
                         dry ? "dry run: would remove" : "removed", row->revision);
            else
                snprintf(t, sizeof t, "%s %s as %s", dry ? "dry run: would settle" : "settled",
                         row->revision,
                         what == DBMIG_REPAIR_REVERTED ? "not applied" : "applied");
            dm_emit(h, DBMIG_EV_NOTICE, row->revision, t, NULL);
        }
    }
    dm_lock_release(h);
    run_free(&x);
    return rc;
}
