/* test_graph_props.c — property tests of the planner on random DAGs of up to
 * 500 revisions: random branching and merging, several bases, depends edges,
 * branch labels. Every target form is checked against a brute-force model
 * built from bitsets:
 *  - upgrade: exactly the unapplied ancestors (parents and depends) of the
 *    target, each after all of its parents and depends, in the graph's order;
 *  - downgrade: exactly the applied strict descendants, each before any of
 *    its applied children and dependents; -N, +N, <id>+N, <id>-N, label@head;
 *  - upgrade then downgrade -N (N = what the upgrade applied) restores the
 *    applied set, and so do `downgrade base` from nothing and `downgrade H`
 *    from the state "H and its ancestors";
 *  - stamp and missing ancestors;
 *  - determinism: a second graph built from the files in another order gives
 *    the same order and the same plans, id for id.
 * A failure prints the seed; DBMIG_GRAPH_SEED=<seed> DBMIG_GRAPH_CASES=1
 * replays it. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "plan.h"

#define MAXN 500
#define W ((MAXN + 63) / 64)

typedef struct bs {
    uint64_t w[W];
} bs;

static void bs_set(bs *b, size_t i) { b->w[i / 64] |= 1ull << (i % 64); }
static int bs_has(const bs *b, size_t i) { return (int)(b->w[i / 64] >> (i % 64) & 1); }
static void bs_or(bs *a, const bs *b)
{
    for (size_t k = 0; k < W; k++)
        a->w[k] |= b->w[k];
}
static int bs_eq(const bs *a, const bs *b) { return memcmp(a, b, sizeof *a) == 0; }
static int bs_subset(const bs *a, const bs *b) /* a ⊆ b */
{
    for (size_t k = 0; k < W; k++)
        if (a->w[k] & ~b->w[k])
            return 0;
    return 1;
}
static int bs_disjoint(const bs *a, const bs *b)
{
    for (size_t k = 0; k < W; k++)
        if (a->w[k] & b->w[k])
            return 0;
    return 1;
}
static size_t bs_count(const bs *a)
{
    size_t c = 0;
    for (size_t k = 0; k < W; k++)
        c += (size_t)__builtin_popcountll(a->w[k]);
    return c;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static uint64_t g_seed; /* the case being run, for messages */

#define PCHECK(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            fail_msg("seed %llu: %s (line %d); replay with DBMIG_GRAPH_SEED=%llu "                 \
                     "DBMIG_GRAPH_CASES=1",                                                        \
                     (unsigned long long)g_seed, #c, __LINE__, (unsigned long long)g_seed);        \
    } while (0)

/* The model: nodes in creation order 0..n-1, edges only to earlier nodes. */
typedef struct model {
    size_t n;
    char ids[MAXN][24];
    int label[MAXN];      /* -1 or label number */
    bs par[MAXN], pred[MAXN]; /* parents; parents and depends */
    bs anc[MAXN];         /* inclusive, parents and depends */
    bs desc[MAXN];        /* inclusive */
    bs succ[MAXN];        /* direct children and dependents */
    bs pdesc[MAXN];       /* inclusive, children only */
    size_t nchild[MAXN];
    size_t child1[MAXN];  /* the child when nchild == 1 */
    size_t npar[MAXN];
    size_t par1[MAXN];    /* the parent when npar == 1 */
    size_t gi[2][MAXN];   /* graph index of node k, per graph */
    size_t ci[2][MAXN];   /* node of graph index */
} model;

#define NLABELS 6

static void gen(model *m, uint64_t *s, size_t n)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    for (size_t k = 0; k < n; k++) {
        snprintf(m->ids[k], sizeof m->ids[k], "%c%c-%zu", "abcdefgh"[rnd(s) % 8],
                 "0123xyz"[rnd(s) % 7], k);
        m->label[k] = rnd(s) % 12 == 0 ? (int)(rnd(s) % NLABELS) : -1;
        if (k == 0 || rnd(s) % 25 == 0)
            continue; /* a base */
        size_t kind = (size_t)(rnd(s) % 8);
        if (kind == 0) { /* a merge of 2-3 revisions */
            size_t np = 2 + (size_t)(rnd(s) % 2);
            for (size_t q = 0; q < np; q++)
                bs_set(&m->par[k], k - 1 - (size_t)(rnd(s) % (k < 12 ? k : 12)));
        } else if (kind <= 5) { /* the chain goes on */
            bs_set(&m->par[k], k - 1);
        } else { /* a branch off an earlier revision */
            bs_set(&m->par[k], (size_t)(rnd(s) % k));
        }
        m->pred[k] = m->par[k];
        if (rnd(s) % 8 == 0)
            bs_set(&m->pred[k], (size_t)(rnd(s) % k));
    }
    for (size_t k = 0; k < n; k++) {
        bs_set(&m->anc[k], k);
        for (size_t p = 0; p < k; p++) {
            if (bs_has(&m->pred[k], p)) {
                bs_or(&m->anc[k], &m->anc[p]);
                bs_set(&m->succ[p], k);
            }
            if (bs_has(&m->par[k], p)) {
                m->par1[k] = p;
                m->npar[k]++;
                m->child1[p] = k;
                m->nchild[p]++;
            }
        }
    }
    for (size_t k = 0; k < n; k++) /* children-only ancestry, then transpose */
        for (size_t j = k; j < n; j++)
            if (bs_has(&m->anc[j], k))
                bs_set(&m->desc[k], j);
    /* pdesc by sweeping in creation order */
    for (size_t k = n; k-- > 0;) {
        bs_set(&m->pdesc[k], k);
        for (size_t j = k + 1; j < n; j++)
            if (bs_has(&m->par[j], k))
                bs_or(&m->pdesc[k], &m->pdesc[j]);
    }
}

static void add_file(dm_migfile *f, const model *m, size_t k, size_t pos)
{
    memset(f, 0, sizeof *f);
    char name[48];
    snprintf(name, sizeof name, "f%03zu_x.sql", pos);
    f->filename = dm_strdup(name);
    f->path = dm_strdup(name);
    f->revision = dm_strdup(m->ids[k]);
    f->parents_set = 1;
    for (size_t p = 0; p < k; p++) {
        if (bs_has(&m->par[k], p))
            assert_int_equal(dm_strv_push(&f->parents, m->ids[p]), 0);
        else if (bs_has(&m->pred[k], p))
            assert_int_equal(dm_strv_push(&f->depends, m->ids[p]), 0);
    }
    if (m->label[k] >= 0) {
        char l[16];
        snprintf(l, sizeof l, "lbl%d", m->label[k]);
        assert_int_equal(dm_strv_push(&f->branches, l), 0);
    }
    f->message = dm_strdup(name);
    f->transaction = 1;
}

static void build_graph(model *m, uint64_t *s, int t, dm_graph *g)
{
    size_t n = m->n, perm[MAXN];
    for (size_t k = 0; k < n; k++)
        perm[k] = k;
    for (size_t k = n; k > 1; k--) {
        size_t j = (size_t)(rnd(s) % k), tmp = perm[k - 1];
        perm[k - 1] = perm[j];
        perm[j] = tmp;
    }
    dm_migfile *fs = calloc(n, sizeof *fs);
    assert_non_null(fs);
    for (size_t i = 0; i < n; i++)
        add_file(&fs[i], m, perm[i], i);
    dm_err err = {0};
    int rc = dm_graph_build(g, fs, n, &err);
    free(fs);
    if (rc != DBMIG_OK)
        fail_msg("seed %llu: build: %s", (unsigned long long)g_seed, dm_err_msg(&err));
    dm_err_free(&err);
    PCHECK(g->n == n);
    for (size_t k = 0; k < n; k++) {
        m->gi[t][k] = dm_graph_find(g, m->ids[k]);
        PCHECK(m->gi[t][k] != DM_NONE);
        m->ci[t][m->gi[t][k]] = k;
    }
}

/* An applied state in model terms: the set and the order of application. */
typedef struct state {
    bs set;
    size_t seq[MAXN];
    size_t nseq;
} state;

static void to_applied(const model *m, int t, const state *st, dm_applied *a)
{
    a->is = calloc(m->n ? m->n : 1, 1);
    a->by_seq = calloc(m->n ? m->n : 1, sizeof *a->by_seq);
    assert_true(a->is && a->by_seq);
    a->nseq = st->nseq;
    for (size_t k = 0; k < st->nseq; k++) {
        a->is[m->gi[t][st->seq[k]]] = 1;
        a->by_seq[k] = m->gi[t][st->seq[k]];
    }
}

static void free_applied(dm_applied *a)
{
    free(a->is);
    free(a->by_seq);
}

typedef int (*plan_fn)(const dm_graph *, const dm_applied *, const char *, dm_plan *, dm_err *);

/* Runs a plan on both graphs; they must agree id for id. Returns the rc;
 * the plan (in model nodes) goes to out[0..*nout). */
static int plan2(plan_fn fn, const model *m, dm_graph g[2], const state *st, const char *target,
                 size_t *out, size_t *nout, char *msg, size_t msgcap)
{
    int rcs[2];
    size_t tmp[MAXN], ntmp = 0;
    for (int t = 0; t < 2; t++) {
        dm_applied a;
        to_applied(m, t, st, &a);
        dm_plan p;
        dm_err err = {0};
        rcs[t] = fn(&g[t], &a, target, &p, &err);
        if (rcs[t] == DBMIG_OK) {
            PCHECK(p.n <= m->n);
            for (size_t k = 0; k < p.n; k++)
                (t ? tmp : out)[k] = m->ci[t][p.v[k]];
            if (t)
                ntmp = p.n;
            else
                *nout = p.n;
        } else {
            PCHECK(p.n == 0 && p.v == NULL);
            if (!t && msg)
                snprintf(msg, msgcap, "%s", dm_err_msg(&err));
        }
        dm_plan_free(&p);
        dm_err_free(&err);
        free_applied(&a);
    }
    PCHECK(rcs[0] == rcs[1]);
    if (rcs[0] == DBMIG_OK) {
        PCHECK(ntmp == *nout);
        for (size_t k = 0; k < ntmp; k++)
            PCHECK(tmp[k] == out[k]); /* determinism: the same plan from either file order */
    }
    return rcs[0];
}

/* The plan's elements follow g[0]'s order (ties by id are the graph's). */
static void in_graph_order(const model *m, const dm_graph *g, const size_t *v, size_t n,
                           int reverse)
{
    size_t last = 0;
    for (size_t k = 0; k < n; k++) {
        size_t topo = g->revs[m->gi[0][v[k]]].topo;
        if (k)
            PCHECK(reverse ? topo < last : topo > last);
        last = topo;
    }
}

/* Upgrade plan check: exactly want, parents and depends first. Applies it
 * to st (appending to the sequence). */
static void check_up(const model *m, const dm_graph *g, state *st, const size_t *v, size_t n,
                     const bs *want)
{
    bs got = {{0}};
    for (size_t k = 0; k < n; k++) {
        size_t x = v[k];
        PCHECK(!bs_has(&got, x) && !bs_has(&st->set, x));
        PCHECK(bs_subset(&m->pred[x], &st->set)); /* everything it needs is applied */
        bs_set(&got, x);
        bs_set(&st->set, x);
        st->seq[st->nseq++] = x;
    }
    PCHECK(bs_eq(&got, want));
    in_graph_order(m, g, v, n, 0);
}

/* Downgrade plan check: exactly want (all applied), each reverted after its
 * applied children and dependents. Reverts it in st. */
static void check_down(const model *m, const dm_graph *g, state *st, const size_t *v, size_t n,
                       const bs *want)
{
    bs got = {{0}};
    for (size_t k = 0; k < n; k++) {
        size_t x = v[k];
        PCHECK(bs_has(&st->set, x) && !bs_has(&got, x));
        st->set.w[x / 64] &= ~(1ull << (x % 64));
        PCHECK(bs_disjoint(&m->succ[x], &st->set)); /* nothing applied still needs it */
        bs_set(&got, x);
    }
    PCHECK(bs_eq(&got, want));
    in_graph_order(m, g, v, n, 1);
    size_t j = 0;
    for (size_t k = 0; k < st->nseq; k++)
        if (!bs_has(&got, st->seq[k]))
            st->seq[j++] = st->seq[k];
    st->nseq = j;
}

static int is_head(const model *m, size_t k) { return m->nchild[k] == 0; }

static size_t nheads(const model *m)
{
    size_t c = 0;
    for (size_t k = 0; k < m->n; k++)
        c += (size_t)is_head(m, k);
    return c;
}

/* Upgrade to `target` (model set of target revisions `tset`), then check
 * that reverting restores the state. */
static void up_and_back(const model *m, dm_graph g[2], const state *st0, const char *target,
                        const bs *tset, int closed, size_t start_head)
{
    size_t v[MAXN], n = 0;
    char msg[512];
    int rc = plan2(dm_plan_upgrade, m, g, st0, target, v, &n, msg, sizeof msg);
    if (rc != DBMIG_OK)
        fail_msg("seed %llu: upgrade %s: %s", (unsigned long long)g_seed, target, msg);
    bs want = {{0}};
    for (size_t k = 0; k < m->n; k++)
        if (bs_has(tset, k))
            bs_or(&want, &m->anc[k]);
    for (size_t k = 0; k < W; k++)
        want.w[k] &= ~st0->set.w[k];
    state st = *st0;
    check_up(m, &g[0], &st, v, n, &want);
    if (!closed || n == 0)
        return;
    /* back: -N reverts exactly what was applied */
    char tg[32];
    snprintf(tg, sizeof tg, "-%zu", n);
    size_t d[MAXN], nd = 0;
    PCHECK(plan2(dm_plan_downgrade, m, g, &st, tg, d, &nd, NULL, 0) == DBMIG_OK);
    state back = st;
    check_down(m, &g[0], &back, d, nd, &want);
    PCHECK(bs_eq(&back.set, &st0->set));
    if (st0->nseq == 0) {
        PCHECK(plan2(dm_plan_downgrade, m, g, &st, "base", d, &nd, NULL, 0) == DBMIG_OK);
        back = st;
        check_down(m, &g[0], &back, d, nd, &want);
        PCHECK(back.nseq == 0);
    }
    if (start_head != DM_NONE) {
        /* from "H and its ancestors", downgrade H reverts the new descendants of H */
        bs w2 = {{0}};
        for (size_t k = 0; k < W; k++)
            w2.w[k] = want.w[k] & m->desc[start_head].w[k];
        PCHECK(plan2(dm_plan_downgrade, m, g, &st, m->ids[start_head], d, &nd, NULL, 0) ==
               DBMIG_OK);
        back = st;
        check_down(m, &g[0], &back, d, nd, &w2);
        if (bs_eq(&w2, &want))
            PCHECK(bs_eq(&back.set, &st0->set));
    }
}

static void check_state(const model *m, dm_graph g[2], const state *st, int closed,
                        size_t start_head, uint64_t *s)
{
    size_t n = m->n, v[MAXN], nv;
    char tg[64], msg[512];
    bs one;
    /* every revision as a target: upgrade, downgrade, stamp */
    for (size_t t = 0; t < n; t++) {
        memset(&one, 0, sizeof one);
        bs_set(&one, t);
        up_and_back(m, g, st, m->ids[t], &one, closed, start_head);
        /* downgrade: applied strict descendants; a target that is not
         * applied is refused (SPEC section 3) */
        int rc0 = plan2(dm_plan_downgrade, m, g, st, m->ids[t], v, &nv, msg, sizeof msg);
        PCHECK(bs_has(&st->set, t) ? rc0 == DBMIG_OK
                                   : rc0 == DBMIG_EUSAGE && strstr(msg, "is not applied"));
        if (rc0 != DBMIG_OK)
            nv = 0;
        bs want = bs_has(&st->set, t) ? m->desc[t] : (bs){{0}};
        want.w[t / 64] &= ~(1ull << (t % 64));
        for (size_t k = 0; k < W; k++)
            want.w[k] &= st->set.w[k];
        state cp = *st;
        check_down(m, &g[0], &cp, v, nv, &want);
        /* stamp: (applied − desc) ∪ anc */
        for (int gt = 0; gt < 2; gt++) {
            dm_applied a;
            to_applied(m, gt, st, &a);
            unsigned char out[MAXN];
            dm_err err = {0};
            PCHECK(dm_plan_stamp(&g[gt], &a, m->ids[t], out, &err) == DBMIG_OK);
            for (size_t k = 0; k < n; k++) {
                int want_k = (bs_has(&st->set, k) && !bs_has(&m->desc[t], k)) ||
                             bs_has(&m->anc[t], k);
                PCHECK(out[m->gi[gt][k]] == want_k);
            }
            dm_err_free(&err);
            free_applied(&a);
        }
        /* <id>+N along children (upgrade), <id>-N along parents (downgrade) */
        for (size_t steps = 1; steps <= 2; steps++) {
            size_t x = t, ok = 1;
            for (size_t q = 0; q < steps && ok; q++) {
                if (m->nchild[x] == 1)
                    x = m->child1[x];
                else
                    ok = 0;
            }
            snprintf(tg, sizeof tg, "%s+%zu", m->ids[t], steps);
            if (ok) {
                memset(&one, 0, sizeof one);
                bs_set(&one, x);
                up_and_back(m, g, st, tg, &one, closed, start_head);
            } else {
                PCHECK(plan2(dm_plan_upgrade, m, g, st, tg, v, &nv, msg, sizeof msg) ==
                       DBMIG_EUSAGE);
                PCHECK(strstr(msg, "branch point") || strstr(msg, "past the end"));
            }
            x = t;
            ok = 1;
            for (size_t q = 0; q < steps && ok; q++) {
                if (m->npar[x] == 1)
                    x = m->par1[x];
                else
                    ok = 0;
            }
            snprintf(tg, sizeof tg, "%s-%zu", m->ids[t], steps);
            int rc = plan2(dm_plan_downgrade, m, g, st, tg, v, &nv, msg, sizeof msg);
            if (ok && !bs_has(&st->set, x)) {
                PCHECK(rc == DBMIG_EUSAGE && strstr(msg, "is not applied"));
            } else if (ok) {
                PCHECK(rc == DBMIG_OK);
                want = m->desc[x];
                want.w[x / 64] &= ~(1ull << (x % 64));
                for (size_t k = 0; k < W; k++)
                    want.w[k] &= st->set.w[k];
                cp = *st;
                check_down(m, &g[0], &cp, v, nv, &want);
            } else {
                PCHECK(rc == DBMIG_EUSAGE);
                PCHECK(strstr(msg, "merge") || strstr(msg, "past the end"));
            }
        }
    }
    /* heads, head, base */
    bs all = {{0}}, hs = {{0}};
    for (size_t k = 0; k < n; k++) {
        bs_set(&all, k);
        if (is_head(m, k))
            bs_set(&hs, k);
    }
    up_and_back(m, g, st, "heads", &hs, closed, start_head);
    size_t nh = nheads(m);
    if (nh == 1) {
        up_and_back(m, g, st, "head", &hs, closed, start_head);
    } else {
        PCHECK(plan2(dm_plan_upgrade, m, g, st, "head", v, &nv, msg, sizeof msg) == DBMIG_EUSAGE);
        PCHECK(strstr(msg, "several heads") && strstr(msg, "dbmig merge"));
    }
    PCHECK(plan2(dm_plan_upgrade, m, g, st, "base", v, &nv, NULL, 0) == DBMIG_OK && nv == 0);
    PCHECK(plan2(dm_plan_downgrade, m, g, st, "base", v, &nv, NULL, 0) == DBMIG_OK);
    {
        state cp = *st;
        check_down(m, &g[0], &cp, v, nv, &st->set);
        PCHECK(cp.nseq == 0);
    }
    /* +N: the first N of the plan to head */
    if (nh == 1) {
        size_t full[MAXN], nfull;
        PCHECK(plan2(dm_plan_upgrade, m, g, st, "head", full, &nfull, NULL, 0) == DBMIG_OK);
        size_t tries[3] = {1, 1 + (size_t)(rnd(s) % (nfull + 1)), nfull + 1};
        for (size_t q = 0; q < 3; q++) {
            snprintf(tg, sizeof tg, "+%zu", tries[q]);
            int rc = plan2(dm_plan_upgrade, m, g, st, tg, v, &nv, NULL, 0);
            if (tries[q] <= nfull) {
                PCHECK(rc == DBMIG_OK && nv == tries[q]);
                for (size_t k = 0; k < nv; k++)
                    PCHECK(v[k] == full[k]);
            } else {
                PCHECK(rc == DBMIG_EUSAGE);
            }
        }
    } else {
        PCHECK(plan2(dm_plan_upgrade, m, g, st, "+1", v, &nv, NULL, 0) == DBMIG_EUSAGE);
    }
    /* -N: the N last applied and their applied descendants */
    for (size_t q = 0; q < 3; q++) {
        size_t N = q == 0 ? 1 : q == 1 ? 1 + (size_t)(rnd(s) % (st->nseq + 1)) : st->nseq + 1;
        snprintf(tg, sizeof tg, "-%zu", N);
        int rc = plan2(dm_plan_downgrade, m, g, st, tg, v, &nv, NULL, 0);
        if (N > st->nseq) {
            PCHECK(rc == DBMIG_EUSAGE);
            continue;
        }
        PCHECK(rc == DBMIG_OK);
        bs want = {{0}};
        for (size_t k = st->nseq - N; k < st->nseq; k++)
            bs_or(&want, &m->desc[st->seq[k]]);
        for (size_t k = 0; k < W; k++)
            want.w[k] &= st->set.w[k];
        state cp = *st;
        check_down(m, &g[0], &cp, v, nv, &want);
    }
    /* label@head: the single head among the children-descendants of the
     * revisions carrying the label */
    for (int l = 0; l < NLABELS; l++) {
        bs d = {{0}};
        size_t carriers = 0;
        for (size_t k = 0; k < n; k++)
            if (m->label[k] == l) {
                bs_or(&d, &m->pdesc[k]);
                carriers++;
            }
        snprintf(tg, sizeof tg, "lbl%d@head", l);
        if (!carriers) {
            PCHECK(plan2(dm_plan_upgrade, m, g, st, tg, v, &nv, msg, sizeof msg) == DBMIG_EUSAGE);
            PCHECK(strstr(msg, "no revision carries"));
            continue;
        }
        size_t cnt = 0, h = 0;
        for (size_t k = 0; k < n; k++)
            if (bs_has(&d, k) && is_head(m, k)) {
                cnt++;
                h = k;
            }
        if (cnt == 1) {
            memset(&one, 0, sizeof one);
            bs_set(&one, h);
            up_and_back(m, g, st, tg, &one, closed, start_head);
        } else {
            PCHECK(plan2(dm_plan_upgrade, m, g, st, tg, v, &nv, msg, sizeof msg) == DBMIG_EUSAGE);
            PCHECK(strstr(msg, "ambiguous"));
        }
    }
    /* missing ancestors */
    bs closure = {{0}};
    for (size_t k = 0; k < n; k++)
        if (bs_has(&st->set, k))
            bs_or(&closure, &m->anc[k]);
    for (size_t k = 0; k < W; k++)
        closure.w[k] &= ~st->set.w[k];
    for (int gt = 0; gt < 2; gt++) {
        dm_applied a;
        to_applied(m, gt, st, &a);
        unsigned char miss[MAXN];
        PCHECK(dm_graph_missing(&g[gt], &a, miss) == bs_count(&closure));
        for (size_t k = 0; k < n; k++)
            PCHECK(miss[m->gi[gt][k]] == bs_has(&closure, k));
        free_applied(&a);
    }
    if (closed)
        PCHECK(bs_count(&closure) == 0);
}

static void random_case(uint64_t seed, size_t n)
{
    g_seed = seed;
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
    model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    gen(m, &s, n);
    dm_graph g[2];
    build_graph(m, &s, 0, &g[0]);
    build_graph(m, &s, 1, &g[1]);

    /* the same order and heads whatever the file order; Kahn, ties by id */
    for (size_t k = 0; k < n; k++)
        PCHECK(m->ci[0][g[0].order[k]] == m->ci[1][g[1].order[k]]);
    bs done = {{0}};
    for (size_t k = 0; k < n; k++) {
        const char *best = NULL;
        for (size_t x = 0; x < n; x++)
            if (!bs_has(&done, x) && bs_subset(&m->pred[x], &done) &&
                (!best || strcmp(m->ids[x], best) < 0))
                best = m->ids[x];
        PCHECK(best && strcmp(best, g[0].revs[g[0].order[k]].id) == 0);
        bs_set(&done, m->ci[0][g[0].order[k]]);
    }
    PCHECK(g[0].nheads == nheads(m));
    size_t nb = 0;
    for (size_t k = 0; k < n; k++)
        nb += m->npar[k] == 0;
    PCHECK(g[0].nbases == nb);

    state *st = calloc(1, sizeof *st);
    assert_non_null(st);
    /* nothing applied */
    check_state(m, g, st, 1, DM_NONE, &s);
    /* H and its ancestors, applied in creation order */
    size_t h0 = (size_t)(rnd(&s) % n);
    memset(st, 0, sizeof *st);
    for (size_t k = 0; k < n; k++)
        if (bs_has(&m->anc[h0], k)) {
            bs_set(&st->set, k);
            st->seq[st->nseq++] = k;
        }
    check_state(m, g, st, 1, h0, &s);
    /* a random closed set */
    memset(st, 0, sizeof *st);
    bs cl = {{0}};
    for (size_t q = 0, nq = 1 + (size_t)(rnd(&s) % 4); q < nq; q++)
        bs_or(&cl, &m->anc[(size_t)(rnd(&s) % n)]);
    for (size_t k = 0; k < n; k++)
        if (bs_has(&cl, k)) {
            bs_set(&st->set, k);
            st->seq[st->nseq++] = k;
        }
    check_state(m, g, st, 1, DM_NONE, &s);
    /* an arbitrary set (missing ancestors), shuffled order of application */
    memset(st, 0, sizeof *st);
    for (size_t k = 0; k < n; k++)
        if (rnd(&s) % 3 == 0) {
            bs_set(&st->set, k);
            st->seq[st->nseq++] = k;
        }
    for (size_t k = st->nseq; k > 1; k--) {
        size_t j = (size_t)(rnd(&s) % k), tmp = st->seq[k - 1];
        st->seq[k - 1] = st->seq[j];
        st->seq[j] = tmp;
    }
    check_state(m, g, st, 0, DM_NONE, &s);

    free(st);
    dm_graph_free(&g[0]);
    dm_graph_free(&g[1]);
    free(m);
}

static void test_random_dags_500(void **state)
{
    (void)state;
    const char *env = getenv("DBMIG_GRAPH_SEED");
    const char *cenv = getenv("DBMIG_GRAPH_CASES");
    uint64_t base = env ? strtoull(env, NULL, 10) : 20251117u;
    size_t cases = cenv ? (size_t)strtoul(cenv, NULL, 10) : 24;
    print_message("random DAGs: seeds %llu..%llu\n", (unsigned long long)base,
                  (unsigned long long)(base + cases - 1));
    for (size_t k = 0; k < cases; k++) {
        uint64_t seed = base + k, s = seed | 1;
        /* sizes: mostly large, always one of exactly 500 */
        size_t n = k == 0 ? MAXN : k % 3 == 0 ? 1 + (size_t)(rnd(&s) % 40)
                                               : 250 + (size_t)(rnd(&s) % (MAXN - 249));
        random_case(seed, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_dags_500),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
