/* split.h — the statement splitter: cuts a section's SQL into statements on
 * top-level `;` by the lexical rules of a dialect (SPEC section 2). Internal.
 *
 * Rules, all dialects: '...' with '' escapes, "..." identifiers, -- line
 * comments, slash-star block comments. PostgreSQL adds E'...' (backslash
 * escapes), $tag$...$tag$ bodies, nested block comments, -- comments ending
 * at a carriage return too, and BEGIN ATOMIC ... END in CREATE FUNCTION and
 * PROCEDURE. MySQL adds backslash escapes in '...' and "...",
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
    int batch;   /* 1 + the index in mf->batches of the -- dbmig:batch marker
                    above it (dm_migfile_stream), 0: none */
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
/* Appends a copy of st; 0, or -1 when out of memory. */
int dm_stmt_list_push(dm_stmt_list *l, const dm_stmt *st);

/* ---- incremental splitting ------------------------------------------------
 * The same splitter fed in chunks of any size: each statement is handed to
 * the callback as soon as its terminator and the three bytes after it (or,
 * for the last one, the end of input) have been fed. The splitter keeps only the bytes of the statement being
 * read (from its first token) plus a token cut by the chunk boundary, so the
 * memory it holds is bounded by the longest statement, not by the input.
 * Feeding the same bytes in any chunking yields exactly the statements,
 * lines and errors of dm_split() on the whole text, in linear time.
 *
 *   dm_splitter *sp = dm_splitter_new(dialect, first_line, file);
 *   while ((n = read(...)) > 0)
 *       if ((rc = dm_split_feed(sp, buf, n, cb, payload, err)) != 0) break;
 *   if (!rc) rc = dm_split_finish(sp, cb, payload, err);
 *   dm_splitter_free(sp);
 */

/* Called with each statement. st->sql (NUL-terminated) is valid only during
 * the call. Returns 0 to go on; any other value (a dbmig_rc, with `err`
 * filled by the callback) stops the split and is what feed/finish return. */
typedef int (*dm_stmt_cb)(void *payload, const dm_stmt *st);

typedef struct dm_splitter dm_splitter;

/* NULL on out-of-memory. `file` (copied) and first_line as for dm_split(). */
dm_splitter *dm_splitter_new(int dialect, int first_line, const char *file);
/* Feeds text[0..n) (the bytes need not end at a token or line boundary).
 * Returns 0, DBMIG_EINVALID for a lexing error found before the end (a
 * DELIMITER without a value, a stray `-- dbmig:statement end`), or the
 * callback's code. After an error every later call returns the same code. */
int dm_split_feed(dm_splitter *sp, const char *text, size_t n, dm_stmt_cb cb, void *payload,
                  dm_err *err);
/* End of input: emits the last statement, reports unterminated constructs. */
int dm_split_finish(dm_splitter *sp, dm_stmt_cb cb, void *payload, dm_err *err);
/* Feeds (eof = 0) or feeds and finishes (eof = 1), appending the statements
 * to `out` (on error the statements appended before it stay there). */
int dm_split_into(dm_splitter *sp, const char *text, size_t n, int eof, dm_stmt_list *out,
                  dm_err *err);
/* Bytes the splitter holds between feeds (capacity of its carry buffer). */
size_t dm_splitter_buffered(const dm_splitter *sp);
void dm_splitter_free(dm_splitter *sp);

#endif
