/* wait.h — dbmig_wait (SPEC section 16), the readiness gate: its pure parts,
 * kept apart so that the unit tests check them without a database: the
 * backoff between two looks, and which state a look's findings are.
 * Internal. */
#ifndef DM_WAIT_H
#define DM_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include "dbmig/dbmig.h"

#define DM_WAIT_FIRST_MS 100     /* the first pause */
#define DM_WAIT_CAP_MS 2000      /* no pause is longer */
#define DM_WAIT_DEFAULT_MS 60000 /* timeout_ms < 0 */

/* The pauses between looks: DM_WAIT_FIRST_MS doubling up to DM_WAIT_CAP_MS,
 * each jittered to between half of it and all of it ("equal jitter": many
 * replicas started together drift apart, and no pause is ever near 0, so
 * it is never a busy loop). State of its own (no global), seeded by the
 * caller: the same seed gives the same pauses. */
typedef struct dm_backoff {
    int step_ms;  /* the next pause before its jitter */
    uint64_t rng; /* xorshift64 state, never 0 */
} dm_backoff;

void dm_backoff_init(dm_backoff *b, uint64_t seed);
/* The next pause in ms, at most left_ms (the time to the deadline; the
 * last look is then made at the deadline), at least 1 when left_ms > 0;
 * 0 when left_ms <= 0. */
int dm_backoff_next(dm_backoff *b, double left_ms);

/* What one look found. */
typedef struct dm_wait_seen {
    int connected;   /* connected and read (the version table, or the catalog) */
    int nodb;        /* the server said the database does not exist */
    size_t pending;  /* pending revisions, dirty ones included */
    size_t dirty;    /* of them, dirty */
} dm_wait_seen;

/* The state (dbmig_wait_state) of s: not connected is UNREACHABLE, no
 * database NO_DATABASE (never ready: an application could not connect);
 * with reachable_only, connected is READY; else DIRTY before PENDING
 * before READY. */
int dm_wait_state_of(const dm_wait_seen *s, int reachable_only);

#endif
