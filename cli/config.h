/* config.h — the CLI's settings: the INI file (libinih), the environment and
 * the command line, merged with the precedence of SPEC section 4, highest
 * first:
 *   command line  >  DBMIG_<NAME>  >  the selected [env.NAME]  >  [dbmig]  >  DATABASE_URL
 * The caller applies them in that order (each later source only fills what
 * is still unset): the command line (cli_config_set), cli_config_load_env,
 * cli_config_load_file, cli_config_load_database_url.
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

#define CLI_CONF_MAX 32

typedef struct cli_config {
    char *key[CLI_CONF_MAX];
    char *val[CLI_CONF_MAX];
    char *src[CLI_CONF_MAX]; /* NULL: the command line, "--<key>" */
    size_t n;
} cli_config;

/* 1 if key is a known setting name. */
int cli_config_known(const char *key);
/* 1 if key is a boolean setting. */
int cli_config_is_bool(const char *key);
/* The known keys, for suggestions and lists. */
const char *const *cli_config_keys(size_t *n);

/* true/yes/on/1 → 1, false/no/off/0 → 0 (any case, no spaces), else -1. */
int cli_parse_bool(const char *s);

/* The nearest of cands to word (case-insensitive edit distance, a swap of two
 * neighbours counting one), or NULL when none is close enough to be a typo. */
const char *cli_suggest(const char *word, const char *const *cands, size_t n);
/* The edit distance used by cli_suggest (lower-cased, optimal string alignment). */
size_t cli_edit_distance(const char *a, const char *b);

/* Reads an INI file: [dbmig] then [env.<envname>] (envname may be NULL).
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
 * not one is an error naming the variable. */
int cli_config_load_env(cli_config *cfg, char *errbuf, size_t errcap);
/* Applies DATABASE_URL to url when nothing else set it (the lowest source). */
int cli_config_load_database_url(cli_config *cfg, char *errbuf, size_t errcap);

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
