/* inspect.c — the MySQL/MariaDB driver's schema inspection and scratch
 * databases (driver ABI 2.1, SPEC section 12).
 *
 * inspect() reads the connection's DATABASE() from information_schema with
 * one query per object kind, never one per table: tables, checks, columns,
 * foreign keys, keys and indexes (STATISTICS), views, triggers, routines,
 * MariaDB sequences. No query joins COLUMNS (an information_schema join
 * costs a scan per row: 500 tables took 0.8 s with them, 0.15 s without):
 * what columns need from tables and checks is kept in memory.
 * Rows that make one object together (a key's columns, a routine's
 * parameters) come ordered by the binary table and object name, so an
 * object is complete when the name changes; its strings are gathered in a
 * my_strs and reported then. What the driver normalises, and why:
 *
 *   - Defaults. MariaDB (10.2.7+) reports COLUMN_DEFAULT as an SQL
 *     expression ('abc' quoted, current_timestamp(), 1), MySQL reports the
 *     raw value (abc, CURRENT_TIMESTAMP). MySQL's are rewritten into
 *     MariaDB's form, so that the same DDL gives the same default on both,
 *     except that an expression other than CURRENT_TIMESTAMP keeps (or
 *     gets) its parentheses, as MySQL needs them to load it: (rand()) on
 *     MySQL, rand() on MariaDB. (Written from MySQL 8's documentation: no
 *     MySQL server runs in the tests.)
 *     DEFAULT NULL and no default are the same thing for a column and are
 *     reported as no default (MariaDB says NULL, MySQL nothing).
 *   - JSON. MariaDB's JSON is LONGTEXT COLLATE utf8mb4_bin with an implicit
 *     CHECK (json_valid(`c`)) named after the column. Such a column is
 *     reported as type "json" (MySQL's own answer), without that collation
 *     and without that check: the catalog cannot tell it from the same
 *     three written by hand, and either way it is what `json` recreates.
 *   - Keys. MySQL has no unique constraint apart from its unique index
 *     (TABLE_CONSTRAINTS lists each unique index as UNIQUE), so keys and
 *     indexes come from STATISTICS, which also has prefix lengths, index
 *     types and order: PRIMARY is the PRIMARY_KEY (name "": MySQL calls
 *     every one PRIMARY); a unique index of plain columns, BTREE, is a
 *     UNIQUE constraint; any other unique index (a prefix "col(10)", an
 *     expression "(expr)", DESC, HASH) is an INDEX with the UNIQUE flag,
 *     which a UNIQUE constraint could not express. The index MySQL adds
 *     for a foreign key is left out: a non-unique index on exactly the
 *     key's columns named after the key, or, for a key without a name of
 *     its own (<table>_ibfk_<n>), after its first column, as the server
 *     names it.
 *   - Views. VIEW_DEFINITION qualifies every name with the database
 *     (`db`.`t`): that qualifier is removed, so that a scratch database's
 *     view equals the user's. The same for column defaults and generated
 *     expressions (MariaDB reads NEXT VALUE FOR s back as
 *     nextval(`db`.`s`)): a dump or a diff must name the sequence of the
 *     database it runs in, not the one it was read from. A comma join is
 *     printed the way MariaDB reads it back (comma_join).
 *   - CHECK. MySQL wraps CHECK_CLAUSE in one pair of parentheses, MariaDB
 *     does not: MySQL's outer pair is removed.
 *   - Triggers and routines have no CREATE text in information_schema: it
 *     is built from the catalog's columns (TRIGGERS: timing, event,
 *     statement; ROUTINES joined with PARAMETERS: parameters, return type,
 *     characteristics, body; string types with their character set),
 *     without DEFINER, so one query per kind suffices (SHOW CREATE would
 *     be one per object). A body or view text the server hides from the
 *     user (NULL or "") fails inspect, naming the privilege: a text that
 *     recreates nothing would make a broken dump and a false drift.
 *   - MariaDB sequences: SHOW CREATE SEQUENCE's parameters, read from the
 *     sequences' own tables in one UNION ALL query.
 * Left out: ON UPDATE current_timestamp(), system versioning, invisible
 * columns, column comments, table options, trigger order, view options;
 * the model has no field for them.
 *
 * scratch_create() makes CREATE DATABASE `<name>` with the character set
 * and collation of the connection's database, and answers the
 * connection's URL with the database replaced; scratch_drop() drops it.
 */
#include "mysql_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- growing storage ------------------------------------------------------ */

#define MY_NONE ((size_t)-1) /* a NULL string in a my_strs */

/* Strings in one buffer, addressed by index (the buffer moves as it grows,
 * so pointers are taken only when the strings are used). */
typedef struct my_strs {
    const dbmig_host *h;
    char *buf;
    size_t len, cap;
    size_t *off;
    size_t n, ncap;
} my_strs;

/* A text being built. */
typedef struct my_text {
    const dbmig_host *h;
    char *p;
    size_t len, cap;
} my_text;

static int grow(const dbmig_host *h, void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *np;
    if (h->realloc) {
        np = h->realloc(h->payload, *p, ncap * elem);
    } else { /* a host without realloc: alloc and copy */
        np = h->alloc(h->payload, ncap * elem);
        if (np && *p)
            memcpy(np, *p, *cap * elem);
        if (np && *p)
            h->free(h->payload, *p);
    }
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* Appends s (n bytes; s NULL: a NULL string). -1 on no memory. */
static int strs_push(my_strs *s, const char *p, size_t n)
{
    if (grow(s->h, (void **)&s->off, &s->ncap, s->n + 1, sizeof *s->off))
        return -1;
    if (!p) {
        s->off[s->n++] = MY_NONE;
        return 0;
    }
    if (grow(s->h, (void **)&s->buf, &s->cap, s->len + n + 1, 1))
        return -1;
    memcpy(s->buf + s->len, p, n);
    s->buf[s->len + n] = '\0';
    s->off[s->n++] = s->len;
    s->len += n + 1;
    return 0;
}

static const char *strs_get(const my_strs *s, size_t i)
{
    return i < s->n && s->off[i] != MY_NONE ? s->buf + s->off[i] : NULL;
}

static void strs_free(my_strs *s)
{
    if (s->buf)
        s->h->free(s->h->payload, s->buf);
    if (s->off)
        s->h->free(s->h->payload, s->off);
    s->buf = NULL;
    s->off = NULL;
    s->len = s->cap = s->n = s->ncap = 0;
}

static int text_add(my_text *t, const char *s, size_t n)
{
    if (grow(t->h, (void **)&t->p, &t->cap, t->len + n + 1, 1))
        return -1;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
    return 0;
}

static int text_str(my_text *t, const char *s)
{
    return text_add(t, s ? s : "", s ? strlen(s) : 0);
}

/* `name` with backticks doubled. */
static int text_ident(my_text *t, const char *name)
{
    size_t need = my_quote_ident(NULL, NULL, name, strlen(name), NULL, 0);
    if (grow(t->h, (void **)&t->p, &t->cap, t->len + need + 1, 1))
        return -1;
    my_quote_ident(NULL, NULL, name, strlen(name), t->p + t->len, need + 1);
    t->len += need;
    return 0;
}

/* 'value' as MariaDB writes a string in its catalog: ' doubled, \ and
 * newline, carriage return and NUL escaped with a backslash. */
static int text_lit(my_text *t, const char *s, size_t n)
{
    int rc = text_add(t, "'", 1);
    for (size_t i = 0; i < n && !rc; i++) {
        char esc[3] = {'\\', s[i], 0};
        if (s[i] == '\'')
            esc[0] = '\'';
        else if (s[i] == '\n')
            esc[1] = 'n';
        else if (s[i] == '\r')
            esc[1] = 'r';
        else if (s[i] == '\0')
            esc[1] = '0';
        else if (s[i] != '\\') {
            rc = text_add(t, s + i, 1);
            continue;
        }
        rc = text_add(t, esc, 2);
    }
    return rc ? rc : text_add(t, "'", 1);
}

static void text_free(my_text *t)
{
    if (t->p)
        t->h->free(t->h->payload, t->p);
    t->p = NULL;
    t->len = t->cap = 0;
}

/* ---- the inspection's state ---------------------------------------------- */

/* A base table and its default collation (x->tabs, sorted by name). */
typedef struct my_tab {
    const char *name, *collation;
} my_tab;

typedef struct my_ictx {
    dbmig_conn *c;
    dbmig_schema_fn fn;
    void *payload;
    int stop;   /* fn asked to stop, or failed */
    int failed; /* c->err is filled: inspect fails */
    int nomem;
    my_strs grp;  /* the object being gathered: [0] and [1] its key, then fields, parts */
    size_t nhead; /* how many of grp's strings come before the parts */
    int plain;    /* STATISTICS: every part a bare column, ascending */
    my_strs json; /* MariaDB: JSON candidate checks, see check_row */
    my_tab *tabs; /* the base tables, sorted (during ic_columns) */
    size_t ntabs;
    my_strs fks;  /* table, name, columns..., NULL: each foreign key */
    my_strs seqs; /* MariaDB: the sequences' names */
    my_text text; /* scratch for one value */
    my_text def;  /* scratch for one definition */
} my_ictx;

static int ic_emit(my_ictx *x, const dbmig_schema_object *o)
{
    if (!x->stop && x->fn(x->payload, o) != 0)
        x->stop = 1;
    return x->stop;
}

/* Runs one catalog query, row called for each row. -1: a database error
 * (c->err filled) or no memory. */
static int ic_run(my_ictx *x, const char *sql, dbmig_row_fn row)
{
    if (my_query(NULL, x->c, sql, row, x) != DBMIG_DRV_OK || x->failed)
        return -1;
    if (x->nomem)
        return my_fail_msg(x->c, "NOMEM", "mysql: out of memory while inspecting the schema",
                           NULL);
    return 0;
}

/* Whether grp's string i is v (n bytes; v NULL: a NULL string). */
static int grp_is(const my_ictx *x, size_t i, const char *v, size_t n)
{
    const char *g = strs_get(&x->grp, i);
    if (!g || !v)
        return !g && !v;
    return strlen(g) == n && memcmp(g, v, n) == 0;
}

/* Starts a new group when the row's key (its first two values) differs
 * from the current one; flush reports the current one first. Pushes the
 * row's first nhead values as the new group's head. */
static int grp_row(my_ictx *x, const char *const *v, const size_t *l, size_t nhead,
                   void (*flush)(my_ictx *))
{
    if (x->grp.n && grp_is(x, 0, v[0], l[0]) && grp_is(x, 1, v[1], l[1]))
        return 0;
    if (x->grp.n)
        flush(x);
    x->grp.n = x->grp.len = 0;
    x->nhead = nhead;
    x->plain = 1;
    for (size_t i = 0; i < nhead; i++)
        if (strs_push(&x->grp, v[i], l[i]))
            x->nomem = 1;
    return x->nomem;
}

/* grp's parts from index `from` as a pointer array (host memory), or NULL
 * when there are none or on no memory (nomem set). */
static const char **grp_parts(my_ictx *x, size_t from, size_t step, uint32_t *n)
{
    *n = 0;
    if (x->grp.n <= from)
        return NULL;
    size_t cnt = (x->grp.n - from + step - 1) / step;
    const char **v = x->c->host.alloc(x->c->host.payload, cnt * sizeof *v);
    if (!v) {
        x->nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < cnt; i++)
        v[i] = strs_get(&x->grp, from + i * step);
    *n = (uint32_t)cnt;
    return v;
}

/* After a grouped query: reports the last group, then no memory. */
static int ic_end(my_ictx *x, int rc, void (*flush)(my_ictx *))
{
    if (rc == 0 && flush && x->grp.n && !x->stop && !x->nomem)
        flush(x);
    x->grp.n = x->grp.len = 0;
    if (x->failed)
        return -1;
    if (rc == 0 && x->nomem)
        return my_fail_msg(x->c, "NOMEM", "mysql: out of memory while inspecting the schema",
                           NULL);
    return rc;
}

/* A definition the server hides from this user (information_schema gives
 * NULL or ""): inspect fails, naming the object and the privilege, rather
 * than report a text that recreates nothing (and a false drift). */
static int ic_hidden(my_ictx *x, const char *what, const char *name, const char *hint)
{
    char msg[400];
    snprintf(msg, sizeof msg,
             "mysql: the definition of %s %.200s is not visible to this user, so the schema "
             "cannot be inspected",
             what, name ? name : "?");
    my_fail_msg(x->c, "PRIVILEGE", msg, hint);
    x->failed = x->stop = 1;
    return 1;
}

static void ic_free(my_ictx *x, const void *p)
{
    if (p)
        x->c->host.free(x->c->host.payload, (void *)p);
}

static int has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; s && *s; s++)
        if (strncasecmp(s, w, n) == 0)
            return 1;
    return 0;
}

/* ---- CHECK --------------------------------------------------------------- */

/* Whether s (n bytes) is "(...)" with the outer pair matching, quotes
 * skipped. */
static int wrapped(const char *s, size_t n)
{
    if (n < 2 || s[0] != '(' || s[n - 1] != ')')
        return 0;
    int depth = 0;
    char q = 0;
    for (size_t i = 0; i < n; i++) {
        if (q) {
            if (s[i] == '\\' && q != '`')
                i++;
            else if (s[i] == q)
                q = 0;
        } else if (s[i] == '\'' || s[i] == '"' || s[i] == '`') {
            q = s[i];
        } else if (s[i] == '(') {
            depth++;
        } else if (s[i] == ')' && --depth == 0 && i != n - 1) {
            return 0;
        }
    }
    return depth == 0;
}

/* A candidate for MariaDB's implicit CHECK of a JSON column:
 * json_valid(`col`) named after a column, at column level. Whether the
 * column is LONGTEXT (then it is JSON) is known only with the columns. */
static int json_check(my_ictx *x, const char *const *v, const size_t *l)
{
    if (!x->c->mariadb || !v[3] || strcmp(v[3], "Column") != 0 || !v[2])
        return 0;
    x->text.len = 0;
    if (text_str(&x->text, "json_valid(") || text_ident(&x->text, v[1]) ||
        text_str(&x->text, ")")) {
        x->nomem = 1;
        return 0;
    }
    return l[2] == x->text.len && memcmp(v[2], x->text.p, l[2]) == 0;
}

/* Reports a CHECK (MySQL's outer parentheses removed). */
static int check_emit(my_ictx *x, const char *table, const char *name, const char *def,
                      size_t dl)
{
    if (!x->c->mariadb && wrapped(def, dl)) {
        def++;
        dl -= 2;
    }
    x->text.len = 0;
    if (text_add(&x->text, def, dl))
        return x->nomem = 1;
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_CHECK, .table = table,
                             .name = name ? name : "", .definition = x->text.p};
    return ic_emit(x, &o);
}

/* Row: table, name, clause, LEVEL (MariaDB). A JSON candidate waits in
 * x->json (table, column, clause, "0"; "1" once a JSON column took it). */
static int check_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    if (json_check(x, v, l)) {
        if (strs_push(&x->json, v[0], l[0]) || strs_push(&x->json, v[1], l[1]) ||
            strs_push(&x->json, v[2], l[2]) || strs_push(&x->json, "0", 1))
            x->nomem = 1;
        return x->nomem;
    }
    if (x->nomem)
        return 1;
    return check_emit(x, v[0], v[1], v[2] ? v[2] : "", v[2] ? l[2] : 0);
}

/* CHECK_CONSTRAINTS: MariaDB 10.2.22+/10.3.10+ (with TABLE_NAME and
 * LEVEL), MySQL 8.0.16+ (names unique per schema: joined with
 * TABLE_CONSTRAINTS for the table). Older servers have no checks to read. */
static int ic_checks(my_ictx *x)
{
    unsigned long v = x->c->version;
    if (x->c->mariadb) {
        if (v < 100222 || (v >= 100300 && v < 100310))
            return 0;
        return ic_run(x,
                      "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL "
                      "FROM information_schema.CHECK_CONSTRAINTS "
                      "WHERE CONSTRAINT_SCHEMA = DATABASE()",
                      check_row);
    }
    if (v < 80016)
        return 0;
    return ic_run(x,
                  "SELECT t.TABLE_NAME, k.CONSTRAINT_NAME, k.CHECK_CLAUSE, NULL "
                  "FROM information_schema.CHECK_CONSTRAINTS k "
                  "JOIN information_schema.TABLE_CONSTRAINTS t ON t.CONSTRAINT_SCHEMA = "
                  "k.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
                  "AND t.CONSTRAINT_TYPE = 'CHECK' "
                  "WHERE k.CONSTRAINT_SCHEMA = DATABASE() AND t.TABLE_SCHEMA = DATABASE()",
                  check_row);
}

/* The JSON candidates no JSON column took: ordinary checks after all. */
static int ic_checks_left(my_ictx *x)
{
    for (size_t i = 0; i + 3 < x->json.n && !x->stop && !x->nomem; i += 4)
        if (*strs_get(&x->json, i + 3) == '0') {
            const char *def = strs_get(&x->json, i + 2);
            check_emit(x, strs_get(&x->json, i), strs_get(&x->json, i + 1), def, strlen(def));
        }
    return ic_end(x, 0, NULL);
}

/* ---- tables and columns -------------------------------------------------- */

static int cmp_tab(const void *a, const void *b)
{
    return strcmp(((const my_tab *)a)->name, ((const my_tab *)b)->name);
}

/* Row: table, TABLE_COLLATION, TABLE_TYPE. A MariaDB sequence waits in
 * x->seqs for ic_sequences. */
static int table_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    if (v[2] && strcmp(v[2], "SEQUENCE") == 0)
        return strs_push(&x->seqs, v[0], l[0]) ? (x->nomem = 1) : 0;
    if (strs_push(&x->grp, v[0], l[0]) || strs_push(&x->grp, v[1], v[1] ? l[1] : 0))
        return x->nomem = 1;
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_TABLE, .name = v[0]};
    return ic_emit(p, &o);
}

/* The base tables: reported, and kept in x->tabs (pointing into x->grp)
 * for the columns, which are read without a join (information_schema
 * joins cost a table scan each). */
static int ic_tables(my_ictx *x)
{
    x->grp.n = x->grp.len = 0;
    if (ic_run(x,
               "SELECT TABLE_NAME, TABLE_COLLATION, TABLE_TYPE FROM information_schema.TABLES "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', "
               "'SYSTEM VERSIONED', 'SEQUENCE')",
               table_row))
        return -1;
    x->ntabs = x->grp.n / 2;
    if (x->ntabs) {
        x->tabs = x->c->host.alloc(x->c->host.payload, x->ntabs * sizeof *x->tabs);
        if (!x->tabs)
            return my_fail_msg(x->c, "NOMEM", "mysql: out of memory", NULL);
    }
    for (size_t i = 0; i < x->ntabs; i++) {
        x->tabs[i].name = strs_get(&x->grp, 2 * i);
        x->tabs[i].collation = strs_get(&x->grp, 2 * i + 1);
    }
    qsort(x->tabs, x->ntabs, sizeof *x->tabs, cmp_tab);
    return 0;
}

/* Takes MariaDB's JSON candidate check of table.column, if any. */
static int take_json(my_ictx *x, const char *table, const char *column)
{
    for (size_t i = 0; i + 3 < x->json.n; i += 4)
        if (strcmp(strs_get(&x->json, i), table) == 0 &&
            strcmp(strs_get(&x->json, i + 1), column) == 0) {
            x->json.buf[x->json.off[i + 3]] = '1';
            return 1;
        }
    return 0;
}
static const my_tab *find_tab(const my_ictx *x, const char *name)
{
    my_tab key = {name, NULL};
    return x->ntabs ? bsearch(&key, x->tabs, x->ntabs, sizeof *x->tabs, cmp_tab) : NULL;
}

/* Numeric types, whose defaults both servers write bare. */
static int numeric_type(const char *t)
{
    static const char *const num[] = {"tinyint", "smallint", "mediumint", "int", "integer",
                                      "bigint", "decimal", "numeric", "float", "double",
                                      "real", "year", "bit", "boolean", "bool", NULL};
    for (int i = 0; t && num[i]; i++)
        if (strcasecmp(t, num[i]) == 0)
            return 1;
    return 0;
}

static int unqualify(my_text *t, const char *s, size_t n, const char *db);

/* e without the database's own qualifier (`db`.`s3` -> `s3`: a MariaDB
 * default NEXT VALUE FOR s3 reads back as nextval(`db`.`s3`)), in x->def,
 * so that a dump or a diff made from it names the sequence of the database
 * it runs in. e itself when it holds no backquote. */
static const char *ic_unqualified(my_ictx *x, const char *e, const char *db)
{
    if (!e || !strchr(e, '`') || !db)
        return e;
    x->def.len = 0;
    if (text_str(&x->def, "") || unqualify(&x->def, e, strlen(e), db)) {
        x->nomem = 1;
        return e;
    }
    return x->def.p;
}

/* The default in MariaDB's form (see the top): NULL for none. */
static const char *ic_default(my_ictx *x, const char *d, size_t n, const char *data_type,
                              const char *extra)
{
    if (!d || strcmp(d, "NULL") == 0)
        return NULL;
    if (x->c->mariadb)
        return d;
    x->text.len = 0;
    if (has_word(extra, "DEFAULT_GENERATED")) { /* an expression */
        if (strncasecmp(d, "CURRENT_TIMESTAMP", 17) != 0) {
            /* MySQL takes an expression default only in parentheses */
            if (wrapped(d, n))
                return d;
            if (text_str(&x->text, "(") || text_add(&x->text, d, n) || text_str(&x->text, ")"))
                x->nomem = 1;
            return x->text.p;
        }
        const char *rest = d + 17;
        if (text_str(&x->text, "current_timestamp") ||
            text_str(&x->text, *rest ? rest : "()"))
            x->nomem = 1;
        return x->text.p;
    }
    if (numeric_type(data_type))
        return d;
    if (text_lit(&x->text, d, n))
        x->nomem = 1;
    return x->text.p;
}

/* Row: table, column, position, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
 * EXTRA, GENERATION_EXPRESSION, COLLATION_NAME, DATA_TYPE, DATABASE(). */
static int column_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    const my_tab *t = find_tab(x, v[0]);
    if (!t) /* a view's */
        return 0;
    const char *extra = v[6] ? v[6] : "";
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_COLUMN, .table = v[0],
                             .name = v[1], .type = v[3]};
    o.position = v[2] ? (uint32_t)strtoul(v[2], NULL, 10) : 0;
    if (v[8] && (!t->collation || strcmp(v[8], t->collation) != 0))
        o.collation = v[8];
    if (v[4] && strcmp(v[4], "YES") == 0)
        o.flags |= DBMIG_SO_NULLABLE;
    if (has_word(extra, "auto_increment"))
        o.flags |= DBMIG_SO_IDENTITY;
    if (v[7] && *v[7] &&
        (has_word(extra, "GENERATED") || has_word(extra, "VIRTUAL") ||
         has_word(extra, "PERSISTENT") || has_word(extra, "STORED"))) {
        o.generated = ic_unqualified(x, v[7], v[10]);
        if (has_word(extra, "STORED") || has_word(extra, "PERSISTENT"))
            o.flags |= DBMIG_SO_GENERATED_STORED;
    } else {
        o.default_expr = ic_unqualified(x, ic_default(x, v[5], l[5], v[9], extra), v[10]);
    }
    if (x->c->mariadb && v[9] && strcasecmp(v[9], "longtext") == 0 && take_json(x, v[0], v[1])) {
        o.type = "json";
        if (o.collation && strcmp(o.collation, "utf8mb4_bin") == 0)
            o.collation = NULL;
    }
    if (x->nomem)
        return 1;
    return ic_emit(x, &o);
}

static int ic_columns(my_ictx *x)
{
    /* GENERATION_EXPRESSION: MariaDB 10.2.5+, MySQL 5.7+ */
    int gen = !x->c->mariadb || x->c->version >= 100205;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, "
             "COLUMN_DEFAULT, EXTRA, %s, COLLATION_NAME, DATA_TYPE, DATABASE() "
             "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
             gen ? "GENERATION_EXPRESSION" : "NULL");
    int rc = ic_run(x, sql, column_row);
    /* the tables' names are no longer needed */
    ic_free(x, x->tabs);
    x->tabs = NULL;
    x->ntabs = 0;
    x->grp.n = x->grp.len = 0;
    return rc;
}

/* ---- foreign keys -------------------------------------------------------- */

/* grp: table, name, UPDATE_RULE, DELETE_RULE, referenced table, then
 * (column, referenced column) pairs. */
static void fk_flush(my_ictx *x)
{
    uint32_t n = 0, nref = 0;
    const char **cols = grp_parts(x, 5, 2, &n);
    const char **refs = grp_parts(x, 6, 2, &nref);
    if (!x->nomem) {
        dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_FOREIGN_KEY};
        o.table = strs_get(&x->grp, 0);
        o.name = strs_get(&x->grp, 1);
        o.on_update = strs_get(&x->grp, 2);
        o.on_delete = strs_get(&x->grp, 3);
        o.ref_table = strs_get(&x->grp, 4);
        o.columns = cols;
        o.ncolumns = n;
        o.ref_columns = refs;
        o.nref_columns = nref;
        ic_emit(x, &o);
        /* remembered for leaving out the index the server made for it */
        int bad = strs_push(&x->fks, o.table, strlen(o.table)) ||
                  strs_push(&x->fks, o.name, strlen(o.name));
        for (uint32_t i = 0; i < n && !bad; i++)
            bad = strs_push(&x->fks, cols[i], strlen(cols[i]));
        if (bad || strs_push(&x->fks, NULL, 0))
            x->nomem = 1;
    }
    ic_free(x, cols);
    ic_free(x, refs);
}

static int fk_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    if (grp_row(x, v, l, 5, fk_flush) || x->stop)
        return 1;
    if (strs_push(&x->grp, v[5], l[5]) || strs_push(&x->grp, v[6], l[6]))
        x->nomem = 1;
    return x->nomem;
}

static int ic_fks(my_ictx *x)
{
    int rc = ic_run(x,
                    "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, r.UPDATE_RULE, r.DELETE_RULE, "
                    "CASE WHEN k.REFERENCED_TABLE_SCHEMA = k.TABLE_SCHEMA "
                    "THEN k.REFERENCED_TABLE_NAME "
                    "ELSE CONCAT(k.REFERENCED_TABLE_SCHEMA, '.', k.REFERENCED_TABLE_NAME) END, "
                    "k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME "
                    "FROM information_schema.KEY_COLUMN_USAGE k "
                    "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
                    "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME "
                    "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
                    "WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL "
                    "ORDER BY CAST(k.TABLE_NAME AS BINARY), CAST(k.CONSTRAINT_NAME AS BINARY), "
                    "k.ORDINAL_POSITION",
                    fk_row);
    return ic_end(x, rc, fk_flush);
}

/* ---- keys and indexes (STATISTICS) ---------------------------------------- */

/* Whether the non-unique index `name` on table, over cols, is the one the
 * server made for a foreign key (see the top). */
static int fk_index(const my_ictx *x, const char *table, const char *name, const char **cols,
                    uint32_t n)
{
    size_t i = 0;
    while (i < x->fks.n) {
        size_t start = i, end = i + 2;
        while (end < x->fks.n && strs_get(&x->fks, end))
            end++;
        i = end + 1;
        const char *ft = strs_get(&x->fks, start), *fname = strs_get(&x->fks, start + 1);
        if (strcmp(ft, table) != 0 || end - start - 2 != n || n == 0)
            continue;
        int same = 1;
        for (uint32_t k = 0; k < n && same; k++)
            same = strcmp(strs_get(&x->fks, start + 2 + k), cols[k]) == 0;
        if (!same)
            continue;
        if (strcasecmp(fname, name) == 0)
            return 1;
        /* an unnamed key, <table>_ibfk_<n>: its index is named after its first column */
        size_t tl = strlen(table);
        if (strncmp(fname, table, tl) == 0 && strncmp(fname + tl, "_ibfk_", 6) == 0 &&
            strcasecmp(name, cols[0]) == 0)
            return 1;
    }
    return 0;
}

/* grp: table, name, NON_UNIQUE, INDEX_TYPE, then the parts. */
static void index_flush(my_ictx *x)
{
    uint32_t n = 0;
    const char **cols = grp_parts(x, 4, 1, &n);
    if (x->nomem)
        return;
    const char *table = strs_get(&x->grp, 0), *name = strs_get(&x->grp, 1);
    const char *type = strs_get(&x->grp, 3);
    int unique = strcmp(strs_get(&x->grp, 2), "0") == 0;
    int btree = !type || strcasecmp(type, "BTREE") == 0;
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_INDEX, .table = table,
                             .name = name, .columns = cols, .ncolumns = n};
    if (strcmp(name, "PRIMARY") == 0) {
        o.kind = DBMIG_SO_PRIMARY_KEY;
        o.name = "";
    } else if (unique && x->plain && btree) {
        o.kind = DBMIG_SO_UNIQUE;
    } else {
        o.flags = unique ? DBMIG_SO_UNIQUE_INDEX : 0;
        o.method = btree ? NULL : type;
    }
    if (o.kind != DBMIG_SO_INDEX || unique || !fk_index(x, table, name, cols, n))
        ic_emit(x, &o);
    ic_free(x, cols);
}

/* Row: table, name, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME, SUB_PART,
 * COLLATION (A, D or NULL), EXPRESSION (MySQL 8). A part is "col",
 * "col(10)" (a prefix), "(expr)", each followed by " DESC" when
 * descending. */
static int index_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    if (grp_row(x, v, l, 4, index_flush) || x->stop)
        return 1;
    x->text.len = 0;
    int bad;
    if (v[7]) { /* in parentheses, once */
        int w = wrapped(v[7], l[7]);
        bad = (!w && text_str(&x->text, "(")) || text_add(&x->text, v[7], l[7]) ||
              (!w && text_str(&x->text, ")"));
        x->plain = 0;
    } else {
        bad = text_add(&x->text, v[4] ? v[4] : "", v[4] ? l[4] : 0);
    }
    if (v[5]) {
        bad = bad || text_str(&x->text, "(") || text_add(&x->text, v[5], l[5]) ||
              text_str(&x->text, ")");
        x->plain = 0;
    }
    if (v[6] && strcmp(v[6], "D") == 0) {
        bad = bad || text_str(&x->text, " DESC");
        x->plain = 0;
    }
    if (bad || strs_push(&x->grp, x->text.p, x->text.len))
        x->nomem = 1;
    return x->nomem;
}

static int ic_indexes(my_ictx *x)
{
    /* STATISTICS.EXPRESSION: MySQL 8.0.13+ (functional key parts) */
    int expr = !x->c->mariadb && x->c->version >= 80013;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME, SUB_PART, "
             "COLLATION, %s FROM information_schema.STATISTICS "
             "WHERE TABLE_SCHEMA = DATABASE() "
             "ORDER BY CAST(TABLE_NAME AS BINARY), CAST(INDEX_NAME AS BINARY), SEQ_IN_INDEX",
             expr ? "EXPRESSION" : "NULL");
    return ic_end(x, ic_run(x, sql, index_row), index_flush);
}

/* ---- views ---------------------------------------------------------------- */

/* s without the qualifier `db`. (outside string literals). */
static int unqualify(my_text *t, const char *s, size_t n, const char *db)
{
    my_text q = {t->h, NULL, 0, 0};
    if (text_ident(&q, db) || text_str(&q, ".")) {
        text_free(&q);
        return -1;
    }
    int rc = 0;
    size_t i = 0;
    while (i < n && !rc) {
        size_t j = i + 1;
        if (s[i] == '`' && n - i >= q.len && memcmp(s + i, q.p, q.len) == 0) {
            i += q.len;
            continue;
        }
        if (s[i] == '\'' || s[i] == '"' || s[i] == '`') { /* copy the quoted text whole */
            while (j < n && s[j] != s[i])
                j += (s[j] == '\\' && s[i] != '`' && j + 1 < n) ? 2 : 1;
            j = j < n ? j + 1 : n;
        }
        rc = text_add(t, s + i, j - i);
        i = j;
    }
    text_free(&q);
    return rc;
}

/* Where the top-level word w (" from ", " where ", ...) is in s[from..n),
 * outside quotes and parentheses; n when it is not. */
static size_t top_word(const char *s, size_t from, size_t n, const char *w)
{
    size_t wl = strlen(w);
    int depth = 0;
    for (size_t i = from; i < n; i++) {
        char c = s[i];
        if (c == '`' || c == '\'' || c == '"') {
            for (i++; i < n && s[i] != c; i++)
                i += s[i] == '\\' && c != '`';
            continue;
        }
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (!depth && n - i >= wl && strncmp(s + i, w, wl) == 0)
            return i;
    }
    return n;
}

/* MariaDB prints a comma join `FROM a, b, c` as `from a join b join c`,
 * and reading that text back prints `from ((a join b) join c)`: the text
 * of a view made from its own definition would never settle (a dump's
 * reload, a diff's verification). The first form is written as the
 * second, which reads back as itself. A FROM clause that starts with a
 * parenthesis (JOIN ... ON is always printed that way) is left alone. */
static int comma_join(my_text *t, const char *s, size_t n)
{
    size_t f = top_word(s, 0, n, " from ");
    if (f == n || s[f + 6] == '(')
        return text_add(t, s, n);
    size_t start = f + 6, end = n;
    static const char *const stops[] = {" where ", " group by ", " having ", " order by ",
                                        " limit ", " union ", " window ", " procedure "};
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
        size_t e = top_word(s, start, n, stops[k]);
        end = e < end ? e : end;
    }
    size_t joins = 0;
    for (size_t i = top_word(s, start, end, " join "); i < end;
         i = top_word(s, i + 6, end, " join "))
        joins++;
    if (!joins)
        return text_add(t, s, n);
    int rc = text_add(t, s, start);
    for (size_t k = 0; k < joins && !rc; k++)
        rc = text_str(t, "(");
    size_t item = start;
    for (size_t i = top_word(s, start, end, " join "), k = 0; !rc && item < end; k++) {
        rc = text_add(t, s + item, i - item) || (k ? text_str(t, ")") : 0) ||
             (i < end ? text_str(t, " join ") : 0);
        item = i < end ? i + 6 : end;
        i = i < end ? top_word(s, item, end, " join ") : end;
    }
    return rc || text_add(t, s + end, n - end);
}

/* Row: view, VIEW_DEFINITION, DATABASE(). */
static int view_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    if (!v[1] || !*v[1])
        return ic_hidden(x, "view", v[0], "GRANT SHOW VIEW on the database to the user");
    x->def.len = x->text.len = 0;
    if (text_str(&x->def, "") ||
        (v[1] && unqualify(&x->def, v[1], l[1], v[2] ? v[2] : "")) ||
        text_str(&x->text, "") || comma_join(&x->text, x->def.p, x->def.len))
        return x->nomem = 1;
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_VIEW, .name = v[0],
                             .definition = x->text.p};
    return ic_emit(x, &o);
}

/* ---- triggers ------------------------------------------------------------- */

/* Row: table, trigger, ACTION_TIMING, EVENT_MANIPULATION,
 * ACTION_ORIENTATION, ACTION_STATEMENT. */
static int trigger_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    my_text *t = &x->def;
    t->len = 0;
    int bad = text_str(t, "CREATE TRIGGER ") || text_ident(t, v[1]) || text_str(t, " ") ||
              text_str(t, v[2]) || text_str(t, " ") || text_str(t, v[3]) ||
              text_str(t, " ON ") || text_ident(t, v[0]) || text_str(t, " FOR EACH ") ||
              text_str(t, v[4] ? v[4] : "ROW") || text_str(t, " ") ||
              text_add(t, v[5] ? v[5] : "", v[5] ? l[5] : 0);
    if (bad)
        return x->nomem = 1;
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_TRIGGER, .table = v[0],
                             .name = v[1], .definition = t->p};
    return ic_emit(x, &o);
}

static int ic_views_triggers(my_ictx *x)
{
    if (ic_run(x,
               "SELECT TABLE_NAME, VIEW_DEFINITION, DATABASE() FROM information_schema.VIEWS "
               "WHERE TABLE_SCHEMA = DATABASE()",
               view_row) ||
        x->stop)
        return x->stop ? 0 : -1;
    return ic_run(x,
                  "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, "
                  "ACTION_ORIENTATION, ACTION_STATEMENT FROM information_schema.TRIGGERS "
                  "WHERE TRIGGER_SCHEMA = DATABASE()",
                  trigger_row);
}

/* ---- functions and procedures --------------------------------------------- */

/* grp: ROUTINE_TYPE, name, DTD_IDENTIFIER (the return type),
 * IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT,
 * ROUTINE_DEFINITION, then one string per parameter. The text: CREATE
 * FUNCTION|PROCEDURE `name`(params) [RETURNS type] [characteristics that
 * are not the default] body. */
static void routine_flush(my_ictx *x)
{
    const my_strs *g = &x->grp;
    const char *type = strs_get(g, 0), *access = strs_get(g, 4), *comment = strs_get(g, 6);
    if (!type) /* ROUTINE_TYPE is NOT NULL in information_schema.ROUTINES */
        type = "";
    if (!strs_get(g, 7) || !*type) {
        ic_hidden(x, strcmp(type, "FUNCTION") == 0 ? "function" : "procedure", strs_get(g, 1),
                  "inspect as the routine's definer, or give the user the right to read "
                  "routines: GRANT SELECT ON mysql.proc (MariaDB), GRANT SHOW_ROUTINE ON *.* "
                  "(MySQL 8.0.20+)");
        return;
    }
    my_text *t = &x->def;
    t->len = 0;
    int bad = text_str(t, "CREATE ") || text_str(t, type) || text_str(t, " ") ||
              text_ident(t, strs_get(g, 1)) || text_str(t, "(");
    for (size_t i = x->nhead; i < g->n && !bad; i++)
        bad = (i > x->nhead && text_str(t, ", ")) || text_str(t, strs_get(g, i));
    bad = bad || text_str(t, ")");
    if (strcmp(type, "FUNCTION") == 0 && strs_get(g, 2))
        bad = bad || text_str(t, " RETURNS ") || text_str(t, strs_get(g, 2));
    if (strs_get(g, 3) && strcmp(strs_get(g, 3), "YES") == 0)
        bad = bad || text_str(t, " DETERMINISTIC");
    if (access && strcmp(access, "CONTAINS SQL") != 0)
        bad = bad || text_str(t, " ") || text_str(t, access);
    if (strs_get(g, 5) && strcmp(strs_get(g, 5), "INVOKER") == 0)
        bad = bad || text_str(t, " SQL SECURITY INVOKER");
    if (comment && *comment)
        bad = bad || text_str(t, " COMMENT ") || text_lit(t, comment, strlen(comment));
    bad = bad || text_str(t, "\n") || text_str(t, strs_get(g, 7));
    if (bad) {
        x->nomem = 1;
        return;
    }
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_FUNCTION,
                             .name = strs_get(g, 1), .definition = t->p};
    ic_emit(x, &o);
}

/* Row: the 8 routine columns, then PARAMETER_MODE, PARAMETER_NAME,
 * DTD_IDENTIFIER of one parameter (NULL: none). A function's parameters
 * have no mode. */
static int routine_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    (void)l;
    if (grp_row(x, v, l, 8, routine_flush) || x->stop)
        return 1;
    if (!v[9])
        return 0;
    x->text.len = 0;
    int bad = 0;
    if (strcmp(v[0], "PROCEDURE") == 0 && v[8])
        bad = text_str(&x->text, v[8]) || text_str(&x->text, " ");
    bad = bad || text_ident(&x->text, v[9]) || text_str(&x->text, " ") ||
          text_str(&x->text, v[10]);
    if (bad || strs_push(&x->grp, x->text.p, x->text.len))
        x->nomem = 1;
    return x->nomem;
}

/* A parameter's or return value's type, with its character set when it has
 * one (DTD_IDENTIFIER leaves it out; a routine made where another is the
 * default would otherwise change). */
#define MY_DTD(t)                                                                                  \
    "CASE WHEN " t ".CHARACTER_SET_NAME IS NULL OR " t ".DTD_IDENTIFIER LIKE '%CHARSET%' "        \
    "THEN " t ".DTD_IDENTIFIER ELSE CONCAT(" t ".DTD_IDENTIFIER, ' CHARSET ', " t                \
    ".CHARACTER_SET_NAME) END"

static int ic_routines(my_ictx *x)
{
    int rc = ic_run(x,
                    "SELECT r.ROUTINE_TYPE, r.ROUTINE_NAME, " MY_DTD("r") ", r.IS_DETERMINISTIC, "
                    "r.SQL_DATA_ACCESS, r.SECURITY_TYPE, r.ROUTINE_COMMENT, r.ROUTINE_DEFINITION, "
                    "p.PARAMETER_MODE, p.PARAMETER_NAME, " MY_DTD("p") " "
                    "FROM information_schema.ROUTINES r "
                    "LEFT JOIN information_schema.PARAMETERS p "
                    "ON p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.SPECIFIC_NAME "
                    "AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0 "
                    "WHERE r.ROUTINE_SCHEMA = DATABASE() "
                    "AND r.ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') "
                    "ORDER BY r.ROUTINE_TYPE, CAST(r.ROUTINE_NAME AS BINARY), p.ORDINAL_POSITION",
                    routine_row);
    return ic_end(x, rc, routine_flush);
}

/* ---- sequences (MariaDB 10.3+) --------------------------------------------- */

/* Row: the sequence's index in x->seqs, start_value, minimum_value,
 * maximum_value, increment, cache_size, cycle_option. The definition is
 * SHOW CREATE SEQUENCE's, without the name and ENGINE. */
static int sequence_row(void *p, int n, const char *const *v, const size_t *l)
{
    my_ictx *x = p;
    (void)n;
    (void)l;
    for (int i = 0; i < 7; i++)
        if (!v[i])
            return 0;
    my_text *t = &x->def;
    t->len = 0;
    int bad = text_str(t, "start with ") || text_str(t, v[1]) || text_str(t, " minvalue ") ||
              text_str(t, v[2]) || text_str(t, " maxvalue ") || text_str(t, v[3]) ||
              text_str(t, " increment by ") || text_str(t, v[4]);
    if (strcmp(v[5], "0") == 0)
        bad = bad || text_str(t, " nocache");
    else
        bad = bad || text_str(t, " cache ") || text_str(t, v[5]);
    bad = bad || text_str(t, strcmp(v[6], "0") == 0 ? " nocycle" : " cycle");
    if (bad)
        return x->nomem = 1;
    dbmig_schema_object o = {.size = sizeof o, .kind = DBMIG_SO_SEQUENCE,
                             .name = strs_get(&x->seqs, strtoul(v[0], NULL, 10)),
                             .definition = t->p};
    return o.name ? ic_emit(x, &o) : 0;
}

/* A sequence's parameters are rows of its own table: one query reads them
 * all, a UNION ALL of one SELECT per sequence. */
static int ic_sequences(my_ictx *x)
{
    if (!x->seqs.n)
        return 0;
    my_text q = {&x->c->host, NULL, 0, 0};
    int bad = 0;
    for (size_t i = 0; i < x->seqs.n && !bad; i++) {
        char num[32];
        snprintf(num, sizeof num, "%zu", i);
        bad = (i && text_str(&q, " UNION ALL ")) || text_str(&q, "SELECT ") ||
              text_str(&q, num) ||
              text_str(&q, ", start_value, minimum_value, maximum_value, increment, "
                           "cache_size, cycle_option FROM ") ||
              text_ident(&q, strs_get(&x->seqs, i));
    }
    int rc = bad ? my_fail_msg(x->c, "NOMEM", "mysql: out of memory", NULL)
                 : ic_run(x, q.p, sequence_row);
    text_free(&q);
    return rc;
}

/* ---- inspect() -------------------------------------------------------------- */

int my_inspect(void *self, dbmig_conn *c, dbmig_schema_fn fn, void *payload)
{
    (void)self;
    my_err_clear(&c->err);
    my_ictx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.fn = fn;
    x.payload = payload;
    x.grp.h = x.json.h = x.fks.h = x.seqs.h = &c->host;
    x.text.h = x.def.h = &c->host;
    /* tables before columns: their collations and which are base tables;
     * checks before columns: which are MariaDB's JSON; foreign keys before
     * indexes: which index the server made for one */
    int (*const steps[])(my_ictx *) = {ic_tables,  ic_checks,         ic_columns,
                                       ic_checks_left, ic_fks, ic_indexes,
                                       ic_views_triggers, ic_routines, ic_sequences};
    int rc = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && rc == 0 && !x.stop; i++)
        rc = steps[i](&x);
    ic_free(&x, x.tabs);
    strs_free(&x.grp);
    strs_free(&x.json);
    strs_free(&x.fks);
    strs_free(&x.seqs);
    text_free(&x.text);
    text_free(&x.def);
    return rc || x.nomem || x.failed ? DBMIG_DRV_ERROR : DBMIG_DRV_OK;
}

/* ---- scratch databases ---------------------------------------------------- */

#define MY_SCRATCH_HINT                                                                            \
    "the user may not create or drop that database: give --scratch-url naming an empty "          \
    "database it may use, or GRANT CREATE, DROP ON `dbmig\\_scratch\\_%`.* TO the user"

/* The core names scratch databases [a-z0-9_]; nothing else is created or
 * dropped here (a DROP DATABASE of a name from elsewhere is refused). */
static int scratch_name_ok(const char *name, dbmig_db_error *err)
{
    size_t n = strlen(name);
    int ok = n > 0 && n <= 64;
    for (size_t i = 0; i < n && ok; i++)
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
             name[i] == '_';
    if (!ok)
        my_set(err, "ARG", "scratch database names are [a-z0-9_], at most 64 characters",
               "mysql: refusing the scratch database name '%.80s'%s", name, "");
    return ok;
}

/* url with its database (the path) replaced by name, every other part kept,
 * split as connect() splits it: the user info ends at the last '@', the
 * database runs from the first '/' after it to '?' or the end. */
static int scratch_url(const char *url, const char *name, char *out, size_t cap)
{
    const char *rest = url ? strstr(url, "://") : NULL;
    if (!rest)
        return -1;
    rest += 3;
    const char *at = strrchr(rest, '@');
    const char *h = at ? at + 1 : rest;
    const char *q = strchr(h, '?');
    const char *end = q ? q : h + strlen(h);
    const char *slash = memchr(h, '/', (size_t)(end - h));
    if (!slash)
        return -1;
    int n = snprintf(out, cap, "%.*s/%s%s", (int)(slash - url), url, name, end);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* c's error into err, with the scratch hint when the server said no. */
static void scratch_fail(dbmig_conn *c, dbmig_db_error *err)
{
    if (!err)
        return;
    *err = c->err;
    unsigned no = (unsigned)strtoul(err->code, NULL, 10);
    if (no == 1044 || no == 1045 || no == 1142 || no == 1227 || no == 1410)
        snprintf(err->hint, sizeof err->hint, "%s", MY_SCRATCH_HINT);
}

/* The character set and collation of the connection's database, so that
 * tables made in the scratch database get the same defaults. */
static int first_two(void *p, int n, const char *const *v, const size_t *l)
{
    char(*out)[2][64] = p;
    (void)l;
    for (int i = 0; i < 2 && i < n; i++) {
        const char *s = v[i] ? v[i] : "";
        size_t k = 0;
        while (k < 63 && s[k] &&
               ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
                (s[k] >= '0' && s[k] <= '9') || s[k] == '_'))
            k++;
        (*out)[i][0] = '\0';
        if (!s[k]) /* a plain word, or nothing */
            snprintf((*out)[i], 64, "%s", s);
    }
    return 1;
}

int my_scratch_create(void *self, dbmig_conn *c, const char *name, char *url, size_t cap,
                      dbmig_db_error *err)
{
    (void)self;
    if (!c || !name) {
        my_set(err, "ARG", NULL, "mysql: scratch_create needs a connection and a name%s%s", "",
               "");
        return DBMIG_DRV_ERROR;
    }
    if (!scratch_name_ok(name, err))
        return DBMIG_DRV_ERROR;
    if (!url || scratch_url(c->url, name, url, cap)) {
        my_set(err, "ARG", NULL, "mysql: the scratch database's URL does not fit (%s)%s",
               "buffer too small", "");
        return DBMIG_DRV_ERROR;
    }
    char cs[2][64] = {"", ""};
    if (my_query(NULL, c,
                 "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                 "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
                 first_two, cs) != DBMIG_DRV_OK) {
        scratch_fail(c, err);
        return DBMIG_DRV_ERROR;
    }
    char sql[300];
    int n = snprintf(sql, sizeof sql, "CREATE DATABASE `%s`", name);
    if (cs[0][0])
        n += snprintf(sql + n, sizeof sql - (size_t)n, " CHARACTER SET %s", cs[0]);
    if (cs[1][0])
        snprintf(sql + n, sizeof sql - (size_t)n, " COLLATE %s", cs[1]);
    if (my_exec(NULL, c, sql, strlen(sql), NULL) != DBMIG_DRV_OK) {
        scratch_fail(c, err);
        return DBMIG_DRV_ERROR;
    }
    return DBMIG_DRV_OK;
}

int my_scratch_drop(void *self, dbmig_conn *c, const char *name, const char *url,
                    dbmig_db_error *err)
{
    (void)self;
    (void)url;
    if (!c || !name) {
        my_set(err, "ARG", NULL, "mysql: scratch_drop needs a connection and a name%s%s", "", "");
        return DBMIG_DRV_ERROR;
    }
    if (!scratch_name_ok(name, err))
        return DBMIG_DRV_ERROR;
    char sql[120];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`", name);
    if (my_exec(NULL, c, sql, strlen(sql), NULL) != DBMIG_DRV_OK) {
        scratch_fail(c, err);
        return DBMIG_DRV_ERROR;
    }
    return DBMIG_DRV_OK;
}
