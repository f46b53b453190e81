#!/usr/bin/env bash
# tests/zdt/example.postgres.sh — examples/zero-downtime (the guides'
# six-phase recipe: users.name becomes users.full_name) run step by step on
# PostgreSQL as examples/zero-downtime/README.md tells it, with an
# "application" writing rows through psql between and during the steps:
#   v1 in production (001) -> release 1: upgrade --phase pre (002), the
#   readiness gate, v1 still writing; deploy v2 (dual writes) writing while
#   upgrade --phase post runs the keyset backfill (003) and the NOT NULL
#   (004) -> release 2: upgrade --phase pre (005), deploy v3 (full_name
#   only), upgrade --phase post (006). After each release: check, and the
#   data (every row kept, full_name = name, NOT NULL, the helper constraint
#   gone, then users.name gone).
# Needs the -- dbmig:batch marker (SPEC section 14) for 003.
set -u
fails=0
fail() { echo "FAIL example.$TARGET $*"; fails=$((fails + 1)); }
EX=$DBMIG_SOURCE_DIR/examples/zero-downtime
pg() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -d "$URL" "$@"; }
OUT=$PWD/out
run() { # run CODE CASE CMD...
    local code=$1 case=$2
    shift 2
    "$@" >"$OUT.1" 2>"$OUT.2"
    local rc=$?
    cat "$OUT.1" "$OUT.2" >"$OUT"
    [ "$rc" = "$code" ] || { fail "$case: \`${*:2}\` exited $rc, not $code: $(head -c 2000 "$OUT")"; return 1; }
}
says() { # says CASE TEXT...
    local case=$1 t
    shift
    for t in "$@"; do
        grep -qF -- "$t" "$OUT" || fail "$case: output does not say '$t': $(head -c 2000 "$OUT")"
    done
}
is() { # is CASE SQL WANT: the query's one value
    local got
    got=$(pg -c "$2" 2>&1)
    [ "$got" = "$3" ] || fail "$1: \`$2\` gives '$got', not '$3'"
}
state() {
    "$DBMIG" --url "$URL" --dir m --format json status 2>/dev/null |
        jq -r --arg r "$1" '.revisions[] | select(.revision == $r) | .state + " " + .phase'
}
is_state() { # is_state CASE REV "STATE PHASE"
    local s
    s=$(state "$2")
    [ "$s" = "$3" ] || fail "$1: $2 is '$s', not '$3'"
}
# writer VERSION N: the application's writes, N of them, one every 10 ms,
# each committed alone (v1: name only; v2: both columns, and renames that
# keep them equal; v3: full_name only)
writer() {
    local v=$1 n=$2 i
    for ((i = 1; i <= n; i++)); do
        case $v in
            v1) echo "INSERT INTO users (name) VALUES ('v1 user $i');" ;;
            v2) echo "INSERT INTO users (name, full_name) VALUES ('v2 user $i', 'v2 user $i');"
                echo "UPDATE users SET name = 'renamed $i', full_name = 'renamed $i' WHERE id = $((i * 37));" ;;
            v3) echo "INSERT INTO users (full_name) VALUES ('v3 user $i');" ;;
        esac
        echo "SELECT pg_sleep(0.01);"
    done | pg >/dev/null
}
# The commands of the README (--ddl-lock-timeout 2s: recommended practice)
D=("$DBMIG" --url "$URL" --dir m --ddl-lock-timeout 2s)
mkdir -p m

# --- production before the change: v1 and 20,000 users
cp "$EX/migrations/001_create_users.sql" m/
run 0 v1_schema "${D[@]}" upgrade
pg -c "INSERT INTO users (name) SELECT 'user ' || i FROM generate_series(1, 20000) AS g(i)" ||
    fail "v1_rows: cannot insert"

# --- release 1 ships 002..004
cp "$EX"/migrations/00[234]_*.sql m/
run 0 r1_pre "${D[@]}" --phase pre upgrade &&
    says r1_pre "applied 002" "--phase pre leaves out 2 post-deployment revisions: 003, 004"
is_state r1_pre 002 "applied pre"
is_state r1_pre 003 "pending post"
is_state r1_pre 004 "pending post"
is r1_pre "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name' AND is_nullable = 'YES'" 1
run 0 r1_ready "${D[@]}" --phase pre check &&
    says r1_ready "note: 2 post-deployment revisions pending (003, 004)"
run 3 r1_not_done "${D[@]}" check
# v1 still runs (it knows nothing of full_name) until the deploy
writer v1 20 || fail "r1_v1: v1 cannot write after the pre migrations"

# --- deploy v2 (dual writes); the post migrations run while it writes
writer v2 300 &
app=$!
sleep 0.5
run 0 r1_post "${D[@]}" --phase post upgrade && says r1_post "applied 003" "batches" "applied 004"
wait "$app" || fail "r1_v2: the v2 writer failed while the post migrations ran"
run 0 r1_check "${D[@]}" check
is r1_rows "SELECT count(*) FROM users" $((20000 + 20 + 300))
is r1_backfill "SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name" 0
is r1_renamed "SELECT count(*) FROM users WHERE name LIKE 'renamed %' AND full_name = name" 300
is r1_not_null "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name'" NO
is r1_helper_gone "SELECT count(*) FROM pg_constraint WHERE conname = 'users_full_name_not_null'" 0
is_state r1_post 003 "applied post"
is_state r1_post 004 "applied post"

# --- release 2 ships 005 and 006
cp "$EX"/migrations/00[56]_*.sql m/
run 0 r2_pre "${D[@]}" --phase pre upgrade &&
    says r2_pre "applied 005" "--phase pre leaves out 1 post-deployment revision: 006"
run 0 r2_ready "${D[@]}" --phase pre check && says r2_ready "(006)"
# v2 still runs until the deploy; then v3 writes full_name only
writer v2 10 || fail "r2_v2: v2 cannot write after the pre migration"
writer v3 50 || fail "r2_v3: v3 cannot write (is users.name still NOT NULL?)"
run 0 r2_post "${D[@]}" --phase post upgrade && says r2_post "applied 006"
run 0 r2_check "${D[@]}" check
writer v3 10 || fail "r2_v3_after: v3 cannot write after the drop"
is r2_name_gone "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'" 0
is r2_rows "SELECT count(*) FROM users" $((20000 + 20 + 300 + 10 + 50 + 10))
is r2_full "SELECT count(*) FROM users WHERE full_name IS NULL" 0
is r2_v1 "SELECT count(*) FROM users WHERE full_name LIKE 'v1 user %'" 20
is_state r2_post 006 "applied post"

exit $((fails > 0))
