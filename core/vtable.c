/* vtable.c — the version table (SPEC section 7): the only code that reads
 * or writes it. Creating it, reading the state back, and every row write of
 * a run, a stamp, a repair and an offline script. See vtable.h.
 *
 * Writes are built as text first (the *_sql builders) so that the executor
 * can send one with a statement in a single round trip (exec.c) and an
 * offline script can print it; the writers run them fenced: under a lease a
 * write that touches no row means the lease is no longer ours.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "lock.h"
#include "vtable.h"
#include "loader.h"

static int nomem(dbmig *h) { return dm_err_nomem(&h->err); }

void dm_utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

const char *dm_vt_bool(const dbmig *h, int v)
{
    if (h->caps & DBMIG_CAP_BOOLEAN)
        return v ? "TRUE" : "FALSE";
    return v ? "1" : "0";
}

static int exec_buf(dbmig *h, dm_buf *b)
{
    int rc = dm_sql_exec(h, dm_buf_str(b), NULL);
    dm_buf_free(b);
    return rc;
}

/* A version-table write under a lease must touch a row; none means the
 * fence refused it: the lease is no longer ours. */
static int exec_fenced(dbmig *h, dm_buf *b)
{
    int64_t n = -1;
    int rc = dm_sql_exec(h, dm_buf_str(b), &n);
    dm_buf_free(b);
    if (rc == DBMIG_OK && h->lease && n == 0)
        rc = dm_err_set(&h->err, DBMIG_ERROR,
                        "the lease lock on %s is no longer ours (it expired and another process "
                        "took it over); the version-table write was refused. Check `dbmig status`, "
                        "and raise --lease-seconds if statements stall longer than the lease",
                        h->table);
    return rc;
}

/* ---- version-table writes ------------------------------------------------- */

int dm_vt_row_insert_sql(dbmig *h, const dm_vt_row *row, dm_buf *b)
{
    const dm_migfile *f = &h->graph.revs[row->rev].file;
    char ts[32], msg[256];
    if (!row->applied_at)
        dm_utc_now(ts);
    if (!row->message) /* the column holds 255 bytes */
        snprintf(msg, sizeof msg, "%s", f->message ? f->message : "");
    /* INSERT ... SELECT so that a lease can fence it (see lock.c), and so
     * that an offline script computes seq from the table. */
    int next = row->seq == DM_VT_SEQ_NEXT, select = h->lease || next;
    int rc = dm_buf_printf(b,
                           "INSERT INTO %s (revision, checksum, message, applied_at, "
                           "duration_ms, dirty, progress, progress_hash, seq) %s",
                           h->qtable, select ? "SELECT " : "VALUES (") ||
             dm_quote_literal(h, f->revision, b) || dm_buf_puts(b, ", ") ||
             dm_quote_literal(h, row->checksum ? row->checksum : f->checksum, b) ||
             dm_buf_puts(b, ", ") || dm_quote_literal(h, row->message ? row->message : msg, b) ||
             dm_buf_puts(b, ", ") || dm_quote_literal(h, row->applied_at ? row->applied_at : ts, b) ||
             dm_buf_printf(b, ", %lld, %s, 0, NULL, ", (long long)row->duration_ms,
                           dm_vt_bool(h, row->dirty));
    if (next)
        rc = rc || dm_buf_printf(b, "COALESCE(MAX(seq), 0) + 1 FROM %s", h->qtable);
    else
        rc = rc || dm_buf_printf(b, "%lld%s", (long long)row->seq, select ? "" : ")") ||
             dm_lease_fence(h, b, 1);
    return rc ? -1 : 0;
}

/* The INSERT of a revision's row into b; -1 when out of memory. */
int dm_vt_insert_sql(dbmig *h, size_t r, int dirty, int64_t duration, int64_t seq,
                     const char *checksum, dm_buf *b)
{
    dm_vt_row row = {.rev = r, .checksum = checksum, .dirty = dirty, .duration_ms = duration,
                     .seq = seq};
    return dm_vt_row_insert_sql(h, &row, b);
}

int dm_vt_insert(dbmig *h, size_t r, int dirty, int64_t duration, int64_t seq,
                 const char *checksum)
{
    dm_buf b = {0};
    if (dm_vt_insert_sql(h, r, dirty, duration, seq, checksum, &b)) {
        dm_buf_free(&b);
        return nomem(h);
    }
    return exec_fenced(h, &b);
}

int dm_vt_where(dbmig *h, dm_buf *b, const char *rev)
{
    if (dm_buf_puts(b, " WHERE revision = ") || dm_quote_literal(h, rev, b))
        return nomem(h);
    return DBMIG_OK;
}

/* DELETE FROM <t> WHERE revision = rev, into b */
int dm_vt_delete_sql(dbmig *h, const char *rev, dm_buf *b)
{
    if (dm_buf_printf(b, "DELETE FROM %s", h->qtable) || dm_vt_where(h, b, rev) ||
        dm_lease_fence(h, b, 0))
        return nomem(h);
    return DBMIG_OK;
}

int dm_vt_delete(dbmig *h, const char *rev)
{
    dm_buf b = {0};
    if (dm_vt_delete_sql(h, rev, &b) != DBMIG_OK) {
        dm_buf_free(&b);
        return DBMIG_ERROR;
    }
    return exec_fenced(h, &b);
}

/* UPDATE <t> SET <set> WHERE revision = rev, into b */
int dm_vt_update_sql(dbmig *h, const char *rev, const char *set, dm_buf *b)
{
    if (dm_buf_printf(b, "UPDATE %s SET %s", h->qtable, set) || dm_vt_where(h, b, rev) ||
        dm_lease_fence(h, b, 0))
        return nomem(h);
    return DBMIG_OK;
}

int dm_vt_update(dbmig *h, const char *rev, const char *set)
{
    dm_buf b = {0};
    if (dm_vt_update_sql(h, rev, set, &b) != DBMIG_OK) {
        dm_buf_free(&b);
        return DBMIG_ERROR;
    }
    return exec_fenced(h, &b);
}

void dm_vt_progress_set(char set[200], size_t done, const char *hash)
{
    snprintf(set, 200, "progress = %zu, progress_hash = '%s'", done, hash);
}

int dm_vt_progress(dbmig *h, const char *rev, size_t done, const char *hash)
{
    char set[200];
    dm_vt_progress_set(set, done, hash);
    return dm_vt_update(h, rev, set);
}

int dm_vt_finish_sql(dbmig *h, size_t r, int64_t duration, dm_buf *b)
{
    dm_buf set = {0};
    char ts[32];
    dm_utc_now(ts);
    int rc = dm_buf_printf(&set, "dirty = %s, progress = 0, progress_hash = NULL, duration_ms = %lld, checksum = ",
                           dm_vt_bool(h, 0), (long long)duration) ||
             dm_quote_literal(h, h->graph.revs[r].file.checksum, &set) ||
             dm_buf_puts(&set, ", applied_at = ") || dm_quote_literal(h, ts, &set);
    rc = rc ? nomem(h) : dm_vt_update_sql(h, h->graph.revs[r].id, set.ptr, b);
    dm_buf_free(&set);
    return rc;
}

int dm_vt_finish(dbmig *h, size_t r, int64_t duration)
{
    dm_buf b = {0};
    if (dm_vt_finish_sql(h, r, duration, &b) != DBMIG_OK) {
        dm_buf_free(&b);
        return DBMIG_ERROR;
    }
    return exec_fenced(h, &b);
}

/* Creates the version table when it is missing, just before the first
 * write: a dry run, a refusal or a run with nothing to do creates nothing. */
int dm_vt_ensure(dbmig *h, dm_vstate *st)
{
    if (st->table_exists)
        return DBMIG_OK;
    dm_buf ddl = {0};
    int rc = dm_vtable_ddl(h, &ddl);
    if (rc == DBMIG_OK)
        rc = exec_buf(h, &ddl);
    else
        dm_buf_free(&ddl);
    if (rc != DBMIG_OK)
        return dm_err_prefix(&h->err, "cannot create the version table %s: ", h->table);
    /* A driver that cannot find the table it has just created (a --table
     * name it does not understand) would read an empty state on every run
     * and record every revision again: stop here. */
    int exists = 0;
    if (h->drv->table_exists(h->drv_self, h->conn, h->table, &exists) != DBMIG_DRV_OK)
        return dm_db_error(h, "cannot look up the version table");
    if (!exists)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "driver %s cannot find the version table %s after creating it "
                          "(CREATE TABLE IF NOT EXISTS %s ran), so it would record every "
                          "revision again on the next run; use an unqualified --table name",
                          h->drv->name, h->table, h->qtable);
    st->table_exists = 1;
    return DBMIG_OK;
}

/* After a failed "<write>; <statement k>": did the write land? 1 yes, 0 no,
 * -1 cannot tell. k == 0: the dirty row exists; else its progress is k. */
typedef struct landed_ctx {
    int found;
    int64_t progress;
    int dirty;
} landed_ctx;

static int landed_row(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)lens;
    landed_ctx *c = payload;
    c->found = 1;
    c->progress = ncols > 0 && v[0] ? strtoll(v[0], NULL, 10) : -1;
    c->dirty = ncols > 1 && v[1] && (v[1][0] == '1' || v[1][0] == 't' || v[1][0] == 'T');
    return 0;
}

int dm_vt_landed(dbmig *h, const char *id, int64_t want)
{
    dm_buf q = {0};
    landed_ctx c = {0, -1, 1};
    int rc = dm_buf_printf(&q, "SELECT progress, dirty FROM %s", h->qtable) || dm_vt_where(h, &q, id)
                 ? -1
                 : h->drv->query(h->drv_self, h->conn, q.ptr, landed_row, &c) == DBMIG_DRV_OK
                       ? 0
                       : -1;
    dm_buf_free(&q);
    if (rc != 0)
        return -1;
    if (want < 0)
        return c.found && !c.dirty;
    return c.found && (want == 0 || c.progress == want);
}

/* ---- the version table -------------------------------------------------- */

int dm_vtable_ddl(dbmig *h, dm_buf *out)
{
    int boolean = (h->caps & DBMIG_CAP_BOOLEAN) != 0;
    const char *ts = DM_DRV_SQL(h->drv, timestamp_type); /* driver.h: NULL is standard SQL */
    if (!ts)
        ts = "TIMESTAMP";
    int rc = dm_buf_printf(out,
                           "CREATE TABLE IF NOT EXISTS %s (\n"
                           "    revision VARCHAR(64) NOT NULL PRIMARY KEY,\n"
                           "    checksum VARCHAR(80) NOT NULL,\n"
                           "    message VARCHAR(255) NOT NULL,\n"
                           "    applied_at %s NOT NULL,\n"
                           "    duration_ms INTEGER NOT NULL,\n"
                           "    dirty %s NOT NULL,\n"
                           "    progress INTEGER NOT NULL,\n"
                           "    progress_hash VARCHAR(80),\n"
                           "    seq INTEGER NOT NULL\n"
                           ")",
                           h->qtable, ts, boolean ? "BOOLEAN" : "SMALLINT");
    return rc ? dm_err_nomem(&h->err) : DBMIG_OK;
}

typedef struct read_ctx {
    dm_vstate *st;
    int full;
    int oom;
} read_ctx;

static int64_t to_i64(const char *s) { return s ? strtoll(s, NULL, 10) : 0; }

static int is_true(const char *s)
{
    return s && (s[0] == '1' || s[0] == 't' || s[0] == 'T' || s[0] == 'y' || s[0] == 'Y');
}

static int read_row(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)lens;
    read_ctx *c = payload;
    dm_vstate *st = c->st;
    if (ncols < 9)
        return 0;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        dm_vrow *r = realloc(st->rows, cap * sizeof *r);
        if (!r) {
            c->oom = 1;
            return 1;
        }
        st->rows = r;
        st->cap = cap;
    }
    dm_vrow *r = &st->rows[st->n];
    memset(r, 0, sizeof *r);
    r->revision = dm_strdup(v[0] ? v[0] : "");
    r->checksum = dm_strdup(v[1] ? v[1] : "");
    r->message = c->full ? dm_strdup(v[2] ? v[2] : "") : NULL;
    r->applied_at = c->full ? dm_strdup(v[3] ? v[3] : "") : NULL;
    r->duration_ms = to_i64(v[4]);
    r->dirty = is_true(v[5]);
    r->progress = to_i64(v[6]);
    r->progress_hash = v[7] ? dm_strdup(v[7]) : NULL;
    r->seq = to_i64(v[8]);
    r->rev = DM_NONE;
    st->n++;
    if (!r->revision || !r->checksum || (c->full && (!r->message || !r->applied_at)) ||
        (v[7] && !r->progress_hash)) {
        c->oom = 1;
        return 1;
    }
    if (r->seq > st->max_seq)
        st->max_seq = r->seq;
    return 0;
}

static int vrow_cmp(const void *a, const void *b)
{
    const dm_vrow *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return strcmp(x->revision, y->revision);
}

void dm_vstate_free(dm_vstate *st)
{
    for (size_t i = 0; i < st->n; i++) {
        dm_vrow *r = &st->rows[i];
        free(r->revision);
        free(r->checksum);
        free(r->message);
        free(r->applied_at);
        free(r->progress_hash);
    }
    free(st->rows);
    memset(st, 0, sizeof *st);
}

int dm_vstate_read(dbmig *h, dm_vstate *st, int full)
{
    memset(st, 0, sizeof *st);
    if (!h->conn && h->nodb) {
        /* A read-only command on a database that does not exist yet. */
        char msg[1200];
        /* the driver's own advice when it gives one, as wait's: `dbmig
         * upgrade` creates a SQLite file, but not a folder missing too */
        snprintf(msg, sizeof msg, "%s: nothing is applied; %s",
                 h->nodb_msg ? h->nodb_msg : "the database does not exist",
                 h->nodb_hint && *h->nodb_hint ? h->nodb_hint : "`dbmig upgrade` creates it");
        dm_emit(h, DBMIG_EV_NOTICE, NULL, msg, NULL);
        return DBMIG_OK;
    }
    int exists = 0;
    if (h->drv->table_exists(h->drv_self, h->conn, h->table, &exists) != DBMIG_DRV_OK)
        return dm_db_error(h, "cannot look up the version table");
    st->table_exists = exists;
    if (!exists)
        return DBMIG_OK;
    /* Not ORDER BY seq: the table has no index on seq, so the database
     * would sort through its sorter (on SQLite, more than half the cost of
     * reading 1,000 rows); the rows are sorted here instead. Brief reads
     * skip the two text columns only status shows. */
    dm_buf sql = {0};
    if (dm_buf_printf(&sql,
                      "SELECT revision, checksum, %s, duration_ms, dirty, progress, "
                      "progress_hash, seq FROM %s",
                      full ? "message, applied_at" : "NULL, NULL", h->qtable)) {
        dm_buf_free(&sql);
        return dm_err_nomem(&h->err);
    }
    read_ctx c = {st, full, 0};
    int rc = h->drv->query(h->drv_self, h->conn, sql.ptr, read_row, &c);
    dm_buf_free(&sql);
    if (c.oom || rc != DBMIG_DRV_OK) {
        dm_vstate_free(st); /* on failure nothing is left to free */
        return c.oom ? dm_err_nomem(&h->err) : dm_db_error(h, "cannot read the version table");
    }
    if (st->n > 1)
        qsort(st->rows, st->n, sizeof *st->rows, vrow_cmp);
    if (h->graph_loaded)
        for (size_t i = 0; i < st->n; i++)
            st->rows[i].rev = dm_graph_find(&h->graph, st->rows[i].revision);
    return DBMIG_OK;
}

int dm_applied_from(const dm_graph *g, const dm_vstate *st, dm_applied *a)
{
    memset(a, 0, sizeof *a);
    a->is = calloc(g->n ? g->n : 1, 1);
    a->by_seq = malloc((st->n ? st->n : 1) * sizeof *a->by_seq);
    if (!a->is || !a->by_seq) {
        dm_applied_free(a);
        return -1;
    }
    for (size_t i = 0; i < st->n; i++) {
        size_t r = st->rows[i].rev;
        if (r == DM_NONE)
            continue;
        a->is[r] = 1;
        a->by_seq[a->nseq++] = r;
    }
    return 0;
}

void dm_applied_free(dm_applied *a)
{
    free(a->is);
    free(a->by_seq);
    memset(a, 0, sizeof *a);
}


/* ---- settling rows: stamp, repair, a downgrade outside a transaction ---- */

int dm_vt_mark_dirty(dbmig *h, const char *rev)
{
    return dm_vt_update(h, rev, h->caps & DBMIG_CAP_BOOLEAN ? "dirty = TRUE" : "dirty = 1");
}

int dm_vt_settle(dbmig *h, const char *rev)
{
    return dm_vt_update(h, rev, h->caps & DBMIG_CAP_BOOLEAN
                                    ? "dirty = FALSE, progress = 0, progress_hash = NULL"
                                    : "dirty = 0, progress = 0, progress_hash = NULL");
}

int dm_vt_set_checksum(dbmig *h, const char *rev, const char *checksum)
{
    char set[128];
    snprintf(set, sizeof set, "checksum = '%s'", checksum);
    return dm_vt_update(h, rev, set);
}

int dm_vt_stamp(dbmig *h, const unsigned char *is, const unsigned char *want, int64_t seq)
{
    if (h->drv->begin(h->drv_self, h->conn) != DBMIG_DRV_OK)
        return dm_db_error(h, "cannot begin a transaction");
    int rc = DBMIG_OK;
    /* Children first for removals, parents first for additions. */
    for (size_t k = h->graph.n; rc == DBMIG_OK && k-- > 0;) {
        size_t r = h->graph.order[k];
        if (is[r] && !want[r])
            rc = dm_vt_delete(h, h->graph.revs[r].id);
    }
    for (size_t k = 0; rc == DBMIG_OK && k < h->graph.n; k++) {
        size_t r = h->graph.order[k];
        if (!is[r] && want[r])
            rc = dm_vt_insert(h, r, 0, 0, ++seq, NULL);
    }
    if (rc != DBMIG_OK) {
        h->drv->rollback(h->drv_self, h->conn);
        return rc;
    }
    if (h->drv->commit(h->drv_self, h->conn) != DBMIG_DRV_OK)
        return dm_db_error(h, "commit failed; the version table is unchanged");
    return DBMIG_OK;
}
