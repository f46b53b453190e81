#!/usr/bin/env bash
# deps_options.sh SOURCE_DIR — scripts/deps.sh's options combine in any order
# and a mistyped one is refused (exit 2, naming it), never ignored: an
# ignored --check would install, an ignored --demo would pull in the servers.
set -uo pipefail
unset DBMIG_SKIP_DEPS
deps="$(cd "${1:?SOURCE_DIR}" && pwd)/scripts/deps.sh"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
demo=$(bash "$deps" --list --demo) || fail "--list --demo: exit $?"
grep -qx libsqlite3-dev <<<"$demo" || fail "--list --demo lacks libsqlite3-dev: $demo"
grep -qx libpq-dev <<<"$demo" && fail "--list --demo has libpq-dev (the demo needs no PostgreSQL)"
[ "$(bash "$deps" --demo --list)" = "$demo" ] || fail "--demo --list differs from --list --demo"
full=$(bash "$deps" --list)
grep -qx libpq-dev <<<"$full" || fail "--list lacks libpq-dev"
grep -qx extra-pkg <<<"$(bash "$deps" --list --also extra-pkg)" || fail "--also not listed"
out=$(bash "$deps" --chek 2>&1)
rc=$?
[ $rc = 2 ] && grep -q "unknown option '--chek'" <<<"$out" || fail "--chek: exit $rc, $out"
out=$(bash "$deps" --check --also dbmig-no-such-package 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "missing packages: .*dbmig-no-such-package" <<<"$out" ||
    fail "--check with a missing package: exit $rc, $out (it must report, not install)"
((fails == 0)) || exit 1
echo "deps_options: ok"
