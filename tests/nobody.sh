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
exec setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
