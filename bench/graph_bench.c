/* graph_bench.c — how fast the revision graph loads, plans and draws.
 *
 *  1. Loading: writes a folder of --files migration files (default 10,000;
 *     a chain in file-name order with a branch and a merge every 100 files,
 *     each file with a header, an up and a down section), then times
 *     dm_graph_load_dir (read, parse, checksum, build) — best of --runs.
 *  2. Planning: builds synthetic graphs in memory (a chain with random side
 *     branches, merges and depends edges; --revs revisions, default 100,000,
 *     and 1/8, 1/4, 1/2 of it) and times the build (id sort, edges,
 *     topological order), `upgrade head` from nothing and from half applied,
 *     `downgrade base`, `stamp head`, the missing-ancestor scan and the
 *     history drawing. The ns/revision column shows whether it grows
 *     linearly.
 *
 * Run with bench/run-graph.sh (Release build). Not a test: no thresholds. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "graph.h"
#include "history.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void die(const char *what, const dm_err *err)
{
    fprintf(stderr, "graph_bench: %s: %s\n", what, err ? dm_err_msg(err) : "failed");
    exit(1);
}

/* ---- 1. loading a folder ------------------------------------------------- */

static void write_folder(const char *dir, size_t n)
{
    char path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%06zu_table_%zu.sql", dir, i, i);
        FILE *f = fopen(path, "w");
        if (!f)
            die("cannot write the folder", NULL);
        fprintf(f, "-- dbmig:message create table t%zu\n", i);
        if (i % 100 == 50)
            fprintf(f, "-- dbmig:parents %06zu\n-- dbmig:branch side%zu\n", i - 2, i / 100);
        else if (i % 100 == 51)
            fprintf(f, "-- dbmig:parents %06zu %06zu\n", i - 2, i - 1);
        fprintf(f,
                "-- dbmig:up\n"
                "CREATE TABLE t%zu (\n"
                "    id BIGINT NOT NULL PRIMARY KEY,\n"
                "    name VARCHAR(200) NOT NULL DEFAULT 'x;y', -- a comment; with a semicolon\n"
                "    created_at TIMESTAMP NOT NULL\n"
                ");\n"
                "CREATE INDEX t%zu_name ON t%zu (name);\n"
                "-- dbmig:down\n"
                "DROP TABLE t%zu;\n",
                i, i, i, i);
        fclose(f);
    }
}

static void remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void bench_load(size_t nfiles, int runs)
{
    char dir[] = "/tmp/dbmig-bench-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    double t0 = now_ms();
    write_folder(dir, nfiles);
    double tw = now_ms() - t0;
    double best = 1e30, first = 0;
    dm_graph g;
    dm_err err = {0};
    for (int r = 0; r < runs; r++) {
        t0 = now_ms();
        if (dm_graph_load_dir(&g, dir, &err) != DBMIG_OK)
            die("load", &err);
        double t = now_ms() - t0;
        if (r == 0)
            first = t;
        if (t < best)
            best = t;
        if (r + 1 < runs)
            dm_graph_free(&g);
    }
    dm_plan p;
    t0 = now_ms();
    if (dm_plan_upgrade(&g, NULL, "head", &p, &err) != DBMIG_OK)
        die("plan", &err);
    double tp = now_ms() - t0;
    printf("load a folder of %zu files (written in %.0f ms):\n", nfiles, tw);
    printf("  dm_graph_load_dir      first %8.1f ms   best of %d %8.1f ms   (%.1f us/file)\n",
           first, runs, best, best * 1e3 / (double)nfiles);
    printf("  upgrade head plan      %8.2f ms   (%zu revisions, %zu heads)\n", tp, p.n,
           g.nheads);
    dm_plan_free(&p);
    dm_graph_free(&g);
    dm_err_free(&err);
    remove_folder(dir);
}

/* ---- 2. planning on synthetic graphs ---------------------------------------- */

/* A chain with side branches (opened at random, a few revisions long, then
 * merged back), occasional depends on an earlier revision; one head. */
static dm_migfile *synth(size_t n, uint64_t seed)
{
    dm_migfile *fs = calloc(n, sizeof *fs);
    if (!fs)
        die("out of memory", NULL);
    uint64_t s = seed;
    char id[32], name[64];
    size_t main_tip = (size_t)-1, side_tip = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        dm_migfile *f = &fs[i];
        snprintf(id, sizeof id, "%014zu", 20250000000000u + i * 7);
        snprintf(name, sizeof name, "%s_m%zu.sql", id, i);
        f->revision = dm_strdup(id);
        f->filename = dm_strdup(name);
        f->path = dm_strdup(name);
        f->message = dm_strdup(name);
        f->transaction = 1;
        f->parents_set = 1;
        const char *pa = NULL, *pb = NULL;
        int last = i + 1 == n;
        if (i == 0) {
            main_tip = 0;
            continue;
        }
        if (side_tip != (size_t)-1 && (last || rnd(&s) % 8 == 0)) { /* merge */
            pa = fs[main_tip].revision;
            pb = fs[side_tip].revision;
            main_tip = i;
            side_tip = (size_t)-1;
        } else if (side_tip == (size_t)-1 && !last && rnd(&s) % 16 == 0) { /* branch */
            pa = fs[main_tip].revision;
            side_tip = i;
        } else if (side_tip != (size_t)-1 && rnd(&s) % 2) {
            pa = fs[side_tip].revision;
            side_tip = i;
        } else {
            pa = fs[main_tip].revision;
            main_tip = i;
        }
        dm_strv_push(&f->parents, pa);
        if (pb)
            dm_strv_push(&f->parents, pb);
        if (i > 10 && rnd(&s) % 50 == 0)
            dm_strv_push(&f->depends, fs[i - 2 - (size_t)(rnd(&s) % 8)].revision);
        if (f->depends.n && (strcmp(f->depends.v[0], pa) == 0 || (pb && strcmp(f->depends.v[0], pb) == 0))) {
            dm_strv_free(&f->depends);
            memset(&f->depends, 0, sizeof f->depends);
        }
    }
    return fs;
}

static void bench_plan(size_t n)
{
    dm_migfile *fs = synth(n, 0x5eedULL + n);
    dm_graph g;
    dm_err err = {0};
    double t0 = now_ms();
    if (dm_graph_build(&g, fs, n, &err) != DBMIG_OK)
        die("build", &err);
    double tb = now_ms() - t0;
    free(fs);
    dm_applied a = {calloc(n, 1), calloc(n, sizeof(size_t)), 0};
    dm_plan p;
    t0 = now_ms();
    if (dm_plan_upgrade(&g, &a, "head", &p, &err) != DBMIG_OK)
        die("upgrade head", &err);
    double tu = now_ms() - t0;
    size_t planned = p.n;
    /* apply the first half of the plan */
    for (size_t k = 0; k < p.n / 2; k++) {
        a.is[p.v[k]] = 1;
        a.by_seq[a.nseq++] = p.v[k];
    }
    dm_plan_free(&p);
    t0 = now_ms();
    if (dm_plan_upgrade(&g, &a, "head", &p, &err) != DBMIG_OK)
        die("upgrade head (half applied)", &err);
    double tu2 = now_ms() - t0;
    dm_plan_free(&p);
    t0 = now_ms();
    if (dm_plan_downgrade(&g, &a, "base", &p, &err) != DBMIG_OK)
        die("downgrade base", &err);
    double td = now_ms() - t0;
    dm_plan_free(&p);
    unsigned char *out = malloc(n);
    t0 = now_ms();
    if (dm_plan_stamp(&g, &a, "head", out, &err) != DBMIG_OK)
        die("stamp head", &err);
    double ts = now_ms() - t0;
    free(out);
    t0 = now_ms();
    size_t miss = dm_graph_missing(&g, &a, NULL);
    double tm = now_ms() - t0;
    dm_history h;
    t0 = now_ms();
    if (dm_history_draw(&g, NULL, &h, &err) != DBMIG_OK)
        die("history", &err);
    double th = now_ms() - t0;
    size_t width = 0;
    for (size_t i = 0; i < h.n; i++)
        if (strlen(h.rows[i].graph) / 2 > width)
            width = strlen(h.rows[i].graph) / 2;
    dm_history_free(&h);
    size_t merges = 0;
    for (size_t i = 0; i < g.n; i++)
        merges += g.revs[i].nparents > 1;
    printf("%8zu revisions (%zu merges, %zu heads, drawing %zu wide): build %7.1f ms | "
           "upgrade head %6.2f ms (%zu planned), half applied %6.2f ms | downgrade base %6.2f ms "
           "| stamp %6.2f ms | missing %6.2f ms (%zu) | history %6.1f ms | plan %.0f ns/rev\n",
           n, merges, g.nheads, width, tb, tu, planned, tu2, td, ts, tm, miss, th,
           tu * 1e6 / (double)n);
    free(a.is);
    free(a.by_seq);
    dm_graph_free(&g);
    dm_err_free(&err);
}

int main(int argc, char **argv)
{
    size_t nfiles = 10000, nrevs = 100000;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--files") == 0 && i + 1 < argc)
            nfiles = (size_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--revs") == 0 && i + 1 < argc)
            nrevs = (size_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: graph_bench [--files N] [--revs N] [--runs N]\n");
            return 2;
        }
    }
    if (runs < 1)
        runs = 1;
    if (nfiles)
        bench_load(nfiles, runs);
    if (nrevs) {
        printf("plan on synthetic graphs (chain + random branches, merges, depends):\n");
        for (size_t d = 8; d >= 1; d /= 2)
            bench_plan(nrevs / d);
    }
    return 0;
}
