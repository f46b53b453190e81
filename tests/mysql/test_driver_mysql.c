/* test_driver_mysql.c — the driver contract suite (tests/unit/driver_contract.c)
 * run against the real MySQL plugin and a real MariaDB server, plus the
 * MySQL-specific checks (URL forms, TLS modes, capability bits, error codes,
 * quoting, lock names, lost connections).
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
    else
        assert_int_equal(f->ct.d->conn_caps(NULL, c), f->ct.d->caps);
    f->ct.d->close(NULL, c);

    const char *emu[] = {"?emulate_if_not_exists=1", "?emulate-if-not-exists=true",
                         "?charset=utf8mb4&emulate_if_not_exists", NULL};
    for (int i = 0; emu[i]; i++) {
        char url[700];
        snprintf(url, sizeof url, "%s%s", f->url, emu[i]);
        c = must_connect(f->ct.d, &h, url);
        assert_int_equal(f->ct.d->conn_caps(NULL, c), f->ct.d->caps);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
