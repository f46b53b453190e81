#!/usr/bin/env bash
# bench/mtest.sh — `dbmig test` over N generated migrations, next to the
# same up / down / up of every migration done by the database's own client
# alone (no inspection, no comparison: the floor a hand-written script
# would have). Issue 15's target: SQLite, N = 1,000, under 10 s; on
# PostgreSQL and MariaDB the figure against the client's.
#
#   bash bench/mtest.sh                                   # N = 1000, 3 runs, every database
#   BENCH_DBS=sqlite BENCH_N=200 BENCH_RUNS=1 BENCH_BUILD=build bash bench/mtest.sh
#   BENCH_SERVER_N=200 bash bench/mtest.sh                # N = 200 on the servers only
#
# Knobs: BENCH_N (default 1000), BENCH_SERVER_N (N on PostgreSQL and MariaDB,
# default BENCH_N), BENCH_RUNS (default 3), BENCH_DBS (default "sqlite postgres
# mysql", as bench/run.sh), BENCH_BUILD (default build-bench, built in Release
# when a binary or a driver is missing). The servers are started on loopback
# by scripts/pg-server.sh and scripts/mariadb-server.sh, as bench/run.sh does.
#
# The workload is bench/gen.py's: each migration a table, an index and
# three rows, with a down that drops the table. dbmig test runs on its own
# scratch database (a temporary file; on the servers a database
# dbmig_scratch_<random> it creates and drops: both inside the timing).
# The clients run one script holding, for each migration, its up, its down
# and its up again, on an emptied database:
#   sqlite3   a new file, with the pragmas dbmig test sets on its scratch
#             file (the SQLite driver's scratch_session: synchronous OFF,
#             journal in memory);
#   psql -1   the whole script in one transaction (as bench/run.sh);
#   mariadb   the script as it is (DDL commits itself on MariaDB).
# Prints a markdown table: median (min–max) of the runs, the ratio, and
# dbmig test's highest peak RSS over the runs (GNU time's %M).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
. bench/lib.sh # DBS BUILD, per-database resets and clients, my_parse
N=${BENCH_N:-1000}
SERVER_N=${BENCH_SERVER_N:-$N}
RUNS=${BENCH_RUNS:-3}

if [[ -z "${BENCH_INNER:-}" ]]; then
    bench_build
fi
DBMIG=$BUILD/dbmig
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# client_script DIR DB > FILE: each migration's up, down, up
client_script() {
    python3 - "$1" "$2" <<'EOF'
import os, re, sys
d, db = sys.argv[1], sys.argv[2]
if db == "sqlite":
    print("PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;")
for f in sorted(os.listdir(d)):
    text = open(os.path.join(d, f)).read()
    up = re.search(r"-- dbmig:up\n(.*?)-- dbmig:down\n", text, re.S).group(1)
    down = text.split("-- dbmig:down\n", 1)[1]
    print(up + down + up)
EOF
}

stats_s() { # ns values -> "median min max" in s
    printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f %.2f %.2f\n", m/1e9, a[1]/1e9, a[NR]/1e9}'
}

# bench_db DB N: prints the table's rows for DB
bench_db() {
    local db=$1 n=$2 url client
    python3 bench/gen.py "$n" "$work/m-$db" >/dev/null
    client_script "$work/m-$db" "$db" >"$work/client-$db.sql"
    case $db in
    sqlite) url="sqlite:$work/url.db" client="sqlite3" ;;
    postgres) url=$(postgres_url) client="psql -1" ;;
    mysql) my_parse; url=$(mysql_url) client="mariadb" ;;
    esac
    local dt=() ct=() t0 r rss maxrss=0
    for ((r = 0; r < RUNS; r++)); do
        [[ $db == sqlite ]] && rm -f "$work/url.db"
        t0=$(now)
        /usr/bin/time -o "$work/rss" -f %M "$DBMIG" --url "$url" --dir "$work/m-$db" -q test >"$work/out-$db" 2>&1 || {
            echo "| $db | $n | dbmig test failed: $(tail -n 1 "$work/out-$db" | tr '|' '/') | | | | |"
            return 0
        }
        dt+=($(($(now) - t0)))
        rss=$(tail -n 1 "$work/rss")
        ((rss > maxrss)) && maxrss=$rss
        if [[ $db == sqlite ]]; then
            rm -f "$work/c.db"
            t0=$(now)
            sqlite3 "$work/c.db" <"$work/client-$db.sql" >/dev/null
        else
            ${db}_reset
            t0=$(now)
            ${db}_client_fresh "$work/client-$db.sql"
        fi
        ct+=($(($(now) - t0)))
    done
    local dm dmin dmax cm cmin cmax
    read -r dm dmin dmax <<<"$(stats_s "${dt[@]}")"
    read -r cm cmin cmax <<<"$(stats_s "${ct[@]}")"
    awk -v db="$db" -v n="$n" -v cl="$client" -v dm="$dm" -v dmin="$dmin" -v dmax="$dmax" \
        -v cm="$cm" -v cmin="$cmin" -v cmax="$cmax" -v rss="$maxrss" -v last="$(tail -n 1 "$work/out-$db" | tr '|' '/')" \
        'BEGIN { printf "| %s | %d | %s s (%s–%s) | %s: %s s (%s–%s) | %.1f× | %.1f MiB | %s |\n", db, n, dm, dmin, dmax, cl, cm, cmin, cmax, dm / cm, rss / 1024, last }'
}

# PostgreSQL: the test user may create databases (dbmig test makes its
# scratch database with the URL's own credentials, SPEC section 12), granted
# by the superuser over the server's socket as tests/schema/run.sh does.
pg_createdb() {
    local as=() user=${DBMIG_TEST_PG_URL#*://}
    user=${user%%[:@]*}
    [[ $(id -u) == 0 ]] && as=(runuser -u nobody --)
    (cd / && "${as[@]}" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SERVER_SOCKET" -p "$PG_SERVER_PORT" \
        -U postgres -d postgres -c "ALTER ROLE $user CREATEDB" >/dev/null)
}

if [[ -n "${BENCH_INNER:-}" ]]; then
    [[ $BENCH_INNER == postgres ]] && pg_createdb
    bench_db "$BENCH_INNER" "$SERVER_N"
    exit 0
fi

echo "dbmig $("$DBMIG" --version | cut -d' ' -f2) at $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $RUNS runs each, median (min–max)"
echo
echo "| database | migrations | dbmig test | the client: up, down, up of each | ratio | dbmig test peak RSS | dbmig test's last line |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for db in $DBS; do
    case $db in
    sqlite) bench_db sqlite "$N" ;;
    postgres)
        BENCH_INNER=postgres BENCH_BUILD=$BUILD BENCH_SERVER_N=$SERVER_N BENCH_RUNS=$RUNS \
            bash scripts/pg-server.sh run bash bench/mtest.sh ;;
    mysql)
        BENCH_INNER=mysql BENCH_BUILD=$BUILD BENCH_SERVER_N=$SERVER_N BENCH_RUNS=$RUNS \
            bash scripts/mariadb-server.sh run bash bench/mtest.sh ;;
    esac
done
