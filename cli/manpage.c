/* manpage.c — the generated parts of the man pages dbmig(1) and
 * dbmig.conf(5), as pandoc Markdown: `dbmig __man commands|options|notes|
 * config` (hidden; cmake/DbmigDocs.cmake puts the output into the
 * templates docs/man/dbmig.1.md.in and dbmig.conf.5.md.in and runs pandoc).
 * Everything comes from the tables the program itself uses — the parser's commands and options (args.c), the
 * help texts (help.c, read as helptext.h describes), the config keys
 * (config.c) — so the man pages cannot say something `--help` does not.
 * An entry of a table that has no text is written "(undocumented)", which
 * the man page test refuses. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "config.h"
#include "helptext.h"

#define UNDOCUMENTED "(undocumented)"

/* Markdown text: punctuation that pandoc would read as markup is escaped,
 * `code spans` are kept; a leading "-" or "+" would start a list. */
static void md_text(FILE *f, const char *s)
{
    if (*s == '-' || *s == '+')
        fputc('\\', f);
    for (; *s; s++) {
        const char *close = *s == '`' ? strchr(s + 1, '`') : NULL;
        if (close) {
            fwrite(s, 1, (size_t)(close - s + 1), f);
            s = close;
        } else if (strncmp(s, "-- dbmig:", 9) == 0) {
            fputs("--\\ ", f); /* a marker stays on one line: no-break space */
            s += 2;
        } else {
            if (strchr("\\`*_[]<>#$|~^@{}", *s))
                fputc('\\', f);
            fputc(*s, f);
        }
    }
}

/* One word of a synopsis or an option spec: options and literal words in
 * bold, metavariables (TARGET, FILE|-, A:B, options) in italics, the
 * brackets, bars and "..." around them as they are. */
static void md_word(FILE *f, const char *w, size_t n)
{
    size_t a = 0, z = n;
    while (a < n && w[a] == '[')
        fputs("\\[", f), a++;
    while (z > a && (w[z - 1] == ']' || w[z - 1] == ',' || w[z - 1] == '.'))
        z--;
    if (z > a) {
        int meta = !strncmp(w + a, "options", z - a) && z - a == 7;
        if (w[a] != '-')
            for (size_t k = a; k < z && !meta; k++)
                meta = isupper((unsigned char)w[k]);
        if (z - a == 1 && w[a] == '|')
            fputs("\\|", f);
        else {
            char *core = strndup(w + a, z - a);
            fputs(meta ? "*" : "**", f);
            md_text(f, core ? core : "");
            fputs(meta ? "*" : "**", f);
            free(core);
        }
    }
    for (size_t k = z; k < n; k++)
        fputs(w[k] == ']' ? "\\]" : w[k] == '.' ? "." : ",", f);
}

static void md_words(FILE *f, const char *s)
{
    for (int first = 1; *s; first = 0) {
        size_t n = strcspn(s, " ");
        if (n) {
            if (!first)
                fputc(' ', f);
            md_word(f, s, n);
        }
        s += n + strspn(s + n, " ");
    }
}

static void md_item(FILE *f, const ht_item *it)
{
    md_words(f, it->spec);
    fputs("\n:   ", f);
    md_text(f, *it->desc ? it->desc : UNDOCUMENTED);
    fputs("\n\n", f);
}

static void md_doc(FILE *f, const ht_doc *d)
{
    for (size_t i = 0; i < d->nsyn; i++) {
        fputs("| ", f);
        md_words(f, d->syn[i]);
        fputc('\n', f);
    }
    fputc('\n', f);
    for (size_t i = 0; i < d->nb; i++) {
        if (d->b[i].para) {
            md_text(f, d->b[i].para);
            fputs("\n\n", f);
        }
        for (size_t k = 0; k < d->b[i].n; k++)
            md_item(f, &d->b[i].items[k]);
    }
}

/* COMMANDS: each command of the parser's table with its help. */
static int man_commands(FILE *f)
{
    const char *cmd;
    for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
        if (cmd[0] == '_')
            continue;
        fprintf(f, "## %s\n\n", cmd);
        char *text = ht_command_text(cmd);
        ht_doc d;
        if (!text || ht_parse(text, &d) != 0) {
            fputs(UNDOCUMENTED "\n\n", f);
        } else {
            md_doc(f, &d);
            ht_free(&d);
        }
        free(text);
    }
    return EXIT_OK;
}

/* The main usage's block of global options: the list after the paragraph
 * that starts with "options". */
static const ht_block *options_block(const ht_doc *d)
{
    for (size_t i = 0; i + 1 < d->nb; i++)
        if (d->b[i].para && !strncmp(d->b[i].para, "options", 7) && !d->b[i + 1].para)
            return &d->b[i + 1];
    return NULL;
}

/* OPTIONS: the main usage's list, then any option of the parser's table
 * that it lacks, as undocumented. */
static int man_options(FILE *f, const ht_doc *u)
{
    const ht_block *b = options_block(u);
    for (size_t k = 0; b && k < b->n; k++)
        md_item(f, &b->items[k]);
    const char *name;
    char shrt, flag[64];
    int value;
    for (size_t i = 0; cli_gopt_at(i, &name, &shrt, &value); i++) {
        snprintf(flag, sizeof flag, "--%s", name);
        if (!ht_find_option(u, flag))
            fprintf(f, "**%s**\n:   " UNDOCUMENTED "\n\n", flag);
    }
    return EXIT_OK;
}

/* The main usage's closing paragraphs (precedence, targets, exit codes). */
static int man_notes(FILE *f, const ht_doc *u)
{
    const ht_block *b = options_block(u);
    for (size_t i = b ? (size_t)(b - u->b) + 1 : u->nb; i < u->nb; i++)
        if (u->b[i].para) {
            md_text(f, u->b[i].para);
            fputs("\n\n", f);
        }
    return EXIT_OK;
}

/* dbmig.conf(5)'s keys: every key of config.c, documented by its global
 * option's line in the main usage, or by cli_key_help. */
static int man_config(FILE *f, const ht_doc *u)
{
    size_t n;
    const char *const *keys = cli_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        if (!cli_config_file_key(keys[i]))
            continue; /* refused in the file: dbmig(1)'s options and ENVIRONMENT */
        char flag[64], value[64] = "", env[64];
        snprintf(flag, sizeof flag, "--%s", keys[i]);
        const ht_item *it = ht_find_option(u, flag);
        const char *text = it ? it->desc : NULL;
        if (it && !ht_option_value(u, flag, value, sizeof value) && cli_config_is_bool(keys[i]))
            snprintf(value, sizeof value, "true|false");
        for (const cli_key_doc *k = cli_key_help; !it && k->key; k++)
            if (!strcmp(k->key, keys[i])) {
                snprintf(value, sizeof value, "%s", k->value);
                text = k->text;
            }
        size_t e = 0;
        for (const char *p = "DBMIG_"; *p; p++)
            env[e++] = *p;
        for (const char *p = keys[i]; *p && e + 1 < sizeof env; p++)
            env[e++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        env[e] = '\0';
        fprintf(f, "**%s** = ", keys[i]);
        md_words(f, *value ? value : "VALUE");
        fputs("\n:   ", f);
        md_text(f, text && *text ? text : UNDOCUMENTED);
        if (it)
            fprintf(f, " (option: **%s**; environment: **", flag);
        else
            fputs(" (no option; environment: **", f);
        md_text(f, env);
        fputs("**)\n\n", f);
    }
    return EXIT_OK;
}

int cli_man_main(int argc, char **argv)
{
    static const char *const parts[] = {"commands", "options", "notes", "config"};
    size_t p = 0;
    while (argc == 3 && p < 4 && strcmp(argv[2], parts[p]) != 0)
        p++;
    if (argc != 3 || p == 4) {
        fprintf(stderr, "dbmig: __man (the man pages' generated parts, for the build) takes one "
                        "of commands, options, notes, config\n");
        return EXIT_USAGE;
    }
    ht_doc u;
    if (ht_parse(cli_usage_main, &u) != 0)
        return EXIT_FAIL;
    int rc = p == 0 ? man_commands(stdout)
           : p == 1 ? man_options(stdout, &u)
           : p == 2 ? man_notes(stdout, &u)
                    : man_config(stdout, &u);
    ht_free(&u);
    return fflush(stdout) == 0 ? rc : EXIT_FAIL;
}
