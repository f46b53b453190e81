# Output that must be true (SPEC sections 4, 5 and 8): a revision is
# printed as applied only once it is committed; SIGINT/SIGTERM stop a run
# cleanly; every writing command answers --format json with a result a
# deploy pipeline can read, failures included. Sourced by run.sh.

# ---- helpers -----------------------------------------------------------------

# 001 creates table s; 002..004 each keep the database busy (~0.6 s) and
# then insert a row: DML only, so every driver runs them in a transaction.
_out_slow_chain() {
    mkmig "$MIG" 001_s "-- dbmig:up
CREATE TABLE s (id INTEGER);
-- dbmig:down
DROP TABLE s;"
    local i
    for i in 2 3 4; do
        mkmig "$MIG" "00${i}_slow$i" "-- dbmig:up
$(slow_sql 3000000)
INSERT INTO s VALUES ($i);
-- dbmig:down
DELETE FROM s WHERE id = $i;"
    done
}

# The revisions printed as "applied X" are exactly those in the version
# table: none claimed that is not committed, none committed unsaid.
_out_printed_applied_are_recorded() {
    local printed got
    printed=$(sed -n 's/^\(\[[0-9]*\/[0-9]*\] \)\{0,1\}applied \([^ ]*\) .*(.* ms)$/\2/p' "$T/err" | tr '\n' ' ' | sed 's/ $//')
    got=$(applied)
    [ "$printed" = "$got" ] || fail "stderr says applied '$printed' but the version table holds '$got'"
}

# _out_signal SIG COMMIT_INTERVAL: starts an upgrade of the slow chain,
# sends SIG while 003 runs, waits; RC is its exit code.
_out_signal() {
    _out_slow_chain
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval "$2" upgrade > "$T/out" 2> "$T/err" &
    local pid=$!
    BG_PIDS="$BG_PIDS $pid"
    wait_until 30 grep -q "applying 003" "$T/err"
    kill -"$1" "$pid"
    RC=0
    wait "$pid" || RC=$?
    printf '$ dbmig upgrade (%s while 003 ran)\n[exit %s]\n--- stderr\n%s\n' "$1" "$RC" "$(cat "$T/err")" >> "$T/.log"
}

# _out_jq FILTER what: stdout is ONE non-empty JSON document and FILTER
# holds (lib.sh's expect_jq alone passes on an empty stdout: `jq -e` on
# no input exits 0).
_out_jq() {
    [ -s "$T/out" ] || fail "${2:+$2: }stdout is empty, expected a JSON result; stderr: $(_snip "$T/err")"
    [ "$(jq -s length "$T/out" 2>/dev/null)" = 1 ] || fail "${2:+$2: }stdout is not one JSON document: $(_snip "$T/out")"
    expect_jq "$@"
}

# ---- SIGTERM and SIGINT -----------------------------------------------------------

# Kubernetes stops a migrating pod with SIGTERM: the open group is rolled
# back and named, nothing is claimed applied that is not, the lock is free.
m_output_sigterm_rolls_back_open_group() {
    _out_signal TERM 60000
    expect_exit 143 "SIGTERM"
    _out_printed_applied_are_recorded
    expect_contains err "rolled back 003"
    expect_contains err "stopped by SIGTERM"
    expect_contains err "rolled back, so not applied:"
    expect_not_contains err "applied 003"
    expect_not_contains err "applied 004"
    # the lock was released: a second upgrade runs at once
    dbm --lock-timeout 0 upgrade
    expect_exit 0 "upgrade after SIGTERM"
    expect_applied "001 002 003 004"
}

# Ctrl-C with a commit per migration: 002 stays applied (and is printed
# so), 003 is rolled back and named, exit 130.
m_output_sigint_keeps_committed() {
    _out_signal INT 0
    expect_exit 130 "SIGINT"
    _out_printed_applied_are_recorded
    expect_contains err "applied 002"
    expect_contains err "stopped by SIGINT"
    if [ "$DB_KIND" = mysql ]; then
        # no cancel there: 003, sent as one batch, runs to its end and commits
        expect_contains err "stopped before revision 004"
    else
        expect_contains err "rolled back 003"
        expect_applied "001 002"
    fi
    dbm --lock-timeout 0 upgrade
    expect_exit 0 "upgrade after SIGINT"
    expect_applied "001 002 003 004"
}

# ---- what a run prints -----------------------------------------------------------

# In a log: a line when each migration starts, one when it is committed,
# and a summary; -v adds every statement with its file:line and time.
m_output_progress_lines_and_summary() {
    mk_chain3 "$MIG"
    dbm -v upgrade
    expect_exit 0
    expect_contains err "applying 001 a"
    expect_contains err "applied 001 a ("
    expect_contains err "done: applied 3 revisions in "
    expect_contains err "001_a.sql:2  CREATE TABLE a"
    [ "$(grep -n 'applying 003' "$T/err" | cut -d: -f1)" -lt "$(grep -n 'applied 003' "$T/err" | cut -d: -f1)" ] ||
        fail "the start line of 003 must come before its applied line"
    dbm downgrade base
    expect_exit 0
    expect_contains err "done: reverted 3 revisions in "
}

# ---- --format json on each writing command ----------------------------------------

m_output_json_upgrade() {
    mk_chain3 "$MIG"
    dbm --format json upgrade
    expect_exit 0
    _out_jq '.command == "upgrade" and .ok == true and .exit_code == 0 and .target == "head"
               and ([.applied[].revision] == ["001", "002", "003"])
               and (.applied[0].duration_ms | type) == "number"
               and .applied[0].file != null and .rolled_back == [] and .failed == null
               and (.finished_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))' "upgrade JSON"
    expect_applied "001 002 003"
}

m_output_json_downgrade() {
    mk_chain3 "$MIG"
    dbm upgrade; expect_exit 0
    dbm --format json downgrade -2
    expect_exit 0
    _out_jq '.command == "downgrade" and .ok == true and ([.reverted[].revision] == ["003", "002"])' "downgrade JSON"
    expect_applied "001"
}

m_output_json_stamp() {
    mk_chain3 "$MIG"
    dbm --format json stamp 002
    expect_exit 0
    _out_jq '.command == "stamp" and .ok == true and .target == "002" and (.notices | length) >= 1' "stamp JSON"
    expect_applied "001 002"
    expect_no_table a "stamp runs no SQL"
}

m_output_json_repair() {
    mk_chain3 "$MIG"
    dbm upgrade; expect_exit 0
    printf -- '-- edited\n' >> "$MIG/002_b.sql"
    dbm --format json repair --checksums
    expect_exit 0
    _out_jq '.command == "repair" and .ok == true and ([.notices[].revision] | index("002") != null)' "repair JSON"
    dbm check; expect_exit 0 "check after repair"
}

# A migration that fails: exit 1, and the JSON says which revision, which
# file and line, the database's code and message; the rest is untouched.
m_output_json_failure_names_file_line() {
    mk_table "$MIG" 001_a a
    dbm upgrade; expect_exit 0
    mkmig "$MIG" 002_bad "-- dbmig:up
INSERT INTO nosuch_table VALUES (1);
-- dbmig:down
SELECT 1;"
    mistake 1 "002_bad.sql:2" -- --format json upgrade
    _out_jq '.ok == false and .exit_code == 1 and .failed.revision == "002"
               and .failed.line == 2 and .failed.statement == 1
               and (.failed.file | endswith("002_bad.sql"))
               and (.failed.error | test("nosuch_table"))
               and (.error | type) == "string" and .applied == []
               and .failed.dirty == false' "failure JSON"
    [ "$DB_KIND" = sqlite ] || _out_jq '.failed.code != null' "the database's code"
}

# A failure outside a transaction leaves the revision dirty: the JSON says
# so (failed.dirty), and the text line says FAILED ... left dirty.
m_output_json_failure_left_dirty() {
    mkmig "$MIG" 001_half "-- dbmig:transaction off
-- dbmig:up
CREATE TABLE half_done (id INTEGER);
INSERT INTO nosuch_table VALUES (1);"
    dbm --format json upgrade
    expect_exit 1 "a failure outside a transaction"
    expect_contains err "001_half.sql:4"
    _out_jq '.failed.revision == "001" and .failed.statement == 2 and .failed.dirty == true' \
        "failed.dirty outside a transaction"
    dbm repair --reverted 001; expect_exit 0
    dbm upgrade
    expect_exit 1
    expect_contains err "FAILED 001 half: left dirty with its progress recorded"
}

# A dry run in JSON lists the plan and changes nothing.
m_output_json_dry_run_plan() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 0 -- --format json --dry-run upgrade
    _out_jq '.dry_run == true and .ok == true and ([.plan[].revision] == ["002", "003"])
               and .plan[0].action == "apply" and .plan[0].statements == 1 and .applied == []' "dry-run JSON"
}

# Validation failures (exit 3) still give valid JSON with the reason.
m_output_json_validation_error() {
    mk_chain3 "$MIG"
    dbm upgrade 002; expect_exit 0
    printf -- '-- edited\n' >> "$MIG/001_a.sql"
    mistake 3 "edited" -- --format json upgrade
    _out_jq '.ok == false and .exit_code == 3 and (.error | test("repair --checksums"))' "validation JSON"
}

m_output_json_unknown_target() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 2 "nosuch" -- --format json upgrade nosuch
    _out_jq '.ok == false and .exit_code == 2 and (.error | test("nosuch"))' "usage JSON"
}

# --sql writes the script on stdout: JSON cannot share it.
m_output_sql_with_json_refused() {
    mk_chain3 "$MIG"
    mistake 2 "--format json" -- --format json --sql upgrade
}

# ---- status: counts that do not overlap, ISO timestamps -----------------------------

# A missing revision is not also pending, a dirty one not also applied:
# the counts add up to the total.
m_output_status_counts_do_not_overlap() {
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 003_c c
    dbm upgrade; expect_exit 0
    mk_table "$MIG" 002_b b                      # merged late: missing
    mkmig "$MIG" 004_d "-- dbmig:transaction off
-- dbmig:up
CREATE TABLE d (id INTEGER);
INSERT INTO nosuch_table VALUES (1);
-- dbmig:down
DROP TABLE d;"
    dbm upgrade --allow-missing 002
    expect_exit 0 "upgrade --allow-missing 002"
    dbm --format json status
    expect_exit 0
    _out_jq '.summary | .total == 4 and .applied == 3 and .missing == 0 and .pending == 1' "after applying 002"
    dbm upgrade
    expect_exit 1 "004 fails"
    dbm --format json status
    _out_jq '.summary | .total == 4 and .applied == 3 and .dirty == 1 and .pending == 0
               and (.applied + .pending + .dirty + .missing + .unknown) == .total' "dirty is not applied"
    _out_jq '[.revisions[] | select(.applied_at != null) | .applied_at
                | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$")] | all' "applied_at in ISO-8601 UTC"
}

m_output_status_missing_is_not_pending() {
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 003_c c
    dbm upgrade; expect_exit 0
    mk_table "$MIG" 002_b b
    mistake 0 "1 missing" "0 pending" -- status
    dbm --format json status
    _out_jq '.summary | .total == 3 and .applied == 2 and .missing == 1 and .pending == 0' "missing only"
}

# A pod stopped during a long statement: the statement is cancelled (the
# driver's optional cancel; PostgreSQL and SQLite), so the stop does not
# wait for its end (~10 s here) and nothing of it is applied.
m_output_sigterm_cancels_long_statement() {
    [ "$DB_KIND" = mysql ] && skip "the MySQL driver has no cancel: the stop waits for the statement's end (docs/transactions-and-locking.md)"
    # The cancel method is ABI 1.1: a plugin found first on the search path
    # (an older install) may not have it.
    local abi file
    abi=$("$DBMIG" --format json drivers 2>/dev/null | jq -r --arg d "$DRIVER" '.[] | select(.name == $d) | .abi' | head -1)
    file=$("$DBMIG" --format json drivers 2>/dev/null | jq -r --arg d "$DRIVER" '.[] | select(.name == $d) | .file' | head -1)
    case $abi in
        1.0) skip "the $DRIVER plugin found first ($file) is ABI 1.0, without the cancel method" ;;
    esac
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_long "-- dbmig:up
$(slow_sql 50000000)
CREATE TABLE b (id INTEGER);
-- dbmig:down
DROP TABLE b;"
    dbm upgrade 001; expect_exit 0
    "$DBMIG" --url "$URL" --dir "$MIG" upgrade > "$T/out" 2> "$T/err" &
    local pid=$! start end
    BG_PIDS="$BG_PIDS $pid"
    wait_until 30 grep -q "applying 002" "$T/err"
    sleep 0.3
    start=${EPOCHREALTIME/[.,]/}
    kill -TERM "$pid"
    RC=0
    wait "$pid" || RC=$?
    end=${EPOCHREALTIME/[.,]/}
    printf '$ dbmig upgrade (TERM during 002)\n[exit %s]\n--- stderr\n%s\n' "$RC" "$(cat "$T/err")" >> "$T/.log"
    expect_exit 143 "SIGTERM during a long statement"
    [ $(( (end - start) / 1000 )) -lt 5000 ] || fail "the stop waited $(( (end - start) / 1000 )) ms for the statement"
    expect_contains err "cancelled"
    expect_contains err "rolled back 002"
    expect_applied "001"
    expect_no_table b
}

# On a terminal a long migration shows a live line (revision, statement k/n,
# elapsed time), erased before the "applied" line; script(1) gives dbmig a
# pseudo-terminal.
m_output_tty_live_line() {
    command -v script > /dev/null || fail "script (util-linux) is needed for the terminal case"
    mkmig "$MIG" 001_slow "-- dbmig:up
CREATE TABLE a (id INTEGER);
$(slow_sql 5000000)
-- dbmig:down
DROP TABLE a;"
    RC=0
    script -qec "$(printf '%q ' "$DBMIG" --url "$URL" --dir "$MIG" upgrade)" /dev/null \
        < /dev/null > "$T/tty" 2>&1 || RC=$?
    expect_exit 0 "upgrade on a terminal"
    expect_contains "$T/tty" "[1/1] applying 001 slow"
    # statement k/n where statements are sent one at a time (PostgreSQL sends
    # a transactional migration as one text: no statement boundary to show)
    [ "$DB_KIND" = postgres ] || expect_contains "$T/tty" "statement 2/2"
    grep -q $'\r\033\\[K\\[1/1\\] applied 001 slow' "$T/tty" ||
        fail "the live line is not erased before the applied line: $(head -c 600 "$T/tty" | cat -v)"
    expect_contains "$T/tty" "done: applied 1 revision"
    expect_applied "001"
}
