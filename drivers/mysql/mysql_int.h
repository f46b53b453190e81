/* mysql_int.h — what the MySQL/MariaDB driver's files share: the
 * connection struct and the few helpers inspect.c (schema inspection,
 * scratch databases) calls in mysql.c.
 *
 * Why a header: mysql.c owns connections, statements and errors; inspect.c
 * owns the catalog reading of ABI 2.1. Both see one dbmig_conn, and
 * inspect.c runs its queries and reports its errors through the same
 * functions as every other method, so an error looks the same wherever it
 * came from. The plugin is built with hidden visibility: nothing here is
 * exported. */
#ifndef DBMIG_MYSQL_INT_H
#define DBMIG_MYSQL_INT_H

#include <dbmig/driver.h>

#include <mysql.h>

#include <stddef.h>
#include <stdint.h>

#define MY_LOCK_NAME_MAX 64

struct dbmig_conn {
    dbmig_host host;
    MYSQL *my;
    int mariadb;
    unsigned long version; /* major*10000 + minor*100 + patch */
    int emulate;
    int wsrep; /* a Galera node (@@wsrep_on = ON): GET_LOCK is node-local */
    char server_info[128];
    char db[256]; /* the URL's database: part of the lock name */
    char lock_name[MY_LOCK_NAME_MAX * 4 + 1];
    int lock_held;
    int in_tx; /* begin() called, commit()/rollback() not yet */
    dbmig_db_error err;
    /* query() row buffer, grown as needed */
    size_t *lens;
    unsigned vcap;
    char *url; /* the URL as given (host->alloc): scratch URLs are made from it */
};

/* mysql.c */
void my_err_clear(dbmig_db_error *e);
void my_set(dbmig_db_error *e, const char *code, const char *hint, const char *fmt, const char *a,
            const char *b);
const char *my_hint_for(unsigned no);
int my_fail(dbmig_conn *c, const char *sql, size_t len);
int my_fail_msg(dbmig_conn *c, const char *code, const char *msg, const char *hint);
int my_exec(void *self, dbmig_conn *c, const char *sql, size_t len, int64_t *affected);
int my_query(void *self, dbmig_conn *c, const char *sql, dbmig_row_fn fn, void *payload);
size_t my_quote_ident(void *self, const dbmig_conn *c, const char *in, size_t inlen, char *out,
                      size_t cap);

/* inspect.c (ABI 2.1) */
int my_inspect(void *self, dbmig_conn *c, dbmig_schema_fn fn, void *payload);
int my_scratch_create(void *self, dbmig_conn *c, const char *name, char *url, size_t cap,
                      dbmig_db_error *err);
int my_scratch_drop(void *self, dbmig_conn *c, const char *name, const char *url,
                    dbmig_db_error *err);

#endif
