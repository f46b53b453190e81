#!/usr/bin/env bash
# soak.sh — the long reliability run whose figures go in docs/reliability.md.
#
#   bash scripts/soak.sh                 (after scripts/test.sh, or it builds)
#
# Per database (SQLite, PostgreSQL and MariaDB, each on a throwaway server
# started here): SOAK_KILLS kill -9 runs (default 50), SOAK_RACES races of
# 16 upgraders + 1 downgrader (default 10), SOAK_TERMINATIONS server-side
# connection kills (default 20); then the fault-injection and
# allocation-failure programs, the hostile suite, and every fuzz target for
# SOAK_FUZZ_SECONDS (default 120). Prints the figures as a Markdown table
# with the commit measured; exits 1 if any suite found a violation.
# SOAK_BUILD / SOAK_FUZZ_BUILD name the build folders (default build/ and
# build-fuzz/).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KILLS=${SOAK_KILLS:-50}
RACES=${SOAK_RACES:-10}
TERMS=${SOAK_TERMINATIONS:-20}
FUZZ=${SOAK_FUZZ_SECONDS:-120}
B=${SOAK_BUILD:-build}
FB=${SOAK_FUZZ_BUILD:-build-fuzz}
jobs=$(nproc 2>/dev/null || echo 2)
out=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-soak.XXXXXX")
trap 'rm -rf "$out"' EXIT
failed=()
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain 2>/dev/null | grep -qv '^??' && echo " (with uncommitted changes)" || true)

say() { printf '\n==> %s\n' "$*"; }

say "$B/ and $FB/"
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null && cmake --build "$B" -j"$jobs" > /dev/null ||
    { echo "soak: $B/ failed" >&2; exit 1; }
CC=clang cmake -S . -B "$FB" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBMIG_FUZZ=ON -DDBMIG_TESTS=OFF > /dev/null &&
    cmake --build "$FB" -j"$jobs" > /dev/null || { echo "soak: $FB/ failed" >&2; exit 1; }
export DBMIG=$PWD/$B/dbmig
export CRASH_KILLS=$KILLS CRASH_RACES=$RACES CRASH_TERMINATIONS=$TERMS

crash() { # crash DRIVER [server script]
    local d=$1 t0=$SECONDS
    shift
    say "crash/race: $d"
    if "$@" bash tests/crash/crash.sh "$d" > "$out/crash.$d" 2>&1; then :; else failed+=("crash $d"); fi
    grep -E '^(crash|VIOLATION)' "$out/crash.$d"
    echo "$((SECONDS - t0)) s" > "$out/crash.$d.time"
}
crash sqlite
crash postgres bash scripts/pg-server.sh run
crash mysql bash scripts/mariadb-server.sh run

say "fault injection and allocation failure"
"$B"/tests/unit/test_faults > "$out/faults" 2>&1 || failed+=("test_faults")
"$B"/tests/unit/test_alloc > "$out/alloc" 2>&1 || failed+=("test_alloc")
grep -E 'injected' "$out/faults" "$out/alloc"

say "hostile inputs"
DBMIG_FIXTURE_PLUGIN_DIR=$PWD/$B/fixture-plugins bash tests/hostile/run.sh > "$out/hostile" 2>&1 || failed+=("hostile")
grep -E '^(FAIL|hostile:)' "$out/hostile"

say "fuzzing, $FUZZ s per target"
bash tests/fuzz/run.sh "$FB" "$FUZZ" | tee "$out/fuzz" || failed+=("fuzz")

# ---- the table ------------------------------------------------------------------
num() { sed -n "$2" "$1" 2> /dev/null | head -1; }
say "figures (commit $commit$dirty, $(date -u +%Y-%m-%d))"
printf '| database | kills survived | races run (17 processes) | server-side kills | dirty revisions reported | result |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
for d in sqlite postgres mysql; do
    line=$(grep -E "^crash $d: [0-9]+ kills survived" "$out/crash.$d")
    res=$(grep -E "^crash $d: [0-9]+ lost" "$out/crash.$d" | sed "s/^crash $d: //")
    k=$(sed -E 's/.*: ([0-9]+) kills survived.*/\1/' <<< "$line")
    r=$(sed -E 's/.* ([0-9]+) races run.*/\1/' <<< "$line")
    s=$(sed -E 's/.* ([0-9]+) server kills.*/\1/' <<< "$line")
    dr=$(sed -E 's/.* ([0-9]+) dirty revisions.*/\1/' <<< "$line")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$d" "${k:-?}" "${r:-?}" "${s:-?}" "${dr:-?}" "${res:-did not finish}"
done
printf '\nfaults injected: %s; allocation failures injected: %s; hostile: %s; fuzz: %s\n' \
    "$(sed -n 's/^faults injected in all: //p' "$out/faults")" \
    "$(grep -oE '[0-9]+ allocation failures' "$out/alloc" | awk '{s += $1} END {print s}')" \
    "$(sed -n 's/^hostile: //p' "$out/hostile")" \
    "$(sed -n 's/^fuzz total: //p' "$out/fuzz")"
if ((${#failed[@]})); then
    say "FAILED: ${failed[*]}"
    exit 1
fi
