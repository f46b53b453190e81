/* exec.h — running a plan (exec.c): the steps plan.h prepared, online
 * (groups, savepoints, the commit interval, the dirty protocol, resume,
 * stops) or as an offline script, and the dry run's report. Internal. */
#ifndef DM_EXEC_H
#define DM_EXEC_H

#include "plan.h"

/* Runs x's steps against the database, under the lock the caller holds;
 * the version table exists (dm_vt_ensure). Events report each step. */
int dm_exec_apply(dm_run *x);
/* Writes the offline (--sql) script of `upgrade/downgrade target` to the
 * sql_out callback, without connecting. */
int dm_exec_offline(dbmig *h, const char *target, int down);
/* A dry run: says what would run (notices and PLAN events), runs nothing;
 * with --verify it lists each step's verify statements. */
int dm_exec_dry_report(dm_run *x);

/* Runs the statements of one section of mf (DM_VERIFY, DM_FIXTURE, or any
 * kind) for h's driver, in order, on h's open connection (h->conn; the
 * caller connected, e.g. to a scratch database), in whatever transaction
 * the caller has open, through the portable-DDL layer as migration
 * statements are. No section for the driver: DBMIG_OK, nothing run (ask
 * dm_migfile_section to tell). A malformed section: DBMIG_EINVALID
 * "<file>:<line>: ..." before any statement runs. The first failing
 * statement stops it: DBMIG_ERROR, h->err "<file>:<line>: verify failed:
 * statement k of n of the verify section of revision R raised an error:
 * <database message> [code]" ("statement k of n of the fixture section of
 * revision R failed: ..." for other kinds), and dbmig_last_error gives the
 * revision, file, line, k and the database's code, detail and hint. No
 * events, no version-table write. */
int dm_exec_section(dbmig *h, const dm_migfile *mf, int kind);

/* For batch.c: statement k of `total` of revision r through the
 * portable-DDL layer (DBMIG_ERROR with `why` filled when the database
 * refused it, x->fail noted); its STATEMENT (done 0) or STATEMENT_DONE
 * (done 1, ms) event; whether a stop was asked for. */
int dm_exec_stmt(dm_run *x, size_t r, const dm_stmt *st, size_t k, size_t total, dm_buf *why);
void dm_exec_report_stmt(const dm_run *x, const dm_step *s, size_t k, const dm_stmt *st, int done,
                         double ms);
int dm_exec_stopped(const dbmig *h);
/* A statement of step i failed with a database error of kind `kind`: when
 * it is a lock time-out with retries left (--ddl-lock-timeout,
 * --ddl-retries), reports the retry (DBMIG_EV_RETRY), waits the backoff
 * and gives 1 (run it again); DBMIG_EINTERRUPTED when a stop came during
 * the wait; 0 when it fails as it is (why then says when the retries ran
 * out, with the last blocker). */
int dm_exec_retry_wait(dm_run *x, size_t i, uint32_t kind, dm_buf *why);

#endif
