#!/usr/bin/env bash
# run.sh — runs every libFuzzer target of a -DDBMIG_FUZZ=ON build for a
# bounded time under ASan + UBSan, two at a time, starting from the seed
# corpus in tests/fuzz/corpus/<name>/ (read-only: new inputs go to a scratch
# folder) and then the regression inputs in tests/fuzz/regress/<name>/ (every
# crash ever found, kept so it stays fixed).
#
#   bash tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]   (default 20)
#
# Prints one line per target: runs, seconds, executions per second. Exits 1
# if any target crashed, leaked, hung or broke an invariant; the input that
# did it is kept in $DBMIG_FUZZ_ARTIFACTS (default: a temp folder, printed).
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-20}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$build/tests/fuzz
art=${DBMIG_FUZZ_ARTIFACTS:-$(mktemp -d "${TMPDIR:-/tmp}/dbmig-fuzz-art.XXXXXX")}
work=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TMPDIR=$work

targets=()
for f in "$bin"/fuzz_*; do
    [ -x "$f" ] && targets+=("$(basename "$f")")
done
if ((${#targets[@]} == 0)); then
    echo "run.sh: no fuzz targets in $bin (configure with CC=clang -DDBMIG_FUZZ=ON)" >&2
    exit 2
fi

one() { # one NAME: fuzz it, then replay its regression inputs
    local t=$1 name=${1#fuzz_} rc=0 seeds=() d
    mkdir -p "$work/$name"
    # corpus/NAME.seeds: repository folders read as more seeds (no copies)
    if [ -f "$src/corpus/$name.seeds" ]; then
        while read -r d; do
            [ -n "$d" ] && [ "${d#\#}" = "$d" ] && seeds+=("$src/../../$d")
        done < "$src/corpus/$name.seeds"
    fi
    "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$art/$name-" \
        "$work/$name" "$src/corpus/$name" "${seeds[@]}" > "$work/$name.log" 2>&1 || rc=$?
    if ((rc == 0)) && [ -d "$src/regress/$name" ] && ls "$src/regress/$name"/* > /dev/null 2>&1; then
        "$bin/$t" "$src/regress/$name"/* >> "$work/$name.log" 2>&1 || rc=$?
    fi
    echo "$rc" > "$work/$name.rc"
}

running=0
for t in "${targets[@]}"; do
    one "$t" &
    running=$((running + 1))
    if ((running >= 2)); then
        wait -n
        running=$((running - 1))
    fi
done
wait

failed=0 total_runs=0
for t in "${targets[@]}"; do
    name=${t#fuzz_}
    rc=$(cat "$work/$name.rc")
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" | tail -1)
    time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$work/$name.log" | tail -1)
    runs=${runs:-0}; time=${time:-$secs}
    ((time > 0)) || time=1
    total_runs=$((total_runs + runs))
    if [ "$rc" = 0 ]; then
        printf 'fuzz %-8s ok     %9d runs in %3ss = %7d exec/s\n' "$name" "$runs" "$time" $((runs / time))
    else
        failed=1
        printf 'fuzz %-8s FAILED (exit %s) after %d runs; input kept in %s\n' "$name" "$rc" "$runs" "$art"
        grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$work/$name.log" | head -8 | sed 's/^/    /'
    fi
done
printf 'fuzz total: %d executions over %d targets\n' "$total_runs" "${#targets[@]}"
((failed == 0)) && [ -z "${DBMIG_FUZZ_ARTIFACTS:-}" ] && rm -rf "$art"
exit "$failed"
