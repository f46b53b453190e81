/* schema_diff_sqlite.c — SQLite's part of `dbmig diff` (core/schema_diff.h):
 * which table changes SQLite's ALTER TABLE can make (ADD COLUMN, in the
 * forms SQLite accepts) and, for every other change, the table rebuild of
 * SQLite's documentation (https://www.sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes").
 *
 * Why it is built this way:
 *   - Conservative: a table needs no rebuild only when every difference of
 *     its own objects is a column ADD COLUMN can add, with exactly the
 *     position ADD COLUMN gives it (last). Anything unsure (a CHECK or a
 *     foreign key that would have to ride on the ADD COLUMN, a NOT NULL
 *     column, a non-literal default) rebuilds: a rebuild is always right.
 *     Index and trigger changes are the generator's and never rebuild.
 *   - The rebuild, in statements ending ";\n":
 *       CREATE TABLE "_dbmig_new_<t>" as t is in `to` (the dump's writer;
 *         "_dbmig_new2_<t>", ... when a table has that name already);
 *       [INSERT INTO sqlite_sequence ... the old row, renamed] (AUTOINCREMENT:
 *         ids go on where they were, a deleted highest id is not reused; the
 *         copy below keeps every row's key and only raises the sequence);
 *       INSERT INTO new (columns both have) SELECT (the same) FROM t
 *         (a generated column of `to` is left out: SQLite computes it; a
 *         changed type is copied as is and SQLite converts by affinity);
 *       [a guard that fails when foreign keys are on] (when a key points at
 *         t with an ON DELETE action: DROP TABLE would run it);
 *       -- dbmig:destructive <what>   (when the rebuild can lose data)
 *       DROP TABLE t;
 *       PRAGMA legacy_alter_table = ON; ALTER TABLE new RENAME TO t;
 *       PRAGMA legacy_alter_table = OFF;
 *       CREATE INDEX ... and CREATE TRIGGER ... of t in `to`;
 *       the foreign-key check (below), when t has or is the target of keys.
 *   - The destructive marker goes above the DROP TABLE: that is the
 *     statement after which the old rows are gone (a dropped column, values
 *     a type change converts, and a NOT NULL added, which SPEC section 13
 *     counts as destructive: the copy fails on a NULL), one line naming
 *     everything; each item is also a DESTRUCTIVE note.
 *   - dbmig's SQLite connections run with foreign_keys off (SQLite's
 *     default; drivers/sqlite never turns it on), so DROP TABLE t cascades
 *     nothing and deletes no child row, and the whole rebuild runs inside
 *     the migration's transaction (the pragma foreign_keys would be a no-op
 *     there anyway). Children's REFERENCES t clauses are text: they point
 *     at the new table once it is renamed to t. A migration could still
 *     have turned them on (PRAGMA foreign_keys = ON in a `transaction off`
 *     revision, same connection): then DROP TABLE t would run the ON DELETE
 *     actions of t's children, so when one has such an action the rebuild
 *     first fails, saying so, when pragma_foreign_keys reads 1.
 *   - The rename runs with legacy_alter_table on: since SQLite 3.26 a
 *     rename re-parses every view and trigger of the schema and fails when
 *     one reads a table that is missing at that moment ("error in trigger
 *     x: no such table: main.t": a trigger on another table that reads t,
 *     right after DROP TABLE t). The legacy rename renames the table, its
 *     indexes, triggers and sqlite_sequence row and nothing else, which is
 *     all this procedure needs (nothing names "_dbmig_new_<t>"). Views that
 *     read t are the generator's (dropped before, created after).
 *   - The foreign-key check: SQLite has no RAISE outside triggers, so the
 *     check is a temporary table with one INTEGER column per checked table,
 *     each with a named CHECK (n = 0) whose name is the message; the INSERT
 *     of pragma_foreign_key_check's row counts then fails with "CHECK
 *     constraint failed: foreign key check after rebuilding table t: rows
 *     of table c point at no parent row (list them: SELECT * FROM
 *     pragma_foreign_key_check('c'))", and the migration's transaction
 *     rolls back. The temporary table is dropped first if there (a
 *     failed check outside a transaction — a `transaction off` revision,
 *     or diff's verification run again on the same connection — leaves
 *     it behind in the session), and after. The pragma fails outright ("foreign key mismatch") when a
 *     parent key does not exist yet, so a table's keys are checked once,
 *     at the rebuild of the last (in name order: dm_schema_diff calls the
 *     rebuilds in canonical order) of the rebuilt tables among itself and
 *     its parents, when every one of them has its final keys; a key whose
 *     parent key is missing then (a unique index the generator creates
 *     later, in phase 6) or at all (a key on a plain column, which SQLite
 *     accepts while foreign keys are off) leaves that child unchecked,
 *     with an INFO note.
 *   - Notes: an INFO note per rebuild saying why (what ALTER TABLE could
 *     not do: "a: type TEXT -> INTEGER, drops b, foreign keys"), a
 *     DESTRUCTIVE note per item of the marker, an INFO note for a new NOT
 *     NULL column without a default (the copy fails on a table with rows)
 *     and for the foreign-key check (it also fails on rows that broke a
 *     key before the migration: SQLite enforces keys only when asked).
 *   - Not in the model, so not kept: WITHOUT ROWID and STRICT (the model
 *     has no flag for them: the new table is a plain rowid table) and the
 *     hidden rowid of a table without an INTEGER PRIMARY KEY (rows get new
 *     rowids, as in SQLite's own procedure).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_diff.h"

#define NEW_PREFIX "_dbmig_new_"
#define CHECK_TABLE "_dbmig_fk_check"
#define GUARD_TABLE "_dbmig_fk_off"

/* ---- looking things up -------------------------------------------------- */

static int ascii_casecmp(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    for (;; a++, b++) {
        int d = tolower((unsigned char)*a) - tolower((unsigned char)*b);
        if (d || !*a)
            return d;
    }
}

/* The TABLE object of s whose name is `name` (SQLite names are
 * case-insensitive: an exact match first, then any case), or NULL. */
static const dm_sobj *find_table(const dm_schema *s, const char *name)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_TABLE, NULL, &lo, &hi);
    for (size_t a = lo, b = hi; a < b;) { /* tables are in name order */
        size_t m = a + (b - a) / 2;
        int c = dm_sstr_cmp(s->v[m].name, name);
        if (!c)
            return &s->v[m];
        if (c < 0)
            a = m + 1;
        else
            b = m;
    }
    for (size_t i = lo; i < hi; i++)
        if (!ascii_casecmp(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

static const dm_sobj *find_column(const dm_schema *s, const char *t, const char *name)
{
    size_t lo, hi;
    dm_schema_range(s, DBMIG_SO_COLUMN, t, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        if (!ascii_casecmp(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

static int slist_same(char *const *a, size_t na, char *const *b, size_t nb)
{
    return dm_slist_cmp(a, na, b, nb) == 0;
}

/* Every field of two objects (what the exact comparison looks at). */
static int sobj_same(const dm_sobj *a, const dm_sobj *b)
{
    return a->kind == b->kind && a->flags == b->flags && a->position == b->position &&
           !dm_sstr_cmp(a->table, b->table) && !dm_sstr_cmp(a->name, b->name) &&
           !dm_sstr_cmp(a->type, b->type) && !dm_sstr_cmp(a->default_expr, b->default_expr) &&
           !dm_sstr_cmp(a->generated, b->generated) && !dm_sstr_cmp(a->collation, b->collation) &&
           slist_same(a->columns, a->ncolumns, b->columns, b->ncolumns) &&
           !dm_sstr_cmp(a->ref_table, b->ref_table) &&
           slist_same(a->ref_columns, a->nref_columns, b->ref_columns, b->nref_columns) &&
           !dm_sstr_cmp(a->on_delete, b->on_delete) && !dm_sstr_cmp(a->on_update, b->on_update) &&
           !dm_sstr_cmp(a->predicate, b->predicate) && !dm_sstr_cmp(a->method, b->method) &&
           !dm_sstr_cmp(a->definition, b->definition);
}

/* Do t's objects of `kind` in a and b match one for one (unnamed
 * constraints by content, in any order)? */
static int same_objects(const dm_schema *a, const dm_schema *b, const char *t, int kind)
{
    size_t alo, ahi, blo, bhi;
    dm_schema_range(a, kind, t, &alo, &ahi);
    dm_schema_range(b, kind, t, &blo, &bhi);
    if (ahi - alo != bhi - blo)
        return 0;
    size_t n = ahi - alo;
    char small[64], *used = n <= sizeof small ? small : calloc(n, 1);
    if (!used)
        return 0; /* no memory: say "differs", a rebuild is always right */
    if (used == small)
        memset(small, 0, n);
    int all = 1;
    for (size_t i = alo; i < ahi && all; i++) {
        size_t j = 0;
        while (j < n && (used[j] || !sobj_same(&a->v[i], &b->v[blo + j])))
            j++;
        if (j == n)
            all = 0;
        else
            used[j] = 1;
    }
    if (used != small)
        free(used);
    return all;
}

/* ---- what ADD COLUMN can do --------------------------------------------- */

static int word_is(const char *d, const char *w) { return !ascii_casecmp(d, w); }

/* A default ADD COLUMN takes: a literal (number, string, blob, NULL,
 * TRUE/FALSE); not CURRENT_* nor an expression in parentheses. */
static int literal_default(const char *d)
{
    if (*d == '+' || *d == '-')
        d++;
    if (isdigit((unsigned char)*d) || (*d == '.' && isdigit((unsigned char)d[1])))
        return strspn(d, "0123456789.eE+-xXabcdefABCDEF") == strlen(d);
    if (*d == '\'' || ((*d == 'x' || *d == 'X') && d[1] == '\''))
        return d[strlen(d) - 1] == '\'';
    return word_is(d, "NULL") || word_is(d, "TRUE") || word_is(d, "FALSE");
}

/* Can `ALTER TABLE t ADD COLUMN` add c as `to` has it? (Keys, checks and
 * foreign keys are compared separately: any change there rebuilds.) */
static int addable_column(const dm_sobj *c)
{
    int notnull = !(c->flags & DBMIG_SO_NULLABLE);
    if (c->flags & (DBMIG_SO_IDENTITY | DBMIG_SO_GENERATED_STORED))
        return 0;
    if (c->generated)
        return !notnull && !c->default_expr; /* a VIRTUAL generated column */
    if (c->default_expr && !literal_default(c->default_expr))
        return 0;
    return !notnull || (c->default_expr && !word_is(c->default_expr, "NULL"));
}

int dm_sqlite_needs_rebuild(const dm_schema *from, const dm_schema *to, const char *t)
{
    const dm_sobj *ta = find_table(from, t), *tb = find_table(to, t);
    if (!ta || !tb || !sobj_same(ta, tb))
        return 1;
    size_t alo, ahi, blo, bhi;
    dm_schema_range(from, DBMIG_SO_COLUMN, ta->name, &alo, &ahi);
    dm_schema_range(to, DBMIG_SO_COLUMN, tb->name, &blo, &bhi);
    if (bhi - blo < ahi - alo)
        return 1; /* a column goes away */
    /* both sorted by position: from's columns must stay as they are, first */
    for (size_t i = 0; i < ahi - alo; i++)
        if (!sobj_same(&from->v[alo + i], &to->v[blo + i]))
            return 1;
    for (size_t i = blo + (ahi - alo); i < bhi; i++)
        if (find_column(from, ta->name, to->v[i].name) || !addable_column(&to->v[i]))
            return 1;
    static const int kinds[] = {DBMIG_SO_PRIMARY_KEY, DBMIG_SO_UNIQUE, DBMIG_SO_FOREIGN_KEY,
                                DBMIG_SO_CHECK};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (!same_objects(from, to, ta->name, kinds[k])) /* = tb->name */
            return 1;
    return 0;
}

/* ---- the rebuild -------------------------------------------------------- */

typedef struct rb {
    dm_sqlw *w;
    const dm_schema *from, *to;
    const char *t, *ft; /* t's name in `to` and in `from` */
    char *newname;      /* "_dbmig_new_<t>" */
    size_t *nstmt;
    dm_dnotes *notes;
    dm_buf lost; /* the destructive line: "; "-separated items */
    char *object; /* "table t" */
    int rc;       /* no memory */
} rb;

static void stmt_end(rb *r, const char *tail)
{
    dm_sqlw_put(r->w, tail);
    ++*r->nstmt;
}

static void note(rb *r, int kind, const char *column, const char *text)
{
    if (!r->notes)
        return;
    char *obj = NULL;
    if (column) {
        dm_buf b = {0};
        if (dm_buf_printf(&b, "%s: column %s", r->object, column) == 0)
            obj = dm_buf_take(&b);
        dm_buf_free(&b);
        if (!obj) {
            r->rc = -1;
            return;
        }
    }
    if (dm_dnotes_add(r->notes, kind, obj ? obj : r->object, "%s", text))
        r->rc = -1;
    free(obj);
}

/* A destructive item: a note, and a part of the marker line. */
static void lose(rb *r, const char *column, const char *text)
{
    note(r, DM_NOTE_DESTRUCTIVE, column, text);
    if (dm_buf_printf(&r->lost, "%s%s%s%s", r->lost.len ? "; " : "", column ? "column " : "",
                      column ? column : "", column ? " " : "") ||
        dm_buf_puts(&r->lost, text))
        r->rc = -1;
}

/* SQLite's type affinity of a declared type (datatype3.html, 3.1). */
enum { AFF_BLOB, AFF_TEXT, AFF_NUMERIC, AFF_INTEGER, AFF_REAL };

static int has_ci(const char *s, const char *w)
{
    for (size_t n = strlen(w); s && *s; s++) {
        size_t k = 0;
        while (k < n && toupper((unsigned char)s[k]) == w[k])
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

static int affinity(const char *type)
{
    if (has_ci(type, "INT"))
        return AFF_INTEGER;
    if (has_ci(type, "CHAR") || has_ci(type, "CLOB") || has_ci(type, "TEXT"))
        return AFF_TEXT;
    if (!type || !type[0] || has_ci(type, "BLOB"))
        return AFF_BLOB;
    if (has_ci(type, "REAL") || has_ci(type, "FLOA") || has_ci(type, "DOUB"))
        return AFF_REAL;
    return AFF_NUMERIC;
}

/* Can copying a value of type a into a column of type b change it?
 * (datatype3.html: INTEGER and NUMERIC affinity store alike; REAL stores
 * integers as floats.) Text into a numeric column ('007' -> 7), a real or
 * a value without affinity into text (15 digits), an integer into REAL
 * (beyond 2^53): yes. The same affinity, INTEGER <-> NUMERIC, an integer
 * into text, a real into INTEGER or NUMERIC (only a real that is an
 * integer converts, to that integer), anything into a column without
 * affinity: no. */
static int type_may_convert(const char *a, const char *b)
{
    int fa = affinity(a), fb = affinity(b);
    int inum = (fa == AFF_INTEGER || fa == AFF_NUMERIC) && (fb == AFF_INTEGER || fb == AFF_NUMERIC);
    if (fa == fb || fb == AFF_BLOB || inum)
        return 0;
    if (fa == AFF_INTEGER && fb == AFF_TEXT)
        return 0;
    return !(fa == AFF_REAL && (fb == AFF_INTEGER || fb == AFF_NUMERIC));
}

/* Is c its table's INTEGER PRIMARY KEY, the rowid itself, never NULL
 * (though the pragma reports it nullable)? */
static int rowid_alias(const dm_schema *s, const dm_sobj *c)
{
    const dm_sobj *pk = dm_schema_pk(s, c->table);
    return pk && pk->ncolumns == 1 && !ascii_casecmp(pk->columns[0], c->name) && c->type &&
           !ascii_casecmp(c->type, "INTEGER");
}

static void type_note(rb *r, const dm_sobj *a, const dm_sobj *b)
{
    dm_buf text = {0};
    if (dm_buf_printf(&text, "changes type from %s to %s: SQLite converts the values it can",
                      a->type && a->type[0] ? a->type : "(none)",
                      b->type && b->type[0] ? b->type : "(none)"))
        r->rc = -1;
    else
        lose(r, a->name, dm_buf_str(&text));
    dm_buf_free(&text);
}

/* Notes for the columns: what the copy loses or cannot do. */
static void column_notes(rb *r)
{
    size_t lo, hi;
    dm_schema_range(r->from, DBMIG_SO_COLUMN, r->ft, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const dm_sobj *a = &r->from->v[i], *b = find_column(r->to, r->t, a->name);
        if (!b && !a->generated)
            lose(r, a->name, "dropped with its data");
        else if (b && b->generated && !a->generated)
            lose(r, a->name, "becomes generated: its values are replaced");
        else if (b && !b->generated && type_may_convert(a->type, b->type))
            type_note(r, a, b);
        if (b && !b->generated && (a->flags & DBMIG_SO_NULLABLE) &&
            !(b->flags & DBMIG_SO_NULLABLE) && !rowid_alias(r->from, a))
            lose(r, a->name, "becomes NOT NULL: the copy fails if it holds NULLs");
    }
    dm_schema_range(r->to, DBMIG_SO_COLUMN, r->t, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const dm_sobj *b = &r->to->v[i];
        if (!find_column(r->from, r->ft, b->name) && !b->generated && !b->default_expr &&
            !(b->flags & DBMIG_SO_NULLABLE) && !(b->flags & DBMIG_SO_IDENTITY))
            note(r, DM_NOTE_INFO, b->name,
                 "new NOT NULL column without a default: the rebuild's copy fails if the "
                 "table has rows (give it a DEFAULT)");
    }
}

/* INSERT INTO new (the columns both have) SELECT (the same) FROM t; none
 * when the two versions share no column. */
static void copy_rows(rb *r)
{
    dm_sqlw *w = r->w;
    size_t lo, hi, n = 0;
    dm_buf *out = w->out;
    size_t start = out->len;
    dm_schema_range(r->to, DBMIG_SO_COLUMN, r->t, &lo, &hi);
    for (int pass = 0; pass < 2; pass++) {
        dm_sqlw_put(w, pass ? ")\nSELECT " : "INSERT INTO ");
        if (!pass) {
            dm_sqlw_ident(w, r->newname);
            dm_sqlw_put(w, " (");
        }
        n = 0;
        for (size_t i = lo; i < hi; i++) {
            const dm_sobj *b = &r->to->v[i], *a = find_column(r->from, r->ft, b->name);
            if (!a || b->generated)
                continue;
            dm_sqlw_put(w, n++ ? ", " : "");
            dm_sqlw_ident(w, pass ? a->name : b->name);
        }
    }
    dm_sqlw_put(w, " FROM ");
    dm_sqlw_ident(w, r->ft);
    if (n == 0 && !w->rc) { /* nothing to copy: no statement, and no rows */
        out->len = start;
        out->ptr[start] = '\0';
        lose(r, NULL, "its rows are lost: no column of the old table is copied");
        return;
    }
    stmt_end(r, ";\n");
}

/* SQL text literal: 'it''s'. */
static void put_literal(dm_sqlw *w, const char *s)
{
    dm_sqlw_put(w, "'");
    for (const char *p = s, *q; *p; p = q) {
        q = strchr(p, '\'');
        q = q ? q + 1 : p + strlen(p);
        w->rc |= dm_buf_append(w->out, p, (size_t)(q - p));
        if (q[-1] == '\'')
            dm_sqlw_put(w, "'");
    }
    dm_sqlw_put(w, "'");
}

/* AUTOINCREMENT: the new table starts from the old one's sequence. */
static void carry_sequence(rb *r)
{
    const dm_sobj *pk = dm_schema_pk(r->to, r->t);
    size_t lo, hi;
    int autoinc = 0;
    dm_schema_range(r->to, DBMIG_SO_COLUMN, r->t, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        autoinc |= dm_sqlw_rowid_key(r->w, &r->to->v[i], pk);
    if (!autoinc)
        return;
    dm_sqlw_put(r->w, "INSERT INTO sqlite_sequence (name, seq) SELECT ");
    put_literal(r->w, r->newname);
    dm_sqlw_put(r->w, ", seq FROM sqlite_sequence WHERE name = ");
    put_literal(r->w, r->ft);
    stmt_end(r, ";\n");
}

/* ---- the foreign-key check ---------------------------------------------- */

/* Is table x rebuilt by this diff (t itself, or in both models and
 * needing it)? */
static int rebuilt(const rb *r, const char *x)
{
    const dm_sobj *b = find_table(r->to, x);
    if (!b || !find_table(r->from, x))
        return 0;
    return dm_streq(b->name, r->t) || dm_sqlite_needs_rebuild(r->from, r->to, b->name);
}

/* Is the check of table c's keys this rebuild's: is t the last, in name
 * order, of the rebuilt tables among c and its parents? */
static int check_is_here(const rb *r, const char *c)
{
    const char *last = rebuilt(r, c) ? c : NULL;
    size_t lo, hi;
    dm_schema_range(r->to, DBMIG_SO_FOREIGN_KEY, c, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const dm_sobj *p = find_table(r->to, r->to->v[i].ref_table);
        if (p && rebuilt(r, p->name) && (!last || dm_sstr_cmp(p->name, last) > 0))
            last = p->name;
    }
    return last && dm_streq(last, r->t);
}

/* The same column names, in any order and case (how SQLite matches a
 * foreign key with its parent key). */
static int same_set(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++) {
        size_t j = 0;
        while (j < nb && ascii_casecmp(a[i], b[j]))
            j++;
        if (j == nb)
            return 0;
    }
    return 1;
}

/* Does the parent key of fk exist when this rebuild's check runs? (Else
 * pragma_foreign_key_check fails with "foreign key mismatch".) It must be
 * the parent's primary key, a unique constraint, or a unique index without
 * a WHERE, in `to`; a rebuilt parent has all of them by then (it comes
 * earlier in name order, or it is t), any other parent only those unique
 * indexes the generator leaves alone (a new one is created after the
 * rebuilds). A key naming no parent column whose parent has no primary
 * key is a mismatch too. */
static int parent_key_ready(const rb *r, const dm_sobj *fk)
{
    const dm_sobj *p = find_table(r->to, fk->ref_table);
    if (!p || !fk->nref_columns)
        return 0;
    const dm_sobj *pk = dm_schema_pk(r->to, p->name);
    if (pk && same_set(fk->ref_columns, fk->nref_columns, pk->columns, pk->ncolumns))
        return 1;
    size_t lo, hi, flo, fhi;
    dm_schema_range(r->to, DBMIG_SO_UNIQUE, p->name, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        if (same_set(fk->ref_columns, fk->nref_columns, r->to->v[i].columns,
                     r->to->v[i].ncolumns))
            return 1;
    int all_new = rebuilt(r, p->name);
    dm_schema_range(r->to, DBMIG_SO_INDEX, p->name, &lo, &hi);
    dm_schema_range(r->from, DBMIG_SO_INDEX, p->name, &flo, &fhi);
    for (size_t i = lo; i < hi; i++) {
        const dm_sobj *x = &r->to->v[i];
        if (!(x->flags & DBMIG_SO_UNIQUE_INDEX) || x->predicate ||
            !same_set(fk->ref_columns, fk->nref_columns, x->columns, x->ncolumns))
            continue;
        if (all_new)
            return 1;
        for (size_t j = flo; j < fhi; j++)
            if (sobj_same(x, &r->from->v[j]))
                return 1;
    }
    return 0;
}

/* Should this rebuild check table c's foreign keys? 1 yes, 0 no, and -1
 * when it should but a parent key is not there yet (noted). */
static int checks_table(rb *r, const char *c)
{
    size_t lo, hi;
    int mine = dm_streq(c, r->t);
    dm_schema_range(r->to, DBMIG_SO_FOREIGN_KEY, c, &lo, &hi);
    for (size_t i = lo; i < hi && !mine; i++)
        mine = !ascii_casecmp(r->to->v[i].ref_table, r->t);
    if (!mine || lo == hi || !check_is_here(r, c))
        return 0;
    for (size_t i = lo; i < hi; i++)
        if (!parent_key_ready(r, &r->to->v[i]))
            return -1;
    return 1;
}

static void check_message(rb *r, const char *c)
{
    dm_buf m = {0};
    if (dm_buf_printf(&m,
                      "foreign key check after rebuilding table %s: rows of table %s point at no "
                      "parent row (list them: SELECT * FROM pragma_foreign_key_check('",
                      r->t, c) ||
        dm_buf_puts(&m, c) || dm_buf_puts(&m, "'))")) {
        r->rc = -1;
    } else {
        /* a quote inside the name: the literal in the message is for a human */
        dm_sqlw_ident(r->w, dm_buf_str(&m));
    }
    dm_buf_free(&m);
}

static void unchecked_note(rb *r, const char *c)
{
    dm_buf obj = {0};
    if (!r->notes)
        return;
    if (dm_buf_printf(&obj, "table %s", c) ||
        dm_dnotes_add(r->notes, DM_NOTE_INFO, dm_buf_str(&obj),
                      "foreign keys not checked after rebuilding table %s: a parent key they "
                      "name is not a primary key or unique yet (or at all)",
                      r->t))
        r->rc = -1;
    dm_buf_free(&obj);
}

/* CREATE TEMP TABLE with a named CHECK per table, INSERT the violation
 * counts (a violation fails the CHECK, whose name is the message), DROP. */
static void fk_check(rb *r)
{
    size_t lo, hi, n = 0;
    dm_schema_range(r->to, DBMIG_SO_TABLE, NULL, &lo, &hi);
    size_t *pick = malloc((hi - lo + 1) * sizeof *pick);
    if (!pick) {
        r->rc = -1;
        return;
    }
    for (size_t i = lo; i < hi; i++) {
        int k = checks_table(r, r->to->v[i].name);
        if (k > 0)
            pick[n++] = i;
        else if (k < 0)
            unchecked_note(r, r->to->v[i].name);
    }
    dm_sqlw *w = r->w;
    if (n) {
        dm_sqlw_put(w, "DROP TABLE IF EXISTS temp." CHECK_TABLE); /* one a failure left */
        stmt_end(r, ";\n");
        dm_sqlw_put(w, "CREATE TEMP TABLE " CHECK_TABLE " (\n");
        for (size_t k = 0; k < n; k++) {
            char col[64];
            snprintf(col, sizeof col, "%s  n%zu INTEGER CONSTRAINT ", k ? ",\n" : "", k + 1);
            dm_sqlw_put(w, col);
            check_message(r, r->to->v[pick[k]].name);
            snprintf(col, sizeof col, " CHECK (n%zu = 0)", k + 1);
            dm_sqlw_put(w, col);
        }
        stmt_end(r, "\n);\n");
        dm_sqlw_put(w, "INSERT INTO temp." CHECK_TABLE " SELECT");
        for (size_t k = 0; k < n; k++) {
            dm_sqlw_put(w, k ? ",\n  " : "\n  ");
            dm_sqlw_put(w, "(SELECT count(*) FROM pragma_foreign_key_check(");
            put_literal(w, r->to->v[pick[k]].name);
            dm_sqlw_put(w, ", 'main'))");
        }
        stmt_end(r, ";\n");
        dm_sqlw_put(w, "DROP TABLE temp." CHECK_TABLE);
        stmt_end(r, ";\n");
        note(r, DM_NOTE_INFO, NULL,
             "ends with a foreign-key check: the migration fails if a row points at no parent "
             "row, also one that did before it (SQLite enforces foreign keys only with PRAGMA "
             "foreign_keys on); the message names the table to look at");
    }
    free(pick);
}

/* ---- why ---------------------------------------------------------------- */

/* What of a column in both versions differs, appended to b ("c: type A ->
 * B"). */
static void why_column(dm_buf *b, const dm_sobj *a, const dm_sobj *c, int *rc)
{
    const char *sep = b->len ? ", " : "";
    if (dm_sstr_cmp(a->type, c->type))
        *rc |= dm_buf_printf(b, "%s%s: type %s -> %s", sep, c->name,
                             a->type && a->type[0] ? a->type : "(none)",
                             c->type && c->type[0] ? c->type : "(none)");
    else if ((a->flags ^ c->flags) & DBMIG_SO_NULLABLE)
        *rc |= dm_buf_printf(b, "%s%s: NOT NULL %s", sep, c->name,
                             c->flags & DBMIG_SO_NULLABLE ? "dropped" : "added");
    else if (dm_sstr_cmp(a->default_expr, c->default_expr))
        *rc |= dm_buf_printf(b, "%s%s: default", sep, c->name);
    else if (dm_sstr_cmp(a->generated, c->generated) ||
             ((a->flags ^ c->flags) & DBMIG_SO_GENERATED_STORED))
        *rc |= dm_buf_printf(b, "%s%s: generated expression", sep, c->name);
    else if (dm_sstr_cmp(a->collation, c->collation))
        *rc |= dm_buf_printf(b, "%s%s: collation", sep, c->name);
    else if ((a->flags ^ c->flags) & DBMIG_SO_IDENTITY)
        *rc |= dm_buf_printf(b, "%s%s: AUTOINCREMENT", sep, c->name);
    else if (a->position != c->position)
        *rc |= dm_buf_printf(b, "%s%s: position", sep, c->name);
}

/* The INFO note of a rebuild, saying what ALTER TABLE could not do:
 * "rebuilt (...): a: type TEXT -> INTEGER, drops b, primary key". */
static void why_note(rb *r)
{
    dm_buf b = {0};
    int rc = 0;
    size_t lo, hi;
    dm_schema_range(r->from, DBMIG_SO_COLUMN, r->ft, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const dm_sobj *a = &r->from->v[i], *c = find_column(r->to, r->t, a->name);
        if (!c)
            rc |= dm_buf_printf(&b, "%sdrops %s", b.len ? ", " : "", a->name);
        else if (!sobj_same(a, c))
            why_column(&b, a, c, &rc);
    }
    dm_schema_range(r->to, DBMIG_SO_COLUMN, r->t, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        if (!find_column(r->from, r->ft, r->to->v[i].name))
            rc |= dm_buf_printf(&b, "%sadds %s", b.len ? ", " : "", r->to->v[i].name);
    static const struct {
        int kind;
        const char *what;
    } kinds[] = {{DBMIG_SO_PRIMARY_KEY, "primary key"},
                 {DBMIG_SO_UNIQUE, "unique constraints"},
                 {DBMIG_SO_FOREIGN_KEY, "foreign keys"},
                 {DBMIG_SO_CHECK, "checks"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (!same_objects(r->from, r->to, r->t, kinds[k].kind))
            rc |= dm_buf_printf(&b, "%s%s", b.len ? ", " : "", kinds[k].what);
    if (rc || (r->notes && dm_dnotes_add(r->notes, DM_NOTE_INFO, r->object,
                            "rebuilt (new table, rows copied, old table dropped, new one "
                            "renamed; SQLite's ALTER TABLE cannot make this change): %s",
                            b.len ? dm_buf_str(&b) : "the table's definition")))
        r->rc = -1;
    dm_buf_free(&b);
}

/* ---- the procedure ------------------------------------------------------ */

/* Does a foreign key of s point at t with an ON DELETE action (what DROP
 * TABLE t would run, were foreign keys on)? */
static int has_delete_action(const dm_schema *s, const char *t)
{
    for (size_t i = 0; i < s->n; i++) {
        const dm_sobj *f = &s->v[i];
        if (f->kind == DBMIG_SO_FOREIGN_KEY && !ascii_casecmp(f->ref_table, t) && f->on_delete &&
            (!ascii_casecmp(f->on_delete, "CASCADE") || !ascii_casecmp(f->on_delete, "SET NULL") ||
             !ascii_casecmp(f->on_delete, "SET DEFAULT")))
            return 1;
    }
    return 0;
}

/* With foreign keys on (a migration that ran PRAGMA foreign_keys = ON in a
 * `transaction off` revision, on the same connection), DROP TABLE t would
 * delete t's rows one by one first and run the children's ON DELETE
 * actions: rows lost without a word. So, when some key has one, the rebuild
 * stops before the DROP, saying why. */
static void foreign_keys_off_guard(rb *r)
{
    if (!has_delete_action(r->from, r->ft) && !has_delete_action(r->to, r->t))
        return;
    dm_sqlw *w = r->w;
    dm_sqlw_put(w, "DROP TABLE IF EXISTS temp." GUARD_TABLE);
    stmt_end(r, ";\n");
    dm_sqlw_put(w, "CREATE TEMP TABLE " GUARD_TABLE " (\n  n INTEGER CONSTRAINT ");
    dm_buf m = {0};
    if (dm_buf_printf(&m,
                      "rebuilding table %s needs PRAGMA foreign_keys off (DROP TABLE %s would "
                      "run its children's ON DELETE actions): run this revision on a connection "
                      "that did not turn foreign keys on",
                      r->t, r->t))
        r->rc = -1;
    dm_sqlw_ident(w, dm_buf_str(&m));
    dm_buf_free(&m);
    dm_sqlw_put(w, " CHECK (n = 0)\n)");
    stmt_end(r, ";\n");
    dm_sqlw_put(w, "INSERT INTO temp." GUARD_TABLE " SELECT foreign_keys FROM pragma_foreign_keys");
    stmt_end(r, ";\n");
    dm_sqlw_put(w, "DROP TABLE temp." GUARD_TABLE);
    stmt_end(r, ";\n");
}

static void drop_and_rename(rb *r)
{
    dm_sqlw *w = r->w;
    foreign_keys_off_guard(r);
    if (r->lost.len) {
        dm_sqlw_put(w, "-- dbmig:destructive table ");
        dm_sqlw_put(w, r->t);
        dm_sqlw_put(w, ": ");
        dm_sqlw_put(w, dm_buf_str(&r->lost));
        dm_sqlw_put(w, "\n");
    }
    dm_sqlw_put(w, "DROP TABLE ");
    dm_sqlw_ident(w, r->ft);
    stmt_end(r, ";\n");
    dm_sqlw_put(w, "PRAGMA legacy_alter_table = ON");
    stmt_end(r, ";\n");
    dm_sqlw_put(w, "ALTER TABLE ");
    dm_sqlw_ident(w, r->newname);
    dm_sqlw_put(w, " RENAME TO ");
    dm_sqlw_ident(w, r->t);
    stmt_end(r, ";\n");
    dm_sqlw_put(w, "PRAGMA legacy_alter_table = OFF");
    stmt_end(r, ";\n");
}

/* t's indexes, then its triggers, as `to` has them. */
static void indexes_and_triggers(rb *r)
{
    size_t lo, hi;
    dm_schema_range(r->to, DBMIG_SO_INDEX, r->t, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        dm_sqlw_create_index(r->w, &r->to->v[i]);
        ++*r->nstmt;
    }
    dm_schema_range(r->to, DBMIG_SO_TRIGGER, r->t, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        dm_sqlw_statement(r->w, r->to->v[i].definition);
        ++*r->nstmt;
    }
}

/* "_dbmig_new_<t>", or "_dbmig_new<k>_<t>" when a table of either model
 * already has that name; NULL on no memory. */
static char *new_name(const rb *r)
{
    dm_buf b = {0};
    for (unsigned k = 1;; k++) {
        dm_buf_reset(&b);
        int rc = k == 1 ? dm_buf_printf(&b, NEW_PREFIX "%s", r->t)
                        : dm_buf_printf(&b, "_dbmig_new%u_%s", k, r->t);
        if (rc) {
            dm_buf_free(&b);
            return NULL;
        }
        if (!find_table(r->from, dm_buf_str(&b)) && !find_table(r->to, dm_buf_str(&b)))
            return dm_buf_take(&b);
    }
}

int dm_sqlite_rebuild(dm_sqlw *w, const dm_schema *from, const char *t, size_t *nstmt,
                      dm_dnotes *notes)
{
    const dm_sobj *tb = find_table(w->s, t), *ta = find_table(from, t);
    if (!tb || !ta)
        return -1; /* the caller's bug: t is in both models */
    rb r = {w, from, w->s, tb->name, ta->name, NULL, nstmt, notes, {0}, NULL, 0};
    r.newname = new_name(&r);
    dm_buf b = {0};
    if (r.newname && dm_buf_printf(&b, "table %s", r.t) == 0)
        r.object = dm_buf_take(&b);
    dm_buf_free(&b);
    if (r.newname && r.object) {
        why_note(&r);
        column_notes(&r);
        dm_sqlw_create_table(w, r.t, r.newname);
        ++*nstmt;
        carry_sequence(&r);
        copy_rows(&r);
        drop_and_rename(&r);
        indexes_and_triggers(&r);
        fk_check(&r);
    }
    int rc = !r.newname || !r.object || r.rc || w->rc ? -1 : 0;
    free(r.newname);
    free(r.object);
    dm_buf_free(&r.lost);
    return rc;
}
