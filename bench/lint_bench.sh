#!/usr/bin/env bash
# bench/lint_bench.sh — `dbmig lint` against squawk on the same 10,000
# PostgreSQL migrations (issue 18): wall time and peak RSS of each, one run
# of each tool over the whole folder, JSON output to /dev/null; the median
# of BENCH_RUNS runs. The migrations are bench/lint/gen_corpus.py's (seeded):
# for dbmig one migrations folder, for squawk the same statements as plain
# .sql files. squawk is installed with npm into a cache folder
# (bench/lint/squawk.sh); dbmig is a Release build (build-lint-rel).
#
#   bash bench/lint_bench.sh                 # 10,000 files, 3 runs
#   LINT_FILES=2000 BENCH_RUNS=5 bash bench/lint_bench.sh
#   DBMIG=path/to/dbmig SQUAWK=path/to/squawk bash bench/lint_bench.sh
#
# Target (issue 18): dbmig is faster than squawk.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. bench/lint/squawk.sh
FILES=${LINT_FILES:-10000}
RUNS=${BENCH_RUNS:-3}
squawk_bin
dbmig_release_bin "${LINT_BUILD:-$root/build-lint-rel}"
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$FILES" <<'PY'
import os, sys
sys.path.insert(0, "bench/lint")
import gen_corpus, agree
work, n = sys.argv[1], int(sys.argv[2])
cases = gen_corpus.generate(n, 18)
os.makedirs(os.path.join(work, "sq"))
agree.write_cases(cases, work)   # migrations/ for dbmig, sq_txn/ + sq_notxn/ for squawk
for sub in ("sq_txn", "sq_notxn"):
    for fn in os.listdir(os.path.join(work, sub)):
        os.rename(os.path.join(work, sub, fn), os.path.join(work, "sq", fn))
PY

# run CMD... -> "wall-seconds KiB cpu-seconds" (exit 0/1/3 = findings are fine)
run() {
    local rc=0
    /usr/bin/time -o "$work/time" -f '%e %M %U %S' "$@" >/dev/null 2>"$work/err" || rc=$?
    if [[ $rc -ne 0 && $rc -ne 1 && $rc -ne 3 ]]; then
        echo "$* failed ($rc):" >&2
        tail -5 "$work/err" >&2
        exit 1
    fi
    # time -o writes "Command exited with non-zero status N" first
    tail -1 "$work/time" | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}'
}
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

d_t="" d_m="" d_c="" s_t="" s_m="" s_c=""
for ((i = 0; i < RUNS; i++)); do
    # alternate which tool goes first, so that neither always finds the cache warm
    if ((i % 2 == 0)); then order="d s"; else order="s d"; fi
    for who in $order; do
        if [[ $who == d ]]; then
            read -r t m c < <(cd "$work" && run "$DBMIG" --dir migrations --driver postgres lint --format json)
            d_t+="$t "; d_m+="$m "; d_c+="$c "
        else
            read -r t m c < <(cd "$work" && run "$SQUAWK" --reporter json 'sq/*.sql')
            s_t+="$t "; s_m+="$m "; s_c+="$c "
        fi
    done
done
dt=$(printf '%s\n' $d_t | median); dm=$(printf '%s\n' $d_m | median); dc=$(printf '%s\n' $d_c | median)
st=$(printf '%s\n' $s_t | median); sm=$(printf '%s\n' $s_m | median); sc=$(printf '%s\n' $s_c | median)
echo "lint of $FILES generated PostgreSQL migrations, median of $RUNS runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg) at the end):"
echo
echo "| tool | wall time | CPU time (user + sys) | peak RSS |"
echo "|------|-----------|-----------------------|----------|"
awk -v t="$dt" -v c="$dc" -v m="$dm" -v v="$("$DBMIG" --version | head -1)" 'BEGIN{printf "| %s | %.2f s | %.2f s | %.1f MiB |\n", v, t, c, m/1024}'
awk -v t="$st" -v c="$sc" -v m="$sm" -v v="$("$SQUAWK" --version)" 'BEGIN{printf "| %s | %.2f s | %.2f s | %.1f MiB |\n", v, t, c, m/1024}'
echo
awk -v a="$dt" -v b="$st" -v c="$dm" -v d="$sm" -v e="$dc" -v f="$sc" 'BEGIN{printf "squawk / dbmig: %.2f× the wall time, %.2f× the CPU time, %.2f× the peak RSS\n", b/a, f/e, d/c}'
awk -v a="$dt" -v b="$st" 'BEGIN{exit !(a < b)}' || { echo "dbmig is NOT faster than squawk" >&2; exit 1; }
