/* placeholder.h — ${name} placeholders (SPEC section 16), Flyway's idea made
 * opt-in per file: only a file whose header says `-- dbmig:placeholders on`
 * is substituted, so `${...}` in the function bodies of every other file
 * stays as written. Internal (migfile.c substitutes a section's text before
 * splitting it; engine.c checks the values given to dbmig_open).
 *
 * In a placeholder file:
 *   ${name}   the value of name (letters, digits, _; first not a digit;
 *             at most 64; case-insensitive: ${TBL} is ${tbl});
 *   $${       a literal ${ (so $${name} is the text ${name}), except where
 *             its first $ closes a dollar-quote tag ($$ or $tag$): there
 *             `$$${name}` is `$$` then the value (PostgreSQL's reading wins);
 *   anything else starting with ${ (`${ tbl }`, `${tbl`, `${}`) is an error,
 *   never passed through: the file asked for substitution.
 * Substitution is one pass: a value is inserted as it is, a ${...} inside a
 * value is not expanded again. Values are one line (dm_ph_check_vars), so the
 * substituted text has the file's line numbers. */
#ifndef DM_PLACEHOLDER_H
#define DM_PLACEHOLDER_H

#include <stddef.h>

#include "dbmig/dbmig.h"
#include "util.h"

#define DM_PH_NAME_MAX 64

/* 1 when s[0..n) is a valid placeholder name. */
int dm_ph_valid_name(const char *s, size_t n);

/* The values given to dbmig_open: each name valid and given once (ignoring
 * case), each value non-NULL and without a line break. 0, or DBMIG_EUSAGE
 * naming the placeholder (never its value: values may be secrets). */
int dm_ph_check_vars(const dbmig_var *v, size_t n, dm_err *err);

/* The index in v of name[0..n) (ignoring ASCII case), or -1. */
long dm_ph_find(const dbmig_var *v, size_t nv, const char *name, size_t n);

/* One placeholder of the text: which value (index in vars) on which line. */
typedef struct dm_ph_use {
    size_t var;
    int line;
} dm_ph_use;

typedef struct dm_ph_uses {
    dm_ph_use *v;
    size_t n, cap;
} dm_ph_uses;

void dm_ph_uses_free(dm_ph_uses *u);

/* Appends text[0..len) with its placeholders substituted to out. The text
 * begins at line first_line of path (messages only). uses (may be NULL)
 * receives every placeholder substituted, in order. Errors: DBMIG_EINVALID
 * "<path>:<line>: ..." for an undefined placeholder (its name and the ways
 * to define it) or a `${` that starts none; out is then in an unspecified
 * state. */
int dm_ph_subst(const char *path, int first_line, const char *text, size_t len,
                const dbmig_var *vars, size_t nvars, dm_buf *out, dm_ph_uses *uses, dm_err *err);

/* 1 when a value holds something the statement splitter reads as SQL
 * structure: `;`, a quote, a backtick, a backslash, `$`, `--`, `#` or a
 * slash-star. */
int dm_ph_value_risky(const char *value);

/* Whether the values changed the statements of a section (text[0..len) as
 * written, sub[0..sublen) substituted, both beginning at first_line, split
 * in `dialect`): the text as written must split into statements on the
 * same lines, and each of those statements, substituted on its own, must
 * be the substituted text's statement (so a value that comments out or
 * quotes the terminating `;` of the last statement is caught, not only one
 * that adds or merges statements). 0 when nothing moved; DBMIG_EINVALID
 * naming the placeholder (from uses: one on the first statement that
 * differs whose value holds SQL structure), never its value; the text as
 * written splits as the file would without placeholders, so its own error
 * is returned as it is. */
int dm_ph_check_split(const char *path, int first_line, const char *text, size_t len,
                      const char *sub, size_t sublen, int dialect, const dbmig_var *vars,
                      size_t nvars, const dm_ph_uses *uses, dm_err *err);

#endif
