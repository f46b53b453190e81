#!/usr/bin/env bash
# demo.sh — installs what is missing, builds dbmig into build/, and migrates
# a SQLite database with the sample project in migrations/ (a multi-tenant
# SaaS schema), then shows its status. Run it again: nothing is applied the
# second time and it still exits 0.
#
#   bash scripts/demo.sh                  database: ./demo.db at the repo root
#   DEMO_DB=/tmp/x.db bash scripts/demo.sh
set -euo pipefail

# DEMO_DB, when relative, is relative to where the script was started from.
db=${DEMO_DB:-}
if [[ -n "$db" && "$db" != /* ]]; then
    db="$PWD/$db"
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
db=${db:-$PWD/demo.db}

say() { printf '==> %s\n' "$*" >&2; }

say "checking build dependencies (the demo's only: scripts/test.sh installs the rest)"
bash scripts/deps.sh --demo

say "configuring and building build/ (the SQLite driver, no tests)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBMIG_TESTS=OFF -DDBMIG_DRIVERS=sqlite \
    --log-level=WARNING
cmake --build build -j"$(nproc)"

say "dbmig upgrade head  (database: $db)"
./build/dbmig --url "sqlite:$db" --dir migrations upgrade head

say "dbmig status"
./build/dbmig --url "sqlite:$db" --dir migrations status
