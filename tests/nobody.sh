#!/usr/bin/env bash
# tests/nobody.sh CMD ARGS... — runs CMD as an unprivileged user.
#
# Some checks cannot run as root (root reads a mode-000 file and writes into
# a read-only folder), and CI runs as root: as root this drops to
# nobody:nogroup with no supplementary groups and no capabilities (setpriv)
# before exec'ing CMD; as anyone else it runs CMD as it is. The files CMD
# needs must be readable by `nobody` (a temp dir is made under /tmp; for the
# build tree see below). Fails, never skips, when it is root and setpriv is
# missing.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    exec "$@"
fi
command -v setpriv > /dev/null || { echo "nobody.sh: running as root and setpriv is missing (util-linux)" >&2; exit 2; }
export HOME=/tmp TMPDIR=/tmp
drop=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all --)
# A checkout under a private folder (/root, or a `mktemp -d` clone, mode
# 0700) hides the build tree from nobody. Then:
#  - a program of a relocatable bin/ + lib/ tree (dbmig's build tree and every
#    install have that layout: RUNPATH $ORIGIN/../lib, plugins in lib/dbmig/)
#    runs as nobody from a world-readable copy of that tree, removed after;
#  - any other program (a unit test with the build tree's plugin folder
#    compiled in) keeps uid 0 but loses the capabilities that let root ignore
#    file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER), so
#    a mode-000 file or a read-only folder refuses it as it would anyone.
if [[ $1 == */* ]] && ! "${drop[@]}" test -x "$1"; then
    real=$(readlink -f "$1")
    root=${real%/bin/*}
    if [[ $real == */bin/* && -d $root/lib ]]; then
        stage=$(mktemp -d /tmp/dbmig-nobody.XXXXXX)
        trap 'rm -rf "$stage"' EXIT
        cp -a "$root/bin" "$root/lib" "$stage/"
        chmod 755 "$stage"
        chmod -R a+rX "$stage"
        shift
        rc=0
        "${drop[@]}" "$stage/bin/${real##*/}" "$@" || rc=$?
        exit "$rc"
    fi
    exec setpriv --inh-caps=-all --bounding-set=-dac_override,-dac_read_search,-fowner -- "$@"
fi
exec "${drop[@]}" "$@"
