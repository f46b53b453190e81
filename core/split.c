/* split.c — the statement splitter (SPEC section 2).
 *
 * One forward pass over the text, no recursion, no backtracking: every byte
 * is looked at a bounded number of times (closing dollar tags are found with
 * memmem, which glibc implements in linear time), so hostile input such as a
 * million nested comments costs time proportional to its size and constant
 * stack.
 *
 * Lexical rules by dialect:
 *   all       '...' with '' escapes, "..." with "" escapes, -- line comments,
 *             block comments
 *   postgres  E'...' with backslash escapes, $tag$...$tag$ bodies (a
 *             number takes no `$`: 1$a$ is 1 and a tag), nested block
 *             comments, -- comments end at a newline or a carriage return,
 *             BEGIN ATOMIC ... END bodies of CREATE [OR REPLACE]
 *             FUNCTION|PROCEDURE, and like psql a `;` inside parentheses does
 *             not end a statement (CREATE RULE ... DO (a; b)). These rules
 *             are cross-checked against PostgreSQL's own scanner and parser
 *             (libpg_query: tests/fuzz/fuzz_pgsplit.c, unit.split).
 *   mysql     backslash escapes in '...' and "...", # comments, `-- ` needs a
 *             blank after it, `backticks`, DELIMITER lines, executable
 *             comments (a statement may consist of one), BEGIN ... END bodies
 *             of CREATE TRIGGER/PROCEDURE/FUNCTION/EVENT and MariaDB's
 *             BEGIN NOT ATOMIC
 *   sqlite    `backticks`, [brackets], BEGIN ... END bodies of CREATE TRIGGER
 *
 * Bodies: inside a body BEGIN and CASE open a level and END closes one,
 * except END IF / END LOOP / END WHILE / END REPEAT which close constructs
 * that were never counted (IF, LOOP, WHILE, REPEAT open nothing), and
 * END CASE which closes the CASE statement it follows. A `;` ends the
 * statement only outside any body. With a DELIMITER other than `;` the
 * delimiter alone ends statements, as in the mysql client.
 *
 * Escape hatch: a line `-- dbmig:statement begin` and a line
 * `-- dbmig:statement end` enclose one statement that is taken verbatim
 * (only the surrounding blank space is trimmed).
 *
 * Incremental: the scanner runs over a window of the input (the caller's
 * chunk in place, or the carried-over bytes plus the new chunk). Each loop
 * turn handles one token; a token whose end is not in the window yet (a
 * quote, comment, dollar body, word, line, escape-hatch block, or fewer than
 * SP_LOOK bytes of lookahead) is abandoned without side effects and the scan
 * stops there (SP_MORE). The bytes from the current statement's first token
 * (or from that token when no statement is open) are kept for the next feed;
 * everything before is dropped, remembering only what the lookbehinds need
 * (the byte before the window, whether the window starts a line, its line
 * number). A cut-off token leaves a hint (how far it was scanned: the
 * position in a quote, a block comment and its depth, where a closing dollar
 * tag can still start, the line of an escape-hatch block being searched), so
 * the next feed goes on from there; a token without a hint (a dollar tag, the
 * few lookahead bytes) is rescanned whole, but only once the window has
 * doubled. Either way a long token costs linear time however the input is
 * chunked, and a statement is emitted by the feed that brings its terminator
 * and the SP_LOOK - 1 bytes after it (or by dm_split_finish). dm_split() is
 * the same scanner run once with end-of-input set.
 */
#define _GNU_SOURCE /* memmem */
#include "split.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    KW_NONE = 0,
    KW_BEGIN,
    KW_END,
    KW_CASE,
    KW_IF,
    KW_LOOP,
    KW_WHILE,
    KW_REPEAT,
    KW_ATOMIC,
    KW_NOT,
    KW_CREATE,
    KW_TRIGGER,
    KW_PROCEDURE,
    KW_FUNCTION,
    KW_EVENT,
    KW_OR,
    KW_REPLACE,
    KW_TEMP,
    KW_TEMPORARY,
    KW_DEFINER,
    KW_AGGREGATE,
    KW_DELIMITER
};

static const struct {
    const char *w;
    int kw;
} sp_keywords[] = {
    {"BEGIN", KW_BEGIN},         {"END", KW_END},
    {"CASE", KW_CASE},           {"IF", KW_IF},
    {"LOOP", KW_LOOP},           {"WHILE", KW_WHILE},
    {"REPEAT", KW_REPEAT},       {"ATOMIC", KW_ATOMIC},
    {"NOT", KW_NOT},             {"CREATE", KW_CREATE},
    {"TRIGGER", KW_TRIGGER},     {"PROCEDURE", KW_PROCEDURE},
    {"FUNCTION", KW_FUNCTION},   {"EVENT", KW_EVENT},
    {"OR", KW_OR},               {"REPLACE", KW_REPLACE},
    {"TEMP", KW_TEMP},           {"TEMPORARY", KW_TEMPORARY},
    {"DEFINER", KW_DEFINER},     {"AGGREGATE", KW_AGGREGATE},
    {"DELIMITER", KW_DELIMITER},
};

/* States of the CREATE prefix scan that decides whether BEGIN opens a body. */
enum { CRE_NO = 0, CRE_PREFIX, CRE_DEFINER, CRE_BODY };

/* Internal: the token at s->i needs bytes beyond the window. */
#define SP_MORE (-0x5350)

struct dm_splitter {
    int dia;
    char *file;
    /* the window being scanned */
    const char *t;
    size_t n;
    int eof;           /* no byte follows the window */
    size_t i;          /* where the scan resumes */
    dm_buf carry;      /* kept bytes between feeds: the window's start */
    size_t want;       /* rescan once carry.len reaches this (amortisation) */
    int base_line;     /* line of t[0] */
    size_t lc_pos;     /* line cache: line number of byte lc_pos */
    int lc_line;
    int at_bol;        /* the bytes before t[0] end at a line start (only blanks after a \n) */
    unsigned char prevc; /* the byte before t[0], 0 at the start of the input */
    dm_buf delim;      /* current statement delimiter */
    dm_buf scratch;    /* the statement handed to the callback */
    dm_stmt_cb cb;
    void *payload;
    dm_err *err;
    /* how far the token at hint_at was scanned before the window ended, so
     * that the next feed goes on from there (kind: HK_*) */
    int hint_kind;
    size_t hint_at, hint_pos, hint_depth;
    int failed;        /* sticky error code */
    int finished;
    /* the statement being read */
    int has_tok;
    size_t start;
    size_t widx;       /* words seen so far */
    int is_create;     /* first word is CREATE */
    int cre;           /* CRE_* */
    int cre_words;     /* words spent in CRE_DEFINER */
    size_t bdepth;     /* BEGIN/CASE nesting inside a body */
    int pend_end;      /* END seen; the next token decides what it closes */
    int pend_begin;    /* BEGIN seen; ATOMIC (or NOT for MariaDB) opens a body */
    size_t paren;      /* postgres: ( depth */
};

typedef struct dm_splitter sp;

enum { HK_NONE = 0, HK_EOL, HK_EOLCR, HK_HATCH, HK_QUOTE, HK_BLOCK, HK_DOLLAR, HK_WORD };

/* Where the scan of the token at `at` of kind `kind` goes on: the hint left
 * by the last feed, else dflt. */
static size_t sp_hint(const sp *s, size_t at, int kind, size_t dflt)
{
    return s->hint_kind == kind && s->hint_at == at ? s->hint_pos : dflt;
}

static void sp_set_hint(sp *s, size_t at, int kind, size_t pos, size_t depth)
{
    s->hint_kind = kind;
    s->hint_at = at;
    s->hint_pos = pos;
    s->hint_depth = depth;
}

/* Bytes of lookahead a token may need: slash-star-M-bang, `-- `, and the
 * delimiter. */
#define SP_LOOK 4

static int sp_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int sp_word_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c >= 0x80;
}

static int sp_word_char(unsigned char c) { return sp_word_start(c) || c == '$'; }

static int sp_tag_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static char sp_upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; }

static int sp_kw(const char *w, size_t n)
{
    if (n > 9)
        return KW_NONE;
    for (size_t k = 0; k < sizeof sp_keywords / sizeof sp_keywords[0]; k++) {
        const char *kw = sp_keywords[k].w;
        size_t i = 0;
        while (i < n && kw[i] && sp_upper(w[i]) == kw[i])
            i++;
        if (i == n && kw[i] == '\0')
            return sp_keywords[k].kw;
    }
    return KW_NONE;
}

/* Line number of byte pos. Requests are nearly always increasing, so the
 * cache makes the total cost linear; a request behind the cache recounts. */
static int sp_line(sp *s, size_t pos)
{
    if (pos > s->n)
        pos = s->n;
    if (pos < s->lc_pos) {
        s->lc_pos = 0;
        s->lc_line = s->base_line;
    }
    const char *p = s->t + s->lc_pos, *end = s->t + pos;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        s->lc_line++;
        p = nl + 1;
    }
    s->lc_pos = pos;
    return s->lc_line;
}

static size_t sp_eol(const sp *s, size_t i)
{
    const char *nl = memchr(s->t + i, '\n', s->n - i);
    return nl ? (size_t)(nl - s->t) : s->n;
}

/* The end of the line of the token at i; a line cut off by the window is
 * searched only in the new bytes next time. */
static size_t sp_eol_tok(sp *s, size_t i)
{
    size_t e = sp_eol(s, sp_hint(s, i, HK_EOL, i));
    if (e == s->n)
        sp_set_hint(s, i, HK_EOL, e, 0);
    return e;
}

/* The end of a PostgreSQL -- comment at i: a newline or a carriage return,
 * as in PostgreSQL's scanner (scan.l: non_newline is [^\n\r]), else a text
 * with old Mac line ends would be one comment and run nothing. */
static size_t sp_eol_cr_tok(sp *s, size_t i)
{
    size_t from = sp_hint(s, i, HK_EOLCR, i);
    size_t e = sp_eol(s, from);
    const char *cr = memchr(s->t + from, '\r', e - from);
    if (cr)
        e = (size_t)(cr - s->t);
    if (e == s->n)
        sp_set_hint(s, i, HK_EOLCR, e, 0);
    return e;
}

static void sp_reset_stmt(sp *s)
{
    s->has_tok = 0;
    s->start = 0;
    s->widx = 0;
    s->is_create = 0;
    s->cre = CRE_NO;
    s->cre_words = 0;
    s->bdepth = 0;
    s->pend_end = 0;
    s->pend_begin = 0;
    s->paren = 0;
}

static int sp_push(sp *s, size_t b, size_t e)
{
    while (e > b && sp_space((unsigned char)s->t[e - 1]))
        e--;
    while (b < e && sp_space((unsigned char)s->t[b]))
        b++;
    if (e == b)
        return 0;
    dm_buf_reset(&s->scratch);
    if (dm_buf_append(&s->scratch, s->t + b, e - b))
        return dm_err_nomem(s->err);
    dm_stmt st;
    st.sql = s->scratch.ptr;
    st.len = e - b;
    st.line = sp_line(s, b);
    st.batch = 0;
    return s->cb(s->payload, &st);
}

/* Ends the current statement at byte `end` (exclusive). */
static int sp_emit(sp *s, size_t end)
{
    int rc = 0;
    if (s->has_tok)
        rc = sp_push(s, s->start, end);
    sp_reset_stmt(s);
    return rc;
}

static void sp_mark(sp *s, size_t i)
{
    if (!s->has_tok) {
        s->has_tok = 1;
        s->start = i;
    }
}

/* A token that is not a word settles a pending END or BEGIN. */
static void sp_nonword(sp *s)
{
    if (s->pend_end) {
        s->pend_end = 0;
        if (s->bdepth)
            s->bdepth--;
    }
    s->pend_begin = 0;
}

static int sp_unterminated(sp *s, size_t pos, const char *what)
{
    return dm_err_set(s->err, DBMIG_EINVALID,
                      "%s:%d: unterminated %s starting here; close it or wrap the statement in "
                      "-- dbmig:statement begin/end",
                      s->file, sp_line(s, pos), what);
}

/* Skips a quoted token opening at i with quote q (closing with close);
 * doubled closers and, when bs, backslashes escape. Returns the index after
 * it, or SIZE_MAX when unterminated. */
static size_t sp_skip_quoted(sp *s, size_t i, char close, int doubled, int bs)
{
    const char *t = s->t;
    size_t n = s->n, tok = i;
    i = sp_hint(s, tok, HK_QUOTE, i + 1);
    while (i < n) {
        char c = t[i];
        if (bs && c == '\\') {
            if (i + 1 >= n)
                break;
            i += 2;
            continue;
        }
        if (c == close) {
            if (doubled && i + 1 >= n) {
                if (!s->eof)
                    break; /* a doubled closer may follow */
                return i + 1;
            }
            if (doubled && t[i + 1] == close) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    sp_set_hint(s, tok, HK_QUOTE, i, 0);
    return SIZE_MAX;
}

static size_t sp_skip_block(sp *s, size_t i, int nested)
{
    const char *t = s->t;
    size_t n = s->n, tok = i, depth = 1;
    i += 2;
    if (s->hint_kind == HK_BLOCK && s->hint_at == tok) {
        i = s->hint_pos;
        depth = s->hint_depth;
    }
    while (i + 1 < n) {
        if (t[i] == '*' && t[i + 1] == '/') {
            i += 2;
            if (--depth == 0)
                return i;
        } else if (nested && t[i] == '/' && t[i + 1] == '*') {
            depth++;
            i += 2;
        } else {
            i++;
        }
    }
    sp_set_hint(s, tok, HK_BLOCK, i, depth);
    return SIZE_MAX;
}

/* 1 if only blanks precede byte i on its line. */
static int sp_line_start(const sp *s, size_t i)
{
    while (i > 0 && (s->t[i - 1] == ' ' || s->t[i - 1] == '\t'))
        i--;
    return i == 0 ? s->at_bol : s->t[i - 1] == '\n';
}

/* Checks the line [b, e) for an escape-hatch marker: 1 begin, 2 end, 0 none. */
static int sp_marker(const sp *s, size_t b, size_t e)
{
    const char *t = s->t;
    while (b < e && (t[b] == ' ' || t[b] == '\t'))
        b++;
    while (e > b && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\r'))
        e--;
    if (e - b < 2 || t[b] != '-' || t[b + 1] != '-')
        return 0;
    b += 2;
    while (b < e && (t[b] == ' ' || t[b] == '\t'))
        b++;
    /* matched ignoring case, as the file's other markers (SPEC section 2) */
    static const char kw[] = "dbmig:statement";
    size_t kl = sizeof kw - 1;
    if (e - b < kl || strncasecmp(t + b, kw, kl) != 0)
        return 0;
    b += kl;
    if (b == e || (t[b] != ' ' && t[b] != '\t'))
        return 0;
    while (b < e && (t[b] == ' ' || t[b] == '\t'))
        b++;
    if (e - b == 5 && strncasecmp(t + b, "begin", 5) == 0)
        return 1;
    if (e - b == 3 && strncasecmp(t + b, "end", 3) == 0)
        return 2;
    return 0;
}

/* The begin marker (token tok) is on the line starting at ls; reads up to
 * the end marker. The end marker is found before anything is emitted, so
 * SP_MORE leaves no trace but the hint. */
static int sp_hatch(sp *s, size_t tok, size_t ls, size_t *next)
{
    size_t p = sp_eol(s, ls);
    p = p < s->n ? p + 1 : s->n;
    size_t body = p;
    p = sp_hint(s, tok, HK_HATCH, p);
    while (p < s->n) {
        size_t le = sp_eol(s, p);
        if (le == s->n && !s->eof) {
            sp_set_hint(s, tok, HK_HATCH, p, 0);
            return SP_MORE;
        }
        if (sp_marker(s, p, le) == 2) {
            int rc = sp_emit(s, ls);
            if (rc)
                return rc;
            rc = sp_push(s, body, p);
            if (rc)
                return rc;
            *next = le < s->n ? le + 1 : s->n;
            return 0;
        }
        p = le < s->n ? le + 1 : s->n;
    }
    if (!s->eof) {
        sp_set_hint(s, tok, HK_HATCH, p, 0);
        return SP_MORE;
    }
    return dm_err_set(s->err, DBMIG_EINVALID,
                      "%s:%d: unterminated -- dbmig:statement begin block starting here; add a "
                      "line -- dbmig:statement end after the statement",
                      s->file, sp_line(s, ls));
}

/* MySQL `DELIMITER xx` at the start of a statement; i is at the word, wl its
 * length. */
static int sp_delimiter(sp *s, size_t i, size_t wl, size_t *next)
{
    size_t le = sp_eol_tok(s, i);
    if (le == s->n && !s->eof)
        return SP_MORE;
    size_t p = i + wl;
    while (p < le && (s->t[p] == ' ' || s->t[p] == '\t'))
        p++;
    size_t b = p;
    while (p < le && !sp_space((unsigned char)s->t[p]))
        p++;
    if (p == b)
        return dm_err_set(s->err, DBMIG_EINVALID,
                          "%s:%d: DELIMITER needs a value; write for example DELIMITER // and "
                          "later DELIMITER ; to go back",
                          s->file, sp_line(s, i));
    if (p - b >= 2 && (s->t[b] == '\'' || s->t[b] == '"' || s->t[b] == '`') &&
        s->t[p - 1] == s->t[b]) {
        b++;
        p--;
    }
    if (p == b) /* DELIMITER '' would end a statement at every byte */
        return dm_err_set(s->err, DBMIG_EINVALID,
                          "%s:%d: DELIMITER needs a value, and %.2s is empty; write for example "
                          "DELIMITER // and later DELIMITER ; to go back",
                          s->file, sp_line(s, i), s->t + b - 1);
    dm_buf_reset(&s->delim);
    if (dm_buf_append(&s->delim, s->t + b, p - b))
        return dm_err_nomem(s->err);
    *next = le;
    return 0;
}

static int sp_custom_delim(const sp *s) { return !(s->delim.len == 1 && s->delim.ptr[0] == ';'); }

/* Whether a CREATE of this kind (the keyword after CREATE and its
 * modifiers) has a BEGIN ... END body: a trigger on MySQL and SQLite, also a
 * procedure, function or event on MySQL; on PostgreSQL a function or a
 * procedure (BEGIN ATOMIC: the only statements whose grammar has one, as
 * psql decides too; `CREATE VIEW v AS SELECT begin atomic FROM t` is a
 * column and its alias). */
static int sp_body_kind(const sp *s, int kw)
{
    if (s->dia == DBMIG_DIALECT_POSTGRES)
        return kw == KW_FUNCTION || kw == KW_PROCEDURE;
    return kw == KW_TRIGGER || (s->dia == DBMIG_DIALECT_MYSQL &&
                                (kw == KW_PROCEDURE || kw == KW_FUNCTION || kw == KW_EVENT));
}

static void sp_word(sp *s, const char *w, size_t wl, int after_dot)
{
    int kw = after_dot ? KW_NONE : sp_kw(w, wl);
    if (s->pend_end) {
        s->pend_end = 0;
        if (kw == KW_IF || kw == KW_LOOP || kw == KW_WHILE || kw == KW_REPEAT) {
            s->widx++;
            return; /* END IF & co. close nothing we counted */
        }
        if (s->bdepth)
            s->bdepth--;
        if (kw == KW_CASE) {
            s->widx++;
            return; /* END CASE closes the CASE statement */
        }
    }
    if (s->pend_begin) {
        s->pend_begin = 0;
        if ((s->dia == DBMIG_DIALECT_POSTGRES && kw == KW_ATOMIC) ||
            (s->dia == DBMIG_DIALECT_MYSQL && kw == KW_NOT)) {
            s->bdepth = 1;
            s->widx++;
            return;
        }
    }
    if (s->widx == 0) {
        s->is_create = kw == KW_CREATE;
        s->cre = s->is_create ? CRE_PREFIX : CRE_NO;
        if (s->dia == DBMIG_DIALECT_MYSQL && kw == KW_BEGIN)
            s->pend_begin = 1; /* MariaDB: BEGIN NOT ATOMIC ... END */
        s->widx++;
        return;
    }
    int kind = sp_body_kind(s, kw);
    if (s->cre == CRE_PREFIX) {
        if (kind)
            s->cre = CRE_BODY;
        else if (kw == KW_DEFINER)
            s->cre = CRE_DEFINER;
        else if (kw != KW_OR && kw != KW_REPLACE && kw != KW_TEMP && kw != KW_TEMPORARY &&
                 kw != KW_AGGREGATE)
            s->cre = CRE_NO;
    } else if (s->cre == CRE_DEFINER) {
        if (kind)
            s->cre = CRE_BODY;
        else if (++s->cre_words > 6)
            s->cre = CRE_NO;
    }
    if (s->bdepth > 0) {
        if (kw == KW_BEGIN || kw == KW_CASE) {
            if (s->bdepth < SIZE_MAX)
                s->bdepth++;
        } else if (kw == KW_END) {
            s->pend_end = 1;
        }
    } else if (kw == KW_BEGIN) {
        if (s->cre == CRE_BODY &&
            (s->dia == DBMIG_DIALECT_MYSQL || s->dia == DBMIG_DIALECT_SQLITE))
            s->bdepth = 1;
        else if (s->dia == DBMIG_DIALECT_POSTGRES && s->cre == CRE_BODY)
            s->pend_begin = 1;
    }
    s->widx++;
}

/* Stops the scan at token i: it needs bytes beyond the window. */
#define SP_NEED(pos)                                                                               \
    do {                                                                                           \
        s->i = (pos);                                                                              \
        return SP_MORE;                                                                            \
    } while (0)

/* The token handlers of sp_run. Each looks at the token at *pi: if it is of
 * its kind, it handles it and moves *pi past it (every token is at least one
 * byte); if not, it leaves *pi alone and returns 0, and the next handler
 * looks. Non-zero: SP_MORE (the token runs past the window: s->i is set, as
 * SP_NEED does), a lexing error, or the statement callback's code. */

/* `-- dbmig:statement begin` ... end (the escape hatch), or a stray end. */
static int sp_tok_marker(sp *s, size_t *pi)
{
    const char *t = s->t;
    size_t i = *pi, n = s->n;
    if (!(t[i] == '-' && i + 1 < n && t[i + 1] == '-' && sp_line_start(s, i)))
        return 0;
    size_t le = sp_eol_tok(s, i);
    if (le == n && !s->eof)
        SP_NEED(i);
    size_t ls = i;
    while (ls > 0 && t[ls - 1] != '\n')
        ls--;
    int m = sp_marker(s, ls, le);
    if (m == 1) {
        size_t next = i;
        int rc = sp_hatch(s, i, ls, &next);
        if (rc == SP_MORE)
            SP_NEED(i);
        if (rc)
            return rc;
        *pi = next;
        return 0;
    }
    if (m == 2)
        return dm_err_set(s->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:statement end without a matching "
                          "-- dbmig:statement begin; add the begin line before the "
                          "statement or remove this one",
                          s->file, sp_line(s, i));
    return 0;
}

/* Line comments (-- and MySQL's #) and block comments. */
static int sp_tok_comment(sp *s, size_t *pi)
{
    const char *t = s->t;
    size_t i = *pi, n = s->n;
    int dia = s->dia, eof = s->eof;
    unsigned char c = (unsigned char)t[i];
    unsigned char c1 = i + 1 < n ? (unsigned char)t[i + 1] : 0;
    if ((c == '-' && c1 == '-' &&
         (dia != DBMIG_DIALECT_MYSQL || i + 2 >= n || (unsigned char)t[i + 2] <= ' ')) ||
        (c == '#' && dia == DBMIG_DIALECT_MYSQL)) {
        size_t le = dia == DBMIG_DIALECT_POSTGRES ? sp_eol_cr_tok(s, i) : sp_eol_tok(s, i);
        if (le == n && !eof)
            SP_NEED(i);
        *pi = le;
        return 0;
    }
    if (c == '/' && c1 == '*') {
        size_t e = sp_skip_block(s, i, dia == DBMIG_DIALECT_POSTGRES);
        if (e == SIZE_MAX) {
            if (!eof)
                SP_NEED(i);
            return sp_unterminated(s, i, "block comment (/* ... */)");
        }
        if (dia == DBMIG_DIALECT_MYSQL && i + 2 < n &&
            (t[i + 2] == '!' || (t[i + 2] == 'M' && i + 3 < n && t[i + 3] == '!'))) {
            sp_mark(s, i); /* executable comment: part of the statement */
            sp_nonword(s);
        }
        *pi = e;
    }
    return 0;
}

/* The end of a statement: a custom delimiter (outside comments and quotes
 * only), or `;` outside any body and, on PostgreSQL, any parentheses. */
static int sp_tok_end(sp *s, size_t *pi)
{
    size_t i = *pi, dlen = s->delim.len;
    if (sp_custom_delim(s)) {
        if (s->n - i < dlen || memcmp(s->t + i, s->delim.ptr, dlen) != 0)
            return 0;
        sp_nonword(s);
        *pi = i + dlen;
        return sp_emit(s, i);
    }
    if (s->t[i] != ';')
        return 0;
    sp_nonword(s);
    *pi = i + 1;
    return s->bdepth == 0 && s->paren == 0 ? sp_emit(s, i) : 0;
}

/* A PostgreSQL $tag$ ... $tag$ body at i: its end in *e (unchanged when the
 * `$` opens no body). */
static int sp_dollar(sp *s, size_t i, size_t *e)
{
    const char *t = s->t;
    size_t n = s->n, j = i + 1;
    if (j < n && sp_tag_start((unsigned char)t[j])) {
        j++;
        while (j < n && sp_word_start((unsigned char)t[j]))
            j++;
    }
    if (j == n && !s->eof)
        SP_NEED(i);
    if (!(j < n && t[j] == '$'))
        return 0;
    size_t tl = j + 1 - i;
    size_t from = sp_hint(s, i, HK_DOLLAR, j + 1);
    const char *close = memmem(t + from, n - from, t + i, tl);
    if (!close) {
        /* next time only where a closing tag can end */
        size_t tail = n - (tl - 1);
        sp_set_hint(s, i, HK_DOLLAR, tail > from ? tail : from, 0);
        if (!s->eof)
            SP_NEED(i);
        return sp_unterminated(s, i, "dollar-quoted body ($tag$ ... $tag$)");
    }
    *e = (size_t)(close - t) + tl;
    return 0;
}

/* Quoted tokens: strings, quoted identifiers, dollar bodies. From here a
 * token that runs past the window leaves no trace (SP_NEED before any
 * change of the state). */
static int sp_tok_quoted(sp *s, size_t *pi)
{
    size_t i = *pi, e = 0;
    int dia = s->dia;
    unsigned char c = (unsigned char)s->t[i];
    unsigned char c1 = i + 1 < s->n ? (unsigned char)s->t[i + 1] : 0;
    const char *what = NULL;
    if (c == '\'') {
        e = sp_skip_quoted(s, i, '\'', 1, dia == DBMIG_DIALECT_MYSQL);
        what = "string literal ('...')";
    } else if (c == '"') {
        e = sp_skip_quoted(s, i, '"', 1, dia == DBMIG_DIALECT_MYSQL);
        what = "quoted identifier (\"...\")";
    } else if (c == '`' && (dia == DBMIG_DIALECT_MYSQL || dia == DBMIG_DIALECT_SQLITE)) {
        e = sp_skip_quoted(s, i, '`', 1, 0);
        what = "backtick identifier (`...`)";
    } else if (c == '[' && dia == DBMIG_DIALECT_SQLITE) {
        e = sp_skip_quoted(s, i, ']', 0, 0);
        what = "bracket identifier ([...])";
    } else if (c == '$' && dia == DBMIG_DIALECT_POSTGRES && !(c1 >= '0' && c1 <= '9')) {
        int rc = sp_dollar(s, i, &e);
        if (rc)
            return rc;
        if (e)
            what = "";
    }
    if (!what)
        return 0;
    if (e == SIZE_MAX) {
        if (!s->eof)
            SP_NEED(i);
        return sp_unterminated(s, i, what);
    }
    sp_mark(s, i);
    sp_nonword(s);
    *pi = e;
    return 0;
}

/* Words: keywords and identifiers (they drive the body levels: sp_word),
 * PostgreSQL's E'...', MySQL's DELIMITER command. */
static int sp_tok_word(sp *s, size_t *pi)
{
    const char *t = s->t;
    size_t i = *pi, n = s->n, dlen = s->delim.len;
    int eof = s->eof, custom = sp_custom_delim(s);
    unsigned char c = (unsigned char)t[i];
    if (!sp_word_start(c))
        return 0;
    int first = !s->has_tok;
    /* PostgreSQL: a number takes no `$` (only identifiers do), so in 1$a$ or
     * $1$a$ the `$a$` opens a dollar quote, as in PostgreSQL's scanner */
    int number = s->dia == DBMIG_DIALECT_POSTGRES && c >= '0' && c <= '9';
    size_t j = sp_hint(s, i, HK_WORD, i + 1);
    while (j < n && sp_word_char((unsigned char)t[j]) && !(number && t[j] == '$')) {
        /* `END$$` with DELIMITER $$: the delimiter ends the word */
        if (custom && t[j] == s->delim.ptr[0]) {
            if (n - j < dlen && !eof) {
                sp_set_hint(s, i, HK_WORD, j, 0);
                SP_NEED(i);
            }
            if (n - j >= dlen && memcmp(t + j, s->delim.ptr, dlen) == 0)
                break;
        }
        j++;
    }
    if (j == n && !eof) {
        sp_set_hint(s, i, HK_WORD, j, 0);
        SP_NEED(i);
    }
    size_t wl = j - i;
    if (s->dia == DBMIG_DIALECT_POSTGRES && wl == 1 && (c == 'E' || c == 'e') && j < n &&
        t[j] == '\'') {
        size_t e = sp_skip_quoted(s, j, '\'', 1, 1);
        if (e == SIZE_MAX) {
            if (!eof)
                SP_NEED(i);
            return sp_unterminated(s, i, "escape string (E'...')");
        }
        sp_mark(s, i);
        sp_nonword(s);
        *pi = e;
        return 0;
    }
    if (first && s->dia == DBMIG_DIALECT_MYSQL && sp_kw(t + i, wl) == KW_DELIMITER &&
        (j >= n || t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r')) {
        size_t next = i;
        int rc = sp_delimiter(s, i, wl, &next);
        if (rc == SP_MORE)
            SP_NEED(i);
        if (rc)
            return rc;
        sp_reset_stmt(s);
        *pi = next;
        return 0;
    }
    sp_mark(s, i);
    sp_word(s, t + i, wl, i > 0 ? t[i - 1] == '.' : s->prevc == '.');
    *pi = j;
    return 0;
}

/* Anything else: operators, punctuation, parameters. */
static void sp_tok_other(sp *s, size_t i)
{
    unsigned char c = (unsigned char)s->t[i];
    sp_mark(s, i);
    sp_nonword(s);
    if ((s->cre == CRE_PREFIX || s->cre == CRE_DEFINER) && c == '(')
        s->cre = CRE_NO;
    if (s->dia == DBMIG_DIALECT_POSTGRES) {
        if (c == '(')
            s->paren++;
        else if (c == ')' && s->paren)
            s->paren--;
    }
}

/* The scan: blank space is skipped here, every token goes to the first
 * handler that takes it (the order matters: a marker line before a comment,
 * comments before the delimiter, the delimiter before quotes and words). */
static int sp_run(sp *s)
{
    size_t n = s->n, i = s->i;
    int eof = s->eof;
    for (;;) {
        if (i >= n) {
            if (!eof)
                SP_NEED(i);
            break;
        }
        size_t dlen = s->delim.len;
        if (!eof && n - i < (dlen > SP_LOOK ? dlen : SP_LOOK))
            SP_NEED(i);
        if (sp_space((unsigned char)s->t[i])) {
            i++;
            continue;
        }
        size_t at = i;
        int rc = sp_tok_marker(s, &i);
        if (!rc && i == at)
            rc = sp_tok_comment(s, &i);
        if (!rc && i == at)
            rc = sp_tok_end(s, &i);
        if (!rc && i == at)
            rc = sp_tok_quoted(s, &i);
        if (!rc && i == at)
            rc = sp_tok_word(s, &i);
        if (rc)
            return rc;
        if (i == at)
            sp_tok_other(s, i++);
    }
    s->i = n;
    sp_nonword(s);
    return sp_emit(s, n);
}

/* ------------------------------------------------------------ the state */

static int sp_init(sp *s, int dialect, int first_line, const char *file)
{
    memset(s, 0, sizeof *s);
    s->dia = dialect;
    s->file = dm_strdup(file ? file : "<input>");
    s->base_line = first_line > 0 ? first_line : 1;
    s->lc_line = s->base_line;
    s->at_bol = 1;
    sp_reset_stmt(s);
    if (!s->file || dm_buf_append(&s->delim, ";", 1)) {
        free(s->file);
        dm_buf_free(&s->delim);
        return -1;
    }
    return 0;
}

static void sp_done(sp *s)
{
    free(s->file);
    dm_buf_free(&s->carry);
    dm_buf_free(&s->delim);
    dm_buf_free(&s->scratch);
}

/* Keeps the bytes from `keep` on for the next feed. */
static int sp_keep(sp *s, int in_place)
{
    size_t keep = s->has_tok && s->start < s->i ? s->start : s->i;
    const char *t = s->t;
    int line = sp_line(s, keep);
    size_t k = keep;
    while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t'))
        k--;
    if (k > 0)
        s->at_bol = t[k - 1] == '\n';
    if (keep > 0)
        s->prevc = (unsigned char)t[keep - 1];
    size_t pending = s->n - s->i;
    size_t rest = s->n - keep;
    if (in_place) {
        dm_buf_reset(&s->carry);
        if (dm_buf_append(&s->carry, t + keep, rest))
            return dm_err_nomem(s->err);
    } else if (keep > 0) {
        memmove(s->carry.ptr, s->carry.ptr + keep, rest);
        s->carry.len = rest;
        s->carry.ptr[rest] = '\0';
    }
    /* give back the memory of a long statement once it is gone */
    if (s->carry.cap > ((size_t)1 << 20) && s->carry.len < s->carry.cap / 4) {
        size_t cap = s->carry.len * 2 + 1;
        char *p = realloc(s->carry.ptr, cap);
        if (p) {
            s->carry.ptr = p;
            s->carry.cap = cap;
        }
    }
    s->i -= keep;
    if (s->has_tok)
        s->start -= keep;
    s->base_line = line;
    s->lc_pos = 0;
    s->lc_line = line;
    if (s->hint_kind != HK_NONE && s->hint_at >= keep) {
        s->hint_at -= keep;
        s->hint_pos -= keep;
    } else {
        s->hint_kind = HK_NONE;
    }
    /* A token scanned up to a hint goes on with any new byte; one without a
     * hint is rescanned whole, so only once the window has doubled. */
    if (s->hint_kind != HK_NONE && s->hint_at == s->i)
        s->want = s->carry.len + 1;
    else
        s->want = s->carry.len + (pending ? pending : 1);
    return 0;
}

static int sp_feed(sp *s, const char *chunk, size_t n, int eof, dm_stmt_cb cb, void *payload,
                   dm_err *err)
{
    if (s->failed)
        return s->failed;
    if (s->finished)
        return dm_err_set(err, DBMIG_ERROR, "%s: the statement splitter was fed after its end "
                          "(internal error; please report it)", s->file);
    if (!chunk)
        n = 0;
    s->cb = cb;
    s->payload = payload;
    s->err = err;
    int in_place = s->carry.len == 0;
    if (in_place) {
        s->t = chunk ? chunk : "";
        s->n = n;
    } else {
        if (n && dm_buf_append(&s->carry, chunk, n))
            return s->failed = dm_err_nomem(err);
        if (!eof && s->carry.len < s->want)
            return 0;
        s->t = s->carry.ptr;
        s->n = s->carry.len;
    }
    s->eof = eof;
    int rc = sp_run(s);
    if (rc == SP_MORE)
        rc = sp_keep(s, in_place);
    else if (rc == 0)
        s->finished = 1;
    s->t = NULL;
    s->n = 0;
    if (rc)
        s->failed = rc;
    return rc;
}

dm_splitter *dm_splitter_new(int dialect, int first_line, const char *file)
{
    sp *s = malloc(sizeof *s);
    if (s && sp_init(s, dialect, first_line, file)) {
        free(s);
        s = NULL;
    }
    return s;
}

int dm_split_feed(dm_splitter *s, const char *chunk, size_t n, dm_stmt_cb cb, void *payload,
                  dm_err *err)
{
    return sp_feed(s, chunk, n, 0, cb, payload, err);
}

int dm_split_finish(dm_splitter *s, dm_stmt_cb cb, void *payload, dm_err *err)
{
    return sp_feed(s, NULL, 0, 1, cb, payload, err);
}

size_t dm_splitter_buffered(const dm_splitter *s) { return s ? s->carry.cap : 0; }

void dm_splitter_free(dm_splitter *s)
{
    if (!s)
        return;
    sp_done(s);
    free(s);
}

/* ------------------------------------------------------------ one shot */

typedef struct sp_list {
    dm_stmt_list *l;
    dm_err *err;
} sp_list;

int dm_stmt_list_push(dm_stmt_list *l, const dm_stmt *st)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        dm_stmt *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *sql = dm_strndup(st->sql, st->len);
    if (!sql)
        return -1;
    l->v[l->n].sql = sql;
    l->v[l->n].len = st->len;
    l->v[l->n].line = st->line;
    l->v[l->n].batch = st->batch;
    l->n++;
    return 0;
}

static int sp_list_push(void *payload, const dm_stmt *st)
{
    sp_list *x = payload;
    return dm_stmt_list_push(x->l, st) ? dm_err_nomem(x->err) : 0;
}

int dm_split_into(dm_splitter *s, const char *chunk, size_t n, int eof, dm_stmt_list *out,
                  dm_err *err)
{
    sp_list x = {out, err};
    return sp_feed(s, chunk, n, eof, sp_list_push, &x, err);
}

int dm_split(const char *text, size_t len, int dialect, int first_line, const char *file,
             dm_stmt_list *out, dm_err *err)
{
    sp s;
    if (sp_init(&s, dialect, first_line, file))
        return dm_err_nomem(err);
    size_t before = out->n;
    sp_list x = {out, err};
    int rc = sp_feed(&s, text, text ? len : 0, 1, sp_list_push, &x, err);
    if (rc) {
        /* leave the list as it was */
        for (size_t k = before; k < out->n; k++)
            free(out->v[k].sql);
        out->n = before;
    }
    sp_done(&s);
    return rc;
}

void dm_stmt_list_free(dm_stmt_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].sql);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
