/* test_mysql_inspect_rows.c — the MySQL driver's inspect() (drivers/mysql/
 * inspect.c) fed with catalog rows shaped as MySQL 8 answers them, without
 * a server: no MySQL server runs in the tests (the throwaway server is
 * MariaDB), yet inspect.c has MySQL-only paths (raw defaults rewritten into
 * MariaDB's form, CHECK_CLAUSE's outer parentheses, STATISTICS.EXPRESSION,
 * the database qualifier of a view). inspect.c is compiled in here with
 * stubs for the functions of mysql.c it calls; my_query answers each
 * catalog query from the table below (picked by a word of the query).
 * The rows follow MySQL 8.0's documentation of information_schema. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/mysql/inspect.c"

/* ---- stubs of mysql.c ------------------------------------------------------ */

void my_err_clear(dbmig_db_error *e) { memset(e, 0, sizeof *e); }

void my_set(dbmig_db_error *e, const char *code, const char *hint, const char *fmt, const char *a,
            const char *b)
{
    if (!e)
        return;
    my_err_clear(e);
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->message, sizeof e->message, fmt, a, b);
    if (hint)
        snprintf(e->hint, sizeof e->hint, "%s", hint);
}

int my_fail_msg(dbmig_conn *c, const char *code, const char *msg, const char *hint)
{
    my_set(&c->err, code, hint, "%s%s", msg, "");
    return DBMIG_DRV_ERROR;
}

int my_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *affected)
{
    (void)self;
    (void)c;
    (void)sql;
    (void)len;
    (void)affected;
    return DBMIG_DRV_OK;
}

size_t my_quote_ident(void *self, const dbmig_conn *c, const char *in, size_t inlen, char *out,
                      size_t cap)
{
    (void)self;
    (void)c;
    size_t need = 2, o = 0;
    for (size_t i = 0; i < inlen; i++)
        need += in[i] == '`' ? 2 : 1;
    if (!out || !cap)
        return need;
    for (size_t i = 0; i <= inlen + 1 && o + 1 < cap; i++) {
        char ch = i == 0 || i == inlen + 1 ? '`' : in[i - 1];
        out[o++] = ch;
        if (ch == '`' && i > 0 && i <= inlen && o + 1 < cap)
            out[o++] = '`';
    }
    out[o] = '\0';
    return need;
}

/* ---- MySQL 8's answers -------------------------------------------------------- */

#define N NULL
#define MAXC 11

typedef struct answer {
    const char *word; /* a word of the query that picks this answer */
    const char *rows[8][MAXC];
    int ncols, nrows;
} answer;

static const answer ANSWERS[] = {
    {"information_schema.TABLES",
     {{"t", "utf8mb4_0900_ai_ci", "BASE TABLE"}, {"u", "utf8mb4_0900_ai_ci", "BASE TABLE"}},
     3, 2},
    {"CHECK_CONSTRAINTS", {{"t", "t_chk_1", "(`a` > 0)", N}, {"t", "named", "((`a` < 9))", N}},
     4, 2},
    {"information_schema.COLUMNS",
     {{"t", "a", "1", "int", "NO", N, "", "", N, "int"},
      {"t", "s", "2", "varchar(10)", "YES", "it's", "", "", "utf8mb4_0900_ai_ci", "varchar"},
      {"t", "ts", "3", "timestamp(3)", "YES", "CURRENT_TIMESTAMP(3)",
       "DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)", "", N, "timestamp"},
      {"t", "r", "4", "double", "YES", "rand()", "DEFAULT_GENERATED", "", N, "double"},
      {"t", "j", "5", "json", "YES", N, "", "", N, "json"},
      {"t", "g", "6", "int", "YES", N, "STORED GENERATED", "(`a` + 1)", N, "int"},
      {"t", "bs", "7", "varchar(5)", "NO", "a\\b\n", "", "", "utf8mb4_bin", "varchar"},
      {"v", "a", "1", "int", "NO", "0", "", "", N, "int"}},
     10, 8},
    {"REFERENTIAL_CONSTRAINTS",
     {{"u", "u_ibfk_1", "NO ACTION", "CASCADE", "t", "ta", "a"}}, 7, 1},
    {"STATISTICS",
     {{"t", "PRIMARY", "0", "BTREE", "a", N, "A", N},
      {"t", "t_lower", "1", "BTREE", N, N, "A", "lower(`s`)"},
      {"t", "t_u", "0", "BTREE", "s", N, "A", N},
      {"t", "t_wrapped", "1", "BTREE", N, N, "D", "(`a` + 1)"},
      {"u", "ta", "1", "BTREE", "ta", N, "A", N}},
     8, 5},
    {"information_schema.VIEWS",
     {{"v", "select `db1`.`t`.`a` AS `a` from `db1`.`t` where `db1`.`t`.`s` <> '`db1`.'", "db1"}},
     3, 1},
    {"TRIGGERS", {{N}}, 6, 0},
    {"ROUTINES",
     {{"FUNCTION", "f", "int", "NO", "READS SQL DATA", "INVOKER", "", "RETURN 1", "IN", "x",
       "varchar(3) CHARSET utf8mb4"}},
     11, 1},
};

int my_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload)
{
    (void)self;
    (void)c;
    for (size_t i = 0; i < sizeof ANSWERS / sizeof ANSWERS[0]; i++) {
        const answer *a = &ANSWERS[i];
        if (!strstr(sql, a->word))
            continue;
        for (int r = 0; r < a->nrows; r++) {
            size_t lens[MAXC];
            for (int k = 0; k < a->ncols; k++)
                lens[k] = a->rows[r][k] ? strlen(a->rows[r][k]) : 0;
            if (fn(payload, a->ncols, a->rows[r], lens))
                break;
        }
        return DBMIG_DRV_OK;
    }
    fail_msg("a query nobody answers: %s", sql);
    return DBMIG_DRV_ERROR;
}

/* ---- the test ------------------------------------------------------------------- */

static void *h_alloc(void *p, size_t n)
{
    (*(long *)p)++;
    return malloc(n);
}
static void *h_realloc(void *p, void *q, size_t n)
{
    if (!q)
        (*(long *)p)++;
    return realloc(q, n);
}
static void h_free(void *p, void *q)
{
    (*(long *)p)--;
    free(q);
}

static char got[8192];

static int collect(void *payload, const dbmig_schema_object *o)
{
    (void)payload;
    char line[1024];
    int n = snprintf(line, sizeof line, "%u %s.%s", o->kind, o->table ? o->table : "",
                     o->name ? o->name : "");
    if (o->default_expr)
        n += snprintf(line + n, sizeof line - (size_t)n, " default=%s", o->default_expr);
    if (o->generated)
        n += snprintf(line + n, sizeof line - (size_t)n, " as=%s%s", o->generated,
                      o->flags & DBMIG_SO_GENERATED_STORED ? " stored" : "");
    if (o->collation)
        n += snprintf(line + n, sizeof line - (size_t)n, " collate=%s", o->collation);
    if (o->kind == DBMIG_SO_COLUMN)
        n += snprintf(line + n, sizeof line - (size_t)n, " %s", o->type);
    for (uint32_t i = 0; i < o->ncolumns; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", i ? "," : " (", o->columns[i]);
    if (o->ncolumns)
        n += snprintf(line + n, sizeof line - (size_t)n, ")");
    if (o->on_delete)
        n += snprintf(line + n, sizeof line - (size_t)n, " del=%s upd=%s", o->on_delete,
                      o->on_update);
    if (o->definition)
        snprintf(line + n, sizeof line - (size_t)n, " | %s", o->definition);
    strncat(got, line, sizeof got - strlen(got) - 2);
    strcat(got, "\n");
    return 0;
}

static void has(const char *line)
{
    char want[1100];
    snprintf(want, sizeof want, "%s\n", line);
    if (!strstr(got, want)) {
        fprintf(stderr, "got:\n%s", got);
        fail_msg("missing: %s", line);
    }
}

static void test_mysql8_rows(void **state)
{
    (void)state;
    long live = 0;
    dbmig_conn c;
    memset(&c, 0, sizeof c);
    dbmig_host h = {sizeof h, &live, h_alloc, h_realloc, h_free, NULL, 0};
    c.host = h;
    c.mariadb = 0;
    c.version = 80036;
    got[0] = '\0';
    assert_int_equal(my_inspect(NULL, &c, collect, NULL), DBMIG_DRV_OK);
    assert_int_equal(live, 0);
    /* tables (a view's columns are left out) */
    has("1 .t");
    has("1 .u");
    assert_null(strstr(got, "2 v.a"));
    /* defaults in MariaDB's form: quoted, current_timestamp(N); an
     * expression in parentheses (MySQL loads it only so) */
    has("2 t.a int");
    has("2 t.s default='it''s' varchar(10)");
    has("2 t.ts default=current_timestamp(3) timestamp(3)");
    has("2 t.r default=(rand()) double");
    has("2 t.j json");
    has("2 t.g as=(`a` + 1) stored int");
    has("2 t.bs default='a\\\\b\\n' collate=utf8mb4_bin varchar(5)");
    /* CHECK_CLAUSE without MySQL's outer parentheses (one pair) */
    has("6 t.t_chk_1 | `a` > 0");
    has("6 t.named | (`a` < 9)");
    /* keys and indexes: expressions in parentheses once, DESC kept; the
     * index MySQL made for u's unnamed key (named after its column) left out */
    has("3 t. (a)");
    has("4 t.t_u (s)");
    has("7 t.t_lower ((lower(`s`)))");
    has("7 t.t_wrapped ((`a` + 1) DESC)");
    has("5 u.u_ibfk_1 (ta) del=CASCADE upd=NO ACTION");
    assert_null(strstr(got, "7 u.ta"));
    /* the view without the database qualifier, a literal kept */
    has("8 .v | select `t`.`a` AS `a` from `t` where `t`.`s` <> '`db1`.'");
    has("11 .f | CREATE FUNCTION `f`(`x` varchar(3) CHARSET utf8mb4) RETURNS int READS SQL DATA "
        "SQL SECURITY INVOKER\nRETURN 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mysql8_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
