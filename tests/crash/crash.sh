#!/usr/bin/env bash
# crash.sh — crash and race suite for one database.
#
#   DBMIG=build/dbmig bash tests/crash/crash.sh sqlite
#   scripts/pg-server.sh run bash tests/crash/crash.sh postgres       (uses DBMIG_TEST_PG_URL)
#   scripts/mariadb-server.sh run bash tests/crash/crash.sh mysql     (uses DBMIG_TEST_MYSQL_URL)
#
# Four parts, each followed by the invariant check:
#   kills   CRASH_KILLS times (default 12): `upgrade` to a random target or
#           `downgrade` by a random count, SIGKILLed after a random delay
#           (so at a random migration and statement); only a kill that hit
#           a running process counts (its exit status is 137), tries go on
#           with shorter delays until CRASH_KILLS have hit (at most 4 x as
#           many tries, else a violation); then the lock must be
#           free again, `status` must report any dirty revision, and an
#           operator-like recovery plus a re-run must reach head.
#   races   CRASH_RACES rounds (default 2) of CRASH_PROCS (default 16)
#           processes running `upgrade head` (a quarter with
#           --lock-timeout 0) while one more runs `downgrade -2`; every
#           process must exit 0, or 4 for the --lock-timeout 0 ones.
#   server  CRASH_TERMINATIONS times (default 4, postgres and mysql only):
#           the migrating connection is killed by the server
#           (pg_terminate_backend / KILL CONNECTION) mid-migration; at
#           least one of them must hit (the upgrade exits 1).
#   windows (mysql only) five deterministic kills inside a row change that
#           the dirty protocol commits with its own progress record (the
#           statement waits on a row the script holds): status must be
#           exact, the change made at most once, the re-run must finish it.
# Invariants after each: every revision applied at most once (each up
# section logs itself into crash_log, each down removes its line); the
# version table agrees with the schema, read through the catalog; a dirty
# revision appears only on a non-transactional path, is reported by
# `status`, and its `progress` is at most one statement behind what ran;
# no lock outlives its process (the next run takes it within 10 s).
#
# Prints a summary line "crash <driver>: K kills, R races (P processes),
# S server kills, D dirty recoveries, 0 lost, 0 double-applied,
# 0 stale locks" and exits 1 on any violation.
set -uo pipefail
DRIVER=${1:?usage: crash.sh sqlite|postgres|mysql}
: "${DBMIG:?DBMIG must name the dbmig binary}"
DBMIG=$(cd "$(dirname "$DBMIG")" && pwd)/$(basename "$DBMIG")
KILLS=${CRASH_KILLS:-12}
RACES=${CRASH_RACES:-2}
PROCS=${CRASH_PROCS:-16}
TERMS=${CRASH_TERMINATIONS:-4}
SEED=${CRASH_SEED:-$RANDOM}
RANDOM=$SEED
N=10                      # migrations
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_LOCK_TIMEOUT DBMIG_PLUGIN_PATH DBMIG_FORMAT
export NO_COLOR=1

W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-crash.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; done
    wait 2> /dev/null
    [ -n "${CRASH_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
MIG=$W/m
mkdir -p "$MIG"

violations=0 kills=0 races=0 terms=0 dirty_recoveries=0 lock_waits_max=0
kill_misses=0 term_misses=0
declare -A vkind=([lost]=0 [double]=0 [stale]=0 [dirty]=0 [exit]=0 [other]=0)
say() { printf '%s\n' "$*"; }
# violation KIND MESSAGE — KIND: lost, double, stale, dirty (a dirty state
# wrongly recorded or reported), exit (a wrong exit code or message), other.
violation() {
    local k=$1
    shift
    say "VIOLATION ($k): $*"
    violations=$((violations + 1))
    vkind[$k]=$((${vkind[$k]:-0} + 1))
}

# ---- the database ----------------------------------------------------------
case $DRIVER in
    sqlite)
        URL="sqlite:$W/crash.db"
        sql() { sqlite3 -batch -noheader "$W/crash.db" "$1"; }
        SLOW="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 150000) SELECT COUNT(*) FROM c"
        TXDDL=1
        ;;
    postgres)
        URL=${DBMIG_TEST_PG_URL:?run through scripts/pg-server.sh run}
        sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
        SLOW="SELECT pg_sleep(0.03)"
        TXDDL=1
        ;;
    mysql)
        URL=${DBMIG_TEST_MYSQL_URL:?run through scripts/mariadb-server.sh run}
        MYDB=${URL##*/}; MYDB=${MYDB%%\?*}
        sql() { mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot -N -B "$MYDB" -e "$1" 2>&1; }
        SLOW="DO SLEEP(0.03)"
        TXDDL=0
        ;;
    *) echo "crash.sh: unknown driver $DRIVER" >&2; exit 2 ;;
esac
PASSWORD=${URL#*://}; PASSWORD=${PASSWORD%%@*}; PASSWORD=${PASSWORD#*:}

reset_db() {
    case $DRIVER in
        sqlite) rm -f "$W/crash.db" "$W/crash.db.dbmig-lock" "$W/crash.db-journal" "$W/crash.db-wal" ;;
        postgres) sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" > /dev/null ;;
        mysql)
            local t
            for t in $(sql "SELECT table_name FROM information_schema.tables WHERE table_schema = '$MYDB'"); do
                sql "DROP TABLE IF EXISTS \`$t\`" > /dev/null
            done
            ;;
    esac
}

list_tables() { # the tables of the current schema, through the catalog
    case $DRIVER in
        sqlite) sql "SELECT name FROM sqlite_master WHERE type = 'table'" ;;
        postgres) sql "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()" ;;
        mysql) sql "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()" ;;
    esac
}

# ---- the migrations -----------------------------------------------------------
# 001 creates crash_log. Every revision i: creates t_i, logs itself, runs a
# slow statement, inserts a row. 004 and 008 run outside a transaction.
{
    printf -- '-- dbmig:up\nCREATE TABLE crash_log (rev VARCHAR(16) NOT NULL, stmt INTEGER NOT NULL);\n'
    printf -- 'CREATE TABLE t_001 (x INTEGER);\nINSERT INTO crash_log (rev, stmt) VALUES (%s, 2);\n' "'001'"
    printf -- '%s;\nINSERT INTO t_001 VALUES (1);\n' "$SLOW"
    printf -- '-- dbmig:down\nDROP TABLE t_001;\nDROP TABLE crash_log;\n'
} > "$MIG/001_log.sql"
for i in $(seq 2 $N); do
    r=$(printf '%03d' "$i")
    {
        case $i in 4|8) printf -- '-- dbmig:transaction off\n' ;; esac
        printf -- '-- dbmig:up\nCREATE TABLE t_%s (x INTEGER);\n' "$r"
        printf -- "INSERT INTO crash_log (rev, stmt) VALUES ('%s', 2);\n" "$r"
        printf -- '%s;\nINSERT INTO t_%s VALUES (%d);\n' "$SLOW" "$r" "$i"
        printf -- "-- dbmig:down\nDELETE FROM crash_log WHERE rev = '%s';\nDROP TABLE t_%s;\n" "$r" "$r"
    } > "$MIG/${r}_m.sql"
done
notx() { [ "$TXDDL" = 0 ] || [ "$1" = 004 ] || [ "$1" = 008 ]; }

dbm() { "$DBMIG" --url "$URL" --dir "$MIG" "$@"; }

# ---- invariants -------------------------------------------------------------------
# status as "rev applied dirty progress" lines (jq), exit code in $SRC.
status_lines() {
    local out
    SRC=0
    out=$(dbm --format json status 2> "$W/status.err") || SRC=$?
    if ! jq -e . > /dev/null 2>&1 <<< "$out"; then
        violation other "status printed no JSON (exit $SRC): $(head -c 300 "$W/status.err")"
        return
    fi
    jq -r '.revisions[] | "\(.revision) \(if .applied then 1 else 0 end) \(if .dirty then 1 else 0 end) \(.progress // 0)"' <<< "$out"
}

# The lock must be free within 10 s of its holder's death (the server may
# take a moment to see a killed client's socket close).
check_lock_free() {
    local t0=$SECONDS rc
    while :; do
        rc=0
        # repair --checksums takes the lock and changes nothing here (the
        # files never change); exit 4 is the only answer that means "locked"
        dbm --lock-timeout 0 repair --checksums > /dev/null 2> "$W/lock.err" || rc=$?
        ((rc != 4)) && break
        if ((SECONDS - t0 >= 10)); then
            violation stale "stale lock: still held 10 s after its holder died: $(head -c 200 "$W/lock.err")"
            return
        fi
        sleep 0.2
    done
    local waited=$((SECONDS - t0))
    ((waited > lock_waits_max)) && lock_waits_max=$waited
}

# check_state WHAT: the invariants; settles a dirty revision as an operator
# would (undo what ran of it, repair --reverted), so that the next run can go.
check_state() {
    local what=$1 dir=${2:-up} lines rev applied dirty progress logs tab rows
    lines=$(status_lines)
    [ -n "$lines" ] || { violation other "$what: status shows no revisions"; return; }
    # Three catalog/data queries for the whole picture: the tables that
    # exist, crash_log's count per revision, the rows of each t_<rev>.
    local tables counts="" union="" t
    declare -A has=() nlog=() nrow=()
    tables=$(list_tables)
    for t in $tables; do has[$t]=1; done
    if [ -n "${has[crash_log]:-}" ]; then
        while read -r rev logs; do [ -n "$rev" ] && nlog[$rev]=$logs; done \
            < <(sql "SELECT rev, COUNT(*) FROM crash_log GROUP BY rev" | tr '|\t' '  ')
    fi
    for t in $tables; do
        [[ $t == t_* ]] || continue
        union+="${union:+ UNION ALL }SELECT '${t#t_}', COUNT(*) FROM $t"
    done
    if [ -n "$union" ]; then
        while read -r rev rows; do [ -n "$rev" ] && nrow[$rev]=$rows; done < <(sql "$union" | tr '|\t' '  ')
    fi
    while read -r rev applied dirty progress; do
        tab=0; [ -n "${has[t_$rev]:-}" ] && tab=1
        logs=${nlog[$rev]:-0}
        rows=${nrow[$rev]:-0}
        ((logs <= 1)) || violation double "$what: $rev was applied $logs times (crash_log)"
        ((rows <= 1)) || violation double "$what: $rev inserted $rows rows"
        if [ "$dirty" = 1 ]; then
            notx "$rev" || violation dirty "$what: $rev is dirty but runs in a transaction"
            # `progress` may lag what ran by the statement in flight (and
            # the up's statement 3, the slow one, leaves no trace).
            local ran=0
            if [ "$dir" = up ]; then
                [ "$tab" = 1 ] && ran=1
                [ "$logs" = 1 ] && ran=2
                [ "$rows" = 1 ] && ran=4
                ((ran <= progress + 2)) || violation dirty "$what: $rev: progress $progress but $ran statements of its up section ran"
            else
                [ "$logs" = 0 ] && ran=1
                [ "$tab" = 0 ] && ran=2
                ((ran <= progress + 1)) || violation dirty "$what: $rev: progress $progress but $ran statements of its down section ran"
            fi
            dirty_recoveries=$((dirty_recoveries + 1))
            # operator: undo what ran, settle as not applied
            if [ "$rev" = 001 ]; then
                sql "DROP TABLE IF EXISTS t_001" > /dev/null; sql "DROP TABLE IF EXISTS crash_log" > /dev/null
            else
                [ -n "${has[crash_log]:-}" ] && sql "DELETE FROM crash_log WHERE rev = '$rev'" > /dev/null
                sql "DROP TABLE IF EXISTS t_$rev" > /dev/null
            fi
            dbm repair --reverted "$rev" > /dev/null 2> "$W/repair.err" ||
                violation other "$what: repair --reverted $rev failed: $(head -c 200 "$W/repair.err")"
            continue
        fi
        if [ "$applied" = 1 ]; then
            [ "$tab" = 1 ] || violation lost "$what: $rev applied but t_$rev is missing (lost)"
            [ "$rev" = 001 ] || [ "$logs" = 1 ] || violation double "$what: $rev applied but logged $logs times"
            [ "$rows" = 1 ] || violation lost "$what: $rev applied but t_$rev has $rows rows"
        else
            [ "$tab" = 0 ] || violation lost "$what: $rev not applied but t_$rev exists"
            [ "$logs" = 0 ] || violation lost "$what: $rev not applied but logged"
        fi
    done <<< "$lines"
}

# reach_head WHAT: a clean run must get to head and leave everything applied once.
reach_head() {
    local what=$1 rc=0
    dbm --lock-timeout 30 upgrade head > /dev/null 2> "$W/up.err" || rc=$?
    ((rc == 0)) || violation exit "$what: re-run to head failed (exit $rc): $(head -c 300 "$W/up.err")"
    check_state "$what (after re-run)"
    local n
    n=$(status_lines | awk '$2 == 1' | wc -l)
    ((n == N)) || violation lost "$what: $n of $N revisions applied after the re-run"
}

# ---- 0. the checker catches what it must ---------------------------------------------------
say "crash $DRIVER: seed $SEED; $KILLS kills, $RACES races of $PROCS+1 processes, $TERMS server kills"
reset_db
dbm upgrade head > /dev/null 2>&1 || violation other "setup: upgrade head failed"
sql "INSERT INTO crash_log (rev, stmt) VALUES ('003', 2)" > /dev/null   # applied twice
sql "DROP TABLE t_005" > /dev/null                                    # lost
before=$violations
check_state "self-test" > "$W/selftest.out"
if ! grep -q "003 was applied 2 times" "$W/selftest.out" || ! grep -q "005 applied but t_005 is missing" "$W/selftest.out"; then
    say "VIOLATION (other): the invariant check missed a planted fault (003 applied twice, 005 lost):"
    cat "$W/selftest.out"
    violations=$((before + 1))
else
    violations=$before
    vkind=([lost]=0 [double]=0 [stale]=0 [dirty]=0 [exit]=0 [other]=0)
fi
reset_db

# ---- 1. kill -9 at random moments ----------------------------------------------------
# Until KILLS kills have hit a running process (at most 4 x KILLS tries); a
# try whose command finished before the signal is a miss and makes the
# delays shorter (the commands are quicker on this machine than assumed).
maxdelay=400 k=0
while ((kills < KILLS && k < 4 * KILLS)); do
    k=$((k + 1))
    # a random starting state, then a random command killed at a random time
    if ((RANDOM % 2)); then
        dbm downgrade base > /dev/null 2>&1
        cmd=(upgrade "$(printf '%03d' $((RANDOM % N + 1)))")
    else
        dbm upgrade head > /dev/null 2>&1
        cmd=(downgrade "-$((RANDOM % (N - 1) + 1))")
    fi
    delay=$(printf '0.%03d' $((RANDOM % maxdelay + 5)))
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval $((RANDOM % 2 * 200)) "${cmd[@]}" > /dev/null 2>&1 &
    p=$!
    pids+=("$p")
    sleep "$delay"
    kill -9 "$p" 2> /dev/null
    # a hit only when the process died of the SIGKILL (137): a command that
    # had finished before the signal tests nothing
    rc=0; wait "$p" 2> /dev/null || rc=$?
    if ((rc == 137)); then
        kills=$((kills + 1))
    else
        kill_misses=$((kill_misses + 1))
        maxdelay=$((maxdelay * 2 / 3 > 20 ? maxdelay * 2 / 3 : 20))
    fi
    check_lock_free
    check_state "kill $k (${cmd[*]} after ${delay}s)" "${cmd[0]/grade/}"
    reach_head "kill $k"
done

# ---- 2. races -------------------------------------------------------------------------------
for r in $(seq 1 "$RACES"); do
    reset_db
    dbm upgrade 005 > /dev/null 2>&1 || violation other "race $r: setup failed"
    rpids=()
    for i in $(seq 1 "$PROCS"); do
        if ((i % 4 == 0)); then to=0; else to=60; fi
        "$DBMIG" --url "$URL" --dir "$MIG" --lock-timeout "$to" upgrade head > "$W/race.$i.out" 2> "$W/race.$i.err" &
        rpids+=("$!")
    done
    "$DBMIG" --url "$URL" --dir "$MIG" --lock-timeout 60 downgrade -2 > "$W/race.down.out" 2> "$W/race.down.err" &
    dpid=$!
    pids+=("${rpids[@]}" "$dpid")
    i=0
    for p in "${rpids[@]}"; do
        i=$((i + 1))
        rc=0; wait "$p" || rc=$?
        if ((i % 4 == 0)); then
            ((rc == 0 || rc == 4)) || violation exit "race $r: upgrader $i (--lock-timeout 0) exit $rc: $(head -c 200 "$W/race.$i.err")"
        else
            ((rc == 0)) || violation exit "race $r: upgrader $i exit $rc: $(head -c 200 "$W/race.$i.err")"
        fi
    done
    rc=0; wait "$dpid" || rc=$?
    ((rc == 0)) || violation exit "race $r: downgrade -2 exit $rc: $(head -c 200 "$W/race.down.err")"
    races=$((races + 1))
    check_lock_free
    check_state "race $r"
    n=$(status_lines | awk '$2 == 1' | wc -l)
    ((n == N || n == N - 2 || n == 3)) || violation lost "race $r: $n revisions applied (expected $N, $((N - 2)) or 3)"
    reach_head "race $r"
done

# ---- 3. the server kills the migrating connection ---------------------------------------------
if [ "$DRIVER" != sqlite ]; then
    for s in $(seq 1 "$TERMS"); do
        reset_db
        "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval 0 upgrade head > /dev/null 2> "$W/term.err" &
        p=$!
        pids+=("$p")
        sleep "$(printf '0.%03d' $((RANDOM % 250 + 40)))"
        case $DRIVER in
            postgres) sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" > /dev/null ;;
            mysql)
                for id in $(sql "SELECT id FROM information_schema.processlist WHERE db = '$MYDB' AND id <> CONNECTION_ID()"); do
                    sql "KILL CONNECTION $id" > /dev/null
                done
                ;;
        esac
        rc=0; wait "$p" || rc=$?
        # a hit only when the upgrade lost its connection (exit 1): an
        # upgrade that had finished first tests nothing
        if ((rc != 0)); then
            terms=$((terms + 1))
            ((rc == 1)) || violation exit "server kill $s: exit $rc, expected 1: $(head -c 200 "$W/term.err")"
            [ -s "$W/term.err" ] || violation exit "server kill $s: exit $rc without a message"
        else
            term_misses=$((term_misses + 1))
        fi
        grep -qF -- "$PASSWORD" "$W/term.err" 2> /dev/null && violation other "server kill $s: the password is in the error"
        check_lock_free
        check_state "server kill $s"
        reach_head "server kill $s"
    done
fi

# ---- 4. the dirty protocol's windows (mysql) --------------------------------------------------
# Deterministic kills inside a row change (INSERT, UPDATE, DELETE, REPLACE),
# which the MySQL dirty protocol commits together with its own progress
# record (core/run.c, rides()). The migration's `UPDATE gate` waits on a row
# this script holds for 3 s; meanwhile the migrating connection is killed
# by the server (its transaction is rolled back) or the client is killed -9
# (the server finishes the text it was sent once the row is free). Then
# `status` must say exactly what committed (no row / dirty with progress p
# / applied), the gate's counter must have moved at most once, and a re-run
# (`upgrade --resume` for a dirty revision) must apply the rest, the
# counter moved exactly once.
WDIR=$W/w
mkdir -p "$WDIR"
windows=0
w_status() { # the revision's "applied dirty progress"
    "$DBMIG" --url "$URL" --dir "$WDIR" --format json status 2> /dev/null |
        jq -r '.revisions[] | select(.revision == "001") |
            "\(if .applied then 1 else 0 end) \(if .dirty then 1 else 0 end) \(.progress // 0)"' 2> /dev/null
}
w_waiting() { # the id of the migrating connection once it waits on the gate
    sql "SELECT id FROM information_schema.processlist WHERE db = '$MYDB' AND info LIKE 'UPDATE gate SET n = n + 1%'"
}
w_busy() { # the migrating connection still exists (the server finishes a killed client's text)
    [ -n "$(sql "SELECT id FROM information_schema.processlist WHERE db = '$MYDB' AND user <> 'root'")" ]
}
# window NAME HOW(server|client) WANT(status after) WANTN(the counter after) STATEMENTS...
window() {
    local name=$1 how=$2 want=$3 wantn=$4 t id got n p gp
    shift 4
    reset_db
    sql "CREATE TABLE gate (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO gate VALUES (1, 0)" > /dev/null
    rm -f "$WDIR"/*.sql
    { printf -- '-- dbmig:up\n'; printf '%s;\n' "$@"; } > "$WDIR/001_w.sql"
    sql "START TRANSACTION; UPDATE gate SET n = n WHERE id = 1; DO SLEEP(3); COMMIT" > /dev/null &
    gp=$!
    pids+=("$gp")
    sleep 0.3
    "$DBMIG" --url "$URL" --dir "$WDIR" upgrade head > /dev/null 2> "$W/w.err" &
    p=$!
    pids+=("$p")
    for t in $(seq 1 50); do
        id=$(w_waiting)
        [ -n "$id" ] && break
        sleep 0.05
    done
    if [ -z "$id" ]; then
        violation other "window $name: the migration never waited on the gate: $(head -c 200 "$W/w.err")"
        wait "$p" "$gp" 2> /dev/null
        return
    fi
    case $how in
        server) sql "KILL CONNECTION $id" > /dev/null ;;
        client) kill -9 "$p" ;;
    esac
    wait "$p" 2> /dev/null
    wait "$gp" 2> /dev/null
    for t in $(seq 1 100); do w_busy || break; sleep 0.05; done
    got=$(w_status)
    n=$(sql "SELECT n FROM gate WHERE id = 1")
    [ "$got" = "$want" ] || violation dirty "window $name: status says '$got' (applied dirty progress), expected '$want'"
    [ "$n" = "$wantn" ] || violation lost "window $name: the counter is $n after the kill, expected $wantn"
    if [ "${want:2:1}" = 1 ]; then
        "$DBMIG" --url "$URL" --dir "$WDIR" upgrade --resume head > /dev/null 2> "$W/w.err" ||
            violation exit "window $name: upgrade --resume failed: $(head -c 300 "$W/w.err")"
    else
        "$DBMIG" --url "$URL" --dir "$WDIR" upgrade head > /dev/null 2> "$W/w.err" ||
            violation exit "window $name: the re-run failed: $(head -c 300 "$W/w.err")"
    fi
    got=$(w_status)
    n=$(sql "SELECT n FROM gate WHERE id = 1")
    [ "$got" = "1 0 0" ] || violation dirty "window $name: after the re-run status says '$got'"
    [ "$n" = 1 ] || violation double "window $name: after the re-run the counter is $n, expected 1"
    windows=$((windows + 1))
}
if [ "$DRIVER" = mysql ]; then
    UP="UPDATE gate SET n = n + 1 WHERE id = 1"
    # after DDL: the progress of the DDL rode in front of the transaction
    window after-ddl/server server "1 1 1" 0 "CREATE TABLE wa (x INTEGER)" "$UP" "CREATE TABLE wb (x INTEGER)"
    # the row change and "progress = 2" committed together
    window after-ddl/client client "1 1 2" 1 "CREATE TABLE wa (x INTEGER)" "$UP" "CREATE TABLE wb (x INTEGER)"
    # a first row change: no dirty row before it, none after its rollback
    window first/server server "0 0 0" 0 "$UP" "CREATE TABLE wc (x INTEGER)"
    # a last row change: the final row commits with it
    window last/client client "1 0 0" 1 "CREATE TABLE wd (x INTEGER)" "$UP"
    window last/server server "1 1 1" 0 "CREATE TABLE wd (x INTEGER)" "$UP"
fi

# Most kills must land while the command runs: a suite whose kills all came
# too late would report "N kills survived" having killed nothing.
if ((kills < KILLS)); then
    violation other "only $kills of $KILLS kill -9 hit a running dbmig in $k tries ($kill_misses came after it had finished)"
fi
if [ "$DRIVER" != sqlite ] && ((TERMS > 0 && terms == 0)); then
    violation other "none of the $TERMS server kills hit a migrating connection ($term_misses upgrades had finished first)"
fi
say "crash $DRIVER: $kills kills hit a running dbmig ($kill_misses missed), $races races run ($((PROCS + 1)) processes each), $terms server kills hit ($term_misses missed), $dirty_recoveries dirty revisions reported and settled, $windows protocol windows checked, longest lock release ${lock_waits_max}s; $violations violations"
say "crash $DRIVER: ${vkind[lost]} lost, ${vkind[double]} double-applied, ${vkind[stale]} stale locks, ${vkind[dirty]} dirty-state errors, ${vkind[exit]} wrong exits, ${vkind[other]} other"
((violations == 0))
