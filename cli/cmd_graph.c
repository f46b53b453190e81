/* cmd_graph.c — the commands that read the revision graph: history, heads,
 * branches. The library draws and orders (dbmig_history_get & co.); this
 * prints its lists as text (tags in parentheses) or JSON. With a database
 * URL each revision is also marked applied, pending or MISSING. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tty.h"

static int has_url(cli *c) { return cli_config_get(&c->cfg, "url") != NULL; }

static void print_tags(const dbmig_graph_rev *r, int marks)
{
    int n = 0;
#define TAG(...)                                                                                   \
    do {                                                                                           \
        fputs(n++ ? ", " : " (", stdout);                                                          \
        printf(__VA_ARGS__);                                                                       \
    } while (0)
    if (r->flags & DBMIG_GREV_HEAD)
        TAG("head");
    if (marks && (r->flags & DBMIG_GREV_CURRENT))
        TAG("current");
    if (r->flags & DBMIG_GREV_BASE)
        TAG("base");
    if (r->flags & DBMIG_GREV_MERGE) {
        TAG("merge of");
        for (size_t i = 0; i < r->nparents; i++)
            printf(" %s", r->parents[i]);
    }
    if (r->flags & DBMIG_GREV_BRANCHPOINT)
        TAG("branch point");
    if (r->flags & DBMIG_GREV_POST)
        TAG("post");
    for (size_t i = 0; i < r->nbranches; i++)
        TAG("branch %s", r->branches[i]);
    if (r->ndepends) {
        TAG("depends on");
        for (size_t i = 0; i < r->ndepends; i++)
            printf(" %s", r->depends[i]);
    }
#undef TAG
    if (n)
        putchar(')');
    if (marks)
        printf(" [%s]", (r->flags & DBMIG_GREV_APPLIED)   ? "applied"
                        : (r->flags & DBMIG_GREV_MISSING) ? "MISSING"
                                                          : "pending");
}

static json_t *grev_json(const dbmig_graph_rev *r, int marks, int drawing)
{
    json_t *o = json_object();
    json_object_set_new(o, "revision", json_string(r->revision));
    json_object_set_new(o, "message", json_string(r->message));
    json_object_set_new(o, "file", json_string(r->file));
    json_object_set_new(o, "parents", cli_json_strs(r->parents, r->nparents));
    json_object_set_new(o, "children", cli_json_strs(r->children, r->nchildren));
    json_object_set_new(o, "depends", cli_json_strs(r->depends, r->ndepends));
    json_object_set_new(o, "branches", cli_json_strs(r->branches, r->nbranches));
    json_object_set_new(o, "head", json_boolean(r->flags & DBMIG_GREV_HEAD));
    json_object_set_new(o, "base", json_boolean(r->flags & DBMIG_GREV_BASE));
    json_object_set_new(o, "merge", json_boolean(r->flags & DBMIG_GREV_MERGE));
    json_object_set_new(o, "branch_point", json_boolean(r->flags & DBMIG_GREV_BRANCHPOINT));
    json_object_set_new(o, "phase", json_string(r->flags & DBMIG_GREV_POST ? "post" : "pre"));
    if (marks) {
        json_object_set_new(o, "state", json_string((r->flags & DBMIG_GREV_APPLIED)   ? "applied"
                                                    : (r->flags & DBMIG_GREV_MISSING) ? "missing"
                                                                                      : "pending"));
        json_object_set_new(o, "current", json_boolean(r->flags & DBMIG_GREV_CURRENT));
    }
    if (drawing) {
        json_object_set_new(o, "graph", json_string(r->graph));
        json_t *after = json_array();
        const char *p = r->graph_after;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            json_array_append_new(after, json_stringn(p, len));
            p += len + (e ? 1 : 0);
        }
        json_object_set_new(o, "graph_after", after);
    }
    return o;
}

int cmd_history(cli *c)
{
    const char *range = NULL;
    int draw = 0; /* 1 dot, 2 mermaid */
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        if (strcmp(a, "-r") == 0 || strcmp(a, "--rev-range") == 0) {
            if (i + 1 >= c->nargs)
                return cli_usage_error(c, "%s needs a range A:B", a);
            range = c->args[++i];
        } else if (strncmp(a, "--rev-range=", 12) == 0) {
            range = a + 12;
        } else if (strncmp(a, "-r", 2) == 0 && a[2]) {
            range = a + 2;
        } else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
            const char *v = a[8] ? a + 9 : i + 1 < c->nargs ? c->args[++i] : "";
            if (strcmp(v, "dot") != 0 && strcmp(v, "mermaid") != 0 && strcmp(v, "json") != 0 &&
                strcmp(v, "text") != 0)
                return cli_usage_error(c, "bad value '%s' for history --format: expected text, json, "
                                       "dot (Graphviz) or mermaid",
                                       v);
            draw = v[0] == 'd' ? 1 : v[0] == 'm' ? 2 : 0;
            if (v[0] == 'j')
                c->json = 1;
            else if (v[0] == 't')
                c->json = 0;
        } else {
            return cli_usage_error(c, "unknown argument '%s' for history (it takes -r A:B and "
                                   "--format text|json|dot|mermaid)",
                                   a);
        }
    }
    dbmig_graph_list *l;
    int rc = dbmig_history_get(c->h, range, has_url(c) ? DBMIG_GRAPH_DB : 0, &l);
    if (rc)
        return cli_fail(c, rc);
    if (draw) {
        rc = cli_history_draw(c, l, draw == 2);
        dbmig_graph_list_free(l);
        return rc;
    }
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l->n; i++)
            json_array_append_new(a, grev_json(&l->revs[i], l->marks, 1));
        json_t *j = json_object();
        json_object_set_new(j, "revisions", a);
        cli_json_print(c, j);
    } else if (l->n == 0) {
        printf(range ? "no revision in the range %s\n" : "no revisions%s\n", range ? range : "");
    } else {
        for (size_t i = 0; i < l->n; i++) {
            const dbmig_graph_rev *r = &l->revs[i];
            char safe[2048];
            printf("%s%s %s", r->graph, r->revision, cli_safe(r->message, safe, sizeof safe));
            print_tags(r, l->marks);
            putchar('\n');
            if (r->graph_after[0])
                printf("%s\n", r->graph_after);
        }
    }
    dbmig_graph_list_free(l);
    return EXIT_OK;
}

static int cmd_heads_branches(cli *c, int branches)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    dbmig_graph_list *l;
    unsigned flags = has_url(c) ? DBMIG_GRAPH_DB : 0;
    int rc = branches ? dbmig_branches_get(c->h, flags, &l) : dbmig_heads_get(c->h, flags, &l);
    if (rc)
        return cli_fail(c, rc);
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l->n; i++)
            json_array_append_new(a, grev_json(&l->revs[i], l->marks, 0));
        json_t *j = json_object();
        json_object_set_new(j, branches ? "branch_points" : "heads", a);
        cli_json_print(c, j);
    } else if (l->n == 0) {
        printf(branches ? "no branch points: the graph does not fork\n" : "no heads: no revisions\n");
    } else {
        for (size_t i = 0; i < l->n; i++) {
            const dbmig_graph_rev *r = &l->revs[i];
            char safe[2048];
            printf("%s %s", r->revision, cli_safe(r->message, safe, sizeof safe));
            print_tags(r, l->marks);
            if (branches) {
                printf(" ->");
                for (size_t k = 0; k < r->nchildren; k++)
                    printf("%s %s", k ? "," : "", r->children[k]);
            }
            putchar('\n');
        }
        if (!branches && l->n > 1)
            printf("%zu heads: upgrade one with <id> or <label>@head, all with `heads`, or join "
                   "them with `dbmig merge -m MSG`\n",
                   l->n);
    }
    dbmig_graph_list_free(l);
    return EXIT_OK;
}

int cmd_heads(cli *c) { return cmd_heads_branches(c, 0); }
int cmd_branches(cli *c) { return cmd_heads_branches(c, 1); }
