/* mysql.c — the MySQL / MariaDB driver plugin (dbmig_mysql.so).
 *
 * Links only the client library (Debian's default-libmysqlclient-dev, i.e.
 * MariaDB Connector/C; MySQL's own libmysqlclient builds too). Serves
 * MariaDB 10.x and MySQL 8.
 *
 * URLs:  mysql://user:password@host:port/database?param=value&...
 *        (mariadb:// is an alias; user, password and database are
 *        percent-decoded; host may be [v6addr]; port defaults to 3306)
 *   socket=PATH              connect through a Unix socket instead of TCP
 *   ssl-mode=MODE            DISABLED | PREFERRED | REQUIRED | VERIFY_CA |
 *                            VERIFY_IDENTITY (REQUIRED: encrypted or fail;
 *                            VERIFY_*: also verify the server's certificate —
 *                            with Connector/C both verify chain and host name)
 *   ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher, ssl-crl, ssl-crlpath
 *                            TLS files, handed to mysql_options()
 *   charset=NAME             the connection's character set (default utf8mb4)
 *   connect-timeout=SECONDS  default 10
 *   emulate_if_not_exists=1  pretend the server has no native IF [NOT] EXISTS
 *                            for indexes and columns, so that the core's
 *                            catalog emulation runs (tests; MySQL 8 behaviour)
 * A parameter may be spelled with '-' or '_'. An unknown parameter is an
 * error (a typo in ssl-mode must not silently connect in clear text).
 *
 * Server: mysql_get_server_info() tells MariaDB ("...-MariaDB...") from
 * MySQL; MariaDB >= 10.1.4 gets the native IF [NOT] EXISTS capability bits
 * for indexes and columns (conn_caps), unless emulate_if_not_exists=1.
 * No transactional DDL: DDL commits on its own, the core runs the dirty
 * protocol. InnoDB has savepoints (for groups of DML-only migrations).
 *
 * Errors: code is "<errno>/<SQLSTATE>" ("1050/42S01"); message is
 * mysql_error(); for syntax errors ("... near '...' at line N") position
 * points at the quoted text inside the statement.
 *
 * Lock: GET_LOCK(name, 0), name = "dbmig:<database>.<key>", shortened with a
 * 64-bit FNV-1a hash to MySQL's 64-character limit. The server releases it
 * when the connection ends (crash, kill -9). Holder: IS_USED_LOCK() gives the
 * connection id; PROCESSLIST (user, host) and, where performance_schema is
 * on, the client's pid complete it. Auto-reconnect is off, so a lost
 * connection can never silently drop the lock.
 *
 * Catalog: information_schema.tables / columns / statistics with
 * TABLE_SCHEMA = DATABASE(). Schema inspection and scratch databases (ABI
 * 2.1) live in inspect.c. Quoting: `backticks`; literals through
 * mysql_real_escape_string() (honours NO_BACKSLASH_ESCAPES and the
 * connection's character set); offline (conn == NULL) ' and \ are doubled.
 *
 * Memory: everything this driver allocates comes from host->alloc/free.
 */
#include "mysql_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(MARIADB_PACKAGE_VERSION) || defined(MARIADB_BASE_VERSION)
#define MY_CONNECTOR_C 1
#else
#define MY_CONNECTOR_C 0
#endif

#define MY_DEFAULT_PORT 3306
#define MY_DEFAULT_TIMEOUT 10

enum my_ssl_mode { MY_SSL_DEFAULT, MY_SSL_DISABLED, MY_SSL_PREFERRED, MY_SSL_REQUIRED,
                   MY_SSL_VERIFY_CA, MY_SSL_VERIFY_IDENTITY };

/* The URL taken apart; every string points into buf (decoded in place). */
typedef struct my_url {
    char *buf;
    const char *user, *password, *host, *db, *socket, *charset;
    const char *ssl_ca, *ssl_capath, *ssl_cert, *ssl_key, *ssl_cipher, *ssl_crl, *ssl_crlpath;
    unsigned port;
    unsigned timeout;
    int ssl_mode;
    int emulate;
} my_url;


/* ---- small helpers ------------------------------------------------------ */

static void *my_alloc(const dbmig_host *h, size_t n) { return h->alloc(h->payload, n); }
static void my_free(const dbmig_host *h, void *p)
{
    if (p)
        h->free(h->payload, p);
}

void my_err_clear(dbmig_db_error *e)
{
    e->kind = DBMIG_DB_ERR_GENERIC;
    e->code[0] = e->message[0] = e->detail[0] = e->hint[0] = '\0';
    e->position = 0;
}

void my_set(dbmig_db_error *e, const char *code, const char *hint, const char *fmt,
                   const char *a, const char *b)
{
    if (!e)
        return;
    my_err_clear(e);
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->message, sizeof e->message, fmt, a, b);
    if (hint)
        snprintf(e->hint, sizeof e->hint, "%s", hint);
}

const char *my_hint_for(unsigned no)
{
    switch (no) {
    case 1045:
        return "check the user and password in the URL (percent-encode special characters)";
    case 1044:
    case 1142:
    case 1227:
        return "the user lacks a privilege: GRANT it, or use another user";
    case 1049:
        return "create the database first (CREATE DATABASE ...), or fix its name in the URL";
    case 2002:
    case 2003:
    case 2005:
        return "is the server running and reachable? check host, port or ?socket= in the URL";
    case 2006:
    case 2013:
        return "the connection to the server was lost; check the server's log, then retry";
    case 1205:
    case 1213:
        return "another session holds locks on these rows or tables; retry when it is done";
    case 2026:
        return "TLS failed: check ?ssl-mode= and the ssl-ca/ssl-cert/ssl-key files, or the "
               "server's TLS set-up";
    default:
        return NULL;
    }
}

/* 1-based character position of byte offset off inside s. */
static int my_char_pos(const char *s, size_t off)
{
    int chars = 0;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars++;
    return chars + 1;
}

/* A syntax error's "near '<text>' at line N": finds <text> in the statement,
 * at or after the start of line N. 0 if not found. */
static int my_error_position(const char *msg, const char *sql, size_t len)
{
    const char *near = strstr(msg, "near '");
    if (!near || !sql)
        return 0;
    near += 6;
    const char *end = strstr(near, "' at line ");
    if (!end)
        return 0;
    long line = strtol(end + 10, NULL, 10);
    size_t start = 0;
    for (long l = 1; l < line && start < len; start++)
        if (sql[start] == '\n')
            l++;
    size_t nl = (size_t)(end - near);
    if (nl == 0) /* the error is at the end of the statement */
        return my_char_pos(sql, len);
    if (nl > 40) /* the server truncates the text; a prefix is enough */
        nl = 40;
    for (size_t i = start; i + nl <= len; i++)
        if (memcmp(sql + i, near, nl) == 0)
            return my_char_pos(sql, i);
    return 0;
}

/* Fills c->err from the client library's last error. */
/* A failure the core acts on (driver.h): its kind, no MySQL code. */
static void my_set_kind(dbmig_db_error *e, uint32_t kind, const char *hint, const char *fmt,
                        const char *a, const char *b)
{
    my_set(e, "", hint, fmt, a, b);
    if (e)
        e->kind = kind;
}

int my_fail(dbmig_conn *c, const char *sql, size_t len)
{
    dbmig_db_error *e = &c->err;
    my_err_clear(e);
    unsigned no = mysql_errno(c->my);
    const char *state = mysql_sqlstate(c->my);
    snprintf(e->code, sizeof e->code, "%u/%.5s", no, state ? state : "HY000");
    snprintf(e->message, sizeof e->message, "%s", no ? mysql_error(c->my) : "unknown error");
    const char *hint = my_hint_for(no);
    if (hint)
        snprintf(e->hint, sizeof e->hint, "%s", hint);
    if (no == 1064 || no == 1149)
        e->position = my_error_position(e->message, sql, len);
    /* The kinds the core acts on (driver.h): 1205 is both InnoDB's row
     * lock wait and the metadata lock wait of DDL (lock_wait_timeout);
     * 1969 is MariaDB's max_statement_time, 3024 MySQL's
     * max_execution_time. */
    if (no == 1205)
        e->kind = DBMIG_DB_ERR_LOCK_TIMEOUT;
    else if (no == 1969 || no == 3024)
        e->kind = DBMIG_DB_ERR_STATEMENT_TIMEOUT;
    return DBMIG_DRV_ERROR;
}

int my_fail_msg(dbmig_conn *c, const char *code, const char *msg, const char *hint)
{
    my_set(&c->err, code, hint, "%s%s", msg, "");
    return DBMIG_DRV_ERROR;
}

/* ---- the URL -------------------------------------------------------------- */

static int my_hex(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes s in place. -1 on a bad escape. */
static int my_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%') {
            int hi = my_hex((unsigned char)p[1]), lo = hi < 0 ? -1 : my_hex((unsigned char)p[2]);
            if (hi < 0 || lo < 0)
                return -1;
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return 0;
}

static int my_parse_uint(const char *s, unsigned max, unsigned *out)
{
    if (!*s)
        return -1;
    char *e;
    errno = 0;
    unsigned long v = strtoul(s, &e, 10);
    if (*e || errno || v > max || s[0] == '-' || s[0] == '+')
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Compares a parameter name, '-' and '_' being the same. */
static int my_key_is(const char *k, const char *want)
{
    for (; *k && *want; k++, want++) {
        char a = *k == '_' ? '-' : (char)((*k >= 'A' && *k <= 'Z') ? *k + 32 : *k);
        if (a != *want)
            return 0;
    }
    return *k == '\0' && *want == '\0';
}

#define URL_HINT "write mysql://user:password@host:port/database (see docs/drivers.md, MySQL and MariaDB)"

static int my_parse_param(my_url *u, char *key, char *val, dbmig_db_error *err)
{
    if (my_decode(key) || my_decode(val)) {
        my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
                    "bad %%-escape in the MySQL URL parameter '%.100s'%s", key, "");
        return -1;
    }
    static const struct {
        const char *name;
        size_t off;
    } files[] = {
        {"ssl-ca", offsetof(my_url, ssl_ca)},         {"ssl-capath", offsetof(my_url, ssl_capath)},
        {"ssl-cert", offsetof(my_url, ssl_cert)},     {"ssl-key", offsetof(my_url, ssl_key)},
        {"ssl-cipher", offsetof(my_url, ssl_cipher)}, {"ssl-crl", offsetof(my_url, ssl_crl)},
        {"ssl-crlpath", offsetof(my_url, ssl_crlpath)}, {"socket", offsetof(my_url, socket)},
        {"charset", offsetof(my_url, charset)},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (my_key_is(key, files[i].name)) {
            if (!*val) {
                my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
                            "empty value for '%s' in the MySQL URL%s", key, "");
                return -1;
            }
            *(const char **)((char *)u + files[i].off) = val;
            return 0;
        }
    if (my_key_is(key, "ssl-mode") || my_key_is(key, "sslmode")) {
        static const char *const modes[] = {"DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA",
                                            "VERIFY_IDENTITY"};
        for (int i = 0; i < 5; i++)
            if (strcasecmp(val, modes[i]) == 0) {
                u->ssl_mode = MY_SSL_DISABLED + i;
                return 0;
            }
        my_set_kind(err, DBMIG_DB_ERR_URL,
               "ssl-mode is one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY",
               "bad ssl-mode '%.40s' in the MySQL URL%s", val, "");
        return -1;
    }
    if (my_key_is(key, "emulate-if-not-exists")) {
        if (strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0 || strcmp(val, "") == 0)
            u->emulate = 1;
        else if (strcmp(val, "0") == 0 || strcasecmp(val, "false") == 0)
            u->emulate = 0;
        else {
            my_set_kind(err, DBMIG_DB_ERR_URL, "write ?emulate_if_not_exists=1 or =0",
                   "bad emulate_if_not_exists '%.40s' in the MySQL URL%s", val, "");
            return -1;
        }
        return 0;
    }
    if (my_key_is(key, "connect-timeout")) {
        if (my_parse_uint(val, 3600, &u->timeout) || u->timeout == 0) {
            my_set_kind(err, DBMIG_DB_ERR_URL, "connect-timeout is a number of seconds, 1 to 3600",
                   "bad connect-timeout '%.40s' in the MySQL URL%s", val, "");
            return -1;
        }
        return 0;
    }
    my_set_kind(err, DBMIG_DB_ERR_URL,
           "known parameters: socket, ssl-mode, ssl-ca, ssl-capath, ssl-cert, ssl-key, "
           "ssl-cipher, ssl-crl, ssl-crlpath, charset, connect-timeout, emulate_if_not_exists",
           "unknown parameter '%.60s' in the MySQL URL%s", key, "");
    return -1;
}

/* host, [v6addr], with an optional :port, into u. -1 with err filled. */
static int my_parse_host(my_url *u, char *hostport, dbmig_db_error *err)
{
    if (*hostport == '[') { /* [v6]:port */
        char *rb = strchr(hostport, ']');
        if (!rb) {
            my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
                        "unclosed '[' in the MySQL URL's host%s%s", "", "");
            return -1;
        }
        *rb = '\0';
        u->host = hostport + 1;
        if (rb[1] == ':') {
            if (my_parse_uint(rb + 2, 65535, &u->port) || u->port == 0) {
                my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
                            "bad port '%.20s' in the MySQL URL%s", rb + 2, "");
                return -1;
            }
        } else if (rb[1]) {
            my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
                        "unexpected text after ']' in the MySQL URL%s%s", "", "");
            return -1;
        }
    } else {
        char *colon = strchr(hostport, ':');
        if (colon) {
            *colon = '\0';
            if (my_parse_uint(colon + 1, 65535, &u->port) || u->port == 0) {
                my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
                            "bad port '%.20s' in the MySQL URL%s", colon + 1, "");
                return -1;
            }
        }
        u->host = hostport;
    }
    return 0;
}

/* The parameters after '?' (q may be NULL), into u. -1 with err filled. */
static int my_parse_query(my_url *u, char *q, dbmig_db_error *err)
{
    while (q && *q) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp = '\0';
        if (*q) {
            char *eq = strchr(q, '=');
            char *val = q + strlen(q); /* no '=': an empty value */
            if (eq) {
                *eq = '\0';
                val = eq + 1;
            }
            if (my_parse_param(u, q, val, err))
                return -1;
        }
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* Takes url apart into u (u->buf must be freed with host->free). */
static int my_parse_url(const dbmig_host *host, const char *url, my_url *u, dbmig_db_error *err)
{
    memset(u, 0, sizeof *u);
    u->port = MY_DEFAULT_PORT;
    u->timeout = MY_DEFAULT_TIMEOUT;
    u->charset = "utf8mb4";
    const char *rest = NULL;
    static const char *const schemes[] = {"mysql://", "mariadb://"};
    for (int i = 0; i < 2 && !rest; i++)
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
            rest = url + strlen(schemes[i]);
    if (!rest) {
        /* never echo the URL: it may hold a password */
        my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
                    "not a MySQL URL (it must start with mysql://)%s%s", "", "");
        return -1;
    }
    size_t n = strlen(rest);
    u->buf = my_alloc(host, n + 1);
    if (!u->buf) {
        my_set(err, "NOMEM", NULL, "mysql: out of memory%s%s", "", "");
        return -1;
    }
    memcpy(u->buf, rest, n + 1);
    char *s = u->buf;
    /* The user info first, up to the LAST '@': a password holding an
     * unencoded '/', '?' or '#' stays whole (split after it, it became the
     * host and port, and "bad port" quoted a piece of it). */
    char *at = strrchr(s, '@');
    if (at) {
        *at = '\0';
        char *colon = strchr(s, ':');
        if (colon) {
            *colon = '\0';
            u->password = colon + 1;
        }
        u->user = s;
        s = at + 1;
    }
    char *q = strchr(s, '?');
    if (q)
        *q++ = '\0';
    char *slash = strchr(s, '/');
    if (slash) {
        *slash = '\0';
        u->db = slash + 1;
    }
    if (my_parse_host(u, s, err))
        goto bad;
    if ((u->user && my_decode((char *)u->user)) ||
        (u->password && my_decode((char *)u->password)) || (u->db && my_decode((char *)u->db)) ||
        my_decode((char *)u->host)) {
        my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT, "bad %%-escape in the MySQL URL%s%s", "", "");
        goto bad;
    }
    if (!u->db || !*u->db || strchr(u->db, '/')) {
        my_set_kind(err, DBMIG_DB_ERR_URL, URL_HINT,
               "the MySQL URL must name one database after the host: mysql://user:password@host"
               "/DATABASE%s%s",
               "", "");
        goto bad;
    }
    if (!*u->host)
        u->host = NULL; /* the client library's default (localhost) */
    if (my_parse_query(u, q, err))
        goto bad;
    return 0;
bad:
    my_free(host, u->buf);
    u->buf = NULL;
    return -1;
}

/* ---- connect / close ---------------------------------------------------- */

static int my_set_tls(MYSQL *my, const my_url *u)
{
    int rc = 0;
    if (u->ssl_ca)
        rc |= mysql_options(my, MYSQL_OPT_SSL_CA, u->ssl_ca);
    if (u->ssl_capath)
        rc |= mysql_options(my, MYSQL_OPT_SSL_CAPATH, u->ssl_capath);
    if (u->ssl_cert)
        rc |= mysql_options(my, MYSQL_OPT_SSL_CERT, u->ssl_cert);
    if (u->ssl_key)
        rc |= mysql_options(my, MYSQL_OPT_SSL_KEY, u->ssl_key);
    if (u->ssl_cipher)
        rc |= mysql_options(my, MYSQL_OPT_SSL_CIPHER, u->ssl_cipher);
    if (u->ssl_crl)
        rc |= mysql_options(my, MYSQL_OPT_SSL_CRL, u->ssl_crl);
    if (u->ssl_crlpath)
        rc |= mysql_options(my, MYSQL_OPT_SSL_CRLPATH, u->ssl_crlpath);
#if MY_CONNECTOR_C
    /* Connector/C: any TLS option asks for TLS when the server offers it
     * (PREFERRED); ENFORCE fails without it; VERIFY_SERVER_CERT checks the
     * certificate's chain and host name. */
    my_bool yes = 1, no = 0;
    switch (u->ssl_mode) {
    case MY_SSL_PREFERRED:
        if (!u->ssl_ca && !u->ssl_capath && !u->ssl_cert && !u->ssl_key && !u->ssl_cipher)
            rc |= mysql_ssl_set(my, NULL, NULL, NULL, NULL, NULL) ? 1 : 0;
        rc |= mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
        break;
    case MY_SSL_REQUIRED:
        rc |= mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &yes);
        rc |= mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
        break;
    case MY_SSL_VERIFY_CA:
    case MY_SSL_VERIFY_IDENTITY:
        rc |= mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &yes);
        rc |= mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
        break;
    default:
        break;
    }
#else
    static const unsigned modes[] = {0, SSL_MODE_DISABLED, SSL_MODE_PREFERRED, SSL_MODE_REQUIRED,
                                     SSL_MODE_VERIFY_CA, SSL_MODE_VERIFY_IDENTITY};
    if (u->ssl_mode != MY_SSL_DEFAULT)
        rc |= mysql_options(my, MYSQL_OPT_SSL_MODE, &modes[u->ssl_mode]);
#endif
    return rc;
}

/* A connection not yet connected: the host table, the URL's database and
 * the URL itself copied, the client handle made. NULL: no memory. */
static dbmig_conn *my_conn_new(const dbmig_host *host, const char *url, const my_url *u)
{
    dbmig_conn *c = my_alloc(host, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    size_t hs = host->size && host->size < sizeof c->host ? host->size : sizeof c->host;
    memcpy(&c->host, host, hs);
    c->emulate = u->emulate;
    snprintf(c->db, sizeof c->db, "%s", u->db);
    size_t ulen = strlen(url);
    c->url = my_alloc(host, ulen + 1);
    if (c->url)
        memcpy(c->url, url, ulen + 1);
    c->my = c->url ? mysql_init(NULL) : NULL;
    if (!c->my) {
        my_free(host, c->url);
        my_free(host, c);
        return NULL;
    }
    return c;
}

/* What the server is, once connected. */
static void my_probe(dbmig_conn *c)
{
    const char *info = mysql_get_server_info(c->my);
    snprintf(c->server_info, sizeof c->server_info, "%s", info ? info : "");
    c->mariadb = strstr(c->server_info, "MariaDB") != NULL;
    c->version = mysql_get_server_version(c->my);
    /* Galera (MariaDB, Percona XtraDB Cluster): GET_LOCK only excludes on
     * this node, so the core must use the lease lock. SHOW VARIABLES, not
     * SELECT @@wsrep_on: servers built without wsrep (MySQL 8) have no such
     * variable and answer it with an empty set rather than an error. */
    if (mysql_query(c->my, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'") == 0) {
        MYSQL_RES *r = mysql_store_result(c->my);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        c->wsrep = row && row[1] && strcasecmp(row[1], "ON") == 0;
        if (r)
            mysql_free_result(r);
    }
    /* On a Galera node, make reads causal: a status or check on node 1 then
     * sees what a migration just committed on node 3. */
    if (c->wsrep)
        mysql_query(c->my, "SET SESSION wsrep_sync_wait = 1");
}

static int my_connect(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
                      dbmig_db_error *err)
{
    (void)self;
    if (!host || !host->alloc || !host->free || !url) {
        my_set(err, "ARG", NULL, "mysql: connect needs a host table and a URL%s%s", "", "");
        return DBMIG_DRV_ERROR;
    }
    my_url u;
    if (my_parse_url(host, url, &u, err))
        return DBMIG_DRV_ERROR;
    dbmig_conn *c = my_conn_new(host, url, &u);
    if (!c) {
        my_free(host, u.buf);
        my_set(err, "NOMEM", NULL, "mysql: out of memory%s%s", "", "");
        return DBMIG_DRV_ERROR;
    }
    my_bool reconnect = 0;
    int orc = mysql_options(c->my, MYSQL_OPT_RECONNECT, &reconnect);
    orc |= mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &u.timeout);
    orc |= mysql_options(c->my, MYSQL_SET_CHARSET_NAME, u.charset);
    orc |= mysql_options4(c->my, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "dbmig");
    if (u.socket)
        orc |= mysql_options(c->my, MYSQL_OPT_PROTOCOL, &(unsigned){MYSQL_PROTOCOL_SOCKET});
    else if (u.host)
        orc |= mysql_options(c->my, MYSQL_OPT_PROTOCOL, &(unsigned){MYSQL_PROTOCOL_TCP});
    orc |= my_set_tls(c->my, &u);
    if (orc) {
        my_set(err, "OPTION", "check the URL's parameters",
               "mysql: the client library refused an option from the URL: %.300s%s",
               mysql_error(c->my), "");
        goto fail;
    }
    /* CLIENT_MULTI_STATEMENTS: exec() takes several statements in one
     * text (DBMIG_CAP_MULTI_STATEMENT); the server stops at the first
     * error. Migration files are trusted input; the core still sends one
     * migration statement per text, plus its own version-table writes. */
    if (!mysql_real_connect(c->my, u.socket ? NULL : u.host, u.user, u.password, u.db, u.port,
                            u.socket, CLIENT_MULTI_STATEMENTS)) {
        if (err) {
            my_err_clear(err);
            unsigned no = mysql_errno(c->my);
            snprintf(err->code, sizeof err->code, "%u/%.5s", no, mysql_sqlstate(c->my));
            snprintf(err->message, sizeof err->message, "%s", mysql_error(c->my));
            const char *hint = my_hint_for(no);
            if (hint)
                snprintf(err->hint, sizeof err->hint, "%s", hint);
        }
        goto fail;
    }
    /* Connector/C falls back to clear text when the server offers no TLS
     * unless the certificate is verified: REQUIRED must not. */
    if (u.ssl_mode >= MY_SSL_REQUIRED && !mysql_get_ssl_cipher(c->my)) {
        my_set(err, "TLS",
               "enable TLS on the server (ssl_cert/ssl_key), or lower ?ssl-mode= if clear text "
               "is acceptable",
               "ssl-mode=%s, but the server offers no TLS: the connection is not encrypted%s",
               u.ssl_mode == MY_SSL_REQUIRED ? "REQUIRED" : "VERIFY_*", "");
        goto fail;
    }
    my_probe(c);
    my_free(host, u.buf);
    *out = c;
    return DBMIG_DRV_OK;
fail:
    mysql_close(c->my);
    my_free(host, u.buf);
    my_free(host, c->url);
    my_free(host, c);
    return DBMIG_DRV_ERROR;
}

static void my_close(void *self, dbmig_conn *c)
{
    (void)self;
    if (!c)
        return;
    /* closing the connection releases GET_LOCK locks too */
    mysql_close(c->my);
    my_free(&c->host, c->lens);
    my_free(&c->host, c->url);
    c->host.free(c->host.payload, c);
}

/* ---- statements --------------------------------------------------------- */

/* Reads and drops the results after the current one (a CALL returns
 * several); adds the affected rows of those without a result set. */
static int my_more(dbmig_conn *c, const char *sql, size_t len, int64_t *total)
{
    int st;
    while ((st = mysql_next_result(c->my)) == 0) {
        MYSQL_RES *r = mysql_store_result(c->my);
        if (r) {
            mysql_free_result(r);
        } else if (mysql_field_count(c->my) != 0) {
            return my_fail(c, sql, len);
        } else if (total) {
            my_ulonglong a = mysql_affected_rows(c->my);
            if (a != (my_ulonglong)-1)
                *total += (int64_t)a;
        }
    }
    return st > 0 ? my_fail(c, sql, len) : DBMIG_DRV_OK;
}

/* Reads and drops every result of the last statement; adds the affected
 * rows of those without a result set. */
static int my_drain(dbmig_conn *c, const char *sql, size_t len, int64_t *total)
{
    MYSQL_RES *r = mysql_store_result(c->my);
    if (r) {
        mysql_free_result(r);
    } else if (mysql_field_count(c->my) != 0) {
        return my_fail(c, sql, len);
    } else if (total) {
        my_ulonglong a = mysql_affected_rows(c->my);
        if (a != (my_ulonglong)-1)
            *total += (int64_t)a;
    }
    return my_more(c, sql, len, total);
}

int my_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *affected)
{
    (void)self;
    my_err_clear(&c->err);
    if (affected)
        *affected = 0;
    if (mysql_real_query(c->my, sql, (unsigned long)len))
        return my_fail(c, sql, len);
    int64_t total = 0;
    if (my_drain(c, sql, len, &total))
        return DBMIG_DRV_ERROR;
    if (affected)
        *affected = total;
    return DBMIG_DRV_OK;
}

int my_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload)
{
    (void)self;
    my_err_clear(&c->err);
    size_t len = strlen(sql);
    if (mysql_real_query(c->my, sql, (unsigned long)len))
        return my_fail(c, sql, len);
    MYSQL_RES *r = mysql_store_result(c->my);
    if (!r) {
        if (mysql_field_count(c->my) != 0)
            return my_fail(c, sql, len);
        return my_drain(c, sql, len, NULL); /* no result set: nothing to report */
    }
    unsigned n = mysql_num_fields(r);
    if (n > c->vcap) {
        size_t *l = my_alloc(&c->host, n * sizeof *l);
        if (!l) {
            mysql_free_result(r);
            return my_fail_msg(c, "NOMEM", "mysql: out of memory", NULL);
        }
        my_free(&c->host, c->lens);
        c->lens = l;
        c->vcap = n;
    }
    MYSQL_ROW row;
    int stop = 0;
    while (!stop && (row = mysql_fetch_row(r)) != NULL) {
        unsigned long *ls = mysql_fetch_lengths(r);
        for (unsigned i = 0; i < n; i++)
            c->lens[i] = ls ? (size_t)ls[i] : (row[i] ? strlen(row[i]) : 0);
        if (fn && fn(payload, (int)n, (const char *const *)row, c->lens) != 0)
            stop = 1;
    }
    mysql_free_result(r);
    /* a CALL may leave further results: drop them */
    return my_more(c, sql, len, NULL);
}

static int my_simple(dbmig_conn *c, const char *sql)
{
    return my_exec(NULL, c, sql, strlen(sql), NULL);
}
/* MySQL accepts COMMIT and ROLLBACK without a transaction; the driver
 * reports them as errors, as the other drivers do, when begin() was not
 * called. (DDL inside a transaction commits it implicitly: the final COMMIT
 * then succeeds, there is nothing left to commit.) */
static int my_begin(void *self, dbmig_conn *c)
{
    (void)self;
    int rc = my_simple(c, "START TRANSACTION");
    c->in_tx = rc == DBMIG_DRV_OK;
    return rc;
}
static int my_end(dbmig_conn *c, const char *sql)
{
    if (!c->in_tx) {
        char msg[120];
        snprintf(msg, sizeof msg, "%s without a transaction: begin() was not called", sql);
        return my_fail_msg(c, "TX", msg, NULL);
    }
    c->in_tx = 0;
    return my_simple(c, sql);
}
static int my_commit(void *self, dbmig_conn *c) { (void)self; return my_end(c, "COMMIT"); }
static int my_rollback(void *self, dbmig_conn *c) { (void)self; return my_end(c, "ROLLBACK"); }

/* ---- quoting (conn may be NULL) ----------------------------------------- */

size_t my_quote_ident(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                             char *out, size_t cap)
{
    (void)self;
    (void)c;
    size_t need = 2, o = 0;
    for (size_t i = 0; i < inlen; i++)
        need += in[i] == '`' ? 2 : 1;
    if (!out || !cap)
        return need;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 < cap)                                                                           \
            out[o++] = (ch);                                                                       \
    } while (0)
    PUT('`');
    for (size_t i = 0; i < inlen; i++) {
        if (in[i] == '`')
            PUT('`');
        PUT(in[i]);
    }
    PUT('`');
    out[o] = '\0';
    return need;
}

/* Offline: doubles ' and \ (safe with and without NO_BACKSLASH_ESCAPES
 * for ', conservative for \). */
static size_t my_quote_offline(const char *in, size_t inlen, char *out, size_t cap)
{
    size_t need = 2, o = 0;
    for (size_t i = 0; i < inlen; i++)
        need += (in[i] == '\'' || in[i] == '\\') ? 2 : 1;
    if (!out || !cap)
        return need;
    PUT('\'');
    for (size_t i = 0; i < inlen; i++) {
        if (in[i] == '\'' || in[i] == '\\')
            PUT(in[i]);
        PUT(in[i]);
    }
    PUT('\'');
    out[o] = '\0';
    return need;
#undef PUT
}

static size_t my_quote_literal(void *self, const dbmig_conn *c, const char *in, size_t inlen,
                               char *out, size_t cap)
{
    (void)self;
    if (!c || !c->my)
        return my_quote_offline(in, inlen, out, cap);
    /* mysql_real_escape_string needs 2n+1 bytes; it knows the connection's
     * character set and NO_BACKSLASH_ESCAPES. */
    size_t room = 2 * inlen + 1;
    if (out && cap >= room + 2) {
        unsigned long n = mysql_real_escape_string(c->my, out + 1, in, (unsigned long)inlen);
        if (n == (unsigned long)-1)
            return my_quote_offline(in, inlen, out, cap);
        out[0] = '\'';
        out[n + 1] = '\'';
        out[n + 2] = '\0';
        return (size_t)n + 2;
    }
    char *tmp = c->host.alloc(c->host.payload, room);
    if (!tmp) /* no memory: ask for the worst case, the core retries */
        return room + 2;
    unsigned long n = mysql_real_escape_string(c->my, tmp, in, (unsigned long)inlen);
    size_t need;
    if (n == (unsigned long)-1) {
        need = my_quote_offline(in, inlen, out, cap);
    } else {
        need = (size_t)n + 2;
        if (out && cap) {
            size_t o = 0;
            if (o + 1 < cap)
                out[o++] = '\'';
            for (size_t i = 0; i < n && o + 1 < cap; i++)
                out[o++] = tmp[i];
            if (o + 1 < cap)
                out[o++] = '\'';
            out[o] = '\0';
        }
    }
    c->host.free(c->host.payload, tmp);
    return need;
}

/* Appends a quoted literal to a fixed buffer; -1 when it does not fit. */
static int my_lit(const dbmig_conn *c, const char *s, char *buf, size_t cap, size_t *used)
{
    size_t n = my_quote_literal(NULL, c, s, strlen(s), buf + *used, cap - *used);
    if (*used + n + 1 > cap)
        return -1;
    *used += n;
    return 0;
}

/* ---- one-value look-ups ------------------------------------------------- */

typedef struct my_first {
    int rows;
    int null;
    char *out;
    size_t cap;
} my_first;

static int my_first_row(void *payload, int ncols, const char *const *v, const size_t *lens)
{
    my_first *f = payload;
    if (f->rows++ == 0 && ncols > 0) {
        f->null = v[0] == NULL;
        if (f->out && f->cap)
            snprintf(f->out, f->cap, "%.*s", (int)(v[0] ? lens[0] : 0), v[0] ? v[0] : "");
    }
    return 0;
}

/* Runs sql; *rows = the number of rows, out = the first row's first
 * column ("" for NULL, *null set). */
static int my_one(dbmig_conn *c, const char *sql, int *rows, int *null, char *out, size_t cap)
{
    my_first f = {0, 0, out, cap};
    if (out && cap)
        out[0] = '\0';
    int rc = my_query(NULL, c, sql, my_first_row, &f);
    if (rows)
        *rows = f.rows;
    if (null)
        *null = f.null;
    return rc;
}

/* ---- the migration lock ------------------------------------------------- */

static uint64_t my_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* "dbmig:<db>.<key>", or, when longer than 64 characters, its first 47
 * bytes (cut on a UTF-8 boundary), '~' and the whole name's hash. */
static void my_lock_name(const dbmig_conn *c, const char *key, char *out, size_t cap)
{
    char full[600];
    snprintf(full, sizeof full, "dbmig:%s.%s", c->db, key && *key ? key : "dbmig_version");
    size_t chars = 0;
    for (const char *p = full; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            chars++;
    size_t flen = strlen(full);
    if (chars <= MY_LOCK_NAME_MAX && flen < cap) {
        memcpy(out, full, flen + 1);
        return;
    }
    size_t cut = MY_LOCK_NAME_MAX - 17;
    while (cut > 0 && ((unsigned char)full[cut] & 0xC0) == 0x80)
        cut--;
    snprintf(out, cap, "%.*s~%016llx", (int)cut, full, (unsigned long long)my_fnv1a(full));
}

/* Who holds the lock: "connection 12 (user@host), pid 345" as far as the
 * server tells. Best effort: errors are ignored. */
static void my_holder(dbmig_conn *c, const char *name, char *holder, size_t cap)
{
    char sql[512], id[32] = "", who[300] = "", pid[32] = "";
    size_t used = 0;
    int rows = 0, null = 1;
    used = (size_t)snprintf(sql, sizeof sql, "SELECT IS_USED_LOCK(");
    if (my_lit(c, name, sql, sizeof sql - 2, &used))
        return;
    memcpy(sql + used, ")", 2);
    if (my_one(c, sql, &rows, &null, id, sizeof id) != DBMIG_DRV_OK || rows == 0 || null) {
        my_err_clear(&c->err);
        return;
    }
    for (const char *p = id; *p; p++)
        if (*p < '0' || *p > '9')
            return;
    snprintf(sql, sizeof sql,
             "SELECT CONCAT(USER, '@', HOST) FROM information_schema.PROCESSLIST WHERE ID = %s",
             id);
    if (my_one(c, sql, &rows, &null, who, sizeof who) != DBMIG_DRV_OK)
        who[0] = '\0';
    snprintf(sql, sizeof sql,
             "SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs "
             "WHERE PROCESSLIST_ID = %s AND ATTR_NAME = '_pid'",
             id);
    if (my_one(c, sql, &rows, &null, pid, sizeof pid) != DBMIG_DRV_OK)
        pid[0] = '\0';
    my_err_clear(&c->err);
    snprintf(holder, cap, "connection %s%s%s%s%s%s", id, who[0] ? " (" : "", who,
             who[0] ? ")" : "", pid[0] ? ", pid " : "", pid);
}

static int my_try_lock(void *self, dbmig_conn *c, const char *key, int *acquired, char *holder,
                       size_t holder_cap)
{
    (void)self;
    my_err_clear(&c->err);
    *acquired = 0;
    if (holder && holder_cap)
        holder[0] = '\0';
    char name[sizeof c->lock_name];
    my_lock_name(c, key, name, sizeof name);
    if (c->lock_held) {
        /* GET_LOCK nests on MariaDB and MySQL: never take it twice */
        if (strcmp(name, c->lock_name) == 0) {
            *acquired = 1;
            return DBMIG_DRV_OK;
        }
        return my_fail_msg(c, "LOCK", "mysql: this connection already holds another lock",
                           "unlock it first");
    }
    char sql[512], val[16];
    size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT GET_LOCK(");
    if (my_lit(c, name, sql, sizeof sql - 8, &used))
        return my_fail_msg(c, "LOCK", "mysql: lock name too long", NULL);
    memcpy(sql + used, ", 0)", 5);
    int rows = 0, null = 1;
    if (my_one(c, sql, &rows, &null, val, sizeof val) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (rows != 1 || null) {
        char msg[400];
        snprintf(msg, sizeof msg, "GET_LOCK('%.300s', 0) returned NULL", name);
        return my_fail_msg(c, "LOCK", msg, "the server could not take the lock; see its log");
    }
    if (strcmp(val, "1") == 0) {
        snprintf(c->lock_name, sizeof c->lock_name, "%s", name);
        c->lock_held = 1;
        *acquired = 1;
        return DBMIG_DRV_OK;
    }
    if (holder && holder_cap)
        my_holder(c, name, holder, holder_cap);
    return DBMIG_DRV_OK;
}

static int my_unlock(void *self, dbmig_conn *c, const char *key)
{
    (void)self;
    (void)key;
    my_err_clear(&c->err);
    if (!c->lock_held)
        return DBMIG_DRV_OK;
    char sql[512];
    size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT RELEASE_LOCK(");
    if (my_lit(c, c->lock_name, sql, sizeof sql - 2, &used))
        return my_fail_msg(c, "LOCK", "mysql: lock name too long", NULL);
    memcpy(sql + used, ")", 2);
    int rows = 0, null = 1;
    char val[16];
    int rc = my_one(c, sql, &rows, &null, val, sizeof val);
    c->lock_held = 0;
    c->lock_name[0] = '\0';
    return rc;
}

/* ---- catalog ------------------------------------------------------------ */

/* MySQL's identifiers have at most 64 characters: longer names exist nowhere. */
#define MY_NAME_MAX_BYTES 256

static int my_table_exists(void *self, dbmig_conn *c, const char *table, int *exists)
{
    (void)self;
    my_err_clear(&c->err);
    *exists = 0;
    if (strlen(table) > MY_NAME_MAX_BYTES)
        return DBMIG_DRV_OK;
    char sql[1024];
    size_t used = (size_t)snprintf(sql, sizeof sql,
                                   "SELECT 1 FROM information_schema.tables "
                                   "WHERE table_schema = DATABASE() AND table_name = ");
    if (my_lit(c, table, sql, sizeof sql, &used))
        return my_fail_msg(c, "ARG", "mysql: table name too long", NULL);
    int rows = 0;
    if (my_one(c, sql, &rows, NULL, NULL, 0) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    *exists = rows > 0;
    return DBMIG_DRV_OK;
}

static int my_column_exists(void *self, dbmig_conn *c, const char *table, const char *column,
                            int *exists)
{
    (void)self;
    my_err_clear(&c->err);
    *exists = 0;
    if (strlen(table) > MY_NAME_MAX_BYTES || strlen(column) > MY_NAME_MAX_BYTES)
        return DBMIG_DRV_OK;
    char sql[1536];
    size_t used = (size_t)snprintf(sql, sizeof sql,
                                   "SELECT 1 FROM information_schema.columns "
                                   "WHERE table_schema = DATABASE() AND table_name = ");
    if (my_lit(c, table, sql, sizeof sql, &used))
        return my_fail_msg(c, "ARG", "mysql: table name too long", NULL);
    used += (size_t)snprintf(sql + used, sizeof sql - used, " AND column_name = ");
    if (my_lit(c, column, sql, sizeof sql, &used))
        return my_fail_msg(c, "ARG", "mysql: column name too long", NULL);
    int rows = 0;
    if (my_one(c, sql, &rows, NULL, NULL, 0) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    *exists = rows > 0;
    return DBMIG_DRV_OK;
}

static int my_index_exists(void *self, dbmig_conn *c, const char *table, const char *index,
                           int *exists, char *table_out, size_t table_cap)
{
    (void)self;
    my_err_clear(&c->err);
    *exists = 0;
    if (table_out && table_cap)
        table_out[0] = '\0';
    if ((table && strlen(table) > MY_NAME_MAX_BYTES) || strlen(index) > MY_NAME_MAX_BYTES)
        return DBMIG_DRV_OK;
    char sql[1536];
    size_t used = (size_t)snprintf(sql, sizeof sql,
                                   "SELECT DISTINCT table_name FROM information_schema.statistics "
                                   "WHERE table_schema = DATABASE() AND index_name = ");
    if (my_lit(c, index, sql, sizeof sql, &used))
        return my_fail_msg(c, "ARG", "mysql: index name too long", NULL);
    if (table) {
        used += (size_t)snprintf(sql + used, sizeof sql - used, " AND table_name = ");
        if (my_lit(c, table, sql, sizeof sql, &used))
            return my_fail_msg(c, "ARG", "mysql: table name too long", NULL);
    }
    used += (size_t)snprintf(sql + used, sizeof sql - used, " ORDER BY table_name");
    int rows = 0;
    char first[MY_NAME_MAX_BYTES + 1];
    if (my_one(c, sql, &rows, NULL, first, sizeof first) != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    if (rows > 1) {
        /* index names are per table in MySQL: DROP INDEX i alone is ambiguous */
        char msg[600];
        snprintf(msg, sizeof msg,
                 "index %.100s exists on %d tables (%.100s, ...): cannot tell which one is meant",
                 index, rows, first);
        return my_fail_msg(c, "AMBIGUOUS", msg,
                           "name the table: write DROP INDEX i ON t in a `-- dbmig:up mysql` "
                           "section, or give indexes names unique in the database");
    }
    *exists = rows == 1;
    if (*exists && table_out && table_cap)
        snprintf(table_out, table_cap, "%s", first);
    return DBMIG_DRV_OK;
}

/* ---- the rest ----------------------------------------------------------- */

static const dbmig_db_error *my_last_error(void *self, const dbmig_conn *c)
{
    (void)self;
    static const dbmig_db_error none = {0, {0}, {0}, {0}, {0}, 0};
    return c ? &c->err : &none;
}

static int my_server_version(void *self, dbmig_conn *c, char *out, size_t cap)
{
    (void)self;
    if (out && cap)
        snprintf(out, cap, "%s", c ? c->server_info : "");
    return DBMIG_DRV_OK;
}

#define MY_BASE_CAPS                                                                               \
    (DBMIG_CAP_SAVEPOINTS | DBMIG_CAP_DROP_INDEX_NEEDS_TABLE | DBMIG_CAP_BOOLEAN |                 \
     DBMIG_CAP_LOCK_REPORTS_HOLDER | DBMIG_CAP_MULTI_STATEMENT)

/* MariaDB has IF [NOT] EXISTS for columns since 10.0.2 and for indexes
 * since 10.1.4; MySQL 8 has neither. */
static uint32_t my_conn_caps(void *self, const dbmig_conn *c)
{
    (void)self;
    uint32_t caps = MY_BASE_CAPS;
    if (c && c->wsrep)
        caps |= DBMIG_CAP_SESSION_LOCK_UNSAFE;
    if (c && !c->mariadb) /* max_statement_time is MariaDB's (my_sql) */
        caps |= DBMIG_CAP_NO_STATEMENT_TIMEOUT;
    if (!c || !c->mariadb || c->emulate)
        return caps;
    if (c->version >= 100002)
        caps |= DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS | DBMIG_CAP_DROP_COLUMN_IF_EXISTS;
    if (c->version >= 100104)
        caps |= DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS;
    return caps;
}

static const char *const my_schemes[] = {"mysql", "mariadb", NULL};

/* The SQL the core writes for MySQL/MariaDB (driver.h). TIMESTAMP would
 * be bounded by 2038 and converted by the session time zone: DATETIME. The
 * schema of a MySQL connection is the URL's database, and the catalog
 * look-ups read only it. */
static const dbmig_dialect_sql my_sql = {
    DBMIG_DIALECT_SQL_HEADER,
    .timestamp_type = "DATETIME",
    .savepoint = "SAVEPOINT",
    .rollback_to_savepoint = "ROLLBACK TO SAVEPOINT",
    .release_savepoint = "RELEASE SAVEPOINT",
    .lease_now_ms = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)",
    .lease_share_lock = " LOCK IN SHARE MODE",
    .table_schema = "",
    .table_schema_why = "the version table lives in the URL's database; to keep it in another "
                        "database, name that database in the URL (mysql://user@host/DATABASE)",
    /* ABI 2.3: time-outs (SPEC section 14). Lock waits are whole seconds
     * ({s}): lock_wait_timeout bounds a metadata lock wait (DDL),
     * innodb_lock_wait_timeout a row lock wait. The statement time-out is
     * MariaDB's max_statement_time (fractional seconds); MySQL 8 has no
     * such variable for DDL (max_execution_time bounds a SELECT only):
     * conn_caps reports DBMIG_CAP_NO_STATEMENT_TIMEOUT there, and the core
     * refuses the option. blockers: the
     * other sessions with an open InnoDB transaction, oldest first (the
     * server does not say which of them holds the metadata lock; PROCESS
     * privilege needed to see other users' sessions). */
    .session_id = "SELECT CONNECTION_ID()",
    .lock_timeout = "SET SESSION lock_wait_timeout = {s}, SESSION innodb_lock_wait_timeout = {s}",
    .lock_timeout_reset = "SET SESSION lock_wait_timeout = DEFAULT, "
                          "SESSION innodb_lock_wait_timeout = DEFAULT",
    .statement_timeout = "SET SESSION max_statement_time = {ms} / 1000",
    .statement_timeout_reset = "SET SESSION max_statement_time = DEFAULT",
    .blockers = "SELECT t.trx_mysql_thread_id, "
                "CASE WHEN p.COMMAND = 'Sleep' THEN 'idle in transaction' "
                "ELSE COALESCE(NULLIF(p.STATE, ''), p.COMMAND, t.trx_state) END, "
                "TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), "
                "COALESCE(t.trx_query, p.INFO, '') "
                "FROM information_schema.INNODB_TRX t "
                "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
                "WHERE t.trx_mysql_thread_id NOT IN ({id}, CONNECTION_ID()) "
                "ORDER BY t.trx_started, t.trx_mysql_thread_id",
};

static const dbmig_driver my_driver = {
    DBMIG_DRIVER_HEADER,
    .name = "mysql",
    .version = "1.1.0",
    .description = "MySQL 8 and MariaDB 10.x, through the MySQL/MariaDB client library",
    .schemes = my_schemes,
    .caps = MY_BASE_CAPS,
    .dialect = DBMIG_DIALECT_MYSQL,
    .unload_safe = 0, /* the client library keeps global state set up by mysql_init */
    .sql = &my_sql,
    .connect = my_connect,
    .close = my_close,
    .exec = my_exec,
    .query = my_query,
    .begin = my_begin,
    .commit = my_commit,
    .rollback = my_rollback,
    .try_lock = my_try_lock,
    .unlock = my_unlock,
    .table_exists = my_table_exists,
    .column_exists = my_column_exists,
    .index_exists = my_index_exists,
    .quote_ident = my_quote_ident,
    .quote_literal = my_quote_literal,
    .last_error = my_last_error,
    .server_version = my_server_version,
    .conn_caps = my_conn_caps,
    .inspect = my_inspect,
    .scratch_create = my_scratch_create,
    .scratch_drop = my_scratch_drop,
};

DBMIG_DRIVER_ENTRY(mysql, my_driver)
