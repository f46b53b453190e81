/* test_schema_diff.c — the migration generator (core/schema_diff.h) on
 * hand-made models: the exact SQL of each kind of change in PostgreSQL and
 * MySQL/MariaDB (and what SQLite does without a rebuild), the order of the
 * phases (foreign keys dropped before the tables they point at, views
 * created after their tables), the destructive lines and notes, the rename
 * hints, determinism, refusals, and every allocation failing in turn
 * (this executable wraps the allocator: tests/unit/CMakeLists.txt). The
 * same kinds of change were run by hand on PostgreSQL 15 and MariaDB 10.11
 * (up and down, inspected back equal); the closure test in tests/diff/
 * runs them at scale. REGEN=1 prints the SQL of an expectation left
 * empty (XP), for a new case. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema_diff.h"
#include "schema_diff_int.h"

/* ---- the allocator wrappers (test_oom) ------------------------------------ */

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

static struct {
    long count, fail_at, failed;
} A; /* test-only; the generator is single-threaded */

static int al_fail(void)
{
    if (!A.fail_at)
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

/* ---- building models --------------------------------------------------------- */

#define PG DBMIG_DIALECT_POSTGRES
#define MY DBMIG_DIALECT_MYSQL
#define LT DBMIG_DIALECT_SQLITE
#define NUL DBMIG_SO_NULLABLE
#define IDN DBMIG_SO_IDENTITY

static dbmig_schema_object so(int kind, const char *table, const char *name)
{
    dbmig_schema_object o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.kind = (uint32_t)kind;
    o.table = table;
    o.name = name;
    return o;
}

static void add(dm_schema *s, const dbmig_schema_object *o)
{
    dm_err e = {0};
    int rc = dm_schema_add(s, o, &e);
    if (rc)
        print_error("add failed: %s\n", dm_err_msg(&e));
    assert_int_equal(rc, 0);
    dm_err_free(&e);
}

/* "a,b" -> v[], n (the strings live in buf). */
static uint32_t split(const char *list, char *buf, size_t cap, const char **v, uint32_t max)
{
    uint32_t n = 0;
    if (!list)
        return 0;
    snprintf(buf, cap, "%s", list);
    for (char *p = buf; n < max;) {
        v[n++] = p;
        char *bar = strchr(p, '|');
        if (!bar)
            break;
        *bar = '\0';
        p = bar + 1;
    }
    return n;
}

static void T(dm_schema *s, const char *name) { dbmig_schema_object o = so(DBMIG_SO_TABLE, NULL, name); add(s, &o); }

static void C(dm_schema *s, const char *t, const char *n, uint32_t pos, const char *type,
              uint32_t flags, const char *dflt)
{
    dbmig_schema_object o = so(DBMIG_SO_COLUMN, t, n);
    o.position = pos;
    o.type = type;
    o.flags = flags;
    o.default_expr = dflt;
    add(s, &o);
}

__attribute__((unused)) static void G(dm_schema *s, const char *t, const char *n, uint32_t pos, const char *type,
              const char *expr, int stored)
{
    dbmig_schema_object o = so(DBMIG_SO_COLUMN, t, n);
    o.position = pos;
    o.type = type;
    o.flags = NUL | (stored ? DBMIG_SO_GENERATED_STORED : 0);
    o.generated = expr;
    add(s, &o);
}

/* A key (PRIMARY_KEY, UNIQUE), an index (flags, predicate, method) or a
 * check (cols is the expression). Columns "a|b". */
static void K(dm_schema *s, int kind, const char *t, const char *n, const char *cols)
{
    char buf[256];
    const char *v[8];
    dbmig_schema_object o = so(kind, t, n);
    if (kind == DBMIG_SO_CHECK) {
        o.definition = cols;
    } else {
        o.ncolumns = split(cols, buf, sizeof buf, v, 8);
        o.columns = v;
    }
    add(s, &o);
}

static void IX(dm_schema *s, const char *t, const char *n, const char *cols, uint32_t flags,
               const char *pred, const char *method)
{
    char buf[256];
    const char *v[8];
    dbmig_schema_object o = so(DBMIG_SO_INDEX, t, n);
    o.ncolumns = split(cols, buf, sizeof buf, v, 8);
    o.columns = v;
    o.flags = flags;
    o.predicate = pred;
    o.method = method;
    add(s, &o);
}

static void FK(dm_schema *s, const char *t, const char *n, const char *cols, const char *ref,
               const char *refcols, const char *on_delete)
{
    char b1[256], b2[256];
    const char *v[8], *w[8];
    dbmig_schema_object o = so(DBMIG_SO_FOREIGN_KEY, t, n);
    o.ncolumns = split(cols, b1, sizeof b1, v, 8);
    o.columns = v;
    o.ref_table = ref;
    o.nref_columns = split(refcols, b2, sizeof b2, w, 8);
    o.ref_columns = w;
    o.on_delete = on_delete;
    add(s, &o);
}

/* VIEW, FUNCTION, TRIGGER (table), SEQUENCE (owner table and column). */
__attribute__((unused)) static void D(dm_schema *s, int kind, const char *t, const char *n, const char *def,
              const char *owner_col)
{
    dbmig_schema_object o = so(kind, t, n);
    o.definition = def;
    o.columns = &owner_col;
    o.ncolumns = owner_col ? 1 : 0;
    add(s, &o);
}

/* ---- running it --------------------------------------------------------------- */

typedef struct {
    dm_buf sql;
    size_t n;
    dm_dnotes notes;
    int rc;
    dm_err e;
} run_t;

static void diff(run_t *r, dm_schema *a, dm_schema *b, int concurrently)
{
    memset(r, 0, sizeof *r);
    dm_schema_sort(a);
    dm_schema_sort(b);
    dm_diff_opts o = {NULL, NULL, concurrently};
    r->rc = dm_schema_diff(a, b, &o, &r->sql, &r->n, &r->notes, &r->e);
}

static void run_free(run_t *r)
{
    dm_buf_free(&r->sql);
    dm_dnotes_free(&r->notes);
    dm_err_free(&r->e);
}

/* Prints s as a C string literal (REGEN=1: the expectations' source). */
static void print_literal(const char *s)
{
    printf("        \"");
    for (const char *p = s; *p; p++) {
        if (*p == '\n')
            printf(p[1] ? "\\n\"\n        \"" : "\\n");
        else if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else
            putchar(*p);
    }
    printf("\",\n");
}

/* Diffs a -> b, expects the SQL exactly and n statements. */
static void expect(dm_schema *a, dm_schema *b, int conc, const char *want, size_t n)
{
    run_t r;
    diff(&r, a, b, conc);
    if (r.rc)
        fail_msg("diff failed: %s", dm_err_msg(&r.e));
    if (getenv("REGEN") && !want[0]) {
        printf("@@@\n");
        print_literal(dm_buf_str(&r.sql));
        printf("        %zu\n", r.n);
        run_free(&r);
        return;
    } else if (strcmp(dm_buf_str(&r.sql), want)) {
        fail_msg("got:\n%s\n---- want:\n%s", dm_buf_str(&r.sql), want);
    }
    assert_int_equal(r.n, n);
    run_free(&r);
}

/* The notes of a -> b, one line each "<kind> <object>: <text>". */
__attribute__((unused)) static char *notes_of(dm_schema *a, dm_schema *b)
{
    run_t r;
    diff(&r, a, b, 0);
    assert_int_equal(r.rc, 0);
    dm_buf out = {0};
    for (size_t i = 0; i < r.notes.n; i++)
        dm_buf_printf(&out, "%d %s: %s\n", r.notes.v[i].kind, r.notes.v[i].object,
                      r.notes.v[i].text);
    run_free(&r);
    return dm_buf_take(&out);
}

static void M(dm_schema *s, int dialect)
{
    memset(s, 0, sizeof *s);
    s->dialect = dialect;
}

static void free2(dm_schema *a, dm_schema *b)
{
    dm_schema_free(a);
    dm_schema_free(b);
}

/* users (id, email) with a primary key, the start of most cases. */
static void users(dm_schema *s, int d)
{
    T(s, "users");
    C(s, "users", "id", 1, d == MY ? "int(11)" : "integer", IDN, NULL);
    C(s, "users", "email", 2, d == MY ? "varchar(255)" : "character varying(255)", NUL, NULL);
    K(s, DBMIG_SO_PRIMARY_KEY, "users", d == MY ? "" : "users_pkey", "id");
}

#define XP "", 0 /* REGEN=1 prints the SQL of an expectation left empty */

/* ---- tests -------------------------------------------------------------------- */

static void test_no_change(void **state)
{
    (void)state;
    for (int d = PG; d <= LT; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        users(&a, d), users(&b, d);
        run_t r;
        diff(&r, &a, &b, 0);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.n, 0);
        assert_int_equal(r.sql.len, 0);
        assert_int_equal(r.notes.n, 0);
        run_free(&r);
        free2(&a, &b);
    }
}


/* orders (id, user_id -> users, total) with its key, index and foreign key. */
static void orders(dm_schema *s, int d)
{
    T(s, "orders");
    C(s, "orders", "id", 1, d == MY ? "bigint(20)" : "bigint", IDN, NULL);
    C(s, "orders", "user_id", 2, d == MY ? "int(11)" : "integer", 0, NULL);
    C(s, "orders", "total", 3, d == MY ? "decimal(10,2)" : "numeric(10,2)", 0, "0");
    K(s, DBMIG_SO_PRIMARY_KEY, "orders", d == MY ? "" : "orders_pkey", "id");
    FK(s, "orders", d == LT ? "" : "orders_user_fk", "user_id", "users", "id", "CASCADE");
    IX(s, "orders", "orders_user_idx", "user_id", 0, NULL, NULL);
}

/* A new table with its key, index and foreign key, and back. */
static void test_tables(void **state)
{
    (void)state;
    for (int d = PG; d <= LT; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        users(&a, d), users(&b, d);
        orders(&b, d);
        if (d == PG) {
            expect(&a, &b, 0,
        "CREATE TABLE \"orders\" (\n"
        "  \"id\" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,\n"
        "  \"user_id\" integer NOT NULL,\n"
        "  \"total\" numeric(10,2) DEFAULT 0 NOT NULL,\n"
        "  CONSTRAINT \"orders_pkey\" PRIMARY KEY (\"id\")\n"
        ");\n"
        "\n"
        "CREATE INDEX \"orders_user_idx\" ON \"orders\" (\"user_id\");\n"
        "\n"
        "ALTER TABLE \"orders\" ADD CONSTRAINT \"orders_user_fk\" FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\") ON DELETE CASCADE;\n",
        3);
            expect(&b, &a, 0,
        "-- dbmig:destructive drop table orders\n"
        "DROP TABLE \"orders\";\n",
        1);
        } else if (d == MY) {
            expect(&a, &b, 0,
        "CREATE TABLE `orders` (\n"
        "  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n"
        "  `user_id` int(11) NOT NULL,\n"
        "  `total` decimal(10,2) DEFAULT 0 NOT NULL,\n"
        "  PRIMARY KEY (`id`)\n"
        ");\n"
        "\n"
        "CREATE INDEX `orders_user_idx` ON `orders` (`user_id`);\n"
        "\n"
        "ALTER TABLE `orders` ADD CONSTRAINT `orders_user_fk` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE;\n",
        3);
            expect(&b, &a, 0,
        "-- dbmig:destructive drop table orders\n"
        "DROP TABLE `orders`;\n",
        1);
        } else {
            expect(&a, &b, 0,
        "CREATE TABLE \"orders\" (\n"
        "  \"id\" bigint CONSTRAINT \"orders_pkey\" PRIMARY KEY AUTOINCREMENT NOT NULL,\n"
        "  \"user_id\" integer NOT NULL,\n"
        "  \"total\" numeric(10,2) DEFAULT 0 NOT NULL,\n"
        "  FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\") ON DELETE CASCADE\n"
        ");\n"
        "\n"
        "CREATE INDEX \"orders_user_idx\" ON \"orders\" (\"user_id\");\n",
        2);
            expect(&b, &a, 0,
        "-- dbmig:destructive drop table orders\n"
        "DROP TABLE \"orders\";\n",
        1);
        }
        free2(&a, &b);
    }
}

/* Two tables that go, one pointing at the other, and a kept table whose
 * key pointed at one of them: every foreign key into a table that goes is
 * dropped before any DROP TABLE. */
static void test_drop_order(void **state)
{
    (void)state;
    for (int d = PG; d <= MY; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        T(&a, "a_parent");
        C(&a, "a_parent", "id", 1, "integer", 0, NULL);
        K(&a, DBMIG_SO_PRIMARY_KEY, "a_parent", d == MY ? "" : "a_parent_pkey", "id");
        T(&a, "z_child");
        C(&a, "z_child", "pid", 1, "integer", NUL, NULL);
        FK(&a, "z_child", "z_child_fk", "pid", "a_parent", "id", NULL);
        T(&a, "keep"), T(&b, "keep");
        C(&a, "keep", "pid", 1, "integer", NUL, NULL);
        C(&b, "keep", "pid", 1, "integer", NUL, NULL);
        FK(&a, "keep", "keep_fk", "pid", "a_parent", "id", NULL);
        IX(&a, "keep", "keep_pid", "pid", 0, NULL, NULL), IX(&b, "keep", "keep_pid", "pid", 0, NULL, NULL);
        if (d == PG)
            expect(&a, &b, 0,
        "ALTER TABLE \"keep\" DROP CONSTRAINT \"keep_fk\";\n"
        "ALTER TABLE \"z_child\" DROP CONSTRAINT \"z_child_fk\";\n"
        "\n"
        "-- dbmig:destructive drop table a_parent\n"
        "DROP TABLE \"a_parent\";\n"
        "-- dbmig:destructive drop table z_child\n"
        "DROP TABLE \"z_child\";\n",
        4);
        else
            expect(&a, &b, 0,
        "ALTER TABLE `keep` DROP FOREIGN KEY `keep_fk`;\n"
        "ALTER TABLE `z_child` DROP FOREIGN KEY `z_child_fk`;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `keep` DROP INDEX `keep_fk`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'keep' AND INDEX_NAME = 'keep_fk');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "\n"
        "-- dbmig:destructive drop table a_parent\n"
        "DROP TABLE `a_parent`;\n"
        "-- dbmig:destructive drop table z_child\n"
        "DROP TABLE `z_child`;\n",
        8);
        free2(&a, &b);
    }
}

/* A table that goes keeps its foreign keys until phase 4, too late for a
 * key of a kept table that it points at and that changes in phase 3: such
 * a foreign key is dropped in phase 2 (found by the closure test). */
static void test_fk_of_gone_table(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, PG);
    T(&a, "p"), T(&b, "p");
    C(&a, "p", "c6", 1, "integer", 0, NULL), C(&b, "p", "c6", 1, "integer", 0, NULL);
    C(&a, "p", "c7", 2, "integer", 0, NULL), C(&b, "p", "c7", 2, "integer", 0, NULL);
    K(&a, DBMIG_SO_PRIMARY_KEY, "p", "p_pkey", "c6");
    K(&b, DBMIG_SO_PRIMARY_KEY, "p", "u19", "c7");
    T(&a, "t8");
    C(&a, "t8", "c9", 1, "integer", 0, NULL);
    FK(&a, "t8", "f18", "c9", "p", "c6", NULL);
    T(&a, "q"), T(&b, "q");
    C(&a, "q", "id", 1, "integer", 0, NULL), C(&b, "q", "id", 1, "integer", 0, NULL);
    K(&a, DBMIG_SO_PRIMARY_KEY, "q", "q_pkey", "id"), K(&b, DBMIG_SO_PRIMARY_KEY, "q", "q_pkey", "id");
    T(&a, "t9"); /* its key points at a key that stays: DROP TABLE takes it */
    C(&a, "t9", "c7", 1, "integer", 0, NULL);
    FK(&a, "t9", "f19", "c7", "q", "id", NULL);
    expect(&a, &b, 0,
        "ALTER TABLE \"t8\" DROP CONSTRAINT \"f18\";\n"
        "\n"
        "ALTER TABLE \"p\" DROP CONSTRAINT \"p_pkey\";\n"
        "\n"
        "-- dbmig:destructive drop table t8\n"
        "DROP TABLE \"t8\";\n"
        "-- dbmig:destructive drop table t9\n"
        "DROP TABLE \"t9\";\n"
        "\n"
        "ALTER TABLE \"p\" ADD CONSTRAINT \"u19\" PRIMARY KEY (\"c7\");\n",
        5);
    free2(&a, &b);
}

/* Column changes on PostgreSQL: one step per statement, in the order that
 * works. */
static void pg_cols(dm_schema *s, int after)
{
    T(s, "t");
    C(s, "t", "id", 1, after ? "bigint" : "integer", after ? IDN : 0, NULL);
    C(s, "t", "email", 2, after ? "character varying(100)" : "character varying(255)",
      after ? 0 : NUL, NULL);
    C(s, "t", "age", 3, "integer", NUL, after ? "1" : "0");
    C(s, "t", "code", 4, after ? "integer" : "text", NUL, after ? NULL : "'x'::text");
    dbmig_schema_object o = so(DBMIG_SO_COLUMN, "t", "name");
    o.position = 5, o.type = "text", o.flags = NUL, o.collation = after ? "C" : NULL;
    add(s, &o);
    G(s, "t", "full", 6, "text", after ? "(name || '!'::text)" : "name", 1);
    C(s, "t", after ? "created" : "legacy", 7, "text", NUL, NULL);
}

static void test_pg_columns(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, PG);
    pg_cols(&a, 0), pg_cols(&b, 1);
    expect(&a, &b, 0,
        "ALTER TABLE \"t\" DROP COLUMN \"full\";\n"
        "-- dbmig:destructive drop column t.legacy\n"
        "ALTER TABLE \"t\" DROP COLUMN \"legacy\";\n"
        "\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"id\" TYPE bigint USING \"id\"::bigint;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"id\" ADD GENERATED BY DEFAULT AS IDENTITY;\n"
        "-- dbmig:destructive type of t.email from character varying(255) to character varying(100)\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"email\" TYPE character varying(100) USING \"email\"::character varying(100);\n"
        "-- dbmig:destructive NOT NULL on t.email\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"email\" SET NOT NULL;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"age\" SET DEFAULT 1;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"code\" DROP DEFAULT;\n"
        "-- dbmig:destructive type of t.code from text to integer\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"code\" TYPE integer USING \"code\"::integer;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"name\" TYPE text COLLATE \"C\";\n"
        "ALTER TABLE \"t\" ADD COLUMN \"full\" text GENERATED ALWAYS AS ((name || '!'::text)) STORED;\n"
        "ALTER TABLE \"t\" ADD COLUMN \"created\" text;\n",
        12);
    expect(&b, &a, 0,
        "ALTER TABLE \"t\" ALTER COLUMN \"id\" DROP IDENTITY;\n"
        "ALTER TABLE \"t\" DROP COLUMN \"full\";\n"
        "-- dbmig:destructive drop column t.created\n"
        "ALTER TABLE \"t\" DROP COLUMN \"created\";\n"
        "\n"
        "-- dbmig:destructive type of t.id from bigint to integer\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"id\" TYPE integer USING \"id\"::integer;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"email\" TYPE character varying(255) USING \"email\"::character varying(255);\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"email\" DROP NOT NULL;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"age\" SET DEFAULT 0;\n"
        "-- dbmig:destructive type of t.code from integer to text\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"code\" TYPE text USING \"code\"::text;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"code\" SET DEFAULT 'x'::text;\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"name\" TYPE text COLLATE \"default\";\n"
        "ALTER TABLE \"t\" ADD COLUMN \"full\" text GENERATED ALWAYS AS (name) STORED;\n"
        "ALTER TABLE \"t\" ADD COLUMN \"legacy\" text;\n",
        12);
    free2(&a, &b);
}

/* MySQL: one MODIFY COLUMN with the whole definition; a primary key that
 * changes goes in one ALTER TABLE with the table's column changes. */
static void my_cols(dm_schema *s, int after)
{
    T(s, "t");
    C(s, "t", "id", 1, after ? "bigint(20)" : "int(11)", IDN, NULL);
    C(s, "t", "email", 2, after ? "varchar(100)" : "varchar(255)", after ? 0 : NUL, NULL);
    C(s, "t", "age", 3, "int(11)", NUL, after ? "1" : "0");
    C(s, "t", after ? "created" : "legacy", 4, "text", NUL, NULL);
    K(s, DBMIG_SO_PRIMARY_KEY, "t", "", "id");
    T(s, "k");
    C(s, "k", "a", 1, "int(11)", 0, NULL);
    C(s, "k", "c", 2, "int(11)", after ? IDN : 0, NULL);
    if (after)
        C(s, "k", "n", 3, "int(11)", 0, "0");
    K(s, DBMIG_SO_PRIMARY_KEY, "k", "", after ? "c|a" : "a");
}

static void test_my_columns(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, MY), M(&b, MY);
    my_cols(&a, 0), my_cols(&b, 1);
    expect(&a, &b, 0,
        "-- dbmig:destructive drop column t.legacy\n"
        "ALTER TABLE `t` DROP COLUMN `legacy`;\n"
        "\n"
        "ALTER TABLE `k`\n"
        "  DROP PRIMARY KEY,\n"
        "  MODIFY COLUMN `c` int(11) NOT NULL AUTO_INCREMENT,\n"
        "  ADD COLUMN `n` int(11) DEFAULT 0 NOT NULL,\n"
        "  ADD PRIMARY KEY (`c`, `a`);\n"
        "ALTER TABLE `t` MODIFY COLUMN `id` bigint(20) NOT NULL AUTO_INCREMENT;\n"
        "-- dbmig:destructive type of t.email from varchar(255) to varchar(100)\n"
        "-- dbmig:destructive NOT NULL on t.email\n"
        "ALTER TABLE `t` MODIFY COLUMN `email` varchar(100) NOT NULL;\n"
        "ALTER TABLE `t` MODIFY COLUMN `age` int(11) DEFAULT 1;\n"
        "ALTER TABLE `t` ADD COLUMN `created` text;\n",
        6);
    expect(&b, &a, 0,
        "-- dbmig:destructive drop column t.created\n"
        "ALTER TABLE `t` DROP COLUMN `created`;\n"
        "\n"
        "-- dbmig:destructive drop column k.n\n"
        "ALTER TABLE `k`\n"
        "  DROP PRIMARY KEY,\n"
        "  DROP COLUMN `n`,\n"
        "  MODIFY COLUMN `c` int(11) NOT NULL,\n"
        "  ADD PRIMARY KEY (`a`);\n"
        "-- dbmig:destructive type of t.id from bigint(20) to int(11)\n"
        "ALTER TABLE `t` MODIFY COLUMN `id` int(11) NOT NULL AUTO_INCREMENT;\n"
        "ALTER TABLE `t` MODIFY COLUMN `email` varchar(255);\n"
        "ALTER TABLE `t` MODIFY COLUMN `age` int(11) DEFAULT 0;\n"
        "ALTER TABLE `t` ADD COLUMN `legacy` text;\n",
        6);
    free2(&a, &b);
}

/* MySQL: a key led by an AUTO_INCREMENT column moves in the same ALTER
 * TABLE as the column (the column must be a key at the statement's end);
 * a new table gets such an index inline. */
static void my_ai(dm_schema *s, int after)
{
    T(s, "t1"); /* gains AUTO_INCREMENT and its unique key */
    C(s, "t1", "id", 1, "int(11)", after ? IDN : 0, NULL);
    if (after)
        K(s, DBMIG_SO_UNIQUE, "t1", "t1_u", "id");
    T(s, "t2"); /* its key changes */
    C(s, "t2", "id", 1, "int(11)", IDN, NULL);
    if (after)
        IX(s, "t2", "t2_k", "id", 0, NULL, NULL);
    else
        K(s, DBMIG_SO_UNIQUE, "t2", "t2_u", "id");
    if (after) {
        T(s, "t4");
        C(s, "t4", "id", 1, "int(11)", IDN, NULL);
        C(s, "t4", "v", 2, "int(11)", NUL, NULL);
        IX(s, "t4", "t4_k", "id|v", 0, NULL, NULL);
    }
}

static void test_my_ai_keys(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, MY), M(&b, MY);
    my_ai(&a, 0), my_ai(&b, 1);
    expect(&a, &b, 0,
        "CREATE TABLE `t4` (\n"
        "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
        "  `v` int(11),\n"
        "  INDEX `t4_k` (`id`, `v`)\n"
        ");\n"
        "ALTER TABLE `t1`\n"
        "  MODIFY COLUMN `id` int(11) NOT NULL AUTO_INCREMENT,\n"
        "  ADD UNIQUE INDEX `t1_u` (`id`);\n"
        "ALTER TABLE `t2`\n"
        "  DROP INDEX `t2_u`,\n"
        "  ADD INDEX `t2_k` (`id`);\n",
        3);
    expect(&b, &a, 0,
        "-- dbmig:destructive drop table t4\n"
        "DROP TABLE `t4`;\n"
        "\n"
        "ALTER TABLE `t1`\n"
        "  DROP INDEX `t1_u`,\n"
        "  MODIFY COLUMN `id` int(11) NOT NULL;\n"
        "ALTER TABLE `t2`\n"
        "  DROP INDEX `t2_k`,\n"
        "  ADD UNIQUE INDEX `t2_u` (`id`);\n",
        3);
    free2(&a, &b);
}

/* Keys: a primary key over other columns, one only renamed (PostgreSQL),
 * unique, check, a foreign key's ON DELETE. */
static void keys(dm_schema *s, int d, int after)
{
    users(s, d);
    if (after && d == PG) { /* the key renamed */
        dm_schema_free(s);
        M(s, d);
        T(s, "users");
        C(s, "users", "id", 1, "integer", IDN, NULL);
        C(s, "users", "email", 2, "character varying(255)", NUL, NULL);
        K(s, DBMIG_SO_PRIMARY_KEY, "users", "users_pk", "id");
    }
    T(s, "m");
    C(s, "m", "a", 1, "integer", 0, NULL);
    C(s, "m", "b", 2, "integer", 0, NULL);
    C(s, "m", "u", 3, "integer", NUL, NULL);
    K(s, DBMIG_SO_PRIMARY_KEY, "m", d == MY ? "" : "m_pkey", after ? "a|b" : "a");
    K(s, DBMIG_SO_UNIQUE, "m", "m_u", after ? "u|a" : "u");
    K(s, DBMIG_SO_CHECK, "m", "m_chk", after ? "a > 1" : "a > 0");
    FK(s, "m", "m_user_fk", "u", "users", "id", after ? "CASCADE" : NULL);
}

static void test_keys(void **state)
{
    (void)state;
    for (int d = PG; d <= MY; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        keys(&a, d, 0), keys(&b, d, 1);
        if (d == PG) {
            expect(&a, &b, 0,
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_user_fk\";\n"
        "\n"
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_pkey\";\n"
        "ALTER TABLE \"users\" RENAME CONSTRAINT \"users_pkey\" TO \"users_pk\";\n"
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_u\";\n"
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_chk\";\n"
        "\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_pkey\" PRIMARY KEY (\"a\", \"b\");\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_u\" UNIQUE (\"u\", \"a\");\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_chk\" CHECK (a > 1);\n"
        "\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_user_fk\" FOREIGN KEY (\"u\") REFERENCES \"users\" (\"id\") ON DELETE CASCADE;\n",
        9);
            expect(&b, &a, 0,
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_user_fk\";\n"
        "\n"
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_pkey\";\n"
        "ALTER TABLE \"users\" RENAME CONSTRAINT \"users_pk\" TO \"users_pkey\";\n"
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_u\";\n"
        "ALTER TABLE \"m\" DROP CONSTRAINT \"m_chk\";\n"
        "\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_pkey\" PRIMARY KEY (\"a\");\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_u\" UNIQUE (\"u\");\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_chk\" CHECK (a > 0);\n"
        "\n"
        "ALTER TABLE \"m\" ADD CONSTRAINT \"m_user_fk\" FOREIGN KEY (\"u\") REFERENCES \"users\" (\"id\");\n",
        9);
        } else {
            expect(&a, &b, 0,
        "ALTER TABLE `m` DROP FOREIGN KEY `m_user_fk`;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `m` DROP INDEX `m_user_fk`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'm' AND INDEX_NAME = 'm_user_fk');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "\n"
        "ALTER TABLE `m` DROP INDEX `m_u`;\n"
        "ALTER TABLE `m` DROP CONSTRAINT `m_chk`;\n"
        "\n"
        "ALTER TABLE `m`\n"
        "  DROP PRIMARY KEY,\n"
        "  ADD PRIMARY KEY (`a`, `b`);\n"
        "\n"
        "ALTER TABLE `m` ADD CONSTRAINT `m_u` UNIQUE (`u`, `a`);\n"
        "ALTER TABLE `m` ADD CONSTRAINT `m_chk` CHECK (a > 1);\n"
        "\n"
        "ALTER TABLE `m` ADD CONSTRAINT `m_user_fk` FOREIGN KEY (`u`) REFERENCES `users` (`id`) ON DELETE CASCADE;\n",
        11);
            expect(&b, &a, 0,
        "ALTER TABLE `m` DROP FOREIGN KEY `m_user_fk`;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `m` DROP INDEX `m_user_fk`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'm' AND INDEX_NAME = 'm_user_fk');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "\n"
        "ALTER TABLE `m` DROP INDEX `m_u`;\n"
        "ALTER TABLE `m` DROP CONSTRAINT `m_chk`;\n"
        "\n"
        "ALTER TABLE `m`\n"
        "  DROP PRIMARY KEY,\n"
        "  ADD PRIMARY KEY (`a`);\n"
        "\n"
        "ALTER TABLE `m` ADD CONSTRAINT `m_u` UNIQUE (`u`);\n"
        "ALTER TABLE `m` ADD CONSTRAINT `m_chk` CHECK (a > 0);\n"
        "\n"
        "ALTER TABLE `m` ADD CONSTRAINT `m_user_fk` FOREIGN KEY (`u`) REFERENCES `users` (`id`);\n",
        11);
        }
        free2(&a, &b);
    }
}

/* MySQL: the index the server made for a foreign key goes with it, unless
 * another index starts with the key's columns. */
/* MySQL: a descending index over a foreign key's column serves the key
 * (MariaDB drops its own index for it), so dropping the key does not drop
 * an index by the key's name, which may not exist (closure seed
 * 1796585310 walk 3: 1091); the guarded form is written instead. */
static void test_my_fk_desc_index(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, MY), M(&b, MY);
    users(&a, MY), users(&b, MY);
    T(&a, "o"), T(&b, "o");
    C(&a, "o", "u", 1, "int(11)", NUL, NULL), C(&b, "o", "u", 1, "int(11)", NUL, NULL);
    FK(&a, "o", "o_u_fk", "u", "users", "id", NULL);
    IX(&a, "o", "o_u_desc", "u DESC", 0, NULL, NULL), IX(&b, "o", "o_u_desc", "u DESC", 0, NULL, NULL);
    run_t r;
    diff(&r, &a, &b, 0);
    assert_int_equal(r.rc, 0);
    const char *sql = dm_buf_str(&r.sql);
    assert_non_null(strstr(sql, "DROP FOREIGN KEY `o_u_fk`"));
    assert_null(strstr(sql, "ALTER TABLE `o` DROP INDEX `o_u_fk`;"));
    assert_non_null(strstr(sql, "information_schema.STATISTICS"));
    run_free(&r);
    dm_schema_free(&a);
    dm_schema_free(&b);
}

static void test_my_fk_index(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, MY), M(&b, MY);
    users(&a, MY), users(&b, MY);
    T(&a, "o"), T(&b, "o");
    C(&a, "o", "u", 1, "int(11)", NUL, NULL), C(&b, "o", "u", 1, "int(11)", NUL, NULL);
    C(&a, "o", "v", 2, "int(11)", NUL, NULL), C(&b, "o", "v", 2, "int(11)", NUL, NULL);
    FK(&a, "o", "o_u_fk", "u", "users", "id", NULL);
    FK(&a, "o", "o_ibfk_1", "v", "users", "id", NULL);
    FK(&a, "o", "o_v2_fk", "v|u", "users", "id|email", NULL);
    C(&a, "o", "w", 3, "int(11)", NUL, NULL), C(&b, "o", "w", 3, "int(11)", NUL, NULL);
    FK(&a, "o", "o_ibfk_2", "w", "users", "id", NULL); /* the server named its index w */
    /* two keys over s share one index, named after either: o_s2 goes, o_s1
     * goes with it and comes back, the index goes by whichever name it has */
    C(&a, "o", "s", 4, "int(11)", NUL, NULL), C(&b, "o", "s", 4, "int(11)", NUL, NULL);
    FK(&a, "o", "o_s1", "s", "users", "id", NULL), FK(&b, "o", "o_s1", "s", "users", "id", NULL);
    FK(&a, "o", "o_s2", "s", "users", "id", "CASCADE");
    /* the hidden index `x` of o_ibfk_5 (x, w), which stays, is not o_ibfk_6's
     * (x, id: served by o_xid) to drop */
    C(&a, "o", "x", 5, "int(11)", NUL, NULL), C(&b, "o", "x", 5, "int(11)", NUL, NULL);
    FK(&a, "o", "o_ibfk_5", "x|w", "users", "id|email", NULL);
    FK(&b, "o", "o_ibfk_5", "x|w", "users", "id|email", NULL);
    FK(&a, "o", "o_ibfk_6", "x|id", "users", "id|email", NULL);
    IX(&a, "o", "o_xid", "x|id", 0, NULL, NULL), IX(&b, "o", "o_xid", "x|id", 0, NULL, NULL);
    /* a unique key created under the name of o_ibfk_7's hidden index `y`
     * takes the key along (found by the closure test) */
    C(&a, "o", "y", 6, "int(11)", NUL, NULL), C(&b, "o", "y", 6, "int(11)", NUL, NULL);
    FK(&a, "o", "o_ibfk_7", "y", "users", "id", NULL), FK(&b, "o", "o_ibfk_7", "y", "users", "id", NULL);
    K(&b, DBMIG_SO_UNIQUE, "o", "y", "y|id");
    IX(&a, "o", "o_vu", "v|u|id", 0, NULL, NULL), IX(&b, "o", "o_vu", "v|u|id", 0, NULL, NULL);
    /* back: a key under a server-made name gets its index first, named as
     * the server would (after the column), not after the key */
    expect(&b, &a, 0,
        "ALTER TABLE `o` DROP FOREIGN KEY `o_ibfk_7`;\n"
        "\n"
        "ALTER TABLE `o` DROP INDEX `y`;\n"
        "\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_ibfk_1` FOREIGN KEY (`v`) REFERENCES `users` (`id`);\n"
        "CREATE INDEX `w` ON `o` (`w`);\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_ibfk_2` FOREIGN KEY (`w`) REFERENCES `users` (`id`);\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_ibfk_6` FOREIGN KEY (`x`, `id`) REFERENCES `users` (`id`, `email`);\n"
        "CREATE INDEX `y` ON `o` (`y`);\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_ibfk_7` FOREIGN KEY (`y`) REFERENCES `users` (`id`);\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_s2` FOREIGN KEY (`s`) REFERENCES `users` (`id`) ON DELETE CASCADE;\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_u_fk` FOREIGN KEY (`u`) REFERENCES `users` (`id`);\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_v2_fk` FOREIGN KEY (`v`, `u`) REFERENCES `users` (`id`, `email`);\n",
        11);
    expect(&a, &b, 0,
        "ALTER TABLE `o` DROP FOREIGN KEY `o_ibfk_1`;\n"
        "ALTER TABLE `o` DROP FOREIGN KEY `o_ibfk_2`;\n"
        "ALTER TABLE `o` DROP FOREIGN KEY `o_ibfk_6`;\n"
        "ALTER TABLE `o` DROP FOREIGN KEY `o_ibfk_7`;\n"
        "ALTER TABLE `o` DROP FOREIGN KEY `o_s1`;\n"
        "ALTER TABLE `o` DROP FOREIGN KEY `o_s2`;\n"
        "ALTER TABLE `o` DROP FOREIGN KEY `o_u_fk`;\n"
        "ALTER TABLE `o` DROP FOREIGN KEY `o_v2_fk`;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `o` DROP INDEX `o_ibfk_1`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'o' AND INDEX_NAME = 'o_ibfk_1');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `o` DROP INDEX `v`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'o' AND INDEX_NAME = 'v');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "ALTER TABLE `o` DROP INDEX `w`;\n"
        "ALTER TABLE `o` DROP INDEX `y`;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `o` DROP INDEX `o_s1`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'o' AND INDEX_NAME = 'o_s1');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `o` DROP INDEX `o_s2`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'o' AND INDEX_NAME = 'o_s2');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "ALTER TABLE `o` DROP INDEX `o_u_fk`;\n"
        "SET @dbmig_sql = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `o` DROP INDEX `o_v2_fk`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'o' AND INDEX_NAME = 'o_v2_fk');\n"
        "PREPARE dbmig_stmt FROM @dbmig_sql;\n"
        "EXECUTE dbmig_stmt;\n"
        "DEALLOCATE PREPARE dbmig_stmt;\n"
        "\n"
        "ALTER TABLE `o` ADD CONSTRAINT `y` UNIQUE (`y`, `id`);\n"
        "\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_ibfk_7` FOREIGN KEY (`y`) REFERENCES `users` (`id`);\n"
        "ALTER TABLE `o` ADD CONSTRAINT `o_s1` FOREIGN KEY (`s`) REFERENCES `users` (`id`);\n",
        34);
    free2(&a, &b);
}

/* Indexes: new, gone, changed (drop + create), CONCURRENTLY, per dialect. */
static void test_indexes(void **state)
{
    (void)state;
    for (int d = PG; d <= LT; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        users(&a, d), users(&b, d);
        IX(&a, "users", "users_gone", "email", 0, NULL, NULL);
        IX(&a, "users", "users_chg", "email", 0, NULL, NULL);
        IX(&b, "users", "users_chg", "email|id", DBMIG_SO_UNIQUE_INDEX, d == PG ? "id > 0" : NULL,
           NULL);
        IX(&b, "users", "users_new", d == MY ? "email(10)" : "(lower(email))", 0, NULL,
           d == PG ? "hash" : NULL);
        if (d == PG) {
            expect(&a, &b, 0,
        "DROP INDEX \"users_chg\";\n"
        "DROP INDEX \"users_gone\";\n"
        "\n"
        "CREATE UNIQUE INDEX \"users_chg\" ON \"users\" (\"email\", \"id\") WHERE id > 0;\n"
        "CREATE INDEX \"users_new\" ON \"users\" USING hash ((lower(email)));\n",
        4);
            expect(&a, &b, 1,
        "DROP INDEX CONCURRENTLY \"users_chg\";\n"
        "DROP INDEX CONCURRENTLY \"users_gone\";\n"
        "\n"
        "CREATE UNIQUE INDEX CONCURRENTLY \"users_chg\" ON \"users\" (\"email\", \"id\") WHERE id > 0;\n"
        "CREATE INDEX CONCURRENTLY \"users_new\" ON \"users\" USING hash ((lower(email)));\n",
        4);
        } else if (d == MY) {
            expect(&a, &b, 0,
        "DROP INDEX `users_chg` ON `users`;\n"
        "DROP INDEX `users_gone` ON `users`;\n"
        "\n"
        "CREATE UNIQUE INDEX `users_chg` ON `users` (`email`, `id`);\n"
        "CREATE INDEX `users_new` ON `users` (`email`(10));\n",
        4);
        } else {
            expect(&a, &b, 0,
        "DROP INDEX \"users_chg\";\n"
        "DROP INDEX \"users_gone\";\n"
        "\n"
        "CREATE UNIQUE INDEX \"users_chg\" ON \"users\" (\"email\", \"id\");\n"
        "CREATE INDEX \"users_new\" ON \"users\" ((lower(email)));\n",
        4);
        }
        free2(&a, &b);
    }
}

/* A view over a table whose columns change or go is dropped (readers
 * first) and created again (in dependency order); a view over an
 * unchanged table, or one that only gains a column, is left alone. */
static void test_views(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, PG);
    users(&a, PG), users(&b, PG);
    T(&a, "other"), T(&b, "other");
    C(&a, "other", "x", 1, "integer", NUL, NULL);
    C(&b, "other", "x", 1, "integer", NUL, NULL);
    C(&a, "users", "name", 3, "text", NUL, NULL);
    C(&b, "users", "name", 3, "character varying(50)", NUL, NULL);
    C(&b, "users", "added", 4, "text", NUL, NULL); /* reads the same: no redo */
    D(&a, DBMIG_SO_VIEW, NULL, "a_top", "SELECT id FROM z_base", NULL);
    D(&b, DBMIG_SO_VIEW, NULL, "a_top", "SELECT id FROM z_base", NULL);
    D(&a, DBMIG_SO_VIEW, NULL, "z_base", "SELECT id FROM users", NULL);
    D(&b, DBMIG_SO_VIEW, NULL, "z_base", "SELECT id FROM users", NULL);
    D(&a, DBMIG_SO_VIEW, NULL, "v_other", "SELECT x FROM other", NULL);
    D(&b, DBMIG_SO_VIEW, NULL, "v_other", "SELECT x FROM other", NULL);
    D(&a, DBMIG_SO_VIEW, NULL, "v_chg", "SELECT 1", NULL);
    D(&b, DBMIG_SO_VIEW, NULL, "v_chg", "SELECT 2", NULL);
    expect(&a, &b, 0,
        "DROP VIEW \"a_top\";\n"
        "DROP VIEW \"z_base\";\n"
        "DROP VIEW \"v_chg\";\n"
        "\n"
        "-- dbmig:destructive type of users.name from text to character varying(50)\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" TYPE character varying(50) USING \"name\"::character varying(50);\n"
        "ALTER TABLE \"users\" ADD COLUMN \"added\" text;\n"
        "\n"
        "CREATE VIEW \"v_chg\" AS SELECT 2;\n"
        "CREATE VIEW \"z_base\" AS SELECT id FROM users;\n"
        "CREATE VIEW \"a_top\" AS SELECT id FROM z_base;\n",
        8);
    expect(&b, &a, 0,
        "DROP VIEW \"a_top\";\n"
        "DROP VIEW \"z_base\";\n"
        "DROP VIEW \"v_chg\";\n"
        "\n"
        "-- dbmig:destructive drop column users.added\n"
        "ALTER TABLE \"users\" DROP COLUMN \"added\";\n"
        "\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"name\" TYPE text USING \"name\"::text;\n"
        "\n"
        "CREATE VIEW \"v_chg\" AS SELECT 1;\n"
        "CREATE VIEW \"z_base\" AS SELECT id FROM users;\n"
        "CREATE VIEW \"a_top\" AS SELECT id FROM z_base;\n",
        8);
    free2(&a, &b);
}

/* PostgreSQL sequences: new (owned by a column), changed, owner changed,
 * gone; MariaDB's are created again. */
static void test_sequences(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, PG);
    users(&a, PG), users(&b, PG);
    D(&a, DBMIG_SO_SEQUENCE, NULL, "s_chg", "AS bigint START 1", NULL);
    D(&b, DBMIG_SO_SEQUENCE, NULL, "s_chg", "AS bigint START 5", NULL);
    D(&a, DBMIG_SO_SEQUENCE, NULL, "s_gone", "AS bigint START 1", NULL);
    D(&b, DBMIG_SO_SEQUENCE, "users", "s_new", "AS integer START 1", "id");
    D(&a, DBMIG_SO_SEQUENCE, "users", "s_own", "AS integer START 1", "id");
    D(&b, DBMIG_SO_SEQUENCE, NULL, "s_own", "AS integer START 1", NULL);
    expect(&a, &b, 0,
        "ALTER SEQUENCE \"s_own\" OWNED BY NONE;\n"
        "\n"
        "ALTER SEQUENCE \"s_chg\" AS bigint START 5;\n"
        "CREATE SEQUENCE \"s_new\" AS integer START 1;\n"
        "\n"
        "ALTER SEQUENCE \"s_new\" OWNED BY \"users\".\"id\";\n"
        "\n"
        "DROP SEQUENCE \"s_gone\";\n",
        5);
    expect(&b, &a, 0,
        "ALTER SEQUENCE \"s_chg\" AS bigint START 1;\n"
        "CREATE SEQUENCE \"s_gone\" AS bigint START 1;\n"
        "\n"
        "ALTER SEQUENCE \"s_own\" OWNED BY \"users\".\"id\";\n"
        "\n"
        "DROP SEQUENCE \"s_new\";\n",
        4);
    free2(&a, &b);
    M(&a, MY), M(&b, MY);
    D(&a, DBMIG_SO_SEQUENCE, NULL, "s", "start with 1 increment by 1", NULL);
    D(&b, DBMIG_SO_SEQUENCE, NULL, "s", "start with 1 increment by 2", NULL);
    expect(&a, &b, 0,
        "DROP SEQUENCE `s`;\n"
        "CREATE SEQUENCE `s` start with 1 increment by 2;\n",
        2);
    free2(&a, &b);
}

/* Functions and triggers: by digest. A PostgreSQL function whose body
 * changes is replaced in place (what uses it stays); one whose result type
 * changes is dropped after everything that uses it (a check and an index
 * dropped and created again, a default dropped and set again, a trigger);
 * a MySQL procedure is dropped as one. */
static void pg_code(dm_schema *s, int after)
{
    users(s, PG);
    C(s, "users", "code", 3, "integer", NUL, "next_code()");
    C(s, "users", "code2", 4, "integer", NUL, "twice(1)");
    K(s, DBMIG_SO_CHECK, "users", "users_code_check", "twice(code) < 100");
    IX(s, "users", "users_tw", "(twice(code))", 0, NULL, NULL);
    D(s, DBMIG_SO_FUNCTION, NULL, "next_code()",
      after ? "CREATE OR REPLACE FUNCTION public.next_code()\n RETURNS integer\n LANGUAGE sql\n"
              "AS $function$SELECT 2$function$\n"
            : "CREATE OR REPLACE FUNCTION public.next_code()\n RETURNS integer\n LANGUAGE sql\n"
              "AS $function$SELECT 1$function$\n",
      NULL);
    D(s, DBMIG_SO_FUNCTION, NULL, "twice(x integer)",
      after ? "CREATE OR REPLACE FUNCTION public.twice(x integer)\n RETURNS bigint\n"
              " LANGUAGE sql IMMUTABLE\nAS $function$SELECT x * 2$function$\n"
            : "CREATE OR REPLACE FUNCTION public.twice(x integer)\n RETURNS integer\n"
              " LANGUAGE sql IMMUTABLE\nAS $function$SELECT x * 2$function$\n",
      NULL);
    if (!after)
        D(s, DBMIG_SO_FUNCTION, NULL, "gone()",
          "CREATE OR REPLACE FUNCTION public.gone()\n RETURNS trigger\n LANGUAGE plpgsql\n"
          "AS $function$BEGIN RETURN NEW; END$function$\n",
          NULL);
    D(s, DBMIG_SO_TRIGGER, "users", "trg",
      "CREATE TRIGGER trg BEFORE INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION next_code()",
      NULL);
    if (!after)
        D(s, DBMIG_SO_TRIGGER, "users", "trg_gone",
          "CREATE TRIGGER trg_gone AFTER UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION gone()",
          NULL);
}

static void test_code(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, PG);
    pg_code(&a, 0), pg_code(&b, 1);
    expect(&a, &b, 0,
        "DROP TRIGGER \"trg_gone\" ON \"users\";\n"
        "\n"
        "ALTER TABLE \"users\" DROP CONSTRAINT \"users_code_check\";\n"
        "DROP INDEX \"users_tw\";\n"
        "\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"code2\" DROP DEFAULT;\n"
        "DROP FUNCTION \"gone\"();\n"
        "DROP FUNCTION \"twice\"(x integer);\n"
        "\n"
        "CREATE OR REPLACE FUNCTION public.next_code()\n"
        " RETURNS integer\n"
        " LANGUAGE sql\n"
        "AS $function$SELECT 2$function$;\n"
        "CREATE OR REPLACE FUNCTION public.twice(x integer)\n"
        " RETURNS bigint\n"
        " LANGUAGE sql IMMUTABLE\n"
        "AS $function$SELECT x * 2$function$;\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"code2\" SET DEFAULT twice(1);\n"
        "\n"
        "ALTER TABLE \"users\" ADD CONSTRAINT \"users_code_check\" CHECK (twice(code) < 100);\n"
        "CREATE INDEX \"users_tw\" ON \"users\" ((twice(code)));\n",
        11);
    expect(&b, &a, 0,
        "ALTER TABLE \"users\" DROP CONSTRAINT \"users_code_check\";\n"
        "DROP INDEX \"users_tw\";\n"
        "\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"code2\" DROP DEFAULT;\n"
        "DROP FUNCTION \"twice\"(x integer);\n"
        "\n"
        "CREATE OR REPLACE FUNCTION public.next_code()\n"
        " RETURNS integer\n"
        " LANGUAGE sql\n"
        "AS $function$SELECT 1$function$;\n"
        "CREATE OR REPLACE FUNCTION public.twice(x integer)\n"
        " RETURNS integer\n"
        " LANGUAGE sql IMMUTABLE\n"
        "AS $function$SELECT x * 2$function$;\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"code2\" SET DEFAULT twice(1);\n"
        "\n"
        "ALTER TABLE \"users\" ADD CONSTRAINT \"users_code_check\" CHECK (twice(code) < 100);\n"
        "CREATE INDEX \"users_tw\" ON \"users\" ((twice(code)));\n"
        "\n"
        "CREATE OR REPLACE FUNCTION public.gone()\n"
        " RETURNS trigger\n"
        " LANGUAGE plpgsql\n"
        "AS $function$BEGIN RETURN NEW; END$function$;\n"
        "CREATE TRIGGER trg_gone AFTER UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION gone();\n",
        11);
    free2(&a, &b);
    M(&a, MY), M(&b, MY);
    D(&a, DBMIG_SO_FUNCTION, NULL, "p", "CREATE PROCEDURE `p`()\nSELECT 1", NULL);
    D(&b, DBMIG_SO_FUNCTION, NULL, "p", "CREATE PROCEDURE `p`()\nSELECT 2", NULL);
    D(&a, DBMIG_SO_FUNCTION, NULL, "f", "CREATE FUNCTION `f`() RETURNS int(11)\nRETURN 1", NULL);
    expect(&a, &b, 0,
        "DROP FUNCTION `f`;\n"
        "DROP PROCEDURE `p`;\n"
        "\n"
        "CREATE PROCEDURE `p`()\n"
        "SELECT 2;\n",
        3);
    free2(&a, &b);
}

/* What depends on a column that changes is dropped and created around
 * it: a generated column reading it, a trigger naming it (PostgreSQL
 * refuses to alter the column under either). */
static void test_dependencies(void **state)
{
    (void)state;
    for (int d = PG; d <= MY; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        for (int k = 0; k < 2; k++) {
            dm_schema *s = k ? &b : &a;
            T(s, "t");
            C(s, "t", "a", 1, k ? "bigint" : "integer", NUL, NULL);
            G(s, "t", "g", 2, k ? "bigint" : "integer", "(a * 2)", 1);
            G(s, "t", "h", 3, "integer", "1", 0);
            D(s, DBMIG_SO_TRIGGER, "t", "tr",
              "CREATE TRIGGER tr BEFORE UPDATE OF a ON t FOR EACH ROW EXECUTE FUNCTION f()", NULL);
            D(s, DBMIG_SO_TRIGGER, "t", "tr_other",
              "CREATE TRIGGER tr_other BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION f()", NULL);
        }
        if (d == PG)
            expect(&a, &b, 0,
        "DROP TRIGGER \"tr\" ON \"t\";\n"
        "\n"
        "ALTER TABLE \"t\" DROP COLUMN \"g\";\n"
        "\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"a\" TYPE bigint USING \"a\"::bigint;\n"
        "ALTER TABLE \"t\" ADD COLUMN \"g\" bigint GENERATED ALWAYS AS ((a * 2)) STORED;\n"
        "\n"
        "CREATE TRIGGER tr BEFORE UPDATE OF a ON t FOR EACH ROW EXECUTE FUNCTION f();\n",
        5);
        else
            expect(&a, &b, 0,
        "DROP TRIGGER `tr`;\n"
        "\n"
        "ALTER TABLE `t` DROP COLUMN `g`;\n"
        "\n"
        "ALTER TABLE `t` MODIFY COLUMN `a` bigint;\n"
        "ALTER TABLE `t` ADD COLUMN `g` bigint GENERATED ALWAYS AS ((a * 2)) STORED;\n"
        "\n"
        "CREATE TRIGGER tr BEFORE UPDATE OF a ON t FOR EACH ROW EXECUTE FUNCTION f();\n",
        5);
        free2(&a, &b);
    }
}

/* A STORED generated column that becomes plain keeps its values; back, the
 * plain column is dropped (destructive) and the generated one added. */
static void test_generated_to_plain(void **state)
{
    (void)state;
    for (int d = PG; d <= MY; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        T(&a, "t"), T(&b, "t");
        C(&a, "t", "a", 1, "integer", NUL, NULL), C(&b, "t", "a", 1, "integer", NUL, NULL);
        G(&a, "t", "g", 2, "integer", "(a * 2)", 1);
        C(&b, "t", "g", 2, "integer", NUL, NULL);
        if (d == PG) {
            expect(&a, &b, 0,
        "ALTER TABLE \"t\" ALTER COLUMN \"g\" DROP EXPRESSION;\n",
        1);
            expect(&b, &a, 0,
        "-- dbmig:destructive drop column t.g\n"
        "ALTER TABLE \"t\" DROP COLUMN \"g\";\n"
        "\n"
        "ALTER TABLE \"t\" ADD COLUMN \"g\" integer GENERATED ALWAYS AS ((a * 2)) STORED;\n",
        2);
        } else {
            expect(&a, &b, 0,
        "ALTER TABLE `t` MODIFY COLUMN `g` integer;\n",
        1);
        }
        free2(&a, &b);
    }
}

/* PostgreSQL casts no enum to another type: a column moving from or to an
 * enum goes through text (found by the enums helper). */
static void test_pg_enum_cast(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, PG);
    char l1[] = "a", l2[] = "b";
    const char *labels[] = {l1, l2};
    for (int k = 0; k < 2; k++) {
        dm_schema *s = k ? &b : &a;
        dbmig_schema_object e = so(DBMIG_SO_ENUM, NULL, k ? "feeling" : "mood");
        e.columns = labels, e.ncolumns = 2;
        add(s, &e);
        T(s, "t");
        C(s, "t", "m", 1, k ? "feeling" : "mood", NUL, NULL);
        C(s, "t", "n", 2, k ? "feeling[]" : "mood[]", NUL, NULL);
        C(s, "t", "o", 3, k ? "text" : "mood", NUL, NULL);
    }
    expect(&a, &b, 0,
        "CREATE TYPE \"feeling\" AS ENUM ('a', 'b');\n"
        "-- dbmig:destructive type of t.m from mood to feeling\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"m\" TYPE feeling USING \"m\"::text::feeling;\n"
        "-- dbmig:destructive type of t.n from mood[] to feeling[]\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"n\" TYPE feeling[] USING \"n\"::text[]::feeling[];\n"
        "-- dbmig:destructive type of t.o from mood to text\n"
        "ALTER TABLE \"t\" ALTER COLUMN \"o\" TYPE text USING \"o\"::text;\n"
        "\n"
        "DROP TYPE \"mood\";\n",
        5);
    free2(&a, &b);
}

/* SQLite: what ALTER TABLE can do (ADD COLUMN, indexes) without a rebuild;
 * a rebuilt table's readers (a view, a trigger of another table naming it)
 * are dropped before and created after, its own triggers and indexes are
 * the rebuild's. */
static void lite(dm_schema *s, int after)
{
    T(s, "a");
    C(s, "a", "id", 1, "INTEGER", NUL, NULL);
    C(s, "a", "x", 2, "TEXT", after ? 0 : NUL, after ? "''" : NULL);
    K(s, DBMIG_SO_PRIMARY_KEY, "a", "", "id");
    T(s, "b");
    C(s, "b", "id", 1, "INTEGER", NUL, NULL);
    C(s, "b", "y", 2, "INTEGER", NUL, NULL);
    if (after)
        C(s, "b", "w", 3, "TEXT", NUL, "'q'");
    IX(s, "b", "b_y", after ? "y|w" : "y", 0, NULL, NULL);
    D(s, DBMIG_SO_TRIGGER, "b", "b_log",
      "CREATE TRIGGER b_log AFTER INSERT ON b BEGIN SELECT x FROM a; END", NULL);
    D(s, DBMIG_SO_TRIGGER, "a", "a_own", "CREATE TRIGGER a_own AFTER INSERT ON a BEGIN SELECT 1; END",
      NULL);
    D(s, DBMIG_SO_VIEW, NULL, "va", "SELECT id, x FROM a", NULL);
    D(s, DBMIG_SO_VIEW, NULL, "vb", "SELECT y FROM b", NULL);
}

static void test_sqlite(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, LT), M(&b, LT);
    lite(&a, 0), lite(&b, 1);
    expect(&a, &b, 0,
        "DROP VIEW \"va\";\n"
        "DROP TRIGGER \"b_log\";\n"
        "\n"
        "DROP INDEX \"b_y\";\n"
        "\n"
        "CREATE TABLE \"_dbmig_new_a\" (\n"
        "  \"id\" INTEGER,\n"
        "  \"x\" TEXT DEFAULT '' NOT NULL,\n"
        "  PRIMARY KEY (\"id\")\n"
        ");\n"
        "INSERT INTO \"_dbmig_new_a\" (\"id\", \"x\")\n"
        "SELECT \"id\", \"x\" FROM \"a\";\n"
        "-- dbmig:destructive table a: column x becomes NOT NULL: the copy fails if it holds NULLs\n"
        "DROP TABLE \"a\";\n"
        "PRAGMA legacy_alter_table = ON;\n"
        "ALTER TABLE \"_dbmig_new_a\" RENAME TO \"a\";\n"
        "PRAGMA legacy_alter_table = OFF;\n"
        "CREATE TRIGGER a_own AFTER INSERT ON a BEGIN SELECT 1; END;\n"
        "ALTER TABLE \"b\" ADD COLUMN \"w\" TEXT DEFAULT 'q';\n"
        "\n"
        "CREATE INDEX \"b_y\" ON \"b\" (\"y\", \"w\");\n"
        "\n"
        "CREATE VIEW \"va\" AS SELECT id, x FROM a;\n"
        "CREATE TRIGGER b_log AFTER INSERT ON b BEGIN SELECT x FROM a; END;\n",
        14);
    free2(&a, &b);
}

/* Notes: destructive ones with their line above the statement, rename
 * hints for a column and a table, never a rename guessed. */
static void test_notes(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, PG);
    users(&a, PG), users(&b, PG);
    C(&a, "users", "nick", 3, "text", NUL, NULL);
    C(&b, "users", "handle", 3, "text", NUL, NULL);
    C(&b, "users", "other", 4, "integer", NUL, NULL);
    T(&a, "old_t");
    C(&a, "old_t", "x", 1, "integer", 0, NULL);
    T(&b, "new_t");
    C(&b, "new_t", "x", 1, "integer", 0, NULL);
    char *n = notes_of(&a, &b);
    const char *want =
        "1 table old_t: drops the table and its rows\n"
        "1 table users: column nick: drops the column and its data\n"
        "2 table old_t: rename? table old_t goes and table new_t with the same columns appears: "
        "use ALTER TABLE old_t RENAME TO new_t in a migration and re-run diff\n"
        "2 table users: column nick: rename? column nick goes and column handle of the same "
        "type appears: use ALTER TABLE users RENAME COLUMN nick TO handle in a migration and "
        "re-run diff\n";
    if (strcmp(n, want))
        fail_msg("got:\n%s\nwant:\n%s", n, want);
    free(n);
    run_t r;
    diff(&r, &a, &b, 0);
    const char *s = dm_buf_str(&r.sql);
    assert_non_null(strstr(s, "-- dbmig:destructive drop table old_t\nDROP TABLE \"old_t\";\n"));
    assert_non_null(strstr(s, "-- dbmig:destructive drop column users.nick\n"
                              "ALTER TABLE \"users\" DROP COLUMN \"nick\";\n"));
    assert_null(strstr(s, "RENAME"));
    run_free(&r);
    /* the other way: nothing is destructive but the drops */
    n = notes_of(&b, &a);
    assert_non_null(strstr(n, "1 table users: column other: drops the column"));
    assert_non_null(strstr(n, "rename? column handle goes and column nick"));
    free(n);
    free2(&a, &b);
    /* two columns of one type go and two appear: one hint per column that
     * goes, naming no pair (the review found a hint per pair: n*n lines,
     * and nonsense pairs among them) */
    M(&a, PG), M(&b, PG);
    users(&a, PG), users(&b, PG);
    C(&a, "users", "full_name", 3, "text", NUL, NULL), C(&a, "users", "pw", 4, "text", NUL, NULL);
    C(&b, "users", "first_name", 3, "text", NUL, NULL), C(&b, "users", "pw_digest", 4, "text", NUL, NULL);
    n = notes_of(&a, &b);
    assert_non_null(strstr(n, "rename? column full_name goes while columns of its type appear"));
    assert_non_null(strstr(n, "rename? column pw goes while columns of its type appear"));
    assert_null(strstr(n, "RENAME COLUMN full_name TO first_name"));
    assert_null(strstr(n, "RENAME COLUMN full_name TO pw_digest"));
    size_t hints = 0;
    for (const char *p = n; (p = strstr(p, "rename?")) != NULL; p++)
        hints++;
    assert_int_equal(hints, 2);
    free(n);
    free2(&a, &b);
}

static void test_narrows(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int pg, narrows;
    } t[] = {
        {"character varying(255)", "character varying(100)", 1, 1},
        {"character varying(100)", "character varying(255)", 1, 0},
        {"text", "character varying(10)", 1, 1},
        {"character varying(10)", "text", 1, 0},
        {"bigint", "integer", 1, 1},
        {"integer", "bigint", 1, 0},
        {"smallint", "integer", 1, 0},
        {"numeric(10,2)", "numeric(8,2)", 1, 1},
        {"numeric(10,2)", "numeric(10,1)", 1, 1},
        {"numeric(10,2)", "numeric(12,2)", 1, 0},
        {"numeric(10,2)", "numeric(12,4)", 1, 0},
        {"numeric(10,2)", "numeric(11,4)", 1, 1},
        {"numeric", "numeric(10,2)", 1, 1},
        {"double precision", "real", 1, 1},
        {"real", "double precision", 1, 0},
        {"integer", "text", 1, 1},
        {"text", "integer", 1, 1},
        {"timestamp(6) without time zone", "timestamp(3) without time zone", 1, 1},
        {"int(11)", "bigint(20)", 0, 0},
        {"int(10) unsigned", "int(11)", 0, 1},
        {"tinyint(4)", "smallint(6)", 0, 0},
        {"text", "varchar(100)", 0, 1},
        {"longtext", "text", 0, 1},
        {"text", "mediumtext", 0, 0},
        {"varchar(100)", "text", 0, 0},
        {"decimal(10,2)", "decimal(12,2)", 0, 0},
        {"enum('a','b')", "enum('a')", 0, 1},
        {"varchar(10)", "varchar(10)", 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (dd_narrows(t[i].a, NULL, t[i].b, NULL, t[i].pg) != t[i].narrows)
            fail_msg("%s -> %s: want narrows=%d", t[i].a, t[i].b, t[i].narrows);
}

/* A copy of s with its objects added in reverse order. */
static void reversed(const dm_schema *s, dm_schema *out)
{
    M(out, s->dialect);
    for (size_t i = s->n; i-- > 0;) {
        const dm_sobj *x = &s->v[i];
        dbmig_schema_object o = so(x->kind, x->table, x->name);
        o.flags = x->flags, o.position = x->position, o.type = x->type;
        o.default_expr = x->default_expr, o.generated = x->generated;
        o.collation = x->collation, o.ref_table = x->ref_table;
        o.columns = (const char *const *)x->columns, o.ncolumns = (uint32_t)x->ncolumns;
        o.ref_columns = (const char *const *)x->ref_columns;
        o.nref_columns = (uint32_t)x->nref_columns;
        o.on_delete = x->on_delete, o.on_update = x->on_update, o.predicate = x->predicate;
        o.method = x->method, o.definition = x->definition;
        add(out, &o);
    }
}

/* The same models added in another order give the same bytes. */
static void test_deterministic(void **state)
{
    (void)state;
    dm_schema a1, b1, a2, b2;
    M(&a1, PG), M(&b1, PG);
    keys(&a1, PG, 0), keys(&b1, PG, 1);
    orders(&a1, PG);
    pg_cols(&b1, 1);
    D(&a1, DBMIG_SO_VIEW, NULL, "v", "SELECT a FROM m", NULL);
    D(&b1, DBMIG_SO_VIEW, NULL, "v", "SELECT a FROM m", NULL);
    reversed(&a1, &a2), reversed(&b1, &b2);
    run_t r1, r2, r3;
    diff(&r1, &a1, &b1, 0);
    diff(&r2, &a2, &b2, 0);
    diff(&r3, &a1, &b1, 0);
    assert_int_equal(r1.rc, 0);
    assert_true(r1.n > 10);
    assert_string_equal(dm_buf_str(&r1.sql), dm_buf_str(&r2.sql));
    assert_string_equal(dm_buf_str(&r1.sql), dm_buf_str(&r3.sql));
    assert_int_equal(r1.notes.n, r2.notes.n);
    run_free(&r1), run_free(&r2), run_free(&r3);
    free2(&a1, &b1), free2(&a2, &b2);
}

/* Every pair diffs both ways; a model against itself gives nothing. */
static void test_symmetry(void **state)
{
    (void)state;
    void (*build[])(dm_schema *, int) = {pg_cols};
    for (size_t k = 0; k < 4; k++) {
        dm_schema a, b;
        int d = k == 1 || k == 3 ? MY : PG;
        M(&a, d), M(&b, d);
        if (k == 0)
            build[0](&a, 0), build[0](&b, 1);
        else if (k == 1)
            my_cols(&a, 0), my_cols(&b, 1);
        else
            keys(&a, d, 0), keys(&b, d, 1);
        run_t up, down, same;
        diff(&up, &a, &b, 0);
        diff(&down, &b, &a, 0);
        diff(&same, &b, &b, 0);
        assert_int_equal(up.rc, 0);
        assert_int_equal(down.rc, 0);
        assert_true(up.n > 0 && down.n > 0);
        assert_int_equal(same.n, 0);
        assert_int_equal(same.sql.len, 0);
        /* every statement ends ";\n" and n counts them */
        size_t semis = 0;
        for (const char *p = dm_buf_str(&up.sql); (p = strstr(p, ";\n")) != NULL; p += 2)
            semis++;
        assert_int_equal(semis, up.n);
        run_free(&up), run_free(&down), run_free(&same);
        free2(&a, &b);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    dm_schema a, b;
    M(&a, PG), M(&b, MY);
    run_t r;
    diff(&r, &a, &b, 0);
    assert_int_equal(r.rc, DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&r.e), "one dialect"));
    run_free(&r);
    free2(&a, &b);
    /* PostgreSQL: a foreign key without a name cannot be dropped by name */
    M(&a, PG), M(&b, PG);
    users(&a, PG), users(&b, PG);
    T(&a, "o"), T(&b, "o");
    C(&a, "o", "u", 1, "integer", NUL, NULL), C(&b, "o", "u", 1, "integer", NUL, NULL);
    FK(&a, "o", "", "u", "users", "id", NULL);
    dm_buf_puts(&r.sql, "keep");
    dm_buf keep = r.sql;
    diff(&r, &a, &b, 0);
    assert_int_equal(r.rc, DBMIG_ERROR);
    assert_non_null(strstr(dm_err_msg(&r.e), "table o: a foreign key without a name"));
    assert_int_equal(r.sql.len, 0);
    run_free(&r);
    dm_buf_free(&keep);
    /* the caller's buffer keeps what it had when the diff fails */
    dm_buf mine = {0};
    dm_buf_puts(&mine, "-- header\n");
    size_t n;
    dm_err e = {0};
    assert_int_equal(dm_schema_diff(&a, &b, NULL, &mine, &n, NULL, &e), DBMIG_ERROR);
    assert_string_equal(dm_buf_str(&mine), "-- header\n");
    dm_buf_free(&mine);
    dm_err_free(&e);
    free2(&a, &b);
}

/* Failing the Nth allocation, for every N: the diff fails with no memory
 * and leaves the caller's buffer as it was, or (an allocation it could do
 * without) succeeds with the same bytes; never a shorter, silent result. */
static void test_oom(void **state)
{
    (void)state;
    for (int d = PG; d <= MY; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        keys(&a, d, 0), keys(&b, d, 1);
        orders(&a, d);
        if (d == PG)
            pg_cols(&b, 1);
        else
            my_cols(&b, 1);
        D(&a, DBMIG_SO_VIEW, NULL, "v", "SELECT a FROM m", NULL);
        D(&b, DBMIG_SO_VIEW, NULL, "v", "SELECT a FROM m", NULL);
        run_t ref;
        diff(&ref, &a, &b, 0);
        assert_int_equal(ref.rc, 0);
        long n = 1;
        for (;; n++) {
            dm_buf sql = {0};
            dm_dnotes notes = {0};
            dm_err e = {0};
            size_t k = 0;
            dm_buf_puts(&sql, "-- mine\n");
            A.count = 0, A.failed = 0, A.fail_at = n;
            int rc = dm_schema_diff(&a, &b, NULL, &sql, &k, &notes, &e);
            A.fail_at = 0;
            if (rc) {
                assert_int_equal(A.failed, 1);
                assert_string_equal(dm_buf_str(&sql), "-- mine\n");
            } else {
                assert_string_equal(dm_buf_str(&sql) + 8, dm_buf_str(&ref.sql));
                assert_int_equal(notes.n, ref.notes.n);
            }
            dm_buf_free(&sql);
            dm_dnotes_free(&notes);
            dm_err_free(&e);
            if (!rc && !A.failed)
                break; /* no allocation left to fail */
        }
        assert_true(n > 20);
        run_free(&ref);
        free2(&a, &b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_change),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_drop_order),
        cmocka_unit_test(test_fk_of_gone_table),
        cmocka_unit_test(test_pg_columns),
        cmocka_unit_test(test_my_columns),
        cmocka_unit_test(test_my_ai_keys),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_my_fk_index),
        cmocka_unit_test(test_my_fk_desc_index),
        cmocka_unit_test(test_indexes),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_code),
        cmocka_unit_test(test_dependencies),
        cmocka_unit_test(test_generated_to_plain),
        cmocka_unit_test(test_pg_enum_cast),
        cmocka_unit_test(test_sqlite),
        cmocka_unit_test(test_notes),
        cmocka_unit_test(test_narrows),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_symmetry),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_oom),
        };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
