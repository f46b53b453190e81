#!/usr/bin/env bash
# install.sh BUILD_DIR SOURCE_DIR — `cmake --install BUILD_DIR --prefix P`
# gives a dbmig that works from P, whatever P is (issue 13, item 25):
#   - P/bin/dbmig starts (its RUNPATH is $ORIGIN-relative), lists the
#     plugins installed under P (not the build tree's, not another prefix's)
#     and runs a SQLite upgrade;
#   - no RUNPATH/RPATH of an installed file has an empty entry (the working
#     folder) or names the build tree, and no installed file names the build
#     tree outside its debug information;
#   - the build tree's own binary has no empty RUNPATH entry either;
#   - `pkg-config --cflags --libs dbmig` with P's dbmig.pc compiles and links
#     examples/embed/app.c, which then migrates a database.
# Two prefixes of different depths, to show nothing depends on the one
# given at configure time.
set -uo pipefail
build=$(cd "${1:?BUILD_DIR}" && pwd)
src=$(cd "${2:?SOURCE_DIR}" && pwd)
umask 022 # a plugin or folder writable by everyone is refused
unset DBMIG_PLUGIN_PATH DBMIG_PLUGIN_DIR DBMIG_URL DATABASE_URL DBMIG_DRIVER DBMIG_DIR \
    DBMIG_CONFIG DBMIG_TABLE LD_LIBRARY_PATH PKG_CONFIG_PATH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0
fail() { echo "install: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }
for tool in readelf objcopy pkg-config cc sqlite3; do
    command -v "$tool" > /dev/null || { echo "install: $tool is required" >&2; exit 2; }
done

# runpath_ok FILE: no empty entry, no build-tree path, only $ORIGIN-relative
# or absolute system entries.
runpath_ok() {
    local f=$1 rp e
    rp=$(readelf -d "$f" 2> /dev/null | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p')
    [ -z "$rp" ] && { ok; return; }
    case ":$rp:" in *::*) fail "$f: RUNPATH [$rp] has an empty entry (the working folder)"; return ;; esac
    IFS=: read -ra parts <<< "$rp"
    for e in "${parts[@]}"; do
        case $e in
            "$build"*) fail "$f: RUNPATH [$rp] names the build tree" ; return ;;
            '$ORIGIN'*|/*) ;;
            *) fail "$f: RUNPATH [$rp] has a relative entry '$e' (relative to the working folder)"; return ;;
        esac
    done
    ok
}

# The build tree's binary and library.
for f in "$build/dbmig" "$build"/lib*/libdbmig.so; do
    [ -e "$f" ] && runpath_ok "$(readlink -f "$f")"
done

n=0
for p in "$tmp/one" "$tmp/a/deeper/prefix/two"; do
    n=$((n + 1))
    # one install of the tree at a time (thirdparty.sh, tests/odbc): each
    # writes the tree's install manifest
    if ! flock "$build/.install.lock" cmake --install "$build" --prefix "$p" > "$tmp/install$n.log" 2>&1; then
        fail "cmake --install --prefix $p: $(tail -5 "$tmp/install$n.log")"
        continue
    fi
    dbmig=$p/bin/dbmig
    [ -x "$dbmig" ] && ok || { fail "no $dbmig"; continue; }
    pc=$(find "$p" -name dbmig.pc | head -1)
    [ -n "$pc" ] && ok || fail "no dbmig.pc under $p"
    libdir=$(dirname "$(find "$p" -name 'libdbmig.so*' | head -1)")

    # starts, lists its own plugins, from the prefix only
    (cd "$tmp" && "$dbmig" drivers) > "$tmp/drivers$n" 2>&1 || fail "$dbmig drivers exited $?: $(head -3 "$tmp/drivers$n")"
    grep -q "$libdir/dbmig/dbmig_sqlite.so" "$tmp/drivers$n" && ok ||
        fail "$dbmig drivers does not list $libdir/dbmig/dbmig_sqlite.so: $(head -5 "$tmp/drivers$n")"
    if grep -q -e "$build" "$tmp/drivers$n"; then fail "$dbmig drivers lists the build tree"; else ok; fi
    [ "$n" = 2 ] && grep -q "$tmp/one/" "$tmp/drivers$n" && fail "the second prefix uses the first one's plugins"
    # a SQLite upgrade
    nrev=$(find "$src/migrations" -maxdepth 1 -name '*.sql' | wc -l)
    if (cd "$tmp" && "$dbmig" --url "sqlite:$tmp/db$n.db" --dir "$src/migrations" upgrade) > "$tmp/up$n" 2>&1; then
        [ "$(sqlite3 "$tmp/db$n.db" 'SELECT count(*) FROM dbmig_version')" = "$nrev" ] && ok ||
            fail "upgrade from $p did not apply $nrev revisions"
    else
        fail "upgrade from $p failed: $(tail -3 "$tmp/up$n")"
    fi

    # RUNPATHs, and no build-tree path outside debug information
    while IFS= read -r f; do
        runpath_ok "$f"
        if file -b "$f" 2> /dev/null | grep -q ELF || head -c 4 "$f" | grep -q 'ELF'; then
            objcopy --strip-debug "$f" "$tmp/stripped" 2> /dev/null || cp "$f" "$tmp/stripped"
            if grep -q -a -F "$build" "$tmp/stripped"; then fail "$f names the build tree $build"; else ok; fi
        elif grep -q -F "$build" "$f"; then
            fail "$f names the build tree $build"
        else ok; fi
    done < <(find "$p" -type f)

    # pkg-config against this prefix's dbmig.pc: the example compiles, links, runs
    export PKG_CONFIG_PATH=$(dirname "$pc")
    pdir=$(pkg-config --variable=plugindir dbmig)
    [ "$(cd "$pdir" 2> /dev/null && pwd -P)" = "$(cd "$libdir/dbmig" && pwd -P)" ] && ok ||
        fail "pkg-config plugindir '$pdir' is not $libdir/dbmig"
    if cc -std=c11 -Wall -Werror -o "$tmp/app$n" "$src/examples/embed/app.c" \
        $(pkg-config --cflags --libs dbmig) -Wl,-rpath,"$(pkg-config --variable=libdir dbmig)" \
        > "$tmp/cc$n" 2>&1; then
        ok
        if (cd "$tmp" && "$tmp/app$n" --url "sqlite:$tmp/app$n.db" --dir "$src/migrations") > "$tmp/app$n.out" 2>&1 &&
            grep -q 'ready: pending=0' "$tmp/app$n.out"; then ok; else
            fail "the example built against $p does not migrate: $(tail -3 "$tmp/app$n.out")"
        fi
    else
        fail "examples/embed/app.c does not build with pkg-config against $p: $(tail -5 "$tmp/cc$n")"
    fi
    unset PKG_CONFIG_PATH
done

echo "install: $checks checks passed, $failures failed"
((failures == 0))
