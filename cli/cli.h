/* cli.h — what the files of the dbmig program share, and nothing more: the
 * exit codes, the run's state (struct cli, filled by main.c), the helpers
 * every command uses, and one entry point per command. Internal to the
 * program (not part of dbmig_clilib, which the unit tests link): the
 * commands reach the library only through <dbmig/dbmig.h>.
 *
 *   main.c        options settled, the handle opened, one command dispatched
 *   help.c        usage texts and usage errors (exit 2)
 *   cmd_run.c     upgrade, downgrade, stamp, repair (they change the database)
 *   cmd_show.c    status, current, check, show
 *   cmd_graph.c   history, heads, branches
 *   cmd_rev.c     revision, merge (they write a migration file)
 *   cmd_drivers.c drivers, and the --driver check before any command
 *   cmd_schema.c  schema dump, drift (SPEC section 12)
 *   cmd_test.c    test (with junit.c, its JUnit XML writer)
 *   cmd_init.c    init (a new project: folder, dbmig.conf, first migration)
 *   cmd_diff.c    diff (a revision generated from a desired schema, SPEC 13)
 *   cmd_lint.c    lint (dangerous migrations caught in review, SPEC 15)
 *   cmd_wait.c    wait (the readiness gate of init containers, SPEC 16) */
#ifndef DBMIG_CLI_CLI_H
#define DBMIG_CLI_CLI_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"
#include "output.h"
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
    /* For main.c's JSON fallback (every run with --format json prints one
     * document, on failure too): what was printed (output.h), whether the
     * settings were read (the config file's format is then known) and
     * whether c->json holds the settled format. */
    cli_said said;
    int settings_read, json_settled;
} cli;

/* help.c */
extern const char cli_usage_main[];
/* A command's help text, NULL for an unknown command. */
const char *cli_help_for(const char *cmd);
/* "dbmig: <fmt with arg>" and the pointer to --help on stderr (the message
 * kept as the run's error, c->said); EXIT_USAGE. */
int cli_usage_error(cli *c, const char *fmt, const char *arg);
/* Between min and max arguments and no --option, else the refusal with the
 * command's help on stderr: EXIT_USAGE. */
int cli_need_args(cli *c, int min, int max);
/* `dbmig help [COMMAND]`, `dbmig COMMAND --help`. */
int cli_print_help(cli *c, const char *cmd);

/* draw.c: `history --format dot|mermaid` of l (marks from the database
 * when l has them); EXIT_OK or the failure's exit code. */
int cli_history_draw(cli *c, const dbmig_graph_list *l, int mermaid);

/* main.c */
/* The value of `NAME VALUE` or `NAME=VALUE` at args[*i] (advancing *i past
 * a separate value), or NULL when args[*i] is not that option. args.c has
 * already checked that a value follows a command's valued option. */
const char *cli_opt_value(cli *c, int *i, const char *name);
/* The library's error on stderr, made safe to print (and kept as the run's
 * error, c->said); returns -rc (the exit code). */
int cli_fail(cli *c, int rc);
/* "dbmig: MESSAGE" on stderr, MESSAGE kept as the run's error (c->said: the
 * JSON fallback of main.c says it); returns rc. */
int cli_errorf(cli *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints j indented on stdout, counts it as the run's document and frees it. */
void cli_json_print(cli *c, json_t *j);
json_t *cli_json_strs(const char *const *v, size_t n);

/* cmd_drivers.c */
int cli_check_driver(cli *c);

/* The commands: each returns the exit code. */
int cmd_upgrade(cli *c);
int cmd_downgrade(cli *c);
int cmd_stamp(cli *c);
int cmd_repair(cli *c);
int cmd_status(cli *c);
int cmd_current(cli *c);
int cmd_check(cli *c);
int cmd_show(cli *c);
int cmd_drivers(cli *c);
int cmd_history(cli *c);
int cmd_heads(cli *c);
int cmd_branches(cli *c);
int cmd_revision(cli *c);
int cmd_merge(cli *c);
/* cmd_test.c */
int cmd_test(cli *c);
/* cmd_init.c */
int cmd_init(cli *c);
/* cmd_diff.c */
int cmd_diff(cli *c);
/* cmd_lint.c */
int cmd_lint(cli *c);
/* cmd_wait.c */
int cmd_wait(cli *c);
/* What `check` (the pending revisions of st, the status it read: lint
 * does not read it again) and `test` (st NULL: every file) show of lint
 * (SPEC 15): without json_out, the errors and warnings on stderr; with it,
 * lint's JSON document (or {"error"} / {"skipped"}) for their own under
 * "lint". *errors: the error findings. keep (may be NULL): the report is
 * handed over there (NULL when lint did not run; the caller frees it) for
 * test's JUnit file. Returns EXIT_OK, or a [lint] setting's usage error; a
 * lint that cannot run is a warning. */
int cli_lint_for(cli *c, const dbmig_status *st, json_t **json_out, size_t *errors,
                 dbmig_lint_report **keep);

/* cmd_schema.c: schema dump (and drift); the atomic writer of -o and
 * dump-schema (a temporary file beside path, renamed over it): 0, or -1
 * with err filled. */
int cmd_schema(cli *c);
int cmd_drift(cli *c);
int cli_write_atomic(const char *path, const char *text, char *err, size_t errcap);
/* After an upgrade/downgrade that succeeded (rc DBMIG_OK, not --sql, not
 * --dry-run), with the setting dump-schema = FILE: writes the SQL dump to
 * FILE. NULL when done (or nothing to do), else what failed, in err, for
 * cli_out_end_after (so the summary and the JSON result carry it). */
const char *cli_dump_after(cli *c, int rc, char *err, size_t errcap);

/* help.c: the settings that are no option, for dbmig.conf(5); ends with a
 * NULL key. */
typedef struct cli_key_doc {
    const char *key, *value, *text;
} cli_key_doc;
extern const cli_key_doc cli_key_help[];
/* complete.c: `dbmig completion SHELL` (offline, like init); `dbmig
 * __complete WORDS...`, the candidates the scripts offer (main() calls it
 * before parsing, argv[1] being "__complete"). */
int cmd_completion(cli *c);
int cli_complete_main(int argc, char **argv);
/* manpage.c: `dbmig __man commands|options|notes|config`, pandoc Markdown
 * for the man pages (cmake/DbmigDocs.cmake), argv[1] being "__man". */
int cli_man_main(int argc, char **argv);

#endif
