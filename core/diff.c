/* diff.c — PLACEHOLDER until helper "plumb" lands `dbmig diff` (the
 * library side of SPEC section 13; dbmig.h says what it does). */
#include <stdlib.h>

#include "engine.h"

int dbmig_diff(dbmig *h, const dbmig_diff_opts *o, dbmig_diff_result **out)
{
    (void)o;
    if (out)
        *out = NULL;
    if (!h)
        return DBMIG_ERROR;
    return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig diff is not built yet");
}

void dbmig_diff_result_free(dbmig_diff_result *r) { free(r); }
