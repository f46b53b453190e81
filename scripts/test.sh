#!/usr/bin/env bash
# test.sh — the whole test run, as CI does it (.ci/run):
#   1. installs what is missing (scripts/deps.sh);
#   2. builds build/ (RelWithDebInfo) and runs every test: ctest -j2;
#   3. builds build-asan/ with AddressSanitizer + UBSan (-DDBMIG_SANITIZE=ON)
#      and runs the unit tests and the hostile-input suite there
#      (ctest -L 'unit|hostile'), leaks included;
#   3b. builds build-tsan/ with ThreadSanitizer (-DDBMIG_TSAN=ON), only the
#      threaded tests' targets, and runs them (ctest -L tsan: tests/threads,
#      8 threads at once; any race fails): under a minute;
#      (the trees of steps 3, 3b and 5 are built in the background, one
#      after the other at nice 19, while ctest runs);
#   4. static analysis: cppcheck and clang-tidy, zero findings (scripts/lint.sh),
#      and valgrind memcheck of the unit tests and the SQLite CLI suite
#      (scripts/memcheck.sh build): no error, no definite leak. Both start
#      in the background at a low priority (nice 19 and 10) as soon as build/
#      is built, so that they use the cycles ctest leaves idle (servers
#      starting, lock waits, pauses) instead of adding ~5 minutes after it;
#      their output is printed when they are waited for, after step 3b;
#   5. builds build-fuzz/ with clang (-DDBMIG_FUZZ=ON) and runs every libFuzzer
#      target for DBMIG_FUZZ_SECONDS (default 10; soak runs use more) under ASan + UBSan
#      (tests/fuzz/run.sh).
# Each step prints its time, and a summary of the step times at the end;
# DBMIG_SKIP_FUZZ=1 / DBMIG_SKIP_MEMCHECK=1 skip steps 5 / 4 for a quick
# local run (CI runs them all): a skipped step is announced loudly and named
# again in the final line. ctest runs with --no-tests=error (a filter or a
# configuration that selects nothing fails) and ignores DBMIG_TEST_ONLY & co.
# (tests/ctest-env.cmake). The mutation run (scripts/mutants.sh) is not part
# of it: it takes longer than the rest together.
# Prints ctest's summaries and exits non-zero if anything failed. Works from
# any folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=$(nproc 2>/dev/null || echo 2)
failed=() skipped=() times=()
t_all=$SECONDS

say() { printf '\n==> %s\n' "$*"; }
# step_time NAME T0: records how long step NAME took since T0 (SECONDS).
step_time() {
    times+=("$(printf '%-28s %4d s' "$1" $((SECONDS - $2)))")
    echo "$1: $((SECONDS - $2)) s"
}
# skip_step NAME VARIABLE: a step left out because of VARIABLE, said loudly.
skip_step() {
    printf '\n==> SKIPPED: %s (%s=%s is set; CI never sets it)\n' "$1" "$2" "${!2}"
    skipped+=("$1 ($2)")
}

if [[ "${DBMIG_SKIP_DEPS:-}" == 1 ]]; then
    skip_step "dependencies (scripts/deps.sh)" DBMIG_SKIP_DEPS
else
    say "dependencies"
    t0=$SECONDS
    bash scripts/deps.sh
    step_time deps "$t0"
fi

say "build/ (RelWithDebInfo)"
t0=$SECONDS
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBMIG_TESTS=ON \
    "-DDBMIG_DRIVERS=sqlite;postgres;mysql"
cmake --build build -j"$jobs"
step_time "build" "$t0"

# static analysis and valgrind memcheck in the background, at the lowest
# priority (step 4): ctest leaves a core idle for long stretches (servers
# starting, lock waits, pauses); nice 19 gives these two only what it leaves.
# Their output is printed when they are waited for, after the sanitizer builds.
bg_logs=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-bg.XXXXXX")
t_bg=$SECONDS
nice -n 19 bash scripts/lint.sh > "$bg_logs/lint" 2>&1 &
lint_pid=$!
memcheck_pid=
if [[ "${DBMIG_SKIP_MEMCHECK:-}" != 1 ]]; then
    # nice 10, not 19: its unit programs have threads with deadlines (the
    # lease renewal of test_engine) that valgrind serializes; at 19 a busy
    # ctest starved them past a lease period
    nice -n 10 bash scripts/memcheck.sh build > "$bg_logs/memcheck" 2>&1 &
    memcheck_pid=$!
fi
# a step that ends the script early must not leave them running. set +e:
# under set -e a failing command in an EXIT trap becomes the script's exit
# status, and kill fails once a job has been waited for (a green run of
# 7f8e439 exited 1 after printing "all tests passed")
stop_background() {
    set +e
    kill $lint_pid $memcheck_pid $builds_pid 2>/dev/null
    rm -rf "$bg_logs"
}
trap stop_background EXIT

# The sanitizer and fuzz trees are built in the background too, one after
# the other at nice 19 (a build needs no quiet machine; ~70 s of the steps
# after ctest were these builds). Each leaves its output in
# $bg_logs/build-NAME and its exit code in $bg_logs/build-NAME.rc.
bg_build() { # NAME CMAKE-CONFIGURE-ARGS... -- BUILD-ARGS...
    local name=$1 conf=() rc=0
    shift
    while [ "$1" != -- ]; do conf+=("$1"); shift; done
    shift
    { cmake -S . -B "$name" "${conf[@]}" && cmake --build "$name" -j"$jobs" "$@"; } \
        > "$bg_logs/$name" 2>&1 || rc=$?
    echo "$rc" > "$bg_logs/$name.rc"
}
(
    renice -n 19 -p "$BASHPID" > /dev/null # before any child: they inherit it
    bg_build build-asan -DCMAKE_BUILD_TYPE=Debug -DDBMIG_SANITIZE=ON --
    bg_build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBMIG_TSAN=ON -- \
        --target test_threads test_thread_internals
    # only the fuzz programs (libdbmig's objects and the CLI's library come
    # with them): no driver plugin is loaded by a fuzz target
    [[ "${DBMIG_SKIP_FUZZ:-}" == 1 ]] ||
        CC=clang bg_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBMIG_FUZZ=ON \
            -DDBMIG_TESTS=OFF -- --target dbmig_fuzz
) &
builds_pid=$!
# built NAME: 0 when the background build of tree NAME succeeded, else its
# output is printed and 1
built() {
    [ "$(cat "$bg_logs/$1.rc" 2>/dev/null)" = 0 ] && return 0
    tail -n 60 "$bg_logs/$1" 2>/dev/null
    return 1
}
# wait_background NAME PID STEP: waits for a background step, prints its
# output and records its failure and the time waited for it.
wait_background() {
    local name=$1 pid=$2 step=$3 rc=0 t=$SECONDS
    wait "$pid" || rc=$?
    cat "$bg_logs/$name"
    ((rc == 0)) || failed+=("$step")
    step_time "$step (waited for)" "$t"
    step_time "$step (background, in all)" "$t_bg"
}

say "ctest in build/ (all tests)"
t0=$SECONDS
if ! ctest --test-dir build --output-on-failure --no-tests=error -j2; then
    failed+=("build/: ctest")
fi
step_time "ctest" "$t0"

say "build-asan/, build-tsan/, build-fuzz/ (built in the background since the build)"
t0=$SECONDS
wait "$builds_pid" || true
step_time "sanitizer builds (waited for)" "$t0"

say "build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer)"
if built build-asan; then
    say "ctest -L 'unit|hostile' in build-asan/"
    t0=$SECONDS
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -L 'unit|hostile' --output-on-failure --no-tests=error -j2; then
        failed+=("build-asan/: ctest -L 'unit|hostile'")
    fi
    step_time "ctest (asan)" "$t0"
else
    failed+=("build-asan/: build")
fi

say "build-tsan/ (ThreadSanitizer): the threaded tests only (tests/threads)"
t0=$SECONDS
if built build-tsan; then
    # TSAN_OPTIONS (halt_on_error=1 exitcode=66) come from the tests' ENVIRONMENT
    if ! ctest --test-dir build-tsan -L tsan --output-on-failure --no-tests=error; then
        failed+=("build-tsan/: ctest -L tsan")
    fi
else
    failed+=("build-tsan/: build")
fi
step_time "tsan (ctest)" "$t0"

say "static analysis: cppcheck and clang-tidy (scripts/lint.sh, started after the build)"
wait_background lint "$lint_pid" lint

if [[ "${DBMIG_SKIP_MEMCHECK:-}" == 1 ]]; then
    skip_step "valgrind memcheck" DBMIG_SKIP_MEMCHECK
else
    say "valgrind memcheck: unit tests and the SQLite CLI suite (build/, started after the build)"
    wait_background memcheck "$memcheck_pid" memcheck
fi

if [[ "${DBMIG_SKIP_FUZZ:-}" == 1 ]]; then
    skip_step "fuzzing" DBMIG_SKIP_FUZZ
else
    say "build-fuzz/ (clang, libFuzzer + ASan + UBSan) and ${DBMIG_FUZZ_SECONDS:-10} s per fuzz target"
    t0=$SECONDS
    if built build-fuzz; then
        if ! bash tests/fuzz/run.sh build-fuzz "${DBMIG_FUZZ_SECONDS:-10}"; then
            failed+=("fuzz")
        fi
    else
        failed+=("build-fuzz/: build")
    fi
    step_time "fuzz" "$t0"
fi

say "step times"
printf '  %s\n' "${times[@]}"
printf '  %-28s %4d s\n' total $((SECONDS - t_all))
if ((${#skipped[@]})); then
    say "SKIPPED STEPS: ${skipped[*]} -- this was NOT a full run"
fi
if ((${#failed[@]})); then
    say "FAILED: ${failed[*]}"
    exit 1
fi
if ((${#skipped[@]})); then
    say "all tests that ran passed (${#skipped[@]} step(s) SKIPPED)"
else
    say "all tests passed"
fi
