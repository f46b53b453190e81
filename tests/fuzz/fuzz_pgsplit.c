/* fuzz_pgsplit.c — dbmig's PostgreSQL statement splitter (core/split.c)
 * against PostgreSQL's own scanner and parser (libpg_query, the PostgreSQL
 * 15 grammar). Built only when libpg_query is found (tests/fuzz/
 * CMakeLists.txt). The comparison is tests/unit/pgsplit_cmp.c, shared with
 * the deterministic check in tests/unit/test_split.c (which runs it over
 * the repository's .sql files in every ctest run).
 *
 * Invariant: when libpg_query's scanner reads the input without an error,
 * dm_split(POSTGRES) succeeds and gives the statements of
 * pg_query_split_with_scanner, corrected by the exceptions below: as many,
 * and each the same text once trimmed the way each side defines it (dbmig:
 * from the statement's first token to its `;` or the end, trailing blanks
 * dropped; libpg_query: from just after the previous `;`, so its leading
 * blanks and comments are dropped, using its own tokens to know what a
 * comment is). When pg_query_split_with_parser parses the input, dbmig gives
 * its statements too. When the scanner reports an unterminated quote,
 * comment or dollar body, dm_split fails as well. The harness also replays
 * libpg_query's split rules over pg_query_scan's tokens and traps if that
 * is not exactly pg_query_split_with_scanner's answer (the harness would be
 * reading libpg_query wrong).
 *
 * Documented exceptions (E1-E9), each a legitimate difference, not a skip
 * of convenience:
 *  E1 A statement without a keyword (`foo;`, `1;`, `"select";`, `(x);`):
 *     libpg_query's scanner split drops it (it counts a statement only after
 *     a keyword token). dbmig sends it and the server reports the syntax
 *     error: dropping it would turn a typo into a silent no-op. The
 *     reference keeps it.
 *  E2 A `)` that closes nothing: libpg_query's paren counter is an unsigned
 *     number decremented without a check, so after a stray `)` no `;` ends a
 *     statement and the end drops the rest. dbmig, like psql (whose
 *     paren_depth stops at 0), ignores it. The reference clamps at 0.
 *  E3 A `(` still open at the end: libpg_query reports nothing after the
 *     last `;` outside parentheses. dbmig sends the rest as the last
 *     statement (the server reports the missing `)`). The reference keeps it.
 *  E4 BEGIN ATOMIC ... END (SQL-standard function bodies, PostgreSQL 14+):
 *     libpg_query's scanner split cuts at every `;` inside; the grammar,
 *     psql and dbmig keep the body in its CREATE FUNCTION/PROCEDURE. The
 *     reference applies dbmig's documented rule (core/split.c) to
 *     PostgreSQL's tokens, and the parser check holds dbmig to the grammar
 *     wherever the input parses.
 *  E5 `-- dbmig:statement begin` / `end`: dbmig's escape hatch sends the
 *     lines between verbatim whatever their lexing, by design; PostgreSQL
 *     sees comments. An input holding the text `dbmig:statement` anywhere
 *     is not compared (counted as PGX_SKIP_HATCH); test_split.c's
 *     test_escape_hatch covers the hatch. dbmig's other markers
 *     (`-- dbmig:up`, `batch`, ...) are handled before splitting and are
 *     plain comments to both sides here.
 *  E6 A vertical tab (0x0B): blank to dbmig (its blank set is C's isspace,
 *     the same in every dialect); a one-character token to PostgreSQL's
 *     scanner (`space [ \t\n\r\f]`). A `\v` at a statement's edge is trimmed
 *     by dbmig where the server would have reported it; the reference treats
 *     it as blank.
 *  E7 Other scanner errors (trailing junk after a number `1abc`, a
 *     zero-length identifier `""`, a bad Unicode escape in E'\u...'): the
 *     server rejects the statement, dbmig leaves that to it. Not compared
 *     (PGX_SKIP_PGERROR); an "unterminated ..." error is compared (dbmig
 *     must fail too).
 *  E8 NUL bytes: libpg_query reads C strings, so the input is cut at its
 *     first NUL for both sides (dbmig's file loader refuses NUL bytes).
 *  E9 standard_conforming_strings: libpg_query's scanner runs with `on` (the
 *     default since PostgreSQL 9.1) and dbmig assumes `on`: '...' has no
 *     backslash escapes, E'...' has. A server set to `off` reads '\'' as an
 *     open string: neither side can model that, nothing to compare.
 * Not exceptions (both sides must agree, and do): empty statements `;;`
 * (neither reports one); a last statement without `;` (both keep it, E1
 * aside); `;` inside parentheses (CREATE RULE ... DO (a; b)); dollar quotes
 * with tags, `$1` being a parameter and never a tag, also right after a
 * number (`1$a$;$a$`); E'...' with backslash escapes; nested block comments;
 * U&'...' and U&"..." (no backslash escapes, UESCAPE is a separate token);
 * B'', X'', N''; a `--` comment ends at a newline or a carriage return;
 * psql meta-commands: dbmig supports none and a backslash is an ordinary
 * character to both, so `SELECT 1 \gset` is one statement, sent as is (the
 * server rejects the backslash).
 */
#include <stdio.h>

#include "../unit/pgsplit_cmp.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstr(data, size); /* E8: both sides read up to a NUL */
    pgx_result r;
    pgx_compare(text, &r);
    if (r.verdict == PGX_DIFFER || r.verdict == PGX_HARNESS)
        fprintf(stderr, "fuzz_pgsplit: %s\n", r.why);
    FZ_CHECK(r.verdict != PGX_DIFFER && r.verdict != PGX_HARNESS);
    free(text);
    return 0;
}
