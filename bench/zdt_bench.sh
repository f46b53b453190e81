#!/usr/bin/env bash
# bench/zdt_bench.sh — the zero-downtime benchmarks of issue 17 (SPEC
# section 14), each next to what every other tool does on the same workload
# in the same run. The client load is bench/zdt_load.c (application queries
# at a fixed rate on 8 connections; a query's latency counts from when it
# was due, so a query queued behind a lock is as late as the lock makes it).
#
#   bash bench/zdt_bench.sh                   # both benchmarks, every database
#   BENCH_DBS="postgres" BENCH_ZDT="lockqueue" bash bench/zdt_bench.sh
#   BENCH_BACKFILL_PG=10000000 BENCH_BACKFILL_ROWS=1000000  (the row counts)
#
# lockqueue (postgres, mysql): a table of 1 M rows; a transaction holds a
#   row lock on it for 20 s (it updated row 1 and sleeps); 50 client
#   queries/s read and update other rows; 2 s into the long transaction a
#   migration runs `ALTER TABLE ... ADD COLUMN`. Reported: the longest
#   stall of any client query, for a plain `dbmig upgrade` (the ALTER waits
#   in the lock queue until the long transaction ends and every query on
#   the table queues behind it: what Alembic, Flyway, dbmate, goose and
#   sqitch do) and for `dbmig --ddl-lock-timeout 1s --ddl-retries 30
#   upgrade` (target: no query stalled longer than 1.2 s), with the
#   migration's own duration and its retries.
# backfill (sqlite, postgres, mysql): a table of 10 M rows on PostgreSQL
#   (1 M on SQLite and MariaDB) whose new column x is filled from y with 20
#   client queries/s running: once by one `UPDATE bf SET x = y * 2` through
#   the database's own client, once by dbmig with a keyset batch migration
#   (`-- dbmig:batch by id size 5000`, `--batch-time 100ms`). Reported:
#   each one's time and ratio (target ≤ 1.5×), the longest client stall
#   (target ≤ 200 ms for dbmig), dbmig's peak RSS (target < 16 MiB), and a
#   check that every row was filled.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
work=${BENCH_WORK:-}
if [[ -z $work ]]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
# shellcheck source=bench/lib.sh
. bench/lib.sh # DBS BUILD, per-database resets and clients, my_parse
ZDT=${BENCH_ZDT:-"lockqueue backfill"}
BF_PG=${BENCH_BACKFILL_PG:-10000000}
BF_ROWS=${BENCH_BACKFILL_ROWS:-1000000}
LQ_ROWS=${BENCH_LOCKQUEUE_ROWS:-1000000}

if [[ -z "${BENCH_INNER:-}" ]]; then
    bench_build
    # shellcheck disable=SC2046
    cc -std=c11 -O2 -Wall -Wextra -Werror -o "$BUILD/zdt_load" bench/zdt_load.c \
        $(pkg-config --cflags --libs libpq mysqlclient sqlite3) -lpthread
fi
DBMIG=$BUILD/dbmig
LOAD=$BUILD/zdt_load
export DBMIG_PLUGIN_DIR=$BUILD/lib/dbmig

# ---- per database: SQL through the client, the load's URL ------------------
sql() { # db: SQL on stdin through the database's own client
    case $1 in
    sqlite) sqlite3 "$work/z.db" >/dev/null ;;
    postgres) pg_psql >/dev/null ;;
    mysql) my_client ;;
    esac
}
load_url() {
    case $1 in
    sqlite) echo "$work/z.db" ;;
    postgres) echo "$DBMIG_TEST_PG_URL" ;;
    mysql) echo "$DBMIG_TEST_MYSQL_URL" ;;
    esac
}
db_url() { [[ $1 == sqlite ]] && echo "sqlite:$work/z.db" || load_url "$1"; }
reset() {
    case $1 in
    sqlite) rm -f "$work"/z.db* ;;
    *) ${1}_reset ;;
    esac
}
# fill db table n: CREATE TABLE (id, v, y, x) with n rows
fill() {
    local db=$1 t=$2 n=$3
    case $db in
    sqlite) printf 'PRAGMA journal_mode = WAL;
CREATE TABLE %s (id INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0, y INTEGER NOT NULL, x INTEGER);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)
INSERT INTO %s (id, y) SELECT i, i %% 1000 FROM s;\n' "$t" "$n" "$t" | sql sqlite ;;
    postgres) printf 'CREATE TABLE %s (id bigint PRIMARY KEY, v integer NOT NULL DEFAULT 0, y integer NOT NULL, x integer);
INSERT INTO %s (id, y) SELECT i, i %% 1000 FROM generate_series(1, %d) i;
VACUUM ANALYZE %s;\n' "$t" "$t" "$n" "$t" | sql postgres ;;
    mysql) # MariaDB's sequence engine: seq_1_to_N is a table of 1..N
        printf 'CREATE TABLE %s (id bigint PRIMARY KEY, v integer NOT NULL DEFAULT 0, y integer NOT NULL, x integer) ENGINE=InnoDB;
INSERT INTO %s (id, y) SELECT seq, seq %% 1000 FROM seq_1_to_%d;\n' "$t" "$t" "$n" | sql mysql ;;
    esac
}
ms_since() { echo $((($(now) - $1) / 1000000)); }
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2"; } # field NAME FILE

# ---- lock queue --------------------------------------------------------------
# hold db: a transaction that holds row 1 of lq for 20 s
hold() {
    case $1 in
    postgres) echo "BEGIN; UPDATE lq SET v = v WHERE id = 1; SELECT pg_sleep(20); COMMIT;" | sql postgres ;;
    mysql) echo "START TRANSACTION; UPDATE lq SET v = v WHERE id = 1; DO SLEEP(20); COMMIT;" | sql mysql ;;
    esac
}
lockqueue_one() { # db mode(plain|timeout) -> "stall_ms migration_ms retries"
    local db=$1 mode=$2
    local dir=$work/lq-$mode
    mkdir -p "$dir"
    printf -- '-- dbmig:up\nALTER TABLE lq ADD COLUMN c_%s integer;\n' "$mode" >"$dir/001_add_column.sql"
    local opts=()
    [[ $mode == timeout ]] && opts=(--ddl-lock-timeout 1s --ddl-retries 30)
    "$LOAD" "$db" "$(load_url "$db")" lq "$LQ_ROWS" 50 60 >"$work/load.out" &
    local load=$!
    sleep 3
    hold "$db" &
    local holder=$!
    sleep 2
    local t0
    t0=$(now)
    "$DBMIG" --url "$(db_url "$db")" --dir "$dir" --table "dbmig_version_$mode" "${opts[@]}" \
        upgrade >"$work/mig.out" 2>&1 || { cat "$work/mig.out" >&2; kill "$load" "$holder"; exit 1; }
    local mig
    mig=$(ms_since "$t0")
    wait "$holder"
    sleep 2
    kill -TERM "$load"
    wait "$load" || true
    echo "$(field max_ms "$work/load.out") $mig $(grep -c '^lock time-out:' "$work/mig.out" || true)"
    [[ $mode == timeout ]] && grep -m1 '^lock time-out:' "$work/mig.out" >"$work/retry-$db.txt" || true
}
lockqueue() {
    local db=$1
    reset "$db"
    fill "$db" lq "$LQ_ROWS"
    local plain timeout
    plain=$(lockqueue_one "$db" plain)
    timeout=$(lockqueue_one "$db" timeout)
    set -- $plain $timeout
    printf '| %s | %s ms | %s ms | %s ms | %s ms | %s |\n' "$db" "$1" "$4" "$2" "$5" "$6"
    [[ -s $work/retry-$db.txt ]] && echo "zdt_bench: $db, first retry: $(cat "$work/retry-$db.txt")" >&2
    return 0
}

# ---- backfill ------------------------------------------------------------------
backfill_check() { # db: every row filled
    local q="SELECT count(*) FROM bf WHERE x IS NULL OR x <> y * 2" left
    case $1 in
    sqlite) left=$(sqlite3 "$work/z.db" "$q") ;;
    postgres) left=$(pg_psql -tA -c "$q") ;;
    mysql) left=$(my_client -N -e "$q") ;;
    esac
    [[ $left == 0 ]] || { echo "zdt_bench: $left rows of bf not filled on $1" >&2; exit 1; }
}
backfill() {
    local db=$1 n=$BF_ROWS
    [[ $db == postgres ]] && n=$BF_PG
    reset "$db"
    fill "$db" bf "$n"
    "$LOAD" "$db" "$(load_url "$db")" bf "$n" 20 100000 >"$work/load1.out" &
    local load=$! t0
    sleep 1
    t0=$(now)
    echo "UPDATE bf SET x = y * 2;" | sql "$db"
    local single
    single=$(ms_since "$t0")
    sleep 1
    kill -TERM "$load"
    wait "$load" || true
    backfill_check "$db"
    reset "$db"
    fill "$db" bf "$n"
    local dir=$work/bf
    mkdir -p "$dir"
    printf -- '-- dbmig:up\n-- dbmig:batch by id size 5000\nUPDATE bf SET x = y * 2 WHERE id >= :lo AND id < :hi;\n' \
        >"$dir/001_backfill.sql"
    "$LOAD" "$db" "$(load_url "$db")" bf "$n" 20 100000 >"$work/load2.out" &
    load=$!
    sleep 1
    t0=$(now)
    /usr/bin/time -f %M -o "$work/rss" "$DBMIG" -q --url "$(db_url "$db")" --dir "$dir" \
        --batch-time 100ms upgrade >"$work/mig.out" 2>&1 || { cat "$work/mig.out" >&2; kill "$load"; exit 1; }
    local batched
    batched=$(ms_since "$t0")
    sleep 1
    kill -TERM "$load"
    wait "$load" || true
    backfill_check "$db"
    printf '| %s | %s | %.1f s | %s ms | %.1f s | %s ms | %s | %.1f MiB |\n' "$db" "$n" \
        "$(awk -v a="$single" 'BEGIN{print a/1000}')" "$(field max_ms "$work/load1.out")" \
        "$(awk -v a="$batched" 'BEGIN{print a/1000}')" "$(field max_ms "$work/load2.out")" \
        "$(awk -v a="$batched" -v b="$single" 'BEGIN{printf "%.2f×", a/b}')" \
        "$(awk -v k="$(cat "$work/rss")" 'BEGIN{print k/1024}')"
}

if [[ -n "${BENCH_INNER:-}" ]]; then
    [[ $BENCH_INNER == mysql ]] && my_parse
    for z in $ZDT; do
        [[ $z == lockqueue && $BENCH_INNER == sqlite ]] && continue
        "$z" "$BENCH_INNER"
    done
    exit 0
fi

echo "zdt_bench: $(nproc) cores, dbmig $("$DBMIG" --version 2>/dev/null | head -1)"
for z in $ZDT; do
    case $z in
    lockqueue)
        echo
        echo "Lock queue: the longest stall of a client query (50 queries/s) while a migration adds a column behind a 20 s transaction"
        echo
        echo "| database | plain upgrade: longest stall | --ddl-lock-timeout 1s: longest stall | plain: migration time | 1s: migration time | retries |"
        echo "| --- | --- | --- | --- | --- | --- |" ;;
    backfill)
        echo
        echo "Backfill: one UPDATE through the client vs a keyset batch migration, 20 client queries/s"
        echo
        echo "| database | rows | single UPDATE | its longest stall | dbmig batches | their longest stall | ratio | dbmig peak RSS |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- |" ;;
    esac
    for db in $DBS; do
        [[ $z == lockqueue && $db == sqlite ]] && continue
        case $db in
        sqlite) BENCH_INNER=sqlite BENCH_ZDT=$z BENCH_BUILD=$BUILD BENCH_WORK=$work bash bench/zdt_bench.sh ;;
        postgres) BENCH_INNER=postgres BENCH_ZDT=$z BENCH_BUILD=$BUILD BENCH_WORK=$work \
            bash scripts/pg-server.sh run bash bench/zdt_bench.sh ;;
        mysql) BENCH_INNER=mysql BENCH_ZDT=$z BENCH_BUILD=$BUILD BENCH_WORK=$work \
            bash scripts/mariadb-server.sh run bash bench/zdt_bench.sh ;;
        esac
    done
done
