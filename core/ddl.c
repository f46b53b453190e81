/* ddl.c — classify and rewrite the portable DDL forms of SPEC section 9.
 * See ddl.h. The classifier is a tiny tokenizer over one statement (words,
 * quoted identifiers, strings, punctuation; comments skipped), matched
 * against four fixed shapes; it never needs a full SQL grammar. */
#define _POSIX_C_SOURCE 200809L
#include "ddl.h"
#include "loader.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { T_END, T_WORD, T_QUOTED, T_STRING, T_PUNCT };

typedef struct tok {
    int type;
    size_t start, end;
} tok;

typedef struct lexer {
    const char *s;
    size_t len, pos;
    int dialect;
} lexer;

static void skip_space(lexer *lx)
{
    const char *s = lx->s;
    while (lx->pos < lx->len) {
        char c = s[lx->pos];
        if (isspace((unsigned char)c)) {
            lx->pos++;
        } else if ((c == '-' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '-') ||
                   (c == '#' && lx->dialect == DBMIG_DIALECT_MYSQL)) {
            while (lx->pos < lx->len && s[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
            int depth = 0;
            do {
                if (s[lx->pos] == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
                    depth++;
                    lx->pos += 2;
                } else if (s[lx->pos] == '*' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '/') {
                    depth--;
                    lx->pos += 2;
                } else {
                    lx->pos++;
                }
            } while (depth > 0 && lx->pos < lx->len);
        } else {
            return;
        }
    }
}

static int is_word_char(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

static tok next(lexer *lx)
{
    skip_space(lx);
    tok t = {T_END, lx->pos, lx->pos};
    if (lx->pos >= lx->len)
        return t;
    const char *s = lx->s;
    char c = s[lx->pos];
    char close = c == '"' ? '"' : c == '`' ? '`' : c == '[' && lx->dialect == DBMIG_DIALECT_SQLITE ? ']' : c == '\'' ? '\'' : 0;
    if (close) {
        t.type = c == '\'' ? T_STRING : T_QUOTED;
        lx->pos++;
        while (lx->pos < lx->len) {
            if (s[lx->pos] == close) {
                if (close != ']' && lx->pos + 1 < lx->len && s[lx->pos + 1] == close) {
                    lx->pos += 2; /* doubled quote */
                    continue;
                }
                lx->pos++;
                break;
            }
            lx->pos++;
        }
    } else if (is_word_char((unsigned char)c)) {
        t.type = T_WORD;
        while (lx->pos < lx->len && is_word_char((unsigned char)s[lx->pos]))
            lx->pos++;
    } else {
        t.type = T_PUNCT;
        lx->pos++;
    }
    t.end = lx->pos;
    return t;
}

static int is_kw(const lexer *lx, tok t, const char *kw)
{
    size_t n = strlen(kw);
    return t.type == T_WORD && t.end - t.start == n && strncasecmp(lx->s + t.start, kw, n) == 0;
}

static int is_punct(const lexer *lx, tok t, char c)
{
    return t.type == T_PUNCT && lx->s[t.start] == c;
}

/* Copies a name token's unquoted text into out (cap 128). */
static void unquote(const lexer *lx, tok t, char *out, size_t cap)
{
    const char *s = lx->s + t.start;
    size_t n = t.end - t.start;
    out[0] = '\0';
    if (t.type == T_QUOTED) {
        char close = s[0] == '[' ? ']' : s[0];
        size_t o = 0;
        for (size_t i = 1; i + 1 < n || (i < n && s[i] != close); i++) {
            if (s[i] == close) {
                if (close != ']' && i + 1 < n && s[i + 1] == close)
                    i++;
                else
                    break;
            }
            if (o + 1 >= cap) {
                out[0] = '\0';
                return;
            }
            out[o++] = s[i];
        }
        out[o] = '\0';
    } else {
        if (n >= cap)
            return;
        memcpy(out, s, n);
        out[n] = '\0';
    }
}

/* Reads a possibly qualified name (a.b.c); span covers it all, last is the
 * unquoted last part. Returns 0 when the next token is not a name. */
static int read_name(lexer *lx, dm_span *span, char *last, size_t cap)
{
    tok t = next(lx);
    if (t.type != T_WORD && t.type != T_QUOTED)
        return 0;
    span->start = t.start;
    for (;;) {
        span->end = t.end;
        unquote(lx, t, last, cap);
        size_t save = lx->pos;
        tok dot = next(lx);
        if (!is_punct(lx, dot, '.')) {
            lx->pos = save;
            return 1;
        }
        t = next(lx);
        if (t.type != T_WORD && t.type != T_QUOTED)
            return 0;
    }
}

/* Optional keyword sequence: consumes and returns 1 when all match. */
static int accept(lexer *lx, const char *const *kws, dm_span *span)
{
    size_t save = lx->pos;
    tok first = {0, 0, 0}, t = {0, 0, 0};
    for (size_t i = 0; kws[i]; i++) {
        t = next(lx);
        if (!is_kw(lx, t, kws[i])) {
            lx->pos = save;
            return 0;
        }
        if (i == 0)
            first = t;
    }
    if (span) {
        span->start = first.start;
        span->end = t.end;
    }
    return 1;
}

static int accept1(lexer *lx, const char *kw, dm_span *span)
{
    const char *kws[] = {kw, NULL};
    return accept(lx, kws, span);
}

/* 1 if the rest of the statement has a top-level comma (several actions). */
static int rest_has_comma(lexer *lx)
{
    int depth = 0;
    for (;;) {
        tok t = next(lx);
        if (t.type == T_END)
            return 0;
        if (is_punct(lx, t, '('))
            depth++;
        else if (is_punct(lx, t, ')'))
            depth--;
        else if (depth == 0 && is_punct(lx, t, ','))
            return 1;
    }
}

static int at_end(lexer *lx)
{
    size_t save = lx->pos;
    tok t = next(lx);
    lx->pos = save;
    return t.type == T_END;
}

static const char *const not_a_column[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK",
                                           "INDEX", "KEY", "FULLTEXT", "SPATIAL", "PARTITION",
                                           "EXCLUDE", "PERIOD", "SYSTEM", NULL};

static int is_any_kw(const lexer *lx, tok t, const char *const *kws)
{
    for (; *kws; kws++)
        if (is_kw(lx, t, *kws))
            return 1;
    return 0;
}

static void classify_index(lexer *lx, int create, dm_ddl *d)
{
    static const char *const if_not_exists[] = {"IF", "NOT", "EXISTS", NULL};
    static const char *const if_exists[] = {"IF", "EXISTS", NULL};
    d->concurrently = accept1(lx, "CONCURRENTLY", &d->concurrently_kw);
    d->if_exists = accept(lx, create ? if_not_exists : if_exists, &d->if_kw);
    size_t save = lx->pos;
    if (create && is_kw(lx, next(lx), "ON"))
        return; /* unnamed index (PostgreSQL): nothing to emulate */
    lx->pos = save;
    if (!read_name(lx, &d->name_tok, d->name, sizeof d->name))
        return;
    if (create) {
        if (!accept1(lx, "ON", NULL))
            return;
        accept1(lx, "ONLY", NULL);
        if (!read_name(lx, &d->table_tok, d->table, sizeof d->table))
            return;
        d->kind = DM_DDL_CREATE_INDEX;
        return;
    }
    if (accept1(lx, "ON", NULL) && !read_name(lx, &d->table_tok, d->table, sizeof d->table))
        return;
    if (!accept1(lx, "CASCADE", NULL))
        accept1(lx, "RESTRICT", NULL);
    if (!at_end(lx))
        return; /* several indexes, or something unexpected */
    d->kind = DM_DDL_DROP_INDEX;
}

static void classify_alter(lexer *lx, dm_ddl *d)
{
    static const char *const if_not_exists[] = {"IF", "NOT", "EXISTS", NULL};
    static const char *const if_exists[] = {"IF", "EXISTS", NULL};
    if (!accept1(lx, "TABLE", NULL))
        return;
    size_t save = lx->pos;
    if (is_kw(lx, next(lx), "IF"))
        return; /* ALTER TABLE IF EXISTS: leave it to the database */
    lx->pos = save;
    accept1(lx, "ONLY", NULL);
    if (!read_name(lx, &d->table_tok, d->table, sizeof d->table))
        return;
    tok action = next(lx);
    int add = is_kw(lx, action, "ADD");
    if (!add && !is_kw(lx, action, "DROP"))
        return;
    int column_kw = accept1(lx, "COLUMN", NULL);
    d->if_exists = accept(lx, add ? if_not_exists : if_exists, &d->if_kw);
    save = lx->pos;
    tok t = next(lx);
    lx->pos = save;
    if (!column_kw && is_any_kw(lx, t, not_a_column))
        return;
    if (!read_name(lx, &d->name_tok, d->name, sizeof d->name))
        return;
    if (rest_has_comma(lx))
        return;
    d->kind = add ? DM_DDL_ADD_COLUMN : DM_DDL_DROP_COLUMN;
}

void dm_ddl_classify(const char *sql, size_t len, int dialect, dm_ddl *out)
{
    memset(out, 0, sizeof *out);
    lexer lx = {sql, len, 0, dialect};
    tok t = next(&lx);
    if (is_kw(&lx, t, "CREATE")) {
        accept1(&lx, "UNIQUE", NULL);
        if (accept1(&lx, "INDEX", NULL))
            classify_index(&lx, 1, out);
    } else if (is_kw(&lx, t, "DROP")) {
        if (accept1(&lx, "INDEX", NULL))
            classify_index(&lx, 0, out);
    } else if (is_kw(&lx, t, "ALTER")) {
        classify_alter(&lx, out);
    }
    if (out->kind == DM_DDL_OTHER) {
        dm_ddl z;
        memset(&z, 0, sizeof z);
        *out = z;
    }
}

int dm_ddl_is_dml(const char *sql, size_t len, int dialect)
{
    static const char *const dml[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT",
                                      "WITH",   "VALUES", "SET",    NULL};
    lexer lx = {sql, len, 0, dialect};
    tok t = next(&lx);
    return is_any_kw(&lx, t, dml);
}

int dm_ddl_is_row_change(const char *sql, size_t len, int dialect)
{
    static const char *const rows[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", NULL};
    lexer lx = {sql, len, 0, dialect};
    tok t = next(&lx);
    return is_any_kw(&lx, t, rows);
}

int dm_ddl_is_schema_change(const char *sql, size_t len, int dialect)
{
    static const char *const verbs[] = {"CREATE", "ALTER", "DROP",  "TRUNCATE", "RENAME",
                                        "COMMENT", "GRANT", "REVOKE", NULL};
    lexer lx = {sql, len, 0, dialect};
    tok t = next(&lx);
    return is_any_kw(&lx, t, verbs);
}

const char *dm_ddl_txn_control(const char *sql, size_t len, int dialect)
{
    lexer lx = {sql, len, 0, dialect};
    tok t = next(&lx);
    if (t.type != T_WORD)
        return NULL;
    tok u = next(&lx);
    if (is_kw(&lx, t, "BEGIN"))
        return is_kw(&lx, u, "NOT") ? NULL : "BEGIN"; /* MariaDB: BEGIN NOT ATOMIC ... END */
    if (is_kw(&lx, t, "START"))
        return is_kw(&lx, u, "TRANSACTION") ? "START TRANSACTION" : NULL;
    if (is_kw(&lx, t, "COMMIT"))
        return "COMMIT";
    if (is_kw(&lx, t, "END"))
        return u.type == T_END || is_kw(&lx, u, "TRANSACTION") || is_kw(&lx, u, "WORK") ? "END"
                                                                                     : NULL;
    if (is_kw(&lx, t, "ABORT"))
        return "ABORT";
    if (is_kw(&lx, t, "PREPARE") && is_kw(&lx, u, "TRANSACTION"))
        return "PREPARE TRANSACTION";
    if (is_kw(&lx, t, "ROLLBACK")) {
        /* ROLLBACK [TRANSACTION | WORK] TO [SAVEPOINT] x undoes part of it */
        if (is_kw(&lx, u, "TRANSACTION") || is_kw(&lx, u, "WORK"))
            u = next(&lx);
        return is_kw(&lx, u, "TO") ? NULL : "ROLLBACK";
    }
    return NULL;
}

/* After REINDEX on PostgreSQL: CONCURRENTLY anywhere, or SCHEMA, DATABASE or
 * SYSTEM as the object kind (after an optional option list), cannot run in
 * a transaction block. */
static int pg_reindex_autocommit(lexer *lx)
{
    tok u = next(lx);
    if (is_punct(lx, u, '(')) /* REINDEX (VERBOSE, ...) SCHEMA s */
        while (u.type != T_END && !is_punct(lx, u, ')'))
            u = next(lx);
    if (u.type != T_END && is_punct(lx, u, ')'))
        u = next(lx);
    if (is_kw(lx, u, "SCHEMA") || is_kw(lx, u, "DATABASE") || is_kw(lx, u, "SYSTEM"))
        return 1;
    for (; u.type != T_END; u = next(lx))
        if (is_kw(lx, u, "CONCURRENTLY"))
            return 1;
    return 0;
}

int dm_ddl_needs_autocommit(const char *sql, size_t len, int dialect, uint32_t caps)
{
    /* Statements no transaction may hold: VACUUM everywhere; on PostgreSQL
     * also REINDEX ... CONCURRENTLY, REINDEX SCHEMA/DATABASE/SYSTEM (they
     * commit per table), CREATE/DROP DATABASE and TABLESPACE, ALTER SYSTEM. */
    {
        lexer lx = {sql, len, 0, dialect};
        tok t = next(&lx);
        if (is_kw(&lx, t, "VACUUM"))
            return 1;
        if (dialect == DBMIG_DIALECT_POSTGRES) {
            if (is_kw(&lx, t, "REINDEX"))
                return pg_reindex_autocommit(&lx);
            tok u = next(&lx);
            if ((is_kw(&lx, t, "CREATE") || is_kw(&lx, t, "DROP")) &&
                (is_kw(&lx, u, "DATABASE") || is_kw(&lx, u, "TABLESPACE")))
                return 1;
            if (is_kw(&lx, t, "ALTER") && is_kw(&lx, u, "SYSTEM"))
                return 1;
        }
    }
    if (!(caps & DBMIG_CAP_CONCURRENT_INDEX))
        return 0;
    dm_ddl d;
    dm_ddl_classify(sql, len, dialect, &d);
    if (d.kind == DM_DDL_CREATE_INDEX || d.kind == DM_DDL_DROP_INDEX)
        return d.concurrently;
    /* An unnamed CREATE INDEX CONCURRENTLY ON t (...) is not classified. */
    lexer lx = {sql, len, 0, dialect};
    if (!is_kw(&lx, next(&lx), "CREATE"))
        return 0;
    accept1(&lx, "UNIQUE", NULL);
    return accept1(&lx, "INDEX", NULL) && accept1(&lx, "CONCURRENTLY", NULL);
}

int dm_ddl_passthrough(const char *sql, size_t len, int dialect, uint32_t caps)
{
    dm_ddl d;
    dm_ddl_classify(sql, len, dialect, &d);
    if (d.concurrently && !(caps & DBMIG_CAP_CONCURRENT_INDEX))
        return 0;
    switch (d.kind) {
    case DM_DDL_CREATE_INDEX:
        return !d.if_exists || (caps & DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS);
    case DM_DDL_DROP_INDEX:
        if ((caps & DBMIG_CAP_DROP_INDEX_NEEDS_TABLE) && d.table_tok.start == d.table_tok.end)
            return 0;
        return !d.if_exists || (caps & DBMIG_CAP_DROP_INDEX_IF_EXISTS);
    case DM_DDL_ADD_COLUMN:
        return !d.if_exists || (caps & DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS);
    case DM_DDL_DROP_COLUMN:
        return !d.if_exists || (caps & DBMIG_CAP_DROP_COLUMN_IF_EXISTS);
    default:
        return 1;
    }
}

/* Appends sql minus the spans in cut[] (sorted, non-overlapping) and each
 * span's following white space, inserting `ins` at offset `at`. */
static int rebuild(const char *sql, size_t len, dm_span *cut, size_t ncut, size_t at,
                   const char *ins, dm_buf *out)
{
    size_t pos = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncut; i++) {
        size_t stop = i < ncut ? cut[i].start : len;
        if (ins && at >= pos && at <= stop) {
            rc |= dm_buf_append(out, sql + pos, at - pos);
            rc |= dm_buf_puts(out, ins);
            pos = at;
            ins = NULL;
        }
        rc |= dm_buf_append(out, sql + pos, stop - pos);
        if (i < ncut) {
            pos = cut[i].end;
            while (pos < len && (sql[pos] == ' ' || sql[pos] == '\t'))
                pos++;
        }
    }
    return rc;
}

static int catalog_error(const dbmig_driver *drv, void *self, dbmig_conn *conn, const dm_ddl *d,
                         dm_err *err)
{
    dm_buf m = {0};
    const dbmig_db_error *e = drv->last_error(self, conn);
    int oom = dm_db_error_format(&m, e);
    int rc = oom ? dm_err_nomem(err)
                 : dm_err_set(err, DBMIG_ERROR, "catalog look-up for %s %s failed: %s",
                              d->kind == DM_DDL_CREATE_INDEX || d->kind == DM_DDL_DROP_INDEX
                                  ? "index"
                                  : "column",
                              d->name, dm_buf_str(&m));
    dm_buf_free(&m);
    return oom ? rc : dm_db_error_note(err, e);
}

/* DROP INDEX: IF EXISTS emulated through index_exists, and the owning
 * table looked up where the database needs `DROP INDEX i ON t`
 * (DBMIG_CAP_DROP_INDEX_NEEDS_TABLE); offline (conn NULL), a note says to
 * add it by hand. */
static int prep_drop_index(const dbmig_driver *drv, void *self, dbmig_conn *conn, uint32_t caps,
                           const dm_ddl *d, int *emulate, int *skip, char *on_table, size_t on_cap,
                           dm_buf *note, dm_err *err)
{
    int needs_table =
        (caps & DBMIG_CAP_DROP_INDEX_NEEDS_TABLE) && d->table_tok.start == d->table_tok.end;
    int exists = 0;
    *emulate = d->if_exists && !(caps & DBMIG_CAP_DROP_INDEX_IF_EXISTS);
    /* dm_ddl_prepare sends the statement as written when the driver has no
     * index_exists; checked here too, where it is called */
    int (*index_exists)(void *, dbmig_conn *, const char *, const char *, int *, char *,
                        size_t) = DM_DRV_OPT(drv, index_exists);
    if ((needs_table || *emulate) && conn && index_exists) {
        char tbl[128] = "";
        if (index_exists(self, conn, d->table[0] ? d->table : NULL, d->name, &exists, tbl,
                         sizeof tbl) != DBMIG_DRV_OK)
            return catalog_error(drv, self, conn, d, err);
        if (!exists && d->if_exists)
            *skip = 1;
        if (needs_table && exists && tbl[0]) {
            char qt[140];
            size_t n = drv->quote_ident(self, conn, tbl, strlen(tbl), qt, sizeof qt);
            if (n >= sizeof qt)
                return dm_err_set(err, DBMIG_ERROR, "table name too long: %s", tbl);
            snprintf(on_table, on_cap, " ON %s", qt);
        }
    } else if (needs_table && note) {
        dm_buf_printf(note, "DROP INDEX %s needs `ON <table>` on this database and the "
                            "table can only be looked up with a connection; add it by hand.",
                      d->name);
    }
    return DBMIG_OK;
}

int dm_ddl_prepare(const dbmig_driver *drv, void *self, dbmig_conn *conn, uint32_t caps,
                   const char *sql, size_t len, dm_buf *out, int *skip, dm_buf *note, dm_err *err)
{
    *skip = 0;
    dm_ddl d;
    dm_ddl_classify(sql, len, (int)drv->dialect, &d);
    dm_span cut[2];
    size_t ncut = 0;
    int rm_conc = d.concurrently && !(caps & DBMIG_CAP_CONCURRENT_INDEX);
    int rm_if = 0, emulate = 0, exists = 0;
    char on_table[160] = "";

    /* A driver without the catalog look-up cannot have it emulated: the
     * statement then goes to the database as written. */
    if ((d.kind == DM_DDL_CREATE_INDEX || d.kind == DM_DDL_DROP_INDEX) &&
        !DM_DRV_OPT(drv, index_exists))
        d.kind = DM_DDL_OTHER;
    if ((d.kind == DM_DDL_ADD_COLUMN || d.kind == DM_DDL_DROP_COLUMN) &&
        !DM_DRV_OPT(drv, column_exists))
        d.kind = DM_DDL_OTHER;
    switch (d.kind) {
    case DM_DDL_OTHER:
        return dm_buf_append(out, sql, len) ? dm_err_nomem(err) : DBMIG_OK;
    case DM_DDL_CREATE_INDEX:
        emulate = d.if_exists && !(caps & DBMIG_CAP_CREATE_INDEX_IF_NOT_EXISTS);
        if (emulate && conn) {
            if (DM_DRV_OPT(drv, index_exists)(self, conn, d.table, d.name, &exists, NULL, 0) !=
                DBMIG_DRV_OK)
                return catalog_error(drv, self, conn, &d, err);
            if (exists)
                *skip = 1;
        }
        break;
    case DM_DDL_DROP_INDEX: {
        int rc = prep_drop_index(drv, self, conn, caps, &d, &emulate, skip, on_table,
                                 sizeof on_table, note, err);
        if (rc != DBMIG_OK)
            return rc;
        break;
    }
    case DM_DDL_ADD_COLUMN:
    case DM_DDL_DROP_COLUMN:
        emulate = d.if_exists && !(caps & (d.kind == DM_DDL_ADD_COLUMN ? DBMIG_CAP_ADD_COLUMN_IF_NOT_EXISTS
                                                                       : DBMIG_CAP_DROP_COLUMN_IF_EXISTS));
        if (emulate && conn) {
            if (DM_DRV_OPT(drv, column_exists)(self, conn, d.table, d.name, &exists) !=
                DBMIG_DRV_OK)
                return catalog_error(drv, self, conn, &d, err);
            if (exists == (d.kind == DM_DDL_ADD_COLUMN))
                *skip = 1;
        }
        break;
    }
    if (*skip)
        return DBMIG_OK;
    rm_if = emulate;
    if (emulate && !conn && note) {
        int creates = d.kind == DM_DDL_CREATE_INDEX || d.kind == DM_DDL_ADD_COLUMN;
        dm_buf_printf(note, "%sIF %sEXISTS is emulated on this database with a catalog look-up, "
                            "which an offline script cannot do: the statement below fails if %s %s "
                            "%s.",
                      note->len ? " " : "", creates ? "NOT " : "",
                      d.kind == DM_DDL_CREATE_INDEX || d.kind == DM_DDL_DROP_INDEX ? "index" : "column",
                      d.name, creates ? "already exists" : "does not exist");
    }
    if (rm_conc)
        cut[ncut++] = d.concurrently_kw;
    if (rm_if)
        cut[ncut++] = d.if_kw;
    if (ncut == 2 && cut[0].start > cut[1].start) {
        dm_span t = cut[0];
        cut[0] = cut[1];
        cut[1] = t;
    }
    if (rebuild(sql, len, cut, ncut, d.name_tok.end, on_table[0] ? on_table : NULL, out))
        return dm_err_nomem(err);
    return DBMIG_OK;
}
