#!/usr/bin/env bash
# bench/mtest.sh — `dbmig test` over N generated migrations on SQLite
# (issue 15's target: N = 1,000 in under 10 s), next to the same
# up / down / up of every migration done by sqlite3 alone (no inspection,
# no comparison: the floor a hand-written script would have).
#
#   bash bench/mtest.sh                    # N = 1000, 3 runs
#   BENCH_N=200 BENCH_RUNS=1 BENCH_BUILD=build bash bench/mtest.sh
#
# The workload is bench/gen.py's: each migration a table, an index and
# three rows, with a down that drops the table. Prints a markdown table:
# median (min–max) of the runs, and the ratio.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-3}
BUILD=${BENCH_BUILD:-$root/build-bench}
if [[ ! -x $BUILD/dbmig ]]; then
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDBMIG_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target dbmig_cli dbmig_sqlite >/dev/null
fi
DBMIG=$BUILD/dbmig
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/gen.py "$N" "$work/m" >/dev/null

# The client's script: for each migration its up, its down, its up again.
# The same pragmas as dbmig test sets on its scratch file (core/mtest.c):
# a throwaway database need not wait for the disk.
python3 - "$work/m" >"$work/client.sql" <<'EOF'
import os, re, sys
d = sys.argv[1]
print("PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;")
for f in sorted(os.listdir(d)):
    text = open(os.path.join(d, f)).read()
    up = re.search(r"-- dbmig:up\n(.*?)-- dbmig:down\n", text, re.S).group(1)
    down = text.split("-- dbmig:down\n", 1)[1]
    print(up + down + up)
EOF

now() { date +%s%N; }
stats() { # ns values -> "median min max" in s
    printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f %.2f %.2f\n", m/1e9, a[1]/1e9, a[NR]/1e9}'
}
dt=() ct=()
for ((r = 0; r < RUNS; r++)); do
    rm -f "$work/url.db"
    t0=$(now)
    "$DBMIG" --url "sqlite:$work/url.db" --dir "$work/m" -q test >"$work/out" 2>&1 || {
        cat "$work/out"
        exit 1
    }
    dt+=($(($(now) - t0)))
    rm -f "$work/c.db"
    t0=$(now)
    sqlite3 "$work/c.db" <"$work/client.sql" >/dev/null
    ct+=($(($(now) - t0)))
done
read -r dm dmin dmax <<<"$(stats "${dt[@]}")"
read -r cm cmin cmax <<<"$(stats "${ct[@]}")"
echo "| workload (SQLite, $N migrations, $RUNS runs) | median (min–max) |"
echo "| --- | --- |"
echo "| dbmig test | $dm s ($dmin–$dmax) |"
echo "| sqlite3: up, down, up of each | $cm s ($cmin–$cmax) |"
awk -v a="$dm" -v b="$cm" 'BEGIN { printf "| ratio | %.1f× |\n", a / b }'
tail -n 1 "$work/out"
