#!/usr/bin/env bash
# tests/odbc/run.sh — the ODBC plugin end to end, as a third party builds and
# uses it. One step per call (ctest runs them as a fixture, see CMakeLists.txt):
#
#   run.sh setup     install dbmig into a temp prefix (DBMIG_BUILD_DIR's tree,
#                    as ctest gives it, else a Release build of its own; the
#                    prefix's path is written to $DBMIG_ODBC_STATE), build
#                    plugins/odbc from a
#                    copy outside the source tree against that prefix alone
#                    (find_package(dbmig)), install it into the prefix
#   run.sh plugin    `dbmig drivers` lists it (--plugin-dir, DBMIG_PLUGIN_PATH,
#                    installed); a plugin built for another ABI major is refused
#   run.sh sqlite    contract_odbc + the CLI suite through the SQLite ODBC driver
#   run.sh postgres  the same through psqlODBC; run it under
#                    `scripts/pg-server.sh run` (which exports DBMIG_TEST_PG_URL, PG*)
#   run.sh cleanup   removes the temp prefix
#   run.sh all       all of the above, with its own PostgreSQL server (by hand)
#
# Environment: DBMIG_SOURCE_DIR (default: two folders up), DBMIG_ODBC_STATE
# (default: /tmp/dbmig-odbc-state.$USER), DBMIG_ODBC_CONTRACT (the
# contract_odbc binary; required by sqlite/postgres), DBMIG_TEST_SQLITE_ODBC /
# DBMIG_TEST_PSQLODBC (the ODBC drivers; default: found under /usr/lib).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${DBMIG_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
state=${DBMIG_ODBC_STATE:-/tmp/dbmig-odbc-state.$(id -u)}
umask 022 # dbmig refuses a plugin or folder writable by everyone
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf 'odbc: %s\n' "$*" >&2; }
fail() {
    say "FAIL: $*"
    if [ -n "${log:-}" ] && [ -s "$log" ]; then
        echo "---- last output ----" >&2
        tail -n 40 "$log" >&2
    fi
    exit 1
}

# Options from the caller's environment must not leak into what we check.
unset DBMIG_PLUGIN_PATH DBMIG_URL DATABASE_URL DBMIG_DRIVER DBMIG_DIR DBMIG_CONFIG \
    DBMIG_TABLE 2>/dev/null || true

load_state() {
    [ -s "$state" ] || fail "no $state: run '$0 setup' first"
    tmp=$(cat "$state")
    [ -d "$tmp/prefix" ] || fail "$tmp/prefix is missing: run '$0 setup' again"
    prefix=$tmp/prefix
    dbmig=$prefix/bin/dbmig
    libdir=$(cat "$tmp/libdir")
    plugindir=$prefix/$libdir/dbmig
    log=$(mktemp "$tmp/log.XXXXXX")
    # Our own unixODBC configuration: Debian registers psqlODBC with
    # CommLog=1, which writes a /tmp/psqlodbc_*.log for every connection (and
    # psqlODBC reads that from its odbcinst.ini section, whatever the
    # connection string says). The drivers are named by path below.
    mkdir -p "$tmp/odbc-ini"
    printf '[PostgreSQL Unicode]\nCommLog=0\nDebug=0\n\n[PostgreSQL ANSI]\nCommLog=0\nDebug=0\n' \
        > "$tmp/odbc-ini/odbcinst.ini"
    : > "$tmp/odbc-ini/odbc.ini"
    export ODBCSYSINI=$tmp/odbc-ini ODBCINSTINI=odbcinst.ini ODBCINI=$tmp/odbc-ini/odbc.ini
}

# find_so NAME: the first /usr/lib*/**/odbc/NAME.
find_so() {
    local f
    for f in /usr/lib/*/odbc/"$1" /usr/lib/odbc/"$1" /usr/lib64/"$1" /usr/lib/"$1"; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

step_setup() {
    if [ -s "$state" ] && [ -d "$(cat "$state")" ]; then
        rm -rf "$(cat "$state")"
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-odbc.XXXXXX")
    chmod 0755 "$tmp"
    printf '%s\n' "$tmp" > "$state"
    prefix=$tmp/prefix
    log=$tmp/setup.log
    local t0=$SECONDS

    if [ -n "${DBMIG_BUILD_DIR:-}" ]; then
        # the build tree ctest runs from, installed as it is (relocatable:
        # tests/install checks it); a build of its own was ~60 CPU-seconds
        say "installing the build tree $DBMIG_BUILD_DIR into $prefix"
        libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$DBMIG_BUILD_DIR/CMakeCache.txt")
        # one install of the tree at a time: each writes its install manifest
        flock "$DBMIG_BUILD_DIR/.install.lock" cmake --install "$DBMIG_BUILD_DIR" \
            --prefix "$prefix" > "$log" 2>&1 || fail "installing dbmig from $DBMIG_BUILD_DIR"
    else
        say "building and installing dbmig into $prefix"
        libdir=lib
        cmake -S "$src" -B "$tmp/build" -DDBMIG_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
            -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib > "$log" 2>&1 ||
            fail "configuring dbmig"
        cmake --build "$tmp/build" -j "$jobs" > "$log" 2>&1 || fail "building dbmig"
        cmake --install "$tmp/build" > "$log" 2>&1 || fail "installing dbmig"
        rm -rf "$tmp/build" # nothing below may reach into a dbmig build tree
    fi
    echo "$libdir" > "$tmp/libdir"
    [ -f "$prefix/$libdir/cmake/dbmig/dbmigConfig.cmake" ] || fail "dbmigConfig.cmake not installed"
    [ -f "$prefix/$libdir/cmake/dbmig/DbmigDriver.cmake" ] || fail "DbmigDriver.cmake not installed"

    say "building plugins/odbc against $prefix alone"
    # A copy outside the source tree: no path into core/ or drivers/ exists.
    cp -R "$src/plugins/odbc" "$tmp/odbc-src"
    cmake -S "$tmp/odbc-src" -B "$tmp/odbc-build" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release > "$log" 2>&1 || fail "configuring plugins/odbc"
    cmake --build "$tmp/odbc-build" -j "$jobs" > "$log" 2>&1 || fail "building plugins/odbc"
    local so=$tmp/odbc-build/dbmig_odbc.so
    [ -f "$so" ] || fail "no $so"
    # hidden visibility: the entry point is the only exported function
    local exported
    exported=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }')
    [ "$exported" = dbmig_driver_entry_odbc ] ||
        fail "dbmig_odbc.so exports more than its entry point: $(echo $exported)"
    # ldd's output captured first: `ldd | grep -q` under pipefail fails at
    # random when grep exits early and ldd gets SIGPIPE.
    local needed
    needed=$(ldd "$so")
    grep -q libodbc <<<"$needed" || fail "dbmig_odbc.so does not link unixODBC"
    if grep -q libdbmig <<<"$needed"; then fail "a plugin must not link libdbmig"; fi
    grep -rq "$src" "$tmp/odbc-build/CMakeCache.txt" &&
        fail "the plugin's build refers to the source tree $src"
    cmake --install "$tmp/odbc-build" > "$log" 2>&1 || fail "installing plugins/odbc"
    [ -f "$prefix/$libdir/dbmig/dbmig_odbc.so" ] || fail "dbmig_odbc.so not installed into $prefix/$libdir/dbmig"
    say "setup ok ($((SECONDS - t0))s)"
}

step_plugin() {
    load_state
    local build=$tmp/odbc-build out=$tmp/drivers.json
    say "dbmig --plugin-dir <plugins/odbc build> drivers"
    "$dbmig" --plugin-dir "$build" --format json drivers > "$out" 2> "$log" ||
        fail "dbmig drivers exited $?"
    jq -e --arg f "$build/dbmig_odbc.so" '[.[] | select(.name == "odbc")] | length == 1 and
        (.[0] | .version == "1.0.0" and .file == $f and (.abi | startswith("2.")) and .error == null
         and (.capabilities | index("lock-reports-holder")) != null
         and (.description | test("ODBC")))' "$out" > /dev/null ||
        fail "odbc is not listed from $build with its version and capabilities: $(cat "$out")"
    "$dbmig" --plugin-dir "$build" drivers > "$log" 2>&1 || fail "dbmig drivers (text)"
    grep -q "^odbc  *1\.0\.0  *$build/dbmig_odbc.so" "$log" || fail "text listing: odbc line"
    grep -q "capabilities: lock-reports-holder" "$log" || fail "text listing: capabilities"

    say "DBMIG_PLUGIN_PATH=<build> dbmig drivers"
    DBMIG_PLUGIN_PATH=$build "$dbmig" --format json drivers > "$out" 2> "$log" ||
        fail "dbmig drivers with DBMIG_PLUGIN_PATH"
    jq -e --arg f "$build/dbmig_odbc.so" '.[] | select(.name == "odbc") | .file == $f' "$out" > /dev/null ||
        fail "DBMIG_PLUGIN_PATH not used: $(cat "$out")"

    say "the installed dbmig finds the installed odbc plugin by itself"
    (cd "$tmp" && "$dbmig" --format json drivers) > "$out" 2> "$log" || fail "dbmig drivers (installed)"
    jq -e --arg f "$plugindir/dbmig_odbc.so" '.[] | select(.name == "odbc") | .file == $f' "$out" > /dev/null ||
        fail "odbc not listed from $plugindir: $(cat "$out")"

    say "a plugin built for driver ABI 3 is refused, naming the file and both versions"
    mkdir -p "$tmp/badinc"
    cp -R "$prefix/include/dbmig" "$tmp/badinc/dbmig"
    sed -i 's/^#define DBMIG_DRIVER_ABI_MAJOR 2$/#define DBMIG_DRIVER_ABI_MAJOR 3/' "$tmp/badinc/dbmig/driver.h"
    grep -q '^#define DBMIG_DRIVER_ABI_MAJOR 3$' "$tmp/badinc/dbmig/driver.h" ||
        fail "could not patch the ABI major in a copy of driver.h"
    rm -rf "$tmp/badabi-src" "$tmp/badabi-build"
    cp -R "$src/tests/odbc/badabi" "$tmp/badabi-src"
    cmake -S "$tmp/badabi-src" -B "$tmp/badabi-build" -DCMAKE_PREFIX_PATH="$prefix" \
        -DBADABI_INCLUDE="$tmp/badinc" > "$log" 2>&1 || fail "configuring the ABI-3 plugin"
    cmake --build "$tmp/badabi-build" > "$log" 2>&1 || fail "building the ABI-3 plugin"
    local bad=$tmp/badabi-build/dbmig_badabi.so
    [ -f "$bad" ] || fail "no $bad"
    "$dbmig" --plugin-dir "$tmp/badabi-build" --format json drivers > "$out" 2> "$log" || true
    jq -e --arg f "$bad" '.[] | select(.name == "badabi") | .error | type == "string"
        and contains($f) and contains("ABI 3.") and contains("speaks ABI 2.")' "$out" > /dev/null ||
        fail "dbmig drivers does not show the refusal: $(cat "$out")"
    mkdir -p "$tmp/empty-migs"
    local rc=0
    "$dbmig" --plugin-dir "$tmp/badabi-build" --url badabi:x --dir "$tmp/empty-migs" status \
        > "$log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "using the ABI-3 plugin: expected exit 2, got $rc"
    grep -qF "$bad" "$log" || fail "the refusal does not name $bad"
    grep -qF "was built for driver ABI 3." "$log" || fail "the refusal does not name the plugin's ABI 3.x"
    grep -qF "this dbmig speaks ABI 2.3" "$log" || fail "the refusal does not name dbmig's ABI 2.3"
    say "plugin ok"
}

contract() {
    [ -x "${DBMIG_ODBC_CONTRACT:-}" ] || fail "DBMIG_ODBC_CONTRACT must name the contract_odbc binary"
    DBMIG_ODBC_PLUGIN_DIR=$plugindir "$DBMIG_ODBC_CONTRACT"
}

step_sqlite() {
    load_state
    local so=${DBMIG_TEST_SQLITE_ODBC:-}
    [ -n "$so" ] || so=$(find_so libsqlite3odbc.so) ||
        fail "no SQLite ODBC driver (libsqlite3odbc.so): install libsqliteodbc (scripts/deps.sh)"
    local failed=0 t0=$SECONDS
    say "driver contract through $so"
    DBMIG_ODBC_KIND=sqlite DBMIG_ODBC_SQLITE_DRIVER=$so contract || failed=1
    say "CLI suite, DBMIG_TEST_DRIVER=odbc-sqlite"
    DBMIG=$dbmig DBMIG_TEST_DRIVER=odbc-sqlite DBMIG_TEST_SQLITE_ODBC=$so \
        bash "$src/tests/cli/suite.sh" || failed=1
    say "sqlite $([ $failed = 0 ] && echo ok || echo FAILED) ($((SECONDS - t0))s)"
    return $failed
}

step_postgres() {
    load_state
    : "${DBMIG_TEST_PG_URL:?run me under scripts/pg-server.sh run}"
    : "${PGPORT:?run me under scripts/pg-server.sh run}"
    local so=${DBMIG_TEST_PSQLODBC:-}
    [ -n "$so" ] || so=$(find_so psqlodbcw.so) ||
        fail "no psqlODBC driver (psqlodbcw.so): install odbc-postgresql (scripts/deps.sh)"
    local url="odbc:Driver=$so;Server=${PGHOST:-127.0.0.1};Port=$PGPORT;Database=$PGDATABASE;UID=$PGUSER;PWD=$PGPASSWORD"
    local failed=0 t0=$SECONDS
    say "driver contract through $so"
    DBMIG_ODBC_KIND=postgres DBMIG_ODBC_URL=$url contract || failed=1
    say "CLI suite, DBMIG_TEST_DRIVER=odbc-postgres"
    DBMIG=$dbmig DBMIG_TEST_DRIVER=odbc-postgres DBMIG_TEST_URL=$url \
        DBMIG_TEST_NATIVE_URL=$DBMIG_TEST_PG_URL bash "$src/tests/cli/suite.sh" || failed=1
    say "postgres $([ $failed = 0 ] && echo ok || echo FAILED) ($((SECONDS - t0))s)"
    return $failed
}

step_cleanup() {
    if [ -s "$state" ]; then
        local d
        d=$(cat "$state")
        case $d in
            */dbmig-odbc.*) rm -rf "$d" ;;
        esac
        rm -f "$state"
    fi
}

case ${1:-} in
    setup) step_setup ;;
    plugin) step_plugin ;;
    sqlite) step_sqlite ;;
    postgres) step_postgres ;;
    cleanup) step_cleanup ;;
    all)
        trap step_cleanup EXIT
        rc=0
        step_setup
        step_plugin || rc=1
        step_sqlite || rc=1
        bash "$src/scripts/pg-server.sh" run bash "$0" postgres || rc=1
        exit $rc ;;
    *) echo "usage: $0 setup|plugin|sqlite|postgres|cleanup|all" >&2; exit 2 ;;
esac
