/* test_driver_postgres.c — the driver contract suite (tests/unit/driver_contract.c)
 * and PostgreSQL-specific checks, run against the real postgres plugin and a
 * real server: DBMIG_TEST_PG_URL (scripts/pg-server.sh run sets it, with
 * PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE and PG_SERVER_SOCKET). Without
 * DBMIG_TEST_PG_URL the program FAILS: it is registered by tests/postgres
 * only, under the server the wrapper starts.
 *
 * Every test starts from an empty `public` schema (and no schema ct_s). */
#define _XOPEN_SOURCE 700
#include "driver_contract.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader.h"
#include "util.h"

typedef struct fx {
    contract_fx ct; /* first: what the shared contract tests read */
    dm_plugin *plugin;
    char dir[64];
} fx;

#define FX fx *f = *state

/* "pid <backend pid>": what the holder text names for a lock taken by conn. */
static void pg_holder(const dbmig_driver *d, dbmig_conn *c, char *out, size_t cap)
{
    rows r;
    query_text(d, c, "SELECT pg_backend_pid()", &r);
    size_t n = strlen(r.text);
    if (n && r.text[n - 1] == ';')
        r.text[n - 1] = '\0';
    snprintf(out, cap, "pid %s", r.text);
}

static void reset_db(const dbmig_driver *d, const char *url)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    must_exec(d, c,
              "SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; "
              "CREATE SCHEMA public; DROP SCHEMA IF EXISTS ct_s CASCADE");
    d->close(NULL, c);
}

static int group_setup(void **state)
{
    const char *url = getenv("DBMIG_TEST_PG_URL");
    if (!url || !*url) {
        fprintf(stderr, "test_driver_postgres: DBMIG_TEST_PG_URL is not set; run it through "
                        "`bash scripts/pg-server.sh run ...` (ctest -L postgres does)\n");
        return -1;
    }
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    dm_err e = {0};
    if (dm_plugin_load(DBMIG_PLUGIN_DIR, "postgres", &f->plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "cannot load the postgres plugin: %s\n", dm_err_msg(&e));
        dm_err_free(&e);
        free(f);
        return -1;
    }
    dm_err_free(&e);
    f->ct.d = dm_plugin_driver(f->plugin);
    f->ct.url = url;
    f->ct.holder = pg_holder;
    strcpy(f->dir, "/tmp/dbmig-pgtest-XXXXXX");
    if (!mkdtemp(f->dir)) {
        dm_plugin_unload(f->plugin);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    dm_plugin_unload(f->plugin);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int setup(void **state)
{
    fx *f = *state;
    reset_db(f->ct.d, f->ct.url);
    return 0;
}

/* ---- the driver table (the shared contract: CONTRACT_TESTS) ---------- */

static void test_table(void **state)
{
    FX;
    assert_string_equal(f->ct.d->name, "postgres");
    assert_int_equal(f->ct.d->dialect, DBMIG_DIALECT_POSTGRES);
    uint32_t want = DBMIG_CAP_TRANSACTIONAL_DDL | DBMIG_CAP_SAVEPOINTS |
                    DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS | DBMIG_CAP_DROP_INDEX_IF_EXISTS |
                    DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS | DBMIG_CAP_DROP_COLUMN_IF_EXISTS |
                    DBMIG_CAP_CONCURRENT_INDEX | DBMIG_CAP_BOOLEAN |
                    DBMIG_CAP_LOCK_REPORTS_HOLDER | DBMIG_CAP_MULTI_STATEMENT;
    assert_int_equal(f->ct.d->caps, want);
    assert_string_equal(f->ct.d->schemes[0], "postgres");
    assert_string_equal(f->ct.d->schemes[1], "postgresql");
    assert_null(f->ct.d->schemes[2]);
}


/* ---- PostgreSQL specifics ------------------------------------------------ */

/* Replaces "postgres://" by prefix and appends query (with ? or &). */
static void url_with(const char *url, const char *scheme, const char *query, char *out,
                     size_t cap)
{
    const char *rest = strstr(url, "://");
    snprintf(out, cap, "%s%s%s%s", scheme, rest, query && *query ? (strchr(url, '?') ? "&" : "?") : "",
             query ? query : "");
}

static void test_url_forms(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[1024];
    rows r;
    /* postgresql:// and application_name defaulting to dbmig */
    url_with(f->ct.url, "postgresql", NULL, url, sizeof url);
    dbmig_conn *c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c, "SHOW application_name", &r), "dbmig;");
    assert_string_equal(query_text(f->ct.d, c, "SHOW client_encoding", &r), "UTF8;");
    f->ct.d->close(NULL, c);
    /* libpq's own parameters pass through */
    url_with(f->ct.url, "postgres",
             "application_name=myapp&sslmode=disable&options=-c%20statement_timeout%3D4321&"
             "connect_timeout=5",
             url, sizeof url);
    c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c, "SHOW application_name", &r), "myapp;");
    assert_string_equal(query_text(f->ct.d, c, "SHOW statement_timeout", &r), "4321ms;");
    assert_string_equal(query_text(f->ct.d, c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &r),
                        "f;");
    f->ct.d->close(NULL, c);
    /* a unix socket through host= */
    const char *sock = getenv("PG_SERVER_SOCKET");
    const char *port = getenv("PGPORT");
    const char *user = getenv("PGUSER");
    const char *db = getenv("PGDATABASE");
    assert_non_null(sock);
    assert_non_null(port);
    snprintf(url, sizeof url, "postgres:///%s?host=%s&port=%s&user=%s", db, sock, port, user);
    c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c,
                                   "SELECT client_port FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                                   &r),
                        "-1;"); /* -1: a unix socket */
    f->ct.d->close(NULL, c);
    /* a libpq key=value string works too (with --driver postgres) */
    snprintf(url, sizeof url, "host=127.0.0.1 port=%s dbname=%s user=%s application_name=kv", port,
             db, user);
    c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c, "SHOW application_name", &r), "kv;");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* PGPASSWORD, a password file and a service file keep working. */
static void test_libpq_environment(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char *saved[6];
    const char *names[6] = {"PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSFILE"};
    for (int i = 0; i < 6; i++) {
        const char *v = getenv(names[i]);
        saved[i] = v ? strdup(v) : NULL;
    }
    assert_non_null(saved[0]);
    char url[512], pass[256], svc[256], line[600];
    rows r;
    /* a URL without password: PGPASSWORD */
    snprintf(url, sizeof url, "postgres://%s@127.0.0.1:%s/%s", saved[3], saved[2], saved[4]);
    dbmig_conn *c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c, "SELECT current_user", &r), "dbmig_test;");
    f->ct.d->close(NULL, c);
    /* the same without PGPASSWORD fails, with the auth hint */
    unsetenv("PGPASSWORD");
    setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    c = NULL;
    assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
    assert_null(c);
    assert_true(e.message[0] != '\0');
    /* a password file */
    snprintf(pass, sizeof pass, "%s/pgpass", f->dir);
    FILE *fp = fopen(pass, "w");
    assert_non_null(fp);
    fprintf(fp, "127.0.0.1:%s:%s:%s:%s\n", saved[2], saved[4], saved[3], saved[0]);
    fclose(fp);
    assert_int_equal(chmod(pass, 0600), 0);
    setenv("PGPASSFILE", pass, 1);
    c = must_connect(f->ct.d, &h, url);
    f->ct.d->close(NULL, c);
    /* a service file: the URL names nothing but the service */
    snprintf(svc, sizeof svc, "%s/pg_service.conf", f->dir);
    fp = fopen(svc, "w");
    assert_non_null(fp);
    fprintf(fp, "[dbmigsvc]\nhost=127.0.0.1\nport=%s\ndbname=%s\nuser=%s\n", saved[2], saved[4],
            saved[3]);
    fclose(fp);
    for (int i = 1; i < 5; i++)
        unsetenv(names[i]);
    setenv("PGSERVICEFILE", svc, 1);
    setenv("PGSERVICE", "dbmigsvc", 1);
    c = must_connect(f->ct.d, &h, "postgres://");
    assert_string_equal(query_text(f->ct.d, c, "SELECT current_database()", &r), "dbmig_test;");
    f->ct.d->close(NULL, c);
    unsetenv("PGSERVICE");
    c = must_connect(f->ct.d, &h, "postgres://?service=dbmigsvc");
    f->ct.d->close(NULL, c);
    unsetenv("PGSERVICEFILE");
    for (int i = 0; i < 6; i++) {
        if (saved[i])
            setenv(names[i], saved[i], 1);
        else
            unsetenv(names[i]);
        free(saved[i]);
    }
    (void)line;
    assert_int_equal(cnt.live, 0);
}

/* The password never appears in an error, even where libpq echoes it. */
static void test_password_scrubbed(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    const char *port = getenv("PGPORT");
    char url[512];
    const char *cases[][2] = {
        /* libpq echoes the bad sslmode value */
        {"postgres://dbmig_test:S3cretPw@127.0.0.1:%s/dbmig_test?sslmode=S3cretPw", "S3cretPw"},
        /* percent-encoded in the URL, echoed decoded */
        {"postgres://dbmig_test:p%%40ssW0rd@127.0.0.1:%s/dbmig_test?sslmode=p%%40ssW0rd", "p@ssW0rd"},
        /* a wrong password */
        {"postgres://dbmig_test:WrongPw99@127.0.0.1:%s/dbmig_test", "WrongPw99"},
        /* ?password= */
        {"postgres://dbmig_test@127.0.0.1:%s/dbmig_test?password=QueryPw77&sslmode=QueryPw77",
         "QueryPw77"},
        /* a refused port */
        {"postgres://u:RefusedPw@127.0.0.1:1/db%s", "RefusedPw"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strstr(cases[i][0], ":%s/"))
            snprintf(url, sizeof url, cases[i][0], port);
        else
            snprintf(url, sizeof url, cases[i][0], "");
        dbmig_db_error e;
        memset(&e, 0, sizeof e);
        dbmig_conn *c = NULL;
        char *saved = getenv("PGPASSWORD") ? strdup(getenv("PGPASSWORD")) : NULL;
        unsetenv("PGPASSWORD");
        assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
        if (saved) {
            setenv("PGPASSWORD", saved, 1);
            free(saved);
        }
        assert_null(c);
        if (strstr(e.message, cases[i][1]) || strstr(e.detail, cases[i][1]) ||
            strstr(e.hint, cases[i][1]))
            fail_msg("case %zu: the password is in the error: %s | %s | %s", i, e.message,
                     e.detail, e.hint);
        assert_true(e.message[0] != '\0');
        assert_null(strchr(e.message, '\n'));
        if (i < 2 || i == 3)
            assert_contains(e.message, "***"); /* it was echoed, and replaced */
        if (i == 2) {
            assert_string_equal(e.code, "28P01");
            assert_contains(e.message, "password authentication failed");
        }
        if (i == 4) {
            assert_string_equal(e.code, "08001");
            assert_contains(e.message, "Connection refused");
        }
    }
    assert_int_equal(cnt.live, 0);
}

static void test_search_path(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[1024];
    rows r;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    dbmig_conn *c = NULL;
    /* a missing schema is a clear error */
    url_with(f->ct.url, "postgres", "search_path=ct_s", url, sizeof url);
    assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
    assert_null(c);
    assert_string_equal(e.code, "3F000");
    assert_contains(e.message, "search_path=ct_s");
    assert_true(e.hint[0] != '\0');

    dbmig_conn *pub = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, pub, "CREATE SCHEMA ct_s");
    must_exec(f->ct.d, pub, "CREATE TABLE ct_s.only_in_s (id INTEGER)");
    must_exec(f->ct.d, pub, "CREATE TABLE only_in_public (id INTEGER)");
    /* several schemas, the parameter anywhere in the query, percent-encoded */
    url_with(f->ct.url, "postgres", "application_name=sp&search_path=ct_s%2Cpublic", url, sizeof url);
    c = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, c, "SELECT current_schema()", &r), "ct_s;");
    assert_string_equal(query_text(f->ct.d, c, "SHOW application_name", &r), "sp;");
    int ex = -1;
    assert_int_equal(f->ct.d->table_exists(NULL, c, "only_in_s", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->table_exists(NULL, c, "only_in_public", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0); /* look-ups are in the current schema only */
    assert_int_equal(f->ct.d->table_exists(NULL, c, "public.only_in_public", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->table_exists(NULL, pub, "only_in_s", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    /* tables are created in it */
    must_exec(f->ct.d, c, "CREATE TABLE made_here (id INTEGER)");
    assert_int_equal(f->ct.d->table_exists(NULL, pub, "ct_s.made_here", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);

    /* the lock key is the qualified name: public.dbmig_version and
     * ct_s.dbmig_version are two locks; "ct_s.dbmig_version" from public is
     * the same lock as "dbmig_version" from ct_s */
    int got = -1;
    char holder[256];
    assert_int_equal(f->ct.d->try_lock(NULL, c, "dbmig_version", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->try_lock(NULL, pub, "dbmig_version", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->unlock(NULL, pub, "dbmig_version"), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->try_lock(NULL, pub, "ct_s.dbmig_version", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    char want[64];
    pg_holder(f->ct.d, c, want, sizeof want);
    assert_contains(holder, want);
    assert_contains(holder, "application sp");
    assert_contains(holder, "client 127.0.0.1");
    assert_contains(holder, "connected since");
    assert_int_equal(f->ct.d->unlock(NULL, c, "dbmig_version"), DBMIG_DRV_OK);
    f->ct.d->close(NULL, c);
    f->ct.d->close(NULL, pub);
    assert_int_equal(cnt.live, 0);
}

/* The key is hashtextextended(current_schema() || '.' || table, 0), as the
 * README documents, and survives a search_path change. */
static void test_lock_key_formula(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(f->ct.d, &h, f->ct.url);
    dbmig_conn *b = must_connect(f->ct.d, &h, f->ct.url);
    rows r;
    int got = -1;
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    /* taking it again on the same connection does not stack it */
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    char want[64], sql[512];
    pg_holder(f->ct.d, a, want, sizeof want);
    const char *q = "SELECT 'pid ' || pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = "
                    "hashtextextended('public.dbmig_version', 0)";
    snprintf(sql, sizeof sql, "%s", q);
    char expect[80];
    snprintf(expect, sizeof expect, "%s;", want);
    assert_string_equal(query_text(f->ct.d, b, sql, &r), expect);
    /* a migration changing search_path does not lose the lock */
    must_exec(f->ct.d, a, "CREATE SCHEMA ct_s");
    must_exec(f->ct.d, a, "SET search_path = ct_s");
    assert_int_equal(f->ct.d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);
    assert_string_equal(query_text(f->ct.d, b, sql, &r), "");
    /* one unlock released it: b takes it */
    assert_int_equal(f->ct.d->try_lock(NULL, b, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->unlock(NULL, b, "dbmig_version"), DBMIG_DRV_OK);
    f->ct.d->close(NULL, a);
    f->ct.d->close(NULL, b);
    assert_int_equal(cnt.live, 0);
}

static void test_error_fields(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    const dbmig_db_error *e;
    const char *sql = "SELECT nosuchcol FROM pg_class";
    assert_int_equal(f->ct.d->exec(NULL, c, sql, strlen(sql), NULL), DBMIG_DRV_ERROR);
    e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "42703");
    assert_contains(e->message, "nosuchcol");
    assert_int_equal(e->position, 8);
    /* a later statement of the same text; multi-byte characters count once */
    const char *two = "SELECT 'é'; SELECT nosuchcol FROM pg_class";
    assert_int_equal(f->ct.d->exec(NULL, c, two, strlen(two), NULL), DBMIG_DRV_ERROR);
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, 20);
    /* detail */
    must_exec(f->ct.d, c, "CREATE TABLE ct_u (id INTEGER PRIMARY KEY)");
    must_exec(f->ct.d, c, "INSERT INTO ct_u VALUES (1)");
    const char *dup = "INSERT INTO ct_u VALUES (1)";
    assert_int_equal(f->ct.d->exec(NULL, c, dup, strlen(dup), NULL), DBMIG_DRV_ERROR);
    e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "23505");
    assert_contains(e->detail, "Key (id)=(1) already exists.");
    assert_int_equal(e->position, 0);
    /* hint */
    const char *fn = "SELECT pg_catalog.length(1, 2, 3)";
    assert_int_equal(f->ct.d->exec(NULL, c, fn, strlen(fn), NULL), DBMIG_DRV_ERROR);
    e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "42883");
    assert_contains(e->hint, "explicit type casts");
    assert_int_equal(e->position, 8);
    /* PL/pgSQL: the user's own fields, and the context */
    const char *raise = "DO $$ BEGIN RAISE EXCEPTION 'boom %', 7 USING DETAIL = 'the detail', "
                        "HINT = 'the hint', ERRCODE = 'P0099'; END $$";
    assert_int_equal(f->ct.d->exec(NULL, c, raise, strlen(raise), NULL), DBMIG_DRV_ERROR);
    e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "P0099");
    assert_string_equal(e->message, "boom 7");
    assert_contains(e->detail, "the detail");
    assert_contains(e->detail, "context: PL/pgSQL function");
    assert_string_equal(e->hint, "the hint");
    /* syntax error position */
    const char *syn = "CREATE TABLE (x INTEGER)";
    assert_int_equal(f->ct.d->exec(NULL, c, syn, strlen(syn), NULL), DBMIG_DRV_ERROR);
    e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "42601");
    assert_int_equal(e->position, 14);
    /* a success clears it */
    must_exec(f->ct.d, c, "SELECT 1");
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_exec_multi_and_copy(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    const char *sql = "CREATE TABLE m (x INTEGER);\n"
                      "INSERT INTO m VALUES (1);\n"
                      "INSERT INTO m VALUES (2), (3); -- a comment\n"
                      "CREATE FUNCTION m_f() RETURNS integer LANGUAGE sql AS $f$ SELECT 1; $f$;\n";
    int64_t n = -1;
    assert_int_equal(f->ct.d->exec(NULL, c, sql, strlen(sql), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 3);
    rows r;
    assert_string_equal(query_text(f->ct.d, c, "SELECT sum(x) FROM m", &r), "6;");
    /* a failure in the middle: the text ran as one implicit transaction */
    const char *half = "INSERT INTO m VALUES (4); SELECT nosuchcol FROM m; INSERT INTO m VALUES (6)";
    assert_int_equal(f->ct.d->exec(NULL, c, half, strlen(half), &n), DBMIG_DRV_ERROR);
    assert_int_equal(f->ct.d->last_error(NULL, c)->position, 34);
    assert_string_equal(query_text(f->ct.d, c, "SELECT sum(x) FROM m", &r), "6;");
    /* COPY FROM STDIN cannot be fed: an error, and the connection stays usable */
    const char *copy = "COPY m FROM STDIN";
    assert_int_equal(f->ct.d->exec(NULL, c, copy, strlen(copy), &n), DBMIG_DRV_ERROR);
    assert_contains(f->ct.d->last_error(NULL, c)->message, "COPY");
    const char *out = "COPY m TO STDOUT";
    assert_int_equal(f->ct.d->exec(NULL, c, out, strlen(out), &n), DBMIG_DRV_OK);
    assert_string_equal(query_text(f->ct.d, c, "SELECT count(*) FROM m", &r), "3;");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_commit_rollback_rules(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    rows r;
    must_exec(f->ct.d, c, "CREATE TABLE t (x INTEGER)");
    assert_int_equal(f->ct.d->commit(NULL, c), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "25P01");
    assert_int_equal(f->ct.d->rollback(NULL, c), DBMIG_DRV_OK); /* nothing to roll back */
    assert_int_equal(cnt.logs, 0);                     /* and no server WARNING */
    /* a failed statement: COMMIT does not pretend */
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_OK);
    must_exec(f->ct.d, c, "INSERT INTO t VALUES (1)");
    assert_int_equal(f->ct.d->exec(NULL, c, "SELECT 1/0", 10, NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "22012");
    assert_int_equal(f->ct.d->commit(NULL, c), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "25P02");
    assert_string_equal(query_text(f->ct.d, c, "SELECT count(*) FROM t", &r), "0;");
    /* a savepoint recovers the transaction */
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_OK);
    must_exec(f->ct.d, c, "INSERT INTO t VALUES (1)");
    must_exec(f->ct.d, c, "SAVEPOINT s1");
    assert_int_equal(f->ct.d->exec(NULL, c, "SELECT 1/0", 10, NULL), DBMIG_DRV_ERROR);
    must_exec(f->ct.d, c, "ROLLBACK TO SAVEPOINT s1");
    assert_int_equal(f->ct.d->commit(NULL, c), DBMIG_DRV_OK);
    assert_string_equal(query_text(f->ct.d, c, "SELECT count(*) FROM t", &r), "1;");
    /* BEGIN twice is an error, not a server warning */
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_ERROR);
    assert_int_equal(f->ct.d->rollback(NULL, c), DBMIG_DRV_OK);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_notices(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c, "DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$");
    assert_true(cnt.logs >= 1);
    assert_int_equal(cnt.last_level, DBMIG_LOG_INFO);
    assert_contains(cnt.last_log, "NOTICE");
    assert_contains(cnt.last_log, "hello 42");
    must_exec(f->ct.d, c, "DO $$ BEGIN RAISE WARNING 'careful'; END $$");
    assert_int_equal(cnt.last_level, DBMIG_LOG_WARN);
    assert_contains(cnt.last_log, "careful");
    long before = cnt.logs;
    must_exec(f->ct.d, c, "DROP TABLE IF EXISTS ct_never_there");
    assert_int_equal(cnt.logs, before + 1);
    assert_contains(cnt.last_log, "does not exist, skipping");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_quoting_with_conn(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    const char *nasty = "it's a \\ back\"slash";
    char lit[128], id[128], sql[512];
    size_t n = f->ct.d->quote_literal(NULL, c, nasty, strlen(nasty), lit, sizeof lit);
    assert_int_equal(n, strlen(lit));
    n = f->ct.d->quote_ident(NULL, c, nasty, strlen(nasty), id, sizeof id);
    assert_int_equal(n, strlen(id));
    snprintf(sql, sizeof sql, "CREATE TABLE %s (v TEXT)", id);
    must_exec(f->ct.d, c, sql);
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (%s)", id, lit);
    must_exec(f->ct.d, c, sql);
    rows r;
    snprintf(sql, sizeof sql, "SELECT v FROM %s", id);
    char want[128];
    snprintf(want, sizeof want, "%s;", nasty);
    assert_string_equal(query_text(f->ct.d, c, sql, &r), want);
    int ex = 0;
    assert_int_equal(f->ct.d->table_exists(NULL, c, nasty, &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    /* offline: plain doubling; the server reads it back the same */
    n = f->ct.d->quote_literal(NULL, NULL, nasty, strlen(nasty), lit, sizeof lit);
    assert_string_equal(lit, "'it''s a \\ back\"slash'");
    snprintf(sql, sizeof sql, "SELECT %s", lit);
    assert_string_equal(query_text(f->ct.d, c, sql, &r), want);
    /* truncation reports the needed length */
    char small[5];
    assert_int_equal(f->ct.d->quote_literal(NULL, c, "abcdef", 6, small, sizeof small), 8);
    assert_int_equal(strlen(small), 4);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

static void test_server_version(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    char v[64] = "", want[80];
    assert_int_equal(f->ct.d->server_version(NULL, c, v, sizeof v), DBMIG_DRV_OK);
    rows r;
    snprintf(want, sizeof want, "%s;", v);
    assert_string_equal(query_text(f->ct.d, c, "SHOW server_version", &r), want);
    assert_true(atoi(v) >= 11);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* The backend is terminated under the driver: errors, not crashes; the lock
 * is gone with the session. */
static void test_terminated_backend(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(f->ct.d, &h, f->ct.url);
    dbmig_conn *b = must_connect(f->ct.d, &h, f->ct.url);
    int got = -1;
    assert_int_equal(f->ct.d->try_lock(NULL, a, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->try_lock(NULL, b, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    char pid[64], sql[128];
    pg_holder(f->ct.d, a, pid, sizeof pid);
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid + 4);
    rows r;
    assert_string_equal(query_text(f->ct.d, b, sql, &r), "t;");
    for (int i = 0; i < 50 && got != 1; i++) {
        assert_int_equal(f->ct.d->try_lock(NULL, b, "dbmig_version", &got, NULL, 0), DBMIG_DRV_OK);
        if (!got)
            dm_sleep_ms(50);
    }
    assert_int_equal(got, 1);
    assert_int_equal(f->ct.d->exec(NULL, a, "SELECT 1", 8, NULL), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = f->ct.d->last_error(NULL, a);
    assert_true(strcmp(e->code, "57P01") == 0 || strcmp(e->code, "08006") == 0);
    assert_true(e->hint[0] != '\0');
    assert_int_equal(f->ct.d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);
    assert_int_equal(f->ct.d->rollback(NULL, a), DBMIG_DRV_ERROR);
    f->ct.d->close(NULL, a);
    assert_int_equal(f->ct.d->unlock(NULL, b, "dbmig_version"), DBMIG_DRV_OK);
    f->ct.d->close(NULL, b);
    assert_int_equal(cnt.live, 0);
}

static void test_catalog_case_and_schema(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c, "CREATE TABLE Folded (Email TEXT)");       /* folded: folded / email */
    must_exec(f->ct.d, c, "CREATE TABLE \"Exact\" (\"Col\" TEXT)");  /* kept: Exact / Col */
    must_exec(f->ct.d, c, "CREATE INDEX Folded_Email ON Folded (Email)");
    must_exec(f->ct.d, c, "CREATE SCHEMA ct_s");
    must_exec(f->ct.d, c, "CREATE TABLE ct_s.other (id INTEGER)");
    must_exec(f->ct.d, c, "CREATE INDEX other_id ON ct_s.other (id)");
    int ex = -1;
    char tbl[64] = "";
    assert_int_equal(f->ct.d->table_exists(NULL, c, "Folded", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->table_exists(NULL, c, "Exact", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->table_exists(NULL, c, "exact", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(f->ct.d->column_exists(NULL, c, "Folded", "EMAIL", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->column_exists(NULL, c, "Exact", "Col", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "Folded_Email", &ex, tbl, sizeof tbl),
                     DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_string_equal(tbl, "folded");
    /* other schemas only when named */
    assert_int_equal(f->ct.d->table_exists(NULL, c, "other", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(f->ct.d->index_exists(NULL, c, NULL, "other_id", &ex, NULL, 0), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(f->ct.d->index_exists(NULL, c, "ct_s.other", "ct_s.other_id", &ex, NULL, 0),
                     DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(f->ct.d->column_exists(NULL, c, "ct_s.other", "id", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* A failed concurrent build: the hint names the INVALID index it left; an
 * IF NOT EXISTS that would skip that invalid index is an error. */
static void test_concurrent_invalid_index(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c, "CREATE TABLE cc (v INTEGER); INSERT INTO cc VALUES (1), (1), (2)");
    must_exec(f->ct.d, c, "CREATE INDEX CONCURRENTLY cc_ok ON cc (v)"); /* valid: no complaint */
    const char *uq = "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"CC_Uq\" ON cc (v)";
    assert_int_equal(f->ct.d->exec(NULL, c, uq, strlen(uq), NULL), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = f->ct.d->last_error(NULL, c);
    assert_string_equal(e->code, "23505");
    assert_contains(e->hint, "INVALID index \"CC_Uq\"");
    assert_contains(e->hint, "DROP INDEX CONCURRENTLY \"CC_Uq\"");
    must_exec(f->ct.d, c, "DELETE FROM cc WHERE v = 1");
    assert_int_equal(f->ct.d->exec(NULL, c, uq, strlen(uq), NULL), DBMIG_DRV_ERROR);
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "55000");
    assert_contains(f->ct.d->last_error(NULL, c)->message, "INVALID");
    /* another statement naming only valid indexes is fine */
    must_exec(f->ct.d, c, "CREATE INDEX CONCURRENTLY IF NOT EXISTS cc_ok ON cc (v)");
    must_exec(f->ct.d, c, "DROP INDEX CONCURRENTLY \"CC_Uq\"");
    must_exec(f->ct.d, c, uq);
    rows r;
    assert_string_equal(query_text(f->ct.d, c, "SELECT indisvalid FROM pg_index WHERE indexrelid = '\"CC_Uq\"'::regclass", &r), "t;");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* ---- an old server: a fake one that speaks just enough of the protocol -- */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static int read_exact(int fd, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Serves one client: declines SSL/GSS encryption, lets it in without a
 * password, announces server_version, then waits for it to leave. */
static void fake_serve(int fd, const char *version)
{
    unsigned char hdr[8], body[1024];
    for (;;) {
        if (read_exact(fd, hdr, 4))
            return;
        uint32_t n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
        if (n < 8 || n - 4 > sizeof body || read_exact(fd, body, n - 4))
            return;
        uint32_t code = ((uint32_t)body[0] << 24) | ((uint32_t)body[1] << 16) | ((uint32_t)body[2] << 8) | body[3];
        if (code == 80877103u || code == 80877104u) { /* SSLRequest, GSSENCRequest */
            if (write(fd, "N", 1) != 1)
                return;
            continue;
        }
        break; /* the startup message */
    }
    unsigned char out[512];
    size_t o = 0;
    out[o++] = 'R'; /* AuthenticationOk */
    put32(out + o, 8);
    put32(out + o + 4, 0);
    o += 8;
    const char *params[][2] = {{"server_version", version}, {"client_encoding", "UTF8"},
                               {"standard_conforming_strings", "on"},
                               {"integer_datetimes", "on"}};
    for (size_t i = 0; i < 4; i++) {
        size_t kl = strlen(params[i][0]) + 1, vl = strlen(params[i][1]) + 1;
        out[o++] = 'S';
        put32(out + o, (uint32_t)(4 + kl + vl));
        memcpy(out + o + 4, params[i][0], kl);
        memcpy(out + o + 4 + kl, params[i][1], vl);
        o += 4 + kl + vl;
    }
    out[o++] = 'K'; /* BackendKeyData */
    put32(out + o, 12);
    put32(out + o + 4, 4242);
    put32(out + o + 8, 1);
    o += 12;
    out[o++] = 'Z'; /* ReadyForQuery, idle */
    put32(out + o, 5);
    out[o + 4] = 'I';
    o += 5;
    if (write(fd, out, o) != (ssize_t)o)
        return;
    while (read(fd, body, sizeof body) > 0)
        ;
}

static void test_refuses_old_server(void **state)
{
    FX;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    assert_int_equal(listen(ls, 4), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < 2; i++) {
            int fd = accept(ls, NULL, NULL);
            if (fd < 0)
                _exit(1);
            fake_serve(fd, i == 0 ? "10.23" : "11.0");
            close(fd);
        }
        _exit(0);
    }
    close(ls);
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    char url[256];
    snprintf(url, sizeof url, "postgres://old:OldSecret1@127.0.0.1:%d/db?sslmode=disable&gssencmode=disable",
             ntohs(a.sin_port));
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    dbmig_conn *c = NULL;
    assert_int_equal(f->ct.d->connect(NULL, &h, url, &c, &e), DBMIG_DRV_ERROR);
    assert_null(c);
    assert_string_equal(e.code, "VERSION");
    assert_contains(e.message, "PostgreSQL 10.23");
    assert_contains(e.message, "PostgreSQL 11 and newer");
    assert_true(e.hint[0] != '\0');
    /* 11 is accepted */
    c = must_connect(f->ct.d, &h, url);
    char v[32];
    assert_int_equal(f->ct.d->server_version(NULL, c, v, sizeof v), DBMIG_DRV_OK);
    assert_string_equal(v, "11.0");
    f->ct.d->close(NULL, c);
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(cnt.live, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
    const struct CMUnitTest tests[] = {
        CONTRACT_TESTS(setup, NULL),
        T(test_table),
        T(test_url_forms),
        T(test_libpq_environment),
        T(test_password_scrubbed),
        T(test_search_path),
        T(test_lock_key_formula),
        T(test_error_fields),
        T(test_exec_multi_and_copy),
        T(test_commit_rollback_rules),
        T(test_notices),
        T(test_quoting_with_conn),
        T(test_server_version),
        T(test_terminated_backend),
        T(test_catalog_case_and_schema),
        T(test_concurrent_invalid_index),
        T(test_refuses_old_server),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
