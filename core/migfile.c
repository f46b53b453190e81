/* migfile.c — one migration file: header, sections, checksum (SPEC section 2).
 *
 * The file is checked (UTF-8, no NUL), its BOM dropped and CRLF turned into
 * LF; the result is kept in mf->text so that offsets and line numbers of the
 * sections refer to it. The header and the section markers are found line by
 * line: a line `-- dbmig:<key> [value]` (blanks allowed around `--`) is a
 * directive wherever it is; any other line is a blank line, a comment or SQL.
 */
#define _POSIX_C_SOURCE 200809L
#include "migfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define MF_KNOWN_KEYS "revision, parents, message (or description), branch, depends, transaction, up, down, statement"

enum { K_REVISION = 0, K_PARENTS, K_MESSAGE, K_BRANCH, K_DEPENDS, K_TRANSACTION, K_NHEADER };

static const char *const mf_header_keys[K_NHEADER] = {"revision", "parents", "message",
                                                      "branch",   "depends", "transaction"};

/* ------------------------------------------------------------------ ids */

int dm_reserved_rev_id(const char *id)
{
    static const char *const reserved[] = {"base", "head", "heads", "current"};
    if (!id)
        return 0;
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++) {
        const char *r = reserved[k];
        size_t i = 0;
        while (r[i] && id[i] && (id[i] == r[i] || id[i] == r[i] - 'a' + 'A'))
            i++;
        if (!r[i] && !id[i])
            return 1;
    }
    return 0;
}

static int mf_id_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

static int mf_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int mf_id_syntax(const char *id, size_t n)
{
    if (n < 1 || n > 64 || !mf_alnum((unsigned char)id[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!mf_id_char((unsigned char)id[i]))
            return 0;
    return 1;
}

int dm_valid_rev_id(const char *id)
{
    return id && mf_id_syntax(id, strlen(id)) && !dm_reserved_rev_id(id);
}

/* ------------------------------------------------------------- checksum */

static size_t mf_bom(const char *d, size_t n)
{
    return (n >= 3 && (unsigned char)d[0] == 0xEF && (unsigned char)d[1] == 0xBB &&
            (unsigned char)d[2] == 0xBF)
               ? 3
               : 0;
}

void dm_checksum(const char *data, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\0';
    if (!data)
        len = 0;
    /* Normalise into one buffer, then hash it in one call: per-line
     * EVP_DigestUpdate calls cost more than the hashing itself. */
    char small[8192];
    char *norm = len <= sizeof small ? small : malloc(len);
    if (!norm)
        return;
    size_t n = 0;
    size_t i = data ? mf_bom(data, len) : 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - data) : len, te = e;
        while (te > i && (data[te - 1] == ' ' || data[te - 1] == '\t' || data[te - 1] == '\r'))
            te--;
        memcpy(norm + n, data + i, te - i);
        n += te - i;
        if (nl)
            norm[n++] = '\n';
        i = nl ? e + 1 : len;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = EVP_Digest(norm, n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
    if (norm != small)
        free(norm);
    if (!ok)
        return;
    memcpy(out, "v1:", 3);
    for (unsigned k = 0; k < 32; k++) {
        out[3 + 2 * k] = hex[md[k] >> 4];
        out[4 + 2 * k] = hex[md[k] & 15];
    }
    out[DM_CHECKSUM_LEN] = '\0';
}

/* --------------------------------------------------------------- helpers */

/* Returns 0 if fine, else the offset of the first bad byte in *bad and 1 for
 * a NUL byte, 2 for invalid UTF-8. */
static int mf_check_text(const unsigned char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0) {
            *bad = i;
            return 1;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            *bad = i;
            return 2;
        }
        if (n - i <= k) {
            *bad = i;
            return 2;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                *bad = i;
                return 2;
            }
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            *bad = i;
            return 2;
        }
        i += k + 1;
    }
    return 0;
}

static int mf_blank(char c) { return c == ' ' || c == '\t'; }

static int mf_line_of(const char *t, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos; i++)
        if (t[i] == '\n')
            line++;
    return line;
}

/* A parsed line: directive key and value, or kind of line. */
enum { L_BLANK, L_COMMENT, L_DIRECTIVE, L_SQL };

typedef struct mf_line {
    int kind;
    const char *key;
    size_t keylen;
    const char *val;
    size_t vallen;
} mf_line;

static void mf_classify(const char *b, const char *e, mf_line *l)
{
    memset(l, 0, sizeof *l);
    while (b < e && mf_blank(*b))
        b++;
    while (e > b && (mf_blank(e[-1]) || e[-1] == '\r'))
        e--;
    if (b == e) {
        l->kind = L_BLANK;
        return;
    }
    if (e - b < 2 || b[0] != '-' || b[1] != '-') {
        l->kind = L_SQL;
        return;
    }
    const char *p = b + 2;
    while (p < e && mf_blank(*p))
        p++;
    if (e - p < 6 || memcmp(p, "dbmig:", 6) != 0) {
        l->kind = L_COMMENT;
        return;
    }
    p += 6;
    l->kind = L_DIRECTIVE;
    l->key = p;
    while (p < e && !mf_blank(*p))
        p++;
    l->keylen = (size_t)(p - l->key);
    while (p < e && mf_blank(*p))
        p++;
    l->val = p;
    l->vallen = (size_t)(e - p);
}

static int mf_keyis(const mf_line *l, const char *k)
{
    return l->keylen == strlen(k) && memcmp(l->key, k, l->keylen) == 0;
}

static int mf_header_key(const mf_line *l)
{
    if (mf_keyis(l, "description"))
        return K_MESSAGE;
    for (int k = 0; k < K_NHEADER; k++)
        if (mf_keyis(l, mf_header_keys[k]))
            return k;
    return -1;
}

typedef struct mf_ctx {
    dm_migfile *mf;
    dm_err *err;
    int seen[K_NHEADER]; /* line of each key, 0 if not seen */
} mf_ctx;


/* Splits a value into whitespace (or comma) separated words. */
static int mf_words(const char *v, size_t n, dm_strv *out)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (mf_blank(v[i]) || v[i] == ','))
            i++;
        size_t b = i;
        while (i < n && !mf_blank(v[i]) && v[i] != ',')
            i++;
        if (i > b && dm_strv_pushn(out, v + b, i - b))
            return -1;
    }
    return 0;
}

static int mf_ids(mf_ctx *c, int line, const char *key, const mf_line *l, dm_strv *dst,
                  int allow_base)
{
    dm_migfile *mf = c->mf;
    dm_strv w = {0};
    if (mf_words(l->val, l->vallen, &w)) {
        dm_strv_free(&w);
        return dm_err_nomem(c->err);
    }
    int rc = 0;
    if (w.n == 0) {
        rc = dm_err_set(c->err, DBMIG_EINVALID,
                        "%s:%d: -- dbmig:%s needs at least one id. %s", mf->path, line, key,
                        allow_base ? "Write the parent ids separated by spaces, or `base` for "
                                     "a revision without parents."
                                   : "Write the ids separated by spaces, or remove the line.");
        goto out;
    }
    for (size_t i = 0; i < w.n; i++) {
        const char *id = w.v[i];
        if (allow_base && strcmp(id, "base") == 0) {
            if (w.n > 1) {
                rc = dm_err_set(c->err, DBMIG_EINVALID,
                                "%s:%d: -- dbmig:%s mixes `base` with other ids. Use `base` "
                                "alone for a root revision, or list only parent ids.",
                                mf->path, line, key);
                goto out;
            }
            continue;
        }
        if (!dm_valid_rev_id(id)) {
            rc = dm_err_set(c->err, DBMIG_EINVALID,
                            "%s:%d: -- dbmig:%s: '%s' is not a valid revision id%s. Ids are 1-64 "
                            "characters of A-Z a-z 0-9 . _ - starting with a letter or digit; "
                            "base, head, heads and current are reserved.",
                            mf->path, line, key, id,
                            dm_reserved_rev_id(id) ? " (it is reserved)" : "");
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(w.v[j], id) == 0) {
                rc = dm_err_set(c->err, DBMIG_EINVALID,
                                "%s:%d: -- dbmig:%s lists '%s' twice. Remove the duplicate.",
                                mf->path, line, key, id);
                goto out;
            }
        if (dm_strv_push(dst, id)) {
            rc = dm_err_nomem(c->err);
            goto out;
        }
    }
out:
    dm_strv_free(&w);
    return rc;
}

static int mf_header(mf_ctx *c, int key, const mf_line *l, int line)
{
    dm_migfile *mf = c->mf;
    const char *kname = mf_header_keys[key];
    if (c->seen[key])
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: duplicate header key -- dbmig:%.*s (already given at line %d). "
                          "Keep only one.",
                          mf->path, line, (int)l->keylen, l->key, c->seen[key]);
    c->seen[key] = line;
    if (!mf->header_line)
        mf->header_line = line;
    switch (key) {
    case K_REVISION: {
        char *id = dm_strndup(l->val, l->vallen);
        if (!id)
            return dm_err_nomem(c->err);
        if (!dm_valid_rev_id(id)) {
            int reserved = dm_reserved_rev_id(id);
            dm_err_set(c->err, DBMIG_EINVALID,
                       "%s:%d: '%s' is not a valid revision id%s. Use 1-64 characters of "
                       "A-Z a-z 0-9 . _ - starting with a letter or digit; base, head, heads "
                       "and current are reserved.",
                       mf->path, line, id, reserved ? " (it is reserved)" : "");
            free(id);
            return DBMIG_EINVALID;
        }
        mf->revision = id;
        return 0;
    }
    case K_PARENTS:
        mf->parents_set = 1;
        return mf_ids(c, line, kname, l, &mf->parents, 1);
    case K_DEPENDS:
        return mf_ids(c, line, kname, l, &mf->depends, 0);
    case K_MESSAGE:
        if (l->vallen == 0)
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:%.*s has no text. Write a one-line description "
                              "after the key, or remove the line.",
                              mf->path, line, (int)l->keylen, l->key);
        mf->message = dm_strndup(l->val, l->vallen);
        return mf->message ? 0 : dm_err_nomem(c->err);
    case K_BRANCH: {
        if (mf_words(l->val, l->vallen, &mf->branches))
            return dm_err_nomem(c->err);
        if (mf->branches.n == 0)
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:branch needs at least one label. Write the "
                              "labels separated by spaces, or remove the line.",
                              mf->path, line);
        for (size_t i = 0; i < mf->branches.n; i++)
            if (!dm_valid_rev_id(mf->branches.v[i]))
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: '%s' is not a valid branch label. Use 1-64 characters "
                                  "of A-Z a-z 0-9 . _ - starting with a letter or digit, other "
                                  "than base, head, heads and current.",
                                  mf->path, line, mf->branches.v[i]);
        return 0;
    }
    case K_TRANSACTION:
        if (l->vallen == 2 && memcmp(l->val, "on", 2) == 0)
            mf->transaction = 1;
        else if (l->vallen == 3 && memcmp(l->val, "off", 3) == 0)
            mf->transaction = 0;
        else
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:transaction must be `on` or `off`, not '%.*s'. "
                              "Write -- dbmig:transaction off to run the migration outside a "
                              "transaction.",
                              mf->path, line, (int)l->vallen, l->val);
        return 0;
    }
    return 0;
}

static int mf_add_section(mf_ctx *c, const mf_line *l, int kind, int line, size_t off)
{
    dm_migfile *mf = c->mf;
    const char *kname = kind == DM_UP ? "up" : "down";
    const char *v = l->val;
    size_t vn = l->vallen;
    if (vn) {
        for (size_t i = 0; i < vn; i++) {
            char ch = v[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: '%.*s' is not a driver name in -- dbmig:%s. Write "
                                  "-- dbmig:%s alone for every driver, or one driver name "
                                  "(a-z, 0-9, _) such as postgres, mysql or sqlite.",
                                  mf->path, line, (int)vn, v, kname, kname);
        }
    }
    for (size_t i = 0; i < mf->nsections; i++) {
        dm_section *s = &mf->sections[i];
        int same = s->kind == kind && (vn ? (s->driver && strlen(s->driver) == vn &&
                                             memcmp(s->driver, v, vn) == 0)
                                          : s->driver == NULL);
        if (same)
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: a second -- dbmig:%s%s%.*s section (the first is at line "
                              "%d). Merge the two sections into one.",
                              mf->path, line, kname, vn ? " " : "", (int)vn, v, s->marker_line);
    }
    dm_section *ns = realloc(mf->sections, (mf->nsections + 1) * sizeof *ns);
    if (!ns)
        return dm_err_nomem(c->err);
    mf->sections = ns;
    dm_section *s = &ns[mf->nsections];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    if (vn && !(s->driver = dm_strndup(v, vn)))
        return dm_err_nomem(c->err);
    mf->nsections++;
    s->off = off;
    s->len = 0;
    s->line = line + 1;
    s->marker_line = line;
    return 0;
}

/* Revision and message from the file name when the header gave none. */
static int mf_defaults(mf_ctx *c)
{
    dm_migfile *mf = c->mf;
    const char *fn = mf->filename;
    size_t n = strlen(fn);
    if (n >= 4 && strcmp(fn + n - 4, ".sql") == 0)
        n -= 4;
    const char *us = memchr(fn, '_', n);
    size_t rl = us ? (size_t)(us - fn) : n;
    if (!mf->revision) {
        char *id = dm_strndup(fn, rl);
        if (!id)
            return dm_err_nomem(c->err);
        if (!dm_valid_rev_id(id)) {
            dm_err_set(c->err, DBMIG_EINVALID,
                       "%s:1: the file name gives the revision id '%s', which is %s. Rename "
                       "the file to <revision>_<slug>.sql with an id of 1-64 characters of "
                       "A-Z a-z 0-9 . _ - starting with a letter or digit, or set "
                       "-- dbmig:revision <id> in its header.",
                       mf->path, id, dm_reserved_rev_id(id) ? "reserved" : "not valid");
            free(id);
            return DBMIG_EINVALID;
        }
        mf->revision = id;
    }
    if (!mf->message) {
        size_t sb = us ? rl + 1 : n;
        char *m = dm_strndup(fn + sb, n - sb);
        if (!m)
            return dm_err_nomem(c->err);
        for (char *p = m; *p; p++)
            if (*p == '_')
                *p = ' ';
        mf->message = m;
    }
    return 0;
}

/* The header and sections of mf->text. */
static int mf_scan(mf_ctx *c)
{
    dm_migfile *mf = c->mf;
    const char *t = mf->text;
    size_t n = mf->text_len, ls = 0;
    int line = 0;
    int sql_line = 0;       /* first SQL line before any section marker */
    int first_marker = 0;   /* line of the first section marker */
    size_t body_off = 0;    /* implicit up: after the last header line */
    int body_line = 1;
    while (ls < n) {
        line++;
        const char *nl = memchr(t + ls, '\n', n - ls);
        size_t le = nl ? (size_t)(nl - t) : n;
        size_t next = nl ? le + 1 : n;
        mf_line l;
        mf_classify(t + ls, t + le, &l);
        if (l.kind == L_SQL) {
            if (!first_marker && !sql_line)
                sql_line = line;
        } else if (l.kind == L_DIRECTIVE) {
            int hk = mf_header_key(&l);
            int up = mf_keyis(&l, "up"), down = mf_keyis(&l, "down");
            if (up || down) {
                if (sql_line)
                    return dm_err_set(c->err, DBMIG_EINVALID,
                                      "%s:%d: SQL comes before the first section marker "
                                      "(-- dbmig:%s at line %d). Move it into a section, or "
                                      "remove the markers to make the whole file the up "
                                      "section.",
                                      mf->path, sql_line, up ? "up" : "down", line);
                if (mf->nsections) {
                    dm_section *prev = &mf->sections[mf->nsections - 1];
                    prev->len = ls - prev->off;
                }
                int rc = mf_add_section(c, &l, up ? DM_UP : DM_DOWN, line, next);
                if (rc)
                    return rc;
                if (!first_marker)
                    first_marker = line;
            } else if (mf_keyis(&l, "statement")) {
                if (!((l.vallen == 5 && memcmp(l.val, "begin", 5) == 0) ||
                      (l.vallen == 3 && memcmp(l.val, "end", 3) == 0)))
                    return dm_err_set(c->err, DBMIG_EINVALID,
                                      "%s:%d: -- dbmig:statement takes `begin` or `end`, not "
                                      "'%.*s'. Enclose a statement between "
                                      "-- dbmig:statement begin and -- dbmig:statement end.",
                                      mf->path, line, (int)l.vallen, l.val);
                if (!first_marker && !sql_line)
                    sql_line = line;
            } else if (hk >= 0) {
                if (first_marker)
                    return dm_err_set(c->err, DBMIG_EINVALID,
                                      "%s:%d: header key -- dbmig:%.*s after the first section "
                                      "marker (line %d). Move it to the header at the top of "
                                      "the file.",
                                      mf->path, line, (int)l.keylen, l.key, first_marker);
                if (sql_line)
                    return dm_err_set(c->err, DBMIG_EINVALID,
                                      "%s:%d: header key -- dbmig:%.*s after SQL began (line "
                                      "%d). Move it to the header at the top of the file.",
                                      mf->path, line, (int)l.keylen, l.key, sql_line);
                int rc = mf_header(c, hk, &l, line);
                if (rc)
                    return rc;
                body_off = next;
                body_line = line + 1;
            } else {
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: unknown key -- dbmig:%.*s. Known keys: " MF_KNOWN_KEYS
                                  "; a plain comment must not start with dbmig:.",
                                  mf->path, line, (int)l.keylen, l.key);
            }
        }
        ls = next;
    }
    if (mf->nsections) {
        dm_section *prev = &mf->sections[mf->nsections - 1];
        prev->len = n - prev->off;
        return 0;
    }
    /* no marker: the body after the header is the up section */
    mf->sections = calloc(1, sizeof *mf->sections);
    if (!mf->sections)
        return dm_err_nomem(c->err);
    mf->nsections = 1;
    dm_section *s = &mf->sections[0];
    s->kind = DM_UP;
    s->off = body_off;
    s->len = n - body_off;
    s->line = body_line;
    s->marker_line = 0;
    dm_stmt_list probe = {0};
    dm_err perr = {0};
    int rc = dm_split(t + s->off, s->len, DBMIG_DIALECT_GENERIC, s->line, mf->path, &probe,
                      &perr);
    size_t nst = probe.n;
    dm_stmt_list_free(&probe);
    dm_err_free(&perr);
    if (rc == 0 && nst == 0) /* a lexing error is left for the driver's own split */
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: the file holds no SQL statement. Add the migration's SQL, or "
                          "an empty -- dbmig:up section for a deliberate no-op.",
                          mf->path, mf->header_line ? mf->header_line : 1);
    return 0;
}

int dm_migfile_parse(const char *path, const char *data, size_t len, dm_migfile *out,
                     dm_err *err)
{
    memset(out, 0, sizeof *out);
    out->transaction = 1;
    if (!data)
        len = 0;
    if (!path)
        path = "<input>";
    mf_ctx c;
    memset(&c, 0, sizeof c);
    c.mf = out;
    c.err = err;
    int rc = 0;
    out->path = dm_strdup(path);
    const char *slash = strrchr(path, '/');
    out->filename = dm_strdup(slash ? slash + 1 : path);
    if (!out->path || !out->filename) {
        rc = dm_err_nomem(err);
        goto fail;
    }
    size_t b = data ? mf_bom(data, len) : 0;
    size_t bad = 0;
    int bk = data ? mf_check_text((const unsigned char *)data + b, len - b, &bad) : 0;
    if (bk) {
        int line = mf_line_of(data + b, bad);
        if (bk == 1)
            rc = dm_err_set(err, DBMIG_EINVALID,
                            "%s:%d: the file holds a NUL byte, so it is not a text file. Save "
                            "it as plain UTF-8 text.",
                            path, line);
        else
            rc = dm_err_set(err, DBMIG_EINVALID,
                            "%s:%d: invalid UTF-8 (byte 0x%02X). Save the file as UTF-8.", path,
                            line, (unsigned)(unsigned char)data[b + bad]);
        goto fail;
    }
    out->text = malloc(len - b + 1);
    if (!out->text) {
        rc = dm_err_nomem(err);
        goto fail;
    }
    size_t o = 0;
    for (size_t i = b; i < len; i++) {
        if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
            continue;
        out->text[o++] = data[i];
    }
    out->text[o] = '\0';
    out->text_len = o;
    dm_checksum(data, len, out->checksum);
    if ((rc = mf_scan(&c)) != 0)
        goto fail;
    if ((rc = mf_defaults(&c)) != 0)
        goto fail;
    return 0;
fail:
    dm_migfile_free(out);
    return rc;
}

int dm_migfile_load(const char *path, dm_migfile *out, dm_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return dm_err_set(err, DBMIG_EUSAGE, "%s: cannot open: %s. Check the path and its "
                          "permissions.", path, strerror(errno));
    dm_buf b = {0};
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (dm_buf_append(&b, chunk, got)) {
            rc = dm_err_nomem(err);
            break;
        }
    }
    if (!rc && ferror(f))
        rc = dm_err_set(err, DBMIG_EUSAGE, "%s: cannot read: %s. Check the file.", path,
                        strerror(errno));
    fclose(f);
    if (!rc)
        rc = dm_migfile_parse(path, b.ptr ? b.ptr : "", b.len, out, err);
    dm_buf_free(&b);
    return rc;
}

void dm_migfile_free(dm_migfile *mf)
{
    if (!mf)
        return;
    free(mf->path);
    free(mf->filename);
    free(mf->revision);
    dm_strv_free(&mf->parents);
    free(mf->message);
    dm_strv_free(&mf->branches);
    dm_strv_free(&mf->depends);
    free(mf->text);
    for (size_t i = 0; i < mf->nsections; i++)
        free(mf->sections[i].driver);
    free(mf->sections);
    memset(mf, 0, sizeof *mf);
}

const dm_section *dm_migfile_section(const dm_migfile *mf, int kind, const char *driver)
{
    const dm_section *generic = NULL;
    for (size_t i = 0; i < mf->nsections; i++) {
        const dm_section *s = &mf->sections[i];
        if (s->kind != kind)
            continue;
        if (!s->driver)
            generic = s;
        else if (driver && strcmp(s->driver, driver) == 0)
            return s;
    }
    return generic;
}

int dm_migfile_statements(const dm_migfile *mf, int kind, const char *driver, int dialect,
                          dm_stmt_list *out, int *found, dm_err *err)
{
    const dm_section *s = dm_migfile_section(mf, kind, driver);
    if (found)
        *found = s != NULL;
    if (!s)
        return 0;
    return dm_split(mf->text + s->off, s->len, dialect, s->line, mf->path, out, err);
}
