/* postgres.c — the PostgreSQL driver plugin (dbmig_postgres.so), linked only
 * against libpq. This file is the ABI 2.0 driver; the ABI 2.1 methods are in
 * inspect.c (catalog inspection) and scratch.c (scratch databases), which
 * share the connection struct and the helpers through pg_int.h.
 *
 * URLs: postgres://user:pass@host:port/db?param=value&... and postgresql://
 * are handed to libpq as they are, so every libpq parameter works (sslmode,
 * sslrootcert, options, application_name, connect_timeout, host=/socket/dir,
 * service=...), and PGPASSWORD, ~/.pgpass, PGSERVICE and the other PG*
 * variables keep working because libpq reads them. A libpq key=value
 * connection string ("host=/run/postgresql dbname=app") works too, with
 * --driver postgres. One parameter is dbmig's own and is removed before
 * libpq sees it: `search_path=a,b` (URL form only), applied after connecting
 * with set_config('search_path', ...); the version table lives in the first
 * schema of the path, which must exist.
 *
 * Defaults the URL or the environment may override: application_name "dbmig"
 * (libpq's fallback_application_name, so the URL or PGAPPNAME win),
 * client_encoding UTF8 (migration files are UTF-8; PGCLIENTENCODING wins),
 * connect_timeout 10 seconds (PGCONNECT_TIMEOUT wins).
 *
 * Servers older than PostgreSQL 11 are refused.
 *
 * Errors: dbmig_db_error.code is the SQLSTATE; message, detail and hint are
 * the server's fields (PG_DIAG_*; the context of a PL/pgSQL error is added to
 * detail); position is PG_DIAG_STATEMENT_POSITION, 1-based characters into
 * the text handed to exec()/query(). Connection failures have libpq's text on
 * one line, with the URL's password replaced by *** wherever libpq echoed it,
 * and code 08001 (28P01 for a refused password).
 *
 * exec() takes several statements in one text (DBMIG_CAP_MULTI_STATEMENT):
 * they run in order in one round trip (simple query protocol), stopping at
 * the first failure; the position counts from the start of the text.
 *
 * Notices (RAISE NOTICE, "already exists, skipping", ...) go to host->log:
 * WARNING at DBMIG_LOG_WARN, the rest at DBMIG_LOG_INFO.
 *
 * Locking: a session-level advisory lock, pg_try_advisory_lock(k) with
 *   k = hashtextextended(current_schema() || '.' || <table>, 0)
 * (or hashtextextended('<schema>.<table>', 0) when the key already names its
 * schema), computed by the server once when the lock is taken and kept for
 * the unlock, so a migration that changes search_path cannot lose it. The
 * server drops the lock when the session ends, however it ends. The holder is
 * read from pg_locks joined with pg_stat_activity: "pid <backend pid>
 * (application <name>, client <address>, connected since <UTC time>)".
 *
 * Memory: everything this driver allocates comes from host->alloc/free;
 * libpq's own results are freed with PQclear/PQfreemem.
 */
#define _POSIX_C_SOURCE 200809L
#include <dbmig/driver.h>

#include <libpq-fe.h>

#include "pg_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PG_MIN_SERVER_VERSION 110000


/* ---- small helpers ------------------------------------------------------ */

void *pg_alloc(const dbmig_host *h, size_t n) { return h->alloc(h->payload, n ? n : 1); }
void pg_free(const dbmig_host *h, void *p)
{
    if (p)
        h->free(h->payload, p);
}

char *pg_strndup(const dbmig_host *h, const char *s, size_t n)
{
    char *p = pg_alloc(h, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void pg_err_clear(dbmig_db_error *e)
{
    e->kind = DBMIG_DB_ERR_GENERIC;
    e->code[0] = e->message[0] = e->detail[0] = e->hint[0] = '\0';
    e->position = 0;
}

/* Scrubbing libpq's connection-error text, by its structure, never by a
 * search for the password's text (that turned "postgres" into "***" in
 * "postgres://" and in 'user "postgres"' when the password was "postgres",
 * which both mangled the message and told the password). libpq quotes every
 * value it echoes ('invalid sslmode value: "x"', 'could not translate host
 * name "x"'); a quoted value equal to the password (as written or decoded)
 * becomes "***", unless it equals a non-secret part of the connection (the
 * user, host, port or database: then it is that part, shown as is).
 * pg_connect refuses beforehand the URLs where libpq would read a piece of
 * the password as the host, port or database (an unencoded '@' or '/'), so
 * no fragment of a password reaches a message. Server errors after the
 * connection are not touched: they never hold the URL. */
static int pg_is_public(const dbmig_conn *c, const char *tok, size_t n)
{
    for (int i = 0; i < 4; i++)
        if (c->publics[i] && strlen(c->publics[i]) == n && memcmp(c->publics[i], tok, n) == 0)
            return 1;
    return 0;
}

static int pg_is_secret(const dbmig_conn *c, const char *tok, size_t n)
{
    for (int i = 0; i < 3; i++)
        if (c->secrets[i] && *c->secrets[i] && strlen(c->secrets[i]) == n &&
            memcmp(c->secrets[i], tok, n) == 0)
            return 1;
    return 0;
}

static void pg_scrub_text(const dbmig_conn *c, char *buf, size_t cap)
{
    if (!buf)
        return;
    char *p = buf;
    while ((p = strchr(p, '"')) != NULL) {
        char *q = strchr(p + 1, '"');
        if (!q)
            break;
        size_t n = (size_t)(q - p - 1);
        if (pg_is_secret(c, p + 1, n) && !pg_is_public(c, p + 1, n)) {
            size_t tail = strlen(q);
            if ((size_t)(p + 1 - buf) + 3 + tail + 1 > cap) {
                p[1] = '\0'; /* no room: cut the text where the secret started */
                return;
            }
            memmove(p + 4, q, tail + 1);
            memcpy(p + 1, "***", 3);
            q = p + 4;
        }
        p = q + 1;
    }
}

void pg_scrub_err(const dbmig_conn *c, dbmig_db_error *e)
{
    pg_scrub_text(c, e->message, sizeof e->message);
    pg_scrub_text(c, e->detail, sizeof e->detail);
    pg_scrub_text(c, e->hint, sizeof e->hint);
}

/* Copies libpq's multi-line text into out as one line: lines joined with
 * "; ", leading white space of each line and trailing white space removed. */
void pg_one_line(char *out, size_t cap, const char *in)
{
    size_t o = 0;
    if (!cap)
        return;
    out[0] = '\0';
    if (!in)
        return;
    const char *p = in;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        if (n) {
            if (o && o + 2 < cap) {
                out[o++] = ';';
                out[o++] = ' ';
            }
            for (size_t i = 0; i < n && o + 1 < cap; i++)
                out[o++] = p[i];
            out[o] = '\0';
        }
        if (!nl)
            break;
        p = nl + 1;
    }
}

/* Copies in into out, truncated to cap - 1 bytes. */
void pg_copy(char *out, size_t cap, const char *in)
{
    if (!cap)
        return;
    size_t n = in ? strlen(in) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(out, in, n);
    out[n] = '\0';
}

int pg_fail_msg(dbmig_conn *c, const char *code, const char *msg, const char *hint)
{
    pg_err_clear(&c->err);
    pg_copy(c->err.code, sizeof c->err.code, code);
    pg_one_line(c->err.message, sizeof c->err.message, msg);
    if (hint)
        pg_copy(c->err.hint, sizeof c->err.hint, hint);
    pg_scrub_err(c, &c->err);
    return DBMIG_DRV_ERROR;
}

/* The kinds the core acts on (driver.h): 55P03 lock_not_available (a lock
 * wait that reached lock_timeout, or NOWAIT) and 57014 query_canceled when
 * it was statement_timeout's (a cancel, dbmig_cancel's too, has the same
 * code and stays GENERIC). The message is the server's: with lc_messages
 * set to another language a statement time-out is reported GENERIC. */
static void pg_error_kind(dbmig_db_error *e, const char *state, const char *primary)
{
    if (!state)
        return;
    if (strcmp(state, "55P03") == 0)
        e->kind = DBMIG_DB_ERR_LOCK_TIMEOUT;
    else if (strcmp(state, "57014") == 0 && primary && strstr(primary, "statement timeout"))
        e->kind = DBMIG_DB_ERR_STATEMENT_TIMEOUT;
}

/* Fills c->err from a failed result (r may be NULL: the connection's own
 * message is used). */
int pg_fail_res(dbmig_conn *c, const PGresult *r)
{
    dbmig_db_error *e = &c->err;
    pg_err_clear(e);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    const char *ctx = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
    /* 57P01..57P05: the server ends the session (admin shutdown,
     * pg_terminate_backend, crash); 08xxx: the connection broke */
    int lost = PQstatus(c->pg) == CONNECTION_BAD ||
               (state && (strncmp(state, "57P0", 4) == 0 || strncmp(state, "08", 2) == 0));
    if (!primary || !*primary) {
        const char *m = r ? PQresultErrorMessage(r) : NULL;
        if (!m || !*m)
            m = PQerrorMessage(c->pg);
        primary = m && *m ? m : "unknown error";
    }
    pg_copy(e->code, sizeof e->code, state && *state ? state : (lost ? "08006" : "XX000"));
    pg_one_line(e->message, sizeof e->message, primary);
    pg_one_line(e->detail, sizeof e->detail, detail);
    if (ctx && *ctx) {
        size_t o = strlen(e->detail);
        if (o + 12 < sizeof e->detail) {
            if (o)
                o += (size_t)snprintf(e->detail + o, sizeof e->detail - o, "; ");
            o += (size_t)snprintf(e->detail + o, sizeof e->detail - o, "context: ");
            pg_one_line(e->detail + o, sizeof e->detail - o, ctx);
        }
    }
    pg_one_line(e->hint, sizeof e->hint, hint);
    if (lost && !e->hint[0])
        pg_copy(e->hint, sizeof e->hint,
                "the connection to the server was lost (server restart, "
                "pg_terminate_backend, network); the transaction was rolled back");
    e->position = pos ? (int)strtol(pos, NULL, 10) : 0;
    if (e->position < 0)
        e->position = 0;
    pg_error_kind(e, state, primary);
    return DBMIG_DRV_ERROR;
}

/* ---- URL handling --------------------------------------------------------- */

static int pg_hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into a new string. */
char *pg_decode(const dbmig_host *h, const char *s, size_t n)
{
    char *out = pg_alloc(h, n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int a, b;
        if (s[i] == '%' && i + 2 < n && (a = pg_hexval((unsigned char)s[i + 1])) >= 0 &&
            (b = pg_hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(a * 16 + b);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

int pg_is_uri(const char *url)
{
    return strncasecmp(url, "postgres://", 11) == 0 || strncasecmp(url, "postgresql://", 13) == 0;
}

/* The password as written in a URI's user info (raw, not decoded):
 * postgres://user:PASS@host/...; *n = 0 when there is none. */
static const char *pg_uri_password(const char *url, size_t *n)
{
    *n = 0;
    if (!pg_is_uri(url))
        return NULL;
    const char *auth = strstr(url, "://") + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            at = auth + i;
    if (!at)
        return NULL;
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon)
        return NULL;
    *n = (size_t)(at - colon - 1);
    return colon + 1;
}

/* Copies url into a new string without the query parameter `name`
 * (URI form only); its percent-decoded value (the last one if repeated) goes
 * to *value (NULL when absent). */
int pg_strip_param(const dbmig_host *h, const char *url, const char *name, char **stripped,
                          char **value)
{
    *stripped = NULL;
    *value = NULL;
    size_t len = strlen(url);
    char *out = pg_alloc(h, len + 1);
    if (!out)
        return -1;
    const char *q = pg_is_uri(url) ? strchr(url, '?') : NULL;
    if (!q) {
        memcpy(out, url, len + 1);
        *stripped = out;
        return 0;
    }
    const char *hash = strchr(q, '#');
    const char *qend = hash ? hash : url + len;
    size_t o = (size_t)(q - url);
    memcpy(out, url, o);
    size_t nl = strlen(name);
    int first = 1;
    const char *p = q + 1;
    while (p <= qend) {
        const char *amp = memchr(p, '&', (size_t)(qend - p));
        const char *end = amp ? amp : qend;
        size_t n = (size_t)(end - p);
        if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            pg_free(h, *value);
            *value = pg_decode(h, p + nl + 1, n - nl - 1);
            if (!*value) {
                pg_free(h, out);
                return -1;
            }
        } else if (n > 0) {
            out[o++] = first ? '?' : '&';
            memcpy(out + o, p, n);
            o += n;
            first = 0;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    if (hash) {
        memcpy(out + o, hash, (size_t)(url + len - hash));
        o += (size_t)(url + len - hash);
    }
    out[o] = '\0';
    *stripped = out;
    return 0;
}

/* ---- connect / close ---------------------------------------------------- */

static void pg_notice(void *arg, const PGresult *r)
{
    dbmig_conn *c = arg;
    if (!c->host.log)
        return;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!sev)
        sev = PQresultErrorField(r, PG_DIAG_SEVERITY);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    char line[1024], one[900];
    pg_one_line(one, sizeof one, msg ? msg : PQresultErrorMessage(r));
    int n = snprintf(line, sizeof line, "postgres %s: %s", sev ? sev : "NOTICE", one);
    if (detail && *detail && n > 0 && (size_t)n < sizeof line) {
        pg_one_line(one, sizeof one, detail);
        snprintf(line + n, sizeof line - (size_t)n, " (%s)", one);
    }
    int level = sev && strcmp(sev, "WARNING") == 0 ? DBMIG_LOG_WARN : DBMIG_LOG_INFO;
    c->host.log(c->host.payload, level, line);
}

static void pg_release(dbmig_conn *c)
{
    if (c->cancel)
        PQfreeCancel(c->cancel);
    c->cancel = NULL;
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    for (int i = 0; i < 3; i++)
        pg_free(&c->host, c->secrets[i]);
    for (int i = 0; i < 4; i++)
        pg_free(&c->host, c->publics[i]);
    pg_free(&c->host, c->url);
    pg_free(&c->host, (void *)c->vals);
    pg_free(&c->host, c->lens);
    dbmig_host h = c->host;
    pg_free(&h, c);
}

static void pg_set_err(dbmig_db_error *err, const dbmig_db_error *from)
{
    if (err)
        *err = *from;
}

/* What libpq reads from the connection string itself: the password (URI
 * user info, ?password=, password=...), decoded, into c->secrets[2], and
 * the user, host, port and database into c->publics. Returns -1 when libpq
 * cannot parse it, with libpq's reason in why (which may quote a piece of
 * the string: the caller shows it only when no password is in it). */
static int pg_conninfo_parts(dbmig_conn *c, const char *conninfo, char *why, size_t cap)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    if (msg) {
        pg_one_line(why, cap, msg);
        PQfreemem(msg);
    }
    if (!opts)
        return -1;
    static const char *const pub[4] = {"user", "host", "port", "dbname"};
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "password") == 0 && !c->secrets[2])
            c->secrets[2] = pg_strndup(&c->host, o->val, strlen(o->val));
        for (int i = 0; i < 4; i++)
            if (strcmp(o->keyword, pub[i]) == 0 && !c->publics[i])
                c->publics[i] = pg_strndup(&c->host, o->val, strlen(o->val));
    }
    PQconninfoFree(opts);
    return 0;
}

/* 1 when s contains word (ASCII, case-insensitive). */
static int pg_has_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return 1;
    return 0;
}

/* A URI whose user info holds an unencoded '@' or '/' is read by libpq
 * differently from what its writer meant (libpq's user info ends at the
 * first '@' or '/'): a piece of the password would become the host, port or
 * database and be echoed in libpq's errors. Returns the reason, or NULL. */
static const char *pg_uri_ambiguous(const char *url)
{
    if (!pg_is_uri(url))
        return NULL;
    const char *rest = strstr(url, "://") + 3;
    if (!strchr(rest, '@'))
        return NULL;
    size_t stop = strcspn(rest, "@/");
    if (rest[stop] == '@') {
        /* libpq's user info ends here: no other '@' before the query */
        const char *after = rest + stop + 1;
        if (memchr(after, '@', strcspn(after, "?")))
            return "its user name or password holds an unencoded '@' (libpq would read the "
                   "rest of it as the host or database name)";
        return NULL;
    }
    /* libpq sees no user info, yet an '@' follows: a '/' in a password (its
     * start would be read as host and port), unless the '@' is only in the
     * query of a URL without a port */
    size_t netloc = strcspn(rest, "/?");
    if (memchr(rest, ':', netloc) || memchr(rest, '@', strcspn(rest, "?")))
        return "its user name or password holds an unencoded '/' or '?' (libpq would read "
               "part of the password as the host, port or database), or a parameter an '@'";
    return NULL;
}

int pg_connect(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
                      dbmig_db_error *err)
{
    (void)self;
    if (!host || !host->alloc || !host->free || !url) {
        if (err) {
            pg_err_clear(err);
            pg_copy(err->code, sizeof err->code, "ARG");
            pg_copy(err->message, sizeof err->message,
                    "postgres: connect needs a host table and a URL");
        }
        return DBMIG_DRV_ERROR;
    }
    dbmig_conn *c = pg_alloc(host, sizeof *c);
    if (!c) {
        if (err) {
            pg_err_clear(err);
            pg_copy(err->code, sizeof err->code, "NOMEM");
            pg_copy(err->message, sizeof err->message, "postgres: out of memory");
        }
        return DBMIG_DRV_ERROR;
    }
    memset(c, 0, sizeof *c);
    size_t hs = host->size && host->size < sizeof c->host ? host->size : sizeof c->host;
    memcpy(&c->host, host, hs);

    c->url = pg_strndup(&c->host, url, strlen(url));
    if (!c->url) {
        pg_fail_msg(c, "NOMEM", "postgres: out of memory", NULL);
        pg_set_err(err, &c->err);
        pg_release(c);
        return DBMIG_DRV_ERROR;
    }
    /* Know the password before anything can echo it. */
    size_t rawlen = 0;
    const char *raw = pg_uri_password(url, &rawlen);
    if (raw && rawlen) {
        c->secrets[0] = pg_strndup(&c->host, raw, rawlen);
        c->secrets[1] = pg_decode(&c->host, raw, rawlen);
    }
    char *conninfo = NULL, *search_path = NULL;
    if (pg_strip_param(&c->host, url, PG_STRIPPED_PARAM, &conninfo, &search_path) != 0) {
        pg_fail_msg(c, "NOMEM", "postgres: out of memory", NULL);
        pg_set_err(err, &c->err);
        pg_release(c);
        return DBMIG_DRV_ERROR;
    }
    const char *ambiguous = pg_uri_ambiguous(url);
    char why[300] = "";
    if (ambiguous || pg_conninfo_parts(c, conninfo, why, sizeof why) != 0) {
        /* libpq's own message quotes the piece it choked on: shown only
         * when the string holds no password at all */
        size_t rawn = 0;
        const char *at = strrchr(url, '@'); /* "u:pw@h" without "://" too */
        int secret = (pg_uri_password(url, &rawn) && rawn) || pg_has_word(url, "pass") ||
                     pg_has_word(url, "pwd") || (at && memchr(url, ':', (size_t)(at - url)));
        const char *what = pg_is_uri(url) ? "URL" : "connection string";
        static const char enc[] = "percent-encode special characters in the user name and "
                                  "password (@ as %40, / as %2F, : as %3A, ? as %3F, # as %23, "
                                  "% as %25)";
        char msg[900];
        if (ambiguous)
            snprintf(msg, sizeof msg, "the %s cannot be read safely: %s; %s", what, ambiguous,
                     enc);
        else if (secret || !why[0])
            snprintf(msg, sizeof msg,
                     "libpq cannot parse the %s (its message is not shown: it may quote a piece "
                     "of the password); check it, and %s",
                     what, enc);
        else
            snprintf(msg, sizeof msg, "libpq cannot parse the %s: %s", what, why);
        pg_fail_msg(c, "", msg, NULL);
        c->err.kind = DBMIG_DB_ERR_URL;
        pg_free(&c->host, conninfo);
        pg_free(&c->host, search_path);
        pg_set_err(err, &c->err);
        pg_release(c);
        return DBMIG_DRV_ERROR;
    }

    /* Keywords before dbname are defaults the connection string overrides
     * (expand_dbname processes it at dbname's place). */
    const char *keys[6], *vals[6];
    int k = 0;
    keys[k] = "fallback_application_name";
    vals[k++] = "dbmig";
    if (!getenv("PGCLIENTENCODING")) {
        keys[k] = "client_encoding";
        vals[k++] = "UTF8";
    }
    if (!getenv("PGCONNECT_TIMEOUT")) {
        keys[k] = "connect_timeout";
        vals[k++] = "10";
    }
    keys[k] = "dbname";
    vals[k++] = conninfo;
    keys[k] = NULL;
    vals[k] = NULL;
    c->pg = PQconnectdbParams(keys, vals, 1);
    pg_free(&c->host, conninfo);
    if (!c->pg) {
        pg_free(&c->host, search_path);
        pg_fail_msg(c, "NOMEM", "postgres: out of memory (libpq)", NULL);
        pg_set_err(err, &c->err);
        pg_release(c);
        return DBMIG_DRV_ERROR;
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        const char *m = PQerrorMessage(c->pg);
        int auth = m && (strstr(m, "password authentication failed") ||
                         strstr(m, "no password supplied") ||
                         strstr(m, "authentication failed"));
        pg_fail_msg(c, auth ? "28P01" : "08001", m && *m ? m : "cannot connect",
                    auth ? "check the user name and password (in the URL, PGPASSWORD or "
                           "~/.pgpass) and the server's pg_hba.conf"
                         : NULL);
        pg_free(&c->host, search_path);
        pg_set_err(err, &c->err);
        pg_release(c);
        return DBMIG_DRV_ERROR;
    }
    int v = PQserverVersion(c->pg);
    if (v < PG_MIN_SERVER_VERSION) {
        const char *sv = PQparameterStatus(c->pg, "server_version");
        char msg[256];
        snprintf(msg, sizeof msg,
                 "the server runs PostgreSQL %s; dbmig supports PostgreSQL 11 and newer",
                 sv ? sv : "(unknown version)");
        pg_fail_msg(c, "VERSION", msg,
                    "upgrade the server, or use an older migration tool for this database");
        pg_free(&c->host, search_path);
        pg_set_err(err, &c->err);
        pg_release(c);
        return DBMIG_DRV_ERROR;
    }
    PQsetNoticeReceiver(c->pg, pg_notice, c);

    if (search_path) {
        const char *params[1] = {search_path};
        PGresult *r = PQexecParams(c->pg,
                                   "SELECT pg_catalog.set_config('search_path', $1, false), "
                                   "pg_catalog.current_schema()",
                                   1, NULL, params, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        if (!ok) {
            pg_fail_res(c, r);
        } else if (PQgetisnull(r, 0, 1)) {
            char msg[600];
            snprintf(msg, sizeof msg,
                     "search_path=%.400s in the URL names no existing schema", search_path);
            pg_fail_msg(c, "3F000", msg,
                        "create the schema first (CREATE SCHEMA ...), or fix search_path");
            ok = 0;
        }
        PQclear(r);
        pg_free(&c->host, search_path);
        if (!ok) {
            pg_set_err(err, &c->err);
            pg_release(c);
            return DBMIG_DRV_ERROR;
        }
    }
    c->cancel = PQgetCancel(c->pg);
    *out = c;
    return DBMIG_DRV_OK;
}

void pg_close(void *self, dbmig_conn *c)
{
    (void)self;
    if (!c)
        return;
    pg_release(c);
}

/* ABI 1.1: abandon the running statement, from another thread. PQcancel
 * only reads the PGcancel made at connect and sends the request on a
 * connection of its own (libpq documents it as safe there). */
static int pg_cancel(void *self, dbmig_conn *c)
{
    (void)self;
    char why[256];
    return c && c->cancel && PQcancel(c->cancel, why, (int)sizeof why) ? DBMIG_DRV_OK
                                                                      : DBMIG_DRV_ERROR;
}

/* ---- statements --------------------------------------------------------- */

/* The INVALID indexes a failed concurrent build (CREATE INDEX CONCURRENTLY,
 * REINDEX CONCURRENTLY) leaves behind, visible in search_path, whose name
 * (or, with by_table, whose table's name) is a word of the statement: their
 * names, comma-separated, into out ("" if none or if the look-up failed).
 * Leaves c->err alone. */
static void pg_invalid_indexes(dbmig_conn *c, const char *sql, int by_table, char *out,
                               size_t cap)
{
    out[0] = '\0';
    if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        return;
    const char *p[2] = {sql, by_table ? "t" : "f"};
    PGresult *r = PQexecParams(
        c->pg,
        "SELECT pg_catalog.string_agg(pg_catalog.quote_ident(i.relname), ', ' ORDER BY i.relname) "
        "FROM pg_catalog.pg_index x "
        "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
        "WHERE NOT x.indisvalid AND pg_catalog.pg_table_is_visible(i.oid) "
        "AND (pg_catalog.lower($1::text) ~ ('(^|[^a-z0-9_$])' || "
        "pg_catalog.regexp_replace(pg_catalog.lower(i.relname), '([^a-z0-9_])', '\\\\\\1', 'g') || "
        "'($|[^a-z0-9_$])') "
        "OR ($2::boolean AND pg_catalog.lower($1::text) ~ ('(^|[^a-z0-9_$])' || "
        "pg_catalog.regexp_replace(pg_catalog.lower(t.relname), '([^a-z0-9_])', '\\\\\\1', 'g') || "
        "'($|[^a-z0-9_$])')))",
        2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* After a statement with CONCURRENTLY. A failed build leaves an INVALID
 * index: say so in the hint. A statement that "succeeded" while the index
 * it names is INVALID (CREATE INDEX CONCURRENTLY IF NOT EXISTS skips an
 * existing invalid index) is turned into an error: recording it as applied
 * would leave an index that is never used and, if unique, enforces
 * nothing. */
static int pg_check_concurrent(dbmig_conn *c, const char *sql, int failed)
{
    char names[400];
    pg_invalid_indexes(c, sql, failed, names, sizeof names);
    if (!names[0])
        return failed ? DBMIG_DRV_ERROR : DBMIG_DRV_OK;
    char hint[2048];
    if (failed) {
        size_t o = strlen(c->err.hint);
        snprintf(hint, sizeof hint,
                 "%s%sthe failed concurrent build left the INVALID index %s behind: drop it "
                 "(DROP INDEX CONCURRENTLY %s) before running the statement again, or IF NOT "
                 "EXISTS will skip it",
                 c->err.hint, o ? "; " : "", names, names);
        pg_copy(c->err.hint, sizeof c->err.hint, hint);
        return DBMIG_DRV_ERROR;
    }
    char msg[2048];
    snprintf(msg, sizeof msg,
             "index %s exists but is INVALID (left by an earlier failed concurrent build), so "
             "this statement did not build it",
             names);
    snprintf(hint, sizeof hint,
             "drop it (DROP INDEX CONCURRENTLY %s), fix what made the build fail, and run "
             "again",
             names);
    return pg_fail_msg(c, "55000", msg, hint);
}

/* Sends text (one or more statements) and reads every result. On failure
 * c->err holds the first error; *race = 1 when that error is PostgreSQL's
 * catalog race between two concurrent `CREATE ... IF NOT EXISTS` of the same
 * name (the loser fails on a catalog unique index instead of skipping). */
static int pg_exec_once(dbmig_conn *c, const char *text, int64_t *total, int *race)
{
    *total = 0;
    *race = 0;
    if (!PQsendQuery(c->pg, text))
        return pg_fail_res(c, NULL);
    int failed = 0;
    PGresult *r;
    while ((r = PQgetResult(c->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN) {
            PQputCopyEnd(c->pg, "dbmig cannot feed COPY ... FROM STDIN; use INSERT or a "
                                "server-side file");
        } else if (st == PGRES_COPY_OUT) {
            char *buf;
            while (PQgetCopyData(c->pg, &buf, 0) > 0)
                PQfreemem(buf);
        } else if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE ||
                   st == PGRES_NONFATAL_ERROR) {
            if (!failed) {
                pg_fail_res(c, r);
                const char *cn = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
                *race = (strcmp(c->err.code, "23505") == 0 && cn &&
                         (strcmp(cn, "pg_type_typname_nsp_index") == 0 ||
                          strcmp(cn, "pg_class_relname_nsp_index") == 0 ||
                          strcmp(cn, "pg_namespace_nspname_index") == 0)) ||
                        strcmp(c->err.code, "42P07") == 0 || /* duplicate_table */
                        strcmp(c->err.code, "42710") == 0;   /* duplicate_object (its row type) */
            }
            failed = 1;
        } else if (!failed) {
            const char *n = PQcmdTuples(r);
            if (n && *n)
                *total += strtoll(n, NULL, 10);
        }
        PQclear(r);
        if (PQstatus(c->pg) == CONNECTION_BAD)
            break;
    }
    if (!failed && PQstatus(c->pg) == CONNECTION_BAD)
        return pg_fail_res(c, NULL);
    return failed ? DBMIG_DRV_ERROR : DBMIG_DRV_OK;
}

static int pg_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *affected)
{
    (void)self;
    pg_err_clear(&c->err);
    if (affected)
        *affected = 0;
    /* the length bounds the text: libpq wants it NUL-terminated */
    char *copy = pg_strndup(&c->host, sql, len);
    if (!copy)
        return pg_fail_msg(c, "NOMEM", "postgres: out of memory", NULL);
    int64_t total = 0;
    int race = 0, rc;
    int retry_race = pg_has_word(copy, "if not exists");
    for (int attempt = 0;; attempt++) {
        rc = pg_exec_once(c, copy, &total, &race);
        /* Lost the race to a concurrent creator that has committed by now:
         * running it again skips, as IF NOT EXISTS promises. Only outside a
         * transaction (inside one, the transaction is aborted already). */
        if (rc == DBMIG_DRV_OK || !race || !retry_race || attempt >= 3 ||
            PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
            break;
        pg_err_clear(&c->err);
    }
    if (PQstatus(c->pg) == CONNECTION_OK && pg_has_word(copy, "concurrently"))
        rc = pg_check_concurrent(c, copy, rc != DBMIG_DRV_OK);
    pg_free(&c->host, copy);
    if (rc == DBMIG_DRV_OK && affected)
        *affected = total;
    return rc;
}

static int pg_grow_row(dbmig_conn *c, int n)
{
    if (n <= c->vcap)
        return 0;
    const char **v = pg_alloc(&c->host, (size_t)n * sizeof *v);
    size_t *l = pg_alloc(&c->host, (size_t)n * sizeof *l);
    if (!v || !l) {
        pg_free(&c->host, (void *)v);
        pg_free(&c->host, l);
        return -1;
    }
    pg_free(&c->host, (void *)c->vals);
    pg_free(&c->host, c->lens);
    c->vals = v;
    c->lens = l;
    c->vcap = n;
    return 0;
}

/* Calls fn for each row of r. */
static int pg_rows(dbmig_conn *c, PGresult *r, dbmig_row_fn fn, void *payload)
{
    int n = PQnfields(r), rows = PQntuples(r);
    if (pg_grow_row(c, n))
        return pg_fail_msg(c, "NOMEM", "postgres: out of memory", NULL);
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < n; j++) {
            if (PQgetisnull(r, i, j)) {
                c->vals[j] = NULL;
                c->lens[j] = 0;
            } else {
                c->vals[j] = PQgetvalue(r, i, j);
                c->lens[j] = (size_t)PQgetlength(r, i, j);
            }
        }
        if (fn && fn(payload, n, c->vals, c->lens) != 0)
            break;
    }
    return DBMIG_DRV_OK;
}

int pg_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload)
{
    (void)self;
    pg_err_clear(&c->err);
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc;
    if (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE)
        rc = pg_rows(c, r, fn, payload);
    else if (st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY)
        rc = DBMIG_DRV_OK;
    else
        rc = pg_fail_res(c, r);
    PQclear(r);
    return rc;
}

/* Runs a command that returns no rows. */
int pg_command(dbmig_conn *c, const char *sql)
{
    pg_err_clear(&c->err);
    PGresult *r = PQexec(c->pg, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? DBMIG_DRV_OK : pg_fail_res(c, r);
    PQclear(r);
    return rc;
}

static int pg_begin(void *self, dbmig_conn *c)
{
    (void)self;
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE &&
        PQstatus(c->pg) == CONNECTION_OK)
        return pg_fail_msg(c, "25001", "postgres: BEGIN while a transaction is already open",
                           "commit or roll back the open transaction first");
    return pg_command(c, "BEGIN");
}

static int pg_commit(void *self, dbmig_conn *c)
{
    (void)self;
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_IDLE)
        return pg_fail_msg(c, "25P01", "postgres: COMMIT without a transaction in progress", NULL);
    if (ts == PQTRANS_INERROR) {
        pg_command(c, "ROLLBACK");
        return pg_fail_msg(c, "25P02",
                           "postgres: the transaction had failed, so COMMIT rolled it back",
                           "an earlier statement of the transaction failed");
    }
    pg_err_clear(&c->err);
    PGresult *r = PQexec(c->pg, "COMMIT");
    int rc;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = pg_fail_res(c, r);
    else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
        rc = pg_fail_msg(c, "25P02", "postgres: the transaction had failed, so COMMIT rolled it back",
                         NULL);
    else
        rc = DBMIG_DRV_OK;
    PQclear(r);
    return rc;
}

static int pg_rollback(void *self, dbmig_conn *c)
{
    (void)self;
    pg_err_clear(&c->err);
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        return DBMIG_DRV_OK; /* nothing to roll back (and no server WARNING) */
    return pg_command(c, "ROLLBACK");
}

/* ---- parameterised one-row look-ups ------------------------------------- */

/* Runs sql with n text parameters (NULL binds NULL); *found = 1 when a row
 * came back (and its first column is not NULL when out is given); the first
 * column goes to out. */
int pg_lookup(dbmig_conn *c, const char *sql, int n, const char *const *params, int *found,
                     char *out, size_t cap)
{
    pg_err_clear(&c->err);
    *found = 0;
    PGresult *r = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_fail_res(c, r);
        PQclear(r);
        return DBMIG_DRV_ERROR;
    }
    if (PQntuples(r) > 0 && PQnfields(r) > 0) {
        *found = 1;
        if (out && cap) {
            if (PQgetisnull(r, 0, 0))
                out[0] = '\0';
            else
                snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
        }
    }
    PQclear(r);
    return DBMIG_DRV_OK;
}

/* Splits "schema.name" (schema NULL when there is no dot). */
static void pg_split_name(const char *in, char *schema, char *name, size_t cap, int *has_schema)
{
    const char *dot = strchr(in, '.');
    *has_schema = dot != NULL;
    if (dot) {
        snprintf(schema, cap, "%.*s", (int)(dot - in), in);
        snprintf(name, cap, "%s", dot + 1);
    } else {
        schema[0] = '\0';
        snprintf(name, cap, "%s", in);
    }
}

/* Names match as written, else folded to lower case (how PostgreSQL reads an
 * unquoted identifier). Schema: the given one, else current_schema(). */
static int pg_table_exists(void *self, dbmig_conn *c, const char *table, int *exists)
{
    (void)self;
    char s[256], t[256];
    int hs;
    pg_split_name(table, s, t, sizeof s, &hs);
    const char *p[2] = {hs ? s : NULL, t};
    return pg_lookup(c,
                     "SELECT 1 FROM pg_catalog.pg_class c "
                     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                     "AND c.relname IN ($2::text, pg_catalog.lower($2::text)) "
                     "AND n.nspname = coalesce($1::text, pg_catalog.current_schema())",
                     2, p, exists, NULL, 0);
}

static int pg_column_exists(void *self, dbmig_conn *c, const char *table, const char *column,
                            int *exists)
{
    (void)self;
    char s[256], t[256];
    int hs;
    pg_split_name(table, s, t, sizeof s, &hs);
    const char *p[3] = {hs ? s : NULL, t, column};
    return pg_lookup(c,
                     "SELECT 1 FROM pg_catalog.pg_attribute a "
                     "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE c.relname IN ($2::text, pg_catalog.lower($2::text)) "
                     "AND n.nspname = coalesce($1::text, pg_catalog.current_schema()) "
                     "AND a.attname IN ($3::text, pg_catalog.lower($3::text)) "
                     "AND a.attnum > 0 AND NOT a.attisdropped",
                     3, p, exists, NULL, 0);
}

static int pg_index_exists(void *self, dbmig_conn *c, const char *table, const char *index,
                           int *exists, char *table_out, size_t table_cap)
{
    (void)self;
    char s[256], i[256], t[256];
    int hs;
    pg_split_name(index, s, i, sizeof s, &hs);
    if (table) {
        char ts[256]; /* the table's schema: the index's decides */
        int hts;
        pg_split_name(table, ts, t, sizeof ts, &hts);
    }
    const char *p[3] = {hs ? s : NULL, i, table ? t : NULL};
    char name[256];
    int rc = pg_lookup(c,
                       "SELECT t.relname FROM pg_catalog.pg_index x "
                       "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
                       "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
                       "JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace "
                       "WHERE i.relname IN ($2::text, pg_catalog.lower($2::text)) "
                       "AND n.nspname = coalesce($1::text, pg_catalog.current_schema()) "
                       "AND ($3::text IS NULL OR t.relname IN ($3::text, pg_catalog.lower($3::text)))",
                       3, p, exists, name, sizeof name);
    if (rc == DBMIG_DRV_OK && *exists && table_out && table_cap)
        snprintf(table_out, table_cap, "%s", name);
    return rc;
}

/* ---- the migration lock ------------------------------------------------- */

/* The lock's 64-bit key, computed by the server (see the top comment). */
static int pg_lock_key(dbmig_conn *c, const char *key, long long *out)
{
    const char *p[1] = {key && *key ? key : "dbmig_version"};
    char v[32];
    int found = 0;
    if (pg_lookup(c,
                  "SELECT pg_catalog.hashtextextended(CASE WHEN pg_catalog.strpos($1::text, '.') > 0 "
                  "THEN $1::text ELSE pg_catalog.current_schema() || '.' || $1::text END, 0)",
                  1, p, &found, v, sizeof v) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (!found || !v[0])
        return pg_fail_msg(c, "3F000",
                           "postgres: no current schema to place the version table in "
                           "(search_path names no existing schema)",
                           "create the schema, fix search_path, or give --table schema.table");
    *out = strtoll(v, NULL, 10);
    return DBMIG_DRV_OK;
}

/* Who holds advisory lock k: "pid N (application A, client C, connected
 * since T UTC)", or "" when the holder is gone already. */
static void pg_lock_holder(dbmig_conn *c, long long k, char *holder, size_t cap)
{
    char ks[32];
    snprintf(ks, sizeof ks, "%lld", k);
    const char *p[1] = {ks};
    PGresult *r = PQexecParams(
        c->pg,
        "SELECT l.pid, coalesce(a.application_name, ''), "
        "coalesce(pg_catalog.host(a.client_addr), CASE WHEN a.pid IS NOT NULL AND "
        "a.client_port = -1 THEN 'local socket' END, '?'), "
        "coalesce(pg_catalog.to_char(a.backend_start AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD HH24:MI:SS'), '?') "
        "FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_catalog.pg_database "
        "WHERE datname = pg_catalog.current_database()) "
        "AND l.classid = ((($1::bigint) >> 32) & 4294967295)::oid "
        "AND l.objid = (($1::bigint) & 4294967295)::oid "
        "LIMIT 1",
        1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        const char *app = PQgetvalue(r, 0, 1);
        snprintf(holder, cap, "pid %s (application %s, client %s, connected since %s UTC)",
                 PQgetvalue(r, 0, 0), *app ? app : "(none)", PQgetvalue(r, 0, 2),
                 PQgetvalue(r, 0, 3));
    }
    PQclear(r);
}

static int pg_try_lock(void *self, dbmig_conn *c, const char *key, int *acquired, char *holder,
                       size_t holder_cap)
{
    (void)self;
    pg_err_clear(&c->err);
    *acquired = 0;
    if (holder && holder_cap)
        holder[0] = '\0';
    long long k = 0;
    if (pg_lock_key(c, key, &k) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (c->locked) {
        if (k == c->lock_key) {
            *acquired = 1; /* held already: advisory locks stack, so do not take it twice */
            return DBMIG_DRV_OK;
        }
        return pg_fail_msg(c, "LOCK", "postgres: this connection already holds another lock",
                           "unlock it first");
    }
    char ks[32], v[8] = "";
    snprintf(ks, sizeof ks, "%lld", k);
    const char *p[1] = {ks};
    int found = 0;
    if (pg_lookup(c, "SELECT pg_catalog.pg_try_advisory_lock($1::bigint)", 1, p, &found, v,
                  sizeof v) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (found && strcmp(v, "t") == 0) {
        c->locked = 1;
        c->lock_key = k;
        *acquired = 1;
        return DBMIG_DRV_OK;
    }
    if (holder && holder_cap)
        pg_lock_holder(c, k, holder, holder_cap);
    return DBMIG_DRV_OK;
}

static int pg_unlock(void *self, dbmig_conn *c, const char *key)
{
    (void)self;
    (void)key; /* the key computed when the lock was taken */
    pg_err_clear(&c->err);
    if (!c->locked)
        return DBMIG_DRV_OK;
    c->locked = 0;
    if (PQstatus(c->pg) != CONNECTION_OK)
        return DBMIG_DRV_OK; /* the server dropped the session and its lock */
    char ks[32], v[8];
    snprintf(ks, sizeof ks, "%lld", c->lock_key);
    const char *p[1] = {ks};
    int found = 0;
    return pg_lookup(c, "SELECT pg_catalog.pg_advisory_unlock($1::bigint)", 1, p, &found, v,
                     sizeof v);
}

/* ---- quoting (conn may be NULL) ----------------------------------------- */

/* Copies s into out like snprintf; returns strlen(s). */
static size_t pg_put(const char *s, size_t n, char *out, size_t cap)
{
    if (out && cap) {
        size_t m = n < cap - 1 ? n : cap - 1;
        memcpy(out, s, m);
        out[m] = '\0';
    }
    return n;
}

/* Doubles q inside q...q (standard_conforming_strings on: no E'' needed). */
static size_t pg_quote_plain(char q, const char *in, size_t inlen, char *out, size_t cap)
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

static size_t pg_quote_ident(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                             char *out, size_t cap)
{
    (void)self;
    if (c && c->pg && PQstatus(c->pg) == CONNECTION_OK) {
        char *q = PQescapeIdentifier(c->pg, in, inlen);
        if (q) {
            size_t n = pg_put(q, strlen(q), out, cap);
            PQfreemem(q);
            return n;
        }
    }
    return pg_quote_plain('"', in, inlen, out, cap);
}

static size_t pg_quote_literal(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                               char *out, size_t cap)
{
    (void)self;
    if (c && c->pg && PQstatus(c->pg) == CONNECTION_OK) {
        char *q = PQescapeLiteral(c->pg, in, inlen);
        if (q) {
            size_t n = pg_put(q, strlen(q), out, cap);
            PQfreemem(q);
            return n;
        }
    }
    return pg_quote_plain('\'', in, inlen, out, cap);
}

/* ---- the rest ----------------------------------------------------------- */

static const dbmig_db_error *pg_last_error(void *self, const dbmig_conn *c)
{
    (void)self;
    static const dbmig_db_error none = {0, {0}, {0}, {0}, {0}, 0};
    return c ? &c->err : &none;
}

static int pg_server_version(void *self, dbmig_conn *c, char *out, size_t cap)
{
    (void)self;
    const char *v = PQparameterStatus(c->pg, "server_version");
    if (v && *v) {
        snprintf(out, cap, "%s", v);
        return DBMIG_DRV_OK;
    }
    int n = PQserverVersion(c->pg);
    if (n <= 0)
        return pg_fail_msg(c, "08003", "postgres: the server version is unknown", NULL);
    snprintf(out, cap, "%d.%d", n / 10000, n % 10000);
    return DBMIG_DRV_OK;
}

static const char *const pg_schemes[] = {"postgres", "postgresql", NULL};

/* The SQL the core writes for PostgreSQL (driver.h): any schema.table is
 * honoured (the catalog look-ups follow the name). */
static const dbmig_dialect_sql pg_sql = {
    DBMIG_DIALECT_SQL_HEADER,
    .timestamp_type = "TIMESTAMP",
    .savepoint = "SAVEPOINT",
    .rollback_to_savepoint = "ROLLBACK TO SAVEPOINT",
    .release_savepoint = "RELEASE SAVEPOINT",
    .lease_now_ms = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    .lease_share_lock = " FOR SHARE",
    .table_schema = NULL,
    .table_schema_why = NULL,
    .scratch_session = "SET synchronous_commit = off",
    /* ABI 2.3: time-outs (SPEC section 14). blockers: the sessions
     * pg_blocking_pids names, the longest-open transaction first, with
     * their last query (pg_stat_activity keeps it while idle). */
    .session_id = "SELECT pg_catalog.pg_backend_pid()",
    .lock_timeout = "SET lock_timeout = {ms}",
    .lock_timeout_reset = "RESET lock_timeout",
    .statement_timeout = "SET statement_timeout = {ms}",
    .statement_timeout_reset = "RESET statement_timeout",
    .blockers = "SELECT a.pid, COALESCE(a.state, ''), "
                "COALESCE(CAST(EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start) AS BIGINT), 0), "
                "COALESCE(a.query, '') FROM pg_catalog.pg_stat_activity a "
                "WHERE a.pid = ANY (pg_catalog.pg_blocking_pids({id})) "
                "ORDER BY a.xact_start NULLS LAST, a.pid",
};

static const dbmig_driver pg_driver = {
    DBMIG_DRIVER_HEADER,
    .name = "postgres",
    .version = "1.0.0",
    .description = "PostgreSQL 11 and newer, through libpq",
    .schemes = pg_schemes,
    .caps = DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
            DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS |
            DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS | DBMIG_CAP_DROP_COLUMN_IF_EXISTS |
            DBMIG_CAP_CONCURRENT_INDEX | DBMIG_CAP_BOOLEAN | DBMIG_CAP_LOCK_REPORTS_HOLDER |
            DBMIG_CAP_MULTI_STATEMENT,
    .dialect = DBMIG_DIALECT_POSTGRES,
    .unload_safe = 0, /* libpq (and the OpenSSL it loads) must stay mapped */
    .sql = &pg_sql,
    .connect = pg_connect,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .try_lock = pg_try_lock,
    .unlock = pg_unlock,
    .table_exists = pg_table_exists,
    .column_exists = pg_column_exists,
    .index_exists = pg_index_exists,
    .quote_ident = pg_quote_ident,
    .quote_literal = pg_quote_literal,
    .last_error = pg_last_error,
    .server_version = pg_server_version,
    .conn_caps = NULL,
    .cancel = pg_cancel,
    .inspect = pg_inspect,
    .scratch_create = pg_scratch_create,
    .scratch_drop = pg_scratch_drop,
};

DBMIG_DRIVER_ENTRY(postgres, pg_driver)
