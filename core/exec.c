/* exec.c — running a plan (SPEC sections 4, 7, 8): the steps plan.c
 * prepared, against the database or into an offline (--sql) script.
 *
 * Transactional migrations (the driver has transactional DDL and the file
 * does not say `transaction off`) share one transaction, each inside its own
 * savepoint, committed once the group has been open longer than
 * --commit-interval: a failure in migration k rolls back to k's savepoint
 * and commits 1..k-1, exactly as if each had committed alone.
 * Non-transactional ones follow the dirty protocol: the row is written dirty
 * first, `progress` counts committed statements, dirty is cleared at the end.
 * A stop (dbmig_interrupt, dbmig_cancel) is honoured between statements.
 * Every version-table write goes through vtable.c. With --verify a step's
 * verify statements run after its own, before its row is final: a failure
 * is the step's (rolled back to its savepoint, or dirty outside a
 * transaction). dm_exec_section runs one section of a file on a handle
 * (dbmig test: fixtures and verify on a scratch database).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "ddl.h"
#include "ddlwait.h"
#include "engine.h"
#include "exec.h"
#include "lock.h"
#include "sha256.h"
#include "loader.h"

static int nomem(dbmig *h) { return dm_err_nomem(&h->err); }

static const char *file_of(const dbmig *h, size_t r) { return h->graph.revs[r].file.path; }

static void note_failure(dm_run *x, size_t idx, int line, int db, const dbmig_db_error *e);

/* Formats the driver's last error into err, with the statement's place. */
/* Formats the driver's last error into out, with the statement's place.
 * position: the error's offset inside this statement (1-based), or -1 to
 * take the driver's own. */
/* The error e (the driver's last one when NULL) of statement idx. */
static int stmt_error_e(dm_run *x, dbmig *h, size_t r, const dm_stmt *s, size_t idx, size_t total,
                        int position, const dbmig_db_error *e, dm_buf *out)
{
    if (!e)
        e = h->drv->last_error(h->drv_self, h->conn);
    int line = dm_error_line(s->sql, s->line, position >= 0 ? position : e ? e->position : 0);
    note_failure(x, idx, line, 1, e);
    int rc = dm_buf_printf(out, "%s:%d: statement %zu of %zu of revision %s failed: ",
                           file_of(h, r), line, idx + 1, total, x->g->revs[r].id);
    rc |= dm_db_error_format(out, e);
    return rc ? -1 : 0;
}

static int stmt_error_at(dm_run *x, dbmig *h, size_t r, const dm_stmt *s, size_t idx, size_t total,
                         int position, dm_buf *out)
{
    return stmt_error_e(x, h, r, s, idx, total, position, NULL, out);
}

static int stmt_error(dm_run *x, dbmig *h, size_t r, const dm_stmt *s, size_t idx, size_t total,
                      dm_buf *out)
{
    return stmt_error_at(x, h, r, s, idx, total, -1, out);
}

/* db: the database refused statement idx, e (may be NULL) saying why. */
static void fail_note(dm_fail *f, size_t idx, int line, int db, const dbmig_db_error *e)
{
    f->stmt = idx + 1;
    f->line = line;
    f->db = db;
    f->verify = 0;
    f->kind = e ? e->kind : DBMIG_DB_ERR_GENERIC;
    snprintf(f->code, sizeof f->code, "%.*s", e ? (int)sizeof e->code : 0, e ? e->code : "");
    snprintf(f->detail, sizeof f->detail, "%.*s", e ? (int)sizeof e->detail : 0,
             e ? e->detail : "");
    snprintf(f->hint, sizeof f->hint, "%.*s", e ? (int)sizeof e->hint : 0, e ? e->hint : "");
}

static void note_failure(dm_run *x, size_t idx, int line, int db, const dbmig_db_error *e)
{
    fail_note(&x->fail, idx, line, db, e);
}

/* The database's code, detail and hint of f into err (dbmig_last_error). */
static void fail_err_db(dm_err *err, const dm_fail *f)
{
    if (!f->db)
        return;
    const char *db[3] = {f->code, f->detail, f->hint};
    const size_t n[3] = {sizeof f->code, sizeof f->detail, sizeof f->hint};
    dm_err_db(err, db, n);
}

/* ---- applying ----------------------------------------------------------------- */

/* An interrupted run stops with this (SPEC section 4): the caller names
 * what was committed and what was rolled back. */
void dbmig_interrupt(dbmig *h)
{
    if (h)
        h->interrupted = 1;
}

/* A scratch handle (inspect.c) stops with the handle it was opened from. */
static int stopped(const dbmig *h)
{
    return h->interrupted != 0 || (h->parent && h->parent->interrupted != 0);
}

int dbmig_cancel(dbmig *h)
{
    if (!h)
        return DBMIG_ERROR;
    h->interrupted = 1;
    pthread_mutex_lock(&h->child_mu); /* a scratch database's run (inspect.c) */
    int child_rc = h->child ? dbmig_cancel(h->child) : DBMIG_ERROR;
    pthread_mutex_unlock(&h->child_mu);
    if (child_rc == DBMIG_OK)
        return DBMIG_OK;
    dbmig_conn *c = atomic_load(&h->running);
    int (*cancel)(void *, dbmig_conn *) = DM_DRV_OPT(h->drv, cancel);
    if (!c || !cancel)
        return DBMIG_ERROR;
    return cancel(h->drv_self, c) == DBMIG_DRV_OK ? DBMIG_OK : DBMIG_ERROR;
}

static void report_done(dbmig *h, const dm_run *x, size_t i, double ms, dbmig_event_kind kind,
                        const char *text)
{
    const dm_step *s = &x->steps[i];
    const dm_migfile *f = &x->g->revs[s->rev].file;
    if (!h->o.on_event)
        return;
    dbmig_event ev = {0};
    ev.kind = kind;
    ev.level = kind == DBMIG_EV_FAILED        ? DBMIG_LOG_ERROR
               : kind == DBMIG_EV_ROLLED_BACK ? DBMIG_LOG_WARN
                                              : DBMIG_LOG_INFO;
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

/* One step of a dry run's plan (called by dm_exec_dry_report). */
static void report_plan(dbmig *h, const dm_run *x, size_t i)
{
    report_done(h, x, i, 0, DBMIG_EV_PLAN, x->steps[i].why_notx[0] ? x->steps[i].why_notx : NULL);
}

/* A statement starts (done = 0) or has succeeded (done = 1, ms its time). */
static void report_stmt(dbmig *h, const dm_run *x, const dm_step *s, size_t k, const dm_stmt *st,
                        int done, double ms)
{
    if (!h->o.on_event)
        return;
    const dm_migfile *f = &x->g->revs[s->rev].file;
    dbmig_event ev = {0};
    ev.kind = done ? DBMIG_EV_STATEMENT_DONE : DBMIG_EV_STATEMENT;
    ev.level = DBMIG_LOG_DEBUG;
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
    int broken;  /* a failed step's group could not be committed without it (tx_fail) */
} tx;

static void tx_settle(dbmig *h, const dm_run *x, tx *t, int committed, const char *why)
{
    for (size_t i = t->g0; i < t->g1; i++)
        report_done(h, x, i, committed ? t->ms[i] : 0,
                    committed ? DBMIG_EV_DONE : DBMIG_EV_ROLLED_BACK, committed ? NULL : why);
    if (committed)
        t->done += t->g1 - t->g0;
    t->g0 = t->g1;
}

static int tx_commit(dbmig *h, const dm_run *x, tx *t)
{
    if (!t->open)
        return DBMIG_OK;
    t->open = 0;
    if (h->drv->commit(h->drv_self, h->conn) != DBMIG_DRV_OK) {
        int rc = dm_db_error(h, "commit failed; the migrations of this group are not applied");
        h->drv->rollback(h->drv_self, h->conn); /* in case the transaction is still open */
        tx_settle(h, x, t, 0, "its group's commit failed");
        return rc;
    }
    tx_settle(h, x, t, 1, NULL);
    return DBMIG_OK;
}

static void tx_rollback(dbmig *h, const dm_run *x, tx *t, const char *why)
{
    if (t->open) {
        h->drv->rollback(h->drv_self, h->conn);
        t->open = 0;
    }
    tx_settle(h, x, t, 0, why);
}

static int use_savepoints(const dbmig *h) { return (h->caps & DBMIG_CAP_SAVEPOINTS) != 0; }

/* The savepoint statements, with the driver's verbs (driver.h,
 * dbmig_dialect_sql: NULL is standard SQL; a release "" sends nothing). */
enum { SP_SET, SP_ROLLBACK, SP_RELEASE };

static const char *sp_verb(const dbmig *h, int which)
{
    const char *v = which == SP_SET        ? DM_DRV_SQL(h->drv, savepoint)
                    : which == SP_ROLLBACK ? DM_DRV_SQL(h->drv, rollback_to_savepoint)
                                           : DM_DRV_SQL(h->drv, release_savepoint);
    if (v)
        return v;
    return which == SP_SET ? "SAVEPOINT" : which == SP_ROLLBACK ? "ROLLBACK TO SAVEPOINT"
                                                                : "RELEASE SAVEPOINT";
}

static int sp_exec(dbmig *h, int which)
{
    const char *verb = sp_verb(h, which);
    char sql[160];
    if (!*verb)
        return DBMIG_OK;
    snprintf(sql, sizeof sql, "%.120s dbmig_step", verb);
    return dm_sql_exec(h, sql, NULL);
}

/* Runs one statement through the portable-DDL layer. DBMIG_ERROR with
 * `why` filled when the database refused it. */
static int run_stmt(dm_run *x, size_t r, const dm_stmt *st, size_t k, size_t total, dm_buf *why)
{
    dbmig *h = x->h;
    dm_buf sql = {0};
    int skip = 0;
    int rc = dm_ddl_prepare(h->drv, h->drv_self, h->conn, h->caps, st->sql, st->len, &sql, &skip,
                            NULL, x->err);
    if (rc != DBMIG_OK) {
        dm_buf_free(&sql);
        note_failure(x, k, st->line, 0, NULL);
        dm_buf_printf(why, "%s:%d: %s", file_of(h, r), st->line, dm_err_msg(x->err));
        return rc;
    }
    if (!skip) {
        dm_ddlwait_enter(x->dw); /* the watcher tells who blocks it, if it waits long */
        int drc = h->drv->exec(h->drv_self, h->conn, dm_buf_str(&sql), sql.len, NULL);
        dm_ddlwait_leave(x->dw);
        if (drc != DBMIG_DRV_OK) {
            stmt_error(x, h, r, st, k, total, why);
            rc = DBMIG_ERROR;
        }
    }
    dm_buf_free(&sql);
    return rc;
}

static int retry_wait(dm_run *x, size_t i, dm_buf *why);

int dm_exec_retry_wait(dm_run *x, size_t i, uint32_t kind, dm_buf *why)
{
    x->fail.kind = kind;
    return retry_wait(x, i, why);
}

/* For batch.c (exec.h): a statement, its events, a stop. */
int dm_exec_stmt(dm_run *x, size_t r, const dm_stmt *st, size_t k, size_t total, dm_buf *why)
{
    return run_stmt(x, r, st, k, total, why);
}

void dm_exec_report_stmt(const dm_run *x, const dm_step *s, size_t k, const dm_stmt *st, int done,
                         double ms)
{
    report_stmt(x->h, x, s, k, st, done, ms);
}

int dm_exec_stopped(const dbmig *h) { return stopped(h); }

/* One round trip for a whole transactional step, where the driver takes
 * several statements in one exec (DBMIG_CAP_MULTI_STATEMENT): SAVEPOINT,
 * the statements, the version row and RELEASE go as one text. Only for
 * steps whose statements the portable-DDL layer passes through untouched
 * (an emulation must look at the catalog between statements). */
static int passthrough_all(const dbmig *h, const dm_step *s)
{
    for (size_t k = 0; k < s->stmts.n; k++)
        if (!dm_ddl_passthrough(s->stmts.v[k].sql, s->stmts.v[k].len, (int)h->drv->dialect, h->caps))
            return 0;
    return 1;
}

static int batchable(const dm_run *x, const dm_step *s)
{
    const dbmig *h = x->h;
    /* -v reports each statement and its time: one at a time then. So
     * under time-outs (x->dw): a time-out names its statement and the
     * watcher knows what waits. */
    return (h->caps & DBMIG_CAP_MULTI_STATEMENT) && use_savepoints(h) && !h->lease && !s->resume &&
           !s->streamed && !h->o.verbose && !s->verify.n && !x->dw && passthrough_all(h, s);
}

/* The byte offset inside text of the driver's last error position, or
 * (size_t)-1 when it gave none (positions count characters). */
static size_t error_byte(dbmig *h, const char *text, size_t len)
{
    const dbmig_db_error *e = h->drv->last_error(h->drv_self, h->conn);
    return e && e->position > 0 ? dm_char_to_byte(text, len, (size_t)e->position - 1) : (size_t)-1;
}

/* What ends a statement sent inside a longer text (a batch, the offline
 * script): ";\n", or "\n;\n" when its last line holds a line comment
 * (`--`, or `#` on MySQL), which would swallow a `;` on the same line: the
 * last statement of a file may end in a comment without its semicolon. */
static const char *stmt_end(const dbmig *h, const char *sql, size_t len)
{
    size_t i = len;
    while (i > 0 && sql[i - 1] != '\n')
        i--;
    for (; i < len; i++)
        if ((sql[i] == '-' && i + 1 < len && sql[i + 1] == '-') ||
            (sql[i] == '#' && h->drv->dialect == DBMIG_DIALECT_MYSQL))
            return "\n;\n";
    return ";\n";
}

static int run_tx_batch(dm_run *x, size_t i, int64_t seq, double t0, dm_buf *why)
{
    dbmig *h = x->h;
    dm_step *s = &x->steps[i];
    const dm_rev *rev = &x->g->revs[s->rev];
    size_t *off = malloc((s->stmts.n + 1) * sizeof *off);
    dm_buf b = {0};
    if (!off)
        return nomem(h);
    int oom = dm_buf_printf(&b, "%s dbmig_step;\n", sp_verb(h, SP_SET));
    for (size_t k = 0; k < s->stmts.n; k++) {
        off[k] = b.len;
        oom |= dm_buf_append(&b, s->stmts.v[k].sql, s->stmts.v[k].len) ||
               dm_buf_puts(&b, stmt_end(h, s->stmts.v[k].sql, s->stmts.v[k].len));
    }
    dm_buf row = {0};
    oom |= x->down ? dm_vt_delete_sql(h, rev->id, &row) != DBMIG_OK
                   : dm_vt_insert_sql(h, s->rev, 0, (int64_t)(dm_now_ms() - t0), seq, NULL, &row);
    off[s->stmts.n] = b.len;
    oom |= dm_buf_append(&b, dm_buf_str(&row), row.len);
    if (*sp_verb(h, SP_RELEASE)) /* a dialect without RELEASE sends nothing */
        oom |= dm_buf_printf(&b, ";\n%s dbmig_step", sp_verb(h, SP_RELEASE));
    dm_buf_free(&row);
    if (oom) {
        free(off);
        dm_buf_free(&b);
        return nomem(h);
    }
    int rc = DBMIG_OK;
    if (h->drv->exec(h->drv_self, h->conn, b.ptr, b.len, NULL) != DBMIG_DRV_OK) {
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
             * find the failing one; dm_exec_apply() reports the stop. */
        } else {
            /* No position: find the failing statement by running them one
             * at a time inside the savepoint (transactional DDL: undone). */
            dm_buf first = {0};
            if (s->stmts.n)
                stmt_error_at(x, h, s->rev, &s->stmts.v[0], 0, s->stmts.n, 0, &first);
            else
                dm_db_error(h, "recording the revision failed"), dm_buf_puts(&first, dm_err_msg(x->err));
            int found = 0;
            if (sp_exec(h, SP_ROLLBACK) == DBMIG_OK)
                for (k = 0; k < s->stmts.n && !found; k++)
                    if (h->drv->exec(h->drv_self, h->conn, s->stmts.v[k].sql,
                                     s->stmts.v[k].len, NULL) != DBMIG_DRV_OK) {
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

/* ---- verify and fixture sections (SPEC section 12) ---------------------------- */

/* Statement k of n of section `kind` of mf on h's connection, through the
 * portable-DDL layer like a migration's statement. On failure f says where
 * (line, the database's words; stmt k + 1) and why "<file>:<line>: ...". */
static int section_stmt(dbmig *h, const dm_migfile *mf, int kind, const dm_stmt *st, size_t k,
                        size_t n, dm_fail *f, dm_buf *why)
{
    dm_buf sql = {0};
    int skip = 0;
    int rc = dm_ddl_prepare(h->drv, h->drv_self, h->conn, h->caps, st->sql, st->len, &sql, &skip,
                            NULL, &h->err);
    if (rc != DBMIG_OK) {
        fail_note(f, k, st->line, 0, NULL);
        dm_buf_printf(why, "%s:%d: %s", mf->path, st->line, dm_err_msg(&h->err));
    } else if (!skip &&
               h->drv->exec(h->drv_self, h->conn, dm_buf_str(&sql), sql.len, NULL) != DBMIG_DRV_OK) {
        const dbmig_db_error *e = h->drv->last_error(h->drv_self, h->conn);
        int line = dm_error_line(st->sql, st->line, e ? e->position : 0);
        fail_note(f, k, line, 1, e);
        if (mf->not_revision)
            dm_buf_printf(why, "%s:%d: statement %zu of %zu failed: ", mf->path, line, k + 1, n);
        else if (kind == DM_VERIFY)
            dm_buf_printf(why, "%s:%d: verify failed: statement %zu of %zu of the verify section "
                               "of revision %s raised an error: ",
                          mf->path, line, k + 1, n, mf->revision);
        else
            dm_buf_printf(why, "%s:%d: statement %zu of %zu of the %s section of revision %s "
                               "failed: ",
                          mf->path, line, k + 1, n, dm_section_kind_name(kind), mf->revision);
        dm_db_error_format(why, e);
        rc = DBMIG_ERROR;
    }
    dm_buf_free(&sql);
    return rc;
}

static int section_run(dbmig *h, const dm_migfile *mf, int kind, const dm_stmt_list *l,
                       dm_fail *f, dm_buf *why)
{
    for (size_t k = 0; k < l->n; k++) {
        int rc = section_stmt(h, mf, kind, &l->v[k], k, l->n, f, why);
        if (rc != DBMIG_OK)
            return rc;
    }
    return DBMIG_OK;
}

int dm_exec_section(dbmig *h, const dm_migfile *mf, int kind)
{
    if (!h->drv || !h->conn)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "%s: the %s section cannot run: not connected",
                          mf->path, dm_section_kind_name(kind));
    dm_stmt_list l = {0};
    dm_fail f = {0};
    dm_buf why = {0};
    int rc = dm_migfile_statements(mf, kind, h->drv->name, (int)h->drv->dialect, &l, NULL,
                                   &h->err);
    if (rc == DBMIG_OK)
        rc = section_run(h, mf, kind, &l, &f, &why);
    if (rc != DBMIG_OK && why.len) {
        dm_err_set(&h->err, rc, "%s", dm_buf_str(&why));
        fail_err_db(&h->err, &f);
        dm_errloc_set(h, mf->not_revision ? NULL : mf->revision, mf->path, f.line, f.stmt, f.code);
    }
    dm_stmt_list_free(&l);
    dm_buf_free(&why);
    return rc;
}

/* --verify: step s's verify statements, after its own. A failure is the
 * step's: x->fail names the verify statement (stmt 0: none of the step's
 * own statements; its line), why says that verify failed. */
static int run_verify(dm_run *x, const dm_step *s, dm_buf *why)
{
    dbmig *h = x->h;
    if (!s->verify.n)
        return DBMIG_OK;
    const dm_migfile *f = &x->g->revs[s->rev].file;
    int rc = section_run(h, f, DM_VERIFY, &s->verify, &x->fail, why);
    if (rc != DBMIG_OK) {
        x->fail.stmt = 0;
        x->fail.verify = 1;
        return rc;
    }
    if (h->o.verbose) {
        char t[200];
        snprintf(t, sizeof t, "verified %s: %zu verify statement(s) passed", f->revision,
                 s->verify.n);
        dm_emit_level(h, DBMIG_EV_NOTICE, DBMIG_LOG_DEBUG, f->revision, t, NULL);
    }
    return DBMIG_OK;
}

/* ---- lock time-outs (SPEC section 14, ddlwait.h) ------------------------------ */

/* A lock time-out of step i is retried after ms: the RETRY event, with
 * why's first line (the database's words) as its text. */
static void report_retry(dm_run *x, size_t i, int attempt, int attempts, int ms,
                         const char *blocker, const dm_buf *why)
{
    dbmig *h = x->h;
    if (!h->o.on_event)
        return;
    const dm_step *s = &x->steps[i];
    const dm_migfile *f = &x->g->revs[s->rev].file;
    const char *w = dm_buf_str(why);
    char text[600];
    snprintf(text, sizeof text, "%.*s", (int)strcspn(w, "\n"), w);
    dbmig_event ev = {0};
    ev.kind = DBMIG_EV_RETRY;
    ev.level = DBMIG_LOG_WARN;
    ev.downgrade = x->down;
    ev.index = i + 1;
    ev.total = x->n;
    ev.revision = f->revision;
    ev.message = f->message;
    ev.ms = ms;
    ev.text = text;
    ev.stmt = x->fail.stmt;
    ev.nstmts = s->nstmts;
    ev.file = f->path;
    ev.line = x->fail.line;
    ev.code = x->fail.code[0] ? x->fail.code : NULL;
    ev.transactional = s->transactional;
    ev.attempt = attempt;
    ev.attempts = attempts;
    ev.blocker = blocker;
    h->o.on_event(h->o.event_payload, &ev);
}

/* Step i failed, x->fail saying how. A lock time-out (--ddl-lock-timeout)
 * with retries left is reported (RETRY), waited for with backoff and full
 * jitter, and gives 1: run it again (why is emptied). 0: it fails as
 * before; when the retries ran out, why says so with the last blocker.
 * DBMIG_EINTERRUPTED: a stop came during the wait. */
static int retry_wait(dm_run *x, size_t i, dm_buf *why)
{
    dbmig *h = x->h;
    dm_retry *r = dm_ddlwait_retry(x->dw);
    if (!r || !dm_ddlwait_retryable(h, x->fail.kind))
        return 0;
    char seen[DM_BLOCKER_CAP];
    dm_ddlwait_blocker(x->dw, seen, sizeof seen);
    if (seen[0])
        snprintf(r->blocker, sizeof r->blocker, "%s", seen);
    int retries = dm_ddlwait_retries(h);
    if (r->attempt >= retries) {
        dm_buf_printf(why, "\ngave up after %d retr%s (--ddl-retries %d) of this lock time-out "
                           "(--ddl-lock-timeout %d ms); the last blocker: %s",
                      r->attempt, r->attempt == 1 ? "y" : "ies", retries,
                      h->o.ddl_lock_timeout_ms,
                      r->blocker[0] ? r->blocker
                                    : "not known (the database does not name it, or the wait "
                                      "ended before it was looked up)");
        return 0;
    }
    int ms = dm_ddlwait_backoff_ms(x->dw, r->attempt++);
    report_retry(x, i, r->attempt, retries + 1, ms, seen[0] ? seen : NULL, why);
    dm_buf_reset(why);
    return dm_ddlwait_nap(h, ms) ? DBMIG_EINTERRUPTED : 1;
}

/* Running a step's statements, one at a time. Outside a transaction it
 * also keeps the SHA-256 of the statements so far (progress_hash's value,
 * computed incrementally) and records progress after each. */
typedef struct exec_ctx {
    dm_run *x;
    dm_step *s;
    dm_buf *why;
    int notx;            /* the dirty protocol: record progress */
    dm_sha256 md;        /* notx: hash of statements 0..k */
    size_t failed_at;    /* the statement that failed, (size_t)-1 if none */
    size_t stopped_at;   /* dbmig_interrupt: the statement not run, (size_t)-1 if none */
} exec_ctx;

/* A CREATE INDEX CONCURRENTLY that failed (PostgreSQL) has left an
 * INVALID index behind: run again it fails on it ("already exists"), or
 * skips it with IF NOT EXISTS. Its lock time-out is not retried: the
 * failure stands as any other, the row dirty, with the driver's hint to
 * drop the index. 1 when st is one. */
static int concurrent_build(dm_run *x, const dm_stmt *st, dm_buf *why)
{
    dm_ddl d;
    dm_ddl_classify(st->sql, st->len, (int)x->h->drv->dialect, &d);
    if (d.kind != DM_DDL_CREATE_INDEX || !d.concurrently ||
        !(x->h->caps & DBMIG_CAP_CONCURRENT_INDEX) || x->fail.kind != DBMIG_DB_ERR_LOCK_TIMEOUT)
        return 0;
    x->fail.kind = DBMIG_DB_ERR_GENERIC;
    dm_buf_puts(why, "\na concurrent index build is not retried after a lock time-out: its "
                     "failed run leaves an INVALID index behind");
    return 1;
}

/* Statement k of c's step. Outside a transaction a lock time-out retries
 * it alone (the statements before it are committed and recorded). */
static int run_stmt_retrying(exec_ctx *c, size_t k, const dm_stmt *st)
{
    dm_run *x = c->x;
    for (;;) {
        x->fail.kind = DBMIG_DB_ERR_GENERIC; /* set again by this attempt's failure */
        if (run_stmt(x, c->s->rev, st, k, c->s->nstmts, c->why) == DBMIG_OK)
            return DBMIG_OK;
        if (!c->notx || stopped(x->h) || concurrent_build(x, st, c->why))
            return DBMIG_ERROR;
        int again = retry_wait(x, (size_t)(c->s - x->steps), c->why);
        if (again != 1)
            return again == DBMIG_EINTERRUPTED ? again : DBMIG_ERROR;
    }
}

static int exec_one(void *payload, size_t k, const dm_stmt *st)
{
    exec_ctx *c = payload;
    dm_run *x = c->x;
    dbmig *h = x->h;
    const char *id = x->g->revs[c->s->rev].id;
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
    int ran = run_stmt_retrying(c, k, st);
    if (ran == DBMIG_EINTERRUPTED) { /* stopped while waiting to retry it: not run */
        c->stopped_at = k;
        x->fail.stmt = k + 1;
        x->fail.line = st->line;
        dm_buf_reset(c->why);
        return ran;
    }
    if (ran != DBMIG_OK) {
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
        int rc = dm_vt_progress(h, id, k + 1, hash);
        if (rc != DBMIG_OK)
            return rc;
    }
    return 0;
}

/* Runs a step's statements; when the failure is not a statement's own (a
 * streamed file that changed, a version-table write), `why` gets err. */
static int exec_all(dm_run *x, dm_step *s, int notx, dm_buf *why, size_t *failed_at)
{
    exec_ctx c = {.x = x, .s = s, .why = why, .notx = notx, .failed_at = (size_t)-1,
                  .stopped_at = (size_t)-1};
    *failed_at = (size_t)-1;
    dm_sha256_init(&c.md);
    int rc = dm_step_each(x, s, exec_one, &c);
    if (rc == DBMIG_EINTERRUPTED) {
        *failed_at = c.stopped_at; /* statements before it ran */
        return rc;
    }
    if (rc != DBMIG_OK && why->len == 0)
        dm_buf_puts(why, dm_err_msg(x->err));
    *failed_at = c.failed_at;
    return rc;
}

/* Runs one transactional step inside the open transaction. On a failure the
 * message goes to `why`. */
static int run_tx_step(dm_run *x, size_t i, int64_t seq, double t0, dm_buf *why)
{
    dbmig *h = x->h;
    dm_step *s = &x->steps[i];
    size_t failed_at = (size_t)-1;
    int rc = exec_all(x, s, 0, why, &failed_at);
    if (rc != DBMIG_OK)
        return rc == DBMIG_EINTERRUPTED ? rc : DBMIG_ERROR;
    if (run_verify(x, s, why) != DBMIG_OK)
        return DBMIG_ERROR; /* rolled back to the step's savepoint with the rest */
    if (x->down)
        return dm_vt_delete(h, x->g->revs[s->rev].id);
    return dm_vt_insert(h, s->rev, 0, (int64_t)(dm_now_ms() - t0), seq, NULL);
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
 * escape exactly that); not under time-outs (x->dw: a lock time-out retries
 * its statement alone, ddlwait.h). */
static int rides(const dm_run *x, const dm_step *s)
{
    const dbmig *h = x->h;
    return (h->caps & DBMIG_CAP_MULTI_STATEMENT) && !(h->caps & DBMIG_CAP_TRANSACTIONAL_DDL) &&
           !h->lease && !x->down && !s->resume && !s->streamed && !s->batch && s->stmts.n > 0 &&
           !h->o.verbose && !s->verify.n && !x->dw && passthrough_all(h, s);
}

/* One step's riding state. */
typedef struct ride {
    dm_run *x;
    dm_step *s;
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
    dm_vt_progress_set(set, k + 1, hash);
    r->duration = (int64_t)(dm_now_ms() - r->t0);
    r->want = k + 1 == n ? -1 : (int64_t)(k + 1);
    if (k + 1 == n)
        return r->row ? dm_vt_finish_sql(h, r->s->rev, r->duration, b)
                      : dm_vt_insert_sql(h, r->s->rev, 0, r->duration, r->seq, NULL, b) ? nomem(h) : DBMIG_OK;
    if (!r->row && (dm_vt_insert_sql(h, r->s->rev, 1, 0, r->seq, NULL, b) || dm_buf_puts(b, ";\n")))
        return nomem(h);
    return dm_vt_update_sql(h, r->id, set, b);
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
        const char *begin = DM_DRV_SQL(h->drv, begin_transaction);
        oom = oom || dm_buf_puts(&r->b, begin ? begin : "START TRANSACTION") || dm_buf_puts(&r->b, ";\n");
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
    dm_run *x = r->x;
    dbmig *h = x->h;
    /* Kept: the queries below replace the driver's last error. */
    const dbmig_db_error *le = h->drv->last_error(h->drv_self, h->conn);
    dbmig_db_error e;
    if (le)
        e = *le;
    else
        memset(&e, 0, sizeof e);
    size_t pos = error_byte(h, r->b.ptr, r->b.len);
    int landed = pos != (size_t)-1 ? pos >= r->head : r->want == -2 ? 1 : dm_vt_landed(h, r->id, r->want);
    /* A deadlock (SQLSTATE 40001) rolls the whole transaction back, the
     * record with the statement that failed. */
    if (r->txn && landed == 0 && strstr(e.code, "40001"))
        landed = 1;
    if (r->txn)
        h->drv->rollback(h->drv_self, h->conn); /* a lost connection rolls it back too */
    if (landed == 1) {
        int in_stmt = pos != (size_t)-1 ? (int)dm_byte_to_char(r->b.ptr + r->head, pos - r->head) + 1 : 0;
        e.position = 0;
        stmt_error_e(x, h, r->s->rev, st, k, r->s->stmts.n, in_stmt, &e, why);
        /* A first row change failed: nothing is committed; the dirty row
         * says so, as after any failure outside a transaction. */
        if (r->row || !r->txn || dm_sql_exec(h, r->owed.ptr, NULL) == DBMIG_OK) {
            *failed_at = k;
            return DBMIG_ERROR;
        }
        dm_buf_printf(why, "\nand writing its dirty row failed: %s", dm_err_msg(x->err));
        return DBMIG_ERROR;
    }
    dm_buf m = {0};
    dm_db_error_format(&m, &e);
    dm_err_set(x->err, DBMIG_ERROR, "cannot record %s of revision %s in %s: %s",
               r->row ? "the progress" : "the start", r->id, h->table, dm_buf_str(&m));
    dm_buf_free(&m);
    if (r->row || landed < 0)
        dm_buf_puts(why, dm_err_msg(x->err));
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
            (void)dm_vt_update(h, r->id, set); /* the row is settled either way */
        return DBMIG_OK;
    }
    if (r->txn || k + 1 == n)
        return DBMIG_OK; /* nothing owed: recorded, or row_finish follows */
    char hash[DM_CHECKSUM_LEN + 1], set[200];
    dm_sha256_v1(&r->md, hash);
    dm_vt_progress_set(set, k + 1, hash);
    return dm_vt_update_sql(h, r->id, set, &r->owed);
}

/* Runs s's statements with the writes riding along (see rides()). On a
 * statement's failure *failed_at = k and why holds its error; on a write's
 * failure *failed_at stays (size_t)-1 and why says what is recorded.
 * *settled = 1 when the final row went with the last statement. */
static int exec_ride(dm_run *x, dm_step *s, int64_t seq, double t0, dm_buf *why, size_t *failed_at,
                     int *settled)
{
    dbmig *h = x->h;
    ride r = {.x = x, .s = s, .id = x->g->revs[s->rev].id, .seq = seq, .t0 = t0};
    dm_sha256_init(&r.md);
    *failed_at = (size_t)-1;
    *settled = 0;
    int rc = dm_vt_insert_sql(h, s->rev, 1, 0, seq, NULL, &r.owed) ? nomem(h) : DBMIG_OK;
    for (size_t k = 0; k < s->stmts.n && rc == DBMIG_OK; k++) {
        const dm_stmt *st = &s->stmts.v[k];
        if (k > 0 && stopped(h)) { /* the owed write first: progress is exact */
            rc = r.owed.len ? dm_sql_exec(h, dm_buf_str(&r.owed), NULL) : DBMIG_OK;
            if (rc == DBMIG_OK) {
                rc = DBMIG_EINTERRUPTED;
                *failed_at = k;
                x->fail.stmt = k + 1; /* the statement not run */
                x->fail.line = st->line;
            } else {
                dm_buf_puts(why, dm_err_msg(x->err));
            }
            break;
        }
        if ((rc = ride_text(&r, k, st)) != DBMIG_OK)
            break;
        double ts = h->o.on_event ? dm_now_ms() : 0;
        report_stmt(h, x, s, k, st, 0, 0);
        if (h->drv->exec(h->drv_self, h->conn, r.b.ptr, r.b.len, NULL) != DBMIG_DRV_OK) {
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

/* Why a step outside a transaction stopped before statement k + 1 (a stop
 * between statements, or a cancelled statement k + 1): its row is dirty. */
static void notx_stopped(const dm_run *x, const char *id, size_t k, dm_buf *why)
{
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
}

/* What a failed step outside a transaction leaves: statements 1..k ran (k
 * (size_t)-1: the failure was not a statement's), the row is dirty. */
static void notx_failed(const dm_run *x, const char *id, size_t k, dm_buf *why)
{
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
}

/* A lock time-out (--ddl-lock-timeout) that was given up on at the first
 * statement of an upgrade step outside a transaction: nothing of the step
 * ran, so its dirty row is removed and a plain run applies it later (no
 * --resume needed for a wait that was never a fault of the migration).
 * 1 when removed. */
static int notx_forget(dm_run *x, const dm_step *s, const char *id, size_t k)
{
    if (k != 0 || x->down || s->resume || !dm_ddlwait_retryable(x->h, x->fail.kind))
        return 0;
    return dm_vt_delete(x->h, id) == DBMIG_OK;
}

/* --verify failed after a step outside a transaction: every statement of
 * it is committed (progress n), and no verify can undo them, so the row
 * stays dirty, as after a failed statement: the state is not the one the
 * file promises. `--resume --verify` runs none of its statements again
 * (progress n) and only the verify section. */
static void notx_verify_failed(const dm_run *x, const char *id, size_t n, dm_buf *why)
{
    (void)x;
    dm_buf_printf(why,
                  "\nrevision %s runs outside a transaction, so its %zu statement(s) are "
                  "committed; as its verify section failed, it is marked dirty (progress %zu). "
                  "Fix the cause, then run `dbmig upgrade --resume --verify` to run only its "
                  "verify section again, or settle it by hand with `dbmig repair --applied %s` "
                  "or `dbmig repair --reverted %s`",
                  id, n, n, id, id);
}

/* Runs one step outside any transaction with the dirty protocol. A stop
 * (dbmig_interrupt) between two of its statements returns
 * DBMIG_EINTERRUPTED with *stopped_at = the statement not run: the row
 * stays dirty with the progress of the statements before it, and `why`
 * says how to go on. */
static int run_notx_step(dm_run *x, size_t i, int64_t seq, double t0, dm_buf *why, size_t *stopped_at)
{
    dbmig *h = x->h;
    dm_step *s = &x->steps[i];
    const char *id = x->g->revs[s->rev].id;
    int rc;
    int ride = rides(x, s);
    *stopped_at = (size_t)-1;
    if (x->down)
        rc = dm_vt_mark_dirty(h, id);
    else if (s->resume || ride)
        rc = DBMIG_OK; /* riding: the row goes with statement 1 */
    else
        rc = dm_vt_insert(h, s->rev, 1, 0, seq, NULL);
    if (rc != DBMIG_OK)
        return rc;
    size_t k = (size_t)-1;
    int settled = 0; /* the final row rode with the last statement */
    int told = 0;    /* batch.c said what is left (SPEC 14) */
    if (ride && (rc = exec_ride(x, s, seq, t0, why, &k, &settled)) != DBMIG_OK && k == (size_t)-1 &&
        !why->len)
        return rc; /* the dirty row was not written: nothing ran */
    if (s->batch)
        rc = dm_batch_exec(x, s, why, &k, &told);
    else if (!ride)
        rc = exec_all(x, s, 1, why, &k);
    if (rc == DBMIG_EINTERRUPTED) {
        *stopped_at = k;
        if (!told)
            notx_stopped(x, id, k, why);
        return rc;
    }
    if (rc != DBMIG_OK) {
        if (!told && notx_forget(x, s, id, k)) /* told: batch.c said what is left */
            dm_buf_printf(why, "\nnothing of %s was applied: none of its statements was "
                               "committed, so its dirty row was removed; run the command again "
                               "once the lock is free",
                          id);
        else if (!told)
            notx_failed(x, id, k, why);
        return DBMIG_ERROR;
    }
    if (run_verify(x, s, why) != DBMIG_OK) {
        notx_verify_failed(x, id, s->nstmts, why);
        return DBMIG_ERROR;
    }
    if (x->down)
        return dm_vt_delete(h, id);
    return settled ? DBMIG_OK : dm_vt_finish(h, s->rev, (int64_t)(dm_now_ms() - t0));
}

/* The message of a stopped run: where it stopped, what is committed, what
 * was rolled back (names), and how to go on. */
static int stop_error(dm_run *x, size_t i, size_t committed, size_t rb0, size_t rb1,
                      size_t stopped_at, const dm_buf *why)
{
    dbmig *h = x->h;
    dm_buf m = {0};
    const char *verb = x->down ? "reverted" : "applied";
    if (i < x->n && x->batch_stop && stopped_at != (size_t)-1) /* why says where */
        dm_buf_printf(&m, "interrupted: stopped inside statement %zu of %zu of revision %s, "
                          "between two of its batches",
                      stopped_at + 1, x->steps[i].nstmts, x->g->revs[x->steps[i].rev].id);
    else if (i < x->n && x->cancelled && stopped_at != (size_t)-1)
        dm_buf_printf(&m, "interrupted: statement %zu of %zu of revision %s was cancelled",
                      stopped_at + 1, x->steps[i].nstmts, x->g->revs[x->steps[i].rev].id);
    else if (i < x->n && x->cancelled)
        dm_buf_printf(&m, "interrupted: the statements of revision %s were cancelled",
                      x->g->revs[x->steps[i].rev].id);
    else if (i < x->n && stopped_at != (size_t)-1)
        dm_buf_printf(&m, "interrupted: stopped before statement %zu of %zu of revision %s",
                      stopped_at + 1, x->steps[i].nstmts, x->g->revs[x->steps[i].rev].id);
    else if (i < x->n && stopped_at == (size_t)-1)
        dm_buf_printf(&m, "interrupted: stopped before revision %s",
                      x->g->revs[x->steps[i].rev].id);
    else
        dm_buf_puts(&m, "interrupted");
    dm_buf_printf(&m, "; %zu revision(s) of this run %s committed (%s)", committed,
                  committed == 1 ? "is" : "are", verb);
    if (rb1 > rb0) {
        dm_buf_printf(&m, "; rolled back, so not %s:", verb);
        for (size_t k = rb0; k < rb1; k++)
            dm_buf_printf(&m, " %s", x->g->revs[x->steps[k].rev].id);
    }
    if (why->len)
        dm_buf_printf(&m, "\n%s", dm_buf_str(why));
    else
        dm_buf_printf(&m, "\nthe lock is released; run the same command again to go on");
    int rc = dm_buf_str(&m)[0] ? dm_err_set(x->err, DBMIG_EINTERRUPTED, "%s", dm_buf_str(&m))
                               : nomem(h);
    dm_buf_free(&m);
    return rc;
}

/* Begins the group's transaction when none is open. */
static int tx_open(dbmig *h, tx *t, size_t i, double t0)
{
    if (t->open)
        return DBMIG_OK;
    if (h->drv->begin(h->drv_self, h->conn) != DBMIG_DRV_OK)
        return dm_db_error(h, "cannot begin a transaction");
    t->open = 1;
    t->since = t0;
    t->g0 = t->g1 = i;
    return DBMIG_OK;
}

/* After step i of a group failed: undo it alone (rollback to its savepoint)
 * and commit 1..i-1 of the group, or roll the whole group back. t->broken:
 * the steps before it were not committed as they should have been. */
static void tx_fail(dm_run *x, tx *t, int sp)
{
    dbmig *h = x->h;
    if (h->o.single_transaction || !sp) {
        tx_rollback(h, x, t,
                    x->fail.kind == DBMIG_DB_ERR_LOCK_TIMEOUT && h->o.single_transaction
                        ? "a lock time-out rolled back the whole run (--single-transaction)"
                        : "the run failed");
        return;
    }
    if (sp_exec(h, SP_ROLLBACK) != DBMIG_OK || tx_commit(h, x, t) != DBMIG_OK) {
        t->broken = 1;
        tx_rollback(h, x, t, "the run failed");
    }
}

/* Whether the group commits after step i: at the commit interval, at the
 * end of the run or of the transactional steps. Without savepoints a
 * failure could only roll back the whole group: every migration commits
 * alone then. */
static int tx_due(const dm_run *x, const tx *t, size_t i, int sp)
{
    const dbmig *h = x->h;
    return !h->o.single_transaction &&
           (h->o.commit_interval_ms == 0 || !sp || dm_now_ms() - t->since >= h->o.commit_interval_ms ||
            i + 1 == x->n || !x->steps[i + 1].transactional);
}

/* Runs transactional step i inside the group's transaction, in its own
 * savepoint. A failed group commit sets *all_reported (each step of the
 * group is reported ROLLED_BACK). */
static int run_in_group(dm_run *x, tx *t, size_t i, int64_t seq, double t0, dm_buf *why,
                        size_t *stopped_at, int *all_reported)
{
    dbmig *h = x->h;
    int rc = tx_open(h, t, i, t0);
    if (rc != DBMIG_OK) { /* SQLite's BEGIN IMMEDIATE may time out on a lock: retried */
        fail_note(&x->fail, (size_t)-1, 0, 1, h->drv->last_error(h->drv_self, h->conn));
        dm_buf_puts(why, dm_err_msg(x->err));
        return rc;
    }
    int sp = use_savepoints(h);
    int batch = batchable(x, &x->steps[i]);
    if (sp && !batch && (rc = sp_exec(h, SP_SET)) != DBMIG_OK)
        return rc;
    rc = batch ? run_tx_batch(x, i, seq, t0, why) : run_tx_step(x, i, seq, t0, why);
    if (rc == DBMIG_ERROR && stopped(h)) { /* cancelled (dbmig_cancel) */
        rc = DBMIG_EINTERRUPTED;
        x->cancelled = 1;
        x->fail.stmt = 0;
        dm_buf_reset(why);
    }
    if (rc == DBMIG_EINTERRUPTED) {
        *stopped_at = x->fail.stmt ? x->fail.stmt - 1 : (size_t)-1;
        return rc;
    }
    if (rc != DBMIG_OK) {
        tx_fail(x, t, sp);
        return rc;
    }
    if (sp && !batch && (rc = sp_exec(h, SP_RELEASE)) != DBMIG_OK)
        return rc;
    t->ms[i] = dm_now_ms() - t0;
    t->g1 = i + 1; /* reported DONE at the commit */
    if (tx_due(x, t, i, sp) && (rc = tx_commit(h, x, t)) != DBMIG_OK)
        *all_reported = 1;
    return rc;
}

/* A stopped run: roll back the open group (the stopped step's own work
 * with it), report what was rolled back and what is left dirty, and say
 * so in err. */
static int settle_stop(dm_run *x, tx *t, size_t i, size_t stopped_at, const dm_buf *why)
{
    dbmig *h = x->h;
    size_t rb0 = t->g0, rb1 = t->g1;
    if (i < x->n && x->steps[i].transactional && t->open)
        rb1 = i + 1;
    if (t->open) {
        h->drv->rollback(h->drv_self, h->conn);
        t->open = 0;
    }
    for (size_t k = rb0; k < rb1; k++)
        report_done(h, x, k, 0, DBMIG_EV_ROLLED_BACK, "interrupted: its group was rolled back");
    if (i < x->n && !x->steps[i].transactional && stopped_at != (size_t)-1)
        report_done(h, x, i, 0, DBMIG_EV_FAILED,
                    x->batch_stop ? (x->cancelled ? "its running batch was cancelled and rolled "
                                                    "back: left dirty with the batches before it "
                                                    "recorded"
                                                  : "stopped between two batches of its -- "
                                                    "dbmig:batch statement: left dirty with its "
                                                    "progress recorded")
                    : x->cancelled ? "its running statement was cancelled outside a "
                                     "transaction: left dirty with its progress recorded"
                                   : "stopped between two statements outside a transaction: "
                                     "left dirty with its progress recorded");
    return stop_error(x, i, t->done, rb0, rb1, stopped_at, why);
}

/* Step i failed: report it, and when a statement failed say what is
 * applied now (err, and its place for dbmig_last_error). */
static void report_failure(dm_run *x, size_t i, dm_buf *why)
{
    dbmig *h = x->h;
    /* Outside a transaction a failure leaves the row dirty, unless nothing
     * of the step ran (its row was never written, or removed again): the
     * FAILED event says so (JSON: failed.dirty). */
    const char *id0 = x->g->revs[x->steps[i].rev].id;
    int dirty = !x->steps[i].transactional && dm_vt_landed(h, id0, 0) == 1;
    report_done(h, x, i, 0, DBMIG_EV_FAILED,
                dirty ? "left dirty with its progress recorded (see `dbmig status`)" : NULL);
    if (!why->len)
        return;
    const char *id = x->g->revs[x->steps[i].rev].id;
    if (x->fail.kind == DBMIG_DB_ERR_STATEMENT_TIMEOUT && h->o.statement_timeout_ms > 0)
        dm_buf_printf(why, "\nthe statement ran longer than --statement-timeout allows (%d ms): "
                           "give it more, or make the statement faster (a long data change can "
                           "run in batches, -- dbmig:batch)",
                      h->o.statement_timeout_ms);
    if (x->steps[i].transactional) {
        if (h->o.single_transaction)
            dm_buf_printf(why, "\n--single-transaction: the whole run was rolled back; "
                               "nothing was %s",
                          x->down ? "reverted" : "applied");
        else
            dm_buf_printf(why, "\nnothing of %s was %s (its transaction was rolled "
                               "back); %zu earlier revision(s) of this run %s committed",
                          id, x->down ? "reverted" : "applied", i, i == 1 ? "is" : "are");
        dm_buf_puts(why, x->fail.verify ? "\nfix the migration or its verify section and run "
                                          "the command again"
                         : x->fail.kind == DBMIG_DB_ERR_LOCK_TIMEOUT
                             ? "\nrun the command again once the lock is free (or give "
                               "--ddl-lock-timeout or --ddl-retries more)"
                             : "\nfix the statement and run the command again");
    }
    dm_err_set(x->err, DBMIG_ERROR, "%s", dm_buf_str(why));
    fail_err_db(x->err, &x->fail);
    const dm_migfile *f = &x->g->revs[x->steps[i].rev].file;
    dm_errloc_set(h, f->revision, f->path, x->fail.line, x->fail.stmt, x->fail.code);
}

/* Runs step i (its START is reported). A transactional step that hit a
 * lock time-out (--ddl-lock-timeout) was rolled back to its savepoint with
 * the steps before it in its group committed (tx_fail): it runs again in a
 * fresh transaction after the backoff (retry_wait). Under
 * --single-transaction the whole run was rolled back: *restart asks the
 * caller to run it again from the start. A step outside a transaction
 * retries its failed statement alone (exec_one). */
static int run_step(dm_run *x, tx *t, size_t i, int64_t seq, double t0, dm_buf *why,
                    size_t *stopped_at, int *all_reported, int *restart)
{
    dbmig *h = x->h;
    int rc;
    if (!x->steps[i].transactional) {
        if ((rc = tx_commit(h, x, t)) != DBMIG_OK)
            return rc;
        t->g0 = t->g1 = i + 1;
        rc = run_notx_step(x, i, seq, t0, why, stopped_at);
        if (rc == DBMIG_OK) {
            report_done(h, x, i, dm_now_ms() - t0, DBMIG_EV_DONE, NULL);
            t->done++;
        }
        return rc;
    }
    for (;;) {
        x->fail.kind = DBMIG_DB_ERR_GENERIC; /* set again by this attempt's failure */
        rc = run_in_group(x, t, i, seq, t0, why, stopped_at, all_reported);
        if (rc != DBMIG_ERROR || *all_reported || t->broken || t->open)
            return rc;
        int again = retry_wait(x, i, why);
        if (again == DBMIG_EINTERRUPTED) { /* rolled back, not started again */
            report_done(h, x, i, 0, DBMIG_EV_ROLLED_BACK,
                        "stopped while waiting to retry it after a lock time-out");
            return again;
        }
        if (again != 1)
            return rc;
        if (h->o.single_transaction) {
            *restart = 1;
            return DBMIG_OK;
        }
    }
}

int dm_exec_apply(dm_run *x)
{
    dbmig *h = x->h;
    tx t = {0};
    int64_t seq = x->st.max_seq;
    int rc = DBMIG_OK, all_reported = 0;
    dm_buf why = {0};
    size_t i;
    size_t stopped_at = (size_t)-1; /* a stop inside step i: the statement not run */
    t.ms = calloc(x->n ? x->n : 1, sizeof *t.ms);
    if (!t.ms)
        return nomem(h);
    dm_ddlwait_watch(x->dw); /* run.c set the time-outs (--ddl-lock-timeout & co.) */
    atomic_store(&h->running, h->conn); /* dbmig_cancel may cancel from now */

    for (i = 0; i < x->n && rc == DBMIG_OK; i++) {
        dm_step *s = &x->steps[i];
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
        if (x->dw && !h->o.single_transaction) /* the retries are counted per step */
            memset(dm_ddlwait_retry(x->dw), 0, sizeof(dm_retry));
        int restart = 0;
        rc = run_step(x, &t, i, seq, t0, &why, &stopped_at, &all_reported, &restart);
        if (restart) { /* --single-transaction: all rolled back, all again */
            i = (size_t)-1;
            seq = x->st.max_seq;
            t.done = 0;
            continue;
        }
        if (rc != DBMIG_OK)
            break;
    }
    if (all_reported)
        i = x->n; /* each step of the group is reported ROLLED_BACK */
    if (rc == DBMIG_OK) {
        rc = tx_commit(h, x, &t);
    } else if (rc == DBMIG_EINTERRUPTED) {
        rc = settle_stop(x, &t, i, stopped_at, &why);
        i = x->n; /* every started step is reported */
    } else {
        tx_rollback(h, x, &t, "the run failed");
    }
    if (rc != DBMIG_OK && i < x->n)
        report_failure(x, i, &why);
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

/* Whether the n bytes of needle occur in the len bytes of text. */
static int text_has(const char *text, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n && i + n <= len; i++)
        if (memcmp(text + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Appends one statement of the script with what ends it. The mysql and
 * mariadb clients cut their input at every `;` they take for the end of a
 * statement, so a trigger or procedure body (`BEGIN ... ; ... END`) would
 * reach the server in pieces: as mysqldump does, such a statement goes
 * between `DELIMITER X` and `DELIMITER ;`, X a delimiter the statement does
 * not hold. Any `;` counts, even in a string or comment: the client's idea
 * of a string is not the server's (NO_BACKSLASH_ESCAPES, `--` without a
 * space), and a needless DELIMITER is harmless. X goes on a line of its own,
 * after any line comment that ends the statement. psql and sqlite3 need
 * nothing of the kind: they know dollar quotes and trigger bodies. */
static void script_stmt(const dbmig *h, dm_buf *b, const char *sql, size_t len)
{
    if (h->drv->dialect != DBMIG_DIALECT_MYSQL || !memchr(sql, ';', len)) {
        dm_buf_append(b, sql, len);
        dm_buf_puts(b, stmt_end(h, sql, len));
        return;
    }
    char delim[32] = "//";
    for (unsigned n = 1; text_has(sql, len, delim); n++) /* ends: sql is finite */
        snprintf(delim, sizeof delim, n == 1 ? "$$" : "//%u", n);
    dm_buf_printf(b, "DELIMITER %s\n", delim);
    dm_buf_append(b, sql, len);
    dm_buf_printf(b, "\n%s\nDELIMITER ;\n", delim);
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
    int rc = dm_ddl_prepare(c->h->drv, c->h->drv_self, NULL, c->h->caps, st->sql, st->len,
                            c->sql, &skip, &note, &c->h->err);
    if (note.len) {
        dm_buf_puts(c->b, "-- dbmig: ");
        script_text(c->b, note.ptr);
        dm_buf_puts(c->b, "\n");
    }
    script_stmt(c->h, c->b, dm_buf_str(c->sql), c->sql->len);
    dm_buf_reset(c->sql);
    dm_buf_free(&note);
    if (rc == DBMIG_OK && c->b->len > 65536)
        rc = out_write(c->h, c->b);
    return rc;
}

/* The script's head: what it is, and the version table's DDL. */
static int script_head(const dm_run *x, const char *ts, dm_buf *b)
{
    dbmig *h = x->h;
    dm_buf_printf(b, "-- dbmig %s script for driver %s, %zu revision(s), generated %s UTC\n",
                  x->down ? "downgrade" : "upgrade", h->drv->name, x->n, ts);
    int rc = dm_vtable_ddl(h, b);
    dm_buf_puts(b, ";\n");
    return rc == DBMIG_OK ? dm_ddlwait_script(h, b) : rc; /* --ddl-lock-timeout & co. */
}

/* One step of the script: a comment naming it, its statements (inside
 * BEGIN/COMMIT when transactional) and its version-table write, built by
 * vtable.c as a live run's is. */
static int script_step(dm_run *x, size_t i, const char *ts, dm_buf *b, dm_buf *sql)
{
    dbmig *h = x->h;
    dm_step *s = &x->steps[i];
    const dm_migfile *f = &x->g->revs[s->rev].file;
    dm_buf_printf(b, "\n-- %s %s: ", x->down ? "revert" : "apply", f->revision);
    script_text(b, f->message);
    dm_buf_puts(b, " (");
    script_text(b, f->path);
    dm_buf_printf(b, ")%s\n", s->transactional ? "" : " -- outside a transaction");
    if (s->transactional)
        dm_buf_puts(b, "BEGIN;\n");
    offline_ctx oc = {h, b, sql};
    int rc = dm_step_each(x, s, offline_one, &oc);
    if (rc != DBMIG_OK)
        return rc;
    if (x->down) {
        rc = dm_vt_delete_sql(h, f->revision, b);
    } else {
        /* the message as the comment above shows it: no raw control
         * characters in a script that may be printed to a terminal */
        dm_buf msg = {0};
        script_text(&msg, f->message);
        dm_vt_row row = {.rev = s->rev, .message = dm_buf_str(&msg), .applied_at = ts,
                         .seq = DM_VT_SEQ_NEXT};
        rc = dm_vt_row_insert_sql(h, &row, b) ? nomem(h) : DBMIG_OK;
        dm_buf_free(&msg);
    }
    if (rc != DBMIG_OK)
        return rc;
    dm_buf_puts(b, ";\n");
    if (s->transactional)
        dm_buf_puts(b, "COMMIT;\n");
    return out_write(h, b);
}

int dm_exec_offline(dbmig *h, const char *target, int down)
{
    int rc = dm_need_graph(h);
    if (rc == DBMIG_OK)
        rc = dm_need_driver(h);
    if (rc != DBMIG_OK)
        return rc;
    dm_run x;
    dm_run_init(&x, h, down);
    rc = dm_plan_offline(&x, target);
    dm_buf b = {0}, sql = {0};
    char ts[32];
    dm_utc_now(ts);
    if (rc == DBMIG_OK)
        rc = script_head(&x, ts, &b);
    for (size_t i = 0; rc == DBMIG_OK && i < x.n; i++)
        rc = script_step(&x, i, ts, &b, &sql);
    if (rc == DBMIG_OK && b.len)
        rc = out_write(h, &b);
    dm_buf_free(&b);
    dm_buf_free(&sql);
    dm_run_free(&x);
    return rc;
}

/* ---- a dry run ------------------------------------------------------------------ */

/* --verify: the statements that would verify step i, listed, never run. */
static void dry_verify(dbmig *h, const dm_run *x, size_t i)
{
    const dm_step *s = &x->steps[i];
    const dm_migfile *f = &x->g->revs[s->rev].file;
    for (size_t k = 0; x->verify && k < s->verify.n; k++) {
        const dm_stmt *st = &s->verify.v[k];
        dm_buf sql = {0}, t = {0};
        script_text(&sql, st->sql); /* one line, no control characters */
        dm_buf_printf(&t, "dry run: would then verify %s with %s:%d: %.300s%s", f->revision,
                      f->path, st->line, dm_buf_str(&sql), sql.len > 300 ? "..." : "");
        dm_emit(h, DBMIG_EV_NOTICE, f->revision, dm_buf_str(&t), NULL);
        dm_buf_free(&sql);
        dm_buf_free(&t);
    }
}

int dm_exec_dry_report(dm_run *x)
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
        const dm_migfile *f = &x->g->revs[x->steps[i].rev].file;
        char t[512];
        snprintf(t, sizeof t, "dry run: would %s %s %s (%zu statement(s)%s)",
                 x->down ? "revert" : "apply", f->revision, f->message ? f->message : "",
                 x->steps[i].nstmts, x->steps[i].transactional ? "" : ", outside a transaction");
        dm_emit(h, DBMIG_EV_NOTICE, f->revision, t, NULL);
        report_plan(h, x, i);
        dry_verify(h, x, i);
    }
    return DBMIG_OK;
}

