/* dotenv.h — a .env file (SPEC section 16), read the way the dotenv
 * libraries (godotenv, which dbmate uses; python-dotenv; Node's dotenv) read
 * one, so that the file an application already has works unchanged:
 *
 *   # a comment line                 blank lines are skipped
 *   KEY=value                        unquoted: trimmed; ` #` (a blank, then #)
 *   KEY = value # note                 starts a comment; blanks around = are fine
 *   export KEY=value                 the shell's `export ` prefix is allowed
 *   KEY='literal ${not} \n'          single quotes: exactly as written
 *   KEY="line\nnext \"q\" \$x"       double quotes: \n \r \t \" \\ \$ escapes
 *   KEY="spans                       quoted values may span lines
 *   lines"
 *   URL=postgres://u:${DB_PASS}@h/d  ${NAME} in unquoted and double-quoted
 *                                      values: the real environment's NAME
 *                                      (when set and not empty), else NAME
 *                                      from the lines above; $NAME without
 *                                      braces is left as written
 *
 * Mistakes are refused with FILE:LINE and the fix, never with the value (a
 * .env usually holds a password): a quote never closed, text after a
 * closing quote, `KEY: value`, a key that is not one (`1KEY`, `MY KEY`).
 * A bare `KEY` line (no '=') is kept as an entry without a value: the caller
 * refuses it for its own keys and ignores it for others', as python-dotenv
 * does. A ${NAME} that is set nowhere is not an error here: the entry keeps
 * the name (bad_ref) and the caller refuses it only for a key it reads. */
#ifndef DBMIG_CLI_DOTENV_H
#define DBMIG_CLI_DOTENV_H

#include <stddef.h>

typedef struct cli_dotenv_entry {
    char *key;
    char *val;     /* the value, NULL for a bare KEY line or an unset ${NAME} */
    char *bad_ref; /* the NAME of a ${NAME} set nowhere (val is then NULL) */
    int line;      /* where the entry starts */
    int bare;      /* a KEY line without '=' */
} cli_dotenv_entry;

typedef struct cli_dotenv {
    char *file; /* as given, for messages: ".env", "config/dev.env" */
    cli_dotenv_entry *v;
    size_t n, cap;
} cli_dotenv;

/* Parses text[0..len) (the content of file) into out (zero-initialised;
 * entries are appended in file order). 0, or -1 with errbuf holding
 * "FILE:LINE: what; fix" and out freed. */
int cli_dotenv_parse(const char *file, const char *text, size_t len, cli_dotenv *out,
                     char *errbuf, size_t errcap);
/* Reads and parses file: 0; 1 when it does not exist and is not required
 * (out stays empty); -1 with errbuf (unreadable, a folder, a syntax error;
 * a required file that does not exist: "FILE: no such file ..."). */
int cli_dotenv_load(const char *file, int required, cli_dotenv *out, char *errbuf,
                    size_t errcap);
void cli_dotenv_free(cli_dotenv *d);

/* The last entry for key, NULL if none. */
const cli_dotenv_entry *cli_dotenv_get(const cli_dotenv *d, const char *key);

#endif
