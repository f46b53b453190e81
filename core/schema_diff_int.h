/* schema_diff_int.h — what the generator's files share (internal to
 * core/schema_diff.c, the entry and the tables' phases; schema_diff_plan.c,
 * matching and plan; schema_diff_col.c, column changes per dialect;
 * schema_diff_obj.c, views, triggers, functions, sequences): the state of
 * one dm_schema_diff call.
 *
 * Why it is built this way: the plan (which object is dropped, created,
 * altered) is made once, as flags beside each model's objects, before any
 * statement is written, so that every phase reads the same decisions and
 * the statements come out in canonical order within each phase.
 */
#ifndef DM_SCHEMA_DIFF_INT_H
#define DM_SCHEMA_DIFF_INT_H

#include <stdint.h>

#include "schema_diff.h"

#define DD_NONE ((size_t)-1)

/* Flags per object, beside each model (fa: from, fb: to). */
enum {
    DD_GONE = 1,    /* from: no object of that identity in to */
    DD_NEW = 2,     /* to: no object of that identity in from */
    DD_CHANGED = 4, /* both: a field differs */
    DD_REDO = 8,    /* both: same, but dropped and created again for a dependency;
                     * a table: rebuilt (SQLite); a column (PostgreSQL): its default
                     * calls a function that is dropped, so it is dropped in phase 4
                     * and set again in 5 */
    DD_READD = 16,  /* a column dropped and added again (generated: its expression or
                     * kind changes, or it reads a column that changes) */
    DD_TOUCH = 32   /* from, a table: gone, rebuilt, or a column of it changes (views) */
};
#define DD_DROPS (DD_GONE | DD_CHANGED | DD_REDO)
#define DD_MAKES (DD_NEW | DD_CHANGED | DD_REDO)

typedef struct dd {
    const dm_schema *a, *b; /* from, to */
    const dm_diff_opts *o;
    int pg, my, lite;
    dm_sqlw wa, wb; /* writers over a and b, both appending to the caller's sql */
    size_t *nstmt;
    dm_dnotes *notes;
    dm_err *e;
    size_t *ma, *mb; /* the twin's index in the other model, or DD_NONE */
    uint8_t *fa, *fb;
    int failed; /* e is set (a refusal); no memory shows in wa.rc / wb.rc */
} dd;

/* Two optional texts equal (NULL only equals NULL), as schema_cmp.c compares. */
static inline int dd_sv(const char *a, const char *b)
{
    return !dm_sstr_cmp(a, b) && !a == !b;
}

/* Lookups in a sorted model: DD_NONE when absent. */
size_t dd_find_table(const dm_schema *s, const char *name);
size_t dd_find_col(const dm_schema *s, const char *table, const char *name);
/* The flags of table `name` in from (0 when it is not there) / in to. */
uint8_t dd_tab_a(const dd *d, const char *name);
uint8_t dd_tab_b(const dd *d, const char *name);

/* Statements: the destructive line (and its note), the end of one. */
void dd_destructive(dd *d, const char *object, const char *note, const char *fmt, ...)
    DM_PRINTF(4, 5);
void dd_end(dd *d);
void dd_alter(dd *d, const char *table); /* "ALTER TABLE t " */
/* A column's definition without the two leading blanks. */
void dd_coldef(dd *d, const dm_sobj *c);
int dd_refuse(dd *d, const char *fmt, ...) DM_PRINTF(2, 3);
/* Does the text name `name` as a whole word, in any case? */
int dd_mentions(const char *text, const char *name);

void dd_drop_named(dd *d, const char *what, const char *name); /* "DROP <what> n" */
/* A primary key, unique, check or index: phase 3 and 6's kinds. */
int dd_is_key(int kind);

/* core/schema_diff_plan.c: pairs the objects (ma, mb; gone, new,
 * changed), -1 on no memory; then the plan (redo, readd, rebuilt). */
int dd_match(dd *d);
void dd_plan(dd *d);
/* MySQL: do foreign keys f and g of one table share the server's index
 * (the columns of one a prefix of the other's)? */
int dd_fk_siblings(const dm_sobj *f, const dm_sobj *g);
/* MySQL: the name of the index the server makes for foreign key f (after
 * the key, or after its first column when the server named the key). */
const char *dd_my_fk_index_name(const dm_sobj *f);
/* Flags from-object i (and its twin) to be dropped and created again. */
void dd_redo_a(dd *d, size_t i);

/* core/schema_diff_obj.c: views, triggers, functions (phases 1, 9) and
 * sequences (phases 4, 5, 6, 8). */
void dd_plan_code(dd *d);
void dd_drop_code(dd *d);
/* Is from-object i a function dropped (not replaced in place)? */
int dd_fn_drops(const dd *d, size_t i);
void dd_drop_functions(dd *d); /* end of phase 4 */
/* The functions to create: early, those a column, check or index calls
 * (PostgreSQL, phase 5, before the tables), else the others (phase 9). */
void dd_create_functions(dd *d, int early);
void dd_create_code(dd *d);
void dd_release_sequences(dd *d);
void dd_sequences(dd *d);
void dd_own_sequences(dd *d);
void dd_drop_sequences(dd *d);

/* core/schema_diff_col.c: phase 4's column drops and phase 5's column
 * changes of table t (in both models, not rebuilt), and the rename hints. */
void dd_drop_columns(dd *d, const char *t);
void dd_change_columns(dd *d, const char *t);
void dd_column_renames(dd *d, const char *t);
/* 1 when the column's type change can lose data (a narrower type); pg:
 * a text type without a length is unlimited (PostgreSQL), else MySQL's
 * TEXT/BLOB sizes apply. */
int dd_narrows(const char *from_type, const char *from_family, const char *to_type,
               const char *to_family, int pg);
/* MySQL/MariaDB: 1 when the primary key of t changes, or a key led by an
 * AUTO_INCREMENT column: those keys and the column changes then go in one
 * ALTER TABLE (dd_change_columns), not in phases 3 and 6. */
int dd_my_combined(const dd *d, const char *t);
/* MySQL/MariaDB: 1 when key k (of to when in_to, else of from) is led by
 * an AUTO_INCREMENT column. */
int dd_my_ai_key(const dd *d, const dm_sobj *k, int in_to);
/* "[UNIQUE |FULLTEXT ]INDEX n [USING m] (parts)": an index or unique
 * constraint as ALTER TABLE ... ADD and CREATE TABLE take it. */
void dd_my_index_clause(dd *d, const dm_sobj *x);

#endif
