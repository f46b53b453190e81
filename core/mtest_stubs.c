/* mtest_stubs.c — TEMPORARY (branch mtest only, removed when the model and
 * dumpdrift helper's core/inspect.c is merged): weak
 * stand-ins for the functions of core/inspect.h that
 * core/mtest.c calls, so that this branch builds before they land. Each
 * refuses with a message; the real (strong) definitions replace them at
 * link time. */
#include "inspect.h"
#include "engine.h"

#define DM_WEAK __attribute__((weak))

DM_WEAK int dm_inspect(dbmig *h, dm_schema *out)
{
    (void)out;
    return dm_err_set(&h->err, DBMIG_EUSAGE, "schema inspection is not built in yet");
}
DM_WEAK int dm_scratch_open(dbmig *h, const char *scratch_url, dm_scratch **out)
{
    (void)scratch_url;
    *out = NULL;
    return dm_err_set(&h->err, DBMIG_EUSAGE, "scratch databases are not built in yet");
}
DM_WEAK dbmig *dm_scratch_handle(dm_scratch *s) { (void)s; return NULL; }
DM_WEAK const char *dm_scratch_where(const dm_scratch *s) { (void)s; return ""; }
DM_WEAK int dm_scratch_close(dbmig *h, dm_scratch *s) { (void)h, (void)s; return DBMIG_OK; }
