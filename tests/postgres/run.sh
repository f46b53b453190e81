#!/usr/bin/env bash
# tests/postgres/run.sh — everything for PostgreSQL, under one server start.
# Runs inside `scripts/pg-server.sh run` (which exports DBMIG_TEST_PG_URL and
# the PG* variables):
#   1. the driver contract + PostgreSQL driver checks (test_driver_postgres)
#   2. the CLI suite (tests/cli/suite.sh) with DBMIG_TEST_DRIVER=postgres
#   3. the mistakes corpus (tests/mistakes/run.sh) with DBMIG_TEST_DRIVER=postgres
#   4. the PostgreSQL-specific CLI cases (tests/postgres/suite.sh)
# Environment: DBMIG (the binary), DBMIG_SOURCE_DIR, DBMIG_TEST_PG_CONTRACT
# (the test_driver_postgres binary). Exits 1 if any part failed.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DBMIG_TEST_PG_URL:?run me through scripts/pg-server.sh run}"
: "${DBMIG:?DBMIG must name the dbmig binary}"
: "${DBMIG_TEST_PG_CONTRACT:?DBMIG_TEST_PG_CONTRACT must name test_driver_postgres}"
failed=()
t0=$SECONDS
part() {
    local name=$1 t=$SECONDS
    shift
    printf '\n==> %s\n' "$name"
    if "$@"; then
        printf '==> %s: ok (%ss)\n' "$name" $((SECONDS - t))
    else
        printf '==> %s: FAILED (%ss)\n' "$name" $((SECONDS - t))
        failed+=("$name")
    fi
}
part "driver contract (test_driver_postgres)" "$DBMIG_TEST_PG_CONTRACT"
part "CLI suite on postgres" env DBMIG_TEST_DRIVER=postgres DBMIG_TEST_URL="$DBMIG_TEST_PG_URL" \
    bash "$HERE/../cli/suite.sh"
part "mistakes corpus on postgres" env DBMIG_TEST_DRIVER=postgres DBMIG_TEST_URL="$DBMIG_TEST_PG_URL" \
    bash "$HERE/../mistakes/run.sh"
part "PostgreSQL-specific CLI cases" env DBMIG_TEST_DRIVER=postgres DBMIG_TEST_URL="$DBMIG_TEST_PG_URL" \
    bash "$HERE/suite.sh"
printf '\nPostgreSQL tests: %ss in all\n' $((SECONDS - t0))
if ((${#failed[@]})); then
    printf 'FAILED: %s\n' "${failed[*]}"
    exit 1
fi
