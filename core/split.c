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
 *   postgres  E'...' with backslash escapes, $tag$...$tag$ bodies, nested
 *             block comments, BEGIN ATOMIC ... END bodies, and like psql a `;`
 *             inside parentheses does not end a statement (CREATE RULE ...
 *             DO (a; b))
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
 */
#define _GNU_SOURCE /* memmem */
#include "split.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct sp {
    const char *t;
    size_t n;
    int dia;
    const char *file;
    int first_line;
    size_t lc_pos; /* line cache: line number of byte lc_pos */
    int lc_line;
    dm_stmt_list *out;
    dm_err *err;
    const char *delim; /* current statement delimiter (points into t or ";") */
    size_t dlen;
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
} sp;

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
        s->lc_line = s->first_line;
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
    dm_stmt_list *l = s->out;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        dm_stmt *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return dm_err_nomem(s->err);
        l->v = v;
        l->cap = cap;
    }
    char *sql = dm_strndup(s->t + b, e - b);
    if (!sql)
        return dm_err_nomem(s->err);
    l->v[l->n].sql = sql;
    l->v[l->n].len = e - b;
    l->v[l->n].line = sp_line(s, b);
    l->n++;
    return 0;
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
static size_t sp_skip_quoted(const sp *s, size_t i, char close, int doubled, int bs)
{
    const char *t = s->t;
    size_t n = s->n;
    i++;
    while (i < n) {
        char c = t[i];
        if (bs && c == '\\') {
            i += 2;
            continue;
        }
        if (c == close) {
            if (doubled && i + 1 < n && t[i + 1] == close) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return SIZE_MAX;
}

static size_t sp_skip_block(const sp *s, size_t i, int nested)
{
    const char *t = s->t;
    size_t n = s->n, depth = 1;
    i += 2;
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
    return SIZE_MAX;
}

/* 1 if only blanks precede byte i on its line. */
static int sp_line_start(const sp *s, size_t i)
{
    while (i > 0 && (s->t[i - 1] == ' ' || s->t[i - 1] == '\t'))
        i--;
    return i == 0 || s->t[i - 1] == '\n';
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
    static const char kw[] = "dbmig:statement";
    size_t kl = sizeof kw - 1;
    if (e - b < kl || memcmp(t + b, kw, kl) != 0)
        return 0;
    b += kl;
    if (b == e || (t[b] != ' ' && t[b] != '\t'))
        return 0;
    while (b < e && (t[b] == ' ' || t[b] == '\t'))
        b++;
    if (e - b == 5 && memcmp(t + b, "begin", 5) == 0)
        return 1;
    if (e - b == 3 && memcmp(t + b, "end", 3) == 0)
        return 2;
    return 0;
}

/* The begin marker's line starts at ls; reads up to the end marker. */
static int sp_hatch(sp *s, size_t ls, size_t *next)
{
    int rc = sp_emit(s, ls);
    if (rc)
        return rc;
    size_t p = sp_eol(s, ls);
    p = p < s->n ? p + 1 : s->n;
    size_t body = p;
    while (p < s->n) {
        size_t le = sp_eol(s, p);
        if (sp_marker(s, p, le) == 2) {
            rc = sp_push(s, body, p);
            if (rc)
                return rc;
            *next = le < s->n ? le + 1 : s->n;
            return 0;
        }
        p = le < s->n ? le + 1 : s->n;
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
    size_t le = sp_eol(s, i);
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
    s->delim = s->t + b;
    s->dlen = p - b;
    *next = le;
    return 0;
}

static int sp_custom_delim(const sp *s) { return !(s->dlen == 1 && s->delim[0] == ';'); }

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
    int kind = kw == KW_TRIGGER ||
               (s->dia == DBMIG_DIALECT_MYSQL &&
                (kw == KW_PROCEDURE || kw == KW_FUNCTION || kw == KW_EVENT));
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
        else if (s->dia == DBMIG_DIALECT_POSTGRES && s->is_create)
            s->pend_begin = 1;
    }
    s->widx++;
}

static int sp_run(sp *s)
{
    const char *t = s->t;
    size_t n = s->n, i = 0;
    int dia = s->dia;
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        unsigned char c1 = i + 1 < n ? (unsigned char)t[i + 1] : 0;
        if (sp_space(c)) {
            i++;
            continue;
        }
        if (c == '-' && c1 == '-' && sp_line_start(s, i)) {
            size_t ls = i;
            while (ls > 0 && t[ls - 1] != '\n')
                ls--;
            int m = sp_marker(s, ls, sp_eol(s, i));
            if (m == 1) {
                int rc = sp_hatch(s, ls, &i);
                if (rc)
                    return rc;
                continue;
            }
            if (m == 2)
                return dm_err_set(s->err, DBMIG_EINVALID,
                                  "%s:%d: -- dbmig:statement end without a matching "
                                  "-- dbmig:statement begin; add the begin line before the "
                                  "statement or remove this one",
                                  s->file, sp_line(s, i));
        }
        /* comments */
        if (c == '-' && c1 == '-' &&
            (dia != DBMIG_DIALECT_MYSQL || i + 2 >= n || (unsigned char)t[i + 2] <= ' ')) {
            i = sp_eol(s, i);
            continue;
        }
        if (c == '#' && dia == DBMIG_DIALECT_MYSQL) {
            i = sp_eol(s, i);
            continue;
        }
        if (c == '/' && c1 == '*') {
            if (dia == DBMIG_DIALECT_MYSQL && i + 2 < n &&
                (t[i + 2] == '!' || (t[i + 2] == 'M' && i + 3 < n && t[i + 3] == '!'))) {
                sp_mark(s, i); /* executable comment: part of the statement */
                sp_nonword(s);
            }
            size_t e = sp_skip_block(s, i, dia == DBMIG_DIALECT_POSTGRES);
            if (e == SIZE_MAX)
                return sp_unterminated(s, i, "block comment (/* ... */)");
            i = e;
            continue;
        }
        /* a custom delimiter counts outside comments and quotes only */
        int custom = sp_custom_delim(s);
        if (custom && n - i >= s->dlen && memcmp(t + i, s->delim, s->dlen) == 0) {
            sp_nonword(s);
            int rc = sp_emit(s, i);
            if (rc)
                return rc;
            i += s->dlen;
            continue;
        }
        if (c == ';' && !custom) {
            sp_nonword(s);
            if (s->bdepth == 0 && s->paren == 0) {
                int rc = sp_emit(s, i);
                if (rc)
                    return rc;
            }
            i++;
            continue;
        }
        int first = !s->has_tok;
        sp_mark(s, i);
        /* quoted tokens */
        size_t e = 0;
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
            size_t j = i + 1;
            if (j < n && sp_tag_start((unsigned char)t[j])) {
                j++;
                while (j < n && sp_word_start((unsigned char)t[j]))
                    j++;
            }
            if (j < n && t[j] == '$') {
                size_t tl = j + 1 - i;
                const char *close = memmem(t + j + 1, n - (j + 1), t + i, tl);
                if (!close)
                    return sp_unterminated(s, i, "dollar-quoted body ($tag$ ... $tag$)");
                e = (size_t)(close - t) + tl;
                what = "";
            }
        }
        if (what) {
            if (e == SIZE_MAX)
                return sp_unterminated(s, i, what);
            sp_nonword(s);
            i = e;
            continue;
        }
        /* words */
        if (sp_word_start(c)) {
            size_t j = i + 1;
            while (j < n && sp_word_char((unsigned char)t[j])) {
                /* `END$$` with DELIMITER $$: the delimiter ends the word */
                if (custom && t[j] == s->delim[0] && n - j >= s->dlen &&
                    memcmp(t + j, s->delim, s->dlen) == 0)
                    break;
                j++;
            }
            size_t wl = j - i;
            if (dia == DBMIG_DIALECT_POSTGRES && wl == 1 && (c == 'E' || c == 'e') && j < n &&
                t[j] == '\'') {
                e = sp_skip_quoted(s, j, '\'', 1, 1);
                if (e == SIZE_MAX)
                    return sp_unterminated(s, i, "escape string (E'...')");
                sp_nonword(s);
                i = e;
                continue;
            }
            if (first && dia == DBMIG_DIALECT_MYSQL && sp_kw(t + i, wl) == KW_DELIMITER &&
                (j >= n || t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r')) {
                int rc = sp_delimiter(s, i, wl, &i);
                if (rc)
                    return rc;
                sp_reset_stmt(s);
                continue;
            }
            sp_word(s, t + i, wl, i > 0 && t[i - 1] == '.');
            i = j;
            continue;
        }
        /* anything else: operators, punctuation, parameters */
        sp_nonword(s);
        if (s->cre == CRE_PREFIX || s->cre == CRE_DEFINER) {
            if (c == '(')
                s->cre = CRE_NO;
        }
        if (dia == DBMIG_DIALECT_POSTGRES) {
            if (c == '(')
                s->paren++;
            else if (c == ')' && s->paren)
                s->paren--;
        }
        i++;
    }
    sp_nonword(s);
    return sp_emit(s, n);
}

int dm_split(const char *text, size_t len, int dialect, int first_line, const char *file,
             dm_stmt_list *out, dm_err *err)
{
    sp s;
    memset(&s, 0, sizeof s);
    s.t = text ? text : "";
    s.n = text ? len : 0;
    s.dia = dialect;
    s.file = file ? file : "<input>";
    s.first_line = first_line > 0 ? first_line : 1;
    s.lc_line = s.first_line;
    s.out = out;
    s.err = err;
    s.delim = ";";
    s.dlen = 1;
    sp_reset_stmt(&s);
    size_t before = out->n;
    int rc = sp_run(&s);
    if (rc) {
        /* leave the list as it was */
        for (size_t k = before; k < out->n; k++)
            free(out->v[k].sql);
        out->n = before;
    }
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
