/* fuzz_target.c — the target-expression parser and the planner over a fixed
 * graph with a branch point, a merge, a `depends` edge, branch labels and
 * two heads. The first two input bytes choose the applied set (possibly
 * inconsistent, as a damaged version table would be), the third byte the
 * order of application; the rest is the target expression, tried as an
 * upgrade, downgrade, stamp and plain reference. Invariants: success or a
 * message; a plan never repeats a revision, upgrades only unapplied ones,
 * downgrades only applied ones. */
#include "fuzz_common.h"
#include "graph.h"
#include "plan.h"

static const char *const fz_files[][2] = {
    {"001_base.sql", "-- dbmig:branch core\nCREATE TABLE a (id INT);\n"},
    {"002_b.sql", "CREATE TABLE b (id INT);\n"},
    {"003_c.sql", "-- dbmig:parents 002\n-- dbmig:branch feature\nCREATE TABLE c (id INT);\n"},
    {"004_d.sql", "-- dbmig:parents 002\nCREATE TABLE d (id INT);\n"},
    {"005_merge.sql", "-- dbmig:parents 003 004\n-- dbmig:up\n-- dbmig:down\n"},
    {"006_e.sql", "-- dbmig:parents 005\n-- dbmig:depends 004\nCREATE TABLE e (id INT);\n"},
    {"007_other.sql", "-- dbmig:parents base\n-- dbmig:branch other\nCREATE TABLE o (id INT);\n"},
    {"008-x.sql", "-- dbmig:revision 008-x\n-- dbmig:parents 007\nCREATE TABLE x (id INT);\n"},
};
#define FZ_NFILES (sizeof fz_files / sizeof fz_files[0])

static void fz_check_plan(const dm_graph *g, const dm_applied *a, const dm_plan *p, int up)
{
    unsigned char seen[FZ_NFILES] = {0};
    for (size_t i = 0; i < p->n; i++) {
        FZ_CHECK(p->v[i] < g->n && !seen[p->v[i]]);
        seen[p->v[i]] = 1;
        FZ_CHECK(up ? !a->is[p->v[i]] : a->is[p->v[i]]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dm_migfile files[FZ_NFILES];
    dm_err e = {0};
    for (size_t i = 0; i < FZ_NFILES; i++) {
        char path[64] = "m/";
        strcat(path, fz_files[i][0]);
        FZ_CHECK(dm_migfile_parse(path, fz_files[i][1], strlen(fz_files[i][1]), &files[i], &e) == 0);
    }
    dm_graph g;
    FZ_CHECK(dm_graph_build(&g, files, FZ_NFILES, &e) == 0);

    unsigned mask = size > 1 ? (unsigned)data[0] | (unsigned)data[1] << 8 : 0;
    unsigned rot = size > 2 ? data[2] : 0;
    size_t skip = size > 3 ? 3 : size;
    char *target = fz_cstr(data + skip, size - skip);

    unsigned char is[FZ_NFILES] = {0};
    size_t by_seq[FZ_NFILES], nseq = 0;
    for (size_t k = 0; k < g.n; k++) {
        size_t i = (k + rot) % g.n;
        if (mask & (1u << i)) {
            is[i] = 1;
            by_seq[nseq++] = i;
        }
    }
    dm_applied a = {is, by_seq, nseq};

    dm_plan p = {0};
    int rc = dm_plan_upgrade(&g, &a, target, &p, &e);
    FZ_CHECK(rc == 0 || dm_err_msg(&e)[0]);
    if (rc == 0)
        fz_check_plan(&g, &a, &p, 1);
    dm_plan_free(&p);
    dm_err_clear(&e);

    rc = dm_plan_downgrade(&g, &a, target, &p, &e);
    FZ_CHECK(rc == 0 || dm_err_msg(&e)[0]);
    if (rc == 0)
        fz_check_plan(&g, &a, &p, 0);
    dm_plan_free(&p);
    dm_err_clear(&e);

    unsigned char out[FZ_NFILES];
    rc = dm_plan_stamp(&g, &a, target, out, &e);
    FZ_CHECK(rc == 0 || dm_err_msg(&e)[0]);
    dm_err_clear(&e);

    size_t r = DM_NONE;
    rc = dm_graph_resolve(&g, target, &r, &e);
    FZ_CHECK(rc != 0 || r < g.n);
    FZ_CHECK(rc == 0 || dm_err_msg(&e)[0]);
    dm_err_clear(&e);
    rc = dm_graph_lookup(&g, target, &r, &e);
    FZ_CHECK(rc != 0 || r < g.n);

    size_t heads[FZ_NFILES];
    FZ_CHECK(dm_graph_applied_heads(&g, &a, heads) <= nseq);
    (void)dm_graph_missing(&g, &a, NULL);

    free(target);
    dm_err_free(&e);
    dm_graph_free(&g);
    return 0;
}
