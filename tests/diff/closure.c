/* closure.c — the closure property test of `dbmig diff` (issue 16
 * acceptance, ctest diff.closure): on one database server, a seeded random
 * walk of schema mutations, and for every pair (A, B) of consecutive
 * schemas, diff(A -> B) applied to A gives exactly B and diff(B -> A)
 * applied to that gives exactly A.
 *
 *   closure --url URL [--seed N] [--pairs N] [--walk W] [--steps N]
 *           [--enums auto|on|off] [--verbose] [--max-report N]
 *           [--generator-only] [--profile] [--no-join-views]
 *
 * How one step runs (two scratch databases, dm_scratch_open, next to URL:
 * two new databases on PostgreSQL and MariaDB, two temporary files for
 * SQLite; both removed at the end):
 *   D1 holds A (its model, inspected). The generator (gen.c) copies A's
 *   spec and mutates it (one or two mutations of issue 16 item 2); D2 is
 *   emptied and the new spec's CREATE statements are applied there; D2 is
 *   inspected: that is B (the database is the parser, as in `dbmig diff`).
 *   Rows go into D1's tables (see gen_data_safe: kept when they survive
 *   A -> B -> A, else the tables are emptied and the statements run on
 *   empty tables). up = dm_schema_diff(A, B), down = dm_schema_diff(B, A).
 *   With rows, every table A and B both have must still hold its two rows
 *   after up and after down (a SQLite rebuild copies them).
 *   up runs on D1 (inside one transaction where DDL is transactional,
 *   PostgreSQL and SQLite, as a migration would; every other PostgreSQL
 *   walk is generated with --concurrently and runs without one, as its
 *   `transaction off` revision would), D1 is inspected and
 *   compared with B (dm_schema_compare: zero differences); down runs, D1
 *   compared with A; up runs again (D1 holds B: its digest must equal the
 *   one after the first up). B becomes the next A.
 *
 * A failure (the generator's DDL refused, the diff refused, a statement
 * refused, a difference after up or down) prints the seed, walk, step,
 * mutation, both specs' DDL, both models (schema dump SQL), up, down, the
 * error and the differences, and the walk ends; the next walk starts from
 * a fresh random schema. Walk W of seed S is reproduced alone with
 * --seed S --walk W. Exit 1 when anything failed, 2 on a usage error.
 *
 * Links dbmig_static: the engine's handle (dm_inspect, dm_sql_exec,
 * scratch databases) and the model (dm_schema_diff, dm_schema_compare).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "closure.h"
#include "engine.h"
#include "inspect.h"
#include "schema_diff.h"
#include "sha256.h"
#include "split.h"

typedef struct cdb {
    dbmig *parent, *h;
    dm_scratch *s;
    dm_schema m; /* its schema, when known */
    int known;
} cdb;

typedef struct ctx {
    const char *url, *driver;
    int gd, dialect, tx, enums, verbose, steps, max_report, reported, gen_only;
    int concurrently; /* this walk: PostgreSQL CREATE INDEX CONCURRENTLY, no transaction */
    int nojoin;       /* --no-join-views: views read one table (said in the summary) */
    long conc_walks;
    uint64_t seed;
    long target, only_walk;
    cdb d1, d2;
    long pairs, failures, identical, with_rows, walks, stmts, counted;
    double t_stmts, t_inspect; /* seconds in statements, in inspections */
    int profile;               /* --profile: seconds per statement kind */
    struct { char key[40]; double t; long n; } prof[64];
    long kinds[64];
} ctx;

/* One walk's state. */
typedef struct walk {
    long no;
    int step, rows; /* rows: D1's tables hold A's two rows each */
    gspec a, b;
    dm_schema A; /* D1's model */
    char desc[600];
    dm_buf up, down, err, diffs;
} walk;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t q_ident(void *arg, const char *in, char *out, size_t cap)
{
    dbmig *h = arg;
    return h->drv->quote_ident(h->drv_self, h->conn, in, strlen(in), out, cap);
}

/* ---- the two databases ---------------------------------------------------- */

static int db_open(ctx *c, cdb *d, const char *plugin_dir)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = c->url;
    o.plugin_path = plugin_dir;
    if (dbmig_open(&d->parent, &o) != DBMIG_OK || dm_scratch_open(d->parent, NULL, &d->s) != DBMIG_OK) {
        fprintf(stderr, "closure: cannot open a scratch database next to %s: %s\n", c->url,
                d->parent ? dbmig_errmsg(d->parent) : "no memory");
        return -1;
    }
    d->h = dm_scratch_handle(d->s);
    if (dm_need_conn_create(d->h) != DBMIG_OK) {
        fprintf(stderr, "closure: cannot connect to %s: %s\n", dm_scratch_where(d->s), dbmig_errmsg(d->h));
        return -1;
    }
    const char *fast = DM_DRV_SQL(d->h->drv, scratch_session); /* speed over durability */
    if (fast && dm_sql_exec(d->h, fast, NULL) != DBMIG_OK) {
        fprintf(stderr, "closure: %s\n", dbmig_errmsg(d->h));
        return -1;
    }
    return 0;
}

static void db_close(cdb *d)
{
    if (d->parent && d->s && dm_scratch_close(d->parent, d->s) != DBMIG_OK)
        fprintf(stderr, "closure: %s\n", dbmig_errmsg(d->parent));
    dbmig_close(d->parent);
    dm_schema_free(&d->m);
}

/* --profile: time per (database, first two words of the statement). */
static void prof_add(ctx *c, const char *db, const char *sql, double t)
{
    char key[40];
    int n = snprintf(key, sizeof key, "%s ", db), words = 0;
    for (const char *p = sql; *p && n < (int)sizeof key - 1; p++) {
        if (*p == ' ' || *p == '\n' || *p == '(')
            if (++words == 2)
                break;
        key[n++] = *p == '\n' ? ' ' : *p;
    }
    key[n] = 0;
    for (int i = 0; i < 64; i++)
        if (!c->prof[i].key[0] || !strcmp(c->prof[i].key, key)) {
            memcpy(c->prof[i].key, key, sizeof key);
            c->prof[i].t += t, c->prof[i].n++;
            return;
        }
}

/* Runs each statement of sql (split by the dialect's rules, comments
 * dropped); tx: inside one transaction. 0, or -1 with the error in err. */
static int db_run(ctx *c, cdb *d, const char *sql, int tx, dm_buf *err)
{
    dm_stmt_list l = {0};
    dm_err e = {0};
    if (dm_split(sql, strlen(sql), c->dialect, 1, "statements", &l, &e) != 0) {
        dm_buf_printf(err, "cannot split the statements: %s", dm_err_msg(&e));
        dm_err_free(&e);
        return -1;
    }
    const dbmig_driver *drv = d->h->drv;
    int rc = 0;
    double t0 = now();
    if (tx && drv->begin(d->h->drv_self, d->h->conn) != DBMIG_DRV_OK) {
        dm_buf_printf(err, "cannot begin a transaction");
        rc = -1;
    }
    for (size_t i = 0; !rc && i < l.n; i++, c->stmts++) {
        double t1 = now();
        if (dm_sql_exec(d->h, l.v[i].sql, NULL) != DBMIG_OK) {
            dm_buf_printf(err, "statement %zu: %s", i + 1, dbmig_errmsg(d->h));
            rc = -1;
        }
        if (c->profile)
            prof_add(c, d == &c->d1 ? "D1" : "D2", l.v[i].sql, now() - t1);
    }
    if (tx && !rc && drv->commit(d->h->drv_self, d->h->conn) != DBMIG_DRV_OK) {
        dm_buf_printf(err, "the commit failed");
        rc = -1;
    }
    if (tx && rc)
        drv->rollback(d->h->drv_self, d->h->conn);
    dm_stmt_list_free(&l);
    c->t_stmts += now() - t0;
    return rc;
}

static int db_inspect(ctx *c, cdb *d, dm_schema *out, dm_buf *err)
{
    double t0 = now();
    dm_schema_free(out);
    int rc = dm_inspect(d->h, out);
    c->t_inspect += now() - t0;
    if (rc != DBMIG_OK) {
        dm_buf_printf(err, "inspect failed: %s", dbmig_errmsg(d->h));
        return -1;
    }
    return 0;
}

/* DROP ... of every object of `kind` in m: one statement with a list, or
 * one each (SQLite). */
static void drops(ctx *c, cdb *d, const dm_schema *m, int kind, const char *what, dm_buf *sql)
{
    int first = 1;
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].kind != kind)
            continue;
        if (c->gd == GD_SQ || first)
            dm_buf_printf(sql, "DROP %s IF EXISTS ", what);
        else
            dm_buf_puts(sql, ", ");
        dm_quote_ident(d->h, m->v[i].name, sql);
        if (c->gd == GD_SQ)
            dm_buf_puts(sql, ";\n");
        first = 0;
    }
    if (c->gd != GD_SQ && !first)
        dm_buf_puts(sql, c->gd == GD_PG ? " CASCADE;\n" : ";\n");
}

/* Empties d: every view, table, sequence and enum of its model (inspected
 * first when the model is not known, after a failure). */
static int db_empty(ctx *c, cdb *d, dm_buf *err)
{
    if (!d->known && db_inspect(c, d, &d->m, err) != 0)
        return -1;
    dm_buf sql = {0};
    drops(c, d, &d->m, DBMIG_SO_VIEW, "VIEW", &sql);
    if (c->gd == GD_MY)
        dm_buf_puts(&sql, "SET FOREIGN_KEY_CHECKS = 0;\n");
    drops(c, d, &d->m, DBMIG_SO_TABLE, "TABLE", &sql);
    if (c->gd == GD_MY)
        dm_buf_puts(&sql, "SET FOREIGN_KEY_CHECKS = 1;\n");
    drops(c, d, &d->m, DBMIG_SO_SEQUENCE, "SEQUENCE", &sql);
    drops(c, d, &d->m, DBMIG_SO_ENUM, "TYPE", &sql);
    int rc = sql.len ? db_run(c, d, dm_buf_str(&sql), 0, err) : 0;
    dm_buf_free(&sql);
    dm_schema_free(&d->m);
    d->m.dialect = c->dialect;
    d->known = rc == 0;
    return rc;
}

/* ---- reporting -------------------------------------------------------------- */

static void section(const char *title, const char *text)
{
    printf("  --- %s\n", title);
    const char *p = text && *text ? text : "(none)\n";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        printf("    %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
}

static void model_sql(ctx *c, const dm_schema *m, dm_buf *out)
{
    dm_buf_reset(out);
    if (dm_schema_render_sql(m, q_ident, c->d1.h, out) != 0)
        dm_buf_puts(out, "(out of memory)\n");
}

static void fail(ctx *c, walk *w, const char *what)
{
    c->failures++;
    int d2_known = c->d2.known;
    c->d1.known = c->d2.known = 0; /* their state is unknown now */
    if (c->reported++ >= c->max_report) {
        printf("FAIL closure %s seed=%" PRIu64 " walk=%ld step=%d: %s [%s] %.300s\n", c->driver,
               c->seed, w->no, w->step, what, w->desc, dm_buf_str(&w->err));
        return;
    }
    printf("FAIL closure %s seed=%" PRIu64 " walk=%ld step=%d: %s\n", c->driver, c->seed, w->no,
           w->step, what);
    printf("  mutation: %s\n", w->desc[0] ? w->desc : "(the walk's first schema)");
    printf("  reproduce: closure --url <the URL> --seed %" PRIu64 " --walk %ld --steps %d\n", c->seed,
           w->no, c->steps);
    dm_buf t = {0};
    gen_render(&w->a, &t);
    section("A: the generator's DDL", dm_buf_str(&t));
    if (w->step > 0) {
        gen_render(&w->b, &t);
        section("B: the generator's DDL", dm_buf_str(&t));
    }
    model_sql(c, &w->A, &t);
    section("A: the model (schema dump)", dm_buf_str(&t));
    if (w->step > 0 && d2_known) {
        model_sql(c, &c->d2.m, &t);
        section("B: the model (schema dump)", dm_buf_str(&t));
    }
    section("up: dm_schema_diff(A, B)", dm_buf_str(&w->up));
    section("down: dm_schema_diff(B, A)", dm_buf_str(&w->down));
    section("error", dm_buf_str(&w->err));
    if (w->diffs.len)
        section("differences (the database, the expected model)", dm_buf_str(&w->diffs));
    dm_buf_free(&t);
    fflush(stdout);
}

/* ---- one step ---------------------------------------------------------------- */

/* 0 when `got` equals `want`; else the differences in w->diffs. */
static int same(ctx *c, walk *w, const dm_schema *got, const dm_schema *want)
{
    dm_sdiffs d = {0};
    dm_err e = {0};
    int rc = dm_schema_compare(got, want, "the database", "the expected model", &d, &e);
    (void)c;
    if (rc != 0) {
        dm_buf_printf(&w->err, "compare: %s", dm_err_msg(&e));
        dm_err_free(&e);
        return -1;
    }
    for (size_t i = 0; i < d.n; i++)
        dm_buf_printf(&w->diffs, "%s: %s\n", d.v[i].object, d.v[i].what);
    rc = d.n ? -1 : 0;
    dm_sdiffs_free(&d);
    return rc;
}

static int diff(ctx *c, const dm_schema *from, const dm_schema *to, dm_buf *sql, size_t *n, dm_buf *err)
{
    dm_diff_opts o = {q_ident, c->d1.h, c->concurrently};
    dm_err e = {0};
    dm_buf_reset(sql);
    if (dm_schema_diff(from, to, &o, sql, n, NULL, &e) != 0) {
        dm_buf_printf(err, "dm_schema_diff refused: %s", dm_err_msg(&e));
        dm_err_free(&e);
        return -1;
    }
    return 0;
}

/* D1's rows for this step: emptied, then two rows per table when they
 * survive the pair (gen_data_safe). MariaDB: without key checks (a row
 * pointing at itself, a RESTRICT key). */
static int rows(ctx *c, walk *w)
{
    dm_buf sql = {0}, part = {0};
    if (c->gd == GD_MY)
        dm_buf_puts(&sql, "SET FOREIGN_KEY_CHECKS = 0;\n");
    gen_clear(&w->a, &part);
    dm_buf_puts(&sql, dm_buf_str(&part));
    int safe = gen_data_safe(&w->a, &w->b);
    w->rows = safe;
    if (safe) {
        gen_rows(&w->a, &part);
        dm_buf_puts(&sql, dm_buf_str(&part));
        c->with_rows++;
    }
    if (c->gd == GD_MY)
        dm_buf_puts(&sql, "SET FOREIGN_KEY_CHECKS = 1;\n");
    int rc = db_run(c, &c->d1, dm_buf_str(&sql), 0, &w->err);
    dm_buf_free(&sql);
    dm_buf_free(&part);
    return rc;
}

/* D2 = the mutated spec; its model is B (c->d2.m). */
static int make_b(ctx *c, walk *w, grng *r)
{
    w->b = w->a;
    uint64_t k = gen_mutate(&w->b, r, w->desc, sizeof w->desc);
    for (int i = 0; i < 64; i++)
        if (k >> i & 1)
            c->kinds[i]++;
    dm_buf ddl = {0};
    gen_render(&w->b, &ddl);
    int rc = db_empty(c, &c->d2, &w->err);
    if (rc == 0 && (rc = db_run(c, &c->d2, dm_buf_str(&ddl), 0, &w->err)) != 0)
        c->d2.known = 0;
    if (rc == 0 && (rc = db_inspect(c, &c->d2, &c->d2.m, &w->err)) == 0)
        c->d2.known = 1;
    dm_buf_free(&ddl);
    return rc;
}

static int count_row(void *p, int n, const char *const *v, const size_t *len)
{
    (void)len;
    *(long *)p = n > 0 && v[0] ? atol(v[0]) : -1;
    return 0;
}

/* With rows (w->rows): each table A and B both have still holds its two
 * rows (a rebuild copies them, ALTER keeps them; a table only A has is
 * created again by down, empty). */
static int rows_kept(ctx *c, walk *w)
{
    const gspec *x = &w->b;
    for (int i = 0; w->rows && i < w->a.nt; i++) {
        const char *t = w->a.t[i].name;
        int both = 0;
        for (int j = 0; j < x->nt; j++)
            both |= !strcmp(x->t[j].name, t);
        if (!both)
            continue;
        char sql[64];
        long n = -2;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", t);
        c->counted++;
        if (c->d1.h->drv->query(c->d1.h->drv_self, c->d1.h->conn, sql, count_row, &n) != DBMIG_DRV_OK) {
            dm_buf_printf(&w->err, "%s failed", sql);
            return -1;
        }
        if (n != 2) {
            dm_buf_printf(&w->err, "table %s holds %ld rows, not the 2 it had", t, n);
            return -1;
        }
    }
    return 0;
}

/* Runs sql on D1 and checks that D1's schema is now `want` and that the
 * rows are still there; *got: the model inspected. */
static int apply(ctx *c, walk *w, const char *sql, const dm_schema *want, dm_schema *got)
{
    if (db_run(c, &c->d1, sql, c->tx, &w->err) != 0 || db_inspect(c, &c->d1, got, &w->err) != 0)
        return -1;
    return same(c, w, got, want) == 0 ? rows_kept(c, w) : -1;
}

/* --generator-only: the generator checked without the diff. B's DDL is
 * applied to D1 as well (after A's rows), which must inspect to B. */
static int gen_only_step(ctx *c, walk *w)
{
    dm_buf ddl = {0};
    dm_schema got = {0};
    gen_render(&w->b, &ddl);
    c->d1.known = 0;
    int rc = db_empty(c, &c->d1, &w->err);
    if (rc == 0)
        rc = db_run(c, &c->d1, dm_buf_str(&ddl), 0, &w->err);
    if (rc == 0)
        rc = db_inspect(c, &c->d1, &got, &w->err);
    if (rc == 0 && (rc = same(c, w, &got, &c->d2.m)) == 0) {
        dm_schema_free(&w->A);
        w->A = got;
        memset(&got, 0, sizeof got);
    }
    dm_buf_free(&ddl);
    dm_schema_free(&got);
    c->d1.known = 0;
    if (rc)
        fail(c, w, "B's DDL on D1 was refused or inspected differently (--generator-only)");
    return rc;
}

/* After up, down, up: D1 holds B again. The driver's schema digest
 * against the one after the first up when it has one (SQLite), else D1
 * inspected and compared with B (PostgreSQL, MariaDB). */
static int again(ctx *c, walk *w, int have, const char *d_up, char *d_again, const dm_schema *B)
{
    if (have) {
        if (dm_schema_digest(c->d1.h, d_again, &have) != DBMIG_OK) {
            dm_buf_printf(&w->err, "digest: %s", dbmig_errmsg(c->d1.h));
            return -1;
        }
        if (have && strcmp(d_up, d_again) == 0)
            return 0;
    }
    dm_schema got = {0};
    int rc = db_inspect(c, &c->d1, &got, &w->err) == 0 ? same(c, w, &got, B) : -1;
    dm_schema_free(&got);
    return rc;
}

static int step(ctx *c, walk *w, grng *r)
{
    dm_buf_reset(&w->up), dm_buf_reset(&w->down), dm_buf_reset(&w->err), dm_buf_reset(&w->diffs);
    if (make_b(c, w, r) != 0)
        return fail(c, w, "the generator's DDL for B was refused (a bug in tests/diff/gen.c)"), -1;
    if (rows(c, w) != 0)
        return fail(c, w, "the rows for A were refused (a bug in tests/diff/gen.c)"), -1;
    if (c->verbose)
        printf("walk %ld step %d: %s\n", w->no, w->step, w->desc);
    if (c->gen_only)
        return gen_only_step(c, w);
    const dm_schema *B = &c->d2.m;
    size_t nup = 0, ndown = 0;
    if (diff(c, &w->A, B, &w->up, &nup, &w->err) != 0 || diff(c, B, &w->A, &w->down, &ndown, &w->err) != 0)
        return fail(c, w, "the diff was refused"), -1;
    if (c->verbose)
        printf("-- up\n%s-- down\n%s", dm_buf_str(&w->up), dm_buf_str(&w->down));
    if (same(c, w, &w->A, B) == 0) {
        c->identical++;
        if (nup || ndown)
            return fail(c, w, "A and B are the same, yet the diff has statements"), -1;
        return 0;
    }
    dm_buf_reset(&w->diffs);
    if (!nup || !ndown)
        return fail(c, w, "A and B differ, yet the diff has no statements"), -1;
    dm_schema got = {0}, back = {0};
    char d_up[DM_SHA256_V1_LEN + 1], d_again[DM_SHA256_V1_LEN + 1];
    int have = 0, rc = -1;
    if (apply(c, w, dm_buf_str(&w->up), B, &got) != 0)
        fail(c, w, "up did not give B (or lost rows)");
    else if (dm_schema_digest(c->d1.h, d_up, &have) != DBMIG_OK)
        dm_buf_printf(&w->err, "digest: %s", dbmig_errmsg(c->d1.h)), fail(c, w, "digest");
    else if (apply(c, w, dm_buf_str(&w->down), &w->A, &back) != 0)
        fail(c, w, "down did not give A (or lost rows)");
    else if (db_run(c, &c->d1, dm_buf_str(&w->up), c->tx, &w->err) != 0)
        fail(c, w, "up, run again after down, was refused");
    else if (again(c, w, have, d_up, d_again, B) != 0)
        fail(c, w, "up, run again after down, did not give the schema the first up gave");
    else
        rc = 0;
    if (rc == 0) { /* B is the next A */
        dm_schema_free(&w->A);
        w->A = got;
        memset(&got, 0, sizeof got);
    }
    dm_schema_free(&got);
    dm_schema_free(&back);
    return rc;
}

/* A walk: a fresh random schema in D1, then steps until it fails, it has
 * c->steps pairs or the run has its pairs. */
static void run_walk(ctx *c, long no)
{
    walk w;
    memset(&w, 0, sizeof w);
    w.no = no;
    grng r = {c->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(no + 1))};
    grng_next(&r);
    w.a.nojoin = c->nojoin;
    gen_init(&w.a, c->gd, c->enums, &r);
    dm_buf ddl = {0};
    gen_render(&w.a, &ddl);
    w.A.dialect = c->dialect;
    c->walks++;
    /* PostgreSQL: every other walk as `diff --concurrently` writes it
     * (the revision is `transaction off`: no transaction around it) */
    c->concurrently = c->gd == GD_PG && (no & 1);
    c->tx = c->gd != GD_MY && !c->concurrently;
    c->conc_walks += c->concurrently;
    if (db_empty(c, &c->d1, &w.err) != 0 || db_run(c, &c->d1, dm_buf_str(&ddl), 0, &w.err) != 0 ||
        db_inspect(c, &c->d1, &w.A, &w.err) != 0) {
        fail(&*c, &w, "the generator's DDL for A was refused (a bug in tests/diff/gen.c)");
        c->pairs++; /* counted, so that a broken generator cannot loop for ever */
    } else {
        c->d1.known = 0; /* D1's model is w.A from now on, not d1.m */
        for (w.step = 1; w.step <= c->steps && c->pairs < c->target; w.step++) {
            c->pairs++;
            if (step(c, &w, &r) != 0)
                break;
            w.a = w.b;
        }
    }
    dm_buf_free(&ddl);
    dm_schema_free(&w.A);
    dm_buf_free(&w.up), dm_buf_free(&w.down), dm_buf_free(&w.err), dm_buf_free(&w.diffs);
}

/* ---- main ------------------------------------------------------------------------ */

static int probe_enums(ctx *c)
{
    if (c->gd != GD_PG)
        return 0;
    dm_buf err = {0};
    int on = 0;
    if (db_empty(c, &c->d2, &err) == 0 &&
        db_run(c, &c->d2, "CREATE TYPE dbmig_closure_probe AS ENUM ('a');\n", 0, &err) == 0 &&
        db_inspect(c, &c->d2, &c->d2.m, &err) == 0) {
        for (size_t i = 0; i < c->d2.m.n; i++)
            on |= c->d2.m.v[i].kind == DBMIG_SO_ENUM;
        c->d2.known = 1;
    }
    db_run(c, &c->d2, "DROP TYPE IF EXISTS dbmig_closure_probe;\n", 0, &err);
    c->d2.known = 0;
    dm_buf_free(&err);
    return on;
}

static int usage(void)
{
    fputs("usage: closure --url URL [--seed N] [--pairs N] [--walk W] [--steps N]\n"
          "               [--enums auto|on|off] [--max-report N] [--verbose]\n"
          "               [--generator-only]  (the generator alone: no diff)\n"
          "               [--profile]  (seconds per kind of statement)\n"
          "               [--no-join-views]  (views read one table only)\n"
          "  (the driver plugins: DBMIG_PLUGIN_DIR or --plugin-dir DIR)\n",
          stderr);
    return 2;
}

static int args(ctx *c, int argc, char **argv, const char **plugins, const char **enums)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-join-views")) {
            c->nojoin = 1;
            continue;
        }
        if (!strcmp(a, "--verbose") || !strcmp(a, "--generator-only") || !strcmp(a, "--profile")) {
            *(a[2] == 'v' ? &c->verbose : a[2] == 'g' ? &c->gen_only : &c->profile) = 1;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--url"))
            c->url = v;
        else if (!strcmp(a, "--seed"))
            c->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--pairs"))
            c->target = atol(v);
        else if (!strcmp(a, "--walk"))
            c->only_walk = atol(v);
        else if (!strcmp(a, "--steps"))
            c->steps = atoi(v);
        else if (!strcmp(a, "--max-report"))
            c->max_report = atoi(v);
        else if (!strcmp(a, "--plugin-dir"))
            *plugins = v;
        else if (!strcmp(a, "--enums"))
            *enums = v;
        else
            return usage();
    }
    if (!c->url || c->target <= 0 || c->steps <= 0 ||
        (strcmp(*enums, "auto") && strcmp(*enums, "on") && strcmp(*enums, "off")))
        return usage();
    return 0;
}

static void summary(ctx *c, double secs)
{
    printf("closure %s: %ld pairs (%ld identical, %ld with rows, %ld row counts checked) in %ld "
           "walks, %ld failures, %.1f s (%.0f ms a pair, %ld statements), seed %" PRIu64 "\n",
           c->driver, c->pairs, c->identical, c->with_rows, c->counted, c->walks, c->failures, secs,
           c->pairs ? secs * 1000 / (double)c->pairs : 0.0, c->stmts, c->seed);
    printf("closure %s: %.1f s in statements, %.1f s in inspections; %ld walks with "
           "--concurrently\n", c->driver, c->t_stmts, c->t_inspect, c->conc_walks);
    for (int i = 0; c->profile && i < 64 && c->prof[i].key[0]; i++)
        printf("closure %s: profile %-30s %6ld statements %7.2f s\n", c->driver, c->prof[i].key,
               c->prof[i].n, c->prof[i].t);
    if (c->nojoin)
        printf("closure %s: --no-join-views: no view read two tables in this run\n", c->driver);
    printf("closure %s: mutations:", c->driver);
    for (int k = 0; k < gen_nkinds(); k++)
        printf(" %s %ld%s", gen_kind_name(k), c->kinds[k], k + 1 < gen_nkinds() ? "," : "\n");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ctx c;
    memset(&c, 0, sizeof c);
    c.target = 500, c.steps = 25, c.max_report = 3, c.only_walk = -1;
    c.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
    const char *plugins = getenv("DBMIG_PLUGIN_DIR"), *enums = "auto";
    int rc = args(&c, argc, argv, &plugins, &enums);
    if (rc)
        return rc;
    printf("closure: seed %" PRIu64 " (--seed %" PRIu64 " repeats this run)\n", c.seed, c.seed);
    if (db_open(&c, &c.d1, plugins) != 0 || db_open(&c, &c.d2, plugins) != 0) {
        db_close(&c.d1), db_close(&c.d2);
        return 1;
    }
    c.driver = c.d1.h->drv->name;
    c.dialect = (int)c.d1.h->drv->dialect;
    c.gd = c.dialect == DBMIG_DIALECT_POSTGRES ? GD_PG : c.dialect == DBMIG_DIALECT_MYSQL ? GD_MY : GD_SQ;
    c.tx = c.gd != GD_MY; /* MySQL/MariaDB commit every DDL statement */
    c.d1.m.dialect = c.d2.m.dialect = c.dialect;
    c.enums = !strcmp(enums, "on") || (!strcmp(enums, "auto") && probe_enums(&c));
    if (c.gd == GD_PG)
        printf("closure %s: enum types %s\n", c.driver,
               c.enums ? "in the walk" : "NOT in the walk (the model has no enum kind yet, or --enums off)");
    double t0 = now();
    if (c.only_walk >= 0)
        run_walk(&c, c.only_walk);
    for (long no = 0; c.only_walk < 0 && c.pairs < c.target; no++)
        run_walk(&c, no);
    summary(&c, now() - t0);
    db_close(&c.d1);
    db_close(&c.d2);
    return c.failures ? 1 : 0;
}
