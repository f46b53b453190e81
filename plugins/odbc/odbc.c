/* odbc.c — the ODBC driver plugin (dbmig_odbc.so), built out of tree against
 * an installed dbmig: it includes <dbmig/driver.h> and unixODBC's headers,
 * nothing else of dbmig.
 *
 * URL:  odbc:<ODBC connection string>, handed to SQLDriverConnect as is:
 *         odbc:DSN=prod;UID=app;PWD=secret
 *         odbc:Driver=/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so;Database=app.db
 *         odbc:Driver={PostgreSQL Unicode};Server=db;Port=5432;Database=app;UID=u;PWD=p
 *       dbmig prints it with the PWD= value as ***; this driver never puts the
 *       connection string in a message and scrubs the password out of the
 *       ODBC driver's own messages.
 *
 * Capabilities are discovered at connect (conn_caps()) through SQLGetInfo:
 *   - SQL_TXN_CAPABLE == SQL_TC_ALL        → DBMIG_CAP_TRANSACTIONAL_DDL
 *   - SQL_IDENTIFIER_QUOTE_CHAR            → quote_ident ("" → no quoting)
 *   - SQL_DBMS_NAME / SQL_DBMS_VER         → server_version() and the kind of
 *     server: PostgreSQL, MySQL/MariaDB or SQLite get that dialect's savepoint,
 *     IF [NOT] EXISTS, CONCURRENTLY and BOOLEAN bits; anything else is generic
 *     (the core then emulates IF [NOT] EXISTS through the catalog look-ups).
 *   The static table's caps hold only what is true for every server:
 *   DBMIG_CAP_LOCK_REPORTS_HOLDER. The table's dialect (which the core's
 *   statement splitter uses) is GENERIC: the ABI has no per-connection
 *   dialect yet. For the same reason it gives no dialect SQL (driver.h,
 *   `sql`): the core uses the standard savepoint verbs and TIMESTAMP, and
 *   refuses --lock lease (no clock expression fits every server).
 *
 * The migration lock (try_lock / unlock), by server kind:
 *   - PostgreSQL: pg_try_advisory_lock(k), k = hashtextextended(
 *     current_schema() || '.' || <key>, 0) — the built-in postgres driver's
 *     key, so both exclude each other; a session lock the server drops when
 *     the connection dies. The holder is read from pg_locks and
 *     pg_stat_activity ("pid <backend pid> (application A, client C)"); the
 *     connection's application_name is set to "dbmig pid N on host H".
 *   - MySQL / MariaDB: GET_LOCK('dbmig:<database>.<key>', 0), the same name as
 *     the built-in mysql driver (so both exclude each other); a session lock.
 *   - anything else, SQLite included: a lock table <key>_odbc_lock holding one
 *     row (id 1, holder "pid N on host H", host id (host name and PID
 *     namespace), pid, owner token, time),
 *     inserted in its own committed statement. Limits, stated plainly: the row
 *     does not die with its holder. A waiting process on the SAME host (same
 *     host name and PID namespace) takes the lock over when the holder's pid
 *     no longer exists; a holder that
 *     crashed on ANOTHER host leaves the row behind until someone deletes it
 *     (DELETE FROM <key>_odbc_lock) after making sure nothing is migrating. A
 *     reused pid keeps a crashed holder's row alive until it is deleted.
 *     Waiters only read the table, so they never wait on the holder's write
 *     transaction (SQLite).
 *
 * Catalog: SQLTables, SQLColumns and SQLStatistics in the connection's
 * current schema (PostgreSQL: current_schema(); others: any schema, unless
 * the name is qualified "schema.table"). Names are compared case-blind,
 * after the driver's pattern matching.
 *
 * Errors: code = the SQLSTATE of the first diagnostic record; message = its
 * text without the "[vendor][driver]" prefixes; detail = the native error
 * code, the prefixes and further records. ODBC reports no error position.
 *
 * Memory: everything this driver allocates comes from host->alloc/free.
 * Threads: one dbmig_conn per thread; no global state (unixODBC's environment
 * handle is per connection).
 */
#define _POSIX_C_SOURCE 200809L /* kill, strcasecmp */
#define _DEFAULT_SOURCE         /* gethostname */
#include <dbmig/driver.h>

#include <sql.h>
#include <sqlext.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define OD_VERSION "1.0.0"
#define OD_LOCK_SUFFIX "_odbc_lock"
#define OD_MY_LOCK_NAME_MAX 64

enum od_kind { OD_GENERIC, OD_POSTGRES, OD_MYSQL, OD_SQLITE };
enum od_lock { OD_LOCK_NONE, OD_LOCK_PG, OD_LOCK_MYSQL, OD_LOCK_TABLE };

struct dbmig_conn {
    dbmig_host host;
    SQLHENV env;
    SQLHDBC dbc;
    int connected;
    int in_tx;
    int kind;        /* enum od_kind */
    int txn_capable; /* SQL_TXN_CAPABLE */
    uint32_t caps;
    char quote;      /* identifier quote char, 0 for none */
    char dbms[64];
    char dbms_ver[64];
    char schema[130]; /* for catalog calls; "" = any */
    char mydb[130];   /* MySQL: DATABASE() */
    char hostname[128];
    char hostid[200]; /* hostname and PID namespace: where a pid means something */
    char *pwd;        /* scrubbed from messages; NULL if none */
    dbmig_db_error err;
    /* the lock held: its kind and key (NULL when none) */
    int lock_mode;
    char *lock_key;
    long long pg_key; /* PostgreSQL: the advisory lock's key */
    char owner[96]; /* lock table: this connection's token */
    /* query() row buffers, grown as needed */
    char **bufs;
    size_t *bcaps;
    const char **vals;
    size_t *lens;
    int vcap;
};

/* ---- small helpers ------------------------------------------------------ */

static void *od_alloc(dbmig_conn *c, size_t n) { return c->host.alloc(c->host.payload, n); }
static void od_free(dbmig_conn *c, void *p)
{
    if (p)
        c->host.free(c->host.payload, p);
}

static char *od_strdup(dbmig_conn *c, const char *s, size_t n)
{
    char *p = od_alloc(c, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void od_err_clear(dbmig_db_error *e)
{
    e->kind = DBMIG_DB_ERR_GENERIC;
    e->code[0] = e->message[0] = e->detail[0] = e->hint[0] = '\0';
    e->position = 0;
}

static void od_set(dbmig_db_error *e, const char *code, const char *msg, const char *hint)
{
    if (!e)
        return;
    od_err_clear(e);
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->message, sizeof e->message, "%s", msg);
    if (hint)
        snprintf(e->hint, sizeof e->hint, "%s", hint);
}

static int od_fail_msg(dbmig_conn *c, const char *code, const char *msg, const char *hint)
{
    od_set(&c->err, code, msg, hint);
    return DBMIG_DRV_ERROR;
}

/* Replaces every occurrence of pwd in s (size cap) by "***". */
static void od_scrub(char *s, size_t cap, const char *pwd)
{
    size_t pl = pwd ? strlen(pwd) : 0;
    if (pl < 3) /* a one- or two-letter "password" would garble every message */
        return;
    char *p;
    while ((p = strstr(s, pwd)) != NULL) {
        size_t rest = strlen(p + pl);
        if ((size_t)(p - s) + 3 + rest + 1 > cap)
            rest = cap - (size_t)(p - s) - 4;
        memmove(p + 3, p + pl, rest);
        p[3 + rest] = '\0';
        memcpy(p, "***", 3);
    }
}

/* One line: newlines and tabs become spaces, trailing blanks go. */
static void od_one_line(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == ';'))
        s[--n] = '\0';
}

/* Fills e from the diagnostic records of handle h (type t). what: a short
 * description of the call that failed, used when there is no record. */
static void od_diag(SQLSMALLINT t, SQLHANDLE h, dbmig_db_error *e, const char *pwd,
                    const char *what)
{
    od_err_clear(e);
    size_t dl = 0;
    for (SQLSMALLINT i = 1; i <= 4; i++) {
        SQLCHAR state[6] = "", text[1024] = "";
        SQLINTEGER native = 0;
        SQLSMALLINT tl = 0;
        SQLRETURN r = SQLGetDiagRec(t, h, i, state, &native, text, sizeof text, &tl);
        if (!SQL_SUCCEEDED(r))
            break;
        char *msg = (char *)text;
        /* "[unixODBC][Driver Manager]..." / "[SQLite]..." prefixes */
        const char *prefix = msg;
        size_t plen = 0;
        while (msg[0] == '[') {
            char *end = strchr(msg, ']');
            if (!end)
                break;
            msg = end + 1;
        }
        plen = (size_t)(msg - prefix);
        while (*msg == ' ')
            msg++;
        od_one_line(msg);
        if (i == 1) {
            snprintf(e->code, sizeof e->code, "%s", (char *)state);
            snprintf(e->message, sizeof e->message, "%s", msg);
            int n = snprintf(e->detail, sizeof e->detail, "SQLSTATE %s, native error %ld%s%.*s",
                             (char *)state, (long)native, plen ? ", from " : "",
                             (int)(plen > 200 ? 200 : plen), prefix);
            dl = n > 0 && (size_t)n < sizeof e->detail ? (size_t)n : sizeof e->detail - 1;
        } else if (dl + 8 < sizeof e->detail) {
            int n = snprintf(e->detail + dl, sizeof e->detail - dl, "; then SQLSTATE %s: %s",
                             (char *)state, msg);
            dl = n > 0 && dl + (size_t)n < sizeof e->detail ? dl + (size_t)n : sizeof e->detail - 1;
        }
    }
    if (!e->message[0]) {
        snprintf(e->code, sizeof e->code, "HY000");
        snprintf(e->message, sizeof e->message, "%s failed and the ODBC driver said nothing",
                 what ? what : "an ODBC call");
    }
    od_scrub(e->message, sizeof e->message, pwd);
    od_scrub(e->detail, sizeof e->detail, pwd);
    if (strncmp(e->code, "08", 2) == 0)
        snprintf(e->hint, sizeof e->hint,
                 "the connection failed or was lost: check that the server runs and is reachable");
    else if (strcmp(e->code, "IM002") == 0)
        snprintf(e->hint, sizeof e->hint,
                 "no such DSN or driver: list them with `odbcinst -q -s` / `odbcinst -q -d`, or "
                 "give Driver=/path/to/the/driver.so");
}

static int od_fail(dbmig_conn *c, SQLSMALLINT t, SQLHANDLE h, const char *what)
{
    od_diag(t, h, &c->err, c->pwd, what);
    return DBMIG_DRV_ERROR;
}

/* SQL_SUCCESS_WITH_INFO: the server's notices ("... already exists,
 * skipping") go to host->log at INFO (shown with -v). */
static void od_notices(dbmig_conn *c, SQLSMALLINT t, SQLHANDLE h)
{
    if (!c->host.log)
        return;
    for (SQLSMALLINT i = 1; i <= 8; i++) {
        SQLCHAR state[6] = "", text[1024] = "";
        SQLINTEGER native = 0;
        SQLSMALLINT tl = 0;
        if (!SQL_SUCCEEDED(SQLGetDiagRec(t, h, i, state, &native, text, sizeof text, &tl)))
            break;
        char *msg = (char *)text;
        while (msg[0] == '[' && strchr(msg, ']'))
            msg = strchr(msg, ']') + 1;
        while (*msg == ' ')
            msg++;
        od_one_line(msg);
        od_scrub(msg, sizeof text - (size_t)(msg - (char *)text), c->pwd);
        char line[1100];
        snprintf(line, sizeof line, "odbc: %s [%s]", msg, (char *)state);
        c->host.log(c->host.payload, DBMIG_LOG_INFO, line);
    }
}

static int od_fail_stmt(dbmig_conn *c, SQLHSTMT st, const char *what)
{
    od_fail(c, SQL_HANDLE_STMT, st, what);
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return DBMIG_DRV_ERROR;
}

static int od_stmt(dbmig_conn *c, SQLHSTMT *st)
{
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, st)))
        return od_fail(c, SQL_HANDLE_DBC, c->dbc, "SQLAllocHandle(statement)");
    /* Migrations are sent verbatim: no {fn ...} / {d '...'} escape rewriting
     * (a driver that cannot turn it off just keeps scanning). */
    SQLSetStmtAttr(*st, SQL_ATTR_NOSCAN, (SQLPOINTER)(uintptr_t)SQL_NOSCAN_ON, 0);
    return DBMIG_DRV_OK;
}

/* ---- quoting (conn may be NULL) ----------------------------------------- */

/* Quotes in[0..inlen) with q, doubling q (and, when bs, backslashes). */
static size_t od_quote(char q, int bs, const char *in, size_t inlen, char *out, size_t cap)
{
    size_t need = 2;
    for (size_t i = 0; i < inlen; i++)
        need += (in[i] == q || (bs && in[i] == '\\')) ? 2 : 1;
    if (out && cap) {
        size_t o = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 < cap)                                                                           \
            out[o++] = (ch);                                                                       \
    } while (0)
        PUT(q);
        for (size_t i = 0; i < inlen; i++) {
            if (in[i] == q || (bs && in[i] == '\\'))
                PUT(in[i]);
            PUT(in[i]);
        }
        PUT(q);
#undef PUT
        out[o] = '\0';
    }
    return need;
}

static size_t od_quote_ident(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                             char *out, size_t cap)
{
    (void)self;
    if (c && !c->quote) { /* the server quotes no identifiers: pass it as is */
        if (out && cap) {
            size_t n = inlen < cap - 1 ? inlen : cap - 1;
            memcpy(out, in, n);
            out[n] = '\0';
        }
        return inlen;
    }
    return od_quote(c ? c->quote : '"', 0, in, inlen, out, cap);
}

static size_t od_quote_literal(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                               char *out, size_t cap)
{
    (void)self;
    /* MySQL reads \ as an escape inside '...' (unless NO_BACKSLASH_ESCAPES,
     * where doubling it is wrong only for a backslash itself: never in the
     * names and checksums the core writes). */
    return od_quote('\'', c && c->kind == OD_MYSQL, in, inlen, out, cap);
}

/* Appends a quoted literal or identifier to a fixed buffer; -1 if too long. */
static int od_put_quoted(const dbmig_conn *c, int ident, const char *s, char *buf, size_t cap,
                         size_t *used)
{
    size_t n = ident ? od_quote_ident(NULL, c, s, strlen(s), buf + *used, cap - *used)
                     : od_quote_literal(NULL, c, s, strlen(s), buf + *used, cap - *used);
    if (*used + n + 1 > cap)
        return -1;
    *used += n;
    return 0;
}

/* ---- statements --------------------------------------------------------- */

/* Runs sql; fetches and drops any result rows (so that the whole statement
 * runs, and its errors surface); *affected = rows changed. */
static int od_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *affected)
{
    (void)self;
    od_err_clear(&c->err);
    if (affected)
        *affected = 0;
    /* A NUL-terminated copy: not every ODBC driver honours an explicit length. */
    char *text = od_strdup(c, sql, len);
    if (!text)
        return od_fail_msg(c, "HY001", "odbc: out of memory", NULL);
    SQLHSTMT st;
    if (od_stmt(c, &st) != DBMIG_DRV_OK) {
        od_free(c, text);
        return DBMIG_DRV_ERROR;
    }
    SQLRETURN r = SQLExecDirect(st, (SQLCHAR *)text, SQL_NTS);
    od_free(c, text);
    if (r == SQL_NO_DATA) { /* a searched UPDATE/DELETE that matched nothing */
        SQLFreeHandle(SQL_HANDLE_STMT, st);
        return DBMIG_DRV_OK;
    }
    if (!SQL_SUCCEEDED(r))
        return od_fail_stmt(c, st, "SQLExecDirect");
    if (r == SQL_SUCCESS_WITH_INFO)
        od_notices(c, SQL_HANDLE_STMT, st);
    int64_t total = 0;
    for (;;) {
        SQLSMALLINT ncols = 0;
        if (!SQL_SUCCEEDED(SQLNumResultCols(st, &ncols)))
            return od_fail_stmt(c, st, "SQLNumResultCols");
        if (ncols > 0) {
            while ((r = SQLFetch(st)) != SQL_NO_DATA)
                if (!SQL_SUCCEEDED(r))
                    return od_fail_stmt(c, st, "SQLFetch");
        } else {
            SQLLEN n = 0;
            if (SQL_SUCCEEDED(SQLRowCount(st, &n)) && n > 0)
                total += (int64_t)n;
        }
        r = SQLMoreResults(st);
        if (r == SQL_NO_DATA)
            break;
        if (!SQL_SUCCEEDED(r))
            return od_fail_stmt(c, st, "SQLMoreResults");
    }
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    /* SQLite's change counter is not reset by DDL, and sqliteodbc reports it
     * for any statement: only DML changes rows. */
    if (c->kind == OD_SQLITE && total) {
        const char *p = sql, *end = sql + len;
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '('))
            p++;
        static const char *const dml[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"};
        int is_dml = 0;
        for (size_t i = 0; i < sizeof dml / sizeof dml[0]; i++) {
            size_t n = strlen(dml[i]);
            if ((size_t)(end - p) >= n && strncasecmp(p, dml[i], n) == 0)
                is_dml = 1;
        }
        if (!is_dml)
            total = 0;
    }
    if (affected)
        *affected = total;
    return DBMIG_DRV_OK;
}

static int od_simple(dbmig_conn *c, const char *sql)
{
    return od_exec(NULL, c, sql, strlen(sql), NULL);
}

static int od_grow_row(dbmig_conn *c, int n)
{
    if (n <= c->vcap)
        return 0;
    char **b = od_alloc(c, (size_t)n * sizeof *b);
    size_t *bc = od_alloc(c, (size_t)n * sizeof *bc);
    const char **v = od_alloc(c, (size_t)n * sizeof *v);
    size_t *l = od_alloc(c, (size_t)n * sizeof *l);
    if (!b || !bc || !v || !l) {
        od_free(c, b);
        od_free(c, bc);
        od_free(c, (void *)v);
        od_free(c, l);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        b[i] = i < c->vcap ? c->bufs[i] : NULL;
        bc[i] = i < c->vcap ? c->bcaps[i] : 0;
    }
    od_free(c, c->bufs);
    od_free(c, c->bcaps);
    od_free(c, (void *)c->vals);
    od_free(c, c->lens);
    c->bufs = b;
    c->bcaps = bc;
    c->vals = v;
    c->lens = l;
    c->vcap = n;
    return 0;
}

static int od_grow_buf(dbmig_conn *c, int i, size_t need)
{
    if (c->bcaps[i] >= need)
        return 0;
    size_t cap = c->bcaps[i] ? c->bcaps[i] : 256;
    while (cap < need)
        cap *= 2;
    char *p = od_alloc(c, cap);
    if (!p)
        return -1;
    if (c->bufs[i])
        memcpy(p, c->bufs[i], c->bcaps[i]);
    od_free(c, c->bufs[i]);
    c->bufs[i] = p;
    c->bcaps[i] = cap;
    return 0;
}

/* Reads column i (0-based) of the current row as text into c->bufs[i]. */
static int od_get_text(dbmig_conn *c, SQLHSTMT st, int i, int *is_null, size_t *len)
{
    size_t used = 0;
    *is_null = 0;
    if (od_grow_buf(c, i, 256))
        return od_fail_msg(c, "HY001", "odbc: out of memory", NULL);
    for (;;) {
        SQLLEN ind = 0;
        size_t room = c->bcaps[i] - used;
        SQLRETURN r = SQLGetData(st, (SQLUSMALLINT)(i + 1), SQL_C_CHAR, c->bufs[i] + used,
                                 (SQLLEN)room, &ind);
        if (r == SQL_NO_DATA)
            break; /* everything was read by the previous call */
        if (!SQL_SUCCEEDED(r))
            return od_fail(c, SQL_HANDLE_STMT, st, "SQLGetData");
        if (ind == SQL_NULL_DATA) {
            *is_null = 1;
            used = 0;
            break;
        }
        if (r == SQL_SUCCESS_WITH_INFO && (ind == SQL_NO_TOTAL || (size_t)ind >= room)) {
            used += room - 1; /* truncated: room - 1 bytes and a NUL were written */
            size_t want = ind == SQL_NO_TOTAL ? c->bcaps[i] * 2 : used + (size_t)ind - (room - 1) + 1;
            if (od_grow_buf(c, i, want > c->bcaps[i] ? want : c->bcaps[i] * 2))
                return od_fail_msg(c, "HY001", "odbc: out of memory", NULL);
            continue;
        }
        used += (size_t)ind;
        break;
    }
    c->bufs[i][used] = '\0';
    *len = used;
    return DBMIG_DRV_OK;
}

/* Feeds the rows of an executed statement to fn. */
static int od_rows(dbmig_conn *c, SQLHSTMT st, dbmig_row_fn fn, void *payload)
{
    SQLSMALLINT n = 0;
    if (!SQL_SUCCEEDED(SQLNumResultCols(st, &n)))
        return od_fail(c, SQL_HANDLE_STMT, st, "SQLNumResultCols");
    if (n <= 0)
        return DBMIG_DRV_OK;
    if (od_grow_row(c, n))
        return od_fail_msg(c, "HY001", "odbc: out of memory", NULL);
    SQLRETURN r;
    while ((r = SQLFetch(st)) != SQL_NO_DATA) {
        if (!SQL_SUCCEEDED(r))
            return od_fail(c, SQL_HANDLE_STMT, st, "SQLFetch");
        for (int i = 0; i < n; i++) {
            int null = 0;
            size_t len = 0;
            if (od_get_text(c, st, i, &null, &len) != DBMIG_DRV_OK)
                return DBMIG_DRV_ERROR;
            c->vals[i] = null ? NULL : c->bufs[i];
            c->lens[i] = null ? 0 : len;
        }
        if (fn && fn(payload, n, c->vals, c->lens) != 0)
            break;
    }
    return DBMIG_DRV_OK;
}

static int od_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload)
{
    (void)self;
    od_err_clear(&c->err);
    SQLHSTMT st;
    if (od_stmt(c, &st) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    SQLRETURN r = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
    if (r == SQL_NO_DATA) {
        SQLFreeHandle(SQL_HANDLE_STMT, st);
        return DBMIG_DRV_OK;
    }
    if (!SQL_SUCCEEDED(r))
        return od_fail_stmt(c, st, "SQLExecDirect");
    int rc = od_rows(c, st, fn, payload);
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return rc;
}

/* One value of a one-row query, as text. *found = 0 when no row (or NULL). */
typedef struct od_one_ctx {
    char *out;
    size_t cap;
    int found;
} od_one_ctx;

static int od_one_row(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)lens;
    od_one_ctx *x = payload;
    if (ncols > 0 && v[0]) {
        x->found = 1;
        snprintf(x->out, x->cap, "%s", v[0]);
    }
    return 1;
}

static int od_query_one(dbmig_conn *c, const char *sql, char *out, size_t cap, int *found)
{
    od_one_ctx x = {out, cap, 0};
    if (cap)
        out[0] = '\0';
    int rc = od_query(NULL, c, sql, od_one_row, &x);
    if (found)
        *found = x.found;
    return rc;
}

static int od_truthy(const char *s) { return s[0] == '1' || s[0] == 't' || s[0] == 'T'; }

/* ---- transactions ------------------------------------------------------- */

static int od_begin(void *self, dbmig_conn *c)
{
    (void)self;
    od_err_clear(&c->err);
    if (c->in_tx)
        return od_fail_msg(c, "25000", "odbc: a transaction is already open", NULL);
    if (c->txn_capable == SQL_TC_NONE)
        return od_fail_msg(c, "HYC00", "odbc: this ODBC driver supports no transactions", NULL);
    if (!SQL_SUCCEEDED(SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT,
                                         (SQLPOINTER)(uintptr_t)SQL_AUTOCOMMIT_OFF, SQL_IS_UINTEGER)))
        return od_fail(c, SQL_HANDLE_DBC, c->dbc, "SQLSetConnectAttr(autocommit off)");
    c->in_tx = 1;
    return DBMIG_DRV_OK;
}

static int od_end(dbmig_conn *c, SQLSMALLINT how)
{
    od_err_clear(&c->err);
    if (!c->in_tx)
        return od_fail_msg(c, "25000",
                           how == SQL_COMMIT ? "odbc: commit without an open transaction"
                                             : "odbc: rollback without an open transaction",
                           NULL);
    SQLRETURN r = SQLEndTran(SQL_HANDLE_DBC, c->dbc, how);
    if (!SQL_SUCCEEDED(r)) {
        od_fail(c, SQL_HANDLE_DBC, c->dbc, how == SQL_COMMIT ? "commit" : "rollback");
        if (how == SQL_COMMIT)
            return DBMIG_DRV_ERROR; /* still open: the caller rolls back */
        dbmig_db_error keep = c->err;
        SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)(uintptr_t)SQL_AUTOCOMMIT_ON,
                          SQL_IS_UINTEGER);
        c->in_tx = 0;
        c->err = keep;
        return DBMIG_DRV_ERROR;
    }
    c->in_tx = 0;
    if (!SQL_SUCCEEDED(SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT,
                                         (SQLPOINTER)(uintptr_t)SQL_AUTOCOMMIT_ON, SQL_IS_UINTEGER)))
        return od_fail(c, SQL_HANDLE_DBC, c->dbc, "SQLSetConnectAttr(autocommit on)");
    return DBMIG_DRV_OK;
}

static int od_commit(void *self, dbmig_conn *c) { (void)self; return od_end(c, SQL_COMMIT); }
static int od_rollback(void *self, dbmig_conn *c) { (void)self; return od_end(c, SQL_ROLLBACK); }

/* ---- catalog ------------------------------------------------------------ */

/* Splits "schema.table" (schema into sbuf) or uses the connection's schema. */
static const char *od_split(const dbmig_conn *c, const char *name, char *sbuf, size_t scap,
                            const char **schema)
{
    const char *dot = strchr(name, '.');
    if (dot && (size_t)(dot - name) < scap) {
        memcpy(sbuf, name, (size_t)(dot - name));
        sbuf[dot - name] = '\0';
        *schema = sbuf;
        return dot + 1;
    }
    *schema = c->schema[0] ? c->schema : NULL;
    return name;
}

/* Reads text column col of the current row into out. */
static int od_col(SQLHSTMT st, int col, char *out, size_t cap)
{
    SQLLEN ind = 0;
    out[0] = '\0';
    SQLRETURN r = SQLGetData(st, (SQLUSMALLINT)col, SQL_C_CHAR, out, (SQLLEN)cap, &ind);
    if (!SQL_SUCCEEDED(r))
        return -1;
    if (ind == SQL_NULL_DATA)
        out[0] = '\0';
    return 0;
}

#define OD_S(s) (SQLCHAR *)(s), (SQLSMALLINT)((s) ? SQL_NTS : 0)

static int od_table_exists(void *self, dbmig_conn *c, const char *table, int *exists)
{
    (void)self;
    od_err_clear(&c->err);
    *exists = 0;
    char sbuf[130];
    const char *schema;
    const char *t = od_split(c, table, sbuf, sizeof sbuf, &schema);
    SQLHSTMT st;
    if (od_stmt(c, &st) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    /* The name is a pattern here ('_' matches any character): filter rows. */
    if (!SQL_SUCCEEDED(SQLTables(st, NULL, 0, OD_S(schema), OD_S(t), OD_S("TABLE"))))
        return od_fail_stmt(c, st, "SQLTables");
    SQLRETURN r;
    char name[256];
    while (!*exists && (r = SQLFetch(st)) != SQL_NO_DATA) {
        if (!SQL_SUCCEEDED(r) || od_col(st, 3, name, sizeof name))
            return od_fail_stmt(c, st, "SQLTables (fetch)");
        if (strcasecmp(name, t) == 0)
            *exists = 1;
    }
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return DBMIG_DRV_OK;
}

static int od_column_exists(void *self, dbmig_conn *c, const char *table, const char *column,
                            int *exists)
{
    (void)self;
    od_err_clear(&c->err);
    *exists = 0;
    char sbuf[130];
    const char *schema;
    const char *t = od_split(c, table, sbuf, sizeof sbuf, &schema);
    SQLHSTMT st;
    if (od_stmt(c, &st) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!SQL_SUCCEEDED(SQLColumns(st, NULL, 0, OD_S(schema), OD_S(t), OD_S(column))))
        return od_fail_stmt(c, st, "SQLColumns");
    SQLRETURN r;
    char tname[256], cname[256];
    while (!*exists && (r = SQLFetch(st)) != SQL_NO_DATA) {
        if (!SQL_SUCCEEDED(r) || od_col(st, 3, tname, sizeof tname) ||
            od_col(st, 4, cname, sizeof cname))
            return od_fail_stmt(c, st, "SQLColumns (fetch)");
        if (strcasecmp(tname, t) == 0 && strcasecmp(cname, column) == 0)
            *exists = 1;
    }
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return DBMIG_DRV_OK;
}

/* Does table t (in schema) have an index named index? */
static int od_index_in(dbmig_conn *c, const char *schema, const char *t, const char *index,
                       int *exists, char *table_out, size_t table_cap)
{
    SQLHSTMT st;
    if (od_stmt(c, &st) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!SQL_SUCCEEDED(SQLStatistics(st, NULL, 0, OD_S(schema), OD_S(t), SQL_INDEX_ALL, SQL_QUICK)))
        return od_fail_stmt(c, st, "SQLStatistics");
    SQLRETURN r;
    char tname[256], iname[256];
    while (!*exists && (r = SQLFetch(st)) != SQL_NO_DATA) {
        if (!SQL_SUCCEEDED(r) || od_col(st, 3, tname, sizeof tname) ||
            od_col(st, 6, iname, sizeof iname))
            return od_fail_stmt(c, st, "SQLStatistics (fetch)");
        if (iname[0] && strcasecmp(iname, index) == 0) {
            *exists = 1;
            if (table_out && table_cap)
                snprintf(table_out, table_cap, "%s", tname[0] ? tname : t);
        }
    }
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return DBMIG_DRV_OK;
}

static int od_index_exists(void *self, dbmig_conn *c, const char *table, const char *index,
                           int *exists, char *table_out, size_t table_cap)
{
    (void)self;
    od_err_clear(&c->err);
    *exists = 0;
    char sbuf[130];
    const char *schema;
    if (table) {
        int texists = 0;
        if (od_table_exists(self, c, table, &texists) != DBMIG_DRV_OK)
            return DBMIG_DRV_ERROR;
        if (!texists)
            return DBMIG_DRV_OK;
        const char *t = od_split(c, table, sbuf, sizeof sbuf, &schema);
        return od_index_in(c, schema, t, index, exists, table_out, table_cap);
    }
    /* Any table: list the schema's tables, then ask each. */
    const char *ix = od_split(c, index, sbuf, sizeof sbuf, &schema);
    SQLHSTMT st;
    if (od_stmt(c, &st) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!SQL_SUCCEEDED(SQLTables(st, NULL, 0, OD_S(schema), OD_S("%"), OD_S("TABLE"))))
        return od_fail_stmt(c, st, "SQLTables");
    size_t n = 0, cap = 0;
    char **names = NULL;
    SQLRETURN r;
    int rc = DBMIG_DRV_OK;
    char name[256];
    while ((r = SQLFetch(st)) != SQL_NO_DATA) {
        if (!SQL_SUCCEEDED(r) || od_col(st, 3, name, sizeof name)) {
            rc = od_fail(c, SQL_HANDLE_STMT, st, "SQLTables (fetch)");
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nv = od_alloc(c, ncap * sizeof *nv);
            if (!nv) {
                rc = od_fail_msg(c, "HY001", "odbc: out of memory", NULL);
                break;
            }
            if (names)
                memcpy(nv, names, n * sizeof *nv);
            od_free(c, names);
            names = nv;
            cap = ncap;
        }
        if (!(names[n] = od_strdup(c, name, strlen(name)))) {
            rc = od_fail_msg(c, "HY001", "odbc: out of memory", NULL);
            break;
        }
        n++;
    }
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    for (size_t i = 0; rc == DBMIG_DRV_OK && i < n && !*exists; i++)
        rc = od_index_in(c, schema, names[i], ix, exists, table_out, table_cap);
    for (size_t i = 0; i < n; i++)
        od_free(c, names[i]);
    od_free(c, names);
    return rc;
}

/* ---- the migration lock ------------------------------------------------- */

static void od_who(const dbmig_conn *c, char *out, size_t cap)
{
    snprintf(out, cap, "pid %ld on host %s", (long)getpid(), c->hostname);
}

/* PostgreSQL: the lock's 64-bit key, computed by the server exactly as the
 * built-in postgres driver does (so that both exclude each other):
 * hashtextextended(current_schema() || '.' || key, 0), or of the key itself
 * when it names its schema. */
static int od_pg_key(dbmig_conn *c, const char *key, long long *out)
{
    char lit[300], sql[1200], v[32];
    size_t used = 0;
    if (od_put_quoted(c, 0, key, lit, sizeof lit, &used))
        return od_fail_msg(c, "LOCK", "odbc: lock key too long", NULL);
    snprintf(sql, sizeof sql,
             "SELECT pg_catalog.hashtextextended(CASE WHEN pg_catalog.strpos(%s, '.') > 0 "
             "THEN %s ELSE pg_catalog.current_schema() || '.' || %s END, 0)",
             lit, lit, lit);
    int found = 0;
    if (od_query_one(c, sql, v, sizeof v, &found) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!found || !v[0])
        return od_fail_msg(c, "3F000",
                           "odbc: no current schema to place the version table in "
                           "(search_path names no existing schema)",
                           "create the schema, fix search_path, or give --table schema.table");
    *out = strtoll(v, NULL, 10);
    return DBMIG_DRV_OK;
}

static int od_lock_pg(dbmig_conn *c, const char *key, int *acquired, char *holder, size_t hcap,
                      long long *kout)
{
    char sql[1200], val[16];
    long long k = 0;
    if (od_pg_key(c, key, &k) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    *kout = k;
    snprintf(sql, sizeof sql, "SELECT pg_catalog.pg_try_advisory_lock(%lld)", k);
    int found = 0;
    if (od_query_one(c, sql, val, sizeof val, &found) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (found && od_truthy(val)) {
        *acquired = 1;
        return DBMIG_DRV_OK;
    }
    if (holder && hcap) {
        /* the built-in driver's wording: "pid <backend pid> (application A, ...)" */
        snprintf(sql, sizeof sql,
                 "SELECT 'pid ' || l.pid || ' (application ' || "
                 "coalesce(NULLIF(a.application_name, ''), '(none)') || ', client ' || "
                 "coalesce(pg_catalog.host(a.client_addr), 'local socket') || ')' "
                 "FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a "
                 "ON a.pid = l.pid "
                 "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                 "AND l.database = (SELECT oid FROM pg_catalog.pg_database "
                 "WHERE datname = pg_catalog.current_database()) "
                 "AND l.classid = (((%lld::bigint) >> 32) & 4294967295)::oid "
                 "AND l.objid = ((%lld::bigint) & 4294967295)::oid LIMIT 1",
                 k, k);
        if (od_query_one(c, sql, holder, hcap, &found) != DBMIG_DRV_OK)
            od_err_clear(&c->err); /* best effort */
    }
    return DBMIG_DRV_OK;
}

static int od_unlock_pg(dbmig_conn *c, long long k)
{
    char sql[200], val[16];
    snprintf(sql, sizeof sql, "SELECT pg_catalog.pg_advisory_unlock(%lld)", k);
    return od_query_one(c, sql, val, sizeof val, NULL);
}

static uint64_t od_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* The built-in mysql driver's lock name: "dbmig:<database>.<key>", cut with
 * a hash to MySQL's 64 characters. */
static void od_my_name(const dbmig_conn *c, const char *key, char *out, size_t cap)
{
    char full[600];
    snprintf(full, sizeof full, "dbmig:%s.%s", c->mydb, key && *key ? key : "dbmig_version");
    size_t chars = 0;
    for (const char *p = full; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            chars++;
    if (chars <= OD_MY_LOCK_NAME_MAX && strlen(full) < cap) {
        snprintf(out, cap, "%s", full);
        return;
    }
    size_t cut = OD_MY_LOCK_NAME_MAX - 17;
    while (cut > 0 && ((unsigned char)full[cut] & 0xC0) == 0x80)
        cut--;
    snprintf(out, cap, "%.*s~%016llx", (int)cut, full, (unsigned long long)od_fnv1a(full));
}

static int od_lock_my(dbmig_conn *c, const char *key, int *acquired, char *holder, size_t hcap)
{
    char name[300], sql[800], val[32];
    size_t used;
    od_my_name(c, key, name, sizeof name);
    used = (size_t)snprintf(sql, sizeof sql, "SELECT GET_LOCK(");
    if (od_put_quoted(c, 0, name, sql, sizeof sql - 8, &used))
        return od_fail_msg(c, "LOCK", "odbc: lock name too long", NULL);
    memcpy(sql + used, ", 0)", 5);
    int found = 0;
    if (od_query_one(c, sql, val, sizeof val, &found) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!found)
        return od_fail_msg(c, "LOCK", "odbc: GET_LOCK returned NULL",
                           "the server could not take the lock; see its log");
    if (strcmp(val, "1") == 0) {
        *acquired = 1;
        return DBMIG_DRV_OK;
    }
    if (holder && hcap) {
        used = (size_t)snprintf(sql, sizeof sql,
                                "SELECT CONCAT('connection ', p.ID, ' (', p.USER, '@', p.HOST, ')') "
                                "FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(");
        if (od_put_quoted(c, 0, name, sql, sizeof sql - 2, &used) == 0) {
            memcpy(sql + used, ")", 2);
            if (od_query_one(c, sql, holder, hcap, &found) != DBMIG_DRV_OK)
                od_err_clear(&c->err);
        }
    }
    return DBMIG_DRV_OK;
}

static int od_unlock_my(dbmig_conn *c, const char *key)
{
    char name[300], sql[800], val[32];
    od_my_name(c, key, name, sizeof name);
    size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT RELEASE_LOCK(");
    if (od_put_quoted(c, 0, name, sql, sizeof sql - 2, &used))
        return od_fail_msg(c, "LOCK", "odbc: lock name too long", NULL);
    memcpy(sql + used, ")", 2);
    return od_query_one(c, sql, val, sizeof val, NULL);
}

/* The lock table's quoted name: <key>_odbc_lock, "schema"."table_odbc_lock"
 * for a qualified key. */
static int od_lock_table(dbmig_conn *c, const char *key, char *out, size_t cap)
{
    char name[300];
    size_t used = 0;
    const char *dot = strchr(key, '.');
    if (dot) {
        snprintf(name, sizeof name, "%.*s", (int)(dot - key), key);
        if (od_put_quoted(c, 1, name, out, cap, &used) || used + 2 > cap)
            return -1;
        out[used++] = '.';
        out[used] = '\0';
        key = dot + 1;
    }
    int n = snprintf(name, sizeof name, "%s" OD_LOCK_SUFFIX, key);
    if (n < 0 || (size_t)n >= sizeof name)
        return -1;
    return od_put_quoted(c, 1, name, out, cap, &used);
}

/* The lock table's unquoted name, for table_exists(). */
static void od_lock_table_plain(const char *key, char *out, size_t cap)
{
    snprintf(out, cap, "%s" OD_LOCK_SUFFIX, key);
}

typedef struct od_row_ctx {
    int found;
    char holder[256], host[200], pid[32], owner[96];
} od_row_ctx;

static int od_lock_row(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    (void)lens;
    od_row_ctx *x = payload;
    if (ncols < 4)
        return 1;
    x->found = 1;
    snprintf(x->holder, sizeof x->holder, "%s", v[0] ? v[0] : "");
    snprintf(x->host, sizeof x->host, "%s", v[1] ? v[1] : "");
    snprintf(x->pid, sizeof x->pid, "%s", v[2] ? v[2] : "");
    snprintf(x->owner, sizeof x->owner, "%s", v[3] ? v[3] : "");
    return 1;
}

/* Is the holder recorded in x gone for sure (same host, no such pid)? */
static int od_holder_dead(const dbmig_conn *c, const od_row_ctx *x)
{
    if (strcmp(x->host, c->hostid) != 0)
        return 0;
    char *end;
    long pid = strtol(x->pid, &end, 10);
    if (*end || pid <= 0 || (pid_t)pid == getpid())
        return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int od_lock_tbl(dbmig_conn *c, const char *key, int *acquired, char *holder, size_t hcap)
{
    if (c->in_tx)
        return od_fail_msg(c, "LOCK", "odbc: try_lock inside a transaction",
                           "take the lock before beginning a transaction");
    char qt[400], plain[300], sql[1600];
    if (od_lock_table(c, key, qt, sizeof qt))
        return od_fail_msg(c, "LOCK", "odbc: lock key too long", NULL);
    od_lock_table_plain(key, plain, sizeof plain);
    int exists = 0;
    if (od_table_exists(NULL, c, plain, &exists) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!exists) {
        snprintf(sql, sizeof sql,
                 "CREATE TABLE %s (id INTEGER NOT NULL PRIMARY KEY, holder VARCHAR(255) NOT NULL, "
                 "host VARCHAR(200) NOT NULL, pid INTEGER NOT NULL, owner VARCHAR(96) NOT NULL, "
                 "acquired_at VARCHAR(32) NOT NULL)",
                 qt);
        if (od_simple(c, sql) != DBMIG_DRV_OK) {
            /* another process may have created it in between */
            dbmig_db_error keep = c->err;
            if (od_table_exists(NULL, c, plain, &exists) != DBMIG_DRV_OK || !exists) {
                c->err = keep;
                return DBMIG_DRV_ERROR;
            }
        }
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        /* Read first: a waiter never writes while the lock is held. */
        od_row_ctx x;
        memset(&x, 0, sizeof x);
        snprintf(sql, sizeof sql, "SELECT holder, host, pid, owner FROM %s WHERE id = 1", qt);
        if (od_query(NULL, c, sql, od_lock_row, &x) != DBMIG_DRV_OK)
            return DBMIG_DRV_ERROR;
        if (x.found) {
            if (!od_holder_dead(c, &x)) {
                if (holder && hcap)
                    snprintf(holder, hcap, "%s", x.holder);
                return DBMIG_DRV_OK;
            }
            /* the holder died on this host: take its row away, if still its */
            size_t used = (size_t)snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = 1 AND owner = ", qt);
            if (od_put_quoted(c, 0, x.owner, sql, sizeof sql, &used) ||
                od_exec(NULL, c, sql, used, NULL) != DBMIG_DRV_OK)
                return DBMIG_DRV_ERROR;
            if (c->host.log) {
                char msg[400];
                snprintf(msg, sizeof msg,
                         "odbc: the migration lock's holder (%.200s) is gone; took its lock row over",
                         x.holder);
                c->host.log(c->host.payload, DBMIG_LOG_WARN, msg);
            }
        }
        char who[200], when[32];
        od_who(c, who, sizeof who);
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        size_t used = (size_t)snprintf(sql, sizeof sql,
                                       "INSERT INTO %s (id, holder, host, pid, owner, acquired_at) "
                                       "VALUES (1, ",
                                       qt);
        int bad = od_put_quoted(c, 0, who, sql, sizeof sql, &used);
        bad = bad || used + 2 > sizeof sql;
        if (!bad) {
            sql[used++] = ',';
            sql[used] = '\0';
        }
        bad = bad || od_put_quoted(c, 0, c->hostid, sql, sizeof sql, &used);
        if (!bad) {
            int n = snprintf(sql + used, sizeof sql - used, ", %ld, ", (long)getpid());
            bad = n < 0 || used + (size_t)n >= sizeof sql;
            if (!bad)
                used += (size_t)n;
        }
        bad = bad || od_put_quoted(c, 0, c->owner, sql, sizeof sql, &used) || used + 2 > sizeof sql;
        if (!bad) {
            sql[used++] = ',';
            sql[used] = '\0';
        }
        bad = bad || od_put_quoted(c, 0, when, sql, sizeof sql, &used) || used + 2 > sizeof sql;
        if (bad)
            return od_fail_msg(c, "LOCK", "odbc: lock statement too long", NULL);
        sql[used++] = ')';
        sql[used] = '\0';
        if (od_exec(NULL, c, sql, used, NULL) == DBMIG_DRV_OK) {
            *acquired = 1;
            return DBMIG_DRV_OK;
        }
        /* most likely another process inserted first: look again */
        if (strncmp(c->err.code, "23", 2) != 0 && strcmp(c->err.code, "HY000") != 0 &&
            strcmp(c->err.code, "40001") != 0)
            return DBMIG_DRV_ERROR;
        od_err_clear(&c->err);
    }
    return DBMIG_DRV_OK; /* lost every race: not acquired this time */
}

static int od_unlock_tbl(dbmig_conn *c, const char *key)
{
    char qt[400], sql[800];
    if (od_lock_table(c, key, qt, sizeof qt))
        return od_fail_msg(c, "LOCK", "odbc: lock key too long", NULL);
    size_t used = (size_t)snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = 1 AND owner = ", qt);
    if (od_put_quoted(c, 0, c->owner, sql, sizeof sql, &used))
        return od_fail_msg(c, "LOCK", "odbc: lock key too long", NULL);
    return od_exec(NULL, c, sql, used, NULL);
}

static int od_try_lock(void *self, dbmig_conn *c, const char *key, int *acquired, char *holder,
                       size_t holder_cap)
{
    (void)self;
    od_err_clear(&c->err);
    *acquired = 0;
    if (holder && holder_cap)
        holder[0] = '\0';
    if (!key || !*key)
        key = "dbmig_version";
    if (c->lock_key) {
        if (strcmp(c->lock_key, key) == 0) {
            *acquired = 1; /* never take it twice: PostgreSQL and MySQL locks nest */
            return DBMIG_DRV_OK;
        }
        return od_fail_msg(c, "LOCK", "odbc: this connection already holds another lock",
                           "unlock it first");
    }
    int mode = c->kind == OD_POSTGRES ? OD_LOCK_PG
               : c->kind == OD_MYSQL  ? OD_LOCK_MYSQL
                                      : OD_LOCK_TABLE;
    long long k = 0;
    int rc = mode == OD_LOCK_PG      ? od_lock_pg(c, key, acquired, holder, holder_cap, &k)
             : mode == OD_LOCK_MYSQL ? od_lock_my(c, key, acquired, holder, holder_cap)
                                     : od_lock_tbl(c, key, acquired, holder, holder_cap);
    if (rc == DBMIG_DRV_OK && *acquired) {
        c->lock_key = od_strdup(c, key, strlen(key));
        if (!c->lock_key) {
            if (mode == OD_LOCK_PG)
                od_unlock_pg(c, k);
            else if (mode == OD_LOCK_MYSQL)
                od_unlock_my(c, key);
            else
                od_unlock_tbl(c, key);
            *acquired = 0;
            return od_fail_msg(c, "HY001", "odbc: out of memory", NULL);
        }
        c->lock_mode = mode;
        c->pg_key = k;
    }
    return rc;
}

static int od_unlock(void *self, dbmig_conn *c, const char *key)
{
    (void)self;
    (void)key; /* one lock per connection: the one held */
    od_err_clear(&c->err);
    if (!c->lock_key)
        return DBMIG_DRV_OK;
    int rc = c->lock_mode == OD_LOCK_PG      ? od_unlock_pg(c, c->pg_key)
             : c->lock_mode == OD_LOCK_MYSQL ? od_unlock_my(c, c->lock_key)
                                             : od_unlock_tbl(c, c->lock_key);
    od_free(c, c->lock_key);
    c->lock_key = NULL;
    c->lock_mode = OD_LOCK_NONE;
    return rc;
}

/* ---- connect / close ---------------------------------------------------- */

/* The PWD= value of an ODBC connection string (braces honoured), or NULL. */
static char *od_find_pwd(dbmig_conn *c, const char *cs)
{
    const char *p = cs;
    while (*p) {
        while (*p == ';' || *p == ' ')
            p++;
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        size_t kl = (size_t)(eq - p);
        while (kl && p[kl - 1] == ' ')
            kl--;
        const char *v = eq + 1, *end;
        char *val = NULL;
        if (*v == '{') {
            /* {...} with }} for a literal } */
            size_t n = 0;
            const char *q = v + 1;
            for (end = q; *end; end++) {
                if (*end == '}') {
                    if (end[1] == '}') {
                        end++;
                        n++;
                        continue;
                    }
                    break;
                }
                n++;
            }
            val = od_alloc(c, n + 1);
            if (val) {
                size_t o = 0;
                for (const char *r = q; r < end; r++) {
                    if (*r == '}' && r[1] == '}')
                        r++;
                    val[o++] = *r;
                }
                val[o] = '\0';
            }
            end = *end ? end + 1 : end;
            while (*end && *end != ';')
                end++;
        } else {
            end = strchr(v, ';');
            if (!end)
                end = v + strlen(v);
            val = od_strdup(c, v, (size_t)(end - v));
        }
        int is_pwd = (kl == 3 && strncasecmp(p, "PWD", 3) == 0) ||
                     (kl == 8 && strncasecmp(p, "PASSWORD", 8) == 0);
        if (is_pwd && val && *val)
            return val;
        od_free(c, val);
        p = end;
    }
    return NULL;
}

static void od_getinfo_str(dbmig_conn *c, SQLUSMALLINT what, char *out, size_t cap)
{
    SQLSMALLINT n = 0;
    out[0] = '\0';
    if (!SQL_SUCCEEDED(SQLGetInfo(c->dbc, what, out, (SQLSMALLINT)cap, &n)))
        out[0] = '\0';
}

static void od_discover(dbmig_conn *c)
{
    char q[8] = "";
    od_getinfo_str(c, SQL_DBMS_NAME, c->dbms, sizeof c->dbms);
    od_getinfo_str(c, SQL_DBMS_VER, c->dbms_ver, sizeof c->dbms_ver);
    od_getinfo_str(c, SQL_IDENTIFIER_QUOTE_CHAR, q, sizeof q);
    c->quote = q[0] == ' ' ? 0 : q[0];
    SQLUSMALLINT tc = SQL_TC_NONE;
    if (!SQL_SUCCEEDED(SQLGetInfo(c->dbc, SQL_TXN_CAPABLE, &tc, sizeof tc, NULL)))
        tc = SQL_TC_DML;
    c->txn_capable = tc;

    int maria = strstr(c->dbms, "MariaDB") || strstr(c->dbms_ver, "MariaDB");
    if (strncasecmp(c->dbms, "PostgreSQL", 10) == 0)
        c->kind = OD_POSTGRES;
    else if (strncasecmp(c->dbms, "MySQL", 5) == 0 || maria)
        c->kind = OD_MYSQL;
    else if (strncasecmp(c->dbms, "SQLite", 6) == 0)
        c->kind = OD_SQLITE;
    else
        c->kind = OD_GENERIC;

    uint32_t caps = DBMIG_CAP_LOCK_REPORTS_HOLDER;
    if (tc == SQL_TC_ALL)
        caps |= DBMIG_CAP_TRANSACTIONAL_DDL;
    switch (c->kind) {
    case OD_POSTGRES:
        caps |= DBMIG_CAP_SAVEPOINTS | DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS |
                DBMIG_CAP_DROP_INDEX_IF_EXISTS | DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS |
                DBMIG_CAP_DROP_COLUMN_IF_EXISTS | DBMIG_CAP_CONCURRENT_INDEX | DBMIG_CAP_BOOLEAN;
        break;
    case OD_SQLITE:
        caps |= DBMIG_CAP_SAVEPOINTS | DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS |
                DBMIG_CAP_DROP_INDEX_IF_EXISTS | DBMIG_CAP_BOOLEAN;
        break;
    case OD_MYSQL:
        caps |= DBMIG_CAP_SAVEPOINTS | DBMIG_CAP_DROP_INDEX_NEEDS_TABLE | DBMIG_CAP_BOOLEAN;
        if (maria)
            caps |= DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS |
                    DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS | DBMIG_CAP_DROP_COLUMN_IF_EXISTS;
        break;
    default:
        break;
    }
    c->caps = caps;
}

static int od_connect(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
                      dbmig_db_error *err)
{
    (void)self;
    if (!host || !host->alloc || !host->free || !url) {
        od_set(err, "ARG", "odbc: connect needs a host table and a URL", NULL);
        return DBMIG_DRV_ERROR;
    }
    if (strncasecmp(url, "odbc:", 5) != 0 || !url[5]) {
        od_set(err, "URL", "not an ODBC URL: it must be odbc: followed by an ODBC connection string",
               "e.g. odbc:DSN=name;UID=user;PWD=secret or "
               "odbc:Driver=/path/to/driver.so;Database=app.db");
        if (err) {
            err->kind = DBMIG_DB_ERR_URL; /* the core: a usage error, exit 2 */
            err->code[0] = '\0';
        }
        return DBMIG_DRV_ERROR;
    }
    const char *cs = url + 5;
    dbmig_conn *c = host->alloc(host->payload, sizeof *c);
    if (!c) {
        od_set(err, "HY001", "odbc: out of memory", NULL);
        return DBMIG_DRV_ERROR;
    }
    memset(c, 0, sizeof *c);
    size_t hs = host->size && host->size < sizeof c->host ? host->size : sizeof c->host;
    memcpy(&c->host, host, hs);
    if (gethostname(c->hostname, sizeof c->hostname) != 0)
        strcpy(c->hostname, "?");
    c->hostname[sizeof c->hostname - 1] = '\0';
    /* a pid is only meaningful inside its PID namespace (containers) */
    char ns[64] = "";
    ssize_t nl = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    ns[nl > 0 ? nl : 0] = '\0';
    snprintf(c->hostid, sizeof c->hostid, "%.127s%s%.63s", c->hostname, ns[0] ? " " : "", ns);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(c->owner, sizeof c->owner, "%ld@%.40s/%lx.%lx", (long)getpid(), c->hostname,
             (unsigned long)ts.tv_sec, (unsigned long)ts.tv_nsec ^ (unsigned long)(uintptr_t)c);
    c->pwd = od_find_pwd(c, cs);

    dbmig_db_error e;
    od_err_clear(&e);
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env))) {
        od_set(&e, "HY001", "odbc: cannot allocate an ODBC environment (is unixODBC installed?)",
               NULL);
        goto fail;
    }
    if (!SQL_SUCCEEDED(SQLSetEnvAttr(c->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0))) {
        od_diag(SQL_HANDLE_ENV, c->env, &e, c->pwd, "SQLSetEnvAttr");
        goto fail;
    }
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, c->env, &c->dbc))) {
        od_diag(SQL_HANDLE_ENV, c->env, &e, c->pwd, "SQLAllocHandle(connection)");
        goto fail;
    }
    SQLRETURN r = SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0, NULL,
                                   SQL_DRIVER_NOPROMPT);
    if (!SQL_SUCCEEDED(r)) {
        od_diag(SQL_HANDLE_DBC, c->dbc, &e, c->pwd, "SQLDriverConnect");
        char msg[sizeof e.message];
        snprintf(msg, sizeof msg, "ODBC connection failed: %.990s", e.message);
        snprintf(e.message, sizeof e.message, "%s", msg);
        goto fail;
    }
    c->connected = 1;
    od_discover(c);

    char who[200], sql[400];
    if (c->kind == OD_POSTGRES) {
        /* for holder reports; and the schema the catalog look-ups use */
        size_t used = (size_t)snprintf(sql, sizeof sql, "SET application_name TO ");
        od_who(c, who + 6, sizeof who - 6);
        memcpy(who, "dbmig ", 6);
        who[63] = '\0'; /* PostgreSQL keeps 63 bytes */
        if (od_put_quoted(c, 0, who, sql, sizeof sql, &used) == 0 &&
            od_exec(self, c, sql, used, NULL) != DBMIG_DRV_OK)
            od_err_clear(&c->err); /* informative only */
        if (od_query_one(c, "SELECT current_schema()", c->schema, sizeof c->schema, NULL) !=
            DBMIG_DRV_OK) {
            e = c->err;
            goto fail;
        }
    } else if (c->kind == OD_MYSQL) {
        if (od_query_one(c, "SELECT DATABASE()", c->mydb, sizeof c->mydb, NULL) != DBMIG_DRV_OK) {
            e = c->err;
            goto fail;
        }
    }
    od_err_clear(&c->err);
    *out = c;
    return DBMIG_DRV_OK;

fail:
    if (err)
        *err = e;
    if (c->connected)
        SQLDisconnect(c->dbc);
    if (c->dbc)
        SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
    if (c->env)
        SQLFreeHandle(SQL_HANDLE_ENV, c->env);
    od_free(c, c->pwd);
    host->free(host->payload, c);
    return DBMIG_DRV_ERROR;
}

static void od_close(void *self, dbmig_conn *c)
{
    (void)self;
    if (!c)
        return;
    if (c->in_tx) {
        SQLEndTran(SQL_HANDLE_DBC, c->dbc, SQL_ROLLBACK);
        SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)(uintptr_t)SQL_AUTOCOMMIT_ON,
                          SQL_IS_UINTEGER);
        c->in_tx = 0;
    }
    if (c->lock_key)
        od_unlock(self, c, c->lock_key); /* session locks go with the connection anyway */
    if (c->connected)
        SQLDisconnect(c->dbc);
    SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
    SQLFreeHandle(SQL_HANDLE_ENV, c->env);
    for (int i = 0; i < c->vcap; i++)
        od_free(c, c->bufs[i]);
    od_free(c, c->bufs);
    od_free(c, c->bcaps);
    od_free(c, (void *)c->vals);
    od_free(c, c->lens);
    od_free(c, c->pwd);
    c->host.free(c->host.payload, c);
}

/* ---- the rest ----------------------------------------------------------- */

static const dbmig_db_error *od_last_error(void *self, const dbmig_conn *c)
{
    (void)self;
    static const dbmig_db_error none = {0, {0}, {0}, {0}, {0}, 0};
    return c ? &c->err : &none;
}

static int od_server_version(void *self, dbmig_conn *c, char *out, size_t cap)
{
    (void)self;
    if (out && cap)
        snprintf(out, cap, "%s%s%s", c->dbms[0] ? c->dbms : "ODBC", c->dbms_ver[0] ? " " : "",
                 c->dbms_ver);
    return DBMIG_DRV_OK;
}

static uint32_t od_conn_caps(void *self, const dbmig_conn *c) { (void)self; return c->caps; }

static const char *const od_schemes[] = {"odbc", NULL};

static const dbmig_driver od_driver = {
    DBMIG_DRIVER_HEADER,
    .name = "odbc",
    .version = OD_VERSION,
    .description = "any database with an ODBC driver, through unixODBC (odbc:<connection "
                   "string>); its other capabilities are read from the server at connect",
    .schemes = od_schemes,
    .caps = DBMIG_CAP_LOCK_REPORTS_HOLDER,
    .dialect = DBMIG_DIALECT_GENERIC,
    .unload_safe = 0, /* ODBC drivers loaded by unixODBC may leave threads or handlers */
    .connect = od_connect,
    .close = od_close,
    .exec = od_exec,
    .query = od_query,
    .begin = od_begin,
    .commit = od_commit,
    .rollback = od_rollback,
    .try_lock = od_try_lock,
    .unlock = od_unlock,
    .table_exists = od_table_exists,
    .column_exists = od_column_exists,
    .index_exists = od_index_exists,
    .quote_ident = od_quote_ident,
    .quote_literal = od_quote_literal,
    .last_error = od_last_error,
    .server_version = od_server_version,
    .conn_caps = od_conn_caps,
};

DBMIG_DRIVER_ENTRY(odbc, od_driver)
