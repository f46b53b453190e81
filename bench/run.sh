#!/usr/bin/env bash
# bench/run.sh — dbmig against each database's own client, on the same SQL,
# in the same run. Prints markdown tables: median (min–max) of R runs and the
# ratio dbmig / client.
#
#   bash bench/run.sh                 # N = 100 and 1000, every database available
#   BENCH_N="1000" BENCH_RUNS=5 BENCH_DBS="sqlite postgres mysql" bash bench/run.sh
#
# Workloads (bench/gen.py): N migrations, each a table, an index and three
# rows. "fresh": apply all to an empty database (client: the whole script in
# one transaction, version rows included). "noop": everything applied, run
# again (client: one query on the version table). "status": dbmig status
# (client: the same single query). noop and status are timed after the fresh
# runs and a sync, alternating with the client's query. PostgreSQL and MariaDB are started on
# loopback by scripts/pg-server.sh and scripts/mariadb-server.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# shellcheck source=bench/lib.sh
. bench/lib.sh # the knobs NS RUNS DBS BUILD and the shared functions

if [[ -z "${BENCH_INNER:-}" ]]; then
    bash scripts/deps.sh
    command -v python3 >/dev/null || apt-get install -y -qq python3 >/dev/null
    bench_build
fi
DBMIG=$BUILD/dbmig
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- peers (BENCH_PEERS=1, BENCH_PEERS_INSTALL=1 to install them): dbmate,
# alembic and sqitch, timed by bench/peers.sh inside the same server wrappers
# (hooks: peers_rows after each database, peers_table at the end). Their rows
# go to a file and print as a second table after this one.
peers_rows() { # db
    [[ ${BENCH_PEERS:-} == 1 ]] || return 0
    BENCH_N=$NS BENCH_RUNS=$RUNS BENCH_BUILD=$BUILD bash bench/peers.sh --rows "$1" >>"$BENCH_PEERS_OUT"
}
peers_table() {
    [[ ${BENCH_PEERS:-} == 1 ]] || return 0
    echo
    BENCH_N=$NS BENCH_RUNS=$RUNS BENCH_BUILD=$BUILD bash bench/peers.sh --header
    cat "$BENCH_PEERS_OUT"
}
if [[ ${BENCH_PEERS:-} == 1 && -z ${BENCH_INNER:-} ]]; then
    if [[ ${BENCH_PEERS_INSTALL:-} == 1 ]]; then bash bench/peers.sh --install; fi
    export BENCH_PEERS_OUT=$work/peers.md
    : >"$BENCH_PEERS_OUT"
fi
# --- end of peers

bench_db() { # db dialect
    local db=$1 dialect=$2
    for n in $NS; do
        local dir=$work/m$n script=$work/base-$n-$db.sql
        rm -rf "$dir"
        python3 bench/gen.py "$n" "$dir" --baseline "$dialect" "$script"
        local url; url=$(${db}_url)
        local cf="" df="" cq="" dn="" ds=""
        for ((r = 0; r < RUNS; r++)); do
            ${db}_reset; t=$(now); ${db}_client_fresh "$script"; cf+=" $(($(now) - t))"
            ${db}_reset; t=$(now); "$DBMIG" -q --url "$url" --dir "$dir" upgrade head; df+=" $(($(now) - t))"
        done
        # The start-up path, on the database the last fresh run built: after
        # a sync (so that neither pays for writing back the fresh runs), the
        # client's query and dbmig in turn, RUNS times.
        sync
        for ((r = 0; r < RUNS; r++)); do
            t=$(now); ${db}_client_query; cq+=" $(($(now) - t))"
            t=$(now); "$DBMIG" -q --url "$url" --dir "$dir" upgrade head; dn+=" $(($(now) - t))"
            t=$(now); "$DBMIG" -q --url "$url" --dir "$dir" status >/dev/null; ds+=" $(($(now) - t))"
        done
        local scf sdf scq sdn sds
        scf=$(stats "$cf"); sdf=$(stats "$df"); scq=$(stats "$cq"); sdn=$(stats "$dn"); sds=$(stats "$ds")
        printf '| %s | %s | fresh upgrade head | %s | %s | %s |\n' "$db" "$n" "$(fmt "$scf")" "$(fmt "$sdf")" "$(ratio "$sdf" "$scf")"
        printf '| %s | %s | nothing to do | %s | %s | %s |\n' "$db" "$n" "$(fmt "$scq")" "$(fmt "$sdn")" "$(ratio "$sdn" "$scq")"
        printf '| %s | %s | status | %s | %s | %s |\n' "$db" "$n" "$(fmt "$scq")" "$(fmt "$sds")" "$(ratio "$sds" "$scq")"
    done
}

if [[ -n "${BENCH_INNER:-}" ]]; then
    [[ $BENCH_INNER == mysql ]] && my_parse
    bench_db "$BENCH_INNER" "$BENCH_DIALECT"
    peers_rows "$BENCH_INNER"
    exit 0
fi

echo "dbmig $("$DBMIG" --version | cut -d' ' -f2) at $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $RUNS runs each, median (min–max)"
echo
echo "| database | N | workload | database's own client | dbmig | ratio |"
echo "| --- | --- | --- | --- | --- | --- |"
for db in $DBS; do
    case $db in
    sqlite) bench_db sqlite sqlite; peers_rows sqlite ;;
    postgres)
        if [[ -x scripts/pg-server.sh ]]; then
            BENCH_INNER=postgres BENCH_DIALECT=postgres BENCH_BUILD=$BUILD \
                bash scripts/pg-server.sh run bash bench/run.sh
        else
            echo "| postgres | - | (scripts/pg-server.sh not available) | | | |"
        fi ;;
    mysql)
        if [[ -x scripts/mariadb-server.sh ]]; then
            BENCH_INNER=mysql BENCH_DIALECT=mysql BENCH_BUILD=$BUILD \
                bash scripts/mariadb-server.sh run bash bench/run.sh
        else
            echo "| mysql | - | (scripts/mariadb-server.sh not available) | | | |"
        fi ;;
    esac
done
peers_table
