/* batch.h — batched statements (SPEC section 14): the `-- dbmig:batch`
 * marker (its grammar and what it may mark), the :lo / :hi placeholders of
 * the keyset form, the progress a batch statement leaves in the version
 * table, and running a step that holds one. Internal.
 *
 * Progress encoding (no version-table schema change): while a batch
 * statement k (0-based) is under way, `progress` = k (the statements fully
 * committed before it) and `progress_hash` =
 *   "b1:<first 32 hex of the v1 hash of statements 0..k-1>:<next lo>:<batches>:<rows>"
 * (next lo is 0 for the plain form), written in the same transaction as
 * each batch, so a kill never loses or doubles one. A downgrade writes the
 * same with "bd:" (batch.c's bx_progress), which dm_batch_progress_parse
 * does not take: a downgrade is never resumed, nor shown, as an upgrade's
 * position. dm_batch_progress_fmt / _parse are the only writer and reader
 * (plan.c's resume and report.c's status go through _parse). */
#ifndef DM_BATCH_H
#define DM_BATCH_H

#include <stdint.h>

#include "migfile.h"
#include "plan.h"
#include "split.h"

/* Parses the value of a `-- dbmig:batch` line (after the key): empty for
 * the plain form, or `by COL size N [from TABLE]` (words in any order,
 * case-insensitive, each once). out->line and out->section are the
 * caller's. DBMIG_EINVALID "<path>:<line>: ..." naming the fix. */
int dm_batch_parse_marker(const char *path, int line, const char *val, size_t vallen,
                          dm_batchmark *out, dm_err *err);
void dm_batchmark_free(dm_batchmark *m);

/* Checks the statement a marker marks: INSERT, UPDATE or DELETE (or WITH
 * ...); the keyset form needs :lo and :hi and a table to walk (an UPDATE or
 * DELETE target, or `from`); the plain form must not use them.
 * DBMIG_EINVALID "<path>:<line>: ..." with the fix. */
int dm_batch_check_stmt(const char *path, const dm_batchmark *m, const dm_stmt *st, int dialect,
                        dm_err *err);

/* Placeholders :lo / :hi found in sql[0..len) outside quotes, quoted
 * identifiers, dollar bodies and comments (the dialect's lexical rules):
 * bit 1 for :lo, bit 2 for :hi. With out non-NULL, the statement with
 * each replaced by the integer literal lo or hi is written there (-1 out
 * of memory). `x::lo` (a cast) and `:lonely` are not placeholders. */
int dm_batch_subst(const char *sql, size_t len, int dialect, int64_t lo, int64_t hi,
                   dm_buf *out, unsigned *found);

/* The table a keyset statement walks: m->from, else the target of its
 * UPDATE / DELETE as written (quotes kept). 0, or -1 when there is none. */
int dm_batch_table(const char *sql, size_t len, int dialect, const dm_batchmark *m, dm_buf *out);

/* The progress_hash of a batch statement under way (batch.h's encoding)
 * from the v1 hash of the statements before it; -1 when it would not fit
 * the column (80 bytes). */
int dm_batch_progress_fmt(char out[96], const char *v1hash, int64_t lo, int64_t batches,
                          int64_t rows);
/* 1 when s is a "b1:..." progress_hash, with its parts (hash32: 32 hex);
 * 0 when it is anything else. */
int dm_batch_progress_parse(const char *s, char hash32[33], int64_t *lo, int64_t *batches,
                            int64_t *rows);

/* Runs the statements of step s, which holds a batch statement, after its
 * dirty row is written (exec.c's run_notx_step): each maximal run of other
 * statements in one transaction with its progress write where the driver
 * has transactional DDL (else one by one with the dirty protocol), each
 * batch in its own transaction with its progress write. Returns as
 * exec.c's exec_all: on a stop DBMIG_EINTERRUPTED with *at = the statement
 * not finished; on a failure DBMIG_ERROR with *at = the statements
 * committed ((size_t)-1 when the failure was not a statement's). *told = 1
 * when `why` already says what is left and how to go on. */
int dm_batch_exec(dm_run *x, dm_step *s, dm_buf *why, size_t *at, int *told);

#endif
