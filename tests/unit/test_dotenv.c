/* test_dotenv.c — the .env parser (cli/dotenv.c) and the .env's place in
 * the settings' precedence (cli/config.c, SPEC section 16). */
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

#include "config.h"
#include "dotenv.h"

/* ---- the parser ----------------------------------------------------------- */

static cli_dotenv parsed;
static char err[1024];

static int parse(const char *text)
{
    cli_dotenv_free(&parsed);
    err[0] = '\0';
    return cli_dotenv_parse(".env", text, strlen(text), &parsed, err, sizeof err);
}

/* The value of key in the parse, failing the test when it is missing. */
static const char *val(const char *key)
{
    const cli_dotenv_entry *e = cli_dotenv_get(&parsed, key);
    if (!e)
        fail_msg("no entry %s", key);
    return e->val;
}

static void test_plain(void **st)
{
    (void)st;
    assert_int_equal(parse("# a comment\n\nA=1\n  B = two words  \nexport C=3\r\nD=\n"), 0);
    assert_string_equal(val("A"), "1");
    assert_string_equal(val("B"), "two words");
    assert_string_equal(val("C"), "3");
    assert_string_equal(val("D"), "");
    assert_int_equal(cli_dotenv_get(&parsed, "C")->line, 5);
    assert_int_equal(parsed.n, 4);
}

static void test_comments(void **st)
{
    (void)st;
    /* ` #` starts a comment; a # glued to the value is part of it (a URL's
     * fragment, a password) */
    assert_int_equal(parse("A=x #note\nB=pa#ss\nC='q' # c\nD=\"d\"#c\nE= # only a comment\n"), 0);
    assert_string_equal(val("A"), "x");
    assert_string_equal(val("B"), "pa#ss");
    assert_string_equal(val("C"), "q");
    assert_string_equal(val("D"), "d");
    assert_string_equal(val("E"), "");
}

static void test_quotes(void **st)
{
    (void)st;
    assert_int_equal(parse("S='a \\n ${X} \"b\"'\n"
                           "D=\"a\\nb \\\"q\\\" \\\\ \\t \\$HOME \\x\"\n"
                           "M=\"line1\nline2\"\n"
                           "N='one\ntwo'\n"
                           "AFTER=ok\n"),
                     0);
    assert_string_equal(val("S"), "a \\n ${X} \"b\"");
    assert_string_equal(val("D"), "a\nb \"q\" \\ \t $HOME \\x");
    assert_string_equal(val("M"), "line1\nline2");
    assert_string_equal(val("N"), "one\ntwo");
    assert_string_equal(val("AFTER"), "ok");
    assert_int_equal(cli_dotenv_get(&parsed, "AFTER")->line, 7);
}

static void test_expansion(void **st)
{
    (void)st;
    setenv("DM_DOTENV_REAL", "real", 1);
    unsetenv("DM_DOTENV_NONE");
    assert_int_equal(parse("PW=s3cret\n"
                           "U=postgres://app:${PW}@db/app\n"
                           "Q=\"${DM_DOTENV_REAL}-${PW}\"\n"
                           "L='${PW}'\n"
                           "B=$PW\n"
                           "DM_DOTENV_REAL=file\n"
                           "R=${DM_DOTENV_REAL}\n"
                           "BAD=x${DM_DOTENV_NONE}\n"
                           "CHAIN=${BAD}\n"
                           "ESC=\"\\${PW}\"\n"),
                     0);
    assert_string_equal(val("U"), "postgres://app:s3cret@db/app");
    assert_string_equal(val("Q"), "real-s3cret");
    assert_string_equal(val("L"), "${PW}");
    assert_string_equal(val("B"), "$PW"); /* without braces: as written */
    assert_string_equal(val("R"), "real"); /* the real environment wins */
    assert_null(val("BAD"));
    assert_string_equal(cli_dotenv_get(&parsed, "BAD")->bad_ref, "DM_DOTENV_NONE");
    assert_string_equal(cli_dotenv_get(&parsed, "CHAIN")->bad_ref, "BAD");
    assert_string_equal(val("ESC"), "${PW}");
    unsetenv("DM_DOTENV_REAL");
}

static void test_bare_key(void **st)
{
    (void)st;
    assert_int_equal(parse("FLAG\nA=1 \n"), 0);
    const cli_dotenv_entry *e = cli_dotenv_get(&parsed, "FLAG");
    assert_non_null(e);
    assert_true(e->bare);
    assert_null(e->val);
}

/* Each mistake: refused, with the line and words of the fix, never the value. */
static void expect_error(const char *text, const char *where, const char *words)
{
    assert_int_equal(parse(text), -1);
    if (!strstr(err, where) || !strstr(err, words))
        fail_msg("for %s: got '%s', want '%s' and '%s'", text, err, where, words);
    if (strstr(err, "s3cret"))
        fail_msg("the message shows the value: %s", err);
    assert_int_equal(parsed.n, 0);
}

static void test_mistakes(void **st)
{
    (void)st;
    expect_error("A=1\nPW=\"s3cret\n", ".env:2:", "never closed");
    expect_error("PW='s3cret\n\n", ".env:1:", "single quote");
    expect_error("PW=\"s3cret\" tail\n", ".env:1:", "follows the closing quote");
    expect_error("DBMIG_URL: s3cret\n", ".env:1:", "write DBMIG_URL=value");
    expect_error("MY KEY=s3cret\n", ".env:1:", "a name has no blanks");
    expect_error("1KEY=s3cret\n", ".env:1:", "is not a variable name");
    expect_error("=s3cret\n", ".env:1:", "starts with '='");
    expect_error("#ok\n\nexport =s3cret\n", ".env:3:", "starts with '='");
}

/* ---- the .env among the other sources ------------------------------------- */

static char tmpdir[256], oldcwd[1024];

static const char *const env_vars[] = {
    "DBMIG_URL", "DATABASE_URL", "DBMIG_LOCK_TIMEOUT", "DBMIG_ENV_FILE", "DBMIG_NO_ENV_FILE",
    "DBMIG_VAR_TBL", "DBMIG_VAR_SCHEMA", "DBMIG_SQL", "DBMIG_DIR", "DBMIG_CONFIG",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
}

static int setup(void **st)
{
    (void)st;
    clear_env();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dbmig_test_dotenv_XXXXXX");
    if (!mkdtemp(tmpdir) || !getcwd(oldcwd, sizeof oldcwd))
        return -1;
    return chdir(tmpdir);
}

static int teardown(void **st)
{
    (void)st;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    clear_env();
    cli_dotenv_free(&parsed);
    return chdir(oldcwd) == 0 && system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The environment, the .env, the config file and DATABASE_URL, as main.c
 * loads them. */
static int load(cli_config *cfg)
{
    err[0] = '\0';
    if (cli_config_load_env(cfg, err, sizeof err) != 0)
        return -1;
    if (cli_config_load_file(cfg, "dbmig.conf", 0, NULL, err, sizeof err) != 0)
        return -1;
    return cli_config_load_database_url(cfg, err, sizeof err);
}

static const char *var(const cli_config *cfg, const char *name, const char **src)
{
    for (size_t i = 0; i < cfg->nvars; i++)
        if (strcmp(cfg->vars[i].name, name) == 0) {
            *src = cfg->vars[i].src;
            return cfg->vars[i].val;
        }
    return NULL;
}

static void test_precedence_url(void **st)
{
    (void)st;
    cli_config cfg = {0};
    put(".env", "DATABASE_URL=sqlite:dotenv-du.db\nDBMIG_URL=sqlite:dotenv.db\n");
    put("dbmig.conf", "[dbmig]\nurl = sqlite:conf.db\n");
    /* .env's DBMIG_URL beats the config file */
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:dotenv.db");
    assert_string_equal(cli_config_source(&cfg, "url"), ".env:2");
    cli_config_free(&cfg);
    /* the real DBMIG_URL beats .env */
    setenv("DBMIG_URL", "sqlite:real.db", 1);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_source(&cfg, "url"), "DBMIG_URL");
    cli_config_free(&cfg);
    /* ... unless it is empty, which counts as unset */
    setenv("DBMIG_URL", "", 1);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_source(&cfg, "url"), ".env:2");
    cli_config_free(&cfg);
    unsetenv("DBMIG_URL");
    /* the command line beats everything */
    assert_int_equal(cli_config_set(&cfg, "url", "sqlite:cmd.db"), 0);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:cmd.db");
    cli_config_free(&cfg);
    /* without DBMIG_URL anywhere: [dbmig] beats DATABASE_URL */
    put(".env", "DATABASE_URL=sqlite:dotenv-du.db\n");
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_source(&cfg, "url"), "dbmig.conf:2");
    cli_config_free(&cfg);
    /* no config: the real DATABASE_URL beats .env's */
    unlink("dbmig.conf");
    setenv("DATABASE_URL", "sqlite:real-du.db", 1);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_source(&cfg, "url"), "DATABASE_URL");
    cli_config_free(&cfg);
    unsetenv("DATABASE_URL");
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:dotenv-du.db");
    assert_string_equal(cli_config_source(&cfg, "url"), ".env:1");
    cli_config_free(&cfg);
}

static void test_env_file_options(void **st)
{
    (void)st;
    cli_config cfg = {0};
    put(".env", "DBMIG_LOCK_TIMEOUT=5\n");
    put("other.env", "# another\nDBMIG_LOCK_TIMEOUT=7\n");
    assert_int_equal(cli_config_set(&cfg, "env-file", "other.env"), 0);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_get(&cfg, "lock-timeout"), "7");
    assert_string_equal(cli_config_source(&cfg, "lock-timeout"), "other.env:2");
    cli_config_free(&cfg);
    /* --no-env-file: nothing read */
    assert_int_equal(cli_config_set(&cfg, "no-env-file", "1"), 0);
    assert_int_equal(load(&cfg), 0);
    assert_null(cli_config_get(&cfg, "lock-timeout"));
    cli_config_free(&cfg);
    /* DBMIG_NO_ENV_FILE too; the command line's --env-file beats it */
    setenv("DBMIG_NO_ENV_FILE", "true", 1);
    assert_int_equal(load(&cfg), 0);
    assert_null(cli_config_get(&cfg, "lock-timeout"));
    cli_config_free(&cfg);
    assert_int_equal(cli_config_set(&cfg, "env-file", "other.env"), 0);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_get(&cfg, "lock-timeout"), "7");
    cli_config_free(&cfg);
    unsetenv("DBMIG_NO_ENV_FILE");
    /* both on the command line contradict */
    assert_int_equal(cli_config_set(&cfg, "env-file", "other.env"), 0);
    assert_int_equal(cli_config_set(&cfg, "no-env-file", "1"), 0);
    assert_int_equal(load(&cfg), -1);
    assert_non_null(strstr(err, "contradict"));
    cli_config_free(&cfg);
    /* a missing file given explicitly is an error; a missing ./.env is not */
    assert_int_equal(cli_config_set(&cfg, "env-file", "missing.env"), 0);
    assert_int_equal(load(&cfg), -1);
    assert_non_null(strstr(err, "missing.env: no such .env file"));
    cli_config_free(&cfg);
    unlink(".env");
    assert_int_equal(load(&cfg), 0);
    assert_true(cfg.dotenv_missing);
    cli_config_free(&cfg);
}

static void test_dotenv_mistakes(void **st)
{
    (void)st;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"DBMIG_URL=a\nDBMIG_URL=b\n", ".env:2: DBMIG_URL is set twice (first on line 1)"},
        {"DBMIG_URL\n", ".env:1: DBMIG_URL has no '='"},
        {"DBMIG_PLUGIN_PATH=/tmp\n", ".env:1: DBMIG_PLUGIN_PATH cannot be set in a .env file"},
        {"X=1\nDBMIG_ENV_FILE=a.env\n", ".env:2: DBMIG_ENV_FILE cannot be set"},
        {"DBMIG_VAR_9LIVES=1\n", ".env:1: DBMIG_VAR_9LIVES names no placeholder"},
        {"DBMIG_SINGLE_TRANSACTION=maybe\n", "DBMIG_SINGLE_TRANSACTION at .env:1"},
        /* per-run choices, refused as dbmig.conf refuses them */
        {"X=1\nDBMIG_DRY_RUN=1\n", ".env:2: DBMIG_DRY_RUN cannot be set in a .env file: it is a "
                                    "choice for one run"},
        {"DBMIG_SQL=0\n", ".env:1: DBMIG_SQL cannot be set in a .env file"},
        {"DBMIG_URL=sqlite:${DM_DOTENV_NONE}\n", ".env:1: the value of DBMIG_URL uses ${DM_DOTENV_NONE}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_config cfg = {0};
        put(".env", cases[i].text);
        assert_int_equal(load(&cfg), -1);
        if (!strstr(err, cases[i].want))
            fail_msg("%s: got '%s', want '%s'", cases[i].text, err, cases[i].want);
        cli_config_free(&cfg);
    }
    /* a foreign bare key, a foreign duplicate: not ours, not refused */
    cli_config cfg = {0};
    put(".env", "APP_FLAG\nAPP=1\nAPP=2\nDBMIG_URL=sqlite:x.db\n");
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:x.db");
    cli_config_free(&cfg);
    /* an unset ${NAME} in a value not in use is no error (as in dbmig.conf) */
    setenv("DBMIG_URL", "sqlite:real.db", 1);
    put(".env", "DBMIG_URL=sqlite:${DM_DOTENV_NONE}\n");
    assert_int_equal(load(&cfg), 0);
    cli_config_free(&cfg);
    unsetenv("DBMIG_URL");
}

static void test_vars_precedence(void **st)
{
    (void)st;
    cli_config cfg = {0};
    const char *src = NULL;
    put(".env", "DBMIG_VAR_TBL=dotenv\nDBMIG_VAR_SCHEMA=dotenv_s\n");
    put("dbmig.conf", "[vars]\ntbl = conf\nSchema = conf_s\nonly_conf = c\n");
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(var(&cfg, "tbl", &src), "dotenv");
    assert_string_equal(src, ".env:1");
    assert_string_equal(var(&cfg, "only_conf", &src), "c");
    assert_string_equal(src, "dbmig.conf:4");
    cli_config_free(&cfg);
    setenv("DBMIG_VAR_TBL", "real", 1);
    setenv("DBMIG_VAR_SCHEMA", "real_s", 1);
    assert_int_equal(cli_config_add_var(&cfg, "SCHEMA=cmd", err, sizeof err), 0);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(var(&cfg, "tbl", &src), "real");
    assert_string_equal(src, "DBMIG_VAR_TBL");
    assert_string_equal(var(&cfg, "schema", &src), "cmd"); /* names ignore case */
    assert_string_equal(src, "--var");
    size_t n = 0;
    const dbmig_var *a = cli_config_var_array(&cfg, &n);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].name, "schema");
    cli_config_free(&cfg);
    unsetenv("DBMIG_VAR_TBL");
    unsetenv("DBMIG_VAR_SCHEMA");
    /* no config file: the .env alone */
    unlink("dbmig.conf");
    assert_int_equal(load(&cfg), 0);
    assert_int_equal(cfg.nvars, 2);
    cli_config_free(&cfg);
}

static void test_var_mistakes(void **st)
{
    (void)st;
    cli_config cfg = {0};
    assert_int_equal(cli_config_add_var(&cfg, "tbl", err, sizeof err), -1);
    assert_non_null(strstr(err, "NAME=VALUE"));
    assert_int_equal(cli_config_add_var(&cfg, "=x", err, sizeof err), -1);
    assert_int_equal(cli_config_add_var(&cfg, "my-tbl=x", err, sizeof err), -1);
    assert_non_null(strstr(err, "'my-tbl' is not a placeholder name"));
    assert_int_equal(cli_config_add_var(&cfg, "tbl=a\nb", err, sizeof err), -1);
    assert_non_null(strstr(err, "line break"));
    assert_int_equal(cli_config_add_var(&cfg, "tbl=a", err, sizeof err), 0);
    assert_int_equal(cli_config_add_var(&cfg, "TBL=a", err, sizeof err), 0); /* the same */
    assert_int_equal(cli_config_add_var(&cfg, "Tbl=b", err, sizeof err), -1);
    assert_non_null(strstr(err, "given twice with different values"));
    assert_int_equal(cli_config_add_var(&cfg, "empty=", err, sizeof err), 0);
    assert_int_equal(cfg.nvars, 2);
    cli_config_free(&cfg);
    static const struct {
        const char *text, *want;
    } files[] = {
        {"[vars]\ntbl = a\nTBL = b\n", "dbmig.conf:3: 'TBL' is set twice in [vars] (first on line 2"},
        {"[vars]\nmy-tbl = a\n", "dbmig.conf:2: 'my-tbl' in [vars] is not a placeholder name"},
        {"[var]\ntbl = a\n", "unknown section [var] (did you mean [vars]?)"},
        {"[vars]\ntbl = ${DM_DOTENV_NONE}\n", "dbmig.conf:2: environment variable DM_DOTENV_NONE"},
        {"[dbmig]\nenv-file = x.env\n", "dbmig.conf:2: 'env-file' cannot be set in the config"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        put("dbmig.conf", files[i].text);
        assert_int_equal(load(&cfg), -1);
        if (!strstr(err, files[i].want))
            fail_msg("%s: got '%s', want '%s'", files[i].text, err, files[i].want);
        cli_config_free(&cfg);
    }
    setenv("DBMIG_VAR_TBL", "", 1); /* empty counts as unset */
    put("dbmig.conf", "[vars]\ntbl = conf\n");
    assert_int_equal(load(&cfg), 0);
    const char *src;
    assert_string_equal(var(&cfg, "tbl", &src), "conf");
    cli_config_free(&cfg);
}

static void collect(void *payload, const char *msg)
{
    char *b = payload;
    size_t n = strlen(b);
    snprintf(b + n, 4096 - n, "%s\n", msg);
}

static void test_explain_and_unknown(void **st)
{
    (void)st;
    cli_config cfg = {0};
    put(".env", "APP_SECRET=s3cret\nDBMIG_URL=sqlite:s3cret.db\nDBMIG_LOCKTIMEOUT=3\n"
                "dbmig_dir=m\nDBMIG_VAR_TBL=s3cret\n");
    setenv("DBMIG_DIR", "real", 1);
    assert_int_equal(load(&cfg), 0);
    char out[4096] = "";
    assert_int_equal(cli_config_dotenv_unknown(&cfg, collect, out), 2);
    assert_non_null(strstr(out, ".env:3: DBMIG_LOCKTIMEOUT is not a dbmig setting and is "
                                "ignored; did you mean DBMIG_LOCK_TIMEOUT?"));
    assert_non_null(strstr(out, ".env:4: dbmig_dir is ignored: names are case-sensitive; "
                                "write DBMIG_DIR"));
    out[0] = '\0';
    cli_config_explain(&cfg, collect, out);
    assert_non_null(strstr(out, "read .env: DBMIG_URL (line 2), DBMIG_VAR_TBL (line 5)"));
    assert_non_null(strstr(out, "ignored (not dbmig's): APP_SECRET, dbmig_dir"));
    assert_non_null(strstr(out, "placeholder values: tbl (from .env:5)"));
    assert_null(strstr(out, "s3cret")); /* names, never values */
    assert_string_equal(cli_config_dotenv_file(&cfg, "url"), ".env");
    assert_null(cli_config_dotenv_file(&cfg, "dir"));
    cli_config_free(&cfg);
    unsetenv("DBMIG_DIR");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_quotes),       cmocka_unit_test(test_expansion),
        cmocka_unit_test(test_bare_key),     cmocka_unit_test(test_mistakes),
        T(test_precedence_url),              T(test_env_file_options),
        T(test_dotenv_mistakes),             T(test_vars_precedence),
        T(test_var_mistakes),                T(test_explain_and_unknown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cli_dotenv_free(&parsed);
    return rc;
}
