#!/usr/bin/env bash
# tests/wait/kubernetes.sh — examples/kubernetes, without kubectl or a
# cluster (none in CI): k8s_check.py parses every manifest (PyYAML) and
# checks its structure (see there: what is checked, and that it is not the
# API server's validation); then every dbmig command line of the manifests
# and of the README's code blocks goes through the real parser (`... --help`
# exits 0 only when every option is known and well placed), and the
# manifests' own command lines run, as the pods would, on SQLite against the
# ConfigMap's migrations laid out as the kubelet mounts them:
#   1. job.yaml + deployment.yaml: the init container's `wait` started first
#      waits (still running), the Job's `upgrade` runs, the wait exits 0;
#   2. job-pre.yaml, job-post.yaml: after the pre Job, the init container's
#      wait with --phase pre (as README.md says to add) is ready at once
#      while the plain one keeps waiting for the post revision; the post
#      Job ends that wait.
#
#   DBMIG=build/dbmig bash tests/wait/kubernetes.sh
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EX=${DBMIG_SOURCE_DIR:-$HERE/../..}/examples/kubernetes
: "${DBMIG:?DBMIG must name the dbmig binary}"
command -v jq > /dev/null || { echo "FAIL: jq is required"; exit 1; }
python3 -c 'import yaml' 2> /dev/null ||
    { echo "FAIL: PyYAML is missing: install python3-yaml (scripts/deps.sh)"; exit 1; }
W=$(mktemp -d)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -9 "$p" 2> /dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

python3 "$HERE/k8s_check.py" "$EX" "$W" || fails=$((fails + 1))
[ -s "$W/commands.tsv" ] || { echo "FAIL: no dbmig command line found"; exit 1; }

# ARGV of the command line of FILE (job.yaml, ...): the JSON argv of
# commands.tsv with dbmig -> $DBMIG and /migrations -> the mounted ConfigMap.
declare -a ARGV
argv_of() {
    local line cm
    line=$(awk -F'\t' -v f="$1" 'index($1, f "#") == 1' "$W/commands.tsv" | head -n 1)
    [ -n "$line" ] || { fail "no dbmig command line in $1"; return 1; }
    cm=$(cut -f3 <<< "$line")
    mapfile -t ARGV < <(cut -f4- <<< "$line" | jq -r '.[]')
    local i
    for i in "${!ARGV[@]}"; do
        [ "${ARGV[$i]}" = dbmig ] && ARGV[$i]=$DBMIG
        [ "${ARGV[$i]}" = /migrations ] && ARGV[$i]=$W/cm/$cm
    done
    return 0
}

# ---- every command line through the parser ----------------------------------
n=0
while IFS=$'\t' read -r where _ _ json; do
    mapfile -t a < <(jq -r '.[]' <<< "$json")
    if out=$("$DBMIG" "${a[@]:1}" --help 2>&1); then
        n=$((n + 1))
    else
        fail "$where: the parser refuses: ${a[*]}: $(head -n 2 <<< "$out")"
    fi
done < "$W/commands.tsv"
while read -r json; do
    mapfile -t a < <(jq -r '.[]' <<< "$json")
    if out=$("$DBMIG" "${a[@]:1}" --help 2>&1); then
        n=$((n + 1))
    else
        fail "README.md: the parser refuses: ${a[*]}: $(head -n 2 <<< "$out")"
    fi
done < "$W/readme.txt"
ok "$n command lines (manifests and README.md) accepted by the parser"

# ---- 1. the Job and the init container ---------------------------------------
alive() { kill -0 "$1" 2> /dev/null; }
# reap PID: its exit code in rc, waiting at most 10 s (then it is killed,
# rc 124: a wait whose Job never ran must not hold the test for 5 minutes)
reap() {
    local i
    for ((i = 0; i < 100; i++)); do
        alive "$1" || break
        sleep 0.1
    done
    alive "$1" && kill -9 "$1"
    rc=0
    wait "$1" 2> /dev/null || rc=$?
    ((i < 100)) || rc=124
}
export DATABASE_URL="sqlite:$W/simple.db"
if argv_of deployment.yaml; then
    WAIT=("${ARGV[@]}")
    "${WAIT[@]}" > "$W/wait1.out" 2> "$W/wait1.err" &
    wpid=$!
    PIDS+=("$wpid")
    sleep 0.7
    alive "$wpid" || fail "the init container's wait ended before the Job ran: $(cat "$W/wait1.err")"
    grep -q "the database does not exist yet" "$W/wait1.err" ||
        fail "the init container's wait does not say what it waits for: $(cat "$W/wait1.err")"
    if argv_of job.yaml; then
        "${ARGV[@]}" > "$W/job.out" 2>&1 || fail "job.yaml's upgrade: $(cat "$W/job.out")"
    fi
    reap "$wpid"
    [ "$rc" = 0 ] && grep -q "ready: nothing pending, 3 revisions applied" "$W/wait1.out" &&
        ok "deployment.yaml's init container waited for job.yaml's upgrade, then exit 0" ||
        fail "the init container's wait after the Job: exit $rc: $(cat "$W/wait1.out" "$W/wait1.err")"
fi

# ---- 2. the two phases -----------------------------------------------------------
export DATABASE_URL="sqlite:$W/phases.db"
if argv_of job-pre.yaml; then
    "${ARGV[@]}" > "$W/pre.out" 2>&1 || fail "job-pre.yaml's upgrade: $(cat "$W/pre.out")"
    # deployment.yaml's wait, with --phase pre added as README.md says
    pre=()
    for a in "${WAIT[@]}"; do
        pre+=("$a")
        [ "$a" = wait ] && pre+=(--phase pre)
    done
    if "${pre[@]}" > "$W/wpre.out" 2>&1 &&
        grep -q "1 post-deployment revision pending (003)" "$W/wpre.out"; then
        ok "after job-pre.yaml, the init container's wait --phase pre is ready"
    else
        fail "wait --phase pre after job-pre.yaml: $(cat "$W/wpre.out")"
    fi
    "${WAIT[@]}" > "$W/wait2.out" 2> "$W/wait2.err" &
    wpid=$!
    PIDS+=("$wpid")
    sleep 0.5
    alive "$wpid" || fail "the plain wait did not wait for the post revision: $(cat "$W/wait2.err")"
    if argv_of job-post.yaml; then
        "${ARGV[@]}" > "$W/post.out" 2>&1 || fail "job-post.yaml's upgrade: $(cat "$W/post.out")"
    fi
    reap "$wpid"
    [ "$rc" = 0 ] && ok "job-post.yaml applied 003; the plain wait then exit 0" ||
        fail "the plain wait after job-post.yaml: exit $rc: $(cat "$W/wait2.err")"
fi

((fails == 0)) || { echo "$fails failure(s)"; exit 1; }
echo "ok: examples/kubernetes"
