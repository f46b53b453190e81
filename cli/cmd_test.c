/* cmd_test.c — `dbmig test [--heads] [--junit FILE] [--scratch-url URL]
 * [--yes-destroy]` (SPEC section 12): reads its options, calls dbmig_test
 * and prints the report: each failure and skip and a summary line in text,
 * or one JSON document, and the JUnit file for CI.
 *
 * Why it is built this way: the library does the testing and returns every
 * result; this file only prints. --yes-destroy empties a database, so it
 * is taken only with a URL given on this command line: a DATABASE_URL or a
 * config file may well name production. Exit 0 when every check passed, 3
 * when some failed (the report is printed either way), else the library's
 * error (2 for usage, 1 when no scratch database could be made). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "junit.h"
#include "tty.h"

typedef struct test_args {
    dbmig_test_opts o;
    const char *junit;
} test_args;

static int parse_args(cli *c, test_args *t)
{
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i], *v = NULL;
        if (strcmp(a, "--heads") == 0)
            t->o.allow_heads = 1;
        else if (strcmp(a, "--yes-destroy") == 0)
            t->o.destroy = 1;
        else if ((v = cli_opt_value(c, &i, "--junit")) != NULL)
            t->junit = v;
        else if ((v = cli_opt_value(c, &i, "--scratch-url")) != NULL)
            t->o.scratch_url = v;
        else
            return cli_usage_error(c, "unknown argument '%s' for test", a);
        if (v && !*v)
            return cli_usage_error(c, "%s needs a value", a);
    }
    if (t->o.destroy) {
        const char *src = cli_config_source(&c->cfg, "url");
        if (!src || strcmp(src, "--url") != 0)
            return cli_errorf(c, EXIT_USAGE,
                              "--yes-destroy empties the database it tests on, so it takes the "
                              "database only from --url on the command line%s%s%s; without "
                              "--yes-destroy, test runs on a scratch database and touches "
                              "nothing",
                              src ? " (the URL came from " : "", src ? src : "", src ? ")" : "");
    }
    return EXIT_OK;
}

/* Milliseconds to the microsecond: enough for a report, short in JSON. */
static double ms3(double ms) { return (double)(long long)(ms * 1000.0 + 0.5) / 1000.0; }

static const char *status_word(int s) { return s > 0 ? "passed" : s == 0 ? "failed" : "skipped"; }

static void print_text(const dbmig_test_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_test_case *k = &r->cases[i];
        if (k->status > 0)
            continue;
        char *msg = cli_safe_dup(k->message);
        printf("%s %s %s: ", k->status == 0 ? "FAIL" : "SKIP", k->revision, k->check);
        for (const char *p = msg ? msg : ""; *p; p++) /* later lines indented */
            p[0] == '\n' ? fputs("\n    ", stdout) : (void)putchar(*p);
        putchar('\n');
        free(msg);
    }
    printf("%zu revision%s, %zu checks, %zu failed%s in %.2f s (on %s)\n", r->revisions,
           r->revisions == 1 ? "" : "s", r->n, r->failed,
           r->skipped ? ", some skipped" : "", r->duration_ms / 1000.0, r->where);
}

/* The report; with ok, exit_code and error as every failing command's
 * document (error: why test failed, or null). */
static void print_json(cli *c, const dbmig_test_report *r, json_t *lint, int code,
                       const char *error)
{
    json_t *cases = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_test_case *k = &r->cases[i];
        json_array_append_new(
            cases, json_pack("{s:s,s:s,s:s,s:s,s:s,s:f}", "revision", k->revision, "check",
                             k->check, "status", status_word(k->status), "message", k->message,
                             "file", k->file, "duration_ms", ms3(k->duration_ms)));
    }
    json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:f,s:s,s:o}", "revisions", (json_int_t)r->revisions,
                          "checks", (json_int_t)r->n, "failed", (json_int_t)r->failed,
                          "skipped", (json_int_t)r->skipped, "duration_ms", ms3(r->duration_ms),
                          "database", r->where, "cases", cases);
    json_object_set_new(j, "lint", lint);
    json_object_set_new(j, "ok", json_boolean(code == EXIT_OK));
    json_object_set_new(j, "exit_code", json_integer(code));
    json_object_set_new(j, "error", error ? json_string(error) : json_null());
    char *out = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (out) {
        puts(out);
        c->said.docs++;
    }
    free(out);
    json_decref(j);
}

int cmd_test(cli *c)
{
    test_args t = {.o = DBMIG_TEST_OPTS_INIT};
    int e = parse_args(c, &t);
    if (e)
        return e;
    char err[512];
    if (t.junit && cli_junit_check(t.junit, err, sizeof err) != 0)
        return cli_errorf(c, EXIT_FAIL, "error: %s", err);
    /* SPEC 15: test lints every file too (before the test run, so that a
     * wrong [lint] setting stops it at once); an error finding fails test */
    json_t *lint = NULL;
    size_t lint_errors;
    dbmig_lint_report *lrep = NULL; /* for the JUnit file: its errors are failures there */
    e = cli_lint_for(c, NULL, c->json ? &lint : NULL, &lint_errors, t.junit ? &lrep : NULL);
    if (e)
        return e;
    dbmig_test_report *r = NULL;
    cli_out_begin(c->out, c->h, "test", NULL, 0, 1);
    int rc = dbmig_test(c->h, &t.o, &r);
    int code = cli_out_end(c->out, c->h, r ? DBMIG_OK : rc);
    if (!r) {
        json_decref(lint);
        dbmig_lint_report_free(lrep);
        return code;
    }
    /* the JUnit file first: its failure is the exit code the report says */
    char why[600] = "";
    code = r->failed || lint_errors ? EXIT_INVALID : code;
    int jbad = t.junit && cli_junit_write(t.junit, r, lrep, err, sizeof err) != 0;
    dbmig_lint_report_free(lrep);
    if (jbad) {
        code = cli_errorf(c, EXIT_FAIL, "error: %s", err);
        snprintf(why, sizeof why, "%s", err);
    } else if (r->failed)
        snprintf(why, sizeof why, "%zu of %zu checks failed", r->failed, r->n);
    else if (lint_errors)
        snprintf(why, sizeof why, "lint found %zu error(s) (`dbmig lint` shows them)",
                 lint_errors);
    if (c->json)
        print_json(c, r, lint, code, why[0] ? why : NULL);
    else
        print_text(r);
    dbmig_test_report_free(r);
    return code;
}
