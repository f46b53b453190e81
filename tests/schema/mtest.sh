#!/usr/bin/env bash
# tests/schema/mtest.sh — `dbmig test` (SPEC section 12, issue 15 item 4)
# on one target: run by tests/schema/run.sh for sqlite, postgres and mysql
# with TARGET, DBMIG, DBMIG_PLUGIN_DIR, DBMIG_SOURCE_DIR, URL (a fresh empty
# database) and the servers' URLs in the environment.
#
# Cases: the sample project passes with nothing reported; the eight planted
# faults of tests/schema/faults are reported, exactly those and nothing
# else (text, JSON and JUnit, the JUnit file well-formed with the right
# counts); --heads drops the heads fault only; the scratch database is gone
# afterwards and the --url database untouched; --yes-destroy is refused
# without --url on the command line and with --scratch-url, and with --url
# it empties that database and tests on it; usage mistakes exit 2.
# Prints `FAIL <case> <why>` for each failing case, exits 0 when all pass.
set -u
for v in TARGET DBMIG DBMIG_PLUGIN_DIR DBMIG_SOURCE_DIR URL; do
    if [ -z "${!v:-}" ]; then
        echo "FAIL setup $v is not set (run through tests/schema/run.sh)"
        exit 1
    fi
done
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_FORMAT DBMIG_PLUGIN_PATH
export NO_COLOR=1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAULTS=$HERE/faults
SAMPLE=$DBMIG_SOURCE_DIR/migrations
W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-mtest.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1

NFAIL=0
fail() { echo "FAIL $1 $2"; NFAIL=$((NFAIL + 1)); }

# t ARGS...: dbmig on $URL; stdout in $W/out, stderr in $W/err, exit code in $RC
t() {
    "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" --url "$URL" "$@" >"$W/out" 2>"$W/err"
    RC=$?
}

# The scratch databases left on the target's server (none expected).
scratch_left() {
    case $TARGET in
        sqlite) ls "${TMPDIR:-/tmp}" 2>/dev/null | grep -c '^dbmig_scratch_' ;;
        postgres) psql -X -Atq -d "$DBMIG_TEST_PG_URL" \
                      -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbmig\_scratch\_%'" ;;
        mysql) mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot -N \
                   -e "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'dbmig\_scratch\_%'" ;;
    esac
}

# The FAIL/SKIP lines of the last text report, "KIND REV CHECK", sorted.
verdicts() { grep -E '^(FAIL|SKIP) ' "$W/out" | awk '{ sub(/:$/, "", $3); print $1, $2, $3 }' | sort; }

# junit_ok CASE FILE TESTS FAILURES: well-formed, with these counts
junit_ok() {
    local c=$1 f=$2 tests=$3 failures=$4
    [ -f "$f" ] || { fail "$c" "no JUnit file $f"; return; }
    if command -v xmllint >/dev/null; then
        xmllint --noout "$f" 2>"$W/xml.err" || fail "$c" "JUnit file is not well-formed XML: $(head -c 300 "$W/xml.err")"
    fi
    local n nf
    n=$(grep -c '<testcase ' "$f")
    nf=$(grep -c '<failure ' "$f")
    [ "$n" = "$tests" ] || fail "$c" "JUnit has $n testcases, expected $tests"
    [ "$nf" = "$failures" ] || fail "$c" "JUnit has $nf failures, expected $failures"
    grep -q "<testsuites name=\"dbmig test\" tests=\"$tests\" failures=\"$failures\"" "$f" ||
        fail "$c" "JUnit totals are not tests=$tests failures=$failures: $(grep '<testsuites' "$f")"
    ls "$(dirname "$f")" | grep -q '\.tmp\.' && fail "$c" "a temporary JUnit file was left behind"
}

before=$(scratch_left)

# --- the sample project: nothing reported -----------------------------------------
t --dir "$SAMPLE" test --junit "$W/sample.xml"
[ "$RC" = 0 ] || fail sample_passes "exit $RC, expected 0: $(cat "$W/out" "$W/err" | head -20)"
[ -z "$(verdicts)" ] || fail sample_nothing_reported "$(verdicts | head -5)"
summary=$(tail -n 1 "$W/out")
case $summary in
    "10 revisions, "*" checks, 0 failed in "*) ;;
    *) fail sample_summary "last line: '$summary'" ;;
esac
checks=$(echo "$summary" | sed -n 's/^[0-9]* revisions, \([0-9]*\) checks.*/\1/p')
junit_ok sample_junit "$W/sample.xml" "${checks:-?}" 0
t --dir "$SAMPLE" current
[ "$RC" = 0 ] && grep -q "nothing applied" "$W/out" ||
    fail sample_url_untouched "current on --url after test: exit $RC, '$(cat "$W/out")'"

# --- the eight faults: exactly those ---------------------------------------------
expected="FAIL 002 down
FAIL 003 down
FAIL 004 down
FAIL 005 verify
FAIL 007 data
FAIL 008 down
FAIL 012 up
FAIL graph heads
SKIP 009 down"
t --dir "$FAULTS" test --junit "$W/faults.xml"
[ "$RC" = 3 ] || fail faults_exit "exit $RC, expected 3: $(head -5 "$W/err")"
got=$(verdicts)
[ "$got" = "$expected" ] || fail faults_exactly_eight "got:
$got
expected:
$expected"
cp "$W/out" "$W/faults.out"
want() { grep -q -- "$2" "$W/faults.out" || fail "$1" "no '$2' in the report: $(grep -F "$3" "$W/faults.out" | head -3)"; }
want fault_index "downgrade of 002 leaves index accounts_email_idx behind" "FAIL 002"
want fault_column "downgrade of 003 leaves column nickname of table accounts behind" "FAIL 003"
want fault_wrong_table_tags "downgrade of 004 leaves table tags behind" "FAIL 004"
want fault_wrong_table_notes "downgrade of 004 removes table notes, which was there before its upgrade" "downgrade of 004"
want fault_verify "verify of 005 fails: .*005_verify_fails.sql:14: .*who" "FAIL 005"
want fault_rows "fixture rows of table orders lost by 007: 3 row(s), 2 after its downgrade" "FAIL 007"
want fault_no_down "008_no_down.sql has no down section" "FAIL 008"
want fault_fresh "upgrade of 012 fails on a fresh database: .*plans_from_my_laptop" "FAIL 012"
want fault_heads "the graph has 2 heads (011, 012)" "FAIL graph"
want irreversible_says_so "SKIP 009 down: irreversible" "SKIP 009"
summary=$(tail -n 1 "$W/faults.out")
case $summary in
    "12 revisions, "*" checks, 8 failed, some skipped in "*) ;;
    *) fail faults_summary "last line: '$summary'" ;;
esac
checks=$(echo "$summary" | sed -n 's/^[0-9]* revisions, \([0-9]*\) checks.*/\1/p')
junit_ok faults_junit "$W/faults.xml" "${checks:-?}" 8
grep -q 'classname="012" name="012 up" file="[^"]*012_fails_fresh.sql"' "$W/faults.xml" ||
    fail faults_junit_names "no testcase named after revision 012: $(grep -m2 '012' "$W/faults.xml")"

# JSON: the same verdicts
t --dir "$FAULTS" --format json test
[ "$RC" = 3 ] || fail faults_json_exit "exit $RC, expected 3"
jv=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["failed"], d["checks"] == len(d["cases"]))
for c in sorted(d["cases"], key=lambda c: (c["revision"], c["check"])):
    if c["status"] != "passed":
        print(c["status"], c["revision"], c["check"])
' "$W/out" 2>&1)
jexp="8 True
failed 002 down
failed 003 down
failed 004 down
failed 005 verify
failed 007 data
failed 008 down
skipped 009 down
failed 012 up
failed graph heads"
[ "$jv" = "$jexp" ] || fail faults_json "got: $jv"
if [ "$TARGET" = sqlite ]; then
    # the scratch file the JSON names is gone
    sf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database"])' "$W/out" 2>/dev/null)
    sf=${sf#sqlite:}
    [ -n "$sf" ] && [ ! -e "$sf" ] || fail scratch_file_removed "'$sf' is still there"
fi

# --heads: the same minus the heads fault
t --dir "$FAULTS" test --heads
[ "$RC" = 3 ] && [ "$(verdicts | grep -c '^FAIL')" = 7 ] && ! verdicts | grep -q 'graph heads' ||
    fail heads_allowed "exit $RC: $(verdicts)"

# --- nothing left behind --------------------------------------------------------
after=$(scratch_left)
[ "$after" = "$before" ] || fail scratch_removed "scratch databases before: $before, after: $after"
t --dir "$SAMPLE" current
[ "$RC" = 0 ] && grep -q "nothing applied" "$W/out" ||
    fail faults_url_untouched "current on --url after test: exit $RC, '$(cat "$W/out")'"

# --- --yes-destroy ---------------------------------------------------------------------
DATABASE_URL=$URL "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" --dir "$SAMPLE" test --yes-destroy \
    >"$W/out" 2>"$W/err"
RC=$?
[ "$RC" = 2 ] && grep -q -- "--url on the command line" "$W/err" ||
    fail destroy_needs_url "exit $RC: $(cat "$W/err")"
t --dir "$SAMPLE" test --yes-destroy --scratch-url "$URL"
[ "$RC" = 2 ] && grep -q "give one of them" "$W/err" ||
    fail destroy_not_with_scratch_url "exit $RC: $(cat "$W/err")"
t --dir "$SAMPLE" upgrade 005
[ "$RC" = 0 ] || fail destroy_setup "upgrade 005: exit $RC: $(cat "$W/err")"
# a dry run never writes: --dry-run test is refused before anything runs,
# and the database --yes-destroy would empty keeps its revisions
t --dir "$SAMPLE" --dry-run test --yes-destroy
[ "$RC" = 2 ] && grep -q "has no dry run" "$W/err" ||
    fail destroy_dry_run_refused "exit $RC: $(cat "$W/err")"
t --dir "$SAMPLE" current
grep -q "^005" "$W/out" || fail destroy_dry_run_untouched "after --dry-run: $(cat "$W/out" "$W/err")"
t --dir "$FAULTS" test --yes-destroy --heads
[ "$RC" = 3 ] && [ "$(verdicts | grep -c '^FAIL')" = 7 ] ||
    fail destroy_tests_on_url "exit $RC (the sample's tables must have been dropped first): $(verdicts; head -3 "$W/err")"
t --dir "$FAULTS" --format json test --yes-destroy --heads
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if "dbmig_scratch" not in d["database"] else 1)' "$W/out" 2>/dev/null ||
    fail destroy_database "tested on $(grep '"database"' "$W/out")"

# --yes-destroy with a schema-qualified --table (PostgreSQL): the version
# table it drops is the one in that schema, not a table named "vt.ver"
if [ "$TARGET" = postgres ]; then
    psql -X -q -d "$URL" -c "CREATE SCHEMA IF NOT EXISTS vt" >/dev/null 2>&1
    t --table vt.ver --dir "$SAMPLE" upgrade 002
    psql -X -q -d "$URL" -c "UPDATE vt.ver SET message = 'stale'" >/dev/null 2>&1
    t --table vt.ver --dir "$SAMPLE" test --yes-destroy
    [ "$RC" = 0 ] && [ "$(psql -X -Atq -d "$URL" -c "SELECT count(*) FROM vt.ver WHERE message = 'stale'")" = 0 ] ||
        fail destroy_qualified_table "exit $RC; stale rows left in vt.ver: $(psql -X -Atq -d "$URL" -c "SELECT revision FROM vt.ver WHERE message = 'stale'" | tr '\n' ' ') $(tail -2 "$W/err")"
fi

# the --url database now holds tables: it cannot be a scratch database
t --dir "$SAMPLE" test --scratch-url "$URL"
[ "$RC" != 0 ] && [ "$RC" != 3 ] && grep -q "empty" "$W/err" ||
    fail scratch_url_not_empty "exit $RC: $(cat "$W/err")"

# a failing fixture statement is its revision's failure, named by file:line
mkdir -p "$W/fx"
cat >"$W/fx/001_t.sql" <<'SQL'
-- dbmig:up
CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY);
-- dbmig:down
DROP TABLE t;
-- dbmig:fixture
INSERT INTO t (id) VALUES (1);
INSERT INTO t (id) VALUES (1);
SQL
t --dir "$W/fx" test
[ "$RC" = 3 ] && [ "$(verdicts)" = "FAIL 001 fixture" ] && grep -q "001_t.sql:7: " "$W/out" ||
    fail fixture_fails "exit $RC: $(cat "$W/out" "$W/err" | head -5)"

# a driver that cannot inspect its catalog is named
if [ "$TARGET" = sqlite ]; then
    if [ -e "${DBMIG_FIXTURE_PLUGIN_DIR:-/nonexistent}/dbmig_litesql.so" ]; then
        "$DBMIG" --plugin-dir "$DBMIG_FIXTURE_PLUGIN_DIR" --url "lsql:$W/l.db" --dir "$SAMPLE" test \
            >"$W/out" 2>"$W/err"
        RC=$?
        [ "$RC" = 2 ] && grep -q "driver litesql" "$W/err" || fail no_inspect "exit $RC: $(cat "$W/err")"
    else
        fail no_inspect "DBMIG_FIXTURE_PLUGIN_DIR/dbmig_litesql.so is missing (build the fixtures)"
    fi
fi

# --- SIGINT: stops between revisions, exit 130, the scratch database removed ------------
python3 "$DBMIG_SOURCE_DIR/bench/gen.py" 400 "$W/many" >/dev/null
# (a background job of a script starts with SIGINT ignored: python restores it)
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" --url "$URL" --dir "$W/many" --format json test \
    >"$W/int.out" 2>"$W/int.err" &
pid=$!
for _ in $(seq 1 600); do grep -q '^\[2/400\]' "$W/int.err" && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
RC=$?
[ "$RC" = 130 ] && grep -q "interrupted" "$W/int.err" && ! grep -q FAILED "$W/int.err" ||
    fail sigint "exit $RC: $(tail -n 3 "$W/int.err")"
[ "$(scratch_left)" = "$before" ] || fail sigint_scratch_removed "scratch databases left: $(scratch_left)"

# --- one bad down is reported once: the revisions after it are compared with
# the state the stairway really has, also when their round trip rewrites the
# schema's text (SQLite quotes a renamed table's name; core/mtest.c's quick
# mode then compares models, and must not hold the earlier fault against them)
mkdir -p "$W/once"
printf '%s\n' "-- dbmig:up" "CREATE TABLE notes (id INTEGER PRIMARY KEY);" \
    "CREATE TABLE tags (id INTEGER PRIMARY KEY);" "-- dbmig:down" "DROP TABLE tags;" \
    "DROP TABLE notes;" >"$W/once/001_base.sql"
printf '%s\n' "-- dbmig:up" "CREATE TABLE IF NOT EXISTS extra (id INTEGER PRIMARY KEY);" \
    "-- dbmig:down" "DROP TABLE notes;" >"$W/once/002_wrong_down.sql"
printf '%s\n' "-- dbmig:up" "ALTER TABLE tags RENAME TO labels;" "-- dbmig:down" \
    "ALTER TABLE labels RENAME TO tags;" >"$W/once/003_rename.sql"
t --dir "$W/once" test
got=$(verdicts | tr '\n' ';')
[ "$RC" = 3 ] && [ "$got" = "FAIL 002 down;" ] && [ "$(grep -c '^FAIL\|^    ' "$W/out")" = 2 ] ||
    fail reported_once "exit $RC, verdicts '$got': $(head -c 600 "$W/out")"

# --- usage mistakes ------------------------------------------------------------------
t --dir "$SAMPLE" test --bogus
[ "$RC" = 2 ] && grep -q "unknown option '--bogus' for test" "$W/err" || fail usage_unknown "exit $RC: $(cat "$W/err")"
t --dir "$SAMPLE" test --junit
[ "$RC" = 2 ] || fail usage_junit_value "exit $RC: $(cat "$W/err")"
t --dir "$SAMPLE" test --junit "$W/no/such/folder/r.xml"
[ "$RC" = 1 ] && grep -q "cannot write the JUnit report" "$W/err" ||
    fail junit_unwritable "exit $RC: $(cat "$W/err")"
grep -q '^\[1/' "$W/err" && fail junit_checked_first "the run went ahead with an unwritable report path"
# a path the folder allows but the rename cannot take (a folder): after the run
mkdir -p "$W/adir"
t --dir "$SAMPLE" test --junit "$W/adir"
[ "$RC" = 1 ] && grep -q "the JUnit report: cannot write" "$W/err" && [ -d "$W/adir" ] &&
    [ -z "$(ls -A "$W/adir")" ] && [ -z "$(ls "$W" | grep '^adir.')" ] ||
    fail junit_write_fails "exit $RC: $(cat "$W/err" | tail -2) $(ls -A "$W")"

[ "$NFAIL" = 0 ]
