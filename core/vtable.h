/* vtable.h — the version table (SPEC section 7): the only code that reads
 * or writes it, online and offline. The DDL that creates it, the state read
 * back (rows ordered by seq), and every row write: insert, update, delete,
 * the dirty protocol's progress rows, the check that a write riding with a
 * statement landed. An offline (--sql) script gets its INSERT and DELETE
 * from the same builders as a live run. Internal.
 *
 * Writes under a lease lock are fenced (lock.c's dm_lease_fence): a write
 * that touches no row means the lease is lost, and the run fails. */
#ifndef DM_VTABLE_H
#define DM_VTABLE_H

#include <stdint.h>

#include "dbmig/dbmig.h"
#include "graph.h"
#include "util.h"

/* One row of the version table. */
typedef struct dm_vrow {
    char *revision, *checksum, *progress_hash;
    char *message, *applied_at; /* NULL unless read in full */
    int64_t duration_ms, progress, seq;
    int dirty;
    size_t rev; /* graph index, DM_NONE when no file has this id */
} dm_vrow;

typedef struct dm_vstate {
    dm_vrow *rows; /* ordered by seq */
    size_t n, cap;
    int64_t max_seq;
    int table_exists;
} dm_vstate;

/* The SQL that creates the version table in the driver's dialect. */
int dm_vtable_ddl(dbmig *h, dm_buf *out);
/* Creates the version table when st says it is missing, just before the
 * first write (a dry run, a refusal or a run with nothing to do creates
 * nothing), and checks that the driver finds it afterwards. */
int dm_vt_ensure(dbmig *h, dm_vstate *st);

/* Reads the version table, rows ordered by seq (empty state when it does
 * not exist). full: also message and applied_at (else NULL; only status
 * shows them). On failure st is left empty (nothing to free). */
int dm_vstate_read(dbmig *h, dm_vstate *st, int full);
void dm_vstate_free(dm_vstate *st);
/* Fills a (g->n flags + by_seq) from st. Free with dm_applied_free. */
int dm_applied_from(const dm_graph *g, const dm_vstate *st, dm_applied *a);
void dm_applied_free(dm_applied *a);

/* "YYYY-MM-DD HH:MM:SS", UTC now: applied_at's format. */
void dm_utc_now(char out[32]);
/* A boolean literal for the driver (TRUE/FALSE or 1/0). */
const char *dm_vt_bool(const dbmig *h, int v);

/* A row to insert. NULL fields take the file's own (its checksum, its
 * message cut to the column's 255 bytes) or now (applied_at). seq
 * DM_VT_SEQ_NEXT: one more than the table's largest, computed by the
 * INSERT itself (an offline script, which cannot know it). */
#define DM_VT_SEQ_NEXT INT64_MIN
typedef struct dm_vt_row {
    size_t rev; /* graph index */
    const char *checksum, *message, *applied_at;
    int dirty;
    int64_t duration_ms, seq;
} dm_vt_row;
/* The INSERT of row into b (INSERT ... SELECT under a lease, fenced, or
 * for DM_VT_SEQ_NEXT); -1 when out of memory. */
int dm_vt_row_insert_sql(dbmig *h, const dm_vt_row *row, dm_buf *b);

/* Row builders: the SQL into b (-1 or DBMIG_ERROR when out of memory), and
 * the writers that run it fenced. r is a graph index. */
int dm_vt_insert_sql(dbmig *h, size_t r, int dirty, int64_t duration, int64_t seq,
                     const char *checksum, dm_buf *b);
int dm_vt_insert(dbmig *h, size_t r, int dirty, int64_t duration, int64_t seq,
                 const char *checksum);
int dm_vt_where(dbmig *h, dm_buf *b, const char *rev);
int dm_vt_delete_sql(dbmig *h, const char *rev, dm_buf *b);
int dm_vt_delete(dbmig *h, const char *rev);
int dm_vt_update_sql(dbmig *h, const char *rev, const char *set, dm_buf *b);
int dm_vt_update(dbmig *h, const char *rev, const char *set);
/* The SET clause of a progress row: done statements, hash of them. */
void dm_vt_progress_set(char set[200], size_t done, const char *hash);
int dm_vt_progress(dbmig *h, const char *rev, size_t done, const char *hash);
/* Settles a dirty row as applied: dirty cleared, the file's checksum. */
int dm_vt_finish_sql(dbmig *h, size_t r, int64_t duration, dm_buf *b);
int dm_vt_finish(dbmig *h, size_t r, int64_t duration);
/* Row settling: dirty set (a down section outside a transaction), dirty
 * cleared with no progress (repair --applied of a row without a file), a
 * new checksum (repair --checksums). */
int dm_vt_mark_dirty(dbmig *h, const char *rev);
int dm_vt_settle(dbmig *h, const char *rev);
int dm_vt_set_checksum(dbmig *h, const char *rev, const char *checksum);
/* Stamp: in one transaction, deletes the rows flagged in `is` and not in
 * `want` (children first), inserts the others (parents first, seq after
 * `seq`). */
int dm_vt_stamp(dbmig *h, const unsigned char *is, const unsigned char *want, int64_t seq);
/* After a failed text of the riding dirty protocol (exec.c): did its write
 * land (in the still open transaction, for a row change)? 1 yes, 0 no, -1
 * cannot tell. want 0: the row exists; want > 0: its progress is want; want
 * < 0: it is clean (the final row). */
int dm_vt_landed(dbmig *h, const char *id, int64_t want);

#endif
