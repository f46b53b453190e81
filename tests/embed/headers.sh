#!/usr/bin/env bash
# tests/embed/headers.sh INCLUDE_DIR CC [CXX...] — every public header
# compiles alone as strict C89 and as C++ (issue 14, item 5), so that an
# application of any vintage or language can include it.
#   Each of dbmig/dbmig.h and dbmig/driver.h, as the only include of a
#   translation unit, with -Wall -Wextra -Werror:
#     C:   -std=c89 -pedantic, -std=c99 -pedantic, -std=c11 -pedantic
#     C++: -std=c++11 -pedantic (each C++ compiler given)
#   and the initialiser macros an application uses (DBMIG_OPTIONS_INIT) in
#   each language mode. Exit 77 (skipped) when no C++ compiler is given.
set -u
inc=${1:?usage: headers.sh INCLUDE_DIR CC [CXX...]}
cc=${2:?usage: headers.sh INCLUDE_DIR CC [CXX...]}
shift 2
T=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-headers.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0 runs=0
warn="-Wall -Wextra -Werror"

# try LANG STD COMPILER SRCFILE WHAT
try() {
    runs=$((runs + 1))
    # shellcheck disable=SC2086 # $warn is a list of flags
    if ! "$3" -x "$1" "-std=$2" -pedantic $warn -fsyntax-only -I"$inc" "$4" > "$T/log" 2>&1; then
        echo "FAIL: $5 with $3 -x $1 -std=$2 -pedantic $warn:"
        sed 's/^/    /' "$T/log"
        fails=$((fails + 1))
    fi
}

for h in dbmig/dbmig.h dbmig/driver.h; do
    [ -f "$inc/$h" ] || { echo "FAIL: no $inc/$h"; exit 1; }
    printf '#include <%s>\n' "$h" > "$T/alone.c"
    cp "$T/alone.c" "$T/alone.cpp"
    for std in c89 c99 c11; do try c "$std" "$cc" "$T/alone.c" "$h alone"; done
    for cxx in "$@"; do try c++ c++11 "$cxx" "$T/alone.cpp" "$h alone"; done
done

# What an application writes: the initialiser, in a declaration at the top
# of a block (C89), a callback of the declared type, and the other macros
# (a comment or construct inside a macro only fails where it is expanded).
cat > "$T/use.c" <<'C'
#include <dbmig/dbmig.h>
#include <dbmig/driver.h>
static void on_event(void *payload, const dbmig_event *ev) { (void)payload; (void)ev; }
int use(void);
int use(void)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    dbmig *h = 0;
    const char *v = DBMIG_VERSION;
    unsigned flags = DBMIG_ALLOW_MISSING | DBMIG_RESUME | DBMIG_GRAPH_DB;
    uint32_t abi = DBMIG_DRIVER_ABI_MAJOR;
    int rc;
    (void)v;
    (void)flags;
    (void)abi;
    o.url = "sqlite:app.db";
    o.on_event = on_event;
    rc = dbmig_open(&h, &o);
    if (rc == DBMIG_OK)
        rc = dbmig_upgrade(h, "head", 0);
    dbmig_close(h);
    return rc;
}
C
cp "$T/use.c" "$T/use.cpp"
for std in c89 c99 c11; do try c "$std" "$cc" "$T/use.c" "a use of the macros"; done
for cxx in "$@"; do try c++ c++11 "$cxx" "$T/use.cpp" "a use of the macros"; done

[ "$fails" = 0 ] || { echo "$fails of $runs compilations failed"; exit 1; }
echo "ok: $runs compilations (C89/C99/C11 with $cc${1:+, C++11 with $*})"
[ $# -gt 0 ] || { echo "no C++ compiler: the C++ half was skipped"; exit 77; }
