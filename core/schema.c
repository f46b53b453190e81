/* schema.c — the schema model itself (core/schema.h): copying a driver's
 * objects in (dm_schema_add), their canonical order (dm_schema_sort), the
 * type families (dm_type_family), and building a model from a driver's
 * inspect() (dm_schema_from_driver). The comparison is schema_cmp.c, the
 * renderings schema_render.c.
 *
 * Why it is built this way:
 *   - dm_schema_add first copies the driver's object into a zeroed local
 *     struct, only as many bytes as the driver says it has (o->size): a
 *     driver built against an older, shorter dbmig_schema_object reads as
 *     if its missing fields were NULL, and nothing past its end is read.
 *   - Validation happens once, here, with the object named in the message,
 *     so the rest of the core can rely on every object having what its
 *     kind needs (a COLUMN has a table and a name, an INDEX columns, ...).
 *     An unnamed constraint (NULL name) is stored with name "".
 *   - The order is total: objects that tie on (kind, table, name) (unnamed
 *     constraints) are ordered by their content, so the same set of objects
 *     always sorts to the same sequence whatever order inspect() gave.
 *   - The type families are one table for every dialect; the type is
 *     lower-cased, its "(...)" parts, "unsigned" and "zerofill" dropped,
 *     and the rest looked up whole.
 */
#include "schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "sha256.h"

/* ---- copying an object in ------------------------------------------------ */

static const char *const so_kind_names[] = {
    NULL,          "table", "column", "primary key", "unique constraint", "foreign key",
    "check",       "index", "view",   "sequence",    "trigger",           "function",
    "enum"};

static const char *so_kind_name(uint32_t kind)
{
    return kind >= 1 && kind <= DBMIG_SO_ENUM ? so_kind_names[kind] : "object";
}

/* A description of the object for a refusal: "column t.c", "index (no name)". */
static int so_refuse(dm_err *e, const dbmig_schema_object *o, const char *why)
{
    int t = o->table && o->table[0];
    return dm_err_set(e, DBMIG_ERROR,
                      "the driver reported a malformed schema object: %s %s%s%s: %s",
                      so_kind_name(o->kind), t ? o->table : "", t ? "." : "",
                      o->name && o->name[0] ? o->name : "(no name)", why);
}

/* An enum's labels (its columns) are its values: each one at most once,
 * so that an old and a new list can be matched label by label (the diff
 * does). None at all is an enum created with no label, which PostgreSQL
 * allows. */
static const char *so_check_labels(const dbmig_schema_object *o)
{
    for (uint32_t i = 0; i < o->ncolumns; i++)
        for (uint32_t j = i + 1; j < o->ncolumns; j++)
            if (!strcmp(o->columns[i], o->columns[j]))
                return "one of its labels is listed twice";
    return NULL;
}

/* What each kind must have; NULL when the object is well-formed. */
static const char *so_check(const dbmig_schema_object *o)
{
    int k = (int)o->kind;
    if (k < DBMIG_SO_TABLE || k > DBMIG_SO_ENUM)
        return "unknown kind (a driver newer than this dbmig?)";
    int needs_table = k != DBMIG_SO_TABLE && k != DBMIG_SO_VIEW && k != DBMIG_SO_SEQUENCE &&
                      k != DBMIG_SO_FUNCTION && k != DBMIG_SO_ENUM;
    int may_be_unnamed = k == DBMIG_SO_PRIMARY_KEY || k == DBMIG_SO_UNIQUE ||
                         k == DBMIG_SO_FOREIGN_KEY || k == DBMIG_SO_CHECK;
    if (needs_table && (!o->table || !o->table[0]))
        return "it has no table";
    if (!may_be_unnamed && (!o->name || !o->name[0]))
        return "it has no name";
    if (o->ncolumns && !o->columns)
        return "it gives a column count but no columns";
    for (uint32_t i = 0; i < o->ncolumns; i++)
        if (!o->columns[i])
            return "one of its columns is NULL";
    if (o->nref_columns && !o->ref_columns)
        return "it gives a referenced column count but no columns";
    for (uint32_t i = 0; i < o->nref_columns; i++)
        if (!o->ref_columns[i])
            return "one of its referenced columns is NULL";
    if ((k == DBMIG_SO_PRIMARY_KEY || k == DBMIG_SO_UNIQUE || k == DBMIG_SO_FOREIGN_KEY ||
         k == DBMIG_SO_INDEX) && o->ncolumns == 0)
        return "it has no columns";
    if (k == DBMIG_SO_FOREIGN_KEY && (!o->ref_table || !o->ref_table[0]))
        return "it references no table";
    if (k == DBMIG_SO_CHECK && !o->definition)
        return "it has no expression (definition)";
    if (k == DBMIG_SO_ENUM)
        return so_check_labels(o);
    return NULL;
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = dm_strdup(src);
    return *dst ? 0 : -1;
}

static int dup_list(char ***dst, size_t *n, const char *const *src, uint32_t count)
{
    *dst = NULL;
    *n = 0;
    if (!count)
        return 0;
    *dst = calloc(count, sizeof **dst);
    if (!*dst)
        return -1;
    for (uint32_t i = 0; i < count; i++) {
        if (!((*dst)[i] = dm_strdup(src[i])))
            return -1; /* the caller frees the partial list (*n counts it) */
        (*n)++;
    }
    return 0;
}

static void sobj_free(dm_sobj *s)
{
    free(s->table);
    free(s->name);
    free(s->type);
    free(s->family);
    free(s->default_expr);
    free(s->generated);
    free(s->collation);
    free(s->ref_table);
    free(s->on_delete);
    free(s->on_update);
    free(s->predicate);
    free(s->method);
    free(s->definition);
    for (size_t i = 0; i < s->ncolumns; i++)
        free(s->columns[i]);
    for (size_t i = 0; i < s->nref_columns; i++)
        free(s->ref_columns[i]);
    free(s->columns);
    free(s->ref_columns);
    memset(s, 0, sizeof *s);
}

static void so_digest(dm_sobj *s)
{
    dm_sha256 h;
    char v1[DM_SHA256_V1_LEN + 1];
    const char *d = s->definition ? s->definition : "";
    dm_sha256_init(&h);
    dm_sha256_update(&h, d, strlen(d));
    dm_sha256_v1(&h, v1);
    memcpy(s->digest, v1 + 3, 16);
    s->digest[16] = '\0';
}

/* Copies the fields of o (already validated) into s; -1 on no memory. */
static int so_copy(dm_sobj *s, const dbmig_schema_object *o)
{
    s->kind = (int)o->kind;
    s->flags = o->flags;
    s->position = o->position;
    if (dup_opt(&s->table, o->table) || dup_opt(&s->name, o->name ? o->name : "") ||
        dup_opt(&s->type, o->type) || dup_opt(&s->default_expr, o->default_expr) ||
        dup_opt(&s->generated, o->generated) || dup_opt(&s->collation, o->collation) ||
        dup_opt(&s->ref_table, o->ref_table) || dup_opt(&s->on_delete, o->on_delete) ||
        dup_opt(&s->on_update, o->on_update) || dup_opt(&s->predicate, o->predicate) ||
        dup_opt(&s->method, o->method) || dup_opt(&s->definition, o->definition) ||
        dup_list(&s->columns, &s->ncolumns, o->columns, o->ncolumns) ||
        dup_list(&s->ref_columns, &s->nref_columns, o->ref_columns, o->nref_columns))
        return -1;
    if (s->kind == DBMIG_SO_COLUMN && dup_opt(&s->family, dm_type_family(s->type)))
        return -1;
    if (s->kind == DBMIG_SO_VIEW || s->kind == DBMIG_SO_TRIGGER || s->kind == DBMIG_SO_FUNCTION)
        so_digest(s);
    return 0;
}

int dm_schema_add(dm_schema *s, const dbmig_schema_object *in, dm_err *e)
{
    /* Only the bytes the driver has: the rest reads as NULL / 0. */
    dbmig_schema_object o;
    memset(&o, 0, sizeof o);
    size_t have = in->size < sizeof o ? in->size : sizeof o;
    if (have < offsetof(dbmig_schema_object, kind) + sizeof o.kind)
        return dm_err_set(e, DBMIG_ERROR,
                          "the driver reported a malformed schema object: its size (%u bytes) "
                          "is too small to hold even its kind",
                          (unsigned)in->size);
    memcpy(&o, in, have);
    const char *why = so_check(&o);
    if (why)
        return so_refuse(e, &o, why);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        dm_sobj *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return dm_err_nomem(e);
        s->v = v;
        s->cap = cap;
    }
    dm_sobj *d = &s->v[s->n];
    memset(d, 0, sizeof *d);
    if (so_copy(d, &o)) {
        sobj_free(d);
        return dm_err_nomem(e);
    }
    s->n++;
    return 0;
}

void dm_schema_free(dm_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        sobj_free(&s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* ---- canonical order ------------------------------------------------------ */

int dm_sstr_cmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : ""); /* byte-wise, whatever the locale */
}

int dm_slist_cmp(char *const *a, size_t na, char *const *b, size_t nb)
{
    for (size_t i = 0; i < na && i < nb; i++) {
        int c = dm_sstr_cmp(a[i], b[i]);
        if (c)
            return c;
    }
    return na < nb ? -1 : na > nb;
}

/* Every field after the identity: the tie-break that makes the order total. */
static int content_cmp(const dm_sobj *a, const dm_sobj *b)
{
    int c = dm_slist_cmp(a->columns, a->ncolumns, b->columns, b->ncolumns);
    if (!c)
        c = dm_sstr_cmp(a->ref_table, b->ref_table);
    if (!c)
        c = dm_slist_cmp(a->ref_columns, a->nref_columns, b->ref_columns, b->nref_columns);
    if (!c)
        c = dm_sstr_cmp(a->definition, b->definition);
    const char *sa[] = {a->type, a->default_expr, a->generated, a->collation,
                        a->on_delete, a->on_update, a->predicate, a->method};
    const char *sb[] = {b->type, b->default_expr, b->generated, b->collation,
                        b->on_delete, b->on_update, b->predicate, b->method};
    for (size_t i = 0; !c && i < sizeof sa / sizeof sa[0]; i++)
        c = dm_sstr_cmp(sa[i], sb[i]);
    if (!c)
        c = a->flags < b->flags ? -1 : a->flags > b->flags;
    return c;
}

static int sobj_cmp(const dm_sobj *a, const dm_sobj *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = dm_sstr_cmp(a->table, b->table);
    if (c)
        return c;
    if (a->kind == DBMIG_SO_COLUMN && a->position != b->position)
        return a->position < b->position ? -1 : 1;
    c = dm_sstr_cmp(a->name, b->name);
    return c ? c : content_cmp(a, b);
}

static int sobj_qcmp(const void *a, const void *b)
{
    return sobj_cmp(a, b);
}

/* <0, 0, >0: where (kind, table) sorts against o, the first two keys of
 * sobj_cmp. */
static int kt_cmp(int kind, const char *table, const dm_sobj *o)
{
    if (kind != o->kind)
        return kind < o->kind ? -1 : 1;
    return dm_sstr_cmp(table, o->table);
}

/* The first index whose (kind, table) is >= (kind, table), or > with upper. */
static size_t kt_bound(const dm_schema *s, int kind, const char *table, int upper)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = kt_cmp(kind, table, &s->v[mid]);
        if (c > 0 || (upper && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void dm_schema_range(const dm_schema *s, int kind, const char *table, size_t *lo, size_t *hi)
{
    *lo = kt_bound(s, kind, table, 0);
    *hi = kt_bound(s, kind, table, 1);
}

void dm_schema_sort(dm_schema *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, sobj_qcmp);
}

void dm_schema_drop_table(dm_schema *s, const char *table)
{
    size_t w = 0;
    for (size_t r = 0; r < s->n; r++) {
        dm_sobj *o = &s->v[r];
        int drop = o->kind == DBMIG_SO_TABLE ? dm_streq(o->name, table)
                   : o->kind == DBMIG_SO_VIEW || o->kind == DBMIG_SO_FUNCTION ||
                           o->kind == DBMIG_SO_ENUM
                       ? 0
                       : dm_streq(o->table, table); /* SEQUENCE: owned by a column of it */
        if (drop)
            sobj_free(o);
        else
            s->v[w++] = *o;
    }
    s->n = w;
}

/* ---- from a driver -------------------------------------------------------- */

typedef struct {
    dm_schema *s;
    dm_err *e;
    int failed;
} sd_payload;

static int sd_collect(void *payload, const dbmig_schema_object *obj)
{
    sd_payload *p = payload;
    if (p->failed)
        return 1;
    if (!obj) {
        p->failed = dm_err_set(p->e, DBMIG_ERROR, "the driver reported a NULL schema object");
        return 1;
    }
    if (dm_schema_add(p->s, obj, p->e)) {
        p->failed = 1;
        return 1; /* stop: no memory, or a malformed object */
    }
    return 0;
}

int dm_schema_from_driver(const dbmig_driver *drv, void *self, dbmig_conn *conn,
                          const char *const *skip, dm_schema *out, dm_err *e)
{
    int (*inspect)(void *, dbmig_conn *, dbmig_schema_fn, void *) = DM_DRV_OPT(drv, inspect);
    if (!inspect)
        return dm_err_set(e, DBMIG_EUSAGE,
                          "driver %s cannot inspect its schema (it has no inspect method, "
                          "driver ABI 2.1): schema dump, drift and test need it; use a "
                          "driver built for dbmig's driver ABI 2.1 or later",
                          drv->name ? drv->name : "(unnamed)");
    dm_schema s = {0};
    s.dialect = (int)drv->dialect;
    sd_payload p = {&s, e, 0};
    int rc = inspect(self, conn, sd_collect, &p);
    if (p.failed) {
        dm_schema_free(&s);
        return e->code ? e->code : dm_err_nomem(e);
    }
    if (rc != DBMIG_DRV_OK) {
        dm_schema_free(&s);
        dm_buf m = {0};
        const dbmig_db_error *de = drv->last_error(self, conn);
        if (dm_db_error_format(&m, de)) {
            dm_buf_free(&m);
            return dm_err_nomem(e);
        }
        dm_err_set(e, DBMIG_ERROR, "driver %s could not inspect the schema: %s", drv->name,
                   dm_buf_str(&m));
        dm_buf_free(&m);
        return dm_db_error_note(e, de);
    }
    for (size_t i = 0; skip && skip[i]; i++)
        dm_schema_drop_table(&s, skip[i]);
    dm_schema_sort(&s);
    *out = s;
    return 0;
}

/* ---- type families -------------------------------------------------------- */

/* The type lower-cased, "(...)" parts, "unsigned" and "zerofill" removed,
 * blanks collapsed: "INT(11) UNSIGNED" -> "int". */
static void tf_normalise(const char *type, char *out, size_t cap)
{
    size_t n = 0;
    int depth = 0, space = 0;
    for (const char *p = type; *p && n + 1 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '(')
            depth++;
        else if (c == ')')
            depth -= depth > 0;
        else if (depth)
            continue;
        else if (isspace(c))
            space = n > 0;
        else {
            if (space && n + 2 < cap)
                out[n++] = ' ';
            space = 0;
            out[n++] = (char)tolower(c);
        }
    }
    out[n] = '\0';
    static const char *const drop[] = {" unsigned", " zerofill"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
            size_t l = strlen(drop[i]), len = strlen(out);
            if (len > l && !strcmp(out + len - l, drop[i])) {
                out[len - l] = '\0';
                again = 1;
            }
        }
    }
}

static const struct {
    const char *family;
    const char *names; /* '|'-separated, whole names */
} tf_table[] = {
    {"integer", "|int|integer|int4|serial|serial4|mediumint|int3|"},
    {"bigint", "|bigint|int8|bigserial|serial8|"},
    {"smallint", "|smallint|int2|smallserial|serial2|tinyint|int1|"},
    {"decimal", "|numeric|decimal|dec|fixed|"},
    {"float", "|real|float|float4|float8|double|double precision|"},
    {"boolean", "|bool|boolean|"},
    {"text",
     "|varchar|character varying|text|char|character|nvarchar|nchar|national character|"
     "national character varying|national char|national varchar|varchar2|nvarchar2|clob|"
     "nclob|tinytext|mediumtext|longtext|bpchar|citext|string|native character|"
     "varying character|"},
    {"binary", "|bytea|blob|tinyblob|mediumblob|longblob|binary|varbinary|"},
    {"date", "|date|"},
    {"time", "|time|timetz|time without time zone|time with time zone|"},
    {"timestamp", "|timestamp|timestamp without time zone|datetime|"},
    {"timestamptz", "|timestamptz|timestamp with time zone|"},
    {"json", "|json|jsonb|"},
    {"uuid", "|uuid|"},
};

const char *dm_type_family(const char *type)
{
    if (!type)
        return "other";
    char t[128];
    /* tinyint(1) is MySQL's boolean; its width is the only thing that says so. */
    size_t i = 0;
    for (; type[i] && i + 1 < sizeof t; i++)
        t[i] = (char)tolower((unsigned char)type[i]);
    t[i] = '\0';
    if (!strncmp(t, "tinyint(1)", 10) || !strncmp(t, "bit(1)", 6))
        return "boolean";
    tf_normalise(type, t, sizeof t);
    if (!t[0] || strchr(t, '|'))
        return "other";
    char key[sizeof t + 2];
    key[0] = '|';
    memcpy(key + 1, t, strlen(t));
    key[strlen(t) + 1] = '|';
    key[strlen(t) + 2] = '\0';
    for (size_t k = 0; k < sizeof tf_table / sizeof tf_table[0]; k++)
        if (strstr(tf_table[k].names, key))
            return tf_table[k].family;
    return "other";
}
