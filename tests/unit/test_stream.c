/* test_stream.c — a large migration applied statement by statement from the
 * file, the way core/run.c is to apply a streamed migration (see
 * dm_migfile_stream in migfile.h), against the real SQLite plugin:
 *
 *   load (dm_migfile_load streams a file above DM_MIGFILE_STREAM_MIN),
 *   pass 1: validate — split only, count, keep nothing,
 *   pass 2: execute — each statement as it is split, inside a transaction,
 *   commit only when the pass returned DBMIG_OK.
 *
 * The 50 MB file is written in pieces and never held in memory; peak RSS
 * (getrusage) must stay far below the file's size. Under AddressSanitizer
 * the RSS bound is not checked (its shadow memory and quarantine inflate
 * RSS), everything else is.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "driver_contract.h"
#include "loader.h"
#include "migfile.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define ST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ST_ASAN 1
#endif
#endif
#ifndef ST_ASAN
#define ST_ASAN 0
#endif

/* under ASan a smaller file: the RSS bound is not checked there */
#define BIG_BYTES (ST_ASAN ? 12u * 1000 * 1000 : 50u * 1000 * 1000)
#define RSS_LIMIT_KIB (48 * 1024)

typedef struct fx {
    dm_plugin *plugin;
    const dbmig_driver *d;
    counter cnt;
    dbmig_host host;
    char dir[64];
    char url[320];
    char big[256];          /* the 50 MB migration */
    char sum[DM_CHECKSUM_LEN + 1]; /* its checksum, computed while writing */
    size_t rows;            /* INSERTs in it */
    size_t stmts;           /* statements of its up section */
    int marked_line;        /* line of the INSERT of id 7777 */
} fx;

static void hexsum(EVP_MD_CTX *ctx, char *out)
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, md, &n);
    memcpy(out, "v1:", 3);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 3 + 2 * i, 3, "%02x", md[i]);
}

/* Writes the migration in pieces: a table, a trigger (a BEGIN ... END body
 * with `;` inside), a multi-line string holding `;`, then INSERTs of ~450
 * bytes up to BIG_BYTES, and a down section. No trailing blanks and LF only,
 * so its checksum is the SHA-256 of its bytes. */
static int write_big(fx *f)
{
    FILE *o = fopen(f->big, "wb");
    if (!o)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    char line[1024], pad[401];
    memset(pad, 'p', 400);
    pad[400] = '\0';
    size_t total = 0;
    int lineno = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(line, sizeof line, __VA_ARGS__);                                         \
        fwrite(line, 1, (size_t)n_, o);                                                            \
        EVP_DigestUpdate(ctx, line, (size_t)n_);                                                   \
        total += (size_t)n_;                                                                       \
        for (int k_ = 0; k_ < n_; k_++)                                                            \
            lineno += line[k_] == '\n';                                                            \
    } while (0)
    PUT("-- dbmig:revision big\n-- dbmig:message fifty megabytes of rows\n-- dbmig:up\n");
    PUT("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n");
    PUT("CREATE TABLE audit (n INTEGER);\nINSERT INTO audit VALUES (0);\n");
    PUT("CREATE TRIGGER t_count AFTER INSERT ON t BEGIN\n"
        "  UPDATE audit SET n = n + 1; -- one; two\n"
        "END;\n");
    PUT("INSERT INTO t (id, v) VALUES (0, 'line one;\n-- not a comment;\nline three');\n");
    f->stmts = 5;
    f->rows = 1;
    while (total < BIG_BYTES) {
        if (f->rows == 7777)
            f->marked_line = lineno + 1;
        PUT("INSERT INTO t (id, v) VALUES (%zu, 'row %zu; %s');\n", f->rows, f->rows, pad);
        f->rows++;
        f->stmts++;
    }
    PUT("-- dbmig:down\nDROP TABLE t;\nDROP TABLE audit;\n");
#undef PUT
    hexsum(ctx, f->sum);
    EVP_MD_CTX_free(ctx);
    return fclose(o);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    dm_err e = {0};
    if (dm_plugin_load(DBMIG_PLUGIN_DIR, "sqlite", &f->plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "cannot load the sqlite plugin: %s\n", dm_err_msg(&e));
        dm_err_free(&e);
        free(f);
        return -1;
    }
    f->d = dm_plugin_driver(f->plugin);
    f->host = make_host(&f->cnt);
    strcpy(f->dir, "/tmp/dbmig-stream-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/test.db", f->dir);
    snprintf(f->big, sizeof f->big, "%s/001_big.sql", f->dir);
    *state = f;
    return write_big(f);
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    dm_plugin_unload(f->plugin);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* ---- pass 1: validate (split only) ------------------------------------- */

typedef struct check {
    size_t n;
    int last_line;
    int marked_line; /* line of the statement holding "row 7777;" */
} check;

static int check_cb(void *payload, const dm_stmt *st)
{
    check *c = payload;
    if (st->line <= c->last_line)
        return DBMIG_ERROR;
    c->last_line = st->line;
    if (st->len > 40 && memcmp(st->sql + 30, "7777, 'row 7777;", 16) == 0)
        c->marked_line = st->line;
    c->n++;
    return 0;
}

/* ---- pass 2: execute, statement by statement ---------------------------- */

typedef struct execx {
    const dbmig_driver *d;
    dbmig_conn *conn;
    dm_err *err;
    size_t n, total;
    size_t fail_at; /* 1-based statement to replace by a failing one, 0: none */
} execx;

static int exec_cb(void *payload, const dm_stmt *st)
{
    execx *x = payload;
    x->n++;
    const char *sql = x->n == x->fail_at ? "INSERT INTO no_such_table VALUES (1)" : st->sql;
    size_t len = x->n == x->fail_at ? strlen(sql) : st->len;
    if (x->d->exec(NULL, x->conn, sql, len, NULL) != DBMIG_DRV_OK) {
        const dbmig_db_error *e = x->d->last_error(NULL, x->conn);
        return dm_err_set(x->err, DBMIG_ERROR, "line %d: statement %zu of %zu failed: %s",
                          st->line, x->n, x->total, e ? e->message : "?");
    }
    return 0;
}

static int64_t count_rows(fx *f, dbmig_conn *c, const char *sql)
{
    rows r;
    memset(&r, 0, sizeof r);
    const char *t = query_text(f->d, c, sql, &r);
    assert_non_null(t);
    assert_int_equal(r.nrows, 1);
    return strtoll(t, NULL, 10);
}

/* Validates, then applies in one transaction; commits only on DBMIG_OK. */
static int apply(fx *f, const dm_migfile *mf, dbmig_conn *c, size_t fail_at, dm_err *err,
                 size_t *validated)
{
    int dialect = (int)f->d->dialect;
    check v = {0};
    int found = 0;
    int rc = dm_migfile_stream(mf, DM_UP, f->d->name, dialect, check_cb, &v, &found, err);
    if (rc)
        return rc;
    assert_true(found);
    *validated = v.n;
    execx x = {f->d, c, err, 0, v.n, fail_at};
    assert_int_equal(f->d->begin(NULL, c), DBMIG_DRV_OK);
    rc = dm_migfile_stream(mf, DM_UP, f->d->name, dialect, exec_cb, &x, NULL, err);
    if (rc == DBMIG_OK)
        assert_int_equal(f->d->commit(NULL, c), DBMIG_DRV_OK);
    else
        assert_int_equal(f->d->rollback(NULL, c), DBMIG_DRV_OK);
    return rc;
}

static void test_big_migration_bounded(void **state)
{
    fx *f = *state;
    struct stat sb;
    assert_int_equal(stat(f->big, &sb), 0);
    assert_true((size_t)sb.st_size >= BIG_BYTES);

    dm_migfile mf;
    dm_err err = {0};
    int rc = dm_migfile_load(f->big, &mf, &err);
    if (rc)
        fail_msg("%s", dm_err_msg(&err));
    assert_true(mf.streamed);
    assert_null(mf.text);
    assert_string_equal(mf.revision, "big");
    assert_string_equal(mf.message, "fifty megabytes of rows");
    assert_string_equal(mf.checksum, f->sum);
    assert_int_equal(mf.nsections, 2);

    /* the validation pass alone finds every statement and its line */
    check v = {0};
    assert_int_equal(dm_migfile_stream(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, check_cb, &v,
                                       NULL, &err), 0);
    assert_int_equal(v.n, f->stmts);
    assert_int_equal(v.marked_line, f->marked_line);

    dbmig_conn *c = must_connect(f->d, &f->host, f->url);
    size_t validated = 0;
    rc = apply(f, &mf, c, 0, &err, &validated);
    if (rc)
        fail_msg("%s", dm_err_msg(&err));
    assert_int_equal(validated, f->stmts);
    assert_int_equal(count_rows(f, c, "SELECT count(*) FROM t"), (int64_t)f->rows);
    assert_int_equal(count_rows(f, c, "SELECT n FROM audit"), (int64_t)f->rows);
    assert_int_equal(count_rows(f, c, "SELECT count(*) FROM t WHERE id = 0 AND v = "
                                      "'line one;' || char(10) || '-- not a comment;' || "
                                      "char(10) || 'line three'"),
                     1);
    assert_int_equal(count_rows(f, c, "SELECT length(v) FROM t WHERE id = 7777"),
                     (int64_t)strlen("row 7777; ") + 400);

    /* the down section, streamed from the end of the same file */
    check dv = {0};
    assert_int_equal(dm_migfile_stream(&mf, DM_DOWN, "sqlite", DBMIG_DIALECT_SQLITE, check_cb,
                                       &dv, NULL, &err), 0);
    assert_int_equal(dv.n, 2);

    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    print_message("%u MB migration: %zu statements, peak RSS %ld KiB%s\n", BIG_BYTES / 1000000,
                  f->stmts, ru.ru_maxrss, ST_ASAN ? " (ASan: not checked)" : "");
    if (!ST_ASAN && ru.ru_maxrss > RSS_LIMIT_KIB)
        fail_msg("peak RSS %ld KiB > %d KiB for a streamed %u MB migration", ru.ru_maxrss,
                 RSS_LIMIT_KIB, BIG_BYTES / 1000000);

    f->d->close(NULL, c);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

/* A failing statement in the middle: the transaction is rolled back and no
 * row is left; the message names the statement's line. */
static void test_big_migration_failure_rolls_back(void **state)
{
    fx *f = *state;
    char url[400];
    snprintf(url, sizeof url, "sqlite:%s/fail.db", f->dir);
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(dm_migfile_load(f->big, &mf, &err), 0);
    dbmig_conn *c = must_connect(f->d, &f->host, url);
    size_t validated = 0;
    /* statement 5 + 7777 is the INSERT of id 7777 */
    assert_int_equal(apply(f, &mf, c, 5 + 7777, &err, &validated), DBMIG_ERROR);
    char want[64];
    snprintf(want, sizeof want, "line %d: statement %d of %zu failed", f->marked_line,
             5 + 7777, f->stmts);
    assert_contains(dm_err_msg(&err), want);
    assert_contains(dm_err_msg(&err), "no_such_table");
    int exists = 1;
    assert_int_equal(f->d->table_exists(NULL, c, "t", &exists), DBMIG_DRV_OK);
    assert_int_equal(exists, 0);
    f->d->close(NULL, c);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

/* The file edited between the load and the execution pass (same size, same
 * mtime): the execution pass fails at the end of the file, before the last
 * statement, and nothing is committed. */
static void test_file_changed_before_commit(void **state)
{
    fx *f = *state;
    char path[300], url[400];
    snprintf(path, sizeof path, "%s/002_small.sql", f->dir);
    snprintf(url, sizeof url, "sqlite:%s/changed.db", f->dir);
    const char *text = "CREATE TABLE s (a int);\nINSERT INTO s VALUES (1);\n"
                       "INSERT INTO s VALUES (2);\n";
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    fputs(text, o);
    fclose(o);
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(dm_migfile_load_ex(path, 0, &mf, &err), 0); /* streamed */
    assert_true(mf.streamed);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    o = fopen(path, "r+b");
    assert_non_null(o);
    fseek(o, 46, SEEK_SET); /* VALUES (1) -> (7) */
    fputc('7', o);
    fclose(o);
    struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);

    dbmig_conn *c = must_connect(f->d, &f->host, url);
    size_t validated = 0;
    int rc;
    /* pass 1 already notices */
    rc = apply(f, &mf, c, 0, &err, &validated);
    if (rc != DBMIG_EINVALID)
        fail_msg("rc %d: %s", rc, dm_err_msg(&err));
    assert_contains(dm_err_msg(&err), "the file changed while it was being read");
    /* pass 2 alone (as if the edit came after pass 1) */
    execx x = {f->d, c, &err, 0, 3, 0};
    assert_int_equal(f->d->begin(NULL, c), DBMIG_DRV_OK);
    assert_int_equal(dm_migfile_stream(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, exec_cb, &x,
                                       NULL, &err),
                     DBMIG_EINVALID);
    assert_int_equal(x.n, 2); /* the last statement was not handed over */
    assert_int_equal(f->d->rollback(NULL, c), DBMIG_DRV_OK);
    int exists = 1;
    assert_int_equal(f->d->table_exists(NULL, c, "s", &exists), DBMIG_DRV_OK);
    assert_int_equal(exists, 0);
    f->d->close(NULL, c);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_migration_bounded),
        cmocka_unit_test(test_big_migration_failure_rolls_back),
        cmocka_unit_test(test_file_changed_before_commit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
