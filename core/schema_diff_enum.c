/* schema_diff_enum.c — PLACEHOLDER until helper "enums" lands PostgreSQL
 * enum types (core/schema_diff.h says what it does). The model has no
 * enum yet, so there is nothing to write. */
#include "schema_diff.h"

int dm_diff_enums_before(dm_sqlw *w, const dm_schema *from, size_t *nstmt, dm_dnotes *notes)
{
    (void)w, (void)from, (void)nstmt, (void)notes;
    return 0;
}

int dm_diff_enums_after(dm_sqlw *w, const dm_schema *from, size_t *nstmt, dm_dnotes *notes)
{
    (void)w, (void)from, (void)nstmt, (void)notes;
    return 0;
}
