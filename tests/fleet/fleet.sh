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
[[ $(jq '.summary.total' "$work/merged.json") == 30 && $(jq -c '.shards' "$work/merged.json") == '{"count":3,"merged":3,"missing":[],"failed":[]}' ]] ||
    fail "merged: $(jq -c '.summary,.shards' "$work/merged.json")"
[[ $(jq -c '[.exit_code, .error]' "$work/merged.json") == '[0,null]' ]] || fail "merged exit_code/error: $(jq -c '[.exit_code, .error]' "$work/merged.json")"
[[ $(jq -r '[.targets[].line] == ([.targets[].line] | sort)' "$work/merged.json") == true ]] || fail "merged order"
set +e
"$DBMIG" fleet --merge-results "$work/r1.json" "$work/r3.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 3 ]] || fail "a missing shard: exit $rc, want 3"
grep -q "shard 2/3 is missing" "$work/m.txt" || fail "the missing shard is not named: $(cat "$work/m.txt")"
grep -q " target(s) from 2 of 3 shard(s)" "$work/m.txt" || fail "two files counted as three shards: $(grep 'from' "$work/m.txt")"
"$DBMIG" --format json fleet --merge-results "$work/r1.json" "$work/r3.json" >"$work/m.json" 2>/dev/null
[[ $(jq -c '[.exit_code, .shards.merged, (.error | test("shard 2/3 is missing"))]' "$work/m.json") == '[3,2,true]' ]] ||
    fail "merge JSON with a missing shard: $(jq -c '[.exit_code, .shards, .error]' "$work/m.json")"
"$DBMIG" fleet --merge-results "$work/r1.json" "$work/r1.json" "$work/r2.json" "$work/r3.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 3 ]] && grep -q "shard 1/3 is given twice" "$work/m.txt" || fail "a doubled shard: exit $rc $(cat "$work/m.txt")"
"$DBMIG" fleet --merge-results --shard 1/3 "$work/r1.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 2 ]] && grep -q "takes only the summary files (and --run-id); --shard belongs" "$work/m.txt" || fail "--merge-results with --shard: exit $rc $(cat "$work/m.txt")"
"$DBMIG" fleet --merge-results "$work/r1.json" --shard 1/3 >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 2 ]] && grep -q "takes only the summary files (and --run-id); --shard belongs" "$work/m.txt" && ! grep -q "cannot read" "$work/m.txt" ||
    fail "--shard after the summary files: exit $rc $(cat "$work/m.txt")"
"$DBMIG" --dir "$work/m" --format json fleet --targets "$work/t30" --shard 1/3 upgrade >"$work/up1.json" 2>/dev/null || fail "shard 1 upgrade"
"$DBMIG" fleet --merge-results "$work/up1.json" "$work/r2.json" "$work/r3.json" >"$work/m.txt" 2>&1; rc=$?
[[ $rc == 3 ]] && grep -q "up1.json and .*r2.json are not of one run: their command differs: upgrade in .*up1.json, status in .*r2.json" "$work/m.txt" ||
    fail "summaries of two commands merged: exit $rc $(cat "$work/m.txt")"
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

# 4. One run's shards only (review of issue 19, findings 1, 7, 12): each
#    summary records the command, N, --run-id and a digest of the whole
#    targets list; --results is replaced by a "started" marker before
#    anything runs, and says "failed" when the shard fails before its
#    targets ran; the merge refuses what is not of one run (exit 3).
set +e
r() { "$DBMIG" --dir "$work/m" -q fleet "$@" >/dev/null 2>>"$work/e.txt"; }
merge() { "$DBMIG" fleet --merge-results "$@" >"$work/m.txt" 2>&1; }
for s in 1 2 3; do r --targets "$work/t30" --shard "$s/3" --run-id run-7 --results "$work/q$s.json" status || fail "q$s"; done
merge "$work"/q[123].json; rc=$?
[[ $rc == 0 ]] || fail "one run's shards: exit $rc $(cat "$work/m.txt")"
# a. last run's file left behind by a shard that fails before its targets run
cp "$work/t30" "$work/t31"; echo 'sqlite:${FLEET_NOT_SET_31}/x.db' >>"$work/t31"
cp "$work/q2.json" "$work/q2.old"
r --targets "$work/t31" --shard 2/3 --run-id run-8 --results "$work/q2.json" status; rc=$?
[[ $rc == 2 && $(jq -r '.state, .exit_code' "$work/q2.json" | tr '\n' ' ') == "failed 2 " ]] ||
    fail "a shard that failed early left: exit $rc $(jq -c . "$work/q2.json")"
jq -r .error "$work/q2.json" | grep -q 'FLEET_NOT_SET_31' || fail "its error: $(jq -c .error "$work/q2.json")"
cp "$work/q1.json" "$work/p1.json"; cp "$work/q3.json" "$work/p3.json"
jq '.run_id = "run-8"' "$work/q1.json" >"$work/p1.json"; jq '.run_id = "run-8"' "$work/q3.json" >"$work/p3.json"
merge "$work/p1.json" "$work/q2.json" "$work/p3.json"; rc=$?
[[ $rc == 3 ]] && grep -q "shard 2/3 failed before its targets ran (.*q2.json): exit 2: .*FLEET_NOT_SET_31" "$work/m.txt" &&
    grep -q "from 2 of 3 shard(s)" "$work/m.txt" || fail "merge of a failed shard: exit $rc $(cat "$work/m.txt")"
# b. a shard still running (or killed): its file is the "started" marker
cp "$work/q2.old" "$work/q2.json"
rm -f "$work/fifo"; mkfifo "$work/fifo"
"$DBMIG" --dir "$work/m" -q fleet --targets "$work/fifo" --shard 2/3 --run-id run-7 --results "$work/q2.json" status >/dev/null 2>&1 &
bg=$!
for _ in $(seq 1 100); do [[ $(jq -r .state "$work/q2.json" 2>/dev/null) == started ]] && break; sleep 0.05; done
merge "$work/q1.json" "$work/q2.json" "$work/q3.json"; rc=$?
kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null
[[ $rc == 3 ]] && grep -q "shard 2/3 did not finish (.*q2.json): this run started at" "$work/m.txt" ||
    fail "merge of an unfinished shard: exit $rc $(cat "$work/m.txt")"
cp "$work/q2.old" "$work/q2.json"
# c. a shard of another targets list; d. of another N; e. of another run id
shuf "$work/t30" | head -29 >"$work/t29"
r --targets "$work/t29" --shard 2/3 --run-id run-7 --results "$work/x2.json" status
merge "$work/q1.json" "$work/x2.json" "$work/q3.json"; rc=$?
[[ $rc == 3 ]] && grep -q "q1.json and .*x2.json are not of one run: their targets list (targets_digest) differs" "$work/m.txt" &&
    ! grep -q "fleet status:" "$work/m.txt" || fail "a shard of another targets list: exit $rc $(cat "$work/m.txt")"
r --targets "$work/t30.shuffled" --shard 2/3 --run-id run-7 --results "$work/y2.json" status
[[ $(jq -r .targets_digest "$work/y2.json") == $(jq -r .targets_digest "$work/q2.json") ]] || fail "the digest depends on the line order"
r --targets "$work/t30" --shard 2/4 --run-id run-7 --results "$work/x2.json" status
merge "$work/q1.json" "$work/x2.json" "$work/q3.json"; rc=$?
[[ $rc == 3 ]] && grep -q "their number of shards (N of --shard I/N) differs: 3 in .*q1.json, 4 in .*x2.json" "$work/m.txt" ||
    fail "a shard of another N: exit $rc $(cat "$work/m.txt")"
r --targets "$work/t30" --shard 2/3 --run-id run-6 --results "$work/x2.json" status
merge "$work/q1.json" "$work/x2.json" "$work/q3.json"; rc=$?
[[ $rc == 3 ]] && grep -q "their run id (--run-id) differs: run-7 in .*q1.json, run-6 in .*x2.json" "$work/m.txt" ||
    fail "a shard of another run id: exit $rc $(cat "$work/m.txt")"
merge "$work"/r[123].json "$work/q2.json"; rc=$?      # r*.json: no --run-id
[[ $rc == 3 ]] && grep -q "their run id (--run-id) differs: none in .*r1.json, run-7 in .*q2.json" "$work/m.txt" ||
    fail "a shard with a run id among ones without: exit $rc $(cat "$work/m.txt")"
merge --run-id run-7 "$work"/q[123].json; rc=$?
[[ $rc == 0 ]] || fail "merge --run-id of its own run: exit $rc $(cat "$work/m.txt")"
merge "$work"/r[123].json --run-id run-7; rc=$?
[[ $rc == 3 ]] && grep -q "r1.json has no run id, not run-7 (--run-id)" "$work/m.txt" ||
    fail "merge --run-id of files of another run: exit $rc $(cat "$work/m.txt")"
jq 'del(.targets_digest)' "$work/q1.json" >"$work/old1.json"
merge "$work/old1.json" "$work/q2.json" "$work/q3.json"; rc=$?
[[ $rc == 3 ]] && grep -q "old1.json has no targets_digest" "$work/m.txt" || fail "a summary without a digest: exit $rc $(cat "$work/m.txt")"
# f. the digest: the sorted URLs with their passwords redacted (a rotated
#    password is the same fleet, and no password is guessable from it)
printf 'sqlite:%s/db/t1.db\npostgres://fleetuser:${FLEET_PW}@127.0.0.1:1/nodb\n' "$work" >"$work/tpw"
FLEET_PW=Fl33tS3cret r --targets "$work/tpw" --results "$work/pw1.json" status
FLEET_PW=0therS3cret r --targets "$work/tpw" --results "$work/pw2.json" status
want=$(printf '%s\n' "postgres://fleetuser:***@127.0.0.1:1/nodb" "sqlite:$work/db/t1.db" | LC_ALL=C sort | sha256sum | cut -c1-64)
[[ $(jq -r .targets_digest "$work/pw1.json") == "sha256:$want" && $(jq -r .targets_digest "$work/pw2.json") == "sha256:$want" ]] ||
    fail "targets_digest is not the redacted list's: $(jq -r .targets_digest "$work/pw1.json" "$work/pw2.json") want $want"
! grep -q 'S3cret' "$work/pw1.json" "$work/pw2.json" || fail "a password in a summary"
# g. --results that cannot be written: exit 2 before any target runs
printf 'sqlite:%s/db/new%d.db\n' "$work" 1 "$work" 2 >"$work/tnew"
"$DBMIG" --dir "$work/m" fleet --targets "$work/tnew" --results "$work/no/such/dir/r.json" upgrade >/dev/null 2>"$work/e.txt"; rc=$?
[[ $rc == 2 ]] && grep -q "cannot write --results $work/no/such/dir/r.json: No such file or directory (checked before anything runs)" "$work/e.txt" ||
    fail "--results in a missing folder: exit $rc $(cat "$work/e.txt")"
[[ ! -e $work/db/new1.db && ! -e $work/db/new2.db ]] || fail "targets ran although --results cannot be written"
#    nor over a file that is not a fleet summary (the targets file itself)
cp "$work/t30" "$work/t30.keep"
"$DBMIG" --dir "$work/m" fleet --targets "$work/t30" --results "$work/t30" status >/dev/null 2>"$work/e.txt"; rc=$?
[[ $rc == 2 ]] && grep -q "is the --targets file" "$work/e.txt" && cmp -s "$work/t30" "$work/t30.keep" ||
    fail "--results over the targets file: exit $rc $(cat "$work/e.txt")"
"$DBMIG" --dir "$work/m" fleet --targets "$work/t30" --results "$work/m/001_f1.sql" status >/dev/null 2>"$work/e.txt"; rc=$?
[[ $rc == 2 ]] && grep -q "001_f1.sql exists and is not a fleet summary" "$work/e.txt" && grep -q "CREATE TABLE f1" "$work/m/001_f1.sql" ||
    fail "--results over a migration: exit $rc $(cat "$work/e.txt")"
# h. --results - is the JSON summary on standard output
(cd "$work" && "$DBMIG" --dir m fleet --targets t30 --shard 1/3 --results - status >"$work/dash.json" 2>/dev/null); rc=$?
[[ $rc == 0 && ! -e $work/- && $(jq -r '.state, .shard.index, .exit_code' "$work/dash.json" | tr '\n' ' ') == "finished 1 0 " ]] ||
    fail "--results -: exit $rc, file '-': $(ls "$work/-" 2>&1), $(head -c 200 "$work/dash.json")"
# i. a run that fails before its targets: its JSON says so too
"$DBMIG" --format json fleet --targets "$work/nope" status >"$work/f.json" 2>/dev/null; rc=$?
[[ $rc == 2 && $(jq -r '.state, .exit_code' "$work/f.json" | tr '\n' ' ') == "failed 2 " ]] && jq -r .error "$work/f.json" | grep -q "cannot read --targets" ||
    fail "--format json of a failed run: exit $rc $(cat "$work/f.json")"
"$DBMIG" fleet --targets "$work/t30" --run-id "" status >/dev/null 2>"$work/e.txt"; rc=$?
[[ $rc == 2 ]] && grep -q -- "--run-id is empty" "$work/e.txt" || fail "--run-id '': exit $rc $(cat "$work/e.txt")"
"$DBMIG" fleet --merge-results "$work/q1.json" --targets "$work/t30" >/dev/null 2>"$work/e.txt"; rc=$?
[[ $rc == 2 ]] && grep -q -- "--targets belongs to the runs" "$work/e.txt" || fail "--targets after the files: exit $rc $(cat "$work/e.txt")"
set -e
echo "ok: stale, unfinished, failed and foreign shards refused; --results checked first; --results -"

# 5. Usage errors.
set +e
"$DBMIG" fleet --targets "$work/nope" status >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "missing targets file: want exit 2"
"$DBMIG" fleet --targets "$targets" stamp head >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "fleet stamp: want exit 2"
printf 'sqlite:${FLEET_UNSET_VAR}/x.db\n' >"$work/t3"
"$DBMIG" fleet --targets "$work/t3" status 2>"$work/e3" >/dev/null; [[ $? -eq 2 ]] || fail "unset \${VAR}: want exit 2"
set -e
grep -q "FLEET_UNSET_VAR" "$work/e3" || fail "unset variable not named"
echo "ok: fleet"
