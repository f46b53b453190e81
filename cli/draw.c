/* draw.c — `history --format dot|mermaid`: the revision graph as a picture
 * (issue 19, SPEC section 16). Graphviz's DOT and Mermaid's flowchart
 * (which GitHub renders in pull requests and Markdown files) from the same
 * list `history` prints: one node per revision (its id, its message, post
 * for a post-deployment revision, its branch labels, and with a database its
 * state: applied, pending, MISSING, DIRTY), an edge from each parent to its child, a dashed edge from each
 * revision a `depends` names. Heads have a bold border; the colours say
 * the state. Parents are drawn above their children (bases at the top). Labels are escaped for each language; node names are
 * "r<index>" in Mermaid (its ids cannot hold every revision id character)
 * and the quoted revision id in DOT. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef enum { ST_NONE, ST_APPLIED, ST_PENDING, ST_MISSING, ST_DIRTY } state;

static const char *const st_name[] = {"", "applied", "pending", "MISSING", "DIRTY"};
static const char *const st_class[] = {"", "applied", "pending", "missing", "dirty"};
/* fill, border */
static const char *const st_colour[][2] = {
    {"#ffffff", "#555555"}, {"#d4edda", "#2e7d32"}, {"#ffffff", "#555555"},
    {"#ffe0b2", "#e65100"}, {"#f8d7da", "#b71c1c"},
};

static state rev_state(const dbmig_graph_list *l, size_t i, const dbmig_status *st)
{
    const dbmig_graph_rev *r = &l->revs[i];
    if (!l->marks)
        return ST_NONE;
    for (size_t k = 0; st && k < st->nrevs; k++)
        if ((st->revs[k].flags & DBMIG_REV_DIRTY) && strcmp(st->revs[k].revision, r->revision) == 0)
            return ST_DIRTY;
    return (r->flags & DBMIG_GREV_APPLIED)   ? ST_APPLIED
           : (r->flags & DBMIG_GREV_MISSING) ? ST_MISSING
                                             : ST_PENDING;
}

/* s with what breaks a quoted DOT string or a Mermaid label escaped;
 * control characters become spaces. */
static void put_escaped(const char *s, int mermaid)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f)
            putchar(' ');
        else if (mermaid && ch == '"')
            fputs("#quot;", stdout);
        else if (mermaid && (ch == '<' || ch == '>' || ch == '#'))
            printf("#%u;", ch);
        else if (!mermaid && (ch == '"' || ch == '\\'))
            printf("\\%c", ch);
        else
            putchar(ch);
    }
}

/* The label's lines: id, message, post and branch labels, state. */
static void put_label(const dbmig_graph_rev *r, state s, int mermaid)
{
    const char *nl = mermaid ? "<br/>" : "\\n";
    put_escaped(r->revision, mermaid);
    if (r->message && *r->message) {
        fputs(nl, stdout);
        put_escaped(r->message, mermaid);
    }
    size_t tags = 0; /* one line: post (SPEC 14), then the branch labels */
    if (r->flags & DBMIG_GREV_POST) {
        fputs(nl, stdout);
        fputs("post", stdout);
        tags++;
    }
    for (size_t b = 0; b < r->nbranches; b++) {
        fputs(tags++ ? ", " : nl, stdout);
        fputs("branch ", stdout);
        put_escaped(r->branches[b], mermaid);
    }
    if (s != ST_NONE)
        printf("%s[%s]", nl, st_name[s]);
}

static long index_of(const dbmig_graph_list *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->revs[i].revision, id) == 0)
            return (long)i;
    return -1;
}

static void draw_dot(const dbmig_graph_list *l, const dbmig_status *st)
{
    puts("digraph dbmig {\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];");
    for (size_t i = 0; i < l->n; i++) {
        const dbmig_graph_rev *r = &l->revs[i];
        state s = rev_state(l, i, st);
        fputs("  \"", stdout);
        put_escaped(r->revision, 0);
        fputs("\" [label=\"", stdout);
        put_label(r, s, 0);
        printf("\", fillcolor=\"%s\", color=\"%s\"%s];\n", st_colour[s][0], st_colour[s][1],
               (r->flags & DBMIG_GREV_HEAD) ? ", penwidth=3" : "");
    }
    for (size_t i = 0; i < l->n; i++) {
        const dbmig_graph_rev *r = &l->revs[i];
        for (size_t p = 0; p < r->nparents + r->ndepends; p++) {
            int dep = p >= r->nparents;
            const char *from = dep ? r->depends[p - r->nparents] : r->parents[p];
            if (index_of(l, from) < 0)
                continue; /* outside a -r range */
            fputs("  \"", stdout);
            put_escaped(from, 0);
            fputs("\" -> \"", stdout);
            put_escaped(r->revision, 0);
            puts(dep ? "\" [style=dashed, label=\"depends\"];" : "\";");
        }
    }
    puts("}");
}

static void draw_mermaid(const dbmig_graph_list *l, const dbmig_status *st)
{
    puts("flowchart TD");
    for (size_t i = 0; i < l->n; i++) {
        printf("  r%zu[\"", i);
        put_label(&l->revs[i], rev_state(l, i, st), 1);
        puts("\"]");
    }
    for (size_t i = 0; i < l->n; i++) {
        const dbmig_graph_rev *r = &l->revs[i];
        for (size_t p = 0; p < r->nparents; p++) {
            long k = index_of(l, r->parents[p]);
            if (k >= 0)
                printf("  r%ld --> r%zu\n", k, i);
        }
        for (size_t d = 0; d < r->ndepends; d++) {
            long k = index_of(l, r->depends[d]);
            if (k >= 0)
                printf("  r%ld -. depends .-> r%zu\n", k, i);
        }
    }
    for (int s = ST_APPLIED; s <= ST_DIRTY; s++)
        printf("  classDef %s fill:%s,stroke:%s\n", st_class[s], st_colour[s][0], st_colour[s][1]);
    puts("  classDef head stroke-width:3px");
    for (size_t i = 0; i < l->n; i++) {
        state s = rev_state(l, i, st);
        if (s != ST_NONE)
            printf("  class r%zu %s\n", i, st_class[s]);
        if (l->revs[i].flags & DBMIG_GREV_HEAD)
            printf("  class r%zu head\n", i);
    }
}

int cli_history_draw(cli *c, const dbmig_graph_list *l, int mermaid)
{
    dbmig_status *st = NULL;
    if (l->marks) {
        int rc = dbmig_status_get(c->h, &st);
        if (rc)
            return cli_fail(c, rc);
    }
    if (mermaid)
        draw_mermaid(l, st);
    else
        draw_dot(l, st);
    dbmig_status_free(st);
    return EXIT_OK;
}
