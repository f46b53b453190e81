/* cmd_show.c — the commands that read the database and the files: status,
 * current, check, show. Text or JSON on stdout; they never take the lock.
 * The state counts (count_states) are defined once here, shared by the
 * status summary and check's JSON. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "tty.h"

static const char *rev_state(const dbmig_rev_status *r)
{
    if (r->flags & DBMIG_REV_DIRTY)
        return "dirty";
    if (r->flags & DBMIG_REV_UNKNOWN)
        return "unknown";
    if (r->flags & DBMIG_REV_APPLIED)
        return "applied";
    if (r->flags & DBMIG_REV_MISSING)
        return "missing";
    return "pending";
}

/* Counts that do not overlap: every revision is in exactly one of applied,
 * pending, dirty, missing, unknown (its `state`), which sum to total;
 * `modified` counts the applied ones whose file was edited since. */
typedef struct counts {
    size_t total, applied, pending, dirty, missing, unknown, modified;
} counts;

static counts count_states(const dbmig_status *st)
{
    counts n = {0};
    for (size_t i = 0; i < st->nrevs; i++) {
        const char *s = rev_state(&st->revs[i]);
        n.total++;
        if (strcmp(s, "applied") == 0)
            n.applied++;
        else if (strcmp(s, "pending") == 0)
            n.pending++;
        else if (strcmp(s, "dirty") == 0)
            n.dirty++;
        else if (strcmp(s, "missing") == 0)
            n.missing++;
        else
            n.unknown++;
        if (st->revs[i].flags & DBMIG_REV_MODIFIED)
            n.modified++;
    }
    return n;
}

static json_t *json_summary(const dbmig_status *st)
{
    counts n = count_states(st);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)n.total, "applied",
                     (json_int_t)n.applied, "pending", (json_int_t)n.pending, "dirty",
                     (json_int_t)n.dirty, "missing", (json_int_t)n.missing, "unknown",
                     (json_int_t)n.unknown, "modified", (json_int_t)n.modified);
}

static void print_status_text(const dbmig_status *st, const char *table)
{
    printf("database: %s (driver %s%s%s), version table %s\n", st->url, st->driver,
           st->server_version && st->server_version[0] ? ", server " : "",
           st->server_version ? st->server_version : "", table);
    for (size_t i = 0; i < st->nrevs; i++) {
        const dbmig_rev_status *r = &st->revs[i];
        const char *state = rev_state(r);
        char safe[2048];
        printf("  %-8s %-24s %s", state, r->revision, cli_safe(r->message, safe, sizeof safe));
        if (r->flags & DBMIG_REV_APPLIED)
            printf("  [%s, %lld ms]", r->applied_at, (long long)r->duration_ms);
        if (r->flags & DBMIG_REV_MODIFIED)
            printf("  EDITED since applied");
        if ((r->flags & DBMIG_REV_DIRTY) && st->batch && st->batch[i])
            printf("  (dirty: %s)", st->batch[i]); /* SPEC 14 */
        else if (r->flags & DBMIG_REV_DIRTY)
            printf("  (%lld statement(s) committed)", (long long)r->progress);
        if (r->flags & DBMIG_REV_UNKNOWN)
            printf("  (no such file)");
        if ((r->flags & DBMIG_REV_HEAD) && !(r->flags & DBMIG_REV_UNKNOWN))
            printf("  (head)");
        if (r->flags & DBMIG_REV_POST)
            printf("  (post)");
        putchar('\n');
    }
    /* Each revision counts once (see count_states); "edited" are applied. */
    counts n = count_states(st);
    printf("%zu revision(s): %zu applied (%zu of them edited), %zu pending, %zu dirty, %zu "
           "missing, %zu unknown\n",
           n.total, n.applied, n.modified, n.pending, n.dirty, n.missing, n.unknown);
}

/* Where revision i stands inside its batch statement (SPEC 14), or null. */
static json_t *batch_pos_json(const dbmig_status *st, size_t i)
{
    const dbmig_batch_pos *p = st->batch_pos ? &st->batch_pos[i] : NULL;
    if (!p || !p->statement)
        return json_null();
    return json_pack("{s:I,s:I,s:I,s:o}", "statement", (json_int_t)p->statement, "batches",
                     (json_int_t)p->batches, "rows", (json_int_t)p->rows, "next_lo",
                     p->keyset ? json_integer((json_int_t)p->next_lo) : json_null());
}

static json_t *status_json(const dbmig_status *st)
{
    json_t *revs = json_array();
    for (size_t i = 0; i < st->nrevs; i++) {
        const dbmig_rev_status *r = &st->revs[i];
        json_t *o = json_object();
        json_object_set_new(o, "revision", json_string(r->revision));
        json_object_set_new(o, "message", json_string(r->message ? r->message : ""));
        json_object_set_new(o, "file", r->file ? json_string(r->file) : json_null());
        json_object_set_new(o, "state", json_string(rev_state(r)));
        json_object_set_new(o, "applied", json_boolean(r->flags & DBMIG_REV_APPLIED));
        json_object_set_new(o, "dirty", json_boolean(r->flags & DBMIG_REV_DIRTY));
        json_object_set_new(o, "modified", json_boolean(r->flags & DBMIG_REV_MODIFIED));
        json_object_set_new(o, "missing", json_boolean(r->flags & DBMIG_REV_MISSING));
        json_object_set_new(o, "head", json_boolean(r->flags & DBMIG_REV_HEAD));
        json_object_set_new(o, "transaction", json_boolean(!(r->flags & DBMIG_REV_NOTX)));
        json_object_set_new(o, "phase", r->flags & DBMIG_REV_UNKNOWN ? json_null()
                                        : json_string(r->flags & DBMIG_REV_POST ? "post" : "pre"));
        json_object_set_new(o, "seq", r->seq ? json_integer(r->seq) : json_null());
        char iso[64];
        cli_iso_utc(r->applied_at, iso, sizeof iso);
        json_object_set_new(o, "applied_at", r->applied_at ? json_string(iso) : json_null());
        json_object_set_new(o, "duration_ms",
                            (r->flags & DBMIG_REV_APPLIED) ? json_integer(r->duration_ms) : json_null());
        json_object_set_new(o, "progress", json_integer(r->progress));
        json_object_set_new(o, "batch", st->batch && st->batch[i] ? json_string(st->batch[i]) : json_null());
        json_object_set_new(o, "batch_position", batch_pos_json(st, i));
        json_object_set_new(o, "checksum", r->checksum ? json_string(r->checksum) : json_null());
        json_object_set_new(o, "db_checksum", r->db_checksum ? json_string(r->db_checksum) : json_null());
        json_array_append_new(revs, o);
    }
    json_t *j = json_object();
    json_object_set_new(j, "driver", json_string(st->driver));
    json_object_set_new(j, "url", json_string(st->url));
    json_object_set_new(j, "server_version", json_string(st->server_version ? st->server_version : ""));
    json_object_set_new(j, "revisions", revs);
    json_object_set_new(j, "summary", json_summary(st));
    json_object_set_new(j, "heads", cli_json_strs(st->heads, st->nheads));
    return j;
}

/* The shared start of status, current: no arguments, then the status. */
static int load_status(cli *c, dbmig_status **st)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    int rc = dbmig_status_get(c->h, st);
    return rc ? cli_fail(c, rc) : EXIT_OK;
}

int cmd_status(cli *c)
{
    dbmig_status *st;
    int e = load_status(c, &st);
    if (e)
        return e;
    if (c->json)
        cli_json_print(c, status_json(st));
    else
        print_status_text(st, cli_config_get(&c->cfg, "table") ? cli_config_get(&c->cfg, "table")
                                                               : "dbmig_version");
    dbmig_status_free(st);
    return EXIT_OK;
}

int cmd_current(cli *c)
{
    dbmig_status *st;
    int e = load_status(c, &st);
    if (e)
        return e;
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "heads", cli_json_strs(st->heads, st->nheads));
        cli_json_print(c, j);
    } else if (st->nheads == 0) {
        printf("base (nothing applied)\n");
    } else {
        for (size_t i = 0; i < st->nheads; i++)
            for (size_t k = 0; k < st->nrevs; k++)
                if (strcmp(st->revs[k].revision, st->heads[i]) == 0)
                    printf("%s %s%s\n", st->heads[i],
                           cli_safe(st->revs[k].message, (char[2048]){0}, 2048),
                           (st->revs[k].flags & DBMIG_REV_HEAD) ? " (head)" : "");
    }
    dbmig_status_free(st);
    return EXIT_OK;
}

/* check --phase pre (SPEC section 14): the readiness gate before new code
 * ships. */
static int phase_pre(cli *c)
{
    const char *v = cli_config_get(&c->cfg, "phase");
    return v && strcmp(v, "pre") == 0;
}

/* The post revisions check --phase pre let pass: not applied, no problem of
 * their own. */
static json_t *post_pending(const dbmig_status *st)
{
    json_t *a = json_array();
    for (size_t i = 0; i < st->nrevs; i++) {
        const dbmig_rev_status *r = &st->revs[i];
        if ((r->flags & DBMIG_REV_POST) && strcmp(rev_state(r), "pending") == 0)
            json_array_append_new(a, json_string(r->revision));
    }
    return a;
}

/* check --phase pre, text: what waits for the deploy, one line. */
static void print_post_pending(const dbmig_status *st)
{
    json_t *a = post_pending(st);
    size_t n = json_array_size(a);
    if (n) {
        printf("note: %zu post-deployment revision%s pending (", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
            printf("%s%s", i ? ", " : "", json_string_value(json_array_get(a, i)));
        printf("): apply %s with `dbmig upgrade --phase post` once the new code is deployed\n",
               n == 1 ? "it" : "them");
    }
    json_decref(a);
}

/* The rule is the library's (dbmig_check); this prints its findings. */
int cmd_check(cli *c)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    dbmig_check_result *res;
    int rc = dbmig_check(c->h, &res);
    if (!res) {
        int code = cli_fail(c, rc);
        if (c->json && rc == DBMIG_EINVALID) {
            json_t *j = json_object();
            json_object_set_new(j, "ok", json_false());
            json_t *p = json_array();
            json_array_append_new(p, json_string(dbmig_errmsg(c->h)));
            json_object_set_new(j, "problems", p);
            json_object_set_new(j, "exit_code", json_integer(code));
            json_object_set_new(j, "error", json_string(c->said.error));
            cli_json_print(c, j);
        }
        return code;
    }
    /* SPEC 15: the lint findings of the pending revisions, as warnings;
     * check's exit code stays its own (docs/lint.md) */
    json_t *lint = NULL;
    size_t lint_errors;
    int le = cli_lint_for(c, res->status, c->json ? &lint : NULL, &lint_errors, NULL);
    if (le) {
        dbmig_check_free(res);
        return le;
    }
    size_t n = res->nproblems;
    if (c->json) {
        json_t *problems = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(problems, json_string(res->problems[i].text));
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(n == 0));
        json_object_set_new(j, "problems", problems);
        json_object_set_new(j, "summary", json_summary(res->status));
        json_object_set_new(j, "phase", json_string(phase_pre(c) ? "pre" : "all"));
        if (phase_pre(c))
            json_object_set_new(j, "post_pending", post_pending(res->status));
        json_object_set_new(j, "lint", lint);
        /* as every failing command's document: the exit code and why */
        json_object_set_new(j, "exit_code", json_integer(n ? EXIT_INVALID : EXIT_OK));
        json_object_set_new(j, "error", n ? json_sprintf("check failed: %zu problem(s), the "
                                                         "first: %s", n, res->problems[0].text)
                                          : json_null());
        cli_json_print(c, j);
    } else {
        for (size_t i = 0; i < n; i++)
            printf("problem: %s\n", res->problems[i].text);
        if (n == 0 && phase_pre(c))
            printf("ok: %zu revision(s), every pre-deployment one applied, none dirty or "
                   "edited\n", res->status->nrevs);
        else if (n == 0)
            printf("ok: %zu revision(s), all applied, none dirty or edited\n", res->status->nrevs);
        else
            printf("check failed: %zu problem(s)\n", n);
        if (phase_pre(c))
            print_post_pending(res->status);
    }
    dbmig_check_free(res);
    return n ? EXIT_INVALID : EXIT_OK;
}

static void show_json(cli *c, const dbmig_show *s)
{
    json_t *j = json_object();
    json_object_set_new(j, "revision", json_string(s->revision));
    json_object_set_new(j, "message", json_string(s->message));
    json_object_set_new(j, "file", json_string(s->file));
    json_object_set_new(j, "parents", cli_json_strs(s->parents, s->nparents));
    json_object_set_new(j, "branches", cli_json_strs(s->branches, s->nbranches));
    json_object_set_new(j, "depends", cli_json_strs(s->depends, s->ndepends));
    json_object_set_new(j, "transaction", json_boolean(s->transaction));
    json_object_set_new(j, "phase", json_string(s->post ? "post" : "pre"));
    json_object_set_new(j, "reversible", json_boolean(s->reversible));
    json_object_set_new(j, "checksum", json_string(s->checksum));
    json_object_set_new(j, "driver", json_string(s->driver));
    json_t *up = json_array(), *down = json_array();
    for (size_t i = 0; i < s->nup; i++)
        json_array_append_new(up, json_pack("{s:s,s:i}", "sql", s->up[i].sql, "line", s->up[i].line));
    for (size_t i = 0; i < s->ndown; i++)
        json_array_append_new(down, json_pack("{s:s,s:i}", "sql", s->down[i].sql, "line", s->down[i].line));
    json_object_set_new(j, "up", up);
    json_object_set_new(j, "down", down);
    cli_json_print(c, j);
}

static void show_text(const dbmig_show *s)
{
    char safe_m[2048], safe_f[2048];
    printf("revision:    %s\nmessage:     %s\nfile:        %s\nparents:    ", s->revision,
           cli_safe(s->message, safe_m, sizeof safe_m), cli_safe(s->file, safe_f, sizeof safe_f));
    if (!s->nparents)
        printf(" (base)");
    for (size_t i = 0; i < s->nparents; i++)
        printf(" %s", s->parents[i]);
    if (s->nbranches) {
        printf("\nbranches:   ");
        for (size_t i = 0; i < s->nbranches; i++)
            printf(" %s", s->branches[i]);
    }
    if (s->ndepends) {
        printf("\ndepends:    ");
        for (size_t i = 0; i < s->ndepends; i++)
            printf(" %s", s->depends[i]);
    }
    printf("\ntransaction: %s\nphase:       %s\nreversible:  %s\nchecksum:    %s\n"
           "driver:      %s\n",
           s->transaction ? "on" : "off", s->post ? "post (after the deploy)" : "pre",
           s->reversible ? "yes" : "no", s->checksum,
           s->driver[0] ? s->driver : "(generic sections)");
    printf("\n-- up: %zu statement(s)\n", s->nup);
    for (size_t i = 0; i < s->nup; i++)
        printf("-- %s:%d\n%s;\n", s->file, s->up[i].line, s->up[i].sql);
    printf("\n-- down: %zu statement(s)%s\n", s->ndown, s->reversible ? "" : " (irreversible)");
    for (size_t i = 0; i < s->ndown; i++)
        printf("-- %s:%d\n%s;\n", s->file, s->down[i].line, s->down[i].sql);
}

int cmd_show(cli *c)
{
    int e = cli_need_args(c, 1, 1);
    if (e)
        return e;
    dbmig_show *s;
    int rc = dbmig_show_get(c->h, c->args[0], &s);
    if (rc)
        return cli_fail(c, rc);
    if (c->json)
        show_json(c, s);
    else
        show_text(s);
    dbmig_show_free(s);
    return EXIT_OK;
}
