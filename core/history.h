/* history.h — what `dbmig history`, `heads` and `branches` need from the
 * graph: a git-log-style ASCII drawing of the revisions, newest first, and
 * range selection. Internal; the public side is the graph section of
 * <dbmig/dbmig.h> (implemented in history.c too; the writer of new revision
 * and merge files is revfile.h). */
#ifndef DM_HISTORY_H
#define DM_HISTORY_H

#include <stddef.h>

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

#endif
