#!/usr/bin/env bash
# lint.sh — static analysis of the project's C sources: cppcheck with
# cppcheck-suppressions.txt and clang-tidy with .clang-tidy (each
# suppression and disabled check carries its reason there). Zero findings
# or exit 1. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fail=0
echo "cppcheck $(cppcheck --version | cut -d' ' -f2)"
cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
    --suppressions-list=cppcheck-suppressions.txt --error-exitcode=1 -q \
    -j "$(nproc)" -I include -I core -I cli core cli drivers || fail=1
# compile_commands.json from a configure-only tree (nothing is built).
cmake -S . -B build-lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DDBMIG_TESTS=OFF >/dev/null
echo "clang-tidy $(clang-tidy --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)"
run-clang-tidy -p build-lint -quiet -j "$(nproc)" 'core/|cli/|drivers/' >build-lint/tidy.log 2>&1 || {
    grep -E "(warning|error):" build-lint/tidy.log | sed 's/\x1b\[[0-9;]*m//g' | sort -u
    fail=1
}
if ((fail)); then
    echo "lint: findings above"
    exit 1
fi
echo "lint: 0 findings (cppcheck, clang-tidy)"
