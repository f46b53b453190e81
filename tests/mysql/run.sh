#!/usr/bin/env bash
# tests/mysql/run.sh — everything for MySQL/MariaDB against one server:
#   scripts/mariadb-server.sh run bash tests/mysql/run.sh
# Needs DBMIG (the CLI), DBMIG_TEST_MYSQL_DRIVER_TEST (the test_driver_mysql
# program) and DBMIG_TEST_MYSQL_URL (set by mariadb-server.sh). Runs all four
# parts even when one fails; exits 1 if any failed.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DBMIG_TEST_MYSQL_URL:?run me through scripts/mariadb-server.sh run}"
: "${DBMIG_TEST_MYSQL_DRIVER_TEST:?DBMIG_TEST_MYSQL_DRIVER_TEST must name test_driver_mysql}"
failed=()

echo "== driver contract suite (test_driver_mysql)"
"$DBMIG_TEST_MYSQL_DRIVER_TEST" || failed+=(driver)

echo "== CLI suite, driver mysql"
DBMIG_TEST_DRIVER=mysql DBMIG_TEST_URL=$DBMIG_TEST_MYSQL_URL \
    bash "$HERE/../cli/suite.sh" || failed+=(cli)

echo "== mistakes corpus, driver mysql"
DBMIG_TEST_DRIVER=mysql DBMIG_TEST_URL=$DBMIG_TEST_MYSQL_URL \
    bash "$HERE/../mistakes/run.sh" || failed+=(mistakes)

echo "== MySQL-specific CLI cases"
DBMIG_TEST_DRIVER=mysql DBMIG_TEST_URL=$DBMIG_TEST_MYSQL_URL \
    bash "$HERE/cases.sh" || failed+=(cases)

if ((${#failed[@]})); then
    echo "mysql: FAILED: ${failed[*]}"
    exit 1
fi
echo "mysql: all passed"
