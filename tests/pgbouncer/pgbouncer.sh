#!/usr/bin/env bash
# tests/pgbouncer/pgbouncer.sh — the lease lock through PgBouncer in
# transaction-pooling mode.
#   scripts/pgbouncer.sh run bash tests/pgbouncer/pgbouncer.sh
# Needs DBMIG (the CLI), DBMIG_TEST_PGBOUNCER_URL, DBMIG_TEST_PGBOUNCER_POOL1_URL
# and DBMIG_TEST_PG_URL (set by scripts/pgbouncer.sh).
#
#  0. The cause: through a transaction pool a session advisory lock belongs to
#     whichever server connection ran the statement, not to the client: two
#     different clients through a pool of one server connection are BOTH
#     granted pg_try_advisory_lock(k), and the lock outlives the client.
#  1. 8 processes run `upgrade head --lock lease` at once through PgBouncer
#     (pool of 4 server connections for 16 client connections: each process
#     has a second one to renew the lease), against a folder whose first
#     revision is slow: all exit 0 and every revision is applied exactly once.
#  2. Documentation, not a requirement: the same with `--lock session` (the
#     default). The outcome is printed (exit codes, how often each revision
#     ran, advisory locks left behind on pooled server connections); the test
#     only asserts that the run did not leave the database inconsistent.
set -uo pipefail
: "${DBMIG:?path to the dbmig binary}"
: "${DBMIG_TEST_PGBOUNCER_URL:?run me through scripts/pgbouncer.sh run}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
direct() { psql "$DBMIG_TEST_PG_URL" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
t_start=$(now_ms)

# ---- 0. the cause ------------------------------------------------------------
a=$(psql "$DBMIG_TEST_PGBOUNCER_POOL1_URL" -X -At -c "SELECT pg_try_advisory_lock(4242)")
b=$(psql "$DBMIG_TEST_PGBOUNCER_POOL1_URL" -X -At -c "SELECT pg_try_advisory_lock(4242)")
left=$(direct -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242")
if [[ "$a" == t && "$b" == t && "$left" == 1 ]]; then
    ok "transaction pooling: two clients were both granted advisory lock 4242, which outlived both"
else
    fail "expected both clients to get advisory lock 4242 through a pool of one (got '$a' '$b', $left left)"
fi

# ---- the migrations: 6 revisions logging who ran them; 001 is slow -----------
mkdir -p "$work/m"
cat >"$work/m/001_base.sql" <<'EOF'
-- dbmig:up
CREATE TABLE b_log (id SERIAL PRIMARY KEY, rev TEXT NOT NULL, backend INT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp());
INSERT INTO b_log (rev, backend) VALUES ('001', pg_backend_pid());
SELECT pg_sleep(2);
CREATE TABLE b1 (id INT PRIMARY KEY);
-- dbmig:down
DROP TABLE b1;
DROP TABLE b_log;
EOF
for i in 2 3 4 5; do
    cat >"$work/m/00${i}_b$i.sql" <<EOF
-- dbmig:up
CREATE TABLE b$i (id INT PRIMARY KEY);
INSERT INTO b_log (rev, backend) VALUES ('00$i', pg_backend_pid());
-- dbmig:down
DROP TABLE b$i;
EOF
done
cat >"$work/m/006_idx.sql" <<'EOF'
-- dbmig:transaction off
-- dbmig:up
CREATE INDEX CONCURRENTLY b1_id ON b1 (id);
INSERT INTO b_log (rev, backend) VALUES ('006', pg_backend_pid());
-- dbmig:down
DROP INDEX b1_id;
EOF
nrev=6

# run8 NAME URL [dbmig options...]: 8 processes at once; rc and stderr of
# each in $work/NAME.K.{rc,err}.
run8() {
    local name=$1 url=$2; shift 2
    local pids=() k
    for k in 1 2 3 4 5 6 7 8; do
        (
            "$DBMIG" --url "$url" --dir "$work/m" "$@" upgrade head >"$work/$name.$k.out" 2>"$work/$name.$k.err"
            echo $? >"$work/$name.$k.rc"
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
}

# Each case in a database of its own, reached through PgBouncer's `*` entry.
base=${DBMIG_TEST_PGBOUNCER_URL%/*}
# (as the superuser, over the server's unix socket: pg-server.sh trusts it)
for d in dbmig_lease dbmig_session; do
    psql -X -q -h "$PG_SERVER_SOCKET" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE $d OWNER $PGUSER" || fail "cannot create database $d"
done

# ---- 1. --lock lease -------------------------------------------------------------
t=$(now_ms)
run8 lease "$base/dbmig_lease" --lock lease --lease-seconds 10 --lock-timeout 60
ms=$(($(now_ms) - t))
bad=0
for f in "$work"/lease.*.rc; do
    [[ $(cat "$f") == 0 ]] || { fail "lease: ${f##*/} exited $(cat "$f"): $(tail -n 3 "${f%.rc}.err")"; bad=1; }
done
ldb() { psql "${DBMIG_TEST_PG_URL%/*}/$1" -X -q -At -v ON_ERROR_STOP=1 -c "$2"; }
counts=$(ldb dbmig_lease "SELECT string_agg(rev || '=' || n, ' ' ORDER BY rev) FROM (SELECT rev, count(*) n FROM b_log GROUP BY rev) s")
want="001=1 002=1 003=1 004=1 005=1 006=1"
[[ "$counts" == "$want" ]] || { fail "lease: revisions not applied exactly once: '$counts' (want '$want')"; bad=1; }
rows=$(ldb dbmig_lease "SELECT count(*) || ' ' || count(*) FILTER (WHERE dirty) FROM dbmig_version")
[[ "$rows" == "$nrev 0" ]] || { fail "lease: version table (rows dirty) = ($rows), want ($nrev 0)"; bad=1; }
"$DBMIG" --url "$base/dbmig_lease" --dir "$work/m" --lock lease check >/dev/null 2>&1 || { fail "lease: check not clean"; bad=1; }
waited=$(grep -l "waiting up to .* for the lease lock held by pid" "$work"/lease.*.err | wc -l)
((waited > 0)) || { fail "lease: no process said it waited for the lease"; bad=1; }
leases=$(ldb dbmig_lease "SELECT count(*) FROM dbmig_version_lock")
[[ "$leases" == 0 ]] || { fail "lease: $leases lease row(s) left behind"; bad=1; }
[[ $bad == 0 ]] && ok "lease: 8 processes through PgBouncer (transaction pooling), all exit 0, each of the $nrev revisions applied once, $waited waited, no lease left ($ms ms)"

# ---- 2. --lock session: documentation ------------------------------------------
t=$(now_ms)
run8 session "$base/dbmig_session" --lock session --lock-timeout 8
ms=$(($(now_ms) - t))
codes=$(cat "$work"/session.*.rc | sort | uniq -c | awk '{printf "%s x exit %s, ", $1, $2}')
counts=$(ldb dbmig_session "SELECT coalesce(string_agg(rev || '=' || n, ' ' ORDER BY rev), '(none)') FROM (SELECT rev, count(*) n FROM b_log GROUP BY rev) s" 2>/dev/null || echo '(no b_log)')
stale=$(direct -c "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = 'dbmig_session'")
errs=$(cat "$work"/session.*.err | grep -o "was not released within\|duplicate key\|already exists\|is dirty\|could not obtain\|advisory lock [^ ]* is not held" | sort | uniq -c | tr '\n' ' ' | tr -s ' ')
echo "   session through PgBouncer (documentation, $ms ms): ${codes}revisions: $counts; advisory locks left on pooled server connections: $stale; errors: [${errs}]"
# whatever happened, what is recorded must match what ran. Both queries must
# succeed and something must have run: when every process failed before
# running anything (no b_log, no version table), two empty answers are equal
# but prove nothing.
ok0=$(grep -lx 0 "$work"/session.*.rc | wc -l)
vrows=$(ldb dbmig_session "SELECT string_agg(revision, ' ' ORDER BY revision) FROM dbmig_version WHERE NOT dirty" 2>&1) ||
    fail "session: cannot read the version table: $vrows"
logged=$(ldb dbmig_session "SELECT string_agg(DISTINCT rev, ' ' ORDER BY rev) FROM b_log" 2>&1) ||
    fail "session: cannot read b_log: $logged"
if ((ok0 == 0)); then
    fail "session: none of the 8 processes exited 0 ($codes): $(cat "$work"/session.1.err | head -c 300)"
elif [[ -z "$logged" ]]; then
    fail "session: $ok0 process(es) exited 0 but no revision ran"
elif [[ "$vrows" == "$logged" ]]; then
    ok "session: the version table lists exactly the revisions that ran ($vrows)"
else
    fail "session: version table [$vrows] vs revisions that ran [$logged]"
fi

echo "pgbouncer: $(($(now_ms) - t_start)) ms"
if ((fails)); then
    echo "pgbouncer: $fails FAILED"
    exit 1
fi
echo "pgbouncer: all passed"
