/* test_graph.c — the revision graph and the planner (core/graph.c). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "plan.h"

/* ---- helpers --------------------------------------------------------------- */

typedef struct files {
    dm_migfile v[64];
    size_t n;
} files;

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

/* One file "<fname>": revision = name up to '_' (or `id` when given);
 * parents NULL: default (previous file), "": base, else space-separated. */
static void addf(files *f, const char *fname, const char *id, const char *parents,
                 const char *depends, const char *branches)
{
    assert_true(f->n < 64);
    dm_migfile *m = &f->v[f->n++];
    memset(m, 0, sizeof *m);
    m->filename = dm_strdup(fname);
    dm_buf path = {0};
    dm_buf_puts(&path, "mig/");
    dm_buf_puts(&path, fname);
    m->path = dm_buf_take(&path);
    if (id) {
        m->revision = dm_strdup(id);
    } else {
        const char *u = strchr(fname, '_');
        m->revision = dm_strndup(fname, u ? (size_t)(u - fname) : strlen(fname) - 4);
    }
    if (parents) {
        m->parents_set = 1;
        split_into(&m->parents, parents);
    }
    if (depends)
        split_into(&m->depends, depends);
    if (branches)
        split_into(&m->branches, branches);
    m->message = dm_strdup(fname);
    m->transaction = 1;
}

static int build(dm_graph *g, files *f, dm_err *err)
{
    int rc = dm_graph_build(g, f->v, f->n, err);
    f->n = 0;
    return rc;
}

static void build_ok(dm_graph *g, files *f)
{
    dm_err err = {0};
    int rc = build(g, f, &err);
    if (rc != DBMIG_OK)
        fail_msg("build failed: %s", dm_err_msg(&err));
    dm_err_free(&err);
}

/* Expects a build error and that the message holds every needle. */
static void build_fails(files *f, int code, const char *n1, const char *n2, const char *n3)
{
    dm_graph g;
    dm_err err = {0};
    int rc = build(&g, f, &err);
    assert_int_equal(rc, code);
    const char *m = dm_err_msg(&err);
    if ((n1 && !strstr(m, n1)) || (n2 && !strstr(m, n2)) || (n3 && !strstr(m, n3)))
        fail_msg("message '%s' lacks one of '%s' '%s' '%s'", m, n1 ? n1 : "", n2 ? n2 : "",
                 n3 ? n3 : "");
    assert_null(g.revs);
    dm_err_free(&err);
}

static void ids_of(const dm_graph *g, const size_t *v, size_t n, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t len = 0;
    for (size_t k = 0; k < n; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? " " : "", g->revs[v[k]].id);
}

/* Applied set from space-separated ids in order of application. */
static void applied_from(const dm_graph *g, dm_applied *a, const char *ids)
{
    a->is = calloc(g->n + 1, 1);
    a->by_seq = calloc(g->n + 1, sizeof *a->by_seq);
    a->nseq = 0;
    dm_strv s = {0};
    split_into(&s, ids);
    for (size_t k = 0; k < s.n; k++) {
        size_t i = dm_graph_find(g, s.v[k]);
        if (i == DM_NONE)
            fail_msg("no revision %s", s.v[k]);
        a->is[i] = 1;
        a->by_seq[a->nseq++] = i;
    }
    dm_strv_free(&s);
}

static void applied_free(dm_applied *a)
{
    free(a->is);
    free(a->by_seq);
}

typedef int (*plan_fn)(const dm_graph *, const dm_applied *, const char *, dm_plan *, dm_err *);

/* Runs a plan and compares its ids ("" for empty). */
static void plan_is(plan_fn fn, const dm_graph *g, const dm_applied *a, const char *target,
                    const char *want)
{
    dm_plan p;
    dm_err err = {0};
    int rc = fn(g, a, target, &p, &err);
    if (rc != DBMIG_OK)
        fail_msg("target '%s' failed: %s", target, dm_err_msg(&err));
    char buf[4096];
    ids_of(g, p.v, p.n, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("target '%s': plan '%s', want '%s'", target, buf, want);
    dm_plan_free(&p);
    dm_err_free(&err);
}

static void plan_fails(plan_fn fn, const dm_graph *g, const dm_applied *a, const char *target,
                       const char *n1, const char *n2)
{
    dm_plan p;
    dm_err err = {0};
    int rc = fn(g, a, target, &p, &err);
    if (rc != DBMIG_EUSAGE)
        fail_msg("target '%s': rc %d, want EUSAGE", target, rc);
    const char *m = dm_err_msg(&err);
    if ((n1 && !strstr(m, n1)) || (n2 && !strstr(m, n2)))
        fail_msg("target '%s': message '%s' lacks '%s' or '%s'", target, m, n1 ? n1 : "",
                 n2 ? n2 : "");
    assert_int_equal(p.n, 0);
    assert_null(p.v);
    dm_err_free(&err);
}

#define UP dm_plan_upgrade
#define DOWN dm_plan_downgrade

/* ---- build and validation -------------------------------------------------- */

static void test_default_parents_chain(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "001_init.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_users.sql", NULL, NULL, NULL, NULL);
    addf(&f, "003_posts.sql", NULL, NULL, NULL, NULL);
    dm_graph g;
    build_ok(&g, &f);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.revs[0].nparents, 0);
    assert_int_equal(g.revs[1].nparents, 1);
    assert_int_equal(g.revs[1].parents[0], 0);
    assert_int_equal(g.revs[2].parents[0], 1);
    assert_int_equal(g.revs[0].nchildren, 1);
    assert_int_equal(g.revs[0].children[0], 1);
    char buf[256];
    ids_of(&g, g.order, g.n, buf, sizeof buf);
    assert_string_equal(buf, "001 002 003");
    assert_int_equal(g.nheads, 1);
    assert_string_equal(g.revs[g.heads[0]].id, "003");
    assert_int_equal(g.nbases, 1);
    assert_string_equal(g.revs[g.bases[0]].id, "001");
    assert_int_equal(g.revs[2].topo, 2);
    assert_int_equal(dm_graph_find(&g, "002"), 1);
    assert_int_equal(dm_graph_find(&g, "004"), DM_NONE);
    dm_graph_free(&g);
}

static void test_explicit_base_and_dedup(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", NULL, "", NULL, NULL);            /* a second root */
    addf(&f, "003_c.sql", NULL, "001 001 base", "001", NULL); /* duplicates ignored */
    dm_graph g;
    build_ok(&g, &f);
    assert_int_equal(g.revs[1].nparents, 0);
    assert_int_equal(g.revs[2].nparents, 1);
    assert_int_equal(g.revs[2].ndepends, 0);
    assert_int_equal(g.nbases, 2);
    assert_int_equal(g.nheads, 2);
    char buf[256];
    ids_of(&g, g.heads, g.nheads, buf, sizeof buf);
    assert_string_equal(buf, "002 003");
    ids_of(&g, g.bases, g.nbases, buf, sizeof buf);
    assert_string_equal(buf, "001 002");
    dm_graph_free(&g);
}

static void test_empty_graph(void **state)
{
    (void)state;
    dm_graph g;
    dm_err err = {0};
    assert_int_equal(dm_graph_build(&g, NULL, 0, &err), DBMIG_OK);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.nheads, 0);
    plan_is(UP, &g, NULL, "head", "");
    plan_is(UP, &g, NULL, "heads", "");
    plan_fails(UP, &g, NULL, "+1", "only 0", NULL);
    plan_fails(DOWN, &g, NULL, "-1", "only 0", NULL);
    plan_fails(UP, &g, NULL, "abc", "unknown revision 'abc'", "upgrade accepts");
    dm_graph_free(&g);
    dm_err_free(&err);
}

static void test_err_duplicate(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", "001", NULL, NULL, NULL);
    build_fails(&f, DBMIG_EINVALID, "duplicate revision id '001'", "001_a.sql", "002_b.sql");
}

static void test_err_unknown_parent(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "20250101_auth.sql", NULL, "", NULL, NULL);
    addf(&f, "20250102_users.sql", NULL, "20250110", NULL, NULL);
    build_fails(&f, DBMIG_EINVALID, "20250102_users.sql", "unknown parent '20250110'",
                "did you mean '20250101' (20250101_auth.sql)?");

    /* far from everything: no suggestion */
    addf(&f, "001_a.sql", NULL, "", NULL, NULL);
    addf(&f, "002_b.sql", NULL, "zzzzzz", NULL, NULL);
    build_fails(&f, DBMIG_EINVALID, "002_b.sql", "unknown parent 'zzzzzz'", NULL);
    addf(&f, "001_a.sql", NULL, "", NULL, NULL);
    addf(&f, "002_b.sql", NULL, "zzzzzz", NULL, NULL);
    {
        dm_graph g;
        dm_err err = {0};
        assert_int_equal(build(&g, &f, &err), DBMIG_EINVALID);
        assert_null(strstr(dm_err_msg(&err), "did you mean"));
        dm_err_free(&err);
    }

    /* a transposition is close */
    addf(&f, "auth_x.sql", NULL, "", NULL, NULL);
    addf(&f, "users_x.sql", NULL, "", "atuh", NULL);
    build_fails(&f, DBMIG_EINVALID, "users_x.sql", "unknown depends 'atuh'", "did you mean 'auth'");
}

static void test_err_reserved(void **state)
{
    (void)state;
    static const char *const ids[] = {"base", "head", "heads", "current"};
    for (size_t k = 0; k < 4; k++) {
        files f = {0};
        addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
        addf(&f, "002_x.sql", ids[k], NULL, NULL, NULL);
        char want[64];
        snprintf(want, sizeof want, "'%s' is reserved", ids[k]);
        build_fails(&f, DBMIG_EINVALID, "002_x.sql", want, NULL);
    }
    files f = {0};
    addf(&f, "001_a.sql", "-bad", NULL, NULL, NULL);
    build_fails(&f, DBMIG_EINVALID, "001_a.sql", "invalid revision id '-bad'", NULL);
}

static void test_err_self(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", NULL, "001 002", NULL, NULL);
    build_fails(&f, DBMIG_EINVALID, "002_b.sql", "'002' lists itself as a parent", NULL);
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", NULL, NULL, "002", NULL);
    build_fails(&f, DBMIG_EINVALID, "002_b.sql", "'002' depends on itself", NULL);
}

static void test_err_cycle(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "1_a.sql", "a", "c", NULL, NULL);
    addf(&f, "2_b.sql", "b", "a", NULL, NULL);
    addf(&f, "3_c.sql", "c", "b", NULL, NULL);
    build_fails(&f, DBMIG_EINVALID, "a cycle",
                "a (1_a.sql) -> c (3_c.sql) -> b (2_b.sql) -> a", NULL);

    /* a cycle hanging off a valid root, through depends */
    addf(&f, "1_a.sql", "a", "", NULL, NULL);
    addf(&f, "2_b.sql", "b", "a", "c", NULL);
    addf(&f, "3_c.sql", "c", "b", NULL, NULL);
    addf(&f, "4_d.sql", "d", "a", NULL, NULL);
    build_fails(&f, DBMIG_EINVALID, "b (2_b.sql) -> c (3_c.sql) -> b", NULL, NULL);
}

/* r; a<-r; b<-a; z<-r; m<-(a z); q base depending on z. */
static void diamond(files *f, const size_t *perm)
{
    static const char *const spec[][4] = {
        {"f_r.sql", "r", "", NULL},     {"f_a.sql", "a", "r", NULL}, {"f_b.sql", "b", "a", NULL},
        {"f_z.sql", "z", "r", NULL},    {"f_m.sql", "m", "a z", NULL},
        {"f_q.sql", "q", "", "z"},
    };
    for (size_t k = 0; k < 6; k++) {
        size_t i = perm[k];
        addf(f, spec[i][0], spec[i][1], spec[i][2], spec[i][3], NULL);
    }
}

static void test_topo_deterministic(void **state)
{
    (void)state;
    static const size_t perms[][6] = {
        {0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {2, 5, 0, 4, 1, 3}, {4, 0, 5, 1, 3, 2}};
    for (size_t p = 0; p < 4; p++) {
        files f = {0};
        diamond(&f, perms[p]);
        dm_graph g;
        build_ok(&g, &f);
        char buf[256];
        ids_of(&g, g.order, g.n, buf, sizeof buf);
        assert_string_equal(buf, "r a b z m q");
        ids_of(&g, g.heads, g.nheads, buf, sizeof buf);
        assert_string_equal(buf, "b m q");
        ids_of(&g, g.bases, g.nbases, buf, sizeof buf);
        assert_string_equal(buf, "q r");
        size_t r = dm_graph_find(&g, "r");
        ids_of(&g, g.revs[r].children, g.revs[r].nchildren, buf, sizeof buf);
        assert_string_equal(buf, "a z");
        size_t z = dm_graph_find(&g, "z");
        assert_int_equal(g.revs[z].ndependents, 1);
        assert_string_equal(g.revs[g.revs[z].dependents[0]].id, "q");
        for (size_t k = 0; k < g.n; k++)
            assert_int_equal(g.order[g.revs[k].topo], k);
        dm_graph_free(&g);
    }
}

/* ---- lookup and targets ---------------------------------------------------- */

/*   base 001 -> 002 -> 003a (branch "feature") -> 004f
 *                  \-> 003b -> 004m
 * Heads 004f, 004m. */
static void forked(dm_graph *g)
{
    files f = {0};
    addf(&f, "001_init.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_users.sql", NULL, NULL, NULL, NULL);
    addf(&f, "003a_feat.sql", NULL, "002", NULL, "feature");
    addf(&f, "003b_main.sql", NULL, "002", NULL, "main");
    addf(&f, "004f_feat2.sql", NULL, "003a", NULL, NULL);
    addf(&f, "004m_main2.sql", NULL, "003b", NULL, NULL);
    build_ok(g, &f);
}

static void test_lookup(void **state)
{
    (void)state;
    dm_graph g;
    forked(&g);
    dm_err err = {0};
    size_t i;
    assert_int_equal(dm_graph_lookup(&g, "002", &i, &err), DBMIG_OK);
    assert_string_equal(g.revs[i].id, "002");
    assert_int_equal(dm_graph_lookup(&g, "003a", &i, &err), DBMIG_OK);
    assert_string_equal(g.revs[i].id, "003a");
    assert_int_equal(dm_graph_lookup(&g, "004f", &i, &err), DBMIG_OK);
    assert_int_equal(dm_graph_lookup(&g, "00", &i, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "ambiguous revision prefix '00' matches 6"));
    assert_non_null(strstr(dm_err_msg(&err), "003a (003a_feat.sql)"));
    assert_int_equal(dm_graph_lookup(&g, "003", &i, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "003a (003a_feat.sql), 003b (003b_main.sql)"));
    assert_int_equal(dm_graph_lookup(&g, "005", &i, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "unknown revision '005'; did you mean '00"));
    assert_int_equal(dm_graph_lookup(&g, "", &i, &err), DBMIG_EUSAGE);
    dm_err_free(&err);
    dm_graph_free(&g);
}

static void test_upgrade_targets(void **state)
{
    (void)state;
    dm_graph g;
    forked(&g);
    dm_applied a;
    applied_from(&g, &a, "001");

    plan_fails(UP, &g, &a, "head", "several heads: 004f, 004m", "`heads`");
    plan_fails(UP, &g, &a, "head", "dbmig merge -m MSG", "<label>@head");
    plan_is(UP, &g, &a, "heads", "002 003a 003b 004f 004m");
    plan_is(UP, &g, &a, "004m", "002 003b 004m");
    plan_is(UP, &g, &a, "004f", "002 003a 004f");
    plan_is(UP, &g, &a, "003b", "002 003b");
    plan_fails(UP, &g, &a, "003", "ambiguous", "003a (003a_feat.sql), 003b");
    plan_is(UP, &g, &a, "base", "");
    plan_is(UP, &g, &a, "001", "");          /* already applied */
    plan_is(UP, &g, &a, "feature@head", "002 003a 004f");
    plan_is(UP, &g, &a, "main@head", "002 003b 004m");
    plan_is(UP, &g, &a, "003a@head", "002 003a 004f"); /* an id as the label */
    plan_fails(UP, &g, &a, "002@head", "ambiguous", "004f, 004m");
    plan_fails(UP, &g, &a, "nolabel@head", "no revision carries the branch label 'nolabel'",
               NULL);
    plan_is(UP, &g, &a, "001+1", "002");
    plan_is(UP, &g, &a, "003b+1", "002 003b 004m");
    plan_fails(UP, &g, &a, "001+2", "branch point at '002'", "003a, 003b");
    plan_fails(UP, &g, &a, "003a+2", "'004f' is a head after 1 step", NULL);
    plan_fails(UP, &g, &a, "009+1", "unknown revision '009'", "upgrade accepts");
    plan_fails(UP, &g, &a, "001+x", "unknown target '001+x'", "upgrade accepts");
    plan_fails(UP, &g, &a, "+1", "several heads", NULL);
    plan_fails(UP, &g, &a, "-1", "upgrade cannot go to '-1'", "`dbmig downgrade -1`");
    plan_fails(UP, &g, &a, "", "unknown target", "+N");
    plan_fails(UP, &g, &a, "a b", "unknown revision 'a b'", "upgrade accepts");
    plan_fails(UP, &g, &a, "x@y", "unknown target", NULL);
    applied_free(&a);
    dm_graph_free(&g);
}

static void test_relative_upgrade(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", NULL, NULL, NULL, NULL);
    addf(&f, "003_c.sql", NULL, NULL, NULL, NULL);
    addf(&f, "004_d.sql", NULL, NULL, NULL, NULL);
    dm_graph g;
    build_ok(&g, &f);
    dm_applied a;
    applied_from(&g, &a, "001");
    plan_is(UP, &g, &a, "+1", "002");
    plan_is(UP, &g, &a, "+3", "002 003 004");
    plan_is(UP, &g, &a, "head", "002 003 004");
    plan_fails(UP, &g, &a, "+4", "only 3 revisions are pending", NULL);
    plan_fails(UP, &g, &a, "+0", "at least 1", NULL);
    plan_fails(UP, &g, &a, "+x", "at least 1", "upgrade accepts");
    plan_fails(UP, &g, &a, "+", "at least 1", NULL);
    plan_fails(UP, &g, &a, "+99999999999999999999999", "at least 1", NULL);
    plan_is(UP, &g, &a, "002+2", "002 003 004");
    plan_fails(UP, &g, &a, "002+3", "'004' is a head after 2 steps, so at most 2", NULL);
    applied_free(&a);
    applied_from(&g, &a, "001 002 003 004");
    plan_is(UP, &g, &a, "head", "");
    plan_fails(UP, &g, &a, "+1", "only 0 revisions are pending", NULL);
    applied_free(&a);
    dm_graph_free(&g);
}

/* ---- the planner ----------------------------------------------------------- */

/*  001 -> 002 -> 003 -> 005 (merge of 003, 004)
 *           \-> 004 --/        006 base, depends on 004; 007 <- 005 */
static void merged(dm_graph *g)
{
    files f = {0};
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", NULL, NULL, NULL, NULL);
    addf(&f, "003_c.sql", NULL, "002", NULL, NULL);
    addf(&f, "004_d.sql", NULL, "002", NULL, NULL);
    addf(&f, "005_m.sql", NULL, "003 004", NULL, NULL);
    addf(&f, "006_x.sql", NULL, "", "004", NULL);
    addf(&f, "007_n.sql", NULL, "005", NULL, NULL);
    build_ok(g, &f);
}

static void test_upgrade_plans(void **state)
{
    (void)state;
    dm_graph g;
    merged(&g);
    dm_applied a;
    applied_from(&g, &a, "");
    plan_is(UP, &g, &a, "003", "001 002 003");       /* the other branch left alone */
    plan_is(UP, &g, &a, "006", "001 002 004 006");   /* depends respected */
    plan_is(UP, &g, &a, "005", "001 002 003 004 005");
    plan_is(UP, &g, &a, "heads", "001 002 003 004 005 006 007");
    plan_is(UP, &g, NULL, "007", "001 002 003 004 005 007");
    applied_free(&a);
    applied_from(&g, &a, "001 002 003");
    plan_is(UP, &g, &a, "005", "004 005"); /* only unapplied ancestors */
    plan_is(UP, &g, &a, "007", "004 005 007");
    plan_fails(UP, &g, &a, "head", "several heads: 006, 007", NULL);
    applied_free(&a);
    dm_graph_free(&g);
}

static void test_downgrade_plans(void **state)
{
    (void)state;
    dm_graph g;
    merged(&g);
    dm_applied a;
    applied_from(&g, &a, "001 002 004 006 003 005 007");
    plan_is(DOWN, &g, &a, "base", "007 006 005 004 003 002 001");
    plan_is(DOWN, &g, &a, "002", "007 006 005 004 003");
    plan_is(DOWN, &g, &a, "005", "007");
    plan_fails(DOWN, &g, &a, "head", "several heads: 006, 007", "dbmig merge");
    plan_is(DOWN, &g, &a, "heads", "");
    /* down to one side of the merge: the merge goes, the other side stays;
     * 006 depends on 004, so it is a descendant of 004 */
    plan_is(DOWN, &g, &a, "003", "007 005");
    plan_is(DOWN, &g, &a, "004", "007 006 005");
    plan_is(DOWN, &g, &a, "-1", "007");
    plan_is(DOWN, &g, &a, "-2", "007 005");
    plan_is(DOWN, &g, &a, "-3", "007 005 003");
    plan_is(DOWN, &g, &a, "-4", "007 006 005 003"); /* 006 was applied 4th-last */
    plan_is(DOWN, &g, &a, "-5", "007 006 005 004 003");
    plan_is(DOWN, &g, &a, "-7", "007 006 005 004 003 002 001");
    plan_fails(DOWN, &g, &a, "-8", "only 7 revisions are applied", NULL);
    plan_fails(DOWN, &g, &a, "-0", "at least 1", "downgrade accepts");
    plan_fails(DOWN, &g, &a, "-x", "at least 1", NULL);
    plan_is(DOWN, &g, &a, "007-1", "007");
    plan_fails(DOWN, &g, &a, "007-2", "merge at '005'", "003, 004");
    plan_is(DOWN, &g, &a, "003-1", "007 006 005 004 003");
    plan_fails(DOWN, &g, &a, "003-3", "'001' is a base after 2 steps", NULL);
    plan_fails(DOWN, &g, &a, "0", "ambiguous", NULL);
    plan_fails(DOWN, &g, &a, "999", "unknown revision", "downgrade accepts");
    plan_fails(DOWN, &g, &a, "+1", "downgrade cannot go to '+1'", "`dbmig upgrade +1`");
    applied_free(&a);

    {
        /* only applied descendants are reverted */
        dm_applied b;
        applied_from(&g, &b, "001 002 003 004 005");
        plan_is(DOWN, &g, &b, "004", "005");
        plan_is(DOWN, &g, &b, "003", "005");
        plan_is(DOWN, &g, &b, "002", "005 004 003");
        applied_free(&b);
    }
    plan_fails(DOWN, &g, NULL, "-1", "only 0", NULL);
    plan_is(DOWN, &g, NULL, "base", "");
    dm_graph_free(&g);
}

static void test_dash_in_ids(void **state)
{
    (void)state;
    files f = {0};
    addf(&f, "rel_a.sql", "rel", NULL, NULL, NULL);
    addf(&f, "rel-1_b.sql", "rel-1", NULL, NULL, NULL);
    addf(&f, "rel-2x_c.sql", "rel-2x", NULL, NULL, NULL);
    addf(&f, "rel-3y_d.sql", "rel-3y", NULL, NULL, NULL);
    addf(&f, "zz-1abc_e.sql", "zz-1abc", NULL, NULL, NULL);
    addf(&f, "zz-2_f.sql", "zz-2", NULL, NULL, NULL);
    dm_graph g;
    build_ok(&g, &f);
    dm_applied a;
    applied_from(&g, &a, "rel rel-1 rel-2x rel-3y");
    plan_is(DOWN, &g, &a, "rel-1", "rel-3y rel-2x"); /* exact id wins */
    plan_is(DOWN, &g, &a, "rel-3y-2", "rel-3y rel-2x");
    plan_is(DOWN, &g, &a, "rel-1-1", "rel-3y rel-2x rel-1");
    /* "rel" resolves, so rel-3 is relative (and walks off the graph) */
    plan_fails(DOWN, &g, &a, "rel-3", "'rel' is a base after 0 steps", NULL);
    /* "zz" is an ambiguous prefix, so zz-1 is taken as a prefix of zz-1abc */
    unsigned char out[8];
    dm_err err = {0};
    assert_int_equal(dm_plan_stamp(&g, &a, "zz-1", out, &err), DBMIG_OK);
    for (size_t k = 0; k < g.n; k++)
        assert_int_equal(out[k], strcmp(g.revs[k].id, "zz-2") != 0);
    /* "zz-1a": not a count, so a prefix */
    assert_int_equal(dm_plan_stamp(&g, &a, "zz-1a", out, &err), DBMIG_OK);
    assert_int_equal(out[dm_graph_find(&g, "zz-1abc")], 1);
    assert_int_equal(out[dm_graph_find(&g, "zz-2")], 0);
    /* "zz-2-1" walks up from zz-2 */
    assert_int_equal(dm_plan_stamp(&g, &a, "zz-2-1", out, &err), DBMIG_OK);
    assert_int_equal(out[dm_graph_find(&g, "zz-1abc")], 1);
    assert_int_equal(out[dm_graph_find(&g, "zz-2")], 0);
    assert_int_equal(dm_plan_stamp(&g, &a, "z-1", out, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "ambiguous revision prefix 'z'"));
    assert_int_equal(dm_plan_stamp(&g, &a, "rel-2x", out, &err), DBMIG_OK);
    assert_int_equal(out[dm_graph_find(&g, "rel-2x")], 1);
    assert_int_equal(out[dm_graph_find(&g, "rel-3y")], 0);
    dm_err_free(&err);
    applied_free(&a);
    dm_graph_free(&g);
}

/* Issue 13, 14b: every target form for every command; `head` with several
 * heads refused for downgrade too; a downgrade target that is not applied
 * refused; what can be checked without a database, checked by
 * dm_target_check. */
static void check_ok(const dm_graph *g, const char *t, dm_target_cmd cmd)
{
    dm_err err = {0};
    if (dm_target_check(g, t, cmd, &err) != DBMIG_OK)
        fail_msg("dm_target_check '%s' (%d): %s", t, (int)cmd, dm_err_msg(&err));
    dm_err_free(&err);
}

static void check_fails(const dm_graph *g, const char *t, dm_target_cmd cmd, const char *text)
{
    dm_err err = {0};
    if (dm_target_check(g, t, cmd, &err) != DBMIG_EUSAGE)
        fail_msg("dm_target_check '%s' (%d): accepted", t, (int)cmd);
    if (!strstr(dm_err_msg(&err), text))
        fail_msg("dm_target_check '%s': '%s' lacks '%s'", t, dm_err_msg(&err), text);
    dm_err_free(&err);
}

static void test_targets_every_command(void **state)
{
    (void)state;
    dm_graph g;
    merged(&g);
    dm_applied a;
    applied_from(&g, &a, "001 002 003");
    /* upgrade <id>-N: N along parents, then its unapplied ancestors */
    plan_is(UP, &g, &a, "003-1", "");             /* 002: applied already */
    plan_is(UP, &g, &a, "007-1", "004 005");      /* 005 */
    plan_fails(UP, &g, &a, "005-1", "merge at '005'", "003, 004");
    plan_fails(UP, &g, &a, "nosuch-1", "unknown revision 'nosuch'", "upgrade accepts");
    plan_fails(UP, &g, &a, "003-0", "at least 1", NULL);
    plan_fails(UP, &g, &a, "003+0", "at least 1", NULL);
    plan_fails(UP, &g, &a, "+0", "at least 1", NULL);
    /* downgrade <id>+N: N along children; the target must be applied */
    plan_is(DOWN, &g, &a, "001+1", "003");        /* down to 002 */
    plan_fails(DOWN, &g, &a, "002+1", "branch point at '002'", "003, 004");
    plan_fails(DOWN, &g, &a, "003+9", "past the end", NULL);
    /* a target that is not applied: exit 2 naming it and the applied heads */
    plan_fails(DOWN, &g, &a, "004", "cannot downgrade to 004 (004_d.sql): it is not applied",
               "the applied head is 003");
    plan_fails(DOWN, &g, &a, "00", "ambiguous revision prefix '00'", "001 (001_a.sql)");
    plan_fails(DOWN, &g, &a, "heads", "cannot downgrade to 'heads' (006", "not applied");
    plan_fails(DOWN, &g, &a, "head", "several heads", "dbmig merge");
    plan_fails(DOWN, &g, &a, "-0", "at least 1", "downgrade accepts");
    plan_fails(DOWN, &g, &a, "+2", "downgrade cannot go to '+2'", "`dbmig upgrade +2`");
    plan_fails(DOWN, &g, NULL, "002", "it is not applied", "nothing is applied");
    plan_is(DOWN, &g, NULL, "base", "");
    /* the same checks without a database */
    check_ok(&g, "007-1", DM_TARGET_UPGRADE);
    check_ok(&g, "heads", DM_TARGET_UPGRADE);
    check_ok(&g, "base", DM_TARGET_UPGRADE);
    check_ok(&g, "004", DM_TARGET_DOWNGRADE); /* not applied: known only with the state */
    check_ok(&g, "-99", DM_TARGET_DOWNGRADE);
    check_ok(&g, "-1", DM_TARGET_STAMP);
    check_ok(&g, "001+1", DM_TARGET_STAMP);
    check_fails(&g, "nosuch", DM_TARGET_UPGRADE, "unknown revision 'nosuch'");
    check_fails(&g, "nosuch", DM_TARGET_DOWNGRADE, "unknown revision 'nosuch'");
    check_fails(&g, "nosuch", DM_TARGET_STAMP, "unknown revision 'nosuch'");
    check_fails(&g, "head", DM_TARGET_UPGRADE, "several heads");
    check_fails(&g, "head", DM_TARGET_DOWNGRADE, "several heads");
    check_fails(&g, "+1", DM_TARGET_UPGRADE, "several heads");
    check_fails(&g, "-1", DM_TARGET_UPGRADE, "`dbmig downgrade -1`");
    check_fails(&g, "+1", DM_TARGET_DOWNGRADE, "`dbmig upgrade +1`");
    check_fails(&g, "00", DM_TARGET_STAMP, "ambiguous");
    check_fails(&g, "005-2", DM_TARGET_STAMP, "merge at '005'");
    check_fails(&g, "", DM_TARGET_UPGRADE, "unknown target");
    applied_free(&a);
    dm_graph_free(&g);

    /* one head: downgrade head is that head, and must be applied */
    files f = {0};
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", NULL, NULL, NULL, NULL);
    addf(&f, "003_c.sql", NULL, NULL, NULL, NULL);
    build_ok(&g, &f);
    applied_from(&g, &a, "001 002 003");
    plan_is(DOWN, &g, &a, "head", "");
    plan_is(DOWN, &g, &a, "heads", "");
    plan_is(DOWN, &g, &a, "head-1", "003");
    plan_is(DOWN, &g, &a, "001+1", "003");
    plan_is(UP, &g, &a, "head-1", "");
    applied_free(&a);
    applied_from(&g, &a, "001");
    plan_fails(DOWN, &g, &a, "head", "cannot downgrade to 'head' (003, 003_c.sql)",
               "the applied head is 001");
    plan_is(UP, &g, &a, "head-1", "002");
    plan_is(UP, &g, &a, "003-2", "");
    unsigned char out[4];
    dm_err err = {0};
    assert_int_equal(dm_plan_stamp(&g, &a, "+2", out, &err), DBMIG_OK);
    assert_memory_equal(out, "\1\1\1", 3);
    assert_int_equal(dm_plan_stamp(&g, &a, "+3", out, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "only 2 revisions are pending"));
    dm_err_free(&err);
    applied_free(&a);
    dm_graph_free(&g);
}

static void test_stamp(void **state)
{
    (void)state;
    dm_graph g;
    merged(&g);
    dm_applied a;
    applied_from(&g, &a, "001 002 003 006");
    unsigned char out[16];
    dm_err err = {0};
    char buf[256];
    size_t idx[16], k;

#define FLAGS(str)                                                                                 \
    do {                                                                                           \
        k = 0;                                                                                     \
        for (size_t q = 0; q < g.n; q++)                                                           \
            if (out[q])                                                                            \
                idx[k++] = q;                                                                      \
        ids_of(&g, idx, k, buf, sizeof buf);                                                       \
        assert_string_equal(buf, str);                                                             \
    } while (0)

    assert_int_equal(dm_plan_stamp(&g, &a, "base", out, &err), DBMIG_OK);
    FLAGS("");
    assert_int_equal(dm_plan_stamp(&g, &a, "heads", out, &err), DBMIG_OK);
    FLAGS("001 002 003 004 005 006 007");
    assert_int_equal(dm_plan_stamp(&g, &a, "005", out, &err), DBMIG_OK);
    FLAGS("001 002 003 004 005 006");
    /* stamping 002 drops its descendants (006 depends on 004, a descendant) */
    assert_int_equal(dm_plan_stamp(&g, &a, "002", out, &err), DBMIG_OK);
    FLAGS("001 002");
    assert_int_equal(dm_plan_stamp(&g, &a, "004", out, &err), DBMIG_OK);
    FLAGS("001 002 003 004");
    assert_int_equal(dm_plan_stamp(&g, &a, "005+1", out, &err), DBMIG_OK);
    FLAGS("001 002 003 004 005 006 007");
    assert_int_equal(dm_plan_stamp(&g, &a, "head", out, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "several heads"));
    /* -N / +N: the state `downgrade -N` / `upgrade +N` would leave */
    assert_int_equal(dm_plan_stamp(&g, &a, "-1", out, &err), DBMIG_OK);
    FLAGS("001 002 003");
    assert_int_equal(dm_plan_stamp(&g, &a, "-5", out, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "only 4 revisions are applied"));
    assert_int_equal(dm_plan_stamp(&g, &a, "+1", out, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "several heads"));
    assert_int_equal(dm_plan_stamp(&g, &a, "-0", out, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "stamp accepts"));
    applied_free(&a);
    dm_graph_free(&g);

    files f = {0};
    addf(&f, "001_a.sql", NULL, NULL, NULL, NULL);
    addf(&f, "002_b.sql", NULL, NULL, NULL, NULL);
    build_ok(&g, &f);
    applied_from(&g, &a, "");
    assert_int_equal(dm_plan_stamp(&g, &a, "head", out, &err), DBMIG_OK);
    FLAGS("001 002");
    assert_int_equal(dm_plan_stamp(&g, &a, "002-1", out, &err), DBMIG_OK);
    FLAGS("001");
    /* out may be the applied flags themselves */
    a.is[1] = 1;
    assert_int_equal(dm_plan_stamp(&g, &a, "001", a.is, &err), DBMIG_OK);
    memcpy(out, a.is, g.n);
    FLAGS("001");
#undef FLAGS
    applied_free(&a);
    dm_graph_free(&g);
    dm_err_free(&err);
}

static void test_missing_and_applied_heads(void **state)
{
    (void)state;
    dm_graph g;
    merged(&g);
    dm_applied a;
    applied_from(&g, &a, "001 003 006");
    unsigned char out[16];
    assert_int_equal(dm_graph_missing(&g, &a, out), 2); /* 002 and 004 */
    assert_true(out[dm_graph_find(&g, "002")]);
    assert_true(out[dm_graph_find(&g, "004")]);
    assert_false(out[dm_graph_find(&g, "001")]);
    assert_false(out[dm_graph_find(&g, "005")]);
    assert_int_equal(dm_graph_missing(&g, &a, NULL), 2);
    size_t heads[16];
    char buf[256];
    size_t n = dm_graph_applied_heads(&g, &a, heads);
    ids_of(&g, heads, n, buf, sizeof buf);
    assert_string_equal(buf, "001 003 006"); /* 001's only child is not applied */
    applied_free(&a);
    applied_from(&g, &a, "001 002 003 004 005");
    assert_int_equal(dm_graph_missing(&g, &a, out), 0);
    n = dm_graph_applied_heads(&g, &a, heads);
    ids_of(&g, heads, n, buf, sizeof buf);
    assert_string_equal(buf, "005");
    applied_free(&a);
    assert_int_equal(dm_graph_applied_heads(&g, NULL, heads), 0);

    unsigned char m[16] = {0};
    m[dm_graph_find(&g, "004")] = 1;
    dm_graph_descendants(&g, m);
    size_t idx[16], k = 0;
    for (size_t q = 0; q < g.n; q++)
        if (m[q])
            idx[k++] = q;
    ids_of(&g, idx, k, buf, sizeof buf);
    assert_string_equal(buf, "004 005 006 007");
    memset(m, 0, sizeof m);
    m[dm_graph_find(&g, "006")] = 1;
    dm_graph_ancestors(&g, m);
    k = 0;
    for (size_t q = 0; q < g.n; q++)
        if (m[q])
            idx[k++] = q;
    ids_of(&g, idx, k, buf, sizeof buf);
    assert_string_equal(buf, "001 002 004 006");
    dm_graph_free(&g);
}

/* ---- randomized property test ---------------------------------------------- */

static uint64_t rnd_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#define PCHECK(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            fail_msg("seed %llu: %s (line %d)", (unsigned long long)seed, #c, __LINE__);            \
    } while (0)

/* Nodes created in order 0..n-1, edges only to earlier nodes; masks index
 * creation order. Files are given in a random order with explicit parents. */
static void random_case(uint64_t seed)
{
    uint64_t s = seed * 2654435761u + 1;
    size_t n = 1 + (size_t)(rnd_next(&s) % 40);
    char ids[40][32];
    uint64_t pred[40] = {0}, par[40] = {0}, anc[40], desc[40];
    for (size_t k = 0; k < n; k++) {
        snprintf(ids[k], sizeof ids[k], "%c%c.%zu", "abc0123"[rnd_next(&s) % 7],
                 "xy9"[rnd_next(&s) % 3], k);
        if (k) {
            size_t np = (size_t)(rnd_next(&s) % 3);
            for (size_t q = 0; q < np; q++)
                par[k] |= 1ull << (rnd_next(&s) % k);
            pred[k] = par[k];
            if (rnd_next(&s) % 4 == 0)
                pred[k] |= 1ull << (rnd_next(&s) % k);
        }
    }
    for (size_t k = 0; k < n; k++) {
        anc[k] = 1ull << k;
        for (size_t p = 0; p < k; p++)
            if (pred[k] >> p & 1)
                anc[k] |= anc[p];
    }
    for (size_t k = 0; k < n; k++) {
        desc[k] = 0;
        for (size_t j = 0; j < n; j++)
            if (anc[j] >> k & 1)
                desc[k] |= 1ull << j;
    }
    dm_graph gs[2];
    size_t cr[2][40]; /* creation index of graph index */
    for (int t = 0; t < 2; t++) {
        size_t perm[40];
        for (size_t k = 0; k < n; k++)
            perm[k] = k;
        for (size_t k = n; k > 1; k--) {
            size_t j = (size_t)(rnd_next(&s) % k), tmp = perm[k - 1];
            perm[k - 1] = perm[j];
            perm[j] = tmp;
        }
        files f = {0};
        for (size_t i = 0; i < n; i++) {
            size_t k = perm[i];
            char pbuf[512] = "", dbuf[512] = "", fname[32];
            for (size_t p = 0; p < n; p++) {
                if (par[k] >> p & 1)
                    strcat(strcat(pbuf, " "), ids[p]);
                else if (pred[k] >> p & 1)
                    strcat(strcat(dbuf, " "), ids[p]);
            }
            snprintf(fname, sizeof fname, "f%02zu_x.sql", i);
            addf(&f, fname, ids[k], pbuf, dbuf, NULL);
            cr[t][i] = k;
        }
        dm_err err = {0};
        int rc = build(&gs[t], &f, &err);
        if (rc != DBMIG_OK)
            fail_msg("seed %llu: build: %s", (unsigned long long)seed, dm_err_msg(&err));
        dm_err_free(&err);
    }
    dm_graph *g = &gs[0];
    const size_t *c = cr[0];
    /* same order whatever the file order */
    for (size_t k = 0; k < n; k++)
        PCHECK(strcmp(g->revs[g->order[k]].id, gs[1].revs[gs[1].order[k]].id) == 0);
    /* Kahn with ties by id: each step takes the smallest available id */
    uint64_t done = 0;
    for (size_t k = 0; k < n; k++) {
        const char *best = NULL;
        for (size_t v = 0; v < n; v++)
            if (!(done >> c[v] & 1) && (pred[c[v]] & ~done) == 0 &&
                (!best || strcmp(g->revs[v].id, best) < 0))
                best = g->revs[v].id;
        PCHECK(best && strcmp(best, g->revs[g->order[k]].id) == 0);
        done |= 1ull << c[g->order[k]];
    }
    for (size_t v = 0; v < n; v++)
        PCHECK(dm_graph_find(g, g->revs[v].id) == v);
    size_t nh = 0;
    for (size_t v = 0; v < n; v++) {
        int head = 1;
        for (size_t j = 0; j < n; j++)
            if (par[j] >> c[v] & 1)
                head = 0;
        nh += (size_t)head;
        PCHECK((g->revs[v].nchildren == 0) == head);
    }
    PCHECK(nh == g->nheads);

    /* a random applied set (not necessarily closed), random sequence */
    dm_applied a = {calloc(n, 1), calloc(n, sizeof(size_t)), 0};
    uint64_t app = 0;
    for (size_t v = 0; v < n; v++)
        if (rnd_next(&s) % 2) {
            a.is[v] = 1;
            a.by_seq[a.nseq++] = v;
            app |= 1ull << c[v];
        }
    for (size_t k = a.nseq; k > 1; k--) {
        size_t j = (size_t)(rnd_next(&s) % k), tmp = a.by_seq[k - 1];
        a.by_seq[k - 1] = a.by_seq[j];
        a.by_seq[j] = tmp;
    }
    dm_err err = {0};
    for (size_t t = 0; t < n; t++) {
        dm_plan p;
        /* upgrade: exactly the unapplied ancestors, each after its preds */
        PCHECK(dm_plan_upgrade(g, &a, g->revs[t].id, &p, &err) == DBMIG_OK);
        uint64_t got = 0;
        for (size_t k = 0; k < p.n; k++) {
            size_t x = c[p.v[k]];
            PCHECK((pred[x] & ~(app | got)) == 0);
            got |= 1ull << x;
        }
        PCHECK(got == (anc[c[t]] & ~app));
        PCHECK(((got | app) & anc[c[t]]) == anc[c[t]]);
        dm_plan_free(&p);
        /* downgrade: applied strict descendants, each before its preds; a
         * target that is not applied is refused */
        if (!a.is[t]) {
            PCHECK(dm_plan_downgrade(g, &a, g->revs[t].id, &p, &err) == DBMIG_EUSAGE);
            PCHECK(strstr(dm_err_msg(&err), "is not applied") != NULL);
            PCHECK(p.n == 0);
        }
        if (a.is[t])
            PCHECK(dm_plan_downgrade(g, &a, g->revs[t].id, &p, &err) == DBMIG_OK);
        uint64_t want = a.is[t] ? desc[c[t]] & ~(1ull << c[t]) & app : 0;
        got = 0;
        for (size_t k = 0; k < p.n; k++) {
            size_t x = c[p.v[k]];
            for (size_t j = 0; j < n; j++)
                if ((pred[j] >> x & 1) && (want >> j & 1))
                    PCHECK(got >> j & 1);
            got |= 1ull << x;
        }
        PCHECK(got == want);
        dm_plan_free(&p);
        /* stamp */
        unsigned char out[40];
        PCHECK(dm_plan_stamp(g, &a, g->revs[t].id, out, &err) == DBMIG_OK);
        uint64_t st = (app & ~desc[c[t]]) | anc[c[t]];
        for (size_t v = 0; v < n; v++)
            PCHECK(out[v] == (st >> c[v] & 1));
    }
    /* -N */
    for (size_t N = 1; N <= a.nseq; N++) {
        dm_plan p;
        char tg[16];
        snprintf(tg, sizeof tg, "-%zu", N);
        PCHECK(dm_plan_downgrade(g, &a, tg, &p, &err) == DBMIG_OK);
        uint64_t want = 0;
        for (size_t k = a.nseq - N; k < a.nseq; k++)
            want |= desc[c[a.by_seq[k]]];
        want &= app;
        uint64_t got = 0;
        for (size_t k = 0; k < p.n; k++) {
            size_t x = c[p.v[k]];
            for (size_t j = 0; j < n; j++)
                if ((pred[j] >> x & 1) && (want >> j & 1))
                    PCHECK(got >> j & 1);
            got |= 1ull << x;
        }
        PCHECK(got == want);
        dm_plan_free(&p);
    }
    /* missing */
    unsigned char miss[40];
    uint64_t closure = 0;
    for (size_t v = 0; v < n; v++)
        if (app >> v & 1)
            closure |= anc[v];
    size_t nm = dm_graph_missing(g, &a, miss);
    PCHECK(nm == (size_t)__builtin_popcountll(closure & ~app));
    for (size_t v = 0; v < n; v++)
        PCHECK(miss[v] == ((closure & ~app) >> c[v] & 1));
    dm_err_free(&err);
    free(a.is);
    free(a.by_seq);
    dm_graph_free(&gs[0]);
    dm_graph_free(&gs[1]);
}

static void test_random_dags(void **state)
{
    (void)state;
    const char *env = getenv("DBMIG_GRAPH_SEED");
    uint64_t base = env ? strtoull(env, NULL, 10) : 20251116u;
    for (uint64_t k = 0; k < 400; k++)
        random_case(base + k);
}

/* ---- a long chain ---------------------------------------------------------- */

static void test_long_chain(void **state)
{
    (void)state;
    const size_t n = 100000;
    dm_migfile *fs = calloc(n, sizeof *fs);
    assert_non_null(fs);
    for (size_t i = 0; i < n; i++) {
        char id[16], name[32];
        snprintf(id, sizeof id, "%06zu", i);
        snprintf(name, sizeof name, "%06zu_m.sql", i);
        fs[i].revision = dm_strdup(id);
        fs[i].filename = dm_strdup(name);
        fs[i].path = dm_strdup(name);
    }
    dm_graph g;
    dm_err err = {0};
    assert_int_equal(dm_graph_build(&g, fs, n, &err), DBMIG_OK);
    free(fs);
    assert_int_equal(g.nheads, 1);
    assert_int_equal(g.heads[0], n - 1);
    dm_applied a = {calloc(n, 1), calloc(n, sizeof(size_t)), 0};
    dm_plan p;
    assert_int_equal(dm_plan_upgrade(&g, &a, "head", &p, &err), DBMIG_OK);
    assert_int_equal(p.n, n);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(p.v[k], k);
    dm_plan_free(&p);
    for (size_t k = 0; k < n / 2; k++) {
        a.is[k] = 1;
        a.by_seq[a.nseq++] = k;
    }
    assert_int_equal(dm_plan_upgrade(&g, &a, "+10", &p, &err), DBMIG_OK);
    assert_int_equal(p.n, 10);
    assert_int_equal(p.v[0], n / 2);
    dm_plan_free(&p);
    assert_int_equal(dm_plan_downgrade(&g, &a, "base", &p, &err), DBMIG_OK);
    assert_int_equal(p.n, n / 2);
    assert_int_equal(p.v[0], n / 2 - 1);
    dm_plan_free(&p);
    assert_int_equal(dm_plan_downgrade(&g, &a, "-3", &p, &err), DBMIG_OK);
    assert_int_equal(p.n, 3);
    dm_plan_free(&p);
    assert_int_equal(dm_plan_upgrade(&g, &a, "000000+99999", &p, &err), DBMIG_OK);
    assert_int_equal(p.n, n / 2);
    dm_plan_free(&p);
    assert_int_equal(dm_plan_upgrade(&g, &a, "09999", &p, &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "matches 10 revisions"));
    unsigned char *miss = calloc(n, 1);
    assert_int_equal(dm_graph_missing(&g, &a, miss), 0);
    free(miss);
    free(a.is);
    free(a.by_seq);
    dm_err_free(&err);
    dm_graph_free(&g);
}

/* ---- loading a folder ------------------------------------------------------ */

static void test_load_dir_missing(void **state)
{
    (void)state;
    dm_graph g;
    dm_err err = {0};
    assert_int_equal(dm_graph_load_dir(&g, "/nonexistent/dbmig-migrations", &err), DBMIG_EUSAGE);
    assert_non_null(strstr(dm_err_msg(&err), "cannot read migrations folder "
                                             "'/nonexistent/dbmig-migrations': No such file"));
    assert_non_null(strstr(dm_err_msg(&err), "pass --dir or create it"));
    assert_null(g.revs);
    dm_err_free(&err);
}

static void test_load_dir_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/dbmig-graph-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub.sql", dir);
    assert_int_equal(mkdir(sub, 0700), 0); /* a folder named *.sql is ignored */
    ut_write_file(dir, "002_users.sql", "-- dbmig:up\nCREATE TABLE users (id int);\n"
                                     "-- dbmig:down\nDROP TABLE users;\n");
    ut_write_file(dir, "001_init.sql", "CREATE TABLE t (id int);\n");
    ut_write_file(dir, "003_side.sql", "-- dbmig:parents 001\n-- dbmig:branch side\n"
                                    "CREATE TABLE s (id int);\n");
    ut_write_file(dir, "README.md", "not a migration\n");
    ut_write_file(dir, ".004_hidden.sql", "CREATE TABLE h (id int);\n");
    dm_graph g;
    dm_err err = {0};
    int rc = dm_graph_load_dir(&g, dir, &err);
    if (rc != DBMIG_OK)
        fail_msg("load: %s", dm_err_msg(&err));
    assert_int_equal(g.n, 3);
    assert_string_equal(g.revs[0].file.filename, "001_init.sql");
    assert_string_equal(g.revs[1].id, "002");
    assert_int_equal(g.revs[1].nparents, 1);
    assert_int_equal(g.revs[1].parents[0], 0);
    assert_int_equal(g.revs[2].parents[0], 0);
    assert_int_equal(g.nheads, 2);
    dm_plan p;
    assert_int_equal(dm_plan_upgrade(&g, NULL, "side@head", &p, &err), DBMIG_OK);
    char buf[128];
    ids_of(&g, p.v, p.n, buf, sizeof buf);
    assert_string_equal(buf, "001 003");
    dm_plan_free(&p);
    dm_graph_free(&g);

    /* an error in one file names it */
    ut_write_file(dir, "004_bad.sql", "-- dbmig:parents 00x\nSELECT 1;\n");
    assert_int_equal(dm_graph_load_dir(&g, dir, &err), DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "004_bad.sql"));
    assert_non_null(strstr(dm_err_msg(&err), "unknown parent '00x'"));
    dm_err_free(&err);

    static const char *const names[] = {"001_init.sql", "002_users.sql", "003_side.sql",
                                        "004_bad.sql", "README.md", ".004_hidden.sql"};
    char path[700];
    for (size_t k = 0; k < 6; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        unlink(path);
    }
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_parents_chain),
        cmocka_unit_test(test_explicit_base_and_dedup),
        cmocka_unit_test(test_empty_graph),
        cmocka_unit_test(test_err_duplicate),
        cmocka_unit_test(test_err_unknown_parent),
        cmocka_unit_test(test_err_reserved),
        cmocka_unit_test(test_err_self),
        cmocka_unit_test(test_err_cycle),
        cmocka_unit_test(test_topo_deterministic),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_upgrade_targets),
        cmocka_unit_test(test_relative_upgrade),
        cmocka_unit_test(test_upgrade_plans),
        cmocka_unit_test(test_downgrade_plans),
        cmocka_unit_test(test_dash_in_ids),
        cmocka_unit_test(test_targets_every_command),
        cmocka_unit_test(test_stamp),
        cmocka_unit_test(test_missing_and_applied_heads),
        cmocka_unit_test(test_random_dags),
        cmocka_unit_test(test_long_chain),
        cmocka_unit_test(test_load_dir_missing),
        cmocka_unit_test(test_load_dir_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
