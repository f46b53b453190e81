/* test_schema_diff_sqlite.c — SQLite's table rebuild for `dbmig diff`
 * (core/schema_diff_sqlite.c), tried on real SQLite databases.
 *
 * Every case starts from two schemas written as SQL (from, to), loads
 * each into a fresh database (SQLite's library, foreign keys off as on
 * dbmig's connections) and inspects it through a dbmig handle (the SQLite
 * driver, as `diff` would), so the models are the ones diff sees. Then:
 *   - dm_sqlite_needs_rebuild(from, to, t) is what the case says; a case
 *     that needs none is checked by running the ADD COLUMN SQLite would
 *     take on a copy of `from` and inspecting: it must give `to`;
 *   - a rebuild case writes the rebuild (as many statements as it counts,
 *     for its own ";\n" and for dbmig's splitter), runs `from`'s dump
 *     (dm_schema_render_sql) + the case's rows + BEGIN; rebuild; COMMIT in
 *     a third database, inspects it (it must equal `to`, exactly) and runs
 *     the case's queries against the rows (copied, defaults, ids going on
 *     after an AUTOINCREMENT rebuild, triggers firing, children's keys);
 *   - a case that must fail (a NULL into NOT NULL, a foreign-key
 *     violation, foreign keys turned on) checks SQLite's error message;
 *   - test_oom fails every allocation of a rebuild in turn (the allocator
 *     is wrapped at link time: tests/unit/CMakeLists.txt).
 * The notes are checked when dm_dnotes_add records them (a placeholder
 * generator that drops them leaves the marker lines to check). The whole
 * product path (diff, upgrade, downgrade on a database with rows) is
 * tests/schema/diff_rebuild.sqlite.sh. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "dbmig/dbmig.h"
#include "inspect.h"
#include "schema_diff.h"
#include "split.h"

/* ---- the allocator wrappers (test_oom) ------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static long g_count, g_fail_at, g_failed; /* test-only; single-threaded while armed */

static int al_fail(void)
{
    if (!g_fail_at || ++g_count != g_fail_at)
        return 0;
    g_failed++;
    return 1;
}

void *__wrap_malloc(size_t n) { return al_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return al_fail() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return al_fail() ? NULL : __real_realloc(p, n); }

static char g_dir[256]; /* the test's temporary directory */
static int g_seq;       /* database file numbers */
static int g_notes_on;  /* dm_dnotes_add records notes (not the placeholder) */

/* ---- running SQL and inspecting ------------------------------------------- */

typedef struct outbuf {
    char *p;
    size_t len, cap;
} outbuf;

static void out_put(outbuf *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n >= o->cap)
        n = o->cap - 1 - o->len;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* A row as the sqlite3 CLI prints it: values joined by '|', NULL empty. */
static int out_row(void *arg, int n, char **v, char **names)
{
    (void)names;
    for (int i = 0; i < n; i++) {
        out_put(arg, i ? "|" : "");
        out_put(arg, v[i] ? v[i] : "");
    }
    out_put(arg, "\n");
    return 0;
}

/* Runs sql in the database file db (foreign keys off: SQLite's default,
 * as on dbmig's connections), stopping at the first error: 0 on success;
 * the rows it printed, then the error, into out. */
static int run_sql(const char *db, const char *sql, char *out, size_t cap)
{
    sqlite3 *h = NULL;
    outbuf o = {out, 0, cap};
    out[0] = '\0';
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *err = NULL; /* throwaway files: no syncing (what scratch databases do) */
    assert_int_equal(sqlite3_exec(h, "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    int rc = sqlite3_exec(h, sql, out_row, &o, &err);
    if (rc != SQLITE_OK) {
        out_put(&o, "Error: ");
        out_put(&o, err ? err : sqlite3_errstr(rc));
        out_put(&o, "\n");
    }
    sqlite3_free(err);
    sqlite3_close(h);
    return rc;
}

static void new_db(char *path, size_t cap)
{
    snprintf(path, cap, "%s/db%d.sqlite", g_dir, ++g_seq);
    unlink(path);
}

static void inspect_db(const char *db, dm_schema *out)
{
    char url[320], mig[300];
    snprintf(url, sizeof url, "sqlite:%s", db);
    snprintf(mig, sizeof mig, "%s/migrations", g_dir);
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = url;
    o.dir = mig;
    o.plugin_path = DBMIG_PLUGIN_DIR;
    o.lock_timeout = 0;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    memset(out, 0, sizeof *out);
    int rc = dm_inspect(h, out);
    if (rc)
        print_error("inspect %s: %s\n", db, dbmig_errmsg(h));
    assert_int_equal(rc, 0);
    dbmig_close(h);
}

/* A model from SQL: loaded into a fresh database and inspected. */
static void model_of(const char *sql, dm_schema *out)
{
    char db[300], msg[4096];
    new_db(db, sizeof db);
    int rc = run_sql(db, sql, msg, sizeof msg);
    if (rc)
        print_error("loading:\n%s\n%s\n", sql, msg);
    assert_int_equal(rc, 0);
    inspect_db(db, out);
}

static void assert_same_model(const dm_schema *got, const dm_schema *want, const char *sql)
{
    dm_sdiffs d = {0};
    dm_err e = {0};
    assert_int_equal(dm_schema_compare(got, want, "after the rebuild", "to", &d, &e), 0);
    for (size_t i = 0; i < d.n; i++)
        print_error("differs: %s: %s\n", d.v[i].object, d.v[i].what);
    if (d.n)
        print_error("the rebuild was:\n%s\n", sql);
    assert_int_equal(d.n, 0);
    dm_sdiffs_free(&d);
    dm_err_free(&e);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        print_error("expected to find [%s] in:\n%s\n", needle, hay);
    assert_non_null(strstr(hay, needle));
}

/* ---- one case --------------------------------------------------------------- */

typedef struct rcase {
    const char *from, *to; /* the two schemas */
    const char *table;     /* the table to rebuild (default "t") */
    const char *rows;      /* run after from's dump, before the rebuild */
    const char *query;     /* run after the rebuild ... */
    const char *expect;    /* ... prints exactly this */
    const char *fails;     /* the rebuild must fail, printing this */
} rcase;

typedef struct result {
    dm_buf sql;    /* the rebuild */
    dm_dnotes notes;
    char out[8192]; /* what running it printed */
    size_t nstmt;
} result;

static void result_free(result *r)
{
    dm_buf_free(&r->sql);
    dm_dnotes_free(&r->notes);
}

/* The rebuild of c->table written for the two models, appended to r. */
static void write_rebuild(const dm_schema *from, const dm_schema *to, const char *t, result *r)
{
    dm_sqlw w = {to, NULL, NULL, &r->sql, 0};
    assert_int_equal(dm_sqlite_rebuild(&w, from, t, &r->nstmt, &r->notes), 0);
    assert_int_equal(w.rc, 0);
}

/* Runs a rebuild case; the models stay for the caller's checks. */
static void run_case(const rcase *c, result *r)
{
    const char *t = c->table ? c->table : "t";
    dm_schema from, to, got;
    model_of(c->from, &from);
    model_of(c->to, &to);
    assert_int_equal(dm_sqlite_needs_rebuild(&from, &to, t), 1);
    memset(r, 0, sizeof *r);
    write_rebuild(&from, &to, t, r);
    if (getenv("DBMIG_TEST_SHOW")) /* to read what a case writes */
        print_message("%s", dm_buf_str(&r->sql));
    /* the statements ";\n"-terminated, as many as counted */
    size_t ends = 0;
    for (const char *p = dm_buf_str(&r->sql); (p = strstr(p, ";\n")); p += 2)
        ends++;
    assert_int_equal(ends, r->nstmt);
    /* and dbmig's own splitter (how a migration file is run) finds as many */
    dm_stmt_list l = {0};
    dm_err e = {0};
    assert_int_equal(dm_split(dm_buf_str(&r->sql), r->sql.len, DBMIG_DIALECT_SQLITE, 1, "rebuild",
                              &l, &e),
                     0);
    assert_int_equal(l.n, r->nstmt);
    dm_stmt_list_free(&l);
    dm_err_free(&e);

    dm_buf all = {0};
    assert_int_equal(dm_schema_render_sql(&from, NULL, NULL, &all), 0);
    dm_buf_printf(&all, "%s\nBEGIN;\n%s\nCOMMIT;\n", c->rows ? c->rows : "", dm_buf_str(&r->sql));
    char db[300];
    new_db(db, sizeof db);
    int rc = run_sql(db, dm_buf_str(&all), r->out, sizeof r->out);
    if (c->fails) {
        assert_int_not_equal(rc, 0);
        assert_contains(r->out, c->fails);
    } else {
        if (rc)
            print_error("running:\n%s\nprinted:\n%s\n", dm_buf_str(&all), r->out);
        assert_int_equal(rc, 0);
        inspect_db(db, &got);
        assert_same_model(&got, &to, dm_buf_str(&r->sql));
        dm_schema_free(&got);
        if (c->query) {
            char q[4096];
            assert_int_equal(run_sql(db, c->query, q, sizeof q), 0);
            if (strcmp(q, c->expect))
                print_error("query:\n%s\nprinted:\n%s\nexpected:\n%s\n", c->query, q, c->expect);
            assert_string_equal(q, c->expect);
        }
    }
    dm_buf_free(&all);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* The note of kind whose text contains `text` (when notes are recorded). */
static void assert_note(const result *r, int kind, const char *object, const char *text)
{
    if (!g_notes_on)
        return;
    for (size_t i = 0; i < r->notes.n; i++)
        if (r->notes.v[i].kind == kind && strstr(r->notes.v[i].object, object) &&
            strstr(r->notes.v[i].text, text))
            return;
    for (size_t i = 0; i < r->notes.n; i++)
        print_error("note %d %s: %s\n", r->notes.v[i].kind, r->notes.v[i].object,
                    r->notes.v[i].text);
    fail_msg("no note %d on %s saying %s", kind, object, text);
}

/* The line right above the statement starting with `stmt`. */
static void assert_line_above(const char *sql, const char *line, const char *stmt)
{
    const char *s = strstr(sql, stmt);
    assert_non_null(s);
    size_t n = strlen(line);
    if (!((size_t)(s - sql) > n && !strncmp(s - n - 1, line, n) && s[-1] == '\n'))
        print_error("expected [%s] right above [%s] in:\n%s\n", line, stmt, sql);
    assert_true((size_t)(s - sql) > n && !strncmp(s - n - 1, line, n) && s[-1] == '\n');
}

static void run_simple(const rcase *c)
{
    result r;
    run_case(c, &r);
    result_free(&r);
}

/* ---- what needs a rebuild --------------------------------------------------- */

/* A change ADD COLUMN makes: no rebuild, and the ALTER gives `to`. */
static void no_rebuild(const char *from_sql, const char *to_sql, const char *alter)
{
    dm_schema from, to, got;
    model_of(from_sql, &from);
    model_of(to_sql, &to);
    assert_int_equal(dm_sqlite_needs_rebuild(&from, &to, "t"), 0);
    char db[300], out[4096];
    new_db(db, sizeof db);
    dm_buf all = {0};
    dm_buf_printf(&all, "%s\n%s\n", from_sql, alter);
    int rc = run_sql(db, dm_buf_str(&all), out, sizeof out);
    if (rc)
        print_error("%s\n%s\n", dm_buf_str(&all), out);
    assert_int_equal(rc, 0);
    inspect_db(db, &got);
    assert_same_model(&got, &to, alter);
    dm_buf_free(&all);
    dm_schema_free(&got);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

static void test_add_column_forms(void **state)
{
    (void)state;
    const char *base = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);";
    no_rebuild(base, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);",
               "ALTER TABLE t ADD COLUMN b INTEGER;");
    no_rebuild(base, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT DEFAULT 'x');",
               "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x';");
    no_rebuild(base,
               "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL DEFAULT -1);",
               "ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT -1;");
    no_rebuild(base, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT COLLATE NOCASE);",
               "ALTER TABLE t ADD COLUMN b TEXT COLLATE NOCASE;");
    no_rebuild(base,
               "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT AS (upper(a)) VIRTUAL);",
               "ALTER TABLE t ADD COLUMN b TEXT AS (upper(a)) VIRTUAL;");
    no_rebuild(base, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b BLOB DEFAULT x'00');",
               "ALTER TABLE t ADD COLUMN b BLOB DEFAULT x'00';");
    /* index and trigger changes are the generator's */
    no_rebuild(base,
               "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX t_a ON t (a);"
               "CREATE TRIGGER t_tr AFTER INSERT ON t BEGIN SELECT 1; END;",
               "CREATE INDEX t_a ON t (a);"
               "CREATE TRIGGER t_tr AFTER INSERT ON t BEGIN SELECT 1; END;");
}

/* Changes ADD COLUMN cannot make. */
static void test_needs_rebuild(void **state)
{
    (void)state;
    static const char *const to[] = {
        /* columns ADD COLUMN refuses */
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT DEFAULT CURRENT_TIMESTAMP);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER DEFAULT (1 + 1));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT AS (upper(a)) STORED);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER UNIQUE);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER REFERENCES t (id));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER CHECK (b > 0));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER, a TEXT);", /* not last */
        /* changes to what is there */
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x');",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
        "CREATE TABLE t (id INTEGER, a TEXT, PRIMARY KEY (id, a));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT CHECK (a <> ''));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT REFERENCES t (id));",
    };
    dm_schema from;
    model_of("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);", &from);
    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
        dm_schema b;
        model_of(to[i], &b);
        if (dm_sqlite_needs_rebuild(&from, &b, "t") != 1)
            fail_msg("no rebuild for %s", to[i]);
        if (dm_sqlite_needs_rebuild(&from, &b, "T") != 1) /* SQLite names: any case */
            fail_msg("no rebuild for %s named T", to[i]);
        dm_schema_free(&b);
    }
    dm_schema_free(&from);
}

/* ---- rebuilds ------------------------------------------------------------- */

static void test_type_change(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);",
        .rows = "INSERT INTO t VALUES (1, '12', 1.5), (2, 'x', 2);",
        .query = "SELECT id, a, typeof(a), b, typeof(b) FROM t ORDER BY id;",
        .expect = "1|12|integer|1.5|text\n2|x|text|2.0|text\n",
    };
    result r;
    run_case(&c, &r);
    const char *sql = dm_buf_str(&r.sql);
    assert_contains(sql, "CREATE TABLE \"_dbmig_new_t\" (\n");
    assert_contains(sql, "INSERT INTO \"_dbmig_new_t\" (\"id\", \"a\", \"b\")\n"
                         "SELECT \"id\", \"a\", \"b\" FROM \"t\";\n");
    assert_contains(sql, "ALTER TABLE \"_dbmig_new_t\" RENAME TO \"t\";\n");
    assert_line_above(sql,
                      "-- dbmig:destructive table t: column a changes type from TEXT to INTEGER: "
                      "SQLite converts the values it can; column b changes type from REAL to "
                      "TEXT: SQLite converts the values it can",
                      "DROP TABLE \"t\";");
    assert_note(&r, DM_NOTE_DESTRUCTIVE, "table t: column a", "changes type from TEXT to INTEGER");
    assert_note(&r, DM_NOTE_INFO, "table t",
                "SQLite's ALTER TABLE cannot make this change): a: type TEXT -> INTEGER, "
                "b: type REAL -> TEXT");
    assert_null(strstr(sql, "pragma_foreign_key_check")); /* no keys: no check */
    assert_null(strstr(sql, "sqlite_sequence"));
    result_free(&r);
    /* conversions that keep every value: no marker */
    rcase keep = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a BIGINT, b REAL, c INT, d TEXT, "
                "e VARCHAR(9), f NUMERIC);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a NUMERIC, b INTEGER, c TEXT, d BLOB, "
              "e CLOB, f INTEGER);",
        .rows = "INSERT INTO t VALUES (1, 9007199254740993, 3.0, 7, '007', 'e', 2.5);",
        .query = "SELECT a, b, typeof(b), c, typeof(c), d, e, f FROM t;",
        .expect = "9007199254740993|3|integer|7|text|007|e|2.5\n",
    };
    run_case(&keep, &r);
    assert_null(strstr(dm_buf_str(&r.sql), "dbmig:destructive"));
    result_free(&r);
    /* and ones that may not: an integer into REAL, a number into text */
    rcase lose = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a BIGINT, b DOUBLE, c);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b TEXT, c TEXT);",
        .rows = "INSERT INTO t VALUES (1, 9007199254740993, 0.1, 2.5);",
        .query = "SELECT CAST(a AS INTEGER), typeof(a), b, c FROM t;",
        .expect = "9007199254740992|real|0.1|2.5\n", /* ...993 is gone */
    };
    run_case(&lose, &r);
    assert_contains(dm_buf_str(&r.sql),
                    "-- dbmig:destructive table t: column a changes type from BIGINT to REAL: "
                    "SQLite converts the values it can; column b changes type from DOUBLE to "
                    "TEXT: SQLite converts the values it can; column c changes type from (none) "
                    "to TEXT: SQLite converts the values it can\nDROP TABLE");
    result_free(&r);
}

static void test_not_null(void **state)
{
    (void)state;
    rcase add = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);",
        .rows = "INSERT INTO t VALUES (1, 'x');",
        .query = "SELECT * FROM t;",
        .expect = "1|x\n",
    };
    result r;
    run_case(&add, &r);
    assert_contains(dm_buf_str(&r.sql), "-- dbmig:destructive table t: column a becomes NOT "
                                        "NULL: the copy fails if it holds NULLs\nDROP TABLE");
    assert_note(&r, DM_NOTE_DESTRUCTIVE, "table t: column a", "becomes NOT NULL");
    result_free(&r);
    /* a NULL there: the copy fails, naming the column */
    add.rows = "INSERT INTO t VALUES (1, NULL);";
    add.fails = "NOT NULL constraint failed: _dbmig_new_t.a";
    run_simple(&add);
    /* and removed: no marker */
    rcase drop = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        .rows = "INSERT INTO t VALUES (1, 'x');",
        .query = "INSERT INTO t VALUES (2, NULL); SELECT count(*) FROM t;",
        .expect = "2\n",
    };
    run_case(&drop, &r);
    assert_null(strstr(dm_buf_str(&r.sql), "dbmig:destructive"));
    result_free(&r);
    /* the rowid itself cannot hold NULLs: nothing to mark */
    rcase id = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY NOT NULL, a TEXT);",
        .rows = "INSERT INTO t (a) VALUES ('x');",
        .query = "SELECT * FROM t;",
        .expect = "1|x\n",
    };
    run_case(&id, &r);
    assert_null(strstr(dm_buf_str(&r.sql), "dbmig:destructive"));
    result_free(&r);
    /* a key column of another type can */
    id.from = "CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT);";
    id.to = "CREATE TABLE t (id TEXT PRIMARY KEY NOT NULL, a TEXT);";
    id.rows = "INSERT INTO t VALUES ('1', 'x');";
    run_case(&id, &r);
    assert_contains(dm_buf_str(&r.sql), "column id becomes NOT NULL");
    result_free(&r);
}

static void test_default_change(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'a');",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'b');",
        .rows = "INSERT INTO t (id) VALUES (1);",
        .query = "INSERT INTO t (id) VALUES (2); SELECT * FROM t ORDER BY id;",
        .expect = "1|a\n2|b\n",
    };
    run_simple(&c);
}

static void test_column_dropped(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, g TEXT AS (a || b));",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        .rows = "INSERT INTO t (id, a, b) VALUES (1, 'x', 'y');",
        .query = "SELECT * FROM t;",
        .expect = "1|x\n",
    };
    result r;
    run_case(&c, &r);
    /* the generated column held no data of its own: not in the marker */
    assert_line_above(dm_buf_str(&r.sql),
                      "-- dbmig:destructive table t: column b dropped with its data",
                      "DROP TABLE \"t\";");
    assert_note(&r, DM_NOTE_DESTRUCTIVE, "table t: column b", "dropped with its data");
    assert_note(&r, DM_NOTE_INFO, "table t", "cannot make this change): drops b, drops g");
    assert_contains(dm_buf_str(&r.sql), "(\"id\", \"a\")\nSELECT \"id\", \"a\" FROM \"t\"");
    result_free(&r);
}

/* No column in common: the rows cannot be copied, and that is said. */
static void test_nothing_to_copy(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (a TEXT);",
        .to = "CREATE TABLE t (b TEXT, c INTEGER);",
        .rows = "INSERT INTO t VALUES ('x');",
        .query = "SELECT count(*) FROM t;",
        .expect = "0\n",
    };
    result r;
    run_case(&c, &r);
    assert_null(strstr(dm_buf_str(&r.sql), "INSERT INTO"));
    assert_line_above(dm_buf_str(&r.sql),
                      "-- dbmig:destructive table t: column a dropped with its data; its rows "
                      "are lost: no column of the old table is copied",
                      "DROP TABLE \"t\";");
    assert_note(&r, DM_NOTE_DESTRUCTIVE, "table t", "its rows are lost");
    result_free(&r);
}

static void test_column_added_expression_default(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, "
              "d INTEGER NOT NULL DEFAULT (1 + 1), ts TEXT DEFAULT CURRENT_TIMESTAMP, "
              "g TEXT AS (upper(a)) STORED);",
        .rows = "INSERT INTO t VALUES (1, 'x'), (2, 'y');",
        .query = "SELECT id, a, d, ts IS NOT NULL, g FROM t ORDER BY id;",
        .expect = "1|x|2|1|X\n2|y|2|1|Y\n",
    };
    result r;
    run_case(&c, &r);
    assert_null(strstr(dm_buf_str(&r.sql), "dbmig:destructive"));
    result_free(&r);
    /* NOT NULL without a default: noted, and the copy fails on rows */
    rcase n = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL);",
        .rows = "INSERT INTO t VALUES (1, 'x');",
        .fails = "NOT NULL constraint failed: _dbmig_new_t.b",
    };
    run_case(&n, &r);
    assert_note(&r, DM_NOTE_INFO, "table t: column b", "without a default");
    result_free(&r);
    n.rows = NULL; /* an empty table: fine */
    n.fails = NULL;
    run_simple(&n);
}

static void test_primary_key_change(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a));",
        .to = "CREATE TABLE t (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));",
        .rows = "INSERT INTO t VALUES (1, 'x'), (2, 'y');",
        .query = "INSERT INTO t VALUES (1, 'z'); SELECT * FROM t ORDER BY a, b;",
        .expect = "1|x\n1|z\n2|y\n",
    };
    run_simple(&c);
    rcase back = {.from = c.to, .to = c.from, .rows = c.rows, .query = "SELECT count(*) FROM t;",
                  .expect = "2\n"};
    run_simple(&back);
    /* a key the rows break: the copy fails */
    back.rows = "INSERT INTO t VALUES (1, 'x'), (1, 'y');";
    back.fails = "UNIQUE constraint failed: _dbmig_new_t.a";
    run_simple(&back);
}

static void test_constraints(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, CONSTRAINT t_a_key UNIQUE (a, id));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT CHECK (a <> ''));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, CONSTRAINT t_a_ck CHECK (length(a) < 9));",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, p INTEGER REFERENCES t (id) "
        "ON DELETE CASCADE);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, p INTEGER, CONSTRAINT t_p_fk "
        "FOREIGN KEY (p) REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED);",
    };
    size_t n = sizeof forms / sizeof forms[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (i == j)
                continue;
            /* rows that every form accepts */
            int both_p = strstr(forms[i], " p ") && strstr(forms[j], " p ");
            rcase c = {
                .from = forms[i],
                .to = forms[j],
                .rows = both_p ? "INSERT INTO t (id, a, p) VALUES (1, 'x', NULL), (2, 'y', 1);"
                               : "INSERT INTO t (id, a) VALUES (1, 'x'), (2, 'y');",
                .query = "SELECT id, a FROM t ORDER BY id;",
                .expect = "1|x\n2|y\n",
            };
            run_simple(&c);
        }
}

/* Every pair of these versions of one table that needs a rebuild: the
 * rebuild gives `to` exactly and keeps the rows. */
static void test_matrix(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "id INTEGER PRIMARY KEY, a TEXT",
        "id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT",
        "id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT 'q'",
        "id INTEGER PRIMARY KEY, a VARCHAR(20) COLLATE NOCASE",
        "id INTEGER PRIMARY KEY, a TEXT, b INTEGER DEFAULT (2 * 3)",
        "id INTEGER PRIMARY KEY, a TEXT, b INTEGER AS (length(a)) STORED",
        "id INTEGER PRIMARY KEY, a TEXT, b INTEGER AS (length(a)) VIRTUAL",
        "id INTEGER, a TEXT NOT NULL, PRIMARY KEY (id, a)",
        "id INTEGER PRIMARY KEY, a TEXT UNIQUE, CHECK (a <> 'zz')",
        "id INTEGER PRIMARY KEY, a TEXT, p INTEGER REFERENCES t (id) ON DELETE SET NULL",
        "id BIGINT PRIMARY KEY, a TEXT",
        "id INTEGER PRIMARY KEY, a BLOB",
        "a TEXT, id INTEGER PRIMARY KEY",
    };
    static const char *const extras[] = {
        "",
        "CREATE INDEX t_a ON t (a);",
        "CREATE TRIGGER t_tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END;",
    };
    enum { N = sizeof forms / sizeof forms[0] };
    char sql[N][512];
    dm_schema m[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(sql[i], sizeof sql[i], "CREATE TABLE log (m TEXT); CREATE TABLE t (%s);%s",
                 forms[i], extras[i % 3]);
        model_of(sql[i], &m[i]);
    }
    size_t n = N, rebuilt = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int need = dm_sqlite_needs_rebuild(&m[i], &m[j], "t");
            if (i == j)
                assert_int_equal(need, 0);
            if (!need) /* the same, or an ADD COLUMN: the generator's */
                continue;
            rebuilt++;
            rcase c = {
                .from = sql[i],
                .to = sql[j],
                .rows = "INSERT INTO t (id, a) VALUES (1, 'x'), (2, 'y');",
                .query = "SELECT id, a FROM t ORDER BY id;",
                .expect = "1|x\n2|y\n",
            };
            run_simple(&c);
        }
    for (size_t i = 0; i < N; i++)
        dm_schema_free(&m[i]);
    assert_true(rebuilt > n * (n - 1) / 2);
}

static void test_autoincrement(void **state)
{
    (void)state;
    const char *rows = "INSERT INTO t (a) VALUES ('x'), ('y'), ('z'); DELETE FROM t WHERE id = 3;";
    rcase c = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL DEFAULT '');",
        .rows = rows,
        /* 3 was handed out before: AUTOINCREMENT never hands it out again */
        .query = "INSERT INTO t (a) VALUES ('w'); SELECT * FROM t ORDER BY id;"
                 "SELECT name, seq FROM sqlite_sequence;",
        .expect = "1|x\n2|y\n4|w\nt|4\n",
    };
    result r;
    run_case(&c, &r);
    assert_contains(dm_buf_str(&r.sql), "INSERT INTO sqlite_sequence (name, seq) SELECT "
                                        "'_dbmig_new_t', seq FROM sqlite_sequence WHERE name = "
                                        "'t';\n");
    result_free(&r);
    /* AUTOINCREMENT added: ids go on after the highest row */
    rcase add = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
        .to = c.from,
        .rows = rows,
        .query = "INSERT INTO t (a) VALUES ('w'); SELECT * FROM t ORDER BY id;",
        .expect = "1|x\n2|y\n3|w\n",
    };
    run_simple(&add);
    /* and removed: the sequence row goes with the old table */
    rcase rm = {
        .from = c.from,
        .to = add.from,
        .rows = rows,
        .query = "SELECT count(*) FROM sqlite_sequence;",
        .expect = "0\n",
    };
    run_simple(&rm);
}

static void test_indexes_and_triggers(void **state)
{
    (void)state;
    const char *extra = "CREATE INDEX t_a ON t (a DESC);"
                        "CREATE UNIQUE INDEX t_b ON t (b) WHERE b IS NOT NULL;"
                        "CREATE INDEX t_lower ON t (lower(a));"
                        "CREATE TABLE log (m TEXT);"
                        "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN "
                        "INSERT INTO log VALUES ('ins ' || new.a); END;";
    char from[1024], to[1024];
    snprintf(from, sizeof from, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);%s",
             extra);
    snprintf(to, sizeof to, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL "
                            "DEFAULT '');%s",
             extra);
    rcase c = {
        .from = from,
        .to = to,
        .rows = "INSERT INTO t VALUES (1, 'X', 'b1');",
        .query = "INSERT INTO t (id, a) VALUES (2, 'Y'); SELECT * FROM log;"
                 "SELECT name FROM sqlite_master WHERE tbl_name = 't' ORDER BY name;",
        .expect = "ins X\nins Y\nt\nt_a\nt_b\nt_ins\nt_lower\n",
    };
    run_simple(&c);
}

/* A trigger on another table that reads t: the rename must not trip on
 * it (legacy_alter_table), and it reads the new table after. */
static void test_trigger_elsewhere(void **state)
{
    (void)state;
    const char *other = "CREATE TABLE log (m TEXT);"
                        "CREATE TABLE ev (tid INTEGER);"
                        "CREATE TRIGGER ev_ins AFTER INSERT ON ev BEGIN "
                        "INSERT INTO log SELECT a FROM t WHERE id = new.tid; END;";
    char from[1024], to[1024];
    snprintf(from, sizeof from, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);%s",
             other);
    snprintf(to, sizeof to, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);%s", other);
    rcase c = {
        .from = from,
        .to = to,
        .rows = "INSERT INTO t VALUES (1, 'x', 'b');",
        .query = "INSERT INTO ev VALUES (1); SELECT * FROM log;",
        .expect = "x\n",
    };
    run_simple(&c);
}

/* p is rebuilt; c's key still points at it, and is checked. */
static void test_referenced_table(void **state)
{
    (void)state;
    const char *child = "CREATE TABLE c (id INTEGER PRIMARY KEY, "
                        "pid INTEGER REFERENCES p (id) ON DELETE CASCADE);";
    char from[512], to[512];
    snprintf(from, sizeof from, "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);%s", child);
    snprintf(to, sizeof to, "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
                            "DEFAULT '?');%s", child);
    rcase c = {
        .from = from,
        .to = to,
        .table = "p",
        .rows = "INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO c VALUES (10, 1), (11, 2);",
        /* the child's rows are all there (DROP TABLE p cascaded nothing) */
        .query = "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('c');"
                 "SELECT count(*) FROM c; SELECT count(*) FROM pragma_foreign_key_check;",
        .expect = "p|pid|id|CASCADE\n2\n0\n",
    };
    result r;
    run_case(&c, &r);
    const char *sql = dm_buf_str(&r.sql);
    assert_contains(sql, "DROP TABLE IF EXISTS temp._dbmig_fk_check;\n"
                         "CREATE TEMP TABLE _dbmig_fk_check (\n  n1 INTEGER CONSTRAINT "
                         "\"foreign key check after rebuilding table p: rows of table c point "
                         "at no parent row (list them: SELECT * FROM "
                         "pragma_foreign_key_check('c'))\" CHECK (n1 = 0)\n);\n");
    assert_contains(sql, "INSERT INTO temp._dbmig_fk_check SELECT\n  (SELECT count(*) FROM "
                         "pragma_foreign_key_check('c', 'main'));\n"
                         "DROP TABLE temp._dbmig_fk_check;\n");
    assert_note(&r, DM_NOTE_INFO, "table p", "ends with a foreign-key check");
    /* c's ON DELETE CASCADE: the guard before the DROP */
    assert_contains(sql, "DROP TABLE IF EXISTS temp._dbmig_fk_off;\nCREATE TEMP TABLE "
                         "_dbmig_fk_off (\n");
    assert_contains(sql, "INSERT INTO temp._dbmig_fk_off SELECT foreign_keys FROM "
                         "pragma_foreign_keys;\nDROP TABLE temp._dbmig_fk_off;\n");
    result_free(&r);
    /* which stops a connection that turned foreign keys on: DROP TABLE p
     * would have deleted c's rows */
    c.rows = "PRAGMA foreign_keys = ON;"
             "INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO c VALUES (10, 1), (11, 2);";
    c.fails = "CHECK constraint failed: rebuilding table p needs PRAGMA foreign_keys off";
    run_simple(&c);
    /* no key with an ON DELETE action: no guard */
    rcase plain = {
        .from = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);"
                "CREATE TABLE c (pid INTEGER REFERENCES p (id) ON DELETE RESTRICT);",
        .to = "CREATE TABLE p (id INTEGER PRIMARY KEY, name INTEGER);"
              "CREATE TABLE c (pid INTEGER REFERENCES p (id) ON DELETE RESTRICT);",
        .table = "p",
        .rows = "INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES (1);",
        .query = "SELECT count(*) FROM c;",
        .expect = "1\n",
    };
    run_case(&plain, &r);
    assert_null(strstr(dm_buf_str(&r.sql), "_dbmig_fk_off"));
    assert_contains(dm_buf_str(&r.sql), "pragma_foreign_key_check('c', 'main')");
    result_free(&r);
}

/* A key added that the rows break: the check fails, naming the tables. */
static void test_violation_caught(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                "CREATE TABLE t (id INTEGER PRIMARY KEY, pid INTEGER);",
        .to = "CREATE TABLE p (id INTEGER PRIMARY KEY);"
              "CREATE TABLE t (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id));",
        .rows = "INSERT INTO p VALUES (1); INSERT INTO t VALUES (1, 1), (2, 7);",
        .fails = "CHECK constraint failed: foreign key check after rebuilding table t: rows of "
                 "table t point at no parent row (list them: SELECT * FROM "
                 "pragma_foreign_key_check('t'))",
    };
    run_simple(&c);
    c.rows = "INSERT INTO p VALUES (1); INSERT INTO t VALUES (1, 1), (2, NULL);"; /* fine */
    c.fails = NULL;
    c.query = "SELECT count(*) FROM t;";
    c.expect = "2\n";
    run_simple(&c);
    /* a parent rebuilt without a row its child needs: the child is named */
    rcase p = {
        .from = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE);"
                "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code));",
        .to = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE, "
              "CHECK (code <> 'zz'));"
              "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code));",
        .table = "p",
        .rows = "INSERT INTO p VALUES (1, 'a'); INSERT INTO t VALUES (1, 'b');",
        .fails = "rebuilding table p: rows of table t point at no parent row",
    };
    run_simple(&p);
}

static void exec_ok(sqlite3 *h, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s\n%s", err ? err : "?", sql);
    sqlite3_free(err);
}

/* A check that fails outside a transaction (a `transaction off` revision;
 * diff verifying again on the same connection) leaves its temporary
 * tables in the session: the next run on that connection drops them
 * first instead of failing on "already exists". */
static void test_failed_check_then_again(void **state)
{
    (void)state;
    const char *from_sql = "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                           "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id) "
                           "ON DELETE CASCADE);";
    dm_schema from, to;
    model_of(from_sql, &from);
    model_of("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');"
             "CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id) "
             "ON DELETE CASCADE);",
             &to);
    result r;
    memset(&r, 0, sizeof r);
    write_rebuild(&from, &to, "p", &r);
    char db[300];
    new_db(db, sizeof db);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    exec_ok(h, from_sql);
    exec_ok(h, "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1), (2, 7);");
    char *err = NULL;
    assert_int_not_equal(sqlite3_exec(h, dm_buf_str(&r.sql), NULL, NULL, &err), SQLITE_OK);
    assert_non_null(err);
    assert_contains(err, "rows of table c point at no parent row");
    sqlite3_free(err);
    /* the same connection, the schema as it was, the bad row gone */
    exec_ok(h, "DROP TABLE c; DROP TABLE p;");
    exec_ok(h, from_sql);
    exec_ok(h, "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1);");
    exec_ok(h, dm_buf_str(&r.sql));
    sqlite3_close(h);
    result_free(&r);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* Two tables rebuilt together, in name order: a child's keys are checked
 * at the rebuild of the last of it and its rebuilt parents, when the
 * parent key exists (else "foreign key mismatch"). */
static void test_rebuilds_in_name_order(void **state)
{
    (void)state;
    dm_schema from, to, got;
    const char *to_sql = "CREATE TABLE a (id INTEGER PRIMARY KEY, bc TEXT REFERENCES b (code));"
                         "CREATE TABLE b (id INTEGER PRIMARY KEY, code TEXT UNIQUE);";
    model_of("CREATE TABLE a (id INTEGER PRIMARY KEY, bc TEXT);"
             "CREATE TABLE b (id INTEGER PRIMARY KEY, code TEXT);",
             &from);
    model_of(to_sql, &to);
    assert_int_equal(dm_sqlite_needs_rebuild(&from, &to, "a"), 1);
    assert_int_equal(dm_sqlite_needs_rebuild(&from, &to, "b"), 1);
    result ra, rb;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    write_rebuild(&from, &to, "a", &ra);
    write_rebuild(&from, &to, "b", &rb);
    assert_null(strstr(dm_buf_str(&ra.sql), "pragma_foreign_key_check")); /* b comes later */
    assert_contains(dm_buf_str(&rb.sql), "rows of table a point at no parent row");
    dm_buf all = {0};
    assert_int_equal(dm_schema_render_sql(&from, NULL, NULL, &all), 0);
    dm_buf_printf(&all, "INSERT INTO b VALUES (1, 'x'); INSERT INTO a VALUES (1, 'x');\n"
                        "BEGIN;\n%s%sCOMMIT;\n",
                  dm_buf_str(&ra.sql), dm_buf_str(&rb.sql));
    char db[300], out[4096];
    new_db(db, sizeof db);
    int rc = run_sql(db, dm_buf_str(&all), out, sizeof out);
    if (rc)
        print_error("%s\n%s\n", dm_buf_str(&all), out);
    assert_int_equal(rc, 0);
    inspect_db(db, &got);
    assert_same_model(&got, &to, dm_buf_str(&all));
    dm_schema_free(&got);
    dm_buf_free(&all);
    result_free(&ra);
    result_free(&rb);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* A child's key on a unique index the generator creates after the
 * rebuilds: not checked (the pragma would fail), and noted. */
static void test_parent_index_created_later(void **state)
{
    (void)state;
    dm_schema from, to;
    model_of("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
             "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT);",
             &from);
    model_of("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
             "CREATE UNIQUE INDEX p_code ON p (code);"
             "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code));",
             &to);
    assert_int_equal(dm_sqlite_needs_rebuild(&from, &to, "p"), 0);
    result r;
    memset(&r, 0, sizeof r);
    write_rebuild(&from, &to, "t", &r);
    assert_null(strstr(dm_buf_str(&r.sql), "pragma_foreign_key_check"));
    assert_note(&r, DM_NOTE_INFO, "table t", "not checked");
    result_free(&r);
    dm_schema_free(&from);
    dm_schema_free(&to);
    /* the same index already there: checked */
    model_of("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
             "CREATE UNIQUE INDEX p_code ON p (code);"
             "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT);",
             &from);
    model_of("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
             "CREATE UNIQUE INDEX p_code ON p (code);"
             "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code));",
             &to);
    memset(&r, 0, sizeof r);
    write_rebuild(&from, &to, "t", &r);
    assert_contains(dm_buf_str(&r.sql), "pragma_foreign_key_check('t', 'main')");
    result_free(&r);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

/* A key on a parent column that is no key at all (SQLite takes it while
 * foreign keys are off): the pragma would fail with "foreign key
 * mismatch", so that child is not checked and the rebuild runs. */
static void test_key_on_plain_column(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
                "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT);",
        .to = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
              "CREATE TABLE t (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code));",
        .rows = "INSERT INTO p VALUES (1, 'a'); INSERT INTO t VALUES (1, 'zz');",
        .query = "SELECT count(*) FROM t;",
        .expect = "1\n",
    };
    result r;
    run_case(&c, &r);
    assert_null(strstr(dm_buf_str(&r.sql), "pragma_foreign_key_check"));
    assert_note(&r, DM_NOTE_INFO, "table t", "not checked");
    result_free(&r);
}

static void test_generated_columns(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, v TEXT AS (lower(a)) VIRTUAL, "
                "s TEXT AS (upper(a)) STORED);",
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, v TEXT AS (a || a) "
              "VIRTUAL, s TEXT AS (upper(a)) STORED, k TEXT);",
        .rows = "INSERT INTO t (id, a) VALUES (1, 'Ab');",
        .query = "SELECT * FROM t;",
        .expect = "1|Ab|AbAb|AB|\n",
    };
    result r;
    run_case(&c, &r);
    /* generated columns are never inserted into */
    assert_contains(dm_buf_str(&r.sql), "(\"id\", \"a\")\nSELECT \"id\", \"a\" FROM \"t\"");
    result_free(&r);
    /* a stored column becomes a plain one: its values are copied */
    rcase plain = {
        .from = c.from,
        .to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, v TEXT AS (lower(a)) VIRTUAL, "
              "s TEXT);",
        .rows = c.rows,
        .query = "SELECT * FROM t;",
        .expect = "1|Ab|ab|AB\n",
    };
    run_simple(&plain);
}

/* Names that need quoting, in the table, its columns and the new name. */
static void test_quoted_names(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE \"my \"\"t\" (\"the id\" INTEGER PRIMARY KEY, \"select\" TEXT);"
                "CREATE TABLE kid (x INTEGER REFERENCES \"my \"\"t\" (\"the id\"));",
        .to = "CREATE TABLE \"my \"\"t\" (\"the id\" INTEGER PRIMARY KEY, \"select\" INTEGER);"
              "CREATE TABLE kid (x INTEGER REFERENCES \"my \"\"t\" (\"the id\"));",
        .table = "my \"t",
        .rows = "INSERT INTO \"my \"\"t\" VALUES (1, '5'); INSERT INTO kid VALUES (1);",
        .query = "SELECT * FROM \"my \"\"t\"; SELECT \"table\" FROM pragma_foreign_key_list('kid');",
        .expect = "1|5\nmy \"t\n",
    };
    result r;
    run_case(&c, &r);
    assert_contains(dm_buf_str(&r.sql), "CREATE TABLE \"_dbmig_new_my \"\"t\" (");
    result_free(&r);
}

/* Every allocation of a rebuild failing in turn: -1 each time, nothing
 * leaked (valgrind / LeakSanitizer), and the same text once none fails. */
/* A table already named like the new one: another name is taken. */
static void test_new_name_taken(void **state)
{
    (void)state;
    rcase c = {
        .from = "CREATE TABLE t (a TEXT); CREATE TABLE _dbmig_new_t (x);",
        .to = "CREATE TABLE t (a INTEGER); CREATE TABLE _dbmig_new_t (x);",
        .rows = "INSERT INTO t VALUES ('1'); INSERT INTO _dbmig_new_t VALUES (7);",
        .query = "SELECT a, typeof(a) FROM t; SELECT x FROM _dbmig_new_t;",
        .expect = "1|integer\n7\n",
    };
    result r;
    run_case(&c, &r);
    assert_contains(dm_buf_str(&r.sql), "CREATE TABLE \"_dbmig_new2_t\" (");
    result_free(&r);
}

static void test_oom(void **state)
{
    (void)state;
    dm_schema from, to;
    model_of("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE);"
             "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b TEXT, "
             "pc TEXT REFERENCES p (code) ON DELETE CASCADE);"
             "CREATE INDEX t_a ON t (a); CREATE TRIGGER t_tr AFTER INSERT ON t BEGIN SELECT 1; END;",
             &from);
    model_of("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE);"
             "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER NOT NULL, "
             "c TEXT NOT NULL, pc TEXT REFERENCES p (code) ON DELETE CASCADE, "
             "CHECK (a > 0));"
             "CREATE INDEX t_a ON t (a); CREATE TRIGGER t_tr AFTER INSERT ON t BEGIN SELECT 1; END;"
             "CREATE TABLE u (tid INTEGER REFERENCES t (id));",
             &to);
    result want;
    memset(&want, 0, sizeof want);
    write_rebuild(&from, &to, "t", &want);
    for (long k = 1;; k++) {
        result r;
        memset(&r, 0, sizeof r);
        dm_sqlw w = {&to, NULL, NULL, &r.sql, 0};
        g_count = g_failed = 0;
        g_fail_at = k;
        int rc = dm_sqlite_rebuild(&w, &from, "t", &r.nstmt, &r.notes);
        g_fail_at = 0;
        if (!g_failed) {
            assert_int_equal(rc, 0);
            assert_string_equal(dm_buf_str(&r.sql), dm_buf_str(&want.sql));
            result_free(&r);
            break;
        }
        assert_int_equal(rc, -1);
        result_free(&r);
    }
    result_free(&want);
    dm_schema_free(&from);
    dm_schema_free(&to);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/dbmig-sqlite-rebuild-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    char mig[300];
    snprintf(mig, sizeof mig, "%s/migrations", g_dir);
    if (mkdir(mig, 0755))
        return -1;
    dm_dnotes probe = {0};
    dm_dnotes_add(&probe, DM_NOTE_INFO, "x", "probe");
    g_notes_on = probe.n == 1;
    if (!g_notes_on)
        print_message("dm_dnotes_add is the placeholder: notes are not checked\n");
    dm_dnotes_free(&probe);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_column_forms),
        cmocka_unit_test(test_needs_rebuild),
        cmocka_unit_test(test_type_change),
        cmocka_unit_test(test_not_null),
        cmocka_unit_test(test_default_change),
        cmocka_unit_test(test_column_dropped),
        cmocka_unit_test(test_column_added_expression_default),
        cmocka_unit_test(test_nothing_to_copy),
        cmocka_unit_test(test_primary_key_change),
        cmocka_unit_test(test_constraints),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_autoincrement),
        cmocka_unit_test(test_indexes_and_triggers),
        cmocka_unit_test(test_trigger_elsewhere),
        cmocka_unit_test(test_referenced_table),
        cmocka_unit_test(test_violation_caught),
        cmocka_unit_test(test_failed_check_then_again),
        cmocka_unit_test(test_rebuilds_in_name_order),
        cmocka_unit_test(test_parent_index_created_later),
        cmocka_unit_test(test_key_on_plain_column),
        cmocka_unit_test(test_generated_columns),
        cmocka_unit_test(test_quoted_names),
        cmocka_unit_test(test_new_name_taken),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
