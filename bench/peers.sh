#!/usr/bin/env bash
# bench/peers.sh — dbmate, alembic and sqitch on bench/run.sh's workload,
# against the database's own client and dbmig, in the same run. Prints
# markdown rows: median (min–max) of R runs, the ratio peer / client and
# peer / dbmig (dbmig timed in the same loop, when its binary is there).
#
#   BENCH_PEERS=1 bash bench/run.sh       # run.sh's table, then this one (usual way)
#   bash bench/peers.sh                   # this table alone, every database available
#   BENCH_PEERS_INSTALL=1 bash bench/peers.sh          # install the peers first
#   bash bench/peers.sh --install | --header | --rows DB   # the pieces run.sh uses
#
# Same knobs as run.sh: BENCH_N, BENCH_RUNS, BENCH_DBS, BENCH_BUILD (dbmig is
# $BENCH_BUILD/dbmig; this script never builds it). BENCH_SQITCH_RUNS caps the
# runs of sqitch (slow: one client process per change). BENCH_PEERS_DIR is
# where npm puts dbmate (default build-bench/peers).
#
# Workloads (bench/gen_peers.py writes bench/gen.py's SQL in each tool's
# format): "fresh": empty database, the tool's upgrade (dbmate up, alembic
# upgrade head, sqitch deploy), against the client running the whole script in
# one transaction (sqlite3, psql -1, mariadb, as run.sh); "nothing to do": the
# same upgrade again, against one client query on the version table. Each tool
# runs with its defaults except: dbmate --no-dump-schema (dbmig dumps no
# schema), the native dbmate binary from the npm package rather than its node
# wrapper, and sqitch's MySQL registry in database dbmig_sqitch (the test user
# may only create dbmig_* databases). alembic imports its revision files once,
# untimed, before the runs, so every timed run has compiled bytecode.
#
# A peer that is not installed gets a row saying so; one that fails gets a row
# with the last line of its error. Installs (BENCH_PEERS_INSTALL=1 or --install):
# Debian sqitch, alembic and their drivers, and dbmate from npm.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# shellcheck source=bench/lib.sh
. bench/lib.sh # the knobs NS RUNS DBS BUILD and the shared functions
PEERS_DIR=${BENCH_PEERS_DIR:-$root/build-bench/peers}
SQITCH_RUNS=${BENCH_SQITCH_RUNS:-$RUNS}
DBMIG=$BUILD/dbmig
[[ -x $DBMIG ]] || DBMIG=""
export SQITCH_FULLNAME=Bench SQITCH_EMAIL=bench@example.invalid

# ---------------------------------------------------------------- installing
DEB_PEERS=(sqitch libdbd-sqlite3-perl libdbd-pg-perl libdbd-mysql-perl alembic python3-psycopg2 python3-pymysql)

install_peers() {
    bash scripts/deps.sh --also "${DEB_PEERS[@]}" || echo "peers.sh: installing ${DEB_PEERS[*]} failed" >&2
    if [[ -z $(find_dbmate) ]]; then
        if command -v npm >/dev/null; then
            mkdir -p "$PEERS_DIR"
            npm install --prefix "$PEERS_DIR" --no-audit --no-fund --silent dbmate >/dev/null ||
                echo "peers.sh: npm install dbmate failed" >&2
        else
            echo "peers.sh: npm not found, dbmate not installed" >&2
        fi
    fi
}

# ------------------------------------------------------------- finding them
find_dbmate() { # the native binary the npm package ships, else the wrapper, else PATH
    local f
    for f in "$PEERS_DIR"/node_modules/@dbmate/linux-*/bin/dbmate "$PEERS_DIR/node_modules/.bin/dbmate"; do
        [[ -x $f ]] && { echo "$f"; return; }
    done
    command -v dbmate || true
}
DBMATE=$(find_dbmate)

alembic_python() { # the interpreter alembic runs on (its shebang)
    local a; a=$(command -v alembic) || return 0
    local l; l=$(head -n1 "$a"); l=${l#\#!}
    echo "${l%% *}"
}

# peer_missing PEER DB -> prints why PEER cannot run on DB ("" when it can)
peer_missing() {
    case $1 in
    dbmate) [[ -n $DBMATE ]] || echo "not installed (npm install dbmate)" ;;
    alembic)
        local py mod
        if ! command -v alembic >/dev/null; then echo "not installed (Debian alembic)"; return; fi
        py=$(alembic_python)
        case $2 in postgres) mod=psycopg2 ;; mysql) mod=pymysql ;; *) mod=sqlite3 ;; esac
        "$py" -c "import $mod" 2>/dev/null || echo "not installed (Python module $mod)" ;;
    sqitch)
        local dbd cli
        if ! command -v sqitch >/dev/null; then echo "not installed (Debian sqitch)"; return; fi
        case $2 in postgres) dbd=DBD::Pg cli=psql ;; mysql) dbd=DBD::mysql cli=mysql ;; *) dbd=DBD::SQLite cli=sqlite3 ;; esac
        perl -M"$dbd" -e1 2>/dev/null || { echo "not installed ($dbd)"; return; }
        command -v "$cli" >/dev/null || echo "not installed (client $cli)" ;;
    esac
}

versions() {
    local v=()
    if [[ -n $DBMATE ]]; then
        local how=$DBMATE
        case $DBMATE in */@dbmate/*) how="npm, native binary" ;; */node_modules/*) how="npm, node wrapper" ;; esac
        v+=("dbmate $("$DBMATE" --version | awk '{print $NF}') ($how)")
    fi
    if command -v alembic >/dev/null; then
        v+=("alembic $(alembic --version | awk '{print $NF}') (SQLAlchemy $("$(alembic_python)" -c 'import sqlalchemy; print(sqlalchemy.__version__)'))")
    fi
    command -v sqitch >/dev/null && v+=("sqitch $(sqitch --version | awk '{print $NF}' | tr -d v)")
    ((${#v[@]})) || v=(none)
    local out; printf -v out '%s; ' "${v[@]}"
    echo "${out%; }"
}

# ----------------------------------------------------------------- timing
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_tool TOOL DB N: one upgrade (fresh or nothing to do, the database decides)
run_tool() {
    local tool=$1 db=$2 n=$3 url p=$work/p$3
    url=$(${db}_url "$tool")
    case $tool in
    dbmig) "$DBMIG" -q --url "$url" --dir "$work/m$n" upgrade head ;;
    dbmate) "$DBMATE" --url "$url" --migrations-dir "$p/dbmate/db/migrations" --no-dump-schema up ;;
    alembic) BENCH_ALEMBIC_URL=$url alembic -c "$p/alembic/alembic.ini" upgrade head ;;
    sqitch)
        local engine; case $db in postgres) engine=pg ;; *) engine=$db ;; esac
        local reg=(); [[ $db == mysql ]] && reg=(--registry dbmig_sqitch)
        sqitch -C "$p/sqitch/$engine" deploy "${reg[@]}" "$url" ;;
    esac
}

last_error() { # the last non-blank line of the failed command's stderr, fit for a table cell
    local l; l=$(grep -v '^[[:space:]]*$' "$work/err" | tail -n1 || true)
    l=${l//|//}; echo "${l:0:160}"
}
row() { printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$@"; }

rows_db() { # db
    local db=$1 dialect=$1 n r t tool
    [[ $db == mysql ]] && my_parse
    for n in $NS; do
        local script=$work/base-$n.sql
        rm -rf "$work/m$n" "$work/p$n"
        python3 bench/gen.py "$n" "$work/m$n" --baseline "$dialect" "$script"
        python3 bench/gen_peers.py "$n" "$work/p$n"
        local peers=() why=()
        declare -A fresh=() noop=() failed=()
        for tool in dbmate alembic sqitch; do
            local m; m=$(peer_missing "$tool" "$db")
            if [[ -n $m ]]; then why+=("$tool" "$m"); else peers+=("$tool"); fi
        done
        # alembic: import (and byte-compile) the revision files once, untimed
        [[ " ${peers[*]} " == *" alembic "* ]] &&
            BENCH_ALEMBIC_URL=$(${db}_url alembic) alembic -c "$work/p$n/alembic/alembic.ini" heads >/dev/null 2>&1 || true
        local tools=("${peers[@]}"); [[ -n $DBMIG ]] && tools=(dbmig "${peers[@]}")
        local cf="" cq=""
        for ((r = 0; r < RUNS; r++)); do
            ${db}_reset; t=$(now); ${db}_client_fresh "$script"; cf+=" $(($(now) - t))"
            t=$(now); ${db}_client_query; cq+=" $(($(now) - t))"
            for tool in "${tools[@]}"; do
                [[ -z ${failed[$tool]:-} ]] || continue
                [[ $tool == sqitch ]] && ((r >= SQITCH_RUNS)) && continue
                ${db}_reset
                t=$(now)
                if ! run_tool "$tool" "$db" "$n" >/dev/null 2>"$work/err"; then
                    failed[$tool]="fresh: $(last_error)"
                    continue
                fi
                fresh[$tool]+=" $(($(now) - t))"
                t=$(now)
                if ! run_tool "$tool" "$db" "$n" >/dev/null 2>"$work/err"; then
                    failed[$tool]="nothing to do: $(last_error)"
                    continue
                fi
                noop[$tool]+=" $(($(now) - t))"
                # untimed, first run only: did it really apply all N?
                if ((r == 0)) && [[ $(${db}_tables) != "$n" ]]; then
                    failed[$tool]="applied $(${db}_tables) of $n migrations"
                fi
            done
        done
        local scf scq sdf="" sdn=""
        scf=$(stats "$cf"); scq=$(stats "$cq")
        if [[ -n $DBMIG && -z ${failed[dbmig]:-} ]]; then sdf=$(stats "${fresh[dbmig]}"); sdn=$(stats "${noop[dbmig]}"); fi
        for tool in "${peers[@]}"; do
            if [[ -n ${failed[$tool]:-} ]]; then
                row "$db" "$n" "-" "" "$tool" "failed: ${failed[$tool]}" "" "" ""
                continue
            fi
            local name=$tool spf spn
            [[ $tool == sqitch ]] && ((SQITCH_RUNS < RUNS)) && name="sqitch ($SQITCH_RUNS of $RUNS runs)"
            spf=$(stats "${fresh[$tool]}"); spn=$(stats "${noop[$tool]}")
            row "$db" "$n" "fresh upgrade head" "$(fmt "$scf")" "$name" "$(fmt "$spf")" "$(ratio "$spf" "$scf")" \
                "${sdf:+$(fmt "$sdf")}" "${sdf:+$(ratio "$spf" "$sdf")}"
            row "$db" "$n" "nothing to do" "$(fmt "$scq")" "$name" "$(fmt "$spn")" "$(ratio "$spn" "$scq")" \
                "${sdn:+$(fmt "$sdn")}" "${sdn:+$(ratio "$spn" "$sdn")}"
        done
        for ((r = 0; r < ${#why[@]}; r += 2)); do
            row "$db" "$n" "-" "" "${why[r]}" "${why[r + 1]}" "" "" ""
        done
    done
}

header() {
    echo "Peers: $(versions). $RUNS runs each$( ((SQITCH_RUNS < RUNS)) && echo " (sqitch: $SQITCH_RUNS)"), median (min–max); dbmig timed in the same loop"
    echo
    echo "| database | N | workload | database's own client | peer | peer's time | peer / client | dbmig, same run | peer / dbmig |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
}

case "${1:-}" in
--install) install_peers; exit 0 ;;
--header) header; exit 0 ;;
--rows) rows_db "$2"; exit 0 ;;
"") ;;
*) echo "usage: $0 [--install | --header | --rows sqlite|postgres|mysql]" >&2; exit 2 ;;
esac

# standalone: every database, servers started as in run.sh
[[ ${BENCH_PEERS_INSTALL:-} == 1 ]] && { install_peers; DBMATE=$(find_dbmate); }
header
for db in $DBS; do
    case $db in
    sqlite) rows_db sqlite ;;
    postgres) bash scripts/pg-server.sh run bash bench/peers.sh --rows postgres ;;
    mysql) bash scripts/mariadb-server.sh run bash bench/peers.sh --rows mysql ;;
    esac
done
