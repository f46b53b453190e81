#!/usr/bin/env bash
# drivers_option.sh SOURCE_DIR — what a mistyped DBMIG_DRIVERS does at
# configure time: an empty value, a comma instead of ;, an unknown name and a
# subset with the tests on are each refused with the fix; `sqlite` alone
# with the tests off (what scripts/demo.sh passes) configures.
set -uo pipefail
src=$(cd "${1:?SOURCE_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
conf() { # conf NAME EXPECT_RC TEXT ARGS...
    local name=$1 want=$2 text=$3 rc
    shift 3
    cmake -S "$src" -B "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1
    rc=$?
    if { [ "$want" = 0 ] && [ $rc != 0 ]; } || { [ "$want" != 0 ] && [ $rc = 0 ]; } ||
        ! grep -q -- "$text" "$tmp/$name.log"; then
        echo "FAIL $name: exit $rc, want $want and '$text' in:"; sed 's/^/    /' "$tmp/$name.log" | tail -8
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
conf empty 1 "DBMIG_DRIVERS is empty" -DDBMIG_TESTS=OFF -DDBMIG_DRIVERS=
conf comma 1 "unknown driver 'sqlite,postgres'" -DDBMIG_TESTS=OFF "-DDBMIG_DRIVERS=sqlite,postgres"
conf typo 1 "unknown driver 'sqlit'" -DDBMIG_TESTS=OFF -DDBMIG_DRIVERS=sqlit
conf subset_with_tests 1 "the tests need every driver: DBMIG_DRIVERS lacks postgres" -DDBMIG_TESTS=ON -DDBMIG_DRIVERS=sqlite
conf demo 0 "Generating done" -DDBMIG_TESTS=OFF -DDBMIG_DRIVERS=sqlite
((fails == 0)) || { echo "drivers_option: $fails failed"; exit 1; }
echo "drivers_option: 5 passed"
