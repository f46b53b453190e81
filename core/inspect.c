/* inspect.c — the schema commands' plumbing on a handle (inspect.h):
 * inspecting the handle's connection into the model (core/schema.h), the
 * scratch databases drift and test replay migrations on, and the library's
 * `schema dump` (dbmig_schema_dump).
 *
 * Why it is built this way:
 *   - dm_inspect leaves out the version table and its lock table by name,
 *     as lock.c names the lock table (<table>_lock). A qualified --table
 *     s.t is left out only when s is the schema the driver inspects (the
 *     connection's current one), so a user's own table t elsewhere is kept.
 *   - A scratch database is a second dbmig handle on the URL the driver's
 *     scratch_create gave, opened with the first handle's options, so a
 *     replay is the user's own upgrade path. Its stop is the first
 *     handle's: a scratch handle reads its parent's interrupt flag
 *     (dbmig_interrupt stays async-signal-safe, a flag only), and
 *     dbmig_cancel on the parent reaches the scratch's running statement
 *     under the parent's child_mu (engine.h).
 *   - The scratch URL may hold a password: only its redacted form (url.c)
 *     is ever put into a message.
 *   - `dbmig diff --drivers` needs scratch databases of other drivers than
 *     the handle's (dm_scratch_open_driver): a URL the user gives, or, for
 *     a driver that needs no server (SQLite), one made and removed through
 *     a handle without a URL on that driver (s->maker); the same struct and
 *     close path, so every exit removes it alike.
 *   - dm_scratch_close never asks whether the run was interrupted: it
 *     always closes the scratch handle and then drops the database through
 *     the parent's connection (or, for --scratch-url, drops what the model
 *     lists there and the version tables, in passes until nothing more
 *     goes, since foreign keys fix an order the model does not give).
 */
#define _GNU_SOURCE
#include "inspect.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine.h"
#include "url.h"

/* ---- inspecting a handle ------------------------------------------------- */

typedef struct schema_row {
    char name[256];
    int got;
} schema_row;

static int first_value(void *payload, int ncols, const char *const *values, const size_t *lengths)
{
    schema_row *r = payload;
    (void)lengths;
    if (ncols >= 1 && values[0]) {
        snprintf(r->name, sizeof r->name, "%s", values[0]);
        r->got = 1;
    }
    return 1;
}

/* Whether the version table's own schema is the one inspect() describes:
 * always for an unqualified name; for s.t when s is the connection's
 * current schema (standard CURRENT_SCHEMA; a driver that cannot answer is
 * taken to inspect s, so the version table never shows up as the user's). */
static int version_table_inspected(dbmig *h)
{
    const char *dot = strchr(h->table, '.');
    if (!dot)
        return 1;
    schema_row r = {{0}, 0};
    if (h->drv->query(h->drv_self, h->conn, "SELECT CURRENT_SCHEMA", first_value, &r) !=
            DBMIG_DRV_OK ||
        !r.got)
        return 1;
    return strlen(r.name) == (size_t)(dot - h->table) &&
           strncmp(r.name, h->table, (size_t)(dot - h->table)) == 0;
}

int dm_inspect(dbmig *h, dm_schema *out)
{
    memset(out, 0, sizeof *out);
    int rc = dm_need_driver(h);
    if (rc != DBMIG_OK)
        return rc;
    out->dialect = (int)h->drv->dialect;
    if (!DM_DRV_OPT(h->drv, inspect)) /* refused before connecting */
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "driver %s cannot inspect a database's schema (it has no inspect "
                          "method, driver ABI 2.1): schema dump, drift and test need a driver "
                          "that has one",
                          h->drv->name);
    if ((rc = dm_need_conn(h)) != DBMIG_OK)
        return rc;
    if (!h->conn) /* the database does not exist yet: nothing in it */
        return DBMIG_OK;
    const char *dot = strchr(h->table, '.');
    const char *bare = dot ? dot + 1 : h->table;
    char lock[300];
    snprintf(lock, sizeof lock, "%s_lock", bare);
    const char *skip[3] = {bare, lock, NULL};
    if (!version_table_inspected(h))
        skip[0] = NULL;
    return dm_schema_from_driver(h->drv, h->drv_self, h->conn, skip, out, &h->err);
}

/* Hashes one row: each value's length (or -1 for NULL), then its bytes, so
 * that no two different rows hash alike. */
static int digest_row(void *p, int n, const char *const *v, const size_t *len)
{
    dm_sha256 *s = p;
    for (int i = 0; i < n; i++) {
        long long l = v[i] ? (long long)len[i] : -1;
        dm_sha256_update(s, &l, sizeof l);
        if (v[i])
            dm_sha256_update(s, v[i], len[i]);
    }
    return 0;
}

int dm_schema_digest(dbmig *h, char *out, int *have)
{
    out[0] = '\0';
    *have = 0;
    int rc = dm_need_driver(h);
    if (rc != DBMIG_OK)
        return rc;
    const char *q = DM_DRV_SQL(h->drv, schema_digest);
    if (!q)
        return DBMIG_OK;
    if ((rc = dm_need_conn(h)) != DBMIG_OK)
        return rc;
    dm_sha256 s;
    dm_sha256_init(&s);
    if (h->conn && h->drv->query(h->drv_self, h->conn, q, digest_row, &s) != DBMIG_DRV_OK)
        return dm_db_error(h, "reading the schema's digest");
    dm_sha256_v1(&s, out);
    *have = 1;
    return DBMIG_OK;
}

/* ---- scratch databases --------------------------------------------------- */

struct dm_scratch {
    dbmig *h;       /* the handle on the scratch database */
    dbmig *maker;   /* another driver's (dm_scratch_open_driver): a handle
                     * without a URL on that driver, whose scratch_create
                     * made the database and whose scratch_drop removes it;
                     * NULL: h's driver and connection did */
    char name[40];  /* dbmig_scratch_<16 hex>; "" for a --scratch-url database */
    char *url;      /* may hold a password: never printed */
    char *where;    /* url, redacted */
    int user_given; /* --scratch-url: emptied at the end, not dropped */
};

static int scratch_name(dbmig *h, char *out, size_t cap)
{
    unsigned char b[8];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof b) { /* no getrandom: the device */
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        got = fd >= 0 && read(fd, b, sizeof b) == (ssize_t)sizeof b ? sizeof b : 0;
        if (fd >= 0)
            close(fd);
    }
    if (got < sizeof b)
        return dm_err_set(&h->err, DBMIG_ERROR,
                          "cannot name a scratch database: no random bytes (getrandom and "
                          "/dev/urandom both failed: %s)",
                          strerror(errno));
    int k = snprintf(out, cap, "dbmig_scratch_");
    for (size_t i = 0; i < sizeof b; i++)
        k += snprintf(out + k, cap - (size_t)k, "%02x", b[i]);
    return DBMIG_OK;
}

static void scratch_free(dm_scratch *s)
{
    if (!s)
        return;
    free(s->url);
    free(s->where);
    dbmig_close(s->maker);
    free(s);
}

/* s->url and s->where from url. */
static int scratch_set_url(dbmig *h, dm_scratch *s, const char *url)
{
    dm_buf r = {0};
    s->url = dm_strdup(url);
    if (!s->url || dm_url_redact(url, &r) != 0) {
        dm_buf_free(&r);
        return dm_err_nomem(&h->err);
    }
    s->where = dm_buf_take(&r);
    return s->where ? DBMIG_OK : dm_err_nomem(&h->err);
}

/* The driver makes the database (driver.h: scratch_create): h's, on h's
 * connection, or s->maker's (another driver, no connection). Errors go to
 * h. */
static int scratch_create(dbmig *h, dm_scratch *s)
{
    dbmig *mk = s->maker ? s->maker : h;
    int (*create)(void *, dbmig_conn *, const char *, char *, size_t, dbmig_db_error *) =
        DM_DRV_OPT(mk->drv, scratch_create);
    if (!create || !DM_DRV_OPT(mk->drv, scratch_drop))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "driver %s cannot make a scratch database (it has no scratch_create/"
                          "scratch_drop, driver ABI 2.1): pass --scratch-url URL naming an "
                          "empty database of the same driver to use instead",
                          mk->drv->name);
    int rc = scratch_name(h, s->name, sizeof s->name);
    if (rc != DBMIG_OK)
        return rc;
    char url[4096];
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    url[0] = '\0';
    if (create(mk->drv_self, mk->conn, s->name, url, sizeof url, &e) != DBMIG_DRV_OK) {
        dm_buf m = {0};
        dm_db_error_format(&m, &e);
        dm_err_set(&h->err, DBMIG_ERROR,
                   "cannot create a scratch database %s with driver %s next to %s: %s\n"
                   "fix what the driver says above, or pass --scratch-url URL naming an "
                   "empty database to use instead",
                   s->name, mk->drv->name, mk->url_redacted ? mk->url_redacted : "(no URL)",
                   dm_buf_str(&m));
        dm_buf_free(&m);
        s->name[0] = '\0'; /* nothing was made: nothing to drop */
        return dm_db_error_note(&h->err, &e);
    }
    return scratch_set_url(h, s, url);
}

/* The scratch handle's events reach h's callback with -v (verbose) only:
 * "applied 001 ..." from a replay would read as if the user's database had
 * changed. */
static void scratch_event(void *payload, const dbmig_event *ev)
{
    dbmig *h = payload;
    if (h->o.verbose && h->o.on_event)
        h->o.on_event(h->o.event_payload, ev);
}

/* The scratch handle: h's options on the scratch URL; h's driver table
 * itself when h uses one in-process (tests' wrapper drivers); driver
 * non-NULL: that driver instead of h's. */
static int scratch_handle(dbmig *h, dm_scratch *s, const char *driver)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = s->url;
    o.dir = h->dir;
    o.table = h->o.table;
    o.plugin_path = h->plugin_path;
    o.driver = driver ? driver : h->plugin ? h->drv->name : NULL;
    o.on_event = scratch_event;
    o.event_payload = h;
    o.lock_timeout = h->o.lock_timeout;
    o.lock = h->o.lock;
    o.lease_seconds = h->o.lease_seconds;
    o.commit_interval_ms = h->o.commit_interval_ms;
    o.verbose = h->o.verbose;
    o.vars = h->o.vars; /* the placeholders' values (SPEC 16): replayed files need them */
    o.nvars = h->o.nvars;
    int rc = dbmig_open(&s->h, &o);
    if (rc == DBMIG_OK && !h->plugin && !driver)
        rc = dm_use_driver(s->h, h->drv, h->drv_self);
    if (rc != DBMIG_OK)
        return dm_err_set(&h->err, rc, "cannot open the scratch database %s: %s", s->where,
                          s->h ? dbmig_errmsg(s->h) : "out of memory");
    s->h->parent = h;
    pthread_mutex_lock(&h->child_mu);
    h->child = s->h;
    pthread_mutex_unlock(&h->child_mu);
    return DBMIG_OK;
}

/* Appends the names of up to 10 objects of m to b ("a, b, c and 4 more"). */
static void list_names(const dm_schema *m, dm_buf *b)
{
    size_t shown = 0, named = 0;
    for (size_t i = 0; i < m->n; i++) {
        int k = m->v[i].kind;
        if (k != DBMIG_SO_TABLE && k != DBMIG_SO_VIEW && k != DBMIG_SO_SEQUENCE &&
            k != DBMIG_SO_FUNCTION && k != DBMIG_SO_ENUM)
            continue;
        if (shown < 10)
            dm_buf_printf(b, "%s%s", shown ? ", " : "", m->v[i].name ? m->v[i].name : "?");
        shown += shown < 10;
        named++;
    }
    if (named > shown)
        dm_buf_printf(b, " and %zu more", named - shown);
}

/* Each dropped only when it is there: DROP TABLE IF EXISTS of a missing
 * one is a PostgreSQL NOTICE ("does not exist, skipping"), which -v would
 * print for every scratch database emptied. */
int dm_drop_version_tables(dbmig *h)
{
    int rc = dm_need_driver(h);
    for (int lock = 0; rc == DBMIG_OK && lock < 2; lock++) {
        dm_buf name = {0}, sql = {0};
        int exists = 0;
        if (dm_buf_printf(&name, "%s%s", h->table, lock ? "_lock" : "") ||
            dm_buf_puts(&sql, "DROP TABLE IF EXISTS "))
            rc = dm_err_nomem(&h->err);
        if (rc == DBMIG_OK && h->drv->table_exists(h->drv_self, h->conn, dm_buf_str(&name),
                                                   &exists) != DBMIG_DRV_OK)
            rc = dm_db_error(h, "cannot look for the version table");
        if (rc == DBMIG_OK && exists)
            rc = dm_quote_qualified(h, dm_buf_str(&name), &sql);
        if (rc == DBMIG_OK && exists)
            rc = dm_sql_exec(h, dm_buf_str(&sql), NULL);
        dm_buf_free(&name);
        dm_buf_free(&sql);
    }
    return rc;
}

/* Whether sh's database has the version table (sh's table, bare name). */
int dm_has_version_table(dbmig *sh, int *exists)
{
    const char *dot = strchr(sh->table, '.');
    *exists = 0;
    if (sh->drv->table_exists(sh->drv_self, sh->conn, dot ? dot + 1 : sh->table, exists) !=
        DBMIG_DRV_OK)
        return dm_db_error(sh, "cannot look for the version table");
    return DBMIG_OK;
}

/* --scratch-url: it must be empty, without a version table either (that
 * would be a migrated database, maybe the --url one: never emptied). */
static int scratch_check_empty(dbmig *h, dm_scratch *s)
{
    dm_schema m;
    int vt = 0;
    int rc = dm_need_conn_create(s->h);
    if (rc == DBMIG_OK)
        rc = dm_inspect(s->h, &m);
    if (rc == DBMIG_OK && (rc = dm_has_version_table(s->h, &vt)) != DBMIG_OK)
        dm_schema_free(&m);
    if (rc != DBMIG_OK)
        return dm_err_set(&h->err, rc, "cannot use the scratch database %s: %s", s->where,
                          dbmig_errmsg(s->h));
    if (m.n || vt) {
        dm_buf b = {0};
        list_names(&m, &b);
        if (vt)
            dm_buf_printf(&b, "%sthe version table %s", m.n ? " and " : "", s->h->table);
        rc = dm_err_set(&h->err, DBMIG_EUSAGE,
                        "the scratch database %s is not empty: it holds %s; --scratch-url must "
                        "name an empty database (it is emptied again at the end), or leave "
                        "--scratch-url out to use a temporary one",
                        s->where, dm_buf_str(&b));
        dm_buf_free(&b);
    }
    dm_schema_free(&m);
    return rc;
}

/* A scratch database is thrown away: its commits need not wait for the
 * disk (thousands of DDL commits would otherwise take minutes on SQLite).
 * The statements are the driver's (dbmig_dialect_sql.scratch_session).
 * Run on every scratch handle, here, so drift, test and diff all get
 * it; never on the user's own database (test --yes-destroy). */
static int scratch_fast(dbmig *s)
{
    int rc = dm_need_conn_create(s);
    const char *sql = rc == DBMIG_OK ? DM_DRV_SQL(s->drv, scratch_session) : NULL;
    char *copy = sql ? dm_strdup(sql) : NULL;
    if (sql && !copy)
        return dm_err_nomem(&s->err);
    char *save = NULL;
    for (char *st = copy ? strtok_r(copy, ";", &save) : NULL; rc == DBMIG_OK && st;
         st = strtok_r(NULL, ";", &save)) {
        while (*st == ' ' || *st == '\n')
            st++;
        if (*st)
            rc = dm_sql_exec(s, st, NULL);
    }
    free(copy);
    return rc;
}

/* The handle on s's database, and the checks of a user's one; on failure
 * s is closed (never emptied when it was refused). */
static int scratch_finish(dbmig *h, dm_scratch *s, int rc, const char *driver, dm_scratch **out)
{
    if (rc == DBMIG_OK)
        rc = scratch_handle(h, s, driver);
    if (rc == DBMIG_OK && s->user_given)
        rc = scratch_check_empty(h, s);
    if (rc == DBMIG_OK && scratch_fast(s->h) != DBMIG_OK)
        rc = dm_err_set(&h->err, DBMIG_ERROR, "cannot set up the scratch database %s: %s",
                        s->where, dbmig_errmsg(s->h));
    if (rc != DBMIG_OK) {
        if (s->user_given && s->h) { /* refused: never empty a database we did not accept */
            pthread_mutex_lock(&h->child_mu);
            h->child = NULL;
            pthread_mutex_unlock(&h->child_mu);
            dbmig_close(s->h);
            scratch_free(s);
            return rc;
        }
        dm_scratch_close(h, s);
        return rc;
    }
    *out = s;
    return DBMIG_OK;
}

int dm_scratch_open(dbmig *h, const char *scratch_url, dm_scratch **out)
{
    *out = NULL;
    int rc = dm_need_driver(h);
    if (rc != DBMIG_OK)
        return rc;
    if (!DM_DRV_OPT(h->drv, inspect))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "driver %s cannot inspect a database's schema (it has no inspect "
                          "method, driver ABI 2.1): drift and test need a driver that has one",
                          h->drv->name);
    if ((rc = dm_need_conn(h)) != DBMIG_OK)
        return rc;
    dm_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return dm_err_nomem(&h->err);
    s->user_given = scratch_url != NULL;
    if (scratch_url && h->url && strcmp(scratch_url, h->url) == 0) {
        free(s);
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "--scratch-url names the database itself (%s): give another, empty "
                          "database to replay on, or leave --scratch-url out",
                          h->url_redacted);
    }
    rc = scratch_url ? scratch_set_url(h, s, scratch_url) : scratch_create(h, s);
    return scratch_finish(h, s, rc, NULL, out);
}

/* s->maker: a handle on driver without a URL, which must be able to make
 * a scratch database without a server (its dialect is SQLite's). */
static int scratch_maker(dbmig *h, dm_scratch *s, const char *driver)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.driver = driver;
    o.plugin_path = h->plugin_path;
    o.table = h->o.table;
    int rc = dbmig_open(&s->maker, &o);
    if (rc == DBMIG_OK)
        rc = dm_need_driver(s->maker);
    if (rc != DBMIG_OK)
        return dm_err_set(&h->err, rc, "cannot load driver %s for a scratch database: %s",
                          driver, s->maker ? dbmig_errmsg(s->maker) : "out of memory");
    if (s->maker->drv->dialect != DBMIG_DIALECT_SQLITE)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "a scratch database for driver %s lives on a server, and the %s "
                          "database is not one of its: pass --scratch-url %s://USER@HOST/DB "
                          "naming an empty database of that driver",
                          driver, h->url ? "--url" : "(no --url)", driver);
    return DBMIG_OK;
}

int dm_scratch_open_driver(dbmig *h, const char *driver, const char *scratch_url,
                           dm_scratch **out)
{
    *out = NULL;
    dm_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return dm_err_nomem(&h->err);
    s->user_given = scratch_url != NULL;
    int rc = scratch_url ? scratch_set_url(h, s, scratch_url) : scratch_maker(h, s, driver);
    if (rc == DBMIG_OK && !scratch_url)
        rc = scratch_create(h, s);
    if (rc != DBMIG_OK && !s->name[0] && !s->user_given) {
        scratch_free(s); /* nothing was made */
        return rc;
    }
    return scratch_finish(h, s, rc, driver, out);
}

dbmig *dm_scratch_handle(dm_scratch *s) { return s ? s->h : NULL; }

const char *dm_scratch_where(const dm_scratch *s) { return s ? s->where : ""; }

/* One DROP of an object the model lists (ok: 1 when it went). */
static void drop_one(dbmig *sh, const dm_sobj *o, int *ok)
{
    static const char *const verbs[] = {
        [DBMIG_SO_TABLE] = "DROP TABLE ", [DBMIG_SO_VIEW] = "DROP VIEW ",
        [DBMIG_SO_SEQUENCE] = "DROP SEQUENCE ", [DBMIG_SO_FUNCTION] = "DROP FUNCTION ",
        [DBMIG_SO_ENUM] = "DROP TYPE "};
    *ok = 0;
    if (o->kind < 0 || o->kind > DBMIG_SO_ENUM || !verbs[o->kind] || !o->name)
        return;
    for (int attempt = 0; attempt < 2 && !*ok; attempt++) {
        /* a function's name may carry its argument types: f(integer) */
        const char *paren = o->kind == DBMIG_SO_FUNCTION ? strchr(o->name, '(') : NULL;
        char *bare = paren ? dm_strndup(o->name, (size_t)(paren - o->name)) : dm_strdup(o->name);
        dm_buf sql = {0};
        dm_buf_puts(&sql, attempt ? "DROP PROCEDURE " : verbs[o->kind]);
        if (bare && dm_quote_ident(sh, bare, &sql) == DBMIG_OK && !dm_buf_puts(&sql, paren ? paren : ""))
            *ok = dm_sql_exec(sh, dm_buf_str(&sql), NULL) == DBMIG_OK;
        free(bare);
        dm_buf_free(&sql);
        if (o->kind != DBMIG_SO_FUNCTION)
            break;
    }
    dm_err_clear(&sh->err);
}

/* --scratch-url at the end: drop what its model lists and the version
 * tables, in passes while something goes (foreign keys order the drops). */
static int scratch_empty(dbmig *h, dm_scratch *s, dm_buf *left)
{
    dbmig *sh = s->h;
    dm_schema m;
    int rc = DBMIG_OK;
    for (int pass = 0; pass < 50; pass++) {
        if ((rc = dm_inspect(sh, &m)) != DBMIG_OK)
            break;
        size_t gone = 0;
        static const int order[] = {DBMIG_SO_VIEW, DBMIG_SO_TABLE, DBMIG_SO_SEQUENCE,
                                    DBMIG_SO_FUNCTION, DBMIG_SO_ENUM};
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
            for (size_t i = 0; i < m.n; i++)
                if (m.v[i].kind == order[k]) {
                    int ok;
                    drop_one(sh, &m.v[i], &ok);
                    gone += (size_t)ok;
                }
        int empty = m.n == 0;
        if (!gone || empty)
            list_names(&m, left);
        dm_schema_free(&m);
        if (!gone || empty)
            break;
    }
    if (rc == DBMIG_OK && dm_drop_version_tables(sh) != DBMIG_OK)
        rc = DBMIG_ERROR;
    if (rc != DBMIG_OK && !left->len)
        dm_buf_puts(left, dbmig_errmsg(sh));
    (void)h;
    return left->len ? DBMIG_ERROR : DBMIG_OK;
}

/* Reports a failure to remove into h's error: set when h has none, else
 * appended to it. */
static int scratch_report(dbmig *h, const char *fmt, const char *a, const char *b, const char *c)
{
    dm_buf m = {0};
    dm_buf_printf(&m, fmt, a, b, c);
    if (h->err.code == DBMIG_OK)
        dm_err_set(&h->err, DBMIG_ERROR, "%s", dm_buf_str(&m));
    else
        dm_buf_printf(&h->err.msg, "\nalso: %s", dm_buf_str(&m));
    dm_buf_free(&m);
    return DBMIG_ERROR;
}

int dm_scratch_close(dbmig *h, dm_scratch *s)
{
    if (!s)
        return DBMIG_OK;
    int rc = DBMIG_OK;
    if (s->user_given && s->h) {
        dm_buf left = {0};
        if (scratch_empty(h, s, &left) != DBMIG_OK)
            rc = scratch_report(h, "the scratch database %s could not be emptied: %s is left "
                                   "there%s; drop it by hand",
                                s->where, dm_buf_str(&left), "");
        dm_buf_free(&left);
    }
    pthread_mutex_lock(&h->child_mu);
    h->child = NULL;
    pthread_mutex_unlock(&h->child_mu);
    dbmig_close(s->h); /* before the drop: a server refuses to drop a database in use */
    s->h = NULL;
    if (!s->user_given && s->name[0] && s->url) {
        dbmig *mk = s->maker ? s->maker : h;
        int (*drop)(void *, dbmig_conn *, const char *, const char *, dbmig_db_error *) =
            DM_DRV_OPT(mk->drv, scratch_drop);
        dbmig_db_error e;
        memset(&e, 0, sizeof e);
        if (drop(mk->drv_self, mk->conn, s->name, s->url, &e) != DBMIG_DRV_OK) {
            dm_buf m = {0};
            dm_db_error_format(&m, &e);
            rc = scratch_report(h, "the scratch database %s (%s) could not be removed: %s; "
                                   "remove it by hand (DROP DATABASE, or delete the file)",
                                s->name, s->where, dm_buf_str(&m));
            dm_buf_free(&m);
        }
    }
    scratch_free(s);
    return rc;
}

/* ---- schema dump (dbmig.h) ----------------------------------------------- */

static size_t quote_cb(void *arg, const char *in, char *out, size_t cap)
{
    dbmig *h = arg;
    return h->drv->quote_ident(h->drv_self, NULL, in, strlen(in), out, cap);
}

int dbmig_schema_dump(dbmig *h, int format, char **out)
{
    if (!h)
        return DBMIG_ERROR;
    if (out)
        *out = NULL;
    dm_err_clear(&h->err);
    if (!out || (format != DBMIG_SCHEMA_SQL && format != DBMIG_SCHEMA_JSON))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "dbmig_schema_dump: format must be DBMIG_SCHEMA_SQL or "
                          "DBMIG_SCHEMA_JSON and out non-NULL");
    if (h->o.sql_out)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "schema dump reads the live database's catalog, so it cannot run "
                          "offline (--sql): leave --sql out");
    dm_schema m;
    int rc = dm_inspect(h, &m);
    if (rc != DBMIG_OK)
        return rc;
    if (!h->conn && h->nodb) { /* an empty dump, but a typo'd path must not pass unseen */
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: the dump is that of an empty database; %s",
                 h->nodb_msg ? h->nodb_msg : "the database does not exist",
                 h->nodb_hint && *h->nodb_hint ? h->nodb_hint : "`dbmig upgrade` creates it");
        dm_emit(h, DBMIG_EV_NOTICE, NULL, msg, NULL);
    }
    dm_buf b = {0};
    if (format == DBMIG_SCHEMA_SQL)
        rc = dm_schema_render_sql(&m, quote_cb, h, &b);
    else
        rc = dm_schema_render_json(&m, &b);
    dm_schema_free(&m);
    if (rc != 0 || !(*out = dm_buf_take(&b))) {
        dm_buf_free(&b);
        return dm_err_nomem(&h->err);
    }
    return DBMIG_OK;
}

void dbmig_free(void *p) { free(p); }
