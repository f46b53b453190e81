/* config.h — the CLI's settings: the INI file (libinih), the environment and
 * the command line, merged with the precedence of SPEC section 4:
 *   command line  >  environment (DBMIG_<NAME>, DATABASE_URL)  >  [env.NAME]  >  [dbmig]
 *
 * Keys are the global long option names: driver, url, dir, table, plugin-dir,
 * lock-timeout, lock, lease-seconds, commit-interval, single-transaction,
 * format, no-color, verbose, quiet, env, config. In the file, ${VAR} expands
 * from the environment (an unset VAR is an error naming it and the line) and
 * relative `dir` / `plugin-dir` values are made relative to the file's folder.
 */
#ifndef DBMIG_CLI_CONFIG_H
#define DBMIG_CLI_CONFIG_H

#include <stddef.h>

#define CLI_CONF_MAX 32

typedef struct cli_config {
    char *key[CLI_CONF_MAX];
    char *val[CLI_CONF_MAX];
    size_t n;
} cli_config;

/* 1 if key is a known setting name. */
int cli_config_known(const char *key);

/* Reads an INI file: [dbmig] then [env.<envname>] (envname may be NULL).
 * `required` = 0 for the default ./dbmig.conf (a missing file is then fine).
 * Values already set in cfg are NOT overwritten, so call this after the
 * command line and the environment have been applied. Returns 0, or -1 with
 * errbuf holding "<file>:<line>: <what>" (unknown key, unknown section,
 * unset ${VAR}, unreadable file, syntax error). An [env.NAME] asked for but
 * absent from the file is an error too. */
int cli_config_load_file(cli_config *cfg, const char *file, int required, const char *envname,
                         char *errbuf, size_t errcap);

/* Applies DBMIG_<NAME> (NAME = key upper-cased, '-' → '_') for every known
 * key not already set, and DATABASE_URL for url when DBMIG_URL is unset. */
int cli_config_load_env(cli_config *cfg, char *errbuf, size_t errcap);

/* Sets key (overwrites). Returns 0, or -1 for an unknown key or ENOMEM. */
int cli_config_set(cli_config *cfg, const char *key, const char *val);
/* Sets key only if it has no value yet. */
int cli_config_default(cli_config *cfg, const char *key, const char *val);
const char *cli_config_get(const cli_config *cfg, const char *key); /* NULL if unset */
void cli_config_free(cli_config *cfg);

/* Expands ${VAR} in in from the environment into a new string. On an unset
 * variable returns NULL with errbuf "environment variable VAR is not set".
 * `$$` is a literal `$`. */
char *cli_expand_env(const char *in, char *errbuf, size_t errcap);

#endif
