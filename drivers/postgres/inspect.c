/* inspect.c — the PostgreSQL driver's inspect() (driver ABI 2.1, enum
 * types 2.2; SPEC section 12): the connection's current_schema()
 * described object by object, from pg_catalog.
 *
 * Why it is built this way:
 *   - One catalog query per object kind (tables, columns, constraints,
 *     indexes, views, sequences, triggers, functions, enum types), never
 *     one per table: a 2,000-table schema is nine round trips.
 *   - Enum types of the current schema are reported by their bare name,
 *     as tables are; a column of one reports format_type's spelling, which
 *     is the same bare name while the schema is on the search_path (as
 *     current_schema() is), quoted when the name needs it ("Mood"), and
 *     schema-qualified for an enum of another schema (not reported).
 *   - Every query returns the same 17 columns, in the order of
 *     dbmig_schema_object's fields (PG_COLS below), so ONE row callback
 *     turns any row into an object. What PostgreSQL spells differently from
 *     the contract is mapped in SQL, where the catalog is: foreign-key
 *     actions ('c' -> "CASCADE"), flags as bits, "CHECK (...)" unwrapped,
 *     an index expression put in parentheses, the view's trailing ';' cut.
 *   - A list of names (a key's columns) travels in one text column, each
 *     name double-quoted with its quotes doubled, joined with commas
 *     ("a""b","c" is a"b and c):
 *     it is independent of the client encoding and of what a name holds;
 *     the row callback unpacks it into a per-row array, reused row after
 *     row (memory stays the size of the largest row, not of the schema).
 *   - The queries run in one REPEATABLE READ READ ONLY transaction when
 *     the connection is idle, so the kinds agree with each other while
 *     migrations run elsewhere.
 *   - Left out: objects owned by an extension (pg_depend 'e'), internal
 *     triggers, the indexes behind a PRIMARY KEY, UNIQUE or EXCLUDE
 *     constraint, identity sequences (the identity column says it), and
 *     the constraints a partition inherits from its partitioned table (and
 *     the per-partition copies of a foreign key to a partitioned table:
 *     conparentid), which the parent's constraint says.
 *     Not modelled: materialized views, exclusion constraints, an index
 *     key's NULLS FIRST/LAST when not the default (DESC is: "c DESC"),
 *     INCLUDE columns, user-defined types other than enums (domains,
 *     composite and range types).
 *   - One rewrite of the server's text: exprnorm.c (an IN list's array
 *     cast, put in the form PostgreSQL gives back once the text is loaded
 *     again), so that a dump reloads to the same model.
 *   - Servers 11 and newer; attgenerated exists from 12 on (11 reads '').
 */
#include "pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_COLS 17

/* The current schema's oid, and "not owned by an extension". */
#define PG_NS                                                                                      \
    "(SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = pg_catalog.current_schema())"
#define PG_NOT_EXT(cls, oid)                                                                       \
    " NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '" cls                    \
    "'::pg_catalog.regclass AND e.objid = " oid " AND e.deptype = 'e') "
/* One name of a list, quoted for pg_insp_names. */
#define PG_ENC(x) "'\"' || pg_catalog.replace((" x ")::text, '\"', '\"\"') || '\"'"
/* The 8 trailing NULL columns of a kind that uses none of them. */
#define PG_NULLS8 "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"

/* kind, table, name, flags, position, type, default_expr, generated,
 * collation, columns, ref_table, ref_columns, on_delete, on_update,
 * predicate, method, definition */

static const char pg_q_tables[] =
    "SELECT 1, NULL, c.relname, 0, 0, NULL, NULL, NULL, NULL, " PG_NULLS8 " "
    "FROM pg_catalog.pg_class c WHERE c.relnamespace = " PG_NS " AND c.relkind IN ('r', 'p') "
    "AND" PG_NOT_EXT("pg_class", "c.oid") "ORDER BY 3";

/* %s: the attgenerated column, or '' before PostgreSQL 12 (three times) */
static const char pg_q_columns[] =
    "SELECT 2, c.relname, a.attname, "
    "(CASE WHEN a.attnotnull THEN 0 ELSE 1 END) | (CASE WHEN a.attidentity <> '' THEN 2 ELSE 0 END)"
    " | (CASE WHEN %s = 's' THEN 4 ELSE 0 END), "
    "pg_catalog.row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum), "
    "pg_catalog.format_type(a.atttypid, a.atttypmod), "
    "CASE WHEN %s = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) END, "
    "CASE WHEN %s = 's' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) END, "
    "CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, " PG_NULLS8 " "
    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
    "WHERE c.relnamespace = " PG_NS " AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
    "AND NOT a.attisdropped AND" PG_NOT_EXT("pg_class", "c.oid") "ORDER BY 2, 5";

#define PG_FK_ACTION(col)                                                                          \
    "CASE " col " WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' "     \
    "WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END"
#define PG_KEY_NAMES(keys, rel)                                                                    \
    "(SELECT pg_catalog.string_agg(" PG_ENC("a.attname") ", ',' ORDER BY k.n) "                     \
    "FROM pg_catalog.unnest(" keys ") WITH ORDINALITY k(attnum, n) "                               \
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = " rel " AND a.attnum = k.attnum)"

static const char pg_q_constraints[] =
    "SELECT CASE con.contype WHEN 'p' THEN 3 WHEN 'u' THEN 4 WHEN 'f' THEN 5 ELSE 6 END, "
    "c.relname, con.conname, CASE WHEN con.contype = 'f' AND con.condeferrable THEN 16 ELSE 0 END, "
    "0, NULL, NULL, NULL, NULL, "
    "CASE WHEN con.contype <> 'c' THEN " PG_KEY_NAMES("con.conkey", "con.conrelid") " END, "
    "CASE WHEN r.relnamespace = c.relnamespace THEN r.relname::text "
    "ELSE rn.nspname || '.' || r.relname END, "
    "CASE WHEN con.contype = 'f' THEN " PG_KEY_NAMES("con.confkey", "con.confrelid") " END, "
    PG_FK_ACTION("con.confdeltype") ", " PG_FK_ACTION("con.confupdtype") ", NULL, NULL, "
    "CASE WHEN con.contype = 'c' THEN pg_catalog.regexp_replace("
    "pg_catalog.pg_get_constraintdef(con.oid, true), "
    "'^CHECK \\((.*)\\)( NO INHERIT)?( NOT VALID)?$', '\\1') END "
    "FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
    "LEFT JOIN pg_catalog.pg_class r ON r.oid = con.confrelid "
    "LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace "
    "WHERE c.relnamespace = " PG_NS " AND c.relkind IN ('r', 'p') "
    "AND con.contype IN ('p', 'u', 'f', 'c') AND con.conparentid = 0 "
    "AND" PG_NOT_EXT("pg_class", "c.oid")
    "ORDER BY 2, 1, 3";

/* a key column: its name, or its expression in parentheses (ruleutils puts
 * every expression that is not a function call in parentheses already),
 * followed by " DESC" for a descending key (indoption bit 1) */
static const char pg_q_indexes[] =
    "SELECT 7, t.relname, i.relname, CASE WHEN x.indisunique THEN 8 ELSE 0 END, 0, "
    "NULL, NULL, NULL, NULL, "
    "(SELECT pg_catalog.string_agg(" PG_ENC(
        "CASE WHEN x.indkey[k.n - 1] <> 0 THEN a.attname::text "
        "WHEN pg_catalog.left(e.d, 1) = '(' THEN e.d ELSE '(' || e.d || ')' END "
        "|| CASE WHEN (x.indoption[k.n - 1] & 1) = 1 THEN ' DESC' ELSE '' END") ", ',' "
    "ORDER BY k.n) FROM pg_catalog.generate_series(1, x.indnkeyatts) k(n) "
    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid "
    "AND a.attnum = x.indkey[k.n - 1] "
    "LEFT JOIN LATERAL (SELECT pg_catalog.pg_get_indexdef(x.indexrelid, k.n, true) AS d "
    "WHERE x.indkey[k.n - 1] = 0) e ON true), "
    "NULL, NULL, NULL, NULL, pg_catalog.pg_get_expr(x.indpred, x.indrelid, true), "
    "NULLIF(am.amname, 'btree'), NULL "
    "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
    "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
    "JOIN pg_catalog.pg_am am ON am.oid = i.relam "
    "WHERE t.relnamespace = " PG_NS " AND t.relkind IN ('r', 'p') "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = x.indexrelid "
    "AND k.contype IN ('p', 'u', 'x')) AND" PG_NOT_EXT("pg_class", "t.oid") "ORDER BY 2, 3";

static const char pg_q_views[] =
    "SELECT 8, NULL, c.relname, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, pg_catalog.rtrim(pg_catalog.regexp_replace(pg_catalog.btrim("
    "pg_catalog.pg_get_viewdef(c.oid, true), E' \\n\\t'), ';$', ''), E' \\n\\t') "
    "FROM pg_catalog.pg_class c WHERE c.relnamespace = " PG_NS " AND c.relkind = 'v' "
    "AND" PG_NOT_EXT("pg_class", "c.oid") "ORDER BY 3";

/* owned by a column (serial, OWNED BY): pg_depend 'a'; identity: 'i' */
static const char pg_q_sequences[] =
    "SELECT 9, o.relname, c.relname, 0, 0, NULL, NULL, NULL, NULL, "
    "CASE WHEN o.relname IS NOT NULL THEN " PG_ENC("a.attname") " END, "
    "NULL, NULL, NULL, NULL, NULL, NULL, "
    "'AS ' || pg_catalog.format_type(s.seqtypid, NULL) || ' START ' || s.seqstart || "
    "' INCREMENT ' || s.seqincrement || ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax || "
    "' CACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END "
    "FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid "
    "LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
    "AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
    "AND d.refobjsubid > 0 AND d.deptype = 'a' "
    "LEFT JOIN pg_catalog.pg_class o ON o.oid = d.refobjid "
    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
    "WHERE c.relnamespace = " PG_NS " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i "
    "WHERE i.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND i.objid = c.oid "
    "AND i.deptype = 'i') AND" PG_NOT_EXT("pg_class", "c.oid") "ORDER BY 3";

static const char pg_q_triggers[] =
    "SELECT 10, c.relname, t.tgname, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, pg_catalog.pg_get_triggerdef(t.oid, true) "
    "FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
    "WHERE c.relnamespace = " PG_NS " AND NOT t.tgisinternal "
    "AND" PG_NOT_EXT("pg_class", "c.oid") "ORDER BY 2, 3";

static const char pg_q_functions[] =
    "SELECT 11, NULL, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) "
    "|| ')', 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "pg_catalog.rtrim(pg_catalog.pg_get_functiondef(p.oid), E' \\n') "
    "FROM pg_catalog.pg_proc p WHERE p.pronamespace = " PG_NS " AND p.prokind IN ('f', 'p') "
    "AND" PG_NOT_EXT("pg_proc", "p.oid") "ORDER BY 3";

/* ABI 2.2: enum types (pg_type typtype 'e'), their labels in sort order
 * (pg_enum.enumsortorder, a float: a label added BEFORE/AFTER another
 * sorts between them) in the columns list; NULL for an enum without one */
static const char pg_q_enums[] =
    "SELECT 12, NULL, t.typname, 0, 0, NULL, NULL, NULL, NULL, "
    "(SELECT pg_catalog.string_agg(" PG_ENC("e.enumlabel") ", ',' ORDER BY e.enumsortorder) "
    "FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM pg_catalog.pg_type t WHERE t.typnamespace = " PG_NS " AND t.typtype = 'e' "
    "AND" PG_NOT_EXT("pg_type", "t.oid") "ORDER BY 3";

/* One inspection: the callback, why it ended, and the per-row arrays. */
typedef struct pg_insp {
    dbmig_conn *c;
    dbmig_schema_fn fn;
    void *payload;
    int stopped; /* fn asked to stop */
    int failed;  /* a row could not be read: c->err says why */
    char *names; /* the unpacked names of one row */
    size_t names_cap;
    const char **ptrs; /* columns, then ref_columns */
    size_t ptrs_cap;
    char *norm[4]; /* one row's rewritten expressions (exprnorm.c) */
} pg_insp;

/* Unpacks a list ("a""b","c": see the top comment) into dst (NUL after
 * each name) and the pointers into out; *n names. -1 when malformed. */
static int pg_insp_names(const char *s, size_t len, char *dst, const char **out, uint32_t *n)
{
    size_t i = 0;
    *n = 0;
    while (i < len) {
        if (s[i++] != '"')
            return -1;
        out[(*n)++] = dst;
        for (;;) {
            if (i >= len)
                return -1;
            if (s[i] == '"') {
                if (i + 1 < len && s[i + 1] == '"') {
                    *dst++ = '"';
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            *dst++ = s[i++];
        }
        *dst++ = '\0';
        if (i < len && s[i++] != ',')
            return -1;
    }
    return 0;
}

/* Makes room for a row whose name lists take n bytes in all. */
static int pg_insp_room(pg_insp *x, size_t n)
{
    const dbmig_host *h = &x->c->host;
    if (n + 2 > x->names_cap) {
        char *p = pg_alloc(h, n + 2);
        if (!p)
            return -1;
        pg_free(h, x->names);
        x->names = p;
        x->names_cap = n + 2;
    }
    if (n / 2 + 2 > x->ptrs_cap) {
        const char **p = pg_alloc(h, (n / 2 + 2) * sizeof *p);
        if (!p)
            return -1;
        pg_free(h, (void *)x->ptrs);
        x->ptrs = p;
        x->ptrs_cap = n / 2 + 2;
    }
    return 0;
}

static int pg_insp_fail(pg_insp *x, const char *code, const char *msg)
{
    pg_fail_msg(x->c, code, msg, NULL);
    x->failed = 1;
    return 1;
}

/* The deparsed expressions of o put in their fixed-point form
 * (exprnorm.c): default, generated, predicate, and the definition of a
 * CHECK, VIEW or TRIGGER (a function's text is its author's). The new
 * texts stay in x->norm until pg_insp_norm_free. -1: no memory. */
static int pg_insp_norm(pg_insp *x, dbmig_schema_object *o)
{
    const char **fields[4] = {&o->default_expr, &o->generated, &o->predicate, NULL};
    if (o->kind == DBMIG_SO_CHECK || o->kind == DBMIG_SO_VIEW || o->kind == DBMIG_SO_TRIGGER)
        fields[3] = &o->definition;
    for (int i = 0; i < 4; i++) {
        if (!fields[i] || !*fields[i])
            continue;
        if (pg_expr_normalise(&x->c->host, *fields[i], &x->norm[i]) != 0)
            return -1;
        if (x->norm[i])
            *fields[i] = x->norm[i];
    }
    return 0;
}

static void pg_insp_norm_free(pg_insp *x)
{
    for (int i = 0; i < 4; i++) {
        pg_free(&x->c->host, x->norm[i]);
        x->norm[i] = NULL;
    }
}

/* One row of any pg_q_* query (PG_COLS columns) -> one object -> fn. */
static int pg_insp_row(void *payload, int ncols, const char *const *v, const size_t *len)
{
    pg_insp *x = payload;
    if (ncols != PG_COLS || !v[0] || !v[2])
        return pg_insp_fail(x, "XX000", "postgres: inspect: a catalog row has an unexpected shape");
    size_t l9 = v[9] ? len[9] : 0, l11 = v[11] ? len[11] : 0;
    if (pg_insp_room(x, l9 + l11) != 0)
        return pg_insp_fail(x, "NOMEM", "postgres: out of memory");
    dbmig_schema_object o;
    memset(&o, 0, sizeof o);
    o.size = (uint32_t)sizeof o;
    o.kind = (uint32_t)strtoul(v[0], NULL, 10);
    o.table = v[1];
    o.name = v[2];
    o.flags = v[3] ? (uint32_t)strtoul(v[3], NULL, 10) : 0;
    o.position = v[4] ? (uint32_t)strtoul(v[4], NULL, 10) : 0;
    o.type = v[5];
    o.default_expr = v[6];
    o.generated = v[7];
    o.collation = v[8];
    o.ref_table = v[10];
    o.on_delete = v[12];
    o.on_update = v[13];
    o.predicate = v[14];
    o.method = v[15];
    o.definition = v[16];
    uint32_t n = 0, nref = 0;
    if (v[9] && pg_insp_names(v[9], l9, x->names, x->ptrs, &n) != 0)
        return pg_insp_fail(x, "XX000", "postgres: inspect: a column list cannot be read");
    char *rdst = x->names + l9 + 1;
    if (v[11] && pg_insp_names(v[11], l11, rdst, x->ptrs + n, &nref) != 0)
        return pg_insp_fail(x, "XX000", "postgres: inspect: a column list cannot be read");
    o.columns = n ? x->ptrs : NULL;
    o.ncolumns = n;
    o.ref_columns = nref ? x->ptrs + n : NULL;
    o.nref_columns = nref;
    if (pg_insp_norm(x, &o) != 0) {
        pg_insp_norm_free(x);
        return pg_insp_fail(x, "NOMEM", "postgres: out of memory");
    }
    int stop = x->fn(x->payload, &o);
    pg_insp_norm_free(x);
    if (stop) {
        x->stopped = 1;
        return 1;
    }
    return 0;
}

/* The nine queries in order; stops at the first failure or stop. */
static int pg_insp_run(pg_insp *x)
{
    char columns[sizeof pg_q_columns + 64];
    const char *gen = PQserverVersion(x->c->pg) >= 120000 ? "a.attgenerated" : "''";
    snprintf(columns, sizeof columns, pg_q_columns, gen, gen, gen);
    const char *const queries[] = {pg_q_tables,    columns,        pg_q_constraints,
                                   pg_q_indexes,   pg_q_views,     pg_q_sequences,
                                   pg_q_triggers,  pg_q_functions, pg_q_enums,
                                   NULL};
    for (int i = 0; queries[i]; i++) {
        if (pg_query(NULL, x->c, queries[i], pg_insp_row, x) != DBMIG_DRV_OK)
            return DBMIG_DRV_ERROR;
        if (x->failed)
            return DBMIG_DRV_ERROR;
        if (x->stopped)
            break;
    }
    return DBMIG_DRV_OK;
}

int pg_inspect(void *self, dbmig_conn *c, dbmig_schema_fn fn, void *payload)
{
    (void)self;
    pg_err_clear(&c->err);
    if (!fn)
        return pg_fail_msg(c, "ARG", "postgres: inspect needs a callback", NULL);
    pg_insp x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.fn = fn;
    x.payload = payload;
    /* one snapshot for every kind, when no transaction of the caller's is open */
    int own = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    if (own && pg_command(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != DBMIG_DRV_OK)
        return DBMIG_DRV_ERROR;
    int rc = pg_insp_run(&x);
    if (own) {
        dbmig_db_error saved = c->err;
        int end = pg_command(c, rc == DBMIG_DRV_OK ? "COMMIT" : "ROLLBACK");
        if (rc != DBMIG_DRV_OK)
            c->err = saved; /* the first error is the one to report */
        else
            rc = end;
    }
    pg_free(&c->host, x.names);
    pg_free(&c->host, (void *)x.ptrs);
    return rc;
}
