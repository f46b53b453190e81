#!/usr/bin/env bash
# pgbouncer.sh — PgBouncer in transaction-pooling mode in front of a
# throwaway PostgreSQL server, both on loopback, for the tests.
#
#   scripts/pgbouncer.sh run CMD [ARGS...]
#
# Starts PostgreSQL with scripts/pg-server.sh (its variables are exported
# too: DBMIG_TEST_PG_URL, PGHOST, PGPORT, ... — the server directly), then
# pgbouncer on 127.0.0.1 at a free random port with
#   pool_mode = transaction, default_pool_size = 4 (so clients share server
#   connections), auth_type = scram-sha-256 (the test user's password, which
#   pgbouncer also uses to log in to the server),
# and the databases
#   <db>         the test database (pg-server.sh's), pool of 4
#   dbmig_pool1  the same database through a pool of ONE server connection
#   *            any other database of the server, by its own name
# Exports
#   DBMIG_TEST_PGBOUNCER_URL        postgres://USER:PASSWORD@127.0.0.1:PORT/<db>
#   DBMIG_TEST_PGBOUNCER_POOL1_URL  the same through dbmig_pool1
#   DBMIG_TEST_PGBOUNCER_PORT       the port
#   DBMIG_TEST_PGBOUNCER_DIR        its folder (config, log)
# runs CMD, then stops pgbouncer (by its PID) and the server — also when CMD
# or the start-up fails or the script is interrupted (trap) — and exits with
# CMD's exit code. As root, pgbouncer runs as `nobody` (it refuses root).
# Requires the Debian packages pgbouncer and postgresql (scripts/deps.sh).
set -uo pipefail

usage() { echo "usage: $0 run CMD [ARGS...]" >&2; exit 2; }
[ "${1:-}" = run ] && [ $# -ge 2 ] || usage
shift

say() { printf 'pgbouncer.sh: %s\n' "$*" >&2; }

PATH=$PATH:/usr/sbin:/usr/bin
if ! command -v pgbouncer >/dev/null 2>&1; then
    say "pgbouncer not found: install the Debian package pgbouncer (bash scripts/deps.sh)"
    exit 2
fi

# shellcheck source=pg-server.sh
. "$(dirname "${BASH_SOURCE[0]}")/pg-server.sh"

bouncer_pid=""
bouncer_dir=""
cmd_pid=""
cleanup() {
    local rc=$?
    [ -n "$cmd_pid" ] && kill -TERM "$cmd_pid" 2>/dev/null
    if [ -n "$bouncer_pid" ]; then
        kill -TERM "$bouncer_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$bouncer_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$bouncer_pid" 2>/dev/null || true
        wait "$bouncer_pid" 2>/dev/null || true
    fi
    [ -n "$bouncer_dir" ] && rm -rf "$bouncer_dir"
    pg_server_stop
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_server_start || exit 1

bouncer_dir=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-pgbouncer.XXXXXX") || exit 1
as_owner=()
if [ "$(id -u)" = 0 ]; then
    as_owner=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups --)
fi

started=0
for try in 1 2 3 4 5; do
    port=$(_pg_free_port) || { say "no free port"; exit 1; }
    cat >"$bouncer_dir/pgbouncer.ini" <<EOF
[databases]
$PGDATABASE = host=127.0.0.1 port=$PGPORT dbname=$PGDATABASE
dbmig_pool1 = host=127.0.0.1 port=$PGPORT dbname=$PGDATABASE pool_size=1
* = host=127.0.0.1 port=$PGPORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $bouncer_dir/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 400
max_db_connections = 40
ignore_startup_parameters = extra_float_digits,options
logfile = $bouncer_dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
admin_users =
EOF
    printf '"%s" "%s"\n' "$PGUSER" "$PGPASSWORD" >"$bouncer_dir/userlist.txt"
    chmod 600 "$bouncer_dir/userlist.txt"
    [ "$(id -u)" = 0 ] && chown -R nobody "$bouncer_dir"
    "${as_owner[@]}" pgbouncer "$bouncer_dir/pgbouncer.ini" >"$bouncer_dir/stdout.log" 2>&1 &
    bouncer_pid=$!
    for _ in $(seq 1 100); do
        if PGPORT=$port psql -X -q -At -c "SELECT 1" >/dev/null 2>&1; then
            started=1
            break
        fi
        kill -0 "$bouncer_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ "$started" = 1 ] && break
    kill -KILL "$bouncer_pid" 2>/dev/null || true
    wait "$bouncer_pid" 2>/dev/null || true
    bouncer_pid=""
    say "start on port $port failed (try $try): $(tail -n 3 "$bouncer_dir/pgbouncer.log" "$bouncer_dir/stdout.log" 2>/dev/null | tr '\n' ' ')"
done
if [ "$started" != 1 ]; then
    say "pgbouncer did not start"
    exit 1
fi

export DBMIG_TEST_PGBOUNCER_URL="postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$port/$PGDATABASE"
export DBMIG_TEST_PGBOUNCER_POOL1_URL="postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$port/dbmig_pool1"
export DBMIG_TEST_PGBOUNCER_PORT=$port
export DBMIG_TEST_PGBOUNCER_DIR=$bouncer_dir
say "$(pgbouncer --version | head -n 1) on 127.0.0.1:$port (pid $bouncer_pid), pool_mode = transaction, in front of 127.0.0.1:$PGPORT"

# CMD in the background and `wait`: a TERM or INT then reaches the trap at
# once (and is passed on to CMD) instead of after CMD ends.
"$@" &
cmd_pid=$!
wait "$cmd_pid"
rc=$?
cmd_pid=""
exit "$rc"
