#!/usr/bin/env bash
# tests/schema/diff_enum.postgres.sh — `dbmig diff` with PostgreSQL enum
# types (SPEC section 13; core/schema_diff_enum.c), on a real server, with
# rows in the tables. Each case: a one-revision folder creates schema A and
# is upgraded (then rows are inserted); `dbmig diff --to B.sql` writes the
# next revision, whose text is checked for the statements the case is about
# (CREATE TYPE, ADD VALUE BEFORE/AFTER, the recreation, the destructive
# line); `upgrade` gives B (`diff --from-db --to B.sql` says "no changes")
# with the rows kept; `downgrade` gives A again, likewise.
#   create         a new enum and a table using it
#   add_value      labels gained around the old ones: ADD VALUE BEFORE /
#                  AFTER / appended, no rewrite; the down recreates
#   add_used       a gained label used by a default in the same migration:
#                  recreated instead (ADD VALUE could not be used before
#                  commit)
#   lost_label     a label goes: refused without --allow-destructive (no
#                  file), marked destructive with it, rows kept
#   lost_held      a row holds the label that goes: upgrade fails, rolled
#                  back, the database still A
#   reorder        labels reordered, with a CHECK, a partial index, a view,
#                  a function and a foreign key over enum columns
#   drop           an enum goes with its column
#   to_text        a column goes from the enum to text and the enum goes;
#                  back again in the down
#   quoted_array   a name that needs quotes, an array column with a default
#   other_enum     columns (one an array, both with defaults) move to another
#                  enum while the old one loses a label and stays for a
#                  third column
#   generated      a stored generated column over the enum column: dropped
#                  and added again around the recreation (values recomputed)
#   rename_hint    one label replaced in its place: the warning suggests
#                  ALTER TYPE ... RENAME VALUE
#   dump_same      `schema dump` of a folder with enums (quotes, a
#                  backslash, an empty one, labels added BEFORE) written as
#                  schema.sql: diff says "no changes"
#
# KEEP=DIR keeps each case's generated revision as DIR/<case>.sql.
# Run by tests/schema/run.sh with TARGET=postgres, DBMIG, DBMIG_PLUGIN_DIR,
# URL (a fresh empty database; the test user may create databases). By
# hand: URL=postgres://... DBMIG=build/bin/dbmig DBMIG_PLUGIN_DIR=build/lib/dbmig \
#   bash tests/schema/diff_enum.postgres.sh [CASE...]
# Prints `FAIL <case> <why>` for each failed check; exit 0 when all pass.
set -u
: "${URL:?URL must name an empty PostgreSQL database}"
: "${DBMIG:?DBMIG must name the dbmig binary}"
unset DATABASE_URL DBMIG_URL DBMIG_DIR DBMIG_TABLE DBMIG_CONFIG DBMIG_FORMAT
export NO_COLOR=1
W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-diff-enum.XXXXXX")
trap 'rm -rf "$W"' EXIT
nfail=0
CASE=
fail() { echo "FAIL $CASE $1"; nfail=$((nfail + 1)); }
dbmig() { "$DBMIG" ${DBMIG_PLUGIN_DIR:+--plugin-dir "$DBMIG_PLUGIN_DIR"} --url "$URL" --dir "$W/m" "$@"; }
psql_url() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$URL" "$@"; }
empty() {
    psql_url -c "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null
    rm -rf "$W/m"
    mkdir -p "$W/m"
}

# start NAME A_SQL: folder with one revision creating A, upgraded
start() {
    CASE=$1
    empty
    printf '%s\n' "$2" > "$W/A.sql"
    printf -- '-- dbmig:up\n%s\n-- dbmig:down\nSELECT 1;\n' "$2" > "$W/m/20240101000000_a.sql"
    if ! dbmig upgrade > "$W/out" 2>&1; then
        fail "schema A does not load: $(head -c 400 "$W/out")"
        return 1
    fi
}

# gen B_SQL [diff options]: writes the next revision; its text in $REV
gen() {
    printf '%s\n' "$1" > "$W/B.sql"
    shift
    if ! dbmig diff --to "$W/B.sql" -m step "$@" > "$W/out" 2>&1; then
        fail "diff failed: $(head -c 1500 "$W/out")"
        return 1
    fi
    local f
    f=$(ls "$W/m"/*.sql | grep -v 20240101000000_a.sql)
    REV=$(cat "$f")
    [ -n "${KEEP:-}" ] && cp "$f" "$KEEP/$CASE.sql"
    return 0
}

# has PATTERN WHY / hasnt PATTERN WHY: in the revision's text (grep -F)
has() { grep -qF -- "$1" <<< "$REV" || fail "$2: no '$1' in: $(head -c 2500 <<< "$REV")"; }
hasnt() { ! grep -qF -- "$1" <<< "$REV" || fail "$2: '$1' in: $(head -c 2500 <<< "$REV")"; }

# same FILE WHY: the database holds exactly FILE's schema
same() {
    local out
    out=$(dbmig --sql diff --from-db --to "$1" 2>&1)
    case $out in
        *"no changes"*) ;;
        *) fail "$2: the database differs from $(basename "$1"): $(head -c 1500 <<< "$out")" ;;
    esac
}

# q SQL EXPECTED WHY: a query's rows (| between columns, ; between rows)
q() {
    local got
    got=$(psql_url -c "$1" 2>&1 | paste -sd';' -)
    [ "$got" = "$2" ] || fail "$3: '$1' gave '$got', not '$2'"
}

# round [QUERY ROWS_B [ROWS_A]]: upgrade to B and check, downgrade to A and
# check (ROWS_A: the rows then, when they differ from ROWS_B)
round() {
    if ! dbmig upgrade > "$W/out" 2>&1; then
        fail "upgrade failed: $(head -c 1500 "$W/out")"
        return 1
    fi
    same "$W/B.sql" "after upgrade"
    [ -n "${1:-}" ] && q "$1" "$2" "rows after upgrade"
    if ! dbmig downgrade 20240101000000 > "$W/out" 2>&1; then
        fail "downgrade failed: $(head -c 1500 "$W/out")"
        return 1
    fi
    same "$W/A.sql" "after downgrade"
    [ -n "${1:-}" ] && q "$1" "${3:-$2}" "rows after downgrade"
    return 0
}

wanted() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
ONLY="$*"

# ---- cases -------------------------------------------------------------------------

if wanted create && start create "CREATE TABLE k (id integer);"; then
    if gen "CREATE TABLE k (id integer);
CREATE TYPE mood AS ENUM ('sad', 'it''s ok');
CREATE TABLE t (id integer PRIMARY KEY, m mood NOT NULL DEFAULT 'it''s ok');"; then
        has "CREATE TYPE \"mood\" AS ENUM ('sad', 'it''s ok');" "the type is created"
        has 'DROP TYPE "mood";' "the down drops it"
        round
    fi
fi

A2="CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE t (id integer PRIMARY KEY, m mood NOT NULL DEFAULT 'ok');"
if wanted add_value && start add_value "$A2"; then
    psql_url -c "INSERT INTO t VALUES (1, 'sad'), (2, 'ok')" >/dev/null
    if gen "CREATE TYPE mood AS ENUM ('meh', 'sad', 'fine', 'ok', 'great', 'super');
CREATE TABLE t (id integer PRIMARY KEY, m mood NOT NULL DEFAULT 'ok');"; then
        has "ALTER TYPE \"mood\" ADD VALUE 'meh' BEFORE 'sad';" "prepended"
        has "ALTER TYPE \"mood\" ADD VALUE 'fine' AFTER 'sad';" "inserted"
        has "ALTER TYPE \"mood\" ADD VALUE 'great';" "appended"
        has "ALTER TYPE \"mood\" ADD VALUE 'super';" "appended"
        round "SELECT id, m FROM t ORDER BY m" "1|sad;2|ok"
        q "SELECT enumlabel FROM pg_enum WHERE enumtypid = 'mood'::regtype ORDER BY enumsortorder" \
            "sad;ok" "labels after downgrade"
        dbmig upgrade > /dev/null 2>&1
        q "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'mood'::regtype" \
            "meh,sad,fine,ok,great,super" "labels after upgrade"
    fi
fi

if wanted add_used && start add_used "$A2"; then
    psql_url -c "INSERT INTO t VALUES (1, 'sad'), (2, 'ok')" >/dev/null
    if gen "CREATE TYPE mood AS ENUM ('sad', 'ok', 'new');
CREATE TABLE t (id integer PRIMARY KEY, m mood NOT NULL DEFAULT 'new');"; then
        hasnt "ADD VALUE" "a label used in the same migration"
        has 'ALTER TYPE "mood" RENAME TO "_dbmig_old_mood";' "recreated"
        has 'DROP TYPE "_dbmig_old_mood";' "the old type dropped"
        round "SELECT id, m FROM t ORDER BY id" "1|sad;2|ok"
    fi
fi

A4="CREATE TYPE mood AS ENUM ('a', 'b', 'c');
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'a');
CREATE TABLE u (x mood);"
B4="CREATE TYPE mood AS ENUM ('a', 'c');
CREATE TABLE t (id integer PRIMARY KEY, m mood DEFAULT 'a');
CREATE TABLE u (x mood);"
if wanted lost_label && start lost_label "$A4"; then
    psql_url -c "INSERT INTO t VALUES (1, 'a'), (2, 'c'), (3, NULL); INSERT INTO u VALUES ('c')" >/dev/null
    printf '%s\n' "$B4" > "$W/B.sql"
    dbmig diff --to "$W/B.sql" -m step > "$W/out" 2>&1
    rc=$?
    [ "$rc" = 3 ] || fail "without --allow-destructive: exit $rc, not 3: $(head -c 600 "$W/out")"
    grep -q "enum mood loses 'b': converting t.m fails on a row holding one" "$W/out" ||
        fail "the refusal does not name the label: $(head -c 600 "$W/out")"
    [ "$(ls "$W/m" | wc -l)" = 1 ] || fail "a file was written without --allow-destructive"
    if gen "$B4" --allow-destructive; then
        has "-- dbmig:destructive enum mood loses 'b': converting t.m fails on a row holding one" "marked"
        has "-- dbmig:destructive enum mood loses 'b': converting u.x fails on a row holding one" "marked"
        has "ALTER TABLE \"t\" ALTER COLUMN \"m\" DROP DEFAULT, ALTER COLUMN \"m\" TYPE \"mood\" USING \"m\"::text::\"mood\", ALTER COLUMN \"m\" SET DEFAULT 'a'::mood;" "converted"
        round "SELECT id, m FROM t ORDER BY id" "1|a;2|c;3|"
    fi
fi

if wanted lost_held && start lost_held "$A4"; then
    psql_url -c "INSERT INTO t VALUES (1, 'b')" >/dev/null
    if gen "$B4" --allow-destructive; then
        if dbmig upgrade > "$W/out" 2>&1; then
            fail "upgrade succeeded with a row holding the removed label"
        else
            grep -q 'invalid input value for enum' "$W/out" ||
                fail "the failure does not say why: $(head -c 600 "$W/out")"
        fi
        same "$W/A.sql" "after the failed upgrade"
        q "SELECT id, m FROM t" "1|b" "the row after the failed upgrade"
    fi
fi

DEPS="CREATE TABLE t (id integer PRIMARY KEY, m mood UNIQUE DEFAULT 'a',
  CONSTRAINT t_not_b CHECK (m <> 'b'));
CREATE INDEX t_a ON t (id) WHERE m = 'a';
CREATE INDEX t_m ON t (m);
CREATE TABLE u (x mood REFERENCES t (m));
CREATE VIEW v AS SELECT id, m FROM t;
CREATE FUNCTION is_a(x mood) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x = ''a''::mood';"
if wanted reorder && start reorder "CREATE TYPE mood AS ENUM ('a', 'b', 'c');
$DEPS"; then
    psql_url -c "INSERT INTO t VALUES (1, 'a'), (2, 'c'); INSERT INTO u VALUES ('c')" >/dev/null
    if gen "CREATE TYPE mood AS ENUM ('c', 'b', 'a');
$DEPS"; then
        has 'ALTER TYPE "mood" RENAME TO "_dbmig_old_mood";' "recreated"
        hasnt "dbmig:destructive" "no label goes"
        round "SELECT m FROM t ORDER BY m" "c;a" "a;c"
    fi
fi

if wanted drop && start drop "CREATE TYPE mood AS ENUM ('a');
CREATE TABLE t (id integer, m mood);"; then
    if gen "CREATE TABLE t (id integer);" --allow-destructive; then
        has 'DROP TYPE "mood";' "dropped"
        round
    fi
fi

if wanted to_text && start to_text "CREATE TYPE mood AS ENUM ('a', 'b');
CREATE TABLE t (id integer, m mood DEFAULT 'a');"; then
    psql_url -c "INSERT INTO t VALUES (1, 'b')" >/dev/null
    if gen "CREATE TABLE t (id integer, m text DEFAULT 'a');" --allow-destructive; then
        has 'DROP TYPE "mood";' "dropped"
        round "SELECT id, m FROM t" "1|b"
    fi
fi

if wanted quoted_array && start quoted_array "CREATE TYPE \"My Mood\" AS ENUM ('x', 'y', 'z');
CREATE TABLE t (id integer, h \"My Mood\"[] DEFAULT '{y}');"; then
    psql_url -c "INSERT INTO t VALUES (1, '{y,z}')" >/dev/null
    if gen "CREATE TYPE \"My Mood\" AS ENUM ('y', 'z');
CREATE TABLE t (id integer, h \"My Mood\"[] DEFAULT '{y}');" --allow-destructive; then
        has 'ALTER TABLE "t" ALTER COLUMN "h" DROP DEFAULT, ALTER COLUMN "h" TYPE "My Mood"[] USING "h"::text[]::"My Mood"[]' "an array converted"
        round "SELECT id, h FROM t" "1|{y,z}"
    fi
fi

if wanted other_enum && start other_enum "CREATE TYPE mood AS ENUM ('a', 'b', 'c');
CREATE TABLE t (m mood DEFAULT 'a', n mood[] DEFAULT '{a}', k mood);"; then
    psql_url -c "INSERT INTO t VALUES ('b', '{a,b}', 'c')" >/dev/null
    if gen "CREATE TYPE mood AS ENUM ('a', 'c');
CREATE TYPE feeling AS ENUM ('a', 'b', 'c');
CREATE TABLE t (m feeling DEFAULT 'a', n feeling[] DEFAULT '{a}', k mood);" --allow-destructive; then
        has "CREATE TYPE \"feeling\" AS ENUM ('a', 'b', 'c');" "the new enum"
        has 'ALTER TYPE "mood" RENAME TO "_dbmig_old_mood";' "the old one recreated"
        round "SELECT m, n, k FROM t" "b|{a,b}|c"
    fi
fi

GEN="CREATE TABLE t (id integer PRIMARY KEY, m mood,
  g boolean GENERATED ALWAYS AS (m = 'a'::mood) STORED,
  h boolean GENERATED ALWAYS AS (m IS NULL) STORED);"
if wanted generated && start generated "CREATE TYPE mood AS ENUM ('a', 'b', 'c');
$GEN"; then
    psql_url -c "INSERT INTO t (id, m) VALUES (1, 'a'), (2, 'c')" >/dev/null
    if gen "CREATE TYPE mood AS ENUM ('c', 'b', 'a');
$GEN"; then
        has 'ALTER TABLE "t" DROP COLUMN "g";' "the generated column dropped"
        has 'ALTER TABLE "t" ADD COLUMN "g" boolean GENERATED ALWAYS AS' "and added again"
        has 'ALTER TABLE "t" DROP COLUMN "h";' "the one that only reads the column too"
        round "SELECT id, m, g, h FROM t ORDER BY id" "1|a|t|f;2|c|f|f"
    fi
fi

if wanted rename_hint && start rename_hint "CREATE TYPE mood AS ENUM ('a', 'b', 'c');
CREATE TABLE t (m mood);"; then
    printf '%s\n' "CREATE TYPE mood AS ENUM ('a', 'x', 'c');
CREATE TABLE t (m mood);" > "$W/B.sql"
    dbmig diff --to "$W/B.sql" > "$W/out" 2>&1
    grep -qF "rename? label 'b' goes and 'x' appears in its place: use ALTER TYPE mood RENAME VALUE 'b' TO 'x'" "$W/out" ||
        fail "no rename hint: $(head -c 800 "$W/out")"
fi

if wanted dump_same && start dump_same "CREATE TYPE mood AS ENUM ('sad', 'it''s \\ok');
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad';
CREATE TYPE \"Empty\" AS ENUM ();
CREATE TABLE t (m mood DEFAULT 'sad', h mood[], e \"Empty\", CHECK (m <> 'sad'));"; then
    if ! dbmig schema dump -o "$W/schema.sql" > "$W/out" 2>&1; then
        fail "schema dump failed: $(head -c 600 "$W/out")"
    else
        out=$(dbmig diff --to "$W/schema.sql" 2>&1)
        case $out in
            *"no changes"*) ;;
            *) fail "diff of the folder against its own dump: $(head -c 1500 <<< "$out")" ;;
        esac
        [ "$(ls "$W/m" | wc -l)" = 1 ] || fail "a file was written"
    fi
fi

empty
exit $((nfail > 0))
