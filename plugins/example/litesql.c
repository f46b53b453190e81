/* litesql.c — an example third-party dbmig driver: `litesql`, a minimal
 * wrapper around sqlite3, written against <dbmig/driver.h> alone.
 *
 * What a driver must do, in the smallest form that works:
 *   - export one function, dbmig_driver_entry_<name>, returning a constant
 *     table (DBMIG_DRIVER_ENTRY does it) whose name matches the file name
 *     dbmig_<name>.so;
 *   - fill the table's ABI header with DBMIG_DRIVER_HEADER;
 *   - take `self` first in every method (NULL here: this driver has no
 *     init(), so it keeps no state outside its connections);
 *   - give the SQL the core writes for it (ls_sql), or do without what
 *     needs it (no lease SQL: no --lock lease);
 *   - allocate through host->alloc/free, never print, report errors through
 *     its connection's dbmig_db_error;
 *   - provide a migration lock that dies with the process.
 *
 * URL: litesql:path/to/file.db (or litesql::memory:); the scheme lsql: is
 * the same (the table's `schemes` lists both, so an lsql: URL picks this
 * driver without --driver).
 */
#define _DEFAULT_SOURCE /* flock */
#include <dbmig/driver.h>

#include <sqlite3.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct dbmig_conn {
    dbmig_host host;
    sqlite3 *db;
    int lock_fd;
    dbmig_db_error err;
};

static int ls_fail(dbmig_conn *c)
{
    memset(&c->err, 0, sizeof c->err);
    snprintf(c->err.code, sizeof c->err.code, "%d", sqlite3_extended_errcode(c->db));
    snprintf(c->err.message, sizeof c->err.message, "%s", sqlite3_errmsg(c->db));
    return DBMIG_DRV_ERROR;
}

static int ls_connect(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
                      dbmig_db_error *err)
{
    (void)self;
    const char *path = strncmp(url, "litesql:", 8) == 0 ? url + 8
                       : strncmp(url, "lsql:", 5) == 0  ? url + 5
                                                        : NULL;
    if (!path || !*path) {
        memset(err, 0, sizeof *err);
        err->kind = DBMIG_DB_ERR_URL; /* the core: a usage error (exit 2) */
        snprintf(err->message, sizeof err->message, "litesql: expected litesql:<file>");
        return DBMIG_DRV_ERROR;
    }
    dbmig_conn *c = host->alloc(host->payload, sizeof *c);
    if (!c) {
        snprintf(err->message, sizeof err->message, "litesql: out of memory");
        return DBMIG_DRV_ERROR;
    }
    memset(c, 0, sizeof *c);
    c->host = *host;
    c->lock_fd = -1;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err->message, sizeof err->message, "litesql: cannot open %s: %s", path,
                 c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        host->free(host->payload, c);
        return DBMIG_DRV_ERROR;
    }
    sqlite3_busy_timeout(c->db, 10000);
    *out = c;
    return DBMIG_DRV_OK;
}

static void ls_close(void *self, dbmig_conn *c)
{
    (void)self;
    if (c->lock_fd >= 0)
        close(c->lock_fd); /* closing the file releases the flock */
    sqlite3_close_v2(c->db);
    c->host.free(c->host.payload, c);
}

static int ls_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *affected)
{
    (void)self;
    const char *p = sql, *end = sql + len;
    int64_t n = 0;
    while (p < end) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(c->db, p, (int)(end - p), &st, &tail) != SQLITE_OK)
            return ls_fail(c);
        if (!st)
            break;
        sqlite3_int64 before = sqlite3_total_changes64(c->db);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return ls_fail(c);
        if (sqlite3_total_changes64(c->db) != before)
            n += sqlite3_changes64(c->db);
        p = tail;
    }
    if (affected)
        *affected = n;
    return DBMIG_DRV_OK;
}

static int ls_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload)
{
    (void)self;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ls_fail(c);
    int n = sqlite3_column_count(st), rc;
    const char *vals[64];
    size_t lens[64];
    if (n > 64) {
        sqlite3_finalize(st);
        snprintf(c->err.message, sizeof c->err.message, "litesql: at most 64 columns");
        return DBMIG_DRV_ERROR;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            vals[i] = (const char *)sqlite3_column_text(st, i); /* NULL for SQL NULL */
            lens[i] = (size_t)sqlite3_column_bytes(st, i);
        }
        if (fn(payload, n, vals, lens)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? DBMIG_DRV_OK : ls_fail(c);
}

static int ls_begin(void *self, dbmig_conn *c)
{
    return ls_exec(self, c, "BEGIN IMMEDIATE", 15, NULL);
}
static int ls_commit(void *self, dbmig_conn *c) { return ls_exec(self, c, "COMMIT", 6, NULL); }
static int ls_rollback(void *self, dbmig_conn *c) { return ls_exec(self, c, "ROLLBACK", 8, NULL); }

/* The lock: flock on <file>.litesql-lock; the OS drops it when we die. */
static int ls_try_lock(void *self, dbmig_conn *c, const char *key, int *acquired, char *holder,
                       size_t cap)
{
    (void)self;
    (void)key;
    const char *file = sqlite3_db_filename(c->db, "main");
    if (holder && cap)
        holder[0] = '\0';
    if (!file || !*file || c->lock_fd >= 0) { /* memory database, or already ours */
        *acquired = 1;
        return DBMIG_DRV_OK;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s.litesql-lock", file);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(c->err.message, sizeof c->err.message, "litesql: cannot open %.900s", path);
        return DBMIG_DRV_ERROR;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        *acquired = 0;
        return DBMIG_DRV_OK;
    }
    c->lock_fd = fd;
    *acquired = 1;
    return DBMIG_DRV_OK;
}

static int ls_unlock(void *self, dbmig_conn *c, const char *key)
{
    (void)self;
    (void)key;
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    c->lock_fd = -1;
    return DBMIG_DRV_OK;
}

static int ls_lookup(dbmig_conn *c, const char *sql, const char *a, const char *b, int *exists)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ls_fail(c);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ls_fail(c);
    *exists = rc == SQLITE_ROW;
    return DBMIG_DRV_OK;
}

static int ls_table_exists(void *self, dbmig_conn *c, const char *table, int *exists)
{
    (void)self;
    return ls_lookup(c, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", table, NULL,
                     exists);
}

static int ls_column_exists(void *self, dbmig_conn *c, const char *table, const char *column,
                            int *exists)
{
    (void)self;
    return ls_lookup(c, "SELECT 1 FROM pragma_table_info(?1) WHERE name=?2", table, column,
                     exists);
}

static int ls_index_exists(void *self, dbmig_conn *c, const char *table, const char *index,
                           int *exists, char *table_out, size_t cap)
{
    (void)self;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT tbl_name FROM sqlite_master WHERE type='index' AND name=?1 "
                           "AND (?2 IS NULL OR tbl_name=?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return ls_fail(c);
    sqlite3_bind_text(st, 1, index, -1, SQLITE_TRANSIENT);
    if (table)
        sqlite3_bind_text(st, 2, table, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && table_out && cap)
        snprintf(table_out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ls_fail(c);
    *exists = rc == SQLITE_ROW;
    return DBMIG_DRV_OK;
}

static size_t ls_quote(char q, const char *in, size_t inlen, char *out, size_t cap)
{
    size_t o = 0, need = 2;
    for (size_t i = 0; i < inlen; i++)
        need += in[i] == q ? 2 : 1;
    if (!out || cap == 0)
        return need;
    if (o + 1 < cap)
        out[o++] = q;
    for (size_t i = 0; i < inlen; i++) {
        if (in[i] == q && o + 1 < cap)
            out[o++] = q;
        if (o + 1 < cap)
            out[o++] = in[i];
    }
    if (o + 1 < cap)
        out[o++] = q;
    out[o] = '\0';
    return need;
}

static size_t ls_quote_ident(void *self, const dbmig_conn *c, const char *in, size_t n,
                             char *out, size_t cap)
{
    (void)self;
    (void)c;
    return ls_quote('"', in, n, out, cap);
}

static size_t ls_quote_literal(void *self, const dbmig_conn *c, const char *in, size_t n, char *out,
                               size_t cap)
{
    (void)self;
    (void)c;
    return ls_quote('\'', in, n, out, cap);
}

static const dbmig_db_error *ls_last_error(void *self, const dbmig_conn *c)
{
    (void)self;
    return &c->err;
}

static int ls_server_version(void *self, dbmig_conn *c, char *out, size_t cap)
{
    (void)self;
    (void)c;
    snprintf(out, cap, "%s", sqlite3_libversion());
    return DBMIG_DRV_OK;
}

static const char *const ls_schemes[] = {"litesql", "lsql", NULL};

/* The SQL the core writes besides the migrations: SQLite's, including the
 * lease lock's clock (julianday in ms) and no share lock (a write
 * transaction holds the whole file). Fields left out (NULL) take the
 * defaults driver.h names. */
static const dbmig_dialect_sql ls_sql = {
    DBMIG_DIALECT_SQL_HEADER,
    .lease_now_ms = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    .lease_share_lock = "",
    .table_schema = "main",
    .table_schema_why = "an SQLite database has one schema, main",
};

static const dbmig_driver ls_driver = {
    DBMIG_DRIVER_HEADER,
    .name = "litesql",
    .version = "0.1.0",
    .description = "example third-party driver: SQLite through a minimal wrapper",
    .schemes = ls_schemes,
    .caps = DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
            DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS,
    .dialect = DBMIG_DIALECT_SQLITE,
    .unload_safe = 1,
    .sql = &ls_sql,
    .connect = ls_connect,
    .close = ls_close,
    .exec = ls_exec,
    .query = ls_query,
    .begin = ls_begin,
    .commit = ls_commit,
    .rollback = ls_rollback,
    .try_lock = ls_try_lock,
    .unlock = ls_unlock,
    .table_exists = ls_table_exists,
    .column_exists = ls_column_exists,
    .index_exists = ls_index_exists,
    .quote_ident = ls_quote_ident,
    .quote_literal = ls_quote_literal,
    .last_error = ls_last_error,
    .server_version = ls_server_version,
};

DBMIG_DRIVER_ENTRY(litesql, ls_driver)
