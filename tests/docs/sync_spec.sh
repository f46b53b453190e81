#!/usr/bin/env bash
# scripts/sync-spec.sh and the docs.spec check, on a copy: a fake checkout
# ($tmp/root with the script and docs/) beside a fake steering folder
# ($tmp/shared), so the real tree is never written. Usage: sync_spec.sh ROOT
set -euo pipefail
unset DBMIG_SHARED_DIR   # the fake ../shared below, not a real one
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$tmp/root/scripts" "$tmp/root/docs" "$tmp/shared"
cp "$src/scripts/sync-spec.sh" "$tmp/root/scripts/"
check() { python3 "$src/tests/docs/check_docs.py" "$tmp/root" spec; }
printf '# contract\n\nline one\n' > "$tmp/shared/SPEC.md"

# the copy: found at ../shared by default, one header line, then the file
bash "$tmp/root/scripts/sync-spec.sh" | grep -q 'copied from' || fail "no copy made"
[ "$(tail -n +2 "$tmp/root/docs/spec.md")" = "$(cat "$tmp/shared/SPEC.md")" ] || fail "the copy is not the file"
head -1 "$tmp/root/docs/spec.md" | grep -q '^<!-- A copy of SPEC.md' || fail "no header line"
out=$(check) || fail "docs.spec fails on a fresh copy: $out"
echo "$out" | grep -q 'line for line' || fail "docs.spec did not compare: $out"
bash "$tmp/root/scripts/sync-spec.sh" --check >/dev/null || fail "--check fails on a fresh copy"
bash "$tmp/root/scripts/sync-spec.sh" | grep -q 'up to date' || fail "a second run copied again"

# SPEC.md changes: both the script's --check and docs.spec fail, naming the fix
echo "line two" >> "$tmp/shared/SPEC.md"
if out=$(bash "$tmp/root/scripts/sync-spec.sh" --check 2>&1); then fail "--check passed on a stale copy"; fi
echo "$out" | grep -q 'run bash scripts/sync-spec.sh' || fail "--check: $out"
if out=$(check); then fail "docs.spec passed on a stale copy: $out"; fi
echo "$out" | grep -q 'run scripts/sync-spec.sh' || fail "docs.spec: $out"

# an edit by hand of docs/spec.md (the header dropped) fails too
bash "$tmp/root/scripts/sync-spec.sh" >/dev/null
tail -n +2 "$tmp/root/docs/spec.md" > "$tmp/x" && mv "$tmp/x" "$tmp/root/docs/spec.md"
if out=$(check); then fail "docs.spec passed without the header: $out"; fi

# no steering folder (a plain clone): the script refuses (exit 2), docs.spec
# passes and says it skipped the comparison
bash "$tmp/root/scripts/sync-spec.sh" >/dev/null
rm -rf "$tmp/shared"
set +e; out=$(bash "$tmp/root/scripts/sync-spec.sh" 2>&1); rc=$?; set -e
[ $rc = 2 ] || fail "sync-spec.sh without ../shared: exit $rc, not 2: $out"
echo "$out" | grep -q 'DBMIG_SHARED_DIR' || fail "sync-spec.sh without ../shared: $out"
out=$(check) || fail "docs.spec fails without ../shared: $out"
echo "$out" | grep -q 'SKIPPED the comparison' || fail "docs.spec did not say it skipped: $out"
echo "ok: sync-spec.sh copies, --check and docs.spec catch a stale or hand-edited copy, a clone without ../shared skips only the comparison"
