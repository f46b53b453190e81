/* graph.h — the revision graph (SPEC section 3): a DAG of migration files,
 * its validation, a deterministic topological order, heads, and targets
 * resolved to revisions. The planner (targets → ordered steps) is plan.h's.
 * Internal.
 *
 * Revisions are addressed by index (size_t) into g->revs. The graph owns its
 * dm_migfile records. Edges: parents (the graph's shape) and depends
 * (must-be-applied-first, not a parent). Both count as ancestry for planning.
 */
#ifndef DM_GRAPH_H
#define DM_GRAPH_H

#include <stddef.h>

#include "migfile.h"
#include "util.h"

#define DM_NONE ((size_t)-1)

typedef struct dm_rev {
    dm_migfile file;   /* owned */
    const char *id;    /* == file.revision */
    size_t *parents;   /* indices */
    size_t nparents;
    size_t *depends;
    size_t ndepends;
    size_t *children;  /* parents-edges reversed (not depends) */
    size_t nchildren;
    size_t *dependents;/* depends-edges reversed */
    size_t ndependents;
    size_t topo;       /* position in g->order */
} dm_rev;

typedef struct dm_graph {
    dm_rev *revs;       /* sorted by file name as loaded */
    size_t n;
    size_t *order;      /* topological order: parents and depends first, ties by id */
    size_t *heads;      /* revisions without children, sorted by id */
    size_t nheads;
    size_t *bases;      /* revisions without parents, sorted by id */
    size_t nbases;
    size_t *by_id;      /* indices sorted by id (for lookup and prefixes) */
    size_t *edges;      /* one allocation holding every rev's parents, depends,
                           children and dependents arrays (children and
                           dependents lists are in id order) */
} dm_graph;

/* Reads every *.sql file directly inside dir (regular files, not dot files;
 * sorted by file name with strcmp), parses them, fills default parents
 * (previous file in name order) and builds. An unreadable folder is
 * DBMIG_EUSAGE. An empty folder is an empty graph. */
int dm_graph_load_dir(dm_graph *g, const char *dir, dm_err *err);
/* Builds from already parsed files (takes ownership of files[0..n) even on
 * failure; the array itself stays the caller's). Files must be in file-name
 * order for default parents. Validation errors (DBMIG_EINVALID) name the
 * files: duplicate ids, unknown parents/depends (with "did you mean"),
 * reserved ids, cycles (with the path), a branch label equal to an id. */
int dm_graph_build(dm_graph *g, dm_migfile *files, size_t n, dm_err *err);
void dm_graph_free(dm_graph *g);

/* Every file's section markers against the drivers (SPEC section 2), file
 * by file in name order: each driver a marker names is built in or a plugin
 * on plugin_path (the folders are listed only when some marker names
 * another driver, so a folder of plain files costs no look-up); with
 * driver non-NULL, each file has an up section that driver uses. See
 * dm_migfile_check_drivers for the errors (DBMIG_EINVALID). */
int dm_graph_check_drivers(const dm_graph *g, const char *plugin_path, const char *driver,
                           dm_err *err);

/* Exact id lookup; DM_NONE if absent. */
size_t dm_graph_find(const dm_graph *g, const char *id);

/* The state of a database as the planner sees it. */
typedef struct dm_applied {
    unsigned char *is;  /* g->n flags */
    size_t *by_seq;     /* applied revision indices in order of application */
    size_t nseq;
} dm_applied;

/* Resolves a revision reference: exact id, else a unique prefix. Ambiguous
 * prefix → DBMIG_EUSAGE listing the candidates; unknown → DBMIG_EUSAGE. */
int dm_graph_lookup(const dm_graph *g, const char *ref, size_t *out, dm_err *err);

/* Resolves a reference to one revision: head (the single head), <id> or a
 * unique prefix, <label>@head, <id>+N (along children), <id>-N (along
 * parents). Errors are DBMIG_EUSAGE (several heads: listed with the merge
 * command; ambiguous prefix: candidates; unknown: did you mean). */
int dm_graph_resolve(const dm_graph *g, const char *ref, size_t *out, dm_err *err);

/* Marks ancestors (parents and depends, transitively) of every flagged
 * revision in `mark` (g->n flags), inclusive. */
void dm_graph_ancestors(const dm_graph *g, unsigned char *mark);
/* Marks descendants (children and dependents, transitively), inclusive. */
void dm_graph_descendants(const dm_graph *g, unsigned char *mark);

/* Checks what can be checked of a target without the database's state (its
 * form, the revision it names, `head` with several heads, walks), with the
 * planners' own messages: a command validates its target this way before
 * it connects or creates anything. */
typedef enum dm_target_cmd {
    DM_TARGET_UPGRADE,
    DM_TARGET_DOWNGRADE,
    DM_TARGET_STAMP
} dm_target_cmd;
int dm_target_check(const dm_graph *g, const char *target, dm_target_cmd cmd, dm_err *err);

/* A parsed target: what every command shares (SPEC section 3). */
enum { DM_TG_BASE, DM_TG_HEADS, DM_TG_REV, DM_TG_NEXT, DM_TG_LAST };
typedef struct dm_target {
    int kind;
    size_t rev;   /* DM_TG_REV (DM_NONE: `head` of an empty graph); DM_TG_NEXT: the head */
    size_t count; /* DM_TG_NEXT, DM_TG_LAST */
} dm_target;
/* Everything about a target that does not depend on the database: its
 * form, the revision it names, `head` with several heads, walks; errors in
 * cmd's words (the planner, plan.c, goes on from here). */
int dm_graph_parse_target(const dm_graph *g, const char *target, dm_target_cmd cmd, dm_target *o,
                          dm_err *err);

/* Appends "a (f), b (f), ... and K more" for idx[0..n) (with_files: the
 * file names too), and the file name of revision i, for messages. */
void dm_graph_list_revs(dm_buf *b, const dm_graph *g, const size_t *idx, size_t n, int with_files);
const char *dm_graph_rev_name(const dm_graph *g, size_t i);

/* Flags (g->n) the unapplied revisions that are ancestors of an applied
 * one; returns how many. out may be NULL to only count. */
size_t dm_graph_missing(const dm_graph *g, const dm_applied *a, unsigned char *out);
/* The applied heads: applied revisions none of whose children is applied,
 * in id order. out holds up to g->n indices; returns the count. */
size_t dm_graph_applied_heads(const dm_graph *g, const dm_applied *a, size_t *out);

#endif
