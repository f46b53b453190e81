#!/usr/bin/env bash
# memcheck.sh — the unit tests and the SQLite CLI suite under valgrind
# memcheck: no memory error, no definite leak.
#
#   bash scripts/memcheck.sh [BUILD_DIR]      (default build/, already built)
#
# Unit tests run directly under valgrind. The CLI cases run with DBMIG set
# to a wrapper that starts every dbmig process under valgrind, each logging
# to its own file; the logs are checked at the end (ERROR SUMMARY and
# "definitely lost"). Exits 1 on any finding, printing the first reports.
#
# What runs, and why (CI time, issue 13: this step was the biggest of
# .ci/run): valgrind makes each dbmig process take over a second, so CI
# runs the CLI cases in DBMIG_MEMCHECK_CASES (a regular expression over case
# names; the default covers every command, the error paths, --sql, JSON,
# the dirty protocol, the config file and password masking: the code paths
# of the whole suite) and leaves out the timing-based ones (16 concurrent
# upgrades, lock time-outs, kill -9, the commit interval), which valgrind's
# slowness breaks and which exercise no other code. DBMIG_MEMCHECK_CASES=.
# runs them all (scripts/soak.sh territory). Coverage is unchanged from the
# serial version; what changed is the schedule: every unit program and
# every CLI case is one job, and MEMCHECK_JOBS of them (default 2, the
# cores CI has) run at once, longest first (the CLI cases used to run one
# after another while the other core sat idle). The cases are independent
# (each has its own folder and SQLite file), so running them side by side
# changes nothing but the wall time. Four unit programs that walk large
# generated inputs are left to ASan (see the list of exclusions below).
# This step runs in the background during ctest (scripts/test.sh).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
build=$(cd "$build" && pwd)
command -v valgrind > /dev/null || { echo "memcheck.sh: valgrind is not installed (scripts/deps.sh)" >&2; exit 2; }
logs=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-memcheck.XXXXXX")
trap 'rm -rf "$logs"' EXIT
VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --track-fds=no --num-callers=30 --quiet)
failed=0 programs=0

say() { printf '==> %s\n' "$*"; }

cat > "$logs/dbmig" <<WRAP
#!/bin/sh
exec ${VG[*]} --log-file=$logs/cli.%p.log "$build/dbmig" "\$@"
WRAP
chmod +x "$logs/dbmig"
cases=${DBMIG_MEMCHECK_CASES:-upgrade_downgrade_rerun|failure_in_k$|exit3_malformed|sql_offline|json_outputs|exit2_usage|notx_dirty_resume|show|config_file|password_redaction|schema_diff}
jobs=${MEMCHECK_JOBS:-2}

# The jobs: "unit PROGRAM" and "cli CASE", longest first so that the two
# slots end together: the unit programs valgrind makes slowest (measured:
# each 1-4 minutes on a busy 2-core machine), then the CLI cases (10-60 s
# each), then the other unit programs (seconds).
SLOW_UNITS=(test_engine test_faults test_driver_sqlite)
JOBS=()
for t in "${SLOW_UNITS[@]}"; do
    [ -x "$build/tests/unit/$t" ] && JOBS+=("unit $build/tests/unit/$t")
done
for c in $(sed -n 's/^    \(case_[a-z0-9_]*\)$/\1/p' tests/cli/suite.sh); do
    [[ $c =~ $cases ]] && JOBS+=("cli $c")
done
((${#JOBS[@]})) || { echo "memcheck.sh: DBMIG_MEMCHECK_CASES='$cases' matches no CLI case" >&2; exit 2; }
for t in "$build"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    # test_alloc loads the SQLite plugin afresh for each of its ~500 runs,
    # which valgrind makes take many minutes; it runs under ASan + LSan in
    # build-asan/ instead (scripts/test.sh), which checks the same leaks.
    # test_stream measures its own peak RSS, which valgrind inflates; ASan
    # covers it in build-asan/.
    # test_migfile, test_split, test_graph_props and test_schema_diff_sqlite
    # walk large generated inputs (chunk boundaries, every dialect, random
    # graphs, a rebuild matrix): 126 CPU-seconds under valgrind, a third of
    # this step, in a CI run that is CPU-bound. They run under ASan + UBSan
    # + LSan in build-asan/, their parsers are fuzzed under ASan too
    # (tests/fuzz), and the CLI cases below take the same code (loading,
    # splitting, the graph, SQLite rebuilds) through valgrind.
    case $(basename "$t") in
        test_alloc | test_stream | test_migfile | test_split | test_graph_props | \
            test_schema_diff_sqlite) continue ;;
    esac
    [[ " ${SLOW_UNITS[*]} " == *" $(basename "$t") "* ]] && continue
    JOBS+=("unit $t")
done

# job KIND WHAT: its exit code and seconds in $logs/job.NAME.rc
job() {
    local kind=$1 what=$2 n rc=0 t0=$SECONDS
    n=$(basename "$what")
    if [ "$kind" = unit ]; then
        "${VG[@]}" --error-exitcode=99 --log-file="$logs/unit.$n.log" "$what" > "$logs/job.$n.out" 2>&1 || rc=$?
    else
        DBMIG="$logs/dbmig" DBMIG_SOURCE_DIR="$PWD" DBMIG_TEST_DRIVER=sqlite DBMIG_TEST_ONLY="^$what\$" \
            bash tests/cli/suite.sh > "$logs/job.$n.out" 2>&1 || rc=$?
    fi
    echo "$rc $((SECONDS - t0))" > "$logs/job.$n.rc"
}

say "${#JOBS[@]} jobs under valgrind ($jobs at a time): unit programs, and SQLite CLI cases with every dbmig process under valgrind"
t0=$SECONDS
running=0
for j in "${JOBS[@]}"; do
    job $j &
    running=$((running + 1))
    if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
done
wait
n_cases=0
for j in "${JOBS[@]}"; do
    read -r kind what <<< "$j"
    n=$(basename "$what")
    read -r rc secs < "$logs/job.$n.rc"
    [ "$kind" = unit ] && programs=$((programs + 1))
    if ((rc == 0)); then
        [ "$kind" = cli ] && n_cases=$((n_cases + 1))
        printf '  ok   %-4s %-34s %3ss\n' "$kind" "$n" "$secs"
    else
        failed=1
        printf '  FAIL %-4s %-34s exit %s\n' "$kind" "$n" "$rc"
        grep -v '^ok' "$logs/job.$n.out" | tail -n 30
    fi
done
n_cli=$(ls "$logs"/cli.*.log 2> /dev/null | wc -l)
programs=$((programs + n_cli))
printf '  %d CLI cases, %d dbmig processes; %ss in all\n' "$n_cases" "$n_cli" $((SECONDS - t0))

bad=0
for f in "$logs"/unit.*.log "$logs"/cli.*.log; do
    [ -s "$f" ] || continue
    if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|Invalid (read|write|free)|uninitialised|Mismatched free' "$f"; then
        bad=$((bad + 1))
        if ((bad <= 3)); then
            echo "---- $f"
            head -n 60 "$f"
        fi
    fi
done
if ((bad)); then
    failed=1
    echo "memcheck: $bad of $programs processes reported errors or definite leaks"
else
    echo "memcheck: $programs processes, 0 errors, 0 definite leaks"
fi
exit "$failed"
