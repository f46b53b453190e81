/* main.c — the dbmig command-line tool: a thin client of <dbmig/dbmig.h>.
 * It parses options, merges them with the environment and the config file
 * (config.c), runs one command through the library and prints the result
 * (text or JSON on stdout, progress and errors on stderr). Exit code = -rc. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "config.h"
#include "fleet.h"
#include "output.h"
#include "trust.h"
#include "tty.h"
#include "dbmig/dbmig.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INVALID = 3 };

typedef struct cli {
    cli_config cfg;
    const char *command;
    char **args;   /* command arguments and options */
    int nargs;
    int json;
    int quiet, verbose;
    int tty;
    int sql, dry_run;
    dbmig *h;
    cli_out *out;  /* progress, summaries, JSON results (output.c) */
} cli;

/* ---- help ------------------------------------------------------------------ */

static const char cli_usage_main[] =
    "usage: dbmig [options] <command> [args]\n"
    "\n"
    "commands:\n"
    "  upgrade [TARGET]      apply migrations up to TARGET (default head)\n"
    "                        [--allow-missing] [--resume]\n"
    "  downgrade TARGET      revert down to TARGET (-1, base, an id)\n"
    "  current               the applied heads\n"
    "  status                every revision: applied, pending, dirty, edited\n"
    "  stamp TARGET          set the version table to TARGET without running SQL\n"
    "  show REV              a revision's header and the statements it runs\n"
    "  check                 exit 0 only if everything is applied, clean and unedited\n"
    "  repair --checksums | --applied ID | --reverted ID\n"
    "                        settle the version table after a manual fix\n"
    "  drivers               the driver plugins found\n"
    "  fleet --targets FILE [--jobs N] COMMAND ...\n"
    "                        run upgrade/downgrade/status/check on many databases\n"
    "  history [-r A:B]      the revision graph, newest first, with branches and merges\n"
    "  heads                 the heads of the graph\n"
    "  branches              the branch points of the graph\n"
    "  revision -m MSG [--parent ID]... [--branch LABEL] [--depends ID]...\n"
    "                        write a new migration file (id: the UTC time)\n"
    "  merge -m MSG [ID...]  write a merge revision (default: of every head)\n"
    "\n"
    "  help [COMMAND]        this text, or a command's (same as dbmig COMMAND --help)\n"
    "\n"
    "options (before or after the command; also from dbmig.conf or DBMIG_<NAME>):\n"
    "  --url URL             database URL (else DATABASE_URL)\n"
    "  --driver NAME         driver plugin (default: the URL's scheme)\n"
    "  --dir DIR             migrations folder (default ./migrations)\n"
    "  --table NAME          version table (default dbmig_version)\n"
    "  --config FILE         INI file (default ./dbmig.conf when present)\n"
    "  --env NAME            use the [env.NAME] section of the config file\n"
    "  --plugin-dir DIR      look for driver plugins here first (also DBMIG_PLUGIN_PATH)\n"
    "  --sql                 print a stand-alone SQL script instead of connecting\n"
    "  --dry-run             connect and plan, print the plan, change nothing\n"
    "  --lock-timeout SECS   wait this long for the migration lock (default 60)\n"
    "  --lock session|lease  the lock strategy (default session)\n"
    "  --lease-seconds N     the lease of --lock lease (default 30)\n"
    "  --single-transaction  the whole run in one transaction\n"
    "  --commit-interval MS  longest time a group of migrations stays uncommitted (200)\n"
    "  --format text|json    output format\n"
    "  -v, --verbose         more output (-vv: the same today)\n"
    "  -q, --quiet           less output\n"
    "  --no-color            no colour (dbmig prints none anyway)\n"
    "  -h, --help            this text; after a command, the command's\n"
    "  -V, --version         dbmig's version\n"
    "  --                    the end of the options: what follows are arguments\n"
    "flags also take a value (--dry-run=false); an option given twice must have the\n"
    "same value; precedence: command line > DBMIG_<NAME> > [env.NAME] > [dbmig] >\n"
    "DATABASE_URL.\n"
    "\n"
    "targets: head, heads, base, <id>, <unique prefix>, <label>@head, +N, -N, <id>+N, <id>-N\n"
    "exit codes: 0 ok, 1 migration/database failed, 2 usage, 3 validation, 4 lock time-out\n";

static const struct {
    const char *name, *usage;
} cmd_help[] = {
    {"upgrade", "usage: dbmig [options] upgrade [TARGET] [--allow-missing] [--resume]\n"
                "Apply every pending migration up to TARGET (default head).\n"
                "  --allow-missing  also apply unapplied ancestors of applied revisions\n"
                "  --resume         finish a dirty revision from its failed statement\n"
                "With --sql, TARGET may be FROM:TO and nothing is connected.\n"},
    {"downgrade", "usage: dbmig [options] downgrade TARGET [--allow-missing]\n"
                  "Revert applied migrations down to TARGET: -N, base, <id>, <id>-N.\n"
                  "  --allow-missing  revert even though an ancestor of an applied revision\n"
                  "                   is not applied\n"
                  "With --sql, write TARGET as FROM:TO.\n"},
    {"current", "usage: dbmig [options] current\nPrint the applied heads.\n"},
    {"status", "usage: dbmig [options] status\n"
               "Every revision, applied or pending, dirty, edited, missing; a summary.\n"},
    {"stamp", "usage: dbmig [options] stamp TARGET\n"
              "Set the version table to TARGET without running any migration.\n"},
    {"show", "usage: dbmig [options] show REV\n"
             "A revision's header and the statements the chosen driver would run.\n"},
    {"check", "usage: dbmig [options] check\n"
              "Exit 0 only when the graph is valid, every revision is applied, nothing is\n"
              "dirty and every checksum matches; else exit 3 and list the problems.\n"},
    {"repair", "usage: dbmig [options] repair --checksums | --applied ID | --reverted ID\n"
               "  --checksums     accept the current content of edited, applied files\n"
               "  --applied ID    settle dirty revision ID as applied\n"
               "  --reverted ID   settle dirty revision ID as not applied\n"},
    {"drivers", "usage: dbmig [options] drivers\n"
                "The driver plugins found: name, version, file, capabilities.\n"},
    {"history", "usage: dbmig [options] history [-r A:B]\n"
                "The revision graph, newest first, drawn like `git log --graph`: merges,\n"
                "branch points, heads, branch labels and depends. With a database (--url)\n"
                "each revision is marked applied, pending or MISSING, and the applied heads\n"
                "current.\n"
                "  -r, --rev-range A:B  only the descendants of A that are ancestors of B\n"
                "                       (both included); A or B may be left out. Each is\n"
                "                       base, head, heads, an id or prefix, <label>@head,\n"
                "                       <id>+N, <id>-N or current (with --url).\n"
                "--format json prints the revisions with their parents, children and marks.\n"},
    {"heads", "usage: dbmig [options] heads\n"
              "The heads of the graph (revisions without children), with their branch\n"
              "labels; with --url, whether each is applied. --format json for scripts.\n"},
    {"branches", "usage: dbmig [options] branches\n"
                 "The branch points of the graph (revisions with two or more children)\n"
                 "and the revisions that start each branch.\n"},
    {"revision", "usage: dbmig [options] revision -m MSG [--parent ID]... [--branch LABEL]...\n"
                 "                                 [--depends ID]...\n"
                 "Write a new migration file <UTC YYYYMMDDHHMMSS>_<slug>.sql in the migrations\n"
                 "folder, with an explicit header and empty up and down sections.\n"
                 "  -m, --message MSG  its one-line description (also the file's slug)\n"
                 "  --parent ID        a parent (repeat for several; `base` for a new root);\n"
                 "                     default: the single head. With several heads, name\n"
                 "                     one, or join them first with `dbmig merge`.\n"
                 "  --branch LABEL     a branch label, so that LABEL@head names its head\n"
                 "  --depends ID       a revision it needs applied first (not a parent)\n"},
    {"merge", "usage: dbmig [options] merge -m MSG [ID...]\n"
              "Write a merge revision whose parents are the given revisions (default: every\n"
              "head); it joins the branches so that `head` names one revision again.\n"
              "  -m, --message MSG  its one-line description\n"},
};

static const char *cli_help_for(const char *cmd)
{
    for (size_t i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++)
        if (strcmp(cmd_help[i].name, cmd) == 0)
            return cmd_help[i].usage;
    return NULL;
}

static int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "dbmig: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nrun `dbmig --help` for the options and commands\n");
    return EXIT_USAGE;
}

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
    fprintf(stderr, "dbmig: bad value '%s' for %s (from %s): expected %s or %s%s%s%s\n", v, key,
            cli_config_source(&c->cfg, key), vals[0], vals[1], near ? " (did you mean " : "",
            near ? near : "", near ? "?)" : "");
    return EXIT_USAGE;
}

/* Merges environment and config file, then fills the library's options.
 * Precedence (config.h): command line > DBMIG_<NAME> > [env.NAME] > [dbmig]
 * > DATABASE_URL. */
static int settle_options(cli *c, dbmig_options *o)
{
    char err[1024];
    if (cli_config_load_env(&c->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "dbmig: %s\n", err);
        return EXIT_USAGE;
    }
    const char *file = cli_config_get(&c->cfg, "config");
    int required = file != NULL;
    if (!file)
        file = "dbmig.conf";
    int typed_plugin_dir = cli_config_get(&c->cfg, "plugin-dir") != NULL;
    if (cli_config_load_file(&c->cfg, file, required, cli_config_get(&c->cfg, "env"), err,
                             sizeof err) != 0 ||
        cli_config_load_database_url(&c->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "dbmig: %s\n", err);
        return EXIT_USAGE;
    }
    /* a plugin folder named by the config file must be safe (trust.h) */
    if (!typed_plugin_dir &&
        cli_plugin_dir_trusted(cli_config_get(&c->cfg, "plugin-dir"), file, err, sizeof err)) {
        fprintf(stderr, "dbmig: %s\n", err);
        return EXIT_USAGE;
    }
    o->url = cli_config_get(&c->cfg, "url");
    o->driver = cli_config_get(&c->cfg, "driver");
    o->dir = cli_config_get(&c->cfg, "dir");
    o->table = cli_config_get(&c->cfg, "table");
    o->plugin_path = cli_config_get(&c->cfg, "plugin-dir");
    c->dry_run = cli_config_on(&c->cfg, "dry-run");
    c->sql = cli_config_on(&c->cfg, "sql");
    o->dry_run = c->dry_run;
    o->single_transaction = cli_config_on(&c->cfg, "single-transaction");
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
    static const char *const locks[] = {"session", "lease"};
    static const char *const formats[] = {"text", "json"};
    int lock = -1, fmt = 0;
    if (pick(c, "lock", locks, 2, &lock) || pick(c, "format", formats, 2, &fmt))
        return EXIT_USAGE;
    if (lock >= 0)
        o->lock = lock == 0 ? DBMIG_LOCK_SESSION : DBMIG_LOCK_LEASE;
    c->json = fmt == 1;
    c->quiet = cli_config_on(&c->cfg, "quiet");
    c->verbose = cli_config_on(&c->cfg, "verbose") ? cli_verbosity(cli_config_get(&c->cfg, "verbose")) : 0;
    if (c->quiet && c->verbose) {
        /* the command line beats a lower source; two of the same rank contradict */
        const char *sq = cli_config_source(&c->cfg, "quiet");
        const char *sv = cli_config_source(&c->cfg, "verbose");
        int cq = strncmp(sq, "--", 2) == 0, cv = strncmp(sv, "--", 2) == 0;
        if (cq == cv) {
            fprintf(stderr, "dbmig: quiet (from %s) and verbose (from %s) contradict each other; "
                            "give one\n",
                    sq, sv);
            return EXIT_USAGE;
        }
        if (cq)
            c->verbose = 0;
        else
            c->quiet = 0;
    }
    o->verbose = c->verbose;
    /* DBMIG_PLUGIN_PATH comes after --plugin-dir. */
    return EXIT_OK;
bad:
    fprintf(stderr, "dbmig: %s\n", err);
    return EXIT_USAGE;
}

/* --driver NAME that no plugin file has: refuse before anything runs, with
 * the nearest name (a plugin that exists but is refused is left to the
 * loader, whose message says why). */
static int cli_check_driver(cli *c)
{
    const char *d = cli_config_get(&c->cfg, "driver");
    if (!d || strcmp(c->command, "drivers") == 0)
        return EXIT_OK;
    dbmig_driver_info *v;
    size_t n;
    if (dbmig_drivers_list(c->h, &v, &n) != DBMIG_OK)
        return EXIT_OK; /* the command will say what is wrong */
    const char **names = calloc(n + 3, sizeof *names);
    int found = 0;
    size_t k = 0;
    if (names) {
        for (size_t i = 0; i < n; i++)
            if (v[i].name)
                names[k++] = v[i].name;
        names[k++] = "sqlite";
        names[k++] = "postgres";
        names[k++] = "mysql";
    }
    for (size_t i = 0; i < n && !found; i++)
        found = v[i].name && strcmp(v[i].name, d) == 0;
    int rc = EXIT_OK;
    if (!found && names) {
        const char *near = cli_suggest(d, names, k);
        fprintf(stderr, "dbmig: no driver '%s' (from %s%s%s%s); the drivers found:", d,
                cli_config_source(&c->cfg, "driver"), near ? "; did you mean " : "",
                near ? near : "", near ? "?" : "");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%s %s", i ? "," : "", v[i].name ? v[i].name : v[i].file);
        fprintf(stderr, "%s; see `dbmig drivers`, --plugin-dir, DBMIG_PLUGIN_PATH\n",
                n ? "" : " none");
        rc = EXIT_USAGE;
    }
    free(names);
    dbmig_drivers_free(v, n);
    return rc;
}

static int write_stdout(void *payload, const char *data, size_t len)
{
    (void)payload;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static int cli_fail(cli *c, int rc)
{
    char *safe = cli_safe_dup(dbmig_errmsg(c->h)); /* no raw control characters */
    fprintf(stderr, "dbmig: error: %s\n", safe ? safe : dbmig_errmsg(c->h));
    free(safe);
    return -rc;
}

/* ---- JSON helpers ----------------------------------------------------------- */

static void cli_json_print(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

static json_t *cli_json_strs(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static const char *rev_state(const dbmig_rev_status *r)
{
    if (r->flags & DBMIG_REV_DIRTY)
        return "dirty";
    if (r->flags & DBMIG_REV_UNKNOWN)
        return "unknown";
    if (r->flags & DBMIG_REV_APPLIED)
        return "applied";
    if (r->flags & DBMIG_REV_MISSING)
        return "missing";
    return "pending";
}

/* Counts that do not overlap: every revision is in exactly one of applied,
 * pending, dirty, missing, unknown (its `state`), which sum to total;
 * `modified` counts the applied ones whose file was edited since. */
typedef struct counts {
    size_t total, applied, pending, dirty, missing, unknown, modified;
} counts;

static counts count_states(const dbmig_status *st)
{
    counts n = {0};
    for (size_t i = 0; i < st->nrevs; i++) {
        const char *s = rev_state(&st->revs[i]);
        n.total++;
        if (strcmp(s, "applied") == 0)
            n.applied++;
        else if (strcmp(s, "pending") == 0)
            n.pending++;
        else if (strcmp(s, "dirty") == 0)
            n.dirty++;
        else if (strcmp(s, "missing") == 0)
            n.missing++;
        else
            n.unknown++;
        if (st->revs[i].flags & DBMIG_REV_MODIFIED)
            n.modified++;
    }
    return n;
}

static json_t *json_summary(const dbmig_status *st)
{
    counts n = count_states(st);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)n.total, "applied",
                     (json_int_t)n.applied, "pending", (json_int_t)n.pending, "dirty",
                     (json_int_t)n.dirty, "missing", (json_int_t)n.missing, "unknown",
                     (json_int_t)n.unknown, "modified", (json_int_t)n.modified);
}

/* ---- commands ------------------------------------------------------------------- */

static int cli_need_args(cli *c, int min, int max)
{
    if (c->nargs < min || c->nargs > max) {
        fprintf(stderr, "dbmig: %s takes %s\n%s", c->command,
                min == max ? (min ? "exactly one argument" : "no argument")
                           : "at most one argument",
                cli_help_for(c->command));
        return EXIT_USAGE;
    }
    for (int i = 0; i < c->nargs; i++)
        if (c->args[i][0] == '-' && c->args[i][1] == '-') {
            fprintf(stderr, "dbmig: unknown option '%s' for %s\n%s", c->args[i], c->command,
                    cli_help_for(c->command));
            return EXIT_USAGE;
        }
    return EXIT_OK;
}

static int cmd_upgrade(cli *c)
{
    unsigned flags = 0;
    const char *target = NULL;
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        if (strcmp(a, "--allow-missing") == 0)
            flags |= DBMIG_ALLOW_MISSING;
        else if (strcmp(a, "--resume") == 0)
            flags |= DBMIG_RESUME;
        else if (a[0] == '-' && a[1] == '-')
            return cli_usage_error("unknown option '%s' for upgrade", a);
        else if (target)
            return cli_usage_error("upgrade takes one target, got another: '%s'", a);
        else
            target = a;
    }
    cli_out_begin(c->out, c->h, "upgrade", target ? target : "head", c->dry_run, !c->sql);
    return cli_out_end(c->out, c->h, dbmig_upgrade(c->h, target ? target : "head", flags));
}

static int cmd_downgrade(cli *c)
{
    /* "-1" is a target, not an option. */
    unsigned flags = 0;
    const char *target = NULL;
    int ntargets = 0;
    for (int i = 0; i < c->nargs; i++) {
        if (strcmp(c->args[i], "--allow-missing") == 0)
            flags |= DBMIG_ALLOW_MISSING;
        else
            target = c->args[i], ntargets++;
    }
    if (ntargets != 1) {
        fprintf(stderr, "dbmig: downgrade needs exactly one target (-1, base, an id)\n%s",
                cli_help_for("downgrade"));
        return EXIT_USAGE;
    }
    cli_out_begin(c->out, c->h, "downgrade", target, c->dry_run, !c->sql);
    return cli_out_end(c->out, c->h, dbmig_downgrade(c->h, target, flags));
}

static int cmd_stamp(cli *c)
{
    int e = cli_need_args(c, 1, 1);
    if (e)
        return e;
    cli_out_begin(c->out, c->h, "stamp", c->args[0], c->dry_run, 0);
    return cli_out_end(c->out, c->h, dbmig_stamp(c->h, c->args[0]));
}

static int cmd_repair(cli *c)
{
    int what = 0;
    const char *id = NULL;
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        int w = strcmp(a, "--checksums") == 0   ? DBMIG_REPAIR_CHECKSUMS
                : strcmp(a, "--applied") == 0   ? DBMIG_REPAIR_APPLIED
                : strcmp(a, "--reverted") == 0  ? DBMIG_REPAIR_REVERTED
                : strncmp(a, "--applied=", 10) == 0  ? -DBMIG_REPAIR_APPLIED
                : strncmp(a, "--reverted=", 11) == 0 ? -DBMIG_REPAIR_REVERTED
                                                     : 0;
        if (!w)
            return cli_usage_error("unknown argument '%s' for repair", a);
        if (what)
            return cli_usage_error("repair takes one of --checksums, --applied ID, --reverted ID%s", "");
        if (w < 0) {
            what = -w;
            id = strchr(a, '=') + 1;
        } else {
            what = w;
            if (w != DBMIG_REPAIR_CHECKSUMS) {
                if (i + 1 >= c->nargs)
                    return cli_usage_error("%s needs a revision id", a);
                id = c->args[++i];
            }
        }
    }
    if (!what)
        return cli_usage_error("repair needs one of --checksums, --applied ID, --reverted ID%s", "");
    cli_out_begin(c->out, c->h, "repair", id, c->dry_run, 0);
    return cli_out_end(c->out, c->h, dbmig_repair(c->h, what, id));
}

static void print_status_text(const dbmig_status *st, const char *table)
{
    printf("database: %s (driver %s%s%s), version table %s\n", st->url, st->driver,
           st->server_version && st->server_version[0] ? ", server " : "",
           st->server_version ? st->server_version : "", table);
    for (size_t i = 0; i < st->nrevs; i++) {
        const dbmig_rev_status *r = &st->revs[i];
        const char *state = rev_state(r);
        char safe[2048];
        printf("  %-8s %-24s %s", state, r->revision, cli_safe(r->message, safe, sizeof safe));
        if (r->flags & DBMIG_REV_APPLIED)
            printf("  [%s, %lld ms]", r->applied_at, (long long)r->duration_ms);
        if (r->flags & DBMIG_REV_MODIFIED)
            printf("  EDITED since applied");
        if (r->flags & DBMIG_REV_DIRTY)
            printf("  (%lld statement(s) committed)", (long long)r->progress);
        if (r->flags & DBMIG_REV_UNKNOWN)
            printf("  (no such file)");
        if ((r->flags & DBMIG_REV_HEAD) && !(r->flags & DBMIG_REV_UNKNOWN))
            printf("  (head)");
        putchar('\n');
    }
    /* Each revision counts once (see count_states); "edited" are applied. */
    counts n = count_states(st);
    printf("%zu revision(s): %zu applied (%zu of them edited), %zu pending, %zu dirty, %zu "
           "missing, %zu unknown\n",
           n.total, n.applied, n.modified, n.pending, n.dirty, n.missing, n.unknown);
}

static json_t *status_json(const dbmig_status *st)
{
    json_t *revs = json_array();
    for (size_t i = 0; i < st->nrevs; i++) {
        const dbmig_rev_status *r = &st->revs[i];
        json_t *o = json_object();
        json_object_set_new(o, "revision", json_string(r->revision));
        json_object_set_new(o, "message", json_string(r->message ? r->message : ""));
        json_object_set_new(o, "file", r->file ? json_string(r->file) : json_null());
        json_object_set_new(o, "state", json_string(rev_state(r)));
        json_object_set_new(o, "applied", json_boolean(r->flags & DBMIG_REV_APPLIED));
        json_object_set_new(o, "dirty", json_boolean(r->flags & DBMIG_REV_DIRTY));
        json_object_set_new(o, "modified", json_boolean(r->flags & DBMIG_REV_MODIFIED));
        json_object_set_new(o, "missing", json_boolean(r->flags & DBMIG_REV_MISSING));
        json_object_set_new(o, "head", json_boolean(r->flags & DBMIG_REV_HEAD));
        json_object_set_new(o, "transaction", json_boolean(!(r->flags & DBMIG_REV_NOTX)));
        json_object_set_new(o, "seq", r->seq ? json_integer(r->seq) : json_null());
        char iso[64];
        cli_iso_utc(r->applied_at, iso, sizeof iso);
        json_object_set_new(o, "applied_at", r->applied_at ? json_string(iso) : json_null());
        json_object_set_new(o, "duration_ms",
                            (r->flags & DBMIG_REV_APPLIED) ? json_integer(r->duration_ms) : json_null());
        json_object_set_new(o, "progress", json_integer(r->progress));
        json_object_set_new(o, "checksum", r->checksum ? json_string(r->checksum) : json_null());
        json_object_set_new(o, "db_checksum", r->db_checksum ? json_string(r->db_checksum) : json_null());
        json_array_append_new(revs, o);
    }
    json_t *j = json_object();
    json_object_set_new(j, "driver", json_string(st->driver));
    json_object_set_new(j, "url", json_string(st->url));
    json_object_set_new(j, "server_version", json_string(st->server_version ? st->server_version : ""));
    json_object_set_new(j, "revisions", revs);
    json_object_set_new(j, "summary", json_summary(st));
    json_object_set_new(j, "heads", cli_json_strs(st->heads, st->nheads));
    return j;
}

/* The shared start of status, current: no arguments, then the status. */
static int load_status(cli *c, dbmig_status **st)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    int rc = dbmig_status_get(c->h, st);
    return rc ? cli_fail(c, rc) : EXIT_OK;
}

static int cmd_status(cli *c)
{
    dbmig_status *st;
    int e = load_status(c, &st);
    if (e)
        return e;
    if (c->json)
        cli_json_print(status_json(st));
    else
        print_status_text(st, cli_config_get(&c->cfg, "table") ? cli_config_get(&c->cfg, "table")
                                                               : "dbmig_version");
    dbmig_status_free(st);
    return EXIT_OK;
}

static int cmd_current(cli *c)
{
    dbmig_status *st;
    int e = load_status(c, &st);
    if (e)
        return e;
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "heads", cli_json_strs(st->heads, st->nheads));
        cli_json_print(j);
    } else if (st->nheads == 0) {
        printf("base (nothing applied)\n");
    } else {
        for (size_t i = 0; i < st->nheads; i++)
            for (size_t k = 0; k < st->nrevs; k++)
                if (strcmp(st->revs[k].revision, st->heads[i]) == 0)
                    printf("%s %s%s\n", st->heads[i],
                           cli_safe(st->revs[k].message, (char[2048]){0}, 2048),
                           (st->revs[k].flags & DBMIG_REV_HEAD) ? " (head)" : "");
    }
    dbmig_status_free(st);
    return EXIT_OK;
}

/* The rule is the library's (dbmig_check); this prints its findings. */
static int cmd_check(cli *c)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    dbmig_check_result *res;
    int rc = dbmig_check(c->h, &res);
    if (!res) {
        if (c->json && rc == DBMIG_EINVALID) {
            json_t *j = json_object();
            json_object_set_new(j, "ok", json_false());
            json_t *p = json_array();
            json_array_append_new(p, json_string(dbmig_errmsg(c->h)));
            json_object_set_new(j, "problems", p);
            cli_json_print(j);
        }
        return cli_fail(c, rc);
    }
    size_t n = res->nproblems;
    if (c->json) {
        json_t *problems = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(problems, json_string(res->problems[i].text));
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(n == 0));
        json_object_set_new(j, "problems", problems);
        json_object_set_new(j, "summary", json_summary(res->status));
        cli_json_print(j);
    } else {
        for (size_t i = 0; i < n; i++)
            printf("problem: %s\n", res->problems[i].text);
        if (n == 0)
            printf("ok: %zu revision(s), all applied, none dirty or edited\n", res->status->nrevs);
        else
            printf("check failed: %zu problem(s)\n", n);
    }
    dbmig_check_free(res);
    return n ? EXIT_INVALID : EXIT_OK;
}

static int cmd_show(cli *c)
{
    int e = cli_need_args(c, 1, 1);
    if (e)
        return e;
    dbmig_show *s;
    int rc = dbmig_show_get(c->h, c->args[0], &s);
    if (rc)
        return cli_fail(c, rc);
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "revision", json_string(s->revision));
        json_object_set_new(j, "message", json_string(s->message));
        json_object_set_new(j, "file", json_string(s->file));
        json_object_set_new(j, "parents", cli_json_strs(s->parents, s->nparents));
        json_object_set_new(j, "branches", cli_json_strs(s->branches, s->nbranches));
        json_object_set_new(j, "depends", cli_json_strs(s->depends, s->ndepends));
        json_object_set_new(j, "transaction", json_boolean(s->transaction));
        json_object_set_new(j, "reversible", json_boolean(s->reversible));
        json_object_set_new(j, "checksum", json_string(s->checksum));
        json_object_set_new(j, "driver", json_string(s->driver));
        json_t *up = json_array(), *down = json_array();
        for (size_t i = 0; i < s->nup; i++)
            json_array_append_new(up, json_pack("{s:s,s:i}", "sql", s->up[i].sql, "line", s->up[i].line));
        for (size_t i = 0; i < s->ndown; i++)
            json_array_append_new(down, json_pack("{s:s,s:i}", "sql", s->down[i].sql, "line", s->down[i].line));
        json_object_set_new(j, "up", up);
        json_object_set_new(j, "down", down);
        cli_json_print(j);
    } else {
        char safe_m[2048], safe_f[2048];
        printf("revision:    %s\nmessage:     %s\nfile:        %s\nparents:    ", s->revision,
               cli_safe(s->message, safe_m, sizeof safe_m), cli_safe(s->file, safe_f, sizeof safe_f));
        if (!s->nparents)
            printf(" (base)");
        for (size_t i = 0; i < s->nparents; i++)
            printf(" %s", s->parents[i]);
        if (s->nbranches) {
            printf("\nbranches:   ");
            for (size_t i = 0; i < s->nbranches; i++)
                printf(" %s", s->branches[i]);
        }
        if (s->ndepends) {
            printf("\ndepends:    ");
            for (size_t i = 0; i < s->ndepends; i++)
                printf(" %s", s->depends[i]);
        }
        printf("\ntransaction: %s\nreversible:  %s\nchecksum:    %s\ndriver:      %s\n",
               s->transaction ? "on" : "off", s->reversible ? "yes" : "no", s->checksum,
               s->driver[0] ? s->driver : "(generic sections)");
        printf("\n-- up: %zu statement(s)\n", s->nup);
        for (size_t i = 0; i < s->nup; i++)
            printf("-- %s:%d\n%s;\n", s->file, s->up[i].line, s->up[i].sql);
        printf("\n-- down: %zu statement(s)%s\n", s->ndown, s->reversible ? "" : " (irreversible)");
        for (size_t i = 0; i < s->ndown; i++)
            printf("-- %s:%d\n%s;\n", s->file, s->down[i].line, s->down[i].sql);
    }
    dbmig_show_free(s);
    return EXIT_OK;
}

static int cmd_drivers(cli *c)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    dbmig_driver_info *v;
    size_t n;
    int rc = dbmig_drivers_list(c->h, &v, &n);
    if (rc)
        return cli_fail(c, rc);
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            char abi[32];
            snprintf(abi, sizeof abi, "%u.%u", v[i].abi_major, v[i].abi_minor);
            json_object_set_new(o, "name", json_string(v[i].name));
            json_object_set_new(o, "version", json_string(v[i].version));
            json_object_set_new(o, "description", json_string(v[i].description));
            json_object_set_new(o, "file", json_string(v[i].file));
            json_object_set_new(o, "abi", v[i].error ? json_null() : json_string(abi));
            json_t *caps = json_array();
            char *t = strdup(v[i].caps_text), *save = NULL;
            for (char *w = t ? strtok_r(t, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save))
                json_array_append_new(caps, json_string(w));
            free(t);
            json_object_set_new(o, "capabilities", caps);
            json_object_set_new(o, "error", v[i].error ? json_string(v[i].error) : json_null());
            json_array_append_new(a, o);
        }
        cli_json_print(a);
    } else if (n == 0) {
        printf("no driver plugins found\n");
    } else {
        for (size_t i = 0; i < n; i++) {
            if (v[i].error) {
                printf("%-10s REFUSED  %s\n           %s\n", v[i].name, v[i].file, v[i].error);
                continue;
            }
            printf("%-10s %-8s %s\n           ABI %u.%u, %s\n           capabilities: %s\n",
                   v[i].name, v[i].version, v[i].file, v[i].abi_major, v[i].abi_minor,
                   v[i].description, v[i].caps_text);
        }
    }
    dbmig_drivers_free(v, n);
    return EXIT_OK;
}

/* ---- the revision graph: history, heads, branches, revision, merge ---------- */

static int has_url(cli *c) { return cli_config_get(&c->cfg, "url") != NULL; }

static void print_tags(const dbmig_graph_rev *r, int marks)
{
    int n = 0;
#define TAG(...)                                                                                   \
    do {                                                                                           \
        fputs(n++ ? ", " : " (", stdout);                                                          \
        printf(__VA_ARGS__);                                                                       \
    } while (0)
    if (r->flags & DBMIG_GREV_HEAD)
        TAG("head");
    if (marks && (r->flags & DBMIG_GREV_CURRENT))
        TAG("current");
    if (r->flags & DBMIG_GREV_BASE)
        TAG("base");
    if (r->flags & DBMIG_GREV_MERGE) {
        TAG("merge of");
        for (size_t i = 0; i < r->nparents; i++)
            printf(" %s", r->parents[i]);
    }
    if (r->flags & DBMIG_GREV_BRANCHPOINT)
        TAG("branch point");
    for (size_t i = 0; i < r->nbranches; i++)
        TAG("branch %s", r->branches[i]);
    if (r->ndepends) {
        TAG("depends on");
        for (size_t i = 0; i < r->ndepends; i++)
            printf(" %s", r->depends[i]);
    }
#undef TAG
    if (n)
        putchar(')');
    if (marks)
        printf(" [%s]", (r->flags & DBMIG_GREV_APPLIED)   ? "applied"
                        : (r->flags & DBMIG_GREV_MISSING) ? "MISSING"
                                                          : "pending");
}

static json_t *grev_json(const dbmig_graph_rev *r, int marks, int drawing)
{
    json_t *o = json_object();
    json_object_set_new(o, "revision", json_string(r->revision));
    json_object_set_new(o, "message", json_string(r->message));
    json_object_set_new(o, "file", json_string(r->file));
    json_object_set_new(o, "parents", cli_json_strs(r->parents, r->nparents));
    json_object_set_new(o, "children", cli_json_strs(r->children, r->nchildren));
    json_object_set_new(o, "depends", cli_json_strs(r->depends, r->ndepends));
    json_object_set_new(o, "branches", cli_json_strs(r->branches, r->nbranches));
    json_object_set_new(o, "head", json_boolean(r->flags & DBMIG_GREV_HEAD));
    json_object_set_new(o, "base", json_boolean(r->flags & DBMIG_GREV_BASE));
    json_object_set_new(o, "merge", json_boolean(r->flags & DBMIG_GREV_MERGE));
    json_object_set_new(o, "branch_point", json_boolean(r->flags & DBMIG_GREV_BRANCHPOINT));
    if (marks) {
        json_object_set_new(o, "state", json_string((r->flags & DBMIG_GREV_APPLIED)   ? "applied"
                                                    : (r->flags & DBMIG_GREV_MISSING) ? "missing"
                                                                                      : "pending"));
        json_object_set_new(o, "current", json_boolean(r->flags & DBMIG_GREV_CURRENT));
    }
    if (drawing) {
        json_object_set_new(o, "graph", json_string(r->graph));
        json_t *after = json_array();
        const char *p = r->graph_after;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            json_array_append_new(after, json_stringn(p, len));
            p += len + (e ? 1 : 0);
        }
        json_object_set_new(o, "graph_after", after);
    }
    return o;
}

static int cmd_history(cli *c)
{
    const char *range = NULL;
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        if (strcmp(a, "-r") == 0 || strcmp(a, "--rev-range") == 0) {
            if (i + 1 >= c->nargs)
                return cli_usage_error("%s needs a range A:B", a);
            range = c->args[++i];
        } else if (strncmp(a, "--rev-range=", 12) == 0) {
            range = a + 12;
        } else if (strncmp(a, "-r", 2) == 0 && a[2]) {
            range = a + 2;
        } else {
            return cli_usage_error("unknown argument '%s' for history (it takes -r A:B)", a);
        }
    }
    dbmig_graph_list *l;
    int rc = dbmig_history_get(c->h, range, has_url(c) ? DBMIG_GRAPH_DB : 0, &l);
    if (rc)
        return cli_fail(c, rc);
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l->n; i++)
            json_array_append_new(a, grev_json(&l->revs[i], l->marks, 1));
        json_t *j = json_object();
        json_object_set_new(j, "revisions", a);
        cli_json_print(j);
    } else if (l->n == 0) {
        printf(range ? "no revision in the range %s\n" : "no revisions%s\n", range ? range : "");
    } else {
        for (size_t i = 0; i < l->n; i++) {
            const dbmig_graph_rev *r = &l->revs[i];
            char safe[2048];
            printf("%s%s %s", r->graph, r->revision, cli_safe(r->message, safe, sizeof safe));
            print_tags(r, l->marks);
            putchar('\n');
            if (r->graph_after[0])
                printf("%s\n", r->graph_after);
        }
    }
    dbmig_graph_list_free(l);
    return EXIT_OK;
}

static int cmd_heads_branches(cli *c, int branches)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    dbmig_graph_list *l;
    unsigned flags = has_url(c) ? DBMIG_GRAPH_DB : 0;
    int rc = branches ? dbmig_branches_get(c->h, flags, &l) : dbmig_heads_get(c->h, flags, &l);
    if (rc)
        return cli_fail(c, rc);
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l->n; i++)
            json_array_append_new(a, grev_json(&l->revs[i], l->marks, 0));
        json_t *j = json_object();
        json_object_set_new(j, branches ? "branch_points" : "heads", a);
        cli_json_print(j);
    } else if (l->n == 0) {
        printf(branches ? "no branch points: the graph does not fork\n" : "no heads: no revisions\n");
    } else {
        for (size_t i = 0; i < l->n; i++) {
            const dbmig_graph_rev *r = &l->revs[i];
            char safe[2048];
            printf("%s %s", r->revision, cli_safe(r->message, safe, sizeof safe));
            print_tags(r, l->marks);
            if (branches) {
                printf(" ->");
                for (size_t k = 0; k < r->nchildren; k++)
                    printf("%s %s", k ? "," : "", r->children[k]);
            }
            putchar('\n');
        }
        if (!branches && l->n > 1)
            printf("%zu heads: upgrade one with <id> or <label>@head, all with `heads`, or join "
                   "them with `dbmig merge -m MSG`\n",
                   l->n);
    }
    dbmig_graph_list_free(l);
    return EXIT_OK;
}

static int cmd_heads(cli *c) { return cmd_heads_branches(c, 0); }
static int cmd_branches(cli *c) { return cmd_heads_branches(c, 1); }

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

static int cmd_revision(cli *c) { return cmd_new_revision(c, 0); }
static int cmd_merge(cli *c) { return cmd_new_revision(c, 1); }

static const struct {
    const char *name;
    int (*fn)(cli *);
} commands[] = {
    {"upgrade", cmd_upgrade}, {"downgrade", cmd_downgrade}, {"current", cmd_current},
    {"status", cmd_status},   {"stamp", cmd_stamp},         {"show", cmd_show},
    {"check", cmd_check},     {"repair", cmd_repair},       {"drivers", cmd_drivers},
    {"history", cmd_history}, {"heads", cmd_heads},         {"branches", cmd_branches},
    {"revision", cmd_revision}, {"merge", cmd_merge},
};

/* `fleet`: each target is a child dbmig given the same global options
 * (minus --url and --format, which fleet sets per target). */
static int run_fleet(cli *c, char **argv, int next)
{
    /* argv[0..next) are the global option tokens (cli_args.globals) */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "dbmig: fleet: cannot find my own executable\n");
        return EXIT_FAIL;
    }
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
    int rc = cli_fleet(exe, globals, ng, c->args, c->nargs, json,
                       cli_config_on(&c->cfg, "quiet"));
    free(globals);
    return rc;
}

/* `dbmig help [COMMAND]`, `dbmig COMMAND --help`: the same text. */
static int cli_print_help(const char *cmd)
{
    if (!cmd || strcmp(cmd, "help") == 0) {
        fputs(cli_usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "fleet") == 0) {
        char *h[] = {"--help", NULL};
        return cli_fleet("dbmig", NULL, 0, h, 1, 0, 0);
    }
    const char *t = cli_help_for(cmd);
    if (!t) {
        const char *near = cli_command_suggest(cmd);
        fprintf(stderr, "dbmig: help: unknown command '%s'%s%s%s\nrun `dbmig help` for the commands\n",
                cmd, near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
        return EXIT_USAGE;
    }
    fputs(t, stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    cli_args a;
    char err[1024];
    int rc = cli_args_parse(&a, &c.cfg, argc, argv, err, sizeof err);
    if (rc) {
        rc = cli_usage_error("%s", err);
        goto out;
    }
    if (a.version) {
        printf("dbmig %s\n", dbmig_version());
        rc = EXIT_OK;
        goto out;
    }
    if (a.help || (a.command && strcmp(a.command, "help") == 0)) {
        const char *cmd = a.command;
        if (cmd && strcmp(cmd, "help") == 0) {
            if (a.nargs > 1) {
                rc = cli_usage_error("help takes one command, got '%s' too", a.args[1]);
                goto out;
            }
            cmd = a.nargs ? a.args[0] : NULL;
        }
        rc = cli_print_help(cmd);
        goto out;
    }
    if (!a.command) {
        fputs(cli_usage_main, stderr);
        rc = EXIT_USAGE;
        goto out;
    }
    cli_config_unknown_env(warn_env, NULL);
    c.command = a.command;
    c.args = a.args;
    c.nargs = a.nargs;
    if (strcmp(c.command, "fleet") == 0) {
        rc = run_fleet(&c, a.globals, a.nglobals);
        goto out;
    }
    int (*fn)(cli *) = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, c.command) == 0)
            fn = commands[i].fn;
    if (!fn) {
        rc = cli_usage_error("unknown command '%s'", c.command);
        goto out;
    }
    dbmig_options o = DBMIG_OPTIONS_INIT;
    if ((rc = settle_options(&c, &o)) != EXIT_OK)
        goto out;
    /* --plugin-dir first, then DBMIG_PLUGIN_PATH. */
    char *path = NULL;
    const char *env_path = getenv("DBMIG_PLUGIN_PATH");
    if (env_path && *env_path) {
        const char *pd = o.plugin_path;
        size_t n = (pd ? strlen(pd) + 1 : 0) + strlen(env_path) + 1;
        path = malloc(n);
        if (path) {
            snprintf(path, n, "%s%s%s", pd ? pd : "", pd ? ":" : "", env_path);
            o.plugin_path = path;
        }
    }
    if (c.sql) {
        if (strcmp(c.command, "upgrade") != 0 && strcmp(c.command, "downgrade") != 0) {
            fprintf(stderr, "dbmig: --sql (from %s) works with upgrade and downgrade, not %s\n",
                    cli_config_source(&c.cfg, "sql"), c.command);
            rc = EXIT_USAGE;
            free(path);
            goto out;
        }
        if (c.json) {
            rc = cli_usage_error("--sql writes the SQL script on stdout, so it cannot be combined with "
                             "--format json%s", "");
            free(path);
            goto out;
        }
        o.sql_out = write_stdout;
    }
    c.tty = isatty(2);
    cli_out_opts oo = {c.tty, c.quiet, c.verbose, c.json};
    if (!(c.out = cli_out_new(&oo))) {
        free(path);
        rc = EXIT_FAIL;
        goto out;
    }
    o.on_event = cli_out_event;
    o.event_payload = c.out;
    int orc = dbmig_open(&c.h, &o);
    free(path);
    if (orc != DBMIG_OK) {
        rc = c.h ? cli_fail(&c, orc) : EXIT_FAIL;
        goto out;
    }
    if ((rc = cli_check_driver(&c)) != EXIT_OK)
        goto out;
    rc = fn(&c);
out:
    dbmig_close(c.h);
    cli_out_free(c.out);
    cli_config_free(&c.cfg);
    cli_args_free(&a);
    fflush(stdout);
    return rc;
}
