/* report.c — read-only views: status, the pending count, the check rule,
 * one revision's statements, the drivers found. None takes the lock or writes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "engine.h"
#include "vtable.h"

#define XDUP(dst, src)                                                                   \
    do {                                                                                 \
        if ((src) && !((dst) = dm_strdup(src)))                                          \
            goto oom;                                                                    \
    } while (0)

static void free_strs(const char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)v[i]);
    free(v);
}

void dbmig_status_free(dbmig_status *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nrevs; i++) {
        dbmig_rev_status *r = &st->revs[i];
        free((char *)r->revision);
        free((char *)r->message);
        free((char *)r->file);
        free((char *)r->applied_at);
        free((char *)r->checksum);
        free((char *)r->db_checksum);
    }
    free(st->revs);
    free_strs(st->batch, st->nrevs);
    free(st->batch_pos);
    free_strs(st->heads, st->nheads);
    free_strs(st->graph_heads, st->ngraph_heads);
    free((char *)st->driver);
    free((char *)st->url);
    free((char *)st->server_version);
    free(st);
}

static int fill_row(dbmig_rev_status *o, const dm_vrow *row)
{
    o->flags |= DBMIG_REV_APPLIED;
    if (row->dirty)
        o->flags |= DBMIG_REV_DIRTY;
    o->seq = row->seq;
    o->duration_ms = row->duration_ms;
    o->progress = row->progress;
    o->applied_at = dm_strdup(row->applied_at);
    o->db_checksum = dm_strdup(row->checksum);
    return o->applied_at && o->db_checksum ? 0 : -1;
}

/* A row dirty inside a batch statement ("b1:..." progress, batch.h): where
 * it stands, as numbers and as text, for the last revision of st. The
 * encoding's lo is 0 for the plain form; which form it is comes from the
 * file's markers (when they are of both forms, from lo). -1: out of memory. */
static int status_batch(dbmig_status *st, const dm_migfile *f, const dm_vrow *row)
{
    char h32[33];
    dbmig_batch_pos *p = &st->batch_pos[st->nrevs - 1];
    if (!dm_batch_progress_parse(row->progress_hash, h32, &p->next_lo, &p->batches, &p->rows))
        return 0;
    size_t keyset = 0;
    for (size_t i = 0; i < f->nbatches; i++)
        keyset += f->batches[i].col != NULL;
    p->keyset = keyset == f->nbatches ? 1 : keyset == 0 ? 0 : p->next_lo != 0;
    p->statement = row->progress + 1;
    char t[200], lot[48] = "";
    if (p->keyset)
        snprintf(lot, sizeof lot, "lo=%lld, ", (long long)p->next_lo);
    snprintf(t, sizeof t, "in batch statement %lld, %s%lld batch%s, %lld rows",
             (long long)p->statement, lot, (long long)p->batches, p->batches == 1 ? "" : "es",
             (long long)p->rows);
    return (st->batch[st->nrevs - 1] = dm_strdup(t)) ? 0 : -1;
}

/* One revision with a file: its flags, its row if applied, the counts. */
static int status_file_rev(dbmig_status *st, const dm_graph *g, size_t r, const dm_vrow *row,
                           int missing)
{
    const dm_migfile *f = &g->revs[r].file;
    dbmig_rev_status *o = &st->revs[st->nrevs++];
    XDUP(o->revision, f->revision);
    XDUP(o->message, f->message ? f->message : "");
    XDUP(o->file, f->filename);
    XDUP(o->checksum, f->checksum);
    if (g->revs[r].nchildren == 0)
        o->flags |= DBMIG_REV_HEAD;
    if (!f->transaction)
        o->flags |= DBMIG_REV_NOTX;
    if (f->post)
        o->flags |= DBMIG_REV_POST;
    if (f->nbatches)
        o->flags |= DBMIG_REV_BATCH;
    if (row && row->dirty && status_batch(st, f, row) != 0)
        goto oom;
    if (row) {
        if (fill_row(o, row) != 0)
            goto oom;
        st->applied++;
        if (row->dirty)
            st->dirty++;
        else if (strcmp(row->checksum, f->checksum) != 0) {
            o->flags |= DBMIG_REV_MODIFIED;
            st->modified++;
        }
    } else {
        st->pending++;
        if (missing) {
            o->flags |= DBMIG_REV_MISSING;
            st->missing++;
        }
    }
    return 0;
oom:
    return -1;
}

/* An applied row whose file is gone. */
static int status_unknown_row(dbmig_status *st, const dm_vrow *row)
{
    dbmig_rev_status *o = &st->revs[st->nrevs++];
    XDUP(o->revision, row->revision);
    XDUP(o->message, row->message);
    o->flags |= DBMIG_REV_UNKNOWN;
    if (fill_row(o, row) != 0)
        goto oom;
    st->applied++;
    st->unknown++;
    if (row->dirty)
        st->dirty++;
    return 0;
oom:
    return -1;
}

/* The applied heads, the graph's heads, and where the database is. */
static int status_heads(dbmig *h, dbmig_status *st, const dm_applied *a, size_t *heads)
{
    const dm_graph *g = &h->graph;
    size_t nh = dm_graph_applied_heads(g, a, heads);
    st->heads = calloc(nh + 1, sizeof *st->heads);
    st->graph_heads = calloc(g->nheads + 1, sizeof *st->graph_heads);
    if (!st->heads || !st->graph_heads)
        goto oom;
    for (size_t i = 0; i < nh; i++)
        XDUP(st->heads[st->nheads++], g->revs[heads[i]].id);
    for (size_t i = 0; i < g->nheads; i++)
        XDUP(st->graph_heads[st->ngraph_heads++], g->revs[g->heads[i]].id);
    XDUP(st->driver, h->drv->name);
    XDUP(st->url, h->url_redacted ? h->url_redacted : "");
    XDUP(st->server_version, h->server_version);
    return 0;
oom:
    return -1;
}

int dbmig_status_get(dbmig *h, dbmig_status **out)
{
    *out = NULL;
    dm_err_clear(&h->err);
    int rc = dm_need_graph_conn(h);
    if (rc != DBMIG_OK)
        return rc;
    dm_vstate vs;
    rc = dm_vstate_read(h, &vs, 1);
    if (rc != DBMIG_OK)
        return rc;
    const dm_graph *g = &h->graph;
    dm_applied a = {0};
    unsigned char *miss = calloc(g->n ? g->n : 1, 1);
    size_t *heads = malloc((g->n ? g->n : 1) * sizeof *heads);
    /* one pointer per revision */
    const dm_vrow **rowof = calloc(g->n ? g->n : 1, sizeof(const dm_vrow *)); // NOLINT(bugprone-sizeof-expression)
    dbmig_status *st = calloc(1, sizeof *st);
    if (!miss || !heads || !rowof || !st || dm_applied_from(g, &vs, &a) != 0)
        goto oom;
    size_t unknown = 0;
    for (size_t i = 0; i < vs.n; i++) {
        if (vs.rows[i].rev == DM_NONE)
            unknown++;
        else
            rowof[vs.rows[i].rev] = &vs.rows[i];
    }
    dm_graph_missing(g, &a, miss);
    st->revs = calloc(g->n + unknown + 1, sizeof *st->revs);
    st->batch = calloc(g->n + unknown + 1, sizeof *st->batch);
    st->batch_pos = calloc(g->n + unknown + 1, sizeof *st->batch_pos);
    if (!st->revs || !st->batch || !st->batch_pos)
        goto oom;
    for (size_t k = 0; k < g->n; k++)
        if (status_file_rev(st, g, g->order[k], rowof[g->order[k]], miss[g->order[k]]) != 0)
            goto oom;
    for (size_t i = 0; i < vs.n; i++)
        if (vs.rows[i].rev == DM_NONE && status_unknown_row(st, &vs.rows[i]) != 0)
            goto oom;
    if (status_heads(h, st, &a, heads) != 0)
        goto oom;
    *out = st;
    st = NULL;
    rc = DBMIG_OK;
    goto done;
oom:
    rc = dm_err_nomem(&h->err);
done:
    dbmig_status_free(st);
    free(miss);
    free(heads);
    free(rowof);
    dm_applied_free(&a);
    dm_vstate_free(&vs);
    return rc;
}

int dbmig_pending(dbmig *h, size_t *out)
{
    *out = 0;
    dm_err_clear(&h->err);
    int rc = dm_need_graph_conn(h);
    if (rc != DBMIG_OK)
        return rc;
    dm_vstate vs;
    rc = dm_vstate_read(h, &vs, 0);
    if (rc != DBMIG_OK)
        return rc;
    /* --phase pre (SPEC 14): a post revision is pending work only when
     * it is dirty (a run of it stopped part-way) */
    int pre = h->o.phase == DBMIG_PHASE_PRE;
    size_t applied = 0, post = 0;
    for (size_t i = 0; i < h->graph.n; i++)
        post += pre && h->graph.revs[i].file.post;
    for (size_t i = 0; i < vs.n; i++) {
        const dm_vrow *row = &vs.rows[i];
        if (row->rev == DM_NONE)
            continue;
        int is_post = pre && h->graph.revs[row->rev].file.post;
        if (!row->dirty && !is_post)
            applied++;
        else if (row->dirty && is_post)
            post--; /* dirty: counted as pending after all */
    }
    *out = h->graph.n - post - applied;
    dm_vstate_free(&vs);
    return DBMIG_OK;
}

/* ---- check ------------------------------------------------------------------ */

void dbmig_check_free(dbmig_check_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->problems && i < r->nproblems; i++)
        free((char *)r->problems[i].text);
    free(r->problems);
    dbmig_status_free(r->status);
    free(r);
}

/* The problem of one revision, if it has one: its kind and its sentence in
 * b (the CLI prints these sentences as they are; tests grep them). */
static int check_one(const dbmig_status *st, const dbmig_rev_status *r, int pre, dm_buf *b)
{
    int rc;
    int pending = !(r->flags & (DBMIG_REV_APPLIED | DBMIG_REV_MISSING | DBMIG_REV_UNKNOWN));
    if (pre && pending && (r->flags & DBMIG_REV_POST))
        return 0; /* check --phase pre: post revisions wait for the deploy (SPEC 14) */
    if (pre && pending)
        rc = dm_buf_printf(b, "%s (%s) is pending: run `dbmig upgrade --phase pre` before the new code ships",
                           r->revision, r->file) ? -1 : DBMIG_CHECK_PENDING;
    else if (r->flags & DBMIG_REV_DIRTY)
        rc = dm_buf_printf(b, "%s is dirty: settle it with `dbmig upgrade --resume` or `dbmig repair`",
                           r->revision) ? -1 : DBMIG_CHECK_DIRTY;
    else if (r->flags & DBMIG_REV_MODIFIED)
        rc = dm_buf_printf(b, "%s (%s) was edited after it was applied: restore it or run `dbmig repair --checksums`",
                           r->revision, r->file) ? -1 : DBMIG_CHECK_EDITED;
    else if (r->flags & DBMIG_REV_UNKNOWN)
        rc = dm_buf_printf(b, "%s is applied but has no file in the migrations folder", r->revision)
                 ? -1 : DBMIG_CHECK_UNKNOWN;
    else if (r->flags & DBMIG_REV_MISSING)
        rc = dm_buf_printf(b, "%s (%s) is missing: later revisions are applied, it is not; run `dbmig upgrade --allow-missing`",
                           r->revision, r->file) ? -1 : DBMIG_CHECK_MISSING;
    else if (!(r->flags & DBMIG_REV_APPLIED) && st->ngraph_heads > 1)
        rc = dm_buf_printf(b, "%s (%s) is pending: the folder has %zu heads, so `dbmig upgrade` (to head) cannot run; join them with `dbmig merge -m MSG` and then `dbmig upgrade`, or apply every head with `dbmig upgrade heads`",
                           r->revision, r->file, st->ngraph_heads) ? -1 : DBMIG_CHECK_PENDING;
    else if (!(r->flags & DBMIG_REV_APPLIED))
        rc = dm_buf_printf(b, "%s (%s) is pending: run `dbmig upgrade`", r->revision, r->file)
                 ? -1 : DBMIG_CHECK_PENDING;
    else
        rc = 0;
    return rc;
}

int dbmig_check(dbmig *h, dbmig_check_result **out)
{
    if (out)
        *out = NULL;
    dbmig_check_result *res = calloc(1, sizeof *res);
    if (!res) {
        dm_err_clear(&h->err);
        return dm_err_nomem(&h->err);
    }
    int rc = dbmig_status_get(h, &res->status);
    if (rc != DBMIG_OK || !res->status) {
        free(res);
        return rc != DBMIG_OK ? rc : DBMIG_ERROR;
    }
    const dbmig_status *st = res->status;
    dm_buf b = {0}, all = {0};
    res->problems = calloc(st->nrevs + 1, sizeof *res->problems);
    if (!res->problems)
        goto oom;
    for (size_t i = 0; i < st->nrevs; i++) {
        const dbmig_rev_status *r = &st->revs[i];
        dm_buf_reset(&b);
        int kind = check_one(st, r, h->o.phase == DBMIG_PHASE_PRE, &b);
        if (kind < 0)
            goto oom;
        if (kind == 0)
            continue;
        dbmig_check_problem *p = &res->problems[res->nproblems];
        p->kind = (dbmig_check_kind)kind;
        p->revision = r->revision;
        p->file = r->file;
        if (!(p->text = dm_strdup(dm_buf_str(&b))))
            goto oom;
        res->nproblems++;
        if (dm_buf_printf(&all, "%s%s", res->nproblems > 1 ? "; " : "", p->text))
            goto oom;
    }
    rc = DBMIG_OK;
    if (res->nproblems)
        rc = dm_err_set(&h->err, DBMIG_EINVALID, "check failed: %zu problem(s): %s", res->nproblems,
                        dm_buf_str(&all));
    dm_buf_free(&b);
    dm_buf_free(&all);
    if (out)
        *out = res;
    else
        dbmig_check_free(res);
    return rc;
oom:
    dm_buf_free(&b);
    dm_buf_free(&all);
    dbmig_check_free(res);
    return dm_err_nomem(&h->err);
}

/* ---- show ------------------------------------------------------------------- */

void dbmig_show_free(dbmig_show *s)
{
    if (!s)
        return;
    free((char *)s->revision);
    free((char *)s->message);
    free((char *)s->file);
    free((char *)s->checksum);
    free((char *)s->driver);
    free_strs(s->parents, s->nparents);
    free_strs(s->branches, s->nbranches);
    free_strs(s->depends, s->ndepends);
    for (size_t i = 0; i < s->nup; i++)
        free((char *)s->up[i].sql);
    for (size_t i = 0; i < s->ndown; i++)
        free((char *)s->down[i].sql);
    free(s->up);
    free(s->down);
    free(s);
}

static int copy_ids(const dm_graph *g, const size_t *idx, size_t n, const char ***out, size_t *nout)
{
    *out = calloc(n + 1, sizeof **out);
    if (!*out)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!((*out)[i] = dm_strdup(g->revs[idx[i]].id)))
            return -1;
        (*nout)++;
    }
    return 0;
}

static int copy_strv(const dm_strv *v, const char ***out, size_t *nout)
{
    *out = calloc(v->n + 1, sizeof **out);
    if (!*out)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        if (!((*out)[i] = dm_strdup(v->v[i])))
            return -1;
        (*nout)++;
    }
    return 0;
}

static int copy_stmts(const dm_stmt_list *l, dbmig_stmt_info **out, size_t *n)
{
    *out = calloc(l->n + 1, sizeof **out);
    if (!*out)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        if (!((*out)[i].sql = dm_strdup(l->v[i].sql)))
            return -1;
        (*out)[i].line = l->v[i].line;
        (*n)++;
    }
    return 0;
}

int dbmig_show_get(dbmig *h, const char *ref, dbmig_show **out)
{
    *out = NULL;
    dm_err_clear(&h->err);
    int rc = dm_need_graph(h);
    if (rc != DBMIG_OK)
        return rc;
    /* The driver decides which sections and lexical rules apply; without
     * --driver or --url the generic sections are shown. */
    if ((h->driver_name || h->url) && (rc = dm_need_driver(h)) != DBMIG_OK)
        return rc;
    size_t r;
    if ((rc = dm_graph_lookup(&h->graph, ref, &r, &h->err)) != DBMIG_OK)
        return rc;
    const dm_rev *rev = &h->graph.revs[r];
    const dm_migfile *f = &rev->file;
    const char *dname = h->drv ? h->drv->name : NULL;
    int dialect = h->drv ? (int)h->drv->dialect : DBMIG_DIALECT_GENERIC;
    dm_stmt_list up = {0}, down = {0};
    int found_up = 0, found_down = 0;
    dbmig_show *s = calloc(1, sizeof *s);
    if (!s)
        return dm_err_nomem(&h->err);
    rc = dm_migfile_statements(f, DM_UP, dname, dialect, &up, &found_up, &h->err);
    if (rc == DBMIG_OK)
        rc = dm_migfile_statements(f, DM_DOWN, dname, dialect, &down, &found_down, &h->err);
    if (rc == DBMIG_OK) {
        s->transaction = f->transaction;
        s->reversible = found_down;
        s->post = f->post;
        if (!(s->revision = dm_strdup(f->revision)) || !(s->message = dm_strdup(f->message ? f->message : "")) ||
            !(s->file = dm_strdup(f->path)) || !(s->checksum = dm_strdup(f->checksum)) ||
            !(s->driver = dm_strdup(dname ? dname : "")) ||
            copy_ids(&h->graph, rev->parents, rev->nparents, &s->parents, &s->nparents) ||
            copy_strv(&f->branches, &s->branches, &s->nbranches) ||
            copy_ids(&h->graph, rev->depends, rev->ndepends, &s->depends, &s->ndepends) ||
            copy_stmts(&up, &s->up, &s->nup) || copy_stmts(&down, &s->down, &s->ndown))
            rc = dm_err_nomem(&h->err);
    }
    dm_stmt_list_free(&up);
    dm_stmt_list_free(&down);
    if (rc != DBMIG_OK) {
        dbmig_show_free(s);
        return rc;
    }
    *out = s;
    return DBMIG_OK;
}

/* ---- drivers ----------------------------------------------------------------- */

static const struct {
    uint32_t bit;
    const char *name;
} cap_names[] = {
    {DBMIG_CAP_TRANSACTIONAL_DDL, "transactional-ddl"},
    {DBMIG_CAP_SAVEPOINTS, "savepoints"},
    {DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS, "create-index-if-not-exists"},
    {DBMIG_CAP_DROP_INDEX_IF_EXISTS, "drop-index-if-exists"},
    {DBMIG_CAP_DROP_INDEX_NEEDS_TABLE, "drop-index-needs-table"},
    {DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS, "add-column-if-not-exists"},
    {DBMIG_CAP_DROP_COLUMN_IF_EXISTS, "drop-column-if-exists"},
    {DBMIG_CAP_CONCURRENT_INDEX, "concurrent-index"},
    {DBMIG_CAP_BOOLEAN, "boolean"},
    {DBMIG_CAP_LOCK_REPORTS_HOLDER, "lock-reports-holder"},
};

typedef struct list_ctx {
    dbmig_driver_info *v;
    size_t n, cap;
    int oom;
} list_ctx;

static void list_one(void *payload, const char *file, const dbmig_driver *d, const char *refusal)
{
    list_ctx *c = payload;
    if (c->oom)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        dbmig_driver_info *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    dbmig_driver_info *i = &c->v[c->n++];
    memset(i, 0, sizeof *i);
    i->file = dm_strdup(file);
    if (d) {
        i->name = dm_strdup(d->name);
        i->version = dm_strdup(d->version ? d->version : "");
        i->description = dm_strdup(d->description ? d->description : "");
        i->abi_major = d->abi_major;
        i->abi_minor = d->abi_minor;
        i->caps = d->caps;
        dm_buf t = {0};
        for (size_t k = 0; k < sizeof cap_names / sizeof cap_names[0]; k++)
            if (d->caps & cap_names[k].bit)
                dm_buf_printf(&t, "%s%s", t.len ? " " : "", cap_names[k].name);
        i->caps_text = dm_buf_take(&t);
        if (!i->name || !i->version || !i->description || !i->caps_text)
            c->oom = 1;
    } else {
        /* The name from the file name: dbmig_<name>.so */
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        if (strncmp(base, "dbmig_", 6) == 0)
            base += 6;
        const char *dot = strchr(base, '.');
        i->name = dm_strndup(base, dot ? (size_t)(dot - base) : strlen(base));
        i->version = dm_strdup("");
        i->description = dm_strdup("");
        i->caps_text = dm_strdup("");
    }
    i->error = refusal ? dm_strdup(refusal) : NULL;
    if (!i->file || !i->name || (refusal && !i->error))
        c->oom = 1;
}

void dbmig_drivers_free(dbmig_driver_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)v[i].name);
        free((char *)v[i].version);
        free((char *)v[i].description);
        free((char *)v[i].file);
        free((char *)v[i].caps_text);
        free((char *)v[i].error);
    }
    free(v);
}

int dbmig_drivers_list(dbmig *h, dbmig_driver_info **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    dm_err_clear(&h->err);
    list_ctx c = {0};
    int rc = dm_plugin_foreach(h->plugin_path, list_one, &c, &h->err);
    if (rc == DBMIG_OK && c.oom)
        rc = dm_err_nomem(&h->err);
    if (rc != DBMIG_OK) {
        dbmig_drivers_free(c.v, c.n);
        return rc;
    }
    *out = c.v;
    *n = c.n;
    return DBMIG_OK;
}
