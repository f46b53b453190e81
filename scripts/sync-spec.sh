#!/usr/bin/env bash
# Copies the user contract, SPEC.md of the project's steering folder
# (../shared/SPEC.md beside the repository, or $DBMIG_SHARED_DIR), to
# docs/spec.md, so that a clone of the repository has it and its links
# resolve. Nothing is rewritten: the copy is one header line saying where it
# comes from, then the file byte for byte. The docs suite (tests/docs,
# `ctest -R docs.spec`) fails when the two differ.
#
#   bash scripts/sync-spec.sh           # copy
#   bash scripts/sync-spec.sh --check   # exit 1 when docs/spec.md is stale
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${DBMIG_SHARED_DIR:-$root/../shared}
src=$shared/SPEC.md
dst=$root/docs/spec.md
# The header line; tests/docs/check_docs.py (SPEC_HEADER) expects it as is.
header="<!-- A copy of SPEC.md from the project's steering folder (../shared/SPEC.md): update it with scripts/sync-spec.sh, never by hand. -->"

if [ ! -f "$src" ]; then
    echo "sync-spec: no $src: run this from a checkout beside the steering folder, or set DBMIG_SHARED_DIR" >&2
    exit 2
fi
tmp=$(mktemp "$root/docs/.spec.md.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{ printf '%s\n' "$header"; cat "$src"; } > "$tmp"
case "${1:-}" in
    --check)
        if cmp -s "$tmp" "$dst"; then echo "docs/spec.md is up to date"; exit 0; fi
        echo "docs/spec.md differs from $src: run bash scripts/sync-spec.sh" >&2
        exit 1 ;;
    "") ;;
    *) echo "usage: sync-spec.sh [--check]" >&2; exit 2 ;;
esac
if cmp -s "$tmp" "$dst"; then
    echo "docs/spec.md is up to date"
else
    chmod 644 "$tmp"
    mv "$tmp" "$dst"
    echo "docs/spec.md: copied from $src"
fi
