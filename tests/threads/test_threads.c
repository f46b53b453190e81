/* test_threads.c — the "one handle per thread" promise (dbmig.h), through
 * the public API only, as an embedding application uses it (linked against
 * libdbmig.so).
 *
 *   1. NTHREADS threads, each with its own SQLite file, run ROUNDS rounds of
 *      upgrade head, status, downgrade base, upgrade head, drivers list, a
 *      new handle for every call (so every call loads and unloads the
 *      driver plugin: libltdl is used from every thread at once).
 *   2. NTHREADS threads on the SAME SQLite file, each with its own handle,
 *      all at once: upgrade head, status, downgrade base, upgrade head. All
 *      succeed, and the migration lock makes each revision apply (and
 *      revert) exactly once over all threads.
 *
 * Built normally (ctest unit.threads) and with ThreadSanitizer
 * (-DDBMIG_TSAN=ON, scripts/test.sh: tsan.threads), where any data race
 * fails the run. Plain C and pthreads; prints what failed and exits 1.
 * DBMIG_THREADS_ROUNDS overrides the number of rounds of part 1. */
#define _GNU_SOURCE
#include "dbmig/dbmig.h"

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 8
#define NREVS 10 /* the files in migrations/ */

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "test_threads: FAILED: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

typedef struct worker {
    int id;
    char url[600];
    int rounds;
    int applied, reverted; /* DONE events seen by this thread's handles */
} worker;

static void on_event(void *payload, const dbmig_event *ev)
{
    worker *w = payload;
    if (ev->kind == DBMIG_EV_DONE) {
        if (ev->downgrade)
            w->reverted++;
        else
            w->applied++;
    }
}

static dbmig *open_handle(worker *w)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = w->url;
    o.dir = DBMIG_SOURCE_DIR "/migrations";
    o.plugin_path = DBMIG_PLUGIN_DIR;
    o.on_event = on_event;
    o.event_payload = w;
    dbmig *h = NULL;
    if (dbmig_open(&h, &o) != DBMIG_OK)
        fail("thread %d: dbmig_open: %s", w->id, h ? dbmig_errmsg(h) : "out of memory");
    return h;
}

/* One call on a fresh handle, which is closed after it. */
static void step(worker *w, const char *what)
{
    dbmig *h = open_handle(w);
    int rc = DBMIG_OK;
    if (strcmp(what, "upgrade") == 0) {
        rc = dbmig_upgrade(h, "head", 0);
    } else if (strcmp(what, "downgrade") == 0) {
        rc = dbmig_downgrade(h, "base", 0);
    } else if (strcmp(what, "status") == 0) {
        dbmig_status *st = NULL;
        rc = dbmig_status_get(h, &st);
        if (rc == DBMIG_OK && st->nrevs != NREVS)
            fail("thread %d: status lists %zu revisions, expected %d", w->id, st->nrevs, NREVS);
        if (rc == DBMIG_OK && st->dirty != 0)
            fail("thread %d: status says %zu dirty", w->id, st->dirty);
        dbmig_status_free(st);
    } else if (strcmp(what, "drivers") == 0) {
        dbmig_driver_info *v = NULL;
        size_t n = 0, found = 0;
        rc = dbmig_drivers_list(h, &v, &n);
        for (size_t i = 0; rc == DBMIG_OK && i < n; i++)
            found += strcmp(v[i].name ? v[i].name : "", "sqlite") == 0 && !v[i].error;
        if (rc == DBMIG_OK && found != 1)
            fail("thread %d: drivers list has %zu loadable sqlite drivers", w->id, found);
        dbmig_drivers_free(v, n);
    }
    if (rc != DBMIG_OK)
        fail("thread %d: %s: rc %d: %s", w->id, what, rc, dbmig_errmsg(h));
    dbmig_close(h);
}

static void *own_db(void *arg)
{
    worker *w = arg;
    for (int r = 0; r < w->rounds; r++) {
        step(w, "upgrade");
        step(w, "status");
        step(w, "downgrade");
        step(w, "upgrade");
        step(w, "drivers");
        step(w, "downgrade");
    }
    return NULL;
}

/* Every thread starts each pass together with the others (a barrier), so
 * the passes do not overlap: in each, all NTHREADS race for the same work. */
static pthread_barrier_t pass;

static void *shared_db(void *arg)
{
    worker *w = arg;
    static const char *const passes[] = {"upgrade", "status", "downgrade", "upgrade"};
    for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
        pthread_barrier_wait(&pass);
        step(w, passes[i]);
    }
    return NULL;
}

static void run(worker *ws, void *(*fn)(void *))
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, fn, &ws[i]) != 0)
            fail("pthread_create");
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1024];
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/dbmig-threads.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        fail("mkdtemp %s", dir);
    const char *r = getenv("DBMIG_THREADS_ROUNDS");
    int rounds = r && atoi(r) > 0 ? atoi(r) : 3;

    worker ws[NTHREADS];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < NTHREADS; i++) {
        ws[i].id = i;
        ws[i].rounds = rounds;
        snprintf(ws[i].url, sizeof ws[i].url, "sqlite:%s/own%d.db", dir, i);
    }
    run(ws, own_db);
    for (int i = 0; i < NTHREADS; i++)
        if (ws[i].applied != 2 * NREVS * rounds || ws[i].reverted != 2 * NREVS * rounds)
            fail("thread %d on its own database: %d applied and %d reverted, expected %d each",
                 i, ws[i].applied, ws[i].reverted, 2 * NREVS * rounds);
    printf("%d threads, each on its own database: %d rounds passed\n", NTHREADS, rounds);

    memset(ws, 0, sizeof ws);
    for (int i = 0; i < NTHREADS; i++) {
        ws[i].id = i;
        snprintf(ws[i].url, sizeof ws[i].url, "sqlite:%s/shared.db", dir);
    }
    pthread_barrier_init(&pass, NULL, NTHREADS);
    run(ws, shared_db);
    pthread_barrier_destroy(&pass);
    int applied = 0, reverted = 0;
    for (int i = 0; i < NTHREADS; i++) {
        applied += ws[i].applied;
        reverted += ws[i].reverted;
    }
    /* Two upgrades to head and one downgrade to base, each done by the
     * first thread to take the lock and found done by the others. */
    if (applied != 2 * NREVS || reverted != NREVS)
        fail("%d threads on one database: %d applied and %d reverted over all threads, "
             "expected %d and %d (each revision once per pass)",
             NTHREADS, applied, reverted, 2 * NREVS, NREVS);
    printf("%d threads on one database: each revision applied and reverted exactly once per "
           "pass\n", NTHREADS);
    rm_tree(dir);
    return 0;
}
