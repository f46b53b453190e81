#!/usr/bin/env bash
# run-locally.sh — the three shards and the merge on one machine, with 30
# SQLite databases and the sample migrations: bash run-locally.sh [DBMIG]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dbmig=${1:-dbmig}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/db"
for i in $(seq -w 1 30); do echo "sqlite:$work/db/tenant_$i.db"; done >"$work/targets"
run="local-$(date +%s)-$$"   # one id for the run's shards (CI: its run id)
for s in 1 2 3; do   # three machines; here one after the other
    "$dbmig" --dir "$here/../../migrations" -q fleet --targets "$work/targets" \
        --shard "$s/3" --run-id "$run" --results "$work/fleet-$s.json" upgrade head
done
"$dbmig" fleet --merge-results --run-id "$run" \
    "$work"/fleet-1.json "$work"/fleet-2.json "$work"/fleet-3.json
