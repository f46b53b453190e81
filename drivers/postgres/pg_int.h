/* pg_int.h — what the PostgreSQL driver's files share: the connection
 * struct and the helpers postgres.c defines (errors, memory, URLs, running
 * a statement). Internal to dbmig_postgres.so: the plugin is built with
 * hidden visibility, so nothing here is exported.
 *
 * Why split: postgres.c is the ABI 2.0 driver (connect, statements, locks,
 * quoting); the ABI 2.1 methods live in files of their own, inspect.c
 * (catalog inspection) and scratch.c (scratch databases), and reach the
 * connection through this header only. */
#ifndef DBMIG_PG_INT_H
#define DBMIG_PG_INT_H

#include <dbmig/driver.h>

#include <libpq-fe.h>

#include <stddef.h>

#define PG_STRIPPED_PARAM "search_path"

struct dbmig_conn {
    dbmig_host host;
    PGconn *pg;
    PGcancel *cancel; /* made at connect, for pg_cancel from another thread */
    dbmig_db_error err;
    /* the URL's password as written, decoded, and from password=, for
     * scrubbing every message; NULL where none */
    char *secrets[3];
    /* the user, host, port and database libpq reads from it (not secret) */
    char *publics[4];
    /* the URL as the user gave it (scratch_create derives its URL from it) */
    char *url;
    int locked;
    long long lock_key;
    /* query() row buffers, grown as needed */
    const char **vals;
    size_t *lens;
    int vcap;
};

/* memory, through the host table */
void *pg_alloc(const dbmig_host *h, size_t n);
void pg_free(const dbmig_host *h, void *p);
char *pg_strndup(const dbmig_host *h, const char *s, size_t n);
char *pg_decode(const dbmig_host *h, const char *s, size_t n);

/* errors: c->err (code, message made one line, hint), scrubbed */
void pg_err_clear(dbmig_db_error *e);
void pg_copy(char *out, size_t cap, const char *in);
void pg_one_line(char *out, size_t cap, const char *in);
void pg_scrub_err(const dbmig_conn *c, dbmig_db_error *e);
int pg_fail_msg(dbmig_conn *c, const char *code, const char *msg, const char *hint);
int pg_fail_res(dbmig_conn *c, const PGresult *r);

/* URLs */
int pg_is_uri(const char *url);
int pg_strip_param(const dbmig_host *h, const char *url, const char *name, char **stripped,
                   char **value);

/* statements */
int pg_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload);
int pg_command(dbmig_conn *c, const char *sql);
int pg_lookup(dbmig_conn *c, const char *sql, int n, const char *const *params, int *found,
              char *out, size_t cap);
int pg_connect(void *self, const dbmig_host *host, const char *url, dbmig_conn **out,
               dbmig_db_error *err);
void pg_close(void *self, dbmig_conn *c);

/* ABI 2.1 (inspect.c, scratch.c) */
int pg_inspect(void *self, dbmig_conn *c, dbmig_schema_fn fn, void *payload);
int pg_scratch_create(void *self, dbmig_conn *c, const char *name, char *url, size_t cap,
                      dbmig_db_error *err);
int pg_scratch_drop(void *self, dbmig_conn *c, const char *name, const char *url,
                    dbmig_db_error *err);

#endif
