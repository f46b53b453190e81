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

#include "args.h"
#include "config.h"

static char tmpdir[256];

static const char *const env_vars[] = {
    "DBMIG_DRIVER", "DBMIG_URL", "DBMIG_DIR", "DBMIG_TABLE", "DBMIG_PLUGIN_DIR",
    "DBMIG_LOCK_TIMEOUT", "DBMIG_LOCK", "DBMIG_LEASE_SECONDS", "DBMIG_COMMIT_INTERVAL",
    "DBMIG_SINGLE_TRANSACTION", "DBMIG_FORMAT", "DBMIG_NO_COLOR", "DBMIG_VERBOSE",
    "DBMIG_QUIET", "DBMIG_ENV", "DBMIG_CONFIG", "DATABASE_URL", "DM_TEST_PW", "DM_TEST_UNSET",
    "DBMIG_DRY_RUN", "DBMIG_SQL", "DBMIG_LOCKTIMEOUT", "DBMIG_TEST_UNIT_X", "DBMIG_VAR_TBL",
    "DBMIG_DATABASE_URL",
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
    assert_null(cli_config_get(&cfg, "url")); /* DATABASE_URL comes last, on its own */
    assert_int_equal(cli_config_load_database_url(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "postgres://fallback/db");
    assert_string_equal(cli_config_source(&cfg, "url"), "DATABASE_URL");
    cli_config_free(&cfg);

    setenv("DBMIG_URL", "postgres://primary/db", 1);
    setenv("DBMIG_PLUGIN_DIR", "/opt/plugins", 1);
    setenv("DBMIG_NO_COLOR", "1", 1);
    setenv("DBMIG_DIR", "", 1); /* empty counts as unset */
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "postgres://primary/db");
    assert_string_equal(cli_config_get(&cfg, "plugin-dir"), "/opt/plugins");
    assert_string_equal(cli_config_get(&cfg, "no-color"), "1");
    assert_string_equal(cli_config_source(&cfg, "plugin-dir"), "DBMIG_PLUGIN_DIR");
    assert_null(cli_config_get(&cfg, "dir"));
    assert_int_equal(cli_config_load_database_url(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "postgres://primary/db");
    cli_config_free(&cfg);

    /* an url already set (command line) is kept */
    assert_int_equal(cli_config_set(&cfg, "url", "sqlite:cli.db"), 0);
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    assert_int_equal(cli_config_load_database_url(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:cli.db");
    assert_string_equal(cli_config_source(&cfg, "url"), "--url");
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

/* ---- issue 13: booleans, precedence, lazy expansion, suggestions ---------- */

static void test_parse_bool(void **st)
{
    (void)st;
    const char *yes[] = {"true", "TRUE", "True", "yes", "YES", "on", "On", "1"};
    const char *no[] = {"false", "FALSE", "no", "No", "off", "OFF", "0"};
    const char *bad[] = {"", "2", "maybe", "t", "f", "y", "n", " true", "true ", "enabled", "-1"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_int_equal(cli_parse_bool(yes[i]), 1);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_int_equal(cli_parse_bool(no[i]), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cli_parse_bool(bad[i]), -1);
    assert_int_equal(cli_parse_bool(NULL), -1);
}

static void test_bools_from_env(void **st)
{
    (void)st;
    char err[256] = "";
    cli_config cfg = {0};
    setenv("DBMIG_SINGLE_TRANSACTION", "0", 1);
    setenv("DBMIG_QUIET", "false", 1);
    setenv("DBMIG_DRY_RUN", "1", 1);
    setenv("DBMIG_SQL", "Yes", 1);
    setenv("DBMIG_VERBOSE", "OFF", 1);
    setenv("DBMIG_NO_COLOR", "on", 1);
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    assert_false(cli_config_on(&cfg, "single-transaction"));
    assert_false(cli_config_on(&cfg, "quiet"));
    assert_false(cli_config_on(&cfg, "verbose"));
    assert_true(cli_config_on(&cfg, "dry-run"));
    assert_true(cli_config_on(&cfg, "sql"));
    assert_true(cli_config_on(&cfg, "no-color"));
    assert_string_equal(cli_config_get(&cfg, "quiet"), "0");
    assert_string_equal(cli_config_source(&cfg, "dry-run"), "DBMIG_DRY_RUN");
    cli_config_free(&cfg);

    /* the command line's --quiet beats DBMIG_QUIET=false */
    assert_int_equal(cli_config_set(&cfg, "quiet", "1"), 0);
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    assert_true(cli_config_on(&cfg, "quiet"));
    cli_config_free(&cfg);

    setenv("DBMIG_QUIET", "maybe", 1);
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "DBMIG_QUIET"));
    assert_non_null(strstr(err, "'maybe'"));
    assert_non_null(strstr(err, "true/false"));
    cli_config_free(&cfg);
}

static void test_bools_from_file(void **st)
{
    (void)st;
    const char *p = write_file("bools.conf", "[dbmig]\n"
                                             "single-transaction = false\n"
                                             "quiet = No\n"
                                             "no-color = TRUE\n"
                                             "[env.ci]\n"
                                             "verbose = yes\n");
    cli_config cfg = {0};
    load_ok(&cfg, p, "ci");
    assert_string_equal(cli_config_get(&cfg, "single-transaction"), "0");
    assert_false(cli_config_on(&cfg, "single-transaction"));
    assert_false(cli_config_on(&cfg, "quiet"));
    assert_true(cli_config_on(&cfg, "no-color"));
    assert_true(cli_config_on(&cfg, "verbose"));
    const char *src = cli_config_source(&cfg, "single-transaction");
    assert_non_null(strstr(src, "bools.conf:2"));
    cli_config_free(&cfg);

    p = write_file("badbool.conf", "[dbmig]\nurl = sqlite:x.db\nsingle-transaction = nope\n");
    load_fails(p, NULL, "badbool.conf:3: bad value 'nope' for single-transaction", "true/false");
    /* dry-run and sql are a choice for one run, not a setting in a file */
    p = write_file("dryfile.conf", "[dbmig]\ndry-run = true\n");
    load_fails(p, NULL, "dryfile.conf:2:", "DBMIG_DRY_RUN");
    p = write_file("sqlfile.conf", "[dbmig]\nsql = true\n");
    load_fails(p, NULL, "sqlfile.conf:2:", "--sql");
}

static void test_precedence_full(void **st)
{
    (void)st;
    /* command line > DBMIG_* > [env.NAME] > [dbmig] > DATABASE_URL, key by key */
    const char *p = write_file("full.conf", "[dbmig]\n"
                                            "url = sqlite:dbmig.db\n"
                                            "table = t_dbmig\n"
                                            "dir = /d_dbmig\n"
                                            "lock = session\n"
                                            "[env.prod]\n"
                                            "url = sqlite:prod.db\n"
                                            "table = t_prod\n"
                                            "dir = /d_prod\n");
    char err[256];
    cli_config cfg = {0};
    setenv("DATABASE_URL", "sqlite:database_url.db", 1);
    setenv("DBMIG_TABLE", "t_env", 1);
    setenv("DBMIG_DIR", "/d_env", 1);
    assert_int_equal(cli_config_set(&cfg, "dir", "/d_cli"), 0);
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    load_ok(&cfg, p, "prod");
    assert_int_equal(cli_config_load_database_url(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "dir"), "/d_cli");
    assert_string_equal(cli_config_get(&cfg, "table"), "t_env");
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:prod.db"); /* not DATABASE_URL */
    assert_string_equal(cli_config_get(&cfg, "lock"), "session");
    cli_config_free(&cfg);

    /* without --env, [dbmig]'s url still beats DATABASE_URL */
    assert_int_equal(cli_config_load_env(&cfg, err, sizeof err), 0);
    load_ok(&cfg, p, NULL);
    assert_int_equal(cli_config_load_database_url(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:dbmig.db");
    cli_config_free(&cfg);

    /* a file without url: DATABASE_URL fills it */
    p = write_file("nourl.conf", "[dbmig]\ntable = x\n");
    load_ok(&cfg, p, NULL);
    assert_int_equal(cli_config_load_database_url(&cfg, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:database_url.db");
    cli_config_free(&cfg);
}

static void test_lazy_expansion(void **st)
{
    (void)st;
    /* docs/configuration.md's own example: [env.prod] needs PGPASSWORD; a run without
     * --env prod must not care */
    const char *p = write_file("lazy.conf", "[dbmig]\n"
                                            "dir = /m\n"
                                            "url = sqlite:dev.db\n"
                                            "table = ${DM_TEST_UNSET}\n"
                                            "[env.prod]\n"
                                            "url = postgres://app:${DM_TEST_UNSET}@db/app\n"
                                            "lock-timeout = ${DM_TEST_UNSET}\n"
                                            "[env.ci]\n"
                                            "table = ci_table\n");
    cli_config cfg = {0};
    /* [dbmig]'s table is overridden by [env.ci]: never expanded */
    load_ok(&cfg, p, "ci");
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:dev.db");
    assert_string_equal(cli_config_get(&cfg, "table"), "ci_table");
    cli_config_free(&cfg);
    /* overridden by the command line: never expanded */
    assert_int_equal(cli_config_set(&cfg, "table", "cli"), 0);
    load_ok(&cfg, p, NULL);
    assert_string_equal(cli_config_get(&cfg, "table"), "cli");
    cli_config_free(&cfg);
    /* in use: the error names the variable and the line */
    load_fails(p, NULL, "lazy.conf:4: environment variable DM_TEST_UNSET is not set", "table");
    /* the selected section: the same */
    assert_int_equal(cli_config_set(&cfg, "table", "cli"), 0);
    char err[512] = "";
    assert_int_equal(cli_config_load_file(&cfg, p, 1, "prod", err, sizeof err), -1);
    assert_non_null(strstr(err, "lazy.conf:6: environment variable DM_TEST_UNSET"));
    /* a failed load leaves what was there */
    assert_int_equal(cfg.n, 1);
    assert_string_equal(cli_config_get(&cfg, "table"), "cli");
    cli_config_free(&cfg);
    /* a bad boolean in a section not in use is not looked at either */
    p = write_file("lazybool.conf", "[dbmig]\n[env.x]\nquiet = ${DM_TEST_UNSET}\n");
    load_ok(&cfg, p, NULL);
    cli_config_free(&cfg);
}

static void test_file_mistakes(void **st)
{
    (void)st;
    const char *p = write_file("typo.conf", "[dbmig]\ntabel = x\n");
    load_fails(p, NULL, "typo.conf:2: unknown key 'tabel'", "did you mean 'table'?");
    p = write_file("typo2.conf", "[dbmig]\nlock_timeout = 5\n");
    load_fails(p, NULL, "typo2.conf:2:", "did you mean 'lock-timeout'?");
    p = write_file("dup.conf", "[dbmig]\nurl = sqlite:a.db\ntable = t\nurl = sqlite:b.db\n");
    load_fails(p, NULL, "dup.conf:4: 'url' is set twice in [dbmig] (first on line 2)", NULL);
    p = write_file("sect.conf", "[dbmig]\n[evn.prod]\nurl = x\n");
    load_fails(p, NULL, "sect.conf:2: unknown section [evn.prod]", "did you mean [env.prod]?");
    p = write_file("sect2.conf", "[dbmgi]\n");
    load_fails(p, NULL, "sect2.conf:1: unknown section [dbmgi]", "did you mean [dbmig]?");
    /* --env nosuch lists the sections there are */
    p = write_file("envs.conf", "[dbmig]\n[env.prod]\n[env.staging]\n");
    load_fails(p, "nosuch", "no [env.nosuch] section", "[env.prod], [env.staging]");
}

static void test_numbers(void **st)
{
    (void)st;
    cli_config cfg = {0};
    char err[512] = "";
    double d = -1;
    assert_int_equal(cli_config_number(&cfg, "lock-timeout", 0, 1e9, 0, "seconds", &d, err,
                                       sizeof err),
                     0);
    const char *good[] = {"0", "60", "2.5", "+3"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(cli_config_set(&cfg, "lock-timeout", good[i]), 0);
        assert_int_equal(cli_config_number(&cfg, "lock-timeout", 0, 1e9, 0, "seconds", &d, err,
                                           sizeof err),
                         1);
    }
    assert_true(d == 3);
    const char *bad[] = {"abc", "-1", "", " 5", "5s", "inf", "nan", "0x10", "1e3", "2e9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cli_config_set(&cfg, "lock-timeout", bad[i]), 0);
        assert_int_equal(cli_config_number(&cfg, "lock-timeout", 0, 1e9, 0, "seconds", &d, err,
                                           sizeof err),
                         -1);
        assert_non_null(strstr(err, "--lock-timeout"));
        assert_non_null(strstr(err, "seconds >= 0"));
    }
    setenv("DBMIG_COMMIT_INTERVAL", "1.5", 1);
    char e2[64];
    assert_int_equal(cli_config_load_env(&cfg, e2, sizeof e2), 0);
    assert_int_equal(cli_config_number(&cfg, "commit-interval", 0, 2147483647.0, 1,
                                       "milliseconds", &d, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "DBMIG_COMMIT_INTERVAL"));
    assert_non_null(strstr(err, "whole number"));
    unsetenv("DBMIG_COMMIT_INTERVAL");
    cli_config_free(&cfg);
}

static void test_suggest(void **st)
{
    (void)st;
    const char *cmds[] = {"upgrade", "downgrade", "status", "current", "check"};
    assert_int_equal(cli_edit_distance("upgarde", "upgrade"), 1); /* a swap is one edit */
    assert_int_equal(cli_edit_distance("sqllite", "sqlite"), 1);
    assert_int_equal(cli_edit_distance("", "abc"), 3);
    assert_int_equal(cli_edit_distance("URL", "url"), 0);
    assert_string_equal(cli_suggest("upgarde", cmds, 5), "upgrade");
    assert_string_equal(cli_suggest("staus", cmds, 5), "status");
    assert_string_equal(cli_suggest("STATUS", cmds, 5), "status");
    assert_null(cli_suggest("frobnicate", cmds, 5));
    assert_null(cli_suggest("", cmds, 5));
    const char *fmt[] = {"text", "json"};
    assert_string_equal(cli_suggest("jsn", fmt, 2), "json");
    assert_null(cli_suggest("xml", fmt, 2));
}

typedef struct seen {
    char names[16][64];
    char sugg[16][64];
    size_t n;
} seen;

static void collect(void *payload, const char *name, const char *suggestion)
{
    seen *s = payload;
    if (s->n < 16) {
        snprintf(s->names[s->n], 64, "%s", name);
        snprintf(s->sugg[s->n], 64, "%s", suggestion ? suggestion : "");
        s->n++;
    }
}

static long find_seen(const seen *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return (long)i;
    return -1;
}

static void test_unknown_env(void **st)
{
    (void)st;
    setenv("DBMIG_LOCKTIMEOUT", "5", 1);
    setenv("DBMIG_DATABASE_URL", "x", 1);
    setenv("DBMIG_TEST_UNIT_X", "1", 1);
    setenv("DBMIG_VAR_TBL", "t", 1);
    setenv("DBMIG_QUIET", "1", 1);
    seen s = {0};
    cli_config_unknown_env(collect, &s);
    long i = find_seen(&s, "DBMIG_LOCKTIMEOUT");
    assert_true(i >= 0);
    assert_string_equal(s.sugg[i], "DBMIG_LOCK_TIMEOUT");
    assert_true(find_seen(&s, "DBMIG_DATABASE_URL") >= 0);
    assert_int_equal(find_seen(&s, "DBMIG_TEST_UNIT_X"), -1);
    assert_int_equal(find_seen(&s, "DBMIG_VAR_TBL"), -1);
    assert_int_equal(find_seen(&s, "DBMIG_QUIET"), -1);
}

/* ---- the command line (args.c) ------------------------------------------------ */

#define ARGV(...) ((char *[]){"dbmig", __VA_ARGS__, NULL})

/* argc is counted from argv (NULL-terminated); the argument is ignored. */
static int parse(cli_args *a, cli_config *cfg, int argc, char **argv, char *err, size_t cap)
{
    for (argc = 0; argv[argc]; argc++)
        ;
    memset(cfg, 0, sizeof *cfg);
    err[0] = '\0';
    return cli_args_parse(a, cfg, argc, argv, err, cap);
}

static void test_args_anywhere(void **st)
{
    (void)st;
    cli_args a;
    cli_config cfg;
    char err[512];
    char **v = ARGV("status", "--url", "sqlite:x.db", "--dir=m", "-vv", "--dry-run");
    assert_int_equal(parse(&a, &cfg, 0, v, err, sizeof err), 0);
    assert_string_equal(a.command, "status");
    assert_int_equal(a.nargs, 0);
    assert_string_equal(cli_config_get(&cfg, "url"), "sqlite:x.db");
    assert_string_equal(cli_config_get(&cfg, "dir"), "m");
    assert_string_equal(cli_config_get(&cfg, "verbose"), "2");
    assert_true(cli_config_on(&cfg, "dry-run"));
    assert_int_equal(a.nglobals, 5); /* --url, its value, --dir=m, -vv, --dry-run */
    cli_args_free(&a);
    cli_config_free(&cfg);

    /* -1 is a target; command options stay with the command */
    char **w = ARGV("--url=sqlite:x.db", "downgrade", "-1", "--table", "t");
    assert_int_equal(parse(&a, &cfg, 5, w, err, sizeof err), 0);
    assert_string_equal(a.command, "downgrade");
    assert_int_equal(a.nargs, 1);
    assert_string_equal(a.args[0], "-1");
    assert_string_equal(cli_config_get(&cfg, "table"), "t");
    cli_args_free(&a);
    cli_config_free(&cfg);

    char **u = ARGV("upgrade", "--resume", "head", "--allow-missing", "-q");
    assert_int_equal(parse(&a, &cfg, 5, u, err, sizeof err), 0);
    assert_int_equal(a.nargs, 3);
    assert_string_equal(a.args[0], "--resume");
    assert_string_equal(a.args[1], "head");
    assert_true(cli_config_on(&cfg, "quiet"));
    cli_args_free(&a);
    cli_config_free(&cfg);

    /* a command option's value is taken as it is */
    char **r = ARGV("revision", "-m", "--dry-run", "--parent", "-x");
    assert_int_equal(parse(&a, &cfg, 5, r, err, sizeof err), 0);
    assert_int_equal(a.nargs, 4);
    assert_null(cli_config_get(&cfg, "dry-run"));
    cli_args_free(&a);
    cli_config_free(&cfg);

    /* -- ends the options */
    char **e = ARGV("--url=sqlite:x.db", "downgrade", "--", "-2");
    assert_int_equal(parse(&a, &cfg, 4, e, err, sizeof err), 0);
    assert_string_equal(a.command, "downgrade");
    assert_int_equal(a.nargs, 1);
    assert_string_equal(a.args[0], "-2");
    cli_args_free(&a);
    cli_config_free(&cfg);

    /* fleet: its own options, then the command's */
    char **f = ARGV("fleet", "--targets", "t.txt", "upgrade", "--allow-missing", "--format", "json");
    assert_int_equal(parse(&a, &cfg, 7, f, err, sizeof err), 0);
    assert_int_equal(a.nargs, 4);
    assert_string_equal(cli_config_get(&cfg, "format"), "json");
    cli_args_free(&a);
    cli_config_free(&cfg);

    /* help, version, flags with a value */
    char **h = ARGV("status", "--help", "-V", "--single-transaction=false");
    assert_int_equal(parse(&a, &cfg, 4, h, err, sizeof err), 0);
    assert_true(a.help && a.version);
    assert_string_equal(cli_config_get(&cfg, "single-transaction"), "0");
    cli_args_free(&a);
    cli_config_free(&cfg);

    /* --plugin-dir "" means no extra folder */
    char **pd = ARGV("--plugin-dir", "", "status");
    assert_int_equal(parse(&a, &cfg, 0, pd, err, sizeof err), 0);
    assert_string_equal(cli_config_get(&cfg, "plugin-dir"), "");
    cli_args_free(&a);
    cli_config_free(&cfg);

    /* the same value twice is fine */
    char **t = ARGV("--url", "sqlite:a.db", "status", "--url=sqlite:a.db");
    assert_int_equal(parse(&a, &cfg, 4, t, err, sizeof err), 0);
    cli_args_free(&a);
    cli_config_free(&cfg);
}

static void args_fail(int argc, char **argv, const char *part1, const char *part2)
{
    cli_args a;
    cli_config cfg;
    char err[512];
    assert_int_equal(parse(&a, &cfg, argc, argv, err, sizeof err), 2);
    if (part1 && !strstr(err, part1))
        fail_msg("error '%s' lacks '%s'", err, part1);
    if (part2 && !strstr(err, part2))
        fail_msg("error '%s' lacks '%s'", err, part2);
    cli_args_free(&a);
    cli_config_free(&cfg);
}

static void test_args_mistakes(void **st)
{
    (void)st;
    args_fail(1 + 1, ARGV("upgarde"), "unknown command 'upgarde'", "did you mean upgrade?");
    /* other tools' words (golang-migrate, goose, dbmate, Rails, Flyway) */
    args_fail(2, ARGV("up"), "unknown command 'up'", "did you mean upgrade?");
    args_fail(2, ARGV("down"), "unknown command 'down'", "did you mean downgrade?");
    args_fail(2, ARGV("rollback"), "unknown command 'rollback'", "did you mean downgrade -1?");
    args_fail(2, ARGV("Migrate"), "unknown command 'Migrate'", "did you mean upgrade?");
    args_fail(2, ARGV("baseline"), "unknown command 'baseline'", "did you mean stamp?");
    args_fail(2, ARGV("--dryrun"), "unknown option '--dryrun'", "did you mean --dry-run?");
    args_fail(3, ARGV("status", "--lock-timout=5"), "unknown option '--lock-timout' for status",
              "did you mean --lock-timeout?");
    args_fail(3, ARGV("-url", "x", "status"), "unknown option '-url'", "did you mean --url?");
    args_fail(2, ARGV("status", "--url"), "'--url' needs a value", NULL);
    args_fail(3, ARGV("status", "--url="), "'--url' needs a value", NULL);
    args_fail(4, ARGV("--env", "", "status"), "'--env' needs a value", NULL);
    args_fail(4, ARGV("--url", "--dir", "m", "status"), "'--url' needs a value",
              "got the option '--dir'");
    args_fail(2, ARGV("--allow-missing", "upgrade"), "'--allow-missing' is an option of upgrade",
              "after the command");
    args_fail(3, ARGV("downgrade", "--resume", "-1"), "'--resume' is an option of upgrade",
              "not of downgrade");
    args_fail(5, ARGV("--url", "sqlite:a.db", "status", "--url", "sqlite:b.db"),
              "'--url' is given twice", NULL);
    args_fail(3, ARGV("--dry-run", "status", "--dry-run=no"), "'--dry-run' is given twice", NULL);
    args_fail(2, ARGV("--quiet=maybe", "status"), "bad value 'maybe' for --quiet", "true/false");
    args_fail(3, ARGV("revision", "-m"), "'-m' of revision needs a value", NULL);
    args_fail(2, ARGV("-x", "status"), "unknown option '-x'", NULL);
    args_fail(2, ARGV("--help=1", "status"), "takes no value", NULL);
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
        T(test_parse_bool),
        T(test_bools_from_env),
        T(test_bools_from_file),
        T(test_precedence_full),
        T(test_lazy_expansion),
        T(test_file_mistakes),
        T(test_numbers),
        T(test_suggest),
        T(test_unknown_env),
        T(test_args_anywhere),
        T(test_args_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
