/* mftext.h — the one text pipeline of a migration file: raw bytes in, in
 * chunks of any size (a whole file in memory is one chunk), through
 *   check (UTF-8, no NUL) -> normalise (BOM dropped, CRLF to LF)
 *   -> checksum (trailing blanks of each line dropped, SHA-256)
 *   -> lines (each line's kind, from mfline.c, with its number and offsets)
 * and normalised text out. The in-memory parse and the streamed load of a
 * large file both run it; the streamed re-read of a section runs it without
 * the check and the lines. Internal (migfile.c). */
#ifndef DM_MFTEXT_H
#define DM_MFTEXT_H

#include <stddef.h>
#include <sys/stat.h>

#include "mfline.h"
#include "sha256.h"
#include "util.h"

#define DM_MFTEXT_CHUNK 65536 /* bytes read at a time from a streamed file */
#define DM_MFTEXT_SUMBUF 8192 /* normalised bytes hashed at a time */

/* One line of the normalised text: it spans [ls, next) (next is after its
 * '\n', or the end of the text), its number is `line`. A non-zero return
 * stops the pipeline and is returned by dm_mftext_feed. */
typedef int (*dm_mftext_line_cb)(void *payload, const dm_mfline *l, int line, size_t ls,
                                 size_t next);

typedef struct dm_mftext {
    const char *path;          /* for messages */
    int check;                 /* 1: refuse a NUL byte and invalid UTF-8 */
    dm_mftext_line_cb on_line; /* NULL: lines are not cut */
    void *payload;
    /* normalise */
    int started;               /* the BOM was looked for */
    size_t nbom;               /* its bytes seen so far, while they may be one */
    int cr;                    /* the last chunk ended with a \r: the next byte decides */
    unsigned char carry[4];    /* check: a UTF-8 sequence cut by the chunk's end */
    size_t ncarry;
    size_t off;                /* normalised bytes handed out so far */
    /* checksum */
    dm_sha256 sum;
    dm_buf ws;                 /* trailing blanks of the line being hashed, held back */
    size_t sumlen;
    /* lines */
    int line;                  /* number of the line being read */
    size_t ls;                 /* offset of its first byte */
    int cut;                   /* it began in an earlier chunk: its bytes are in part */
    int pmode;                 /* what part keeps of it (mftext.c) */
    dm_buf part;
    char sumbuf[DM_MFTEXT_SUMBUF]; /* last: dm_mftext_init clears what comes before */
} dm_mftext;

void dm_mftext_init(dm_mftext *t, const char *path, int check, dm_mftext_line_cb on_line,
                    void *payload);
/* One chunk raw[0..n), of any size; last: no chunk follows. The normalised
 * bytes go to norm (room for n + 3: a held \r or the first bytes of what
 * looked like a BOM may come out with them) and their count to *normn: they
 * are the text from offset t->off before the call. Errors: DBMIG_EINVALID
 * "<path>:<line>: ..." for a NUL byte or invalid UTF-8 (found before any
 * line of this chunk is handed on), ENOMEM, or on_line's code. */
int dm_mftext_feed(dm_mftext *t, const char *raw, size_t n, int last, char *norm, size_t *normn,
                   dm_err *err);
/* After the last chunk: "v1:<hex>" into out (DM_CHECKSUM_LEN + 1 bytes). */
void dm_mftext_checksum(dm_mftext *t, char *out);
void dm_mftext_free(dm_mftext *t);

/* Reads the file at path through t in DM_MFTEXT_CHUNK-byte chunks:
 * opened(payload, st) once with what fstat said before the first read, then
 * chunk(payload, norm, n, last) after each chunk. A non-zero return of
 * either stops and is returned. Memory: two chunk buffers. An unreadable
 * file is DBMIG_EUSAGE "<path>: cannot open/stat/read: ...". */
typedef struct dm_mftext_reader {
    int (*opened)(void *payload, const struct stat *st);
    int (*chunk)(void *payload, const char *norm, size_t n, int last);
    void *payload;
} dm_mftext_reader;
int dm_mftext_file(dm_mftext *t, const char *path, const dm_mftext_reader *rd, dm_err *err);

#endif
