#!/usr/bin/env bash
# tests/schema/drift.sh — `dbmig drift` and the config key dump-schema
# (SPEC section 12), run by run.sh on every target with a fresh empty
# database in URL:
#   - drift finds each of a column added by hand, an index dropped by hand,
#     a default changed, a foreign key removed and a table added (exit 3,
#     the expected line) and reports nothing on a clean database (exit 0);
#     --format json;
#   - the scratch database is gone after success, after a failure (a
#     migration that fails on the scratch) and after SIGINT (while it
#     replays a slow migration; PostgreSQL and SQLite cancel the statement,
#     MariaDB stops after it): on PostgreSQL pg_database, on MariaDB SHOW
#     DATABASES, on SQLite the private TMPDIR;
#   - --scratch-url: a database that is not empty (a table, a version
#     table) or the --url one is refused; an empty one is used and emptied
#     again, not dropped;
#   - dump-schema = FILE writes the dump after upgrade and after downgrade,
#     not after --dry-run; a failed write is reported (exit 1);
#   - the mistakes: --sql, a stray argument, --scratch-url without a value.
set -u
: "${DBMIG:?}" "${URL:?}" "${TARGET:?}" "${DBMIG_PLUGIN_DIR:?}"
W=$(mktemp -d "${TMPDIR:-/tmp}/drift.XXXXXX")
# dbmig's own TMPDIR: SQLite's scratch files go there, and nothing else
ST=$W/scratch-tmp
mkdir -p "$ST"
NFAIL=0
fail() { echo "FAIL $1 $2"; NFAIL=$((NFAIL + 1)); }
DBNAME=${URL##*/}
EXTRA=${DBNAME}_x # a second database for --scratch-url
# mysql_root, pg, sql, reset
. "$(dirname "${BASH_SOURCE[0]}")/targets.lib"

# scratches: the scratch databases that exist now
scratches() {
    case $TARGET in
        sqlite) ls -A "$ST" ;;
        postgres) pg -d "$DBMIG_TEST_PG_URL" -c "SELECT datname FROM pg_database WHERE datname LIKE 'dbmig\_scratch\_%' ORDER BY 1" ;;
        mysql) mysql_root -N -e "SHOW DATABASES LIKE 'dbmig\\_scratch\\_%'" ;;
    esac
}

cleanup() {
    case $TARGET in
        postgres) pg -d "$DBMIG_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $EXTRA WITH (FORCE)" 2>/dev/null ;;
        mysql) mysql_root -e "DROP DATABASE IF EXISTS $EXTRA" ;;
    esac
    rm -rf "$W"
}
trap cleanup EXIT

dbm() { TMPDIR=$ST "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" "$@"; }

# run ARGS: dbmig on the URL with the folder $M; $W/out, $W/err; sets RC
run() { dbm --url "$URL" --dir "$M" "$@" > "$W/out" 2> "$W/err"; RC=$?; }
errtext() { head -c 600 "$W/err" | tr '\n' '|'; }

# no_scratch_left CASE: the scratch databases are what they were before
no_scratch_left() {
    local now
    now=$(scratches)
    [ "$now" = "$BEFORE" ] || fail "$1" "a scratch database is left behind: $(printf '%s' "$now" | tr '\n' ' ')"
}

# expect_drift CASE WORD...: drift exits 3 and one line of stdout holds every WORD
expect_drift() {
    local case=$1
    shift
    BEFORE=$(scratches)
    run drift
    if [ "$RC" != 3 ]; then
        fail "$case" "drift exit $RC, expected 3: $(errtext) out: $(head -c 300 "$W/out" | tr '\n' '|')"
        return
    fi
    local line w ok=0
    while IFS= read -r line; do
        ok=1
        for w in "$@"; do case $line in *"$w"*) ;; *) ok=0 ;; esac; done
        [ $ok = 1 ] && break
    done < "$W/out"
    [ $ok = 1 ] || fail "$case" "no line with '$*' in: $(tr '\n' '|' < "$W/out")"
    grep -q "differs" "$W/err" || fail "$case" "stderr does not say that it differs: $(errtext)"
    no_scratch_left "$case"
}

# ---- the migrations ------------------------------------------------------------
M=$W/m
mkdir -p "$M"
cat > "$M/001_customers.sql" <<'SQL'
-- dbmig:message customers
-- dbmig:up
CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, status VARCHAR(20) DEFAULT 'new');
CREATE INDEX customers_name_idx ON customers (name);
-- dbmig:down
DROP TABLE customers;
SQL
cat > "$M/002_invoices.sql" <<'SQL'
-- dbmig:message invoices
-- dbmig:up
CREATE TABLE invoices (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL, amount DECIMAL(10,2) NOT NULL, CONSTRAINT invoices_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id));
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
-- dbmig:down
DROP TABLE invoices;
SQL

setup() { # a clean database at head
    reset
    run -q upgrade head
    [ "$RC" = 0 ] || { fail "$1" "setup: upgrade failed: $(errtext)"; return 1; }
}

# ---- clean: nothing to report ------------------------------------------------------
if setup clean; then
    BEFORE=$(scratches)
    run drift
    [ "$RC" = 0 ] || fail clean "drift exit $RC on a clean database: $(errtext) $(head -c 300 "$W/out" | tr '\n' '|')"
    grep -q "no drift" "$W/out" || fail clean "no 'no drift' line: $(head -c 300 "$W/out")"
    no_scratch_left clean
    run --dry-run drift # it would create a scratch database: refused, nothing made
    [ "$RC" = 2 ] && grep -q "drift has no dry run" "$W/err" || fail dry_run_refused "exit $RC: $(errtext)"
    no_scratch_left dry_run_refused
    run --format json drift
    [ "$RC" = 0 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["drift"] is False and d["differences"] == [] and d["exit_code"] == 0))' "$W/out" ||
        fail clean_json "exit $RC, $(head -c 300 "$W/out" | tr '\n' '|')"
fi

# ---- the five hand changes --------------------------------------------------------------
if setup column_added; then
    sql "ALTER TABLE customers ADD COLUMN email VARCHAR(200)"
    expect_drift column_added customers email "only in the database"
    # and as JSON
    run --format json drift
    [ "$RC" = 3 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["drift"] is True and d["exit_code"] == 3 and any("email" in x["object"] and "only in the database" in x["what"] for x in d["differences"])
sys.exit(not ok)' "$W/out" || fail column_added_json "exit $RC, $(head -c 400 "$W/out" | tr '\n' '|')"
fi

if setup index_dropped; then
    case $TARGET in
        mysql) sql "DROP INDEX customers_name_idx ON customers" ;;
        *) sql "DROP INDEX customers_name_idx" ;;
    esac
    expect_drift index_dropped customers_name_idx "only in the migrations"
fi

if setup default_changed; then
    case $TARGET in
        sqlite) # SQLite has no ALTER COLUMN: the table's text in the catalog
            sqlite3 "${URL#sqlite:}" "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql = replace(sql, 'DEFAULT ''new''', 'DEFAULT ''old''') WHERE name = 'customers';" ;;
        *) sql "ALTER TABLE customers ALTER COLUMN status SET DEFAULT 'old'" ;;
    esac
    expect_drift default_changed customers status "default" "old" "new"
fi

if setup fk_removed; then
    case $TARGET in
        sqlite)
            sqlite3 "${URL#sqlite:}" "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql = replace(sql, ', CONSTRAINT invoices_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)', '') WHERE name = 'invoices';" ;;
        mysql) sql "ALTER TABLE invoices DROP FOREIGN KEY invoices_customer_fk" ;;
        postgres) sql "ALTER TABLE invoices DROP CONSTRAINT invoices_customer_fk" ;;
    esac
    expect_drift fk_removed invoices "only in the migrations"
    grep -qi "foreign" "$W/out" || fail fk_removed "no line names a foreign key: $(tr '\n' '|' < "$W/out")"
fi

if setup table_added; then
    sql "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(50))"
    expect_drift table_added "table notes" "only in the database"
fi

# ---- the scratch database is gone after a failure ------------------------------------------
# 003 works on the live database (a table made by hand before it) and fails
# on the scratch one, which has no such table.
if setup failure; then
    sql "CREATE TABLE legacy (id INTEGER)"
    cat > "$M/003_legacy.sql" <<'SQL'
-- dbmig:message legacy
-- dbmig:up
ALTER TABLE legacy ADD COLUMN note VARCHAR(10);
-- dbmig:down
ALTER TABLE legacy DROP COLUMN note;
SQL
    run -q upgrade head
    [ "$RC" = 0 ] || fail failure "upgrade of 003 failed: $(errtext)"
    BEFORE=$(scratches)
    run drift
    [ "$RC" = 1 ] || fail failure "drift exit $RC, expected 1: $(errtext)"
    grep -q "scratch database" "$W/err" && grep -q "legacy" "$W/err" ||
        fail failure "the error does not name the scratch database and the failure: $(errtext)"
    no_scratch_left failure
    rm -f "$M/003_legacy.sql"
fi

# ---- ... and after SIGINT, while a slow migration replays ---------------------------------------
S=$W/slow
mkdir -p "$S"
cat > "$S/001_slow.sql" <<'SQL'
-- dbmig:message slow
-- dbmig:up postgres
SELECT pg_sleep(60);
-- dbmig:up mysql
DO SLEEP(4);
DO SLEEP(4);
-- dbmig:up sqlite
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c;
-- dbmig:down
SELECT 1;
SQL
reset
dbm --url "$URL" --dir "$S" -q stamp head > /dev/null 2> "$W/err" || fail sigint "stamp failed: $(errtext)"
BEFORE=$(scratches)
# exec: $! is dbmig itself, not a subshell (which would ignore SIGINT)
(TMPDIR=$ST exec "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" --url "$URL" --dir "$S" drift > "$W/out" 2> "$W/err") &
pid=$!
seen=0
for _ in $(seq 100); do # until the scratch exists and the replay runs
    [ "$(scratches)" != "$BEFORE" ] && { seen=1; break; }
    sleep 0.1
done
[ $seen = 1 ] || fail sigint "no scratch database appeared within 10 s"
sleep 1.5
t0=$(date +%s)
kill -INT "$pid"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    fail sigint "drift still runs 30 s after SIGINT"
    kill -KILL "$pid"
fi
wait "$pid"
rc=$?
t1=$(date +%s)
[ "$rc" = 130 ] || fail sigint "drift exit $rc after SIGINT, expected 130: $(errtext)"
grep -qi "interrupt" "$W/err" || fail sigint "the error does not say it was interrupted: $(errtext)"
[ "$TARGET" = mysql ] || [ $((t1 - t0)) -lt 20 ] || fail sigint "the stop took $((t1 - t0)) s: the slow statement was not cancelled"
no_scratch_left sigint

# ---- --scratch-url --------------------------------------------------------------------------
case $TARGET in
    sqlite) XURL="sqlite:$W/extra.db" ;;
    postgres) pg -d "$DBMIG_TEST_PG_URL" -c "CREATE DATABASE $EXTRA" && XURL="${URL%/*}/$EXTRA" ;;
    mysql) mysql_root -e "CREATE DATABASE $EXTRA" && XURL="${URL%/*}/$EXTRA" ;;
esac
xsql() {
    case $TARGET in
        sqlite) sqlite3 "$W/extra.db" "$1" ;;
        postgres) pg -d "$XURL" -c "$1" ;;
        mysql) mysql_root "$EXTRA" -e "$1" ;;
    esac
}
xtables() {
    case $TARGET in
        sqlite) sqlite3 "$W/extra.db" "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY 1" ;;
        postgres) pg -d "$XURL" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1" ;;
        mysql) mysql_root -N "$EXTRA" -e "SHOW TABLES" ;;
    esac
}
if setup scratch_url; then
    xsql "CREATE TABLE keepme (id INTEGER)"
    run drift --scratch-url "$XURL"
    [ "$RC" = 2 ] || fail scratch_url_not_empty "exit $RC, expected 2: $(errtext)"
    grep -q "keepme" "$W/err" && grep -q "empty" "$W/err" ||
        fail scratch_url_not_empty "the refusal does not name the table and say empty: $(errtext)"
    [ "$(xtables)" = keepme ] || fail scratch_url_not_empty "the refused database was changed: $(xtables | tr '\n' ' ')"
    xsql "DROP TABLE keepme"
    # a migrated database (a version table) is never taken for a scratch one
    xsql "CREATE TABLE dbmig_version (id INTEGER)"
    run drift --scratch-url "$XURL"
    [ "$RC" = 2 ] && grep -q "version table" "$W/err" || fail scratch_url_version_table "exit $RC: $(errtext)"
    [ "$(xtables)" = dbmig_version ] || fail scratch_url_version_table "the refused database was changed"
    xsql "DROP TABLE dbmig_version"
    run drift --scratch-url "$URL"
    [ "$RC" = 2 ] && grep -q "names the database itself" "$W/err" || fail scratch_url_itself "exit $RC: $(errtext)"
    BEFORE=$(scratches)
    run drift --scratch-url "$XURL"
    [ "$RC" = 0 ] || fail scratch_url "drift exit $RC: $(errtext)"
    [ -z "$(xtables)" ] || fail scratch_url "not emptied at the end: $(xtables | tr '\n' ' ')"
    no_scratch_left scratch_url
    # used again: the version table an earlier run left is no obstacle
    sql "ALTER TABLE customers ADD COLUMN email VARCHAR(200)"
    run drift --scratch-url="$XURL"
    [ "$RC" = 3 ] && grep -q email "$W/out" || fail scratch_url_again "exit $RC: $(errtext) $(tr '\n' '|' < "$W/out")"
    [ -z "$(xtables)" ] || fail scratch_url_again "not emptied at the end: $(xtables | tr '\n' ' ')"
    grep -q "${PGPASSWORD:-no-such-password}" "$W/err" "$W/out" && [ "$TARGET" = postgres ] &&
        fail scratch_url_password "a password is printed"
fi

# ---- dump-schema ------------------------------------------------------------------------------
reset
mkdir -p "$W/conf"
printf '[dbmig]\ndump-schema = schema.sql\n' > "$W/conf/dbmig.conf"
(cd "$W/conf" && dbm --url "$URL" --dir "$M" -q upgrade head > /dev/null 2> "$W/err") ||
    fail dump_schema_upgrade "upgrade failed: $(errtext)"
dbm --url "$URL" --dir "$M" schema dump > "$W/expect.sql" 2> /dev/null
cmp -s "$W/expect.sql" "$W/conf/schema.sql" || fail dump_schema_upgrade "the file is not the dump after upgrade"
grep -q invoices "$W/conf/schema.sql" || fail dump_schema_upgrade "no invoices in the file"
[ "$(ls -A "$W/conf" | sort | tr '\n' ' ')" = "dbmig.conf schema.sql " ] || fail dump_schema_temp "left: $(ls -A "$W/conf")"
(cd "$W/conf" && dbm --url "$URL" --dir "$M" -q downgrade -1 > /dev/null 2> "$W/err") ||
    fail dump_schema_downgrade "downgrade failed: $(errtext)"
dbm --url "$URL" --dir "$M" schema dump > "$W/expect.sql" 2> /dev/null
cmp -s "$W/expect.sql" "$W/conf/schema.sql" || fail dump_schema_downgrade "the file is not the dump after downgrade"
grep -q invoices "$W/conf/schema.sql" && fail dump_schema_downgrade "invoices still in the file"
echo sentinel > "$W/conf/schema.sql"
(cd "$W/conf" && dbm --url "$URL" --dir "$M" -q --dry-run upgrade head > /dev/null 2> "$W/err")
[ "$(cat "$W/conf/schema.sql")" = sentinel ] || fail dump_schema_dry_run "--dry-run wrote the file"
DBMIG_DUMP_SCHEMA=$W/nowhere/s.sql dbm --url "$URL" --dir "$M" -q upgrade head > /dev/null 2> "$W/err"
rc=$?
[ "$rc" = 1 ] && grep -q "upgrade succeeded, but dump-schema" "$W/err" && grep -q "nowhere/s.sql" "$W/err" ||
    fail dump_schema_unwritable "exit $rc: $(errtext)"
# the JSON result says so too (ok false, exit code 1, the error), not "ok"
dbm --url "$URL" --dir "$M" downgrade -1 > /dev/null 2>&1
DBMIG_DUMP_SCHEMA=$W/nowhere/s.sql dbm --url "$URL" --dir "$M" --format json upgrade head > "$W/out" 2> "$W/err"
rc=$?
[ "$rc" = 1 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["ok"] is False and d["exit_code"] == 1 and "dump-schema" in d["error"]))' "$W/out" ||
    fail dump_schema_unwritable_json "exit $rc: $(head -c 400 "$W/out" | tr '\n' '|')"
printf '[dbmig]\ndump-schemas = x.sql\n' > "$W/conf/dbmig.conf"
(cd "$W/conf" && dbm --url "$URL" --dir "$M" status > /dev/null 2> "$W/err")
grep -q "did you mean 'dump-schema'" "$W/err" || fail dump_schema_typo "$(errtext)"

# ---- mistakes ---------------------------------------------------------------------------------
run --sql drift
[ "$RC" = 2 ] && grep -q "leave --sql out" "$W/err" || fail offline "exit $RC: $(errtext)"
run drift extra
[ "$RC" = 2 ] && grep -q "no argument 'extra'" "$W/err" || fail stray_argument "exit $RC: $(errtext)"
run drift --scratch-url
[ "$RC" = 2 ] && grep -q "needs a value" "$W/err" || fail scratch_url_no_value "exit $RC: $(errtext)"
if [ "$TARGET" = sqlite ]; then
    dbm --url "sqlite:$W/none.db" --dir "$M" drift > "$W/out" 2> "$W/err"
    rc=$?
    [ "$rc" = 0 ] && [ ! -e "$W/none.db" ] || fail nodb "exit $rc, created: $([ -e "$W/none.db" ] && echo yes): $(errtext)"
    if [ -e "${DBMIG_FIXTURE_PLUGIN_DIR:-/nonexistent}/dbmig_litesql.so" ]; then
        "$DBMIG" --plugin-dir "$DBMIG_FIXTURE_PLUGIN_DIR" --url "lsql:$W/l.db" --dir "$M" drift > "$W/out" 2> "$W/err"
        rc=$?
        [ "$rc" = 2 ] && grep -q "driver litesql" "$W/err" || fail no_inspect "exit $rc: $(errtext)"
    else
        fail no_inspect "DBMIG_FIXTURE_PLUGIN_DIR/dbmig_litesql.so is missing (build the fixtures)"
    fi
fi

[ "$NFAIL" -eq 0 ] && echo "drift.sh on $TARGET: all cases passed"
exit $((NFAIL > 0))
