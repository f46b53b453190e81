/* run.c — the commands that change a database: upgrade, downgrade, stamp,
 * repair (SPEC sections 7 and 8). Each one: load the folder and the driver,
 * check the target, connect, take the lock, read the state (vtable.c), plan
 * (plan.c), then run the plan (exec.c) or write the version table alone
 * (stamp, repair). The decisions are the planner's, the running the
 * executor's: this file only ties them together.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddlwait.h"
#include "engine.h"
#include "exec.h"
#include "lock.h"
#include "plan.h"

static int nomem(dbmig *h) { return dm_err_nomem(&h->err); }

static const char *file_of(const dbmig *h, size_t r) { return h->graph.revs[r].file.path; }

/* Reads the state under the lock and fills x->a. The version table is not
 * created here: see dm_vt_ensure. */
static int load_state(dm_run *x)
{
    dbmig *h = x->h;
    int rc = dm_vstate_read(h, &x->st, 0);
    if (rc != DBMIG_OK)
        return rc;
    if (dm_applied_from(&h->graph, &x->st, &x->a) != 0)
        return nomem(h);
    return DBMIG_OK;
}

/* What a command checks before connecting (engine.c's `between`). */
typedef struct precheck {
    const char *target; /* NULL: no target */
    dm_target_cmd cmd;
} precheck;

static int check_before_connect(dbmig *h, void *arg)
{
    const precheck *p = arg;
    int rc = p && p->target ? dm_target_check(&h->graph, p->target, p->cmd, &h->err) : DBMIG_OK;
    /* a time-out the driver cannot honour is refused before anything runs */
    if (rc == DBMIG_OK && p && (p->cmd == DM_TARGET_UPGRADE || p->cmd == DM_TARGET_DOWNGRADE))
        rc = dm_ddlwait_check(h);
    /* an undefined placeholder too (SPEC 16), before a connection could
     * fail with exit 1 or create an empty SQLite file */
    if (rc == DBMIG_OK && p && (p->cmd == DM_TARGET_UPGRADE || p->cmd == DM_TARGET_DOWNGRADE))
        rc = dm_need_placeholders(h);
    return rc;
}

static int load_state_fn(void *x) { return load_state(x); }

/* A database that does not exist (a SQLite file: the driver said NODB)
 * holds nothing to revert or repair: for downgrade and repair a missing
 * file is a wrong path (a typo in a rollback URL), refused before the lock
 * would create the file, with exit 1 as for a server database that is not
 * there. A dry run says the same, so that it foretells the real run.
 * upgrade and stamp, which make the version table say something, create
 * it (docs/drivers.md). */
static int refuse_missing_db(dbmig *h, const precheck *pre)
{
    if (h->conn || !h->nodb || (pre && pre->cmd != DM_TARGET_DOWNGRADE))
        return DBMIG_OK;
    return dm_err_set(&h->err, DBMIG_ERROR,
                      "cannot %s: %s, so %s; only `dbmig upgrade` creates a database. Check the "
                      "path in the URL (a typo?); nothing was created",
                      pre ? "downgrade" : "repair",
                      h->nodb_msg ? h->nodb_msg : "the database does not exist",
                      pre ? "nothing is applied in it to revert" : "it has no version table to repair");
}

/* Loads the folder and the driver, checks the target, connects, takes the
 * lock (not for a dry run, which writes nothing) and reads the state. An
 * upgrade or downgrade sets its time-outs (x->dw, ddlwait.h) first: the
 * look-up waits no longer than a migration's statements, and is retried
 * the same way. */
static int begin_run(dm_run *x, const precheck *pre)
{
    dbmig *h = x->h;
    int rc = dm_need_graph_conn_then(h, check_before_connect, (void *)pre);
    int timed = pre && (pre->cmd == DM_TARGET_UPGRADE || pre->cmd == DM_TARGET_DOWNGRADE);
    if (rc == DBMIG_OK)
        rc = refuse_missing_db(h, pre);
    if (rc == DBMIG_OK && timed) /* again with the server's own caps (MySQL vs MariaDB) */
        rc = dm_ddlwait_check(h);
    if (rc == DBMIG_OK && !h->o.dry_run)
        rc = dm_lock_acquire(h);
    if (rc == DBMIG_OK && timed && !h->o.dry_run)
        rc = dm_ddlwait_open(h, &x->dw);
    if (rc == DBMIG_OK)
        rc = dm_ddlwait_own(h, x->dw, "reading the version table", load_state_fn, x);
    return rc;
}

/* ---- upgrade / downgrade ------------------------------------------------------ */

static int migrate(dbmig *h, const char *target, unsigned flags, int down)
{
    dm_err_clear(&h->err);
    if (!target || !*target)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "%s needs a target",
                          down ? "downgrade" : "upgrade");
    if ((flags & DBMIG_VERIFY) && (down || h->o.sql_out))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          down ? "--verify is for upgrade: a verify section checks what a "
                                 "revision's up section did, and a downgrade runs none; drop "
                                 "--verify"
                               : "--verify cannot be honoured with --sql: the script is only "
                                 "written, so nothing would be verified. Drop --verify, and run "
                                 "the files' -- dbmig:verify statements after the script, or "
                                 "apply with `dbmig upgrade --verify` instead");
    if (h->o.sql_out)
        return dm_exec_offline(h, target, down);
    dm_run x;
    dm_run_init(&x, h, down);
    precheck pre = {target, down ? DM_TARGET_DOWNGRADE : DM_TARGET_UPGRADE};
    int rc = begin_run(&x, &pre);
    if (rc == DBMIG_OK)
        rc = dm_plan_run(&x, target, flags);
    if (rc == DBMIG_OK) {
        if (h->o.dry_run)
            rc = dm_exec_dry_report(&x);
        else if (x.n == 0)
            dm_emit(h, DBMIG_EV_NOTICE, NULL, "nothing to do", NULL);
        else if ((rc = dm_vt_ensure(h, &x.st)) == DBMIG_OK)
            rc = dm_exec_apply(&x);
    }
    dm_ddlwait_close(x.dw); /* the server's defaults back, the watcher joined */
    dm_lock_release(h);
    dm_run_free(&x);
    return rc;
}

int dbmig_upgrade(dbmig *h, const char *target, unsigned flags)
{
    return migrate(h, target ? target : "head", flags, 0);
}

int dbmig_downgrade(dbmig *h, const char *target, unsigned flags)
{
    return migrate(h, target, flags, 1);
}

/* ---- stamp and repair ------------------------------------------------------------- */

/* What a dry stamp would change, as notices. */
static void stamp_dry(dm_run *x, const unsigned char *want, size_t changes)
{
    dbmig *h = x->h;
    if (!want) /* only called once the plan is made */
        return;
    if (!changes)
        dm_emit(h, DBMIG_EV_NOTICE, NULL, "dry run: nothing to do", NULL);
    else if (!x->st.table_exists) {
        char t[300];
        snprintf(t, sizeof t, "dry run: would create the version table %s", h->table);
        dm_emit(h, DBMIG_EV_NOTICE, NULL, t, NULL);
    }
    for (size_t k = 0; k < h->graph.n; k++) {
        size_t r = h->graph.order[k];
        if (want[r] != x->a.is[r]) {
            char t[300];
            snprintf(t, sizeof t, "dry run: would stamp %s as %s", h->graph.revs[r].id,
                     want[r] ? "applied" : "not applied");
            dm_emit(h, DBMIG_EV_NOTICE, h->graph.revs[r].id, t, NULL);
        }
    }
}

/* Writes the stamped state (vtable.c) and says what it did. */
static int stamp_write(dm_run *x, const unsigned char *want, const char *target, size_t added,
                       size_t removed)
{
    dbmig *h = x->h;
    int rc = dm_vt_ensure(h, &x->st);
    if (rc == DBMIG_OK)
        rc = dm_vt_stamp(h, x->a.is, want, x->st.max_seq);
    if (rc == DBMIG_OK) {
        char t[400];
        snprintf(t, sizeof t,
                 "stamped %s: %zu revision(s) marked applied, %zu marked not applied%s; no "
                 "migration SQL was run",
                 target, added, removed,
                 removed ? " (their schema changes are still in the database)" : "");
        dm_emit(h, DBMIG_EV_NOTICE, NULL, t, NULL);
    }
    return rc;
}

int dbmig_stamp(dbmig *h, const char *target)
{
    dm_err_clear(&h->err);
    if (!target || !*target)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "stamp needs a target");
    dm_run x;
    dm_run_init(&x, h, 0);
    precheck pre = {target, DM_TARGET_STAMP};
    int rc = begin_run(&x, &pre);
    unsigned char *want = NULL;
    if (rc == DBMIG_OK)
        rc = dm_plan_check_last_rows(&x, target, "stamp");
    if (rc == DBMIG_OK) {
        want = calloc(h->graph.n ? h->graph.n : 1, 1);
        rc = want ? dm_plan_stamp(&h->graph, &x.a, target, want, &h->err) : nomem(h);
    }
    size_t added = 0, removed = 0;
    for (size_t r = 0; rc == DBMIG_OK && want && r < h->graph.n; r++) {
        added += !x.a.is[r] && want[r];
        removed += x.a.is[r] && !want[r];
    }
    if (rc == DBMIG_OK && h->o.dry_run)
        stamp_dry(&x, want, added + removed);
    else if (rc == DBMIG_OK && !added && !removed)
        dm_emit(h, DBMIG_EV_NOTICE, NULL, "nothing to do: the version table already says so",
                NULL);
    else if (rc == DBMIG_OK)
        rc = stamp_write(&x, want, target, added, removed);
    free(want);
    dm_lock_release(h);
    dm_run_free(&x);
    return rc;
}

/* The version-table row repair --applied/--reverted ID names: an exact
 * revision, else a unique prefix of a file's id. NULL with err set when
 * there is none, or when the row cannot be settled that way. */
static dm_vrow *repair_row(dm_run *x, int what, const char *id)
{
    dbmig *h = x->h;
    dm_vrow *row = NULL;
    for (size_t i = 0; i < x->st.n; i++)
        if (strcmp(x->st.rows[i].revision, id) == 0)
            row = &x->st.rows[i];
    size_t r = DM_NONE;
    if (!row) {
        if (dm_graph_lookup(&h->graph, id, &r, &h->err) != DBMIG_OK) {
            if (strncmp(dm_err_msg(&h->err), "unknown revision", 16) == 0)
                dm_err_set(&h->err, DBMIG_EUSAGE,
                           "nothing to repair: unknown revision '%s': the version table has no "
                           "row with that id and no file in %s has it; `dbmig status` lists the "
                           "applied revisions",
                           id, h->dir);
            return NULL;
        }
        for (size_t i = 0; i < x->st.n; i++)
            if (x->st.rows[i].rev == r)
                row = &x->st.rows[i];
    }
    if (!row) {
        dm_err_set(&h->err, DBMIG_EUSAGE,
                   "nothing to repair: revision %s (%s) is not applied (the version table has no "
                   "row for it); `dbmig status` shows what is applied and what is dirty",
                   h->graph.revs[r].id, file_of(h, r));
        return NULL;
    }
    if (row->dirty)
        return row;
    if (what == DBMIG_REPAIR_REVERTED && row->rev == DM_NONE)
        return row; /* an applied revision whose file is gone: drop its row */
    if (what == DBMIG_REPAIR_APPLIED)
        dm_err_set(&h->err, DBMIG_EUSAGE,
                   "nothing to repair: revision %s is applied and not dirty; repair --applied "
                   "only settles a dirty revision (see `dbmig status`)",
                   row->revision);
    else
        dm_err_set(&h->err, DBMIG_EUSAGE,
                   "refusing to remove the row of revision %s: it is applied, not dirty, and its "
                   "file %s exists, so repair --reverted would leave its schema changes in place "
                   "unrecorded. Revert it with `dbmig downgrade` (e.g. `dbmig downgrade %s-1`), "
                   "or change the version table alone with `dbmig stamp`",
                   row->revision, file_of(x->h, row->rev), row->revision);
    return NULL;
}

int dbmig_repair(dbmig *h, int what, const char *id)
{
    dm_err_clear(&h->err);
    if (what != DBMIG_REPAIR_CHECKSUMS && (!id || !*id))
        return dm_err_set(&h->err, DBMIG_EUSAGE, "repair --applied/--reverted needs a revision id");
    if (what < DBMIG_REPAIR_CHECKSUMS || what > DBMIG_REPAIR_REVERTED)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "repair needs one of --checksums, --applied ID, --reverted ID");
    dm_run x;
    dm_run_init(&x, h, 0);
    int dry = h->o.dry_run;
    int rc = begin_run(&x, NULL);
    if (rc == DBMIG_OK && what == DBMIG_REPAIR_CHECKSUMS) {
        size_t fixed = 0;
        for (size_t i = 0; rc == DBMIG_OK && i < x.st.n; i++) {
            dm_vrow *r = &x.st.rows[i];
            if (r->rev == DM_NONE || r->dirty)
                continue;
            const char *sum = h->graph.revs[r->rev].file.checksum;
            if (strcmp(sum, r->checksum) == 0)
                continue;
            if (!dry) {
                rc = dm_vt_set_checksum(h, r->revision, sum);
            }
            if (rc == DBMIG_OK) {
                char t[300];
                snprintf(t, sizeof t, "%s the edited file of %s (%s)",
                         dry ? "dry run: would accept" : "accepted", r->revision,
                         file_of(h, r->rev));
                dm_emit(h, DBMIG_EV_NOTICE, r->revision, t, NULL);
                fixed++;
            }
        }
        if (rc == DBMIG_OK && !fixed)
            dm_emit(h, DBMIG_EV_NOTICE, NULL,
                    dry ? "dry run: nothing to do: every checksum already matches"
                        : "every checksum already matches",
                    NULL);
    } else if (rc == DBMIG_OK) {
        dm_vrow *row = repair_row(&x, what, id);
        if (!row)
            rc = h->err.code ? h->err.code : DBMIG_EUSAGE;
        else if (dry)
            rc = DBMIG_OK;
        else if (what == DBMIG_REPAIR_REVERTED)
            rc = dm_vt_delete(h, row->revision);
        else if (row->rev == DM_NONE)
            rc = dm_vt_settle(h, row->revision);
        else
            rc = dm_vt_finish(h, row->rev, row->duration_ms);
        if (rc == DBMIG_OK && row) {
            char t[400];
            if (what == DBMIG_REPAIR_REVERTED && !row->dirty)
                snprintf(t, sizeof t,
                         "%s the row of %s, which has no file (its schema changes, if any, "
                         "were not reverted)",
                         dry ? "dry run: would remove" : "removed", row->revision);
            else
                snprintf(t, sizeof t, "%s %s as %s", dry ? "dry run: would settle" : "settled",
                         row->revision,
                         what == DBMIG_REPAIR_REVERTED ? "not applied" : "applied");
            dm_emit(h, DBMIG_EV_NOTICE, row->revision, t, NULL);
        }
    }
    dm_lock_release(h);
    dm_run_free(&x);
    return rc;
}
