/* schema_json.c — the JSON renderings of the schema model and of a
 * comparison's differences (core/schema.h: dm_schema_render_json,
 * dm_sdiffs_render_json): what `schema dump --format json` and `drift
 * --format json` print.
 *
 * Why it is built this way:
 *   - jansson builds the tree and prints it with sorted keys and a
 *     two-space indent, so the bytes depend only on the model: the same
 *     database always prints the same text.
 *   - A table holds its own columns, keys, checks, indexes and triggers
 *     (what a reader looks for under a table); views, sequences,
 *     functions and enums ({"name", "labels": [...] in their order}) stand
 *     beside the tables, each list present (maybe empty) on every driver. Every field of the object's kind
 *     is present, null when the database gave none, so a consumer never
 *     has to ask whether a key exists. An object whose table was not
 *     reported still appears, under a table entry of that name.
 *   - A string that is not valid UTF-8 (SQLite stores any bytes) is kept
 *     as it is rather than dropped, so nothing silently disappears.
 */
#include "schema.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Builders that remember a failure (no memory) in *bad and never crash. */
typedef struct {
    int bad;
} jb;

static json_t *jstr(jb *b, const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (!j)
        j = json_string_nocheck(s);
    if (!j)
        b->bad = 1;
    return j;
}

static void jset(jb *b, json_t *o, const char *key, json_t *v)
{
    if (!o) {
        json_decref(v);
        b->bad = 1;
    } else if (!v || json_object_set_new(o, key, v)) {
        b->bad = 1;
    }
}

static json_t *jlist(jb *b, char *const *v, size_t n)
{
    json_t *a = json_array();
    if (!a) {
        b->bad = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(a, jstr(b, v[i])))
            b->bad = 1;
    return a;
}

static const char *dialect_name(int d)
{
    switch (d) {
    case DBMIG_DIALECT_POSTGRES:
        return "postgres";
    case DBMIG_DIALECT_MYSQL:
        return "mysql";
    case DBMIG_DIALECT_SQLITE:
        return "sqlite";
    default:
        return "generic";
    }
}

static json_t *j_column(jb *b, const dm_sobj *o)
{
    json_t *j = json_object();
    jset(b, j, "name", jstr(b, o->name));
    jset(b, j, "position", json_integer(o->position));
    jset(b, j, "type", jstr(b, o->type));
    jset(b, j, "family", jstr(b, o->family));
    jset(b, j, "nullable", json_boolean(o->flags & DBMIG_SO_NULLABLE));
    jset(b, j, "identity", json_boolean(o->flags & DBMIG_SO_IDENTITY));
    jset(b, j, "default", jstr(b, o->default_expr));
    jset(b, j, "generated", jstr(b, o->generated));
    jset(b, j, "generated_stored", json_boolean(o->flags & DBMIG_SO_GENERATED_STORED));
    jset(b, j, "collation", jstr(b, o->collation));
    return j;
}

/* Every kind but COLUMN and TABLE: its own fields. */
static json_t *j_object(jb *b, const dm_sobj *o)
{
    json_t *j = json_object();
    jset(b, j, "name", jstr(b, o->name));
    switch (o->kind) {
    case DBMIG_SO_FOREIGN_KEY:
        jset(b, j, "ref_table", jstr(b, o->ref_table));
        jset(b, j, "ref_columns", jlist(b, o->ref_columns, o->nref_columns));
        jset(b, j, "on_delete", jstr(b, o->on_delete));
        jset(b, j, "on_update", jstr(b, o->on_update));
        jset(b, j, "deferrable", json_boolean(o->flags & DBMIG_SO_DEFERRABLE));
        /* fall through */
    case DBMIG_SO_PRIMARY_KEY:
    case DBMIG_SO_UNIQUE:
        jset(b, j, "columns", jlist(b, o->columns, o->ncolumns));
        break;
    case DBMIG_SO_CHECK:
        jset(b, j, "expression", jstr(b, o->definition));
        break;
    case DBMIG_SO_INDEX:
        jset(b, j, "unique", json_boolean(o->flags & DBMIG_SO_UNIQUE_INDEX));
        jset(b, j, "columns", jlist(b, o->columns, o->ncolumns));
        jset(b, j, "predicate", jstr(b, o->predicate));
        jset(b, j, "method", jstr(b, o->method));
        break;
    case DBMIG_SO_ENUM:
        jset(b, j, "labels", jlist(b, o->columns, o->ncolumns));
        break;
    case DBMIG_SO_SEQUENCE:
        jset(b, j, "definition", jstr(b, o->definition));
        jset(b, j, "owned_by_table", jstr(b, o->table));
        jset(b, j, "owned_by_column", jstr(b, o->ncolumns ? o->columns[0] : NULL));
        break;
    default: /* VIEW, TRIGGER, FUNCTION */
        jset(b, j, "definition", jstr(b, o->definition));
        jset(b, j, "digest", jstr(b, o->digest));
        break;
    }
    return j;
}

/* The entry of table `name` in tables (created, in order, when new). */
static json_t *j_table(jb *b, json_t *tables, json_t *byname, const char *name)
{
    json_t *t = json_object_get(byname, name);
    if (t)
        return t;
    t = json_object();
    jset(b, t, "name", jstr(b, name));
    jset(b, t, "primary_key", json_null());
    static const char *const lists[] = {"columns", "unique", "foreign_keys", "checks",
                                        "indexes", "triggers"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        jset(b, t, lists[i], json_array());
    if (!t || json_object_set(byname, name, t)) {
        json_decref(t);
        b->bad = 1;
        return NULL;
    }
    if (json_array_append_new(tables, t)) { /* byname still holds it */
        b->bad = 1;
        return NULL;
    }
    return t;
}

static void j_place(jb *b, json_t *root, json_t *byname, const dm_sobj *o)
{
    static const char *const top[] = {[DBMIG_SO_VIEW] = "views",
                                      [DBMIG_SO_SEQUENCE] = "sequences",
                                      [DBMIG_SO_FUNCTION] = "functions",
                                      [DBMIG_SO_ENUM] = "enums"};
    static const char *const under[] = {[DBMIG_SO_UNIQUE] = "unique",
                                        [DBMIG_SO_FOREIGN_KEY] = "foreign_keys",
                                        [DBMIG_SO_CHECK] = "checks",
                                        [DBMIG_SO_INDEX] = "indexes",
                                        [DBMIG_SO_TRIGGER] = "triggers"};
    json_t *tables = json_object_get(root, "tables");
    if (o->kind == DBMIG_SO_VIEW || o->kind == DBMIG_SO_SEQUENCE || o->kind == DBMIG_SO_FUNCTION ||
        o->kind == DBMIG_SO_ENUM) {
        if (json_array_append_new(json_object_get(root, top[o->kind]), j_object(b, o)))
            b->bad = 1;
        return;
    }
    json_t *t = j_table(b, tables, byname, o->kind == DBMIG_SO_TABLE ? o->name : o->table);
    if (!t || o->kind == DBMIG_SO_TABLE)
        return;
    if (o->kind == DBMIG_SO_PRIMARY_KEY)
        jset(b, t, "primary_key", j_object(b, o));
    else if (json_array_append_new(json_object_get(t, o->kind == DBMIG_SO_COLUMN
                                                           ? "columns"
                                                           : under[o->kind]),
                                   o->kind == DBMIG_SO_COLUMN ? j_column(b, o) : j_object(b, o)))
        b->bad = 1;
}

static int j_dump(json_t *root, int bad, dm_buf *out)
{
    char *text = bad ? NULL : json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(root);
    int rc = !text || dm_buf_puts(out, text) || dm_buf_puts(out, "\n") ? -1 : 0;
    free(text);
    return rc;
}

int dm_schema_render_json(const dm_schema *s, dm_buf *out)
{
    jb b = {0};
    json_t *root = json_object(), *byname = json_object();
    jset(&b, root, "dialect", jstr(&b, dialect_name(s->dialect)));
    static const char *const lists[] = {"tables", "views", "sequences", "functions", "enums"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        jset(&b, root, lists[i], json_array());
    for (size_t i = 0; !b.bad && byname && i < s->n; i++)
        j_place(&b, root, byname, &s->v[i]);
    json_decref(byname);
    return j_dump(root, b.bad || !byname, out);
}

int dm_sdiffs_render_json(const dm_sdiffs *d, dm_buf *out)
{
    jb b = {0};
    json_t *root = json_array();
    for (size_t i = 0; root && !b.bad && i < d->n; i++) {
        json_t *j = json_object();
        jset(&b, j, "object", jstr(&b, d->v[i].object));
        jset(&b, j, "field", jstr(&b, d->v[i].field));
        jset(&b, j, "what", jstr(&b, d->v[i].what));
        jset(&b, j, "left", jstr(&b, d->v[i].left));
        jset(&b, j, "right", jstr(&b, d->v[i].right));
        if (json_array_append_new(root, j))
            b.bad = 1;
    }
    return j_dump(root, b.bad || !root, out);
}
