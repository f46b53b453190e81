#!/usr/bin/env bash
# deb.sh SOURCE_DIR — the Debian packages, end to end (issue 19, item 1):
#   1. builds them with scripts/package.sh in a temporary build tree
#      (Release, prefix /usr, no tests; release 0~pkgtest, which marks them
#      as this test's own);
#   2. inspects them: names, fields, Depends/Recommends, which file is in
#      which package, the multiarch paths, stripped ELF files, and that no
#      install() rule is left outside the three components;
#   3. installs them into this machine with apt-get (root, or sudo -n);
#   4. runs the INSTALLED /usr/bin/dbmig on the sample project (drivers,
#      upgrade, status on a temporary SQLite database), checks that the build
#      tree's dbmig ($DBMIG, when given) still uses its own library and
#      plugins, builds examples/embed against the installed libdbmig-dev
#      (pkg-config, and CMake's find_package(dbmig)) and runs it, builds the
#      out-of-tree plugins plugins/odbc (find_package) and plugins/example
#      (pkg-config) against it and migrates through the ODBC one;
#   5. purges them (also from the EXIT trap when anything fails) and checks
#      that nothing is left: no package known to dpkg, no file, no folder
#      they made, nothing in the ld.so cache.
# Installs into /usr: ctest runs it alone (RUN_SERIAL). It refuses to run
# where a dbmig package that is not its own, or an unpackaged file at one of
# the packages' paths, is installed: it would remove them.
set -uo pipefail
src=$(cd "${1:?SOURCE_DIR}" && pwd)
umask 022 # a plugin folder writable by everyone is refused by the loader
unset DBMIG_PLUGIN_PATH DBMIG_PLUGIN_DIR DBMIG_URL DATABASE_URL DBMIG_DRIVER DBMIG_DIR \
    DBMIG_CONFIG DBMIG_TABLE LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
PKGS=(dbmig libdbmig0 libdbmig-dev)
RELEASE=0~pkgtest
t0=$SECONDS

failures=0 checks=0
fail() { echo "package: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }
check() { # check DESCRIPTION COMMAND...: runs COMMAND, a failure is counted
    local what=$1
    shift
    if "$@"; then ok; else fail "$what"; fi
}
not() { ! "$@"; } # for check: a command that must fail
die() { echo "package: $*" >&2; exit 1; }
loads() { # loads BINARY: the libdbmig.so.0 it loads, resolved
    local f
    f=$(ldd "$1" 2> /dev/null | sed -n 's/.*libdbmig\.so\.0 => \([^ ]*\) .*/\1/p')
    [ -n "$f" ] && readlink -f "$f"
}
step() { printf 'package: [%3d s] %s\n' $((SECONDS - t0)) "$*"; }

# ---- preconditions ---------------------------------------------------------
SUDO=()
if [ "$(id -u)" != 0 ]; then
    if command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
        SUDO=(sudo -n)
    else
        die "this test installs the packages into the system, which needs root: run it" \
            "(ctest -L package) as root or as a user with password-less sudo"
    fi
fi
for tool in apt-get dpkg dpkg-deb dpkg-query dpkg-architecture cmake pkg-config cc sqlite3 file ldconfig readelf; do
    command -v "$tool" > /dev/null || die "$tool is required (bash scripts/deps.sh installs it)"
done
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ARCH=$(dpkg --print-architecture)
SQLITE_ODBC=/usr/lib/$MA/odbc/libsqlite3odbc.so
[ -e "$SQLITE_ODBC" ] || die "$SQLITE_ODBC is missing: apt-get install libsqliteodbc (scripts/deps.sh)"
pkg-config --exists odbc || die "unixODBC's headers are missing: apt-get install unixodbc-dev (scripts/deps.sh)"
VERSION=$(sed -n 's/^project(dbmig VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$VERSION" ] || die "no 'project(dbmig VERSION x.y.z' line in $src/CMakeLists.txt"
DEBVER=$VERSION-$RELEASE

installed_version() { # the installed version of package $1, or nothing
    dpkg-query -W -f '${db:Status-Abbrev} ${Version}' "$1" 2> /dev/null | sed -n 's/^[ih][iUFHWt]  *//p'
}
# A leftover of this test (killed before its trap ran) is purged; anything
# else is a user's own dbmig, which this test must not remove.
for p in "${PKGS[@]}"; do
    v=$(installed_version "$p")
    [ -z "$v" ] && continue
    case $v in
        *~pkgtest) step "purging $p $v, left over by an earlier run of this test"
                   "${SUDO[@]}" dpkg --purge "${PKGS[@]}" > /dev/null 2>&1 ;;
        *) die "the package $p $v is installed on this machine; this test installs and then purges" \
               "its own dbmig packages and will not remove yours: run it on another machine, or" \
               "dpkg --purge ${PKGS[*]} first" ;;
    esac
done

tmp=$(cd "$(mktemp -d "${TMPDIR:-/tmp}/dbmig-package.XXXXXX")" && pwd -P) # physical: dbmig prints it so
before_pkgs=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 ~ /^i/ {print $2}' | sort)
installed=0
purge_all() { # purge_all: our packages and whatever apt pulled in for them
    local extra
    extra=$(comm -13 <(printf '%s\n' "$before_pkgs") \
        <(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 ~ /^i/ {print $2}' | sort) |
        grep -vxF -e dbmig -e libdbmig0 -e libdbmig-dev)
    # shellcheck disable=SC2086 # one package name per word
    "${SUDO[@]}" dpkg --purge "${PKGS[@]}" $extra > "$tmp/purge.log" 2>&1
}
cleanup() {
    local rc=$?
    if ((installed)); then
        echo "package: purging the packages after a failure" >&2
        purge_all || cat "$tmp/purge.log" >&2
    fi
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. build -----------------------------------------------------------------
step "building the packages (scripts/package.sh, release $RELEASE)"
if ! bash "$src/scripts/package.sh" --build-dir "$tmp/build" "$tmp/debs" \
    -- "-DDBMIG_PACKAGE_RELEASE=$RELEASE" > "$tmp/package.log" 2>&1; then
    tail -30 "$tmp/package.log" >&2
    die "scripts/package.sh failed"
fi
declare -A DEB
for p in "${PKGS[@]}"; do
    DEB[$p]=$tmp/debs/${p}_${DEBVER}_$ARCH.deb
    [ -f "${DEB[$p]}" ] || die "no ${DEB[$p]##*/} in $tmp/debs: $(ls "$tmp/debs")"
done
n=$(find "$tmp/debs" -name '*.deb' | wc -l)
check "$n packages made, not 3: $(ls "$tmp/debs")" [ "$n" = 3 ]

# ---- 2. inspect ----------------------------------------------------------------
step "inspecting the packages"
field() { dpkg-deb -f "${DEB[$1]}" "$2"; }
desc_ok() { # a synopsis line of 10-79 characters, then at least two lines
    local syn
    syn=$(head -1 <<< "$1")
    ((${#syn} >= 10 && ${#syn} < 80)) && (($(wc -l <<< "$1") >= 3))
}
has() { grep -qE -- "$2" <<< "$1"; } # has TEXT ERE
declare -A SECTION=([dbmig]=database [libdbmig0]=libs [libdbmig-dev]=libdevel)
for p in "${PKGS[@]}"; do
    check "$p: Package '$(field "$p" Package)'" [ "$(field "$p" Package)" = "$p" ]
    check "$p: Version '$(field "$p" Version)', not $DEBVER" [ "$(field "$p" Version)" = "$DEBVER" ]
    check "$p: Architecture '$(field "$p" Architecture)'" [ "$(field "$p" Architecture)" = "$ARCH" ]
    check "$p: Section '$(field "$p" Section)', not ${SECTION[$p]}" [ "$(field "$p" Section)" = "${SECTION[$p]}" ]
    check "$p: Maintainer '$(field "$p" Maintainer)' is not 'Name <email>'" \
        has "$(field "$p" Maintainer)" '^[^<>]+ <[^<> ]+@[^<> ]+>$'
    desc=$(field "$p" Description)
    check "$p: the description is not a synopsis (under 80 characters) and a long text: $desc" \
        desc_ok "$desc"
    dpkg-deb -c "${DEB[$p]}" | awk '{print substr($1,1,1), $6}' | sed 's| \./| /|' > "$tmp/$p.list"
done
dep=$(field dbmig Depends) rec=$(field dbmig Recommends)
check "dbmig Depends lacks libdbmig0 (= $DEBVER): $dep" has "$dep" "(^|, )libdbmig0 \\(= ${DEBVER//./\\.}\\)"
for l in libc6 libsqlite3-0 libjansson4 libinih1; do
    check "dbmig Depends lacks $l (dpkg-shlibdeps): $dep" has "$dep" "(^|, )$l( |,|$)"
done
for l in libpq5 libmariadb3; do
    check "dbmig: $l belongs in Recommends, not Depends: $dep" not has "$dep" "(^|, )$l( |,|$)"
    check "dbmig Recommends lacks $l: $rec" has "$rec" "(^|, )$l \\(>= "
done
dep=$(field libdbmig0 Depends)
for l in libc6 libssl3 libltdl7 liburiparser1 libjansson4; do
    check "libdbmig0 Depends lacks $l (dpkg-shlibdeps): $dep" has "$dep" "(^|, )$l( |,|$)"
done
check "libdbmig0 depends on dbmig's client libraries: $dep" not has "$dep" "libpq|libmariadb|libsqlite|libinih"
dep=$(field libdbmig-dev Depends)
check "libdbmig-dev Depends lacks libdbmig0 (= $DEBVER): $dep" has "$dep" "(^|, )libdbmig0 \\(= ${DEBVER//./\\.}\\)"
shlibs=$(dpkg-deb -I "${DEB[libdbmig0]}" shlibs 2> /dev/null)
check "libdbmig0's shlibs is '$shlibs'" [ "$shlibs" = "libdbmig ${VERSION%%.*} libdbmig0 (= $DEBVER)" ]
check "libdbmig0's postinst does not run ldconfig" has "$(dpkg-deb -I "${DEB[libdbmig0]}" postinst 2> /dev/null)" ldconfig

# in_pkg PKG TYPE PATH: PATH is in PKG's list, with type f (file), l (link) or d
in_pkg() { grep -qxF -e "${2/f/-} $3" "$tmp/$1.list"; }
L=/usr/lib/$MA
for f in /usr/bin/dbmig $L/dbmig/dbmig_sqlite.so $L/dbmig/dbmig_postgres.so $L/dbmig/dbmig_mysql.so \
    /usr/share/doc/dbmig/copyright; do
    check "dbmig lacks $f" in_pkg dbmig f "$f"
done
check "libdbmig0 lacks the link $L/libdbmig.so.0" in_pkg libdbmig0 l "$L/libdbmig.so.0"
check "libdbmig0 lacks $L/libdbmig.so.$VERSION" in_pkg libdbmig0 f "$L/libdbmig.so.$VERSION"
check "libdbmig0 lacks its copyright" in_pkg libdbmig0 f /usr/share/doc/libdbmig0/copyright
check "libdbmig-dev lacks the link $L/libdbmig.so" in_pkg libdbmig-dev l "$L/libdbmig.so"
for f in /usr/include/dbmig/dbmig.h /usr/include/dbmig/driver.h $L/pkgconfig/dbmig.pc \
    $L/cmake/dbmig/dbmigConfig.cmake $L/cmake/dbmig/dbmigConfigVersion.cmake \
    $L/cmake/dbmig/DbmigDriver.cmake /usr/share/doc/libdbmig-dev/copyright; do
    check "libdbmig-dev lacks $f" in_pkg libdbmig-dev f "$f"
done
# Where each kind of file may be: the runtime library only in libdbmig0, the
# development files only in -dev, nothing outside /usr, nothing in a
# non-multiarch /usr/lib, nothing in /usr/local.
while read -r p type path; do
    [ "$type" = d ] && continue
    case $p:$path in
        libdbmig0:"$L"/libdbmig.so.[0-9]*) ;;
        libdbmig-dev:"$L"/libdbmig.so | libdbmig-dev:"$L"/libdbmig.a | libdbmig-dev:/usr/include/dbmig/*) ;;
        libdbmig-dev:"$L"/pkgconfig/dbmig.pc | libdbmig-dev:"$L"/cmake/dbmig/*) ;;
        dbmig:/usr/bin/dbmig | dbmig:"$L"/dbmig/dbmig_*.so | dbmig:/usr/share/man/man[1-8]/*) ;;
        dbmig:/usr/share/bash-completion/completions/* | dbmig:/usr/share/zsh/*/_dbmig) ;;
        dbmig:/usr/share/fish/*/dbmig.fish) ;;
        *:/usr/share/doc/"$p"/*) ;;
        *) fail "$p has $path, which belongs in none of the packages there" ;;
    esac
    ok
done < <(for p in "${PKGS[@]}"; do sed "s/^/$p /" "$tmp/$p.list"; done)
dups=$(cat "$tmp"/*.list | grep -v '^d ' | sort | uniq -d)
check "files in two packages: $dups" [ -z "$dups" ]
# Man pages and completion (cmake/DbmigDocs.cmake, COMPONENT dbmig), once there.
if [ -f "$src/cmake/DbmigDocs.cmake" ]; then
    check "dbmig lacks the man page dbmig(1)" grep -qE '^- /usr/share/man/man1/dbmig\.1\.gz$' "$tmp/dbmig.list"
    check "dbmig lacks the bash completion" grep -qE '^- /usr/share/bash-completion/completions/dbmig$' "$tmp/dbmig.list"
fi
# Stripped, as Debian ships binaries (CPACK_STRIP_FILES), and no RUNPATH
# (the libraries are in the dynamic loader's own folders).
mkdir -p "$tmp/x"
for p in "${PKGS[@]}"; do dpkg-deb -x "${DEB[$p]}" "$tmp/x"; done
while IFS= read -r f; do
    info=$(file -b "$f")
    case $info in *ELF*)
        check "${f#"$tmp"/x} is not stripped: $info" has "$info" ', stripped'
        rp=$(readelf -d "$f" | grep -E 'RPATH|RUNPATH')
        check "${f#"$tmp"/x} has a RUNPATH, which Debian does not want in /usr: $rp" [ -z "$rp" ] ;;
    esac
done < <(find "$tmp/x" -type f)
# Every install() rule names one of the three components: nothing is left for
# CMake's default component, which no package takes.
cmake --install "$tmp/build" --component Unspecified --prefix "$tmp/unspecified" > /dev/null 2>&1
left=$(find "$tmp/unspecified" \( -type f -o -type l \) 2> /dev/null | sed "s|^$tmp/unspecified||")
check "install() rules without a COMPONENT (in no package): $left" [ -z "$left" ]

# ---- 3. install ------------------------------------------------------------------
# Never overwrite (and later delete) a file that no package owns, such as a
# `cmake --install --prefix /usr` of dbmig.
while read -r type path; do
    if [ "$type" != d ] && { [ -e "$path" ] || [ -L "$path" ]; }; then
        die "$path already exists (from \`cmake --install\` to /usr?): installing the packages would" \
            "overwrite it and purging them delete it; remove it first (docs/install.md)"
    fi
done < <(cat "$tmp"/*.list)
new_dirs=()
while read -r type path; do
    [ "$type" = d ] && [ ! -d "$path" ] && new_dirs+=("$path")
done < <(cat "$tmp"/*.list | sort -u)
step "installing: apt-get install ${DEB[*]##*/}"
installed=1
if ! "${SUDO[@]}" apt-get install -y -o DPkg::Lock::Timeout=120 "${DEB[@]}" > "$tmp/apt.log" 2>&1; then
    tail -20 "$tmp/apt.log" >&2
    die "apt-get install failed"
fi
for p in "${PKGS[@]}"; do
    check "$p is not installed (version '$(installed_version "$p")')" [ "$(installed_version "$p")" = "$DEBVER" ]
done
# (/lib is /usr/lib on a merged-/usr system; ld.so and ldconfig may say either)
check "ldconfig does not know $L/libdbmig.so.0" has "$(ldconfig -p)" "libdbmig\\.so\\.0 .*=> (/usr)?/lib/$MA/libdbmig\\.so\\.0\$"

# ---- 4. use ----------------------------------------------------------------------
step "running the installed /usr/bin/dbmig"
mkdir -p "$tmp/run"
cd "$tmp/run" || exit 1
nrev=$(find "$src/migrations" -maxdepth 1 -name '*.sql' | wc -l)
check "dbmig on PATH is $(PATH=/usr/bin:/bin command -v dbmig), not /usr/bin/dbmig" \
    [ "$(PATH=/usr/bin:/bin command -v dbmig)" = /usr/bin/dbmig ]
check "/usr/bin/dbmig loads '$(loads /usr/bin/dbmig)', not $L/libdbmig.so.0" \
    [ "$(loads /usr/bin/dbmig)" = "$(readlink -f "$L/libdbmig.so.0")" ]
rp=$(readelf -d /usr/bin/dbmig | grep -E 'RPATH|RUNPATH')
check "/usr/bin/dbmig has a RUNPATH, which Debian does not want for /usr: $rp" [ -z "$rp" ]
check "dbmig --version: $(/usr/bin/dbmig --version 2>&1)" [ "$(/usr/bin/dbmig --version 2>&1)" = "dbmig $VERSION" ]
/usr/bin/dbmig drivers > drivers.out 2>&1
rc=$?
check "dbmig drivers exited $rc: $(head -5 drivers.out)" [ $rc = 0 ]
for d in sqlite postgres mysql; do
    check "dbmig drivers does not list $L/dbmig/dbmig_$d.so: $(cat drivers.out)" \
        grep -qE "^$d +[0-9.]+ +$L/dbmig/dbmig_$d\\.so\$" drivers.out
done
check "dbmig drivers lists a file outside $L/dbmig: $(cat drivers.out)" \
    [ "$(grep -cE '^[a-z].* /' drivers.out)" = 3 ]
url=sqlite:$tmp/run/app.db
/usr/bin/dbmig --url "$url" --dir "$src/migrations" upgrade > up.out 2>&1
rc=$?
check "upgrade exited $rc: $(tail -3 up.out)" [ $rc = 0 ]
check "upgrade did not apply the $nrev revisions" [ "$(sqlite3 app.db 'SELECT count(*) FROM dbmig_version')" = "$nrev" ]
/usr/bin/dbmig --url "$url" --dir "$src/migrations" status > status.out 2>&1
rc=$?
check "status exited $rc: $(tail -3 status.out)" [ $rc = 0 ]
check "status: not '$nrev applied ..., 0 pending': $(tail -1 status.out)" \
    grep -qE "^$nrev revision\\(s\\): $nrev applied .*, 0 pending" status.out

# The build tree's dbmig (ctest hands it in) is not disturbed by the
# installed one: its RUNPATH finds its own libdbmig, which loads the plugins
# beside itself, never /usr's.
if [ -n "${DBMIG:-}" ]; then
    step "the build tree's dbmig ($DBMIG) while the packages are installed"
    own=$(loads "$DBMIG")
    check "the build tree's dbmig loads '$own', not its own libdbmig" \
        test -n "$own" -a "$own" != "$(readlink -f "$L/libdbmig.so.0")"
    "$DBMIG" drivers > build-drivers.out 2>&1
    rc=$?
    check "the build tree's dbmig drivers exited $rc: $(head -3 build-drivers.out)" [ $rc = 0 ]
    check "the build tree's dbmig lists /usr's plugins: $(cat build-drivers.out)" not grep -q "$L/dbmig/" build-drivers.out
    check "the build tree's dbmig lists not its own three plugins: $(cat build-drivers.out)" \
        [ "$(grep -cE "^(sqlite|postgres|mysql) .* $(dirname "$own")/dbmig/" build-drivers.out)" = 3 ]
fi

step "building examples/embed against libdbmig-dev (pkg-config, find_package)"
check "pkg-config --modversion dbmig: $(pkg-config --modversion dbmig 2>&1)" [ "$(pkg-config --modversion dbmig 2>&1)" = "$VERSION" ]
check "pkg-config finds $(pkg-config --variable=pcfiledir dbmig 2>&1), not $L/pkgconfig" \
    [ "$(pkg-config --variable=pcfiledir dbmig)" = "$L/pkgconfig" ]
pdir=$(pkg-config --variable=plugindir dbmig)
check "pkg-config's plugindir $pdir is not $L/dbmig" [ "$(readlink -f "$pdir")" = "$L/dbmig" ]
# shellcheck disable=SC2046 # pkg-config's words
if cc -o embed-pc "$src/examples/embed/app.c" $(pkg-config --cflags --libs dbmig) > cc.out 2>&1; then
    ok
    check "the example loads '$(loads embed-pc)', not $L/libdbmig.so.0" \
        [ "$(loads embed-pc)" = "$(readlink -f "$L/libdbmig.so.0")" ]
    ./embed-pc --url "sqlite:$tmp/run/embed.db" --dir "$src/migrations" > embed.out 2>&1
    rc=$?
    check "the example (pkg-config) exited $rc: $(tail -3 embed.out)" [ $rc = 0 ]
    check "the example (pkg-config) is not ready: $(cat embed.out)" grep -qx 'ready: pending=0' embed.out
else
    fail "the example does not compile with pkg-config's flags: $(tail -5 cc.out)"
fi
mkdir -p embed-cmake
cp "$src/examples/embed/app.c" embed-cmake/
cat > embed-cmake/CMakeLists.txt << 'EOF'
cmake_minimum_required(VERSION 3.18)
project(embed C)
find_package(dbmig 0.1 REQUIRED)
message(STATUS "dbmig_DIR=${dbmig_DIR}")
add_executable(app app.c)
target_link_libraries(app PRIVATE dbmig::dbmig)
EOF
if cmake -S embed-cmake -B embed-cmake/build > embed-cmake.out 2>&1 && cmake --build embed-cmake/build >> embed-cmake.out 2>&1; then
    ok
    check "find_package(dbmig) found $(sed -n 's/.*dbmig_DIR=//p' embed-cmake.out), not $L/cmake/dbmig" \
        grep -qxF -- "-- dbmig_DIR=$L/cmake/dbmig" embed-cmake.out
    embed-cmake/build/app --url "sqlite:$tmp/run/embed2.db" --dir "$src/migrations" > embed2.out 2>&1
    rc=$?
    check "the example (find_package) exited $rc: $(tail -3 embed2.out)" [ $rc = 0 ]
else
    fail "examples/embed does not build with find_package(dbmig): $(tail -8 embed-cmake.out)"
fi

step "building the out-of-tree plugins against libdbmig-dev"
# plugins/odbc: find_package(dbmig), nothing else given. Not installed (that
# would put a file no package owns into $L/dbmig): used with --plugin-dir.
if cmake -S "$src/plugins/odbc" -B odbc > odbc.out 2>&1 && cmake --build odbc >> odbc.out 2>&1; then
    ok
    check "plugins/odbc found dbmig in $(sed -n 's/^dbmig_DIR:PATH=//p' odbc/CMakeCache.txt), not $L/cmake/dbmig" \
        grep -qx "dbmig_DIR:PATH=$L/cmake/dbmig" odbc/CMakeCache.txt
    check "plugins/odbc would not install into $L/dbmig (DBMIG_PLUGIN_DIR)" grep -qF "\"$L/dbmig\"" odbc/cmake_install.cmake
    /usr/bin/dbmig --plugin-dir odbc drivers > odbc-drivers.out 2>&1
    check "dbmig --plugin-dir odbc drivers does not list the odbc plugin: $(cat odbc-drivers.out)" \
        grep -qE "^odbc .* $tmp/run/odbc/dbmig_odbc\\.so\$" odbc-drivers.out
    /usr/bin/dbmig --plugin-dir odbc --url "odbc:Driver=$SQLITE_ODBC;Database=$tmp/run/odbc.db" \
        --dir "$src/migrations" upgrade > odbc-up.out 2>&1
    rc=$?
    check "upgrade through the odbc plugin exited $rc: $(tail -3 odbc-up.out)" [ $rc = 0 ]
    check "upgrade through the odbc plugin did not apply $nrev revisions" \
        [ "$(sqlite3 odbc.db 'SELECT count(*) FROM dbmig_version' 2>&1)" = "$nrev" ]
else
    fail "plugins/odbc does not build against the installed package: $(tail -8 odbc.out)"
fi
# plugins/example: pkg-config only.
if cmake -S "$src/plugins/example" -B example > example.out 2>&1 && cmake --build example >> example.out 2>&1; then
    ok
    /usr/bin/dbmig --plugin-dir example drivers > example-drivers.out 2>&1
    check "dbmig --plugin-dir example drivers does not list litesql: $(cat example-drivers.out)" \
        grep -qE "^litesql .* $tmp/run/example/dbmig_litesql\\.so\$" example-drivers.out
else
    fail "plugins/example does not build against the installed package: $(tail -8 example.out)"
fi
cd "$tmp" || exit 1

# ---- 5. purge ----------------------------------------------------------------------
step "purging the packages"
if purge_all; then ok; else fail "dpkg --purge failed: $(tail -5 "$tmp/purge.log")"; fi
installed=0
left=$(dpkg -l "${PKGS[@]}" 2> /dev/null | grep -E '^[a-z][a-zA-Z] ' | grep -v '^un ')
check "dpkg still knows the packages after the purge: $left" [ -z "$left" ]
while read -r type path; do
    if [ "$type" != d ] && { [ -e "$path" ] || [ -L "$path" ]; }; then fail "$path is left after the purge"; else ok; fi
done < <(cat "$tmp"/{dbmig,libdbmig0,libdbmig-dev}.list)
for d in "${new_dirs[@]}"; do
    check "the folder $d, made by the packages, is left after the purge" [ ! -e "$d" ]
done
check "ldconfig still knows libdbmig.so.0 after the purge" not has "$(ldconfig -p)" "libdbmig\\.so\\.0 "
check "a dbmig is still on PATH after the purge: $(PATH=/usr/bin:/bin command -v dbmig)" \
    not env PATH=/usr/bin:/bin sh -c 'command -v dbmig > /dev/null'

step "$checks checks, $failures failed"
((failures == 0)) || exit 1
echo "package: ok"
