/* graph.c — the revision graph (SPEC section 3): build, validate, order,
 * and targets resolved to revisions. The planner is plan.c's.
 *
 * Everything here is linear or n log n and iterative: a migrations folder may
 * hold a 100,000-revision chain, so no recursion and no repeated scans.
 *  - build: ids sorted once (by_id) for binary-search lookups; parents and
 *    depends resolved to indices in one pass; children/dependents filled by
 *    counting sort (so each child list is in id order); Kahn's algorithm with
 *    a binary min-heap keyed on the id gives the deterministic topological
 *    order (ties broken by id).
 *  - ancestors/descendants: one sweep of g->order (reverse for ancestors),
 *    propagating flags along the edges.
 * All edge arrays live in one allocation (g->edges).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* d_type, DT_REG */
#include "graph.h"
#include "loader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define LIST_MAX 10 /* names listed in one message before "and K more" */

static const char UP_FORMS[] =
    "upgrade accepts head, heads, base, <id> or a unique prefix of one, <label>@head, +N, "
    "<id>+N, <id>-N";
static const char DOWN_FORMS[] =
    "downgrade accepts base, head, heads, <id> or a unique prefix of one, <label>@head, -N, "
    "<id>-N, <id>+N";
static const char STAMP_FORMS[] =
    "stamp accepts base, head, heads, <id> or a unique prefix of one, <label>@head, +N, -N, "
    "<id>+N, <id>-N";

static const char REF_FORMS[] =
    "a revision is head, <id> or a unique prefix of one, <label>@head, <id>+N or <id>-N";

enum { MODE_UP, MODE_DOWN, MODE_STAMP, MODE_REF };

static const char *gr_mode_forms(int mode)
{
    return mode == MODE_UP     ? UP_FORMS
           : mode == MODE_DOWN ? DOWN_FORMS
           : mode == MODE_REF  ? REF_FORMS
                               : STAMP_FORMS;
}

static const char *gr_mode_verb(int mode)
{
    return mode == MODE_UP     ? "upgrade"
           : mode == MODE_DOWN ? "downgrade"
           : mode == MODE_REF  ? "name"
                               : "stamp";
}

/* The file name for messages ("003_x.sql"), and the path as opened. */
static const char *gr_rv_name(const dm_graph *g, size_t i)
{
    const dm_migfile *f = &g->revs[i].file;
    return f->filename ? f->filename : f->path ? f->path : "(no file)";
}

static const char *gr_rv_path(const dm_graph *g, size_t i)
{
    const dm_migfile *f = &g->revs[i].file;
    return f->path ? f->path : f->filename ? f->filename : "(no file)";
}

static const char *gr_rv_id(const dm_graph *g, size_t i) { return g->revs[i].id; }

static int gr_is_applied(const dm_applied *a, size_t i) { return a && a->is && a->is[i]; }

/* ---- ids: sorting, lookup, suggestions ---------------------------------- */

typedef struct gr_idkey {
    const char *id;
    size_t i;
} gr_idkey;

static int gr_idkey_cmp(const void *pa, const void *pb)
{
    const gr_idkey *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);
    if (c)
        return c;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* First position in by_id whose id is >= key. */
static size_t gr_lower_bound(const dm_graph *g, const char *key)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(gr_rv_id(g, g->by_id[mid]), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t dm_graph_find(const dm_graph *g, const char *id)
{
    if (!g || !id || !g->by_id)
        return DM_NONE;
    size_t k = gr_lower_bound(g, id);
    if (k < g->n && strcmp(gr_rv_id(g, g->by_id[k]), id) == 0)
        return g->by_id[k];
    return DM_NONE;
}

/* Optimal-string-alignment distance (Levenshtein plus adjacent swaps). */
#define DIST_MAX_LEN 128
static size_t gr_osa_dist(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][DIST_MAX_LEN + 1];
    size_t *pp = rows[0], *p = rows[1], *c = rows[2];
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        c[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (p[j - 1] + cost < v)
                v = p[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
        }
        size_t *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb];
}

/* The id nearest to ref when close enough to be a likely typo, else DM_NONE.
 * An id that ref is a prefix of counts as distance 0; refs of 1-2 characters
 * only get prefix suggestions. Ties: smallest id. */
static size_t gr_suggest(const dm_graph *g, const char *ref)
{
    size_t len = strlen(ref);
    if (!g->by_id || len == 0 || len > DIST_MAX_LEN)
        return DM_NONE;
    size_t limit = len <= 2 ? 0 : len <= 4 ? 1 : len <= 8 ? 2 : 3;
    size_t best = DM_NONE, bestd = limit + 1;
    for (size_t k = 0; k < g->n; k++) {
        size_t v = g->by_id[k];
        const char *id = gr_rv_id(g, v);
        size_t l2 = strlen(id), d;
        if (l2 > DIST_MAX_LEN)
            continue;
        if (strncmp(id, ref, len) == 0)
            d = 0;
        else if ((l2 > len ? l2 - len : len - l2) > limit)
            continue;
        else
            d = gr_osa_dist(ref, len, id, l2);
        if (d < bestd) {
            bestd = d;
            best = v;
        }
    }
    return best;
}

/* Appends "a (f), b (f), ... and K more" for idx[0..n). */
static void gr_list_revs(dm_buf *b, const dm_graph *g, const size_t *idx, size_t n, int with_files)
{
    for (size_t k = 0; k < n && k < LIST_MAX; k++) {
        if (with_files)
            dm_buf_printf(b, "%s%s (%s)", k ? ", " : "", gr_rv_id(g, idx[k]), gr_rv_name(g, idx[k]));
        else
            dm_buf_printf(b, "%s%s", k ? ", " : "", gr_rv_id(g, idx[k]));
    }
    if (n > LIST_MAX)
        dm_buf_printf(b, " and %zu more", n - LIST_MAX);
}

/* Lookup: exact id, else a unique prefix. *unknown = 1 when nothing matched
 * (as opposed to an ambiguous prefix). */
static int gr_lookup(const dm_graph *g, const char *ref, size_t *out, dm_err *err, int *unknown)
{
    *unknown = 0;
    if (!ref || !*ref) {
        *unknown = 1;
        return dm_err_set(err, DBMIG_EUSAGE,
                          "empty revision reference; give an id or a unique prefix of one");
    }
    size_t len = strlen(ref);
    size_t k = g->by_id ? gr_lower_bound(g, ref) : 0;
    if (g->by_id && k < g->n && strcmp(gr_rv_id(g, g->by_id[k]), ref) == 0) {
        *out = g->by_id[k];
        return DBMIG_OK;
    }
    size_t e = k;
    while (g->by_id && e < g->n && strncmp(gr_rv_id(g, g->by_id[e]), ref, len) == 0)
        e++;
    if (e - k == 1) {
        *out = g->by_id[k];
        return DBMIG_OK;
    }
    if (e - k > 1) {
        dm_err_set(err, DBMIG_EUSAGE, "ambiguous revision prefix '%s' matches %zu revisions: ",
                   ref, e - k);
        gr_list_revs(&err->msg, g, g->by_id + k, e - k, 1);
        dm_buf_puts(&err->msg, "; give more characters of the id");
        return DBMIG_EUSAGE;
    }
    *unknown = 1;
    size_t s = gr_suggest(g, ref);
    if (s != DM_NONE)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "unknown revision '%s'; did you mean '%s' (%s)? `dbmig history` lists "
                          "the revisions",
                          ref, gr_rv_id(g, s), gr_rv_name(g, s));
    return dm_err_set(err, DBMIG_EUSAGE,
                      "unknown revision '%s'; `dbmig history` lists the revisions", ref);
}

int dm_graph_lookup(const dm_graph *g, const char *ref, size_t *out, dm_err *err)
{
    int unknown;
    return gr_lookup(g, ref, out, err, &unknown);
}

/* ---- build --------------------------------------------------------------- */

/* Binary min-heap of revision indices ordered by id. */
typedef struct gr_heap {
    size_t *v;
    size_t n;
} gr_heap;

static int gr_heap_less(const dm_graph *g, size_t a, size_t b)
{
    return strcmp(gr_rv_id(g, a), gr_rv_id(g, b)) < 0;
}

static void gr_heap_push(const dm_graph *g, gr_heap *h, size_t x)
{
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!gr_heap_less(g, x, h->v[p]))
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = x;
}

static size_t gr_heap_pop(const dm_graph *g, gr_heap *h)
{
    size_t top = h->v[0], x = h->v[--h->n], i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        size_t mv = x;
        if (l < h->n && gr_heap_less(g, h->v[l], mv)) {
            m = l;
            mv = h->v[l];
        }
        if (r < h->n && gr_heap_less(g, h->v[r], mv))
            m = r;
        if (m == i)
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n)
        h->v[i] = x;
    return top;
}

static int gr_check_ids(dm_graph *g, dm_err *err)
{
    for (size_t i = 0; i < g->n; i++) {
        const char *id = g->revs[i].id;
        if (!id || !*id)
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s: the file has no revision id; name it <revision>_<slug>.sql or "
                              "add `-- dbmig:revision ID`",
                              gr_rv_path(g, i));
        if (dm_reserved_rev_id(id))
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s: the revision id '%s' is reserved (base, head, heads and current "
                              "are); rename the file or set another `-- dbmig:revision`",
                              gr_rv_path(g, i), id);
        if (!dm_valid_rev_id(id))
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s: invalid revision id '%s': use 1-64 characters of "
                              "[A-Za-z0-9._-] starting with a letter or digit",
                              gr_rv_path(g, i), id);
    }
    return DBMIG_OK;
}

static int gr_idkey_casecmp(const void *a, const void *b)
{
    return strcasecmp(((const gr_idkey *)a)->id, ((const gr_idkey *)b)->id);
}

static int gr_sort_ids(dm_graph *g, dm_err *err)
{
    gr_idkey *keys = malloc((g->n ? g->n : 1) * sizeof *keys);
    g->by_id = malloc((g->n ? g->n : 1) * sizeof *g->by_id);
    if (!keys || !g->by_id) {
        free(keys);
        return dm_err_nomem(err);
    }
    for (size_t i = 0; i < g->n; i++) {
        keys[i].id = g->revs[i].id;
        keys[i].i = i;
    }
    qsort(keys, g->n, sizeof *keys, gr_idkey_cmp);
    for (size_t k = 0; k < g->n; k++)
        g->by_id[k] = keys[k].i;
    for (size_t k = 1; k < g->n; k++) {
        if (strcmp(keys[k - 1].id, keys[k].id) == 0) {
            size_t a = keys[k - 1].i, b = keys[k].i;
            free(keys);
            return dm_err_set(err, DBMIG_EINVALID,
                              "duplicate revision id '%s' in %s and %s; give one of them another "
                              "id (rename the file or set `-- dbmig:revision`)",
                              gr_rv_id(g, a), gr_rv_path(g, a), gr_rv_path(g, b));
        }
    }
    /* Ids that differ only in case: a case-insensitive database (MySQL's
     * default collation) cannot hold both in the version table. */
    qsort(keys, g->n, sizeof *keys, gr_idkey_casecmp);
    for (size_t k = 1; k < g->n; k++) {
        if (strcasecmp(keys[k - 1].id, keys[k].id) == 0) {
            size_t a = keys[k - 1].i, b = keys[k].i;
            free(keys);
            return dm_err_set(err, DBMIG_EINVALID,
                              "revision ids '%s' (%s) and '%s' (%s) differ only in case; a "
                              "case-insensitive database cannot tell them apart: rename one",
                              gr_rv_id(g, a), gr_rv_path(g, a), gr_rv_id(g, b), gr_rv_path(g, b));
        }
    }
    free(keys);
    return DBMIG_OK;
}

static int gr_unknown_ref(const dm_graph *g, size_t i, const char *what, const char *ref, dm_err *err)
{
    size_t s = gr_suggest(g, ref);
    dm_err_set(err, DBMIG_EINVALID, "%s: revision '%s' has unknown %s '%s'", gr_rv_path(g, i),
               gr_rv_id(g, i), what, ref);
    if (s != DM_NONE)
        dm_buf_printf(&err->msg, "; did you mean '%s' (%s)?", gr_rv_id(g, s), gr_rv_name(g, s));
    dm_buf_printf(&err->msg, "; fix `-- dbmig:%s` or add the missing file",
                  strcmp(what, "parent") == 0 ? "parents" : "depends");
    return DBMIG_EINVALID;
}

/* Resolves parents and depends into the first part of g->edges, then fills
 * children and dependents after them. */
/* Appends to *cur the indices of revision i's parents (parents = 1) or
 * depends, each once: seen[j] == i + 1 when j is already an edge of i.
 * `base` as a parent names no revision. */
static int gr_add_refs(dm_graph *g, size_t i, int parents, size_t *seen, size_t **cur, dm_err *err)
{
    const dm_rev *r = &g->revs[i];
    const dm_strv *refs = parents ? &r->file.parents : &r->file.depends;
    for (size_t k = 0; k < refs->n; k++) {
        const char *ref = refs->v[k];
        if (parents && strcmp(ref, "base") == 0)
            continue;
        if (strcmp(ref, r->id) == 0)
            return dm_err_set(err, DBMIG_EINVALID,
                              parents ? "%s: revision '%s' lists itself as a parent; remove it "
                                        "from `-- dbmig:parents`"
                                      : "%s: revision '%s' depends on itself; remove it from "
                                        "`-- dbmig:depends`",
                              gr_rv_path(g, i), r->id);
        size_t j = dm_graph_find(g, ref);
        if (j == DM_NONE)
            return gr_unknown_ref(g, i, parents ? "parent" : "depends", ref, err);
        if (seen[j] == i + 1)
            continue; /* already a parent or listed twice */
        seen[j] = i + 1;
        *(*cur)++ = j;
    }
    return DBMIG_OK;
}

/* Reverse edges by counting: nchildren/ndependents, offsets, fill in id
 * order so every child list is sorted by id. cur: the free part of
 * g->edges. */
static void gr_reverse_edges(dm_graph *g, size_t *cur)
{
    size_t n = g->n;
    for (size_t i = 0; i < n; i++) {
        dm_rev *r = &g->revs[i];
        for (size_t k = 0; k < r->nparents; k++)
            g->revs[r->parents[k]].nchildren++;
        for (size_t k = 0; k < r->ndepends; k++)
            g->revs[r->depends[k]].ndependents++;
    }
    for (size_t i = 0; i < n; i++) {
        dm_rev *r = &g->revs[i];
        r->children = cur;
        cur += r->nchildren;
        r->dependents = cur;
        cur += r->ndependents;
        r->nchildren = r->ndependents = 0;
    }
    for (size_t k = 0; k < n; k++) {
        /* by_id holds all n indices (gr_sort_ids) */
        size_t v = g->by_id[k]; // NOLINT(clang-analyzer-core.uninitialized.Assign)
        dm_rev *r = &g->revs[v];
        for (size_t e = 0; e < r->nparents; e++) {
            dm_rev *p = &g->revs[r->parents[e]];
            p->children[p->nchildren++] = v;
        }
        for (size_t e = 0; e < r->ndepends; e++) {
            dm_rev *p = &g->revs[r->depends[e]];
            p->dependents[p->ndependents++] = v;
        }
    }
}

static int gr_resolve_edges(dm_graph *g, dm_err *err)
{
    size_t n = g->n, total = 0;
    for (size_t i = 0; i < n; i++) {
        const dm_migfile *f = &g->revs[i].file;
        total += f->parents_set ? f->parents.n : (i > 0);
        total += f->depends.n;
    }
    g->edges = malloc((total ? 2 * total : 1) * sizeof *g->edges);
    size_t *seen = calloc(n ? n : 1, sizeof *seen); /* seen[j] == i + 1: j already an edge of i */
    if (!g->edges || !seen) {
        free(seen);
        return dm_err_nomem(err);
    }
    size_t *cur = g->edges;
    int rc = DBMIG_OK;
    for (size_t i = 0; i < n && rc == DBMIG_OK; i++) {
        dm_rev *r = &g->revs[i];
        r->parents = cur;
        if (r->file.parents_set) {
            rc = gr_add_refs(g, i, 1, seen, &cur, err);
        } else if (i > 0) { /* the previous file in name order */
            *cur++ = i - 1;
            seen[i - 1] = i + 1;
        }
        r->nparents = (size_t)(cur - r->parents);
        r->depends = cur;
        if (rc == DBMIG_OK)
            rc = gr_add_refs(g, i, 0, seen, &cur, err);
        r->ndepends = (size_t)(cur - r->depends);
    }
    free(seen);
    if (rc != DBMIG_OK)
        return rc;
    gr_reverse_edges(g, cur);
    return DBMIG_OK;
}

/* A cycle among the revisions Kahn's algorithm could not emit (indeg > 0):
 * every such revision has an unemitted parent or depends, so walking to one
 * repeatedly must revisit a revision. Reports it from its smallest id. */
static int gr_report_cycle(const dm_graph *g, const size_t *indeg, dm_err *err)
{
    size_t n = g->n, start = DM_NONE;
    for (size_t k = 0; k < n && start == DM_NONE; k++)
        if (indeg[g->by_id[k]] > 0)
            start = g->by_id[k];
    /* (n > 0: a cycle has revisions; at least 1 for the analyzer) */
    size_t *pos = malloc((n ? n : 1) * sizeof *pos), *path = malloc((n ? n : 1) * sizeof *path);
    if (!pos || !path) {
        free(pos);
        free(path);
        return dm_err_nomem(err);
    }
    for (size_t i = 0; i < n; i++)
        pos[i] = DM_NONE;
    size_t len = 0, v = start;
    if (start == DM_NONE) { /* called only when a cycle is left: cannot happen */
        free(pos);
        free(path);
        return dm_err_set(err, DBMIG_EINVALID, "the revision graph has a cycle");
    }
    while (pos[v] == DM_NONE) {
        pos[v] = len;
        path[len++] = v;
        const dm_rev *r = &g->revs[v];
        size_t next = DM_NONE;
        for (size_t k = 0; k < r->nparents && next == DM_NONE; k++)
            if (indeg[r->parents[k]] > 0)
                next = r->parents[k];
        for (size_t k = 0; k < r->ndepends && next == DM_NONE; k++)
            if (indeg[r->depends[k]] > 0)
                next = r->depends[k];
        v = next; /* never DM_NONE: see above */
    }
    size_t first = pos[v], clen = len - first, min = first;
    for (size_t k = first; k < len; k++)
        if (strcmp(gr_rv_id(g, path[k]), gr_rv_id(g, path[min])) < 0)
            min = k;
    dm_err_set(err, DBMIG_EINVALID, "a cycle in the revision graph: ");
    for (size_t k = 0; k < clen; k++) {
        size_t x = path[first + (min - first + k) % clen];
        dm_buf_printf(&err->msg, "%s (%s) -> ", gr_rv_id(g, x), gr_rv_name(g, x));
    }
    dm_buf_printf(&err->msg,
                  "%s (each lists the next as a parent or in depends); remove one of these links",
                  gr_rv_id(g, path[min]));
    free(pos);
    free(path);
    return DBMIG_EINVALID;
}

static int gr_topo_sort(dm_graph *g, dm_err *err)
{
    size_t n = g->n;
    size_t *indeg = malloc((n ? n : 1) * sizeof *indeg);
    gr_heap h = {malloc((n ? n : 1) * sizeof(size_t)), 0};
    g->order = malloc((n ? n : 1) * sizeof *g->order);
    if (!indeg || !h.v || !g->order) {
        free(indeg);
        free(h.v);
        return dm_err_nomem(err);
    }
    for (size_t i = 0; i < n; i++) {
        indeg[i] = g->revs[i].nparents + g->revs[i].ndepends;
        if (indeg[i] == 0)
            gr_heap_push(g, &h, i);
    }
    size_t cnt = 0;
    while (h.n) {
        size_t v = gr_heap_pop(g, &h);
        g->revs[v].topo = cnt;
        g->order[cnt++] = v;
        const dm_rev *r = &g->revs[v];
        for (size_t k = 0; k < r->nchildren; k++)
            if (--indeg[r->children[k]] == 0)
                gr_heap_push(g, &h, r->children[k]);
        for (size_t k = 0; k < r->ndependents; k++)
            if (--indeg[r->dependents[k]] == 0)
                gr_heap_push(g, &h, r->dependents[k]);
    }
    free(h.v);
    int rc = cnt < n ? gr_report_cycle(g, indeg, err) : DBMIG_OK;
    free(indeg);
    return rc;
}

/* A branch label that is also a revision id would make `<x>@head` mean two
 * things; labels are names of lines of work, ids name revisions. */
static int gr_check_labels(const dm_graph *g, dm_err *err)
{
    for (size_t i = 0; i < g->n; i++) {
        const dm_strv *b = &g->revs[i].file.branches;
        for (size_t k = 0; k < b->n; k++) {
            size_t j = dm_graph_find(g, b->v[k]);
            if (j != DM_NONE)
                return dm_err_set(err, DBMIG_EINVALID,
                                  "%s: the branch label '%s' of revision '%s' is also the id of "
                                  "revision %s (%s); rename the label in `-- dbmig:branch`",
                                  gr_rv_path(g, i), b->v[k], gr_rv_id(g, i), gr_rv_id(g, j),
                                  gr_rv_name(g, j));
        }
    }
    return DBMIG_OK;
}

static int gr_heads_bases(dm_graph *g, dm_err *err)
{
    size_t n = g->n;
    g->heads = malloc((n ? n : 1) * sizeof *g->heads);
    g->bases = malloc((n ? n : 1) * sizeof *g->bases);
    if (!g->heads || !g->bases)
        return dm_err_nomem(err);
    for (size_t k = 0; k < n; k++) {
        size_t v = g->by_id[k];
        if (g->revs[v].nchildren == 0)
            g->heads[g->nheads++] = v;
        if (g->revs[v].nparents == 0)
            g->bases[g->nbases++] = v;
    }
    return DBMIG_OK;
}

int dm_graph_build(dm_graph *g, dm_migfile *files, size_t n, dm_err *err)
{
    memset(g, 0, sizeof *g);
    g->revs = calloc(n ? n : 1, sizeof *g->revs);
    if (!g->revs) {
        for (size_t i = 0; i < n; i++)
            dm_migfile_free(&files[i]);
        return dm_err_nomem(err);
    }
    for (size_t i = 0; i < n; i++) {
        g->revs[i].file = files[i];
        g->revs[i].id = files[i].revision;
        memset(&files[i], 0, sizeof files[i]);
    }
    g->n = n;
    int rc = gr_check_ids(g, err);
    if (rc == DBMIG_OK)
        rc = gr_sort_ids(g, err);
    if (rc == DBMIG_OK)
        rc = gr_resolve_edges(g, err);
    if (rc == DBMIG_OK)
        rc = gr_check_labels(g, err);
    if (rc == DBMIG_OK)
        rc = gr_topo_sort(g, err);
    if (rc == DBMIG_OK)
        rc = gr_heads_bases(g, err);
    if (rc != DBMIG_OK)
        dm_graph_free(g);
    return rc;
}

void dm_graph_free(dm_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        dm_migfile_free(&g->revs[i].file);
    free(g->revs);
    free(g->edges);
    free(g->order);
    free(g->heads);
    free(g->bases);
    free(g->by_id);
    memset(g, 0, sizeof *g);
}

static int gr_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An entry whose type readdir() did not give as a regular file: 0 to load
 * it, 1 to skip it (not a regular file, not a link), or DBMIG_EINVALID for a
 * symbolic link that loops, dangles, leaves the folder or names something
 * that is not a regular file: a migration must be a file of the folder. */
static int gr_check_entry(const char *dir, const char *path, char **realdir, dm_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 1;
    if (!S_ISLNK(st.st_mode))
        return S_ISREG(st.st_mode) ? 0 : 1;
    char *target = realpath(path, NULL);
    if (!target)
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s is a symbolic link that cannot be followed (%s: a loop or a "
                          "dangling link); replace it with the migration file itself",
                          path, strerror(errno));
    if (!*realdir && !(*realdir = realpath(dir, NULL))) {
        free(target);
        return dm_err_set(err, DBMIG_EUSAGE, "cannot resolve migrations folder '%s': %s", dir,
                          strerror(errno));
    }
    size_t n = strlen(*realdir);
    int inside = strncmp(target, *realdir, n) == 0 && target[n] == '/';
    int rc = 0;
    if (!inside)
        rc = dm_err_set(err, DBMIG_EINVALID,
                        "%s links to %s, outside the migrations folder; copy the file into "
                        "the folder instead of linking to it",
                        path, target);
    else if (stat(target, &st) != 0 || !S_ISREG(st.st_mode))
        rc = dm_err_set(err, DBMIG_EINVALID,
                        "%s links to %s, which is not a regular file; a migration must be a "
                        "file", path, target);
    free(target);
    return rc;
}

/* dir "/" name into b (no printf: it runs twice per file at every start). */
static int gr_join(dm_buf *b, const char *dir, int slash, const char *name)
{
    dm_buf_reset(b);
    return dm_buf_puts(b, dir) || (!slash && dm_buf_append(b, "/", 1)) || dm_buf_puts(b, name) ? -1
                                                                                               : 0;
}

/* The names of the *.sql files directly inside dir (regular files or
 * links to one, not dot files), into paths, unsorted. */
static int gr_list_dir(DIR *d, const char *dir, dm_strv *paths, dm_err *err)
{
    size_t dlen = strlen(dir);
    int slash = dlen > 0 && dir[dlen - 1] == '/';
    dm_buf path = {0};
    char *realdir = NULL; /* realpath(dir), when a link needs it */
    int rc = DBMIG_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno)
                rc = dm_err_set(err, DBMIG_EUSAGE,
                                "cannot read migrations folder '%s': %s; pass --dir or create it",
                                dir, strerror(errno));
            break;
        }
        size_t len = strlen(e->d_name);
        /* *.sql as a shell glob sees it: no dot files (editor leftovers). */
        if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        if (gr_join(&path, dir, slash, e->d_name) != 0) {
            rc = dm_err_nomem(err);
            break;
        }
        /* d_type saves a stat per file; links and unknown types are
         * stat()ed (a link to a regular file counts). */
        if (e->d_type != DT_REG) {
            if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
                continue; /* a subfolder, a FIFO, a device: not a migration */
            rc = gr_check_entry(dir, dm_buf_str(&path), &realdir, err);
            if (rc == 1) {
                rc = DBMIG_OK;
                continue;
            }
            if (rc != DBMIG_OK)
                break;
        }
        if (dm_strv_push(paths, e->d_name) != 0) {
            rc = dm_err_nomem(err);
            break;
        }
    }
    dm_buf_free(&path);
    free(realdir);
    return rc;
}

/* ---- other tools' file names --------------------------------------------- */

/* Flyway's undo script name: U, a version (digits, single . or _ between
 * digit groups, as Flyway's V1_1__x.sql), then "__". Upper case only, as
 * Flyway: a dbmig id such as Users_table.sql or U1_x.sql is not one. */
static int gr_flyway_undo(const char *name)
{
    const char *p = name + 1;
    if (name[0] != 'U' || !isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p) ||
           ((*p == '.' || *p == '_') && isdigit((unsigned char)p[1])))
        p++;
    return p[0] == '_' && p[1] == '_';
}

/* Names other tools give their undo, down and repeatable scripts (SPEC 16):
 * loaded as revisions they would run forward, in name order (U1__ sorts
 * before V1__), so they are refused before any file is read. names: sorted. */
static int gr_foreign_names(const dm_strv *names, const char *dir, dm_err *err)
{
    const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
    for (size_t i = 0; i < names->n; i++) {
        const char *f = names->v[i];
        size_t len = strlen(f);
        if (gr_flyway_undo(f)) {
            size_t vl = strstr(f, "__") + 2 - f; /* "U1__": the V file starts "V1__" */
            const char *v = NULL;
            for (size_t k = 0; k < names->n && !v; k++)
                if (names->v[k][0] == 'V' && strncmp(names->v[k] + 1, f + 1, vl - 1) == 0)
                    v = names->v[k];
            dm_err_set(err, DBMIG_EINVALID,
                       "%s%s%s: a Flyway undo script (U<version>__), which dbmig would run as a "
                       "forward migration (U sorts before V: before the file it undoes). In "
                       "dbmig an undo is the `-- dbmig:down` section of the versioned file: move "
                       "these statements under `-- dbmig:down` in ",
                       dir, sep, f);
            if (v)
                dm_buf_printf(&err->msg, "%s", v);
            else
                dm_buf_printf(&err->msg, "the V%.*s file", (int)(vl - 3), f + 1);
            dm_buf_printf(&err->msg, " and remove this one");
            return DBMIG_EINVALID;
        }
        if (strncmp(f, "R__", 3) == 0)
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s%s%s: a Flyway repeatable migration (R__), which dbmig would "
                              "run once as an ordinary revision, never again. dbmig has no "
                              "repeatable migrations: each change is a new revision (`dbmig "
                              "revision`) holding the new version of the statements (a CREATE "
                              "OR REPLACE); remove this file",
                              dir, sep, f);
        if (len > 9 && strcmp(f + len - 9, ".down.sql") == 0) {
            int stem = (int)(len - 9);
            int paired = 0;
            for (size_t k = 0; k < names->n && !paired; k++) /* errors only: no index */
                paired = strncmp(names->v[k], f, (size_t)stem) == 0 &&
                         strcmp(names->v[k] + stem, ".up.sql") == 0;
            if (paired)
                return dm_err_set(err, DBMIG_EINVALID,
                                  "%s%s%.*s.up.sql and %.*s.down.sql are a golang-migrate "
                                  "up/down pair, which dbmig would run as two forward "
                                  "migrations (the down one too). Merge them into one file, "
                                  "%.*s.sql: the up statements under `-- dbmig:up`, the down "
                                  "statements under `-- dbmig:down`",
                                  dir, sep, stem, f, stem, f, stem, f);
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s%s%s: a golang-migrate down script (.down.sql), which dbmig "
                              "would run as a forward migration. Move its statements under "
                              "`-- dbmig:down` in the file of the migration it reverts (after "
                              "that file's statements, marked `-- dbmig:up`) and remove this "
                              "file",
                              dir, sep, f);
        }
    }
    return DBMIG_OK;
}

/* ---- name order against number order ------------------------------------- */

/* A file name's leading number: digits at the start, or after one letter
 * (Flyway's V10__x.sql). *cls: the letter, or 0; *d, *nd: the digits without
 * their leading zeros (at least one). 0 when the name has none. */
typedef struct {
    int cls;
    const char *d;
    size_t nd, width; /* width: with the leading zeros */
} gr_num;

static int gr_lead_num(const char *name, gr_num *o)
{
    const char *p = name;
    o->cls = 0;
    if (isalpha((unsigned char)p[0]) && isdigit((unsigned char)p[1]))
        o->cls = (unsigned char)*p++;
    if (!isdigit((unsigned char)*p))
        return 0;
    o->width = o->nd = strspn(p, "0123456789");
    while (o->nd > 1 && *p == '0') {
        p++;
        o->nd--;
    }
    o->d = p;
    return 1;
}

/* -1, 0, 1 as a's number is smaller, equal, larger than b's. */
static int gr_num_cmp(const gr_num *a, const gr_num *b)
{
    if (a->nd != b->nd)
        return a->nd < b->nd ? -1 : 1;
    int c = memcmp(a->d, b->d, a->nd);
    return (c > 0) - (c < 0);
}

/* The error for a header-less file x whose parent by name order is wrong:
 * files[a] sorts before files[b] by name but has the higher number. */
static int gr_order_err(const dm_migfile *files, const gr_num *num, const int *has, size_t n,
                        size_t a, size_t b, size_t x, dm_err *err)
{
    size_t pred = DM_NONE; /* x's parent by number: the largest smaller one */
    for (size_t k = 0; k < n; k++)
        if (has[k] && num[k].cls == num[x].cls && gr_num_cmp(&num[k], &num[x]) < 0 &&
            (pred == DM_NONE || gr_num_cmp(&num[k], &num[pred]) > 0))
            pred = k;
    dm_err_set(err, DBMIG_EINVALID,
               "%s sorts before %s by name, but its number is higher (%.*s > %.*s): a file "
               "without `-- dbmig:parents` follows the previous file in name order, so revision "
               "%s would ",
               files[a].path, files[b].path, (int)num[a].nd, num[a].d, (int)num[b].nd, num[b].d,
               files[x].revision);
    if (x > 0)
        dm_buf_printf(&err->msg, "follow %s", files[x - 1].revision);
    else
        dm_buf_printf(&err->msg, "be the first revision");
    dm_buf_printf(&err->msg, " instead of %s%s", pred == DM_NONE ? "being the first" : "following ",
                  pred == DM_NONE ? "" : files[pred].revision);
    /* the rename example: the shorter name padded to the longer's width */
    size_t s = num[a].width < num[b].width ? a : b, l = s == a ? b : a;
    const char *fn = files[s].filename;
    size_t pre = num[s].cls != 0;
    static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";
    int pad = (int)(num[l].width - num[s].width);
    pad = pad < 1 ? 1 : pad > (int)sizeof zeros - 1 ? (int)sizeof zeros - 1 : pad;
    dm_buf_printf(&err->msg,
                  ". Rename the files with leading zeros so that name order is number order "
                  "(%s -> %.*s%.*s%s; the revision id changes with the name, so only where none "
                  "is applied yet), or give %s the header `-- dbmig:parents %s` (where it is "
                  "applied, `dbmig repair --checksums` then records its new checksum)",
                  fn, (int)pre, fn, pad, zeros, fn + pre,
                  files[x].path, pred == DM_NONE ? "base" : files[pred].revision);
    return DBMIG_EINVALID;
}

/* Header-less files chain in name order (SPEC 3), which is number order
 * only while the leading numbers have one width: golang-migrate's 1_..10_
 * and Flyway's V1__..V10__ put 10 before 2, silently. Refused when the
 * parent a header-less file x gets by name is not the one its number gives:
 * the previous file has a higher number, or a later file (by name) a lower
 * one. Files with a header keep the order they state; numbers compare only
 * within one prefix letter (V1 and 2 are unrelated). Linear: min[i] is the
 * file of lowest number after i of i's class (suffix minima). */
static int gr_check_name_order(const dm_migfile *files, size_t n, dm_err *err)
{
    gr_num *num = malloc((n ? n : 1) * sizeof *num);
    int *has = malloc((n ? n : 1) * sizeof *has);
    size_t *min = malloc((n ? n : 1) * sizeof *min);
    size_t low[256]; /* per class: the lowest-numbered file seen (from the end) */
    int rc = DBMIG_OK;
    if (!num || !has || !min) {
        rc = dm_err_nomem(err);
        goto out;
    }
    for (size_t c = 0; c < 256; c++)
        low[c] = DM_NONE;
    for (size_t i = n; i-- > 0;) {
        has[i] = files[i].filename && gr_lead_num(files[i].filename, &num[i]);
        min[i] = DM_NONE;
        if (!has[i])
            continue;
        size_t *lo = &low[num[i].cls];
        min[i] = *lo;
        if (*lo == DM_NONE || gr_num_cmp(&num[i], &num[*lo]) < 0)
            *lo = i;
    }
    for (size_t i = 0; i < n && rc == DBMIG_OK; i++) {
        if (!has[i] || files[i].parents_set)
            continue;
        if (i > 0 && has[i - 1] && num[i - 1].cls == num[i].cls &&
            gr_num_cmp(&num[i - 1], &num[i]) > 0)
            rc = gr_order_err(files, num, has, n, i - 1, i, i, err);
        else if (min[i] != DM_NONE && gr_num_cmp(&num[min[i]], &num[i]) < 0)
            rc = gr_order_err(files, num, has, n, i, min[i], i, err);
    }
out:
    free(num);
    free(has);
    free(min);
    return rc;
}

int dm_graph_load_dir(dm_graph *g, const char *dir, dm_err *err)
{
    memset(g, 0, sizeof *g);
    DIR *d = opendir(dir);
    if (!d)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "cannot read migrations folder '%s': %s; pass --dir or create it", dir,
                          strerror(errno));
    size_t dlen = strlen(dir);
    int slash = dlen > 0 && dir[dlen - 1] == '/';
    dm_strv paths = {0};
    dm_buf path = {0};
    int rc = gr_list_dir(d, dir, &paths, err);
    closedir(d);
    dm_migfile *files = NULL;
    if (rc == DBMIG_OK) {
        if (paths.n) /* qsort(NULL, 0, ...) is undefined */
            qsort(paths.v, paths.n, sizeof *paths.v, gr_name_cmp);
        rc = gr_foreign_names(&paths, dir, err);
    }
    if (rc == DBMIG_OK) {
        files = calloc(paths.n ? paths.n : 1, sizeof *files);
        if (!files)
            rc = dm_err_nomem(err);
    }
    size_t loaded = 0;
    for (; rc == DBMIG_OK && loaded < paths.n; loaded++) {
        if (gr_join(&path, dir, slash, paths.v[loaded]) != 0) {
            rc = dm_err_nomem(err);
            break;
        }
        rc = dm_migfile_load_ex(dm_buf_str(&path), DM_MIGFILE_STREAM_MIN, &files[loaded], err);
        if (rc != DBMIG_OK) {
            dm_migfile_free(&files[loaded]);
            break;
        }
    }
    dm_buf_free(&path);
    if (rc == DBMIG_OK)
        rc = gr_check_name_order(files, loaded, err);
    if (rc == DBMIG_OK) {
        rc = dm_graph_build(g, files, paths.n, err);
    } else if (files) {
        for (size_t i = 0; i < loaded; i++)
            dm_migfile_free(&files[i]);
    }
    free(files);
    dm_strv_free(&paths);
    return rc;
}

/* ---- ancestry ------------------------------------------------------------ */

void dm_graph_ancestors(const dm_graph *g, unsigned char *mark)
{
    for (size_t k = g->n; k-- > 0;) {
        size_t v = g->order[k];
        if (!mark[v])
            continue;
        const dm_rev *r = &g->revs[v];
        for (size_t e = 0; e < r->nparents; e++)
            mark[r->parents[e]] = 1;
        for (size_t e = 0; e < r->ndepends; e++)
            mark[r->depends[e]] = 1;
    }
}

void dm_graph_descendants(const dm_graph *g, unsigned char *mark)
{
    for (size_t k = 0; k < g->n; k++) {
        size_t v = g->order[k];
        if (!mark[v])
            continue;
        const dm_rev *r = &g->revs[v];
        for (size_t e = 0; e < r->nchildren; e++)
            mark[r->children[e]] = 1;
        for (size_t e = 0; e < r->ndependents; e++)
            mark[r->dependents[e]] = 1;
    }
}

size_t dm_graph_missing(const dm_graph *g, const dm_applied *a, unsigned char *out)
{
    unsigned char *m = out ? out : calloc(g->n ? g->n : 1, 1);
    if (!m)
        return 0;
    for (size_t i = 0; i < g->n; i++)
        m[i] = (unsigned char)gr_is_applied(a, i);
    dm_graph_ancestors(g, m);
    size_t cnt = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (m[i] && gr_is_applied(a, i))
            m[i] = 0;
        cnt += m[i];
    }
    if (!out)
        free(m);
    return cnt;
}

size_t dm_graph_applied_heads(const dm_graph *g, const dm_applied *a, size_t *out)
{
    size_t cnt = 0;
    for (size_t k = 0; k < g->n; k++) {
        size_t v = g->by_id[k];
        if (!gr_is_applied(a, v))
            continue;
        const dm_rev *r = &g->revs[v];
        size_t c = 0;
        while (c < r->nchildren && !gr_is_applied(a, r->children[c]))
            c++;
        if (c == r->nchildren)
            out[cnt++] = v;
    }
    return cnt;
}

/* ---- targets ------------------------------------------------------------- */

/* N of +N / -N: decimal digits only, at least 1 (-2: digits, but 0; -1:
 * not a count). */
static int gr_parse_count(const char *s, size_t *n)
{
    if (!*s)
        return -1;
    size_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        size_t d = (size_t)(*s - '0');
        if (v > (SIZE_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < 1)
        return -2;
    *n = v;
    return 0;
}

static int gr_bad_target(const char *t, int mode, dm_err *err)
{
    return dm_err_set(err, DBMIG_EUSAGE, "unknown target '%s'; %s", t, gr_mode_forms(mode));
}

/* The single head; DM_NONE for an empty graph. */
static int gr_single_head(const dm_graph *g, int mode, size_t *out, dm_err *err)
{
    if (g->nheads == 1) {
        *out = g->heads[0];
        return DBMIG_OK;
    }
    if (g->nheads == 0) {
        *out = DM_NONE;
        return DBMIG_OK;
    }
    dm_err_set(err, DBMIG_EUSAGE, "several heads: ");
    gr_list_revs(&err->msg, g, g->heads, g->nheads, 0);
    dm_buf_printf(&err->msg,
                  "; %s one with <label>@head or an id, all with `heads`, or join them with "
                  "`dbmig merge -m MSG`",
                  gr_mode_verb(mode));
    return DBMIG_EUSAGE;
}

/* Flags in m the revisions carrying the label; a name no revision carries
 * as a label is tried as a revision (so <id>@head works too). */
static int gr_label_mark(const dm_graph *g, const char *label, unsigned char *m, dm_err *err)
{
    size_t found = 0;
    for (size_t i = 0; i < g->n; i++) {
        const dm_strv *b = &g->revs[i].file.branches;
        for (size_t k = 0; k < b->n; k++) {
            if (strcmp(b->v[k], label) == 0) {
                m[i] = 1;
                found++;
                break;
            }
        }
    }
    if (found)
        return DBMIG_OK;
    size_t r = DM_NONE;
    int unknown = 0;
    dm_err tmp = {0};
    int rc = *label ? gr_lookup(g, label, &r, &tmp, &unknown) : DBMIG_EUSAGE;
    dm_err_free(&tmp);
    if (rc != DBMIG_OK)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "no revision carries the branch label '%s'; `dbmig history` shows "
                          "the labels (set with `-- dbmig:branch`)",
                          label);
    m[r] = 1;
    return DBMIG_OK;
}

/* label@head: the one head among the descendants (along children) of the
 * revisions carrying the label (gr_label_mark). */
static int gr_label_head(const dm_graph *g, const char *label, size_t *out, dm_err *err)
{
    unsigned char *m = calloc(g->n ? g->n : 1, 1);
    if (!m)
        return dm_err_nomem(err);
    int rc = gr_label_mark(g, label, m, err);
    if (rc != DBMIG_OK) {
        free(m);
        return rc;
    }
    for (size_t k = 0; k < g->n; k++) {
        size_t v = g->order[k];
        if (!m[v])
            continue;
        const dm_rev *r = &g->revs[v];
        for (size_t e = 0; e < r->nchildren; e++)
            m[r->children[e]] = 1;
    }
    size_t cnt = 0, first = DM_NONE;
    for (size_t k = 0; k < g->nheads; k++) {
        if (m[g->heads[k]]) {
            if (!cnt)
                first = g->heads[k];
            cnt++;
        }
    }
    if (cnt == 1) {
        free(m);
        *out = first;
        return DBMIG_OK;
    }
    dm_err_set(err, DBMIG_EUSAGE, "'%s@head' is ambiguous: the branch has %zu heads: ", label, cnt);
    size_t shown = 0;
    for (size_t k = 0; k < g->nheads; k++) {
        if (!m[g->heads[k]])
            continue;
        if (shown < LIST_MAX)
            dm_buf_printf(&err->msg, "%s%s", shown ? ", " : "", gr_rv_id(g, g->heads[k]));
        shown++;
    }
    if (shown > LIST_MAX)
        dm_buf_printf(&err->msg, " and %zu more", shown - LIST_MAX);
    dm_buf_puts(&err->msg, "; name one by id or join them with `dbmig merge -m MSG`");
    free(m);
    return DBMIG_EUSAGE;
}

/* <id>+N along children, <id>-N along parents. */
static int gr_walk(const dm_graph *g, const char *t, size_t from, size_t steps, int up, size_t *out,
                dm_err *err)
{
    size_t v = from;
    for (size_t k = 0; k < steps; k++) {
        const dm_rev *r = &g->revs[v];
        const size_t *next = up ? r->children : r->parents;
        size_t nnext = up ? r->nchildren : r->nparents;
        if (nnext == 1) {
            v = next[0];
            continue;
        }
        if (nnext == 0)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "'%s' goes past the end of the graph: '%s' is a %s after %zu "
                              "step%s, so at most %zu %s available",
                              t, gr_rv_id(g, v), up ? "head" : "base", k, k == 1 ? "" : "s", k,
                              k == 1 ? "is" : "are");
        dm_err_set(err, DBMIG_EUSAGE, "'%s' meets a %s at '%s' (%s) after %zu step%s: its %s are ",
                   t, up ? "branch point" : "merge", gr_rv_id(g, v), gr_rv_name(g, v), k,
                   k == 1 ? "" : "s", up ? "children" : "parents");
        gr_list_revs(&err->msg, g, next, nnext, 0);
        dm_buf_puts(&err->msg, "; name the revision you want instead");
        return DBMIG_EUSAGE;
    }
    *out = v;
    return DBMIG_OK;
}

static int gr_resolve_one(const dm_graph *g, const char *t, int mode, size_t *out, dm_err *err);

/* head-N, <label>@head-N (and +N): relative to a head. 1 when t has none
 * of these forms (the caller goes on), else the result. */
static int gr_resolve_head_rel(const dm_graph *g, const char *t, int mode, size_t *out,
                               dm_err *err)
{
    const char *p = strrchr(t, '+'), *m = strrchr(t, '-');
    const char *sg = p && (!m || p > m) ? p : m;
    size_t steps = 0, bl = sg ? (size_t)(sg - t) : 0;
    int count = sg ? gr_parse_count(sg + 1, &steps) : -1;
    if (count == -1 || dm_graph_find(g, t) != DM_NONE ||
        !((bl == 4 && strncmp(t, "head", 4) == 0) || (bl > 5 && strncmp(sg - 5, "@head", 5) == 0)))
        return 1;
    char *base = dm_strndup(t, bl);
    size_t from = DM_NONE;
    if (!base)
        return dm_err_nomem(err);
    int rc = gr_resolve_one(g, base, mode, &from, err);
    free(base);
    if (rc != DBMIG_OK)
        return rc;
    if (from == DM_NONE)
        return dm_err_set(err, DBMIG_EUSAGE, "'%s' names no revision: the folder holds none", t);
    if (count == -2)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "bad relative target '%s': N in %.*s%cN must be at least 1; %s", t,
                          (int)bl, t, *sg, gr_mode_forms(mode));
    return gr_walk(g, t, from, steps, *sg == '+', out, err);
}

/* <id>+N / <id>-N, in every mode (SPEC section 3). Ids never hold '+'
 * but may hold '-': "abc-2" is relative when abc resolves, else it may
 * still be a prefix of an id. 1 when t is not of this form (the caller
 * looks it up as an id or a prefix), else the result. */
static int gr_resolve_id_rel(const dm_graph *g, const char *t, int mode, size_t *out, dm_err *err)
{
    int unknown;
    const char *plus = strrchr(t, '+'), *minus = strrchr(t, '-');
    const char *sign = plus && (!minus || plus > minus) ? plus : minus;
    if (!sign)
        return 1;
    size_t steps = 0, from = DM_NONE;
    int up = *sign == '+';
    int count = gr_parse_count(sign + 1, &steps);
    if (count == -1)
        return up ? gr_bad_target(t, mode, err) : 1;
    char *base = dm_strndup(t, (size_t)(sign - t));
    if (!base)
        return dm_err_nomem(err);
    int rc = gr_lookup(g, base, &from, err, &unknown);
    free(base);
    if (rc == DBMIG_OK && count == -2)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "bad relative target '%s': N in <id>%cN must be at least 1; %s", t,
                          *sign, gr_mode_forms(mode));
    if (rc == DBMIG_OK)
        return gr_walk(g, t, from, steps, up, out, err);
    if (!up) { /* "zz-1" with zz ambiguous may still prefix one id */
        dm_err tmp = {0};
        int u2;
        int rc2 = gr_lookup(g, t, out, &tmp, &u2);
        dm_err_free(&tmp);
        if (rc2 == DBMIG_OK)
            return DBMIG_OK;
    }
    if (unknown)
        dm_buf_printf(&err->msg, "; %s", gr_mode_forms(mode));
    return rc;
}

/* A target naming one revision (DM_NONE: `head` of an empty graph). */
static int gr_resolve_one(const dm_graph *g, const char *t, int mode, size_t *out, dm_err *err)
{
    size_t tl = strlen(t);
    if (strcmp(t, "head") == 0)
        return gr_single_head(g, mode, out, err);
    if (tl > 5 && strcmp(t + tl - 5, "@head") == 0) {
        char *label = dm_strndup(t, tl - 5);
        if (!label)
            return dm_err_nomem(err);
        int rc = gr_label_head(g, label, out, err);
        free(label);
        return rc;
    }
    int rc = gr_resolve_head_rel(g, t, mode, out, err);
    if (rc != 1)
        return rc;
    if (!isalnum((unsigned char)t[0]) || strchr(t, '@'))
        return gr_bad_target(t, mode, err);
    size_t exact = dm_graph_find(g, t);
    if (exact != DM_NONE) {
        *out = exact;
        return DBMIG_OK;
    }
    rc = gr_resolve_id_rel(g, t, mode, out, err);
    if (rc != 1)
        return rc;
    int unknown;
    rc = gr_lookup(g, t, out, err, &unknown);
    if (rc != DBMIG_OK && unknown)
        dm_buf_printf(&err->msg, "; %s", gr_mode_forms(mode));
    return rc;
}

int dm_graph_resolve(const dm_graph *g, const char *ref, size_t *out, dm_err *err)
{
    if (!ref || !*ref)
        return gr_bad_target("", MODE_REF, err);
    if (strcmp(ref, "head") == 0 && g->nheads == 0)
        return dm_err_set(err, DBMIG_EUSAGE, "'head' names no revision: the folder holds none");
    return gr_resolve_one(g, ref, MODE_REF, out, err);
}

/* ---- targets, parsed ---------------------------------------------------- */

/* Everything about a target that does not depend on the database: its
 * form, the revision it names, `head` with several heads, walks. */
static int gr_parse_target(const dm_graph *g, const char *t, int mode, dm_target *o, dm_err *err)
{
    o->kind = DM_TG_REV;
    o->rev = DM_NONE;
    o->count = 0;
    if (!t || !*t)
        return gr_bad_target("", mode, err);
    if (strcmp(t, "base") == 0) {
        o->kind = DM_TG_BASE;
        return DBMIG_OK;
    }
    if (strcmp(t, "heads") == 0) {
        o->kind = DM_TG_HEADS;
        return DBMIG_OK;
    }
    if (t[0] == '+' || t[0] == '-') {
        int next = t[0] == '+';
        if (gr_parse_count(t + 1, &o->count) != 0)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "bad relative target '%s': N in %cN must be a whole number of at "
                              "least 1; %s",
                              t, t[0], gr_mode_forms(mode));
        if (next && mode == MODE_DOWN)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "downgrade cannot go to '%s': +N names revisions to apply, and a "
                              "downgrade only reverts; run `dbmig upgrade %s`, or give downgrade "
                              "-N, base or a revision",
                              t, t);
        if (!next && mode == MODE_UP)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "upgrade cannot go to '%s': -N reverts the %zu most recently "
                              "applied revision%s, and an upgrade only applies; run `dbmig "
                              "downgrade %s`",
                              t, o->count, o->count == 1 ? "" : "s", t);
        o->kind = next ? DM_TG_NEXT : DM_TG_LAST;
        return next ? gr_single_head(g, mode, &o->rev, err) : DBMIG_OK;
    }
    return gr_resolve_one(g, t, mode, &o->rev, err);
}

int dm_target_check(const dm_graph *g, const char *target, dm_target_cmd cmd, dm_err *err)
{
    dm_target tg;
    int mode = cmd == DM_TARGET_UPGRADE ? MODE_UP : cmd == DM_TARGET_DOWNGRADE ? MODE_DOWN
                                                                                : MODE_STAMP;
    return gr_parse_target(g, target, mode, &tg, err);
}

int dm_graph_parse_target(const dm_graph *g, const char *target, dm_target_cmd cmd, dm_target *o,
                          dm_err *err)
{
    int mode = cmd == DM_TARGET_UPGRADE ? MODE_UP : cmd == DM_TARGET_DOWNGRADE ? MODE_DOWN
                                                                                : MODE_STAMP;
    return gr_parse_target(g, target, mode, o, err);
}

/* Exported for the planner (plan.c): its messages list revisions the same way. */
void dm_graph_list_revs(dm_buf *b, const dm_graph *g, const size_t *idx, size_t n, int with_files)
{
    gr_list_revs(b, g, idx, n, with_files);
}

const char *dm_graph_rev_name(const dm_graph *g, size_t i) { return gr_rv_name(g, i); }

int dm_graph_check_drivers(const dm_graph *g, const char *plugin_path, const char *driver,
                           dm_err *err)
{
    dm_strv plugins = {0};
    int listed = 0, rc = DBMIG_OK;
    for (size_t i = 0; i < g->n && rc == DBMIG_OK; i++) {
        const dm_migfile *f = &g->revs[i].file;
        if (!listed && dm_migfile_names_plugin(f)) {
            listed = 1;
            rc = dm_plugin_names(plugin_path, &plugins, err);
        }
        if (rc == DBMIG_OK)
            rc = dm_migfile_check_drivers(f, listed ? &plugins : NULL, driver, err);
    }
    dm_strv_free(&plugins);
    return rc;
}
