/* test_placeholder.c — ${name} placeholders (core/placeholder.c) and their
 * place in a migration file (core/migfile.c, SPEC section 16): the marker,
 * substitution before splitting, the checks, and the checksum that ignores
 * the values. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "migfile.h"
#include "placeholder.h"

static const dbmig_var vars[] = {{"tbl", "users"}, {"Schema", "tenant_a"}, {"empty", ""},
                                 {"semi", "a; b"}, {"quote", "it's"}};
#define NVARS (sizeof vars / sizeof vars[0])

static char msg[2048];

/* dm_ph_subst of text: 0 with the result in msg, or the code with the
 * error in msg. */
static int subst(const char *text, const dbmig_var *v, size_t nv)
{
    dm_buf out = {0};
    dm_err err = {0};
    int rc = dm_ph_subst("m/001.sql", 3, text, strlen(text), v, nv, &out, NULL, &err);
    snprintf(msg, sizeof msg, "%s", rc ? dm_err_msg(&err) : dm_buf_str(&out));
    dm_buf_free(&out);
    dm_err_free(&err);
    return rc;
}

static void test_subst(void **st)
{
    (void)st;
    assert_int_equal(subst("SELECT * FROM ${tbl}, ${TBL}_x, ${schema}.t${empty};", vars, NVARS), 0);
    assert_string_equal(msg, "SELECT * FROM users, users_x, tenant_a.t;");
    /* $${ is a literal ${; a lone $ and $name are text */
    assert_int_equal(subst("x $${tbl} $$ $tbl $ {tbl} $", vars, NVARS), 0);
    assert_string_equal(msg, "x ${tbl} $$ $tbl $ {tbl} $");
    /* a $ that closes a dollar-quote tag ($$ or $tag$) never starts the $${
     * escape: the placeholder right inside a dollar-quoted body is one */
    static const char *const dq[][2] = {
        {"SELECT $$${tbl}$$;", "SELECT $$users$$;"},
        {"AS $fn$${schema}.f()$fn$", "AS $fn$tenant_a.f()$fn$"},
        {"AS $_b1$${tbl}$_b1$", "AS $_b1$users$_b1$"},
        {"$$$${tbl}", "$$$users"},
        {"$${tbl}", "${tbl}"},          /* at the start: the escape */
        {"x$${tbl}", "x${tbl}"},        /* after a word: the escape */
        {"a$b$${tbl}", "a$b${tbl}"},    /* a$b$ is an identifier, not a tag */
        {"$1$${tbl}", "$1${tbl}"},      /* $1 is a parameter, not a tag */
        {"$$ $${tbl}$$", "$$ ${tbl}$$"}, /* a blank after $$: the escape again */
    };
    for (size_t i = 0; i < sizeof dq / sizeof dq[0]; i++) {
        assert_int_equal(subst(dq[i][0], vars, NVARS), 0);
        if (strcmp(msg, dq[i][1]) != 0)
            fail_msg("%s gave %s, not %s", dq[i][0], msg, dq[i][1]);
    }
    /* one pass: a value's own ${...} is not expanded again */
    static const dbmig_var self[] = {{"a", "${b}"}, {"b", "no"}};
    assert_int_equal(subst("${a}", self, 2), 0);
    assert_string_equal(msg, "${b}");
    assert_int_equal(subst("", vars, NVARS), 0);
    assert_string_equal(msg, "");
}

static void test_subst_errors(void **st)
{
    (void)st;
    assert_int_equal(subst("SELECT 1;\n\nSELECT ${tlb};", vars, NVARS), DBMIG_EINVALID);
    assert_non_null(strstr(msg, "m/001.sql:5: placeholder ${tlb} has no value (did you mean ${tbl}?)"));
    assert_non_null(strstr(msg, "--var tlb=VALUE"));
    assert_non_null(strstr(msg, "DBMIG_VAR_TLB"));
    assert_non_null(strstr(msg, "[vars]"));
    assert_int_equal(subst("${nothing}", NULL, 0), DBMIG_EINVALID);
    assert_non_null(strstr(msg, "m/001.sql:3: placeholder ${nothing} has no value."));
    static const char *const bad[] = {"${ tbl }", "${tbl", "${}", "${1x}", "${a-b}",
                                      "${tbl\n}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(subst(bad[i], vars, NVARS), DBMIG_EINVALID);
        if (!strstr(msg, "m/001.sql:3: '${") || !strstr(msg, "is not a placeholder"))
            fail_msg("%s: %s", bad[i], msg);
    }
}

static void test_check_vars(void **st)
{
    (void)st;
    dm_err err = {0};
    assert_int_equal(dm_ph_check_vars(vars, NVARS, &err), 0);
    assert_int_equal(dm_ph_check_vars(NULL, 0, &err), 0);
    const struct {
        dbmig_var v[2];
        const char *want;
    } cases[] = {
        {{{"tbl", "a"}, {"TBL", "b"}}, "placeholder TBL is given twice"},
        {{{"tbl", "a"}, {"my-tbl", "b"}}, "'my-tbl' is not a placeholder name"},
        {{{"tbl", "a"}, {NULL, "b"}}, "'(null)' is not a placeholder name"},
        {{{"tbl", "a"}, {"x", NULL}}, "placeholder x has no value"},
        {{{"tbl", "a"}, {"x", "secret\nline"}}, "placeholder x holds a line break"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dm_ph_check_vars(cases[i].v, 2, &err), DBMIG_EUSAGE);
        if (!strstr(dm_err_msg(&err), cases[i].want) || strstr(dm_err_msg(&err), "secret"))
            fail_msg("case %zu: %s", i, dm_err_msg(&err));
    }
    assert_int_equal(dm_ph_check_vars(NULL, 2, &err), DBMIG_EUSAGE);
    dm_err_free(&err);
    assert_true(dm_ph_value_risky("a;b"));
    assert_true(dm_ph_value_risky("it's"));
    assert_true(dm_ph_value_risky("x -- y"));
    assert_false(dm_ph_value_risky("tenant_a"));
}

/* ---- in a migration file ---------------------------------------------------- */

/* Parses text as migrations/001_x.sql with vars; the up statements joined
 * by " | " into msg, or the error. */
static int up_of(const char *text, const dbmig_var *v, size_t nv, char *checksum)
{
    dm_migfile mf;
    dm_err err = {0};
    int rc = dm_migfile_parse("migrations/001_x.sql", text, strlen(text), &mf, &err);
    msg[0] = '\0';
    if (rc) {
        snprintf(msg, sizeof msg, "%s", dm_err_msg(&err));
        dm_err_free(&err);
        return rc;
    }
    if (checksum)
        strcpy(checksum, mf.checksum);
    mf.vars = v;
    mf.nvars = nv;
    dm_stmt_list l = {0};
    rc = dm_migfile_statements(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, &l, NULL, &err);
    if (rc)
        snprintf(msg, sizeof msg, "%s", dm_err_msg(&err));
    for (size_t i = 0; !rc && i < l.n; i++) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n, "%s%s@%d", i ? " | " : "", l.v[i].sql, l.v[i].line);
    }
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);
    dm_err_free(&err);
    return rc;
}

static void test_file(void **st)
{
    (void)st;
    const char *f = "-- dbmig:placeholders on\n"
                    "-- dbmig:up\n"
                    "CREATE TABLE ${schema}.${tbl} (v TEXT DEFAULT '${quote}');\n"
                    "INSERT INTO ${tbl} VALUES ('${semi}'); -- ${tbl}\n"
                    "-- dbmig:down\n"
                    "DROP TABLE ${undefined_in_down};\n";
    static const dbmig_var ok[] = {{"tbl", "users"}, {"Schema", "tenant_a"}, {"semi", "a; b"},
                                   {"quote", "it''s"}};
    assert_int_equal(up_of(f, ok, 4, NULL), 0);
    assert_string_equal(msg, "CREATE TABLE tenant_a.users (v TEXT DEFAULT 'it''s')@3 | "
                             "INSERT INTO users VALUES ('a; b')@4");
    /* without the marker, ${...} stays as written: function bodies are safe */
    assert_int_equal(up_of("CREATE TABLE ${tbl} (v INTEGER);\n", ok, 4, NULL), 0);
    assert_string_equal(msg, "CREATE TABLE ${tbl} (v INTEGER)@1");
    assert_int_equal(up_of("-- dbmig:placeholders off\nSELECT '${tbl}';\n", ok, 4, NULL), 0);
    assert_string_equal(msg, "SELECT '${tbl}'@2");
    /* an undefined one: exit 3 with file:line */
    assert_int_equal(up_of(f, ok, 2, NULL), DBMIG_EINVALID);
    assert_non_null(strstr(msg, "migrations/001_x.sql:3: placeholder ${quote} has no value"));
}

static void test_checksum_ignores_values(void **st)
{
    (void)st;
    const char *f = "-- dbmig:placeholders on\nCREATE TABLE ${tbl} (v INTEGER);\n";
    static const dbmig_var a[] = {{"tbl", "one"}}, b[] = {{"tbl", "two"}};
    char ca[DM_CHECKSUM_LEN + 1], cb[DM_CHECKSUM_LEN + 1], raw[DM_CHECKSUM_LEN + 1];
    assert_int_equal(up_of(f, a, 1, ca), 0);
    assert_string_equal(msg, "CREATE TABLE one (v INTEGER)@2");
    assert_int_equal(up_of(f, b, 1, cb), 0);
    assert_string_equal(msg, "CREATE TABLE two (v INTEGER)@2");
    assert_string_equal(ca, cb);
    dm_checksum(f, strlen(f), raw);
    assert_string_equal(ca, raw);
}

static void test_moved_boundaries(void **st)
{
    (void)st;
    static const dbmig_var semi[] = {{"v", "1; DROP TABLE users"}};
    static const dbmig_var quote[] = {{"v", "x'"}};
    static const dbmig_var comment[] = {{"v", "1 -- rest"}};
    static const dbmig_var empty[] = {{"v", ""}};
    const char *f = "-- dbmig:placeholders on\nSELECT ${v};\nSELECT 2;\n";
    const char *q = "-- dbmig:placeholders on\nSELECT '${v}';\nSELECT 2;\n";
    assert_int_equal(up_of(f, semi, 1, NULL), DBMIG_EINVALID);
    assert_non_null(strstr(msg, "migrations/001_x.sql:2: the value of ${v} changes where"));
    assert_null(strstr(msg, "DROP")); /* never the value */
    assert_int_equal(up_of(q, quote, 1, NULL), DBMIG_EINVALID);
    assert_non_null(strstr(msg, ":2: the value of ${v} changes where"));
    assert_int_equal(up_of(f, comment, 1, NULL), DBMIG_EINVALID);
    /* ${v}; with an empty value is no statement any more */
    assert_int_equal(up_of("-- dbmig:placeholders on\n${v};\nSELECT 2;\n", empty, 1, NULL),
                     DBMIG_EINVALID);
    /* the LAST statement's `;` commented out or quoted: the statement then
     * runs to the end of the section (a DELETE lost its last condition) */
    const char *last = "-- dbmig:placeholders on\nDELETE FROM u WHERE org = ${v} AND id = 2;\n";
    assert_int_equal(up_of(last, comment, 1, NULL), DBMIG_EINVALID);
    assert_non_null(strstr(msg, ":2: the value of ${v} changes where"));
    static const dbmig_var dash[] = {{"v", "1 --"}}, blank[] = {{"v", "1 "}};
    assert_int_equal(up_of("-- dbmig:placeholders on\nSELECT ${v};\n", dash, 1, NULL),
                     DBMIG_EINVALID);
    /* a value ending in a blank moves nothing (the splitter trims it) */
    assert_int_equal(up_of("-- dbmig:placeholders on\nSELECT ${v};\n", blank, 1, NULL), 0);
    /* inside a string, a ; is data */
    assert_int_equal(up_of(q, semi, 1, NULL), 0);
    assert_string_equal(msg, "SELECT '1; DROP TABLE users'@2 | SELECT 2@3");
    /* the file's own lexing error is reported as the file's */
    assert_int_equal(up_of("-- dbmig:placeholders on\nSELECT '${v};\n", empty, 1, NULL),
                     DBMIG_EINVALID);
    assert_non_null(strstr(msg, "unterminated"));
}

static void test_marker_mistakes(void **st)
{
    (void)st;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"-- dbmig:placeholders yes\nSELECT 1;\n", ":1: -- dbmig:placeholders must be `on` or `off`, not 'yes'"},
        {"-- dbmig:placeholders\nSELECT 1;\n", "must be `on` or `off`, not ''"},
        {"-- dbmig:placeholder on\nSELECT 1;\n", ":1: unknown key -- dbmig:placeholder (did you mean -- dbmig:placeholders?)"},
        {"-- dbmig placeholders on\nSELECT 1;\n", ":1: '-- dbmig placeholders on' looks like a dbmig marker"},
        {"-- dbmig: placeholders on\nSELECT 1;\n", "looks like a dbmig marker"},
        {"-- dbmig:placeholders=on\nSELECT 1;\n", "Write -- dbmig:placeholders on"},
        {"SELECT 1;\n-- dbmig:placeholders on\n", ":2: header key -- dbmig:placeholders after SQL began"},
        {"-- dbmig:up\nSELECT 1;\n-- dbmig:placeholders on\n", ":3: header key -- dbmig:placeholders after the first section marker"},
        {"-- dbmig:placeholders on\n-- dbmig:placeholders off\nSELECT 1;\n", ":2: duplicate header key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(up_of(cases[i].text, vars, NVARS, NULL), DBMIG_EINVALID);
        if (!strstr(msg, cases[i].want))
            fail_msg("%s: got '%s', want '%s'", cases[i].text, msg, cases[i].want);
    }
}

/* A streamed file (above the threshold; 0 here) cannot use placeholders. */
static void test_streamed_refused(void **st)
{
    (void)st;
    char path[] = "/tmp/dbmig_test_placeholder_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *f = "-- dbmig:placeholders on\nSELECT ${tbl};\n";
    assert_int_equal(write(fd, f, strlen(f)), (ssize_t)strlen(f));
    close(fd);
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(dm_migfile_load_ex(path, 0, &mf, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), ":1: -- dbmig:placeholders on in a file of more than"));
    dm_err_free(&err);
    /* below the threshold: loaded */
    assert_int_equal(dm_migfile_load_ex(path, 1 << 20, &mf, &err), 0);
    assert_true(mf.placeholders);
    dm_migfile_free(&mf);
    unlink(path);
}

/* dbmig_open checks the values and keeps its own copies (SPEC 16). */
static void test_open_copies_vars(void **st)
{
    (void)st;
    char name[] = "tbl", value[] = "users";
    dbmig_var v[] = {{name, value}};
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.vars = v;
    o.nvars = 1;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    strcpy(name, "xxx");
    strcpy(value, "xxxxx");
    assert_int_equal(h->o.nvars, 1);
    assert_string_equal(h->o.vars[0].name, "tbl");
    assert_string_equal(h->o.vars[0].value, "users");
    dbmig_close(h);
    dbmig_var dup[] = {{"tbl", "a"}, {"Tbl", "s3cret"}};
    o.vars = dup;
    o.nvars = 2;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_EUSAGE);
    assert_non_null(strstr(dbmig_errmsg(h), "placeholder Tbl is given twice"));
    assert_null(strstr(dbmig_errmsg(h), "s3cret"));
    dbmig_close(h);
    /* an application built before version 3 passes no values */
    o = (dbmig_options)DBMIG_OPTIONS_INIT;
    o.version = 2;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(h->o.nvars, 0);
    assert_null(h->o.vars);
    dbmig_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subst),           cmocka_unit_test(test_subst_errors),
        cmocka_unit_test(test_check_vars),      cmocka_unit_test(test_file),
        cmocka_unit_test(test_checksum_ignores_values),
        cmocka_unit_test(test_moved_boundaries), cmocka_unit_test(test_marker_mistakes),
        cmocka_unit_test(test_streamed_refused), cmocka_unit_test(test_open_copies_vars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
