#!/usr/bin/env bash
# tests/galera/galera.sh — the lease lock on a MariaDB Galera cluster.
#   scripts/galera-cluster.sh run bash tests/galera/galera.sh
# Needs DBMIG (the CLI) and DBMIG_TEST_GALERA_URL1..3 / _SOCKET1..3 (set by
# galera-cluster.sh). Each case works in a database of its own.
#
#  0. The cause: GET_LOCK is node-local — while node 1 holds a lock, node 2
#     is granted the same lock at once.
#  1. 9 processes (3 per node) run `upgrade head` at once against a folder
#     whose first revision is slow (3 s): every revision is applied exactly
#     once and all 9 exit 0 — with the lease chosen automatically (the driver
#     reports wsrep_on) and with `--lock lease` explicit. With `--lock session`
#     forced, the same run shows the problem: the first process on each node
#     gets "the" lock, so three processes migrate at once; the version row of
#     the slow revision (written dirty before its statements) collides across
#     nodes and some processes fail (duplicate key 1062, certification
#     conflict 1213 or "dirty revision") instead of waiting and exiting 0.
#     Galera's certification of that one row is what stops a double apply
#     there, not the lock; the test asserts the failure, which is
#     deterministic (every process starts inside the 3 s of the slow
#     revision), and reports how often each revision ran.
#  2. kill -9 of the lease holder in the middle of a slow statement: a
#     waiting process on another node does not take over while the holder is
#     alive, even though the statement runs longer than the lease (renewal);
#     it takes over only after the lease expired (the gap is measured and
#     must be >= what was left of the lease at the kill); the killed revision
#     is dirty; repair --reverted + upgrade complete it; check is clean.
#  3. Fencing: the lease row is handed to another token while the holder is
#     inside a statement; the holder's next version-table write is refused,
#     it stops (exit 1) and runs nothing more.
set -uo pipefail
: "${DBMIG:?path to the dbmig binary}"
: "${DBMIG_TEST_GALERA_URL3:?run me through scripts/galera-cluster.sh run}"
work=$(mktemp -d)
bgpids=()
cleanup() {
    local p
    for p in "${bgpids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

url() { # url NODE DB
    local u
    u=$(eval echo "\$DBMIG_TEST_GALERA_URL$1")
    echo "${u%/*}/$2"
}
# rootsql NODE [DB] — SQL on stdin or -e, as root over the node's socket, with
# causal reads (wsrep_sync_wait) so a read sees every write committed before.
rootsql() {
    local n=$1; shift
    local sock
    sock=$(eval echo "\$DBMIG_TEST_GALERA_SOCKET$n")
    mariadb --no-defaults --socket="$sock" -uroot -N -B --init-command="SET SESSION wsrep_sync_wait=1" "$@"
}

# ---- the migrations -------------------------------------------------------
# m1: 6 revisions; each writes one row to g_log (which node, which
# connection) so a revision applied twice shows as two rows. 001 is slow.
mkdir -p "$work/m1" "$work/m2"
cat >"$work/m1/001_base.sql" <<'EOF'
-- dbmig:up
CREATE TABLE IF NOT EXISTS g_log (id INT AUTO_INCREMENT PRIMARY KEY, rev VARCHAR(16) NOT NULL, node VARCHAR(64), conn BIGINT);
INSERT INTO g_log (rev, node, conn) VALUES ('001', @@wsrep_node_name, CONNECTION_ID());
SELECT SLEEP(3);
CREATE TABLE g1 (id INT PRIMARY KEY);
-- dbmig:down
DROP TABLE g1;
DROP TABLE g_log;
EOF
for i in 2 3 4 5; do
    cat >"$work/m1/00${i}_g$i.sql" <<EOF
-- dbmig:up
CREATE TABLE g$i (id INT PRIMARY KEY);
INSERT INTO g_log (rev, node, conn) VALUES ('00$i', @@wsrep_node_name, CONNECTION_ID());
-- dbmig:down
DROP TABLE g$i;
EOF
done
cat >"$work/m1/006_data.sql" <<'EOF'
-- dbmig:up
INSERT INTO g1 (id) VALUES (1);
INSERT INTO g_log (rev, node, conn) VALUES ('006', @@wsrep_node_name, CONNECTION_ID());
-- dbmig:down
DELETE FROM g1 WHERE id = 1;
EOF
nrev=6

# 9 processes, 3 per node, at once: run9 NAME DB [dbmig options...]
# Leaves rc and stderr of each in $work/NAME.{N-K}.{rc,err}.
run9() {
    local name=$1 db=$2; shift 2
    local pids=() n k
    for n in 1 2 3; do
        for k in 1 2 3; do
            (
                "$DBMIG" --url "$(url "$n" "$db")" --dir "$work/m1" --lock-timeout 90 "$@" upgrade head \
                    >"$work/$name.$n-$k.out" 2>"$work/$name.$n-$k.err"
                echo $? >"$work/$name.$n-$k.rc"
            ) &
            pids+=($!)
        done
    done
    wait "${pids[@]}"
}

# exactly_once NAME DB: all 9 exited 0, each revision ran once, clean state.
exactly_once() {
    local name=$1 db=$2 f bad=0
    for f in "$work/$name".*.rc; do
        if [[ $(cat "$f") != 0 ]]; then
            fail "$name: process ${f##*/} exited $(cat "$f"): $(tail -n 3 "${f%.rc}.err")"
            bad=1
        fi
    done
    local counts
    counts=$(rootsql 3 "$db" -e "SELECT rev, COUNT(*) FROM g_log GROUP BY rev ORDER BY rev" | tr '\t\n' '= ')
    local want
    want=$(for i in $(seq 1 $nrev); do printf '00%d=1 ' "$i"; done)
    [[ "$counts" == "$want" ]] || { fail "$name: revisions not applied exactly once: $counts (want $want)"; bad=1; }
    local rows
    rows=$(rootsql 2 "$db" -e "SELECT COUNT(*), COALESCE(SUM(dirty), 0) FROM dbmig_version" | tr '\t' ' ')
    [[ "$rows" == "$nrev 0" ]] || { fail "$name: version table has (rows, dirty) = ($rows), want ($nrev 0)"; bad=1; }
    "$DBMIG" --url "$(url 1 "$db")" --dir "$work/m1" check >/dev/null 2>&1 || { fail "$name: check is not clean"; bad=1; }
    local nodes
    nodes=$(rootsql 1 "$db" -e "SELECT GROUP_CONCAT(DISTINCT node ORDER BY node) FROM g_log")
    [[ $bad == 0 ]] && ok "$name: 9 processes on 3 nodes, all exit 0, each of the $nrev revisions applied once (by $nodes)"
}

t_start=$(now_ms)

# ---- 0. GET_LOCK is node-local --------------------------------------------
rootsql 1 -e "SELECT GET_LOCK('dbmig_demo', 0), SLEEP(3)" >"$work/getlock1" 2>&1 &
bgpids+=($!)
sleep 0.5
got=$(rootsql 2 -e "SELECT GET_LOCK('dbmig_demo', 0)" 2>&1)
held=$(rootsql 1 -e "SELECT IS_USED_LOCK('dbmig_demo') IS NOT NULL" 2>&1)
if [[ "$got" == 1 && "$held" == 1 ]]; then
    ok "GET_LOCK is node-local: node 2 was granted 'dbmig_demo' while node 1 held it"
else
    fail "expected node 2 to get the lock node 1 holds (Galera: GET_LOCK is node-local): node2=$got node1 holds=$held"
fi

# ---- 1a. lease chosen automatically ---------------------------------------
rootsql 1 -e "CREATE DATABASE dbmig_ga; CREATE DATABASE dbmig_gl; CREATE DATABASE dbmig_gs; CREATE DATABASE dbmig_gk"
t=$(now_ms)
run9 auto dbmig_ga
echo "   (auto: $(($(now_ms) - t)) ms)"
exactly_once auto dbmig_ga
n_auto=$(grep -l "using the lease lock" "$work"/auto.*.err | wc -l)
if [[ $n_auto == 9 ]]; then
    ok "auto: all 9 processes chose the lease lock (the server reports wsrep_on)"
else
    fail "auto: only $n_auto of 9 processes said 'using the lease lock': the mysql driver must report DBMIG_CAP_SESSION_LOCK_UNSAFE from conn_caps() when @@wsrep_on = ON"
fi
grep -q "waiting up to .* for the lease lock held by pid" "$work"/auto.*.err ||
    fail "auto: no process said it waited for the lease (and for whom)"

# ---- 1b. --lock lease explicit --------------------------------------------
t=$(now_ms)
run9 lease dbmig_gl --lock lease --lease-seconds 10
echo "   (lease: $(($(now_ms) - t)) ms)"
exactly_once lease dbmig_gl

# ---- 1c. --lock session forced: the problem -------------------------------
# On a loaded machine the 9 processes may start so far apart that they do
# not overlap within the 3 s first revision: one more round, in a fresh
# database, before calling it a failure.
for round in 1 2; do
    sdb=dbmig_gs; ((round == 1)) || { sdb=dbmig_gs$round; rootsql 1 -e "CREATE DATABASE $sdb"; rm -f "$work"/session.*; }
    t=$(now_ms)
    run9 session "$sdb" --lock session
    nfail=0
    for f in "$work"/session.*.rc; do [[ $(cat "$f") != 0 ]] && nfail=$((nfail + 1)); done
    counts=$(rootsql 3 "$sdb" -e "SELECT rev, COUNT(*), GROUP_CONCAT(node) FROM g_log GROUP BY rev ORDER BY rev" | tr '\t' ' ' | paste -sd ';')
    twice=$(rootsql 3 "$sdb" -e "SELECT COUNT(*) FROM (SELECT rev FROM g_log GROUP BY rev HAVING COUNT(*) > 1) d")
    echo "   (session round $round: $(($(now_ms) - t)) ms; $nfail of 9 failed; revisions applied more than once: $twice; per revision: $counts)"
    why=$(cat "$work"/session.*.err | grep -o "1062\|1213\|Duplicate entry\|Deadlock\|is dirty\|problem(s) found" | sort | uniq -c | tr '\n' ' ' | tr -s ' ')
    [[ "$twice" =~ ^[0-9]+$ ]] && { ((twice > 0)) || { ((nfail > 0)) && [[ -n "$why" ]]; }; } && break
done
if [[ "$twice" =~ ^[0-9]+$ ]] && { ((twice > 0)) || { ((nfail > 0)) && [[ -n "$why" ]]; }; }; then
    ok "session (forced) does not exclude across nodes: $nfail of 9 processes failed, $twice revision(s) applied twice [${why}]"
else
    fail "session (forced): every process exited 0 and nothing ran twice, yet 3 nodes each granted the lock; the overlap should be certain with a 3 s first revision — look at $work/session.*.err"
fi

# ---- 2. kill -9 of the lease holder ---------------------------------------
cat >"$work/m2/001_k.sql" <<'EOF'
-- dbmig:up
CREATE TABLE k_conf (secs INT NOT NULL);
INSERT INTO k_conf (secs) VALUES (120);
-- dbmig:down
DROP TABLE k_conf;
EOF
cat >"$work/m2/002_slow.sql" <<'EOF'
-- dbmig:up
CREATE TABLE k1 (id INT PRIMARY KEY);
SELECT SLEEP((SELECT secs FROM k_conf));
CREATE TABLE k2 (id INT PRIMARY KEY);
-- dbmig:down
DROP TABLE k2;
DROP TABLE k1;
EOF
cat >"$work/m2/003_k3.sql" <<'EOF'
-- dbmig:up
CREATE TABLE k3 (id INT PRIMARY KEY);
-- dbmig:down
DROP TABLE k3;
EOF
lease=6
U1=$(url 1 dbmig_gk)
U2=$(url 2 dbmig_gk)
U3=$(url 3 dbmig_gk)
"$DBMIG" --url "$U1" --dir "$work/m2" --lock lease --lease-seconds $lease upgrade head >/dev/null 2>"$work/a.err" &
apid=$!
bgpids+=("$apid")
# wait until A is inside the slow statement (002 dirty, 1 statement done)
inside=0
for _ in $(seq 1 600); do
    st=$(rootsql 1 dbmig_gk -e "SELECT CONCAT(dirty, ':', progress) FROM dbmig_version WHERE revision = '002'" 2>/dev/null)
    [[ "$st" == "1:1" ]] && { inside=1; break; }
    sleep 0.05
done
if [[ $inside != 1 ]]; then
    fail "kill: the holder never reached the slow statement: $(cat "$work/a.err")"
else
    # B on node 2 waits; its stderr lines are time-stamped as they come
    (
        "$DBMIG" --url "$U2" --dir "$work/m2" --lock lease --lease-seconds $lease --lock-timeout 60 upgrade head 2>&1 >/dev/null |
            while IFS= read -r line; do echo "$(now_ms) $line"; done >"$work/b.err"
        echo "${PIPESTATUS[0]}" >"$work/b.rc"
    ) &
    bpid=$!
    bgpids+=("$bpid")
    # The holder's statement outlasts the lease: renewal must keep it. (The
    # extra .5 s puts the kill between two renewals: part of the lease is gone.)
    sleep "$((lease + 2)).5"
    if grep -q "took over" "$work/b.err" || [[ -f "$work/b.rc" ]]; then
        fail "kill: B took the lease while the holder was alive (renewal failed): $(cat "$work/b.err")"
    elif ! grep -q "waiting up to .* for the lease lock held by pid $apid" "$work/b.err"; then
        fail "kill: B does not say it waits for pid $apid: $(cat "$work/b.err")"
    else
        ok "kill: the holder's statement ran $((lease + 2)).5 s > the ${lease} s lease and B (node 2) kept waiting"
    fi
    kill -KILL "$apid"
    t_kill=$(now_ms)
    { wait "$apid"; } 2>/dev/null
    left=$(rootsql 2 dbmig_gk -e "SELECT expires_at - CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) FROM dbmig_version_lock WHERE id = 'dbmig'")
    t_q=$(now_ms)
    wait "$bpid"
    take_line=$(grep "took over an expired lease lock" "$work/b.err" | head -n 1)
    b_rc=$(cat "$work/b.rc" 2>/dev/null || echo '?')
    if [[ -z "$take_line" ]]; then
        fail "kill: B never took over the lease (rc $b_rc): $(cat "$work/b.err")"
    else
        t_take=${take_line%% *}
        gap=$((t_take - t_kill))
        after=$((t_take - t_q))
        echo "   kill -9 at t=0; lease left at kill ~$((left + t_q - t_kill)) ms (${left} ms at t=$((t_q - t_kill))); B took over at t=${gap} ms"
        if ((after < left - 50)); then
            fail "kill: B took over ${after} ms after the query, but the lease still had ${left} ms"
        elif ((after > left + 6000)); then
            fail "kill: B took over ${after} ms after the query, ${left} ms were left: too slow"
        else
            ok "kill: takeover ${gap} ms after kill -9 (>= the ${left} ms left of the ${lease} s lease; waited $((after - left)) ms more)"
        fi
        [[ "$b_rc" == 3 ]] || fail "kill: B should stop with exit 3 on the dirty revision, got $b_rc: $(tail -n 5 "$work/b.err")"
        grep -q "002" "$work/b.err" && grep -q "dirty" "$work/b.err" ||
            fail "kill: B does not name the dirty revision 002: $(tail -n 5 "$work/b.err")"
    fi
    st=$(rootsql 2 dbmig_gk -e "SELECT CONCAT(revision, ':', dirty, ':', progress) FROM dbmig_version ORDER BY revision" | paste -sd ' ')
    [[ "$st" == "001:0:0 002:1:1" ]] || fail "kill: want 001 applied and 002 dirty after 1 statement, got: $st"
    # settle: undo statement 1 by hand, repair --reverted, then complete
    rootsql 2 dbmig_gk -e "DROP TABLE k1; UPDATE k_conf SET secs = 0"
    "$DBMIG" --url "$U2" --dir "$work/m2" --lock lease repair --reverted 002 >/dev/null 2>"$work/rep.err" ||
        fail "kill: repair --reverted 002: $(cat "$work/rep.err")"
    "$DBMIG" --url "$U3" --dir "$work/m2" upgrade head >/dev/null 2>"$work/up.err" ||
        fail "kill: upgrade after repair: $(cat "$work/up.err")"
    "$DBMIG" --url "$U1" --dir "$work/m2" check >"$work/check.out" 2>&1 ||
        fail "kill: check after the repair is not clean: $(cat "$work/check.out")"
    st=$(rootsql 1 dbmig_gk -e "SELECT CONCAT(revision, ':', dirty) FROM dbmig_version ORDER BY revision" | paste -sd ' ')
    tabs=$(rootsql 3 dbmig_gk -e "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'dbmig_gk' AND table_name LIKE 'k_'")
    lockrows=$(rootsql 3 dbmig_gk -e "SELECT COUNT(*) FROM dbmig_version_lock")
    if [[ "$st" == "001:0 002:0 003:0" && "$tabs" == "k1,k2,k3" && "$lockrows" == 0 ]]; then
        ok "kill: repair --reverted + upgrade: 001..003 applied, none dirty, k1 k2 k3 on every node, lease row released"
    else
        fail "kill: after repair: version=[$st] tables=[$tabs] lease rows=$lockrows"
    fi
fi

# ---- 3. fencing: a lease taken away mid-run ---------------------------------
# The holder is inside a 6 s statement when the lease row is given to someone
# else (as another process would after an expiry). Its next version-table
# write must be refused: it stops with exit 1, the revision stays dirty with
# the progress it had, and its remaining statement never runs.
mkdir -p "$work/m3"
sed 's/VALUES (120)/VALUES (6)/' "$work/m2/001_k.sql" >"$work/m3/001_k.sql"
cp "$work/m2/002_slow.sql" "$work/m2/003_k3.sql" "$work/m3/"
rootsql 1 -e "CREATE DATABASE dbmig_gf"
"$DBMIG" --url "$(url 1 dbmig_gf)" --dir "$work/m3" --lock lease --lease-seconds 30 upgrade head \
    >/dev/null 2>"$work/f.err" &
fpid=$!
bgpids+=("$fpid")
inside=0
for _ in $(seq 1 600); do
    st=$(rootsql 1 dbmig_gf -e "SELECT CONCAT(dirty, ':', progress) FROM dbmig_version WHERE revision = '002'" 2>/dev/null)
    [[ "$st" == "1:1" ]] && { inside=1; break; }
    sleep 0.05
done
if [[ $inside != 1 ]]; then
    fail "fence: the holder never reached the slow statement: $(cat "$work/f.err")"
else
    rootsql 3 dbmig_gf -e "UPDATE dbmig_version_lock SET token = 'stolen', holder = 'galera.sh' WHERE id = 'dbmig'"
    wait "$fpid"
    f_rc=$?
    st=$(rootsql 2 dbmig_gf -e "SELECT CONCAT(revision, ':', dirty, ':', progress) FROM dbmig_version ORDER BY revision" | paste -sd ' ')
    k2=$(rootsql 2 dbmig_gf -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'dbmig_gf' AND table_name IN ('k2', 'k3')")
    if [[ $f_rc == 1 && "$st" == "001:0:0 002:1:1" && "$k2" == 0 ]] && grep -q "lease" "$work/f.err"; then
        ok "fence: the holder whose lease was taken stopped (exit 1: $(grep -o 'the lease lock on [^(;]*' "$work/f.err" | head -n 1)...), 002 stays dirty at statement 1, k2/k3 never created"
    else
        fail "fence: rc $f_rc, version [$st], k2/k3 tables $k2: $(tail -n 3 "$work/f.err")"
    fi
fi

echo "galera: $(($(now_ms) - t_start)) ms"
if ((fails)); then
    echo "galera: $fails FAILED"
    exit 1
fi
echo "galera: all passed"
