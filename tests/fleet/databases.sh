#!/usr/bin/env bash
# tests/fleet/databases.sh — fleet.sh over 40 SQLite files + 10 PostgreSQL +
# 10 MariaDB databases. Run under both throwaway servers:
#   scripts/pg-server.sh run scripts/mariadb-server.sh run bash tests/fleet/databases.sh
# Creates dbmig_fleet1..10 on each server (as their superusers, over the unix
# sockets), writes their URLs to a targets file — the passwords as ${PGPASSWORD}
# and ${FLEET_MYSQL_PASSWORD}, expanded by `dbmig fleet` itself — and runs
# fleet.sh with FLEET_EXTRA_TARGETS pointing at it.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DBMIG:?path to the dbmig binary}"
: "${DBMIG_TEST_PG_URL:?run me through scripts/pg-server.sh run}"
: "${DBMIG_TEST_MYSQL_URL:?run me through scripts/mariadb-server.sh run}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# mysql://dbmig:<password>@127.0.0.1:<port>/dbmig_test
my_rest=${DBMIG_TEST_MYSQL_URL#mysql://}
my_user=${my_rest%%:*}
my_rest=${my_rest#*:}
export FLEET_MYSQL_PASSWORD=${my_rest%%@*}
my_hostport=${my_rest#*@}
my_hostport=${my_hostport%%/*}

pgdbs="" mydbs=""
for i in $(seq 1 10); do
    pgdbs+="CREATE DATABASE dbmig_fleet$i OWNER $PGUSER;"$'\n'
    mydbs+="CREATE DATABASE dbmig_fleet$i;"$'\n'
done
# CREATE DATABASE cannot run inside a transaction block: one -c each
printf '%s' "$pgdbs" | psql -X -q -h "$PG_SERVER_SOCKET" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1
printf '%s' "$mydbs" | mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot

{
    echo "# ten PostgreSQL databases"
    for i in $(seq 1 10); do
        echo "postgres://$PGUSER:\${PGPASSWORD}@127.0.0.1:$PGPORT/dbmig_fleet$i"
    done
    echo "# ten MariaDB databases"
    for i in $(seq 1 10); do
        echo "mysql://$my_user:\${FLEET_MYSQL_PASSWORD}@$my_hostport/dbmig_fleet$i"
    done
} >"$work/extra"
FLEET_EXTRA_TARGETS=$work/extra bash "$HERE/fleet.sh"

# Each database of each server really is at head (12 tables f1..f12, 12
# version rows), not only by fleet's own account.
pg_bad=0 my_bad=0
for i in $(seq 1 10); do
    n=$(psql -X -At -h "$PG_SERVER_SOCKET" -p "$PGPORT" -U postgres -d "dbmig_fleet$i" \
        -c "SELECT (SELECT count(*) FROM dbmig_version) || ' ' || (SELECT count(*) FROM information_schema.tables WHERE table_name ~ '^f[0-9]+$')")
    [[ "$n" == "12 12" ]] || { echo "FAIL: postgres dbmig_fleet$i: (version rows, tables) = ($n)" >&2; pg_bad=1; }
    n=$(mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot -N -B "dbmig_fleet$i" \
        -e "SELECT CONCAT((SELECT COUNT(*) FROM dbmig_version), ' ', (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'dbmig_fleet$i' AND table_name REGEXP '^f[0-9]+\$'))")
    [[ "$n" == "12 12" ]] || { echo "FAIL: mysql dbmig_fleet$i: (version rows, tables) = ($n)" >&2; my_bad=1; }
done
((pg_bad == 0 && my_bad == 0)) || exit 1
echo "ok: the 10 PostgreSQL and 10 MariaDB databases each hold 12 applied revisions and their 12 tables"
