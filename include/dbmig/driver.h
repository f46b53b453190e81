/*
 * dbmig/driver.h — the boundary between the dbmig core and a database driver.
 *
 * This is the only header a driver plugin needs. Applications embedding dbmig
 * include <dbmig/dbmig.h> instead and never see this one.
 *
 * A plugin is a loadable module named `dbmig_<name>` (dbmig_sqlite.so, ...)
 * that exports one function, `dbmig_driver_entry_<name>`, returning a pointer
 * to a constant `dbmig_driver` table. Use DBMIG_DRIVER_ENTRY(name, table) to
 * generate it.
 *
 * Versioning rules (see plugins/README.md):
 *   - The table starts with abi_major, abi_minor and its own size. The core
 *     refuses a plugin whose abi_major differs from DBMIG_DRIVER_ABI_MAJOR, or
 *     whose size is smaller than the fields of its declared minor.
 *   - Fields are only ever appended at the end (which bumps abi_minor). The
 *     core reads an appended field only when `size` covers it and the pointer
 *     is non-NULL; otherwise it falls back.
 *   - Optional functions may be NULL; each is marked below.
 *
 * Memory: every string a driver hands back through an out-parameter or a
 * callback is owned by the driver and valid only until the next call on the
 * same connection; the core copies what it keeps. Buffers the core hands in
 * are owned by the core.
 *
 * Threads: one connection is used by one thread at a time. Distinct
 * connections may be used from distinct threads at once; a driver keeps no
 * mutable global state.
 *
 * Errors: functions return DBMIG_DRV_OK (0) or DBMIG_DRV_ERROR (-1). On error
 * the driver fills its connection's dbmig_db_error, which last_error()
 * returns. A driver never prints.
 */
#ifndef DBMIG_DRIVER_H
#define DBMIG_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DBMIG_DRIVER_ABI_MAJOR 1
#define DBMIG_DRIVER_ABI_MINOR 1

#define DBMIG_DRV_OK 0
#define DBMIG_DRV_ERROR (-1)

/* Lexical rules the statement splitter applies to this driver's SQL. */
typedef enum dbmig_dialect {
    DBMIG_DIALECT_GENERIC = 0, /* '...', "...", --, non-nested block comments */
    DBMIG_DIALECT_POSTGRES = 1,
    DBMIG_DIALECT_MYSQL = 2,
    DBMIG_DIALECT_SQLITE = 3
} dbmig_dialect;

/* Capability bits: what the dialect does natively. The core decides policy
 * (transactions, rewriting, emulation) from these. */
enum {
    DBMIG_CAP_TRANSACTIONAL_DDL = 1u << 0,  /* DDL rolls back with the transaction */
    DBMIG_CAP_SAVEPOINTS = 1u << 1,         /* SAVEPOINT / RELEASE / ROLLBACK TO */
    DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS = 1u << 2,
    DBMIG_CAP_DROP_INDEX_IF_EXISTS = 1u << 3,
    DBMIG_CAP_DROP_INDEX_NEEDS_TABLE = 1u << 4, /* DROP INDEX i ON t (mysql) */
    DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS = 1u << 5,
    DBMIG_CAP_DROP_COLUMN_IF_EXISTS = 1u << 6,
    DBMIG_CAP_CONCURRENT_INDEX = 1u << 7,   /* CREATE INDEX CONCURRENTLY, outside a transaction */
    DBMIG_CAP_BOOLEAN = 1u << 8,            /* a real boolean type (TRUE/FALSE) */
    DBMIG_CAP_LOCK_REPORTS_HOLDER = 1u << 9, /* try_lock can say who holds the lock */
    /* try_lock cannot exclude every client of this database (a Galera
     * cluster: GET_LOCK is node-local), so the core takes the lease lock
     * unless the user forces --lock session. Reported by conn_caps(). */
    DBMIG_CAP_SESSION_LOCK_UNSAFE = 1u << 10,
    /* exec() takes several statements separated by `;` and runs them in
     * order in one round trip, stopping at the first failure; an error's
     * position counts from the start of the whole text. The core then sends
     * a transactional migration (savepoint, statements, version row) as one
     * text, and outside a transaction (no TRANSACTIONAL_DDL) each
     * version-table write together with the statement after it. */
    DBMIG_CAP_MULTI_STATEMENT = 1u << 11
};

/* A database error, filled by the driver. Fixed-size so that ownership never
 * crosses the boundary. Strings are NUL-terminated, possibly empty. */
typedef struct dbmig_db_error {
    char code[16];      /* SQLSTATE, errno or the client library's code, as text */
    char message[1024]; /* the database's own message, one line if possible */
    char detail[512];
    char hint[512];
    int position;       /* 1-based character offset inside the failing statement, 0 if unknown */
} dbmig_db_error;

/* Services the core offers a driver, handed to connect(). A driver uses
 * these instead of malloc()/fprintf() so that it links only its client
 * library. */
#define DBMIG_LOG_ERROR 0
#define DBMIG_LOG_WARN 1
#define DBMIG_LOG_INFO 2
#define DBMIG_LOG_DEBUG 3

typedef struct dbmig_host {
    uint32_t size; /* sizeof(dbmig_host) as the core built it */
    void *payload;
    void *(*alloc)(void *payload, size_t n);
    void *(*realloc)(void *payload, void *p, size_t n);
    void (*free)(void *payload, void *p);
    void (*log)(void *payload, int level, const char *message);
    /* --- appended after ABI 1.0: read only when size covers it --- */
    uint32_t flags; /* DBMIG_HOST_* for this connect() */
} dbmig_host;

/* dbmig_host.flags, read by connect() only when DBMIG_HOST_HAS_FLAGS(host);
 * an older core's host has no flags (treat as 0).
 *
 * DBMIG_HOST_NO_CREATE: do not create a database that does not exist. A
 * driver that can create one on connect (SQLite creates a missing file)
 * then fails with err->code DBMIG_DB_ERR_NODB ("NODB") and a message naming
 * what is missing; the core reads that as "nothing applied yet" for a
 * read-only command (status, current, check, history, --dry-run), and
 * connects again without the flag when a command is about to write (just
 * before it takes the migration lock). Drivers that never create a
 * database ignore the flag. */
#define DBMIG_HOST_NO_CREATE (1u << 0)
#define DBMIG_HOST_HAS_FLAGS(host)                                                          \
    ((host)->size >= offsetof(dbmig_host, flags) + sizeof(uint32_t))
#define DBMIG_DB_ERR_NODB "NODB"

/* A driver's connection: opaque to the core. A driver defines its own struct
 * and casts. */
typedef struct dbmig_conn dbmig_conn;

/* Row callback for query(): values are text (NULL for SQL NULL), valid only
 * during the call. Return 0 to go on, non-zero to stop (query then returns
 * DBMIG_DRV_OK). */
typedef int (*dbmig_row_fn)(void *payload, int ncols, const char *const *values,
                            const size_t *lengths);

/* Output buffer for quoting: the driver writes at most cap bytes including
 * the NUL and returns the length it needed (excluding the NUL), like
 * snprintf. The core retries with a larger buffer when needed. */
typedef size_t (*dbmig_quote_fn)(const dbmig_conn *conn, const char *in, size_t inlen,
                                 char *out, size_t cap);

typedef struct dbmig_driver {
    /* --- ABI 1.0 --- */
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t size; /* sizeof(dbmig_driver) as the plugin was built */

    const char *name;        /* must equal <name> in the file name dbmig_<name> */
    const char *version;     /* the driver's own version, e.g. "1.0.0" */
    const char *description; /* one line, shown by `dbmig drivers` */
    const char *const *schemes; /* URL schemes it serves, NULL-terminated: {"sqlite", NULL} */
    uint32_t caps;           /* DBMIG_CAP_* the driver always has */
    uint32_t dialect;        /* dbmig_dialect */
    uint32_t unload_safe;    /* 0 if the client library must never be dlclose()d */

    /* Connect from the full URL as the user gave it. On failure return
     * DBMIG_DRV_ERROR with err filled (never containing a password) and
     * *out untouched. */
    int (*connect)(const dbmig_host *host, const char *url, dbmig_conn **out,
                   dbmig_db_error *err);
    void (*close)(dbmig_conn *conn);

    /* Run one statement (no result rows expected). affected may be NULL. */
    int (*exec)(dbmig_conn *conn, const char *sql, size_t len, int64_t *affected);
    /* Run one query and call fn for each row. */
    int (*query)(dbmig_conn *conn, const char *sql, dbmig_row_fn fn, void *payload);

    int (*begin)(dbmig_conn *conn);
    int (*commit)(dbmig_conn *conn);
    int (*rollback)(dbmig_conn *conn);

    /* Try once, without waiting, to take the migration lock named `key` (the
     * core builds it from the version table's qualified name). *acquired is
     * set to 1 or 0. When not acquired and the driver can tell, holder
     * receives who holds it ("pid 1234 on host x"), else "". The core owns
     * the waiting and the time-out. The lock must be released by the server
     * or the OS when the process or connection dies. */
    int (*try_lock)(dbmig_conn *conn, const char *key, int *acquired, char *holder,
                    size_t holder_cap);
    int (*unlock)(dbmig_conn *conn, const char *key);

    /* Catalog look-ups in the connection's current schema. *exists = 0/1. */
    int (*table_exists)(dbmig_conn *conn, const char *table, int *exists);
    int (*column_exists)(dbmig_conn *conn, const char *table, const char *column,
                         int *exists);
    /* table may be NULL: any table. When found and table_out is non-NULL,
     * the owning table's name is written there (for DROP INDEX ... ON t). */
    int (*index_exists)(dbmig_conn *conn, const char *table, const char *index,
                        int *exists, char *table_out, size_t table_cap);

    /* Quoting. conn may be NULL (offline --sql mode): the driver then uses
     * its dialect's default rules. */
    dbmig_quote_fn quote_ident;
    dbmig_quote_fn quote_literal;

    const dbmig_db_error *(*last_error)(const dbmig_conn *conn);
    /* The server's version as text ("16.2", "10.11.6-MariaDB"). */
    int (*server_version)(dbmig_conn *conn, char *out, size_t cap);

    /* Optional (may be NULL): capabilities that depend on the server the
     * connection reached (MariaDB vs MySQL); defaults to caps. */
    uint32_t (*conn_caps)(const dbmig_conn *conn);

    /* --- ABI 1.1 --- */
    /* Optional (may be NULL): ask the database to abandon the statement
     * running on conn, from ANOTHER thread while exec() or query() runs
     * there (dbmig_cancel); the running call then fails. Must be safe to
     * call at any time while conn is open (a no-op when nothing runs) and
     * must not use conn's own socket for the request. Without it a stop
     * waits for the running statement's end. */
    int (*cancel)(dbmig_conn *conn);
} dbmig_driver;

/* The smallest size a table of a given minor may have. */
#define DBMIG_DRIVER_SIZE_1_0 (offsetof(dbmig_driver, conn_caps) + sizeof(void (*)(void)))
#define DBMIG_DRIVER_SIZE_1_1 (offsetof(dbmig_driver, cancel) + sizeof(void (*)(void)))

#if defined(_WIN32)
#define DBMIG_DRIVER_EXPORT __declspec(dllexport)
#else
#define DBMIG_DRIVER_EXPORT __attribute__((visibility("default")))
#endif

/* Generates the entry point of driver `name` returning `table`:
 *   DBMIG_DRIVER_ENTRY(sqlite, sqlite_driver)
 * defines `const dbmig_driver *dbmig_driver_entry_sqlite(void)`. */
#define DBMIG_DRIVER_ENTRY(name, table)                                                   \
    DBMIG_DRIVER_EXPORT const dbmig_driver *dbmig_driver_entry_##name(void);              \
    DBMIG_DRIVER_EXPORT const dbmig_driver *dbmig_driver_entry_##name(void) { return &(table); }

/* Fills the three version fields of a table. */
#define DBMIG_DRIVER_HEADER                                                               \
    .abi_major = DBMIG_DRIVER_ABI_MAJOR, .abi_minor = DBMIG_DRIVER_ABI_MINOR,             \
    .size = (uint32_t)sizeof(dbmig_driver)

#ifdef __cplusplus
}
#endif
#endif /* DBMIG_DRIVER_H */
