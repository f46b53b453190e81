/* lock.h — the migration lock (lock.c, SPEC section 7): a session lock
 * (the driver's advisory lock) or a lease row in <table>_lock, chosen by
 * the options and the driver's caps. Internal. */
#ifndef DM_LOCK_H
#define DM_LOCK_H

#include "dbmig/dbmig.h"
#include "util.h"

typedef struct dm_lease dm_lease;

/* The migration lock: session or lease per options and caps. */
int dm_lock_acquire(dbmig *h);
void dm_lock_release(dbmig *h);
/* 1 (with err set) when the lease renewal found the lease taken over. */
int dm_lease_lost(dbmig *h);
/* Appends the fencing clause to a version-table write while a lease is
 * held: for an INSERT ... SELECT <values> the FROM/WHERE part (insert = 1),
 * else " AND EXISTS (...)". Appends nothing without a lease. */
int dm_lease_fence(dbmig *h, dm_buf *b, int insert);

#endif
