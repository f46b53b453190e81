/* args.h — the command line: global options anywhere, command options after
 * their command, `--` to end the options.
 *
 *   dbmig [global options] COMMAND [args and options, global ones too]
 *
 * Global options (the table in args.c, the same names as the config keys)
 * may come before or after the command; `--name VALUE` and `--name=VALUE`;
 * flags also as `--flag=BOOL` (true/false, yes/no, on/off, 1/0). Short
 * flags: -v, -q, -h, -V, also grouped (-vv). A command's own options
 * (upgrade --allow-missing, revision -m MSG, ...) are only accepted after
 * that command; their values are taken as they are, even when they start
 * with '-'. `-N` (a digit after the dash) is an argument (a target), never an
 * option; after `--` everything is an argument.
 *
 * Mistakes are refused, never guessed: an unknown command or option (with
 * the nearest known one), a value missing, empty (`--env "$UNSET"`; only
 * --plugin-dir "" is fine: no extra folder) or replaced by another option, a
 * command option before its command, an option given twice with different
 * values (the same value twice is fine; -v may be repeated: -vv; --var
 * NAME=VALUE is repeatable, one placeholder each, and refused only for the
 * same NAME twice with different values).
 */
#ifndef DBMIG_CLI_ARGS_H
#define DBMIG_CLI_ARGS_H

#include <stddef.h>

#include "config.h"

typedef struct cli_args {
    const char *command; /* NULL: none given */
    char **args;         /* the command's arguments and options, without the global options */
    int nargs;
    char **globals;      /* the global option tokens as given, in order (for fleet) */
    int nglobals;
    int help;            /* -h / --help */
    int version;         /* -V / --version */
} cli_args;

/* Parses argv[1..argc). Global option values go to cfg with the command
 * line's precedence. Returns 0, or 2 (usage) with errbuf holding the message
 * (without the "dbmig: " prefix). cli_args_free in both cases. */
int cli_args_parse(cli_args *a, cli_config *cfg, int argc, char **argv, char *errbuf,
                   size_t errcap);
void cli_args_free(cli_args *a);

/* 1 if name is a command (including `fleet` and `help`). */
int cli_command_known(const char *name);
/* The nearest command to a misspelt one, or NULL. */
const char *cli_command_suggest(const char *name);

/* The verbosity a "verbose" setting stands for: its count ("2" for -vv),
 * 1 for a true word (yes, on, true), 0 for NULL. */
int cli_verbosity(const char *v);

/* The tables, for the man pages and shell completion (they read them at run
 * time, never a copy). Commands whose name starts with "__" are hidden. */
size_t cli_gopt_count(void);
/* The i-th global option: long name without "--", short letter or 0,
 * whether it takes a value; 0 past the end. */
int cli_gopt_at(size_t i, const char **name, char *shrt, int *value);
size_t cli_command_count(void);
const char *cli_command_at(size_t i); /* NULL past the end */
/* The i-th option of cmd as written ("--resume", "-m"), whether it takes a
 * value; 0 past the end or for an unknown command. */
int cli_copt_at(const char *cmd, size_t i, const char **name, int *value);

#endif
