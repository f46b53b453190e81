/* thread.c — see thread.h.
 *
 * Why: dbmig starts one short helper thread (dm_need_graph_conn) and wants
 * it running at once, next to the caller. Linux tends to queue a new thread
 * on its creator's CPU and move it only when the balancer next looks; on
 * the 2-CPU machines we measured, it started 0.2-4 ms late in most runs
 * (median ~1.6 ms), on a job of ~4 ms, while the other CPU sat idle.
 * Created with an affinity mask that excludes the caller's CPU, it starts in
 * ~0.05 ms. Once running it takes back the caller's whole mask, so it is
 * pinned for its first instant only.
 *
 * Invisible to an embedding application (issue 14: no CPU-affinity change
 * in its process without being asked), so this needs no opt-in:
 *   - Only the library's own thread is ever given a mask, at its creation
 *     (pthread_attr_setaffinity_np) and by itself (pthread_self()). The
 *     caller's thread, the process and every other thread keep theirs:
 *     nothing here calls sched_setaffinity or sets another thread's mask.
 *   - The mask it is given is a subset of the caller's own, and the one it
 *     takes back is the caller's: exactly what pthread_create(NULL attr)
 *     would have given it. An application that pinned its thread to one CPU
 *     gets no placement at all (no other CPU in its mask), so a pinning
 *     choice of the application is never widened.
 *   - The thread only reads files, never calls back into the application
 *     (no event callback runs on it), blocks every signal (so no handler of
 *     the application runs on a thread it does not know), and is joined
 *     before the dbmig_* call that started it returns: once the call is
 *     over, the process has exactly the threads it had before.
 * If the placed creation fails (a cpuset changed meanwhile: EINVAL), it is
 * retried plainly; if no thread can be started at all, the caller does the
 * job itself (engine.c). tests/threads/test_threads.c checks all of this. */
#define _GNU_SOURCE /* sched_getcpu, pthread_attr_setaffinity_np, pthread_attr_setsigmask_np */
#include "thread.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#define DM_HAVE_SIGMASK_NP 1
#endif

/* attr with every signal blocked for the new thread, where the C library
 * can say so (no change to the caller's own mask, not even for an
 * instant). Returns 0 when attr is initialised (to be destroyed). */
static int attr_quiet(pthread_attr_t *at)
{
    if (pthread_attr_init(at) != 0)
        return -1;
#ifdef DM_HAVE_SIGMASK_NP
    sigset_t all;
    sigfillset(&all);
    (void)pthread_attr_setsigmask_np(at, &all);
#endif
    return 0;
}

static int create_plain(pthread_t *t, void *(*fn)(void *), void *arg)
{
    pthread_attr_t at;
    if (attr_quiet(&at) != 0)
        return pthread_create(t, NULL, fn, arg);
    int rc = pthread_create(t, &at, fn, arg);
    pthread_attr_destroy(&at);
    return rc;
}

#ifdef __linux__
typedef struct start {
    void *(*fn)(void *);
    void *arg;
    cpu_set_t all;
} start;

static void *trampoline(void *p)
{
    start s = *(start *)p;
    free(p);
    pthread_setaffinity_np(pthread_self(), sizeof s.all, &s.all);
    return s.fn(s.arg);
}

int dm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    start *s = malloc(sizeof *s);
    if (!s)
        return create_plain(t, fn, arg);
    s->fn = fn;
    s->arg = arg;
    cpu_set_t others;
    int me = sched_getcpu();
    pthread_attr_t at;
    int pinned = 0;
    /* sched_getaffinity(0): the calling thread's own mask, not the process's */
    if (me >= 0 && sched_getaffinity(0, sizeof s->all, &s->all) == 0 && attr_quiet(&at) == 0) {
        others = s->all;
        CPU_CLR(me, &others);
        pinned = CPU_COUNT(&others) > 0 && pthread_attr_setaffinity_np(&at, sizeof others, &others) == 0;
        if (!pinned)
            pthread_attr_destroy(&at);
    }
    if (!pinned) {
        free(s);
        return create_plain(t, fn, arg);
    }
    int rc = pthread_create(t, &at, trampoline, s);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        free(s);
        rc = create_plain(t, fn, arg);
    }
    return rc;
}
#else
int dm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    return create_plain(t, fn, arg);
}
#endif
