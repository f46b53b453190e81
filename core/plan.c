/* plan.c — the planner: targets → ordered steps (SPEC sections 3, 4, 7).
 *
 * Every decision about what a run does is taken here, before anything
 * runs: which revisions a target names (dm_plan_upgrade, _downgrade,
 * _stamp: flags, then one filtered sweep of g->order), what refuses a run
 * (dm_plan_validate), and the steps: every statement parsed up front (a
 * malformed file stops the run before anything is applied), each step's
 * transaction mode, dirty revisions resumed first from their progress,
 * and with --verify each step's verify statements, parsed up front too.
 * Running the steps is exec.c's; the commands that tie both together are
 * run.c's.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "ddl.h"
#include "engine.h"
#include "plan.h"
#include "sha256.h"

static int nomem(dbmig *h) { return dm_err_nomem(&h->err); }

static const char *file_of(const dbmig *h, size_t r) { return h->graph.revs[r].file.path; }

static int pl_is_applied(const dm_applied *a, size_t i) { return a && a->is && a->is[i]; }

static const char *pl_id(const dm_graph *g, size_t i) { return g->revs[i].id; }

/* ---- revisions a target names --------------------------------------------- */

void dm_plan_free(dm_plan *p)
{
    if (!p)
        return;
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* Every flagged revision whose applied state is `applied`, in g->order (or
 * reversed). */
static int pl_collect(const dm_graph *g, const unsigned char *m, const dm_applied *a, int applied,
                      int reverse, dm_plan *out, dm_err *err)
{
    size_t cnt = 0;
    for (size_t i = 0; i < g->n; i++)
        cnt += m[i] && pl_is_applied(a, i) == applied;
    out->n = 0;
    out->v = NULL;
    if (!cnt)
        return DBMIG_OK;
    out->v = malloc(cnt * sizeof *out->v);
    if (!out->v)
        return dm_err_nomem(err);
    for (size_t k = 0; k < g->n; k++) {
        size_t v = g->order[reverse ? g->n - 1 - k : k];
        if (m[v] && pl_is_applied(a, v) == applied)
            out->v[out->n++] = v;
    }
    return DBMIG_OK;
}

int dm_plan_upgrade(const dm_graph *g, const dm_applied *a, const char *target, dm_plan *out,
                    dm_err *err)
{
    out->v = NULL;
    out->n = 0;
    dm_target tg;
    int rc = dm_graph_parse_target(g, target, DM_TARGET_UPGRADE, &tg, err);
    if (rc != DBMIG_OK || tg.kind == DM_TG_BASE)
        return rc;
    unsigned char *m = calloc(g->n ? g->n : 1, 1);
    if (!m)
        return dm_err_nomem(err);
    if (tg.kind == DM_TG_HEADS)
        for (size_t k = 0; k < g->nheads; k++)
            m[g->heads[k]] = 1;
    else if (tg.rev != DM_NONE)
        m[tg.rev] = 1;
    dm_graph_ancestors(g, m);
    rc = pl_collect(g, m, a, 0, 0, out, err);
    if (rc == DBMIG_OK && tg.kind == DM_TG_NEXT) {
        if (out->n < tg.count) {
            rc = dm_err_set(err, DBMIG_EUSAGE,
                            "cannot upgrade %s: only %zu revision%s pending towards head", target,
                            out->n, out->n == 1 ? " is" : "s are");
            dm_plan_free(out);
        } else {
            out->n = tg.count;
        }
    }
    free(m);
    return rc;
}

/* A downgrade target that is not applied: the user meant something else. */
static int pl_not_applied(const dm_graph *g, const dm_applied *a, const char *target, size_t t,
                          dm_err *err)
{
    size_t *heads = malloc((g->n ? g->n : 1) * sizeof *heads);
    if (!heads)
        return dm_err_nomem(err);
    size_t nh = dm_graph_applied_heads(g, a, heads);
    if (strcmp(target, pl_id(g, t)) == 0)
        dm_err_set(err, DBMIG_EUSAGE, "cannot downgrade to %s (%s): it is not applied, so "
                                      "nothing can be reverted down to it; ",
                   target, dm_graph_rev_name(g, t));
    else
        dm_err_set(err, DBMIG_EUSAGE, "cannot downgrade to '%s' (%s, %s): it is not applied, so "
                                      "nothing can be reverted down to it; ",
                   target, pl_id(g, t), dm_graph_rev_name(g, t));
    if (nh) {
        dm_buf_printf(&err->msg, "the applied head%s ", nh == 1 ? " is" : "s are");
        dm_graph_list_revs(&err->msg, g, heads, nh, 0);
        dm_buf_puts(&err->msg, ". Name an applied revision, -N or base (`dbmig status` shows "
                               "what is applied)");
    } else {
        dm_buf_puts(&err->msg, "nothing is applied");
    }
    free(heads);
    return DBMIG_EUSAGE;
}

int dm_plan_downgrade(const dm_graph *g, const dm_applied *a, const char *target, dm_plan *out,
                      dm_err *err)
{
    out->v = NULL;
    out->n = 0;
    dm_target tg;
    int rc = dm_graph_parse_target(g, target, DM_TARGET_DOWNGRADE, &tg, err);
    if (rc != DBMIG_OK)
        return rc;
    if (tg.kind == DM_TG_HEADS) {
        /* Down to every head: nothing descends from a head; each must be
         * applied, like any other downgrade target. */
        for (size_t k = 0; k < g->nheads; k++)
            if (!pl_is_applied(a, g->heads[k]))
                return pl_not_applied(g, a, target, g->heads[k], err);
        return DBMIG_OK;
    }
    if (tg.kind == DM_TG_REV && tg.rev == DM_NONE)
        return DBMIG_OK; /* `head` of an empty graph */
    if (tg.kind == DM_TG_REV && !pl_is_applied(a, tg.rev))
        return pl_not_applied(g, a, target, tg.rev, err);
    unsigned char *m = calloc(g->n ? g->n : 1, 1);
    if (!m)
        return dm_err_nomem(err);
    if (tg.kind == DM_TG_BASE) {
        memset(m, 1, g->n);
    } else if (tg.kind == DM_TG_LAST) {
        size_t nseq = a ? a->nseq : 0;
        if (tg.count > nseq)
            rc = dm_err_set(err, DBMIG_EUSAGE,
                            "cannot downgrade %s: only %zu revision%s applied; use `base` to "
                            "revert everything",
                            target, nseq, nseq == 1 ? " is" : "s are");
        else {
            for (size_t k = nseq - tg.count; k < nseq; k++)
                if (a->by_seq[k] < g->n)
                    m[a->by_seq[k]] = 1;
            dm_graph_descendants(g, m);
        }
    } else {
        m[tg.rev] = 1;
        dm_graph_descendants(g, m);
        m[tg.rev] = 0;
    }
    if (rc == DBMIG_OK)
        rc = pl_collect(g, m, a, 1, 1, out, err);
    free(m);
    return rc;
}

int dm_plan_stamp(const dm_graph *g, const dm_applied *a, const char *target, unsigned char *out,
                  dm_err *err)
{
    dm_target tg;
    int rc = dm_graph_parse_target(g, target, DM_TARGET_STAMP, &tg, err);
    if (rc != DBMIG_OK)
        return rc;
    if (tg.kind == DM_TG_BASE || tg.kind == DM_TG_HEADS) {
        memset(out, tg.kind == DM_TG_HEADS, g->n);
        return DBMIG_OK;
    }
    if (tg.kind == DM_TG_NEXT || tg.kind == DM_TG_LAST) {
        /* The state `upgrade +N` or `downgrade -N` would leave. */
        dm_plan p;
        rc = tg.kind == DM_TG_NEXT ? dm_plan_upgrade(g, a, target, &p, err)
                                : dm_plan_downgrade(g, a, target, &p, err);
        if (rc != DBMIG_OK)
            return rc;
        for (size_t i = 0; i < g->n; i++)
            out[i] = (unsigned char)pl_is_applied(a, i);
        for (size_t k = 0; k < p.n; k++)
            out[p.v[k]] = tg.kind == DM_TG_NEXT;
        dm_plan_free(&p);
        return DBMIG_OK;
    }
    size_t t = tg.rev;
    for (size_t i = 0; i < g->n; i++)
        out[i] = (unsigned char)pl_is_applied(a, i);
    if (t == DM_NONE)
        return DBMIG_OK;
    unsigned char *m = calloc(g->n ? g->n : 1, 1);
    if (!m)
        return dm_err_nomem(err);
    m[t] = 1;
    dm_graph_descendants(g, m);
    for (size_t i = 0; i < g->n; i++)
        if (m[i])
            out[i] = 0;
    memset(m, 0, g->n);
    m[t] = 1;
    dm_graph_ancestors(g, m);
    for (size_t i = 0; i < g->n; i++)
        if (m[i])
            out[i] = 1;
    free(m);
    return DBMIG_OK;
}

/* ---- a run's steps -------------------------------------------------------- */

void dm_run_init(dm_run *x, dbmig *h, int down)
{
    memset(x, 0, sizeof *x);
    x->h = h;
    x->g = &h->graph;
    x->err = &h->err;
    x->down = down;
}

void dm_run_free(dm_run *x)
{
    for (size_t i = 0; i < x->n; i++) {
        dm_stmt_list_free(&x->steps[i].stmts);
        dm_stmt_list_free(&x->steps[i].verify);
    }
    free(x->steps);
    dm_applied_free(&x->a);
    dm_vstate_free(&x->st);
}

static const char *drv_name(const dbmig *h) { return h->drv ? h->drv->name : NULL; }
static int dialect(const dbmig *h) { return h->drv ? (int)h->drv->dialect : DBMIG_DIALECT_GENERIC; }

typedef struct stream_adapter {
    dm_stmt_fn fn;
    void *payload;
    size_t k;
} stream_adapter;

static int stream_cb(void *payload, const dm_stmt *st)
{
    stream_adapter *a = payload;
    return a->fn(a->payload, a->k++, st);
}

int dm_step_each(dm_run *x, const dm_step *s, dm_stmt_fn fn, void *payload)
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
    return dm_migfile_stream(&x->g->revs[s->rev].file, x->down ? DM_DOWN : DM_UP, drv_name(h),
                             dialect(h), stream_cb, &a, &found, x->err);
}

/* What deciding a step's transaction needs to know of its statements. */
typedef struct survey {
    dbmig *h;
    size_t n;
    int all_dml;
    int autocommit_line; /* a statement that cannot run in a transaction, 0 if none */
    int batch_line;      /* a -- dbmig:batch statement (SPEC 14), 0 if none */
    int batch;           /* its marker (st->batch: 1 + index in f->batches) */
} survey;

static int survey_one(void *payload, size_t k, const dm_stmt *st)
{
    (void)k;
    survey *v = payload;
    v->n++;
    if (st->batch && !v->batch_line) {
        v->batch_line = st->line;
        v->batch = st->batch;
    }
    if (!v->autocommit_line && dm_ddl_needs_autocommit(st->sql, st->len, dialect(v->h), v->h->caps))
        v->autocommit_line = st->line;
    if (v->all_dml && !dm_ddl_is_dml(st->sql, st->len, dialect(v->h)))
        v->all_dml = 0;
    return 0;
}

/* Whether a step runs inside a transaction: the file allows it, and either
 * the driver rolls DDL back or the step is made only of DML; never when a
 * statement cannot run in a transaction (CREATE INDEX CONCURRENTLY). */
static void decide_transaction(dbmig *h, dm_step *s, const dm_migfile *f, const survey *v)
{
    s->transactional = 0;
    s->why_notx[0] = '\0';
    s->batch = v->batch_line != 0;
    if (s->batch) { /* batch.c: each batch commits alone (SPEC 14) */
        snprintf(s->why_notx, sizeof s->why_notx,
                 "runs outside a group commit: the statement at %s:%d is marked -- dbmig:batch "
                 "(line %d), whose batches commit one by one",
                 f->filename, v->batch_line, f->batches[v->batch - 1].line);
        return;
    }
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

/* --verify: the step's verify statements (SPEC section 12), parsed with
 * the others so that a malformed one stops the run before anything runs.
 * They run inside the step's transaction when it has one, so they count in
 * its decision: a DDL verify statement on MySQL would commit the step's
 * DML half-way, so it takes the step out of the transaction (the dirty
 * protocol) rather than break it. */
static int plan_verify(dm_run *x, dm_step *s, const dm_migfile *f, survey *v)
{
    dbmig *h = x->h;
    if (!x->verify)
        return DBMIG_OK;
    int rc = dm_migfile_statements(f, DM_VERIFY, drv_name(h), dialect(h), &s->verify, NULL, x->err);
    size_t n = v->n;
    for (size_t k = 0; rc == DBMIG_OK && k < s->verify.n; k++) {
        const dm_stmt *st = &s->verify.v[k];
        if (dm_ddl_is_schema_change(st->sql, st->len, dialect(h)) ||
            dm_ddl_is_row_change(st->sql, st->len, dialect(h)))
            return dm_err_set(x->err, DBMIG_EINVALID,
                              "%s:%d: a verify section only checks, but this statement changes "
                              "the database (it would be applied with the revision); move it to "
                              "the up section, or write it as a query that fails when the check "
                              "does not hold",
                              f->path, st->line);
        survey_one(v, k, st);
    }
    v->n = n; /* the step's own statements only */
    return rc;
}

/* Parses the statements of every step (a streamed file: one pass that only
 * splits), so that a malformed file stops the run before anything is
 * applied; a down step without a down section makes the plan irreversible. */
int dm_plan_steps(dm_run *x, const dm_plan *p)
{
    dbmig *h = x->h;
    x->steps = calloc(p->n ? p->n : 1, sizeof *x->steps);
    if (!x->steps)
        return nomem(h);
    for (size_t i = 0; i < p->n; i++) {
        dm_step *s = &x->steps[x->n++];
        s->rev = p->v[i];
        const dm_migfile *f = &x->g->revs[s->rev].file;
        int found = 0, rc;
        survey v = {h, 0, 1, 0, 0, 0};
        if (f->streamed) {
            stream_adapter a = {survey_one, &v, 0};
            s->streamed = 1;
            rc = dm_migfile_stream(f, x->down ? DM_DOWN : DM_UP, drv_name(h), dialect(h), stream_cb,
                                   &a, &found, x->err);
        } else {
            rc = dm_migfile_statements(f, x->down ? DM_DOWN : DM_UP, drv_name(h), dialect(h),
                                       &s->stmts, &found, x->err);
            if (rc == DBMIG_OK)
                rc = dm_step_each(x, s, survey_one, &v);
        }
        if (rc == DBMIG_OK)
            rc = plan_verify(x, s, f, &v);
        if (rc != DBMIG_OK)
            return rc;
        s->nstmts = v.n;
        if (x->down && !found && f->irreversible)
            return dm_err_set(x->err, DBMIG_EINVALID,
                              "cannot downgrade: revision %s (%s) is marked -- dbmig:irreversible; "
                              "nothing was reverted. Downgrade to %s or a later revision",
                              f->revision, f->path, f->revision);
        if (x->down && !found)
            return dm_err_set(x->err, DBMIG_EINVALID,
                              "cannot downgrade: revision %s (%s) has no down section%s%s, so it "
                              "is irreversible; nothing was reverted. Add a `-- dbmig:down` "
                              "section to it, or downgrade to %s or a later revision",
                              f->revision, f->path, drv_name(h) ? " for driver " : "",
                              drv_name(h) ? drv_name(h) : "", f->revision);
        decide_transaction(h, s, f, &v);
    }
    return DBMIG_OK;
}

/* The unapplied ancestors of applied revisions, one problem each, into
 * msg (validation without --allow-missing). */
static int list_missing(dm_run *x, int upgrade, dm_buf *msg, size_t *problems)
{
    unsigned char *miss = calloc(x->g->n ? x->g->n : 1, 1);
    if (!miss)
        return DBMIG_ERROR;
    if (dm_graph_missing(x->g, &x->a, miss)) {
        for (size_t k = 0; k < x->g->n; k++) {
            size_t r = x->g->order[k];
            if (!miss[r])
                continue;
            (*problems)++;
            dm_buf_printf(msg,
                          "\n  revision %s (%s) is not applied, but revisions that descend "
                          "from it are (a file merged late?). Run `dbmig upgrade "
                          "--allow-missing` to apply it in graph order%s",
                          x->g->revs[r].id, file_of(x->h, r),
                          upgrade ? "" : " first, or `dbmig downgrade --allow-missing "
                                         "TARGET` to revert the applied ones all the same");
        }
    }
    free(miss);
    return DBMIG_OK;
}

/* A dirty row left inside a batch statement (progress_hash "b1:...",
 * batch.h): a plain upgrade resumes it (SPEC 14: batch statements are
 * idempotent by construction), saying so. */
static int pl_in_batch(const dm_vrow *r)
{
    char h32[33];
    int64_t lo, nb, rows;
    return r->dirty && r->rev != DM_NONE &&
           dm_batch_progress_parse(r->progress_hash, h32, &lo, &nb, &rows);
}

static void pl_auto_resume_notice(dbmig *h, const dm_vrow *r)
{
    char h32[33], t[400];
    int64_t lo, nb, rows;
    dm_batch_progress_parse(r->progress_hash, h32, &lo, &nb, &rows);
    snprintf(t, sizeof t,
             "revision %s is dirty inside its batch statement %lld (%lld batch(es), %lld row(s) "
             "committed): resuming it from the next batch, as `upgrade --resume` would (a "
             "batch statement is idempotent by construction)",
             r->revision, (long long)r->progress + 1, (long long)nb, (long long)rows);
    dm_emit(h, DBMIG_EV_NOTICE, r->revision, t, NULL);
}

/* Validation before a run (SPEC section 4): checksums, dirty rows, missing
 * ancestors. All problems are listed, each with its fix. */
int dm_plan_validate(dm_run *x, int upgrade, unsigned flags)
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
            dm_emit_level(h, DBMIG_EV_NOTICE, DBMIG_LOG_WARN, r->revision, t, NULL);
            continue;
        }
        const dm_migfile *f = &x->g->revs[r->rev].file;
        if (r->dirty) {
            if (upgrade && (flags & DBMIG_RESUME))
                continue;
            if (upgrade && pl_in_batch(r)) {
                pl_auto_resume_notice(h, r);
                continue;
            }
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
    if (!(flags & DBMIG_ALLOW_MISSING) && list_missing(x, upgrade, &msg, &problems) != DBMIG_OK) {
        dm_buf_free(&msg);
        return nomem(h);
    }
    int rc = DBMIG_OK;
    if (problems)
        rc = dm_err_set(x->err, DBMIG_EINVALID, "refusing to %s: %zu problem(s) found; nothing was run:%s",
                        upgrade ? "upgrade" : "downgrade", problems, dm_buf_str(&msg));
    dm_buf_free(&msg);
    return rc;
}

/* -N counts the most recently applied rows, files or not: reverting "the
 * one before" a revision whose file is gone would act on the wrong thing
 * (issue 13). Exit 3 naming it, with the fixes. */
int dm_plan_check_last_rows(dm_run *x, const char *target, const char *verb)
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
        return dm_err_set(x->err, DBMIG_EINVALID,
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

/* Turns dirty rows into resume steps placed before the plan. */
int dm_plan_add_resume(dm_run *x, dm_plan *p)
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

static int progress_hash(dm_run *x, const dm_step *s, size_t n, char out[DM_CHECKSUM_LEN + 1])
{
    hash_ctx c = {.n = n};
    dm_sha256_init(&c.md);
    int rc = dm_step_each(x, s, hash_one, &c);
    if (rc == 1)
        rc = DBMIG_OK;
    dm_sha256_v1(&c.md, out);
    return rc;
}

/* Statement k's batch marker (1-based index), 0 if none. */
typedef struct batch_at {
    size_t k;
    int batch;
} batch_at;

static int batch_at_one(void *payload, size_t k, const dm_stmt *st)
{
    batch_at *b = payload;
    if (k < b->k)
        return 0;
    b->batch = st->batch;
    return 1;
}

/* A row dirty inside batch statement `done` (b1 progress): that statement
 * must still be a batch one, and the statements before it unchanged. */
static int resume_in_batch(dm_run *x, dm_step *s, const dm_vrow *row, size_t done)
{
    dbmig *h = x->h;
    char h32[33], hash[DM_CHECKSUM_LEN + 1];
    int64_t lo, nb, rows;
    dm_batch_progress_parse(row->progress_hash, h32, &lo, &nb, &rows);
    batch_at b = {done, 0};
    int rc = done < s->nstmts ? dm_step_each(x, s, batch_at_one, &b) : DBMIG_OK;
    if (rc != DBMIG_OK && rc != 1)
        return rc;
    if (!b.batch)
        return dm_err_set(x->err, DBMIG_EINVALID,
                          "cannot resume %s: the version table says it stopped inside the "
                          "-- dbmig:batch statement %zu, but statement %zu of %s is no longer "
                          "marked -- dbmig:batch; restore the marker, or settle the revision with "
                          "`dbmig repair --applied %s` or `--reverted %s`",
                          row->revision, done + 1, done + 1, file_of(h, s->rev), row->revision,
                          row->revision);
    if ((rc = progress_hash(x, s, done, hash)) != DBMIG_OK)
        return rc;
    if (strncmp(hash + 3, h32, 32) != 0)
        return dm_err_set(x->err, DBMIG_EINVALID,
                          "cannot resume %s: its first %zu statement(s), already committed, were "
                          "changed in %s since they ran; restore them, or settle the revision "
                          "with `dbmig repair --applied %s` or `--reverted %s`",
                          row->revision, done, file_of(h, s->rev), row->revision, row->revision);
    s->in_batch = 1;
    s->batch_lo = lo;
    s->batch_done = nb;
    s->batch_rows = rows;
    s->start = done;
    return DBMIG_OK;
}

int dm_plan_check_resume(dm_run *x)
{
    dbmig *h = x->h;
    for (size_t i = 0; i < x->n; i++) {
        dm_step *s = &x->steps[i];
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
            return dm_err_set(x->err, DBMIG_EINVALID,
                              "cannot resume %s: the version table says %zu statements were "
                              "committed but %s now has %zu; settle it with `dbmig repair "
                              "--applied %s` or `--reverted %s`",
                              row->revision, done, file_of(h, s->rev), s->nstmts, row->revision,
                              row->revision);
        if (pl_in_batch(row)) {
            int rc = resume_in_batch(x, s, row, done);
            if (rc != DBMIG_OK)
                return rc;
            continue;
        }
        if (done > 0) {
            char hash[DM_CHECKSUM_LEN + 1];
            int rc = progress_hash(x, s, done, hash);
            if (rc != DBMIG_OK)
                return rc;
            if (!row->progress_hash || strcmp(hash, row->progress_hash) != 0)
                return dm_err_set(x->err, DBMIG_EINVALID,
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

/* --allow-missing: the missing ancestors of applied revisions join the plan
 * in graph order. */
static int add_missing(dm_run *x, dm_plan *p)
{
    dbmig *h = x->h;
    unsigned char *mark = calloc(x->g->n ? x->g->n : 1, 1);
    size_t *v = mark ? malloc((x->g->n ? x->g->n : 1) * sizeof *v) : NULL;
    if (!mark || !v) {
        free(mark);
        free(v);
        return nomem(h);
    }
    dm_graph_missing(x->g, &x->a, mark);
    for (size_t i = 0; i < p->n; i++)
        mark[p->v[i]] = 1;
    size_t n = 0;
    for (size_t k = 0; k < x->g->n; k++)
        if (mark[x->g->order[k]])
            v[n++] = x->g->order[k];
    free(p->v);
    p->v = v;
    p->n = n;
    free(mark);
    return DBMIG_OK;
}

/* ---- --phase pre (SPEC section 14) ------------------------------------------- */

static int pl_post(const dm_graph *g, size_t i) { return g->revs[i].file.post; }

/* For every revision, an unapplied post revision it needs (along parents
 * and depends, transitively), else DM_NONE: one sweep of g->order, the
 * nearest one named. */
static size_t *pl_post_needs(const dm_graph *g, const dm_applied *a)
{
    size_t *need = malloc((g->n ? g->n : 1) * sizeof *need);
    if (!need)
        return NULL;
    for (size_t k = 0; k < g->n; k++) {
        size_t v = g->order[k];
        const dm_rev *r = &g->revs[v];
        need[v] = DM_NONE;
        for (size_t e = 0; e < r->nparents + r->ndepends && need[v] == DM_NONE; e++) {
            size_t u = e < r->nparents ? r->parents[e] : r->depends[e - r->nparents];
            need[v] = pl_post(g, u) && !pl_is_applied(a, u) ? u : need[u];
        }
    }
    return need;
}

/* The refusal: pre revision r of the plan needs unapplied post revision u;
 * `more` other pre revisions of the plan are in the same case. */
static int pl_phase_refuse(dm_run *x, size_t r, size_t u, size_t more)
{
    const dm_graph *g = x->g;
    dm_err_set(x->err, DBMIG_EINVALID,
               "upgrade --phase pre cannot apply %s (%s): it needs %s (%s), a post-deployment "
               "revision (-- dbmig:phase post) that is not applied",
               pl_id(g, r), dm_graph_rev_name(g, r), pl_id(g, u), dm_graph_rev_name(g, u));
    if (more)
        dm_buf_printf(&x->err->msg, " (and %zu more pre revision%s need%s an unapplied post one)",
                      more, more == 1 ? "" : "s", more == 1 ? "s" : "");
    dm_buf_printf(&x->err->msg,
                  ". Deploy the code %s waits for and run `dbmig upgrade --phase post` first, "
                  "mark %s -- dbmig:phase post too, or make it not depend on %s",
                  pl_id(g, u), pl_id(g, r), pl_id(g, u));
    return DBMIG_EINVALID;
}

/* What the plan leaves out, as a notice. */
static void pl_phase_notice(dm_run *x, const size_t *left, size_t n)
{
    dm_buf t = {0};
    dm_buf_printf(&t, "--phase pre leaves out %zu post-deployment revision%s: ", n,
                  n == 1 ? "" : "s");
    dm_graph_list_revs(&t, x->g, left, n, 0);
    dm_buf_printf(&t, "; apply %s with `dbmig upgrade --phase post` once the new code is deployed",
                  n == 1 ? "it" : "them");
    dm_emit(x->h, DBMIG_EV_NOTICE, NULL, dm_buf_str(&t), NULL);
    dm_buf_free(&t);
}

/* --phase pre: the post revisions leave the plan (a notice names them); a
 * pre revision of the plan that needs an unapplied post one refuses the
 * run (exit 3), naming both. Other phases keep the plan as it is. */
static int pl_phase(dm_run *x, dm_plan *p, const char *target)
{
    if (x->down || x->h->o.phase != DBMIG_PHASE_PRE || p->n == 0)
        return DBMIG_OK;
    const dm_graph *g = x->g;
    size_t *need = pl_post_needs(g, &x->a);
    size_t *left = malloc(p->n * sizeof *left);
    if (!need || !left) {
        free(need);
        free(left);
        return nomem(x->h);
    }
    size_t n = 0, nleft = 0, bad = DM_NONE, nbad = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t r = p->v[i];
        if (pl_post(g, r))
            left[nleft++] = r;
        else if (need[r] == DM_NONE)
            p->v[n++] = r;
        else if (nbad++ == 0)
            bad = r;
    }
    int rc = DBMIG_OK;
    /* A target other than head, heads or LABEL@head whose closure holds a
     * post revision and no pre one needing it: the target is post itself
     * (or +N counts one), so --phase pre cannot reach it. */
    size_t tl = target ? strlen(target) : 0;
    int named = target && strcmp(target, "head") != 0 && strcmp(target, "heads") != 0 &&
                !(tl > 5 && strcmp(target + tl - 5, "@head") == 0);
    if (bad != DM_NONE)
        rc = pl_phase_refuse(x, bad, need[bad], nbad - 1);
    else if (nleft && named)
        rc = dm_err_set(x->err, DBMIG_EUSAGE,
                        "upgrade --phase pre %s: the target is (or counts) %s (%s), a "
                        "post-deployment revision (-- dbmig:phase post), which --phase pre never "
                        "applies; name a pre revision, or run `dbmig upgrade --phase post %s` "
                        "once the new code is deployed",
                        target, pl_id(g, left[nleft - 1]), dm_graph_rev_name(g, left[nleft - 1]),
                        target);
    else if (nleft)
        pl_phase_notice(x, left, nleft);
    p->n = n;
    free(need);
    free(left);
    return rc;
}

/* --single-transaction: only when every step runs inside a transaction. */
static int check_single(dm_run *x)
{
    dbmig *h = x->h;
    if (!(h->caps & DBMIG_CAP_TRANSACTIONAL_DDL))
        return dm_err_set(x->err, DBMIG_EUSAGE,
                          "--single-transaction needs transactional DDL, which driver %s does "
                          "not have; drop the option",
                          h->drv->name);
    for (size_t i = 0; i < x->n; i++)
        if (x->steps[i].batch) /* why_notx names the statement and its marker */
            return dm_err_set(x->err, DBMIG_EUSAGE,
                              "--single-transaction cannot include revision %s (%s): it %s; "
                              "drop the option or migrate up to it first",
                              x->g->revs[x->steps[i].rev].id, file_of(h, x->steps[i].rev),
                              x->steps[i].why_notx);
        else if (!x->steps[i].transactional)
            return dm_err_set(x->err, DBMIG_EUSAGE,
                              "--single-transaction cannot include revision %s (%s): it runs "
                              "outside a transaction; drop the option or migrate up to it first",
                              x->g->revs[x->steps[i].rev].id, file_of(h, x->steps[i].rev));
    return DBMIG_OK;
}

int dm_plan_run(dm_run *x, const char *target, unsigned flags)
{
    dbmig *h = x->h;
    int down = x->down;
    dm_plan p = {0};
    x->verify = !down && (flags & DBMIG_VERIFY);
    int rc = dm_plan_validate(x, !down, flags);
    if (rc == DBMIG_OK && down)
        rc = dm_plan_check_last_rows(x, target, "downgrade");
    if (rc == DBMIG_OK)
        rc = down ? dm_plan_downgrade(x->g, &x->a, target, &p, x->err)
                  : dm_plan_upgrade(x->g, &x->a, target, &p, x->err);
    if (rc == DBMIG_OK && !down && (flags & DBMIG_ALLOW_MISSING))
        rc = add_missing(x, &p);
    if (rc == DBMIG_OK)
        rc = pl_phase(x, &p, target);
    /* a row dirty inside a batch statement is resumed without --resume
     * (validation let it through only then) */
    int resume = !down && (flags & DBMIG_RESUME);
    for (size_t i = 0; !down && i < x->st.n; i++)
        resume |= pl_in_batch(&x->st.rows[i]);
    if (rc == DBMIG_OK && resume)
        rc = dm_plan_add_resume(x, &p);
    if (rc == DBMIG_OK)
        rc = dm_plan_steps(x, &p);
    if (rc == DBMIG_OK && resume)
        rc = dm_plan_check_resume(x);
    if (rc == DBMIG_OK && h->o.single_transaction)
        rc = check_single(x);
    dm_plan_free(&p);
    return rc;
}

/* The start state of an offline script: nothing applied, or everything up
 * to FROM (the applied set `stamp FROM` would leave), in graph order. */
static int offline_start(dm_run *x, const char *from)
{
    dbmig *h = x->h;
    x->a.is = calloc(x->g->n ? x->g->n : 1, 1);
    x->a.by_seq = malloc((x->g->n ? x->g->n : 1) * sizeof *x->a.by_seq);
    if (!x->a.is || !x->a.by_seq)
        return nomem(h);
    if (!from || !*from || strcmp(from, "base") == 0)
        return DBMIG_OK;
    int rc = dm_plan_stamp(x->g, &x->a, from, x->a.is, x->err);
    x->a.nseq = 0;
    for (size_t k = 0; rc == DBMIG_OK && k < x->g->n; k++)
        if (x->a.is[x->g->order[k]])
            x->a.by_seq[x->a.nseq++] = x->g->order[k];
    return rc;
}

int dm_plan_offline(dm_run *x, const char *target)
{
    dbmig *h = x->h;
    /* FROM:TO — the start state is everything up to FROM. */
    char *from = NULL;
    const char *to = target;
    const char *colon = strchr(target, ':');
    if (colon) {
        from = dm_strndup(target, (size_t)(colon - target));
        to = colon + 1;
        if (!from)
            return nomem(h);
    } else if (x->down) {
        return dm_err_set(x->err, DBMIG_EUSAGE,
                          "an offline downgrade needs its starting point: write the target as "
                          "FROM:TO, e.g. `dbmig --sql downgrade head:base`");
    }
    int rc = offline_start(x, from);
    free(from);
    dm_plan p = {0};
    if (rc == DBMIG_OK)
        rc = x->down ? dm_plan_downgrade(x->g, &x->a, to, &p, x->err)
                     : dm_plan_upgrade(x->g, &x->a, to, &p, x->err);
    if (rc == DBMIG_OK)
        rc = pl_phase(x, &p, to);
    if (rc == DBMIG_OK)
        rc = dm_plan_steps(x, &p);
    for (size_t i = 0; rc == DBMIG_OK && i < x->n; i++) /* SPEC 14: batches run online only */
        if (x->steps[i].batch)
            rc = dm_err_set(x->err, DBMIG_EUSAGE,
                            "cannot write an offline script of revision %s (%s): it has a "
                            "-- dbmig:batch statement, which runs again and again while dbmig "
                            "watches its rows and records its progress; apply it online, or "
                            "stop the script's target before it",
                            pl_id(x->g, x->steps[i].rev), file_of(h, x->steps[i].rev));
    dm_plan_free(&p);
    return rc;
}
