/* junit.h — the JUnit XML writer of `dbmig test --junit FILE` (junit.c). */
#ifndef DBMIG_CLI_JUNIT_H
#define DBMIG_CLI_JUNIT_H

#include <stddef.h>

#include "dbmig/dbmig.h"

/* 0 when path's folder exists and is writable, else -1 with err. */
int cli_junit_check(const char *path, char *err, size_t cap);
/* Writes r to path atomically (a temporary file renamed over it), and
 * lint's error findings (lint may be NULL: lint did not run) as failed
 * test cases of a second suite, "dbmig lint": `test` fails on them, so the
 * report must show them. 0, or -1 with err saying what failed and where. */
int cli_junit_write(const char *path, const dbmig_test_report *r, const dbmig_lint_report *lint,
                    char *err, size_t cap);

#endif
