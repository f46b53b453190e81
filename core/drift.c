/* drift.c — `dbmig drift` (SPEC section 12): does the live database still
 * have the schema its applied migrations give? The applied revisions are
 * replayed on a scratch database (inspect.h), both are inspected into the
 * model (schema.h) and compared; the differences are the answer.
 *
 * Why it is built this way:
 *   - The replay is the user's own upgrade, on the scratch handle, to each
 *     applied head: the graph then applies exactly the applied set, in the
 *     graph's order, through plan.c and exec.c. That holds when the applied
 *     set is closed under ancestors; a database with a missing ancestor, a
 *     dirty revision or an applied revision without a file has no such
 *     replay, and drift says so (exit 3) rather than compare against
 *     something else.
 *   - The scratch database is closed (dropped, or emptied for
 *     --scratch-url) on every path out, success, failure and interruption
 *     alike: one exit through dm_scratch_close.
 *   - The live database is only read: its state through dbmig_status_get,
 *     its schema through dm_inspect.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "inspect.h"

/* The applied heads of h, or a refusal when the applied set cannot be
 * replayed exactly. *heads: a copy (dm_strv). */
static int drift_heads(dbmig *h, dm_strv *heads)
{
    dbmig_status *st = NULL;
    int rc = dbmig_status_get(h, &st);
    if (rc != DBMIG_OK)
        return rc;
    for (size_t i = 0; i < st->nrevs && rc == DBMIG_OK; i++) {
        const dbmig_rev_status *r = &st->revs[i];
        const char *why = (r->flags & DBMIG_REV_DIRTY)     ? "is dirty (a migration failed or "
                                                             "stopped part-way): settle it first "
                                                             "(upgrade --resume, or repair)"
                          : (r->flags & DBMIG_REV_UNKNOWN) ? "is applied but no file has its "
                                                             "id, so it cannot be replayed"
                          : (r->flags & DBMIG_REV_MISSING) ? "is not applied although a "
                                                             "revision after it is: apply it "
                                                             "(upgrade --allow-missing) first"
                                                           : NULL;
        if (why)
            rc = dm_err_set(&h->err, DBMIG_EINVALID,
                            "drift replays the applied revisions on a scratch database, but "
                            "revision %s %s",
                            r->revision, why);
    }
    for (size_t i = 0; i < st->nheads && rc == DBMIG_OK; i++)
        if (dm_strv_push(heads, st->heads[i]))
            rc = dm_err_nomem(&h->err);
    dbmig_status_free(st);
    return rc;
}

/* Upgrades the scratch handle to each applied head. */
static int drift_replay(dbmig *h, dm_scratch *s, const dm_strv *heads)
{
    dbmig *sh = dm_scratch_handle(s);
    for (size_t i = 0; i < heads->n; i++) {
        int rc = dbmig_upgrade(sh, heads->v[i], 0);
        if (rc == DBMIG_EINTERRUPTED)
            return dm_err_set(&h->err, rc,
                              "interrupted while replaying the applied revisions on the scratch "
                              "database %s (which is removed); nothing was changed in the "
                              "database",
                              dm_scratch_where(s));
        if (rc != DBMIG_OK)
            return dm_err_set(&h->err, rc,
                              "replaying the applied revisions on the scratch database %s "
                              "failed: %s",
                              dm_scratch_where(s), dbmig_errmsg(sh));
    }
    if (h->interrupted) /* after the last statement: stop before comparing */
        return dm_err_set(&h->err, DBMIG_EINTERRUPTED,
                          "interrupted after replaying the applied revisions on the scratch "
                          "database %s (which is removed); nothing was changed in the database",
                          dm_scratch_where(s));
    return DBMIG_OK;
}

/* The two models compared, rendered into out (lines or JSON). */
static int drift_compare(dbmig *h, dm_scratch *s, int json, dm_buf *out, size_t *ndiff)
{
    dm_schema live, replay;
    int rc = dm_inspect(h, &live);
    if (rc != DBMIG_OK)
        return rc;
    dbmig *sh = dm_scratch_handle(s);
    rc = dm_inspect(sh, &replay);
    if (rc != DBMIG_OK) {
        dm_schema_free(&live);
        return dm_err_set(&h->err, rc, "cannot inspect the scratch database %s: %s",
                          dm_scratch_where(s), dbmig_errmsg(sh));
    }
    dm_sdiffs d = {0};
    rc = dm_schema_compare(&live, &replay, "the database", "the migrations", &d, &h->err);
    if (rc == DBMIG_OK && json && dm_sdiffs_render_json(&d, out))
        rc = dm_err_nomem(&h->err);
    for (size_t i = 0; rc == DBMIG_OK && !json && i < d.n; i++)
        if (dm_buf_printf(out, "%s: %s\n", d.v[i].object, d.v[i].what))
            rc = dm_err_nomem(&h->err);
    *ndiff = d.n;
    dm_sdiffs_free(&d);
    dm_schema_free(&live);
    dm_schema_free(&replay);
    return rc;
}

int dbmig_drift(dbmig *h, const char *scratch_url, int json, char **out)
{
    if (!h)
        return DBMIG_ERROR;
    dm_err_clear(&h->err);
    if (!out)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig_drift: out must not be NULL");
    *out = NULL;
    if (h->o.sql_out)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "drift reads the live database and replays migrations on a scratch "
                          "database, so it cannot run offline (--sql): leave --sql out");
    if (h->o.dry_run) /* it creates, fills and drops a scratch database */
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "drift has no dry run: it only reads your database, but it creates, "
                          "fills and drops a scratch database to compare with; run it without "
                          "--dry-run");
    dm_strv heads = {0};
    dm_buf b = {0};
    size_t ndiff = 0;
    dm_scratch *s = NULL;
    /* the replay reads the files' SQL: their placeholders need values, and
     * that is known before connecting (SPEC 16) */
    int rc = dm_need_placeholders(h);
    if (rc == DBMIG_OK)
        rc = drift_heads(h, &heads);
    if (rc == DBMIG_OK)
        rc = dm_scratch_open(h, scratch_url, &s);
    if (rc == DBMIG_OK)
        rc = drift_replay(h, s, &heads);
    if (rc == DBMIG_OK)
        rc = drift_compare(h, s, json, &b, &ndiff);
    if (s && dm_scratch_close(h, s) != DBMIG_OK && rc == DBMIG_OK)
        rc = DBMIG_ERROR; /* the message says what is left behind */
    dm_strv_free(&heads);
    if (rc == DBMIG_OK && json && !b.len && dm_buf_puts(&b, "[]\n"))
        rc = dm_err_nomem(&h->err);
    if (rc == DBMIG_OK && !(*out = dm_buf_take(&b)))
        rc = dm_err_nomem(&h->err);
    dm_buf_free(&b);
    if (rc == DBMIG_OK && ndiff)
        rc = dm_err_set(&h->err, DBMIG_EINVALID,
                        "the database's schema differs from what its applied migrations give "
                        "in %zu place%s",
                        ndiff, ndiff == 1 ? "" : "s");
    return rc;
}
