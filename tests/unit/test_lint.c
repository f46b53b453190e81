/* test_lint.c — the rule engine of `dbmig lint` (core/lint*.c) without the
 * CLI: the rule table, the two PostgreSQL readers agreeing (libpg_query's
 * parse tree and the token path that replaces it when the build has no
 * libpg_query), what the token path must not misread, and dm_lint_section's
 * filters: severity settings, dialects, down sections, suppressions. The
 * per-rule positive and negative cases per dialect are tests/lint's. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "migfile.h"

static void test_rule_table(void **state)
{
    (void)state;
    size_t n;
    const dm_lint_rule *r = dm_lint_rules(&n);
    assert_true(n >= 30);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(r[i].why);
        assert_non_null(r[i].fix);
        assert_true(r[i].severity >= DM_LINT_INFO && r[i].severity <= DM_LINT_ERROR);
        assert_true(r[i].dialects != 0 && (r[i].dialects & ~(unsigned)DM_LD_ALL) == 0);
        assert_int_equal(dm_lint_rule_index(r[i].id), (int)i);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(r[i].id, r[k].id);
    }
    assert_string_equal(dm_lint_rule_nearest("renaming-colum"), "renaming-column");
    assert_string_equal(dm_lint_rule_nearest("prefer-timestamptz"), "prefer-timestamp-tz");
    assert_null(dm_lint_rule_find("no-such-rule", NULL));
    assert_int_equal(dm_lint_severity_parse("warning"), DM_LINT_WARNING);
    assert_int_equal(dm_lint_severity_parse("off"), DM_LINT_OFF);
    assert_int_equal(dm_lint_severity_parse("Warning"), -1);
    assert_int_equal(dm_lint_severity_parse(NULL), -1);
}

/* One line per action: "kind table name type len flags", sorted out of
 * the way by the caller comparing whole strings. */
static void describe(const dm_lfacts *f, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < f->n && o < cap; i++) {
        const dm_lact *a = &f->v[i];
        o += (size_t)snprintf(out + o, cap - o, "%d %s %s %s %d %x;", (int)a->kind, a->table,
                              a->name, a->type, a->type_len, a->flags);
    }
}

/* The token path reads these PostgreSQL statements exactly as the parser
 * does (kinds, tables, names, types, flags): the fallback is faithful on
 * the forms the rules need. */
static void test_pg_readers_agree(void **state)
{
    (void)state;
    if (!dm_lint_have_pg_parser())
        skip();
    static const char *const sqls[] = {
        "ALTER TABLE public.users ADD COLUMN org_id bigint NOT NULL",
        "ALTER TABLE users ADD COLUMN IF NOT EXISTS u uuid DEFAULT gen_random_uuid()",
        "ALTER TABLE users ADD COLUMN n int DEFAULT 0, ADD COLUMN m varchar(20)",
        "ALTER TABLE users RENAME COLUMN email TO mail",
        "ALTER TABLE users RENAME TO people",
        "ALTER TABLE users DROP COLUMN IF EXISTS email",
        "ALTER TABLE users ALTER COLUMN email TYPE text",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES o (id) NOT VALID",
        "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0)",
        "ALTER TABLE users ADD CONSTRAINT u UNIQUE USING INDEX users_u",
        "ALTER TABLE users VALIDATE CONSTRAINT fk",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_e ON users (email)",
        "CREATE INDEX ON users (email)",
        "DROP INDEX CONCURRENTLY IF EXISTS users_e",
        "DROP TABLE IF EXISTS a, b CASCADE",
        "TRUNCATE users CASCADE",
        "CREATE TABLE t (id bigserial PRIMARY KEY, name varchar(100) NOT NULL, at timestamp, "
        "tz timestamp with time zone, c char(3), n int DEFAULT 1)",
        "CREATE TEMP TABLE IF NOT EXISTS tt (a text)",
        "SET lock_timeout = '2s'",
        "BEGIN",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        dm_lfacts a = {0}, b = {0};
        assert_int_equal(dm_lint_pg_facts(sqls[i], strlen(sqls[i]), &a), 0);
        assert_int_equal(dm_lint_tok_facts(sqls[i], strlen(sqls[i]), DBMIG_DIALECT_POSTGRES, &b), 0);
        assert_false(a.parse_failed);
        char da[2048], db[2048];
        describe(&a, da, sizeof da);
        describe(&b, db, sizeof db);
        if (strcmp(da, db) != 0)
            fail_msg("%s\n parser: %s\n tokens: %s", sqls[i], da, db);
        assert_true(a.n > 0);
        dm_lfacts_free(&a);
        dm_lfacts_free(&b);
    }
}

/* What the token path must not misread: words inside strings, dollar
 * bodies, comments and identifiers. */
static void test_tok_not_fooled(void **state)
{
    (void)state;
    static const struct {
        int dialect;
        const char *sql;
    } quiet[] = {
        {DBMIG_DIALECT_POSTGRES, "CREATE FUNCTION f() RETURNS void AS $$ ALTER TABLE t RENAME TO u; $$ LANGUAGE sql"},
        {DBMIG_DIALECT_POSTGRES, "INSERT INTO log VALUES (E'ALTER TABLE t DROP COLUMN \\' c')"},
        {DBMIG_DIALECT_MYSQL, "INSERT INTO log VALUES ('it\\'s DROP TABLE x')"},
        {DBMIG_DIALECT_MYSQL, "SELECT 1 # DROP TABLE users"},
        {DBMIG_DIALECT_SQLITE, "SELECT [drop table] FROM t /* ALTER TABLE t RENAME TO u */"},
        {DBMIG_DIALECT_SQLITE, "UPDATE t SET note = 'TRUNCATE users CASCADE'"},
    };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        dm_lfacts f = {0};
        assert_int_equal(dm_lint_tok_facts(quiet[i].sql, strlen(quiet[i].sql), quiet[i].dialect, &f), 0);
        if (f.n)
            fail_msg("%s: %zu facts, first kind %d", quiet[i].sql, f.n, (int)f.v[0].kind);
        dm_lfacts_free(&f);
    }
    /* a comma inside a dollar-quoted default is no second action */
    const char *dq = "ALTER TABLE t ADD COLUMN c text DEFAULT $$a, DROP COLUMN b$$";
    dm_lfacts g = {0};
    assert_int_equal(dm_lint_tok_facts(dq, strlen(dq), DBMIG_DIALECT_POSTGRES, &g), 0);
    for (size_t i = 0; i < g.n; i++)
        assert_int_not_equal(g.v[i].kind, LA_DROP_COLUMN);
    dm_lfacts_free(&g);
    /* a statement the PostgreSQL parser refuses is reported, not guessed */
    if (dm_lint_have_pg_parser()) {
        dm_lfacts f = {0};
        const char *bad = "ALTER TABLE users FROBNICATE x";
        assert_int_equal(dm_lint_pg_facts(bad, strlen(bad), &f), 0);
        assert_true(f.parse_failed);
        assert_true(strstr(f.why, "syntax error") != NULL);
        dm_lfacts_free(&f);
    }
}

/* A section of statements as lint.c builds it, token path. */
static dm_lstmt *stmts(int dialect, const char *const *sql, size_t n)
{
    dm_lstmt *st = calloc(n, sizeof *st);
    assert_non_null(st);
    for (size_t i = 0; i < n; i++) {
        st[i].sql = sql[i];
        st[i].len = strlen(sql[i]);
        st[i].line = (int)(10 * (i + 1));
        assert_int_equal(dm_lint_tok_facts(sql[i], st[i].len, dialect, &st[i].facts), 0);
    }
    return st;
}

static void free_stmts(dm_lstmt *st, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dm_lfacts_free(&st[i].facts);
    free(st);
}

static int count(const dm_lfindings *f, const char *rule, int *line, int *sev)
{
    int c = 0;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].rule, rule) == 0) {
            c++;
            if (line)
                *line = f->v[i].line;
            if (sev)
                *sev = f->v[i].severity;
        }
    return c;
}

static void test_section_filters(void **state)
{
    (void)state;
    const char *sql[] = {"ALTER TABLE users\n  DROP COLUMN email", "DROP TABLE old"};
    int sev[64];
    size_t n;
    const dm_lint_rule *r = dm_lint_rules(&n);
    for (size_t i = 0; i < n; i++)
        sev[i] = r[i].severity;
    dm_lctx cx = {DBMIG_DIALECT_POSTGRES, "postgres", DM_UP, 1, 1, 0, "003", "m/003.sql", sev, 1};
    dm_lstmt *st = stmts(cx.dialect, sql, 2);
    dm_lfindings f = {0};
    assert_int_equal(dm_lint_section(&cx, st, 2, &f), 0);
    int line = 0, s = 0;
    assert_int_equal(count(&f, "ban-drop-column", &line, &s), 1);
    assert_int_equal(line, 11); /* the action's line: the statement's second line */
    assert_int_equal(s, DM_LINT_WARNING);
    assert_int_equal(count(&f, "ban-drop-table", NULL, NULL), 1);
    assert_int_equal(count(&f, "require-timeout-settings", NULL, NULL), 0); /* --ddl-lock-timeout */
    assert_string_equal(f.v[0].revision, "003");
    dm_lfindings_free(&f);

    /* a setting: off, and another severity */
    sev[dm_lint_rule_index("ban-drop-column")] = DM_LINT_OFF;
    sev[dm_lint_rule_index("ban-drop-table")] = DM_LINT_ERROR;
    assert_int_equal(dm_lint_section(&cx, st, 2, &f), 0);
    assert_int_equal(count(&f, "ban-drop-column", NULL, NULL), 0);
    assert_int_equal(count(&f, "ban-drop-table", NULL, &s), 1);
    assert_int_equal(s, DM_LINT_ERROR);
    dm_lfindings_free(&f);

    /* a down section drops what its up created: the data-loss rules are up-only */
    cx.kind = DM_DOWN;
    assert_int_equal(dm_lint_section(&cx, st, 2, &f), 0);
    assert_int_equal(count(&f, "ban-drop-table", NULL, NULL), 0);
    dm_lfindings_free(&f);

    /* a suppression hides its rule on its statement only, and is marked used */
    cx.kind = DM_UP;
    st[1].suppressed[0] = "ban-drop-table";
    st[1].suppressed_n = 1;
    assert_int_equal(dm_lint_section(&cx, st, 2, &f), 0);
    assert_int_equal(count(&f, "ban-drop-table", NULL, NULL), 0);
    assert_true(st[1].suppress_used[0]);
    dm_lfindings_free(&f);
    free_stmts(st, 2);
}

static void test_dialect_knowledge(void **state)
{
    (void)state;
    int sev[64];
    size_t n;
    const dm_lint_rule *r = dm_lint_rules(&n);
    for (size_t i = 0; i < n; i++)
        sev[i] = r[i].severity;
    /* MySQL: a NOT NULL column gets the type's implicit default (no
     * adding-required-field); its DDL commits on its own */
    const char *my[] = {"ALTER TABLE users ADD COLUMN n INT NOT NULL", "INSERT INTO users VALUES (1)"};
    dm_lctx cx = {DBMIG_DIALECT_MYSQL, "mysql", DM_UP, 0, 1, 0, "1", "f.sql", sev, 0};
    dm_lstmt *st = stmts(cx.dialect, my, 2);
    dm_lfindings f = {0};
    assert_int_equal(dm_lint_section(&cx, st, 2, &f), 0);
    assert_int_equal(count(&f, "adding-required-field", NULL, NULL), 0);
    assert_int_equal(count(&f, "mysql-implicit-commit", NULL, NULL), 1);
    assert_int_equal(count(&f, "require-timeout-settings", NULL, NULL), 1);
    dm_lfindings_free(&f);
    free_stmts(st, 2);

    /* PostgreSQL 10 rewrites the table for any default; 11+ does not */
    const char *pg[] = {"ALTER TABLE users ADD COLUMN n int DEFAULT 0"};
    dm_lctx pcx = {DBMIG_DIALECT_POSTGRES, "postgres", DM_UP, 1, 1, 10, "1", "f.sql", sev, 1};
    st = stmts(pcx.dialect, pg, 1);
    assert_int_equal(dm_lint_section(&pcx, st, 1, &f), 0);
    assert_int_equal(count(&f, "adding-field-with-default", NULL, NULL), 1);
    dm_lfindings_free(&f);
    pcx.pg_major = 11;
    assert_int_equal(dm_lint_section(&pcx, st, 1, &f), 0);
    assert_int_equal(count(&f, "adding-field-with-default", NULL, NULL), 0);
    dm_lfindings_free(&f);
    free_stmts(st, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_table),
        cmocka_unit_test(test_pg_readers_agree),
        cmocka_unit_test(test_tok_not_fooled),
        cmocka_unit_test(test_section_filters),
        cmocka_unit_test(test_dialect_knowledge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
