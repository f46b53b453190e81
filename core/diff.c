/* diff.c — `dbmig diff` (SPEC section 13, public dbmig_diff): a new
 * revision generated from the schema the user wants. For each driver asked
 * for, on one scratch database of that driver: the desired schema.sql is
 * applied and inspected (B), the database emptied, the migrations folder
 * replayed (or the live database's dump loaded, --from-db) and inspected
 * (A); the generator (core/schema_diff.h) gives up = A→B and down = B→A,
 * and both are run there and inspected again before anything is written.
 *
 * Why it is built this way:
 *   - The database is the parser: schema.sql is run as a migration file
 *     with no header (its whole body the up section, so per-driver
 *     `-- dbmig:up <driver>` sections work), through the exec path
 *     (dm_exec_section: the portable-DDL layer, errors as schema.sql:<line>
 *     with the database's words); the replay is the user's own upgrade on
 *     the scratch handle, as drift's is.
 *   - One scratch database per driver, used twice (B, emptied, then A),
 *     so a server driver costs one CREATE DATABASE; the up and down
 *     verification then runs where A already is.
 *   - Nothing is trusted that was not observed: up must give exactly B and
 *     down exactly A (dm_schema_compare, zero differences), else the run
 *     is a dbmig bug, reported with the differences, and no file is
 *     written. DBMIG_DIFF_FAULT_UP plants such a bug for dbmig's tests.
 *   - The file is `dbmig revision`'s (core/revfile.c, one writer): the
 *     same id, name and header, parent the single head, written whole or
 *     not at all and never over a file; the sections are this file's.
 *   - Every scratch database is closed on every path (one exit per driver
 *     through dm_scratch_close), also when interrupted.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ddl.h"
#include "engine.h"
#include "exec.h"
#include "inspect.h"
#include "migfile.h"
#include "mtest.h"
#include "revfile.h"
#include "schema_diff.h"
#include "url.h"

/* One driver's work and result. */
typedef struct df_drv {
    char name[64];         /* the driver (aliases read as their driver) */
    const char *url;       /* its --scratch-url, or NULL */
    dm_buf up, down;       /* the generated statements */
    size_t nup, ndown;
    dm_dnotes upn, downn;  /* their notes */
} df_drv;

typedef struct df {
    dbmig *h;
    const dbmig_diff_opts *o;
    const char *hdrv;      /* h's driver, NULL when h has no URL */
    dm_migfile to;         /* the desired schema, parsed as a migration file */
    int to_parsed, to_empty;
    df_drv *d;
    size_t nd;
    char parent[80];       /* the single head's id, or "base" */
} df;

/* ---- small helpers ---------------------------------------------------------- */

static void df_say(df *x, const char *fmt, const char *a, const char *b)
{
    if (!x->h->o.verbose)
        return;
    char t[512];
    snprintf(t, sizeof t, fmt, a, b);
    dm_emit_level(x->h, DBMIG_EV_NOTICE, DBMIG_LOG_INFO, NULL, t, NULL);
}

static size_t df_quote(void *arg, const char *in, char *out, size_t cap)
{
    dbmig *h = arg;
    return h->drv->quote_ident(h->drv_self, NULL, in, strlen(in), out, cap);
}

/* A driver name or URL scheme (up to ':' for a URL) as the driver it
 * names: lower-case, postgresql/sqlite3/mariadb read as their driver. */
static void df_canon(const char *s, int url, char *out, size_t cap)
{
    size_t n = url && strchr(s, ':') ? (size_t)(strchr(s, ':') - s) : strlen(s);
    size_t k = 0;
    for (; k < n && k + 1 < cap; k++)
        out[k] = (char)tolower((unsigned char)s[k]);
    out[k] = '\0';
    static const char *const alias[][2] = {
        {"postgresql", "postgres"}, {"sqlite3", "sqlite"}, {"mariadb", "mysql"}};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(out, alias[i][0]) == 0)
            snprintf(out, cap, "%s", alias[i][1]);
}

static int df_stopped(df *x)
{
    if (!x->h->interrupted)
        return DBMIG_OK;
    return dm_err_set(&x->h->err, DBMIG_EINTERRUPTED,
                      "interrupted: the scratch databases are removed and no file was written");
}

/* Can the section run inside one transaction on sh (transactional DDL,
 * and no statement that must run outside one, CONCURRENTLY)? */
static int df_tx_ok(dbmig *sh, const dm_migfile *mf, int kind)
{
    if (!(sh->caps & DBMIG_CAP_TRANSACTIONAL_DDL))
        return 0;
    dm_stmt_list l = {0};
    dm_err e = {0};
    int found = 0, ok = 0;
    if (dm_migfile_statements(mf, kind, sh->drv->name, (int)sh->drv->dialect, &l, &found, &e) ==
        DBMIG_OK) {
        ok = found;
        for (size_t i = 0; ok && i < l.n; i++)
            ok = !dm_ddl_needs_autocommit(l.v[i].sql, l.v[i].len, (int)sh->drv->dialect,
                                          sh->caps);
    }
    dm_stmt_list_free(&l);
    dm_err_free(&e);
    return ok;
}

/* A section of mf run on the scratch handle sh (in one transaction when
 * tx), whose running statement dbmig_cancel on h (Ctrl-C) then cancels;
 * stopped that way, it is DBMIG_EINTERRUPTED in h. A failure inside the
 * transaction is rolled back: the database is as before. */
static int df_run(df *x, dbmig *sh, const dm_migfile *mf, int kind, int tx)
{
    if (tx && sh->drv->begin(sh->drv_self, sh->conn) != DBMIG_DRV_OK)
        return dm_db_error(sh, "cannot begin a transaction on the scratch database");
    atomic_store(&sh->running, sh->conn);
    int rc = dm_exec_section(sh, mf, kind);
    atomic_store(&sh->running, NULL);
    if (tx && rc == DBMIG_OK && sh->drv->commit(sh->drv_self, sh->conn) != DBMIG_DRV_OK)
        rc = dm_db_error(sh, "cannot commit on the scratch database");
    else if (tx && rc != DBMIG_OK)
        sh->drv->rollback(sh->drv_self, sh->conn);
    return rc != DBMIG_OK && x->h->interrupted ? df_stopped(x) : rc;
}

/* A generated section, or a dump: in one transaction where it can be (a
 * thousand DDL statements commit once; and a generated section is
 * verified as `upgrade` will run it, inside its revision's transaction). */
static int df_exec(df *x, dbmig *sh, const dm_migfile *mf, int kind)
{
    return df_run(x, sh, mf, kind, df_tx_ok(sh, mf, kind));
}

/* schema.sql: in one transaction too, and when it fails there, once more
 * statement by statement (the transaction left nothing behind): a file
 * that only works outside a transaction (an enum value added, then used)
 * still loads, and a real error is reported by the second run. */
static int df_exec_to(df *x, dbmig *sh, const dm_migfile *mf)
{
    int tx = df_tx_ok(sh, mf, DM_UP);
    int rc = df_run(x, sh, mf, DM_UP, tx);
    if (rc != DBMIG_OK && rc != DBMIG_EINTERRUPTED && tx)
        rc = df_run(x, sh, mf, DM_UP, 0);
    return rc;
}

/* ---- the options ------------------------------------------------------------ */

/* The single head (or base): a new revision follows it. */
static int df_parent(df *x)
{
    dbmig *h = x->h;
    int rc = dm_need_graph(h);
    if (rc != DBMIG_OK)
        return rc;
    const dm_graph *g = &h->graph;
    if (g->nheads > 1) {
        dm_err_set(&h->err, DBMIG_EUSAGE, "several heads (");
        for (size_t i = 0; i < g->nheads; i++)
            dm_buf_printf(&h->err.msg, "%s%s", i ? ", " : "", g->revs[g->heads[i]].id);
        dm_buf_puts(&h->err.msg, "): diff writes a revision after the single head; join them "
                                 "first with `dbmig merge -m MSG`, then run diff again");
        return DBMIG_EUSAGE;
    }
    snprintf(x->parent, sizeof x->parent, "%s",
             g->nheads ? g->revs[g->heads[0]].id : "base");
    return DBMIG_OK;
}

/* h's driver (when h has a URL), and the drivers asked for. */
static int df_drivers(df *x)
{
    dbmig *h = x->h;
    const dbmig_diff_opts *o = x->o;
    int rc = DBMIG_OK;
    if (h->url && (rc = dm_need_driver(h)) != DBMIG_OK)
        return rc;
    x->hdrv = h->url ? h->drv->name : NULL;
    size_t n = o->ndrivers ? o->ndrivers : 1;
    const char *only = x->hdrv ? x->hdrv : h->driver_name;
    if (!o->ndrivers && !only)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "diff needs a driver to write for: pass --url (the project's "
                          "database), or --drivers sqlite,postgres,...");
    if (!(x->d = calloc(n, sizeof *x->d)))
        return dm_err_nomem(&h->err);
    x->nd = n;
    for (size_t i = 0; i < n; i++) {
        const char *nm = o->ndrivers ? o->drivers[i] : only;
        if (!nm || !*nm)
            return dm_err_set(&h->err, DBMIG_EUSAGE, "--drivers: an empty driver name");
        df_canon(nm, 0, x->d[i].name, sizeof x->d[i].name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(x->d[j].name, x->d[i].name) == 0)
                return dm_err_set(&h->err, DBMIG_EUSAGE,
                                  "--drivers names %s twice (%s, %s); name each driver once",
                                  x->d[i].name, o->drivers[j], nm);
    }
    if (o->from_db && (!x->hdrv || n != 1 || strcmp(x->d[0].name, x->hdrv) != 0))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "--from-db compares with the --url database, whose schema is in its "
                          "own driver's dialect: use it with that driver only (leave --drivers "
                          "out)%s",
                          x->hdrv ? "" : "; no --url was given");
    return rc;
}

/* Each --scratch-url to the driver its scheme names. */
static int df_scratch_urls(df *x)
{
    dbmig *h = x->h;
    for (size_t i = 0; i < x->o->nscratch_urls; i++) {
        const char *u = x->o->scratch_urls[i];
        char scheme[64];
        df_canon(u ? u : "", 1, scheme, sizeof scheme);
        df_drv *d = NULL;
        for (size_t k = 0; k < x->nd && !d; k++)
            d = strcmp(x->d[k].name, scheme) == 0 ? &x->d[k] : NULL;
        dm_buf r = {0};
        dm_url_redact(u ? u : "", &r);
        int rc = !d       ? dm_err_set(&h->err, DBMIG_EUSAGE,
                                       "--scratch-url %s is for driver %s, which diff does not "
                                       "write for; name it in --drivers, or drop the URL",
                                       dm_buf_str(&r), *scheme ? scheme : "(no scheme)")
                 : d->url ? dm_err_set(&h->err, DBMIG_EUSAGE,
                                       "two --scratch-url for driver %s (the second: %s); give "
                                       "one per driver",
                                       d->name, dm_buf_str(&r))
                          : DBMIG_OK;
        dm_buf_free(&r);
        if (rc != DBMIG_OK)
            return rc;
        d->url = u;
    }
    return DBMIG_OK;
}

/* --from-db, writing a file: the live database must be exactly at the
 * folder's head (the new revision's parent), settled, or the file would
 * follow a head the
 * database does not have: a database behind the folder (or a mistyped
 * --url, which reads as an empty database) would give a file that redoes
 * the folder's own revisions. --sql (write 0) only prints: comparing any
 * database with schema.sql is then what the user asked for. */
static int df_live_state(df *x)
{
    dbmig *h = x->h;
    dbmig_status *st = NULL;
    int rc = dbmig_status_get(h, &st);
    if (rc != DBMIG_OK)
        return rc;
    const char *why = NULL;
    for (size_t i = 0; i < st->nrevs && !why; i++)
        why = (st->revs[i].flags & DBMIG_REV_DIRTY) ? "has a dirty revision (settle it first: "
                                                     "upgrade --resume, or repair)"
              : (st->revs[i].flags & DBMIG_REV_UNKNOWN) ? "has a revision applied that no file "
                                                          "has"
              : (st->revs[i].flags & DBMIG_REV_MISSING) ? "misses a revision below its head "
                                                          "(upgrade --allow-missing first)"
                                                        : NULL;
    int at_head = strcmp(x->parent, "base") == 0
                      ? st->nheads == 0
                      : st->nheads == 1 && strcmp(st->heads[0], x->parent) == 0;
    if (!why && !at_head)
        why = st->nheads == 0 ? "has none of the folder's revisions applied (is --url right? a "
                                "database that does not exist reads as empty)"
                              : "is not at the folder's head: upgrade it first";
    if (why)
        rc = dm_err_set(&h->err, DBMIG_EINVALID,
                        "--from-db compares the --url database with schema.sql and writes the "
                        "revision after the folder's head %s, but the database%s%s%s %s; or "
                        "diff without --from-db (the folder replayed)",
                        x->parent, st->nheads ? " (its head: " : "",
                        st->nheads ? st->heads[0] : "", st->nheads ? ")" : "", why);
    dbmig_status_free(st);
    return rc;
}

/* Parses text as the migration file `path`. A file name that gives no
 * valid revision id ("my schema.sql", "head.sql") is parsed under the name
 * schema.sql beside it, and the messages and mf->path say path again. */
static int df_parse(const char *path, const char *text, size_t len, dm_migfile *mf, dm_err *e)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strcspn(base, "_");
    if (n >= 4 && !base[n] && strcmp(base + n - 4, ".sql") == 0)
        n -= 4;
    char *id = dm_strndup(base, n);
    int ok = id && dm_valid_rev_id(id);
    free(id);
    if (ok)
        return dm_migfile_parse(path, text, len, mf, e);
    dm_buf sub = {0};
    dm_err pe = {0};
    if (dm_buf_printf(&sub, "%.*sschema.sql", (int)(base - path), path))
        return dm_err_nomem(e);
    int rc = dm_migfile_parse(dm_buf_str(&sub), text, len, mf, &pe);
    const char *m = dm_err_msg(&pe);
    if (rc != DBMIG_OK)
        dm_err_set(e, rc, "%s%s", path,
                   strncmp(m, sub.ptr, sub.len) == 0 ? m + sub.len : m);
    char *p = rc == DBMIG_OK ? dm_strdup(path) : NULL;
    if (rc == DBMIG_OK && !p) {
        dm_migfile_free(mf);
        rc = dm_err_nomem(e);
    } else if (rc == DBMIG_OK) {
        free(mf->path);
        mf->path = p;
    }
    dm_err_free(&pe);
    dm_buf_free(&sub);
    return rc;
}

/* The desired schema: read whole and parsed as a migration file with no
 * header; a file without any statement (nor marker) is the empty schema. */
static int df_read_to(df *x)
{
    dbmig *h = x->h;
    const char *p = x->o->to;
    FILE *f = fopen(p, "rb");
    dm_buf t = {0};
    char chunk[65536];
    size_t k;
    int e = 0;
    while (f && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (dm_buf_append(&t, chunk, k))
            e = ENOMEM;
    if (!f || ferror(f))
        e = errno ? errno : EIO;
    if (f)
        fclose(f);
    if (e) {
        dm_buf_free(&t);
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "cannot read %s: %s; --to names the desired schema, a file of CREATE "
                          "statements (`dbmig schema dump -o schema.sql` writes one)",
                          p, strerror(e));
    }
    dm_err pe = {0};
    int rc = df_parse(p, dm_buf_str(&t), t.len, &x->to, &pe);
    x->to_parsed = rc == DBMIG_OK;
    x->to.not_revision = 1; /* its errors name the file, not "revision schema" */
    if (rc != DBMIG_OK) {
        dm_stmt_list l = {0};
        dm_err se = {0};
        int none = dm_split(dm_buf_str(&t), t.len, DBMIG_DIALECT_SQLITE, 1, p, &l, &se) == 0 &&
                   l.n == 0 && !strstr(dm_buf_str(&t), "dbmig:");
        dm_stmt_list_free(&l);
        dm_err_free(&se);
        x->to_empty = none;
        rc = none ? dm_err_set(&h->err, DBMIG_EINVALID,
                               "%s holds no statement: as the desired schema it would drop every "
                               "table. Put the CREATE statements of the schema you want in it "
                               "(`dbmig upgrade` then `dbmig schema dump -o %s` writes the "
                               "current one); to empty a database, `dbmig downgrade base`",
                               p, p)
                  : dm_err_set(&h->err, rc, "%s", dm_err_msg(&pe));
    }
    dm_err_free(&pe);
    dm_buf_free(&t);
    return rc;
}

/* ---- one driver ---------------------------------------------------------------- */

/* schema.sql describes a schema: a statement that drops, renames or
 * writes rows only changes what the file itself made (the scratch database
 * starts empty) and is most likely a migration pasted in by mistake. Each
 * one is a warning with its line; the run goes on. */
static int df_to_statements(df *x, df_drv *d, int dialect)
{
    static const char *const odd[] = {"DROP", "DELETE", "INSERT", "UPDATE", "TRUNCATE",
                                       "RENAME", "REPLACE", "MERGE"};
    dm_stmt_list l = {0};
    int found = 0;
    if (x->to_empty ||
        dm_migfile_statements(&x->to, DM_UP, d->name, dialect, &l, &found, &x->h->err))
        return x->to_empty ? DBMIG_OK : DBMIG_EINVALID;
    int rc = DBMIG_OK;
    for (size_t i = 0; i < l.n && rc == DBMIG_OK; i++) {
        const char *q = l.v[i].sql;
        size_t w = 0;
        while (isalpha((unsigned char)q[w]))
            w++;
        for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
            if (w != strlen(odd[k]) || strncasecmp(q, odd[k], w) != 0)
                continue;
            if (dm_dnotes_add(&d->upn, DM_NOTE_WARNING, x->o->to,
                              "line %d: %s %s statement: the desired schema is what its "
                              "CREATE statements make (on an empty database), so this only "
                              "changes what the file itself made; write it in a migration "
                              "instead",
                              l.v[i].line, strchr("AEIOU", odd[k][0]) ? "an" : "a", odd[k]))
                rc = dm_err_nomem(&x->h->err);
        }
    }
    dm_stmt_list_free(&l);
    return rc;
}

/* schema.sql applied to the (empty) scratch database, inspected into b,
 * and the database emptied again. */
static int df_desired(df *x, df_drv *d, dbmig *sh, dm_schema *b)
{
    dbmig *h = x->h;
    const char *p = x->o->to;
    if (!x->to_empty && !dm_migfile_section(&x->to, DM_UP, d->name))
        return dm_err_set(&h->err, DBMIG_EINVALID,
                          "%s has no section for driver %s (only sections naming other "
                          "drivers): add `-- dbmig:up %s` with its CREATE statements, or a "
                          "generic `-- dbmig:up`",
                          p, d->name, d->name);
    df_say(x, "diff: applying %s to a scratch %s database", p, d->name);
    int rc = df_to_statements(x, d, (int)sh->drv->dialect);
    if (rc != DBMIG_OK)
        return rc;
    rc = x->to_empty ? DBMIG_OK : df_exec_to(x, sh, &x->to);
    if (rc != DBMIG_OK && rc != DBMIG_EINTERRUPTED)
        return dm_err_set(&h->err, rc, "%s does not load into an empty %s database: %s", p,
                          d->name, dbmig_errmsg(sh));
    if ((rc = df_stopped(x)) != DBMIG_OK)
        return rc;
    int clash = 0;
    if ((rc = dm_has_version_table(sh, &clash)) != DBMIG_OK)
        return dm_err_set(&h->err, rc, "%s", dbmig_errmsg(sh));
    if (clash) /* inspection leaves it out: the table would vanish from the diff */
        return dm_err_set(&h->err, DBMIG_EINVALID,
                          "%s creates table %s, the name of dbmig's version table (--table), "
                          "which a schema cannot hold: rename that table in %s, or give dbmig "
                          "another --table",
                          p, sh->table, p);
    if ((rc = dm_inspect(sh, b)) != DBMIG_OK)
        return dm_err_set(&h->err, rc, "cannot inspect the scratch %s database: %s", d->name,
                          dbmig_errmsg(sh));
    if ((rc = dm_mt_empty(sh)) != DBMIG_OK)
        return dm_err_set(&h->err, rc, "cannot empty the scratch %s database after reading "
                          "%s: %s", d->name, p, dbmig_errmsg(sh));
    return DBMIG_OK;
}

/* A model's dump loaded into the (empty) scratch database: the live
 * database's schema (--from-db), or the first state without its rows
 * (df_rowless). */
static int df_load_schema(df *x, dbmig *sh, const dm_schema *m, const char *what)
{
    dbmig *h = x->h;
    int rc = DBMIG_OK;
    dm_buf sql = {0};
    if (m->n && dm_schema_render_sql(m, df_quote, sh, &sql))
        rc = dm_err_nomem(&h->err);
    dm_migfile mf;
    if (rc == DBMIG_OK && sql.len &&
        (rc = dm_migfile_parse("database_dump.sql", sql.ptr, sql.len, &mf, &h->err)) ==
            DBMIG_OK) {
        if ((rc = df_exec(x, sh, &mf, DM_UP)) != DBMIG_OK && rc != DBMIG_EINTERRUPTED)
            rc = dm_err_set(&h->err, rc, "the schema dump of %s does not load into an empty "
                            "database (a dbmig bug; please report it with `dbmig schema dump`): "
                            "%s", what, dbmig_errmsg(sh));
        dm_migfile_free(&mf);
    }
    dm_buf_free(&sql);
    return rc;
}

/* The live database's dump loaded into the scratch database (--from-db). */
static int df_load_live(df *x, dbmig *sh)
{
    dm_schema live;
    int rc = dm_inspect(x->h, &live);
    if (rc != DBMIG_OK)
        return rc;
    rc = df_load_schema(x, sh, &live, "the --url database");
    dm_schema_free(&live);
    return rc;
}

/* The first state on the (emptied) scratch database, inspected into a:
 * the folder replayed to its head, or the live database's schema. */
static int df_first(df *x, df_drv *d, dbmig *sh, dm_schema *a)
{
    dbmig *h = x->h;
    int rc = DBMIG_OK;
    if (x->o->from_db) {
        df_say(x, "diff: loading the --url database's schema into the scratch %s database%s",
               d->name, "");
        rc = df_load_live(x, sh);
    } else if (h->graph.n) {
        df_say(x, "diff: replaying the migrations folder on the scratch %s database%s", d->name,
               "");
        rc = dbmig_upgrade(sh, "head", 0);
        if (rc != DBMIG_OK && rc != DBMIG_EINTERRUPTED)
            rc = dm_err_set(&h->err, rc, "replaying the migrations folder on a scratch %s "
                            "database failed (the scratch database is removed; your database "
                            "was not touched and no file was written): %s",
                            d->name, dbmig_errmsg(sh));
    }
    if (rc == DBMIG_OK || rc == DBMIG_EINTERRUPTED)
        rc = df_stopped(x);
    if (rc == DBMIG_OK && (rc = dm_inspect(sh, a)) != DBMIG_OK)
        rc = dm_err_set(&h->err, rc, "cannot inspect the scratch %s database: %s", d->name,
                        dbmig_errmsg(sh));
    return rc;
}

/* The planted bug (DBMIG_DIFF_FAULT_UP): the last up statement left out. */
static void df_fault(df_drv *d, int dialect)
{
    dm_stmt_list l = {0};
    dm_err e = {0};
    if (dm_split(dm_buf_str(&d->up), d->up.len, dialect, 1, "up", &l, &e) == 0 && l.n) {
        int line = l.v[l.n - 1].line;
        size_t off = 0;
        for (int ln = 1; ln < line && off < d->up.len; off++)
            ln += d->up.ptr[off] == '\n';
        d->up.len = off;
        d->up.ptr[off] = '\0';
        d->nup--;
    }
    dm_stmt_list_free(&l);
    dm_err_free(&e);
}

static int df_generate(df *x, df_drv *d, dbmig *sh, const dm_schema *a, const dm_schema *b)
{
    dbmig *h = x->h;
    int pg = sh->drv->dialect == DBMIG_DIALECT_POSTGRES;
    dm_diff_opts go = {df_quote, sh, x->o->concurrently && pg};
    dm_sdiffs sd = {0};
    int rc = dm_schema_compare(a, b, "the first", "the desired", &sd, &h->err);
    size_t same = rc == DBMIG_OK && sd.n == 0;
    dm_sdiffs_free(&sd);
    if (rc != DBMIG_OK || same) /* equal: no statement either way */
        return rc;
    rc = dm_schema_diff(a, b, &go, &d->up, &d->nup, &d->upn, &h->err);
    if (rc == DBMIG_OK)
        rc = dm_schema_diff(b, a, &go, &d->down, &d->ndown, &d->downn, &h->err);
    if (rc != DBMIG_OK)
        return dm_err_prefix(&h->err, "driver %s: ", d->name), rc;
    if ((x->o->test_faults & DBMIG_DIFF_FAULT_UP) && d->nup)
        df_fault(d, (int)sh->drv->dialect);
    return DBMIG_OK;
}

/* "the up statement 3 (line 7 of what `dbmig diff --sql` prints) fails:
 * <the database's words>" for a statement of df_check's text that failed
 * on sh (its text starts with one marker line for up, two for down). */
static int df_failure(dbmig *sh, const char *which, char **out)
{
    dbmig_error_info ei = DBMIG_ERROR_INFO_INIT;
    dbmig_last_error(sh, &ei);
    const char *m = ei.message ? ei.message : "";
    const char *words = strstr(m, "failed: ");
    words = words ? words + 8 : m;
    int up = strcmp(which, "up") == 0;
    dm_buf b = {0};
    int rc = up ? dm_buf_printf(&b, "the up statement %zu (line %d of what `dbmig diff --sql` "
                                    "prints) fails: %s",
                                ei.stmt, ei.line - 1, words)
                : dm_buf_printf(&b, "the down statement %zu fails: %s", ei.stmt, words);
    *out = rc ? NULL : dm_buf_take(&b);
    dm_buf_free(&b);
    return *out ? 0 : -1;
}

/* The generated `which` statements run on the scratch database, which
 * must then inspect to `want`. */
static int df_check(df *x, df_drv *d, dbmig *sh, const char *which, const dm_buf *sql,
                    const dm_schema *want, const char *want_name, char **failed)
{
    dbmig *h = x->h;
    char path[96];
    snprintf(path, sizeof path, "generated_%s_%s.sql", which, d->name);
    dm_buf text = {0};
    dm_migfile mf;
    int rc = dm_buf_printf(&text, "-- dbmig:up\n%s%s", strcmp(which, "up") ? "-- dbmig:down\n" : "",
                           dm_buf_str(sql))
                 ? dm_err_nomem(&h->err)
                 : dm_migfile_parse(path, text.ptr, text.len, &mf, &h->err);
    dm_buf_free(&text);
    if (rc != DBMIG_OK)
        return dm_err_prefix(&h->err, "dbmig bug: "), rc;
    rc = df_exec(x, sh, &mf, strcmp(which, "up") == 0 ? DM_UP : DM_DOWN);
    dm_migfile_free(&mf);
    if (rc == DBMIG_EINTERRUPTED)
        return rc;
    if (rc != DBMIG_OK && failed && df_failure(sh, which, failed))
        return dm_err_nomem(&h->err);
    if (rc != DBMIG_OK)
        return dm_err_set(&h->err, DBMIG_ERROR,
                          "dbmig bug: the generated %s statements for %s fail on a scratch "
                          "database: %s\nplease report it with both schemas (dbmig schema dump)",
                          which, d->name, dbmig_errmsg(sh));
    dm_schema got;
    if ((rc = dm_inspect(sh, &got)) != DBMIG_OK)
        return dm_err_set(&h->err, rc, "cannot inspect the scratch %s database: %s", d->name,
                          dbmig_errmsg(sh));
    dm_sdiffs sd = {0};
    rc = dm_schema_compare(&got, want, "the result", want_name, &sd, &h->err);
    if (rc == DBMIG_OK && sd.n) {
        dm_err_set(&h->err, DBMIG_ERROR, "dbmig bug: the generated %s statements for %s give a "
                   "schema that differs from %s:", which, d->name, want_name);
        for (size_t i = 0; i < sd.n; i++)
            dm_buf_printf(&h->err.msg, "\n  %s: %s", sd.v[i].object, sd.v[i].what);
        dm_buf_puts(&h->err.msg, "\nplease report it with both schemas (dbmig schema dump)");
        rc = DBMIG_ERROR;
    }
    dm_sdiffs_free(&sd);
    dm_schema_free(&got);
    return rc;
}

static int df_open(df *x, df_drv *d, dm_scratch **s)
{
    dbmig *h = x->h;
    int rc = x->hdrv && strcmp(x->hdrv, d->name) == 0
                 ? dm_scratch_open(h, d->url, s)
                 : dm_scratch_open_driver(h, d->name, d->url, s);
    dbmig *sh = rc == DBMIG_OK ? dm_scratch_handle(*s) : NULL;
    if (rc == DBMIG_OK && (rc = dm_need_conn_create(sh)) != DBMIG_OK)
        rc = dm_err_set(&h->err, rc, "cannot connect to the scratch %s database %s: %s",
                        d->name, dm_scratch_where(*s), dbmig_errmsg(sh));
    if (rc == DBMIG_OK && !DM_DRV_OPT(sh->drv, inspect))
        rc = dm_err_set(&h->err, DBMIG_EUSAGE,
                        "driver %s cannot inspect a database's schema (it has no inspect "
                        "method, driver ABI 2.1), so diff cannot write for it",
                        sh->drv->name);
    return rc;
}

/* The up or the down failed on the replayed folder, whose migrations may
 * have put rows in: a NOT NULL, a UNIQUE, a CHECK or a foreign key the
 * rows break fails there although the statements are right. So the scratch
 * database is emptied and given the first schema without rows: when up and
 * down pass there, the statements are right but the folder's own rows
 * would make the new revision fail (and `dbmig test` with it): refused
 * (DBMIG_EINVALID, no file), saying which rows and what to do; when they
 * fail there too, it is a dbmig bug (df_check's message). */
static int df_rowless(df *x, df_drv *d, dbmig *sh, const dm_schema *a, const dm_schema *b,
                      const char *why)
{
    dbmig *h = x->h;
    df_say(x, "diff: the generated statements fail on the migrations' rows; verifying them "
              "again on the %s schema without rows%s", d->name, "");
    int rc = dm_mt_empty(sh);
    if (rc != DBMIG_OK)
        return dm_err_set(&h->err, rc, "cannot empty the scratch %s database: %s", d->name,
                          dbmig_errmsg(sh));
    if ((rc = df_load_schema(x, sh, a, "the migrations folder")) != DBMIG_OK)
        return rc;
    rc = df_check(x, d, sh, "up", &d->up, b, "the desired one", NULL);
    if (rc == DBMIG_OK)
        rc = df_check(x, d, sh, "down", &d->down, a, "the first one", NULL);
    if (rc != DBMIG_OK)
        return rc;
    return dm_err_set(&h->err, DBMIG_EINVALID,
                      "the change is right on the schema alone, but on %s %s when the "
                      "migrations folder is replayed, because of rows its migrations insert; "
                      "a file that fails there would break `dbmig test` and every later diff, "
                      "so none was written. Fix those rows first (a revision that updates or "
                      "deletes them, or the migration that inserts them), then run diff again; "
                      "`dbmig diff --sql` prints the statements",
                      d->name, why);
}

/* Up then down, run and inspected on the scratch database holding a. */
static int df_verify(df *x, df_drv *d, dbmig *sh, const dm_schema *a, const dm_schema *b)
{
    char *failed = NULL;
    int rc = df_check(x, d, sh, "up", &d->up, b, "the desired one", &failed);
    if (rc == DBMIG_OK)
        rc = df_check(x, d, sh, "down", &d->down, a, "the first one", &failed);
    if (rc != DBMIG_OK && failed && !x->o->from_db && x->h->graph.n)
        rc = df_rowless(x, d, sh, a, b, failed);
    free(failed);
    return rc;
}

/* One driver, on its own scratch database (always closed). */
static int df_driver(df *x, df_drv *d)
{
    dbmig *h = x->h;
    dm_scratch *s = NULL;
    dm_schema a = {0}, b = {0};
    int rc = df_open(x, d, &s);
    dbmig *sh = dm_scratch_handle(s);
    if (rc == DBMIG_OK)
        rc = df_desired(x, d, sh, &b);
    if (rc == DBMIG_OK)
        rc = df_first(x, d, sh, &a);
    if (rc == DBMIG_OK)
        rc = df_generate(x, d, sh, &a, &b);
    if (rc == DBMIG_OK && (d->nup || d->ndown)) {
        df_say(x, "diff: verifying the generated statements for %s on %s", d->name,
               dm_scratch_where(s));
        rc = df_verify(x, d, sh, &a, &b);
    }
    if (rc == DBMIG_OK)
        rc = df_stopped(x);
    if (s && dm_scratch_close(h, s) != DBMIG_OK && rc == DBMIG_OK)
        rc = DBMIG_ERROR; /* the message says what is left behind */
    dm_schema_free(&a);
    dm_schema_free(&b);
    return rc;
}

/* ---- the result and the file ---------------------------------------------------- */

void dbmig_diff_result_free(dbmig_diff_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nnotes; i++) {
        free((char *)r->notes[i].driver);
        free((char *)r->notes[i].object);
        free((char *)r->notes[i].text);
    }
    free(r->notes);
    free((char *)r->text);
    free((char *)r->sql);
    free((char *)r->revision);
    free((char *)r->file);
    free((char *)r->parent);
    free(r);
}

static int df_notes(df *x, dbmig_diff_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < x->nd; i++)
        n += x->d[i].upn.n + x->d[i].downn.n;
    if (n == 0) /* nothing to copy (and no array to index) */
        return 0;
    if (!(r->notes = calloc(n, sizeof *r->notes)))
        return -1;
    static const char *const kinds[] = {"info", "destructive", "rename", "info", "warning"};
    for (size_t i = 0; i < x->nd; i++)
        for (int up = 1; up >= 0; up--) {
            const dm_dnotes *ns = up ? &x->d[i].upn : &x->d[i].downn;
            for (size_t k = 0; k < ns->n; k++) {
                dbmig_diff_note *t = &r->notes[r->nnotes++];
                int kind = ns->v[k].kind >= 1 && ns->v[k].kind <= 4 ? ns->v[k].kind : 0;
                t->driver = dm_strdup(x->d[i].name);
                t->section = up ? "up" : "down";
                t->kind = kinds[kind];
                t->object = dm_strdup(ns->v[k].object ? ns->v[k].object : "");
                t->text = dm_strdup(ns->v[k].text ? ns->v[k].text : "");
                if (!t->driver || !t->object || !t->text)
                    return -1;
                r->destructive += up && kind == DM_NOTE_DESTRUCTIVE;
            }
        }
    return 0;
}

/* The sections, always named after their driver (`-- dbmig:up sqlite`):
 * the statements are in that driver's dialect (a SQLite rebuild, MySQL's
 * MODIFY COLUMN), so another database of the folder gets SPEC's clear
 * "no section for driver X" before anything runs rather than a syntax
 * error half-way; and the up statements (--sql). */
static int df_body(df *x, dm_buf *body, dm_buf *sql, int *txoff)
{
    int rc = 0, several = x->nd > 1;
    *txoff = 0;
    for (size_t i = 0; i < x->nd && !rc; i++) {
        const df_drv *d = &x->d[i];
        rc = dm_buf_printf(body, "-- dbmig:up %s\n%s\n-- dbmig:down %s\n%s%s", d->name,
                           dm_buf_str(&d->up), d->name, dm_buf_str(&d->down),
                           i + 1 < x->nd ? "\n" : "");
        if (!rc && several)
            rc = dm_buf_printf(sql, "-- %s\n", d->name);
        if (!rc)
            rc = dm_buf_puts(sql, dm_buf_str(&d->up));
        if (x->o->concurrently && strcmp(d->name, "postgres") == 0 &&
            (strstr(dm_buf_str(&d->up), "CONCURRENTLY") ||
             strstr(dm_buf_str(&d->down), "CONCURRENTLY")))
            *txoff = 1;
    }
    return rc;
}

/* The folder changed: read it again; the new file must read back as the
 * revision meant, after the parent. */
static int df_reread(dbmig *h, const char *id, const char *path, const char *parent)
{
    dm_graph_free(&h->graph);
    h->graph_loaded = 0;
    int rc = dm_need_graph(h);
    if (rc != DBMIG_OK)
        return dm_err_prefix(&h->err, "wrote %s, but the folder no longer loads: ", path), rc;
    size_t v = dm_graph_find(&h->graph, id);
    const dm_rev *r = v != DM_NONE ? &h->graph.revs[v] : NULL;
    int same = r && (strcmp(parent, "base") == 0
                         ? r->nparents == 0
                         : r->nparents == 1 &&
                               strcmp(h->graph.revs[r->parents[0]].id, parent) == 0);
    if (!same)
        return dm_err_set(&h->err, DBMIG_EINVALID,
                          "wrote %s, but it does not read back as revision %s after %s; check "
                          "the file",
                          path, id, parent);
    return DBMIG_OK;
}

/* The file (or, without o->write, its text only). */
static int df_write(df *x, dbmig_diff_result *r, const char *body, int txoff)
{
    dbmig *h = x->h;
    const char *msg = x->o->message ? x->o->message : "schema diff";
    const char *par[1] = {x->parent};
    dm_buf text = {0};
    dm_newrev spec = {msg, par, 1, NULL, 0, NULL, 0, 0, !x->o->write, body, txoff, &text, 0};
    char *id = NULL, *path = NULL;
    dm_strv parents = {0};
    int rc = dm_newrev_write(&h->graph, h->dir, &spec, time(NULL), &id, &path, &parents,
                             &h->err);
    if (rc == DBMIG_OK && x->o->write && (rc = df_reread(h, id, path, x->parent)) == DBMIG_OK) {
        r->revision = id;
        r->file = path;
        id = path = NULL;
    }
    if (rc == DBMIG_OK && !(r->text = dm_buf_take(&text)))
        rc = dm_err_nomem(&h->err);
    free(id);
    free(path);
    dm_strv_free(&parents);
    dm_buf_free(&text);
    return rc;
}

/* Refuses destructive up statements without allow_destructive, naming
 * each. */
static int df_destructive(df *x, const dbmig_diff_result *r)
{
    dm_err_set(&x->h->err, DBMIG_EINVALID,
               "the up statements can lose data in %zu place%s, so no file was written:",
               r->destructive, r->destructive == 1 ? "" : "s");
    for (size_t i = 0; i < r->nnotes; i++)
        if (strcmp(r->notes[i].kind, "destructive") == 0 && strcmp(r->notes[i].section, "up") == 0)
            dm_buf_printf(&x->h->err.msg, "\n  %s: %s: %s", r->notes[i].driver,
                          r->notes[i].object, r->notes[i].text);
    dm_buf_puts(&x->h->err.msg, "\nread them, then pass --allow-destructive to write the file "
                                "(each is marked -- dbmig:destructive in it)");
    return DBMIG_EINVALID;
}

static int df_finish(df *x, dbmig_diff_result **out)
{
    dbmig *h = x->h;
    dbmig_diff_result *r = calloc(1, sizeof *r);
    if (!r)
        return dm_err_nomem(&h->err);
    dm_buf body = {0}, sql = {0};
    int txoff = 0, rc = DBMIG_OK;
    if (df_notes(x, r) || df_body(x, &body, &sql, &txoff) ||
        !(r->parent = dm_strdup(x->parent)) || !(r->sql = dm_buf_take(&sql)))
        rc = dm_err_nomem(&h->err);
    for (size_t i = 0; rc == DBMIG_OK && i < x->nd; i++) {
        r->changed |= x->d[i].nup || x->d[i].ndown;
        r->nup += x->d[i].nup;
        r->ndown += x->d[i].ndown;
    }
    if (rc == DBMIG_OK && !r->changed && !(r->text = dm_strdup("")))
        rc = dm_err_nomem(&h->err);
    else if (rc == DBMIG_OK && r->changed && r->destructive && !x->o->allow_destructive)
        rc = df_destructive(x, r);
    else if (rc == DBMIG_OK && r->changed)
        rc = df_write(x, r, dm_buf_str(&body), txoff);
    dm_buf_free(&body);
    dm_buf_free(&sql);
    if (rc == DBMIG_OK || rc == DBMIG_EINVALID) /* the notes say what was refused */
        *out = r;
    else
        dbmig_diff_result_free(r);
    return rc;
}

/* ---- dbmig_diff --------------------------------------------------------------- */

static int df_check_opts(dbmig *h, const dbmig_diff_opts *o)
{
    if (!o || o->version != DBMIG_DIFF_OPTS_VERSION)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig_diff: options missing or of another "
                          "version (start from DBMIG_DIFF_OPTS_INIT)");
    if (!o->to || !*o->to)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "diff needs the desired schema: --to FILE, a "
                          "file of CREATE statements (`dbmig schema dump -o schema.sql` writes "
                          "one)");
    if ((o->ndrivers && !o->drivers) || (o->nscratch_urls && !o->scratch_urls))
        return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig_diff: drivers or scratch_urls is NULL "
                          "with a count");
    if (o->message && strpbrk(o->message, "\r\n"))
        return dm_err_set(&h->err, DBMIG_EUSAGE, "the message (-m) must be one line; put "
                          "details in a SQL comment of the file");
    if (h->o.sql_out)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "diff does not write an offline script: it "
                          "prints its up statements with write = 0 (the CLI's --sql)");
    if (h->o.dry_run)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "diff has no dry run (it changes nothing but "
                          "the new file): use --sql to print the statements and write nothing");
    return DBMIG_OK;
}

static void df_free(df *x)
{
    for (size_t i = 0; i < x->nd; i++) {
        dm_buf_free(&x->d[i].up);
        dm_buf_free(&x->d[i].down);
        dm_dnotes_free(&x->d[i].upn);
        dm_dnotes_free(&x->d[i].downn);
    }
    free(x->d);
    if (x->to_parsed)
        dm_migfile_free(&x->to);
}

int dbmig_diff(dbmig *h, const dbmig_diff_opts *o, dbmig_diff_result **out)
{
    if (!h)
        return DBMIG_ERROR;
    dm_err_clear(&h->err);
    if (!out)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig_diff: out must not be NULL");
    *out = NULL;
    df x;
    memset(&x, 0, sizeof x);
    x.h = h;
    x.o = o;
    int rc = df_check_opts(h, o);
    if (rc == DBMIG_OK)
        rc = df_drivers(&x);
    if (rc == DBMIG_OK)
        rc = df_scratch_urls(&x);
    if (rc == DBMIG_OK)
        rc = df_parent(&x);
    if (rc == DBMIG_OK && o->from_db && o->write)
        rc = df_live_state(&x);
    if (rc == DBMIG_OK)
        rc = df_read_to(&x);
    /* the other drivers first: a missing --scratch-url fails before the
     * handle's own driver does its work */
    for (int own = 0; own < 2; own++)
        for (size_t i = 0; rc == DBMIG_OK && i < x.nd; i++)
            if ((x.hdrv && strcmp(x.d[i].name, x.hdrv) == 0) == own)
                rc = df_driver(&x, &x.d[i]);
    if (rc == DBMIG_OK)
        rc = df_finish(&x, out);
    df_free(&x);
    return rc;
}
