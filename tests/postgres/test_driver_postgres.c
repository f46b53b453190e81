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
              "CREATE SCHEMA public; DROP SCHEMA IF EXISTS ct_s CASCADE; "
              "DROP SCHEMA IF EXISTS \"ct s\" CASCADE");
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

/* The key is hashtextextended(current_schema() || '.' || table, 0), as
 * docs/drivers.md documents, and survives a search_path change. */
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

/* Through the library: dbmig_last_error hands the server's detail and hint
 * of a failed migration over as fields (kind DATABASE), the message as ever. */
static void test_last_error_detail_hint(void **state)
{
    FX;
    char dir[128], path[160];
    snprintf(dir, sizeof dir, "%s/last_error", f->dir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/001_raise.sql", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("-- dbmig:up\nCREATE TABLE le_a (id INTEGER);\n"
          "DO $$ BEGIN RAISE EXCEPTION 'boom %', 7 USING DETAIL = 'the detail', "
          "HINT = 'the hint', ERRCODE = 'P0099'; END $$;\n"
          "-- dbmig:down\nDROP TABLE le_a;\n",
          fp);
    assert_int_equal(fclose(fp), 0);
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = f->ct.url;
    o.dir = dir;
    o.plugin_path = DBMIG_PLUGIN_DIR;
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    assert_int_equal(dbmig_upgrade(h, "head", 0), DBMIG_ERROR);
    dbmig_error_info e = DBMIG_ERROR_INFO_INIT;
    assert_int_equal(dbmig_last_error(h, &e), DBMIG_OK);
    assert_int_equal(e.kind, DBMIG_KIND_DATABASE);
    assert_string_equal(e.db_code, "P0099");
    assert_int_equal(e.line, 3);
    assert_non_null(e.detail);
    assert_contains(e.detail, "the detail");
    assert_string_equal(e.hint, "the hint");
    assert_contains(e.message, "boom 7 [P0099]\n  detail: the detail");
    assert_contains(e.message, "\n  hint: the hint\n");
    dbmig_close(h);
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

/* ---- ABI 2.1: inspect ---------------------------------------------------- */

/* What inspect reported: one line per object,
 * "kind|table|name|flags|position|type|default|generated|collation|
 *  col,col|ref_table|col,col|on_delete|on_update|predicate|method|definition"
 * (NULL as "-"). */
typedef struct sobjs {
    char *line[256];
    int n, stop_after, calls;
} sobjs;

static void so_put(char *buf, size_t cap, const char *s)
{
    size_t o = strlen(buf);
    snprintf(buf + o, cap - o, "%s|", s ? s : "-");
}

static int so_collect(void *payload, const dbmig_schema_object *o)
{
    sobjs *x = payload;
    x->calls++;
    assert_true(o->size >= sizeof *o);
    assert_true(x->n < 256);
    char buf[4096] = "", cols[1024] = "", refs[1024] = "";
    for (uint32_t i = 0; i < o->ncolumns; i++)
        snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%s%s", i ? "," : "",
                 o->columns[i]);
    for (uint32_t i = 0; i < o->nref_columns; i++)
        snprintf(refs + strlen(refs), sizeof refs - strlen(refs), "%s%s", i ? "," : "",
                 o->ref_columns[i]);
    snprintf(buf, sizeof buf, "%u|", o->kind);
    so_put(buf, sizeof buf, o->table);
    so_put(buf, sizeof buf, o->name);
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%u|%u|", o->flags, o->position);
    so_put(buf, sizeof buf, o->type);
    so_put(buf, sizeof buf, o->default_expr);
    so_put(buf, sizeof buf, o->generated);
    so_put(buf, sizeof buf, o->collation);
    so_put(buf, sizeof buf, o->ncolumns ? cols : NULL);
    so_put(buf, sizeof buf, o->ref_table);
    so_put(buf, sizeof buf, o->nref_columns ? refs : NULL);
    so_put(buf, sizeof buf, o->on_delete);
    so_put(buf, sizeof buf, o->on_update);
    so_put(buf, sizeof buf, o->predicate);
    so_put(buf, sizeof buf, o->method);
    so_put(buf, sizeof buf, o->definition);
    buf[strlen(buf) - 1] = '\0';
    x->line[x->n++] = strdup(buf);
    return x->stop_after && x->calls >= x->stop_after;
}

static void so_free(sobjs *x)
{
    for (int i = 0; i < x->n; i++)
        free(x->line[i]);
    x->n = 0;
}

/* The line of the object of kind with that table and name (table NULL:
 * any), failing the test when there is none or more than one. */
static const char *so_find(const sobjs *x, int kind, const char *table, const char *name)
{
    char pre[512];
    snprintf(pre, sizeof pre, "%d|%s|%s|", kind, table ? table : "-", name);
    const char *hit = NULL;
    for (int i = 0; i < x->n; i++)
        if (strncmp(x->line[i], pre, strlen(pre)) == 0) {
            if (hit)
                fail_msg("two objects %s", pre);
            hit = x->line[i];
        }
    if (!hit)
        fail_msg("no object %s", pre);
    return hit;
}

static int so_count(const sobjs *x, int kind)
{
    int n = 0;
    char pre[16];
    snprintf(pre, sizeof pre, "%d|", kind);
    for (int i = 0; i < x->n; i++)
        n += strncmp(x->line[i], pre, strlen(pre)) == 0;
    return n;
}

/* Every object kind, and the fields the contract names for each. */
static const char inspect_schema[] =
    "CREATE TABLE accounts ("
    "  org_id integer NOT NULL,"
    "  id bigint GENERATED ALWAYS AS IDENTITY,"
    "  email text COLLATE \"C\" NOT NULL,"
    "  name character varying(100) DEFAULT 'anon',"
    "  price numeric(10,2),"
    "  total numeric GENERATED ALWAYS AS (price * 2) STORED,"
    "  CONSTRAINT accounts_pkey PRIMARY KEY (org_id, id),"
    "  CONSTRAINT accounts_email_key UNIQUE (email),"
    "  CONSTRAINT price_positive CHECK (price > 0 AND price < 1000));"
    "CREATE TABLE orders ("
    "  id serial PRIMARY KEY,"
    "  org_id integer, account_id bigint, tags text[], note text,"
    "  \"Odd \"\"name\"\"\" int,"
    "  CONSTRAINT orders_account_fk FOREIGN KEY (org_id, account_id)"
    "    REFERENCES accounts (org_id, id) ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE);"
    "ALTER TABLE orders DROP COLUMN \"Odd \"\"name\"\"\";"
    "ALTER TABLE orders ADD COLUMN \"Odd \"\"name\"\"\" int;"
    "CREATE INDEX orders_note_partial ON orders (note) WHERE note IS NOT NULL;"
    "CREATE INDEX orders_lower_note ON orders (lower(note) DESC, org_id DESC NULLS LAST);"
    "CREATE INDEX orders_sum ON orders ((org_id + 1));"
    "CREATE INDEX orders_tags_gin ON orders USING gin (tags);"
    "CREATE INDEX orders_note_hash ON orders USING hash (note);"
    "CREATE UNIQUE INDEX orders_odd ON orders (\"Odd \"\"name\"\"\", org_id);"
    "CREATE VIEW big_orders AS SELECT id, note FROM orders WHERE org_id > 10;"
    "CREATE FUNCTION touch_note() RETURNS trigger LANGUAGE plpgsql AS "
    "  $$ BEGIN NEW.note := coalesce(NEW.note, 'x'); RETURN NEW; END $$;"
    "CREATE FUNCTION add_one(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';"
    "CREATE PROCEDURE nothing() LANGUAGE sql AS 'SELECT 1';"
    "CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch_note();"
    "CREATE SEQUENCE invoice_no AS integer START 100 INCREMENT 5 MINVALUE 10 MAXVALUE 100000 "
    "  CACHE 3 CYCLE;"
    "CREATE SCHEMA ct_s; CREATE TABLE ct_s.elsewhere (id int PRIMARY KEY);"
    "CREATE MATERIALIZED VIEW mat AS SELECT 1 AS one";

static void test_inspect_every_kind(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c, inspect_schema);
    sobjs x = {0};
    assert_non_null(f->ct.d->inspect);
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    /* tables: not the other schema's, not the materialized view */
    assert_int_equal(so_count(&x, DBMIG_SO_TABLE), 2);
    so_find(&x, DBMIG_SO_TABLE, NULL, "accounts");
    so_find(&x, DBMIG_SO_TABLE, NULL, "orders");
    /* columns */
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "accounts", "org_id"),
                        "2|accounts|org_id|0|1|integer|-|-|-|-|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "accounts", "id"),
                        "2|accounts|id|2|2|bigint|-|-|-|-|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "accounts", "email"),
                        "2|accounts|email|0|3|text|-|-|C|-|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "accounts", "name"),
                        "2|accounts|name|1|4|character varying(100)|'anon'::character varying|-|-"
                        "|-|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "accounts", "price"),
                        "2|accounts|price|1|5|numeric(10,2)|-|-|-|-|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "accounts", "total"),
                        "2|accounts|total|5|6|numeric|-|price * 2::numeric|-|-|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "orders", "id"),
                        "2|orders|id|0|1|integer|nextval('orders_id_seq'::regclass)|-|-|-|-|-|-|-|"
                        "-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "orders", "tags"),
                        "2|orders|tags|1|4|text[]|-|-|-|-|-|-|-|-|-|-|-");
    /* a dropped column leaves no gap in the positions */
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "orders", "Odd \"name\""),
                        "2|orders|Odd \"name\"|1|6|integer|-|-|-|-|-|-|-|-|-|-|-");
    assert_int_equal(so_count(&x, DBMIG_SO_COLUMN), 12);
    /* constraints */
    assert_string_equal(so_find(&x, DBMIG_SO_PRIMARY_KEY, "accounts", "accounts_pkey"),
                        "3|accounts|accounts_pkey|0|0|-|-|-|-|org_id,id|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_PRIMARY_KEY, "orders", "orders_pkey"),
                        "3|orders|orders_pkey|0|0|-|-|-|-|id|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_UNIQUE, "accounts", "accounts_email_key"),
                        "4|accounts|accounts_email_key|0|0|-|-|-|-|email|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_FOREIGN_KEY, "orders", "orders_account_fk"),
                        "5|orders|orders_account_fk|16|0|-|-|-|-|org_id,account_id|accounts|"
                        "org_id,id|CASCADE|SET NULL|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_CHECK, "accounts", "price_positive"),
                        "6|accounts|price_positive|0|0|-|-|-|-|-|-|-|-|-|-|-|"
                        "price > 0::numeric AND price < 1000::numeric");
    /* indexes: not the ones behind the keys */
    assert_int_equal(so_count(&x, DBMIG_SO_INDEX), 6);
    assert_string_equal(so_find(&x, DBMIG_SO_INDEX, "orders", "orders_note_partial"),
                        "7|orders|orders_note_partial|0|0|-|-|-|-|note|-|-|-|-|note IS NOT NULL|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_INDEX, "orders", "orders_lower_note"),
                        "7|orders|orders_lower_note|0|0|-|-|-|-|(lower(note)) DESC,org_id DESC|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_INDEX, "orders", "orders_sum"),
                        "7|orders|orders_sum|0|0|-|-|-|-|(org_id + 1)|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_INDEX, "orders", "orders_tags_gin"),
                        "7|orders|orders_tags_gin|0|0|-|-|-|-|tags|-|-|-|-|-|gin|-");
    assert_string_equal(so_find(&x, DBMIG_SO_INDEX, "orders", "orders_note_hash"),
                        "7|orders|orders_note_hash|0|0|-|-|-|-|note|-|-|-|-|-|hash|-");
    assert_string_equal(so_find(&x, DBMIG_SO_INDEX, "orders", "orders_odd"),
                        "7|orders|orders_odd|8|0|-|-|-|-|Odd \"name\",org_id|-|-|-|-|-|-|-");
    /* the view's query, without its ';' */
    assert_string_equal(so_find(&x, DBMIG_SO_VIEW, NULL, "big_orders"),
                        "8|-|big_orders|0|0|-|-|-|-|-|-|-|-|-|-|-|SELECT orders.id,\n"
                        "    orders.note\n   FROM orders\n  WHERE orders.org_id > 10");
    assert_int_equal(so_count(&x, DBMIG_SO_VIEW), 1);
    /* sequences: serial (owned), standalone; not the identity one */
    assert_int_equal(so_count(&x, DBMIG_SO_SEQUENCE), 2);
    assert_string_equal(so_find(&x, DBMIG_SO_SEQUENCE, "orders", "orders_id_seq"),
                        "9|orders|orders_id_seq|0|0|-|-|-|-|id|-|-|-|-|-|-|AS integer START 1 "
                        "INCREMENT 1 MINVALUE 1 MAXVALUE 2147483647 CACHE 1 NO CYCLE");
    assert_string_equal(so_find(&x, DBMIG_SO_SEQUENCE, NULL, "invoice_no"),
                        "9|-|invoice_no|0|0|-|-|-|-|-|-|-|-|-|-|-|AS integer START 100 "
                        "INCREMENT 5 MINVALUE 10 MAXVALUE 100000 CACHE 3 CYCLE");
    /* triggers (not internal: the foreign key's are not reported) */
    assert_int_equal(so_count(&x, DBMIG_SO_TRIGGER), 1);
    assert_string_equal(so_find(&x, DBMIG_SO_TRIGGER, "orders", "orders_touch"),
                        "10|orders|orders_touch|0|0|-|-|-|-|-|-|-|-|-|-|-|CREATE TRIGGER "
                        "orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION "
                        "touch_note()");
    /* functions and procedures, named with their argument types */
    assert_int_equal(so_count(&x, DBMIG_SO_FUNCTION), 3);
    assert_string_equal(so_find(&x, DBMIG_SO_FUNCTION, NULL, "add_one(integer)"),
                        "11|-|add_one(integer)|0|0|-|-|-|-|-|-|-|-|-|-|-|CREATE OR REPLACE "
                        "FUNCTION public.add_one(integer)\n RETURNS integer\n LANGUAGE sql\n "
                        "IMMUTABLE\nAS $function$SELECT $1 + 1$function$");
    assert_contains(so_find(&x, DBMIG_SO_FUNCTION, NULL, "touch_note()"),
                    "CREATE OR REPLACE FUNCTION public.touch_note()");
    assert_contains(so_find(&x, DBMIG_SO_FUNCTION, NULL, "nothing()"),
                    "CREATE OR REPLACE PROCEDURE public.nothing()");
    assert_int_equal(x.n, 2 + 12 + 2 + 1 + 1 + 1 + 6 + 1 + 2 + 1 + 3);
    /* the same database, the same objects: a second run is identical */
    sobjs y = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &y), DBMIG_DRV_OK);
    assert_int_equal(y.n, x.n);
    for (int i = 0; i < x.n; i++)
        assert_string_equal(x.line[i], y.line[i]);
    so_free(&x);
    so_free(&y);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* The callback stops it at once; an empty schema reports nothing; inside
 * the caller's transaction it reads that transaction's objects and leaves
 * the transaction open; a missing current schema is an empty one. */
static void test_inspect_stop_empty_txn(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    sobjs x = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(x.n, 0);
    must_exec(f->ct.d, c, inspect_schema);
    x.stop_after = 3;
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(x.calls, 3);
    so_free(&x);
    /* no transaction left open by inspect */
    rows r;
    assert_string_equal(query_text(f->ct.d, c, "SELECT 1", &r), "1;");
    assert_int_equal(f->ct.d->begin(NULL, c), DBMIG_DRV_OK); /* fails if one were open */
    must_exec(f->ct.d, c, "CREATE TABLE in_txn (a int)");
    memset(&x, 0, sizeof x);
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    so_find(&x, DBMIG_SO_TABLE, NULL, "in_txn");
    so_free(&x);
    assert_int_equal(f->ct.d->rollback(NULL, c), DBMIG_DRV_OK);
    memset(&x, 0, sizeof x);
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(so_count(&x, DBMIG_SO_TABLE), 2); /* in_txn rolled back */
    so_free(&x);
    must_exec(f->ct.d, c, "SET search_path = no_such_schema");
    memset(&x, 0, sizeof x);
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(x.n, 0);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* ABI 2.2: the enum types of the current schema, labels in their sort
 * order (one added BEFORE another sits between them), none for an empty
 * one; a column reports the type as format_type spells it: bare for the
 * current schema's enum, quoted when the name needs it, qualified for an
 * enum of another schema, which itself is not reported. */
static void test_inspect_enums(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c,
              "CREATE TYPE mood AS ENUM ('sad', 'ok', 'a\"b''');"
              "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';"
              "CREATE TYPE \"Odd\" AS ENUM ();"
              "CREATE SCHEMA ct_s; CREATE TYPE ct_s.color AS ENUM ('red');"
              "CREATE TABLE t (m mood, o \"Odd\", k ct_s.color, h mood[])");
    sobjs x = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(so_count(&x, DBMIG_SO_ENUM), 2);
    assert_string_equal(so_find(&x, DBMIG_SO_ENUM, NULL, "mood"),
                        "12|-|mood|0|0|-|-|-|-|sad,meh,ok,a\"b'|-|-|-|-|-|-|-");
    assert_string_equal(so_find(&x, DBMIG_SO_ENUM, NULL, "Odd"),
                        "12|-|Odd|0|0|-|-|-|-|-|-|-|-|-|-|-|-");
    assert_contains(so_find(&x, DBMIG_SO_COLUMN, "t", "m"), "|1|1|mood|");
    assert_contains(so_find(&x, DBMIG_SO_COLUMN, "t", "o"), "|1|2|\"Odd\"|");
    assert_contains(so_find(&x, DBMIG_SO_COLUMN, "t", "k"), "|1|3|ct_s.color|");
    assert_contains(so_find(&x, DBMIG_SO_COLUMN, "t", "h"), "|1|4|mood[]|");
    so_free(&x);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Objects an extension owns (citext: a type and its functions) are left
 * out; a column of its type is the user's and is reported. */
static void test_inspect_leaves_extensions_out(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c, "CREATE EXTENSION citext; CREATE TABLE people (nick citext)");
    sobjs x = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(so_count(&x, DBMIG_SO_FUNCTION), 0);
    assert_int_equal(x.n, 2);
    assert_string_equal(so_find(&x, DBMIG_SO_COLUMN, "people", "nick"),
                        "2|people|nick|1|1|citext|-|-|-|-|-|-|-|-|-|-|-");
    so_free(&x);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Partitioned tables: the parent's keys once; a foreign key to a
 * partitioned table once (PostgreSQL keeps a copy per partition). */
static void test_inspect_partitions(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c,
              "CREATE TABLE m (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);"
              "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);"
              "CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (10) TO (20);"
              "CREATE TABLE r (mid int, mk int, CONSTRAINT r_m FOREIGN KEY (mid, mk) REFERENCES m)");
    sobjs x = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(so_count(&x, DBMIG_SO_TABLE), 4);
    assert_string_equal(so_find(&x, DBMIG_SO_PRIMARY_KEY, "m", "m_pkey"),
                        "3|m|m_pkey|0|0|-|-|-|-|id,k|-|-|-|-|-|-|-");
    assert_int_equal(so_count(&x, DBMIG_SO_PRIMARY_KEY), 1);
    assert_string_equal(so_find(&x, DBMIG_SO_FOREIGN_KEY, "r", "r_m"),
                        "5|r|r_m|0|0|-|-|-|-|mid,mk|m|id,k|NO ACTION|NO ACTION|-|-|-");
    assert_int_equal(so_count(&x, DBMIG_SO_FOREIGN_KEY), 1);
    so_free(&x);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* An IN list on a varchar column: PostgreSQL's text for it changes once
 * loaded again; inspect reports the form it settles on, so the text it
 * reports, loaded into another table, view and index, reads back the same.
 * Text inside a string literal is not touched. */
static void test_inspect_fixed_point(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c,
              "CREATE TABLE m (role varchar(10) CONSTRAINT m_role CHECK (role IN ('a', 'it''s')),"
              " w varchar(5) CONSTRAINT m_w CHECK (w IN ('x'::varchar(3), 'y')),"
              " n bigint CONSTRAINT m_n CHECK (n IN (1, 2)),"
              " s text CONSTRAINT m_s CHECK (s <> 'ARRAY[''a''::character varying]::text[]'));"
              "CREATE INDEX m_i ON m (n) WHERE role IN ('a', 'b');"
              "CREATE VIEW m_v AS SELECT n FROM m WHERE role IN ('a', 'b')");
    sobjs x = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &x), DBMIG_DRV_OK);
    const char *want_role = "role::text = ANY (ARRAY['a'::character varying::text, "
                            "'it''s'::character varying::text])";
    char line[1024];
    snprintf(line, sizeof line, "6|m|m_role|0|0|-|-|-|-|-|-|-|-|-|-|-|%s", want_role);
    assert_string_equal(so_find(&x, DBMIG_SO_CHECK, "m", "m_role"), line);
    assert_contains(so_find(&x, DBMIG_SO_CHECK, "m", "m_w"),
                    "'x'::character varying(3)::text, 'y'::character varying::text]");
    assert_contains(so_find(&x, DBMIG_SO_CHECK, "m", "m_n"), "n = ANY (ARRAY[1::bigint, 2::bigint])");
    assert_contains(so_find(&x, DBMIG_SO_CHECK, "m", "m_s"),
                    "s <> 'ARRAY[''a''::character varying]::text[]'::text");
    const char *pred = "role::text = ANY (ARRAY['a'::character varying::text, "
                       "'b'::character varying::text])";
    assert_contains(so_find(&x, DBMIG_SO_INDEX, "m", "m_i"), pred);
    assert_contains(so_find(&x, DBMIG_SO_VIEW, NULL, "m_v"), pred);
    /* the reported texts, loaded again, read back the same */
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE TABLE m2 (role varchar(10) CONSTRAINT m_role CHECK (%s), n bigint);"
             "CREATE INDEX m2_i ON m2 (n) WHERE %s", want_role, pred);
    must_exec(f->ct.d, c, sql);
    sobjs y = {0};
    assert_int_equal(f->ct.d->inspect(NULL, c, so_collect, &y), DBMIG_DRV_OK);
    snprintf(line, sizeof line, "6|m2|m_role|0|0|-|-|-|-|-|-|-|-|-|-|-|%s", want_role);
    assert_string_equal(so_find(&y, DBMIG_SO_CHECK, "m2", "m_role"), line);
    assert_contains(so_find(&y, DBMIG_SO_INDEX, "m2", "m2_i"), pred);
    so_free(&x);
    so_free(&y);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* ---- ABI 2.1: scratch databases ------------------------------------------ */

/* The server's superuser, over the unix socket (trust). */
static dbmig_conn *superuser(const dbmig_driver *d, const dbmig_host *h)
{
    char url[512];
    snprintf(url, sizeof url, "postgres:///postgres?host=%s&port=%s&user=postgres",
             getenv("PG_SERVER_SOCKET"), getenv("PGPORT"));
    return must_connect(d, h, url);
}

static void createdb_right(const dbmig_driver *d, int grant)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *su = superuser(d, &h);
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER ROLE %s %sCREATEDB", getenv("PGUSER"), grant ? "" : "NO");
    must_exec(d, su, sql);
    d->close(NULL, su);
}

static int teardown_createdb(void **state)
{
    fx *f = *state;
    createdb_right(f->ct.d, 0);
    return 0;
}

static const char *db_exists(const dbmig_driver *d, dbmig_conn *c, const char *name, rows *r)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_database WHERE datname = '%s'", name);
    return query_text(d, c, sql, r);
}

static int teardown_db_settings(void **state)
{
    fx *f = *state;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *su = superuser(f->ct.d, &h);
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER DATABASE %s RESET search_path", getenv("PGDATABASE"));
    must_exec(f->ct.d, su, sql);
    f->ct.d->close(NULL, su);
    return teardown_createdb(state);
}

/* A search path set on the database (not in the URL) is carried to the
 * scratch database through its URL, with its schemas made there. */
static void test_scratch_database_search_path(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    createdb_right(f->ct.d, 1);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE SCHEMA \"ct s\"; ALTER DATABASE %s SET search_path = \"ct s\", public",
             getenv("PGDATABASE"));
    must_exec(f->ct.d, c, sql);
    f->ct.d->close(NULL, c);
    c = must_connect(f->ct.d, &h, f->ct.url);
    rows r;
    assert_string_equal(query_text(f->ct.d, c, "SELECT current_schema()", &r), "ct s;");
    char url[1024];
    dbmig_db_error e;
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "dbmig_scratch_t4", url, sizeof url, &e),
                     DBMIG_DRV_OK);
    assert_contains(url, "/dbmig_scratch_t4?search_path=%22ct%20s%22%2C%20public");
    dbmig_conn *s = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, s, "SELECT current_database(), current_schema()", &r),
                        "dbmig_scratch_t4|ct s;");
    f->ct.d->close(NULL, s);
    assert_int_equal(f->ct.d->scratch_drop(NULL, c, "dbmig_scratch_t4", url, &e), DBMIG_DRV_OK);
    /* the URL's own search_path wins: nothing appended */
    f->ct.d->close(NULL, c);
    char base[1024];
    url_with(f->ct.url, "postgres", "search_path=public", base, sizeof base);
    c = must_connect(f->ct.d, &h, base);
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "dbmig_scratch_t5", url, sizeof url, &e),
                     DBMIG_DRV_OK);
    assert_contains(url, "/dbmig_scratch_t5?search_path=public");
    assert_null(strstr(url, "ct%20s"));
    assert_int_equal(f->ct.d->scratch_drop(NULL, c, "dbmig_scratch_t5", url, &e), DBMIG_DRV_OK);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* Without CREATEDB: the error says what to do; the name is checked. */
static void test_scratch_refused(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    char url[1024] = "x";
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "dbmig_scratch_t0", url, sizeof url, &e),
                     DBMIG_DRV_ERROR);
    assert_string_equal(e.code, "42501");
    assert_contains(e.message, "permission denied");
    assert_contains(e.hint, "--scratch-url");
    assert_contains(e.hint, "CREATEDB");
    assert_string_equal(f->ct.d->last_error(NULL, c)->code, "42501");
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "Bad\"; DROP", url, sizeof url, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "[a-z0-9_]");
    /* a URL buffer too small: refused before anything is created */
    createdb_right(f->ct.d, 1);
    char tiny[8];
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "dbmig_scratch_t0", tiny, sizeof tiny, &e),
                     DBMIG_DRV_ERROR);
    assert_contains(e.message, "does not fit");
    rows r;
    assert_string_equal(db_exists(f->ct.d, c, "dbmig_scratch_t0", &r), "0;");
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* create -> connect to its URL (the password and search_path kept) ->
 * drop while a session is still connected -> gone; dropping again is fine. */
static void test_scratch_create_drop(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    createdb_right(f->ct.d, 1);
    dbmig_conn *c = must_connect(f->ct.d, &h, f->ct.url);
    must_exec(f->ct.d, c, "CREATE SCHEMA ct_s");
    f->ct.d->close(NULL, c);
    char base[1024];
    url_with(f->ct.url, "postgres", "search_path=ct_s,public&application_name=scr", base,
             sizeof base);
    c = must_connect(f->ct.d, &h, base);
    char url[1024];
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "dbmig_scratch_t1", url, sizeof url, &e),
                     DBMIG_DRV_OK);
    assert_contains(url, getenv("PGPASSWORD"));
    assert_contains(url, "/dbmig_scratch_t1?search_path=ct_s,public&application_name=scr");
    rows r;
    assert_string_equal(db_exists(f->ct.d, c, "dbmig_scratch_t1", &r), "1;");
    dbmig_conn *s = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, s,
                                   "SELECT current_database(), current_schema(), "
                                   "current_setting('application_name')",
                                   &r),
                        "dbmig_scratch_t1|ct_s|scr;");
    /* it is empty */
    sobjs x = {0};
    assert_int_equal(f->ct.d->inspect(NULL, s, so_collect, &x), DBMIG_DRV_OK);
    assert_int_equal(x.n, 0);
    /* dropped with s still connected (WITH (FORCE)) */
    assert_int_equal(f->ct.d->scratch_drop(NULL, c, "dbmig_scratch_t1", url, &e), DBMIG_DRV_OK);
    assert_string_equal(db_exists(f->ct.d, c, "dbmig_scratch_t1", &r), "0;");
    assert_int_equal(f->ct.d->scratch_drop(NULL, c, "dbmig_scratch_t1", url, &e), DBMIG_DRV_OK);
    f->ct.d->close(NULL, s);
    f->ct.d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

/* The URL forms: a dbname= parameter is replaced too; a libpq key=value
 * string is rebuilt with the new dbname (quotes and all). */
static void test_scratch_url_forms(void **state)
{
    FX;
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    createdb_right(f->ct.d, 1);
    char base[1024], url[1024];
    rows r;
    dbmig_db_error e;
    url_with(f->ct.url, "postgresql", "dbname=" "dbmig_test" "&sslmode=disable", base,
             sizeof base);
    dbmig_conn *c = must_connect(f->ct.d, &h, base);
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "dbmig_scratch_t2", url, sizeof url, &e),
                     DBMIG_DRV_OK);
    assert_contains(url, "postgresql://");
    assert_contains(url, "/dbmig_scratch_t2?dbname=dbmig_scratch_t2&sslmode=disable");
    dbmig_conn *s = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, s, "SELECT current_database()", &r),
                        "dbmig_scratch_t2;");
    f->ct.d->close(NULL, s);
    assert_int_equal(f->ct.d->scratch_drop(NULL, c, "dbmig_scratch_t2", url, &e), DBMIG_DRV_OK);
    f->ct.d->close(NULL, c);
    snprintf(base, sizeof base,
             "host=127.0.0.1 port=%s dbname=%s user=%s password='%s' application_name='a b\\'c'",
             getenv("PGPORT"), getenv("PGDATABASE"), getenv("PGUSER"), getenv("PGPASSWORD"));
    c = must_connect(f->ct.d, &h, base);
    assert_int_equal(f->ct.d->scratch_create(NULL, c, "dbmig_scratch_t3", url, sizeof url, &e),
                     DBMIG_DRV_OK);
    assert_contains(url, "dbname=dbmig_scratch_t3");
    assert_contains(url, getenv("PGPASSWORD"));
    s = must_connect(f->ct.d, &h, url);
    assert_string_equal(query_text(f->ct.d, s,
                                   "SELECT current_database(), current_setting('application_name')",
                                   &r),
                        "dbmig_scratch_t3|a b'c;");
    f->ct.d->close(NULL, s);
    assert_int_equal(f->ct.d->scratch_drop(NULL, c, "dbmig_scratch_t3", url, &e), DBMIG_DRV_OK);
    assert_string_equal(db_exists(f->ct.d, c, "dbmig_scratch_t3", &r), "0;");
    f->ct.d->close(NULL, c);
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
        T(test_last_error_detail_hint),
        T(test_exec_multi_and_copy),
        T(test_commit_rollback_rules),
        T(test_notices),
        T(test_quoting_with_conn),
        T(test_server_version),
        T(test_terminated_backend),
        T(test_catalog_case_and_schema),
        T(test_concurrent_invalid_index),
        T(test_refuses_old_server),
        T(test_inspect_every_kind),
        T(test_inspect_stop_empty_txn),
        T(test_inspect_leaves_extensions_out),
        T(test_inspect_enums),
        T(test_inspect_partitions),
        T(test_inspect_fixed_point),
        cmocka_unit_test_setup_teardown(test_scratch_refused, setup, teardown_createdb),
        cmocka_unit_test_setup_teardown(test_scratch_create_drop, setup, teardown_createdb),
        cmocka_unit_test_setup_teardown(test_scratch_url_forms, setup, teardown_createdb),
        cmocka_unit_test_setup_teardown(test_scratch_database_search_path, setup,
                                        teardown_db_settings),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
