#!/usr/bin/env bash
# deps.sh — installs the Debian 12 packages dbmig needs to build and test,
# and only those that are missing (nothing to do: well under a second).
#
#   bash scripts/deps.sh            install what is missing
#   bash scripts/deps.sh --list     print the package list and exit
#   bash scripts/deps.sh --check    exit 1 (listing them) if any is missing
#   bash scripts/deps.sh --also P…  the same, with the packages P… added
#                                   (bench/peers.sh: the peers' packages)
#   bash scripts/deps.sh --demo     only what scripts/demo.sh needs: the
#                                   toolchain, the core's libraries, SQLite
#   (the options combine: --demo --check, --list --demo; a typo is refused)
#   DBMIG_SKIP_DEPS=1               do nothing (offline machines, packagers)
#
# Runs apt-get as root, through sudo when not root and sudo exists.
set -euo pipefail

# The one list of what the project needs. Keep it sorted by purpose.
PACKAGES=(
    # toolchain
    build-essential cmake pkg-config clang
    # libraries the core, the CLI and the sqlite driver link
    libltdl-dev libsqlite3-dev libssl-dev libinih-dev liburiparser-dev libjansson-dev
    # the postgres and mysql driver plugins
    libpq-dev default-libmysqlclient-dev
    # the ODBC plugin (plugins/odbc) and the ODBC drivers its tests go through
    unixodbc-dev unixodbc libsqliteodbc odbc-postgresql
    # tests: unit tests, the CLI suite (sqlite3 + jq), sanitizers, leak checks
    libcmocka-dev sqlite3 jq libasan8 libubsan1 libtsan2 libclang-rt-14-dev valgrind
    # tests in a non-UTC time zone (tests/graph), dropping root (setpriv)
    tzdata util-linux
    # history --format dot is rendered by Graphviz in tests/graph
    graphviz
    # man pages (pandoc builds them, man-db checks them), shell completion
    # tests (bash-completion, zsh, fish), the Debian package test (dpkg-dev,
    # file), lint on PostgreSQL with the real parser (libpg-query-dev), the
    # SARIF schema check (python3-jsonschema)
    pandoc man-db groff-base bash-completion zsh fish dpkg-dev file libpg-query-dev
    python3-jsonschema
    # static analysis (scripts/lint.sh)
    cppcheck clang-tidy
    # the Kubernetes example's manifests parsed in tests/wait (PyYAML)
    python3-yaml
    # throwaway database servers the integration tests start on loopback
    postgresql postgresql-client mariadb-server mariadb-client
    # a 3-node Galera cluster (scripts/galera-cluster.sh) and PgBouncer (scripts/pgbouncer.sh)
    galera-4 rsync pgbouncer
)

# What the demo needs: the core, the CLI and the SQLite driver, no tests.
DEMO_PACKAGES=(
    build-essential cmake pkg-config
    libltdl-dev libsqlite3-dev libssl-dev libinih-dev liburiparser-dev libjansson-dev
)

# Options combine in any order (--demo --check, --list --demo); --also takes
# every word after it. Anything else is refused, never ignored.
list=0 check=0 demo=0 also=()
while (($#)); do
    case $1 in
        --list) list=1 ;;
        --check) check=1 ;;
        --demo) demo=1 ;;
        --also) shift; also=("$@"); break ;;
        *) echo "deps.sh: unknown option '$1'; usage: $0 [--list] [--check] [--demo] [--also PACKAGE...]" >&2
           exit 2 ;;
    esac
    shift
done
((demo)) && PACKAGES=("${DEMO_PACKAGES[@]}")
PACKAGES+=("${also[@]}")
if ((list)); then
    printf '%s\n' "${PACKAGES[@]}"
    exit 0
fi

if [[ "${DBMIG_SKIP_DEPS:-}" == 1 ]]; then
    exit 0
fi

# One dpkg-query for all: "name status" per known package; unknown ones are
# simply absent from the output (dpkg-query then exits 1, hence || true).
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for p in "${PACKAGES[@]}"; do
    if ! grep -qx "$p installed" <<<"$installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi
if ((check)); then
    echo "deps.sh: missing packages: ${missing[*]}" >&2
    exit 1
fi

SUDO=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "deps.sh: missing packages: ${missing[*]}" >&2
        echo "deps.sh: not root and no sudo: install them as root (apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
