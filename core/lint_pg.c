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

/* A ColumnDef: the COLUMN_TYPE fact, and its flags and type for the caller. */
static int column_def(json_t *cd, const char *table, dm_lfacts *f, unsigned *flags, char *ty,
                      size_t tycap)
{
    json_t *tn = json_object_get(cd, "typeName");
    dm_lact *a = add(f, LA_COLUMN_TYPE, loc(cd), table);
    if (!a)
        return -1;
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
    return 0;
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
        if (cd && column_def(cd, tbl, f, &fl, NULL, 0) < 0)
            return -1;
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

static int drop_stmt(json_t *s, dm_lfacts *f)
{
    const char *t = str(s, "removeType");
    int table = strcmp(t, "OBJECT_TABLE") == 0, index = strcmp(t, "OBJECT_INDEX") == 0;
    if (!table && !index)
        return 0;
    unsigned fl = (flag(s, "missing_ok") ? LF_IF_EXISTS : 0) |
                  (flag(s, "concurrent") ? LF_CONCURRENTLY : 0) |
                  (strcmp(str(s, "behavior"), "DROP_CASCADE") == 0 ? LF_CASCADE : 0);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(s, "objects"), i, o)
    {
        const char *name = last_sval(json_object_get(json_object_get(o, "List"), "items"));
        dm_lact *a = add(f, table ? LA_DROP_TABLE : LA_DROP_INDEX, 0, table ? name : NULL);
        if (!a)
            return -1;
        a->flags = fl;
        cpy(a->name, sizeof a->name, name);
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
    if (!fl)
        return 0;
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
        if (column_def(json_object_get(def, "ColumnDef"), tbl, f, &fl, ty, sizeof ty) < 0 ||
            !(a = add(f, LA_ADD_COLUMN, off, tbl)))
            return -1;
        cpy(a->name, sizeof a->name, str(json_object_get(def, "ColumnDef"), "colname"));
        cpy(a->type, sizeof a->type, ty);
        a->type_len = f->v[f->n - 2].type_len; /* the COLUMN_TYPE just added */
        a->flags = fl | (flag(c, "missing_ok") ? LF_IF_EXISTS : 0);
    } else if (strcmp(st, "AT_DropColumn") == 0) {
        if (!(a = add(f, LA_DROP_COLUMN, off, tbl)))
            return -1;
        a->flags = flag(c, "missing_ok") ? LF_IF_EXISTS : 0;
    } else if (strcmp(st, "AT_AlterColumnType") == 0) {
        json_t *cd = json_object_get(def, "ColumnDef");
        if (!add(f, LA_ALTER_TYPE, off, tbl) || column_def(cd, tbl, f, &fl, NULL, 0) < 0)
            return -1;
        dm_lact *t = &f->v[f->n - 1];
        cpy(t->name, sizeof t->name, str(c, "name"));
        a = &f->v[f->n - 2]; /* column_def may have moved the array */
    } else if (strcmp(st, "AT_SetNotNull") == 0) {
        if (!(a = add(f, LA_SET_NOT_NULL, off, tbl)))
            return -1;
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

static int alter_table(json_t *s, dm_lfacts *f)
{
    if (strcmp(str(s, "objtype"), "OBJECT_TABLE") != 0)
        return 0;
    json_t *rel = json_object_get(s, "relation");
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
        else if (strcmp(kind, "VariableSetStmt") == 0) {
            dm_lact *a = add(f, LA_SET, 0, NULL);
            rc = a ? (cpy(a->name, sizeof a->name, str(s, "name")), 0) : -1;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int dm_lint_have_pg_parser(void) { return 1; }

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
    } else {
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

int dm_lint_pg_facts(const char *sql, size_t len, dm_lfacts *out)
{
    (void)sql;
    (void)len;
    (void)out;
    return 1;
}

#endif
