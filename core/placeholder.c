/* placeholder.c — ${name} placeholders (see placeholder.h). */
#include "placeholder.h"

#include <stdlib.h>
#include <string.h>

#include "mfline.h"
#include "split.h"

static int ph_lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }
static int ph_upper(int c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }

static int ph_name_char(unsigned char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

int dm_ph_valid_name(const char *s, size_t n)
{
    if (!s || n == 0 || n > DM_PH_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!ph_name_char((unsigned char)s[i], i == 0))
            return 0;
    return 1;
}

static int ph_same(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (ph_lower((unsigned char)a[i]) != ph_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

long dm_ph_find(const dbmig_var *v, size_t nv, const char *name, size_t n)
{
    for (size_t i = 0; v && i < nv; i++)
        if (v[i].name && ph_same(name, n, v[i].name))
            return (long)i;
    return -1;
}

int dm_ph_check_vars(const dbmig_var *v, size_t n, dm_err *err)
{
    if (n && !v)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "dbmig_options.nvars is %zu but vars is NULL: pass the array of "
                          "placeholder values, or set nvars to 0",
                          n);
    for (size_t i = 0; i < n; i++) {
        const char *name = v[i].name;
        if (!name || !dm_ph_valid_name(name, strlen(name)))
            return dm_err_set(err, DBMIG_EUSAGE,
                              "'%.80s' is not a placeholder name: use 1-64 letters, digits and _, "
                              "not starting with a digit (such as schema or tenant_id)",
                              name ? name : "(null)");
        if (!v[i].value)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "placeholder %s has no value (NULL): give it one, \"\" for an "
                              "empty one",
                              name);
        if (strpbrk(v[i].value, "\r\n"))
            return dm_err_set(err, DBMIG_EUSAGE,
                              "the value of placeholder %s holds a line break: a placeholder "
                              "value is one line (so that every statement keeps its line in "
                              "the file); write multi-line SQL in the migration itself",
                              name);
        long j = dm_ph_find(v, i, name, strlen(name));
        if (j >= 0)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "placeholder %s is given twice (also as %s; names ignore case): "
                              "give it once",
                              name, v[j].name);
    }
    return 0;
}

void dm_ph_uses_free(dm_ph_uses *u)
{
    free(u->v);
    memset(u, 0, sizeof *u);
}

static int ph_use_push(dm_ph_uses *u, size_t var, int line)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 8;
        dm_ph_use *nv = realloc(u->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        u->v = nv;
        u->cap = cap;
    }
    u->v[u->n].var = var;
    u->v[u->n].line = line;
    u->n++;
    return 0;
}

/* An undefined ${name} on line: its name, the nearest defined one, and the
 * three ways to give it a value. */
static int ph_undefined(const char *path, int line, const char *name, size_t n,
                        const dbmig_var *vars, size_t nvars, dm_err *err)
{
    const char *near = NULL;
    const char **cands = nvars ? calloc(nvars, sizeof *cands) : NULL;
    if (cands) {
        for (size_t i = 0; i < nvars; i++)
            cands[i] = vars[i].name;
        near = dm_mf_nearest(name, n, cands, nvars);
    }
    char env[DM_PH_NAME_MAX + 1];
    for (size_t i = 0; i < n; i++)
        env[i] = (char)ph_upper((unsigned char)name[i]);
    env[n] = '\0';
    dm_err_set(err, DBMIG_EINVALID,
               "%s:%d: placeholder ${%.*s} has no value%s%s%s. Give it one with --var %.*s=VALUE, "
               "a `%.*s = VALUE` line in the [vars] section of dbmig.conf, or the environment "
               "variable DBMIG_VAR_%s (a library passes dbmig_options.vars); or write $${%.*s} "
               "for the literal text",
               path, line, (int)n, name, near ? " (did you mean ${" : "", near ? near : "",
               near ? "}?)" : "", (int)n, name, (int)n, name, env, (int)n, name);
    free(cands);
    return DBMIG_EINVALID;
}

/* A `${` at text[i] that starts no placeholder. */
static int ph_malformed(const char *path, int line, const char *text, size_t i, size_t len,
                        dm_err *err)
{
    size_t show = 0;
    while (i + show < len && show < 40 && text[i + show] != '\n' && text[i + show] != '}')
        show++;
    if (i + show < len && text[i + show] == '}')
        show++;
    return dm_err_set(err, DBMIG_EINVALID,
                      "%s:%d: '%.*s' is not a placeholder: this file has -- dbmig:placeholders "
                      "on, where ${ starts one. Write ${name} (1-64 letters, digits and _, no "
                      "blanks), or $${ for a literal ${",
                      path, line, (int)show, text + i);
}

/* 1 when the `$` at text[i] closes a dollar-quote tag: `$$` (a `$` right
 * after another) or `$tag$` (a tag of letters, digits and _, not starting
 * with a digit, whose opening `$` does not continue a word, as `a$b$` in a
 * PostgreSQL identifier does). Such a `$` never starts the `$${` escape, so
 * `$$${tbl}$$` and `$fn$${schema}.f()$fn$` are a dollar-quoted placeholder:
 * the SQL reading wins over the escape. */
static int ph_closes_tag(const char *text, size_t i)
{
    if (i == 0)
        return 0;
    if (text[i - 1] == '$')
        return 1;
    size_t j = i;
    while (j > 0 && ph_name_char((unsigned char)text[j - 1], 0))
        j--;
    if (j == i || j == 0 || text[j - 1] != '$' || !ph_name_char((unsigned char)text[j], 1))
        return 0;
    j--; /* the opening $ */
    return j == 0 || !(ph_name_char((unsigned char)text[j - 1], 0) || text[j - 1] == '$');
}

int dm_ph_subst(const char *path, int first_line, const char *text, size_t len,
                const dbmig_var *vars, size_t nvars, dm_buf *out, dm_ph_uses *uses, dm_err *err)
{
    int line = first_line;
    size_t done = 0; /* text[done..i) is copied at the next placeholder */
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            line++;
            continue;
        }
        if (text[i] != '$')
            continue;
        int literal = i + 2 < len && text[i + 1] == '$' && text[i + 2] == '{' &&
                      !ph_closes_tag(text, i);
        if (!literal && !(i + 1 < len && text[i + 1] == '{'))
            continue;
        if (dm_buf_append(out, text + done, i - done))
            return dm_err_nomem(err);
        if (literal) { /* $${ → ${ */
            if (dm_buf_append(out, "${", 2))
                return dm_err_nomem(err);
            i += 2;
            done = i + 1;
            continue;
        }
        size_t b = i + 2, e = b;
        while (e < len && e - b <= DM_PH_NAME_MAX && ph_name_char((unsigned char)text[e], e == b))
            e++;
        if (e >= len || text[e] != '}' || !dm_ph_valid_name(text + b, e - b))
            return ph_malformed(path, line, text, i, len, err);
        long v = dm_ph_find(vars, nvars, text + b, e - b);
        if (v < 0)
            return ph_undefined(path, line, text + b, e - b, vars, nvars, err);
        if (dm_buf_puts(out, vars[v].value) || (uses && ph_use_push(uses, (size_t)v, line)))
            return dm_err_nomem(err);
        i = e;
        done = e + 1;
    }
    if (dm_buf_append(out, text + done, len - done))
        return dm_err_nomem(err);
    return 0;
}

int dm_ph_value_risky(const char *value)
{
    return strpbrk(value, ";'\"`\\$#") != NULL || strstr(value, "--") != NULL ||
           strstr(value, "/*") != NULL;
}

/* s[0..n) without blanks at either end, as the splitter trims a statement
 * (a value may end a statement with a blank the splitter drops). */
static int ph_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void ph_trim(const char **s, size_t *n)
{
    while (*n && ph_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && ph_space((*s)[*n - 1]))
        (*n)--;
}

/* The index in a of the first statement that differs from b's: a's
 * statements substituted one by one against b's; -1 when none does (and the
 * counts agree), a->n when b has more. */
static long ph_first_moved(const char *path, const dm_stmt_list *a, const dm_stmt_list *b,
                           const dbmig_var *vars, size_t nvars, int *oom)
{
    for (size_t i = 0; i < a->n; i++) {
        if (i >= b->n || a->v[i].line != b->v[i].line)
            return (long)i;
        dm_buf one = {0};
        dm_err e = {0};
        int rc = dm_ph_subst(path, a->v[i].line, a->v[i].sql, a->v[i].len, vars, nvars, &one,
                             NULL, &e);
        dm_err_free(&e);
        const char *x = dm_buf_str(&one), *y = b->v[i].sql;
        size_t xn = one.len, yn = b->v[i].len;
        ph_trim(&x, &xn);
        ph_trim(&y, &yn);
        int same = rc == 0 && xn == yn && memcmp(x, y, xn) == 0;
        *oom = rc != 0 && rc != DBMIG_EINVALID; /* (the whole text substituted) */
        dm_buf_free(&one);
        if (!same)
            return (long)i;
    }
    return b->n > a->n ? (long)a->n : -1;
}

int dm_ph_check_split(const char *path, int first_line, const char *text, size_t len,
                      const char *sub, size_t sublen, int dialect, const dbmig_var *vars,
                      size_t nvars, const dm_ph_uses *uses, dm_err *err)
{
    dm_stmt_list a = {0}, b = {0};
    int rc = dm_split(text, len, dialect, first_line, path, &a, err);
    if (rc)
        return rc;
    dm_err e = {0};
    int rb = dm_split(sub, sublen, dialect, first_line, path, &b, &e);
    dm_err_free(&e);
    int oom = 0;
    long k = rb ? 0 : ph_first_moved(path, &a, &b, vars, nvars, &oom);
    if (oom)
        rc = dm_err_nomem(err);
    else if (rb || k >= 0) {
        /* the placeholder: one on or after the first statement that differs
         * whose value holds SQL structure, else the first such, else the
         * first of all */
        int from = rb || (size_t)k >= a.n ? 0 : a.v[k].line;
        size_t pick = 0, risky = (size_t)-1;
        for (size_t i = 0; uses && i < uses->n; i++)
            if (dm_ph_value_risky(vars[uses->v[i].var].value) &&
                (risky == (size_t)-1 || (uses->v[risky].line < from && uses->v[i].line >= from)))
                risky = i;
        if (risky != (size_t)-1)
            pick = risky;
        if (uses && uses->n)
            rc = dm_err_set(err, DBMIG_EINVALID,
                            "%s:%d: the value of ${%s} changes where this section's statements "
                            "begin or end (a `;`, a quote or a comment start in it is read as "
                            "SQL: values are substituted before the file is split). If the "
                            "value is data, put the placeholder inside a quoted string and "
                            "write each quote in the value twice (''); statements belong in "
                            "the file itself",
                            path, uses->v[pick].line, vars[uses->v[pick].var].name);
        else
            rc = dm_err_set(err, DBMIG_EINVALID,
                            "%s:%d: a placeholder's value changes where this section's "
                            "statements begin or end",
                            path, rb || (size_t)k >= a.n ? first_line : a.v[k].line);
    }
    dm_stmt_list_free(&a);
    dm_stmt_list_free(&b);
    return rc;
}
