/* mfline.h — the grammar of one line of a migration file: its kind
 * (blank, comment, directive, SQL, a marker not written as one, another
 * tool's marker), a directive's key and value, and the errors that explain
 * a bad marker. Internal (migfile.c and its text pipeline). */
#ifndef DM_MFLINE_H
#define DM_MFLINE_H

#include <stddef.h>
#include <string.h>

#include "util.h"

#define DM_MFLINE_PREFIX 1024

/* A parsed line: directive key and value, or kind of line.
 *
 * Markers are strict (SPEC section 2): a line that looks like a marker but is
 * not written as one, or another tool's marker, is an error, never a comment.
 * The kind of a line is decided from its first DM_MFLINE_PREFIX bytes (after the
 * leading blanks), so that the streamed loader, which keeps no more of a
 * comment line than that, decides exactly as the in-memory parse does; only
 * a directive is kept whole (its value). */
enum { MFL_BLANK, MFL_COMMENT, MFL_DIRECTIVE, MFL_SQL, MFL_NEAR, MFL_FOREIGN };

typedef struct dm_mfline {
    int kind;
    int why;            /* MFL_NEAR: NEAR_*; MFL_FOREIGN: TOOL_* */
    const char *key;    /* MFL_DIRECTIVE: the key; MFL_NEAR/MFL_FOREIGN: the word after the */
    size_t keylen;      /* marker's prefix (`up` of `-- dbmig: up`, `Up` of `-- +goose Up`) */
    const char *val;    /* the rest of the line */
    size_t vallen;
    const char *text;   /* MFL_NEAR/MFL_FOREIGN: the line as written (within the prefix) */
    size_t textlen;
} dm_mfline;

static inline int dm_mf_blank(char c) { return c == ' ' || c == '\t'; }
static inline int dm_mf_lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }
/* Does p[0..e) begin with the lowercase word w, ignoring ASCII case?
 * (Inline, as the two below: migfile.c tries every key on each directive.) */
static inline int dm_mf_ci_prefix(const char *p, const char *e, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(e - p) < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (dm_mf_lower((unsigned char)p[i]) != w[i])
            return 0;
    return 1;
}

/* Is p[0..n) the lowercase word w, ignoring ASCII case? */
static inline int dm_mf_ci_eq(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && dm_mf_ci_prefix(p, p + n, w);
}

/* Decides the kind of the line b[0..e) (leading blanks already skipped, at
 * most DM_MFLINE_PREFIX bytes of it). For MFL_DIRECTIVE, l->key is where the
 * key begins (the caller reads key and value from the whole line). */
void dm_mfline_decide(const char *b, const char *e, dm_mfline *l);
/* The whole line b[0..e) (no '\n'): its kind from its first
 * DM_MFLINE_PREFIX bytes after the blanks, and a directive's key and value. */
void dm_mfline_classify(const char *b, const char *e, dm_mfline *l);
/* Is the directive's key k, ignoring ASCII case? */
static inline int dm_mfline_keyis(const dm_mfline *l, const char *k)
{
    return dm_mf_ci_eq(l->key, l->keylen, k);
}

/* The candidate nearest to w[0..n): within 2 edits (at most a third of the
 * word), else one that w begins with or that begins with w (`upgrade` -> up);
 * NULL if none. */
const char *dm_mf_nearest(const char *w, size_t n, const char *const *cands, size_t ncands);

/* DBMIG_EINVALID "<path>:<line>: ..." for an MFL_NEAR line (a dbmig marker
 * not written as one) and an MFL_FOREIGN line (another tool's marker), with
 * what to write instead. */
int dm_mfline_near_error(const char *path, const dm_mfline *l, int line, dm_err *err);
int dm_mfline_foreign_error(const char *path, const dm_mfline *l, int line, dm_err *err);

#endif
