/* helptext.c — the help texts read back as structure (see helptext.h). */
#define _POSIX_C_SOURCE 200809L
#include "helptext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* *dst = *dst + " " + (s, n); -1 out of memory. */
static int append(char **dst, const char *s, size_t n)
{
    size_t old = *dst ? strlen(*dst) : 0;
    char *p = realloc(*dst, old + n + 2);
    if (!p)
        return -1;
    if (old)
        p[old++] = ' ';
    memcpy(p + old, s, n);
    p[old + n] = '\0';
    *dst = p;
    return 0;
}

static size_t indent(const char *l, size_t n)
{
    size_t k = 0;
    while (k < n && l[k] == ' ')
        k++;
    return k;
}

/* Where an item line's description starts: after the first run of two or
 * more spaces past the spec; else at col when the spec is an option that
 * fills its column up to one space ("  --statement-timeout D the longest");
 * 0 when there is no description on the line. */
static size_t desc_start(const char *l, size_t n, size_t col)
{
    for (size_t k = 3; k + 1 < n; k++)
        if (l[k] == ' ' && l[k + 1] == ' ')
            return k + indent(l + k, n - k);
    if (col > 3 && l[2] == '-' && n > col && l[col - 1] == ' ' && l[col - 2] != ' ')
        return col;
    return 0;
}

/* The description column most item lines of text use (24 in the main usage). */
static size_t common_column(const char *text)
{
    size_t count[80] = {0}, best = 0;
    for (const char *l = text; *l;) {
        size_t n = strcspn(l, "\n");
        if (n > 3 && indent(l, n) == 2) {
            size_t c = desc_start(l, n, 0);
            if (c && c < 80 && ++count[c] > count[best])
                best = c;
        }
        l += n + (l[n] == '\n');
    }
    return best;
}

static ht_block *new_block(ht_doc *d)
{
    ht_block *b = realloc(d->b, (d->nb + 1) * sizeof *b);
    if (!b)
        return NULL;
    d->b = b;
    memset(&b[d->nb], 0, sizeof b[0]);
    return &b[d->nb++];
}

static int add_item(ht_block *b, const char *l, size_t n, size_t col)
{
    ht_item *v = realloc(b->items, (b->n + 1) * sizeof *v);
    if (!v)
        return -1;
    b->items = v;
    size_t ds = desc_start(l, n, col), se = ds ? ds : n;
    while (se > 2 && l[se - 1] == ' ')
        se--;
    ht_item *it = &v[b->n++];
    it->spec = dup_n(l + 2, se - 2);
    it->first = dup_n(l + (ds ? ds : n), ds ? n - ds : 0);
    it->desc = dup_n(it->first ? it->first : "", it->first ? strlen(it->first) : 0);
    return it->spec && it->first && it->desc ? 0 : -1;
}

/* The usage line and the lines that continue it. Returns the next line. */
static const char *parse_synopsis(const char *l, ht_doc *d, int *err)
{
    size_t n = strcspn(l, "\n");
    if (strncmp(l, "usage: ", 7) != 0)
        return l;
    d->syn[d->nsyn++] = dup_n(l + 7, n - 7);
    /* continued: indented deeper than an option line (two spaces) */
    for (l += n + (l[n] == '\n'); indent(l, strcspn(l, "\n")) > 2;) {
        n = strcspn(l, "\n");
        size_t k = indent(l, n);
        if (strncmp(l + k, "dbmig ", 6) == 0 && d->nsyn < 4)
            d->syn[d->nsyn++] = dup_n(l + k, n - k);
        else if (append(&d->syn[d->nsyn - 1], l + k, n - k))
            *err = 1;
        l += n + (l[n] == '\n');
    }
    for (size_t i = 0; i < d->nsyn; i++)
        if (!d->syn[i])
            *err = 1;
    return l;
}

/* "targets: ...", "exit codes: ...": a line that starts with a short label
 * starts a paragraph of its own even right after another (the main usage's
 * last lines); "inspect both and compare: ..." continues one. */
static int label_line(const char *l, size_t n)
{
    size_t k = 0;
    while (k < n && ((l[k] >= 'a' && l[k] <= 'z') || (k && l[k] == ' ')))
        k++;
    return k > 0 && k <= 12 && k + 1 < n && l[k] == ':' && l[k + 1] == ' ';
}

int ht_parse(const char *text, ht_doc *d)
{
    memset(d, 0, sizeof *d);
    int err = 0;
    size_t col = common_column(text);
    ht_block *cur = NULL; /* the block the next line may continue */
    for (const char *l = parse_synopsis(text, d, &err); *l && !err;) {
        size_t n = strcspn(l, "\n"), k = indent(l, n);
        if (k == n) {
            cur = NULL; /* a blank line ends a paragraph or a list */
        } else if (k == 2) { /* an item: in the list under way, or a new one */
            if ((!cur || cur->para) && !(cur = new_block(d)))
                err = 1;
            err = err || add_item(cur, l, n, col);
        } else if (k > 2 && cur && !cur->para && cur->n) {
            err = append(&cur->items[cur->n - 1].desc, l + k, n - k);
        } else { /* prose: the paragraph under way, or a new one */
            if ((!cur || !cur->para || label_line(l, n)) && !(cur = new_block(d)))
                err = 1;
            err = err || append(&cur->para, l + k, n - k);
        }
        l += n + (l[n] == '\n');
    }
    if (err) {
        ht_free(d);
        return -1;
    }
    return 0;
}

void ht_free(ht_doc *d)
{
    for (size_t i = 0; i < d->nsyn; i++)
        free(d->syn[i]);
    for (size_t i = 0; i < d->nb; i++) {
        free(d->b[i].para);
        for (size_t k = 0; k < d->b[i].n; k++) {
            free(d->b[i].items[k].spec);
            free(d->b[i].items[k].first);
            free(d->b[i].items[k].desc);
        }
        free(d->b[i].items);
    }
    free(d->b);
    memset(d, 0, sizeof *d);
}

/* What cli_print_help writes on stdout, caught in a temporary file: fleet's
 * text lives in fleet.c behind `fleet --help`. */
static char *capture_help(const char *cmd)
{
    FILE *tf = tmpfile();
    if (!tf)
        return NULL;
    fflush(stdout);
    int saved = dup(1), rc = -1;
    if (saved >= 0 && dup2(fileno(tf), 1) >= 0) {
        cli c; /* a run of its own: cli_print_help keeps its error there */
        memset(&c, 0, sizeof c);
        rc = cli_print_help(&c, cmd);
        fflush(stdout);
        dup2(saved, 1);
    }
    if (saved >= 0)
        close(saved);
    char *text = NULL;
    long size = rc == EXIT_OK && fseek(tf, 0, SEEK_END) == 0 ? ftell(tf) : -1;
    if (size >= 0 && fseek(tf, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1))) {
        text[fread(text, 1, (size_t)size, tf)] = '\0';
    }
    fclose(tf);
    return text;
}

char *ht_command_text(const char *cmd)
{
    const char *t = cli_help_for(cmd);
    if (t)
        return dup_n(t, strlen(t));
    return cli_command_known(cmd) ? capture_help(cmd) : NULL;
}

/* 1 if word (up to a space, ',' or ']') of s at w is name. */
static int word_is(const char *w, const char *name)
{
    size_t n = strlen(name);
    return strncmp(w, name, n) == 0 && (w[n] == ' ' || w[n] == ',' || w[n] == ']' || !w[n]);
}

const ht_item *ht_find_option(const ht_doc *d, const char *name)
{
    for (size_t i = 0; i < d->nb; i++)
        for (size_t k = 0; k < d->b[i].n; k++)
            for (const char *w = d->b[i].items[k].spec; w; w = strchr(w, ' '), w = w ? w + 1 : w)
                if (word_is(w, name))
                    return &d->b[i].items[k];
    return NULL;
}

/* The word after option name in s (a synopsis or a spec) into out. */
static int value_after(const char *s, const char *name, char *out, size_t cap)
{
    for (const char *w = s; w; w = strchr(w, ' '), w = w ? w + 1 : w) {
        const char *o = w + strspn(w, "[");
        if (!word_is(o, name) || o[strlen(name)] != ' ')
            continue;
        const char *v = o + strlen(name) + 1;
        size_t n = strcspn(v, " ]");
        if (!n || *v == '-' || *v == '[' || n >= cap)
            return 0;
        snprintf(out, cap, "%.*s", (int)n, v);
        return 1;
    }
    return 0;
}

int ht_option_value(const ht_doc *d, const char *name, char *out, size_t cap)
{
    for (size_t i = 0; i < d->nsyn; i++)
        if (value_after(d->syn[i], name, out, cap))
            return 1;
    const ht_item *it = ht_find_option(d, name);
    return it && value_after(it->spec, name, out, cap);
}
