/* test_schema.c — the schema model (core/schema.h) driven with hand-made
 * objects: copying and refusing objects, the canonical order, the type
 * families, building from a fake driver's inspect(), the comparison (each
 * kind of difference, none for equal models, unnamed constraints matched
 * by content) and every rendering pinned to its exact text.
 *
 * This executable is linked with -Wl,--wrap=malloc,calloc,realloc,strdup,
 * strndup (tests/unit/CMakeLists.txt) so that test_oom can fail the Nth
 * allocation of the model's code and check that every path reports it and
 * frees what it took (LeakSanitizer in the sanitizer build). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

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
} A; /* test-only; the model's code is single-threaded */

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

/* ---- building objects ------------------------------------------------------ */

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

static void add_ok(dm_schema *s, const dbmig_schema_object *o)
{
    dm_err e = {0};
    int rc = dm_schema_add(s, o, &e);
    if (rc)
        print_error("add failed: %s\n", dm_err_msg(&e));
    assert_int_equal(rc, 0);
    dm_err_free(&e);
}

static const char *const c_id[] = {"id"}, *const c_email[] = {"email"},
                         *const c_cust[] = {"customer_id"};

static dbmig_schema_object col(const char *t, const char *n, uint32_t pos, const char *type,
                               uint32_t flags, const char *dflt)
{
    dbmig_schema_object o = so(DBMIG_SO_COLUMN, t, n);
    o.position = pos;
    o.type = type;
    o.flags = flags;
    o.default_expr = dflt;
    return o;
}

static dbmig_schema_object keyo(int kind, const char *t, const char *n, const char *const *c,
                                uint32_t nc)
{
    dbmig_schema_object o = so(kind, t, n);
    o.columns = c;
    o.ncolumns = nc;
    return o;
}

/* The small schema every test starts from, added in the order given by
 * `order` (a permutation of its objects, or NULL for as listed). */
#define BASE_N 16
static void base_objects(dbmig_schema_object v[BASE_N])
{
    int i = 0;
    v[i++] = so(DBMIG_SO_TABLE, NULL, "invoices");
    v[i++] = so(DBMIG_SO_TABLE, NULL, "customers");
    v[i++] = col("customers", "id", 1, "integer", DBMIG_SO_IDENTITY, NULL);
    v[i++] = col("customers", "email", 2, "varchar(255)", DBMIG_SO_NULLABLE, NULL);
    v[i++] = keyo(DBMIG_SO_PRIMARY_KEY, "customers", "customers_pkey", c_id, 1);
    v[i++] = keyo(DBMIG_SO_UNIQUE, "customers", "", c_email, 1);
    v[i++] = col("invoices", "id", 1, "bigint", 0, NULL);
    v[i++] = col("invoices", "customer_id", 2, "integer", DBMIG_SO_NULLABLE, NULL);
    v[i++] = col("invoices", "amount", 3, "numeric(10,2)", 0, "0");
    v[i++] = keyo(DBMIG_SO_PRIMARY_KEY, "invoices", "invoices_pkey", c_id, 1);
    v[i] = keyo(DBMIG_SO_FOREIGN_KEY, "invoices", "invoices_customer_fk", c_cust, 1);
    v[i].ref_table = "customers";
    v[i].ref_columns = c_id;
    v[i].nref_columns = 1;
    v[i].on_delete = "CASCADE";
    v[i++].on_update = "NO ACTION";
    v[i] = so(DBMIG_SO_CHECK, "invoices", "invoices_amount_check");
    v[i++].definition = "amount >= 0";
    v[i++] = keyo(DBMIG_SO_INDEX, "invoices", "invoices_customer_idx", c_cust, 1);
    v[i] = so(DBMIG_SO_VIEW, NULL, "big_invoices");
    v[i++].definition = "SELECT id, amount FROM invoices WHERE amount > 100";
    v[i] = so(DBMIG_SO_SEQUENCE, NULL, "invoice_no");
    v[i++].definition = "AS bigint START 1 INCREMENT 1";
    v[i] = so(DBMIG_SO_TRIGGER, "invoices", "invoices_touch");
    v[i++].definition = "CREATE TRIGGER invoices_touch AFTER INSERT ON invoices BEGIN SELECT 1; END";
    assert_int_equal(i, BASE_N);
}

static void base(dm_schema *s, const int *order)
{
    dbmig_schema_object v[BASE_N];
    base_objects(v);
    memset(s, 0, sizeof *s);
    s->dialect = DBMIG_DIALECT_POSTGRES;
    for (int i = 0; i < BASE_N; i++)
        add_ok(s, &v[order ? order[i] : i]);
    dm_schema_sort(s);
}

static dm_sobj *find(dm_schema *s, int kind, const char *table, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].kind == kind && dm_streq(s->v[i].table, table) &&
            dm_streq(s->v[i].name, name))
            return &s->v[i];
    fail_msg("no object %d %s %s", kind, table ? table : "-", name);
    return NULL;
}

static void set(char **field, const char *v)
{
    free(*field);
    *field = v ? strdup(v) : NULL;
}

/* ---- type families ---------------------------------------------------------- */

static void test_type_family(void **st)
{
    (void)st;
    static const char *const t[][2] = {
        {"int4", "integer"}, {"integer", "integer"}, {"int(11)", "integer"},
        {"INT", "integer"}, {"INTEGER", "integer"}, {"serial", "integer"},
        {"int(10) unsigned", "integer"}, {"mediumint", "integer"},
        {"bigint", "bigint"}, {"int8", "bigint"}, {"bigserial", "bigint"},
        {"bigint(20) UNSIGNED ZEROFILL", "bigint"}, {"smallint", "smallint"},
        {"int2", "smallint"}, {"tinyint(4)", "smallint"}, {"tinyint(1)", "boolean"},
        {"TINYINT(1)", "boolean"}, {"bool", "boolean"}, {"boolean", "boolean"},
        {"varchar(255)", "text"}, {"character varying(255)", "text"},
        {"VARCHAR(255)", "text"}, {"text", "text"}, {"char(3)", "text"},
        {"character(3)", "text"}, {"nvarchar(10)", "text"}, {"clob", "text"},
        {"tinytext", "text"}, {"longtext", "text"}, {"mediumtext", "text"},
        {"numeric(10,2)", "decimal"}, {"decimal(10, 2)", "decimal"},
        {"NUMERIC", "decimal"}, {"real", "float"}, {"double", "float"},
        {"double precision", "float"}, {"float", "float"}, {"float8", "float"},
        {"bytea", "binary"}, {"blob", "binary"}, {"varbinary(16)", "binary"},
        {"longblob", "binary"}, {"timestamp with time zone", "timestamptz"},
        {"timestamp(3) with time zone", "timestamptz"}, {"timestamptz", "timestamptz"},
        {"timestamp", "timestamp"}, {"timestamp without time zone", "timestamp"},
        {"datetime", "timestamp"}, {"datetime(6)", "timestamp"}, {"DATETIME", "timestamp"},
        {"json", "json"}, {"jsonb", "json"}, {"uuid", "uuid"}, {"date", "date"},
        {"time", "time"}, {"time without time zone", "time"}, {"  Time  ", "time"},
        {"integer[]", "other"}, {"point", "other"}, {"", "other"}, {"int|text", "other"},
        {"enum('a','b')", "other"}, {"character  varying", "text"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(dm_type_family(t[i][0]), t[i][1]))
            fail_msg("family of '%s' is %s, expected %s", t[i][0], dm_type_family(t[i][0]),
                     t[i][1]);
    }
    assert_string_equal(dm_type_family(NULL), "other");
}

/* ---- adding, refusing, sorting ------------------------------------------------ */

static void refused(dbmig_schema_object o, const char *words)
{
    dm_schema s = {0};
    dm_err e = {0};
    assert_int_equal(dm_schema_add(&s, &o, &e), DBMIG_ERROR);
    if (!strstr(dm_err_msg(&e), words))
        fail_msg("message '%s' lacks '%s'", dm_err_msg(&e), words);
    assert_int_equal(s.n, 0);
    dm_err_free(&e);
    dm_schema_free(&s);
}

static void test_add_refuses(void **st)
{
    (void)st;
    refused(so(99, "t", "x"), "object t.x: unknown kind");
    refused(so(DBMIG_SO_COLUMN, NULL, "c"), "column c: it has no table");
    refused(so(DBMIG_SO_COLUMN, "t", NULL), "column t.(no name): it has no name");
    refused(so(DBMIG_SO_TABLE, NULL, ""), "table (no name)");
    refused(so(DBMIG_SO_VIEW, NULL, NULL), "view (no name): it has no name");
    refused(so(DBMIG_SO_INDEX, "t", "i"), "index t.i: it has no columns");
    refused(keyo(DBMIG_SO_FOREIGN_KEY, "t", "", c_id, 1), "foreign key t.(no name): it references no table");
    refused(so(DBMIG_SO_CHECK, "t", ""), "check t.(no name): it has no expression");
    dbmig_schema_object o = so(DBMIG_SO_UNIQUE, "t", "u");
    o.ncolumns = 2;
    refused(o, "unique constraint t.u: it gives a column count but no columns");
    const char *holes[] = {"a", NULL};
    refused(keyo(DBMIG_SO_PRIMARY_KEY, "t", "", holes, 2), "one of its columns is NULL");
    o = so(DBMIG_SO_TABLE, NULL, "t");
    o.size = 4;
    refused(o, "too small to hold even its kind");
}

static void test_add_copies_and_respects_size(void **st)
{
    (void)st;
    dm_schema s = {0};
    char name[] = "orders";
    dbmig_schema_object o = so(DBMIG_SO_TABLE, NULL, name);
    add_ok(&s, &o);
    name[0] = 'X'; /* the model owns a copy */
    assert_string_equal(s.v[0].name, "orders");
    /* A driver built when the struct ended before `definition`: its view's
     * definition field is not read, whatever lies there. */
    o = so(DBMIG_SO_VIEW, NULL, "v");
    o.definition = "SELECT 1";
    o.size = (uint32_t)offsetof(dbmig_schema_object, definition);
    add_ok(&s, &o);
    assert_null(s.v[1].definition);
    assert_string_equal(s.v[1].digest, "e3b0c44298fc1c14"); /* SHA-256 of "" */
    /* An unnamed constraint is stored with name "". */
    o = keyo(DBMIG_SO_UNIQUE, "orders", NULL, c_id, 1);
    add_ok(&s, &o);
    assert_string_equal(s.v[2].name, "");
    o = col("orders", "n", 1, "INT(11)", 0, NULL);
    add_ok(&s, &o);
    assert_string_equal(s.v[3].family, "integer");
    assert_null(s.v[0].family);
    dm_schema_free(&s);
    assert_null(s.v);
    dm_schema_free(&s); /* twice is fine */
}

static void test_sort_order(void **st)
{
    (void)st;
    dm_schema s;
    base(&s, NULL);
    static const char *const want[] = {
        "1 - customers", "1 - invoices",
        "2 customers id", "2 customers email",
        "2 invoices id", "2 invoices customer_id", "2 invoices amount",
        "3 customers customers_pkey", "3 invoices invoices_pkey", "4 customers ",
        "5 invoices invoices_customer_fk", "6 invoices invoices_amount_check",
        "7 invoices invoices_customer_idx", "8 - big_invoices", "9 - invoice_no",
        "10 invoices invoices_touch"};
    assert_int_equal(s.n, BASE_N);
    for (size_t i = 0; i < s.n; i++) {
        char got[128];
        snprintf(got, sizeof got, "%d %s %s", s.v[i].kind, s.v[i].table ? s.v[i].table : "-",
                 s.v[i].name);
        assert_string_equal(got, want[i]);
    }
    /* Any insertion order gives the same model, byte for byte. */
    static const int rev[BASE_N] = {15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    static const int mix[BASE_N] = {7, 2, 15, 0, 9, 4, 11, 13, 1, 3, 5, 6, 8, 10, 12, 14};
    dm_buf a = {0}, b = {0}, c = {0};
    dm_schema r, m;
    base(&r, rev);
    base(&m, mix);
    assert_int_equal(dm_schema_render_json(&s, &a), 0);
    assert_int_equal(dm_schema_render_json(&r, &b), 0);
    assert_int_equal(dm_schema_render_json(&m, &c), 0);
    assert_string_equal(dm_buf_str(&a), dm_buf_str(&b));
    assert_string_equal(dm_buf_str(&a), dm_buf_str(&c));
    dm_buf_free(&a), dm_buf_free(&b), dm_buf_free(&c);
    dm_schema_free(&s), dm_schema_free(&r), dm_schema_free(&m);
}

static void test_sort_bytewise_and_unnamed(void **st)
{
    (void)st;
    dm_schema s = {0};
    static const char *const ab[] = {"b"}, *const aa[] = {"a"};
    dbmig_schema_object v[] = {so(DBMIG_SO_TABLE, NULL, "b"), so(DBMIG_SO_TABLE, NULL, "B"),
                               so(DBMIG_SO_TABLE, NULL, "a"), so(DBMIG_SO_TABLE, NULL, "_"),
                               keyo(DBMIG_SO_UNIQUE, "a", "", ab, 1),
                               keyo(DBMIG_SO_UNIQUE, "a", "", aa, 1)};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        add_ok(&s, &v[i]);
    dm_schema_sort(&s);
    assert_string_equal(s.v[0].name, "B"); /* 'B' < '_' < 'a' < 'b' in bytes */
    assert_string_equal(s.v[1].name, "_");
    assert_string_equal(s.v[2].name, "a");
    assert_string_equal(s.v[3].name, "b");
    assert_string_equal(s.v[4].columns[0], "a"); /* unnamed: by content */
    assert_string_equal(s.v[5].columns[0], "b");
    dm_schema_free(&s);
}

static void test_drop_table(void **st)
{
    (void)st;
    dm_schema s;
    base(&s, NULL);
    dbmig_schema_object o = so(DBMIG_SO_SEQUENCE, "invoices", "invoices_id_seq");
    o.columns = c_id;
    o.ncolumns = 1;
    add_ok(&s, &o);
    dm_schema_drop_table(&s, "Invoices"); /* case-sensitive: nothing */
    assert_int_equal(s.n, BASE_N + 1);
    dm_schema_drop_table(&s, "invoices");
    /* left: customers (table, 2 columns, pk, unique), the view, invoice_no */
    assert_int_equal(s.n, 7);
    for (size_t i = 0; i < s.n; i++)
        assert_false(dm_streq(s.v[i].table, "invoices") || dm_streq(s.v[i].name, "invoices"));
    dm_schema_free(&s);
}

/* ---- from a driver ---------------------------------------------------------- */

typedef struct {
    int calls, fail, bad;
    dbmig_db_error err;
} fake_state;

static int fake_inspect(void *self, dbmig_conn *conn, dbmig_schema_fn fn, void *payload)
{
    (void)conn;
    fake_state *f = self;
    dbmig_schema_object v[BASE_N + 3];
    base_objects(v);
    v[BASE_N] = so(DBMIG_SO_TABLE, NULL, "dbmig_version");
    v[BASE_N + 1] = col("dbmig_version", "revision", 1, "text", 0, NULL);
    v[BASE_N + 2] = so(DBMIG_SO_TABLE, NULL, "dbmig_version_lock");
    if (f->bad)
        v[3].kind = 42;
    for (int i = BASE_N + 2; i >= 0; i--) {
        if (f->fail && i == 5)
            return DBMIG_DRV_ERROR;
        f->calls++;
        if (fn(payload, &v[i]))
            return DBMIG_DRV_OK;
    }
    return DBMIG_DRV_OK;
}

static const dbmig_db_error *fake_last_error(void *self, const dbmig_conn *conn)
{
    (void)conn;
    return &((fake_state *)self)->err;
}

static void test_from_driver(void **st)
{
    (void)st;
    dbmig_driver d;
    memset(&d, 0, sizeof d);
    d.size = sizeof d;
    d.name = "fake";
    d.dialect = DBMIG_DIALECT_SQLITE;
    d.last_error = fake_last_error;
    d.inspect = fake_inspect;
    fake_state f = {0};
    static const char *const skip[] = {"dbmig_version", "dbmig_version_lock", NULL};
    dm_schema s = {0}, want;
    dm_err e = {0};
    assert_int_equal(dm_schema_from_driver(&d, &f, NULL, skip, &s, &e), 0);
    base(&want, NULL);
    want.dialect = DBMIG_DIALECT_SQLITE;
    dm_sdiffs df = {0};
    assert_int_equal(dm_schema_compare(&s, &want, "a", "b", &df, &e), 0);
    assert_int_equal(df.n, 0);
    assert_int_equal(s.dialect, DBMIG_DIALECT_SQLITE);
    assert_int_equal(s.n, BASE_N); /* the version and lock tables left out */
    dm_schema_free(&s);
    dm_schema_free(&want);

    /* A malformed object stops inspect at once, named in the message. */
    f = (fake_state){.bad = 1};
    assert_int_equal(dm_schema_from_driver(&d, &f, NULL, skip, &s, &e), DBMIG_ERROR);
    assert_non_null(strstr(dm_err_msg(&e), "object customers.email: unknown kind"));
    assert_int_equal(f.calls, BASE_N + 3 - 3); /* objects 18..3, then stop */
    assert_null(s.v);

    /* The driver's error: message [code], detail, hint. */
    f = (fake_state){.fail = 1};
    strcpy(f.err.code, "42501");
    strcpy(f.err.message, "permission denied for pg_catalog");
    strcpy(f.err.hint, "grant usage");
    assert_int_equal(dm_schema_from_driver(&d, &f, NULL, skip, &s, &e), DBMIG_ERROR);
    assert_string_equal(dm_err_msg(&e),
                        "driver fake could not inspect the schema: permission denied for "
                        "pg_catalog [42501]\n  hint: grant usage");
    assert_string_equal(e.db_code, "42501");

    /* No inspect, or a table too small to have one (ABI 2.0). */
    d.inspect = NULL;
    assert_int_equal(dm_schema_from_driver(&d, &f, NULL, skip, &s, &e), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&e), "driver fake cannot inspect its schema (it has no "
                                           "inspect method, driver ABI 2.1)"));
    d.inspect = fake_inspect;
    d.size = (uint32_t)offsetof(dbmig_driver, inspect);
    assert_int_equal(dm_schema_from_driver(&d, &f, NULL, skip, &s, &e), DBMIG_EUSAGE);
    dm_err_free(&e);
}

/* ---- comparison -------------------------------------------------------------- */

/* Compares base with base changed by `edit` in the right model; returns the
 * differences rendered "object | field | what" one per line. */
typedef void (*edit_fn)(dm_schema *s);

static char *diff_of(edit_fn left, edit_fn right)
{
    dm_schema a, b;
    base(&a, NULL);
    base(&b, NULL);
    if (left)
        left(&a);
    if (right)
        right(&b);
    dm_schema_sort(&a);
    dm_schema_sort(&b);
    dm_sdiffs d = {0};
    dm_err e = {0};
    assert_int_equal(dm_schema_compare(&a, &b, "the database", "the migrations", &d, &e), 0);
    dm_buf out = {0};
    for (size_t i = 0; i < d.n; i++)
        dm_buf_printf(&out, "%s | %s | %s\n", d.v[i].object, d.v[i].field, d.v[i].what);
    dm_sdiffs_free(&d);
    dm_schema_free(&a);
    dm_schema_free(&b);
    return dm_buf_take(&out);
}

static void expect_diff(edit_fn left, edit_fn right, const char *want)
{
    char *got = diff_of(left, right);
    assert_string_equal(got, want);
    free(got);
}

static void e_nullable(dm_schema *s)
{
    find(s, DBMIG_SO_COLUMN, "invoices", "amount")->flags |= DBMIG_SO_NULLABLE;
}
static void e_type(dm_schema *s)
{
    set(&find(s, DBMIG_SO_COLUMN, "invoices", "amount")->type, "integer");
}
static void e_default(dm_schema *s)
{
    set(&find(s, DBMIG_SO_COLUMN, "invoices", "amount")->default_expr, NULL);
}
static void e_generated(dm_schema *s)
{
    dm_sobj *o = find(s, DBMIG_SO_COLUMN, "invoices", "amount");
    set(&o->generated, "id * 2");
    o->flags |= DBMIG_SO_GENERATED_STORED;
}
static void e_generated_virtual(dm_schema *s)
{
    set(&find(s, DBMIG_SO_COLUMN, "invoices", "amount")->generated, "id * 2");
}
static void e_collation(dm_schema *s)
{
    set(&find(s, DBMIG_SO_COLUMN, "customers", "email")->collation, "C");
}
static void e_identity(dm_schema *s)
{
    find(s, DBMIG_SO_COLUMN, "customers", "id")->flags &= ~(uint32_t)DBMIG_SO_IDENTITY;
}

static void test_compare_columns(void **st)
{
    (void)st;
    expect_diff(NULL, NULL, "");
    expect_diff(NULL, e_nullable, "table invoices: column amount | nullable | NOT NULL in the "
                                  "database, NULL in the migrations\n");
    expect_diff(e_nullable, NULL, "table invoices: column amount | nullable | NULL in the "
                                  "database, NOT NULL in the migrations\n");
    expect_diff(NULL, e_type, "table invoices: column amount | type | type numeric(10,2) in "
                              "the database, type integer in the migrations\n");
    expect_diff(e_default, NULL, "table invoices: column amount | default | no default in the "
                                 "database, default 0 in the migrations\n");
    expect_diff(NULL, e_generated, "table invoices: column amount | generated | no generated "
                                   "in the database, generated id * 2 STORED in the "
                                   "migrations\n");
    expect_diff(e_generated_virtual, e_generated,
                "table invoices: column amount | generated | generated id * 2 VIRTUAL in the "
                "database, generated id * 2 STORED in the migrations\n");
    expect_diff(NULL, e_collation, "table customers: column email | collation | no collation "
                                   "in the database, collation C in the migrations\n");
    expect_diff(NULL, e_identity, "table customers: column id | identity | identity in the "
                                  "database, not identity in the migrations\n");
}

static void e_col_position(dm_schema *s)
{
    find(s, DBMIG_SO_COLUMN, "invoices", "amount")->position = 1;
    find(s, DBMIG_SO_COLUMN, "invoices", "id")->position = 3;
}
static void e_drop_col(dm_schema *s)
{
    dm_sobj *o = find(s, DBMIG_SO_COLUMN, "invoices", "amount");
    set(&o->name, "total");
}
static void e_drop_index(dm_schema *s)
{
    set(&find(s, DBMIG_SO_INDEX, "invoices", "invoices_customer_idx")->name, "zz_idx");
}

static void test_compare_presence(void **st)
{
    (void)st;
    /* Columns match by name: a different position is not a difference. */
    expect_diff(NULL, e_col_position, "");
    expect_diff(NULL, e_drop_col,
                "table invoices: column amount | extra | only in the database\n"
                "table invoices: column total | missing | only in the migrations\n");
    expect_diff(e_drop_index, NULL,
                "index invoices_customer_idx | missing | only in the migrations\n"
                "index zz_idx | extra | only in the database\n");
}

static void e_pk(dm_schema *s)
{
    dm_sobj *o = find(s, DBMIG_SO_PRIMARY_KEY, "invoices", "invoices_pkey");
    set(&o->columns[0], "customer_id");
    set(&o->name, "");
}
static void e_fk(dm_schema *s)
{
    dm_sobj *o = find(s, DBMIG_SO_FOREIGN_KEY, "invoices", "invoices_customer_fk");
    set(&o->ref_table, "clients");
    set(&o->ref_columns[0], "client_id");
    set(&o->on_delete, "SET NULL");
    set(&o->on_update, "CASCADE");
    o->flags |= DBMIG_SO_DEFERRABLE;
}
static void e_index(dm_schema *s)
{
    dm_sobj *o = find(s, DBMIG_SO_INDEX, "invoices", "invoices_customer_idx");
    o->flags |= DBMIG_SO_UNIQUE_INDEX;
    set(&o->columns[0], "(lower(customer_id))");
    set(&o->predicate, "amount > 0");
    set(&o->method, "hash");
}
static void e_defs(dm_schema *s)
{
    set(&find(s, DBMIG_SO_CHECK, "invoices", "invoices_amount_check")->definition, "amount > 0");
    set(&find(s, DBMIG_SO_VIEW, NULL, "big_invoices")->definition, "SELECT 1");
    set(&find(s, DBMIG_SO_SEQUENCE, NULL, "invoice_no")->definition, "AS integer START 5");
    dm_sobj *t = find(s, DBMIG_SO_TRIGGER, "invoices", "invoices_touch");
    set(&t->definition, "CREATE TRIGGER invoices_touch AFTER UPDATE ON invoices BEGIN SELECT 2; END");
    memcpy(t->digest, "0123456789abcdef", 16); /* as dm_schema_add would have */
    memcpy(find(s, DBMIG_SO_VIEW, NULL, "big_invoices")->digest, "fedcba9876543210", 16);
}

static void test_compare_constraints(void **st)
{
    (void)st;
    expect_diff(NULL, e_pk,
                "table invoices: primary key invoices_pkey | name | name invoices_pkey in the "
                "database, no name in the migrations\n"
                "table invoices: primary key invoices_pkey | columns | columns (id) in the "
                "database, columns (customer_id) in the migrations\n");
    expect_diff(NULL, e_fk,
                "table invoices: foreign key invoices_customer_fk | ref_table | target table "
                "customers in the database, target table clients in the migrations\n"
                "table invoices: foreign key invoices_customer_fk | ref_columns | target "
                "columns (id) in the database, target columns (client_id) in the migrations\n"
                "table invoices: foreign key invoices_customer_fk | on_delete | ON DELETE "
                "CASCADE in the database, ON DELETE SET NULL in the migrations\n"
                "table invoices: foreign key invoices_customer_fk | on_update | ON UPDATE NO "
                "ACTION in the database, ON UPDATE CASCADE in the migrations\n"
                "table invoices: foreign key invoices_customer_fk | deferrable | not "
                "deferrable in the database, deferrable in the migrations\n");
    expect_diff(NULL, e_index,
                "index invoices_customer_idx | unique | not unique in the database, unique "
                "in the migrations\n"
                "index invoices_customer_idx | columns | columns (customer_id) in the "
                "database, columns ((lower(customer_id))) in the migrations\n"
                "index invoices_customer_idx | predicate | no predicate in the database, "
                "predicate amount > 0 in the migrations\n"
                "index invoices_customer_idx | method | no method in the database, method "
                "hash in the migrations\n");
    char *got = diff_of(NULL, e_defs);
    assert_non_null(strstr(got, "table invoices: check invoices_amount_check | definition | "
                                "expression amount >= 0 in the database, expression amount > 0 "
                                "in the migrations\n"));
    assert_non_null(strstr(got, "view big_invoices | definition | definition digest "));
    assert_non_null(strstr(got, ", definition digest fedcba9876543210 in the migrations\n"));
    assert_non_null(strstr(got, "sequence invoice_no | definition | definition AS bigint "
                                "START 1 INCREMENT 1 in the database, definition AS integer "
                                "START 5 in the migrations\n"));
    assert_non_null(strstr(got, "trigger invoices_touch | definition | definition digest "));
    free(got);
}

/* Unnamed constraints (SQLite) match by content, whatever their order. */
static void e_unnamed(dm_schema *s)
{
    static const char *const c2[] = {"id", "email"};
    dbmig_schema_object a = keyo(DBMIG_SO_UNIQUE, "customers", "", c2, 2);
    dbmig_schema_object c = so(DBMIG_SO_CHECK, "customers", NULL);
    c.definition = "length(email) > 3";
    dbmig_schema_object f = keyo(DBMIG_SO_FOREIGN_KEY, "invoices", "", c_cust, 1);
    f.ref_table = "customers";
    add_ok(s, &c);
    add_ok(s, &f);
    add_ok(s, &a);
}
static void e_unnamed_rev(dm_schema *s)
{
    static const char *const c2[] = {"id", "email"};
    dbmig_schema_object f = keyo(DBMIG_SO_FOREIGN_KEY, "invoices", "", c_cust, 1);
    f.ref_table = "customers";
    dbmig_schema_object c = so(DBMIG_SO_CHECK, "customers", "");
    c.definition = "length(email) > 3";
    dbmig_schema_object u = keyo(DBMIG_SO_UNIQUE, "customers", "", c2, 2);
    add_ok(s, &u);
    add_ok(s, &f);
    add_ok(s, &c);
}
static void e_unnamed_changed(dm_schema *s)
{
    static const char *const c2[] = {"email", "id"};
    dbmig_schema_object c = so(DBMIG_SO_CHECK, "customers", "");
    c.definition = "length(email) > 3";
    dbmig_schema_object u = keyo(DBMIG_SO_UNIQUE, "customers", "", c2, 2);
    add_ok(s, &u);
    add_ok(s, &c);
}

static void test_compare_unnamed(void **st)
{
    (void)st;
    expect_diff(e_unnamed, e_unnamed_rev, "");
    expect_diff(e_unnamed, e_unnamed_changed,
                "table customers: unique (email, id) | missing | only in the migrations\n"
                "table customers: unique (id, email) | extra | only in the database\n"
                "table invoices: foreign key (customer_id) -> customers () | extra | only in "
                "the database\n");
}

static void test_compare_tables_and_json(void **st)
{
    (void)st;
    dm_schema a = {0}, b;
    base(&b, NULL);
    dm_sdiffs d = {0};
    dm_err e = {0};
    assert_int_equal(dm_schema_compare(&a, &b, "the database", "the migrations", &d, &e), 0);
    assert_int_equal(d.n, BASE_N);
    for (size_t i = 0; i < d.n; i++) {
        assert_string_equal(d.v[i].field, "missing");
        assert_string_equal(d.v[i].what, "only in the migrations");
    }
    assert_string_equal(d.v[0].object, "table customers");
    dm_sdiffs_free(&d);
    dm_schema_free(&b);
    base(&a, NULL);
    e_nullable(&a);
    base(&b, NULL);
    assert_int_equal(dm_schema_compare(&a, &b, "the database", "the migrations", &d, &e), 0);
    dm_buf out = {0};
    assert_int_equal(dm_sdiffs_render_json(&d, &out), 0);
    assert_string_equal(dm_buf_str(&out),
                        "[\n"
                        "  {\n"
                        "    \"field\": \"nullable\",\n"
                        "    \"left\": \"NULL\",\n"
                        "    \"object\": \"table invoices: column amount\",\n"
                        "    \"right\": \"NOT NULL\",\n"
                        "    \"what\": \"NULL in the database, NOT NULL in the migrations\"\n"
                        "  }\n"
                        "]\n");
    dm_sdiffs_free(&d);
    dm_buf_reset(&out);
    assert_int_equal(dm_sdiffs_render_json(&d, &out), 0);
    assert_string_equal(dm_buf_str(&out), "[]\n");
    dm_buf_free(&out);
    dm_schema_free(&a);
    dm_schema_free(&b);
}

/* ---- renderings, pinned ------------------------------------------------------- */

static const char base_json[] =
        "{\n"
        "  \"dialect\": \"postgres\",\n"
        "  \"enums\": [],\n"
        "  \"functions\": [],\n"
        "  \"sequences\": [\n"
        "    {\n"
        "      \"definition\": \"AS bigint START 1 INCREMENT 1\",\n"
        "      \"name\": \"invoice_no\",\n"
        "      \"owned_by_column\": null,\n"
        "      \"owned_by_table\": null\n"
        "    }\n"
        "  ],\n"
        "  \"tables\": [\n"
        "    {\n"
        "      \"checks\": [],\n"
        "      \"columns\": [\n"
        "        {\n"
        "          \"collation\": null,\n"
        "          \"default\": null,\n"
        "          \"family\": \"integer\",\n"
        "          \"generated\": null,\n"
        "          \"generated_stored\": false,\n"
        "          \"identity\": true,\n"
        "          \"name\": \"id\",\n"
        "          \"nullable\": false,\n"
        "          \"position\": 1,\n"
        "          \"type\": \"integer\"\n"
        "        },\n"
        "        {\n"
        "          \"collation\": null,\n"
        "          \"default\": null,\n"
        "          \"family\": \"text\",\n"
        "          \"generated\": null,\n"
        "          \"generated_stored\": false,\n"
        "          \"identity\": false,\n"
        "          \"name\": \"email\",\n"
        "          \"nullable\": true,\n"
        "          \"position\": 2,\n"
        "          \"type\": \"varchar(255)\"\n"
        "        }\n"
        "      ],\n"
        "      \"foreign_keys\": [],\n"
        "      \"indexes\": [],\n"
        "      \"name\": \"customers\",\n"
        "      \"primary_key\": {\n"
        "        \"columns\": [\n"
        "          \"id\"\n"
        "        ],\n"
        "        \"name\": \"customers_pkey\"\n"
        "      },\n"
        "      \"triggers\": [],\n"
        "      \"unique\": [\n"
        "        {\n"
        "          \"columns\": [\n"
        "            \"email\"\n"
        "          ],\n"
        "          \"name\": \"\"\n"
        "        }\n"
        "      ]\n"
        "    },\n"
        "    {\n"
        "      \"checks\": [\n"
        "        {\n"
        "          \"expression\": \"amount >= 0\",\n"
        "          \"name\": \"invoices_amount_check\"\n"
        "        }\n"
        "      ],\n"
        "      \"columns\": [\n"
        "        {\n"
        "          \"collation\": null,\n"
        "          \"default\": null,\n"
        "          \"family\": \"bigint\",\n"
        "          \"generated\": null,\n"
        "          \"generated_stored\": false,\n"
        "          \"identity\": false,\n"
        "          \"name\": \"id\",\n"
        "          \"nullable\": false,\n"
        "          \"position\": 1,\n"
        "          \"type\": \"bigint\"\n"
        "        },\n"
        "        {\n"
        "          \"collation\": null,\n"
        "          \"default\": null,\n"
        "          \"family\": \"integer\",\n"
        "          \"generated\": null,\n"
        "          \"generated_stored\": false,\n"
        "          \"identity\": false,\n"
        "          \"name\": \"customer_id\",\n"
        "          \"nullable\": true,\n"
        "          \"position\": 2,\n"
        "          \"type\": \"integer\"\n"
        "        },\n"
        "        {\n"
        "          \"collation\": null,\n"
        "          \"default\": \"0\",\n"
        "          \"family\": \"decimal\",\n"
        "          \"generated\": null,\n"
        "          \"generated_stored\": false,\n"
        "          \"identity\": false,\n"
        "          \"name\": \"amount\",\n"
        "          \"nullable\": false,\n"
        "          \"position\": 3,\n"
        "          \"type\": \"numeric(10,2)\"\n"
        "        }\n"
        "      ],\n"
        "      \"foreign_keys\": [\n"
        "        {\n"
        "          \"columns\": [\n"
        "            \"customer_id\"\n"
        "          ],\n"
        "          \"deferrable\": false,\n"
        "          \"name\": \"invoices_customer_fk\",\n"
        "          \"on_delete\": \"CASCADE\",\n"
        "          \"on_update\": \"NO ACTION\",\n"
        "          \"ref_columns\": [\n"
        "            \"id\"\n"
        "          ],\n"
        "          \"ref_table\": \"customers\"\n"
        "        }\n"
        "      ],\n"
        "      \"indexes\": [\n"
        "        {\n"
        "          \"columns\": [\n"
        "            \"customer_id\"\n"
        "          ],\n"
        "          \"method\": null,\n"
        "          \"name\": \"invoices_customer_idx\",\n"
        "          \"predicate\": null,\n"
        "          \"unique\": false\n"
        "        }\n"
        "      ],\n"
        "      \"name\": \"invoices\",\n"
        "      \"primary_key\": {\n"
        "        \"columns\": [\n"
        "          \"id\"\n"
        "        ],\n"
        "        \"name\": \"invoices_pkey\"\n"
        "      },\n"
        "      \"triggers\": [\n"
        "        {\n"
        "          \"definition\": \"CREATE TRIGGER invoices_touch AFTER INSERT ON invoices BEGIN SELECT 1; END\",\n"
        "          \"digest\": \"08cd4caa91c393c0\",\n"
        "          \"name\": \"invoices_touch\"\n"
        "        }\n"
        "      ],\n"
        "      \"unique\": []\n"
        "    }\n"
        "  ],\n"
        "  \"views\": [\n"
        "    {\n"
        "      \"definition\": \"SELECT id, amount FROM invoices WHERE amount > 100\",\n"
        "      \"digest\": \"c1fa54f549936c8f\",\n"
        "      \"name\": \"big_invoices\"\n"
        "    }\n"
        "  ]\n"
        "}\n";

static const char base_portable[] =
        "column customers.email text null\n"
        "column customers.id integer notnull\n"
        "column invoices.amount decimal notnull\n"
        "column invoices.customer_id integer null\n"
        "column invoices.id integer notnull\n"
        "fk invoices (customer_id) -> customers (id) on delete cascade\n"
        "index invoices.invoices_customer_idx nonunique (customer_id)\n"
        "pk customers (id)\n"
        "pk invoices (id)\n"
        "table customers\n"
        "table invoices\n"
        "unique customers (email)\n"
        "view big_invoices\n";

static void test_render_json_portable(void **st)
{
    (void)st;
    dm_schema s;
    base(&s, NULL);
    dm_buf a = {0};
    assert_int_equal(dm_schema_render_json(&s, &a), 0);
    assert_string_equal(dm_buf_str(&a), base_json);
    dm_buf_reset(&a);
    assert_int_equal(dm_schema_render_portable(&s, &a), 0);
    assert_string_equal(dm_buf_str(&a), base_portable);
    dm_buf_free(&a);
    dm_schema_free(&s);
}

/* What the portable form normalises: case, a nullable key column (SQLite),
 * a foreign key naming no target columns, RESTRICT, and what it leaves out. */
static void test_portable_normalises(void **st)
{
    (void)st;
    dm_schema s = {0};
    static const char *const k[] = {"Code"}, *const r[] = {"Parent"}, *const lower[] = {"(lower(Code))"};
    dbmig_schema_object v[] = {
        so(DBMIG_SO_TABLE, NULL, "Items"),
        col("Items", "Code", 1, "VARCHAR(10)", DBMIG_SO_NULLABLE, "'x'"),
        col("Items", "Parent", 2, "TEXT", DBMIG_SO_NULLABLE, NULL),
        keyo(DBMIG_SO_PRIMARY_KEY, "Items", "", k, 1),
        keyo(DBMIG_SO_FOREIGN_KEY, "Items", "", r, 1),
        so(DBMIG_SO_CHECK, "Items", ""),
        so(DBMIG_SO_SEQUENCE, NULL, "s"),
        so(DBMIG_SO_FUNCTION, NULL, "f(integer)"),
        keyo(DBMIG_SO_INDEX, "Items", "Items_Parent", r, 1),
        keyo(DBMIG_SO_INDEX, "Items", "Items_Code_Part", k, 1),
        keyo(DBMIG_SO_INDEX, "Items", "Items_Lower", lower, 1),
        col("Items", "N", 3, "SMALLINT", 0, NULL),
    };
    v[4].ref_table = "Items";
    v[4].on_delete = "RESTRICT";
    v[5].definition = "length(Code) > 1";
    v[8].flags = DBMIG_SO_UNIQUE_INDEX; /* a plain unique index: a unique key */
    v[9].flags = DBMIG_SO_UNIQUE_INDEX;   /* partial: an index */
    v[9].predicate = "Code > 'a'";
    v[10].flags = DBMIG_SO_UNIQUE_INDEX;  /* an expression: an index */
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        add_ok(&s, &v[i]);
    dm_buf a = {0};
    assert_int_equal(dm_schema_render_portable(&s, &a), 0);
    assert_string_equal(dm_buf_str(&a), "column items.code text notnull\n"
                                        "column items.n integer notnull\n"
                                        "column items.parent text null\n"
                                        "fk items (parent) -> items (code) on delete no action\n"
                                        "index items.items_code_part unique (code)\n"
                                        "index items.items_lower unique ((lower(code)))\n"
                                        "pk items (code)\n"
                                        "table items\n"
                                        "unique items (parent)\n");
    dm_buf_free(&a);
    dm_schema_free(&s);
    /* An empty model renders nothing. */
    assert_int_equal(dm_schema_render_portable(&s, &a), 0);
    assert_int_equal(a.len, 0);
}

/* ---- no memory ------------------------------------------------------------------ */

/* Everything the model does once, with the Nth allocation failing. */
static int oom_round(void)
{
    dm_schema a = {0}, b = {0};
    dm_sdiffs d = {0};
    dm_err e = {0};
    dm_buf out = {0};
    dbmig_schema_object v[BASE_N];
    base_objects(v);
    int rc = 0;
    for (int i = 0; !rc && i < BASE_N; i++)
        rc = dm_schema_add(&a, &v[i], &e);
    for (int i = BASE_N - 1; !rc && i >= 2; i--)
        rc = dm_schema_add(&b, &v[i], &e);
    if (rc)
        assert_string_equal(dm_err_msg(&e), "out of memory");
    dm_schema_sort(&a);
    dm_schema_sort(&b);
    if (!rc) {
        rc = dm_schema_compare(&a, &b, "the database", "the migrations", &d, &e);
        if (rc)
            assert_string_equal(dm_err_msg(&e), "out of memory");
    }
    if (!rc)
        rc = dm_schema_render_portable(&a, &out);
    if (!rc)
        rc = dm_schema_render_sql(&a, NULL, NULL, &out);
    if (!rc)
        assert_int_equal(d.n, 2); /* the two tables' rows: customers, invoices missing */
    dm_buf_free(&out);
    dm_sdiffs_free(&d);
    dm_schema_free(&a);
    dm_schema_free(&b);
    dm_err_free(&e);
    return rc;
}

static void test_oom(void **st)
{
    (void)st;
    long n = 1;
    for (;; n++) {
        A.count = 0;
        A.failed = 0;
        A.fail_at = n;
        int rc = oom_round();
        A.fail_at = 0;
        if (!A.failed) {
            assert_int_equal(rc, 0);
            break;
        }
        if (!rc)
            fail_msg("allocation %ld failed and nobody noticed", n);
    }
    assert_true(n > 40); /* the round allocates: the failures were real */
}

/* The base and a few more things DDL must order or spell per dialect. */
static void sql_schema(dm_schema *s, int dialect)
{
    static const char *const lower[] = {"(lower(email))"};
    base(s, NULL);
    s->dialect = dialect;
    dbmig_schema_object v[] = {
        col("invoices", "total", 4, "numeric", DBMIG_SO_NULLABLE, NULL),
        col("customers", "created", 3, "timestamp", 0, "datetime('now')"),
        col("customers", "nick", 4, "text", DBMIG_SO_NULLABLE, NULL),
        keyo(DBMIG_SO_INDEX, "customers", "customers_lower_email", lower, 1),
        keyo(DBMIG_SO_SEQUENCE, "invoices", "invoices_id_seq", c_id, 1),
        so(DBMIG_SO_VIEW, NULL, "a_bigger"),
        so(DBMIG_SO_FUNCTION, NULL, "touch()"),
    };
    v[0].generated = "amount * 2";
    v[0].flags |= DBMIG_SO_GENERATED_STORED;
    v[2].collation = "C";
    v[3].flags = DBMIG_SO_UNIQUE_INDEX;
    v[3].predicate = "email IS NOT NULL";
    v[4].definition = "AS integer";
    v[5].definition = "SELECT id FROM big_invoices WHERE amount > 1000;\n";
    v[6].definition = "CREATE FUNCTION touch() RETURNS integer LANGUAGE sql AS $$ SELECT 1; $$";
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        add_ok(s, &v[i]);
    dm_schema_sort(s);
}

static const char *const sql_want[3] = {
    /* postgres */
    "-- Schema dumped by dbmig (PostgreSQL); it loads into an empty database.\n"
    "\n"
    "CREATE SEQUENCE \"invoice_no\" AS bigint START 1 INCREMENT 1;\n"
    "CREATE SEQUENCE \"invoices_id_seq\" AS integer;\n"
    "\n"
    "CREATE TABLE \"customers\" (\n"
    "  \"id\" integer NOT NULL GENERATED BY DEFAULT AS IDENTITY,\n"
    "  \"email\" varchar(255),\n"
    "  \"created\" timestamp DEFAULT datetime('now') NOT NULL,\n"
    "  \"nick\" text COLLATE \"C\",\n"
    "  CONSTRAINT \"customers_pkey\" PRIMARY KEY (\"id\"),\n"
    "  UNIQUE (\"email\")\n"
    ");\n"
    "\n"
    "CREATE TABLE \"invoices\" (\n"
    "  \"id\" bigint NOT NULL,\n"
    "  \"customer_id\" integer,\n"
    "  \"amount\" numeric(10,2) DEFAULT 0 NOT NULL,\n"
    "  \"total\" numeric GENERATED ALWAYS AS (amount * 2) STORED,\n"
    "  CONSTRAINT \"invoices_pkey\" PRIMARY KEY (\"id\"),\n"
    "  CONSTRAINT \"invoices_amount_check\" CHECK (amount >= 0)\n"
    ");\n"
    "\n"
    "ALTER SEQUENCE \"invoices_id_seq\" OWNED BY \"invoices\".\"id\";\n"
    "\n"
    "CREATE UNIQUE INDEX \"customers_lower_email\" ON \"customers\" ((lower(email))) WHERE email IS NOT NULL;\n"
    "CREATE INDEX \"invoices_customer_idx\" ON \"invoices\" (\"customer_id\");\n"
    "\n"
    "ALTER TABLE \"invoices\" ADD CONSTRAINT \"invoices_customer_fk\" FOREIGN KEY (\"customer_id\") REFERENCES \"customers\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION;\n"
    "\n"
    "CREATE FUNCTION touch() RETURNS integer LANGUAGE sql AS $$ SELECT 1; $$;\n"
    "\n"
    "CREATE VIEW \"big_invoices\" AS SELECT id, amount FROM invoices WHERE amount > 100;\n"
    "CREATE VIEW \"a_bigger\" AS SELECT id FROM big_invoices WHERE amount > 1000;\n"
    "\n"
    "CREATE TRIGGER invoices_touch AFTER INSERT ON invoices BEGIN SELECT 1; END;\n",
    /* mysql */
    "-- Schema dumped by dbmig (MySQL/MariaDB); it loads into an empty database.\n"
    "\n"
    "CREATE SEQUENCE `invoice_no` AS bigint START 1 INCREMENT 1;\n"
    "CREATE SEQUENCE `invoices_id_seq` AS integer;\n"
    "\n"
    "CREATE TABLE `customers` (\n"
    "  `id` integer NOT NULL AUTO_INCREMENT,\n"
    "  `email` varchar(255),\n"
    "  `created` timestamp DEFAULT datetime('now') NOT NULL,\n"
    "  `nick` text COLLATE C,\n"
    "  PRIMARY KEY (`id`),\n"
    "  UNIQUE (`email`)\n"
    ");\n"
    "\n"
    "CREATE TABLE `invoices` (\n"
    "  `id` bigint NOT NULL,\n"
    "  `customer_id` integer,\n"
    "  `amount` numeric(10,2) DEFAULT 0 NOT NULL,\n"
    "  `total` numeric GENERATED ALWAYS AS (amount * 2) STORED,\n"
    "  PRIMARY KEY (`id`),\n"
    "  CONSTRAINT `invoices_amount_check` CHECK (amount >= 0)\n"
    ");\n"
    "\n"
    "CREATE UNIQUE INDEX `customers_lower_email` ON `customers` ((lower(email))) WHERE email IS NOT NULL;\n"
    "CREATE INDEX `invoices_customer_idx` ON `invoices` (`customer_id`);\n"
    "\n"
    "ALTER TABLE `invoices` ADD CONSTRAINT `invoices_customer_fk` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION;\n"
    "\n"
    "CREATE FUNCTION touch() RETURNS integer LANGUAGE sql AS $$ SELECT 1; $$;\n"
    "\n"
    "CREATE VIEW `big_invoices` AS SELECT id, amount FROM invoices WHERE amount > 100;\n"
    "CREATE VIEW `a_bigger` AS SELECT id FROM big_invoices WHERE amount > 1000;\n"
    "\n"
    "CREATE TRIGGER invoices_touch AFTER INSERT ON invoices BEGIN SELECT 1; END;\n",
    /* sqlite */
    "-- Schema dumped by dbmig (SQLite); it loads into an empty database.\n"
    "\n"
    "CREATE SEQUENCE \"invoice_no\" AS bigint START 1 INCREMENT 1;\n"
    "CREATE SEQUENCE \"invoices_id_seq\" AS integer;\n"
    "\n"
    "CREATE TABLE \"customers\" (\n"
    "  \"id\" integer CONSTRAINT \"customers_pkey\" PRIMARY KEY AUTOINCREMENT NOT NULL,\n"
    "  \"email\" varchar(255),\n"
    "  \"created\" timestamp DEFAULT (datetime('now')) NOT NULL,\n"
    "  \"nick\" text COLLATE C,\n"
    "  UNIQUE (\"email\")\n"
    ");\n"
    "\n"
    "CREATE TABLE \"invoices\" (\n"
    "  \"id\" bigint NOT NULL,\n"
    "  \"customer_id\" integer,\n"
    "  \"amount\" numeric(10,2) DEFAULT 0 NOT NULL,\n"
    "  \"total\" numeric GENERATED ALWAYS AS (amount * 2) STORED,\n"
    "  CONSTRAINT \"invoices_pkey\" PRIMARY KEY (\"id\"),\n"
    "  CONSTRAINT \"invoices_customer_fk\" FOREIGN KEY (\"customer_id\") REFERENCES \"customers\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION,\n"
    "  CONSTRAINT \"invoices_amount_check\" CHECK (amount >= 0)\n"
    ");\n"
    "\n"
    "CREATE UNIQUE INDEX \"customers_lower_email\" ON \"customers\" ((lower(email))) WHERE email IS NOT NULL;\n"
    "CREATE INDEX \"invoices_customer_idx\" ON \"invoices\" (\"customer_id\");\n"
    "\n"
    "CREATE FUNCTION touch() RETURNS integer LANGUAGE sql AS $$ SELECT 1; $$;\n"
    "\n"
    "CREATE VIEW \"big_invoices\" AS SELECT id, amount FROM invoices WHERE amount > 100;\n"
    "CREATE VIEW \"a_bigger\" AS SELECT id FROM big_invoices WHERE amount > 1000;\n"
    "\n"
    "CREATE TRIGGER invoices_touch AFTER INSERT ON invoices BEGIN SELECT 1; END;\n"
};

/* A driver's quote_ident, through the callback: "[name]", and a name
 * longer than the first buffer tried. */
static size_t bracket(void *arg, const char *in, char *out, size_t cap)
{
    (*(int *)arg)++;
    return (size_t)snprintf(out, cap, "[%s]", in);
}

static void test_render_sql_quote(void **st)
{
    (void)st;
    char long_name[301];
    memset(long_name, 'x', 300);
    long_name[300] = '\0';
    dm_schema s = {0};
    s.dialect = DBMIG_DIALECT_SQLITE;
    dbmig_schema_object t = so(DBMIG_SO_TABLE, NULL, long_name);
    dbmig_schema_object c = col(long_name, "a\"b", 1, "", DBMIG_SO_NULLABLE, NULL);
    add_ok(&s, &t);
    add_ok(&s, &c);
    dm_schema_sort(&s);
    dm_buf a = {0};
    int calls = 0;
    assert_int_equal(dm_schema_render_sql(&s, bracket, &calls, &a), 0);
    assert_true(calls >= 3); /* the long name twice (too small, then right) */
    assert_non_null(strstr(dm_buf_str(&a), "CREATE TABLE [xxxxxxxx"));
    assert_non_null(strstr(dm_buf_str(&a), "xxx] (\n  [a\"b]\n);\n"));
    dm_buf_reset(&a);
    assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0); /* the default: "" doubled */
    assert_non_null(strstr(dm_buf_str(&a), "xxx\" (\n  \"a\"\"b\"\n);\n"));
    dm_schema_free(&s);
    /* Key parts: a DESC and a MySQL prefix stay outside the quotes. */
    static const char *const parts[] = {"name(10)", "age DESC", "(lower(x))", "f(x)"};
    dbmig_schema_object x = keyo(DBMIG_SO_INDEX, "t", "i", parts, 4);
    x.method = "HASH";
    add_ok(&s, &x);
    s.dialect = DBMIG_DIALECT_MYSQL;
    dm_buf_reset(&a);
    assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0);
    assert_non_null(strstr(dm_buf_str(&a), "\nCREATE INDEX `i` USING HASH ON `t` "
                                           "(`name`(10), `age` DESC, (lower(x)), `f(x)`);\n"));
    s.dialect = DBMIG_DIALECT_POSTGRES;
    dm_buf_reset(&a);
    assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0);
    assert_non_null(strstr(dm_buf_str(&a), "\nCREATE INDEX \"i\" ON \"t\" USING HASH "
                                           "(\"name(10)\", \"age\" DESC, (lower(x)), \"f(x)\");\n"));
    dm_buf_free(&a);
    dm_schema_free(&s);
}

/* The DDL of each dialect, pinned (each was loaded into its database by
 * hand: SQLite here, the others through the conformance and schema tests). */
static void test_render_sql(void **st)
{
    (void)st;
    int d[] = {DBMIG_DIALECT_POSTGRES, DBMIG_DIALECT_MYSQL, DBMIG_DIALECT_SQLITE};
    for (int i = 0; i < 3; i++) {
        dm_schema s;
        sql_schema(&s, d[i]);
        dm_buf a = {0}, b = {0};
        assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0);
        assert_string_equal(dm_buf_str(&a), sql_want[i]);
        assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &b), 0); /* deterministic */
        assert_string_equal(dm_buf_str(&a), dm_buf_str(&b));
        dm_buf_free(&a);
        dm_buf_free(&b);
        dm_schema_free(&s);
    }
}

/* A deferrable foreign key: SQLite checks a plain DEFERRABLE key at once,
 * so its dump says INITIALLY DEFERRED; PostgreSQL reports condeferrable
 * alone, so its dump says DEFERRABLE (initially immediate), as it inspects
 * back. Without the flag, neither word. */
static void test_render_sql_deferrable(void **st)
{
    (void)st;
    static const char *const want[2] = {
        "REFERENCES \"customers\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION DEFERRABLE;\n",
        "REFERENCES \"customers\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED,\n",
    };
    int d[] = {DBMIG_DIALECT_POSTGRES, DBMIG_DIALECT_SQLITE};
    for (int i = 0; i < 2; i++) {
        dm_schema s;
        sql_schema(&s, d[i]);
        dm_buf a = {0};
        assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0);
        assert_null(strstr(dm_buf_str(&a), "DEFERR"));
        dm_buf_free(&a);
        find(&s, DBMIG_SO_FOREIGN_KEY, "invoices", "invoices_customer_fk")->flags |= DBMIG_SO_DEFERRABLE;
        assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0);
        const char *fk = strstr(dm_buf_str(&a), "REFERENCES \"customers\"");
        assert_non_null(fk);
        assert_int_equal(strncmp(fk, want[i], strlen(want[i])), 0);
        dm_buf_free(&a);
        dm_schema_free(&s);
    }
}

/* PostgreSQL: a deparsed ARRAY[...]::T[] gets its own element type first,
 * so that it parses back into the same tree; anything else is unchanged. */
static void test_render_sql_pg_arrays(void **st)
{
    (void)st;
    static const char *const t[][2] = {
        {"role::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])",
         "role::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::character "
         "varying[]::text[])"},
        {"a = ANY (ARRAY['x'::character varying]::text[]) OR b = ANY (ARRAY['y'::bpchar, "
         "'z'::bpchar]::text[])",
         "a = ANY (ARRAY['x'::character varying]::character varying[]::text[]) OR b = ANY "
         "(ARRAY['y'::bpchar, 'z'::bpchar]::bpchar[]::text[])"},
        {"x = ANY (ARRAY[1::bigint, 2::bigint]::bigint[])",
         "x = ANY (ARRAY[1::bigint, 2::bigint]::bigint[])"},
        {"x = ANY (ARRAY[1, 2]::bigint[])", "x = ANY (ARRAY[1, 2]::bigint[])"},
        {"x = ANY (ARRAY[1::int, 2::bigint]::text[])", "x = ANY (ARRAY[1::int, 2::bigint]::text[])"},
        {"x = ANY (ARRAY[lower('a'::text)]::text[])", "x = ANY (ARRAY[lower('a'::text)]::text[])"},
        {"n <> 'ARRAY[''a''::varchar]::text[]'", "n <> 'ARRAY[''a''::varchar]::text[]'"},
        {"x = ANY (ARRAY['a]'::character varying]::text[])",
         "x = ANY (ARRAY['a]'::character varying]::character varying[]::text[])"},
        {"ARRAY['a'::varchar", "ARRAY['a'::varchar"},
        {"ARRAY['a'::varchar]::", "ARRAY['a'::varchar]::"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (int d = 0; d < 2; d++) {
            dm_schema s = {0};
            s.dialect = d ? DBMIG_DIALECT_MYSQL : DBMIG_DIALECT_POSTGRES;
            dbmig_schema_object tb = so(DBMIG_SO_TABLE, NULL, "t");
            dbmig_schema_object c = so(DBMIG_SO_CHECK, "t", "c");
            c.definition = t[i][0];
            add_ok(&s, &tb);
            add_ok(&s, &c);
            dm_buf a = {0}, want = {0};
            assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0);
            dm_buf_printf(&want, "CONSTRAINT %sc%s CHECK (%s)", d ? "`" : "\"", d ? "`" : "\"",
                          t[i][d ? 0 : 1]);
            if (!strstr(dm_buf_str(&a), dm_buf_str(&want)))
                fail_msg("case %zu (%s): got\n%s\nwant %s", i, d ? "mysql" : "postgres",
                         dm_buf_str(&a), dm_buf_str(&want));
            dm_buf_free(&a);
            dm_buf_free(&want);
            dm_schema_free(&s);
        }
    }
}


/* ---- PostgreSQL enum types (DBMIG_SO_ENUM, ABI 2.2) ------------------------- */

static dbmig_schema_object enum_o(const char *name, const char *const *labels, uint32_t n)
{
    return keyo(DBMIG_SO_ENUM, NULL, name, labels, n);
}

/* Copied (labels too, in their order), refused without a name or with a
 * label twice, kept with no label (PostgreSQL allows ENUM ()), sorted
 * after every other kind, never dropped with a table. */
static void test_enum_model(void **st)
{
    (void)st;
    char l0[] = "sad", l1[] = "ok", l2[] = "happy";
    const char *labels[] = {l0, l1, l2};
    dm_schema s = {0};
    dbmig_schema_object f = so(DBMIG_SO_FUNCTION, NULL, "f()");
    f.definition = "CREATE FUNCTION f() ...";
    dbmig_schema_object v[] = {enum_o("mood", labels, 3), so(DBMIG_SO_TABLE, NULL, "t"),
                               col("t", "m", 1, "mood", DBMIG_SO_NULLABLE, "'ok'::mood"),
                               enum_o("empty", NULL, 0), f};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        add_ok(&s, &v[i]);
    l1[0] = 'X'; /* the model owns its copies */
    dm_schema_sort(&s);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.v[3].kind, DBMIG_SO_ENUM);
    assert_string_equal(s.v[3].name, "empty");
    assert_int_equal(s.v[3].ncolumns, 0);
    const dm_sobj *e = &s.v[4];
    assert_string_equal(e->name, "mood");
    assert_null(e->table);
    assert_int_equal(e->ncolumns, 3);
    assert_string_equal(e->columns[0], "sad"); /* the labels keep their order */
    assert_string_equal(e->columns[1], "ok");
    assert_string_equal(e->columns[2], "happy");
    assert_string_equal(find(&s, DBMIG_SO_COLUMN, "t", "m")->family, "other");
    dm_schema_drop_table(&s, "t");
    assert_int_equal(s.n, 3);
    find(&s, DBMIG_SO_ENUM, NULL, "mood");
    dm_schema_free(&s);

    refused(enum_o(NULL, labels, 3), "enum (no name): it has no name");
    refused(enum_o("", labels, 3), "enum (no name): it has no name");
    const char *twice[] = {"a", "b", "a"};
    refused(enum_o("e", twice, 3), "enum e: one of its labels is listed twice");
    const char *hole[] = {"a", NULL};
    refused(enum_o("e", hole, 2), "enum e: one of its columns is NULL");
}

/* Two models that differ in an enum: only on one side, or its labels (in
 * order: a reordering is a difference, the order is the type's sort
 * order). */
static void test_enum_compare(void **st)
{
    (void)st;
    const char *ab[] = {"a", "b"}, *ba[] = {"b", "a"}, *abc[] = {"a", "b", "c"};
    dm_schema a = {0}, b = {0};
    dbmig_schema_object ea = enum_o("e", ab, 2), eb = enum_o("e", ab, 2);
    dbmig_schema_object only = enum_o("f", ab, 2);
    add_ok(&a, &ea);
    add_ok(&b, &eb);
    add_ok(&b, &only);
    dm_schema_sort(&a);
    dm_schema_sort(&b);
    dm_sdiffs d = {0};
    dm_err e = {0};
    assert_int_equal(dm_schema_compare(&a, &b, "the database", "the migrations", &d, &e), 0);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.v[0].object, "enum f");
    assert_string_equal(d.v[0].field, "missing");
    dm_sdiffs_free(&d);
    const char *const *want[] = {ba, abc};
    size_t nwant[] = {2, 3};
    const char *right[] = {"(b, a)", "(a, b, c)"};
    for (int i = 0; i < 2; i++) {
        dm_schema_free(&b);
        eb = enum_o("e", want[i], (uint32_t)nwant[i]);
        add_ok(&b, &eb);
        assert_int_equal(dm_schema_compare(&a, &b, "the database", "the migrations", &d, &e), 0);
        assert_int_equal(d.n, 1);
        assert_string_equal(d.v[0].object, "enum e");
        assert_string_equal(d.v[0].field, "labels");
        assert_string_equal(d.v[0].left, "(a, b)");
        assert_string_equal(d.v[0].right, right[i]);
        dm_sdiffs_free(&d);
    }
    dm_schema_free(&a);
    dm_schema_free(&b);
}

/* Rendered: SQL (CREATE TYPE before everything, labels as literals with
 * quotes and backslashes escaped), JSON ("enums" beside the tables, labels
 * in order), portable (no line: PostgreSQL only; the column is "other"). */
static void test_enum_render(void **st)
{
    (void)st;
    const char *mood[] = {"sad", "it's ok", "a\\b"}, *none[] = {NULL};
    dm_schema s = {0};
    s.dialect = DBMIG_DIALECT_POSTGRES;
    dbmig_schema_object v[] = {
        so(DBMIG_SO_TABLE, NULL, "t"),
        col("t", "m", 1, "mood", 0, "'sad'::mood"),
        enum_o("mood", mood, 3),
        enum_o("Empty", none, 0),
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        add_ok(&s, &v[i]);
    dbmig_schema_object seq = so(DBMIG_SO_SEQUENCE, NULL, "n");
    add_ok(&s, &seq);
    dm_schema_sort(&s);
    dm_buf a = {0};
    assert_int_equal(dm_schema_render_sql(&s, NULL, NULL, &a), 0);
    assert_string_equal(dm_buf_str(&a),
                        "-- Schema dumped by dbmig (PostgreSQL); it loads into an empty database.\n"
                        "\n"
                        "CREATE TYPE \"Empty\" AS ENUM ();\n"
                        "CREATE TYPE \"mood\" AS ENUM ('sad', 'it''s ok', E'a\\\\b');\n"
                        "\n"
                        "CREATE SEQUENCE \"n\";\n"
                        "\n"
                        "CREATE TABLE \"t\" (\n"
                        "  \"m\" mood DEFAULT 'sad'::mood NOT NULL\n"
                        ");\n");
    dm_buf_reset(&a);
    assert_int_equal(dm_schema_render_json(&s, &a), 0);
    const char *json = dm_buf_str(&a);
    assert_non_null(strstr(json, "  \"dialect\": \"postgres\",\n"
                                 "  \"enums\": [\n"
                                 "    {\n"
                                 "      \"labels\": [],\n"
                                 "      \"name\": \"Empty\"\n"
                                 "    },\n"
                                 "    {\n"
                                 "      \"labels\": [\n"
                                 "        \"sad\",\n"
                                 "        \"it's ok\",\n"
                                 "        \"a\\\\b\"\n"
                                 "      ],\n"
                                 "      \"name\": \"mood\"\n"
                                 "    }\n"
                                 "  ],\n"
                                 "  \"functions\": [],\n"));
    assert_non_null(strstr(json, "\"family\": \"other\""));
    dm_buf_reset(&a);
    assert_int_equal(dm_schema_render_portable(&s, &a), 0);
    assert_string_equal(dm_buf_str(&a), "column t.m other notnull\ntable t\n");
    dm_buf_free(&a);
    dm_schema_free(&s);
}

/* Every allocation of the enum paths (copying labels, comparing them,
 * rendering them) failed in turn: reported, nothing leaked. */
static int enum_oom_round(void)
{
    const char *ab[] = {"a", "b'c"}, *ba[] = {"b'c", "a"};
    dm_schema a = {0}, b = {0};
    dm_sdiffs d = {0};
    dm_err e = {0};
    dm_buf out = {0};
    a.dialect = b.dialect = DBMIG_DIALECT_POSTGRES;
    dbmig_schema_object ea = enum_o("e", ab, 2), eb = enum_o("e", ba, 2);
    int rc = dm_schema_add(&a, &ea, &e);
    if (!rc)
        rc = dm_schema_add(&b, &eb, &e);
    if (!rc)
        rc = dm_schema_compare(&a, &b, "L", "R", &d, &e);
    if (rc)
        assert_string_equal(dm_err_msg(&e), "out of memory");
    if (!rc)
        rc = dm_schema_render_sql(&a, NULL, NULL, &out);
    if (!rc)
        rc = dm_schema_render_json(&a, &out);
    if (!rc)
        assert_int_equal(d.n, 1);
    dm_buf_free(&out);
    dm_sdiffs_free(&d);
    dm_schema_free(&a);
    dm_schema_free(&b);
    dm_err_free(&e);
    return rc;
}

static void test_enum_oom(void **st)
{
    (void)st;
    long n = 1;
    for (;; n++) {
        A.count = 0;
        A.failed = 0;
        A.fail_at = n;
        int rc = enum_oom_round();
        A.fail_at = 0;
        if (!A.failed) {
            assert_int_equal(rc, 0);
            break;
        }
        if (!rc)
            fail_msg("allocation %ld failed and nobody noticed", n);
    }
    assert_true(n > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_family),
        cmocka_unit_test(test_add_refuses),
        cmocka_unit_test(test_add_copies_and_respects_size),
        cmocka_unit_test(test_sort_order),
        cmocka_unit_test(test_sort_bytewise_and_unnamed),
        cmocka_unit_test(test_drop_table),
        cmocka_unit_test(test_from_driver),
        cmocka_unit_test(test_compare_columns),
        cmocka_unit_test(test_compare_presence),
        cmocka_unit_test(test_compare_constraints),
        cmocka_unit_test(test_compare_unnamed),
        cmocka_unit_test(test_compare_tables_and_json),
        cmocka_unit_test(test_render_json_portable),
        cmocka_unit_test(test_portable_normalises),
        cmocka_unit_test(test_render_sql),
        cmocka_unit_test(test_render_sql_quote),
        cmocka_unit_test(test_render_sql_deferrable),
        cmocka_unit_test(test_render_sql_pg_arrays),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_enum_model),
        cmocka_unit_test(test_enum_compare),
        cmocka_unit_test(test_enum_render),
        cmocka_unit_test(test_enum_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
