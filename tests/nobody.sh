#!/usr/bin/env bash
# tests/nobody.sh CMD ARGS... — runs CMD as an unprivileged user.
#
# Some checks cannot run as root (root reads a mode-000 file and writes into
# a read-only folder), and CI runs as root: as root this drops to
# nobody:nogroup with no supplementary groups and no capabilities (setpriv)
# before exec'ing CMD; as anyone else it runs CMD as it is. The files CMD
# needs must be readable by `nobody` (the build tree is; a temp dir is made
# under /tmp). Fails, never skips, when it is root and setpriv is missing.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    exec "$@"
fi
command -v setpriv > /dev/null || { echo "nobody.sh: running as root and setpriv is missing (util-linux)" >&2; exit 2; }
export HOME=/tmp TMPDIR=/tmp
drop=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all --)
# A checkout under a private folder (/root, mode 0700) hides the build tree
# from nobody: say so instead of failing obscurely (or skipping).
if [[ $1 == */* ]] && ! "${drop[@]}" test -x "$1"; then
    echo "nobody.sh: the user nobody cannot run $1: a folder on its path is not" \
        "readable by others (chmod o+rx it, or build in a world-readable place)" >&2
    exit 2
fi
exec "${drop[@]}" "$@"
