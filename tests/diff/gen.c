/* gen.c — the closure test's schema generator (closure.h says what a spec
 * is and why): random specs, their mutations (one function per kind of
 * issue 16 item 2), the clean-up that keeps a mutated spec valid
 * (gen_normalize), and the rendering as DDL and rows per dialect.
 *
 * What each dialect gets: PostgreSQL every kind (partial, expression and
 * hash indexes, stored generated columns, sequences, enum types when the
 * model has them); SQLite partial and expression indexes, virtual and
 * stored generated columns, foreign keys inside CREATE TABLE; MariaDB
 * virtual and stored generated columns, no partial or expression index
 * (MariaDB has neither), no TEXT column (no index on it without a length).
 */
#include <stdio.h>
#include <string.h>

#include "closure.h"

uint64_t grng_next(grng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int grng_int(grng *r, int n) { return n <= 1 ? 0 : (int)(grng_next(r) % (uint64_t)n); }

/* ---- types ------------------------------------------------------------ */

static const char *const TYPES[3][G_N][3] = {
    [GD_PG] = {{"smallint", "integer", "bigint"},
               {"numeric(10,2)", "numeric(12,2)"},
               {"varchar(20)", "varchar(40)", "text"},
               {"boolean"},
               {"date", "timestamp"},
               {0}},
    [GD_MY] = {{"smallint", "int", "bigint"},
               {"decimal(10,2)", "decimal(12,2)"},
               {"varchar(20)", "varchar(40)"},
               {"boolean"},
               {"date", "datetime"},
               {0}},
    [GD_SQ] = {{"INTEGER", "BIGINT", "SMALLINT"},
               {"NUMERIC(10,2)", "REAL"},
               {"TEXT", "VARCHAR(20)", "VARCHAR(40)"},
               {"BOOLEAN"},
               {"DATE", "DATETIME"},
               {0}},
};

static int ntypes(int d, int g)
{
    int n = 0;
    while (n < 3 && TYPES[d][g][n])
        n++;
    return n;
}

/* ---- look-ups ---------------------------------------------------------- */

static gtable *tab(gspec *sp, const char *n)
{
    for (int i = 0; i < sp->nt; i++)
        if (!strcmp(sp->t[i].name, n))
            return &sp->t[i];
    return NULL;
}

static int tab_index(const gspec *sp, const char *n)
{
    for (int i = 0; i < sp->nt; i++)
        if (!strcmp(sp->t[i].name, n))
            return i;
    return -1;
}

static gcol *col(gtable *t, const char *n)
{
    for (int i = 0; i < t->nc; i++)
        if (!strcmp(t->c[i].name, n))
            return &t->c[i];
    return NULL;
}

static const gcol *ccol(const gtable *t, const char *n) { return col((gtable *)t, n); }

static genum *enm(gspec *sp, const char *n)
{
    for (int i = 0; i < sp->ne; i++)
        if (!strcmp(sp->e[i].name, n))
            return &sp->e[i];
    return NULL;
}

static const genum *cenm(const gspec *sp, const char *n) { return enm((gspec *)sp, n); }

static int in_pk(const gtable *t, const char *c)
{
    for (int i = 0; i < t->npk; i++)
        if (!strcmp(t->pk[i], c))
            return 1;
    return 0;
}

/* Copies a name (memmove: src may be dst's neighbour in a spec). */
static void cpy(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= GN)
        n = GN - 1;
    memmove(dst, src, n);
    dst[n] = 0;
}

static void fresh(gspec *sp, char pfx, gname out)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%c%d", pfx, ++sp->counter);
    cpy(out, tmp);
}

/* A column's group and type index, for a key's types to match. */
static int same_type(const gcol *a, const gcol *b)
{
    return a->grp == b->grp && a->ty == b->ty && (a->grp != G_ENUM || !strcmp(a->ename, b->ename));
}

/* Columns a check, an expression index or a generated column reads: their
 * group may not change (the expression would not type-check). */
static int pinned(const gtable *t, const char *c)
{
    for (int i = 0; i < t->nk; i++)
        if (!strcmp(t->k[i].col, c))
            return 1;
    for (int i = 0; i < t->ni; i++)
        if (t->i[i].kind == 2 && !strcmp(t->i[i].c[0], c))
            return 1;
    for (int i = 0; i < t->nc; i++)
        if (t->c[i].gen && !strcmp(t->c[i].src, c))
            return 1;
    return 0;
}

/* ---- random pieces ------------------------------------------------------ */

static int rand_group(const gspec *sp, grng *r)
{
    static const int g[] = {G_INT, G_INT, G_DEC, G_TXT, G_TXT, G_BOOL, G_DATE};
    if (sp->ne > 0 && grng_int(r, 8) == 0)
        return G_ENUM;
    return g[grng_int(r, (int)(sizeof g / sizeof g[0]))];
}

static void rand_col(gspec *sp, grng *r, gcol *c, int grp)
{
    memset(c, 0, sizeof *c);
    fresh(sp, 'c', c->name);
    c->grp = grp < 0 ? rand_group(sp, r) : grp;
    if (c->grp == G_ENUM)
        cpy(c->ename, sp->e[grng_int(r, sp->ne)].name);
    else
        c->ty = grng_int(r, ntypes(sp->d, c->grp));
    c->notnull = grng_int(r, 5) < 2;
    c->has_def = grng_int(r, 5) < 2;
    c->defv = grng_int(r, 10);
}

/* A random non-generated column of t (excluding PK columns when nopk), or NULL. */
static gcol *pick_col(gtable *t, grng *r, int nopk, int nogen)
{
    int idx[MAXC], n = 0;
    for (int i = 0; i < t->nc; i++) {
        if (nogen && t->c[i].gen)
            continue;
        if (nopk && in_pk(t, t->c[i].name))
            continue;
        idx[n++] = i;
    }
    return n ? &t->c[idx[grng_int(r, n)]] : NULL;
}

static gtable *pick_tab(gspec *sp, grng *r) { return sp->nt ? &sp->t[grng_int(r, sp->nt)] : NULL; }

static void new_table(gspec *sp, grng *r)
{
    gtable *t = &sp->t[sp->nt++];
    memset(t, 0, sizeof *t);
    fresh(sp, 't', t->name);
    int n = 2 + grng_int(r, 3);
    for (int i = 0; i < n; i++)
        rand_col(sp, r, &t->c[t->nc++], i == 0 ? (grng_int(r, 4) ? G_INT : G_TXT) : -1);
    t->npk = 1 + (grng_int(r, 4) == 0);
    for (int i = 0; i < t->npk; i++) {
        cpy(t->pk[i], t->c[i].name);
        t->c[i].notnull = 1;
    }
}

/* ---- the clean-up ------------------------------------------------------- */

static int check_ok(int grp) { return grp == G_INT || grp == G_DEC || grp == G_TXT || grp == G_DATE; }
static int expr_ok(int grp) { return grp == G_INT || grp == G_DEC || grp == G_TXT; }

#define DEL(arr, n, i) (memmove(&(arr)[i], &(arr)[(i) + 1], sizeof((arr)[0]) * (size_t)((n) - (i) - 1)), (n)--)

static int norm_cols(gspec *sp, gtable *t)
{
    int ch = 0;
    for (int i = 0; i < t->nc; i++) {
        gcol *c = &t->c[i];
        const gcol *s = c->gen ? col(t, c->src) : NULL;
        int bad = (c->grp == G_ENUM && !enm(sp, c->ename)) ||
                  (c->gen && (!s || s->gen || (s->grp != G_INT && s->grp != G_DEC)));
        if (bad) {
            DEL(t->c, t->nc, i);
            i--, ch = 1;
        }
    }
    for (int i = 0; i < t->npk; i++) {
        if (!col(t, t->pk[i])) { /* never by a mutation's choice: kept valid anyway */
            DEL(t->pk, t->npk, i);
            i--, ch = 1;
            continue;
        }
        col(t, t->pk[i])->notnull = 1;
    }
    return ch;
}

static int cols_exist(gtable *t, const gname *c, int n)
{
    for (int i = 0; i < n; i++)
        if (!col(t, c[i]))
            return 0;
    return 1;
}

static int fk_ok(gspec *sp, gtable *t, gfk *f)
{
    gtable *rt = tab(sp, f->ref);
    if (!rt || tab_index(sp, f->ref) > tab_index(sp, t->name) || rt->npk != f->n)
        return 0;
    for (int j = 0; j < f->n; j++) {
        const gcol *a = col(t, f->c[j]), *b = col(rt, rt->pk[j]);
        if (!a || !b || a->gen || strcmp(f->rc[j], rt->pk[j]) || !same_type(a, b))
            return 0;
    }
    return 1;
}

static int norm_keys(gspec *sp, gtable *t)
{
    int ch = 0;
    for (int i = 0; i < t->nu; i++)
        if (!cols_exist(t, t->u[i].c, t->u[i].n))
            DEL(t->u, t->nu, i), i--, ch = 1;
    for (int i = 0; i < t->nk; i++) {
        const gcol *c = col(t, t->k[i].col);
        if (!c || c->grp != t->k[i].grp)
            DEL(t->k, t->nk, i), i--, ch = 1;
    }
    for (int i = 0; i < t->ni; i++) {
        gidx *x = &t->i[i];
        if (!cols_exist(t, x->c, x->n) || (x->kind == 2 && col(t, x->c[0])->grp != x->grp))
            DEL(t->i, t->ni, i), i--, ch = 1;
    }
    for (int i = 0; i < t->nf; i++) {
        gfk *f = &t->f[i];
        if (!fk_ok(sp, t, f)) {
            DEL(t->f, t->nf, i), i--, ch = 1;
            continue;
        }
        for (int j = 0; j < f->n; j++) { /* SET NULL needs nullable columns */
            if (f->ondel == 2 && col(t, f->c[j])->notnull)
                f->ondel = 1;
            /* MariaDB: a column a cascading key changes may not be read
             * by a check or a generated column (error 1901) */
            if (sp->d == GD_MY && (f->ondel == 1 || f->ondel == 2 || f->onupd) &&
                pinned(t, f->c[j]))
                f->ondel = 3, f->onupd = 0;
        }
    }
    return ch;
}

/* The output columns of a table or a view, or 0 when it does not exist. */
static int base_cols(const gspec *sp, const char *base, int upto, gname *out, int cap)
{
    int n = 0;
    for (int i = 0; i < sp->nt; i++)
        if (!strcmp(sp->t[i].name, base)) {
            for (int j = 0; j < sp->t[i].nc && n < cap; j++)
                cpy(out[n++], sp->t[i].c[j].name);
            return n;
        }
    for (int i = 0; i < upto; i++)
        if (!strcmp(sp->v[i].name, base)) {
            for (int j = 0; j < sp->v[i].n && n < cap; j++)
                cpy(out[n++], sp->v[i].c[j]);
            if (sp->v[i].join[0] && n < cap)
                cpy(out[n++], sp->v[i].jc);
            return n;
        }
    return 0;
}

static int name_in(const gname *v, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return 1;
    return 0;
}

static int norm_views(gspec *sp)
{
    int ch = 0;
    for (int i = 0; i < sp->nv; i++) {
        gname bc[MAXC];
        int nb = base_cols(sp, sp->v[i].base, i, bc, MAXC), ok = nb > 0;
        for (int j = 0; ok && j < sp->v[i].n; j++)
            ok = name_in(bc, nb, sp->v[i].c[j]);
        if (ok && sp->v[i].join[0]) { /* the joined table and its column */
            gtable *jt = tab(sp, sp->v[i].join);
            ok = jt && col(jt, sp->v[i].jc) && strcmp(sp->v[i].join, sp->v[i].base) &&
                 !name_in(sp->v[i].c, sp->v[i].n, sp->v[i].jc); /* one name per output column */
        }
        if (!ok)
            DEL(sp->v, sp->nv, i), i--, ch = 1;
    }
    return ch;
}

/* Removes what a mutation left dangling, until nothing changes. */
static void gen_normalize(gspec *sp)
{
    for (int ch = 1; ch;) {
        ch = 0;
        for (int i = 0; i < sp->nt; i++) {
            ch |= norm_cols(sp, &sp->t[i]);
            ch |= norm_keys(sp, &sp->t[i]);
        }
        ch |= norm_views(sp);
    }
}

/* ---- mutations ------------------------------------------------------------ */

typedef int (*mut_fn)(gspec *sp, grng *r, char *d, size_t cap);

static int m_add_table(gspec *sp, grng *r, char *d, size_t cap)
{
    if (sp->nt >= MAXT)
        return 0;
    new_table(sp, r);
    snprintf(d, cap, "add table %s", sp->t[sp->nt - 1].name);
    return 1;
}

static int m_drop_table(gspec *sp, grng *r, char *d, size_t cap)
{
    if (sp->nt <= 2)
        return 0;
    int i = grng_int(r, sp->nt);
    snprintf(d, cap, "drop table %s", sp->t[i].name);
    DEL(sp->t, sp->nt, i);
    return 1;
}

static int m_add_col(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    if (!t || t->nc >= MAXC - 2)
        return 0;
    /* at the end, or (one in three) between two columns: ALTER TABLE can
     * only append, and the model does not compare positions */
    int at = grng_int(r, 3) ? t->nc : grng_int(r, t->nc + 1);
    memmove(&t->c[at + 1], &t->c[at], sizeof t->c[0] * (size_t)(t->nc - at));
    t->nc++;
    rand_col(sp, r, &t->c[at], -1);
    const gcol *c = &t->c[at];
    snprintf(d, cap, "add column %s.%s%s%s%s", t->name, c->name, c->notnull ? " not null" : "",
             c->has_def ? " default" : "", at + 1 < t->nc ? " (not last)" : "");
    return 1;
}

static int m_drop_col(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    gcol *c = t && t->nc > 2 ? pick_col(t, r, 1, 0) : NULL;
    if (!c)
        return 0;
    snprintf(d, cap, "drop column %s.%s", t->name, c->name);
    DEL(t->c, t->nc, (int)(c - t->c));
    return 1;
}

static int m_type_within(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    gcol *c = t ? pick_col(t, r, 0, 1) : NULL;
    int n = c && c->grp != G_ENUM ? ntypes(sp->d, c->grp) : 0;
    if (n < 2)
        return 0;
    int ty = (c->ty + 1 + grng_int(r, n - 1)) % n;
    snprintf(d, cap, "type %s.%s %s -> %s", t->name, c->name, TYPES[sp->d][c->grp][c->ty],
             TYPES[sp->d][c->grp][ty]);
    c->ty = ty;
    return 1;
}

static int m_type_cross(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    gcol *c = t ? pick_col(t, r, 0, 1) : NULL;
    if (!c || !expr_ok(c->grp) || pinned(t, c->name))
        return 0;
    int g = (c->grp + 1 + grng_int(r, 2)) % 3; /* INT, DEC, TXT are 0..2 */
    int ty = grng_int(r, ntypes(sp->d, g));
    snprintf(d, cap, "type %s.%s %s -> %s", t->name, c->name, TYPES[sp->d][c->grp][c->ty],
             TYPES[sp->d][g][ty]);
    c->grp = g, c->ty = ty;
    return 1;
}

static int m_null(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    gcol *c = t ? pick_col(t, r, 1, 1) : NULL;
    if (!c)
        return 0;
    c->notnull = !c->notnull;
    snprintf(d, cap, "%s.%s %s", t->name, c->name, c->notnull ? "set not null" : "drop not null");
    return 1;
}

static int m_default(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    gcol *c = t ? pick_col(t, r, 0, 1) : NULL;
    if (!c)
        return 0;
    if (c->has_def && grng_int(r, 2)) {
        c->has_def = 0;
        snprintf(d, cap, "%s.%s drop default", t->name, c->name);
        return 1;
    }
    int v = (c->defv + 1 + grng_int(r, 8)) % 10;
    snprintf(d, cap, "%s.%s default %d -> %d", t->name, c->name, c->has_def ? c->defv : -1, v);
    c->has_def = 1, c->defv = v;
    return 1;
}

static int m_gen_add(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    gcol *s = t && t->nc < MAXC - 2 ? pick_col(t, r, 0, 1) : NULL;
    if (!s || (s->grp != G_INT && s->grp != G_DEC))
        return 0;
    gcol *c = &t->c[t->nc++];
    rand_col(sp, r, c, grng_int(r, 2) ? G_INT : G_DEC);
    c->ty = c->grp == G_INT ? (sp->d == GD_SQ ? 1 : 2) : (sp->d == GD_SQ ? 0 : 1);
    c->notnull = c->has_def = 0;
    c->gen = sp->d == GD_PG ? 2 : 1 + grng_int(r, 2);
    c->gmul = 2 + grng_int(r, 4);
    cpy(c->src, s->name);
    snprintf(d, cap, "add %s generated column %s.%s = %s * %d", c->gen == 2 ? "stored" : "virtual",
             t->name, c->name, c->src, c->gmul);
    return 1;
}

static int m_gen_expr(gspec *sp, grng *r, char *d, size_t cap)
{
    gcol *g[MAXT * MAXC];
    gtable *gt[MAXT * MAXC];
    int n = 0;
    for (int i = 0; i < sp->nt; i++)
        for (int j = 0; j < sp->t[i].nc; j++)
            if (sp->t[i].c[j].gen)
                gt[n] = &sp->t[i], g[n++] = &sp->t[i].c[j];
    if (!n)
        return 0;
    int k = grng_int(r, n);
    g[k]->gmul = 2 + (g[k]->gmul - 1) % 4; /* 2..5, never the same */
    snprintf(d, cap, "generated %s.%s = %s * %d", gt[k]->name, g[k]->name, g[k]->src, g[k]->gmul);
    return 1;
}

static int m_pk(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    gcol *a = t ? pick_col(t, r, 0, 1) : NULL, *b = t ? pick_col(t, r, 0, 1) : NULL;
    if (!a)
        return 0;
    if (t->npk && grng_int(r, 5) == 0) { /* a table without one (keys to it go) */
        t->npk = 0;
        snprintf(d, cap, "drop primary key %s", t->name);
        return 1;
    }
    t->npk = 1;
    cpy(t->pk[0], a->name);
    if (b != a && grng_int(r, 3) == 0)
        cpy(t->pk[t->npk++], b->name);
    snprintf(d, cap, "primary key %s (%s%s%s)", t->name, t->pk[0], t->npk > 1 ? ", " : "",
             t->npk > 1 ? t->pk[1] : "");
    return 1;
}

static int m_unique(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    if (!t)
        return 0;
    if (t->nu && grng_int(r, 2)) {
        int i = grng_int(r, t->nu);
        snprintf(d, cap, "drop unique %s", t->u[i].name);
        DEL(t->u, t->nu, i);
        return 1;
    }
    gcol *a = pick_col(t, r, 0, 1), *b = pick_col(t, r, 0, 1);
    if (t->nu >= MAXU || !a)
        return 0;
    gkey *k = &t->u[t->nu++];
    fresh(sp, 'u', k->name);
    k->n = 1 + (b != a && grng_int(r, 2));
    k->anon = grng_int(r, 10) < 3;
    cpy(k->c[0], a->name);
    if (k->n > 1)
        cpy(k->c[1], b->name);
    snprintf(d, cap, "add unique %s on %s", k->name, t->name);
    return 1;
}

static int m_check(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    if (!t)
        return 0;
    int w = grng_int(r, 3);
    if (t->nk && w < 2) {
        int i = grng_int(r, t->nk);
        if (w == 0) {
            snprintf(d, cap, "drop check %s", t->k[i].name);
            DEL(t->k, t->nk, i);
        } else {
            t->k[i].op = !t->k[i].op;
            snprintf(d, cap, "change check %s", t->k[i].name);
        }
        return 1;
    }
    gcol *c = pick_col(t, r, 0, 1);
    if (t->nk >= MAXK || !c || !check_ok(c->grp))
        return 0;
    gcheck *k = &t->k[t->nk++];
    fresh(sp, 'k', k->name);
    cpy(k->col, c->name);
    k->grp = c->grp, k->op = grng_int(r, 2);
    k->anon = grng_int(r, 10) < 3;
    snprintf(d, cap, "add check %s on %s.%s", k->name, t->name, c->name);
    return 1;
}

/* Local columns for a key to rt's primary key: existing ones of the same
 * types, else new nullable ones. */
static int fk_cols(gspec *sp, grng *r, gtable *t, const gtable *rt, gfk *f)
{
    for (int j = 0; j < rt->npk; j++) {
        const gcol *p = ccol(rt, rt->pk[j]);
        gcol *use = NULL;
        for (int i = 0; i < t->nc && !use; i++)
            if (!t->c[i].gen && same_type(&t->c[i], p) && !name_in(f->c, j, t->c[i].name) &&
                grng_int(r, 2))
                use = &t->c[i];
        if (!use) {
            if (t->nc >= MAXC)
                return 0;
            use = &t->c[t->nc++];
            *use = *p;
            fresh(sp, 'c', use->name);
            use->notnull = 0, use->has_def = 0, use->gen = 0;
        }
        cpy(f->c[j], use->name);
        cpy(f->rc[j], p->name);
    }
    f->n = rt->npk;
    return 1;
}

static int m_fk(gspec *sp, grng *r, char *d, size_t cap)
{
    int ti = grng_int(r, sp->nt);
    gtable *t = &sp->t[ti];
    int w = grng_int(r, 3);
    if (t->nf && w < 2) {
        int i = grng_int(r, t->nf);
        if (w == 0) {
            snprintf(d, cap, "drop foreign key %s", t->f[i].name);
            DEL(t->f, t->nf, i);
        } else {
            t->f[i].ondel = (t->f[i].ondel + 1 + grng_int(r, 3)) % 4;
            t->f[i].onupd = grng_int(r, 2);
            if (sp->d != GD_MY && grng_int(r, 3) == 0)
                t->f[i].deferred = !t->f[i].deferred;
            snprintf(d, cap, "foreign key %s on delete %d on update %d%s", t->f[i].name,
                     t->f[i].ondel, t->f[i].onupd, t->f[i].deferred ? " deferred" : "");
        }
        return 1;
    }
    const gtable *rt = &sp->t[grng_int(r, ti + 1)];
    if (t->nf >= MAXF || !rt->npk || t->nc + rt->npk > MAXC)
        return 0;
    gfk f = {0};
    fresh(sp, 'f', f.name);
    cpy(f.ref, rt->name);
    if (!fk_cols(sp, r, t, rt, &f))
        return 0;
    f.ondel = grng_int(r, 4), f.onupd = grng_int(r, 3) == 0;
    f.deferred = sp->d != GD_MY && grng_int(r, 5) == 0;
    f.anon = grng_int(r, 10) < 3;
    t->f[t->nf++] = f;
    snprintf(d, cap, "add foreign key %s %s -> %s", f.name, t->name, rt->name);
    return 1;
}

static void rand_index(gspec *sp, grng *r, gtable *t, gidx *x)
{
    int kinds = sp->d == GD_MY ? 1 : sp->d == GD_SQ ? 3 : 4;
    x->kind = grng_int(r, kinds + 1) % kinds; /* plain twice as likely */
    x->n = x->kind >= 2 ? 1 : 1 + grng_int(r, 3);
    for (int j = 0; j < x->n; j++) {
        const gcol *c = pick_col(t, r, 0, x->kind >= 2);
        if (!c)
            c = &t->c[0];
        if (j && name_in(x->c, j, c->name)) {
            x->n = j;
            break;
        }
        cpy(x->c[j], c->name);
    }
    const gcol *c0 = ccol(t, x->c[0]);
    if (x->kind == 2 && (!c0 || !expr_ok(c0->grp)))
        x->kind = 0;
    x->grp = c0 ? c0->grp : 0;
    x->uniq = x->kind != 3 && grng_int(r, 3) == 0;
    x->desc = x->kind < 2 && grng_int(r, 4) == 0;
}

static int m_index(gspec *sp, grng *r, char *d, size_t cap)
{
    gtable *t = pick_tab(sp, r);
    if (!t)
        return 0;
    int w = grng_int(r, 3);
    if (t->ni && w < 2) {
        int i = grng_int(r, t->ni);
        if (w == 0) {
            snprintf(d, cap, "drop index %s", t->i[i].name);
            DEL(t->i, t->ni, i);
        } else {
            gname keep;
            cpy(keep, t->i[i].name);
            rand_index(sp, r, t, &t->i[i]);
            cpy(t->i[i].name, keep);
            snprintf(d, cap, "change index %s (kind %d)", keep, t->i[i].kind);
        }
        return 1;
    }
    if (t->ni >= MAXI)
        return 0;
    gidx *x = &t->i[t->ni++];
    memset(x, 0, sizeof *x);
    fresh(sp, 'i', x->name);
    rand_index(sp, r, t, x);
    snprintf(d, cap, "add index %s on %s (kind %d%s)", x->name, t->name, x->kind,
             x->uniq ? ", unique" : "");
    return 1;
}

static void rand_view(gspec *sp, grng *r, gview *v, int upto)
{
    int nb = sp->nt + upto, b = grng_int(r, nb);
    if (b < sp->nt)
        cpy(v->base, sp->t[b].name);
    else
        cpy(v->base, sp->v[b - sp->nt].name);
    gname bc[MAXC];
    int n = base_cols(sp, v->base, upto, bc, MAXC);
    v->n = 0;
    for (int j = 0; j < 3 && j < n; j++) {
        const char *c = bc[grng_int(r, n)];
        if (!name_in(v->c, v->n, c))
            cpy(v->c[v->n++], c);
    }
    v->where = grng_int(r, 2);
    v->join[0] = v->jc[0] = 0;
    const gtable *jt = &sp->t[grng_int(r, sp->nt)];
    const char *jc = jt->nc ? jt->c[grng_int(r, jt->nc)].name : "";
    if (!sp->nojoin && grng_int(r, 3) == 0 && strcmp(jt->name, v->base) && *jc &&
        !name_in(v->c, v->n, jc)) {
        cpy(v->join, jt->name);
        cpy(v->jc, jc);
    }
}

static int m_view(gspec *sp, grng *r, char *d, size_t cap)
{
    int w = grng_int(r, 3);
    if (sp->nv && w < 2) {
        int i = grng_int(r, sp->nv);
        if (w == 0) {
            snprintf(d, cap, "drop view %s", sp->v[i].name);
            DEL(sp->v, sp->nv, i);
        } else {
            if (grng_int(r, 2))
                sp->v[i].where = !sp->v[i].where;
            else
                rand_view(sp, r, &sp->v[i], i);
            snprintf(d, cap, "change view %s", sp->v[i].name);
        }
        return 1;
    }
    if (sp->nv >= MAXV)
        return 0;
    gview *v = &sp->v[sp->nv];
    memset(v, 0, sizeof *v);
    fresh(sp, 'v', v->name);
    rand_view(sp, r, v, sp->nv);
    sp->nv++;
    snprintf(d, cap, "add view %s on %s", v->name, v->base);
    return 1;
}

static int m_seq(gspec *sp, grng *r, char *d, size_t cap)
{
    if (sp->d != GD_PG)
        return 0;
    int w = grng_int(r, 3);
    if (sp->ns && w < 2) {
        int i = grng_int(r, sp->ns);
        if (w == 0) {
            snprintf(d, cap, "drop sequence %s", sp->s[i].name);
            DEL(sp->s, sp->ns, i);
        } else {
            sp->s[i].inc = 1 + (sp->s[i].inc + grng_int(r, 4)) % 5;
            snprintf(d, cap, "sequence %s increment %d", sp->s[i].name, sp->s[i].inc);
        }
        return 1;
    }
    if (sp->ns >= MAXS)
        return 0;
    gseq *s = &sp->s[sp->ns++];
    fresh(sp, 's', s->name);
    s->inc = 1 + grng_int(r, 5), s->start = 1 + grng_int(r, 100);
    snprintf(d, cap, "add sequence %s", s->name);
    return 1;
}

static void rand_labels(gspec *sp, grng *r, genum *e, int n)
{
    for (e->n = 0; e->n < n; e->n++)
        fresh(sp, 'l', e->l[e->n]);
    (void)r;
}

static int m_enum(gspec *sp, grng *r, char *d, size_t cap)
{
    if (sp->d != GD_PG || !sp->enums)
        return 0;
    int w = grng_int(r, 5);
    genum *e = sp->ne ? &sp->e[grng_int(r, sp->ne)] : NULL;
    if (!e || w == 4) { /* add an enum and a column of it */
        gtable *t = pick_tab(sp, r);
        if (sp->ne >= MAXE || !t || t->nc >= MAXC - 2)
            return 0;
        e = &sp->e[sp->ne++];
        fresh(sp, 'e', e->name);
        rand_labels(sp, r, e, 2 + grng_int(r, 3));
        gcol *c = &t->c[t->nc++];
        rand_col(sp, r, c, G_ENUM);
        cpy(c->ename, e->name);
        snprintf(d, cap, "add enum %s, column %s.%s", e->name, t->name, c->name);
        return 1;
    }
    if (w == 0) {
        for (int i = 0; i < sp->nt; i++)
            for (int j = 0; j < sp->t[i].npk; j++)
                if (ccol(&sp->t[i], sp->t[i].pk[j])->grp == G_ENUM &&
                    !strcmp(ccol(&sp->t[i], sp->t[i].pk[j])->ename, e->name))
                    return 0; /* its key column would go */
        snprintf(d, cap, "drop enum %s", e->name);
        DEL(sp->e, sp->ne, (int)(e - sp->e));
    } else if (w == 1 && e->n < MAXL) {
        int at = grng_int(r, e->n + 1);
        memmove(&e->l[at + 1], &e->l[at], sizeof(gname) * (size_t)(e->n - at));
        fresh(sp, 'l', e->l[at]);
        e->n++;
        snprintf(d, cap, "enum %s add label %s at %d", e->name, e->l[at], at);
    } else if (w == 2 && e->n > 2) {
        int at = grng_int(r, e->n);
        snprintf(d, cap, "enum %s drop label %s", e->name, e->l[at]);
        DEL(e->l, e->n, at);
    } else {
        int a = grng_int(r, e->n), b = (a + 1) % e->n;
        gname tmp;
        memcpy(tmp, e->l[a], GN), memcpy(e->l[a], e->l[b], GN), memcpy(e->l[b], tmp, GN);
        snprintf(d, cap, "enum %s swap labels %s %s", e->name, e->l[b], e->l[a]);
    }
    return 1;
}

static const struct {
    const char *name;
    mut_fn f;
    int weight;
} MUTS[] = {
    {"add table", m_add_table, 3},      {"drop table", m_drop_table, 2},
    {"add column", m_add_col, 5},       {"drop column", m_drop_col, 4},
    {"type within", m_type_within, 4},  {"type across", m_type_cross, 3},
    {"nullability", m_null, 4},         {"default", m_default, 4},
    {"add generated", m_gen_add, 2},    {"generated expr", m_gen_expr, 2},
    {"primary key", m_pk, 3},           {"unique", m_unique, 3},
    {"check", m_check, 3},              {"foreign key", m_fk, 5},
    {"index", m_index, 5},              {"view", m_view, 3},
    {"sequence", m_seq, 2},             {"enum", m_enum, 4},
};
#define NMUTS ((int)(sizeof MUTS / sizeof MUTS[0]))

int gen_nkinds(void) { return NMUTS; }
const char *gen_kind_name(int k) { return k >= 0 && k < NMUTS ? MUTS[k].name : "?"; }

static int pick_kind(grng *r)
{
    int total = 0;
    for (int i = 0; i < NMUTS; i++)
        total += MUTS[i].weight;
    int x = grng_int(r, total);
    for (int i = 0; i < NMUTS; i++)
        if ((x -= MUTS[i].weight) < 0)
            return i;
    return 0;
}

uint64_t gen_mutate(gspec *sp, grng *r, char *desc, size_t cap)
{
    uint64_t kinds = 0;
    dm_buf before = {0}, after = {0};
    int x = grng_int(r, 20), want = x < 10 ? 1 : x < 17 ? 2 : 3;
    size_t used = 0;
    desc[0] = 0;
    for (int done = 0, tries = 0; done < want && tries < 200; tries++) {
        int k = pick_kind(r);
        char d[160];
        gspec keep = *sp;
        if (!MUTS[k].f(sp, r, d, sizeof d)) {
            *sp = keep;
            continue;
        }
        gen_normalize(sp);
        gen_render(&keep, &before);
        gen_render(sp, &after);
        if (!strcmp(dm_buf_str(&before), dm_buf_str(&after))) { /* no effect */
            *sp = keep;
            continue;
        }
        kinds |= 1ull << k;
        int n = snprintf(desc + used, cap - used, "%s%s", done ? "; " : "", d);
        if (n > 0 && (size_t)n < cap - used)
            used += (size_t)n;
        done++;
    }
    dm_buf_free(&before);
    dm_buf_free(&after);
    return kinds;
}

void gen_init(gspec *sp, int d, int enums, grng *r)
{
    int nojoin = sp->nojoin; /* the caller's choice survives */
    memset(sp, 0, sizeof *sp);
    sp->nojoin = nojoin;
    sp->d = d, sp->enums = enums && d == GD_PG;
    char tmp[160];
    int nt = 2 + grng_int(r, 3);
    while (sp->nt < nt)
        new_table(sp, r);
    static const mut_fn extra[] = {m_fk, m_fk, m_index, m_unique, m_check, m_view, m_seq, m_enum, m_gen_add};
    int n = 2 + grng_int(r, 5);
    for (int i = 0; i < n; i++) {
        gspec keep = *sp;
        if (!extra[grng_int(r, (int)(sizeof extra / sizeof extra[0]))](sp, r, tmp, sizeof tmp))
            *sp = keep;
        gen_normalize(sp);
    }
}

/* ---- rendering ---------------------------------------------------------- */

static void put_val(dm_buf *o, const gspec *sp, const gcol *c, int v)
{
    switch (c->grp) {
    case G_INT:
    case G_DEC:
        dm_buf_printf(o, "%d", v);
        break;
    case G_TXT:
        dm_buf_printf(o, "'%d'", v);
        break;
    case G_BOOL:
        dm_buf_puts(o, v % 2 ? "true" : "false");
        break;
    case G_DATE:
        dm_buf_printf(o, "'2020-01-%02d'", v % 28 + 1);
        break;
    default: {
        const genum *e = cenm(sp, c->ename);
        dm_buf_printf(o, "'%s'", e && e->n ? e->l[v % e->n] : "?");
    }
    }
}

static const char *type_name(const gspec *sp, const gcol *c)
{
    return c->grp == G_ENUM ? c->ename : TYPES[sp->d][c->grp][c->ty];
}

static void put_col(dm_buf *o, const gspec *sp, const gcol *c)
{
    dm_buf_printf(o, "  %s %s", c->name, type_name(sp, c));
    if (c->gen) {
        const char *kw = sp->d == GD_MY ? "AS" : "GENERATED ALWAYS AS";
        dm_buf_printf(o, " %s (%s * %d) %s", kw, c->src, c->gmul, c->gen == 2 ? "STORED" : "VIRTUAL");
        return;
    }
    if (c->has_def) {
        dm_buf_puts(o, " DEFAULT ");
        put_val(o, sp, c, c->defv);
    }
    if (c->notnull)
        dm_buf_puts(o, " NOT NULL");
}

static void put_list(dm_buf *o, const gname *v, int n)
{
    dm_buf_puts(o, "(");
    for (int i = 0; i < n; i++)
        dm_buf_printf(o, "%s%s", i ? ", " : "", v[i]);
    dm_buf_puts(o, ")");
}

static const char *const ACTIONS[] = {"", " ON DELETE CASCADE", " ON DELETE SET NULL", " ON DELETE RESTRICT"};

static void put_fk(dm_buf *o, const gfk *f)
{
    if (!f->anon)
        dm_buf_printf(o, "CONSTRAINT %s ", f->name);
    dm_buf_puts(o, "FOREIGN KEY ");
    put_list(o, f->c, f->n);
    dm_buf_printf(o, " REFERENCES %s ", f->ref);
    put_list(o, f->rc, f->n);
    dm_buf_printf(o, "%s%s%s", ACTIONS[f->ondel], f->onupd ? " ON UPDATE CASCADE" : "",
                  f->deferred ? " DEFERRABLE INITIALLY DEFERRED" : "");
}

static void put_check(dm_buf *o, const gspec *sp, const gcheck *k)
{
    if (!k->anon)
        dm_buf_printf(o, "CONSTRAINT %s ", k->name);
    dm_buf_puts(o, "CHECK (");
    const char *len = sp->d == GD_SQ ? "length" : "char_length";
    switch (k->grp) {
    case G_TXT:
        if (k->op)
            dm_buf_printf(o, "%s <> ''", k->col);
        else
            dm_buf_printf(o, "%s(%s) < 30", len, k->col);
        break;
    case G_DATE:
        dm_buf_printf(o, "%s %s '2000-01-01'", k->col, k->op ? "<>" : ">");
        break;
    default:
        dm_buf_printf(o, "%s %s", k->col, k->op ? "< 100000" : ">= 0");
    }
    dm_buf_puts(o, ")");
}

static void put_table(dm_buf *o, const gspec *sp, const gtable *t)
{
    dm_buf_printf(o, "CREATE TABLE %s (\n", t->name);
    for (int i = 0; i < t->nc; i++) {
        put_col(o, sp, &t->c[i]);
        dm_buf_puts(o, i + 1 < t->nc || t->npk || t->nu || t->nk || (sp->d != GD_PG && t->nf) ||
                           (sp->d == GD_MY && t->ni) ? ",\n" : "\n");
    }
    /* SQLite: keys inside CREATE TABLE (ALTER cannot add one); MariaDB:
     * keys and indexes too (each ALTER TABLE copies the table: slow) */
    int inl = sp->d != GD_PG;
    int left = (t->npk > 0) + t->nu + t->nk + (inl ? t->nf : 0) + (sp->d == GD_MY ? t->ni : 0);
    if (t->npk) {
        dm_buf_puts(o, "  PRIMARY KEY ");
        put_list(o, t->pk, t->npk);
        dm_buf_puts(o, --left ? ",\n" : "\n");
    }
    for (int i = 0; i < t->nu; i++) {
        if (t->u[i].anon)
            dm_buf_puts(o, "  UNIQUE ");
        else
            dm_buf_printf(o, "  CONSTRAINT %s UNIQUE ", t->u[i].name);
        put_list(o, t->u[i].c, t->u[i].n);
        dm_buf_puts(o, --left ? ",\n" : "\n");
    }
    for (int i = 0; i < t->nk; i++) {
        dm_buf_puts(o, "  ");
        put_check(o, sp, &t->k[i]);
        dm_buf_puts(o, --left ? ",\n" : "\n");
    }
    for (int i = 0; inl && i < t->nf; i++) {
        dm_buf_puts(o, "  ");
        put_fk(o, &t->f[i]);
        dm_buf_puts(o, --left ? ",\n" : "\n");
    }
    for (int i = 0; sp->d == GD_MY && i < t->ni; i++) {
        dm_buf_printf(o, "  %sINDEX %s ", t->i[i].uniq ? "UNIQUE " : "", t->i[i].name);
        put_list(o, t->i[i].c, t->i[i].n);
        if (t->i[i].desc)
            o->len--, dm_buf_puts(o, " DESC)");
        dm_buf_puts(o, --left ? ",\n" : "\n");
    }
    dm_buf_puts(o, ");\n");
}

static void put_index(dm_buf *o, const gspec *sp, const gtable *t, const gidx *x)
{
    dm_buf_printf(o, "CREATE %sINDEX %s ON %s %s", x->uniq ? "UNIQUE " : "", x->name, t->name,
                  x->kind == 3 ? "USING hash " : "");
    if (x->kind == 2) {
        if (x->grp == G_TXT)
            dm_buf_printf(o, "((lower(%s)))", x->c[0]);
        else
            dm_buf_printf(o, "((%s + 1))", x->c[0]);
    } else {
        put_list(o, x->c, x->n);
        if (x->desc) /* "(a, b)" -> "(a, b DESC)" */
            o->len--, dm_buf_puts(o, " DESC)");
    }
    if (x->kind == 1)
        dm_buf_printf(o, " WHERE %s IS NOT NULL", x->c[0]);
    dm_buf_puts(o, ";\n");
    (void)sp;
}

int gen_render(const gspec *sp, dm_buf *o)
{
    dm_buf_reset(o);
    for (int i = 0; i < sp->ne; i++) {
        dm_buf_printf(o, "CREATE TYPE %s AS ENUM (", sp->e[i].name);
        for (int j = 0; j < sp->e[i].n; j++)
            dm_buf_printf(o, "%s'%s'", j ? ", " : "", sp->e[i].l[j]);
        dm_buf_puts(o, ");\n");
    }
    for (int i = 0; i < sp->ns; i++)
        dm_buf_printf(o, "CREATE SEQUENCE %s INCREMENT BY %d START WITH %d;\n", sp->s[i].name,
                      sp->s[i].inc, sp->s[i].start);
    for (int i = 0; i < sp->nt; i++)
        put_table(o, sp, &sp->t[i]);
    for (int i = 0; sp->d != GD_MY && i < sp->nt; i++)
        for (int j = 0; j < sp->t[i].ni; j++)
            put_index(o, sp, &sp->t[i], &sp->t[i].i[j]);
    for (int i = 0; sp->d == GD_PG && i < sp->nt; i++)
        for (int j = 0; j < sp->t[i].nf; j++) {
            dm_buf_printf(o, "ALTER TABLE %s ADD ", sp->t[i].name);
            put_fk(o, &sp->t[i].f[j]);
            dm_buf_puts(o, ";\n");
        }
    for (int i = 0; i < sp->nv; i++) {
        const gview *v = &sp->v[i];
        dm_buf_printf(o, "CREATE VIEW %s AS SELECT ", v->name);
        for (int j = 0; j < v->n; j++)
            dm_buf_printf(o, "%s%s.%s", j ? ", " : "", v->base, v->c[j]);
        if (v->join[0])
            dm_buf_printf(o, ", %s.%s", v->join, v->jc);
        dm_buf_printf(o, " FROM %s", v->base);
        if (v->join[0])
            dm_buf_printf(o, ", %s", v->join);
        if (v->where)
            dm_buf_printf(o, " WHERE %s.%s IS NOT NULL", v->base, v->c[0]);
        dm_buf_puts(o, ";\n");
    }
    return o->ptr ? 0 : -1;
}

int gen_rows(const gspec *sp, dm_buf *o)
{
    dm_buf_reset(o);
    for (int i = 0; i < sp->nt; i++) {
        const gtable *t = &sp->t[i];
        dm_buf_printf(o, "INSERT INTO %s (", t->name);
        int first = 1;
        for (int j = 0; j < t->nc; j++)
            if (!t->c[j].gen)
                dm_buf_printf(o, "%s%s", first ? "" : ", ", t->c[j].name), first = 0;
        dm_buf_puts(o, ") VALUES ");
        for (int k = 1; k <= 2; k++) {
            dm_buf_puts(o, k > 1 ? ", (" : "(");
            first = 1;
            for (int j = 0; j < t->nc; j++)
                if (!t->c[j].gen) {
                    dm_buf_puts(o, first ? "" : ", ");
                    put_val(o, sp, &t->c[j], k);
                    first = 0;
                }
            dm_buf_puts(o, ")");
        }
        dm_buf_puts(o, ";\n");
    }
    return o->ptr || !sp->nt ? 0 : -1;
}

int gen_clear(const gspec *sp, dm_buf *o)
{
    dm_buf_reset(o);
    if (sp->d == GD_PG && sp->nt) {
        dm_buf_puts(o, "TRUNCATE ");
        for (int i = 0; i < sp->nt; i++)
            dm_buf_printf(o, "%s%s", i ? ", " : "", sp->t[i].name);
        dm_buf_puts(o, ";\n");
        return o->ptr ? 0 : -1;
    }
    for (int i = sp->nt - 1; i >= 0; i--) /* keys point backwards: children first */
        dm_buf_printf(o, "DELETE FROM %s;\n", sp->t[i].name);
    return o->ptr || !sp->nt ? 0 : -1;
}

/* Is column c of table t (in spec x) used by a key that rows added with
 * NULL or a default would break (primary key, unique, foreign key, unique
 * index)? */
static int in_key(const gtable *t, const char *c)
{
    if (in_pk(t, c))
        return 1;
    for (int i = 0; i < t->nu; i++)
        if (name_in(t->u[i].c, t->u[i].n, c))
            return 1;
    for (int i = 0; i < t->nf; i++)
        if (name_in(t->f[i].c, t->f[i].n, c))
            return 1;
    for (int i = 0; i < t->ni; i++)
        if (t->i[i].uniq && name_in(t->i[i].c, t->i[i].n, c))
            return 1;
    return 0;
}

/* The columns x has and y lacks, in tables both have: up or down adds them
 * to tables with rows. Unsafe: NOT NULL without a default (the database
 * refuses the ADD COLUMN or the rebuild's copy), or in a key (two rows with
 * the same default or NULL). A foreign key from a table both have to a
 * table only x has: that table is created empty, the rows point nowhere. */
static int one_way_safe(const gspec *x, const gspec *y)
{
    for (int i = 0; i < x->nt; i++) {
        const gtable *t = &x->t[i];
        int yi = tab_index(y, t->name);
        if (yi < 0)
            continue;
        for (int j = 0; j < t->nc; j++) {
            const gcol *c = &t->c[j];
            if (ccol(&y->t[yi], c->name))
                continue;
            if ((!c->gen && c->notnull && !c->has_def) || in_key(t, c->name))
                return 0;
        }
        for (int j = 0; j < t->nf; j++)
            if (tab_index(y, t->f[j].ref) < 0)
                return 0;
    }
    return 1;
}

/* Is column c of table t a foreign key's column, or a column one points at? */
static int in_fk(const gspec *sp, const gtable *t, const char *c)
{
    for (int i = 0; i < sp->nt; i++)
        for (int j = 0; j < sp->t[i].nf; j++) {
            const gfk *f = &sp->t[i].f[j];
            if ((&sp->t[i] == t && name_in(f->c, f->n, c)) ||
                (!strcmp(f->ref, t->name) && name_in(f->rc, f->n, c)))
                return 1;
        }
    return 0;
}

/* A key column whose group changes: its values convert there and back,
 * which is not the identity for every pair ('1' -> 1.00 -> '1.00'), and a
 * key re-added by down finds its child's '1' and its parent's '1.00'. */
static int key_regrouped(const gspec *a, const gspec *b)
{
    for (int i = 0; i < a->nt; i++) {
        int bi = tab_index(b, a->t[i].name);
        for (int j = 0; bi >= 0 && j < a->t[i].nc; j++) {
            const gcol *ca = &a->t[i].c[j], *cb = ccol(&b->t[bi], ca->name);
            if (cb && cb->grp != ca->grp &&
                (in_fk(a, &a->t[i], ca->name) || in_fk(b, &b->t[bi], ca->name)))
                return 1;
        }
    }
    return 0;
}

/* 1 when the rows gen_rows(a) writes survive a -> b -> a: the columns each
 * side adds can take them (one_way_safe, both ways), and no enum label the
 * rows or a default of a may use is missing from b. Every other change
 * keeps them valid by construction: values are one small number k per
 * row, so type changes (INT, DEC, TXT, narrowing included; but see
 * key_regrouped), NOT NULL,
 * checks, unique keys, new primary keys and foreign keys to row k all
 * hold. The kinds that are unsafe get the tables emptied instead, and the
 * statements still run (on empty tables). */
int gen_data_safe(const gspec *a, const gspec *b)
{
    if (!one_way_safe(a, b) || !one_way_safe(b, a) || key_regrouped(a, b))
        return 0;
    for (int i = 0; i < a->ne; i++) {
        const genum *eb = cenm(b, a->e[i].name);
        for (int j = 0; eb && j < a->e[i].n; j++)
            if (!name_in(eb->l, eb->n, a->e[i].l[j]))
                return 0;
    }
    return 1;
}
