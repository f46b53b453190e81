/* revfile.h — the writer behind `dbmig revision` and `dbmig merge`: the
 * slug of a message, the text of a new file, and the checks and the write.
 * Internal; the public side is dbmig_revision_new / dbmig_merge_new
 * (revfile.c). */
#ifndef DM_REVFILE_H
#define DM_REVFILE_H

#include <stddef.h>
#include <time.h>

#include "graph.h"
#include "util.h"

/* The file-name slug of a message: ASCII letters and digits lower-cased,
 * every other run as one '_', trimmed, at most 40 characters; "revision"
 * when nothing is left. Free the result. NULL on ENOMEM. */
char *dm_slug(const char *message);

/* What a new revision file should be. */
typedef struct dm_newrev {
    const char *message;
    const char *const *parents; /* references (ids, prefixes, label@head, "base") */
    size_t nparents;
    const char *const *branches;
    size_t nbranches;
    const char *const *depends;
    size_t ndepends;
    int merge;                  /* parents default to all heads; two or more required */
    int dry_run;                /* check everything, work out the name, write nothing */
    /* `dbmig diff` (core/diff.c): the sections to write instead of the
     * empty ones (from its first section marker on), and a
     * `-- dbmig:transaction off` header line. NULL / 0: as `revision`. */
    const char *body;
    int transaction_off;
    dm_buf *text_out;           /* non-NULL: the file's text is appended there */
    unsigned idstyle;           /* 0, DBMIG_REVID_TIMESTAMP or DBMIG_REVID_SEQUENTIAL */
} dm_newrev;

/* The file text for a new revision (header, then spec->body or empty
 * sections). */
int dm_newrev_text(const char *id, const dm_strv *parents, const char *message,
                   const dm_newrev *spec, const dm_strv *depends, dm_buf *out);

/* Works out and writes the new file in dir for graph g (loaded from dir).
 * The file appears whole or not at all: its text goes to a temporary file
 * beside it, which is then linked to the new name (link(2) never replaces
 * an existing file) and removed.
 * The id is `now` (UTC seconds) as YYYYMMDDHHMMSS, one second later while
 * it is taken (by an id, a branch label or a file); in a folder of numbered
 * ids, the next number (spec->idstyle forces one style). Refusals (DBMIG_EUSAGE)
 * teach: several heads without parents (lists them, names the merge
 * command), an unknown parent (did you mean), a merge of fewer than two
 * revisions or of a revision with its own ancestor, a label used on another
 * line, a new file that would become the default parent of a header-less
 * file. On success *id, *path (malloc'd) and parents (the resolved ids,
 * appended) are set. */
int dm_newrev_write(const dm_graph *g, const char *dir, const dm_newrev *spec, time_t now,
                    char **id, char **path, dm_strv *parents, dm_err *err);

#endif
