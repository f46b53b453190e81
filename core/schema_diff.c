/* schema_diff.c — PLACEHOLDER until helper "dgen" lands the generator
 * (core/schema_diff.h says what it does). It refuses, so nothing can take
 * its output for a real one. */
#include <stdarg.h>
#include <stdlib.h>

#include "schema_diff.h"

int dm_schema_diff(const dm_schema *from, const dm_schema *to, const dm_diff_opts *o,
                   dm_buf *sql, size_t *nstmt, dm_dnotes *notes, dm_err *e)
{
    (void)from, (void)to, (void)o, (void)sql, (void)notes;
    *nstmt = 0;
    return dm_err_set(e, DBMIG_EUSAGE, "schema diff is not built yet");
}

int dm_dnotes_add(dm_dnotes *n, int kind, const char *object, const char *fmt, ...)
{
    (void)n, (void)kind, (void)object, (void)fmt;
    return 0;
}

void dm_dnotes_free(dm_dnotes *n) { (void)n; }
