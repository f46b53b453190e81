/* thread.c — see thread.h.
 *
 * Why: dbmig starts one short helper thread (dm_need_graph_conn) and wants
 * it running at once, next to the caller. Linux tends to queue a new thread
 * on its creator's CPU and move it only when the balancer next looks; on
 * the 2-CPU machines we measured, it started 0.2-4 ms late in most runs
 * (median ~1.6 ms), on a job of ~4 ms, while the other CPU sat idle.
 * Created with an affinity mask that excludes the caller's CPU, it starts in
 * ~0.05 ms. Once running it takes back the process's whole mask, so it is
 * pinned for its first instant only. */
#define _GNU_SOURCE /* sched_getcpu, pthread_attr_setaffinity_np */
#include "thread.h"

#include <sched.h>
#include <stdlib.h>

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
        return pthread_create(t, NULL, fn, arg);
    s->fn = fn;
    s->arg = arg;
    cpu_set_t others;
    int me = sched_getcpu();
    pthread_attr_t at;
    int pinned = 0;
    if (me >= 0 && sched_getaffinity(0, sizeof s->all, &s->all) == 0 && pthread_attr_init(&at) == 0) {
        others = s->all;
        CPU_CLR(me, &others);
        pinned = CPU_COUNT(&others) > 0 && pthread_attr_setaffinity_np(&at, sizeof others, &others) == 0;
        if (!pinned)
            pthread_attr_destroy(&at);
    }
    if (!pinned) {
        free(s);
        return pthread_create(t, NULL, fn, arg);
    }
    int rc = pthread_create(t, &at, trampoline, s);
    pthread_attr_destroy(&at);
    if (rc != 0)
        free(s);
    return rc;
}
#else
int dm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    return pthread_create(t, NULL, fn, arg);
}
#endif
