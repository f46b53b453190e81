/* schema_diff.c — the migration generator (core/schema_diff.h): its entry
 * point, its notes, and the statements of the tables' objects in the
 * header's nine phases. The generator's other files: schema_diff_plan.c
 * matches the two models and plans (what is dropped, created, altered, or
 * dropped and created again), schema_diff_col.c writes a table's column
 * changes per dialect (with the destructive and rename notes),
 * schema_diff_obj.c views, triggers, functions and sequences;
 * schema_diff_sqlite.c is SQLite's table rebuild, schema_diff_enum.c
 * PostgreSQL's enum types. What they share is core/schema_diff_int.h.
 *
 * Why it is built this way:
 *   - Everything is decided before anything is written (the plan), so
 *     every phase reads the same decisions; each phase walks the models in
 *     canonical order, so the same two models give the same bytes; a blank
 *     line separates the phases that wrote something. On failure the
 *     caller's buffer is left as it was: nothing half-written.
 *   - Objects of a table that goes away are not dropped one by one (DROP
 *     TABLE takes its indexes, keys and triggers), except foreign keys
 *     into another table that goes away; objects of a new table are
 *     written inline by CREATE TABLE (foreign keys after every table on
 *     PostgreSQL and MySQL, inline on SQLite); a SQLite table that needs a
 *     rebuild is left whole to dm_sqlite_rebuild.
 *   - MySQL specifics: a check is dropped with DROP CONSTRAINT (MariaDB
 *     10.2+ and MySQL 8.0.19+ accept it; MySQL's DROP CHECK is not
 *     MariaDB's); a unique constraint with DROP INDEX. A foreign key
 *     dropped also drops the index the server made for it (the inspection
 *     hides it, and it would show once the key is gone), named after the
 *     key, or after its first column when the server named the key
 *     (<table>_ibfk_<n>; so a key added under such a name gets that index
 *     first). It surely exists when no other index of the table starts
 *     with the key's columns (the server drops its own when another
 *     appears, and refuses to drop the other while the key needs it); it
 *     may exist otherwise (a key declared in CREATE TABLE before the index
 *     that serves it keeps its own): then it is dropped only if it exists,
 *     through a statement prepared from information_schema (MySQL has no
 *     DROP INDEX IF EXISTS). The primary key and the keys led by an
 *     AUTO_INCREMENT column move with the table's column changes
 *     (schema_diff_col.c).
 *   - A change a dialect cannot express is refused with the object and what
 *     to do (an unnamed constraint to drop, a SQLite change that needs the
 *     rebuild but did not get one), never skipped.
 */
#include "schema_diff_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- notes ------------------------------------------------------------------ */

int dm_dnotes_add(dm_dnotes *n, int kind, const char *object, const char *fmt, ...)
{
    if (!n)
        return 0;
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 8;
        dm_dnote *v = realloc(n->v, cap * sizeof *v);
        if (!v)
            return -1;
        n->v = v;
        n->cap = cap;
    }
    dm_buf t = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = dm_buf_vprintf(&t, fmt, ap);
    va_end(ap);
    char *text = rc ? NULL : dm_buf_take(&t), *obj = dm_strdup(object ? object : "");
    if (!text || !obj) {
        dm_buf_free(&t);
        free(text);
        free(obj);
        return -1;
    }
    n->v[n->n++] = (dm_dnote){kind, obj, text};
    return 0;
}

void dm_dnotes_free(dm_dnotes *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        free(n->v[i].object);
        free(n->v[i].text);
    }
    free(n->v);
    n->v = NULL;
    n->n = n->cap = 0;
}

/* ---- lookups ----------------------------------------------------------------- */

size_t dd_find_table(const dm_schema *s, const char *name)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_TABLE, NULL, &lo, &hi);
    while (lo < hi) { /* tables sort by name */
        size_t mid = lo + (hi - lo) / 2;
        int c = dm_sstr_cmp(s->v[mid].name, name);
        if (!c)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return DD_NONE;
}

size_t dd_find_col(const dm_schema *s, const char *table, const char *name)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_COLUMN, table, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        if (dm_streq(s->v[i].name, name))
            return i;
    return DD_NONE;
}

uint8_t dd_tab_a(const dd *d, const char *name)
{
    size_t i = dd_find_table(d->a, name);
    return i == DD_NONE ? 0 : (uint8_t)(d->fa[i] | 0x80);
}

uint8_t dd_tab_b(const dd *d, const char *name)
{
    size_t j = dd_find_table(d->b, name);
    return j == DD_NONE ? 0 : (uint8_t)(d->fb[j] | 0x80);
}

/* As dm_sobj_mentions (core/schema_sql.c), on any text. */
int dd_mentions(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text ? text : ""; n && *p; p++) {
        size_t k = 0;
        while (k < n && p[k] && tolower((unsigned char)p[k]) == tolower((unsigned char)name[k]))
            k++;
        if (k < n)
            continue;
        int before = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        if (before && !(isalnum((unsigned char)p[n]) || p[n] == '_'))
            return 1;
    }
    return 0;
}

/* ---- statements -------------------------------------------------------------- */

void dd_destructive(dd *d, const char *object, const char *note, const char *fmt, ...)
{
    dm_buf w = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = dm_buf_vprintf(&w, fmt, ap);
    va_end(ap);
    dm_sqlw_put(&d->wb, "-- dbmig:destructive ");
    dm_sqlw_put(&d->wb, dm_buf_str(&w));
    dm_sqlw_put(&d->wb, "\n");
    if (rc || dm_dnotes_add(d->notes, DM_NOTE_DESTRUCTIVE, object, "%s", note))
        d->wb.rc = -1;
    dm_buf_free(&w);
}

void dd_end(dd *d)
{
    dm_sqlw_put(&d->wb, ";\n");
    ++*d->nstmt;
}

void dd_alter(dd *d, const char *table)
{
    dm_sqlw_put(&d->wb, "ALTER TABLE ");
    dm_sqlw_ident(&d->wb, table);
    dm_sqlw_put(&d->wb, " ");
}

void dd_coldef(dd *d, const dm_sobj *c)
{
    dm_buf t = {0};
    dm_sqlw w = {d->b, d->o->quote, d->o->quote_arg, &t, 0};
    dm_sqlw_column_def(&w, c, dm_schema_pk(d->b, c->table));
    if (w.rc || t.len < 2)
        d->wb.rc = -1;
    else
        dm_sqlw_put(&d->wb, t.ptr + 2);
    dm_buf_free(&t);
}

int dd_refuse(dd *d, const char *fmt, ...)
{
    if (d->failed)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    dm_buf m = {0};
    int rc = dm_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    if (rc)
        dm_err_nomem(d->e);
    else
        dm_err_set(d->e, DBMIG_ERROR, "%s", dm_buf_str(&m));
    dm_buf_free(&m);
    d->failed = 1;
    return -1;
}

/* "DROP <what> n" */
void dd_drop_named(dd *d, const char *what, const char *name)
{
    dm_sqlw_put(&d->wb, "DROP ");
    dm_sqlw_put(&d->wb, what);
    dm_sqlw_put(&d->wb, " ");
    dm_sqlw_ident(&d->wb, name);
}

#define sv dd_sv

static int slist_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    return !dm_slist_cmp(a, na, b, nb);
}

/* ---- phase 2: foreign keys ---------------------------------------------------------- */

/* MySQL: a name the server gives a foreign key, <table>_ibfk_<n>. */
static int my_server_fk_name(const dm_sobj *f)
{
    size_t tl = strlen(f->table);
    return !strncmp(f->name, f->table, tl) && !strncmp(f->name + tl, "_ibfk_", 6);
}

const char *dd_my_fk_index_name(const dm_sobj *f)
{
    return my_server_fk_name(f) ? f->columns[0] /* the server's own name: after the column */
                                : f->name;
}

/* Is key part p column c, ascending or descending ("c DESC": a
 * descending index serves a foreign key as well, and MariaDB drops its own
 * index for the key when one appears)? */
static int my_part_is(const char *p, const char *c)
{
    size_t n = strlen(c);
    return strncmp(p, c, n) == 0 && (!p[n] || strcmp(p + n, " DESC") == 0);
}

/* MySQL: does another index of f's table in s start with its columns (so
 * that the server need not have made one for it)? */
static int my_fk_covered(const dm_schema *s, const dm_sobj *f)
{
    for (int kind = DBMIG_SO_PRIMARY_KEY; kind <= DBMIG_SO_INDEX; kind++) {
        size_t lo, hi;
        dm_schema_range(s, kind, f->table, &lo, &hi);
        for (size_t i = lo; i < hi && dd_is_key(kind) && kind != DBMIG_SO_CHECK; i++) {
            const dm_sobj *x = &s->v[i];
            size_t k = 0;
            while (k < f->ncolumns && k < x->ncolumns && my_part_is(x->columns[k], f->columns[k]))
                k++;
            if (k == f->ncolumns && !x->method)
                return 1;
        }
    }
    return 0;
}

/* MySQL: the name of the index the server made for foreign key f of s,
 * or NULL when another index of its table starts with its columns. */
static const char *my_fk_index(const dm_schema *s, const dm_sobj *f)
{
    return my_fk_covered(s, f) ? NULL : dd_my_fk_index_name(f);
}

/* Is n the name of a key or index the model has on table t (then it is no
 * hidden index of a foreign key), or the hidden index's name of a foreign
 * key of t that stays (then it is that key's)? */
static int my_named_key(const dd *d, const char *t, const char *n)
{
    size_t lo, hi;
    dm_schema_range(d->a, DBMIG_SO_FOREIGN_KEY, t, &lo, &hi);
    for (size_t k = lo; k < hi; k++)
        if (!(d->fa[k] & DD_DROPS) && dm_streq(dd_my_fk_index_name(&d->a->v[k]), n))
            return 1;
    for (int kind = DBMIG_SO_PRIMARY_KEY; kind <= DBMIG_SO_INDEX; kind++) {
        dm_schema_range(d->a, kind, t, &lo, &hi);
        for (size_t i = lo; i < hi; i++)
            if (dd_is_key(kind) && dm_streq(d->a->v[i].name, n))
                return 1;
    }
    return 0;
}

static int my_has_sibling(const dm_schema *s, const dm_sobj *f)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_FOREIGN_KEY, f->table, &lo, &hi);
    for (size_t k = lo; k < hi; k++)
        if (dd_fk_siblings(f, &s->v[k]))
            return 1;
    return 0;
}

/* MySQL: DROP INDEX n when it exists (MariaDB's DROP INDEX IF EXISTS is
 * not MySQL's): a statement chosen from information_schema, prepared. */
static void my_drop_index_if_exists(dd *d, const char *t, const char *n)
{
    dm_buf stmt = {0};
    dm_sqlw w = {d->a, d->o->quote, d->o->quote_arg, &stmt, 0};
    dm_sqlw_put(&w, "ALTER TABLE ");
    dm_sqlw_ident(&w, t);
    dm_sqlw_put(&w, " DROP INDEX ");
    dm_sqlw_ident(&w, n);
    const char *lit[] = {dm_buf_str(&stmt), t, n};
    static const char *const part[] = {"SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, '",
                                       ("', 'DO 0') FROM information_schema.STATISTICS "
                                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '"),
                                       "' AND INDEX_NAME = '"};
    for (size_t k = 0; k < 3; k++) {
        dm_sqlw_put(&d->wb, part[k]);
        for (const char *p = lit[k]; *p; p++) /* a string literal: quotes doubled */
            d->wb.rc |= dm_buf_append(d->wb.out, p, *p == '\'' || *p == '\\' ? 1 : 0) |
                        dm_buf_append(d->wb.out, p, 1);
    }
    dm_sqlw_put(&d->wb, "')");
    dd_end(d);
    d->wb.rc |= w.rc;
    dm_buf_free(&stmt);
    dm_sqlw_put(&d->wb, "PREPARE dbmig_stmt FROM @dbmig_sql");
    dd_end(d);
    dm_sqlw_put(&d->wb, "EXECUTE dbmig_stmt");
    dd_end(d);
    dm_sqlw_put(&d->wb, "DEALLOCATE PREPARE dbmig_stmt");
    dd_end(d);
}

/* Does phase 2 drop foreign key i (and does its table stay)? */
static int fk_drops(const dd *d, size_t i, int *stays)
{
    const dm_sobj *f = &d->a->v[i];
    int gone = dd_tab_a(d, f->table) & DD_GONE;
    *stays = !gone;
    if (f->kind != DBMIG_SO_FOREIGN_KEY || !(d->fa[i] & DD_DROPS))
        return 0;
    /* DROP TABLE takes it, unless it points at another table that goes or
     * at a key that changes (both dropped before phase 4) */
    return !gone || (d->fa[i] & DD_REDO) ||
           ((dd_tab_a(d, f->ref_table) & DD_GONE) && !dm_streq(f->table, f->ref_table));
}

static int fk_drops_k(const dd *d, size_t k)
{
    int stays;
    return fk_drops(d, k, &stays) && stays;
}

/* MySQL: the index the server made for foreign key f, once every key that
 * goes is gone: dropped by name when it surely exists (no other index
 * serves the key, no other key shares it). Else it may exist (the server
 * makes one for a key declared in CREATE TABLE before the index that
 * would serve it) under one of the names it can have: each is dropped if
 * it exists, unless the model has a key of that name on the table. */
static void my_drop_fk_index(dd *d, size_t i)
{
    const dm_sobj *f = &d->a->v[i];
    const char *ix = dd_my_fk_index_name(f);
    int covered = my_fk_covered(d->a, f), siblings = my_has_sibling(d->a, f);
    if (!covered && !siblings) {
        dd_alter(d, f->table);
        dd_drop_named(d, "INDEX", ix);
        dd_end(d);
        return;
    }
    if ((siblings || ix == f->name) && !my_named_key(d, f->table, f->name))
        my_drop_index_if_exists(d, f->table, f->name);
    if (ix == f->name || my_named_key(d, f->table, ix))
        return;
    size_t lo, hi;
    dm_schema_range(d->a, DBMIG_SO_FOREIGN_KEY, f->table, &lo, &hi);
    for (size_t k = lo; k < i; k++) /* tried already for a sibling */
        if (fk_drops_k(d, k) && my_server_fk_name(&d->a->v[k]) &&
            dm_streq(d->a->v[k].columns[0], ix))
            return;
    my_drop_index_if_exists(d, f->table, ix);
}

static void ph_drop_fks(dd *d)
{
    int stays;
    if (d->lite) /* inline in CREATE TABLE: a rebuild's */
        return;
    for (size_t i = 0; i < d->a->n && !d->failed; i++) {
        const dm_sobj *f = &d->a->v[i];
        if (!fk_drops(d, i, &stays))
            continue;
        if (!f->name || !f->name[0]) {
            dd_refuse(d, "table %s: a foreign key without a name (to %s) must be dropped, and "
                         "the database cannot drop it by name: give it a name in a migration "
                         "(CONSTRAINT ...) and re-run diff", f->table, f->ref_table);
            return;
        }
        dd_alter(d, f->table);
        dd_drop_named(d, d->my ? "FOREIGN KEY" : "CONSTRAINT", f->name);
        dd_end(d);
    }
    for (size_t i = 0; i < d->a->n && d->my; i++) /* once every key that goes is gone */
        if (fk_drops(d, i, &stays) && stays)
            my_drop_fk_index(d, i);
}

/* ---- phase 3: keys, checks, indexes ----------------------------------------------- */

/* PostgreSQL: a primary key that only changes its name is renamed. */
static int pk_renamed(const dd *d, size_t i)
{
    const dm_sobj *o = &d->a->v[i];
    if (!d->pg || o->kind != DBMIG_SO_PRIMARY_KEY || d->ma[i] == DD_NONE ||
        (d->fa[i] & DD_REDO))
        return 0;
    const dm_sobj *t = &d->b->v[d->ma[i]];
    return slist_eq(o->columns, o->ncolumns, t->columns, t->ncolumns) && o->name[0] &&
           t->name[0] && (d->fa[i] & DD_CHANGED);
}

static void drop_index(dd *d, const dm_sobj *x)
{
    if (d->pg && d->o->concurrently) {
        dd_drop_named(d, "INDEX CONCURRENTLY", x->name);
    } else {
        dd_drop_named(d, "INDEX", x->name);
        if (d->my) {
            dm_sqlw_put(&d->wb, " ON ");
            dm_sqlw_ident(&d->wb, x->table);
        }
    }
    dd_end(d);
}

static void drop_key(dd *d, size_t i)
{
    const dm_sobj *o = &d->a->v[i];
    if (o->kind == DBMIG_SO_INDEX) {
        drop_index(d, o);
        return;
    }
    if (d->lite || !o->name[0]) {
        dd_refuse(d, "table %s: its %s %s changes and %s cannot drop it in place: %s",
                  o->table, o->kind == DBMIG_SO_CHECK ? "check" : "unique constraint",
                  o->name[0] ? o->name : "(unnamed)", d->lite ? "SQLite" : "the database",
                  d->lite ? "the table needs a rebuild (a dbmig bug: report it)"
                          : "give it a name in a migration and re-run diff");
        return;
    }
    dd_alter(d, o->table);
    if (pk_renamed(d, i)) {
        dm_sqlw_put(&d->wb, "RENAME CONSTRAINT ");
        dm_sqlw_ident(&d->wb, o->name);
        dm_sqlw_put(&d->wb, " TO ");
        dm_sqlw_ident(&d->wb, d->b->v[d->ma[i]].name);
    } else {
        dd_drop_named(d, d->my && o->kind == DBMIG_SO_UNIQUE ? "INDEX" : "CONSTRAINT", o->name);
    }
    dd_end(d);
}

static void ph_drop_keys(dd *d)
{
    for (size_t i = 0; i < d->a->n && !d->failed; i++) {
        const dm_sobj *o = &d->a->v[i];
        if (!dd_is_key(o->kind) || !(d->fa[i] & DD_DROPS) ||
            (dd_tab_a(d, o->table) & (DD_GONE | DD_REDO)))
            continue;
        if (d->my && (o->kind == DBMIG_SO_PRIMARY_KEY || dd_my_ai_key(d, o, 0)))
            continue; /* with the columns, dd_change_columns */
        drop_key(d, i);
    }
}

/* ---- phase 4: tables, columns ---------------------------------------------------- */

static void ph_drop_tables(dd *d)
{
    dd_release_sequences(d);
    for (size_t i = 0; i < d->a->n; i++) {
        const dm_sobj *t = &d->a->v[i];
        if (t->kind != DBMIG_SO_TABLE || !(d->fa[i] & DD_GONE))
            continue;
        dm_buf o = {0};
        if (dm_buf_printf(&o, "table %s", t->name))
            d->wb.rc = -1;
        dd_destructive(d, dm_buf_str(&o), "drops the table and its rows", "drop table %s",
                       t->name);
        dm_buf_free(&o);
        dd_drop_named(d, "TABLE", t->name);
        dd_end(d);
    }
    for (size_t i = 0; i < d->a->n; i++)
        if (d->a->v[i].kind == DBMIG_SO_TABLE && !(d->fa[i] & (DD_GONE | DD_REDO)))
            dd_drop_columns(d, d->a->v[i].name);
    dd_drop_functions(d); /* nothing that goes uses them any more */
}

/* ---- phase 5: sequences, tables, columns, rebuilds --------------------------------- */

/* CREATE TABLE; on MySQL with the indexes led by an AUTO_INCREMENT column
 * inline (the column must be a key when the statement ends). */
static void create_table(dd *d, const char *t)
{
    size_t lo, hi, start = d->wb.out->len;
    dm_sqlw_create_table(&d->wb, t, NULL);
    ++*d->nstmt;
    dm_schema_range(d->b, DBMIG_SO_INDEX, t, &lo, &hi);
    for (size_t j = lo; j < hi && !d->wb.rc; j++) {
        if (!dd_my_ai_key(d, &d->b->v[j], 1))
            continue;
        dm_buf *out = d->wb.out; /* "\n);\n" is the statement's end */
        if (out->len < start + 4 || strcmp(out->ptr + out->len - 4, "\n);\n") != 0) {
            d->wb.rc = -1;
            return;
        }
        out->len -= 4;
        dm_sqlw_put(&d->wb, ",\n  ");
        dd_my_index_clause(d, &d->b->v[j]);
        dm_sqlw_put(&d->wb, "\n);\n");
    }
}

static void ph_create(dd *d)
{
    if (dm_diff_enums_before(&d->wb, d->a, d->nstmt, d->notes))
        d->wb.rc = d->wb.rc ? d->wb.rc : -1;
    dd_sequences(d);
    dd_create_functions(d, 1);
    for (size_t j = 0; j < d->b->n; j++)
        if (d->b->v[j].kind == DBMIG_SO_TABLE && (d->fb[j] & DD_NEW))
            create_table(d, d->b->v[j].name);
    for (size_t j = 0; j < d->b->n && !d->failed && !d->wb.rc; j++) {
        const dm_sobj *t = &d->b->v[j];
        if (t->kind != DBMIG_SO_TABLE || (d->fb[j] & DD_NEW))
            continue;
        if (d->fb[j] & DD_REDO) {
            if (dm_sqlite_rebuild(&d->wb, d->a, t->name, d->nstmt, d->notes))
                d->wb.rc = -1; /* no memory (t is in both models) */
        } else {
            dd_change_columns(d, t->name);
        }
    }
}

/* ---- phase 6: keys, checks, indexes, sequence owners ------------------------------- */

static void add_key(dd *d, const dm_sobj *o)
{
    if (o->kind == DBMIG_SO_INDEX) {
        dm_buf t = {0};
        dm_sqlw w = {d->b, d->o->quote, d->o->quote_arg, &t, 0};
        dm_sqlw_create_index(&w, o);
        const char *s = dm_buf_str(&t), *ix = strstr(s, "INDEX ");
        if (w.rc || !ix) {
            d->wb.rc = -1;
        } else if (d->pg && d->o->concurrently && !(dd_tab_b(d, o->table) & DD_NEW)) {
            d->wb.rc |= dm_buf_append(d->wb.out, s, (size_t)(ix - s) + 6);
            dm_sqlw_put(&d->wb, "CONCURRENTLY ");
            dm_sqlw_put(&d->wb, ix + 6);
        } else {
            dm_sqlw_put(&d->wb, s);
        }
        dm_buf_free(&t);
        ++*d->nstmt;
        return;
    }
    dd_alter(d, o->table);
    dm_sqlw_put(&d->wb, "ADD ");
    if (o->name && o->name[0] && !(d->my && o->kind == DBMIG_SO_PRIMARY_KEY)) {
        dm_sqlw_put(&d->wb, "CONSTRAINT ");
        dm_sqlw_ident(&d->wb, o->name);
        dm_sqlw_put(&d->wb, " ");
    }
    if (o->kind == DBMIG_SO_CHECK) {
        dm_sqlw_put(&d->wb, "CHECK (");
        dm_sqlw_expr(&d->wb, o->definition);
        dm_sqlw_put(&d->wb, ")");
    } else {
        dm_sqlw_put(&d->wb, o->kind == DBMIG_SO_PRIMARY_KEY ? "PRIMARY KEY " : "UNIQUE ");
        dm_sqlw_col_list(&d->wb, o->columns, o->ncolumns);
    }
    dd_end(d);
}

static void ph_add_keys(dd *d)
{
    for (size_t j = 0; j < d->b->n && !d->failed; j++) {
        const dm_sobj *o = &d->b->v[j];
        if (!dd_is_key(o->kind))
            continue;
        uint8_t tf = dd_tab_b(d, o->table);
        if ((tf & DD_REDO) || ((tf & DD_NEW) && o->kind != DBMIG_SO_INDEX) ||
            !(d->fb[j] & DD_MAKES))
            continue;
        if (o->kind == DBMIG_SO_PRIMARY_KEY &&
            (d->my || (d->mb[j] != DD_NONE && pk_renamed(d, d->mb[j]))))
            continue;
        if (dd_my_ai_key(d, o, 1)) /* with the columns, or inline in CREATE TABLE */
            continue;
        if (d->lite && o->kind != DBMIG_SO_INDEX) {
            dd_refuse(d, "table %s: SQLite cannot add a constraint without rebuilding the "
                         "table (a dbmig bug: report it)", o->table);
            return;
        }
        add_key(d, o);
    }
    dd_own_sequences(d);
}

/* ---- phase 7: foreign keys --------------------------------------------------------- */

/* MySQL: a key added under a server-made name (<table>_ibfk_<n>) would get
 * an index of that name, where the server named the original one after
 * the key's first column: that index is made first, as the server would
 * have, so that dropping the key later finds it (my_fk_index). */
static void my_fk_index_first(dd *d, size_t j)
{
    const dm_sobj *f = &d->b->v[j];
    if (!d->my || !my_server_fk_name(f) || !my_fk_index(d->b, f))
        return;
    size_t lo, hi;
    int adds = dd_tab_b(d, f->table) & DD_NEW;
    dm_schema_range(d->b, DBMIG_SO_FOREIGN_KEY, f->table, &lo, &hi);
    for (size_t k = lo; k < hi; k++) /* a sibling there, or added before, has the index */
        if ((k < j || !(adds || (d->fb[k] & DD_MAKES))) && dd_fk_siblings(f, &d->b->v[k]))
            return;
    dm_sqlw_put(&d->wb, "CREATE INDEX ");
    dm_sqlw_ident(&d->wb, f->columns[0]);
    dm_sqlw_put(&d->wb, " ON ");
    dm_sqlw_ident(&d->wb, f->table);
    dm_sqlw_put(&d->wb, " ");
    dm_sqlw_col_list(&d->wb, f->columns, f->ncolumns);
    dd_end(d);
}

static void ph_add_fks(dd *d)
{
    for (size_t j = 0; j < d->b->n && !d->failed; j++) {
        const dm_sobj *f = &d->b->v[j];
        if (f->kind != DBMIG_SO_FOREIGN_KEY ||
            !((d->fb[j] & DD_MAKES) || (dd_tab_b(d, f->table) & DD_NEW)))
            continue;
        if (d->lite) { /* inline in CREATE TABLE, new or rebuilt */
            if (!(dd_tab_b(d, f->table) & (DD_NEW | DD_REDO)))
                dd_refuse(d, "table %s: SQLite cannot add a foreign key without rebuilding "
                             "the table (a dbmig bug: report it)", f->table);
            continue;
        }
        my_fk_index_first(d, j);
        dd_alter(d, f->table);
        dm_sqlw_put(&d->wb, "ADD ");
        dm_sqlw_fk_body(&d->wb, f);
        dd_end(d);
    }
}

/* ---- the whole ------------------------------------------------------------------------ */

/* A table that goes while one with the same columns (names and types)
 * appears: a possible rename, said, never guessed. */
static int same_columns(const dd *d, const char *ta, const char *tb)
{
    size_t la, ha, lb, hb;
    dm_schema_range(d->a, DBMIG_SO_COLUMN, ta, &la, &ha);
    dm_schema_range(d->b, DBMIG_SO_COLUMN, tb, &lb, &hb);
    if (ha - la != hb - lb || ha == la)
        return 0;
    for (size_t i = la; i < ha; i++) {
        size_t j = dd_find_col(d->b, tb, d->a->v[i].name);
        if (j == DD_NONE || !sv(d->a->v[i].type, d->b->v[j].type))
            return 0;
    }
    return 1;
}

/* One hint per table that goes: the table that appears with the same
 * columns when it is the only one (and it matches no other table that
 * goes), else how many could be it; never a hint per pair (1,000 tables
 * renamed would give a million). */
static void table_renames(dd *d)
{
    for (size_t i = 0; i < d->a->n; i++) {
        if (d->a->v[i].kind != DBMIG_SO_TABLE || !(d->fa[i] & DD_GONE))
            continue;
        const char *ta = d->a->v[i].name, *tb = NULL;
        size_t n = 0;
        for (size_t j = 0; j < d->b->n; j++)
            if (d->b->v[j].kind == DBMIG_SO_TABLE && (d->fb[j] & DD_NEW) &&
                same_columns(d, ta, d->b->v[j].name) && !n++)
                tb = d->b->v[j].name;
        for (size_t k = 0; n == 1 && k < d->a->n; k++) /* is tb also another one's match? */
            if (k != i && d->a->v[k].kind == DBMIG_SO_TABLE && (d->fa[k] & DD_GONE) &&
                same_columns(d, d->a->v[k].name, tb))
                n = 2;
        if (!n)
            continue;
        dm_buf o = {0};
        int bad = dm_buf_printf(&o, "table %s", ta);
        if (!bad && n == 1)
            bad = dm_dnotes_add(d->notes, DM_NOTE_RENAME, dm_buf_str(&o),
                                "rename? table %s goes and table %s with the same columns "
                                "appears: use ALTER TABLE %s RENAME TO %s in a migration and "
                                "re-run diff",
                                ta, tb, ta, tb);
        else if (!bad)
            bad = dm_dnotes_add(d->notes, DM_NOTE_RENAME, dm_buf_str(&o),
                                "rename? table %s goes while tables with the same columns "
                                "appear (%s, ...): if it was renamed, use ALTER TABLE %s RENAME "
                                "TO <new name> in a migration and re-run diff",
                                ta, tb, ta);
        d->wb.rc |= bad ? -1 : 0;
        dm_buf_free(&o);
    }
}

typedef void (*dd_phase)(dd *);

/* Runs one phase after a blank line (when something came before), and
 * takes the blank line back when the phase wrote nothing. */
static void phase(dd *d, dd_phase ph, size_t start)
{
    dm_buf *out = d->wb.out;
    size_t before = out->len;
    int gap = before > start;
    if (gap)
        dm_sqlw_put(&d->wb, "\n");
    ph(d); /* appends to out through d->wb */
    if (gap && !d->failed && !d->wa.rc && !d->wb.rc && out->len == before + 1) {
        out->len = before;
        out->ptr[before] = '\0';
    }
}

static int run(dd *d, dm_buf *sql)
{
    static const dd_phase phases[] = {dd_drop_code, ph_drop_fks,  ph_drop_keys,
                                      ph_drop_tables, ph_create,  ph_add_keys,
                                      ph_add_fks,   dd_drop_sequences, dd_create_code};
    size_t start = sql->len;
    for (size_t k = 0; k < sizeof phases / sizeof phases[0]; k++) {
        phase(d, phases[k], start);
        if (d->failed || d->wa.rc || d->wb.rc)
            break;
    }
    table_renames(d);
    for (size_t i = 0; i < d->a->n; i++)
        if (d->a->v[i].kind == DBMIG_SO_TABLE && !(d->fa[i] & DD_GONE))
            dd_column_renames(d, d->a->v[i].name);
    if (d->failed)
        return -1;
    return d->wa.rc || d->wb.rc ? dm_err_nomem(d->e) : 0;
}

int dm_schema_diff(const dm_schema *from, const dm_schema *to, const dm_diff_opts *o,
                   dm_buf *sql, size_t *nstmt, dm_dnotes *notes, dm_err *e)
{
    static const dm_diff_opts none = {0};
    int dl = from->dialect;
    *nstmt = 0;
    if (dl != to->dialect || (dl != DBMIG_DIALECT_POSTGRES && dl != DBMIG_DIALECT_MYSQL &&
                              dl != DBMIG_DIALECT_SQLITE))
        return dm_err_set(e, DBMIG_EUSAGE,
                          "schema diff needs two models of one dialect among PostgreSQL, "
                          "MySQL/MariaDB and SQLite (got dialects %d and %d)",
                          dl, to->dialect);
    o = o ? o : &none;
    dd d = {from, to, o, dl == DBMIG_DIALECT_POSTGRES, dl == DBMIG_DIALECT_MYSQL,
            dl == DBMIG_DIALECT_SQLITE,
            {from, o->quote, o->quote_arg, sql, 0}, {to, o->quote, o->quote_arg, sql, 0},
            nstmt, notes, e, NULL, NULL, NULL, NULL, 0};
    size_t na = from->n ? from->n : 1, nb = to->n ? to->n : 1;
    d.ma = malloc(na * sizeof *d.ma);
    d.mb = malloc(nb * sizeof *d.mb);
    d.fa = calloc(na, 1);
    d.fb = calloc(nb, 1);
    int rc;
    if (!d.ma || !d.mb || !d.fa || !d.fb) {
        rc = dm_err_nomem(e);
    } else {
        memset(d.ma, 0xff, na * sizeof *d.ma);
        memset(d.mb, 0xff, nb * sizeof *d.mb);
        size_t start = sql->len;
        rc = dd_match(&d) ? dm_err_nomem(e) : 0;
        if (!rc) {
            dd_plan(&d);
            rc = run(&d, sql);
        }
        if (rc && sql->len > start) { /* nothing half-written */
            sql->len = start;
            sql->ptr[start] = '\0';
        }
    }
    free(d.ma);
    free(d.mb);
    free(d.fa);
    free(d.fb);
    return rc;
}
