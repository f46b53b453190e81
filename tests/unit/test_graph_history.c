/* test_graph_history.c — the history drawing, ranges, slugs and the writer
 * of new revision and merge files (core/history.c). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "plan.h"
#include "history.h"
#include "revfile.h"

/* ---- helpers ------------------------------------------------------------ */

static void split_into(dm_strv *s, const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e > p)
            assert_int_equal(dm_strv_pushn(s, p, (size_t)(e - p)), 0);
        p = e;
    }
}

/* Builds a graph from "id:parents|id:parents|..." ("-" for base); depends
 * after a '/': "c:a/b" is c with parent a, depending on b. */
static void graph_of(dm_graph *g, const char *spec)
{
    dm_migfile fs[128];
    size_t n = 0;
    char *copy = dm_strdup(spec), *save = NULL;
    for (char *tok = strtok_r(copy, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        assert_true(n < 128);
        dm_migfile *f = &fs[n];
        memset(f, 0, sizeof *f);
        char *colon = strchr(tok, ':');
        assert_non_null(colon);
        *colon = '\0';
        char *slash = strchr(colon + 1, '/');
        if (slash) {
            *slash = '\0';
            split_into(&f->depends, slash + 1);
        }
        f->revision = dm_strdup(tok);
        char name[64];
        snprintf(name, sizeof name, "%03zu_%s.sql", n, tok);
        f->filename = dm_strdup(name);
        f->path = dm_strdup(name);
        f->message = dm_strdup(tok);
        f->parents_set = 1;
        if (strcmp(colon + 1, "-") != 0)
            split_into(&f->parents, colon + 1);
        f->transaction = 1;
        n++;
    }
    free(copy);
    dm_err err = {0};
    int rc = dm_graph_build(g, fs, n, &err);
    if (rc != DBMIG_OK)
        fail_msg("build: %s", dm_err_msg(&err));
    dm_err_free(&err);
}

/* The drawing as text: "<graph><id>\n<after>\n..." */
static char *drawing(const dm_graph *g, const unsigned char *sel)
{
    dm_history h;
    dm_err err = {0};
    assert_int_equal(dm_history_draw(g, sel, &h, &err), DBMIG_OK);
    dm_buf b = {0};
    for (size_t i = 0; i < h.n; i++) {
        dm_buf_printf(&b, "%s%s\n", h.rows[i].graph, g->revs[h.rows[i].rev].id);
        if (h.rows[i].after[0])
            dm_buf_printf(&b, "%s\n", h.rows[i].after);
    }
    dm_history_free(&h);
    dm_err_free(&err);
    return dm_buf_take(&b);
}

static void draws(const char *spec, const char *want)
{
    dm_graph g;
    graph_of(&g, spec);
    char *got = drawing(&g, NULL);
    if (strcmp(got, want) != 0)
        fail_msg("graph %s drawn as\n%s\nwant\n%s", spec, got, want);
    free(got);
    dm_graph_free(&g);
}

/* ---- drawing -------------------------------------------------------------- */

static void test_draw_chain(void **state)
{
    (void)state;
    draws("a:-|b:a|c:b", "* c\n* b\n* a\n");
    draws("a:-", "* a\n");
}

static void test_draw_branches_and_merge(void **state)
{
    (void)state;
    /* two developers branch off b; c merges them */
    draws("a:-|b:a|x1:b|x2:x1|y1:b|m:x2 y1|n:m",
          "* n\n"
          "* m\n"
          "|\\\n"
          "| * y1\n"
          "* | x2\n"
          "* | x1\n"
          "|/\n"
          "* b\n"
          "* a\n");
    /* an open branch point: two heads */
    draws("a:-|b:a|c:a",
          "* c\n"
          "| * b\n"
          "|/\n"
          "* a\n");
    /* several bases, merged */
    draws("p:-|q:-|m:p q",
          "* m\n"
          "|\\\n"
          "| * q\n"
          "* p\n");
    /* an octopus merge of three */
    draws("a:-|b:a|c:a|d:a|m:b c d",
          "* m\n"
          "|\\\n"
          "| |\\\n"
          "| | * d\n"
          "| * | c\n"
          "| |/\n"
          "* | b\n"
          "|/\n"
          "* a\n");
}

static void test_draw_right_columns_shift(void **state)
{
    (void)state;
    /* a merge left of an open line pushes it right, git style */
    draws("a:-|b:a|c:a|z:a|m:b c",
          "* z\n"
          "| * m\n"
          "| |\\\n"
          "| | * c\n"
          "| * | b\n"
          "|/ /\n"
          "|/\n"
          "* a\n");
}

/* Reads a drawing back: which lines reach which '*'. Every parent edge of
 * the graph must be drawn (lines are continuous); lines can touch where they
 * cross, so extra edges are allowed only then. */
static void check_continuity(const dm_graph *g, uint64_t seed)
{
    dm_history h;
    dm_err err = {0};
    assert_int_equal(dm_history_draw(g, NULL, &h, &err), DBMIG_OK);
    assert_int_equal(h.n, g->n);
    size_t n = g->n, cap = 2 * n + 4;
    /* sets[p] = bitmask (n <= 64) of children whose line runs at column p */
    uint64_t *sets = calloc(cap, sizeof *sets), *next = calloc(cap, sizeof *next);
    uint64_t *edges = calloc(n, sizeof *edges); /* edges[parent] = children seen */
    for (size_t i = 0; i < h.n; i++) {
        const char *row = h.rows[i].graph;
        const char *star = strchr(row, '*');
        if (!star || strchr(star + 1, '*'))
            fail_msg("seed %llu: row '%s' has not exactly one '*'", (unsigned long long)seed, row);
        size_t c = (size_t)(star - row) / 2, v = h.rows[i].rev;
        edges[v] |= sets[c];
        sets[c] = 1ull << v;
        for (size_t p = 0; p < strlen(row) / 2; p++)
            if (p != c && row[2 * p] != '|')
                fail_msg("seed %llu: row '%s' lacks a '|' at column %zu", (unsigned long long)seed,
                         row, p);
        for (size_t p = strlen(row) / 2; p < cap; p++)
            sets[p] = 0;
        const char *a = h.rows[i].after;
        while (*a) {
            const char *e = strchr(a, '\n');
            size_t len = e ? (size_t)(e - a) : strlen(a);
            memset(next, 0, cap * sizeof *next);
            for (size_t k = 0; k < len; k++) {
                char ch = a[k];
                if (ch == ' ')
                    continue;
                if (k % 2 == 0) {
                    if (ch != '|')
                        fail_msg("seed %llu: '%c' at an even position", (unsigned long long)seed,
                                 ch);
                    next[k / 2] |= sets[k / 2];
                } else if (ch == '\\') {
                    next[k / 2 + 1] |= sets[k / 2];
                } else if (ch == '/') {
                    next[k / 2] |= sets[k / 2 + 1];
                } else if (ch == 'X') {
                    next[k / 2 + 1] |= sets[k / 2];
                    next[k / 2] |= sets[k / 2 + 1];
                } else {
                    fail_msg("seed %llu: unexpected '%c'", (unsigned long long)seed, ch);
                }
            }
            memcpy(sets, next, cap * sizeof *sets);
            a += len + (e ? 1 : 0);
        }
    }
    for (size_t v = 0; v < n; v++) {
        uint64_t want = 0;
        for (size_t k = 0; k < g->revs[v].nchildren; k++)
            want |= 1ull << g->revs[v].children[k];
        if ((edges[v] & want) != want)
            fail_msg("seed %llu: the lines to %s miss children (drawn %llx, want %llx)",
                     (unsigned long long)seed, g->revs[v].id, (unsigned long long)edges[v],
                     (unsigned long long)want);
    }
    free(sets);
    free(next);
    free(edges);
    dm_history_free(&h);
    dm_err_free(&err);
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void test_draw_random_continuity(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
        size_t n = 1 + (size_t)(rnd(&s) % 60);
        dm_buf spec = {0};
        for (size_t k = 0; k < n; k++) {
            dm_buf_printf(&spec, "%sr%02zu:", k ? "|" : "", k);
            if (k == 0 || rnd(&s) % 12 == 0) {
                dm_buf_puts(&spec, "-");
                continue;
            }
            size_t np = rnd(&s) % 5 == 0 ? 2 + (size_t)(rnd(&s) % 2) : 1;
            size_t used[3];
            for (size_t q = 0; q < np; q++) {
                size_t p = rnd(&s) % 2 ? k - 1 : (size_t)(rnd(&s) % k);
                int dup = 0;
                for (size_t u = 0; u < q; u++)
                    dup |= used[u] == p;
                used[q] = p;
                if (!dup)
                    dm_buf_printf(&spec, "%sr%02zu", q ? " " : "", p);
            }
        }
        dm_graph g;
        graph_of(&g, dm_buf_str(&spec));
        check_continuity(&g, seed);
        dm_graph_free(&g);
        dm_buf_free(&spec);
    }
}

static void test_draw_long_chain_and_selection(void **state)
{
    (void)state;
    dm_graph g;
    graph_of(&g, "a:-|b:a|x:b|y:b|m:x y|n:m");
    unsigned char sel[6];
    dm_err err = {0};
    /* x:n — x, m, n; y is not a descendant of x */
    assert_int_equal(dm_history_select(&g, NULL, "x:n", sel, &err), DBMIG_OK);
    char *d = drawing(&g, sel);
    assert_string_equal(d, "* n\n* m\n* x\n");
    free(d);
    assert_int_equal(dm_history_select(&g, NULL, ":x", sel, &err), DBMIG_OK);
    d = drawing(&g, sel);
    assert_string_equal(d, "* x\n* b\n* a\n");
    free(d);
    assert_int_equal(dm_history_select(&g, NULL, "b:", sel, &err), DBMIG_OK);
    d = drawing(&g, sel);
    assert_string_equal(d, "* n\n* m\n|\\\n| * y\n* | x\n|/\n* b\n");
    free(d);
    assert_int_equal(dm_history_select(&g, NULL, "base:heads", sel, &err), DBMIG_OK);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(sel[i], 1);
    assert_int_equal(dm_history_select(&g, NULL, "b+1:head", sel, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "branch point"));
    assert_int_equal(dm_history_select(&g, NULL, "n-1:n", sel, &err), DBMIG_OK);
    assert_int_equal(sel[4] + sel[5], 2);
    assert_int_equal(sel[0] + sel[1] + sel[2] + sel[3], 0);
    /* current needs a database */
    assert_int_equal(dm_history_select(&g, NULL, "current:", sel, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "needs a database"));
    dm_applied a = {calloc(6, 1), calloc(6, sizeof(size_t)), 0};
    a.is[0] = a.is[1] = a.is[2] = 1; /* a b x */
    assert_int_equal(dm_history_select(&g, &a, ":current", sel, &err), DBMIG_OK);
    d = drawing(&g, sel);
    assert_string_equal(d, "* x\n* b\n* a\n");
    free(d);
    assert_int_equal(dm_history_select(&g, &a, "current:", sel, &err), DBMIG_OK);
    d = drawing(&g, sel);
    assert_string_equal(d, "* n\n* m\n* x\n");
    free(d);
    free(a.is);
    free(a.by_seq);
    /* errors that teach */
    assert_int_equal(dm_history_select(&g, NULL, "x", sel, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "write it as A:B"));
    assert_int_equal(dm_history_select(&g, NULL, "xx:", sel, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "unknown revision 'xx'"));
    dm_err_free(&err);
    dm_graph_free(&g);

    /* 100,000 revisions draw quickly (one column) */
    const size_t n = 100000;
    dm_migfile *fs = calloc(n, sizeof *fs);
    for (size_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "%06zu", i);
        fs[i].revision = dm_strdup(id);
        fs[i].filename = dm_strdup(id);
    }
    assert_int_equal(dm_graph_build(&g, fs, n, &err), DBMIG_OK);
    free(fs);
    dm_history h;
    assert_int_equal(dm_history_draw(&g, NULL, &h, &err), DBMIG_OK);
    assert_int_equal(h.n, n);
    assert_string_equal(h.rows[0].graph, "* ");
    assert_int_equal(h.rows[0].rev, n - 1);
    dm_history_free(&h);
    dm_graph_free(&g);
}

/* ---- slugs ------------------------------------------------------------------ */

static void test_slug(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Add users table", "add_users_table"},
        {"  --add   API keys!! ", "add_api_keys"},
        {"élan vital", "lan_vital"},
        {"???", "revision"},
        {"", "revision"},
        {"a very long message that goes on and on beyond forty characters", NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *s = dm_slug(cases[k][0]);
        assert_non_null(s);
        if (cases[k][1])
            assert_string_equal(s, cases[k][1]);
        else {
            assert_true(strlen(s) <= 40);
            assert_int_equal(strncmp(s, "a_very_long_message", 19), 0);
            assert_true(s[strlen(s) - 1] != '_');
        }
        free(s);
    }
}

/* ---- writing revisions -------------------------------------------------------- */

static char g_dir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void load(dm_graph *g)
{
    dm_err err = {0};
    int rc = dm_graph_load_dir(g, g_dir, &err);
    if (rc != DBMIG_OK)
        fail_msg("load: %s", dm_err_msg(&err));
    dm_err_free(&err);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/dbmig-hist-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    DIR *d = opendir(g_dir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(g_dir);
    return 0;
}

/* 2025-11-16 12:00:00 UTC */
#define T0 ((time_t)1763294400)

/* Writes a revision; returns its id (caller frees) or NULL with *msg set. */
static char *newrev(const dm_newrev *spec, time_t now, int want_rc, const char *needle)
{
    dm_graph g;
    load(&g);
    char *id = NULL, *path = NULL;
    dm_strv parents = {0};
    dm_err err = {0};
    int rc = dm_newrev_write(&g, g_dir, spec, now, &id, &path, &parents, &err);
    if (rc != want_rc)
        fail_msg("newrev: rc %d, want %d: %s", rc, want_rc, dm_err_msg(&err));
    if (needle && !strstr(dm_err_msg(&err), needle))
        fail_msg("message '%s' lacks '%s'", dm_err_msg(&err), needle);
    if (rc == DBMIG_OK) {
        assert_non_null(path);
        assert_int_equal(access(path, R_OK), 0);
    }
    free(path);
    dm_strv_free(&parents);
    dm_err_free(&err);
    dm_graph_free(&g);
    return id;
}

static void expect_parents(const char *id, const char *want)
{
    dm_graph g;
    load(&g);
    size_t v = dm_graph_find(&g, id);
    assert_true(v != DM_NONE);
    char buf[256] = "";
    for (size_t k = 0; k < g.revs[v].nparents; k++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", k ? " " : "",
                 g.revs[g.revs[v].parents[k]].id);
    if (strcmp(buf, want) != 0)
        fail_msg("%s: parents '%s', want '%s'", id, buf, want);
    dm_graph_free(&g);
}

static void test_revision_files(void **state)
{
    (void)state;
    dm_newrev spec = {0};
    spec.message = "init schema";
    char *a = newrev(&spec, T0, DBMIG_OK, NULL);
    assert_string_equal(a, "20251116120000");
    expect_parents(a, "");
    /* the same second again: one second later */
    spec.message = "add users";
    char *b = newrev(&spec, T0, DBMIG_OK, NULL);
    assert_string_equal(b, "20251116120001");
    expect_parents(b, a);
    /* the file as written */
    char path[256];
    snprintf(path, sizeof path, "%s/20251116120001_add_users.sql", g_dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char text[512];
    size_t len = fread(text, 1, sizeof text - 1, fp);
    text[len] = '\0';
    fclose(fp);
    assert_string_equal(text, "-- dbmig:revision 20251116120001\n"
                              "-- dbmig:parents 20251116120000\n"
                              "-- dbmig:message add users\n"
                              "\n-- dbmig:up\n\n\n-- dbmig:down\n\n");
    /* a branch with a label and a depends, from a prefix */
    const char *pa[] = {"2025111612000"}; /* ambiguous prefix */
    spec.message = "billing";
    spec.parents = pa;
    spec.nparents = 1;
    free(newrev(&spec, T0 + 60, DBMIG_EUSAGE, "ambiguous"));
    const char *pa2[] = {"20251116120000"}, *lb[] = {"billing"}, *dp[] = {"20251116120001"};
    spec.parents = pa2;
    spec.branches = lb;
    spec.nbranches = 1;
    spec.depends = dp;
    spec.ndepends = 1;
    char *c = newrev(&spec, T0 + 60, DBMIG_OK, NULL);
    expect_parents(c, a);
    {
        dm_graph g;
        load(&g);
        size_t v = dm_graph_find(&g, c);
        assert_int_equal(g.revs[v].ndepends, 1);
        assert_string_equal(g.revs[g.revs[v].depends[0]].id, b);
        assert_string_equal(g.revs[v].file.branches.v[0], "billing");
        assert_string_equal(g.revs[v].file.message, "billing");
        assert_int_equal(g.nheads, 2);
        dm_plan p;
        dm_err err = {0};
        assert_int_equal(dm_plan_upgrade(&g, NULL, "billing@head", &p, &err), DBMIG_OK);
        assert_int_equal(p.n, 3);
        dm_plan_free(&p);
        dm_graph_free(&g);
    }
    /* several heads: refused without --parent, listing them and the merge command */
    memset(&spec, 0, sizeof spec);
    spec.message = "more";
    free(newrev(&spec, T0 + 120, DBMIG_EUSAGE, "several heads: 20251116120001 (20251116120001_add_users.sql), 20251116120100"));
    free(newrev(&spec, T0 + 120, DBMIG_EUSAGE, "dbmig merge -m MSG"));
    /* an unknown parent: did you mean */
    const char *bad[] = {"20251116120109"};
    spec.parents = bad;
    spec.nparents = 1;
    free(newrev(&spec, T0 + 120, DBMIG_EUSAGE, "did you mean '20251116120100'"));
    /* the label is taken on another line */
    spec.parents = pa2;
    spec.branches = lb;
    spec.nbranches = 1;
    free(newrev(&spec, T0 + 120, DBMIG_EUSAGE, "already used by revision 20251116120100"));
    /* ... but continuing that line is fine */
    const char *onl[] = {"billing@head"};
    spec.parents = onl;
    char *d = newrev(&spec, T0 + 120, DBMIG_OK, NULL);
    expect_parents(d, c);
    /* a label that is an id */
    const char *idl[] = {"20251116120000"};
    spec.branches = idl;
    free(newrev(&spec, T0 + 180, DBMIG_EUSAGE, "is the id of revision"));
    spec.branches = NULL;
    spec.nbranches = 0;
    /* messages */
    spec.message = "two\nlines";
    free(newrev(&spec, T0 + 180, DBMIG_EUSAGE, "one line"));
    spec.message = "   ";
    free(newrev(&spec, T0 + 180, DBMIG_EUSAGE, "needs a message"));

    /* merge: default parents are every head */
    dm_newrev ms = {0};
    ms.message = "join billing";
    ms.merge = 1;
    const char *one[] = {"20251116120001"};
    ms.parents = one;
    ms.nparents = 1;
    free(newrev(&ms, T0 + 240, DBMIG_EUSAGE, "two or more different revisions, 1 was given"));
    const char *anc[] = {"20251116120000", "20251116120001"};
    ms.parents = anc;
    ms.nparents = 2;
    free(newrev(&ms, T0 + 240, DBMIG_EUSAGE, "is already an ancestor of"));
    ms.parents = NULL;
    ms.nparents = 0;
    char *m = newrev(&ms, T0 + 240, DBMIG_OK, NULL);
    char want[64];
    snprintf(want, sizeof want, "%s %s", b, d);
    expect_parents(m, want);
    /* one head left: nothing to merge */
    free(newrev(&ms, T0 + 300, DBMIG_EUSAGE, "the graph has 1 head (" ));
    /* and a plain revision follows the single head */
    spec.parents = NULL;
    spec.nparents = 0;
    spec.message = "after merge";
    char *e = newrev(&spec, T0 + 300, DBMIG_OK, NULL);
    expect_parents(e, m);
    /* --parent base: a new root */
    const char *root[] = {"base"};
    spec.parents = root;
    spec.nparents = 1;
    spec.message = "separate root";
    char *f = newrev(&spec, T0 + 360, DBMIG_OK, NULL);
    expect_parents(f, "");
    free(a);
    free(b);
    free(c);
    free(d);
    free(m);
    free(e);
    free(f);
}

static void test_revision_default_parent_hazard(void **state)
{
    (void)state;
    /* header-less numbered files: a chain by file name order. A new file
     * that sorts before "9_z.sql" would become its parent: refused. */
    write_file("1_a.sql", "CREATE TABLE a (id int);\n");
    write_file("9_z.sql", "CREATE TABLE z (id int);\n");
    dm_newrev spec = {0};
    spec.message = "new";
    free(newrev(&spec, T0, DBMIG_EUSAGE, "add `-- dbmig:parents 1` to"));
    /* and it says what that edit costs where the file is applied */
    free(newrev(&spec, T0, DBMIG_EUSAGE, "dbmig repair --checksums"));
    write_file("9_z.sql", "-- dbmig:parents 1\nCREATE TABLE z (id int);\n");
    char *id = newrev(&spec, T0, DBMIG_OK, NULL);
    expect_parents(id, "9");
    expect_parents("9", "1");
    free(id);
}

static void test_revision_numbered_folder(void **state)
{
    (void)state;
    /* numbered files stay numbered: the next number, padded like the others */
    write_file("001_a.sql", "CREATE TABLE a (id int);\n");
    write_file("002_b.sql", "CREATE TABLE b (id int);\n");
    dm_newrev spec = {0};
    spec.message = "next one";
    char *id = newrev(&spec, T0, DBMIG_OK, NULL);
    assert_string_equal(id, "003");
    expect_parents("003", "002");
    char path[512];
    snprintf(path, sizeof path, "%s/003_next_one.sql", g_dir);
    assert_int_equal(access(path, R_OK), 0);
    free(id);
    /* one id that is not a plain number (here the UTC time): the time */
    write_file("20250101000000_c.sql", "-- dbmig:parents 003\nCREATE TABLE c (id int);\n");
    id = newrev(&spec, T0, DBMIG_OK, NULL);
    assert_string_equal(id, "20251116120000");
    free(id);
    /* --sequential there: refused, naming the odd one out and its file */
    spec.idstyle = DBMIG_REVID_SEQUENTIAL;
    free(newrev(&spec, T0 + 60, DBMIG_EUSAGE,
                "revision '20250101000000' (20250101000000_c.sql) is not numbered"));
}

static void test_revision_forced_styles(void **state)
{
    (void)state;
    dm_newrev spec = {0};
    spec.message = "first";
    /* --sequential in an empty folder: 001 */
    spec.idstyle = DBMIG_REVID_SEQUENTIAL;
    char *id = newrev(&spec, T0, DBMIG_OK, NULL);
    assert_string_equal(id, "001");
    free(id);
    /* --timestamp in a numbered folder: the time */
    spec.idstyle = DBMIG_REVID_TIMESTAMP;
    spec.message = "timed";
    id = newrev(&spec, T0, DBMIG_OK, NULL);
    assert_string_equal(id, "20251116120000");
    expect_parents(id, "001");
    free(id);
}

static void test_revision_sequential_full(void **state)
{
    (void)state;
    /* 9 is the last one-digit number: plain revision falls back to the time,
     * --sequential refuses and says why */
    write_file("8_a.sql", "-- dbmig:parents base\nCREATE TABLE a (id int);\n");
    write_file("9_b.sql", "-- dbmig:parents 8\nCREATE TABLE b (id int);\n");
    dm_newrev spec = {0};
    spec.message = "ten";
    spec.idstyle = DBMIG_REVID_SEQUENTIAL;
    free(newrev(&spec, T0, DBMIG_EUSAGE, "the next number, 10, needs more digits"));
    spec.idstyle = 0;
    char *id = newrev(&spec, T0, DBMIG_OK, NULL);
    assert_string_equal(id, "20251116120000");
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draw_chain),
        cmocka_unit_test(test_draw_branches_and_merge),
        cmocka_unit_test(test_draw_right_columns_shift),
        cmocka_unit_test(test_draw_random_continuity),
        cmocka_unit_test(test_draw_long_chain_and_selection),
        cmocka_unit_test(test_slug),
        cmocka_unit_test_setup_teardown(test_revision_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_revision_default_parent_hazard, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_revision_numbered_folder, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_revision_forced_styles, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_revision_sequential_full, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
