/* schema_sql.h — the DDL of single model objects in a dialect: the pieces
 * `schema dump` (core/schema_sql.c, dm_schema_render_sql) writes a whole
 * model with, shared with `diff` (core/schema_diff.c,
 * core/schema_diff_sqlite.c), which writes the same objects one change at a
 * time. Internal.
 *
 * Why it is built this way: one writer per object kind means a column or an
 * index reads the same in a dump, in a generated migration and in a SQLite
 * table rebuild, and a fix to one (a default SQLite needs in parentheses,
 * PostgreSQL's array casts) reaches all three. The writer appends to a
 * dm_buf and remembers the first failure in rc (no memory), so a caller
 * writes a whole statement and checks once.
 */
#ifndef DM_SCHEMA_SQL_H
#define DM_SCHEMA_SQL_H

#include "schema.h"

/* A writer: s gives the dialect (s->dialect) and the objects a piece looks
 * up (a table's columns and keys); quote is the driver's quote_ident (NULL:
 * the dialect's default rule). rc is non-zero once an append failed. */
typedef struct dm_sqlw {
    const dm_schema *s;
    dm_quote_cb quote;
    void *arg;
    dm_buf *out;
    int rc;
} dm_sqlw;

void dm_sqlw_put(dm_sqlw *q, const char *str);
void dm_sqlw_ident(dm_sqlw *q, const char *name);
/* A string literal: '...' with quotes doubled; a backslash is doubled on
 * MySQL, and on PostgreSQL makes it E'...' with backslashes doubled (the
 * same value whatever standard_conforming_strings says). */
void dm_sqlw_literal(dm_sqlw *q, const char *text);
/* An expression as the database gave it (PostgreSQL: array casts fixed so
 * that it reloads into the same tree). */
void dm_sqlw_expr(dm_sqlw *q, const char *text);
/* "(a, b)": names quoted, expressions and " DESC" kept. */
void dm_sqlw_col_list(dm_sqlw *q, char *const *v, size_t n);
/* A column's definition as CREATE TABLE and ADD COLUMN take it, starting
 * with two blanks: "  name type [COLLATE] [GENERATED] [DEFAULT] [NOT NULL]
 * [identity]". pk: its table's primary key or NULL (SQLite writes a
 * one-column AUTOINCREMENT key on the column). */
void dm_sqlw_column_def(dm_sqlw *q, const dm_sobj *c, const dm_sobj *pk);
/* 1 when c is SQLite's INTEGER PRIMARY KEY AUTOINCREMENT column of pk. */
int dm_sqlw_rowid_key(const dm_sqlw *q, const dm_sobj *c, const dm_sobj *pk);
/* "[CONSTRAINT n ]FOREIGN KEY (a) REFERENCES r (b) [ON DELETE ..] [ON UPDATE ..] [DEFERRABLE ..]" */
void dm_sqlw_fk_body(dm_sqlw *q, const dm_sobj *f);
/* When o is a table-level constraint CREATE TABLE writes (primary key
 * unless rowid_key, unique, check, and on SQLite foreign key): appends
 * ",\n  <constraint>" and returns 1; else 0, nothing written. */
int dm_sqlw_table_constraint(dm_sqlw *q, const dm_sobj *o, int rowid_key);
/* CREATE TABLE for table t of q->s with its columns and table-level
 * constraints, named `as` (NULL: t; a SQLite rebuild writes the new table
 * under another name), ending ";\n". */
void dm_sqlw_create_table(dm_sqlw *q, const char *t, const char *as);
/* CREATE [UNIQUE] INDEX ... ;\n */
void dm_sqlw_create_index(dm_sqlw *q, const dm_sobj *x);
/* CREATE VIEW v AS <definition>;\n */
void dm_sqlw_create_view(dm_sqlw *q, const dm_sobj *v);
/* CREATE TYPE e AS ENUM ('a', 'b');\n (PostgreSQL), named `as` (NULL: e's
 * own name; the diff recreates an enum under its name while the old one is
 * renamed). */
void dm_sqlw_create_enum(dm_sqlw *q, const dm_sobj *e, const char *as);
/* A definition without its trailing blanks and `;`, then ";\n" (triggers,
 * functions: the database's whole CREATE text). */
void dm_sqlw_statement(dm_sqlw *q, const char *def);

/* The table's primary key in sorted s, or NULL. */
const dm_sobj *dm_schema_pk(const dm_schema *s, const char *table);
/* Does o's definition (a view's query, a trigger's text) name `name` as a
 * whole word, in any case? */
int dm_sobj_mentions(const dm_sobj *o, const char *name);
/* The indexes into s->v of its views in creation order (name order, except
 * that a view comes after the views it names), malloc'd into *order (NULL
 * when there is none); -1 on no memory. */
int dm_schema_view_order(const dm_schema *s, size_t **order, size_t *n);

#endif
