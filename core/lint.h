/* lint.h — `dbmig lint` (SPEC section 15): the rule table, the facts a
 * statement is reduced to, and the findings. Internal.
 *
 * How it fits together:
 *   lint.c        the files: which revisions, which sections and dialects,
 *                 statement iteration (the splitter through
 *                 dm_migfile_statements), suppressions, the [lint] settings,
 *                 the public dbmig_lint()
 *   lint_pg.c     PostgreSQL statements -> facts, through libpg_query (the
 *                 PostgreSQL 15 parser) when the build found it
 *   lint_tok.c    any dialect -> facts from tokens: MySQL, SQLite, and
 *                 PostgreSQL without libpg_query
 *   lint_rules.c  the rule table and the rules, run over the facts of a
 *                 whole section (the rules see which statements share a
 *                 transaction and what the section created before)
 *
 * Why facts rather than rules walking parse trees: one rule then serves
 * every dialect and both PostgreSQL paths, and the per-dialect knowledge
 * (what locks, what rewrites, what fails) lives in the rule, in one place.
 */
#ifndef DM_LINT_H
#define DM_LINT_H

#include <stddef.h>

#include "dbmig/driver.h"
#include "split.h"
#include "util.h"

/* Severities; the order matters (a higher one is worse). */
enum { DM_LINT_OFF = 0, DM_LINT_INFO = 1, DM_LINT_WARNING = 2, DM_LINT_ERROR = 3 };
const char *dm_lint_severity_name(int sev); /* "off", "info", "warning", "error" */
int dm_lint_severity_parse(const char *s);   /* -1 when not one of the four */

/* Dialect bits of a rule. */
#define DM_LD_PG (1u << DBMIG_DIALECT_POSTGRES)
#define DM_LD_MY (1u << DBMIG_DIALECT_MYSQL)
#define DM_LD_LITE (1u << DBMIG_DIALECT_SQLITE)
#define DM_LD_ALL (DM_LD_PG | DM_LD_MY | DM_LD_LITE)

/* The public dbmig_lint_rule (<dbmig/dbmig.h>): id (squawk's name where
 * squawk has the rule), default severity, dialects (DM_LD_* bits), up_only
 * (1: not checked in down sections, which drop what their up created: that
 * is their job), why and fix (one line each). */
typedef dbmig_lint_rule dm_lint_rule;

/* The table, in a stable order; n set to its length. */
const dm_lint_rule *dm_lint_rules(size_t *n);
/* The rule with this id, or NULL; its index in *idx when found. */
const dm_lint_rule *dm_lint_rule_find(const char *id, size_t *idx);
/* The nearest rule id to a misspelt one, or NULL. */
const char *dm_lint_rule_nearest(const char *id);
/* The index of a rule in the table, -1 when unknown. */
int dm_lint_rule_index(const char *id);

/* ---- facts ------------------------------------------------------------------ */

typedef enum dm_lact_kind {
    LA_CREATE_TABLE = 1, /* name: the table; flag IF_EXISTS: IF NOT EXISTS; TEMP */
    LA_RENAME_COLUMN,    /* table, name: the old column */
    LA_RENAME_TABLE,     /* table: the old name */
    LA_ADD_COLUMN,       /* table, name; type; NOT_NULL, HAS_DEFAULT, VOLATILE_DEFAULT,
                            GENERATED, IDENTITY, IF_EXISTS, PK, UNIQUE, FK (REFERENCES) */
    LA_COLUMN_TYPE,      /* a column's type where it is defined or changed: type,
                            type_len (-1: none given); name: the column */
    LA_DROP_COLUMN,      /* table, name; IF_EXISTS */
    LA_DROP_TABLE,       /* table; IF_EXISTS; CASCADE */
    LA_DROP_DATABASE,    /* name */
    LA_CREATE_INDEX,     /* table, name; CONCURRENTLY, IF_EXISTS (IF NOT EXISTS), UNIQUE */
    LA_DROP_INDEX,       /* name; CONCURRENTLY, IF_EXISTS */
    LA_ADD_CONSTRAINT,   /* table, name; FK, CHECK, UNIQUE, PK, NOT_VALID, USING_INDEX */
    LA_VALIDATE_CONSTRAINT, /* table, name */
    LA_ALTER_TYPE,       /* table, name: the column (MySQL MODIFY/CHANGE too) */
    LA_SET_NOT_NULL,     /* table, name */
    LA_TRUNCATE,         /* table; CASCADE */
    LA_SET,              /* name: the setting (lock_timeout, statement_timeout, ...;
                            "all" for RESET ALL); ZERO */
    LA_TXN,              /* name: BEGIN, COMMIT, ... */
    LA_PRAGMA_FK,        /* SQLite PRAGMA foreign_keys = ... */
    LA_ALTER_OTHER,      /* an ALTER TABLE action no rule knows: name says which
                            (SQLite: what needs a rebuild; MySQL: what copies) */
    LA_ALGORITHM,        /* MySQL ALGORITHM= / LOCK= given: name is the value */
    LA_CONVERT_CHARSET,  /* MySQL CONVERT TO CHARACTER SET */
    LA_LOCK,             /* a lock that blocks reads or writes of relation `table`
                            (a referenced table, a view, a trigger's table...):
                            name says which statement takes it */
    LA_DROP_OTHER,       /* DROP of another object: name is its kind ("view"),
                            table its name; IF_EXISTS; LOCK when it locks a relation */
    LA_DROP_CONSTRAINT,  /* table, name; IF_EXISTS */
    LA_DROP_NOT_NULL,    /* table, name: the column */
    LA_REINDEX,          /* table: the index or table; CONCURRENTLY */
    LA_COLUMN_CHARSET,   /* MySQL MODIFY / CHANGE of a column with CHARACTER SET or
                            COLLATE: table, name (the column) */
    LA_LOCK_TABLES       /* MySQL LOCK TABLES (table: the first one) or FLUSH TABLES
                            ... WITH READ LOCK: name says which */
} dm_lact_kind;

enum {
    LF_IF_EXISTS = 1u << 0, /* IF EXISTS / IF NOT EXISTS */
    LF_CONCURRENTLY = 1u << 1,
    LF_NOT_NULL = 1u << 2,
    LF_HAS_DEFAULT = 1u << 3,
    LF_VOLATILE_DEFAULT = 1u << 4,
    LF_GENERATED = 1u << 5,  /* GENERATED ALWAYS AS (...) STORED */
    LF_IDENTITY = 1u << 6,
    LF_PK = 1u << 7,
    LF_UNIQUE = 1u << 8,
    LF_FK = 1u << 9,
    LF_CHECK = 1u << 10,
    LF_NOT_VALID = 1u << 11,
    LF_USING_INDEX = 1u << 12,
    LF_CASCADE = 1u << 13,
    LF_TEMP = 1u << 14,
    LF_SERIAL = 1u << 15,    /* serial/bigserial/smallserial column */
    LF_STRICT = 1u << 16,    /* SQLite CREATE TABLE ... STRICT */
    LF_LOCK = 1u << 17,      /* LA_DROP_OTHER: the object is a relation queries use */
    LF_ZERO = 1u << 18,      /* LA_SET: to 0, DEFAULT or RESET (no time-out); for
                                foreign_key_checks: 0 or OFF */
    LF_POSITIONED = 1u << 19, /* MySQL ADD COLUMN ... FIRST / AFTER c */
    LF_STORED = 1u << 20,    /* MySQL/SQLite generated column ... STORED (VIRTUAL is the
                                default) */
    LF_TIME_DEFAULT = 1u << 21 /* DEFAULT CURRENT_TIMESTAMP / _TIME / _DATE */
};

typedef struct dm_lact {
    dm_lact_kind kind;
    unsigned flags;        /* LF_* */
    char table[128];       /* unquoted, lower-cased when it was not quoted */
    char name[128];
    char type[64];         /* lower-case base type: int4 / integer as written by the
                              token path is normalised (see lint_tok.c); LA_SET
                              (token path): the value; LA_ALTER_OTHER "engine": the
                              engine */
    int type_len;          /* varchar(n): n; -1 when none */
    size_t off;            /* byte offset in the statement (for the line) */
} dm_lact;

typedef struct dm_lfacts {
    dm_lact *v;
    size_t n, cap;
    int ddl;          /* commits implicitly on MySQL / is a schema change */
    int dml;          /* INSERT/UPDATE/DELETE/...: rows only */
    int parse_failed; /* the PostgreSQL parser refused it (message in why) */
    char why[256];
    int parser;       /* 1: facts from libpg_query; 0: from tokens */
} dm_lfacts;

/* Appends an action (zeroed but for kind, off); NULL when out of memory. */
dm_lact *dm_lfacts_add(dm_lfacts *f, dm_lact_kind kind, size_t off);
void dm_lfacts_free(dm_lfacts *f);

/* Token-level facts of one statement, any dialect (lint_tok.c). Never
 * fails but for memory: -1. */
int dm_lint_tok_facts(const char *sql, size_t len, int dialect, dm_lfacts *out);

/* The tokens of a statement as dm_lint_tok_facts reads them (strings,
 * quoted identifiers, comments, dollar bodies and MySQL escapes
 * understood): *out malloc'd (free it), *n of them; -1 on OOM. */
enum { DM_LT_WORD, DM_LT_QUOTED, DM_LT_STRING, DM_LT_NUM, DM_LT_PUNCT };
typedef struct dm_ltok {
    int type;
    size_t start, end; /* byte range in the statement */
} dm_ltok;
int dm_lint_tokens(const char *sql, size_t len, int dialect, dm_ltok **out, size_t *n);

/* PostgreSQL facts through libpg_query (lint_pg.c): 0 done, -1 out of
 * memory, 1 when the build has no libpg_query (the caller falls back on
 * dm_lint_tok_facts). A statement the parser refuses is 0 with
 * out->parse_failed and out->why. */
int dm_lint_pg_facts(const char *sql, size_t len, dm_lfacts *out);
/* 1 when the build has libpg_query. */
int dm_lint_have_pg_parser(void);
/* Call before a second thread parses: jansson seeds its hash function on
 * its first object, a one-time write that must not race (jansson's
 * json_object_seed documentation). */
void dm_lint_pg_before_threads(void);

/* ---- findings ------------------------------------------------------------------- */

typedef struct dm_lfinding {
    const char *rule;  /* static: a rule id, or "lint-ignore" */
    int severity;
    char *revision;    /* NULL: not a revision's */
    char *file;
    int line;
    char *message;
    char *fix;
    char *driver;      /* the driver whose section it is in (NULL: set by lint.c) */
} dm_lfinding;

typedef struct dm_lfindings {
    dm_lfinding *v;
    size_t n, cap;
} dm_lfindings;

void dm_lfindings_free(dm_lfindings *l);

/* A statement as the rules see it. */
typedef struct dm_lstmt {
    const char *sql;
    size_t len;
    int line;
    dm_lfacts facts;
    int suppressed_n;          /* rules named by -- dbmig:lint-ignore above it */
    const char *suppressed[8];
    int suppress_line[8];
    int suppress_used[8];
} dm_lstmt;

/* What the rules know about the section being linted. */
typedef struct dm_lctx {
    int dialect;
    const char *driver;      /* the driver whose section it is */
    int kind;                /* DM_UP or DM_DOWN */
    int transactional;       /* the file runs in a transaction (header) and the
                                dialect rolls DDL back */
    int file_transaction;    /* the header's transaction flag */
    int pg_major;            /* PostgreSQL server major version, 0: unknown
                                (the newest behaviour is assumed) */
    const char *revision, *file;
    const int *severity;     /* per rule (index in the table): the setting */
    int lock_timeout_configured; /* --ddl-lock-timeout applies to the run */
    unsigned xdb_targets;    /* a plain up section: the other built-in drivers of the
                                project that run it (DM_LD_* bits; lint_xdb.c) */
    int xdb_only;            /* only the cross-database rules (a plain up section the
                                run's driver does not use) */
} dm_lctx;

/* Runs every rule over a section's statements and appends the findings
 * (suppressed ones left out, the suppressions marked used). -1 on OOM. */
int dm_lint_section(const dm_lctx *cx, dm_lstmt *st, size_t n, dm_lfindings *out);

/* ---- placeholders (lint_ph.c) ---------------------------------------------------- */

/* A ${name} without a value: the identifier linted in its place. */
typedef struct dm_lph_name {
    char *name;  /* as first written */
    char *ident; /* the stand-in: the name, with a '_' after a reserved word */
    int line;    /* where it is first used */
} dm_lph_name;

typedef struct dm_lph {
    dm_lph_name *v;
    size_t n, cap;
} dm_lph;

void dm_lph_free(dm_lph *p);

/* The statements of a `-- dbmig:placeholders on` section text[0..len)
 * (beginning at line first_line of path), substituted as a run does with
 * vars; a name without a value is appended to undef (unless listed: one
 * list per file) and linted as an identifier. Errors are the run's:
 * DBMIG_EINVALID "<path>:<line>: ..." for a malformed placeholder or a
 * value that moves a statement boundary, the splitter's. */
int dm_lint_ph_split(const char *path, int first_line, const char *text, size_t len,
                     int dialect, const dbmig_var *vars, size_t nvars,
                     dm_stmt_list *out, dm_lph *undef, dm_err *err);

/* ---- cross-database rules (lint_xdb.c) ------------------------------------------- */

/* Runs the cross-db-* statement rules over a plain up section's statements
 * for the drivers in `targets` (DM_LD_* bits of the built-in drivers that
 * run this section: the project's drivers without an up section of their
 * own). -1 on OOM. */
int dm_lint_xdb(const dm_lctx *cx, dm_lstmt *st, size_t n, unsigned targets, dm_lfindings *out);

/* Reports rule `rule` (its index) at byte off of statement st with the
 * message msg (the rule's why is appended), unless the rule is off, not for
 * this dialect or section, or suppressed there (the suppression is marked
 * used). -1 on OOM. */
int dm_lint_emit(const dm_lctx *cx, dm_lstmt *st, int rule, size_t off, dm_lfindings *out,
                 const char *msg);

/* Appends one finding (copies the strings); -1 on OOM. */
int dm_lfinding_add(dm_lfindings *l, const char *rule, int severity, const char *revision,
                    const char *file, int line, const char *fix, const char *fmt, ...)
    DM_PRINTF(8, 9);

#endif
