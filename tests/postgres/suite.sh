#!/usr/bin/env bash
# tests/postgres/suite.sh — PostgreSQL-specific CLI cases, on top of the
# common suite (tests/cli/suite.sh). Uses tests/cli/lib.sh; run by
# tests/postgres/run.sh under `scripts/pg-server.sh run`:
#   DBMIG=... DBMIG_TEST_DRIVER=postgres DBMIG_TEST_URL=$DBMIG_TEST_PG_URL bash suite.sh
# Every case starts from an empty `public` schema (lib.sh's db_reset) and drops
# the extra schemas it makes.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
. "$HERE/../cli/lib.sh"
[ "$DBMIG_TEST_DRIVER" = postgres ] || { echo "suite.sh: postgres only" >&2; exit 2; }

# The password in the test URL (never to be printed).
PW=${DBMIG_TEST_URL#*://}; PW=${PW%%@*}; PW=${PW#*:}
[ -n "$PW" ] && [ "$PW" != "$DBMIG_TEST_URL" ] || { echo "suite.sh: the URL has no password" >&2; exit 2; }

# The documented lock key of the version table public.dbmig_version.
LOCK_WHERE="locktype = 'advisory' AND objsubid = 1 AND granted AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('public.$VT', 0)"

lock_holder_pid() { db_query "SELECT pid FROM pg_locks WHERE $LOCK_WHERE"; }
no_lock_held() { [ -z "$(lock_holder_pid)" ]; }
lock_held() { [ -n "$(lock_holder_pid)" ]; }

# The backend of a dbmig process running a pg_sleep migration (alone, or
# inside a batch of statements sent as one text).
sleeping_backend() {
    db_query "SELECT pid FROM pg_stat_activity WHERE application_name = 'dbmig' AND query LIKE '%pg_sleep%' AND state = 'active'"
}
has_sleeping_backend() { [ -n "$(sleeping_backend)" ]; }

# ---------------------------------------------------------------------------

# Another session holds the documented advisory lock: --lock-timeout 0 exits 4
# naming its backend pid; a short wait says for whom it waits.
case_pg_lock_holder_named() {
    mk_table "$MIG" 001_a a
    psql -X -q -d "$URL" -v ON_ERROR_STOP=1 \
        -c "SET application_name = 'holder-test'" \
        -c "SELECT pg_advisory_lock(hashtextextended('public.$VT', 0))" \
        -c "SELECT pg_sleep(20)" > /dev/null 2>&1 &
    BG_PIDS="$BG_PIDS $!"
    wait_until 10 lock_held
    local pid
    pid=$(lock_holder_pid)
    [ -n "$pid" ] || fail "the psql session does not hold the lock"
    dbm --lock-timeout 0 upgrade head
    expect_exit 4 "--lock-timeout 0 while another session holds the lock"
    expect_contains err "pid $pid"
    expect_contains err "holder-test"
    expect_applied ""
    dbm --lock-timeout 1 upgrade head
    expect_exit 4 "--lock-timeout 1"
    expect_contains err "waiting"
    expect_contains err "pid $pid"
    db_query "SELECT pg_terminate_backend($pid)" > /dev/null
    wait_until 10 no_lock_held
    dbm --lock-timeout 5 upgrade head
    expect_exit 0 "after the holder is gone"
    expect_applied "001"
}

# pg_terminate_backend of the migrating connection mid-migration: exit 1
# naming the server's message, nothing of the migration left, no stale lock,
# and a re-run completes.
case_pg_terminate_backend_midway() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_slow "CREATE TABLE slow_t (id INTEGER);
INSERT INTO slow_t VALUES (1);
SELECT pg_sleep(5);"
    mk_table "$MIG" 003_c c
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval 0 upgrade head > "$T/out.1" 2> "$T/err.1" &
    local p=$! rc=0 be
    BG_PIDS="$BG_PIDS $p"
    wait_until 10 has_sleeping_backend
    be=$(sleeping_backend)
    [ "$(lock_holder_pid)" = "$be" ] || fail "the migrating backend $be does not hold the lock ($(lock_holder_pid))"
    db_query "SELECT pg_terminate_backend($be)" > /dev/null
    wait "$p" || rc=$?
    [ "$rc" = 1 ] || fail "the terminated upgrade exited $rc, expected 1: $(head -c 400 "$T/err.1")"
    grep -q "terminating connection" "$T/err.1" || fail "the error does not give the server's message: $(head -c 400 "$T/err.1")"
    grep -q "002_slow.sql" "$T/err.1" || fail "the error does not name the file: $(head -c 400 "$T/err.1")"
    grep -qF "$PW" "$T/err.1" "$T/out.1" && fail "the password was printed"
    expect_applied "001" "after pg_terminate_backend"
    expect_no_table slow_t "the terminated migration must leave nothing"
    no_lock_held || fail "a lock is still held after the backend was terminated"
    sed -i '$d' "$MIG/002_slow.sql"
    dbm --lock-timeout 0 upgrade head
    expect_exit 0 "re-run after pg_terminate_backend (no stale lock)"
    expect_applied "001 002 003"
    dbm check
    expect_exit 0
}

# kill -9 of dbmig during SELECT pg_sleep(5): the server ends the session
# (and drops the lock) when the statement ends; a re-run waits for that and
# completes; nothing of the killed migration is left.
case_pg_kill9_pg_sleep() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_slow "CREATE TABLE slow_t (id INTEGER);
SELECT pg_sleep(5);"
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval 0 upgrade head > "$T/out.1" 2> "$T/err.1" &
    local p=$!
    BG_PIDS="$BG_PIDS $p"
    wait_until 10 has_sleeping_backend
    kill -9 "$p"
    wait "$p" 2>/dev/null
    expect_applied "001" "after kill -9"
    expect_no_table slow_t
    sed -i '$d' "$MIG/002_slow.sql"
    dbm --lock-timeout 30 upgrade head
    expect_exit 0 "re-run after kill -9"
    expect_applied "001 002"
    no_lock_held || fail "the finished run left its lock"
}

# docs/drivers.md's advice (PostgreSQL, "The lock"): with client_connection_check_interval the server
# notices a kill -9 during a long statement and frees the lock early.
case_pg_kill9_check_interval() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_slow "SELECT pg_sleep(20);"
    "$DBMIG" --url "$URL?options=-c%20client_connection_check_interval%3D300" --dir "$MIG" \
        --commit-interval 0 upgrade head > "$T/out.1" 2> "$T/err.1" &
    local p=$! t0
    BG_PIDS="$BG_PIDS $p"
    wait_until 10 has_sleeping_backend
    kill -9 "$p"
    wait "$p" 2>/dev/null
    t0=$SECONDS
    wait_until 5 no_lock_held
    [ $((SECONDS - t0)) -lt 5 ] || fail "the lock was not freed early"
    expect_applied "001"
}

# --lock lease (the way around a transaction-pooling PgBouncer): concurrent
# processes still apply each revision once.
case_pg_lease_concurrent() {
    mkmig "$MIG" 001_counter "CREATE TABLE counter (rev VARCHAR(10));"
    local i
    for i in 2 3 4 5; do
        mkmig "$MIG" "00${i}_t$i" "CREATE TABLE t$i (id INTEGER);
INSERT INTO counter VALUES ('00$i');
SELECT pg_sleep(0.1);"
    done
    local pids="" p rc bad=""
    for i in $(seq 1 8); do
        "$DBMIG" --url "$URL" --dir "$MIG" --lock lease --lease-seconds 10 --lock-timeout 60 \
            upgrade head > "$T/out.$i" 2> "$T/err.$i" &
        p=$!
        pids="$pids $p"
        BG_PIDS="$BG_PIDS $p"
    done
    i=0
    for p in $pids; do
        i=$((i + 1))
        rc=0
        wait "$p" || rc=$?
        [ "$rc" = 0 ] || bad="$bad process $i exit $rc ($(head -c 300 "$T/err.$i" | tr '\n' '|'))"
    done
    [ -z "$bad" ] || fail "concurrent upgrades with --lock lease:$bad"
    expect_applied "001 002 003 004 005"
    expect_eq "$(db_query "SELECT count(*) || '/' || count(DISTINCT rev) FROM counter")" "4/4" "counter rows"
    expect_table "${VT}_lock" "the lease table"
}

# Sixteen processes at once, with the commit groups of several migrations
# in one transaction: every revision once, everyone exits 0.
case_pg_concurrent_16_grouped() {
    mkmig "$MIG" 001_counter "CREATE TABLE counter (rev VARCHAR(10));"
    local i
    for i in $(seq 2 9); do
        mkmig "$MIG" "00${i}_t$i" "CREATE TABLE t$i (id INTEGER);
INSERT INTO counter VALUES ('00$i');"
    done
    local pids="" p rc bad=""
    for i in $(seq 1 16); do
        "$DBMIG" --url "$URL" --dir "$MIG" --lock-timeout 60 upgrade head > "$T/out.$i" 2> "$T/err.$i" &
        p=$!
        pids="$pids $p"
        BG_PIDS="$BG_PIDS $p"
    done
    i=0
    for p in $pids; do
        i=$((i + 1))
        rc=0
        wait "$p" || rc=$?
        [ "$rc" = 0 ] || bad="$bad process $i exit $rc ($(head -c 300 "$T/err.$i" | tr '\n' '|'))"
    done
    [ -z "$bad" ] || fail "concurrent upgrades:$bad"
    expect_applied "001 002 003 004 005 006 007 008 009"
    expect_eq "$(db_query "SELECT count(*) || '/' || count(DISTINCT rev) FROM counter")" "8/8" "counter rows"
    no_lock_held || fail "a lock is left"
}

# CREATE INDEX CONCURRENTLY (IF NOT EXISTS): outside a transaction, the
# output says so, the index is valid; a failed build is reported with the
# invalid index it leaves.
case_pg_create_index_concurrently() {
    mkmig "$MIG" 001_t "CREATE TABLE t (id INTEGER, v VARCHAR(20));
INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'b');"
    mkmig "$MIG" 002_ix "-- dbmig:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v ON t (v);
-- dbmig:down
DROP INDEX CONCURRENTLY IF EXISTS t_v;"
    dbm upgrade head
    expect_exit 0 "CREATE INDEX CONCURRENTLY IF NOT EXISTS"
    expect_contains err "outside a transaction"
    expect_applied "001 002"
    expect_eq "$(db_query "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass")" t "t_v is valid"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision = '002'")" 0 "002 is clean"
    dbm --dry-run upgrade head
    expect_exit 0
    # IF NOT EXISTS: applying it again by hand is a no-op, not an error
    dbm downgrade 001
    expect_exit 0 "DROP INDEX CONCURRENTLY IF EXISTS"
    expect_eq "$(db_query "SELECT count(*) FROM pg_class WHERE relname = 't_v'")" 0 "t_v dropped"
    dbm upgrade head
    expect_exit 0 "again"
    expect_eq "$(db_query "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass")" t "t_v valid again"

    # a unique concurrent build over duplicates fails and leaves an INVALID
    # index, which the error names
    mkmig "$MIG" 003_uq "-- dbmig:up
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_v_uq ON t (v);
-- dbmig:down
DROP INDEX CONCURRENTLY IF EXISTS t_v_uq;"
    dbm upgrade head
    expect_exit 1 "a failing concurrent unique index"
    expect_contains err "003_uq.sql:2"
    expect_contains err "23505"
    expect_contains err "INVALID index t_v_uq"
    expect_eq "$(db_query "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v_uq'::regclass")" f "the invalid index is left"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision = '003'")" 1 "003 is dirty"
    dbm status
    expect_match out '^ *dirty +003 ' "status (text) names 003 as dirty"
    dbm upgrade head
    expect_exit 3 "refuses while 003 is dirty"
    # fixing the data is not enough: IF NOT EXISTS would skip the invalid
    # index, and recording 003 as applied would be a lie
    db_query "DELETE FROM t WHERE id = 3" > /dev/null
    dbm upgrade --resume head
    expect_exit 1 "--resume with the invalid index still there"
    expect_contains err "55000"
    expect_contains err "t_v_uq exists but is INVALID"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision = '003'")" 1 "003 still dirty"
    # the whole fix: drop the invalid index, resume
    db_query "DROP INDEX t_v_uq" > /dev/null
    dbm upgrade --resume head
    expect_exit 0 "--resume after the fix"
    expect_eq "$(db_query "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v_uq'::regclass")" t "t_v_uq valid after --resume"
    dbm check
    expect_exit 0
}

# A migration mixing CONCURRENTLY with other statements runs
# non-transactionally with the dirty protocol; the output says so.
case_pg_concurrently_mixed() {
    mkmig "$MIG" 001_mixed "CREATE TABLE m (id INTEGER, v TEXT);
CREATE INDEX CONCURRENTLY m_v ON m (v);
INSERT INTO nosuch VALUES (1);"
    dbm upgrade head
    expect_exit 1
    expect_contains err "outside a transaction"
    expect_contains err "001_mixed.sql:3"
    expect_table m "statement 1 committed (no transaction)"
    expect_eq "$(db_query "SELECT $DIRTY || '|' || progress FROM $VT WHERE revision = '001'")" "1|2" "dirty|progress"
}

# Errors carry SQLSTATE, detail, hint; the position maps to file:line.
case_pg_error_position_detail_hint() {
    mkmig "$MIG" 001_e "-- dbmig:up
CREATE TABLE e1 (id INTEGER PRIMARY KEY, v TEXT);
SELECT id,
       v,
       nosuchcol
  FROM e1;"
    dbm upgrade head
    expect_exit 1
    expect_contains err "001_e.sql:5"
    expect_contains err "[42703]"
    expect_contains err "nosuchcol"
    mkmig "$MIG" 001_e "-- dbmig:up
DO \$\$
BEGIN
  RAISE EXCEPTION 'custom failure' USING DETAIL = 'the detail text', HINT = 'the hint text';
END
\$\$;"
    dbm upgrade head
    expect_exit 1
    expect_contains err "custom failure"
    expect_contains err "[P0001]"
    expect_contains err "the detail text"
    expect_contains err "the hint text"
    expect_contains err "001_e.sql:2"
}

# The server's position is in characters: multi-byte text before the error
# must not shift the reported line.
case_pg_error_line_multibyte() {
    mkmig "$MIG" 001_mb "-- dbmig:up
SELECT 'éééééééééééééééééééééééééééééééééééééééé',
  'ü',
  nosuchcol;"
    dbm upgrade head
    expect_exit 1
    expect_contains err "001_mb.sql:4"
}

# RAISE NOTICE reaches the user with -v (INFO), never without.
case_pg_notices() {
    mkmig "$MIG" 001_n "DO \$\$ BEGIN RAISE NOTICE 'hello from the migration'; END \$\$;"
    dbm -v upgrade head
    expect_exit 0
    expect_contains err "hello from the migration"
    dbm --table vt_quiet upgrade head
    expect_exit 0
    expect_not_contains err "hello from the migration"
}

# ?search_path= puts the version table and the migrations' tables in that
# schema; --table schema.table works too.
case_pg_search_path() {
    db_query "DROP SCHEMA IF EXISTS app CASCADE; DROP SCHEMA IF EXISTS meta CASCADE" > /dev/null
    mk_chain3 "$MIG"
    run --url "$URL?search_path=app" --dir "$MIG" upgrade head
    expect_exit 1 "a search_path naming no existing schema"
    expect_contains err "search_path=app"
    expect_not_contains all "$PW"
    db_query "CREATE SCHEMA app" > /dev/null
    run --url "$URL?search_path=app" --dir "$MIG" upgrade head
    expect_exit 0 "upgrade with ?search_path=app"
    expect_eq "$(db_query "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'app'")" "a b c $VT" "tables in app"
    expect_no_table "$VT" "nothing in public"
    run --url "$URL?search_path=app" --dir "$MIG" check
    expect_exit 0
    run --url "$URL" --dir "$MIG" check
    expect_exit 3 "public has no version table: everything pending"
    db_query "CREATE SCHEMA meta" > /dev/null
    run --url "$URL" --dir "$MIG" --table meta.versions upgrade head
    expect_exit 0 "--table meta.versions"
    expect_eq "$(db_query "SELECT count(*) FROM meta.versions")" 3 "rows in meta.versions"
    expect_table a "migrations in the current schema (public)"
    db_query "DROP SCHEMA app CASCADE; DROP SCHEMA meta CASCADE" > /dev/null
}

# The sample project applies and reverts cleanly.
case_pg_sample_migrations() {
    local dir=$DBMIG_SOURCE_DIR/migrations
    run --url "$URL" --dir "$dir" upgrade head
    expect_exit 0 "upgrade head of migrations/"
    run --url "$URL" --dir "$dir" check
    expect_exit 0 "check"
    local n
    n=$(db_query "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '$VT'")
    [ "$n" -ge 5 ] || fail "only $n tables after upgrade head"
    run --url "$URL" --dir "$dir" downgrade base
    expect_exit 0 "downgrade base of migrations/"
    expect_eq "$(db_query "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '$VT'")" 0 "tables left after downgrade base"
    expect_eq "$(db_query "SELECT count(*) FROM $VT")" 0 "version rows left"
    run --url "$URL" --dir "$dir" upgrade head
    expect_exit 0 "upgrade head again"
}

# The password never appears: wrong password, refused port, and libpq
# echoing a parameter that holds it.
case_pg_password_never_printed() {
    mk_chain3 "$MIG"
    local bad=${URL/:$PW@/:${PW}x@}
    local refused="postgres://u:$PW@127.0.0.1:1/db"
    local echoed="$URL?sslmode=$PW"
    local u
    # Masking is by the URL's structure (issue 13 #22): the URL shows its
    # sslmode as written (not a secret there; masking it would tell that it
    # equals the password), and libpq's quoted echo of it becomes "***".
    _unsay_sslmode() { sed -i "s/sslmode=$PW//g" "$T/out" "$T/err"; }
    for u in "$bad" "$refused" "$echoed"; do
        run --url "$u" --dir "$MIG" status
        expect_exit 1 "status with $u"
        _unsay_sslmode
        expect_not_contains all "$PW"
        expect_contains err "***"
        run -v --url "$u" --dir "$MIG" --format json status
        expect_nonzero
        _unsay_sslmode
        expect_not_contains all "$PW"
        DATABASE_URL=$u PGPASSWORD= run --dir "$MIG" upgrade head
        expect_nonzero
        _unsay_sslmode
        expect_not_contains all "$PW"
    done
    run --url "$echoed" --dir "$MIG" status
    expect_contains err 'invalid sslmode value: "***"'
    run --url "$bad" --dir "$MIG" status
    expect_contains err "password authentication failed"
    expect_contains err "28P01"
    run --url "$refused" --dir "$MIG" status
    expect_contains err "Connection refused"
    # a successful run does not print it either
    run -v --url "$URL" --dir "$MIG" upgrade head
    expect_exit 0
    expect_not_contains all "$PW"
    run -v --url "$URL" --dir "$MIG" --format json status
    expect_not_contains all "$PW"
}

# Literals are quoted by PostgreSQL's rules online and in --sql scripts.
case_pg_quoting_messages() {
    mkmig "$MIG" 001_q "-- dbmig:message it's a back\\slash and a \"quote\"
CREATE TABLE q (id INTEGER);"
    dbm upgrade head
    expect_exit 0
    expect_eq "$(db_query "SELECT message FROM $VT")" "it's a back\\slash and a \"quote\"" "message stored"
    dbm stamp base
    db_query "DROP TABLE q" > /dev/null
    dbm --sql upgrade head
    expect_exit 0
    expect_contains out "BEGIN"
    expect_contains out "COMMIT"
    cp "$T/out" "$T/script.sql"
    db_script "$T/script.sql" > "$T/script.log" 2>&1 || fail "the --sql script failed: $(head -c 300 "$T/script.log")"
    expect_eq "$(db_query "SELECT message FROM $VT")" "it's a back\\slash and a \"quote\"" "message from the script"
    dbm check
    expect_exit 0
}

# application_name: dbmig unless the URL says otherwise (seen by the server).
case_pg_application_name() {
    mkmig "$MIG" 001_s "SELECT pg_sleep(1.5);"
    "$DBMIG" --url "$URL?application_name=deploy-42" --dir "$MIG" upgrade head > "$T/out.1" 2> "$T/err.1" &
    BG_PIDS="$BG_PIDS $!"
    _has_app() { [ -n "$(db_query "SELECT pid FROM pg_stat_activity WHERE application_name = 'deploy-42'")" ]; }
    wait_until 10 _has_app
    wait
    expect_applied "001"
}

CASES=(
    case_pg_lock_holder_named
    case_pg_terminate_backend_midway
    case_pg_kill9_pg_sleep
    case_pg_kill9_check_interval
    case_pg_lease_concurrent
    case_pg_concurrent_16_grouped
    case_pg_create_index_concurrently
    case_pg_concurrently_mixed
    case_pg_error_position_detail_hint
    case_pg_error_line_multibyte
    case_pg_notices
    case_pg_search_path
    case_pg_sample_migrations
    case_pg_password_never_printed
    case_pg_quoting_messages
    case_pg_application_name
)

[ -x "$DBMIG" ] || { echo "suite.sh: $DBMIG is not executable" >&2; exit 2; }
echo "dbmig PostgreSQL cases: $DBMIG"
for c in "${CASES[@]}"; do
    run_case "$c"
done
summary
