/* inspect.h — the schema commands' plumbing on a handle: inspecting the
 * handle's connection into the model (core/schema.h), and scratch
 * databases (SPEC section 12), the throwaway databases that drift and test
 * replay migrations on.
 *
 * Why it is built this way:
 *   - A scratch database is driven through a second dbmig handle opened on
 *     the scratch URL with the first handle's folder, driver, plugin path,
 *     table and event callback, so replaying migrations there is the same
 *     code path (plan.c, exec.c) as a user's upgrade, not a copy of it. Its
 *     events reach the callback only with verbose (-v): a replay's
 *     "applied ..." lines would read as changes to the user's database.
 *   - The driver makes and removes the database (driver.h: scratch_create,
 *     scratch_drop: a CREATE DATABASE on the same server, or a temporary
 *     SQLite file); the core names it dbmig_scratch_<random> and always
 *     removes it: after success, after failure, and after an interrupted
 *     run (dbmig_interrupt stops the run; dm_scratch_close still runs).
 *   - --scratch-url names a database the user gave for it: it must be empty
 *     (no tables besides a version table), and it is emptied again but not
 *     dropped at the end.
 */
#ifndef DM_INSPECT_H
#define DM_INSPECT_H

#include "dbmig/dbmig.h"
#include "schema.h"

/* The handle's current schema, sorted, without the version table and its
 * lock table. Connects first when needed; a database that does not exist
 * yet is an empty schema. */
int dm_inspect(dbmig *h, dm_schema *out);

/* A digest of the handle's schema from the driver's schema_digest query
 * (driver.h): SHA-256 over every row's values, into out ("v1:" + hex,
 * DM_SHA256_V1_LEN + 1 bytes). *have = 0 (and out "") when the driver has
 * no such query: the caller then inspects. Equal digests mean an
 * unchanged schema; different ones mean nothing on their own. */
int dm_schema_digest(dbmig *h, char *out, int *have);

/* DROP TABLE IF EXISTS of the handle's version table and its lock table,
 * schema-qualified as --table gives them (dm_inspect leaves both out, so
 * emptying a database drops them by name). */
int dm_drop_version_tables(dbmig *h);

/* *exists: does the handle's database hold its version table (by the
 * name --table gives, schema part left out)? Connected handles only. */
int dm_has_version_table(dbmig *h, int *exists);

typedef struct dm_scratch dm_scratch;

/* A scratch database next to h's database (scratch_url NULL) or at
 * scratch_url, and a handle open on it. */
int dm_scratch_open(dbmig *h, const char *scratch_url, dm_scratch **out);
/* The same for a driver other than h's (`dbmig diff --drivers`): at
 * scratch_url (an empty database that driver reads: it is emptied again at
 * the end), or, without one, a new temporary database that the driver can
 * make without a server (SQLite: a temporary file), made and removed
 * through a handle of its own on that driver; a server driver without
 * scratch_url is DBMIG_EUSAGE naming --scratch-url. h need not be
 * connected. */
int dm_scratch_open_driver(dbmig *h, const char *driver, const char *scratch_url,
                           dm_scratch **out);
dbmig *dm_scratch_handle(dm_scratch *s);
/* Its URL with any password replaced, for messages. */
const char *dm_scratch_where(const dm_scratch *s);
/* Closes its handle and removes the database. A failure to remove it is
 * reported in h's error (naming what is left behind and how to remove it)
 * when h has no error yet, else appended to it. s NULL: nothing. */
int dm_scratch_close(dbmig *h, dm_scratch *s);

#endif
