/* inspect.c — the SQLite driver's inspect() (driver ABI 2.1): the `main`
 * schema as dbmig_schema_object's (driver.h says which fields each kind
 * uses).
 *
 * Why it is built this way:
 *   - Four catalog queries in all, whatever the number of tables: tables
 *     with their columns, indexes with their columns, foreign keys with
 *     their columns, then views and triggers. Each joins sqlite_master with
 *     the table-valued pragmas (pragma_table_xinfo, pragma_index_list,
 *     pragma_index_xinfo, pragma_foreign_key_list), ordered so that the
 *     rows of one object are consecutive and gathered as they come.
 *   - What the pragmas do not tell is read from the stored CREATE text
 *     (sqlite_master.sql) by a tokenizer-level scan, never a full parser:
 *     CHECK constraints (with an optional CONSTRAINT name), generated
 *     expressions, COLLATE, AUTOINCREMENT and DEFERRABLE in a table; an
 *     index's expression columns and its WHERE; a view's query after its
 *     top-level AS. The scan skips quoted names, strings and comments and
 *     counts parentheses, which is all those clauses need.
 *   - Reported as the catalog says it: the declared type as written, the
 *     default as stored, a PK column's nullability as the pragma gives it.
 *     Changed only where a dump (which writes these back) would otherwise
 *     inspect differently: a foreign key that names no parent columns gets
 *     the parent's primary key (what SQLite uses); an expression default
 *     gets back the parentheses the pragma drops; texts end at their last
 *     token (a trailing comment is cut).
 *   - Left out: sqlite_* tables, sqlite_autoindex_* (reported as their
 *     PRIMARY KEY / UNIQUE constraint), and virtual tables (their columns
 *     depend on a module that may not be loaded).
 *   - sqlite.c runs the four queries inside a savepoint (one snapshot);
 *     the host's allocator holds every copy, freed before returning.
 */
#include "inspect.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- memory ------------------------------------------------------------ */

typedef struct sqi {
    sqlite3 *db;
    const dbmig_host *h;
    dbmig_schema_fn fn;
    void *payload;
    int stopped; /* fn asked to stop */
} sqi;

static void *sqi_alloc(sqi *x, size_t n) { return x->h->alloc(x->h->payload, n ? n : 1); }
static void sqi_free(sqi *x, void *p)
{
    if (p)
        x->h->free(x->h->payload, p);
}

static char *sqi_strndup(sqi *x, const char *s, size_t n)
{
    char *p = sqi_alloc(x, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Makes room for need elements of elem bytes in *arr (capacity *cap). */
static int sqi_grow(sqi *x, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    while (nc < need)
        nc *= 2;
    void *n = sqi_alloc(x, nc * elem);
    if (!n)
        return -1;
    if (*arr)
        memcpy(n, *arr, *cap * elem);
    memset((char *)n + *cap * elem, 0, (nc - *cap) * elem);
    sqi_free(x, *arr);
    *arr = n;
    *cap = nc;
    return 0;
}

/* A list of owned strings (a key's columns, an index's expressions). */
typedef struct svec {
    char **v;
    size_t n, cap;
} svec;

static int sv_push(sqi *x, svec *s, const char *p, size_t n)
{
    if (sqi_grow(x, (void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
        return -1;
    if (!(s->v[s->n] = sqi_strndup(x, p ? p : "", p ? n : 0)))
        return -1;
    s->n++;
    return 0;
}

static int sv_push_str(sqi *x, svec *s, const char *p) { return sv_push(x, s, p, p ? strlen(p) : 0); }

static void sv_clear(sqi *x, svec *s)
{
    for (size_t i = 0; i < s->n; i++)
        sqi_free(x, s->v[i]);
    s->n = 0;
}

static void sv_free(sqi *x, svec *s)
{
    sv_clear(x, s);
    sqi_free(x, s->v);
    s->v = NULL;
    s->cap = 0;
}

/* ---- the tokenizer ----------------------------------------------------- */

enum { TK_END, TK_WORD, TK_QUOTED, TK_STRING, TK_PUNCT };

typedef struct tok {
    const char *p;
    size_t n;
    int kind;
} tok;

static int tk_wordch(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* Skips white space and comments from s. */
static const char *tk_skip(const char *s, const char *e)
{
    for (;;) {
        while (s < e && isspace((unsigned char)*s))
            s++;
        if (s + 1 < e && s[0] == '-' && s[1] == '-') {
            while (s < e && *s != '\n')
                s++;
        } else if (s + 1 < e && s[0] == '/' && s[1] == '*') {
            const char *q = s + 2;
            while (e - q >= 2 && !(q[0] == '*' && q[1] == '/'))
                q++;
            s = e - q >= 2 ? q + 2 : e;
        } else {
            return s;
        }
    }
}

/* The token at s (after white space and comments) into t; returns its end. */
static const char *tk_next(const char *s, const char *e, tok *t)
{
    s = tk_skip(s, e);
    t->p = s;
    t->n = 0;
    if (s >= e) {
        t->kind = TK_END;
        return e;
    }
    const char *q = s + 1;
    char c = *s;
    if (c == '"' || c == '\'' || c == '`' || c == '[') {
        char close = c == '[' ? ']' : c;
        while (q < e) {
            if (*q++ != close)
                continue;
            if (close != ']' && q < e && *q == close)
                q++; /* a doubled quote inside */
            else
                break;
        }
        t->kind = c == '\'' ? TK_STRING : TK_QUOTED;
    } else if (tk_wordch((unsigned char)c)) {
        while (q < e && tk_wordch((unsigned char)*q))
            q++;
        t->kind = TK_WORD;
    } else {
        t->kind = TK_PUNCT;
    }
    t->n = (size_t)(q - s);
    return q;
}

static int tk_is(const tok *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == TK_WORD && t->n == n && strncasecmp(t->p, kw, n) == 0;
}

static int tk_punct(const tok *t, char c) { return t->kind == TK_PUNCT && *t->p == c; }

/* s is just after a '(': returns where its matching ')' starts (e when
 * unbalanced). */
static const char *tk_close(const char *s, const char *e)
{
    int depth = 0;
    tok t;
    for (const char *p = s;;) {
        const char *q = tk_next(p, e, &t);
        if (t.kind == TK_END)
            return e;
        if (tk_punct(&t, '('))
            depth++;
        else if (tk_punct(&t, ')') && depth-- == 0)
            return t.p;
        p = q;
    }
}

/* A copy of the text [s, e) from its first token to the end of its last:
 * without the white space and comments around it (a trailing `-- note`
 * would swallow whatever a dump writes after the text). */
static char *sqi_trimdup(sqi *x, const char *s, const char *e)
{
    tok t;
    const char *end = s = tk_skip(s, e);
    for (const char *p = s; (p = tk_next(p, e, &t)), t.kind != TK_END;)
        end = p;
    return sqi_strndup(x, s, (size_t)(end - s));
}

/* A name token as stored: quotes removed, doubled quotes single. */
static char *tk_name(sqi *x, const tok *t)
{
    if (t->kind != TK_QUOTED && t->kind != TK_STRING)
        return sqi_strndup(x, t->p, t->n);
    char close = t->p[0] == '[' ? ']' : t->p[0];
    char *out = sqi_alloc(x, t->n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 1; i < t->n; i++) {
        if (t->p[i] == close) {
            if (close == ']' || i + 1 >= t->n || t->p[i + 1] != close)
                break;
            i++;
        }
        out[o++] = t->p[i];
    }
    out[o] = '\0';
    return out;
}

/* ---- reading a CREATE TABLE text --------------------------------------- */

typedef struct sqi_coldef {
    char *collation, *generated;
    int autoinc;
} sqi_coldef;

/* What the stored CREATE TABLE text says beyond the pragmas. */
typedef struct sqi_tdef {
    sqi_coldef *cols; /* one per column definition, in order (= cid) */
    size_t ncols, capcols;
    svec chk_names, chk_exprs; /* parallel: CHECK constraints, name "" if none */
    unsigned char *defer;      /* per REFERENCES clause, in text order */
    size_t nrefs, caprefs;
} sqi_tdef;

static void sqi_tdef_free(sqi *x, sqi_tdef *td)
{
    for (size_t i = 0; i < td->ncols; i++) {
        sqi_free(x, td->cols[i].collation);
        sqi_free(x, td->cols[i].generated);
    }
    sqi_free(x, td->cols);
    sv_free(x, &td->chk_names);
    sv_free(x, &td->chk_exprs);
    sqi_free(x, td->defer);
    memset(td, 0, sizeof *td);
}

/* p is after a token that a parenthesised expression follows (CHECK, AS):
 * copies what is inside the parentheses into *out; returns where to go
 * on. */
static const char *sqi_paren_expr(sqi *x, const char *p, const char *e, char **out, int *nomem)
{
    tok t;
    const char *q = tk_next(p, e, &t);
    if (!tk_punct(&t, '('))
        return p;
    const char *close = tk_close(q, e);
    sqi_free(x, *out);
    if (!(*out = sqi_trimdup(x, q, close)))
        *nomem = 1;
    return close < e ? close + 1 : e;
}

static int sqi_is_tcons(const tok *t)
{
    return tk_is(t, "CONSTRAINT") || tk_is(t, "PRIMARY") || tk_is(t, "UNIQUE") ||
           tk_is(t, "CHECK") || tk_is(t, "FOREIGN");
}

/* One column definition or table constraint, the text [s, e). */
static int sqi_table_item(sqi *x, const char *s, const char *e, sqi_tdef *td)
{
    tok t, prev = {0};
    const char *p = tk_next(s, e, &t);
    int is_col = !sqi_is_tcons(&t), nomem = 0;
    sqi_coldef cd = {0};
    char *cname = NULL, *expr = NULL;
    if (!is_col)
        p = s; /* read the constraint's first word again below */
    while (!nomem && (p = tk_next(p, e, &t), t.kind != TK_END)) {
        if (tk_punct(&t, '(')) {
            const char *c = tk_close(p, e);
            p = c < e ? c + 1 : e;
        } else if (tk_is(&t, "CONSTRAINT")) {
            p = tk_next(p, e, &t);
            sqi_free(x, cname);
            if (!(cname = tk_name(x, &t)))
                nomem = 1;
            continue; /* prev stays: the name is no keyword */
        } else if (tk_is(&t, "CHECK")) {
            p = sqi_paren_expr(x, p, e, &expr, &nomem);
            if (!nomem && (sv_push_str(x, &td->chk_names, cname ? cname : "") ||
                           sv_push_str(x, &td->chk_exprs, expr ? expr : "")))
                nomem = 1;
        } else if (is_col && tk_is(&t, "COLLATE")) {
            p = tk_next(p, e, &t);
            sqi_free(x, cd.collation);
            if (!(cd.collation = tk_name(x, &t)))
                nomem = 1;
        } else if (is_col && tk_is(&t, "AS")) {
            p = sqi_paren_expr(x, p, e, &cd.generated, &nomem);
        } else if (is_col && tk_is(&t, "AUTOINCREMENT")) {
            cd.autoinc = 1;
        } else if (tk_is(&t, "REFERENCES")) {
            if (sqi_grow(x, (void **)&td->defer, &td->caprefs, td->nrefs + 1, 1))
                nomem = 1;
            else
                td->defer[td->nrefs++] = 0;
        } else if (tk_is(&t, "DEFERRABLE") && td->nrefs && !tk_is(&prev, "NOT")) {
            /* only DEFERRABLE INITIALLY DEFERRED defers the check: a plain
             * DEFERRABLE (or INITIALLY IMMEDIATE) key is checked at once */
            tok t2, t3;
            const char *q = tk_next(p, e, &t2);
            if (tk_is(&t2, "INITIALLY")) {
                tk_next(q, e, &t3);
                td->defer[td->nrefs - 1] = tk_is(&t3, "DEFERRED");
            }
        }
        sqi_free(x, cname); /* a CONSTRAINT name names only what follows it */
        cname = NULL;
        prev = t;
    }
    sqi_free(x, cname);
    sqi_free(x, expr);
    if (is_col && !nomem &&
        sqi_grow(x, (void **)&td->cols, &td->capcols, td->ncols + 1, sizeof *td->cols) == 0) {
        td->cols[td->ncols++] = cd;
        return 0;
    }
    sqi_free(x, cd.collation);
    sqi_free(x, cd.generated);
    return is_col || nomem ? -1 : 0;
}

/* Calls item(s, e) for each comma-separated item of the parenthesised list
 * that starts after the first '(' at depth 0 of [sql, e); *after receives
 * where the list ends (after its ')'), or e. */
typedef int (*sqi_item_fn)(sqi *x, const char *s, const char *e, void *arg);

static int sqi_each_item(sqi *x, const char *sql, const char *e, sqi_item_fn item, void *arg,
                         const char **after)
{
    tok t;
    const char *p = sql;
    *after = e;
    do
        p = tk_next(p, e, &t);
    while (t.kind != TK_END && !tk_punct(&t, '('));
    if (t.kind == TK_END)
        return 0;
    const char *start = p;
    int depth = 0;
    while ((p = tk_next(p, e, &t), t.kind != TK_END)) {
        if (tk_punct(&t, '(')) {
            depth++;
        } else if (tk_punct(&t, ')') && depth > 0) {
            depth--;
        } else if (depth == 0 && (tk_punct(&t, ',') || tk_punct(&t, ')'))) {
            if (item(x, start, t.p, arg))
                return -1;
            start = p;
            if (tk_punct(&t, ')')) {
                *after = p;
                return 0;
            }
        }
    }
    return 0;
}

static int sqi_table_item_cb(sqi *x, const char *s, const char *e, void *arg)
{
    return sqi_table_item(x, s, e, arg);
}

/* Reads the CREATE TABLE text sql into td; -1 on no memory. */
static int sqi_parse_table(sqi *x, const char *sql, sqi_tdef *td)
{
    const char *after;
    memset(td, 0, sizeof *td);
    if (!sql)
        return 0;
    return sqi_each_item(x, sql, sql + strlen(sql), sqi_table_item_cb, td, &after);
}

/* ---- reading a CREATE INDEX or CREATE VIEW text ------------------------ */

/* One item of an index's column list: its expression without a trailing
 * COLLATE or ASC/DESC, in parentheses (added when it has none). */
static int sqi_index_item_cb(sqi *x, const char *s, const char *e, void *arg)
{
    svec *items = arg;
    tok t;
    const char *p = s, *end = s;
    while ((p = tk_next(p, e, &t), t.kind != TK_END)) {
        if (tk_is(&t, "COLLATE") || tk_is(&t, "ASC") || tk_is(&t, "DESC"))
            break;
        if (tk_punct(&t, '(')) {
            const char *c = tk_close(p, e);
            p = c < e ? c + 1 : e;
        }
        end = p;
    }
    const char *b = tk_next(s, end, &t);
    int wrapped = 0;
    if (tk_punct(&t, '(')) {
        const char *c = tk_close(b, end);
        wrapped = c < end && tk_skip(c + 1, end) == end;
    }
    b = tk_skip(s, end);
    if (wrapped)
        return sv_push(x, items, b, (size_t)(end - b));
    char *in = sqi_trimdup(x, b, end);
    if (!in)
        return -1;
    size_t n = strlen(in);
    char *w = sqi_alloc(x, n + 3);
    int rc = -1;
    if (w) {
        w[0] = '(';
        memcpy(w + 1, in, n);
        w[n + 1] = ')';
        w[n + 2] = '\0';
        rc = sv_push_str(x, items, w);
    }
    sqi_free(x, w);
    sqi_free(x, in);
    return rc;
}

/* Reads a CREATE INDEX text: its column list's items and its WHERE (NULL
 * when none). -1 on no memory. */
static int sqi_parse_index(sqi *x, const char *sql, svec *items, char **where)
{
    *where = NULL;
    if (!sql)
        return 0;
    const char *e = sql + strlen(sql), *after;
    if (sqi_each_item(x, sql, e, sqi_index_item_cb, items, &after))
        return -1;
    tok t;
    const char *p = tk_next(after, e, &t);
    if (tk_is(&t, "WHERE") && !(*where = sqi_trimdup(x, p, e)))
        return -1;
    return 0;
}

/* A view's query: what follows the first AS outside parentheses. */
static const char *sqi_view_query(const char *sql)
{
    const char *e = sql + strlen(sql), *p = sql;
    tok t;
    while ((p = tk_next(p, e, &t), t.kind != TK_END)) {
        if (tk_is(&t, "AS"))
            return tk_skip(p, e);
        if (tk_punct(&t, '(')) {
            const char *c = tk_close(p, e);
            p = c < e ? c + 1 : e;
        }
    }
    return sql;
}

/* A default as a dump can write it after DEFAULT. pragma_table_info gives
 * `DEFAULT (1 + 2)` without its parentheses ("1 + 2"), which DEFAULT does
 * not take again: anything but a literal (a string, a blob, a signed or
 * unsigned number, a bare word such as NULL or CURRENT_TIMESTAMP) is put
 * back in parentheses, unless it already is in one pair. Then `DEFAULT
 * (1 + 2)` and `DEFAULT ((1 + 2))` both read "(1 + 2)" again. */
static int sqi_default_plain(const char *d)
{
    const char *s = d + (*d == '+' || *d == '-'), *e = d + strlen(d);
    tok t;
    if ((*s == 'x' || *s == 'X') && s[1] == '\'')
        s++;
    if (*s == '\'') {
        const char *q = tk_next(s, e, &t);
        return t.kind == TK_STRING && q == e;
    }
    if (!*s)
        return 0;
    for (const char *p = s; *p; p++) {
        int sign = (*p == '+' || *p == '-') && p > s && (p[-1] == 'e' || p[-1] == 'E');
        if (!sign && !tk_wordch((unsigned char)*p) && *p != '.')
            return 0;
    }
    return 1;
}

static char *sqi_default(sqi *x, const char *d)
{
    const char *e = d + strlen(d);
    tok t;
    const char *p = tk_next(d, e, &t);
    if (sqi_default_plain(d) || (tk_punct(&t, '(') && tk_close(p, e) == e - 1))
        return sqi_strndup(x, d, (size_t)(e - d));
    char *w = sqi_alloc(x, (size_t)(e - d) + 3);
    if (w) {
        w[0] = '(';
        memcpy(w + 1, d, (size_t)(e - d));
        memcpy(w + 1 + (e - d), ")", 2);
    }
    return w;
}

/* ---- reporting --------------------------------------------------------- */

static void sqi_obj(dbmig_schema_object *o, uint32_t kind, const char *table, const char *name)
{
    memset(o, 0, sizeof *o);
    o->size = (uint32_t)sizeof *o;
    o->kind = kind;
    o->table = table;
    o->name = name;
}

static void sqi_emit(sqi *x, const dbmig_schema_object *o)
{
    if (!x->stopped && x->fn(x->payload, o) != 0)
        x->stopped = 1;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* The tables the queries read (the %s of every query's WHERE): main's,
 * less SQLite's own, virtual tables, and (where SQLite can tell, 3.37 on)
 * the shadow tables that hold a virtual table's data. */
static const char *sqi_tables_where(void)
{
#define SQI_TABLES                                                                                \
    "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "                               \
    "AND m.sql NOT LIKE 'CREATE VIRTUAL %'"
    if (sqlite3_libversion_number() >= 3037000)
        return SQI_TABLES " AND m.name NOT IN (SELECT name FROM pragma_table_list "
                          "WHERE schema = 'main' AND type = 'shadow')";
    return SQI_TABLES;
#undef SQI_TABLES
}

/* Runs the query fmt (its one %s: the tables to read, sqi_tables_where),
 * calling row(x, st, arg) for each row until fn stops the walk;
 * then end(x, arg). Finalizes st. Returns SQLITE_OK, SQLITE_NOMEM (row or
 * end returned -1) or the statement's error. */
typedef int (*sqi_row_fn)(sqi *x, sqlite3_stmt *st, void *arg);
typedef int (*sqi_end_fn)(sqi *x, void *arg);

static int sqi_run(sqi *x, const char *fmt, sqi_row_fn row, sqi_end_fn end, void *arg)
{
    sqlite3_stmt *st = NULL;
    char *sql = sqlite3_mprintf(fmt, sqi_tables_where());
    if (!sql)
        return SQLITE_NOMEM;
    int rc = sqlite3_prepare_v2(x->db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    while (!x->stopped && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (row(x, st, arg)) {
            sqlite3_finalize(st);
            x->stopped = 1; /* end() then only frees */
            return SQLITE_NOMEM;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        x->stopped = 1;
        return rc;
    }
    sqlite3_finalize(st);
    return end(x, arg) ? SQLITE_NOMEM : SQLITE_OK;
}

/* ---- tables, columns, primary keys, checks ----------------------------- */

typedef struct sqi_tcur {
    char *name; /* the table whose rows come now, NULL before the first */
    sqi_tdef td;
    svec pk; /* by ordinal: pk.v[k-1] is the k-th key column */
} sqi_tcur;

static int sqi_table_end(sqi *x, void *arg)
{
    sqi_tcur *cur = arg;
    dbmig_schema_object o;
    if (!cur->name)
        return 0;
    if (cur->pk.n) {
        sqi_obj(&o, DBMIG_SO_PRIMARY_KEY, cur->name, "");
        o.columns = (const char *const *)cur->pk.v;
        o.ncolumns = (uint32_t)cur->pk.n;
        sqi_emit(x, &o);
    }
    for (size_t i = 0; i < cur->td.chk_exprs.n; i++) {
        sqi_obj(&o, DBMIG_SO_CHECK, cur->name, cur->td.chk_names.v[i]);
        o.definition = cur->td.chk_exprs.v[i];
        sqi_emit(x, &o);
    }
    sqi_free(x, cur->name);
    cur->name = NULL;
    sqi_tdef_free(x, &cur->td);
    sv_free(x, &cur->pk);
    return 0;
}

/* The k-th (1-based) primary key column is name. */
static int sqi_pk_put(sqi *x, svec *pk, int k, const char *name)
{
    size_t i = (size_t)k - 1;
    if (sqi_grow(x, (void **)&pk->v, &pk->cap, i + 1, sizeof *pk->v))
        return -1;
    sqi_free(x, pk->v[i]);
    if (!(pk->v[i] = sqi_strndup(x, name, strlen(name))))
        return -1;
    if (pk->n < i + 1)
        pk->n = i + 1;
    for (size_t j = 0; j < pk->n; j++) /* ordinals are dense: no hole stays */
        if (!pk->v[j] && !(pk->v[j] = sqi_strndup(x, "", 0)))
            return -1;
    return 0;
}

/* Row: table, sql, cid, name, type, notnull, dflt_value, pk, hidden. */
static int sqi_table_row(sqi *x, sqlite3_stmt *st, void *arg)
{
    sqi_tcur *cur = arg;
    const char *table = col_text(st, 0);
    if (!table)
        return 0;
    if (!cur->name || strcmp(cur->name, table) != 0) {
        sqi_table_end(x, cur);
        if (!(cur->name = sqi_strndup(x, table, strlen(table))) ||
            sqi_parse_table(x, col_text(st, 1), &cur->td))
            return -1;
        dbmig_schema_object t;
        sqi_obj(&t, DBMIG_SO_TABLE, cur->name, cur->name);
        t.table = NULL;
        sqi_emit(x, &t);
    }
    int cid = sqlite3_column_int(st, 2), pk = sqlite3_column_int(st, 7);
    int hidden = sqlite3_column_int(st, 8);
    const char *name = col_text(st, 3), *type = col_text(st, 4);
    const sqi_coldef *cd = cid >= 0 && (size_t)cid < cur->td.ncols ? &cur->td.cols[cid] : NULL;
    dbmig_schema_object o;
    sqi_obj(&o, DBMIG_SO_COLUMN, cur->name, name ? name : "");
    o.position = (uint32_t)cid + 1;
    o.type = type ? type : "";
    o.flags = (sqlite3_column_int(st, 5) ? 0 : DBMIG_SO_NULLABLE) |
              (cd && cd->autoinc ? DBMIG_SO_IDENTITY : 0) |
              (hidden == 3 ? DBMIG_SO_GENERATED_STORED : 0);
    const char *dflt = col_text(st, 6);
    char *dcopy = dflt ? sqi_default(x, dflt) : NULL;
    if (dflt && !dcopy)
        return -1;
    o.default_expr = dcopy;
    if (hidden == 2 || hidden == 3)
        o.generated = cd && cd->generated ? cd->generated : "";
    o.collation = cd ? cd->collation : NULL;
    int rc = pk > 0 ? sqi_pk_put(x, &cur->pk, pk, o.name) : 0;
    if (rc == 0)
        sqi_emit(x, &o);
    sqi_free(x, dcopy);
    return rc;
}

static int sqi_tables(sqi *x)
{
    sqi_tcur cur = {0};
    int rc = sqi_run(x,
                     "SELECT m.name, m.sql, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, "
                     "c.pk, c.hidden FROM main.sqlite_master m "
                     "JOIN pragma_table_xinfo(m.name, 'main') c WHERE %s "
                     "ORDER BY m.name, c.cid",
                     sqi_table_row, sqi_table_end, &cur);
    sqi_table_end(x, &cur); /* frees what a failure or a stop left */
    return rc;
}

/* ---- indexes and UNIQUE constraints ------------------------------------ */

typedef struct sqi_icur {
    char *table, *name; /* NULL before the first row */
    int unique, constraint, partial;
    svec cols, items; /* items: the CREATE INDEX column list, for expressions */
    char *where;
} sqi_icur;

static int sqi_index_end(sqi *x, void *arg)
{
    sqi_icur *cur = arg;
    if (cur->name) {
        dbmig_schema_object o;
        sqi_obj(&o, cur->constraint ? DBMIG_SO_UNIQUE : DBMIG_SO_INDEX, cur->table,
                cur->constraint ? "" : cur->name);
        o.columns = (const char *const *)cur->cols.v;
        o.ncolumns = (uint32_t)cur->cols.n;
        if (!cur->constraint) {
            o.flags = cur->unique ? DBMIG_SO_UNIQUE_INDEX : 0;
            o.predicate = cur->partial ? cur->where : NULL;
        }
        sqi_emit(x, &o);
    }
    sqi_free(x, cur->table);
    sqi_free(x, cur->name);
    sqi_free(x, cur->where);
    cur->table = cur->name = cur->where = NULL;
    sv_free(x, &cur->cols);
    sv_free(x, &cur->items);
    return 0;
}

/* Row: table, index, unique, origin, partial, seqno, cid, column, sql,
 * desc. */
static int sqi_index_row(sqi *x, sqlite3_stmt *st, void *arg)
{
    sqi_icur *cur = arg;
    const char *table = col_text(st, 0), *name = col_text(st, 1);
    if (!table || !name)
        return 0;
    if (!cur->name || strcmp(cur->name, name) != 0 || strcmp(cur->table, table) != 0) {
        sqi_index_end(x, cur);
        const char *origin = col_text(st, 3);
        cur->unique = sqlite3_column_int(st, 2);
        cur->constraint = origin && strcmp(origin, "u") == 0;
        cur->partial = sqlite3_column_int(st, 4);
        if (!(cur->table = sqi_strndup(x, table, strlen(table))) ||
            !(cur->name = sqi_strndup(x, name, strlen(name))) ||
            (!cur->constraint && sqi_parse_index(x, col_text(st, 8), &cur->items, &cur->where)))
            return -1;
    }
    int seqno = sqlite3_column_int(st, 5), cid = sqlite3_column_int(st, 6);
    const char *col = col_text(st, 7);
    if (cid == -2) /* an expression: its text in the CREATE INDEX */
        col = seqno >= 0 && (size_t)seqno < cur->items.n ? cur->items.v[seqno] : "(?)";
    else if (cid == -1)
        col = "rowid";
    if (!col)
        col = "";
    if (!sqlite3_column_int(st, 9))
        return sv_push_str(x, &cur->cols, col);
    size_t n = strlen(col); /* a descending key part: "name DESC" (schema.h) */
    char *d = sqi_alloc(x, n + 6);
    if (!d)
        return -1;
    memcpy(d, col, n);
    memcpy(d + n, " DESC", 5);
    d[n + 5] = '\0';
    int rc = sv_push_str(x, &cur->cols, d);
    sqi_free(x, d);
    return rc;
}

static int sqi_indexes(sqi *x)
{
    sqi_icur cur = {0};
    int rc = sqi_run(x,
                     "SELECT m.name, il.name, il.\"unique\", il.origin, il.partial, ix.seqno, "
                     "ix.cid, ix.name, s.sql, ix.desc FROM main.sqlite_master m "
                     "JOIN pragma_index_list(m.name, 'main') il "
                     "JOIN pragma_index_xinfo(il.name, 'main') ix "
                     "LEFT JOIN main.sqlite_master s ON s.type = 'index' AND s.name = il.name "
                     "WHERE %s AND il.origin <> 'pk' AND ix.key "
                     "ORDER BY m.name, il.name, ix.seqno",
                     sqi_index_row, sqi_index_end, &cur);
    sqi_index_end(x, &cur);
    return rc;
}

/* ---- foreign keys ------------------------------------------------------ */

typedef struct sqi_fcur {
    char *table; /* NULL before the first row */
    sqi_tdef td; /* the table's text: DEFERRABLE per REFERENCES clause */
    int id, open, unnamed_target;
    char *ref_table;
    char on_update[16], on_delete[16];
    svec cols, refcols;
} sqi_fcur;

static void sqi_upper(char *out, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++)
        out[i] = (char)toupper((unsigned char)s[i]);
    out[i] = '\0';
}

static int sqi_fk_end(sqi *x, void *arg)
{
    sqi_fcur *cur = arg;
    if (!cur->open)
        return 0;
    dbmig_schema_object o;
    sqi_obj(&o, DBMIG_SO_FOREIGN_KEY, cur->table, "");
    o.columns = (const char *const *)cur->cols.v;
    o.ncolumns = (uint32_t)cur->cols.n;
    o.ref_table = cur->ref_table;
    if (!cur->unnamed_target) { /* else the parent has no key to name */
        o.ref_columns = (const char *const *)cur->refcols.v;
        o.nref_columns = (uint32_t)cur->refcols.n;
    }
    o.on_update = cur->on_update;
    o.on_delete = cur->on_delete;
    /* pragma ids count the REFERENCES clauses from the last one */
    if (cur->id >= 0 && (size_t)cur->id < cur->td.nrefs &&
        cur->td.defer[cur->td.nrefs - 1 - (size_t)cur->id])
        o.flags = DBMIG_SO_DEFERRABLE;
    sqi_emit(x, &o);
    sqi_free(x, cur->ref_table);
    cur->ref_table = NULL;
    sv_free(x, &cur->cols);
    sv_free(x, &cur->refcols);
    cur->open = 0;
    return 0;
}

/* Row: table, sql, id, seq, parent, from, to, on_update, on_delete. */
static int sqi_fk_row(sqi *x, sqlite3_stmt *st, void *arg)
{
    sqi_fcur *cur = arg;
    const char *table = col_text(st, 0);
    int id = sqlite3_column_int(st, 2);
    if (!table)
        return 0;
    if (!cur->table || strcmp(cur->table, table) != 0) {
        sqi_fk_end(x, cur);
        sqi_free(x, cur->table);
        sqi_tdef_free(x, &cur->td);
        if (!(cur->table = sqi_strndup(x, table, strlen(table))) ||
            sqi_parse_table(x, col_text(st, 1), &cur->td))
            return -1;
    } else if (cur->open && id != cur->id) {
        sqi_fk_end(x, cur);
    }
    if (!cur->open) {
        const char *parent = col_text(st, 4);
        cur->open = 1;
        cur->id = id;
        cur->unnamed_target = 0;
        sqi_upper(cur->on_update, sizeof cur->on_update, col_text(st, 7));
        sqi_upper(cur->on_delete, sizeof cur->on_delete, col_text(st, 8));
        if (!(cur->ref_table = sqi_strndup(x, parent ? parent : "", parent ? strlen(parent) : 0)))
            return -1;
    }
    const char *to = col_text(st, 6);
    if (!to)
        cur->unnamed_target = 1;
    return sv_push_str(x, &cur->cols, col_text(st, 5)) || sv_push_str(x, &cur->refcols, to)
               ? -1
               : 0;
}

static int sqi_fkeys(sqi *x)
{
    sqi_fcur cur = {0};
    int rc = sqi_run(x,
                     "SELECT m.name, m.sql, f.id, f.seq, f.\"table\", f.\"from\", "
                     "COALESCE(f.\"to\", p.name), f.on_update, f.on_delete "
                     "FROM main.sqlite_master m JOIN pragma_foreign_key_list(m.name, 'main') f "
                     "LEFT JOIN pragma_table_info(f.\"table\", 'main') p "
                     "ON f.\"to\" IS NULL AND p.pk = f.seq + 1 "
                     "WHERE %s ORDER BY m.name, f.id, f.seq",
                     sqi_fk_row, sqi_fk_end, &cur);
    sqi_fk_end(x, &cur);
    sqi_free(x, cur.table);
    sqi_tdef_free(x, &cur.td);
    return rc;
}

/* ---- views and triggers ------------------------------------------------ */

/* Row: type, name, tbl_name, sql. */
static int sqi_other_row(sqi *x, sqlite3_stmt *st, void *arg)
{
    (void)arg;
    const char *type = col_text(st, 0), *sql = col_text(st, 3);
    if (!type || !sql)
        return 0;
    dbmig_schema_object o;
    int view = strcmp(type, "view") == 0;
    const char *from = view ? sqi_view_query(sql) : sql;
    char *def = sqi_trimdup(x, from, sql + strlen(sql));
    if (!def)
        return -1;
    if (view)
        sqi_obj(&o, DBMIG_SO_VIEW, NULL, col_text(st, 1));
    else
        sqi_obj(&o, DBMIG_SO_TRIGGER, col_text(st, 2), col_text(st, 1));
    o.definition = def;
    sqi_emit(x, &o);
    sqi_free(x, def);
    return 0;
}

static int sqi_no_end(sqi *x, void *arg)
{
    (void)x;
    (void)arg;
    return 0;
}

int sqi_inspect(sqlite3 *db, const dbmig_host *host, dbmig_schema_fn fn, void *payload)
{
    sqi x = {db, host, fn, payload, 0};
    int rc = sqi_tables(&x);
    if (rc == SQLITE_OK && !x.stopped)
        rc = sqi_indexes(&x);
    if (rc == SQLITE_OK && !x.stopped)
        rc = sqi_fkeys(&x);
    if (rc == SQLITE_OK && !x.stopped)
        rc = sqi_run(&x,
                     "SELECT type, name, tbl_name, sql FROM main.sqlite_master "
                     "WHERE type IN ('view', 'trigger') AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' "
                     "ORDER BY type, name",
                     sqi_other_row, sqi_no_end, NULL);
    return rc;
}
