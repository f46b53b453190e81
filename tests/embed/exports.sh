#!/usr/bin/env bash
# tests/embed/exports.sh LIB HEADER — libdbmig.so exports the public API and
# nothing else (docs/library.md).
#   Fails on any defined dynamic symbol whose name does not start with
#   dbmig_ (an internal dm_* function made visible), ignoring what the
#   linker defines itself (_init, _fini, __bss_start, _edata, _end, ...),
#   and on any function HEADER declares with DBMIG_API that LIB does not
#   export (a public function left hidden).
set -u
lib=${1:?usage: exports.sh LIB HEADER}
header=${2:?usage: exports.sh LIB HEADER}
[ -f "$lib" ] || { echo "FAIL: no $lib"; exit 1; }
syms=$(nm -D --defined-only "$lib") || { echo "FAIL: nm -D --defined-only $lib"; exit 1; }

bad=$(printf '%s\n' "$syms" | awk '
    NF >= 3 {
        type = $2; name = $3
        sub(/@.*/, "", name)                  # symbol versions, if any
        if (type == "A") next                 # absolute: linker-made
        if (name ~ /^(_init|_fini|__bss_start|_edata|_end|__end__|__data_start|_DYNAMIC|_GLOBAL_OFFSET_TABLE_)$/) next
        if (name ~ /^dbmig_/) next
        print type " " name
    }')
if [ -n "$bad" ]; then
    echo "FAIL: $lib exports symbols outside the public API (dbmig_*):"
    printf '%s\n' "$bad" | sed 's/^/  /'
    echo "Declare the library's own functions without DBMIG_API (the library is built"
    echo "with hidden visibility, core/CMakeLists.txt) or give them a dbmig_ name in"
    echo "include/dbmig/dbmig.h if they are meant to be public."
    exit 1
fi

exported=$(printf '%s\n' "$syms" | awk 'NF >= 3 { n = $3; sub(/@.*/, "", n); print n }' | sort -u)
declared=$(grep -o '^DBMIG_API[^(]*\bdbmig_[a-z0-9_]*(' "$header" | grep -o 'dbmig_[a-z0-9_]*' | sort -u)
[ -n "$declared" ] || { echo "FAIL: no DBMIG_API declaration found in $header"; exit 1; }
missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))
if [ -n "$missing" ]; then
    echo "FAIL: declared DBMIG_API in $header but not exported by $lib:"
    printf '%s\n' "$missing" | sed 's/^/  /'
    exit 1
fi
echo "ok: $(printf '%s\n' "$exported" | wc -l) symbols exported, all dbmig_*;" \
     "the $(printf '%s\n' "$declared" | wc -l) DBMIG_API functions of $(basename "$header") among them"
