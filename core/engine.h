/* engine.h — the handle behind <dbmig/dbmig.h> and what the engine's files
 * share: lazy loading of the folder, the driver and the connection, the
 * version table, the lock. Internal. */
#ifndef DM_ENGINE_H
#define DM_ENGINE_H

#include <signal.h>
#include <stdatomic.h>

#include "dbmig/dbmig.h"
#include "dbmig/driver.h"
#include "graph.h"
#include "loader.h"
#include "util.h"

/* One row of the version table. */
typedef struct dm_vrow {
    char *revision, *checksum, *progress_hash;
    char *message, *applied_at; /* NULL unless read in full */
    int64_t duration_ms, progress, seq;
    int dirty;
    size_t rev; /* graph index, DM_NONE when no file has this id */
} dm_vrow;

typedef struct dm_vstate {
    dm_vrow *rows; /* ordered by seq */
    size_t n, cap;
    int64_t max_seq;
    int table_exists;
} dm_vstate;

typedef struct dm_lease dm_lease;

struct dbmig {
    dbmig_options o; /* strings point into the owned copies below */
    char *url, *driver_name, *dir, *table, *plugin_path;
    char *password;  /* from the URL, scrubbed from every message */
    char *url_redacted;
    dm_err err;
    dm_buf errout;   /* what dbmig_errmsg returns: err scrubbed */
    /* Where the failure in err happened, when a migration failed (run.c,
     * dm_errloc_set): valid while errloc.serial == err.serial, so a later
     * failure elsewhere never shows an old location (dbmig_last_error). */
    struct {
        unsigned long serial;
        char *revision, *file, *code;
        int line;
        size_t stmt;
    } errloc;

    dm_graph graph;
    int graph_loaded;

    dm_plugin *plugin;
    const dbmig_driver *drv;
    dbmig_host host;
    dbmig_conn *conn;
    uint32_t caps;
    char server_version[128];
    char *qtable;    /* quoted (possibly schema-qualified) version table */
    int locked;
    dm_lease *lease; /* the lease lock, when held (lock.c) */
    /* The driver said the database does not exist (DBMIG_DB_ERR_NODB): conn
     * stays NULL, reads see nothing applied, and dm_lock_acquire creates it
     * (dm_need_conn_create) before a command writes. nodb_msg: its words. */
    int nodb;
    char *nodb_msg;
    volatile sig_atomic_t interrupted; /* dbmig_interrupt() was called (run.c) */
    dbmig_conn *_Atomic running;       /* conn while migrations run, for dbmig_cancel */
};

/* Uses drv instead of loading a plugin (tests wrap a real driver in a
 * counting, fault-injecting table this way). Call before any command. */
void dm_use_driver(dbmig *h, const dbmig_driver *drv);

int dm_need_graph(dbmig *h);
int dm_need_driver(dbmig *h);
/* Connects without letting the driver create a missing database (a
 * read-only command must not): when it does not exist, h->conn stays NULL
 * and h->nodb is set; that is not an error. */
int dm_need_conn(dbmig *h);
/* Connects, letting the driver create the database if needed (before a
 * write, under nothing yet: dm_lock_acquire calls it). */
int dm_need_conn_create(dbmig *h);
/* Both, at once: the folder is loaded on a second thread while this one
 * loads the driver and connects. Errors as if the folder came first. */
int dm_need_graph_conn(dbmig *h);
/* The same, but `between` runs after the folder and the driver are loaded
 * and before connecting; its error is returned and nothing is connected
 * (a target is checked this way before connecting could create anything). */
int dm_need_graph_conn_then(dbmig *h, int (*between)(dbmig *h, void *arg), void *arg);

int dm_quote_ident(dbmig *h, const char *s, dm_buf *out);
int dm_quote_literal(dbmig *h, const char *s, dm_buf *out);

/* Reads the version table (empty state when it does not exist). On failure
 * st is left empty (nothing to free). */
/* Reads the version table, rows ordered by seq. full: also message and
 * applied_at (else NULL; only status shows them). */
int dm_vstate_read(dbmig *h, dm_vstate *st, int full);
void dm_vstate_free(dm_vstate *st);
/* Fills a (g->n flags + by_seq) from st. Free with dm_applied_free. */
int dm_applied_from(const dm_graph *g, const dm_vstate *st, dm_applied *a);
void dm_applied_free(dm_applied *a);

/* The migration lock (lock.c): session or lease per options and caps. */
int dm_lock_acquire(dbmig *h);
void dm_lock_release(dbmig *h);
/* 1 (with err set) when the lease renewal found the lease taken over. */
int dm_lease_lost(dbmig *h);
/* Appends the fencing clause to a version-table write while a lease is
 * held: for an INSERT ... SELECT <values> the FROM/WHERE part (insert = 1),
 * else " AND EXISTS (...)". Appends nothing without a lease. */
int dm_lease_fence(dbmig *h, dm_buf *b, int insert);

/* Sets err from the driver's last error: "<what>: <message> [<code>]". */
int dm_db_error(dbmig *h, const char *what);

/* Records where the failure just set in h->err happened: the migration's
 * revision and file, and for a statement's failure its line, 1-based
 * number and the database's code (line 0, stmt 0, code NULL or "" when
 * not a statement's). For dbmig_last_error; out of memory drops it. */
void dm_errloc_set(dbmig *h, const char *revision, const char *file, int line, size_t stmt,
                   const char *code);
void dm_emit(dbmig *h, dbmig_event_kind kind, const char *rev, const char *msg,
             const char *text);

/* The SQL that creates the version table in the driver's dialect. */
int dm_vtable_ddl(dbmig *h, dm_buf *out);
/* Where a statement error's position (1-based, in characters) points
 * inside the file. */
int dm_error_line(const char *sql, int first_line, int position);
/* The byte offset of the chars-th character of s[0..len), and back. */
size_t dm_char_to_byte(const char *s, size_t len, size_t chars);
size_t dm_byte_to_char(const char *s, size_t bytes);

#endif
