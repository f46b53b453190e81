/* ddl.h — the portable-DDL layer (SPEC section 9). Internal.
 *
 * A small classifier recognises the forms that differ between dialects:
 *   CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] i ON t ...
 *   DROP INDEX [CONCURRENTLY] [IF EXISTS] i [ON t]
 *   ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c ...
 *   ALTER TABLE t DROP [COLUMN] [IF EXISTS] c
 * and dm_ddl_prepare() turns a statement into what the driver can run, from
 * its capability bits: native forms pass through; missing IF [NOT] EXISTS
 * is emulated with the driver's catalog look-ups (the statement is skipped
 * when the object is already there / already gone); CONCURRENTLY is dropped
 * where the dialect has no such thing; MySQL's DROP INDEX gets its `ON t`
 * from the catalog. Anything else passes through untouched.
 */
#ifndef DM_DDL_H
#define DM_DDL_H

#include <stddef.h>
#include <stdint.h>

#include "dbmig/driver.h"
#include "util.h"

typedef enum dm_ddl_kind {
    DM_DDL_OTHER = 0,
    DM_DDL_CREATE_INDEX,
    DM_DDL_DROP_INDEX,
    DM_DDL_ADD_COLUMN,
    DM_DDL_DROP_COLUMN
} dm_ddl_kind;

typedef struct dm_span {
    size_t start, end; /* byte range in the statement; empty when start == end */
} dm_span;

typedef struct dm_ddl {
    dm_ddl_kind kind;
    int concurrently;    /* CONCURRENTLY present (span: concurrently_kw) */
    int if_exists;       /* IF [NOT] EXISTS present (span: if_kw) */
    dm_span concurrently_kw, if_kw;
    dm_span name_tok;    /* the index or column as written */
    dm_span table_tok;   /* the table as written (empty: DROP INDEX without ON) */
    char name[128];      /* unquoted last part of the name ("" when too long) */
    char table[128];     /* unquoted last part of the table */
} dm_ddl;

/* Classifies one statement (as the splitter returns it). Never fails:
 * anything not recognised is DM_DDL_OTHER. */
void dm_ddl_classify(const char *sql, size_t len, int dialect, dm_ddl *out);

/* 1 when the statement's first keyword makes it data manipulation that any
 * transactional engine can roll back (INSERT, UPDATE, DELETE, REPLACE,
 * SELECT, WITH, VALUES, SET). */
int dm_ddl_is_dml(const char *sql, size_t len, int dialect);

/* 1 when the statement changes rows and nothing else (INSERT, UPDATE,
 * DELETE, REPLACE): it commits together with the other writes of its
 * transaction, so the dirty protocol may commit it with its version-table
 * row instead of recording progress before it. SELECT, WITH, VALUES and SET
 * are not: a SET may change the transaction itself, a SELECT may only wait
 * (SLEEP) and is better left on its own. */
int dm_ddl_is_row_change(const char *sql, size_t len, int dialect);

/* 1 when the statement changes the schema or its rights (CREATE, ALTER,
 * DROP, TRUNCATE, RENAME, COMMENT, GRANT, REVOKE): what a verify section,
 * which only checks, must not hold. */
int dm_ddl_is_schema_change(const char *sql, size_t len, int dialect);

/* The statement's keyword when it opens or ends a transaction (BEGIN,
 * START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, and PREPARE TRANSACTION /
 * COMMIT PREPARED / ROLLBACK PREPARED on PostgreSQL), else NULL. Savepoints
 * (SAVEPOINT, RELEASE, ROLLBACK TO) and MariaDB's BEGIN NOT ATOMIC block are
 * not transaction control. */
const char *dm_ddl_txn_control(const char *sql, size_t len, int dialect);

/* 1 when the statement must run outside a transaction on a driver with
 * these caps (CONCURRENTLY on a driver with DBMIG_CAP_CONCURRENT_INDEX). */
int dm_ddl_needs_autocommit(const char *sql, size_t len, int dialect, uint32_t caps);

/* 1 when dm_ddl_prepare() would run the statement exactly as written,
 * without a catalog look-up (so it can be batched with others). */
int dm_ddl_passthrough(const char *sql, size_t len, int dialect, uint32_t caps);

/* What to run for `sql` on driver `drv` (caps: the connection's). conn may
 * be NULL (offline --sql): emulation then cannot look at the catalog, so the
 * IF [NOT] EXISTS words are removed and `note` says so. On return *skip = 1
 * means the emulated condition says there is nothing to do; otherwise `out`
 * holds the statement to run (possibly unchanged). `note` (may be NULL)
 * receives a one-line explanation when something was rewritten. */
int dm_ddl_prepare(const dbmig_driver *drv, void *self, dbmig_conn *conn, uint32_t caps,
                   const char *sql, size_t len, dm_buf *out, int *skip, dm_buf *note, dm_err *err);

#endif
