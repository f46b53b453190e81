/* schema_diff_plan.c — the generator's matching and plan (core/schema_diff.h,
 * called by core/schema_diff.c before anything is written): which object
 * of one model is which of the other, and what is dropped, created,
 * altered, or dropped and created again.
 *
 * Why it is built this way:
 *   - Matching uses the identity of core/schema_cmp.c (kind, table, name;
 *     a primary key by its table; an unnamed constraint by its content) in
 *     one merge walk over identity-ordered views, and "changed" compares
 *     the fields schema_cmp.c compares, so a difference here is exactly
 *     one that drift or `dbmig test` would report. A sequence's table is
 *     its owner, so a sequence whose owner changes is paired again by name
 *     (ALTER SEQUENCE ... OWNED BY, not drop and create).
 *   - The plan is flags beside each model (core/schema_diff_int.h): gone,
 *     new, changed; "redo" for an object that is unchanged but must be
 *     dropped and created again because something it depends on changes;
 *     "readd" for a column dropped and added again. The dependencies that
 *     force a redo are the ones a database refuses to change under an
 *     object: a key or index over a column that is dropped; a foreign key
 *     whose columns, target columns or supporting keys change (MySQL
 *     refuses to alter a column or drop an index a foreign key uses,
 *     PostgreSQL to drop a key one references); a generated column reading
 *     a column that changes (PostgreSQL); what cannot live through an
 *     enum's recreation (core/schema_diff_enum.c decides); views and
 *     triggers (core/schema_diff_obj.c). Redoing too much costs a
 *     statement; too little fails the migration.
 *   - SQLite tables whose columns or constraints change are asked whether
 *     they need a rebuild (dm_sqlite_needs_rebuild); a rebuilt table is
 *     redone whole by dm_sqlite_rebuild, and its foreign keys (which name
 *     their parent, kept by the rebuild's rename) are left alone.
 */
#include "schema_diff_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- matching: dm_sobj_ident_cmp, the identity drift compares on (schema_cmp.c) - */

#define sv dd_sv

static int slist_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    return !dm_slist_cmp(a, na, b, nb);
}

static int same_column(const dm_sobj *a, const dm_sobj *b)
{
    uint32_t m = DBMIG_SO_NULLABLE | DBMIG_SO_IDENTITY;
    if ((a->flags & m) != (b->flags & m) || !sv(a->type, b->type) ||
        !sv(a->default_expr, b->default_expr) || !sv(a->collation, b->collation) ||
        !sv(a->generated, b->generated))
        return 0;
    return !a->generated ||
           (a->flags & DBMIG_SO_GENERATED_STORED) == (b->flags & DBMIG_SO_GENERATED_STORED);
}

/* Every field schema_cmp.c compares (its diff_fields). */
static int same(const dm_sobj *a, const dm_sobj *b)
{
    switch (a->kind) {
    case DBMIG_SO_COLUMN:
        return same_column(a, b);
    case DBMIG_SO_PRIMARY_KEY:
        if (dm_sstr_cmp(a->name, b->name))
            return 0;
        /* fall through */
    case DBMIG_SO_UNIQUE:
        return slist_eq(a->columns, a->ncolumns, b->columns, b->ncolumns);
    case DBMIG_SO_FOREIGN_KEY:
        return slist_eq(a->columns, a->ncolumns, b->columns, b->ncolumns) &&
               sv(a->ref_table, b->ref_table) &&
               slist_eq(a->ref_columns, a->nref_columns, b->ref_columns, b->nref_columns) &&
               sv(a->on_delete, b->on_delete) && sv(a->on_update, b->on_update) &&
               (a->flags & DBMIG_SO_DEFERRABLE) == (b->flags & DBMIG_SO_DEFERRABLE);
    case DBMIG_SO_CHECK:
        return sv(a->definition, b->definition);
    case DBMIG_SO_INDEX:
        return (a->flags & DBMIG_SO_UNIQUE_INDEX) == (b->flags & DBMIG_SO_UNIQUE_INDEX) &&
               slist_eq(a->columns, a->ncolumns, b->columns, b->ncolumns) &&
               sv(a->predicate, b->predicate) && sv(a->method, b->method);
    case DBMIG_SO_SEQUENCE:
        return sv(a->definition, b->definition) && sv(a->table, b->table) &&
               slist_eq(a->columns, a->ncolumns, b->columns, b->ncolumns);
    case DBMIG_SO_TRIGGER:
    case DBMIG_SO_VIEW:
    case DBMIG_SO_FUNCTION:
        return !strcmp(a->digest, b->digest);
    default:
        return 1; /* enums are core/schema_diff_enum.c's */
    }
}

static void pair(dd *d, size_t i, size_t j)
{
    d->ma[i] = j;
    d->mb[j] = i;
    if (!same(&d->a->v[i], &d->b->v[j])) {
        d->fa[i] |= DD_CHANGED;
        d->fb[j] |= DD_CHANGED;
    }
}

/* A sequence whose owner changes has another identity: pair it by name. */
static void pair_sequences(dd *d)
{
    for (size_t i = 0; i < d->a->n; i++) {
        if (d->a->v[i].kind != DBMIG_SO_SEQUENCE || d->ma[i] != DD_NONE)
            continue;
        for (size_t j = 0; j < d->b->n; j++)
            if (d->b->v[j].kind == DBMIG_SO_SEQUENCE && d->mb[j] == DD_NONE &&
                dm_streq(d->a->v[i].name, d->b->v[j].name)) {
                d->fa[i] &= (uint8_t)~DD_GONE;
                d->fb[j] &= (uint8_t)~DD_NEW;
                pair(d, i, j);
                break;
            }
    }
}

int dd_match(dd *d)
{
    const dm_schema *a = d->a, *b = d->b;
    const dm_sobj **va = dm_schema_ident_view(a), **vb = dm_schema_ident_view(b);
    int rc = !va || !vb ? -1 : 0;
    size_t i = 0, j = 0;
    while (!rc && (i < a->n || j < b->n)) {
        int k = i == a->n ? 1 : j == b->n ? -1 : dm_sobj_ident_cmp(va[i], vb[j]);
        if (k < 0) {
            d->fa[va[i++] - a->v] |= DD_GONE;
        } else if (k > 0) {
            d->fb[vb[j++] - b->v] |= DD_NEW;
        } else {
            pair(d, (size_t)(va[i] - a->v), (size_t)(vb[j] - b->v));
            i++, j++;
        }
    }
    free(va);
    free(vb);
    if (!rc)
        pair_sequences(d);
    return rc;
}

/* ---- the plan ------------------------------------------------------------------ */

void dd_redo_a(dd *d, size_t i)
{
    d->fa[i] |= DD_REDO;
    if (d->ma[i] != DD_NONE)
        d->fb[d->ma[i]] |= DD_REDO;
}

/* Does a column or constraint of table t (in both) differ? (Indexes and
 * triggers never need a SQLite rebuild.) */
static int tab_differs(const dd *d, const char *t)
{
    static const int kinds[] = {DBMIG_SO_COLUMN, DBMIG_SO_PRIMARY_KEY, DBMIG_SO_UNIQUE,
                                DBMIG_SO_FOREIGN_KEY, DBMIG_SO_CHECK};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t lo, hi;
        dm_schema_range(d->a, kinds[k], t, &lo, &hi);
        for (size_t i = lo; i < hi; i++)
            if (d->fa[i] & (DD_GONE | DD_CHANGED))
                return 1;
        dm_schema_range(d->b, kinds[k], t, &lo, &hi);
        for (size_t j = lo; j < hi; j++)
            if (d->fb[j] & DD_NEW)
                return 1;
    }
    return 0;
}

/* A generated column that reads a column that changes or goes is dropped
 * and added again around the change (PostgreSQL refuses to alter a column
 * a generated one reads). */
static void plan_generated(dd *d)
{
    for (size_t i = 0; i < d->a->n && !d->lite; i++) {
        const dm_sobj *g = &d->a->v[i];
        if (g->kind != DBMIG_SO_COLUMN || !g->generated || (d->fa[i] & (DD_GONE | DD_READD)))
            continue;
        size_t lo, hi;
        dm_schema_range(d->a, DBMIG_SO_COLUMN, g->table, &lo, &hi);
        for (size_t c = lo; c < hi; c++)
            if (c != i && (d->fa[c] & (DD_GONE | DD_CHANGED)) &&
                dd_mentions(g->generated, d->a->v[c].name)) {
                d->fa[i] |= DD_READD;
                d->fb[d->ma[i]] |= DD_READD;
                break;
            }
    }
}

/* Is column a dropped and added again to become b: its generated
 * expression or kind changes, except a STORED one that becomes a plain
 * column (PostgreSQL DROP EXPRESSION, MySQL MODIFY keep its values). */
static int readds(const dm_sobj *a, const dm_sobj *b)
{
    if (a->generated && (a->flags & DBMIG_SO_GENERATED_STORED) && !b->generated)
        return 0;
    return !sv(a->generated, b->generated) ||
           (a->generated && ((a->flags ^ b->flags) & DBMIG_SO_GENERATED_STORED));
}

/* Tables rebuilt on SQLite, columns dropped and added again (a generated
 * expression that changes), tables whose columns change (views). */
static void plan_tables(dd *d)
{
    for (size_t i = 0; i < d->a->n; i++) {
        const dm_sobj *o = &d->a->v[i];
        if (o->kind == DBMIG_SO_TABLE && (d->fa[i] & DD_GONE))
            d->fa[i] |= DD_TOUCH;
        else if (o->kind == DBMIG_SO_TABLE && d->lite && tab_differs(d, o->name) &&
                 dm_sqlite_needs_rebuild(d->a, d->b, o->name))
            d->fa[i] |= DD_REDO | DD_TOUCH, d->fb[d->ma[i]] |= DD_REDO;
        if (o->kind != DBMIG_SO_COLUMN || !(d->fa[i] & (DD_GONE | DD_CHANGED)))
            continue;
        const dm_sobj *t = d->ma[i] == DD_NONE ? NULL : &d->b->v[d->ma[i]];
        if (t && !d->lite && readds(o, t)) {
            d->fa[i] |= DD_READD;
            d->fb[d->ma[i]] |= DD_READD;
        }
        size_t ti = dd_find_table(d->a, o->table);
        if (ti != DD_NONE)
            d->fa[ti] |= DD_TOUCH;
    }
    plan_generated(d); /* (a column added touches no reader: a view's `*` was
                        * expanded when it was made, or it reads the same) */
}

/* Does key, index or check o name column c (a list entry, an expression,
 * a predicate, a definition)? */
static int uses_column(const dm_sobj *o, const char *c)
{
    for (size_t k = 0; k < o->ncolumns; k++)
        if (dm_streq(o->columns[k], c) || dd_mentions(o->columns[k], c))
            return 1;
    return dd_mentions(o->predicate, c) || dd_mentions(o->definition, c);
}

int dd_is_key(int kind)
{
    return kind == DBMIG_SO_PRIMARY_KEY || kind == DBMIG_SO_UNIQUE || kind == DBMIG_SO_CHECK ||
           kind == DBMIG_SO_INDEX;
}

/* A key or index over a column that is dropped (or dropped and added
 * again) is dropped first and created again. */
static void plan_keys(dd *d)
{
    for (size_t i = 0; i < d->a->n; i++) {
        const dm_sobj *o = &d->a->v[i];
        if (!dd_is_key(o->kind) || (d->fa[i] & DD_DROPS))
            continue;
        size_t lo, hi;
        dm_schema_range(d->a, DBMIG_SO_COLUMN, o->table, &lo, &hi);
        for (size_t c = lo; c < hi; c++)
            if ((d->fa[c] & (DD_GONE | DD_READD)) && uses_column(o, d->a->v[c].name)) {
                dd_redo_a(d, i);
                break;
            }
    }
}

/* Does column c of table t change (or go), in from? */
static int col_moves(const dd *d, const char *t, char *const *cols, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t c = dd_find_col(d->a, t, cols[k]);
        if (c != DD_NONE && (d->fa[c] & (DD_GONE | DD_CHANGED | DD_READD)))
            return 1;
    }
    return 0;
}

/* Is a key or index of table t that shares a column with cols dropped? */
static int key_moves(const dd *d, const char *t, char *const *cols, size_t n)
{
    for (int kind = DBMIG_SO_PRIMARY_KEY; kind <= DBMIG_SO_INDEX; kind++) {
        size_t lo, hi;
        dm_schema_range(d->a, kind, t, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            if (!dd_is_key(kind) || !(d->fa[i] & DD_DROPS))
                continue;
            for (size_t k = 0; k < n; k++)
                if (uses_column(&d->a->v[i], cols[k]))
                    return 1;
        }
    }
    return 0;
}

/* PostgreSQL: what cannot live through an enum's recreation (a check or
 * index naming it, a view, trigger or function, a foreign key over a
 * converted column: dropped and created again; a generated column over
 * it: dropped and added again) — core/schema_diff_enum.c decides. */
static void plan_enums(dd *d)
{
    size_t lo, hi;
    dm_schema_range(d->a, DBMIG_SO_ENUM, NULL, &lo, &hi);
    if (!d->pg || lo == hi)
        return;
    /* the enums' plan once (it scans the model), then each object */
    dm_strv re = {0};
    if (dm_diff_enums_recreated(d->a, d->b, &re))
        d->wb.rc = -1;
    for (size_t i = 0; re.n && i < d->a->n; i++) {
        const dm_sobj *o = &d->a->v[i];
        int k = o->kind;
        if ((k != DBMIG_SO_CHECK && k != DBMIG_SO_INDEX && k != DBMIG_SO_VIEW &&
             k != DBMIG_SO_TRIGGER && k != DBMIG_SO_FUNCTION && k != DBMIG_SO_FOREIGN_KEY &&
             k != DBMIG_SO_COLUMN) ||
            (d->fa[i] & (k == DBMIG_SO_COLUMN ? DD_GONE | DD_READD : DD_DROPS)) ||
            !dm_diff_enum_dependent_of(d->a, d->b, &re, o))
            continue;
        if (k != DBMIG_SO_COLUMN) {
            dd_redo_a(d, i);
            continue;
        }
        /* a generated column over the enum (PostgreSQL cannot alter a
         * column a generated one reads): dropped and added again */
        d->fa[i] |= DD_READD;
        d->fb[d->ma[i]] |= DD_READD;
        size_t ti = dd_find_table(d->a, o->table);
        if (ti != DD_NONE)
            d->fa[ti] |= DD_TOUCH;
    }
    dm_strv_free(&re);
}

int dd_fk_siblings(const dm_sobj *f, const dm_sobj *g)
{
    if (f == g || !dm_streq(f->table, g->table))
        return 0;
    size_t n = f->ncolumns < g->ncolumns ? f->ncolumns : g->ncolumns;
    for (size_t k = 0; k < n; k++)
        if (!dm_streq(f->columns[k], g->columns[k]))
            return 0;
    return 1;
}

/* MySQL: foreign keys of one table whose columns are a prefix of each
 * other's share the index the server made for the first: one that goes
 * takes the others along (dropped first, added again), so that the index
 * can go too, whatever key it was named after. */
static void plan_fk_siblings(dd *d)
{
    for (int moved = d->my; moved;) {
        moved = 0;
        for (size_t i = 0; i < d->a->n; i++) {
            const dm_sobj *f = &d->a->v[i];
            if (f->kind != DBMIG_SO_FOREIGN_KEY || !(d->fa[i] & DD_DROPS) ||
                (dd_tab_a(d, f->table) & DD_GONE))
                continue;
            size_t lo, hi;
            dm_schema_range(d->a, DBMIG_SO_FOREIGN_KEY, f->table, &lo, &hi);
            for (size_t k = lo; k < hi; k++)
                if (!(d->fa[k] & DD_DROPS) && dd_fk_siblings(f, &d->a->v[k])) {
                    dd_redo_a(d, k);
                    moved = 1;
                }
        }
    }
}

/* MySQL: a key or index created under the name of the hidden index the
 * server may have made for a foreign key that stays would collide with it:
 * the foreign key goes first (with that index) and comes back. */
static int my_name_taken(const dd *d, const dm_sobj *f)
{
    const char *n = dd_my_fk_index_name(f);
    for (int kind = DBMIG_SO_UNIQUE; kind <= DBMIG_SO_INDEX; kind++) {
        size_t lo, hi;
        dm_schema_range(d->b, kind, f->table, &lo, &hi);
        for (size_t j = lo; j < hi; j++)
            if (dd_is_key(kind) && (d->fb[j] & DD_MAKES) && dm_streq(d->b->v[j].name, n) &&
                (d->mb[j] == DD_NONE || !dm_streq(d->a->v[d->mb[j]].name, n)))
                return 1;
    }
    return 0;
}

static void plan_fks(dd *d)
{
    for (size_t i = 0; i < d->a->n && !d->lite; i++) { /* SQLite: a name, kept by a rebuild */
        const dm_sobj *f = &d->a->v[i];
        if (f->kind != DBMIG_SO_FOREIGN_KEY)
            continue;
        if ((dd_tab_a(d, f->table) & DD_GONE) && !dm_streq(f->table, f->ref_table) &&
            (col_moves(d, f->ref_table, f->ref_columns, f->nref_columns) ||
             key_moves(d, f->ref_table, f->ref_columns, f->nref_columns)))
            d->fa[i] |= DD_REDO; /* its table goes too late (phase 4) for the key it uses */
        if (d->fa[i] & DD_DROPS)
            continue;
        if (col_moves(d, f->table, f->columns, f->ncolumns) ||
            col_moves(d, f->ref_table, f->ref_columns, f->nref_columns) ||
            key_moves(d, f->table, f->columns, f->ncolumns) ||
            key_moves(d, f->ref_table, f->ref_columns, f->nref_columns) ||
            (dd_tab_a(d, f->ref_table) & (DD_GONE | DD_REDO)) || (d->my && my_name_taken(d, f)))
            dd_redo_a(d, i);
    }
    plan_fk_siblings(d);
}

/* Does o (a check, index or column of from) call function base? */
static int calls(const dm_sobj *o, const char *base)
{
    for (size_t k = 0; k < o->ncolumns && o->kind == DBMIG_SO_INDEX; k++)
        if (dd_mentions(o->columns[k], base))
            return 1;
    return dd_mentions(o->definition, base) || dd_mentions(o->predicate, base) ||
           dd_mentions(o->generated, base) || dd_mentions(o->default_expr, base);
}

/* PostgreSQL: what calls a function that is dropped (its result type
 * changes, or it goes) in a table that stays is dropped first and created
 * again: a check or index; a generated column (dropped and added); a
 * default (dropped in phase 4, set again in 5). */
static void plan_functions(dd *d)
{
    for (size_t i = 0; i < d->a->n && d->pg; i++) {
        if (!dd_fn_drops(d, i))
            continue;
        char base[256];
        size_t n = strcspn(d->a->v[i].name, "(");
        snprintf(base, sizeof base, "%.*s", (int)(n < 255 ? n : 255), d->a->v[i].name);
        for (size_t k = 0; k < d->a->n; k++) {
            const dm_sobj *o = &d->a->v[k];
            if ((o->kind != DBMIG_SO_CHECK && o->kind != DBMIG_SO_INDEX &&
                 o->kind != DBMIG_SO_COLUMN) ||
                (d->fa[k] & (DD_GONE | DD_READD)) || (dd_tab_a(d, o->table) & DD_GONE) ||
                !calls(o, base))
                continue;
            if (o->kind == DBMIG_SO_COLUMN && o->generated)
                d->fa[k] |= DD_READD, d->fb[d->ma[k]] |= DD_READD;
            else /* a check or index; a column's default */
                dd_redo_a(d, k);
        }
    }
}

void dd_plan(dd *d)
{
    plan_tables(d);
    plan_enums(d);
    plan_functions(d);
    plan_keys(d);
    plan_fks(d);
    dd_plan_code(d);
}
