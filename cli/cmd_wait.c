/* cmd_wait.c — `dbmig wait [--timeout D] [--reachable]` (SPEC section 16):
 * the readiness gate of init containers and start scripts. The waiting is
 * the library's (dbmig_wait, core/wait.c); this reads the options, lets
 * SIGINT/SIGTERM stop it (output.c, as a run), and prints the outcome: a
 * line on stdout when ready, the library's message on stderr when not, or
 * the final state as JSON. The lines about what it waits for are the
 * library's notices, printed on stderr by output.c as they come. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

#define WAIT_DEFAULT_MS 60000

static const char *state_name(int s)
{
    switch (s) {
    case DBMIG_WS_READY: return "ready";
    case DBMIG_WS_UNREACHABLE: return "unreachable";
    case DBMIG_WS_NO_DATABASE: return "no_database";
    case DBMIG_WS_PENDING: return "pending";
    case DBMIG_WS_DIRTY: return "dirty";
    default: return "unknown";
    }
}

/* --timeout's value: a DURATION (SPEC 14), a bare number being seconds
 * (SPEC 16 writes it `--timeout S`). */
static int timeout_value(cli *c, const char *v, int *ms)
{
    if (*v && cli_parse_duration(v, 1000, ms) > 0)
        return EXIT_OK;
    cli_errorf(c, EXIT_USAGE,
               "bad value '%s' for --timeout of wait: expected a duration: seconds, or a number "
               "with its unit ms, s or m, like 60, 90s, 500ms or 5m (0: look once)",
               v);
    fputs(cli_help_for("wait"), stderr);
    return EXIT_USAGE;
}

/* The command's own arguments (args.c has refused unknown options and a
 * second --timeout): --timeout D, --reachable, nothing else. */
static int wait_args(cli *c, int *timeout_ms, unsigned *flags)
{
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i], *v;
        if (strcmp(a, "--reachable") == 0) {
            *flags |= DBMIG_WAIT_REACHABLE;
        } else if ((v = cli_opt_value(c, &i, "--timeout")) != NULL) {
            int rc = timeout_value(c, v, timeout_ms);
            if (rc != EXIT_OK)
                return rc;
        } else {
            cli_errorf(c, EXIT_USAGE, "wait takes no argument '%s'", a);
            fputs(cli_help_for("wait"), stderr);
            return EXIT_USAGE;
        }
    }
    const char *phase = cli_config_get(&c->cfg, "phase");
    if (phase && strcmp(phase, "pre") == 0)
        *flags |= DBMIG_WAIT_PHASE_PRE;
    return EXIT_OK;
}

static json_t *ids(const char **v, size_t n) { return cli_json_strs(v, n); }

static void print_json(cli *c, const dbmig_wait_result *r, unsigned flags, int timeout_ms,
                       int rc, int exit_code)
{
    json_t *j = json_object();
    json_object_set_new(j, "command", json_string("wait"));
    json_object_set_new(j, "ok", json_boolean(exit_code == EXIT_OK));
    json_object_set_new(j, "ready", json_boolean(rc == DBMIG_OK));
    json_object_set_new(j, "state", r ? json_string(state_name(r->state)) : json_null());
    json_object_set_new(j, "reachable_only", json_boolean(flags & DBMIG_WAIT_REACHABLE));
    json_object_set_new(j, "phase", json_string(flags & DBMIG_WAIT_PHASE_PRE ? "pre" : "all"));
    json_object_set_new(j, "reachable", json_boolean(r && r->reachable));
    int counted = r && r->reachable && !(flags & DBMIG_WAIT_REACHABLE);
    json_object_set_new(j, "applied", counted ? json_integer((json_int_t)r->applied) : json_null());
    json_object_set_new(j, "pending", counted ? ids(r->pending, r->npending) : json_null());
    json_object_set_new(j, "dirty", counted ? ids(r->dirty, r->ndirty) : json_null());
    json_object_set_new(j, "post_pending", counted ? ids(r->post, r->npost) : json_null());
    json_object_set_new(j, "last_error", r && r->error ? json_string(r->error) : json_null());
    json_object_set_new(j, "polls", json_integer(r ? (json_int_t)r->polls : 0));
    json_object_set_new(j, "elapsed_ms",
                        json_integer(r ? (json_int_t)(r->elapsed_ms + 0.5) : 0));
    json_object_set_new(j, "timeout_ms", json_integer(timeout_ms));
    json_object_set_new(j, "exit_code", json_integer(exit_code));
    json_object_set_new(j, "error", rc != DBMIG_OK ? json_string(dbmig_errmsg(c->h)) : json_null());
    cli_json_print(c, j);
}

/* Ready, on stdout: what was seen, and with --phase pre what waits for
 * after the deploy. */
static void print_ready(const dbmig_wait_result *r, unsigned flags)
{
    if (flags & DBMIG_WAIT_REACHABLE) {
        printf("ready: the database is reachable (%.1f s, %u look%s)\n", r->elapsed_ms / 1000.0,
               r->polls, r->polls == 1 ? "" : "s");
        return;
    }
    printf("ready: nothing pending%s, %zu revision%s applied (%.1f s, %u look%s)\n",
           flags & DBMIG_WAIT_PHASE_PRE ? " before the deploy" : "", r->applied,
           r->applied == 1 ? "" : "s", r->elapsed_ms / 1000.0, r->polls, r->polls == 1 ? "" : "s");
    if (r->npost) {
        printf("note: %zu post-deployment revision%s pending (", r->npost,
               r->npost == 1 ? "" : "s");
        for (size_t i = 0; i < r->npost; i++)
            printf("%s%s", i ? ", " : "", r->post[i]);
        printf("): apply %s with `dbmig upgrade --phase post` once the new code is deployed\n",
               r->npost == 1 ? "it" : "them");
    }
}

int cmd_wait(cli *c)
{
    int timeout_ms = WAIT_DEFAULT_MS;
    unsigned flags = 0;
    int e = wait_args(c, &timeout_ms, &flags);
    if (e != EXIT_OK)
        return e;
    /* A run's own output object, for SIGINT/SIGTERM and the exit code
     * (130/143); it prints nothing but the error (as drift's). */
    cli_out_opts oo = {0, c->quiet, c->verbose, 0, &c->said};
    cli_out *run = cli_out_new(&oo);
    if (!run)
        return EXIT_FAIL;
    dbmig_wait_result *r = NULL;
    cli_out_begin(run, c->h, "wait", NULL, 0, 1);
    int rc = dbmig_wait(c->h, timeout_ms, flags, &r);
    int exit_code = cli_out_end(run, c->h, rc);
    cli_out_free(run);
    if (c->json)
        print_json(c, r, flags, timeout_ms, rc, exit_code);
    else if (rc == DBMIG_OK && r && !c->quiet)
        print_ready(r, flags);
    dbmig_wait_result_free(r);
    return exit_code;
}
