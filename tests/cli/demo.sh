#!/usr/bin/env bash
# tests/cli/demo.sh — the sample migrations/ folder on a temp SQLite file:
# upgrade, re-run (nothing applied), downgrade base (only the version table
# remains), upgrade again. Env: DBMIG, DBMIG_SOURCE_DIR.
set -u
: "${DBMIG:?}" "${DBMIG_SOURCE_DIR:?}"
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_CONFIG DBMIG_ENV

MIG=$DBMIG_SOURCE_DIR/migrations
T=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
DB=$T/demo.db
URL=sqlite:$DB

fail() { echo "FAIL: $*"; [ -s "$T/err" ] && sed 's/^/  stderr: /' "$T/err" | head -20; exit 1; }
ok() { echo "ok    $*"; }
q() { sqlite3 -batch -noheader "$DB" "$1"; }
run() { RC=0; "$DBMIG" --url "$URL" --dir "$MIG" "$@" > "$T/out" 2> "$T/err" || RC=$?; }

nfiles=$(find "$MIG" -maxdepth 1 -name '*.sql' -type f | wc -l)
[ "$nfiles" -gt 0 ] || fail "no sample migrations in $MIG"

# Every object except the version table's own (and SQLite's internal ones).
objects() {
    q "SELECT type || ' ' || name FROM sqlite_master
       WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'dbmig_version' ORDER BY 1"
}

run upgrade head
[ "$RC" = 0 ] || fail "upgrade head exited $RC"
n1=$(q "SELECT count(*) FROM dbmig_version")
[ "$n1" = "$nfiles" ] || fail "upgrade head: $n1 version rows for $nfiles files"
[ -n "$(objects)" ] || fail "upgrade head created no objects"
[ "$(q "SELECT count(*) FROM dbmig_version WHERE dirty <> 0")" = 0 ] || fail "dirty rows after upgrade"
ok "upgrade head: $n1 revisions applied"

snap=$(q "SELECT revision, seq, applied_at FROM dbmig_version ORDER BY seq")
objs=$(objects)
run upgrade head
[ "$RC" = 0 ] || fail "re-run exited $RC"
[ "$(q "SELECT revision, seq, applied_at FROM dbmig_version ORDER BY seq")" = "$snap" ] \
    || fail "re-run changed the version table"
[ "$(objects)" = "$objs" ] || fail "re-run changed the schema"
ok "re-run: nothing applied"

run check
[ "$RC" = 0 ] || fail "check exited $RC after upgrade head"
ok "check: 0"

run downgrade base
[ "$RC" = 0 ] || fail "downgrade base exited $RC"
[ "$(q "SELECT count(*) FROM dbmig_version")" = 0 ] || fail "version rows remain after downgrade base"
left=$(objects)
[ -z "$left" ] || fail "downgrade base left objects: $(echo "$left" | tr '\n' ',')"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='dbmig_version'")" = 1 ] \
    || fail "the version table is gone after downgrade base"
ok "downgrade base: only the version table remains"

run upgrade head
[ "$RC" = 0 ] || fail "second upgrade head exited $RC"
[ "$(q "SELECT count(*) FROM dbmig_version")" = "$nfiles" ] || fail "second upgrade: wrong row count"
[ "$(objects)" = "$objs" ] || fail "second upgrade: the schema differs from the first"
ok "upgrade again: same schema"
