#!/usr/bin/env bash
# tests/conformance/conformance.sh — the portable-DDL conformance suite
# (SPEC section 9; issue 5, acceptance 2).
#
#   scripts/pg-server.sh run scripts/mariadb-server.sh run bash conformance.sh
#   (ctest -L conformance does exactly this)
#
# Applies two migration folders — the project's sample migrations/ and the
# corpus in corpus/ (every row of SPEC section 9, each IF [NOT] EXISTS form
# twice in a row) — to every target:
#
#   sqlite     a fresh SQLite file
#   postgres   the throwaway PostgreSQL server (DBMIG_TEST_PG_URL)
#   mariadb    the throwaway MariaDB server, native IF [NOT] EXISTS
#   mariadb-emulated  the same server with ?emulate_if_not_exists=1: the core
#              emulates those forms with catalog look-ups (MySQL 8's case)
#
# and for each: upgrade head; upgrade head again (nothing to do); for the
# corpus, stamp base + upgrade head (every statement applied a second time
# over the finished schema); downgrade base (only the version table may
# remain); upgrade head once more; downgrade base. After each upgrade the
# schema is read from the database's catalog by the driver's inspect() into
# the core's schema model and printed in its portable form (schema_dump:
# tables, columns with type family and nullability, primary and unique keys,
# indexes, foreign keys, views; docs/schema-model.md) and must equal the
# first one; the first one must be the same on every target, and the
# corpus's must equal corpus.expected. The head schema's SQL dump must load
# into an empty database of the same target and inspect to the same model.
#
# Needs: DBMIG, DBMIG_SCHEMA_DUMP, DBMIG_PLUGIN_DIR, DBMIG_SOURCE_DIR,
# DBMIG_TEST_PG_URL (pg-server.sh), DBMIG_TEST_MYSQL_URL and
# DBMIG_TEST_MYSQL_SOCKET (mariadb-server.sh). A missing one is a failure.
# DBMIG_CONFORMANCE_KEEP=1 keeps the work folder.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for v in DBMIG DBMIG_SCHEMA_DUMP DBMIG_PLUGIN_DIR DBMIG_SOURCE_DIR DBMIG_TEST_PG_URL \
         DBMIG_TEST_MYSQL_URL DBMIG_TEST_MYSQL_SOCKET; do
    if [ -z "${!v:-}" ]; then
        echo "conformance: $v is not set (run through scripts/pg-server.sh run scripts/mariadb-server.sh run ...)" >&2
        exit 1
    fi
done
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_LOCK_TIMEOUT DBMIG_COMMIT_INTERVAL DBMIG_FORMAT DBMIG_PLUGIN_PATH
export NO_COLOR=1

W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-conformance.XXXXXX")
cleanup() {
    if [ -n "${DBMIG_CONFORMANCE_KEEP:-}" ]; then echo "conformance: kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

NFAIL=0
NPASS=0
fail() { echo "FAIL  $*"; NFAIL=$((NFAIL + 1)); }
pass() { NPASS=$((NPASS + 1)); }

mysql_root() { mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot "$@"; }
mysql_base=${DBMIG_TEST_MYSQL_URL%/*}

# url_of TARGET: the target's URL
url_of() {
    case $1 in
        sqlite) echo "sqlite:$W/conformance.db" ;;
        postgres) echo "$DBMIG_TEST_PG_URL" ;;
        mariadb) echo "$mysql_base/dbmig_conf" ;;
        mariadb-emulated) echo "$mysql_base/dbmig_conf_emu?emulate_if_not_exists=1" ;;
    esac
}

# reset TARGET: an empty database
reset() {
    case $1 in
        sqlite) rm -f "$W"/conformance.db* ;;
        postgres) psql -X -q -v ON_ERROR_STOP=1 -d "$DBMIG_TEST_PG_URL" \
                      -c "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;" >/dev/null 2>&1 ;;
        mariadb) mysql_root -e "DROP DATABASE IF EXISTS dbmig_conf; CREATE DATABASE dbmig_conf" ;;
        mariadb-emulated) mysql_root -e "DROP DATABASE IF EXISTS dbmig_conf_emu; CREATE DATABASE dbmig_conf_emu" ;;
    esac
}

# dbm TARGET DIR ARGS...: runs dbmig; output in $W/last.out/.err; returns its exit code
dbm() {
    local t=$1 dir=$2
    shift 2
    "$DBMIG" --url "$(url_of "$t")" --dir "$dir" --plugin-dir "$DBMIG_PLUGIN_DIR" "$@" \
        > "$W/last.out" 2> "$W/last.err"
}

# step TARGET DIR WHAT ARGS...: dbmig must exit 0
step() {
    local t=$1 dir=$2 what=$3
    shift 3
    if ! dbm "$t" "$dir" "$@"; then
        fail "$t $(basename "$dir"): $what (dbmig $*) failed: $(head -c 600 "$W/last.err" | tr '\n' '|')"
        return 1
    fi
    return 0
}

dump() { "$DBMIG_SCHEMA_DUMP" "$DBMIG_PLUGIN_DIR" "$(url_of "$1")" > "$2" 2> "$W/dump.err" || {
    fail "$1: schema_dump failed: $(cat "$W/dump.err")"; : > "$2"; }; }

same() { # same A B WHAT
    if diff -u "$1" "$2" > "$W/diff" 2>&1; then pass; return 0; fi
    fail "$3:"
    sed 's/^/      /' "$W/diff" | head -n 40
    return 1
}

only_version_table() { # FILE WHAT (schema_dump leaves the version and lock tables out)
    if [ ! -s "$1" ]; then pass; return 0; fi
    fail "$2: after downgrade base, more than the version table remains:"
    sed 's/^/      /' "$1" | head -n 20
}

# reload TARGET FROM_URL NAME OUT: dumps FROM_URL as SQL, loads it with the
# database's own client into the empty database (schema on PostgreSQL)
# NAME, prints that one's URL; OUT.sql / OUT.err keep what happened
reload() {
    local t=$1 from=$2 name=$3 out=$4
    "$DBMIG_SCHEMA_DUMP" --format sql "$DBMIG_PLUGIN_DIR" "$from" > "$out.sql" 2> "$out.err" ||
        return 1
    case $t in
        sqlite) rm -f "$W/$name.db"; echo "sqlite:$W/$name.db"
                sqlite3 -bail "$W/$name.db" < "$out.sql" >> "$out.err" 2>&1 ;;
        postgres) echo "$DBMIG_TEST_PG_URL?search_path=$name"
                  psql -X -q -v ON_ERROR_STOP=1 -d "$DBMIG_TEST_PG_URL" \
                      -c "DROP SCHEMA IF EXISTS $name CASCADE; CREATE SCHEMA $name" >> "$out.err" 2>&1 &&
                  PGOPTIONS="-c search_path=$name" psql -X -q -v ON_ERROR_STOP=1 \
                      -d "$DBMIG_TEST_PG_URL" -f "$out.sql" >> "$out.err" 2>&1 ;;
        mariadb*) echo "$mysql_base/$name"
                  mysql_root -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name" >> "$out.err" 2>&1 &&
                  mysql_root "$name" < "$out.sql" >> "$out.err" 2>&1 ;;
    esac
}

json_of() { "$DBMIG_SCHEMA_DUMP" --format json "$DBMIG_PLUGIN_DIR" "$1" > "$2" 2> "$W/dump.err" ||
    { fail "schema_dump --format json failed: $(cat "$W/dump.err")"; return 1; }; }

# reload_same TARGET FOLDER: the model's SQL rendering (what `schema dump`
# writes) loads into an empty database of the same driver with the
# database's own client, and that database inspects to the same model
# (every field: the JSON rendering).
reload_same() {
    local t=$1 f=$2 u1 out="$W/$2.$1.reload"
    u1=$(reload "$t" "$(url_of "$t")" dbmig_reload "$out") ||
        { fail "$t $f: the SQL dump does not load into an empty database: $(head -c 600 "$out.err" | tr '\n' '|')"; return 1; }
    json_of "$(url_of "$t")" "$out.a.json" && json_of "$u1" "$out.b.json" || return 1
    same "$out.a.json" "$out.b.json" "$t $f: the reloaded SQL dump inspects differently (- original, + reloaded)"
}

TARGETS=(sqlite postgres mariadb mariadb-emulated)

# MariaDB's general log (a table) shows what each mode really sent
mysql_root -e "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1" ||
    fail "cannot enable MariaDB's general log"
FOLDERS=("$DBMIG_SOURCE_DIR/migrations" "$HERE/corpus")

for dir in "${FOLDERS[@]}"; do
    f=$(basename "$dir")
    for t in "${TARGETS[@]}"; do
        start=${EPOCHREALTIME/[.,]/}
        before=$NFAIL
        reset "$t" || { fail "$t: cannot reset the database"; continue; }
        step "$t" "$dir" "upgrade head" upgrade head || continue
        dump "$t" "$W/$f.$t.head"
        [ -s "$W/$f.$t.head" ] || fail "$t $f: empty schema after upgrade head"
        reload_same "$t" "$f"
        step "$t" "$dir" "second upgrade head" upgrade head &&
            { grep -q "nothing to do" "$W/last.err" "$W/last.out" && pass ||
                fail "$t $f: the second upgrade head did something: $(head -c 300 "$W/last.err")"; }
        if [ "$f" = corpus ]; then
            # every statement a second time, over the finished schema
            step "$t" "$dir" "stamp base" stamp base &&
                step "$t" "$dir" "re-apply over the finished schema" upgrade head &&
                { dump "$t" "$W/$f.$t.again"; same "$W/$f.$t.head" "$W/$f.$t.again" "$t $f: re-applying the corpus changed the schema"; }
        fi
        step "$t" "$dir" "downgrade base" downgrade base &&
            { dump "$t" "$W/$f.$t.base"; only_version_table "$W/$f.$t.base" "$t $f"; }
        step "$t" "$dir" "upgrade head after downgrade base" upgrade head &&
            { dump "$t" "$W/$f.$t.head2"; same "$W/$f.$t.head" "$W/$f.$t.head2" "$t $f: upgrade after a round trip differs"; }
        step "$t" "$dir" "final downgrade base" downgrade base
        end=${EPOCHREALTIME/[.,]/}
        if [ "$NFAIL" = "$before" ]; then
            printf 'ok    %-10s %-18s (%d ms)\n' "$f" "$t" $(( (end - start) / 1000 ))
        fi
    done
    # the same schema everywhere
    for t in "${TARGETS[@]}"; do
        [ "$t" = sqlite ] && continue
        [ -s "$W/$f.$t.head" ] && [ -s "$W/$f.sqlite.head" ] || continue
        same "$W/$f.sqlite.head" "$W/$f.$t.head" "$f: the schema on $t differs from SQLite's (- sqlite, + $t)" &&
            printf 'ok    %-10s %-18s same schema as sqlite\n' "$f" "$t"
    done
done

# the corpus's schema is the one intended
if [ -s "$W/corpus.sqlite.head" ]; then
    same "$HERE/corpus.expected" "$W/corpus.sqlite.head" "corpus: the schema differs from corpus.expected (- expected, + actual)" &&
        echo "ok    corpus     matches corpus.expected"
fi

# native vs forced emulation on MariaDB: the index and column forms reach the
# server with IF [NOT] EXISTS only in the native mode; the emulated mode sent
# the plain statement (or nothing) after a catalog look-up
mysql_root -e "SET GLOBAL general_log = 0"
sent_if() { # DB: how many index/column statements with IF [NOT] EXISTS reached the server
    mysql_root -N -B -e "SELECT COUNT(*) FROM mysql.general_log q
        WHERE q.command_type = 'Query'
          AND CONVERT(q.argument USING utf8mb4) REGEXP '^[[:space:]]*(CREATE|ALTER|DROP)[^;]*(INDEX|ADD|COLUMN) +IF +(NOT +)?EXISTS'
          AND q.thread_id IN (SELECT c.thread_id FROM mysql.general_log c
                              WHERE c.command_type = 'Connect'
                                AND CONVERT(c.argument USING utf8mb4) LIKE '% on $1 %')"
}
lookups() { # DB: catalog look-ups the core made through the driver
    mysql_root -N -B -e "SELECT COUNT(*) FROM mysql.general_log q
        WHERE q.command_type = 'Query'
          AND CONVERT(q.argument USING utf8mb4) LIKE '%information_schema.statistics%'
          AND q.thread_id IN (SELECT c.thread_id FROM mysql.general_log c
                              WHERE c.command_type = 'Connect'
                                AND CONVERT(c.argument USING utf8mb4) LIKE '% on $1 %')"
}
n_native=$(sent_if dbmig_conf); n_emu=$(sent_if dbmig_conf_emu); l_emu=$(lookups dbmig_conf_emu)
if [ "${n_native:-0}" -gt 0 ] && [ "${n_emu:-1}" = 0 ] && [ "${l_emu:-0}" -gt 0 ]; then
    pass; echo "ok    mariadb    native forms sent $n_native times; emulated mode sent none, made $l_emu index look-ups"
else
    fail "mariadb native/emulated: IF [NOT] EXISTS statements sent natively=$n_native, emulated=$n_emu; emulated index look-ups=$l_emu"
fi

# the comparison itself can fail: a corpus whose unique index is not unique,
# and one where a column is nullable, must not match corpus.expected
for mutation in 's/CREATE UNIQUE INDEX IF NOT EXISTS conf_a_email_uq/CREATE INDEX IF NOT EXISTS conf_a_email_uq/' \
                's/a_id INTEGER     NOT NULL/a_id INTEGER     NULL/'; do
    rm -rf "$W/mutant"; cp -r "$HERE/corpus" "$W/mutant"
    sed -i "$mutation" "$W/mutant"/00[12]_*.sql
    reset sqlite
    if step sqlite "$W/mutant" "upgrade head (mutant)" upgrade head; then
        dump sqlite "$W/mutant.head"
        if cmp -s "$HERE/corpus.expected" "$W/mutant.head"; then
            fail "self-test: the mutation '$mutation' went unnoticed by the schema comparison"
        else
            pass; echo "ok    self-test  a mutated corpus is told apart"
        fi
    fi
done

# offline: the MySQL script for the corpus, with notes where the live
# catalog would decide
if "$DBMIG" --driver mysql --dir "$HERE/corpus" --plugin-dir "$DBMIG_PLUGIN_DIR" --sql upgrade head \
        > "$W/offline.sql" 2> "$W/offline.err"; then
    if grep -q "DROP INDEX conf_b_note_idx" "$W/offline.sql" && grep -q -- "-- " "$W/offline.sql"; then
        pass; echo "ok    corpus     --sql for mysql"
    else
        fail "corpus --sql for mysql: unexpected script: $(head -c 600 "$W/offline.sql" | tr '\n' '|')"
    fi
else
    fail "corpus --sql for mysql failed: $(head -c 400 "$W/offline.err" | tr '\n' '|')"
fi

echo "conformance: $NPASS checks passed, $NFAIL failed"
[ "$NFAIL" = 0 ]
