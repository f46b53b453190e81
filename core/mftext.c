/* mftext.c — the one text pipeline of a migration file (see mftext.h).
 *
 * Every rule about the bytes of a file lives here once, and works on a
 * chunk of any size with a little state carried to the next chunk: a UTF-8
 * sequence cut by the chunk's end (checked when the next chunk completes
 * it), a \r at the end (a CRLF cut in two), the trailing blanks of the line
 * being hashed (hashed only if the line goes on), and the line being read.
 * A whole file in memory is one chunk, so none of that state is used there
 * and every line is classified where it lies; a streamed file is read in
 * 64 KiB chunks and only a line cut by a chunk's end is copied (from its
 * first non-blank byte, at most DM_MFLINE_PREFIX bytes unless it is a
 * directive, which mfline.c decides from that prefix alone), so memory
 * stays bounded whatever the file holds. Per byte: one check pass, one copy
 * into the normalised text, one copy into the hash buffer, one scan for the
 * line ends.
 */
#define _POSIX_C_SOURCE 200809L
#include "mftext.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- check: UTF-8 and no NUL -------------------------------------------- */

/* Returns 0 if fine, else the offset of the first bad byte in *bad and 1 for
 * a NUL byte, 2 for invalid UTF-8. */
static int mft_check_text(const unsigned char *s, size_t n, size_t *bad)
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

/* The error for bad byte s[bad] (kind 1: NUL, 2: invalid UTF-8); s begins on
 * the line being read. */
static int mft_bad(const dm_mftext *t, const unsigned char *s, size_t n, size_t bad, int kind,
                   dm_err *err)
{
    int line = t->line;
    if (bad >= n) /* never: mft_check_text found it inside s[0..n) (said for the analyser) */
        bad = n ? n - 1 : 0;
    for (size_t i = 0; i < bad; i++)
        if (s[i] == '\n') // NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult): i < bad < n
            line++;
    if (kind == 1)
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: the file holds a NUL byte, so it is not a text file. Save "
                          "it as plain UTF-8 text.",
                          t->path, line);
    return dm_err_set(err, DBMIG_EINVALID,
                      "%s:%d: invalid UTF-8 (byte 0x%02X). Save the file as UTF-8.", t->path,
                      line, n ? (unsigned)s[bad] : 0u);
}

/* Bytes at the end of s[0..n) that begin a UTF-8 sequence the chunk does
 * not complete (a lead byte among the last three). */
static size_t mft_cut_tail(const unsigned char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned c = s[n - k];
        if (c < 0x80)
            return 0;
        if (c >= 0xC0)
            return (size_t)(c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2) > k ? k : 0;
    }
    return 0;
}

static int mft_check(dm_mftext *t, const unsigned char *s, size_t n, int last, dm_err *err)
{
    size_t i = 0, bad = 0;
    int kind;
    if (t->ncarry) { /* complete the sequence the last chunk cut */
        unsigned c = t->carry[0];
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        while (t->ncarry < need && i < n)
            t->carry[t->ncarry++] = s[i++];
        if (t->ncarry < need && !last)
            return 0;
        if ((kind = mft_check_text(t->carry, t->ncarry, &bad)) != 0)
            return mft_bad(t, t->carry, t->ncarry, bad, kind, err);
        t->ncarry = 0;
    }
    size_t keep = last ? 0 : mft_cut_tail(s + i, n - i);
    if ((kind = mft_check_text(s + i, n - i - keep, &bad)) != 0)
        return mft_bad(t, s + i, n - i - keep, bad, kind, err);
    memcpy(t->carry, s + n - keep, keep);
    t->ncarry = keep;
    return 0;
}

/* ---- normalise: BOM dropped, CRLF to LF ----------------------------------- */

static const char mft_bom_bytes[3] = {'\xEF', '\xBB', '\xBF'};

/* The BOM: the first 3 bytes, which may come in several chunks. Returns 1
 * while they match it so far and more may come (nothing to do yet); else
 * drops it from raw[0..*n), or says in *held how many of its first bytes
 * (mft_bom_bytes: they were not a BOM) earlier chunks left to go first. */
static int mft_bom(dm_mftext *t, const char **raw, size_t *n, int last, size_t *held)
{
    size_t k = 0;
    *held = 0;
    while (t->nbom + k < 3 && k < *n && (*raw)[k] == mft_bom_bytes[t->nbom + k])
        k++;
    if (t->nbom + k == 3) {
        *raw += k;
        *n -= k;
    } else if (k == *n && !last) {
        t->nbom += k;
        return 1;
    } else {
        *held = t->nbom;
    }
    t->started = 1;
    return 0;
}

static size_t mft_normalise(dm_mftext *t, const char *p, size_t n, int last, char *norm)
{
    size_t o = 0, i = 0;
    if (t->cr && !(n > 0 && p[0] == '\n'))
        norm[o++] = '\r';
    t->cr = 0;
    while (i < n) {
        const char *q = memchr(p + i, '\r', n - i);
        size_t e = q ? (size_t)(q - p) : n;
        memcpy(norm + o, p + i, e - i);
        o += e - i;
        if (!q)
            break;
        if (e + 1 == n)
            t->cr = 1; /* decided by the next chunk */
        else if (p[e + 1] != '\n')
            norm[o++] = '\r';
        i = e + 1;
    }
    if (last && t->cr) {
        norm[o++] = '\r';
        t->cr = 0;
    }
    return o;
}

/* ---- checksum: SHA-256 of the text without each line's trailing blanks ---- */

static void mft_put(dm_mftext *t, const char *p, size_t n)
{
    while (n) {
        size_t take = DM_MFTEXT_SUMBUF - t->sumlen < n ? DM_MFTEXT_SUMBUF - t->sumlen : n;
        memcpy(t->sumbuf + t->sumlen, p, take);
        t->sumlen += take;
        p += take;
        n -= take;
        if (t->sumlen == DM_MFTEXT_SUMBUF) {
            dm_sha256_update(&t->sum, t->sumbuf, t->sumlen);
            t->sumlen = 0;
        }
    }
}

static int mft_sum_ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Trailing blanks (and \r) of a line are held back until the line goes on:
 * at the end of the file or of the line they are dropped. */
static int mft_sum(dm_mftext *t, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n, te = e;
        while (te > i && mft_sum_ws(p[te - 1]))
            te--;
        if (te > i) {
            if (t->ws.len) { /* only at the chunk's start */
                mft_put(t, t->ws.ptr, t->ws.len);
                dm_buf_reset(&t->ws);
            }
            mft_put(t, p + i, te - i);
        }
        if (nl) {
            dm_buf_reset(&t->ws);
            mft_put(t, "\n", 1);
            i = e + 1;
        } else {
            if (dm_buf_append(&t->ws, p + te, e - te))
                return -1;
            i = n;
        }
    }
    return 0;
}

/* ---- lines ------------------------------------------------------------------ */

/* What part keeps of a line cut by a chunk's end: nothing yet (only blanks
 * so far), its first DM_MFLINE_PREFIX bytes, all of it (a directive), or no
 * more (not a directive: the prefix decided its kind). */
enum { P_LEAD = 0, P_PREFIX, P_ALL, P_DONE };

static int mft_keep(dm_mftext *t, const char *b, const char *e)
{
    if (t->pmode == P_LEAD) {
        while (b < e && dm_mf_blank(*b))
            b++;
        if (b == e)
            return 0;
        t->pmode = P_PREFIX;
    }
    if (t->pmode == P_PREFIX) {
        size_t room = DM_MFLINE_PREFIX - t->part.len;
        size_t take = (size_t)(e - b) < room ? (size_t)(e - b) : room;
        if (dm_buf_append(&t->part, b, take))
            return -1;
        b += take;
        if (t->part.len == DM_MFLINE_PREFIX) {
            dm_mfline l;
            memset(&l, 0, sizeof l);
            dm_mfline_decide(t->part.ptr, t->part.ptr + t->part.len, &l);
            t->pmode = l.kind == MFL_DIRECTIVE ? P_ALL : P_DONE;
        }
    }
    if (t->pmode == P_ALL && b < e && dm_buf_append(&t->part, b, (size_t)(e - b)))
        return -1;
    return 0;
}

/* The line ending at e (its last bytes b..e in this chunk) is whole: hand it
 * on, classified where it lies or from what part kept of it. */
static int mft_line(dm_mftext *t, const char *b, const char *e, size_t next, dm_err *err)
{
    dm_mfline l;
    if (t->cut) {
        if (mft_keep(t, b, e))
            return dm_err_nomem(err);
        const char *kept = t->part.ptr ? t->part.ptr : ""; /* nothing kept: blanks only */
        dm_mfline_classify(kept, kept + t->part.len, &l);
    } else {
        dm_mfline_classify(b, e, &l);
    }
    int rc = t->on_line(t->payload, &l, t->line, t->ls, next);
    t->line++;
    t->ls = next;
    t->cut = 0;
    t->pmode = P_LEAD;
    dm_buf_reset(&t->part);
    return rc;
}

static int mft_lines(dm_mftext *t, const char *p, size_t n, int last, dm_err *err)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl)
            break;
        size_t e = (size_t)(nl - p);
        int rc = mft_line(t, p + i, p + e, t->off + e + 1, err);
        if (rc != 0)
            return rc;
        i = e + 1;
    }
    if (last) /* the last line, without a '\n' */
        return t->ls < t->off + n ? mft_line(t, p + i, p + n, t->off + n, err) : 0;
    if (i < n) {
        if (mft_keep(t, p + i, p + n))
            return dm_err_nomem(err);
        t->cut = 1;
    }
    return 0;
}

/* ---- the pipeline --------------------------------------------------------- */

void dm_mftext_init(dm_mftext *t, const char *path, int check, dm_mftext_line_cb on_line,
                    void *payload)
{
    memset(t, 0, offsetof(dm_mftext, sumbuf));
    t->path = path;
    t->check = check;
    t->on_line = on_line;
    t->payload = payload;
    t->line = 1;
    dm_sha256_init(&t->sum);
}

/* The stages after the BOM, on raw[0..n) into norm (room n + 1). */
static int mft_stages(dm_mftext *t, const char *raw, size_t n, int last, char *norm,
                      size_t *normn, dm_err *err)
{
    int rc;
    if (t->check && (rc = mft_check(t, (const unsigned char *)raw, n, last, err)) != 0)
        return rc;
    size_t o = mft_normalise(t, raw, n, last, norm);
    if (mft_sum(t, norm, o))
        return dm_err_nomem(err);
    if (t->on_line && (rc = mft_lines(t, norm, o, last, err)) != 0)
        return rc;
    t->off += o;
    *normn = o;
    return 0;
}

int dm_mftext_feed(dm_mftext *t, const char *raw, size_t n, int last, char *norm, size_t *normn,
                   dm_err *err)
{
    size_t held = 0, o = 0;
    *normn = 0;
    if (!t->started && mft_bom(t, &raw, &n, last, &held))
        return 0;
    if (held > sizeof mft_bom_bytes) /* never: what a BOM cut short left (for the analyser) */
        held = sizeof mft_bom_bytes;
    int rc = held ? mft_stages(t, mft_bom_bytes, held, 0, norm, &o, err) : 0;
    if (!rc)
        rc = mft_stages(t, raw, n, last, norm + o, normn, err);
    *normn += o;
    return rc;
}

void dm_mftext_checksum(dm_mftext *t, char *out)
{
    dm_sha256_update(&t->sum, t->sumbuf, t->sumlen);
    t->sumlen = 0;
    dm_sha256_v1(&t->sum, out);
}

void dm_mftext_free(dm_mftext *t)
{
    dm_buf_free(&t->ws);
    dm_buf_free(&t->part);
}

/* ---- a file, chunk by chunk ------------------------------------------------ */

int dm_mftext_file(dm_mftext *t, const char *path, const dm_mftext_reader *rd, dm_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "%s: cannot open: %s. Check the path and its permissions.", path,
                          strerror(errno));
    char *raw = malloc(DM_MFTEXT_CHUNK), *norm = malloc(DM_MFTEXT_CHUNK + 3);
    struct stat st;
    int rc = 0;
    if (!raw || !norm)
        rc = dm_err_nomem(err);
    else if (fstat(fileno(f), &st) != 0)
        rc = dm_err_set(err, DBMIG_EUSAGE, "%s: cannot stat: %s. Check the file.", path,
                        strerror(errno));
    else
        rc = rd->opened(rd->payload, &st);
    for (int last = 0; !rc && !last;) {
        size_t n = fread(raw, 1, DM_MFTEXT_CHUNK, f), normn;
        if (n < DM_MFTEXT_CHUNK && ferror(f)) {
            rc = dm_err_set(err, DBMIG_EUSAGE, "%s: cannot read: %s. Check the file.", path,
                            strerror(errno));
            break;
        }
        last = n < DM_MFTEXT_CHUNK;
        rc = dm_mftext_feed(t, raw, n, last, norm, &normn, err);
        if (!rc)
            rc = rd->chunk(rd->payload, norm, normn, last);
    }
    fclose(f);
    free(raw);
    free(norm);
    return rc;
}
