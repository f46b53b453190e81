/* junit.h — the JUnit XML writer of `dbmig test --junit FILE` (junit.c). */
#ifndef DBMIG_CLI_JUNIT_H
#define DBMIG_CLI_JUNIT_H

#include <stddef.h>

#include "dbmig/dbmig.h"

/* Writes r to path atomically (a temporary file renamed over it). 0, or -1
 * with err saying what failed and where. */
/* 0 when path's folder exists and is writable, else -1 with err. */
int cli_junit_check(const char *path, char *err, size_t cap);
int cli_junit_write(const char *path, const dbmig_test_report *r, char *err, size_t cap);

#endif
