#!/usr/bin/env bash
# examples/embed/test.sh CASE — ctest cases for the embedding example.
#   APP: the example binary; DBMIG_SOURCE_DIR: the source tree.
#   migrate     a fresh SQLite db migrates from the sample migrations: ready
#   check-only  --check-only on a fresh db: exit 1, "not ready: pending=N"
#   broken      a broken migrations folder: non-zero exit, the message on stderr
set -u
: "${APP:?}" "${DBMIG_SOURCE_DIR:?}"
unset DATABASE_URL
T=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-embed.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
MIG=$DBMIG_SOURCE_DIR/migrations
URL=sqlite:$T/app.db

fail() {
    echo "FAIL: $*"
    echo "--- stdout"; cat "$T/out" 2>/dev/null
    echo "--- stderr"; cat "$T/err" 2>/dev/null
    exit 1
}
run() { RC=0; "$APP" "$@" > "$T/out" 2> "$T/err" || RC=$?; }
nfiles=$(find "$MIG" -maxdepth 1 -name '*.sql' -type f | wc -l)

case ${1:-} in
migrate)
    run --url "$URL" --dir "$MIG"
    [ "$RC" = 0 ] || fail "start-up exited $RC"
    grep -qx 'ready: pending=0' "$T/out" || fail "no 'ready: pending=0'"
    n=$(sqlite3 "$T/app.db" "SELECT count(*) FROM dbmig_version")
    [ "$n" = "$nfiles" ] || fail "$n version rows for $nfiles migrations"
    run --url "$URL" --dir "$MIG" --check-only
    [ "$RC" = 0 ] || fail "--check-only after migrating exited $RC"
    grep -qx 'ready: pending=0' "$T/out" || fail "--check-only: no 'ready: pending=0'"
    run --url="$URL" --dir="$MIG"
    [ "$RC" = 0 ] || fail "second start-up exited $RC"
    ;;
check-only)
    run --url "$URL" --dir "$MIG" --check-only
    [ "$RC" = 1 ] || fail "--check-only on a fresh db exited $RC, expected 1"
    grep -qx "not ready: pending=$nfiles" "$T/out" || fail "expected 'not ready: pending=$nfiles'"
    if [ -e "$T/app.db" ]; then
        n=$(sqlite3 "$T/app.db" "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'dbmig_version%' AND name NOT LIKE 'sqlite_%'")
        [ "$n" = 0 ] || fail "--check-only created $n schema objects"
    fi
    ;;
broken)
    mkdir -p "$T/broken"
    printf -- '-- dbmig:up\nCREATE TABLE a (id INTEGER);\n' > "$T/broken/001_a.sql"
    printf -- '-- dbmig:nosuchkey 1\n-- dbmig:up\nCREATE TABLE b (id INTEGER);\n' > "$T/broken/002_b.sql"
    run --url "$URL" --dir "$T/broken"
    [ "$RC" != 0 ] || fail "a broken migrations folder was accepted"
    [ "$RC" = 3 ] || fail "expected exit 3 (validation), got $RC"
    grep -q '002_b.sql' "$T/err" || fail "the message does not name the broken file"
    grep -q 'refusing to start' "$T/err" || fail "no refusal message"
    grep -q 'ready' "$T/out" && fail "printed a readiness line although it refused to start"
    # a failing statement: exit 1, and the database keeps nothing of it
    rm "$T/broken/002_b.sql"
    printf 'INSERT INTO nosuch VALUES (1);\n' > "$T/broken/002_b.sql"
    run --url "$URL" --dir "$T/broken"
    [ "$RC" = 1 ] || fail "a failing migration: expected exit 1, got $RC"
    grep -q 'nosuch' "$T/err" || fail "the database's message is missing"
    run --url "sqlite:$T/other.db" --dir "$T/no/such/dir"
    [ "$RC" = 2 ] || fail "a missing folder: expected exit 2, got $RC"
    run --dir "$MIG"
    [ "$RC" = 2 ] || fail "no URL: expected exit 2, got $RC"
    ;;
*)
    echo "usage: test.sh migrate|check-only|broken" >&2
    exit 2
    ;;
esac
echo "ok: $1"
