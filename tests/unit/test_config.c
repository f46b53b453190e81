/* test_config.c — the CLI's INI file, environment and precedence. */
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

#include "config.h"

static char tmpdir[256];

static const char *const env_vars[] = {
    "DBMIG_DRIVER", "DBMIG_URL", "DBMIG_DIR", "DBMIG_TABLE", "DBMIG_PLUGIN_DIR",
    "DBMIG_LOCK_TIMEOUT", "DBMIG_LOCK", "DBMIG_LEASE_SECONDS", "DBMIG_COMMIT_INTERVAL",
    "DBMIG_SINGLE_TRANSACTION", "DBMIG_FORMAT", "DBMIG_NO_COLOR", "DBMIG_VERBOSE",
    "DBMIG_QUIET", "DBMIG_ENV", "DBMIG_CONFIG", "DATABASE_URL", "DM_TEST_PW", "DM_TEST_UNSET",
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dbmig_test_config_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    return mkdir(sub, 0700);
}

static int teardown(void **st)
{
    (void)st;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    clear_env();
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to <tmpdir>/<name>, returns the path in a static buffer. */
static const char *write_file(const char *name, const char *text)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void load_ok(cli_config *cfg, const char *path, const char *envname)
{
    char err[512] = "";
    int rc = cli_config_load_file(cfg, path, 1, envname, err, sizeof err);
    if (rc != 0)
        fail_msg("load of %s failed: %s", path, err);
}

/* Loads and expects an error whose text contains each of the given parts. */
static void load_fails(const char *path, const char *envname, const char *part1, const char *part2)
{
    cli_config cfg = {0};
    char err[512] = "";
    assert_int_equal(cli_config_load_file(&cfg, path, 1, envname, err, sizeof err), -1);
    if (part1 && !strstr(err, part1))
        fail_msg("error '%s' lacks '%s'", err, part1);
    if (part2 && !strstr(err, part2))
        fail_msg("error '%s' lacks '%s'", err, part2);
    assert_int_equal(cfg.n, 0); /* nothing half-applied */
    cli_config_free(&cfg);
}

static void test_table_ops(void **st)
{
    (void)st;
    cli_config cfg = {0};
    assert_true(cli_config_known("plugin-dir"));
    assert_true(cli_config_known("lock-timeout"));
    assert_false(cli_config_known("plugin_dir"));
    assert_false(cli_config_known("password"));
    assert_false(cli_config_known(NULL));
    assert_int_equal(cli_config_set(&cfg, "nope", "x"), -1);
    assert_int_equal(cli_config_set(&cfg, "url", "sqlite:a.db"), 0);
    assert_int_equal(cli_config_set(&cfg, "url", "sqlite:b.db"), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:b.db");
    assert_int_equal(cli_config_default(&cfg, "url", "sqlite:c.db"), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:b.db");
    assert_int_equal(cli_config_default(&cfg, "table", "t"), 0);
    assert_string_equal(cli_config_get(&cfg, "table"), "t");
    assert_null(cli_config_get(&cfg, "dir"));
    assert_int_equal(cfg.n, 2);
    cli_config_free(&cfg);
    assert_int_equal(cfg.n, 0);
}

static void test_expand(void **st)
{
    (void)st;
    char err[256] = "";
    setenv("DM_TEST_PW", "s3cr$t", 1);
    char *s = cli_expand_env("postgres://u:${DM_TEST_PW}@h/db?x=$$1&y=$z", err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s, "postgres://u:s3cr$t@h/db?x=$1&y=$z");
    free(s);
    s = cli_expand_env("", err, sizeof err);
    assert_string_equal(s, "");
    free(s);
    assert_null(cli_expand_env("a${DM_TEST_UNSET}b", err, sizeof err));
    assert_string_equal(err, "environment variable DM_TEST_UNSET is not set");
    assert_null(cli_expand_env("a${DM_TEST_PW", err, sizeof err));
    assert_non_null(strstr(err, "unterminated"));
    assert_null(cli_expand_env("${}", err, sizeof err));
    assert_null(cli_expand_env("${A-B}", err, sizeof err));
    assert_non_null(strstr(err, "bad variable name"));
    /* a NULL error buffer is allowed */
    assert_null(cli_expand_env("${DM_TEST_UNSET}", NULL, 0));
}

static void test_precedence(void **st)
{
    (void)st;
    const char *p = write_file("prec.conf",
                               "; comment\n"
                               "# another\n"
                               "[dbmig]\n"
                               "driver = sqlite\n"
                               "url = sqlite:file.db\n"
                               "table = file_table\n"
                               "lock-timeout = 10\n"
                               "commit-interval = 50\n"
                               "\n"
                               "[env.prod]\n"
                               "url = sqlite:prod.db\n"
                               "lock-timeout = 20\n"
                               "table = prod_table\n"
                               "\n"
                               "[env.staging]\n"
                               "url = sqlite:staging.db\n");
    cli_config cfg = {0};
    /* command line first, then environment, then the file */
    assert_int_equal(cli_config_set(&cfg, "table", "cli_table"), 0);
    setenv("DBMIG_LOCK_TIMEOUT", "30", 1);
    setenv("DBMIG_TABLE", "env_table", 1);
    char err[256];
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    load_ok(&cfg, p, "prod");
    assert_string_equal(cli_config_get(&cfg, "table"), "cli_table");       /* cli > env */
    assert_string_equal(cli_config_get(&cfg, "lock-timeout"), "30");       /* env > [env.prod] */
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:prod.db");    /* [env.prod] > [dbmig] */
    assert_string_equal(cli_config_get(&cfg, "commit-interval"), "50");    /* [dbmig] */
    assert_string_equal(cli_config_get(&cfg, "driver"), "sqlite");
    cli_config_free(&cfg);

    /* without --env only [dbmig] counts */
    load_ok(&cfg, p, NULL);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:file.db");
    assert_string_equal(cli_config_get(&cfg, "lock-timeout"), "10");
    cli_config_free(&cfg);

    load_ok(&cfg, p, "staging");
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:staging.db");
    assert_string_equal(cli_config_get(&cfg, "table"), "file_table");
    cli_config_free(&cfg);
}

static void test_env_section_before_dbmig(void **st)
{
    (void)st;
    /* [env.NAME] wins whatever the order of the sections */
    const char *p = write_file("order.conf", "[env.ci]\ndir = /ci\n[dbmig]\ndir = /base\n");
    cli_config cfg = {0};
    load_ok(&cfg, p, "ci");
    assert_string_equal(cli_config_get(&cfg, "dir"), "/ci");
    cli_config_free(&cfg);
}

static void test_load_env(void **st)
{
    (void)st;
    cli_config cfg = {0};
    char err[256];
    setenv("DATABASE_URL", "postgres://fallback/db", 1);
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "postgres://fallback/db");
    cli_config_free(&cfg);

    setenv("DBMIG_URL", "postgres://primary/db", 1);
    setenv("DBMIG_PLUGIN_DIR", "/opt/plugins", 1);
    setenv("DBMIG_NO_COLOR", "1", 1);
    setenv("DBMIG_DIR", "", 1); /* empty counts as unset */
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "postgres://primary/db");
    assert_string_equal(cli_config_get(&cfg, "plugin-dir"), "/opt/plugins");
    assert_string_equal(cli_config_get(&cfg, "no-color"), "1");
    assert_null(cli_config_get(&cfg, "dir"));
    cli_config_free(&cfg);

    /* an url already set (command line) is kept */
    assert_int_equal(cli_config_set(&cfg, "url", "sqlite:cli.db"), 0);
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:cli.db");
    cli_config_free(&cfg);
}

static void test_var_expansion_in_file(void **st)
{
    (void)st;
    setenv("DM_TEST_PW", "pa ss", 1);
    const char *p = write_file("vars.conf", "[dbmig]\nurl = postgres://app:${DM_TEST_PW}@db/x\n"
                                            "table = cost$$table\n");
    cli_config cfg = {0};
    load_ok(&cfg, p, NULL);
    assert_string_equal(cli_config_get(&cfg, "url"), "postgres://app:pa ss@db/x");
    assert_string_equal(cli_config_get(&cfg, "table"), "cost$table");
    cli_config_free(&cfg);

    p = write_file("unset.conf", "[dbmig]\ndriver = postgres\n\nurl = ${DM_TEST_UNSET}\n");
    load_fails(p, NULL, "unset.conf:4: environment variable DM_TEST_UNSET is not set", "url");
}

static void test_unknown_key_and_section(void **st)
{
    (void)st;
    const char *p = write_file("badkey.conf", "[dbmig]\nurl = sqlite:x.db\ndirectory = m\n");
    load_fails(p, NULL, "badkey.conf:3: unknown key 'directory'", "known keys");
    /* a typo in a section that is not selected is still caught */
    p = write_file("badkey2.conf", "[dbmig]\n[env.other]\ntabel = x\n");
    load_fails(p, NULL, "badkey2.conf:3: unknown key 'tabel'", NULL);
    p = write_file("badsect.conf", "[dbmig]\nurl = sqlite:x.db\n\n[database]\n");
    load_fails(p, NULL, "badsect.conf:4: unknown section [database]", "[env.NAME]");
    p = write_file("nosect.conf", "url = sqlite:x.db\n");
    load_fails(p, NULL, "nosect.conf:1:", "[dbmig]");
    p = write_file("envkey.conf", "[dbmig]\nenv = prod\n");
    load_fails(p, NULL, "envkey.conf:2:", "--env");
}

static void test_syntax_errors(void **st)
{
    (void)st;
    const char *p = write_file("syntax.conf", "[dbmig]\nurl = sqlite:x.db\nthis line is wrong\n");
    load_fails(p, NULL, "syntax.conf:3: syntax error", NULL);
    p = write_file("bracket.conf", "[dbmig\nurl = x\n");
    load_fails(p, NULL, "bracket.conf:1: syntax error", NULL);
    p = write_file("indent.conf", "[dbmig]\nurl = sqlite:x.db\n  dir = m\n");
    load_fails(p, NULL, "indent.conf:3:", "indentation");
}

static void test_relative_paths(void **st)
{
    (void)st;
    setenv("DM_TEST_PW", "/abs/from/env", 1);
    const char *p = write_file("sub/dbmig.conf", "[dbmig]\ndir = migrations\nplugin-dir = ../plugins\n"
                                                 "table = rel_is_not_a_path\n"
                                                 "[env.a]\ndir = /srv/migrations\n"
                                                 "[env.b]\ndir = ${DM_TEST_PW}\n");
    char want[400];
    cli_config cfg = {0};
    load_ok(&cfg, p, NULL);
    snprintf(want, sizeof want, "%s/sub/migrations", tmpdir);
    assert_string_equal(cli_config_get(&cfg, "dir"), want);
    snprintf(want, sizeof want, "%s/sub/../plugins", tmpdir);
    assert_string_equal(cli_config_get(&cfg, "plugin-dir"), want);
    assert_string_equal(cli_config_get(&cfg, "table"), "rel_is_not_a_path");
    cli_config_free(&cfg);
    load_ok(&cfg, p, "a");
    assert_string_equal(cli_config_get(&cfg, "dir"), "/srv/migrations");
    cli_config_free(&cfg);
    load_ok(&cfg, p, "b");
    assert_string_equal(cli_config_get(&cfg, "dir"), "/abs/from/env");
    cli_config_free(&cfg);

    /* a file named without a folder: relative to the current folder, unchanged */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char sub[320];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    assert_int_equal(chdir(sub), 0);
    load_ok(&cfg, "dbmig.conf", NULL);
    assert_string_equal(cli_config_get(&cfg, "dir"), "migrations");
    cli_config_free(&cfg);
    assert_int_equal(chdir(cwd), 0);
}

static void test_missing_files(void **st)
{
    (void)st;
    char path[400], err[512] = "";
    snprintf(path, sizeof path, "%s/absent.conf", tmpdir);
    cli_config cfg = {0};
    /* the default ./dbmig.conf may be absent */
    assert_int_equal(cli_config_load_file(&cfg, path, 0, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.n, 0);
    /* an explicit --config must exist */
    assert_int_equal(cli_config_load_file(&cfg, path, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "absent.conf"));
    assert_non_null(strstr(err, "No such file"));
    /* --env needs a file with that section */
    assert_int_equal(cli_config_load_file(&cfg, path, 0, "prod", err, sizeof err), -1);
    assert_non_null(strstr(err, "[env.prod]"));
    const char *p = write_file("noenv.conf", "[dbmig]\nurl = sqlite:x.db\n[env.staging]\n");
    load_fails(p, "prod", "noenv.conf", "no [env.prod] section");
    /* an empty [env.NAME] section exists */
    p = write_file("emptyenv.conf", "[dbmig]\nurl = sqlite:x.db\n[env.prod]\n");
    load_ok(&cfg, p, "prod");
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:x.db");
    cli_config_free(&cfg);
}

static void test_long_line_crlf_bom(void **st)
{
    (void)st;
    char text[2400], url[900];
    memset(url, 'a', sizeof url);
    memcpy(url, "postgres://u:p@h/db?x=", 22);
    url[sizeof url - 1] = '\0';
    snprintf(text, sizeof text, "\xEF\xBB\xBF[dbmig]\r\nurl = %s   ; a comment\r\ntable = t\r\n", url);
    const char *p = write_file("long.conf", text);
    cli_config cfg = {0};
    load_ok(&cfg, p, NULL);
    assert_string_equal(cli_config_get(&cfg, "url"), url);
    assert_string_equal(cli_config_get(&cfg, "table"), "t");
    cli_config_free(&cfg);

    /* a long line that is no key = value is reported */
    snprintf(text, sizeof text, "[dbmig]\n; %s\n[env.%s]\n", url, url);
    p = write_file("longbad.conf", text);
    load_fails(p, NULL, "longbad.conf:3: line too long", NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_table_ops),
        T(test_expand),
        T(test_precedence),
        T(test_env_section_before_dbmig),
        T(test_load_env),
        T(test_var_expansion_in_file),
        T(test_unknown_key_and_section),
        T(test_syntax_errors),
        T(test_relative_paths),
        T(test_missing_files),
        T(test_long_line_crlf_bom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
