/* history.h — what `dbmig history`, `heads`, `branches`, `revision` and
 * `merge` need from the graph: a git-log-style ASCII drawing of the
 * revisions, newest first; range selection; and the writer of new revision
 * and merge files. Internal; the public side is the graph section of
 * <dbmig/dbmig.h> (implemented in history.c too). */
#ifndef DM_HISTORY_H
#define DM_HISTORY_H

#include <stddef.h>
#include <time.h>

#include "graph.h"
#include "util.h"

/* One row of the drawing per selected revision, newest first. */
typedef struct dm_hist_row {
    size_t rev;  /* graph index */
    char *graph; /* the revision's row: "| * " (each column "X ", '*' its own) */
    char *after; /* connector rows below it ("|/", "|\\ \\"), '\n'-separated, "" if none */
} dm_hist_row;

typedef struct dm_history {
    dm_hist_row *rows;
    size_t n;
} dm_history;

/* Selects the revisions of a range "A:B" into sel (g->n flags): the
 * descendants of A that are ancestors of B, both inclusive. A empty or
 * `base`: no lower bound; B empty or `heads`: no upper bound. Each side is
 * head, <id> or a unique prefix, <label>@head, <id>+N, <id>-N, or `current`
 * (the applied heads; needs a: NULL → DBMIG_EUSAGE). NULL/"" selects all. */
int dm_history_select(const dm_graph *g, const dm_applied *a, const char *range,
                      unsigned char *sel, dm_err *err);
/* Draws the selected revisions (sel NULL: all), newest first: reverse of
 * g->order, so children before parents and ties by id. Only parent edges
 * between selected revisions are drawn; depends are not lines. Linear in the
 * number of revisions times the width of the drawing. */
int dm_history_draw(const dm_graph *g, const unsigned char *sel, dm_history *out, dm_err *err);
void dm_history_free(dm_history *h);

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
} dm_newrev;

/* The file text for a new revision (header and empty sections). */
int dm_newrev_text(const char *id, const dm_strv *parents, const char *message,
                   const dm_newrev *spec, const dm_strv *depends, dm_buf *out);

/* Works out and writes the new file in dir for graph g (loaded from dir).
 * The id is `now` (UTC seconds) as YYYYMMDDHHMMSS, one second later while
 * it is taken (by an id, a branch label or a file). Refusals (DBMIG_EUSAGE)
 * teach: several heads without parents (lists them, names the merge
 * command), an unknown parent (did you mean), a merge of fewer than two
 * revisions or of a revision with its own ancestor, a label used on another
 * line, a new file that would become the default parent of a header-less
 * file. On success *id, *path (malloc'd) and parents (the resolved ids,
 * appended) are set. */
int dm_newrev_write(const dm_graph *g, const char *dir, const dm_newrev *spec, time_t now,
                    char **id, char **path, dm_strv *parents, dm_err *err);

#endif
