/* history.c — the graph as people read it: `history` (an ASCII drawing like
 * `git log --graph`, newest first, of a range of revisions), `heads` and
 * `branches`: the public dbmig_history_get / heads / branches, with the
 * database's marks (applied, missing, current) when asked. The writer
 * behind `revision` and `merge` is revfile.c.
 *
 * The drawing: revisions come newest first (g->order reversed, so every
 * child comes before its parents). A row of columns is kept, each column a
 * line of the drawing waiting for the revision it leads to. A revision is
 * drawn as '*' in its column (a new column at the right when nothing waits
 * for it: a head); its column is then replaced by its parents (merges open
 * extra columns to its right), and columns that lead to the same revision
 * are joined. Moves happen one column per connector row ('/' left, '\'
 * right, '|' staying), exactly as git draws them, so every line is
 * continuous. Cost: the number of revisions times the width.
 */
#define _POSIX_C_SOURCE 200809L
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- drawing ------------------------------------------------------------ */

typedef struct hs_ent {
    size_t tgt, pos, goal;
} hs_ent;

static int hs_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void hs_put(char *line, size_t at, char ch)
{
    if (line[at] == ' ' || line[at] == ch)
        line[at] = ch;
    else if (line[at] != '|')
        line[at] = 'X'; /* two lines crossing */
}

void dm_history_free(dm_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->rows[i].graph);
        free(h->rows[i].after);
    }
    free(h->rows);
    h->rows = NULL;
    h->n = 0;
}

/* Draws connector rows until every entry reached its goal column. */
static int hs_steps(hs_ent *ents, size_t ne, char **line, size_t *lcap, dm_buf *after)
{
    size_t maxpos = 0;
    for (size_t e = 0; e < ne; e++) {
        if (ents[e].pos > maxpos)
            maxpos = ents[e].pos;
        if (ents[e].goal > maxpos)
            maxpos = ents[e].goal;
    }
    if (hs_grow((void **)line, lcap, 2 * maxpos + 3, 1))
        return -1;
    char *l = *line;
    for (;;) {
        int moving = 0;
        for (size_t e = 0; e < ne && !moving; e++)
            moving = ents[e].pos != ents[e].goal;
        if (!moving)
            return 0;
        memset(l, ' ', 2 * maxpos + 2);
        for (size_t e = 0; e < ne; e++) {
            hs_ent *x = &ents[e];
            if (x->pos == x->goal) {
                hs_put(l, 2 * x->pos, '|');
            } else if (x->goal < x->pos) {
                hs_put(l, 2 * x->pos - 1, '/');
                x->pos--;
            } else {
                hs_put(l, 2 * x->pos + 1, '\\');
                x->pos++;
            }
        }
        size_t len = 2 * maxpos + 2;
        while (len > 0 && l[len - 1] == ' ')
            len--;
        if ((after->len && dm_buf_puts(after, "\n")) || dm_buf_append(after, l, len))
            return -1; // NOLINT(clang-analyzer-unix.Malloc): l is *line, the caller's to free
    }
}

/* What dm_history_draw carries from one revision to the next. */
typedef struct hs_draw {
    const dm_graph *g;
    const unsigned char *sel;
    size_t *cols, ccap, w; /* the columns: the revision each line leads to */
    hs_ent *ents;
    size_t ecap;
    char *line;
    size_t lcap;
    dm_buf row, after;     /* after: the connector rows of the last row drawn */
} hs_draw;

/* The column of v (d->w when no line leads to it: a head). Lines that lead
 * to v from columns apart join first (they may have to cross the lines
 * between). -1 on ENOMEM. */
static int hs_join(hs_draw *d, size_t v, size_t *pc)
{
    size_t w = d->w, c = w, dups = 0;
    for (size_t i = 0; i < w; i++)
        if (d->cols[i] == v) {
            if (c == w)
                c = i;
            else
                dups++;
        }
    *pc = c;
    if (hs_grow((void **)&d->ents, &d->ecap, w + d->g->revs[v].nparents + 1, sizeof *d->ents))
        return -1;
    if (!dups)
        return 0;
    hs_ent *ents = d->ents;
    size_t ne = 0, rank = 0;
    for (size_t i = 0; i < w; i++) {
        if (d->cols[i] == v && i != c)
            ents[ne++] = (hs_ent){v, i, 0}; /* goal set below */
        else
            ents[ne++] = (hs_ent){d->cols[i], i, 0};
    }
    for (size_t e = 0; e < ne; e++) {
        if (ents[e].tgt == v && ents[e].pos != c)
            continue;
        ents[e].goal = rank++;
    }
    size_t cgoal = ents[c].goal;
    for (size_t e = 0; e < ne; e++)
        if (ents[e].tgt == v)
            ents[e].goal = cgoal;
    if (hs_steps(ents, ne, &d->line, &d->lcap, &d->after))
        return -1;
    d->w = rank;
    for (size_t e = 0; e < ne; e++)
        d->cols[ents[e].goal] = ents[e].tgt;
    *pc = cgoal;
    return 0;
}

/* Below the row of r (in column c): the columns left of it, its parents,
 * the columns right of it; lines next to each other that lead to the same
 * revision join. The connector rows go to d->after. -1 on ENOMEM. */
static int hs_below(hs_draw *d, const dm_rev *r, size_t c)
{
    if (hs_grow((void **)&d->ents, &d->ecap, d->w + r->nparents, sizeof *d->ents))
        return -1;
    hs_ent *ents = d->ents;
    size_t ne = 0;
    for (size_t i = 0; i < c; i++)
        ents[ne++] = (hs_ent){d->cols[i], i, 0};
    for (size_t e = 0; e < r->nparents; e++)
        if (!d->sel || d->sel[r->parents[e]])
            ents[ne++] = (hs_ent){r->parents[e], c, 0};
    for (size_t i = c + 1; i < d->w; i++)
        ents[ne++] = (hs_ent){d->cols[i], i, 0};
    size_t runs = 0;
    for (size_t e = 0; e < ne; e++) {
        if (e == 0 || ents[e].tgt != ents[e - 1].tgt)
            runs++;
        ents[e].goal = runs - 1;
    }
    dm_buf_reset(&d->after);
    if (hs_steps(ents, ne, &d->line, &d->lcap, &d->after))
        return -1;
    d->w = runs;
    if (hs_grow((void **)&d->cols, &d->ccap, d->w + 1, sizeof *d->cols))
        return -1;
    for (size_t e = 0; e < ne; e++)
        d->cols[ents[e].goal] = ents[e].tgt;
    return 0;
}

int dm_history_draw(const dm_graph *g, const unsigned char *sel, dm_history *out, dm_err *err)
{
    memset(out, 0, sizeof *out);
    size_t nsel = 0;
    for (size_t i = 0; i < g->n; i++)
        nsel += !sel || sel[i];
    out->rows = calloc(nsel ? nsel : 1, sizeof *out->rows);
    hs_draw d;
    memset(&d, 0, sizeof d);
    d.g = g;
    d.sel = sel;
    int rc = DBMIG_OK;
    if (!out->rows)
        goto oom;
    for (size_t k = g->n; k-- > 0;) {
        size_t v = g->order[k], c;
        if (sel && !sel[v])
            continue;
        if (hs_join(&d, v, &c))
            goto oom;
        if (out->n && !(out->rows[out->n - 1].after = dm_buf_take(&d.after)))
            goto oom;
        if (c == d.w) {
            if (hs_grow((void **)&d.cols, &d.ccap, d.w + 1, sizeof *d.cols))
                goto oom;
            d.cols[d.w++] = v;
        }
        /* the revision's row */
        dm_buf_reset(&d.row);
        for (size_t i = 0; i < d.w; i++)
            if (dm_buf_puts(&d.row, i == c ? "* " : "| "))
                goto oom;
        if (hs_below(&d, &g->revs[v], c))
            goto oom;
        dm_hist_row *o = &out->rows[out->n++];
        o->rev = v;
        if (!(o->graph = dm_buf_take(&d.row)))
            goto oom;
    }
    if (out->n && !(out->rows[out->n - 1].after = dm_buf_take(&d.after)))
        goto oom;
    goto done;
oom:
    rc = dm_err_nomem(err);
    dm_history_free(out);
done:
    free(d.cols);
    free(d.ents);
    free(d.line);
    dm_buf_free(&d.row);
    dm_buf_free(&d.after);
    return rc;
}

/* ---- ranges ------------------------------------------------------------- */

/* One side of A:B into mark; *all = 1 when it sets no bound. */
static int hs_side(const dm_graph *g, const dm_applied *a, const char *ref, int lower,
                   unsigned char *mark, int *all, dm_err *err)
{
    *all = 0;
    if (!*ref || strcmp(ref, lower ? "base" : "heads") == 0) {
        *all = 1;
        return DBMIG_OK;
    }
    if (strcmp(ref, "current") == 0) {
        if (!a)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "'current' in a range needs a database: pass --url (or set "
                              "DBMIG_URL)");
        size_t *heads = malloc((g->n ? g->n : 1) * sizeof *heads);
        if (!heads)
            return dm_err_nomem(err);
        size_t nh = dm_graph_applied_heads(g, a, heads);
        for (size_t i = 0; i < nh; i++)
            mark[heads[i]] = 1;
        free(heads);
        if (!nh && lower)
            *all = 1; /* nothing applied: from the bases */
        return DBMIG_OK;
    }
    if (strcmp(ref, lower ? "heads" : "base") == 0)
        return DBMIG_OK; /* an empty side: selects nothing */
    size_t r;
    int rc = dm_graph_resolve(g, ref, &r, err);
    if (rc != DBMIG_OK)
        return rc;
    mark[r] = 1;
    return DBMIG_OK;
}

int dm_history_select(const dm_graph *g, const dm_applied *a, const char *range,
                      unsigned char *sel, dm_err *err)
{
    if (!range || !*range) {
        memset(sel, 1, g->n);
        return DBMIG_OK;
    }
    const char *colon = strchr(range, ':');
    if (!colon || strchr(colon + 1, ':'))
        return dm_err_set(err, DBMIG_EUSAGE,
                          "bad range '%s': write it as A:B (oldest:newest), e.g. 001:head, "
                          "001: or :head; each side is base/heads, an id or a prefix, "
                          "<label>@head, <id>+N, <id>-N or current",
                          range);
    char *lo = dm_strndup(range, (size_t)(colon - range));
    unsigned char *m = calloc(g->n ? g->n : 1, 1);
    if (!lo || !m) {
        free(lo);
        free(m);
        return dm_err_nomem(err);
    }
    int all_lo, all_hi;
    memset(sel, 0, g->n);
    int rc = hs_side(g, a, lo, 1, sel, &all_lo, err);
    if (rc == DBMIG_OK)
        rc = hs_side(g, a, colon + 1, 0, m, &all_hi, err);
    if (rc == DBMIG_OK) {
        if (all_lo)
            memset(sel, 1, g->n);
        else
            dm_graph_descendants(g, sel);
        if (!all_hi) {
            dm_graph_ancestors(g, m);
            for (size_t i = 0; i < g->n; i++)
                sel[i] = sel[i] && m[i];
        }
    }
    free(lo);
    free(m);
    return rc;
}


/* ---- the public API --------------------------------------------------------- */

static const char **hs_ids(const dm_graph *g, const size_t *idx, size_t n)
{
    const char **o = calloc(n + 1, sizeof *o);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(o[i] = dm_strdup(g->revs[idx[i]].id))) {
            for (size_t k = 0; k < i; k++)
                free((char *)o[k]);
            free(o);
            return NULL;
        }
    return o;
}

void dbmig_graph_list_free(dbmig_graph_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        dbmig_graph_rev *r = &l->revs[i];
        free((char *)r->revision);
        free((char *)r->message);
        free((char *)r->file);
        dm_strs_free(r->parents, r->nparents);
        dm_strs_free(r->children, r->nchildren);
        dm_strs_free(r->depends, r->ndepends);
        dm_strs_free(r->branches, r->nbranches);
        free((char *)r->graph);
        free((char *)r->graph_after);
    }
    free(l->revs);
    free(l);
}

/* The database's view for marks: applied flags, missing, applied heads. */
typedef struct hs_marks {
    int on;
    dm_applied a;
    unsigned char *missing;
    unsigned char *current;
} hs_marks;

static void hs_marks_free(hs_marks *mk)
{
    if (mk->on)
        dm_applied_free(&mk->a);
    free(mk->missing);
    free(mk->current);
}

static int hs_marks_read(dbmig *h, unsigned flags, hs_marks *mk)
{
    memset(mk, 0, sizeof *mk);
    if (!(flags & DBMIG_GRAPH_DB))
        return DBMIG_OK;
    int rc = dm_need_conn(h);
    if (rc != DBMIG_OK)
        return rc;
    dm_vstate vs;
    rc = dm_vstate_read(h, &vs, 0);
    if (rc != DBMIG_OK)
        return rc;
    const dm_graph *g = &h->graph;
    size_t n = g->n ? g->n : 1;
    mk->missing = calloc(n, 1);
    mk->current = calloc(n, 1);
    size_t *heads = malloc(n * sizeof *heads);
    if (!mk->missing || !mk->current || !heads || dm_applied_from(g, &vs, &mk->a) != 0) {
        free(heads);
        dm_vstate_free(&vs);
        return dm_err_nomem(&h->err);
    }
    mk->on = 1;
    dm_vstate_free(&vs);
    dm_graph_missing(g, &mk->a, mk->missing);
    size_t nh = dm_graph_applied_heads(g, &mk->a, heads);
    for (size_t i = 0; i < nh; i++)
        mk->current[heads[i]] = 1;
    free(heads);
    return DBMIG_OK;
}

static int hs_fill(const dm_graph *g, size_t v, const hs_marks *mk, dbmig_graph_rev *o)
{
    const dm_rev *r = &g->revs[v];
    const dm_migfile *f = &r->file;
    o->revision = dm_strdup(r->id);
    o->message = dm_strdup(f->message ? f->message : "");
    o->file = dm_strdup(f->filename ? f->filename : "");
    o->nparents = r->nparents;
    o->parents = hs_ids(g, r->parents, r->nparents);
    o->nchildren = r->nchildren;
    o->children = hs_ids(g, r->children, r->nchildren);
    o->ndepends = r->ndepends;
    o->depends = hs_ids(g, r->depends, r->ndepends);
    o->nbranches = f->branches.n;
    o->branches = dm_strs_dup((const char *const *)f->branches.v, f->branches.n);
    if (!o->revision || !o->message || !o->file || !o->parents || !o->children || !o->depends ||
        !o->branches)
        return -1;
    if (!r->nchildren)
        o->flags |= DBMIG_GREV_HEAD;
    if (!r->nparents)
        o->flags |= DBMIG_GREV_BASE;
    if (r->nparents > 1)
        o->flags |= DBMIG_GREV_MERGE;
    if (r->nchildren > 1)
        o->flags |= DBMIG_GREV_BRANCHPOINT;
    if (f->post)
        o->flags |= DBMIG_GREV_POST;
    if (mk->on) {
        if (mk->a.is[v])
            o->flags |= DBMIG_GREV_APPLIED;
        if (mk->missing[v])
            o->flags |= DBMIG_GREV_MISSING;
        if (mk->current[v])
            o->flags |= DBMIG_GREV_CURRENT;
    }
    if (!o->graph && !(o->graph = dm_strdup("")))
        return -1;
    if (!o->graph_after && !(o->graph_after = dm_strdup("")))
        return -1;
    return 0;
}

static dbmig_graph_list *hs_list_new(size_t n, int marks)
{
    dbmig_graph_list *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->revs = calloc(n ? n : 1, sizeof *l->revs);
    if (!l->revs) {
        free(l);
        return NULL;
    }
    l->marks = marks;
    return l;
}

int dbmig_history_get(dbmig *h, const char *range, unsigned flags, dbmig_graph_list **out)
{
    *out = NULL;
    dm_err_clear(&h->err);
    int rc = dm_need_graph(h);
    if (rc != DBMIG_OK)
        return rc;
    hs_marks mk;
    rc = hs_marks_read(h, flags, &mk);
    if (rc != DBMIG_OK) {
        hs_marks_free(&mk);
        return rc;
    }
    const dm_graph *g = &h->graph;
    unsigned char *sel = calloc(g->n ? g->n : 1, 1);
    dm_history hist = {0};
    dbmig_graph_list *l = NULL;
    if (!sel) {
        rc = dm_err_nomem(&h->err);
        goto out;
    }
    rc = dm_history_select(g, mk.on ? &mk.a : NULL, range, sel, &h->err);
    if (rc == DBMIG_OK)
        rc = dm_history_draw(g, sel, &hist, &h->err);
    if (rc != DBMIG_OK)
        goto out;
    l = hs_list_new(hist.n, mk.on);
    if (!l)
        goto oom;
    for (size_t i = 0; i < hist.n; i++) {
        dbmig_graph_rev *o = &l->revs[l->n++];
        o->graph = hist.rows[i].graph;
        o->graph_after = hist.rows[i].after;
        hist.rows[i].graph = hist.rows[i].after = NULL;
        if (hs_fill(g, hist.rows[i].rev, &mk, o) != 0)
            goto oom;
    }
    *out = l;
    l = NULL;
    goto out;
oom:
    rc = dm_err_nomem(&h->err);
out:
    dbmig_graph_list_free(l);
    dm_history_free(&hist);
    free(sel);
    hs_marks_free(&mk);
    return rc;
}

/* heads (which = 0, id order) or branch points (which = 1, newest first). */
static int hs_pick(dbmig *h, unsigned flags, int which, dbmig_graph_list **out)
{
    *out = NULL;
    dm_err_clear(&h->err);
    int rc = dm_need_graph(h);
    if (rc != DBMIG_OK)
        return rc;
    hs_marks mk;
    rc = hs_marks_read(h, flags, &mk);
    if (rc != DBMIG_OK) {
        hs_marks_free(&mk);
        return rc;
    }
    const dm_graph *g = &h->graph;
    dbmig_graph_list *l = hs_list_new(which ? g->n : g->nheads, mk.on);
    if (!l)
        goto oom;
    if (which == 0) {
        for (size_t k = 0; k < g->nheads; k++)
            if (hs_fill(g, g->heads[k], &mk, &l->revs[l->n++]) != 0)
                goto oom;
    } else {
        for (size_t k = g->n; k-- > 0;)
            if (g->revs[g->order[k]].nchildren > 1 &&
                hs_fill(g, g->order[k], &mk, &l->revs[l->n++]) != 0)
                goto oom;
    }
    hs_marks_free(&mk);
    *out = l;
    return DBMIG_OK;
oom:
    dbmig_graph_list_free(l);
    hs_marks_free(&mk);
    return dm_err_nomem(&h->err);
}

int dbmig_heads_get(dbmig *h, unsigned flags, dbmig_graph_list **out)
{
    return hs_pick(h, flags, 0, out);
}

int dbmig_branches_get(dbmig *h, unsigned flags, dbmig_graph_list **out)
{
    return hs_pick(h, flags, 1, out);
}
