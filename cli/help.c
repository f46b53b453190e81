/* help.c — what dbmig says about its own use: the main usage text, each
 * command's help (`dbmig help COMMAND`, `dbmig COMMAND --help`), and the
 * usage errors that point at them (exit 2). One table, so that a command's
 * help and its refusals never drift apart. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "fleet.h"

/* ---- help ------------------------------------------------------------------ */

const char cli_usage_main[] =
    "usage: dbmig [options] <command> [args]\n"
    "\n"
    "commands:\n"
    "  upgrade [TARGET]      apply migrations up to TARGET (default head)\n"
    "                        [--allow-missing] [--resume] [--verify]\n"
    "  downgrade TARGET      revert down to TARGET (-1, base, an id)\n"
    "  current               the applied heads\n"
    "  status                every revision: applied, pending, dirty, edited\n"
    "  stamp TARGET          set the version table to TARGET without running SQL\n"
    "  show REV              a revision's header and the statements it runs\n"
    "  check                 exit 0 only if everything is applied, clean and unedited\n"
    "  repair --checksums | --applied ID | --reverted ID\n"
    "                        settle the version table after a manual fix\n"
    "  drivers               the driver plugins found\n"
    "  fleet --targets FILE|- [--jobs N] [--shard I/N] [--results FILE|-]\n"
    "        [--run-id ID] COMMAND ...\n"
    "                        run upgrade/downgrade/status/check on many databases\n"
    "  fleet --merge-results [--run-id ID] FILE...\n"
    "                        merge the JSON summaries of fleet --shard runs\n"
    "  history [-r A:B]      the revision graph, newest first, with branches and merges\n"
    "                        (--format dot|mermaid: as a picture)\n"
    "  heads                 the heads of the graph\n"
    "  branches              the branch points of the graph\n"
    "  revision -m MSG [--parent ID]... [--branch LABEL] [--depends ID]...\n"
    "           [--timestamp|--sequential]\n"
    "                        write a new migration file (id: the next number in a\n"
    "                        numbered folder, else the UTC time)\n"
    "  merge -m MSG [ID...]  write a merge revision (default: of every head)\n"
    "  schema dump [--format sql|json] [-o FILE]\n"
    "                        the database's schema as DDL or JSON\n"
    "  drift [--scratch-url URL]\n"
    "                        compare the schema with the applied migrations replayed\n"
    "                        on a scratch database (exit 3 when they differ)\n"
    "  test [--heads] [--junit FILE] [--scratch-url URL] [--yes-destroy]\n"
    "                        prove every migration up, down and up on a scratch database\n"
    "  init [--driver D]     start a project: migrations/, dbmig.conf, a first migration\n"
    "  diff --to FILE [-m MSG] [--from-db] [--drivers D1,D2] [--scratch-url URL]...\n"
    "       [--allow-destructive] [--concurrently]\n"
    "                        write the migration that turns the migrations' schema into\n"
    "                        the one in FILE (up and down, verified first; --sql: print)\n"
    "  lint [REV...|--pending|--since REV] [--strict] [--format text|json|sarif|github]\n"
    "                        find dangerous migrations: locks, rewrites, lost data\n"
    "  wait [--timeout D] [--reachable] [--phase pre]\n"
    "                        wait until the database is reachable, nothing pending\n"
    "                        (exit 4 on time-out; init containers, start scripts)\n"
    "\n"
    "  help [COMMAND]        this text, or a command's (same as dbmig COMMAND --help)\n"
    "  completion bash|zsh|fish\n"
    "                        print the shell's completion script (see dbmig help completion)\n"
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
    "  --ddl-lock-timeout D  each statement waits at most D for a lock, then its\n"
    "                        migration is rolled back and retried (D: 2s, 500ms)\n"
    "  --ddl-retries N       retries after a lock time-out (default 5)\n"
    "  --statement-timeout D the longest a statement may run (default off)\n"
    "  --batch-pause D       pause between two batches of a -- dbmig:batch statement\n"
    "  --batch-time D        adapt keyset batch sizes so one batch takes about D\n"
    "  --phase pre|post|all  pre: leave out -- dbmig:phase post revisions (default all)\n"
    "  --format text|json    output format (json: one document on stdout, on failure\n"
    "                        too: {command, ok, exit_code, error})\n"
    "  -v, --verbose         more output (-vv: the same today)\n"
    "  -q, --quiet           less output\n"
    "  --no-color            no colour (dbmig prints none anyway)\n"
    "  -h, --help            this text; after a command, the command's\n"
    "  -V, --version         dbmig's version\n"
    "  --                    the end of the options: what follows are arguments\n"
    "  --env-file FILE       read FILE instead of ./.env (DATABASE_URL, DBMIG_*)\n"
    "  --no-env-file         read no .env file\n"
    "  --var NAME=VALUE      a value for ${NAME} in files marked -- dbmig:placeholders on\n"
    "                        (repeatable; also [vars] in dbmig.conf, DBMIG_VAR_<NAME>)\n"
    "flags also take a value (--dry-run=false); an option given twice must have the\n"
    "same value; precedence: command line > DBMIG_<NAME> > .env > [env.NAME] >\n"
    "[dbmig] > DATABASE_URL > .env's DATABASE_URL.\n"
    "\n"
    "targets: head, heads, base, <id>, <unique prefix>, <label>@head, +N, -N, <id>+N, <id>-N\n"
    "exit codes: 0 ok, 1 migration/database failed, 2 usage, 3 validation, 4 time-out (lock, wait)\n";

/* Each command's help: `dbmig help NAME` and `dbmig NAME --help` print it,
 * the man page dbmig(1) shows it (manpage.c), and shell completion reads
 * its option values from it (complete.c), so keep its shape (helptext.h):
 * the usage line(s), prose, and option lines "  --name VALUE  what it does".
 * A new command adds {"name", "usage: ..."} at the end. */
static const struct {
    const char *name, *usage;
} cmd_help[] = {
    /* `dbmig help help` prints the main usage (cli_print_help); this is the
     * man page's entry for help */
    {"help", "usage: dbmig help [COMMAND]\n"
             "Print the main usage (the commands, the global options, the targets and the\n"
             "exit codes), or COMMAND's help: the same as dbmig COMMAND --help.\n"},
    {"completion",
     "usage: dbmig completion bash|zsh|fish\n"
     "Print the shell's completion script. It completes the commands, their options\n"
     "and the global ones, the values of --format, --lock, --phase and of --driver\n"
     "(the drivers found), and revision ids, head, base and <label>@head read from\n"
     "the migrations folder (--dir, --config, --env, dbmig.conf and DBMIG_DIR are\n"
     "honoured; a folder that does not load completes nothing). Packages install the\n"
     "scripts where the shells find them; to enable one by hand:\n"
     "  bash  in ~/.bashrc: source <(dbmig completion bash)\n"
     "  zsh   dbmig completion zsh > ~/.zfunc/_dbmig, with fpath+=(~/.zfunc)\n"
     "        before compinit in ~/.zshrc\n"
     "  fish  dbmig completion fish > ~/.config/fish/completions/dbmig.fish\n"},
    {"upgrade", "usage: dbmig [options] upgrade [TARGET] [--allow-missing] [--resume] "
                "[--verify]\n"
                "Apply every pending migration up to TARGET (default head).\n"
                "  --allow-missing  also apply unapplied ancestors of applied revisions\n"
                "  --resume         finish a dirty revision from its failed statement\n"
                "  --verify         after each revision's up statements, run its\n"
                "                   -- dbmig:verify section; an error fails the revision\n"
                "With --sql, TARGET may be FROM:TO and nothing is connected (no --verify).\n"
                "--phase pre leaves out revisions marked -- dbmig:phase post (before the\n"
                "deploy); --phase post, or none, applies them too (after it).\n"},
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
              "dirty and every checksum matches; else exit 3 and list the problems.\n"
              "With --phase pre (the readiness gate before new code ships) revisions\n"
              "marked -- dbmig:phase post may still be pending; they are listed.\n"},
    {"repair", "usage: dbmig [options] repair --checksums | --applied ID | --reverted ID\n"
               "  --checksums     accept the current content of edited, applied files\n"
               "  --applied ID    settle dirty revision ID as applied\n"
               "  --reverted ID   settle dirty revision ID as not applied\n"},
    {"drivers", "usage: dbmig [options] drivers\n"
                "The driver plugins found: name, version, file, capabilities.\n"},
    {"history", "usage: dbmig [options] history [-r A:B] [--format text|json|dot|mermaid]\n"
                "The revision graph, newest first, drawn like `git log --graph`: merges,\n"
                "branch points, heads, branch labels and depends. With a database (--url)\n"
                "each revision is marked applied, pending or MISSING, and the applied heads\n"
                "current.\n"
                "  --format dot         the graph for Graphviz (dot -Tsvg); mermaid: for\n"
                "                       Markdown and GitHub; with --url the states are colours\n"
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
                 "                                 [--depends ID]... [--timestamp|--sequential]\n"
                 "Write a new migration file <id>_<slug>.sql in the migrations folder, with an\n"
                 "explicit header and empty up and down sections. The id is the next number in\n"
                 "a folder of numbered files (001, 002, ...), else the UTC time YYYYMMDDHHMMSS.\n"
                 "  -m, --message MSG  its one-line description (also the file's slug)\n"
                 "  --parent ID        a parent (repeat for several; `base` for a new root);\n"
                 "                     default: the single head. With several heads, name\n"
                 "                     one, or join them first with `dbmig merge`.\n"
                 "  --branch LABEL     a branch label, so that LABEL@head names its head\n"
                 "  --depends ID       a revision it needs applied first (not a parent)\n"
                 "  --timestamp        the id is the UTC time, even in a numbered folder\n"
                 "  --sequential       the id is the next number (001 in an empty folder);\n"
                 "                     refused where the ids are not numbered alike\n"},
    {"merge", "usage: dbmig [options] merge -m MSG [ID...] [--timestamp|--sequential]\n"
              "Write a merge revision whose parents are the given revisions (default: every\n"
              "head); it joins the branches so that `head` names one revision again.\n"
              "  -m, --message MSG  its one-line description\n"
              "  --timestamp        the id is the UTC time, even in a numbered folder\n"
              "  --sequential       the id is the next number, as for revision\n"},
    {"schema", "usage: dbmig [options] schema dump [--format sql|json] [-o FILE]\n"
               "The database's schema (without dbmig's version and lock tables): DDL in the\n"
               "driver's dialect that recreates it in an empty database, or JSON. The same\n"
               "database gives the same bytes.\n"
               "  --format sql|json  default sql (json with the global --format json)\n"
               "  -o, --output FILE  write FILE atomically instead of stdout (with JSON,\n"
               "                     stdout gets {ok, dry_run, file, bytes, exit_code})\n"},
    {"drift", "usage: dbmig [options] drift [--scratch-url URL]\n"
              "Replay the applied revisions on a scratch database of the same driver,\n"
              "inspect both and compare: exit 0 when the database's schema is what its\n"
              "migrations give, 3 with one line per difference. The scratch database is\n"
              "dbmig_scratch_<random> on the same server (SQLite: a temporary file) and is\n"
              "always removed, also on failure and Ctrl-C.\n"
              "  --scratch-url URL  replay there instead: an empty database of the same\n"
              "                     driver, emptied again (not dropped) at the end\n"
              "--format json prints {ok, drift, differences, exit_code, error}.\n"},
    {"test", "usage: dbmig [options] test [--heads] [--junit FILE] [--scratch-url URL]\n"
             "                             [--yes-destroy]\n"
             "Test the migrations on a scratch database (a temporary database on the\n"
             "--url server, a temporary file for SQLite; removed at the end): the graph\n"
             "has one head; for each revision in order, its up runs, its verify section\n"
             "passes, its down gives back the schema from before its up (a down section\n"
             "is needed unless the file says -- dbmig:irreversible), its up runs again,\n"
             "its fixture rows go in, and the fixture rows so far read back the same.\n"
             "Every failure is reported; exit 0 when all pass, 3 when some fail.\n"
             "  --heads            several heads are fine\n"
             "  --junit FILE       also write the report as JUnit XML (for CI)\n"
             "  --scratch-url URL  test on this (empty) database instead\n"
             "  --yes-destroy      test on the --url database itself, emptying it first\n"
             "                     (only with --url given on the command line)\n"
             "  --format json      the report as JSON (with ok, exit_code, error)\n"},
    {"diff",
     "usage: dbmig [options] diff --to FILE [-m MSG] [--from-db] [--drivers D1,D2]\n"
     "                             [--scratch-url URL]... [--allow-destructive]\n"
     "                             [--concurrently]\n"
     "Write a new revision (named and headed as `dbmig revision` does, after the\n"
     "single head) whose up section turns the schema the migrations folder gives\n"
     "into the one FILE creates, and whose down section turns it back. Both are\n"
     "computed on a scratch database of each driver (FILE applied there, then the\n"
     "folder replayed) and verified there before anything is written: up must give\n"
     "FILE's schema and down the first one exactly, else it is a dbmig bug (exit 1)\n"
     "and no file is written. `no changes` (exit 0) writes nothing.\n"
     "  --to FILE             the schema you want: CREATE statements (schema dump's\n"
     "                        output); `-- dbmig:up <driver>` sections per driver\n"
     "  -m, --message MSG     the revision's message (default: schema diff)\n"
     "  --from-db             compare with the --url database instead of the folder\n"
     "  --drivers D1,D2       write a section pair per driver (default: --url's driver)\n"
     "  --scratch-url URL     an empty database to work in, one per server driver\n"
     "                        (needed for a driver other than --url's; SQLite: a\n"
     "                        temporary file); emptied again at the end\n"
     "  --allow-destructive   write up statements that can lose data (each is marked\n"
     "                        -- dbmig:destructive <what>); without it they are\n"
     "                        listed and refused (exit 3)\n"
     "  --concurrently        PostgreSQL: CREATE/DROP INDEX CONCURRENTLY, in a\n"
     "                        `-- dbmig:transaction off` revision\n"
     "  --sql                 print the up statements (with their markers; warnings\n"
     "                        on stderr) and write nothing\n"
     "  --format json         {ok, changed, revision, file, notes, exit_code, error, ...}\n"
     "A possible rename (a column dropped and one of its type added) is reported,\n"
     "never guessed: write ALTER TABLE ... RENAME COLUMN yourself and run diff again.\n"
     "The sections name their driver (-- dbmig:up sqlite): the statements are in its\n"
     "dialect. Statements right on the schema alone that fail on rows the folder's\n"
     "migrations insert are refused (exit 3): fix those rows in a revision first.\n"},
    {"init", "usage: dbmig [--driver sqlite|postgres|mysql] [--dir DIR] [--config FILE] init\n"
             "Start a project in the working folder, offline: the migrations folder\n"
             "(--dir, default migrations/) with a first migration, a commented dbmig.conf\n"
             "(--config FILE to name it) with a [dbmig] section and an [env.production]\n"
             "example, and .gitignore lines (the lock files, a local SQLite database).\n"
             "  --driver D  the URL examples to write: sqlite (default), postgres, mysql\n"
             "Missing parent folders of --dir are created (as mkdir -p). DBMIG_DIR and\n"
             "DBMIG_DRIVER are read from the environment and ./.env as for any command;\n"
             "--format json prints what was created. Nothing is overwritten: an existing\n"
             "config file or a non-empty migrations folder is refused (exit 2) before\n"
             "anything is written.\n"},
    {"lint",
     "usage: dbmig [options] lint [REV...|--pending|--since REV] [--strict]\n"
     "                            [--format text|json|sarif|github]\n"
     "Check migrations for what breaks production: long locks, table rewrites, lost\n"
     "data, code that breaks during a deploy, statements a transaction cannot hold.\n"
     "PostgreSQL statements are read by PostgreSQL's parser (libpg_query); each\n"
     "file's sections are read in their driver's dialect (--driver or the URL's).\n"
     "  REV...              these revisions\n"
     "  --since REV         the revisions after REV\n"
     "  --pending           the revisions not applied (the default with a --url;\n"
     "                      without one: every file)\n"
     "  --strict            warnings fail too (exit 3)\n"
     "  --format F          text, json, sarif (SARIF 2.1.0, for code scanning) or\n"
     "                      github (::error file=...,line=...:: annotations)\n"
     "Silence one statement with `-- dbmig:lint-ignore RULE reason` on the line above\n"
     "it; change a rule's severity in dbmig.conf: [lint] RULE = off|info|warning|error.\n"
     "Exit 0 clean, 3 on an error (or a warning with --strict). The rules, with why\n"
     "and fix for each dialect: docs/lint.md.\n"},
    {"wait",
     "usage: dbmig [options] wait [--timeout D] [--reachable] [--phase pre]\n"
     "Wait until the database is reachable and has nothing pending, then exit 0;\n"
     "exit 4 when the time-out runs out first, saying what it still waited for\n"
     "(the last connection error, the pending or dirty revisions). The readiness\n"
     "gate of a Kubernetes init container or a start script: it only reads (no\n"
     "lock, nothing created), so it waits for the `dbmig upgrade` that another\n"
     "process (a Job, a deploy step) runs. It looks again after 100 ms, then\n"
     "doubling up to 2 s, jittered; a connection error, a database not created\n"
     "yet and a dirty revision are waited for (a running upgrade holds its\n"
     "revision dirty outside a transaction); a bad URL, driver or migration file\n"
     "fails at once (exit 2 or 3).\n"
     "  --timeout D    how long: 90s, 500ms, 5m, or seconds (default 60; 0: one\n"
     "                 look, exit 4 unless ready)\n"
     "  --reachable    only wait for a connection; the migrations folder is not\n"
     "                 read\n"
     "  --phase pre    revisions marked -- dbmig:phase post may stay pending (the\n"
     "                 gate before the new code ships, as check --phase pre)\n"
     "A line on stderr each time what it waits for changes (-v: every look);\n"
     "--format json prints the final state {ok, ready, state, pending, dirty, ...,\n"
     "exit_code, error}.\n"
     "Ctrl-C stops it (exit 130; SIGTERM 143).\n"},
};

/* The settings that are no option (dbmig.conf(5)): key, value, what it does.
 * A key of config.c that is neither here nor a global option in
 * cli_usage_main shows as undocumented in the man page, and its test fails. */
const cli_key_doc cli_key_help[] = {
    {"dump-schema", "FILE",
     "write the schema dump (as schema dump does, SQL) to FILE after every successful "
     "upgrade or downgrade (not with --dry-run or --sql); relative to the config file's "
     "folder; a failure to write it is exit 1 and the migrations stay applied"},
    {NULL, NULL, NULL},
};

const char *cli_help_for(const char *cmd)
{
    for (size_t i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++)
        if (strcmp(cmd_help[i].name, cmd) == 0)
            return cmd_help[i].usage;
    return NULL;
}

int cli_usage_error(cli *c, const char *fmt, const char *arg)
{
    char msg[sizeof c->said.error];
    snprintf(msg, sizeof msg, fmt, arg);
    fprintf(stderr, "dbmig: %s\nrun `dbmig --help` for the options and commands\n", msg);
    cli_said_error(&c->said, msg);
    return EXIT_USAGE;
}

int cli_need_args(cli *c, int min, int max)
{
    if (c->nargs < min || c->nargs > max) {
        cli_errorf(c, EXIT_USAGE, "%s takes %s", c->command,
                   min == max ? (min ? "exactly one argument" : "no argument")
                              : "at most one argument");
        fputs(cli_help_for(c->command), stderr);
        return EXIT_USAGE;
    }
    for (int i = 0; i < c->nargs; i++)
        if (c->args[i][0] == '-' && c->args[i][1] == '-') {
            cli_errorf(c, EXIT_USAGE, "unknown option '%s' for %s", c->args[i], c->command);
            fputs(cli_help_for(c->command), stderr);
            return EXIT_USAGE;
        }
    return EXIT_OK;
}

/* `dbmig help [COMMAND]`, `dbmig COMMAND --help`: the same text. */
int cli_print_help(cli *c, const char *cmd)
{
    if (!cmd || strcmp(cmd, "help") == 0) {
        fputs(cli_usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "fleet") == 0) {
        char *h[] = {"--help", NULL};
        return cli_fleet("dbmig", NULL, 0, h, 1, 0, 0, NULL);
    }
    const char *t = cli_help_for(cmd);
    if (!t) {
        const char *near = cli_command_suggest(cmd);
        cli_errorf(c, EXIT_USAGE, "help: unknown command '%s'%s%s%s", cmd,
                   near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
        fputs("run `dbmig help` for the commands\n", stderr);
        return EXIT_USAGE;
    }
    fputs(t, stdout);
    return EXIT_OK;
}
