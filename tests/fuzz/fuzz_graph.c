/* fuzz_graph.c — graph loading from a generated folder. The input is cut
 * into up to 12 files at lines "%%%% <name>"; each name is made a plain
 * file name ending in .sql; the files are written to a fresh folder and
 * loaded with dm_graph_load_dir, as the engine does, then planned to head
 * and heads. Invariants: success or a message with a defined code; a
 * successful graph's order is a permutation that puts parents and depends
 * first; plans from nothing applied never repeat a revision. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "graph.h"
#include "plan.h"

static char fz_dir[64];

static void fz_clean(void)
{
    DIR *d = opendir(fz_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", fz_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

static void fz_write(int idx, const char *name, size_t nlen, const uint8_t *body, size_t blen)
{
    char fname[96];
    size_t k = 0;
    for (size_t i = 0; i < nlen && k < 60; i++) {
        char c = (char)name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-' || c == '.')
            fname[k++] = c;
    }
    if (k == 0 || fname[0] == '.')
        k = (size_t)snprintf(fname, sizeof fname, "%03d_f", idx + 1);
    fname[k] = '\0';
    char p[256];
    snprintf(p, sizeof p, "%s/%s.sql", fz_dir, fname);
    FILE *f = fopen(p, "wb");
    if (!f)
        return;
    fwrite(body, 1, blen, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fz_dir, sizeof fz_dir, "%s/dbmig-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fz_dir))
            abort();
    }
    fz_clean();
    /* Cut at "%%%% name" lines. Text before the first marker is file 001. */
    const uint8_t *end = data + size, *body = data;
    const char *name = "";
    size_t nlen = 0;
    int idx = 0;
    for (;;) {
        const uint8_t *m = NULL;
        for (const uint8_t *q = body; q + 5 <= end; q++)
            if ((q == data || q[-1] == '\n') && memcmp(q, "%%%% ", 5) == 0) {
                m = q;
                break;
            }
        const uint8_t *bend = m ? m : end;
        if (bend > body || nlen > 0)
            fz_write(idx++, name, nlen, body, (size_t)(bend - body));
        if (!m || idx >= 12)
            break;
        name = (const char *)m + 5;
        const uint8_t *nl = memchr(m, '\n', (size_t)(end - m));
        nlen = (size_t)((nl ? nl : end) - (const uint8_t *)name);
        body = nl ? nl + 1 : end;
    }

    dm_graph g;
    dm_err e = {0};
    int rc = dm_graph_load_dir(&g, fz_dir, &e);
    if (rc != 0) {
        FZ_CHECK(rc == DBMIG_EINVALID || rc == DBMIG_EUSAGE);
        FZ_CHECK(dm_err_msg(&e)[0] != '\0');
        dm_err_free(&e);
        return 0;
    }
    unsigned char *seen = calloc(g.n + 1, 1);
    FZ_CHECK(seen);
    for (size_t k = 0; k < g.n; k++) {
        size_t v = g.order[k];
        FZ_CHECK(v < g.n && !seen[v]);
        seen[v] = 1;
        FZ_CHECK(g.revs[v].topo == k);
        for (size_t j = 0; j < g.revs[v].nparents; j++)
            FZ_CHECK(seen[g.revs[v].parents[j]]);
        for (size_t j = 0; j < g.revs[v].ndepends; j++)
            FZ_CHECK(seen[g.revs[v].depends[j]]);
    }
    static const char *const targets[] = {"head", "heads", "base", "+1", "-1"};
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        dm_plan pl = {0};
        if (dm_plan_upgrade(&g, NULL, targets[t], &pl, &e) == 0) {
            memset(seen, 0, g.n + 1);
            for (size_t k = 0; k < pl.n; k++) {
                FZ_CHECK(pl.v[k] < g.n && !seen[pl.v[k]]);
                seen[pl.v[k]] = 1;
            }
        } else {
            FZ_CHECK(dm_err_msg(&e)[0] != '\0');
        }
        dm_plan_free(&pl);
        dm_err_clear(&e);
    }
    free(seen);
    dm_err_free(&e);
    dm_graph_free(&g);
    return 0;
}
