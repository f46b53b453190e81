/* output.c — the CLI's progress, summaries and JSON results of the commands
 * that change a database, and the SIGINT/SIGTERM handling of a run.
 *
 * Progress goes to stderr. In a log (stderr not a terminal) each migration
 * gives one line when it starts and one when it is committed ("applied"),
 * rolled back or failed: two writes per migration, nothing per statement
 * unless -v. On a terminal a live line shows the running migration, its
 * statement k/n and the elapsed time; a ticker thread redraws it at most
 * ten times a second and it is erased before any other line. A migration
 * is printed as applied only on the library's DONE event, which fires once
 * it is committed. */
#define _POSIX_C_SOURCE 200809L
#include "output.h"
#include "tty.h"

#include <jansson.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* One migration's outcome, or a notice. */
typedef struct rec {
    dbmig_event_kind kind;
    char *revision, *message, *file, *text, *code;
    double ms;
    size_t stmt, nstmts;
    int line, transactional, downgrade;
    int64_t batches, batch_rows; /* -- dbmig:batch statements' totals (SPEC 14); */
    int has_batch;               /* set on the revision's DONE or FAILED record */
    int attempt, attempts; /* RETRY */
    char *blocker;         /* RETRY */
} rec;

/* The batch statement under way (ev_batch): its last event, for the live
 * line, the log lines and the revision's totals. */
typedef struct batch_now {
    int on;
    char rev[96];
    size_t stmt;
    int64_t rows, batches, lo, hi;
    double rate, percent, eta_s;
    double logged;      /* when its last log line was written (0: none yet) */
    double since;       /* its first event */
    int unlogged;       /* events since that line */
    int64_t tot_batches, tot_rows; /* the revision's batch statements before this one */
    int tot_seen;                  /* it had one (totals of 0 are shown too) */
} batch_now;

struct cli_out {
    cli_out_opts o;
    pthread_mutex_t mu;
    /* the run */
    const char *command, *target;
    int dry_run, active;
    double t0;
    char started_at[40];
    rec *v;
    size_t n, cap;
    /* the live line (terminal only) */
    int live;            /* a migration is running */
    int drawn;           /* the line is on the screen */
    char live_rev[160];
    size_t live_index, live_total, live_stmt, live_nstmts;
    int live_down;
    double live_t0;
    int width;
    pthread_t ticker;
    int ticking, stop;
    pthread_t cancel_thread; /* the canceller, while signals are caught */
    int cancelling;
    batch_now b;
};

/* ---- time ------------------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void utc_iso_now(char out[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%.19s.%03dZ", base, (int)(ts.tv_nsec / 1000000L) % 1000);
}

void cli_iso_utc(const char *in, char *out, size_t cap)
{
    /* YYYY-MM-DD[ T]HH:MM:SS, then an optional fraction, then an optional
     * zone that says UTC (+00, +00:00, Z). */
    size_t n = in ? strlen(in) : 0;
    int ok = n >= 19;
    for (size_t i = 0; ok && i < 19; i++) {
        char c = in[i];
        if (i == 4 || i == 7)
            ok = c == '-';
        else if (i == 10)
            ok = c == ' ' || c == 'T';
        else if (i == 13 || i == 16)
            ok = c == ':';
        else
            ok = c >= '0' && c <= '9';
    }
    if (!ok) {
        snprintf(out, cap, "%s", in ? in : "");
        return;
    }
    size_t k = 19;
    char frac[16] = "";
    if (in[k] == '.') {
        size_t f = 0;
        frac[f++] = '.';
        for (k++; in[k] >= '0' && in[k] <= '9'; k++)
            if (f < sizeof frac - 1)
                frac[f++] = in[k];
        frac[f] = '\0';
        if (f == 1)
            frac[0] = '\0';
    }
    const char *zone = in + k;
    if (*zone && strcmp(zone, "Z") != 0 && strcmp(zone, "+00") != 0 &&
        strcmp(zone, "+00:00") != 0 && strcmp(zone, " UTC") != 0) {
        snprintf(out, cap, "%s", in); /* another zone: leave it as it is */
        return;
    }
    snprintf(out, cap, "%.10sT%.8s%sZ", in, in + 11, frac);
}

/* ---- text -------------------------------------------------------------------- */

/* Copies s into out, control characters as '?', at most cap - 1 bytes. */
static void clean(const char *s, char *out, size_t cap) { cli_safe(s, out, cap); }

/* One line to stderr in one write (stderr is unbuffered). */
static void put_line(const char *line)
{
    size_t n = strlen(line);
    char buf[2048];
    if (n + 2 > sizeof buf) {
        fputs(line, stderr);
        fputc('\n', stderr);
        return;
    }
    snprintf(buf, sizeof buf, "%s\n", line);
    fwrite(buf, 1, n + 1, stderr);
}

static void erase_live(cli_out *o)
{
    if (o->drawn) {
        fputs("\r\033[K", stderr);
        o->drawn = 0;
    }
}

/* "batch 12: 12000 rows, 3400 rows/s, 45%, ETA 12 s" (% and ETA: the
 * keyset form). */
static void batch_text(const batch_now *b, char *out, size_t cap)
{
    int n = snprintf(out, cap, "batch %lld: %lld rows, %.0f rows/s", (long long)b->batches,
                     (long long)b->rows, b->rate);
    if (n > 0 && (size_t)n < cap && b->percent >= 0)
        n += snprintf(out + n, cap - (size_t)n, ", %.0f%%", b->percent);
    if (n > 0 && (size_t)n < cap && b->eta_s >= 0)
        snprintf(out + n, cap - (size_t)n, ", ETA %.0f s", b->eta_s);
}

static void draw_live(cli_out *o)
{
    if (!o->live)
        return;
    char line[512], stmt[64] = "";
    if (o->live_nstmts && o->live_stmt)
        snprintf(stmt, sizeof stmt, "  statement %zu/%zu", o->live_stmt, o->live_nstmts);
    char batch[200] = "";
    if (o->b.on)
        batch_text(&o->b, batch, sizeof batch);
    if (batch[0]) /* a batch statement: its progress matters more than the clock */
        snprintf(line, sizeof line, "[%zu/%zu] %s %s  %s", o->live_index, o->live_total,
                 o->live_down ? "reverting" : "applying", o->live_rev, batch);
    else
        snprintf(line, sizeof line, "[%zu/%zu] %s %s%s  %.1f s", o->live_index, o->live_total,
                 o->live_down ? "reverting" : "applying", o->live_rev, stmt,
                 (now_ms() - o->live_t0) / 1000.0);
    int w = o->width > 10 ? o->width - 1 : 79;
    if ((int)strlen(line) > w)
        line[w] = '\0';
    fprintf(stderr, "\r\033[K%s", line);
    o->drawn = 1;
}

static void *tick(void *arg)
{
    cli_out *o = arg;
    pthread_mutex_lock(&o->mu);
    while (!o->stop) {
        draw_live(o);
        pthread_mutex_unlock(&o->mu);
        struct timespec ts = {0, 100L * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&o->mu);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

/* A permanent line: under the live line, which is redrawn after it. */
static void say(cli_out *o, const char *line)
{
    erase_live(o);
    put_line(line);
    if (o->o.tty)
        draw_live(o);
}

/* ---- signals ----------------------------------------------------------------- */

/* The handle a signal stops, and the signal caught. Process-wide by nature
 * (a signal is); the library itself keeps no such state. */
static dbmig *volatile sig_handle;
static volatile sig_atomic_t sig_caught;
/* The handler wakes the canceller thread through this pipe ('s'), which
 * calls dbmig_cancel (not async-signal-safe) so that a long statement is
 * abandoned instead of waited for; 'q' ends the thread. */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int signo)
{
    if (sig_caught) { /* the second one: stop now */
        signal(signo, SIG_DFL);
        raise(signo);
        return;
    }
    int saved = errno;
    sig_caught = signo;
    if (sig_handle)
        dbmig_interrupt(sig_handle);
    if (sig_pipe[1] >= 0) {
        char b = 's';
        ssize_t w = write(sig_pipe[1], &b, 1);
        (void)w;
    }
    errno = saved;
}

static void *canceller(void *arg)
{
    (void)arg;
    for (;;) {
        char b;
        ssize_t r = read(sig_pipe[0], &b, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || b == 'q')
            return NULL;
        if (sig_handle)
            dbmig_cancel(sig_handle);
    }
}

static void catch_signals(dbmig *h)
{
    sig_handle = h;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- the object ---------------------------------------------------------------- */

cli_out *cli_out_new(const cli_out_opts *opts)
{
    cli_out *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->o = *opts;
    pthread_mutex_init(&o->mu, NULL);
    o->width = 80;
    if (o->o.tty) {
        struct winsize ws;
        if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            o->width = ws.ws_col;
    }
    return o;
}

static void stop_ticker(cli_out *o)
{
    if (!o->ticking)
        return;
    pthread_mutex_lock(&o->mu);
    o->stop = 1;
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->ticker, NULL);
    o->ticking = 0;
}

static void stop_canceller(cli_out *o);

void cli_out_free(cli_out *o)
{
    if (!o)
        return;
    stop_canceller(o);
    stop_ticker(o);
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].revision);
        free(o->v[i].message);
        free(o->v[i].file);
        free(o->v[i].text);
        free(o->v[i].code);
        free(o->v[i].blocker);
    }
    free(o->v);
    pthread_mutex_destroy(&o->mu);
    free(o);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void keep(cli_out *o, const dbmig_event *ev)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        rec *v = realloc(o->v, cap * sizeof *v);
        if (!v)
            return;
        o->v = v;
        o->cap = cap;
    }
    rec *r = &o->v[o->n++];
    memset(r, 0, sizeof *r);
    r->kind = ev->kind;
    r->revision = dup_or_null(ev->revision);
    r->message = dup_or_null(ev->message);
    r->file = dup_or_null(ev->file);
    r->text = dup_or_null(ev->text);
    r->code = dup_or_null(ev->code);
    r->ms = ev->ms;
    r->stmt = ev->stmt;
    r->nstmts = ev->nstmts;
    r->line = ev->line;
    r->transactional = ev->transactional;
    r->downgrade = ev->downgrade;
    r->attempt = ev->attempt;
    r->attempts = ev->attempts;
    r->blocker = dup_or_null(ev->blocker);
}

void cli_out_begin(cli_out *o, dbmig *h, const char *command, const char *target, int dry_run,
                   int signals)
{
    o->command = command;
    o->target = target;
    o->dry_run = dry_run;
    o->active = 1;
    o->t0 = now_ms();
    utc_iso_now(o->started_at);
    if (signals) {
        /* The helper threads take no signal: the handler runs on the
         * thread running the library, whose blocking calls then restart
         * (SA_RESTART). */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (sig_pipe[0] < 0 && pipe(sig_pipe) != 0)
            sig_pipe[0] = sig_pipe[1] = -1;
        sig_handle = h;
        o->cancelling = sig_pipe[0] >= 0 && pthread_create(&o->cancel_thread, NULL, canceller, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        catch_signals(h);
    }
    if (o->o.tty && !o->o.quiet && !o->ticking) {
        /* The ticker takes no signal: they go to the thread running the
         * library, whose blocking calls then restart (SA_RESTART). */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        o->stop = 0;
        o->ticking = pthread_create(&o->ticker, NULL, tick, o) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
}

/* ---- events ------------------------------------------------------------------------ */

static void batch_final(cli_out *o);

/* A migration starts: the live line on a terminal, a line in a log. */
static void ev_start(cli_out *o, const dbmig_event *ev, const char *rev, const char *msg)
{
    char line[1024];
    int quiet = o->o.quiet;
    memset(&o->b, 0, sizeof o->b);
    if (o->o.tty && !quiet) {
        o->live = 1;
        snprintf(o->live_rev, sizeof o->live_rev, "%.64s %.90s", rev, msg);
        o->live_index = ev->index;
        o->live_total = ev->total;
        o->live_stmt = 0;
        o->live_nstmts = ev->nstmts;
        o->live_down = ev->downgrade;
        o->live_t0 = now_ms();
    }
    if (quiet)
        return;
    if (ev->text) {
        snprintf(line, sizeof line, "note: %s %s", rev, ev->text);
        say(o, line);
    }
    if (!o->o.tty) {
        snprintf(line, sizeof line, "%s %s %s ...", ev->downgrade ? "reverting" : "applying",
                 rev, msg);
        say(o, line);
    } else {
        draw_live(o);
    }
}

/* -v: a statement's first line, where it is, and its time. */
static void ev_statement_done(cli_out *o, const dbmig_event *ev)
{
    if (!o->o.verbose || o->o.quiet)
        return;
    char sql[120], line[1024];
    const char *nl = ev->sql ? strchr(ev->sql, '\n') : NULL;
    size_t len = ev->sql ? (nl ? (size_t)(nl - ev->sql) : strlen(ev->sql)) : 0;
    if (len > sizeof sql - 1)
        len = sizeof sql - 1;
    char first[120];
    memcpy(first, ev->sql ? ev->sql : "", len);
    first[len] = '\0';
    clean(first, sql, sizeof sql);
    snprintf(line, sizeof line, "  %s:%d  %s%s  (%.1f ms)", ev->file ? ev->file : "?",
             ev->line, sql, nl || len == sizeof sql - 1 ? " ..." : "", ev->ms);
    say(o, line);
}

/* A migration ended: applied (committed), rolled back, or failed. */
static void ev_result(cli_out *o, const dbmig_event *ev, const char *rev, const char *msg)
{
    char line[1024];
    const char *verb = ev->downgrade ? "reverted" : "applied";
    batch_final(o);
    keep(o, ev);
    if (o->n && o->v[o->n - 1].kind == ev->kind && o->b.tot_seen) {
        rec *r = &o->v[o->n - 1];
        r->has_batch = 1;
        r->batches = o->b.tot_batches;
        r->batch_rows = o->b.tot_rows;
    }
    o->b.tot_batches = o->b.tot_rows = 0;
    o->b.tot_seen = 0;
    if (o->live && ev->index == o->live_index) {
        o->live = 0;
        erase_live(o);
    }
    if (o->o.quiet && ev->kind != DBMIG_EV_FAILED)
        return;
    char counter[48] = "";
    if (o->o.tty)
        snprintf(counter, sizeof counter, "[%zu/%zu] ", ev->index, ev->total);
    if (ev->kind == DBMIG_EV_DONE)
        snprintf(line, sizeof line, "%s%s %s %s (%.0f ms)", counter, verb, rev, msg, ev->ms);
    else if (ev->kind == DBMIG_EV_ROLLED_BACK)
        snprintf(line, sizeof line, "%srolled back %s %s: not %s (%s)", counter, rev, msg,
                 verb, ev->text ? ev->text : "its transaction was rolled back");
    else if (ev->text && strncmp(ev->text, "left dirty", 10) == 0)
        snprintf(line, sizeof line, "%sFAILED %s %s: %s", counter, rev, msg, ev->text);
    else if (ev->text)
        snprintf(line, sizeof line, "%sSTOPPED %s %s: %s", counter, rev, msg, ev->text);
    else
        snprintf(line, sizeof line, "%sFAILED %s %s", counter, rev, msg);
    say(o, line);
}

/* The last line of a batch statement: its totals (a log gets it even when
 * no line was due; a terminal keeps it under the erased live line). */
static void batch_final(cli_out *o)
{
    batch_now *b = &o->b;
    if (!b->on)
        return;
    b->tot_seen = 1;
    b->tot_batches += b->batches;
    b->tot_rows += b->rows;
    if (!o->o.quiet) {
        char line[512];
        snprintf(line, sizeof line, "  %s statement %zu: %lld batch%s, %lld rows in %.1f s (%.0f rows/s)",
                 b->rev, b->stmt, (long long)b->batches, b->batches == 1 ? "" : "es",
                 (long long)b->rows, b->rate > 0 ? (double)b->rows / b->rate : (now_ms() - b->since) / 1000.0,
                 b->rate);
        say(o, line);
    }
    b->on = 0;
}

/* A batch of a -- dbmig:batch statement committed (SPEC section 14): the
 * live line on a terminal (redrawn by the ticker, at most ten times a
 * second); in a log a line at most every 5 s, and one at the end. */
static void ev_batch(cli_out *o, const dbmig_event *ev)
{
    batch_now *b = &o->b;
    char rev[96];
    clean(ev->revision, rev, sizeof rev);
    double now = now_ms();
    if (b->on && (b->stmt != ev->stmt || strcmp(b->rev, rev) != 0))
        batch_final(o);
    if (!b->on) {
        b->on = 1;
        snprintf(b->rev, sizeof b->rev, "%s", rev);
        b->stmt = ev->stmt;
        b->since = b->logged = now;
    }
    b->rows = ev->rows;
    b->batches = ev->batches;
    b->lo = ev->lo;
    b->hi = ev->hi;
    b->rate = ev->rate;
    b->percent = ev->percent;
    b->eta_s = ev->eta_s;
    if (o->o.quiet || o->o.tty || now - b->logged < 5000)
        return;
    char text[200], line[512];
    batch_text(b, text, sizeof text);
    snprintf(line, sizeof line, "  %s statement %zu: %s", b->rev, b->stmt, text);
    say(o, line);
    b->logged = now;
}

/* A lock time-out that is retried (SPEC section 14): one line per retry,
 * naming the statement, the attempt, the blocker and the wait; kept for
 * the JSON result's "retries". */
static void ev_retry(cli_out *o, const dbmig_event *ev, const char *rev)
{
    keep(o, ev);
    if (o->o.quiet)
        return;
    char where[400] = "", blocker[300], line[1200];
    if (ev->stmt)
        snprintf(where, sizeof where, " statement %zu (%s:%d)", ev->stmt,
                 ev->file ? ev->file : "?", ev->line);
    clean(ev->blocker ? ev->blocker : "", blocker, sizeof blocker);
    snprintf(line, sizeof line,
             "lock time-out: %s%s gave up waiting for a lock (attempt %d of %d); %s%s; "
             "%s again in %.1f s",
             rev, where, ev->attempt, ev->attempts,
             ev->blocker ? "blocked by " : "the blocker is not known", blocker,
             ev->transactional ? "rolled back, running it" : "running the statement",
             ev->ms / 1000.0);
    say(o, line);
}

static void event_locked(cli_out *o, const dbmig_event *ev)
{
    char rev[96], msg[200];
    clean(ev->revision, rev, sizeof rev);
    clean(ev->message, msg, sizeof msg);
    switch (ev->kind) {
    case DBMIG_EV_START:
        ev_start(o, ev, rev, msg);
        break;
    case DBMIG_EV_STATEMENT:
        o->live_stmt = ev->stmt;
        break;
    case DBMIG_EV_STATEMENT_DONE:
        ev_statement_done(o, ev);
        break;
    case DBMIG_EV_DONE:
    case DBMIG_EV_ROLLED_BACK:
    case DBMIG_EV_FAILED:
        ev_result(o, ev, rev, msg);
        break;
    case DBMIG_EV_PLAN:
        keep(o, ev);
        break;
    case DBMIG_EV_BATCH:
        ev_batch(o, ev);
        break;
    case DBMIG_EV_RETRY:
        ev_retry(o, ev, rev);
        break;
    case DBMIG_EV_LOCK_WAIT:
    case DBMIG_EV_LOCKED:
    case DBMIG_EV_NOTICE:
        if (ev->kind == DBMIG_EV_NOTICE)
            keep(o, ev);
        if (!o->o.quiet && ev->message) {
            char line[1024];
            clean(ev->message, line, sizeof line);
            say(o, line);
        }
        break;
    }
}

void cli_out_event(void *payload, const dbmig_event *ev)
{
    cli_out *o = payload;
    /* A log without -v: statements cost nothing (no lock, no write). */
    if ((ev->kind == DBMIG_EV_STATEMENT && !o->o.tty) ||
        (ev->kind == DBMIG_EV_STATEMENT_DONE && !o->o.verbose))
        return;
    pthread_mutex_lock(&o->mu);
    event_locked(o, ev);
    pthread_mutex_unlock(&o->mu);
}

/* ---- the end: summary and JSON --------------------------------------------------- */

static const char *signame(int s) { return s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "a signal"; }

static size_t count(const cli_out *o, dbmig_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        n += o->v[i].kind == k;
    return n;
}

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *rev_json(const rec *r, int with_ms)
{
    json_t *j = json_object();
    json_object_set_new(j, "revision", jstr(r->revision));
    json_object_set_new(j, "message", jstr(r->message));
    json_object_set_new(j, "file", jstr(r->file));
    if (r->has_batch) /* -- dbmig:batch statements' totals (SPEC 14) */
        json_object_set_new(j, "batch", json_pack("{s:I,s:I}", "batches", (json_int_t)r->batches,
                                                  "rows", (json_int_t)r->batch_rows));
    if (with_ms)
        json_object_set_new(j, "duration_ms", json_real((double)(long long)(r->ms * 10 + 0.5) / 10));
    return j;
}

/* upgrade and downgrade: what was applied (or reverted), rolled back,
 * failed, and with --dry-run the plan. */
static void runs_json(const cli_out *o, dbmig *h, json_t *j)
{
    int down = strcmp(o->command, "downgrade") == 0;
    json_t *done = json_array(), *rb = json_array(), *plan = json_array(), *retries = json_array();
    json_t *failed = json_null();
    for (size_t i = 0; i < o->n; i++) {
        const rec *r = &o->v[i];
        if (r->kind == DBMIG_EV_DONE) {
            json_array_append_new(done, rev_json(r, 1));
        } else if (r->kind == DBMIG_EV_ROLLED_BACK) {
            json_t *x = rev_json(r, 0);
            json_object_set_new(x, "reason", jstr(r->text));
            json_array_append_new(rb, x);
        } else if (r->kind == DBMIG_EV_FAILED) {
            json_decref(failed);
            failed = rev_json(r, 0);
            json_object_set_new(failed, "statement", r->stmt ? json_integer((json_int_t)r->stmt) : json_null());
            json_object_set_new(failed, "statements", json_integer((json_int_t)r->nstmts));
            json_object_set_new(failed, "line", r->line ? json_integer(r->line) : json_null());
            json_object_set_new(failed, "code", jstr(r->code && r->code[0] ? r->code : NULL));
            json_object_set_new(failed, "error", json_string(dbmig_errmsg(h)));
            json_object_set_new(failed, "dirty", json_boolean(r->text != NULL));
        } else if (r->kind == DBMIG_EV_RETRY) {
            json_t *x = rev_json(r, 0);
            json_object_set_new(x, "statement", r->stmt ? json_integer((json_int_t)r->stmt) : json_null());
            json_object_set_new(x, "line", r->line ? json_integer(r->line) : json_null());
            json_object_set_new(x, "attempt", json_integer(r->attempt));
            json_object_set_new(x, "attempts", json_integer(r->attempts));
            json_object_set_new(x, "wait_ms", json_integer((json_int_t)(r->ms + 0.5)));
            json_object_set_new(x, "blocker", jstr(r->blocker));
            json_object_set_new(x, "error", jstr(r->text));
            json_array_append_new(retries, x);
        } else if (r->kind == DBMIG_EV_PLAN) {
            json_t *x = rev_json(r, 0);
            json_object_set_new(x, "action", json_string(r->downgrade ? "revert" : "apply"));
            json_object_set_new(x, "statements", json_integer((json_int_t)r->nstmts));
            json_object_set_new(x, "transaction", json_boolean(r->transactional));
            json_object_set_new(x, "note", jstr(r->text));
            json_array_append_new(plan, x);
        }
    }
    json_object_set_new(j, down ? "reverted" : "applied", done);
    json_object_set_new(j, "rolled_back", rb);
    json_object_set_new(j, "failed", failed);
    json_object_set_new(j, "retries", retries); /* lock time-outs retried (SPEC section 14) */
    if (o->dry_run)
        json_object_set_new(j, "plan", plan);
    else
        json_decref(plan);
}

static void print_json(const cli_out *o, dbmig *h, int rc, int exit_code, double ms,
                       const char *after)
{
    int migrates = strcmp(o->command, "upgrade") == 0 || strcmp(o->command, "downgrade") == 0;
    char ended[40];
    utc_iso_now(ended);
    json_t *j = json_object();
    json_object_set_new(j, "command", json_string(o->command));
    json_object_set_new(j, "target", jstr(o->target));
    json_object_set_new(j, "dry_run", json_boolean(o->dry_run));
    json_object_set_new(j, "ok", json_boolean(rc == DBMIG_OK && !after));
    json_object_set_new(j, "exit_code", json_integer(exit_code));
    json_object_set_new(j, "started_at", json_string(o->started_at));
    json_object_set_new(j, "finished_at", json_string(ended));
    json_object_set_new(j, "duration_ms", json_real((double)(long long)(ms * 10 + 0.5) / 10));
    if (migrates)
        runs_json(o, h, j);
    json_t *notes = json_array();
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].kind == DBMIG_EV_NOTICE)
            json_array_append_new(notes, json_pack("{s:o,s:o}", "revision", jstr(o->v[i].revision),
                                                   "message", jstr(o->v[i].message)));
    json_object_set_new(j, "notices", notes);
    json_object_set_new(j, "interrupted",
                        sig_caught && rc == DBMIG_EINTERRUPTED ? json_string(signame(sig_caught)) : json_null());
    json_object_set_new(j, "error", rc != DBMIG_OK ? json_string(dbmig_errmsg(h))
                                    : after        ? json_string(after)
                                                   : json_null());
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        if (o->o.said)
            o->o.said->docs++;
    }
    free(s);
    json_decref(j);
}

void cli_said_error(cli_said *s, const char *msg)
{
    if (s && msg)
        snprintf(s->error, sizeof s->error, "%s", msg);
}

/* Appends to line[*k..cap), keeping it terminated. */
__attribute__((format(printf, 4, 5))) static void appendf(char *line, size_t cap, size_t *k,
                                                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = *k < cap - 1 ? vsnprintf(line + *k, cap - *k, fmt, ap) : 0;
    va_end(ap);
    if (n > 0)
        *k = *k + (size_t)n < cap - 1 ? *k + (size_t)n : cap - 1;
}

/* " (a, b)" — the revisions of events of kind k, between open and close. */
static void list_kind(const cli_out *o, dbmig_event_kind kind, char *line, size_t cap, size_t *k,
                      const char *open, const char *close)
{
    int first = 1;
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].kind == kind) {
            appendf(line, cap, k, "%s%s", first ? open : ", ", o->v[i].revision ? o->v[i].revision : "?");
            first = 0;
        }
    if (!first)
        appendf(line, cap, k, "%s", close);
}

static void stop_canceller(cli_out *o)
{
    if (!o->cancelling)
        return;
    char b = 'q';
    ssize_t w = write(sig_pipe[1], &b, 1);
    (void)w;
    pthread_join(o->cancel_thread, NULL);
    o->cancelling = 0;
}

int cli_out_end(cli_out *o, dbmig *h, int rc) { return cli_out_end_after(o, h, rc, NULL); }

int cli_out_end_after(cli_out *o, dbmig *h, int rc, const char *after)
{
    after = rc == DBMIG_OK ? after : NULL;
    double ms = now_ms() - o->t0;
    stop_canceller(o);
    sig_handle = NULL; /* the handler runs on this thread: h is not used after this */
    stop_ticker(o);
    pthread_mutex_lock(&o->mu);
    o->live = 0;
    erase_live(o);
    pthread_mutex_unlock(&o->mu);
    int sig = sig_caught;
    int exit_code = sig && (rc == DBMIG_EINTERRUPTED || rc == DBMIG_OK) ? 128 + sig
                    : rc == DBMIG_EINTERRUPTED                        ? 1
                                                                      : -rc;
    int migrates = strcmp(o->command, "upgrade") == 0 || strcmp(o->command, "downgrade") == 0;
    const char *verb = strcmp(o->command, "downgrade") == 0 ? "reverted" : "applied";
    size_t done = count(o, DBMIG_EV_DONE), rb = count(o, DBMIG_EV_ROLLED_BACK);
    if (migrates && !o->dry_run && (!o->o.quiet || rc != DBMIG_OK)) {
        char line[4096];
        if (sig && rc == DBMIG_EINTERRUPTED) {
            size_t k = 0;
            appendf(line, sizeof line, &k, "stopped by %s after %.2f s: %zu revision%s %s and committed",
                    signame(sig), ms / 1000.0, done, done == 1 ? "" : "s", verb);
            list_kind(o, DBMIG_EV_DONE, line, sizeof line, &k, " (", ")");
            if (rb) {
                appendf(line, sizeof line, &k, "; rolled back, so not %s:", verb);
                list_kind(o, DBMIG_EV_ROLLED_BACK, line, sizeof line, &k, " ", "");
            }
            put_line(line);
        } else if (done || rc == DBMIG_OK) {
            if (done || count(o, DBMIG_EV_FAILED)) {
                /* "done:" first, so that no parser of the per-revision
                 * "applied <id> ..." lines mistakes it for one. */
                snprintf(line, sizeof line, "done: %s %zu revision%s in %.2f s%s", verb, done,
                         done == 1 ? "" : "s", ms / 1000.0,
                         rc == DBMIG_OK ? "" : rb ? ", then one failed and its group was rolled back" : ", then one failed");
                put_line(line);
            }
        }
    }
    if (rc != DBMIG_OK) {
        fprintf(stderr, "dbmig: error: %s\n", dbmig_errmsg(h));
        cli_said_error(o->o.said, dbmig_errmsg(h));
    }
    if (after) {
        fprintf(stderr, "dbmig: error: %s\n", after);
        cli_said_error(o->o.said, after);
        exit_code = 1; /* EXIT_FAIL (cli.h): the run is committed, the step after it failed */
    }
    if (o->o.json)
        print_json(o, h, rc, exit_code, ms, after);
    o->active = 0;
    return exit_code;
}
