/* schema_diff_obj.c — the generator's objects outside tables
 * (core/schema_diff.h, called by core/schema_diff.c): views, triggers and
 * functions (phases 1, 4 and 9), sequences (phases 4, 5, 6 and 8).
 *
 * Why it is built this way:
 *   - Views, triggers and functions have no ALTER the three dialects share:
 *     one that changes (by digest) is dropped and created from the
 *     database's own text. One that is unchanged but reads something that
 *     changes is dropped and created too: PostgreSQL refuses to alter a
 *     column a view reads or to drop a function a trigger calls, and a
 *     SQLite rebuild renames a table under its readers. Which objects read
 *     what is a whole-word match of the name in the definition
 *     (dm_sobj_mentions), repeated until nothing more moves (a view over a
 *     view); dropping too much only costs a statement, dropping too little
 *     fails the migration.
 *   - Views are dropped readers first (the reverse of dm_schema_view_order
 *     on from) and created in dm_schema_view_order on to; functions are
 *     dropped last of all (end of phase 4: after the views, triggers,
 *     keys, tables and columns that may use them; core/schema_diff_plan.c
 *     redoes the checks, indexes, defaults and generated columns of kept
 *     tables that do) and created before views and triggers, which may
 *     call them; on PostgreSQL one that a column, check or index calls is
 *     created before the tables (phase 5), the others last (a SQL
 *     function's body is checked against the tables it reads).
 *   - A PostgreSQL function whose body changes is replaced in place (CREATE
 *     OR REPLACE, as the database wrote its definition), so that what uses
 *     it (a default, a check, a view, a trigger) stays; one whose result
 *     type changes is dropped and created.
 *   - MySQL keeps functions and procedures apart, so DROP says which,
 *     read from the definition's text; a PostgreSQL function's name holds
 *     its argument types ("f(integer)"), which DROP FUNCTION takes as they
 *     are after the quoted name.
 *   - Sequences: a changed definition is ALTER SEQUENCE on PostgreSQL, and
 *     created again on MariaDB (its ALTER SEQUENCE does not take every
 *     option SHOW CREATE gives). An owner (OWNED BY) that changes is let go
 *     before any table is dropped (DROP TABLE would take the sequence
 *     along) and set once the new column exists; a sequence that goes with
 *     its owner's table or column is not dropped again.
 */
#include "schema_diff_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define sv dd_sv

static int slist_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    return !dm_slist_cmp(a, na, b, nb);
}

/* "f(integer)" -> "f" into buf. */
static const char *fn_base(const char *name, char *buf, size_t cap)
{
    size_t n = strcspn(name, "(");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return buf;
}

/* The text after "RETURNS" up to the line's end ("" when none). */
static size_t returns_clause(const char *def, const char **at)
{
    const char *p = def ? strstr(def, "RETURNS ") : NULL;
    *at = p ? p : "";
    return p ? strcspn(p, "\n") : 0;
}

/* PostgreSQL: a function whose body changes is replaced in place (its
 * definition is CREATE OR REPLACE, as pg_get_functiondef writes it), so
 * that a default, check, index, view or trigger using it need not go;
 * not when its result type changes, which OR REPLACE refuses. */
static int fn_in_place(const dd *d, size_t i)
{
    const dm_sobj *f = &d->a->v[i];
    if (!d->pg || f->kind != DBMIG_SO_FUNCTION || (d->fa[i] & DD_DROPS) != DD_CHANGED)
        return 0;
    const dm_sobj *t = &d->b->v[d->ma[i]];
    const char *ra, *rb;
    size_t na = returns_clause(f->definition, &ra), nb = returns_clause(t->definition, &rb);
    return t->definition && !strncmp(t->definition, "CREATE OR REPLACE ", 18) && na == nb &&
           !strncmp(ra, rb, na);
}

/* Does o (a view or trigger of from) read something that goes or changes? */
static int code_depends(const dd *d, size_t i)
{
    const dm_sobj *o = &d->a->v[i];
    if (o->kind == DBMIG_SO_TRIGGER) { /* PostgreSQL: UPDATE OF c, WHEN (... c ...) */
        size_t lo, hi;
        dm_schema_range(d->a, DBMIG_SO_COLUMN, o->table, &lo, &hi);
        for (size_t c = lo; c < hi; c++)
            if ((d->fa[c] & (DD_GONE | DD_CHANGED | DD_READD)) &&
                dm_sobj_mentions(o, d->a->v[c].name))
                return 1;
    }
    for (size_t k = 0; k < d->a->n; k++) {
        const dm_sobj *x = &d->a->v[k];
        uint8_t f = d->fa[k];
        char base[256];
        if (k == i)
            continue;
        if (x->kind == DBMIG_SO_TABLE && o->kind == DBMIG_SO_VIEW && (f & DD_TOUCH) &&
            dm_sobj_mentions(o, x->name))
            return 1;
        if (x->kind == DBMIG_SO_TABLE && o->kind == DBMIG_SO_TRIGGER &&
            (f & (DD_GONE | DD_REDO)) && !dm_streq(o->table, x->name) &&
            dm_sobj_mentions(o, x->name))
            return 1;
        if ((x->kind == DBMIG_SO_VIEW || x->kind == DBMIG_SO_FUNCTION) && (f & DD_DROPS) &&
            !fn_in_place(d, k) &&
            dm_sobj_mentions(o, x->kind == DBMIG_SO_VIEW ? x->name
                                                         : fn_base(x->name, base, sizeof base)))
            return 1;
    }
    return 0;
}

/* Views and triggers that read what changes are dropped and created again,
 * until nothing more moves (a view over a view). */
void dd_plan_code(dd *d)
{
    for (int moved = 1; moved;) {
        moved = 0;
        for (size_t i = 0; i < d->a->n; i++) {
            int k = d->a->v[i].kind;
            if ((k != DBMIG_SO_VIEW && k != DBMIG_SO_TRIGGER) || (d->fa[i] & DD_DROPS))
                continue;
            if (code_depends(d, i)) {
                dd_redo_a(d, i);
                moved = 1;
            }
        }
    }
}

/* ---- phase 1: views, triggers, functions ----------------------------------------- */

/* The word w (upper case) at p, in any case, as a whole word? */
static int word_at(const char *start, const char *p, const char *w)
{
    size_t n = strlen(w);
    for (size_t k = 0; k < n; k++)
        if (toupper((unsigned char)p[k]) != w[k])
            return 0;
    int before = p == start || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
    return before && !(isalnum((unsigned char)p[n]) || p[n] == '_');
}

/* Which a definition creates: read from its text (MySQL keeps functions
 * and procedures apart, so does DROP). */
static int is_procedure(const char *def)
{
    for (const char *p = def ? def : ""; *p; p++) {
        if (word_at(def, p, "FUNCTION"))
            return 0;
        if (word_at(def, p, "PROCEDURE"))
            return 1;
    }
    return 0;
}

static void drop_function(dd *d, const dm_sobj *f)
{
    char base[256];
    const char *args = strchr(f->name, '(');
    if (args && (size_t)(args - f->name) >= sizeof base)
        args = NULL;
    dd_drop_named(d, is_procedure(f->definition) ? "PROCEDURE" : "FUNCTION",
               args ? fn_base(f->name, base, sizeof base) : f->name);
    if (args)
        dm_sqlw_put(&d->wb, args);
    dd_end(d);
}

void dd_drop_code(dd *d)
{
    size_t *ord, n;
    if (dm_schema_view_order(d->a, &ord, &n)) {
        d->wb.rc = -1;
        return;
    }
    for (size_t k = n; k-- > 0;) /* the views that read others first */
        if (d->fa[ord[k]] & DD_DROPS) {
            dd_drop_named(d, "VIEW", d->a->v[ord[k]].name);
            dd_end(d);
        }
    free(ord);
    for (size_t i = 0; i < d->a->n; i++) {
        const dm_sobj *o = &d->a->v[i];
        if (o->kind != DBMIG_SO_TRIGGER || !(d->fa[i] & DD_DROPS) ||
            (dd_tab_a(d, o->table) & (DD_GONE | DD_REDO)))
            continue;
        dd_drop_named(d, "TRIGGER", o->name);
        if (d->pg) {
            dm_sqlw_put(&d->wb, " ON ");
            dm_sqlw_ident(&d->wb, o->table);
        }
        dd_end(d);
    }
}

int dd_fn_drops(const dd *d, size_t i)
{
    return d->a->v[i].kind == DBMIG_SO_FUNCTION && (d->fa[i] & DD_DROPS) && !fn_in_place(d, i);
}

void dd_drop_functions(dd *d)
{
    for (size_t i = 0; i < d->a->n; i++)
        if (dd_fn_drops(d, i))
            drop_function(d, &d->a->v[i]);
}

/* ---- sequences (PostgreSQL, MariaDB) ---------------------------------------------- */

/* PostgreSQL: a sequence whose owner changes lets go of it first (DROP
 * TABLE would take it along). */
void dd_release_sequences(dd *d)
{
    for (size_t i = 0; i < d->a->n && d->pg; i++) {
        const dm_sobj *s = &d->a->v[i];
        if (s->kind != DBMIG_SO_SEQUENCE || d->ma[i] == DD_NONE || !s->table || !s->ncolumns)
            continue;
        const dm_sobj *t = &d->b->v[d->ma[i]];
        if (sv(s->table, t->table) && slist_eq(s->columns, s->ncolumns, t->columns, t->ncolumns))
            continue;
        dm_sqlw_put(&d->wb, "ALTER SEQUENCE ");
        dm_sqlw_ident(&d->wb, s->name);
        dm_sqlw_put(&d->wb, " OWNED BY NONE");
        dd_end(d);
    }
}

static void create_sequence(dd *d, const dm_sobj *s)
{
    dm_sqlw_put(&d->wb, "CREATE SEQUENCE ");
    dm_sqlw_ident(&d->wb, s->name);
    if (s->definition && s->definition[0]) {
        dm_sqlw_put(&d->wb, " ");
        dm_sqlw_put(&d->wb, s->definition);
    }
    dd_end(d);
}

void dd_sequences(dd *d)
{
    for (size_t j = 0; j < d->b->n; j++) {
        const dm_sobj *s = &d->b->v[j];
        if (s->kind != DBMIG_SO_SEQUENCE || !(d->fb[j] & DD_MAKES))
            continue;
        const dm_sobj *was = d->mb[j] == DD_NONE ? NULL : &d->a->v[d->mb[j]];
        if (!was) {
            create_sequence(d, s);
        } else if (!sv(was->definition, s->definition) && d->pg) {
            dm_sqlw_put(&d->wb, "ALTER SEQUENCE ");
            dm_sqlw_ident(&d->wb, s->name);
            dm_sqlw_put(&d->wb, " ");
            dm_sqlw_put(&d->wb, s->definition);
            dd_end(d);
        } else if (!sv(was->definition, s->definition)) { /* MariaDB: created again */
            dd_drop_named(d, "SEQUENCE", s->name);
            dd_end(d);
            create_sequence(d, s);
            dm_buf o = {0};
            if (dm_buf_printf(&o, "sequence %s", s->name) ||
                dm_dnotes_add(d->notes, DM_NOTE_INFO, dm_buf_str(&o),
                              "created again: it restarts at its START value"))
                d->wb.rc = -1;
            dm_buf_free(&o);
        }
    }
}

void dd_own_sequences(dd *d)
{
    for (size_t j = 0; j < d->b->n && d->pg; j++) {
        const dm_sobj *s = &d->b->v[j];
        if (s->kind != DBMIG_SO_SEQUENCE || !s->table || !s->ncolumns)
            continue;
        const dm_sobj *was = d->mb[j] == DD_NONE ? NULL : &d->a->v[d->mb[j]];
        if (was && sv(s->table, was->table) &&
            slist_eq(s->columns, s->ncolumns, was->columns, was->ncolumns))
            continue;
        dm_sqlw_put(&d->wb, "ALTER SEQUENCE ");
        dm_sqlw_ident(&d->wb, s->name);
        dm_sqlw_put(&d->wb, " OWNED BY ");
        dm_sqlw_ident(&d->wb, s->table);
        dm_sqlw_put(&d->wb, ".");
        dm_sqlw_ident(&d->wb, s->columns[0]);
        dd_end(d);
    }
}

/* ---- phase 8: sequences, enums ----------------------------------------------------- */

void dd_drop_sequences(dd *d)
{
    for (size_t i = 0; i < d->a->n; i++) {
        const dm_sobj *s = &d->a->v[i];
        if (s->kind != DBMIG_SO_SEQUENCE || !(d->fa[i] & DD_GONE))
            continue;
        if (d->pg && s->table && s->ncolumns) { /* owned: gone with its column? */
            size_t c = dd_find_col(d->a, s->table, s->columns[0]);
            if ((dd_tab_a(d, s->table) & DD_GONE) || (c != DD_NONE && (d->fa[c] & DD_GONE)))
                continue;
        }
        dd_drop_named(d, "SEQUENCE", s->name);
        dd_end(d);
    }
    if (dm_diff_enums_after(&d->wb, d->a, d->nstmt, d->notes))
        d->wb.rc = d->wb.rc ? d->wb.rc : -1;
}

/* ---- phase 9: functions, views, triggers ------------------------------------------- */

/* PostgreSQL: is function j of to called by a column (default, generated
 * expression), check or index of to? Then it is made before the tables. */
static int fn_early(const dd *d, size_t j)
{
    char base[256];
    if (!d->pg)
        return 0;
    fn_base(d->b->v[j].name, base, sizeof base);
    for (size_t k = 0; k < d->b->n; k++) {
        const dm_sobj *o = &d->b->v[k];
        int calls = 0;
        if (o->kind == DBMIG_SO_COLUMN)
            calls = dd_mentions(o->default_expr, base) || dd_mentions(o->generated, base);
        else if (o->kind == DBMIG_SO_CHECK)
            calls = dd_mentions(o->definition, base);
        else if (o->kind == DBMIG_SO_INDEX) {
            calls = dd_mentions(o->predicate, base);
            for (size_t c = 0; c < o->ncolumns && !calls; c++)
                calls = dd_mentions(o->columns[c], base);
        }
        if (calls)
            return 1;
    }
    return 0;
}

void dd_create_functions(dd *d, int early)
{
    for (size_t j = 0; j < d->b->n; j++)
        if (d->b->v[j].kind == DBMIG_SO_FUNCTION && (d->fb[j] & DD_MAKES) &&
            fn_early(d, j) == early) {
            dm_sqlw_statement(&d->wb, d->b->v[j].definition);
            ++*d->nstmt;
        }
}

void dd_create_code(dd *d)
{
    dd_create_functions(d, 0);
    size_t *ord, n;
    if (dm_schema_view_order(d->b, &ord, &n)) {
        d->wb.rc = -1;
        return;
    }
    for (size_t k = 0; k < n; k++)
        if (d->fb[ord[k]] & DD_MAKES) {
            dm_sqlw_create_view(&d->wb, &d->b->v[ord[k]]);
            ++*d->nstmt;
        }
    free(ord);
    for (size_t j = 0; j < d->b->n; j++) {
        const dm_sobj *o = &d->b->v[j];
        if (o->kind == DBMIG_SO_TRIGGER && (d->fb[j] & DD_MAKES) &&
            !(dd_tab_b(d, o->table) & DD_REDO)) {
            dm_sqlw_statement(&d->wb, o->definition);
            ++*d->nstmt;
        }
    }
}
