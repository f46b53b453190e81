/* test_migfile.c — migration file parsing: header, defaults, sections, errors,
 * checksum. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "migfile.h"
#include "mftext.h"

/* ---- the streamed loader must agree with the in-memory parse -------------
 * Every text a test parses is also written to a file (under a temporary
 * folder, at the same relative path, so messages match) and loaded streamed
 * (dm_migfile_load_ex with threshold 0): as is, and padded in front with a
 * comment line so that the 64 KiB read boundary falls on each of its first
 * bytes (a CRLF, a UTF-8 sequence, a directive or a statement cut in two).
 * The result must be the in-memory parse of the same bytes: fields,
 * sections, checksum, the statements of every section in every dialect, or
 * the same error. */

static char g_tmpdir[] = "/tmp/dbmig_test_migfile_dir_XXXXXX";
static char g_cwd[4096];

static int group_setup(void **st)
{
    (void)st;
    if (!getcwd(g_cwd, sizeof g_cwd) || !mkdtemp(g_tmpdir) || chdir(g_tmpdir) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **st)
{
    (void)st;
    if (chdir(g_cwd) != 0)
        return -1;
    return rmdir(g_tmpdir);
}

static void write_rel(const char *path, const char *data, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash) {
        char dir[512];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        (void)mkdir(dir, 0700);
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void remove_rel(const char *path)
{
    unlink(path);
    const char *slash = strrchr(path, '/');
    if (slash) {
        char dir[512];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        (void)rmdir(dir);
    }
}

static int collect_cb(void *payload, const dm_stmt *st)
{
    return dm_stmt_list_push(payload, st) ? DBMIG_ERROR : 0;
}

static void same_strv(const dm_strv *a, const dm_strv *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_string_equal(a->v[i], b->v[i]);
}

static void same_stmts(const dm_migfile *a, const dm_migfile *b, int kind, const char *drv,
                       int dialect)
{
    dm_stmt_list la = {0}, lb = {0}, lc = {0};
    dm_err ea = {0}, eb = {0}, ec = {0};
    int fa = -1, fb = -1, fc = -1;
    int ra = dm_migfile_statements(a, kind, drv, dialect, &la, &fa, &ea);
    int rb = dm_migfile_stream(b, kind, drv, dialect, collect_cb, &lb, &fb, &eb);
    int rc = dm_migfile_stream(a, kind, drv, dialect, collect_cb, &lc, &fc, &ec);
    assert_int_equal(ra, rb);
    assert_int_equal(ra, rc);
    assert_int_equal(fa, fb);
    assert_int_equal(fa, fc);
    if (ra) {
        assert_string_equal(dm_err_msg(&ea), dm_err_msg(&eb));
        assert_string_equal(dm_err_msg(&ea), dm_err_msg(&ec));
    } else {
        assert_int_equal(la.n, lb.n);
        assert_int_equal(la.n, lc.n);
        for (size_t i = 0; i < la.n; i++) {
            assert_string_equal(la.v[i].sql, lb.v[i].sql);
            assert_string_equal(la.v[i].sql, lc.v[i].sql);
            assert_int_equal(la.v[i].line, lb.v[i].line);
            assert_int_equal(la.v[i].line, lc.v[i].line);
        }
        /* and the list interface over the streamed file */
        dm_stmt_list ld = {0};
        assert_int_equal(dm_migfile_statements(b, kind, drv, dialect, &ld, NULL, &eb), 0);
        assert_int_equal(ld.n, la.n);
        dm_stmt_list_free(&ld);
    }
    dm_stmt_list_free(&la);
    dm_stmt_list_free(&lb);
    dm_stmt_list_free(&lc);
    dm_err_free(&ea);
    dm_err_free(&eb);
    dm_err_free(&ec);
}

static void same_migfile(const dm_migfile *a, const dm_migfile *b)
{
    assert_false(a->streamed);
    assert_true(b->streamed);
    assert_null(b->text);
    assert_string_equal(a->path, b->path);
    assert_string_equal(a->filename, b->filename);
    assert_string_equal(a->revision, b->revision);
    assert_string_equal(a->message, b->message);
    same_strv(&a->parents, &b->parents);
    same_strv(&a->branches, &b->branches);
    same_strv(&a->depends, &b->depends);
    assert_int_equal(a->parents_set, b->parents_set);
    assert_int_equal(a->transaction, b->transaction);
    assert_int_equal(a->irreversible, b->irreversible);
    assert_int_equal(a->post, b->post);
    assert_int_equal(a->header_line, b->header_line);
    assert_int_equal(a->text_len, b->text_len);
    assert_string_equal(a->checksum, b->checksum);
    assert_int_equal(a->nsections, b->nsections);
    for (size_t i = 0; i < a->nsections; i++) {
        const dm_section *x = &a->sections[i], *y = &b->sections[i];
        assert_int_equal(x->kind, y->kind);
        if (x->driver || y->driver) {
            assert_non_null(x->driver);
            assert_non_null(y->driver);
            assert_string_equal(x->driver, y->driver);
        }
        assert_int_equal(x->off, y->off);
        assert_int_equal(x->len, y->len);
        assert_int_equal(x->line, y->line);
        assert_int_equal(x->marker_line, y->marker_line);
        static const int dialects[] = {DBMIG_DIALECT_GENERIC, DBMIG_DIALECT_POSTGRES,
                                       DBMIG_DIALECT_MYSQL, DBMIG_DIALECT_SQLITE};
        for (size_t d = 0; d < 4; d++)
            same_stmts(a, b, x->kind, x->driver, dialects[d]);
    }
}

/* Loads data[0..len) streamed from `path` and compares with the in-memory
 * parse of the same bytes. */
static void stream_one(const char *path, const char *data, size_t len)
{
    dm_migfile a, b;
    dm_err ea = {0}, eb = {0};
    int ra = dm_migfile_parse(path, data, len, &a, &ea);
    write_rel(path, data, len);
    int rb = dm_migfile_load_ex(path, 0, &b, &eb);
    if (ra != rb)
        fail_msg("%s: in memory %d (%s), streamed %d (%s)", path, ra, dm_err_msg(&ea), rb,
                 dm_err_msg(&eb));
    if (ra) {
        assert_string_equal(dm_err_msg(&ea), dm_err_msg(&eb));
        assert_null(b.revision);
    } else {
        same_migfile(&a, &b);
        dm_migfile_free(&a);
        dm_migfile_free(&b);
    }
    remove_rel(path);
    dm_err_free(&ea);
    dm_err_free(&eb);
}

static void cross_stream(const char *path, const char *data, size_t len)
{
    if (len == 0)
        return; /* an empty file is not streamed (nothing to read) */
    stream_one(path, data, len);
    enum { CHUNK = 65536 };
    size_t bom = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    char *buf = malloc(CHUNK + len + 8);
    assert_non_null(buf);
    /* Where the 64 KiB chunk boundary falls: every byte of the first 32,
     * then every 7th. DBMIG_STREAM_SPARSE=1 (scripts/memcheck.sh, where
     * valgrind made the dense schedule take 8 minutes; build/ and
     * build-asan/ run it dense): the first 3 bytes, then every 127th. */
    int sparse = getenv("DBMIG_STREAM_SPARSE") != NULL;
    size_t dense_to = sparse ? 3 : 32, step = sparse ? 127 : 7;
    for (size_t j = 0; j <= len - bom; j += j < dense_to ? 1 : step) {
        /* [BOM] "--xxx...x\n" [rest]: byte bom + j of the rest begins at CHUNK */
        size_t pad = CHUNK - bom - j; /* the padding line, its \n included */
        memcpy(buf, data, bom);
        buf[bom] = '-';
        buf[bom + 1] = '-';
        memset(buf + bom + 2, 'x', pad - 3);
        buf[bom + pad - 1] = '\n';
        memcpy(buf + bom + pad, data + bom, len - bom);
        stream_one(path, buf, bom + pad + len - bom);
    }
    free(buf);
}

static int parse(const char *path, const char *text, dm_migfile *mf, dm_err *err)
{
    cross_stream(path, text, strlen(text));
    return dm_migfile_parse(path, text, strlen(text), mf, err);
}

/* Parses text expecting DBMIG_EINVALID with a message holding frag1 and frag2. */
static void expect_error(const char *path, const char *text, size_t len, const char *frag1,
                         const char *frag2)
{
    dm_migfile mf;
    dm_err err = {0};
    cross_stream(path, text, len);
    int rc = dm_migfile_parse(path, text, len, &mf, &err);
    if (rc != DBMIG_EINVALID)
        fail_msg("expected DBMIG_EINVALID for <%s>, got %d", text, rc);
    const char *m = dm_err_msg(&err);
    if (!strstr(m, frag1) || (frag2 && !strstr(m, frag2)))
        fail_msg("message <%s> lacks <%s> or <%s>", m, frag1, frag2 ? frag2 : "");
    assert_null(mf.revision); /* left clean */
    assert_null(mf.text);
    dm_err_free(&err);
}

#define EXPECT_ERROR(path, text, f1, f2) expect_error(path, text, strlen(text), f1, f2)

static void test_full_header(void **st)
{
    (void)st;
    const char *text = "-- a plain comment\n"
                       "\n"
                       "-- dbmig:revision 20251116120000\n"
                       "-- dbmig:parents a1 b2\n"
                       "--dbmig:description  Auth system, with users  \n"
                       "-- dbmig:branch auth core\n"
                       "-- dbmig:depends x9\n"
                       "-- dbmig:transaction off\n"
                       "\n"
                       "-- dbmig:up\n"
                       "CREATE TABLE users (id int);\n"
                       "-- dbmig:down\n"
                       "DROP TABLE users;\n";
    dm_migfile mf;
    dm_err err = {0};
    int rc = parse("migrations/20251116120000_auth_system.sql", text, &mf, &err);
    if (rc)
        fail_msg("%s", dm_err_msg(&err));
    assert_string_equal(mf.path, "migrations/20251116120000_auth_system.sql");
    assert_string_equal(mf.filename, "20251116120000_auth_system.sql");
    assert_string_equal(mf.revision, "20251116120000");
    assert_int_equal(mf.parents_set, 1);
    assert_int_equal(mf.parents.n, 2);
    assert_string_equal(mf.parents.v[0], "a1");
    assert_string_equal(mf.parents.v[1], "b2");
    assert_string_equal(mf.message, "Auth system, with users");
    assert_int_equal(mf.branches.n, 2);
    assert_string_equal(mf.branches.v[1], "core");
    assert_int_equal(mf.depends.n, 1);
    assert_string_equal(mf.depends.v[0], "x9");
    assert_int_equal(mf.transaction, 0);
    assert_int_equal(mf.header_line, 3);
    assert_int_equal(mf.nsections, 2);
    assert_int_equal(mf.sections[0].kind, DM_UP);
    assert_null(mf.sections[0].driver);
    assert_int_equal(mf.sections[0].marker_line, 10);
    assert_int_equal(mf.sections[0].line, 11);
    assert_int_equal(mf.sections[1].kind, DM_DOWN);
    assert_int_equal(mf.sections[1].marker_line, 12);

    dm_stmt_list l = {0};
    int found = -1;
    assert_int_equal(dm_migfile_statements(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, &l,
                                           &found, &err),
                     0);
    assert_int_equal(found, 1);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].sql, "CREATE TABLE users (id int)");
    assert_int_equal(l.v[0].line, 11);
    dm_stmt_list_free(&l);
    assert_int_equal(dm_migfile_statements(&mf, DM_DOWN, NULL, DBMIG_DIALECT_GENERIC, &l,
                                           &found, &err),
                     0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].sql, "DROP TABLE users");
    assert_int_equal(l.v[0].line, 13);
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);
    assert_null(mf.path);
    dm_err_free(&err);
}

static void test_defaults_from_file_name(void **st)
{
    (void)st;
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(parse("migrations/003_add_users_table.sql",
                           "CREATE TABLE users (id int);\nCREATE INDEX i ON users (id);\n", &mf,
                           &err),
                     0);
    assert_string_equal(mf.revision, "003");
    assert_string_equal(mf.message, "add users table");
    {   /* Flyway's double underscore: no leading blank in the message */
        dm_migfile fw;
        assert_int_equal(parse("migrations/V1__add_users.sql", "SELECT 1;\n", &fw, &err), 0);
        assert_string_equal(fw.revision, "V1");
        assert_string_equal(fw.message, "add users");
        dm_migfile_free(&fw);
    }
    assert_int_equal(mf.parents_set, 0);
    assert_int_equal(mf.parents.n, 0);
    assert_int_equal(mf.transaction, 1);
    assert_int_equal(mf.header_line, 0);
    assert_int_equal(mf.nsections, 1);
    assert_int_equal(mf.sections[0].kind, DM_UP);
    assert_int_equal(mf.sections[0].marker_line, 0);
    assert_int_equal(mf.sections[0].line, 1);
    assert_null(dm_migfile_section(&mf, DM_DOWN, "postgres"));
    dm_stmt_list l = {0};
    int found = -1;
    assert_int_equal(
        dm_migfile_statements(&mf, DM_DOWN, "postgres", DBMIG_DIALECT_POSTGRES, &l, &found, &err),
        0);
    assert_int_equal(found, 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(
        dm_migfile_statements(&mf, DM_UP, "postgres", DBMIG_DIALECT_POSTGRES, &l, &found, &err),
        0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[1].line, 2);
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);

    /* no underscore: the whole stem; no slug: empty message */
    assert_int_equal(parse("42.sql", "SELECT 1;", &mf, &err), 0);
    assert_string_equal(mf.revision, "42");
    assert_string_equal(mf.message, "");
    dm_migfile_free(&mf);

    /* header after a header-less... header: implicit up starts after it */
    assert_int_equal(parse("dir/7_x.sql",
                           "-- dbmig:parents base\n-- dbmig:message Hello\n\nSELECT 1;\n", &mf,
                           &err),
                     0);
    assert_int_equal(mf.parents_set, 1);
    assert_int_equal(mf.parents.n, 0);
    assert_string_equal(mf.message, "Hello");
    assert_int_equal(mf.header_line, 1);
    assert_int_equal(mf.sections[0].line, 3);
    assert_int_equal(mf.sections[0].marker_line, 0);
    assert_int_equal(dm_migfile_statements(&mf, DM_UP, NULL, 0, &l, &found, &err), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].line, 4);
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);

    /* a bad id from the file name is an error too */
    EXPECT_ERROR("m/head_x.sql", "SELECT 1;", "m/head_x.sql:1:", "reserved");
    EXPECT_ERROR("m/-x_y.sql", "SELECT 1;", "m/-x_y.sql:1:", "-- dbmig:revision");
    /* ... unless the header sets the revision */
    assert_int_equal(parse("m/head_x.sql", "-- dbmig:revision h1\nSELECT 1;", &mf, &err), 0);
    assert_string_equal(mf.revision, "h1");
    assert_string_equal(mf.message, "x");
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

static void test_header_errors(void **st)
{
    (void)st;
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:revisoin 2\nSELECT 1;", "m/1_a.sql:1:", "Known keys");
    EXPECT_ERROR("m/1_a.sql", "\n-- dbmig:\nSELECT 1;", "m/1_a.sql:2:", "revision, parents");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:revision -bad\nSELECT 1;", "m/1_a.sql:1:", "-bad");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:revision a b\nSELECT 1;", "m/1_a.sql:1:",
                 "not a valid revision id");
    EXPECT_ERROR("m/1_a.sql", "-- c\n-- dbmig:revision heads\nSELECT 1;", "m/1_a.sql:2:",
                 "reserved");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:transaction maybe\nSELECT 1;", "m/1_a.sql:1:",
                 "`on` or `off`");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:parents\nSELECT 1;", "m/1_a.sql:1:", "base");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:parents base a1\nSELECT 1;", "m/1_a.sql:1:", "base");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:parents a1 current\nSELECT 1;", "m/1_a.sql:1:",
                 "current");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:parents a1 a1\nSELECT 1;", "m/1_a.sql:1:", "twice");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:depends\nSELECT 1;", "m/1_a.sql:1:", "at least one");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:branch\nSELECT 1;", "m/1_a.sql:1:", "label");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:branch x@y\nSELECT 1;", "m/1_a.sql:1:", "x@y");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:message\nSELECT 1;", "m/1_a.sql:1:", "description");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:message a\n-- dbmig:description b\nSELECT 1;",
                 "m/1_a.sql:2:", "line 1");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:message late\n", "m/1_a.sql:3:",
                 "after the first section");
    EXPECT_ERROR("m/1_a.sql", "SELECT 1;\n-- dbmig:message late\n", "m/1_a.sql:2:",
                 "after SQL began");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:frobnicate\n", "m/1_a.sql:3:",
                 "unknown key");
}

static void test_section_errors_and_selection(void **st)
{
    (void)st;
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:up\nSELECT 2;", "m/1_a.sql:3:",
                 "line 1");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:down mysql\n\n-- dbmig:down mysql\n", "m/1_a.sql:3:",
                 "second");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up post-gres\nSELECT 1;", "m/1_a.sql:1:", "driver name");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up postgres mysql\nSELECT 1;", "m/1_a.sql:1:",
                 "driver name");
    EXPECT_ERROR("m/1_a.sql", "CREATE TABLE t (a int);\n-- dbmig:up\nSELECT 1;", "m/1_a.sql:1:",
                 "before the first section");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\n-- dbmig:statement start\n", "m/1_a.sql:2:",
                 "begin");

    const char *text = "-- dbmig:message multi\n"
                       "-- dbmig:up\n"
                       "CREATE TABLE t (id integer);\n"
                       "-- dbmig:up postgres\n"
                       "CREATE TABLE t (id serial);\n"
                       "-- dbmig:statement begin\n"
                       "CREATE FUNCTION f() RETURNS int AS 'select 1; select 2' LANGUAGE sql;\n"
                       "-- dbmig:statement end\n"
                       "-- dbmig:down sqlite\n"
                       "DROP TABLE t;\n"
                       "-- dbmig:down\n";
    dm_migfile mf;
    dm_err err = {0};
    int rc = parse("m/5_multi.sql", text, &mf, &err);
    if (rc)
        fail_msg("%s", dm_err_msg(&err));
    assert_int_equal(mf.nsections, 4);
    const dm_section *s = dm_migfile_section(&mf, DM_UP, "postgres");
    assert_non_null(s);
    assert_string_equal(s->driver, "postgres");
    assert_int_equal(s->marker_line, 4);
    s = dm_migfile_section(&mf, DM_UP, "mysql");
    assert_non_null(s);
    assert_null(s->driver);
    assert_int_equal(s->marker_line, 2);
    assert_ptr_equal(dm_migfile_section(&mf, DM_UP, NULL), s);
    s = dm_migfile_section(&mf, DM_DOWN, "sqlite");
    assert_string_equal(s->driver, "sqlite");
    s = dm_migfile_section(&mf, DM_DOWN, "postgres");
    assert_null(s->driver);
    assert_int_equal(s->len, 0);

    dm_stmt_list l = {0};
    int found = 0;
    assert_int_equal(
        dm_migfile_statements(&mf, DM_UP, "postgres", DBMIG_DIALECT_POSTGRES, &l, &found, &err),
        0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].sql, "CREATE TABLE t (id serial)");
    assert_int_equal(l.v[0].line, 5);
    assert_string_equal(l.v[1].sql,
                        "CREATE FUNCTION f() RETURNS int AS 'select 1; select 2' LANGUAGE sql;");
    assert_int_equal(l.v[1].line, 7);
    dm_stmt_list_free(&l);
    assert_int_equal(
        dm_migfile_statements(&mf, DM_UP, "mysql", DBMIG_DIALECT_MYSQL, &l, &found, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].sql, "CREATE TABLE t (id integer)");
    assert_int_equal(l.v[0].line, 3);
    dm_stmt_list_free(&l);
    /* the explicit empty generic down section: found, no statements */
    found = 0;
    assert_int_equal(
        dm_migfile_statements(&mf, DM_DOWN, "mysql", DBMIG_DIALECT_MYSQL, &l, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(l.n, 0);
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);

    /* a splitter error names the file and line */
    assert_int_equal(parse("m/6_q.sql", "-- dbmig:up\n\nSELECT 'open;\n", &mf, &err), 0);
    assert_int_equal(
        dm_migfile_statements(&mf, DM_UP, NULL, DBMIG_DIALECT_GENERIC, &l, &found, &err),
        DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "m/6_q.sql:3: unterminated"));
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

static void test_empty_files(void **st)
{
    (void)st;
    EXPECT_ERROR("m/1_a.sql", "", "m/1_a.sql:1:", "no SQL statement");
    EXPECT_ERROR("m/1_a.sql", "\n\n-- just a comment\n", "m/1_a.sql:1:", "no SQL statement");
    EXPECT_ERROR("m/1_a.sql", "-- c\n-- dbmig:message header only\n\n", "m/1_a.sql:2:",
                 "no SQL statement");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:message x\n/* only a comment */ ;\n", "m/1_a.sql:1:",
                 "empty -- dbmig:up");
    /* an explicit empty section is a valid no-op (a merge revision) */
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(parse("m/9_merge.sql",
                           "-- dbmig:parents a b\n-- dbmig:up\n-- dbmig:down\n", &mf, &err),
                     0);
    assert_int_equal(mf.nsections, 2);
    assert_int_equal(mf.parents.n, 2);
    dm_stmt_list l = {0};
    int found = 0;
    assert_int_equal(dm_migfile_statements(&mf, DM_UP, "sqlite", 3, &l, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(l.n, 0);
    dm_migfile_free(&mf);
    /* an unterminated quote in an implicit section is left to the driver's split */
    assert_int_equal(parse("m/9_q.sql", "SELECT 'it\\'s';", &mf, &err), 0);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

static void test_bad_bytes(void **st)
{
    (void)st;
    EXPECT_ERROR("m/1_a.sql", "SELECT 1;\nSELECT '\xff';\n", "m/1_a.sql:2:", "UTF-8");
    EXPECT_ERROR("m/1_a.sql", "SELECT 1;\r\n\r\nSELECT '\xc0\xaf';\n", "m/1_a.sql:3:",
                 "UTF-8");                                          /* overlong */
    EXPECT_ERROR("m/1_a.sql", "SELECT '\xed\xa0\x80';", "m/1_a.sql:1:", "UTF-8"); /* surrogate */
    EXPECT_ERROR("m/1_a.sql", "SELECT 1; -- \xe2\x82", "m/1_a.sql:1:", "UTF-8");  /* truncated */
    expect_error("m/1_a.sql", "SELECT 1;\n\nSEL\0ECT 2;", 20, "m/1_a.sql:3:", "NUL");
    /* valid multi-byte text is fine */
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(parse("m/1_a.sql", "INSERT INTO t VALUES ('h\xc3\xa9llo \xf0\x9f\x98\x80');",
                           &mf, &err),
                     0);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

static void test_bom_crlf(void **st)
{
    (void)st;
    const char *text = "\xEF\xBB\xBF-- dbmig:message crlf\r\n\r\n-- dbmig:up\r\nSELECT 1;\r\n"
                       "SELECT\r\n 2;\r\n-- dbmig:down\r\nSELECT 3;";
    dm_migfile mf;
    dm_err err = {0};
    int rc = parse("m/2_b.sql", text, &mf, &err);
    if (rc)
        fail_msg("%s", dm_err_msg(&err));
    assert_string_equal(mf.message, "crlf");
    assert_null(strchr(mf.text, '\r'));
    assert_int_equal(mf.text_len, strlen(mf.text));
    assert_int_equal(strncmp(mf.text, "-- dbmig:message", 16), 0);
    dm_stmt_list l = {0};
    int found;
    assert_int_equal(dm_migfile_statements(&mf, DM_UP, NULL, 0, &l, &found, &err), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[1].sql, "SELECT\n 2");
    assert_int_equal(l.v[1].line, 5);
    dm_stmt_list_free(&l);
    assert_int_equal(dm_migfile_statements(&mf, DM_DOWN, NULL, 0, &l, &found, &err), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].line, 8);
    dm_stmt_list_free(&l);
    char ck[DM_CHECKSUM_LEN + 1];
    dm_checksum(text, strlen(text), ck);
    assert_string_equal(mf.checksum, ck);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

static void ck(const char *s, char *out) { dm_checksum(s, strlen(s), out); }

static void test_checksum(void **st)
{
    (void)st;
    char a[DM_CHECKSUM_LEN + 1], b[DM_CHECKSUM_LEN + 1];
    ck("abc", a);
    assert_string_equal(a, "v1:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(strlen(a), DM_CHECKSUM_LEN);
    ck("abc \t\r\n", a);
    assert_string_equal(a, "v1:edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb");

    const char *base = "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n";
    ck(base, a);
    ck("CREATE TABLE t (a int);\r\nINSERT INTO t VALUES (1);\r\n", b); /* CRLF only */
    assert_string_equal(a, b);
    ck("CREATE TABLE t (a int);  \t\nINSERT INTO t VALUES (1); \n", b); /* trailing blanks */
    assert_string_equal(a, b);
    ck("\xEF\xBB\xBF" "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n", b); /* BOM */
    assert_string_equal(a, b);
    ck("CREATE TABLE t (a int);\nINSERT INTO t VALUES (2);\n", b); /* a real change */
    assert_string_not_equal(a, b);
    ck("CREATE TABLE t  (a int);\nINSERT INTO t VALUES (1);\n", b); /* inner blanks count */
    assert_string_not_equal(a, b);
    ck("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n\n", b); /* an added line counts */
    assert_string_not_equal(a, b);
    dm_checksum(NULL, 0, b);
    assert_string_equal(b, "v1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_rev_ids(void **st)
{
    (void)st;
    char id65[66];
    memset(id65, 'a', 65);
    id65[65] = '\0';
    assert_false(dm_valid_rev_id(id65));
    id65[64] = '\0';
    assert_true(dm_valid_rev_id(id65));
    assert_true(dm_valid_rev_id("a"));
    assert_true(dm_valid_rev_id("1.0-x_Y"));
    assert_false(dm_valid_rev_id(""));
    assert_false(dm_valid_rev_id(NULL));
    assert_false(dm_valid_rev_id("-a"));
    assert_false(dm_valid_rev_id(".a"));
    assert_false(dm_valid_rev_id("a b"));
    assert_false(dm_valid_rev_id("a@b"));
    assert_false(dm_valid_rev_id("h\xc3\xa9"));
    assert_false(dm_valid_rev_id("head"));
    assert_false(dm_valid_rev_id("HEADS"));
    assert_true(dm_reserved_rev_id("base"));
    assert_true(dm_reserved_rev_id("current"));
    assert_false(dm_reserved_rev_id("basement"));
    assert_false(dm_reserved_rev_id("hea"));
    assert_true(dm_valid_rev_id("headless"));
}

static void test_load(void **st)
{
    (void)st;
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(dm_migfile_load("/nonexistent/dir/1_x.sql", &mf, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "/nonexistent/dir/1_x.sql"));
    assert_non_null(strstr(dm_err_msg(&err), "No such file"));

    char path[] = "/tmp/dbmig_test_migfile_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "-- dbmig:revision r1\n-- dbmig:up\nSELECT 1;\n-- dbmig:down\nSELECT 2;\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = dm_migfile_load(path, &mf, &err);
    unlink(path);
    if (rc)
        fail_msg("%s", dm_err_msg(&err));
    assert_string_equal(mf.revision, "r1");
    assert_string_equal(mf.path, path);
    char want[DM_CHECKSUM_LEN + 1];
    dm_checksum(text, strlen(text), want);
    assert_string_equal(mf.checksum, want);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

/* Line kinds decided from a line's first bytes, in every cut: blank lines
 * with lone CRs, dashes, near-directives; trailing white space; CR runs. */
static void test_stream_edge_lines(void **st)
{
    (void)st;
    static const char *const inputs[] = {
        "\r\n \r \t\r\n-- dbmig:revision e1\r\n\r\r\n-\r\n--\r\n-- dbmig\r:up\n"
        "--\tdbmig:message  spaced out \t\r\nSELECT 1;  \t\r\n",
        " \r x\n-- dbmig:revision e2\n",
        "-x;\n-- dbmig:up\n",
        "-- dbmig:revision e3\n   --   dbmig:up   \r\nSELECT 'a\r\nb';\r\n-- dbmig:down sqlite\n"
        "DROP TABLE x;\n-- dbmig:down\nSELECT 2",
        "-- dbmig:\nSELECT 1;",
        "-- dbmig:revision e4\n-- dbmi\n--dbmig:upx\n",
        "-- dbmig:revision e5\n-- plain\n\n/* only a comment; */\n-- dbmig:statement begin\n"
        "X;\n-- dbmig:statement end\n",
        "-- dbmig:revision e6\n/* only a comment */\n-- and another\n",
        "-- dbmig:revision e7\nSELECT 'unterminated\n",
        "-- dbmig:revision e8\n-- dbmig:up\nSELECT '\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80';\n"
        "-- dbmig:down\nSELECT 1;\r",
        "-- dbmig:revision e9\nSELECT 1;\n\xc3(",
        "-- dbmig:revision e10\nSELECT 1;\n\xe2\x82",
        "-- dbmig:revision e11\nSELECT 1;\n\xed\xa0\x80;",
        "-- dbmig:revision e12\nSELECT 1;\r\r\r",
        "\xEF\xBB\xBF-- dbmig:revision e13\r\nSELECT 1; \r\n \r\n",
        "\xEF\xBB\xBFSELECT 1",
        "SELECT 1;\n-- dbmig:revision late\n",
        "-- dbmig:up\nSELECT 1;\n-- dbmig:up\nSELECT 2;\n",
        "-- dbmig:transaction maybe\nSELECT 1;",
        "\r-- dbmig:revision zz\nSELECT 1;",
        "\r\r\r\n \r\t\r\r\n-- dbmig:up\nSELECT 1;",
    };
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++)
        cross_stream("m/7_edge.sql", inputs[k], strlen(inputs[k]));
    static const char nul[] = "-- dbmig:revision n1\nSELECT 1;\n\0;";
    cross_stream("m/8_nul.sql", nul, sizeof nul - 1);
}

/* A streamed file must be the one that was loaded: a changed size is found
 * before any statement; the same size with other bytes (mtime put back) by
 * the checksum at the end, before the last statement; a vanished file is
 * an open error. */
static void test_stream_changed_file(void **st)
{
    (void)st;
    const char *text = "-- dbmig:revision c1\n-- dbmig:up\nINSERT INTO t VALUES (1);\n"
                       "INSERT INTO t VALUES (2);\nINSERT INTO t VALUES (3);\n-- dbmig:down\n"
                       "DELETE FROM t;\n";
    const char *path = "m/9_changed.sql";
    write_rel(path, text, strlen(text));
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(dm_migfile_load_ex(path, 0, &mf, &err), 0);
    assert_true(mf.streamed);
    dm_stmt_list l = {0};
    assert_int_equal(dm_migfile_stream(&mf, DM_UP, NULL, DBMIG_DIALECT_SQLITE, collect_cb, &l,
                                       NULL, &err), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.v[2].line, 5);
    dm_stmt_list_free(&l);

    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    /* same size, other bytes, same mtime */
    char *edited = strdup(text);
    edited[strlen(edited) - 20] = '9'; /* VALUES (3) -> (9) */
    write_rel(path, edited, strlen(edited));
    struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
    assert_int_equal(dm_migfile_stream(&mf, DM_UP, NULL, DBMIG_DIALECT_SQLITE, collect_cb, &l,
                                       NULL, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "m/9_changed.sql: the file changed while it was "
                                             "being read"));
    assert_int_equal(l.n, 2); /* the last statement was held back */
    dm_stmt_list_free(&l);
    /* the list interface leaves the list as it was */
    assert_int_equal(dm_migfile_statements(&mf, DM_UP, NULL, DBMIG_DIALECT_SQLITE, &l, NULL,
                                           &err), DBMIG_EINVALID);
    assert_int_equal(l.n, 0);

    /* another size: refused before the first statement */
    write_rel(path, "SELECT 1;\n", 10);
    assert_int_equal(dm_migfile_stream(&mf, DM_DOWN, NULL, DBMIG_DIALECT_SQLITE, collect_cb, &l,
                                       NULL, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "changed since it was read"));
    assert_int_equal(l.n, 0);

    /* gone */
    remove_rel(path);
    assert_int_equal(dm_migfile_stream(&mf, DM_UP, NULL, DBMIG_DIALECT_SQLITE, collect_cb, &l,
                                       NULL, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "m/9_changed.sql: cannot open"));
    /* a missing section: found = 0, nothing read */
    int found = 1;
    assert_int_equal(dm_migfile_stream(&mf, DM_DOWN, "postgres", DBMIG_DIALECT_POSTGRES,
                                       collect_cb, &l, &found, &err), DBMIG_EUSAGE);
    dm_migfile mf2;
    write_rel(path, "SELECT 1;\n", 10);
    assert_int_equal(dm_migfile_load_ex(path, 0, &mf2, &err), 0);
    assert_int_equal(dm_migfile_stream(&mf2, DM_DOWN, NULL, DBMIG_DIALECT_SQLITE, collect_cb, &l,
                                       &found, &err), 0);
    assert_int_equal(found, 0);
    remove_rel(path);
    dm_migfile_free(&mf2);
    dm_stmt_list_free(&l);
    free(edited);
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

/* Only files above the threshold are streamed. */
static void test_stream_threshold(void **st)
{
    (void)st;
    const char *path = "m/10_small.sql";
    write_rel(path, "SELECT 1;\n", 10);
    dm_migfile mf;
    dm_err err = {0};
    assert_int_equal(dm_migfile_load(path, &mf, &err), 0);
    assert_false(mf.streamed);
    assert_non_null(mf.text);
    dm_migfile_free(&mf);
    assert_int_equal(dm_migfile_load_ex(path, 10, &mf, &err), 0);
    assert_false(mf.streamed);
    dm_migfile_free(&mf);
    assert_int_equal(dm_migfile_load_ex(path, 9, &mf, &err), 0);
    assert_true(mf.streamed);
    assert_int_equal(mf.file_size, 10);
    dm_migfile_free(&mf);
    remove_rel(path);
    dm_err_free(&err);
}


/* ---- strict markers (SPEC section 2, "Markers are strict") ---------------- */

/* Parses text (also streamed), which must succeed. */
static void parse_ok(const char *path, const char *text, dm_migfile *mf)
{
    dm_err err = {0};
    int rc = parse(path, text, mf, &err);
    if (rc)
        fail_msg("%s: %s", path, dm_err_msg(&err));
    dm_err_free(&err);
}

/* The statements of one section as "sql|sql|...", or the error. */
static void stmts_of(const dm_migfile *mf, int kind, const char *drv, int dialect, char *out,
                     size_t cap)
{
    dm_stmt_list l = {0};
    dm_err err = {0};
    int found = 0;
    out[0] = '\0';
    if (dm_migfile_statements(mf, kind, drv, dialect, &l, &found, &err) != 0) {
        snprintf(out, cap, "error: %s", dm_err_msg(&err));
    } else {
        for (size_t i = 0; i < l.n; i++)
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "|" : "", l.v[i].sql);
        if (!found)
            snprintf(out, cap, "<no section>");
    }
    dm_stmt_list_free(&l);
    dm_err_free(&err);
}

static void test_markers_any_case(void **st)
{
    (void)st;
    dm_migfile mf;
    char got[1024];
    /* the down SQL must not run inside up: markers in any case are markers */
    parse_ok("m/1_case.sql",
             "-- Dbmig:Revision r1\n-- DBMIG:Message shouting\n-- DbMig:Transaction OFF\n"
             "-- DBMIG:UP\nCREATE TABLE t (a int);\n-- DBMIG:DOWN\nDROP TABLE t;\n",
             &mf);
    assert_string_equal(mf.revision, "r1");
    assert_string_equal(mf.message, "shouting");
    assert_int_equal(mf.transaction, 0);
    assert_int_equal(mf.nsections, 2);
    stmts_of(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "CREATE TABLE t (a int)");
    stmts_of(&mf, DM_DOWN, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "DROP TABLE t");
    dm_migfile_free(&mf);

    /* driver names ignore case; the URL aliases name the same drivers */
    parse_ok("m/2_drv.sql",
             "-- dbmig:up SQLite\nSELECT 1;\n-- dbmig:up PostgreSQL\nSELECT 2;\n"
             "-- dbmig:up MariaDB\nSELECT 3;\n-- dbmig:down sqlite3\nSELECT 4;\n",
             &mf);
    assert_string_equal(mf.sections[0].driver, "sqlite");
    assert_string_equal(mf.sections[1].driver, "postgres");
    assert_string_equal(mf.sections[2].driver, "mysql");
    assert_string_equal(mf.sections[3].driver, "sqlite");
    stmts_of(&mf, DM_UP, "postgres", DBMIG_DIALECT_POSTGRES, got, sizeof got);
    assert_string_equal(got, "SELECT 2");
    dm_migfile_free(&mf);
    EXPECT_ERROR("m/3_dup.sql", "-- dbmig:up postgres\nSELECT 1;\n-- dbmig:up POSTGRESQL\n",
                 "m/3_dup.sql:3:", "second -- dbmig:up postgres section");

    /* the escape hatch in any case, read as such by the splitter too */
    parse_ok("m/4_hatch.sql",
             "-- dbmig:up\n-- DBMIG:Statement BEGIN\nCREATE TRIGGER x; y;\n"
             "-- Dbmig:statement End\nSELECT 1;\n",
             &mf);
    stmts_of(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "CREATE TRIGGER x; y;|SELECT 1");
    dm_migfile_free(&mf);

    /* blanks around `--` are allowed, as before */
    parse_ok("m/5_blanks.sql", "--dbmig:up\nSELECT 1;\n  --  \tdbmig:down\nSELECT 2;\n", &mf);
    assert_int_equal(mf.nsections, 2);
    assert_int_equal(mf.sections[1].kind, DM_DOWN);
    dm_migfile_free(&mf);
}

static void test_markers_near_misses(void **st)
{
    (void)st;
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig: down\nSELECT 2;\n",
                 "m/1_a.sql:3: '-- dbmig: down' looks like a dbmig marker",
                 "no blank may come after the colon). Write it as -- dbmig:down");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig :up\nSELECT 1;\n", "m/1_a.sql:1:",
                 "before the colon). Write it as -- dbmig:up");
    EXPECT_ERROR("m/1_a.sql", "--- dbmig:up\nSELECT 1;\n", "m/1_a.sql:1:",
                 "exactly two dashes). Write it as -- dbmig:up");
    EXPECT_ERROR("m/1_a.sql", "/* dbmig:up */\nSELECT 1;\n/* dbmig:down */\nSELECT 2;\n",
                 "m/1_a.sql:1: '/* dbmig:up */'", "not a block comment). Write it as -- dbmig:up");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n# DBMIG:down mysql\nSELECT 2;\n",
                 "m/1_a.sql:3:", "not a # comment). Write it as -- dbmig:down mysql");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig up\nSELECT 1;\n-- DBMIG down postgres\nSELECT 2;\n",
                 "m/1_a.sql:1:", "follows dbmig and a colon). Write it as -- dbmig:up");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig-down postgres\nSELECT 2;\n",
                 "m/1_a.sql:3:", "Write it as -- dbmig:down postgres");
    /* after SQL on the same line, -- is a plain comment to the splitter: the
     * down statements would run in up, a suppression silence nothing */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nCREATE TABLE z (id int); -- dbmig:down\nDROP TABLE z;\n",
                 "m/1_a.sql:2: 'CREATE TABLE z (id int); -- dbmig:down' looks like a dbmig marker",
                 "a marker is a line of its own");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nDROP TABLE e;--dbmig:lint-ignore ban-drop-table x\n",
                 "m/1_a.sql:2:", "Write it as -- dbmig:lint-ignore ban-drop-table x");
    {   /* inside a string, or after a word that is not dbmig's, it is text */
        dm_migfile mf;
        dm_err err = {0};
        const char *ok = "-- dbmig:up\nINSERT INTO n VALUES ('x -- dbmig:up');\n"
                         "SELECT 1; -- dbmig is fine\nSELECT \"a -- dbmig:down\";\n";
        assert_int_equal(dm_migfile_parse("m/1_a.sql", ok, strlen(ok), &mf, &err), 0);
        dm_migfile_free(&mf);
        dm_err_free(&err);
    }
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:upgrade\nSELECT 1;\n", "m/1_a.sql:1:",
                 "unknown key -- dbmig:upgrade (did you mean -- dbmig:up?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:downgrade\nSELECT 2;\n",
                 "m/1_a.sql:3:", "unknown key -- dbmig:downgrade (did you mean -- dbmig:down?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:revison x\nSELECT 1;\n", "m/1_a.sql:1:",
                 "(did you mean -- dbmig:revision?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:parent x\nSELECT 1;\n", "m/1_a.sql:1:",
                 "(did you mean -- dbmig:parents?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:frobnicate\nSELECT 1;\n", "m/1_a.sql:1:",
                 "unknown key -- dbmig:frobnicate. Known keys");
    /* a file with a down section but no up section would run nothing */
    EXPECT_ERROR("m/1_a.sql", "-- c\n-- dbmig:down\nDROP TABLE t;\n", "m/1_a.sql:2:",
                 "no -- dbmig:up section");
    /* comments that only mention dbmig stay comments */
    dm_migfile mf;
    parse_ok("m/2_ok.sql",
             "-- dbmig\n-- dbmigrate:up is not ours\n-- see dbmig:up below\n/* dbmig */\n"
             "-- dbmig up to date, nothing to do\n-- dbmig upgrade\n-- dbmig down here\n"
             "-- migrate:upper -- +gooseberry -- +migrated\n-- migrate: users\nSELECT 1;\n",
             &mf);
    assert_int_equal(mf.nsections, 1);
    dm_migfile_free(&mf);
}

static void test_markers_foreign(void **st)
{
    (void)st;
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"-- migrate:up", "dbmate marker, which dbmig does not read"},
        {"-- migrate:up", "Write -- dbmig:up instead."},
        {"-- migrate:down", "Write -- dbmig:down instead."},
        {"-- migrate:up transaction:false", "-- dbmig:up instead, and -- dbmig:transaction off"},
        {"-- +goose Up", "goose marker"},
        {"-- +goose Up", "Write -- dbmig:up instead."},
        {"-- +goose Down", "Write -- dbmig:down instead."},
        {"--  +goose StatementBegin", "Write -- dbmig:statement begin instead."},
        {"-- +goose StatementEnd", "Write -- dbmig:statement end instead."},
        {"-- +goose NO TRANSACTION", "Write -- dbmig:transaction off (in the header"},
        {"-- +goose ENVSUB ON", "goose annotation, which dbmig does not read"},
        {"-- +migrate Up", "sql-migrate marker"},
        {"-- +migrate Up notransaction", "-- dbmig:up instead, and -- dbmig:transaction off"},
        {"-- +migrate Down", "Write -- dbmig:down instead."},
        {"-- +migrate StatementBegin", "Write -- dbmig:statement begin instead."},
        {"-- +migrate StatementEnd", "Write -- dbmig:statement end instead."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], where[64];
        /* as the first line, and after a valid up section */
        snprintf(text, sizeof text, "%s\nSELECT 1;\n", cases[i].line);
        EXPECT_ERROR("m/1_f.sql", text, "m/1_f.sql:1:", cases[i].want);
        snprintf(text, sizeof text, "-- dbmig:up\nSELECT 1;\n%s\nSELECT 2;\n", cases[i].line);
        snprintf(where, sizeof where, "m/1_f.sql:3: '%s'", cases[i].line);
        EXPECT_ERROR("m/1_f.sql", text, where, cases[i].want);
    }
}

static void test_markers_drivers(void **st)
{
    (void)st;
    dm_migfile mf;
    dm_err err = {0};
    /* an unknown driver: did you mean, from the built-in names */
    parse_ok("m/1_typo.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:up sqllite\nSELECT 2;\n", &mf);
    assert_int_equal(dm_migfile_names_plugin(&mf), 1);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, NULL, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "m/1_typo.sql:3: -- dbmig:up sqllite names no "
                                             "known driver (did you mean sqlite?)"));
    /* and from the plugins on the search path */
    dm_strv plugins = {0};
    assert_int_equal(dm_strv_push(&plugins, "oracle"), 0);
    assert_int_equal(dm_migfile_check_drivers(&mf, &plugins, NULL, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "postgres, mysql, sqlite, oracle"));
    dm_migfile_free(&mf);
    parse_ok("m/2_plugin.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:down oracel\nSELECT 2;\n", &mf);
    assert_int_equal(dm_migfile_check_drivers(&mf, &plugins, NULL, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "m/2_plugin.sql:3: -- dbmig:down oracel"));
    assert_non_null(strstr(dm_err_msg(&err), "(did you mean oracle?)"));
    dm_migfile_free(&mf);
    parse_ok("m/3_plugin.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:up Oracle\nSELECT 2;\n", &mf);
    assert_int_equal(dm_migfile_check_drivers(&mf, &plugins, "oracle", &err), 0);
    dm_migfile_free(&mf);
    dm_strv_free(&plugins);

    /* built-in names need no listing */
    parse_ok("m/4_pg.sql", "-- dbmig:up postgres\nCREATE TABLE t (a serial);\n"
                           "-- dbmig:down postgres\nDROP TABLE t;\n", &mf);
    assert_int_equal(dm_migfile_names_plugin(&mf), 0);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, NULL, &err), 0);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "postgres", &err), 0);
    /* only other drivers' sections: refused on sqlite, naming the fix */
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "sqlite", &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err),
                           "m/4_pg.sql:1: no section of this file runs on driver sqlite: it has "
                           "only -- dbmig:up postgres (line 1)"));
    assert_non_null(strstr(dm_err_msg(&err), "Add a generic -- dbmig:up section, or an empty "
                                             "-- dbmig:up sqlite section"));
    dm_migfile_free(&mf);
    /* an explicitly empty section says "nothing on SQLite" */
    parse_ok("m/5_pg.sql", "-- dbmig:up postgres\nCREATE TABLE t (a serial);\n-- dbmig:up sqlite\n",
             &mf);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "sqlite", &err), 0);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "mysql", &err), DBMIG_EINVALID);
    dm_migfile_free(&mf);
    /* a generic up with only a postgres down: fine to apply; on sqlite the
     * file is irreversible (no down section it uses) */
    parse_ok("m/6_down.sql", "-- dbmig:up\nCREATE TABLE t (a int);\n-- dbmig:down postgres\n"
                             "DROP TABLE t;\n", &mf);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "sqlite", &err), 0);
    assert_null(dm_migfile_section(&mf, DM_DOWN, "sqlite"));
    assert_non_null(dm_migfile_section(&mf, DM_DOWN, "postgres"));
    dm_migfile_free(&mf);
    /* a file without markers is generic */
    parse_ok("m/7_plain.sql", "CREATE TABLE t (a int);\n", &mf);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "sqlite", &err), 0);
    dm_migfile_free(&mf);
    assert_int_equal(dm_driver_builtin("mysql"), 1);
    assert_int_equal(dm_driver_builtin("odbc"), 0);
    dm_err_free(&err);
}

static void test_markers_transaction_control(void **st)
{
    (void)st;
    dm_migfile mf;
    char got[1024];
    static const struct {
        const char *sql;
        int dialect;
        const char *what; /* NULL: allowed */
    } cases[] = {
        {"BEGIN;", DBMIG_DIALECT_SQLITE, "BEGIN"},
        {"begin transaction;", DBMIG_DIALECT_SQLITE, "BEGIN"},
        {"BEGIN IMMEDIATE;", DBMIG_DIALECT_SQLITE, "BEGIN"},
        {"START TRANSACTION;", DBMIG_DIALECT_MYSQL, "START TRANSACTION"},
        {"COMMIT;", DBMIG_DIALECT_POSTGRES, "COMMIT"},
        {"commit work;", DBMIG_DIALECT_MYSQL, "COMMIT"},
        {"END;", DBMIG_DIALECT_POSTGRES, "END"},
        {"END TRANSACTION;", DBMIG_DIALECT_SQLITE, "END"},
        {"ROLLBACK;", DBMIG_DIALECT_GENERIC, "ROLLBACK"},
        {"ABORT;", DBMIG_DIALECT_POSTGRES, "ABORT"},
        {"/* c */ BEGIN;", DBMIG_DIALECT_GENERIC, "BEGIN"},
        {"SAVEPOINT a;", DBMIG_DIALECT_POSTGRES, NULL},
        {"RELEASE SAVEPOINT a;", DBMIG_DIALECT_POSTGRES, NULL},
        {"ROLLBACK TO SAVEPOINT a;", DBMIG_DIALECT_POSTGRES, NULL},
        {"ROLLBACK TRANSACTION TO a;", DBMIG_DIALECT_SQLITE, NULL},
        {"UPDATE t SET begin = 1;", DBMIG_DIALECT_GENERIC, NULL},
        {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;", DBMIG_DIALECT_SQLITE, NULL},
        {"DO $$ BEGIN PERFORM 1; END $$;", DBMIG_DIALECT_POSTGRES, NULL},
        {"START SLAVE;", DBMIG_DIALECT_MYSQL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "-- dbmig:up\nCREATE TABLE t (a int);\n%s\n-- dbmig:down\n"
                 "DROP TABLE t;\n", cases[i].sql);
        parse_ok("m/1_tx.sql", text, &mf);
        stmts_of(&mf, DM_UP, NULL, cases[i].dialect, got, sizeof got);
        if (!cases[i].what) {
            if (strncmp(got, "error", 5) == 0)
                fail_msg("%s: %s", cases[i].sql, got);
        } else {
            char want[128];
            snprintf(want, sizeof want, "error: m/1_tx.sql:3: %s inside a migration", cases[i].what);
            if (strncmp(got, want, strlen(want)) != 0 ||
                !strstr(got, "dbmig already runs each migration in a transaction") ||
                !strstr(got, "-- dbmig:transaction off"))
                fail_msg("%s: got <%s>, want <%s ...>", cases[i].sql, got, want);
        }
        dm_migfile_free(&mf);
    }
    /* the whole file wrapped in BEGIN/COMMIT, in memory and streamed */
    const char *wrapped = "-- dbmig:up\nBEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\n";
    parse_ok("m/2_wrapped.sql", wrapped, &mf);
    stmts_of(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_non_null(strstr(got, "m/2_wrapped.sql:2: BEGIN inside"));
    dm_migfile_free(&mf);
    write_rel("m/2_wrapped.sql", wrapped, strlen(wrapped));
    dm_err err = {0};
    assert_int_equal(dm_migfile_load_ex("m/2_wrapped.sql", 0, &mf, &err), 0);
    assert_true(mf.streamed);
    stmts_of(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_non_null(strstr(got, "m/2_wrapped.sql:2: BEGIN inside"));
    dm_migfile_free(&mf);
    remove_rel("m/2_wrapped.sql");
    /* allowed where the file runs outside a transaction */
    parse_ok("m/3_off.sql", "-- dbmig:transaction off\n-- dbmig:up\nBEGIN;\nSELECT 1;\nCOMMIT;\n",
             &mf);
    stmts_of(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "BEGIN|SELECT 1|COMMIT");
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

/* The streamed loader keeps at most a prefix of a comment line: its
 * decisions must be the in-memory parse's for lines of any length. */
static void test_markers_long_lines(void **st)
{
    (void)st;
    size_t n = 5000;
    char *text = malloc(3 * n + 200);
    assert_non_null(text);
    const char *heads[] = {"-- dbmig:up", "-- +goose Up", "-- dbmig: up", "/* dbmig:up",
                           "-- plain", "--", "-x", "# dbmig:down", "-- dbmig:parents"};
    for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
        static const size_t pads[] = {1000, 1013, 1030};
        for (size_t pi = 0; pi < 3; pi++) {
            size_t pad = pads[pi];
            /* the head, then blanks or words up to past the prefix */
            int o = sprintf(text, "%s", heads[h]);
            for (size_t k = 0; k < pad; k++)
                text[o++] = h == 8 ? (k % 4 == 0 ? ' ' : 'a' + (char)(k % 26)) : (k % 2 ? ' ' : 'y');
            o += sprintf(text + o, "\nSELECT 1;\n-- dbmig:down\nSELECT 2;\n");
            cross_stream("m/1_long.sql", text, (size_t)o);
        }
        /* blanks between `--` and the word, across the prefix */
        int o = sprintf(text, "--");
        for (size_t k = 0; k < 1030; k++)
            text[o++] = ' ';
        o += sprintf(text + o, "%s\nSELECT 1;\n", heads[h] + 2);
        cross_stream("m/1_long.sql", text, (size_t)o);
    }
    /* lines of blanks only, cut by the chunk boundary (nothing of them kept) */
    const char *blanks = "  \t   \t \n-- dbmig:up\n \t \nSELECT 1;\n    \n-- dbmig:down\n\t\t\nSELECT 2;\n";
    cross_stream("m/1_blank.sql", blanks, strlen(blanks));
    /* a \r among more than the prefix of blank bytes, then a marker, nothing
     * or a word: the streamed loader decides as the in-memory parse (its
     * kind comes from the first 1 KiB after the leading blanks) */
    static const char *const tails[] = {"-- dbmig:up", "", "x"};
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        int o = 0;
        for (size_t k = 0; k < 400; k++)
            o += sprintf(text + o, " \t\r");
        o += sprintf(text + o, "%s\nSELECT 1;\n-- dbmig:down\nSELECT 2;\n", tails[t]);
        cross_stream("m/1_long.sql", text, (size_t)o);
    }
    free(text);
}

/* ---- the text pipeline in any chunking -------------------------------------
 * dm_mftext fed in chunks of every size from 1 byte gives the normalised
 * text, the lines (kind, number, offsets, a directive's key and value), the
 * checksum and the errors of the same bytes fed as one chunk. */

static int record_line(void *payload, const dm_mfline *l, int line, size_t ls, size_t next)
{
    dm_buf *b = payload;
    dm_buf_printf(b, "%d:%d:%zu:%zu", l->kind, line, ls, next);
    if (l->kind == MFL_DIRECTIVE)
        dm_buf_printf(b, ":%.*s=%.*s", (int)l->keylen, l->key, (int)l->vallen, l->val);
    dm_buf_puts(b, "\n");
    return 0;
}

static void pipe_run(const char *text, size_t len, size_t chunk, dm_buf *lines, dm_buf *norm,
                     char *sum, dm_buf *msg)
{
    dm_mftext t;
    dm_err err = {0};
    dm_mftext_init(&t, "m/1_x.sql", 1, record_line, lines);
    char *out = malloc(chunk + 3);
    assert_non_null(out);
    size_t i = 0, n = 0;
    int rc;
    do {
        size_t take = len - i < chunk ? len - i : chunk;
        rc = dm_mftext_feed(&t, text + i, take, i + take == len, out, &n, &err);
        if (!rc)
            dm_buf_append(norm, out, n);
        i += take;
    } while (!rc && i < len);
    sum[0] = '\0';
    if (!rc)
        dm_mftext_checksum(&t, sum);
    dm_buf_puts(msg, dm_err_msg(&err));
    free(out);
    dm_mftext_free(&t);
    dm_err_free(&err);
}

static void test_pipeline_any_chunking(void **st)
{
    (void)st;
    char *dir = malloc(1200 + 100);
    assert_non_null(dir);
    int o = sprintf(dir, "-- dbmig:message ");
    for (int k = 0; k < 1200; k++)
        dir[o++] = (char)('a' + k % 26);
    sprintf(dir + o, "  \r\n  \t\n \r x\nSELECT 1;");
    const char *const texts[] = {
        "\xEF\xBB\xBF-- dbmig:revision r1\r\n-- dbmig:up \r\nSELECT 'h\xC3\xA9' ;  \r\n\r\r\n",
        "  \t \n\t-- dbmig:up\n\xF0\x9F\x98\x80 x\r\rx\r",
        "-- dbmig:down\n-- +goose Up\n# dbmig:up\n--- dbmig:up\nx",
        "ok\n\xC3(bad)\n",
        "ok\nbad \xF0\x9F\x98\n",
        "a\nNUL\0here\n",
        "",
        "\r",
        dir,
    };
    const size_t lens[] = {0, 0, 0, 0, 0, 11, 0, 1, 0};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        size_t len = lens[k] ? lens[k] : strlen(texts[k]);
        dm_buf l1 = {0}, n1 = {0}, m1 = {0};
        char s1[DM_CHECKSUM_LEN + 1];
        pipe_run(texts[k], len, len + 1, &l1, &n1, s1, &m1);
        if (!m1.len) {
            char s0[DM_CHECKSUM_LEN + 1];
            dm_checksum(texts[k], len, s0);
            assert_string_equal(s0, s1);
        }
        for (size_t chunk = 1; chunk <= len + 1; chunk += chunk < 40 ? 1 : 97) {
            dm_buf l2 = {0}, n2 = {0}, m2 = {0};
            char s2[DM_CHECKSUM_LEN + 1];
            pipe_run(texts[k], len, chunk, &l2, &n2, s2, &m2);
            assert_string_equal(dm_buf_str(&m1), dm_buf_str(&m2));
            if (!m1.len) {
                assert_string_equal(dm_buf_str(&l1), dm_buf_str(&l2));
                assert_int_equal(n1.len, n2.len);
                assert_memory_equal(dm_buf_str(&n1), dm_buf_str(&n2), n1.len);
                assert_string_equal(s1, s2);
            }
            dm_buf_free(&l2);
            dm_buf_free(&n2);
            dm_buf_free(&m2);
        }
        dm_buf_free(&l1);
        dm_buf_free(&n1);
        dm_buf_free(&m1);
    }
    free(dir);
}

/* ---- verify and fixture sections, `irreversible` (SPEC section 12) ------- */

static void test_verify_fixture_sections(void **st)
{
    (void)st;
    dm_migfile mf;
    char got[1024];
    const char *text = "-- dbmig:message with checks\n"
                       "-- dbmig:up\n"
                       "CREATE TABLE t (id integer);\n"
                       "-- dbmig:verify\n"
                       "SELECT id FROM t;\n"
                       "SELECT count(*) FROM t;\n"
                       "-- dbmig:Verify PostgreSQL\n"
                       "SELECT 1/0 WHERE NOT EXISTS (SELECT 1 FROM t);\n"
                       "-- dbmig:fixture\n"
                       "INSERT INTO t VALUES (1);\n"
                       "-- dbmig:FIXTURE mysql\n"
                       "-- dbmig:down\n"
                       "DROP TABLE t;\n";
    parse_ok("m/1_vf.sql", text, &mf);
    assert_int_equal(mf.nsections, 6);
    assert_int_equal(mf.irreversible, 0);
    assert_string_equal(dm_section_kind_name(DM_VERIFY), "verify");
    assert_string_equal(dm_section_kind_name(DM_FIXTURE), "fixture");
    assert_string_equal(dm_section_kind_name(9), "?");
    /* a driver's own section wins over the generic one */
    const dm_section *s = dm_migfile_section(&mf, DM_VERIFY, "sqlite");
    assert_non_null(s);
    assert_null(s->driver);
    assert_int_equal(s->marker_line, 4);
    assert_int_equal(s->line, 5);
    s = dm_migfile_section(&mf, DM_VERIFY, "postgres");
    assert_string_equal(s->driver, "postgres");
    assert_int_equal(s->marker_line, 7);
    stmts_of(&mf, DM_VERIFY, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "SELECT id FROM t|SELECT count(*) FROM t");
    stmts_of(&mf, DM_VERIFY, "postgres", DBMIG_DIALECT_POSTGRES, got, sizeof got);
    assert_string_equal(got, "SELECT 1/0 WHERE NOT EXISTS (SELECT 1 FROM t)");
    stmts_of(&mf, DM_FIXTURE, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "INSERT INTO t VALUES (1)");
    /* an explicitly empty fixture section for mysql: found, nothing in it */
    stmts_of(&mf, DM_FIXTURE, "mysql", DBMIG_DIALECT_MYSQL, got, sizeof got);
    assert_string_equal(got, "");
    /* the sections around them keep their own statements */
    stmts_of(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "CREATE TABLE t (id integer)");
    stmts_of(&mf, DM_DOWN, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "DROP TABLE t");
    /* the statements' lines are the file's */
    dm_stmt_list l = {0};
    dm_err err = {0};
    int found = 0;
    assert_int_equal(dm_migfile_statements(&mf, DM_VERIFY, "mysql", DBMIG_DIALECT_MYSQL, &l,
                                           &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[1].line, 6);
    dm_stmt_list_free(&l);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "sqlite", &err), 0);
    dm_migfile_free(&mf);

    /* no verify section: not found, no error */
    parse_ok("m/2_plain.sql", "-- dbmig:up\nSELECT 1;\n", &mf);
    stmts_of(&mf, DM_VERIFY, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_string_equal(got, "<no section>");
    dm_migfile_free(&mf);

    /* the checksum covers every section: editing a verify section is an edit */
    char a[DM_CHECKSUM_LEN + 1], b[DM_CHECKSUM_LEN + 1];
    dm_checksum(text, strlen(text), a);
    char *edited = strdup(text);
    *strstr(edited, "count(*)") = 'C';
    dm_checksum(edited, strlen(edited), b);
    assert_string_not_equal(a, b);
    free(edited);

    /* a verify section for an unknown driver: did you mean, naming verify */
    parse_ok("m/3_typo.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verify postgress\nSELECT 2;\n",
             &mf);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, NULL, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "m/3_typo.sql:3: -- dbmig:verify postgress names "
                                             "no known driver (did you mean postgres?)"));
    dm_migfile_free(&mf);
    /* only a verify section for this driver, no up: refused like before */
    parse_ok("m/4_only.sql", "-- dbmig:up postgres\nSELECT 1;\n-- dbmig:verify sqlite\n"
                             "SELECT 2;\n", &mf);
    assert_int_equal(dm_migfile_check_drivers(&mf, NULL, "sqlite", &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "no section of this file runs on driver sqlite"));
    dm_migfile_free(&mf);
    /* a BEGIN in a verify section of a transactional file is refused too */
    parse_ok("m/5_tx.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verify\nBEGIN;\n", &mf);
    stmts_of(&mf, DM_VERIFY, "sqlite", DBMIG_DIALECT_SQLITE, got, sizeof got);
    assert_non_null(strstr(got, "m/5_tx.sql:4: BEGIN inside a migration"));
    dm_migfile_free(&mf);
    dm_err_free(&err);
}

static void test_verify_fixture_errors(void **st)
{
    (void)st;
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verify\nSELECT 2;\n"
                 "-- dbmig:verify\nSELECT 3;\n",
                 "m/1_a.sql:5:", "a second -- dbmig:verify section (the first is at line 3)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:fixture sqlite\n"
                 "-- dbmig:fixture SQLite3\n",
                 "m/1_a.sql:4:", "a second -- dbmig:fixture sqlite section");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verify SELECT 1\n",
                 "m/1_a.sql:3:", "'SELECT 1' is not a driver name in -- dbmig:verify");
    /* SQL before a verify marker: the up marker is missing */
    EXPECT_ERROR("m/1_a.sql", "CREATE TABLE t (a int);\n-- dbmig:verify\nSELECT a FROM t;\n",
                 "m/1_a.sql:1: SQL comes before the first section marker (-- dbmig:verify at "
                 "line 2)", "Put -- dbmig:up above it");
    /* only verify / fixture sections: nothing would be applied */
    EXPECT_ERROR("m/1_a.sql", "-- c\n-- dbmig:fixture\nINSERT INTO t VALUES (1);\n",
                 "m/1_a.sql:2:", "a -- dbmig:fixture section but no -- dbmig:up section");
    /* near-misses: did you mean */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verfy\nSELECT 2;\n",
                 "m/1_a.sql:3:", "unknown key -- dbmig:verfy (did you mean -- dbmig:verify?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verfiy\nSELECT 2;\n",
                 "m/1_a.sql:3:", "(did you mean -- dbmig:verify?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:fixtures\nSELECT 2;\n",
                 "m/1_a.sql:3:", "unknown key -- dbmig:fixtures (did you mean -- dbmig:fixture?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:fixure\nSELECT 2;\n",
                 "m/1_a.sql:3:", "(did you mean -- dbmig:fixture?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig verify\nSELECT 2;\n",
                 "m/1_a.sql:3:", "follows dbmig and a colon). Write it as -- dbmig:verify");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig: fixture mysql\nSELECT 2;\n",
                 "m/1_a.sql:3:", "Write it as -- dbmig:fixture mysql");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n# dbmig:verify\nSELECT 2;\n",
                 "m/1_a.sql:3:", "not a # comment). Write it as -- dbmig:verify");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verify:\nSELECT 2;\n",
                 "m/1_a.sql:3: '-- dbmig:verify:' puts ':' after the key", "Write -- dbmig:verify");
}

/* `-- dbmig:phase pre|post` (SPEC section 14): strict, like every key. */
static void test_phase(void **st)
{
    (void)st;
    dm_migfile mf;
    parse_ok("m/1_post.sql", "-- dbmig:phase post\n-- dbmig:up\nALTER TABLE t DROP COLUMN a;\n",
             &mf);
    assert_int_equal(mf.post, 1);
    assert_int_equal(mf.header_line, 1);
    dm_migfile_free(&mf);
    parse_ok("m/2_pre.sql", "-- dbmig:phase pre\nSELECT 1;\n", &mf);
    assert_int_equal(mf.post, 0);
    dm_migfile_free(&mf);
    parse_ok("m/3_none.sql", "SELECT 1;\n", &mf);
    assert_int_equal(mf.post, 0);
    dm_migfile_free(&mf);
    parse_ok("m/4_case.sql", "-- DBMIG:Phase POST\nSELECT 1;\n", &mf);
    assert_int_equal(mf.post, 1);
    dm_migfile_free(&mf);
    EXPECT_ERROR("m/1_a.sql", "-- c\n-- dbmig:phase later\nSELECT 1;\n",
                 "m/1_a.sql:2: -- dbmig:phase must be `pre` or `post`, not 'later'",
                 "Write -- dbmig:phase post");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:phase\nSELECT 1;\n", "m/1_a.sql:1:",
                 "-- dbmig:phase needs a value, `pre` or `post`");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:phase post\n-- dbmig:phase pre\nSELECT 1;\n",
                 "m/1_a.sql:2:", "duplicate header key -- dbmig:phase");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:phase post\n", "m/1_a.sql:3:",
                 "after the first section marker");
    EXPECT_ERROR("m/1_a.sql", "SELECT 1;\n-- dbmig:phase post\n", "m/1_a.sql:2:",
                 "after SQL began");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:phase: post\nSELECT 1;\n", "m/1_a.sql:1:",
                 "Write -- dbmig:phase post");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig phase post\nSELECT 1;\n", "m/1_a.sql:1:",
                 "Write it as -- dbmig:phase post");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:phases post\nSELECT 1;\n", "m/1_a.sql:1:",
                 "(did you mean -- dbmig:phase?)");
}

static void test_irreversible(void **st)
{
    (void)st;
    dm_migfile mf;
    parse_ok("m/1_irr.sql", "-- dbmig:message drop the old table\n-- DBMIG:Irreversible\n"
                            "-- dbmig:up\nDROP TABLE old;\n-- dbmig:verify\nSELECT 1;\n",
             &mf);
    assert_int_equal(mf.irreversible, 1);
    assert_int_equal(mf.header_line, 1);
    assert_null(dm_migfile_section(&mf, DM_DOWN, "sqlite"));
    dm_migfile_free(&mf);
    /* without markers: the body is the up section */
    parse_ok("m/2_irr.sql", "-- dbmig:irreversible\nDROP TABLE old;\n", &mf);
    assert_int_equal(mf.irreversible, 1);
    assert_int_equal(mf.header_line, 1);
    assert_int_equal(mf.nsections, 1);
    assert_int_equal(mf.sections[0].line, 2);
    dm_migfile_free(&mf);
    parse_ok("m/3_rev.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:down\nSELECT 2;\n", &mf);
    assert_int_equal(mf.irreversible, 0);
    dm_migfile_free(&mf);

    /* a value: refused, whatever it says */
    static const char *const values[] = {"true", "yes", "off", "false", "1"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char text[128], want[96];
        snprintf(text, sizeof text, "-- c\n-- dbmig:irreversible %s\nDROP TABLE old;\n",
                 values[i]);
        snprintf(want, sizeof want, "takes no value, not '%s'", values[i]);
        EXPECT_ERROR("m/1_a.sql", text, "m/1_a.sql:2: -- dbmig:irreversible", want);
    }
    /* written as YAML or INI */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:irreversible: true\nDROP TABLE old;\n",
                 "m/1_a.sql:1: '-- dbmig:irreversible: true' puts ':' after the key",
                 "Write -- dbmig:irreversible alone: it takes no value");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:irreversible=true\nDROP TABLE old;\n",
                 "m/1_a.sql:1:", "puts '=' after the key");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:transaction: off\nSELECT 1;\n", "m/1_a.sql:1:",
                 "Write -- dbmig:transaction off");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:transaction=off\nSELECT 1;\n", "m/1_a.sql:1:",
                 "Write -- dbmig:transaction off");
    /* misspelt */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:irreversable\nDROP TABLE old;\n", "m/1_a.sql:1:",
                 "unknown key -- dbmig:irreversable (did you mean -- dbmig:irreversible?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:ireversible\nDROP TABLE old;\n", "m/1_a.sql:1:",
                 "(did you mean -- dbmig:irreversible?)");
    /* with a down section (any driver's, even empty): remove one */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:irreversible\n-- dbmig:up\nDROP TABLE old;\n"
                 "-- dbmig:down\nCREATE TABLE old (a int);\n",
                 "m/1_a.sql:4: the file has a -- dbmig:down section but is marked "
                 "-- dbmig:irreversible (line 1): remove one", "or the irreversible line");
    EXPECT_ERROR("m/1_a.sql", "-- c\n-- dbmig:irreversible\n-- dbmig:up\nSELECT 1;\n"
                 "-- dbmig:down postgres\n",
                 "m/1_a.sql:5: the file has a -- dbmig:down postgres section", "(line 2)");
    /* in the wrong place, twice, as a down section's driver */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:irreversible\n",
                 "m/1_a.sql:3:", "after the first section marker");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:irreversible\n-- dbmig:irreversible\nSELECT 1;\n",
                 "m/1_a.sql:2:", "duplicate header key");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:down irreversible\n",
                 "m/1_a.sql:3: -- dbmig:down irreversible", "Write -- dbmig:irreversible in "
                 "the header");
}

/* ---- `-- dbmig:destructive <what>` (dbmig diff's marker, SPEC 13) ---------- */

/* The statements of a section: the marker line is dropped with the
 * statement's leading comments; the line is the statement's own. */
static void test_destructive(void **st)
{
    (void)st;
    dm_migfile mf;
    parse_ok("m/1_d.sql", "-- dbmig:up\n-- dbmig:destructive drops table old and its rows\n"
                          "DROP TABLE old;\nCREATE TABLE n (a int);\n-- dbmig:down\n"
                          "-- DBMIG:Destructive drops table n\nDROP TABLE n;\n",
             &mf);
    dm_stmt_list l = {0};
    dm_err e = {0};
    int found = 0;
    assert_int_equal(dm_migfile_statements(&mf, DM_UP, "sqlite", DBMIG_DIALECT_SQLITE, &l,
                                           &found, &e),
                     0);
    assert_int_equal(found, 1);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].sql, "DROP TABLE old");
    assert_int_equal(l.v[0].line, 3);
    assert_string_equal(l.v[1].sql, "CREATE TABLE n (a int)");
    assert_int_equal(l.v[1].line, 4);
    dm_stmt_list_free(&l);
    memset(&l, 0, sizeof l);
    assert_int_equal(dm_migfile_statements(&mf, DM_DOWN, "postgres", DBMIG_DIALECT_POSTGRES, &l,
                                           &found, &e),
                     0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].sql, "DROP TABLE n");
    assert_int_equal(l.v[0].line, 7);
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);
    /* a file without markers: the implicit up section's, after the header */
    parse_ok("m/2_d.sql", "-- dbmig:message drop it\n-- dbmig:destructive drops table old\n"
                          "DROP TABLE old;\n",
             &mf);
    assert_int_equal(mf.nsections, 1);
    assert_string_equal(mf.message, "drop it");
    memset(&l, 0, sizeof l);
    assert_int_equal(dm_migfile_statements(&mf, DM_UP, NULL, DBMIG_DIALECT_SQLITE, &l, &found,
                                           &e),
                     0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].line, 3);
    dm_stmt_list_free(&l);
    dm_migfile_free(&mf);
    /* per-driver sections too; the checksum sees the line (it is text) */
    parse_ok("m/3_d.sql", "-- dbmig:up sqlite\n-- dbmig:destructive drops column t.c\n"
                          "ALTER TABLE t DROP COLUMN c;\n",
             &mf);
    dm_migfile_free(&mf);
    dm_err_free(&e);
}

static void test_destructive_errors(void **st)
{
    (void)st;
    /* in the header: before the first marker, or before a header key */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:destructive drops table old\n-- dbmig:up\nDROP TABLE old;\n",
                 "m/1_a.sql:1: -- dbmig:destructive is in the header", "move it there");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:message m\n-- dbmig:destructive drops table old\n"
                 "-- dbmig:transaction off\nDROP TABLE old;\n",
                 "m/1_a.sql:2: -- dbmig:destructive is in the header", "on the line above");
    /* marking no statement: before the next marker, or at the end */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nCREATE TABLE a (x int);\n-- dbmig:destructive drops a\n"
                 "-- dbmig:down\nDROP TABLE a;\n",
                 "m/1_a.sql:3: -- dbmig:destructive marks no statement", "line above the statement");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nCREATE TABLE a (x int);\n-- dbmig:down\n"
                 "DROP TABLE a;\n-- dbmig:destructive drops a\n-- a comment\n",
                 "m/1_a.sql:5: -- dbmig:destructive marks no statement", "or remove it");
    /* no value */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\n-- dbmig:destructive\nDROP TABLE old;\n",
                 "m/1_a.sql:2: -- dbmig:destructive needs to say what", "drops column");
    /* in a verify or fixture section */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:verify\n"
                 "-- dbmig:destructive reads\nSELECT 2;\n",
                 "m/1_a.sql:4:", "not of a verify section");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\nSELECT 1;\n-- dbmig:fixture\n"
                 "-- dbmig:destructive x\nINSERT INTO t VALUES (1);\n",
                 "m/1_a.sql:4:", "not of a fixture section");
    /* near misses: did you mean, glued, not written as a marker */
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\n-- dbmig:destructve drops t\nDROP TABLE t;\n",
                 "m/1_a.sql:2:", "(did you mean -- dbmig:destructive?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\n-- dbmig:destuctive drops t\nDROP TABLE t;\n",
                 "m/1_a.sql:2:", "(did you mean -- dbmig:destructive?)");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\n-- dbmig:destructive: drops t\nDROP TABLE t;\n",
                 "m/1_a.sql:2: '-- dbmig:destructive: drops t' puts ':' after the key",
                 "Write -- dbmig:destructive drops t");
    EXPECT_ERROR("m/1_a.sql", "-- dbmig:up\n-- dbmig: destructive drops t\nDROP TABLE t;\n",
                 "m/1_a.sql:2:", "Write it as -- dbmig:destructive drops t");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_header),
        cmocka_unit_test(test_defaults_from_file_name),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_section_errors_and_selection),
        cmocka_unit_test(test_empty_files),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_bom_crlf),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_rev_ids),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_stream_edge_lines),
        cmocka_unit_test(test_stream_changed_file),
        cmocka_unit_test(test_stream_threshold),
        cmocka_unit_test(test_markers_any_case),
        cmocka_unit_test(test_markers_near_misses),
        cmocka_unit_test(test_markers_foreign),
        cmocka_unit_test(test_markers_drivers),
        cmocka_unit_test(test_markers_transaction_control),
        cmocka_unit_test(test_markers_long_lines),
        cmocka_unit_test(test_pipeline_any_chunking),
        cmocka_unit_test(test_verify_fixture_sections),
        cmocka_unit_test(test_verify_fixture_errors),
        cmocka_unit_test(test_irreversible),
        cmocka_unit_test(test_phase),
        cmocka_unit_test(test_destructive),
        cmocka_unit_test(test_destructive_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
