/* engine.c — the handle: options, lazy loading of the folder, the driver
 * and the connection, quoting, events and errors. The commands that change
 * a database are run.c's (planned by plan.c, run by exec.c, recorded by
 * vtable.c, under lock.c's lock); status and listings are report.c's. */
#define _POSIX_C_SOURCE 200809L
#include "engine.h"
#include "lock.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "placeholder.h"
#include "thread.h"
#include "url.h"
#include "loader.h"

/* ---- host services handed to drivers ---------------------------------- */

static void *host_alloc(void *p, size_t n)
{
    (void)p;
    return malloc(n ? n : 1);
}
static void *host_realloc(void *p, void *q, size_t n)
{
    (void)p;
    return realloc(q, n ? n : 1);
}
static void host_free(void *p, void *q)
{
    (void)p;
    free(q);
}
static void host_log(void *payload, int level, const char *msg)
{
    dbmig *h = payload;
    /* A driver's message never fails the run: a NOTICE, at most a warning. */
    int at = level < DBMIG_LOG_WARN ? DBMIG_LOG_WARN : level > DBMIG_LOG_DEBUG ? DBMIG_LOG_DEBUG : level;
    if (level <= DBMIG_LOG_WARN || h->o.verbose)
        dm_emit_level(h, DBMIG_EV_NOTICE, at, NULL, msg, NULL);
}

/* ---- handle ------------------------------------------------------------ */

const char *dbmig_version(void) { return DBMIG_VERSION; }

static int valid_table_name(const char *t)
{
    /* [schema.]table, each part an SQL identifier of up to 63 characters. */
    int parts = 0;
    const char *p = t;
    for (;;) {
        const char *s = p;
        if (!(isalpha((unsigned char)*p) || *p == '_'))
            return 0;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (p - s > 63)
            return 0;
        parts++;
        if (*p == '\0')
            return 1;
        if (*p != '.' || parts == 2)
            return 0;
        p++;
    }
}

/* The bytes of dbmig_options that each version has, from `version` to its
 * last field (trailing padding excluded): an application built against an
 * older <dbmig/dbmig.h> passes a shorter struct, and the library must not
 * read past it. One row per DBMIG_OPTIONS_VERSION, never changed once
 * released; a new field is appended to the struct and gets a new row. */
#define OPTIONS_END(field) (offsetof(dbmig_options, field) + sizeof(((dbmig_options *)0)->field))
static const size_t options_size[] = {
    0,                      /* 0: never valid (the struct was not initialised) */
    OPTIONS_END(verbose),   /* 1: version .. verbose (dbmig 0.1.0) */
    OPTIONS_END(phase),     /* 2: .. ddl_lock_timeout_ms .. phase (dbmig 0.3.0) */
    OPTIONS_END(nvars),     /* 3: .. vars, nvars (dbmig 0.4.0) */
};
_Static_assert(sizeof options_size / sizeof options_size[0] == DBMIG_OPTIONS_VERSION + 1,
               "options_size needs one row per DBMIG_OPTIONS_VERSION");

/* Copies the caller's options into h->o: the fields its version has, the
 * defaults of DBMIG_OPTIONS_INIT for the fields appended since. */
static int options_copy(dbmig *h, const dbmig_options *opts)
{
    if (!opts)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "no options given to dbmig_open: pass a dbmig_options initialised "
                          "with DBMIG_OPTIONS_INIT");
    if (opts->version == 0 || opts->version > DBMIG_OPTIONS_VERSION)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "dbmig_options.version is %u, this libdbmig knows versions 1 to %u; "
                          "%s",
                          opts->version, (unsigned)DBMIG_OPTIONS_VERSION,
                          opts->version == 0
                              ? "initialise the options with DBMIG_OPTIONS_INIT"
                              : "the application was built against a newer <dbmig/dbmig.h> "
                                "than this libdbmig: run it with the libdbmig it was built for");
    static const dbmig_options defaults = DBMIG_OPTIONS_INIT;
    h->o = defaults;
    memcpy(&h->o, opts, options_size[opts->version]);
    h->o.version = DBMIG_OPTIONS_VERSION;
    return DBMIG_OK;
}

/* The placeholder values (SPEC 16), checked and copied: h->o.vars points
 * to the handle's own copy (a scratch handle is given the same). */
static int copy_vars(dbmig *h)
{
    const dbmig_var *v = h->o.vars;
    size_t n = h->o.nvars;
    h->o.vars = NULL;
    h->o.nvars = 0;
    int rc = dm_ph_check_vars(v, n, &h->err);
    if (rc != DBMIG_OK || n == 0)
        return rc;
    if (!(h->vars = calloc(n, sizeof *h->vars)))
        return dm_err_nomem(&h->err);
    for (size_t i = 0; i < n; i++, h->nvars++) {
        h->vars[i].name = dm_strdup(v[i].name);
        h->vars[i].value = dm_strdup(v[i].value);
        if (!h->vars[i].name || !h->vars[i].value) {
            h->nvars++; /* free what this one got too */
            return dm_err_nomem(&h->err);
        }
    }
    h->o.vars = h->vars;
    h->o.nvars = h->nvars;
    return DBMIG_OK;
}

int dbmig_open(dbmig **out, const dbmig_options *opts)
{
    *out = NULL;
    dbmig *h = calloc(1, sizeof *h);
    if (!h)
        return DBMIG_ERROR;
    pthread_mutex_init(&h->child_mu, NULL);
    *out = h;
    int rc = options_copy(h, opts);
    if (rc != DBMIG_OK)
        return rc;
    opts = &h->o; /* from here on, only the fields this version has */
    h->url = dm_strdup(opts->url);
    h->driver_name = dm_strdup(opts->driver);
    h->dir = dm_strdup(opts->dir ? opts->dir : "migrations");
    h->table = dm_strdup(opts->table ? opts->table : "dbmig_version");
    h->plugin_path = dm_strdup(opts->plugin_path);
    if (!h->dir || !h->table || (opts->url && !h->url) || (opts->driver && !h->driver_name) ||
        (opts->plugin_path && !h->plugin_path))
        return dm_err_nomem(&h->err);
    h->o.url = h->url;
    h->o.driver = h->driver_name;
    h->o.dir = h->dir;
    h->o.table = h->table;
    h->o.plugin_path = h->plugin_path;
    if ((rc = copy_vars(h)) != DBMIG_OK)
        return rc;
    if (h->o.lock_timeout < 0)
        h->o.lock_timeout = 60;
    if (h->o.commit_interval_ms < 0)
        h->o.commit_interval_ms = 200;
    if (h->o.lease_seconds <= 0)
        h->o.lease_seconds = 30;

    if (h->url) {
        dm_buf r = {0};
        if (dm_url_redact(h->url, &r) != 0)
            return dm_err_nomem(&h->err);
        h->url_redacted = dm_buf_take(&r);
        dm_url u = {0};
        dm_err e = {0};
        if (dm_url_parse(h->url, &u, &e) == 0) {
            /* Secrets to scrub from every message: the userinfo password,
             * else one given as a query parameter. */
            h->password = dm_strdup(u.password);
            static const char *const keys[] = {"password", "pass", "pwd", "PWD", "sslpassword"};
            for (size_t k = 0; !h->password && k < sizeof keys / sizeof keys[0]; k++)
                h->password = dm_url_param(&u, keys[k]);
        }
        dm_url_free(&u);
        dm_err_free(&e);
    }
    if (!valid_table_name(h->table))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "invalid version table name '%s': use letters, digits and _ "
                          "(optionally schema.table), starting with a letter or _",
                          h->table);
    h->host.size = sizeof h->host;
    h->host.payload = h;
    h->host.alloc = host_alloc;
    h->host.realloc = host_realloc;
    h->host.free = host_free;
    h->host.log = host_log;
    return DBMIG_OK;
}

void dbmig_close(dbmig *h)
{
    if (!h)
        return;
    dm_lock_release(h);
    if (h->conn)
        h->drv->close(h->drv_self, h->conn);
    if (h->drv_inited) { /* the loader pairs init with fini */
        void (*fini)(void *) = DM_DRV_OPT(h->drv, fini);
        if (fini)
            fini(h->drv_self);
    }
    if (h->plugin)
        dm_plugin_unload(h->plugin);
    if (h->graph_loaded)
        dm_graph_free(&h->graph);
    free(h->url);
    free(h->driver_name);
    free(h->dir);
    free(h->table);
    free(h->plugin_path);
    for (size_t i = 0; i < h->nvars; i++) {
        free((char *)h->vars[i].name);
        free((char *)h->vars[i].value);
    }
    free(h->vars);
    free(h->password);
    free(h->url_redacted);
    free(h->qtable);
    free(h->nodb_msg);
    free(h->nodb_hint);
    free(h->errloc.revision);
    free(h->errloc.file);
    free(h->errloc.code);
    dm_err_free(&h->err);
    dm_buf_free(&h->errout);
    pthread_mutex_destroy(&h->child_mu);
    free(h);
}

const char *dbmig_errmsg(const dbmig *hc)
{
    if (!hc)
        return "out of memory";
    dbmig *h = (dbmig *)hc; /* the scrubbed copy is a cache */
    dm_buf_reset(&h->errout);
    /* No search-and-replace of the password here: it turned "postgres://"
     * into "***://" for the password "postgres" (and so told it). Every
     * URL in a message is redacted by structure (url.c) and drivers keep
     * passwords out of their own errors (driver.h, connect). */
    dm_buf_puts(&h->errout, dm_err_msg(&h->err));
    return dm_buf_str(&h->errout);
}

void dm_errloc_set(dbmig *h, const char *revision, const char *file, int line, size_t stmt,
                   const char *code)
{
    free(h->errloc.revision);
    free(h->errloc.file);
    free(h->errloc.code);
    h->errloc.revision = dm_strdup(revision);
    h->errloc.file = dm_strdup(file);
    h->errloc.code = code && *code ? dm_strdup(code) : NULL;
    h->errloc.line = line;
    h->errloc.stmt = stmt;
    /* A copy that failed is no location: better none than a partial one. */
    int ok = (!revision || h->errloc.revision) && (!file || h->errloc.file) &&
             (!code || !*code || h->errloc.code);
    h->errloc.serial = ok ? h->err.serial : h->err.serial - 1;
}

/* The bytes of dbmig_error_info each version has (as options_size). */
#define ERROR_INFO_END(field) \
    (offsetof(dbmig_error_info, field) + sizeof(((dbmig_error_info *)0)->field))
static const size_t error_info_size[] = {
    0,
    ERROR_INFO_END(db_code), /* 1: version .. db_code */
    ERROR_INFO_END(hint),    /* 2: + kind, detail, hint */
};
_Static_assert(sizeof error_info_size / sizeof error_info_size[0] == DBMIG_ERROR_INFO_VERSION + 1,
               "error_info_size needs one row per DBMIG_ERROR_INFO_VERSION");

/* The kind of err: the one named where it was set (dm_err_kind, dm_err_db),
 * else the one its code implies; DBMIG_ERROR alone is no one's in particular. */
static int error_kind(const dm_err *err)
{
    if (err->code == DBMIG_OK)
        return DBMIG_KIND_NONE;
    if (err->kind)
        return err->kind;
    switch (err->code) {
    case DBMIG_EUSAGE: return DBMIG_KIND_USAGE;
    case DBMIG_EINVALID: return DBMIG_KIND_INVALID;
    case DBMIG_ELOCKED: return DBMIG_KIND_LOCK;
    case DBMIG_EINTERRUPTED: return DBMIG_KIND_INTERRUPTED;
    default: return DBMIG_KIND_SYSTEM;
    }
}

int dbmig_last_error(const dbmig *h, dbmig_error_info *out)
{
    if (!out || out->version == 0 || out->version > DBMIG_ERROR_INFO_VERSION)
        return DBMIG_EUSAGE;
    dbmig_error_info e = DBMIG_ERROR_INFO_INIT;
    e.version = out->version;
    e.message = dbmig_errmsg(h);
    if (!h) {
        e.code = DBMIG_ERROR; /* dbmig_open could not allocate the handle */
        e.kind = DBMIG_KIND_SYSTEM;
    } else {
        e.code = h->err.code;
        e.kind = error_kind(&h->err);
        e.db_code = h->err.db_code; /* any refusal's; a statement's is also errloc's */
        e.detail = h->err.detail;
        e.hint = h->err.hint;
        if (e.code != DBMIG_OK && h->errloc.serial == h->err.serial) {
            e.revision = h->errloc.revision;
            e.file = h->errloc.file;
            e.line = h->errloc.line;
            e.stmt = h->errloc.stmt;
            if (h->errloc.code)
                e.db_code = h->errloc.code;
        }
    }
    memcpy(out, &e, error_info_size[out->version]);
    return DBMIG_OK;
}

void dm_emit_level(dbmig *h, dbmig_event_kind kind, int level, const char *rev, const char *msg,
                   const char *text)
{
    if (!h->o.on_event)
        return;
    dbmig_event ev = {0};
    ev.kind = kind;
    ev.revision = rev;
    ev.message = msg;
    ev.text = text;
    ev.level = level;
    h->o.on_event(h->o.event_payload, &ev);
}

/* The level an event of this kind has unless its sender says otherwise
 * (a NOTICE that warns: dm_emit_level). */
static int kind_level(dbmig_event_kind kind)
{
    switch (kind) {
    case DBMIG_EV_FAILED:
        return DBMIG_LOG_ERROR;
    case DBMIG_EV_ROLLED_BACK:
        return DBMIG_LOG_WARN;
    case DBMIG_EV_STATEMENT:
    case DBMIG_EV_STATEMENT_DONE:
        return DBMIG_LOG_DEBUG;
    default:
        return DBMIG_LOG_INFO;
    }
}

void dm_emit(dbmig *h, dbmig_event_kind kind, const char *rev, const char *msg, const char *text)
{
    dm_emit_level(h, kind, kind_level(kind), rev, msg, text);
}

/* ---- lazy loading --------------------------------------------------------- */

/* The loaded folder's markers against the known drivers and, once it is
 * known, the driver in use (SPEC section 2); a folder that fails is dropped,
 * as if it had not loaded. */
static int check_markers(dbmig *h)
{
    /* every file reads its placeholders' values from the handle (SPEC 16) */
    for (size_t i = 0; i < h->graph.n; i++) {
        h->graph.revs[i].file.vars = h->vars;
        h->graph.revs[i].file.nvars = h->nvars;
    }
    int rc = dm_graph_check_drivers(&h->graph, h->plugin_path, h->drv ? h->drv->name : NULL,
                                    &h->err);
    if (rc != DBMIG_OK) {
        dm_graph_free(&h->graph);
        h->graph_loaded = 0;
    }
    return rc;
}

int dm_need_graph(dbmig *h)
{
    if (h->graph_loaded)
        return DBMIG_OK;
    int rc = dm_graph_load_dir(&h->graph, h->dir, &h->err);
    if (rc != DBMIG_OK)
        return rc;
    h->graph_loaded = 1;
    return check_markers(h);
}

/* The driver the URL's scheme names (postgresql, sqlite3 and mariadb are
 * aliases). */
static int url_driver(dbmig *h, dm_buf *name)
{
    if (!h->url)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "no database URL: pass --url, or set DBMIG_URL or DATABASE_URL "
                          "(e.g. sqlite:app.db, postgres://user@host/db, mysql://user@host/db)");
    const char *colon = strchr(h->url, ':');
    size_t n = colon ? (size_t)(colon - h->url) : 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)h->url[i]) || h->url[i] == '+' || h->url[i] == '-' ||
              h->url[i] == '.'))
            n = 0;
    if (n == 0)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "bad database URL '%s': it has no scheme; write it as sqlite:path, "
                          "postgres://... or mysql://..., or pass --driver",
                          h->url_redacted);
    for (size_t i = 0; i < n; i++)
        if (dm_buf_append(name, (char[]){(char)tolower((unsigned char)h->url[i])}, 1))
            return dm_err_nomem(&h->err);
    if (strcmp(name->ptr, "postgresql") == 0) {
        dm_buf_reset(name);
        dm_buf_puts(name, "postgres");
    } else if (strcmp(name->ptr, "sqlite3") == 0) {
        dm_buf_reset(name);
        dm_buf_puts(name, "sqlite");
    } else if (strcmp(name->ptr, "mariadb") == 0) {
        dm_buf_reset(name);
        dm_buf_puts(name, "mysql");
    }
    return DBMIG_OK;
}

/* The driver's name: --driver, else the URL's scheme. */
static int driver_name(dbmig *h, dm_buf *name)
{
    if (h->driver_name)
        return dm_buf_puts(name, h->driver_name) ? dm_err_nomem(&h->err) : DBMIG_OK;
    return url_driver(h, name);
}

/* The driver's sections are the ones checked: its name once loaded, else
 * --driver or the URL's scheme (no plugin is loaded for this), else every
 * section (no driver named at all). */
int dm_need_placeholders(dbmig *h)
{
    int rc = dm_need_graph(h);
    if (rc != DBMIG_OK)
        return rc;
    dm_buf name = {0};
    if (!h->drv && (h->driver_name || h->url) && driver_name(h, &name) != DBMIG_OK) {
        dm_buf_reset(&name); /* a bad URL is its own error, where it is used */
        dm_err_clear(&h->err);
    }
    const char *drv = h->drv ? h->drv->name : name.len ? dm_buf_str(&name) : NULL;
    for (size_t i = 0; rc == DBMIG_OK && i < h->graph.n; i++)
        rc = dm_migfile_ph_check(&h->graph.revs[i].file, drv, &h->err);
    dm_buf_free(&name);
    return rc;
}

int dm_use_driver(dbmig *h, const dbmig_driver *drv, void *self)
{
    int rc = dm_driver_check("(in-process driver table)", drv && drv->name ? drv->name : "?", drv,
                             &h->err);
    if (rc != DBMIG_OK)
        return rc;
    h->drv = drv;
    h->drv_self = self;
    return DBMIG_OK;
}

/* The driver's init(), once per handle, for a loaded plugin. */
static int driver_init(dbmig *h)
{
    int (*init)(const dbmig_host *, void **, dbmig_db_error *) = DM_DRV_OPT(h->drv, init);
    if (!init)
        return DBMIG_OK;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    if (init(&h->host, &h->drv_self, &e) != DBMIG_DRV_OK) {
        dm_buf m = {0};
        dm_db_error_format(&m, &e);
        int rc = dm_err_set(&h->err, DBMIG_ERROR, "driver %s (%s) could not start: %s",
                            h->drv->name, dm_plugin_file(h->plugin), dm_buf_str(&m));
        dm_buf_free(&m);
        h->drv_self = NULL;
        return rc;
    }
    h->drv_inited = 1;
    return DBMIG_OK;
}

int dm_need_driver(dbmig *h)
{
    if (h->qtable)
        return DBMIG_OK;
    int rc;
    if (!h->drv) {
        dm_buf name = {0};
        rc = driver_name(h, &name);
        if (rc == DBMIG_OK) /* no --driver: the URL's scheme routes (loader.h) */
            rc = h->driver_name
                     ? dm_plugin_load(h->plugin_path, dm_buf_str(&name), &h->plugin, &h->err)
                     : dm_plugin_load_scheme(h->plugin_path, dm_buf_str(&name), &h->plugin,
                                             &h->err);
        dm_buf_free(&name);
        if (rc != DBMIG_OK) /* a bad driver name too: only the loader can tell */
            return dm_err_kind(&h->err, DBMIG_KIND_DRIVER);
        h->drv = dm_plugin_driver(h->plugin);
        if (driver_init(h) != DBMIG_OK) {
            h->drv = NULL;
            return dm_err_kind(&h->err, DBMIG_KIND_DRIVER);
        }
    }
    h->caps = h->drv->caps;
    if (h->graph_loaded && (rc = check_markers(h)) != DBMIG_OK)
        return rc;

    /* The quoted version table name, [schema.]table. Where the driver's
     * catalog look-ups see only the connection's schema, a qualified name
     * would be written to but never read back (every run would record
     * every revision again): SQLite's `main` is its only schema and is the
     * same as no schema; MySQL's schema is the URL's database. */
    const char *dot = strchr(h->table, '.');
    const char *only = DM_DRV_SQL(h->drv, table_schema); /* driver.h: the schema rule */
    if (dot && only) {
        size_t n = (size_t)(dot - h->table);
        if (!*only || strlen(only) != n || strncasecmp(h->table, only, n) != 0) {
            const char *why = DM_DRV_SQL(h->drv, table_schema_why);
            return dm_err_set(&h->err, DBMIG_EUSAGE,
                              "invalid version table name '%s' for driver %s: %s; use --table %s",
                              h->table, h->drv->name,
                              why ? why : "its catalog look-ups see only the connection's schema",
                              dot + 1);
        }
        memmove(h->table, dot + 1, strlen(dot + 1) + 1); /* main.t is t */
        dot = NULL;
    }
    dm_buf q = {0};
    rc = dm_quote_qualified(h, h->table, &q);
    if (rc != DBMIG_OK) {
        dm_buf_free(&q);
        return rc;
    }
    h->qtable = dm_buf_take(&q);
    return DBMIG_OK;
}

int dm_quote_qualified(dbmig *h, const char *name, dm_buf *out)
{
    const char *dot = strchr(name, '.');
    if (!dot)
        return dm_quote_ident(h, name, out);
    char *schema = dm_strndup(name, (size_t)(dot - name));
    int rc = schema ? dm_quote_ident(h, schema, out) : dm_err_nomem(&h->err);
    free(schema);
    if (rc == DBMIG_OK && dm_buf_puts(out, "."))
        rc = dm_err_nomem(&h->err);
    return rc == DBMIG_OK ? dm_quote_ident(h, dot + 1, out) : rc;
}

/* A built-in driver chosen by name (--driver, DBMIG_DRIVER, `driver =`,
 * which `dbmig init --driver` writes) for a URL whose scheme names another
 * built-in driver: the URL would reach the wrong client library, whose
 * complaint (libpq: "missing =", percent-encode the password) points
 * nowhere near the cause. Checked when connecting only, so a file can still
 * be validated in another driver's dialect; a third-party driver may take
 * any URL. */
static int driver_url_clash(dbmig *h)
{
    static const char *const builtin[] = {"postgres", "mysql", "sqlite"};
    int named = 0;
    for (size_t i = 0; h->driver_name && i < 3; i++)
        named |= strcmp(h->driver_name, builtin[i]) == 0;
    if (!named)
        return DBMIG_OK;
    dm_buf scheme = {0};
    int rc = url_driver(h, &scheme); /* what the URL's scheme alone would choose */
    dm_err_clear(&h->err);
    const char *u = rc == DBMIG_OK ? dm_buf_str(&scheme) : "";
    int other = 0;
    for (size_t i = 0; i < 3; i++)
        other |= strcmp(u, builtin[i]) == 0 && strcmp(u, h->driver_name) != 0;
    rc = other ? dm_err_set(&h->err, DBMIG_EUSAGE,
                            "the URL %s is for driver %s, but the driver is %s (set by --driver, "
                            "DBMIG_DRIVER or `driver =` in dbmig.conf, which `dbmig init "
                            "--driver` writes; `dbmig -v` names it): remove that driver setting "
                            "(the URL's scheme chooses the driver) or give a %s URL",
                            h->url_redacted, u, h->driver_name, h->driver_name)
               : DBMIG_OK;
    dm_buf_free(&scheme);
    return rc;
}

static int connect_with(dbmig *h, uint32_t flags)
{
    int crc = driver_url_clash(h);
    if (crc != DBMIG_OK)
        return crc;
    dbmig_db_error e;
    memset(&e, 0, sizeof e);
    h->host.flags = flags;
    int rc = h->drv->connect(h->drv_self, &h->host, h->url, &h->conn, &e);
    h->host.flags = 0;
    if (rc != DBMIG_DRV_OK) {
        h->conn = NULL;
        if ((flags & DBMIG_HOST_NO_CREATE) && e.kind == DBMIG_DB_ERR_NODB) {
            free(h->nodb_msg);
            free(h->nodb_hint);
            h->nodb_msg = dm_strdup(e.message);
            h->nodb_hint = dm_strdup(e.hint);
            if (!h->nodb_msg || !h->nodb_hint)
                return dm_err_nomem(&h->err);
            h->nodb = 1;
            return DBMIG_OK;
        }
        /* A driver that rejects the URL itself says so with the kind URL:
         * that is a usage error (exit 2), not a failed connection. */
        if (e.kind == DBMIG_DB_ERR_URL)
            return dm_err_set(&h->err, DBMIG_EUSAGE, "bad database URL %s for driver %s: %s%s%s",
                              h->url_redacted, h->drv->name, e.message, e.hint[0] ? "; " : "",
                              e.hint);
        dm_buf m = {0};
        dm_db_error_format(&m, &e);
        dm_err_set(&h->err, DBMIG_ERROR,
                        "cannot connect to %s with driver %s: %s\n"
                        "check the URL, that the server is running and reachable, and "
                        "the credentials", h->url_redacted, h->drv->name, dm_buf_str(&m));
        dm_buf_free(&m);
        return dm_db_error_note(&h->err, &e);
    }
    h->nodb = 0;
    if (DM_DRV_OPT(h->drv, conn_caps))
        h->caps = DM_DRV_OPT(h->drv, conn_caps)(h->drv_self, h->conn);
    if (DM_DRV_OPT(h->drv, server_version) &&
        DM_DRV_OPT(h->drv, server_version)(h->drv_self, h->conn, h->server_version,
                                           sizeof h->server_version) != 0)
        h->server_version[0] = '\0';
    return DBMIG_OK;
}

int dm_need_conn(dbmig *h)
{
    /* After NODB, look again each time: another process (or this handle's
     * next upgrade) may have created the database since. */
    if (h->conn)
        return DBMIG_OK;
    int rc = dm_need_driver(h);
    if (rc != DBMIG_OK)
        return rc;
    if (!h->url)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "no database URL: pass --url, or set DBMIG_URL or DATABASE_URL");
    return connect_with(h, DBMIG_HOST_NO_CREATE);
}

int dm_need_conn_create(dbmig *h)
{
    int rc = dm_need_conn(h);
    if (rc != DBMIG_OK || h->conn)
        return rc;
    rc = connect_with(h, 0);
    if (rc == DBMIG_OK) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s, so it was created (a new, empty database)",
                 h->nodb_msg ? h->nodb_msg : "the database did not exist");
        dm_emit(h, DBMIG_EV_NOTICE, NULL, msg, NULL);
    }
    return rc;
}

/* The folder on a second thread. The job touches nothing but its own fields
 * and the graph it fills (dm_graph_load_dir uses no handle state), so the
 * two threads share no data until the join. */
typedef struct graph_job {
    dm_graph *graph;
    const char *dir;
    dm_err err;
    int rc;
} graph_job;

static void *graph_job_run(void *arg)
{
    graph_job *j = arg;
    j->rc = dm_graph_load_dir(j->graph, j->dir, &j->err);
    return NULL;
}

/* Start-up is two independent waits: reading, checksumming and parsing the
 * files, and loading the driver plus connecting (a server's connection and
 * authentication; SQLite's driver reads the schema as it connects). Done
 * one after the other, "nothing to do" costs their sum; here it costs the
 * longer one. The driver's calls are the same, in the same order, either
 * way.
 *
 * libltdl stays on the calling thread; the second thread only reads files.
 * If no thread can be started, the two are done in turn.
 *
 * With `between` (a command that validates its arguments against the
 * folder, such as a target), `between` runs once both are there and its
 * error wins over a failed connection. The overlap stays safe for such a
 * command because the connection made here never creates anything (it is
 * made with DBMIG_HOST_NO_CREATE; dm_need_conn_create, called just before
 * the first write, is what creates a missing SQLite file). */
int dm_need_graph_conn_then(dbmig *h, int (*between)(dbmig *h, void *arg), void *arg)
{
    pthread_t t;
    graph_job j = {.graph = &h->graph, .dir = h->dir};
    if (h->graph_loaded || h->conn || dm_thread_start(&t, graph_job_run, &j) != 0) {
        int rc = dm_need_graph(h);
        if (rc == DBMIG_OK && between)
            rc = dm_need_driver(h);
        if (rc == DBMIG_OK && between)
            rc = between(h, arg);
        return rc != DBMIG_OK ? rc : dm_need_conn(h);
    }
    int crc = dm_need_conn(h);
    pthread_join(t, NULL);
    if (j.rc != DBMIG_OK) {
        /* The folder's error wins, as when it was loaded first. */
        unsigned long serial = h->err.serial;
        dm_err_free(&h->err);
        h->err = j.err;
        h->err.serial = serial + 1; /* a new failure: no older location applies */
        return j.rc;
    }
    dm_err_free(&j.err);
    h->graph_loaded = 1;
    /* the driver may not be known yet if connecting failed early */
    int mrc = check_markers(h);
    if (mrc != DBMIG_OK)
        return mrc;
    if (between) {
        int brc = between(h, arg);
        if (brc != DBMIG_OK)
            return brc;
    }
    return crc;
}

int dm_need_graph_conn(dbmig *h) { return dm_need_graph_conn_then(h, NULL, NULL); }

/* ---- quoting ------------------------------------------------------------ */

static int quote_with(dbmig *h, dbmig_quote_fn fn, const char *s, dm_buf *out)
{
    size_t len = strlen(s);
    char small[256];
    size_t need = fn(h->drv_self, h->conn, s, len, small, sizeof small);
    if (need < sizeof small)
        return dm_buf_append(out, small, need) ? dm_err_nomem(&h->err) : DBMIG_OK;
    char *big = malloc(need + 1);
    if (!big)
        return dm_err_nomem(&h->err);
    fn(h->drv_self, h->conn, s, len, big, need + 1);
    int rc = dm_buf_append(out, big, need) ? dm_err_nomem(&h->err) : DBMIG_OK;
    free(big);
    return rc;
}

int dm_quote_ident(dbmig *h, const char *s, dm_buf *out)
{
    return quote_with(h, h->drv->quote_ident, s, out);
}

int dm_quote_literal(dbmig *h, const char *s, dm_buf *out)
{
    return quote_with(h, h->drv->quote_literal, s, out);
}

int dm_db_error(dbmig *h, const char *what)
{
    const dbmig_db_error *e = h->conn ? h->drv->last_error(h->drv_self, h->conn) : NULL;
    dm_buf m = {0};
    int oom = dm_db_error_format(&m, e);
    int rc = oom ? dm_err_nomem(&h->err)
                 : dm_err_set(&h->err, DBMIG_ERROR, "%s: %s", what, dm_buf_str(&m));
    dm_buf_free(&m);
    return oom ? rc : dm_db_error_note(&h->err, e);
}

int dm_sql_exec(dbmig *h, const char *sql, int64_t *affected)
{
    if (h->drv->exec(h->drv_self, h->conn, sql, strlen(sql), affected) != DBMIG_DRV_OK) {
        dm_buf m = {0};
        const dbmig_db_error *e = h->drv->last_error(h->drv_self, h->conn);
        int oom = dm_db_error_format(&m, e);
        int rc = oom ? dm_err_nomem(&h->err)
                     : dm_err_set(&h->err, DBMIG_ERROR, "the database failed on `%.200s`: %s", sql,
                                  dm_buf_str(&m));
        dm_buf_free(&m);
        return oom ? rc : dm_db_error_note(&h->err, e);
    }
    return DBMIG_OK;
}

int dm_error_line(const char *sql, int first_line, int position)
{
    /* position counts characters (UTF-8 code points), not bytes. */
    int line = first_line;
    if (position <= 0)
        return line;
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p && chars < position - 1; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        chars++;
        if (*p == '\n')
            line++;
    }
    return line;
}

size_t dm_char_to_byte(const char *s, size_t len, size_t chars)
{
    size_t i = 0, c = 0;
    while (i < len && c < chars) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        c++;
    }
    return i;
}

size_t dm_byte_to_char(const char *s, size_t bytes)
{
    size_t c = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}
