/* schema_diff.h — the statements that turn one schema model into another
 * (SPEC section 13, `dbmig diff`): the heart of the migration generator.
 * Pure functions on two sorted models of the same dialect; no database.
 * Internal: the library's dbmig_diff (core/diff.c) calls it twice, once
 * from A to B (the up section) and once from B to A (the down section),
 * and verifies both on a scratch database before anything is written.
 *
 * Why it is built this way:
 *   - Objects are matched by the identity the comparison uses (kind, table,
 *     name; an unnamed constraint by its content: core/schema_cmp.c), so
 *     "what differs" here is exactly what drift and `test` would report.
 *   - An object that differs is altered in place where the dialect can
 *     (PostgreSQL ALTER COLUMN ... TYPE ... USING, SET/DROP NOT NULL,
 *     SET/DROP DEFAULT; MySQL/MariaDB MODIFY COLUMN with the whole column
 *     definition), else dropped and created again (constraints, indexes,
 *     views, triggers, functions). SQLite's ALTER TABLE can add a column and
 *     little else: any other change to a SQLite table is the table rebuild
 *     of SQLite's own documentation (core/schema_diff_sqlite.c).
 *   - One fixed order of phases, so that each statement finds what it
 *     needs and nothing is dropped while something still depends on it:
 *       1. drop views that change or that read a table that changes
 *          (dependents first), triggers that change;
 *       2. drop foreign keys that change or that point at a table or key
 *          that goes away or changes;
 *       3. drop indexes, unique and check constraints and primary keys
 *          that change or go away;
 *       4. drop tables that go away; drop columns that go away; drop
 *          functions that change or go (last: what used them is gone; a
 *          PostgreSQL function whose body only changes is replaced in
 *          place in 9 instead);
 *       5. create sequences (and, on PostgreSQL, the functions a column,
 *          check or index calls); create tables (their own keys inline);
 *          add columns; alter columns; SQLite rebuilds;
 *       6. add primary keys, unique and check constraints; create indexes;
 *       7. add foreign keys (every table exists by now);
 *       8. drop sequences that go away;
 *       9. create functions, views (in dependency order), triggers.
 *   - Safety is decided here, where the change is known: every statement
 *     that can lose data (drop table, drop column, a type that narrows, a
 *     NOT NULL added to a column that may hold NULLs, a SQLite rebuild that
 *     drops a column) is preceded by a line `-- dbmig:destructive <what>`
 *     and reported in notes; a column that disappears while one of the same
 *     type appears in the same table (a table that disappears while one
 *     with the same columns appears) is reported as a possible rename and
 *     never guessed.
 *   - Deterministic: the same two models give the same bytes (objects in
 *     canonical order within each phase), fit for a code review.
 */
#ifndef DM_SCHEMA_DIFF_H
#define DM_SCHEMA_DIFF_H

#include "schema_sql.h"

enum {
    DM_NOTE_DESTRUCTIVE = 1, /* a statement that can lose data (needs --allow-destructive in up) */
    DM_NOTE_RENAME = 2,      /* a possible rename: drop + add of the same type */
    DM_NOTE_INFO = 3,        /* anything else worth a line (a rebuild, an unsupported change) */
    DM_NOTE_WARNING = 4      /* about the input (diff.c: a DROP or DML statement in schema.sql) */
};

/* One note: kind, object ("table t: column c"), text (one line, the
 * user's words: "drops column c and its data", "rename? use ALTER TABLE t
 * RENAME COLUMN a TO b and re-run diff"). */
typedef struct dm_dnote {
    int kind;
    char *object, *text;
} dm_dnote;

typedef struct dm_dnotes {
    dm_dnote *v;
    size_t n, cap;
} dm_dnotes;

typedef struct dm_diff_opts {
    dm_quote_cb quote;  /* the driver's quote_ident (NULL: the dialect's rule) */
    void *quote_arg;
    int concurrently;   /* PostgreSQL: CREATE/DROP INDEX CONCURRENTLY (the
                         * caller makes the revision `transaction off`) */
} dm_diff_opts;

/* The statements that turn `from` into `to` (both sorted, same dialect:
 * from->dialect), appended to sql, each ending ";\n", each destructive one
 * preceded by its "-- dbmig:destructive <what>\n" line; notes appended to
 * notes (may be NULL). *nstmt: how many statements (0: the models are the
 * same, sql untouched). 0, or -1 with e set (no memory; a change the
 * dialect cannot express, named with the object and what to do). */
int dm_schema_diff(const dm_schema *from, const dm_schema *to, const dm_diff_opts *o,
                   dm_buf *sql, size_t *nstmt, dm_dnotes *notes, dm_err *e);

int dm_dnotes_add(dm_dnotes *n, int kind, const char *object, const char *fmt, ...) DM_PRINTF(4, 5);
void dm_dnotes_free(dm_dnotes *n);

/* ---- SQLite (core/schema_diff_sqlite.c) --------------------------------- */

/* 1 when table t (present in both models) changes in a way SQLite's ALTER
 * TABLE cannot do, so it must be rebuilt: anything but columns added in
 * the forms ADD COLUMN accepts (no PRIMARY KEY or UNIQUE, a constant or
 * NULL default, NOT NULL only with a non-NULL default, no STORED generated
 * column, a foreign key only with a NULL default), indexes and triggers.
 * A new column that carries a CHECK or a REFERENCES rebuilds too (t's
 * CHECK / FOREIGN_KEY objects differ: the generator's ADD COLUMN writes
 * the column's definition only), and so does one not added last. */
int dm_sqlite_needs_rebuild(const dm_schema *from, const dm_schema *to, const char *t);

/* Writes the rebuild of table t to w (w->s is `to`), the procedure of
 * SQLite's documentation (https://www.sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"): CREATE TABLE
 * "_dbmig_new_<t>" as t is in `to`; INSERT INTO it the columns both
 * versions have, SELECT from t; DROP TABLE t; ALTER TABLE "_dbmig_new_<t>"
 * RENAME TO t; create t's indexes and triggers of `to`; and, when t has or
 * is the target of foreign keys, a statement that fails naming t when
 * PRAGMA foreign_key_check finds a violation. dbmig's SQLite connections
 * run with foreign_keys off (SQLite's default), so the DROP cascades
 * nothing and the rebuild runs inside the migration's transaction. Views
 * that read t are the caller's (dropped before, created after). A column
 * that only `from` has is lost: noted DESTRUCTIVE (and the statement
 * marked); a column only `to` has gets its default (a NOT NULL column
 * without one makes the copy fail on a non-empty table: noted). *nstmt is
 * increased by the statements written. dm_schema_diff calls it for the
 * rebuilt tables in canonical (name) order: the foreign-key check of a
 * table runs at the rebuild of the last of it and its rebuilt parents, once
 * every parent key it names exists (core/schema_diff_sqlite.c). */
int dm_sqlite_rebuild(dm_sqlw *w, const dm_schema *from, const char *t, size_t *nstmt,
                      dm_dnotes *notes);

/* ---- PostgreSQL enum types (core/schema_diff_enum.c) ------------------- */

/* Called by dm_schema_diff in phase 5, before any table is created or
 * altered: CREATE TYPE ... AS ENUM for the enums only `to` has; ALTER TYPE
 * ... ADD VALUE for labels appended or inserted (BEFORE/AFTER); an enum
 * that loses or reorders labels is recreated (rename the old type, create
 * the new one, ALTER COLUMN ... TYPE ... USING col::text::new for every
 * column of `from` using it, default dropped and set again, old type
 * dropped), noted DESTRUCTIVE when a label goes. w->s is `to`. The old type
 * is renamed _dbmig_old_<name> and dropped by dm_diff_enums_after; columns
 * of it that change type (or go) in `to` are the generator's and move off
 * it before phase 8. */
int dm_diff_enums_before(dm_sqlw *w, const dm_schema *from, size_t *nstmt, dm_dnotes *notes);
/* Called in phase 8, after tables and columns are dropped: DROP TYPE for
 * the enums only `from` has, and for the old types of recreated ones. */
int dm_diff_enums_after(dm_sqlw *w, const dm_schema *from, size_t *nstmt, dm_dnotes *notes);
/* (added by "enums") 1 when dm_diff_enums_before recreates enum `name`
 * (it is in both models and loses or reorders labels, or `to` uses a label
 * it gains, which ALTER TYPE ... ADD VALUE would not allow before commit). */
int dm_diff_enum_recreated(const dm_schema *from, const dm_schema *to, const char *name);
/* (added by "enums") 1 when object o of `from` cannot live through the
 * recreation of an enum: a CHECK, INDEX (expression or predicate), VIEW,
 * TRIGGER or FUNCTION whose text names a recreated enum, a VIEW that reads
 * a table with a column the recreation converts, a FOREIGN KEY over such a
 * column (either side). The generator treats o as changed even when `to`
 * has it identical: dropped in phases 1-3, created again in 6, 7 or 9.
 * Also a generated COLUMN whose expression names the enum or reads a
 * converted column of its table, or that is of the enum type itself
 * (PostgreSQL refuses to alter a column a generated one uses): dropped in
 * phase 4 and added again in phase 5, as for a changed expression (the
 * hook never converts a generated column). */
int dm_diff_enum_dependent(const dm_schema *from, const dm_schema *to, const dm_sobj *o);
/* (added by "enums") The same decision for a whole model at the cost of
 * one plan: the names of the enums dm_diff_enums_before recreates, pushed
 * to names (0, or -1 on no memory), then dm_diff_enum_dependent_of per
 * object. dm_diff_enum_dependent plans again on each call, which scans
 * `to` once per dependent object when an enum only gains labels
 * (10,000 tables: seconds). */
int dm_diff_enums_recreated(const dm_schema *from, const dm_schema *to, dm_strv *names);
int dm_diff_enum_dependent_of(const dm_schema *from, const dm_schema *to,
                              const dm_strv *recreated, const dm_sobj *o);
/* (added by "enums") 1 when `type` (a column's, as inspected: "mood",
 * "\"Mood\"") is an enum of s, 2 when an array of one ("mood[]"), else 0.
 * PostgreSQL has no cast between two enum types (nor from an enum to most
 * types): a column changing from or to one converts through text, USING
 * c::text::new (arrays: c::text[]::new[]). */
int dm_diff_enum_type(const dm_schema *s, const char *type);

#endif
