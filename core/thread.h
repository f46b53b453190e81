/* thread.h — a helper thread started on another CPU than the caller's. */
#ifndef DBMIG_THREAD_H
#define DBMIG_THREAD_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg), but on Linux with the new thread first
 * placed on a CPU other than the one the caller runs on (then free to move
 * like any thread). Returns pthread_create's result. */
int dm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
