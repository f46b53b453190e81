/* lint_ph.c — the statements of a `-- dbmig:placeholders on` section as
 * lint reads them (SPEC 16, docs/lint.md "Placeholders").
 *
 * A run substitutes ${name} before it splits the section (migfile.c), and
 * lint must see what would run: a `${schema}.users` left as written is no
 * SQL of any dialect (PostgreSQL's parser stops at the `$`), so no rule
 * would check the file at all. The values are the handle's (--var, [vars],
 * DBMIG_VAR_<NAME>: engine.c points each file's vars at them). Unlike a
 * run, a name without a value is not an error here: lint runs in review
 * and CI, where the deploy's values are often absent. The name is put in
 * the placeholder's place as an identifier, which is what a placeholder
 * almost always stands for (a schema, a table prefix, a role), and the
 * caller reports it once per file (placeholder-without-value, info).
 *
 * Substitution goes through dm_ph_subst, the run's own: a malformed `${`
 * and a value that moves a statement boundary are the run's errors
 * (DBMIG_EINVALID with file:line), never a different reading. */
#define _POSIX_C_SOURCE 200809L
#include "lint.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "placeholder.h"
#include "split.h"

/* Words PostgreSQL reserves (its "reserved" and "type_func_name" keyword
 * categories, which cannot name a table or schema): a placeholder named
 * like one gets a trailing '_' as its stand-in, so that `${user}.t`
 * parses. */
static const char *const reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except",
    "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having",
    "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "lateral",
    "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not",
    "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps", "placing",
    "primary", "references", "returning", "right", "select", "session_user", "similar", "some",
    "symmetric", "table", "tablesample", "then", "to", "trailing", "true", "union", "unique",
    "user", "using", "variadic", "verbose", "when", "where", "window", "with", NULL};

static int is_reserved(const char *w)
{
    for (size_t i = 0; reserved[i]; i++)
        if (strcasecmp(reserved[i], w) == 0)
            return 1;
    return 0;
}

void dm_lph_free(dm_lph *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].ident);
    }
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* Adds name[0..n) (first seen on line) unless it is listed; -1 on OOM. */
static int lph_add(dm_lph *p, const char *name, size_t n, int line)
{
    for (size_t i = 0; i < p->n; i++)
        if (strlen(p->v[i].name) == n && strncasecmp(p->v[i].name, name, n) == 0)
            return 0;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 4;
        dm_lph_name *nv = realloc(p->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        p->v = nv;
        p->cap = nc;
    }
    dm_lph_name *e = &p->v[p->n];
    e->line = line;
    e->name = malloc(n + 1);
    e->ident = malloc(n + 2);
    if (!e->name || !e->ident) {
        free(e->name);
        free(e->ident);
        return -1;
    }
    memcpy(e->name, name, n);
    e->name[n] = '\0';
    memcpy(e->ident, e->name, n + 1);
    if (is_reserved(e->ident)) { /* room for it: malloc(n + 2) above */
        e->ident[n] = '_';
        e->ident[n + 1] = '\0';
    }
    p->n++;
    return 0;
}

/* The ${name}s of text with no value in vars, into undef. A `${` that
 * starts no placeholder is left to dm_ph_subst, which reports it. */
static int find_undefined(const char *text, size_t len, int line, const dbmig_var *vars,
                          size_t nvars, dm_lph *undef)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            line++;
            continue;
        }
        if (text[i] != '$' || i + 1 >= len)
            continue;
        if (text[i + 1] == '$' && i + 2 < len && text[i + 2] == '{') {
            i += 2; /* $${: a literal */
            continue;
        }
        if (text[i + 1] != '{')
            continue;
        size_t b = i + 2, e = b;
        while (e < len && e - b <= DM_PH_NAME_MAX && text[e] != '}' && text[e] != '\n')
            e++;
        if (e >= len || text[e] != '}' || !dm_ph_valid_name(text + b, e - b))
            continue;
        if (dm_ph_find(vars, nvars, text + b, e - b) < 0 && lph_add(undef, text + b, e - b, line))
            return -1;
        i = e;
    }
    return 0;
}

int dm_lint_ph_split(const char *path, int first_line, const char *text, size_t len,
                     int dialect, const dbmig_var *vars, size_t nvars, dm_stmt_list *out,
                     dm_lph *undef, dm_err *err)
{
    if (find_undefined(text, len, first_line, vars, nvars, undef))
        return dm_err_nomem(err);
    /* the values, then a stand-in for each name without one */
    size_t nall = nvars + undef->n;
    dbmig_var *all = calloc(nall ? nall : 1, sizeof *all);
    if (!all)
        return dm_err_nomem(err);
    if (nvars)
        memcpy(all, vars, nvars * sizeof *all);
    for (size_t i = 0; i < undef->n; i++)
        all[nvars + i] = (dbmig_var){undef->v[i].name, undef->v[i].ident};
    dm_buf sub = {0};
    dm_ph_uses uses = {0};
    int rc = dm_ph_subst(path, first_line, text, len, all, nall, &sub, &uses, err);
    /* as a run does (migfile.c), with the run's message: the values must
     * not move a statement's start or end */
    if (rc == DBMIG_OK && uses.n)
        rc = dm_ph_check_split(path, first_line, text, len, dm_buf_str(&sub), sub.len, dialect,
                               all, nall, &uses, err);
    if (rc == DBMIG_OK)
        rc = dm_split(dm_buf_str(&sub), sub.len, dialect, first_line, path, out, err);
    dm_ph_uses_free(&uses);
    dm_buf_free(&sub);
    free(all);
    return rc;
}
