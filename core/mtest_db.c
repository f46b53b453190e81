/* mtest_db.c — the SQL `dbmig test` sends itself (see mtest.h): verify and
 * fixture sections, table digests, emptying a database for --yes-destroy.
 *
 * Why it is built this way:
 *   - A section runs through dm_exec_section (exec.c), the code that
 *     `upgrade --verify` runs too: statement by statement, each failing one
 *     named by its file:line. The tables a fixture fills are read from its
 *     INSERT statements.
 *   - A digest hashes each row on its own (every value length-prefixed, NULL
 *     distinct from ''), sorts the row hashes and hashes the sorted list:
 *     the same rows in any physical order give the same digest, so a table
 *     rebuilt by a later migration does not look changed.
 *   - Emptying works from the schema model (dm_inspect), so it drops what
 *     `test` would compare and nothing it cannot see; each dialect's way to
 *     drop past foreign keys is one statement before the drops (MySQL).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec.h"
#include "inspect.h"
#include "loader.h"
#include "mtest.h"
#include "sha256.h"

static const char *drv_name(const dbmig *h) { return h->drv ? h->drv->name : NULL; }

/* ---- sections ------------------------------------------------------------------ */

/* The words after the keyword `INTO` of an INSERT (INSERT [OR x|IGNORE]
 * INTO t), unquoted: "t" or "s.t"; NULL when sql is no INSERT. */
static char *insert_table(const char *sql)
{
    if (strncasecmp(sql, "insert", 6) != 0 || isalnum((unsigned char)sql[6]))
        return NULL;
    const char *p = sql + 6;
    for (int words = 0; words < 4; words++) {
        while (isspace((unsigned char)*p))
            p++;
        if (strncasecmp(p, "into", 4) == 0 && isspace((unsigned char)p[4])) {
            p += 4;
            break;
        }
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    while (isspace((unsigned char)*p))
        p++;
    dm_buf b = {0};
    while (*p) {
        if (*p == '"' || *p == '`') {
            char q = *p++;
            const char *e = strchr(p, q);
            if (!e)
                break;
            dm_buf_append(&b, p, (size_t)(e - p));
            p = e + 1;
        } else if (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || *p == '.') {
            dm_buf_append(&b, p++, 1);
        } else {
            break;
        }
    }
    if (b.len == 0) {
        dm_buf_free(&b);
        return NULL;
    }
    return dm_buf_take(&b);
}

static int add_table_once(dm_strv *tables, const char *sql)
{
    char *t = insert_table(sql);
    if (!t)
        return 0;
    int have = 0;
    for (size_t i = 0; i < tables->n; i++)
        have |= strcmp(tables->v[i], t) == 0;
    int rc = have ? 0 : dm_strv_push(tables, t);
    free(t);
    return rc;
}

int dm_mt_section(dbmig *h, const dm_migfile *mf, int kind, int *found, dm_strv *tables)
{
    *found = dm_migfile_section(mf, kind, drv_name(h)) != NULL;
    int rc = *found ? dm_need_conn_create(h) : DBMIG_OK;
    if (rc == DBMIG_OK && *found)
        rc = dm_exec_section(h, mf, kind);
    if (rc != DBMIG_OK || !*found || !tables)
        return rc;
    dm_stmt_list l = {0};
    int any = 0;
    rc = dm_migfile_statements(mf, kind, drv_name(h), (int)h->drv->dialect, &l, &any, &h->err);
    for (size_t k = 0; rc == DBMIG_OK && k < l.n; k++)
        if (add_table_once(tables, l.v[k].sql) != 0)
            rc = dm_err_nomem(&h->err);
    dm_stmt_list_free(&l);
    return rc;
}

/* ---- digests ------------------------------------------------------------------- */

typedef struct rowset {
    char (*v)[DM_SHA256_V1_LEN + 1];
    size_t n, cap;
    int oom;
} rowset;

static int hash_row(void *payload, int ncols, const char *const *values, const size_t *lengths)
{
    rowset *rs = payload;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        void *v = realloc(rs->v, cap * sizeof *rs->v);
        if (!v) {
            rs->oom = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    dm_sha256 s;
    dm_sha256_init(&s);
    for (int i = 0; i < ncols; i++) {
        char head[24];
        int n = values[i] ? snprintf(head, sizeof head, "V%zu:", lengths[i])
                          : snprintf(head, sizeof head, "N:");
        dm_sha256_update(&s, head, (size_t)n);
        if (values[i])
            dm_sha256_update(&s, values[i], lengths[i]);
    }
    dm_sha256_v1(&s, rs->v[rs->n++]);
    return 0;
}

static int cmp_row(const void *a, const void *b) { return strcmp(a, b); }

/* The columns of table in ref, quoted and comma-separated, "*" when ref
 * does not know it. */
static int column_list(dbmig *h, const char *table, const dm_schema *ref, dm_buf *q)
{
    const char *dot = strrchr(table, '.');
    const char *base = dot ? dot + 1 : table;
    size_t n = 0;
    for (size_t i = 0; ref && i < ref->n; i++) {
        const dm_sobj *o = &ref->v[i];
        if (o->kind != DBMIG_SO_COLUMN || !o->table || strcasecmp(o->table, base) != 0)
            continue;
        if (n++ && dm_buf_puts(q, ", "))
            return dm_err_nomem(&h->err);
        int rc = dm_quote_ident(h, o->name, q);
        if (rc != DBMIG_OK)
            return rc;
    }
    return n || !dm_buf_puts(q, "*") ? DBMIG_OK : dm_err_nomem(&h->err);
}

/* "SELECT <columns> FROM " and the table quoted part by part (s.t). */
static int select_all(dbmig *h, const char *table, const dm_schema *ref, dm_buf *q)
{
    int rc = dm_buf_puts(q, "SELECT ") ? dm_err_nomem(&h->err) : DBMIG_OK;
    if (rc == DBMIG_OK)
        rc = column_list(h, table, ref, q);
    if (rc == DBMIG_OK && dm_buf_puts(q, " FROM "))
        rc = dm_err_nomem(&h->err);
    const char *p = table;
    while (rc == DBMIG_OK) {
        const char *dot = strchr(p, '.');
        char *part = dot ? dm_strndup(p, (size_t)(dot - p)) : dm_strdup(p);
        rc = part ? dm_quote_ident(h, part, q) : dm_err_nomem(&h->err);
        free(part);
        if (!dot)
            break;
        if (rc == DBMIG_OK && dm_buf_puts(q, "."))
            rc = dm_err_nomem(&h->err);
        p = dot + 1;
    }
    return rc;
}

int dm_mt_digest(dbmig *h, const char *table, const dm_schema *ref, dm_tdigest *out)
{
    memset(out, 0, sizeof *out);
    dm_buf q = {0};
    rowset rs = {0};
    int rc = select_all(h, table, ref, &q);
    if (rc == DBMIG_OK &&
        h->drv->query(h->drv_self, h->conn, dm_buf_str(&q), hash_row, &rs) != DBMIG_DRV_OK) {
        const dbmig_db_error *e = h->drv->last_error(h->drv_self, h->conn);
        out->rows = -1;
        snprintf(out->why, sizeof out->why, "%.190s", e ? e->message : "unreadable");
    } else if (rc == DBMIG_OK && rs.oom) {
        rc = dm_err_nomem(&h->err);
    } else if (rc == DBMIG_OK) {
        qsort(rs.v, rs.n, sizeof *rs.v, cmp_row);
        dm_sha256 s;
        dm_sha256_init(&s);
        for (size_t i = 0; i < rs.n; i++)
            dm_sha256_update(&s, rs.v[i], DM_SHA256_V1_LEN);
        char all[DM_SHA256_V1_LEN + 1];
        dm_sha256_v1(&s, all);
        memcpy(out->hex, all + 3, 16);
        out->rows = (long long)rs.n;
    }
    free(rs.v);
    dm_buf_free(&q);
    return rc;
}

/* ---- emptying (--yes-destroy) ---------------------------------------------------- */

/* One DROP for o ("" when its kind goes with its table). */
static int drop_sql(dbmig *h, const dm_sobj *o, dm_buf *q)
{
    int pg = h->drv->dialect == DBMIG_DIALECT_POSTGRES;
    const char *what = o->kind == DBMIG_SO_TABLE      ? "TABLE"
                       : o->kind == DBMIG_SO_VIEW     ? "VIEW"
                       : o->kind == DBMIG_SO_SEQUENCE ? "SEQUENCE"
                       : o->kind == DBMIG_SO_FUNCTION ? "FUNCTION"
                       : o->kind == DBMIG_SO_ENUM     ? "TYPE"
                                                      : NULL;
    if (!what || !o->name)
        return DBMIG_OK;
    const char *paren = o->kind == DBMIG_SO_FUNCTION ? strchr(o->name, '(') : NULL;
    char *name = paren ? dm_strndup(o->name, (size_t)(paren - o->name)) : dm_strdup(o->name);
    int rc = name && dm_buf_printf(q, "DROP %s IF EXISTS ", what) == 0 ? DBMIG_OK
                                                                       : dm_err_nomem(&h->err);
    if (rc == DBMIG_OK)
        rc = dm_quote_ident(h, name, q);
    if (rc == DBMIG_OK && paren && pg && dm_buf_puts(q, paren))
        rc = dm_err_nomem(&h->err);
    if (rc == DBMIG_OK && pg && dm_buf_puts(q, " CASCADE"))
        rc = dm_err_nomem(&h->err);
    free(name);
    return rc;
}

/* The drops, views first (they depend on tables), then tables, then the
 * rest, enum types last (a table or function may use one); each failure is
 * kept in h->err and the next one tried. */
static int drop_all(dbmig *h, const dm_schema *s)
{
    static const int order[] = {DBMIG_SO_VIEW, DBMIG_SO_TABLE, DBMIG_SO_SEQUENCE,
                                DBMIG_SO_FUNCTION, DBMIG_SO_ENUM};
    int rc = DBMIG_OK;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i].kind != order[k])
                continue;
            dm_buf q = {0};
            int r = drop_sql(h, &s->v[i], &q);
            if (r == DBMIG_OK && q.len)
                r = dm_sql_exec(h, dm_buf_str(&q), NULL);
            dm_buf_free(&q);
            if (r != DBMIG_OK)
                rc = r;
        }
    return rc;
}

int dm_mt_empty(dbmig *h)
{
    dm_schema s = {0};
    int rc = dm_inspect(h, &s);
    if (rc == DBMIG_OK && h->conn) {
        /* MySQL refuses to drop a table another one references; SQLite
         * connections leave foreign keys off; PostgreSQL drops CASCADE. */
        int my = h->drv->dialect == DBMIG_DIALECT_MYSQL;
        if (my)
            rc = dm_sql_exec(h, "SET FOREIGN_KEY_CHECKS = 0", NULL);
        if (rc == DBMIG_OK)
            rc = drop_all(h, &s);
        if (rc == DBMIG_OK)
            rc = dm_drop_version_tables(h);
        if (my)
            (void)dm_sql_exec(h, "SET FOREIGN_KEY_CHECKS = 1", NULL);
    }
    dm_schema_free(&s);
    if (rc != DBMIG_OK)
        return dm_err_prefix(&h->err, "--yes-destroy could not empty the database: ");
    dm_schema left = {0};
    rc = dm_inspect(h, &left);
    if (rc == DBMIG_OK && left.n)
        rc = dm_err_set(&h->err, DBMIG_ERROR,
                        "--yes-destroy could not empty the database: %s%s%s%s is still there; "
                        "drop it by hand and run again",
                        left.v[0].table ? left.v[0].table : "", left.v[0].table ? ": " : "",
                        left.v[0].name ? left.v[0].name : "",
                        left.n > 1 ? " (and more)" : "");
    dm_schema_free(&left);
    return rc;
}
