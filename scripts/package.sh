#!/usr/bin/env bash
# package.sh — builds dbmig's Debian packages (docs/install.md):
#
#   bash scripts/package.sh [--build-dir DIR] [OUTDIR] [-- CMAKE_ARGS...]
#
# writes into OUTDIR (default build-deb/debs) the three packages
#   dbmig_<version>-<release>_<arch>.deb         the program and its plugins
#   libdbmig0_<version>-<release>_<arch>.deb     the shared library
#   libdbmig-dev_<version>-<release>_<arch>.deb  headers, dbmig.pc, CMake package
# then install them with: sudo apt-get install ./OUTDIR/*.deb
#
# The build tree (default build-deb/ at the top of the sources, kept, so a
# second run only rebuilds what changed) is configured for the packages:
# prefix /usr (Debian's multiarch libdir), Release, no tests, Debian's
# compiler and linker flags (dpkg-buildflags: hardening), every driver.
# CMAKE_ARGS after -- are passed to cmake, e.g.
#   -- -DDBMIG_PACKAGE_RELEASE=2 -DDBMIG_PACKAGE_MAINTAINER="Jane <jane@example.org>"
# Relative paths are relative to the folder the script is started from.
# Needs cmake, dpkg-dev (dpkg-shlibdeps, dpkg-buildflags), file and binutils;
# not root. Exit 0 when the packages are written, 2 for a usage mistake, 1
# when something failed.
set -euo pipefail

usage() {
    echo "usage: $0 [--build-dir DIR] [OUTDIR] [-- CMAKE_ARGS...]" >&2
    exit 2
}
die() {
    echo "package.sh: $*" >&2
    exit 1
}
abspath() { # abspath PATH: absolute, relative to where the script started
    case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac
}

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="" out="" cmake_args=()
while (($#)); do
    case $1 in
        --build-dir)
            if (($# < 2)) || [ -z "$2" ]; then echo "package.sh: --build-dir needs a folder" >&2; usage; fi
            build=$(abspath "$2")
            shift ;;
        --build-dir=*)
            [ -n "${1#*=}" ] || { echo "package.sh: --build-dir needs a folder" >&2; usage; }
            build=$(abspath "${1#*=}") ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
            exit 0 ;;
        --)
            shift
            cmake_args=("$@")
            break ;;
        -*)
            echo "package.sh: unknown option '$1'" >&2
            usage ;;
        *)
            [ -z "$out" ] || { echo "package.sh: one OUTDIR only ('$out', then '$1')" >&2; usage; }
            out=$(abspath "$1") ;;
    esac
    shift
done
build=${build:-$src/build-deb}
out=${out:-$build/debs}
[ ! -e "$out" ] || [ -d "$out" ] || die "OUTDIR $out exists and is not a folder"
[ ! -e "$build" ] || [ -d "$build" ] || die "the build folder $build exists and is not a folder"

missing=()
for tool in cmake cpack dpkg-shlibdeps dpkg-buildflags dpkg-deb dpkg-architecture file strip; do
    command -v "$tool" > /dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (Debian: apt-get install cmake dpkg-dev file binutils)"

# Debian's flags, as a Debian package build would use them: the hardening
# flags, and -ffile-prefix-map relative to the sources (hence the cd).
cflags=$(cd "$src" && dpkg-buildflags --get CFLAGS)
cppflags=$(cd "$src" && dpkg-buildflags --get CPPFLAGS)
ldflags=$(cd "$src" && dpkg-buildflags --get LDFLAGS)
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2> /dev/null || echo 2)}

say() { printf '==> %s\n' "$*"; }
say "configuring $build (prefix /usr, Release, no tests)"
cmake -S "$src" -B "$build" --log-level=WARNING \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DDBMIG_TESTS=OFF \
    "-DCMAKE_C_FLAGS=$cflags $cppflags" "-DCMAKE_EXE_LINKER_FLAGS=$ldflags" \
    "-DCMAKE_SHARED_LINKER_FLAGS=$ldflags" "-DCMAKE_MODULE_LINKER_FLAGS=$ldflags" \
    "${cmake_args[@]}" || die "cmake could not configure $build (see above)"
say "building ($jobs jobs)"
cmake --build "$build" -j"$jobs" || die "the build failed (see above)"

say "packaging (cpack -G DEB)"
rm -f "$build"/cpack/*.deb
(cd "$build" && cpack -G DEB -B "$build/cpack") > "$build/cpack.log" 2>&1 ||
    { cat "$build/cpack.log" >&2; die "cpack failed (log: $build/cpack.log)"; }
shopt -s nullglob
debs=("$build"/cpack/*.deb)
((${#debs[@]} == 3)) ||
    { cat "$build/cpack.log" >&2; die "cpack made ${#debs[@]} packages, not 3: ${debs[*]##*/}"; }
mkdir -p "$out"
cp -f "${debs[@]}" "$out/"

say "packages in $out"
written=()
for d in "${debs[@]}"; do
    written+=("$out/${d##*/}")
    printf '  %s\n' "${d##*/}"
    dpkg-deb -f "$d" Depends Recommends | sed 's/^/      /'
done
echo "install them with:  sudo apt-get install ${written[*]}"
