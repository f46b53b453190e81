#!/usr/bin/env bash
# tests/schema/dump.sh — `dbmig schema dump` (SPEC section 12), run by
# run.sh on every target with a fresh empty database in URL:
#   - the sample project (migrations/) upgraded, then dumped twice in each
#     format: byte-identical;
#   - the SQL dump loaded into a second empty database of the same driver
#     (the up section of a one-file migrations folder) inspects to the same
#     JSON;
#   - -o FILE writes the same bytes atomically (no temporary file left,
#     an old file replaced, a failed write leaves it alone);
#   - the mistakes: --sql (offline) refused, a bad --format, an unknown
#     subcommand, a driver without inspect (exit 2 each, a clear message);
#     a database that does not exist yet dumps as empty and is not created.
set -u
: "${DBMIG:?}" "${URL:?}" "${TARGET:?}" "${DBMIG_PLUGIN_DIR:?}" "${DBMIG_SOURCE_DIR:?}"
W=$(mktemp -d "${TMPDIR:-/tmp}/dump.XXXXXX")
NFAIL=0
fail() { echo "FAIL $1 $2"; NFAIL=$((NFAIL + 1)); }

# second DB: another empty database of the same driver (dropped at exit)
second_db() {
    case $TARGET in
        sqlite) echo "sqlite:$W/second.db" ;;
        postgres) psql -X -q -v ON_ERROR_STOP=1 -d "$DBMIG_TEST_PG_URL" -c "CREATE DATABASE $1" >/dev/null &&
                      echo "${URL%/*}/$1" ;;
        mysql) mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot -e "CREATE DATABASE $1" &&
                   echo "${URL%/*}/$1" ;;
    esac
}
SECOND=${URL##*/}_b
cleanup() {
    case $TARGET in
        postgres) psql -X -q -d "$DBMIG_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $SECOND WITH (FORCE)" >/dev/null 2>&1 ;;
        mysql) mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot -e "DROP DATABASE IF EXISTS $SECOND" ;;
    esac
    rm -rf "$W"
}
trap cleanup EXIT

dbm() { "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" "$@"; }

# expect CASE CODE WORDS... -- ARGS: dbmig ARGS exits CODE and its stderr holds every WORD
expect() {
    local case=$1 code=$2
    shift 2
    local words=()
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    dbm "$@" > "$W/out" 2> "$W/err"
    local rc=$?
    if [ "$rc" != "$code" ]; then
        fail "$case" "exit $rc, expected $code: $(head -c 400 "$W/err" | tr '\n' '|')"
        return 1
    fi
    local w
    for w in "${words[@]}"; do
        grep -qF -- "$w" "$W/err" || { fail "$case" "stderr lacks '$w': $(head -c 400 "$W/err" | tr '\n' '|')"; return 1; }
    done
    return 0
}

M=$DBMIG_SOURCE_DIR/migrations
if ! dbm --url "$URL" --dir "$M" -q upgrade head > /dev/null 2> "$W/err"; then
    fail upgrade_sample "$(head -c 400 "$W/err" | tr '\n' '|')"
    exit 1
fi

# deterministic: two runs, the same bytes, in each format
for f in sql json; do
    dbm --url "$URL" --dir "$M" schema dump --format $f > "$W/a.$f" 2> "$W/err" ||
        fail "dump_$f" "$(head -c 400 "$W/err" | tr '\n' '|')"
    dbm --url "$URL" --dir "$M" schema dump --format=$f > "$W/b.$f" 2>> "$W/err" ||
        fail "dump_${f}_again" "$(head -c 400 "$W/err" | tr '\n' '|')"
    cmp -s "$W/a.$f" "$W/b.$f" || fail "deterministic_$f" "two dumps differ: $(diff "$W/a.$f" "$W/b.$f" | head -5 | tr '\n' '|')"
    [ -s "$W/a.$f" ] || fail "dump_$f" "the dump is empty"
done
grep -q organizations "$W/a.sql" || fail dump_sql "no table organizations in the dump"
grep -q organizations "$W/a.json" || fail dump_json "no table organizations in the JSON"
grep -q dbmig_version "$W/a.sql" "$W/a.json" && fail version_table "the version table is in the dump"
# the global --format json picks JSON too; sql is the default
dbm --url "$URL" --dir "$M" --format json schema dump > "$W/g.json" 2> /dev/null
cmp -s "$W/a.json" "$W/g.json" || fail global_format_json "--format json before the command gave another output"
dbm --url "$URL" --dir "$M" schema dump > "$W/d.sql" 2> /dev/null
cmp -s "$W/a.sql" "$W/d.sql" || fail default_sql "the default format is not sql"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$W/a.json" 2> "$W/err" ||
    fail json_valid "$(tail -1 "$W/err")"

# the SQL dump loads into an empty database of the same driver and
# inspects to the same model
if U2=$(second_db "$SECOND"); then
    mkdir -p "$W/load"
    { echo "-- dbmig:message the dump"; echo; echo "-- dbmig:up"; cat "$W/a.sql"; } > "$W/load/001_dump.sql"
    if dbm --url "$U2" --dir "$W/load" -q upgrade head > /dev/null 2> "$W/err"; then
        dbm --url "$U2" --dir "$W/load" schema dump --format json > "$W/loaded.json" 2> "$W/err"
        cmp -s "$W/a.json" "$W/loaded.json" ||
            fail roundtrip "the loaded dump inspects differently: $(diff "$W/a.json" "$W/loaded.json" | head -12 | tr '\n' '|')"
    else
        fail roundtrip "the SQL dump does not load into an empty database: $(head -c 600 "$W/err" | tr '\n' '|')"
    fi
else
    fail roundtrip "cannot create a second database"
fi

# -o FILE: the same bytes, atomically
mkdir -p "$W/o"
echo old > "$W/o/schema.sql"
# a dry run never writes: -o FILE keeps its old bytes
dbm --url "$URL" --dir "$M" --dry-run schema dump -o "$W/o/schema.sql" > "$W/out" 2> "$W/err" &&
    grep -q "nothing was written" "$W/out" && [ "$(cat "$W/o/schema.sql")" = old ] ||
    fail dry_run_output "--dry-run schema dump -o wrote the file or said nothing: $(cat "$W/out" "$W/err" | head -c 300)"
if dbm --url "$URL" --dir "$M" schema dump -o "$W/o/schema.sql" > "$W/out" 2> "$W/err"; then
    cmp -s "$W/a.sql" "$W/o/schema.sql" || fail output_file "-o wrote other bytes than stdout"
    [ -s "$W/out" ] && fail output_file "-o also printed on stdout"
    [ "$(ls -A "$W/o")" = schema.sql ] || fail output_temp "left beside the file: $(ls -A "$W/o" | tr '\n' ' ')"
else
    fail output_file "$(head -c 400 "$W/err" | tr '\n' '|')"
fi
dbm --url "$URL" --dir "$M" schema dump --format json --output "$W/o/schema.json" 2> /dev/null
cmp -s "$W/a.json" "$W/o/schema.json" || fail output_json "--output with --format json"
expect output_no_folder 1 "cannot write $W/nowhere/s.sql" -- --url "$URL" --dir "$M" schema dump -o "$W/nowhere/s.sql"
if [ "$(id -u)" != 0 ]; then
    mkdir -p "$W/ro" && echo keep > "$W/ro/s.sql" && chmod 555 "$W/ro"
    expect output_readonly 1 "cannot write $W/ro/s.sql" -- --url "$URL" --dir "$M" schema dump -o "$W/ro/s.sql"
    [ "$(cat "$W/ro/s.sql")" = keep ] || fail output_readonly "the old file was changed"
    chmod 755 "$W/ro"
fi

# mistakes
expect offline_sql 2 "--sql" "live database" "leave --sql out" -- --url "$URL" --dir "$M" --sql schema dump
expect offline_sql_after 2 "--sql" "leave --sql out" -- --url "$URL" --dir "$M" schema dump --sql
expect bad_format 2 "bad value 'yaml'" "sql or json" -- --url "$URL" --dir "$M" schema dump --format yaml
expect no_subcommand 2 "schema needs a subcommand" "dump" -- --url "$URL" --dir "$M" schema
expect bad_subcommand 2 "not lump" -- --url "$URL" --dir "$M" schema lump
expect stray_argument 2 "no argument 'x'" -- --url "$URL" --dir "$M" schema dump x
expect format_no_value 2 "needs a value" -- --url "$URL" --dir "$M" schema dump --format

if [ "$TARGET" = sqlite ]; then
    # a database that does not exist yet: an empty schema, and no file made
    expect nodb 0 -- --url "sqlite:$W/none.db" --dir "$M" schema dump --format json
    [ -e "$W/none.db" ] && fail nodb "schema dump created the database file"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(any(v for v in d.values() if isinstance(v, list)))' "$W/out" ||
        fail nodb "not an empty schema: $(head -c 200 "$W/out")"
    # a driver without inspect (plugins/example, ABI 2.0)
    if [ -n "${DBMIG_FIXTURE_PLUGIN_DIR:-}" ] && [ -e "$DBMIG_FIXTURE_PLUGIN_DIR/dbmig_litesql.so" ]; then
        "$DBMIG" --plugin-dir "$DBMIG_FIXTURE_PLUGIN_DIR" --url "lsql:$W/l.db" --dir "$M" schema dump \
            > "$W/out" 2> "$W/err"
        rc=$?
        [ "$rc" = 2 ] && grep -q "driver litesql" "$W/err" && grep -q "inspect" "$W/err" ||
            fail no_inspect "exit $rc: $(head -c 400 "$W/err" | tr '\n' '|')"
    else
        fail no_inspect "DBMIG_FIXTURE_PLUGIN_DIR/dbmig_litesql.so is missing (build the fixtures)"
    fi
fi

[ "$NFAIL" -eq 0 ] && echo "dump.sh on $TARGET: all cases passed"
exit $((NFAIL > 0))
