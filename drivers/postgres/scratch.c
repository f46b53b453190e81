/* scratch.c — the PostgreSQL driver's scratch databases (driver ABI 2.1,
 * SPEC section 12): scratch_create and scratch_drop, the throwaway
 * databases `drift` and `test` replay migrations on.
 *
 * Why it is built this way:
 *   - CREATE DATABASE on the user's server, as the user (CREATEDB needed;
 *     without it the error says to grant it or to give --scratch-url). The
 *     template is the server's default (template1), not template0: the
 *     user's own database was made from it too, so what the DBA put there
 *     (extensions, languages, a public schema with its grants) is in the
 *     scratch database as well, and migrations that rely on it replay the
 *     same way; template0 would drop those and could only help a database
 *     whose encoding differs from template1's.
 *   - The scratch URL is the connection's URL with only the database
 *     replaced, every other part kept as written (host, port, sslmode,
 *     search_path, the password: the core redacts it), so the scratch
 *     handle connects exactly as the user's did. A postgres:// URL gets a
 *     new path (and a new dbname= parameter if it had one); a libpq
 *     key=value string is taken apart by libpq and rebuilt with the new
 *     dbname.
 *   - The schemas of the connection's search path (current_schemas) are
 *     created in the new database, so a URL with search_path=app connects
 *     there, and the migrations land in a schema of the same name (a
 *     function's or trigger's text names it). A search path that comes
 *     from the database's settings instead of the URL is added to the
 *     scratch URL (postgres:// form), since CREATE DATABASE does not copy
 *     settings.
 *   - Drop: DROP DATABASE IF EXISTS ... WITH (FORCE) from PostgreSQL 13 on
 *     (a session left connected by a crash cannot keep it alive), plain
 *     before; so dropping what is gone succeeds. When FORCE is refused for
 *     want of the right to end an autovacuum worker in it (42501), the
 *     plain form is tried again (see pg_scratch_drop).
 *   - The name comes from the core ([a-z0-9_]); anything else is refused,
 *     so it is quoted by construction.
 */
#include "pg_int.h"

#include <stdio.h>
#include <string.h>

#define PG_SCRATCH_SCHEMAS_CAP 4096

/* err (when given) receives c->err; returns DBMIG_DRV_ERROR. */
static int pg_scratch_fail(dbmig_conn *c, dbmig_db_error *err)
{
    if (err)
        *err = c->err;
    return DBMIG_DRV_ERROR;
}

static int pg_scratch_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return 0;
    return 1;
}

/* Appends s[0..n) to out at *o; -1 when it does not fit. */
static int pg_put_n(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    if (*o + n + 1 > cap)
        return -1;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
    return 0;
}

/* postgres://auth/OLD?a=1&dbname=OLD#f -> postgres://auth/NAME?a=1&dbname=NAME#f */
static int pg_scratch_uri(const char *url, const char *name, char *out, size_t cap)
{
    const char *auth = strstr(url, "://") + 3;
    const char *path = auth + strcspn(auth, "/?#");
    const char *rest = path + strcspn(path, "?#");
    size_t o = 0, nl = strlen(name);
    if (pg_put_n(out, cap, &o, url, (size_t)(path - url)) || pg_put_n(out, cap, &o, "/", 1) ||
        pg_put_n(out, cap, &o, name, nl))
        return -1;
    if (*rest != '?')
        return pg_put_n(out, cap, &o, rest, strlen(rest));
    const char *p = rest;
    while (*p && *p != '#') {
        /* p at '?' or '&': one parameter up to the next '&' or '#' */
        size_t len = 1 + strcspn(p + 1, "&#");
        if (len > 7 && strncmp(p + 1, "dbname=", 7) == 0) {
            if (pg_put_n(out, cap, &o, p, 8) || pg_put_n(out, cap, &o, name, nl))
                return -1;
        } else if (pg_put_n(out, cap, &o, p, len)) {
            return -1;
        }
        p += len;
    }
    return pg_put_n(out, cap, &o, p, strlen(p));
}

/* A libpq key=value string rebuilt with dbname=NAME (values quoted). */
static int pg_scratch_keywords(const char *url, const char *name, char *out, size_t cap)
{
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    if (!opts)
        return -1;
    size_t o = 0;
    int rc = 0;
    out[0] = '\0';
    for (PQconninfoOption *k = opts; k->keyword && rc == 0; k++) {
        if (!k->val || strcmp(k->keyword, "dbname") == 0)
            continue;
        rc = pg_put_n(out, cap, &o, k->keyword, strlen(k->keyword)) ||
             pg_put_n(out, cap, &o, "='", 2);
        for (const char *v = k->val; *v && rc == 0; v++)
            rc = (*v == '\'' || *v == '\\' ? pg_put_n(out, cap, &o, "\\", 1) : 0) ||
                 pg_put_n(out, cap, &o, v, 1);
        if (rc == 0)
            rc = pg_put_n(out, cap, &o, "' ", 2);
    }
    PQconninfoFree(opts);
    if (rc == 0)
        rc = pg_put_n(out, cap, &o, "dbname=", 7) || pg_put_n(out, cap, &o, name, strlen(name));
    return rc ? -1 : 0;
}

/* A URI without a search_path parameter whose connection's search_path
 * is not the server's default (ALTER DATABASE ... SET search_path, a
 * role's setting) gets it appended, percent-encoded, so the scratch
 * database puts the migrations in the same schema: a database's own
 * settings do not travel with CREATE DATABASE. 0, or -1 when it does not
 * fit (*failed: the look-up failed, c->err says why). */
static int pg_scratch_path(dbmig_conn *c, char *url, size_t cap, int *failed)
{
    *failed = 0;
    const char *q = strchr(url, '?');
    if (!pg_is_uri(url) || (q && (strstr(q, "?search_path=") || strstr(q, "&search_path="))))
        return 0;
    char path[1024] = "";
    int found = 0;
    if (pg_lookup(c,
                  "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'search_path' "
                  "AND setting IS DISTINCT FROM boot_val",
                  0, NULL, &found, path, sizeof path) != DBMIG_DRV_OK) {
        *failed = 1;
        return -1;
    }
    if (!found || !path[0] || strchr(url, '#'))
        return 0;
    size_t o = strlen(url);
    if (pg_put_n(url, cap, &o, q ? "&search_path=" : "?search_path=", 13))
        return -1;
    for (const char *p = path; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        char enc[4];
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        snprintf(enc, sizeof enc, plain ? "%c" : "%%%02X", ch);
        if (pg_put_n(url, cap, &o, enc, strlen(enc)))
            return -1;
    }
    return 0;
}

/* Collects "CREATE SCHEMA IF NOT EXISTS x; ..." for the search path's
 * schemas other than public (which the template has). */
static int pg_scratch_schema_row(void *payload, int ncols, const char *const *v,
                                 const size_t *len)
{
    char *sql = payload;
    size_t o = strlen(sql);
    if (ncols < 1 || !v[0])
        return 0;
    if (o + len[0] + 32 >= PG_SCRATCH_SCHEMAS_CAP)
        return 1; /* an absurdly long path: the rest are left to the user */
    snprintf(sql + o, PG_SCRATCH_SCHEMAS_CAP - o, "CREATE SCHEMA IF NOT EXISTS %s; ", v[0]);
    return 0;
}

/* Creates the search path's schemas in the new database (see the top). */
static int pg_scratch_schemas(dbmig_conn *c, const char *url)
{
    char sql[PG_SCRATCH_SCHEMAS_CAP] = "";
    if (pg_query(NULL, c,
                 "SELECT pg_catalog.quote_ident(s) FROM pg_catalog.unnest("
                 "pg_catalog.current_schemas(false)) s WHERE s <> 'public'",
                 pg_scratch_schema_row, sql) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!sql[0])
        return DBMIG_DRV_OK;
    char *plain = NULL, *sp = NULL; /* its search_path names schemas not made yet */
    if (pg_strip_param(&c->host, url, PG_STRIPPED_PARAM, &plain, &sp) != 0)
        return pg_fail_msg(c, "NOMEM", "postgres: out of memory", NULL);
    pg_free(&c->host, sp);
    dbmig_conn *s = NULL;
    int rc = pg_connect(NULL, &c->host, plain, &s, &c->err);
    pg_free(&c->host, plain);
    if (rc != DBMIG_DRV_OK)
        return rc;
    rc = pg_command(s, sql);
    if (rc != DBMIG_DRV_OK)
        c->err = s->err;
    pg_close(NULL, s);
    return rc;
}

static int pg_scratch_create_db(dbmig_conn *c, const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    if (pg_command(c, sql) == DBMIG_DRV_OK)
        return DBMIG_DRV_OK;
    if (strcmp(c->err.code, "42501") == 0) {
        char hint[512];
        const char *user = PQuser(c->pg);
        snprintf(hint, sizeof hint,
                 "the user may not create databases: give --scratch-url with an empty database "
                 "to replay on, or grant it (ALTER ROLE %s CREATEDB)",
                 user && *user ? user : "<user>");
        pg_copy(c->err.hint, sizeof c->err.hint, hint);
    }
    return DBMIG_DRV_ERROR;
}

int pg_scratch_create(void *self, dbmig_conn *c, const char *name, char *url, size_t cap,
                      dbmig_db_error *err)
{
    (void)self;
    if (!c || !url || !cap) {
        if (err) {
            pg_err_clear(err);
            pg_copy(err->code, sizeof err->code, "ARG");
            pg_copy(err->message, sizeof err->message,
                    "postgres: scratch_create needs a connection and a URL buffer");
        }
        return DBMIG_DRV_ERROR;
    }
    pg_err_clear(&c->err);
    if (!pg_scratch_name_ok(name)) {
        pg_fail_msg(c, "ARG", "postgres: a scratch database name is 1 to 63 of [a-z0-9_]", NULL);
        return pg_scratch_fail(c, err);
    }
    int bad = pg_is_uri(c->url) ? pg_scratch_uri(c->url, name, url, cap)
                                : pg_scratch_keywords(c->url, name, url, cap);
    int failed = 0;
    if (!bad)
        bad = pg_scratch_path(c, url, cap, &failed);
    if (failed) {
        url[0] = '\0';
        return pg_scratch_fail(c, err);
    }
    if (bad) {
        url[0] = '\0';
        pg_fail_msg(c, "ARG", "postgres: the scratch database's URL does not fit its buffer",
                    NULL);
        return pg_scratch_fail(c, err);
    }
    if (pg_scratch_create_db(c, name) != DBMIG_DRV_OK)
        return pg_scratch_fail(c, err);
    if (pg_scratch_schemas(c, url) != DBMIG_DRV_OK) {
        dbmig_db_error first = c->err;
        pg_scratch_drop(NULL, c, name, url, NULL); /* nothing left behind */
        c->err = first;
        return pg_scratch_fail(c, err);
    }
    return DBMIG_DRV_OK;
}

int pg_scratch_drop(void *self, dbmig_conn *c, const char *name, const char *url,
                    dbmig_db_error *err)
{
    (void)self;
    (void)url; /* the name says which, on conn's server */
    if (!c)
        return DBMIG_DRV_ERROR;
    pg_err_clear(&c->err);
    if (!pg_scratch_name_ok(name)) {
        pg_fail_msg(c, "ARG", "postgres: a scratch database name is 1 to 63 of [a-z0-9_]", NULL);
        return pg_scratch_fail(c, err);
    }
    char sql[160];
    int force = PQserverVersion(c->pg) >= 130000;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"%s", name,
             force ? " WITH (FORCE)" : "");
    if (pg_command(c, sql) == DBMIG_DRV_OK)
        return DBMIG_DRV_OK;
    /* FORCE first checks that the caller may signal every backend in the
     * database, and an autovacuum worker there fails that check for a
     * role without pg_signal_backend (42501). The plain form ends
     * autovacuum workers itself (and waits up to 5 s for them). */
    if (force && strcmp(c->err.code, "42501") == 0) {
        pg_err_clear(&c->err);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", name);
        if (pg_command(c, sql) == DBMIG_DRV_OK)
            return DBMIG_DRV_OK;
    }
    if (strcmp(c->err.code, "55006") == 0 && !c->err.hint[0])
        pg_copy(c->err.hint, sizeof c->err.hint,
                "sessions are still connected to it (PostgreSQL before 13 cannot force them "
                "out): end them, then DROP DATABASE it by hand");
    return pg_scratch_fail(c, err);
}
