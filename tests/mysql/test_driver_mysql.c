/* test_driver_mysql.c — the driver contract suite (tests/unit/driver_contract.c)
 * run against the real MySQL plugin and a real MariaDB server, plus the
 * MySQL-specific checks (URL forms, TLS modes, capability bits, error codes,
 * quoting, lock names, lost connections), and ABI 2.1: schema inspection
 * of a schema with every kind of object MariaDB has, scratch databases.
 *
 * Needs DBMIG_TEST_MYSQL_URL (scripts/mariadb-server.sh sets it): without
 * it the program FAILS, it never skips. Each test gets a fresh database
 * `dbmig_ct` on that server. DBMIG_TEST_MYSQL_SOCKET and
 * DBMIG_TEST_MYSQL_SPECIAL_URL enable (and then require) the socket and
 * special-password checks; the server script always sets them. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_contract.h"
#include "loader.h"
#include "util.h"

#define TEST_DB "dbmig_ct"

/* The mysql plugin is not unload-safe (the client library keeps global
 * state), so the loader makes it resident and never closes its libltdl
 * handle: LeakSanitizer would report that handle, which is by design. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:lt__malloc\n"; }

typedef struct fx {
    contract_fx ct; /* first: what the shared contract tests read */
    dm_plugin *plugin;
    char base[512]; /* the server's URL up to and without "/<db>" */
    char url[600];  /* base + "/dbmig_ct" */
    char password[128];
} fx;

static const char *env_or_die(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr,
                "%s is not set: run this test through scripts/mariadb-server.sh run ... "
                "(ctest -L mysql does)\n",
                name);
        exit(1);
    }
    return v;
}

static void holder_conn_id(const dbmig_driver *d, dbmig_conn *conn, char *out, size_t cap);

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    const char *u = env_or_die("DBMIG_TEST_MYSQL_URL");
    const char *slash = strrchr(u, '/');
    if (!slash || strlen(u) >= sizeof f->base)
        return -1;
    snprintf(f->base, sizeof f->base, "%.*s", (int)(slash - u), u);
    snprintf(f->url, sizeof f->url, "%s/" TEST_DB, f->base);
    /* mysql://user:PASSWORD@host */
    const char *colon = strchr(u + 8, ':'), *at = strrchr(u, '@');
    if (colon && at && colon < at)
        snprintf(f->password, sizeof f->password, "%.*s", (int)(at - colon - 1), colon + 1);
    dm_err e = {0};
    if (dm_plugin_load(DBMIG_PLUGIN_DIR, "mysql", &f->plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "cannot load the mysql plugin: %s\n", dm_err_msg(&e));
        dm_err_free(&e);
        free(f);
        return -1;
    }
    dm_err_free(&e);
    f->ct.d = dm_plugin_driver(f->plugin);
    f->ct.url = f->url;
    f->ct.holder = holder_conn_id;
    /* a fresh, empty database */
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, u);
    must_exec(f->ct.d, c, "DROP DATABASE IF EXISTS " TEST_DB);
    must_exec(f->ct.d, c, "CREATE DATABASE " TEST_DB " CHARACTER SET utf8mb4");
    f->ct.d->close(NULL, c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dm_plugin_unload(f->plugin);
    free(f);
    return 0;
}

#define FX fx *f = *state

/* The holder text of a lock taken through conn: its server connection id. */
static void holder_conn_id(const dbmig_driver *d, dbmig_conn *conn, char *out, size_t cap)
{
    rows r;
    query_text(d, conn, "SELECT CONNECTION_ID()", &r);
    size_t n = strlen(r.text);
    if (n && r.text[n - 1] == ';')
        r.text[n - 1] = '\0';
    snprintf(out, cap, "connection %s (", r.text);
}

/* ---- the driver table (the shared contract: CONTRACT_TESTS) ---------- */

static void test_table(void **state)
{
    FX;
    assert_string_equal(f->ct.d->name, "mysql");
    assert_int_equal(f->ct.d->dialect, DBMIG_DIALECT_MYSQL);
    assert_string_equal(f->ct.d->schemes[0], "mysql");
    assert_string_equal(f->ct.d->schemes[1], "mariadb");
    assert_null(f->ct.d->schemes[2]);
    uint32_t base = DBMIG_CAP_SAVEPOINTS | DBMIG_CAP_DROP_INDEX_NEEDS_TABLE | DBMIG_CAP_BOOLEAN |
                    DBMIG_CAP_LOCK_REPORTS_HOLDER | DBMIG_CAP_MULTI_STATEMENT;
    assert_int_equal(f->ct.d->caps, base);
    assert_false(f->ct.d->caps & DBMIG_CAP_TRANSACTIONAL_DDL);
    assert_non_null(f->ct.d->conn_caps);
}


/* ---- MySQL specifics ---------------------------------------------------- */

/* conn_caps: MariaDB adds the native IF [NOT] EXISTS bits, unless
 * ?emulate_if_not_exists=1 asks for the core's emulation. */
static void test_conn_caps_and_version(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    char v[128] = "";
    assert_int_equal(f->ct.d->server_version(NULL, c, v, sizeof v), DBMIG_DRV_OK);
    rows r;
    char want[140];
    snprintf(want, sizeof want, "%s;", v);
    assert_string_equal(query_text(f->ct.d, c, "SELECT VERSION()", &r), want);
    uint32_t native = DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS |
                      DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS | DBMIG_CAP_DROP_COLUMN_IF_EXISTS;
    if (strstr(v, "MariaDB"))
        assert_int_equal(f->ct.d->conn_caps(NULL, c), f->ct.d->caps | native);
    else /* MySQL: no max_statement_time (--statement-timeout is refused) */
        assert_int_equal(f->ct.d->conn_caps(NULL, c),
                         f->ct.d->caps | DBMIG_CAP_NO_STATEMENT_TIMEOUT);
    f->ct.d->close(NULL, c);

    const char *emu[] = {"?emulate_if_not_exists=1", "?emulate-if-not-exists=true",
                         "?charset=utf8mb4&emulate_if_not_exists", NULL};
    for (int i = 0; emu[i]; i++) {
        char url[700];
        snprintf(url, sizeof url, "%s%s", f->url, emu[i]);
        c = must_connect(f->ct.d, &h, url);
        assert_int_equal(f->ct.d->conn_caps(NULL, c) & ~(uint32_t)DBMIG_CAP_NO_STATEMENT_TIMEOUT,
                         f->ct.d->caps);
        f->ct.d->close(NULL, c);
    }
    char url[700];
    snprintf(url, sizeof url, "%s?emulate_if_not_exists=0", f->url);
    c = must_connect(f->ct.d, &h, url);
    if (strstr(v, "MariaDB"))
        assert_int_equal(f->ct.d->conn_caps(NULL, c), f->ct.d->caps | native);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_url_forms(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[900];
    rows r;
    /* mariadb:// alias, upper-case scheme */
    snprintf(url, sizeof url, "mariadb%s", strchr(f->url, ':'));
    dbmig_conn *c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c, "SELECT DATABASE()", &r), TEST_DB ";");
    f->ct.d->close(NULL, c);
    snprintf(url, sizeof url, "MySQL%s", strchr(f->url, ':'));
    c = must_connect(f->ct.d, &h, url);
    f->ct.d->close(NULL, c);
    /* the default character set is utf8mb4; ?charset= changes it */
    c = must_connect(f->ct.d, &h, f->url);
    assert_string_equal(query_text(f->ct.d, c, "SELECT @@character_set_connection", &r),
                        "utf8mb4;");
    /* a 4-byte character survives the round trip */
    must_exec(f->ct.d, c, "CREATE TABLE emoji (s VARCHAR(10))");
    must_exec(f->ct.d, c, "INSERT INTO emoji VALUES ('\xf0\x9f\x90\xac')");
    assert_string_equal(query_text(f->ct.d, c, "SELECT s FROM emoji", &r), "\xf0\x9f\x90\xac;");
    f->ct.d->close(NULL, c);
    snprintf(url, sizeof url, "%s?charset=latin1&connect_timeout=5", f->url);
    c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c, "SELECT @@character_set_connection", &r),
                        "latin1;");
    f->ct.d->close(NULL, c);
    /* a Unix socket */
    const char *sock = getenv("DBMIG_TEST_MYSQL_SOCKET");
    if (sock && *sock) {
        /* mysql://user:pass@localhost/db?socket=/path (the path %-encoded) */
        const char *at = strrchr(f->base, '@');
        char enc[400] = "";
        size_t o = 0;
        for (const char *p = sock; *p && o + 4 < sizeof enc; p++)
            o += (size_t)(*p == '/' ? snprintf(enc + o, sizeof enc - o, "%%2F")
                                    : snprintf(enc + o, sizeof enc - o, "%c", *p));
        snprintf(url, sizeof url, "%.*s@localhost/%s?socket=%s", (int)(at - f->base), f->base,
                 TEST_DB, enc);
        c = must_connect(f->ct.d, &h, url);
        /* over the socket, the server sees the user at localhost */
        query_text(f->ct.d, c, "SELECT CURRENT_USER()", &r);
        assert_contains(r.text, "@localhost");
        f->ct.d->close(NULL, c);
    }
    /* a password that needs %-encoding */
    const char *special = getenv("DBMIG_TEST_MYSQL_SPECIAL_URL");
    if (special && *special) {
        c = must_connect(f->ct.d, &h, special);
        query_text(f->ct.d, c, "SELECT CURRENT_USER()", &r);
        assert_contains(r.text, "dbmig_special@");
        f->ct.d->close(NULL, c);
    }
    assert_int_equal(cnt.live, 0);
}

static void test_url_errors(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[900];
    struct {
        const char *suffix; /* appended to base, or a whole URL when it has a scheme */
        const char *want;
        const char *code;
    } bad[] = {
        {"postgres://u:SECRETPW@h/db", "not a MySQL URL", "URL"},
        {"", "must name one database", "URL"},
        {"/", "must name one database", "URL"},
        {"/a/b", "must name one database", "URL"},
        {"/" TEST_DB "?ssl-mode=SOMETIMES", "bad ssl-mode 'SOMETIMES'", "URL"},
        {"/" TEST_DB "?sslmod=REQUIRED", "unknown parameter 'sslmod'", "URL"},
        {"/" TEST_DB "?connect-timeout=abc", "bad connect-timeout", "URL"},
        {"/" TEST_DB "?emulate_if_not_exists=maybe", "bad emulate_if_not_exists", "URL"},
        {"/" TEST_DB "?socket=", "empty value for 'socket'", "URL"},
        {"/db%zz", "bad %-escape", "URL"},
        {"mysql://u:SECRETPW@127.0.0.1:99999/db", "bad port '99999'", "URL"},
        {"mysql://u:SECRETPW@[::1/db", "unclosed '['", "URL"},
        /* the server refuses: errno and SQLSTATE */
        {"/nosuch_db", "nosuch_db", "1044/42000"},
        {"mysql://dbmig:SECRETPW@127.0.0.1:1/db", "", "2002/HY000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (strstr(bad[i].suffix, "://"))
            snprintf(url, sizeof url, "%s", bad[i].suffix);
        else
            snprintf(url, sizeof url, "%s%s", f->base, bad[i].suffix);
        dbmig_db_error e;
        memset(&e, 0, sizeof e);
        dbmig_conn *c = (dbmig_conn *)&e;
        if (f->ct.d->connect(NULL, &h, url, &c, &e) != DBMIG_DRV_ERROR)
            fail_msg("connect %s succeeded", url);
        assert_ptr_equal(c, (dbmig_conn *)&e); /* untouched */
        assert_contains(e.message, bad[i].want);
        if (strcmp(bad[i].code, "URL") == 0) { /* the URL itself: kind URL (the core exits 2) */
            assert_int_equal(e.kind, DBMIG_DB_ERR_URL);
        } else {
            assert_int_equal(e.kind, DBMIG_DB_ERR_GENERIC);
            if (strcmp(bad[i].code, "2002/HY000") == 0) /* 2002 or 2003 */
                assert_true(strncmp(e.code, "200", 3) == 0);
            else
                assert_string_equal(e.code, bad[i].code);
        }
        if (strstr(e.message, "SECRETPW") || strstr(e.hint, "SECRETPW") ||
            (f->password[0] && (strstr(e.message, f->password) || strstr(e.hint, f->password))))
            fail_msg("the password leaked into the error of %s: %s / %s", bad[i].suffix,
                     e.message, e.hint);
    }
    /* a wrong password: 1045 with a hint */
    snprintf(url, sizeof url, "mysql://dbmig:wrong-%s@%s", f->password,
             strrchr(f->base, '@') + 1);
    snprintf(url + strlen(url), sizeof url - strlen(url), "/%s", TEST_DB);
    dbmig_db_error e;
    dbmig_conn *c = NULL;
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
    assert_string_equal(e.code, "1045/28000");
    assert_contains(e.hint, "password");
    assert_int_equal(cnt.live, 0);
}

/* The test server has no TLS: REQUIRED and VERIFY_* must refuse to connect
 * in clear text, DISABLED and PREFERRED connect (unencrypted). */
static void test_tls_modes(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[900];
    rows r;
    const char *ok[] = {"DISABLED", "PREFERRED", "disabled", NULL};
    for (int i = 0; ok[i]; i++) {
        snprintf(url, sizeof url, "%s?ssl-mode=%s", f->url, ok[i]);
        dbmig_conn *c = must_connect(f->ct.d, &h, url);
        assert_string_equal(
            query_text(f->ct.d, c, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
                                "WHERE VARIABLE_NAME = 'SSL_CIPHER'",
                       &r),
            ";");
        f->ct.d->close(NULL, c);
    }
    const char *refused[] = {"ssl-mode=REQUIRED", "ssl_mode=VERIFY_CA",
                             "ssl-mode=VERIFY_IDENTITY&ssl-ca=%2Fnonexistent%2Fca.pem", NULL};
    for (int i = 0; refused[i]; i++) {
        snprintf(url, sizeof url, "%s?%s", f->url, refused[i]);
        dbmig_db_error e;
        memset(&e, 0, sizeof e);
        dbmig_conn *c = NULL;
        if (f->ct.d->connect(NULL, &h, url, &c, &e) != DBMIG_DRV_ERROR)
            fail_msg("%s connected without TLS", refused[i]);
        if (!strstr(e.message, "TLS") && !strstr(e.message, "SSL"))
            fail_msg("%s: the error does not mention TLS: %s", refused[i], e.message);
    }
    assert_int_equal(cnt.live, 0);
}

static void test_error_codes_and_positions(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    must_exec(f->ct.d, c, "CREATE TABLE e1 (id INTEGER PRIMARY KEY)");
    const char *dup = "CREATE TABLE e1 (id INTEGER)";
    assert_int_equal(f->ct.d->exec(NULL, c, dup, strlen(dup), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "1050/42S01");
    assert_contains(f->ct.d->last_error(NULL, c)->message, "'e1' already exists");
    const char *miss = "INSERT INTO nosuch VALUES (1)";
    assert_int_equal(f->ct.d->exec(NULL, c, miss, strlen(miss), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "1146/42S02");
    must_exec(f->ct.d, c, "INSERT INTO e1 VALUES (1)");
    const char *pk = "INSERT INTO e1 VALUES (1)";
    assert_int_equal(f->ct.d->exec(NULL, c, pk, strlen(pk), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "1062/23000");
    /* a syntax error: the position of the server's "near '...'" text,
     * counted in characters, on the right line */
    const char *syn = "SELECT 'é',\n  1 FROMM e1 WHERE";
    assert_int_equal(f->ct.d->exec(NULL, c, syn, strlen(syn), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "1064/42000");
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, 23); /* "e1 WHERE" (FROMM is an alias) */
    const char *end = "SELECT * FROM e1 WHERE";
    assert_int_equal(f->ct.d->exec(NULL, c, end, strlen(end), NULL), DBMIG_DRV_ERROR);
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, (int)strlen(end) + 1);
    /* several statements in one text (MULTI_STATEMENT): in order, each
     * committed on its own (autocommit), stopping at the first failure */
    const char *two = "SELECT 1; SELECT 2";
    must_exec(f->ct.d, c, two);
    int64_t n = -1;
    const char *ok2 = "INSERT INTO e1 VALUES (20);\nINSERT INTO e1 VALUES (21), (22)";
    assert_int_equal(f->ct.d->exec(NULL, c, ok2, strlen(ok2), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 3);
    const char *second = "INSERT INTO e1 VALUES (5);\nINSERT INTO e1 VALUES (1)";
    assert_int_equal(f->ct.d->exec(NULL, c, second, strlen(second), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "1062/23000");
    const char *first = "INSERT INTO nosuch VALUES (1); INSERT INTO e1 VALUES (6)";
    assert_int_equal(f->ct.d->exec(NULL, c, first, strlen(first), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "1146/42S02");
    rows r;
    assert_string_equal(query_text(f->ct.d, c, "SELECT id FROM e1 WHERE id IN (5, 6) ORDER BY id", &r),
                        "5;");
    /* a syntax error in a later statement: the position counts from the
     * start of the whole text and lands inside that statement */
    const char *later = "SELECT 1;\nSELECT 2 FROMM e1 WHERE";
    assert_int_equal(f->ct.d->exec(NULL, c, later, strlen(later), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "1064/42000");
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, 26); /* "e1 WHERE" */
    /* the connection is still usable after a failure in the middle */
    assert_string_equal(query_text(f->ct.d, c, "SELECT COUNT(*) FROM e1", &r), "5;");
    /* a success clears the error */
    must_exec(f->ct.d, c, "SELECT 1");
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_exec_results(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    int64_t n = -1;
    rows r;
    /* a statement returning rows through exec: the rows are drained */
    const char *sel = "SELECT SLEEP(0), 'x'";
    assert_int_equal(f->ct.d->exec(NULL, c, sel, strlen(sel), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    /* a procedure returning several results (CALL) */
    must_exec(f->ct.d, c, "CREATE TABLE pr (x INTEGER)");
    must_exec(f->ct.d, c,
              "CREATE PROCEDURE two_results() BEGIN SELECT 1; SELECT 2; "
              "INSERT INTO pr VALUES (1), (2); END");
    assert_int_equal(f->ct.d->exec(NULL, c, "CALL two_results()", 18, &n), DBMIG_DRV_OK);
    assert_string_equal(query_text(f->ct.d, c, "SELECT COUNT(*) FROM pr", &r), "2;");
    query_text(f->ct.d, c, "CALL two_results()", &r);
    assert_string_equal(r.text, "1;");
    assert_string_equal(query_text(f->ct.d, c, "SELECT COUNT(*) FROM pr", &r), "4;");
    /* query() of a statement without rows */
    assert_string_equal(query_text(f->ct.d, c, "UPDATE pr SET x = 3", &r), "");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Literals round-trip through the server with quotes, backslashes, NUL-free
 * control characters, and NO_BACKSLASH_ESCAPES on or off. */
static void test_quoting_roundtrip(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    const char *vals[] = {"it's", "back\\slash", "\\'; DROP TABLE q; -- ", "\"dq\"\n\r\t\x1a",
                          "é\xf0\x9f\x90\xac", ""};
    must_exec(f->ct.d, c, "CREATE TABLE q (v VARCHAR(100))");
    for (int mode = 0; mode < 2; mode++) {
        if (mode == 1)
            must_exec(f->ct.d, c, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            must_exec(f->ct.d, c, "DELETE FROM q");
            char lit[256], sql[400];
            size_t need = f->ct.d->quote_literal(NULL, c, vals[i], strlen(vals[i]), lit, sizeof lit);
            assert_int_equal(need, strlen(lit));
            /* asking for the size first gives the same answer */
            assert_int_equal(f->ct.d->quote_literal(NULL, c, vals[i], strlen(vals[i]), NULL, 0), need);
            char small[5];
            assert_int_equal(f->ct.d->quote_literal(NULL, c, vals[i], strlen(vals[i]), small, sizeof small),
                             need);
            assert_true(strlen(small) < sizeof small);
            snprintf(sql, sizeof sql, "INSERT INTO q VALUES (%s)", lit);
            must_exec(f->ct.d, c, sql);
            rows r;
            char want[300];
            snprintf(want, sizeof want, "%s;", vals[i]);
            assert_string_equal(query_text(f->ct.d, c, "SELECT v FROM q", &r), want);
        }
    }
    /* identifiers: backticks doubled */
    char out[64];
    assert_int_equal(f->ct.d->quote_ident(NULL, NULL, "we`ird", 6, out, sizeof out), 9);
    assert_string_equal(out, "`we``ird`");
    must_exec(f->ct.d, c, "CREATE TABLE `we``ird` (`a``b` INTEGER)");
    int ex = 0;
    assert_int_equal(f->ct.d->column_exists(NULL, c, "we`ird", "a`b", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    /* offline: ' and \ doubled */
    assert_int_equal(f->ct.d->quote_literal(NULL, NULL, "a\\b'c", 5, out, sizeof out), 9);
    assert_string_equal(out, "'a\\\\b''c'");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_lock_names(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(f->ct.d, &h, f->url);
    dbmig_conn *b = must_connect(f->ct.d, &h, f->url);
    int got = -1;
    char holder[256];
    rows r;
    /* the name: dbmig:<database>.<key>, visible to other sessions */
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_string_equal(query_text(f->ct.d, b, "SELECT IS_FREE_LOCK('dbmig:" TEST_DB
                                            ".dbmig_version')",
                                   &r),
                        "0;");
    /* taking it again on the same connection does not nest it: one unlock
     * frees it */
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    /* a second key while holding one is refused */
    assert_int_equal(f->ct.d->try_lock(NULL, a, "other", &got, NULL, 0), DBMIG_DRV_ERROR);
    assert_int_equal(f->ct.d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);
    assert_string_equal(query_text(f->ct.d, b, "SELECT IS_FREE_LOCK('dbmig:" TEST_DB
                                            ".dbmig_version')",
                                   &r),
                        "1;");
    /* unlock without a lock is harmless */
    assert_int_equal(f->ct.d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);

    /* keys longer than MySQL's 64 characters: hashed, distinct, still exclusive */
    char k1[201], k2[201];
    memset(k1, 'k', 200);
    k1[200] = '\0';
    memcpy(k2, k1, sizeof k1);
    k2[199] = 'z';
    assert_int_equal(f->ct.d->try_lock(NULL, a, k1, &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->try_lock(NULL, b, k1, &got, holder, sizeof holder), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    char want[64];
    holder_conn_id(f->ct.d, a, want, sizeof want);
    assert_contains(holder, want);
    assert_contains(holder, "dbmig@");
    assert_int_equal(f->ct.d->try_lock(NULL, b, k2, &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1); /* same 47-byte prefix, another hash */
    assert_int_equal(f->ct.d->unlock(NULL, b, k2), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->unlock(NULL, a, k1), DBMIG_DRV_OK);
    /* a multi-byte key is cut on a character boundary */
    char k3[300] = "";
    for (int i = 0; i < 40; i++)
        strcat(k3, "\xc3\xa9"); /* é */
    assert_int_equal(f->ct.d->try_lock(NULL, a, k3, &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->unlock(NULL, a, k3), DBMIG_DRV_OK);
    f->ct.d->close(NULL, a);
    f->ct.d->close(NULL, b);
    assert_int_equal(cnt.live, 0);
}

/* A connection killed on the server is never silently replaced (which would
 * drop the lock): every later call fails. */
static void test_lost_connection_no_reconnect(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(f->ct.d, &h, f->url);
    dbmig_conn *b = must_connect(f->ct.d, &h, f->url);
    int got = -1;
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    rows r;
    char id[40], sql[80];
    snprintf(id, sizeof id, "%s", query_text(f->ct.d, a, "SELECT CONNECTION_ID()", &r));
    id[strlen(id) - 1] = '\0';
    snprintf(sql, sizeof sql, "KILL CONNECTION %s", id);
    must_exec(f->ct.d, b, sql);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f->ct.d->exec(NULL, a, "SELECT 1", 8, NULL), DBMIG_DRV_ERROR);
        const char *code = f->ct.d->last_error(NULL, a)->code;
        if (strncmp(code, "2006/", 5) != 0 && strncmp(code, "2013/", 5) != 0 &&
            strncmp(code, "1927/", 5) != 0 && strncmp(code, "4031/", 5) != 0)
            fail_msg("unexpected code %s: %s", code, f->ct.d->last_error(NULL, a)->message);
    }
    /* the lock went with the killed session (KILL takes effect soon after) */
    got = 0;
    for (int i = 0; i < 50 && !got; i++) {
        assert_int_equal(f->ct.d->try_lock(NULL, b, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
        if (!got)
            dm_sleep_ms(100);
    }
    assert_int_equal(got, 1);
    f->ct.d->close(NULL, a);
    f->ct.d->close(NULL, b);
    assert_int_equal(cnt.live, 0);
}

/* index_exists without a table: MySQL's index names are per table, so a
 * name used on two tables is an error naming the way out. */
static void test_index_lookup(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    must_exec(f->ct.d, c, "CREATE TABLE t1 (a INTEGER, b INTEGER)");
    must_exec(f->ct.d, c, "CREATE TABLE t2 (a INTEGER)");
    must_exec(f->ct.d, c, "CREATE INDEX ix_a ON t1 (a)");
    int ex = -1;
    char tbl[80];
    assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "IX_A", &ex, tbl, sizeof tbl), DBMIG_DRV_OK);
    assert_int_equal(ex, 1); /* index names are case-insensitive */
    assert_string_equal(tbl, "t1");
    must_exec(f->ct.d, c, "CREATE INDEX ix_a ON t2 (a)");
    assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "ix_a", &ex, tbl, sizeof tbl), DBMIG_DRV_ERROR);
    assert_contains(f->ct.d->last_error(NULL, c)->message, "2 tables");
    assert_contains(f->ct.d->last_error(NULL, c)->hint, "ON t");
    assert_int_equal(f->ct.d->index_exists(NULL, c, "t2", "ix_a", &ex, tbl, sizeof tbl), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_string_equal(tbl, "t2");
    /* a multi-column index is one index */
    must_exec(f->ct.d, c, "CREATE UNIQUE INDEX ix_ab ON t1 (a, b)");
    assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "ix_ab", &ex, tbl, sizeof tbl), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    /* names longer than any identifier exist nowhere */
    char longname[400];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(f->ct.d->table_exists(NULL, c, longname, &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    /* other databases' tables are not seen */
    assert_int_equal(f->ct.d->table_exists(NULL, c, "user", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* ---- schema inspection (ABI 2.1) ------------------------------------------ */

/* Every object inspect() reports, one line each, sorted (a test reads them
 * as text): kind table.name flags type default generated collation
 * (columns) -> ref(cols) rules method | definition. */
typedef struct objs {
    char **v;
    size_t n;
    int stop_after; /* > 0: the callback asks to stop after that many */
    char all[16384];
} objs;

static const char *const KIND[] = {"?",     "table", "column", "pk",  "unique",  "fk",
                                   "check", "index", "view",   "seq", "trigger", "function"};

static void add_list(char *line, size_t cap, const char *const *v, uint32_t n)
{
    strncat(line, "(", cap - strlen(line) - 1);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            strncat(line, ",", cap - strlen(line) - 1);
        strncat(line, v[i], cap - strlen(line) - 1);
    }
    strncat(line, ")", cap - strlen(line) - 1);
}

static int collect_obj(void *payload, const dbmig_schema_object *o)
{
    objs *r = payload;
    assert_int_equal(o->size, sizeof *o);
    char line[2048];
    snprintf(line, sizeof line, "%s %s%s%s", KIND[o->kind <= 11 ? o->kind : 0],
             o->table ? o->table : "", o->table ? "." : "", o->name ? o->name : "(null)");
    size_t l = strlen(line);
    if (o->kind == DBMIG_SO_COLUMN)
        l += (size_t)snprintf(line + l, sizeof line - l, " #%u %s%s%s%s", o->position, o->type,
                              o->flags & DBMIG_SO_NULLABLE ? " null" : " notnull",
                              o->flags & DBMIG_SO_IDENTITY ? " identity" : "",
                              o->flags & DBMIG_SO_GENERATED_STORED ? " stored" : "");
    if (o->default_expr)
        l += (size_t)snprintf(line + l, sizeof line - l, " default=%s", o->default_expr);
    if (o->generated)
        l += (size_t)snprintf(line + l, sizeof line - l, " as=%s", o->generated);
    if (o->collation)
        l += (size_t)snprintf(line + l, sizeof line - l, " collate=%s", o->collation);
    if (o->flags & DBMIG_SO_UNIQUE_INDEX)
        strncat(line, " unique", sizeof line - strlen(line) - 1);
    if (o->ncolumns) {
        strncat(line, " ", sizeof line - strlen(line) - 1);
        add_list(line, sizeof line, o->columns, o->ncolumns);
    }
    if (o->ref_table) {
        l = strlen(line);
        snprintf(line + l, sizeof line - l, " -> %s", o->ref_table);
        add_list(line, sizeof line, o->ref_columns, o->nref_columns);
        l = strlen(line);
        snprintf(line + l, sizeof line - l, " delete %s update %s", o->on_delete, o->on_update);
    }
    l = strlen(line);
    if (o->method)
        l += (size_t)snprintf(line + l, sizeof line - l, " using %s", o->method);
    if (o->definition)
        snprintf(line + l, sizeof line - l, " | %s", o->definition);
    char **nv = realloc(r->v, (r->n + 1) * sizeof *nv);
    assert_non_null(nv);
    r->v = nv;
    r->v[r->n++] = strdup(line);
    return r->stop_after > 0 && (int)r->n >= r->stop_after;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void objs_free(objs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* Inspects conn into r (sorted; r->all: every line, '\n' after each). */
static void inspect_into(const dbmig_driver *d, dbmig_conn *c, objs *r)
{
    int stop = r->stop_after;
    objs_free(r);
    r->stop_after = stop;
    if (d->inspect(NULL, c, collect_obj, r) != DBMIG_DRV_OK)
        fail_msg("inspect: %s", d->last_error(NULL, c)->message);
    qsort(r->v, r->n, sizeof *r->v, cmp_line);
    r->all[0] = '\0';
    for (size_t i = 0; i < r->n; i++) {
        strncat(r->all, r->v[i], sizeof r->all - strlen(r->all) - 1);
        strncat(r->all, "\n", sizeof r->all - strlen(r->all) - 1);
    }
}

static void assert_line(const objs *r, const char *want)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i], want) == 0)
            return;
    fprintf(stderr, "the objects:\n%s", r->all);
    fail_msg("expected the object line: %s", want);
}

static void assert_no_line(const objs *r, const char *prefix)
{
    for (size_t i = 0; i < r->n; i++)
        if (strncmp(r->v[i], prefix, strlen(prefix)) == 0)
            fail_msg("unexpected object: %s", r->v[i]);
}

/* A schema with every kind of object MariaDB has, each statement on its
 * own (the trigger's and procedure's bodies hold ';'). */
static const char *const SCHEMA[] = {
    "CREATE TABLE parent (a INT NOT NULL, b VARCHAR(20) NOT NULL, "
    "label VARCHAR(50) COLLATE utf8mb4_bin DEFAULT 'it''s', n2 VARCHAR(9) DEFAULT 'a\\\\b', "
    "js VARCHAR(100) CHECK (json_valid(js)), "
    "PRIMARY KEY (a, b), CONSTRAINT parent_label_uq UNIQUE (label))",
    "CREATE TABLE child (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, pa INT, pb VARCHAR(20), "
    "qty INT NOT NULL DEFAULT 0, price DECIMAL(10,2) DEFAULT NULL CHECK (price > 0), "
    "total DECIMAL(12,2) AS (qty * price) VIRTUAL, "
    "stotal DECIMAL(12,2) AS (qty * price) PERSISTENT, note TEXT, "
    "created DATETIME DEFAULT CURRENT_TIMESTAMP, doc JSON, d DATE DEFAULT '2020-01-02', "
    "CONSTRAINT child_parent_fk FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE CASCADE, "
    "CONSTRAINT qty_positive CHECK ((qty >= 0)))",
    "CREATE INDEX child_note_prefix ON child (note(10), qty)",
    "CREATE FULLTEXT INDEX child_note_ft ON child (note)",
    "CREATE UNIQUE INDEX child_note_hash ON child (note, qty) USING HASH",
    "CREATE UNIQUE INDEX child_qty_id ON child (qty, id)",
    "CREATE TABLE fk2 (x BIGINT, y BIGINT, FOREIGN KEY (x) REFERENCES child (id), "
    "INDEX fk2_y (y), FOREIGN KEY (y) REFERENCES child (id) ON UPDATE SET NULL)",
    "CREATE VIEW child_v AS SELECT id, qty FROM child WHERE qty > 0 AND note <> '`dbmig_ct`.x'",
    "CREATE TRIGGER child_bi BEFORE INSERT ON child FOR EACH ROW "
    "BEGIN IF NEW.qty < 0 THEN SET NEW.qty = 0; END IF; END",
    "CREATE FUNCTION add1(x INT) RETURNS INT DETERMINISTIC RETURN x + 1",
    "CREATE PROCEDURE p1(IN x INT, OUT y VARCHAR(10)) COMMENT 'it''s' READS SQL DATA "
    "BEGIN SELECT x INTO y; END",
    "CREATE SEQUENCE sq START WITH 5",
    "CREATE SEQUENCE `s``q` START WITH 1 INCREMENT BY -1 MINVALUE -100 MAXVALUE 1 NOCACHE CYCLE",
    NULL,
};

static void test_inspect(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    assert_non_null(f->ct.d->inspect);
    objs r = {0};
    inspect_into(f->ct.d, c, &r); /* an empty database: nothing */
    assert_int_equal(r.n, 0);
    for (int i = 0; SCHEMA[i]; i++)
        must_exec(f->ct.d, c, SCHEMA[i]);
    inspect_into(f->ct.d, c, &r);
    assert_line(&r, "table parent");
    assert_line(&r, "table child");
    assert_line(&r, "table fk2");
    assert_no_line(&r, "table child_v"); /* a view is no table */
    assert_no_line(&r, "table sq"); /* a sequence is no table */
    assert_line(&r, "seq sq | start with 5 minvalue 1 maxvalue 9223372036854775806 "
                    "increment by 1 cache 1000 nocycle");
    assert_line(&r, "seq s`q | start with 1 minvalue -100 maxvalue 1 increment by -1 nocache "
                    "cycle");
    assert_no_line(&r, "column child_v.");
    /* columns: type, nullability, defaults in MariaDB's expression form
     * (DEFAULT NULL is no default), collation only when not the table's */
    assert_line(&r, "column parent.a #1 int(11) notnull");
    assert_line(&r, "column parent.label #3 varchar(50) null default='it''s' collate=utf8mb4_bin");
    assert_line(&r, "column parent.n2 #4 varchar(9) null default='a\\\\b'");
    assert_line(&r, "column child.id #1 bigint(20) notnull identity");
    assert_line(&r, "column child.pb #3 varchar(20) null");
    assert_line(&r, "column child.qty #4 int(11) notnull default=0");
    assert_line(&r, "column child.price #5 decimal(10,2) null");
    assert_line(&r, "column child.total #6 decimal(12,2) null as=`qty` * `price`");
    assert_line(&r, "column child.stotal #7 decimal(12,2) null stored as=`qty` * `price`");
    assert_line(&r, "column child.created #9 datetime null default=current_timestamp()");
    assert_line(&r, "column child.d #11 date null default='2020-01-02'");
    /* MariaDB's JSON: reported as json, without its collation and check */
    assert_line(&r, "column child.doc #10 json null");
    assert_no_line(&r, "check child.doc");
    /* the same check on a column that is no JSON stays a check */
    assert_line(&r, "column parent.js #5 varchar(100) null");
    assert_line(&r, "check parent.js | json_valid(`js`)");
    /* keys */
    assert_line(&r, "pk parent. (a,b)");
    assert_line(&r, "pk child. (id)");
    assert_line(&r, "unique parent.parent_label_uq (label)");
    assert_line(&r, "unique child.child_qty_id (qty,id)");
    assert_line(&r,
                "fk child.child_parent_fk (pa,pb) -> parent(a,b) delete CASCADE update RESTRICT");
    assert_line(&r, "fk fk2.fk2_ibfk_1 (x) -> child(id) delete RESTRICT update RESTRICT");
    assert_line(&r, "fk fk2.fk2_ibfk_2 (y) -> child(id) delete RESTRICT update SET NULL");
    /* checks: named, and a column's (named after it); MariaDB keeps no outer parentheses */
    assert_line(&r, "check child.qty_positive | `qty` >= 0");
    assert_line(&r, "check child.price | `price` > 0");
    /* indexes: prefix, FULLTEXT, a unique HASH; not those behind keys */
    assert_line(&r, "index child.child_note_prefix (note(10),qty)");
    assert_line(&r, "index child.child_note_ft (note) using FULLTEXT");
    assert_line(&r, "index child.child_note_hash unique (note,qty) using HASH");
    assert_line(&r, "index fk2.fk2_y (y)"); /* the user's own, used by the key */
    assert_no_line(&r, "index child.child_parent_fk"); /* made by the server for the key */
    assert_no_line(&r, "index fk2.x");
    assert_no_line(&r, "index child.PRIMARY");
    assert_no_line(&r, "index parent.parent_label_uq");
    /* view without the database qualifier (but the literal kept) */
    assert_line(&r, "view child_v | select `child`.`id` AS `id`,`child`.`qty` AS `qty` from "
                    "`child` where `child`.`qty` > 0 and `child`.`note` <> '`dbmig_ct`.x'");
    assert_line(&r, "trigger child.child_bi | CREATE TRIGGER `child_bi` BEFORE INSERT ON `child` "
                    "FOR EACH ROW BEGIN IF NEW.qty < 0 THEN SET NEW.qty = 0; END IF; END");
    assert_line(&r, "function add1 | CREATE FUNCTION `add1`(`x` int(11)) RETURNS int(11) "
                    "DETERMINISTIC\nRETURN x + 1");
    assert_line(&r, "function p1 | CREATE PROCEDURE `p1`(IN `x` int(11), "
                    "OUT `y` varchar(10) CHARSET utf8mb4) "
                    "READS SQL DATA COMMENT 'it''s'\nBEGIN SELECT x INTO y; END");
    /* 3 tables, 18 columns, 2 pk, 2 unique, 3 fk, 3 check, 4 index, view,
     * trigger, 2 routines, 2 sequences */
    assert_int_equal(r.n, 41);
    /* the callback stops it: no further call, and still a success */
    r.stop_after = 3;
    inspect_into(f->ct.d, c, &r);
    assert_int_equal(r.n, 3);
    objs_free(&r);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* The built texts recreate what they describe: each trigger, routine,
 * view and sequence dropped and made again from its definition inspects
 * the same. */
static void test_inspect_texts_recreate(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    for (int i = 0; SCHEMA[i]; i++)
        must_exec(f->ct.d, c, SCHEMA[i]);
    objs a = {0}, b = {0};
    inspect_into(f->ct.d, c, &a);
    must_exec(f->ct.d, c, "DROP TRIGGER child_bi");
    must_exec(f->ct.d, c, "DROP FUNCTION add1");
    must_exec(f->ct.d, c, "DROP PROCEDURE p1");
    must_exec(f->ct.d, c, "DROP VIEW child_v");
    must_exec(f->ct.d, c, "DROP SEQUENCE sq, `s``q`");
    for (size_t i = 0; i < a.n; i++) {
        const char *bar = strstr(a.v[i], " | ");
        char sql[1024];
        if (strncmp(a.v[i], "trigger ", 8) == 0 || strncmp(a.v[i], "function ", 9) == 0) {
            must_exec(f->ct.d, c, bar + 3);
        } else if (strncmp(a.v[i], "view ", 5) == 0) {
            snprintf(sql, sizeof sql, "CREATE VIEW child_v AS %s", bar + 3);
            must_exec(f->ct.d, c, sql);
        } else if (strncmp(a.v[i], "seq ", 4) == 0) {
            char q[80];
            f->ct.d->quote_ident(NULL, NULL, a.v[i] + 4, (size_t)(bar - a.v[i] - 4), q, sizeof q);
            snprintf(sql, sizeof sql, "CREATE SEQUENCE %s %s", q, bar + 3);
            must_exec(f->ct.d, c, sql);
        }
    }
    inspect_into(f->ct.d, c, &b);
    assert_string_equal(a.all, b.all);
    objs_free(&a);
    objs_free(&b);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* inspect() on a dead connection fails with the server's error. */
static void test_inspect_error(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(f->ct.d, &h, f->url);
    dbmig_conn *b = must_connect(f->ct.d, &h, f->url);
    must_exec(f->ct.d, a, "CREATE TABLE t (x INT PRIMARY KEY)");
    rows q;
    char id[40], sql[80];
    snprintf(id, sizeof id, "%s", query_text(f->ct.d, a, "SELECT CONNECTION_ID()", &q));
    id[strlen(id) - 1] = '\0';
    snprintf(sql, sizeof sql, "KILL CONNECTION %s", id);
    must_exec(f->ct.d, b, sql);
    objs r = {0};
    assert_int_equal(f->ct.d->inspect(NULL, a, collect_obj, &r), DBMIG_DRV_ERROR);
    assert_int_equal(r.n, 0);
    assert_true(f->ct.d->last_error(NULL, a)->message[0] != '\0');
    objs_free(&r);
    f->ct.d->close(NULL, a);
    f->ct.d->close(NULL, b);
    assert_int_equal(cnt.live, 0);
}

/* A routine made by another user (root) hides its body from this one:
 * inspect fails, naming it and the privilege, instead of reporting a text
 * that recreates nothing. */
static void test_inspect_hidden_body(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const char *sock = env_or_die("DBMIG_TEST_MYSQL_SOCKET");
    char enc[400] = "", url[600];
    size_t o = 0;
    for (const char *p = sock; *p && o + 4 < sizeof enc; p++)
        o += (size_t)(*p == '/' ? snprintf(enc + o, sizeof enc - o, "%%2F")
                                : snprintf(enc + o, sizeof enc - o, "%c", *p));
    snprintf(url, sizeof url, "mysql://root@localhost/" TEST_DB "?socket=%s", enc);
    dbmig_conn *root = must_connect(f->ct.d, &h, url);
    must_exec(f->ct.d, root, "CREATE TABLE t (x INT)");
    must_exec(f->ct.d, root, "CREATE FUNCTION hid() RETURNS INT RETURN 1");
    f->ct.d->close(NULL, root);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->url);
    objs r = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, collect_obj, &r), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "PRIVILEGE");
    assert_contains(e->message, "function hid is not visible to this user");
    assert_contains(e->hint, "GRANT SELECT ON mysql.proc");
    objs_free(&r);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* ---- scratch databases (ABI 2.1) ------------------------------------------ */

static int db_exists(const dbmig_driver *d, dbmig_conn *c, const char *name)
{
    char sql[200];
    rows r;
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '%s'", name);
    return strcmp(query_text(d, c, sql, &r), "1;") == 0;
}

/* Creates name next to the database of base_url, connects to its URL,
 * checks it, drops it. */
static void scratch_round(const fx *f, const char *base_url, const char *name,
                          const char *want_suffix)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const dbmig_driver *d = f->ct.d;
    dbmig_conn *c = must_connect(d, &h, base_url);
    char url[1024];
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    if (d->scratch_create(NULL, c, name, url, sizeof url, &e) != DBMIG_DRV_OK)
        fail_msg("scratch_create %s: %s (%s)", name, e.message, e.hint);
    assert_contains(url, want_suffix);
    assert_true(db_exists(d, c, name));
    dbmig_conn *s = must_connect(d, &h, url);
    rows r;
    char want[200];
    snprintf(want, sizeof want, "%s;", name);
    assert_string_equal(query_text(d, s, "SELECT DATABASE()", &r), want);
    /* the same defaults as the database it stands next to */
    const char *defaults = "SELECT @@character_set_database, @@collation_database";
    char cs[200];
    snprintf(cs, sizeof cs, "%s", query_text(d, c, defaults, &r));
    assert_string_equal(query_text(d, s, defaults, &r), cs);
    must_exec(d, s, "CREATE TABLE t (x INT)");
    d->close(NULL, s);
    assert_int_equal(d->scratch_drop(NULL, c, name, url, &e), DBMIG_DRV_OK);
    assert_false(db_exists(d, c, name));
    /* gone: connecting fails; dropping again succeeds */
    memset(&e, 0, sizeof e);
    s = NULL;
    assert_int_equal(d->connect(NULL, &h, url, &s, &e), DBMIG_DRV_ERROR);
    assert_contains(e.code, "1049/");
    assert_int_equal(d->scratch_drop(NULL, c, name, url, &e), DBMIG_DRV_OK);
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_scratch(void **state)
{
    FX;
    char want[700], url[900];
    snprintf(want, sizeof want, "%s/dbmig_scratch_t1", f->base);
    scratch_round(f, f->url, "dbmig_scratch_t1", want);
    /* every URL parameter is kept */
    snprintf(url, sizeof url, "%s?charset=utf8mb4&connect_timeout=5", f->url);
    snprintf(want, sizeof want, "%s/dbmig_scratch_t2?charset=utf8mb4&connect_timeout=5", f->base);
    scratch_round(f, url, "dbmig_scratch_t2", want);
    /* a password that needs %-encoding stays encoded */
    const char *special = env_or_die("DBMIG_TEST_MYSQL_SPECIAL_URL");
    snprintf(want, sizeof want, "%.*s/dbmig_scratch_t3", (int)(strrchr(special, '/') - special),
             special);
    scratch_round(f, special, "dbmig_scratch_t3", want);
}

static void test_scratch_errors(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const dbmig_driver *d = f->ct.d;
    dbmig_conn *c = must_connect(d, &h, f->url);
    char url[1024];
    dbmig_db_error e;
    /* the user may create only dbmig_* databases: denied, with the way out */
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, c, "other_scratch_1", url, sizeof url, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.code, "1044/");
    assert_contains(e.hint, "--scratch-url");
    assert_contains(e.hint, "GRANT CREATE");
    if (f->password[0] && (strstr(e.message, f->password) || strstr(e.hint, f->password)))
        fail_msg("the password leaked: %s", e.message);
    assert_false(db_exists(d, c, "other_scratch_1"));
    /* names the core never makes are refused before anything runs */
    const char *bad[] = {"", "Dbmig_x", "dbmig-x", "x`; DROP DATABASE dbmig_ct; --",
                         "dbmig_scratch_0123456789012345678901234567890123456789012345678901234",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        memset(&e, 0, sizeof e);
        assert_int_equal(d->scratch_create(NULL, c, bad[i], url, sizeof url, &e),
                         DBMIG_DRV_ERROR);
        assert_contains(e.message, "refusing the scratch database name");
        memset(&e, 0, sizeof e);
        assert_int_equal(d->scratch_drop(NULL, c, bad[i], url, &e), DBMIG_DRV_ERROR);
        assert_contains(e.hint, "[a-z0-9_]");
    }
    assert_true(db_exists(d, c, TEST_DB));
    /* a URL buffer too small: an error, nothing created */
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, c, "dbmig_scratch_small", url, 10, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "does not fit");
    assert_false(db_exists(d, c, "dbmig_scratch_small"));
    /* it exists already: the server's error */
    memset(&e, 0, sizeof e);
    assert_int_equal(d->scratch_create(NULL, c, TEST_DB, url, sizeof url, &e), DBMIG_DRV_ERROR);
    assert_contains(e.code, "1007/");
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

int main(void)
{
    env_or_die("DBMIG_TEST_MYSQL_URL");
    const struct CMUnitTest tests[] = {
        CONTRACT_TESTS(setup, teardown),
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conn_caps_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_codes_and_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_connection_no_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_texts_recreate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_hidden_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scratch_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
