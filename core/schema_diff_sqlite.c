/* schema_diff_sqlite.c — PLACEHOLDER until helper "sqlite" lands SQLite's
 * table rebuild (core/schema_diff.h says what it does). */
#include "schema_diff.h"

int dm_sqlite_needs_rebuild(const dm_schema *from, const dm_schema *to, const char *t)
{
    (void)from, (void)to, (void)t;
    return 1;
}

int dm_sqlite_rebuild(dm_sqlw *w, const dm_schema *from, const char *t, size_t *nstmt,
                      dm_dnotes *notes)
{
    (void)w, (void)from, (void)t, (void)nstmt, (void)notes;
    return -1;
}
