/* migfile.h — one migration file: header, sections, checksum (SPEC section
 * 2). Internal. */
#ifndef DM_MIGFILE_H
#define DM_MIGFILE_H

#include <stddef.h>

#include "split.h"
#include "util.h"

enum { DM_UP = 0, DM_DOWN = 1 };

typedef struct dm_section {
    int kind;       /* DM_UP or DM_DOWN */
    char *driver;   /* NULL: the generic section; else a driver name */
    size_t off;     /* body = mf->text + off, len bytes (after the marker line) */
    size_t len;
    int line;       /* file line of the body's first byte */
    int marker_line;/* line of the `-- dbmig:up` marker, 0 for an implicit up */
} dm_section;

#define DM_CHECKSUM_LEN 67 /* "v1:" + 64 hex */

typedef struct dm_migfile {
    char *path;         /* as opened, used in messages: "migrations/003_x.sql" */
    char *filename;     /* base name: "003_x.sql" */
    char *revision;     /* header or derived from the file name */
    dm_strv parents;    /* as written; empty with parents_set = 1 means `base` */
    int parents_set;    /* 1 when the header had `parents` (else the graph
                           gives the previous file in name order) */
    char *message;
    dm_strv branches;
    dm_strv depends;
    int transaction;    /* 1 (default) or 0 for `transaction off` */
    int header_line;    /* line of the first header key, 0 if none */
    char *text;         /* the file after BOM removal and CRLF -> LF */
    size_t text_len;
    dm_section *sections;
    size_t nsections;
    char checksum[DM_CHECKSUM_LEN + 1];
} dm_migfile;

/* Parses file contents. `path` is used for messages and kept; filename is
 * derived from it. Errors (DBMIG_EINVALID) read "<path>:<line>: <what>. <fix>". */
int dm_migfile_parse(const char *path, const char *data, size_t len, dm_migfile *out,
                     dm_err *err);
/* Reads and parses a file. An unreadable file is DBMIG_EUSAGE. */
int dm_migfile_load(const char *path, dm_migfile *out, dm_err *err);
void dm_migfile_free(dm_migfile *mf);

/* The section a driver uses: the one naming it, else the generic one, else
 * NULL (for DM_DOWN: irreversible). driver may be NULL (generic only). */
const dm_section *dm_migfile_section(const dm_migfile *mf, int kind, const char *driver);

/* Splits the chosen section into statements with file line numbers. A
 * missing section yields an empty list and returns 0; *found tells. */
int dm_migfile_statements(const dm_migfile *mf, int kind, const char *driver, int dialect,
                          dm_stmt_list *out, int *found, dm_err *err);

/* SHA-256 of the normalised content as "v1:<hex>" (BOM removed, CRLF to LF,
 * trailing white space of every line removed). out holds DM_CHECKSUM_LEN+1. */
void dm_checksum(const char *data, size_t len, char *out);

/* 1 if id is a valid revision id (1-64 of [A-Za-z0-9._-], starting with a
 * letter or digit) and not reserved. Reserved (base, head, heads, current)
 * is matched ignoring ASCII case, so that `HEAD` cannot shadow a target. */
int dm_valid_rev_id(const char *id);
int dm_reserved_rev_id(const char *id);

#endif
