/* lint_rules.c — the rule table and the rules of `dbmig lint` (lint.h).
 *
 * A rule reads the facts of a section's statements in order, with what the
 * section did before (tables it created: a new table is empty and nobody
 * reads it yet, so locks and rewrites on it do not matter) and what dbmig
 * knows of the run (is the file one transaction, on which dialect, does a
 * lock time-out apply). Names follow squawk's where squawk has the rule
 * (https://squawkhq.com/docs/rules), so a team moving from squawk keeps its
 * suppressions and settings. */
#define _POSIX_C_SOURCE 200809L
#include "lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "mfline.h"
#include "migfile.h"

enum {
    R_RENAMING_COLUMN, R_RENAMING_TABLE, R_ADDING_REQUIRED_FIELD, R_ADDING_FIELD_WITH_DEFAULT,
    R_ADDING_NOT_NULLABLE_FIELD, R_BAN_DROP_COLUMN, R_BAN_DROP_TABLE, R_BAN_DROP_DATABASE,
    R_REQ_CONC_CREATE, R_REQ_CONC_DELETE, R_BAN_CONC_IN_TXN, R_ADDING_FK,
    R_CONSTRAINT_NOT_VALID, R_DISALLOWED_UNIQUE, R_CHANGING_TYPE, R_PREFER_ROBUST,
    R_BAN_TRUNCATE_CASCADE, R_PREFER_BIGINT, R_PREFER_BIGINT_SMALL, R_PREFER_IDENTITY,
    R_PREFER_TEXT, R_PREFER_TSTZ, R_BAN_CHAR, R_REQ_TIMEOUT, R_TXN_NESTING,
    R_REQUIRE_DOWN, R_APPLIED_EDITED, R_PARSE_ERROR, R_MY_IMPLICIT_COMMIT, R_MY_COPY,
    R_LITE_PRAGMA_FK, R_LITE_REBUILD, R_LITE_STRICT, R_SERIAL_PK, R_BAN_DROP_NOT_NULL,
    R_REQ_CONC_REINDEX, R_NONTX_MIGRATION, R_PH_NO_VALUE, R_XDB_IF_EXISTS, R_XDB_AUTOINC,
    R_XDB_TYPE, R_XDB_DROP_CASCADE, R_XDB_SECTIONS, R_MY_CHARSET, R_MY_ALGORITHM, R_MY_FK,
    R_MY_MDL, R_NRULES
};

static const dm_lint_rule rules[R_NRULES] = {
    {"renaming-column", DM_LINT_WARNING, DM_LD_ALL, 1,
     "code still running during the deploy reads and writes the old column name and fails",
     "expand and contract: add the new column, write both, backfill, move the readers, drop "
     "the old column in a later release"},
    {"renaming-table", DM_LINT_WARNING, DM_LD_ALL, 1,
     "code still running during the deploy uses the old table name and fails",
     "create the new table (or a view under the old name), move the code, drop the old name "
     "in a later release"},
    {"adding-required-field", DM_LINT_ERROR, DM_LD_PG | DM_LD_LITE, 0,
     "a NOT NULL column without a default cannot be added to a table that has rows "
     "(PostgreSQL: 'contains null values'; SQLite refuses it even on an empty table)",
     "give it a DEFAULT (PostgreSQL 11+ adds a constant default without rewriting the table), "
     "or add it nullable, backfill, then SET NOT NULL"},
    {"adding-field-with-default", DM_LINT_WARNING, DM_LD_PG, 0,
     "a volatile default (random(), gen_random_uuid(), clock_timestamp()) or a stored "
     "generated column rewrites the whole table under an ACCESS EXCLUSIVE lock (before "
     "PostgreSQL 11: any default)",
     "add the column without the default, set the default, backfill in batches "
     "(-- dbmig:batch)"},
    {"adding-not-nullable-field", DM_LINT_WARNING, DM_LD_PG, 0,
     "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
     "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT "
     "NULL (PostgreSQL 12+ uses the check and skips the scan) and drop the check"},
    {"ban-drop-column", DM_LINT_WARNING, DM_LD_ALL, 1,
     "the column's data is lost, and code still running during the deploy that reads it fails",
     "stop using the column in a release first; archive the data if it matters; then drop it"},
    {"ban-drop-table", DM_LINT_WARNING, DM_LD_ALL, 1,
     "the table's data is lost, and code still running during the deploy that uses it fails",
     "stop using the table in a release first; archive or rename it; drop it later"},
    {"ban-drop-database", DM_LINT_ERROR, DM_LD_ALL, 0,
     "a migration that drops a database loses everything in it",
     "do not drop databases from migrations"},
    {"require-concurrent-index-creation", DM_LINT_WARNING, DM_LD_PG, 0,
     "CREATE INDEX blocks writes to the table for as long as the build takes",
     "CREATE INDEX CONCURRENTLY, alone in its migration (dbmig then runs it outside a "
     "transaction)"},
    {"require-concurrent-index-deletion", DM_LINT_WARNING, DM_LD_PG, 0,
     "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes",
     "DROP INDEX CONCURRENTLY, alone in its migration"},
    {"ban-concurrent-index-creation-in-transaction", DM_LINT_WARNING, DM_LD_PG, 0,
     "PostgreSQL refuses CONCURRENTLY in a transaction block, and the file's own BEGIN ... "
     "COMMIT makes one (dbmig itself runs a migration holding CONCURRENTLY outside a "
     "transaction: see non-transactional-migration)",
     "remove the BEGIN and COMMIT around it"},
    /* MySQL's side of it is mysql-foreign-key-copies-table (another fix) */
    {"adding-foreign-key-constraint", DM_LINT_WARNING, DM_LD_PG, 0,
     "adding a foreign key checks every row while it locks both tables against writes (SHARE "
     "ROW EXCLUSIVE)",
     "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
    {"constraint-missing-not-valid", DM_LINT_WARNING, DM_LD_PG, 0,
     "a CHECK or FOREIGN KEY constraint added without NOT VALID scans the table under a lock "
     "that blocks writes; validated in the same transaction, NOT VALID gains nothing",
     "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
    {"disallowed-unique-constraint", DM_LINT_WARNING, DM_LD_PG, 0,
     "ADD UNIQUE builds its index under an ACCESS EXCLUSIVE lock",
     "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX"},
    {"changing-column-type", DM_LINT_WARNING, DM_LD_PG | DM_LD_MY, 0,
     "changing a column's type usually rewrites the table under a lock that blocks reads and "
     "writes (MySQL: ALGORITHM=COPY), and breaks clients that read the old type",
     "add a column of the new type, backfill, move the code, drop the old column"},
    {"prefer-robust-stmts", DM_LINT_INFO, DM_LD_PG, 0,
     "outside a transaction a failure leaves the statements before it done; a re-run (or "
     "upgrade --resume after a CONCURRENTLY build failed) meets what is already there",
     "write IF NOT EXISTS / IF EXISTS"},
    {"ban-truncate-cascade", DM_LINT_ERROR, DM_LD_PG, 0,
     "TRUNCATE ... CASCADE also empties every table with a foreign key to it, and theirs",
     "truncate the tables you mean by name"},
    {"prefer-bigint-over-int", DM_LINT_INFO, DM_LD_PG | DM_LD_MY, 0,
     "a 32-bit integer runs out at 2,147,483,647; changing it later rewrites the table",
     "use bigint"},
    {"prefer-bigint-over-smallint", DM_LINT_INFO, DM_LD_PG | DM_LD_MY, 0,
     "a 16-bit integer runs out at 32,767; changing it later rewrites the table",
     "use bigint"},
    {"prefer-identity", DM_LINT_INFO, DM_LD_PG, 0,
     "serial types have surprising permissions and ownership behaviour; identity columns are "
     "the SQL standard",
     "bigint GENERATED BY DEFAULT AS IDENTITY"},
    {"prefer-text-field", DM_LINT_INFO, DM_LD_PG, 0,
     "changing a varchar(n) limit later takes an ACCESS EXCLUSIVE lock; PostgreSQL stores text "
     "the same way",
     "use text, with a CHECK (char_length(col) <= n) if a limit matters"},
    {"prefer-timestamp-tz", DM_LINT_WARNING, DM_LD_PG, 0,
     "timestamp without time zone stores wall-clock times whose meaning depends on the "
     "writer's zone",
     "use timestamptz"},
    {"ban-char-field", DM_LINT_WARNING, DM_LD_PG, 0,
     "char(n) pads with blanks and is no faster than text",
     "use text (or varchar)"},
    {"require-timeout-settings", DM_LINT_WARNING, DM_LD_PG | DM_LD_MY, 0,
     "a schema change waiting for its lock queues every query behind it; without a lock "
     "time-out that wait has no end (MySQL's lock_wait_timeout is a year by default)",
     "run with --ddl-lock-timeout (or ddl-lock-timeout in dbmig.conf), or SET lock_timeout "
     "(MySQL: lock_wait_timeout) before the statement"},
    {"transaction-nesting", DM_LINT_ERROR, DM_LD_ALL, 0,
     "dbmig already runs this migration in a transaction and records it in the same one; a "
     "BEGIN or COMMIT of its own breaks that",
     "remove it, or write -- dbmig:transaction off"},
    {"require-down-section", DM_LINT_WARNING, DM_LD_ALL, 0,
     "without a down section the revision cannot be downgraded on this driver",
     "write a -- dbmig:down section, or mark the file -- dbmig:irreversible"},
    {"applied-file-edited", DM_LINT_ERROR, DM_LD_ALL, 0,
     "the file was edited after it was applied: databases that ran it have the old version",
     "restore the file and write a new revision; `dbmig repair --checksums` accepts the edit"},
    {"parse-error", DM_LINT_WARNING, DM_LD_PG, 0,
     "the PostgreSQL 15 parser does not accept the statement, so no rule could check it",
     "check the statement (newer syntax is fine, but no rule looked at it)"},
    {"mysql-implicit-commit", DM_LINT_WARNING, DM_LD_MY, 0,
     "MySQL commits every DDL statement on its own: this migration is not atomic, and a "
     "failure part-way leaves it dirty with the statements before committed",
     "one DDL statement per migration (then a failure leaves nothing half-done)"},
    {"mysql-alter-copies-table", DM_LINT_WARNING, DM_LD_MY, 0,
     "this ALTER copies the whole table (ALGORITHM=COPY) on MySQL 8 and MariaDB, blocking "
     "writes for the duration",
     "use an online schema change tool (gh-ost, pt-online-schema-change) on a big table; "
     "ALGORITHM=INPLACE, LOCK=NONE makes MySQL refuse it instead of copying"},
    {"sqlite-pragma-foreign-keys-in-transaction", DM_LINT_ERROR, DM_LD_LITE, 0,
     "PRAGMA foreign_keys is a no-op inside a transaction, and this migration runs in one",
     "write -- dbmig:transaction off in this file, or set foreign_keys on the connection"},
    {"sqlite-alter-needs-rebuild", DM_LINT_ERROR, DM_LD_LITE, 0,
     "SQLite's ALTER TABLE only renames, adds and drops columns; this form fails",
     "rebuild the table: CREATE TABLE new, INSERT ... SELECT, DROP the old, RENAME (dbmig "
     "diff writes it for you)"},
    {"sqlite-missing-strict", DM_LINT_INFO, DM_LD_LITE, 0,
     "without STRICT, SQLite stores any value in any column ('abc' in an INTEGER column)",
     "end the CREATE TABLE with STRICT (SQLite 3.37+)"},
    /* squawk's name: it also covers a plain ADD PRIMARY KEY */
    {"adding-serial-primary-key-field", DM_LINT_WARNING, DM_LD_PG, 0,
     "adding a primary key builds its unique index under an ACCESS EXCLUSIVE lock, blocking "
     "reads and writes for the whole build",
     "CREATE UNIQUE INDEX CONCURRENTLY first (a migration of its own), then ADD CONSTRAINT ... "
     "PRIMARY KEY USING INDEX"},
    {"ban-drop-not-null", DM_LINT_WARNING, DM_LD_PG, 1,
     "code still running during the deploy, and other readers of the table, assume the column "
     "is never NULL; the first NULL written breaks them",
     "move every reader to handle NULL in a release first, then drop the NOT NULL"},
    {"require-concurrent-reindex", DM_LINT_WARNING, DM_LD_PG, 0,
     "REINDEX without CONCURRENTLY locks the index against reads (ACCESS EXCLUSIVE) and the "
     "table against writes for the whole rebuild",
     "REINDEX ... CONCURRENTLY (PostgreSQL 12+), alone in its migration (dbmig then runs it "
     "outside a transaction)"},
    /* dbmig's own: what squawk's file-by-file view cannot know */
    {"non-transactional-migration", DM_LINT_WARNING, DM_LD_PG | DM_LD_LITE, 0,
     "a statement that cannot run in a transaction (CREATE or DROP INDEX CONCURRENTLY, REINDEX "
     "CONCURRENTLY, VACUUM...) makes dbmig run the whole migration outside one: its other "
     "statements are no longer atomic, and a failure part-way leaves the ones before it done",
     "put that statement in a migration of its own"},
    /* placeholders (lint_ph.c): lint runs in review and CI, where the
     * deploy's values are often absent; not a fault of the file */
    {"placeholder-without-value", DM_LINT_INFO, DM_LD_ALL, 0,
     "without the deploy's value lint checked the statement with an identifier in the "
     "placeholder's place; a rule may see it otherwise than the real value",
     "give lint the value the deploy uses (--var NAME=VALUE, [vars] in dbmig.conf or "
     "DBMIG_VAR_<NAME>), or ignore this where any value is a plain name"},
    /* cross-database (lint_xdb.c): a plain up section runs on every driver
     * of the project that has no section of its own */
    {"cross-db-if-exists", DM_LINT_ERROR, DM_LD_ALL, 1,
     "dbmig emulates IF [NOT] EXISTS only in a single ADD or DROP COLUMN, CREATE INDEX or DROP "
     "INDEX (docs/writing-migrations.md, portable DDL); anywhere else the words go to the "
     "database, and this one has no such syntax",
     "one action per ALTER TABLE (ADD COLUMN IF NOT EXISTS c ...), or a -- dbmig:up DRIVER "
     "section for that driver"},
    {"cross-db-auto-increment", DM_LINT_ERROR, DM_LD_ALL, 1,
     "each database spells an auto-numbered column its own way (PostgreSQL serial or GENERATED "
     "AS IDENTITY, MySQL AUTO_INCREMENT, SQLite INTEGER PRIMARY KEY [AUTOINCREMENT]); the "
     "others refuse the statement, or (SQLite and serial) number nothing",
     "write the column in a -- dbmig:up DRIVER section per driver"},
    {"cross-db-type", DM_LINT_ERROR, DM_LD_ALL, 1,
     "the type exists in one database only, and this one refuses the statement",
     "use a type every driver has (text, bigint, boolean, timestamp...), or a -- dbmig:up "
     "DRIVER section per driver"},
    {"cross-db-drop-cascade", DM_LINT_ERROR, DM_LD_ALL, 1,
     "SQLite's DROP has no CASCADE or RESTRICT: the statement is a syntax error there",
     "drop the dependent objects first and leave out CASCADE, or write a -- dbmig:up sqlite "
     "section"},
    {"cross-db-sections-differ", DM_LINT_WARNING, DM_LD_ALL, 1,
     "the drivers' up sections create different tables or indexes, so the databases' schemas "
     "differ after this revision, and a later revision written for one fails on another",
     "create the same objects in every driver's section (or say why in a -- dbmig:lint-ignore "
     "line)"},
    /* MySQL/MariaDB: what the online DDL tables of MySQL 8.0 and MariaDB 10.6
     * say (docs/lint.md, "Per dialect") */
    {"mysql-column-charset-change", DM_LINT_WARNING, DM_LD_MY, 0,
     "changing one column's character set or collation converts every value: MySQL copies the "
     "table (MariaDB 10.4+ does utf8mb3 to utf8mb4 instantly on a column without an index); "
     "characters the new set lacks are lost or refused, and the column no longer matches the "
     "columns it is compared or joined with (Illegal mix of collations, an index not used)",
     "convert whole tables with CONVERT TO CHARACTER SET (an online schema change tool on a "
     "big one), the tables joined with it too; on MariaDB add ALGORITHM=INSTANT to be told "
     "when it cannot be done without a copy"},
    {"mysql-alter-without-algorithm", DM_LINT_WARNING, DM_LD_MY, 0,
     "how this ALTER runs depends on the server version or on the column as it is now, and "
     "without ALGORITHM= MySQL silently falls back to the slower way: a table copy that blocks "
     "writes (ALGORITHM=COPY) or a rebuild of the whole table",
     "add ALGORITHM=INSTANT (or INPLACE), LOCK=NONE: MySQL then runs it that way or refuses "
     "with the reason, instead of copying; run what it refuses with an online schema change "
     "tool (gh-ost, pt-online-schema-change)"},
    {"mysql-foreign-key-copies-table", DM_LINT_WARNING, DM_LD_MY, 0,
     "with foreign_key_checks=1 MySQL adds a foreign key only by copying the table "
     "(ALGORITHM=COPY), checking every row while writes are blocked",
     "SET foreign_key_checks = 0 before it and add ALGORITHM=INPLACE, LOCK=NONE (MySQL's online "
     "way; existing rows are then not checked: look for orphans first with a LEFT JOIN), then "
     "SET foreign_key_checks = 1"},
    {"mysql-long-metadata-lock", DM_LINT_WARNING, DM_LD_MY, 0,
     "this holds a lock that blocks other sessions' writes (or reads) of the table for as long "
     "as it lasts, and every query of the table queues behind it (LOCK TABLES: until UNLOCK "
     "TABLES or the connection ends; it also commits the migration's transaction)",
     "leave the locking to the ALTER itself (LOCK=NONE where it can); to keep writers out of "
     "a data change, use a transaction with SELECT ... FOR UPDATE, or -- dbmig:batch"},
};

const dm_lint_rule *dm_lint_rules(size_t *n)
{
    *n = R_NRULES;
    return rules;
}

const dm_lint_rule *dm_lint_rule_find(const char *id, size_t *idx)
{
    for (size_t i = 0; id && i < R_NRULES; i++) {
        if (strcmp(rules[i].id, id) == 0) {
            if (idx)
                *idx = i;
            return &rules[i];
        }
    }
    return NULL;
}

const char *dm_lint_rule_nearest(const char *id)
{
    const char *ids[R_NRULES];
    for (size_t i = 0; i < R_NRULES; i++)
        ids[i] = rules[i].id;
    return id ? dm_mf_nearest(id, strlen(id), ids, R_NRULES) : NULL;
}

static const char *const sev_names[] = {"off", "info", "warning", "error"};

const char *dm_lint_severity_name(int sev)
{
    return sev >= 0 && sev <= DM_LINT_ERROR ? sev_names[sev] : "?";
}

int dm_lint_severity_parse(const char *s)
{
    for (int i = 0; s && i <= DM_LINT_ERROR; i++)
        if (strcmp(s, sev_names[i]) == 0)
            return i;
    return -1;
}

/* ---- facts and findings ------------------------------------------------------ */

dm_lact *dm_lfacts_add(dm_lfacts *f, dm_lact_kind kind, size_t off)
{
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 8;
        dm_lact *nv = realloc(f->v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        f->v = nv;
        f->cap = nc;
    }
    dm_lact *a = &f->v[f->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->off = off;
    a->type_len = -1;
    return a;
}

void dm_lfacts_free(dm_lfacts *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

void dm_lfindings_free(dm_lfindings *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].revision);
        free(l->v[i].file);
        free(l->v[i].message);
        free(l->v[i].fix);
        free(l->v[i].driver);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

int dm_lfinding_add(dm_lfindings *l, const char *rule, int severity, const char *revision,
                    const char *file, int line, const char *fix, const char *fmt, ...)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        dm_lfinding *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    dm_buf m = {0};
    va_list ap;
    va_start(ap, fmt);
    int bad = dm_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    dm_lfinding *f = &l->v[l->n];
    f->rule = rule;
    f->severity = severity;
    f->revision = dm_strdup(revision);
    f->file = dm_strdup(file);
    f->line = line;
    f->message = bad ? NULL : dm_buf_take(&m);
    f->fix = dm_strdup(fix);
    f->driver = NULL;
    dm_buf_free(&m);
    if (!f->message || !f->fix || (revision && !f->revision) || (file && !f->file)) {
        free(f->revision);
        free(f->file);
        free(f->message);
        free(f->fix);
        return -1;
    }
    l->n++;
    return 0;
}

/* ---- running the rules ------------------------------------------------------------ */

typedef struct sect {
    const dm_lctx *cx;
    dm_lfindings *out;
    dm_strv created;    /* tables created earlier in the section */
    dm_strv not_valid;  /* constraints added NOT VALID earlier */
    dm_strv redropped;  /* constraints dropped IF EXISTS earlier (re-adding them is robust) */
    int lock_set;       /* SET lock_timeout / lock_wait_timeout seen */
    int timeout_done;   /* require-timeout-settings reported once */
    int commit_done;    /* mysql-implicit-commit reported once */
    int nontx_done;     /* non-transactional-migration reported once */
    int concurrent;     /* a statement of the section cannot run in a transaction
                           (CONCURRENTLY, VACUUM...): dbmig runs it outside one */
    int explicit_txn;   /* inside the file's own BEGIN ... COMMIT */
    int fk_checks_off;  /* MySQL: SET foreign_key_checks = 0 in force */
    int algo_pinned;    /* MariaDB: SET alter_algorithm = INPLACE / NOCOPY / INSTANT */
    size_t nstmts;
    size_t nreal;       /* statements other than SET, RESET, BEGIN, COMMIT */
    int oom;
} sect;

static int line_of(const dm_lstmt *st, size_t off)
{
    int line = st->line;
    for (size_t i = 0; i < off && i < st->len; i++)
        line += st->sql[i] == '\n';
    return line;
}

/* Reports rule r at action a of statement st unless it is off, not for
 * this dialect or section, or suppressed there. */
static void emit(sect *s, dm_lstmt *st, int r, size_t off, const char *fmt, ...) DM_PRINTF(5, 6);
static void emit(sect *s, dm_lstmt *st, int r, size_t off, const char *fmt, ...)
{
    const dm_lctx *cx = s->cx;
    const dm_lint_rule *rule = &rules[r];
    int sev = cx->severity ? cx->severity[r] : rule->severity;
    if (sev == DM_LINT_OFF || !(rule->dialects & (1u << cx->dialect)) ||
        (rule->up_only && cx->kind != DM_UP))
        return;
    for (int k = 0; k < st->suppressed_n; k++) {
        if (strcmp(st->suppressed[k], rule->id) == 0) {
            st->suppress_used[k] = 1;
            return;
        }
    }
    dm_buf m = {0};
    va_list ap;
    va_start(ap, fmt);
    int bad = dm_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    if (bad || dm_lfinding_add(s->out, rule->id, sev, cx->revision, cx->file, line_of(st, off),
                               rule->fix, "%s: %s", dm_buf_str(&m), rule->why) != 0)
        s->oom = 1;
    dm_buf_free(&m);
}

int dm_lint_emit(const dm_lctx *cx, dm_lstmt *st, int r, size_t off, dm_lfindings *out,
                 const char *msg)
{
    sect s;
    memset(&s, 0, sizeof s);
    s.cx = cx;
    s.out = out;
    if (r >= 0 && r < R_NRULES)
        emit(&s, st, r, off, "%s", msg);
    return s.oom ? -1 : 0;
}

static int created(const sect *s, const char *table)
{
    for (size_t i = 0; i < s->created.n; i++)
        if (strcmp(s->created.v[i], table) == 0)
            return 1;
    return 0;
}

static int in_strv(const dm_strv *v, const char *x)
{
    for (size_t i = 0; x[0] && i < v->n; i++)
        if (strcmp(v->v[i], x) == 0)
            return 1;
    return 0;
}

/* dbmig runs the section in one transaction (PostgreSQL and SQLite roll
 * DDL back; a statement that cannot run in one, CONCURRENTLY, takes the
 * whole migration out of it) */
static int dbmig_txn(const sect *s)
{
    return s->cx->file_transaction && s->cx->dialect != DBMIG_DIALECT_MYSQL && !s->concurrent;
}

/* The statement runs in a transaction: dbmig's, or the file's own BEGIN. */
static int in_txn(const sect *s)
{
    return dbmig_txn(s) || (s->explicit_txn && s->cx->dialect != DBMIG_DIALECT_MYSQL);
}

static void robust(sect *s, dm_lstmt *st, const dm_lact *a, const char *what, const char *clause)
{
    if (!(a->flags & LF_IF_EXISTS) && !in_txn(s))
        emit(s, st, R_PREFER_ROBUST, a->off, "%s without %s outside a transaction", what, clause);
}

/* Statements a re-run fails on whatever they are written with (there is no
 * IF EXISTS for them): reported outside a transaction, with why. */
static void robust_rerun(sect *s, dm_lstmt *st, const dm_lact *a, const char *what)
{
    if (!in_txn(s))
        emit(s, st, R_PREFER_ROBUST, a->off, "%s outside a transaction: a re-run fails", what);
}

static void column_type(sect *s, dm_lstmt *st, const dm_lact *a)
{
    const char *c = a->name, *t = a->type;
    if (strcmp(t, "int4") == 0)
        emit(s, st, R_PREFER_BIGINT, a->off, "column %s is a 32-bit integer", c);
    else if (strcmp(t, "int2") == 0)
        emit(s, st, R_PREFER_BIGINT_SMALL, a->off, "column %s is a 16-bit integer", c);
    if (a->flags & LF_SERIAL)
        emit(s, st, R_PREFER_IDENTITY, a->off, "column %s is a serial", c);
    if (strcmp(t, "varchar") == 0 && a->type_len >= 0)
        emit(s, st, R_PREFER_TEXT, a->off, "column %s is varchar(%d)", c, a->type_len);
    if (strcmp(t, "timestamp") == 0)
        emit(s, st, R_PREFER_TSTZ, a->off, "column %s is timestamp without time zone", c);
    if (strcmp(t, "bpchar") == 0)
        emit(s, st, R_BAN_CHAR, a->off, "column %s is char(%d)", c, a->type_len > 0 ? a->type_len : 1);
}

static void add_column(sect *s, dm_lstmt *st, const dm_lact *a)
{
    const dm_lctx *cx = s->cx;
    unsigned f = a->flags;
    robust(s, st, a, "ADD COLUMN", "IF NOT EXISTS");
    if (cx->dialect == DBMIG_DIALECT_SQLITE) {
        /* what SQLite's ALTER TABLE ADD COLUMN refuses, on any table
         * (sqlite.org/lang_altertable.html) */
        const char *why = (f & (LF_PK | LF_UNIQUE)) ? "with PRIMARY KEY or UNIQUE"
                          : (f & (LF_TIME_DEFAULT | LF_VOLATILE_DEFAULT))
                              ? "with a default that is not a constant (CURRENT_TIMESTAMP, an "
                                "expression in parentheses)"
                          : (f & LF_GENERATED) && (f & LF_STORED) ? "as a STORED generated column"
                          /* (on a table of its own, adding-required-field says it) */
                          : (f & LF_NOT_NULL) && !(f & (LF_HAS_DEFAULT | LF_GENERATED)) &&
                                  created(s, a->table)
                              ? "NOT NULL without a default (even on an empty table)"
                              : NULL;
        if (why)
            emit(s, st, R_LITE_REBUILD, a->off, "ADD COLUMN %s %s", a->name, why);
    }
    if (created(s, a->table))
        return;
    if ((f & LF_NOT_NULL) && !(f & (LF_HAS_DEFAULT | LF_GENERATED | LF_IDENTITY | LF_SERIAL)))
        emit(s, st, R_ADDING_REQUIRED_FIELD, a->off, "column %s.%s is NOT NULL without a default",
             a->table, a->name);
    if (f & (LF_VOLATILE_DEFAULT | LF_GENERATED | LF_IDENTITY | LF_SERIAL))
        emit(s, st, R_ADDING_FIELD_WITH_DEFAULT, a->off, "column %s.%s has a %s", a->table, a->name,
             f & LF_GENERATED  ? "stored generated value"
             : f & LF_IDENTITY ? "value from a sequence for every row (identity)"
             : f & LF_SERIAL   ? "value from a sequence for every row (serial)"
                               : "volatile default");
    else if ((f & LF_HAS_DEFAULT) && cx->pg_major > 0 && cx->pg_major < 11)
        emit(s, st, R_ADDING_FIELD_WITH_DEFAULT, a->off,
             "column %s.%s has a default, on PostgreSQL %d", a->table, a->name, cx->pg_major);
    if (f & LF_FK)
        emit(s, st, R_ADDING_FK, a->off, "column %s.%s REFERENCES another table", a->table, a->name);
    if (f & LF_PK)
        emit(s, st, R_SERIAL_PK, a->off, "column %s.%s is added as the PRIMARY KEY", a->table,
             a->name);
    else if (f & LF_UNIQUE)
        emit(s, st, R_DISALLOWED_UNIQUE, a->off, "column %s.%s is added UNIQUE", a->table, a->name);
}

static int my_pinned(const sect *s, const dm_lstmt *st, const char **algo);

static void add_constraint(sect *s, dm_lstmt *st, const dm_lact *a)
{
    unsigned f = a->flags;
    const char *nm = a->name[0] ? a->name : "(unnamed)";
    emit(s, st, R_LITE_REBUILD, a->off, "ALTER TABLE %s ADD CONSTRAINT", a->table);
    if ((f & LF_NOT_VALID) && a->name[0] && dm_strv_push(&s->not_valid, a->name) != 0)
        s->oom = 1;
    if (!in_strv(&s->redropped, a->name))
        robust_rerun(s, st, a, a->name[0] ? "ADD CONSTRAINT (named; no DROP CONSTRAINT IF EXISTS "
                                            "before it)"
                                          : "ADD CONSTRAINT (unnamed: a re-run adds a second one)");
    if (created(s, a->table))
        return;
    if ((f & LF_FK) && !(f & LF_NOT_VALID))
        emit(s, st, R_ADDING_FK, a->off, "foreign key %s added to %s", nm, a->table);
    if ((f & LF_FK) && s->cx->dialect == DBMIG_DIALECT_MYSQL && !s->fk_checks_off) {
        const char *algo;
        int pinned = my_pinned(s, st, &algo);
        emit(s, st, R_MY_FK, a->off, "foreign key %s added to %s with foreign_key_checks=1%s", nm,
             a->table, pinned ? " (so MySQL refuses this ALGORITHM=INPLACE / LOCK=NONE)" : "");
    }
    if ((f & (LF_FK | LF_CHECK)) && !(f & LF_NOT_VALID))
        emit(s, st, R_CONSTRAINT_NOT_VALID, a->off, "%s constraint %s on %s without NOT VALID",
             f & LF_FK ? "foreign key" : "check", nm, a->table);
    if ((f & LF_UNIQUE) && !(f & LF_USING_INDEX))
        emit(s, st, R_DISALLOWED_UNIQUE, a->off, "unique constraint %s on %s without USING INDEX",
             nm, a->table);
    if ((f & LF_PK) && !(f & LF_USING_INDEX))
        emit(s, st, R_SERIAL_PK, a->off, "primary key %s on %s without USING INDEX", nm, a->table);
}

static void index_action(sect *s, dm_lstmt *st, const dm_lact *a)
{
    int create = a->kind == LA_CREATE_INDEX;
    const char *nm = a->name[0] ? a->name : "(unnamed)";
    if (a->flags & LF_CONCURRENTLY) {
        if (s->explicit_txn)
            emit(s, st, R_BAN_CONC_IN_TXN, a->off,
                 "%s INDEX CONCURRENTLY %s is inside the file's BEGIN ... COMMIT",
                 create ? "CREATE" : "DROP", nm);
    } else if (create && !created(s, a->table)) {
        emit(s, st, R_REQ_CONC_CREATE, a->off, "index %s on %s built without CONCURRENTLY", nm,
             a->table);
    } else if (!create) {
        emit(s, st, R_REQ_CONC_DELETE, a->off, "index %s dropped without CONCURRENTLY", nm);
    }
    /* a concurrent build never runs in a transaction, even inside the
     * file's own BEGIN (which fails it), and a failed one leaves an INVALID
     * index that a re-run meets */
    if (!(create && (a->flags & LF_CONCURRENTLY)) && in_txn(s))
        return;
    if (create && !a->name[0])
        emit(s, st, R_PREFER_ROBUST, a->off, "CREATE INDEX without a name outside a transaction: a "
                                             "re-run builds a second copy (name it, with IF NOT EXISTS)");
    else if (!(a->flags & LF_IF_EXISTS))
        emit(s, st, R_PREFER_ROBUST, a->off, "%s without %s outside a transaction",
             create ? "CREATE INDEX" : "DROP INDEX", create ? "IF NOT EXISTS" : "IF EXISTS");
}

static void alter_other(sect *s, dm_lstmt *st, const dm_lact *a)
{
    const char *n = a->name;
    if (s->cx->dialect == DBMIG_DIALECT_SQLITE &&
        strncmp(n, "add ", 4) != 0) /* ADD INDEX/KEY is MySQL only: a syntax error anyway */
        emit(s, st, R_LITE_REBUILD, a->off, "ALTER TABLE %s %s", a->table, n);
}

/* ---- MySQL/MariaDB online DDL ------------------------------------------------
 * The tables "Online DDL Operations" of MySQL 8.0 and "InnoDB Online DDL
 * Operations" of MariaDB 10.6: without ALGORITHM= the server picks the
 * fastest way it supports (INSTANT, INPLACE, then COPY) and says nothing;
 * with ALGORITHM=INPLACE / NOCOPY / INSTANT, or LOCK=NONE (a copy always
 * blocks writes), it refuses what needs more. */

/* The statement's ALGORITHM= value ("" when none) and whether it (or
 * MariaDB's SET alter_algorithm before it) rules out a copy. */
static int my_pinned(const sect *s, const dm_lstmt *st, const char **algo)
{
    int pinned = 0;
    *algo = "";
    for (size_t i = 0; i < st->facts.n; i++) {
        const char *v = st->facts.v[i].name;
        if (st->facts.v[i].kind != LA_ALGORITHM)
            continue;
        if (strncmp(v, "algorithm=", 10) == 0 && strcmp(v + 10, "default") != 0)
            *algo = v + 10;
        pinned |= strcmp(v, "lock=none") == 0;
    }
    if (**algo)
        return strcmp(*algo, "copy") != 0;
    return pinned || s->algo_pinned;
}

static int has_pk_add(const dm_lstmt *st)
{
    for (size_t i = 0; i < st->facts.n; i++)
        if (st->facts.v[i].kind == LA_ADD_CONSTRAINT && (st->facts.v[i].flags & LF_PK))
            return 1;
    return 0;
}

/* An action every MySQL 8.0 and MariaDB 10.6 runs as a table copy: what
 * it is, or NULL. */
static const char *my_copies(const dm_lstmt *st, const dm_lact *a, char *buf, size_t cap)
{
    const char *n = a->name;
    if (a->kind == LA_CONVERT_CHARSET)
        return "CONVERT TO CHARACTER SET";
    if (a->kind == LA_ADD_COLUMN && (a->flags & LF_GENERATED) && (a->flags & LF_STORED))
        return "ADD COLUMN ... STORED (a stored generated column: MySQL 8 copies the table)";
    if (a->kind != LA_ALTER_OTHER)
        return NULL;
    if (strcmp(n, "engine") == 0 && a->type[0] && strcmp(a->type, "innodb") != 0) {
        snprintf(buf, cap, "ENGINE=%s (another storage engine)", a->type);
        return buf;
    }
    if (strcmp(n, "order") == 0)
        return "ORDER BY";
    if (strcmp(n, "drop primary") == 0 && !has_pk_add(st)) /* with a new one: INPLACE */
        return "DROP PRIMARY KEY (without adding another in the same ALTER)";
    return NULL;
}

/* An action whose algorithm depends on the version or on the column as it
 * is: what happens, or NULL. */
static const char *my_depends(const dm_lact *a)
{
    const char *n = a->name;
    switch (a->kind) {
    case LA_ALTER_TYPE:
        return "MODIFY / CHANGE of a column: a table copy when its type changes (another type, a "
               "VARCHAR growing past 255 bytes, ENUM values added other than at the end), a "
               "rebuild for NULL / NOT NULL, INSTANT or in place otherwise";
    case LA_ADD_COLUMN:
        if (a->flags & LF_IDENTITY)
            return "ADD COLUMN ... AUTO_INCREMENT: a rebuild that blocks writes";
        if (a->flags & LF_POSITIONED)
            return "ADD COLUMN ... FIRST / AFTER: INSTANT on MySQL 8.0.29+ and MariaDB 10.4+, a "
                   "rebuild of the table before";
        return NULL;
    case LA_DROP_COLUMN:
        return "DROP COLUMN: INSTANT on MySQL 8.0.29+ and MariaDB 10.4+, a rebuild of the table "
               "before";
    case LA_ADD_CONSTRAINT:
        return (a->flags & LF_PK) ? "ADD PRIMARY KEY: a rebuild, and a table copy when a column "
                                    "has to become NOT NULL"
                                  : NULL;
    case LA_ALTER_OTHER:
        if (strcmp(n, "engine") == 0 || strcmp(n, "force") == 0)
            return "ENGINE=InnoDB / FORCE: a rebuild of the table (a copy when it is in another "
                   "engine now, or has a FULLTEXT index)";
        if (strcmp(n, "row_format") == 0 || strcmp(n, "key_block_size") == 0)
            return "ROW_FORMAT / KEY_BLOCK_SIZE: a rebuild of the table";
        if (strcmp(n, "add fulltext") == 0 || strcmp(n, "add spatial") == 0)
            return "ADD FULLTEXT / SPATIAL INDEX: blocks writes while it builds (the first "
                   "FULLTEXT index rebuilds the table)";
        return NULL;
    default:
        return NULL;
    }
}

/* mysql-alter-copies-table, mysql-column-charset-change and
 * mysql-alter-without-algorithm for one statement: at most one of them,
 * the surest (an explicit ALGORITHM=COPY is a copy too). */
static void my_online_ddl(sect *s, dm_lstmt *st)
{
    const char *algo;
    int pinned = my_pinned(s, st, &algo);
    const dm_lact *dep = NULL;
    char buf[160];
    for (size_t i = 0; i < st->facts.n; i++) {
        const dm_lact *a = &st->facts.v[i];
        if (a->table[0] && created(s, a->table))
            continue; /* a new table is empty: nothing to copy */
        const char *why = my_copies(st, a, buf, sizeof buf);
        if (why && !pinned) {
            emit(s, st, R_MY_COPY, a->off, "ALTER TABLE %s %s", a->table, why);
            return;
        }
        if (a->kind == LA_COLUMN_CHARSET) {
            emit(s, st, R_MY_CHARSET, a->off, "column %s.%s gets another character set or "
                                              "collation", a->table, a->name);
            return;
        }
        if (!dep && my_depends(a))
            dep = a;
    }
    if (dep && !strcmp(algo, "copy"))
        emit(s, st, R_MY_COPY, dep->off, "ALTER TABLE %s ... ALGORITHM=COPY", dep->table);
    else if (dep && !pinned && !algo[0])
        emit(s, st, R_MY_ALGORITHM, dep->off, "ALTER TABLE %s without ALGORITHM=: %s",
             dep->table, my_depends(dep));
}

/* MySQL statements that hold a table lock for long; LOCK=SHARED or
 * EXCLUSIVE asked for in an ALTER. */
static void my_locks(sect *s, dm_lstmt *st, const dm_lact *a)
{
    if (a->kind == LA_LOCK_TABLES && !(a->table[0] && created(s, a->table)))
        emit(s, st, R_MY_MDL, a->off, "%s%s%s", a->name, a->table[0] ? " " : "", a->table);
    else if (a->kind == LA_ALGORITHM &&
             (strcmp(a->name, "lock=shared") == 0 || strcmp(a->name, "lock=exclusive") == 0) &&
             !created(s, a->table))
        emit(s, st, R_MY_MDL, a->off, "ALTER TABLE %s ... LOCK=%s blocks %s for the whole ALTER",
             a->table, a->name + 5, a->name[5] == 's' ? "writes" : "reads and writes");
}

static void other_action(sect *s, dm_lstmt *st, const dm_lact *a);

/* The rules that look at one action. */
static void action(sect *s, dm_lstmt *st, const dm_lact *a)
{
    const dm_lctx *cx = s->cx;
    int fresh = a->table[0] && created(s, a->table);
    switch (a->kind) {
    case LA_CREATE_TABLE:
        if (!(a->flags & (LF_STRICT | LF_TEMP)))
            emit(s, st, R_LITE_STRICT, a->off, "table %s is not STRICT", a->table);
        if (!(a->flags & LF_TEMP))
            robust(s, st, a, "CREATE TABLE", "IF NOT EXISTS");
        if (dm_strv_push(&s->created, a->table) != 0)
            s->oom = 1;
        break;
    case LA_RENAME_COLUMN:
        if (!fresh)
            emit(s, st, R_RENAMING_COLUMN, a->off, "column %s.%s is renamed", a->table, a->name);
        robust_rerun(s, st, a, "RENAME COLUMN");
        break;
    case LA_RENAME_TABLE:
        if (!fresh)
            emit(s, st, R_RENAMING_TABLE, a->off, "table %s is renamed", a->table);
        robust_rerun(s, st, a, "RENAME TO");
        break;
    case LA_ADD_COLUMN:
        add_column(s, st, a);
        break;
    case LA_COLUMN_TYPE:
        column_type(s, st, a);
        break;
    case LA_DROP_COLUMN:
        emit(s, st, R_BAN_DROP_COLUMN, a->off, "column %s.%s is dropped", a->table, a->name);
        robust(s, st, a, "DROP COLUMN", "IF EXISTS");
        break;
    case LA_DROP_TABLE:
        if (!fresh)
            emit(s, st, R_BAN_DROP_TABLE, a->off, "table %s is dropped", a->table);
        robust(s, st, a, "DROP TABLE", "IF EXISTS");
        break;
    case LA_DROP_DATABASE:
        emit(s, st, R_BAN_DROP_DATABASE, a->off, "database %s is dropped", a->name);
        break;
    case LA_CREATE_INDEX:
    case LA_DROP_INDEX:
        index_action(s, st, a);
        break;
    case LA_ADD_CONSTRAINT:
        add_constraint(s, st, a);
        break;
    case LA_VALIDATE_CONSTRAINT:
        if (in_txn(s) && in_strv(&s->not_valid, a->name))
            emit(s, st, R_CONSTRAINT_NOT_VALID, a->off,
                 "constraint %s is validated in the transaction that added it NOT VALID", a->name);
        break;
    case LA_ALTER_TYPE:
        emit(s, st, R_LITE_REBUILD, a->off, "ALTER TABLE %s changes the type of %s", a->table, a->name);
        if (!fresh)
            emit(s, st, R_CHANGING_TYPE, a->off, "column %s.%s changes type", a->table, a->name);
        break;
    case LA_SET_NOT_NULL:
        emit(s, st, R_LITE_REBUILD, a->off, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", a->table, a->name);
        if (!fresh)
            emit(s, st, R_ADDING_NOT_NULLABLE_FIELD, a->off, "column %s.%s is SET NOT NULL", a->table,
                 a->name);
        break;
    case LA_TRUNCATE:
        if (a->flags & LF_CASCADE)
            emit(s, st, R_BAN_TRUNCATE_CASCADE, a->off, "TRUNCATE %s ... CASCADE", a->table);
        break;
    case LA_SET:
        /* SET lock_timeout = 0, DEFAULT or RESET: no time-out any more */
        if (strcmp(a->name, "lock_timeout") == 0 || strcmp(a->name, "lock_wait_timeout") == 0 ||
            (strcmp(a->name, "all") == 0 && (a->flags & LF_ZERO)))
            s->lock_set = !(a->flags & LF_ZERO);
        if (strcmp(a->name, "foreign_key_checks") == 0)
            s->fk_checks_off = (a->flags & LF_ZERO) != 0;
        if (strcmp(a->name, "alter_algorithm") == 0) /* MariaDB 10.3+ */
            s->algo_pinned = strcmp(a->type, "inplace") == 0 || strcmp(a->type, "nocopy") == 0 ||
                             strcmp(a->type, "instant") == 0;
        break;
    case LA_TXN:
        /* the MySQL and SQLite migrations dbmig runs in a transaction, and
         * PostgreSQL's unless a statement takes it out of one */
        if (cx->file_transaction &&
            (cx->dialect != DBMIG_DIALECT_POSTGRES || dbmig_txn(s)))
            emit(s, st, R_TXN_NESTING, a->off, "%s in a migration that runs in a transaction",
                 a->name);
        s->explicit_txn = strcmp(a->name, "BEGIN") == 0 || strcmp(a->name, "START TRANSACTION") == 0;
        break;
    case LA_PRAGMA_FK:
        if (cx->file_transaction)
            emit(s, st, R_LITE_PRAGMA_FK, a->off, "PRAGMA foreign_keys in a migration that runs "
                                                  "in a transaction");
        break;
    case LA_ALTER_OTHER:
        alter_other(s, st, a);
        break;
    case LA_LOCK_TABLES:
    case LA_ALGORITHM:
        my_locks(s, st, a);
        break;
    default:
        other_action(s, st, a);
        break;
    }
}

/* The actions only the newer rules read. */
static void other_action(sect *s, dm_lstmt *st, const dm_lact *a)
{
    switch (a->kind) {
    case LA_DROP_OTHER:
        robust(s, st, a, "DROP", "IF EXISTS");
        break;
    case LA_DROP_CONSTRAINT:
        if (a->flags & LF_IF_EXISTS) {
            if (dm_strv_push(&s->redropped, a->name) != 0)
                s->oom = 1;
        } else {
            robust(s, st, a, "DROP CONSTRAINT", "IF EXISTS");
        }
        break;
    case LA_DROP_NOT_NULL:
        if (!created(s, a->table))
            emit(s, st, R_BAN_DROP_NOT_NULL, a->off, "column %s.%s drops its NOT NULL", a->table,
                 a->name);
        break;
    case LA_REINDEX:
        if (!(a->flags & LF_CONCURRENTLY))
            emit(s, st, R_REQ_CONC_REINDEX, a->off, "REINDEX %s without CONCURRENTLY", a->table);
        break;
    default:
        break;
    }
}

/* A statement that takes a lock other sessions queue behind, on a table
 * the section did not create. */
static int takes_lock(const sect *s, const dm_lstmt *st)
{
    for (size_t i = 0; i < st->facts.n; i++) {
        const dm_lact *a = &st->facts.v[i];
        switch (a->kind) {
        case LA_RENAME_COLUMN: case LA_RENAME_TABLE: case LA_ADD_COLUMN: case LA_DROP_COLUMN:
        case LA_DROP_TABLE: case LA_ADD_CONSTRAINT: case LA_VALIDATE_CONSTRAINT:
        case LA_ALTER_TYPE: case LA_SET_NOT_NULL: case LA_TRUNCATE: case LA_ALTER_OTHER:
        case LA_CONVERT_CHARSET: case LA_COLUMN_CHARSET: case LA_LOCK_TABLES:
            if (!created(s, a->table))
                return 1;
            break;
        case LA_CREATE_INDEX:
            if (!(a->flags & LF_CONCURRENTLY) && !created(s, a->table))
                return 1;
            break;
        case LA_DROP_INDEX:
            if (!(a->flags & LF_CONCURRENTLY))
                return 1;
            break;
        case LA_LOCK: case LA_DROP_CONSTRAINT: case LA_DROP_NOT_NULL:
            if (!created(s, a->table))
                return 1;
            break;
        case LA_DROP_OTHER:
            if ((a->flags & LF_LOCK) && !created(s, a->table))
                return 1;
            break;
        case LA_REINDEX:
            if (!(a->flags & LF_CONCURRENTLY))
                return 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static void statement(sect *s, dm_lstmt *st)
{
    const dm_lctx *cx = s->cx;
    if (st->facts.parse_failed)
        emit(s, st, R_PARSE_ERROR, 0, "the statement could not be parsed (%s)", st->facts.why);
    if (!s->timeout_done && !s->lock_set && !cx->lock_timeout_configured && takes_lock(s, st)) {
        s->timeout_done = 1;
        emit(s, st, R_REQ_TIMEOUT, 0, "this statement waits for its lock without a time-out");
    }
    /* the first statement that takes the migration out of its transaction */
    if (s->concurrent && cx->file_transaction && s->nreal > 1 && !s->nontx_done &&
        dm_ddl_needs_autocommit(st->sql, st->len, cx->dialect,
                                cx->dialect == DBMIG_DIALECT_POSTGRES ? DBMIG_CAP_CONCURRENT_INDEX
                                                                      : 0)) {
        s->nontx_done = 1;
        emit(s, st, R_NONTX_MIGRATION, 0,
             "this statement cannot run in a transaction, in a migration of %zu statements",
             s->nreal);
    }
    if (cx->dialect == DBMIG_DIALECT_MYSQL && cx->file_transaction && st->facts.ddl &&
        s->nstmts > 1 && !s->commit_done) {
        s->commit_done = 1;
        emit(s, st, R_MY_IMPLICIT_COMMIT, 0,
             "this DDL statement commits implicitly, in a migration of %zu statements", s->nstmts);
    }
    for (size_t i = 0; i < st->facts.n && !s->oom; i++)
        action(s, st, &st->facts.v[i]);
    if (cx->dialect == DBMIG_DIALECT_MYSQL)
        my_online_ddl(s, st);
}

int dm_lint_section(const dm_lctx *cx, dm_lstmt *st, size_t n, dm_lfindings *out)
{
    sect s;
    memset(&s, 0, sizeof s);
    s.cx = cx;
    s.out = out;
    s.nstmts = n;
    uint32_t caps = cx->dialect == DBMIG_DIALECT_POSTGRES ? DBMIG_CAP_CONCURRENT_INDEX : 0;
    for (size_t k = 0; k < n; k++) {
        /* the engine's own test (plan.c): such a statement takes the
         * migration out of its transaction */
        s.concurrent |= dm_ddl_needs_autocommit(st[k].sql, st[k].len, cx->dialect, caps);
        int trivial = st[k].facts.n > 0; /* only SETs and transaction control */
        for (size_t i = 0; i < st[k].facts.n; i++) {
            s.concurrent |= (st[k].facts.v[i].flags & LF_CONCURRENTLY) != 0;
            trivial &= st[k].facts.v[i].kind == LA_SET || st[k].facts.v[i].kind == LA_TXN;
        }
        s.nreal += !trivial;
    }
    for (size_t k = 0; k < n && !s.oom; k++)
        statement(&s, &st[k]);
    dm_strv_free(&s.created);
    dm_strv_free(&s.not_valid);
    dm_strv_free(&s.redropped);
    return s.oom ? -1 : 0;
}

/* The index of a rule by id, for lint.c's file-level rules. */
int dm_lint_rule_index(const char *id)
{
    size_t i;
    return dm_lint_rule_find(id, &i) ? (int)i : -1;
}
