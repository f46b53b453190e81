/* split.h — the statement splitter: cuts a section's SQL into statements on
 * top-level `;` by the lexical rules of a dialect (SPEC section 2). Internal.
 *
 * Rules, all dialects: '...' with '' escapes, "..." identifiers, -- line
 * comments, slash-star block comments. PostgreSQL adds E'...' (backslash
 * escapes), $tag$...$tag$ bodies, nested block comments and
 * BEGIN ATOMIC ... END. MySQL adds backslash escapes in '...' and "...",
 * # comments, `backticks`, the DELIMITER command, BEGIN ... END bodies of
 * CREATE TRIGGER/PROCEDURE/FUNCTION/EVENT. SQLite adds `backticks`, [brackets]
 * and BEGIN ... END trigger bodies. Lines `-- dbmig:statement begin` and
 * `-- dbmig:statement end` enclose one statement sent verbatim.
 */
#ifndef DM_SPLIT_H
#define DM_SPLIT_H

#include <stddef.h>

#include "dbmig/driver.h"
#include "util.h"

typedef struct dm_stmt {
    char *sql;   /* owned, NUL-terminated; without the terminating ; or
                    delimiter and without leading/trailing white space and
                    leading comment lines; inner comments are kept */
    size_t len;
    int line;    /* line of the file where the statement's first token is */
} dm_stmt;

typedef struct dm_stmt_list {
    dm_stmt *v;
    size_t n, cap;
} dm_stmt_list;

/* Splits text[0..len) which begins at line `first_line` of `file` (used in
 * error messages only) and appends the statements to `out` (zero-initialise
 * it; on error `out` is left as it was). Chunks holding only white space and
 * comments are not statements. On an unterminated quote, comment, dollar body or
 * escape-hatch block, returns DBMIG_EINVALID with
 * "<file>:<line>: unterminated <what> starting here". */
int dm_split(const char *text, size_t len, int dialect, int first_line, const char *file,
             dm_stmt_list *out, dm_err *err);
void dm_stmt_list_free(dm_stmt_list *l);

#endif
