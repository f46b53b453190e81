/* helptext.h — the help texts read back as structure, for the man pages
 * (manpage.c) and shell completion (complete.c). The texts in help.c stay
 * plain text that is easy to write and to merge; this reads the shape they
 * already share:
 *
 *   usage: dbmig [options] CMD ARGS...      the synopsis; indented lines
 *          [--more]...                      continue it, "dbmig ..." starts
 *          dbmig [options] CMD ...          another one
 *   Prose, one paragraph until a blank line or an option line.
 *     --name VALUE   what it does           an option line: two spaces, a
 *                    continued here         dash, the spec, two spaces (or the
 *                                           list's column), the description;
 *                                           deeper lines continue it
 *
 * The main usage (cli_usage_main) has the same shape: its "commands:" and
 * "options ...:" lines are paragraphs followed by item lists. */
#ifndef DBMIG_CLI_HELPTEXT_H
#define DBMIG_CLI_HELPTEXT_H

#include <stddef.h>

typedef struct ht_item {
    char *spec;  /* "-m, --message MSG", "upgrade [TARGET]" */
    char *first; /* the description on the spec's own line ("" if none) */
    char *desc;  /* the whole description, lines joined with spaces */
} ht_item;

typedef struct ht_block {
    char *para;     /* a paragraph (lines joined with spaces), or NULL */
    ht_item *items; /* else a list of items */
    size_t n;
} ht_block;

typedef struct ht_doc {
    char *syn[4]; /* the synopsis lines, without "usage: " */
    size_t nsyn;
    ht_block *b;
    size_t nb;
} ht_doc;

/* 0, or -1 (out of memory; d is freed). */
int ht_parse(const char *text, ht_doc *d);
void ht_free(ht_doc *d);

/* The help text of a command, exactly what `dbmig help CMD` prints (for
 * fleet, its own text from fleet.c), malloc'd; NULL for an unknown command. */
char *ht_command_text(const char *cmd);

/* The item documenting option name ("--format", "-r") in d: the first whose
 * spec has it as a word; NULL if none. */
const ht_item *ht_find_option(const ht_doc *d, const char *name);
/* The value word written after option name in d's synopsis or items
 * ("text|json|dot|mermaid" for --format in history's help), into out; 0 when
 * d has none. The synopsis wins: it lists every value, an item may name one. */
int ht_option_value(const ht_doc *d, const char *name, char *out, size_t cap);

#endif
