/* test_ddl.c — the portable-DDL classifier and rewriter (SPEC section 9),
 * with the catalog look-ups of the real SQLite driver. Capability sets of
 * other dialects are simulated by passing their bits: the rewriting policy
 * is the core's, the catalog answers are SQLite's. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "loader.h"

static void classify(const char *sql, int dialect, dm_ddl *d)
{
    dm_ddl_classify(sql, strlen(sql), dialect, d);
}

static void test_classify_create_index(void **state)
{
    (void)state;
    dm_ddl d;
    classify("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Users_Email\" ON public.users (email)",
             DBMIG_DIALECT_POSTGRES, &d);
    assert_int_equal(d.kind, DM_DDL_CREATE_INDEX);
    assert_true(d.concurrently);
    assert_true(d.if_exists);
    assert_string_equal(d.name, "Users_Email");
    assert_string_equal(d.table, "users");

    classify("create index i on t(a)", DBMIG_DIALECT_SQLITE, &d);
    assert_int_equal(d.kind, DM_DDL_CREATE_INDEX);
    assert_false(d.if_exists);
    assert_false(d.concurrently);

    classify("CREATE INDEX ON t (a)", DBMIG_DIALECT_POSTGRES, &d); /* unnamed */
    assert_int_equal(d.kind, DM_DDL_OTHER);
    classify("CREATE TABLE t (a INT)", DBMIG_DIALECT_POSTGRES, &d);
    assert_int_equal(d.kind, DM_DDL_OTHER);
    classify("CREATE /* c */ INDEX -- x\n IF NOT EXISTS `i` ON `t` (a)", DBMIG_DIALECT_MYSQL, &d);
    assert_int_equal(d.kind, DM_DDL_CREATE_INDEX);
    assert_string_equal(d.name, "i");
    assert_string_equal(d.table, "t");
}

static void test_classify_drop_and_alter(void **state)
{
    (void)state;
    dm_ddl d;
    classify("DROP INDEX IF EXISTS i", DBMIG_DIALECT_GENERIC, &d);
    assert_int_equal(d.kind, DM_DDL_DROP_INDEX);
    assert_true(d.if_exists);
    assert_string_equal(d.table, "");
    classify("DROP INDEX i ON t", DBMIG_DIALECT_MYSQL, &d);
    assert_int_equal(d.kind, DM_DDL_DROP_INDEX);
    assert_string_equal(d.table, "t");
    classify("DROP INDEX a, b", DBMIG_DIALECT_POSTGRES, &d);
    assert_int_equal(d.kind, DM_DDL_OTHER);

    classify("ALTER TABLE t ADD COLUMN IF NOT EXISTS c VARCHAR(10) DEFAULT 'a,b'", DBMIG_DIALECT_GENERIC, &d);
    assert_int_equal(d.kind, DM_DDL_ADD_COLUMN);
    assert_true(d.if_exists);
    assert_string_equal(d.name, "c");
    classify("ALTER TABLE t ADD c INTEGER", DBMIG_DIALECT_GENERIC, &d);
    assert_int_equal(d.kind, DM_DDL_ADD_COLUMN);
    assert_false(d.if_exists);
    classify("ALTER TABLE t ADD CONSTRAINT k UNIQUE (a)", DBMIG_DIALECT_GENERIC, &d);
    assert_int_equal(d.kind, DM_DDL_OTHER);
    classify("ALTER TABLE t ADD PRIMARY KEY (a)", DBMIG_DIALECT_GENERIC, &d);
    assert_int_equal(d.kind, DM_DDL_OTHER);
    classify("ALTER TABLE t ADD COLUMN a INT, ADD COLUMN b INT", DBMIG_DIALECT_GENERIC, &d);
    assert_int_equal(d.kind, DM_DDL_OTHER);
    classify("ALTER TABLE t DROP COLUMN IF EXISTS c CASCADE", DBMIG_DIALECT_POSTGRES, &d);
    assert_int_equal(d.kind, DM_DDL_DROP_COLUMN);
    assert_true(d.if_exists);
    classify("ALTER TABLE t DROP CONSTRAINT k", DBMIG_DIALECT_GENERIC, &d);
    assert_int_equal(d.kind, DM_DDL_OTHER);
}

static void test_dml_and_autocommit(void **state)
{
    (void)state;
    assert_true(dm_ddl_is_dml("insert into t values (1)", 24, DBMIG_DIALECT_MYSQL));
    assert_true(dm_ddl_is_dml("/* x */ UPDATE t SET a = 1", 26, DBMIG_DIALECT_MYSQL));
    assert_false(dm_ddl_is_dml("CREATE TABLE t (a INT)", 22, DBMIG_DIALECT_MYSQL));
    const char *c = "CREATE INDEX CONCURRENTLY i ON t (a)";
    assert_true(dm_ddl_needs_autocommit(c, strlen(c), DBMIG_DIALECT_POSTGRES, DBMIG_CAP_CONCURRENT_INDEX));
    assert_false(dm_ddl_needs_autocommit(c, strlen(c), DBMIG_DIALECT_SQLITE, 0));
    const char *u = "CREATE INDEX CONCURRENTLY ON t (a)";
    assert_true(dm_ddl_needs_autocommit(u, strlen(u), DBMIG_DIALECT_POSTGRES, DBMIG_CAP_CONCURRENT_INDEX));
    const char *v = "VACUUM";
    assert_true(dm_ddl_needs_autocommit(v, strlen(v), DBMIG_DIALECT_SQLITE, 0));
    const char *r = "REINDEX INDEX CONCURRENTLY i";
    assert_true(dm_ddl_needs_autocommit(r, strlen(r), DBMIG_DIALECT_POSTGRES, DBMIG_CAP_CONCURRENT_INDEX));
    const char *r2 = "REINDEX INDEX i";
    assert_false(dm_ddl_needs_autocommit(r2, strlen(r2), DBMIG_DIALECT_POSTGRES, DBMIG_CAP_CONCURRENT_INDEX));
    /* PostgreSQL: "REINDEX SCHEMA cannot run inside a transaction block",
     * and so for DATABASE and SYSTEM; a table named schema is no schema */
    const char *const whole[] = {"REINDEX SCHEMA public", "reindex database app",
                                 "REINDEX SYSTEM app", "REINDEX (VERBOSE) SCHEMA public"};
    for (size_t k = 0; k < 4; k++)
        assert_true(dm_ddl_needs_autocommit(whole[k], strlen(whole[k]), DBMIG_DIALECT_POSTGRES,
                                            DBMIG_CAP_CONCURRENT_INDEX));
    const char *rt = "REINDEX TABLE schema";
    assert_false(dm_ddl_needs_autocommit(rt, strlen(rt), DBMIG_DIALECT_POSTGRES, DBMIG_CAP_CONCURRENT_INDEX));
    const char *cd = "CREATE DATABASE x";
    assert_true(dm_ddl_needs_autocommit(cd, strlen(cd), DBMIG_DIALECT_POSTGRES, DBMIG_CAP_CONCURRENT_INDEX));
    const char *d = "DROP INDEX CONCURRENTLY IF EXISTS i";
    assert_true(dm_ddl_needs_autocommit(d, strlen(d), DBMIG_DIALECT_POSTGRES, DBMIG_CAP_CONCURRENT_INDEX));
}

/* ---- rewriting with the SQLite driver's catalog ------------------------ */

typedef struct fx {
    dm_plugin *p;
    const dbmig_driver *drv;
    dbmig_conn *conn;
} fx;

static int setup(void **state)
{
    static fx f;
    dm_err e = {0};
    memset(&f, 0, sizeof f);
    if (dm_plugin_load(DBMIG_PLUGIN_DIR, "sqlite", &f.p, &e) != DBMIG_OK) {
        dm_err_free(&e);
        return -1;
    }
    f.drv = dm_plugin_driver(f.p);
    dm_err_free(&e);
    *state = &f;
    return 0;
}

static void *h_alloc(void *p, size_t n) { (void)p; return malloc(n); }
static void *h_realloc(void *p, void *q, size_t n) { (void)p; return realloc(q, n); }
static void h_free(void *p, void *q) { (void)p; free(q); }
static void h_log(void *p, int l, const char *m) { (void)p; (void)l; (void)m; }
static const dbmig_host host = {sizeof(dbmig_host), NULL, h_alloc, h_realloc, h_free, h_log, 0};

static int teardown(void **state)
{
    fx *f = *state;
    dm_plugin_unload(f->p);
    return 0;
}

/* prepare() under caps; returns the SQL to run or "SKIP". */
static char *prep(fx *f, uint32_t caps, const char *sql, dm_buf *note)
{
    dm_buf out = {0};
    dm_err e = {0};
    int skip = -1;
    assert_int_equal(dm_ddl_prepare(f->drv, NULL, f->conn, caps, sql, strlen(sql), &out, &skip, note, &e),
                     DBMIG_OK);
    dm_err_free(&e);
    if (skip) {
        dm_buf_free(&out);
        return dm_strdup("SKIP");
    }
    return dm_buf_take(&out);
}

static void exec_ok(fx *f, const char *sql)
{
    assert_int_equal(f->drv->exec(NULL, f->conn, sql, strlen(sql), NULL), DBMIG_DRV_OK);
}

#define EXPECT(caps, sql, want)                                                                  \
    do {                                                                                         \
        char *got_ = prep(f, caps, sql, NULL);                                                   \
        assert_string_equal(got_, want);                                                         \
        free(got_);                                                                              \
    } while (0)

static void test_rewrite_emulation(void **state)
{
    fx *f = *state;
    dbmig_db_error err;
    assert_int_equal(f->drv->connect(NULL, &host, "sqlite::memory:", &f->conn, &err), DBMIG_DRV_OK);
    exec_ok(f, "CREATE TABLE t (a INTEGER, b INTEGER)");

    const uint32_t native = f->drv->caps; /* SQLite: native CREATE/DROP INDEX IF [NOT] EXISTS */
    const uint32_t mysql = DBMIG_CAP_DROP_INDEX_NEEDS_TABLE | DBMIG_CAP_SAVEPOINTS;

    /* Native forms pass through; CONCURRENTLY is dropped where unknown. */
    EXPECT(native, "CREATE INDEX IF NOT EXISTS i ON t (a)", "CREATE INDEX IF NOT EXISTS i ON t (a)");
    EXPECT(native, "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", "CREATE INDEX IF NOT EXISTS i ON t (a)");
    EXPECT(native | DBMIG_CAP_CONCURRENT_INDEX, "CREATE INDEX CONCURRENTLY i ON t (a)",
           "CREATE INDEX CONCURRENTLY i ON t (a)");

    /* Emulated CREATE INDEX IF NOT EXISTS: runs without the words while the
     * index is absent, is skipped once it exists. */
    EXPECT(mysql, "CREATE INDEX IF NOT EXISTS i ON t (a)", "CREATE INDEX i ON t (a)");
    exec_ok(f, "CREATE INDEX i ON t (a)");
    EXPECT(mysql, "CREATE INDEX IF NOT EXISTS i ON t (a)", "SKIP");
    EXPECT(mysql, "create unique index concurrently if not exists i on t (a)", "SKIP");

    /* DROP INDEX on a dialect that needs the table: looked up and added. */
    EXPECT(mysql, "DROP INDEX i", "DROP INDEX i ON \"t\"");
    EXPECT(mysql, "DROP INDEX IF EXISTS i", "DROP INDEX i ON \"t\"");
    EXPECT(mysql | DBMIG_CAP_DROP_INDEX_IF_EXISTS, "DROP INDEX IF EXISTS i", "DROP INDEX IF EXISTS i ON \"t\"");
    EXPECT(mysql, "DROP INDEX i ON t", "DROP INDEX i ON t");
    EXPECT(mysql, "DROP INDEX IF EXISTS nosuch", "SKIP");
    EXPECT(0, "DROP INDEX IF EXISTS nosuch", "SKIP");

    /* Columns: SQLite has neither ADD COLUMN IF NOT EXISTS nor DROP COLUMN
     * IF EXISTS; both are emulated. */
    EXPECT(native, "ALTER TABLE t ADD COLUMN IF NOT EXISTS b INTEGER", "SKIP");
    EXPECT(native, "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INTEGER DEFAULT 0",
           "ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0");
    EXPECT(native, "ALTER TABLE t DROP COLUMN IF EXISTS zz", "SKIP");
    EXPECT(native, "ALTER TABLE t DROP COLUMN IF EXISTS b", "ALTER TABLE t DROP COLUMN b");
    EXPECT(native | DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS, "ALTER TABLE t ADD COLUMN IF NOT EXISTS b INT",
           "ALTER TABLE t ADD COLUMN IF NOT EXISTS b INT");
    /* Anything else is untouched. */
    EXPECT(mysql, "INSERT INTO t VALUES (1, 2)", "INSERT INTO t VALUES (1, 2)");
    f->drv->close(NULL, f->conn);
    f->conn = NULL;
}

static void test_offline_notes(void **state)
{
    fx *f = *state;
    dm_buf note = {0};
    char *s = prep(f, 0, "CREATE INDEX IF NOT EXISTS i ON t (a)", &note);
    assert_string_equal(s, "CREATE INDEX i ON t (a)");
    assert_non_null(strstr(dm_buf_str(&note), "offline"));
    free(s);
    dm_buf_reset(&note);
    s = prep(f, DBMIG_CAP_DROP_INDEX_NEEDS_TABLE, "DROP INDEX i", &note);
    assert_string_equal(s, "DROP INDEX i");
    assert_non_null(strstr(dm_buf_str(&note), "ON <table>"));
    free(s);
    dm_buf_free(&note);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_create_index),
        cmocka_unit_test(test_classify_drop_and_alter),
        cmocka_unit_test(test_dml_and_autocommit),
        cmocka_unit_test_setup_teardown(test_rewrite_emulation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_notes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
