/* schema.h — the core's schema model (SPEC section 12): what a database's
 * catalog holds, as one list of objects in a canonical order, with its
 * comparison and its renderings.
 *
 * Why it is built this way:
 *   - One model for every driver. A driver's inspect() (driver.h, ABI 2.1)
 *     reports dbmig_schema_object's; dm_schema_add copies each one, so the
 *     model owns every string and the driver's buffers are free again at
 *     once. The model knows nothing about connections or handles: it is
 *     built, sorted, compared and rendered by plain functions, which the
 *     unit tests drive with hand-made objects.
 *   - Canonical order (dm_schema_sort): by kind, then table, then name
 *     (columns by position), each compared byte-wise, so the same database
 *     gives the same bytes (schema dump) and two models compare in one
 *     merge walk (dm_schema_compare).
 *   - An object's identity (what two models match on) is (kind, table,
 *     name); an unnamed constraint (SQLite names none) is matched by its
 *     content instead (columns, target), see core/schema_cmp.c.
 *   - Two comparisons: exact, within one driver (drift, test: every field
 *     that the driver reported), and portable, across drivers (the
 *     conformance suite: lower-case names, type families, no defaults), by
 *     rendering the portable lines of each and comparing the text.
 *   - The type family (dm_type_family) is the core's, one table for every
 *     dialect, so "int4", "integer", "int(11)" and "INT" are one family.
 */
#ifndef DM_SCHEMA_H
#define DM_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "dbmig/driver.h"
#include "util.h"

/* One object, owned by its model (every string malloc'd or NULL). */
typedef struct dm_sobj {
    int kind; /* dbmig_schema_kind */
    char *table, *name;
    uint32_t flags, position;
    char *type, *family; /* family: dm_type_family(type), COLUMN only */
    char *default_expr, *generated, *collation;
    char **columns;
    size_t ncolumns;
    char *ref_table;
    char **ref_columns;
    size_t nref_columns;
    char *on_delete, *on_update, *predicate, *method, *definition;
    char digest[17]; /* TRIGGER, FUNCTION, VIEW: first 16 hex digits of SHA-256(definition) */
} dm_sobj;

typedef struct dm_schema {
    dm_sobj *v;
    size_t n, cap;
    int dialect; /* dbmig_dialect of the driver it came from */
} dm_schema;

/* Copies o into s (unsorted). -1 with e set on a malformed object (an
 * unknown kind, a COLUMN without table or name, ...; the message names the
 * object) or no memory. */
int dm_schema_add(dm_schema *s, const dbmig_schema_object *o, dm_err *e);
/* Canonical order (a key's or index's columns keep the order the database
 * gave: it is part of the key). */
void dm_schema_sort(dm_schema *s);
void dm_schema_free(dm_schema *s);
/* Byte-wise order of two strings (NULL as ""), whatever the locale, and of
 * two string lists (element by element, then the shorter first): the
 * canonical order's and the comparison's. */
int dm_sstr_cmp(const char *a, const char *b);
int dm_slist_cmp(char *const *a, size_t na, char *const *b, size_t nb);
/* The objects of `kind` that belong to `table` (NULL: those with none) in a
 * SORTED model: v[*lo..*hi), found by binary search, so that rendering a
 * table's columns and keys costs log n, not n (a 2,000-table dump). */
void dm_schema_range(const dm_schema *s, int kind, const char *table, size_t *lo, size_t *hi);
/* Drops the objects that belong to table (the table, its columns, keys,
 * indexes, triggers) and the sequences it owns; case-sensitive. */
void dm_schema_drop_table(dm_schema *s, const char *table);

/* Inspects a connection through a driver's inspect() into out (sorted),
 * leaving out every table in skip (NULL-terminated, e.g. the version table
 * and its lock table). DBMIG_EUSAGE when the driver has no inspect (the
 * message names the driver); a driver error is formatted with
 * dm_db_error_format. Used by the engine (core/inspect.c) and by tools
 * that hold a bare driver connection (tests/conformance/schema_dump.c). */
int dm_schema_from_driver(const dbmig_driver *drv, void *self, dbmig_conn *conn,
                          const char *const *skip, dm_schema *out, dm_err *e);

/* The normalised family of a type as a database reports it: "integer",
 * "bigint", "smallint", "decimal", "float", "boolean", "text" (any
 * character type), "binary", "date", "time", "timestamp", "timestamptz",
 * "json", "uuid", "other". Never NULL. */
const char *dm_type_family(const char *type);

/* One difference between two models: `object` names it ("table invoices",
 * "table invoices: column amount", "index users_email_idx"), `what` says
 * what differs ("NOT NULL in the database, NULL in the migrations", "only
 * in the database"). */
typedef struct dm_sdiff {
    char *object;
    char *what;
    char *field; /* "missing", "extra", "nullable", "type", "default", ... */
    char *left, *right; /* the two values, NULL when absent */
} dm_sdiff;

typedef struct dm_sdiffs {
    dm_sdiff *v;
    size_t n, cap;
} dm_sdiffs;

/* Compares a (called left_name in messages, e.g. "the database") with b
 * (right_name, "the migrations"): every object only in one, and every
 * field that differs in an object in both, in canonical order. 0, or -1
 * on no memory (e set). */
int dm_schema_compare(const dm_schema *a, const dm_schema *b, const char *left_name,
                      const char *right_name, dm_sdiffs *out, dm_err *e);
void dm_sdiffs_free(dm_sdiffs *d);
/* The identity the comparison (and the diff generator) matches objects on:
 * kind, table, then the name, or the content when unnamed (unnamed first);
 * a primary key by its table. */
int dm_sobj_ident_cmp(const dm_sobj *a, const dm_sobj *b);
/* s's objects as pointers in identity order (malloc'd; NULL: no memory). */
const dm_sobj **dm_schema_ident_view(const dm_schema *s);

/* Renderings, appended to out; 0 or -1 on no memory.
 *
 * SQL: deterministic DDL in the model's dialect that recreates the schema
 * in an empty database (enum types, sequences, tables with their columns and
 * constraints, indexes, foreign keys added after every table, views,
 * functions, triggers), one statement per `;`, identifiers quoted with
 * quote (the driver's quote_ident, conn NULL). The output loads into an
 * empty database of the same driver and inspects to the same model.
 *
 * JSON: {"tables": [...], "views": [...], "enums": [...], ...}, keys
 * sorted, two-space indent, every field of every object (jansson).
 *
 * Portable: one line per fact, lower-case, sorted, the same on every
 * driver for the same portable schema: "table t", "column t.c <family>
 * null|notnull", "pk t (c,...)", "unique t (c,...)", "index t.<name>
 * unique|nonunique (c,...)", "fk t (c) -> r (c) on delete <a>", "view v".
 * A unique index over plain columns reads as "unique t (c,...)", and
 * smallint/integer/bigint as "integer" (docs/schema-model.md says why).
 * The conformance suite compares these. */
typedef size_t (*dm_quote_cb)(void *arg, const char *in, char *out, size_t cap);
int dm_schema_render_sql(const dm_schema *s, dm_quote_cb quote, void *quote_arg, dm_buf *out);
int dm_schema_render_json(const dm_schema *s, dm_buf *out);
int dm_schema_render_portable(const dm_schema *s, dm_buf *out);
/* The differences as JSON: [{"object":..,"field":..,"what":..,"left":..,"right":..}] */
int dm_sdiffs_render_json(const dm_sdiffs *d, dm_buf *out);

#endif
