/* lint.c — `dbmig lint` (SPEC section 15): which revisions, which sections
 * in which dialect, the statements of each section with their facts and
 * suppressions, the [lint] settings, and the public dbmig_lint(). The rules
 * themselves are lint_rules.c's (see lint.h for the whole picture).
 *
 * What dbmig knows that a file-by-file linter cannot: which statements
 * share a transaction (the header's `transaction off`, a CONCURRENTLY
 * statement taking its migration out of one, MySQL's implicit commits),
 * which revisions are already applied (only the pending ones need linting
 * by default, and an applied file that was edited is a finding), and which
 * driver runs which section. */
#define _POSIX_C_SOURCE 200809L
#include "lint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "migfile.h"
#include "mfline.h"
#include "split.h"
#include "thread.h"

#define LINT_IGNORE "lint-ignore" /* the pseudo-rule of bad suppressions */

typedef struct lrun {
    dbmig *h;             /* read only while files are linted (two threads may) */
    int sev[64];          /* per rule */
    dm_lfindings out;
    int used_tokens_pg;   /* a PostgreSQL section was read without the parser */
    int pg_major;
    dm_err err;           /* the files' failures: this run's own, not h's, so
                             that the helper thread never writes the handle */
    dm_lph ph;            /* the file's placeholders without a value (lint_ph.c) */
    unsigned drivers;     /* the project's built-in drivers (DM_LD_* bits): [lint]
                             drivers, else inferred (project_drivers) */
    int drivers_set;      /* [lint] drivers = ... was given */
    struct lcreated {     /* what each up section of the file creates */
        const dm_section *sec;
        dm_strv objs;     /* "table t", "index i" */
    } created[8];
    size_t ncreated;
    struct lmark {        /* -- dbmig:lint-ignore cross-db-sections-differ on the
                             line above a section's marker (where that rule
                             reports): the file's, in file order */
        int marker_line;  /* the marker's line */
        int line;         /* the lint-ignore line */
        int used;
        int bad;          /* no reason: reported, suppresses nothing */
    } marks[8];
    size_t nmarks;
} lrun;

static int builtin_dialect(const char *driver);

/* ---- settings -------------------------------------------------------------------- */

/* `drivers = postgres, sqlite` in [lint]: the drivers the project deploys
 * to, for the cross-database rules (docs/lint.md). */
static int parse_drivers(lrun *r, const char *src, const char *v)
{
    r->drivers_set = 1;
    r->drivers = 0;
    for (const char *p = v ? v : ""; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, " \t,");
        if (!n)
            break;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        const char *alias = strcmp(name, "postgresql") == 0 ? "postgres"
                            : strcmp(name, "sqlite3") == 0  ? "sqlite"
                            : strcmp(name, "mariadb") == 0  ? "mysql"
                                                            : name;
        int d = builtin_dialect(alias);
        if (d < 0)
            return dm_err_set(&r->h->err, DBMIG_EUSAGE,
                              "%s: lint drivers: '%.*s' is not a built-in driver; the "
                              "cross-database rules know postgres, mysql and sqlite (write "
                              "drivers = postgres, sqlite)",
                              src, (int)n, p);
        r->drivers |= 1u << d;
        p += n;
    }
    if (!r->drivers)
        return dm_err_set(&r->h->err, DBMIG_EUSAGE,
                          "%s: lint drivers is empty: list the drivers the project deploys "
                          "to (drivers = postgres, sqlite)",
                          src);
    return DBMIG_OK;
}

static int apply_settings(lrun *r, const dbmig_lint_opts *o)
{
    size_t n;
    const dm_lint_rule *rules = dm_lint_rules(&n);
    for (size_t i = 0; i < n && i < 64; i++)
        r->sev[i] = rules[i].severity;
    for (size_t i = 0; i < o->nsettings; i++) {
        const dbmig_lint_setting *s = &o->settings[i];
        const char *src = s->source ? s->source : "[lint]";
        if (s->rule && strcmp(s->rule, "drivers") == 0) {
            int rc = parse_drivers(r, src, s->severity);
            if (rc != DBMIG_OK)
                return rc;
            continue;
        }
        int k = dm_lint_rule_index(s->rule);
        if (k < 0) {
            const char *near = dm_lint_rule_nearest(s->rule);
            return dm_err_set(&r->h->err, DBMIG_EUSAGE,
                              "%s: unknown lint rule '%s'%s%s%s; `dbmig lint --help` and "
                              "docs/lint.md list the rules",
                              src, s->rule ? s->rule : "", near ? " (did you mean " : "",
                              near ? near : "", near ? "?)" : "");
        }
        int v = dm_lint_severity_parse(s->severity);
        if (v < 0)
            return dm_err_set(&r->h->err, DBMIG_EUSAGE,
                              "%s: bad value '%s' for lint rule %s: expected off, info, warning "
                              "or error",
                              src, s->severity ? s->severity : "", s->rule);
        r->sev[k] = v;
    }
    return DBMIG_OK;
}

/* ---- suppressions ------------------------------------------------------------------ */

/* Line `line` of the section body (1-based file lines): its text in
 * [*b, *e), 0 when it is outside the section. */
static int sect_line(const char *body, size_t len, int first, int line, const char **b,
                     const char **e)
{
    if (line < first)
        return 0;
    const char *p = body, *end = body + len;
    for (int l = first; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 0;
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *b = p;
    *e = nl ? nl : end;
    return 1;
}

/* A `-- dbmig:lint-ignore ...` line: the position after the key, else NULL. */
static const char *ignore_line(const char *b, const char *e)
{
    while (b < e && dm_mf_blank(*b))
        b++;
    if (!(b + 1 < e && b[0] == '-' && b[1] == '-'))
        return NULL;
    b += 2;
    while (b < e && dm_mf_blank(*b))
        b++;
    if (!dm_mf_ci_prefix(b, e, "dbmig:lint-ignore"))
        return NULL;
    b += strlen("dbmig:lint-ignore");
    return b == e || dm_mf_blank(*b) ? b : NULL;
}

/* The RULE of a lint-ignore value v..e into rule (cap bytes); returns
 * where its reason begins (e when there is none). */
static const char *ignore_rule(const char *v, const char *e, char *rule, size_t cap)
{
    while (v < e && dm_mf_blank(*v))
        v++;
    const char *w = v;
    while (w < e && !dm_mf_blank(*w))
        w++;
    snprintf(rule, cap, "%.*s", (int)(w - v), v);
    while (w < e && dm_mf_blank(*w))
        w++;
    return w;
}

/* Reads one suppression at file line `line` (value at v..e) into st, or
 * reports what is wrong with it. */
static int take_ignore(lrun *r, const dm_lctx *cx, dm_lstmt *st, int line, const char *v,
                       const char *e)
{
    char rule[96];
    int has_reason = ignore_rule(v, e, rule, sizeof rule) < e;
    const dm_lint_rule *known = dm_lint_rule_find(rule, NULL);
    const char *fix = "write -- dbmig:lint-ignore RULE why it is safe, on the line above the "
                      "statement";
    if (!rule[0])
        return dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, cx->revision, cx->file, line,
                               fix, "-- dbmig:lint-ignore names no rule");
    if (!known) {
        const char *near = dm_lint_rule_nearest(rule);
        return dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, cx->revision, cx->file, line,
                               fix, "-- dbmig:lint-ignore names an unknown rule '%s'%s%s%s", rule,
                               near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
    }
    if (!has_reason)
        return dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, cx->revision, cx->file, line,
                               fix, "-- dbmig:lint-ignore %s gives no reason: say why the "
                                    "statement is safe", rule);
    if (st->suppressed_n < 8) {
        st->suppressed[st->suppressed_n] = known->id;
        st->suppress_line[st->suppressed_n] = line;
        st->suppress_used[st->suppressed_n++] = 0;
    }
    return 0;
}

/* The suppressions directly above each statement (consecutive
 * lint-ignore lines), and an error for every lint-ignore line of the
 * section that is not directly above a statement. */
static int marked(const lrun *r, int line)
{
    for (size_t i = 0; i < r->nmarks; i++)
        if (r->marks[i].line == line)
            return 1;
    return 0;
}

static int read_ignores(lrun *r, const dm_lctx *cx, const char *body, size_t len, int first,
                        dm_lstmt *st, size_t n)
{
    int last = first;
    for (const char *p = body; p < body + len; p++)
        last += *p == '\n';
    unsigned char *attached = calloc((size_t)(last - first) + 2, 1);
    if (!attached)
        return -1;
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        const char *b, *e, *v;
        for (int l = st[k].line - 1; !rc && sect_line(body, len, first, l, &b, &e) &&
                                     (v = ignore_line(b, e)) != NULL;
             l--) {
            attached[l - first] = 1;
            rc = take_ignore(r, cx, &st[k], l, v, e);
        }
    }
    for (int l = first; l <= last && !rc; l++) {
        const char *b, *e;
        if (!attached[l - first] && !marked(r, l) && sect_line(body, len, first, l, &b, &e) &&
            ignore_line(b, e))
            rc = dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, cx->revision, cx->file, l,
                                 "put it on the line directly above the statement it is for",
                                 "-- dbmig:lint-ignore is not on the line directly above a "
                                 "statement, so it suppresses nothing");
    }
    free(attached);
    return rc;
}

/* ---- one section ------------------------------------------------------------------- */

static int collect(void *payload, const dm_stmt *st)
{
    return dm_stmt_list_push(payload, st) ? DBMIG_EINVALID : 0;
}

/* placeholder-without-value for each name lint_ph.c listed since `from`:
 * once per file, at its first use. */
static int report_undefined(lrun *r, const dm_migfile *mf, size_t from)
{
    int k = dm_lint_rule_index("placeholder-without-value");
    const dm_lint_rule *rule = &dm_lint_rules(&(size_t){0})[k];
    for (size_t i = from; i < r->ph.n && r->sev[k] != DM_LINT_OFF; i++) {
        const dm_lph_name *p = &r->ph.v[i];
        if (dm_lfinding_add(&r->out, rule->id, r->sev[k], mf->revision, mf->path, p->line,
                            rule->fix,
                            "placeholder ${%s} has no value here; linted with the identifier "
                            "%s in its place: %s",
                            p->name, p->ident, rule->why) != 0)
            return dm_err_nomem(&r->err);
    }
    return DBMIG_OK;
}

/* The statements of a section: split from the text (transaction control
 * included: the transaction-nesting rule reports it, with the others); in
 * a placeholder file, from the text a run would split (lint_ph.c). */
static int split_section(lrun *r, const dm_migfile *mf, const dm_section *sec, int dialect,
                         dm_stmt_list *l)
{
    if (mf->text && mf->placeholders) {
        size_t had = r->ph.n;
        int rc = dm_lint_ph_split(mf->path, sec->line, mf->text + sec->off, sec->len, dialect,
                                  mf->vars, mf->nvars, l, &r->ph, &r->err);
        return rc == DBMIG_OK ? report_undefined(r, mf, had) : rc;
    }
    if (mf->text)
        return dm_split(mf->text + sec->off, sec->len, dialect, sec->line, mf->path, l, &r->err);
    int found;
    return dm_migfile_stream(mf, sec->kind, sec->driver, dialect, collect, l, &found, &r->err);
}

static int stmt_facts(lrun *r, int dialect, dm_lstmt *s)
{
    if (dialect == DBMIG_DIALECT_POSTGRES) {
        int rc = dm_lint_pg_facts(s->sql, s->len, &s->facts);
        if (rc <= 0)
            return rc;
        r->used_tokens_pg = 1;
    }
    return dm_lint_tok_facts(s->sql, s->len, dialect, &s->facts);
}

/* Keeps what an up section creates (tables, named indexes), for
 * cross-db-sections-differ. */
static int note_created(lrun *r, const dm_section *sec, const dm_lstmt *st, size_t n)
{
    if (r->ncreated == sizeof r->created / sizeof r->created[0])
        return 0;
    struct lcreated *c = &r->created[r->ncreated++];
    c->sec = sec;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < st[k].facts.n; i++) {
            const dm_lact *a = &st[k].facts.v[i];
            char obj[160];
            if (a->kind == LA_CREATE_TABLE && !(a->flags & LF_TEMP) && (a->name[0] || a->table[0]))
                snprintf(obj, sizeof obj, "table %s", a->name[0] ? a->name : a->table);
            else if (a->kind == LA_CREATE_INDEX && a->name[0])
                snprintf(obj, sizeof obj, "index %s", a->name);
            else
                continue;
            if (dm_strv_push(&c->objs, obj))
                return -1;
        }
    return 0;
}

static int lint_statements(lrun *r, const dm_lctx *cx, const dm_migfile *mf, const dm_section *sec,
                           dm_stmt_list *l)
{
    dm_lstmt *st = calloc(l->n ? l->n : 1, sizeof *st);
    if (!st)
        return dm_err_nomem(&r->err);
    int rc = 0;
    for (size_t k = 0; k < l->n && !rc; k++) {
        st[k].sql = l->v[k].sql;
        st[k].len = l->v[k].len;
        st[k].line = l->v[k].line;
        rc = stmt_facts(r, cx->dialect, &st[k]);
    }
    if (!rc && mf->text)
        rc = read_ignores(r, cx, mf->text + sec->off, sec->len, sec->line, st, l->n);
    if (!rc && !cx->xdb_only)
        rc = dm_lint_section(cx, st, l->n, &r->out);
    if (!rc && cx->xdb_targets)
        rc = dm_lint_xdb(cx, st, l->n, cx->xdb_targets, &r->out);
    if (!rc && sec->kind == DM_UP)
        rc = note_created(r, sec, st, l->n);
    for (size_t k = 0; k < l->n && !rc && !cx->xdb_only; k++)
        for (int i = 0; i < st[k].suppressed_n && !rc; i++)
            if (!st[k].suppress_used[i])
                rc = dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_WARNING, cx->revision,
                                     cx->file, st[k].suppress_line[i],
                                     "remove the line, or move it above the statement it is for",
                                     "-- dbmig:lint-ignore %s suppresses nothing: the rule does "
                                     "not fire on the statement below it (for %s)",
                                     st[k].suppressed[i], cx->driver);
    for (size_t k = 0; k < l->n; k++)
        dm_lfacts_free(&st[k].facts);
    free(st);
    return rc ? dm_err_nomem(&r->err) : DBMIG_OK;
}

/* Names the driver in the findings from `from` on that have none. */
static int tag_driver(lrun *r, size_t from, const char *driver)
{
    for (size_t i = from; i < r->out.n; i++)
        if (!r->out.v[i].driver && !(r->out.v[i].driver = dm_strdup(driver)))
            return dm_err_nomem(&r->err);
    return DBMIG_OK;
}

static int lint_section(lrun *r, const dm_migfile *mf, const dm_section *sec, const char *driver,
                        int dialect, unsigned xdb_targets, int xdb_only)
{
    size_t from = r->out.n;
    dm_lctx cx;
    memset(&cx, 0, sizeof cx);
    cx.dialect = dialect;
    cx.driver = driver;
    cx.kind = sec->kind;
    cx.file_transaction = mf->transaction;
    cx.pg_major = r->pg_major;
    cx.revision = mf->revision;
    cx.file = mf->path;
    cx.severity = r->sev;
    cx.lock_timeout_configured = r->h->o.ddl_lock_timeout_ms > 0;
    cx.xdb_targets = xdb_targets;
    cx.xdb_only = xdb_only;
    dm_stmt_list l = {0};
    int rc = split_section(r, mf, sec, dialect, &l);
    if (rc == DBMIG_OK)
        rc = lint_statements(r, &cx, mf, sec, &l);
    dm_stmt_list_free(&l);
    return rc == DBMIG_OK ? tag_driver(r, from, driver) : rc;
}

static int builtin_dialect(const char *driver)
{
    if (!driver)
        return -1;
    if (strcmp(driver, "postgres") == 0)
        return DBMIG_DIALECT_POSTGRES;
    if (strcmp(driver, "mysql") == 0)
        return DBMIG_DIALECT_MYSQL;
    if (strcmp(driver, "sqlite") == 0)
        return DBMIG_DIALECT_SQLITE;
    return -1;
}

/* A file: the up and down sections the driver uses, in its dialect, and
 * every section naming another built-in driver, in that one's. */
static const char *const builtin_names[] = {"postgres", "mysql", "sqlite"};

static const char *dialect_driver(int d)
{
    return d == DBMIG_DIALECT_POSTGRES ? "postgres" : d == DBMIG_DIALECT_MYSQL ? "mysql" : "sqlite";
}

/* The project's drivers when [lint] does not list them: the run's own and
 * every built-in driver a section of any file names (a project that writes
 * `-- dbmig:up sqlite` somewhere runs on SQLite). */
static unsigned project_drivers(const dbmig *h)
{
    int own = h->drv ? builtin_dialect(h->drv->name) : -1;
    unsigned bits = own >= 0 ? 1u << own : 0;
    for (size_t i = 0; i < h->graph.n; i++) {
        const dm_migfile *mf = &h->graph.revs[i].file;
        for (size_t k = 0; k < mf->nsections; k++) {
            int d = builtin_dialect(mf->sections[k].driver);
            if (d >= 0)
                bits |= 1u << d;
        }
    }
    return bits;
}

/* The project's built-in drivers that run the file's plain up section:
 * those without an up section of their own. */
static unsigned plain_up_drivers(const lrun *r, const dm_migfile *mf)
{
    unsigned t = 0;
    for (int d = 0; d < 3; d++) {
        int dia = builtin_dialect(builtin_names[d]);
        const dm_section *s = dm_migfile_section(mf, DM_UP, builtin_names[d]);
        if ((r->drivers & (1u << dia)) && s && !s->driver)
            t |= 1u << dia;
    }
    return t;
}

static void created_free(lrun *r)
{
    for (size_t i = 0; i < r->ncreated; i++)
        dm_strv_free(&r->created[i].objs);
    r->ncreated = 0;
}

static const dm_strv *created_of(const lrun *r, const dm_section *sec)
{
    for (size_t i = 0; i < r->ncreated; i++)
        if (r->created[i].sec == sec)
            return &r->created[i].objs;
    return NULL;
}

static int has_obj(const dm_strv *v, const char *o)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], o) == 0)
            return 1;
    return 0;
}

/* cross-db-sections-differ: for each up section a project's driver runs,
 * what the others' create and it does not; one finding per such section,
 * at its marker, naming up to three objects and the drivers that have them. */
static int section_lacks(lrun *r, const dm_migfile *mf, int b, int k)
{
    const dm_lint_rule *rule = &dm_lint_rules(&(size_t){0})[k];
    const dm_section *sb = dm_migfile_section(mf, DM_UP, builtin_names[b]);
    const dm_strv *cb = sb ? created_of(r, sb) : NULL;
    int bd = builtin_dialect(builtin_names[b]);
    if (!cb || bd < 0 || !(r->drivers & (1u << bd)))
        return DBMIG_OK;
    dm_strv miss = {0};
    dm_buf who = {0};
    int rc = 0;
    for (int a = 0; a < 3 && !rc; a++) {
        const dm_section *sa = dm_migfile_section(mf, DM_UP, builtin_names[a]);
        const dm_strv *ca = sa ? created_of(r, sa) : NULL;
        if (!ca || sa == sb || !(r->drivers & (1u << builtin_dialect(builtin_names[a]))))
            continue;
        size_t had = miss.n;
        for (size_t i = 0; i < ca->n && !rc; i++)
            if (!has_obj(cb, ca->v[i]) && !has_obj(&miss, ca->v[i]))
                rc = dm_strv_push(&miss, ca->v[i]);
        if (!rc && miss.n > had)
            rc = dm_buf_printf(&who, "%s%s", who.len ? " and " : "", builtin_names[a]);
    }
    struct lmark *m = NULL; /* silenced on the line above the marker? */
    for (size_t i = 0; i < r->nmarks && sb->marker_line; i++)
        if (r->marks[i].marker_line == sb->marker_line && !r->marks[i].bad)
            m = &r->marks[i];
    if (m && miss.n)
        m->used = 1;
    else if (!rc && miss.n)
        rc = dm_lfinding_add(&r->out, rule->id, r->sev[k], mf->revision, mf->path,
                             sb->marker_line ? sb->marker_line : sb->line, rule->fix,
                             "the up section %s runs does not create %s%s%s%s%s, which %s's "
                             "creates: %s",
                             builtin_names[b], miss.v[0], miss.n > 1 ? ", " : "",
                             miss.n > 1 ? miss.v[1] : "", miss.n > 2 ? ", " : "",
                             miss.n > 2 ? (miss.n > 3 ? "... (more)" : miss.v[2]) : "",
                             dm_buf_str(&who), rule->why);
    if (!rc && miss.n && !m)
        rc = tag_driver(r, r->out.n - 1, builtin_names[b]);
    dm_strv_free(&miss);
    dm_buf_free(&who);
    return rc ? dm_err_nomem(&r->err) : DBMIG_OK;
}

static int sections_differ(lrun *r, const dm_migfile *mf)
{
    int k = dm_lint_rule_index("cross-db-sections-differ");
    int rc = DBMIG_OK;
    for (int b = 0; b < 3 && rc == DBMIG_OK && r->sev[k] != DM_LINT_OFF; b++)
        rc = section_lacks(r, mf, b, k);
    for (size_t i = 0; i < r->nmarks && rc == DBMIG_OK && r->sev[k] != DM_LINT_OFF; i++)
        if (!r->marks[i].used && !r->marks[i].bad &&
            dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_WARNING, mf->revision, mf->path,
                            r->marks[i].line, "remove the line",
                            "-- dbmig:lint-ignore cross-db-sections-differ suppresses nothing: "
                            "the section below it creates what the project's other drivers' "
                            "sections create") != 0)
            rc = dm_err_nomem(&r->err);
    return rc;
}

/* One lint-ignore line of the stack directly above a section's marker
 * (value at v..e): cross-db-sections-differ with a reason is recorded in
 * r->marks (it reports at the marker); anything else is reported here and
 * recorded as bad, so that the section body it ends does not report it
 * again as "not above a statement". */
static int marker_ignore(lrun *r, const dm_migfile *mf, int marker_line, int l, const char *v,
                         const char *e)
{
    char rule[96];
    const char *reason = ignore_rule(v, e, rule, sizeof rule);
    int ours = strcmp(rule, "cross-db-sections-differ") == 0, bad = !ours || reason == e;
    r->marks[r->nmarks++] = (struct lmark){marker_line, l, 0, bad};
    if (!bad)
        return DBMIG_OK;
    const dm_lint_rule *known = dm_lint_rule_find(rule, NULL);
    const char *near = known ? NULL : dm_lint_rule_nearest(rule);
    const char *fix = "on the line above a marker, write -- dbmig:lint-ignore "
                      "cross-db-sections-differ why the sections may differ; any other rule "
                      "goes on the line directly above its statement";
    int rc;
    if (ours)
        rc = dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, mf->revision, mf->path, l, fix,
                             "-- dbmig:lint-ignore cross-db-sections-differ gives no reason: "
                             "say why this section may create other objects");
    else if (!known)
        rc = dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, mf->revision, mf->path, l, fix,
                             "-- dbmig:lint-ignore names %s rule '%s'%s%s%s", rule[0] ? "an unknown" : "no",
                             rule, near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
    else
        rc = dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, mf->revision, mf->path, l, fix,
                             "-- dbmig:lint-ignore %s is above a -- dbmig: marker, not above a "
                             "statement, so it suppresses nothing (only "
                             "cross-db-sections-differ, reported at a marker, is silenced there)",
                             rule);
    return rc ? dm_err_nomem(&r->err) : DBMIG_OK;
}

/* -- dbmig:lint-ignore lines directly above a section's marker
 * (marker_ignore), and those above the file's first section, which
 * suppress nothing: an error each (a body's own lines are read_ignores').
 * mf->text is NULL for a streamed file: no suppression is read there
 * (docs/lint.md). */
static int marker_ignores(lrun *r, const dm_migfile *mf)
{
    r->nmarks = 0;
    if (!mf->text)
        return DBMIG_OK;
    int header_end = 0, rc = DBMIG_OK; /* the first line of the first section (its marker) */
    for (size_t i = 0; i < mf->nsections && rc == DBMIG_OK; i++) {
        const dm_section *s = &mf->sections[i];
        int at = s->marker_line ? s->marker_line : s->line;
        if (!header_end || at < header_end)
            header_end = at;
        const char *b, *e, *v;
        for (int l = s->marker_line - 1; rc == DBMIG_OK && s->marker_line > 1 && l >= 1 &&
                                         r->nmarks < sizeof r->marks / sizeof r->marks[0] &&
                                         sect_line(mf->text, mf->text_len, 1, l, &b, &e) &&
                                         (v = ignore_line(b, e)) != NULL;
             l--)
            rc = marker_ignore(r, mf, s->marker_line, l, v, e);
    }
    for (int l = 1; l < header_end && rc == DBMIG_OK; l++) {
        const char *b, *e;
        if (!marked(r, l) && sect_line(mf->text, mf->text_len, 1, l, &b, &e) &&
            ignore_line(b, e) &&
            dm_lfinding_add(&r->out, LINT_IGNORE, DM_LINT_ERROR, mf->revision, mf->path, l,
                            "put it on the line directly above the statement it is for, "
                            "below the -- dbmig:up marker",
                            "-- dbmig:lint-ignore is above the file's first marker, not above "
                            "a statement, so it suppresses nothing (only "
                            "cross-db-sections-differ, reported at a marker, is silenced on "
                            "the line above that marker)") != 0)
            rc = dm_err_nomem(&r->err);
    }
    return rc;
}

static int missing_down(lrun *r, const dm_migfile *mf, const char *driver)
{
    size_t k = (size_t)dm_lint_rule_index("require-down-section");
    const dm_lint_rule *rules = dm_lint_rules(&(size_t){0});
    if (r->sev[k] != DM_LINT_OFF &&
        dm_lfinding_add(&r->out, rules[k].id, r->sev[k], mf->revision, mf->path,
                        mf->header_line ? mf->header_line : 1, rules[k].fix,
                        "%s has no down section for %s: %s", mf->filename, driver,
                        rules[k].why) != 0)
        return dm_err_nomem(&r->err);
    return DBMIG_OK;
}

static int lint_file(lrun *r, const dm_migfile *mf, const char *driver, int dialect)
{
    int rc = DBMIG_OK;
    dm_lph_free(&r->ph); /* placeholders are reported once per file */
    created_free(r);
    if ((rc = marker_ignores(r, mf)) != DBMIG_OK)
        return rc;
    unsigned plain = plain_up_drivers(r, mf);
    const dm_section *generic = dm_migfile_section(mf, DM_UP, NULL);
    for (int kind = DM_UP; kind <= DM_DOWN && rc == DBMIG_OK; kind++) {
        const dm_section *sec = dm_migfile_section(mf, kind, driver);
        if (sec)
            rc = lint_section(r, mf, sec, driver, dialect,
                              kind == DM_UP && !sec->driver ? plain : 0, 0);
        else if (kind == DM_DOWN && !mf->irreversible)
            rc = missing_down(r, mf, driver);
        if (rc == DBMIG_OK && kind == DM_UP && generic && generic != sec && plain) {
            /* the run's driver has its own up section: the plain one is
             * still run by others, read in the first one's dialect */
            int d = 0;
            while (!(plain & (1u << d)))
                d++;
            rc = lint_section(r, mf, generic, dialect_driver(d), d, plain, 1);
        }
    }
    for (size_t i = 0; i < mf->nsections && rc == DBMIG_OK; i++) {
        const dm_section *s = &mf->sections[i];
        int d = builtin_dialect(s->driver);
        if ((s->kind == DM_UP || s->kind == DM_DOWN) && d >= 0 && strcmp(s->driver, driver) != 0)
            rc = lint_section(r, mf, s, s->driver, d, 0, 0);
    }
    if (rc == DBMIG_OK)
        rc = sections_differ(r, mf);
    return rc;
}

/* ---- which revisions ----------------------------------------------------------------- */

/* Flags the revisions to lint in mark (g->n). With a database, edited
 * applied files are findings too: every one for the default selection
 * (the pending revisions), the chosen ones for REV... and --since (which
 * then read the database as well, so that an edited file or an
 * unreachable server is not passed over in silence). check's exact list
 * comes with its own status read: the database is not read again. */
static int select_revs(lrun *r, const dbmig_lint_opts *o, unsigned char *mark)
{
    dbmig *h = r->h;
    const dm_graph *g = &h->graph;
    int rc;
    if (!mark) /* dbmig_lint allocates it first; said for the analyzer too */
        return dm_err_nomem(&h->err);
    int exact = o->version >= 3 && o->exact, chosen = o->nrevisions || o->since;
    for (size_t i = 0; i < o->nrevisions; i++) {
        size_t k;
        if ((rc = dm_graph_resolve(g, o->revisions[i], &k, &h->err)) != DBMIG_OK)
            return rc;
        mark[k] = 1;
    }
    if (o->since && strcmp(o->since, "base") == 0) /* every revision, as a target says */
        memset(mark, 1, g->n);
    else if (o->since) {
        size_t k;
        if ((rc = dm_graph_resolve(g, o->since, &k, &h->err)) != DBMIG_OK)
            return rc;
        mark[k] = 1;
        dm_graph_descendants(g, mark);
        mark[k] = 0;
    }
    if (exact)
        return DBMIG_OK;
    if (!h->url) {
        if (o->pending)
            return dm_err_set(&h->err, DBMIG_EUSAGE,
                              "lint --pending needs the database (--url) to know what is "
                              "applied; without one, lint checks every file");
        if (!chosen)
            memset(mark, 1, g->n);
        return DBMIG_OK;
    }
    dbmig_status *st;
    if ((rc = dbmig_status_get(h, &st)) != DBMIG_OK)
        return rc;
    int ek = dm_lint_rule_index("applied-file-edited");
    for (size_t i = 0; i < st->nrevs; i++) {
        const dbmig_rev_status *rv = &st->revs[i];
        size_t k = rv->file ? dm_graph_find(g, rv->revision) : DM_NONE;
        if (k == DM_NONE)
            continue;
        if (!chosen && (!(rv->flags & DBMIG_REV_APPLIED) || (rv->flags & DBMIG_REV_DIRTY)))
            mark[k] = 1;
        /* the file's path as every other finding gives it (the status has
         * its base name), so that annotations land on the file */
        if ((rv->flags & DBMIG_REV_MODIFIED) && r->sev[ek] != DM_LINT_OFF && (!chosen || mark[k]) &&
            dm_lfinding_add(&r->out, "applied-file-edited", r->sev[ek], rv->revision,
                            g->revs[k].file.path, 1, dm_lint_rules(&(size_t){0})[ek].fix,
                            "%s was edited after it was applied (checksum %s, applied %s)",
                            rv->revision, rv->checksum, rv->db_checksum ? rv->db_checksum : "?") != 0) {
            dbmig_status_free(st);
            return dm_err_nomem(&h->err);
        }
    }
    dbmig_status_free(st);
    return DBMIG_OK;
}

/* The server's major version when the handle has talked to it (a status
 * read here, or the caller's: check), else 0 (a modern server assumed):
 * PostgreSQL before 11 rewrites the table for any default. */
static int server_major(const dbmig *h)
{
    const char *v = h->server_version;
    while (*v && !isdigit((unsigned char)*v))
        v++;
    long major = strtol(v, NULL, 10);
    return major > 0 && major < 1000 ? (int)major : 0;
}

/* ---- the files, on two threads --------------------------------------------------------- */

/* Files are independent (a rule sees one section), so a large run is cut
 * in two: the first half on the caller's thread, the second on the
 * library's helper thread (thread.h), each with its own lrun; the findings
 * are then joined in graph order. 10,000 files took 1.0 s on one CPU, 0.6 s
 * on two. Below this many files a thread is not worth its start. */
#define LINT_SPLIT_MIN 64

typedef struct lint_job {
    lrun r;
    const size_t *idx; /* graph indexes, in order */
    size_t n;
    int rc;
} lint_job;

static int lint_some(lrun *r, const size_t *idx, size_t n)
{
    dbmig *h = r->h;
    int rc = DBMIG_OK;
    for (size_t k = 0; k < n && rc == DBMIG_OK; k++)
        rc = lint_file(r, &h->graph.revs[idx[k]].file, h->drv->name, (int)h->drv->dialect);
    return rc;
}

static void *lint_job_run(void *arg)
{
    lint_job *j = arg;
    /* libpg_query keeps a memory context per thread, which its own
     * thread-exit destructor frees */
    j->rc = lint_some(&j->r, j->idx, j->n);
    return NULL;
}

/* Moves src's findings after dst's. */
static int findings_append(dm_lfindings *dst, dm_lfindings *src)
{
    if (dst->n + src->n > dst->cap) {
        dm_lfinding *nv = realloc(dst->v, (dst->n + src->n) * sizeof *nv);
        if (!nv)
            return -1;
        dst->v = nv;
        dst->cap = dst->n + src->n;
    }
    if (src->n)
        memcpy(dst->v + dst->n, src->v, src->n * sizeof *src->v);
    dst->n += src->n;
    src->n = 0;
    return 0;
}

/* The marked files, in graph order: their findings in r->out; *nrevs. */
static int lint_files(lrun *r, const unsigned char *mark, size_t *nrevs)
{
    dbmig *h = r->h;
    size_t *idx = mark ? malloc((h->graph.n ? h->graph.n : 1) * sizeof *idx) : NULL, n = 0;
    if (!idx) /* (mark is never NULL here: dbmig_lint failed before) */
        return dm_err_nomem(&h->err);
    for (size_t k = 0; k < h->graph.n; k++)
        if (mark[h->graph.order[k]])
            idx[n++] = h->graph.order[k];
    *nrevs = n;
    lint_job j;
    memset(&j, 0, sizeof j);
    pthread_t t;
    int split = n >= LINT_SPLIT_MIN;
    if (split) {
        j.r.h = h;
        memcpy(j.r.sev, r->sev, sizeof r->sev);
        j.r.pg_major = r->pg_major;
        j.r.drivers = r->drivers;
        j.r.drivers_set = r->drivers_set;
        j.idx = idx + n / 2;
        j.n = n - n / 2;
        dm_lint_pg_before_threads();
        split = dm_thread_start(&t, lint_job_run, &j) == 0; /* else all here */
    }
    int rc = lint_some(r, idx, split ? n / 2 : n);
    if (split) {
        pthread_join(t, NULL);
        r->used_tokens_pg |= j.r.used_tokens_pg;
        if (rc == DBMIG_OK && j.rc != DBMIG_OK) {
            rc = j.rc;
            dm_err_set(&r->err, j.r.err.code, "%s", dm_err_msg(&j.r.err));
        } else if (rc == DBMIG_OK && findings_append(&r->out, &j.r.out) != 0) {
            rc = dm_err_nomem(&r->err);
        }
        dm_lfindings_free(&j.r.out);
        dm_lph_free(&j.r.ph);
        created_free(&j.r);
        dm_err_free(&j.r.err);
    }
    if (rc != DBMIG_OK)
        dm_err_set(&h->err, rc, "%s", dm_err_msg(&r->err));
    free(idx);
    return rc;
}

/* ---- the public API -------------------------------------------------------------------- */

size_t dbmig_lint_rules(const dbmig_lint_rule **out)
{
    size_t n;
    *out = dm_lint_rules(&n);
    return n;
}

void dbmig_lint_report_free(dbmig_lint_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->findings[i].revision);
        free((char *)r->findings[i].file);
        free((char *)r->findings[i].message);
        free((char *)r->findings[i].fix);
        free((char *)r->findings[i].driver);
    }
    free(r->findings);
    free((char *)r->driver);
    free(r);
}

/* Hands the findings over to a public report. */
static int make_report(lrun *r, const char *driver, size_t nrevs, dbmig_lint_report **out)
{
    dbmig_lint_report *rep = calloc(1, sizeof *rep);
    if (!rep || !(rep->findings = calloc(r->out.n ? r->out.n : 1, sizeof *rep->findings)) ||
        !(rep->driver = dm_strdup(driver))) {
        dbmig_lint_report_free(rep);
        return dm_err_nomem(&r->h->err);
    }
    if (tag_driver(r, 0, driver) != DBMIG_OK) { /* file-level findings: the run's driver */
        dbmig_lint_report_free(rep);
        return dm_err_nomem(&r->h->err);
    }
    for (size_t i = 0; i < r->out.n; i++) {
        dm_lfinding *f = &r->out.v[i];
        rep->findings[i] = (dbmig_lint_finding){f->rule,    f->severity, f->revision, f->file,
                                                f->line,    f->message,  f->fix,      f->driver};
        rep->errors += f->severity == DM_LINT_ERROR;
        rep->warnings += f->severity == DM_LINT_WARNING;
        rep->infos += f->severity == DM_LINT_INFO;
        f->revision = f->file = f->message = f->fix = f->driver = NULL; /* moved */
    }
    rep->n = r->out.n;
    rep->revisions = nrevs;
    if (r->used_tokens_pg)
        rep->note = "this dbmig was built without libpg_query, so PostgreSQL statements were "
                    "read by the token-level classifier, which knows fewer forms";
    *out = rep;
    return DBMIG_OK;
}

/* The driver whose dialect the generic sections are read in. */
static int lint_driver(dbmig *h)
{
    if (!h->driver_name && !h->url)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "lint needs to know the SQL dialect: give --driver (postgres, mysql "
                          "or sqlite) or a database --url");
    return dm_need_driver(h);
}

int dbmig_lint(dbmig *h, const dbmig_lint_opts *o, dbmig_lint_report **out)
{
    *out = NULL;
    dm_err_clear(&h->err);
    if (!o || o->version < 1 || o->version > DBMIG_LINT_OPTS_VERSION)
        return dm_err_set(&h->err, DBMIG_EUSAGE, "dbmig_lint: start the options from "
                                                 "DBMIG_LINT_OPTS_INIT (version %u)",
                          (unsigned)DBMIG_LINT_OPTS_VERSION);
    int all = o->version >= 2 && o->all; /* a version 1 struct has no such field */
    int exact = o->version >= 3 && o->exact;
    if ((o->nrevisions != 0 || exact) + (o->since != NULL) + (o->pending != 0) + (all != 0) > 1)
        return dm_err_set(&h->err, DBMIG_EUSAGE,
                          "lint takes revisions, --since REV, --pending or all: give one of them");
    lrun *r = calloc(1, sizeof *r);
    if (!r)
        return dm_err_nomem(&h->err);
    r->h = h;
    unsigned char *mark = NULL;
    int rc = apply_settings(r, o);
    if (rc == DBMIG_OK)
        rc = dm_need_graph(h);
    if (rc == DBMIG_OK)
        rc = lint_driver(h);
    if (rc == DBMIG_OK && !(mark = calloc(h->graph.n ? h->graph.n : 1, 1)))
        rc = dm_err_nomem(&h->err);
    if (rc == DBMIG_OK)
        rc = all ? (memset(mark, 1, h->graph.n), DBMIG_OK) : select_revs(r, o, mark);
    r->pg_major = server_major(h);
    size_t nrevs = 0;
    const char *dname = h->drv ? h->drv->name : ""; /* lint_driver set it when rc is OK */
    if (rc == DBMIG_OK && !r->drivers_set)
        r->drivers = project_drivers(h);
    if (rc == DBMIG_OK)
        rc = lint_files(r, mark, &nrevs);
    if (rc == DBMIG_OK)
        rc = make_report(r, dname, nrevs, out);
    free(mark);
    dm_lfindings_free(&r->out);
    dm_lph_free(&r->ph);
    created_free(r);
    dm_err_free(&r->err);
    free(r);
    return rc;
}
