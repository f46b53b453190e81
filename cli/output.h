/* output.h — what the CLI prints while a run goes and when it ends
 * (SPEC section 5): progress on stderr (a live line on a terminal, one line
 * at the start and one at the end of each migration in a log), a summary,
 * and with --format json one JSON result on stdout for the commands that
 * change the database. Also the SIGINT/SIGTERM handling of a run. */
#ifndef DBMIG_CLI_OUTPUT_H
#define DBMIG_CLI_OUTPUT_H

#include <stddef.h>

#include "dbmig/dbmig.h"

typedef struct cli_out cli_out;

/* What a run has said, for the JSON fallback of main.c (a run asked for
 * JSON that fails without printing its document gets {"command", "ok":
 * false, "exit_code", "error"}): the JSON documents printed on stdout, and
 * the last error message printed on stderr, without "dbmig: " (already
 * redacted and made safe, as printed). Filled by every printer: main.c's
 * helpers, output.c, fleet.c. */
typedef struct cli_said {
    int docs;
    char error[1024];
} cli_said;

/* Keeps msg (at most 1023 bytes) as s's last error (s may be NULL). */
void cli_said_error(cli_said *s, const char *msg);

typedef struct cli_out_opts {
    int tty;     /* stderr is a terminal: a live line, [k/n] counters */
    int quiet;   /* -q: only failures */
    int verbose; /* -v: every statement's first line and time */
    int json;    /* --format json: a JSON result on stdout */
    cli_said *said; /* counts the JSON result, keeps the error; may be NULL */
} cli_out_opts;

/* NULL when out of memory. */
cli_out *cli_out_new(const cli_out_opts *o);
void cli_out_free(cli_out *o);

/* The library's event callback (payload: the cli_out). */
void cli_out_event(void *payload, const dbmig_event *ev);

/* A writing command starts: upgrade, downgrade, stamp or repair. target may
 * be NULL. With signals = 1, SIGINT and SIGTERM ask h to stop at the next
 * statement boundary (a second signal ends the process at once). */
void cli_out_begin(cli_out *o, dbmig *h, const char *command, const char *target, int dry_run,
                   int signals);
/* It ended with rc (a dbmig_rc): prints the summary (and the error) on
 * stderr, the JSON result on stdout, and returns the exit code: 130 or 143
 * when a signal stopped it. */
int cli_out_end(cli_out *o, dbmig *h, int rc);
/* The same, when a step after a successful run failed (dump-schema):
 * `after` says what (the run's own work stays committed and the summary
 * says so); the exit code is 1 and the JSON result has ok false and this
 * error. after NULL: cli_out_end. */
int cli_out_end_after(cli_out *o, dbmig *h, int rc, const char *after);

/* "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) as ISO-8601 with Z into out; other
 * text is copied as it is. */
void cli_iso_utc(const char *in, char *out, size_t cap);

#endif
