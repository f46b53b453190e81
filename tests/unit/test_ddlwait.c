/* test_ddlwait.c — the pure parts of ddlwait.c (SPEC section 14): the
 * backoff's cap and its full jitter, the time-out templates, the blocker
 * text of a blockers row, and the retry decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ddlwait.h"

static void test_backoff_cap(void **st)
{
    (void)st;
    const int want[] = {200, 400, 800, 1600, 3200, 6400, 10000, 10000};
    for (int a = 0; a < 8; a++)
        assert_int_equal(dm_ddl_backoff_cap_ms(a), want[a]);
    assert_int_equal(dm_ddl_backoff_cap_ms(40), 10000); /* no overflow */
    assert_int_equal(dm_ddl_backoff_cap_ms(1000000), 10000);
    assert_int_equal(dm_ddl_backoff_cap_ms(-1), 200);
    assert_int_equal(dm_ddlwait_backoff_ms(NULL, 3), 1600); /* no state: the cap */
}

static void test_template(void **st)
{
    (void)st;
    dm_buf b = {0};
    assert_int_equal(dm_ddl_template("SET lock_timeout = {ms}", 1500, NULL, &b), 0);
    assert_string_equal(dm_buf_str(&b), "SET lock_timeout = 1500");
    dm_buf_reset(&b);
    /* {s}: whole seconds, rounded up, at least 1 */
    dm_ddl_template("SET a = {s}, b = {s}", 1500, NULL, &b);
    assert_string_equal(dm_buf_str(&b), "SET a = 2, b = 2");
    dm_buf_reset(&b);
    dm_ddl_template("{s}/{s}/{s}", 1, NULL, &b);
    assert_string_equal(dm_buf_str(&b), "1/1/1");
    dm_buf_reset(&b);
    dm_ddl_template("{s}", 2000, NULL, &b);
    assert_string_equal(dm_buf_str(&b), "2");
    dm_buf_reset(&b);
    /* {id} only when given; anything else untouched */
    dm_ddl_template("pids({id}) {x} {ms", 7, NULL, &b);
    assert_string_equal(dm_buf_str(&b), "pids({id}) {x} {ms");
    dm_buf_reset(&b);
    dm_ddl_template("pids({id}) {ms}", 7, "4242", &b);
    assert_string_equal(dm_buf_str(&b), "pids(4242) 7");
    dm_buf_free(&b);
}

static void test_blocker_text(void **st)
{
    (void)st;
    char out[DM_BLOCKER_CAP];
    const char *row[] = {"4242", "idle in transaction", "12", "UPDATE t SET x = 1\nWHERE id = 2"};
    dm_ddl_blocker_text("pid", row, 4, out, sizeof out);
    assert_string_equal(out, "pid 4242 (idle in transaction 12 s): UPDATE t SET x = 1...");
    /* the first non-empty line, tabs and runs of spaces as one space */
    const char *row2[] = {"7", "active", "0", "\n\n  SELECT\tpg_sleep(3)   ;  "};
    dm_ddl_blocker_text("pid", row2, 4, out, sizeof out);
    assert_string_equal(out, "pid 7 (active 0 s): SELECT pg_sleep(3) ;");
    /* no query (MariaDB while idle), no state */
    const char *row3[] = {"16", "", NULL, ""};
    dm_ddl_blocker_text("connection", row3, 4, out, sizeof out);
    assert_string_equal(out, "connection 16 (unknown state)");
    /* a long query is cut on a character boundary, never inside one */
    char q[400];
    memset(q, 'a', 119);
    strcpy(q + 119, "\xc3\xa9\xc3\xa9 tail");
    const char *row4[] = {"1", "active", "1", q};
    dm_ddl_blocker_text("pid", row4, 4, out, sizeof out);
    size_t n = strlen(out);
    assert_true(n > 3 && strcmp(out + n - 3, "...") == 0);
    assert_int_equal((unsigned char)out[n - 4], 'a'); /* the half of \xc3\xa9 was dropped */
    /* a tiny buffer still ends in a NUL */
    char small[12];
    dm_ddl_blocker_text("pid", row, 4, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_retryable(void **st)
{
    (void)st;
    dbmig_options o = DBMIG_OPTIONS_INIT;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_false(dm_ddlwait_retryable(h, DBMIG_DB_ERR_LOCK_TIMEOUT)); /* option off */
    assert_int_equal(dm_ddlwait_retries(h), 5);                        /* the default */
    h->o.ddl_lock_timeout_ms = 2000;
    h->o.ddl_retries = 0;
    assert_true(dm_ddlwait_retryable(h, DBMIG_DB_ERR_LOCK_TIMEOUT));
    assert_false(dm_ddlwait_retryable(h, DBMIG_DB_ERR_STATEMENT_TIMEOUT));
    assert_false(dm_ddlwait_retryable(h, DBMIG_DB_ERR_GENERIC));
    assert_int_equal(dm_ddlwait_retries(h), 0);
    dbmig_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_cap),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_blocker_text),
        cmocka_unit_test(test_retryable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
