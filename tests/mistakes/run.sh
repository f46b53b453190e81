#!/usr/bin/env bash
# tests/mistakes/run.sh — the mistakes corpus: one case per mistake a user
# makes (a misspelt marker, a foreign tool's syntax, an option in the wrong
# place, a bad boolean, a wrong path, ...). Every case asserts three things:
# the exit code, a message that names what went wrong (and where, and what
# to do), and that the database is exactly as it was before (`mistake`).
#
#   DBMIG=build/dbmig bash tests/mistakes/run.sh                 # SQLite
#   DBMIG=... DBMIG_TEST_DRIVER=postgres DBMIG_TEST_URL=... bash run.sh
#
# Cases live in cases_*.sh beside this file, one file per area; a case is a
# shell function named m_<area>_<what>. Every m_* function defined there runs
# (no list to keep in sync). A case that does not apply to a driver calls
# `skip why` and is counted as skipped. The run fails when any case fails or
# when fewer than DBMIG_MISTAKES_MIN cases (default 80) ran on SQLite.
# DBMIG_TEST_ONLY=regex runs a subset (and lifts the minimum).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
. "$HERE/../cli/lib.sh"

# ---- the database's fingerprint -----------------------------------------

# db_fingerprint: everything a mistake must leave alone, as text: whether
# the SQLite file (and its lock file) exists, every table with its columns,
# every index, and every row of the version table.
# One client process per fingerprint on the servers (psql's \if, MariaDB's
# PREPARE): a client start with its password handshake costs ~60 ms on a
# loaded 2-core CI machine, and every mistake takes two fingerprints (the
# four separate queries this used to run made the corpus 4x slower on
# PostgreSQL and MariaDB than on SQLite).
db_fingerprint() {
    case $DB_KIND in
        sqlite)
            if [ ! -e "$DB_FILE" ]; then echo "<no database file>"; return; fi
            db_query "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            if table_exists "$VT"; then
                echo "-- version table"
                db_query "SELECT revision, checksum, seq, $DIRTY, progress FROM $VT ORDER BY seq"
            fi ;;
        postgres)
            psql -X -q -A -t -v ON_ERROR_STOP=1 -d "${DBMIG_TEST_NATIVE_URL:-$URL}" -f - <<SQL
SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
 WHERE table_schema = current_schema() ORDER BY 1, 2;
SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1;
SELECT count(*) = 1 AS has_vt FROM information_schema.tables
 WHERE table_schema = current_schema() AND table_name = '$VT' \gset
\if :has_vt
\echo -- version table
SELECT revision, checksum, seq, $DIRTY, progress FROM $VT ORDER BY seq;
\endif
SQL
            ;;
        mysql)
            _mysql_client -N -B <<SQL | tr '\t' '|'
SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns
 WHERE table_schema = database() ORDER BY 1, 2;
SELECT table_name, index_name, column_name FROM information_schema.statistics
 WHERE table_schema = database() ORDER BY 1, 2, 3;
SET @q = IF((SELECT count(*) FROM information_schema.tables
             WHERE table_schema = database() AND table_name = '$VT') = 1,
            'SELECT concat_ws(''|'', revision, checksum, seq, $DIRTY, progress) FROM $VT ORDER BY seq',
            'SELECT ''<no version table>''');
PREPARE fp FROM @q;
EXECUTE fp;
DEALLOCATE PREPARE fp;
SQL
            ;;
    esac
}

# mistake EXIT TEXT [TEXT2 ...] -- ARGS...: runs `dbm ARGS` (the case's URL
# and folder) and requires exit EXIT, every TEXT in stdout or stderr, and the
# database unchanged. `mistake_raw` is the same with ARGS passed to dbmig as
# they are (no --url/--dir added).
mistake() { _mistake dbm "$@"; }
mistake_raw() { _mistake run "$@"; }

_mistake() {
    local runner=$1 want=$2 before after t
    shift 2
    local texts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do texts+=("$1"); shift; done
    [ "${1:-}" = -- ] || fail "mistake: missing -- before the arguments"
    shift
    before=$(db_fingerprint)
    "$runner" "$@"
    expect_exit "$want" "dbmig $*"
    for t in "${texts[@]}"; do expect_contains all "$t"; done
    after=$(db_fingerprint)
    [ "$after" = "$before" ] || fail "dbmig $* changed the database:
--- before
$before
--- after
$after"
}

# ---- the run -------------------------------------------------------------

[ -x "$DBMIG" ] || { echo "run.sh: $DBMIG is not executable" >&2; exit 2; }
for f in "$HERE"/cases_*.sh; do
    # shellcheck disable=SC1090
    . "$f"
done
echo "dbmig mistakes corpus: $DBMIG, driver $DBMIG_TEST_DRIVER"
for c in $(declare -F | awk '$3 ~ /^m_/ { print $3 }'); do
    run_case "$c"
done
total=$((NPASS + NFAIL + NSKIP))
min=${DBMIG_MISTAKES_MIN:-80}
if [ "$DB_KIND" = sqlite ] && [ -z "${DBMIG_TEST_ONLY:-}" ] && [ "$total" -lt "$min" ]; then
    echo "mistakes: only $total cases ran; the corpus must hold at least $min"
    NFAIL=$((NFAIL + 1))
fi
summary
