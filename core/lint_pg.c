/* lint_pg.c — the facts of a PostgreSQL statement from the PostgreSQL
 * parser itself: libpg_query (Debian's libpg-query-dev, the PostgreSQL 15
 * grammar), whose pg_query_parse() returns the raw parse tree as JSON,
 * read here with jansson. No protobuf is involved.
 *
 * Why the real parser: PostgreSQL's grammar is large (ALTER TABLE alone has
 * some seventy actions), and a linter that misreads a statement either
 * cries wolf or stays silent on the dangerous one. The token path
 * (lint_tok.c) is the fallback for builds without the library; `dbmig
 * lint` says once which one it used.
 *
 * libpg_query keeps per-thread memory contexts (its own state, freed with
 * the thread): dbmig keeps no state of its own here. */
#define _POSIX_C_SOURCE 200809L
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"

#ifdef DBMIG_HAVE_PG_QUERY
#include <jansson.h>
#include <pg_query.h>

/* The last String of a list of {"String": {"sval": ...}} nodes. */
static const char *last_sval(json_t *names)
{
    const char *v = NULL;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        json_t *s = json_object_get(json_object_get(n, "String"), "sval");
        if (json_is_string(s))
            v = json_string_value(s);
    }
    return v;
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

static int flag(json_t *o, const char *k) { return json_is_true(json_object_get(o, k)); }

static size_t loc(json_t *o)
{
    json_t *l = json_object_get(o, "location");
    return json_is_integer(l) && json_integer_value(l) > 0 ? (size_t)json_integer_value(l) : 0;
}

/* A name into a fixed buffer, cut at cap - 1 bytes (snprintf: strncpy's
 * truncation warning fires under -O2 -D_FORTIFY_SOURCE, the package build). */
static void cpy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static dm_lact *add(dm_lfacts *f, dm_lact_kind k, size_t off, const char *table)
{
    dm_lact *a = dm_lfacts_add(f, k, off);
    if (a && table)
        cpy(a->table, sizeof a->table, table);
    return a;
}

/* A default the catalog cannot store once: a function call that is not a
 * known stable one (PostgreSQL 11+ evaluates a non-volatile default once). */
static int volatile_default(json_t *expr)
{
    static const char *const stable[] = {"now", "statement_timestamp", "transaction_timestamp",
                                         "lower", "upper", "coalesce", "jsonb_build_object",
                                         "json_build_object", "make_interval", "to_timestamp",
                                         NULL};
    json_t *fc = json_object_get(expr, "FuncCall");
    if (!fc) {
        json_t *tc = json_object_get(expr, "TypeCast"); /* 'x'::text: look inside */
        return tc ? volatile_default(json_object_get(tc, "arg")) : 0;
    }
    const char *fn = last_sval(json_object_get(fc, "funcname"));
    for (size_t i = 0; fn && stable[i]; i++)
        if (strcmp(fn, stable[i]) == 0)
            return 0;
    return 1;
}

/* A foreign key's lock: adding it takes SHARE ROW EXCLUSIVE on the
 * referenced table too, which blocks that table's writes while it waits. */
static int fk_lock(json_t *con, dm_lfacts *f)
{
    json_t *pk = json_object_get(con, "pktable");
    dm_lact *a = add(f, LA_LOCK, loc(pk), str(pk, "relname"));
    return a ? (cpy(a->name, sizeof a->name, "a foreign key to it"), 0) : -1;
}

/* A ColumnDef: the COLUMN_TYPE fact (its index returned, -1 on OOM; the
 * array may move, so callers index rather than keep pointers), and its
 * flags and type for the caller. */
static long column_def(json_t *cd, const char *table, dm_lfacts *f, unsigned *flags, char *ty,
                       size_t tycap)
{
    json_t *tn = json_object_get(cd, "typeName");
    dm_lact *a = add(f, LA_COLUMN_TYPE, loc(cd), table);
    if (!a)
        return -1;
    size_t at = f->n - 1;
    cpy(a->name, sizeof a->name, str(cd, "colname"));
    cpy(a->type, sizeof a->type, last_sval(json_object_get(tn, "names")));
    a->type_len = -1;
    json_t *mods = json_object_get(tn, "typmods");
    json_t *ival = json_object_get(json_object_get(json_object_get(json_array_get(mods, 0), "A_Const"), "ival"), "ival");
    if (json_is_integer(ival))
        a->type_len = (int)json_integer_value(ival);
    if (strstr(a->type, "serial")) {
        a->flags |= LF_SERIAL;
        cpy(a->type, sizeof a->type,
            strncmp(a->type, "big", 3) == 0 || strcmp(a->type, "serial8") == 0   ? "int8"
            : strncmp(a->type, "small", 5) == 0 || strcmp(a->type, "serial2") == 0 ? "int2"
                                                                                   : "int4");
    }
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(cd, "constraints"), i, c)
    {
        json_t *con = json_object_get(c, "Constraint");
        const char *t = str(con, "contype");
        if (strcmp(t, "CONSTR_NOTNULL") == 0)
            a->flags |= LF_NOT_NULL;
        else if (strcmp(t, "CONSTR_DEFAULT") == 0) {
            json_t *e = json_object_get(con, "raw_expr");
            int is_null = json_object_get(json_object_get(e, "A_Const"), "isnull") != NULL;
            if (!is_null)
                a->flags |= LF_HAS_DEFAULT;
            if (volatile_default(e))
                a->flags |= LF_VOLATILE_DEFAULT;
        } else if (strcmp(t, "CONSTR_PRIMARY") == 0)
            a->flags |= LF_PK;
        else if (strcmp(t, "CONSTR_UNIQUE") == 0)
            a->flags |= LF_UNIQUE;
        else if (strcmp(t, "CONSTR_FOREIGN") == 0)
            a->flags |= LF_FK;
        else if (strcmp(t, "CONSTR_IDENTITY") == 0)
            a->flags |= LF_IDENTITY;
        else if (strcmp(t, "CONSTR_GENERATED") == 0)
            a->flags |= LF_GENERATED;
    }
    *flags = a->flags;
    if (ty)
        cpy(ty, tycap, a->type);
    json_array_foreach(json_object_get(cd, "constraints"), i, c)
    {
        json_t *con = json_object_get(c, "Constraint");
        if (strcmp(str(con, "contype"), "CONSTR_FOREIGN") == 0 && fk_lock(con, f) < 0)
            return -1;
    }
    return (long)at;
}

static int create_stmt(json_t *s, dm_lfacts *f)
{
    json_t *rel = json_object_get(s, "relation");
    const char *tbl = str(rel, "relname");
    dm_lact *a = add(f, LA_CREATE_TABLE, loc(rel), tbl);
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, tbl);
    if (flag(s, "if_not_exists"))
        a->flags |= LF_IF_EXISTS;
    if (strcmp(str(rel, "relpersistence"), "t") == 0)
        a->flags |= LF_TEMP;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(s, "tableElts"), i, e)
    {
        unsigned fl;
        json_t *cd = json_object_get(e, "ColumnDef");
        json_t *con = json_object_get(e, "Constraint");
        if (cd && column_def(cd, tbl, f, &fl, NULL, 0) < 0)
            return -1;
        if (con && strcmp(str(con, "contype"), "CONSTR_FOREIGN") == 0 && fk_lock(con, f) < 0)
            return -1;
    }
    /* PARTITION OF takes ACCESS EXCLUSIVE on the parent */
    json_t *parent = json_object_get(json_array_get(json_object_get(s, "inhRelations"), 0), "RangeVar");
    if (parent && json_object_get(s, "partbound")) {
        dm_lact *l = add(f, LA_LOCK, loc(parent), str(parent, "relname"));
        if (!l)
            return -1;
        cpy(l->name, sizeof l->name, "CREATE TABLE ... PARTITION OF");
    }
    return 0;
}

static int index_stmt(json_t *s, dm_lfacts *f)
{
    json_t *rel = json_object_get(s, "relation");
    dm_lact *a = add(f, LA_CREATE_INDEX, loc(rel), str(rel, "relname"));
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, str(s, "idxname"));
    a->flags = (flag(s, "concurrent") ? LF_CONCURRENTLY : 0) |
               (flag(s, "if_not_exists") ? LF_IF_EXISTS : 0) | (flag(s, "unique") ? LF_UNIQUE : 0);
    return 0;
}

/* The name of one object of a DROP: a List of names, a TypeName, a String
 * (schemas, extensions) or an ObjectWithArgs (functions). */
static const char *drop_name(json_t *o)
{
    json_t *v;
    if ((v = json_object_get(o, "List")) != NULL)
        return last_sval(json_object_get(v, "items"));
    if ((v = json_object_get(o, "TypeName")) != NULL)
        return last_sval(json_object_get(v, "names"));
    if ((v = json_object_get(o, "ObjectWithArgs")) != NULL)
        return last_sval(json_object_get(v, "objname"));
    if ((v = json_object_get(o, "String")) != NULL)
        return str(v, "sval");
    return "";
}

/* DROP of anything but a table or an index: its kind as a word, and
 * whether it takes a lock queries on a relation wait behind (a view, a
 * sequence; a trigger, rule or policy locks its table). */
static const char *drop_kind(const char *t, int *locks, int *on_table)
{
    static const char *const kinds[][3] = {
        {"OBJECT_VIEW", "view", "1"}, {"OBJECT_MATVIEW", "materialized view", "1"},
        {"OBJECT_SEQUENCE", "sequence", "1"}, {"OBJECT_FOREIGN_TABLE", "foreign table", "1"},
        {"OBJECT_TRIGGER", "trigger", "2"}, {"OBJECT_RULE", "rule", "2"},
        {"OBJECT_POLICY", "policy", "2"}, {"OBJECT_TYPE", "type", "0"},
        {"OBJECT_DOMAIN", "domain", "0"}, {"OBJECT_SCHEMA", "schema", "0"},
        {"OBJECT_FUNCTION", "function", "0"}, {"OBJECT_PROCEDURE", "procedure", "0"},
        {"OBJECT_EXTENSION", "extension", "0"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(t, kinds[i][0]) == 0) {
            *locks = kinds[i][2][0] != '0';
            *on_table = kinds[i][2][0] == '2';
            return kinds[i][1];
        }
    }
    return NULL;
}

static int drop_stmt(json_t *s, dm_lfacts *f)
{
    const char *t = str(s, "removeType");
    int table = strcmp(t, "OBJECT_TABLE") == 0, index = strcmp(t, "OBJECT_INDEX") == 0;
    int locks = 0, on_table = 0;
    const char *other = table || index ? NULL : drop_kind(t, &locks, &on_table);
    if (!table && !index && !other)
        return 0;
    int cascade = strcmp(str(s, "behavior"), "DROP_CASCADE") == 0;
    /* CASCADE drops what depends on the object too: a schema's tables, a
     * type's columns, a function's triggers and defaults, each under ACCESS
     * EXCLUSIVE on its table */
    unsigned fl = (flag(s, "missing_ok") ? LF_IF_EXISTS : 0) |
                  (flag(s, "concurrent") ? LF_CONCURRENTLY : 0) | (cascade ? LF_CASCADE : 0) |
                  (locks || (other && cascade) ? LF_LOCK : 0);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(s, "objects"), i, o)
    {
        const char *name = drop_name(o);
        dm_lact_kind k = table ? LA_DROP_TABLE : index ? LA_DROP_INDEX : LA_DROP_OTHER;
        dm_lact *a = add(f, k, 0, table ? name : NULL);
        if (!a)
            return -1;
        a->flags = fl;
        if (other) {
            cpy(a->name, sizeof a->name, other);
            /* a trigger's table: the name before the last in "[schema.]table.trigger" */
            json_t *items = json_object_get(json_object_get(o, "List"), "items");
            size_t n = json_array_size(items);
            json_t *tn = on_table && n >= 2 ? json_array_get(items, n - 2) : NULL;
            cpy(a->table, sizeof a->table,
                tn ? str(json_object_get(tn, "String"), "sval") : name);
        } else {
            cpy(a->name, sizeof a->name, name);
        }
    }
    return 0;
}

static int add_constraint(json_t *con, const char *tbl, size_t off, dm_lfacts *f)
{
    const char *t = str(con, "contype");
    unsigned fl = strcmp(t, "CONSTR_FOREIGN") == 0   ? LF_FK
                  : strcmp(t, "CONSTR_CHECK") == 0   ? LF_CHECK
                  : strcmp(t, "CONSTR_UNIQUE") == 0  ? LF_UNIQUE
                  : strcmp(t, "CONSTR_PRIMARY") == 0 ? LF_PK
                                                     : 0;
    /* EXCLUDE builds its index under ACCESS EXCLUSIVE: a constraint with no
     * kind flag, which the lock and robustness rules still see */
    if (!fl && strcmp(t, "CONSTR_EXCLUSION") != 0)
        return 0;
    if ((fl & LF_FK) && fk_lock(con, f) < 0)
        return -1;
    dm_lact *a = add(f, LA_ADD_CONSTRAINT, loc(con) ? loc(con) : off, tbl);
    if (!a)
        return -1;
    a->flags = fl | (flag(con, "skip_validation") ? LF_NOT_VALID : 0) |
               (*str(con, "indexname") ? LF_USING_INDEX : 0);
    cpy(a->name, sizeof a->name, str(con, "conname"));
    return 0;
}

static int alter_cmd(json_t *c, const char *tbl, size_t off, dm_lfacts *f)
{
    const char *st = str(c, "subtype");
    json_t *def = json_object_get(c, "def");
    unsigned fl = 0;
    dm_lact *a = NULL;
    if (strcmp(st, "AT_AddColumn") == 0) {
        char ty[64];
        long ct = column_def(json_object_get(def, "ColumnDef"), tbl, f, &fl, ty, sizeof ty);
        if (ct < 0 || !(a = add(f, LA_ADD_COLUMN, off, tbl)))
            return -1;
        cpy(a->name, sizeof a->name, str(json_object_get(def, "ColumnDef"), "colname"));
        cpy(a->type, sizeof a->type, ty);
        a->type_len = f->v[ct].type_len;
        a->flags = fl | (flag(c, "missing_ok") ? LF_IF_EXISTS : 0);
    } else if (strcmp(st, "AT_DropColumn") == 0) {
        if (!(a = add(f, LA_DROP_COLUMN, off, tbl)))
            return -1;
        a->flags = flag(c, "missing_ok") ? LF_IF_EXISTS : 0;
    } else if (strcmp(st, "AT_AlterColumnType") == 0) {
        json_t *cd = json_object_get(def, "ColumnDef");
        if (!add(f, LA_ALTER_TYPE, off, tbl))
            return -1;
        size_t at = f->n - 1;
        long ct = column_def(cd, tbl, f, &fl, NULL, 0);
        if (ct < 0)
            return -1;
        cpy(f->v[ct].name, sizeof f->v[ct].name, str(c, "name"));
        a = &f->v[at]; /* column_def may have moved the array */
    } else if (strcmp(st, "AT_SetNotNull") == 0) {
        if (!(a = add(f, LA_SET_NOT_NULL, off, tbl)))
            return -1;
    } else if (strcmp(st, "AT_DropNotNull") == 0) {
        if (!(a = add(f, LA_DROP_NOT_NULL, off, tbl)))
            return -1;
    } else if (strcmp(st, "AT_DropConstraint") == 0) {
        if (!(a = add(f, LA_DROP_CONSTRAINT, off, tbl)))
            return -1;
        a->flags = flag(c, "missing_ok") ? LF_IF_EXISTS : 0;
    } else if (strcmp(st, "AT_AddConstraint") == 0) {
        return add_constraint(json_object_get(def, "Constraint"), tbl, off, f);
    } else if (strcmp(st, "AT_ValidateConstraint") == 0) {
        if (!(a = add(f, LA_VALIDATE_CONSTRAINT, off, tbl)))
            return -1;
    } else {
        if (!(a = add(f, LA_ALTER_OTHER, off, tbl)))
            return -1;
        cpy(a->name, sizeof a->name, st);
        return 0;
    }
    if (!a->name[0])
        cpy(a->name, sizeof a->name, str(c, "name"));
    return 0;
}

/* A lock (LA_LOCK) on what `name` names, taken by the statement `what`. */
static int lock_on_name(const char *name, const char *what, dm_lfacts *f)
{
    dm_lact *a = add(f, LA_LOCK, 0, name);
    return a ? (cpy(a->name, sizeof a->name, what), 0) : -1;
}

/* A lock on a relation (LA_LOCK), taken by the statement `what`. */
static int lock_on(json_t *rel, const char *what, dm_lfacts *f)
{
    dm_lact *a = add(f, LA_LOCK, loc(rel), str(rel, "relname"));
    return a ? (cpy(a->name, sizeof a->name, what), 0) : -1;
}

static int alter_table(json_t *s, dm_lfacts *f)
{
    json_t *rel = json_object_get(s, "relation");
    const char *ot = str(s, "objtype");
    if (strcmp(ot, "OBJECT_TABLE") != 0) /* ALTER VIEW / INDEX / MATERIALIZED VIEW ... */
        return strcmp(ot, "OBJECT_TYPE") == 0 ? 0 : lock_on(rel, "ALTER", f);
    const char *tbl = str(rel, "relname");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(s, "cmds"), i, c)
    {
        if (alter_cmd(json_object_get(c, "AlterTableCmd"), tbl, loc(rel), f) < 0)
            return -1;
    }
    return 0;
}

static int rename_stmt(json_t *s, dm_lfacts *f)
{
    const char *t = str(s, "renameType");
    json_t *rel = json_object_get(s, "relation");
    int col = strcmp(t, "OBJECT_COLUMN") == 0, tab = strcmp(t, "OBJECT_TABLE") == 0;
    /* renaming a constraint, view or sequence takes ACCESS EXCLUSIVE; an
     * index only SHARE UPDATE EXCLUSIVE (PostgreSQL 12+), which no query
     * waits behind */
    if (strcmp(t, "OBJECT_TABCONSTRAINT") == 0 || strcmp(t, "OBJECT_VIEW") == 0 ||
        strcmp(t, "OBJECT_MATVIEW") == 0 || strcmp(t, "OBJECT_SEQUENCE") == 0 ||
        strcmp(t, "OBJECT_FOREIGN_TABLE") == 0 || strcmp(t, "OBJECT_TRIGGER") == 0)
        return lock_on(rel, "RENAME", f);
    if (!col && !tab)
        return 0;
    dm_lact *a = add(f, col ? LA_RENAME_COLUMN : LA_RENAME_TABLE, loc(rel), str(rel, "relname"));
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, col ? str(s, "subname") : str(s, "newname"));
    return 0;
}

static int truncate_stmt(json_t *s, dm_lfacts *f)
{
    json_t *rel = json_object_get(json_array_get(json_object_get(s, "relations"), 0), "RangeVar");
    dm_lact *a = add(f, LA_TRUNCATE, loc(rel), str(rel, "relname"));
    if (!a)
        return -1;
    if (strcmp(str(s, "behavior"), "DROP_CASCADE") == 0)
        a->flags |= LF_CASCADE;
    return 0;
}

static int txn_stmt(json_t *s, dm_lfacts *f)
{
    static const char *const kinds[][2] = {
        {"TRANS_STMT_BEGIN", "BEGIN"},       {"TRANS_STMT_START", "START TRANSACTION"},
        {"TRANS_STMT_COMMIT", "COMMIT"},     {"TRANS_STMT_ROLLBACK", "ROLLBACK"},
        {"TRANS_STMT_PREPARE", "PREPARE TRANSACTION"},
        {"TRANS_STMT_COMMIT_PREPARED", "COMMIT PREPARED"},
        {"TRANS_STMT_ROLLBACK_PREPARED", "ROLLBACK PREPARED"}};
    const char *k = str(s, "kind");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(k, kinds[i][0]) == 0) {
            dm_lact *a = add(f, LA_TXN, 0, NULL);
            if (!a)
                return -1;
            cpy(a->name, sizeof a->name, kinds[i][1]);
        }
    }
    return 0;
}

/* A DefElem named `name` in a list of options (REINDEX (CONCURRENTLY),
 * VACUUM (FULL)). */
static int has_option(json_t *opts, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(opts, i, o)
    {
        if (strcmp(str(json_object_get(o, "DefElem"), "defname"), name) == 0)
            return 1;
    }
    return 0;
}

static int reindex_stmt(json_t *s, dm_lfacts *f)
{
    /* REINDEX SYSTEM has no CONCURRENTLY form, but it locks every system
     * catalog's indexes (ACCESS EXCLUSIVE), which other sessions read */
    if (strcmp(str(s, "kind"), "REINDEX_OBJECT_SYSTEM") == 0)
        return lock_on_name(str(s, "name"), "REINDEX SYSTEM", f);
    json_t *rel = json_object_get(s, "relation");
    dm_lact *a = add(f, LA_REINDEX, loc(rel), rel ? str(rel, "relname") : str(s, "name"));
    if (!a)
        return -1;
    if (has_option(json_object_get(s, "params"), "concurrently"))
        a->flags |= LF_CONCURRENTLY;
    return 0;
}

/* SET name = 0 | DEFAULT, RESET name, RESET ALL: no time-out any more. */
static int set_stmt(json_t *s, dm_lfacts *f)
{
    const char *k = str(s, "kind");
    dm_lact *a = add(f, LA_SET, 0, NULL);
    if (!a)
        return -1;
    cpy(a->name, sizeof a->name, strcmp(k, "VAR_RESET_ALL") == 0 ? "all" : str(s, "name"));
    json_t *c = json_object_get(json_array_get(json_object_get(s, "args"), 0), "A_Const");
    json_t *iv = json_object_get(c, "ival");
    const char *sv = str(json_object_get(c, "sval"), "sval");
    int zero = (iv && !json_is_integer(json_object_get(iv, "ival"))) || /* ival 0 is omitted */
               (sv[0] && strtod(sv, NULL) == 0.0 && strspn(sv, "0.") >= 1);
    if (strcmp(k, "VAR_SET_VALUE") != 0 || zero)
        a->flags |= LF_ZERO;
    return 0;
}

/* Statements no rule names but that take a lock queries wait behind
 * (require-timeout-settings): a trigger, policy or rule on a table,
 * REFRESH, CLUSTER, VACUUM FULL, LOCK, ALTER SEQUENCE. 1 when not one. */
static int lock_stmt(const char *kind, json_t *s, dm_lfacts *f)
{
    static const char *const kinds[][3] = {
        {"CreateTrigStmt", "relation", "CREATE TRIGGER"}, {"CreatePolicyStmt", "table", "CREATE POLICY"},
        {"AlterPolicyStmt", "table", "ALTER POLICY"}, {"RuleStmt", "relation", "CREATE RULE"},
        {"RefreshMatViewStmt", "relation", "REFRESH MATERIALIZED VIEW"},
        {"ClusterStmt", "relation", "CLUSTER"}, {"AlterSeqStmt", "sequence", "ALTER SEQUENCE"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i][0]) == 0)
            return lock_on(json_object_get(s, kinds[i][1]), kinds[i][2], f);
    json_t *rels = NULL;
    if (strcmp(kind, "VacuumStmt") == 0 && has_option(json_object_get(s, "options"), "full"))
        rels = json_object_get(s, "rels");
    else if (strcmp(kind, "LockStmt") == 0)
        rels = json_object_get(s, "relations");
    else
        return 1;
    size_t k;
    json_t *r;
    json_array_foreach(rels, k, r)
    {
        json_t *rv = json_object_get(r, "RangeVar");
        if (!rv)
            rv = json_object_get(json_object_get(r, "VacuumRelation"), "relation");
        if (lock_on(rv, kind[0] == 'V' ? "VACUUM FULL" : "LOCK TABLE", f) < 0)
            return -1;
    }
    return 0;
}

/* Whether the parse tree (libpg_query's JSON text) holds a statement kind
 * stmt_facts reads: when not (INSERT, UPDATE, SELECT, COMMENT, CREATE
 * FUNCTION...), decoding it is skipped, which was most of the time spent on
 * such statements. The kinds are the keys following "stmt":{". */
static int worth_decoding(const char *tree)
{
    static const char *const kinds[] = {
        "CreateStmt", "IndexStmt", "DropStmt", "DropdbStmt", "AlterTableStmt", "RenameStmt",
        "TruncateStmt", "TransactionStmt", "VariableSetStmt", "ReindexStmt", "CreateTrigStmt",
        "CreatePolicyStmt", "AlterPolicyStmt", "RuleStmt", "RefreshMatViewStmt", "ClusterStmt",
        "AlterSeqStmt", "VacuumStmt", "LockStmt", NULL};
    for (const char *p = tree; (p = strstr(p, "\"stmt\":{\"")) != NULL;) {
        p += strlen("\"stmt\":{\"");
        size_t n = strcspn(p, "\"");
        for (size_t i = 0; kinds[i]; i++)
            if (strlen(kinds[i]) == n && memcmp(p, kinds[i], n) == 0)
                return 1;
    }
    return 0;
}

/* One parsed statement node {"<Kind>": {...}}. */
static int stmt_facts(json_t *node, dm_lfacts *f)
{
    const char *kind;
    json_t *s;
    json_object_foreach(node, kind, s)
    {
        int rc = 0;
        if (strcmp(kind, "CreateStmt") == 0)
            rc = create_stmt(s, f);
        else if (strcmp(kind, "IndexStmt") == 0)
            rc = index_stmt(s, f);
        else if (strcmp(kind, "DropStmt") == 0)
            rc = drop_stmt(s, f);
        else if (strcmp(kind, "DropdbStmt") == 0) {
            dm_lact *a = add(f, LA_DROP_DATABASE, 0, NULL);
            rc = a ? (cpy(a->name, sizeof a->name, str(s, "dbname")), 0) : -1;
        } else if (strcmp(kind, "AlterTableStmt") == 0)
            rc = alter_table(s, f);
        else if (strcmp(kind, "RenameStmt") == 0)
            rc = rename_stmt(s, f);
        else if (strcmp(kind, "TruncateStmt") == 0)
            rc = truncate_stmt(s, f);
        else if (strcmp(kind, "TransactionStmt") == 0)
            rc = txn_stmt(s, f);
        else if (strcmp(kind, "VariableSetStmt") == 0)
            rc = set_stmt(s, f);
        else if (strcmp(kind, "ReindexStmt") == 0)
            rc = reindex_stmt(s, f);
        else if ((rc = lock_stmt(kind, s, f)) > 0)
            rc = 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* The LA_LOCK facts last, in their order, as the token path finds them
 * (tests/unit/test_lint.c compares the two readers fact by fact). */
static void locks_last(dm_lfacts *f)
{
    for (size_t i = 0, moved = 0; i + moved < f->n;) {
        if (f->v[i].kind != LA_LOCK) {
            i++;
            continue;
        }
        dm_lact l = f->v[i];
        memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof *f->v);
        f->v[f->n - 1] = l;
        moved++;
    }
}

int dm_lint_have_pg_parser(void) { return 1; }

void dm_lint_pg_before_threads(void) { json_decref(json_object()); }

int dm_lint_pg_facts(const char *sql, size_t len, dm_lfacts *out)
{
    char *copy = dm_strndup(sql, len);
    if (!copy)
        return -1;
    PgQueryParseResult r = pg_query_parse(copy);
    int rc = 0;
    out->parser = 1;
    if (r.error) {
        out->parse_failed = 1;
        snprintf(out->why, sizeof out->why, "%s", r.error->message ? r.error->message : "?");
    } else if (worth_decoding(r.parse_tree)) {
        json_error_t je;
        json_t *root = json_loads(r.parse_tree, 0, &je);
        if (!root) {
            rc = -1;
        } else {
            size_t i;
            json_t *st;
            json_array_foreach(json_object_get(root, "stmts"), i, st)
            {
                if (rc == 0)
                    rc = stmt_facts(json_object_get(st, "stmt"), out);
            }
            json_decref(root);
            locks_last(out);
        }
    }
    pg_query_free_parse_result(r);
    free(copy);
    out->ddl = dm_ddl_is_schema_change(sql, len, DBMIG_DIALECT_POSTGRES);
    out->dml = !out->ddl && dm_ddl_is_dml(sql, len, DBMIG_DIALECT_POSTGRES);
    return rc;
}

#else /* no libpg_query */

int dm_lint_have_pg_parser(void) { return 0; }

void dm_lint_pg_before_threads(void) {}

int dm_lint_pg_facts(const char *sql, size_t len, dm_lfacts *out)
{
    (void)sql;
    (void)len;
    (void)out;
    return 1;
}

#endif
