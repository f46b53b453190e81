/* schema_diff_enum.c — the PostgreSQL enum types part of `dbmig diff`
 * (core/schema_diff.h, "PostgreSQL enum types"): what dm_schema_diff
 * writes for an enum that appears, goes or changes its labels, and which
 * other objects such a change forces the generator to drop and create
 * again.
 *
 * Why it is built this way:
 *   - An enum whose old labels keep their order among the new ones only
 *     gains labels: ALTER TYPE ... ADD VALUE 'x' [BEFORE 'y' | AFTER 'y']
 *     each, in the new order, is instant and rewrites nothing. PostgreSQL
 *     12+ runs it inside the migration's transaction (11 refuses it
 *     there), but the new label cannot be USED before that transaction
 *     commits ("unsafe use of new value"): when an object of `to` uses a
 *     gained label (a default, a CHECK, an index predicate, a view ...:
 *     the deparsed text holds 'x'::mood; a function's body: 'x' anywhere),
 *     the enum is recreated instead, which has no such limit (a type
 *     created in the transaction may be used in it at once). So it is
 *     when a column changes type into the enum: its rows, converted
 *     through text, may hold a gained label.
 *   - Anything else (a label goes, labels are reordered, or the case
 *     above) recreates the type: the old one is renamed to
 *     _dbmig_old_<name>, the new one created under the name, every column
 *     of it that `to` keeps with the same type converted in one ALTER TABLE
 *     per table (DROP DEFAULT, TYPE ... USING c::text::new, SET DEFAULT:
 *     the default's old value cannot be cast across enum types, and
 *     PostgreSQL orders the three subcommands so), and the old type
 *     dropped in phase 8, once the generator has moved the columns that
 *     change type off it. A label that goes makes the cast fail for a row
 *     holding it: that statement is marked DESTRUCTIVE.
 *   - The objects that name the type or read such a column cannot live
 *     through the recreation (a CHECK or index predicate is re-parsed with
 *     the renamed type and fails; a view, a function, a foreign key or a
 *     generated column blocks the type change or the drop):
 *     dm_diff_enum_dependent tells the generator to treat them as changed,
 *     so they are dropped before phase 5 and created after it (a
 *     generated column dropped and added again, its values recomputed).
 *     One decision (enum_plan) serves the statements and the predicate, so
 *     they always agree; dm_diff_enums_recreated makes it once for a whole
 *     model (the plan scans `to`), dm_diff_enum_dependent_of then answers
 *     per object.
 *   - One label replaced by another in its place may be a rename (ALTER
 *     TYPE ... RENAME VALUE keeps the rows): a note says so, nothing is
 *     guessed.
 *   - Everything is derived again from the two models on each call (no
 *     state between the two hooks), and written in canonical order, so the
 *     same models give the same bytes. Known limits: a partitioned or
 *     inherited table (its partitions are tables of the model and
 *     PostgreSQL refuses to alter an inherited column), domains and
 *     policies over an enum (not modelled).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "schema_diff.h"

#define OLD_PREFIX "_dbmig_old_"
#define PG_NAME_MAX 63 /* NAMEDATALEN - 1: PostgreSQL cuts longer names */

/* ---- looking up ----------------------------------------------------------- */

/* The enum `name` of sorted s, or NULL. */
static const dm_sobj *enum_find(const dm_schema *s, const char *name)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_ENUM, NULL, &lo, &hi);
    while (lo < hi) { /* the enums are sorted by name */
        size_t mid = lo + (hi - lo) / 2;
        int c = dm_sstr_cmp(s->v[mid].name, name);
        if (!c)
            return &s->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int label_at(const dm_sobj *e, const char *label)
{
    for (size_t i = 0; i < e->ncolumns; i++)
        if (!strcmp(e->columns[i], label))
            return (int)i;
    return -1;
}

/* The column `name` of table t in sorted s, or NULL. */
static const dm_sobj *column_find(const dm_schema *s, const char *t, const char *name)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_COLUMN, t, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        if (dm_streq(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

/* A name PostgreSQL prints without quotes (keywords aside): [a-z_][a-z0-9_$]*. */
static int bare_name(const char *n)
{
    if (!n[0] || !(islower((unsigned char)n[0]) || n[0] == '_'))
        return 0;
    for (const char *p = n; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '$'))
            return 0;
    return 1;
}

/* Where the spelling of type `name` ends at p: bare, or in double quotes
 * with quotes doubled; NULL when p does not spell it. */
static const char *type_end(const char *p, const char *name)
{
    size_t n = strlen(name);
    if (!strncmp(p, name, n))
        return p + n;
    if (*p++ != '"')
        return NULL;
    for (const char *q = name; *q; q++, p++) {
        if (*p != *q)
            return NULL;
        if (*q == '"' && *++p != '"')
            return NULL;
    }
    return *p == '"' ? p + 1 : NULL;
}

/* 1 when a column type is enum `name`, 2 when an array of it (format_type:
 * "mood", "\"Mood\"", "mood[]"), else 0. */
static int type_is(const char *type, const char *name)
{
    const char *end = type ? type_end(type, name) : NULL;
    if (!end)
        return 0;
    return !*end ? 1 : !strcmp(end, "[]") ? 2 : 0;
}

static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Does text name `name` (a type, a column) as a whole word outside string
 * literals: its quoted spelling, or, for a bare name, the name in any case
 * (a function's author may write MOOD)? */
static int text_names(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '\'') { /* a string literal names nothing: skip it */
            while (*++p && (*p != '\'' || p[1] == '\''))
                p += *p == '\'';
            if (!*p)
                break;
            continue;
        }
        if (p != text && (ident_char(p[-1]) || p[-1] == '"'))
            continue;
        const char *end = *p == '"' ? type_end(p, name) : NULL;
        if (!end && bare_name(name)) {
            size_t k = 0;
            while (k < n && tolower((unsigned char)p[k]) == name[k])
                k++;
            end = k == n ? p + n : NULL;
        }
        if (end && !ident_char(*end) && *end != '"')
            return 1;
    }
    return 0;
}

/* Does the array constant '{...}' that ends at q (its closing quote) hold
 * `label` (as a substring of its text: "used" is the safe answer)? */
static int array_uses(const char *text, const char *q, const char *label)
{
    const char *open = q - 1; /* back to the quote that opens the literal */
    while (open >= text && !(*open == '\'' && (open == text || open[-1] != '\'')))
        open -= open > text && *open == '\'' ? 2 : 1;
    if (open < text || open[1] != '{')
        return 0;
    size_t n = strlen(label);
    for (const char *p = open + 1; p + n <= q; p++)
        if (!strncmp(p, label, n))
            return 1;
    return 0;
}

/* Is the text at p the cast "::name" (array: "::name[]"), whole? */
static int cast_to(const char *p, const char *name, int array)
{
    const char *end = !strncmp(p, "::", 2) ? type_end(p + 2, name) : NULL;
    if (end && array)
        end = !strncmp(end, "[]", 2) ? end + 2 : NULL;
    return end && !ident_char(*end) && *end != '"' && *end != '[';
}

/* Where the literal 'label' (quotes doubled) starting at p ends, or NULL. */
static const char *literal_end(const char *p, const char *label)
{
    if (*p++ != '\'')
        return NULL;
    for (const char *l = label; *l; l++, p++) {
        if (*p != *l)
            return NULL;
        if (*l == '\'' && *++p != '\'')
            return NULL;
    }
    return *p == '\'' ? p + 1 : NULL;
}

/* Does text use `label` of enum `name`: the deparsed constant 'label'::name
 * or an array constant '{..label..}'::name[] (cast: 1), or the literal
 * 'label' anywhere (cast: 0, a function body)? No allocation: the
 * generator asks this for every object of a large model. */
static int text_uses(const char *text, const char *label, const char *name, int cast)
{
    if (!text)
        return 0;
    for (const char *p = strchr(text, '\''); p; p = strchr(p + 1, '\'')) {
        const char *after = literal_end(p, label);
        if (!after || (p != text && (p[-1] == '\'' || p[-1] == '\\')))
            continue; /* not it, or inside another literal */
        if (!cast || cast_to(after, name, 0))
            return 1;
    }
    for (const char *p = cast ? strstr(text, "'::") : NULL; p; p = strstr(p + 1, "'::"))
        if (cast_to(p + 1, name, 1) && array_uses(text, p, label))
            return 1;
    return 0;
}

int dm_diff_enum_type(const dm_schema *s, const char *type)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_ENUM, NULL, &lo, &hi);
    for (size_t i = lo; type && i < hi; i++) {
        int k = type_is(type, s->v[i].name);
        if (k)
            return k;
    }
    return 0;
}

/* ---- the decision --------------------------------------------------------- */

enum { EP_SAME, EP_CREATE, EP_DROP, EP_ADD, EP_RECREATE };

typedef struct enum_plan {
    int how;
    size_t lost;       /* labels that go (EP_RECREATE) */
    int reordered;     /* labels kept but not in their order */
    const char *used;  /* a gained label `to` uses (EP_RECREATE), else NULL */
    const char *where; /* the object of `to` that uses it */
    int rows;          /* used: by rows converted into the type (a column of where) */
} enum_plan;

/* The first column of `to` of enum `name` (or an array of it) that `from`
 * has with another type: the generator converts its rows into the enum,
 * through text, so they may hold any label. NULL when there is none. */
static const dm_sobj *converted_into(const dm_schema *from, const dm_schema *to,
                                     const char *name)
{
    for (size_t i = 0; i < to->n; i++) {
        const dm_sobj *c = &to->v[i];
        if (c->kind != DBMIG_SO_COLUMN || !type_is(c->type, name))
            continue;
        const dm_sobj *old = column_find(from, c->table, c->name);
        if (old && !dm_streq(old->type, c->type))
            return c;
    }
    return NULL;
}

/* The first object of `to` that uses a gained label: its name into *where. */
static const char *gained_used(const dm_schema *to, const dm_sobj *a, const dm_sobj *b,
                               const char **where)
{
    for (size_t k = 0; k < b->ncolumns; k++) {
        const char *l = b->columns[k];
        if (label_at(a, l) >= 0)
            continue;
        for (size_t i = 0; i < to->n; i++) {
            const dm_sobj *o = &to->v[i];
            int fn = o->kind == DBMIG_SO_FUNCTION;
            const char *texts[] = {o->default_expr, o->generated, o->predicate, o->definition};
            int hit = 0;
            for (size_t t = 0; !hit && t < sizeof texts / sizeof texts[0]; t++)
                hit = texts[t] && text_uses(texts[t], l, b->name, !fn);
            for (size_t c = 0; !hit && o->kind == DBMIG_SO_INDEX && c < o->ncolumns; c++)
                hit = text_uses(o->columns[c], l, b->name, 1);
            if (hit) {
                *where = o->table && o->kind != DBMIG_SO_SEQUENCE ? o->table : o->name;
                return l;
            }
        }
    }
    return NULL;
}

/* What becomes of enum a (of `from`) that is b in `to` (either NULL). */
static enum_plan plan_of(const dm_schema *from, const dm_sobj *a, const dm_sobj *b,
                         const dm_schema *to)
{
    enum_plan p = {EP_SAME, 0, 0, NULL, NULL, 0};
    if (!a || !b) {
        p.how = a ? EP_DROP : b ? EP_CREATE : EP_SAME;
        return p;
    }
    if (!dm_slist_cmp(a->columns, a->ncolumns, b->columns, b->ncolumns))
        return p;
    size_t j = 0; /* how much of a's order b keeps, as a subsequence */
    for (size_t i = 0; i < b->ncolumns && j < a->ncolumns; i++)
        j += !strcmp(b->columns[i], a->columns[j]);
    for (size_t i = 0; i < a->ncolumns; i++)
        p.lost += label_at(b, a->columns[i]) < 0;
    p.reordered = !p.lost && j < a->ncolumns;
    const dm_sobj *conv = j == a->ncolumns ? converted_into(from, to, b->name) : NULL;
    if (conv) { /* its rows may hold a gained label: the first one says so */
        for (size_t i = 0; !p.used && i < b->ncolumns; i++)
            p.used = label_at(a, b->columns[i]) < 0 ? b->columns[i] : NULL;
        p.where = conv->table;
        p.rows = 1;
    }
    if (j == a->ncolumns && !p.used && !(p.used = gained_used(to, a, b, &p.where))) {
        p.how = EP_ADD;
        return p;
    }
    p.how = EP_RECREATE;
    return p;
}

static enum_plan plan_named(const dm_schema *from, const dm_schema *to, const char *name)
{
    return plan_of(from, enum_find(from, name), enum_find(to, name), to);
}

int dm_diff_enum_recreated(const dm_schema *from, const dm_schema *to, const char *name)
{
    return plan_named(from, to, name).how == EP_RECREATE;
}

/* A column of `from` that the recreation of enum e converts: of type e (or
 * e[]), kept by `to` with the same type. */
static int converted(const dm_schema *to, const dm_sobj *c, const char *e)
{
    if (c->kind != DBMIG_SO_COLUMN || !type_is(c->type, e) || c->generated)
        return 0; /* a generated one is dropped and added again (depends_on) */
    const dm_sobj *k = column_find(to, c->table, c->name);
    return k && dm_streq(k->type, c->type);
}

/* Is column `col` of table t in `from` converted for enum e? */
static int column_converted(const dm_schema *from, const dm_schema *to, const char *t,
                            const char *col, const char *e)
{
    const dm_sobj *c = column_find(from, t, col);
    return c && converted(to, c, e);
}

/* Does o (of `from`) read a converted column of e, or name e? */
static int depends_on(const dm_schema *from, const dm_schema *to, const dm_sobj *o,
                      const char *e)
{
    const char *texts[] = {o->definition, o->predicate, o->generated};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
        if (texts[t] && text_names(texts[t], e))
            return 1;
    for (size_t c = 0; o->kind == DBMIG_SO_INDEX && c < o->ncolumns; c++)
        if (text_names(o->columns[c], e))
            return 1;
    if (o->kind == DBMIG_SO_FOREIGN_KEY) {
        for (size_t c = 0; c < o->ncolumns; c++)
            if (column_converted(from, to, o->table, o->columns[c], e))
                return 1;
        for (size_t c = 0; c < o->nref_columns; c++)
            if (column_converted(from, to, o->ref_table, o->ref_columns[c], e))
                return 1;
    }
    if (o->kind == DBMIG_SO_COLUMN && o->generated) { /* PostgreSQL: "cannot alter type of a
                                                      * column used by a generated column" */
        if (type_is(o->type, e))
            return 1;
        size_t lo, hi;
        dm_schema_range(from, DBMIG_SO_COLUMN, o->table, &lo, &hi);
        for (size_t i = lo; i < hi; i++)
            if (converted(to, &from->v[i], e) && text_names(o->generated, from->v[i].name))
                return 1;
    }
    if (o->kind == DBMIG_SO_VIEW) { /* a view blocks the type change of a column it reads */
        for (size_t i = 0; i < from->n; i++) {
            const dm_sobj *c = &from->v[i];
            if (converted(to, c, e) && dm_sobj_mentions(o, c->table))
                return 1;
        }
    }
    return 0;
}

static int dependent_kind(int k)
{
    return k == DBMIG_SO_COLUMN || k == DBMIG_SO_CHECK || k == DBMIG_SO_INDEX ||
           k == DBMIG_SO_FOREIGN_KEY ||
           k == DBMIG_SO_VIEW || k == DBMIG_SO_TRIGGER || k == DBMIG_SO_FUNCTION;
}

int dm_diff_enum_dependent(const dm_schema *from, const dm_schema *to, const dm_sobj *o)
{
    if (!dependent_kind(o->kind))
        return 0;
    size_t lo, hi;
    dm_schema_range(from, DBMIG_SO_ENUM, NULL, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const dm_sobj *e = &from->v[i];
        /* the plan scans `to`: only for an object that would depend */
        if (depends_on(from, to, o, e->name) &&
            plan_of(from, e, enum_find(to, e->name), to).how == EP_RECREATE)
            return 1;
    }
    return 0;
}

int dm_diff_enums_recreated(const dm_schema *from, const dm_schema *to, dm_strv *names)
{
    size_t lo, hi;
    dm_schema_range(from, DBMIG_SO_ENUM, NULL, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const dm_sobj *e = &from->v[i];
        if (plan_of(from, e, enum_find(to, e->name), to).how == EP_RECREATE &&
            dm_strv_push(names, e->name))
            return -1;
    }
    return 0;
}

int dm_diff_enum_dependent_of(const dm_schema *from, const dm_schema *to,
                              const dm_strv *recreated, const dm_sobj *o)
{
    if (!dependent_kind(o->kind))
        return 0;
    for (size_t i = 0; i < recreated->n; i++)
        if (depends_on(from, to, o, recreated->v[i]))
            return 1;
    return 0;
}

/* ---- writing -------------------------------------------------------------- */

/* _dbmig_old_<name>, cut to what PostgreSQL keeps (at a character's start). */
static char *old_name(const char *name)
{
    dm_buf b = {0};
    if (dm_buf_puts(&b, OLD_PREFIX) || dm_buf_puts(&b, name))
        return dm_buf_free(&b), NULL;
    size_t n = b.len;
    while (n > PG_NAME_MAX || (n < b.len && ((unsigned char)b.ptr[n] & 0xC0) == 0x80))
        n--;
    b.ptr[n] = '\0';
    b.len = n;
    return dm_buf_take(&b);
}

static void end_stmt(dm_sqlw *w, size_t *nstmt)
{
    dm_sqlw_put(w, ";\n");
    ++*nstmt;
}

static void alter_type(dm_sqlw *w, const char *name)
{
    dm_sqlw_put(w, "ALTER TYPE ");
    dm_sqlw_ident(w, name);
}

/* ALTER TYPE e ADD VALUE for each gained label, in b's order: after the
 * label before it, or before the first kept one; appended when only new
 * labels follow. */
static void write_add(dm_sqlw *w, const dm_sobj *a, const dm_sobj *b, size_t *nstmt)
{
    for (size_t i = 0; i < b->ncolumns; i++) {
        if (label_at(a, b->columns[i]) >= 0)
            continue;
        size_t next = i + 1; /* the next label that is there already */
        while (next < b->ncolumns && label_at(a, b->columns[next]) < 0)
            next++;
        alter_type(w, b->name);
        dm_sqlw_put(w, " ADD VALUE ");
        dm_sqlw_literal(w, b->columns[i]);
        if (next < b->ncolumns && i > 0) {
            dm_sqlw_put(w, " AFTER ");
            dm_sqlw_literal(w, b->columns[i - 1]);
        } else if (next < b->ncolumns) {
            dm_sqlw_put(w, " BEFORE ");
            dm_sqlw_literal(w, b->columns[next]);
        }
        end_stmt(w, nstmt);
    }
}

/* "'x', 'y'": the labels of a that b has not. */
static int lost_labels(dm_buf *out, const dm_sobj *a, const dm_sobj *b)
{
    int rc = 0, n = 0;
    for (size_t i = 0; i < a->ncolumns; i++)
        if (label_at(b, a->columns[i]) < 0)
            rc |= dm_buf_printf(out, "%s'%s'", n++ ? ", " : "", a->columns[i]);
    return rc;
}

/* One column's three subcommands: DROP DEFAULT, TYPE ... USING, SET DEFAULT
 * (the old default again when `to` keeps it: any other change of default
 * is the generator's). */
static void convert_column(dm_sqlw *w, const dm_sobj *c, const dm_sobj *k, const char *e)
{
    int array = type_is(c->type, e) == 2;
    if (c->default_expr) {
        dm_sqlw_put(w, " ALTER COLUMN ");
        dm_sqlw_ident(w, c->name);
        dm_sqlw_put(w, " DROP DEFAULT,");
    }
    dm_sqlw_put(w, " ALTER COLUMN ");
    dm_sqlw_ident(w, c->name);
    dm_sqlw_put(w, " TYPE ");
    dm_sqlw_ident(w, e);
    dm_sqlw_put(w, array ? "[] USING " : " USING ");
    dm_sqlw_ident(w, c->name);
    dm_sqlw_put(w, array ? "::text[]::" : "::text::");
    dm_sqlw_ident(w, e);
    dm_sqlw_put(w, array ? "[]" : "");
    if (c->default_expr && dm_streq(c->default_expr, k->default_expr)) {
        dm_sqlw_put(w, ", ALTER COLUMN ");
        dm_sqlw_ident(w, c->name);
        dm_sqlw_put(w, " SET DEFAULT ");
        dm_sqlw_expr(w, c->default_expr);
    }
}

/* The destructive line and note of table t's conversion when labels go. */
static int mark_lost(dm_sqlw *w, const dm_sobj *a, const dm_sobj *b, const char *t,
                     const dm_buf *cols, dm_dnotes *notes)
{
    dm_buf lost = {0}, obj = {0};
    int rc = lost_labels(&lost, a, b) | dm_buf_printf(&obj, "table %s", t);
    if (!rc) {
        dm_sqlw_put(w, "-- dbmig:destructive enum ");
        dm_sqlw_put(w, a->name);
        dm_sqlw_put(w, " loses ");
        dm_sqlw_put(w, dm_buf_str(&lost));
        dm_sqlw_put(w, ": converting ");
        dm_sqlw_put(w, dm_buf_str(cols));
        dm_sqlw_put(w, " fails on a row holding one\n");
    }
    if (!rc && notes)
        rc = dm_dnotes_add(notes, DM_NOTE_DESTRUCTIVE, dm_buf_str(&obj),
                           "enum %s loses %s: converting %s fails on a row holding one; "
                           "update or delete those rows first",
                           a->name, dm_buf_str(&lost), dm_buf_str(cols));
    dm_buf_free(&lost);
    dm_buf_free(&obj);
    return rc;
}

/* ALTER TABLE per table of `from` with converted columns of enum a->name;
 * marked destructive when labels go (lost). */
static int convert_tables(dm_sqlw *w, const dm_schema *from, const dm_sobj *a,
                          const dm_sobj *b, size_t lost, size_t *nstmt, dm_dnotes *notes)
{
    const dm_schema *to = w->s;
    size_t lo, hi;
    dm_schema_range(from, DBMIG_SO_TABLE, NULL, &lo, &hi);
    int rc = 0;
    for (size_t i = lo; !rc && i < hi; i++) {
        const char *t = from->v[i].name;
        size_t clo, chi, n = 0;
        dm_buf cols = {0};
        dm_schema_range(from, DBMIG_SO_COLUMN, t, &clo, &chi);
        for (size_t c = clo; c < chi; c++)
            if (converted(to, &from->v[c], a->name))
                rc |= dm_buf_printf(&cols, "%s%s.%s", n++ ? ", " : "", t, from->v[c].name);
        if (!rc && n && lost)
            rc = mark_lost(w, a, b, t, &cols, notes);
        dm_buf_free(&cols);
        if (rc || !n)
            continue;
        dm_sqlw_put(w, "ALTER TABLE ");
        dm_sqlw_ident(w, t);
        for (size_t c = clo, k = 0; c < chi; c++) {
            const dm_sobj *col = &from->v[c];
            if (!converted(to, col, a->name))
                continue;
            dm_sqlw_put(w, k++ ? "," : "");
            convert_column(w, col, column_find(to, t, col->name), a->name);
        }
        end_stmt(w, nstmt);
    }
    return rc;
}

/* Why the type is recreated, as an INFO note. */
static int recreate_note(dm_dnotes *notes, const dm_sobj *b, const enum_plan *p)
{
    if (!notes)
        return 0;
    dm_buf o = {0};
    int rc = dm_buf_printf(&o, "enum %s", b->name);
    const char *tail = "the type is recreated under its name and every column of it is "
                       "rewritten (an ACCESS EXCLUSIVE lock on each of their tables)";
    if (!rc && p->used && p->rows)
        rc = dm_dnotes_add(notes, DM_NOTE_INFO, dm_buf_str(&o),
                           "rows converted into it (table %s) may hold label '%s', which ALTER "
                           "TYPE ... ADD VALUE does not allow before the migration commits: %s",
                           p->where, p->used, tail);
    else if (!rc && p->used)
        rc = dm_dnotes_add(notes, DM_NOTE_INFO, dm_buf_str(&o),
                           "label '%s' is used in this migration (%s), which ALTER TYPE ... ADD "
                           "VALUE does not allow before the migration commits: %s",
                           p->used, p->where, tail);
    else if (!rc && p->reordered)
        rc = dm_dnotes_add(notes, DM_NOTE_INFO, dm_buf_str(&o), "labels reordered: %s", tail);
    else if (!rc)
        rc = dm_dnotes_add(notes, DM_NOTE_INFO, dm_buf_str(&o), "labels removed: %s", tail);
    dm_buf_free(&o);
    return rc;
}

/* Rename the old type, create the new one, convert the columns. */
/* One label goes and one appears at the same place: maybe a rename, which
 * ALTER TYPE ... RENAME VALUE does in place (rows keep their value): said,
 * never guessed. */
static int rename_note(dm_dnotes *notes, const dm_sobj *a, const dm_sobj *b, size_t lost)
{
    if (!notes || lost != 1 || a->ncolumns != b->ncolumns)
        return 0;
    for (size_t i = 0; i < a->ncolumns; i++) {
        if (!strcmp(a->columns[i], b->columns[i]))
            continue;
        if (label_at(b, a->columns[i]) >= 0 || label_at(a, b->columns[i]) >= 0)
            return 0; /* a move, not a rename */
        dm_buf o = {0};
        int rc = dm_buf_printf(&o, "enum %s", a->name);
        if (!rc)
            rc = dm_dnotes_add(notes, DM_NOTE_RENAME, dm_buf_str(&o),
                               "rename? label '%s' goes and '%s' appears in its place: use ALTER "
                               "TYPE %s RENAME VALUE '%s' TO '%s' in a migration and re-run diff",
                               a->columns[i], b->columns[i], a->name, a->columns[i],
                               b->columns[i]);
        dm_buf_free(&o);
        return rc;
    }
    return 0;
}

static int write_recreate(dm_sqlw *w, const dm_schema *from, const dm_sobj *a,
                          const dm_sobj *b, const enum_plan *p, size_t *nstmt,
                          dm_dnotes *notes)
{
    char *old = old_name(a->name);
    if (!old)
        return -1;
    alter_type(w, a->name);
    dm_sqlw_put(w, " RENAME TO ");
    dm_sqlw_ident(w, old);
    end_stmt(w, nstmt);
    free(old);
    dm_sqlw_create_enum(w, b, NULL);
    ++*nstmt;
    return recreate_note(notes, b, p) | rename_note(notes, a, b, p->lost) |
           convert_tables(w, from, a, b, p->lost, nstmt, notes);
}

static int add_note(dm_dnotes *notes, const dm_sobj *b)
{
    if (!notes)
        return 0;
    dm_buf o = {0};
    int rc = dm_buf_printf(&o, "enum %s", b->name);
    if (!rc)
        rc = dm_dnotes_add(notes, DM_NOTE_INFO, dm_buf_str(&o),
                           "ALTER TYPE ... ADD VALUE runs inside the migration's transaction on "
                           "PostgreSQL 12 and newer only (on 11 make the revision `transaction "
                           "off`), and a new label can be used only after the migration "
                           "commits");
    dm_buf_free(&o);
    return rc;
}

int dm_diff_enums_before(dm_sqlw *w, const dm_schema *from, size_t *nstmt, dm_dnotes *notes)
{
    const dm_schema *to = w->s;
    size_t lo, hi;
    int rc = 0;
    dm_schema_range(to, DBMIG_SO_ENUM, NULL, &lo, &hi);
    for (size_t i = lo; !rc && !w->rc && i < hi; i++) {
        const dm_sobj *b = &to->v[i], *a = enum_find(from, b->name);
        enum_plan p = plan_of(from, a, b, to);
        if (p.how == EP_CREATE) {
            dm_sqlw_create_enum(w, b, NULL);
            ++*nstmt;
        } else if (p.how == EP_ADD) {
            write_add(w, a, b, nstmt);
            rc = add_note(notes, b);
        } else if (p.how == EP_RECREATE) {
            rc = write_recreate(w, from, a, b, &p, nstmt, notes);
        }
    }
    return rc || w->rc ? -1 : 0;
}

int dm_diff_enums_after(dm_sqlw *w, const dm_schema *from, size_t *nstmt, dm_dnotes *notes)
{
    (void)notes;
    size_t lo, hi;
    dm_schema_range(from, DBMIG_SO_ENUM, NULL, &lo, &hi);
    for (size_t i = lo; !w->rc && i < hi; i++) {
        const dm_sobj *a = &from->v[i];
        enum_plan p = plan_of(from, a, enum_find(w->s, a->name), w->s);
        if (p.how != EP_DROP && p.how != EP_RECREATE)
            continue;
        char *name = p.how == EP_DROP ? NULL : old_name(a->name);
        if (p.how == EP_RECREATE && !name)
            return -1;
        dm_sqlw_put(w, "DROP TYPE ");
        dm_sqlw_ident(w, name ? name : a->name);
        end_stmt(w, nstmt);
        free(name);
    }
    return w->rc ? -1 : 0;
}
