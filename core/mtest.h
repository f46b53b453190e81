/* mtest.h — the database side of `dbmig test` (core/mtest_db.c), used by
 * the stairway in core/mtest.c: running a revision's verify or fixture
 * section, reading a table's rows back as a count and an order-independent
 * digest, and emptying a database for --yes-destroy.
 *
 * Why it is apart from mtest.c: these are the only places where `test`
 * sends SQL of its own (everything else goes through dbmig_upgrade and
 * dbmig_downgrade on the scratch handle, the user's code path), so the
 * driver calls and the dialect differences are kept in one small file.
 * Internal. */
#ifndef DM_MTEST_H
#define DM_MTEST_H

#include "engine.h"
#include "migfile.h"

/* A table's rows as `test` compares them: how many, and a digest of their
 * text values that does not depend on their order. rows -1: the table
 * could not be read (gone); why then holds the database's words. */
typedef struct dm_tdigest {
    long long rows;
    char hex[17];
    char why[200];
} dm_tdigest;

/* Reads table (as written in a fixture: a name, or schema.name) on h:
 * the columns the table has in ref (matched ignoring case, in their
 * order), so that a column a broken down leaves behind does not change the
 * rows; every column when ref is NULL or does not know the table. */
int dm_mt_digest(dbmig *h, const char *table, const dm_schema *ref, dm_tdigest *out);

/* Runs the section `kind` (DM_VERIFY, DM_FIXTURE) of mf on h's
 * connection (dm_exec_section). *found says whether the file has one for
 * h's driver. With tables non-NULL (fixtures), the table of every INSERT
 * INTO is added to it once. A failing statement is DBMIG_ERROR in h->err
 * ("<file>:<line>: ..."), a malformed section DBMIG_EINVALID. */
int dm_mt_section(dbmig *h, const dm_migfile *mf, int kind, int *found, dm_strv *tables);

/* Drops everything dm_inspect lists on h (views, tables, sequences,
 * functions) and the version table and its lock table, then inspects
 * again: DBMIG_ERROR naming what is left when something could not go. */
int dm_mt_empty(dbmig *h);

#endif
