#!/usr/bin/env bash
# test.sh — the whole test run, as CI does it (.ci/run):
#   1. installs what is missing (scripts/deps.sh);
#   2. builds build/ (RelWithDebInfo) and runs every test: ctest -j2;
#   3. builds build-asan/ with AddressSanitizer + UBSan (-DDBMIG_SANITIZE=ON)
#      and runs the unit tests there (ctest -L unit), leaks included.
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
    say "ctest -L unit in build-asan/"
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -L unit --output-on-failure -j2; then
        failed+=("build-asan/: ctest -L unit")
    fi
else
    failed+=("build-asan/: build")
fi

if ((${#failed[@]})); then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "all tests passed"
