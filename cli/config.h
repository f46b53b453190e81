/* config.h — the CLI's settings: the INI file (libinih), the environment, a
 * .env file (dotenv.h) and the command line, merged with the precedence of
 * SPEC sections 4 and 16, highest first:
 *   command line  >  DBMIG_<NAME>  >  .env's DBMIG_<NAME>  >  the selected
 *   [env.NAME]  >  [dbmig]  >  DATABASE_URL  >  .env's DATABASE_URL
 * The caller applies them in that order (each later source only fills what
 * is still unset): the command line (cli_config_set), cli_config_load_env
 * (the environment, then the .env file), cli_config_load_file,
 * cli_config_load_database_url.
 *
 * The .env file (SPEC 16): ./.env when it exists, or --env-file FILE /
 * DBMIG_ENV_FILE (then it must exist); none with --no-env-file /
 * DBMIG_NO_ENV_FILE. Only DATABASE_URL and DBMIG_* are read from it; other
 * keys are the application's and are ignored. The real environment wins:
 * a variable set in it (and not empty: an empty variable counts as unset,
 * as everywhere in dbmig) is never replaced by the file's. Relative paths
 * in it are relative to the working folder, as the environment's are.
 * These cannot come from .env: DBMIG_ENV_FILE, DBMIG_NO_ENV_FILE (they
 * choose the file) and DBMIG_PLUGIN_PATH (code to load: set it in the
 * environment); DBMIG_PLUGIN_DIR from .env must pass the same ownership
 * check as a config file's plugin-dir (trust.h).
 *
 * Placeholder values (SPEC 16, the core's placeholder.h): --var NAME=VALUE
 * (repeatable) > DBMIG_VAR_<NAME> > .env's DBMIG_VAR_<NAME> > the [vars]
 * section of the config file. Names are case-insensitive (stored lower
 * case: DBMIG_VAR_TBL sets tbl). Values are never printed, only names and
 * where each came from.
 *
 * Keys are the global long option names: driver, url, dir, table, plugin-dir,
 * lock-timeout, lock, lease-seconds, commit-interval, single-transaction,
 * format, no-color, verbose, quiet, dry-run, sql, env, config, the
 * zero-downtime settings (SPEC section 14: ddl-lock-timeout, ddl-retries,
 * statement-timeout, batch-pause, batch-time, phase), and dump-schema (a
 * file, config and DBMIG_DUMP_SCHEMA only). The file may
 * not set env, config (they choose the file), dry-run and sql (a per-run
 * choice, not a setting to share). In the file, ${VAR} expands from the
 * environment, and only in the values in use: a value of an [env.NAME] that
 * is not selected, or one that a higher source overrides, is never expanded
 * (so an unset variable there is no error). Relative `dir` / `plugin-dir` /
 * `dump-schema` values are made relative to the file's folder.
 *
 * Booleans (single-transaction, no-color, verbose, quiet, dry-run, sql) from
 * the file or the environment accept true/false, yes/no, on/off, 1/0 in any
 * case and are stored as "1" / "0"; anything else is an error naming where it
 * came from. Every value remembers its source ("--url", "DBMIG_URL",
 * "dbmig.conf:4") for the messages of later checks.
 */
#ifndef DBMIG_CLI_CONFIG_H
#define DBMIG_CLI_CONFIG_H

#include <stddef.h>

#include "dbmig/dbmig.h"
#include "dotenv.h"

#define CLI_CONF_MAX 32

/* A placeholder value (SPEC 16). */
typedef struct cli_var {
    char *name; /* lower case */
    char *val;
    char *src;  /* "--var", "DBMIG_VAR_TBL", ".env:3", "dbmig.conf:12" */
} cli_var;

typedef struct cli_config {
    char *key[CLI_CONF_MAX];
    char *val[CLI_CONF_MAX];
    char *src[CLI_CONF_MAX]; /* NULL: the command line, "--<key>" */
    size_t n;
    /* The [lint] section (SPEC 15): `RULE = off|info|warning|error` lines as
     * written, with their "file:line"; dbmig_lint checks the names and
     * values (it knows the rules). */
    char **lint_rule, **lint_sev, **lint_src;
    size_t nlint;
    cli_var *vars;           /* placeholder values, by precedence */
    size_t nvars;
    dbmig_var *var_array;    /* cli_config_var_array's copy */
    cli_dotenv dotenv;       /* the .env file read (file NULL: none) */
    int dotenv_missing;      /* ./.env was looked for and is not there */
} cli_config;

/* 1 if key is a known setting name. */
int cli_config_known(const char *key);
/* 1 if key is a boolean setting. */
int cli_config_is_bool(const char *key);
/* The known keys, for suggestions and lists. */
const char *const *cli_config_keys(size_t *n);
/* 1 if a config file may set key (the others are refused there: env,
 * config, env-file, no-env-file, dry-run, sql; dbmig.conf(5) lists only
 * these). */
int cli_config_file_key(const char *key);

/* true/yes/on/1 → 1, false/no/off/0 → 0 (any case, no spaces), else -1. */
int cli_parse_bool(const char *s);

/* The nearest of cands to word (case-insensitive edit distance, a swap of two
 * neighbours counting one), or NULL when none is close enough to be a typo. */
const char *cli_suggest(const char *word, const char *const *cands, size_t n);
/* The edit distance used by cli_suggest (lower-cased, optimal string alignment). */
size_t cli_edit_distance(const char *a, const char *b);

/* Reads an INI file: [dbmig] then [env.<envname>] (envname may be NULL),
 * and [lint] into cfg->lint_* (only from the file; a rule set twice there
 * is an error), and [vars] (placeholder values: `name = value`, ${VAR}
 * expanded from the environment, each name once).
 * `required` = 0 for the default ./dbmig.conf (a missing file is then fine).
 * Values already set in cfg are NOT overwritten, so call this after the
 * command line and the environment have been applied. Returns 0, or -1 with
 * errbuf holding "<file>:<line>: <what>" (unknown key or section, with the
 * nearest known one; a key set twice in a section; an unset ${VAR} or a bad
 * boolean in a value in use; unreadable file; syntax error) and nothing
 * applied. An [env.NAME] asked for but absent from the file is an error that
 * lists the [env.*] sections there are. */
int cli_config_load_file(cli_config *cfg, const char *file, int required, const char *envname,
                         char *errbuf, size_t errcap);

/* Applies DBMIG_<NAME> (NAME = key upper-cased, '-' → '_') for every known
 * key not already set; an empty variable counts as unset. A boolean that is
 * not one is an error naming the variable. Then reads the .env file (see
 * the top) and applies its DBMIG_<NAME> the same way, each with the source
 * "FILE:LINE"; then the placeholder values of DBMIG_VAR_<NAME>, from the
 * environment and then from the file. Errors (exit 2): the .env file's
 * syntax, a missing --env-file, --env-file with --no-env-file, a key of ours
 * set twice in the file or without '=', a ${NAME} set nowhere in a value of
 * ours, a key the file may not set, a bad boolean; each with FILE:LINE and
 * never with a value. */
int cli_config_load_env(cli_config *cfg, char *errbuf, size_t errcap);
/* Applies DATABASE_URL to url when nothing else set it (the lowest source),
 * else the .env file's DATABASE_URL. */
int cli_config_load_database_url(cli_config *cfg, char *errbuf, size_t errcap);

/* A note (into buf; 1 returned, else 0) when DATABASE_URL is set, not
 * empty, in the real environment but a file's url wins over it (.env's
 * DBMIG_URL or dbmig.conf's url: the documented precedence, which surprises
 * a dbmate or Heroku user whose platform sets DATABASE_URL). Both URLs are
 * shown with their passwords redacted; none when --url or DBMIG_URL (the
 * user's own choice) wins, or when the two URLs are the same. */
int cli_config_url_notice(const cli_config *cfg, char *buf, size_t cap);

/* The .env file's name when key's value came from it, else NULL. */
const char *cli_config_dotenv_file(const cli_config *cfg, const char *key);
/* Calls fn with a message for each DBMIG_* key of the .env file that dbmig
 * does not read but that looks meant for a setting (as
 * cli_config_unknown_env: ".env:3: DBMIG_LOCKTIMEOUT is not a dbmig
 * setting ...; did you mean DBMIG_LOCK_TIMEOUT?"), or a key of ours in the
 * wrong case (dbmig_url). Returns the number reported. */
size_t cli_config_dotenv_unknown(const cli_config *cfg,
                                 void (*fn)(void *payload, const char *msg), void *payload);
/* Calls fn with the lines `-v` prints about where settings came from: the
 * .env file read and the keys taken from it (with their lines), the keys
 * it has that dbmig ignores, and each placeholder's name and source. Never
 * a value. */
void cli_config_explain(const cli_config *cfg, void (*fn)(void *payload, const char *msg),
                        void *payload);

/* Adds a placeholder value from "NAME=VALUE" (--var; src NULL) unless the
 * name has one already. The same name twice on the command line with
 * different values is an error, as for any option. 0, or -1 with errbuf
 * (no '=', a bad name, a line break in the value; never the value). */
int cli_config_add_var(cli_config *cfg, const char *assignment, char *errbuf, size_t errcap);
/* Adds name = val from src unless name has a value already (lower sources
 * come later). 0, or -1 with errbuf. */
int cli_config_default_var(cli_config *cfg, const char *name, size_t namelen, const char *val,
                           const char *src, char *errbuf, size_t errcap);
/* The placeholder values for dbmig_options (owned by cfg; NULL with *n = 0
 * when there are none or no memory). */
const dbmig_var *cli_config_var_array(cli_config *cfg, size_t *n);

/* Calls fn for every DBMIG_* variable of the environment that dbmig does not
 * read but that looks meant for a setting, with that setting's variable: a
 * misspelling (DBMIG_LOCKTIMEOUT), another tool's name (DBMIG_DATABASE_URL),
 * a setting with a tail (DBMIG_LOCK_TIMEOUT_SECS). Other DBMIG_ names are
 * left alone: scripts and test harnesses use the prefix too, and a warning
 * on each of their runs would teach users to ignore warnings. Never
 * reported: DBMIG_TEST_*, DBMIG_VAR_* (reserved for placeholders),
 * DBMIG_VERSION. Returns the number reported. */
size_t cli_config_unknown_env(void (*fn)(void *payload, const char *name, const char *suggestion),
                              void *payload);

/* Sets key (overwrites), from the command line. Returns 0, or -1 for an
 * unknown key or ENOMEM. */
int cli_config_set(cli_config *cfg, const char *key, const char *val);
/* The same with a source for messages (NULL: the command line). */
int cli_config_set_from(cli_config *cfg, const char *key, const char *val, const char *src);
/* Sets key only if it has no value yet. */
int cli_config_default(cli_config *cfg, const char *key, const char *val);
int cli_config_default_from(cli_config *cfg, const char *key, const char *val, const char *src);
const char *cli_config_get(const cli_config *cfg, const char *key); /* NULL if unset */
/* Where key's value came from: "--key", "DBMIG_KEY", "file:line"; NULL if unset. */
const char *cli_config_source(const cli_config *cfg, const char *key);
/* A boolean (or -v count) key: 1 when set to anything but "0". */
int cli_config_on(const cli_config *cfg, const char *key);
/* A number setting: 0 when unset, 1 with *out set, -1 with errbuf naming
 * the value, the key, its source and the accepted form (a finite number in
 * [min, max]; a whole number when `whole`). `unit` names it ("seconds"). */
/* A DURATION setting (SPEC section 14): a number with ms, s or m ("2s",
 * "500ms", "1.5m"; 0 with a unit is off); bare_ms: a bare number is
 * milliseconds too (--batch-pause MS, --batch-time MS). 0 when unset, 1
 * with *out_ms set, -1 with errbuf naming the value, where it came from and
 * the form. */
int cli_config_duration(const cli_config *cfg, const char *key, int bare_ms, int *out_ms,
                        char *errbuf, size_t errcap);
/* The DURATION syntax alone (for a command's option, such as wait
 * --timeout): v with ms, s or m; a bare number times bare_mul (0: refused).
 * 1 with *out_ms set; 0 when v is no duration; -1 when it is a bare number
 * and bare_mul is 0 (it needs a unit). */
int cli_parse_duration(const char *v, double bare_mul, int *out_ms);
int cli_config_number(const cli_config *cfg, const char *key, double min, double max, int whole,
                      const char *unit, double *out, char *errbuf, size_t errcap);
void cli_config_free(cli_config *cfg);

/* Expands ${VAR} in in from the environment into a new string. On an unset
 * variable returns NULL with errbuf "environment variable VAR is not set".
 * `$$` is a literal `$`. */
char *cli_expand_env(const char *in, char *errbuf, size_t errcap);

#endif
