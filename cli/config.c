/* config.c — the CLI's settings: INI file (libinih), environment, command
 * line. See config.h for the precedence.
 *
 * The file is fed to inih through our own line reader (ini_parse_stream),
 * which lets us
 *   - know the line of every key (Debian's inih has no line numbers in the
 *     handler), so that every error says file:line;
 *   - see every [section] header, even an empty one, to reject unknown
 *     sections and to tell whether the asked-for [env.NAME] exists;
 *   - accept lines longer than inih's fixed line buffer (long URLs): such a
 *     `key = value` line is handed to inih as `key=\x01` and the handler
 *     takes the real value from the reader.
 * Indented lines are inih continuation lines; since a setting is always one
 * line, an indented line after a key is an error rather than a silent
 * overwrite. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

static const char *const cf_keys[] = {
    "driver", "url", "dir", "table", "plugin-dir", "lock-timeout", "lock", "lease-seconds",
    "commit-interval", "single-transaction", "format", "no-color", "verbose", "quiet", "dry-run",
    "sql", "env", "config", "dump-schema", "ddl-lock-timeout", "ddl-retries", "statement-timeout",
    "batch-pause", "batch-time", "phase", "env-file", "no-env-file",
};
#define CF_NKEYS (sizeof cf_keys / sizeof cf_keys[0])

static const char *const cf_bools[] = {
    "single-transaction", "no-color", "verbose", "quiet", "dry-run", "sql", "no-env-file",
};

#define CF_LONGMARK "\x01"

extern char **environ;

static void cf_err(char *errbuf, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cf_err(char *errbuf, size_t errcap, const char *fmt, ...)
{
    if (!errbuf || !errcap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errcap, fmt, ap);
    va_end(ap);
}

static char *cf_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static char *cf_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- names, booleans, suggestions ------------------------------------------- */

int cli_config_known(const char *key)
{
    if (!key)
        return 0;
    for (size_t i = 0; i < CF_NKEYS; i++)
        if (strcmp(cf_keys[i], key) == 0)
            return 1;
    return 0;
}

int cli_config_is_bool(const char *key)
{
    if (!key)
        return 0;
    for (size_t i = 0; i < sizeof cf_bools / sizeof cf_bools[0]; i++)
        if (strcmp(cf_bools[i], key) == 0)
            return 1;
    return 0;
}

const char *const *cli_config_keys(size_t *n)
{
    *n = CF_NKEYS;
    return cf_keys;
}

int cli_parse_bool(const char *s)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    if (!s)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

size_t cli_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return la > lb ? la : lb; /* no typo of a name is that long */
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb;
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *cli_suggest(const char *word, const char *const *cands, size_t n)
{
    if (!word || !*word)
        return NULL;
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = cli_edit_distance(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    if (!best)
        return NULL;
    /* close enough to be a typo: one edit for short names, up to three */
    size_t len = strlen(best), limit = len / 3;
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    return bestd <= limit ? best : NULL;
}

/* ---- the settings table -------------------------------------------------- */

static long cf_find(const cli_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->key[i], key) == 0)
            return (long)i;
    return -1;
}

int cli_config_set_from(cli_config *cfg, const char *key, const char *val, const char *src)
{
    if (!cli_config_known(key) || !val)
        return -1;
    char *v = cf_strdup(val);
    char *s = src ? cf_strdup(src) : NULL;
    if (!v || (src && !s)) {
        free(v);
        free(s);
        return -1;
    }
    long i = cf_find(cfg, key);
    if (i >= 0) {
        free(cfg->val[i]);
        free(cfg->src[i]);
        cfg->val[i] = v;
        cfg->src[i] = s;
        return 0;
    }
    char *k = cfg->n < CLI_CONF_MAX ? cf_strdup(key) : NULL;
    if (!k) {
        free(v);
        free(s);
        return -1;
    }
    cfg->key[cfg->n] = k;
    cfg->val[cfg->n] = v;
    cfg->src[cfg->n] = s;
    cfg->n++;
    return 0;
}

int cli_config_set(cli_config *cfg, const char *key, const char *val)
{
    return cli_config_set_from(cfg, key, val, NULL);
}

int cli_config_default_from(cli_config *cfg, const char *key, const char *val, const char *src)
{
    if (!cli_config_known(key))
        return -1;
    if (cf_find(cfg, key) >= 0)
        return 0;
    return cli_config_set_from(cfg, key, val, src);
}

int cli_config_default(cli_config *cfg, const char *key, const char *val)
{
    return cli_config_default_from(cfg, key, val, NULL);
}

const char *cli_config_get(const cli_config *cfg, const char *key)
{
    long i = cf_find(cfg, key);
    return i >= 0 ? cfg->val[i] : NULL;
}

const char *cli_config_source(const cli_config *cfg, const char *key)
{
    long i = cf_find(cfg, key);
    if (i < 0)
        return NULL;
    if (cfg->src[i])
        return cfg->src[i];
    /* the command line: "--key" (the key names are static) */
    static const char *const opt[] = {
        "--driver", "--url", "--dir", "--table", "--plugin-dir", "--lock-timeout", "--lock",
        "--lease-seconds", "--commit-interval", "--single-transaction", "--format", "--no-color",
        "--verbose", "--quiet", "--dry-run", "--sql", "--env", "--config", "--dump-schema",
        "--ddl-lock-timeout", "--ddl-retries", "--statement-timeout", "--batch-pause",
        "--batch-time", "--phase", "--env-file", "--no-env-file",
    };
    _Static_assert(sizeof opt / sizeof opt[0] == CF_NKEYS, "one option name per key");
    for (size_t k = 0; k < CF_NKEYS; k++)
        if (strcmp(cf_keys[k], key) == 0)
            return opt[k];
    return "the command line";
}

int cli_config_on(const cli_config *cfg, const char *key)
{
    const char *v = cli_config_get(cfg, key);
    return v && strcmp(v, "0") != 0;
}

int cli_config_number(const cli_config *cfg, const char *key, double min, double max, int whole,
                      const char *unit, double *out, char *errbuf, size_t errcap)
{
    const char *v = cli_config_get(cfg, key);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    int ok = end != v && !*end && !errno && !isspace((unsigned char)v[0]) && d == d &&
             d >= min && d <= max;
    /* strtod also reads "inf", "nan" and hexadecimal: only plain decimals */
    for (const char *p = v; ok && *p; p++)
        ok = isdigit((unsigned char)*p) || *p == '.' || (p == v && (*p == '-' || *p == '+'));
    if (ok && whole && d != (double)(long long)d)
        ok = 0;
    if (ok) {
        *out = d;
        return 1;
    }
    const char *src = cli_config_source(cfg, key);
    char range[64];
    if (max >= 1e9)
        snprintf(range, sizeof range, ">= %g", min);
    else
        snprintf(range, sizeof range, "from %g to %g", min, max);
    cf_err(errbuf, errcap, "bad value '%s' for %s (from %s): expected %s %s %s%s", v, key,
           src ? src : "?", whole ? "a whole number of" : "a number of", unit, range,
           whole ? "" : ", like 60 or 2.5");
    return -1;
}

int cli_parse_duration(const char *v, double bare_mul, int *out_ms)
{
    /* digits, an optional fraction, then ms, s or m: "2s", "500ms", "1.5m" */
    const char *p = v;
    int digits = 0;
    while (isdigit((unsigned char)*p))
        p++, digits++;
    if (*p == '.' && digits && isdigit((unsigned char)p[1]))
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    double n = digits ? strtod(v, NULL) : -1, mul = 0;
    if (strcmp(p, "ms") == 0)
        mul = 1;
    else if (strcmp(p, "s") == 0)
        mul = 1000;
    else if (strcmp(p, "m") == 0)
        mul = 60000;
    else if (!*p) /* --batch-pause MS, --batch-time MS (SPEC 14); wait --timeout S */
        mul = bare_mul;
    double ms = n * mul;
    if (digits && mul > 0 && ms <= 2147483647.0 && (ms >= 1 || ms == 0)) {
        *out_ms = (int)(ms + 0.5);
        return 1;
    }
    return digits && !*p ? -1 : 0;
}

int cli_config_duration(const cli_config *cfg, const char *key, int bare_ms, int *out_ms,
                        char *errbuf, size_t errcap)
{
    const char *v = cli_config_get(cfg, key);
    if (!v)
        return 0;
    int r = cli_parse_duration(v, bare_ms ? 1 : 0, out_ms);
    if (r > 0)
        return 1;
    const char *src = cli_config_source(cfg, key);
    cf_err(errbuf, errcap,
           "bad value '%s' for %s (from %s): expected a duration, a number with its unit ms, s "
           "or m, like 2s, 500ms or 1.5m%s",
           v, key, src ? src : "?",
           r < 0 ? " (a bare number has no unit: write it with one)" : "");
    return -1;
}

void cli_config_free(cli_config *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->key[i]);
        free(cfg->val[i]);
        free(cfg->src[i]);
    }
    for (size_t i = 0; i < cfg->nlint; i++) {
        free(cfg->lint_rule[i]);
        free(cfg->lint_sev[i]);
        free(cfg->lint_src[i]);
    }
    free(cfg->lint_rule);
    free(cfg->lint_sev);
    free(cfg->lint_src);
    for (size_t i = 0; i < cfg->nvars; i++) {
        free(cfg->vars[i].name);
        free(cfg->vars[i].val);
        free(cfg->vars[i].src);
    }
    free(cfg->vars);
    free(cfg->var_array);
    cli_dotenv_free(&cfg->dotenv);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- placeholder values (SPEC 16) -------------------------------------------- */

/* A placeholder name: 1-64 letters, digits and _, not starting with a digit
 * (the core's rule, placeholder.h). */
static int cf_var_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || isdigit((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

static long cf_var_find(const cli_config *cfg, const char *name, size_t n)
{
    for (size_t i = 0; i < cfg->nvars; i++)
        if (strlen(cfg->vars[i].name) == n && strncasecmp(cfg->vars[i].name, name, n) == 0)
            return (long)i;
    return -1;
}

static int cf_var_push(cli_config *cfg, const char *name, size_t n, const char *val,
                       const char *src)
{
    cli_var *nv = realloc(cfg->vars, (cfg->nvars + 1) * sizeof *nv);
    if (!nv)
        return -1;
    cfg->vars = nv;
    cli_var *v = &nv[cfg->nvars];
    v->name = cf_strndup(name, n);
    v->val = cf_strdup(val);
    v->src = cf_strdup(src);
    if (!v->name || !v->val || !v->src) {
        free(v->name);
        free(v->val);
        free(v->src);
        return -1;
    }
    for (char *p = v->name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    cfg->nvars++;
    free(cfg->var_array); /* rebuilt on demand */
    cfg->var_array = NULL;
    return 0;
}

int cli_config_default_var(cli_config *cfg, const char *name, size_t namelen, const char *val,
                           const char *src, char *errbuf, size_t errcap)
{
    if (!cf_var_name_ok(name, namelen)) {
        cf_err(errbuf, errcap,
               "%s: '%.*s' is not a placeholder name: use 1-64 letters, digits and _, not "
               "starting with a digit (such as schema or tenant_id)",
               src, (int)(namelen > 80 ? 80 : namelen), name);
        return -1;
    }
    if (strpbrk(val, "\r\n")) {
        cf_err(errbuf, errcap,
               "%s: the value of placeholder %.*s holds a line break: a placeholder value is one "
               "line; write multi-line SQL in the migration itself",
               src, (int)namelen, name);
        return -1;
    }
    if (cf_var_find(cfg, name, namelen) >= 0)
        return 0;
    if (cf_var_push(cfg, name, namelen, val, src) != 0) {
        cf_err(errbuf, errcap, "out of memory");
        return -1;
    }
    return 0;
}

int cli_config_add_var(cli_config *cfg, const char *assignment, char *errbuf, size_t errcap)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        cf_err(errbuf, errcap,
               "--var needs NAME=VALUE (such as --var schema=tenant_a)%s",
               eq ? ": the name before '=' is missing" : "");
        return -1;
    }
    size_t n = (size_t)(eq - assignment);
    long i = cf_var_find(cfg, assignment, n);
    if (i >= 0 && strcmp(cfg->vars[i].val, eq + 1) != 0) {
        cf_err(errbuf, errcap,
               "option '--var %.*s' is given twice with different values; give it once "
               "(names ignore case)",
               (int)n, assignment);
        return -1;
    }
    return cli_config_default_var(cfg, assignment, n, eq + 1, "--var", errbuf, errcap);
}

const dbmig_var *cli_config_var_array(cli_config *cfg, size_t *n)
{
    *n = 0;
    if (!cfg->nvars)
        return NULL;
    if (!cfg->var_array && !(cfg->var_array = calloc(cfg->nvars, sizeof *cfg->var_array)))
        return NULL;
    for (size_t i = 0; i < cfg->nvars; i++) {
        cfg->var_array[i].name = cfg->vars[i].name;
        cfg->var_array[i].value = cfg->vars[i].val;
    }
    *n = cfg->nvars;
    return cfg->var_array;
}

/* ---- ${VAR} ----------------------------------------------------------------- */

/* The value of the "${NAME}" at p, and *next after it; NULL with the error
 * when it is malformed or NAME is not set. */
static const char *cf_lookup(const char *p, const char **next, char *errbuf, size_t errcap)
{
    const char *name = p + 2, *end = strchr(name, '}');
    if (!end) {
        cf_err(errbuf, errcap, "unterminated '${' (write $$ for a literal $)");
        return NULL;
    }
    size_t nl = (size_t)(end - name);
    int ok = nl > 0 && !isdigit((unsigned char)name[0]);
    for (size_t i = 0; ok && i < nl; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '_';
    if (!ok) {
        cf_err(errbuf, errcap,
               "bad variable name '${%.*s}' (letters, digits and _; write $$ for a literal $)",
               (int)nl, name);
        return NULL;
    }
    char var[256];
    if (nl >= sizeof var) {
        cf_err(errbuf, errcap, "variable name too long");
        return NULL;
    }
    memcpy(var, name, nl);
    var[nl] = '\0';
    const char *v = getenv(var);
    if (!v)
        cf_err(errbuf, errcap, "environment variable %s is not set", var);
    *next = end + 1;
    return v;
}

char *cli_expand_env(const char *in, char *errbuf, size_t errcap)
{
    size_t cap = strlen(in) + 1, len = 0;
    char *out = malloc(cap);
    if (!out) {
        cf_err(errbuf, errcap, "out of memory");
        return NULL;
    }
    for (const char *p = in; *p;) {
        const char *add = p;
        size_t addn = 1;
        if (p[0] == '$' && p[1] == '$') {
            p += 2;
        } else if (p[0] == '$' && p[1] == '{') {
            if (!(add = cf_lookup(p, &p, errbuf, errcap))) {
                free(out);
                return NULL;
            }
            addn = strlen(add);
        } else {
            p++;
        }
        if (len + addn + 1 > cap) {
            while (len + addn + 1 > cap)
                cap *= 2;
            char *n = realloc(out, cap);
            if (!n) {
                cf_err(errbuf, errcap, "out of memory");
                free(out);
                return NULL;
            }
            out = n;
        }
        memcpy(out + len, add, addn);
        len += addn;
    }
    out[len] = '\0';
    return out;
}

/* ---- the file ------------------------------------------------------------------ */

/* A setting read from a section in use, kept raw until it is applied. */
typedef struct cf_entry {
    const char *key; /* one of cf_keys */
    char *raw;       /* as written, ${VAR} not yet expanded */
    int line;
} cf_entry;

typedef struct cf_section {
    cf_entry e[CF_NKEYS];
    size_t n;
} cf_section;

/* A `name = value` line of [vars] (SPEC 16). */
typedef struct cf_varline {
    char *name; /* as written */
    char *raw;
    int line;
} cf_varline;

typedef struct cf_state {
    const char *file;    /* as given, for messages */
    char *dir;           /* the file's folder, NULL when the file has none */
    const char *envname; /* may be NULL */
    const char *text;
    size_t pos;
    int lineno;           /* the line last handed to inih */
    int indented;         /* that line starts with white space */
    char *longval;        /* the value of a long line, see the header comment */
    int env_found;
    char envnames[512];   /* the [env.*] sections seen, for messages */
    char prev_key[64];    /* the key of the previous handler call */
    int prev_line;
    cf_section base, envsec;
    cli_config lint;      /* the [lint] lines, moved to the result (lint_* only) */
    cf_varline *vars;     /* the [vars] section */
    size_t nvars;
    int failed;
    int err_line; /* the line of the error, 0 for none */
    char err[1024];
} cf_state;

static void cf_fail(cf_state *s, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cf_fail(cf_state *s, int line, const char *fmt, ...)
{
    if (s->failed)
        return; /* keep the first error */
    s->failed = 1;
    s->err_line = line;
    int n = line > 0 ? snprintf(s->err, sizeof s->err, "%s:%d: ", s->file, line)
                     : snprintf(s->err, sizeof s->err, "%s: ", s->file);
    if (n < 0 || (size_t)n >= sizeof s->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
    va_end(ap);
}

static const char *cf_lskip(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Looks at a [section] line: records [env.NAME], rejects unknown names. */
static void cf_section_line(cf_state *s, const char *p, const char *end)
{
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (!close)
        return; /* inih reports the syntax error */
    const char *a = cf_lskip(p + 1, close), *b = close;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    size_t n = (size_t)(b - a);
    if ((n == 5 && memcmp(a, "dbmig", 5) == 0) || (n == 4 && memcmp(a, "lint", 4) == 0) ||
        (n == 4 && memcmp(a, "vars", 4) == 0))
        return;
    if (n > 4 && memcmp(a, "env.", 4) == 0) {
        if (s->envname && strlen(s->envname) == n - 4 && memcmp(a + 4, s->envname, n - 4) == 0)
            s->env_found = 1;
        size_t used = strlen(s->envnames);
        if (used + n + 8 < sizeof s->envnames)
            snprintf(s->envnames + used, sizeof s->envnames - used, "%s[%.*s]", used ? ", " : "",
                     (int)n, a);
        return;
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)n, a);
    const char *dot = strchr(name, '.');
    char want[160] = "";
    if (dot) {
        *(char *)dot = '\0';
        if (cli_edit_distance(name, "env") <= 1)
            snprintf(want, sizeof want, "env.%s", dot + 1);
        *(char *)dot = '.';
    } else if (cli_edit_distance(name, "dbmig") <= 2) {
        snprintf(want, sizeof want, "dbmig");
    } else if (cli_edit_distance(name, "vars") <= 1 || strcasecmp(name, "variables") == 0 ||
               strcasecmp(name, "placeholders") == 0) {
        snprintf(want, sizeof want, "vars");
    }
    cf_fail(s, s->lineno,
            "unknown section [%s]%s%s%s; the sections are [dbmig], [env.NAME], [vars] and [lint]",
            name, want[0] ? " (did you mean [" : "", want, want[0] ? "]?)" : "");
}

/* ` # text` after a value is a comment, as ` ; text` is for inih: the
 * file `dbmig init` writes uses # comments, and `.env` strips ` #` too;
 * `url = sqlite:dev.db  # local` used to name a file "dev.db  # local".
 * The # of the first blank-then-# after the value's first character
 * becomes inih's ; (as for ;, a value that starts with # keeps it:
 * `color = #fff`; a whole-line comment, a section line and a line without
 * '=' are left as they are). */
static void cf_hash_comment(char *line)
{
    const char *t = line;
    while (*t == ' ' || *t == '\t')
        t++;
    if (*t == '#' || *t == ';' || *t == '[' || !strpbrk(t, "=:"))
        return;
    char *v = strpbrk(line, "=:") + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    for (char *q = *v ? v + 1 : v; *q; q++)
        if (*q == '#' && isspace((unsigned char)q[-1])) {
            *q = ';';
            return;
        }
}

/* fgets-style reader over the file's text. */
static char *cf_reader(char *str, int num, void *stream)
{
    cf_state *s = stream;
    const char *p = s->text + s->pos;
    if (!*p || num < 8)
        return NULL;
    const char *nl = strchr(p, '\n');
    const char *end = nl ? nl + 1 : p + strlen(p);
    s->pos = (size_t)(end - s->text);
    s->lineno++;
    if (s->lineno == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    const char *content_end = end;
    while (content_end > p && (content_end[-1] == '\n' || content_end[-1] == '\r'))
        content_end--;
    s->indented = p < content_end && (*p == ' ' || *p == '\t');
    const char *t = cf_lskip(p, content_end);
    if (t < content_end && *t == '[')
        cf_section_line(s, t, content_end);

    size_t clen = (size_t)(content_end - p);
    if (clen + 2 < (size_t)num) { /* fits with '\n' and NUL */
        memcpy(str, p, clen);
        str[clen] = '\n';
        str[clen + 1] = '\0';
        cf_hash_comment(str);
        return str;
    }
    /* A long line: only a comment or `key = value` can be long. */
    if (t == content_end || *t == ';' || *t == '#') {
        str[0] = '\n';
        str[1] = '\0';
        return str;
    }
    const char *sep = NULL;
    if (t < content_end && *t != '[' && *t != ';' && *t != '#') {
        for (const char *q = t; q < content_end && !sep; q++) {
            if (*q == '=' || *q == ':')
                sep = q;
            else if (*q == ';' && isspace((unsigned char)q[-1]))
                break;
        }
    }
    size_t klen = sep ? (size_t)(sep - p) : 0;
    if (!sep || klen + 4 > (size_t)num) {
        cf_fail(s, s->lineno, "line too long (at most %d characters outside a key = value line)",
                num - 3);
        str[0] = '\n';
        str[1] = '\0';
        return str;
    }
    free(s->longval);
    s->longval = cf_strndup(sep + 1, (size_t)(content_end - sep - 1));
    if (!s->longval)
        cf_fail(s, s->lineno, "out of memory");
    memcpy(str, p, klen);
    memcpy(str + klen, "=" CF_LONGMARK "\n", 4);
    return str;
}

/* inih's treatment of a value, for the long-line path: inline comments
 * (white space then ';' or '#', cf_hash_comment) removed, white space
 * trimmed. */
static void cf_clean_value(char *v)
{
    size_t lead0 = 0;
    while (isspace((unsigned char)v[lead0]))
        lead0++;
    for (char *q = v + lead0; *q; q++) {
        if ((*q == ';' || *q == '#') && q > v + lead0 && isspace((unsigned char)q[-1])) {
            *q = '\0';
            break;
        }
    }
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1]))
        v[--n] = '\0';
    size_t lead = 0;
    while (isspace((unsigned char)v[lead]))
        lead++;
    memmove(v, v + lead, n - lead + 1);
}

/* The keys a file may set, for suggestions and the list in messages. */
static const char *const cf_file_keys[] = {
    "driver", "url", "dir", "table", "plugin-dir", "lock-timeout", "lock", "lease-seconds",
    "commit-interval", "single-transaction", "format", "no-color", "verbose", "quiet",
    "dump-schema", "ddl-lock-timeout", "ddl-retries", "statement-timeout", "batch-pause",
    "batch-time", "phase",
};

int cli_config_file_key(const char *key)
{
    for (size_t i = 0; key && i < sizeof cf_file_keys / sizeof cf_file_keys[0]; i++)
        if (strcmp(cf_file_keys[i], key) == 0)
            return 1;
    return 0;
}

/* An indented line right after the same key: an attempt at a multi-line
 * value, which inih would join. Returns 1 (and fails) when it is one. */
static int cf_continued(cf_state *s, const char *name, int line)
{
    int same = strcmp(s->prev_key, name) == 0 && s->prev_line == line - 1;
    snprintf(s->prev_key, sizeof s->prev_key, "%s", name);
    s->prev_line = line;
    if (!(s->indented && same))
        return 0;
    cf_fail(s, line,
            "an indented line continues the value of '%s'; settings are one line each, "
            "remove the indentation",
            name);
    return 1;
}

/* The entries of section: *dst, NULL for an [env.*] section not in use.
 * -1 (failed) for no or an unknown section. */
static int cf_pick_section(cf_state *s, const char *section, const char *name, int line,
                           cf_section **dst)
{
    if (strcmp(section, "dbmig") == 0) {
        *dst = &s->base;
    } else if (strncmp(section, "env.", 4) == 0) {
        *dst = s->envname && strcmp(section + 4, s->envname) == 0 ? &s->envsec : NULL;
    } else if (!*section) {
        cf_fail(s, line, "'%s' is outside any section; put it under [dbmig]", name);
        return -1;
    } else {
        cf_fail(s, line,
                "unknown section [%s]; the sections are [dbmig], [env.NAME], [vars] and [lint]",
                section);
        return -1;
    }
    return 0;
}

/* The key name stands for (one of cf_file_keys), or NULL (failed): a
 * setting only the command line or environment may give, or unknown. */
static const char *cf_known_key(cf_state *s, const char *section, const char *name, int line)
{
    if (strcmp(name, "env") == 0 || strcmp(name, "config") == 0) {
        cf_fail(s, line, "'%s' cannot be set in the config file; use --%s or DBMIG_%s", name, name,
                strcmp(name, "env") == 0 ? "ENV" : "CONFIG");
        return NULL;
    }
    if (strcmp(name, "env-file") == 0 || strcmp(name, "no-env-file") == 0) {
        cf_fail(s, line,
                "'%s' cannot be set in the config file: the .env file is read before it; use "
                "--%s or DBMIG_%s",
                name, name, name[0] == 'e' ? "ENV_FILE" : "NO_ENV_FILE");
        return NULL;
    }
    if (strcmp(name, "dry-run") == 0 || strcmp(name, "sql") == 0) {
        cf_fail(s, line,
                "'%s' cannot be set in the config file: it is a choice for one run, not a "
                "setting to share; use --%s or DBMIG_%s",
                name, name, strcmp(name, "sql") == 0 ? "SQL" : "DRY_RUN");
        return NULL;
    }
    for (size_t i = 0; i < sizeof cf_file_keys / sizeof cf_file_keys[0]; i++)
        if (strcmp(cf_file_keys[i], name) == 0)
            return cf_file_keys[i];
    const char *near = cli_suggest(name, cf_file_keys, sizeof cf_file_keys / sizeof cf_file_keys[0]);
    cf_fail(s, line,
            "unknown key '%s' in [%s]%s%s%s; known keys: driver, url, dir, table, plugin-dir, "
            "lock-timeout, lock, lease-seconds, commit-interval, single-transaction, format, "
            "no-color, verbose, quiet, dump-schema, ddl-lock-timeout, ddl-retries, "
            "statement-timeout, batch-pause, batch-time, phase",
            name, section, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return NULL;
}

/* A [lint] line: kept as written (the library knows the rules and checks
 * them); a rule set twice is refused here, where the lines are known. */
static int cf_lint_line(cf_state *s, const char *name, const char *value, int line)
{
    cli_config *l = &s->lint;
    for (size_t i = 0; i < l->nlint; i++) {
        if (strcmp(l->lint_rule[i], name) == 0) {
            cf_fail(s, line, "'%s' is set twice in [lint] (first on %s); keep one", name,
                    l->lint_src[i]);
            return 0;
        }
    }
    char src[600];
    snprintf(src, sizeof src, "%s:%d", s->file, line);
    char **r = realloc(l->lint_rule, (l->nlint + 1) * sizeof *r);
    if (r)
        l->lint_rule = r;
    char **v = r ? realloc(l->lint_sev, (l->nlint + 1) * sizeof *v) : NULL;
    if (v)
        l->lint_sev = v;
    char **o = v ? realloc(l->lint_src, (l->nlint + 1) * sizeof *o) : NULL;
    if (o)
        l->lint_src = o;
    char *a = o ? cf_strdup(name) : NULL, *b = a ? cf_strdup(value) : NULL;
    char *c = b ? cf_strdup(src) : NULL;
    if (!c) {
        free(a);
        free(b);
        cf_fail(s, line, "out of memory");
        return 0;
    }
    l->lint_rule[l->nlint] = a;
    l->lint_sev[l->nlint] = b;
    l->lint_src[l->nlint++] = c;
    return 1;
}

/* A line of [vars]: a placeholder name (once, ignoring case) and its raw
 * value, expanded when applied. */
static int cf_var_line(cf_state *s, const char *name, const char *value, int line)
{
    if (!cf_var_name_ok(name, strlen(name))) {
        cf_fail(s, line,
                "'%s' in [vars] is not a placeholder name: use 1-64 letters, digits and _, not "
                "starting with a digit (such as schema or tenant_id)",
                name);
        return 0;
    }
    for (size_t i = 0; i < s->nvars; i++)
        if (strcasecmp(s->vars[i].name, name) == 0) {
            cf_fail(s, line, "'%s' is set twice in [vars] (first on line %d; names ignore case); "
                             "keep one", name, s->vars[i].line);
            return 0;
        }
    char *raw = NULL;
    if (strcmp(value, CF_LONGMARK) == 0 && s->longval) {
        raw = s->longval;
        s->longval = NULL;
        cf_clean_value(raw);
    } else {
        raw = cf_strdup(value);
    }
    cf_varline *nv = raw ? realloc(s->vars, (s->nvars + 1) * sizeof *nv) : NULL;
    char *nm = nv ? cf_strdup(name) : NULL;
    if (!nm) {
        if (nv)
            s->vars = nv;
        free(raw);
        cf_fail(s, line, "out of memory");
        return 0;
    }
    s->vars = nv;
    s->vars[s->nvars++] = (cf_varline){nm, raw, line};
    return 1;
}

static int cf_handler(void *user, const char *section, const char *name, const char *value)
{
    cf_state *s = user;
    int line = s->lineno;
    if (s->failed)
        return 1;
    if (strcmp(section, "lint") == 0)
        return cf_continued(s, name, line) ? 0 : cf_lint_line(s, name, value, line);
    if (strcmp(section, "vars") == 0)
        return cf_continued(s, name, line) ? 0 : cf_var_line(s, name, value, line);
    cf_section *dst;
    const char *key;
    if (cf_continued(s, name, line) || cf_pick_section(s, section, name, line, &dst) != 0 ||
        !(key = cf_known_key(s, section, name, line)))
        return 0;
    char *raw = NULL;
    if (strcmp(value, CF_LONGMARK) == 0 && s->longval) {
        raw = s->longval;
        s->longval = NULL;
        cf_clean_value(raw);
    } else if (!(raw = cf_strdup(value))) {
        cf_fail(s, line, "out of memory");
        return 0;
    }
    if (!dst) { /* a section not in use: its values are never expanded nor checked */
        free(raw);
        return 1;
    }
    for (size_t i = 0; i < dst->n; i++) {
        if (strcmp(dst->e[i].key, key) == 0) {
            cf_fail(s, line, "'%s' is set twice in [%s] (first on line %d); keep one", key,
                    section, dst->e[i].line);
            free(raw);
            return 0;
        }
    }
    dst->e[dst->n].key = key;
    dst->e[dst->n].raw = raw;
    dst->e[dst->n].line = line;
    dst->n++;
    return 1;
}

static char *cf_read_all(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - len < 2) {
            char *n = realloc(buf, cap * 2);
            if (!n) {
                free(buf);
                return NULL;
            }
            buf = n;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len - 1, f);
        len += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* A path key given what cannot be meant as a path: dump-schema = (empty),
 * or a boolean word (`dump-schema = false` would write a file "false").
 * The message, or NULL. */
static const char *cf_path_mistake(const char *key, const char *v, char *buf, size_t cap)
{
    if (strcmp(key, "dump-schema") != 0)
        return NULL;
    if (!*v)
        snprintf(buf, cap, "dump-schema needs a file path (such as db/schema.sql); to turn the "
                           "dump off, remove the line");
    else if (cli_parse_bool(v) >= 0)
        snprintf(buf, cap, "dump-schema takes a file path, not '%s'; to turn the dump off, "
                           "remove the line", v);
    else
        return NULL;
    return buf;
}

/* Applies the entries of a section in use to cfg, each only when cfg has no
 * value for its key yet; only those are expanded and checked. */
static int cf_apply(cf_state *s, const cf_section *sec, const char *secname, cli_config *cfg)
{
    for (size_t i = 0; i < sec->n; i++) {
        const cf_entry *e = &sec->e[i];
        if (cli_config_get(cfg, e->key))
            continue;
        char msg[512];
        char *v = cli_expand_env(e->raw, msg, sizeof msg);
        if (!v) {
            cf_fail(s, e->line, "%s (in '%s' of [%s])", msg, e->key, secname);
            return -1;
        }
        if (cf_path_mistake(e->key, v, msg, sizeof msg)) {
            cf_fail(s, e->line, "%s", msg);
            free(v);
            return -1;
        }
        if (cli_config_is_bool(e->key)) {
            int b = cli_parse_bool(v);
            if (b < 0) {
                cf_fail(s, e->line,
                        "bad value '%s' for %s: expected true/false, yes/no, on/off or 1/0", v,
                        e->key);
                free(v);
                return -1;
            }
            free(v);
            v = cf_strdup(b ? "1" : "0");
            if (!v) {
                cf_fail(s, e->line, "out of memory");
                return -1;
            }
        }
        if (s->dir && v[0] && v[0] != '/' &&
            (strcmp(e->key, "dir") == 0 || strcmp(e->key, "plugin-dir") == 0 ||
             strcmp(e->key, "dump-schema") == 0)) {
            size_t dl = strlen(s->dir), vl = strlen(v);
            char *j = malloc(dl + vl + 2);
            if (!j) {
                free(v);
                cf_fail(s, e->line, "out of memory");
                return -1;
            }
            memcpy(j, s->dir, dl);
            j[dl] = '/';
            memcpy(j + dl + 1, v, vl + 1);
            free(v);
            v = j;
        }
        char src[600];
        snprintf(src, sizeof src, "%s:%d", s->file, e->line);
        int rc = cli_config_set_from(cfg, e->key, v, src);
        free(v);
        if (rc != 0) {
            cf_fail(s, e->line, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* The [vars] lines whose names have no value yet (the command line and
 * the environment come first), ${VAR} expanded. */
static int cf_apply_vars(cf_state *s, cli_config *cfg)
{
    for (size_t i = 0; i < s->nvars; i++) {
        const cf_varline *e = &s->vars[i];
        if (cf_var_find(cfg, e->name, strlen(e->name)) >= 0)
            continue;
        char msg[512];
        char *v = cli_expand_env(e->raw, msg, sizeof msg);
        if (!v) {
            cf_fail(s, e->line, "%s (in '%s' of [vars])", msg, e->name);
            return -1;
        }
        char src[600];
        snprintf(src, sizeof src, "%s:%d", s->file, e->line);
        int rc = cli_config_default_var(cfg, e->name, strlen(e->name), v, src, msg, sizeof msg);
        free(v);
        if (rc != 0) {
            /* msg starts with src already */
            s->failed = 1;
            s->err_line = e->line;
            snprintf(s->err, sizeof s->err, "%s", msg);
            return -1;
        }
    }
    return 0;
}

static void cf_section_free(cf_section *sec)
{
    for (size_t i = 0; i < sec->n; i++)
        free(sec->e[i].raw);
    sec->n = 0;
}

/* The file's text into *text: 0, 1 when an optional file is absent, or -1
 * with the error. */
static int cf_load_text(const char *file, int required, const char *envname, char **text,
                        char *errbuf, size_t errcap)
{
    *text = NULL;
    FILE *f = fopen(file, "r");
    if (!f) {
        int e = errno;
        if (!required && e == ENOENT) {
            if (envname) {
                cf_err(errbuf, errcap,
                       "%s: --env %s needs a config file with an [env.%s] section; there is no "
                       "%s here (give one with --config FILE)",
                       file, envname, envname, file);
                return -1;
            }
            return 1;
        }
        cf_err(errbuf, errcap, "%s: cannot read the config file: %s", file, strerror(e));
        return -1;
    }
    *text = cf_read_all(f);
    int rerr = errno;
    fclose(f);
    if (!*text) {
        cf_err(errbuf, errcap, "%s: cannot read the config file: %s", file,
               rerr ? strerror(rerr) : "out of memory");
        return -1;
    }
    return 0;
}

/* Parses s->text into s->base and s->envsec; the first error, if any,
 * in s (a syntax error before a later error of ours wins). */
static void cf_parse(cf_state *s)
{
    int ir = ini_parse_stream(cf_reader, s, cf_handler, s);
    if (ir > 0 && s->failed && ir < s->err_line)
        s->failed = 0; /* a syntax error comes first: report it */
    if (!s->failed && ir > 0)
        cf_fail(s, ir, "syntax error: expected 'key = value', '[section]' or a comment (; or #)");
    else if (!s->failed && ir < 0)
        cf_fail(s, 0, "cannot parse the config file (out of memory)");
    if (!s->failed && s->envname && !s->env_found) {
        if (s->envnames[0])
            cf_fail(s, 0, "no [env.%s] section (asked for by --env %s or DBMIG_ENV); the file has %s",
                    s->envname, s->envname, s->envnames);
        else
            cf_fail(s, 0,
                    "no [env.%s] section (asked for by --env %s or DBMIG_ENV); the file has no "
                    "[env.NAME] section",
                    s->envname, s->envname);
    }
}

int cli_config_load_file(cli_config *cfg, const char *file, int required, const char *envname,
                         char *errbuf, size_t errcap)
{
    if (!file) {
        cf_err(errbuf, errcap, "no config file name");
        return -1;
    }
    char *text;
    int lr = cf_load_text(file, required, envname, &text, errbuf, errcap);
    if (lr != 0)
        return lr < 0 ? -1 : 0;
    cf_state s;
    memset(&s, 0, sizeof s);
    s.file = file;
    s.envname = envname && *envname ? envname : NULL;
    s.text = text;
    const char *slash = strrchr(file, '/');
    if (slash)
        s.dir = cf_strndup(file, slash == file ? 1 : (size_t)(slash - file));
    int rc = -1;
    cli_config tmp = {0};
    if (slash && !s.dir) {
        cf_err(errbuf, errcap, "out of memory");
        goto out;
    }
    if (s.dir && strcmp(s.dir, "/") == 0)
        s.dir[0] = '\0'; /* "/" + "/" + value would double the slash */
    cf_parse(&s);
    /* [env.NAME] beats [dbmig]; both lose to what cfg already holds. Applied
     * to a copy of what cfg holds, so that an error leaves cfg untouched. */
    for (size_t i = 0; !s.failed && i < cfg->n; i++)
        if (cli_config_set_from(&tmp, cfg->key[i], cfg->val[i], cfg->src[i]) != 0)
            cf_fail(&s, 0, "out of memory");
    for (size_t i = 0; !s.failed && i < cfg->nvars; i++)
        if (cf_var_push(&tmp, cfg->vars[i].name, strlen(cfg->vars[i].name), cfg->vars[i].val,
                        cfg->vars[i].src) != 0)
            cf_fail(&s, 0, "out of memory");
    if (!s.failed && cf_apply(&s, &s.envsec, s.envname ? s.envname : "", &tmp) == 0 &&
        cf_apply(&s, &s.base, "dbmig", &tmp) == 0)
        (void)cf_apply_vars(&s, &tmp);
    if (s.failed) {
        cf_err(errbuf, errcap, "%s", s.err);
        goto out;
    }
    /* the .env file read stays with the settings */
    tmp.dotenv = cfg->dotenv;
    tmp.dotenv_missing = cfg->dotenv_missing;
    memset(&cfg->dotenv, 0, sizeof cfg->dotenv);
    cli_config_free(cfg);
    *cfg = tmp;
    cfg->lint_rule = s.lint.lint_rule; /* [lint]: moved */
    cfg->lint_sev = s.lint.lint_sev;
    cfg->lint_src = s.lint.lint_src;
    cfg->nlint = s.lint.nlint;
    memset(&s.lint, 0, sizeof s.lint);
    memset(&tmp, 0, sizeof tmp);
    rc = 0;
out:
    cli_config_free(&s.lint);
    cli_config_free(&tmp);
    free(s.longval);
    free(s.dir);
    cf_section_free(&s.base);
    cf_section_free(&s.envsec);
    for (size_t i = 0; i < s.nvars; i++) {
        free(s.vars[i].name);
        free(s.vars[i].raw);
    }
    free(s.vars);
    free(text);
    return rc;
}

/* ---- the environment --------------------------------------------------------------- */

static void cf_env_name(const char *key, char *var, size_t cap)
{
    size_t n = (size_t)snprintf(var, cap, "DBMIG_");
    for (const char *k = key; *k && n + 1 < cap; k++)
        var[n++] = *k == '-' ? '_' : (char)toupper((unsigned char)*k);
    var[n] = '\0';
}

/* A setting's value from the environment or the .env file, checked as
 * cf_apply checks a file's; `where` names it for messages ("the environment
 * variable DBMIG_SQL", "DBMIG_SQL at .env:3"); src is what
 * cli_config_source will say. */
static int cf_env_value(cli_config *cfg, const char *key, const char *v, const char *where,
                        const char *src, char *errbuf, size_t errcap)
{
    char msg[300];
    if (cf_path_mistake(key, v, msg, sizeof msg)) {
        cf_err(errbuf, errcap, "%s (in %s)", msg, where);
        return -1;
    }
    if (cli_config_is_bool(key)) {
        int b = cli_parse_bool(v);
        if (b < 0) {
            cf_err(errbuf, errcap,
                   "bad value '%s' in %s: expected true/false, yes/no, on/off or 1/0", v, where);
            return -1;
        }
        v = b ? "1" : "0";
    }
    if (cli_config_default_from(cfg, key, v, src) != 0) {
        cf_err(errbuf, errcap, "out of memory");
        return -1;
    }
    return 0;
}

static int cf_env_settings(cli_config *cfg, char *errbuf, size_t errcap)
{
    for (size_t i = 0; i < CF_NKEYS; i++) {
        char var[64], where[96];
        cf_env_name(cf_keys[i], var, sizeof var);
        const char *v = getenv(var);
        if (!v || !*v || cli_config_get(cfg, cf_keys[i]))
            continue;
        snprintf(where, sizeof where, "the environment variable %s", var);
        if (cf_env_value(cfg, cf_keys[i], v, where, var, errbuf, errcap) != 0)
            return -1;
    }
    return 0;
}

/* ---- the .env file (SPEC 16) ----------------------------------------------------- */

/* A key dbmig reads from a .env file. */
static int cf_dotenv_ours(const char *key)
{
    return strcmp(key, "DATABASE_URL") == 0 || strncmp(key, "DBMIG_", 6) == 0;
}

/* Which file, if any: --env-file / DBMIG_ENV_FILE (required), else ./.env
 * (optional); none with --no-env-file / DBMIG_NO_ENV_FILE. Read into
 * cfg->dotenv. */
static int cf_dotenv_read(cli_config *cfg, char *errbuf, size_t errcap)
{
    cli_dotenv_free(&cfg->dotenv);
    cfg->dotenv_missing = 0;
    const char *file = cli_config_get(cfg, "env-file");
    int no = cli_config_on(cfg, "no-env-file");
    if (file && no) {
        const char *sf = cli_config_source(cfg, "env-file");
        const char *sn = cli_config_source(cfg, "no-env-file");
        int cf = strncmp(sf, "--", 2) == 0, cn = strncmp(sn, "--", 2) == 0;
        if (cf == cn) {
            cf_err(errbuf, errcap,
                   "env-file (from %s) and no-env-file (from %s) contradict each other; give "
                   "one",
                   sf, sn);
            return -1;
        }
        if (cf) /* the command line beats the environment */
            no = 0;
        else
            file = NULL;
    }
    if (no)
        return 0;
    int rc = cli_dotenv_load(file ? file : ".env", file != NULL, &cfg->dotenv, errbuf, errcap);
    if (rc == 1)
        cfg->dotenv_missing = 1;
    return rc < 0 ? -1 : 0;
}

/* The keys of ours that no .env file may set, with why; NULL for others. */
static const char *cf_dotenv_forbidden(const char *key)
{
    if (strcmp(key, "DBMIG_ENV_FILE") == 0 || strcmp(key, "DBMIG_NO_ENV_FILE") == 0)
        return "it chooses the .env file itself; set it in the environment, or use --env-file "
               "or --no-env-file";
    if (strcmp(key, "DBMIG_PLUGIN_PATH") == 0)
        return "plugin folders hold code dbmig loads, so they come from the environment or the "
               "command line; set DBMIG_PLUGIN_PATH there, or use --plugin-dir";
    /* as in dbmig.conf: a shared file (often baked into an image) must not
     * be able to turn every upgrade into one that applies nothing */
    if (strcmp(key, "DBMIG_DRY_RUN") == 0)
        return "it is a choice for one run, not a setting to share (every upgrade would apply "
               "nothing); remove the line, and pass --dry-run or set DBMIG_DRY_RUN in the "
               "environment for the run that wants it";
    if (strcmp(key, "DBMIG_SQL") == 0)
        return "it is a choice for one run, not a setting to share (every upgrade would print "
               "a script and apply nothing); remove the line, and pass --sql or set DBMIG_SQL "
               "in the environment for the run that wants it";
    return NULL;
}

/* The file's lines for keys of ours: no bare KEY, none twice, none that a
 * .env may not set, DBMIG_VAR_ names that are placeholder names. */
static int cf_dotenv_check(const cli_dotenv *d, char *errbuf, size_t errcap)
{
    for (size_t i = 0; i < d->n; i++) {
        const cli_dotenv_entry *e = &d->v[i];
        if (!cf_dotenv_ours(e->key))
            continue;
        const char *why = cf_dotenv_forbidden(e->key);
        if (why) {
            cf_err(errbuf, errcap, "%s:%d: %s cannot be set in a .env file: %s", d->file, e->line,
                   e->key, why);
            return -1;
        }
        if (e->bare) {
            cf_err(errbuf, errcap, "%s:%d: %s has no '=' and no value; write %s=value", d->file,
                   e->line, e->key, e->key);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->v[j].key, e->key) == 0) {
                cf_err(errbuf, errcap, "%s:%d: %s is set twice (first on line %d); keep one",
                       d->file, e->line, e->key, d->v[j].line);
                return -1;
            }
        if (strncmp(e->key, "DBMIG_VAR_", 10) == 0 &&
            !cf_var_name_ok(e->key + 10, strlen(e->key + 10))) {
            cf_err(errbuf, errcap,
                   "%s:%d: %s names no placeholder: DBMIG_VAR_<NAME> sets ${name}, and a name is "
                   "1-64 letters, digits and _, not starting with a digit",
                   d->file, e->line, e->key);
            return -1;
        }
    }
    return 0;
}

/* The value of a .env entry of ours that is in use: NULL when it is empty
 * (which counts as unset), -1 in *bad with the error when a ${NAME} in it
 * is set nowhere. */
static const char *cf_dotenv_value(const cli_dotenv *d, const cli_dotenv_entry *e, int *bad,
                                   char *errbuf, size_t errcap)
{
    *bad = 0;
    if (e->bad_ref) {
        cf_err(errbuf, errcap,
               "%s:%d: the value of %s uses ${%s}, which is set neither in the environment nor "
               "on a line above in %s; set it, or write a literal ${ inside single quotes",
               d->file, e->line, e->key, e->bad_ref, d->file);
        *bad = -1;
        return NULL;
    }
    return e->val && *e->val ? e->val : NULL;
}

/* The file's DBMIG_<NAME> for the settings still unset. */
static int cf_dotenv_settings(cli_config *cfg, char *errbuf, size_t errcap)
{
    const cli_dotenv *d = &cfg->dotenv;
    for (size_t i = 0; d->file && i < CF_NKEYS; i++) {
        char var[64];
        cf_env_name(cf_keys[i], var, sizeof var);
        const cli_dotenv_entry *e = cli_dotenv_get(d, var);
        if (!e || cf_dotenv_forbidden(var) || cli_config_get(cfg, cf_keys[i]))
            continue;
        int bad;
        const char *v = cf_dotenv_value(d, e, &bad, errbuf, errcap);
        if (bad)
            return -1;
        if (!v)
            continue;
        char where[700], src[600];
        snprintf(src, sizeof src, "%s:%d", d->file, e->line);
        snprintf(where, sizeof where, "%s at %s", var, src);
        if (cf_env_value(cfg, cf_keys[i], v, where, src, errbuf, errcap) != 0)
            return -1;
    }
    return 0;
}

/* DBMIG_VAR_<NAME> of the environment, then of the .env file. */
static int cf_env_vars(cli_config *cfg, char *errbuf, size_t errcap)
{
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "DBMIG_VAR_", 10) != 0 || !eq || !eq[1])
            continue;
        char src[160];
        snprintf(src, sizeof src, "%.*s", (int)(eq - *e > 150 ? 150 : eq - *e), *e);
        size_t n = (size_t)(eq - *e) - 10;
        if (!cf_var_name_ok(*e + 10, n)) {
            cf_err(errbuf, errcap,
                   "the environment variable %s names no placeholder: DBMIG_VAR_<NAME> sets "
                   "${name}, and a name is 1-64 letters, digits and _, not starting with a digit",
                   src);
            return -1;
        }
        if (cli_config_default_var(cfg, *e + 10, n, eq + 1, src, errbuf, errcap) != 0)
            return -1;
    }
    const cli_dotenv *d = &cfg->dotenv;
    for (size_t i = 0; d->file && i < d->n; i++) {
        const cli_dotenv_entry *e = &d->v[i];
        const char *name = e->key + 10;
        if (strncmp(e->key, "DBMIG_VAR_", 10) != 0 || cf_var_find(cfg, name, strlen(name)) >= 0)
            continue;
        int bad;
        const char *v = cf_dotenv_value(d, e, &bad, errbuf, errcap);
        if (bad)
            return -1;
        char src[600];
        snprintf(src, sizeof src, "%s:%d", d->file, e->line);
        if (v && cli_config_default_var(cfg, name, strlen(name), v, src, errbuf, errcap) != 0)
            return -1;
    }
    return 0;
}

int cli_config_load_env(cli_config *cfg, char *errbuf, size_t errcap)
{
    if (cf_env_settings(cfg, errbuf, errcap) != 0 || cf_dotenv_read(cfg, errbuf, errcap) != 0 ||
        cf_dotenv_check(&cfg->dotenv, errbuf, errcap) != 0 ||
        cf_dotenv_settings(cfg, errbuf, errcap) != 0)
        return -1;
    return cf_env_vars(cfg, errbuf, errcap);
}

int cli_config_load_database_url(cli_config *cfg, char *errbuf, size_t errcap)
{
    if (cli_config_get(cfg, "url"))
        return 0;
    const char *du = getenv("DATABASE_URL");
    char src[600] = "DATABASE_URL";
    const cli_dotenv *d = &cfg->dotenv;
    const cli_dotenv_entry *e = (!du || !*du) && d->file ? cli_dotenv_get(d, "DATABASE_URL") : NULL;
    if (e) {
        int bad;
        du = cf_dotenv_value(d, e, &bad, errbuf, errcap);
        if (bad)
            return -1;
        snprintf(src, sizeof src, "%s:%d", d->file, e->line);
    }
    if (du && *du && cli_config_default_from(cfg, "url", du, src) != 0) {
        cf_err(errbuf, errcap, "out of memory");
        return -1;
    }
    return 0;
}

int cli_config_url_notice(const cli_config *cfg, char *buf, size_t cap)
{
    const char *du = getenv("DATABASE_URL");
    const char *url = cli_config_get(cfg, "url");
    const char *src = cli_config_source(cfg, "url");
    if (!du || !*du || !url || !src || strcmp(du, url) == 0 || strncmp(src, "--", 2) == 0 ||
        strcmp(src, "DBMIG_URL") == 0 || strcmp(src, "DATABASE_URL") == 0)
        return 0;
    /* from .env it is DBMIG_URL: .env's DATABASE_URL is read only when the
     * real one is unset or empty */
    const char *dotenv = cli_config_dotenv_file(cfg, "url");
    char used[512], ignored[512], file[512];
    dbmig_redact_url(url, used, sizeof used);
    dbmig_redact_url(du, ignored, sizeof ignored);
    const char *colon = strrchr(src, ':');
    snprintf(file, sizeof file, "%.*s", colon ? (int)(colon - src) : (int)strlen(src), src);
    snprintf(buf, cap,
             "note: using the url from %s (%s); DATABASE_URL is set (%s) and ignored: %s's %s "
             "ranks above it (docs/configuration.md). Remove one of the two if that is not "
             "what you mean",
             src, used, ignored, file, dotenv ? "DBMIG_URL" : "url");
    return 1;
}

const char *cli_config_dotenv_file(const cli_config *cfg, const char *key)
{
    const char *src = cli_config_source(cfg, key);
    const char *f = cfg->dotenv.file;
    size_t n = f ? strlen(f) : 0;
    return src && n && strncmp(src, f, n) == 0 && src[n] == ':' ? f : NULL;
}

/* Other tools' names for dbmig's settings, after DBMIG_. */
static const char *const cf_synonyms[][2] = {
    {"DATABASE_URL", "DBMIG_URL"},     {"DSN", "DBMIG_URL"},
    {"DB_URL", "DBMIG_URL"},           {"DATABASE", "DBMIG_URL"},
    {"MIGRATIONS_DIR", "DBMIG_DIR"},   {"MIGRATIONS", "DBMIG_DIR"},
    {"DIRECTORY", "DBMIG_DIR"},        {"MIGRATIONS_PATH", "DBMIG_DIR"},
    {"VERSION_TABLE", "DBMIG_TABLE"},  {"TABLE_NAME", "DBMIG_TABLE"},
    {"MIGRATIONS_TABLE", "DBMIG_TABLE"}, {"ENVIRONMENT", "DBMIG_ENV"},
    {"CONFIG_FILE", "DBMIG_CONFIG"},   {"CONF", "DBMIG_CONFIG"},
    {"PLUGINS", "DBMIG_PLUGIN_DIR"},   {"TIMEOUT", "DBMIG_LOCK_TIMEOUT"},
    {"DRIVER_NAME", "DBMIG_DRIVER"},   {"OUTPUT", "DBMIG_FORMAT"},
};

/* The variable names of the settings, for suggestions. */
typedef struct cf_envnames {
    char names[CF_NKEYS + 1][64];
    const char *cands[CF_NKEYS + 1];
} cf_envnames;

static void cf_envnames_init(cf_envnames *e)
{
    memset(e, 0, sizeof *e);
    for (size_t i = 0; i < CF_NKEYS; i++) {
        cf_env_name(cf_keys[i], e->names[i], sizeof e->names[i]);
        e->cands[i] = e->names[i];
    }
    snprintf(e->names[CF_NKEYS], sizeof e->names[CF_NKEYS], "DBMIG_PLUGIN_PATH");
    e->cands[CF_NKEYS] = e->names[CF_NKEYS];
}

/* For a DBMIG_ name: 1 when dbmig reads it or reserves it (DBMIG_TEST_*,
 * DBMIG_VAR_*, DBMIG_VERSION); else 0 with *near the setting's variable it
 * looks meant for, or NULL (not ours: scripts and test harnesses use the
 * prefix too). */
static int cf_env_near(const cf_envnames *en, const char *name, const char **near)
{
    *near = NULL;
    for (size_t i = 0; i <= CF_NKEYS; i++)
        if (strcmp(name, en->cands[i]) == 0)
            return 1;
    if (strncmp(name, "DBMIG_TEST_", 11) == 0 || strncmp(name, "DBMIG_VAR_", 10) == 0 ||
        strcmp(name, "DBMIG_VERSION") == 0)
        return 1;
    /* a misspelling of a setting (the typo is in the part after the prefix) */
    const char *tail = name + 6;
    const char *tails[CF_NKEYS + 1];
    for (size_t i = 0; i <= CF_NKEYS; i++)
        tails[i] = en->cands[i] + 6;
    const char *t = cli_suggest(tail, tails, CF_NKEYS + 1);
    if (t)
        *near = t - 6;
    /* another tool's name for a setting */
    for (size_t i = 0; !*near && i < sizeof cf_synonyms / sizeof cf_synonyms[0]; i++)
        if (strcmp(tail, cf_synonyms[i][0]) == 0)
            *near = cf_synonyms[i][1];
    /* a setting with something after it: DBMIG_LOCK_TIMEOUT_SECS */
    size_t best = 0;
    for (size_t i = 0; !t && i <= CF_NKEYS; i++) {
        size_t n = strlen(tails[i]);
        if (n > best && strncmp(tail, tails[i], n) == 0 && tail[n] == '_') {
            best = n;
            *near = en->cands[i];
        }
    }
    return 0;
}

size_t cli_config_unknown_env(void (*fn)(void *payload, const char *name, const char *suggestion),
                              void *payload)
{
    cf_envnames en;
    cf_envnames_init(&en);
    size_t count = 0;
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "DBMIG_", 6) != 0 || !eq)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        const char *near;
        if (cf_env_near(&en, name, &near) || !near)
            continue;
        fn(payload, name, near);
        count++;
    }
    return count;
}

/* A key of ours written in another case (dbmig_url, Database_Url): the
 * right spelling into out, else 0. Environment names are case-sensitive. */
static int cf_dotenv_case(const char *key, char *out, size_t cap)
{
    if (cf_dotenv_ours(key) || strlen(key) >= cap ||
        (strncasecmp(key, "DBMIG_", 6) != 0 && strcasecmp(key, "DATABASE_URL") != 0))
        return 0;
    size_t i = 0;
    for (; key[i]; i++)
        out[i] = (char)toupper((unsigned char)key[i]);
    out[i] = '\0';
    return 1;
}

size_t cli_config_dotenv_unknown(const cli_config *cfg,
                                 void (*fn)(void *payload, const char *msg), void *payload)
{
    const cli_dotenv *d = &cfg->dotenv;
    cf_envnames en;
    cf_envnames_init(&en);
    size_t count = 0;
    for (size_t i = 0; d->file && i < d->n; i++) {
        const cli_dotenv_entry *e = &d->v[i];
        char msg[1024], up[128];
        const char *near = NULL;
        if (cf_dotenv_case(e->key, up, sizeof up))
            snprintf(msg, sizeof msg,
                     "%s:%d: %s is ignored: names are case-sensitive; write %s", d->file, e->line,
                     e->key, up);
        else if (strncmp(e->key, "DBMIG_", 6) == 0 && !cf_env_near(&en, e->key, &near) && near)
            snprintf(msg, sizeof msg,
                     "%s:%d: %s is not a dbmig setting and is ignored; did you mean %s?", d->file,
                     e->line, e->key, near);
        else
            continue;
        fn(payload, msg);
        count++;
    }
    return count;
}

/* Appends to b (cap bytes) the way printf would, never past the end. */
static void cf_cat(char *b, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cf_cat(char *b, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(b);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b + n, cap - n, fmt, ap);
    va_end(ap);
}

/* Is the entry e of the .env file what its key's value came from? */
static int cf_dotenv_used(const cli_config *cfg, const cli_dotenv_entry *e)
{
    char src[600];
    snprintf(src, sizeof src, "%s:%d", cfg->dotenv.file, e->line);
    const char *key = NULL;
    if (strcmp(e->key, "DATABASE_URL") == 0) {
        key = "url";
    } else if (strncmp(e->key, "DBMIG_VAR_", 10) == 0) {
        long v = cf_var_find(cfg, e->key + 10, strlen(e->key + 10));
        return v >= 0 && strcmp(cfg->vars[v].src, src) == 0;
    } else {
        for (size_t k = 0; k < CF_NKEYS && !key; k++) {
            char var[64];
            cf_env_name(cf_keys[k], var, sizeof var);
            if (strcmp(var, e->key) == 0)
                key = cf_keys[k];
        }
    }
    const char *s = key ? cli_config_source(cfg, key) : NULL;
    return s && strcmp(s, src) == 0;
}

void cli_config_explain(const cli_config *cfg, void (*fn)(void *payload, const char *msg),
                        void *payload)
{
    const cli_dotenv *d = &cfg->dotenv;
    char line[2048];
    if (cfg->dotenv_missing)
        fn(payload, "no .env file in this folder (none read)");
    if (d->file) {
        snprintf(line, sizeof line, "read %s:", d->file);
        size_t used = 0, unused = 0, other = 0;
        for (size_t i = 0; i < d->n; i++)
            if (cf_dotenv_ours(d->v[i].key) && cf_dotenv_used(cfg, &d->v[i]))
                cf_cat(line, sizeof line, "%s %s (line %d)", used++ ? "," : "", d->v[i].key,
                       d->v[i].line);
        if (!used)
            cf_cat(line, sizeof line, " nothing used");
        for (size_t i = 0; i < d->n; i++)
            if (cf_dotenv_ours(d->v[i].key) && !cf_dotenv_used(cfg, &d->v[i]))
                cf_cat(line, sizeof line, "%s %s (line %d)", unused++ ? "," : "; not used (set "
                       "by a higher source, empty, or not read):", d->v[i].key, d->v[i].line);
        for (size_t i = 0; i < d->n; i++)
            if (!cf_dotenv_ours(d->v[i].key))
                cf_cat(line, sizeof line, "%s %s", other++ ? "," : "; ignored (not dbmig's):",
                       d->v[i].key);
        fn(payload, line);
    }
    if (cfg->nvars) {
        snprintf(line, sizeof line, "placeholder values:");
        for (size_t i = 0; i < cfg->nvars; i++)
            cf_cat(line, sizeof line, "%s %s (from %s)", i ? "," : "", cfg->vars[i].name,
                   cfg->vars[i].src);
        fn(payload, line);
    }
}
