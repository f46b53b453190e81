#!/usr/bin/env bash
# tests/zdt/ddl_lock.mysql.sh — --ddl-lock-timeout, --ddl-retries and
# --statement-timeout on MariaDB (SPEC section 14), with a real blocker: a
# mariadb client fed through a FIFO that holds a row lock on t in an open
# transaction, so ALTER TABLE t waits for its metadata lock (error 1205
# after lock_wait_timeout, whole seconds).
#   retry      timed out, retried (the statement alone: MariaDB's DDL runs
#              outside a transaction), each retry names the blocker (its
#              connection id and running query), succeeds once it commits
#   exhausted  retries used up: exit 1, "gave up after N retries" naming the
#              blocker idle in its transaction; the blocked migration has no
#              row and no column (its first statement: nothing ran), the one
#              before it is applied; GET_LOCK is free (a run with
#              --lock-timeout 0 takes it at once and applies it)
#   partial    the blocked statement is the second one: statement 1 stays
#              committed, the row dirty with progress 1, and --resume
#              finishes it without running statement 1 again
#   stmt       --statement-timeout stops SLEEP (max_statement_time, 1969)
. "$(dirname "${BASH_SOURCE[0]}")/ddl_lock.lib"
# the client's connection from the URL mysql://user:pw@host:port/db
u=${URL#*://}
my_user=${u%%:*}
u=${u#*:}
my_pw=${u%%@*}
u=${u#*@}
my_host=${u%%:*}
u=${u#*:}
my_port=${u%%/*}
my_db=${u#*/}
my() { mariadb --no-defaults -h "$my_host" -P "$my_port" -u "$my_user" -p"$my_pw" -N -B "$my_db" "$@"; }
q() { my -e "$1"; }

# hold SQL: a session that starts a transaction and runs SQL, holding its
# locks until release (or busy meanwhile: printf 'SELECT SLEEP(3);' >&3);
# its connection id in blk_id.
in_trx() {
    local n=
    blk_id=$(head -n1 blk.out 2>/dev/null)
    [ -n "$blk_id" ] && n=$(q "SELECT count(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = $blk_id")
    [ "$n" = 1 ]
}
hold() {
    blocker_start my --unbuffered
    printf 'SELECT CONNECTION_ID();\nSTART TRANSACTION;\n%s;\n' "$1" >&3
    blocker_wait in_trx
}
applied() { q "SELECT GROUP_CONCAT(revision ORDER BY seq SEPARATOR ' ') FROM dbmig_version WHERE dirty = 0"; }
has_col() { q "SELECT count(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 't' AND column_name = '$1'"; }
has_table() { q "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '$1'"; }

case=setup
printf -- '-- dbmig:up\nCREATE TABLE t (id int PRIMARY KEY, v int) ENGINE=InnoDB;\nINSERT INTO t VALUES (1, 1);\n' >m/001_t.sql
"${D[@]}" -q upgrade || fail "the first migration failed"

# ---- retry: the blocker is busy (SLEEP) inside its transaction, then commits
case=retry
printf -- '-- dbmig:up\nCREATE TABLE x (id int);\n' >m/002_x.sql
printf -- '-- dbmig:up\nALTER TABLE t ADD COLUMN w int;\n' >m/003_w.sql
hold "UPDATE t SET v = 2 WHERE id = 1"
printf 'SELECT SLEEP(3);\n' >&3
release 0
"${D[@]}" --ddl-lock-timeout 1s --ddl-retries 30 --format json upgrade >out.json 2>err.txt
rc=$?
finish_blocker
[ "$rc" = 0 ] || fail "exited $rc: $(cat err.txt)"
grep -q "^lock time-out: 003 statement 1 (m/003_w.sql:2).*running the statement again" err.txt ||
    fail "no retry line: $(cat err.txt)"
grep -qF "blocked by connection $blk_id (User sleep" err.txt || fail "the blocker $blk_id is not named: $(cat err.txt)"
grep -qF "): SELECT SLEEP(3)" err.txt || fail "the blocker's query is not named: $(cat err.txt)"
jq -e --arg p "connection $blk_id " '(.retries | length) >= 1 and .retries[0].revision == "003"
    and any(.retries[]; .blocker // "" | startswith($p)) and (.retries[0].error | contains("[1205/"))' \
    out.json >/dev/null || fail "the JSON result does not list the retries: $(cat out.json)"
[ "$(applied)" = "001 002 003" ] || fail "applied: $(applied)"
[ "$(has_col w)" = 1 ] || fail "column w is missing"

# ---- exhausted: fails cleanly, the lock is free
case=exhausted
printf -- '-- dbmig:up\nCREATE TABLE y (id int);\n' >m/004_y.sql
printf -- '-- dbmig:up\nALTER TABLE t ADD COLUMN z int;\n' >m/005_z.sql
hold "UPDATE t SET v = 3 WHERE id = 1"
"${D[@]}" --ddl-lock-timeout 1s --ddl-retries 1 upgrade 2>err.txt
rc=$?
expect_gave_up 005 1
grep -qF "the last blocker: connection $blk_id (idle in transaction" err.txt ||
    fail "does not name the last blocker: $(cat err.txt)"
grep -qF "nothing of 005 was applied" err.txt || fail "does not say nothing was applied: $(cat err.txt)"
[ "$(applied)" = "001 002 003 004" ] || fail "applied: $(applied)"
[ "$(q "SELECT count(*) FROM dbmig_version WHERE revision = '005'")" = 0 ] || fail "005 has a row"
[ "$(has_col z)$(has_table y)" = 01 ] || fail "half-applied: column z, table y: $(has_col z)$(has_table y)"
release
expect_lock_free "001 002 003 004 005"

# ---- partial: the second statement is blocked and given up on
case=partial
printf -- '-- dbmig:up\nCREATE TABLE p1 (id int);\nALTER TABLE t ADD COLUMN p int;\n' >m/006_p.sql
hold "UPDATE t SET v = 4 WHERE id = 1"
"${D[@]}" --ddl-lock-timeout 1s --ddl-retries 0 upgrade 2>err.txt
rc=$?
expect_gave_up 006 0
grep -qF "statements 1..1 of 006 were committed" err.txt || fail "does not say what is committed: $(cat err.txt)"
[ "$(q "SELECT CONCAT(dirty, ' ', progress) FROM dbmig_version WHERE revision = '006'")" = "1 1" ] ||
    fail "006 is not dirty with progress 1"
release
"${D[@]}" --ddl-lock-timeout 1s upgrade --resume 2>err.txt || fail "--resume failed (statement 1 run again?): $(cat err.txt)"
[ "$(applied)" = "001 002 003 004 005 006" ] || fail "after --resume: applied $(applied)"
[ "$(has_col p)$(has_table p1)" = 11 ] || fail "006 not applied in full"

# ---- stmt: --statement-timeout
case=stmt
printf -- '-- dbmig:up\nSELECT SLEEP(5);\n' >m/007_sleep.sql
expect_stmt_timeout "SLEEP(5)" "(max_statement_time exceeded) [1969/"
printf -- '-- dbmig:up\nSELECT SLEEP(0.2);\n' >m/007_sleep.sql
"${D[@]}" --statement-timeout 5s upgrade --resume 2>err.txt || fail "a statement under the time-out failed: $(cat err.txt)"
[ "$(applied)" = "001 002 003 004 005 006 007" ] || fail "applied: $(applied)"

exit $((fails > 0))
