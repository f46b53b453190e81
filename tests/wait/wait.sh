#!/usr/bin/env bash
# tests/wait/wait.sh — `dbmig wait` (SPEC section 16) through the real binary:
# the time-out (exit 4 and what it still waited for), success once a
# concurrent, slow upgrade finishes, a dirty revision held by a running
# upgrade, --reachable, --phase pre, JSON, bad --timeout values, Ctrl-C, and
# the failures that must not wait (a bad folder, no URL). On PostgreSQL also
# a closed port (the error redacted) and a server that starts late, on the
# port the wait is already trying.
#
#   DBMIG=build/dbmig bash tests/wait/wait.sh                       # SQLite
#   scripts/pg-server.sh run env DBMIG=build/dbmig DBMIG_TEST_DRIVER=postgres \
#       bash tests/wait/wait.sh
#
# Conventions of tests/cli/lib.sh: DBMIG_TEST_ONLY=regex, DBMIG_TEST_VERBOSE=1,
# DBMIG_TEST_KEEP=1.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DBMIG_TEST_DRIVER=${DBMIG_TEST_DRIVER:-sqlite}
if [ "$DBMIG_TEST_DRIVER" = postgres ]; then
    : "${DBMIG_TEST_PG_URL:?run me through scripts/pg-server.sh run}"
    DBMIG_TEST_URL=${DBMIG_TEST_URL:-$DBMIG_TEST_PG_URL}
fi
# shellcheck source=../cli/lib.sh
. "$HERE/../cli/lib.sh"

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# bg_wait ARGS...: `dbmig --url URL --dir MIG wait ARGS...` in the
# background; stdout in $T/w.out, stderr in $T/w.err, pid in $WPID.
bg_wait() {
    # emptied here, not by the background redirection: a wait_until right
    # after must not read the previous run's lines (a race seen in CI)
    : > "$T/w.out"
    : > "$T/w.err"
    "$DBMIG" --url "$URL" --dir "$MIG" wait "$@" > "$T/w.out" 2> "$T/w.err" &
    WPID=$!
    BG_PIDS="$BG_PIDS $WPID"
}

# reap PID: its exit code in $WRC (after it ended by itself).
reap() { WRC=0; wait "$1" || WRC=$?; }

alive() { kill -0 "$1" 2>/dev/null; }
has_line() { grep -qF -- "$2" "$1"; }

# a chain whose second revision takes about a second (slow_sql: ~1 s)
mk_slow_chain() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_slow "${1:-}-- dbmig:up
$(slow_sql 4000000)
CREATE TABLE b (id INTEGER PRIMARY KEY);"
    mk_table "$MIG" 003_c c
}

# ---------------------------------------------------------------------------

case_timeout_pending() {
    mk_chain3 "$MIG"
    dbm upgrade 001
    expect_exit 0 "upgrade 001"
    local t0 t1
    t0=$(now_ms)
    dbm wait --timeout 1
    t1=$(now_ms)
    expect_exit 4 "wait with two revisions pending"
    expect_contains err "timed out after 1 s"
    expect_contains err "waiting for 2 pending revisions (002, 003) to be applied"
    expect_contains err "run \`dbmig upgrade\`"
    # one line per state, not per look
    expect_contains err "waiting up to 1 s: 2 revisions pending (002, 003)"
    expect_eq "$(grep -c 'revisions pending (002, 003)' "$T/err")" 1 "state lines"
    expect_no_match err '^look [0-9]' "a line per look without -v"
    (((t1 - t0) >= 1000 && (t1 - t0) < 4000)) || fail "wait --timeout 1 took $((t1 - t0)) ms"
    [ ! -s "$T/out" ] || fail "nothing on stdout when not ready: $(cat "$T/out")"
    # the same with -v: a line per look, each with the pause that follows
    dbm wait --timeout 500ms -v
    expect_exit 4 "wait -v"
    expect_match err '^look 1 after 0\.[0-9] s: 2 revisions pending \(002, 003\); next in [0-9]+ ms$'
    expect_match err '^look [3-9] after'
    # --timeout 0: one look
    dbm wait --timeout 0
    expect_exit 4 "wait --timeout 0"
    expect_contains err "not ready at the only look (time-out 0)"
    dbm upgrade
    dbm wait --timeout 0
    expect_exit 0 "wait once everything is applied"
    expect_contains out "ready: nothing pending, 3 revisions applied"
    dbm wait -q
    expect_exit 0 "wait -q"
    [ ! -s "$T/out" ] && [ ! -s "$T/err" ] || fail "wait -q printed: $(cat "$T/out" "$T/err")"
}

# No version table yet: reachable, everything pending (nothing created).
case_no_version_table() {
    mk_chain3 "$MIG"
    # a database that exists and holds a table, but not dbmig's
    db_query "CREATE TABLE unrelated (id INTEGER)" > /dev/null
    dbm --format json wait --timeout 0
    expect_exit 4 "no version table"
    expect_jq '.state == "pending" and .reachable and .applied == 0 and .pending == ["001","002","003"]'
    table_exists "$VT" && fail "wait created the version table"
    return 0
}

# wait in the background, then a slow upgrade: wait is still waiting while
# the upgrade runs (its open group is invisible) and exits 0 soon after.
case_concurrent_upgrade() {
    mk_slow_chain
    [ "$DB_KIND" = sqlite ] && db_query "CREATE TABLE unrelated (id INTEGER)" > /dev/null
    bg_wait --timeout 30 --format json
    wait_until 10 has_line "$T/w.err" "waiting up to 30 s: 3 revisions pending"
    "$DBMIG" --url "$URL" --dir "$MIG" upgrade > "$T/u.out" 2> "$T/u.err" &
    local upid=$!
    BG_PIDS="$BG_PIDS $upid"
    wait_until 10 has_line "$T/u.err" "applying 002"
    sleep 0.4
    alive "$WPID" || fail "wait ended while the slow migration ran: $(cat "$T/w.out" "$T/w.err")"
    reap "$upid"
    expect_eq "$WRC" 0 "the upgrade"
    local t_up
    t_up=$(now_ms)
    reap "$WPID"
    (($(now_ms) - t_up < 3000)) || fail "wait took $(($(now_ms) - t_up)) ms after the upgrade ended"
    expect_eq "$WRC" 0 "wait once the upgrade ended; stderr: $(cat "$T/w.err")"
    cp "$T/w.out" "$T/out"
    expect_jq '.ready and .state == "ready" and .applied == 3 and .pending == [] and .polls > 1 and .exit_code == 0'
    expect_applied "001 002 003"
}

# A revision outside a transaction is dirty while it runs: wait waits for
# it (an upgrade in progress), and says so; then ready.
case_dirty_while_running() {
    mk_slow_chain "-- dbmig:transaction off
"
    dbm upgrade 001
    expect_exit 0 "upgrade 001"
    "$DBMIG" --url "$URL" --dir "$MIG" upgrade > "$T/u.out" 2> "$T/u.err" &
    local upid=$!
    BG_PIDS="$BG_PIDS $upid"
    wait_until 10 has_line "$T/u.err" "applying 002"
    bg_wait --timeout 30
    wait_until 10 has_line "$T/w.err" "1 dirty revision (002) and 1 other pending"
    reap "$upid"
    expect_eq "$WRC" 0 "the upgrade"
    reap "$WPID"
    expect_eq "$WRC" 0 "wait after the dirty revision was finished; stderr: $(cat "$T/w.err")"
    expect_contains "$T/w.out" "ready: nothing pending, 3 revisions applied"
}

# A revision left dirty by a failure: no upgrade will finish it, so the
# time-out says how to settle it.
case_dirty_failed() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_bad "-- dbmig:transaction off
-- dbmig:up
CREATE TABLE b (id INTEGER);
INSERT INTO no_such_table VALUES (1);"
    dbm upgrade
    expect_exit 1 "the failing upgrade"
    dbm wait --timeout 300ms
    expect_exit 4 "wait on a dirty revision"
    expect_contains err "waiting for 1 dirty revision (002): an upgrade may still be applying it"
    expect_contains err "dbmig upgrade --resume"
    expect_contains err "dbmig repair"
    dbm --format json wait --timeout 0
    expect_jq '.state == "dirty" and .dirty == ["002"] and .pending == ["002"] and .applied == 1'
}

case_reachable() {
    mk_chain3 "$MIG"
    dbm upgrade 001
    dbm wait --reachable --timeout 0
    expect_exit 0 "--reachable with pending revisions"
    expect_contains out "ready: the database is reachable"
    # the migrations folder is not read at all
    run --url "$URL" --dir "$T/no-such-folder" wait --reachable
    expect_exit 0 "--reachable without a migrations folder"
    run --url "$URL" --dir "$T/no-such-folder" --format json wait --reachable
    expect_jq '.ready and .reachable_only and .state == "ready" and .pending == null'
}

case_phase_pre() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_post "-- dbmig:phase post
-- dbmig:up
CREATE TABLE b (id INTEGER);"
    dbm upgrade --phase pre
    expect_exit 0 "upgrade --phase pre"
    dbm wait --phase pre --timeout 0
    expect_exit 0 "wait --phase pre with only a post revision pending"
    expect_contains out "ready: nothing pending before the deploy, 1 revision applied"
    expect_contains out "1 post-deployment revision pending (002)"
    expect_not_contains err "has no effect"
    dbm --format json wait --phase pre --timeout 0
    expect_jq '.ready and .phase == "pre" and .post_pending == ["002"] and .pending == []'
    dbm wait --timeout 0
    expect_exit 4 "plain wait: the post revision is pending"
    expect_contains err "1 pending revision (002)"
    # a pre revision pending is waited for, and the advice names the phase
    mk_table "$MIG" 003_c c
    dbm wait --phase pre --timeout 0
    expect_exit 4 "wait --phase pre with a pre revision pending"
    expect_contains err "1 pending revision (003)"
    expect_contains err "dbmig upgrade --phase pre"
}

case_bad_timeout() {
    mk_chain3 "$MIG"
    local v
    for v in "" abc -1 5x 1e3 0.5ms 1.5h 99999999999 " 5"; do
        dbm wait --timeout "$v"
        expect_exit 2 "--timeout '$v'"
        expect_contains err "bad value '$v' for --timeout of wait"
        expect_contains err "like 60, 90s, 500ms or 5m"
    done
    dbm wait --timeout=abc
    expect_exit 2 "--timeout=abc"
    dbm wait --timeout 1 --timeout 2
    expect_exit 2 "--timeout twice"
    expect_contains err "given twice"
    dbm wait --timeout
    expect_exit 2 "--timeout without a value"
    dbm wait head
    expect_exit 2 "an argument"
    expect_contains err "wait takes no argument 'head'"
    dbm wait --reachable=yes
    expect_exit 2 "--reachable with a value"
    dbm wait --timout 5
    expect_exit 2 "a misspelt option"
    expect_contains err "did you mean --timeout"
    # the forms that are fine: seconds, ms, s, m, fractions
    dbm upgrade
    for v in 0 2 2.5 1500ms 3s 0.1m 5m; do
        dbm wait --timeout "$v"
        expect_exit 0 "--timeout $v"
    done
}

# What cannot be fixed by waiting fails at once, whatever the time-out.
case_fails_at_once() {
    mk_table "$MIG" 001_a a
    printf -- '-- dbmig:parents 999\n-- dbmig:up\nCREATE TABLE z (id INTEGER);\n' > "$MIG/002_z.sql"
    local t0
    t0=$(now_ms)
    dbm wait --timeout 30
    expect_exit 3 "a bad migration folder"
    expect_contains err "002_z.sql"
    run --dir "$MIG" wait --timeout 30 --reachable
    expect_exit 2 "no URL"
    expect_contains err "no database URL"
    run --url "nosuchdriver://x" --dir "$MIG" wait --timeout 30 --reachable
    expect_exit 2 "an unknown driver"
    run --url "$URL" --dir "$MIG" --sql wait --timeout 30
    expect_exit 2 "--sql"
    (($(now_ms) - t0 < 5000)) || fail "the failures waited: $(($(now_ms) - t0)) ms"
}

case_interrupt() {
    mk_chain3 "$MIG"
    dbm upgrade 001
    local sig code
    for sig in INT TERM; do
        bg_wait --timeout 60
        wait_until 10 has_line "$T/w.err" "waiting up to 60 s"
        # SIGINT once the pauses are long (~1 s): it must not wait them out
        [ "$sig" = INT ] && sleep 1.7
        local t0
        t0=$(now_ms)
        kill -"$sig" "$WPID"
        reap "$WPID"
        code=130
        [ "$sig" = TERM ] && code=143
        expect_eq "$WRC" "$code" "wait stopped by SIG$sig"
        (($(now_ms) - t0 < 400)) || fail "SIG$sig took $(($(now_ms) - t0)) ms to stop wait"
        expect_contains "$T/w.err" "interrupted while waiting"
    done
}

case_json_timeout() {
    mk_chain3 "$MIG"
    dbm upgrade 002
    dbm --format json wait --timeout 200ms
    expect_exit 4 "json time-out"
    expect_jq '.command == "wait" and .ready == false and .state == "pending" and .exit_code == 4'
    expect_jq '.pending == ["003"] and .applied == 2 and .dirty == [] and .timeout_ms == 200'
    expect_jq '(.error | test("timed out after 0.2 s")) and .last_error == null and .polls >= 2'
}

# ---- SQLite only -----------------------------------------------------------

# The file does not exist yet: waited for (`upgrade` creates it), never
# created by wait; --reachable waits for it too.
case_sqlite_file_missing() {
    [ "$DB_KIND" = sqlite ] || skip "SQLite files"
    mk_chain3 "$MIG"
    dbm wait --reachable --timeout 200ms
    expect_exit 4 "--reachable, no file"
    expect_contains err "waiting for the database to exist"
    expect_contains err "\`dbmig upgrade\` creates a new database"
    [ ! -e "$DB_FILE" ] || fail "wait created $DB_FILE"
    dbm --format json wait --timeout 0
    expect_jq '.state == "no_database" and .reachable == false and (.last_error | test("does not exist"))'
    # its folder is missing too: upgrade would not create that, and the
    # advice says so (review of issue 19, finding 9)
    run --dir "$MIG" --url "sqlite:$T/nodir/x.db" wait --timeout 0
    expect_exit 4 "no folder"
    expect_contains err "nor does its folder"
    expect_contains err "create the folder (mkdir -p)"
    expect_not_contains err "creates it"
    [ ! -e "$T/nodir" ] || fail "wait created the folder"
}

# ---- PostgreSQL only ---------------------------------------------------------

# Its helpers: _pg_free_port (a port nothing listens on), _pg_as_owner.
# shellcheck source=../../scripts/pg-server.sh
. "$HERE/../../scripts/pg-server.sh"

case_pg_closed_port() {
    [ "$DB_KIND" = postgres ] || skip "PostgreSQL"
    mk_chain3 "$MIG"
    local port
    port=$(_pg_free_port) || fail "no free port"
    run --url "postgres://someone:s3cr3tpw@127.0.0.1:$port/db?connect_timeout=2" --dir "$MIG" wait --timeout 1
    expect_exit 4 "a closed port"
    expect_contains err "waiting for the database to be reachable; the last attempt: cannot connect to postgres://someone:***@127.0.0.1:$port/db"
    expect_match err 'Connection refused|connection refused'
    expect_contains err "waiting up to 1 s: the database is not reachable"
    expect_not_contains all "s3cr3tpw"
    run --url "postgres://someone:s3cr3tpw@127.0.0.1:$port/db" --dir "$MIG" --format json wait --timeout 0
    expect_jq '.state == "unreachable" and .reachable == false and (.last_error | test("\\*\\*\\*"))'
    expect_not_contains all "s3cr3tpw"
}

# Connected, but the version table cannot be read (owned by another role):
# waited for like a connection error, and said as what it is.
case_pg_read_denied() {
    [ "$DB_KIND" = postgres ] || skip "PostgreSQL"
    [ -n "${PG_SERVER_SOCKET:-}" ] || skip "needs the server of scripts/pg-server.sh"
    mk_chain3 "$MIG"
    dbm upgrade 001
    psql -X -q -h "$PG_SERVER_SOCKET" -p "$PGPORT" -U postgres -d "$PGDATABASE" -v ON_ERROR_STOP=1 \
        -c "ALTER TABLE public.$VT OWNER TO postgres" ||
        fail "could not give the version table to postgres"
    dbm wait --timeout 1
    expect_exit 4 "an unreadable version table"
    expect_contains err "waiting up to 1 s: connected, but the read failed: cannot read the version table"
    expect_contains err "waiting for the database to answer; it connected, but the last read failed"
    expect_contains err "permission denied"
    dbm --format json wait --reachable --timeout 0
    expect_exit 0 "--reachable does not read the version table"
}

# The server is down when wait starts, and comes back on the same port.
case_pg_server_starts_late() {
    [ "$DB_KIND" = postgres ] || skip "PostgreSQL"
    [ -n "${PG_SERVER_DIR:-}" ] || skip "needs the server of scripts/pg-server.sh"
    mk_chain3 "$MIG"
    dbm upgrade
    _pg_as_owner "$PG_SERVER_BINDIR/pg_ctl" -D "$PG_SERVER_DIR/data" -m fast -w stop > /dev/null ||
        fail "could not stop the server"
    bg_wait --reachable --timeout 30
    wait_until 10 has_line "$T/w.err" "the database is not reachable"
    sleep 0.5
    alive "$WPID" || fail "wait ended while the server was down: $(cat "$T/w.err")"
    _pg_as_owner "$PG_SERVER_BINDIR/pg_ctl" -D "$PG_SERVER_DIR/data" -w -t 60 \
        -l "$PG_SERVER_DIR/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $PG_SERVER_PORT -c unix_socket_directories='$PG_SERVER_SOCKET' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start > /dev/null || fail "could not start the server again"
    local t_up
    t_up=$(now_ms)
    reap "$WPID"
    expect_eq "$WRC" 0 "wait --reachable once the server is back; stderr: $(cat "$T/w.err")"
    (($(now_ms) - t_up < 4000)) || fail "wait took $(($(now_ms) - t_up)) ms after the server started"
    expect_contains "$T/w.out" "ready: the database is reachable"
    dbm wait --timeout 5
    expect_exit 0 "full wait on the restarted server"
}

CASES=(
    case_timeout_pending
    case_no_version_table
    case_concurrent_upgrade
    case_dirty_while_running
    case_dirty_failed
    case_reachable
    case_phase_pre
    case_bad_timeout
    case_fails_at_once
    case_interrupt
    case_json_timeout
    case_sqlite_file_missing
    case_pg_closed_port
    case_pg_read_denied
    case_pg_server_starts_late
)

[ -x "$DBMIG" ] || { echo "wait.sh: $DBMIG is not executable" >&2; exit 2; }
echo "dbmig wait suite ($DBMIG_TEST_DRIVER): $DBMIG"
for c in "${CASES[@]}"; do
    run_case "$c"
done
summary
