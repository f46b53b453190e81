#!/usr/bin/env bash
# tests/schema/diff.sh — `dbmig diff` (SPEC section 13, issue 16), run by
# run.sh on every target with a fresh empty database in URL:
#   - the sample project (migrations/): its head dumped as schema.sql
#     gives "no changes", and no file; -v shows no notice of dbmig's own
#     statements on the scratch database;
#   - a real change (a table, a column, an index) is written (its mode
#     0644 less the umask), read back as
#     the next revision after the head, applied with `upgrade` (the
#     database then dumps as the desired schema) and reverted with
#     `downgrade` (it dumps as before); --from-db then sees no changes;
#   - --sql prints the statements and writes nothing; --concurrently on
#     PostgreSQL writes CONCURRENTLY in a transaction-off revision;
#   - the safety rules: a destructive change refused without
#     --allow-destructive (exit 3, no file, the flag named), written with
#     it and marked -- dbmig:destructive; a table renamed by hand reported
#     as a possible rename; a planted generator bug (DBMIG_TEST_DIFF_FAULT=up)
#     caught by the self-verification as a dbmig bug (exit 1, no file);
#     statements that fail only on rows the folder's migrations insert are
#     verified again without rows and refused (exit 3) naming the statement,
#     written once a revision fixes the rows; --from-db on a database not
#     at the folder's head and an empty schema.sql are refused (exit 3);
#   - --drivers sqlite,<target>: a section pair per driver, each applied on
#     its database (on SQLite: --scratch-url for a PostgreSQL one, its
#     password never printed);
#   - several heads refused (exit 2, dbmig merge named); a schema.sql that
#     fails names schema.sql:<line> (exit 1); --format json;
#   - no scratch database is left behind by any of them, nor after SIGINT
#     while schema.sql runs (its statement is cancelled).
set -u
: "${DBMIG:?}" "${URL:?}" "${TARGET:?}" "${DBMIG_PLUGIN_DIR:?}" "${DBMIG_SOURCE_DIR:?}"
W=$(mktemp -d "${TMPDIR:-/tmp}/diff.XXXXXX")
ST=$W/scratch-tmp # dbmig's own TMPDIR: SQLite's scratch files go there
mkdir -p "$ST"
NFAIL=0
fail() { echo "FAIL $1 $2"; NFAIL=$((NFAIL + 1)); }
DBNAME=${URL##*/}
EXTRA=dbmig_diff_x_$$ # an empty PostgreSQL database for --scratch-url (SQLite target)
# mysql_root, pg, sql, reset
. "$(dirname "${BASH_SOURCE[0]}")/targets.lib"

scratches() {
    ls -A "$ST"
    case $TARGET in
        postgres) pg -d "$DBMIG_TEST_PG_URL" -c "SELECT datname FROM pg_database WHERE datname LIKE 'dbmig\_scratch\_%' ORDER BY 1" ;;
        mysql) mysql_root -N -e "SHOW DATABASES LIKE 'dbmig\\_scratch\\_%'" ;;
    esac
}

cleanup() {
    pg -d "$DBMIG_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $EXTRA WITH (FORCE)" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

dbm() { TMPDIR=$ST "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" "$@"; }
# run ARGS: dbmig on the URL with the folder $M, in $W; $W/out, $W/err; RC
run() { (cd "$W" && dbm --url "$URL" --dir "$M" "$@") > "$W/out" 2> "$W/err"; RC=$?; }
errtext() { head -c 700 "$W/err" | tr '\n' '|'; }
outtext() { head -c 500 "$W/out" | tr '\n' '|'; }
nfiles() { find "$M" -maxdepth 1 -name '*.sql' | wc -l; }

# check CASE WANT_RC [TEXT...]: the last run exited WANT_RC, every TEXT is in
# its stdout or stderr, and no scratch database was left behind
check() {
    local case=$1 want=$2 t
    shift 2
    [ "$RC" = "$want" ] || fail "$case" "exit $RC, expected $want: $(errtext) out: $(outtext)"
    for t in "$@"; do
        grep -qF -- "$t" "$W/out" "$W/err" || fail "$case" "no '$t' in: $(outtext) | $(errtext)"
    done
    local now
    now=$(scratches)
    [ "$now" = "$BEFORE" ] || fail "$case" "a scratch database is left behind: $(printf '%s' "$now" | tr '\n' ' ')"
}

# ---- the sample project -----------------------------------------------------------
M=$W/migrations
cp -r "$DBMIG_SOURCE_DIR/migrations" "$M"
N0=$(nfiles)
BEFORE=$(scratches)
run -q upgrade head
[ "$RC" = 0 ] || fail setup "upgrade of the sample project failed: $(errtext)"
run schema dump -o "$W/schema.sql"
[ "$RC" = 0 ] && [ -s "$W/schema.sql" ] || fail setup "schema dump failed: $(errtext)"
cp "$W/schema.sql" "$W/head.sql"

run diff --to schema.sql
check sample_no_changes 0 "no changes"
[ "$(nfiles)" = "$N0" ] || fail sample_no_changes "a file was written: $(ls "$M")"
run diff --to schema.sql --from-db
check sample_no_changes_from_db 0 "no changes: the database already has"
# -v shows the database's notices, not those of dbmig's own housekeeping
# (PostgreSQL: DROP TABLE IF EXISTS of a version table the scratch lacks)
run -v diff --to schema.sql
check sample_verbose 0 "no changes"
! grep -q "does not exist, skipping" "$W/err" || fail sample_verbose "notices of emptying the scratch database: $(errtext)"

# ---- a real change: written, applied, reverted ---------------------------------------------
cp "$W/head.sql" "$W/change.sql"
cat >> "$W/change.sql" <<'SQL'

CREATE TABLE projects (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL,
  organization_id VARCHAR(36) NULL REFERENCES organizations (id));
CREATE INDEX projects_name_idx ON projects (name);
SQL
run --sql diff --to change.sql
check sql_prints 0 "CREATE TABLE" "projects_name_idx"
[ "$(nfiles)" = "$N0" ] || fail sql_writes_nothing "--sql wrote a file: $(ls "$M")"

(umask 027 && run diff --to change.sql -m "add projects"; echo "$RC" > "$W/rc")
RC=$(cat "$W/rc")
check change_written 0 "wrote $M/" "(up: "
NEW=$(find "$M" -maxdepth 1 -name '*add_projects.sql' | head -1)
if [ -z "$NEW" ]; then
    fail change_written "no *_add_projects.sql in $(ls "$M")"
else
    # made as `dbmig revision` makes a file: 0644 less the umask
    [ "$(stat -c %a "$NEW")" = 640 ] || fail change_written "mode $(stat -c %a "$NEW") under umask 027, expected 640"
    grep -q '^-- dbmig:parents 010$' "$NEW" || fail change_written "the parent is not the head 010: $(head -5 "$NEW" | tr '\n' '|')"
    grep -q '^-- dbmig:message add projects$' "$NEW" && grep -q "^-- dbmig:up $TARGET\$" "$NEW" &&
        grep -q "^-- dbmig:down $TARGET\$" "$NEW" || fail change_written "header or sections missing: $(tr '\n' '|' < "$NEW" | head -c 600)"
    run -q upgrade head
    check change_applied 0
    run schema dump -o "$W/after_up.sql"
    # the database now is the desired schema: diff --from-db sees nothing
    run diff --to change.sql --from-db
    check change_applied_from_db 0 "no changes"
    run diff --to change.sql
    check change_folder_now_equal 0 "no changes"
    run -q downgrade -1
    check change_reverted 0
    run schema dump -o "$W/after_down.sql"
    cmp -s "$W/after_down.sql" "$W/head.sql" || fail change_reverted "the database does not dump as before the change: $(diff "$W/head.sql" "$W/after_down.sql" | head -5 | tr '\n' '|')"
    rm -f "$NEW"
fi

# --from-db against a live database changed by hand: the index goes again
sql "CREATE INDEX hand_idx ON users (email)"
run --sql diff --to schema.sql --from-db
check from_db_hand_change 0 "hand_idx"
run --sql diff --to schema.sql
check from_db_folder_unchanged 0 # the folder has no such index
grep -q hand_idx "$W/out" && fail from_db_folder_unchanged "the folder's diff names an index it does not have: $(outtext)"
run -q downgrade base
run -q upgrade head

# --concurrently (PostgreSQL): the index CONCURRENTLY, in a transaction-off revision
if [ "$TARGET" = postgres ]; then
    cp "$W/head.sql" "$W/conc.sql"
    echo "CREATE INDEX users_email2_idx ON users (email);" >> "$W/conc.sql"
    run diff --to conc.sql --concurrently -m conc
    check concurrently 0 "wrote "
    NEW=$(find "$M" -maxdepth 1 -name '*_conc.sql' | head -1)
    if [ -z "$NEW" ]; then
        fail concurrently "no file: $(ls "$M")"
    else
        grep -q '^-- dbmig:transaction off$' "$NEW" && grep -q 'CREATE INDEX CONCURRENTLY' "$NEW" ||
            fail concurrently "no transaction off / CONCURRENTLY: $(tr '\n' '|' < "$NEW" | head -c 600)"
        run -q upgrade head
        check concurrently_applies 0
        run -q downgrade -1
        check concurrently_reverts 0
        rm -f "$NEW"
    fi
fi

# PostgreSQL: a schema.sql that only loads outside a transaction (an enum
# value added, then used) is run again statement by statement
if [ "$TARGET" = postgres ]; then
    cp "$W/head.sql" "$W/notx.sql"
    cat >> "$W/notx.sql" <<'SQL'
CREATE TYPE notx_mood AS ENUM ('a');
ALTER TYPE notx_mood ADD VALUE 'b';
CREATE TABLE notx_t (m notx_mood DEFAULT 'b');
SQL
    run --sql diff --to notx.sql
    check schema_sql_outside_tx 0 "notx_t"
fi

# ---- safety: destructive, rename, the planted bug -------------------------------------------
cp "$W/head.sql" "$W/drop.sql"
echo "DROP TABLE audit_events;" >> "$W/drop.sql"
run diff --to drop.sql -m "drop audit"
check destructive_refused 3 "audit_events" "--allow-destructive"
[ "$(nfiles)" = "$N0" ] || fail destructive_refused "a file was written: $(ls "$M")"
run diff --to drop.sql -m "drop audit" --allow-destructive
check destructive_allowed 0 "wrote " "warning:" "audit_events"
NEW=$(find "$M" -maxdepth 1 -name '*drop_audit.sql' | head -1)
if [ -z "$NEW" ]; then
    fail destructive_allowed "no file written: $(ls "$M")"
else
    awk '/^-- dbmig:down/ { exit } { print }' "$NEW" | grep -q '^-- dbmig:destructive .*audit_events' ||
        fail destructive_marker "no -- dbmig:destructive line in the up section: $(tr '\n' '|' < "$NEW" | head -c 600)"
    rm -f "$NEW"
fi

cp "$W/head.sql" "$W/rename.sql"
echo "ALTER TABLE audit_events RENAME TO audit_log;" >> "$W/rename.sql"
run --sql diff --to rename.sql
check rename_hint 0 "rename?"

BEFORE=$(scratches)
DBMIG_TEST_DIFF_FAULT=up run diff --to change.sql -m "add projects"
check planted_bug_caught 1 "dbmig bug: the generated up statements for $TARGET give a schema that differs from the desired one" "please report it"
[ "$(nfiles)" = "$N0" ] || fail planted_bug_caught "a file was written: $(ls "$M")"

# rows the folder's migrations insert break a key the desired schema adds:
# the statements are right (verified again on the schema without rows), the
# file is written, and a warning says what the rows will do to it
R=$W/rows
mkdir -p "$R"
cat > "$R/001_base.sql" <<'SQL'
-- dbmig:up
CREATE TABLE rp (id INTEGER NOT NULL PRIMARY KEY);
CREATE TABLE rc (id INTEGER NOT NULL PRIMARY KEY, rp_id INTEGER);
INSERT INTO rp VALUES (1);
INSERT INTO rc VALUES (1, 1), (2, 99);
-- dbmig:down
DROP TABLE rc;
DROP TABLE rp;
SQL
cat > "$W/rows.sql" <<'SQL'
CREATE TABLE rp (id INTEGER NOT NULL PRIMARY KEY);
CREATE TABLE rc (id INTEGER NOT NULL PRIMARY KEY, rp_id INTEGER,
  CONSTRAINT rc_rp_fk FOREIGN KEY (rp_id) REFERENCES rp (id));
SQL
(cd "$W" && dbm --url "$URL" --dir "$R" diff --to rows.sql -m "rows key") > "$W/out" 2> "$W/err"
RC=$?
check rows_break_key 3 "right on the schema alone" "because of rows its migrations insert" "the up statement" "Fix those rows first"
grep -q "dbmig bug" "$W/err" && fail rows_break_key "reported as a dbmig bug: $(errtext)"
[ "$(find "$R" -name '*rows_key.sql' | wc -l)" = 0 ] || fail rows_break_key "a file was written: $(ls "$R")"
# the rows fixed by a revision: the same diff writes the file
cat > "$R/002_fix_rows.sql" <<'SQL'
-- dbmig:up
DELETE FROM rc WHERE rp_id = 99;
-- dbmig:down
SQL
(cd "$W" && dbm --url "$URL" --dir "$R" diff --to rows.sql -m "rows key") > "$W/out" 2> "$W/err"
RC=$?
check rows_fixed_written 0 "wrote "
# --from-db: a database that is not at the folder's head is refused
(cd "$W" && dbm --url "$URL" --dir "$R" diff --to rows.sql --from-db) > "$W/out" 2> "$W/err"
RC=$?
check from_db_not_at_head 3 "has a revision applied that no file has"
# an empty schema.sql is refused, not read as "drop everything"
: > "$W/empty.sql"
run diff --to empty.sql
check empty_schema_refused 3 "holds no statement"

# ---- errors: schema.sql that fails, several heads ---------------------------------------------
printf 'CREATE TABLE a1 (id INTEGER);\n\nCREATE TABLE a2 (id INTEGER REFERENCES);\n' > "$W/bad.sql"
run diff --to bad.sql
check schema_sql_fails 1 "bad.sql:3: statement 2 of 2 failed:" "does not load into an empty $TARGET database"
# the desired schema is a file, not a revision: no "of revision bad" in its errors
! grep -qF "of revision" "$W/err" || fail schema_sql_fails "it calls schema.sql a revision: $(errtext)"

mkdir -p "$W/heads"
printf -- '-- dbmig:up\nCREATE TABLE h1 (id INTEGER);\n-- dbmig:down\nDROP TABLE h1;\n' > "$W/heads/001_h1.sql"
printf -- '-- dbmig:parents base\n-- dbmig:up\nCREATE TABLE h2 (id INTEGER);\n-- dbmig:down\nDROP TABLE h2;\n' > "$W/heads/002_h2.sql"
(cd "$W" && dbm --url "$URL" --dir "$W/heads" diff --to schema.sql) > "$W/out" 2> "$W/err"
RC=$?
check several_heads 2 "several heads (001, 002)" "dbmig merge"

# ---- SIGINT while schema.sql runs: the scratch database is removed ------------------------------
cat > "$W/slow.sql" <<'SQL'
-- dbmig:up postgres
CREATE TABLE s1 (id INTEGER);
SELECT pg_sleep(60);
-- dbmig:up mysql
CREATE TABLE s1 (id INTEGER);
DO SLEEP(4);
DO SLEEP(4);
-- dbmig:up sqlite
CREATE TABLE s1 (id INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c;
SQL
BEFORE=$(scratches)
# exec: $! is dbmig itself, not a subshell (which would ignore SIGINT)
(cd "$W" && TMPDIR=$ST exec "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" --url "$URL" --dir "$M" diff --to slow.sql > "$W/out" 2> "$W/err") &
pid=$!
seen=0
for _ in $(seq 100); do
    [ "$(scratches)" != "$BEFORE" ] && { seen=1; break; }
    sleep 0.1
done
[ $seen = 1 ] || fail sigint "no scratch database appeared within 10 s"
sleep 1.5
kill -INT "$pid"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    fail sigint "diff still runs 30 s after SIGINT"
    kill -KILL "$pid"
fi
wait "$pid"
RC=$?
check sigint 130 "interrupted"
[ "$(nfiles)" = "$N0" ] || fail sigint "a file was written: $(ls "$M")"

# ---- JSON ------------------------------------------------------------------------------------------
run --format json diff --to change.sql -m "json change"
check json_written 0
python3 - "$W/out" <<'PY' || fail json_written "$(outtext)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["changed"] is True and d["file"] and d["revision"] and d["exit_code"] == 0 and d["error"] is None, d
PY
find "$M" -maxdepth 1 -name '*json_change.sql' -delete
run --format json diff --to drop.sql
check json_refused 3
python3 - "$W/out" <<'PY' || fail json_refused "$(outtext)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["changed"] is True and d["file"] is None and d["exit_code"] == 3, d
assert "--allow-destructive" in d["error"], d
assert any(n["kind"] == "destructive" and "audit_events" in n["object"] + n["text"] for n in d["notes"]), d
PY

# ---- several drivers -----------------------------------------------------------------------------
# A small folder of portable DDL, and a schema.sql with a section per driver.
M2=$W/m2
mkdir -p "$M2"
printf -- '-- dbmig:up\nCREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(50));\n-- dbmig:down\nDROP TABLE notes;\n' > "$M2/001_notes.sql"
DRIVERS="sqlite,$TARGET"
EXTRA_ARGS=()
if [ "$TARGET" = sqlite ]; then
    # a server driver besides: it needs a scratch database of its own
    DRIVERS=sqlite,postgres
    pg -d "$DBMIG_TEST_PG_URL" -c "CREATE DATABASE $EXTRA" || fail drivers "cannot create $EXTRA"
    EXTRA_ARGS=(--scratch-url "${DBMIG_TEST_PG_URL%/*}/$EXTRA")
fi
for d in ${DRIVERS//,/ }; do
    printf -- '-- dbmig:up %s\nCREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(50));\nCREATE TABLE tags (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(40) NOT NULL);\n' "$d"
done > "$W/multi.sql"
reset
run2() { (cd "$W" && dbm --url "$URL" --dir "$M2" "$@") > "$W/out" 2> "$W/err"; RC=$?; }
if [ "$TARGET" = sqlite ]; then
    run2 diff --to multi.sql --drivers "$DRIVERS" -m tags
    check drivers_need_scratch_url 2 "--scratch-url postgres://"
fi
run2 diff --to multi.sql --drivers "$DRIVERS" -m tags "${EXTRA_ARGS[@]}"
check drivers_written 0 "wrote " "(up: 2 statements, down: 2)"
PGPW=${DBMIG_TEST_PG_URL#*://*:}
PGPW=${PGPW%%@*}
grep -qF "$PGPW" "$W/out" "$W/err" && fail drivers_password "the password was printed"
NEW=$(find "$M2" -maxdepth 1 -name '*_tags.sql' | head -1)
if [ -z "$NEW" ]; then
    fail drivers_written "no file: $(ls "$M2")"
else
    for d in ${DRIVERS//,/ }; do
        grep -q "^-- dbmig:up $d\$" "$NEW" && grep -q "^-- dbmig:down $d\$" "$NEW" ||
            fail drivers_sections "no section pair for $d: $(tr '\n' '|' < "$NEW" | head -c 600)"
    done
    LITE=$W/lite.db
    (cd "$W" && dbm --url "sqlite:$LITE" --dir "$M2" -q upgrade head) > "$W/out" 2> "$W/err"
    RC=$?
    check drivers_sqlite_applies 0
    [ "$(sqlite3 "$LITE" "SELECT count(*) FROM sqlite_master WHERE name = 'tags'")" = 1 ] ||
        fail drivers_sqlite_applies "no table tags on SQLite after upgrade"
    run2 -q upgrade head
    check drivers_target_applies 0
    run2 diff --to multi.sql --drivers "$DRIVERS" "${EXTRA_ARGS[@]}"
    check drivers_then_equal 0 "no changes"
fi

if [ "$NFAIL" -gt 0 ]; then
    echo "diff: $NFAIL failure(s) on $TARGET"
    exit 1
fi
echo "diff: all cases passed on $TARGET"
