/* test_batch.c — -- dbmig:batch (SPEC section 14): the marker's grammar,
 * attaching it to its statement, the :lo / :hi substitution per dialect, the
 * target table of a keyset statement, and the b1 progress encoding. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "migfile.h"

enum { PG = DBMIG_DIALECT_POSTGRES, MY = DBMIG_DIALECT_MYSQL, LITE = DBMIG_DIALECT_SQLITE };

/* Parses a marker value; returns rc, err's text in msg. */
static int parse(const char *val, dm_batchmark *m, char msg[512])
{
    dm_err err = {0};
    memset(m, 0, sizeof *m);
    int rc = dm_batch_parse_marker("m.sql", 7, val, strlen(val), m, &err);
    snprintf(msg, 512, "%s", rc ? dm_err_msg(&err) : "");
    dm_err_free(&err);
    return rc;
}

static void test_marker_forms(void **state)
{
    (void)state;
    dm_batchmark m;
    char msg[512];
    assert_int_equal(parse("", &m, msg), 0);
    assert_null(m.col);
    assert_int_equal(parse("by id size 1000", &m, msg), 0);
    assert_string_equal(m.col, "id");
    assert_int_equal(m.size, 1000);
    assert_null(m.from);
    dm_batchmark_free(&m);
    assert_int_equal(parse("SIZE 5 By user_id FROM app.src", &m, msg), 0);
    assert_string_equal(m.col, "user_id");
    assert_int_equal(m.size, 5);
    assert_string_equal(m.from, "app.src");
    dm_batchmark_free(&m);
}

static void test_marker_mistakes(void **state)
{
    (void)state;
    static const struct {
        const char *val, *want;
    } bad[] = {
        {"by id size 0", "m.sql:7: -- dbmig:batch: size '0' is not a positive integer"},
        {"by id size -3", "size '-3' is not a positive integer"},
        {"by id size 10x", "size '10x' is not"},
        {"by id size 99999999999999999999", "is not a positive integer"},
        {"by id size 99999999999999999999", "too large (at most 9223372036854775807)"},
        {"by id", "`by` needs `size N`"},
        {"size 10", "`size` needs `by COLUMN`"},
        {"by id size 10 chunk 3", "unknown word 'chunk'"},
        {"rows 10", "unknown word 'rows'"},
        {"by", "'by' needs a value"},
        {"by id size 10 by x", "gives 'by' twice"},
        {"by \"id\" size 10", "is not a plain column name"},
        {"by 1id size 10", "is not a plain column name"},
        {"by id size 10 from a..b", "is not a plain table name"},
        {"from t", "`from TABLE` belongs to the keyset form"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dm_batchmark m;
        char msg[512];
        assert_int_equal(parse(bad[i].val, &m, msg), DBMIG_EINVALID);
        if (!strstr(msg, bad[i].want))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].val, msg, bad[i].want);
        assert_null(m.col);
        assert_null(m.from);
    }
}

/* Substitutes lo = 10, hi = 20 in sql for dialect d. */
static char *subst(const char *sql, int d, unsigned *found)
{
    dm_buf b = {0};
    assert_int_equal(dm_batch_subst(sql, strlen(sql), d, 10, 20, &b, found), 0);
    char *s = strdup(dm_buf_str(&b));
    dm_buf_free(&b);
    return s;
}

static void expect_subst(const char *sql, int d, const char *want, unsigned want_found)
{
    unsigned found = 99;
    char *got = subst(sql, d, &found);
    if (strcmp(got, want) != 0 || found != want_found)
        fail_msg("dialect %d: '%s' gave '%s' (found %u), not '%s' (%u)", d, sql, got, found, want,
                 want_found);
    free(got);
}

static void test_subst(void **state)
{
    (void)state;
    expect_subst("UPDATE t SET v = 1 WHERE id >= :lo AND id < :hi", PG,
                 "UPDATE t SET v = 1 WHERE id >= 10 AND id < 20", 3);
    expect_subst("DELETE FROM t WHERE id BETWEEN :lo AND :hi-1", LITE,
                 "DELETE FROM t WHERE id BETWEEN 10 AND 20-1", 3);
    /* quotes, identifiers and comments keep their text */
    expect_subst("UPDATE t SET s = ':lo', \"x:hi\" = 1 -- :lo\n WHERE id >= :lo /* :hi */ AND id<:hi", PG,
                 "UPDATE t SET s = ':lo', \"x:hi\" = 1 -- :lo\n WHERE id >= 10 /* :hi */ AND id<20", 3);
    expect_subst("UPDATE t SET s = 'it''s :lo' WHERE id >= :lo", LITE,
                 "UPDATE t SET s = 'it''s :lo' WHERE id >= 10", 1);
    /* PostgreSQL: casts, dollar bodies, E'' escapes, nested comments */
    expect_subst("UPDATE t SET l = x::lo WHERE id >= :lo::int AND id < :hi", PG,
                 "UPDATE t SET l = x::lo WHERE id >= 10::int AND id < 20", 3);
    expect_subst("UPDATE t SET s = $q$ :lo $q$, e = E'\\' :hi' WHERE id < :hi", PG,
                 "UPDATE t SET s = $q$ :lo $q$, e = E'\\' :hi' WHERE id < 20", 2);
    expect_subst("UPDATE t /* a /* :lo */ :hi */ SET v = :lo", PG,
                 "UPDATE t /* a /* :lo */ :hi */ SET v = 10", 1);
    /* MySQL: backslash escapes, # comments, backticks */
    expect_subst("UPDATE `:lo` SET s = 'a\\' :hi' # :lo\nWHERE id >= :lo", MY,
                 "UPDATE `:lo` SET s = 'a\\' :hi' # :lo\nWHERE id >= 10", 1);
    /* SQLite: [brackets] */
    expect_subst("UPDATE [:lo] SET v = :hi", LITE, "UPDATE [:lo] SET v = 20", 2);
    /* not placeholders: :lower, a:lo, :h */
    expect_subst("SELECT :lower, a:lo, :h, :hi_x", PG, "SELECT :lower, a:lo, :h, :hi_x", 0);
    expect_subst(":lo:hi", PG, "10:hi", 1);
}

static void expect_table(const char *sql, int d, const char *from, const char *want)
{
    dm_batchmark m = {.col = "id", .size = 1, .from = (char *)from};
    dm_buf b = {0};
    int rc = dm_batch_table(sql, strlen(sql), d, &m, &b);
    if (!want)
        assert_int_equal(rc, -1);
    else if (rc != 0 || strcmp(dm_buf_str(&b), want) != 0)
        fail_msg("'%s': table '%s' (rc %d), not '%s'", sql, dm_buf_str(&b), rc, want);
    dm_buf_free(&b);
}

static void test_table(void **state)
{
    (void)state;
    expect_table("UPDATE t SET v = 1", PG, NULL, "t");
    expect_table("update ONLY app.\"T x\" set v = 1", PG, NULL, "app.\"T x\"");
    expect_table("UPDATE OR IGNORE [t] SET v = 1", LITE, NULL, "[t]");
    expect_table("UPDATE LOW_PRIORITY IGNORE `db`.`t` SET v = 1", MY, NULL, "`db`.`t`");
    expect_table("DELETE /* x */ FROM t WHERE id < :hi", LITE, NULL, "t");
    expect_table("DELETE QUICK FROM t WHERE 1", MY, NULL, "t");
    expect_table("DELETE t1 FROM t1 JOIN t2 USING (id)", MY, NULL, NULL);
    expect_table("INSERT INTO x SELECT * FROM t", PG, NULL, NULL);
    expect_table("INSERT INTO x SELECT * FROM t", PG, "t", "t");
}

static void test_progress(void **state)
{
    (void)state;
    char p[96], h[33];
    int64_t lo, nb, rows;
    const char *v1 = "v1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(dm_batch_progress_fmt(p, v1, 12000, 12, 11500), 0);
    assert_string_equal(p, "b1:0123456789abcdef0123456789abcdef:12000:12:11500");
    assert_int_equal(dm_batch_progress_parse(p, h, &lo, &nb, &rows), 1);
    assert_string_equal(h, "0123456789abcdef0123456789abcdef");
    assert_int_equal(lo, 12000);
    assert_int_equal(nb, 12);
    assert_int_equal(rows, 11500);
    assert_int_equal(dm_batch_progress_fmt(p, v1, -5, 0, 0), 0);
    assert_int_equal(dm_batch_progress_parse(p, h, &lo, &nb, &rows), 1);
    assert_int_equal(lo, -5);
    /* the column holds 80 bytes */
    assert_int_equal(dm_batch_progress_fmt(p, v1, INT64_MAX, INT64_MAX, INT64_MAX), -1);
    assert_int_equal(dm_batch_progress_parse(v1, h, &lo, &nb, &rows), 0);
    assert_int_equal(dm_batch_progress_parse(NULL, h, &lo, &nb, &rows), 0);
    assert_int_equal(dm_batch_progress_parse("b1:0123:1:2:3", h, &lo, &nb, &rows), 0);
    assert_int_equal(dm_batch_progress_parse("b1:0123456789abcdef0123456789abcdef:1:2", h, &lo, &nb, &rows), 0);
    assert_int_equal(dm_batch_progress_parse("b1:0123456789abcdef0123456789abcdef:1:2:3x", h, &lo, &nb, &rows), 0);
}

/* The statements of a file's up section for a dialect, with st->batch. */
static int stmts(const char *text, int d, dm_stmt_list *l, char msg[512])
{
    dm_migfile mf;
    dm_err err = {0};
    memset(l, 0, sizeof *l);
    int rc = dm_migfile_parse("m/001_x.sql", text, strlen(text), &mf, &err);
    if (!rc) {
        rc = dm_migfile_statements(&mf, DM_UP, NULL, d, l, NULL, &err);
        dm_migfile_free(&mf);
    }
    snprintf(msg, 512, "%s", rc ? dm_err_msg(&err) : "");
    dm_err_free(&err);
    return rc;
}

static void test_attach(void **state)
{
    (void)state;
    dm_stmt_list l;
    char msg[512];
    assert_int_equal(stmts("-- dbmig:up\nCREATE TABLE t (id INT);\n-- dbmig:batch by id size 2\n"
                           "-- a comment between\nUPDATE t SET v = 1\n  WHERE id >= :lo AND id < :hi;\n"
                           "-- dbmig:batch\nDELETE FROM t WHERE id IN (SELECT id FROM t LIMIT 5);\n"
                           "SELECT 1;\n-- dbmig:down\n-- dbmig:batch\nDELETE FROM t WHERE id < 0;\n",
                           PG, &l, msg),
                     0);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.v[0].batch, 0);
    assert_int_equal(l.v[1].batch, 1);
    assert_int_equal(l.v[2].batch, 2);
    assert_int_equal(l.v[3].batch, 0);
    dm_stmt_list_free(&l);
    /* the implicit up section (no section marker) */
    assert_int_equal(stmts("SELECT 1;\n-- dbmig:batch\nDELETE FROM t WHERE id IN (SELECT id FROM t LIMIT 5);\n",
                           LITE, &l, msg),
                     0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[1].batch, 1);
    dm_stmt_list_free(&l);
    /* a marker on a line inside a statement */
    assert_int_equal(stmts("-- dbmig:up\nUPDATE t SET v = 1\n-- dbmig:batch\nWHERE id > 3;\n", PG, &l, msg),
                     DBMIG_EINVALID);
    assert_non_null(strstr(msg, "m/001_x.sql:3: -- dbmig:batch is inside the statement that starts at line 2"));
    /* a marker followed only by a comment */
    assert_int_equal(stmts("-- dbmig:up\nSELECT 1;\n-- dbmig:batch\n/* nothing */\n", PG, &l, msg),
                     DBMIG_EINVALID);
    assert_non_null(strstr(msg, "m/001_x.sql:3: -- dbmig:batch marks no statement"));
    /* WITH ... is a statement that may be batched; SELECT is not */
    assert_int_equal(stmts("-- dbmig:up\n-- dbmig:batch\nWITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x);\n",
                           PG, &l, msg),
                     0);
    dm_stmt_list_free(&l);
    assert_int_equal(stmts("-- dbmig:up\n-- dbmig:batch\nSELECT 1;\n", PG, &l, msg), DBMIG_EINVALID);
    assert_non_null(strstr(msg, "m/001_x.sql:3: -- dbmig:batch (line 2) marks a statement that is not INSERT"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker_forms), cmocka_unit_test(test_marker_mistakes),
        cmocka_unit_test(test_subst),        cmocka_unit_test(test_table),
        cmocka_unit_test(test_progress),     cmocka_unit_test(test_attach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
