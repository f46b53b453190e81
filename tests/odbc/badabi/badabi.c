/* badabi.c — a complete but useless driver whose only fault is the ABI
 * major it was built for (see CMakeLists.txt). Every function fails. */
#include <dbmig/driver.h>

#include <stdio.h>

#if DBMIG_DRIVER_ABI_MAJOR == 2
#error "build this against a <dbmig/driver.h> whose ABI major is not 2 (BADABI_INCLUDE)"
#endif

static int ba_connect(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
                      dbmig_db_error *err)
{
    (void)self;
    (void)host, (void)url, (void)out;
    snprintf(err->message, sizeof err->message, "badabi never connects");
    return DBMIG_DRV_ERROR;
}
static void ba_close(void *self, dbmig_conn *c) { (void)self; (void)c; }
static int ba_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *n)
{
    (void)self;
    (void)c, (void)sql, (void)len, (void)n;
    return DBMIG_DRV_ERROR;
}
static int ba_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *p)
{
    (void)self;
    (void)c, (void)sql, (void)fn, (void)p;
    return DBMIG_DRV_ERROR;
}
static int ba_tx(void *self, dbmig_conn *c)
{
    (void)self;
    (void)c;
    return DBMIG_DRV_ERROR;
}
static int ba_try_lock(void *self, dbmig_conn *c, const char *k, int *got, char *h, size_t cap)
{
    (void)self;
    (void)c, (void)k, (void)h, (void)cap;
    *got = 0;
    return DBMIG_DRV_ERROR;
}
static int ba_unlock(void *self, dbmig_conn *c, const char *k)
{
    (void)self;
    (void)c, (void)k;
    return DBMIG_DRV_ERROR;
}
static size_t ba_quote(void *self, const dbmig_conn *c, const char *in, size_t n, char *out, size_t cap)
{
    (void)self;
    (void)c, (void)in;
    if (out && cap)
        out[0] = '\0';
    return n + 2;
}
static const dbmig_db_error *ba_last_error(void *self, const dbmig_conn *c)
{
    (void)self;
    static const dbmig_db_error none = {{0}, {0}, {0}, {0}, 0};
    (void)c;
    return &none;
}

static const char *const ba_schemes[] = {"badabi", NULL};

static const dbmig_driver ba_driver = {
    DBMIG_DRIVER_HEADER,
    .name = "badabi",
    .version = "0.0.1",
    .description = "built for another driver ABI major",
    .schemes = ba_schemes,
    .connect = ba_connect,
    .close = ba_close,
    .exec = ba_exec,
    .query = ba_query,
    .begin = ba_tx,
    .commit = ba_tx,
    .rollback = ba_tx,
    .try_lock = ba_try_lock,
    .unlock = ba_unlock,
    .quote_ident = ba_quote,
    .quote_literal = ba_quote,
    .last_error = ba_last_error,
};

DBMIG_DRIVER_ENTRY(badabi, ba_driver)
