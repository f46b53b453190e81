/* driver_contract.c — the driver contract suite (see driver_contract.h). */
#define _XOPEN_SOURCE 700
#include "driver_contract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ddlwait.h" /* dm_ddl_template: the time-out templates as the core fills them */
#include "loader.h" /* dm_driver_check: the loader's own check */
#include "util.h"   /* dm_sleep_ms */

/* ---- a host that counts what the driver allocates ------------------------ */


static void *h_alloc(void *payload, size_t n)
{
    counter *c = payload;
    void *p = malloc(n);
    if (p) {
        c->live++;
        c->total++;
    }
    return p;
}
static void *h_realloc(void *payload, void *p, size_t n)
{
    counter *c = payload;
    void *q = realloc(p, n);
    if (q && !p) {
        c->live++;
        c->total++;
    }
    return q;
}
static void h_free(void *payload, void *p)
{
    counter *c = payload;
    if (p)
        c->live--;
    free(p);
}
static void h_log(void *payload, int level, const char *message)
{
    counter *c = payload;
    c->logs++;
    c->last_level = level;
    snprintf(c->last_log, sizeof c->last_log, "%s", message ? message : "");
}


dbmig_host make_host(counter *c)
{
    dbmig_host h = {sizeof(dbmig_host), c, h_alloc, h_realloc, h_free, h_log, 0};
    return h;
}

void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* Connects or fails the test with the driver's message. */
dbmig_conn *must_connect(const dbmig_driver *d, const dbmig_host *h, const char *url)
{
    dbmig_conn *c = NULL;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    if (d->connect(NULL, h, url, &c, &e) != DBMIG_DRV_OK)
        fail_msg("connect %s: %s", url, e.message);
    assert_non_null(c);
    return c;
}

void must_exec(const dbmig_driver *d, dbmig_conn *c, const char *sql)
{
    int64_t n = -1;
    if (d->exec(NULL, c, sql, strlen(sql), &n) != DBMIG_DRV_OK)
        fail_msg("exec %s: %s", sql, d->last_error(NULL, c)->message);
}

/* Collects one query's rows as "a|b|NULL;..." text. */

int collect_row(void *payload, int ncols, const char *const *v, const size_t *len)
{
    rows *r = payload;
    r->ncols = ncols;
    size_t o = strlen(r->text);
    for (int i = 0; i < ncols; i++) {
        if (v[i])
            assert_int_equal(strlen(v[i]), len[i]);
        o += (size_t)snprintf(r->text + o, sizeof r->text - o, "%s%s", i ? "|" : "",
                              v[i] ? v[i] : "NULL");
    }
    snprintf(r->text + o, sizeof r->text - o, ";");
    r->nrows++;
    return r->stop_after && r->nrows >= r->stop_after;
}

const char *query_text(const dbmig_driver *d, dbmig_conn *c, const char *sql, rows *r)
{
    memset(r, 0, sizeof *r);
    if (d->query(NULL, c, sql, collect_row, r) != DBMIG_DRV_OK)
        fail_msg("query %s: %s", sql, d->last_error(NULL, c)->message);
    return r->text;
}

/* ---- the contract -------------------------------------------------------- */

void contract_table(const dbmig_driver *d)
{
    assert_int_equal(d->abi_major, DBMIG_DRIVER_ABI_MAJOR);
    assert_true(d->size >= DBMIG_DRIVER_SIZE_2_0);
    assert_non_null(d->name);
    assert_non_null(d->version);
    assert_non_null(d->description);
    assert_non_null(d->schemes);
    assert_non_null(d->schemes[0]);
    /* The loader's own check (one list of methods: every required one set,
     * init and fini paired) passes. */
    dm_err e = {0};
    if (dm_driver_check("(contract)", d->name, d, &e) != DBMIG_OK)
        fail_msg("%s", dm_err_msg(&e));
    dm_err_free(&e);
    /* The contract drives a driver as the core does a stateless one: self
     * is NULL (driver.h: a driver without init gets NULL). */
    assert_null(d->init);
    assert_null(d->fini);
    /* The dialect field is the splitter's only. */
    assert_true(d->dialect <= DBMIG_DIALECT_SQLITE);
}

/* ABI 2.3's time-out templates (SPEC section 14), as the core fills them
 * (ddlwait.c): each runs, with its reset; the session id is digits; the
 * blockers query of that session runs and finds nobody blocking it. */
static void contract_timeouts(const dbmig_driver *d, dbmig_conn *c)
{
    const dbmig_dialect_sql *q = d->sql;
    if (q->size < offsetof(dbmig_dialect_sql, blockers) + sizeof q->blockers)
        return; /* built before 2.3 */
    const char *set[2] = {q->lock_timeout, q->statement_timeout};
    const char *reset[2] = {q->lock_timeout_reset, q->statement_timeout_reset};
    for (int i = 0; i < 2; i++) {
        if (!set[i]) {
            assert_null(reset[i]); /* a reset of nothing */
            continue;
        }
        dm_buf b = {0};
        assert_int_equal(dm_ddl_template(set[i], 1500, NULL, &b), 0);
        must_exec(d, c, dm_buf_str(&b));
        dm_buf_free(&b);
        if (reset[i])
            must_exec(d, c, reset[i]);
    }
    /* blockers need the session's id */
    assert_int_equal(q->session_id == NULL, q->blockers == NULL);
    if (!q->session_id)
        return;
    rows r;
    query_text(d, c, q->session_id, &r);
    assert_int_equal(r.nrows, 1);
    size_t n = strlen(r.text);
    assert_true(n >= 2 && strspn(r.text, "0123456789") == n - 1); /* "4242;" */
    r.text[n - 1] = '\0';
    dm_buf b = {0};
    assert_int_equal(dm_ddl_template(q->blockers, 0, r.text, &b), 0);
    rows br;
    query_text(d, c, dm_buf_str(&b), &br);
    dm_buf_free(&b);
    assert_int_equal(br.nrows, 0);
}

/* The dialect SQL the core writes for this driver (driver.h,
 * dbmig_dialect_sql), run on the database: every built-in driver gives all
 * of it, and each piece works there. A driver that gives none (sql NULL)
 * is checked only for that: the core then refuses the lease. */
void contract_dialect_sql(const dbmig_driver *d, const char *url)
{
    const dbmig_dialect_sql *q = d->sql;
    if (!q)
        return;
    assert_true(q->size >= sizeof(uint32_t));
    const char *ts = q->timestamp_type ? q->timestamp_type : "TIMESTAMP";
    const char *sp = q->savepoint ? q->savepoint : "SAVEPOINT";
    const char *rb = q->rollback_to_savepoint ? q->rollback_to_savepoint : "ROLLBACK TO SAVEPOINT";
    const char *rl = q->release_savepoint ? q->release_savepoint : "RELEASE SAVEPOINT";
    /* lease: both or neither */
    assert_int_equal(q->lease_now_ms == NULL, q->lease_share_lock == NULL);
    /* a schema rule comes with its reason */
    if (q->table_schema)
        assert_non_null(q->table_schema_why);

    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    char sql[512];
    rows r;
    /* the version table's timestamp type */
    snprintf(sql, sizeof sql, "CREATE TABLE ct_ts (id INTEGER, stamp %s)", ts);
    must_exec(d, c, sql);
    /* the savepoint verbs, as the core sends them */
    if (d->caps & DBMIG_CAP_SAVEPOINTS) {
        assert_int_equal(d->begin(NULL, c), DBMIG_DRV_OK);
        must_exec(d, c, "INSERT INTO ct_ts (id) VALUES (1)");
        snprintf(sql, sizeof sql, "%s dbmig_step", sp);
        must_exec(d, c, sql);
        must_exec(d, c, "INSERT INTO ct_ts (id) VALUES (2)");
        snprintf(sql, sizeof sql, "%s dbmig_step", rb);
        must_exec(d, c, sql);
        if (*rl) {
            snprintf(sql, sizeof sql, "%s dbmig_step", rl);
            must_exec(d, c, sql);
        }
        assert_int_equal(d->commit(NULL, c), DBMIG_DRV_OK);
        assert_string_equal(query_text(d, c, "SELECT id FROM ct_ts", &r), "1;");
    }
    /* the lease clock is the database's, in epoch milliseconds, and the
     * share-lock clause is accepted on a read inside a transaction */
    if (q->lease_now_ms) {
        snprintf(sql, sizeof sql, "SELECT %s", q->lease_now_ms);
        query_text(d, c, sql, &r);
        long long db_ms = strtoll(r.text, NULL, 10);
        long long now_ms = (long long)time(NULL) * 1000;
        if (db_ms < now_ms - 600000 || db_ms > now_ms + 600000)
            fail_msg("lease clock %s gave %s, not epoch ms near %lld", q->lease_now_ms, r.text,
                     now_ms);
        assert_int_equal(d->begin(NULL, c), DBMIG_DRV_OK);
        snprintf(sql, sizeof sql, "SELECT id FROM ct_ts WHERE id = 1%s", q->lease_share_lock);
        assert_string_equal(query_text(d, c, sql, &r), "1;");
        assert_int_equal(d->commit(NULL, c), DBMIG_DRV_OK);
    }
    contract_timeouts(d, c);
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

void contract_connect_close(const dbmig_driver *d, const char *url)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    char ver[64] = "";
    if (d->server_version) {
        assert_int_equal(d->server_version(NULL, c, ver, sizeof ver), DBMIG_DRV_OK);
        assert_true(strlen(ver) > 0);
    }
    d->close(NULL, c);
    assert_true(cnt.total > 0); /* the driver allocates through the host */
    assert_int_equal(cnt.live, 0);
}

void contract_exec(const dbmig_driver *d, const char *url)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int64_t n = -1;
    const char *ddl = "CREATE TABLE ct_people (id INTEGER PRIMARY KEY, name VARCHAR(40), "
                      "note VARCHAR(40))";
    assert_int_equal(d->exec(NULL, c, ddl, strlen(ddl), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    const char *ins[] = {"INSERT INTO ct_people (id, name, note) VALUES (1, 'ann', 'x')",
                         "INSERT INTO ct_people (id, name, note) VALUES (2, 'bob', NULL)",
                         "INSERT INTO ct_people (id, name, note) VALUES (3, 'o''hara', 'x')"};
    for (int i = 0; i < 3; i++) {
        n = -1;
        assert_int_equal(d->exec(NULL, c, ins[i], strlen(ins[i]), &n), DBMIG_DRV_OK);
        assert_int_equal(n, 1);
    }
    const char *upd = "UPDATE ct_people SET note = 'y' WHERE note = 'x'";
    assert_int_equal(d->exec(NULL, c, upd, strlen(upd), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 2);
    /* affected may be NULL; the length bounds the text */
    const char *del = "DELETE FROM ct_people WHERE id = 99; garbage that is never read";
    assert_int_equal(d->exec(NULL, c, del, strlen("DELETE FROM ct_people WHERE id = 99"), NULL),
                     DBMIG_DRV_OK);
    /* DDL after DML reports no rows */
    const char *ddl2 = "CREATE TABLE ct_other (id INTEGER)";
    assert_int_equal(d->exec(NULL, c, ddl2, strlen(ddl2), &n), DBMIG_DRV_OK);
    assert_int_equal(n, 0);
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

void contract_query(const dbmig_driver *d, const char *url)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    must_exec(d, c, "CREATE TABLE ct_q (id INTEGER, name VARCHAR(40), note VARCHAR(40))");
    must_exec(d, c, "INSERT INTO ct_q VALUES (1, 'ann', 'x')");
    must_exec(d, c, "INSERT INTO ct_q VALUES (2, 'bob', NULL)");
    must_exec(d, c, "INSERT INTO ct_q VALUES (3, 'o''hara', '')");
    rows r;
    assert_string_equal(query_text(d, c, "SELECT id, name, note FROM ct_q ORDER BY id", &r),
                        "1|ann|x;2|bob|NULL;3|o'hara|;");
    assert_int_equal(r.nrows, 3);
    assert_int_equal(r.ncols, 3);
    /* no rows: the callback is never called */
    assert_string_equal(query_text(d, c, "SELECT id FROM ct_q WHERE id > 100", &r), "");
    assert_int_equal(r.nrows, 0);
    /* the callback stops the query and query still succeeds */
    memset(&r, 0, sizeof r);
    r.stop_after = 1;
    assert_int_equal(d->query(NULL, c, "SELECT id FROM ct_q ORDER BY id", collect_row, &r),
                     DBMIG_DRV_OK);
    assert_int_equal(r.nrows, 1);
    assert_string_equal(r.text, "1;");
    /* the connection is usable after a stopped query */
    assert_string_equal(query_text(d, c, "SELECT COUNT(*) FROM ct_q", &r), "3;");
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

void contract_errors(const dbmig_driver *d, const char *url)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    const char *bad = "SELECT * FROM ct_no_such_table";
    assert_int_equal(d->exec(NULL, c, bad, strlen(bad), NULL), DBMIG_DRV_ERROR);
    const dbmig_db_error *e = d->last_error(NULL, c);
    assert_non_null(e);
    assert_true(e->code[0] != '\0');
    /* an ordinary database error is GENERIC: URL and NODB are connect()'s */
    assert_int_equal(e->kind, DBMIG_DB_ERR_GENERIC);
    assert_contains(e->message, "ct_no_such_table");
    assert_true(e->position >= 0 && e->position <= (int)strlen(bad) + 1);

    rows r;
    memset(&r, 0, sizeof r);
    assert_int_equal(d->query(NULL, c, bad, collect_row, &r), DBMIG_DRV_ERROR);
    assert_contains(d->last_error(NULL, c)->message, "ct_no_such_table");

    must_exec(d, c, "CREATE TABLE ct_u (id INTEGER PRIMARY KEY)");
    must_exec(d, c, "INSERT INTO ct_u VALUES (1)");
    const char *dup = "INSERT INTO ct_u VALUES (1)";
    assert_int_equal(d->exec(NULL, c, dup, strlen(dup), NULL), DBMIG_DRV_ERROR);
    assert_true(d->last_error(NULL, c)->code[0] != '\0');
    assert_true(d->last_error(NULL, c)->message[0] != '\0');
    /* a failure does not break the connection */
    assert_string_equal(query_text(d, c, "SELECT COUNT(*) FROM ct_u", &r), "1;");
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

void contract_transactions(const dbmig_driver *d, const char *url)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int exists = -1;
    rows r;
    must_exec(d, c, "CREATE TABLE ct_tx (id INTEGER)");

    /* commit keeps, rollback undoes DML */
    assert_int_equal(d->begin(NULL, c), DBMIG_DRV_OK);
    must_exec(d, c, "INSERT INTO ct_tx VALUES (1)");
    assert_int_equal(d->commit(NULL, c), DBMIG_DRV_OK);
    assert_int_equal(d->begin(NULL, c), DBMIG_DRV_OK);
    must_exec(d, c, "INSERT INTO ct_tx VALUES (2)");
    assert_int_equal(d->rollback(NULL, c), DBMIG_DRV_OK);
    assert_string_equal(query_text(d, c, "SELECT id FROM ct_tx", &r), "1;");

    if (d->caps & DBMIG_CAP_TRANSACTIONAL_DDL) {
        assert_int_equal(d->begin(NULL, c), DBMIG_DRV_OK);
        must_exec(d, c, "CREATE TABLE ct_ddl (id INTEGER)");
        assert_int_equal(d->table_exists(NULL, c, "ct_ddl", &exists), DBMIG_DRV_OK);
        assert_int_equal(exists, 1);
        assert_int_equal(d->rollback(NULL, c), DBMIG_DRV_OK);
        assert_int_equal(d->table_exists(NULL, c, "ct_ddl", &exists), DBMIG_DRV_OK);
        assert_int_equal(exists, 0);
    }
    if (d->caps & DBMIG_CAP_SAVEPOINTS) {
        assert_int_equal(d->begin(NULL, c), DBMIG_DRV_OK);
        must_exec(d, c, "INSERT INTO ct_tx VALUES (10)");
        must_exec(d, c,
                  "SAVEPOINT dbmig_1"); /* standard SQL; the core's verbs: contract_dialect_sql */
        must_exec(d, c, "INSERT INTO ct_tx VALUES (11)");
        must_exec(d, c, "ROLLBACK TO SAVEPOINT dbmig_1");
        must_exec(d, c, "RELEASE SAVEPOINT dbmig_1");
        must_exec(d, c, "SAVEPOINT dbmig_2");
        must_exec(d, c, "INSERT INTO ct_tx VALUES (12)");
        must_exec(d, c, "RELEASE SAVEPOINT dbmig_2");
        assert_int_equal(d->commit(NULL, c), DBMIG_DRV_OK);
        assert_string_equal(query_text(d, c, "SELECT id FROM ct_tx ORDER BY id", &r),
                            "1;10;12;");
    }
    /* commit without a transaction is an error the driver reports */
    assert_int_equal(d->commit(NULL, c), DBMIG_DRV_ERROR);
    assert_true(d->last_error(NULL, c)->message[0] != '\0');
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

void contract_catalog(const dbmig_driver *d, const char *url)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int ex = -1;
    char tbl[64];
    if (!d->table_exists || !d->column_exists || !d->index_exists) {
        d->close(NULL, c);
        return;
    }
    assert_int_equal(d->table_exists(NULL, c, "ct_cat", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    must_exec(d, c, "CREATE TABLE ct_cat (id INTEGER, email VARCHAR(80))");
    must_exec(d, c, "CREATE INDEX ct_cat_email ON ct_cat (email)");
    assert_int_equal(d->table_exists(NULL, c, "ct_cat", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    /* a name is data, never SQL */
    assert_int_equal(d->table_exists(NULL, c, "ct_cat' OR '1'='1", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);

    assert_int_equal(d->column_exists(NULL, c, "ct_cat", "email", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(d->column_exists(NULL, c, "ct_cat", "phone", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(d->column_exists(NULL, c, "ct_nothing", "email", &ex), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);

    strcpy(tbl, "unchanged");
    assert_int_equal(d->index_exists(NULL, c, NULL, "ct_cat_email", &ex, tbl, sizeof tbl),
                     DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_string_equal(tbl, "ct_cat");
    assert_int_equal(d->index_exists(NULL, c, "ct_cat", "ct_cat_email", &ex, NULL, 0),
                     DBMIG_DRV_OK);
    assert_int_equal(ex, 1);
    assert_int_equal(d->index_exists(NULL, c, "ct_other", "ct_cat_email", &ex, NULL, 0),
                     DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    assert_int_equal(d->index_exists(NULL, c, NULL, "ct_nope", &ex, tbl, sizeof tbl), DBMIG_DRV_OK);
    assert_int_equal(ex, 0);
    d->close(NULL, c);
    assert_int_equal(cnt.live, 0);
}

void contract_quoting(const dbmig_driver *d)
{
    char out[64];
    /* conn == NULL: offline mode */
    size_t n = d->quote_literal(NULL, NULL, "it's", 4, out, sizeof out);
    assert_string_equal(out, "'it''s'");
    assert_int_equal(n, strlen("'it''s'"));
    n = d->quote_literal(NULL, NULL, "", 0, out, sizeof out);
    assert_string_equal(out, "''");
    assert_int_equal(n, 2);
    /* too small: truncated, NUL-terminated, the needed length returned */
    char small[4] = "zzz";
    n = d->quote_literal(NULL, NULL, "abcdef", 6, small, sizeof small);
    assert_int_equal(n, 8);
    assert_int_equal(strlen(small), 3);
    assert_int_equal(d->quote_literal(NULL, NULL, "abcdef", 6, NULL, 0), 8);
    /* the length, not a NUL, ends the input */
    n = d->quote_literal(NULL, NULL, "abXYZ", 2, out, sizeof out);
    assert_string_equal(out, "'ab'");

    if (d->dialect != DBMIG_DIALECT_MYSQL) {
        n = d->quote_ident(NULL, NULL, "we\"ird", 6, out, sizeof out);
        assert_string_equal(out, "\"we\"\"ird\"");
        assert_int_equal(n, strlen(out));
    }
}

/* url2: a second connection to the same database (the same URL for files). */
static void holder_id(contract_holder_fn fn, const dbmig_driver *d, dbmig_conn *c, char *out,
                      size_t cap)
{
    if (fn)
        fn(d, c, out, cap);
    else
        snprintf(out, cap, "pid %ld", (long)getpid());
}

void contract_lock(const dbmig_driver *d, const char *url, const char *url2,
                   contract_holder_fn holder_fn)
{
    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *a = must_connect(d, &h, url);
    dbmig_conn *b = must_connect(d, &h, url2);
    int got = -1;
    char holder[128];

    assert_int_equal(d->try_lock(NULL, a, "dbmig_version", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    strcpy(holder, "junk");
    assert_int_equal(d->try_lock(NULL, b, "dbmig_version", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    if (d->caps & DBMIG_CAP_LOCK_REPORTS_HOLDER) {
        char pid[64];
        holder_id(holder_fn, d, a, pid, sizeof pid);
        assert_contains(holder, pid);
    }
    /* another key is another lock */
    assert_int_equal(d->try_lock(NULL, b, "other_table", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    assert_int_equal(d->unlock(NULL, b, "other_table"), DBMIG_DRV_OK);

    assert_int_equal(d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);
    assert_int_equal(d->try_lock(NULL, b, "dbmig_version", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 1);
    /* closing the holder's connection releases the lock too (a server may
     * need a moment to end the session) */
    d->close(NULL, b);
    got = 0;
    for (int i = 0; i < 100 && got != 1; i++) {
        assert_int_equal(d->try_lock(NULL, a, "dbmig_version", &got, holder, sizeof holder),
                         DBMIG_DRV_OK);
        if (!got)
            dm_sleep_ms(20);
    }
    assert_int_equal(got, 1);
    assert_int_equal(d->unlock(NULL, a, "dbmig_version"), DBMIG_DRV_OK);
    d->close(NULL, a);
    assert_int_equal(cnt.live, 0);
}

/* A lock held by a process that dies (without unlocking) is released. */
void contract_lock_dies_with_process(const dbmig_driver *d, const char *url,
                                     contract_holder_fn holder_fn)
{
    int up[2], down[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        counter cnt = {0};
        dbmig_host h = make_host(&cnt);
        dbmig_conn *c = NULL;
        dbmig_db_error e;
        int got = 0;
        char msg[65] = "x"; /* 'x' or 'F', then what the holder text must contain */
        if (d->connect(NULL, &h, url, &c, &e) != DBMIG_DRV_OK ||
            d->try_lock(NULL, c, "dbmig_version", &got, NULL, 0) != DBMIG_DRV_OK || !got)
            msg[0] = 'F';
        else
            holder_id(holder_fn, d, c, msg + 1, sizeof msg - 1);
        if (write(up[1], msg, sizeof msg) != (ssize_t)sizeof msg)
            _exit(3);
        if (read(down[0], msg, 1) < 0) /* wait for the parent's go */
            _exit(4);
        _exit(0); /* no unlock, no close */
    }
    close(up[1]);
    close(down[0]);
    char msg[65] = "";
    assert_int_equal(read(up[0], msg, sizeof msg), (ssize_t)sizeof msg);
    assert_int_equal(msg[0], 'x');
    msg[sizeof msg - 1] = '\0';

    counter cnt = {0};
    dbmig_host h = make_host(&cnt);
    dbmig_conn *c = must_connect(d, &h, url);
    int got = -1;
    char holder[128] = "";
    assert_int_equal(d->try_lock(NULL, c, "dbmig_version", &got, holder, sizeof holder),
                     DBMIG_DRV_OK);
    assert_int_equal(got, 0);
    if (d->caps & DBMIG_CAP_LOCK_REPORTS_HOLDER) {
        char want[64];
        if (holder_fn)
            snprintf(want, sizeof want, "%s", msg + 1);
        else
            snprintf(want, sizeof want, "pid %ld", (long)pid);
        assert_contains(holder, want);
    }
    assert_int_equal(write(down[1], "g", 1), 1);
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the server or OS may need a moment to notice */
    for (int i = 0; i < 50 && got != 1; i++) {
        assert_int_equal(d->try_lock(NULL, c, "dbmig_version", &got, holder, sizeof holder),
                         DBMIG_DRV_OK);
        if (!got)
            dm_sleep_ms(100);
    }
    assert_int_equal(got, 1);
    assert_int_equal(d->unlock(NULL, c, "dbmig_version"), DBMIG_DRV_OK);
    d->close(NULL, c);
    close(up[0]);
    close(down[1]);
    assert_int_equal(cnt.live, 0);
}

/* ---- the shared tests (see CONTRACT_TESTS) ------------------------------- */

#define CT const contract_fx *ct = *state

void contract_test_table(void **state)
{
    CT;
    contract_table(ct->d);
}
void contract_test_connect_close(void **state)
{
    CT;
    contract_connect_close(ct->d, ct->url);
}
void contract_test_exec(void **state)
{
    CT;
    contract_exec(ct->d, ct->url);
}
void contract_test_query(void **state)
{
    CT;
    contract_query(ct->d, ct->url);
}
void contract_test_errors(void **state)
{
    CT;
    contract_errors(ct->d, ct->url);
}
void contract_test_transactions(void **state)
{
    CT;
    contract_transactions(ct->d, ct->url);
}
void contract_test_catalog(void **state)
{
    CT;
    contract_catalog(ct->d, ct->url);
}

void contract_test_dialect_sql(void **state)
{
    CT;
    contract_dialect_sql(ct->d, ct->url);
}
void contract_test_quoting(void **state)
{
    CT;
    contract_quoting(ct->d);
}
void contract_test_lock(void **state)
{
    CT;
    contract_lock(ct->d, ct->url, ct->url, ct->holder);
}
void contract_test_lock_dies_with_process(void **state)
{
    CT;
    contract_lock_dies_with_process(ct->d, ct->url, ct->holder);
}
