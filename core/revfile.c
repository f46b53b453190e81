/* revfile.c — growing the graph: `dbmig revision` and `dbmig merge`. The
 * file-name slug of a message, the text of a new revision or merge file, and
 * the writer that resolves the parents, checks labels and depends, picks a
 * free id and creates the file (read back through the parser before it is
 * written; written to a temporary file and linked into place, so it appears
 * whole or not at all and never replaces a file). Also the public
 * dbmig_revision_new / dbmig_merge_new, and the body `dbmig diff` gives.
 * Moved out of history.c, which keeps the drawing and the read-only views.
 */
#define _POSIX_C_SOURCE 200809L
#include "revfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

#define LIST_MAX 10

/* ---- new revision files --------------------------------------------------- */

#define SLUG_MAX 40

char *dm_slug(const char *message)
{
    dm_buf b = {0};
    int gap = 0;
    for (const unsigned char *p = (const unsigned char *)message; p && *p; p++) {
        if (*p < 128 && isalnum(*p)) {
            if (b.len + (gap && b.len ? 2 : 1) > SLUG_MAX)
                break;
            if (gap && b.len && dm_buf_puts(&b, "_"))
                goto oom;
            gap = 0;
            char ch = (char)tolower(*p);
            if (dm_buf_append(&b, &ch, 1))
                goto oom;
        } else {
            gap = 1;
        }
    }
    while (b.len && b.ptr[b.len - 1] == '_')
        b.ptr[--b.len] = '\0';
    if (!b.len && dm_buf_puts(&b, "revision"))
        goto oom;
    return dm_buf_take(&b);
oom:
    dm_buf_free(&b);
    return NULL;
}

static int hs_words(dm_buf *out, const char *key, const dm_strv *v)
{
    if (!v->n)
        return 0;
    int rc = dm_buf_printf(out, "-- dbmig:%s", key);
    for (size_t i = 0; i < v->n && rc == 0; i++)
        rc = dm_buf_printf(out, " %s", v->v[i]);
    return rc ? rc : dm_buf_puts(out, "\n");
}

int dm_newrev_text(const char *id, const dm_strv *parents, const char *message,
                   const dm_newrev *spec, const dm_strv *depends, dm_buf *out)
{
    int rc = dm_buf_printf(out, "-- dbmig:revision %s\n-- dbmig:parents", id);
    if (!parents->n && !rc)
        rc = dm_buf_puts(out, " base");
    for (size_t i = 0; i < parents->n && !rc; i++)
        rc = dm_buf_printf(out, " %s", parents->v[i]);
    if (!rc)
        rc = dm_buf_printf(out, "\n-- dbmig:message %s\n", message);
    if (!rc && spec->nbranches) {
        rc = dm_buf_puts(out, "-- dbmig:branch");
        for (size_t i = 0; i < spec->nbranches && !rc; i++)
            rc = dm_buf_printf(out, " %s", spec->branches[i]);
        if (!rc)
            rc = dm_buf_puts(out, "\n");
    }
    if (!rc)
        rc = hs_words(out, "depends", depends);
    if (!rc && spec->transaction_off)
        rc = dm_buf_puts(out, "-- dbmig:transaction off\n");
    if (!rc && spec->body)
        return dm_buf_printf(out, "\n%s", spec->body);
    if (!rc)
        rc = dm_buf_puts(out, spec->merge ? "\n-- dbmig:up\n\n-- dbmig:down\n"
                                          : "\n-- dbmig:up\n\n\n-- dbmig:down\n\n");
    return rc;
}

static int hs_has(const dm_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0)
            return 1;
    return 0;
}

static void hs_list(dm_buf *b, const dm_graph *g, const size_t *idx, size_t n)
{
    for (size_t k = 0; k < n && k < LIST_MAX; k++)
        dm_buf_printf(b, "%s%s (%s)", k ? ", " : "", g->revs[idx[k]].id,
                      g->revs[idx[k]].file.filename ? g->revs[idx[k]].file.filename : "?");
    if (n > LIST_MAX)
        dm_buf_printf(b, " and %zu more", n - LIST_MAX);
}

/* A label already carried by a revision must be on the new revision's own
 * line (an ancestor), else `<label>@head` would become ambiguous. */
static int hs_check_label(const dm_graph *g, const char *label, const unsigned char *anc,
                          dm_err *err)
{
    if (!dm_valid_rev_id(label))
        return dm_err_set(err, DBMIG_EUSAGE,
                          "'%s' is not a valid branch label: use 1-64 characters of A-Z a-z 0-9 "
                          ". _ - starting with a letter or digit, other than base, head, heads "
                          "and current",
                          label);
    size_t j = dm_graph_find(g, label);
    if (j != DM_NONE)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "the branch label '%s' is the id of revision %s (%s); pick another "
                          "label",
                          label, g->revs[j].id, g->revs[j].file.filename);
    for (size_t i = 0; i < g->n; i++) {
        const dm_strv *b = &g->revs[i].file.branches;
        if (hs_has(b, label) && !anc[i])
            return dm_err_set(err, DBMIG_EUSAGE,
                              "the branch label '%s' is already used by revision %s (%s), which "
                              "is not an ancestor of the new revision; pick another label, or "
                              "continue that branch with `--parent %s@head`",
                              label, g->revs[i].id, g->revs[i].file.filename, label);
    }
    return DBMIG_OK;
}

static void hs_format_id(time_t t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y%m%d%H%M%S", &tm);
}

/* A folder whose revision ids are all plain numbers of one width (001, 002,
 * ...; fewer than 14 digits, so not the UTC-time ids) keeps numbering: the
 * next id is the largest plus one, zero-padded to that width, so that a
 * hand-written next file and `dbmig revision` agree instead of making a
 * second head. Not when the next number needs another digit: "10_x.sql"
 * would sort before "9_y.sql", and file names order header-less files.
 * Returns 1 (numbered: *width, *max), 0 (an empty folder, or *odd is the
 * first id that is not a number of the folder's width) or -1 (numbered,
 * but the next number needs another digit). */
static int nr_numbered(const dm_graph *g, int *width, unsigned long long *max, const char **odd)
{
    size_t w = 0;
    unsigned long long m = 0;
    *odd = NULL;
    for (size_t i = 0; i < g->n; i++) {
        const char *id = g->revs[i].id;
        size_t n = strspn(id, "0123456789");
        if (n == 0 || id[n] != '\0' || n >= 14 || (w && n != w)) {
            *odd = id;
            return 0;
        }
        unsigned long long v = strtoull(id, NULL, 10);
        w = n;
        m = v > m ? v : m;
    }
    *width = (int)w;
    *max = m;
    char next[32];
    if (g->n == 0)
        return 0;
    return (size_t)snprintf(next, sizeof next, "%llu", m + 1) > w ? -1 : 1;
}

/* Is the id taken by a revision, a label, or a file named "<id>_..."? */
static int hs_taken(const dm_graph *g, const char *dir, const char *id)
{
    if (dm_graph_find(g, id) != DM_NONE)
        return 1;
    for (size_t i = 0; i < g->n; i++)
        if (hs_has(&g->revs[i].file.branches, id))
            return 1;
    size_t len = strlen(id);
    for (size_t i = 0; i < g->n; i++) {
        const char *f = g->revs[i].file.filename;
        if (f && strncmp(f, id, len) == 0 && (f[len] == '_' || f[len] == '.'))
            return 1;
    }
    (void)dir;
    return 0;
}

/* What dm_newrev_write works out, step by step (each step a function below,
 * in the order the refusals are checked). */
typedef struct nr_state {
    const dm_graph *g;
    const dm_newrev *spec;
    dm_err *err;
    size_t *par;         /* the parents (graph indexes), np of them */
    size_t np;
    unsigned char *anc;  /* the parents and their ancestors */
    unsigned char *m;    /* scratch, g->n flags */
    dm_strv pids, deps;  /* parent ids; depends ids (neither a parent nor twice) */
    char *message, *slug;
    dm_buf text, path;   /* the new file's text and path */
    char id[32];
} nr_state;

/* The message: one line, blanks around it dropped. */
static int nr_message(nr_state *s)
{
    const char *what = s->spec->merge ? "merge" : "revision";
    const char *msg = s->spec->message ? s->spec->message : "";
    while (*msg == ' ' || *msg == '\t')
        msg++;
    size_t mlen = strlen(msg);
    while (mlen && (msg[mlen - 1] == ' ' || msg[mlen - 1] == '\t'))
        mlen--;
    if (!mlen)
        return dm_err_set(s->err, DBMIG_EUSAGE, "%s needs a message: -m \"what it does\"", what);
    if (memchr(msg, '\n', mlen) || memchr(msg, '\r', mlen))
        return dm_err_set(s->err, DBMIG_EUSAGE,
                          "the message must be one line; put details in a SQL comment of the "
                          "file");
    s->message = dm_strndup(msg, mlen);
    return s->message ? DBMIG_OK : dm_err_nomem(s->err);
}

/* The parents given (resolved, duplicates dropped), else the head(s). */
static int nr_parents(nr_state *s)
{
    const dm_graph *g = s->g;
    const dm_newrev *spec = s->spec;
    int is_base = 0;
    for (size_t i = 0; i < spec->nparents; i++) {
        const char *ref = spec->parents[i];
        if (strcmp(ref, "base") == 0) {
            is_base = 1;
            continue;
        }
        size_t r;
        int rc = dm_graph_resolve(g, ref, &r, s->err);
        if (rc != DBMIG_OK) {
            dm_err_prefix(s->err, "--parent %s: ", ref);
            return rc;
        }
        size_t k = 0;
        while (k < s->np && s->par[k] != r)
            k++;
        if (k == s->np)
            s->par[s->np++] = r;
    }
    if (is_base && s->np)
        return dm_err_set(s->err, DBMIG_EUSAGE,
                          "--parent base makes a new root and cannot be mixed with other parents");
    if (spec->nparents)
        return DBMIG_OK;
    if (spec->merge || g->nheads <= 1) {
        for (size_t k = 0; k < g->nheads; k++)
            s->par[s->np++] = g->heads[k];
        return DBMIG_OK;
    }
    dm_err_set(s->err, DBMIG_EUSAGE, "several heads: ");
    hs_list(&s->err->msg, g, g->heads, g->nheads);
    dm_buf_puts(&s->err->msg, "; join them first with `dbmig merge -m MSG`, or name the "
                              "parent of the new revision with --parent ID");
    return DBMIG_EUSAGE;
}

/* A merge joins two or more revisions, none an ancestor of another. */
static int nr_merge_check(nr_state *s)
{
    const dm_graph *g = s->g;
    size_t n = g->n, np = s->np;
    if (np < 2) {
        dm_err_set(s->err, DBMIG_EUSAGE, "nothing to merge: ");
        dm_buf *msg = &s->err->msg;
        if (s->spec->nparents) {
            dm_buf_printf(msg, "a merge needs two or more different revisions, %zu %s given", np,
                          np == 1 ? "was" : "were");
        } else {
            dm_buf_printf(msg, "the graph has %zu head%s", g->nheads, g->nheads == 1 ? "" : "s");
            if (g->nheads)
                dm_buf_puts(msg, " (");
            hs_list(msg, g, g->heads, g->nheads);
            dm_buf_puts(msg, g->nheads ? "), and a merge needs two or more"
                                       : " and a merge needs two or more");
        }
        return DBMIG_EUSAGE;
    }
    /* no parent may be an ancestor (along parents) of another: the merge
     * would join nothing */
    for (size_t k = 0; k < np; k++) {
        memset(s->m, 0, n);
        s->m[s->par[k]] = 1;
        for (size_t q = n; q-- > 0;) {
            const dm_rev *x = &g->revs[g->order[q]];
            if (s->m[g->order[q]])
                for (size_t e = 0; e < x->nparents; e++)
                    s->m[x->parents[e]] = 1;
        }
        for (size_t j = 0; j < np; j++)
            if (j != k && s->m[s->par[j]]) {
                const dm_rev *a = &g->revs[s->par[j]], *b = &g->revs[s->par[k]];
                return dm_err_set(s->err, DBMIG_EUSAGE,
                                  "cannot merge %s with %s: %s (%s) is already an ancestor of "
                                  "%s (%s); a merge joins separate lines, so drop %s",
                                  a->id, b->id, a->id, a->file.filename, b->id,
                                  b->file.filename, a->id);
            }
    }
    return DBMIG_OK;
}

/* --depends (resolved; a parent or a repeat is dropped) and --branch labels. */
static int nr_depends_labels(nr_state *s)
{
    const dm_graph *g = s->g;
    const dm_newrev *spec = s->spec;
    for (size_t i = 0; i < spec->ndepends; i++) {
        size_t r;
        int rc = dm_graph_resolve(g, spec->depends[i], &r, s->err);
        if (rc != DBMIG_OK) {
            dm_err_prefix(s->err, "--depends %s: ", spec->depends[i]);
            return rc;
        }
        int dup = hs_has(&s->deps, g->revs[r].id);
        for (size_t k = 0; k < s->np; k++)
            dup |= s->par[k] == r;
        if (!dup && dm_strv_push(&s->deps, g->revs[r].id))
            return dm_err_nomem(s->err);
    }
    for (size_t i = 0; i < spec->nbranches; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->branches[j], spec->branches[i]) == 0)
                return dm_err_set(s->err, DBMIG_EUSAGE, "the branch label '%s' is given twice",
                                  spec->branches[i]);
        int rc = hs_check_label(g, spec->branches[i], s->anc, s->err);
        if (rc != DBMIG_OK)
            return rc;
    }
    return DBMIG_OK;
}

/* The new file (named in s->path) must not become the default parent of a
 * header-less file that sorts right after it. */
static int nr_check_order(nr_state *s)
{
    const dm_graph *g = s->g;
    const char *fname = dm_buf_str(&s->path);
    size_t next = DM_NONE;
    for (size_t i = 0; i < g->n; i++) {
        const char *f = g->revs[i].file.filename;
        if (f && strcmp(f, fname) > 0 &&
            (next == DM_NONE || strcmp(f, g->revs[next].file.filename) < 0))
            next = i;
    }
    if (next == DM_NONE || g->revs[next].file.parents_set)
        return DBMIG_OK;
    size_t prev = g->revs[next].nparents ? g->revs[next].parents[0] : DM_NONE;
    return dm_err_set(s->err, DBMIG_EUSAGE,
                      "the new file %s would sort before %s, which has no "
                      "`-- dbmig:parents` header and would take the new revision as its "
                      "parent; add `-- dbmig:parents %s` to %s first (where that file is "
                      "applied, its checksum then changes: record it with `dbmig repair "
                      "--checksums` once the header is reviewed)",
                      fname, g->revs[next].file.path, prev != DM_NONE ? g->revs[prev].id : "base",
                      g->revs[next].file.path);
}

/* What we write (s->text, at s->path) must read back as intended. */
static int nr_reads_back(nr_state *s)
{
    dm_migfile mf;
    dm_err perr = {0};
    int prc = dm_migfile_parse(dm_buf_str(&s->path), s->text.ptr, s->text.len, &mf, &perr);
    int same = prc == DBMIG_OK && dm_streq(mf.revision, s->id) && mf.parents_set &&
               mf.parents.n == s->pids.n && dm_streq(mf.message, s->message);
    for (size_t k = 0; same && k < s->pids.n; k++)
        same = strcmp(mf.parents.v[k], s->pids.v[k]) == 0;
    if (prc == DBMIG_OK)
        dm_migfile_free(&mf);
    int rc = DBMIG_OK;
    if (!same)
        rc = dm_err_set(s->err, DBMIG_EUSAGE, "cannot write a valid file for this revision: %s",
                        prc != DBMIG_OK ? dm_err_msg(&perr) : "the header does not read back");
    dm_err_free(&perr);
    return rc;
}

/* Writes fd whole, syncs and closes it: 0 or an errno. */
static int nr_write_fd(int fd, const dm_buf *text)
{
    int e = 0;
    size_t off = 0;
    while (!e && off < text->len) {
        ssize_t k = write(fd, text->ptr + off, text->len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            e = k < 0 ? errno : EIO;
        else
            off += (size_t)k;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    return e;
}

/* A new temporary file beside the revision, mode 0644 less the umask as
 * `revision` always made them (mkstemp's 0600 widened by fchmod would
 * ignore a stricter umask): -1 with errno when none could be made. */
static int nr_tmp_open(dm_buf *tmp, const char *dir, const char *sep)
{
    int fd = -1;
    for (unsigned n = 0; fd < 0 && n < 1000; n++) {
        dm_buf_reset(tmp);
        if (dm_buf_printf(tmp, "%s%s.dbmig-new-%ld-%u", dir, sep, (long)getpid(), n)) {
            errno = ENOMEM;
            return -1;
        }
        fd = open(tmp->ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            return -1;
    }
    return fd;
}

/* Puts s->text at s->path whole or not at all: a temporary file beside it
 * (not named *.sql, so a folder read meanwhile ignores it), synced, then
 * linked to the new name (link fails rather than replace a file) and
 * removed. 1 when the name is taken (a file appeared since the folder was
 * read), else DBMIG_OK or the error. */
static int nr_place(nr_state *s, const char *dir, const char *sep)
{
    dm_buf tmp = {0};
    int fd = nr_tmp_open(&tmp, dir, sep);
    if (fd < 0 && errno == ENOMEM) {
        dm_buf_free(&tmp);
        return dm_err_nomem(s->err);
    }
    int e = fd < 0 ? errno : nr_write_fd(fd, &s->text);
    if (fd >= 0 && !e && link(tmp.ptr, dm_buf_str(&s->path)) != 0)
        e = errno;
    if (fd >= 0)
        unlink(tmp.ptr);
    int rc = e == EEXIST && fd >= 0 ? 1 : DBMIG_OK;
    if (e && rc != 1)
        rc = dm_err_set(s->err, DBMIG_EUSAGE, "cannot %s %s: %s; check the folder's permissions",
                        fd < 0 ? "create a temporary file for" : "write",
                        dm_buf_str(&s->path), strerror(e));
    dm_buf_free(&tmp);
    return rc;
}

/* How the id is made (nr_numbered, spec->idstyle): 1 numbered (*width,
 * *max), 0 the time, or an error for --sequential where it cannot be. */
static int nr_idstyle(nr_state *s, int *width, unsigned long long *max)
{
    const char *odd;
    int numbered = nr_numbered(s->g, width, max, &odd);
    unsigned style = s->spec->idstyle; /* not both: hs_new */
    if (style == DBMIG_REVID_TIMESTAMP)
        return 0;
    if (style != DBMIG_REVID_SEQUENTIAL)
        return numbered == 1;
    if (numbered == 1)
        return 1;
    if (numbered < 0)
        return dm_err_set(s->err, DBMIG_EUSAGE,
                          "--sequential: the next number, %llu, needs more digits than the "
                          "folder's %d-digit ids, and a longer name would sort before the "
                          "others; rename the files with one more leading 0 where none is "
                          "applied yet (a header-less file's id is its number: 9 would "
                          "become 09), or use --timestamp",
                          *max + 1, *width);
    if (odd) {
        size_t v = dm_graph_find(s->g, odd);
        const char *f = v != DM_NONE ? s->g->revs[v].file.filename : NULL;
        return dm_err_set(s->err, DBMIG_EUSAGE,
                          "--sequential: revision '%s'%s%s%s is not numbered like the others "
                          "(ids of digits only, all of one width, such as 001); leave out "
                          "--sequential (the id is then the UTC time) or use --timestamp",
                          odd, f ? " (" : "", f ? f : "", f ? ")" : "");
    }
    *width = 3; /* an empty folder: 001 */
    *max = 0;
    return 1;
}

/* The id: the next number in a numbered folder (nr_numbered), else `now`
 * or the next free second; sets s->id, s->text, s->path and (unless a dry
 * run) writes the new file (nr_place). */
static int nr_create(nr_state *s, const char *dir, time_t now)
{
    size_t dlen = strlen(dir);
    const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
    int width = 0;
    unsigned long long max = 0;
    int numbered = nr_idstyle(s, &width, &max);
    if (numbered < 0)
        return numbered;
    for (int tries = 0;; tries++) {
        if (tries > 100000)
            return dm_err_set(s->err, DBMIG_EUSAGE, "cannot find a free revision id near %s",
                              s->id);
        if (numbered)
            snprintf(s->id, sizeof s->id, "%0*llu", width, max + 1 + (unsigned long long)tries);
        else
            hs_format_id(now + tries, s->id, sizeof s->id);
        if (hs_taken(s->g, dir, s->id))
            continue;
        dm_buf_reset(&s->path);
        if (dm_buf_printf(&s->path, "%s_%s.sql", s->id, s->slug))
            return dm_err_nomem(s->err);
        int rc = nr_check_order(s);
        if (rc != DBMIG_OK)
            return rc;
        dm_buf_reset(&s->text);
        dm_buf_reset(&s->path);
        if (dm_newrev_text(s->id, &s->pids, s->message, s->spec, &s->deps, &s->text) ||
            dm_buf_printf(&s->path, "%s%s%s_%s.sql", dir, sep, s->id, s->slug))
            return dm_err_nomem(s->err);
        if ((rc = nr_reads_back(s)) != DBMIG_OK)
            return rc;
        if (s->spec->dry_run) {
            struct stat sb;
            if (lstat(dm_buf_str(&s->path), &sb) == 0)
                continue;
            return DBMIG_OK;
        }
        if ((rc = nr_place(s, dir, sep)) != 1)
            return rc;
        /* a file appeared since the folder was read: the next second */
    }
}

/* The checks, in the order of the refusals; then the id and the file. */
static int nr_run(nr_state *s, const char *dir, time_t now)
{
    int rc = nr_message(s);
    if (rc == DBMIG_OK)
        rc = nr_parents(s);
    if (rc == DBMIG_OK && s->spec->merge)
        rc = nr_merge_check(s);
    if (rc != DBMIG_OK)
        return rc;
    for (size_t k = 0; k < s->np; k++)
        s->anc[s->par[k]] = 1;
    dm_graph_ancestors(s->g, s->anc);
    if ((rc = nr_depends_labels(s)) != DBMIG_OK)
        return rc;
    for (size_t k = 0; k < s->np; k++)
        if (dm_strv_push(&s->pids, s->g->revs[s->par[k]].id))
            return dm_err_nomem(s->err);
    if (!(s->slug = dm_slug(s->message)))
        return dm_err_nomem(s->err);
    if ((rc = nr_create(s, dir, now)) != DBMIG_OK)
        return rc;
    return DBMIG_OK;
}

int dm_newrev_write(const dm_graph *g, const char *dir, const dm_newrev *spec, time_t now,
                    char **id_out, char **path_out, dm_strv *parents_out, dm_err *err)
{
    *id_out = NULL;
    *path_out = NULL;
    size_t n = g->n;
    nr_state s;
    memset(&s, 0, sizeof s);
    s.g = g;
    s.spec = spec;
    s.err = err;
    s.par = malloc((spec->nparents + n + 1) * sizeof *s.par);
    s.anc = calloc(n ? n : 1, 1);
    s.m = calloc(n ? n : 1, 1);
    int rc = s.par && s.anc && s.m ? nr_run(&s, dir, now) : dm_err_nomem(err);
    if (rc == DBMIG_OK) {
        *id_out = dm_strdup(s.id);
        *path_out = dm_buf_take(&s.path);
        for (size_t k = 0; k < s.pids.n && rc == DBMIG_OK; k++)
            if (dm_strv_push(parents_out, s.pids.v[k]))
                rc = dm_err_nomem(err);
        if (rc == DBMIG_OK && (!*id_out || !*path_out))
            rc = dm_err_nomem(err);
        if (rc == DBMIG_OK && spec->text_out &&
            dm_buf_append(spec->text_out, s.text.ptr ? s.text.ptr : "", s.text.len))
            rc = dm_err_nomem(err);
    }
    free(s.par);
    free(s.anc);
    free(s.m);
    free(s.message);
    free(s.slug);
    dm_strv_free(&s.pids);
    dm_strv_free(&s.deps);
    dm_buf_free(&s.text);
    dm_buf_free(&s.path);
    return rc;
}

/* ---- the public API --------------------------------------------------------- */

void dbmig_new_revision_free(dbmig_new_revision *r)
{
    if (!r)
        return;
    free((char *)r->revision);
    free((char *)r->file);
    dm_strs_free(r->parents, r->nparents);
    free(r);
}

static int hs_new(dbmig *h, const dbmig_revision_opts *o, int merge, unsigned flags,
                  dbmig_new_revision **out)
{
    *out = NULL;
    dm_err_clear(&h->err);
    if (!o)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "no options given");
    if ((flags & DBMIG_REVID_TIMESTAMP) && (flags & DBMIG_REVID_SEQUENTIAL))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "--timestamp and --sequential ask for two id styles; give one");
    int rc = dm_need_graph(h);
    if (rc != DBMIG_OK)
        return rc;
    dm_newrev spec = {o->message, o->parents, o->nparents, o->branches, o->nbranches,
                      o->depends, o->ndepends, merge, h->o.dry_run, NULL, 0, NULL, flags};
    char *id = NULL, *path = NULL;
    dm_strv parents = {0};
    rc = dm_newrev_write(&h->graph, h->dir, &spec, time(NULL), &id, &path, &parents, &h->err);
    if (rc != DBMIG_OK)
        goto out;
    if (h->o.dry_run)
        goto done; /* the caller says "would create" */
    /* the folder changed: read it again, and check the file reads back as
     * the revision we meant */
    dm_graph_free(&h->graph);
    h->graph_loaded = 0;
    rc = dm_need_graph(h);
    if (rc != DBMIG_OK) {
        dm_err_prefix(&h->err, "wrote %s, but the folder no longer loads: ", path);
        goto out;
    }
    size_t v = dm_graph_find(&h->graph, id);
    int same = v != DM_NONE && h->graph.revs[v].nparents == parents.n;
    for (size_t k = 0; same && k < parents.n; k++)
        same = strcmp(h->graph.revs[h->graph.revs[v].parents[k]].id, parents.v[k]) == 0;
    if (!same) {
        rc = dm_err_set(&h->err, DBMIG_EINVALID,
                        "wrote %s, but it does not read back as revision %s with the intended "
                        "parents; check the file",
                        path, id);
        goto out;
    }
done:;
    dbmig_new_revision *r = calloc(1, sizeof *r);
    if (!r)
        goto oom;
    r->revision = id;
    r->file = path;
    id = path = NULL;
    r->nparents = parents.n;
    r->parents = dm_strs_dup((const char *const *)parents.v, parents.n);
    if (!r->parents) {
        dbmig_new_revision_free(r);
        goto oom;
    }
    *out = r;
    goto out;
oom:
    rc = dm_err_nomem(&h->err);
out:
    free(id);
    free(path);
    dm_strv_free(&parents);
    return rc;
}

int dbmig_revision_new(dbmig *h, const dbmig_revision_opts *o, dbmig_new_revision **out)
{
    return hs_new(h, o, 0, 0, out);
}

int dbmig_merge_new(dbmig *h, const dbmig_revision_opts *o, dbmig_new_revision **out)
{
    return hs_new(h, o, 1, 0, out);
}

int dbmig_revision_new_ex(dbmig *h, const dbmig_revision_opts *o, unsigned flags,
                          dbmig_new_revision **out)
{
    return hs_new(h, o, 0, flags, out);
}

int dbmig_merge_new_ex(dbmig *h, const dbmig_revision_opts *o, unsigned flags,
                       dbmig_new_revision **out)
{
    return hs_new(h, o, 1, flags, out);
}
