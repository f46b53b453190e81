#!/bin/sh
# thirdparty.sh — a third party can write a driver against an INSTALLED dbmig.
#
# Installs dbmig (from the source folder: $1, else the folder above this
# script) into a temporary prefix, builds plugins/example (the `litesql`
# driver) against it through pkg-config alone, and uses it through the
# installed CLI: by --driver, by the URL scheme its table declares (lsql:),
# and with the lease lock (the dialect SQL it gives). Also checks that the
# installed CLI finds the installed sqlite plugin without any option (and
# not the build tree's).
#
# Usage: tests/thirdparty.sh [SOURCE_DIR [BUILD_DIR]]   (ctest: thirdparty.plugin)
# With BUILD_DIR (ctest gives its own), that tree is installed into the
# prefix (`cmake --install BUILD_DIR --prefix P`, relocatable: tests/install
# checks it) instead of configuring and building dbmig once more: a Release
# build of its own was half of this test's time and ~60 CPU-seconds of CI.
set -eu

src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
src=$(cd "$src" && pwd)
built=${2:-}
[ -z "$built" ] || built=$(cd "$built" && pwd)
umask 022 # a plugin or folder writable by everyone is refused

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-thirdparty.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

jobs=$(nproc 2>/dev/null || echo 2)
prefix="$tmp/prefix"
log="$tmp/log"

fail() {
    echo "thirdparty: FAIL: $*" >&2
    if [ -s "$log" ]; then
        echo "---- last output ----" >&2
        tail -n 40 "$log" >&2
    fi
    exit 1
}

step() { echo "thirdparty: $*" >&2; }

# Options from the caller's environment must not leak into what we check.
unset DBMIG_PLUGIN_PATH DBMIG_PLUGIN_DIR DBMIG_URL DATABASE_URL DBMIG_DRIVER DBMIG_DIR \
    DBMIG_CONFIG DBMIG_TABLE 2>/dev/null || true

libdir=lib
if [ -n "$built" ]; then
    step "installing the build tree $built into $prefix"
    # its libdir as configured (lib for /usr/local, the default)
    libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$built/CMakeCache.txt")
    case $libdir in /*) fail "CMAKE_INSTALL_LIBDIR is absolute ($libdir): not relocatable" ;; esac
    # one install at a time: cmake --install writes the tree's install manifest
    flock "$built/.install.lock" cmake --install "$built" --prefix "$prefix" >"$log" 2>&1 ||
        fail "installing dbmig from $built"
    buildtree=$built
else
    step "building and installing dbmig into $prefix"
    cmake -S "$src" -B "$tmp/build" -DDBMIG_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib >"$log" 2>&1 ||
        fail "configuring dbmig"
    cmake --build "$tmp/build" -j "$jobs" >"$log" 2>&1 || fail "building dbmig"
    cmake --install "$tmp/build" >"$log" 2>&1 || fail "installing dbmig"
    buildtree=$tmp/build
fi

dbmig="$prefix/bin/dbmig"
[ -x "$dbmig" ] || fail "no $dbmig after install"
[ -f "$prefix/include/dbmig/driver.h" ] || fail "driver.h not installed"
[ -f "$prefix/$libdir/pkgconfig/dbmig.pc" ] || fail "dbmig.pc not installed"
[ -f "$prefix/$libdir/dbmig/dbmig_sqlite.so" ] || fail "the sqlite plugin is not installed"

step "building plugins/example against the installed dbmig only"
# A copy outside the source tree: nothing from core/ or drivers/ is reachable.
cp -R "$src/plugins/example" "$tmp/example-src"
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" cmake -S "$tmp/example-src" -B "$tmp/example" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Werror >"$log" 2>&1 || fail "configuring plugins/example"
cmake --build "$tmp/example" -j "$jobs" >"$log" 2>&1 || fail "building plugins/example"
[ -f "$tmp/example/dbmig_litesql.so" ] || fail "no dbmig_litesql.so built"
# dbmig.pc is relative to its own folder (${pcfiledir}): compare resolved paths
pcplugindir=$(PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --variable=plugindir dbmig)
[ "$(cd "$pcplugindir" 2>/dev/null && pwd -P)" = "$(cd "$prefix/$libdir/dbmig" && pwd -P)" ] ||
    fail "dbmig.pc's plugindir ($pcplugindir) is not $prefix/$libdir/dbmig"

step "dbmig --plugin-dir <example> drivers lists litesql"
"$dbmig" --plugin-dir "$tmp/example" drivers >"$log" 2>&1 || fail "dbmig drivers exited $?"
grep -q litesql "$log" || fail "litesql not listed by dbmig drivers"

step "the installed dbmig finds the installed sqlite plugin by itself"
(cd "$tmp" && "$dbmig" drivers) >"$log" 2>&1 || fail "dbmig drivers (installed) exited $?"
grep -q sqlite "$log" || fail "sqlite not listed by the installed dbmig"
grep -q "$prefix/$libdir/dbmig/dbmig_sqlite.so" "$log" ||
    fail "sqlite not listed from the installed plugin folder $prefix/$libdir/dbmig"
if grep -q "$buildtree/" "$log"; then
    fail "the installed dbmig searched the build tree"
fi

step "upgrade head through the litesql driver"
migs="$src/migrations"
if ! ls "$migs"/*.sql >/dev/null 2>&1; then
    # the source tree has no sample migrations: use a small chain of our own
    migs="$tmp/migrations"
    mkdir -p "$migs"
    printf '%s\n' '-- dbmig:up' 'CREATE TABLE tp_users (id INTEGER PRIMARY KEY, name TEXT);' \
        '-- dbmig:down' 'DROP TABLE tp_users;' >"$migs/001_users.sql"
    printf '%s\n' '-- dbmig:up' 'CREATE INDEX IF NOT EXISTS tp_users_name ON tp_users (name);' \
        '-- dbmig:down' 'DROP INDEX IF EXISTS tp_users_name;' >"$migs/002_users_name.sql"
fi
(cd "$tmp" && "$dbmig" --plugin-dir "$tmp/example" --driver litesql --url "litesql:$tmp/x.db" \
    --dir "$migs" upgrade head) >"$log" 2>&1 || fail "dbmig upgrade head with litesql exited $?"
[ -s "$tmp/x.db" ] || fail "no database file $tmp/x.db after upgrade"
(cd "$tmp" && "$dbmig" --plugin-dir "$tmp/example" --driver litesql --url "litesql:$tmp/x.db" \
    --dir "$migs" check) >"$log" 2>&1 || fail "dbmig check after upgrade exited $?"

step "an lsql: URL picks litesql by the schemes its table declares (no --driver)"
(cd "$tmp" && "$dbmig" --plugin-dir "$tmp/example" --url "lsql:$tmp/y.db" --dir "$migs" \
    upgrade head) >"$log" 2>&1 || fail "dbmig upgrade head with an lsql: URL exited $?"
(cd "$tmp" && "$dbmig" --plugin-dir "$tmp/example" --url "lsql:$tmp/y.db" --dir "$migs" \
    status) >"$log" 2>&1 || fail "dbmig status with an lsql: URL exited $?"
grep -q "driver litesql" "$log" || fail "an lsql: URL did not use litesql"

step "the lease lock through the SQL litesql gives for it (dialect SQL, driver ABI 2)"
(cd "$tmp" && "$dbmig" --plugin-dir "$tmp/example" --url "lsql:$tmp/z.db" --dir "$migs" \
    --lock lease upgrade head) >"$log" 2>&1 || fail "dbmig --lock lease with litesql exited $?"

step "ok"
