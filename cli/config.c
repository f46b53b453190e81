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

#include <ini.h>

static const char *const cf_keys[] = {
    "driver", "url", "dir", "table", "plugin-dir", "lock-timeout", "lock", "lease-seconds",
    "commit-interval", "single-transaction", "format", "no-color", "verbose", "quiet", "env",
    "config",
};
#define CF_NKEYS (sizeof cf_keys / sizeof cf_keys[0])

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

/* ---- the settings table -------------------------------------------------- */

int cli_config_known(const char *key)
{
    if (!key)
        return 0;
    for (size_t i = 0; i < CF_NKEYS; i++)
        if (strcmp(cf_keys[i], key) == 0)
            return 1;
    return 0;
}

static long cf_find(const cli_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->key[i], key) == 0)
            return (long)i;
    return -1;
}

int cli_config_set(cli_config *cfg, const char *key, const char *val)
{
    if (!cli_config_known(key) || !val)
        return -1;
    char *v = cf_strdup(val);
    if (!v)
        return -1;
    long i = cf_find(cfg, key);
    if (i >= 0) {
        free(cfg->val[i]);
        cfg->val[i] = v;
        return 0;
    }
    if (cfg->n >= CLI_CONF_MAX) {
        free(v);
        return -1;
    }
    char *k = cf_strdup(key);
    if (!k) {
        free(v);
        return -1;
    }
    cfg->key[cfg->n] = k;
    cfg->val[cfg->n] = v;
    cfg->n++;
    return 0;
}

int cli_config_default(cli_config *cfg, const char *key, const char *val)
{
    if (!cli_config_known(key))
        return -1;
    if (cf_find(cfg, key) >= 0)
        return 0;
    return cli_config_set(cfg, key, val);
}

const char *cli_config_get(const cli_config *cfg, const char *key)
{
    long i = cf_find(cfg, key);
    return i >= 0 ? cfg->val[i] : NULL;
}

void cli_config_free(cli_config *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->key[i]);
        free(cfg->val[i]);
    }
    memset(cfg, 0, sizeof *cfg);
}

/* ---- ${VAR} ----------------------------------------------------------------- */

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
            const char *name = p + 2, *end = strchr(name, '}');
            if (!end) {
                cf_err(errbuf, errcap, "unterminated '${' (write $$ for a literal $)");
                free(out);
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
                free(out);
                return NULL;
            }
            char var[256];
            if (nl >= sizeof var) {
                cf_err(errbuf, errcap, "variable name too long");
                free(out);
                return NULL;
            }
            memcpy(var, name, nl);
            var[nl] = '\0';
            add = getenv(var);
            if (!add) {
                cf_err(errbuf, errcap, "environment variable %s is not set", var);
                free(out);
                return NULL;
            }
            addn = strlen(add);
            p = end + 1;
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
    char prev_key[64];    /* the key of the previous handler call */
    int prev_line;
    cli_config base, envcfg;
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
        return;
    }
    cf_fail(s, s->lineno, "unknown section [%.*s]; the sections are [dbmig] and [env.NAME]",
            (int)n, a);
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

static int cf_handler(void *user, const char *section, const char *name, const char *value)
{
    cf_state *s = user;
    int line = s->lineno;
    if (s->failed)
        return 1;
    int same = strcmp(s->prev_key, name) == 0 && s->prev_line == line - 1;
    snprintf(s->prev_key, sizeof s->prev_key, "%s", name);
    s->prev_line = line;
    if (s->indented && same) {
        cf_fail(s, line,
                "an indented line continues the value of '%s'; settings are one line each, "
                "remove the indentation",
                name);
        return 0;
    }
    cli_config *dst;
    if (strcmp(section, "dbmig") == 0) {
        dst = &s->base;
    } else if (strncmp(section, "env.", 4) == 0) {
        dst = s->envname && strcmp(section + 4, s->envname) == 0 ? &s->envcfg : NULL;
    } else if (!*section) {
        cf_fail(s, line, "'%s' is outside any section; put it under [dbmig]", name);
        return 0;
    } else {
        cf_fail(s, line, "unknown section [%s]; the sections are [dbmig] and [env.NAME]", section);
        return 0;
    }
    if (strcmp(name, "env") == 0 || strcmp(name, "config") == 0) {
        cf_fail(s, line, "'%s' cannot be set in the config file; use --%s or DBMIG_%s", name, name,
                strcmp(name, "env") == 0 ? "ENV" : "CONFIG");
        return 0;
    }
    if (!cli_config_known(name)) {
        cf_fail(s, line,
                "unknown key '%s' in [%s]; known keys: driver, url, dir, table, plugin-dir, "
                "lock-timeout, lock, lease-seconds, commit-interval, single-transaction, format, "
                "no-color, verbose, quiet",
                name, section);
        return 0;
    }
    char *raw = NULL;
    if (strcmp(value, CF_LONGMARK) == 0 && s->longval) {
        raw = s->longval;
        s->longval = NULL;
        cf_clean_value(raw);
        value = raw;
    }
    char msg[512];
    char *v = cli_expand_env(value, msg, sizeof msg);
    free(raw);
    if (!v) {
        cf_fail(s, line, "%s (in '%s' of [%s])", msg, name, section);
        return 0;
    }
    if (s->dir && v[0] && v[0] != '/' && (strcmp(name, "dir") == 0 || strcmp(name, "plugin-dir") == 0)) {
        size_t dl = strlen(s->dir), vl = strlen(v);
        char *j = malloc(dl + vl + 2);
        if (!j) {
            free(v);
            cf_fail(s, line, "out of memory");
            return 0;
        }
        memcpy(j, s->dir, dl);
        j[dl] = '/';
        memcpy(j + dl + 1, v, vl + 1);
        free(v);
        v = j;
    }
    int rc = dst ? cli_config_set(dst, name, v) : 0;
    free(v);
    if (rc != 0) {
        cf_fail(s, line, "out of memory");
        return 0;
    }
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

int cli_config_load_file(cli_config *cfg, const char *file, int required, const char *envname,
                         char *errbuf, size_t errcap)
{
    if (!file) {
        cf_err(errbuf, errcap, "no config file name");
        return -1;
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        int e = errno;
        if (!required && e == ENOENT) {
            if (envname) {
                cf_err(errbuf, errcap, "%s: --env %s needs a config file with an [env.%s] section",
                       file, envname, envname);
                return -1;
            }
            return 0;
        }
        cf_err(errbuf, errcap, "%s: cannot read the config file: %s", file, strerror(e));
        return -1;
    }
    char *text = cf_read_all(f);
    int rerr = errno;
    fclose(f);
    if (!text) {
        cf_err(errbuf, errcap, "%s: cannot read the config file: %s", file,
               rerr ? strerror(rerr) : "out of memory");
        return -1;
    }

    cf_state s;
    memset(&s, 0, sizeof s);
    s.file = file;
    s.envname = envname && *envname ? envname : NULL;
    s.text = text;
    const char *slash = strrchr(file, '/');
    if (slash)
        s.dir = cf_strndup(file, slash == file ? 1 : (size_t)(slash - file));
    int rc = -1;
    if (slash && !s.dir) {
        cf_err(errbuf, errcap, "out of memory");
        goto out;
    }
    if (s.dir && strcmp(s.dir, "/") == 0)
        s.dir[0] = '\0'; /* "/" + "/" + value would double the slash */

    int ir = ini_parse_stream(cf_reader, &s, cf_handler, &s);
    if (ir > 0 && s.failed && ir < s.err_line)
        s.failed = 0; /* a syntax error comes first: report it */
    if (!s.failed && ir > 0)
        cf_fail(&s, ir, "syntax error: expected 'key = value', '[section]' or a comment (; or #)");
    else if (!s.failed && ir < 0)
        cf_fail(&s, 0, "cannot parse the config file (out of memory)");
    if (!s.failed && s.envname && !s.env_found)
        cf_fail(&s, 0, "no [env.%s] section (asked for by --env %s or DBMIG_ENV)", s.envname,
                s.envname);
    if (s.failed) {
        cf_err(errbuf, errcap, "%s", s.err);
        goto out;
    }
    /* [env.NAME] beats [dbmig]; both lose to what cfg already holds. */
    for (size_t i = 0; i < s.envcfg.n; i++)
        if (cli_config_default(cfg, s.envcfg.key[i], s.envcfg.val[i]) != 0)
            goto nomem;
    for (size_t i = 0; i < s.base.n; i++)
        if (cli_config_default(cfg, s.base.key[i], s.base.val[i]) != 0)
            goto nomem;
    rc = 0;
    goto out;
nomem:
    cf_err(errbuf, errcap, "out of memory");
out:
    free(s.longval);
    free(s.dir);
    cli_config_free(&s.base);
    cli_config_free(&s.envcfg);
    free(text);
    return rc;
}

/* ---- the environment --------------------------------------------------------------- */

int cli_config_load_env(cli_config *cfg, char *errbuf, size_t errcap)
{
    for (size_t i = 0; i < CF_NKEYS; i++) {
        char var[64] = "DBMIG_";
        size_t n = strlen(var);
        for (const char *k = cf_keys[i]; *k && n + 1 < sizeof var; k++)
            var[n++] = *k == '-' ? '_' : (char)toupper((unsigned char)*k);
        var[n] = '\0';
        const char *v = getenv(var);
        if (!v || !*v)
            continue;
        if (cli_config_default(cfg, cf_keys[i], v) != 0) {
            cf_err(errbuf, errcap, "out of memory");
            return -1;
        }
    }
    const char *du = getenv("DATABASE_URL");
    if (du && *du && cli_config_default(cfg, "url", du) != 0) {
        cf_err(errbuf, errcap, "out of memory");
        return -1;
    }
    return 0;
}
