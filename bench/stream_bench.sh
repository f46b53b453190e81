#!/usr/bin/env bash
# bench/stream_bench.sh — memory of huge inputs (issue 7): a 1 GiB migration
# of INSERTs applied with dbmig on SQLite, side by side with the sqlite3 CLI
# on the same file in one transaction; and `dbmig status` over a folder of
# 10,000 migrations. Reports wall time and peak RSS (/usr/bin/time -f %M).
#
#   bash bench/stream_bench.sh                  # 1 GiB, 10,000 files
#   STREAM_MB=256 STREAM_FILES=2000 bash bench/stream_bench.sh
#
# Targets: peak RSS <= 32 MiB for the 1 GiB migration, <= 64 MiB for the
# 10,000-file folder. The file is generated in a temporary folder, written
# piece by piece (never held in memory), and removed at the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

MB=${STREAM_MB:-1024}
FILES=${STREAM_FILES:-10000}
BUILD=${STREAM_BUILD:-$root/build-stream-rel}

if [[ -z "${STREAM_INNER:-}" ]]; then
    command -v python3 >/dev/null || apt-get install -y -qq python3 >/dev/null
    command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3 >/dev/null
    [[ -x /usr/bin/time ]] || apt-get install -y -qq time >/dev/null
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDBMIG_TESTS=OFF >/dev/null
    cmake --build "$BUILD" -j"$(nproc)" --target dbmig_cli dbmig_sqlite >/dev/null
fi
DBMIG=$BUILD/dbmig
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure LABEL CMD... -> "label|seconds|peak KiB|exit"
measure() {
    local label=$1 rc=0
    shift
    /usr/bin/time -o "$work/time" -f '%e %M' "$@" >"$work/out" 2>&1 || rc=$?
    read -r secs kib <"$work/time"
    echo "$label|$secs|$kib|$rc"
    if [[ $rc -ne 0 ]]; then
        tail -5 "$work/out" >&2
    fi
}
row() { # "label|secs|kib|rc"
    IFS='|' read -r label secs kib rc <<<"$1"
    awk -v l="$label" -v s="$secs" -v k="$kib" -v r="$rc" \
        'BEGIN{printf "| %s | %.2f s | %.1f MiB | %s |\n", l, s, k/1024, r == 0 ? "ok" : "exit " r}'
}

# ---- the 1 GiB migration --------------------------------------------------
mkdir -p "$work/big"
python3 - "$work/big/001_big_insert.sql" "$MB" <<'EOF'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
limit = mb << 20
pad = "x" * 96
with open(path, "w", buffering=1 << 20) as f:
    head = ("-- dbmig:revision big\n-- dbmig:message a 1 GiB data migration\n"
            "CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER);\n")
    f.write(head)
    total, i = len(head), 0
    while total < limit:
        lines = []
        for _ in range(10000):
            i += 1
            lines.append(f"INSERT INTO big (id, name, score) VALUES ({i}, 'name {i}; {pad}', {i % 1000});\n")
        block = "".join(lines)
        f.write(block)
        total += len(block)
print(i, total)
EOF
file=$work/big/001_big_insert.sql
size=$(stat -c %s "$file")
rows=$(grep -c '^INSERT' "$file")

sync
r_dbmig=$(measure "dbmig upgrade head" "$DBMIG" -q --url "sqlite:$work/dbmig.db" --dir "$work/big" upgrade head)
n_dbmig=$(sqlite3 "$work/dbmig.db" "SELECT count(*) FROM big" 2>/dev/null || echo 0)
r_cli=$(measure "sqlite3 CLI, one transaction" sqlite3 "$work/cli.db" "BEGIN" ".read $file" "COMMIT")
n_cli=$(sqlite3 "$work/cli.db" "SELECT count(*) FROM big" 2>/dev/null || echo 0)
r_status=$(measure "dbmig status (file applied)" "$DBMIG" -q --url "sqlite:$work/dbmig.db" --dir "$work/big" status)

echo "dbmig $("$DBMIG" --version | cut -d' ' -f2) at $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores"
echo
echo "### A $((size >> 20)) MiB migration of $rows INSERTs, SQLite"
echo
echo "| run | wall time | peak RSS | result |"
echo "| --- | --- | --- | --- |"
row "$r_dbmig"
row "$r_cli"
row "$r_status"
echo
echo "rows applied: dbmig $n_dbmig, sqlite3 $n_cli (want $rows)"
ok=1
[[ "$n_dbmig" == "$rows" && "$n_cli" == "$rows" ]] || ok=0
kib=$(cut -d'|' -f3 <<<"$r_dbmig")
echo "target: peak RSS <= 32 MiB: $(awk -v k="$kib" 'BEGIN{print (k <= 32768) ? "met" : "NOT met"}') ($(awk -v k="$kib" 'BEGIN{printf "%.1f MiB", k/1024}'))"
rm -f "$file" "$work/dbmig.db" "$work/cli.db"

# ---- the 10,000-file folder --------------------------------------------------
python3 bench/gen.py "$FILES" "$work/many" >/dev/null
r_load=$(measure "dbmig status, $FILES pending" "$DBMIG" -q --url "sqlite:$work/many.db" --dir "$work/many" status)
r_up=$(measure "dbmig upgrade head, $FILES migrations" "$DBMIG" -q --url "sqlite:$work/many.db" --dir "$work/many" upgrade head)
r_noop=$(measure "dbmig upgrade head, nothing to do" "$DBMIG" -q --url "sqlite:$work/many.db" --dir "$work/many" upgrade head)
echo
echo "### A folder of $FILES migrations, SQLite"
echo
echo "| run | wall time | peak RSS | result |"
echo "| --- | --- | --- | --- |"
row "$r_load"
row "$r_up"
row "$r_noop"
echo
kib=$(cut -d'|' -f3 <<<"$r_load")
echo "target: peak RSS <= 64 MiB loading $FILES files: $(awk -v k="$kib" 'BEGIN{print (k <= 65536) ? "met" : "NOT met"}') ($(awk -v k="$kib" 'BEGIN{printf "%.1f MiB", k/1024}'))"
[[ $ok == 1 ]]
