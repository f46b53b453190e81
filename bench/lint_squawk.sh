#!/usr/bin/env bash
# bench/lint_squawk.sh — how often `dbmig lint` agrees with squawk, rule by
# rule, on PostgreSQL migrations (issue 18; the figures are in docs/lint.md).
# Installs squawk-cli with npm into a cache folder (bench/lint/squawk.sh;
# not in CI), then runs bench/lint/agree.py: the hand-written cases of
# tests/lint/corpus/hand.sql, the sample project's migrations and a few
# thousand generated ones (bench/lint/gen_corpus.py, seeded), each linted by
# both tools, squawk told which files run in a transaction.
#
#   bash bench/lint_squawk.sh                     # 3,000 generated cases
#   bash bench/lint_squawk.sh --generated 10000 --seed 7 --show 3
#   bash bench/lint_squawk.sh --record            # re-record tests/lint/corpus/squawk.json
#
# --record runs the corpus of the ctest lint.squawk (500 generated cases)
# and writes squawk's findings for it; then
# `DBMIG=build/bin/dbmig python3 tests/lint/agree.py --update` rewrites the
# expected differences.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. bench/lint/squawk.sh
squawk_bin
DBMIG=${DBMIG:-$root/build/bin/dbmig}
[[ -x "$DBMIG" ]] || { echo "no dbmig at $DBMIG: build it (cmake --build build --target dbmig_cli dbmig_postgres) or set DBMIG" >&2; exit 2; }
if [[ "${1:-}" == "--record" ]]; then
    exec python3 bench/lint/agree.py --dbmig "$DBMIG" --squawk "$SQUAWK" --generated 500 --seed 18 \
        --record tests/lint/corpus/squawk.json
fi
exec python3 bench/lint/agree.py --dbmig "$DBMIG" --squawk "$SQUAWK" "$@"
