/* fleet.h — `dbmig fleet`: one command against many databases.
 *
 *   dbmig [options] fleet --targets FILE|- [--jobs N] [--shard I/N]
 *                         [--results FILE|-] [--run-id ID] COMMAND [ARGS...]
 *   dbmig [options] fleet --merge-results [--run-id ID] FILE...
 *
 * COMMAND is upgrade, downgrade, status or check. FILE lists one URL a line
 * (`#` starts a comment, ${VAR} expands from the environment). Each target
 * runs in its own dbmig process (so its own connection and lock, and a
 * crash or a failure stays its own), at most N at once (default 4), given
 * its URL in its environment (DBMIG_URL), never on its command line, which
 * any local user can read. Their
 * progress lines are prefixed with the target's number; a summary table (or
 * JSON with --format json) follows on stdout, passwords redacted. Exit 0
 * only when every target succeeded; else the highest exit code of a target.
 * --shard I/N keeps the targets whose redacted URL hashes to shard I (a
 * stable split: N machines share a fleet with no coordinator); --results
 * writes the JSON summary to a file (replaced by a "started" marker before
 * anything runs, so no earlier run's file survives a failed one), and
 * --merge-results merges the shards' summaries (fleet_merge.c), refusing
 * summaries of different runs: each records its command and arguments,
 * N, --run-id and a digest of the whole targets list.
 */
#ifndef DBMIG_CLI_FLEET_H
#define DBMIG_CLI_FLEET_H

struct cli_said; /* output.h: the documents printed and the last error, for main.c */

/* exe: the dbmig binary to run for each target; globals: the global
 * options to hand on (without --url/--format); args: what follows `fleet`;
 * said (may be NULL): counts the JSON printed, keeps the error. */
int cli_fleet(const char *exe, char *const *globals, int nglobals, char *const *args, int nargs,
              int json, int quiet, struct cli_said *said);

/* fleet_merge.c: `fleet --merge-results FILE...` (files: the summaries;
 * run_id: --run-id, which every summary must then carry, or NULL). */
int cli_fleet_merge(char *const *files, int n, const char *run_id, int json,
                    struct cli_said *said);

#endif
