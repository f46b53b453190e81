/* migfile.h — one migration file: header, sections, checksum (SPEC section
 * 2). Internal. */
#ifndef DM_MIGFILE_H
#define DM_MIGFILE_H

#include <stddef.h>

#include "dbmig/dbmig.h"
#include "split.h"
#include "util.h"

/* Section kinds. DM_VERIFY (`-- dbmig:verify [driver]`): statements run
 * after up by `test` and `upgrade --verify`; DM_FIXTURE (`-- dbmig:fixture
 * [driver]`): rows `test` inserts after up (SPEC section 12). */
enum { DM_UP = 0, DM_DOWN = 1, DM_VERIFY = 2, DM_FIXTURE = 3 };

/* "up", "down", "verify", "fixture" (the marker's key), "?" for another
 * value. Kinds are values, not bits: ask for one kind at a time. */
const char *dm_section_kind_name(int kind);

typedef struct dm_section {
    int kind;       /* DM_UP, DM_DOWN, DM_VERIFY or DM_FIXTURE */
    char *driver;   /* NULL: the generic section; else a driver name */
    size_t off;     /* body = mf->text + off, len bytes (after the marker line);
                       offsets in the normalised text also for a streamed file */
    size_t len;
    int line;       /* file line of the body's first byte */
    int marker_line;/* line of the `-- dbmig:up` marker, 0 for an implicit up */
} dm_section;

#define DM_CHECKSUM_LEN 67 /* "v1:" + 64 hex */

/* A `-- dbmig:batch [by COL size N [from TABLE]]` line (SPEC section 14):
 * it marks the statement that follows it in its section (batch.c parses
 * it; dm_migfile_stream hands that statement over with st->batch set). */
typedef struct dm_batchmark {
    int line;        /* the marker's line */
    size_t section;  /* index in mf->sections of the section it is in */
    char *col;       /* keyset form: the column walked; NULL: the plain form */
    long long size;  /* keyset form: rows of the column's range per batch */
    char *from;      /* keyset form: the table walked when the statement's own
                        target cannot be it (INSERT ... SELECT); else NULL */
} dm_batchmark;

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
    int irreversible;   /* header key `irreversible` (no value): test runs its
                           up and does not round-trip it (SPEC section 12) */
    int post;           /* header key `phase post` (SPEC section 14): a
                           post-deployment revision; 0 for `phase pre` or none */
    int placeholders;   /* header key `placeholders on` (SPEC 16): ${name} in the
                           sections is substituted (placeholder.h) before splitting */
    int placeholders_line; /* its line, 0 if none */
    const dbmig_var *vars; /* the values, not owned (the engine points it at the
                              handle's; NULL: none defined) */
    size_t nvars;
    int header_line;    /* line of the first header key, 0 if none */
    int not_revision;   /* parsed as a migration file but not one (dbmig diff's
                           schema.sql): messages name the file, not a revision */
    char *text;         /* the file after BOM removal and CRLF -> LF; NULL when
                           streamed */
    size_t text_len;
    int streamed;       /* 1: a large file whose text is not kept; its statements
                           come from dm_migfile_stream(), which reads it again */
    long long file_size;      /* streamed: what fstat said when it was loaded, */
    long long file_mtime_ns;  /* compared when it is read again */
    unsigned long long file_ino;
    dm_section *sections;
    size_t nsections;
    dm_batchmark *batches; /* -- dbmig:batch markers, in file order */
    size_t nbatches;
    char checksum[DM_CHECKSUM_LEN + 1];
} dm_migfile;

/* Parses file contents. `path` is used for messages and kept; filename is
 * derived from it. Errors (DBMIG_EINVALID) read "<path>:<line>: <what>. <fix>". */
int dm_migfile_parse(const char *path, const char *data, size_t len, dm_migfile *out,
                     dm_err *err);
/* Reads and parses a file. An unreadable file is DBMIG_EUSAGE. A regular
 * file larger than DM_MIGFILE_STREAM_MIN bytes is streamed: read once in
 * 64 KiB chunks (checked, checksummed, header and section markers located)
 * without keeping its text, so loading it takes bounded memory; see
 * dm_migfile_stream(). Everything else in the dm_migfile is the same as for
 * an in-memory parse of the same bytes (checksum, sections' off/len/line,
 * header, errors). */
#define DM_MIGFILE_STREAM_MIN ((size_t)8 << 20)
int dm_migfile_load(const char *path, dm_migfile *out, dm_err *err);
/* The same with another threshold (tests: 0 streams every non-empty file). */
int dm_migfile_load_ex(const char *path, size_t stream_min, dm_migfile *out, dm_err *err);

void dm_migfile_free(dm_migfile *mf);

/* The section of a kind (DM_UP, DM_DOWN, DM_VERIFY, DM_FIXTURE) a driver
 * uses: the one naming it, else the generic one, else NULL (for DM_DOWN:
 * irreversible; for DM_VERIFY / DM_FIXTURE: nothing to run). driver may be NULL (generic only).
 * Section driver names are stored lowercase (markers are matched ignoring
 * case; postgresql, sqlite3 and mariadb are read as postgres, sqlite and
 * mysql, as in URLs). */
const dm_section *dm_migfile_section(const dm_migfile *mf, int kind, const char *driver);

/* Splits the chosen section into statements with file line numbers. A
 * missing section yields an empty list and returns 0; *found tells. In a
 * file that runs in a transaction (mf->transaction), a statement that
 * opens or ends one (BEGIN, COMMIT, START TRANSACTION, ROLLBACK, END,
 * ABORT: see dm_ddl_txn_control) is DBMIG_EINVALID "<path>:<line>: ...",
 * here and in dm_migfile_stream(). On error
 * `out` is left as it was. Works for a streamed file too (through
 * dm_migfile_stream), but then holds every statement in memory: the engine
 * uses dm_migfile_stream for streamed files (see below). */
int dm_migfile_statements(const dm_migfile *mf, int kind, const char *driver, int dialect,
                          dm_stmt_list *out, int *found, dm_err *err);

/* Calls cb for each statement of the chosen section, in order, with its file
 * line (in a file with `-- dbmig:placeholders on`: of the section's text
 * with mf->vars substituted, see placeholder.h; an undefined placeholder, a
 * malformed one, or a value that changes where a statement begins or ends
 * -- a `;` or a quote outside one -- is DBMIG_EINVALID "<path>:<line>: ..."
 * before the first statement is handed over); cb's non-zero return stops and is returned (see dm_stmt_cb in
 * split.h: st->sql lives only during the call). A missing section returns 0
 * with *found = 0 (found may be NULL). Errors: the splitter's DBMIG_EINVALID
 * ("<file>:<line>: unterminated ..."); for a streamed file DBMIG_EUSAGE when
 * it cannot be opened or read, and DBMIG_EINVALID when it is no longer the
 * file that was loaded: size, mtime or inode differ (found before any
 * statement), or the checksum of the whole file read this time differs from
 * mf->checksum (found at the end of the file, BEFORE the section's last
 * statement is handed over; the statements before it have been handed over,
 * so the caller must not commit them). For an in-memory file this is a split
 * of mf->text. Memory for a streamed file: two 64 KiB buffers and the
 * longest statement; time: one read and one SHA-256 pass over the file.
 *
 * How the engine (core/plan.c, core/exec.c) applies a streamed migration
 * (mf->streamed), instead of keeping its statements in step.stmts:
 *
 *  1. Validation, before anything runs (dm_plan_steps): one pass that only
 *     splits, keeping nothing but what the plan needs:
 *        dm_migfile_stream(f, kind, drv, dialect, check_cb, &v, &found, err)
 *     where check_cb counts the statements (v.n: the "statement k of n" in
 *     messages) and computes what decide_transaction() now computes from
 *     the list: any dm_ddl_needs_autocommit() (then remember its line) and
 *     whether every statement is dm_ddl_is_dml(). A lexing error or a
 *     missing down section stops the run here, exactly as today. The step
 *     keeps an empty stmts list plus v.n and a flag `streamed`.
 *  2. Execution: the same call with exec_cb, which does for statement k what
 *     run_stmt() does for l->v[k] (dm_ddl_prepare, drv->exec; on failure
 *     stmt_error with the statement it was given, k and v.n) and returns
 *     DBMIG_ERROR to stop. Outside a transaction it also keeps a SHA-256
 *     context updated with sql[0..len] (len + 1 bytes, the NUL
 *     included, as progress_hash() does) and after statement k writes
 *     dm_vt_progress(k + 1, hash of a copy of the context) -- the same value
 *     progress_hash() gives for the first k + 1 statements. For --resume the
 *     callback hashes statements 0..start-1 without running them, compares
 *     with the row's progress_hash at statement `start`
 *     (dm_plan_check_resume), then runs the rest.
 *  3. Commit only after dm_migfile_stream returned DBMIG_OK: an error at
 *     the end (the file changed during the run) must roll the migration
 *     back like a failed statement.
 *  Paths that need all statements at once cannot take a streamed step: the
 *  multi-statement batch (one round trip for the whole migration) and the
 *  `--sql` dry run print are statement by statement for a streamed step
 *  (dry run: print from the callback). The plan/inspect reports
 *  (report.c) may keep dm_migfile_statements.
 *  In-memory files (every file of DM_MIGFILE_STREAM_MIN or less) may keep
 *  today's path unchanged. */
int dm_migfile_stream(const dm_migfile *mf, int kind, const char *driver, int dialect,
                      dm_stmt_cb cb, void *payload, int *found, dm_err *err);

/* In a file with `-- dbmig:placeholders on`: every ${name} of the sections
 * the driver uses (every section when driver is NULL) has a value in
 * mf->vars, and every `${` starts a placeholder. 0 (also for a file without
 * the marker), or dm_ph_subst's DBMIG_EINVALID "<path>:<line>: ...". The
 * engine calls it before connecting (SPEC 16: an undefined placeholder is
 * exit 3 before anything runs, nothing created). */
int dm_migfile_ph_check(const dm_migfile *mf, const char *driver, dm_err *err);

/* Markers against the drivers (SPEC section 2; the parser alone cannot
 * know the plugins or the driver in use).
 *
 * dm_driver_builtin: 1 for postgres, mysql and sqlite.
 * dm_migfile_names_plugin: 1 when a section names another driver (only then
 * need the caller list the plugins on the search path).
 * dm_migfile_check_drivers: every section's driver is built in or in
 * `plugins` (the plugins' names; may be NULL when none is needed), and,
 * with driver non-NULL, the file has an up section that driver uses (its
 * own or the generic one; an empty one counts). A file without any section
 * for the driver would otherwise be recorded as applied having run
 * nothing. Errors are DBMIG_EINVALID "<path>:<marker line>: ..." with the
 * nearest known name, or the fix. A missing down section stays what it
 * was: the file is irreversible on that driver. */
int dm_driver_builtin(const char *name);
int dm_migfile_names_plugin(const dm_migfile *mf);
int dm_migfile_check_drivers(const dm_migfile *mf, const dm_strv *plugins, const char *driver,
                             dm_err *err);

/* SHA-256 of the normalised content as "v1:<hex>" (BOM removed, CRLF to LF,
 * trailing white space of every line removed). out holds DM_CHECKSUM_LEN+1. */
void dm_checksum(const char *data, size_t len, char *out);

/* 1 if id is a valid revision id (1-64 of [A-Za-z0-9._-], starting with a
 * letter or digit) and not reserved. Reserved (base, head, heads, current)
 * is matched ignoring ASCII case, so that `HEAD` cannot shadow a target. */
int dm_valid_rev_id(const char *id);
int dm_reserved_rev_id(const char *id);

#endif
