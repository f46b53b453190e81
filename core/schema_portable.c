/* schema_portable.c — the portable rendering of a schema model
 * (dm_schema_render_portable in core/schema.h): one line per fact, the same
 * on SQLite, PostgreSQL and MariaDB for the same portable schema. The
 * conformance suite (tests/conformance) compares these lines across the
 * three databases; docs/schema-model.md lists what stays different.
 *
 * Why it is built this way:
 *   - Only what every dialect can express and report alike is rendered:
 *     tables, columns by type family and nullability, primary keys, unique
 *     keys, indexes, foreign keys with their ON DELETE, views by name. Defaults, checks, collations, sequences, triggers and functions
 *     are written differently by each database and are left out, and so
 *     are PostgreSQL's enum types (no other database has them as types).
 *     A column of an enum type is of the family "other", the family of
 *     MySQL's enum(...) columns too: the family is read from the type's
 *     text alone, and the same portable schema then reads alike.
 *   - Normalised here, not in the drivers (which report their catalog as it
 *     is): names lower-cased; a primary key's columns are NOT NULL (SQLite
 *     lets a non-INTEGER key column hold NULL unless declared NOT NULL, a
 *     legacy quirk the other two forbid); a foreign key without target
 *     columns (SQLite's `REFERENCES t`) names the target's primary key; ON
 *     DELETE RESTRICT reads "no action" (MariaDB reports RESTRICT for a key
 *     declared without one; the two differ only for deferred checks, which
 *     MariaDB does not have); smallint, integer and bigint are one family
 *     "integer" (SQLite's integers are all 8 bytes); a UNIQUE constraint
 *     and a unique index over plain columns are both "unique t (c)"
 *     (MySQL has only the index, and its driver reports it as the
 *     constraint; SQLite names neither alike).
 *   - The lines are sorted byte-wise after lower-casing, so the text does
 *     not depend on the order the model had.
 */
#include "schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int put_lower(dm_buf *b, const char *s)
{
    for (; s && *s; s++) {
        char c = (char)tolower((unsigned char)*s);
        if (dm_buf_append(b, &c, 1))
            return -1;
    }
    return 0;
}

static int put_cols(dm_buf *b, char *const *v, size_t n)
{
    int rc = dm_buf_puts(b, "(");
    for (size_t i = 0; i < n; i++)
        rc |= (i ? dm_buf_puts(b, ",") : 0) | put_lower(b, v[i]);
    return rc | dm_buf_puts(b, ")");
}

/* The primary keys, sorted by table, so that a column finds its table's in
 * log time (a 2,000-table schema has tens of thousands of columns). */
typedef struct {
    const dm_sobj **v;
    size_t n;
} pk_index;

static int pk_qcmp(const void *a, const void *b)
{
    return strcmp((*(const dm_sobj *const *)a)->table, (*(const dm_sobj *const *)b)->table);
}

static int pk_index_build(pk_index *x, const dm_schema *s)
{
    x->n = 0;
    x->v = malloc((s->n ? s->n : 1) * sizeof *x->v); // NOLINT(bugprone-sizeof-expression): an array of pointers
    if (!x->v)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].kind == DBMIG_SO_PRIMARY_KEY)
            x->v[x->n++] = &s->v[i];
    qsort(x->v, x->n, sizeof *x->v, pk_qcmp); // NOLINT(bugprone-sizeof-expression): an array of pointers
    return 0;
}

static const dm_sobj *pk_of(const pk_index *x, const char *t)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(x->v[mid]->table, t);
        if (!c)
            return x->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int in_pk(const dm_sobj *pk, const char *col)
{
    for (size_t i = 0; pk && i < pk->ncolumns; i++)
        if (dm_streq(pk->columns[i], col))
            return 1;
    return 0;
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

static const char *fk_action(const char *a)
{
    if (!a || ieq(a, "RESTRICT"))
        return "no action";
    return a;
}

/* A unique index over plain columns, whole, in the default method: the
 * same fact as a UNIQUE constraint (MySQL has only the index, and reports
 * such an index as the constraint). */
static int plain_unique(const dm_sobj *o)
{
    if (!(o->flags & DBMIG_SO_UNIQUE_INDEX) || o->predicate || o->method)
        return 0;
    for (size_t i = 0; i < o->ncolumns; i++)
        if (strpbrk(o->columns[i], "( ") || !o->columns[i][0])
            return 0;
    return 1;
}

/* The integer families are one: SQLite stores every integer in up to 8
 * bytes whatever its declared type, so a width cannot be portable. */
static const char *pt_family(const char *f)
{
    return !strcmp(f, "smallint") || !strcmp(f, "bigint") ? "integer" : f;
}

/* One object's line into b (nothing for kinds the portable form leaves out). */
static int pt_line(const pk_index *s, const dm_sobj *o, dm_buf *b)
{
    int rc = 0;
    switch (o->kind) {
    case DBMIG_SO_TABLE:
        return dm_buf_puts(b, "table ") | put_lower(b, o->name);
    case DBMIG_SO_VIEW:
        return dm_buf_puts(b, "view ") | put_lower(b, o->name);
    case DBMIG_SO_COLUMN: {
        int null = (o->flags & DBMIG_SO_NULLABLE) && !in_pk(pk_of(s, o->table), o->name);
        rc = dm_buf_puts(b, "column ") | put_lower(b, o->table) | dm_buf_puts(b, ".") |
             put_lower(b, o->name);
        return rc | dm_buf_printf(b, " %s %s", pt_family(o->family), null ? "null" : "notnull");
    }
    case DBMIG_SO_PRIMARY_KEY:
    case DBMIG_SO_UNIQUE:
        rc = dm_buf_puts(b, o->kind == DBMIG_SO_PRIMARY_KEY ? "pk " : "unique ") |
             put_lower(b, o->table) | dm_buf_puts(b, " ");
        return rc | put_cols(b, o->columns, o->ncolumns);
    case DBMIG_SO_INDEX:
        if (plain_unique(o))
            return dm_buf_puts(b, "unique ") | put_lower(b, o->table) | dm_buf_puts(b, " ") |
                   put_cols(b, o->columns, o->ncolumns);
        rc = dm_buf_puts(b, "index ") | put_lower(b, o->table) | dm_buf_puts(b, ".") |
             put_lower(b, o->name);
        rc |= dm_buf_puts(b, o->flags & DBMIG_SO_UNIQUE_INDEX ? " unique " : " nonunique ");
        return rc | put_cols(b, o->columns, o->ncolumns);
    case DBMIG_SO_FOREIGN_KEY: {
        rc = dm_buf_puts(b, "fk ") | put_lower(b, o->table) | dm_buf_puts(b, " ") |
             put_cols(b, o->columns, o->ncolumns) | dm_buf_puts(b, " -> ") |
             put_lower(b, o->ref_table) | dm_buf_puts(b, " ");
        const dm_sobj *pk = o->nref_columns ? NULL : pk_of(s, o->ref_table);
        if (pk)
            rc |= put_cols(b, pk->columns, pk->ncolumns);
        else
            rc |= put_cols(b, o->ref_columns, o->nref_columns);
        return rc | dm_buf_puts(b, " on delete ") | put_lower(b, fk_action(o->on_delete));
    }
    default:
        return 0;
    }
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int dm_schema_render_portable(const dm_schema *s, dm_buf *out)
{
    dm_strv lines = {0};
    dm_buf b = {0};
    pk_index pks;
    int rc = pk_index_build(&pks, s);
    for (size_t i = 0; !rc && i < s->n; i++) {
        dm_buf_reset(&b);
        rc = pt_line(&pks, &s->v[i], &b);
        if (!rc && b.len)
            rc = dm_strv_push(&lines, dm_buf_str(&b));
    }
    dm_buf_free(&b);
    free(pks.v);
    if (!rc && lines.n)
        qsort(lines.v, lines.n, sizeof *lines.v, line_cmp);
    for (size_t i = 0; !rc && i < lines.n; i++)
        if (!i || strcmp(lines.v[i], lines.v[i - 1]) != 0) /* one line per fact */
            rc = dm_buf_printf(out, "%s\n", lines.v[i]);
    dm_strv_free(&lines);
    return rc ? -1 : 0;
}
