#!/usr/bin/env bash
# fleet.sh — `dbmig fleet` over many databases: 40 SQLite files always, plus
# every URL in $FLEET_EXTRA_TARGETS (a file; the PostgreSQL and MariaDB
# variants write 10 databases each there). All reach head; with one target
# made to fail, the others still reach head, the summary names the failure
# and the exit code is non-zero; passwords never appear.
set -euo pipefail
: "${DBMIG:?path to the dbmig binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$work/m" "$work/db"
for i in $(seq 1 12); do
    printf -- '-- dbmig:up\nCREATE TABLE f%d (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO f%d (id) VALUES (1);\n-- dbmig:down\nDROP TABLE f%d;\n' \
        "$i" "$i" "$i" >"$work/m/$(printf %03d "$i")_f$i.sql"
done
targets=$work/targets
{
    echo "# forty SQLite databases"
    for i in $(seq 1 40); do echo "sqlite:\${FLEET_DIR}/db/t$i.db"; done
    [[ -n "${FLEET_EXTRA_TARGETS:-}" ]] && cat "$FLEET_EXTRA_TARGETS"
} >"$targets"
n=$(grep -vc '^#' "$targets")
export FLEET_DIR=$work

# 1. Every target reaches head.
start=$(date +%s%N)
"$DBMIG" --dir "$work/m" --format json fleet --targets "$targets" --jobs 8 upgrade >"$work/up.json" 2>"$work/up.err" ||
    fail "fleet upgrade exited $?: $(tail -5 "$work/up.err")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $(jq '.summary.ok' "$work/up.json") == "$n" ]] || fail "not all $n targets ok: $(jq -c .summary "$work/up.json")"
"$DBMIG" --dir "$work/m" --format json fleet --targets "$targets" --jobs 8 check >"$work/check.json" 2>/dev/null ||
    fail "fleet check after upgrade is not clean"
[[ $(jq '[.targets[].output.summary.applied] | unique' -c "$work/check.json") == "[12]" ]] ||
    fail "some target does not have 12 applied: $(jq -c '[.targets[].output.summary.applied]' "$work/check.json")"
echo "ok: $n targets reached head in ${ms} ms ($(awk -v n="$n" -v m="$ms" 'BEGIN{printf "%.1f", n*1000/m}') targets/s)"

# 2. One target fails (its database file sits in a folder that is not
#    there); the others still complete; the summary names it; exit != 0.
"$DBMIG" --dir "$work/m" fleet --targets "$targets" --jobs 8 downgrade base >/dev/null 2>&1 || fail "downgrade base"
{ cat "$targets"; echo "sqlite:$work/missing-folder/x.db"; echo 'postgres://fleetuser:Fl33tS3cret@127.0.0.1:1/nodb'; } >"$work/targets2"
set +e
"$DBMIG" --dir "$work/m" fleet --targets "$work/targets2" --jobs 8 upgrade >"$work/out.txt" 2>"$work/err.txt"
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "fleet with a failing target exited 0"
grep -q "missing-folder/x.db" "$work/out.txt" || fail "summary does not name the failing target"
grep -q "failed" "$work/out.txt" || fail "summary does not say failed"
grep -q "$((n)) ok, 2 failed" "$work/out.txt" || fail "summary counts wrong: $(tail -1 "$work/out.txt")"
! grep -q Fl33tS3cret "$work/out.txt" "$work/err.txt" || fail "a password was printed"
grep -q 'fleetuser:\*\*\*@' "$work/out.txt" || fail "the redacted URL is not in the summary"
"$DBMIG" --dir "$work/m" --format json fleet --targets "$targets" --jobs 8 status >"$work/st.json" 2>/dev/null || fail "status"
[[ $(jq '[.targets[].output.summary.applied] | unique' -c "$work/st.json") == "[12]" ]] ||
    fail "healthy targets did not all reach head next to the failing ones"

# 3. Shards (issue 19): three machines split 30 targets with no coordinator:
#    --shard I/3 covers each target exactly once, stable by target (the same
#    split from a shuffled file and from standard input); the summaries merge
#    into one; a missing or doubled shard is exit 3.
head -31 "$targets" | tail -30 >"$work/t30"
shuf "$work/t30" >"$work/t30.shuffled"
for s in 1 2 3; do
    "$DBMIG" --dir "$work/m" -q fleet --targets "$work/t30" --shard "$s/3" --results "$work/r$s.json" status \
        >/dev/null 2>&1 || fail "fleet --shard $s/3 exited $?"
    cat "$work/t30.shuffled" | "$DBMIG" --dir "$work/m" --format json fleet --targets - --shard "$s/3" status \
        >"$work/s$s.json" 2>/dev/null || fail "fleet --targets - --shard $s/3"
    [[ $(jq -c '[.targets[].target] | sort' "$work/r$s.json") == "$(jq -c '[.targets[].target] | sort' "$work/s$s.json")" ]] ||
        fail "shard $s/3 depends on the line order"
    [[ $(jq -c .shard "$work/r$s.json") == "{\"index\":$s,\"count\":3}" ]] || fail "shard $s: $(jq -c .shard "$work/r$s.json")"
done
cover=$(jq -r '.targets[].target' "$work"/r[123].json | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')
[[ $cover == "1 " ]] || fail "a target is in two shards or none: counts $cover"
[[ $(jq -r '.targets[].target' "$work"/r[123].json | wc -l) == 30 ]] || fail "the shards do not cover the 30 targets"
for s in 1 2 3; do [[ $(jq '.targets | length' "$work/r$s.json") -ge 3 ]] || fail "shard $s is nearly empty"; done
"$DBMIG" --format json fleet --merge-results "$work/r3.json" "$work/r1.json" "$work/r2.json" >"$work/merged.json" ||
    fail "merge exited $?"
[[ $(jq '.summary.total' "$work/merged.json") == 30 && $(jq -c '.shards' "$work/merged.json") == '{"count":3,"missing":[]}' ]] ||
    fail "merged: $(jq -c '.summary,.shards' "$work/merged.json")"
[[ $(jq -r '[.targets[].line] == ([.targets[].line] | sort)' "$work/merged.json") == true ]] || fail "merged order"
set +e
"$DBMIG" fleet --merge-results "$work/r1.json" "$work/r3.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 3 ]] || fail "a missing shard: exit $rc, want 3"
grep -q "shard 2/3 is missing" "$work/m.txt" || fail "the missing shard is not named: $(cat "$work/m.txt")"
"$DBMIG" fleet --merge-results "$work/r1.json" "$work/r1.json" "$work/r2.json" "$work/r3.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 3 ]] && grep -q "shard 1/3 is given twice" "$work/m.txt" || fail "a doubled shard: exit $rc $(cat "$work/m.txt")"
"$DBMIG" fleet --merge-results --shard 1/3 "$work/r1.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 2 ]] && grep -q "takes only the summary files; --shard belongs" "$work/m.txt" || fail "--merge-results with --shard: exit $rc $(cat "$work/m.txt")"
"$DBMIG" --dir "$work/m" --format json fleet --targets "$work/t30" --shard 1/3 upgrade >"$work/up1.json" 2>/dev/null || fail "shard 1 upgrade"
"$DBMIG" fleet --merge-results "$work/up1.json" "$work/r2.json" "$work/r3.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 2 ]] && grep -q "the first file is of \`fleet upgrade\`" "$work/m.txt" || fail "summaries of two commands merged: exit $rc $(cat "$work/m.txt")"
echo '{}' >"$work/bad.json"
"$DBMIG" fleet --merge-results "$work/bad.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 2 ]] && grep -q "not the JSON summary of a fleet run" "$work/m.txt" || fail "a foreign file: exit $rc"
for bad in 0/3 4/3 2 x/y 1/0; do
    "$DBMIG" fleet --targets "$work/t30" --shard "$bad" status >/dev/null 2>"$work/m.txt"; rc=$?
    [[ $rc == 2 ]] && grep -q "bad --shard '$bad'" "$work/m.txt" || fail "--shard $bad: exit $rc $(cat "$work/m.txt")"
done
set -e
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/../../examples/fleet-shards/run-locally.sh" "$DBMIG" >"$work/example.txt" 2>&1 ||
    fail "examples/fleet-shards/run-locally.sh: $(tail -3 "$work/example.txt")"
grep -q "fleet upgrade: 30 target(s) from 3 shard(s), 30 ok, 0 failed" "$work/example.txt" ||
    fail "the worked example: $(tail -3 "$work/example.txt")"
echo "ok: 3 shards of 30 targets cover each once; merged; missing/doubled shards refused; the example runs"

# 4. Usage errors.
set +e
"$DBMIG" fleet --targets "$work/nope" status >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "missing targets file: want exit 2"
"$DBMIG" fleet --targets "$targets" stamp head >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "fleet stamp: want exit 2"
printf 'sqlite:${FLEET_UNSET_VAR}/x.db\n' >"$work/t3"
"$DBMIG" fleet --targets "$work/t3" status 2>"$work/e3" >/dev/null; [[ $? -eq 2 ]] || fail "unset \${VAR}: want exit 2"
set -e
grep -q "FLEET_UNSET_VAR" "$work/e3" || fail "unset variable not named"
echo "ok: fleet"
