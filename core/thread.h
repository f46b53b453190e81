/* thread.h — the library's helper thread: started on another CPU than the
 * caller's, with every signal blocked, joined before the call that started
 * it returns. Internal. */
#ifndef DBMIG_THREAD_H
#define DBMIG_THREAD_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg), but on Linux with the new thread first
 * placed on a CPU other than the one the caller runs on (then given back
 * the caller's own CPU mask before fn runs), and with every signal blocked
 * in it (glibc >= 2.32) so that none of the application's signals is ever
 * handled on it. Only the new thread's affinity and signal mask are set;
 * the caller's and every other thread's are never touched. The caller must
 * join it before returning to its own caller. Returns pthread_create's
 * result (after one plain retry if the placed creation failed). */
int dm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
