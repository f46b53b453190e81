/* test_alloc.c — allocation failure on the hot paths: open, load the folder,
 * plan, upgrade, status and downgrade on SQLite, with the Nth allocation of
 * the library failing, for every N in turn until a run makes fewer than N
 * allocations.
 *
 * This executable alone is linked with -Wl,--wrap=malloc,calloc,realloc,
 * strdup,strndup (tests/unit/CMakeLists.txt), so every allocation made by
 * the core's objects (and by drivers through the host allocator, which the
 * core implements) goes through the __wrap_ functions below. Allocations
 * inside shared libraries (sqlite3, libltdl, libcrypto) are not counted.
 *
 * After each failed run: the handle still reports an error message, nothing
 * crashed, the version table agrees with the schema, no lock is left, and a
 * clean re-run completes. Leaks are caught by LeakSanitizer in the
 * -DDBMIG_SANITIZE=ON build (and valgrind in CI). */
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
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

/* ---- the allocator wrappers --------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* Test-only state: cmocka runs one test at a time, but the library loads
 * the folder on a second thread while it connects (dm_need_graph_conn), so
 * the counters are atomic. Which thread's allocation is the Nth varies
 * from run to run; every N is still tried, and each must fail cleanly. */
static struct {
    int active;
    _Atomic long count;   /* allocations seen while active */
    long fail_at;         /* fail this one (1-based); 0: never */
    _Atomic long failed;  /* how many were failed */
} A;

static int al_fail(void)
{
    if (!A.active)
        return 0;
    if (++A.count == A.fail_at) {
        A.failed++;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return al_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return al_fail() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return al_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return al_fail() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return al_fail() ? NULL : __real_strndup(s, n); }

/* ---- fixture ------------------------------------------------------------- */

typedef struct fx {
    char dir[64];
    char mig[96];
    char db[128];
    char url[160];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    /* tmpfs when there is one: these loops commit thousands of times. */
    snprintf(f->dir, sizeof f->dir, "/dev/shm/dbmig-alloc-XXXXXX");
    if (!mkdtemp(f->dir)) {
        snprintf(f->dir, sizeof f->dir, "/tmp/dbmig-alloc-XXXXXX");
        if (!mkdtemp(f->dir))
            return -1;
    }
    snprintf(f->mig, sizeof f->mig, "%s/m", f->dir);
    mkdir(f->mig, 0755);
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->db);
    /* A chain, a branch and its merge, a non-transactional migration and a
     * portable-DDL form the core rewrites for SQLite. */
    ut_write_file(f->mig, "001_orgs.sql",
               "-- dbmig:message organisations\n-- dbmig:up\n"
               "CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
               "INSERT INTO orgs (name) VALUES ('it''s; fine');\n"
               "-- dbmig:down\nDROP TABLE orgs;\n");
    ut_write_file(f->mig, "002_users.sql",
               "-- dbmig:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, org INTEGER);\n"
               "CREATE INDEX IF NOT EXISTS users_org ON users (org);\n"
               "-- dbmig:down\nDROP TABLE users;\n");
    ut_write_file(f->mig, "003_a.sql",
               "-- dbmig:parents 002\n-- dbmig:branch feature\n-- dbmig:up\n"
               "ALTER TABLE users ADD COLUMN IF NOT EXISTS email TEXT;\n"
               "-- dbmig:down\nALTER TABLE users DROP COLUMN email;\n");
    ut_write_file(f->mig, "004_b.sql",
               "-- dbmig:parents 002\n-- dbmig:transaction off\n-- dbmig:up\n"
               "CREATE TABLE b (x INTEGER);\nINSERT INTO b VALUES (1);\n"
               "-- dbmig:down\nDROP TABLE b;\n");
    ut_write_file(f->mig, "005_merge.sql",
               "-- dbmig:parents 003 004\n-- dbmig:up\n"
               "CREATE TRIGGER t_b AFTER INSERT ON b BEGIN UPDATE orgs SET name = name; END;\n"
               "-- dbmig:down\nDROP TRIGGER t_b;\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    int rc = ut_rmrf(f->dir);
    free(f);
    return rc;
}

static dbmig *open_plain(fx *f)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->url;
    o.dir = f->mig;
    o.lock_timeout = 0;
    o.plugin_path = DBMIG_PLUGIN_DIR;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    return h;
}

/* The applied set from the version table and the set of tables that exist
 * must agree (bit i: revision 00i; 005 creates a trigger, not a table). */
static void check_consistent(fx *f, int down, unsigned *applied_out)
{
    static const char *const tables[] = {NULL, "orgs", "users", NULL, "b", NULL};
    dbmig *h = open_plain(f);
    dbmig_status *st = NULL;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    unsigned applied = 0;
    int dirty4 = 0;
    int64_t progress4 = 0;
    for (size_t i = 0; i < st->nrevs; i++) {
        if (st->revs[i].flags & DBMIG_REV_APPLIED)
            applied |= 1u << atoi(st->revs[i].revision);
        /* 004 runs outside a transaction: a failure between its dirty row
         * and its last statement may leave it dirty, and only it. */
        if (st->revs[i].flags & DBMIG_REV_DIRTY) {
            assert_string_equal(st->revs[i].revision, "004");
            dirty4 = 1;
            progress4 = st->revs[i].progress;
        }
    }
    assert_int_equal(st->unknown, 0);
    dbmig_status_free(st);
    assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
    for (int i = 1; i <= 4; i++) {
        if (!tables[i])
            continue;
        int e = -1;
        assert_int_equal(h->drv->table_exists(h->drv_self, h->conn, tables[i], &e), DBMIG_DRV_OK);
        if (i != 4 || !dirty4)
            assert_int_equal(e, !!(applied & (1u << i)));
        /* Dirty: `progress` counts the statements known to be committed;
         * the one in flight when the failure hit may have committed too
         * (the window every non-transactional path has). */
        else if (!down && progress4 >= 1) /* up: CREATE TABLE b is statement 1 */
            assert_int_equal(e, 1);
        else if (down && progress4 >= 1) /* down: DROP TABLE b is statement 1 */
            assert_int_equal(e, 0);
    }
    /* No lock left: a fresh connection takes it at once. */
    int acq = 0;
    char holder[128] = "";
    assert_int_equal(h->drv->try_lock(h->drv_self, h->conn, "dbmig_version", &acq, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(acq, 1);
    assert_int_equal(h->drv->unlock(h->drv_self, h->conn, "dbmig_version"), DBMIG_DRV_OK);
    dbmig_close(h);
    if (applied_out)
        *applied_out = applied;
}

/* Settles a dirty 004 (if any) as a user would — after a failed upgrade:
 * undo the statement in flight if it did commit, then `upgrade --resume`;
 * after a failed downgrade: `repair --applied` if its DROP did not run,
 * else `repair --reverted` — and brings the database to head. */
static void finish(fx *f, int down)
{
    dbmig *h = open_plain(f);
    dbmig_status *st = NULL;
    assert_int_equal(dbmig_status_get(h, &st), DBMIG_OK);
    size_t dirty = st->dirty;
    int64_t progress = 0;
    for (size_t i = 0; i < st->nrevs; i++)
        if (st->revs[i].flags & DBMIG_REV_DIRTY)
            progress = st->revs[i].progress;
    dbmig_status_free(st);
    if (dirty) {
        int e = 0;
        assert_int_equal(dm_need_conn_create(h), DBMIG_OK);
        assert_int_equal(h->drv->table_exists(h->drv_self, h->conn, "b", &e), DBMIG_DRV_OK);
        if (!down && progress == 0 && e) {
            static const char drop[] = "DROP TABLE b";
            assert_int_equal(h->drv->exec(h->drv_self, h->conn, drop, sizeof drop - 1, NULL), DBMIG_DRV_OK);
        }
        if (down)
            assert_int_equal(dbmig_repair(h, e ? DBMIG_REPAIR_APPLIED : DBMIG_REPAIR_REVERTED,
                                          "004"),
                             DBMIG_OK);
    }
    int rc = dbmig_upgrade(h, "head", dirty && !down ? DBMIG_RESUME : 0);
    if (rc != DBMIG_OK)
        fail_msg("re-run after the failure: %s", dbmig_errmsg(h));
    dbmig_close(h);
    unsigned applied = 0;
    check_consistent(f, 0, &applied);
    assert_int_equal(applied, 0x3e);
}

typedef int (*op_fn)(dbmig *h);
static int op_upgrade(dbmig *h) { return dbmig_upgrade(h, "head", 0); }
static int op_downgrade(dbmig *h) { return dbmig_downgrade(h, "base", 0); }
static int op_status(dbmig *h)
{
    dbmig_status *st = NULL;
    int rc = dbmig_status_get(h, &st);
    dbmig_status_free(st);
    return rc;
}

/* Runs op with the Nth allocation failing, N = 1, 2, ... until a run makes
 * fewer than N. start_at_head: the database is at head before each run. */
static long fail_each(fx *f, op_fn op, int start_at_head, int down)
{
    long n;
    for (n = 1;; n++) {
        unlink(f->db);
        if (start_at_head)
            finish(f, 0);
        A.count = 0;
        A.failed = 0;
        A.fail_at = n;
        A.active = 1;
        dbmig_options o = DBMIG_OPTIONS_INIT;
        o.url = f->url;
        o.dir = f->mig;
        o.lock_timeout = 0;
        o.plugin_path = DBMIG_PLUGIN_DIR;
        dbmig *h = NULL;
        int rc = dbmig_open(&h, &o);
        if (rc == DBMIG_OK)
            rc = op(h);
        A.active = 0;
        if (getenv("DBMIG_ALLOC_DEBUG"))
            fprintf(stderr, "alloc #%ld failed: rc %d: %s\n", n, rc,
                    h ? dbmig_errmsg(h) : "(no handle)");
        if (A.failed) {
            /* Either the operation failed with a message, or the failure was
             * absorbed (e.g. an optional buffer) and the result is right. */
            if (rc != DBMIG_OK) {
                assert_true(rc < 0 && rc >= DBMIG_ELOCKED);
                if (h)
                    assert_true(dbmig_errmsg(h)[0] != '\0');
                else
                    assert_int_equal(rc, DBMIG_ERROR);
            }
        } else {
            assert_int_equal(rc, DBMIG_OK);
        }
        dbmig_close(h);
        check_consistent(f, down, NULL);
        finish(f, down);
        if (!A.failed)
            break;
    }
    return n - 1;
}

static void test_alloc_upgrade(void **state)
{
    long n = fail_each(*state, op_upgrade, 0, 0);
    print_message("upgrade: %ld allocation failures injected\n", n);
    assert_true(n > 50);
}

static void test_alloc_status(void **state)
{
    long n = fail_each(*state, op_status, 1, 0);
    print_message("status: %ld allocation failures injected\n", n);
    assert_true(n > 20);
}

static void test_alloc_downgrade(void **state)
{
    long n = fail_each(*state, op_downgrade, 1, 1);
    print_message("downgrade: %ld allocation failures injected\n", n);
    assert_true(n > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alloc_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_downgrade, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
