#!/usr/bin/env bash
# tests/zdt/ddl_lock.sqlite.sh — --ddl-lock-timeout on SQLite (SPEC section
# 14): the busy time-out. A sqlite3 shell fed through a FIFO holds the
# database's write lock (BEGIN IMMEDIATE) in an open transaction.
#   retry      SQLITE_BUSY after the time-out, retried, applied once the
#              shell commits
#   exhausted  retries used up: exit 1, "gave up after 1 retry", nothing
#              applied (no table, no row), the migration lock free (a run
#              with --lock-timeout 0 applies it)
#   refused    --statement-timeout cannot be honoured by SQLite: a usage
#              error (exit 2) naming the driver and the option, nothing run
#   script     --sql writes the busy time-out at the script's head, and
#              refuses --statement-timeout too
#   exclusive  an EXCLUSIVE lock blocks even dbmig's read of the version
#              table: that read waits --ddl-lock-timeout too (not the URL's
#              10 s busy time-out) and is retried; given up on, the hint does
#              not send the user to ?busy_timeout alone
. "$(dirname "${BASH_SOURCE[0]}")/ddl_lock.lib"
db=${URL#sqlite:}
q() { sqlite3 "$db" "$1"; }

# hold VALUE [MODE]: a shell that takes the write lock (BEGIN MODE,
# IMMEDIATE unless given) and keeps its transaction open.
held() { grep -q held blk.out 2>/dev/null; }
hold() {
    blocker_start sqlite3 "$db"
    printf 'BEGIN %s;\nINSERT INTO t VALUES (%s);\nSELECT '"'"'held'"'"';\n' "${2:-IMMEDIATE}" "$1" >&3
    blocker_wait held
}
applied() { q "SELECT group_concat(revision, ' ') FROM (SELECT revision FROM dbmig_version WHERE dirty = 0 ORDER BY seq)"; }
has_table() { q "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$1'"; }

case=setup
printf -- '-- dbmig:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n' >m/001_t.sql
"${D[@]}" -q upgrade || fail "the first migration failed"

case=retry
printf -- '-- dbmig:up\nCREATE TABLE x (id INTEGER);\n' >m/002_x.sql
hold 1
release 1.5
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 30 upgrade 2>err.txt
rc=$?
finish_blocker
[ "$rc" = 0 ] || fail "exited $rc: $(cat err.txt)"
grep -q "^lock time-out: 002 gave up waiting for a lock (attempt 1 of 31); the blocker is not known" err.txt || fail "no retry line: $(cat err.txt)"
[ "$(applied)" = "001 002" ] || fail "applied: $(applied)"
[ "$(q 'SELECT count(*) FROM t')" = 1 ] || fail "the blocker's row is missing"

case=exhausted
printf -- '-- dbmig:up\nCREATE TABLE y (id INTEGER);\n' >m/003_y.sql
hold 2
"${D[@]}" --ddl-lock-timeout 200ms --ddl-retries 1 upgrade 2>err.txt
rc=$?
expect_gave_up 003 1
release
[ "$(has_table y)" = 0 ] || fail "table y was created"
[ "$(applied)" = "001 002" ] || fail "applied: $(applied)"
expect_lock_free "001 002 003"

case=refused
printf -- '-- dbmig:up\nCREATE TABLE z (id INTEGER);\n' >m/004_z.sql
out=$("${D[@]}" --statement-timeout 1s upgrade 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "exited $rc, not 2: $out"
printf '%s' "$out" | grep -qF "driver sqlite cannot honour --statement-timeout" || fail "does not name the driver and option: $out"
printf '%s' "$out" | grep -qF "DBMIG_STATEMENT_TIMEOUT" || fail "does not say where else it may come from: $out"
[ "$(has_table z)" = 0 ] || fail "004 ran"
out=$(DBMIG_STATEMENT_TIMEOUT=2s "${D[@]}" upgrade --dry-run 2>&1)
[ $? = 2 ] || fail "a dry run with DBMIG_STATEMENT_TIMEOUT was not refused: $out"
"${D[@]}" --ddl-lock-timeout 1s upgrade 2>err.txt || fail "--ddl-lock-timeout alone failed: $(cat err.txt)"
[ "$(has_table z)" = 1 ] || fail "004 was not applied"

case=script
# an offline script runs under the time-out too; what SQLite cannot do is refused there as well
out=$("${D[@]}" --ddl-lock-timeout 1500ms upgrade --sql 2>&1) || fail "--sql failed: $out"
printf '%s\n' "$out" | grep -qx "PRAGMA busy_timeout = 1500;" || fail "the script does not set the busy time-out: $out"
out=$("${D[@]}" --statement-timeout 1s upgrade --sql 2>&1)
[ $? = 2 ] || fail "--sql with --statement-timeout was not refused: $out"

case=exclusive
printf -- '-- dbmig:up\nCREATE TABLE e (id INTEGER);\n' >m/005_e.sql
hold 3 EXCLUSIVE
release 1.5
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 30 upgrade 2>err.txt
rc=$?
finish_blocker
[ "$rc" = 0 ] || fail "exited $rc: $(cat err.txt)"
grep -q "^lock time-out: reading the version table (attempt 1 of 31" err.txt ||
    fail "the version table's read was not retried: $(cat err.txt)"
[ "$(has_table e)" = 1 ] || fail "005 was not applied"
printf -- '-- dbmig:up\nCREATE TABLE e2 (id INTEGER);\n' >m/006_e2.sql
hold 4 EXCLUSIVE
start=$(date +%s)
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 1 upgrade 2>err.txt
rc=$?
release
[ "$rc" = 1 ] || fail "exited $rc, not 1: $(cat err.txt)"
[ $(($(date +%s) - start)) -lt 6 ] || fail "the read waited out the URL's busy time-out: $(cat err.txt)"
[ "$(grep -c '^lock time-out: reading the version table' err.txt)" = 1 ] || fail "not 1 retry line: $(cat err.txt)"
grep -qF -- "--ddl-lock-timeout DURATION when given" err.txt || fail "the hint does not name --ddl-lock-timeout: $(cat err.txt)"
[ "$(has_table e2)" = 0 ] || fail "006 ran"

exit $((fails > 0))
