#!/usr/bin/env bash
# mistakes.sh SOURCE_DIR — what a packager can get wrong is refused with the
# fix, never turned into a package with the wrong layout:
#   - scripts/package.sh: an unknown option, two OUTDIRs, --build-dir without
#     a folder (exit 2), an OUTDIR that is a file (exit 1);
#   - configure: a DBMIG_PACKAGE_RELEASE, _MAINTAINER or _HOMEPAGE that is
#     not what a Debian control field takes;
#   - cpack -G DEB in a tree configured for /usr/local (the default), in a
#     /usr tree with a non-multiarch libdir, and in a /usr tree not built.
# One build folder, configured and reconfigured; nothing is built or
# installed.
set -uo pipefail
src=$(cd "${1:?SOURCE_DIR}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-package-mistakes.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset CMAKE_PREFIX_PATH
fails=0 n=0
# expect NAME WANT_RC TEXT COMMAND...: COMMAND exits WANT_RC ("fail": any
# non-zero) and says TEXT (fixed string) on stdout or stderr.
expect() {
    local name=$1 want=$2 text=$3 rc
    shift 3
    n=$((n + 1))
    "$@" > "$tmp/out" 2>&1
    rc=$?
    if { [ "$want" = fail ] && [ $rc = 0 ]; } || { [ "$want" != fail ] && [ $rc != "$want" ]; } ||
        ! tr '\n' ' ' < "$tmp/out" | tr -s ' ' | grep -qF -- "$text"; then
        echo "FAIL $name: exit $rc (want $want) and '$text' in:"
        tail -12 "$tmp/out" | sed 's/^/    /'
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}

pkg=$src/scripts/package.sh
expect unknown_option 2 "unknown option '--bogus'" bash "$pkg" --bogus
expect two_outdirs 2 "one OUTDIR only ('$tmp/a', then 'b')" bash "$pkg" "$tmp/a" b
expect build_dir_without_folder 2 "--build-dir needs a folder" bash "$pkg" --build-dir
touch "$tmp/file"
expect outdir_is_a_file 1 "OUTDIR $tmp/file exists and is not a folder" bash "$pkg" "$tmp/file"
expect help 0 "bash scripts/package.sh [--build-dir DIR] [OUTDIR]" bash "$pkg" --help

b=$tmp/build
conf() { cmake -S "$src" -B "$b" -DDBMIG_TESTS=OFF -DDBMIG_DRIVERS=sqlite "$@"; }
expect configure_default 0 "Generating done" conf
expect release_with_space fail "DBMIG_PACKAGE_RELEASE '1 2' is not a Debian revision" \
    conf "-DDBMIG_PACKAGE_RELEASE=1 2"
expect release_with_dash fail "DBMIG_PACKAGE_RELEASE '1-2' is not a Debian revision" \
    conf -DDBMIG_PACKAGE_RELEASE=1-2
expect maintainer_without_email fail "DBMIG_PACKAGE_MAINTAINER 'Jane Doe' is not 'Name <email>'" \
    conf -DDBMIG_PACKAGE_RELEASE=1 "-DDBMIG_PACKAGE_MAINTAINER=Jane Doe"
expect homepage_without_scheme fail "DBMIG_PACKAGE_HOMEPAGE 'dbmig.example.org' is not an http(s) URL" \
    conf "-DDBMIG_PACKAGE_MAINTAINER=Jane Doe <jane@example.org>" -DDBMIG_PACKAGE_HOMEPAGE=dbmig.example.org
expect configure_fixed 0 "Generating done" conf -DDBMIG_PACKAGE_HOMEPAGE=https://dbmig.example.org
if ! grep -q 'CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://dbmig.example.org"' "$b/CPackConfig.cmake" ||
    ! grep -q 'CPACK_DEBIAN_PACKAGE_MAINTAINER "Jane Doe <jane@example.org>"' "$b/CPackConfig.cmake"; then
    echo "FAIL the maintainer and homepage given do not reach CPackConfig.cmake"
    fails=$((fails + 1))
fi

cpack_deb() { (cd "$b" && cpack -G DEB -B "$tmp/cpack"); }
expect cpack_prefix_usr_local fail "the Debian packages install into /usr, but this build tree ($b) is configured with CMAKE_INSTALL_PREFIX=/usr/local" cpack_deb
expect cpack_prefix_fix fail "scripts/package.sh OUTDIR" cpack_deb
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2> /dev/null || echo x86_64-linux-gnu)
# A fresh folder: reconfiguring this one from /usr/local, GNUInstallDirs
# would replace a libdir equal to the old default (lib) by the multiarch one.
b=$tmp/build-lib
expect configure_usr_lib 0 "Generating done" conf -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib
expect cpack_libdir_lib fail "installs libraries into /usr/lib, not Debian's multiarch /usr/lib/$ma: reconfigure it with -DCMAKE_INSTALL_LIBDIR=lib/$ma" cpack_deb
expect configure_usr 0 "Generating done" conf -DCMAKE_INSTALL_PREFIX=/usr "-DCMAKE_INSTALL_LIBDIR=lib/$ma"
expect cpack_not_built fail "bin/dbmig does not exist: build the tree before packaging it (cmake --build $b)" cpack_deb
debs=$(find "$tmp" -name '*.deb' | wc -l)
[ "$debs" = 0 ] || { echo "FAIL a refused cpack left $debs package(s)"; fails=$((fails + 1)); }

((fails == 0)) || { echo "package.mistakes: $fails of $n failed"; exit 1; }
echo "package.mistakes: $n passed"
