/* plan.h — the planner: targets → ordered steps (SPEC sections 3, 4, 7).
 * Every decision about what runs lives here: the revisions a target names
 * (dm_plan_upgrade/downgrade/stamp), the refusals before a run
 * (dm_plan_validate: checksums, dirty rows, missing ancestors), and a run's
 * steps (dm_plan_steps): each step's statements and transaction mode,
 * --allow-missing, --resume (dirty revisions first, from their progress),
 * FROM:TO of an offline script, --single-transaction. Running the steps is
 * exec.h's. Internal. */
#ifndef DM_PLAN_H
#define DM_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "dbmig/dbmig.h"
#include "graph.h"
#include "migfile.h"
#include "vtable.h"

/* A plan: revision indices in the order to run them. */
typedef struct dm_plan {
    size_t *v;
    size_t n;
} dm_plan;
void dm_plan_free(dm_plan *p);

/* Target forms (SPEC section 3), the same for every command: head, heads,
 * base, <id> or a unique prefix, <label>@head, +N, -N, <id>+N, <id>-N.
 * <label>@head is the single head among the descendants (along children) of
 * the revisions carrying the label; a name no revision carries as a label
 * is tried as a revision (<id>@head). <id>-N (ids may contain '-'): an exact
 * id wins, then <id>-N if <id> resolves, then a prefix. `head` of an empty
 * graph is an empty plan; `head` with several heads is DBMIG_EUSAGE listing
 * them. Malformed or unknown targets are DBMIG_EUSAGE listing the accepted
 * forms. `a` may be NULL (nothing applied). Plans are always safe to
 * dm_plan_free.
 *
 * Upgrade: the plan is every unapplied ancestor of the target (inclusive) in
 * g->order; +N the first N of the plan to head. -N is DBMIG_EUSAGE (an
 * upgrade never reverts; the message names `dbmig downgrade -N`). With
 * allow_missing = 0 the plan is computed all the same; the caller refuses
 * on missing ancestors (see dm_graph_missing). */
int dm_plan_upgrade(const dm_graph *g, const dm_applied *a, const char *target, dm_plan *out,
                    dm_err *err);
/* Downgrade: the plan is every applied descendant of the target
 * (exclusive), children first (reverse g->order); base: everything. A target
 * that is not applied (heads: any head not applied) is DBMIG_EUSAGE naming
 * it and the applied heads. -N: the N most recently applied and their
 * applied descendants; N larger than the applied count → DBMIG_EUSAGE. +N is
 * DBMIG_EUSAGE (a downgrade never applies). */
int dm_plan_downgrade(const dm_graph *g, const dm_applied *a, const char *target, dm_plan *out,
                      dm_err *err);
/* The applied set after `stamp target`: (applied − descendants(T)) ∪
 * ancestors(T), into `out` (g->n flags). base clears all, heads sets all;
 * +N / -N: the set `upgrade +N` / `downgrade -N` would leave. out may be
 * a->is itself. */
int dm_plan_stamp(const dm_graph *g, const dm_applied *a, const char *target,
                  unsigned char *out, dm_err *err);

/* The failing statement of a run, for the FAILED event. */
typedef struct dm_fail {
    size_t stmt;   /* 1-based; 0 when the failure was not a statement's own */
    int line;
    char code[32];
    /* The database refused it (exec.c, stmt_error_e): its code, detail and
     * hint go to dbmig_last_error with the failure (dm_err_db). */
    int db;
    char detail[512], hint[512];
    int verify;    /* a statement of the step's verify section failed (--verify);
                      stmt is 0 then, line the verify statement's */
    uint32_t kind; /* the database error's dbmig_db_error_kind (a lock time-out is
                      retried: ddlwait.h) */
} dm_fail;

/* One step of a run: a revision, its statements and how it runs. */
typedef struct dm_step {
    size_t rev;
    dm_stmt_list stmts;  /* every statement, unless the file is streamed */
    int streamed;        /* a large file: statements come from dm_migfile_stream */
    size_t nstmts;       /* the statement count (both cases) */
    int transactional;
    size_t start;        /* first statement to run (--resume) */
    int resume;          /* this step resumes a dirty row */
    char why_notx[256];  /* why a transactional driver runs it outside a transaction */
    int batch;           /* a statement is marked -- dbmig:batch: batch.c runs the step
                            outside any group, with the dirty protocol (SPEC 14) */
    /* Resuming inside a batch statement (its row's progress_hash is "b1:...",
     * batch.h): statement `start` is that statement, under way. */
    int in_batch;
    int64_t batch_lo, batch_done, batch_rows; /* next lo (keyset), batches, rows done */
    dm_stmt_list verify; /* upgrade --verify: the verify section's statements, run after
                            the step's own, before its version row is final (exec.c) */
} dm_step;

/* A run: the state it starts from, its steps in order, and what the
 * executor records of a failure. */
typedef struct dm_run {
    dbmig *h;
    dm_graph *g;     /* h's graph, loaded */
    dm_err *err;     /* h's error */
    dm_vstate st;
    dm_applied a;
    dm_step *steps;
    size_t n;
    int down;
    int verify;      /* upgrade --verify (DBMIG_VERIFY): steps carry their verify statements */
    dm_fail fail;    /* the failing statement (exec.c) */
    int cancelled;   /* a stop cancelled the running statement (dbmig_cancel) */
    int batch_stop;  /* the stop came inside a -- dbmig:batch statement (batch.c) */
    struct dm_ddlwait *dw; /* the run's time-outs and blocker watcher (ddlwait.h), or NULL */
} dm_run;

/* A run of h (down: a downgrade): nothing planned yet. */
void dm_run_init(dm_run *x, dbmig *h, int down);
void dm_run_free(dm_run *x);

/* Calls fn for every statement of a step, k = 0, 1, ...: from the list, or
 * streamed from the file (which is read again, and must not have changed).
 * fn returns 0 to go on, or a dbmig_rc to stop, which dm_step_each returns. */
typedef int (*dm_stmt_fn)(void *payload, size_t k, const dm_stmt *st);
int dm_step_each(dm_run *x, const dm_step *s, dm_stmt_fn fn, void *payload);

/* Parses the statements of every step of p into x->steps (a streamed
 * file: one pass that only splits), so that a malformed file stops the run
 * before anything is applied, and decides each step's transaction mode.
 * With x->verify, also each step's verify statements (held in memory, even
 * for a streamed file), which count in the transaction decision. */
int dm_plan_steps(dm_run *x, const dm_plan *p);
/* Validation before a run (SPEC section 4): checksums, dirty rows, missing
 * ancestors. All problems are listed, each with its fix. */
int dm_plan_validate(dm_run *x, int upgrade, unsigned flags);
/* Everything a run does, decided: validation, the revisions the target
 * names, --allow-missing (missing ancestors join in graph order), --resume
 * (dirty revisions first, each from its progress), the steps and their
 * transaction modes, --single-transaction's refusals. x->st and x->a hold
 * the state read under the lock; x->down says which way. */
int dm_plan_run(dm_run *x, const char *target, unsigned flags);
/* The same for an offline script, from no database: target is TO or
 * FROM:TO (a downgrade needs FROM); the start state is what `stamp FROM`
 * would leave. */
int dm_plan_offline(dm_run *x, const char *target);
/* -N naming a row without a file: refused (exit 3), naming the fixes. */
int dm_plan_check_last_rows(dm_run *x, const char *target, const char *verb);
/* --resume: dirty rows become steps placed before the plan ... */
int dm_plan_add_resume(dm_run *x, dm_plan *p);
/* ... and each resumed step starts after its recorded progress, once the
 * statements already committed are checked unchanged. */
int dm_plan_check_resume(dm_run *x);

#endif
