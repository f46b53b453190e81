/* migfile.c — one migration file as the engine sees it (SPEC sections 2
 * and 12): the header (revision, parents, message, branch, depends,
 * transaction, irreversible, phase, placeholders), the sections (up, down, verify, fixture;
 * generic or per driver) with their offsets and lines in the normalised
 * text, the checksum, and the statements of a section. The flag
 * `irreversible` and a down section exclude each other. The annotation
 * `-- dbmig:destructive <what>` (dbmig diff's marker above a statement that
 * can lose data, SPEC 13) is accepted in up and down sections only.
 *
 * Three files, one concern each: mftext.c is the text pipeline (check,
 * BOM/CRLF, checksum, cutting lines; one implementation whether the file is
 * in memory or streamed), mfline.c the grammar of one line, and this file
 * the model built from the lines (mf_on_line: header keys, section markers,
 * where SQL may appear) plus loading, reading a section back and the
 * drivers' check. A file of DM_MIGFILE_STREAM_MIN bytes or less is one chunk
 * whose normalised text is kept in mf->text; a larger one is streamed.
 */
#define _POSIX_C_SOURCE 200809L
#include "migfile.h"
#include "batch.h"
#include "mfline.h"
#include "ddl.h"
#include "mftext.h"
#include "placeholder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/stat.h>
#include <unistd.h>

#define MF_KNOWN_KEYS                                                                          \
    "revision, parents, message (or description), branch, depends, transaction, "              \
    "irreversible, phase, placeholders, up, down, verify, fixture, statement, destructive, "    \
    "batch, lint-ignore"

enum { K_REVISION = 0, K_PARENTS, K_MESSAGE, K_BRANCH, K_DEPENDS, K_TRANSACTION, K_IRREVERSIBLE,
       K_PHASE, K_PLACEHOLDERS, K_NHEADER };

static const char *const mf_header_keys[K_NHEADER] = {
    "revision", "parents", "message", "branch", "depends", "transaction", "irreversible",
    "phase", "placeholders"};

/* The section keys, indexed by kind (DM_UP .. DM_FIXTURE). */
static const char *const mf_kind_names[] = {"up", "down", "verify", "fixture"};
#define MF_NKINDS (sizeof mf_kind_names / sizeof mf_kind_names[0])

const char *dm_section_kind_name(int kind)
{
    return kind >= 0 && (size_t)kind < MF_NKINDS ? mf_kind_names[kind] : "?";
}

/* The section kind a directive's key names, else -1. */
static int mf_section_kind(const dm_mfline *l)
{
    for (size_t k = 0; k < MF_NKINDS; k++)
        if (dm_mfline_keyis(l, mf_kind_names[k]))
            return (int)k;
    return -1;
}

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
    int early_destructive; /* a -- dbmig:destructive line before any SQL and
                              any marker: the implicit up section's, unless
                              a header key or a marker follows (then it was
                              in the header) */
    int pending_destructive; /* a -- dbmig:destructive line no SQL line has
                                followed yet (it must mark a statement) */
    int early_batch;     /* the same two for -- dbmig:batch (SPEC 14) */
    int pending_batch;
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

static int mf_h_revision(mf_ctx *c, const dm_mfline *l, int line)
{
    dm_migfile *mf = c->mf;
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

static int mf_h_branch(mf_ctx *c, const dm_mfline *l, int line)
{
    dm_migfile *mf = c->mf;
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

/* `irreversible` is a flag: a value (`true`, `yes`, `off`...) would be read
 * one way or the other by a reader, so none is accepted. */
static int mf_h_irreversible(mf_ctx *c, const dm_mfline *l, int line)
{
    if (l->vallen)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:irreversible takes no value, not '%.*s'. Write "
                          "-- dbmig:irreversible alone to mark the revision irreversible (it "
                          "then has no down section), or remove the line to keep it "
                          "reversible.",
                          c->mf->path, line, (int)l->vallen, l->val);
    c->mf->irreversible = 1;
    return 0;
}

/* `phase pre` (the default) or `phase post` (SPEC section 14): a revision
 * marked post runs after the new code is deployed. Any other value would
 * silently move a contract step before the deploy, so it is refused. */
static int mf_h_phase(mf_ctx *c, const dm_mfline *l, int line)
{
    if (dm_mf_ci_eq(l->val, l->vallen, "pre"))
        c->mf->post = 0;
    else if (dm_mf_ci_eq(l->val, l->vallen, "post"))
        c->mf->post = 1;
    else if (!l->vallen)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:phase needs a value, `pre` or `post`. Write "
                          "-- dbmig:phase post for a post-deployment revision, or remove the "
                          "line for a pre-deployment one.",
                          c->mf->path, line);
    else
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:phase must be `pre` or `post`, not '%.*s'. Write "
                          "-- dbmig:phase post for a post-deployment revision (applied by "
                          "`dbmig upgrade --phase post` once the new code runs), or remove the "
                          "line for a pre-deployment one.",
                          c->mf->path, line, (int)l->vallen, l->val);
    return 0;
}

/* `placeholders on` (SPEC 16): ${name} in the sections is substituted;
 * `off` is the default, written out. Any other value would leave ${...}
 * unsubstituted (or substitute a function body) on a guess, so it is
 * refused. */
static int mf_h_placeholders(mf_ctx *c, const dm_mfline *l, int line)
{
    if (dm_mf_ci_eq(l->val, l->vallen, "on") || dm_mf_ci_eq(l->val, l->vallen, "off")) {
        c->mf->placeholders = dm_mf_ci_eq(l->val, l->vallen, "on");
        c->mf->placeholders_line = line;
        return 0;
    }
    return dm_err_set(c->err, DBMIG_EINVALID,
                      "%s:%d: -- dbmig:placeholders must be `on` or `off`, not '%.*s'. Write "
                      "-- dbmig:placeholders on to replace ${name} in this file with the "
                      "values of --var, [vars] or DBMIG_VAR_<NAME>, or remove the line to "
                      "keep ${...} as written.",
                      c->mf->path, line, (int)(l->vallen > 80 ? 80 : l->vallen), l->val);
}

static int mf_h_message(mf_ctx *c, const dm_mfline *l, int line)
{
    dm_migfile *mf = c->mf;
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
    case K_REVISION:
        return mf_h_revision(c, l, line);
    case K_PARENTS:
        mf->parents_set = 1;
        return mf_ids(c, line, kname, l, &mf->parents, 1);
    case K_DEPENDS:
        return mf_ids(c, line, kname, l, &mf->depends, 0);
    case K_MESSAGE:
        return mf_h_message(c, l, line);
    case K_BRANCH:
        return mf_h_branch(c, l, line);
    case K_IRREVERSIBLE:
        return mf_h_irreversible(c, l, line);
    case K_PHASE:
        return mf_h_phase(c, l, line);
    case K_PLACEHOLDERS:
        return mf_h_placeholders(c, l, line);
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
    const char *kname = dm_section_kind_name(kind);
    const char *v = l->val;
    size_t vn = l->vallen;
    char *drv = NULL;
    if (kind == DM_DOWN && dm_mf_ci_eq(v, vn, "irreversible"))
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:down irreversible would be a down section for a "
                          "driver named irreversible. Write -- dbmig:irreversible in the header "
                          "(before the first section) instead, and no down section.",
                          mf->path, line);
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
        while (sb < n && fn[sb] == '_') /* Flyway's V1__add_users: "add users" */
            sb++;
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

/* A section marker of kind `kind` on line `line` (the body starts at next):
 * closes the previous section and opens this one. */
static int mf_marker(mf_ctx *c, const dm_mfline *l, int kind, int line, size_t ls, size_t next)
{
    dm_migfile *mf = c->mf;
    if (c->sql_line)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: SQL comes before the first section marker (-- dbmig:%s at "
                          "line %d). %s",
                          mf->path, c->sql_line, dm_section_kind_name(kind), line,
                          kind == DM_UP || kind == DM_DOWN
                              ? "Move it into a section, or remove the markers to make the "
                                "whole file the up section."
                              : "Put -- dbmig:up above it: a file with a verify or fixture "
                                "section marks its up section too.");
    if (mf->nsections) {
        dm_section *prev = &mf->sections[mf->nsections - 1];
        prev->len = ls - prev->off;
    }
    int rc = mf_add_section(c, l, kind, line, next);
    if (rc)
        return rc;
    if (!c->first_marker)
        c->first_marker = line;
    return 0;
}

/* `-- dbmig:irreversible: true`, `-- dbmig:transaction=off`: a known key
 * glued to `:` or `=` (the YAML / INI habit), refused with the fix; 0 when
 * the key is not one of those. */
static int mf_glued_key(mf_ctx *c, const dm_mfline *l, int line)
{
    size_t n = 0;
    while (n < l->keylen && l->key[n] != ':' && l->key[n] != '=')
        n++;
    if (n == l->keylen || n == 0)
        return 0;
    dm_mfline k = *l;
    k.keylen = n;
    int hk = mf_header_key(&k);
    if (hk < 0 && mf_section_kind(&k) < 0 && !dm_mfline_keyis(&k, "statement") &&
        !dm_mfline_keyis(&k, "destructive") && !dm_mfline_keyis(&k, "batch") &&
        !dm_mfline_keyis(&k, "lint-ignore"))
        return 0;
    const char *g = l->key + n + 1; /* what was glued after the colon */
    size_t gn = l->keylen - n - 1;
    dm_buf fix = {0};
    dm_buf_printf(&fix, "-- dbmig:%.*s", (int)n, l->key);
    if (hk == K_IRREVERSIBLE)
        dm_buf_puts(&fix, " alone: it takes no value (remove the line to keep the revision "
                          "reversible)");
    else if (gn || l->vallen)
        dm_buf_printf(&fix, " %.*s%s%.*s", (int)gn, g, gn && l->vallen ? " " : "",
                      (int)l->vallen, l->val);
    int rc = dm_err_set(c->err, DBMIG_EINVALID,
                        "%s:%d: '%.*s' puts '%c' after the key; a marker is -- dbmig:<key>, a "
                        "blank, then its value. Write %s",
                        c->mf->path, line, (int)(l->textlen > 80 ? 80 : l->textlen), l->text,
                        l->key[n], dm_buf_str(&fix));
    dm_buf_free(&fix);
    return rc;
}

static int mf_unknown_key(mf_ctx *c, const dm_mfline *l, int line)
{
    int rc = mf_glued_key(c, l, line);
    if (rc)
        return rc;
    static const char *const keys[] = {"up",        "down",        "verify",      "fixture",
                                       "revision",  "parents",     "message",     "branch",
                                       "depends",   "transaction", "irreversible", "statement",
                                       "description", "destructive", "phase", "batch",
                                       "placeholders", "lint-ignore"};
    const char *near = dm_mf_nearest(l->key, l->keylen, keys, sizeof keys / sizeof keys[0]);
    return dm_err_set(c->err, DBMIG_EINVALID,
                      "%s:%d: unknown key -- dbmig:%.*s%s%s%s. Known keys: " MF_KNOWN_KEYS
                      "; a plain comment must not start with dbmig:.",
                      c->mf->path, line, (int)l->keylen, l->key,
                      near ? " (did you mean -- dbmig:" : "", near ? near : "", near ? "?)" : "");
}

/* `-- dbmig:destructive <what>` (written by `dbmig diff` above a statement
 * that can lose data): an annotation of the statement below it in an up
 * or down section, which the splitter drops with the statement's leading
 * comments. Refused in the header and in verify/fixture sections, and
 * without a value. */
static int mf_destructive(mf_ctx *c, const dm_mfline *l, int line)
{
    dm_migfile *mf = c->mf;
    if (!l->vallen)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:destructive needs to say what the statement below it "
                          "loses, e.g. -- dbmig:destructive drops column users.email",
                          mf->path, line);
    int kind = c->first_marker ? mf->sections[mf->nsections - 1].kind : DM_UP;
    if (kind != DM_UP && kind != DM_DOWN)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:destructive marks a statement of an up or down "
                          "section, not of a %s section: remove it, or move it above the "
                          "statement it marks",
                          mf->path, line, dm_section_kind_name(kind));
    if (!c->first_marker && !c->sql_line && !c->early_destructive)
        c->early_destructive = line;
    c->pending_destructive = line;
    return 0;
}

/* A section ends (a marker, the end of the file) with a -- dbmig:destructive
 * line that no statement followed: it marks nothing, and a reader would
 * take the statement it was meant for as unmarked. */
static int mf_destructive_dangling(mf_ctx *c)
{
    if (!c->pending_destructive)
        return 0;
    return dm_err_set(c->err, DBMIG_EINVALID,
                      "%s:%d: -- dbmig:destructive marks no statement (none follows it in its "
                      "section): put it on the line above the statement it marks, or remove it",
                      c->mf->path, c->pending_destructive);
}

/* A header key or a section marker after an early -- dbmig:destructive:
 * that line was in the header. */
static int mf_destructive_in_header(mf_ctx *c)
{
    if (!c->early_destructive || c->sql_line)
        return 0;
    return dm_err_set(c->err, DBMIG_EINVALID,
                      "%s:%d: -- dbmig:destructive is in the header (before the first section "
                      "marker); it marks the statement below it in an up or down section: move "
                      "it there, on the line above that statement",
                      c->mf->path, c->early_destructive);
}

/* `-- dbmig:batch [by COL size N [from TABLE]]` (SPEC 14): marks the
 * statement below it in an up or down section. Kept in mf->batches with
 * its section; dm_migfile_stream hands that statement over with st->batch
 * set, and checks it (batch.c). */
static int mf_batch(mf_ctx *c, const dm_mfline *l, int line)
{
    dm_migfile *mf = c->mf;
    int kind = c->first_marker ? mf->sections[mf->nsections - 1].kind : DM_UP;
    if (kind != DM_UP && kind != DM_DOWN)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:batch marks a statement of an up or down section, "
                          "not of a %s section: remove it, or move it above the statement it "
                          "marks",
                          mf->path, line, dm_section_kind_name(kind));
    if (c->pending_batch)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: a second -- dbmig:batch marker for the same statement (the "
                          "first is at line %d): keep one",
                          mf->path, line, c->pending_batch);
    dm_batchmark m = {0};
    int rc = dm_batch_parse_marker(mf->path, line, l->val, l->vallen, &m, c->err);
    if (rc)
        return rc;
    dm_batchmark *v = realloc(mf->batches, (mf->nbatches + 1) * sizeof *v);
    if (!v) {
        dm_batchmark_free(&m);
        return dm_err_nomem(c->err);
    }
    mf->batches = v;
    m.line = line;
    m.section = c->first_marker ? mf->nsections - 1 : 0;
    mf->batches[mf->nbatches++] = m;
    if (!c->first_marker && !c->sql_line && !c->early_batch)
        c->early_batch = line;
    c->pending_batch = line;
    return 0;
}

/* A section ends with a -- dbmig:batch line no statement followed, or a
 * header key or a section marker comes after an early one (it was in the
 * header). */
static int mf_batch_misplaced(mf_ctx *c, int header)
{
    if (header && c->early_batch && !c->sql_line)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:batch is in the header (before the first section "
                          "marker); it marks the statement below it in an up or down section: "
                          "move it there, on the line above that statement",
                          c->mf->path, c->early_batch);
    if (!header && c->pending_batch)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:batch marks no statement (none follows it in its "
                          "section): put it on the line above the statement it marks, or "
                          "remove it",
                          c->mf->path, c->pending_batch);
    return 0;
}

static int mf_header_line(mf_ctx *c, int hk, const dm_mfline *l, int line, size_t next)
{
    dm_migfile *mf = c->mf;
    if (c->first_marker)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: header key -- dbmig:%.*s after the first section marker "
                          "(line %d). Move it to the header at the top of the file.",
                          mf->path, line, (int)l->keylen, l->key, c->first_marker);
    if (c->sql_line)
        return dm_err_set(c->err, DBMIG_EINVALID,
                          "%s:%d: header key -- dbmig:%.*s after SQL began (line %d). Move it "
                          "to the header at the top of the file.",
                          mf->path, line, (int)l->keylen, l->key, c->sql_line);
    int rc = mf_destructive_in_header(c);
    if (!rc)
        rc = mf_batch_misplaced(c, 1);
    if (!rc)
        rc = mf_header(c, hk, l, line);
    if (rc)
        return rc;
    c->body_off = next;
    c->body_line = line + 1;
    return 0;
}

/* One line of the (normalised) text: the line `line` spans [ls, next). */
static int mf_on_line(void *payload, const dm_mfline *l, int line, size_t ls, size_t next)
{
    mf_ctx *c = payload;
    dm_migfile *mf = c->mf;
    if (l->kind == MFL_SQL) {
        if (!c->first_marker && !c->sql_line)
            c->sql_line = line;
        c->pending_destructive = 0;
        c->pending_batch = 0;
    } else if (l->kind == MFL_DIRECTIVE) {
        int hk = mf_header_key(l), kind = mf_section_kind(l);
        if (kind >= 0 && !c->first_marker && mf_destructive_in_header(c))
            return DBMIG_EINVALID;
        if (kind >= 0 && mf_destructive_dangling(c))
            return DBMIG_EINVALID;
        if (kind >= 0 && (mf_batch_misplaced(c, !c->first_marker) || mf_batch_misplaced(c, 0)))
            return DBMIG_EINVALID;
        if (kind >= 0)
            return mf_marker(c, l, kind, line, ls, next);
        if (dm_mfline_keyis(l, "destructive"))
            return mf_destructive(c, l, line);
        if (dm_mfline_keyis(l, "batch"))
            return mf_batch(c, l, line);
        /* `-- dbmig:lint-ignore RULE reason` (SPEC 15): a comment for
         * `dbmig lint`, which checks where it is and what it says */
        if (dm_mfline_keyis(l, "lint-ignore"))
            return 0;
        if (dm_mfline_keyis(l, "statement")) {
            if (!dm_mf_ci_eq(l->val, l->vallen, "begin") && !dm_mf_ci_eq(l->val, l->vallen, "end"))
                return dm_err_set(c->err, DBMIG_EINVALID,
                                  "%s:%d: -- dbmig:statement takes `begin` or `end`, not "
                                  "'%.*s'. Enclose a statement between "
                                  "-- dbmig:statement begin and -- dbmig:statement end.",
                                  mf->path, line, (int)l->vallen, l->val);
            if (!c->first_marker && !c->sql_line)
                c->sql_line = line;
            c->pending_destructive = 0;
            c->pending_batch = 0;
            return 0;
        }
        if (hk >= 0)
            return mf_header_line(c, hk, l, line, next);
        return mf_unknown_key(c, l, line);
    } else if (l->kind == MFL_NEAR) {
        return dm_mfline_near_error(c->mf->path, l, line, c->err);
    } else if (l->kind == MFL_FOREIGN) {
        return dm_mfline_foreign_error(c->mf->path, l, line, c->err);
    }
    return 0;
}

/* `irreversible` and a down section say opposite things: `test` would
 * either skip a down that exists or run one the author disowned. */
static int mf_irreversible_down(mf_ctx *c)
{
    dm_migfile *mf = c->mf;
    for (size_t i = 0; mf->irreversible && i < mf->nsections; i++) {
        const dm_section *s = &mf->sections[i];
        if (s->kind == DM_DOWN)
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: the file has a -- dbmig:down%s%s section but is marked "
                              "-- dbmig:irreversible (line %d): remove one. Remove the down "
                              "section if the revision cannot be reverted, or the "
                              "irreversible line if it can.",
                              mf->path, s->marker_line, s->driver ? " " : "",
                              s->driver ? s->driver : "", c->seen[K_IRREVERSIBLE]);
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
    if (mf_destructive_dangling(c) || mf_batch_misplaced(c, 0))
        return DBMIG_EINVALID;
    if (mf->nsections) {
        dm_section *prev = &mf->sections[mf->nsections - 1];
        prev->len = n - prev->off;
        int has_up = 0;
        for (size_t i = 0; i < mf->nsections; i++)
            has_up |= mf->sections[i].kind == DM_UP;
        if (!has_up)
            return dm_err_set(c->err, DBMIG_EINVALID,
                              "%s:%d: the file has a -- dbmig:%s section but no -- dbmig:up "
                              "section, so applying it would run nothing. Add -- dbmig:up "
                              "above the up SQL (an empty -- dbmig:up section says that "
                              "nothing runs).",
                              mf->path, c->first_marker,
                              dm_section_kind_name(mf->sections[0].kind));
        return mf_irreversible_down(c);
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

/* ------------------------------------------------------------------ loading
 *
 * A file in memory and a streamed one are loaded the same way: the text
 * pipeline (mftext.c) checks, normalises and hashes the bytes and hands
 * every line to mf_on_line; after each chunk the probe looks, while no
 * section marker was seen, for the first statement (a file without markers
 * must hold one); at the end mf_scan_end closes the sections. The file in
 * memory is one chunk whose normalised text is kept (mf->text); a streamed
 * file (more than DM_MIGFILE_STREAM_MIN bytes) is read in 64 KiB chunks and
 * not kept, and dm_migfile_stream() reads it again.
 */

typedef struct mf_load {
    mf_ctx c;
    dm_mftext t;
    dm_splitter *probe; /* made when first needed */
    int probing;        /* until the probe has its answer */
    size_t nst;         /* 1: it found a statement */
    int probe_rc;       /* a lexing error (left for the driver's own split) */
    dm_err perr;
} mf_load;

static int mf_load_begin(mf_load *ld, dm_migfile *out, const char *path, dm_err *err)
{
    memset(out, 0, sizeof *out);
    out->transaction = 1;
    memset(&ld->c, 0, sizeof ld->c);
    ld->c.mf = out;
    ld->c.err = err;
    ld->c.body_line = 1;
    ld->probe = NULL;
    ld->probing = 1;
    ld->nst = 0;
    ld->probe_rc = 0;
    memset(&ld->perr, 0, sizeof ld->perr);
    out->path = dm_strdup(path);
    const char *slash = strrchr(path, '/');
    out->filename = dm_strdup(slash ? slash + 1 : path);
    dm_mftext_init(&ld->t, out->path, 1, mf_on_line, &ld->c);
    return out->path && out->filename ? 0 : dm_err_nomem(err);
}

/* The probe of an implicit up section: does the body hold a statement? */
static int mf_probe_cb(void *payload, const dm_stmt *st)
{
    (void)payload;
    (void)st;
    return 1; /* the first statement settles it */
}

/* After each chunk of normalised text: the probe, until a marker makes it
 * moot. It splits from the file's start, not from the end of the header:
 * before that only blank lines and -- comments can come (anything else
 * before a header key is refused), and they are no statement. */
static int mf_load_chunk(void *payload, const char *norm, size_t n, int last)
{
    mf_load *ld = payload;
    if (!ld->probing || ld->c.first_marker)
        return 0;
    if (!ld->probe && !(ld->probe = dm_splitter_new(DBMIG_DIALECT_GENERIC, 1, ld->c.mf->path)))
        return dm_err_nomem(ld->c.err);
    int prc = dm_split_feed(ld->probe, norm, n, mf_probe_cb, NULL, &ld->perr);
    if (!prc && last)
        prc = dm_split_finish(ld->probe, mf_probe_cb, NULL, &ld->perr);
    if (prc || last) {
        ld->probing = 0;
        ld->nst = prc == 1;
        ld->probe_rc = prc == 1 ? 0 : prc;
    }
    return 0;
}

static int mf_load_end(mf_load *ld)
{
    dm_migfile *mf = ld->c.mf;
    mf->text_len = ld->t.off;
    dm_mftext_checksum(&ld->t, mf->checksum);
    /* a streamed file is read again in chunks: a placeholder cut by a chunk
     * boundary, and a value that moves a statement, cannot be checked there */
    if (mf->streamed && mf->placeholders)
        return dm_err_set(ld->c.err, DBMIG_EINVALID,
                          "%s:%d: -- dbmig:placeholders on in a file of more than %zu MiB, "
                          "which dbmig streams; placeholders work in smaller files: split the "
                          "file, or keep its large data part in a file without placeholders",
                          mf->path, mf->placeholders_line, DM_MIGFILE_STREAM_MIN >> 20);
    int rc = mf_scan_end(&ld->c, ld->t.off, ld->nst, ld->probe_rc);
    return rc ? rc : mf_defaults(&ld->c);
}

static void mf_load_free(mf_load *ld)
{
    dm_mftext_free(&ld->t);
    dm_splitter_free(ld->probe);
    dm_err_free(&ld->perr);
}

/* The end of a load, in memory or streamed: the last checks when all went
 * well, then the loader's state freed, and out with it on failure. */
static int mf_load_finish(mf_load *ld, dm_migfile *out, int rc)
{
    if (!rc)
        rc = mf_load_end(ld);
    mf_load_free(ld);
    if (rc)
        dm_migfile_free(out);
    return rc;
}

int dm_migfile_parse(const char *path, const char *data, size_t len, dm_migfile *out,
                     dm_err *err)
{
    if (!data)
        len = 0;
    mf_load ld;
    int rc = mf_load_begin(&ld, out, path ? path : "<input>", err);
    size_t n = 0;
    if (!rc && !(out->text = malloc(len + 3)))
        rc = dm_err_nomem(err);
    if (!rc)
        rc = dm_mftext_feed(&ld.t, data ? data : "", len, 1, out->text, &n, err);
    if (!rc && out->text) {
        out->text[n] = '\0';
        rc = mf_load_chunk(&ld, out->text, n, 1);
    }
    return mf_load_finish(&ld, out, rc);
}

static int mf_load_opened(void *payload, const struct stat *st)
{
    dm_migfile *mf = ((mf_load *)payload)->c.mf;
    mf->file_size = (long long)st->st_size;
    mf->file_mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    mf->file_ino = (unsigned long long)st->st_ino;
    return 0;
}

static int mf_load_stream(const char *path, dm_migfile *out, dm_err *err)
{
    mf_load ld;
    int rc = mf_load_begin(&ld, out, path, err);
    out->streamed = 1;
    dm_mftext_reader rd = {mf_load_opened, mf_load_chunk, &ld};
    if (!rc)
        rc = dm_mftext_file(&ld.t, path, &rd, err);
    return mf_load_finish(&ld, out, rc);
}

/* The section [b, e) of a streamed file, read again through the pipeline
 * (without the checks and the lines, done at load) into sp, checking on the
 * way that the file is still the one that was loaded. */
typedef struct mf_reread {
    const dm_migfile *mf;
    dm_mftext *t;
    size_t b, e;
    dm_splitter *sp;
    dm_stmt_cb cb;
    void *payload;
    dm_err *err;
} mf_reread;

static int mf_reread_opened(void *payload, const struct stat *st)
{
    mf_reread *x = payload;
    const dm_migfile *mf = x->mf;
    long long mtime = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    if ((long long)st->st_size != mf->file_size || mtime != mf->file_mtime_ns ||
        (unsigned long long)st->st_ino != mf->file_ino)
        return dm_err_set(x->err, DBMIG_EINVALID,
                          "%s: the file changed since it was read at the start of the run (its "
                          "size, modification time or inode differ). Do not edit migration "
                          "files during a run; run the command again.",
                          mf->path);
    return 0;
}

static int mf_reread_chunk(void *payload, const char *norm, size_t n, int last)
{
    mf_reread *x = payload;
    size_t off = x->t->off - n; /* of norm[0] */
    size_t b = off > x->b ? off : x->b, e = off + n < x->e ? off + n : x->e;
    int rc = b < e ? dm_split_feed(x->sp, norm + (b - off), e - b, x->cb, x->payload, x->err) : 0;
    if (rc || !last)
        return rc;
    char sum[DM_CHECKSUM_LEN + 1];
    dm_mftext_checksum(x->t, sum);
    if (x->t->off != x->mf->text_len || strcmp(sum, x->mf->checksum) != 0)
        return dm_err_set(x->err, DBMIG_EINVALID,
                          "%s: the file changed while it was being read (its checksum is no "
                          "longer %s). Do not edit migration files during a run; run the "
                          "command again (statements of a transactional migration are rolled "
                          "back).",
                          x->mf->path, x->mf->checksum);
    /* the last statement only once the whole file is known to be unchanged */
    return dm_split_finish(x->sp, x->cb, x->payload, x->err);
}

static int mf_stream_file(const dm_migfile *mf, const dm_section *s, dm_splitter *sp,
                          dm_stmt_cb cb, void *payload, dm_err *err)
{
    dm_mftext t;
    dm_mftext_init(&t, mf->path, 0, NULL, NULL);
    mf_reread x = {mf, &t, s->off, s->off + s->len, sp, cb, payload, err};
    dm_mftext_reader rd = {mf_reread_opened, mf_reread_chunk, &x};
    int rc = dm_mftext_file(&t, mf->path, &rd, err);
    dm_mftext_free(&t);
    return rc;
}

/* SHA-256 of the text as the pipeline hashes it (fed in pieces: it needs
 * room for the normalised bytes). */
void dm_checksum(const char *data, size_t len, char *out)
{
    dm_mftext t;
    dm_err err = {0};
    char norm[4096 + 3];
    dm_mftext_init(&t, "", 0, NULL, NULL);
    if (!data) {
        data = "";
        len = 0;
    }
    size_t i = 0, n;
    int rc = 0;
    do {
        size_t take = len - i < 4096 ? len - i : 4096;
        rc = dm_mftext_feed(&t, data + i, take, i + take == len, norm, &n, &err);
        i += take;
    } while (!rc && i < len);
    out[0] = '\0';
    if (!rc)
        dm_mftext_checksum(&t, out);
    dm_mftext_free(&t);
    dm_err_free(&err);
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
    for (size_t i = 0; i < mf->nbatches; i++)
        dm_batchmark_free(&mf->batches[i]);
    free(mf->batches);
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
        if (before == 0) { /* as it was: no array the caller never asked for */
            free(out->v);
            memset(out, 0, sizeof *out);
        }
    }
    return rc;
}

typedef struct mf_checked {
    const dm_migfile *mf;
    int dialect;
    dm_stmt_cb cb;
    void *payload;
    dm_err *err;
    size_t sec;   /* the section's index: its -- dbmig:batch markers */
    int prev_end; /* the last line of the statement before (the marker line before the first) */
} mf_checked;

/* The -- dbmig:batch marker above st (between the statement before it and
 * st's first line): st->batch. A marker on a line inside st is refused. */
static int mf_batch_attach(mf_checked *x, dm_stmt *st)
{
    const dm_migfile *mf = x->mf;
    int end = st->line;
    for (size_t i = 0; i < st->len; i++)
        end += st->sql[i] == '\n';
    for (size_t i = 0; i < mf->nbatches; i++) {
        const dm_batchmark *m = &mf->batches[i];
        if (m->section != x->sec || m->line <= x->prev_end || m->line > end)
            continue;
        if (m->line >= st->line)
            return dm_err_set(x->err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:batch is inside the statement that starts at line "
                              "%d: put it on the line above that statement",
                              mf->path, m->line, st->line);
        st->batch = (int)i + 1;
    }
    x->prev_end = end;
    if (!st->batch)
        return 0;
    return dm_batch_check_stmt(mf->path, &mf->batches[st->batch - 1], st, x->dialect, x->err);
}

/* After the section's last statement: a marker below it marks nothing. */
static int mf_batch_dangling(const mf_checked *x)
{
    for (size_t i = 0; i < x->mf->nbatches; i++)
        if (x->mf->batches[i].section == x->sec && x->mf->batches[i].line > x->prev_end)
            return dm_err_set(x->err, DBMIG_EINVALID,
                              "%s:%d: -- dbmig:batch marks no statement (none follows it in its "
                              "section): put it on the line above the statement it marks, or "
                              "remove it",
                              x->mf->path, x->mf->batches[i].line);
    return 0;
}

static int mf_checked_cb(void *payload, const dm_stmt *st)
{
    mf_checked *x = payload;
    dm_stmt s = *st;
    int rc = mf_txn_check(x->mf, st, x->dialect, x->err);
    if (!rc && x->mf->nbatches)
        rc = mf_batch_attach(x, &s);
    return rc ? rc : x->cb(x->payload, &s);
}

/* ---------------------------------------------- placeholders (SPEC 16) */

/* The section's text with its placeholders substituted, into out; checked
 * (dm_ph_check_split) to split into the statements of the text as written,
 * each substituted on its own: a value never adds, removes or merges a
 * statement, nor moves where one ends. */
static int mf_ph_section(const dm_migfile *mf, const dm_section *s, int dialect, dm_buf *out,
                         dm_err *err)
{
    const char *text = mf->text + s->off;
    dm_ph_uses u = {0};
    int rc = dm_ph_subst(mf->path, s->line, text, s->len, mf->vars, mf->nvars, out, &u, err);
    if (rc == 0 && u.n)
        rc = dm_ph_check_split(mf->path, s->line, text, s->len, dm_buf_str(out), out->len,
                               dialect, mf->vars, mf->nvars, &u, err);
    dm_ph_uses_free(&u);
    return rc;
}

/* One section's placeholders, substituted into a scratch buffer that is
 * dropped: only the error matters. */
static int mf_ph_check_section(const dm_migfile *mf, const dm_section *s, dm_err *err)
{
    dm_buf out = {0};
    int rc = dm_ph_subst(mf->path, s->line, mf->text + s->off, s->len, mf->vars, mf->nvars, &out,
                         NULL, err);
    dm_buf_free(&out);
    return rc;
}

int dm_migfile_ph_check(const dm_migfile *mf, const char *driver, dm_err *err)
{
    if (!mf->placeholders || mf->streamed)
        return 0;
    if (!driver) { /* the driver is not known yet: every section */
        for (size_t i = 0; i < mf->nsections; i++) {
            int rc = mf_ph_check_section(mf, &mf->sections[i], err);
            if (rc)
                return rc;
        }
        return 0;
    }
    for (int kind = DM_UP; kind <= DM_FIXTURE; kind++) {
        const dm_section *s = dm_migfile_section(mf, kind, driver);
        int rc = s ? mf_ph_check_section(mf, s, err) : 0;
        if (rc)
            return rc;
    }
    return 0;
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
    mf_checked x = {mf, dialect, cb, payload, err, (size_t)(s - mf->sections), s->line - 1};
    int rc;
    dm_buf sub = {0};
    if (mf->streamed) {
        rc = mf_stream_file(mf, s, sp, mf_checked_cb, &x, err);
    } else if (mf->placeholders) {
        rc = mf_ph_section(mf, s, dialect, &sub, err);
        if (!rc)
            rc = dm_split_feed(sp, dm_buf_str(&sub), sub.len, mf_checked_cb, &x, err);
        if (!rc)
            rc = dm_split_finish(sp, mf_checked_cb, &x, err);
    } else {
        rc = dm_split_feed(sp, mf->text + s->off, s->len, mf_checked_cb, &x, err);
        if (!rc)
            rc = dm_split_finish(sp, mf_checked_cb, &x, err);
    }
    if (!rc && mf->nbatches)
        rc = mf_batch_dangling(&x);
    dm_splitter_free(sp);
    dm_buf_free(&sub);
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
        /* the usual short names, too far from ours for the edit distance */
        static const char *const alias[][2] = {{"pg", "postgres"},   {"psql", "postgres"},
                                               {"pgsql", "postgres"}, {"postgre", "postgres"},
                                               {"my", "mysql"},       {"maria", "mysql"},
                                               {"lite", "sqlite"},    {"sqlite2", "sqlite"}};
        for (size_t k = 0; !near && k < sizeof alias / sizeof alias[0]; k++)
            if (strcasecmp(s->driver, alias[k][0]) == 0)
                near = alias[k][1];
        dm_buf known = {0};
        for (size_t k = 0; k < nc; k++)
            dm_buf_printf(&known, "%s%s", k ? ", " : "", cands[k]);
        dm_err_set(err, DBMIG_EINVALID,
                   "%s:%d: -- dbmig:%s %s names no known driver%s%s%s, so its SQL would never "
                   "run. Known drivers: %s (plugins are found on --plugin-dir, "
                   "DBMIG_PLUGIN_PATH and the installed plugin folder; see `dbmig drivers`). "
                   "Fix the name, or install the driver's plugin.",
                   mf->path, s->marker_line, dm_section_kind_name(s->kind), s->driver,
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
