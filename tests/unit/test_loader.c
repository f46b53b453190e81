/* test_loader.c — the plugin loader: finding, loading, refusing (core/loader.c).
 * Uses the fixture plugins of tests/fixtures (DBMIG_FIXTURE_PLUGIN_DIR) and
 * the real SQLite plugin (DBMIG_PLUGIN_DIR). */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

#define FIX DBMIG_FIXTURE_PLUGIN_DIR
#define PLUG DBMIG_PLUGIN_DIR

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* Loads `name` from `path`, expects a refusal, returns the message (owned by e). */
static const char *expect_refusal(const char *path, const char *name, dm_err *e)
{
    dm_plugin *p = NULL;
    int rc = dm_plugin_load(path, name, &p, e);
    assert_int_equal(rc, DBMIG_EUSAGE);
    assert_null(p);
    return dm_err_msg(e);
}

/* The installed plugin folder: with no plugin_path it is the first one searched. */
static char *install_dir(void)
{
    dm_buf b = {0};
    assert_int_equal(dm_plugin_search_dirs(NULL, &b), DBMIG_OK);
    char *s = dm_buf_take(&b);
    assert_non_null(s);
    char *comma = strstr(s, ", ");
    if (comma)
        *comma = '\0';
    assert_true(s[0] == '/');
    return s;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    FILE *in = fopen(from, "rb");
    assert_non_null(in);
    FILE *out = fopen(to, "wb");
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    assert_int_equal(chmod(to, mode), 0);
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/dbmig-loader-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_tmpdir(char *dir, const char *const *files)
{
    chmod(dir, 0700);
    for (size_t i = 0; files[i]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

/* ---- refusals ----------------------------------------------------------- */

static void test_bad_abi(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "badabi", &e);
    assert_contains(m, FIX "/dbmig_badabi.so");
    assert_contains(m, "ABI 99.0");
    char speaks[64]; /* this dbmig's own ABI */
    snprintf(speaks, sizeof speaks, "speaks ABI %d.%d", DBMIG_DRIVER_ABI_MAJOR, DBMIG_DRIVER_ABI_MINOR);
    assert_contains(m, speaks);
    assert_contains(m, "rebuild the plugin");
    dm_err_free(&e);
}

static void test_no_entry(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "noentry", &e);
    assert_contains(m, FIX "/dbmig_noentry.so");
    assert_contains(m, "has no symbol dbmig_driver_entry_noentry: not a dbmig driver, or built "
                       "for another version?");
    dm_err_free(&e);
}

static void test_wrong_name(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "wrongname", &e);
    assert_contains(m, FIX "/dbmig_wrongname.so");
    assert_contains(m, "'notwrongname'");
    assert_contains(m, "'wrongname'");
    dm_err_free(&e);
}

static void test_tiny_table(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "tiny", &e);
    assert_contains(m, FIX "/dbmig_tiny.so");
    assert_contains(m, "too small");
    assert_contains(m, "2.0");
    dm_err_free(&e);
}

static void test_null_function(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "nullfn", &e);
    assert_contains(m, FIX "/dbmig_nullfn.so");
    assert_contains(m, "required function exec");
    dm_err_free(&e);
}

/* An ABI 1 plugin: refused by name, with both ABIs and what to do. */
static void test_abi1_refused(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "abi1", &e);
    assert_contains(m, FIX "/dbmig_abi1.so");
    assert_contains(m, "built for driver ABI 1.0");
    assert_contains(m, "speaks ABI 2.3");
    assert_contains(m, "rebuild the plugin against this dbmig's <dbmig/driver.h>");
    assert_contains(m, "plugins/README.md");
    dm_err_free(&e);
}

static void test_init_without_fini(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "initonly", &e);
    assert_contains(m, FIX "/dbmig_initonly.so");
    assert_contains(m, "has init but not fini");
    dm_err_free(&e);
}

/* A driver whose init fails: the command fails naming the driver, its file
 * and its words, as kind DRIVER, and fini is never called (the fixture's
 * fini crashes). */
static void test_init_fails(void **state)
{
    (void)state;
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = "initfail:nowhere";
    o.plugin_path = FIX;
    o.dir = ".";
    dbmig *h = NULL;
    assert_int_equal(dbmig_open(&h, &o), DBMIG_OK);
    dbmig_status *st = NULL;
    assert_int_not_equal(dbmig_status_get(h, &st), DBMIG_OK);
    assert_null(st);
    const char *m = dbmig_errmsg(h);
    assert_contains(m, "driver initfail (" FIX "/dbmig_initfail.so) could not start");
    assert_contains(m, "no licence for this driver");
    assert_contains(m, "ask your vendor");
    dbmig_error_info ei = DBMIG_ERROR_INFO_INIT;
    assert_int_equal(dbmig_last_error(h, &ei), DBMIG_OK);
    assert_int_equal(ei.kind, DBMIG_KIND_DRIVER);
    dbmig_close(h);
}

/* The one list of required methods: each, set to NULL in an otherwise
 * good table, is refused by its name (the same check as the loader's). */
static void test_each_required_method(void **state)
{
    (void)state;
    dm_plugin *p = NULL;
    dm_err e = {0};
    assert_int_equal(dm_plugin_load(PLUG, "sqlite", &p, &e), DBMIG_OK);
    const dbmig_driver *real = dm_plugin_driver(p);
    assert_int_equal(dm_driver_check("x.so", "sqlite", real, &e), DBMIG_OK);
    static const struct {
        const char *name;
        size_t off;
    } req[] = {
#define R(m) {#m, offsetof(dbmig_driver, m)}
        R(connect), R(close), R(exec), R(query), R(begin), R(commit), R(rollback),
        R(try_lock), R(unlock), R(table_exists), R(quote_ident), R(quote_literal),
        R(last_error),
#undef R
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        dbmig_driver t = *real;
        memset((char *)&t + req[i].off, 0, sizeof(void (*)(void)));
        assert_int_equal(dm_driver_check("x.so", "sqlite", &t, &e), DBMIG_EUSAGE);
        char want[80];
        snprintf(want, sizeof want, "lacks the required function %s ", req[i].name);
        assert_contains(dm_err_msg(&e), want);
        assert_contains(dm_err_msg(&e), "x.so");
        dm_err_clear(&e);
    }
    /* optional ones may be NULL */
    dbmig_driver t = *real;
    t.column_exists = NULL, t.index_exists = NULL, t.server_version = NULL;
    t.conn_caps = NULL, t.cancel = NULL, t.sql = NULL;
    assert_int_equal(dm_driver_check("x.so", "sqlite", &t, &e), DBMIG_OK);
    dm_err_free(&e);
    dm_plugin_unload(p);
}

/* ABI 2.2 (an enum kind, no method): a table of every earlier minor still
 * loads at the size of its own minor, a 2.2 table needs no more than a
 * 2.1 one, and a table smaller than its declared minor is refused. */
static void test_older_minors_load(void **state)
{
    (void)state;
    dm_plugin *p = NULL;
    dm_err e = {0};
    assert_int_equal(dm_plugin_load(PLUG, "sqlite", &p, &e), DBMIG_OK);
    const dbmig_driver *real = dm_plugin_driver(p);
    assert_int_equal(real->abi_minor, 3);
    static const struct {
        uint16_t minor;
        size_t size;
        int ok;
    } cases[] = {
        {0, DBMIG_DRIVER_SIZE_2_0, 1}, {1, DBMIG_DRIVER_SIZE_2_1, 1},
        {2, DBMIG_DRIVER_SIZE_2_2, 1}, {2, DBMIG_DRIVER_SIZE_2_1, 1}, {3, DBMIG_DRIVER_SIZE_2_3, 1},
        {1, DBMIG_DRIVER_SIZE_2_0, 0}, {2, DBMIG_DRIVER_SIZE_2_0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dbmig_driver t = *real;
        t.abi_minor = cases[i].minor;
        t.size = (uint32_t)cases[i].size;
        int rc = dm_driver_check("x.so", "sqlite", &t, &e);
        if (cases[i].ok) {
            assert_int_equal(rc, DBMIG_OK);
        } else {
            assert_int_equal(rc, DBMIG_EUSAGE);
            assert_contains(dm_err_msg(&e), "too small");
            dm_err_clear(&e);
        }
    }
    dm_err_free(&e);
    dm_plugin_unload(p);
}

/* An optional method or a dialect SQL string is read only through the
 * accessors, which stop at the table's declared size. */
static void test_optional_accessors(void **state)
{
    (void)state;
    dm_plugin *p = NULL;
    dm_err e = {0};
    assert_int_equal(dm_plugin_load(PLUG, "sqlite", &p, &e), DBMIG_OK);
    const dbmig_driver *real = dm_plugin_driver(p);
    assert_non_null(DM_DRV_OPT(real, cancel));
    assert_non_null(DM_DRV_SQL(real, lease_now_ms));
    dbmig_driver t = *real;
    t.size = (uint32_t)offsetof(dbmig_driver, cancel); /* as if cancel came later */
    assert_null(DM_DRV_OPT(&t, cancel));
    assert_null(DM_DRV_OPT(&t, conn_caps)); /* sqlite has none */
    dbmig_dialect_sql q = *real->sql;
    q.size = (uint32_t)offsetof(dbmig_dialect_sql, lease_now_ms); /* an older, shorter one */
    t.sql = &q;
    assert_null(DM_DRV_SQL(&t, lease_now_ms));
    assert_non_null(DM_DRV_SQL(&t, savepoint));
    t.sql = NULL;
    assert_null(DM_DRV_SQL(&t, savepoint));
    dm_err_free(&e);
    dm_plugin_unload(p);
}

/* A plugin that declares the scheme lsql (plugins/example's litesql) is
 * the one an lsql: URL loads; no plugin is named dbmig_lsql.so. */
static void test_scheme_declared_lsql(void **state)
{
    (void)state;
    dm_plugin *p = NULL;
    dm_err e = {0};
    assert_int_equal(dm_plugin_load_scheme(FIX, "lsql", &p, &e), DBMIG_OK);
    assert_string_equal(dm_plugin_driver(p)->name, "litesql");
    assert_contains(dm_plugin_file(p), FIX "/dbmig_litesql.so");
    dm_plugin_unload(p);
    dm_err_free(&e);
}

static void test_invalid_names(void **state)
{
    (void)state;
    const char *bad[] = {"", "Sqlite", "../sqlite", "sq-lite", "a/b", "x.so", NULL};
    for (size_t i = 0; bad[i]; i++) {
        dm_err e = {0};
        const char *m = expect_refusal(PLUG, bad[i], &e);
        assert_contains(m, "invalid driver name");
        dm_err_free(&e);
    }
    dm_err e = {0};
    dm_plugin *p = NULL;
    assert_int_equal(dm_plugin_load(PLUG, NULL, &p, &e), DBMIG_EUSAGE);
    dm_err_free(&e);
}

static void test_not_found_lists_dirs(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal("/nonexistent/one::/nonexistent/two/", "nosuch", &e);
    assert_contains(m, "no driver 'nosuch'");
    assert_contains(m, "dbmig_nosuch.so");
    assert_contains(m, "/nonexistent/one, /nonexistent/two, ");
    char *inst = install_dir();
    assert_contains(m, inst);
    free(inst);
    assert_contains(m, "--plugin-dir");
    dm_err_free(&e);
}

static void test_world_writable(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char file[4096];
    snprintf(file, sizeof file, "%s/dbmig_sqlite.so", dir);
    copy_file(PLUG "/dbmig_sqlite.so", file, 0644);

    /* the folder writable by everyone */
    assert_int_equal(chmod(dir, 0777), 0);
    dm_err e = {0};
    const char *m = expect_refusal(dir, "sqlite", &e);
    assert_contains(m, "refusing to load");
    assert_contains(m, file);
    assert_contains(m, "writable by everyone");
    assert_contains(m, "chmod o-w");

    /* the file writable by everyone */
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(chmod(file, 0666), 0);
    m = expect_refusal(dir, "sqlite", &e);
    assert_contains(m, "refusing to load ");
    assert_contains(m, file);
    assert_contains(m, "it is writable by everyone; chmod o-w it");

    /* fixed: it loads, from that folder (it comes first in the path) */
    assert_int_equal(chmod(file, 0644), 0);
    dm_plugin *p = NULL;
    assert_int_equal(dm_plugin_load(dir, "sqlite", &p, &e), DBMIG_OK);
    assert_string_equal(dm_plugin_file(p), file);
    dm_plugin_unload(p);

    dm_err_free(&e);
    const char *files[] = {"dbmig_sqlite.so", NULL};
    rm_tmpdir(dir, files);
}

/* The first file of a name on the path is the one: a refusal there is final,
 * the loader does not fall back to a later folder. */
static void test_first_found_is_final(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(chmod(dir, 0755), 0);
    char file[4096], path[8192];
    snprintf(file, sizeof file, "%s/dbmig_sqlite.so", dir);
    copy_file(FIX "/dbmig_badabi.so", file, 0644);
    snprintf(path, sizeof path, "%s:%s", dir, PLUG);
    dm_err e = {0};
    const char *m = expect_refusal(path, "sqlite", &e);
    assert_contains(m, file);
    dm_err_free(&e);
    const char *files[] = {"dbmig_sqlite.so", NULL};
    rm_tmpdir(dir, files);
}

/* ---- loading ------------------------------------------------------------ */

static void test_load_sqlite(void **state)
{
    (void)state;
    dm_err e = {0};
    dm_plugin *p = NULL;
    assert_int_equal(dm_plugin_load("/nonexistent:" PLUG, "sqlite", &p, &e), DBMIG_OK);
    const dbmig_driver *d = dm_plugin_driver(p);
    assert_non_null(d);
    assert_string_equal(d->name, "sqlite");
    assert_int_equal(d->abi_major, DBMIG_DRIVER_ABI_MAJOR);
    assert_int_equal(d->dialect, DBMIG_DIALECT_SQLITE);
    assert_true(d->caps & DBMIG_CAP_TRANSACTIONAL_DDL);
    assert_string_equal(dm_plugin_file(p), PLUG "/dbmig_sqlite.so");

    /* loading twice at once works (libltdl counts) */
    dm_plugin *q = NULL;
    assert_int_equal(dm_plugin_load(PLUG, "sqlite", &q, &e), DBMIG_OK);
    assert_ptr_equal(dm_plugin_driver(q), d);
    dm_plugin_unload(q);
    dm_plugin_unload(p);
    dm_plugin_unload(NULL);
    dm_err_free(&e);
}

static void test_load_file(void **state)
{
    (void)state;
    dm_err e = {0};
    dm_plugin *p = NULL;
    /* the name comes from the file name when not given */
    assert_int_equal(dm_plugin_load_file(PLUG "/dbmig_sqlite.so", NULL, &p, &e), DBMIG_OK);
    assert_string_equal(dm_plugin_driver(p)->name, "sqlite");
    dm_plugin_unload(p);

    p = NULL;
    assert_int_equal(dm_plugin_load_file(PLUG "/libsomething.so", NULL, &p, &e), DBMIG_EUSAGE);
    assert_contains(dm_err_msg(&e), "dbmig_<name>.so");
    assert_int_equal(dm_plugin_load_file(PLUG "/dbmig_missing.so", "missing", &p, &e),
                     DBMIG_EUSAGE);
    assert_contains(dm_err_msg(&e), PLUG "/dbmig_missing.so");
    assert_null(p);
    dm_err_free(&e);
}

/* A plugin whose client library is not installed (as Debian's dbmig with
 * --no-install-recommends and no libpq5): the refusal names the library
 * that is missing, not libltdl's "file not found". */
static void test_missing_dependency(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "needslib", &e);
    assert_contains(m, FIX "/dbmig_needslib.so");
    assert_contains(m, "libfxgone.so: cannot open shared object file");
    assert_contains(m, "install the library named");
    dm_err_free(&e);
}

/* A required function that is NULL (table_exists, which the core called
 * blindly: exit 139) is refused at load time, naming the file and the
 * function. */
static void test_null_table_exists(void **state)
{
    (void)state;
    dm_err e = {0};
    const char *m = expect_refusal(FIX, "nulltable", &e);
    assert_contains(m, FIX "/dbmig_nulltable.so");
    assert_contains(m, "table_exists");
    assert_contains(m, "NULL");
    dm_err_free(&e);
}

/* URL schemes route to the one plugin declaring them; several is a
 * refusal naming them; none gets the nearest name; a plugin named after
 * the scheme wins. */
static void test_scheme_routing(void **state)
{
    (void)state;
    dm_err e = {0};
    dm_plugin *p = NULL;
    assert_int_equal(dm_plugin_load_scheme(FIX, "fxr", &p, &e), DBMIG_OK);
    assert_string_equal(dm_plugin_driver(p)->name, "fxroute");
    dm_plugin_unload(p);
    p = NULL;
    assert_int_equal(dm_plugin_load_scheme(FIX, "fxother", &p, &e), DBMIG_OK);
    assert_string_equal(dm_plugin_driver(p)->name, "fxother");
    dm_plugin_unload(p);
    p = NULL;
    assert_int_equal(dm_plugin_load_scheme(FIX, "fxshared", &p, &e), DBMIG_EUSAGE);
    assert_null(p);
    assert_contains(dm_err_msg(&e), "declared by 2 drivers");
    assert_contains(dm_err_msg(&e), "fxother");
    assert_contains(dm_err_msg(&e), "fxroute");
    assert_contains(dm_err_msg(&e), "--driver");
    dm_err_free(&e);
    assert_int_equal(dm_plugin_load_scheme(FIX, "fxrr", &p, &e), DBMIG_EUSAGE);
    assert_contains(dm_err_msg(&e), "no driver for URL scheme 'fxrr'");
    assert_contains(dm_err_msg(&e), "did you mean 'fxr:'");
    dm_err_free(&e);
    /* the real drivers declare their aliases */
    assert_int_equal(dm_plugin_load_scheme(PLUG, "mariadb", &p, &e), DBMIG_OK);
    assert_string_equal(dm_plugin_driver(p)->name, "mysql");
    dm_plugin_unload(p);
    p = NULL;
    assert_int_equal(dm_plugin_load_scheme(PLUG, "postgresql", &p, &e), DBMIG_OK);
    assert_string_equal(dm_plugin_driver(p)->name, "postgres");
    dm_plugin_unload(p);
    dm_err_free(&e);
}

static void test_search_dirs(void **state)
{
    (void)state;
    dm_buf b = {0};
    assert_int_equal(dm_plugin_search_dirs("/a/b/:rel/dir::/a/b", &b), DBMIG_OK);
    const char *s = dm_buf_str(&b);
    assert_true(strncmp(s, "/a/b, /", 7) == 0); /* duplicates and empties dropped */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char want[8192];
    snprintf(want, sizeof want, "%s/rel/dir, ", strcmp(cwd, "/") ? cwd : "");
    assert_contains(s, want); /* relative made absolute */
    char *inst = install_dir();
    assert_contains(s, inst);
    free(inst);
    /* last: the folder beside the code itself (issue 13 #25: no configure-time
     * or build-tree path compiled in); this program links the core
     * statically, so that is <its own folder>/dbmig */
    char exe[4096];
    assert_non_null(realpath("/proc/self/exe", exe));
    *strrchr(exe, '/') = '\0';
    char own[8192];
    snprintf(own, sizeof own, "%s/dbmig", exe);
    size_t pl = strlen(own), sl = strlen(s);
    assert_true(sl >= pl && strcmp(s + sl - pl, own) == 0);
    assert_null(strstr(s, "/usr/local/lib/dbmig"));
    /* "/a/b" appears once only */
    assert_null(strstr(strstr(s, "/a/b") + 4, "/a/b,"));
    dm_buf_free(&b);
}

/* ---- listing ------------------------------------------------------------ */

#define SEEN_MAX 32 /* more than the fixture folder and the drivers hold */
typedef struct seen {
    int n;
    char name[SEEN_MAX][64];
    char file[SEEN_MAX][512];
    int loaded[SEEN_MAX];
    char refusal[SEEN_MAX][512];
} seen;

static void collect(void *payload, const char *file, const dbmig_driver *drv, const char *refusal)
{
    seen *s = payload;
    assert_true(s->n < SEEN_MAX);
    assert_true((drv == NULL) != (refusal == NULL));
    const char *base = strrchr(file, '/') + 1;
    snprintf(s->name[s->n], sizeof s->name[0], "%.*s", (int)(strlen(base) - 9), base + 6);
    snprintf(s->file[s->n], sizeof s->file[0], "%s", file);
    s->loaded[s->n] = drv != NULL;
    snprintf(s->refusal[s->n], sizeof s->refusal[0], "%s", refusal ? refusal : "");
    if (drv)
        assert_string_equal(drv->name, s->name[s->n]);
    s->n++;
}

static int find(const seen *s, const char *name)
{
    int at = -1;
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->name[i], name) == 0) {
            assert_int_equal(at, -1); /* listed once */
            at = i;
        }
    }
    return at;
}

static void test_foreach(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof s);
    dm_err e = {0};
    assert_int_equal(dm_plugin_foreach(FIX ":" PLUG, collect, &s, &e), DBMIG_OK);
    int i = find(&s, "sqlite");
    assert_true(i >= 0);
    assert_true(s.loaded[i]);
    assert_string_equal(s.file[i], PLUG "/dbmig_sqlite.so");

    const char *bad[] = {"badabi", "noentry", "wrongname", "tiny", "nullfn"};
    for (size_t k = 0; k < 5; k++) {
        int j = find(&s, bad[k]);
        assert_true(j >= 0);
        assert_false(s.loaded[j]);
        assert_contains(s.refusal[j], s.file[j]);
        assert_true(j < i); /* the fixture folder comes first */
    }
    assert_contains(s.refusal[find(&s, "badabi")], "99.0");
    /* in one folder, in name order */
    assert_true(find(&s, "badabi") < find(&s, "wrongname"));
    dm_err_free(&e);
}

static void test_foreach_first_wins(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    assert_int_equal(chmod(dir, 0755), 0);
    char file[4096], path[8192];
    snprintf(file, sizeof file, "%s/dbmig_sqlite.so", dir);
    copy_file(PLUG "/dbmig_sqlite.so", file, 0644);
    snprintf(path, sizeof path, "%s:%s", dir, PLUG);
    seen s;
    memset(&s, 0, sizeof s);
    dm_err e = {0};
    assert_int_equal(dm_plugin_foreach(path, collect, &s, &e), DBMIG_OK);
    int i = find(&s, "sqlite");
    assert_true(i >= 0);
    assert_string_equal(s.file[i], file);
    dm_err_free(&e);
    const char *files[] = {"dbmig_sqlite.so", NULL};
    rm_tmpdir(dir, files);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_abi),
        cmocka_unit_test(test_no_entry),
        cmocka_unit_test(test_wrong_name),
        cmocka_unit_test(test_tiny_table),
        cmocka_unit_test(test_null_function),
        cmocka_unit_test(test_abi1_refused),
        cmocka_unit_test(test_init_without_fini),
        cmocka_unit_test(test_init_fails),
        cmocka_unit_test(test_each_required_method),
        cmocka_unit_test(test_optional_accessors),
        cmocka_unit_test(test_older_minors_load),
        cmocka_unit_test(test_scheme_declared_lsql),
        cmocka_unit_test(test_invalid_names),
        cmocka_unit_test(test_not_found_lists_dirs),
        cmocka_unit_test(test_world_writable),
        cmocka_unit_test(test_first_found_is_final),
        cmocka_unit_test(test_load_sqlite),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_null_table_exists),
        cmocka_unit_test(test_missing_dependency),
        cmocka_unit_test(test_scheme_routing),
        cmocka_unit_test(test_search_dirs),
        cmocka_unit_test(test_foreach),
        cmocka_unit_test(test_foreach_first_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
