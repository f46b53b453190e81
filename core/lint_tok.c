/* lint_tok.c — the facts of one statement from its tokens (lint.h), for
 * MySQL/MariaDB and SQLite, which have no parser library dbmig could use,
 * and for PostgreSQL when the build has no libpg_query.
 *
 * Why not core/ddl.c's classifier: it recognises four shapes in order to
 * rewrite them, and its lexer has no dollar bodies, E'' strings or MySQL
 * escapes; the rules need every ALTER TABLE action, column definitions and
 * their types. This file reads the statement into a token array once and
 * matches the forms the rules care about; whatever it does not recognise
 * yields no fact (never a guess). */
#define _POSIX_C_SOURCE 200809L
#include "lint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddl.h"

enum { TK_WORD = DM_LT_WORD, TK_QUOTED = DM_LT_QUOTED, TK_STRING = DM_LT_STRING,
       TK_NUM = DM_LT_NUM, TK_PUNCT = DM_LT_PUNCT };

typedef dm_ltok ltok;

typedef struct lx {
    const char *s;
    size_t len;
    int dialect;
    ltok *t;
    size_t n, cap;
} lx;

/* The end of a quoted run starting at i (the opening quote q); doubled
 * quotes and, where the dialect has them, backslash escapes inside. */
static size_t skip_quoted(const lx *x, size_t i, char q, int backslash)
{
    char close = q == '[' ? ']' : q;
    for (i++; i < x->len; i++) {
        if (backslash && x->s[i] == '\\') {
            i++;
            continue;
        }
        if (x->s[i] == close) {
            if (close != ']' && i + 1 < x->len && x->s[i + 1] == close) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return x->len;
}

/* A PostgreSQL $tag$ ... $tag$ body at i, else 0. */
static size_t skip_dollar(const lx *x, size_t i)
{
    size_t j = i + 1;
    while (j < x->len && (isalnum((unsigned char)x->s[j]) || x->s[j] == '_'))
        j++;
    if (j >= x->len || x->s[j] != '$' || (j > i + 1 && isdigit((unsigned char)x->s[i + 1])))
        return 0;
    size_t tl = j + 1 - i;
    for (size_t k = j + 1; k + tl <= x->len; k++)
        if (memcmp(x->s + k, x->s + i, tl) == 0)
            return k + tl;
    return x->len;
}

/* Comments and white space from i: the next token's start. */
static size_t skip_blank(const lx *x, size_t i)
{
    const char *s = x->s;
    while (i < x->len) {
        if (isspace((unsigned char)s[i])) {
            i++;
        } else if ((s[i] == '-' && i + 1 < x->len && s[i + 1] == '-') ||
                   (s[i] == '#' && x->dialect == DBMIG_DIALECT_MYSQL)) {
            while (i < x->len && s[i] != '\n')
                i++;
        } else if (s[i] == '/' && i + 1 < x->len && s[i + 1] == '*') {
            int depth = 0; /* PostgreSQL nests them; a nesting elsewhere is rare */
            do {
                if (s[i] == '/' && i + 1 < x->len && s[i + 1] == '*')
                    depth++, i += 2;
                else if (s[i] == '*' && i + 1 < x->len && s[i + 1] == '/')
                    depth--, i += 2;
                else
                    i++;
            } while (depth > 0 && i < x->len);
        } else {
            break;
        }
    }
    return i;
}

/* Copies s, cut to cap - 1 bytes (snprintf, not strncpy: GCC's
 * -Wstringop-truncation flags the latter in Release builds). */
static void cpy(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s); }

static int is_wordc(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* The end of the token starting at i, and its type. */
static size_t scan_one(const lx *x, size_t i, int *type)
{
    const char *s = x->s;
    char c = s[i];
    int my = x->dialect == DBMIG_DIALECT_MYSQL, pg = x->dialect == DBMIG_DIALECT_POSTGRES;
    if (c == '\'') {
        *type = TK_STRING;
        return skip_quoted(x, i, c, my);
    }
    if (pg && (c == 'E' || c == 'e') && i + 1 < x->len && s[i + 1] == '\'') {
        *type = TK_STRING;
        return skip_quoted(x, i + 1, '\'', 1);
    }
    if (c == '"' || c == '`' || (c == '[' && x->dialect == DBMIG_DIALECT_SQLITE)) {
        *type = my && c == '"' ? TK_STRING : TK_QUOTED;
        return skip_quoted(x, i, c, my);
    }
    if (pg && c == '$') {
        size_t e = skip_dollar(x, i);
        if (e) {
            *type = TK_STRING;
            return e;
        }
    }
    if (isdigit((unsigned char)c)) {
        *type = TK_NUM;
        while (i < x->len && (isalnum((unsigned char)s[i]) || s[i] == '.'))
            i++;
        return i;
    }
    if (is_wordc((unsigned char)c)) {
        *type = TK_WORD;
        while (i < x->len && is_wordc((unsigned char)s[i]))
            i++;
        return i;
    }
    *type = TK_PUNCT;
    return i + 1;
}

static int tokenize(lx *x)
{
    size_t i = skip_blank(x, 0);
    while (i < x->len) {
        if (x->n == x->cap) {
            size_t nc = x->cap ? x->cap * 2 : 64;
            ltok *nt = realloc(x->t, nc * sizeof *nt);
            if (!nt)
                return -1;
            x->t = nt;
            x->cap = nc;
        }
        ltok *t = &x->t[x->n++];
        t->start = i;
        t->end = scan_one(x, i, &t->type);
        i = skip_blank(x, t->end);
    }
    return 0;
}

/* ---- matching ---------------------------------------------------------------- */

static int kw(const lx *x, size_t i, const char *w)
{
    if (i >= x->n || x->t[i].type != TK_WORD)
        return 0;
    size_t n = strlen(w);
    return x->t[i].end - x->t[i].start == n && strncasecmp(x->s + x->t[i].start, w, n) == 0;
}

static int punct(const lx *x, size_t i, char c)
{
    return i < x->n && x->t[i].type == TK_PUNCT && x->s[x->t[i].start] == c;
}

/* Consumes the keywords (a space-separated list) at *i when all match. */
static int accept(const lx *x, size_t *i, const char *words)
{
    size_t k = *i;
    const char *w = words;
    while (*w) {
        char one[32];
        size_t n = strcspn(w, " ");
        if (n >= sizeof one)
            return 0;
        memcpy(one, w, n);
        one[n] = '\0';
        if (!kw(x, k, one))
            return 0;
        k++;
        w += n;
        while (*w == ' ')
            w++;
    }
    *i = k;
    return 1;
}

/* Copies token i's unquoted text, lower-cased when it was not quoted. */
static void tok_name(const lx *x, size_t i, char *out, size_t cap)
{
    out[0] = '\0';
    if (i >= x->n)
        return;
    const ltok *t = &x->t[i];
    const char *s = x->s + t->start;
    size_t n = t->end - t->start, o = 0;
    int quoted = t->type == TK_QUOTED || (t->type == TK_STRING && n >= 2);
    if (quoted) {
        s++;
        n = n >= 2 ? n - 2 : 0;
    }
    for (size_t k = 0; k < n && o + 1 < cap; k++)
        out[o++] = quoted ? s[k] : (char)tolower((unsigned char)s[k]);
    out[o] = '\0';
}

/* A possibly qualified name at *i: the last part into out; 0 when none. */
static int read_name(const lx *x, size_t *i, char *out, size_t cap)
{
    size_t k = *i;
    if (k >= x->n || (x->t[k].type != TK_WORD && x->t[k].type != TK_QUOTED))
        return 0;
    tok_name(x, k, out, cap);
    while (punct(x, k + 1, '.') && k + 2 < x->n &&
           (x->t[k + 2].type == TK_WORD || x->t[k + 2].type == TK_QUOTED)) {
        k += 2;
        tok_name(x, k, out, cap);
    }
    *i = k + 1;
    return 1;
}

/* The index of the matching ')' for the '(' at i (or x->n). */
static size_t close_paren(const lx *x, size_t i)
{
    int depth = 0;
    for (; i < x->n; i++) {
        if (punct(x, i, '('))
            depth++;
        else if (punct(x, i, ')') && --depth == 0)
            return i;
    }
    return x->n;
}

/* The end of the comma-separated item starting at i (stops at a top-level
 * ',' or ')' or the end, or `stop`). */
static size_t item_end(const lx *x, size_t i, size_t stop)
{
    for (; i < stop; i++) {
        if (punct(x, i, '('))
            i = close_paren(x, i);
        else if (punct(x, i, ',') || punct(x, i, ')') || punct(x, i, ';'))
            return i;
    }
    return stop;
}

static dm_lact *add(dm_lfacts *f, const lx *x, dm_lact_kind k, size_t tok, const char *table)
{
    dm_lact *a = dm_lfacts_add(f, k, tok < x->n ? x->t[tok].start : 0);
    if (a && table)
        cpy(a->table, sizeof a->table, table);
    return a;
}

/* ---- column definitions ------------------------------------------------------- */

/* Lower-cased words of the type at *i (up to '(' or a constraint word) into
 * ty, its first number in parentheses in *len; *i moves past it all. */
static void read_type(const lx *x, size_t *i, size_t stop, char *ty, size_t cap, int *len)
{
    static const char *const ends[] = {"not", "null", "default", "primary", "unique", "references",
                                       "check", "constraint", "generated", "collate", "auto_increment",
                                       "comment", "as", "first", "after", "using", "identity",
                                       "character", "charset", "on", "unsigned", "signed", "zerofill", NULL};
    size_t k = *i, o = 0;
    *len = -1;
    ty[0] = '\0';
    for (; k < stop && x->t[k].type == TK_WORD; k++) {
        int end = 0;
        for (size_t e = 0; ends[e] && !end; e++)
            end = kw(x, k, ends[e]);
        /* "character varying" and "character(10)" are types, not CHARACTER SET */
        if (end && !(o == 0 && kw(x, k, "character")))
            break;
        size_t n = x->t[k].end - x->t[k].start;
        if (o + n + 2 >= cap)
            break;
        if (o)
            ty[o++] = ' ';
        for (size_t c = 0; c < n; c++)
            ty[o++] = (char)tolower((unsigned char)x->s[x->t[k].start + c]);
        ty[o] = '\0';
        if (punct(x, k + 1, '(')) {
            size_t cl = close_paren(x, k + 1);
            if (k + 2 < x->n && x->t[k + 2].type == TK_NUM)
                *len = (int)strtol(x->s + x->t[k + 2].start, NULL, 10);
            k = cl;
            /* timestamp(3) with time zone: the words after the parentheses */
            if (!kw(x, k + 1, "with") && !kw(x, k + 1, "without") && !kw(x, k + 1, "varying")) {
                k++;
                break;
            }
        }
    }
    *i = k;
}

/* The type's canonical name, as libpg_query writes them (int4, varchar,
 * bpchar, timestamptz, ...); serial types set *serial. */
static void canon_type(char *ty, size_t cap, unsigned *flags, int dialect)
{
    if (dialect == DBMIG_DIALECT_MYSQL && strcmp(ty, "serial") == 0) {
        cpy(ty, cap, "int8"); /* MySQL: BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE */
        return;
    }
    static const char *const map[][2] = {
        {"integer", "int4"}, {"int", "int4"}, {"int4", "int4"}, {"mediumint", "int4"},
        {"smallint", "int2"}, {"int2", "int2"}, {"tinyint", "int1"},
        {"bigint", "int8"}, {"int8", "int8"},
        {"serial", "int4"}, {"serial4", "int4"}, {"smallserial", "int2"}, {"serial2", "int2"},
        {"bigserial", "int8"}, {"serial8", "int8"},
        {"character varying", "varchar"}, {"varchar", "varchar"}, {"char varying", "varchar"},
        {"character", "bpchar"}, {"char", "bpchar"}, {"bpchar", "bpchar"}, {"nchar", "bpchar"},
        {"timestamp", "timestamp"}, {"timestamp without time zone", "timestamp"},
        {"timestamp with time zone", "timestamptz"}, {"timestamptz", "timestamptz"},
        {"double precision", "float8"}, {"real", "float4"}, {"boolean", "bool"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(ty, map[i][0]) == 0) {
            if (strstr(ty, "serial"))
                *flags |= LF_SERIAL;
            cpy(ty, cap, map[i][1]);
            ty[cap - 1] = '\0';
            return;
        }
    }
}

/* A function call that may return a different value per row (a default
 * that PostgreSQL 11+ cannot store once in the catalog). */
static int volatile_call(const char *fn)
{
    static const char *const stable[] = {"now", "current_timestamp", "current_date",
                                         "statement_timestamp", "transaction_timestamp",
                                         "localtimestamp", "current_user", "lower", "upper",
                                         "coalesce", "array", "jsonb_build_object",
                                         "json_build_object", "make_interval", "to_timestamp",
                                         "interval", "cast", NULL};
    for (size_t i = 0; stable[i]; i++)
        if (strcasecmp(fn, stable[i]) == 0)
            return 0;
    return 1;
}

/* An identity column: GENERATED ALWAYS AS IDENTITY, GENERATED BY DEFAULT
 * [AS IDENTITY], AUTO_INCREMENT (MySQL), AUTOINCREMENT (SQLite), IDENTITY. */
static int identity_at(const lx *x, size_t i)
{
    if (kw(x, i, "generated"))
        return (kw(x, i + 1, "always") && kw(x, i + 2, "as") && kw(x, i + 3, "identity")) ||
               kw(x, i + 1, "by");
    return kw(x, i, "auto_increment") || kw(x, i, "autoincrement") || kw(x, i, "identity");
}

/* Constraints of a column definition from *i to stop: flags. */
static unsigned col_constraints(const lx *x, size_t i, size_t stop)
{
    unsigned f = 0;
    int my = x->dialect == DBMIG_DIALECT_MYSQL;
    for (; i < stop; i++) {
        if (punct(x, i, '(')) {
            i = close_paren(x, i);
        } else if (my && (kw(x, i, "first") || (kw(x, i, "after") && i + 1 < stop))) {
            f |= LF_POSITIONED; /* MySQL: where the column goes */
        } else if ((my || x->dialect == DBMIG_DIALECT_SQLITE) && kw(x, i, "stored")) {
            f |= LF_STORED; /* MySQL, SQLite: a generated column is VIRTUAL unless STORED */
        } else if (kw(x, i, "not") && kw(x, i + 1, "null")) {
            f |= LF_NOT_NULL;
            i++;
        } else if (kw(x, i, "default")) {
            f |= LF_HAS_DEFAULT;
            /* DEFAULT NULL is no default at all */
            if (kw(x, i + 1, "null"))
                f &= ~(unsigned)LF_HAS_DEFAULT;
            else if (kw(x, i + 1, "current_timestamp") || kw(x, i + 1, "current_time") ||
                     kw(x, i + 1, "current_date"))
                f |= LF_TIME_DEFAULT;
            else if (i + 2 < stop && x->t[i + 1].type == TK_WORD && punct(x, i + 2, '(')) {
                char fn[64];
                tok_name(x, i + 1, fn, sizeof fn);
                if (volatile_call(fn))
                    f |= LF_VOLATILE_DEFAULT;
            } else if (punct(x, i + 1, '(')) {
                f |= LF_VOLATILE_DEFAULT; /* an expression: not a constant */
            }
        } else if (kw(x, i, "primary") && kw(x, i + 1, "key")) {
            f |= LF_PK;
        } else if (kw(x, i, "unique")) {
            f |= LF_UNIQUE;
        } else if (kw(x, i, "references")) {
            f |= LF_FK;
        } else if (identity_at(x, i)) {
            f |= LF_IDENTITY;
            if (kw(x, i, "generated") && kw(x, i + 1, "by"))
                i += 2; /* BY DEFAULT AS IDENTITY: that DEFAULT is no default value */
        } else if ((kw(x, i, "generated") || kw(x, i, "as")) && i + 1 < stop) {
            size_t k = i + 1;
            while (k < stop && !punct(x, k, '('))
                k++;
            if (k < stop) {
                f |= LF_GENERATED;
                i = close_paren(x, k);
            }
        }
    }
    return f;
}

/* `name type constraints...` from i to stop: a COLUMN_TYPE fact (and,
 * with add non-NULL, fills *add's name, type and flags). */
static int column_def(const lx *x, size_t i, size_t stop, const char *table, dm_lfacts *f,
                      dm_lact *addc)
{
    char col[128];
    if (i >= stop || (x->t[i].type != TK_WORD && x->t[i].type != TK_QUOTED))
        return 0;
    size_t at = i;
    tok_name(x, i++, col, sizeof col);
    char ty[64];
    int tl;
    read_type(x, &i, stop, ty, sizeof ty, &tl);
    unsigned fl = col_constraints(x, i, stop);
    canon_type(ty, sizeof ty, &fl, x->dialect);
    if (addc) {
        cpy(addc->name, sizeof addc->name, col);
        cpy(addc->type, sizeof addc->type, ty);
        addc->type_len = tl;
        addc->flags |= fl;
    }
    dm_lact *a = add(f, x, LA_COLUMN_TYPE, at, table);
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, col);
    cpy(a->type, sizeof a->type, ty);
    a->type_len = tl;
    a->flags = fl;
    return 0;
}

/* ---- statements -------------------------------------------------------------- */

static int is_table_constraint(const lx *x, size_t i)
{
    static const char *const w[] = {"constraint", "primary", "unique", "foreign", "check", "index",
                                    "key", "exclude", "fulltext", "spatial", "like", "period", NULL};
    for (size_t k = 0; w[k]; k++)
        if (kw(x, i, w[k]))
            return 1;
    return 0;
}

static int create_table(const lx *x, size_t i, dm_lfacts *f)
{
    unsigned fl = 0;
    while (kw(x, i, "temp") || kw(x, i, "temporary") || kw(x, i, "unlogged") || kw(x, i, "global") ||
           kw(x, i, "local")) {
        if (!kw(x, i, "unlogged") && !kw(x, i, "global") && !kw(x, i, "local"))
            fl |= LF_TEMP;
        i++;
    }
    if (!accept(x, &i, "table"))
        return 0;
    if (accept(x, &i, "if not exists"))
        fl |= LF_IF_EXISTS;
    char tbl[128];
    size_t at = i;
    if (!read_name(x, &i, tbl, sizeof tbl))
        return 0;
    dm_lact *a = add(f, x, LA_CREATE_TABLE, at, tbl);
    if (!a)
        return -1;
    a->flags = fl;
    cpy(a->name, sizeof a->name, tbl);
    if (!punct(x, i, '('))
        return 0; /* CREATE TABLE ... AS, LIKE, PARTITION OF: no columns to read */
    size_t close = close_paren(x, i);
    for (size_t k = close + 1; k < x->n; k++)
        if (kw(x, k, "strict"))
            a->flags |= LF_STRICT;
    for (size_t k = i + 1; k < close;) {
        size_t e = item_end(x, k, close);
        if (!is_table_constraint(x, k) && column_def(x, k, e, tbl, f, NULL) < 0)
            return -1;
        k = e + 1;
    }
    return 0;
}

static int create_index(const lx *x, size_t i, dm_lfacts *f, unsigned fl)
{
    if (accept(x, &i, "concurrently"))
        fl |= LF_CONCURRENTLY;
    if (accept(x, &i, "if not exists"))
        fl |= LF_IF_EXISTS;
    char name[128] = "", tbl[128] = "";
    size_t at = i;
    if (!kw(x, i, "on"))
        read_name(x, &i, name, sizeof name);
    if (!accept(x, &i, "on"))
        return 0;
    accept(x, &i, "only");
    if (!read_name(x, &i, tbl, sizeof tbl))
        return 0;
    dm_lact *a = add(f, x, LA_CREATE_INDEX, at, tbl);
    if (!a)
        return -1;
    a->flags = fl;
    cpy(a->name, sizeof a->name, name);
    return 0;
}

/* DROP VIEW / MATERIALIZED VIEW / SEQUENCE / TYPE / DOMAIN / SCHEMA /
 * EXTENSION / FUNCTION name: LA_DROP_OTHER (a view or sequence is a
 * relation queries lock; with CASCADE, so are the tables whose columns,
 * triggers or defaults depend on the object). */
static int drop_other(const lx *x, size_t i, dm_lfacts *f)
{
    static const char *const kinds[][2] = {
        {"view", "1"}, {"materialized view", "1"}, {"sequence", "1"}, {"type", "0"},
        {"domain", "0"}, {"schema", "0"}, {"extension", "0"}, {"function", "0"}};
    int cascade = 0;
    for (size_t k = i; k < x->n; k++)
        cascade |= kw(x, k, "cascade");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!accept(x, &i, kinds[k][0]))
            continue;
        unsigned fl = (accept(x, &i, "if exists") ? LF_IF_EXISTS : 0) |
                      (kinds[k][1][0] == '1' || cascade ? LF_LOCK : 0) | (cascade ? LF_CASCADE : 0);
        char name[128];
        size_t at = i;
        if (!read_name(x, &i, name, sizeof name))
            return 0;
        dm_lact *a = add(f, x, LA_DROP_OTHER, at, name);
        if (!a)
            return -1;
        a->flags = fl;
        cpy(a->name, sizeof a->name, kinds[k][0]);
        return 0;
    }
    return 0;
}

/* DROP TABLE / INDEX / DATABASE. */
static int drop(const lx *x, size_t i, dm_lfacts *f)
{
    int table = kw(x, i, "table"), index = kw(x, i, "index");
    int db = kw(x, i, "database") || (x->dialect == DBMIG_DIALECT_MYSQL && kw(x, i, "schema"));
    if (!table && !index && !db)
        return x->dialect == DBMIG_DIALECT_POSTGRES ? drop_other(x, i, f) : 0;
    i++;
    unsigned fl = 0;
    if (index && accept(x, &i, "concurrently"))
        fl |= LF_CONCURRENTLY;
    if (accept(x, &i, "if exists"))
        fl |= LF_IF_EXISTS;
    for (size_t k = i; k < x->n; k++)
        if (kw(x, k, "cascade"))
            fl |= LF_CASCADE;
    for (;;) {
        char name[128];
        size_t at = i;
        if (!read_name(x, &i, name, sizeof name))
            return 0;
        dm_lact *a = add(f, x, table ? LA_DROP_TABLE : index ? LA_DROP_INDEX : LA_DROP_DATABASE,
                         at, table ? name : NULL);
        if (!a)
            return -1;
        a->flags = fl;
        cpy(a->name, sizeof a->name, name);
        if (!punct(x, i, ','))
            return 0;
        i++;
    }
}

static int truncate_stmt(const lx *x, size_t i, dm_lfacts *f)
{
    accept(x, &i, "table");
    accept(x, &i, "only");
    char tbl[128];
    size_t at = i;
    if (!read_name(x, &i, tbl, sizeof tbl))
        return 0;
    dm_lact *a = add(f, x, LA_TRUNCATE, at, tbl);
    if (!a)
        return -1;
    for (size_t k = i; k < x->n; k++)
        if (kw(x, k, "cascade"))
            a->flags |= LF_CASCADE;
    return 0;
}

/* ADD [CONSTRAINT c] FOREIGN KEY / CHECK / UNIQUE / PRIMARY KEY ... */
static int add_constraint(const lx *x, size_t i, size_t e, const char *tbl, dm_lfacts *f)
{
    char name[128] = "";
    size_t at = i;
    if (accept(x, &i, "constraint") && !kw(x, i, "foreign") && !kw(x, i, "check") &&
        !kw(x, i, "unique") && !kw(x, i, "primary"))
        tok_name(x, i++, name, sizeof name);
    unsigned fl = kw(x, i, "foreign") ? LF_FK : kw(x, i, "check") ? LF_CHECK
                  : kw(x, i, "unique") ? LF_UNIQUE : kw(x, i, "primary") ? LF_PK : 0;
    if (!fl)
        return 1; /* ADD INDEX / KEY / FULLTEXT (MySQL) and the like */
    for (size_t k = i; k < e; k++) {
        if (kw(x, k, "not") && kw(x, k + 1, "valid"))
            fl |= LF_NOT_VALID;
        if (kw(x, k, "using") && kw(x, k + 1, "index"))
            fl |= LF_USING_INDEX;
    }
    dm_lact *a = add(f, x, LA_ADD_CONSTRAINT, at, tbl);
    if (!a)
        return -1;
    a->flags = fl;
    cpy(a->name, sizeof a->name, name);
    return 0;
}

static int alter_add(const lx *x, size_t i, size_t e, const char *tbl, dm_lfacts *f)
{
    if (!kw(x, i, "column") && is_table_constraint(x, i)) {
        int rc = add_constraint(x, i, e, tbl, f);
        if (rc <= 0)
            return rc;
        dm_lact *o = add(f, x, LA_ALTER_OTHER, i, tbl);
        if (!o)
            return -1;
        snprintf(o->name, sizeof o->name, "add %s",
                 kw(x, i, "constraint")  ? "constraint"
                 : kw(x, i, "fulltext") ? "fulltext"
                 : kw(x, i, "spatial")  ? "spatial"
                                        : "index");
        return 0;
    }
    accept(x, &i, "column");
    size_t at = i;
    unsigned fl = accept(x, &i, "if not exists") ? LF_IF_EXISTS : 0;
    dm_lact a0;
    memset(&a0, 0, sizeof a0);
    if (column_def(x, i, e, tbl, f, &a0) < 0)
        return -1;
    if (!a0.name[0])
        return 0;
    dm_lact *a = add(f, x, LA_ADD_COLUMN, at, tbl);
    if (!a)
        return -1;
    size_t off = a->off;
    *a = a0;
    a->kind = LA_ADD_COLUMN;
    a->off = off;
    a->flags |= fl;
    cpy(a->table, sizeof a->table, tbl);
    return 0;
}

static int alter_drop(const lx *x, size_t i, size_t e, const char *tbl, dm_lfacts *f)
{
    (void)e;
    static const char *const other[] = {"constraint", "index", "key", "primary", "foreign",
                                        "check", "default", "partition", NULL};
    for (size_t k = 0; other[k]; k++) {
        if (!kw(x, i, other[k]))
            continue;
        dm_lact *o;
        if (k == 0 && x->dialect == DBMIG_DIALECT_POSTGRES) {
            size_t at = ++i; /* DROP CONSTRAINT [IF EXISTS] name, as the parser reads it */
            unsigned fl = accept(x, &i, "if exists") ? LF_IF_EXISTS : 0;
            if (!(o = add(f, x, LA_DROP_CONSTRAINT, at, tbl)))
                return -1;
            o->flags = fl;
            tok_name(x, i, o->name, sizeof o->name);
            return 0;
        }
        if (!(o = add(f, x, LA_ALTER_OTHER, i, tbl)))
            return -1;
        snprintf(o->name, sizeof o->name, "drop %s", other[k]);
        return 0;
    }
    accept(x, &i, "column");
    unsigned fl = accept(x, &i, "if exists") ? LF_IF_EXISTS : 0;
    char col[128];
    size_t at = i;
    if (!read_name(x, &i, col, sizeof col))
        return 0;
    dm_lact *a = add(f, x, LA_DROP_COLUMN, at, tbl);
    if (!a)
        return -1;
    a->flags = fl;
    cpy(a->name, sizeof a->name, col);
    return 0;
}

/* ALTER [COLUMN] c TYPE t / SET DATA TYPE t / SET NOT NULL / ... */
static int alter_column(const lx *x, size_t i, size_t e, const char *tbl, dm_lfacts *f)
{
    accept(x, &i, "column");
    char col[128];
    size_t at = i;
    if (!read_name(x, &i, col, sizeof col))
        return 0;
    dm_lact *a;
    if (accept(x, &i, "type") || accept(x, &i, "set data type")) {
        if (!(a = add(f, x, LA_ALTER_TYPE, at, tbl)))
            return -1;
        cpy(a->name, sizeof a->name, col);
        dm_lact *t = add(f, x, LA_COLUMN_TYPE, i, tbl);
        if (!t)
            return -1;
        cpy(t->name, sizeof t->name, col);
        read_type(x, &i, e, t->type, sizeof t->type, &t->type_len);
        canon_type(t->type, sizeof t->type, &t->flags, x->dialect);
        return 0;
    }
    if (accept(x, &i, "set not null") || accept(x, &i, "drop not null")) {
        if (!(a = add(f, x, kw(x, i - 3, "set") ? LA_SET_NOT_NULL : LA_DROP_NOT_NULL, at, tbl)))
            return -1;
        cpy(a->name, sizeof a->name, col);
        return 0;
    }
    if (!(a = add(f, x, LA_ALTER_OTHER, at, tbl)))
        return -1;
    snprintf(a->name, sizeof a->name, "alter column %.100s", col);
    return 0;
}

/* MySQL MODIFY [COLUMN] c def / CHANGE [COLUMN] old new def. */
static int alter_modify(const lx *x, size_t i, size_t e, const char *tbl, dm_lfacts *f, int change)
{
    accept(x, &i, "column");
    size_t at = i;
    if (change) {
        char old[128] = "";
        if (!read_name(x, &i, old, sizeof old))
            return 0;
        char nw[128];
        tok_name(x, i, nw, sizeof nw);
        if (strcasecmp(old, nw) != 0) {
            dm_lact *r = add(f, x, LA_RENAME_COLUMN, at, tbl);
            if (!r)
                return -1;
            cpy(r->name, sizeof r->name, old);
        }
    }
    dm_lact a0;
    memset(&a0, 0, sizeof a0);
    if (column_def(x, i, e, tbl, f, &a0) < 0)
        return -1;
    dm_lact *a = add(f, x, LA_ALTER_TYPE, at, tbl);
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, a0.name);
    cpy(a->type, sizeof a->type, a0.type);
    a->flags = a0.flags & (LF_POSITIONED | LF_STORED);
    for (size_t k = i; k < e; k++) {
        if ((kw(x, k, "character") && kw(x, k + 1, "set")) || kw(x, k, "charset") ||
            kw(x, k, "collate")) {
            dm_lact *c = add(f, x, LA_COLUMN_CHARSET, k, tbl);
            if (!c)
                return -1;
            cpy(c->name, sizeof c->name, a0.name);
            break;
        }
    }
    return 0;
}

static int alter_rename(const lx *x, size_t i, const char *tbl, dm_lfacts *f)
{
    size_t at = i;
    if (accept(x, &i, "to") || accept(x, &i, "as")) {
        dm_lact *a = add(f, x, LA_RENAME_TABLE, at, tbl);
        if (!a)
            return -1;
        tok_name(x, i, a->name, sizeof a->name);
        return 0;
    }
    if (kw(x, i, "constraint") || kw(x, i, "index") || kw(x, i, "key")) {
        dm_lact *a = add(f, x, LA_ALTER_OTHER, at, tbl);
        if (!a)
            return -1;
        snprintf(a->name, sizeof a->name, "rename %s", kw(x, i, "constraint") ? "constraint" : "index");
        return 0;
    }
    accept(x, &i, "column");
    char col[128];
    if (!read_name(x, &i, col, sizeof col) || !kw(x, i, "to"))
        return 0;
    dm_lact *a = add(f, x, LA_RENAME_COLUMN, at, tbl);
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, col);
    return 0;
}

/* One action of ALTER TABLE, tokens [i, e). */
static int alter_action(const lx *x, size_t i, size_t e, const char *tbl, dm_lfacts *f)
{
    if (accept(x, &i, "add"))
        return alter_add(x, i, e, tbl, f);
    if (accept(x, &i, "drop"))
        return alter_drop(x, i, e, tbl, f);
    if (accept(x, &i, "alter"))
        return alter_column(x, i, e, tbl, f);
    if (accept(x, &i, "rename"))
        return alter_rename(x, i, tbl, f);
    if (accept(x, &i, "modify"))
        return alter_modify(x, i, e, tbl, f, 0);
    if (accept(x, &i, "change"))
        return alter_modify(x, i, e, tbl, f, 1);
    dm_lact *a;
    if (kw(x, i, "validate") && kw(x, i + 1, "constraint")) {
        if (!(a = add(f, x, LA_VALIDATE_CONSTRAINT, i, tbl)))
            return -1;
        tok_name(x, i + 2, a->name, sizeof a->name);
        return 0;
    }
    if (kw(x, i, "algorithm") || kw(x, i, "lock")) {
        if (!(a = add(f, x, LA_ALGORITHM, i, tbl)))
            return -1;
        size_t v = punct(x, i + 1, '=') ? i + 2 : i + 1;
        snprintf(a->name, sizeof a->name, "%s=", kw(x, i, "lock") ? "lock" : "algorithm");
        tok_name(x, v, a->name + strlen(a->name), sizeof a->name - strlen(a->name));
        return 0;
    }
    if (kw(x, i, "convert") && kw(x, i + 1, "to"))
        return add(f, x, LA_CONVERT_CHARSET, i, tbl) ? 0 : -1;
    if (!(a = add(f, x, LA_ALTER_OTHER, i, tbl)))
        return -1;
    tok_name(x, i, a->name, sizeof a->name);
    if (kw(x, i, "engine")) /* ENGINE [=] name: which one decides whether it copies */
        tok_name(x, punct(x, i + 1, '=') ? i + 2 : i + 1, a->type, sizeof a->type);
    return 0;
}

static int alter_table(const lx *x, size_t i, dm_lfacts *f)
{
    if (!accept(x, &i, "table"))
        return 0;
    accept(x, &i, "if exists");
    accept(x, &i, "only");
    char tbl[128];
    if (!read_name(x, &i, tbl, sizeof tbl))
        return 0;
    while (i < x->n) {
        size_t e = item_end(x, i, x->n);
        if (alter_action(x, i, e, tbl, f) < 0)
            return -1;
        if (!punct(x, e, ','))
            break;
        i = e + 1;
    }
    return 0;
}

/* MySQL RENAME TABLE a TO b [, c TO d]. */
static int rename_table(const lx *x, size_t i, dm_lfacts *f)
{
    if (!accept(x, &i, "table"))
        return 0;
    char tbl[128];
    size_t at = i;
    if (!read_name(x, &i, tbl, sizeof tbl))
        return 0;
    dm_lact *a = add(f, x, LA_RENAME_TABLE, at, tbl);
    return a ? 0 : -1;
}

/* SET [SESSION | LOCAL | GLOBAL] name {= | TO} value (PostgreSQL, MySQL),
 * and PRAGMA name = value (SQLite). */
static int set_stmt(const lx *x, size_t i, dm_lfacts *f, int pragma)
{
    if (!pragma)
        while (kw(x, i, "session") || kw(x, i, "local") || kw(x, i, "global"))
            i++;
    if (i < x->n && x->t[i].type == TK_PUNCT && x->s[x->t[i].start] == '@')
        i += punct(x, i + 1, '@') ? 2 : 1; /* @@session.lock_wait_timeout */
    if (kw(x, i, "session") && punct(x, i + 1, '.'))
        i += 2;
    char name[128];
    size_t at = i;
    if (!read_name(x, &i, name, sizeof name))
        return 0;
    if (pragma) {
        if (strcmp(name, "foreign_keys") != 0)
            return 0;
        return add(f, x, LA_PRAGMA_FK, at, NULL) ? 0 : -1;
    }
    dm_lact *a = add(f, x, LA_SET, at, NULL);
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, name);
    /* = 0, = '0', TO DEFAULT: no time-out */
    size_t v = punct(x, i, '=') || kw(x, i, "to") ? i + 1 : x->n;
    char val[32];
    tok_name(x, v, val, sizeof val);
    int fkc = strcmp(name, "foreign_key_checks") == 0;
    if ((kw(x, v, "default") && !fkc) ||
        (v < x->n && x->t[v].type != TK_WORD && val[0] == '0' && strtod(val, NULL) == 0.0) ||
        (fkc && (kw(x, v, "off") || kw(x, v, "false"))))
        a->flags |= LF_ZERO;
    /* MySQL: the value, for SET alter_algorithm (MariaDB); the parser path
     * of PostgreSQL has no such field, so only here */
    if (x->dialect == DBMIG_DIALECT_MYSQL)
        for (size_t k = 0; val[k] && k + 1 < sizeof a->type; k++)
            a->type[k] = (char)tolower((unsigned char)val[k]), a->type[k + 1] = '\0';
    return 0;
}

/* MySQL LOCK TABLE[S] t [AS a] {READ | WRITE} [, ...] and FLUSH TABLE[S]
 * [t, ...] WITH READ LOCK: locks held until UNLOCK TABLES. */
static int lock_tables(const lx *x, size_t i, dm_lfacts *f, int flush)
{
    if (!kw(x, i, "tables") && !kw(x, i, "table"))
        return 0;
    size_t at = i++;
    if (flush) {
        size_t k = i;
        while (k < x->n && !kw(x, k, "with"))
            k++;
        if (!(kw(x, k, "with") && kw(x, k + 1, "read") && kw(x, k + 2, "lock")))
            return 0; /* FLUSH TABLES alone: closes tables, holds nothing */
    }
    dm_lact *a = add(f, x, LA_LOCK_TABLES, at, NULL);
    if (!a)
        return -1;
    if (!kw(x, i, "with"))
        read_name(x, &i, a->table, sizeof a->table);
    cpy(a->name, sizeof a->name, flush ? "FLUSH TABLES WITH READ LOCK" : "LOCK TABLES");
    return 0;
}

/* RESET name | ALL (PostgreSQL). */
static int reset_stmt(const lx *x, size_t i, dm_lfacts *f)
{
    dm_lact *a = add(f, x, LA_SET, i, NULL);
    if (!a)
        return -1;
    tok_name(x, i, a->name, sizeof a->name);
    a->flags |= LF_ZERO;
    return 0;
}

/* REINDEX [(CONCURRENTLY)] {INDEX|TABLE|SCHEMA|DATABASE} [CONCURRENTLY] name
 * (PostgreSQL; SYSTEM has no CONCURRENTLY form). */
static int reindex_stmt(const lx *x, size_t i, dm_lfacts *f)
{
    unsigned fl = 0;
    if (punct(x, i, '(')) {
        size_t cl = close_paren(x, i);
        for (size_t k = i; k < cl; k++)
            if (kw(x, k, "concurrently"))
                fl |= LF_CONCURRENTLY;
        i = cl + 1;
    }
    if (kw(x, i, "system")) { /* no CONCURRENTLY form; locks the catalogs' indexes */
        dm_lact *s = add(f, x, LA_LOCK, i, NULL);
        if (!s)
            return -1;
        tok_name(x, i + 1, s->table, sizeof s->table);
        cpy(s->name, sizeof s->name, "REINDEX SYSTEM");
        return 0;
    }
    if (!(kw(x, i, "index") || kw(x, i, "table") || kw(x, i, "schema") || kw(x, i, "database")))
        return 0;
    i++;
    if (accept(x, &i, "concurrently"))
        fl |= LF_CONCURRENTLY;
    char name[128];
    size_t at = i;
    if (!read_name(x, &i, name, sizeof name))
        return 0;
    dm_lact *a = add(f, x, LA_REINDEX, at, name);
    if (!a)
        return -1;
    a->flags = fl;
    return 0;
}

static int facts(const lx *x, dm_lfacts *f)
{
    size_t i = 0;
    if (accept(x, &i, "create")) {
        accept(x, &i, "or replace");
        unsigned fl = accept(x, &i, "unique") ? LF_UNIQUE : 0;
        if (accept(x, &i, "index"))
            return create_index(x, i, f, fl);
        return fl ? 0 : create_table(x, i, f);
    }
    if (accept(x, &i, "drop"))
        return drop(x, i, f);
    if (accept(x, &i, "alter"))
        return alter_table(x, i, f);
    if (accept(x, &i, "truncate"))
        return truncate_stmt(x, i, f);
    if (accept(x, &i, "rename"))
        return rename_table(x, i, f);
    if (accept(x, &i, "set"))
        return set_stmt(x, i, f, 0);
    if (accept(x, &i, "pragma"))
        return set_stmt(x, i, f, 1);
    if (x->dialect == DBMIG_DIALECT_POSTGRES && accept(x, &i, "reset"))
        return reset_stmt(x, i, f);
    if (x->dialect == DBMIG_DIALECT_MYSQL && (kw(x, 0, "lock") || kw(x, 0, "flush")))
        return lock_tables(x, 1, f, kw(x, 0, "flush"));
    if (x->dialect == DBMIG_DIALECT_POSTGRES && accept(x, &i, "reindex"))
        return reindex_stmt(x, i, f);
    return 0;
}

/* PostgreSQL: each REFERENCES t of a CREATE or ALTER TABLE locks t too
 * (SHARE ROW EXCLUSIVE, for the foreign key's triggers). */
static int references(const lx *x, dm_lfacts *f)
{
    if (x->dialect != DBMIG_DIALECT_POSTGRES || !(kw(x, 0, "create") || kw(x, 0, "alter")))
        return 0;
    for (size_t i = 0; i + 1 < x->n; i++) {
        char tbl[128];
        size_t k = i + 1, at = k;
        if (!kw(x, i, "references") || !read_name(x, &k, tbl, sizeof tbl))
            continue;
        dm_lact *a = add(f, x, LA_LOCK, at, tbl);
        if (!a)
            return -1;
        cpy(a->name, sizeof a->name, "a foreign key to it");
    }
    return 0;
}

int dm_lint_tok_facts(const char *sql, size_t len, int dialect, dm_lfacts *out)
{
    lx x = {sql, len, dialect, NULL, 0, 0};
    int rc = tokenize(&x);
    if (rc == 0)
        rc = facts(&x, out);
    if (rc == 0)
        rc = references(&x, out);
    const char *txn = dm_ddl_txn_control(sql, len, dialect);
    if (rc == 0 && txn) {
        dm_lact *a = dm_lfacts_add(out, LA_TXN, 0);
        if (!a)
            rc = -1;
        else
            cpy(a->name, sizeof a->name, txn);
    }
    out->ddl = dm_ddl_is_schema_change(sql, len, dialect);
    out->dml = !out->ddl && dm_ddl_is_dml(sql, len, dialect);
    free(x.t);
    return rc;
}

int dm_lint_tokens(const char *sql, size_t len, int dialect, dm_ltok **out, size_t *n)
{
    lx x = {sql, len, dialect, NULL, 0, 0};
    if (tokenize(&x) != 0) {
        free(x.t);
        return -1;
    }
    *out = x.t;
    *n = x.n;
    return 0;
}
