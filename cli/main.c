/* main.c — the dbmig command-line tool: a thin client of <dbmig/dbmig.h>.
 * It parses options, merges them with the environment and the config file
 * (config.c), opens the library and dispatches one command to its file
 * (cmd_run.c, cmd_show.c, cmd_graph.c, cmd_rev.c, cmd_drivers.c; the help
 * texts in help.c), which prints the result (text or JSON on stdout,
 * progress and errors on stderr). Exit code = -rc. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "config.h"
#include "fleet.h"
#include "output.h"
#include "trust.h"
#include "tty.h"
#include "dbmig/dbmig.h"

/* ---- option parsing ------------------------------------------------------ */

static void warn_env(void *payload, const char *name, const char *suggestion)
{
    (void)payload;
    fprintf(stderr,
            "dbmig: warning: the environment variable %s is not a dbmig setting and is "
            "ignored; did you mean %s?\n",
            name, suggestion ? suggestion : "DBMIG_<OPTION>");
}

/* A setting with a fixed list of values: *out = its index (left alone when unset). */
static int pick(cli *c, const char *key, const char *const *vals, size_t n, int *out)
{
    const char *v = cli_config_get(&c->cfg, key);
    if (!v)
        return EXIT_OK;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, vals[i]) == 0) {
            *out = (int)i;
            return EXIT_OK;
        }
    const char *near = cli_suggest(v, vals, n);
    return cli_errorf(c, EXIT_USAGE, "bad value '%s' for %s (from %s): expected %s or %s%s%s%s",
                      v, key, cli_config_source(&c->cfg, key), vals[0], vals[1],
                      near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
}

static void warn_msg(void *payload, const char *msg)
{
    (void)payload;
    fprintf(stderr, "dbmig: warning: %s\n", msg);
}

/* The environment and the .env file, then the config file, then
 * DATABASE_URL, each below what is already set; a plugin folder named by
 * the config file or the .env file must be safe (trust.h). */
static int load_settings(cli *c)
{
    char err[1024];
    c->settings_read = 1; /* tried: main.c's JSON fallback reads no file again */
    if (cli_config_load_env(&c->cfg, err, sizeof err) != 0)
        goto bad;
    cli_config_dotenv_unknown(&c->cfg, warn_msg, NULL);
    const char *file = cli_config_get(&c->cfg, "config");
    int required = file != NULL;
    if (!file)
        file = "dbmig.conf";
    const char *dotenv_pd = cli_config_dotenv_file(&c->cfg, "plugin-dir");
    int typed_plugin_dir = cli_config_get(&c->cfg, "plugin-dir") != NULL && !dotenv_pd;
    if (cli_config_load_file(&c->cfg, file, required, cli_config_get(&c->cfg, "env"), err,
                             sizeof err) != 0 ||
        cli_config_load_database_url(&c->cfg, err, sizeof err) != 0)
        goto bad;
    if (!typed_plugin_dir && cli_plugin_dir_trusted(cli_config_get(&c->cfg, "plugin-dir"),
                                                    dotenv_pd ? dotenv_pd : file, err, sizeof err))
        goto bad;
    return EXIT_OK;
bad:
    return cli_errorf(c, EXIT_USAGE, "%s", err);
}

const char *cli_opt_value(cli *c, int *i, const char *name)
{
    const char *a = c->args[*i];
    size_t n = strlen(name);
    if (!a || strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] || *i + 1 >= c->nargs)
        return NULL;
    return c->args[++*i];
}

/* --ddl-retries counts retries after a lock time-out, so without
 * --ddl-lock-timeout it does nothing: refused when typed on the command
 * line, a note when a file or the environment sets it (a shared setting
 * whose time-out may come per run). */
static int settle_retries(cli *c)
{
    const char *src = cli_config_source(&c->cfg, "ddl-retries");
    if (!src || cli_config_get(&c->cfg, "ddl-lock-timeout"))
        return EXIT_OK;
    if (strncmp(src, "--", 2) == 0)
        return cli_errorf(c, EXIT_USAGE, "--ddl-retries needs --ddl-lock-timeout: retries happen "
                                         "only after a statement gave up waiting for a lock; add "
                                         "e.g. --ddl-lock-timeout 2s");
    if (!c->quiet)
        fprintf(stderr, "note: ddl-retries (from %s) does nothing without ddl-lock-timeout\n", src);
    return EXIT_OK;
}

/* --phase pre|post|all (SPEC section 14). */
static int settle_phase(cli *c, dbmig_options *o)
{
    const char *v = cli_config_get(&c->cfg, "phase");
    if (!v || strcmp(v, "all") == 0)
        return EXIT_OK;
    if (strcmp(v, "pre") == 0 || strcmp(v, "post") == 0) {
        o->phase = v[1] == 'r' ? DBMIG_PHASE_PRE : DBMIG_PHASE_POST;
        return EXIT_OK;
    }
    return cli_errorf(c, EXIT_USAGE,
                      "bad value '%s' for phase (from %s): expected pre (leave out the revisions "
                      "marked -- dbmig:phase post), post or all",
                      v, cli_config_source(&c->cfg, "phase"));
}

/* --phase pre|post typed on the command line for a command that has no
 * phases (only upgrade, check and wait leave post revisions out): a note, not a
 * refusal, since a config or DBMIG_PHASE may set it for every command of
 * an environment (those stay silent). */
static void phase_note(const cli *c)
{
    const char *v = cli_config_get(&c->cfg, "phase");
    const char *src = cli_config_source(&c->cfg, "phase");
    if (c->quiet || !v || strcmp(v, "all") == 0 || !src || strcmp(src, "--phase") != 0 ||
        strcmp(c->command, "upgrade") == 0 || strcmp(c->command, "check") == 0 ||
        strcmp(c->command, "wait") == 0)
        return;
    fprintf(stderr, "dbmig: note: --phase %s has no effect on %s (only upgrade and check, and "
                    "wait, leave out post-deployment revisions)\n",
            v, c->command);
}

/* The numeric settings: each left at the library's default when unset. */
static int settle_numbers(cli *c, dbmig_options *o)
{
    char err[1024];
    double d;
    int r;
    if ((r = cli_config_number(&c->cfg, "lock-timeout", 0, 1e9, 0, "seconds", &d, err,
                               sizeof err)) < 0)
        goto bad;
    if (r)
        o->lock_timeout = d;
    if ((r = cli_config_number(&c->cfg, "commit-interval", 0, 2147483647.0, 1, "milliseconds",
                               &d, err, sizeof err)) < 0)
        goto bad;
    if (r)
        o->commit_interval_ms = (int)d;
    if ((r = cli_config_number(&c->cfg, "lease-seconds", 1, 2147483647.0, 1, "seconds", &d, err,
                               sizeof err)) < 0)
        goto bad;
    if (r)
        o->lease_seconds = (int)d;
    if ((r = cli_config_number(&c->cfg, "ddl-retries", 0, 1000, 1, "retries", &d, err,
                               sizeof err)) < 0)
        goto bad;
    if (r)
        o->ddl_retries = (int)d;
    static const struct {
        const char *key;
        size_t off;
        int bare_ms; /* SPEC 14 writes these two as MS */
    } durations[] = {
        {"ddl-lock-timeout", offsetof(dbmig_options, ddl_lock_timeout_ms), 0},
        {"statement-timeout", offsetof(dbmig_options, statement_timeout_ms), 0},
        {"batch-pause", offsetof(dbmig_options, batch_pause_ms), 1},
        {"batch-time", offsetof(dbmig_options, batch_time_ms), 1},
    };
    for (size_t k = 0; k < sizeof durations / sizeof durations[0]; k++)
        if (cli_config_duration(&c->cfg, durations[k].key, durations[k].bare_ms,
                                (int *)((char *)o + durations[k].off), err, sizeof err) < 0)
            goto bad;
    return settle_phase(c, o);
bad:
    return cli_errorf(c, EXIT_USAGE, "%s", err);
}

static void note_msg(void *payload, const char *msg)
{
    (void)payload;
    fprintf(stderr, "dbmig: %s\n", msg);
}

/* -q and -v: the command line beats a lower source; two of the same rank
 * contradict. */
static int settle_verbosity(cli *c)
{
    c->quiet = cli_config_on(&c->cfg, "quiet");
    c->verbose = cli_config_on(&c->cfg, "verbose") ? cli_verbosity(cli_config_get(&c->cfg, "verbose")) : 0;
    if (!c->quiet || !c->verbose)
        return EXIT_OK;
    const char *sq = cli_config_source(&c->cfg, "quiet");
    const char *sv = cli_config_source(&c->cfg, "verbose");
    int cq = strncmp(sq, "--", 2) == 0, cv = strncmp(sv, "--", 2) == 0;
    if (cq == cv)
        return cli_errorf(c, EXIT_USAGE,
                          "quiet (from %s) and verbose (from %s) contradict each other; give one",
                          sq, sv);
    if (cq)
        c->verbose = 0;
    else
        c->quiet = 0;
    return EXIT_OK;
}

/* Merges environment and config file, then fills the library's options.
 * Precedence (config.h): command line > DBMIG_<NAME> > .env's DBMIG_<NAME>
 * > [env.NAME] > [dbmig] > DATABASE_URL > .env's DATABASE_URL. */
static int settle_options(cli *c, dbmig_options *o)
{
    int rc = load_settings(c);
    if (rc)
        return rc;
    /* the format first: a later setting's mistake is then said in JSON */
    static const char *const formats[] = {"text", "json"};
    int fmt = 0;
    if (pick(c, "format", formats, 2, &fmt))
        return EXIT_USAGE;
    c->json = fmt == 1;
    c->json_settled = 1;
    o->url = cli_config_get(&c->cfg, "url");
    o->driver = cli_config_get(&c->cfg, "driver");
    o->dir = cli_config_get(&c->cfg, "dir");
    o->table = cli_config_get(&c->cfg, "table");
    o->plugin_path = cli_config_get(&c->cfg, "plugin-dir");
    c->dry_run = cli_config_on(&c->cfg, "dry-run");
    c->sql = cli_config_on(&c->cfg, "sql");
    o->dry_run = c->dry_run;
    o->single_transaction = cli_config_on(&c->cfg, "single-transaction");
    if ((rc = settle_numbers(c, o)) != EXIT_OK)
        return rc;
    static const char *const locks[] = {"session", "lease"};
    int lock = -1;
    if (pick(c, "lock", locks, 2, &lock))
        return EXIT_USAGE;
    if (lock >= 0)
        o->lock = lock == 0 ? DBMIG_LOCK_SESSION : DBMIG_LOCK_LEASE;
    if ((rc = settle_verbosity(c)) != EXIT_OK)
        return rc;
    char url_note[1600];
    if (!c->quiet && cli_config_url_notice(&c->cfg, url_note, sizeof url_note))
        note_msg(NULL, url_note);
    if (c->verbose)
        cli_config_explain(&c->cfg, note_msg, NULL);
    o->vars = cli_config_var_array(&c->cfg, &o->nvars); /* SPEC 16 */
    phase_note(c);
    o->verbose = c->verbose;
    /* DBMIG_PLUGIN_PATH comes after --plugin-dir (plugin_path). */
    return settle_retries(c);
}

static int write_stdout(void *payload, const char *data, size_t len)
{
    (void)payload;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

int cli_fail(cli *c, int rc)
{
    char *safe = cli_safe_dup(dbmig_errmsg(c->h)); /* no raw control characters */
    fprintf(stderr, "dbmig: error: %s\n", safe ? safe : dbmig_errmsg(c->h));
    cli_said_error(&c->said, safe ? safe : dbmig_errmsg(c->h));
    free(safe);
    return -rc;
}

int cli_errorf(cli *c, int rc, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (msg)
        vsnprintf(msg, (size_t)n + 1, fmt, again);
    va_end(again);
    fprintf(stderr, "dbmig: %s\n", msg ? msg : "out of memory");
    /* "dbmig: error: X" on stderr is the error X (as cli_fail's) */
    if (msg)
        cli_said_error(&c->said, strncmp(msg, "error: ", 7) == 0 ? msg + 7 : msg);
    free(msg);
    return rc;
}

/* ---- JSON helpers ----------------------------------------------------------- */

void cli_json_print(cli *c, json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        puts(s);
        c->said.docs++;
    }
    free(s);
    json_decref(j);
}

json_t *cli_json_strs(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static const struct {
    const char *name;
    int (*fn)(cli *);
} commands[] = {
    {"upgrade", cmd_upgrade}, {"downgrade", cmd_downgrade}, {"current", cmd_current},
    {"status", cmd_status},   {"stamp", cmd_stamp},         {"show", cmd_show},
    {"check", cmd_check},     {"repair", cmd_repair},       {"drivers", cmd_drivers},
    {"history", cmd_history}, {"heads", cmd_heads},         {"branches", cmd_branches},
    {"revision", cmd_revision}, {"merge", cmd_merge},
    {"schema", cmd_schema},   {"drift", cmd_drift},
    {"test", cmd_test}, /* mtest */
    {"init", cmd_init},
    {"diff", cmd_diff},
    {"lint", cmd_lint},
    {"completion", cmd_completion},
    {"wait", cmd_wait},
};

/* `fleet`: each target is a child dbmig given the same global options
 * (minus --url and --format, which fleet sets per target). */
static int run_fleet(cli *c, char **argv, int next)
{
    /* argv[0..next) are the global option tokens (cli_args.globals) */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return cli_errorf(c, EXIT_FAIL, "fleet: cannot find my own executable");
    exe[n] = '\0';
    char **globals = calloc((size_t)next + 1, sizeof *globals);
    int ng = 0;
    if (!globals)
        return EXIT_FAIL;
    for (int i = 0; i < next; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--url") == 0 || strcmp(a, "--format") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--url=", 6) == 0 || strncmp(a, "--format=", 9) == 0)
            continue;
        globals[ng++] = argv[i];
    }
    const char *fmt = cli_config_get(&c->cfg, "format");
    if (!fmt)
        fmt = getenv("DBMIG_FORMAT");
    int json = fmt && strcmp(fmt, "json") == 0;
    c->json = json;
    c->json_settled = 1;
    int rc = cli_fleet(exe, globals, ng, c->args, c->nargs, json,
                       cli_config_on(&c->cfg, "quiet"), &c->said);
    free(globals);
    return rc;
}

/* --plugin-dir first, then DBMIG_PLUGIN_PATH: sets o->plugin_path to the
 * joined list and returns it (the caller frees it after dbmig_open), or
 * NULL when there is nothing to join (or no memory: --plugin-dir alone). */
static char *plugin_path(dbmig_options *o)
{
    const char *env_path = getenv("DBMIG_PLUGIN_PATH");
    if (!env_path || !*env_path)
        return NULL;
    const char *pd = o->plugin_path;
    size_t n = (pd ? strlen(pd) + 1 : 0) + strlen(env_path) + 1;
    char *path = malloc(n);
    if (path) {
        snprintf(path, n, "%s%s%s", pd ? pd : "", pd ? ":" : "", env_path);
        o->plugin_path = path;
    }
    return path;
}

/* Opens the handle with the run's output attached; --sql (upgrade and
 * downgrade only, not with JSON) writes the script on stdout. */
static int open_handle(cli *c, dbmig_options *o)
{
    if (c->sql && (strcmp(c->command, "schema") == 0 || strcmp(c->command, "drift") == 0))
        return cli_errorf(c, EXIT_USAGE, "--sql (offline mode, from %s) cannot be used with %s: "
                                         "it reads the live database's catalog; leave --sql out",
                          cli_config_source(&c->cfg, "sql"), c->command);
    /* diff: --sql prints its up statements and writes no file (cmd_diff.c);
     * it never writes an offline script, so no sql_out */
    if (c->sql && strcmp(c->command, "diff") != 0) {
        if (strcmp(c->command, "upgrade") != 0 && strcmp(c->command, "downgrade") != 0)
            return cli_errorf(c, EXIT_USAGE, "--sql (from %s) works with upgrade and downgrade "
                                             "(and diff, which then prints its statements), not %s",
                              cli_config_source(&c->cfg, "sql"), c->command);
        if (c->json)
            return cli_usage_error(c, "--sql writes the SQL script on stdout, so it cannot be "
                                   "combined with --format json%s", "");
        o->sql_out = write_stdout;
    }
    c->tty = isatty(2);
    /* `test` prints its own JSON report (cmd_test.c), not a run's. */
    cli_out_opts oo = {c->tty, c->quiet, c->verbose, c->json && strcmp(c->command, "test") != 0,
                       &c->said};
    if (!(c->out = cli_out_new(&oo)))
        return cli_errorf(c, EXIT_FAIL, "out of memory");
    o->on_event = cli_out_event;
    o->event_payload = c->out;
    int orc = dbmig_open(&c->h, o);
    if (orc != DBMIG_OK)
        return c->h ? cli_fail(c, orc) : EXIT_FAIL;
    return EXIT_OK;
}

/* A command: settle the options, open the handle, check --driver, run it. */
static int run_command(cli *c, const cli_args *a)
{
    cli_config_unknown_env(warn_env, NULL);
    c->command = a->command;
    c->args = a->args;
    c->nargs = a->nargs;
    if (strcmp(c->command, "fleet") == 0)
        return run_fleet(c, a->globals, a->nglobals);
    int (*fn)(cli *) = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, c->command) == 0)
            fn = commands[i].fn;
    if (!fn)
        return cli_usage_error(c, "unknown command '%s'", c->command);
    if (fn == cmd_init || fn == cmd_completion) /* offline: no config file read, no handle */
        return fn(c);
    dbmig_options o = DBMIG_OPTIONS_INIT;
    int rc = settle_options(c, &o);
    if (rc != EXIT_OK)
        return rc;
    char *path = plugin_path(&o);
    rc = open_handle(c, &o);
    free(path);
    if (rc != EXIT_OK || (rc = cli_check_driver(c)) != EXIT_OK)
        return rc;
    return fn(c);
}

/* -V, -h, `help [COMMAND]`, or no command at all (the usage, exit 2). */
static int answer_without_command(cli *c, const cli_args *a)
{
    if (a->version) {
        printf("dbmig %s\n", dbmig_version());
        return EXIT_OK;
    }
    if (a->help || (a->command && strcmp(a->command, "help") == 0)) {
        const char *cmd = a->command;
        if (cmd && strcmp(cmd, "help") == 0) {
            if (a->nargs > 1)
                return cli_usage_error(c, "help takes one command, got '%s' too", a->args[1]);
            cmd = a->nargs ? a->args[0] : NULL;
        }
        return cli_print_help(c, cmd);
    }
    fputs(cli_usage_main, stderr);
    cli_said_error(&c->said, "no command given: dbmig [options] <command> [args]; run `dbmig "
                             "--help` for the commands");
    return EXIT_USAGE;
}

/* The value of the command's own --format (history, schema dump, lint: their
 * values are not only text and json), or NULL when it has none or none was
 * given. The options' values are skipped (`lint --since --format`). */
static const char *own_format(const cli_args *a)
{
    const char *name, *v = NULL;
    int valued, has = 0;
    for (size_t k = 0; a->command && cli_copt_at(a->command, k, &name, &valued); k++)
        has |= strcmp(name, "--format") == 0;
    for (int i = 0; has && i < a->nargs; i++) {
        const char *t = a->args[i];
        if (strncmp(t, "--format=", 9) == 0) {
            v = t + 9;
            continue;
        }
        for (size_t k = 0; cli_copt_at(a->command, k, &name, &valued); k++)
            if (valued && strcmp(t, name) == 0 && i + 1 < a->nargs) {
                if (strcmp(name, "--format") == 0)
                    v = a->args[i + 1];
                i++;
                break;
            }
    }
    return v;
}

/* Whether the run asked for JSON: the command's own --format, else the
 * settled format, else (a usage error came before the settings were
 * settled) the command line's, DBMIG_FORMAT's or the config file's. */
static int json_asked(cli *c, const cli_args *a)
{
    const char *f = own_format(a);
    if (f)
        return strcmp(f, "json") == 0;
    if (c->json_settled)
        return c->json;
    if (!(f = cli_config_get(&c->cfg, "format")) && !c->settings_read) {
        /* a mistake on the command line stopped the run before the
         * environment and the config file were read: read them quietly
         * (their own mistakes are not this run's message) */
        char err[1024];
        const char *file = cli_config_get(&c->cfg, "config");
        if (cli_config_load_env(&c->cfg, err, sizeof err) == 0)
            (void)cli_config_load_file(&c->cfg, file ? file : "dbmig.conf", 0,
                                       cli_config_get(&c->cfg, "env"), err, sizeof err);
        f = cli_config_get(&c->cfg, "format");
    }
    if (!f) /* init, fleet: the environment, as they read it */
        f = getenv("DBMIG_FORMAT");
    return f && strcmp(f, "json") == 0;
}

/* A run asked for JSON that failed without printing its document prints
 * this one, so that `dbmig --format json status | jq .pending` never reads
 * an empty stdout (jq takes it for no input and exits 0): the command (null
 * when none was read), ok false, the exit code and the last error said on
 * stderr (the same text, redacted as it was). */
static void json_fallback(cli *c, const cli_args *a, int rc)
{
    if (rc == EXIT_OK || c->said.docs || !json_asked(c, a))
        return;
    char why[80];
    snprintf(why, sizeof why, "exit code %d (the messages are on stderr)", rc);
    json_t *j = json_object();
    json_object_set_new(j, "command", a->command ? json_string(a->command) : json_null());
    json_object_set_new(j, "ok", json_false());
    json_object_set_new(j, "exit_code", json_integer(rc));
    json_object_set_new(j, "error", json_string(c->said.error[0] ? c->said.error : why));
    cli_json_print(c, j);
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    cli_args a;
    char err[1024];
    /* hidden, for the shells and the build: the raw words, no parsing */
    if (argc > 1 && strcmp(argv[1], "__complete") == 0)
        return cli_complete_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "__man") == 0)
        return cli_man_main(argc, argv);
    int rc = cli_args_parse(&a, &c.cfg, argc, argv, err, sizeof err);
    if (rc)
        rc = cli_usage_error(&c, "%s", err);
    else if (a.version || a.help || !a.command || strcmp(a.command, "help") == 0)
        rc = answer_without_command(&c, &a);
    else
        rc = run_command(&c, &a);
    json_fallback(&c, &a, rc);
    dbmig_close(c.h);
    cli_out_free(c.out);
    cli_config_free(&c.cfg);
    cli_args_free(&a);
    fflush(stdout);
    return rc;
}
