/* fleet_merge.c — `dbmig fleet --merge-results FILE...`: the JSON summaries
 * of the shards of one fleet run (`fleet --shard I/N --results FILE`, or
 * `--format json` output) merged into one, as if one machine had run them
 * all. Each file must be a fleet summary of the same command and the same N;
 * every shard 1..N must be there exactly once (a missing or doubled shard
 * is exit 3, named, after the merged summary: a CI step that merges must
 * not pass on two of three shards). A summary without a shard (an unsplit
 * run) counts as shard 1/1. Targets come out in their targets-file order
 * (their "line"), then by URL. Exit: the highest exit code of a target, 3
 * for a missing shard if that is higher, 2 for a file that cannot be read
 * or is not a fleet summary. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

typedef struct merge {
    const char *command;
    long count;          /* N of the shards, 0 before the first file */
    unsigned char *seen; /* count + 1 flags */
    json_t *targets;
    int worst;
} merge;

static int bad_file(const char *file, const char *why)
{
    fprintf(stderr, "dbmig: fleet --merge-results: %s: %s\n", file, why);
    return 2;
}

/* One summary into m. */
static int merge_one(merge *m, const char *file, json_t *j)
{
    const char *command = json_string_value(json_object_get(j, "command"));
    json_t *targets = json_object_get(j, "targets");
    if (!command || !json_is_array(targets) || !json_is_object(json_object_get(j, "summary")))
        return bad_file(file, "not the JSON summary of a fleet run (write one with `dbmig fleet "
                              "--shard I/N --results FILE ...` or --format json)");
    json_t *sh = json_object_get(j, "shard");
    long index = sh ? (long)json_integer_value(json_object_get(sh, "index")) : 1;
    long count = sh ? (long)json_integer_value(json_object_get(sh, "count")) : 1;
    if (count < 1 || index < 1 || index > count)
        return bad_file(file, "its \"shard\" is not I/N with 1 <= I <= N");
    if (!m->command) {
        m->command = command;
        m->count = count;
        m->seen = calloc((size_t)count + 1, 1);
        if (!m->seen)
            return 1;
    } else if (strcmp(m->command, command) != 0 || m->count != count) {
        fprintf(stderr, "dbmig: fleet --merge-results: %s is shard %ld/%ld of `fleet %s` but the "
                        "first file is of `fleet %s` in %ld shard(s); merge the summaries of one "
                        "run\n",
                file, index, count, command, m->command, m->count);
        return 2;
    }
    if (m->seen[index]++) {
        fprintf(stderr, "dbmig: fleet --merge-results: shard %ld/%ld is given twice (again in %s)\n",
                index, count, file);
        m->worst = m->worst > 3 ? m->worst : 3;
    }
    for (size_t k = 0; k < json_array_size(targets); k++) {
        json_t *t = json_array_get(targets, k);
        json_int_t e = json_integer_value(json_object_get(t, "exit"));
        if (e > m->worst)
            m->worst = (int)e;
        json_array_append(m->targets, t);
    }
    return 0;
}

/* t[key] as a string, "" when absent. */
static const char *str(json_t *t, const char *key)
{
    const char *v = json_string_value(json_object_get(t, key));
    return v ? v : "";
}

static int by_line(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t lx = json_integer_value(json_object_get(x, "line"));
    json_int_t ly = json_integer_value(json_object_get(y, "line"));
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(str(x, "target"), str(y, "target"));
}

/* The merged targets in order, renumbered; the counts. */
static json_t *sorted(json_t *targets, size_t *ok, json_int_t *ms)
{
    size_t n = json_array_size(targets);
    json_t **v = malloc((n ? n : 1) * sizeof *v); // NOLINT(bugprone-sizeof-expression): an array of pointers
    json_t *out = json_array();
    *ok = 0;
    *ms = 0;
    for (size_t k = 0; v && k < n; k++)
        v[k] = json_array_get(targets, k);
    if (v)
        qsort(v, n, sizeof *v, by_line); // NOLINT(bugprone-sizeof-expression): an array of pointers
    for (size_t k = 0; v && k < n; k++) {
        json_object_set_new(v[k], "index", json_integer((json_int_t)k + 1));
        *ok += json_integer_value(json_object_get(v[k], "exit")) == 0;
        json_int_t d = json_integer_value(json_object_get(v[k], "duration_ms"));
        *ms = d > *ms ? d : *ms;
        json_array_append(out, v[k]);
    }
    free(v);
    return out;
}

static void print_text(json_t *targets, const merge *m, size_t ok, json_t *missing)
{
    printf("%-4s %-8s %-5s %9s  %s\n", "#", "result", "exit", "time", "target");
    for (size_t k = 0; k < json_array_size(targets); k++) {
        json_t *t = json_array_get(targets, k);
        const char *err = json_string_value(json_object_get(t, "error"));
        printf("%-4zu %-8s %-5d %7lldms  %s\n", k + 1, str(t, "result"),
               (int)json_integer_value(json_object_get(t, "exit")),
               (long long)json_integer_value(json_object_get(t, "duration_ms")), str(t, "target"));
        if (err)
            printf("     %s\n", err);
    }
    printf("fleet %s: %zu target(s) from %ld shard(s), %zu ok, %zu failed\n", m->command,
           json_array_size(targets), m->count, ok, json_array_size(targets) - ok);
    for (size_t k = 0; k < json_array_size(missing); k++)
        printf("shard %lld/%ld is missing: its targets are not in this summary\n",
               (long long)json_integer_value(json_array_get(missing, k)), m->count);
}

static int merge_out(merge *m, int json)
{
    size_t ok;
    json_int_t ms;
    json_t *targets = sorted(m->targets, &ok, &ms);
    json_t *missing = json_array();
    for (long i = 1; i <= m->count; i++)
        if (!m->seen[i])
            json_array_append_new(missing, json_integer(i));
    if (json_array_size(missing) && m->worst < 3)
        m->worst = 3;
    if (json) {
        json_t *j = json_pack("{s:s,s:{s:I,s:O},s:O,s:{s:I,s:I,s:I,s:I}}", "command", m->command,
                              "shards", "count", (json_int_t)m->count, "missing", missing,
                              "targets", targets, "summary", "total",
                              (json_int_t)json_array_size(targets), "ok", (json_int_t)ok, "failed",
                              (json_int_t)(json_array_size(targets) - ok), "longest_target_ms", ms);
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
        json_decref(j);
    } else {
        print_text(targets, m, ok, missing);
    }
    json_decref(targets);
    json_decref(missing);
    return m->worst;
}

int cli_fleet_merge(char *const *files, int n, int json)
{
    if (n < 1) {
        fprintf(stderr, "dbmig: fleet --merge-results needs the summary files of the shards\n");
        return 2;
    }
    merge m = {.targets = json_array()};
    json_t **docs = calloc((size_t)n, sizeof *docs); // NOLINT(bugprone-sizeof-expression): an array of pointers
    int rc = docs ? 0 : 1;
    for (int i = 0; i < n && rc == 0; i++) {
        json_error_t e;
        docs[i] = json_load_file(files[i], 0, &e);
        if (!docs[i]) {
            char why[300];
            snprintf(why, sizeof why, "cannot read it as JSON: %s (line %d)", e.text, e.line);
            rc = bad_file(files[i], why);
        } else {
            rc = merge_one(&m, files[i], docs[i]);
        }
    }
    if (rc == 0)
        rc = merge_out(&m, json);
    for (int i = 0; docs && i < n; i++)
        json_decref(docs[i]);
    free(docs);
    free(m.seen);
    json_decref(m.targets);
    return rc;
}
