/*
 * dbmig/driver.h — the boundary between the dbmig core and a database driver
 * (driver ABI 2.3).
 *
 * This is the only header a driver plugin needs. Applications embedding dbmig
 * include <dbmig/dbmig.h> instead and never see this one. plugins/README.md
 * is the contract in prose; this header is the same contract in C.
 *
 * A plugin is a loadable module named `dbmig_<name>` (dbmig_sqlite.so, ...)
 * that exports one function, `dbmig_driver_entry_<name>`, returning a pointer
 * to a constant `dbmig_driver` table. Use DBMIG_DRIVER_ENTRY(name, table) to
 * generate it.
 *
 * Why ABI 2 is built this way:
 *   - `self` on every method. A driver may keep state per dbmig handle: the
 *     optional init() allocates it, the core keeps it next to the loaded
 *     table and passes it first to every call, fini() frees it. A wrapper
 *     driver (the test suite's fault-injecting one) or an ODBC-style driver
 *     (an environment handle shared by its connections) therefore never
 *     needs a global. A driver without init() gets self == NULL.
 *   - Required first, optional after. The loader checks the table once,
 *     against ONE list (core/loader.c: name, offset, required, since-minor):
 *     a NULL required method is a refusal naming the method and the file.
 *     The core reaches an optional method through one accessor that checks
 *     both `size` and NULL, so a table from an older minor is never read
 *     past its end.
 *   - The SQL the core writes besides the user's migrations (version-table
 *     column type, savepoint verbs, the lease lock's clock and share lock,
 *     the schema rule of the version table's name) comes from the driver
 *     (`sql`, a dbmig_dialect_sql). The core never picks it from `dialect`:
 *     a driver that gives no lease SQL has no lease lock (refused with a
 *     message), instead of being handed another database's SQL.
 *   - `dialect` stays, for the statement splitter's lexical rules only
 *     (quotes, comments, dollar quotes, DELIMITER) and the portable-DDL
 *     classifier that reads the same tokens.
 *   - Driver errors carry a kind (dbmig_db_error_kind) instead of magic
 *     strings in `code`, which stays the database's own code.
 *
 * Versioning rules (see plugins/README.md, "Versioning"):
 *   - The table starts with abi_major, abi_minor and its own size. The core
 *     refuses a plugin whose abi_major differs from DBMIG_DRIVER_ABI_MAJOR
 *     (an ABI 1 plugin is refused by name: rebuild it against this header),
 *     or whose size is smaller than the fields of its declared minor.
 *   - A minor only appends, at the end of the table: optional methods
 *     (catalog inspection, batch execution are the next ones expected),
 *     each documented with the minor that added it. A required method is
 *     never added by a minor. The core reads an appended field only when
 *     `size` covers it and the pointer is non-NULL; otherwise it does
 *     without (and says so when the user asked for that feature).
 *   - dbmig_dialect_sql and dbmig_host carry their own size and grow the
 *     same way.
 *
 * Memory: every string a driver hands back through an out-parameter or a
 * callback is owned by the driver and valid only until the next call on the
 * same connection; the core copies what it keeps. Buffers the core hands in
 * are owned by the core.
 *
 * Threads: one connection is used by one thread at a time. Distinct
 * connections may be used from distinct threads at once (cancel() excepted,
 * see there). self belongs to one dbmig handle; while a lease lock is held,
 * the handle's renewal thread calls exec() on its own connection at the
 * same time as the handle's thread uses the main one, so what self holds
 * is read-only after init() or guarded by the driver. A driver keeps no
 * mutable global state.
 *
 * Errors: methods return DBMIG_DRV_OK (0) or DBMIG_DRV_ERROR (-1). On error
 * the driver fills its connection's dbmig_db_error, which last_error()
 * returns (connect() fills the one it is handed). A driver never prints.
 */
#ifndef DBMIG_DRIVER_H
#define DBMIG_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DBMIG_DRIVER_ABI_MAJOR 2
#define DBMIG_DRIVER_ABI_MINOR 3

#define DBMIG_DRV_OK 0
#define DBMIG_DRV_ERROR (-1)

/* Lexical rules the statement splitter (and the portable-DDL classifier)
 * applies to this driver's SQL. Nothing else: the SQL the core writes comes
 * from dbmig_dialect_sql. */
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
    DBMIG_CAP_SAVEPOINTS = 1u << 1,         /* savepoints, with the verbs of dbmig_dialect_sql */
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
    DBMIG_CAP_MULTI_STATEMENT = 1u << 11,
    /* ABI 2.3: the server this connection reached cannot run
     * dbmig_dialect_sql.statement_timeout (MySQL, where the template's
     * max_statement_time is MariaDB's): the core refuses
     * --statement-timeout before anything runs. Reported by conn_caps(). */
    DBMIG_CAP_NO_STATEMENT_TIMEOUT = 1u << 12
};

/* What kind of failure a dbmig_db_error reports: only the kinds the core
 * acts on. Anything else is GENERIC, reported with its code, message,
 * detail and hint. A core that meets a kind newer than itself treats it as
 * GENERIC, so new kinds need no new minor. */
typedef enum dbmig_db_error_kind {
    DBMIG_DB_ERR_GENERIC = 0,
    /* connect(): the URL itself is wrong (syntax, unknown parameter, a path
     * that cannot be a database). The core reports a usage error (exit 2),
     * not a failed connection. */
    DBMIG_DB_ERR_URL = 1,
    /* connect() with DBMIG_HOST_NO_CREATE: the database does not exist and
     * was not created. The message names what is missing. The core reads it
     * as "nothing applied yet" for a read-only command and connects again
     * without the flag just before a command writes. */
    DBMIG_DB_ERR_NODB = 2,
    /* A statement gave up waiting for a lock (PostgreSQL 55P03
     * lock_not_available, MySQL/MariaDB 1205, SQLite SQLITE_BUSY): with
     * --ddl-lock-timeout the core rolls the migration back and retries it. */
    DBMIG_DB_ERR_LOCK_TIMEOUT = 3,
    /* A statement ran longer than --statement-timeout (PostgreSQL 57014
     * "canceling statement due to statement timeout", MariaDB 1969). */
    DBMIG_DB_ERR_STATEMENT_TIMEOUT = 4
} dbmig_db_error_kind;

/* A database error, filled by the driver. Fixed-size so that ownership never
 * crosses the boundary. Strings are NUL-terminated, possibly empty. The core
 * shows message [code], then detail and hint on lines of their own, in every
 * message built from a driver error. */
typedef struct dbmig_db_error {
    uint32_t kind;      /* dbmig_db_error_kind; 0 (GENERIC) after a memset */
    char code[16];      /* SQLSTATE, errno or the client library's code, as text */
    char message[1024]; /* the database's own message, one line if possible */
    char detail[512];
    char hint[512];
    int position;       /* 1-based character offset inside the failing statement, 0 if unknown */
} dbmig_db_error;

/* Services the core offers a driver, handed to init() and connect(). A
 * driver uses these instead of malloc()/fprintf() so that it links only its
 * client library. */
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
    uint32_t flags; /* DBMIG_HOST_* for this connect(); 0 for init() */
    /* Appended fields are read only when size covers them. */
} dbmig_host;

/* dbmig_host.flags, read by connect().
 *
 * DBMIG_HOST_NO_CREATE: do not create a database that does not exist. A
 * driver that can create one on connect (SQLite creates a missing file)
 * then fails with err->kind DBMIG_DB_ERR_NODB and a message naming what is
 * missing. Drivers that never create a database ignore the flag. */
#define DBMIG_HOST_NO_CREATE (1u << 0)

/* A driver's connection: opaque to the core. A driver defines its own struct
 * and casts. */
typedef struct dbmig_conn dbmig_conn;

/* Row callback for query(): values are text (NULL for SQL NULL), valid only
 * during the call. Return 0 to go on, non-zero to stop (query then returns
 * DBMIG_DRV_OK). */
typedef int (*dbmig_row_fn)(void *payload, int ncols, const char *const *values,
                            const size_t *lengths);

/* Quoting: the driver writes at most cap bytes including the NUL and
 * returns the length it needed (excluding the NUL), like snprintf. The core
 * retries with a larger buffer when needed. conn may be NULL (offline --sql
 * mode): the driver then uses its dialect's default rules. */
typedef size_t (*dbmig_quote_fn)(void *self, const dbmig_conn *conn, const char *in,
                                 size_t inlen, char *out, size_t cap);

/* The SQL the core writes besides the user's migrations, supplied by the
 * driver (dbmig_driver.sql). Every field may be NULL; what NULL means is
 * said for each. Only appended to (the core reads a field only when `size`
 * covers it). Strings are constants that live as long as the module. */
typedef struct dbmig_dialect_sql {
    uint32_t size; /* sizeof(dbmig_dialect_sql) as the driver was built */

    /* The type of the version table's applied_at column ("DATETIME" on
     * MySQL). NULL: TIMESTAMP (standard SQL). */
    const char *timestamp_type;

    /* Savepoint verbs, each followed by a space and the savepoint's name
     * (used only with DBMIG_CAP_SAVEPOINTS). NULL: the standard SAVEPOINT,
     * ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT; release "" when the
     * database has no release (nothing is sent). */
    const char *savepoint;
    const char *rollback_to_savepoint;
    const char *release_savepoint;

    /* The lease lock (--lock lease, and what a Galera cluster needs): an
     * SQL expression for the database's clock in epoch milliseconds, as an
     * integer (all holders must read one clock); and the clause appended to
     * `SELECT ... FROM <lock row> WHERE ...` inside a fenced version-table
     * write so that it holds a share lock on the row until commit (" FOR
     * SHARE"), or "" when the database already serialises writers (SQLite).
     * Both NULL: the driver has no lease lock, and the core refuses one
     * with a message naming the driver. One NULL is the same as both. */
    const char *lease_now_ms;
    const char *lease_share_lock;

    /* The version table named schema.table (--table s.t). NULL: any schema
     * is honoured. Otherwise the driver's catalog look-ups see only the
     * connection's own schema, and table_schema names it: a schema.table
     * with exactly that schema is the same as table ("main" on SQLite), any
     * other schema is refused with table_schema_why ("an SQLite database has
     * one schema, main"). "" when no schema may be named (MySQL: the schema
     * is the URL's database). */
    const char *table_schema;
    const char *table_schema_why;

    /* The statement that opens a transaction inside a multi-statement text:
     * with DBMIG_CAP_MULTI_STATEMENT and no transactional DDL, the dirty
     * protocol sends each INSERT/UPDATE/DELETE/REPLACE of a migration as
     * "<it> ; <its progress row> ; <the statement> ; COMMIT". NULL: START
     * TRANSACTION (standard SQL; "BEGIN" is a block in MariaDB's Oracle
     * mode). */
    const char *begin_transaction;

    /* ABI 2.1: a query whose rows change whenever the schema does (SQLite:
     * the rows of sqlite_master, the schema's own text). `dbmig test`
     * hashes them before a revision's up and after its down: the same
     * digest means the same schema, and the full inspection is skipped
     * (a stairway over N revisions otherwise inspects O(N^2) objects).
     * Different digests say nothing: the core then inspects and compares.
     * NULL: it always inspects. */
    const char *schema_digest;

    /* ABI 2.1: statements run on every connection to a scratch database
     * (drift, test) that trade durability for speed, separated by `;` (none
     * inside one): a throwaway database need not wait for the disk (SQLite
     * "PRAGMA synchronous = OFF"). Never run on the user's database. NULL:
     * none. */
    const char *scratch_session;

    /* ABI 2.3 (SPEC section 14): lock and statement time-outs. Templates:
     * the core replaces {ms} with milliseconds and {s} with whole seconds
     * rounded up (at least 1), and {id} with a session id; nothing else is
     * substituted. Each NULL field: the driver cannot do that, and the core
     * refuses the option naming the driver (never a silent no-op).
     *
     * session_id: a query giving one row, one column: this session's id as
     * the server's lock views name it ("SELECT pg_backend_pid()").
     * lock_timeout / lock_timeout_reset: statement(s), `;`-separated, that
     * set how long one statement of this session waits for a lock, and put
     * back the server's default ("SET lock_timeout = {ms}", "RESET
     * lock_timeout"). statement_timeout / statement_timeout_reset: the same
     * for how long a statement may run. blockers: a query run on ANOTHER
     * connection while session {id} waits, giving one row per session that
     * blocks it: (its id, its state, how long its transaction has been
     * open in seconds, its current or last query). */
    const char *session_id;
    const char *lock_timeout;
    const char *lock_timeout_reset;
    const char *statement_timeout;
    const char *statement_timeout_reset;
    const char *blockers;
} dbmig_dialect_sql;

/* --- Schema inspection (ABI 2.1; SPEC section 12) ---
 *
 * ABI 2.2 added one kind, DBMIG_SO_ENUM, and no method: a 2.2 core loads
 * 2.0 and 2.1 plugins as before (they never report an enum), and a 2.2
 * plugin that reports an enum to a 2.1 core has its inspection refused
 * there ("unknown kind"): schema dump, drift and test then need the newer
 * dbmig. The table's size rules are 2.1's (DBMIG_DRIVER_SIZE_2_2).
 *
 * inspect() describes the connection's schema to the core one object at a
 * time, in any order; the core copies each object into its own model
 * (core/schema.h), puts the model in canonical order, leaves out its own
 * version and lock tables, and owns comparison and rendering. A driver
 * reports what its catalog says and normalises nothing but what is listed
 * below, so that the same database always gives the same objects.
 *
 * Which fields each kind uses (the others are NULL / 0):
 *   TABLE        name
 *   COLUMN       table, name, position, type, flags NULLABLE/IDENTITY/
 *                GENERATED_STORED, default_expr, generated, collation
 *   PRIMARY_KEY  table, name ("" when the database gives the key no name),
 *                columns
 *   UNIQUE       table, name (""), columns       (a UNIQUE constraint)
 *   FOREIGN_KEY  table, name (""), columns, ref_table, ref_columns,
 *                on_delete, on_update, flags DEFERRABLE
 *   CHECK        table, name (""), definition (the expression, without
 *                CHECK and the outer parentheses)
 *   INDEX        table, name, columns (a column name, or an expression in
 *                parentheses; either followed by " DESC" for a descending
 *                key part), flags UNIQUE, predicate (partial index),
 *                method (NULL for the database's default, e.g. btree)
 *   VIEW         name, definition (the query, without CREATE VIEW ... AS)
 *   SEQUENCE     name, definition ("AS bigint START 1 INCREMENT 1 ..." as
 *                CREATE SEQUENCE takes it), table/columns: the owning
 *                column when the sequence belongs to one (serial)
 *   TRIGGER      table, name, definition (the whole CREATE TRIGGER text)
 *   FUNCTION     name (with its argument types when the database
 *                overloads: "f(integer)"), definition (the whole CREATE
 *                FUNCTION/PROCEDURE text)
 *   ENUM         (ABI 2.2, PostgreSQL) name, columns: its labels in
 *                their order (the values, unquoted; none for an enum
 *                created with no label). A column of an enum type gives
 *                the type's name as the database spells it (PostgreSQL:
 *                format_type, schema-qualified only outside the
 *                search_path)
 * Indexes that only implement a PRIMARY KEY or UNIQUE constraint (and the
 * ones MySQL adds for a foreign key) are not reported as INDEX: the
 * constraint is. Texts are the database's own (type "character
 * varying(255)", "varchar(255)", "VARCHAR(255)"); on_delete/on_update are
 * upper-case SQL ("NO ACTION", "CASCADE", "SET NULL", "SET DEFAULT",
 * "RESTRICT"). Names are as stored (case kept). */
typedef enum dbmig_schema_kind {
    DBMIG_SO_TABLE = 1,
    DBMIG_SO_COLUMN = 2,
    DBMIG_SO_PRIMARY_KEY = 3,
    DBMIG_SO_UNIQUE = 4,
    DBMIG_SO_FOREIGN_KEY = 5,
    DBMIG_SO_CHECK = 6,
    DBMIG_SO_INDEX = 7,
    DBMIG_SO_VIEW = 8,
    DBMIG_SO_SEQUENCE = 9,
    DBMIG_SO_TRIGGER = 10,
    DBMIG_SO_FUNCTION = 11,
    DBMIG_SO_ENUM = 12 /* ABI 2.2: a PostgreSQL enum type (see below) */
} dbmig_schema_kind;

enum {
    DBMIG_SO_NULLABLE = 1u << 0,         /* COLUMN: NULL allowed */
    DBMIG_SO_IDENTITY = 1u << 1,         /* COLUMN: auto-increment / identity / INTEGER PRIMARY KEY AUTOINCREMENT */
    DBMIG_SO_GENERATED_STORED = 1u << 2, /* COLUMN: `generated` is stored (else virtual) */
    DBMIG_SO_UNIQUE_INDEX = 1u << 3,     /* INDEX: unique */
    DBMIG_SO_DEFERRABLE = 1u << 4        /* FOREIGN_KEY: deferrable */
};

typedef struct dbmig_schema_object {
    uint32_t size; /* sizeof(dbmig_schema_object) as the driver was built */
    uint32_t kind; /* dbmig_schema_kind */
    const char *table;
    const char *name;
    uint32_t flags;    /* DBMIG_SO_* */
    uint32_t position; /* COLUMN: 1-based ordinal */
    const char *type;
    const char *default_expr;
    const char *generated;
    const char *collation; /* NULL when the column uses its table's default */
    const char *const *columns;
    uint32_t ncolumns;
    uint32_t nref_columns;
    const char *ref_table;
    const char *const *ref_columns;
    const char *on_delete;
    const char *on_update;
    const char *predicate;
    const char *method;
    const char *definition;
    /* Appended fields are read only when size covers them. */
} dbmig_schema_object;

/* inspect()'s callback: the object and its strings are valid only during
 * the call. Returns 0 to go on, non-zero to stop (inspect then returns at
 * once, DBMIG_DRV_OK; the core knows why it stopped). */
typedef int (*dbmig_schema_fn)(void *payload, const dbmig_schema_object *obj);

/* The method table. Every method takes the driver's `self` first (NULL
 * when the driver has no init()). Comments mark each method required or
 * optional; the loader refuses a table with a NULL required method. */
typedef struct dbmig_driver {
    /* --- ABI 2.0: header --- */
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t size; /* sizeof(dbmig_driver) as the plugin was built */

    const char *name;        /* must equal <name> in the file name dbmig_<name> */
    const char *version;     /* the driver's own version, e.g. "1.0.0" */
    const char *description; /* one line, shown by `dbmig drivers` */
    /* URL schemes it serves, NULL-terminated: {"sqlite", NULL}. Without
     * --driver, a URL's scheme picks the plugin named after it, else the
     * one plugin whose schemes list it. */
    const char *const *schemes;
    uint32_t caps;           /* DBMIG_CAP_* the driver always has */
    uint32_t dialect;        /* dbmig_dialect: the splitter's lexical rules only */
    uint32_t unload_safe;    /* 0 if the client library must never be dlclose()d */
    const dbmig_dialect_sql *sql; /* the SQL the core needs; NULL: all defaults, no lease */

    /* --- ABI 2.0: state (optional, both or neither) --- */
    /* Called once per dbmig handle before any other method, *self NULL on
     * entry. On failure return DBMIG_DRV_ERROR with err filled; the core
     * then calls nothing else (not fini). */
    int (*init)(const dbmig_host *host, void **self, dbmig_db_error *err);
    /* Called once when the handle closes, after every connection is closed. */
    void (*fini)(void *self);

    /* --- ABI 2.0: required --- */
    /* Connect from the full URL as the user gave it. On failure return
     * DBMIG_DRV_ERROR with err filled (never containing a password) and
     * *out untouched. */
    int (*connect)(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
                   dbmig_db_error *err);
    void (*close)(void *self, dbmig_conn *conn);

    /* Run one statement (no result rows expected). affected may be NULL. */
    int (*exec)(void *self, dbmig_conn *conn, const char *sql, size_t len, int64_t *affected);
    /* Run one query and call fn for each row. */
    int (*query)(void *self, dbmig_conn *conn, const char *sql, dbmig_row_fn fn,
                 void *payload);

    int (*begin)(void *self, dbmig_conn *conn);
    int (*commit)(void *self, dbmig_conn *conn);
    int (*rollback)(void *self, dbmig_conn *conn);

    /* Try once, without waiting, to take the migration lock named `key` (the
     * core builds it from the version table's qualified name). *acquired is
     * set to 1 or 0. When not acquired and the driver can tell, holder
     * receives who holds it ("pid 1234 on host x"), else "". The core owns
     * the waiting and the time-out. The lock must be released by the server
     * or the OS when the process or connection dies. */
    int (*try_lock)(void *self, dbmig_conn *conn, const char *key, int *acquired, char *holder,
                    size_t holder_cap);
    int (*unlock)(void *self, dbmig_conn *conn, const char *key);

    /* Catalog look-up in the connection's current schema. *exists = 0/1. */
    int (*table_exists)(void *self, dbmig_conn *conn, const char *table, int *exists);

    dbmig_quote_fn quote_ident;
    dbmig_quote_fn quote_literal;

    const dbmig_db_error *(*last_error)(void *self, const dbmig_conn *conn);

    /* --- ABI 2.0: optional (may be NULL) --- */
    /* Catalog look-ups for the portable DDL forms (SPEC 9); without them
     * the statement goes to the database as written. */
    int (*column_exists)(void *self, dbmig_conn *conn, const char *table, const char *column,
                         int *exists);
    /* table may be NULL: any table. When found and table_out is non-NULL,
     * the owning table's name is written there (for DROP INDEX ... ON t). */
    int (*index_exists)(void *self, dbmig_conn *conn, const char *table, const char *index,
                        int *exists, char *table_out, size_t table_cap);
    /* The server's version as text ("16.2", "10.11.6-MariaDB"). */
    int (*server_version)(void *self, dbmig_conn *conn, char *out, size_t cap);
    /* Capabilities that depend on the server the connection reached
     * (MariaDB vs MySQL); defaults to caps. */
    uint32_t (*conn_caps)(void *self, const dbmig_conn *conn);
    /* Ask the database to abandon the statement running on conn, from
     * ANOTHER thread while exec() or query() runs there (dbmig_cancel); the
     * running call then fails. Must be safe to call at any time while conn
     * is open (a no-op when nothing runs) and must not use conn's own socket
     * for the request. Without it a stop waits for the running statement's
     * end. */
    int (*cancel)(void *self, dbmig_conn *conn);

    /* --- ABI 2.1: optional (may be NULL) --- */
    /* Describe the connection's current schema (its database on MySQL,
     * current_schema() on PostgreSQL, main on SQLite) through fn, see
     * dbmig_schema_object. A few catalog queries, one per object kind,
     * never one per table. Without it schema dump, drift and test are
     * refused naming the driver. */
    int (*inspect)(void *self, dbmig_conn *conn, dbmig_schema_fn fn, void *payload);
    /* Create an empty scratch database called `name` (the core makes it:
     * "dbmig_scratch_<random>", [a-z0-9_]) next to conn's: on the same
     * server with the same credentials (PostgreSQL, MySQL: CREATE
     * DATABASE), or a new file in the temporary folder (SQLite: conn may
     * then be NULL, when the user's database does not exist yet). Writes
     * into url (cap bytes, NUL-terminated) a URL the core connects to it
     * with; it may hold the password (the core never shows it unredacted).
     * On failure: DBMIG_DRV_ERROR, err filled, nothing left behind. */
    int (*scratch_create)(void *self, dbmig_conn *conn, const char *name, char *url, size_t cap,
                          dbmig_db_error *err);
    /* Remove what scratch_create made (conn: the same connection, never one
     * to the scratch database; the core closes those first). Succeeds when
     * it is already gone. */
    int (*scratch_drop)(void *self, dbmig_conn *conn, const char *name, const char *url,
                        dbmig_db_error *err);

    /* --- appended by later minors: optional methods only, each marked with
     * the minor that added it (batch execution is expected next). Never
     * insert above this line. --- */
} dbmig_driver;

/* The smallest size a table of a given minor may have. */
#define DBMIG_DRIVER_SIZE_2_0 (offsetof(dbmig_driver, cancel) + sizeof(void (*)(void)))
#define DBMIG_DRIVER_SIZE_2_1 (offsetof(dbmig_driver, scratch_drop) + sizeof(void (*)(void)))
/* 2.2 added a schema object kind (DBMIG_SO_ENUM), no method. */
#define DBMIG_DRIVER_SIZE_2_2 DBMIG_DRIVER_SIZE_2_1
/* 2.3 appended to dbmig_dialect_sql (time-outs) and two error kinds, no
 * method. */
#define DBMIG_DRIVER_SIZE_2_3 DBMIG_DRIVER_SIZE_2_1

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

/* Fills the three version fields of a table (a designated initialiser). */
#define DBMIG_DRIVER_HEADER                                                               \
    .abi_major = DBMIG_DRIVER_ABI_MAJOR, .abi_minor = DBMIG_DRIVER_ABI_MINOR,             \
    .size = (uint32_t)sizeof(dbmig_driver)

/* Fills the size of a dbmig_dialect_sql (a designated initialiser). */
#define DBMIG_DIALECT_SQL_HEADER .size = (uint32_t)sizeof(dbmig_dialect_sql)

#ifdef __cplusplus
}
#endif
#endif /* DBMIG_DRIVER_H */
