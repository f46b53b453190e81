/* test_graph_names.c — loading a folder (dm_graph_load_dir) refuses file
 * names that would run in another order than the one they say: header-less
 * numbered files of different widths (golang-migrate's 1_..10_, Flyway's
 * V1__..V10__), and other tools' undo/down/repeatable scripts (Flyway's
 * U1__/R__, golang-migrate's .down.sql), each exit 3 naming the files and
 * the fix. Near misses (same widths, timestamps, explicit parents, names
 * that only look alike) load as before. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define UP(t) "-- dbmig:up\nCREATE TABLE " t " (id int);\n-- dbmig:down\nDROP TABLE " t ";\n"

/* Loads a fresh folder holding the files names[k] (text texts[k], or a
 * table-creating migration when texts is NULL or texts[k] is). Returns the
 * return code; the error message goes to msg (the graph is freed). With
 * order, the revision ids in application order, space-separated. */
static int load(const char *const *names, const char *const *texts, size_t n, char *msg,
                size_t cap, char *order, size_t ocap)
{
    char dir[] = "/tmp/dbmig-graph-names-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t k = 0; k < n; k++)
        ut_write_file(dir, names[k], texts && texts[k] ? texts[k] : UP("t"));
    dm_graph g;
    dm_err err = {0};
    int rc = dm_graph_load_dir(&g, dir, &err);
    snprintf(msg, cap, "%s", rc == DBMIG_OK ? "" : dm_err_msg(&err));
    if (rc == DBMIG_OK && order) {
        order[0] = '\0';
        for (size_t k = 0; k < g.n; k++) {
            size_t l = strlen(order);
            snprintf(order + l, ocap - l, "%s%s", l ? " " : "", g.revs[g.order[k]].id);
        }
    }
    if (rc == DBMIG_OK)
        dm_graph_free(&g);
    dm_err_free(&err);
    assert_int_equal(ut_rmrf(dir), 0);
    return rc;
}

static void has(const char *msg, const char *want)
{
    if (!strstr(msg, want))
        fail_msg("message lacks '%s': %s", want, msg);
}

static const char *const TEN[] = {"1_t1.sql", "2_t2.sql", "3_t3.sql", "4_t4.sql", "5_t5.sql",
                                  "6_t6.sql", "7_t7.sql", "8_t8.sql", "9_t9.sql", "10_t10.sql"};

/* golang-migrate numbering: 10_ sorts first and would be the base. */
static void test_widths_refused(void **state)
{
    (void)state;
    char msg[2048];
    assert_int_equal(load(TEN, NULL, 10, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "/10_t10.sql sorts before ");
    has(msg, "/1_t1.sql by name, but its number is higher (10 > 1)");
    has(msg, "revision 10 would be the first revision instead of following 9");
    has(msg, "1_t1.sql -> 01_t1.sql");
    has(msg, "10_t10.sql the header `-- dbmig:parents 9`");
    /* 1..9 applied elsewhere, 10 given its parent: now 1 follows 10 */
    const char *texts[10] = {0};
    texts[9] = "-- dbmig:parents 9\n" UP("t10");
    assert_int_equal(load(TEN, texts, 10, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "revision 1 would follow 10 instead of being the first");
    has(msg, "1_t1.sql the header `-- dbmig:parents base`");
    /* with both headers, the order is the numbers' */
    texts[0] = "-- dbmig:parents base\n" UP("t1");
    char order[256];
    assert_int_equal(load(TEN, texts, 10, msg, sizeof msg, order, sizeof order), DBMIG_OK);
    assert_string_equal(order, "1 2 3 4 5 6 7 8 9 10");
}

/* A later file (by name) with a lower number than a header-less one, and a
 * previous one with a higher number. */
static void test_widths_pairs(void **state)
{
    (void)state;
    char msg[2048];
    static const char *const fly[] = {"V1__a.sql", "V2__b.sql", "V10__c.sql"};
    assert_int_equal(load(fly, NULL, 3, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "V10__c.sql sorts before ");
    has(msg, "V1__a.sql -> V01__a.sql");
    has(msg, "`-- dbmig:parents V2`");
    /* 1a sorts after 10 by name ('0' < 'a') but has the lower number */
    static const char *const mixed[] = {"10_z.sql", "1a_x.sql"};
    assert_int_equal(load(mixed, NULL, 2, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "(10 > 1)");
    /* a timestamp between 1_ and 3_ by name: 3 would follow it */
    static const char *const ts[] = {"1_a.sql", "20261207050000_b.sql", "3_c.sql"};
    assert_int_equal(load(ts, NULL, 3, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "(20261207050000 > 3)");
    has(msg, "revision 20261207050000 would follow 1 instead of following 3");
    /* leading zeros do not hide it: 010 sorts before 9 */
    static const char *const z[] = {"009_a.sql", "010_b.sql", "9_c.sql"};
    assert_int_equal(load(z, NULL, 3, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "9_c.sql -> 009_c.sql");
}

/* Name order is number order, or the order is the headers': loaded. */
static void test_widths_fine(void **state)
{
    (void)state;
    char msg[2048], order[512];
    static const char *const pad[] = {"001_a.sql", "002_b.sql", "010_c.sql", "099_d.sql"};
    assert_int_equal(load(pad, NULL, 4, msg, sizeof msg, order, sizeof order), DBMIG_OK);
    assert_string_equal(order, "001 002 010 099");
    /* three widths, but sorted by name they are in number order */
    static const char *const grow[] = {"001_a.sql", "002_b.sql", "20261207050000_c.sql",
                                       "20261208090000_d.sql"};
    assert_int_equal(load(grow, NULL, 4, msg, sizeof msg, order, sizeof order), DBMIG_OK);
    assert_string_equal(order, "001 002 20261207050000 20261208090000");
    /* every file states its parents: the names do not order anything */
    const char *texts[10];
    static char bufs[10][128];
    for (int k = 0; k < 10; k++) {
        if (k == 0)
            snprintf(bufs[k], sizeof bufs[k], "-- dbmig:parents base\n" UP("t"));
        else
            snprintf(bufs[k], sizeof bufs[k], "-- dbmig:parents %d\n" UP("t"), k);
        texts[k] = bufs[k];
    }
    assert_int_equal(load(TEN, texts, 10, msg, sizeof msg, order, sizeof order), DBMIG_OK);
    assert_string_equal(order, "1 2 3 4 5 6 7 8 9 10");
    /* numbers compare within one prefix letter only; no number, no check;
     * equal numbers of two widths are not out of order */
    static const char *const other[] = {"2_b.sql", "V10__a.sql", "abc.sql", "init.sql"};
    assert_int_equal(load(other, NULL, 4, msg, sizeof msg, NULL, 0), DBMIG_OK);
    static const char *const same[] = {"01_b.sql", "1_a.sql"};
    assert_int_equal(load(same, NULL, 2, msg, sizeof msg, NULL, 0), DBMIG_OK);
}

static void test_flyway_undo_repeatable(void **state)
{
    (void)state;
    char msg[2048];
    static const char *const undo[] = {"U1__a.sql", "V1__a.sql", "V2__b.sql"};
    const char *texts[] = {"DROP TABLE a;\n", NULL, NULL};
    assert_int_equal(load(undo, texts, 3, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "/U1__a.sql: a Flyway undo script");
    has(msg, "the `-- dbmig:down` section of the versioned file");
    has(msg, "under `-- dbmig:down` in V1__a.sql");
    static const char *const undo2[] = {"U1_1__a.sql"};
    assert_int_equal(load(undo2, NULL, 1, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "in the V1_1 file");
    static const char *const rep[] = {"R__views.sql", "V1__a.sql"};
    assert_int_equal(load(rep, NULL, 2, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "/R__views.sql: a Flyway repeatable migration");
    has(msg, "each change is a new revision");
}

/* Names that only look like another tool's load as dbmig files. */
static void test_foreign_near_misses(void **state)
{
    (void)state;
    char msg[2048];
    static const char *const near[] = {"Users_table.sql", "U1_x.sql", "UNDO__x.sql",
                                       "R_x.sql",         "Roles__x.sql", "u2__y.sql",
                                       "1_a.up.sql",      "2_b.downs.sql", "3_down.sql"};
    assert_int_equal(load(near, NULL, 9, msg, sizeof msg, NULL, 0), DBMIG_OK);
    static const char *const lower[] = {"r__x.sql"};
    assert_int_equal(load(lower, NULL, 1, msg, sizeof msg, NULL, 0), DBMIG_OK);
}

static void test_golang_migrate_pairs(void **state)
{
    (void)state;
    char msg[2048];
    static const char *const pair[] = {"1_create_users.up.sql", "1_create_users.down.sql"};
    const char *texts[] = {"CREATE TABLE users (id int);\n", "DROP TABLE users;\n"};
    assert_int_equal(load(pair, texts, 2, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "/1_create_users.up.sql and 1_create_users.down.sql are a golang-migrate");
    has(msg, "Merge them into one file, 1_create_users.sql");
    has(msg, "`-- dbmig:up`");
    has(msg, "`-- dbmig:down`");
    assert_null(strstr(msg, "duplicate revision id"));
    static const char *const lone[] = {"1_a.sql", "2_b.down.sql"};
    assert_int_equal(load(lone, NULL, 2, msg, sizeof msg, NULL, 0), DBMIG_EINVALID);
    has(msg, "/2_b.down.sql: a golang-migrate down script");
    has(msg, "Move its statements under `-- dbmig:down`");
    /* an up script alone is a forward migration: loaded */
    static const char *const up[] = {"1_create_users.up.sql"};
    assert_int_equal(load(up, texts, 1, msg, sizeof msg, NULL, 0), DBMIG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_widths_refused),
        cmocka_unit_test(test_widths_pairs),
        cmocka_unit_test(test_widths_fine),
        cmocka_unit_test(test_flyway_undo_repeatable),
        cmocka_unit_test(test_foreign_near_misses),
        cmocka_unit_test(test_golang_migrate_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
