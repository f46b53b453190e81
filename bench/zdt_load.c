/* bench/zdt_load.c — the client load of the zero-downtime benchmarks
 * (bench/zdt_bench.sh, issue 17): application queries at a fixed rate on a
 * table while a migration runs, and the longest any of them stalled.
 *
 *   zdt_load postgres URL    TABLE ROWS RATE SECONDS
 *   zdt_load mysql    URL    TABLE ROWS RATE SECONDS   (mysql://user:pass@host:port/db)
 *   zdt_load sqlite   FILE   TABLE ROWS RATE SECONDS
 *
 * THREADS (8) threads, each with its own connection, share RATE queries per
 * second: thread i sends its queries at the times i/RATE + k*THREADS/RATE
 * from the start. Queries alternate between a point read and a one-row
 * update (`SELECT v FROM TABLE WHERE id = r`, `UPDATE TABLE SET v = v + 1
 * WHERE id = r`, r random in 2..ROWS: row 1 is the one the benchmark's
 * long transaction holds). A query's latency counts from the time it was
 * due, not from when the thread got round to sending it: a thread stuck
 * behind a lock makes every query it owes late, exactly as an application
 * request queue would. It stops after SECONDS or at SIGTERM/SIGINT (the
 * queries in flight still finish), then prints one line:
 *
 *   queries=N errors=E max_ms=M p99_ms=P over_200ms=A over_1200ms=B
 *
 * Not part of the build: bench/zdt_bench.sh compiles it with cc. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <mysql.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 8

typedef struct run {
    const char *db, *url, *table;
    long rows;
    double rate, seconds, t0;
} run;

typedef struct worker {
    const run *r;
    int index;
    double *lat; /* ms, one per query sent */
    size_t n, cap;
    long errors;
    unsigned seed;
} worker;

static atomic_int stop_flag; /* set by the signal handler: a program, not a library */

static void on_signal(int sig) { (void)sig; atomic_store(&stop_flag, 1); }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
    double d = t - now_s();
    if (d <= 0)
        return;
    struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !atomic_load(&stop_flag))
        ;
}

/* One connection per database kind; query() returns 0 when the query ran. */
typedef struct conn {
    PGconn *pg;
    MYSQL *my;
    sqlite3 *lite;
} conn;

static int my_open(conn *c, const char *url)
{
    char user[128], pass[128], host[128], db[128];
    unsigned port = 3306;
    if (sscanf(url, "mysql://%127[^:]:%127[^@]@%127[^:]:%u/%127[^?]", user, pass, host, &port,
               db) != 5)
        return -1;
    c->my = mysql_init(NULL);
    return c->my && mysql_real_connect(c->my, host, user, pass, db, port, NULL, 0) ? 0 : -1;
}

static int conn_open(conn *c, const run *r)
{
    memset(c, 0, sizeof *c);
    if (strcmp(r->db, "postgres") == 0) {
        c->pg = PQconnectdb(r->url);
        return PQstatus(c->pg) == CONNECTION_OK ? 0 : -1;
    }
    if (strcmp(r->db, "mysql") == 0)
        return my_open(c, r->url);
    if (sqlite3_open(r->url, &c->lite) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(c->lite, 60000);
    return 0;
}

static void conn_close(conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    if (c->my)
        mysql_close(c->my);
    if (c->lite)
        sqlite3_close(c->lite);
}

static int query(conn *c, const char *sql)
{
    if (c->pg) {
        PGresult *res = PQexec(c->pg, sql);
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    }
    if (c->my) {
        if (mysql_query(c->my, sql) != 0)
            return -1;
        MYSQL_RES *res = mysql_store_result(c->my);
        if (res)
            mysql_free_result(res);
        return 0;
    }
    return sqlite3_exec(c->lite, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int record(worker *w, double ms)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        double *p = realloc(w->lat, cap * sizeof *p);
        if (!p)
            return -1;
        w->lat = p;
        w->cap = cap;
    }
    w->lat[w->n++] = ms;
    return 0;
}

static void *work(void *arg)
{
    worker *w = arg;
    const run *r = w->r;
    conn c;
    if (conn_open(&c, r) != 0) {
        fprintf(stderr, "zdt_load: thread %d cannot connect\n", w->index);
        w->errors++;
        conn_close(&c);
        return NULL;
    }
    double step = THREADS / r->rate;
    for (long k = 0;; k++) {
        double due = r->t0 + w->index / r->rate + (double)k * step;
        if (due - r->t0 > r->seconds || atomic_load(&stop_flag))
            break;
        sleep_until(due);
        if (atomic_load(&stop_flag))
            break;
        long id = 2 + (long)(rand_r(&w->seed) % (unsigned)(r->rows > 1 ? r->rows - 1 : 1));
        char sql[256];
        if (k % 2)
            snprintf(sql, sizeof sql, "UPDATE %s SET v = v + 1 WHERE id = %ld", r->table, id);
        else
            snprintf(sql, sizeof sql, "SELECT v FROM %s WHERE id = %ld", r->table, id);
        if (query(&c, sql) != 0)
            w->errors++;
        if (record(w, (now_s() - due) * 1000.0) != 0)
            break;
    }
    conn_close(&c);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(worker *ws)
{
    size_t n = 0;
    long errors = 0;
    for (int i = 0; i < THREADS; i++)
        n += ws[i].n, errors += ws[i].errors;
    double *all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return;
    size_t k = 0, over200 = 0, over1200 = 0;
    for (int i = 0; i < THREADS; i++)
        for (size_t j = 0; j < ws[i].n; j++) {
            all[k++] = ws[i].lat[j];
            over200 += ws[i].lat[j] > 200.0;
            over1200 += ws[i].lat[j] > 1200.0;
        }
    qsort(all, n, sizeof *all, cmp_double);
    printf("queries=%zu errors=%ld max_ms=%.0f p99_ms=%.0f over_200ms=%zu over_1200ms=%zu\n", n,
           errors, n ? all[n - 1] : 0.0, n ? all[(size_t)((double)(n - 1) * 0.99)] : 0.0, over200,
           over1200);
    free(all);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: zdt_load postgres|mysql|sqlite URL TABLE ROWS RATE SECONDS\n");
        return 2;
    }
    run r = {.db = argv[1], .url = argv[2], .table = argv[3], .rows = atol(argv[4]),
             .rate = atof(argv[5]), .seconds = atof(argv[6])};
    if (r.rows < 2 || r.rate <= 0 || r.seconds <= 0) {
        fprintf(stderr, "zdt_load: ROWS must be >= 2, RATE and SECONDS > 0\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (strcmp(r.db, "mysql") == 0)
        mysql_library_init(0, NULL, NULL);
    worker ws[THREADS];
    pthread_t th[THREADS];
    r.t0 = now_s() + 0.2; /* every thread connected before the first query is due */
    for (int i = 0; i < THREADS; i++) {
        ws[i] = (worker){.r = &r, .index = i, .seed = (unsigned)(i * 7919 + 17)};
        if (pthread_create(&th[i], NULL, work, &ws[i]) != 0)
            return 1;
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    report(ws);
    for (int i = 0; i < THREADS; i++)
        free(ws[i].lat);
    if (strcmp(r.db, "mysql") == 0)
        mysql_library_end();
    return 0;
}
