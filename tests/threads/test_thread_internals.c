/* test_thread_internals.c — the library's own threading, from inside
 * (linked against dbmig_static):
 *
 *   1. The plugin loader from NTHREADS threads at once (core/loader.c
 *      serialises libltdl): each loads and unloads the SQLite driver many
 *      times, and loads a file that is not a shared library, whose refusal
 *      must carry libltdl's message for that very file (lt_dlerror read
 *      under the same lock as the failed call). Afterwards every lt_dlinit()
 *      of the loader has had its lt_dlexit(): libltdl is shut down again.
 *   2. The helper thread of core/thread.c is invisible to the caller: the
 *      caller's CPU mask and signal mask are the same after as before; the
 *      helper runs its job with the caller's CPU mask (a caller pinned to
 *      one CPU keeps its helper on that CPU) and with every signal blocked.
 *
 * Built normally (ctest unit.thread_internals) and with ThreadSanitizer
 * (-DDBMIG_TSAN=ON: tsan.thread_internals). Plain C; exits 1 on failure. */
#define _GNU_SOURCE
#include "loader.h"
#include "thread.h"

#include <fcntl.h>
#include <ltdl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 8
#define NLOADS 40

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "test_thread_internals: FAILED: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- 1. the loader from every thread ------------------------------------ */

static char bogus[600]; /* set before the threads start, read-only after */

static void *loader_worker(void *arg)
{
    int id = (int)(long)arg;
    for (int i = 0; i < NLOADS; i++) {
        dm_plugin *p = NULL;
        dm_err e = {0};
        if (dm_plugin_load(DBMIG_PLUGIN_DIR, "sqlite", &p, &e) != DBMIG_OK)
            fail("thread %d, load %d: %s", id, i, dm_err_msg(&e));
        if (!dm_plugin_driver(p) || strcmp(dm_plugin_driver(p)->name, "sqlite") != 0)
            fail("thread %d, load %d: not the sqlite driver", id, i);
        dm_plugin_unload(p);
        dm_err_free(&e);

        p = NULL;
        if (dm_plugin_load_file(bogus, "bogus", &p, &e) != DBMIG_EUSAGE)
            fail("thread %d: a file that is not a shared library was loaded", id);
        const char *m = dm_err_msg(&e);
        if (!strstr(m, bogus) || strstr(m, "unknown error"))
            fail("thread %d: the refusal lacks libltdl's message about the file: %s", id, m);
        dm_err_free(&e);
    }
    return NULL;
}

static void test_loader(const char *dir)
{
    snprintf(bogus, sizeof bogus, "%s/dbmig_bogus.so", dir);
    int fd = open(bogus, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "not an ELF file\n", 16) != 16 || close(fd) != 0)
        fail("cannot write %s", bogus);
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, loader_worker, (void *)i) != 0)
            fail("pthread_create");
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    unlink(bogus);
    /* Balanced: with every plugin unloaded, libltdl's count is back at 0, so
     * one more lt_dlexit() is refused ("library already shutdown"). */
    if (lt_dlexit() == 0)
        fail("libltdl is still initialised after every plugin was unloaded: an lt_dlinit() "
             "without its lt_dlexit()");
    printf("loader: %d threads x %d loads and refusals passed\n", NTHREADS, NLOADS);
}

/* ---- 2. the helper thread ----------------------------------------------- */

typedef struct seen {
    cpu_set_t cpus;
    sigset_t sigs;
    int ok;
} seen;

static void *helper_job(void *arg)
{
    seen *s = arg;
    s->ok = pthread_getaffinity_np(pthread_self(), sizeof s->cpus, &s->cpus) == 0 &&
            pthread_sigmask(SIG_SETMASK, NULL, &s->sigs) == 0;
    return NULL;
}

static void check_helper(const char *what)
{
    cpu_set_t before, after;
    sigset_t sbefore, safter;
    if (sched_getaffinity(0, sizeof before, &before) != 0 ||
        pthread_sigmask(SIG_SETMASK, NULL, &sbefore) != 0)
        fail("cannot read the caller's masks");
    seen s;
    memset(&s, 0, sizeof s);
    pthread_t t;
    if (dm_thread_start(&t, helper_job, &s) != 0)
        fail("%s: dm_thread_start failed", what);
    pthread_join(t, NULL);
    if (sched_getaffinity(0, sizeof after, &after) != 0 ||
        pthread_sigmask(SIG_SETMASK, NULL, &safter) != 0)
        fail("cannot read the caller's masks");
    if (!CPU_EQUAL(&before, &after))
        fail("%s: the caller's CPU mask changed", what);
    for (int sig = 1; sig < SIGRTMIN; sig++)
        if (sigismember(&sbefore, sig) != sigismember(&safter, sig))
            fail("%s: the caller's signal mask changed (signal %d)", what, sig);
    if (!s.ok)
        fail("%s: the helper could not read its masks", what);
    if (!CPU_EQUAL(&before, &s.cpus))
        fail("%s: the helper ran its job with %d CPUs, not the caller's %d", what,
             CPU_COUNT(&s.cpus), CPU_COUNT(&before));
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (!sigismember(&s.sigs, sigs[i]))
            fail("%s: signal %d is not blocked in the helper thread", what, sigs[i]);
#endif
    printf("helper thread (%s): caller's masks unchanged, job ran with the caller's %d CPU(s), "
           "signals blocked\n",
           what, CPU_COUNT(&before));
}

static void *pinned_caller(void *arg)
{
    (void)arg;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0)
        fail("cannot pin the test thread");
    check_helper("caller pinned to one CPU");
    return NULL;
}

int main(void)
{
    char dir[] = "/tmp/dbmig-thread-internals.XXXXXX";
    if (!mkdtemp(dir))
        fail("mkdtemp");
    check_helper("caller with the process's CPUs");
    pthread_t t;
    if (pthread_create(&t, NULL, pinned_caller, NULL) != 0)
        fail("pthread_create");
    pthread_join(t, NULL);
    test_loader(dir);
    rmdir(dir);
    return 0;
}
