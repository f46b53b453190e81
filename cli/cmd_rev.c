/* cmd_rev.c — the commands that write a migration file: revision and
 * merge. They share one argument reader (-m, --parent, --branch,
 * --depends, --timestamp, --sequential; a merge takes its parents as
 * arguments) and one result line;
 * the file itself is written by the library (dbmig_revision_new,
 * dbmig_merge_new). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Matches "-m X", "--message X", "--message=X" (short is optional). */
static int take_value(cli *c, int *i, const char *lng, const char *shrt, const char **out)
{
    const char *a = c->args[*i];
    size_t n = strlen(lng);
    if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
        if (*i + 1 >= c->nargs) {
            cli_usage_error(c, "%s needs a value", a);
            return -1;
        }
        *out = c->args[++*i];
        return 1;
    }
    if (strncmp(a, lng, n) == 0 && a[n] == '=') {
        *out = a + n + 1;
        return 1;
    }
    return 0;
}

/* What revision and merge were given: the message and three lists (each
 * with room for every argument). */
enum { R_PARENTS, R_BRANCHES, R_DEPENDS, R_NLISTS };
typedef struct rev_args {
    const char *msg;
    const char **list[R_NLISTS];
    size_t n[R_NLISTS];
    unsigned idstyle; /* DBMIG_REVID_TIMESTAMP | DBMIG_REVID_SEQUENTIAL */
} rev_args;

/* Reads the argument at *i (and its value): EXIT_OK or EXIT_USAGE. */
static int take_rev_arg(cli *c, int merge, int *i, rev_args *r)
{
    static const char *const list_opts[R_NLISTS] = {"--parent", "--branch", "--depends"};
    const char *a = c->args[*i], *v;
    int t;
    if ((t = take_value(c, i, "--message", "-m", &v)) != 0) {
        if (t < 0 || r->msg)
            return t < 0 ? EXIT_USAGE : cli_usage_error(c, "%s: give the message once", c->command);
        r->msg = v;
        return EXIT_OK;
    }
    if (strcmp(a, "--timestamp") == 0 || strcmp(a, "--sequential") == 0) {
        /* both at once is refused by the library, which says why */
        r->idstyle |= a[2] == 't' ? DBMIG_REVID_TIMESTAMP : DBMIG_REVID_SEQUENTIAL;
        return EXIT_OK;
    }
    for (int k = 0; !merge && k < R_NLISTS; k++)
        if ((t = take_value(c, i, list_opts[k], NULL, &v)) != 0) {
            if (t < 0)
                return EXIT_USAGE;
            r->list[k][r->n[k]++] = v;
            return EXIT_OK;
        }
    if (a[0] == '-') {
        cli_errorf(c, EXIT_USAGE, "unknown option '%s' for %s", a, c->command);
        fputs(cli_help_for(c->command), stderr);
        return EXIT_USAGE;
    }
    if (merge) {
        r->list[R_PARENTS][r->n[R_PARENTS]++] = a;
        return EXIT_OK;
    }
    cli_errorf(c, EXIT_USAGE, "revision takes no argument '%s'; give parents with --parent", a);
    fputs(cli_help_for(c->command), stderr);
    return EXIT_USAGE;
}

/* The revision written (or, with --dry-run, that would be). */
static void print_new_revision(cli *c, const dbmig_new_revision *r)
{
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "revision", json_string(r->revision));
        json_object_set_new(j, "file", json_string(r->file));
        json_object_set_new(j, "parents", cli_json_strs(r->parents, r->nparents));
        if (c->dry_run)
            json_object_set_new(j, "dry_run", json_true());
        cli_json_print(c, j);
        return;
    }
    printf("%s %s: revision %s, parent%s", c->dry_run ? "dry run: would create" : "created",
           r->file, r->revision, r->nparents == 1 ? "" : "s");
    if (!r->nparents)
        printf(" base");
    for (size_t i = 0; i < r->nparents; i++)
        printf("%s %s", i ? "," : "", r->parents[i]);
    putchar('\n');
}

static int cmd_new_revision(cli *c, int merge)
{
    rev_args r = {0};
    int rc = EXIT_OK;
    for (int k = 0; k < R_NLISTS; k++)
        if (!(r.list[k] = calloc((size_t)c->nargs + 1, sizeof *r.list[k])))
            rc = EXIT_FAIL;
    for (int i = 0; i < c->nargs && rc == EXIT_OK; i++)
        rc = take_rev_arg(c, merge, &i, &r);
    if (rc == EXIT_OK && !r.msg) {
        rc = cli_errorf(c, EXIT_USAGE, "%s needs a message: -m \"what it does\"", c->command);
        fputs(cli_help_for(c->command), stderr);
    }
    if (rc == EXIT_OK) {
        dbmig_revision_opts o = {r.msg, r.list[R_PARENTS], r.n[R_PARENTS], r.list[R_BRANCHES],
                                 r.n[R_BRANCHES], r.list[R_DEPENDS], r.n[R_DEPENDS]};
        dbmig_new_revision *nr;
        int lrc = merge ? dbmig_merge_new_ex(c->h, &o, r.idstyle, &nr)
                        : dbmig_revision_new_ex(c->h, &o, r.idstyle, &nr);
        if (lrc) {
            rc = cli_fail(c, lrc);
        } else {
            print_new_revision(c, nr);
            dbmig_new_revision_free(nr);
        }
    }
    for (int k = 0; k < R_NLISTS; k++)
        free(r.list[k]);
    return rc;
}

int cmd_revision(cli *c) { return cmd_new_revision(c, 0); }
int cmd_merge(cli *c) { return cmd_new_revision(c, 1); }
