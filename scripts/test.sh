#!/usr/bin/env bash
# test.sh — the whole test run, as CI does it (.ci/run):
#   1. installs what is missing (scripts/deps.sh);
#   2. builds build/ (RelWithDebInfo) and runs every test: ctest -j2;
#   3. builds build-asan/ with AddressSanitizer + UBSan (-DDBMIG_SANITIZE=ON)
#      and runs the unit tests and the hostile-input suite there
#      (ctest -L 'unit|hostile'), leaks included;
#   4. static analysis: cppcheck and clang-tidy, zero findings (scripts/lint.sh);
#      valgrind memcheck of the unit tests and the SQLite CLI suite
#      (scripts/memcheck.sh build): no error, no definite leak;
#   5. builds build-fuzz/ with clang (-DDBMIG_FUZZ=ON) and runs every libFuzzer
#      target for DBMIG_FUZZ_SECONDS (default 20) under ASan + UBSan
#      (tests/fuzz/run.sh).
# Each step prints its time; DBMIG_SKIP_FUZZ=1 / DBMIG_SKIP_MEMCHECK=1 skip
# steps 5 / 4 for a quick local run (CI runs them all).
# Prints ctest's summaries and exits non-zero if anything failed. Works from
# any folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=$(nproc 2>/dev/null || echo 2)
failed=()

say() { printf '\n==> %s\n' "$*"; }

say "dependencies"
bash scripts/deps.sh

say "build/ (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"

say "ctest in build/ (all tests)"
if ! ctest --test-dir build --output-on-failure -j2; then
    failed+=("build/: ctest")
fi

say "build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer)"
if cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDBMIG_SANITIZE=ON &&
    cmake --build build-asan -j"$jobs"; then
    say "ctest -L 'unit|hostile' in build-asan/"
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -L 'unit|hostile' --output-on-failure -j2; then
        failed+=("build-asan/: ctest -L 'unit|hostile'")
    fi
else
    failed+=("build-asan/: build")
fi

say "static analysis: cppcheck and clang-tidy (scripts/lint.sh)"
if ! bash scripts/lint.sh; then
    failed+=("lint")
fi

if [[ "${DBMIG_SKIP_MEMCHECK:-}" != 1 ]]; then
    say "valgrind memcheck: unit tests and the SQLite CLI suite (build/)"
    t0=$SECONDS
    if ! bash scripts/memcheck.sh build; then
        failed+=("memcheck")
    fi
    echo "memcheck: $((SECONDS - t0)) s"
fi

if [[ "${DBMIG_SKIP_FUZZ:-}" != 1 ]]; then
    say "build-fuzz/ (clang, libFuzzer + ASan + UBSan) and ${DBMIG_FUZZ_SECONDS:-20} s per fuzz target"
    t0=$SECONDS
    if CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBMIG_FUZZ=ON \
            -DDBMIG_TESTS=OFF > /dev/null &&
        cmake --build build-fuzz -j"$jobs"; then
        if ! bash tests/fuzz/run.sh build-fuzz "${DBMIG_FUZZ_SECONDS:-20}"; then
            failed+=("fuzz")
        fi
    else
        failed+=("build-fuzz/: build")
    fi
    echo "fuzz: $((SECONDS - t0)) s"
fi

if ((${#failed[@]})); then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "all tests passed"
