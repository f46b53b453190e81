#!/usr/bin/env bash
# memcheck.sh — the unit tests and the SQLite CLI suite under valgrind
# memcheck: no memory error, no definite leak.
#
#   bash scripts/memcheck.sh [BUILD_DIR]      (default build/, already built)
#
# Unit tests run directly under valgrind, two at a time. The CLI suite runs
# with DBMIG set to a wrapper that starts every dbmig process under valgrind,
# each logging to its own file; the logs are checked at the end (ERROR
# SUMMARY and "definitely lost"). Exits 1 on any finding, printing the first
# reports.
#
# Valgrind makes each dbmig process take over a second, so CI runs the CLI
# cases in DBMIG_MEMCHECK_CASES (a regular expression over case names; the
# default covers every command, the error paths, --sql, JSON, the dirty
# protocol and the config file) and leaves out the timing-based ones (16
# concurrent upgrades, lock time-outs, kill -9), which valgrind's slowness
# breaks. DBMIG_MEMCHECK_CASES=. runs them all (scripts/soak.sh territory).
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

say "unit tests under valgrind"
unit_one() { # unit_one PROGRAM: its exit code in $logs/unit.NAME.rc
    local t=$1 n t0=$SECONDS rc=0
    n=$(basename "$t")
    "${VG[@]}" --error-exitcode=99 --log-file="$logs/unit.$n.log" "$t" > "$logs/unit.$n.out" 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" > "$logs/unit.$n.rc"
}
running=0
units=()
for t in "$build"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    # test_alloc loads the SQLite plugin afresh for each of its ~500 runs,
    # which valgrind makes take many minutes; it runs under ASan + LSan in
    # build-asan/ instead (scripts/test.sh), which checks the same leaks.
    # test_stream measures its own peak RSS, which valgrind inflates; ASan
    # covers it in build-asan/.
    case $(basename "$t") in test_alloc|test_stream) continue ;; esac
    units+=("$t")
    unit_one "$t" &
    running=$((running + 1))
    if ((running >= 2)); then wait -n; running=$((running - 1)); fi
done
wait
for t in "${units[@]}"; do
    n=$(basename "$t")
    programs=$((programs + 1))
    read -r rc secs < "$logs/unit.$n.rc"
    if ((rc == 0)); then
        printf '  ok   %-28s %3ss\n' "$n" "$secs"
    else
        failed=1
        printf '  FAIL %-28s exit %s\n' "$n" "$rc"
        tail -n 30 "$logs/unit.$n.out"
    fi
done

say "the SQLite CLI suite, every dbmig process under valgrind"
cat > "$logs/dbmig" <<WRAP
#!/bin/sh
exec ${VG[*]} --log-file=$logs/cli.%p.log "$build/dbmig" "\$@"
WRAP
chmod +x "$logs/dbmig"
t0=$SECONDS
cases=${DBMIG_MEMCHECK_CASES:-upgrade_downgrade_rerun|failure_in_k$|exit3_malformed|sql_offline|json_outputs|exit2_usage|notx_dirty_resume|show|config_file|password_redaction}
if ! DBMIG="$logs/dbmig" DBMIG_SOURCE_DIR="$PWD" DBMIG_TEST_DRIVER=sqlite DBMIG_TEST_ONLY="$cases" \
        bash tests/cli/suite.sh > "$logs/cli.out" 2>&1; then
    failed=1
    echo "  the CLI suite failed under valgrind:"
    grep -v '^ok' "$logs/cli.out" | head -n 40
fi
n_cli=$(ls "$logs"/cli.*.log 2> /dev/null | wc -l)
programs=$((programs + n_cli))
printf '  %d cases, %d dbmig processes in %ss\n' "$(grep -c '^ok' "$logs/cli.out")" "$n_cli" $((SECONDS - t0))

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
