/* tty.h — text that came from files or the database, made safe to print:
 * a revision message or a file name may hold a newline, a CR or an ESC
 * sequence, which must never reach a terminal (or a log) raw. */
#ifndef DBMIG_CLI_TTY_H
#define DBMIG_CLI_TTY_H

#include <stddef.h>

/* Copies s (NULL → "") into buf with every control character (C0, DEL and
 * the C1 range U+0080..U+009F) written as a visible escape: \n, \r, \t,
 * \xHH, \u00HH. Truncated to cap - 1 bytes; returns buf. */
const char *cli_safe(const char *s, char *buf, size_t cap);

/* The same for a whole message (an error naming a file): a new string the
 * caller frees, with newlines kept (messages have several lines), NULL when
 * out of memory. */
char *cli_safe_dup(const char *s);

#endif
