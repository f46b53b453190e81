# tests/cli/lib.sh — helpers for the dbmig command-line integration suite.
#
# Sourced by suite.sh and demo.sh. Each case runs in its own subshell with its
# own temp dir ($T, also the working folder), a fresh database URL ($URL) and a
# trap that removes the dir and kills any background process the case left.
#
# Environment:
#   DBMIG               the dbmig binary (required)
#   DBMIG_SOURCE_DIR    the source tree (for the sample migrations)
#   DBMIG_TEST_DRIVER   sqlite (default) | postgres | mysql | odbc-sqlite | odbc-postgres
#                       (odbc-X: the odbc plugin on database X, URL odbc:...;
#                       the helpers inspect X with its own client)
#   DBMIG_TEST_URL      for postgres/mysql: the URL of a scratch database that
#                       the suite may empty before every case (all its tables
#                       are dropped). Ignored for sqlite: each case gets
#                       sqlite:$T/test.db.
#   DBMIG_TEST_SQLITE_ODBC  for odbc-sqlite: the SQLite ODBC driver (.so path or
#                       odbcinst name); each case gets odbc:Driver=..;Database=$T/test.db
#   DBMIG_TEST_NATIVE_URL   for odbc-postgres: a postgres:// URL of the same
#                       database, for psql
#   DBMIG_TEST_KEEP=1   keep the temp dirs (for debugging)
#   DBMIG_TEST_ONLY     a regular expression: run only the matching cases

: "${DBMIG:?DBMIG must name the dbmig binary}"
DBMIG_TEST_DRIVER=${DBMIG_TEST_DRIVER:-sqlite}
case $DBMIG_TEST_DRIVER in
    sqlite|postgres|mysql|odbc-sqlite|odbc-postgres) ;;
    *) echo "lib.sh: unknown DBMIG_TEST_DRIVER '$DBMIG_TEST_DRIVER'" >&2; exit 2 ;;
esac
# DB_KIND: the database (sqlite|postgres|mysql); DRIVER: dbmig's driver name.
DB_KIND=${DBMIG_TEST_DRIVER#odbc-}
DRIVER=$DBMIG_TEST_DRIVER
[ "$DB_KIND" = "$DBMIG_TEST_DRIVER" ] || DRIVER=odbc
if [ "$DB_KIND" != sqlite ] && [ -z "${DBMIG_TEST_URL:-}" ]; then
    echo "lib.sh: DBMIG_TEST_URL is required for driver $DBMIG_TEST_DRIVER" >&2
    exit 2
fi
command -v jq >/dev/null || { echo "lib.sh: jq is required" >&2; exit 2; }

# Never let the developer's environment leak into the cases.
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_LOCK_TIMEOUT DBMIG_COMMIT_INTERVAL DBMIG_FORMAT DBMIG_PLUGIN_PATH
export NO_COLOR=1

VT=dbmig_version          # the version table

# as_nobody CMD ARGS...: runs CMD as the user nobody when root (tests/nobody.sh:
# setpriv; a build tree nobody cannot reach is run from a world-readable copy).
as_nobody() { bash "$(dirname "${BASH_SOURCE[0]}")/../nobody.sh" "$@"; }

# ---- failing and skipping ------------------------------------------------

# fail MSG: the case fails with MSG (ends the case's subshell).
fail() {
    printf '%s\n' "$*" > "$T/.reason"
    exit 1
}

# skip MSG: the case does not apply to this driver.
skip() {
    printf '%s\n' "$*" > "$T/.reason"
    exit 77
}

# ---- running dbmig ---------------------------------------------------------

# run ARGS...: runs dbmig with ARGS; stdout in $T/out, stderr in $T/err,
# exit code in $RC. Never fails by itself.
run() {
    RC=0
    "$DBMIG" "$@" > "$T/out" 2> "$T/err" || RC=$?
    printf '$ dbmig %s\n[exit %s]\n--- stdout\n%s\n--- stderr\n%s\n' \
        "$*" "$RC" "$(head -c 4000 "$T/out")" "$(head -c 4000 "$T/err")" >> "$T/.log"
    return 0
}

# dbm ARGS...: run with the case's URL and migrations folder ($MIG).
dbm() { run --url "$URL" --dir "$MIG" "$@"; }

_snip() { head -c 600 "$1" | tr '\n' '|'; }

# expect_exit N [what]: $RC must be N.
expect_exit() {
    [ "$RC" = "$1" ] && return 0
    fail "${2:+$2: }expected exit $1, got $RC; stderr: $(_snip "$T/err") stdout: $(_snip "$T/out")"
}

# expect_nonzero [what]
expect_nonzero() {
    [ "$RC" != 0 ] && return 0
    fail "${1:+$1: }expected a non-zero exit; stdout: $(_snip "$T/out")"
}

# expect_contains out|err|all TEXT: the stream contains TEXT (fixed string).
expect_contains() {
    local s=$1 text=$2 f
    f=$(_stream "$s")
    grep -qF -- "$text" "$f" && return 0
    fail "$s does not contain '$text': $(_snip "$f")"
}

# expect_not_contains out|err|all TEXT
expect_not_contains() {
    local s=$1 text=$2 f
    f=$(_stream "$s")
    grep -qF -- "$text" "$f" || return 0
    fail "$s contains '$text' but must not: $(_snip "$f")"
}

# expect_match out|err|all ERE [what]: some line of the stream matches the
# extended regular expression ERE.
expect_match() {
    local f
    f=$(_stream "$1")
    grep -qE -- "$2" "$f" && return 0
    fail "${3:+$3: }$1 has no line matching /$2/: $(_snip "$f")"
}

# expect_no_match out|err|all ERE [what]: no line of the stream matches ERE.
expect_no_match() {
    local f
    f=$(_stream "$1")
    grep -qE -- "$2" "$f" || return 0
    fail "${3:+$3: }$1 has a line matching /$2/ but must not: $(grep -E -- "$2" "$f" | head -n 3 | tr '\n' '|')"
}

_stream() {
    case $1 in
        out) echo "$T/out" ;;
        err) echo "$T/err" ;;
        all) cat "$T/out" "$T/err" > "$T/all"; echo "$T/all" ;;
        *) echo "$1" ;;
    esac
}

# expect_jq FILTER [what]: stdout is JSON and `jq -e FILTER` holds.
expect_jq() {
    # jq reads no document from an empty file and exits 0: empty is a failure
    [ -n "$(tr -d ' \t\n' < "$T/out")" ] || fail "${2:+$2: }stdout is empty, JSON was expected"
    jq -e . "$T/out" >/dev/null 2>&1 || fail "${2:+$2: }stdout is not JSON: $(_snip "$T/out")"
    jq -e "$1" "$T/out" >/dev/null 2>&1 && return 0
    fail "${2:+$2: }JSON check failed: $1 on $(head -c 800 "$T/out" | tr -d '\n')"
}

# expect_eq ACTUAL EXPECTED what
expect_eq() {
    [ "$1" = "$2" ] && return 0
    fail "$3: expected '$2', got '$1'"
}

# ---- the database -----------------------------------------------------------

# db_query SQL: prints the rows, columns separated by '|', one row a line.
db_query() {
    case $DB_KIND in
        sqlite)
            sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB_FILE" "$1" ;;
        postgres)
            psql -X -q -A -t -v ON_ERROR_STOP=1 -d "${DBMIG_TEST_NATIVE_URL:-$URL}" -c "$1" ;;
        mysql)
            _mysql_client -N -B -e "$1" | tr '\t' '|' ;;
    esac
}

# A mysql:// URL to mariadb client arguments.
_mysql_client() {
    local rest=${URL#*://} cred hostport db user pass host port
    db=${rest#*/}; db=${db%%\?*}
    rest=${rest%%/*}
    if [ "${rest#*@}" != "$rest" ]; then cred=${rest%@*}; hostport=${rest##*@}; else cred=; hostport=$rest; fi
    user=${cred%%:*}; pass=; [ "${cred#*:}" != "$cred" ] && pass=${cred#*:}
    host=${hostport%%:*}; port=3306; [ "${hostport#*:}" != "$hostport" ] && port=${hostport#*:}
    MYSQL_PWD=$pass mariadb --protocol=tcp -h "$host" -P "$port" ${user:+-u "$user"} "$db" "$@"
}

# db_script FILE: feeds a SQL script to the database's own client.
db_script() {
    case $DB_KIND in
        sqlite) sqlite3 -batch -bail "$DB_FILE" < "$1" ;;
        postgres) psql -X -q -v ON_ERROR_STOP=1 -d "${DBMIG_TEST_NATIVE_URL:-$URL}" -f "$1" ;;
        mysql) _mysql_client < "$1" ;;
    esac
}

# table_exists NAME: exit status 0 when the table exists.
table_exists() {
    local n
    case $DB_KIND in
        sqlite) n=$(db_query "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='$1'") ;;
        postgres) n=$(db_query "SELECT count(*) FROM information_schema.tables WHERE table_schema=current_schema() AND table_name='$1'") ;;
        mysql) n=$(db_query "SELECT count(*) FROM information_schema.tables WHERE table_schema=database() AND table_name='$1'") ;;
    esac
    [ "$n" = 1 ]
}

expect_table() { table_exists "$1" || fail "${2:+$2: }table $1 should exist"; }
expect_no_table() { ! table_exists "$1" || fail "${2:+$2: }table $1 should not exist"; }

# applied: the applied revisions in order of application, space-separated
# ("" when the version table is missing or empty).
applied() {
    table_exists "$VT" || { echo ""; return; }
    db_query "SELECT revision FROM $VT ORDER BY seq" | tr '\n' ' ' | sed 's/ $//'
}

# expect_applied "001 002": the version table holds exactly these, in order.
expect_applied() {
    local a
    a=$(applied)
    [ "$a" = "$1" ] || fail "${2:+$2: }applied revisions: expected '$1', got '$a'"
}

# db_reset: empties the scratch database (postgres/mysql); sqlite starts fresh.
db_reset() {
    case $DB_KIND in
        sqlite) rm -f "$DB_FILE" "$DB_FILE"-* ;;
        postgres) db_query "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;" >/dev/null ;;
        mysql)
            local t
            for t in $(db_query "SELECT table_name FROM information_schema.tables WHERE table_schema=database()"); do
                db_query "SET FOREIGN_KEY_CHECKS=0; DROP TABLE IF EXISTS \`$t\`" >/dev/null
            done ;;
    esac
}

# Does the driver run DDL inside transactions (SPEC section 8)?
txddl() { [ "$DB_KIND" != mysql ]; }

# The version table's dirty flag as 0/1 on every driver (psql prints a real
# boolean as t/f): SELECT $DIRTY FROM $VT ...
DIRTY="CASE WHEN dirty THEN 1 ELSE 0 END"

# ---- migration files --------------------------------------------------------

# mkmig DIR NAME CONTENT: writes DIR/NAME.sql (NAME without .sql).
mkmig() {
    mkdir -p "$1"
    printf '%s\n' "$3" > "$1/${2%.sql}.sql"
}

# A reversible migration creating table $3: mk_table DIR NAME TABLE
mk_table() {
    mkmig "$1" "$2" "-- dbmig:up
CREATE TABLE $3 (id INTEGER PRIMARY KEY, v VARCHAR(20));
-- dbmig:down
DROP TABLE $3;"
}

# The standard chain: 001_a, 002_b, 003_c creating tables a, b, c.
mk_chain3() {
    mk_table "$1" 001_a a
    mk_table "$1" 002_b b
    mk_table "$1" 003_c c
}

# A statement that keeps the database busy for a while (a few seconds).
# slow_sql [N]: N is SQLite's row count (default 15000000, about 3 s); the
# servers sleep N/5000000 seconds instead.
slow_sql() {
    local n=${1:-15000000} secs
    secs=$(awk -v n="$n" 'BEGIN { printf "%.2f", n / 5000000 }')
    case $DB_KIND in
        sqlite) echo "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < $n) SELECT count(*) FROM c;" ;;
        postgres) echo "SELECT pg_sleep($secs);" ;;
        mysql) echo "SELECT SLEEP($secs);" ;;
    esac
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; fails on time-out.
wait_until() {
    local limit=$1 i=0
    shift
    while ! "$@" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -ge $((limit * 10)) ] && fail "timed out after ${limit}s waiting for: $*"
        sleep 0.1
    done
}

# ---- the case runner --------------------------------------------------------

NPASS=0 NFAIL=0 NSKIP=0
FAILED_CASES=""

# run_case FUNCTION: runs one case in a subshell and prints its result line.
run_case() {
    local name=$1 dir rc reason start end
    if [ -n "${DBMIG_TEST_ONLY:-}" ] && ! [[ $name =~ $DBMIG_TEST_ONLY ]]; then
        return 0
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-cli.XXXXXX")
    start=${EPOCHREALTIME/[.,]/}
    (
        T=$dir
        MIG=$T/migrations
        if [ "$DB_KIND" = sqlite ]; then
            DB_FILE=$T/test.db
            URL=sqlite:$DB_FILE
            [ "$DRIVER" = odbc ] && URL="odbc:Driver=${DBMIG_TEST_SQLITE_ODBC:-SQLite3};Database=$DB_FILE"
        else
            URL=$DBMIG_TEST_URL
        fi
        BG_PIDS=""
        _cleanup() {
            local j
            for j in $BG_PIDS $(jobs -p); do kill -9 "$j" 2>/dev/null; done
            wait 2>/dev/null
        }
        trap _cleanup EXIT
        cd "$T" || exit 1
        db_reset
        "$name"
    ) > "$dir/.stdout" 2>&1
    rc=$?
    end=${EPOCHREALTIME/[.,]/}
    local ms=$(( (end - start) / 1000 )) secs
    secs=$((ms / 1000)).$(( (ms % 1000) / 100 ))
    reason=$(cat "$dir/.reason" 2>/dev/null)
    if [ "$rc" = 0 ]; then
        NPASS=$((NPASS + 1))
        printf 'ok    %-34s (%ss)\n' "$name" "$secs"
    elif [ "$rc" = 77 ]; then
        NSKIP=$((NSKIP + 1))
        printf 'SKIPPED %-32s %s\n' "$name" "$reason"
    else
        NFAIL=$((NFAIL + 1))
        FAILED_CASES="$FAILED_CASES $name"
        [ -n "$reason" ] || reason="exit $rc: $(tail -c 400 "$dir/.stdout" | tr '\n' '|')"
        printf 'FAIL  %-34s %s\n' "$name" "$reason"
        if [ -n "${DBMIG_TEST_VERBOSE:-}" ]; then
            sed 's/^/      /' "$dir/.log" 2>/dev/null | tail -n 40
        fi
    fi
    if [ -n "${DBMIG_TEST_KEEP:-}" ]; then
        [ "$rc" = 0 ] || printf '      (kept %s)\n' "$dir"
    else
        rm -rf "$dir"
    fi
}

# summary: prints the totals (skipped cases included, and the
# DBMIG_TEST_ONLY filter when one narrowed the run); returns non-zero if any
# case failed or if no case ran at all (a filter matching nothing is not a
# pass).
summary() {
    printf '%d passed, %d failed, %d skipped (driver %s)%s\n' "$NPASS" "$NFAIL" "$NSKIP" \
        "$DBMIG_TEST_DRIVER" "${DBMIG_TEST_ONLY:+, ONLY the cases matching DBMIG_TEST_ONLY=$DBMIG_TEST_ONLY}"
    if [ $((NPASS + NFAIL + NSKIP)) = 0 ]; then
        echo "no case ran${DBMIG_TEST_ONLY:+: DBMIG_TEST_ONLY=$DBMIG_TEST_ONLY matches none}"
        return 1
    fi
    [ "$NFAIL" = 0 ]
}
