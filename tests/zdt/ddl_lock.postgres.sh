#!/usr/bin/env bash
# tests/zdt/ddl_lock.postgres.sh — --ddl-lock-timeout, --ddl-retries and
# --statement-timeout on PostgreSQL (SPEC section 14), with a real blocker:
# a psql session fed through a FIFO that holds a row lock on t in an open
# transaction ("idle in transaction"), so ALTER TABLE t waits for it.
#   retry      the migration times out, is retried, each retry names the
#              blocker (its pid and query), and it succeeds once the
#              blocker commits; --format json lists the retries
#   exhausted  with the retries used up it fails (exit 1, "gave up after N
#              retries" and the blocker); the migration before it in the
#              group is committed, the blocked one is not (schema and
#              version table), and the migration lock is free (a run with
#              --lock-timeout 0 takes it at once)
#   single     --single-transaction: everything rolled back, the whole run
#              retried, all applied in the end
#   notx       outside a transaction only the blocked statement is retried
#              (the one before it is not run twice)
#   stmt       --statement-timeout stops pg_sleep; not retried, not applied
#   concurrent a CREATE INDEX CONCURRENTLY that times out is not retried (it
#              leaves an INVALID index): dirty, with the hint to drop it
#   batch      a -- dbmig:batch whose batch meets a row the application
#              holds: that one batch is rolled back and retried (naming
#              the blocker), the backfill goes on; every row changed once
. "$(dirname "${BASH_SOURCE[0]}")/ddl_lock.lib"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$URL" -c "$1"; }

# hold SQL: a session that runs BEGIN and SQL, then sits idle in its
# transaction (holding SQL's locks) until release; its pid in blk_pid.
idle_in_tx() {
    local state=
    blk_pid=$(head -n1 blk.out 2>/dev/null)
    [ -n "$blk_pid" ] && state=$(q "SELECT state FROM pg_stat_activity WHERE pid = $blk_pid")
    [ "$state" = "idle in transaction" ]
}
hold() {
    blocker_start psql -X -q -At -v ON_ERROR_STOP=1 -d "$URL"
    printf 'SELECT pg_backend_pid();\nBEGIN;\n%s;\n' "$1" >&3
    blocker_wait idle_in_tx
}
applied() { q "SELECT string_agg(revision, ' ' ORDER BY seq) FROM dbmig_version WHERE NOT dirty"; }
has_col() { q "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = '$1'"; }
has_table() { q "SELECT count(*) FROM information_schema.tables WHERE table_name = '$1'"; }

case=setup
printf -- '-- dbmig:up\nCREATE TABLE t (id int PRIMARY KEY, v int);\nINSERT INTO t VALUES (1, 1);\n' >m/001_t.sql
"${D[@]}" -q upgrade || fail "the first migration failed"

# ---- retry: times out, retried, names the blocker, succeeds once it is gone
case=retry
printf -- '-- dbmig:up\nCREATE TABLE x (id int);\n' >m/002_x.sql
printf -- '-- dbmig:up\nALTER TABLE t ADD COLUMN w int;\n' >m/003_w.sql
hold "UPDATE t SET v = 2 WHERE id = 1"
release 2
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 30 --format json upgrade >out.json 2>err.txt
rc=$?
finish_blocker
[ "$rc" = 0 ] || fail "exited $rc: $(cat err.txt)"
grep -q "^lock time-out: 003 statement 1 (m/003_w.sql:2)" err.txt || fail "no retry line: $(cat err.txt)"
grep -qF "blocked by pid $blk_pid (idle in transaction" err.txt || fail "the blocker's pid $blk_pid is not named: $(cat err.txt)"
grep -qF "UPDATE t SET v = 2 WHERE id = 1" err.txt || fail "the blocker's query is not named: $(cat err.txt)"
jq -e --arg p "pid $blk_pid " '(.retries | length) >= 1 and (.retries[0].revision == "003")
    and any(.retries[]; .blocker // "" | startswith($p)) and .retries[0].attempt == 1 and .retries[0].attempts == 31
    and (.applied | map(.revision)) == ["002", "003"]' out.json >/dev/null ||
    fail "the JSON result does not list the retries: $(cat out.json)"
[ "$(applied)" = "001 002 003" ] || fail "applied: $(applied)"
[ "$(has_col w)" = 1 ] || fail "column w is missing"

# ---- exhausted: fails cleanly, nothing half-applied, lock released
case=exhausted
printf -- '-- dbmig:up\nCREATE TABLE y (id int);\n' >m/004_y.sql
printf -- '-- dbmig:up\nALTER TABLE t ADD COLUMN z int;\nCREATE TABLE z (id int);\n' >m/005_z.sql
hold "UPDATE t SET v = 3 WHERE id = 1"
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 2 upgrade 2>err.txt
rc=$?
expect_gave_up 005 2
grep -qF "the last blocker: pid $blk_pid (idle in transaction" err.txt || fail "does not name the last blocker: $(cat err.txt)"
grep -qF "UPDATE t SET v = 3 WHERE id = 1" err.txt || fail "does not name the blocker's query: $(cat err.txt)"
[ "$(applied)" = "001 002 003 004" ] || fail "applied: $(applied)"
[ "$(q "SELECT count(*) FROM dbmig_version WHERE revision = '005'")" = 0 ] || fail "005 has a row"
[ "$(has_col z)$(has_table z)$(has_table y)" = 001 ] || fail "half-applied: z column/table, y table: $(has_col z)$(has_table z)$(has_table y)"
[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" = 0 ] || fail "the migration lock is still held"
release
expect_lock_free "001 002 003 004 005"

# ---- single: --single-transaction retries the whole run
case=single
printf -- '-- dbmig:up\nCREATE TABLE s1 (id int);\n' >m/006_s1.sql
printf -- '-- dbmig:up\nALTER TABLE t ADD COLUMN s int;\n' >m/007_s.sql
hold "UPDATE t SET v = 4 WHERE id = 1"
release 1.5
"${D[@]}" --single-transaction --ddl-lock-timeout 300ms --ddl-retries 30 upgrade 2>err.txt
rc=$?
finish_blocker
[ "$rc" = 0 ] || fail "exited $rc: $(cat err.txt)"
grep -q "^rolled back 006 s1: not applied (a lock time-out rolled back the whole run" err.txt ||
    fail "006 is not said to be rolled back: $(cat err.txt)"
grep -q "^lock time-out: 007" err.txt || fail "no retry line: $(cat err.txt)"
[ "$(applied)" = "001 002 003 004 005 006 007" ] || fail "applied: $(applied)"

# ---- notx: outside a transaction the blocked statement alone is retried
case=notx
printf -- '-- dbmig:transaction off\n-- dbmig:up\nCREATE TABLE n1 (id int);\nALTER TABLE t ADD COLUMN n int;\n' >m/008_n.sql
hold "UPDATE t SET v = 5 WHERE id = 1"
release 1.5
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 30 upgrade 2>err.txt
rc=$?
finish_blocker
[ "$rc" = 0 ] || fail "exited $rc (statement 1 run twice?): $(cat err.txt)"
grep -q "^lock time-out: 008 statement 2 (m/008_n.sql:4).*running the statement again" err.txt ||
    fail "no statement retry line: $(cat err.txt)"
[ "$(applied)" = "001 002 003 004 005 006 007 008" ] || fail "applied: $(applied)"
[ "$(has_col n)$(has_table n1)" = 11 ] || fail "not applied in full"

# ---- stmt: --statement-timeout
case=stmt
printf -- '-- dbmig:up\nCREATE TABLE st (id int);\nSELECT pg_sleep(5);\n' >m/009_sleep.sql
expect_stmt_timeout "pg_sleep(5)" "canceling statement due to statement timeout [57014]"
[ "$(has_table st)" = 0 ] || fail "009 half-applied"
[ "$(q "SELECT count(*) FROM dbmig_version WHERE revision = '009'")" = 0 ] || fail "009 has a row"
printf -- '-- dbmig:up\nCREATE TABLE st (id int);\nSELECT pg_sleep(0.2);\n' >m/009_sleep.sql
"${D[@]}" --statement-timeout 5s upgrade 2>err.txt || fail "a statement under the time-out failed: $(cat err.txt)"

# ---- concurrent: a CREATE INDEX CONCURRENTLY that times out leaves an
# INVALID index: not retried, left dirty with the hint to drop it
case=concurrent
printf -- '-- dbmig:up\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n' >m/010_idx.sql
hold "UPDATE t SET v = 6 WHERE id = 1"
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 5 upgrade 2>err.txt
rc=$?
release
[ "$rc" = 1 ] || fail "exited $rc, not 1: $(cat err.txt)"
grep -q "^lock time-out:" err.txt && fail "the concurrent build was retried: $(cat err.txt)"
grep -qF "a concurrent index build is not retried after a lock time-out" err.txt || fail "does not say why: $(cat err.txt)"
grep -qF "DROP INDEX CONCURRENTLY t_v" err.txt || fail "no hint to drop the INVALID index: $(cat err.txt)"
[ "$(q "SELECT dirty FROM dbmig_version WHERE revision = '010'")" = t ] || fail "010 is not dirty"
q "DROP INDEX CONCURRENTLY t_v" >/dev/null
"${D[@]}" --ddl-lock-timeout 300ms upgrade --resume 2>err.txt || fail "--resume failed: $(cat err.txt)"
[ "$(applied)" = "001 002 003 004 005 006 007 008 009 010" ] || fail "applied: $(applied)"

# ---- batch: a lock time-out retries the one batch, not the backfill
case=batch
q "CREATE TABLE b (id int PRIMARY KEY, runs int NOT NULL DEFAULT 0); INSERT INTO b (id) SELECT generate_series(1, 50)" >/dev/null
printf -- '-- dbmig:up\n-- dbmig:batch by id size 10\nUPDATE b SET runs = runs + 1 WHERE id >= :lo AND id < :hi;\n' >m/011_fill.sql
hold "UPDATE b SET runs = runs WHERE id = 25"
release 2
"${D[@]}" --ddl-lock-timeout 300ms --ddl-retries 30 upgrade 2>err.txt
rc=$?
finish_blocker
[ "$rc" = 0 ] || fail "exited $rc: $(cat err.txt)"
grep -q "^lock time-out: 011 statement 1 (m/011_fill.sql:3)" err.txt || fail "no retry line for the batch: $(cat err.txt)"
grep -qF "blocked by pid $blk_pid" err.txt || fail "the blocker $blk_pid is not named: $(cat err.txt)"
[ "$(q "SELECT min(runs) || ' ' || max(runs) FROM b")" = "1 1" ] ||
    fail "rows not changed exactly once: $(q "SELECT runs, count(*) FROM b GROUP BY runs")"
[ "$(applied)" = "001 002 003 004 005 006 007 008 009 010 011" ] || fail "applied: $(applied)"

exit $((fails > 0))
