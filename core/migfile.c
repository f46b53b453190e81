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
#include "mfline.h"
#include "ddl.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>


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
    out[0] = '\0';
    if (!data)
        len = 0;
    /* Normalise into one buffer, then hash it in one call: per-line
     * update calls cost more than the hashing itself. */
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
    dm_sha256 sum;
    dm_sha256_init(&sum);
    dm_sha256_update(&sum, norm, n);
    dm_sha256_v1(&sum, out);
    if (norm != small)
        free(norm);
}

/* --------------------------------------------------------------- helpers */

/* Returns 0 if fine, else the offset of the first bad byte in *bad and 1 for
 * a NUL byte, 2 for invalid UTF-8. */
static int mf_check_text(const unsigned char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        /* eight ASCII bytes, none of them NUL, at a time */
        while (n - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            const uint64_t hi = 0x8080808080808080ULL, lo = 0x0101010101010101ULL;
            if ((v & hi) || ((v - lo) & ~v & hi))
                break;
            i += 8;
        }
        if (i >= n)
            break;
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


static int mf_line_of(const char *t, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos; i++)
        if (t[i] == '\n')
            line++;
    return line;
}


static int mf_header_key(const dm_mfline *l)
{
    if (dm_mfline_keyis(l, "description"))
        return K_MESSAGE;
    for (int k = 0; k < K_NHEADER; k++)
        if (dm_mfline_keyis(l, mf_header_keys[k]))
            return k;
    return -1;
}

typedef struct mf_ctx {
    dm_migfile *mf;
    dm_err *err;
    int seen[K_NHEADER]; /* line of each key, 0 if not seen */
    /* the line scan */
    int sql_line;        /* first SQL line before any section marker */
    int first_marker;    /* line of the first section marker */
    size_t body_off;     /* implicit up: after the last header line */
    int body_line;
} mf_ctx;


/* Splits a value into whitespace (or comma) separated words. */
static int mf_words(const char *v, size_t n, dm_strv *out)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (dm_mf_blank(v[i]) || v[i] == ','))
            i++;
        size_t b = i;
        while (i < n && !dm_mf_blank(v[i]) && v[i] != ',')
            i++;
        if (i > b && dm_strv_pushn(out, v + b, i - b))
            return -1;
    }
    return 0;
}

static int mf_ids(mf_ctx *c, int line, const char *key, const dm_mfline *l, dm_strv *dst,
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

static int mf_header(mf_ctx *c, int key, const dm_mfline *l, int line)
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
        if (l->vallen > 255)
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:%.*s is %zu bytes long; the version table keeps "
                              "255. Shorten it to one line of at most 255 bytes.",
                              mf->path, line, (int)l->keylen, l->key, l->vallen);
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
        if (dm_mf_ci_eq(l->val, l->vallen, "on"))
            mf->transaction = 1;
        else if (dm_mf_ci_eq(l->val, l->vallen, "off"))
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

static const char *const mf_builtin[] = {"postgres", "mysql", "sqlite"};

int dm_driver_builtin(const char *name)
{
    for (size_t i = 0; name && i < sizeof mf_builtin / sizeof mf_builtin[0]; i++)
        if (strcmp(name, mf_builtin[i]) == 0)
            return 1;
    return 0;
}

static int mf_add_section(mf_ctx *c, const dm_mfline *l, int kind, int line, size_t off)
{
    dm_migfile *mf = c->mf;
    const char *kname = kind == DM_UP ? "up" : "down";
    const char *v = l->val;
    size_t vn = l->vallen;
    char *drv = NULL;
    if (vn) {
        for (size_t i = 0; i < vn; i++) {
            char ch = v[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '_'))
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: '%.*s' is not a driver name in -- dbmig:%s. Write "
                                  "-- dbmig:%s alone for every driver, or one driver name "
                                  "(a-z, 0-9, _) such as postgres, mysql or sqlite.",
                                  mf->path, line, (int)vn, v, kname, kname);
        }
        /* driver names are matched ignoring case; the URL schemes' aliases
         * name the same drivers */
        static const char *const alias[][2] = {
            {"postgresql", "postgres"}, {"sqlite3", "sqlite"}, {"mariadb", "mysql"}};
        for (size_t i = 0; i < sizeof alias / sizeof alias[0] && !drv; i++)
            if (dm_mf_ci_eq(v, vn, alias[i][0]))
                drv = dm_strdup(alias[i][1]);
        if (!drv && (drv = dm_strndup(v, vn)) != NULL)
            for (char *p = drv; *p; p++)
                *p = (char)dm_mf_lower((unsigned char)*p);
        if (!drv)
            return dm_err_nomem(c->err);
    }
    for (size_t i = 0; i < mf->nsections; i++) {
        dm_section *s = &mf->sections[i];
        int same = s->kind == kind &&
                   (drv ? (s->driver && strcmp(s->driver, drv) == 0) : s->driver == NULL);
        if (same) {
            dm_err_set(c->err, DBMIG_EINVALID,
                       "%s:%d: a second -- dbmig:%s%s%s section (the first is at line %d). "
                       "Merge the two sections into one.",
                       mf->path, line, kname, drv ? " " : "", drv ? drv : "", s->marker_line);
            free(drv);
            return DBMIG_EINVALID;
        }
    }
    dm_section *ns = realloc(mf->sections, (mf->nsections + 1) * sizeof *ns);
    if (!ns) {
        free(drv);
        return dm_err_nomem(c->err);
    }
    mf->sections = ns;
    dm_section *s = &ns[mf->nsections];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->driver = drv;
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

/* One line of the (normalised) text: the line `line` spans [ls, next). */
static int mf_on_line(mf_ctx *c, const dm_mfline *l, int line, size_t ls, size_t next)
{
    dm_migfile *mf = c->mf;
    if (l->kind == MFL_SQL) {
        if (!c->first_marker && !c->sql_line)
            c->sql_line = line;
    } else if (l->kind == MFL_DIRECTIVE) {
        int hk = mf_header_key(l);
        int up = dm_mfline_keyis(l, "up"), down = dm_mfline_keyis(l, "down");
        if (up || down) {
            if (c->sql_line)
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: SQL comes before the first section marker "
                                  "(-- dbmig:%s at line %d). Move it into a section, or "
                                  "remove the markers to make the whole file the up "
                                  "section.",
                                  mf->path, c->sql_line, up ? "up" : "down", line);
            if (mf->nsections) {
                dm_section *prev = &mf->sections[mf->nsections - 1];
                prev->len = ls - prev->off;
            }
            int rc = mf_add_section(c, l, up ? DM_UP : DM_DOWN, line, next);
            if (rc)
                return rc;
            if (!c->first_marker)
                c->first_marker = line;
        } else if (dm_mfline_keyis(l, "statement")) {
            if (!dm_mf_ci_eq(l->val, l->vallen, "begin") && !dm_mf_ci_eq(l->val, l->vallen, "end"))
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: -- dbmig:statement takes `begin` or `end`, not "
                                  "'%.*s'. Enclose a statement between "
                                  "-- dbmig:statement begin and -- dbmig:statement end.",
                                  mf->path, line, (int)l->vallen, l->val);
            if (!c->first_marker && !c->sql_line)
                c->sql_line = line;
        } else if (hk >= 0) {
            if (c->first_marker)
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: header key -- dbmig:%.*s after the first section "
                                  "marker (line %d). Move it to the header at the top of "
                                  "the file.",
                                  mf->path, line, (int)l->keylen, l->key, c->first_marker);
            if (c->sql_line)
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: header key -- dbmig:%.*s after SQL began (line "
                                  "%d). Move it to the header at the top of the file.",
                                  mf->path, line, (int)l->keylen, l->key, c->sql_line);
            int rc = mf_header(c, hk, l, line);
            if (rc)
                return rc;
            c->body_off = next;
            c->body_line = line + 1;
        } else {
            static const char *const keys[] = {"up",      "down",    "revision",    "parents",
                                               "message", "branch",  "depends",     "transaction",
                                               "statement", "description"};
            const char *near = dm_mf_nearest(l->key, l->keylen, keys, sizeof keys / sizeof keys[0]);
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: unknown key -- dbmig:%.*s%s%s%s. Known keys: " MF_KNOWN_KEYS
                              "; a plain comment must not start with dbmig:.",
                              mf->path, line, (int)l->keylen, l->key,
                              near ? " (did you mean -- dbmig:" : "", near ? near : "",
                              near ? "?)" : "");
        }
    } else if (l->kind == MFL_NEAR) {
        return dm_mfline_near_error(c->mf->path, l, line, c->err);
    } else if (l->kind == MFL_FOREIGN) {
        return dm_mfline_foreign_error(c->mf->path, l, line, c->err);
    }
    return 0;
}

/* After the last line (n bytes of text): closes the last section, or makes
 * the body the implicit up section. nst/probe_rc: the generic split of the
 * body (only its first statement matters): no statement and no lexing error
 * means an empty file. */
static int mf_scan_end(mf_ctx *c, size_t n, size_t nst, int probe_rc)
{
    dm_migfile *mf = c->mf;
    if (mf->nsections) {
        dm_section *prev = &mf->sections[mf->nsections - 1];
        prev->len = n - prev->off;
        for (size_t i = 0; i < mf->nsections; i++)
            if (mf->sections[i].kind == DM_UP)
                return 0;
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: the file has a -- dbmig:down section but no -- dbmig:up "
                          "section, so applying it would run nothing. Add -- dbmig:up above "
                          "the up SQL (an empty -- dbmig:up section says that nothing runs).",
                          mf->path, c->first_marker);
    }
    /* no marker: the body after the header is the up section */
    mf->sections = calloc(1, sizeof *mf->sections);
    if (!mf->sections)
        return dm_err_nomem(c->err);
    mf->nsections = 1;
    dm_section *s = &mf->sections[0];
    s->kind = DM_UP;
    s->off = c->body_off;
    s->len = n - c->body_off;
    s->line = c->body_line;
    s->marker_line = 0;
    if (probe_rc == 0 && nst == 0) /* a lexing error is left for the driver's own split */
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: the file holds no SQL statement. Add the migration's SQL, or "
                          "an empty -- dbmig:up section for a deliberate no-op.",
                          mf->path, mf->header_line ? mf->header_line : 1);
    return 0;
}

/* The header and sections of mf->text. */
static int mf_scan(mf_ctx *c)
{
    dm_migfile *mf = c->mf;
    const char *t = mf->text;
    size_t n = mf->text_len, ls = 0;
    int line = 0;
    c->body_off = 0;
    c->body_line = 1;
    while (ls < n) {
        line++;
        const char *nl = memchr(t + ls, '\n', n - ls);
        size_t le = nl ? (size_t)(nl - t) : n;
        size_t next = nl ? le + 1 : n;
        dm_mfline l;
        dm_mfline_classify(t + ls, t + le, &l);
        int rc = mf_on_line(c, &l, line, ls, next);
        if (rc)
            return rc;
        ls = next;
    }
    size_t nst = 0;
    int prc = 0;
    if (!mf->nsections) {
        dm_stmt_list probe = {0};
        dm_err perr = {0};
        prc = dm_split(t + c->body_off, n - c->body_off, DBMIG_DIALECT_GENERIC, c->body_line,
                       mf->path, &probe, &perr);
        nst = probe.n;
        dm_stmt_list_free(&probe);
        dm_err_free(&perr);
    }
    return mf_scan_end(c, n, nst, prc);
}

/* ------------------------------------------------------------ streaming
 *
 * A file of more than DM_MIGFILE_STREAM_MIN bytes is read in chunks and not
 * kept: one pass checks the text, computes the checksum (the digest updated
 * chunk by chunk over the same normalised bytes dm_checksum() hashes), finds
 * the header and the section markers line by line (a line cut by a chunk
 * boundary goes through a small state machine that decides its kind from
 * its first bytes and keeps only a directive's text), and looks for the first
 * statement when there is no marker. dm_migfile_stream() reads the file again
 * and feeds the chosen section to the incremental splitter.
 */

#define MF_CHUNK 65536

/* Reads a file in chunks and yields its normalised text (BOM dropped, CRLF
 * to LF) along with the raw bytes (after the BOM) for the text checks. The
 * raw chunk has MF_RAW_PAD writable bytes in front of it. */
#define MF_RAW_PAD 4
typedef struct mf_reader {
    FILE *f;
    int started; /* the BOM was looked for */
    int cr;      /* the previous raw chunk ended with \r */
    int done;
    char *raw;   /* MF_RAW_PAD + MF_CHUNK */
    char *norm;  /* MF_CHUNK + 1 */
} mf_reader;

static int mf_reader_open(mf_reader *r, const char *path, struct stat *st, dm_err *err)
{
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "rb");
    if (!r->f)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "%s: cannot open: %s. Check the path and its permissions.", path,
                          strerror(errno));
    r->raw = malloc(MF_RAW_PAD + MF_CHUNK);
    r->norm = malloc(MF_CHUNK + 1);
    if (!r->raw || !r->norm)
        return dm_err_nomem(err);
    if (st && fstat(fileno(r->f), st) != 0)
        return dm_err_set(err, DBMIG_EUSAGE, "%s: cannot stat: %s. Check the file.", path,
                          strerror(errno));
    return 0;
}

static void mf_reader_close(mf_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->raw);
    free(r->norm);
    memset(r, 0, sizeof *r);
}

/* 1 with a chunk (raw[0..*rawn) and norm[0..*normn), either may be empty), 0
 * at the end, or an error code. */
static int mf_read(mf_reader *r, const char *path, char **raw, size_t *rawn, const char **norm,
                   size_t *normn, dm_err *err)
{
    char *p = r->raw + MF_RAW_PAD;
    *raw = p;
    *rawn = 0;
    *norm = r->norm;
    *normn = 0;
    if (r->done)
        return 0;
    size_t n = fread(p, 1, MF_CHUNK, r->f);
    if (n < MF_CHUNK && ferror(r->f))
        return dm_err_set(err, DBMIG_EUSAGE, "%s: cannot read: %s. Check the file.", path,
                          strerror(errno));
    if (!r->started) {
        r->started = 1;
        size_t b = mf_bom(p, n);
        p += b;
        n -= b;
    }
    size_t o = 0;
    if (r->cr && !(n > 0 && p[0] == '\n'))
        r->norm[o++] = '\r';
    r->cr = 0;
    size_t i = 0;
    while (i < n) {
        const char *q = memchr(p + i, '\r', n - i);
        size_t e = q ? (size_t)(q - p) : n;
        memcpy(r->norm + o, p + i, e - i);
        o += e - i;
        if (!q)
            break;
        if (e + 1 == n)
            r->cr = 1; /* decided by the next chunk */
        else if (p[e + 1] != '\n')
            r->norm[o++] = '\r';
        i = e + 1;
    }
    if (n == 0)
        r->done = 1;
    *raw = p;
    *rawn = n;
    *norm = r->norm;
    *normn = o;
    return n > 0 || o > 0 ? 1 : 0;
}

/* The checksum over a stream of normalised text: trailing blanks of each line
 * are held back until the line goes on. */
typedef struct mf_sum {
    dm_sha256 *ctx; /* (on the heap: only big files are streamed) */
    dm_buf ws;
    char *out; /* MF_CHUNK + 1 */
} mf_sum;

static int mf_sum_init(mf_sum *h)
{
    memset(h, 0, sizeof *h);
    h->ctx = malloc(sizeof *h->ctx);
    h->out = malloc(MF_CHUNK + 1);
    if (!h->ctx || !h->out)
        return -1;
    dm_sha256_init(h->ctx);
    return 0;
}

static int mf_sum_ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int mf_sum_feed(mf_sum *h, const char *p, size_t n)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n, te = e;
        while (te > i && mf_sum_ws(p[te - 1]))
            te--;
        if (te > i) {
            if (h->ws.len) { /* only at the chunk's start: o == 0 */
                dm_sha256_update(h->ctx, h->ws.ptr, h->ws.len);
                dm_buf_reset(&h->ws);
            }
            memcpy(h->out + o, p + i, te - i);
            o += te - i;
        }
        if (nl) {
            dm_buf_reset(&h->ws);
            h->out[o++] = '\n';
            i = e + 1;
        } else {
            if (dm_buf_append(&h->ws, p + te, e - te))
                return -1;
            i = n;
        }
    }
    dm_sha256_update(h->ctx, h->out, o);
    return 0;
}

static int mf_sum_final(mf_sum *h, char *out)
{
    dm_sha256_v1(h->ctx, out);
    return 0;
}

static void mf_sum_free(mf_sum *h)
{
    free(h->ctx);
    dm_buf_free(&h->ws);
    free(h->out);
}

/* The kind of a line read in pieces. A line whose first non-blank byte may
 * open a comment (`-`, `/`, `#`) is kept from that byte on, up to DM_MFLINE_PREFIX
 * bytes; there dm_mfline_decide() says whether it is a directive (then the whole
 * line is kept) or not (then the rest is dropped), and at the line's end
 * dm_mfline_classify() reads the kept bytes as the in-memory parse reads the line. */
enum { LS_LEAD = 0, LS_CR, LS_BUF, LS_DIR, LS_SKIP, LS_SQL };

typedef struct mf_lines {
    int st;
    dm_buf dir;   /* LS_BUF, LS_DIR, LS_SKIP: the line from its first non-blank byte */
    size_t ls;    /* offset of the line's first byte */
    int line;     /* its number */
} mf_lines;

static int mf_line_end(mf_ctx *c, mf_lines *x, size_t next)
{
    dm_mfline l;
    memset(&l, 0, sizeof l);
    switch (x->st) {
    case LS_LEAD:
    case LS_CR:
        l.kind = MFL_BLANK;
        break;
    case LS_BUF:
    case LS_DIR:
    case LS_SKIP:
        dm_mfline_classify(x->dir.ptr, x->dir.ptr + x->dir.len, &l);
        break;
    default:
        l.kind = MFL_SQL;
        break;
    }
    int rc = mf_on_line(c, &l, x->line, x->ls, next);
    x->st = LS_LEAD;
    dm_buf_reset(&x->dir);
    x->ls = next;
    x->line++;
    return rc;
}

/* Normalised text p[0..n) at offset off. */
static int mf_lines_feed(mf_ctx *c, mf_lines *x, const char *p, size_t n, size_t off)
{
    size_t i = 0;
    while (i < n) {
        if (x->st >= LS_BUF) {
            const char *nl = memchr(p + i, '\n', n - i);
            size_t e = nl ? (size_t)(nl - p) : n;
            if (x->st == LS_BUF) {
                size_t room = DM_MFLINE_PREFIX - x->dir.len, take = e - i < room ? e - i : room;
                if (dm_buf_append(&x->dir, p + i, take))
                    return dm_err_nomem(c->err);
                i += take;
                if (x->dir.len == DM_MFLINE_PREFIX) {
                    dm_mfline l;
                    memset(&l, 0, sizeof l);
                    dm_mfline_decide(x->dir.ptr, x->dir.ptr + x->dir.len, &l);
                    x->st = l.kind == MFL_DIRECTIVE ? LS_DIR : LS_SKIP;
                }
                if (i < e)
                    continue; /* the rest of the line, as LS_DIR or LS_SKIP */
            } else {
                if (x->st == LS_DIR && dm_buf_append(&x->dir, p + i, e - i))
                    return dm_err_nomem(c->err);
                i = e;
            }
            if (!nl)
                break;
        }
        char ch = p[i];
        if (ch == '\n') {
            int rc = mf_line_end(c, x, off + i + 1);
            if (rc)
                return rc;
            i++;
            continue;
        }
        switch (x->st) {
        case LS_LEAD:
            if (ch == '\r') {
                x->st = LS_CR;
            } else if (ch == '-' || ch == '/' || ch == '#') {
                x->st = LS_BUF;
                continue; /* kept from this byte on */
            } else if (!dm_mf_blank(ch)) {
                x->st = LS_SQL;
            }
            break;
        case LS_CR:
            if (!dm_mf_blank(ch) && ch != '\r')
                x->st = LS_SQL;
            break;
        }
        i++;
    }
    return 0;
}

/* The probe of an implicit up section: does the body hold a statement? */
static int mf_probe_cb(void *payload, const dm_stmt *st)
{
    (void)payload;
    (void)st;
    return 1; /* the first statement settles it */
}

/* Validates raw[0..n) (*carry bytes of an unfinished UTF-8 sequence sit in
 * front of it) and leaves the bytes of a sequence cut at the end in front
 * of the next chunk. line: the line the first byte is on. */
static int mf_check_chunk(const char *path, char *raw, size_t n, char *carry, size_t *ncarry,
                          int line, int last, dm_err *err)
{
    const unsigned char *s = (const unsigned char *)raw - *ncarry;
    size_t len = n + *ncarry, keep = 0;
    if (!last) {
        /* a lead byte among the last three whose sequence is not complete */
        for (size_t k = 1; k <= 3 && k <= len; k++) {
            unsigned c = s[len - k];
            if (c < 0x80)
                break;
            if (c >= 0xC0) {
                size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
                if (need > k)
                    keep = k;
                break;
            }
        }
    }
    size_t bad = 0;
    int bk = mf_check_text(s, len - keep, &bad);
    if (bk) {
        for (size_t i = 0; i < bad; i++)
            if (s[i] == '\n')
                line++;
        if (bk == 1)
            return dm_err_set(err, DBMIG_EINVALID,
                              "%s:%d: the file holds a NUL byte, so it is not a text file. Save "
                              "it as plain UTF-8 text.",
                              path, line);
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: invalid UTF-8 (byte 0x%02X). Save the file as UTF-8.", path,
                          line, (unsigned)s[bad]);
    }
    memcpy(carry, s + len - keep, keep);
    *ncarry = keep;
    return 0;
}

static int mf_load_stream(const char *path, dm_migfile *out, dm_err *err)
{
    memset(out, 0, sizeof *out);
    out->transaction = 1;
    out->streamed = 1;
    mf_ctx c;
    memset(&c, 0, sizeof c);
    c.mf = out;
    c.err = err;
    c.body_line = 1;
    mf_reader r;
    mf_sum h;
    mf_lines x;
    memset(&x, 0, sizeof x);
    x.line = 1;
    dm_splitter *probe = NULL;
    dm_err perr = {0};
    int probe_rc = 0;
    size_t nst = 0;
    int probing = 1;
    struct stat st;
    memset(&st, 0, sizeof st);
    int rc = 0;
    out->path = dm_strdup(path);
    const char *slash = strrchr(path, '/');
    out->filename = dm_strdup(slash ? slash + 1 : path);
    if (mf_sum_init(&h) || !out->path || !out->filename ||
        !(probe = dm_splitter_new(DBMIG_DIALECT_GENERIC, 1, path))) {
        memset(&r, 0, sizeof r);
        rc = dm_err_nomem(err);
        goto done;
    }
    if ((rc = mf_reader_open(&r, path, &st, err)) != 0)
        goto done;
    out->file_size = (long long)st.st_size;
    out->file_mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    out->file_ino = (unsigned long long)st.st_ino;
    char carry[4];
    size_t ncarry = 0, off = 0;
    for (;;) {
        char *raw;
        const char *norm;
        size_t rawn, normn;
        int got = mf_read(&r, path, &raw, &rawn, &norm, &normn, err);
        if (got < 0) {
            rc = got;
            goto done;
        }
        /* the unfinished UTF-8 sequence goes in front of the raw chunk */
        memcpy(raw - ncarry, carry, ncarry);
        if ((rc = mf_check_chunk(path, raw, rawn, carry, &ncarry, x.line, !got, err)) != 0)
            goto done;
        if (!got)
            break;
        if (mf_sum_feed(&h, norm, normn)) {
            rc = dm_err_nomem(err);
            goto done;
        }
        if ((rc = mf_lines_feed(&c, &x, norm, normn, off)) != 0)
            goto done;
        if (probing && !c.first_marker) {
            int prc = dm_split_feed(probe, norm, normn, mf_probe_cb, NULL, &perr);
            if (prc) {
                probing = 0;
                nst = prc == 1;
                probe_rc = prc == 1 ? 0 : prc;
            }
        }
        off += normn;
    }
    if (x.ls < off && (rc = mf_line_end(&c, &x, off)) != 0)
        goto done;
    if (probing && !c.first_marker) {
        int prc = dm_split_finish(probe, mf_probe_cb, NULL, &perr);
        nst = prc == 1;
        probe_rc = prc == 1 ? 0 : prc;
    }
    out->text_len = off;
    if (mf_sum_final(&h, out->checksum)) {
        rc = dm_err_nomem(err);
        goto done;
    }
    if ((rc = mf_scan_end(&c, off, nst, probe_rc)) != 0)
        goto done;
    rc = mf_defaults(&c);
done:
    mf_reader_close(&r);
    mf_sum_free(&h);
    dm_buf_free(&x.dir);
    dm_splitter_free(probe);
    dm_err_free(&perr);
    if (rc)
        dm_migfile_free(out);
    return rc;
}

/* Feeds the section s of a streamed file to sp, checking on the way that the
 * file is still the one that was loaded. */
static int mf_stream_file(const dm_migfile *mf, const dm_section *s, dm_splitter *sp,
                          dm_stmt_cb cb, void *payload, dm_err *err)
{
    mf_reader r;
    mf_sum h;
    struct stat st;
    memset(&st, 0, sizeof st);
    char sum[DM_CHECKSUM_LEN + 1];
    int rc = 0;
    if (mf_sum_init(&h)) {
        memset(&r, 0, sizeof r);
        rc = dm_err_nomem(err);
        goto done;
    }
    if ((rc = mf_reader_open(&r, mf->path, &st, err)) != 0)
        goto done;
    long long mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    if ((long long)st.st_size != mf->file_size || mtime != mf->file_mtime_ns ||
        (unsigned long long)st.st_ino != mf->file_ino) {
        rc = dm_err_set(err, DBMIG_EINVALID,
                        "%s: the file changed since it was read at the start of the run (its "
                        "size, modification time or inode differ). Do not edit migration files "
                        "during a run; run the command again.",
                        mf->path);
        goto done;
    }
    size_t off = 0, b = s->off, e = s->off + s->len;
    for (;;) {
        char *raw;
        const char *norm;
        size_t rawn, normn;
        int got = mf_read(&r, mf->path, &raw, &rawn, &norm, &normn, err);
        if (got < 0) {
            rc = got;
            goto done;
        }
        if (!got)
            break;
        if (mf_sum_feed(&h, norm, normn)) {
            rc = dm_err_nomem(err);
            goto done;
        }
        size_t cb_ = off > b ? off : b, ce = off + normn < e ? off + normn : e;
        if (cb_ < ce && (rc = dm_split_feed(sp, norm + (cb_ - off), ce - cb_, cb, payload, err)))
            goto done;
        off += normn;
    }
    if (off != mf->text_len || mf_sum_final(&h, sum) || strcmp(sum, mf->checksum) != 0) {
        rc = dm_err_set(err, DBMIG_EINVALID,
                        "%s: the file changed while it was being read (its checksum is no "
                        "longer %s). Do not edit migration files during a run; run the command "
                        "again (statements of a transactional migration are rolled back).",
                        mf->path, mf->checksum);
        goto done;
    }
    /* the last statement only once the whole file is known to be unchanged */
    rc = dm_split_finish(sp, cb, payload, err);
done:
    mf_reader_close(&r);
    mf_sum_free(&h);
    return rc;
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

/* open, fstat, read the whole file in one buffer, close: a start-up reads
 * every file of the folder, so the syscalls count. */
int dm_migfile_load_ex(const char *path, size_t stream_min, dm_migfile *out, dm_err *err)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dm_err_set(err, DBMIG_EUSAGE, "%s: cannot open: %s. Check the path and its "
                          "permissions.", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return dm_err_set(err, DBMIG_EUSAGE, "%s: cannot stat: %s. Check the file.", path,
                          strerror(e));
    }
    if (S_ISREG(st.st_mode) && (size_t)st.st_size > stream_min) {
        close(fd);
        return mf_load_stream(path, out, err);
    }
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, len = 0;
    char *buf = malloc(cap + 1);
    int rc = buf ? 0 : dm_err_nomem(err);
    while (!rc) {
        if (len == cap) {
            char *nb = cap < SIZE_MAX / 4 ? realloc(buf, cap * 2 + 1) : NULL;
            if (!nb) {
                rc = dm_err_nomem(err);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = dm_err_set(err, DBMIG_EUSAGE, "%s: cannot read: %s. Check the file.", path,
                            strerror(errno));
            break;
        }
        len += (size_t)got;
        /* A regular file's short read is its end: no extra read for EOF. */
        if (got == 0 || (S_ISREG(st.st_mode) && len < cap))
            break;
    }
    close(fd);
    if (!rc)
        rc = dm_migfile_parse(path, buf ? buf : "", len, out, err);
    free(buf);
    return rc;
}

int dm_migfile_load(const char *path, dm_migfile *out, dm_err *err)
{
    return dm_migfile_load_ex(path, DM_MIGFILE_STREAM_MIN, out, err);
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

/* A statement that ends or opens a transaction in a file that runs in one
 * (SPEC section 2): refused, so that dbmig's own transaction, which commits
 * the version row with the migration, is never ended early. */
static int mf_txn_check(const dm_migfile *mf, const dm_stmt *st, int dialect, dm_err *err)
{
    if (!mf->transaction)
        return 0;
    const char *what = dm_ddl_txn_control(st->sql, st->len, dialect);
    if (!what)
        return 0;
    return dm_err_set(err, DBMIG_EINVALID,
                      "%s:%d: %s inside a migration: dbmig already runs each migration in a "
                      "transaction (and records it in the same one), so this statement would "
                      "end or nest that transaction. Remove the BEGIN/COMMIT statements, or "
                      "write -- dbmig:transaction off in the header to run the file's "
                      "statements as written.",
                      mf->path, st->line, what);
}

typedef struct mf_list {
    dm_stmt_list *l;
    dm_err *err;
} mf_list;

static int mf_list_cb(void *payload, const dm_stmt *st)
{
    mf_list *x = payload;
    return dm_stmt_list_push(x->l, st) ? dm_err_nomem(x->err) : 0;
}

int dm_migfile_statements(const dm_migfile *mf, int kind, const char *driver, int dialect,
                          dm_stmt_list *out, int *found, dm_err *err)
{
    const dm_section *s = dm_migfile_section(mf, kind, driver);
    if (found)
        *found = s != NULL;
    if (!s)
        return 0;
    /* through the incremental splitter also in memory, so that a refused
     * statement and a lexing error after it are found in the same order */
    size_t before = out->n;
    mf_list x = {out, err};
    int rc = dm_migfile_stream(mf, kind, driver, dialect, mf_list_cb, &x, NULL, err);
    if (rc) {
        for (size_t k = before; k < out->n; k++)
            free(out->v[k].sql);
        out->n = before;
    }
    return rc;
}

typedef struct mf_checked {
    const dm_migfile *mf;
    int dialect;
    dm_stmt_cb cb;
    void *payload;
    dm_err *err;
} mf_checked;

static int mf_checked_cb(void *payload, const dm_stmt *st)
{
    mf_checked *x = payload;
    int rc = mf_txn_check(x->mf, st, x->dialect, x->err);
    return rc ? rc : x->cb(x->payload, st);
}

int dm_migfile_stream(const dm_migfile *mf, int kind, const char *driver, int dialect,
                      dm_stmt_cb cb, void *payload, int *found, dm_err *err)
{
    const dm_section *s = dm_migfile_section(mf, kind, driver);
    if (found)
        *found = s != NULL;
    if (!s)
        return 0;
    dm_splitter *sp = dm_splitter_new(dialect, s->line, mf->path);
    if (!sp)
        return dm_err_nomem(err);
    mf_checked x = {mf, dialect, cb, payload, err};
    int rc;
    if (mf->streamed) {
        rc = mf_stream_file(mf, s, sp, mf_checked_cb, &x, err);
    } else {
        rc = dm_split_feed(sp, mf->text + s->off, s->len, mf_checked_cb, &x, err);
        if (!rc)
            rc = dm_split_finish(sp, mf_checked_cb, &x, err);
    }
    dm_splitter_free(sp);
    return rc;
}

/* ------------------------------------------------------- drivers (SPEC 2) */

int dm_migfile_names_plugin(const dm_migfile *mf)
{
    for (size_t i = 0; i < mf->nsections; i++)
        if (mf->sections[i].driver && !dm_driver_builtin(mf->sections[i].driver))
            return 1;
    return 0;
}

static int mf_in(const dm_strv *v, const char *name)
{
    for (size_t i = 0; v && i < v->n; i++)
        if (strcmp(v->v[i], name) == 0)
            return 1;
    return 0;
}

int dm_migfile_check_drivers(const dm_migfile *mf, const dm_strv *plugins, const char *driver,
                             dm_err *err)
{
    for (size_t i = 0; i < mf->nsections; i++) {
        const dm_section *s = &mf->sections[i];
        if (!s->driver || dm_driver_builtin(s->driver) || mf_in(plugins, s->driver))
            continue;
        /* the nearest known name: built in, else a plugin */
        size_t nc = 0;
        const char **cands = calloc(3 + (plugins ? plugins->n : 0), sizeof *cands);
        if (!cands)
            return dm_err_nomem(err);
        for (size_t k = 0; k < 3; k++)
            cands[nc++] = mf_builtin[k];
        for (size_t k = 0; plugins && k < plugins->n; k++)
            if (!dm_driver_builtin(plugins->v[k]))
                cands[nc++] = plugins->v[k];
        const char *near = dm_mf_nearest(s->driver, strlen(s->driver), cands, nc);
        dm_buf known = {0};
        for (size_t k = 0; k < nc; k++)
            dm_buf_printf(&known, "%s%s", k ? ", " : "", cands[k]);
        dm_err_set(err, DBMIG_EINVALID,
                   "%s:%d: -- dbmig:%s %s names no known driver%s%s%s, so its SQL would never "
                   "run. Known drivers: %s (plugins are found on --plugin-dir, "
                   "DBMIG_PLUGIN_PATH and the installed plugin folder; see `dbmig drivers`). "
                   "Fix the name, or install the driver's plugin.",
                   mf->path, s->marker_line, s->kind == DM_UP ? "up" : "down", s->driver,
                   near ? " (did you mean " : "", near ? near : "", near ? "?)" : "",
                   dm_buf_str(&known));
        dm_buf_free(&known);
        free(cands);
        return DBMIG_EINVALID;
    }
    if (!driver || dm_migfile_section(mf, DM_UP, driver))
        return 0;
    /* sections, but none this driver uses: name them */
    dm_buf have = {0};
    int first = 0;
    for (size_t i = 0; i < mf->nsections; i++) {
        const dm_section *s = &mf->sections[i];
        if (s->kind != DM_UP)
            continue;
        if (!first)
            first = s->marker_line;
        dm_buf_printf(&have, "%s-- dbmig:up %s (line %d)", have.len ? ", " : "", s->driver,
                      s->marker_line);
    }
    dm_err_set(err, DBMIG_EINVALID,
               "%s:%d: no section of this file runs on driver %s: it has only %s, so applying "
               "it would run nothing. Add a generic -- dbmig:up section, or an empty "
               "-- dbmig:up %s section to say that nothing runs on %s.",
               mf->path, first, driver, dm_buf_str(&have), driver, driver);
    dm_buf_free(&have);
    return DBMIG_EINVALID;
}
