/* pgsplit_cmp.h — cross-check of dbmig's PostgreSQL statement splitter
 * (core/split.c) against PostgreSQL's own scanner and parser, as
 * libpg_query (the PostgreSQL 15 grammar) exposes them. Test-only: used by
 * the libFuzzer target tests/fuzz/fuzz_pgsplit.c and by the deterministic
 * check in tests/unit/test_split.c; built only when libpg_query is found.
 * What "agree" means, and every documented exception, is in pgsplit_cmp.c.
 */
#ifndef DBMIG_PGSPLIT_CMP_H
#define DBMIG_PGSPLIT_CMP_H

#include <stddef.h>

/* Verdicts. */
enum {
    PGX_AGREE = 0,      /* same statements (and the parser agrees when it parses) */
    PGX_DIFFER,         /* a disagreement: why says which statement and how */
    PGX_SKIP_HATCH,     /* exception E5: a -- dbmig:statement marker; not compared */
    PGX_SKIP_PGERROR,   /* libpg_query's scanner rejects the input (not for an
                           unterminated token, which dbmig must reject too) */
    PGX_HARNESS         /* the replay of libpg_query's split rules over its own
                           tokens differs from pg_query_split_with_scanner: the
                           harness no longer understands libpg_query (fix it) */
};

/* The documented exceptions that shaped the reference for an input (bits). */
enum {
    PGX_X_NOKEYWORD = 1u << 0,  /* E1: a statement without a keyword */
    PGX_X_PAREN_UNDER = 1u << 1,/* E2: a ) that closes nothing */
    PGX_X_PAREN_EOF = 1u << 2,  /* E3: a ( still open at the end */
    PGX_X_ATOMIC = 1u << 3,     /* E4: a ; inside BEGIN ATOMIC ... END */
    PGX_X_VTAB = 1u << 4        /* E6: a vertical tab, blank to dbmig */
};

typedef struct pgx_result {
    int verdict;          /* PGX_* */
    unsigned exceptions;  /* PGX_X_* */
    int parsed;           /* 1: pg_query_split_with_parser accepted the input and
                             dbmig agreed with it too */
    size_t nstmts;        /* dbmig's statements */
    char why[768];        /* the disagreement, or why it was skipped */
} pgx_result;

/* Compares the splits of text (NUL-terminated: libpg_query reads C strings,
 * so a fuzz input is cut at its first NUL byte for both sides). */
void pgx_compare(const char *text, pgx_result *r);

/* Frees libpg_query's per-thread memory (at the end of a test program). */
void pgx_done(void);

#endif
