#!/usr/bin/env bash
# mariadb-server.sh — a throwaway MariaDB server for the tests.
#
#   scripts/mariadb-server.sh run CMD [ARGS...]
#
# Creates a data folder under a temp dir (mariadb-install-db), starts mariadbd
# on 127.0.0.1 at a free random port with its own socket, creates a
# password-authenticated user and a scratch database, exports
#
#   DBMIG_TEST_MYSQL_URL     mysql://dbmig:<password>@127.0.0.1:<port>/dbmig_test
#   DBMIG_TEST_MYSQL_SPECIAL_URL  the same database as user dbmig_special,
#                            whose password (DBMIG_TEST_MYSQL_SPECIAL_PASSWORD)
#                            holds : @ / % ? # & (percent-encoded in the URL)
#   DBMIG_TEST_MYSQL_PORT    the port
#   DBMIG_TEST_MYSQL_SOCKET  the server's socket
#   DBMIG_TEST_MYSQL_DIR     the temp dir (data folder, log)
#
# runs CMD, then stops the server and removes the temp dir — also when CMD
# fails or the script is interrupted (trap). Exits with CMD's exit code.
# The user `dbmig` may create and drop any database whose name starts with
# dbmig_ (the suites create one per purpose).
#
# mariadbd refuses to run as root: as root the server runs as the `mysql`
# user (or `nobody`), which then owns the temp dir. Start-up is tuned for
# speed (small buffer pool and redo log, no binary log, no fsync), never for
# durability: this server exists for one test run.
#
# DBMIG_MYSQL_KEEP=1 keeps the temp dir (with the server's log) for debugging.
set -euo pipefail

usage() { echo "usage: $0 run CMD [ARGS...]" >&2; exit 2; }
[ "${1:-}" = run ] && [ $# -ge 2 ] || usage
shift

for p in mariadb-install-db mariadbd mariadb mariadb-admin; do
    command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/usr/bin
    if ! command -v "$p" >/dev/null 2>&1; then
        echo "mariadb-server.sh: $p not found: install mariadb-server and mariadb-client (scripts/deps.sh)" >&2
        exit 2
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-mariadb.XXXXXX")
server_pid=""

cleanup() {
    local rc=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        local i
        for i in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "${DBMIG_MYSQL_KEEP:-}" ]; then
        echo "mariadb-server.sh: kept $dir" >&2
    else
        rm -rf "$dir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# mariadbd will not run as root: run it as an unprivileged user that owns dir.
user_opt=()
if [ "$(id -u)" = 0 ]; then
    run_as=mysql
    getent passwd mysql >/dev/null || run_as=nobody
    user_opt=(--user="$run_as")
    chown "$run_as" "$dir"
fi
chmod 0755 "$dir"
# The server's own temporary folder (internal temporary tables): inside
# dir, not the shared /tmp, where another process's clean-up once removed
# a temporary table's file under a running query ("Error on delete of
# '/tmp/#sql-temptable-...' (Errcode: 2)").
mkdir -p "$dir/tmp"
[ -n "${run_as:-}" ] && chown "$run_as" "$dir/tmp"

if ! mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        > "$dir/install.log" 2>&1; then
    echo "mariadb-server.sh: mariadb-install-db failed:" >&2
    tail -n 20 "$dir/install.log" >&2
    exit 1
fi

sock=$dir/mysqld.sock
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        # a port nobody answers on (the server itself reports a clash)
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

started=0
for attempt in 1 2 3 4 5; do
    port=$(free_port)
    mariadbd --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
        --port="$port" --bind-address=127.0.0.1 --socket="$sock" --tmpdir="$dir/tmp" \
        --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" \
        --skip-name-resolve --skip-log-bin --skip-performance-schema \
        --innodb-buffer-pool-size=32M --innodb-log-file-size=8M \
        --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
        --innodb-flush-method=nosync --sync-binlog=0 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --max-connections=300 --max-allowed-packet=16M \
        > /dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        if mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; then
            started=1
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ "$started" = 1 ] && break
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    if ! grep -q "Address already in use\|Do you already have another" "$dir/server.log" 2>/dev/null; then
        break
    fi
    rm -f "$sock" "$dir/mysqld.pid"
done
if [ "$started" != 1 ]; then
    echo "mariadb-server.sh: mariadbd did not start; its log:" >&2
    tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
    exit 1
fi

password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
# a second user whose password needs percent-encoding in a URL
special="Sp:c@/%?#&$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
special_enc=$(printf '%s' "$special" | jq -sRr @uri)
mariadb --no-defaults --socket="$sock" -uroot <<EOF
CREATE USER 'dbmig'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER 'dbmig'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`dbmig\_%\`.* TO 'dbmig'@'127.0.0.1', 'dbmig'@'localhost';
GRANT PROCESS ON *.* TO 'dbmig'@'127.0.0.1', 'dbmig'@'localhost';
CREATE USER 'dbmig_special'@'127.0.0.1' IDENTIFIED BY '$special';
GRANT ALL PRIVILEGES ON \`dbmig\_%\`.* TO 'dbmig_special'@'127.0.0.1';
CREATE DATABASE dbmig_test CHARACTER SET utf8mb4;
EOF

export DBMIG_TEST_MYSQL_URL="mysql://dbmig:$password@127.0.0.1:$port/dbmig_test"
export DBMIG_TEST_MYSQL_SPECIAL_URL="mysql://dbmig_special:$special_enc@127.0.0.1:$port/dbmig_test"
export DBMIG_TEST_MYSQL_SPECIAL_PASSWORD=$special
export DBMIG_TEST_MYSQL_PORT=$port
export DBMIG_TEST_MYSQL_SOCKET=$sock
export DBMIG_TEST_MYSQL_DIR=$dir
echo "mariadb-server.sh: MariaDB $(mariadbd --version | awk '{print $3}') on 127.0.0.1:$port (pid $server_pid)" >&2

# CMD runs in the background so that a signal reaches our trap at once (bash
# defers traps while a foreground command runs); it is stopped with us.
set +e
"$@" <&0 &
cmd_pid=$!
trap 'kill -TERM "$cmd_pid" 2>/dev/null; exit 130' INT
trap 'kill -TERM "$cmd_pid" 2>/dev/null; exit 143' TERM
wait "$cmd_pid"
rc=$?
set -e
exit "$rc"
