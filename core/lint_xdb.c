/* lint_xdb.c — the cross-database rules (issue 18; docs/lint.md
 * "Cross-database rules"): a statement of a plain `-- dbmig:up` section
 * that one of the project's drivers runs and another refuses.
 *
 * Which drivers: lint.c passes the built-in drivers that run this section
 * (the project's, see docs/lint.md, minus those with an up section of
 * their own). What fails: only forms every version of that database
 * refuses (or, for serial on SQLite, silently mishandles), read from the
 * statement's tokens. Forms dbmig itself makes portable are NOT reported:
 * core/ddl.c emulates IF [NOT] EXISTS in a single ADD/DROP COLUMN and in
 * CREATE/DROP INDEX on every built-in driver (with a catalog look-up),
 * and drops CONCURRENTLY where there is no such thing; dm_ddl_classify
 * says which statements get that treatment. */
#define _POSIX_C_SOURCE 200809L
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddl.h"

typedef struct xs {
    const dm_lctx *cx;
    dm_lstmt *st;
    const dm_ltok *t;
    size_t n;
    unsigned targets;
    dm_lfindings *out;
    int oom;
} xs;

static int w(const xs *x, size_t i, const char *word)
{
    if (i >= x->n || x->t[i].type != DM_LT_WORD)
        return 0;
    size_t l = strlen(word);
    return x->t[i].end - x->t[i].start == l &&
           strncasecmp(x->st->sql + x->t[i].start, word, l) == 0;
}

static int p(const xs *x, size_t i, char c)
{
    return i < x->n && x->t[i].type == DM_LT_PUNCT && x->st->sql[x->t[i].start] == c;
}

static int w_any(const xs *x, size_t i, const char *const *words)
{
    for (; *words; words++)
        if (w(x, i, *words))
            return 1;
    return 0;
}

/* "mysql and sqlite" for the DM_LD_* bits. */
static void names(unsigned bits, char *out, size_t cap)
{
    static const char *const nm[] = {"postgres", "mysql", "sqlite"};
    static const unsigned b[] = {DM_LD_PG, DM_LD_MY, DM_LD_LITE};
    size_t k = 0, total = 0;
    for (int i = 0; i < 3; i++)
        total += (bits & b[i]) != 0;
    out[0] = '\0';
    for (int i = 0; i < 3; i++) {
        if (!(bits & b[i]))
            continue;
        size_t o = strlen(out);
        snprintf(out + o, cap - o, "%s%s", k == 0 ? "" : k + 1 == total ? " and " : ", ", nm[i]);
        k++;
    }
}

/* Reports rule `id` at token i when some target is in `fails`. */
static void report(xs *x, const char *id, size_t i, unsigned fails, const char *what,
                   const char *how)
{
    unsigned hit = fails & x->targets;
    if (!hit || x->oom)
        return;
    char drv[40], msg[512];
    names(hit, drv, sizeof drv);
    int many = (hit & (hit - 1)) != 0;
    snprintf(msg, sizeof msg, "%s %s on %s, which run%s this plain up section (no -- dbmig:up %s "
             "section)",
             what, how, drv, many ? "" : "s", many ? "DRIVER" : drv);
    if (dm_lint_emit(x->cx, x->st, dm_lint_rule_index(id), i < x->n ? x->t[i].start : 0, x->out,
                     msg) != 0)
        x->oom = 1;
}

/* ---- cross-db-if-exists ------------------------------------------------------------- */

/* ALTER TABLE IF EXISTS, and IF [NOT] EXISTS in an ALTER TABLE that
 * core/ddl.c does not emulate (several actions). */
static void if_exists(xs *x)
{
    if (!(w(x, 0, "alter") && w(x, 1, "table")))
        return;
    if (w(x, 2, "if") && w(x, 3, "exists")) {
        report(x, "cross-db-if-exists", 2, DM_LD_MY | DM_LD_LITE, "ALTER TABLE IF EXISTS",
               "is refused (MariaDB 10.5+ has it, MySQL does not)");
        return;
    }
    dm_ddl d;
    dm_ddl_classify(x->st->sql, x->st->len, x->cx->dialect, &d);
    if (d.kind == DM_DDL_ADD_COLUMN || d.kind == DM_DDL_DROP_COLUMN)
        return; /* one action: dbmig emulates the words where the database lacks them */
    int depth = 0;
    for (size_t i = 2; i < x->n; i++) {
        depth += p(x, i, '(') - p(x, i, ')');
        if (depth || !(w(x, i, "add") || w(x, i, "drop")))
            continue;
        size_t k = i + 1 + (w(x, i + 1, "column") ? 1 : 0);
        int add = w(x, i, "add");
        if (w(x, k, "if") && (add ? w(x, k + 1, "not") && w(x, k + 2, "exists")
                                  : w(x, k + 1, "exists"))) {
            report(x, "cross-db-if-exists", k, DM_LD_MY | DM_LD_LITE,
                   add ? "ADD COLUMN IF NOT EXISTS in an ALTER TABLE of several actions"
                       : "DROP COLUMN IF EXISTS in an ALTER TABLE of several actions",
                   "is refused (dbmig emulates it only in an ALTER TABLE of one action; MySQL "
                   "and SQLite have no such syntax)");
            return;
        }
    }
}

/* ---- cross-db-auto-increment ---------------------------------------------------------- */

static int defines_columns(const xs *x)
{
    return (w(x, 0, "create") && (w(x, 1, "table") || w(x, 2, "table") || w(x, 3, "table"))) ||
           (w(x, 0, "alter") && w(x, 1, "table"));
}

/* A serial type at token i (a column's type): 1 when it is one. */
static int serial_type(xs *x, size_t i)
{
    static const char *const pg_serial[] = {"bigserial", "smallserial", "serial2", "serial4",
                                            "serial8", NULL};
    int plain = w(x, i, "serial");
    if (!plain && !w_any(x, i, pg_serial))
        return 0;
    char what[80];
    snprintf(what, sizeof what, "type %.*s", (int)(x->t[i].end - x->t[i].start),
             x->st->sql + x->t[i].start);
    /* MySQL's SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE; the
     * others are PostgreSQL's alone. SQLite takes any word as a type, but
     * only INTEGER PRIMARY KEY numbers the rows. */
    if (!plain)
        report(x, "cross-db-auto-increment", i, DM_LD_MY, what, "is refused");
    report(x, "cross-db-auto-increment", i, DM_LD_LITE, what,
           "is accepted as a type name but numbers nothing (a row inserted without the column "
           "gets NULL)");
    return 1;
}

static void auto_increment(xs *x)
{
    for (size_t i = 2; i < x->n && !x->oom; i++) {
        if (w(x, i, "auto_increment")) {
            report(x, "cross-db-auto-increment", i, DM_LD_PG | DM_LD_LITE,
                   "AUTO_INCREMENT (MySQL's)", "is refused");
            return;
        }
        if (w(x, i, "autoincrement")) {
            report(x, "cross-db-auto-increment", i, DM_LD_PG | DM_LD_MY,
                   "AUTOINCREMENT (SQLite's)", "is refused");
            return;
        }
        if (w(x, i, "generated") && (w(x, i + 3, "identity") || w(x, i + 4, "identity"))) {
            report(x, "cross-db-auto-increment", i, DM_LD_MY | DM_LD_LITE,
                   "GENERATED ... AS IDENTITY", "is refused");
            return;
        }
    }
}

/* ---- cross-db-type ---------------------------------------------------------------------- */

/* The type at token i (after a column name): reports it when a target
 * refuses it. */
static void type_at(xs *x, size_t i)
{
    static const char *const pg_only[] = {"jsonb", "timestamptz", "timetz", "bytea", "uuid",
                                          "inet", "cidr", "macaddr", "interval", "money",
                                          "tsvector", "citext", "hstore", NULL};
    static const char *const my_only[] = {"tinyint", "mediumint", "tinytext", "mediumtext",
                                          "longtext", "tinyblob", "mediumblob", "longblob",
                                          "blob", "datetime", "year", "varbinary", NULL};
    static const char *const int_types[] = {"int", "integer", "bigint", "smallint", NULL};
    if (i >= x->n || x->t[i].type != DM_LT_WORD)
        return;
    char ty[64];
    snprintf(ty, sizeof ty, "%.*s", (int)(x->t[i].end - x->t[i].start), x->st->sql + x->t[i].start);
    char what[128];
    snprintf(what, sizeof what, "type %s", ty);
    if (serial_type(x, i))
        return;
    if (w_any(x, i, pg_only)) {
        report(x, "cross-db-type", i, DM_LD_MY, what, "is refused");
        return;
    }
    if (w_any(x, i, my_only)) {
        report(x, "cross-db-type", i, DM_LD_PG, what, "is refused");
        return;
    }
    if (w(x, i, "double") && !w(x, i + 1, "precision")) {
        report(x, "cross-db-type", i, DM_LD_PG, "type double (without PRECISION)", "is refused");
        return;
    }
    if ((w(x, i, "enum") || w(x, i, "set")) && p(x, i + 1, '(')) {
        report(x, "cross-db-type", i, DM_LD_PG | DM_LD_LITE,
               "an inline ENUM(...) or SET(...) type (MySQL's)", "is refused");
        return;
    }
    if (w_any(x, i, int_types) && p(x, i + 1, '(')) {
        report(x, "cross-db-type", i, DM_LD_PG, "a display width on an integer type",
               "is refused");
        return;
    }
    if ((w(x, i, "varchar") && !p(x, i + 1, '(')) ||
        (w(x, i, "character") && w(x, i + 1, "varying") && !p(x, i + 2, '('))) {
        report(x, "cross-db-type", i, DM_LD_MY, "varchar without a length", "is refused");
        return;
    }
    size_t k = i + 1;
    if (p(x, k, '(')) { /* timestamp(3) with time zone */
        while (k < x->n && !p(x, k, ')'))
            k++;
        k++;
    }
    if ((w(x, i, "timestamp") || w(x, i, "time")) && w(x, k, "with") && w(x, k + 1, "time")) {
        report(x, "cross-db-type", i, DM_LD_MY, "type ... WITH TIME ZONE", "is refused");
        return;
    }
    if (x->cx->dialect == DBMIG_DIALECT_POSTGRES && p(x, k, '[')) {
        report(x, "cross-db-type", i, DM_LD_MY, "an array type", "is refused");
        return;
    }
    for (size_t u = k; u < x->n && u < k + 2; u++)
        if (w(x, u, "unsigned")) {
            report(x, "cross-db-type", u, DM_LD_PG, "UNSIGNED (MySQL's)", "is refused");
            return;
        }
}

/* The end of the item starting at i in a parenthesised list. */
static size_t item_end(const xs *x, size_t i)
{
    int depth = 0;
    for (; i < x->n; i++) {
        if (p(x, i, '('))
            depth++;
        else if ((p(x, i, ')') && depth-- == 0) || (depth == 0 && p(x, i, ',')))
            return i; /* the list's closing parenthesis, or a comma at its level */
    }
    return x->n;
}

static void create_table_types(xs *x)
{
    static const char *const not_column[] = {"constraint", "primary", "unique", "foreign",
                                             "check", "key", "index", "exclude", "fulltext",
                                             "spatial", "like", "period", NULL};
    size_t i = 0;
    while (i < x->n && !p(x, i, '('))
        i++;
    for (i++; i < x->n && !x->oom;) {
        if (!w_any(x, i, not_column) && i + 1 < x->n)
            type_at(x, i + 1);
        size_t e = item_end(x, i);
        if (e >= x->n || p(x, e, ')'))
            return;
        i = e + 1;
    }
}

static void alter_types(xs *x)
{
    int depth = 0;
    for (size_t i = 3; i < x->n && !x->oom; i++) {
        depth += p(x, i, '(') - p(x, i, ')');
        if (depth)
            continue;
        size_t k = i + 1;
        if (w(x, i, "add") || w(x, i, "modify")) {
            k += w(x, k, "column");
            if (w(x, k, "if"))
                k += w(x, k + 1, "not") ? 3 : 2;
            if (!w(x, k, "constraint") && !w(x, k, "primary") && !w(x, k, "unique") &&
                !w(x, k, "foreign") && !w(x, k, "check") && !w(x, k, "index") &&
                !w(x, k, "key"))
                type_at(x, k + 1);
        } else if (w(x, i, "type") && i > 0) {
            type_at(x, k);
        } else if (w(x, i, "change")) {
            k += w(x, k, "column");
            type_at(x, k + 2);
        }
    }
}

/* ---- cross-db-drop-cascade -------------------------------------------------------------- */

static void drop_cascade(xs *x)
{
    if (!w(x, 0, "drop") || x->n < 3)
        return;
    size_t last = x->n - 1;
    while (last > 0 && p(x, last, ';'))
        last--;
    if (w(x, last, "cascade") || w(x, last, "restrict"))
        report(x, "cross-db-drop-cascade", last, DM_LD_LITE,
               w(x, last, "cascade") ? "DROP ... CASCADE" : "DROP ... RESTRICT",
               "is a syntax error");
}

int dm_lint_xdb(const dm_lctx *cx, dm_lstmt *st, size_t n, unsigned targets, dm_lfindings *out)
{
    for (size_t k = 0; k < n; k++) {
        xs x = {cx, &st[k], NULL, 0, targets, out, 0};
        dm_ltok *t;
        if (dm_lint_tokens(st[k].sql, st[k].len, cx->dialect, &t, &x.n) != 0)
            return -1;
        x.t = t;
        if_exists(&x);
        if (defines_columns(&x)) {
            auto_increment(&x);
            if (w(&x, 0, "create"))
                create_table_types(&x);
            else
                alter_types(&x);
        }
        drop_cascade(&x);
        free(t);
        if (x.oom)
            return -1;
    }
    return 0;
}
