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
/* A dry run: says what would run (notices and PLAN events), runs nothing. */
int dm_exec_dry_report(dm_run *x);

#endif
