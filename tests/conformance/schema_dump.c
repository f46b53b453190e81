/* schema_dump.c — prints a database's schema, read through the driver
 * plugin's own connection from the database's catalog, in a normalised form
 * that is the same on SQLite, PostgreSQL and MySQL/MariaDB when the schemas
 * match:
 *
 *   table <t>
 *   column <t>.<c> null|notnull
 *   index <t>.<name> unique|nonunique (<col>,<col>...)
 *
 * Names are lower-case; lines are sorted. Compared: tables, columns with
 * their nullability (a primary-key column counts as NOT NULL everywhere),
 * indexes with their columns in order and their uniqueness. Not compared:
 * types and defaults (they are dialect-specific by nature), primary-key
 * indexes, and the indexes MySQL adds by itself for foreign keys. An index
 * that backs a UNIQUE constraint (SQLite, PostgreSQL) is printed with the
 * name "*", since each database names those differently; MySQL cannot tell
 * them from CREATE UNIQUE INDEX, so portable migrations (and the corpus)
 * create unique indexes explicitly.
 *
 *   schema_dump PLUGIN_DIR URL
 *
 * Exit 0, or 1 with a message on stderr. Used by conformance.sh; linked with
 * dbmig_static for the plugin loader only. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loader.h"
#include "util.h"

typedef struct lines {
    char **v;
    size_t n, cap;
} lines;

static void add_line(lines *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) {
            fputs("schema_dump: out of memory\n", stderr);
            exit(1);
        }
    }
    char *d = strdup(s);
    if (!d) {
        fputs("schema_dump: out of memory\n", stderr);
        exit(1);
    }
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    l->v[l->n++] = d;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- row collectors --------------------------------------------------- */

/* "table t" */
static int on_table(void *p, int n, const char *const *v, const size_t *len)
{
    (void)len;
    char s[600];
    if (n < 1 || !v[0])
        return 0;
    snprintf(s, sizeof s, "table %s", v[0]);
    add_line(p, s);
    return 0;
}

/* table, column, nullable (1/0 or YES/NO) */
static int on_column(void *p, int n, const char *const *v, const size_t *len)
{
    (void)len;
    char s[800];
    if (n < 3 || !v[0] || !v[1] || !v[2])
        return 0;
    int nullable = strcasecmp(v[2], "yes") == 0 || strcmp(v[2], "1") == 0 ||
                   strcasecmp(v[2], "t") == 0 || strcasecmp(v[2], "true") == 0;
    snprintf(s, sizeof s, "column %s.%s %s", v[0], v[1], nullable ? "null" : "notnull");
    add_line(p, s);
    return 0;
}

/* Index rows: table, index, unique (1/0/t/f), constraint-backed (1/0),
 * column, ordered by table, index, position: consecutive rows of one index
 * are gathered. */
typedef struct idx_acc {
    lines *out;
    char table[256], name[256], cols[1024];
    int unique, backed, open;
} idx_acc;

static int truthy(const char *s)
{
    return s && (strcmp(s, "1") == 0 || strcasecmp(s, "t") == 0 || strcasecmp(s, "true") == 0);
}

static void idx_flush(idx_acc *a)
{
    if (!a->open)
        return;
    char s[1700];
    snprintf(s, sizeof s, "index %s.%s %s (%s)", a->table, a->backed ? "*" : a->name,
             a->unique ? "unique" : "nonunique", a->cols);
    add_line(a->out, s);
    a->open = 0;
}

static int on_index(void *p, int n, const char *const *v, const size_t *len)
{
    (void)len;
    idx_acc *a = p;
    if (n < 5 || !v[0] || !v[1])
        return 0;
    if (!a->open || strcmp(a->table, v[0]) != 0 || strcmp(a->name, v[1]) != 0) {
        idx_flush(a);
        snprintf(a->table, sizeof a->table, "%s", v[0]);
        snprintf(a->name, sizeof a->name, "%s", v[1]);
        a->unique = truthy(v[2]);
        a->backed = truthy(v[3]);
        a->cols[0] = '\0';
        a->open = 1;
    }
    size_t o = strlen(a->cols);
    snprintf(a->cols + o, sizeof a->cols - o, "%s%s", o ? "," : "", v[4] ? v[4] : "<expr>");
    return 0;
}

/* ---- the catalog queries, per dialect ---------------------------------- */

static const char *const SQLITE_Q[3] = {
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "SELECT m.name, p.name, CASE WHEN p.\"notnull\" OR p.pk > 0 THEN 0 ELSE 1 END "
    "FROM sqlite_master m JOIN pragma_table_info(m.name) p "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    "SELECT m.name, il.name, il.\"unique\", CASE WHEN il.origin = 'u' THEN 1 ELSE 0 END, ii.name "
    "FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND il.origin <> 'pk' "
    "ORDER BY m.name, il.name, ii.seqno",
};

static const char *const PG_Q[3] = {
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
    "WHERE table_schema = current_schema()",
    "SELECT t.relname, i.relname, ix.indisunique, "
    "       CASE WHEN c.conname IS NULL THEN 0 ELSE 1 END, a.attname "
    "FROM pg_index ix "
    "JOIN pg_class t ON t.oid = ix.indrelid "
    "JOIN pg_class i ON i.oid = ix.indexrelid "
    "JOIN pg_namespace n ON n.oid = t.relnamespace "
    "CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) "
    "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
    "LEFT JOIN pg_constraint c ON c.conindid = ix.indexrelid AND c.contype = 'u' "
    "WHERE n.nspname = current_schema() AND NOT ix.indisprimary "
    "ORDER BY t.relname, i.relname, k.ord",
};

static const char *const MY_Q[3] = {
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
    "WHERE table_schema = DATABASE()",
    "SELECT s.table_name, s.index_name, 1 - s.non_unique, 0, s.column_name "
    "FROM information_schema.statistics s "
    "WHERE s.table_schema = DATABASE() AND s.index_name <> 'PRIMARY' "
    "AND s.index_name NOT IN (SELECT tc.constraint_name FROM information_schema.table_constraints tc "
    "  WHERE tc.table_schema = s.table_schema AND tc.table_name = s.table_name "
    "  AND tc.constraint_type = 'FOREIGN KEY') "
    "ORDER BY s.table_name, s.index_name, s.seq_in_index",
};

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

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: schema_dump PLUGIN_DIR URL\n", stderr);
        return 2;
    }
    const char *url = argv[2];
    const char *name = NULL;
    if (strncasecmp(url, "sqlite", 6) == 0)
        name = "sqlite";
    else if (strncasecmp(url, "postgres", 8) == 0)
        name = "postgres";
    else if (strncasecmp(url, "mysql", 5) == 0 || strncasecmp(url, "mariadb", 7) == 0)
        name = "mysql";
    else {
        fputs("schema_dump: unknown URL scheme\n", stderr);
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
    dbmig_conn *c = NULL;
    dbmig_db_error de;
    memset(&de, 0, sizeof de);
    if (d->connect(NULL, &host, url, &c, &de) != DBMIG_DRV_OK) {
        fprintf(stderr, "schema_dump: cannot connect: %s [%s]\n", de.message, de.code);
        dm_plugin_unload(plugin);
        return 1;
    }
    const char *const *q = d->dialect == DBMIG_DIALECT_SQLITE     ? SQLITE_Q
                           : d->dialect == DBMIG_DIALECT_POSTGRES ? PG_Q
                                                                  : MY_Q;
    lines out = {0};
    idx_acc acc = {.out = &out};
    int rc = 0;
    if (d->query(NULL, c, q[0], on_table, &out) != DBMIG_DRV_OK ||
        d->query(NULL, c, q[1], on_column, &out) != DBMIG_DRV_OK ||
        d->query(NULL, c, q[2], on_index, &acc) != DBMIG_DRV_OK) {
        fprintf(stderr, "schema_dump: catalog query failed: %s [%s]\n",
                d->last_error(NULL, c)->message, d->last_error(NULL, c)->code);
        rc = 1;
    }
    idx_flush(&acc);
    d->close(NULL, c);
    dm_plugin_unload(plugin);
    if (rc == 0) {
        qsort(out.v, out.n, sizeof *out.v, cmp);
        for (size_t i = 0; i < out.n; i++)
            printf("%s\n", out.v[i]);
    }
    for (size_t i = 0; i < out.n; i++)
        free(out.v[i]);
    free(out.v);
    return rc;
}
