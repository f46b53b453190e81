#!/usr/bin/env bash
# tests/mysql/cases.sh — CLI cases that only make sense on MySQL/MariaDB:
# the dialect (DELIMITER, # comments, backslash escapes, CALL), the lock
# holder shown while waiting, a password that needs %-encoding, and groups of
# DML-only migrations sharing one commit. Uses the CLI suite's helpers
# (tests/cli/lib.sh); run by tests/mysql/run.sh with DBMIG_TEST_DRIVER=mysql.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
. "$HERE/../cli/lib.sh"
[ "$DBMIG_TEST_DRIVER" = mysql ] || { echo "cases.sh: DBMIG_TEST_DRIVER must be mysql" >&2; exit 2; }

case_mysql_dialect() {
    mkmig "$MIG" 001_proc "-- dbmig:up
# a MySQL comment; the next string holds a backslash-escaped quote and a ;
CREATE TABLE proc_t (id INTEGER, s VARCHAR(20));
INSERT INTO proc_t VALUES (1, 'a\\'b; c');
DELIMITER //
CREATE PROCEDURE add_rows(IN n INTEGER)
BEGIN
  INSERT INTO proc_t VALUES (n, 'x;y');
  SELECT COUNT(*) FROM proc_t;
  INSERT INTO proc_t VALUES (n + 1, 'z');
END//
DELIMITER ;
CALL add_rows(10);
-- dbmig:down
DROP PROCEDURE IF EXISTS add_rows;
DROP TABLE proc_t;"
    dbm upgrade head
    expect_exit 0 "a migration with DELIMITER, # comments and CALL"
    expect_eq "$(db_query "SELECT COUNT(*) FROM proc_t")" 3 "rows in proc_t"
    expect_eq "$(db_query "SELECT s FROM proc_t WHERE id = 1")" "a'b; c" "the escaped string"
    expect_eq "$(db_query "SELECT s FROM proc_t WHERE id = 10")" "x;y" "the procedure's string"
    dbm show 001
    expect_exit 0
    expect_contains out "CREATE PROCEDURE add_rows"
    dbm downgrade base
    expect_exit 0 "downgrade base"
    expect_no_table proc_t
    expect_eq "$(db_query "SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = DATABASE()")" 0 "procedures left"
}

_lock_taken() { [ "$(db_query "SELECT IS_FREE_LOCK('dbmig:dbmig_test.dbmig_version')")" = 0 ]; }

case_mysql_lock_holder_named() {
    mk_chain3 "$MIG"
    _mysql_client -N -B -e "SELECT GET_LOCK('dbmig:dbmig_test.dbmig_version', 10), SLEEP(6)" > /dev/null 2>&1 &
    BG_PIDS="$BG_PIDS $!"
    wait_until 10 _lock_taken
    local holder
    holder=$(db_query "SELECT IS_USED_LOCK('dbmig:dbmig_test.dbmig_version')")
    dbm --lock-timeout 1 upgrade head
    expect_exit 4 "another session holds the lock"
    expect_contains err "connection $holder"
    expect_contains err "dbmig@"
    expect_applied ""
    # the server would finish the sleep even with the client gone: end it
    db_query "KILL $holder" >/dev/null 2>&1
    wait_until 10 _lock_free
    dbm --lock-timeout 0 upgrade head
    expect_exit 0 "the lock is free again"
}

_lock_free() { [ "$(db_query "SELECT IS_FREE_LOCK('dbmig:dbmig_test.dbmig_version')")" = 1 ]; }

case_mysql_special_password() {
    [ -n "${DBMIG_TEST_MYSQL_SPECIAL_URL:-}" ] || fail "DBMIG_TEST_MYSQL_SPECIAL_URL is not set"
    local pw=$DBMIG_TEST_MYSQL_SPECIAL_PASSWORD enc
    enc=${DBMIG_TEST_MYSQL_SPECIAL_URL#mysql://dbmig_special:}
    enc=${enc%@*}
    mk_chain3 "$MIG"
    URL=$DBMIG_TEST_MYSQL_SPECIAL_URL
    dbm upgrade head
    expect_exit 0 "a password with : @ / % ? # &, %-encoded"
    dbm -v --format json status
    expect_exit 0
    expect_jq '.summary.applied == 3'
    expect_not_contains all "$pw"
    expect_not_contains all "$enc"
    expect_contains out "dbmig_special:***@"
    URL=${DBMIG_TEST_MYSQL_SPECIAL_URL%/*}/nosuch_db
    dbm status
    expect_nonzero "a database the user may not use"
    expect_contains err "1044"
    expect_not_contains all "$pw"
    expect_not_contains all "$enc"
}

# Consecutive DML-only migrations share one commit (savepoints): a failure
# in the third keeps the first two, as if each had committed alone.
case_mysql_dml_group() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_ins "INSERT INTO a (id, v) VALUES (1, 'one');"
    mkmig "$MIG" 003_ins "INSERT INTO a (id, v) VALUES (2, 'two');
UPDATE a SET v = 'uno' WHERE id = 1;"
    mkmig "$MIG" 004_bad "INSERT INTO a (id, v) VALUES (3, 'three');
INSERT INTO a (id, v) VALUES (1, 'duplicate key');"
    dbm --commit-interval 60000 upgrade head
    expect_exit 1 "a failing DML-only migration in a group"
    expect_contains err "004_bad.sql:2"
    expect_contains err "1062"
    expect_applied "001 002 003"
    expect_eq "$(db_query "SELECT id, v FROM a ORDER BY id" | tr '\n' ' ')" "1|uno 2|two " "rows of the committed migrations only"
    expect_eq "$(db_query "SELECT COUNT(*) FROM $VT WHERE $DIRTY = 1")" 0 "no dirty row"
}

# The offline script (--sql upgrade) of a trigger written with DELIMITER (as
# docs/drivers.md shows it) and of a -- dbmig:statement block holding a
# procedure, fed to the mariadb client: each statement with a `;` inside is
# wrapped in DELIMITER (the client would split it there), so the objects
# AND the version rows are there after it, and `status` agrees.
case_mysql_sql_script_delimiter() {
    mkmig "$MIG" 001_touch "-- dbmig:up
CREATE TABLE users (id int, updated_at timestamp NULL);
DELIMITER //
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW
BEGIN
  SET NEW.updated_at = CURRENT_TIMESTAMP;
END//
DELIMITER ;
-- dbmig:down
DROP TABLE users;"
    mkmig "$MIG" 002_proc "-- dbmig:up
-- dbmig:statement begin
CREATE PROCEDURE count_users()
BEGIN
  SELECT 'a // b \$\$ c';
  SELECT COUNT(*) FROM users; -- a comment; with a ;
END;
-- dbmig:statement end
INSERT INTO users (id) VALUES (1);
-- dbmig:down
DROP PROCEDURE count_users;"
    dbm --sql upgrade head
    expect_exit 0 "--sql upgrade of a trigger and a procedure"
    cp "$T/out" "$T/script.sql"
    grep -q '^DELIMITER ;$' "$T/script.sql" || fail "no DELIMITER in the script: $(_snip "$T/script.sql")"
    # the procedure holds // and $$ (in a string, which the client skips):
    # its delimiter is neither, so no client can cut it there
    local d
    d=$(grep -B1 '^CREATE PROCEDURE count_users' "$T/script.sql" | sed -n 's/^DELIMITER //p')
    case $d in ''|//|'$$') fail "the procedure's delimiter is '$d'" ;; esac
    _mysql_client < "$T/script.sql" > "$T/script.log" 2>&1 ||
        fail "the mariadb client refused the --sql script: $(head -c 300 "$T/script.log")"
    expect_applied "001 002" "the script writes the version rows"
    expect_eq "$(db_query "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND trigger_name = 'users_touch'")" 1 "the trigger"
    expect_eq "$(db_query "SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_name = 'count_users'")" 1 "the procedure"
    db_query "UPDATE users SET id = 2" >/dev/null
    expect_eq "$(db_query "SELECT updated_at IS NOT NULL FROM users")" 1 "the trigger's body ran whole"
    expect_eq "$(_mysql_client -N -B -e 'CALL count_users()' | tr '\n' ' ')" 'a // b $$ c 1 ' "the procedure's body"
    dbm status
    expect_exit 0 "status after the script"
    expect_contains out "2 applied"
    expect_contains out "0 pending"
}

CASES=(
    case_mysql_dialect
    case_mysql_lock_holder_named
    case_mysql_special_password
    case_mysql_dml_group
    case_mysql_sql_script_delimiter
)

[ -x "$DBMIG" ] || { echo "cases.sh: $DBMIG is not executable" >&2; exit 2; }
echo "dbmig MySQL cases: $DBMIG"
for c in "${CASES[@]}"; do
    run_case "$c"
done
summary
