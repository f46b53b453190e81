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
    "batch-pause", "batch-time", "phase",
};
#define CF_NKEYS (sizeof cf_keys / sizeof cf_keys[0])

static const char *const cf_bools[] = {
    "single-transaction", "no-color", "verbose", "quiet", "dry-run", "sql",
};

#define CF_LONGMARK "\x01"

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
        "--batch-time", "--phase",
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
    memset(cfg, 0, sizeof *cfg);
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
    if (n == 5 && memcmp(a, "dbmig", 5) == 0)
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
    }
    cf_fail(s, s->lineno, "unknown section [%s]%s%s%s; the sections are [dbmig] and [env.NAME]",
            name, want[0] ? " (did you mean [" : "", want, want[0] ? "]?)" : "");
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
 * (white space then ';') removed, white space trimmed. */
static void cf_clean_value(char *v)
{
    for (char *q = v; *q; q++) {
        if (*q == ';' && q > v && isspace((unsigned char)q[-1])) {
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
        cf_fail(s, line, "unknown section [%s]; the sections are [dbmig] and [env.NAME]", section);
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

static int cf_handler(void *user, const char *section, const char *name, const char *value)
{
    cf_state *s = user;
    int line = s->lineno;
    if (s->failed)
        return 1;
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
    if (!s.failed && cf_apply(&s, &s.envsec, s.envname ? s.envname : "", &tmp) == 0)
        (void)cf_apply(&s, &s.base, "dbmig", &tmp);
    if (s.failed) {
        cf_err(errbuf, errcap, "%s", s.err);
        goto out;
    }
    cli_config_free(cfg);
    *cfg = tmp;
    memset(&tmp, 0, sizeof tmp);
    rc = 0;
out:
    cli_config_free(&tmp);
    free(s.longval);
    free(s.dir);
    cf_section_free(&s.base);
    cf_section_free(&s.envsec);
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

int cli_config_load_env(cli_config *cfg, char *errbuf, size_t errcap)
{
    for (size_t i = 0; i < CF_NKEYS; i++) {
        char var[64];
        cf_env_name(cf_keys[i], var, sizeof var);
        const char *v = getenv(var);
        if (!v || !*v || cli_config_get(cfg, cf_keys[i]))
            continue;
        char msg[300];
        if (cf_path_mistake(cf_keys[i], v, msg, sizeof msg)) {
            cf_err(errbuf, errcap, "%s (in the environment variable %s)", msg, var);
            return -1;
        }
        if (cli_config_is_bool(cf_keys[i])) {
            int b = cli_parse_bool(v);
            if (b < 0) {
                cf_err(errbuf, errcap,
                       "bad value '%s' in the environment variable %s: expected true/false, "
                       "yes/no, on/off or 1/0",
                       v, var);
                return -1;
            }
            v = b ? "1" : "0";
        }
        if (cli_config_default_from(cfg, cf_keys[i], v, var) != 0) {
            cf_err(errbuf, errcap, "out of memory");
            return -1;
        }
    }
    return 0;
}

int cli_config_load_database_url(cli_config *cfg, char *errbuf, size_t errcap)
{
    const char *du = getenv("DATABASE_URL");
    if (du && *du && cli_config_default_from(cfg, "url", du, "DATABASE_URL") != 0) {
        cf_err(errbuf, errcap, "out of memory");
        return -1;
    }
    return 0;
}

extern char **environ;

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

size_t cli_config_unknown_env(void (*fn)(void *payload, const char *name, const char *suggestion),
                              void *payload)
{
    char names[CF_NKEYS + 1][64];
    const char *cands[CF_NKEYS + 1];
    for (size_t i = 0; i < CF_NKEYS; i++) {
        cf_env_name(cf_keys[i], names[i], sizeof names[i]);
        cands[i] = names[i];
    }
    snprintf(names[CF_NKEYS], sizeof names[CF_NKEYS], "DBMIG_PLUGIN_PATH");
    cands[CF_NKEYS] = names[CF_NKEYS];
    size_t count = 0;
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "DBMIG_", 6) != 0 || !eq)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        int known = 0;
        for (size_t i = 0; i <= CF_NKEYS && !known; i++)
            known = strcmp(name, cands[i]) == 0;
        if (known || strncmp(name, "DBMIG_TEST_", 11) == 0 ||
            strncmp(name, "DBMIG_VAR_", 10) == 0 || strcmp(name, "DBMIG_VERSION") == 0)
            continue;
        /* a misspelling of a setting (the typo is in the part after the prefix) */
        const char *near = NULL, *tail = name + 6;
        const char *tails[CF_NKEYS + 1];
        for (size_t i = 0; i <= CF_NKEYS; i++)
            tails[i] = cands[i] + 6;
        const char *t = cli_suggest(tail, tails, CF_NKEYS + 1);
        if (t)
            near = t - 6;
        /* another tool's name for a setting */
        for (size_t i = 0; !near && i < sizeof cf_synonyms / sizeof cf_synonyms[0]; i++)
            if (strcmp(tail, cf_synonyms[i][0]) == 0)
                near = cf_synonyms[i][1];
        /* a setting with something after it: DBMIG_LOCK_TIMEOUT_SECS */
        size_t best = 0;
        for (size_t i = 0; !t && i <= CF_NKEYS; i++) {
            size_t n = strlen(tails[i]);
            if (n > best && strncmp(tail, tails[i], n) == 0 && tail[n] == '_') {
                best = n;
                near = cands[i];
            }
        }
        if (!near)
            continue; /* not ours: scripts and test harnesses use the prefix too */
        fn(payload, name, near);
        count++;
    }
    return count;
}
