/* cmd_diff.c — `dbmig diff --to FILE [-m MSG] [--from-db] [--drivers d1,d2]
 * [--scratch-url URL]... [--allow-destructive] [--concurrently]` (SPEC
 * section 13): reads its options, calls dbmig_diff and says what happened:
 * the file written (stdout), the warnings (stderr), or with the global
 * --sql the up statements on stdout and nothing written; --format json one
 * JSON document.
 *
 * Why it is built this way: the library does everything (scratch
 * databases, generation, verification, the file); this file only maps the
 * command line onto dbmig_diff_opts and prints. --sql writes nothing, so it
 * shows destructive statements too (marked, with their warnings) instead of
 * refusing them. DBMIG_TEST_DIFF_FAULT=up plants a generator bug
 * (DBMIG_DIFF_FAULT_UP) for dbmig's own tests (tests/schema/diff.sh): it is
 * read here only, never by the library.
 * Exit codes: 0 written or no changes; 1 a database failed or a dbmig bug
 * was caught; 2 usage (no --to, unreadable file); 3 destructive changes
 * without --allow-destructive, or a malformed schema file. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tty.h"

#define DIFF_MAX_LIST 16

typedef struct diff_args {
    dbmig_diff_opts o;
    const char *drivers[DIFF_MAX_LIST];
    const char *urls[DIFF_MAX_LIST];
    char *drivers_copy; /* --drivers, cut at the commas */
} diff_args;

/* --drivers a,b,c: each name non-empty. */
static int diff_drivers(cli *c, diff_args *t, const char *v)
{
    free(t->drivers_copy); /* NULL: args.c refuses a second --drivers */
    if (!(t->drivers_copy = strdup(v)))
        return EXIT_FAIL;
    for (char *p = t->drivers_copy, *save = NULL, *w; (w = strtok_r(p, ",", &save)); p = NULL) {
        while (*w == ' ')
            w++;
        for (size_t n = strlen(w); n && w[n - 1] == ' '; n--)
            w[n - 1] = '\0';
        if (t->o.ndrivers == DIFF_MAX_LIST)
            return cli_usage_error(c, "--drivers names more than %s drivers", "16");
        t->drivers[t->o.ndrivers++] = w;
    }
    if (!t->o.ndrivers || v[0] == ',' || v[strlen(v) - 1] == ',' || strstr(v, ",,"))
        return cli_usage_error(c, "bad value '%s' for --drivers: a comma-separated list of driver "
                               "names, e.g. --drivers sqlite,postgres",
                               v);
    return EXIT_OK;
}

static int diff_option(cli *c, diff_args *t, int *i)
{
    const char *a = c->args[*i], *v = NULL;
    if (strcmp(a, "--from-db") == 0)
        t->o.from_db = 1;
    else if (strcmp(a, "--allow-destructive") == 0)
        t->o.allow_destructive = 1;
    else if (strcmp(a, "--concurrently") == 0)
        t->o.concurrently = 1;
    else if ((v = cli_opt_value(c, i, "--to")) != NULL)
        t->o.to = v;
    else if ((v = cli_opt_value(c, i, "--message")) || (v = cli_opt_value(c, i, "-m")))
        t->o.message = v;
    else if ((v = cli_opt_value(c, i, "--drivers")) != NULL)
        return diff_drivers(c, t, v);
    else if ((v = cli_opt_value(c, i, "--scratch-url")) != NULL) {
        if (t->o.nscratch_urls == DIFF_MAX_LIST)
            return cli_usage_error(c, "more than %s --scratch-url", "16");
        t->urls[t->o.nscratch_urls++] = v;
    } else {
        cli_errorf(c, EXIT_USAGE, "diff takes no argument '%s'", a);
        fputs(cli_help_for("diff"), stderr);
        return EXIT_USAGE;
    }
    if (v && !*v)
        return cli_usage_error(c, "%s of diff needs a value", a);
    return EXIT_OK;
}

static int diff_args_parse(cli *c, diff_args *t)
{
    for (int i = 0; i < c->nargs; i++) {
        int e = diff_option(c, t, &i);
        if (e)
            return e;
    }
    if (!t->o.to) {
        cli_errorf(c, EXIT_USAGE, "diff needs --to FILE: the schema you want, a file of CREATE "
                                  "statements (`dbmig schema dump -o schema.sql` writes one)");
        fputs(cli_help_for("diff"), stderr);
        return EXIT_USAGE;
    }
    t->o.drivers = t->o.ndrivers ? t->drivers : NULL;
    t->o.scratch_urls = t->o.nscratch_urls ? t->urls : NULL;
    t->o.write = !c->sql;
    t->o.allow_destructive |= c->sql; /* nothing is written: show them, marked */
    const char *fault = getenv("DBMIG_TEST_DIFF_FAULT");
    if (fault && *fault) {
        if (strcmp(fault, "up") != 0)
            return cli_usage_error(c, "bad value '%s' for DBMIG_TEST_DIFF_FAULT (dbmig's own "
                                   "tests): expected up", fault);
        t->o.test_faults = DBMIG_DIFF_FAULT_UP;
    }
    return EXIT_OK;
}

/* The notes on stderr: the up section's (the down section's drops only
 * undo the up's), destructive and rename ones as warnings, the others
 * (a SQLite rebuild and why, a foreign-key check) as notes; destructive
 * ones already listed by a refusal are left to it. */
static void diff_warnings(const dbmig_diff_result *r, int several, int refused, int quiet)
{
    for (size_t i = 0; i < r->nnotes; i++) {
        const dbmig_diff_note *n = &r->notes[i];
        int destructive = strcmp(n->kind, "destructive") == 0;
        if (strcmp(n->section, "up") != 0 || (destructive && refused) ||
            (quiet && strcmp(n->kind, "info") == 0)) /* -q keeps the warnings */
            continue;
        char *safe = cli_safe_dup(n->text);
        int info = strcmp(n->kind, "info") == 0;
        fprintf(stderr, "dbmig: %s: %s%s%s: %s%s\n", info ? "note" : "warning",
                several ? n->driver : "",
                several ? ": " : "", n->object, safe ? safe : n->text,
                destructive ? " (marked -- dbmig:destructive)" : "");
        free(safe);
    }
}

static void diff_json(cli *c, const dbmig_diff_result *r, int rc, int exit_code)
{
    json_t *j = json_object(), *notes = json_array();
    for (size_t i = 0; r && i < r->nnotes; i++) {
        const dbmig_diff_note *n = &r->notes[i];
        json_array_append_new(notes, json_pack("{s:s,s:s,s:s,s:s,s:s}", "driver", n->driver,
                                               "section", n->section, "kind", n->kind, "object",
                                               n->object, "text", n->text));
    }
    json_object_set_new(j, "command", json_string("diff"));
    json_object_set_new(j, "ok", json_boolean(rc == DBMIG_OK));
    json_object_set_new(j, "changed", json_boolean(r && r->changed));
    json_object_set_new(j, "revision", r && r->revision ? json_string(r->revision) : json_null());
    json_object_set_new(j, "file", r && r->file ? json_string(r->file) : json_null());
    json_object_set_new(j, "parent", r && r->parent ? json_string(r->parent) : json_null());
    json_object_set_new(j, "up_statements", json_integer(r ? (json_int_t)r->nup : 0));
    json_object_set_new(j, "down_statements", json_integer(r ? (json_int_t)r->ndown : 0));
    json_object_set_new(j, "destructive", json_integer(r ? (json_int_t)r->destructive : 0));
    json_object_set_new(j, "sql", r && c->sql ? json_string(r->sql) : json_null());
    json_object_set_new(j, "notes", notes);
    json_object_set_new(j, "exit_code", json_integer(exit_code));
    json_object_set_new(j, "error", rc == DBMIG_OK ? json_null() : json_string(dbmig_errmsg(c->h)));
    cli_json_print(c, j);
}

/* Text: the statements (--sql), or what was written. */
static int diff_text(cli *c, const diff_args *t, const dbmig_diff_result *r)
{
    diff_warnings(r, t->o.ndrivers > 1, 0, c->quiet);
    if (!r->changed) {
        fprintf(c->sql ? stderr : stdout, "no changes: %s %s\n",
                t->o.from_db ? "the database already has the schema in"
                             : "the migrations already give the schema in",
                t->o.to);
        return EXIT_OK;
    }
    if (c->sql) {
        fputs(r->sql, stdout);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    printf("wrote %s (up: %zu statement%s, down: %zu)\n", r->file, r->nup,
           r->nup == 1 ? "" : "s", r->ndown);
    return EXIT_OK;
}

int cmd_diff(cli *c)
{
    diff_args t;
    memset(&t, 0, sizeof t);
    t.o = (dbmig_diff_opts)DBMIG_DIFF_OPTS_INIT;
    int e = diff_args_parse(c, &t);
    if (e) {
        free(t.drivers_copy);
        return e;
    }
    /* SIGINT/SIGTERM stop the scratch work (the library removes the
     * scratch databases all the same); this file prints the result. */
    cli_out_opts oo = {0, c->quiet, c->verbose, 0, &c->said};
    cli_out *run = cli_out_new(&oo);
    if (!run) {
        free(t.drivers_copy);
        return EXIT_FAIL;
    }
    dbmig_diff_result *r = NULL;
    cli_out_begin(run, c->h, "diff", NULL, 0, 1);
    int rc = dbmig_diff(c->h, &t.o, &r);
    if (r && rc != DBMIG_OK && !c->json) /* refused: the warnings before the error */
        diff_warnings(r, t.o.ndrivers > 1, 1, c->quiet);
    int code = cli_out_end(run, c->h, rc);
    cli_out_free(run);
    if (c->json)
        diff_json(c, r, rc, code);
    else if (rc == DBMIG_OK && r)
        code = diff_text(c, &t, r);
    dbmig_diff_result_free(r);
    free(t.drivers_copy);
    return code;
}
