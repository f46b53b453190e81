/* mtest.c — `dbmig test` (SPEC section 12, public dbmig_test): the
 * migration test suite a team would otherwise write by hand, run on a
 * scratch database.
 *
 * Why it is built this way:
 *   - Every up and down runs through dbmig_upgrade / dbmig_downgrade on the
 *     scratch handle (core/inspect.h), the code path of a user's run, not a
 *     copy of it. Revisions go in graph order, so `upgrade <id>` applies
 *     exactly that revision (its ancestors are already applied) and
 *     `downgrade -1` reverts exactly it (it is the last applied, with no
 *     applied descendant).
 *   - The stairway compares what is observed, not what was expected: the
 *     schema just before a revision's up against the schema after its down
 *     (dm_schema_compare), so one bad down is reported once, by the revision
 *     that has it, and never again by the revisions after it.
 *   - Fixture rows are compared at equivalent states, so that a later ALTER
 *     that legitimately changes them (a new column with a default) does not
 *     look like a loss: before a revision's up against after its down, and
 *     after its first up against after its second.
 *   - Every failure is collected; the run stops early only when the scratch
 *     database no longer follows the migrations (an up that fails again
 *     after its down, a revision left dirty), and says so.
 *   - The database side (verify/fixture sections, digests, emptying) is
 *     mtest_db.c's.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "mtest.h"
#include "sha256.h"

typedef struct mt {
    dbmig *h, *s;            /* the user's handle; the one tested on */
    dm_scratch *sc;          /* NULL with --yes-destroy (s == h) */
    dbmig_test_report *r;
    size_t cap;
    unsigned char *bad;      /* per revision: not applied (its up failed or was skipped) */
    dm_strv tables;          /* every table a fixture inserted into so far */
    dm_tdigest *d0, *d1;     /* per table: before the up, after the first up */
    int stop;                /* the scratch database no longer follows the migrations */
    dm_buf msg;              /* mt_err's text */
    dbmig_event_fn fn;       /* the user's events (the scratch handle's are silenced) */
    void *payload;
    int quick;               /* schema digests stand in for inspections (mt_before) */
    int replays;             /* mt_replay runs so far (each replays every earlier revision) */
    size_t pos;              /* the revision's place in the graph order */
} mt;

/* ---- the report ------------------------------------------------------------------ */

static int mt_nomem(mt *m) { return dm_err_nomem(&m->h->err); }

static char *mt_vfmt(const char *fmt, va_list ap)
{
    dm_buf b = {0};
    if (dm_buf_vprintf(&b, fmt, ap) != 0) {
        dm_buf_free(&b);
        return NULL;
    }
    if (b.len)
        return dm_buf_take(&b);
    dm_buf_free(&b);
    return dm_strdup("");
}

/* The case (rev, check): a new one, or, when it ran already for this
 * revision, the same one, whose messages add up and which fails if any
 * part failed. */
static int mt_case(mt *m, const char *rev, const char *file, const char *check, int status,
                   double ms, const char *fmt, ...) DM_PRINTF(7, 8);
static int mt_case(mt *m, const char *rev, const char *file, const char *check, int status,
                   double ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = mt_vfmt(fmt, ap);
    va_end(ap);
    if (!msg)
        return mt_nomem(m);
    dbmig_test_report *r = m->r;
    for (size_t i = r->n; i-- > 0 && strcmp(r->cases[i].revision, rev) == 0;) {
        dbmig_test_case *c = &r->cases[i];
        if (strcmp(c->check, check) != 0)
            continue;
        dm_buf b = {0};
        if (dm_buf_printf(&b, "%s%s%s", c->message, *c->message && *msg ? "\n" : "", msg)) {
            free(msg);
            dm_buf_free(&b);
            return mt_nomem(m);
        }
        free(msg);
        free((char *)c->message);
        c->message = dm_buf_take(&b);
        c->duration_ms += ms;
        if (status == 0 || (status < 0 && c->status > 0))
            c->status = status;
        return DBMIG_OK;
    }
    if (r->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        void *v = realloc(r->cases, cap * sizeof *r->cases);
        if (!v) {
            free(msg);
            return mt_nomem(m);
        }
        r->cases = v;
        m->cap = cap;
    }
    dbmig_test_case *c = &r->cases[r->n];
    c->revision = dm_strdup(rev);
    c->check = dm_strdup(check);
    c->file = dm_strdup(file ? file : "");
    c->message = msg;
    c->status = status;
    c->duration_ms = ms;
    r->n++;
    return c->revision && c->check && c->file ? DBMIG_OK : mt_nomem(m);
}

/* A line of progress through the user's callback (NOTICE; a failure WARN). */
static void mt_say(mt *m, const char *rev, int level, const char *text)
{
    if (!m->fn)
        return;
    dbmig_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = DBMIG_EV_NOTICE;
    ev.revision = rev;
    ev.message = text;
    ev.level = level;
    m->fn(m->payload, &ev);
}

void dbmig_test_report_free(dbmig_test_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->cases[i].revision);
        free((char *)r->cases[i].check);
        free((char *)r->cases[i].message);
        free((char *)r->cases[i].file);
    }
    free(r->cases);
    free((char *)r->where);
    free(r);
}

/* The scratch handle's error, as a case's message wants it: the failure
 * and its indented detail lines, without the advice that follows (what a
 * rerun of upgrade would do is not the test's business). */
static const char *mt_err(mt *m)
{
    dm_buf_reset(&m->msg);
    const char *e = dbmig_errmsg(m->s);
    const char *p = e;
    while ((p = strchr(p, '\n')) != NULL && (p[1] == ' ' || p[1] == '\t'))
        p++;
    if (dm_buf_append(&m->msg, e, p ? (size_t)(p - e) : strlen(e)) != 0)
        return e;
    return dm_buf_str(&m->msg);
}

/* ---- graph-wide ------------------------------------------------------------------- */

static int mt_heads(mt *m, int allow)
{
    const dm_graph *g = &m->h->graph;
    if (g->nheads <= 1 || allow)
        return mt_case(m, "graph", "", "heads", 1, 0, "%s", "");
    dm_buf b = {0};
    for (size_t k = 0; k < g->nheads; k++)
        if (dm_buf_printf(&b, "%s%s", k ? ", " : "", g->revs[g->heads[k]].id) != 0)
            return dm_buf_free(&b), mt_nomem(m);
    int rc = mt_case(m, "graph", "", "heads", 0, 0,
                     "the graph has %zu heads (%s): join them with `dbmig merge`, or allow "
                     "several heads with `dbmig test --heads`",
                     g->nheads, dm_buf_str(&b));
    dm_buf_free(&b);
    return rc;
}

/* ---- one revision ------------------------------------------------------------------ */

/* After a failed up or down: the revision must have left no dirty row (a
 * non-transactional driver keeps one); a row that recorded nothing
 * committed is settled as it was before (applied: after a failed down),
 * anything else means the scratch state is lost. */
static int mt_settle(mt *m, size_t rv, int applied)
{
    dm_vstate st = {0};
    int rc = dm_vstate_read(m->s, &st, 0);
    for (size_t i = 0; rc == DBMIG_OK && i < st.n; i++) {
        if (!st.rows[i].dirty)
            continue;
        /* progress made or another revision: lost; else settle it as it was */
        if (st.rows[i].progress > 0 || st.rows[i].rev != rv ||
            dbmig_repair(m->s, applied ? DBMIG_REPAIR_APPLIED : DBMIG_REPAIR_REVERTED,
                         st.rows[i].revision) != DBMIG_OK)
            m->stop = 1;
    }
    dm_vstate_free(&st);
    if (rc != DBMIG_OK)
        m->stop = 1;
    return DBMIG_OK;
}

/* Its up, the first time: on failure, the revision and every descendant
 * are left out of the rest of the run. */
static int mt_up(mt *m, size_t rv)
{
    const dm_rev *rev = &m->s->graph.revs[rv];
    double t0 = dm_now_ms();
    if (dbmig_upgrade(m->s, rev->id, 0) == DBMIG_OK)
        return mt_case(m, rev->id, rev->file.path, "up", 1, dm_now_ms() - t0, "%s", "");
    m->bad[rv] = 1;
    int rc = mt_case(m, rev->id, rev->file.path, "up", 0, dm_now_ms() - t0,
                     "upgrade of %s fails on a fresh database: %s", rev->id, mt_err(m));
    return rc == DBMIG_OK ? mt_settle(m, rv, 0) : rc;
}

/* Verify or fixture section, when the file has one. */
static int mt_section(mt *m, size_t rv, int kind)
{
    const dm_rev *rev = &m->s->graph.revs[rv];
    const char *check = kind == DM_VERIFY ? "verify" : "fixture";
    double t0 = dm_now_ms();
    int found = 0;
    dm_err_clear(&m->s->err);
    int rc = dm_mt_section(m->s, &rev->file, kind, &found,
                           kind == DM_FIXTURE ? &m->tables : NULL);
    if (rc == DBMIG_OK && !found)
        return DBMIG_OK;
    if (rc == DBMIG_OK)
        return mt_case(m, rev->id, rev->file.path, check, 1, dm_now_ms() - t0, "%s", "");
    if (rc != DBMIG_ERROR && rc != DBMIG_EINVALID) /* a malformed section fails the check */
        return rc;
    return mt_case(m, rev->id, rev->file.path, check, 0, dm_now_ms() - t0, "%s of %s fails: %s",
                   check, rev->id, mt_err(m));
}

/* Digests of every fixture table into d (m->tables.n entries), over the
 * columns each has in ref (NULL: all). */
static int mt_digests(mt *m, const dm_schema *ref, dm_tdigest *d)
{
    for (size_t i = 0; i < m->tables.n; i++) {
        int rc = dm_mt_digest(m->s, m->tables.v[i], ref, &d[i]);
        if (rc != DBMIG_OK)
            return rc;
    }
    return DBMIG_OK;
}

/* 1 when rev's check has failed already. */
static int mt_failed(const mt *m, const char *rev, const char *check)
{
    const dbmig_test_report *r = m->r;
    for (size_t i = r->n; i-- > 0 && strcmp(r->cases[i].revision, rev) == 0;)
        if (strcmp(r->cases[i].check, check) == 0 && r->cases[i].status == 0)
            return 1;
    return 0;
}

/* Fixture tables at two equivalent states (a: earlier, b: later) of rev's
 * round trip; `when` names the states for the message. */
static int mt_same_rows(mt *m, size_t rv, const dm_tdigest *a, const dm_tdigest *b,
                        const char *when)
{
    const dm_rev *rev = &m->s->graph.revs[rv];
    int rc = DBMIG_OK, bad = 0;
    if (!a || !b) /* never: both arrays have a slot per fixture table */
        return DBMIG_OK;
    for (size_t i = 0; rc == DBMIG_OK && i < m->tables.n; i++) {
        const char *t = m->tables.v[i];
        if (a[i].rows < 0 || (a[i].rows == b[i].rows && strcmp(a[i].hex, b[i].hex) == 0))
            continue;
        bad = 1;
        if (b[i].rows < 0 && mt_failed(m, rev->id, "down"))
            rc = mt_case(m, rev->id, rev->file.path, "data", -1, 0,
                         "table %s not compared: its downgrade did not restore the schema", t);
        else if (b[i].rows < 0)
            rc = mt_case(m, rev->id, rev->file.path, "data", 0, 0,
                         "fixture rows of table %s lost by %s: the table cannot be read %s (%s)",
                         t, rev->id, when, b[i].why);
        else if (b[i].rows < a[i].rows)
            rc = mt_case(m, rev->id, rev->file.path, "data", 0, 0,
                         "fixture rows of table %s lost by %s: %lld row(s), %lld %s", t, rev->id,
                         a[i].rows, b[i].rows, when);
        else
            rc = mt_case(m, rev->id, rev->file.path, "data", 0, 0,
                         "fixture rows of table %s changed by %s: %lld row(s), %lld %s, and "
                         "their values differ",
                         t, rev->id, a[i].rows, b[i].rows, when);
    }
    return rc == DBMIG_OK && !bad ? mt_case(m, rev->id, rev->file.path, "data", 1, 0, "%s", "")
                                  : rc;
}

/* 1 when d is about a part of a table ("table t: column c") that the
 * differences report whole ("table t"): the whole is enough. */
static int mt_part_of_whole(const dm_sdiffs *all, const dm_sdiff *d)
{
    const char *colon = strstr(d->object, ": ");
    if (strncmp(d->object, "table ", 6) != 0 || !colon)
        return 0;
    size_t n = (size_t)(colon - d->object);
    for (size_t i = 0; i < all->n; i++)
        if (strlen(all->v[i].object) == n && strncmp(all->v[i].object, d->object, n) == 0)
            return 1;
    return 0;
}

/* A part of a table as a sentence wants it: "table t: column c" reads
 * "column c of table t"; anything else stays as it is. Into b. */
static const char *mt_object(dm_buf *b, const char *object)
{
    const char *colon = strstr(object, ": ");
    dm_buf_reset(b);
    if (strncmp(object, "table ", 6) != 0 || !colon ||
        dm_buf_printf(b, "%s of %.*s", colon + 2, (int)(colon - object), object) != 0)
        return object;
    return dm_buf_str(b);
}

/* The schema after the down (c) against the one before the up (a). */
static int mt_compare(mt *m, size_t rv, const dm_schema *a, const dm_schema *c, double ms)
{
    const dm_rev *rev = &m->s->graph.revs[rv];
    dm_sdiffs d = {0};
    dm_buf ob = {0};
    int rc = dm_schema_compare(c, a, "after its downgrade", "before its upgrade", &d,
                               &m->h->err);
    if (rc != DBMIG_OK)
        return rc;
    if (d.n == 0)
        rc = mt_case(m, rev->id, rev->file.path, "down", 1, ms, "%s", "");
    for (size_t i = 0; rc == DBMIG_OK && i < d.n; i++) {
        const dm_sdiff *x = &d.v[i];
        if (mt_part_of_whole(&d, x))
            continue;
        if (strcmp(x->field, "extra") == 0) /* only in c, the left */
            rc = mt_case(m, rev->id, rev->file.path, "down", 0, ms,
                         "downgrade of %s leaves %s behind", rev->id, mt_object(&ob, x->object));
        else if (strcmp(x->field, "missing") == 0)
            rc = mt_case(m, rev->id, rev->file.path, "down", 0, ms,
                         "downgrade of %s removes %s, which was there before its upgrade",
                         rev->id, mt_object(&ob, x->object));
        else
            rc = mt_case(m, rev->id, rev->file.path, "down", 0, ms,
                         "downgrade of %s does not restore the schema: %s: %s", rev->id,
                         x->object, x->what);
        ms = 0;
    }
    dm_buf_free(&ob);
    dm_sdiffs_free(&d);
    return rc;
}


/* ---- quick mode: digests instead of inspections -------------------------------- */

/* The schema before a revision's up: its digest in quick mode, else the
 * model. (In quick mode the fixture tables' digests read every column,
 * `*`: the same columns as after an equal-digest down; after a different
 * one, mt_after rebuilds the model and the digests read its columns.) */
static int mt_before(mt *m, dm_schema *a, char *da)
{
    if (m->quick) {
        int have = 0;
        int rc = dm_schema_digest(m->s, da, &have);
        if (rc != DBMIG_OK || have)
            return rc;
    }
    da[0] = '\0';
    return dm_inspect(m->s, a);
}

/* The schema before the revision at m->pos, rebuilt on a second scratch
 * database from the revisions applied before it: in quick mode nobody
 * inspected it, and the stairway's own database is past that point. Only
 * when the digests differ (a broken down, or a schema text the database
 * rewrote: SQLite's ALTER TABLE). */
static int mt_replay(mt *m, dm_schema *a)
{
    dm_scratch *sc = NULL;
    int rc = dm_scratch_open(m->s, NULL, &sc);
    dbmig *s = rc == DBMIG_OK ? dm_scratch_handle(sc) : NULL;
    if (s)
        s->o.on_event = NULL;
    const dm_graph *g = &m->s->graph;
    for (size_t k = 0; rc == DBMIG_OK && k < m->pos && !m->h->interrupted; k++) {
        const dm_rev *r = &g->revs[g->order[k]];
        if (!m->bad[g->order[k]] && dbmig_upgrade(s, r->id, 0) != DBMIG_OK)
            rc = DBMIG_ERROR;
    }
    if (rc == DBMIG_OK)
        rc = dm_inspect(s, a);
    if (rc != DBMIG_OK && s)
        dm_err_set(&m->h->err, rc, "dbmig test: rebuilding the schema before revision %s on "
                   "a second scratch database failed: %s",
                   g->revs[g->order[m->pos]].id, dbmig_errmsg(s));
    int rc2 = dm_scratch_close(m->s, sc);
    if (rc2 != DBMIG_OK && rc == DBMIG_OK)
        dm_err_set(&m->h->err, rc2, "%s", dbmig_errmsg(m->s));
    return rc != DBMIG_OK ? rc : rc2;
}

/* After the down: the schema against the one before the up. Equal digests
 * settle it at once; otherwise both models are compared (a: the one
 * before, or rebuilt by mt_replay), and a real difference ends quick mode
 * (the stairway's database no longer matches a plain replay). */
static int mt_after(mt *m, size_t rv, const dm_schema *a, const char *da, double t0,
                    dm_schema *before)
{
    dm_schema c = {0};
    char dc[DM_SHA256_V1_LEN + 1] = "";
    int have = 0, rc = DBMIG_OK;
    if (da[0] && (rc = dm_schema_digest(m->s, dc, &have)) == DBMIG_OK && have &&
        strcmp(da, dc) == 0)
        return mt_compare(m, rv, &c, &c, dm_now_ms() - t0); /* the same schema */
    if (rc == DBMIG_OK)
        rc = dm_inspect(m->s, &c);
    if (rc == DBMIG_OK && da[0])
        rc = mt_replay(m, before);
    if (rc == DBMIG_OK) {
        size_t n = m->r->n;
        rc = mt_compare(m, rv, da[0] ? before : a, &c, dm_now_ms() - t0);
        /* a real difference: the stairway's state is no plain replay any
         * more; and a replay costs every earlier revision again, so after
         * a few (SQLite rewrites its schema text on ALTER TABLE) plain
         * inspections are the cheaper way on */
        if ((m->r->n != n && m->r->cases[m->r->n - 1].status == 0) || ++m->replays >= 3)
            m->quick = 0;
    }
    dm_schema_free(&c);
    return rc;
}

/* down, compare, up again; the fixture rows at equivalent states. da: the
 * schema's digest before the up (quick mode), else "". */
static int mt_round_trip(mt *m, size_t rv, const dm_schema *a, const char *da)
{
    const dm_rev *rev = &m->s->graph.revs[rv];
    double t0 = dm_now_ms();
    int rc = mt_digests(m, NULL, m->d1);
    if (rc != DBMIG_OK)
        return rc;
    if (dbmig_downgrade(m->s, "-1", 0) != DBMIG_OK) {
        rc = mt_case(m, rev->id, rev->file.path, "down", 0, dm_now_ms() - t0,
                     "downgrade of %s fails: %s", rev->id, mt_err(m));
        return rc == DBMIG_OK ? mt_settle(m, rv, 1) : rc;
    }
    dm_tdigest *d2 = calloc(m->tables.n + 1, sizeof *d2);
    dm_schema before = {0}; /* quick mode, different digests: rebuilt by mt_replay */
    rc = d2 ? mt_after(m, rv, a, da, t0, &before) : mt_nomem(m);
    if (rc == DBMIG_OK)
        rc = mt_digests(m, da[0] ? &before : a, d2);
    if (rc == DBMIG_OK && m->tables.n)
        rc = mt_same_rows(m, rv, m->d0, d2, "after its downgrade");
    if (rc == DBMIG_OK && dbmig_upgrade(m->s, rev->id, 0) != DBMIG_OK) {
        m->stop = 1;
        rc = mt_case(m, rev->id, rev->file.path, "down", 0, 0,
                     "upgrade of %s fails again after its downgrade: %s", rev->id, mt_err(m));
    } else if (rc == DBMIG_OK && m->tables.n && (rc = mt_digests(m, NULL, d2)) == DBMIG_OK) {
        rc = mt_same_rows(m, rv, m->d1, d2, "after its second upgrade");
    }
    free(d2);
    dm_schema_free(&before);
    return rc;
}

static int mt_grow_digests(mt *m)
{
    size_t n = m->tables.n + 1;
    dm_tdigest *a = realloc(m->d0, n * sizeof *a);
    if (a)
        m->d0 = a;
    dm_tdigest *b = a ? realloc(m->d1, n * sizeof *b) : NULL;
    if (b)
        m->d1 = b;
    return a && b ? DBMIG_OK : mt_nomem(m);
}

/* One step of the stairway. */
static int mt_revision(mt *m, size_t rv)
{
    const dm_graph *g = &m->s->graph;
    const dm_rev *rev = &g->revs[rv];
    for (size_t k = 0; k < rev->nparents + rev->ndepends; k++) {
        size_t p = k < rev->nparents ? rev->parents[k] : rev->depends[k - rev->nparents];
        if (m->bad[p]) {
            m->bad[rv] = 1;
            return mt_case(m, rev->id, rev->file.path, "up", -1, 0,
                           "skipped: it needs %s, whose upgrade failed", g->revs[p].id);
        }
    }
    int has_down = dm_migfile_section(&rev->file, DM_DOWN, m->s->drv->name) != NULL;
    int trip = has_down && !rev->file.irreversible;
    dm_schema a = {0};
    char da[DM_SHA256_V1_LEN + 1] = "";
    int rc = trip ? mt_before(m, &a, da) : DBMIG_OK;
    if (rc == DBMIG_OK && trip)
        rc = mt_digests(m, &a, m->d0);
    if (rc == DBMIG_OK)
        rc = mt_up(m, rv);
    if (rc == DBMIG_OK && !m->bad[rv])
        rc = mt_section(m, rv, DM_VERIFY);
    if (rc != DBMIG_OK || m->bad[rv]) {
        dm_schema_free(&a);
        return rc;
    }
    if (rev->file.irreversible)
        rc = mt_case(m, rev->id, rev->file.path, "down", -1, 0,
                     "irreversible: its up ran and the stairway went on without a round trip");
    else if (!has_down)
        rc = mt_case(m, rev->id, rev->file.path, "down", 0, 0,
                     "%s has no down section for %s: write one (-- dbmig:down), or mark the file "
                     "-- dbmig:irreversible",
                     rev->file.path, m->s->drv->name);
    else
        rc = mt_round_trip(m, rv, &a, da);
    dm_schema_free(&a);
    if (rc == DBMIG_OK && !m->stop)
        rc = mt_section(m, rv, DM_FIXTURE);
    return rc == DBMIG_OK ? mt_grow_digests(m) : rc;
}

/* ---- the run ------------------------------------------------------------------------- */

/* The database to test on: a scratch one, or (destroy) h's own, emptied. */
static int mt_open(mt *m, const dbmig_test_opts *o)
{
    dbmig *h = m->h;
    int rc;
    if (o->destroy) {
        rc = dm_need_conn_create(h);
        if (rc == DBMIG_OK)
            rc = dm_mt_empty(h);
        m->s = h;
    } else {
        rc = dm_scratch_open(h, o->scratch_url, &m->sc);
        m->s = rc == DBMIG_OK ? dm_scratch_handle(m->sc) : NULL;
    }
    if (rc != DBMIG_OK || !m->r)
        return rc != DBMIG_OK ? rc : mt_nomem(m);
    m->r->where = dm_strdup(m->sc ? dm_scratch_where(m->sc) : h->url_redacted);
    rc = m->r->where ? dm_need_graph(m->s) : mt_nomem(m);
    if (rc == DBMIG_OK)
        rc = dm_need_driver(m->s);
    if (rc != DBMIG_OK && m->s != h)
        dm_err_set(&h->err, rc, "%s", dbmig_errmsg(m->s));
    m->bad = calloc(m->s->graph.n + 1, 1);
    return rc == DBMIG_OK && !m->bad ? mt_nomem(m) : rc;
}

/* Every revision in graph order, until a stop. */
static int mt_stairway(mt *m)
{
    const dm_graph *g = &m->s->graph;
    m->fn = m->h->o.on_event;
    m->payload = m->h->o.event_payload;
    m->s->o.on_event = NULL; /* the steps' own progress would drown the results */
    int rc = mt_grow_digests(m);
    m->quick = DM_DRV_SQL(m->s->drv, schema_digest) != NULL;
    for (size_t k = 0; rc == DBMIG_OK && k < g->n && !m->stop && !m->h->interrupted; k++) {
        size_t before = m->r->n;
        m->pos = k;
        rc = mt_revision(m, g->order[k]);
        if (m->h->interrupted)
            break; /* what failed then is the stop's doing, not the revision's */
        int failed = 0;
        for (size_t i = before; i < m->r->n; i++)
            failed |= m->r->cases[i].status == 0;
        char t[160];
        snprintf(t, sizeof t, "[%zu/%zu] %s: %s", k + 1, g->n, g->revs[g->order[k]].id,
                 failed ? "FAILED" : "ok");
        mt_say(m, g->revs[g->order[k]].id, failed ? DBMIG_LOG_WARN : DBMIG_LOG_INFO, t);
    }
    if (m->h->interrupted) /* by dbmig_interrupt (SIGINT): no report, the scratch goes */
        rc = dm_err_set(&m->h->err, DBMIG_EINTERRUPTED,
                        "dbmig test was interrupted; the scratch database is removed");
    else if (rc == DBMIG_OK && m->stop)
        rc = mt_case(m, "graph", "", "stairway", 0, 0,
                     "the stairway stopped: the scratch database no longer follows the "
                     "migrations (see the failure above), so the revisions after it were not "
                     "tested");
    if (m->s == m->h)
        m->h->o.on_event = m->fn;
    return rc;
}

static int mt_check_opts(dbmig *h, const dbmig_test_opts *o, dbmig_test_report **out)
{
    if (!out)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig_test needs somewhere to put the report");
    *out = NULL;
    if (o && (o->version == 0 || o->version > DBMIG_TEST_OPTS_VERSION))
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "dbmig_test_opts version %u is not one this library knows (1..%d): "
                          "start from DBMIG_TEST_OPTS_INIT",
                          o->version, DBMIG_TEST_OPTS_VERSION);
    if (h->o.dry_run) /* it runs migrations; with destroy it empties the --url database */
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "dbmig test has no dry run: it applies and reverts every migration "
                          "(on a scratch database, or on the --url database itself with "
                          "--yes-destroy); run it without --dry-run");
    if (o && o->destroy && o->scratch_url)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "--yes-destroy tests on the --url database itself, --scratch-url on "
                          "another one: give one of them");
    if (o && o->destroy && !h->url)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "--yes-destroy needs the database to empty and test on: give --url");
    return DBMIG_OK;
}

static void mt_count(dbmig_test_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        r->failed += r->cases[i].status == 0;
        r->skipped += r->cases[i].status < 0;
    }
}

int dbmig_test(dbmig *h, const dbmig_test_opts *o, dbmig_test_report **out)
{
    static const dbmig_test_opts defaults = DBMIG_TEST_OPTS_INIT;
    dm_err_clear(&h->err);
    int rc = mt_check_opts(h, o, out);
    if (rc != DBMIG_OK)
        return rc;
    if (!o)
        o = &defaults;
    double t0 = dm_now_ms();
    mt m = {.h = h};
    m.r = calloc(1, sizeof *m.r);
    rc = m.r ? dm_need_graph(h) : mt_nomem(&m);
    if (rc == DBMIG_OK) /* before a scratch database is made (SPEC 16) */
        rc = dm_need_placeholders(h);
    if (rc == DBMIG_OK)
        rc = mt_heads(&m, o->allow_heads);
    if (rc == DBMIG_OK)
        rc = mt_open(&m, o);
    if (rc == DBMIG_OK)
        rc = mt_stairway(&m);
    if (m.s && m.s != h && rc != DBMIG_OK && !h->err.code)
        dm_err_set(&h->err, rc, "%s", dbmig_errmsg(m.s));
    int crc = dm_scratch_close(h, m.sc);
    if (rc == DBMIG_OK)
        rc = crc;
    free(m.bad);
    free(m.d0);
    free(m.d1);
    dm_strv_free(&m.tables);
    dm_buf_free(&m.msg);
    if (rc != DBMIG_OK) {
        dbmig_test_report_free(m.r);
        return rc;
    }
    m.r->revisions = h->graph.n;
    m.r->duration_ms = dm_now_ms() - t0;
    mt_count(m.r);
    *out = m.r;
    return m.r->failed ? dm_err_set(&h->err, DBMIG_EINVALID,
                                    "dbmig test: %zu of %zu checks failed", m.r->failed, m.r->n)
                       : DBMIG_OK;
}
