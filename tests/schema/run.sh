#!/usr/bin/env bash
# tests/schema/run.sh — the schema suite's harness (SPEC section 12).
#
#   scripts/pg-server.sh run scripts/mariadb-server.sh run bash run.sh
#   (ctest -R '^schema$' does exactly this)
#
# For each target in sqlite postgres mysql it runs every tests/schema/*.sh
# script but this one: NAME.<target>.sh only on that target, any other on
# every target. Each (script, target) gets a fresh empty database, in URL:
#   sqlite    a new file in a private folder (the script's TMPDIR, emptied
#             and removed afterwards)
#   postgres  a new database on the throwaway server, dropped afterwards
#   mysql     a new database on the throwaway MariaDB server, dropped
#             afterwards
# The PostgreSQL test user is given CREATEDB first (scratch databases are
# made with the URL's credentials); the databases are made by the
# superuser, owned by the test user.
# In its environment: TARGET, URL, DBMIG (the CLI), DBMIG_PLUGIN_DIR,
# DBMIG_SOURCE_DIR and the servers' variables (DBMIG_TEST_PG_URL, PG*,
# DBMIG_TEST_MYSQL_URL, DBMIG_TEST_MYSQL_SOCKET, ...). A script exits 0
# when all its cases pass and prints `FAIL <case> <why>` lines otherwise.
# run.sh exits 1 when any script failed and names each one.
#
# A local run may be narrowed: DBMIG_TEST_ONLY="sqlite dump" runs only the
# targets and scripts named (a word that is a target narrows the targets,
# any other the scripts). ctest removes DBMIG_TEST_ONLY (ctest-env.cmake),
# so ctest and CI always run everything.
set -u
# DBMIG_SUITE_DIR: another folder of scripts run the same way (tests/zdt,
# the zero-downtime suite of SPEC section 14, uses this harness).
HERE=${DBMIG_SUITE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
SUITE=$(basename "$HERE")
for v in DBMIG DBMIG_PLUGIN_DIR DBMIG_SOURCE_DIR DBMIG_TEST_PG_URL PG_SERVER_SOCKET \
         PG_SERVER_PORT DBMIG_TEST_MYSQL_URL DBMIG_TEST_MYSQL_SOCKET; do
    if [ -z "${!v:-}" ]; then
        echo "$SUITE: $v is not set (run through scripts/pg-server.sh run scripts/mariadb-server.sh run ...)" >&2
        exit 1
    fi
done
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_LOCK_TIMEOUT DBMIG_COMMIT_INTERVAL DBMIG_FORMAT DBMIG_PLUGIN_PATH DBMIG_SQL
export NO_COLOR=1 DBMIG DBMIG_PLUGIN_DIR DBMIG_SOURCE_DIR

W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-$SUITE.XXXXXX")
trap 'rm -rf "$W"' EXIT

TARGETS=(sqlite postgres mysql)
only_targets=() only_scripts=()
for w in ${DBMIG_TEST_ONLY:-}; do
    case " ${TARGETS[*]} " in
        *" $w "*) only_targets+=("$w") ;;
        *) only_scripts+=("$w") ;;
    esac
done
wanted() { # wanted WORD LIST...: no list, or WORD in it
    local w=$1
    shift
    [ $# -eq 0 ] && return 0
    local x
    for x in "$@"; do [ "$x" = "$w" ] && return 0; done
    return 1
}

mysql_root() { mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot "$@"; }
# PostgreSQL's superuser, over the server's socket (trust for the server's
# owner: nobody when we are root, see pg-server.sh)
pg_super() {
    local as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u nobody --)
    (cd / && "${as[@]}" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SERVER_SOCKET" -p "$PG_SERVER_PORT" \
        -U postgres -d postgres "$@")
}
# The test user may create databases: scratch databases are made with the
# URL's own credentials (SPEC section 12).
pg_user=${DBMIG_TEST_PG_URL#*://}
pg_user=${pg_user%%[:@]*}
pg_super -c "ALTER ROLE $pg_user CREATEDB" >/dev/null ||
    { echo "$SUITE: cannot let $pg_user create databases"; exit 1; }
pg_base=${DBMIG_TEST_PG_URL%/*}
mysql_base=${DBMIG_TEST_MYSQL_URL%/*}

# make_db TARGET NAME: prints the URL of a new empty database
make_db() {
    case $1 in
        sqlite) mkdir -p "$W/$2/tmp" && echo "sqlite:$W/$2/db.sqlite" ;;
        postgres) pg_super -c "CREATE DATABASE $2 OWNER $pg_user" >/dev/null && echo "$pg_base/$2" ;;
        mysql) mysql_root -e "CREATE DATABASE $2" && echo "$mysql_base/$2" ;;
    esac
}

# drop_db TARGET NAME: the database is gone (a failure is reported)
drop_db() {
    case $1 in
        sqlite) rm -rf "${W:?}/$2" ;;
        postgres) pg_super -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" >/dev/null ;;
        mysql) mysql_root -e "DROP DATABASE IF EXISTS $2" ;;
    esac
}

failed=()
nrun=0
n=0
for t in "${TARGETS[@]}"; do
    wanted "$t" "${only_targets[@]}" || continue
    for f in "$HERE"/*.sh; do
        base=$(basename "$f" .sh)
        [ "$base" = run ] && continue
        case $base in
            *.sqlite | *.postgres | *.mysql)
                [ "${base##*.}" = "$t" ] || continue
                name=${base%.*} ;;
            *) name=$base ;;
        esac
        wanted "$name" "${only_scripts[@]}" || wanted "$base" "${only_scripts[@]}" || continue
        n=$((n + 1))
        db="dbmig_s${n}_$(printf '%s' "$name" | tr -c 'a-zA-Z0-9_' '_' | cut -c1-40)"
        if ! url=$(make_db "$t" "$db"); then
            echo "FAIL $base.$t: cannot create the database $db"
            failed+=("$base on $t")
            continue
        fi
        echo "--- $base on $t"
        nrun=$((nrun + 1))
        tmp=$W/$db/tmp
        mkdir -p "$tmp"
        if ! (cd "$W/$db" && TARGET=$t URL=$url TMPDIR=$tmp bash "$f"); then
            failed+=("$base on $t")
        fi
        rm -rf "${W:?}/$db"
        drop_db "$t" "$db" || { echo "FAIL $base.$t: cannot drop the database $db"; failed+=("$base on $t (drop)"); }
    done
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "$SUITE: ${#failed[@]} of $nrun script runs failed:"
    printf '  %s\n' "${failed[@]}"
    exit 1
fi
if [ "$nrun" -eq 0 ]; then
    echo "$SUITE: no script ran (DBMIG_TEST_ONLY=${DBMIG_TEST_ONLY:-})"
    exit 1
fi
echo "$SUITE: all $nrun script runs passed"
