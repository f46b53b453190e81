/* dotenv.c — the .env parser (see dotenv.h for the syntax). One pass over
 * the text; a quoted value may run over several lines, so the parser reads
 * characters, not lines. Messages name the file, the line and the key, and
 * never quote a value. */
#define _POSIX_C_SOURCE 200809L
#include "dotenv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct de_state {
    const char *file;
    const char *t;
    size_t len, pos;
    int line;
    cli_dotenv *out;
    char *errbuf;
    size_t errcap;
    int failed; /* de_fail wrote the message (else a -1 is out of memory) */
    /* the value being built */
    char *buf;
    size_t blen, bcap;
} de_state;

static int de_fail(de_state *s, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int de_fail(de_state *s, int line, const char *fmt, ...)
{
    s->failed = 1;
    if (s->errbuf && s->errcap) {
        int n = snprintf(s->errbuf, s->errcap, "%s:%d: ", s->file, line);
        if (n >= 0 && (size_t)n < s->errcap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(s->errbuf + n, s->errcap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static int de_put(de_state *s, const char *p, size_t n)
{
    if (!s->buf || s->blen + n + 1 > s->bcap) {
        size_t cap = s->bcap ? s->bcap : 64;
        while (s->blen + n + 1 > cap)
            cap *= 2;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return -1;
        s->buf = nb;
        s->bcap = cap;
    }
    memcpy(s->buf + s->blen, p, n);
    s->blen += n;
    s->buf[s->blen] = '\0';
    return 0;
}

static int de_blank(char c) { return c == ' ' || c == '\t'; }
static int de_eol(const de_state *s) { return s->pos >= s->len || s->t[s->pos] == '\n' || s->t[s->pos] == '\r'; }

static void de_skip_blanks(de_state *s)
{
    while (s->pos < s->len && de_blank(s->t[s->pos]))
        s->pos++;
}

/* Past the end of the line (its '\n' included). */
static void de_next_line(de_state *s)
{
    while (s->pos < s->len && s->t[s->pos] != '\n')
        s->pos++;
    if (s->pos < s->len) {
        s->pos++;
        s->line++;
    }
}

static int de_key_char(char c, int first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
}

/* The value of ${name}: the real environment's (set and not empty), else
 * the last entry above with that key; *unset = 1 when neither has one. */
static const char *de_lookup(const de_state *s, const char *name, int *unset)
{
    const char *e = getenv(name);
    if (e && *e)
        return e;
    for (size_t k = s->out->n; k-- > 0;) {
        const cli_dotenv_entry *x = &s->out->v[k];
        if (strcmp(x->key, name) == 0) {
            *unset = x->val == NULL;
            return x->val;
        }
    }
    *unset = 1;
    return NULL;
}

/* Appends raw[0..n) to the value, expanding ${NAME}; *bad gets the first
 * NAME set nowhere (owned). `${` that starts no ${NAME} is kept as written. */
static int de_expand(de_state *s, const char *raw, size_t n, char **bad)
{
    size_t i = 0, done = 0;
    while (i < n) {
        if (!(raw[i] == '$' && i + 1 < n && raw[i + 1] == '{')) {
            i++;
            continue;
        }
        size_t b = i + 2, e = b;
        while (e < n && de_key_char(raw[e], e == b))
            e++;
        if (e == b || e >= n || raw[e] != '}' || e - b > 255) {
            i++;
            continue;
        }
        char name[256];
        memcpy(name, raw + b, e - b);
        name[e - b] = '\0';
        int unset = 0;
        const char *v = de_lookup(s, name, &unset);
        if (de_put(s, raw + done, i - done) || (v && de_put(s, v, strlen(v))))
            return -1;
        if (unset && !*bad && !(*bad = strdup(name)))
            return -1;
        i = done = e + 1;
    }
    return de_put(s, raw + done, n - done);
}

/* An unquoted value: to the end of the line or a ` #` comment, trimmed. */
static int de_unquoted(de_state *s, char **bad)
{
    size_t b = s->pos, e = b;
    while (e < s->len && s->t[e] != '\n' && s->t[e] != '\r' &&
           !(s->t[e] == '#' && de_blank(s->t[e - 1]))) /* e > 0: '=' came before */
        e++;
    size_t end = e;
    while (end > b && de_blank(s->t[end - 1]))
        end--;
    s->pos = e;
    return de_expand(s, s->t + b, end - b, bad);
}

/* A quoted value from the opening quote at s->pos to its closing one,
 * across lines; double quotes decode escapes and expand ${NAME}. */
static int de_quoted(de_state *s, const char *key, char **bad)
{
    char q = s->t[s->pos++];
    int open_line = s->line;
    size_t b = s->pos;
    char *raw = NULL; /* double quotes: the text with escapes decoded, ${ } kept */
    size_t rlen = 0;
    while (s->pos < s->len && s->t[s->pos] != q) {
        if (s->t[s->pos] == '\n')
            s->line++;
        if (q == '"' && s->t[s->pos] == '\\' && s->pos + 1 < s->len)
            s->pos++;
        s->pos++;
    }
    if (s->pos >= s->len)
        return de_fail(s, open_line,
                       "the value of %s opens a %s quote that is never closed; close it (a "
                       "quoted value may span lines, so everything after it was read as the "
                       "value)",
                       key, q == '"' ? "double" : "single");
    size_t e = s->pos++;
    if (q == '\'')
        return de_put(s, s->t + b, e - b);
    if (!(raw = malloc(e - b + 1)))
        return -1;
    for (size_t i = b; i < e; i++) {
        char c = s->t[i];
        if (c == '\\' && i + 1 < e) {
            char n = s->t[++i];
            /* \$ is a literal $: marked \x01 so that de_expand does not see a
             * ${, and turned into $ after it */
            c = n == 'n' ? '\n' : n == 'r' ? '\r' : n == 't' ? '\t' : n;
            if (n == '$') {
                raw[rlen++] = '\x01';
                continue;
            }
            if (n != 'n' && n != 'r' && n != 't' && n != '"' && n != '\\')
                raw[rlen++] = '\\'; /* an unknown escape is kept as written */
        }
        raw[rlen++] = c;
    }
    size_t before = s->blen;
    int rc = de_expand(s, raw, rlen, bad);
    free(raw);
    for (size_t i = before; !rc && i < s->blen; i++)
        if (s->buf[i] == '\x01')
            s->buf[i] = '$';
    return rc;
}

static int de_push(de_state *s, const char *key, size_t klen, int line, int bare, char *bad)
{
    cli_dotenv *d = s->out;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        cli_dotenv_entry *nv = realloc(d->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        d->v = nv;
        d->cap = cap;
    }
    cli_dotenv_entry *x = &d->v[d->n];
    memset(x, 0, sizeof *x);
    x->key = strndup(key, klen);
    x->val = bare || bad ? NULL : strdup(s->buf ? s->buf : "");
    x->bad_ref = bad;
    x->line = line;
    x->bare = bare;
    if (!x->key || (!bare && !bad && !x->val)) {
        free(x->key);
        free(x->val);
        return -1;
    }
    d->n++;
    return 0;
}

/* After a value: only blanks and a # comment may follow on its line. */
static int de_line_end(de_state *s, const char *key, int quoted)
{
    de_skip_blanks(s);
    if (!de_eol(s) && s->t[s->pos] != '#')
        return de_fail(s, s->line,
                       quoted ? "text follows the closing quote of %s's value; put the whole "
                                "value inside the quotes, or start a comment with #"
                              : "unexpected text after %s's value",
                       key);
    de_next_line(s);
    return 0;
}

/* One KEY=value (or bare KEY) starting at s->pos, blanks skipped. */
static int de_entry(de_state *s)
{
    int line = s->line;
    if (s->len - s->pos > 7 && memcmp(s->t + s->pos, "export", 6) == 0 &&
        de_blank(s->t[s->pos + 6])) {
        s->pos += 6;
        de_skip_blanks(s);
    }
    size_t kb = s->pos;
    while (s->pos < s->len && !de_eol(s) && !de_blank(s->t[s->pos]) && s->t[s->pos] != '=' &&
           s->t[s->pos] != ':' && s->t[s->pos] != '#')
        s->pos++;
    size_t klen = s->pos - kb;
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(klen < 100 ? klen : 100), s->t + kb);
    for (size_t i = 0; i < klen; i++)
        if (!de_key_char(s->t[kb + i], i == 0) || klen > 100)
            return de_fail(s, line,
                           "'%s' is not a variable name; a line is KEY=value with a name of "
                           "letters, digits and _ (such as DBMIG_URL), a # comment, or blank",
                           key);
    de_skip_blanks(s);
    if (klen && (de_eol(s) || s->t[s->pos] == '#')) { /* a bare KEY */
        de_next_line(s);
        return de_push(s, s->t + kb, klen, line, 1, NULL);
    }
    if (!klen)
        return de_fail(s, line, "a line starts with '%c'; a line is KEY=value, a # comment or "
                                "blank", s->t[s->pos]);
    if (s->t[s->pos] == ':')
        return de_fail(s, line, "'%s:' is not .env syntax; write %s=value", key, key);
    if (s->t[s->pos] != '=')
        return de_fail(s, line,
                       "after '%s' comes neither '=' nor the end of the line; a line is "
                       "KEY=value, and a name has no blanks",
                       key);
    s->pos++;
    de_skip_blanks(s);
    s->blen = 0;
    if (s->buf)
        s->buf[0] = '\0';
    char *bad = NULL;
    int quoted = s->pos < s->len && (s->t[s->pos] == '"' || s->t[s->pos] == '\'');
    int rc = quoted ? de_quoted(s, key, &bad) : de_unquoted(s, &bad);
    if (rc == 0)
        rc = de_line_end(s, key, quoted);
    if (rc == 0)
        rc = de_push(s, s->t + kb, klen, line, 0, bad);
    else
        free(bad);
    return rc;
}

int cli_dotenv_parse(const char *file, const char *text, size_t len, cli_dotenv *out,
                     char *errbuf, size_t errcap)
{
    de_state s = {file, text, len, 0, 1, out, errbuf, errcap, 0, NULL, 0, 0};
    if (!out->file && !(out->file = strdup(file)))
        goto nomem;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        s.pos = 3;
    while (s.pos < len) {
        de_skip_blanks(&s);
        if (de_eol(&s) || text[s.pos] == '#') {
            de_next_line(&s);
            continue;
        }
        if (de_entry(&s) != 0) {
            if (!s.failed)
                goto nomem;
            free(s.buf);
            cli_dotenv_free(out);
            return -1;
        }
    }
    free(s.buf);
    return 0;
nomem:
    if (errbuf && errcap)
        snprintf(errbuf, errcap, "%s: out of memory", file);
    free(s.buf);
    cli_dotenv_free(out);
    return -1;
}

int cli_dotenv_load(const char *file, int required, cli_dotenv *out, char *errbuf,
                    size_t errcap)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        int e = errno;
        if (e == ENOENT && !required)
            return 1;
        snprintf(errbuf, errcap,
                 e == ENOENT ? "%s: no such .env file (given by --env-file or DBMIG_ENV_FILE); "
                               "check the path, or leave the option out to read ./.env%s"
                             : "%s: cannot read the .env file: %s",
                 file, e == ENOENT ? "" : strerror(e));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        snprintf(errbuf, errcap, "%s: is a folder, not a .env file%s", file,
                 required ? "; give the file's path to --env-file" : "; remove it or use --no-env-file");
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    int oom = text == NULL;
    while (!oom) {
        if (len + 1 >= cap) {
            char *n = realloc(text, cap * 2);
            if (!n) {
                oom = 1;
                break;
            }
            text = n;
            cap *= 2;
        }
        size_t r = fread(&text[len], 1, cap - len - 1, f);
        len += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (oom || bad) {
        free(text);
        snprintf(errbuf, errcap, "%s: cannot read the .env file: %s", file,
                 bad ? "read error" : "out of memory");
        return -1;
    }
    text[len] = '\0';
    int rc = cli_dotenv_parse(file, text, len, out, errbuf, errcap);
    free(text);
    return rc;
}

void cli_dotenv_free(cli_dotenv *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].key);
        free(d->v[i].val);
        free(d->v[i].bad_ref);
    }
    free(d->v);
    free(d->file);
    memset(d, 0, sizeof *d);
}

const cli_dotenv_entry *cli_dotenv_get(const cli_dotenv *d, const char *key)
{
    for (size_t i = d->n; i-- > 0;)
        if (strcmp(d->v[i].key, key) == 0)
            return &d->v[i];
    return NULL;
}
