/* engine.h — the handle behind <dbmig/dbmig.h> and what the engine's files
 * share: lazy loading of the folder, the driver and the connection, quoting,
 * events and errors. The version table is vtable.h's, the lock lock.h's,
 * planning plan.h's, running a plan exec.h's. Internal. */
#ifndef DM_ENGINE_H
#define DM_ENGINE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "dbmig/dbmig.h"
#include "dbmig/driver.h"
#include "graph.h"
#include "loader.h"
#include "util.h"
/* The version table's rows and reads: history.c reads the state through
 * this header (to go once it includes vtable.h itself). */
#include "vtable.h"

typedef struct dm_lease dm_lease;

struct dbmig {
    dbmig_options o; /* strings point into the owned copies below */
    char *url, *driver_name, *dir, *table, *plugin_path;
    dbmig_var *vars; /* the placeholder values (owned copies; h->o.vars points here) */
    size_t nvars;
    char *password;  /* from the URL, scrubbed from every message */
    char *url_redacted;
    dm_err err;
    dm_buf errout;   /* what dbmig_errmsg returns: err scrubbed */
    /* Where the failure in err happened, when a migration failed (exec.c,
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
    void *drv_self;  /* the driver's own state (driver.h: init), first argument of every method */
    int drv_inited;  /* init() succeeded: fini(drv_self) at dbmig_close */
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
    char *nodb_hint; /* the driver's hint with it ("" or NULL: none) */
    volatile sig_atomic_t interrupted; /* dbmig_interrupt() was called (exec.c) */
    dbmig_conn *_Atomic running;       /* conn while migrations run, for dbmig_cancel */
    /* Scratch databases (inspect.c): a scratch handle's parent is the
     * handle it was opened from, whose stop stops it too (exec.c: stopped);
     * the parent's child, under child_mu, is the scratch handle open now,
     * which dbmig_cancel on the parent cancels as well. */
    dbmig *parent;
    dbmig *child;
    pthread_mutex_t child_mu;
};

/* Uses drv instead of loading a plugin (tests wrap a real driver in a
 * counting, fault-injecting table this way). Call before any command. */
/* Uses drv (checked as the loader checks a plugin) with self as its state,
 * instead of loading a plugin: for tests (wrapper drivers). The caller owns
 * self; init/fini are not called. */
int dm_use_driver(dbmig *h, const dbmig_driver *drv, void *self);

int dm_need_graph(dbmig *h);
/* Every placeholder of the loaded folder's `-- dbmig:placeholders on` files
 * has a value (dm_migfile_ph_check; the driver's sections once it is
 * known). Called before connecting by the commands that run or print SQL:
 * the pending files cannot be told apart before the version table is read,
 * and a downgrade needs the applied files' values, so a name missing from
 * the run's values is a misconfiguration of the deploy, reported at once
 * (exit 3) instead of after a connection or an empty SQLite file. */
int dm_need_placeholders(dbmig *h);
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
/* A [schema.]name quoted part by part (the first dot splits): the version
 * table, its lock table, a table named by a fixture. */
int dm_quote_qualified(dbmig *h, const char *name, dm_buf *out);
int dm_quote_literal(dbmig *h, const char *s, dm_buf *out);

/* Sets err from the driver's last error: "<what>: <message> [<code>]". */
int dm_db_error(dbmig *h, const char *what);
/* Runs one statement; on failure err says "the database failed on `<sql>`:
 * ...". affected may be NULL. */
int dm_sql_exec(dbmig *h, const char *sql, int64_t *affected);

/* Records where the failure just set in h->err happened: the migration's
 * revision and file, and for a statement's failure its line, 1-based
 * number and the database's code (line 0, stmt 0, code NULL or "" when
 * not a statement's). For dbmig_last_error; out of memory drops it. */
void dm_errloc_set(dbmig *h, const char *revision, const char *file, int line, size_t stmt,
                   const char *code);
void dm_emit(dbmig *h, dbmig_event_kind kind, const char *rev, const char *msg,
             const char *text);
/* The same with the event's level given (DBMIG_LOG_*); dm_emit gives the
 * kind's own (FAILED: ERROR, ROLLED_BACK: WARN, STATEMENT*: DEBUG, else INFO). */
void dm_emit_level(dbmig *h, dbmig_event_kind kind, int level, const char *rev, const char *msg,
                   const char *text);

/* Where a statement error's position (1-based, in characters) points
 * inside the file. */
int dm_error_line(const char *sql, int first_line, int position);
/* The byte offset of the chars-th character of s[0..len), and back. */
size_t dm_char_to_byte(const char *s, size_t len, size_t chars);
size_t dm_byte_to_char(const char *s, size_t bytes);

#endif
