#!/usr/bin/env bash
# tests/schema/inspect.sqlite.sh — the SQLite driver's inspect() and scratch
# databases, through the CLI (SPEC section 12). Run by tests/schema/run.sh
# for the target sqlite only, or by hand:
#
#   DBMIG=build/dbmig DBMIG_PLUGIN_DIR=build/lib/dbmig DBMIG_SOURCE_DIR=. \
#   URL=sqlite:/tmp/x.db bash tests/schema/inspect.sqlite.sh
#
# Cases:
#   every_kind    a schema with every object kind SQLite has (tables,
#                 composite PK, UNIQUE, FK with ON DELETE CASCADE and one
#                 DEFERRABLE, CHECK named and unnamed, generated virtual and
#                 stored columns, COLLATE NOCASE, an expression default,
#                 partial index, expression index, view, trigger,
#                 AUTOINCREMENT), applied by `dbmig upgrade`, dumps as JSON
#                 to exactly inspect.sqlite.json (next to this script)
#   no_version    neither the version table nor its lock table, nor
#                 sqlite_sequence, appears in the dump
#   deterministic two dumps are the same bytes
#   round_trip    the SQL dump loaded into an empty database (sqlite3)
#                 dumps the same JSON
#   scratch_clean `dbmig drift` (a scratch database made and dropped by the
#                 driver) on a clean and on a drifted database leaves
#                 nothing in its private TMPDIR
#   scratch_tmpdir  a TMPDIR where no scratch file can be made: drift fails
#                 naming the file and the fix (set TMPDIR)
#
# DBMIG_SCHEMA_REPIN=1 rewrites inspect.sqlite.json from this run (review
# the diff before committing it).
# Prints `FAIL <case> <why>` per failing case; exit 0 when all pass.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for v in DBMIG DBMIG_PLUGIN_DIR URL; do
    if [ -z "${!v:-}" ]; then
        echo "FAIL setup $v is not set (run through tests/schema/run.sh)"
        exit 1
    fi
done
case $URL in
    sqlite:*|sqlite3:*) ;;
    *) echo "FAIL setup URL is not an SQLite URL"; exit 1 ;;
esac
DBFILE=${URL#*:}
DBFILE=${DBFILE#//}
DBFILE=${DBFILE%%\?*}
command -v sqlite3 >/dev/null || { echo "FAIL setup the sqlite3 shell is required"; exit 1; }
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_LOCK_TIMEOUT DBMIG_COMMIT_INTERVAL DBMIG_FORMAT DBMIG_PLUGIN_PATH
export NO_COLOR=1

W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-inspect-sqlite.XXXXXX")
trap 'rm -rf "$W"' EXIT
export TMPDIR=$W/tmp # private: scratch databases land here
mkdir -p "$TMPDIR" "$W/migrations"
EXPECTED=$HERE/inspect.sqlite.json
NFAIL=0
fail() { echo "FAIL $1 $2"; NFAIL=$((NFAIL + 1)); }

dbmig() { "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" --dir "$W/migrations" "$@"; }

cat > "$W/migrations/001_every_kind.sql" <<'SQL'
-- dbmig:message every object kind SQLite has

-- dbmig:up
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,   -- unique constraint (autoindex)
    name varchar(100) DEFAULT 'anon',
    score REAL DEFAULT (0.5 * 2) CONSTRAINT score_positive CHECK (score >= 0),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE order_lines (
    order_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    referrer_id INTEGER,
    qty INTEGER NOT NULL,
    price NUMERIC(10, 2) NOT NULL,
    total NUMERIC GENERATED ALWAYS AS (qty * price) STORED,
    label TEXT AS (upper(CAST(qty AS TEXT))) VIRTUAL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT qty_positive CHECK (qty > 0),
    CHECK (price >= 0),
    UNIQUE (customer_id, order_id),
    FOREIGN KEY (referrer_id) REFERENCES customers DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX order_lines_big ON order_lines (price) WHERE qty > 10;
CREATE UNIQUE INDEX customers_email_lower ON customers (lower(email));
CREATE VIEW big_orders AS SELECT order_id, sum(total) AS amount FROM order_lines GROUP BY order_id;
CREATE TRIGGER customers_touch AFTER UPDATE ON customers BEGIN
    UPDATE customers SET created_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
INSERT INTO customers (email) VALUES ('a@example.com');

-- dbmig:down
DROP TABLE order_lines;
DROP VIEW big_orders;
DROP TABLE customers;
SQL

# ---- every_kind, no_version, deterministic --------------------------------
if ! dbmig --url "$URL" upgrade > "$W/up.out" 2>&1; then
    fail every_kind "upgrade failed: $(tr '\n' ' ' < "$W/up.out")"
    exit 1
fi
if ! dbmig --url "$URL" schema dump --format json > "$W/a.json" 2> "$W/dump.err"; then
    fail every_kind "schema dump failed: $(tr '\n' ' ' < "$W/dump.err")"
    exit 1
fi
if [ -n "${DBMIG_SCHEMA_REPIN:-}" ]; then
    cp "$W/a.json" "$EXPECTED"
    echo "inspect.sqlite.sh: rewrote $EXPECTED"
fi
if ! diff -u "$EXPECTED" "$W/a.json" > "$W/diff.out"; then
    fail every_kind "the JSON dump differs from inspect.sqlite.json: $(head -c 1500 "$W/diff.out" | tr '\n' ' ')"
fi
for t in dbmig_version sqlite_sequence sqlite_autoindex; do
    grep -q "$t" "$W/a.json" && fail no_version "$t appears in the dump"
done
dbmig --url "$URL" schema dump --format json > "$W/b.json" 2>&1
cmp -s "$W/a.json" "$W/b.json" || fail deterministic "a second dump differs"

# ---- round_trip -----------------------------------------------------------
if dbmig --url "$URL" schema dump --format sql > "$W/dump.sql" 2> "$W/dump.err"; then
    if sqlite3 -bail "$W/copy.db" < "$W/dump.sql" > "$W/load.out" 2>&1; then
        dbmig --url "sqlite:$W/copy.db" schema dump --format json > "$W/copy.json" 2>&1
        diff -u "$W/a.json" "$W/copy.json" > "$W/diff.out" ||
            fail round_trip "the loaded dump inspects differently: $(head -c 1500 "$W/diff.out" | tr '\n' ' ')"
    else
        fail round_trip "the SQL dump does not load: $(head -c 500 "$W/load.out" | tr '\n' ' ')"
    fi
else
    fail round_trip "schema dump --format sql failed: $(tr '\n' ' ' < "$W/dump.err")"
fi

# ---- scratch_clean --------------------------------------------------------
leftovers() { find "$TMPDIR" -mindepth 1 | head -5 | tr '\n' ' '; }
dbmig --url "$URL" drift > "$W/drift.out" 2>&1
rc=$?
[ $rc -eq 0 ] || fail scratch_clean "drift on a clean database: exit $rc: $(head -c 500 "$W/drift.out" | tr '\n' ' ')"
[ -z "$(leftovers)" ] || fail scratch_clean "drift (clean) left $(leftovers)"
sqlite3 "$DBFILE" "CREATE INDEX by_hand ON customers (name)"
dbmig --url "$URL" drift > "$W/drift.out" 2>&1
rc=$?
[ $rc -eq 3 ] || fail scratch_clean "drift after an index added by hand: exit $rc, want 3"
grep -q by_hand "$W/drift.out" || fail scratch_clean "drift does not name the index by_hand"
[ -z "$(leftovers)" ] || fail scratch_clean "drift (drifted) left $(leftovers)"

# a TMPDIR where no file can be made: drift fails, saying so and what to do
TMPDIR=$W/missing dbmig --url "$URL" drift > "$W/drift.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 3 ] || fail scratch_tmpdir "drift with a missing TMPDIR: exit $rc"
grep -q "cannot create the scratch database file $W/missing/" "$W/drift.out" ||
    fail scratch_tmpdir "no message naming the scratch file: $(head -c 300 "$W/drift.out" | tr '\n' ' ')"
grep -q "set TMPDIR" "$W/drift.out" || fail scratch_tmpdir "no hint about TMPDIR"

[ $NFAIL -eq 0 ] || exit 1
echo "inspect.sqlite.sh: all cases passed"
