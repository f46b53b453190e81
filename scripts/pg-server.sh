#!/usr/bin/env bash
# pg-server.sh — a throwaway PostgreSQL server for the tests, on loopback.
#
#   bash scripts/pg-server.sh run CMD [ARGS...]
#       starts a server, exports its URL and PG* variables, runs CMD, stops
#       the server (even when CMD fails or the script is interrupted) and
#       exits with CMD's exit code.
#
#   . scripts/pg-server.sh          # as functions, in a script of your own
#   pg_server_start                 # sets and exports the variables below
#   trap pg_server_stop EXIT
#
# The server: `initdb` from /usr/lib/postgresql/<newest>/bin (or
# DBMIG_PG_BINDIR) into a fresh mktemp folder, listening on 127.0.0.1 only, on
# a free random port, with scram-sha-256 password authentication over TCP for
# a created user that owns a created database; unix socket in the same folder
# (trust, for the owner of the server only). Durability is off (fsync,
# synchronous_commit): it is thrown away at the end. initdb refuses to run as
# root, so as root the server runs as the user `nobody`, who then owns the
# folder.
#
# Exported after pg_server_start:
#   DBMIG_TEST_PG_URL   postgres://USER:PASSWORD@127.0.0.1:PORT/DB
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   the same, for psql & co.
#   PG_SERVER_DIR       the temp folder (data in $PG_SERVER_DIR/data)
#   PG_SERVER_SOCKET    the unix-socket folder
#   PG_SERVER_BINDIR    where initdb, pg_ctl, postgres are
# Requires: the Debian package postgresql (scripts/deps.sh installs it).

PG_SERVER_USER_NAME=${PG_SERVER_USER_NAME:-dbmig_test}
PG_SERVER_DB_NAME=${PG_SERVER_DB_NAME:-dbmig_test}

_pg_say() { printf 'pg-server: %s\n' "$*" >&2; }

_pg_bindir() {
    if [ -n "${DBMIG_PG_BINDIR:-}" ]; then
        echo "$DBMIG_PG_BINDIR"
        return
    fi
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$d" ] && [ -x "$d/initdb" ] || return 1
    echo "$d"
}

# Runs a command as the server's owner (nobody when we are root).
_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

# A TCP port on 127.0.0.1 that nothing listens on now.
_pg_free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

pg_server_start() {
    PG_SERVER_BINDIR=$(_pg_bindir) || {
        _pg_say "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install the Debian package postgresql (bash scripts/deps.sh)"
        return 1
    }
    PG_SERVER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-pg.XXXXXX") || return 1
    chmod 755 "$PG_SERVER_DIR"
    if [ "$(id -u)" = 0 ]; then
        chown nobody "$PG_SERVER_DIR" || return 1
        if ! runuser -u nobody -- test -w "$PG_SERVER_DIR"; then
            # TMPDIR is not reachable for nobody (e.g. under /root): use /tmp
            rm -rf "$PG_SERVER_DIR"
            PG_SERVER_DIR=$(mktemp -d /tmp/dbmig-pg.XXXXXX) || return 1
            chmod 755 "$PG_SERVER_DIR"
            chown nobody "$PG_SERVER_DIR" || return 1
        fi
    fi
    PG_SERVER_SOCKET=$PG_SERVER_DIR/sock
    _pg_as_owner mkdir -p "$PG_SERVER_SOCKET"
    local pw su_pw
    pw="pw$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    su_pw="su$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$su_pw" > "$PG_SERVER_DIR/supw"
    [ "$(id -u)" = 0 ] && chown nobody "$PG_SERVER_DIR/supw"
    chmod 600 "$PG_SERVER_DIR/supw"
    if ! _pg_as_owner "$PG_SERVER_BINDIR/initdb" -D "$PG_SERVER_DIR/data" -U postgres \
        --pwfile="$PG_SERVER_DIR/supw" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 -N > "$PG_SERVER_DIR/initdb.log" 2>&1; then
        _pg_say "initdb failed:"; cat "$PG_SERVER_DIR/initdb.log" >&2
        return 1
    fi
    rm -f "$PG_SERVER_DIR/supw"
    local port try started=0
    for try in 1 2 3 4 5; do
        port=$(_pg_free_port) || { _pg_say "no free port"; return 1; }
        if _pg_as_owner "$PG_SERVER_BINDIR/pg_ctl" -D "$PG_SERVER_DIR/data" -w -t 60 \
            -l "$PG_SERVER_DIR/server.log" \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$PG_SERVER_SOCKET' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c password_encryption=scram-sha-256" \
            start > "$PG_SERVER_DIR/pg_ctl.log" 2>&1; then
            started=1
            break
        fi
        _pg_say "start on port $port failed (try $try): $(tail -n 3 "$PG_SERVER_DIR/server.log" 2>/dev/null | tr '\n' ' ')"
    done
    if [ "$started" != 1 ]; then
        _pg_say "could not start the server; log:"; cat "$PG_SERVER_DIR/server.log" >&2 2>/dev/null
        return 1
    fi
    PG_SERVER_PORT=$port
    # the test user and database, over the socket as the superuser (trust)
    if ! _pg_as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SERVER_SOCKET" -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE $PG_SERVER_USER_NAME LOGIN PASSWORD '$pw'" \
        -c "CREATE DATABASE $PG_SERVER_DB_NAME OWNER $PG_SERVER_USER_NAME" \
        > "$PG_SERVER_DIR/setup.log" 2>&1; then
        _pg_say "creating the test user failed:"; cat "$PG_SERVER_DIR/setup.log" >&2
        return 1
    fi
    # PostgreSQL 15+: public belongs to pg_database_owner; older: make it ours
    _pg_as_owner psql -X -q -h "$PG_SERVER_SOCKET" -p "$port" -U postgres -d "$PG_SERVER_DB_NAME" \
        -c "ALTER SCHEMA public OWNER TO $PG_SERVER_USER_NAME" >/dev/null 2>&1
    export PG_SERVER_DIR PG_SERVER_SOCKET PG_SERVER_BINDIR PG_SERVER_PORT
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=$PG_SERVER_USER_NAME PGPASSWORD=$pw \
        PGDATABASE=$PG_SERVER_DB_NAME
    export DBMIG_TEST_PG_URL="postgres://$PG_SERVER_USER_NAME:$pw@127.0.0.1:$port/$PG_SERVER_DB_NAME"
    # The server's own client programs first: Debian's /usr/bin/psql is
    # pg_wrapper, a Perl script that starts Perl on every call (~30 ms of
    # the ~50 a psql costs on a loaded 2-core machine; the test suites call
    # psql thousands of times). The same major version as the server.
    case ":$PATH:" in *":$PG_SERVER_BINDIR:"*) ;; *) export PATH="$PG_SERVER_BINDIR:$PATH" ;; esac
    _pg_say "PostgreSQL $("$PG_SERVER_BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $PG_SERVER_DIR"
}

pg_server_stop() {
    [ -n "${PG_SERVER_DIR:-}" ] || return 0
    if [ -d "$PG_SERVER_DIR/data" ] && [ -n "${PG_SERVER_BINDIR:-}" ]; then
        _pg_as_owner "$PG_SERVER_BINDIR/pg_ctl" -D "$PG_SERVER_DIR/data" -m immediate -w -t 30 stop \
            > /dev/null 2>&1 || true
    fi
    rm -rf "$PG_SERVER_DIR"
    unset PG_SERVER_DIR
}

# ---- as a wrapper: pg-server.sh run CMD... ----------------------------------
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    if [ "${1:-}" != run ] || [ $# -lt 2 ]; then
        echo "usage: $0 run CMD [ARGS...]   (or source it: pg_server_start / pg_server_stop)" >&2
        exit 2
    fi
    shift
    trap pg_server_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    pg_server_start || exit 1
    rc=0
    "$@" || rc=$?
    exit "$rc"
fi
