#!/usr/bin/env bash
# galera-cluster.sh — a throwaway 3-node MariaDB Galera cluster on loopback.
#
#   scripts/galera-cluster.sh run CMD [ARGS...]
#
# Initialises one data folder under a temp dir (mariadb-install-db), starts
# three mariadbd nodes on 127.0.0.1, each with its own client port, socket,
# Galera (gmcast) port, IST port and SST port, all random and free:
#   wsrep_provider=/usr/lib/galera/libgalera_smm.so, wsrep_sst_method=rsync;
#   node 1 bootstraps the cluster (--wsrep-new-cluster), nodes 2 and 3 join
#   it and receive node 1's data by rsync SST.
# Waits until every node reports wsrep_local_state_comment = Synced and a
# cluster size of 3, creates a password-authenticated user `dbmig` (all
# privileges on databases named dbmig_%) and the database dbmig_test on node
# 1, waits until node 3 sees both (replicated), and exports
#
#   DBMIG_TEST_GALERA_URL1..3     mysql://dbmig:<password>@127.0.0.1:<port_i>/dbmig_test
#   DBMIG_TEST_GALERA_PORT1..3    the client ports
#   DBMIG_TEST_GALERA_SOCKET1..3  the nodes' sockets (root, no password)
#   DBMIG_TEST_GALERA_PASSWORD    the password of `dbmig`
#   DBMIG_TEST_GALERA_DIR         the temp dir (node folders, logs)
#
# then runs CMD and, at the end — also when CMD or the start-up fails or the
# script is interrupted (trap) — stops every node by its PID (TERM, KILL
# after 3 s) and removes the temp dir. Exits with CMD's exit code.
#
# The nodes run as the unprivileged `mysql` user (or `nobody`) when started
# as root; the temp dir then belongs to that user. Tuned for speed, never for
# durability (small buffer pool, gcache and redo log, no fsync).
# Requires the Debian packages mariadb-server, mariadb-client, galera-4 and
# rsync (scripts/deps.sh installs them). Start-up takes ~10-20 s.
#
# DBMIG_GALERA_KEEP=1 keeps the temp dir (with the nodes' logs) for debugging.
set -euo pipefail

usage() { echo "usage: $0 run CMD [ARGS...]" >&2; exit 2; }
[ "${1:-}" = run ] && [ $# -ge 2 ] || usage
shift

say() { printf 'galera-cluster: %s\n' "$*" >&2; }

PATH=$PATH:/usr/sbin:/usr/bin
for p in mariadb-install-db mariadbd mariadb rsync; do
    if ! command -v "$p" >/dev/null 2>&1; then
        say "$p not found: install mariadb-server, mariadb-client, galera-4 and rsync (bash scripts/deps.sh)"
        exit 2
    fi
done
provider=/usr/lib/galera/libgalera_smm.so
if [ ! -r "$provider" ]; then
    say "$provider not found: install galera-4 (bash scripts/deps.sh)"
    exit 2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-galera.XXXXXX")
pids=("" "" "" "")

stop_nodes() {
    local i alive
    for i in 3 2 1; do
        [ -n "${pids[$i]}" ] && kill -TERM "${pids[$i]}" 2>/dev/null || true
    done
    # A graceful leave takes ~5 s (view changes); the data is thrown away,
    # so after 3 s the rest is KILLed.
    for _ in $(seq 1 30); do
        alive=0
        for i in 1 2 3; do
            [ -n "${pids[$i]}" ] && kill -0 "${pids[$i]}" 2>/dev/null && alive=1
        done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for i in 1 2 3; do
        if [ -n "${pids[$i]}" ]; then
            kill -KILL "${pids[$i]}" 2>/dev/null || true
            wait "${pids[$i]}" 2>/dev/null || true
            pids[$i]=""
        fi
    done
}

cmd_pid=""
cleanup() {
    local rc=$?
    [ -n "$cmd_pid" ] && kill -TERM "$cmd_pid" 2>/dev/null
    stop_nodes
    # an rsync daemon of an SST still running (it belongs to its node)
    if [ -d "$dir" ]; then
        local f
        for f in "$dir"/n*/data/rsync_sst.pid; do
            [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
        done
        if [ -n "${DBMIG_GALERA_KEEP:-}" ]; then
            say "kept $dir"
        else
            rm -rf "$dir"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_as=""
if [ "$(id -u)" = 0 ]; then
    run_as=mysql
    getent passwd mysql >/dev/null || run_as=nobody
fi
as_owner() {
    if [ -n "$run_as" ]; then runuser -u "$run_as" -- "$@"; else "$@"; fi
}

# 12 distinct TCP ports on 127.0.0.1 that nothing listens on now, below the
# kernel's ephemeral range: a node that keeps dialling a peer not yet up
# would otherwise, sooner or later, get that peer's port as its own source
# port (a TCP self-connect) and the peer could no longer listen on it.
declare -A taken=()
eph_lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "${eph_lo:-0}" -gt 12000 ] 2>/dev/null || eph_lo=32768
free_port() {
    local p
    while :; do
        p=$((10000 + RANDOM % (eph_lo - 10000)))
        [ -z "${taken[$p]:-}" ] || continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            taken[$p]=1
            echo "$p"
            return
        fi
    done
}
declare -a cport gport iport sport
for i in 1 2 3; do
    cport[$i]=$(free_port); gport[$i]=$(free_port); iport[$i]=$(free_port); sport[$i]=$(free_port)
done
cluster_address="gcomm://127.0.0.1:${gport[1]},127.0.0.1:${gport[2]},127.0.0.1:${gport[3]}"
cluster_name="dbmig_test_$$"

for i in 1 2 3; do
    mkdir -p "$dir/n$i/data" "$dir/n$i/tmp"
    cat >"$dir/n$i/my.cnf" <<EOF
[mysqld]
datadir=$dir/n$i/data
tmpdir=$dir/n$i/tmp
port=${cport[$i]}
bind-address=127.0.0.1
socket=$dir/n$i/mysqld.sock
pid-file=$dir/n$i/mysqld.pid
log-error=$dir/n$i/server.log
skip-name-resolve
skip-performance-schema
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
max-connections=300
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb-buffer-pool-size=32M
innodb-log-file-size=8M
innodb-flush-log-at-trx-commit=0
innodb-doublewrite=0
innodb-flush-method=nosync
sync-binlog=0
wsrep_on=ON
wsrep_provider=$provider
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${gport[$i]};ist.recv_addr=127.0.0.1:${iport[$i]};gcache.size=16M;gcache.page_size=16M"
wsrep_cluster_name=$cluster_name
wsrep_cluster_address=$cluster_address
wsrep_node_name=node$i
wsrep_node_address=127.0.0.1
wsrep_node_incoming_address=127.0.0.1:${cport[$i]}
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:${sport[$i]}
wsrep_slave_threads=2
EOF
done
chmod -R a+rX "$dir"
[ -n "$run_as" ] && chown -R "$run_as" "$dir"

t0=$(date +%s%N)
# One data folder is initialised; nodes 2 and 3 get theirs by SST.
if ! as_owner mariadb-install-db --defaults-file="$dir/n1/my.cnf" --wsrep-on=OFF \
        --auth-root-authentication-method=normal --skip-test-db \
        >"$dir/install.log" 2>&1; then
    say "mariadb-install-db failed:"
    tail -n 20 "$dir/install.log" >&2
    exit 1
fi
[ -n "$run_as" ] && chown -R "$run_as" "$dir"

sql() { # sql NODE SQL... (root over the node's socket)
    local n=$1; shift
    mariadb --no-defaults --socket="$dir/n$n/mysqld.sock" -uroot -N -B "$@"
}
status_of() { # status_of NODE VARIABLE
    sql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'
}

start_node() { # start_node I [--wsrep-new-cluster]
    local i=$1; shift
    local user_opt=()
    [ -n "$run_as" ] && user_opt=(--user="$run_as")
    mariadbd --defaults-file="$dir/n$i/my.cnf" "${user_opt[@]}" "$@" >"$dir/n$i/stdout.log" 2>&1 &
    pids[$i]=$!
}

wait_synced() { # wait_synced I — Synced and a cluster of 3 (or of $2)
    local i=$1 want=${2:-3} state="" size=""
    for _ in $(seq 1 1200); do # 120 s
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            say "node $i (pid ${pids[$i]}) exited during start-up; its log:"
            tail -n 40 "$dir/n$i/server.log" >&2 2>/dev/null || true
            return 1
        fi
        state=$(status_of "$i" wsrep_local_state_comment || true)
        size=$(status_of "$i" wsrep_cluster_size || true)
        if [ "$state" = Synced ] && [ "${size:-0}" -ge "$want" ]; then
            return 0
        fi
        sleep 0.1
    done
    say "node $i not Synced after 120 s (state '${state:-?}', cluster size '${size:-?}'); its log:"
    tail -n 40 "$dir/n$i/server.log" >&2 2>/dev/null || true
    return 1
}

start_node 1 --wsrep-new-cluster
wait_synced 1 1 || exit 1
# Both joiners at once: one gets node 1 as its rsync donor, the other waits
# for a free donor (Galera retries every second) and gets node 1 or 2.
start_node 2
start_node 3
for i in 2 3 1; do wait_synced "$i" 3 || exit 1; done

password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
sql 1 <<EOF
CREATE USER 'dbmig'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER 'dbmig'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`dbmig\_%\`.* TO 'dbmig'@'127.0.0.1', 'dbmig'@'localhost';
GRANT PROCESS ON *.* TO 'dbmig'@'127.0.0.1', 'dbmig'@'localhost';
CREATE DATABASE dbmig_test CHARACTER SET utf8mb4;
EOF
# replicated: every node accepts the user's password and sees the database
for i in 1 2 3; do
    ok=0
    for _ in $(seq 1 100); do
        if mariadb --no-defaults -h127.0.0.1 -P"${cport[$i]}" -udbmig -p"$password" -N -B \
                -e "SELECT 1" dbmig_test >/dev/null 2>&1; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if [ "$ok" != 1 ]; then
        say "the user dbmig or the database dbmig_test did not reach node $i"
        exit 1
    fi
done
ms=$((($(date +%s%N) - t0) / 1000000))

for i in 1 2 3; do
    export "DBMIG_TEST_GALERA_URL$i=mysql://dbmig:$password@127.0.0.1:${cport[$i]}/dbmig_test"
    export "DBMIG_TEST_GALERA_PORT$i=${cport[$i]}"
    export "DBMIG_TEST_GALERA_SOCKET$i=$dir/n$i/mysqld.sock"
done
export DBMIG_TEST_GALERA_PASSWORD=$password
export DBMIG_TEST_GALERA_DIR=$dir
say "MariaDB $(mariadbd --version | awk '{print $3}') Galera cluster of 3 Synced in ${ms} ms: client ports ${cport[1]} ${cport[2]} ${cport[3]} (pids ${pids[1]} ${pids[2]} ${pids[3]}), $dir"

# CMD in the background and `wait`: a TERM or INT then reaches the trap at
# once (and is passed on to CMD) instead of after CMD ends.
set +e
"$@" &
cmd_pid=$!
wait "$cmd_pid"
rc=$?
cmd_pid=""
set -e
exit "$rc"
