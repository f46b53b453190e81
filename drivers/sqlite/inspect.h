/* inspect.h — the SQLite driver's schema inspection (driver ABI 2.1,
 * inspect()), kept apart from sqlite.c because it is a concern of its own:
 * four catalog queries and a small reader of the stored CREATE texts. It
 * sees only the sqlite3 handle and the host's allocator, so it needs none
 * of the connection's internals; sqlite.c turns its result code into the
 * connection's error. */
#ifndef DBMIG_SQLITE_INSPECT_H
#define DBMIG_SQLITE_INSPECT_H

#include <dbmig/driver.h>
#include <sqlite3.h>

/* Describes the `main` schema of db through fn (driver.h). SQLITE_OK (also
 * when fn stopped the walk), SQLITE_NOMEM when host->alloc failed, or the
 * failing statement's result code (sqlite3_errmsg(db) says why). */
int sqi_inspect(sqlite3 *db, const dbmig_host *host, dbmig_schema_fn fn, void *payload);

#endif
