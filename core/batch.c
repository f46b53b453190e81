/* batch.c — batched statements (SPEC section 14; batch.h).
 *
 * The marker: `-- dbmig:batch` marks the statement below it, which is run
 * again and again, each run committed alone, until it changes no row (the
 * plain form: the statement itself limits how many rows one run touches).
 * `-- dbmig:batch by COL size N [from TABLE]` is the keyset form: the
 * statement uses :lo (inclusive) and :hi (exclusive), replaced by integer
 * literals while COL's range, read once when the statement starts
 * (`SELECT MIN(COL), MAX(COL) FROM TABLE`), is walked in steps of N.
 *
 * A step holding a batch statement runs outside any group commit, under
 * the dirty protocol (its row is written dirty first by exec.c). Where the
 * driver has transactional DDL, each maximal run of the other statements
 * commits in one transaction with its progress write, so those keep their
 * atomicity; elsewhere they follow the usual statement-by-statement
 * protocol. Each batch commits in one transaction with its progress write
 * (the "b1:..." progress_hash, batch.h), so a kill never loses or repeats
 * a committed batch, and `upgrade --resume` (or a plain upgrade, which
 * resumes such a row by itself) goes on from the next one.
 */
#define _POSIX_C_SOURCE 200809L
#include "batch.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "ddlwait.h"
#include "engine.h"
#include "exec.h"
#include "sha256.h"

/* ---- lexical helpers ----------------------------------------------------------
 * Kept apart from the project's two other lexers on purpose (checked in
 * review): split.c's token skippers work on its streaming window (hints,
 * SP_NEED for a token cut by a chunk, the error of an unterminated one) and
 * are not callable on a whole statement; ddl.c's classifier tokenizer has
 * no dollar bodies, E'...' or MySQL backslash escapes, so a ':lo' inside
 * one would be taken for a placeholder. Finding :lo/:hi needs exactly the
 * splitter's rules over one finished statement (dm_split already checked
 * that every quote and comment is closed), which is what these do. */

static int word_ch(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }
static size_t word_end(const char *s, size_t n, size_t i);

static int ci_word(const char *p, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)p[i]) != w[i])
            return 0;
    return 1;
}

/* The end of a quoted token opened at s[i] by q ('', "" doubled; bs:
 * backslash escapes), or n when it is not closed. */
static size_t skip_quoted(const char *s, size_t n, size_t i, char q, int bs)
{
    size_t j = i + 1;
    while (j < n) {
        if ((bs && s[j] == '\\') || (s[j] == q && j + 1 < n && s[j + 1] == q))
            j += 2; /* an escaped or a doubled quote */
        else if (s[j] == q)
            return j + 1;
        else
            j++;
    }
    return n;
}

static size_t skip_block(const char *s, size_t n, size_t i, int nested)
{
    size_t depth = 0, j = i;
    while (j + 1 < n) {
        if (s[j] == '/' && s[j + 1] == '*' && (nested || depth == 0)) {
            depth++;
            j += 2;
        } else if (s[j] == '*' && s[j + 1] == '/') {
            j += 2;
            if (--depth == 0)
                return j;
        } else {
            j++;
        }
    }
    return n;
}

/* PostgreSQL: a $tag$ ... $tag$ body opened at s[i]; i when none is. */
static size_t skip_dollar(const char *s, size_t n, size_t i)
{
    if (i > 0 && word_ch((unsigned char)s[i - 1]))
        return i;
    size_t j = i + 1;
    while (j < n && (isalpha((unsigned char)s[j]) || s[j] == '_' ||
                     (j > i + 1 && isdigit((unsigned char)s[j]))))
        j++;
    if (j >= n || s[j] != '$')
        return i;
    size_t tl = j + 1 - i;
    for (size_t k = j + 1; k + tl <= n; k++)
        if (memcmp(s + k, s + i, tl) == 0)
            return k + tl;
    return n;
}

/* The end of the token at s[i] that holds no placeholder (a quote, a quoted
 * identifier, a comment, a dollar body), or i when none starts there. */
static size_t skip_opaque(const char *s, size_t n, size_t i, int d)
{
    char c = s[i];
    char nx = i + 1 < n ? s[i + 1] : '\0';
    if (c == '\'') {
        int e = d == DBMIG_DIALECT_POSTGRES && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                (i < 2 || !word_ch((unsigned char)s[i - 2]));
        return skip_quoted(s, n, i, '\'', d == DBMIG_DIALECT_MYSQL || e);
    }
    if (c == '"')
        return skip_quoted(s, n, i, '"', d == DBMIG_DIALECT_MYSQL);
    if (c == '`' && (d == DBMIG_DIALECT_MYSQL || d == DBMIG_DIALECT_SQLITE))
        return skip_quoted(s, n, i, '`', 0);
    if (c == '[' && d == DBMIG_DIALECT_SQLITE) {
        const char *e = memchr(s + i, ']', n - i);
        return e ? (size_t)(e - s) + 1 : n;
    }
    if ((c == '-' && nx == '-') || (c == '#' && d == DBMIG_DIALECT_MYSQL)) {
        const char *e = memchr(s + i, '\n', n - i);
        return e ? (size_t)(e - s) : n;
    }
    if (c == '/' && nx == '*')
        return skip_block(s, n, i, d == DBMIG_DIALECT_POSTGRES);
    if (c == '$' && d == DBMIG_DIALECT_POSTGRES)
        return skip_dollar(s, n, i);
    return i;
}

/* 1 (:lo) or 2 (:hi) when a placeholder starts at s[i], else 0. */
static unsigned placeholder_at(const char *s, size_t n, size_t i)
{
    if (s[i] != ':' || i + 3 > n || (i > 0 && (s[i - 1] == ':' || word_ch((unsigned char)s[i - 1]))))
        return 0;
    if (i + 3 < n && word_ch((unsigned char)s[i + 3]))
        return 0;
    return memcmp(s + i + 1, "lo", 2) == 0 ? 1u : memcmp(s + i + 1, "hi", 2) == 0 ? 2u : 0u;
}

/* A `:name` that is not :lo or :hi (outside quotes and comments; not a
 * `::` cast, `:=`, or a slice bound after a word): its offset and length
 * in *off, *nlen, and 1; else 0. SQLite would bind it as NULL and
 * PostgreSQL refuse it at the first batch: a misspelt :lo is a file error. */
static int unknown_param(const char *s, size_t n, int d, size_t *off, size_t *nlen)
{
    for (size_t i = 0; i < n;) {
        size_t e = skip_opaque(s, n, i, d);
        if (e != i) {
            i = e;
            continue;
        }
        if (s[i] == ':' && i + 1 < n && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_') &&
            (i == 0 || (s[i - 1] != ':' && !word_ch((unsigned char)s[i - 1]))) &&
            !placeholder_at(s, n, i)) {
            *off = i;
            *nlen = word_end(s, n, i + 1) - i;
            return 1;
        }
        i++;
    }
    return 0;
}

int dm_batch_subst(const char *sql, size_t len, int dialect, int64_t lo, int64_t hi,
                   dm_buf *out, unsigned *found)
{
    size_t i = 0, from = 0;
    int oom = 0;
    *found = 0;
    while (i < len) {
        size_t e = skip_opaque(sql, len, i, dialect);
        if (e != i) {
            i = e;
            continue;
        }
        unsigned p = placeholder_at(sql, len, i);
        if (!p) {
            i++;
            continue;
        }
        *found |= p;
        if (out)
            oom |= dm_buf_append(out, sql + from, i - from) ||
                   dm_buf_printf(out, "%lld", (long long)(p == 1 ? lo : hi));
        i += 3;
        from = i;
    }
    if (out)
        oom |= dm_buf_append(out, sql + from, len - from);
    return oom ? -1 : 0;
}

/* Blank space and comments from s[i]. */
static size_t skip_space(const char *s, size_t n, size_t i, int d)
{
    for (;;) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i >= n)
            return n;
        int comment = (s[i] == '-' && i + 1 < n && s[i + 1] == '-') || (s[i] == '/' && i + 1 < n && s[i + 1] == '*') ||
                      (s[i] == '#' && d == DBMIG_DIALECT_MYSQL);
        if (!comment)
            return i;
        i = skip_opaque(s, n, i, d);
    }
}

/* The word at s[i] (letters, digits, _): its end. */
static size_t word_end(const char *s, size_t n, size_t i)
{
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_'))
        i++;
    return i;
}

/* A name at s[i], quoted or not, with its dotted parts: its end (i: none). */
static size_t name_end(const char *s, size_t n, size_t i, int d)
{
    size_t j = i;
    for (;;) {
        size_t e = j;
        if (j < n && (s[j] == '"' || s[j] == '`' || (s[j] == '[' && d == DBMIG_DIALECT_SQLITE)))
            e = skip_opaque(s, n, j, d);
        else
            while (e < n && word_ch((unsigned char)s[e]))
                e++;
        if (e == j)
            return i;
        j = e;
        if (j >= n || s[j] != '.')
            return j;
        j++;
    }
}

/* Skips the words of `skip` (any number, in any order) at s[*i]. */
static void skip_words(const char *s, size_t n, size_t *i, int d, const char *const *skip)
{
    for (int again = 1; again;) {
        again = 0;
        *i = skip_space(s, n, *i, d);
        size_t e = word_end(s, n, *i);
        for (size_t k = 0; skip[k] && !again; k++)
            if (ci_word(s + *i, e - *i, skip[k])) {
                *i = e;
                again = 1;
            }
    }
}

int dm_batch_table(const char *sql, size_t len, int dialect, const dm_batchmark *m, dm_buf *out)
{
    static const char *const upd[] = {"only", "low_priority", "ignore", NULL};
    static const char *const del[] = {"low_priority", "quick", "ignore", NULL};
    if (m->from)
        return dm_buf_puts(out, m->from) ? -1 : 0;
    size_t i = skip_space(sql, len, 0, dialect), e = word_end(sql, len, i);
    if (ci_word(sql + i, e - i, "update")) {
        i = e;
        skip_words(sql, len, &i, dialect, upd);
        if (ci_word(sql + i, word_end(sql, len, i) - i, "or")) { /* SQLite: UPDATE OR IGNORE t */
            i = skip_space(sql, len, word_end(sql, len, i), dialect);
            i = word_end(sql, len, i);
        }
    } else if (ci_word(sql + i, e - i, "delete")) {
        i = e;
        skip_words(sql, len, &i, dialect, del);
        e = word_end(sql, len, i);
        if (!ci_word(sql + i, e - i, "from"))
            return -1; /* MySQL's multi-table DELETE t1 FROM ...: name it with `from` */
        i = e;
        skip_words(sql, len, &i, dialect, upd);
    } else {
        return -1;
    }
    i = skip_space(sql, len, i, dialect);
    e = name_end(sql, len, i, dialect);
    if (e == i)
        return -1;
    return dm_buf_append(out, sql + i, e - i) ? -1 : 0;
}

/* ---- the marker ----------------------------------------------------------------- */

#define BATCH_FORMS                                                                           \
    "-- dbmig:batch (run the statement until it changes no row) or -- dbmig:batch by COLUMN " \
    "size N [from TABLE] (walk COLUMN's range with :lo and :hi)"

void dm_batchmark_free(dm_batchmark *m)
{
    if (!m)
        return;
    free(m->col);
    free(m->from);
    m->col = m->from = NULL;
}

/* An identifier (a column, a table, schema.table): letters, digits, _ and
 * $, dots between parts. */
static int ident_ok(const char *w)
{
    if (!*w || *w == '.' || isdigit((unsigned char)*w))
        return 0;
    for (const char *p = w; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (*p == '.' && p[1] && p[1] != '.')))
            return 0;
    return 1;
}

static int marker_word(const char *path, int line, const dm_strv *w, size_t *k, dm_batchmark *m,
                       long long *size_seen, dm_err *err)
{
    const char *key = w->v[*k];
    int by = ci_word(key, strlen(key), "by"), sz = ci_word(key, strlen(key), "size"),
        fr = ci_word(key, strlen(key), "from");
    if (!by && !sz && !fr)
        return dm_err_set(err, DBMIG_EINVALID, "%s:%d: -- dbmig:batch: unknown word '%s'. Write " BATCH_FORMS,
                          path, line, key);
    if (*k + 1 >= w->n)
        return dm_err_set(err, DBMIG_EINVALID, "%s:%d: -- dbmig:batch: '%s' needs a value. Write " BATCH_FORMS,
                          path, line, key);
    const char *v = w->v[++*k];
    if ((by && m->col) || (fr && m->from) || (sz && *size_seen))
        return dm_err_set(err, DBMIG_EINVALID, "%s:%d: -- dbmig:batch gives '%s' twice. Keep one",
                          path, line, key);
    if (sz) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (isdigit((unsigned char)*v) && !*end && errno == ERANGE)
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:batch: size '%s' is not a positive integer of 64 "
                              "bits: it is too large (at most %lld). "
                              "Write the rows of the column's range one batch covers, e.g. "
                              "size 1000",
                              path, line, v, (long long)INT64_MAX);
        if (!isdigit((unsigned char)*v) || *end || errno || n <= 0)
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:batch: size '%s' is not a positive integer. Write the "
                              "rows of the column's range one batch covers, e.g. size 1000",
                              path, line, v);
        *size_seen = m->size = n;
        return 0;
    }
    if (!ident_ok(v))
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:batch: '%s' is not a plain %s name (letters, digits, _; "
                          "schema.table for a table). Name it without quotes",
                          path, line, v, by ? "column" : "table");
    char **dst = by ? &m->col : &m->from;
    *dst = dm_strdup(v);
    return *dst ? 0 : dm_err_nomem(err);
}

int dm_batch_parse_marker(const char *path, int line, const char *val, size_t vallen,
                          dm_batchmark *out, dm_err *err)
{
    dm_strv w = {0};
    out->col = out->from = NULL;
    out->size = 0;
    size_t i = 0;
    while (i < vallen) { /* words split on blanks */
        while (i < vallen && isspace((unsigned char)val[i]))
            i++;
        size_t b = i;
        while (i < vallen && !isspace((unsigned char)val[i]))
            i++;
        if (i > b && dm_strv_pushn(&w, val + b, i - b))
            return dm_strv_free(&w), dm_err_nomem(err);
    }
    long long size_seen = 0;
    int rc = 0;
    for (size_t k = 0; k < w.n && !rc; k++)
        rc = marker_word(path, line, &w, &k, out, &size_seen, err);
    dm_strv_free(&w);
    if (!rc && (out->col != NULL) != (size_seen != 0))
        rc = dm_err_set(err, DBMIG_EINVALID, "%s:%d: -- dbmig:batch: %s. Write " BATCH_FORMS, path,
                        line, out->col ? "`by` needs `size N`" : "`size` needs `by COLUMN`");
    if (!rc && out->from && !out->col)
        rc = dm_err_set(err, DBMIG_EINVALID,
                        "%s:%d: -- dbmig:batch: `from TABLE` belongs to the keyset form. Write " BATCH_FORMS,
                        path, line);
    if (rc)
        dm_batchmark_free(out);
    return rc;
}

/* The first keyword of a statement, lowercase, into kw. */
static void first_word(const char *sql, size_t len, int d, char kw[16])
{
    size_t i = skip_space(sql, len, 0, d), e = word_end(sql, len, i);
    size_t n = e > i ? e - i : 0;
    if (n > 15)
        n = 15;
    for (size_t k = 0; k < n; k++)
        kw[k] = (char)tolower((unsigned char)sql[i + k]);
    kw[n] = '\0';
}

int dm_batch_check_stmt(const char *path, const dm_batchmark *m, const dm_stmt *st, int dialect,
                        dm_err *err)
{
    char kw[16];
    first_word(st->sql, st->len, dialect, kw);
    if (strcmp(kw, "insert") != 0 && strcmp(kw, "update") != 0 && strcmp(kw, "delete") != 0 &&
        strcmp(kw, "with") != 0)
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:batch (line %d) marks a statement that is not INSERT, "
                          "UPDATE or DELETE ('%s'): only a statement that changes a bounded number "
                          "of rows per run can be batched. Move the marker above such a statement, "
                          "or remove it",
                          path, st->line, m->line, kw);
    unsigned found = 0;
    size_t off = 0, nlen = 0;
    if (unknown_param(st->sql, st->len, dialect, &off, &nlen))
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: %.*s in the statement marked -- dbmig:batch (line %d) is not a "
                          "placeholder dbmig fills: a batch statement may use only :lo and :hi "
                          "(the keyset form). Fix the name (:lo, :hi) or write the value itself",
                          path, st->line, (int)nlen, st->sql + off, m->line);
    dm_batch_subst(st->sql, st->len, dialect, 0, 0, NULL, &found);
    if (m->col && found != 3)
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:batch by %s (line %d) marks a statement without %s: the "
                          "keyset form replaces :lo and :hi with each batch's range. Write e.g. "
                          "WHERE %s >= :lo AND %s < :hi",
                          path, st->line, m->col, m->line,
                          found == 1 ? ":hi" : found == 2 ? ":lo" : ":lo and :hi", m->col, m->col);
    if (!m->col && found)
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: the statement uses %s, but its marker (line %d) is the plain "
                          "-- dbmig:batch, which has no range. Write -- dbmig:batch by COLUMN size "
                          "N, or limit the rows each run changes in the statement itself",
                          path, st->line, found == 1 ? ":lo" : found == 2 ? ":hi" : ":lo and :hi",
                          m->line);
    dm_buf t = {0};
    int none = m->col && dm_batch_table(st->sql, st->len, dialect, m, &t) != 0;
    dm_buf_free(&t);
    if (none)
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:batch by %s (line %d): which table's %s is walked "
                          "cannot be told from this statement (only an UPDATE's or DELETE's "
                          "target is). Name it: -- dbmig:batch by %s size %lld from TABLE",
                          path, st->line, m->col, m->line, m->col, m->col, m->size);
    return 0;
}

/* ---- progress ---------------------------------------------------------------------- */

int dm_batch_progress_fmt(char out[96], const char *v1hash, int64_t lo, int64_t batches,
                          int64_t rows)
{
    const char *hex = strncmp(v1hash, "v1:", 3) == 0 ? v1hash + 3 : v1hash;
    int n = snprintf(out, 96, "b1:%.32s:%lld:%lld:%lld", hex, (long long)lo, (long long)batches,
                     (long long)rows);
    return n > 0 && n <= 80 ? 0 : -1;
}

static int parse_num(const char **p, int64_t *out, char stop)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (end == *p || errno || *end != stop)
        return -1;
    *out = v;
    *p = end + (stop ? 1 : 0);
    return 0;
}

int dm_batch_progress_parse(const char *s, char hash32[33], int64_t *lo, int64_t *batches,
                            int64_t *rows)
{
    if (!s || strncmp(s, "b1:", 3) != 0 || strlen(s) < 36 || s[35] != ':')
        return 0;
    for (int i = 3; i < 35; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    const char *p = s + 36;
    if (parse_num(&p, lo, ':') || parse_num(&p, batches, ':') || parse_num(&p, rows, '\0'))
        return 0;
    memcpy(hash32, s + 3, 32);
    hash32[32] = '\0';
    return 1;
}

/* ---- running a step -------------------------------------------------------------- */

typedef struct bx {
    dm_run *x;
    dm_step *s;
    dbmig *h;
    const dm_migfile *f;
    const char *id;
    dm_buf *why;
    int tddl;       /* runs of other statements commit in one transaction each */
    int open;       /* such a run's transaction is open ... */
    size_t run0;    /* ... since this statement */
    dm_sha256 md;   /* the statements before the current one */
    size_t at;      /* see dm_batch_exec */
    int told;
} bx;

/* A batch statement under way. */
typedef struct bstate {
    const dm_stmt *st;
    size_t k;
    const dm_batchmark *m;
    char v1[DM_CHECKSUM_LEN + 1]; /* hash of statements 0..k-1 */
    int64_t lo, hi, min, max, size, lo0;
    int64_t batches, rows, rows0; /* totals (resumed ones included); rows at this run's start */
    double t0;
} bstate;

static void v1_now(const bx *b, char out[DM_CHECKSUM_LEN + 1]) { dm_sha256_v1(&b->md, out); }

/* Commits the open run of other statements with its progress (k done). */
static int bx_commit_run(bx *b, size_t k)
{
    dbmig *h = b->h;
    if (!b->open)
        return DBMIG_OK;
    char hash[DM_CHECKSUM_LEN + 1];
    v1_now(b, hash);
    b->open = 0;
    int rc = dm_vt_progress(h, b->id, k, hash);
    if (rc == DBMIG_OK && h->drv->commit(h->drv_self, h->conn) != DBMIG_DRV_OK)
        rc = dm_db_error(h, "commit failed");
    if (rc != DBMIG_OK) {
        h->drv->rollback(h->drv_self, h->conn);
        b->at = b->run0;
        dm_buf_puts(b->why, dm_err_msg(&h->err));
    }
    return rc;
}

/* A statement that is not a batch one. */
static int bx_stmt(bx *b, size_t k, const dm_stmt *st)
{
    dbmig *h = b->h;
    int group = b->tddl && !dm_ddl_needs_autocommit(st->sql, st->len, (int)h->drv->dialect, h->caps);
    int rc = group ? DBMIG_OK : bx_commit_run(b, k);
    if (rc == DBMIG_OK && group && !b->open) {
        if (h->drv->begin(h->drv_self, h->conn) != DBMIG_DRV_OK) {
            b->at = k;
            return dm_db_error(h, "cannot begin a transaction");
        }
        b->open = 1;
        b->run0 = k;
    }
    if (rc != DBMIG_OK)
        return rc;
    double t0 = dm_now_ms();
    dm_exec_report_stmt(b->x, b->s, k, st, 0, 0);
    if (dm_exec_stmt(b->x, b->s->rev, st, k, b->s->nstmts, b->why) != DBMIG_OK) {
        if (b->open)
            h->drv->rollback(h->drv_self, h->conn);
        b->at = b->open ? b->run0 : k;
        b->open = 0;
        if (dm_exec_stopped(h)) { /* cancelled: it counts as not run */
            b->x->cancelled = 1;
            b->x->fail.stmt = b->at + 1;
            dm_buf_reset(b->why);
            return DBMIG_EINTERRUPTED;
        }
        return DBMIG_ERROR;
    }
    dm_exec_report_stmt(b->x, b->s, k, st, 1, dm_now_ms() - t0);
    dm_sha256_update(&b->md, st->sql, st->len + 1);
    if (b->open)
        return DBMIG_OK;
    char hash[DM_CHECKSUM_LEN + 1];
    v1_now(b, hash);
    rc = dm_vt_progress(h, b->id, k + 1, hash);
    if (rc != DBMIG_OK)
        b->at = k + 1, dm_buf_puts(b->why, dm_err_msg(&h->err));
    return rc;
}

static int bx_progress(bx *b, const bstate *q, int64_t lo, int64_t batches, int64_t rows)
{
    char p[96];
    if (dm_batch_progress_fmt(p, q->v1, lo, batches, rows) != 0)
        return dm_err_set(&b->h->err, DBMIG_ERROR,
                          "%s:%d: the batch position (lo %lld) does not fit the version table's "
                          "progress_hash column", b->f->path, q->st->line, (long long)lo);
    if (b->x->down) /* "bd:": never read as an upgrade's position (resumed, shown) */
        p[1] = 'd';
    return dm_vt_progress(b->h, b->id, q->k, p);
}

/* The range of batch q (keyset), or "" (plain), for messages. */
static void range_text(const bstate *q, char out[160])
{
    if (q->m->col)
        snprintf(out, 160, " (%.64s %lld..%lld)", q->m->col, (long long)q->lo,
                 (long long)(q->hi - 1));
    else
        out[0] = '\0';
}

/* Batch number q->batches + 1 failed (or was cancelled: DBMIG_EINTERRUPTED):
 * its transaction is rolled back; say which, and what is committed. */
static int bx_failed(bx *b, const bstate *q, const dbmig_db_error *le)
{
    dm_run *x = b->x;
    dbmig *h = b->h;
    dbmig_db_error e;
    if (le)
        e = *le;
    else
        memset(&e, 0, sizeof e);
    h->drv->rollback(h->drv_self, h->conn);
    b->at = q->k;
    b->told = 1;
    x->fail.stmt = q->k + 1;
    x->fail.line = q->st->line;
    if (dm_exec_stopped(h)) {
        x->cancelled = 1;
        return DBMIG_EINTERRUPTED;
    }
    char range[160];
    range_text(q, range);
    x->fail.db = 1;
    x->fail.verify = 0;
    snprintf(x->fail.code, sizeof x->fail.code, "%.*s", (int)sizeof e.code, e.code);
    snprintf(x->fail.detail, sizeof x->fail.detail, "%.*s", (int)sizeof e.detail, e.detail);
    snprintf(x->fail.hint, sizeof x->fail.hint, "%.*s", (int)sizeof e.hint, e.hint);
    e.position = 0;
    dm_buf_printf(b->why, "%s:%d: batch %lld%s of statement %zu of %zu of revision %s failed: ",
                  b->f->path, q->st->line, (long long)q->batches + 1, range, q->k + 1,
                  b->s->nstmts, b->id);
    dm_db_error_format(b->why, &e);
    dm_buf_printf(b->why,
                  "\nthat batch was rolled back; revision %s is marked dirty: %lld batch(es) of "
                  "statement %zu are committed (%lld row(s)) and recorded. Fix the cause, then "
                  "run `dbmig upgrade --resume` (a plain `dbmig upgrade` resumes it too) to go "
                  "on from batch %lld, or settle it with `dbmig repair --applied %s` or "
                  "`--reverted %s`",
                  b->id, (long long)q->batches, q->k + 1, (long long)q->rows,
                  (long long)q->batches + 1, b->id, b->id);
    return DBMIG_ERROR;
}

/* A batch's statement failed (its transaction still open). A lock
 * time-out under --ddl-lock-timeout with retries left: rolled back, the
 * retry reported and waited for, and DM_BATCH_AGAIN (the batch is its own
 * transaction and idempotent, so running it again is safe). Else the
 * failure as bx_failed says it, with "gave up after N retries" when they
 * ran out. */
#define DM_BATCH_AGAIN 1
static int bx_stop_check(bx *b, const bstate *q);
static int bx_exec_failed(bx *b, const bstate *q)
{
    dbmig *h = b->h;
    const dbmig_db_error *le = h->drv->last_error(h->drv_self, h->conn);
    dbmig_db_error e;
    if (le)
        e = *le;
    else
        memset(&e, 0, sizeof e);
    dm_buf gave = {0};
    int again = 0;
    if (!dm_exec_stopped(h) && dm_ddlwait_retryable(h, e.kind)) {
        h->drv->rollback(h->drv_self, h->conn);
        char range[160];
        range_text(q, range);
        b->x->fail.stmt = q->k + 1; /* the RETRY event's statement, line and text */
        b->x->fail.line = q->st->line;
        dm_buf_printf(&gave, "batch %lld%s failed: ", (long long)q->batches + 1, range);
        dm_db_error_format(&gave, &e);
        again = dm_exec_retry_wait(b->x, (size_t)(b->s - b->x->steps), e.kind, &gave);
    }
    if (again == 1) {
        dm_buf_free(&gave);
        return DM_BATCH_AGAIN;
    }
    int rc = again == DBMIG_EINTERRUPTED ? bx_stop_check(b, q) : bx_failed(b, q, &e);
    const char *out = gave.len ? strstr(dm_buf_str(&gave), "\ngave up") : NULL;
    if (rc == DBMIG_ERROR && out) /* the error itself is bx_failed's */
        dm_buf_puts(b->why, out);
    dm_buf_free(&gave);
    return rc;
}

/* One batch: the statement (sql) and the progress after it, in one
 * transaction. *aff: the rows it changed; DM_BATCH_AGAIN when it was
 * rolled back to be run again (a lock time-out, see bx_exec_failed). */
static int bx_try(bx *b, bstate *q, const char *sql, size_t len, int64_t next_lo, int64_t *aff)
{
    dbmig *h = b->h;
    *aff = 0;
    if (h->drv->begin(h->drv_self, h->conn) != DBMIG_DRV_OK) {
        dm_db_error(h, "cannot begin a batch's transaction");
        dm_buf_puts(b->why, dm_err_msg(&h->err));
        b->at = q->k;
        return DBMIG_ERROR;
    }
    dm_ddlwait_enter(b->x->dw); /* the watcher names who blocks a waiting batch */
    int drc = h->drv->exec(h->drv_self, h->conn, sql, len, aff);
    dm_ddlwait_leave(b->x->dw);
    if (drc != DBMIG_DRV_OK)
        return bx_exec_failed(b, q);
    dm_retry *r = dm_ddlwait_retry(b->x->dw);
    if (r)
        r->attempt = 0; /* --ddl-retries counts per batch, not per backfill */
    int rc = DBMIG_OK;
    if (*aff > 0 || q->m->col) /* the plain form's last run changed nothing: no record */
        rc = bx_progress(b, q, next_lo, q->batches + 1, q->rows + (*aff > 0 ? *aff : 0));
    if (rc == DBMIG_OK && h->drv->commit(h->drv_self, h->conn) != DBMIG_DRV_OK)
        rc = dm_db_error(h, "cannot commit a batch");
    if (rc != DBMIG_OK) {
        h->drv->rollback(h->drv_self, h->conn);
        b->at = q->k;
        dm_buf_puts(b->why, dm_err_msg(&h->err));
    }
    return rc;
}

/* One batch, run again after each lock time-out that is retried. */
static int bx_one(bx *b, bstate *q, const char *sql, size_t len, int64_t next_lo, int64_t *aff)
{
    int rc;
    do
        rc = bx_try(b, q, sql, len, next_lo, aff);
    while (rc == DM_BATCH_AGAIN);
    return rc;
}

/* DBMIG_EV_BATCH after a committed batch that took ms; once with 0
 * batches when the statement had nothing to do (an empty table, a plain
 * statement's first run changed no row), so that its totals are shown. */
static void bx_event(bx *b, const bstate *q, double ms)
{
    dbmig *h = b->h;
    if (!h->o.on_event)
        return;
    double secs = (dm_now_ms() - q->t0) / 1000.0;
    dbmig_event ev = {0};
    ev.kind = DBMIG_EV_BATCH;
    ev.level = DBMIG_LOG_INFO;
    ev.downgrade = b->x->down;
    ev.index = (size_t)(b->s - b->x->steps) + 1;
    ev.total = b->x->n;
    ev.revision = b->f->revision;
    ev.message = b->f->message;
    ev.file = b->f->path;
    ev.line = q->st->line;
    ev.stmt = q->k + 1;
    ev.nstmts = b->s->nstmts;
    ev.ms = ms;
    ev.rows = q->rows;
    ev.batches = q->batches;
    ev.rate = secs > 0 ? (double)(q->rows - q->rows0) / secs : 0;
    ev.percent = ev.eta_s = -1;
    if (q->m->col && q->batches == 0) { /* an empty table: nothing to walk */
        ev.percent = 100.0;
        ev.eta_s = 0;
    } else if (q->m->col) {
        ev.lo = q->lo;
        ev.hi = q->hi;
        double all = (double)q->max + 1 - (double)q->min, now = (double)q->hi - (double)q->min;
        ev.percent = all > 0 ? (now >= all ? 100.0 : 100.0 * now / all) : 100.0;
        double walked = (double)q->hi - (double)q->lo0, left = (double)q->max + 1 - (double)q->hi;
        ev.eta_s = walked > 0 && secs > 0 ? (left > 0 ? left * secs / walked : 0) : -1;
    }
    h->o.on_event(h->o.event_payload, &ev);
}

/* --batch-pause, in slices so that a stop is not kept waiting. */
static void bx_pause(const bx *b)
{
    for (int left = b->h->o.batch_pause_ms; left > 0 && !dm_exec_stopped(b->h); left -= 100)
        dm_sleep_ms(left < 100 ? left : 100);
}

/* --batch-time: the next keyset size, so that a batch takes about that long
 * (x0.5 .. x2 per step, at least 1). */
static void bx_adapt(const bx *b, bstate *q, double ms)
{
    int target = b->h->o.batch_time_ms;
    if (target <= 0 || !q->m->col)
        return;
    double f = ms > 0 ? target / ms : 2.0;
    f = f < 0.5 ? 0.5 : f > 2.0 ? 2.0 : f;
    double n = (double)q->size * f;
    q->size = n < 1 ? 1 : n > 1e15 ? (int64_t)1e15 : (int64_t)n;
}

/* After a committed batch: a stop ends the step here (a statement
 * boundary: the row is dirty with this batch recorded). */
static int bx_stop_check(bx *b, const bstate *q)
{
    if (!dm_exec_stopped(b->h))
        return DBMIG_OK;
    b->at = q->k;
    b->told = 1;
    b->x->fail.stmt = q->k + 1;
    b->x->fail.line = q->st->line;
    return DBMIG_EINTERRUPTED;
}

/* Reads MIN(col), MAX(col): *null when the table has no row. */
typedef struct minmax {
    int64_t v[2];
    int null, bad;
} minmax;

static int minmax_row(void *payload, int ncols, const char *const *values, const size_t *lengths)
{
    (void)lengths;
    minmax *m = payload;
    for (int i = 0; i < 2; i++) {
        if (ncols < 2 || !values[i]) {
            m->null = 1;
            continue;
        }
        char *end = NULL;
        errno = 0;
        long long v = strtoll(values[i], &end, 10);
        if (end == values[i] || errno || (*end && *end != '.'))
            m->bad = 1;
        m->v[i] = v;
    }
    return 1;
}

/* The range could not be read before anything of the step ran (its first
 * statement, not a resume): the dirty row goes, so that fixing the marker
 * is all that is needed, and the message says so. */
static void bx_range_forget(bx *b, bstate *q)
{
    if (q->k != 0 || b->s->resume || b->x->down || dm_vt_delete(b->h, b->id) != DBMIG_OK)
        return;
    dm_buf_printf(b->why, "\nnothing of %s was applied (its batch statement never started), so "
                          "it is not marked dirty; fix the file and run the command again",
                  b->id);
    b->told = 1;
}

static int bx_range(bx *b, bstate *q, int *empty)
{
    dbmig *h = b->h;
    dm_buf sql = {0}, t = {0};
    minmax mm = {{0, 0}, 0, 0};
    int rc = dm_batch_table(q->st->sql, q->st->len, (int)h->drv->dialect, q->m, &t) != 0
                 ? dm_err_set(&h->err, DBMIG_EINVALID, "%s:%d: no table to walk", b->f->path, q->st->line)
             : dm_buf_printf(&sql, "SELECT MIN(%s), MAX(%s) FROM %s", q->m->col, q->m->col, dm_buf_str(&t))
                 ? dm_err_nomem(&h->err)
                 : DBMIG_OK;
    if (rc == DBMIG_OK && h->drv->query(h->drv_self, h->conn, dm_buf_str(&sql), minmax_row, &mm) != DBMIG_DRV_OK) {
        dm_buf what = {0};
        dm_buf_printf(&what, "%s:%d: -- dbmig:batch by %s (line %d) cannot read the range to walk "
                             "(%s); check the column and table it names",
                      b->f->path, q->m->line, q->m->col, q->m->line, dm_buf_str(&sql));
        rc = dm_db_error(h, what.len ? dm_buf_str(&what) : dm_buf_str(&sql));
        dm_buf_free(&what);
    }
    if (rc == DBMIG_OK && mm.bad)
        rc = dm_err_set(&h->err, DBMIG_EINVALID,
                        "%s:%d: -- dbmig:batch by %s (line %d): %s is not an integer column of %s; "
                        "the keyset form walks an integer column (the primary key, usually)",
                        b->f->path, q->st->line, q->m->col, q->m->line, q->m->col, dm_buf_str(&t));
    if (rc == DBMIG_OK && !mm.null && mm.v[1] == INT64_MAX)
        rc = dm_err_set(&h->err, DBMIG_EINVALID,
                        "%s:%d: -- dbmig:batch by %s (line %d): the largest %s of %s is "
                        "9223372036854775807, which no range [:lo, :hi) can reach (:hi is "
                        "exclusive and cannot go past it); use the plain form -- dbmig:batch "
                        "with a bounded statement for this table",
                        b->f->path, q->st->line, q->m->col, q->m->line, q->m->col, dm_buf_str(&t));
    dm_buf_free(&sql);
    dm_buf_free(&t);
    if (rc != DBMIG_OK) {
        b->at = q->k;
        dm_buf_puts(b->why, dm_err_msg(&h->err));
        bx_range_forget(b, q);
        return rc;
    }
    *empty = mm.null;
    q->min = mm.v[0];
    q->max = mm.v[1];
    return DBMIG_OK;
}

/* The keyset form: [lo, lo + size) from the start (or resumed) lo while lo
 * <= max. */
static int bx_keyset(bx *b, bstate *q)
{
    dbmig *h = b->h;
    int empty = 0, rc = bx_range(b, q, &empty);
    if (rc != DBMIG_OK || empty)
        return rc;
    if (!(b->s->in_batch && q->k == b->s->start)) {
        q->lo = q->min;
        if ((rc = bx_progress(b, q, q->lo, 0, 0)) != DBMIG_OK) { /* the b1 state, before batch 1 */
            b->at = q->k;
            dm_buf_puts(b->why, dm_err_msg(&h->err));
            return rc;
        }
    }
    q->lo0 = q->lo;
    dm_buf sql = {0};
    unsigned found;
    while (rc == DBMIG_OK && q->lo <= q->max) {
        q->hi = q->lo > INT64_MAX - q->size ? INT64_MAX : q->lo + q->size;
        dm_buf_reset(&sql);
        if (dm_batch_subst(q->st->sql, q->st->len, (int)h->drv->dialect, q->lo, q->hi, &sql, &found)) {
            rc = dm_err_nomem(&h->err);
            break;
        }
        double t0 = dm_now_ms();
        int64_t aff = 0;
        rc = bx_one(b, q, dm_buf_str(&sql), sql.len, q->hi, &aff);
        if (rc != DBMIG_OK)
            break;
        double ms = dm_now_ms() - t0;
        q->batches++;
        q->rows += aff > 0 ? aff : 0;
        bx_event(b, q, ms);
        if (q->hi == INT64_MAX)
            break;
        q->lo = q->hi;
        bx_adapt(b, q, ms);
        if ((rc = bx_stop_check(b, q)) == DBMIG_OK && q->lo <= q->max)
            bx_pause(b);
        if (rc == DBMIG_OK)
            rc = bx_stop_check(b, q);
    }
    dm_buf_free(&sql);
    return rc;
}

/* The plain form: again until a run changes no row (SPEC 14). A statement
 * that keeps matching what it changed never gets there; no guard is
 * guessed (a sound backfill changes its LIMIT every run, the same count
 * again and again, and nothing here knows the table's size): the progress
 * shows it, a stop ends it between two batches (docs/zero-downtime.md). */
static int bx_plain(bx *b, bstate *q)
{
    dbmig *h = b->h;
    if (h->o.batch_time_ms > 0 && q->batches == 0) {
        char t[300];
        snprintf(t, sizeof t,
                 "%s:%d: --batch-time does not apply to a plain -- dbmig:batch statement (its "
                 "batch size is in the statement); it only adapts the keyset form",
                 b->f->path, q->st->line);
        dm_emit(h, DBMIG_EV_NOTICE, b->f->revision, t, NULL);
    }
    for (;;) {
        double t0 = dm_now_ms();
        int64_t aff = 0;
        int rc = bx_one(b, q, q->st->sql, q->st->len, 0, &aff);
        if (rc != DBMIG_OK)
            return rc;
        if (aff <= 0)
            return DBMIG_OK;
        q->batches++;
        q->rows += aff;
        bx_event(b, q, dm_now_ms() - t0);
        if ((rc = bx_stop_check(b, q)) != DBMIG_OK)
            return rc;
        bx_pause(b);
        if ((rc = bx_stop_check(b, q)) != DBMIG_OK)
            return rc;
    }
}

/* Batch statement k: the open run commits first; then its batches; then
 * its progress says it is done. */
static int bx_batch(bx *b, size_t k, const dm_stmt *st)
{
    dbmig *h = b->h;
    int rc = bx_commit_run(b, k);
    if (rc != DBMIG_OK)
        return rc;
    bstate q = {.st = st, .k = k, .m = &b->f->batches[st->batch - 1], .t0 = dm_now_ms()};
    v1_now(b, q.v1);
    q.size = q.m->size;
    if (b->s->in_batch && k == b->s->start) {
        q.lo = b->s->batch_lo;
        q.batches = b->s->batch_done;
        q.rows = q.rows0 = b->s->batch_rows;
    }
    dm_exec_report_stmt(b->x, b->s, k, st, 0, 0);
    rc = q.m->col ? bx_keyset(b, &q) : bx_plain(b, &q);
    if (rc != DBMIG_OK)
        return rc;
    if (q.batches == 0)
        bx_event(b, &q, 0);
    dm_exec_report_stmt(b->x, b->s, k, st, 1, dm_now_ms() - q.t0);
    dm_sha256_update(&b->md, st->sql, st->len + 1);
    char hash[DM_CHECKSUM_LEN + 1];
    v1_now(b, hash);
    rc = dm_vt_progress(h, b->id, k + 1, hash);
    if (rc != DBMIG_OK) {
        b->at = k;
        dm_buf_puts(b->why, dm_err_msg(&h->err));
    }
    return rc;
}

static int bx_each(void *payload, size_t k, const dm_stmt *st)
{
    bx *b = payload;
    if (k < b->s->start) { /* --resume: committed before */
        dm_sha256_update(&b->md, st->sql, st->len + 1);
        return 0;
    }
    if (k > b->s->start && dm_exec_stopped(b->h)) { /* a statement boundary */
        int rc = bx_commit_run(b, k);
        if (rc != DBMIG_OK)
            return rc;
        b->at = k;
        b->x->fail.stmt = k + 1;
        b->x->fail.line = st->line;
        return DBMIG_EINTERRUPTED;
    }
    return st->batch ? bx_batch(b, k, st) : bx_stmt(b, k, st);
}

int dm_batch_exec(dm_run *x, dm_step *s, dm_buf *why, size_t *at, int *told)
{
    dbmig *h = x->h;
    const dm_migfile *f = &x->g->revs[s->rev].file;
    bx b = {.x = x, .s = s, .h = h, .f = f, .id = x->g->revs[s->rev].id, .why = why,
            .tddl = (h->caps & DBMIG_CAP_TRANSACTIONAL_DDL) && f->transaction, .at = (size_t)-1};
    dm_sha256_init(&b.md);
    int rc = dm_step_each(x, s, bx_each, &b);
    if (rc == DBMIG_OK)
        rc = bx_commit_run(&b, s->nstmts);
    if (b.open) { /* a streamed file that changed, a write that failed */
        h->drv->rollback(h->drv_self, h->conn);
        b.at = b.run0;
    }
    if (rc != DBMIG_OK && rc != DBMIG_EINTERRUPTED && !why->len)
        dm_buf_puts(why, dm_err_msg(x->err));
    *at = b.at;
    *told = b.told;
    x->batch_stop = rc == DBMIG_EINTERRUPTED && b.told;
    if (x->batch_stop)
        dm_buf_printf(why,
                      "revision %s was stopped inside its batch statement %zu (a batch boundary): "
                      "the batches before it are committed and recorded, and it is marked dirty. "
                      "Run `dbmig upgrade --resume` (or plain `dbmig upgrade`, which resumes it) "
                      "to go on from the next batch, or settle it with `dbmig repair --applied %s` "
                      "or `--reverted %s`",
                      b.id, b.at + 1, b.id, b.id);
    return rc;
}
