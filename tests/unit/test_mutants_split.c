/* test_mutants_split.c — splitter cases that a deliberate breakage of the
 * PostgreSQL dollar-quote reader survived (scripts/mutants.sh): tags are
 * identifiers, so after the first character they may hold digits
 * ($a1$ ... $a1$, $_2$, $fn_v2$), while a `$` followed by a digit is a
 * positional parameter ($1), never a tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "split.h"

/* Splits text as PostgreSQL and checks the statements, in order. */
static void expect_pg(const char *text, size_t n, const char *const *want)
{
    dm_stmt_list l = {0};
    dm_err err = {0};
    int rc = dm_split(text, strlen(text), DBMIG_DIALECT_POSTGRES, 1, "m.sql", &l, &err);
    if (rc != 0)
        fail_msg("split failed (%d): %s\n--- input\n%s", rc, dm_buf_str(&err.msg), text);
    if (l.n != n) {
        for (size_t i = 0; i < l.n; i++)
            print_error("  statement %zu: [%s]\n", i + 1, l.v[i].sql);
        fail_msg("%zu statements, want %zu\n--- input\n%s", l.n, n, text);
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(l.v[i].sql, want[i]) != 0)
            fail_msg("statement %zu: [%s], want [%s]", i + 1, l.v[i].sql, want[i]);
    dm_stmt_list_free(&l);
    dm_err_free(&err);
}

static void test_dollar_tags_with_digits(void **st)
{
    (void)st;
    const char *a[] = {"CREATE FUNCTION f() RETURNS int AS $a1$ BEGIN RETURN 1; END; $a1$ "
                       "LANGUAGE plpgsql",
                       "SELECT 2"};
    expect_pg("CREATE FUNCTION f() RETURNS int AS $a1$ BEGIN RETURN 1; END; $a1$ "
              "LANGUAGE plpgsql;\nSELECT 2;",
              2, a);
    const char *b[] = {"DO $fn_v2$ BEGIN PERFORM 1; PERFORM 2; END $fn_v2$", "SELECT 3"};
    expect_pg("DO $fn_v2$ BEGIN PERFORM 1; PERFORM 2; END $fn_v2$;\nSELECT 3;", 2, b);
    const char *c[] = {"SELECT $_2$;;$_2$", "SELECT 4"};
    expect_pg("SELECT $_2$;;$_2$; SELECT 4;", 2, c);
    /* a tag that differs only in its digits does not close the body */
    const char *d[] = {"SELECT $t1$ a; $t2$ b; $t1$", "SELECT 5"};
    expect_pg("SELECT $t1$ a; $t2$ b; $t1$; SELECT 5", 2, d);
}

static void test_dollar_digit_is_a_parameter(void **st)
{
    (void)st;
    const char *a[] = {"PREPARE p(int, int) AS SELECT $1 + $2", "SELECT $3"};
    expect_pg("PREPARE p(int, int) AS SELECT $1 + $2; SELECT $3;", 2, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dollar_tags_with_digits),
        cmocka_unit_test(test_dollar_digit_is_a_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
