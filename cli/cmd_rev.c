/* cmd_rev.c — the commands that write a migration file: revision and
 * merge. They share one argument reader (-m, --parent, --branch,
 * --depends; a merge takes its parents as arguments) and one result line;
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
            cli_usage_error("%s needs a value", a);
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

static int cmd_new_revision(cli *c, int merge)
{
    const char *msg = NULL, *v;
    const char **parents = calloc((size_t)c->nargs + 1, sizeof *parents);
    const char **labels = calloc((size_t)c->nargs + 1, sizeof *labels);
    const char **deps = calloc((size_t)c->nargs + 1, sizeof *deps);
    size_t np = 0, nl = 0, nd = 0;
    int rc = EXIT_OK;
    if (!parents || !labels || !deps) {
        rc = EXIT_FAIL;
        goto out;
    }
    for (int i = 0; i < c->nargs && rc == EXIT_OK; i++) {
        int t;
        const char *a = c->args[i];
        if ((t = take_value(c, &i, "--message", "-m", &v)) != 0) {
            if (t < 0 || msg) {
                rc = t < 0 ? EXIT_USAGE : cli_usage_error("%s: give the message once", c->command);
                break;
            }
            msg = v;
        } else if (!merge && (t = take_value(c, &i, "--parent", NULL, &v)) != 0) {
            if (t < 0)
                rc = EXIT_USAGE;
            else
                parents[np++] = v;
        } else if (!merge && (t = take_value(c, &i, "--branch", NULL, &v)) != 0) {
            if (t < 0)
                rc = EXIT_USAGE;
            else
                labels[nl++] = v;
        } else if (!merge && (t = take_value(c, &i, "--depends", NULL, &v)) != 0) {
            if (t < 0)
                rc = EXIT_USAGE;
            else
                deps[nd++] = v;
        } else if (a[0] == '-') {
            fprintf(stderr, "dbmig: unknown option '%s' for %s\n%s", a, c->command,
                    cli_help_for(c->command));
            rc = EXIT_USAGE;
        } else if (merge) {
            parents[np++] = a;
        } else {
            fprintf(stderr, "dbmig: revision takes no argument '%s'; give parents with --parent\n%s",
                    a, cli_help_for(c->command));
            rc = EXIT_USAGE;
        }
    }
    if (rc != EXIT_OK)
        goto out;
    if (!msg) {
        fprintf(stderr, "dbmig: %s needs a message: -m \"what it does\"\n%s", c->command,
                cli_help_for(c->command));
        rc = EXIT_USAGE;
        goto out;
    }
    dbmig_revision_opts o = {msg, parents, np, labels, nl, deps, nd};
    dbmig_new_revision *r;
    int lrc = merge ? dbmig_merge_new(c->h, &o, &r) : dbmig_revision_new(c->h, &o, &r);
    if (lrc) {
        rc = cli_fail(c, lrc);
        goto out;
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "revision", json_string(r->revision));
        json_object_set_new(j, "file", json_string(r->file));
        json_object_set_new(j, "parents", cli_json_strs(r->parents, r->nparents));
        if (c->dry_run)
            json_object_set_new(j, "dry_run", json_true());
        cli_json_print(j);
    } else {
        printf("%s %s: revision %s, parent%s", c->dry_run ? "dry run: would create" : "created",
               r->file, r->revision,
               r->nparents == 1 ? "" : "s");
        if (!r->nparents)
            printf(" base");
        for (size_t i = 0; i < r->nparents; i++)
            printf("%s %s", i ? "," : "", r->parents[i]);
        putchar('\n');
    }
    dbmig_new_revision_free(r);
out:
    free(parents);
    free(labels);
    free(deps);
    return rc;
}

int cmd_revision(cli *c) { return cmd_new_revision(c, 0); }
int cmd_merge(cli *c) { return cmd_new_revision(c, 1); }
