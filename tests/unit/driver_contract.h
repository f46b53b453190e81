/* driver_contract.h — the driver contract suite, shared by the driver tests
 * (test_driver_sqlite.c, tests/postgres/test_driver_postgres.c, ...).
 *
 * The contract_* functions use only the driver table (include/dbmig/driver.h)
 * against a scratch database the caller provides empty: they create tables
 * named ct_*. SQL there sticks to what every dialect accepts. Built into the
 * static library dbmig_driver_contract (tests/unit/CMakeLists.txt). */
#ifndef DBMIG_DRIVER_CONTRACT_H
#define DBMIG_DRIVER_CONTRACT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dbmig/driver.h"

/* A host that counts what the driver allocates and what it logs. */
typedef struct counter {
    long live;  /* allocations not yet freed */
    long total; /* allocations ever */
    long logs;  /* host->log calls */
    int last_level;
    char last_log[512];
} counter;

dbmig_host make_host(counter *c);

/* Fails the test unless needle occurs in hay. */
void assert_contains(const char *hay, const char *needle);
/* Connects or fails the test with the driver's message. */
dbmig_conn *must_connect(const dbmig_driver *d, const dbmig_host *h, const char *url);
void must_exec(const dbmig_driver *d, dbmig_conn *c, const char *sql);

/* One query's rows as "a|b|NULL;..." text. */
typedef struct rows {
    char text[1024];
    int nrows, ncols, stop_after;
} rows;
int collect_row(void *payload, int ncols, const char *const *v, const size_t *len);
const char *query_text(const dbmig_driver *d, dbmig_conn *c, const char *sql, rows *r);

/* What try_lock's holder text must contain when the lock is held through
 * conn (taken by the calling process): out receives it. NULL in the
 * contract_lock* calls means "pid <getpid()>" (a client-side lock); a
 * server-side lock names the server's session instead. */
typedef void (*contract_holder_fn)(const dbmig_driver *d, dbmig_conn *conn, char *out,
                                   size_t cap);

/* The shared tests below read the fixture through *state: a driver test's
 * fixture struct starts with a contract_fx (d, the scratch database's URL,
 * the holder function or NULL), and CONTRACT_TESTS(setup, teardown)
 * registers them (teardown may be NULL). */
typedef struct contract_fx {
    const dbmig_driver *d;
    const char *url;
    contract_holder_fn holder;
} contract_fx;

void contract_test_table(void **state);
void contract_test_connect_close(void **state);
void contract_test_exec(void **state);
void contract_test_query(void **state);
void contract_test_errors(void **state);
void contract_test_transactions(void **state);
void contract_test_catalog(void **state);
void contract_test_dialect_sql(void **state);
void contract_test_quoting(void **state);
void contract_test_lock(void **state);
void contract_test_lock_dies_with_process(void **state);

#define CONTRACT_TESTS(setup, teardown)                                                            \
    cmocka_unit_test_setup_teardown(contract_test_table, setup, teardown),                         \
        cmocka_unit_test_setup_teardown(contract_test_connect_close, setup, teardown),             \
        cmocka_unit_test_setup_teardown(contract_test_exec, setup, teardown),                      \
        cmocka_unit_test_setup_teardown(contract_test_query, setup, teardown),                     \
        cmocka_unit_test_setup_teardown(contract_test_errors, setup, teardown),                    \
        cmocka_unit_test_setup_teardown(contract_test_transactions, setup, teardown),              \
        cmocka_unit_test_setup_teardown(contract_test_catalog, setup, teardown),                   \
        cmocka_unit_test_setup_teardown(contract_test_dialect_sql, setup, teardown),               \
        cmocka_unit_test_setup_teardown(contract_test_quoting, setup, teardown),                   \
        cmocka_unit_test_setup_teardown(contract_test_lock, setup, teardown),                      \
        cmocka_unit_test_setup_teardown(contract_test_lock_dies_with_process, setup, teardown)

/* The checks themselves, for a driver test that needs them on other URLs. */
void contract_table(const dbmig_driver *d);
void contract_connect_close(const dbmig_driver *d, const char *url);
void contract_exec(const dbmig_driver *d, const char *url);
void contract_query(const dbmig_driver *d, const char *url);
void contract_errors(const dbmig_driver *d, const char *url);
void contract_transactions(const dbmig_driver *d, const char *url);
void contract_catalog(const dbmig_driver *d, const char *url);
void contract_dialect_sql(const dbmig_driver *d, const char *url);
void contract_quoting(const dbmig_driver *d);
/* url2: a second connection to the same database (the same URL for files). */
void contract_lock(const dbmig_driver *d, const char *url, const char *url2,
                   contract_holder_fn holder);
/* A lock held by a process that dies (without unlocking) is released. */
void contract_lock_dies_with_process(const dbmig_driver *d, const char *url,
                                     contract_holder_fn holder);

#endif
