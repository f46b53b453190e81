/* url.c — database URLs: parsing (uriparser for `scheme://...`, by hand for
 * the non-hierarchical `sqlite:path` forms), query parameters and password
 * redaction.
 *
 * Forms accepted:
 *   scheme://[user[:password]@]host[:port][/db][?query]   (uriparser, RFC 3986;
 *       user, password and db are percent-decoded; an IPv6 host is given
 *       without its brackets)
 *   sqlite:path/to/file.db, sqlite::memory:, sqlite:///abs/file.db,
 *   sqlite://relative.db   (taken apart by hand, the path is used verbatim:
 *       no percent-decoding, so a file name with `%` works)
 *   any other `scheme:opaque` text: path = the opaque part (for third-party
 *       drivers with their own syntax, e.g. `odbc:DSN=x;UID=y;PWD=z`).
 * A `?query` is split off every form.
 *
 * Redaction never depends on parsing succeeding, and never searches for the
 * password's text: the userinfo password is located by uriparser when the
 * URL parses unambiguously, else by a conservative scan (from "://user:" to
 * the last '@'; see u_mask_userinfo), and every `password=`/`pass=`/`passwd=`/
 * `pwd=`/`sslpassword=` parameter (query string, libpq keyword string,
 * ODBC connection string) has its value masked as well. */
#define _POSIX_C_SOURCE 200809L
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uriparser/Uri.h>

/* ---- small helpers ----------------------------------------------------- */

static char *u_range_dup(const UriTextRangeA *r)
{
    if (!r->first || !r->afterLast)
        return NULL;
    return dm_strndup(r->first, (size_t)(r->afterLast - r->first));
}

/* Percent-decodes s in place (no '+' to space: passwords keep their '+'). */
static void u_unescape(char *s)
{
    if (s)
        uriUnescapeInPlaceExA(s, URI_FALSE, URI_BR_DONT_TOUCH);
}

static size_t u_scheme_len(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

static void u_lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static int u_fail(dm_err *err, const char *url, const char *what)
{
    dm_buf r = {0};
    if (dm_url_redact(url, &r) != 0) {
        dm_buf_free(&r);
        return dm_err_nomem(err);
    }
    dm_err_set(err, DBMIG_EUSAGE,
               "bad database URL '%s': %s; expected scheme://user:password@host:port/database "
               "(postgres, postgresql, mysql), sqlite:path/to/file.db or sqlite::memory:",
               dm_buf_str(&r), what);
    dm_buf_free(&r);
    return DBMIG_EUSAGE;
}

/* ---- parsing ------------------------------------------------------------ */

/* Non-hierarchical forms: scheme:opaque, and sqlite://... by hand. */
static int u_parse_opaque(const char *url, const char *rest, dm_url *u, dm_err *err)
{
    if (strncmp(rest, "//", 2) == 0)
        rest += 2; /* sqlite:///abs -> /abs, sqlite://rel.db -> rel.db */
    const char *q = strchr(rest, '?');
    size_t plen = q ? (size_t)(q - rest) : strlen(rest);
    if (plen == 0)
        return u_fail(err, url, "the path is empty (use sqlite:path/to/file.db or sqlite::memory:)");
    u->path = dm_strndup(rest, plen);
    if (!u->path)
        return dm_err_nomem(err);
    if (q && q[1]) {
        u->query = dm_strdup(q + 1);
        if (!u->query)
            return dm_err_nomem(err);
    }
    return DBMIG_OK;
}

/* User and password from the user info (percent-decoded; an empty user is
 * none). -1 on ENOMEM. */
static int u_userinfo(const UriUriA *uri, dm_url *u)
{
    const char *c = memchr(uri->userInfo.first, ':',
                           (size_t)(uri->userInfo.afterLast - uri->userInfo.first));
    if (c) {
        u->user = dm_strndup(uri->userInfo.first, (size_t)(c - uri->userInfo.first));
        u->password = dm_strndup(c + 1, (size_t)(uri->userInfo.afterLast - c - 1));
        if (!u->user || !u->password)
            return -1;
    } else {
        u->user = u_range_dup(&uri->userInfo);
        if (!u->user)
            return -1;
    }
    u_unescape(u->user);
    u_unescape(u->password);
    if (u->user && !*u->user) {
        free(u->user);
        u->user = NULL;
    }
    return 0;
}

/* The port: 1-65535, else -1. */
static long u_port(const UriTextRangeA *r)
{
    long port = 0;
    for (const char *p = r->first; p < r->afterLast; p++) {
        if (!isdigit((unsigned char)*p) || port > 65535)
            return -1;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535 ? port : -1;
}

/* The path segments joined with '/', percent-decoded; none when empty. -1
 * on ENOMEM. */
static int u_path(const UriUriA *uri, dm_url *u)
{
    dm_buf p = {0};
    for (UriPathSegmentA *s = uri->pathHead; s; s = s->next) {
        if ((s != uri->pathHead && dm_buf_puts(&p, "/") != 0) ||
            (s->text.first &&
             dm_buf_append(&p, s->text.first, (size_t)(s->text.afterLast - s->text.first)) != 0)) {
            dm_buf_free(&p);
            return -1;
        }
    }
    if (p.len) {
        u->path = dm_buf_take(&p);
        if (!u->path)
            return -1;
        u_unescape(u->path);
    }
    dm_buf_free(&p);
    return 0;
}

static int u_parse_hier(const char *url, dm_url *u, dm_err *err)
{
    UriUriA uri;
    const char *epos = NULL;
    memset(&uri, 0, sizeof uri);
    if (uriParseSingleUriA(&uri, url, &epos) != URI_SUCCESS) {
        char what[200];
        snprintf(what, sizeof what,
                 "not a valid URL (error at character %ld); percent-encode special characters in "
                 "the user name and password (@ as %%40, : as %%3A, / as %%2F, ? as %%3F, # as %%23)",
                 epos ? (long)(epos - url) + 1 : 0L);
        uriFreeUriMembersA(&uri);
        return u_fail(err, url, what);
    }
    int rc = DBMIG_OK;
    if (uri.userInfo.first && u_userinfo(&uri, u))
        goto nomem;
    if (uri.hostText.first && uri.hostText.afterLast > uri.hostText.first) {
        u->host = u_range_dup(&uri.hostText);
        if (!u->host)
            goto nomem;
        u_unescape(u->host);
    }
    if (uri.portText.first && uri.portText.afterLast > uri.portText.first) {
        long port = u_port(&uri.portText);
        if (port < 0) {
            rc = u_fail(err, url, "the port must be a number from 1 to 65535");
            goto out;
        }
        u->port = (int)port;
    }
    if (uri.pathHead && u_path(&uri, u))
        goto nomem;
    if (uri.query.first && uri.query.afterLast > uri.query.first) {
        u->query = u_range_dup(&uri.query);
        if (!u->query)
            goto nomem;
    }
    goto out;
nomem:
    rc = dm_err_nomem(err);
out:
    uriFreeUriMembersA(&uri);
    return rc;
}

/* libpq's multi-host form, postgres://u:p@h1:5432,h2:5433/db, is no RFC 3986
 * URI: the host list is set aside, the rest parsed with a placeholder host,
 * and host becomes the list verbatim ("h1:5432,h2:5433", port 0). */
static int u_parse_multihost(const char *url, const char *auth, dm_url *u, dm_err *err)
{
    size_t alen = strcspn(auth, "/?#");
    const char *hosts = auth;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            hosts = p + 1;
    size_t hlen = (size_t)(auth + alen - hosts);
    if (!memchr(hosts, ',', hlen))
        return u_parse_hier(url, u, err);
    static const char ph[] = "multihost";
    size_t pre = (size_t)(hosts - url);
    char *copy = malloc(strlen(url) + sizeof ph);
    if (!copy)
        return dm_err_nomem(err);
    memcpy(copy, url, pre);
    memcpy(copy + pre, ph, sizeof ph - 1);
    memcpy(copy + pre + sizeof ph - 1, hosts + hlen, strlen(hosts + hlen) + 1);
    int rc = u_parse_hier(copy, u, err);
    free(copy);
    if (rc != DBMIG_OK)
        return rc == DBMIG_EUSAGE ? u_fail(err, url, "not a valid URL") : rc;
    free(u->host);
    u->host = dm_strndup(hosts, hlen);
    u->port = 0;
    return u->host ? DBMIG_OK : dm_err_nomem(err);
}

int dm_url_parse(const char *url, dm_url *u, dm_err *err)
{
    memset(u, 0, sizeof *u);
    if (!url || !*url)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "no database URL given; pass --url, or set DBMIG_URL or DATABASE_URL "
                          "(e.g. sqlite:app.db or postgres://user:password@host/db)");
    size_t sl = u_scheme_len(url);
    if (sl == 0)
        return u_fail(err, url, "it has no scheme (the driver name followed by ':')");
    u->scheme = dm_strndup(url, sl);
    if (!u->scheme)
        return dm_err_nomem(err);
    u_lower(u->scheme);
    const char *rest = url + sl + 1;
    int rc;
    if (strcmp(u->scheme, "sqlite") == 0 || strcmp(u->scheme, "sqlite3") == 0 ||
        strncmp(rest, "//", 2) != 0)
        rc = u_parse_opaque(url, rest, u, err);
    else
        rc = u_parse_multihost(url, rest + 2, u, err);
    if (rc != DBMIG_OK)
        dm_url_free(u);
    return rc;
}

void dm_url_free(dm_url *u)
{
    if (!u)
        return;
    free(u->scheme);
    free(u->user);
    free(u->password);
    free(u->host);
    free(u->path);
    free(u->query);
    memset(u, 0, sizeof *u);
}

char *dm_url_param(const dm_url *u, const char *key)
{
    if (!u || !u->query || !key)
        return NULL;
    UriQueryListA *list = NULL;
    int n = 0;
    const char *q = u->query;
    if (uriDissectQueryMallocExA(&list, &n, q, q + strlen(q), URI_FALSE, URI_BR_DONT_TOUCH) !=
        URI_SUCCESS)
        return NULL;
    char *val = NULL;
    for (UriQueryListA *it = list; it; it = it->next) {
        if (it->key && strcmp(it->key, key) == 0) {
            val = dm_strdup(it->value ? it->value : "");
            break;
        }
    }
    uriFreeQueryListA(list);
    return val;
}

/* ---- redaction ---------------------------------------------------------- */

typedef struct u_range {
    size_t a, b; /* [a, b) of the input to replace by *** */
} u_range;

#define U_MAX_RANGES 64

typedef struct u_mask {
    u_range r[U_MAX_RANGES];
    size_t n;
    int overflow; /* too many secrets: hide everything after the first */
} u_mask;

static void u_mask_add(u_mask *m, size_t a, size_t b)
{
    if (m->n == U_MAX_RANGES) {
        m->overflow = 1;
        return;
    }
    m->r[m->n].a = a;
    m->r[m->n].b = b;
    m->n++;
}

static int u_is_secret_key(const char *k, size_t n)
{
    static const char *const keys[] = {"password", "pass", "passwd", "pwd", "sslpassword"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strlen(keys[i]) == n && strncasecmp(k, keys[i], n) == 0)
            return 1;
    }
    return 0;
}

static int u_keychar(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* The userinfo password, by the URL's structure. A password holding an
 * unencoded '/', '?', '#' or '@' moves the end of the authority, so what
 * uriparser (and libpq, and a MySQL client) reads as host, port, path or
 * query may really be the rest of a password. Hence:
 *   - uriparser accepts the URL, finds user info, and no '@' follows it
 *     outside the query: the password is exactly the user info after its
 *     first ':' (precise; an '@' in ?application_name=a@b is fine);
 *   - otherwise, if an '@' follows "scheme://": everything from the first
 *     ':' after "://" up to the LAST '@' is treated as the password;
 *   - a text without "://" (a mistyped "u:pw@h/db", "postgres:/u:pw@h"):
 *     from the first ':' after the last '/' before the last '@' up to
 *     that '@'.
 * The second rule may hide more than the password (a port, when the path
 * or query also holds an '@') but never less. Never by string search: a
 * password equal to the scheme, user, host or port leaves those alone. */
static void u_mask_userinfo(const char *url, u_mask *m)
{
    const char *ss = strstr(url, "://");
    if (!ss) { /* "u:pw@h/db", "postgres:/u:pw@h": no authority marker, and
                * yet a driver or a message may show it */
        const char *at = strrchr(url, '@'), *seg = url;
        for (const char *p = url; at && p < at; p++)
            seg = *p == '/' ? p + 1 : seg;
        const char *c = at ? memchr(seg, ':', (size_t)(at - seg)) : NULL;
        if (c)
            u_mask_add(m, (size_t)(c + 1 - url), (size_t)(at - url));
        return;
    }
    const char *auth = ss + 3;
    const char *last_at = strrchr(auth, '@');
    if (!last_at)
        return; /* no user info at all */
    size_t sl = u_scheme_len(url);
    if (sl && url + sl == ss) {
        UriUriA uri;
        const char *epos = NULL;
        memset(&uri, 0, sizeof uri);
        if (uriParseSingleUriA(&uri, url, &epos) == URI_SUCCESS && uri.userInfo.first &&
            uri.userInfo.afterLast && *uri.userInfo.afterLast == '@') {
            const char *ui_end = uri.userInfo.afterLast; /* the '@' */
            int stray = 0;
            for (const char *p = ui_end + 1; *p; p++) {
                if (*p != '@')
                    continue;
                int in_query = uri.query.first && p >= uri.query.first &&
                               p < uri.query.afterLast;
                stray |= !in_query;
            }
            if (!stray) {
                const char *c = memchr(uri.userInfo.first, ':', (size_t)(ui_end - uri.userInfo.first));
                if (c)
                    u_mask_add(m, (size_t)(c + 1 - url), (size_t)(ui_end - url));
                uriFreeUriMembersA(&uri);
                return;
            }
        }
        uriFreeUriMembersA(&uri);
    }
    const char *c = memchr(auth, ':', (size_t)(last_at - auth));
    if (c)
        u_mask_add(m, (size_t)(c + 1 - url), (size_t)(last_at - url));
}

/* key=value parameters whose key names a password, in query strings
 * (?a=b&password=x), libpq keyword strings (host=h password='x y') and ODBC
 * strings (DSN=x;PWD={a;b};). The value ends at the delimiter of its
 * context: a quote, a brace, '&' after '?'/'&', ';' after ';', else white
 * space (or ';' if the text holds one after the value). */
static void u_mask_params(const char *s, u_mask *m)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        char prev = i ? s[i - 1] : '\0';
        if (i && !(prev == '?' || prev == '&' || prev == ';' || prev == ':' || prev == ',' ||
                   prev == '/' || isspace((unsigned char)prev)))
            continue;
        if (!u_keychar(s[i]))
            continue;
        size_t k = i;
        while (k < len && u_keychar(s[k]))
            k++;
        if (!u_is_secret_key(s + i, k - i)) {
            i = k - 1;
            continue;
        }
        size_t e = k;
        while (e < len && (s[e] == ' ' || s[e] == '\t'))
            e++;
        if (e >= len || s[e] != '=')
            continue;
        e++;
        while (e < len && (s[e] == ' ' || s[e] == '\t'))
            e++;
        size_t v = e, end;
        if (s[v] == '\'') { /* libpq quoted, backslash escapes; to the next white space */
            end = v;
            while (end < len && !isspace((unsigned char)s[end])) {
                if (s[end] != '\'') {
                    end++;
                    continue;
                }
                end++;
                while (end < len && s[end] != '\'') {
                    if (s[end] == '\\' && end + 1 < len)
                        end++;
                    end++;
                }
                if (end < len)
                    end++;
            }
        } else if (s[v] == '{') { /* ODBC braced, }} escapes */
            end = v + 1;
            while (end < len) {
                if (s[end] == '}') {
                    if (end + 1 < len && s[end + 1] == '}') {
                        end += 2;
                        continue;
                    }
                    end++;
                    break;
                }
                end++;
            }
        } else {
            const char *stops;
            if (prev == '?' || prev == '&')
                stops = "&#";
            else if (prev == ';' || strchr(s + v, ';'))
                stops = ";";
            else
                stops = " \t\r\n&";
            end = v;
            while (end < len && !strchr(stops, s[end]))
                end++;
        }
        if (end > v)
            u_mask_add(m, v, end);
        i = end ? end - 1 : 0;
    }
}

int dm_url_redact(const char *url, dm_buf *out)
{
    if (!url)
        return dm_buf_puts(out, "(none)");
    u_mask m;
    memset(&m, 0, sizeof m);
    u_mask_userinfo(url, &m);
    u_mask_params(url, &m);
    size_t len = strlen(url);
    if (m.overflow) { /* absurd input: keep only what precedes the first secret */
        size_t first = len;
        for (size_t i = 0; i < m.n; i++)
            if (m.r[i].a < first)
                first = m.r[i].a;
        if (dm_buf_append(out, url, first) != 0)
            return -1;
        return dm_buf_puts(out, "***");
    }
    /* Sort by start (tiny n: insertion sort) and emit, merging overlaps. */
    for (size_t i = 1; i < m.n; i++) {
        u_range t = m.r[i];
        size_t j = i;
        while (j > 0 && m.r[j - 1].a > t.a) {
            m.r[j] = m.r[j - 1];
            j--;
        }
        m.r[j] = t;
    }
    size_t pos = 0;
    for (size_t i = 0; i < m.n; i++) {
        size_t a = m.r[i].a, b = m.r[i].b;
        if (b <= pos)
            continue;
        if (a < pos)
            a = pos;
        if (dm_buf_append(out, url + pos, a - pos) != 0 || dm_buf_puts(out, "***") != 0)
            return -1;
        pos = b;
    }
    return dm_buf_append(out, url + pos, len - pos);
}

size_t dbmig_redact_url(const char *url, char *out, size_t cap)
{
    dm_buf b = {0};
    const char *s = "***"; /* out of memory: hide it all */
    if (dm_url_redact(url, &b) == 0)
        s = dm_buf_str(&b);
    size_t n = strlen(s);
    if (out && cap) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(out, s, c);
        out[c] = '\0';
    }
    dm_buf_free(&b);
    return n;
}
