/* schema_dump.c — prints a database's schema in the portable form of the
 * core's schema model (core/schema.h, dm_schema_render_portable), read
 * through the driver plugin's own inspect() (driver ABI 2.1):
 *
 *   schema_dump [--format portable|sql|json] PLUGIN_DIR URL
 *
 * (--format sql and json: the model's other renderings, which the suite
 * uses to check that a dump reloads into an empty database as the same
 * model.)
 *
 * The portable form is one line per fact, lower-case, sorted, the same on
 * SQLite, PostgreSQL and MySQL/MariaDB when the schemas match: "table t",
 * "column t.c <family> null|notnull", "pk t (c)", "unique t (c)", "index
 * t.name unique|nonunique (c)", "fk t (c) -> r (c) on delete <a>", "view v".
 * What it normalises, and what stays different between the databases, is
 * docs/schema-model.md.
 *
 * The version table (dbmig_version) and its lock table are left out, as
 * the engine leaves them out of `schema dump`: after `downgrade base` the
 * output is empty.
 *
 * Why a tool of its own rather than `dbmig schema dump`: the conformance
 * suite checks the migrations engine against the databases' catalogs, so
 * it reads the catalog through a bare driver connection, not through the
 * engine under test; the model (inspection, normalisation) is the one the
 * engine uses, so there is one implementation of the comparison.
 *
 * Exit 0, or 1 with a message on stderr (2 for a usage error). Linked with
 * dbmig_static for the plugin loader and the schema model. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loader.h"
#include "schema.h"
#include "util.h"

static void *h_alloc(void *p, size_t n)
{
    (void)p;
    return malloc(n ? n : 1);
}

static void *h_realloc(void *p, void *q, size_t n)
{
    (void)p;
    return realloc(q, n ? n : 1);
}

static void h_free(void *p, void *q)
{
    (void)p;
    free(q);
}

static void h_log(void *p, int level, const char *msg)
{
    (void)p;
    (void)level;
    (void)msg;
}

static const char *driver_of(const char *url)
{
    if (strncasecmp(url, "sqlite", 6) == 0)
        return "sqlite";
    if (strncasecmp(url, "postgres", 8) == 0)
        return "postgres";
    if (strncasecmp(url, "mysql", 5) == 0 || strncasecmp(url, "mariadb", 7) == 0)
        return "mysql";
    return NULL;
}

typedef struct {
    const dbmig_driver *d;
    void *self;
    const dbmig_conn *conn;
} quoter;

static size_t quote(void *arg, const char *in, char *out, size_t cap)
{
    quoter *q = arg;
    return q->d->quote_ident(q->self, q->conn, in, strlen(in), out, cap);
}

static int render(const dm_schema *s, const char *format, quoter *q, dm_buf *out)
{
    if (!strcmp(format, "sql"))
        return dm_schema_render_sql(s, quote, q, out);
    if (!strcmp(format, "json"))
        return dm_schema_render_json(s, out);
    return dm_schema_render_portable(s, out);
}

/* Connects, inspects, prints; 0 or 1. */
static int dump(const dbmig_driver *d, void *self, const dbmig_host *host, const char *url,
                const char *format)
{
    dbmig_conn *c = NULL;
    dbmig_db_error de;
    memset(&de, 0, sizeof de);
    if (d->connect(self, host, url, &c, &de) != DBMIG_DRV_OK) {
        fprintf(stderr, "schema_dump: cannot connect: %s [%s]\n", de.message, de.code);
        return 1;
    }
    static const char *const skip[] = {"dbmig_version", "dbmig_version_lock", NULL};
    dm_schema s = {0};
    dm_err e = {0};
    dm_buf out = {0};
    int rc = 0;
    if (dm_schema_from_driver(d, self, c, skip, &s, &e) != 0) {
        fprintf(stderr, "schema_dump: %s\n", dm_err_msg(&e));
        rc = 1;
    } else if (render(&s, format, &(quoter){d, self, c}, &out) != 0) {
        fputs("schema_dump: out of memory\n", stderr);
        rc = 1;
    } else {
        fputs(dm_buf_str(&out), stdout);
    }
    d->close(self, c);
    dm_buf_free(&out);
    dm_schema_free(&s);
    dm_err_free(&e);
    return rc;
}

int main(int argc, char **argv)
{
    const char *format = "portable";
    if (argc == 5 && !strcmp(argv[1], "--format") &&
        (!strcmp(argv[2], "portable") || !strcmp(argv[2], "sql") || !strcmp(argv[2], "json"))) {
        format = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc != 3) {
        fputs("usage: schema_dump [--format portable|sql|json] PLUGIN_DIR URL\n", stderr);
        return 2;
    }
    const char *name = driver_of(argv[2]);
    if (!name) {
        fputs("schema_dump: unknown URL scheme (sqlite:, postgres://, mysql://)\n", stderr);
        return 2;
    }
    dm_plugin *plugin = NULL;
    dm_err e = {0};
    if (dm_plugin_load(argv[1], name, &plugin, &e) != DBMIG_OK) {
        fprintf(stderr, "schema_dump: cannot load driver %s: %s\n", name, dm_err_msg(&e));
        dm_err_free(&e);
        return 1;
    }
    const dbmig_driver *d = dm_plugin_driver(plugin);
    dbmig_host host = {sizeof host, NULL, h_alloc, h_realloc, h_free, h_log, 0};
    void *self = NULL;
    dbmig_db_error de;
    memset(&de, 0, sizeof de);
    if (d->init && d->init(&host, &self, &de) != DBMIG_DRV_OK) {
        fprintf(stderr, "schema_dump: driver %s failed to start: %s\n", name, de.message);
        dm_plugin_unload(plugin);
        return 1;
    }
    int rc = dump(d, self, &host, argv[2], format);
    if (d->init && d->fini)
        d->fini(self);
    dm_plugin_unload(plugin);
    return rc;
}
