/* test_schema_diff_enum.c — the PostgreSQL enum part of `dbmig diff`
 * (core/schema_diff_enum.c): for each kind of change between two
 * hand-made models, the exact SQL the two hooks write (create, drop,
 * ADD VALUE before/after/appended, recreation when a label goes, when
 * labels are reordered and when a gained label is used in the same
 * migration, with arrays, defaults, quoted and long names), and which
 * objects the generator must drop and create again around a recreation
 * (dm_diff_enum_dependent). The statements were run on PostgreSQL 15 by
 * tests/schema/diff_enum.postgres.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema_diff.h"

/* ---- building models --------------------------------------------------------- */

#define MAXL 8

static void add(dm_schema *s, dbmig_schema_object o)
{
    dm_err e = {0};
    o.size = sizeof o;
    if (dm_schema_add(s, &o, &e))
        fail_msg("add: %s", dm_err_msg(&e));
    dm_err_free(&e);
}

static void m_init(dm_schema *s)
{
    memset(s, 0, sizeof *s);
    s->dialect = DBMIG_DIALECT_POSTGRES;
}

/* An enum from "a,b,c" ("" for none). */
static void m_enum(dm_schema *s, const char *name, const char *labels)
{
    char buf[256];
    const char *v[MAXL];
    uint32_t n = 0;
    snprintf(buf, sizeof buf, "%s", labels);
    for (char *p = buf; *p && n < MAXL;) {
        v[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    dbmig_schema_object o = {0};
    o.kind = DBMIG_SO_ENUM;
    o.name = name;
    o.columns = v;
    o.ncolumns = n;
    add(s, o);
}

static void m_table(dm_schema *s, const char *t)
{
    dbmig_schema_object o = {0};
    o.kind = DBMIG_SO_TABLE;
    o.name = t;
    add(s, o);
}

static void m_col(dm_schema *s, const char *t, const char *c, uint32_t pos, const char *type,
                  const char *dflt)
{
    dbmig_schema_object o = {0};
    o.kind = DBMIG_SO_COLUMN;
    o.table = t;
    o.name = c;
    o.position = pos;
    o.type = type;
    o.default_expr = dflt;
    o.flags = DBMIG_SO_NULLABLE;
    add(s, o);
}

static void m_def(dm_schema *s, int kind, const char *t, const char *name, const char *def)
{
    dbmig_schema_object o = {0};
    o.kind = (uint32_t)kind;
    o.table = t;
    o.name = name;
    o.definition = def;
    add(s, o);
}

/* ---- running the hooks --------------------------------------------------------- */

typedef struct out {
    dm_buf before, after;
    size_t nbefore, nafter;
} out;

static void run(dm_schema *from, dm_schema *to, out *o)
{
    dm_schema_sort(from);
    dm_schema_sort(to);
    memset(o, 0, sizeof *o);
    dm_sqlw w = {to, NULL, NULL, &o->before, 0};
    assert_int_equal(dm_diff_enums_before(&w, from, &o->nbefore, NULL), 0);
    w.out = &o->after;
    assert_int_equal(dm_diff_enums_after(&w, from, &o->nafter, NULL), 0);
}

static void out_free(out *o)
{
    dm_buf_free(&o->before);
    dm_buf_free(&o->after);
}

/* from: enum mood with labels a; to: with labels b; the SQL of both hooks. */
static void check_labels(const char *a, const char *b, const char *want_before, size_t nb,
                         const char *want_after, size_t na)
{
    dm_schema from, to;
    m_init(&from);
    m_init(&to);
    if (a)
        m_enum(&from, "mood", a);
    if (b)
        m_enum(&to, "mood", b);
    out o;
    run(&from, &to, &o);
    assert_string_equal(dm_buf_str(&o.before), want_before);
    assert_int_equal(o.nbefore, nb);
    assert_string_equal(dm_buf_str(&o.after), want_after);
    assert_int_equal(o.nafter, na);
    out_free(&o);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* ---- cases ------------------------------------------------------------------------ */

static void test_create_drop_same(void **st)
{
    (void)st;
    check_labels(NULL, "a,it's", "CREATE TYPE \"mood\" AS ENUM ('a', 'it''s');\n", 1, "", 0);
    check_labels(NULL, "", "CREATE TYPE \"mood\" AS ENUM ();\n", 1, "", 0);
    check_labels("a,b", NULL, "", 0, "DROP TYPE \"mood\";\n", 1);
    check_labels("a,b", "a,b", "", 0, "", 0);
    check_labels(NULL, NULL, "", 0, "", 0);
}

/* Gained labels, the old order kept: ADD VALUE in the new order. */
static void test_add_value(void **st)
{
    (void)st;
    check_labels("a,b", "a,b,c", "ALTER TYPE \"mood\" ADD VALUE 'c';\n", 1, "", 0);
    check_labels("a,c", "a,b,c", "ALTER TYPE \"mood\" ADD VALUE 'b' AFTER 'a';\n", 1, "", 0);
    check_labels("b,c", "a,b,c", "ALTER TYPE \"mood\" ADD VALUE 'a' BEFORE 'b';\n", 1, "", 0);
    check_labels("c", "a,b,c",
                 "ALTER TYPE \"mood\" ADD VALUE 'a' BEFORE 'c';\n"
                 "ALTER TYPE \"mood\" ADD VALUE 'b' AFTER 'a';\n",
                 2, "", 0);
    check_labels("b,d", "a,b,c,d,e,f",
                 "ALTER TYPE \"mood\" ADD VALUE 'a' BEFORE 'b';\n"
                 "ALTER TYPE \"mood\" ADD VALUE 'c' AFTER 'b';\n"
                 "ALTER TYPE \"mood\" ADD VALUE 'e';\n"
                 "ALTER TYPE \"mood\" ADD VALUE 'f';\n",
                 4, "", 0);
    check_labels("", "x,y",
                 "ALTER TYPE \"mood\" ADD VALUE 'x';\n"
                 "ALTER TYPE \"mood\" ADD VALUE 'y';\n",
                 2, "", 0);
    check_labels("a", "it's,a", "ALTER TYPE \"mood\" ADD VALUE 'it''s' BEFORE 'a';\n", 1, "", 0);
    check_labels("a", "a,b\\c", "ALTER TYPE \"mood\" ADD VALUE E'b\\\\c';\n", 1, "", 0);
}

/* A label that goes, or a reordering: the type is recreated; with no
 * column of it there is nothing to convert. */
static void test_recreate_without_columns(void **st)
{
    (void)st;
    static const char *const re = "ALTER TYPE \"mood\" RENAME TO \"_dbmig_old_mood\";\n";
    char want[256];
    snprintf(want, sizeof want, "%sCREATE TYPE \"mood\" AS ENUM ('a', 'c');\n", re);
    check_labels("a,b,c", "a,c", want, 2, "DROP TYPE \"_dbmig_old_mood\";\n", 1);
    snprintf(want, sizeof want, "%sCREATE TYPE \"mood\" AS ENUM ('b', 'a');\n", re);
    check_labels("a,b", "b,a", want, 2, "DROP TYPE \"_dbmig_old_mood\";\n", 1);
    snprintf(want, sizeof want, "%sCREATE TYPE \"mood\" AS ENUM ('x');\n", re);
    check_labels("a,b", "x", want, 2, "DROP TYPE \"_dbmig_old_mood\";\n", 1);
}

/* The schema of the conversion cases: table t (m mood DEFAULT 'a', h
 * mood[], n text), u (x mood), gone (z mood, dropped in `to`), w (k mood
 * in `from`, text in `to`: the generator's), d (c mood dropped in `to`). */
static void conv_models(dm_schema *from, dm_schema *to, const char *a, const char *b,
                        const char *to_default)
{
    m_init(from);
    m_init(to);
    m_enum(from, "mood", a);
    m_enum(to, "mood", b);
    dm_schema *both[] = {from, to};
    for (int i = 0; i < 2; i++) {
        dm_schema *s = both[i];
        m_table(s, "t");
        m_col(s, "t", "m", 1, "mood", i ? to_default : "'a'::mood");
        m_col(s, "t", "h", 2, "mood[]", NULL);
        m_col(s, "t", "n", 3, "text", NULL);
        m_table(s, "u");
        m_col(s, "u", "x", 1, "mood", NULL);
        m_table(s, "w");
        m_col(s, "w", "k", 1, i ? "text" : "mood", NULL);
        m_table(s, "d");
        m_col(s, "d", "id", 1, "integer", NULL);
    }
    m_table(from, "gone");
    m_col(from, "gone", "z", 1, "mood", NULL);
    m_col(from, "d", "c", 2, "mood", NULL);
}

static const char conv_t[] =
    "ALTER TABLE \"t\" ALTER COLUMN \"m\" DROP DEFAULT, ALTER COLUMN \"m\" TYPE \"mood\" USING "
    "\"m\"::text::\"mood\", ALTER COLUMN \"m\" SET DEFAULT 'a'::mood, ALTER COLUMN \"h\" TYPE "
    "\"mood\"[] USING \"h\"::text[]::\"mood\"[];\n";
static const char conv_u[] =
    "ALTER TABLE \"u\" ALTER COLUMN \"x\" TYPE \"mood\" USING \"x\"::text::\"mood\";\n";

/* A label goes: every column `to` keeps with the type is converted, one
 * ALTER TABLE per table, each marked destructive; the columns that go or
 * change type are left to the generator. */
static void test_recreate_lost_label(void **st)
{
    (void)st;
    dm_schema from, to;
    conv_models(&from, &to, "a,b,c", "a,c", "'a'::mood");
    out o;
    run(&from, &to, &o);
    dm_buf want = {0};
    dm_buf_printf(&want,
                  "ALTER TYPE \"mood\" RENAME TO \"_dbmig_old_mood\";\n"
                  "CREATE TYPE \"mood\" AS ENUM ('a', 'c');\n"
                  "-- dbmig:destructive enum mood loses 'b': converting t.m, t.h fails on a row "
                  "holding one\n%s"
                  "-- dbmig:destructive enum mood loses 'b': converting u.x fails on a row "
                  "holding one\n%s",
                  conv_t, conv_u);
    assert_string_equal(dm_buf_str(&o.before), dm_buf_str(&want));
    assert_int_equal(o.nbefore, 4);
    assert_string_equal(dm_buf_str(&o.after), "DROP TYPE \"_dbmig_old_mood\";\n");
    assert_int_equal(o.nafter, 1);
    dm_buf_free(&want);
    out_free(&o);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* Reordered: recreated, not destructive; a default that `to` changes is
 * dropped and left to the generator to set. */
static void test_recreate_reorder(void **st)
{
    (void)st;
    dm_schema from, to;
    conv_models(&from, &to, "a,b", "b,a", "'b'::mood");
    out o;
    run(&from, &to, &o);
    dm_buf want = {0};
    dm_buf_printf(&want,
                  "ALTER TYPE \"mood\" RENAME TO \"_dbmig_old_mood\";\n"
                  "CREATE TYPE \"mood\" AS ENUM ('b', 'a');\n"
                  "ALTER TABLE \"t\" ALTER COLUMN \"m\" DROP DEFAULT, ALTER COLUMN \"m\" TYPE "
                  "\"mood\" USING \"m\"::text::\"mood\", ALTER COLUMN \"h\" TYPE \"mood\"[] USING "
                  "\"h\"::text[]::\"mood\"[];\n%s",
                  conv_u);
    assert_string_equal(dm_buf_str(&o.before), dm_buf_str(&want));
    assert_null(strstr(dm_buf_str(&o.before), "destructive"));
    assert_string_equal(dm_buf_str(&o.after), "DROP TYPE \"_dbmig_old_mood\";\n");
    dm_buf_free(&want);
    out_free(&o);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* A gained label that `to` uses (a default, a CHECK, a function's body)
 * cannot come from ADD VALUE in the same transaction: recreated. The same
 * literal on another type, or inside another literal, is no use. */
static void test_recreate_label_used(void **st)
{
    (void)st;
    static const struct {
        int kind;
        const char *def;
        int recreated;
    } t[] = {
        {DBMIG_SO_COLUMN, "'c'::mood", 1},
        {DBMIG_SO_CHECK, "m <> 'c'::mood", 1},
        {DBMIG_SO_VIEW, "SELECT 'c'::\"mood\" AS x", 1},
        {DBMIG_SO_FUNCTION, "CREATE FUNCTION f() RETURNS mood LANGUAGE sql AS $$SELECT 'c'$$", 1},
        {DBMIG_SO_CHECK, "n <> 'c'::text", 0},
        {DBMIG_SO_CHECK, "n <> 'x''c'::text", 0},
        {DBMIG_SO_CHECK, "m <> 'a'::mood", 0},
        {DBMIG_SO_CHECK, "m <> 'c'::mood2", 0},
        {DBMIG_SO_COLUMN, "'{a,c}'::mood[]", 1},
        {DBMIG_SO_COLUMN, "'{\"it''s\",c}'::\"mood\"[]", 1},
        {DBMIG_SO_COLUMN, "'{a,b}'::mood[]", 0},
        {DBMIG_SO_COLUMN, "'{c}'::text[]", 0},
        {DBMIG_SO_COLUMN, "'c'::mood[]", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        dm_schema from, to;
        conv_models(&from, &to, "a,b", "a,b,c", "'a'::mood");
        if (t[i].kind == DBMIG_SO_COLUMN) {
            m_col(&to, "u", "y", 2, "mood", t[i].def);
            m_col(&from, "u", "y", 2, "mood", NULL);
        } else {
            m_def(&to, t[i].kind, t[i].kind == DBMIG_SO_CHECK ? "t" : NULL, "obj", t[i].def);
        }
        out o;
        run(&from, &to, &o);
        const char *sql = dm_buf_str(&o.before);
        if (t[i].recreated != !!strstr(sql, "RENAME TO"))
            fail_msg("case %zu (%s): %s", i, t[i].def, sql);
        if (!t[i].recreated)
            assert_string_equal(sql, "ALTER TYPE \"mood\" ADD VALUE 'c';\n");
        assert_int_equal(dm_diff_enum_recreated(&from, &to, "mood"), t[i].recreated);
        out_free(&o);
        dm_schema_free(&from);
        dm_schema_free(&to);
    }
}

/* A column that changes type into the enum: its rows, converted through
 * text, may hold a gained label, which ADD VALUE would not allow before
 * commit: recreated (and the column left to the generator). A column that
 * only the new table has, or that keeps its type, is no reason. */
static void test_recreate_rows_converted(void **st)
{
    (void)st;
    static const char *const types[][2] = {
        {"text", "mood"}, {"text[]", "mood[]"}, {"mood", "mood"}, {NULL, "mood"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        dm_schema from, to;
        m_init(&from);
        m_init(&to);
        m_enum(&from, "mood", "a");
        m_enum(&to, "mood", "a,b");
        m_table(&from, "t");
        m_table(&to, "t");
        if (types[i][0])
            m_col(&from, "t", "c", 1, types[i][0], NULL);
        m_col(&to, "t", "c", 1, types[i][1], NULL);
        dm_schema_sort(&from);
        dm_schema_sort(&to);
        dm_buf sql = {0};
        dm_dnotes notes = {0};
        size_t n = 0;
        dm_sqlw w = {&to, NULL, NULL, &sql, 0};
        assert_int_equal(dm_diff_enums_before(&w, &from, &n, &notes), 0);
        if (i < 2) {
            assert_string_equal(dm_buf_str(&sql),
                                "ALTER TYPE \"mood\" RENAME TO \"_dbmig_old_mood\";\n"
                                "CREATE TYPE \"mood\" AS ENUM ('a', 'b');\n");
            assert_int_equal(notes.n, 1);
            assert_string_equal(notes.v[0].text,
                                "rows converted into it (table t) may hold label 'b', which ALTER "
                                "TYPE ... ADD VALUE does not allow before the migration commits: "
                                "the type is recreated under its name and every column of it is "
                                "rewritten (an ACCESS EXCLUSIVE lock on each of their tables)");
        } else {
            assert_string_equal(dm_buf_str(&sql), "ALTER TYPE \"mood\" ADD VALUE 'b';\n");
        }
        dm_dnotes_free(&notes);
        dm_buf_free(&sql);
        dm_schema_free(&from);
        dm_schema_free(&to);
    }
}

/* One label replaced by another in its place: a rename hint (never a
 * guess: the type is still recreated); none for a move or two changes. */
static void test_rename_hint(void **st)
{
    (void)st;
    static const struct {
        const char *a, *b, *hint;
    } t[] = {
        {"a,b,c", "a,x,c",
         "rename? label 'b' goes and 'x' appears in its place: use ALTER TYPE mood RENAME "
         "VALUE 'b' TO 'x' in a migration and re-run diff"},
        {"a,b", "b,x", NULL},
        {"a,b,c", "a,x,y", NULL},
        {"a,b", "a", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        dm_schema from, to;
        m_init(&from);
        m_init(&to);
        m_enum(&from, "mood", t[i].a);
        m_enum(&to, "mood", t[i].b);
        dm_schema_sort(&from);
        dm_schema_sort(&to);
        dm_buf sql = {0};
        dm_dnotes notes = {0};
        size_t n = 0;
        dm_sqlw w = {&to, NULL, NULL, &sql, 0};
        assert_int_equal(dm_diff_enums_before(&w, &from, &n, &notes), 0);
        assert_non_null(strstr(dm_buf_str(&sql), "RENAME TO \"_dbmig_old_mood\""));
        const char *hint = NULL;
        for (size_t k = 0; k < notes.n; k++)
            if (notes.v[k].kind == DM_NOTE_RENAME)
                hint = notes.v[k].text;
        if (t[i].hint)
            assert_string_equal(hint, t[i].hint);
        else
            assert_null(hint);
        dm_dnotes_free(&notes);
        dm_buf_free(&sql);
        dm_schema_free(&from);
        dm_schema_free(&to);
    }
}

/* The type's spellings: a name that needs quotes ("Mood" as format_type
 * gives it), and a name so long that _dbmig_old_<name> is cut to 63 bytes
 * (at a character's start) as PostgreSQL would. */
static void test_names(void **st)
{
    (void)st;
    dm_schema from, to;
    m_init(&from);
    m_init(&to);
    m_enum(&from, "My \"Mood\"", "a,b");
    m_enum(&to, "My \"Mood\"", "b");
    for (int i = 0; i < 2; i++) {
        dm_schema *s = i ? &to : &from;
        m_table(s, "t");
        m_col(s, "t", "m", 1, "\"My \"\"Mood\"\"\"", NULL);
    }
    out o;
    run(&from, &to, &o);
    assert_string_equal(dm_buf_str(&o.before),
                        "ALTER TYPE \"My \"\"Mood\"\"\" RENAME TO \"_dbmig_old_My \"\"Mood\"\"\";\n"
                        "CREATE TYPE \"My \"\"Mood\"\"\" AS ENUM ('b');\n"
                        "-- dbmig:destructive enum My \"Mood\" loses 'a': converting t.m fails on "
                        "a row holding one\n"
                        "ALTER TABLE \"t\" ALTER COLUMN \"m\" TYPE \"My \"\"Mood\"\"\" USING "
                        "\"m\"::text::\"My \"\"Mood\"\"\";\n");
    out_free(&o);
    dm_schema_free(&from);
    dm_schema_free(&to);

    char name[64], want[256];
    memset(name, 'n', 51);
    memcpy(name + 51, "\xc3\xa9tail", 7); /* 58 bytes, a 2-byte character at 51 */
    name[58] = '\0';
    m_init(&from);
    m_init(&to);
    m_enum(&from, name, "a,b");
    m_enum(&to, name, "b,a");
    run(&from, &to, &o);
    /* 11 + 58 = 69 bytes > 63: cut to 62, not inside the é */
    snprintf(want, sizeof want, "DROP TYPE \"_dbmig_old_%.51s\";\n", name);
    assert_string_equal(dm_buf_str(&o.after), want);
    out_free(&o);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* Which objects of `from` cannot live through a recreation of mood: what
 * names the type, a view reading a table with a converted column, a foreign
 * key over one. Nothing when mood only gains labels. */
static void test_dependent(void **st)
{
    (void)st;
    dm_schema from, to;
    conv_models(&from, &to, "a,b,c", "a,c", "'a'::mood");
    static const char *const cx[] = {"(lower(m::text))"}, *const cm[] = {"m"}, *const cn[] = {"n"},
                             *const cxx[] = {"x"};
    dbmig_schema_object v[] = {
        {.kind = DBMIG_SO_CHECK, .table = "t", .name = "c1", .definition = "m <> 'b'::mood"},
        {.kind = DBMIG_SO_CHECK, .table = "t", .name = "c2", .definition = "n <> ''"},
        {.kind = DBMIG_SO_INDEX, .table = "t", .name = "i1", .columns = cn, .ncolumns = 1,
         .predicate = "m = 'a'::mood"},
        {.kind = DBMIG_SO_INDEX, .table = "t", .name = "i2", .columns = cx, .ncolumns = 1},
        {.kind = DBMIG_SO_INDEX, .table = "t", .name = "i3", .columns = cm, .ncolumns = 1},
        {.kind = DBMIG_SO_VIEW, .name = "v1", .definition = "SELECT u.x FROM u"},
        {.kind = DBMIG_SO_VIEW, .name = "v2", .definition = "SELECT d.id FROM d"},
        {.kind = DBMIG_SO_VIEW, .name = "v3", .definition = "SELECT 1 AS moody"},
        {.kind = DBMIG_SO_FUNCTION, .name = "f(mood)", .definition = "CREATE FUNCTION f(m MOOD)"},
        {.kind = DBMIG_SO_FOREIGN_KEY, .table = "u", .name = "fk1", .columns = cxx,
         .ncolumns = 1, .ref_table = "t", .ref_columns = cm, .nref_columns = 1},
        {.kind = DBMIG_SO_FOREIGN_KEY, .table = "t", .name = "fk2", .columns = cn,
         .ncolumns = 1, .ref_table = "t", .ref_columns = cn, .nref_columns = 1},
        {.kind = DBMIG_SO_COLUMN, .table = "t", .name = "g1", .position = 4, .type = "boolean",
         .generated = "m = 'a'::mood"},
        {.kind = DBMIG_SO_COLUMN, .table = "t", .name = "g2", .position = 5, .type = "boolean",
         .generated = "m IS NULL"},
        {.kind = DBMIG_SO_COLUMN, .table = "t", .name = "g3", .position = 6, .type = "text",
         .generated = "n || 'm'::text"},
        {.kind = DBMIG_SO_COLUMN, .table = "t", .name = "g4", .position = 7, .type = "mood",
         .generated = "CASE WHEN n IS NULL THEN NULL END"},
        {.kind = DBMIG_SO_COLUMN, .table = "u", .name = "g5", .position = 2, .type = "text",
         .generated = "n"}, /* another table's n, and not converted anyway */
    };
    int want[] = {1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        add(&from, v[i]);
    dm_schema_sort(&from);
    dm_schema_sort(&to);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const dm_sobj *o = NULL;
        for (size_t k = 0; k < from.n && !o; k++)
            if (from.v[k].kind == (int)v[i].kind && dm_streq(from.v[k].name, v[i].name))
                o = &from.v[k];
        assert_non_null(o);
        if (dm_diff_enum_dependent(&from, &to, o) != want[i])
            fail_msg("%s: dependent should be %d", v[i].name, want[i]);
    }
    assert_int_equal(dm_diff_enum_recreated(&from, &to, "mood"), 1);
    assert_int_equal(dm_diff_enum_recreated(&from, &to, "nope"), 0);
    /* the batch form agrees, object by object */
    dm_strv re = {0};
    assert_int_equal(dm_diff_enums_recreated(&from, &to, &re), 0);
    assert_int_equal(re.n, 1);
    assert_string_equal(re.v[0], "mood");
    for (size_t k = 0; k < from.n; k++)
        assert_int_equal(dm_diff_enum_dependent_of(&from, &to, &re, &from.v[k]),
                         dm_diff_enum_dependent(&from, &to, &from.v[k]));
    dm_strv_free(&re);
    dm_schema_free(&to);
    m_init(&to);
    m_enum(&to, "mood", "a,b,c,d"); /* only gains: nothing depends */
    dm_schema_sort(&to);
    for (size_t k = 0; k < from.n; k++)
        assert_int_equal(dm_diff_enum_dependent(&from, &to, &from.v[k]), 0);
    assert_int_equal(dm_diff_enums_recreated(&from, &to, &re), 0);
    assert_int_equal(re.n, 0);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* Which column types are enums of a model (scalar 1, array 2). */
static void test_enum_type(void **st)
{
    (void)st;
    dm_schema s;
    m_init(&s);
    m_enum(&s, "mood", "a");
    m_enum(&s, "My \"Mood\"", "a");
    dm_schema_sort(&s);
    assert_int_equal(dm_diff_enum_type(&s, "mood"), 1);
    assert_int_equal(dm_diff_enum_type(&s, "mood[]"), 2);
    assert_int_equal(dm_diff_enum_type(&s, "\"mood\""), 1);
    assert_int_equal(dm_diff_enum_type(&s, "\"My \"\"Mood\"\"\"[]"), 2);
    assert_int_equal(dm_diff_enum_type(&s, "mood2"), 0);
    assert_int_equal(dm_diff_enum_type(&s, "mood[][]"), 0);
    assert_int_equal(dm_diff_enum_type(&s, "text"), 0);
    assert_int_equal(dm_diff_enum_type(&s, NULL), 0);
    dm_schema_free(&s);
}

/* The notes: ADD VALUE's (INFO: PostgreSQL 12+, usable after commit), a
 * recreation's (INFO: why, and the rewrite), and a destructive one per
 * converted table when a label goes, naming the label and the columns. */
static void test_notes(void **st)
{
    (void)st;
    static const struct {
        const char *a, *b;
        size_t n;
        int kind[3];
        const char *object[3], *text[3];
    } t[] = {
        {"a", "a,b", 1, {DM_NOTE_INFO}, {"enum mood"},
         {"ALTER TYPE ... ADD VALUE runs inside the migration's transaction on PostgreSQL 12 "
          "and newer only (on 11 make the revision `transaction off`), and a new label can be "
          "used only after the migration commits"}},
        {"a,b", "b,a", 1, {DM_NOTE_INFO}, {"enum mood"},
         {"labels reordered: the type is recreated under its name and every column of it is "
          "rewritten (an ACCESS EXCLUSIVE lock on each of their tables)"}},
        {"a,b,c", "c", 3, {DM_NOTE_INFO, DM_NOTE_DESTRUCTIVE, DM_NOTE_DESTRUCTIVE},
         {"enum mood", "table t", "table u"},
         {"labels removed: the type is recreated under its name and every column of it is "
          "rewritten (an ACCESS EXCLUSIVE lock on each of their tables)",
          "enum mood loses 'a', 'b': converting t.m, t.h fails on a row holding one; update or "
          "delete those rows first",
          "enum mood loses 'a', 'b': converting u.x fails on a row holding one; update or "
          "delete those rows first"}},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        dm_schema from, to;
        conv_models(&from, &to, t[i].a, t[i].b, i == 2 ? NULL : "'a'::mood");
        dm_schema_sort(&from);
        dm_schema_sort(&to);
        dm_buf sql = {0};
        dm_dnotes notes = {0};
        size_t n = 0;
        dm_sqlw w = {&to, NULL, NULL, &sql, 0};
        assert_int_equal(dm_diff_enums_before(&w, &from, &n, &notes), 0);
        assert_int_equal(dm_diff_enums_after(&w, &from, &n, &notes), 0);
        if (notes.n != t[i].n)
            fail_msg("case %zu: %zu notes, not %zu", i, notes.n, t[i].n);
        for (size_t k = 0; k < notes.n; k++) {
            assert_int_equal(notes.v[k].kind, t[i].kind[k]);
            assert_string_equal(notes.v[k].object, t[i].object[k]);
            assert_string_equal(notes.v[k].text, t[i].text[k]);
        }
        dm_dnotes_free(&notes);
        dm_buf_free(&sql);
        dm_schema_free(&from);
        dm_schema_free(&to);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_drop_same),
        cmocka_unit_test(test_add_value),
        cmocka_unit_test(test_recreate_without_columns),
        cmocka_unit_test(test_recreate_lost_label),
        cmocka_unit_test(test_recreate_reorder),
        cmocka_unit_test(test_recreate_label_used),
        cmocka_unit_test(test_recreate_rows_converted),
        cmocka_unit_test(test_rename_hint),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_dependent),
        cmocka_unit_test(test_enum_type),
        cmocka_unit_test(test_notes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
