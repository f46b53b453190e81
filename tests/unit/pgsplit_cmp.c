/* pgsplit_cmp.c — see pgsplit_cmp.h. The documented exceptions E1-E9 (what
 * each side does and why it may) are listed in tests/fuzz/fuzz_pgsplit.c;
 * the code below names them where it applies them.
 *
 * Four splits of the same text:
 *   D  dbmig's: dm_split(text, DBMIG_DIALECT_POSTGRES).
 *   A  libpg_query's pg_query_split_with_scanner. Its rules are replayed over
 *      the tokens of pg_query_scan (the same flex scanner, comments included)
 *      and must give exactly A's locations: that proves the harness reads
 *      libpg_query's tokens as libpg_query does (else PGX_HARNESS).
 *   B  the reference: the same tokens, cut by A's rules with the documented
 *      corrections. D must equal B: as many statements, each the same text
 *      once trimmed as dm_split trims (from the first token that is not a
 *      comment to the terminator, without trailing blanks).
 *   P  when pg_query_split_with_parser accepts the text (PostgreSQL's
 *      grammar, which knows BEGIN ATOMIC bodies without a heuristic): D must
 *      equal P as well, trimmed the same way.
 */
#include "pgsplit_cmp.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "split.h"

/* libpg_query's token numbers (pg_query.proto, enum Token): single
 * characters are their own code. */
enum { TK_PARAM = 267, TK_SQL_COMMENT = 275, TK_C_COMMENT = 276 };

typedef struct pgx_tok {
    size_t start;
    int tok;
    int kw; /* keyword kind, 0: not a keyword */
} pgx_tok;

typedef struct pgx_toks {
    pgx_tok *v;
    size_t n, cap;
} pgx_toks;

typedef struct pgx_span {
    size_t b, e;
} pgx_span;

typedef struct pgx_spans {
    pgx_span *v;
    size_t n, cap;
} pgx_spans;

static void *pgx_grow(void *v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 32;
    v = realloc(v, *cap * elem);
    if (!v)
        abort(); /* test code: out of memory ends the run */
    return v;
}

static void span_push(pgx_spans *s, size_t b, size_t e)
{
    s->v = pgx_grow(s->v, &s->cap, s->n, sizeof *s->v);
    s->v[s->n].b = b;
    s->v[s->n++].e = e;
}

__attribute__((format(printf, 2, 3))) static void why(pgx_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t k = strlen(r->why);
    vsnprintf(r->why + k, sizeof r->why - k, fmt, ap);
    va_end(ap);
}

/* Appends text[b, e) to r->why, quoted, control bytes escaped, at most 160. */
static void why_text(pgx_result *r, const char *text, size_t b, size_t e)
{
    why(r, "[");
    for (size_t i = b; i < e && i < b + 160; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            why(r, "\\x%02x", c);
        else
            why(r, "%c", c);
    }
    why(r, "%s]", e > b + 160 ? "..." : "");
}

/* ---------------------------------------------------- pg_query_scan tokens */

static int pb_varint(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < e && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Skips a field of wire type wt; -1 on a malformed buffer. */
static int pb_skip(const unsigned char **p, const unsigned char *e, unsigned wt)
{
    uint64_t v;
    size_t left = (size_t)(e - *p);
    if (wt == 0)
        return pb_varint(p, e, &v);
    if (wt == 2) {
        if (pb_varint(p, e, &v) || v > (uint64_t)(e - *p))
            return -1;
        *p += v;
        return 0;
    }
    size_t k = wt == 1 ? 8 : wt == 5 ? 4 : SIZE_MAX;
    if (k > left)
        return -1;
    *p += k;
    return 0;
}

/* One ScanToken message: start = 1, end = 2, token = 4, keyword_kind = 5. */
static int pb_token(const unsigned char *p, const unsigned char *e, pgx_tok *t)
{
    memset(t, 0, sizeof *t);
    while (p < e) {
        uint64_t key, v;
        if (pb_varint(&p, e, &key))
            return -1;
        if ((key & 7) != 0) {
            if (pb_skip(&p, e, (unsigned)(key & 7)))
                return -1;
            continue;
        }
        if (pb_varint(&p, e, &v))
            return -1;
        if ((key >> 3) == 1)
            t->start = (size_t)v;
        else if ((key >> 3) == 4)
            t->tok = (int)v;
        else if ((key >> 3) == 5)
            t->kw = (int)v;
    }
    return 0;
}

/* The tokens of text (ScanResult: tokens = 2). 0; 1 when libpg_query reports
 * an error (its message in msg); -1 when its answer cannot be read. */
static int pgx_scan(const char *text, pgx_toks *out, char *msg, size_t msgsz)
{
    PgQueryScanResult r = pg_query_scan(text);
    int rc = 0;
    if (r.error) {
        snprintf(msg, msgsz, "%s", r.error->message);
        rc = 1;
    }
    const unsigned char *p = (const unsigned char *)r.pbuf.data;
    const unsigned char *e = p ? p + r.pbuf.len : NULL; /* no tokens: no buffer */
    while (rc == 0 && p && p < e) {
        uint64_t key, len;
        if (pb_varint(&p, e, &key)) {
            rc = -1;
        } else if (key == ((2u << 3) | 2u)) {
            if (pb_varint(&p, e, &len) || len > (uint64_t)(e - p)) {
                rc = -1;
                break;
            }
            out->v = pgx_grow(out->v, &out->cap, out->n, sizeof *out->v);
            if (pb_token(p, p + len, &out->v[out->n++]))
                rc = -1;
            p += len;
        } else if (pb_skip(&p, e, (unsigned)(key & 7))) {
            rc = -1;
        }
    }
    pg_query_free_scan_result(r);
    return rc;
}

/* ------------------------------------------------------- A: libpg_query */

/* pg_query_split_with_scanner's loop (libpg_query 15-4.0.0,
 * src/pg_query_split.c), over the tokens: a statement ends at a ; (or the
 * end) outside parentheses once a keyword was seen since the last one (E1);
 * it starts just after the previous ; (blanks and comments included). Its
 * paren counter is unsigned and never clamped (E2), and a statement still
 * inside a ( at the end is not reported (E3). Raw locations. */
static void model_a(const char *text, const pgx_toks *tk, pgx_spans *out)
{
    size_t open = 0, start = 0, len = strlen(text);
    int kw_seen = 0;
    for (size_t i = 0; i <= tk->n; i++) {
        int tok = i < tk->n ? tk->v[i].tok : 0;
        size_t loc = i < tk->n ? tk->v[i].start : len;
        if (i < tk->n && tk->v[i].kw) {
            kw_seen = 1;
        } else if (tok == '(') {
            open++;
        } else if (tok == ')') {
            open--;
        } else if (kw_seen && open == 0 && (tok == ';' || tok == 0)) {
            span_push(out, start, loc);
            start = loc + 1;
            kw_seen = 0;
        } else if (open == 0 && tok == ';') {
            start = loc + 1;
        }
    }
}

/* ---------------------------------------------------- B: the reference */

static int pgx_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Whether dbmig sees no token here: a comment, or a vertical tab, which
 * PostgreSQL's scanner returns as a one-character token (E6). */
static int pgx_quiet(const pgx_tok *t)
{
    return t->tok == TK_SQL_COMMENT || t->tok == TK_C_COMMENT || t->tok == '\v';
}

static int pgx_word_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c >= 0x80;
}

enum { K_NONE, K_BEGIN, K_END, K_CASE, K_ATOMIC, K_CREATE, K_FUNCTION, K_PROCEDURE, K_OR,
       K_REPLACE, K_TEMP, K_DEFINER, K_CLOSES_NOTHING };

/* Whether w[0, n) is the lowercase word kw, ignoring ASCII case (by hand:
 * under libFuzzer every strncasecmp call is hooked, and slow). */
static int pgx_is(const char *w, size_t n, const char *kw)
{
    size_t i = 0;
    for (; i < n && kw[i]; i++) {
        char c = w[i] >= 'A' && w[i] <= 'Z' ? (char)(w[i] - 'A' + 'a') : w[i];
        if (c != kw[i])
            return 0;
    }
    return i == n && kw[i] == '\0';
}

static int pgx_kw(const char *w, size_t n)
{
    static const struct {
        const char *w;
        int k;
    } kws[] = {{"begin", K_BEGIN},       {"end", K_END},
               {"case", K_CASE},         {"atomic", K_ATOMIC},
               {"create", K_CREATE},     {"function", K_FUNCTION},
               {"procedure", K_PROCEDURE}, {"or", K_OR},
               {"replace", K_REPLACE},   {"temp", K_TEMP},
               {"temporary", K_TEMP},    {"aggregate", K_TEMP},
               {"definer", K_DEFINER},   {"if", K_CLOSES_NOTHING},
               {"loop", K_CLOSES_NOTHING}, {"while", K_CLOSES_NOTHING},
               {"repeat", K_CLOSES_NOTHING}};
    for (size_t k = 0; k < sizeof kws / sizeof kws[0]; k++)
        if (pgx_is(w, n, kws[k].w))
            return kws[k].k;
    return K_NONE;
}

/* The state of B over one statement. The BEGIN ATOMIC body (E4) follows
 * the rule dm_split documents (core/split.c: a CREATE [OR REPLACE]
 * FUNCTION|PROCEDURE whose BEGIN is followed by ATOMIC; inside, BEGIN and
 * CASE open a level, END closes one; END IF & co. close nothing), applied
 * here to PostgreSQL's tokens; the parser check (P) holds it to the grammar
 * wherever the text parses. */
enum { CRE_NO, CRE_PREFIX, CRE_DEFINER, CRE_BODY };

typedef struct mb {
    const char *text;
    int has, kw_seen;
    size_t start, widx, bdepth, paren;
    int cre, cre_words, pend_end, pend_begin;
    unsigned *x;
} mb;

static void mb_reset(mb *m)
{
    const char *text = m->text;
    unsigned *x = m->x;
    memset(m, 0, sizeof *m);
    m->text = text;
    m->x = x;
}

static void mb_nonword(mb *m, int c)
{
    if (m->pend_end) {
        m->pend_end = 0;
        if (m->bdepth)
            m->bdepth--;
    }
    m->pend_begin = 0;
    if (c == '(') {
        if (m->cre == CRE_PREFIX || m->cre == CRE_DEFINER)
            m->cre = CRE_NO;
        m->paren++;
    } else if (c == ')') {
        if (m->paren)
            m->paren--;
        else
            *m->x |= PGX_X_PAREN_UNDER; /* E2 */
    }
}

/* The CREATE prefix: does this statement define a routine? */
static void mb_prefix(mb *m, int kw)
{
    int routine = kw == K_FUNCTION || kw == K_PROCEDURE;
    if (m->cre == CRE_PREFIX) {
        if (routine)
            m->cre = CRE_BODY;
        else if (kw == K_DEFINER)
            m->cre = CRE_DEFINER;
        else if (kw != K_OR && kw != K_REPLACE && kw != K_TEMP)
            m->cre = CRE_NO;
    } else if (m->cre == CRE_DEFINER) {
        if (routine)
            m->cre = CRE_BODY;
        else if (++m->cre_words > 6)
            m->cre = CRE_NO;
    }
}

static void mb_word(mb *m, int kw)
{
    if (m->pend_end) {
        m->pend_end = 0;
        if (kw == K_CLOSES_NOTHING) {
            m->widx++;
            return;
        }
        if (m->bdepth)
            m->bdepth--;
        if (kw == K_CASE) {
            m->widx++;
            return;
        }
    }
    if (m->pend_begin) {
        m->pend_begin = 0;
        if (kw == K_ATOMIC) {
            m->bdepth = 1;
            m->widx++;
            return;
        }
    }
    if (m->widx++ == 0) {
        m->cre = kw == K_CREATE ? CRE_PREFIX : CRE_NO;
        return;
    }
    mb_prefix(m, kw);
    if (m->bdepth > 0) {
        if (kw == K_BEGIN || kw == K_CASE)
            m->bdepth++;
        else if (kw == K_END)
            m->pend_end = 1;
    } else if (kw == K_BEGIN && m->cre == CRE_BODY) {
        m->pend_begin = 1;
    }
}

static void mb_emit(mb *m, size_t end, pgx_spans *out)
{
    if (m->has) {
        while (end > m->start && pgx_blank((unsigned char)m->text[end - 1]))
            end--;
        span_push(out, m->start, end);
        if (!m->kw_seen)
            *m->x |= PGX_X_NOKEYWORD; /* E1 */
    }
    mb_reset(m);
}

/* One token that dbmig sees (not a comment, not a blank). Words are what
 * dm_split calls words: E'...' is a string to it, $1 a `$` and a number. */
static void mb_token(mb *m, const pgx_tok *t)
{
    const char *s = m->text + t->start;
    unsigned char c = (unsigned char)s[0];
    if (!m->has) {
        m->has = 1;
        m->start = t->start;
    }
    m->kw_seen |= t->kw != 0;
    int estring = (c == 'E' || c == 'e') && s[1] == '\'';
    if (t->tok == TK_PARAM) {
        mb_nonword(m, '$');
        mb_word(m, K_NONE);
    } else if (pgx_word_start(c) && !estring) {
        size_t n = 0;
        while (pgx_word_start((unsigned char)s[n]) || s[n] == '$')
            n++;
        int after_dot = t->start > 0 && s[-1] == '.';
        mb_word(m, after_dot ? K_NONE : pgx_kw(s, n));
    } else {
        mb_nonword(m, t->tok < 256 ? t->tok : 0);
    }
}

static void model_b(const char *text, const pgx_toks *tk, pgx_spans *out, unsigned *x)
{
    mb m = {.text = text, .x = x};
    mb_reset(&m);
    for (size_t i = 0; i < tk->n; i++) {
        const pgx_tok *t = &tk->v[i];
        if (pgx_quiet(t)) {
            if (t->tok == '\v')
                *x |= PGX_X_VTAB; /* E6 */
            continue;
        }
        if (t->tok == ';') {
            mb_nonword(&m, ';');
            if (m.paren == 0 && m.bdepth == 0)
                mb_emit(&m, t->start, out);
            else if (m.bdepth)
                *x |= PGX_X_ATOMIC; /* E4 */
            continue;
        }
        mb_token(&m, t);
    }
    mb_nonword(&m, 0);
    if (m.has && m.paren)
        *x |= PGX_X_PAREN_EOF; /* E3 */
    mb_emit(&m, strlen(text), out);
}

/* -------------------------------------------------------- the comparison */

/* A libpg_query statement (raw location and end) trimmed as dm_split trims:
 * from its first token dbmig sees to its end without trailing blanks. 0
 * when it holds no such token. *cur: where to look in tk (spans come in
 * order). */
static int pgx_trim(const char *text, const pgx_toks *tk, size_t *cur, size_t b, size_t e,
                    pgx_span *out)
{
    while (*cur < tk->n && tk->v[*cur].start < b)
        (*cur)++;
    size_t i = *cur;
    while (i < tk->n && tk->v[i].start < e && pgx_quiet(&tk->v[i]))
        i++;
    if (i == tk->n || tk->v[i].start >= e)
        return 0;
    while (e > tk->v[i].start && pgx_blank((unsigned char)text[e - 1]))
        e--;
    out->b = tk->v[i].start;
    out->e = e;
    return 1;
}

/* D against a list of trimmed spans; 0 when they agree, else the first
 * difference in r->why under the label `who`. */
static int pgx_same(const char *text, const dm_stmt_list *d, const pgx_spans *ref,
                    const char *who, pgx_result *r)
{
    size_t n = d->n < ref->n ? d->n : ref->n;
    for (size_t k = 0; k < n; k++) {
        size_t len = ref->v[k].e - ref->v[k].b;
        if (d->v[k].len == len && memcmp(d->v[k].sql, text + ref->v[k].b, len) == 0)
            continue;
        why(r, "statement %zu (line %d): dbmig ", k + 1, d->v[k].line);
        why_text(r, d->v[k].sql, 0, d->v[k].len);
        why(r, " but %s ", who);
        why_text(r, text, ref->v[k].b, ref->v[k].e);
        return 1;
    }
    if (d->n == ref->n)
        return 0;
    why(r, "dbmig has %zu statements, %s %zu; the first extra: ", d->n, who, ref->n);
    if (d->n > n)
        why_text(r, d->v[n].sql, 0, d->v[n].len);
    else
        why_text(r, text, ref->v[n].b, ref->v[n].e);
    return 1;
}

/* A: replayed rules against pg_query_split_with_scanner; 0 when equal. */
static int pgx_check_a(const char *text, const pgx_toks *tk, pgx_result *r)
{
    pgx_spans a = {0};
    model_a(text, tk, &a);
    PgQuerySplitResult s = pg_query_split_with_scanner(text);
    int bad = s.error != NULL || (size_t)s.n_stmts != a.n;
    for (size_t k = 0; !bad && k < a.n; k++)
        bad = (size_t)s.stmts[k]->stmt_location != a.v[k].b ||
              (size_t)s.stmts[k]->stmt_len != a.v[k].e - a.v[k].b;
    if (bad)
        why(r, "harness: libpg_query's split gave %d statements%s, its rules replayed over "
               "its tokens %zu",
            s.n_stmts, s.error ? " and an error" : "", a.n);
    pg_query_free_split_result(s);
    free(a.v);
    return bad;
}

/* P: PostgreSQL's grammar, when the text parses; 1 when compared and equal. */
static int pgx_check_p(const char *text, const pgx_toks *tk, const dm_stmt_list *d,
                       pgx_result *r)
{
    PgQuerySplitResult s = pg_query_split_with_parser(text);
    int parsed = 0;
    if (!s.error) {
        pgx_spans p = {0};
        size_t cur = 0;
        for (int k = 0; k < s.n_stmts; k++) {
            pgx_span sp;
            size_t b = (size_t)s.stmts[k]->stmt_location;
            if (pgx_trim(text, tk, &cur, b, b + (size_t)s.stmts[k]->stmt_len, &sp))
                span_push(&p, sp.b, sp.e);
        }
        parsed = pgx_same(text, d, &p, "PostgreSQL's parser", r) ? -1 : 1;
        free(p.v);
    }
    pg_query_free_split_result(s);
    return parsed;
}

/* E5: the escape hatch's marker, anywhere (conservative: also in a string). */
static int pgx_has_marker(const char *text)
{
    for (const char *p = strchr(text, ':'); p; p = strchr(p + 1, ':'))
        if (p - text >= 5 && pgx_is(p - 5, 5, "dbmig") && pgx_is(p + 1, 9, "statement"))
            return 1; /* (pgx_is stops at the first byte that differs, a NUL too) */
    return 0;
}

/* The lexing errors, when either side has one: 1 when that settles it. */
static int pgx_errors(int drc, const dm_err *de, int prc, const char *pmsg, pgx_result *r)
{
    if (prc == 0 && drc == 0)
        return 0;
    if (prc == 0) {
        r->verdict = PGX_DIFFER;
        why(r, "dbmig fails (%s) where libpg_query's scanner reads every token",
            dm_err_msg(de));
    } else if (prc < 0) {
        r->verdict = PGX_HARNESS;
        why(r, "harness: pg_query_scan's answer cannot be decoded");
    } else if (drc == 0 && strncmp(pmsg, "unterminated", 12) == 0) {
        r->verdict = PGX_DIFFER;
        why(r, "libpg_query's scanner: %s; dbmig splits it without an error", pmsg);
    } else {
        r->verdict = PGX_SKIP_PGERROR; /* E7 */
        why(r, "libpg_query's scanner: %s", pmsg);
    }
    return 1;
}

void pgx_compare(const char *text, pgx_result *r)
{
    memset(r, 0, sizeof *r);
    if (pgx_has_marker(text)) {
        r->verdict = PGX_SKIP_HATCH;
        why(r, "holds a -- dbmig:statement marker (E5)");
        return;
    }
    dm_stmt_list d = {0};
    dm_err de = {0};
    int drc = dm_split(text, strlen(text), DBMIG_DIALECT_POSTGRES, 1, "pgx.sql", &d, &de);
    r->nstmts = d.n;
    pgx_toks tk = {0};
    char pmsg[256] = "";
    int prc = pgx_scan(text, &tk, pmsg, sizeof pmsg);
    if (!pgx_errors(drc, &de, prc, pmsg, r)) {
        pgx_spans b = {0};
        model_b(text, &tk, &b, &r->exceptions);
        if (pgx_check_a(text, &tk, r))
            r->verdict = PGX_HARNESS;
        else if (pgx_same(text, &d, &b, "libpg_query's scanner (with E1-E6)", r))
            r->verdict = PGX_DIFFER;
        else if ((r->parsed = pgx_check_p(text, &tk, &d, r)) < 0)
            r->verdict = PGX_DIFFER;
        free(b.v);
    }
    if (r->parsed < 0)
        r->parsed = 0;
    free(tk.v);
    dm_stmt_list_free(&d);
    dm_err_free(&de);
}

void pgx_done(void) { pg_query_exit(); }
