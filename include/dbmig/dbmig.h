/*
 * dbmig/dbmig.h — the public API of libdbmig.
 *
 * The dbmig command-line tool is a thin client of this header; an
 * application embeds the same engine to migrate itself at start-up:
 *
 *     dbmig_options o = DBMIG_OPTIONS_INIT;
 *     o.url = getenv("DATABASE_URL");
 *     o.dir = "/usr/share/myapp/migrations";
 *     dbmig *h;
 *     if (dbmig_open(&h, &o) != DBMIG_OK || dbmig_upgrade(h, "head", 0) != DBMIG_OK) {
 *         fprintf(stderr, "migration failed: %s\n", h ? dbmig_errmsg(h) : "out of memory");
 *         exit(1);
 *     }
 *     dbmig_close(h);
 *
 * Rules: every call returns DBMIG_OK (0) or a negative dbmig_rc; the handle
 * keeps the last failure (dbmig_errmsg, dbmig_last_error). The library never
 * prints; progress and log lines go to the callbacks of dbmig_options. No
 * global state beyond libltdl's own and one mutex that serialises every
 * libltdl call (libltdl is not thread-safe; the mutex is synchronisation,
 * not program state). One handle per thread: distinct handles may be used
 * from distinct threads at once; a handle is used by one thread at a time
 * (dbmig_interrupt and dbmig_cancel excepted).
 * Every password in a message is replaced by ***.
 */
#ifndef DBMIG_DBMIG_H
#define DBMIG_DBMIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DBMIG_VERSION "0.1.0"

/* Every function below is exported from libdbmig.so; nothing else is (the
 * library is built with hidden visibility: `nm -D --defined-only
 * libdbmig.so` lists only dbmig_* symbols, a promise tested by
 * tests/embed/exports.sh). Define DBMIG_API before including this header to
 * override it (for example, empty for a static build). */
#ifndef DBMIG_API
#if defined(_WIN32)
#define DBMIG_API
#elif defined(__GNUC__) && __GNUC__ >= 4
#define DBMIG_API __attribute__((visibility("default")))
#else
#define DBMIG_API
#endif
#endif


/* Return codes. -rc is the CLI's exit code. */
typedef enum dbmig_rc {
    DBMIG_OK = 0,
    DBMIG_ERROR = -1,    /* a migration or the database failed (exit 1) */
    DBMIG_EUSAGE = -2,   /* usage/configuration: bad URL, unknown driver or target (exit 2) */
    DBMIG_EINVALID = -3, /* validation: bad file or graph, checksum mismatch, dirty, missing (exit 3) */
    DBMIG_ELOCKED = -4,  /* the migration lock was not acquired in time (exit 4) */
    DBMIG_EINTERRUPTED = -5 /* stopped by dbmig_interrupt() at a statement boundary: the open
                             * group was rolled back, the lock released (the CLI exits 130
                             * on SIGINT, 143 on SIGTERM) */
} dbmig_rc;

typedef struct dbmig dbmig;

/* The level of an event (dbmig_event.level): the values of the log levels
 * a driver uses (<dbmig/driver.h>), lowest most severe. An application
 * filters on it, e.g. shows DBMIG_LOG_DEBUG events only when asked. */
#ifndef DBMIG_LOG_ERROR
#define DBMIG_LOG_ERROR 0
#define DBMIG_LOG_WARN 1
#define DBMIG_LOG_INFO 2
#define DBMIG_LOG_DEBUG 3
#endif

/* Progress events, one per migration (and a few for the run). */
typedef enum dbmig_event_kind {
    DBMIG_EV_LOCK_WAIT = 1, /* waiting for the lock; text says for whom */
    DBMIG_EV_LOCKED,        /* lock acquired */
    DBMIG_EV_START,         /* a migration starts */
    DBMIG_EV_DONE,          /* a migration finished */
    DBMIG_EV_FAILED,        /* a migration failed */
    DBMIG_EV_NOTICE,        /* anything worth a line: "nothing to do", a warning */
    /* Appended after 0.1.0 (older callbacks ignore unknown kinds): */
    DBMIG_EV_ROLLED_BACK,   /* a migration's work was rolled back, so it is NOT applied
                             * (its group was rolled back: a stop, a failed commit,
                             * --single-transaction); text says why */
    DBMIG_EV_STATEMENT,     /* a statement starts: stmt of nstmts, file, line, sql */
    DBMIG_EV_STATEMENT_DONE,/* that statement succeeded; ms is its time */
    DBMIG_EV_PLAN,          /* a dry run: one step of the plan (index of total) */
    /* Appended in dbmig 0.3 (SPEC section 14): */
    DBMIG_EV_BATCH,         /* a batch of a `-- dbmig:batch` statement committed: rows,
                             * batches, rate and (keyset form) lo, hi, percent, eta_s;
                             * once with batches 0 when the statement had nothing to do */
    DBMIG_EV_RETRY          /* a statement hit --ddl-lock-timeout (or its migration did):
                             * it was rolled back and is retried after ms milliseconds;
                             * attempt of attempts, blocker says what held the lock */
} dbmig_event_kind;

typedef struct dbmig_event {
    dbmig_event_kind kind;
    int downgrade;          /* 1 when reverting */
    size_t index;           /* 1-based position in the plan */
    size_t total;           /* plan length */
    const char *revision;   /* NULL for run-level events */
    const char *message;    /* the revision's message, or the notice text */
    double ms;              /* duration, for DONE/FAILED */
    const char *text;       /* extra text (lock holder, why non-transactional), may be NULL */
    /* Appended after 0.1.0 (zero/NULL where they do not apply): */
    size_t stmt;            /* STATEMENT*: 1-based statement number; FAILED: the failing
                             * statement, 0 when the failure was not a statement's own */
    size_t nstmts;          /* START, STATEMENT*, FAILED, PLAN: the revision's statement count */
    const char *file;       /* the migration file's path */
    int line;               /* STATEMENT*, FAILED: the statement's line in the file (0: unknown) */
    const char *sql;        /* STATEMENT*: the statement as written in the file */
    const char *code;       /* FAILED: the database's code (SQLSTATE, errno), NULL if none */
    int transactional;      /* START, PLAN: 1 when the migration runs inside a transaction */
    /* Appended after the fields above (dbmig 0.2): */
    int level;              /* every event: DBMIG_LOG_ERROR (FAILED), DBMIG_LOG_WARN
                             * (ROLLED_BACK, a NOTICE that warns), DBMIG_LOG_INFO (START,
                             * DONE, PLAN, the lock events, other NOTICEs), DBMIG_LOG_DEBUG
                             * (STATEMENT*, a NOTICE shown only with verbose) */
    /* Appended in dbmig 0.3 (SPEC section 14): */
    int64_t rows;           /* BATCH: rows the statement changed so far (all batches) */
    int64_t batches;        /* BATCH: batches committed so far */
    double rate;            /* BATCH: rows per second so far */
    int64_t lo, hi;         /* BATCH, keyset form: the range just committed [lo, hi) */
    double percent;         /* BATCH: 0..100 for the keyset form, < 0 when unknown */
    double eta_s;           /* BATCH: seconds left (keyset form), < 0 when unknown */
    int attempt, attempts;  /* RETRY: the attempt that failed (1-based) of how many */
    const char *blocker;    /* RETRY: what held the lock ("pid 4242 (idle in transaction
                             * 12 s): UPDATE t SET ..."), NULL when it could not be told */
} dbmig_event;

/* When events arrive (upgrade and downgrade): START, then STATEMENT and
 * STATEMENT_DONE for each statement run one at a time (none for a step
 * sent as one batch; with dbmig_options.verbose nothing is batched), then
 * exactly one of DONE, ROLLED_BACK or FAILED per started migration. DONE
 * fires only once the migration is committed: migrations that share a
 * group commit (SPEC section 8) get their DONE together, after the commit,
 * so that a DONE is never reported for work that could still be lost. */

typedef void (*dbmig_event_fn)(void *payload, const dbmig_event *ev);
/* Writer for --sql output and the like. Returns 0 on success. */
typedef int (*dbmig_write_fn)(void *payload, const char *data, size_t len);

/* Which revisions a run or a check covers (SPEC section 14): a revision
 * marked `-- dbmig:phase post` is a post-deployment one. PRE: every other
 * one (a pre revision that needs an unapplied post one is refused, exit 3,
 * naming both); ALL (the default) and POST: all of them. */
typedef enum dbmig_phase {
    DBMIG_PHASE_ALL = 0,
    DBMIG_PHASE_PRE = 1,
    DBMIG_PHASE_POST = 2
} dbmig_phase;

/* AUTO: the session lock, or the lease lock when the driver reports that a
 * session lock cannot exclude everyone (a Galera cluster). */
typedef enum dbmig_lock_strategy {
    DBMIG_LOCK_AUTO = 0,
    DBMIG_LOCK_SESSION = 1,
    DBMIG_LOCK_LEASE = 2
} dbmig_lock_strategy;

/* Compatibility rule (as libgit2's versioned option structs): fields are
 * only ever appended to dbmig_options, and each release that appends some
 * increments DBMIG_OPTIONS_VERSION. dbmig_open reads exactly the fields of
 * the caller's `version` (never past them: an application built against an
 * older header passes a shorter struct) and gives every field appended
 * since its DBMIG_OPTIONS_INIT default, so such an application keeps working
 * with a newer libdbmig unchanged. It refuses (DBMIG_EUSAGE) version 0 (the
 * struct was not initialised) and a version newer than its own (built
 * against a newer header than the library it runs with). Always start from
 * DBMIG_OPTIONS_INIT and assign fields by name.
 *   version 1 (dbmig 0.1.0): version .. verbose
 *   version 2 (dbmig 0.3.0): ddl_lock_timeout_ms .. phase
 *   version 3 (dbmig 0.4.0): vars, nvars */
#define DBMIG_OPTIONS_VERSION 3

/* A placeholder's value (SPEC section 16): in a migration file whose header
 * says `-- dbmig:placeholders on`, ${name} is replaced by value before the
 * file is split into statements (`$${` is a literal `${`). Names are 1-64
 * letters, digits and _ (not starting with a digit), matched ignoring case;
 * a value is one line. The checksum covers the file as written, never the
 * values: changing a value does not make an applied revision "modified". */
typedef struct dbmig_var {
    const char *name;
    const char *value;
} dbmig_var;

typedef struct dbmig_options {
    unsigned version;           /* DBMIG_OPTIONS_VERSION: the layout the caller was built with */
    const char *url;            /* required for database commands */
    const char *driver;         /* NULL: the URL's scheme */
    const char *dir;            /* NULL: "./migrations" */
    const char *table;          /* NULL: "dbmig_version" */
    const char *plugin_path;    /* colon-separated folders searched first; may be NULL */
    double lock_timeout;        /* seconds; < 0 means the default 60; 0 fails at once */
    dbmig_lock_strategy lock;
    int lease_seconds;          /* 0: 30 */
    int commit_interval_ms;     /* < 0: default 200; 0 commits every migration */
    int single_transaction;     /* the whole run in one transaction */
    int dry_run;                /* connect and plan, change nothing */
    /* Offline mode (--sql): when set, upgrade/downgrade write a stand-alone
     * script through it instead of connecting. */
    dbmig_write_fn sql_out;
    void *sql_payload;
    dbmig_event_fn on_event;
    void *event_payload;
    int verbose;                /* 1: also report DEBUG-level notices */
    /* Version 2 (SPEC section 14): */
    int ddl_lock_timeout_ms;    /* 0 (default): off. Else each migration statement waits at
                                 * most this long for a lock; on a lock time-out the migration
                                 * is rolled back and retried (DBMIG_EV_RETRY) */
    int ddl_retries;            /* < 0: the default, 5; retries after a lock time-out */
    int statement_timeout_ms;   /* 0 (default): off. Else the longest a statement may run */
    int batch_pause_ms;         /* pause between two batches of a -- dbmig:batch statement */
    int batch_time_ms;          /* 0: keyset batches keep their size; else it adapts so that
                                 * one batch takes about this long */
    dbmig_phase phase;          /* upgrade, check, pending: DBMIG_PHASE_ALL */
    /* Version 3 (SPEC section 16): */
    const dbmig_var *vars;      /* placeholder values, copied by dbmig_open; each name once
                                 * (ignoring case), else DBMIG_EUSAGE naming it */
    size_t nvars;
    /* New fields go here, never above: bump DBMIG_OPTIONS_VERSION, add the
     * version's row to options_size (core/engine.c) and the field's default
     * to DBMIG_OPTIONS_INIT. */
} dbmig_options;

#define DBMIG_OPTIONS_INIT {DBMIG_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, -1.0, \
                            DBMIG_LOCK_AUTO, 0, -1, 0, 0, NULL, NULL, NULL, NULL, 0,   \
                            0, -1, 0, 0, 0, DBMIG_PHASE_ALL, NULL, 0}

/* Allocates a handle and copies the options (strings included). Nothing is
 * read or connected yet. On failure *out may still be set so that
 * dbmig_errmsg() explains; dbmig_close() it either way. */
DBMIG_API int dbmig_open(dbmig **out, const dbmig_options *opts);
DBMIG_API void dbmig_close(dbmig *h);
/* The message of the last failure ("" if none). Valid until the next call. */
DBMIG_API const char *dbmig_errmsg(const dbmig *h);

/* Where a failure came from (dbmig_error_info.kind, version 2): what an
 * embedding application can act on. code says how it ends (the exit
 * status), kind says where it came from: a DRIVER failure has the code
 * DBMIG_EUSAGE, a DATABASE one DBMIG_ERROR. Values are only ever added. */
typedef enum dbmig_error_kind {
    DBMIG_KIND_NONE = 0,    /* no failure (code DBMIG_OK) */
    DBMIG_KIND_USAGE,       /* a bad call, option, URL or target (DBMIG_EUSAGE): fix the call */
    DBMIG_KIND_INVALID,     /* the files or the recorded state do not validate (DBMIG_EINVALID):
                               a bad file or folder, the graph, a checksum, dirty, missing */
    DBMIG_KIND_DATABASE,    /* the database refused a statement or the connection:
                               db_code, detail, hint say why */
    DBMIG_KIND_LOCK,        /* the migration lock was not acquired in time (DBMIG_ELOCKED) */
    DBMIG_KIND_DRIVER,      /* the driver plugin could not be loaded, is invalid or failed to start */
    DBMIG_KIND_SYSTEM,      /* anything else (DBMIG_ERROR): out of memory, I/O, no handle */
    DBMIG_KIND_INTERRUPTED  /* dbmig_interrupt() stopped the run (DBMIG_EINTERRUPTED) */
} dbmig_error_kind;

/* The last failure, structured: what dbmig_errmsg says, its code and kind,
 * and where it happened when the engine knows (a migration that failed:
 * its revision and file; a statement that failed: also its line and
 * number; the database refused: its code, detail and hint). Fields that do
 * not apply are NULL / 0. Versioned as dbmig_options: start from
 * DBMIG_ERROR_INFO_INIT; the library writes only the fields of the
 * caller's version (an older, shorter struct is never written past).
 * Strings are valid until the next call on h. Returns DBMIG_OK, or
 * DBMIG_EUSAGE for a version 0 or newer than the library's. */
#define DBMIG_ERROR_INFO_VERSION 2
typedef struct dbmig_error_info {
    unsigned version;       /* DBMIG_ERROR_INFO_VERSION: the layout the caller was built with */
    int code;               /* the dbmig_rc of the last failure; DBMIG_OK if none */
    const char *message;    /* as dbmig_errmsg(h); "" if none */
    const char *revision;   /* the migration that failed, else NULL */
    const char *file;       /* its file, else NULL */
    int line;               /* the failing statement's line in the file, else 0 */
    size_t stmt;            /* its 1-based number among the revision's statements, else 0 */
    const char *db_code;    /* the database's code (SQLSTATE, errno) when it refused, else NULL */
    /* Version 2: */
    int kind;               /* dbmig_error_kind: where the failure came from */
    const char *detail;     /* DBMIG_KIND_DATABASE: the database's detail, else NULL */
    const char *hint;       /* DBMIG_KIND_DATABASE: the database's hint, else NULL */
    /* New fields go here: bump DBMIG_ERROR_INFO_VERSION (core/engine.c). */
} dbmig_error_info;
#define DBMIG_ERROR_INFO_INIT \
    {DBMIG_ERROR_INFO_VERSION, 0, NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL}
DBMIG_API int dbmig_last_error(const dbmig *h, dbmig_error_info *out);
DBMIG_API const char *dbmig_version(void);

/* Flags for upgrade/downgrade. */
#define DBMIG_ALLOW_MISSING 0x1u /* apply missing ancestors in graph order (downgrade:
                                    revert although an ancestor is missing) */
#define DBMIG_RESUME 0x2u        /* resume a dirty revision from its failed statement */

/* Targets: head, heads, base, <id>, a unique prefix, <label>@head, +N, -N,
 * <id>+N, <id>-N (upgrade refuses -N, downgrade +N; a downgrade target must
 * be applied). In offline mode the target of upgrade may be FROM:TO. With
 * dry_run nothing is written, for every function. */
DBMIG_API int dbmig_upgrade(dbmig *h, const char *target, unsigned flags);
DBMIG_API int dbmig_downgrade(dbmig *h, const char *target, unsigned flags);
/* Set the version table to target without running migrations. */
DBMIG_API int dbmig_stamp(dbmig *h, const char *target);

/* Asks the run in progress on h (upgrade or downgrade, from another thread
 * or a signal handler: async-signal-safe, it only sets a flag) to stop at
 * the next statement boundary: the open group is rolled back, the lock is
 * released, and the run returns DBMIG_EINTERRUPTED with a message naming
 * what is committed, what was rolled back, and (for a migration outside a
 * transaction stopped between two statements, left dirty with its progress
 * recorded) how to resume. A statement already sent runs to its end. The
 * request stays: later runs on h stop before their first migration. */
DBMIG_API void dbmig_interrupt(dbmig *h);
/* dbmig_interrupt(h), and when the driver can (postgres, sqlite), also asks
 * the database to abandon the statement running now, so that the stop does
 * not wait for it: the cancelled statement counts as not run (outside a
 * transaction the revision stays dirty with the progress before it). NOT
 * async-signal-safe: call it from another thread than the one running the
 * upgrade (a signal handler can wake such a thread through a pipe), never
 * concurrently with or after dbmig_close(). DBMIG_OK when a cancel request
 * was sent, DBMIG_ERROR when nothing runs or the driver cannot cancel. */
DBMIG_API int dbmig_cancel(dbmig *h);

/* Repair. */
#define DBMIG_REPAIR_CHECKSUMS 1 /* accept the files' current checksums */
#define DBMIG_REPAIR_APPLIED 2   /* settle dirty revision `id` as applied */
#define DBMIG_REPAIR_REVERTED 3  /* settle dirty revision `id` as not applied, or drop
                                    the row of an applied revision without a file */
DBMIG_API int dbmig_repair(dbmig *h, int what, const char *id);

/* ---- Status ---------------------------------------------------------- */

enum {
    DBMIG_REV_APPLIED = 1u << 0,
    DBMIG_REV_DIRTY = 1u << 1,
    DBMIG_REV_MODIFIED = 1u << 2, /* applied checksum differs from the file */
    DBMIG_REV_MISSING = 1u << 3,  /* not applied, but an applied revision descends from it */
    DBMIG_REV_UNKNOWN = 1u << 4,  /* applied, but no file has this id */
    DBMIG_REV_HEAD = 1u << 5,     /* a head of the graph */
    DBMIG_REV_NOTX = 1u << 6,     /* runs outside a transaction */
    DBMIG_REV_POST = 1u << 7,     /* marked -- dbmig:phase post (SPEC section 14) */
    DBMIG_REV_BATCH = 1u << 8     /* has a -- dbmig:batch statement */
};

typedef struct dbmig_rev_status {
    const char *revision;
    const char *message;
    const char *file;         /* NULL for UNKNOWN */
    unsigned flags;           /* DBMIG_REV_* */
    int64_t seq;              /* order of application, 0 when not applied */
    const char *applied_at;   /* "YYYY-MM-DD HH:MM:SS" UTC, NULL when not applied */
    int64_t duration_ms;
    int64_t progress;         /* statements committed of a dirty revision */
    const char *checksum;     /* the file's */
    const char *db_checksum;  /* the version table's, NULL when not applied */
} dbmig_rev_status;

typedef struct dbmig_status {
    dbmig_rev_status *revs;   /* graph order (parents first), then UNKNOWN ones */
    size_t nrevs;
    /* As counted here: applied = rows of the version table (dirty and
     * unknown ones included); pending = revisions with a file and no row
     * (missing ones included); dirty, modified, missing and unknown are
     * subsets of those. The CLI's `status` prints counts that do not
     * overlap, computed from revs[].flags (docs/commands.md, "Output"). */
    size_t applied, pending, dirty, modified, missing, unknown;
    const char **heads;       /* the applied heads */
    size_t nheads;
    const char **graph_heads; /* the heads of the graph */
    size_t ngraph_heads;
    const char *driver;
    const char *url;          /* redacted */
    const char *server_version;
    /* Appended in dbmig 0.3 (allocated by the library, so appending is safe):
     * nrevs entries, parallel to revs: for a revision left dirty inside a
     * -- dbmig:batch statement (SPEC section 14) where it stands, "in batch
     * statement 3, lo=12000, 12 batches, 12000 rows" (no lo for the plain
     * form); NULL for every other revision. */
    const char **batch;
    /* Appended in dbmig 0.3: the same, as numbers (nrevs entries, parallel
     * to revs; statement 0 for a revision not inside a batch statement). */
    struct dbmig_batch_pos *batch_pos;
} dbmig_status;

/* Where a dirty revision stands inside its -- dbmig:batch statement. */
typedef struct dbmig_batch_pos {
    int64_t statement; /* the batch statement under way, 1-based; 0: none */
    int64_t batches;   /* its batches committed */
    int64_t rows;      /* the rows they changed */
    int keyset;        /* the keyset form (next_lo is meaningful) */
    int64_t next_lo;   /* keyset form: :lo of the next batch */
} dbmig_batch_pos;

DBMIG_API int dbmig_status_get(dbmig *h, dbmig_status **out);
DBMIG_API void dbmig_status_free(dbmig_status *st);
/* The pending count alone, for readiness checks. With options.phase PRE
 * (SPEC section 14) the post revisions are left out unless dirty. */
DBMIG_API int dbmig_pending(dbmig *h, size_t *out);

/* ---- Check: the readiness rule ----------------------------------------- */

/* Why a revision keeps dbmig_check from passing (one kind per revision, the
 * first that applies in this order). */
typedef enum dbmig_check_kind {
    DBMIG_CHECK_DIRTY = 1,  /* a migration failed or stopped part-way */
    DBMIG_CHECK_EDITED,     /* the file changed after it was applied */
    DBMIG_CHECK_UNKNOWN,    /* applied, but no file has its id */
    DBMIG_CHECK_MISSING,    /* not applied, but a later revision is */
    DBMIG_CHECK_PENDING     /* not applied (text gives the several-heads advice
                             * when the folder has more than one head) */
} dbmig_check_kind;

typedef struct dbmig_check_problem {
    dbmig_check_kind kind;
    const char *revision;
    const char *file;       /* NULL for DBMIG_CHECK_UNKNOWN */
    const char *text;       /* one sentence: what is wrong and what to run */
} dbmig_check_problem;

/* Allocated and freed by the library (as dbmig_status): fields may be
 * appended, so never allocate or copy one yourself. */
typedef struct dbmig_check_result {
    dbmig_check_problem *problems; /* status order */
    size_t nproblems;
    dbmig_status *status;          /* the status the rule was decided on */
} dbmig_check_result;

/* The rule of `dbmig check` (SPEC section 4), for a readiness probe: the
 * graph is valid, every revision is applied, none is dirty and every
 * checksum matches. Returns DBMIG_OK when all holds; DBMIG_EINVALID when a
 * revision fails it (dbmig_errmsg lists the problems) or when the files or
 * the graph are invalid (then *out is NULL); the other codes for usage and
 * connection failures (*out NULL). Nothing is written: a SQLite file that
 * does not exist is not created (every revision is pending). out may be
 * NULL; else free *out with dbmig_check_free. With options.phase PRE (the
 * readiness gate before new code ships, SPEC section 14) a pending revision
 * marked -- dbmig:phase post is not a problem (status->revs flags it
 * DBMIG_REV_POST); a dirty, edited or missing one still is. */
DBMIG_API int dbmig_check(dbmig *h, dbmig_check_result **out);
DBMIG_API void dbmig_check_free(dbmig_check_result *r);

/* ---- Files and drivers ----------------------------------------------- */

typedef struct dbmig_stmt_info {
    const char *sql;
    int line;                 /* line in the file */
} dbmig_stmt_info;

typedef struct dbmig_show {
    const char *revision, *message, *file;
    const char **parents; size_t nparents;
    const char **branches; size_t nbranches;
    const char **depends; size_t ndepends;
    int transaction;          /* 0 for transaction off */
    int reversible;           /* has a down section for the driver */
    const char *checksum;
    const char *driver;       /* the driver whose sections were chosen ("" for generic) */
    dbmig_stmt_info *up; size_t nup;
    dbmig_stmt_info *down; size_t ndown;
    /* Appended in dbmig 0.3 (allocated by the library, so appending is safe): */
    int post;                 /* -- dbmig:phase post */
} dbmig_show;

DBMIG_API int dbmig_show_get(dbmig *h, const char *rev, dbmig_show **out);
DBMIG_API void dbmig_show_free(dbmig_show *s);

typedef struct dbmig_driver_info {
    const char *name, *version, *description, *file;
    unsigned abi_major, abi_minor;
    uint32_t caps;
    const char *caps_text;    /* "transactional-ddl savepoints ..." */
    const char *error;        /* non-NULL: this file was refused, and why */
} dbmig_driver_info;

/* Every plugin file found on the search path, loadable or not. */
DBMIG_API int dbmig_drivers_list(dbmig *h, dbmig_driver_info **out, size_t *n);
DBMIG_API void dbmig_drivers_free(dbmig_driver_info *v, size_t n);

/* ---- Helpers ------------------------------------------------------------ */

/* Copies url into out with its password replaced by ***. Returns the length
 * needed (excluding the NUL), like snprintf. */
DBMIG_API size_t dbmig_redact_url(const char *url, char *out, size_t cap);

/* ---- The revision graph: history, heads, branch points, new files ------ */

enum {
    DBMIG_GREV_HEAD = 1u << 0,         /* no children */
    DBMIG_GREV_BASE = 1u << 1,         /* no parents */
    DBMIG_GREV_MERGE = 1u << 2,        /* two or more parents */
    DBMIG_GREV_BRANCHPOINT = 1u << 3,  /* two or more children */
    /* With a database (DBMIG_GRAPH_DB): */
    DBMIG_GREV_APPLIED = 1u << 4,      /* applied */
    DBMIG_GREV_MISSING = 1u << 5,      /* not applied, but a descendant is */
    DBMIG_GREV_CURRENT = 1u << 6,      /* an applied head (what `current` prints) */
    /* Appended in dbmig 0.3 (SPEC section 14): */
    DBMIG_GREV_POST = 1u << 7          /* marked -- dbmig:phase post */
};

typedef struct dbmig_graph_rev {
    const char *revision, *message, *file;
    const char **parents; size_t nparents;
    const char **children; size_t nchildren;
    const char **depends; size_t ndepends;
    const char **branches; size_t nbranches; /* labels (-- dbmig:branch) */
    unsigned flags;                          /* DBMIG_GREV_* */
    /* history only ("" elsewhere): the ASCII drawing, git log --graph style.
     * `graph` is this revision's row ("| * "); `graph_after` holds the
     * connector rows drawn below it ("|/", "|\"), '\n'-separated, "" if none. */
    const char *graph;
    const char *graph_after;
} dbmig_graph_rev;

typedef struct dbmig_graph_list {
    dbmig_graph_rev *revs;
    size_t n;
    int marks;       /* 1: APPLIED/MISSING/CURRENT were read from the database */
} dbmig_graph_list;

#define DBMIG_GRAPH_DB 0x1u /* connect and mark applied/missing/current revisions */

/* The graph newest first (children before parents, ties by id, reversed).
 * range: NULL or "" for everything, else "A:B" — the descendants of A that
 * are ancestors of B, both inclusive; A or B may be empty (no bound) and each
 * is base/head/heads, an id or unique prefix, <label>@head, <id>+N, <id>-N,
 * or (with DBMIG_GRAPH_DB) current. */
DBMIG_API int dbmig_history_get(dbmig *h, const char *range, unsigned flags, dbmig_graph_list **out);
/* The heads of the graph, in id order. */
DBMIG_API int dbmig_heads_get(dbmig *h, unsigned flags, dbmig_graph_list **out);
/* The branch points (revisions with two or more children), newest first. */
DBMIG_API int dbmig_branches_get(dbmig *h, unsigned flags, dbmig_graph_list **out);
DBMIG_API void dbmig_graph_list_free(dbmig_graph_list *l);

/* A new migration file: <id>_<slug>.sql in the migrations folder, with an
 * explicit header (revision, parents, message, branch, depends) and empty up
 * and down sections. The id is the next number in a folder of numbered ids
 * (001, 002, ...), else the current UTC time as YYYYMMDDHHMMSS, one second
 * later while it is taken (dbmig_revision_new_ex below forces a style). */
typedef struct dbmig_revision_opts {
    const char *message;                          /* required, one line */
    const char *const *parents; size_t nparents;  /* ids or unique prefixes */
    const char *const *branches; size_t nbranches;/* labels for the new revision */
    const char *const *depends; size_t ndepends;  /* ids or unique prefixes */
} dbmig_revision_opts;

typedef struct dbmig_new_revision {
    const char *revision;   /* the new id */
    const char *file;       /* the path written */
    const char **parents; size_t nparents;
} dbmig_new_revision;

/* parents default to the single head (base in an empty folder); several
 * heads without parents is DBMIG_EUSAGE listing them. */
DBMIG_API int dbmig_revision_new(dbmig *h, const dbmig_revision_opts *o, dbmig_new_revision **out);
/* A merge revision: parents default to every head; fewer than two distinct
 * parents, or a parent that is an ancestor of another, is DBMIG_EUSAGE. */
DBMIG_API int dbmig_merge_new(dbmig *h, const dbmig_revision_opts *o, dbmig_new_revision **out);
DBMIG_API void dbmig_new_revision_free(dbmig_new_revision *r);

/* The id style (SPEC section 16). By default a folder whose ids are all
 * numbers of one width (001, 002, ...) gets the next number, zero-padded
 * alike, and any other folder the UTC time. Flags for the _ex functions:
 *   DBMIG_REVID_TIMESTAMP   the UTC time, even in a numbered folder;
 *   DBMIG_REVID_SEQUENTIAL  the next number (001 in an empty folder);
 *                           DBMIG_EUSAGE, naming a file, where the ids are
 *                           not all numbers of one width or the next one
 *                           needs another digit.
 * Both at once is DBMIG_EUSAGE. flags 0: the plain functions. */
#define DBMIG_REVID_TIMESTAMP 0x1u
#define DBMIG_REVID_SEQUENTIAL 0x2u
DBMIG_API int dbmig_revision_new_ex(dbmig *h, const dbmig_revision_opts *o, unsigned flags,
                                    dbmig_new_revision **out);
DBMIG_API int dbmig_merge_new_ex(dbmig *h, const dbmig_revision_opts *o, unsigned flags,
                                 dbmig_new_revision **out);

/* ---- upgrade --verify (issue 15, SPEC section 12) ----
 * Flag for dbmig_upgrade: after each revision's up statements, run its
 * `-- dbmig:verify [driver]` section; an error fails the revision. Inside a
 * transaction the revision is rolled back (not applied); outside one its
 * statements are committed and it is left dirty (fix it, then `upgrade
 * --resume` with this flag runs only the verify section again). A dry run
 * lists the verify statements without running them; offline mode (sql_out)
 * and dbmig_downgrade refuse it (DBMIG_EUSAGE). */
#define DBMIG_VERIFY 0x4u

/* ---- Schema dump and drift (SPEC section 12) --------------------------- */

#define DBMIG_SCHEMA_SQL 1  /* deterministic DDL in the driver's dialect */
#define DBMIG_SCHEMA_JSON 2 /* the schema model as JSON (keys sorted) */

/* The database's schema (without the version table and its lock table) in
 * format: the same database gives the same bytes, and the SQL loads into an
 * empty database of the same driver and inspects to the same schema. *out
 * is a malloc'd, NUL-terminated text: free it with dbmig_free. A database
 * that does not exist yet is an empty schema. DBMIG_EUSAGE in offline mode
 * (sql_out set) and when the driver cannot inspect (no inspect method,
 * driver ABI 2.1). */
DBMIG_API int dbmig_schema_dump(dbmig *h, int format, char **out);
/* Drift: replays the revisions applied to h's database on a scratch
 * database of the same driver (scratch_url NULL: a temporary one the driver
 * makes next to it, dbmig_scratch_<random>, dropped at the end; else that
 * database, which must be empty and is emptied again at the end), inspects
 * both and compares them. DBMIG_OK when they are the same; DBMIG_EINVALID
 * when they differ, with *out listing the differences: one line each,
 * "table invoices: column amount: NOT NULL in the database, NULL in the
 * migrations" (json 0), or a JSON array of {"object", "field", "what",
 * "left", "right"} (json 1); free it with dbmig_free. Also DBMIG_EINVALID,
 * with *out NULL, when the applied set cannot be replayed (a dirty or
 * missing revision, an applied one without a file). The scratch database
 * is removed on every return, also after dbmig_interrupt
 * (DBMIG_EINTERRUPTED). */
DBMIG_API int dbmig_drift(dbmig *h, const char *scratch_url, int json, char **out);
/* Frees what the library handed out as a plain buffer (dbmig_schema_dump's
 * and dbmig_drift's text): use it rather than free(), the library may use
 * another allocator. */
DBMIG_API void dbmig_free(void *p);
/* ---- dbmig test: the migrations proven on a scratch database (SPEC 12) -- */

/* Versioned like dbmig_options: start from DBMIG_TEST_OPTS_INIT. */
#define DBMIG_TEST_OPTS_VERSION 1
typedef struct dbmig_test_opts {
    unsigned version;        /* DBMIG_TEST_OPTS_VERSION */
    const char *scratch_url; /* NULL: a scratch database next to the handle's
                              * (same server; SQLite: a temporary file) */
    int allow_heads;         /* 1: several heads are allowed (--heads) */
    int destroy;             /* 1: test on the handle's own database, emptied
                              * first (--yes-destroy); not with scratch_url */
} dbmig_test_opts;
#define DBMIG_TEST_OPTS_INIT {DBMIG_TEST_OPTS_VERSION, NULL, 0, 0}

/* One check of one revision ("graph" for the graph-wide ones). check is
 * "heads", "up", "verify", "down", "fixture" or "data"; status 1 passed,
 * 0 failed, -1 skipped (message says why). */
typedef struct dbmig_test_case {
    const char *revision;
    const char *check;
    int status;
    const char *message;     /* "" when it passed */
    const char *file;        /* the migration file, "" for graph checks */
    double duration_ms;
} dbmig_test_case;

typedef struct dbmig_test_report {
    dbmig_test_case *cases;  /* in the order they ran */
    size_t n;
    size_t revisions;        /* revisions in the graph */
    size_t failed, skipped;  /* cases */
    double duration_ms;
    const char *where;       /* the database tested on, password redacted */
} dbmig_test_report;

/* Runs `dbmig test`: the graph has one head (unless allow_heads); then,
 * on a scratch database, for each revision in graph order: its up, its
 * verify section, its down (the schema must be the one before its up: a
 * down section is required unless the file says `irreversible`), its up
 * again, its fixture rows, and that every fixture row inserted so far
 * reads back the same across its round trip. Every failure is collected.
 * DBMIG_OK when every check passed, DBMIG_EINVALID when some failed (*out
 * says which); any other code (no scratch database, a bad folder) leaves
 * *out NULL. The scratch database is removed in every case. */
DBMIG_API int dbmig_test(dbmig *h, const dbmig_test_opts *o, dbmig_test_report **out);
DBMIG_API void dbmig_test_report_free(dbmig_test_report *r);

/* ---- dbmig diff: a migration generated from the schema you want (SPEC 13) */

/* Versioned like dbmig_options: start from DBMIG_DIFF_OPTS_INIT. */
#define DBMIG_DIFF_OPTS_VERSION 1
typedef struct dbmig_diff_opts {
    unsigned version;            /* DBMIG_DIFF_OPTS_VERSION */
    const char *to;              /* required: the desired schema, a file of
                                  * CREATE statements (schema.sql); it may hold
                                  * `-- dbmig:up <driver>` sections */
    const char *message;         /* the new revision's message (NULL: "schema diff") */
    int from_db;                 /* 1: the first state is the handle's live
                                  * database (only read), not the migrations
                                  * folder replayed on a scratch database */
    /* the dialects to write, e.g. {"sqlite", "postgres"}: one section pair
     * each, named after it; NULL/0: the handle's driver */
    const char *const *drivers;
    size_t ndrivers;
    /* a database per driver for its scratch work (the scheme says which
     * driver; it must be empty and is emptied again). None: next to the
     * handle's database for its driver, a temporary file for SQLite */
    const char *const *scratch_urls;
    size_t nscratch_urls;
    int allow_destructive;       /* 1: write a file whose up section loses data */
    int concurrently;            /* 1: PostgreSQL indexes CONCURRENTLY; the file
                                  * is `transaction off` */
    int write;                   /* 1: write the revision file; 0: compute and
                                  * verify only (--sql) */
    unsigned test_faults;        /* dbmig's own tests: DBMIG_DIFF_FAULT_* */
} dbmig_diff_opts;
#define DBMIG_DIFF_OPTS_INIT {DBMIG_DIFF_OPTS_VERSION, NULL, NULL, 0, NULL, 0, NULL, 0, 0, 0, 1, 0}
/* test_faults: a planted generator bug, which the self-verification must
 * catch (tests/schema/diff.sh): the last statement of each up section is
 * left out before it is verified. */
#define DBMIG_DIFF_FAULT_UP 0x1u

/* One note about the generated statements. kind: "destructive" (the
 * statement can lose data), "rename" (a drop and an add that may be a
 * rename: never guessed), "warning" (about schema.sql: a DROP or DML
 * statement in it, object = its path), "info" (why a SQLite table is
 * rebuilt, ...). section: "up" or "down". */
typedef struct dbmig_diff_note {
    const char *driver, *section, *kind, *object, *text;
} dbmig_diff_note;

typedef struct dbmig_diff_result {
    int changed;                 /* 0: the two states are equal: no file */
    const char *text;            /* the revision file's whole text ("" when unchanged) */
    const char *sql;             /* the up statements, per driver under a
                                  * "-- <driver>" line when several (--sql) */
    const char *revision;        /* the new id, NULL unless written */
    const char *file;            /* the path written, NULL unless written */
    const char *parent;          /* the head the new revision follows ("base": none) */
    dbmig_diff_note *notes;
    size_t nnotes;
    size_t destructive;          /* destructive notes in up sections */
    size_t nup, ndown;           /* statements in the up and down sections
                                  * (summed over the drivers) */
} dbmig_diff_result;

/* `dbmig diff`: for each driver, the first state (the migrations folder
 * replayed on a scratch database, or the live database with from_db) and
 * the desired one (o->to applied to a scratch database) are inspected and
 * compared; the up statements turn the first into the second, the down
 * statements turn it back. Both are verified on the scratch database
 * before anything is written (up gives the desired schema, down the first
 * one); a mismatch is DBMIG_ERROR naming it as a dbmig bug, with both
 * schemas' differences, and no file. DBMIG_OK with changed 0 when they are
 * equal. Destructive up statements without allow_destructive:
 * DBMIG_EINVALID, no file, *out set (the notes say what). Statements that
 * are right on the schema alone but fail on rows the folder's migrations
 * insert: DBMIG_EINVALID, no file, *out NULL (the message names the
 * statement and the database's words). With from_db and write, the live
 * database must be at the folder's head, settled (DBMIG_EINVALID). The folder must
 * have one head (DBMIG_EUSAGE naming `dbmig merge` otherwise). Every
 * scratch database is removed on every return. */
DBMIG_API int dbmig_diff(dbmig *h, const dbmig_diff_opts *o, dbmig_diff_result **out);
DBMIG_API void dbmig_diff_result_free(dbmig_diff_result *r);

/* ---- dbmig lint: dangerous migrations caught in review (SPEC 15) ------- */

/* Severities of a finding (and of a rule's setting: 0 is off). */
enum { DBMIG_LINT_OFF = 0, DBMIG_LINT_INFO = 1, DBMIG_LINT_WARNING = 2, DBMIG_LINT_ERROR = 3 };

/* A rule. dialects: bits (1u << DBMIG_DIALECT_POSTGRES / _MYSQL / _SQLITE
 * of <dbmig/driver.h>) of the dialects it checks; up_only: 1 when down
 * sections are not checked (a down section drops what its up created). */
typedef struct dbmig_lint_rule {
    const char *id;       /* squawk's name where squawk has the rule */
    int severity;         /* the default, DBMIG_LINT_* */
    unsigned dialects;
    int up_only;
    const char *why;      /* one line: what goes wrong */
    const char *fix;      /* one line: what to write instead */
} dbmig_lint_rule;

/* Every rule, in a stable order, in *out (static: nothing to free);
 * returns how many. */
DBMIG_API size_t dbmig_lint_rules(const dbmig_lint_rule **out);

/* A [lint] line of the config: rule = off|info|warning|error. source says
 * where it was written ("dbmig.conf:12"), for the messages. */
typedef struct dbmig_lint_setting {
    const char *rule, *severity, *source;
} dbmig_lint_setting;

/* Versioned like dbmig_options: start from DBMIG_LINT_OPTS_INIT. At most
 * one of revisions, since and pending; none: the revisions not applied
 * when the handle has a URL, every revision when it has none (the dialect
 * then comes from options.driver). */
#define DBMIG_LINT_OPTS_VERSION 3
typedef struct dbmig_lint_opts {
    unsigned version;                 /* DBMIG_LINT_OPTS_VERSION (1 is still accepted:
                                         the fields up to nsettings) */
    const char *const *revisions;     /* these revisions (ids, prefixes, head, ...) */
    size_t nrevisions;
    const char *since;                /* the revisions after this one (its descendants) */
    int pending;                      /* the revisions not applied (needs the database) */
    const dbmig_lint_setting *settings;
    size_t nsettings;
    int all;                          /* version 2: every revision, even with a database
                                         (what `dbmig test` lints) */
    int exact;                        /* version 3: 1 = exactly `revisions`, none when
                                         nrevisions is 0 (a caller that has read the
                                         status already: `check` lints the pending ones
                                         without a second read) */
} dbmig_lint_opts;
#define DBMIG_LINT_OPTS_INIT {DBMIG_LINT_OPTS_VERSION, NULL, 0, NULL, 0, NULL, 0, 0, 0}

typedef struct dbmig_lint_finding {
    const char *rule;     /* a rule id, or "lint-ignore" for a bad suppression */
    int severity;         /* DBMIG_LINT_INFO .. DBMIG_LINT_ERROR */
    const char *revision; /* NULL when not a revision's */
    const char *file;
    int line;
    const char *message;  /* what and why */
    const char *fix;
    const char *driver;   /* the driver whose section it is in: the report's driver, or
                             another built-in one for a `-- dbmig:up mysql` section */
} dbmig_lint_finding;

typedef struct dbmig_lint_report {
    dbmig_lint_finding *findings; /* by revision in graph order, then by line */
    size_t n;
    size_t errors, warnings, infos;
    size_t revisions;     /* revisions linted */
    const char *driver;   /* the driver whose dialect the generic sections were read in */
    const char *note;     /* NULL, or a sentence to show once (the PostgreSQL parser is
                           * not built in: statements were classified from tokens) */
} dbmig_lint_report;

/* Lints the chosen revisions: each file's up and down sections for the
 * handle's driver, and its sections for other built-in drivers in their
 * own dialects. DBMIG_OK with *out set (findings or none); a bad option or
 * setting (unknown rule: with the nearest one) is DBMIG_EUSAGE; a folder
 * that does not load is its error. Suppressions (`-- dbmig:lint-ignore
 * RULE reason` on the line above a statement) are applied; a bad one is an
 * error finding. */
DBMIG_API int dbmig_lint(dbmig *h, const dbmig_lint_opts *o, dbmig_lint_report **out);
DBMIG_API void dbmig_lint_report_free(dbmig_lint_report *r);

/* ---- dbmig wait: the readiness gate (SPEC section 16) ------------------- */

/* dbmig_wait's time-out: exit code 4, as the lock's (the same value as
 * DBMIG_ELOCKED; -rc is the exit code). */
#define DBMIG_ETIMEOUT DBMIG_ELOCKED
/* The dbmig_error_kind of that time-out (dbmig_last_error; appended after
 * DBMIG_KIND_INTERRUPTED). */
#define DBMIG_KIND_TIMEOUT (DBMIG_KIND_INTERRUPTED + 1)

/* Flags for dbmig_wait. */
#define DBMIG_WAIT_REACHABLE 0x1u /* ready once connected: the migrations
                                     folder is not read, nothing else asked */
#define DBMIG_WAIT_PHASE_PRE 0x2u /* revisions marked -- dbmig:phase post may
                                     stay pending (as options.phase PRE, which
                                     has the same effect) */

/* What the last look saw: what dbmig_wait was still waiting for. */
typedef enum dbmig_wait_state {
    DBMIG_WS_READY = 0,        /* reachable and (unless REACHABLE) nothing pending */
    DBMIG_WS_UNREACHABLE = 1,  /* no connection, or reading the version table
                                * failed: error says why */
    DBMIG_WS_NO_DATABASE = 2,  /* the server answered, but the database does not
                                * exist yet (`dbmig upgrade` creates it) */
    DBMIG_WS_PENDING = 3,      /* reachable; revisions are pending */
    DBMIG_WS_DIRTY = 4         /* reachable; a revision is dirty: an upgrade is
                                * applying it outside a transaction, or one failed
                                * there (then it waits for --resume or repair) */
} dbmig_wait_state;

/* Allocated and freed by the library (fields may be appended: never
 * allocate or copy one yourself). */
typedef struct dbmig_wait_result {
    int state;               /* dbmig_wait_state of the last look */
    int reachable;           /* the last look connected and read */
    size_t applied;          /* the folder's revisions applied and clean (0 with REACHABLE) */
    const char **pending;    /* the revisions still pending, graph order: unapplied ones
                              * and dirty ones (post ones left out under PHASE_PRE
                              * unless dirty) */
    size_t npending;
    const char **dirty;      /* those of them that are dirty */
    size_t ndirty;
    const char **post;       /* PHASE_PRE: the post revisions left pending, for
                              * `upgrade --phase post` after the deploy */
    size_t npost;
    const char *error;       /* UNREACHABLE, NO_DATABASE: the last connection or read
                              * error (password redacted); else NULL */
    unsigned polls;          /* looks taken */
    double elapsed_ms;
} dbmig_wait_result;

/* Waits until h's database is reachable and has nothing pending (with
 * DBMIG_WAIT_REACHABLE: only reachable), looking again with a backoff:
 * 100 ms doubling up to 2 s, each pause jittered to between half and all
 * of it (so many replicas do not look in step), never past the deadline;
 * the last look is made at the deadline. timeout_ms < 0: 60 s; 0: look
 * once. Pending means what dbmig_pending counts: a revision of the folder
 * not applied, or applied but dirty. A dirty revision is waited for, not
 * refused: an upgrade running it outside a transaction (every migration on
 * MySQL) holds it dirty until it ends, and the version table cannot tell
 * that from one that failed; the time-out's message says both. A database
 * (or SQLite file) that does not exist yet, or whose version table does
 * not, is reachable with every revision pending; nothing is created.
 * Edited and unknown revisions (applied, no file: older code running
 * against a newer database) do not keep it from being ready.
 *
 * Returns DBMIG_OK when ready; DBMIG_ETIMEOUT when the time ran out
 * (dbmig_errmsg says what it still waited for: the last connection error,
 * the pending or dirty revisions, and what to run); DBMIG_EINTERRUPTED
 * after dbmig_interrupt or dbmig_cancel (from another thread or a signal
 * handler: checked every 50 ms); at once, without waiting, what waiting
 * cannot fix: DBMIG_EUSAGE (no or bad URL, unknown driver, offline mode),
 * DBMIG_EINVALID (a bad migration file or graph). Connection and read
 * failures are retried. One look may take as long as the driver's own
 * time-outs (PostgreSQL: connect_timeout in the URL; SQLite:
 * ?busy_timeout=MS), which can carry it past the deadline. Events: a
 * DBMIG_EV_NOTICE each time what it waits for changes (never one per
 * look), and with options.verbose one at DBMIG_LOG_DEBUG per look. out may
 * be NULL; else *out is set on DBMIG_OK, DBMIG_ETIMEOUT and
 * DBMIG_EINTERRUPTED (NULL otherwise): free it with dbmig_wait_result_free. */
DBMIG_API int dbmig_wait(dbmig *h, int timeout_ms, unsigned flags, dbmig_wait_result **out);
DBMIG_API void dbmig_wait_result_free(dbmig_wait_result *r);

#ifdef __cplusplus
}
#endif
#endif /* DBMIG_DBMIG_H */
