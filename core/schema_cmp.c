/* schema_cmp.c — comparing two schema models (dm_schema_compare in
 * core/schema.h): what drift and `dbmig test` report.
 *
 * Why it is built this way:
 *   - One merge walk. Each model is viewed through an array of pointers in
 *     identity order (kind, table, name), so the walk meets every object of
 *     both once and pairs those with the same identity. The views are
 *     needed because the canonical order puts columns by position while
 *     their identity is their name: a column's position is not compared.
 *     Two databases that reach the same columns by different histories
 *     (ALTER TABLE ... ADD COLUMN appends on PostgreSQL and SQLite, MySQL
 *     can insert AFTER) hold the same schema for every query that names
 *     its columns, and drift would otherwise report every column after an
 *     inserted one.
 *   - Identity: a table has at most one primary key, so a primary key's
 *     identity is its table (a different name is a field difference). A
 *     constraint the database gives no name ("" on SQLite) is identified by
 *     its content: its columns, its target and its expression, so two
 *     unnamed constraints with the same content match and any change to
 *     them reads as one only in each model.
 *   - Messages say both sides in the caller's words ("NOT NULL in the
 *     database, NULL in the migrations") and name the object as a user
 *     would ("table invoices: column amount", "index users_email_idx").
 */
#include "schema.h"

#include <stdlib.h>
#include <string.h>

/* Identity order: kind, table, then the name, or the content when unnamed
 * (unnamed sorts before named). */
int dm_sobj_ident_cmp(const dm_sobj *a, const dm_sobj *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = dm_sstr_cmp(a->table, b->table);
    if (c || a->kind == DBMIG_SO_PRIMARY_KEY)
        return c;
    int na = a->name && a->name[0], nb = b->name && b->name[0];
    if (na != nb)
        return na ? 1 : -1;
    if (na)
        return dm_sstr_cmp(a->name, b->name);
    c = dm_slist_cmp(a->columns, a->ncolumns, b->columns, b->ncolumns);
    if (!c)
        c = dm_sstr_cmp(a->ref_table, b->ref_table);
    if (!c)
        c = dm_slist_cmp(a->ref_columns, a->nref_columns, b->ref_columns, b->nref_columns);
    if (!c)
        c = dm_sstr_cmp(a->definition, b->definition);
    return c;
}

static int ident_qcmp(const void *a, const void *b)
{
    return dm_sobj_ident_cmp(*(const dm_sobj *const *)a, *(const dm_sobj *const *)b);
}

const dm_sobj **dm_schema_ident_view(const dm_schema *s)
{
    const dm_sobj **v = malloc((s->n ? s->n : 1) * sizeof *v); // NOLINT(bugprone-sizeof-expression): an array of pointers
    if (!v)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        v[i] = &s->v[i];
    qsort(v, s->n, sizeof *v, ident_qcmp); // NOLINT(bugprone-sizeof-expression): an array of pointers
    return v;
}

/* ---- naming ---------------------------------------------------------------- */

static int put_list(dm_buf *b, char *const *v, size_t n)
{
    int rc = dm_buf_puts(b, "(");
    for (size_t i = 0; i < n; i++)
        rc |= dm_buf_printf(b, "%s%s", i ? ", " : "", v[i]);
    return rc | dm_buf_puts(b, ")");
}

/* "table t", "table t: column c", "table t: foreign key (a) -> r (b)", ... */
static int so_label(dm_buf *b, const dm_sobj *o)
{
    static const char *const word[] = {NULL,    NULL,    "column", "primary key", "unique",
                                       "foreign key", "check", "index", "view", "sequence",
                                       "trigger", "function", "enum"};
    switch (o->kind) {
    case DBMIG_SO_TABLE:
        return dm_buf_printf(b, "table %s", o->name);
    case DBMIG_SO_INDEX:
    case DBMIG_SO_VIEW:
    case DBMIG_SO_SEQUENCE:
    case DBMIG_SO_TRIGGER:
    case DBMIG_SO_FUNCTION:
    case DBMIG_SO_ENUM:
        return dm_buf_printf(b, "%s %s", word[o->kind], o->name);
    default:
        break;
    }
    int rc = dm_buf_printf(b, "table %s: %s", o->table, word[o->kind]);
    if (o->kind == DBMIG_SO_COLUMN || (o->name && o->name[0]))
        return rc | dm_buf_printf(b, " %s", o->name);
    if (o->kind == DBMIG_SO_CHECK)
        return rc | dm_buf_printf(b, " (%s)", o->definition);
    rc |= dm_buf_puts(b, " ") | put_list(b, o->columns, o->ncolumns);
    if (o->kind == DBMIG_SO_FOREIGN_KEY)
        rc |= dm_buf_printf(b, " -> %s ", o->ref_table) |
              put_list(b, o->ref_columns, o->nref_columns);
    return rc;
}

/* ---- recording a difference -------------------------------------------------- */

typedef struct {
    dm_sdiffs *out;
    const char *object, *L, *R;
    int oom;
} cmp_ctx;

static void push(cmp_ctx *c, const char *field, const char *what, const char *lv,
                 const char *rv)
{
    if (c->oom)
        return;
    if (c->out->n == c->out->cap) {
        size_t cap = c->out->cap ? c->out->cap * 2 : 16;
        dm_sdiff *v = realloc(c->out->v, cap * sizeof *v);
        if (!v) {
            c->oom = 1;
            return;
        }
        c->out->v = v;
        c->out->cap = cap;
    }
    dm_sdiff d = {dm_strdup(c->object), dm_strdup(what), dm_strdup(field), dm_strdup(lv),
                  dm_strdup(rv)};
    if (!d.object || !d.what || !d.field || (lv && !d.left) || (rv && !d.right)) {
        free(d.object), free(d.what), free(d.field), free(d.left), free(d.right);
        c->oom = 1;
        return;
    }
    c->out->v[c->out->n++] = d;
}

/* A value that differs: "type integer in L, text in R"; an absent one reads
 * "no default". */
static void diff_val(cmp_ctx *c, const char *field, const char *label, const char *lv,
                     const char *rv)
{
    if (!dm_sstr_cmp(lv, rv) && !lv == !rv)
        return;
    dm_buf w = {0};
    if (lv)
        c->oom |= dm_buf_printf(&w, "%s %s in %s, ", label, lv, c->L);
    else
        c->oom |= dm_buf_printf(&w, "no %s in %s, ", label, c->L);
    if (rv)
        c->oom |= dm_buf_printf(&w, "%s %s in %s", label, rv, c->R);
    else
        c->oom |= dm_buf_printf(&w, "no %s in %s", label, c->R);
    if (!c->oom)
        push(c, field, dm_buf_str(&w), lv, rv);
    dm_buf_free(&w);
}

/* A flag that differs: "NOT NULL in L, NULL in R". */
static void diff_flag(cmp_ctx *c, const char *field, uint32_t fa, uint32_t fb, uint32_t bit,
                      const char *on, const char *off)
{
    if ((fa & bit) == (fb & bit))
        return;
    const char *lv = fa & bit ? on : off, *rv = fb & bit ? on : off;
    dm_buf w = {0};
    c->oom |= dm_buf_printf(&w, "%s in %s, %s in %s", lv, c->L, rv, c->R);
    if (!c->oom)
        push(c, field, dm_buf_str(&w), lv, rv);
    dm_buf_free(&w);
}

static void diff_list(cmp_ctx *c, const char *field, const char *label, char *const *a,
                      size_t na, char *const *b, size_t nb)
{
    if (!dm_slist_cmp(a, na, b, nb))
        return;
    dm_buf l = {0}, r = {0};
    c->oom |= put_list(&l, a, na) | put_list(&r, b, nb);
    if (!c->oom)
        diff_val(c, field, label, dm_buf_str(&l), dm_buf_str(&r));
    dm_buf_free(&l);
    dm_buf_free(&r);
}

/* "expr STORED" / "expr VIRTUAL", or NULL. */
static char *gen_text(const dm_sobj *o)
{
    if (!o->generated)
        return NULL;
    dm_buf b = {0};
    dm_buf_printf(&b, "%s %s", o->generated,
                  o->flags & DBMIG_SO_GENERATED_STORED ? "STORED" : "VIRTUAL");
    return dm_buf_take(&b);
}

static void diff_column(cmp_ctx *c, const dm_sobj *a, const dm_sobj *b)
{
    diff_val(c, "type", "type", a->type, b->type);
    diff_flag(c, "nullable", a->flags, b->flags, DBMIG_SO_NULLABLE, "NULL", "NOT NULL");
    diff_val(c, "default", "default", a->default_expr, b->default_expr);
    char *ga = gen_text(a), *gb = gen_text(b);
    if ((a->generated && !ga) || (b->generated && !gb))
        c->oom = 1;
    else
        diff_val(c, "generated", "generated", ga, gb);
    free(ga);
    free(gb);
    diff_val(c, "collation", "collation", a->collation, b->collation);
    diff_flag(c, "identity", a->flags, b->flags, DBMIG_SO_IDENTITY, "identity",
              "not identity");
}

static void diff_fk(cmp_ctx *c, const dm_sobj *a, const dm_sobj *b)
{
    diff_list(c, "columns", "columns", a->columns, a->ncolumns, b->columns, b->ncolumns);
    diff_val(c, "ref_table", "target table", a->ref_table, b->ref_table);
    diff_list(c, "ref_columns", "target columns", a->ref_columns, a->nref_columns,
              b->ref_columns, b->nref_columns);
    diff_val(c, "on_delete", "ON DELETE", a->on_delete, b->on_delete);
    diff_val(c, "on_update", "ON UPDATE", a->on_update, b->on_update);
    diff_flag(c, "deferrable", a->flags, b->flags, DBMIG_SO_DEFERRABLE, "deferrable",
              "not deferrable");
}

static void diff_fields(cmp_ctx *c, const dm_sobj *a, const dm_sobj *b)
{
    switch (a->kind) {
    case DBMIG_SO_COLUMN:
        diff_column(c, a, b);
        break;
    case DBMIG_SO_PRIMARY_KEY:
        diff_val(c, "name", "name", a->name[0] ? a->name : NULL, b->name[0] ? b->name : NULL);
        /* fall through */
    case DBMIG_SO_UNIQUE:
        diff_list(c, "columns", "columns", a->columns, a->ncolumns, b->columns, b->ncolumns);
        break;
    case DBMIG_SO_FOREIGN_KEY:
        diff_fk(c, a, b);
        break;
    case DBMIG_SO_CHECK:
        diff_val(c, "definition", "expression", a->definition, b->definition);
        break;
    case DBMIG_SO_INDEX:
        diff_flag(c, "unique", a->flags, b->flags, DBMIG_SO_UNIQUE_INDEX, "unique",
                  "not unique");
        diff_list(c, "columns", "columns", a->columns, a->ncolumns, b->columns, b->ncolumns);
        diff_val(c, "predicate", "predicate", a->predicate, b->predicate);
        diff_val(c, "method", "method", a->method, b->method);
        break;
    case DBMIG_SO_SEQUENCE:
        diff_val(c, "definition", "definition", a->definition, b->definition);
        diff_val(c, "owner", "owner table", a->table, b->table);
        diff_list(c, "owner_columns", "owner column", a->columns, a->ncolumns, b->columns,
                  b->ncolumns);
        break;
    case DBMIG_SO_TRIGGER:
    case DBMIG_SO_VIEW:
    case DBMIG_SO_FUNCTION:
        diff_val(c, "definition", "definition digest", a->digest, b->digest);
        break;
    case DBMIG_SO_ENUM: /* the labels in their order: the order is the type's sort order */
        diff_list(c, "labels", "labels", a->columns, a->ncolumns, b->columns, b->ncolumns);
        break;
    default:
        break;
    }
}

/* One object of one side: only there, or paired with b. */
static void cmp_one(cmp_ctx *c, const dm_sobj *a, const dm_sobj *b, const dm_sobj *only,
                    int in_left)
{
    dm_buf label = {0};
    const dm_sobj *named = only ? only : a;
    if (!named) /* never: one side or a pair */
        return;
    if (so_label(&label, named)) {
        c->oom = 1;
        dm_buf_free(&label);
        return;
    }
    c->object = dm_buf_str(&label);
    if (only) {
        dm_buf w = {0};
        c->oom |= dm_buf_printf(&w, "only in %s", in_left ? c->L : c->R);
        if (!c->oom)
            push(c, in_left ? "extra" : "missing", dm_buf_str(&w), NULL, NULL);
        dm_buf_free(&w);
    } else {
        diff_fields(c, a, b);
    }
    c->object = NULL;
    dm_buf_free(&label);
}

int dm_schema_compare(const dm_schema *a, const dm_schema *b, const char *left_name,
                      const char *right_name, dm_sdiffs *out, dm_err *e)
{
    const dm_sobj **va = dm_schema_ident_view(a), **vb = dm_schema_ident_view(b);
    cmp_ctx c = {out, NULL, left_name ? left_name : "the left",
                 right_name ? right_name : "the right", !va || !vb};
    size_t i = 0, j = 0;
    while (!c.oom && (i < a->n || j < b->n)) {
        int k = i == a->n ? 1 : j == b->n ? -1 : dm_sobj_ident_cmp(va[i], vb[j]);
        if (k < 0)
            cmp_one(&c, NULL, NULL, va[i++], 1);
        else if (k > 0)
            cmp_one(&c, NULL, NULL, vb[j++], 0);
        else
            cmp_one(&c, va[i++], vb[j++], NULL, 0);
    }
    free(va);
    free(vb);
    return c.oom ? dm_err_nomem(e) : 0;
}

void dm_sdiffs_free(dm_sdiffs *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].object);
        free(d->v[i].what);
        free(d->v[i].field);
        free(d->v[i].left);
        free(d->v[i].right);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}
