/* sqlite.c — the SQLite driver plugin (dbmig_sqlite.so).
 *
 * URLs:  sqlite:path/to/file.db  or  sqlite://path/to/file.db  (relative to
 *        the working folder)
 *        sqlite:/abs/path.db  or  sqlite:///abs/path.db
 *        sqlite::memory:
 *        the scheme may also be written sqlite3:
 *        an optional query ?busy_timeout=MS (default 10000) sets how long a
 *        statement waits for another connection's write lock. No message
 *        shows the query string (a value may be a secret).
 *
 * Creating: a missing file is created unless the host says
 * DBMIG_HOST_NO_CREATE; then connect fails with the kind NODB. A folder, a
 * device or FIFO, a missing folder (when creating) and a file that is not an
 * SQLite database are refused with the kind URL (the core exits 2) and the
 * file is never written. connect() never waits for another connection's
 * lock (busy timeout 0 while it reads the schema): the core's migration
 * lock comes first, so --lock-timeout bounds the wait.
 *
 * Errors: dbmig_db_error.code is SQLite's extended result code as a decimal
 * number ("2067"); detail names its primary code ("SQLITE_CONSTRAINT, extended
 * code 2067: constraint failed"); message is sqlite3_errmsg(); position is
 * sqlite3_error_offset() + 1 counted in characters from the start of the text
 * handed to exec()/query(), 0 when SQLite does not know.
 *
 * Locking: the migration lock is an OS advisory lock (flock LOCK_EX|LOCK_NB)
 * on a file beside the database, `<dbfile>.dbmig-lock` (for a key other than
 * "dbmig_version", `<dbfile>.dbmig-lock-<key>` with the key reduced to
 * [A-Za-z0-9_]). The lock is the flock, not the file: the file may stay on
 * disk for ever, and the OS drops the lock when the process dies. flock locks
 * belong to the open file description, so a second connection of the same
 * process conflicts too. The lock file is opened with O_NOFOLLOW and must be
 * a regular file with one link, owned by the effective user or root: a
 * planted symlink, FIFO, folder, hard link or another user's file is
 * refused, never written through. The holder writes "pid <pid> on host <host>" into
 * the file so that a waiting process can say whom it waits for. An in-memory
 * database is private to its connection: the lock is always acquired.
 *
 * Schema (ABI 2.1): inspect() reads the `main` schema (inspect.c says how)
 * inside a savepoint, so its few catalog queries see one snapshot. A scratch
 * database is a new file <TMPDIR or /tmp>/<name>.db, created with O_EXCL
 * (never an existing file), URL sqlite:<path>; scratch_drop removes it with
 * its -journal, -wal, -shm and lock files, and nothing but a file named
 * <name>.db.
 *
 * Memory: everything this driver allocates comes from host->alloc/free.
 */
#define _GNU_SOURCE /* gethostname, flock */
#include <dbmig/driver.h>

#include <sqlite3.h>

#include "inspect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ_DEFAULT_BUSY_MS 10000
#define SQ_LOCK_SUFFIX ".dbmig-lock"
#define SQ_DEFAULT_KEY "dbmig_version"

struct dbmig_conn {
    dbmig_host host;
    sqlite3 *db;
    int memory;
    int lock_fd; /* -1 when no lock is held */
    char *lock_key;
    dbmig_db_error err;
    /* query() row buffers, grown as needed */
    const char **vals;
    size_t *lens;
    char (*ints)[24]; /* integer columns as text, one buffer per column */
    int vcap;
};

/* ---- small helpers ------------------------------------------------------ */

static void *sq_alloc(dbmig_conn *c, size_t n) { return c->host.alloc(c->host.payload, n); }
static void sq_free(dbmig_conn *c, void *p)
{
    if (p)
        c->host.free(c->host.payload, p);
}

static char *sq_strndup(dbmig_conn *c, const char *s, size_t n)
{
    char *p = sq_alloc(c, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void sq_err_clear(dbmig_db_error *e)
{
    e->kind = DBMIG_DB_ERR_GENERIC;
    e->code[0] = e->message[0] = e->detail[0] = e->hint[0] = '\0';
    e->position = 0;
}

static const char *sq_primary_name(int rc)
{
    static const char *const names[] = {
        "SQLITE_OK",       "SQLITE_ERROR",    "SQLITE_INTERNAL", "SQLITE_PERM",
        "SQLITE_ABORT",    "SQLITE_BUSY",     "SQLITE_LOCKED",   "SQLITE_NOMEM",
        "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR",   "SQLITE_CORRUPT",
        "SQLITE_NOTFOUND", "SQLITE_FULL",     "SQLITE_CANTOPEN", "SQLITE_PROTOCOL",
        "SQLITE_EMPTY",    "SQLITE_SCHEMA",   "SQLITE_TOOBIG",   "SQLITE_CONSTRAINT",
        "SQLITE_MISMATCH", "SQLITE_MISUSE",   "SQLITE_NOLFS",    "SQLITE_AUTH",
        "SQLITE_FORMAT",   "SQLITE_RANGE",    "SQLITE_NOTADB",   "SQLITE_NOTICE",
        "SQLITE_WARNING",
    };
    int p = rc & 0xff;
    return p >= 0 && p < (int)(sizeof names / sizeof names[0]) ? names[p] : "SQLITE_?";
}

/* 1-based character position of byte offset off inside s, 0 if off < 0. */
static int sq_char_pos(const char *s, size_t slen, int off)
{
    if (off < 0 || (size_t)off > slen)
        return 0;
    int chars = 0;
    for (int i = 0; i < off; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars++;
    return chars + 1;
}

/* Fills c->err from the connection's last error. base/base_len/off_base: the
 * whole text handed in and where the failing statement starts inside it. */
static int sq_fail(dbmig_conn *c, int rc, const char *base, size_t base_len, size_t off_base)
{
    dbmig_db_error *e = &c->err;
    int ext = c->db ? sqlite3_extended_errcode(c->db) : rc;
    if (ext == SQLITE_OK)
        ext = rc;
    snprintf(e->code, sizeof e->code, "%d", ext);
    snprintf(e->message, sizeof e->message, "%s",
             c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    snprintf(e->detail, sizeof e->detail, "%s, extended code %d: %s", sq_primary_name(ext), ext,
             sqlite3_errstr(ext));
    e->hint[0] = '\0';
    if ((ext & 0xff) == SQLITE_READONLY && c->db) {
        /* SQLite opens a file it may not write read-only without a word:
         * say which file, and why, in the message the core shows. */
        const char *f = sqlite3_db_filename(c->db, "main");
        size_t l = strlen(e->message);
        snprintf(e->message + l, sizeof e->message - l,
                 " (%s or its folder is not writable by this user: check the permissions, or "
                 "point the URL at a copy you may write)",
                 f && *f ? f : "the database file");
    }
    if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
        snprintf(e->hint, sizeof e->hint,
                 "another connection holds the database: let it finish, or let each statement "
                 "wait longer (--ddl-lock-timeout DURATION when given, else ?busy_timeout=MS "
                 "in the URL)");
    /* The kind the core acts on (driver.h): the busy time-out ran out
     * (another connection holds the write lock; --ddl-lock-timeout sets
     * it). SQLITE_LOCKED (a conflict inside this connection's own shared
     * cache) is no wait and stays GENERIC. */
    e->kind = (ext & 0xff) == SQLITE_BUSY ? DBMIG_DB_ERR_LOCK_TIMEOUT : DBMIG_DB_ERR_GENERIC;
    e->position = 0;
    if (base && c->db) {
        int off = sqlite3_error_offset(c->db);
        if (off >= 0)
            e->position = sq_char_pos(base, base_len, (int)(off_base + (size_t)off));
    }
    return DBMIG_DRV_ERROR;
}

static int sq_fail_msg(dbmig_conn *c, const char *code, const char *msg, const char *hint)
{
    sq_err_clear(&c->err);
    snprintf(c->err.code, sizeof c->err.code, "%s", code);
    snprintf(c->err.message, sizeof c->err.message, "%s", msg);
    if (hint)
        snprintf(c->err.hint, sizeof c->err.hint, "%s", hint);
    return DBMIG_DRV_ERROR;
}

/* ---- connect / close ---------------------------------------------------- */

static void sq_set_err(dbmig_db_error *err, const char *code, const char *hint, const char *fmt,
                       const char *a, const char *b)
{
    if (!err)
        return;
    sq_err_clear(err);
    snprintf(err->code, sizeof err->code, "%s", code);
    snprintf(err->message, sizeof err->message, fmt, a, b);
    if (hint)
        snprintf(err->hint, sizeof err->hint, "%s", hint);
}

/* A failure the core acts on (driver.h): its kind, no code of SQLite's. */
static void sq_set_kind(dbmig_db_error *err, uint32_t kind, const char *hint, const char *fmt,
                        const char *a, const char *b)
{
    sq_set_err(err, "", hint, fmt, a, b);
    if (err)
        err->kind = kind;
}

/* Parses the URL into path (pointer+length inside url) and the busy time-out. */
static int sq_parse_url(const char *url, const char **path, size_t *plen, int *busy_ms,
                        dbmig_db_error *err)
{
    static const char *const schemes[] = {"sqlite3:", "sqlite:"};
    const char *rest = NULL;
    for (size_t i = 0; i < 2 && !rest; i++) {
        size_t n = strlen(schemes[i]);
        if (strncasecmp(url, schemes[i], n) == 0)
            rest = url + n;
    }
    if (!rest) {
        /* Only the scheme: the rest may hold a password. */
        size_t sn = strcspn(url, ":/?@");
        char scheme[32];
        snprintf(scheme, sizeof scheme, "%.*s", (int)(sn < 31 ? sn : 31), url);
        sq_set_kind(err, DBMIG_DB_ERR_URL, "write sqlite:path/to/file.db or sqlite::memory:",
                   "not a SQLite URL (its scheme is '%s')%s", scheme, "");
        return -1;
    }
    if (strncmp(rest, "//", 2) == 0)
        rest += 2; /* sqlite:///abs/path.db is /abs/path.db; sqlite://rel.db is rel.db */
    const char *q = strchr(rest, '?');
    *path = rest;
    *plen = q ? (size_t)(q - rest) : strlen(rest);
    *busy_ms = SQ_DEFAULT_BUSY_MS;
    if (*plen == 0) {
        /* Never the query string: a value may be a secret. */
        char shown[16];
        size_t sn = (size_t)(rest - url);
        snprintf(shown, sizeof shown, "%.*s", (int)(sn < 15 ? sn : 15), url);
        sq_set_kind(err, DBMIG_DB_ERR_URL, "write sqlite:path/to/file.db or sqlite::memory:",
                   "no database file in the SQLite URL '%s%s'", shown, q ? "?..." : "");
        return -1;
    }
    while (q && *q) {
        q++; /* skip '?' or '&' */
        const char *end = strchr(q, '&');
        size_t n = end ? (size_t)(end - q) : strlen(q);
        if (n > 13 && strncmp(q, "busy_timeout=", 13) == 0) {
            char num[16];
            size_t dl = n - 13;
            if (dl >= sizeof num)
                dl = sizeof num - 1;
            memcpy(num, q + 13, dl);
            num[dl] = '\0';
            char *e;
            errno = 0;
            long v = strtol(num, &e, 10);
            if (*e || errno || v < 0 || v > 86400000L) {
                sq_set_kind(err, DBMIG_DB_ERR_URL,
                            "busy_timeout is a number of milliseconds, e.g. ?busy_timeout=5000",
                           "bad busy_timeout '%.20s' in the SQLite URL%s", num, "");
                return -1;
            }
            *busy_ms = (int)v;
        } else if (n > 0) {
            /* The name only: a value may be a secret. */
            const char *eq = memchr(q, '=', n);
            size_t kn = eq ? (size_t)(eq - q) : n;
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(kn < 63 ? kn : 63), q);
            sq_set_kind(err, DBMIG_DB_ERR_URL, "the SQLite driver knows only ?busy_timeout=MS",
                       "unknown parameter '%s' in the SQLite URL%s", key, "");
            return -1;
        }
        q = end;
    }
    return 0;
}

/* Appends s to the NUL-terminated out[cap], cutting what does not fit. */
static void sq_cat(char *out, size_t cap, const char *s)
{
    size_t o = strlen(out), n = strlen(s);
    if (o + 1 >= cap)
        return;
    if (n > cap - 1 - o)
        n = cap - 1 - o;
    memcpy(out + o, s, n);
    out[o + n] = '\0';
}

/* The path as given, and where it resolves when it is relative:
 * "app.db (/srv/x/app.db)". */
static void sq_show_path(const char *file, char *out, size_t cap)
{
    char cwd[2048];
    if (!cap)
        return;
    out[0] = '\0';
    sq_cat(out, cap, file);
    if (file[0] != '/' && getcwd(cwd, sizeof cwd)) {
        sq_cat(out, cap, " (");
        sq_cat(out, cap, cwd);
        sq_cat(out, cap, "/");
        sq_cat(out, cap, file);
        sq_cat(out, cap, ")");
    }
}

/* Length of the folder part of file ("" -> 0, "a/b.db" -> 1, "/x.db" -> 1). */
static size_t sq_dir_len(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return 0;
    return slash == file ? 1 : (size_t)(slash - file);
}

/* Checks what the path names before SQLite opens it: a folder or a device
 * is refused (exit 2 through the kind URL); a missing file is reported
 * with the kind NODB when the core asked not to create one, or when its
 * folder is missing. Returns 0 to go on. */
static int sq_check_path(const char *file, int no_create, dbmig_db_error *err)
{
    struct stat st;
    char shown[700];
    sq_show_path(file, shown, sizeof shown);
    if (stat(file, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            sq_set_kind(err, DBMIG_DB_ERR_URL, "name a file inside it, e.g. sqlite:<folder>/app.db",
                       "the SQLite database path %s is a folder, not a file%s", shown, "");
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            sq_set_kind(err, DBMIG_DB_ERR_URL, "point the URL at a regular file",
                       "the SQLite database path %s is not a regular file (a device, FIFO or "
                       "socket)%s", shown, "");
            return -1;
        }
        return 0;
    }
    if (errno != ENOENT)
        return 0; /* SQLite reports it, with its own words */
    char dir[1024];
    size_t dl = sq_dir_len(file);
    if (dl >= sizeof dir)
        dl = sizeof dir - 1;
    memcpy(dir, file, dl);
    dir[dl] = '\0';
    struct stat dst;
    int dir_missing = dl > 0 && stat(dir, &dst) != 0;
    if (no_create) {
        if (err) {
            sq_set_kind(err, DBMIG_DB_ERR_NODB, NULL,
                       "the SQLite database file %s does not exist%s", shown,
                       dir_missing ? " (nor does its folder)" : "");
            snprintf(err->hint, sizeof err->hint, "%s",
                     dir_missing ? "create the folder (mkdir -p) or fix the path in the URL: "
                                   "`dbmig upgrade` creates the database file, not its folder"
                                 : "check the path in the URL; `dbmig upgrade` creates a new "
                                   "database");
        }
        return -1;
    }
    if (dir_missing) {
        sq_set_kind(err, DBMIG_DB_ERR_URL,
                    "create the folder first (mkdir -p) or fix the path in the URL",
                   "the folder of the SQLite database %s does not exist%s", shown, "");
        return -1;
    }
    return 0;
}

static int sq_connect(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
                      dbmig_db_error *err)
{
    (void)self;
    if (!host || !host->alloc || !host->free || !url) {
        sq_set_err(err, "ARG", NULL, "sqlite: connect needs a host table and a URL%s%s", "", "");
        return DBMIG_DRV_ERROR;
    }
    const char *path;
    size_t plen;
    int busy_ms;
    if (sq_parse_url(url, &path, &plen, &busy_ms, err))
        return DBMIG_DRV_ERROR;
    int no_create = (host->flags & DBMIG_HOST_NO_CREATE) != 0;

    dbmig_conn *c = host->alloc(host->payload, sizeof *c);
    if (!c) {
        sq_set_err(err, "NOMEM", NULL, "sqlite: out of memory%s%s", "", "");
        return DBMIG_DRV_ERROR;
    }
    memset(c, 0, sizeof *c);
    size_t hs = host->size && host->size < sizeof c->host ? host->size : sizeof c->host;
    memcpy(&c->host, host, hs);
    c->lock_fd = -1;
    char *file = sq_strndup(c, path, plen);
    if (!file) {
        host->free(host->payload, c);
        sq_set_err(err, "NOMEM", NULL, "sqlite: out of memory%s%s", "", "");
        return DBMIG_DRV_ERROR;
    }
    c->memory = strcmp(file, ":memory:") == 0;
    if (!c->memory && sq_check_path(file, no_create, err)) {
        sq_free(c, file);
        host->free(host->payload, c);
        return DBMIG_DRV_ERROR;
    }
    /* NOMUTEX: the ABI gives a connection to one thread at a time, so the
     * connection's own mutex (taken on every call) is not needed. */
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (no_create ? 0 : SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(file, &c->db, oflags, NULL);
    /* Read the header and the schema now, without waiting for another
     * connection's lock (busy timeout 0): waiting here, before the core has
     * taken the migration lock, would outlast --lock-timeout while another
     * dbmig writes. A busy database is read later, under the lock, with the
     * busy timeout. Reading now tells a file that is no database (SQLite
     * would refuse every statement; dbmig must never write into it), and
     * the first thing the core does is a schema lookup: done while
     * connecting, it overlaps with the core reading the migration files on
     * another thread (~3 ms for 2,000 tables). */
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(c->db, 1);
        sqlite3_busy_timeout(c->db, 0);
        rc = sqlite3_exec(c->db, "SELECT 1 FROM sqlite_master LIMIT 0", NULL, NULL, NULL);
        if ((rc & 0xff) == SQLITE_NOTADB) {
            if (err) {
                char shown[700];
                sq_show_path(file, shown, sizeof shown);
                sq_err_clear(err);
                err->kind = DBMIG_DB_ERR_URL;
                snprintf(err->message, sizeof err->message,
                         "%s is not an SQLite database (%s); dbmig leaves it untouched: check "
                         "the path in the URL",
                         shown, sqlite3_errstr(rc));
            }
            sqlite3_close(c->db);
            sq_free(c, file);
            host->free(host->payload, c);
            return DBMIG_DRV_ERROR;
        }
        rc = SQLITE_OK; /* busy or otherwise: left to the first real statement */
    }
    if (rc != SQLITE_OK) {
        if (err) {
            sq_err_clear(err);
            int ext = c->db ? sqlite3_extended_errcode(c->db) : rc;
            snprintf(err->code, sizeof err->code, "%d", ext);
            snprintf(err->message, sizeof err->message, "cannot open SQLite database %s: %s", file,
                     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
            snprintf(err->hint, sizeof err->hint,
                     "check that the folder exists and that you may write to it");
        }
        sqlite3_close(c->db);
        sq_free(c, file);
        host->free(host->payload, c);
        return DBMIG_DRV_ERROR;
    }
    sq_free(c, file);
    sqlite3_busy_timeout(c->db, busy_ms);
    *out = c;
    return DBMIG_DRV_OK;
}

static void sq_unlock_fd(dbmig_conn *c)
{
    if (c->lock_fd >= 0) {
        flock(c->lock_fd, LOCK_UN);
        close(c->lock_fd);
        c->lock_fd = -1;
    }
    sq_free(c, c->lock_key);
    c->lock_key = NULL;
}

static void sq_close(void *self, dbmig_conn *c)
{
    (void)self;
    if (!c)
        return;
    sq_unlock_fd(c);
    sqlite3_close_v2(c->db);
    sq_free(c, c->vals);
    sq_free(c, c->lens);
    sq_free(c, c->ints);
    c->host.free(c->host.payload, c);
}

/* ABI 1.1: abandon the running statement, from another thread (SQLite
 * allows sqlite3_interrupt there; a no-op when nothing runs). */
static int sq_cancel(void *self, dbmig_conn *c)
{
    (void)self;
    if (!c || !c->db)
        return DBMIG_DRV_ERROR;
    sqlite3_interrupt(c->db);
    return DBMIG_DRV_OK;
}

/* ---- statements --------------------------------------------------------- */

static int sq_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *affected)
{
    (void)self;
    sq_err_clear(&c->err);
    if (affected)
        *affected = 0;
    int64_t total = 0;
    const char *p = sql, *end = sql + len;
    while (p < end) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v3(c->db, p, (int)(end - p), 0, &st, &tail);
        if (rc != SQLITE_OK)
            return sq_fail(c, rc, sql, len, (size_t)(p - sql));
        if (!st) /* only white space or comments left */
            break;
        /* sqlite3_changes64() is not reset by DDL: count a statement's
         * changes only when the total moved while it ran. */
        sqlite3_int64 before = sqlite3_total_changes64(c->db);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        if (rc != SQLITE_DONE) {
            sq_fail(c, rc, sql, len, (size_t)(p - sql));
            sqlite3_finalize(st);
            return DBMIG_DRV_ERROR;
        }
        if (sqlite3_total_changes64(c->db) != before)
            total += sqlite3_changes64(c->db);
        sqlite3_finalize(st);
        p = tail ? tail : end;
    }
    if (affected)
        *affected = total;
    return DBMIG_DRV_OK;
}

/* v in decimal into out (24 bytes); returns the length. */
static size_t sq_i64_text(sqlite3_int64 v, char *out)
{
    char tmp[24];
    size_t n = 0;
    /* Through the unsigned magnitude: -INT64_MIN does not fit. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    while (n)
        out[o++] = tmp[--n];
    out[o] = '\0';
    return o;
}

static int sq_grow_row(dbmig_conn *c, int n)
{
    if (n <= c->vcap)
        return 0;
    const char **v = sq_alloc(c, (size_t)n * sizeof *v);
    size_t *l = sq_alloc(c, (size_t)n * sizeof *l);
    char(*ints)[24] = sq_alloc(c, (size_t)n * sizeof *ints);
    if (!v || !l || !ints) {
        sq_free(c, (void *)v);
        sq_free(c, l);
        sq_free(c, ints);
        return -1;
    }
    sq_free(c, (void *)c->vals);
    sq_free(c, c->lens);
    sq_free(c, c->ints);
    c->vals = v;
    c->lens = l;
    c->ints = ints;
    c->vcap = n;
    return 0;
}

static int sq_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload)
{
    (void)self;
    sq_err_clear(&c->err);
    size_t len = strlen(sql);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, (int)len, 0, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(c, rc, sql, len, 0);
    if (!st)
        return DBMIG_DRV_OK;
    int n = sqlite3_column_count(st);
    if (sq_grow_row(c, n)) {
        sqlite3_finalize(st);
        return sq_fail_msg(c, "NOMEM", "sqlite: out of memory", NULL);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            int type = sqlite3_column_type(st, i);
            if (type == SQLITE_NULL) {
                c->vals[i] = NULL;
                c->lens[i] = 0;
            } else if (type == SQLITE_INTEGER) {
                /* Formatted here: sqlite3_column_text would convert the
                 * value in place, allocating (the version table is read
                 * at every start, four integers a row). */
                c->lens[i] = sq_i64_text(sqlite3_column_int64(st, i), c->ints[i]);
                c->vals[i] = c->ints[i];
            } else {
                c->vals[i] = (const char *)sqlite3_column_text(st, i);
                c->lens[i] = (size_t)sqlite3_column_bytes(st, i);
                if (!c->vals[i]) { /* out of memory converting to text */
                    sqlite3_finalize(st);
                    return sq_fail_msg(c, "NOMEM", "sqlite: out of memory", NULL);
                }
            }
        }
        if (fn && fn(payload, n, c->vals, c->lens) != 0) {
            sqlite3_finalize(st);
            return DBMIG_DRV_OK;
        }
    }
    if (rc != SQLITE_DONE) {
        sq_fail(c, rc, sql, len, 0);
        sqlite3_finalize(st);
        return DBMIG_DRV_ERROR;
    }
    sqlite3_finalize(st);
    return DBMIG_DRV_OK;
}

static int sq_simple(dbmig_conn *c, const char *sql)
{
    return sq_exec(NULL, c, sql, strlen(sql), NULL);
}
static int sq_begin(void *self, dbmig_conn *c)
{
    (void)self;
    return sq_simple(c, "BEGIN IMMEDIATE");
}
static int sq_commit(void *self, dbmig_conn *c) { (void)self; return sq_simple(c, "COMMIT"); }
static int sq_rollback(void *self, dbmig_conn *c) { (void)self; return sq_simple(c, "ROLLBACK"); }

/* ---- the migration lock ------------------------------------------------- */

static char *sq_lock_path(dbmig_conn *c, const char *key)
{
    const char *db = sqlite3_db_filename(c->db, "main");
    if (!db || !*db)
        return NULL;
    size_t dl = strlen(db), kl = key ? strlen(key) : 0;
    int plain = !key || !*key || strcmp(key, SQ_DEFAULT_KEY) == 0;
    size_t n = dl + sizeof SQ_LOCK_SUFFIX + (plain ? 0 : kl + 1);
    char *p = sq_alloc(c, n);
    if (!p)
        return NULL;
    memcpy(p, db, dl); // NOLINT(bugprone-not-null-terminated-result): the NUL comes next
    memcpy(p + dl, SQ_LOCK_SUFFIX, sizeof SQ_LOCK_SUFFIX); /* with its NUL */
    if (!plain) {
        char *q = p + dl + sizeof SQ_LOCK_SUFFIX - 1;
        *q++ = '-';
        for (size_t i = 0; i < kl; i++) {
            char ch = key[i];
            int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '_';
            *q++ = ok ? ch : '_';
        }
        *q = '\0';
    }
    return p;
}

/* Opens (creating it if needed) the lock file, refusing what could make the
 * holder's write land elsewhere: a symbolic link (its target would be
 * overwritten), anything but a regular file (a FIFO would block, a device
 * be written to), a file with other names (a hard link), and a file owned
 * by another user (who could swap it). Root's files are accepted: only
 * root can have made them. Returns the descriptor, or -1 with c->err set. */
static int sq_open_lock_file(dbmig_conn *c, const char *path)
{
    char msg[sizeof c->err.message];
    const char *what = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0) {
        int e = errno;
        struct stat lst;
        if (e == ELOOP || (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)))
            what = "is a symbolic link; dbmig does not follow it (the lock would overwrite the "
                   "file it points to)";
        else if (e == EISDIR)
            what = "is a folder";
        if (what) {
            snprintf(msg, sizeof msg,
                     "the lock file %s %s: remove it (nothing else should be there) and run "
                     "again",
                     path, what);
            return sq_fail_msg(c, "LOCK", msg, NULL);
        }
        if (e == EACCES && lstat(path, &lst) == 0) {
            snprintf(msg, sizeof msg,
                     "cannot open the lock file %s: %s (it belongs to uid %ld, mode %03o); "
                     "run dbmig as the user who owns the database, or remove the lock file",
                     path, strerror(e), (long)lst.st_uid, (unsigned)(lst.st_mode & 0777));
            return sq_fail_msg(c, "LOCK", msg, NULL);
        }
        snprintf(msg, sizeof msg,
                 "cannot open the lock file %s: %s; the lock file lives beside the database: "
                 "make its folder writable",
                 path, strerror(e));
        return sq_fail_msg(c, "LOCK", msg, NULL);
    }
    struct stat st;
    char owner[64] = "";
    if (fstat(fd, &st) != 0) {
        snprintf(msg, sizeof msg, "cannot inspect the lock file %s: %s", path, strerror(errno));
        close(fd);
        return sq_fail_msg(c, "LOCK", msg, NULL);
    }
    if (!S_ISREG(st.st_mode)) {
        what = S_ISFIFO(st.st_mode) ? "is a FIFO, not a regular file"
               : S_ISSOCK(st.st_mode) ? "is a socket, not a regular file"
                                       : "is not a regular file";
    } else if (st.st_nlink > 1) {
        what = "has other names (hard links); dbmig writes into it and will not write into a "
               "file that is also elsewhere";
    } else if (st.st_uid != geteuid() && st.st_uid != 0) {
        snprintf(owner, sizeof owner, "is owned by uid %ld, not by you (uid %ld)",
                 (long)st.st_uid, (long)geteuid());
        what = owner;
    }
    if (what) {
        snprintf(msg, sizeof msg,
                 "the lock file %s %s: remove it (nothing else should be there) and run again",
                 path, what);
        close(fd);
        return sq_fail_msg(c, "LOCK", msg, NULL);
    }
    return fd;
}

static int sq_try_lock(void *self, dbmig_conn *c, const char *key, int *acquired, char *holder,
                       size_t holder_cap)
{
    (void)self;
    sq_err_clear(&c->err);
    *acquired = 0;
    if (holder && holder_cap)
        holder[0] = '\0';
    if (c->memory) {
        *acquired = 1; /* a memory database is private to this connection */
        return DBMIG_DRV_OK;
    }
    if (c->lock_fd >= 0) {
        int same = (!key && !c->lock_key) ||
                   (key && c->lock_key && strcmp(key, c->lock_key) == 0);
        if (same) {
            *acquired = 1;
            return DBMIG_DRV_OK;
        }
        return sq_fail_msg(c, "LOCK", "sqlite: this connection already holds another lock",
                           "unlock it first");
    }
    char *path = sq_lock_path(c, key);
    if (!path)
        return sq_fail_msg(c, "NOMEM", "sqlite: cannot build the lock file name", NULL);
    int fd = sq_open_lock_file(c, path);
    if (fd < 0) {
        sq_free(c, path);
        return DBMIG_DRV_ERROR;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK || e == EINTR) {
            if (holder && holder_cap > 1) {
                ssize_t r = pread(fd, holder, holder_cap - 1, 0);
                holder[r > 0 ? r : 0] = '\0';
                char *nl = strchr(holder, '\n');
                if (nl)
                    *nl = '\0';
            }
            close(fd);
            sq_free(c, path);
            return DBMIG_DRV_OK;
        }
        char msg[sizeof c->err.message];
        snprintf(msg, sizeof msg, "cannot lock %s: %s", path, strerror(e));
        close(fd);
        sq_free(c, path);
        return sq_fail_msg(c, "LOCK", msg, NULL);
    }
    sq_free(c, path);
    char who[300], host[256];
    if (gethostname(host, sizeof host) != 0)
        strcpy(host, "?");
    host[sizeof host - 1] = '\0';
    int n = snprintf(who, sizeof who, "pid %ld on host %s\n", (long)getpid(), host);
    /* Overwrite in place and cut only what is left of a longer line: a
     * truncation to 0 first frees the file's block and the write allocates
     * it again, filesystem journal work at every run (~0.1-0.3 ms). */
    if (n > 0 && pwrite(fd, who, (size_t)n, 0) == n) {
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > n && ftruncate(fd, n) != 0) {
            /* only informative: readers stop at the first newline anyway */
        }
    }
    c->lock_fd = fd;
    c->lock_key = key ? sq_strndup(c, key, strlen(key)) : NULL;
    *acquired = 1;
    return DBMIG_DRV_OK;
}

static int sq_unlock(void *self, dbmig_conn *c, const char *key)
{
    (void)self;
    (void)key;
    sq_err_clear(&c->err);
    sq_unlock_fd(c);
    return DBMIG_DRV_OK;
}

/* ---- catalog ------------------------------------------------------------ */

/* Runs a one-row look-up with up to two text parameters (NULL binds NULL);
 * *found = 1 when a row came back; its first column goes to out. */
static int sq_lookup(dbmig_conn *c, const char *sql, const char *a, const char *b, int *found,
                     char *out, size_t cap)
{
    sq_err_clear(&c->err);
    *found = 0;
    sqlite3_stmt *st = NULL;
    size_t len = strlen(sql);
    int rc = sqlite3_prepare_v3(c->db, sql, (int)len, 0, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(c, rc, NULL, 0, 0);
    if ((a && sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
        (b && sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT) != SQLITE_OK)) {
        sq_fail(c, SQLITE_ERROR, NULL, 0, 0);
        sqlite3_finalize(st);
        return DBMIG_DRV_ERROR;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = 1;
        if (out && cap) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            snprintf(out, cap, "%s", t ? t : "");
        }
    } else if (rc != SQLITE_DONE) {
        sq_fail(c, rc, NULL, 0, 0);
        sqlite3_finalize(st);
        return DBMIG_DRV_ERROR;
    }
    sqlite3_finalize(st);
    return DBMIG_DRV_OK;
}

static int sq_table_exists(void *self, dbmig_conn *c, const char *table, int *exists)
{
    (void)self;
    return sq_lookup(c,
                     "SELECT name FROM sqlite_master WHERE type = 'table' "
                     "AND name = ?1 COLLATE NOCASE",
                     table, NULL, exists, NULL, 0);
}

static int sq_column_exists(void *self, dbmig_conn *c, const char *table, const char *column,
                            int *exists)
{
    (void)self;
    return sq_lookup(c, "SELECT name FROM pragma_table_info(?1) WHERE name = ?2 COLLATE NOCASE",
                     table, column, exists, NULL, 0);
}

static int sq_index_exists(void *self, dbmig_conn *c, const char *table, const char *index,
                           int *exists, char *table_out, size_t table_cap)
{
    (void)self;
    return sq_lookup(c,
                     "SELECT tbl_name FROM sqlite_master WHERE type = 'index' "
                     "AND name = ?2 COLLATE NOCASE "
                     "AND (?1 IS NULL OR tbl_name = ?1 COLLATE NOCASE)",
                     table, index, exists, table_out, table_cap);
}

/* ---- quoting (conn may be NULL) ----------------------------------------- */

static size_t sq_quote(char q, const char *in, size_t inlen, char *out, size_t cap)
{
    size_t need = 2;
    for (size_t i = 0; i < inlen; i++)
        need += in[i] == q ? 2 : 1;
    if (out && cap) {
        size_t o = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 < cap)                                                                           \
            out[o++] = (ch);                                                                       \
    } while (0)
        PUT(q);
        for (size_t i = 0; i < inlen; i++) {
            if (in[i] == q)
                PUT(q);
            PUT(in[i]);
        }
        PUT(q);
#undef PUT
        out[o] = '\0';
    }
    return need;
}

static size_t sq_quote_ident(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                             char *out, size_t cap)
{
    (void)self;
    (void)c;
    return sq_quote('"', in, inlen, out, cap);
}

static size_t sq_quote_literal(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                               char *out, size_t cap)
{
    (void)self;
    (void)c;
    return sq_quote('\'', in, inlen, out, cap);
}

/* ---- schema inspection (ABI 2.1, inspect.c) ---------------------------- */

/* The catalog queries run inside a savepoint, so that they read one
 * snapshot also outside a transaction (inside one, the savepoint nests). */
static int sq_inspect(void *self, dbmig_conn *c, dbmig_schema_fn fn, void *payload)
{
    (void)self;
    sq_err_clear(&c->err);
    if (!fn)
        return sq_fail_msg(c, "ARG", "sqlite: inspect needs a callback", NULL);
    int rc = sqlite3_exec(c->db, "SAVEPOINT dbmig_inspect", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(c, rc, NULL, 0, 0);
    rc = sqi_inspect(c->db, &c->host, fn, payload);
    if (rc == SQLITE_NOMEM)
        sq_fail_msg(c, "NOMEM", "sqlite: out of memory while inspecting the schema", NULL);
    else if (rc != SQLITE_OK)
        sq_fail(c, rc, NULL, 0, 0);
    /* read only: releasing is the same as rolling back */
    int rel = sqlite3_exec(c->db, "RELEASE dbmig_inspect", NULL, NULL, NULL);
    if (rc == SQLITE_OK && rel != SQLITE_OK)
        return sq_fail(c, rel, NULL, 0, 0);
    return rc == SQLITE_OK ? DBMIG_DRV_OK : DBMIG_DRV_ERROR;
}

/* ---- scratch databases (ABI 2.1) ---------------------------------------- */

/* A scratch database is the file <TMPDIR or /tmp>/<name>.db, made empty
 * (an empty file is an empty SQLite database) with O_EXCL: a file that is
 * already there is never reused. conn is not needed (it may be NULL). */

static void sq_tmpdir(char *out, size_t cap)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, cap, "%s", t && *t ? t : "/tmp");
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
}

static int sq_scratch_name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 200)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

static int sq_scratch_create(void *self, dbmig_conn *conn, const char *name, char *url,
                             size_t cap, dbmig_db_error *err)
{
    (void)self;
    (void)conn;
    char dir[1024], path[1300];
    if (!sq_scratch_name_ok(name)) {
        sq_set_err(err, "ARG", "scratch names are letters, digits and _ (dbmig_scratch_<random>)",
                   "sqlite: '%.100s' cannot name a scratch database file%s", name ? name : "", "");
        return DBMIG_DRV_ERROR;
    }
    sq_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s.db", dir, name);
    if (strchr(path, '?')) {
        sq_set_err(err, "ARG", "set TMPDIR to another folder",
                   "sqlite: the temporary folder %s has a '?' in its name, which an SQLite URL "
                   "cannot hold%s", dir, "");
        return DBMIG_DRV_ERROR;
    }
    /* sqlite://x is the relative path x: a path that starts with // keeps it */
    const char *prefix = strncmp(path, "//", 2) == 0 ? "sqlite://" : "sqlite:";
    if (!url || strlen(prefix) + strlen(path) + 1 > cap) {
        sq_set_err(err, "ARG", NULL, "sqlite: the scratch URL for %s does not fit in %s bytes",
                   path, url ? "the buffer's" : "no");
        return DBMIG_DRV_ERROR;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        if (e == EEXIST)
            sq_set_err(err, "EEXIST", "remove it if no dbmig run is using it, or set TMPDIR",
                       "sqlite: the scratch database file %s already exists; dbmig never "
                       "reuses one%s", path, "");
        else
            sq_set_err(err, "IO", "set TMPDIR to a folder you may write",
                       "sqlite: cannot create the scratch database file %s: %s", path,
                       strerror(e));
        return DBMIG_DRV_ERROR;
    }
    close(fd);
    snprintf(url, cap, "%s%s", prefix, path);
    return DBMIG_DRV_OK;
}

/* Removes file; 0 when it is gone (or never was), else -1 with err set. */
static int sq_unlink(const char *file, dbmig_db_error *err)
{
    if (unlink(file) == 0 || errno == ENOENT)
        return 0;
    sq_set_err(err, "IO", "remove it by hand", "sqlite: cannot remove %.800s: %s", file,
               strerror(errno));
    return -1;
}

/* Removes the lock files of the database file path (<path>.dbmig-lock*). */
static int sq_unlink_locks(const char *path, dbmig_db_error *err)
{
    char dir[1100], full[1400];
    size_t dl = sq_dir_len(path);
    snprintf(dir, sizeof dir, "%.*s", (int)(dl ? dl : 1), dl ? path : ".");
    const char *base = path + (dl ? dl + (path[dl] == '/') : 0);
    char prefix[400];
    snprintf(prefix, sizeof prefix, "%.300s%s", base, SQ_LOCK_SUFFIX);
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* no folder: nothing left in it */
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
        if (sq_unlink(full, err))
            rc = -1;
    }
    closedir(d);
    return rc;
}

static int sq_scratch_drop(void *self, dbmig_conn *conn, const char *name, const char *url,
                           dbmig_db_error *err)
{
    (void)self;
    (void)conn;
    const char *path;
    size_t plen;
    int busy;
    char file[1300], want[260];
    if (!url || sq_parse_url(url, &path, &plen, &busy, err))
        return DBMIG_DRV_ERROR;
    snprintf(file, sizeof file, "%.*s", (int)plen, path);
    /* Only what scratch_create made: <folder>/<name>.db, never another file. */
    size_t dl = sq_dir_len(file);
    const char *base = file + (dl ? dl + (file[dl] == '/') : 0);
    snprintf(want, sizeof want, "%s.db", name ? name : "");
    if (!sq_scratch_name_ok(name) || strcmp(base, want) != 0) {
        sq_set_err(err, "ARG", NULL,
                   "sqlite: will not remove %.700s: it is not the scratch database %s", file, want);
        return DBMIG_DRV_ERROR;
    }
    static const char *const suffixes[] = {"-journal", "-wal", "-shm", ""};
    int rc = 0;
    char side[1400];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(side, sizeof side, "%s%s", file, suffixes[i]);
        if (sq_unlink(side, err))
            rc = -1;
    }
    if (sq_unlink_locks(file, err))
        rc = -1;
    return rc ? DBMIG_DRV_ERROR : DBMIG_DRV_OK;
}

/* ---- the rest ----------------------------------------------------------- */

static const dbmig_db_error *sq_last_error(void *self, const dbmig_conn *c)
{
    (void)self;
    static const dbmig_db_error none = {0, {0}, {0}, {0}, {0}, 0};
    return c ? &c->err : &none;
}

static int sq_server_version(void *self, dbmig_conn *c, char *out, size_t cap)
{
    (void)self;
    (void)c;
    if (out && cap)
        snprintf(out, cap, "%s", sqlite3_libversion());
    return DBMIG_DRV_OK;
}

static const char *const sq_schemes[] = {"sqlite", "sqlite3", NULL};

/* The SQL the core writes for SQLite (driver.h). The lease clock is the
 * database's (julianday('now') in ms); no share lock is needed: a write
 * transaction holds the whole database. */
static const dbmig_dialect_sql sq_sql = {
    DBMIG_DIALECT_SQL_HEADER,
    .timestamp_type = "TIMESTAMP",
    .savepoint = "SAVEPOINT",
    .rollback_to_savepoint = "ROLLBACK TO SAVEPOINT",
    .release_savepoint = "RELEASE SAVEPOINT",
    .lease_now_ms = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    .lease_share_lock = "",
    .table_schema = "main",
    .table_schema_why = "an SQLite database has one schema, main",
    .begin_transaction = "BEGIN",
    .schema_digest = "SELECT type, name, tbl_name, sql FROM main.sqlite_master "
                     "ORDER BY type, name",
    .scratch_session = "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY",
    /* ABI 2.3: time-outs (SPEC section 14). The lock time-out is the busy
     * time-out; it stays set after the run (the URL's ?busy_timeout is
     * per connection, no constant SQL puts it back). SQLite has no server
     * sessions to name (no session_id, no blockers) and no statement
     * time-out in SQL: --statement-timeout is refused. */
    .lock_timeout = "PRAGMA busy_timeout = {ms}",
};

static const dbmig_driver sq_driver = {
    DBMIG_DRIVER_HEADER,
    .name = "sqlite",
    .version = "1.0.0",
    .description = "SQLite 3 (files and :memory:), through the sqlite3 library",
    .schemes = sq_schemes,
    .caps = DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
            DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS |
            DBMIG_CAP_BOOLEAN | DBMIG_CAP_LOCK_REPORTS_HOLDER,
    .dialect = DBMIG_DIALECT_SQLITE,
    .unload_safe = 1,
    .sql = &sq_sql,
    .connect = sq_connect,
    .close = sq_close,
    .exec = sq_exec,
    .query = sq_query,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .try_lock = sq_try_lock,
    .unlock = sq_unlock,
    .table_exists = sq_table_exists,
    .column_exists = sq_column_exists,
    .index_exists = sq_index_exists,
    .quote_ident = sq_quote_ident,
    .quote_literal = sq_quote_literal,
    .last_error = sq_last_error,
    .server_version = sq_server_version,
    .conn_caps = NULL,
    .cancel = sq_cancel,
    .inspect = sq_inspect,
    .scratch_create = sq_scratch_create,
    .scratch_drop = sq_scratch_drop,
};

DBMIG_DRIVER_ENTRY(sqlite, sq_driver)
