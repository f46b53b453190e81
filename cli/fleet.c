/* fleet.c — `dbmig fleet` (see fleet.h). Each target is a child dbmig
 * process; a poll() loop forwards their progress lines as they come and
 * collects their results. */
#define _POSIX_C_SOURCE 200809L
#include "fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "output.h"
#include "dbmig/dbmig.h"

extern char **environ;

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

typedef struct target {
    char *url;       /* as expanded */
    char *shown;     /* redacted */
    pid_t pid;
    int out_fd, err_fd;
    sbuf out, errline;
    char *last_error;
    int status;      /* exit code, or 128+signal */
    double t0, ms;
    int state;       /* 0 waiting, 1 running, 2 done */
    size_t line;     /* its line in the targets file (the merged order) */
} target;

/* What comes before the command, and the error that ended the run early
 * (kept for the --results file and the JSON summary: a shard that fails
 * must say so where the merge looks, not only on its stderr). */
typedef struct fleet_opts {
    const char *file;    /* --targets FILE ("-": standard input) */
    long jobs;           /* --jobs N */
    long shard, shards;  /* --shard I/N: shard I (1-based) of N; 0 0 for all */
    const char *results; /* --results FILE: the JSON summary written there too */
    const char *run_id;  /* --run-id ID: the same in every shard of one run */
    int merge;           /* --merge-results: the arguments are summaries */
    int jobs_set;        /* --jobs was given */
    const char *misplaced; /* a run's option after --merge-results */
    char digest[72];     /* targets_digest: "sha256:" and 64 hex digits, "" before */
    int help;            /* --help */
    int rc;              /* the first usage error (2), -1 for none */
    char err[768];       /* its message, without "dbmig: " */
    cli_said *said;      /* main.c's: the JSON printed, the error (may be NULL) */
} fleet_opts;

/* Prints "dbmig: MESSAGE" and keeps MESSAGE in o->err (the first one
 * wins: it is the cause); returns rc. */
static int ferr(fleet_opts *o, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int ferr(fleet_opts *o, int rc, const char *fmt, ...)
{
    char m[sizeof o->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    fprintf(stderr, "dbmig: %s\n", m);
    if (!o->err[0]) {
        memcpy(o->err, m, sizeof m);
        cli_said_error(o->said, m);
    }
    return rc;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* One fleet run: what each child is given, and the targets. */
typedef struct fleet {
    const char *exe;          /* the dbmig binary */
    char *const *globals;     /* the global options handed on */
    int nglobals;
    const char *command;      /* upgrade, downgrade, status or check */
    char *const *args;        /* its arguments */
    int nargs;
    int json_child;           /* the children print JSON (status, check with --format json) */
    long jobs;
    target *t;
    size_t n;
} fleet;

/* A line of the targets file without blanks and comments (a line starting
 * with #, or " #..." after the URL): the URL, or NULL for none. */
static char *target_line(char *line)
{
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strcspn(s, "\r\n");
    s[len] = '\0';
    char *hash = strstr(s, " #");
    if (hash)
        *hash = '\0';
    len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = '\0';
    return !*s || *s == '#' ? NULL : s;
}

/* Appends a target for url (taken over); -1 when out of memory. */
static int add_target(target **v, size_t *cnt, size_t *alloc, char *url)
{
    if (*cnt == *alloc) {
        size_t a = *alloc ? *alloc * 2 : 16;
        target *nv = realloc(*v, a * sizeof *nv);
        if (!nv) {
            free(url);
            return -1;
        }
        *v = nv;
        *alloc = a;
    }
    target *t = &(*v)[(*cnt)++];
    memset(t, 0, sizeof *t);
    t->url = url;
    size_t need = dbmig_redact_url(url, NULL, 0);
    t->shown = malloc(need + 1);
    if (t->shown)
        dbmig_redact_url(url, t->shown, need + 1);
    t->out_fd = t->err_fd = -1;
    return 0;
}

/* --shard I/N: whether a target belongs to shard `index` (0-based) of
 * `count`. Stable by target, not by line order: FNV-1a of the redacted URL
 * (so a rotated password keeps its shard), modulo count. */
static int in_shard(const target *t, long index, long count)
{
    if (count <= 1)
        return 1;
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)(t->shown ? t->shown : t->url); *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (long)(h % (uint64_t)count) == index;
}

static int read_targets(fleet_opts *o, target **out, size_t *n)
{
    const char *file = o->file;
    int is_stdin = strcmp(file, "-") == 0;
    if (is_stdin && isatty(STDIN_FILENO))
        return ferr(o, 2, "fleet: --targets - reads the targets from standard input, which is a "
                          "terminal here; pipe them in (`... | dbmig fleet --targets - ...`) or "
                          "name a file");
    FILE *f = is_stdin ? stdin : fopen(file, "r");
    if (is_stdin)
        file = "standard input";
    if (!f)
        return ferr(o, 2, "fleet: cannot read --targets %s: %s", file, strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0, cnt = 0, alloc = 0;
    target *v = NULL;
    int rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = target_line(line);
        if (!s)
            continue;
        char err[256];
        char *url = cli_expand_env(s, err, sizeof err);
        if (!url) {
            rc = ferr(o, 2, "fleet: %s:%zu: %s", file, lineno, err);
            break;
        }
        if (add_target(&v, &cnt, &alloc, url) != 0) {
            rc = 1;
            break;
        }
        v[cnt - 1].line = lineno;
    }
    free(line);
    if (!is_stdin)
        fclose(f);
    if (rc == 0 && cnt == 0)
        rc = ferr(o, 2, "fleet: %s lists no target; write one database URL a line", file);
    *out = v;
    *n = cnt;
    return rc;
}

static void free_targets_one(target *t)
{
    free(t->url);
    free(t->shown);
    free(t->out.p);
    free(t->errline.p);
    free(t->last_error);
}

static void free_targets(target *t, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free_targets_one(&t[k]);
    free(t);
}

/* The child's environment: ours without DBMIG_URL, plus DBMIG_URL=url as
 * the first entry (envp[0] is the one allocated string). */
static char **child_env(const char *url)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **envp = calloc(n + 2, sizeof *envp);
    if (!envp)
        return NULL;
    size_t len = strlen(url);
    envp[0] = malloc(len + sizeof "DBMIG_URL=");
    if (!envp[0]) {
        free(envp);
        return NULL;
    }
    snprintf(envp[0], len + sizeof "DBMIG_URL=", "DBMIG_URL=%s", url);
    size_t k = 1;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "DBMIG_URL=", 10) != 0)
            envp[k++] = environ[i];
    envp[k] = NULL;
    return envp;
}

/* The child's command line: dbmig GLOBALS [--format json] COMMAND ARGS.
 * The URL (and so its password) goes through the environment, never argv:
 * any local user can read a process's command line (ps), only its owner
 * and root its environment. DBMIG_URL ranks above the config file and
 * DATABASE_URL; globals never hold --url. */
static char **child_argv(const fleet *f)
{
    char **argv = calloc((size_t)f->nglobals + (size_t)f->nargs + 8, sizeof *argv);
    if (!argv)
        return NULL;
    int k = 0;
    argv[k++] = (char *)f->exe;
    for (int i = 0; i < f->nglobals; i++)
        argv[k++] = f->globals[i];
    if (f->json_child) {
        argv[k++] = "--format";
        argv[k++] = "json";
    }
    argv[k++] = (char *)f->command;
    for (int i = 0; i < f->nargs; i++)
        argv[k++] = f->args[i];
    argv[k] = NULL;
    return argv;
}

static void close_pipes(int outp[2], int errp[2])
{
    close(outp[0]);
    close(outp[1]);
    close(errp[0]);
    close(errp[1]);
}

static int spawn(const fleet *f, target *t)
{
    int outp[2], errp[2];
    if (pipe(outp) != 0)
        return -1;
    if (pipe(errp) != 0) {
        close(outp[0]);
        close(outp[1]);
        return -1;
    }
    char **argv = child_argv(f);
    char **envp = argv ? child_env(t->url) : NULL;
    if (!envp) {
        free(argv);
        close_pipes(outp, errp);
        errno = ENOMEM;
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawn_file_actions_addclose(&fa, outp[0]);
    posix_spawn_file_actions_addclose(&fa, errp[0]);
    int rc = posix_spawn(&t->pid, f->exe, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    free(envp[0]);
    free(envp);
    close(outp[1]);
    close(errp[1]);
    if (rc != 0) {
        close(outp[0]);
        close(errp[0]);
        errno = rc;
        return -1;
    }
    t->out_fd = outp[0];
    t->err_fd = errp[0];
    fcntl(t->out_fd, F_SETFD, FD_CLOEXEC);
    fcntl(t->err_fd, F_SETFD, FD_CLOEXEC);
    t->t0 = now_ms();
    t->state = 1;
    return 0;
}

/* Forwards complete stderr lines as "[k] line", remembering the last error. */
static void err_lines(target *t, size_t idx, int flush)
{
    char *p = t->errline.p;
    if (!p)
        return;
    char *nl;
    while ((nl = strchr(p, '\n')) || (flush && *p)) {
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(stderr, "[%zu] %.*s\n", idx + 1, (int)n, p);
        if (strncmp(p, "dbmig: ", 7) == 0) {
            free(t->last_error);
            const char *m = p + 7;
            if (strncmp(m, "error: ", 7) == 0)
                m += 7;
            t->last_error = strndup(m, n - (size_t)(m - p));
        }
        p += n + (nl ? 1 : 0);
    }
    size_t rest = strlen(p);
    memmove(t->errline.p, p, rest + 1);
    t->errline.n = rest;
}

static void drain(target *t, size_t idx, int fd)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        if (fd == t->out_fd) {
            sb_add(&t->out, buf, (size_t)n);
        } else {
            sb_add(&t->errline, buf, (size_t)n);
            err_lines(t, idx, 0);
        }
        return;
    }
    if (n < 0 && errno == EINTR)
        return;
    close(fd);
    if (fd == t->out_fd)
        t->out_fd = -1;
    else
        t->err_fd = -1;
}

static void finish(target *t, size_t idx)
{
    int st = 0;
    while (waitpid(t->pid, &st, 0) < 0 && errno == EINTR)
        ;
    t->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    t->ms = now_ms() - t->t0;
    err_lines(t, idx, 1);
    if (WIFSIGNALED(st) && !t->last_error) {
        char m[64];
        snprintf(m, sizeof m, "killed by signal %d", WTERMSIG(st));
        t->last_error = strdup(m);
    }
    t->state = 2;
}

static const char *result_word(int status)
{
    switch (status) {
    case 0: return "ok";
    case 1: return "failed";
    case 2: return "usage";
    case 3: return "invalid";
    case 4: return "locked";
    default: return "crashed";
    }
}

static void fleet_help(void)
{
    printf("usage: dbmig [options] fleet --targets FILE|- [--jobs N] [--shard I/N]\n"
           "                             [--results FILE|-] [--run-id ID] COMMAND [ARGS...]\n"
           "       dbmig [options] fleet --merge-results [--run-id ID] FILE...\n"
           "Run upgrade, downgrade, status or check against every database URL listed\n"
           "in FILE (one a line, # comments, ${VAR} expanded; - reads standard input),\n"
           "N at a time (default 4), each in its own process with its own connection and\n"
           "lock. Prints a summary (--format json for JSON); exits 0 only if every\n"
           "target succeeded.\n"
           "  --shard I/N       only the targets of shard I of N: a stable split by target\n"
           "                    (its URL without the password), so N machines (CI jobs,\n"
           "                    a Kubernetes Indexed Job) share a fleet with no coordinator\n"
           "  --results FILE    also write the JSON summary to FILE; FILE is replaced by a\n"
           "                    \"started\" marker before anything runs (a bad path is\n"
           "                    exit 2 at once); - prints the JSON summary on stdout\n"
           "  --run-id ID       the run's identity, the same in every shard (in CI the\n"
           "                    pipeline's run id), kept in the summary; with\n"
           "                    --merge-results, every summary must carry this ID\n"
           "  --merge-results   merge the JSON summaries of the shards of one run (exit 3\n"
           "                    when a shard is missing, doubled, failed or unfinished, or\n"
           "                    when the files differ in command, N, targets or run id)\n");
}

/* --shard I/N: 1 <= I <= N <= 100000. -1 when good (go on), else 2. */
static int parse_shard(const char *v, fleet_opts *o)
{
    char *end;
    errno = 0;
    o->shard = strtol(v, &end, 10);
    if (end != v && *end == '/') {
        const char *d = end + 1;
        o->shards = strtol(d, &end, 10);
        if (end != d && !*end && !errno && o->shards >= 1 && o->shards <= 100000 && o->shard >= 1 &&
            o->shard <= o->shards)
            return -1;
    }
    o->shard = o->shards = 0;
    return ferr(o, 2, "fleet: bad --shard '%s': expected I/N with 1 <= I <= N, like 2/3 (the "
                      "second of three shards)",
                v);
}

/* --run-id ID: 1 to 200 printable characters. An empty one is nearly
 * always a variable that is not set (`--run-id "$GITHUB_RUN_ID"` outside
 * CI): taken as "no run id", the check it asks for would silently vanish. */
static int parse_run_id(const char *v, fleet_opts *o)
{
    if (!*v)
        return ferr(o, 2, "fleet: --run-id is empty: is the variable you gave it set (like "
                          "\"$GITHUB_RUN_ID\")? Give every shard of one run the same ID");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return ferr(o, 2, "fleet: --run-id has a control character at byte %zu; use letters, "
                              "digits and punctuation",
                        (size_t)(p - (const unsigned char *)v) + 1);
    if (strlen(v) > 200)
        return ferr(o, 2, "fleet: --run-id is %zu characters long; at most 200", strlen(v));
    o->run_id = v;
    return -1;
}

static int fleet_value(fleet_opts *o, const char *name, const char *v)
{
    if (strcmp(name, "--targets") == 0) {
        o->file = v;
    } else if (strcmp(name, "--results") == 0) {
        o->results = v;
    } else if (strcmp(name, "--shard") == 0) {
        return parse_shard(v, o);
    } else if (strcmp(name, "--run-id") == 0) {
        return parse_run_id(v, o);
    } else {
        char *end;
        o->jobs = strtol(v, &end, 10);
        o->jobs_set = 1;
        if (*end || o->jobs < 1 || o->jobs > 256)
            return ferr(o, 2, "fleet: bad --jobs '%s': expected 1 to 256", v);
    }
    return -1;
}

/* The option at args[*i], if it is one of fleet's: 1 (*i: its last
 * token), else 0. A bad value is kept in o->rc/o->err and parsing goes on,
 * so that --results is known even after an earlier mistake: the results
 * file must say that this run failed (see results_started). */
static int fleet_option(char *const *args, int nargs, fleet_opts *o, int *i)
{
    static const char *const valued[] = {"--targets", "--jobs", "--shard", "--results",
                                         "--run-id"};
    const size_t nvalued = sizeof valued / sizeof valued[0];
    const char *a = args[*i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        o->help = 1;
        return 1;
    }
    if (strcmp(a, "--merge-results") == 0) {
        o->merge = 1;
        return 1;
    }
    size_t k = 0, len = strcspn(a, "=");
    while (k < nvalued && !(strlen(valued[k]) == len && strncmp(a, valued[k], len) == 0))
        k++;
    if (k == nvalued)
        return 0;
    int rc;
    if (!a[len] && *i + 1 >= nargs) {
        rc = ferr(o, 2, "fleet: %s needs a value", a);
    } else if (o->merge && k != nvalued - 1) {
        o->misplaced = valued[k]; /* not the merge's: refused by name, its value unread */
        *i += !a[len];
        return 1;
    } else
        rc = fleet_value(o, valued[k], a[len] ? a + len + 1 : args[++*i]);
    if (rc >= 0 && o->rc < 0)
        o->rc = rc;
    return 1;
}

/* The options before the command; *i: then the index of the command (or
 * of the first summary file with --merge-results). */
static void fleet_options(char *const *args, int nargs, fleet_opts *o, int *i)
{
    for (; *i < nargs; (*i)++)
        if (!fleet_option(args, nargs, o, i))
            break;
}

/* `fleet --merge-results`: options anywhere (`a.json --shard 1/3` is a
 * misplaced option, not a file named --shard), the rest summary files.
 * Options of the runs (--targets, --shard...) are refused by name. */
static int fleet_merge(char *const *args, int nargs, fleet_opts *o, int i, int json)
{
    char **files = calloc((size_t)nargs + 1, sizeof *files);
    int n = 0;
    if (!files)
        return 1;
    for (; i < nargs; i++) {
        if (fleet_option(args, nargs, o, &i))
            continue;
        if (args[i][0] == '-' && args[i][1] && o->rc < 0)
            o->rc = ferr(o, 2, "fleet --merge-results: '%s' is not one of its options: it takes "
                               "[--run-id ID] and the summary files (a file whose name starts "
                               "with '-': write ./%s)",
                         args[i], args[i]);
        else
            files[n++] = args[i];
    }
    int rc = o->rc;
    const char *run = o->misplaced   ? o->misplaced
                      : o->file      ? "--targets"
                      : o->shards    ? "--shard"
                      : o->results   ? "--results"
                      : o->jobs_set  ? "--jobs"
                                     : NULL;
    if (run)
        rc = ferr(o, 2, "fleet --merge-results takes only the summary files (and --run-id); %s "
                        "belongs to the runs that write them (`fleet --shard I/N --results FILE "
                        "...`)",
                  run);
    if (rc < 0)
        rc = cli_fleet_merge(files, n, o->run_id, json, o->said);
    free(files);
    return rc;
}

/* Starts waiting targets while fewer than --jobs run. */
static void start_more(fleet *f, size_t *next, size_t *running, size_t *done, int quiet)
{
    while (*running < (size_t)f->jobs && *next < f->n) {
        target *x = &f->t[*next];
        if (!quiet)
            fprintf(stderr, "[%zu] %s %s\n", *next + 1, f->command, x->shown);
        if (spawn(f, x) != 0) {
            x->status = 1;
            char m[256];
            snprintf(m, sizeof m, "cannot start %s: %s", f->exe, strerror(errno));
            x->last_error = strdup(m);
            x->state = 2;
            (*done)++;
        } else {
            (*running)++;
        }
        (*next)++;
    }
}

/* Runs every target, at most --jobs at once, forwarding their stderr as it
 * comes and collecting their stdout, until all have ended. */
static void run_targets(fleet *f, int quiet)
{
    size_t n = f->n, next = 0, done = 0, running = 0;
    target *t = f->t;
    struct pollfd *pfd = calloc(2 * n + 1, sizeof *pfd); /* + 1: an empty shard has none */
    size_t *who = calloc(2 * n + 1, sizeof *who);
    while (pfd && who && done < n) {
        start_more(f, &next, &running, &done, quiet);
        size_t np = 0;
        for (size_t k = 0; k < n; k++) {
            if (t[k].state != 1)
                continue;
            if (t[k].out_fd >= 0) {
                pfd[np] = (struct pollfd){t[k].out_fd, POLLIN, 0};
                who[np++] = k;
            }
            if (t[k].err_fd >= 0) {
                pfd[np] = (struct pollfd){t[k].err_fd, POLLIN, 0};
                who[np++] = k;
            }
            if (t[k].out_fd < 0 && t[k].err_fd < 0) {
                finish(&t[k], k);
                running--;
                done++;
            }
        }
        if (np == 0)
            continue;
        if (poll(pfd, np, -1) < 0 && errno != EINTR)
            break;
        for (size_t k = 0; k < np; k++)
            if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
                drain(&t[who[k]], who[k], pfd[k].fd);
    }
    free(pfd);
    free(who);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The targets list's identity, the same in every shard of one run:
 * SHA-256 of the URLs after ${VAR} expansion, redacted, sorted, one a line.
 * Redacted: a digest of URLs with their passwords would let whoever holds a
 * summary test password guesses offline, and a rotated password is still
 * the same fleet. Sorted: the split does not depend on the line order, so
 * neither does the identity. 0, or -1 when out of memory. */
static int targets_digest(const target *t, size_t n, char out[72])
{
    const char **v = malloc((n ? n : 1) * sizeof *v); // NOLINT(bugprone-sizeof-expression): an array of pointers
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int ok = v && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t k = 0; ok && k < n; k++)
        v[k] = t[k].shown ? t[k].shown : "";
    if (ok)
        qsort(v, n, sizeof *v, by_string); // NOLINT(bugprone-sizeof-expression): an array of pointers
    for (size_t k = 0; ok && k < n; k++)
        ok = EVP_DigestUpdate(ctx, v[k], strlen(v[k])) && EVP_DigestUpdate(ctx, "\n", 1);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
    size_t len = ok ? (size_t)snprintf(out, 72, "sha256:") : 0;
    for (unsigned k = 0; ok && k < mdlen; k++)
        len += (size_t)snprintf(out + len, 72 - len, "%02x", md[k]);
    EVP_MD_CTX_free(ctx);
    free(v);
    return ok ? 0 : -1;
}

/* What makes the shards of one run comparable, which the merge checks:
 * the command and its arguments, the shard (I/N), --run-id and the targets
 * digest (null before the targets were read). */
static void identity(json_t *j, const fleet_opts *o, const char *command, char *const *cargs,
                     int ncargs)
{
    json_object_set_new(j, "command", command ? json_string(command) : json_null());
    json_t *a = json_array();
    for (int k = 0; k < ncargs; k++)
        json_array_append_new(a, json_string(cargs[k]));
    json_object_set_new(j, "arguments", a);
    if (o->shards)
        json_object_set_new(j, "shard", json_pack("{s:I,s:I}", "index", (json_int_t)o->shard,
                                                  "count", (json_int_t)o->shards));
    json_object_set_new(j, "run_id", o->run_id ? json_string(o->run_id) : json_null());
    json_object_set_new(j, "targets_digest", o->digest[0] ? json_string(o->digest) : json_null());
}

/* The summary's head: state (started, failed: ended before its targets
 * ran, finished), the identity, exit_code and error. */
static json_t *summary_head(const char *state, const fleet_opts *o, const char *command,
                            char *const *cargs, int ncargs, json_t *exit_code, const char *error)
{
    json_t *j = json_object();
    json_object_set_new(j, "state", json_string(state));
    identity(j, o, command, cargs, ncargs);
    /* ok, exit_code, error: as every JSON result of dbmig */
    json_object_set_new(j, "ok", json_boolean(json_is_integer(exit_code) &&
                                              json_integer_value(exit_code) == 0));
    json_object_set_new(j, "exit_code", exit_code);
    json_object_set_new(j, "error", error ? json_string(error) : json_null());
    return j;
}

static json_t *json_summary(const fleet *f, size_t ok, double total, const fleet_opts *o, int rc)
{
    const target *t = f->t;
    json_t *arr = json_array();
    for (size_t k = 0; k < f->n; k++) {
        json_t *x = json_object();
        json_object_set_new(x, "index", json_integer((json_int_t)k + 1));
        json_object_set_new(x, "line", json_integer((json_int_t)t[k].line));
        json_object_set_new(x, "target", json_string(t[k].shown ? t[k].shown : ""));
        json_object_set_new(x, "exit", json_integer(t[k].status));
        json_object_set_new(x, "result", json_string(result_word(t[k].status)));
        json_object_set_new(x, "duration_ms", json_integer((json_int_t)t[k].ms));
        json_object_set_new(x, "error", t[k].last_error && t[k].status ? json_string(t[k].last_error) : json_null());
        if (f->json_child && t[k].out.p) {
            json_t *child = json_loads(t[k].out.p, 0, NULL);
            if (child)
                json_object_set_new(x, "output", child);
        }
        json_array_append_new(arr, x);
    }
    char err[64];
    snprintf(err, sizeof err, "%zu of %zu target(s) failed", f->n - ok, f->n);
    json_t *j = summary_head("finished", o, f->command, f->args, f->nargs, json_integer(rc),
                             rc ? err : NULL);
    json_object_set_new(j, "targets", arr);
    json_object_set_new(j, "summary", json_pack("{s:I,s:I,s:I,s:I}", "total", (json_int_t)f->n, "ok",
                                                (json_int_t)ok, "failed", (json_int_t)(f->n - ok),
                                                "duration_ms", (json_int_t)total));
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

/* j written to FILE.tmp, then renamed over FILE (a reader never sees half
 * a file): 0, or the errno of the failure. */
static int write_json_file(const char *file, const json_t *j)
{
    size_t n = strlen(file) + 8;
    char *tmp = malloc(n);
    if (!tmp)
        return ENOMEM;
    snprintf(tmp, n, "%s.tmp", file);
    int e = 0;
    if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
        e = errno ? errno : EIO;
    else if (rename(tmp, file) != 0)
        e = errno;
    if (e)
        unlink(tmp);
    free(tmp);
    return e;
}

/* --results FILE, first of all: FILE replaced by a "started" marker. So a
 * run that dies later (killed, a bad targets file, a crash) never leaves
 * the last run's summary in place for the merge to count as this run's,
 * and a path that cannot be written fails now (exit 2), before any
 * migration runs, not after all of them. */
/* Whether FILE may be replaced: it does not exist, is empty, or is a
 * fleet summary. Anything else (the targets file itself, a migration, a
 * typo's victim) is refused by name, not overwritten. */
static int results_replaceable(fleet_opts *o)
{
    struct stat rs, ts;
    if (stat(o->results, &rs) != 0 || (S_ISREG(rs.st_mode) && rs.st_size == 0))
        return 0;
    if (o->file && strcmp(o->file, "-") != 0 && stat(o->file, &ts) == 0 &&
        rs.st_dev == ts.st_dev && rs.st_ino == ts.st_ino)
        return ferr(o, 2, "fleet: --results %s is the --targets file; name another file for the "
                          "summary",
                    o->results);
    json_t *j = S_ISREG(rs.st_mode) ? json_load_file(o->results, 0, NULL) : NULL;
    int ours = json_is_object(j) && (json_object_get(j, "state") ||
                                     (json_object_get(j, "command") && json_object_get(j, "targets")));
    json_decref(j);
    if (!ours)
        return ferr(o, 2, "fleet: --results %s exists and is not a fleet summary, which it would "
                          "replace; remove it or name another file",
                    o->results);
    return 0;
}

static int results_started(fleet_opts *o, const char *command, char *const *cargs, int ncargs)
{
    if (results_replaceable(o) != 0)
        return 2;
    char when[32], why[160];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(why, sizeof why, "this run started at %s and has not finished: it is still running, "
                              "or it ended without writing its summary (killed?)", when);
    json_t *j = summary_head("started", o, command, cargs, ncargs, json_null(), why);
    int e = write_json_file(o->results, j);
    json_decref(j);
    if (e)
        return ferr(o, 2, "fleet: cannot write --results %s: %s (checked before anything runs); "
                          "name a file in a folder that exists and can be written",
                    o->results, strerror(e));
    return 0;
}

/* A run that ended before its targets ran (a usage mistake, a bad targets
 * file): that, with o->err, in the --results file and the JSON summary,
 * where the merge and a CI step look. Returns rc. */
static int fleet_failed(const fleet_opts *o, const char *command, char *const *cargs, int ncargs,
                        int rc, int json)
{
    json_t *j = summary_head("failed", o, command, cargs, ncargs, json_integer(rc),
                             o->err[0] ? o->err : "out of memory");
    json_object_set_new(j, "targets", json_array());
    json_object_set_new(j, "summary", json_null());
    int e = o->results ? write_json_file(o->results, j) : 0;
    if (e)
        fprintf(stderr, "dbmig: fleet: cannot write --results %s: %s\n", o->results, strerror(e));
    if (json)
        json_print_free(o->said, j);
    else
        json_decref(j);
    return rc;
}

static void print_text_summary(const fleet *f, size_t ok, double total)
{
    const target *t = f->t;
    size_t n = f->n;
    for (size_t k = 0; k < n; k++)
        if (t[k].out.n)
            printf("== [%zu] %s ==\n%s%s", k + 1, t[k].shown, t[k].out.p,
                   t[k].out.p[t[k].out.n - 1] == '\n' ? "" : "\n");
    printf("%-4s %-8s %-5s %9s  %s\n", "#", "result", "exit", "time", "target");
    for (size_t k = 0; k < n; k++) {
        printf("%-4zu %-8s %-5d %7.0fms  %s\n", k + 1, result_word(t[k].status), t[k].status,
               t[k].ms, t[k].shown);
        if (t[k].status && t[k].last_error)
            printf("     %s\n", t[k].last_error);
    }
    printf("fleet %s: %zu target(s), %zu ok, %zu failed, %.1f s, %.1f targets/s\n", f->command, n,
           ok, n - ok, total / 1000.0, total > 0 ? (double)n * 1000.0 / total : 0.0);
}

/* Keeps the targets of the shard, in their order; frees the others. */
static void keep_shard(fleet *f, const fleet_opts *o)
{
    size_t w = 0;
    for (size_t k = 0; k < f->n; k++) {
        if (in_shard(&f->t[k], o->shard - 1, o->shards)) {
            target keep = f->t[k];
            memset(&f->t[k], 0, sizeof f->t[k]); /* moved: nothing left to free here */
            f->t[w++] = keep;
        } else {
            free_targets_one(&f->t[k]);
            memset(&f->t[k], 0, sizeof f->t[k]);
        }
    }
    f->n = w;
}

/* The mistakes found before reading the targets: -1 when none, else 2. */
static int fleet_check(fleet_opts *o, const char *command)
{
    if (o->rc >= 0)
        return o->rc;
    if (!o->file)
        return ferr(o, 2, "fleet needs --targets FILE (or - for standard input); run `dbmig fleet "
                          "--help`");
    if (!command)
        return ferr(o, 2, "fleet needs a command: upgrade, downgrade, status or check");
    if (strcmp(command, "upgrade") != 0 && strcmp(command, "downgrade") != 0 &&
        strcmp(command, "status") != 0 && strcmp(command, "check") != 0)
        return ferr(o, 2, "fleet runs upgrade, downgrade, status or check, not '%s'", command);
    return -1;
}

/* The summary, and the exit code: 0 when every target succeeded, else the
 * highest of theirs; 1 when --results could not be written. */
static int finish_fleet(fleet *f, double total, int json, const fleet_opts *o)
{
    size_t ok = 0;
    int worst = 0;
    for (size_t k = 0; k < f->n; k++) {
        if (f->t[k].status == 0)
            ok++;
        else if (f->t[k].status > worst)
            worst = f->t[k].status;
    }
    json_t *j = json || o->results ? json_summary(f, ok, total, o, worst) : NULL;
    int e = o->results ? write_json_file(o->results, j) : 0;
    if (e) {
        fprintf(stderr, "dbmig: fleet: cannot write --results %s: %s\n", o->results, strerror(e));
        if (!worst) {
            worst = 1;
            json_object_set_new(j, "ok", json_false());
            json_object_set_new(j, "exit_code", json_integer(1));
            json_object_set_new(j, "error", json_string("cannot write --results"));
        }
    }
    if (json)
        json_print_free(o->said, j);
    else {
        json_decref(j);
        print_text_summary(f, ok, total);
        if (o->shards)
            printf("shard %ld/%ld: %zu target(s) of this shard\n", o->shard, o->shards, f->n);
    }
    return worst;
}

int cli_fleet(const char *exe, char *const *globals, int nglobals, char *const *args, int nargs,
              int json, int quiet, cli_said *said)
{
    fleet_opts o = {.jobs = 4, .rc = -1, .said = said};
    int i = 0, rc;
    fleet_options(args, nargs, &o, &i);
    if (o.help) {
        fleet_help();
        return 0;
    }
    if (o.merge)
        return fleet_merge(args, nargs, &o, i, json);
    const char *command = i < nargs ? args[i++] : NULL;
    char *const *cargs = args + i;
    int ncargs = nargs - i;
    if (o.results && strcmp(o.results, "-") == 0) {
        o.results = NULL; /* `-` is standard output, as for --targets: --format json */
        json = 1;
    }
    if (o.results && (rc = results_started(&o, command, cargs, ncargs)) != 0)
        return rc;
    if ((rc = fleet_check(&o, command)) >= 0 || !command)
        return fleet_failed(&o, command, cargs, ncargs, rc >= 0 ? rc : 2, json);
    int json_child = json && (strcmp(command, "status") == 0 || strcmp(command, "check") == 0);
    fleet f = {exe, globals, nglobals, command, cargs, ncargs, json_child, o.jobs, NULL, 0};
    if ((rc = read_targets(&o, &f.t, &f.n)) != 0 ||
        (rc = targets_digest(f.t, f.n, o.digest) ? 1 : 0) != 0) {
        free_targets(f.t, f.n);
        return fleet_failed(&o, command, cargs, ncargs, rc, json);
    }
    keep_shard(&f, &o);
    double start = now_ms();
    run_targets(&f, quiet);
    rc = finish_fleet(&f, now_ms() - start, json, &o);
    free_targets(f.t, f.n);
    return rc;
}
