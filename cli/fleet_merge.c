/* fleet_merge.c — `dbmig fleet --merge-results [--run-id ID] FILE...`: the
 * JSON summaries of the shards of one fleet run (`fleet --shard I/N
 * --results FILE`, or `--format json` output) merged into one, as if one
 * machine had run them all.
 *
 * The files must be of ONE run: the same command and arguments, the same
 * N, the same targets list (its digest) and the same --run-id (or none in
 * all; with `--merge-results --run-id ID`, ID in all). Anything else is
 * refused (exit 3, naming the two files and what differs), before any
 * merging: an old file left on a volume, or a shard of another targets
 * file, must not pass as this run's. Every shard 1..N must be there
 * exactly once (a missing or doubled shard is exit 3, named, after the
 * merged summary: a CI step that merges must not pass on two of three
 * shards), and must have finished: a file still holding the "started"
 * marker, or one saying its run failed before its targets ran, is a shard
 * that failed (exit 3 or its own exit code if higher, with its error). A
 * summary without a shard (an unsplit run) counts as shard 1/1. Targets
 * come out in their targets-file order (their "line"), then by URL. Exit:
 * the highest exit code of a target, 3 for the shard problems above if
 * that is higher, 2 for a file that cannot be read or is not a fleet
 * summary. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "output.h"

/* One identity field of the run, and the first file that set it. */
typedef struct ref {
    json_t *value;
    const char *file;
} ref;

typedef struct merge {
    const char *run_id;  /* --run-id: every file must carry it */
    const char *command; /* of the first summary with one */
    ref cmd, count, digest, run;
    long n;              /* N of the shards, 0 before the first one */
    unsigned char *seen; /* n + 1 flags */
    json_t *targets;
    json_t *failed;      /* shards that failed or did not finish */
    json_t *problems;    /* one sentence each: the JSON "error" */
    int worst;
    int mismatch;        /* files of different runs: refused */
    cli_said *said;      /* main.c's: the JSON printed, the error (may be NULL) */
} merge;

static int bad_file(merge *m, const char *file, const char *why)
{
    char msg[sizeof m->said->error];
    snprintf(msg, sizeof msg, "fleet --merge-results: %s: %s", file, why);
    fprintf(stderr, "dbmig: %s\n", msg);
    cli_said_error(m->said, msg);
    return 2;
}

/* A value for a message: a string as is, null as "none", else JSON. */
static void shown(json_t *v, char *out, size_t cap)
{
    if (json_is_string(v)) {
        snprintf(out, cap, "%s", json_string_value(v));
    } else if (!v || json_is_null(v)) {
        snprintf(out, cap, "none");
    } else if (json_is_array(v)) { /* a command line: words */
        out[0] = '\0';
        for (size_t k = 0, len = 0; k < json_array_size(v) && len < cap; k++)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", k ? " " : "",
                                    json_string_value(json_array_get(v, k)));
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(out, cap, "%s", s ? s : "?");
        free(s);
    }
}

/* r: the first value of a field; a later file with another one is a
 * mismatch, named with both files and values. */
static void same(merge *m, ref *r, const char *file, json_t *v, const char *what)
{
    if (!r->value) {
        r->value = json_incref(v);
        r->file = file;
        return;
    }
    if (json_equal(r->value, v))
        return;
    char a[300], b[300];
    shown(r->value, a, sizeof a);
    shown(v, b, sizeof b);
    fprintf(stderr, "dbmig: fleet --merge-results: %s and %s are not of one run: their %s "
                    "differs: %s in %s, %s in %s. Merge the summaries of one run (remove a stale "
                    "or foreign file, or run its shard again)\n",
            r->file, file, what, a, r->file, b, file);
    m->mismatch = 1;
}

/* The run's identity of one summary against the others'. finished: its
 * targets ran (a "failed"/"started" file may lack what it never knew). */
static void check_identity(merge *m, const char *file, json_t *j, int finished)
{
    json_t *cmd = json_array();
    json_array_append(cmd, json_object_get(j, "command"));
    json_array_extend(cmd, json_object_get(j, "arguments"));
    if (json_is_string(json_object_get(j, "command")))
        same(m, &m->cmd, file, cmd, "command");
    json_decref(cmd);
    json_t *run = json_object_get(j, "run_id");
    same(m, &m->run, file, run ? run : json_null(), "run id (--run-id)");
    json_t *want = m->run_id ? json_string(m->run_id) : NULL;
    int other = want && !json_equal(run, want);
    json_decref(want);
    if (other) {
        char b[300];
        shown(run, b, sizeof b);
        fprintf(stderr, "dbmig: fleet --merge-results: %s has %s%s, not %s (--run-id): it is of "
                        "another run, or its shard ran without --run-id\n",
                file, json_is_string(run) ? "run id " : "no run id", json_is_string(run) ? b : "",
                m->run_id);
        m->mismatch = 1;
    }
    json_t *d = json_object_get(j, "targets_digest");
    if (json_is_string(d))
        same(m, &m->digest, file, d, "targets list (targets_digest)");
    else if (finished) {
        fprintf(stderr, "dbmig: fleet --merge-results: %s has no targets_digest: it was written by "
                        "an older dbmig; run its shard again\n",
                file);
        m->mismatch = 1;
    }
}

/* One problem sentence, for the text output and the JSON "error"
 * (jansson's json_sprintf formats it). */
#define problem(m, ...) json_array_append_new((m)->problems, json_sprintf(__VA_ARGS__))

/* A shard whose file says it did not run its targets: "started" (never
 * finished) or "failed" (ended before its targets ran). */
static void shard_failed(merge *m, const char *file, json_t *j, const char *state, long index)
{
    json_t *e = json_object_get(j, "exit_code");
    const char *err = json_string_value(json_object_get(j, "error"));
    int code = json_is_integer(e) ? (int)json_integer_value(e) : 0;
    char which[48];
    if (index)
        snprintf(which, sizeof which, "shard %ld/%ld", index, m->n);
    else
        snprintf(which, sizeof which, "a shard");
    if (strcmp(state, "started") == 0)
        problem(m, "%s did not finish (%s): %s", which, file, err ? err : "");
    else
        problem(m, "%s failed before its targets ran (%s): exit %d: %s", which, file, code,
                err ? err : "");
    json_array_append_new(m->failed,
                          json_pack("{s:o,s:s,s:s,s:O,s:s?}", "shard",
                                    index ? json_integer(index) : json_null(), "file", file,
                                    "state", state, "exit_code", e ? e : json_null(), "error", err));
    code = code > 3 ? code : 3;
    m->worst = code > m->worst ? code : m->worst;
}

/* Its shard I/N (1/1 for an unsplit run): 0, or -1 for a bad one. A file
 * that failed before it knew its shard (a bad --shard) has none: 0/0. */
static int shard_of(json_t *j, int finished, long *index, long *count)
{
    json_t *sh = json_object_get(j, "shard");
    if (!sh && !finished) {
        *index = *count = 0;
        return 0;
    }
    *index = sh ? (long)json_integer_value(json_object_get(sh, "index")) : 1;
    *count = sh ? (long)json_integer_value(json_object_get(sh, "count")) : 1;
    return *count < 1 || *index < 1 || *index > *count ? -1 : 0;
}

/* Whether j is a fleet summary (or a shard's "started"/"failed" file). */
static int is_summary(json_t *j, const char *state, int finished)
{
    if (!json_is_object(j))
        return 0;
    if (!finished)
        return strcmp(state, "started") == 0 || strcmp(state, "failed") == 0;
    return json_is_string(json_object_get(j, "command")) &&
           json_is_array(json_object_get(j, "targets")) &&
           json_is_object(json_object_get(j, "summary"));
}

/* One summary into m. */
static int merge_one(merge *m, const char *file, json_t *j)
{
    const char *state = json_string_value(json_object_get(j, "state"));
    int finished = !state || strcmp(state, "finished") == 0;
    if (!is_summary(j, state, finished))
        return bad_file(m, file, "not the JSON summary of a fleet run (write one with `dbmig fleet "
                              "--shard I/N --results FILE ...` or --format json)");
    long index, count;
    if (shard_of(j, finished, &index, &count) != 0)
        return bad_file(m, file, "its \"shard\" is not I/N with 1 <= I <= N");
    check_identity(m, file, j, finished);
    if (count) {
        json_t *c = json_integer(count);
        same(m, &m->count, file, c, "number of shards (N of --shard I/N)");
        json_decref(c);
        if (!m->n && !(m->seen = calloc((size_t)count + 1, 1)))
            return 1;
        if (!m->n)
            m->n = count;
    }
    if (!m->command)
        m->command = json_string_value(json_object_get(j, "command"));
    if (m->mismatch)
        return 0; /* refused as a whole: nothing more to count */
    if (index && m->seen[index]++) {
        problem(m, "shard %ld/%ld is given twice (again in %s)", index, count, file);
        m->worst = m->worst > 3 ? m->worst : 3;
    }
    if (!finished) {
        shard_failed(m, file, j, state, index);
        return 0;
    }
    json_t *targets = json_object_get(j, "targets");
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

/* How many shards' targets are in the merge: given, and not failed. */
static long merged_shards(const merge *m)
{
    long c = 0;
    for (long i = 1; i <= m->n; i++)
        c += m->seen[i] != 0;
    for (size_t k = 0; k < json_array_size(m->failed); k++)
        c -= json_is_integer(json_object_get(json_array_get(m->failed, k), "shard"));
    return c;
}

static void print_text(json_t *targets, const merge *m, size_t ok)
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
    long got = merged_shards(m);
    char from[64];
    if (got == m->n)
        snprintf(from, sizeof from, "%ld shard(s)", m->n);
    else
        snprintf(from, sizeof from, "%ld of %ld shard(s)", got, m->n);
    printf("fleet %s: %zu target(s) from %s, %zu ok, %zu failed\n", m->command ? m->command : "?",
           json_array_size(targets), from, ok, json_array_size(targets) - ok);
    for (size_t k = 0; k < json_array_size(m->problems); k++)
        printf("%s\n", json_string_value(json_array_get(m->problems, k)));
}

/* The JSON "error": the problems joined, or null. */
static json_t *error_of(const merge *m)
{
    size_t n = json_array_size(m->problems);
    if (!n)
        return json_null();
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    for (size_t k = 0; f && k < n; k++)
        fprintf(f, "%s%s", k ? "; " : "", json_string_value(json_array_get(m->problems, k)));
    if (f)
        fclose(f);
    json_t *e = json_string(s ? s : "");
    free(s);
    return e;
}

static json_t *merged_json(const merge *m, json_t *targets, json_t *missing, size_t ok,
                           json_int_t ms)
{
    json_t *j = json_object();
    json_object_set_new(j, "command", m->command ? json_string(m->command) : json_null());
    json_t *args = json_array();
    if (m->cmd.value) /* [command, arguments...] */
        for (size_t k = 1; k < json_array_size(m->cmd.value); k++)
            json_array_append(args, json_array_get(m->cmd.value, k));
    json_object_set_new(j, "arguments", args);
    json_object_set(j, "run_id", m->run.value ? m->run.value : json_null());
    json_object_set(j, "targets_digest", m->digest.value ? m->digest.value : json_null());
    json_object_set_new(j, "shards",
                        json_pack("{s:I,s:I,s:O,s:O}", "count", (json_int_t)m->n, "merged",
                                  (json_int_t)merged_shards(m), "missing", missing, "failed",
                                  m->failed));
    json_object_set(j, "targets", targets);
    json_object_set_new(j, "summary",
                        json_pack("{s:I,s:I,s:I,s:I}", "total", (json_int_t)json_array_size(targets),
                                  "ok", (json_int_t)ok, "failed",
                                  (json_int_t)(json_array_size(targets) - ok),
                                  "longest_target_ms", ms));
    json_object_set_new(j, "ok", json_boolean(m->worst == 0));
    json_object_set_new(j, "exit_code", json_integer(m->worst));
    json_object_set_new(j, "error", error_of(m));
    return j;
}

static void json_print_free(cli_said *said, json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        puts(s);
        if (said)
            said->docs++;
    }
    free(s);
    json_decref(j);
}

static int merge_out(merge *m, int json)
{
    size_t ok;
    json_int_t ms;
    json_t *targets = sorted(m->targets, &ok, &ms);
    json_t *missing = json_array();
    for (long i = 1; i <= m->n; i++)
        if (!m->seen[i]) {
            json_array_append_new(missing, json_integer(i));
            problem(m, "shard %ld/%ld is missing: its targets are not in this summary", i, m->n);
        }
    if (json_array_size(missing) && m->worst < 3)
        m->worst = 3;
    size_t bad = json_array_size(targets) - ok;
    if (bad)
        problem(m, "%zu of %zu target(s) failed", bad, json_array_size(targets));
    if (json)
        json_print_free(m->said, merged_json(m, targets, missing, ok, ms));
    else
        print_text(targets, m, ok);
    json_decref(targets);
    json_decref(missing);
    return m->worst;
}

/* Files of different runs: refused, exit 3 (the reasons are on stderr);
 * with --format json, a JSON result saying so on stdout too. */
static int refused(const merge *m, int json)
{
    if (json)
        json_print_free(m->said, json_pack("{s:n,s:b,s:i,s:s}", "command", "ok", 0, "exit_code",
                                           3, "error", "the summaries are not of one run (see "
                                                       "the messages on stderr)"));
    return 3;
}

static void merge_free(merge *m)
{
    free(m->seen);
    json_decref(m->targets);
    json_decref(m->failed);
    json_decref(m->problems);
    json_decref(m->cmd.value);
    json_decref(m->count.value);
    json_decref(m->digest.value);
    json_decref(m->run.value);
}

/* A summary file, or standard input for "-". */
static json_t *load(const char *file, json_error_t *e)
{
    return strcmp(file, "-") == 0 ? json_loadf(stdin, 0, e) : json_load_file(file, 0, e);
}

int cli_fleet_merge(char *const *files, int n, const char *run_id, int json, cli_said *said)
{
    if (n < 1) {
        const char *msg = "fleet --merge-results needs the summary files of the shards";
        fprintf(stderr, "dbmig: %s\n", msg);
        cli_said_error(said, msg);
        return 2;
    }
    merge m = {.said = said,
               .run_id = run_id,
               .targets = json_array(),
               .failed = json_array(),
               .problems = json_array()};
    json_t **docs = calloc((size_t)n, sizeof *docs); // NOLINT(bugprone-sizeof-expression): an array of pointers
    int rc = docs ? 0 : 1;
    for (int i = 0; i < n && rc == 0; i++) {
        json_error_t e;
        docs[i] = load(files[i], &e);
        if (!docs[i]) {
            char why[300];
            snprintf(why, sizeof why, "cannot read it as JSON: %s (line %d)", e.text, e.line);
            rc = bad_file(&m, files[i], why);
        } else {
            rc = merge_one(&m, files[i], docs[i]);
        }
    }
    if (rc == 0)
        rc = m.mismatch ? refused(&m, json) : merge_out(&m, json);
    for (int i = 0; docs && i < n; i++)
        json_decref(docs[i]);
    free(docs);
    merge_free(&m);
    return rc;
}
