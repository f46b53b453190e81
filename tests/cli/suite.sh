#!/usr/bin/env bash
# tests/cli/suite.sh — the dbmig command-line integration suite.
#
#   DBMIG=build/dbmig bash tests/cli/suite.sh            # SQLite
#   DBMIG=... DBMIG_TEST_DRIVER=postgres DBMIG_TEST_URL=postgres://u:p@h/scratch bash suite.sh
#
# One line per case (ok / FAIL with the reason / skip); exits 1 if any case
# failed. DBMIG_TEST_ONLY=regex runs a subset; DBMIG_TEST_VERBOSE=1 prints the
# commands of a failed case; DBMIG_TEST_KEEP=1 keeps the temp dirs.
# See lib.sh for the helpers.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# Snapshot of the version table (to prove a run changed nothing).
vt_snapshot() {
    table_exists "$VT" || { echo "<none>"; return; }
    db_query "SELECT revision, checksum, applied_at, seq, dirty FROM $VT ORDER BY seq"
}

# ---------------------------------------------------------------------------
# upgrade / downgrade / re-run

case_upgrade_downgrade_rerun() {
    mk_chain3 "$MIG"
    dbm upgrade head
    expect_exit 0 "upgrade head"
    expect_applied "001 002 003"
    expect_table a; expect_table b; expect_table c
    expect_contains err 001; expect_contains err 002; expect_contains err 003
    local before after
    before=$(vt_snapshot)
    dbm upgrade
    expect_exit 0 "re-run (default target head)"
    after=$(vt_snapshot)
    expect_eq "$after" "$before" "re-run must apply nothing"
    expect_not_contains err 003_c
    dbm upgrade head
    expect_exit 0 "second re-run"
    expect_eq "$(vt_snapshot)" "$before" "second re-run must apply nothing"

    dbm downgrade 001
    expect_exit 0 "downgrade 001"
    expect_applied "001"
    expect_table a; expect_no_table b; expect_no_table c
    dbm downgrade base
    expect_exit 0 "downgrade base"
    expect_applied ""
    expect_no_table a
    dbm upgrade head
    expect_exit 0 "upgrade after downgrade"
    expect_applied "001 002 003"
}

# The folder is read on a second thread first placed on another CPU than
# the caller's (core/thread.c); with a single CPU allowed there is none, and
# the thread starts as any other.
case_one_cpu() {
    mk_chain3 "$MIG"
    local c
    for c in "upgrade head" status "upgrade head"; do
        RC=0
        # shellcheck disable=SC2086
        taskset -c 0 "$DBMIG" --url "$URL" --dir "$MIG" $c >"$T/out" 2>"$T/err" || RC=$?
        expect_exit 0 "$c on one CPU"
    done
    expect_applied "001 002 003"
}

case_targets_relative() {
    mk_chain3 "$MIG"
    mk_table "$MIG" 004_d d
    dbm upgrade +1
    expect_exit 0 "upgrade +1"
    expect_applied "001"
    dbm upgrade 003
    expect_exit 0 "upgrade 003"
    expect_applied "001 002 003"
    dbm downgrade -2
    expect_exit 0 "downgrade -2"
    expect_applied "001"
    expect_no_table b; expect_table a
    dbm upgrade head
    expect_exit 0
    dbm downgrade -1
    expect_exit 0 "downgrade -1"
    expect_applied "001 002 003"
    expect_no_table d
    dbm downgrade -9
    expect_nonzero "downgrade -9 with 3 applied"
    expect_applied "001 002 003" "a too large -N must change nothing"
    # a unique prefix is a target
    mk_table "$MIG" 0050_e e
    dbm upgrade 005
    expect_exit 0 "upgrade by unique prefix 005"
    expect_applied "001 002 003 004 0050"
}

# ---------------------------------------------------------------------------
# failures

# Migration 3 of 4 fails: 1..2 stay applied, nothing of 3, exit 1, file:line.
fail_in_k() {
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 002_b b
    mkmig "$MIG" 003_bad "-- dbmig:message creates k then fails
-- dbmig:up
CREATE TABLE k (id INTEGER);
INSERT INTO k VALUES (1);
INSERT INTO nosuch_table VALUES (1);
-- dbmig:down
DROP TABLE k;"
    mk_table "$MIG" 004_d d
    dbm "$@" upgrade head
    expect_exit 1 "upgrade through a failing migration"
    expect_contains err "003_bad.sql:5"
    expect_contains err "nosuch_table"
    expect_table a; expect_table b
    expect_no_table d "nothing after the failed migration may run"
    if txddl; then
        expect_applied "001 002"
        expect_no_table k "the failed migration's own statements must be rolled back"
        [ -z "$(db_query "SELECT revision FROM $VT WHERE revision='003'")" ] || fail "a row for 003 exists"
        return 0
    fi
    # No transactional DDL (SPEC section 8): 003 stays dirty with the two
    # statements committed before the failure; later runs refuse until the
    # revision is settled.
    expect_contains err "statement 3"
    expect_contains err "1..2"
    expect_contains err "--resume"
    expect_applied "001 002 003"
    expect_eq "$(db_query "SELECT $DIRTY, progress FROM $VT WHERE revision='003'")" "1|2" "dirty row of 003 (dirty|progress)"
    expect_table k "statements committed before the failure stay"
    expect_eq "$(db_query "SELECT count(*) FROM k")" 1 "rows in k"
    dbm "$@" upgrade head
    expect_exit 3 "upgrade with a dirty revision"
    expect_contains err "003"
    expect_contains err "dbmig upgrade --resume"
    expect_contains err "dbmig repair --applied 003"
    expect_contains err "dbmig repair --reverted 003"
    expect_no_table d
    db_query "DROP TABLE k" >/dev/null   # the manual fix
    dbm repair --reverted 003
    expect_exit 0 "repair --reverted 003"
    expect_applied "001 002"
    sed -i 's/INSERT INTO nosuch_table VALUES (1);/INSERT INTO k VALUES (2);/' "$MIG/003_bad.sql"
    dbm "$@" upgrade head
    expect_exit 0 "the upgrade completes after repair"
    expect_applied "001 002 003 004"
    expect_eq "$(db_query "SELECT count(*) FROM k")" 2 "rows in k after the re-run"
    dbm check
    expect_exit 0 "check after the dirty revision was settled"
}

case_failure_in_k() { fail_in_k; }
case_failure_in_k_commit_each() { fail_in_k --commit-interval 0; }
case_failure_in_k_single_tx() {
    mk_chain3 "$MIG"
    mkmig "$MIG" 004_bad "INSERT INTO nosuch_table VALUES (1);"
    if ! txddl; then
        # all or nothing is impossible without transactional DDL: refused
        dbm --single-transaction upgrade head
        expect_exit 2 "--single-transaction without transactional DDL"
        expect_contains err "transactional DDL"
        expect_applied "" "a refused --single-transaction run changes nothing"
        expect_no_table a
        return 0
    fi
    dbm --single-transaction upgrade head
    expect_exit 1 "--single-transaction with a failure"
    expect_contains err "004_bad.sql:1"
    expect_applied "" "--single-transaction: all or nothing"
    expect_no_table a
}

case_multi_statement_rollback() {
    if ! txddl; then
        # DDL commits on its own, but a migration made only of DML still
        # runs in one transaction: a failure leaves nothing and no dirty row.
        mk_table "$MIG" 001_a a
        mkmig "$MIG" 002_dml "INSERT INTO a (id, v) VALUES (1, 'x');
UPDATE a SET v = 'y' WHERE id = 1;
INSERT INTO a (id, v) VALUES (2, 'z');
DELETE FROM a WHERE id = 2;
INSERT INTO a (nosuch_column) VALUES (3);"
        dbm upgrade head
        expect_exit 1 "a failing DML-only migration"
        expect_contains err "002_dml.sql:5"
        expect_eq "$(db_query "SELECT count(*) FROM a")" 0 "the DML-only migration must be rolled back"
        expect_applied "001" "no row (not even a dirty one) for the rolled-back migration"
        sed -i 's/(nosuch_column) VALUES (3)/(id, v) VALUES (3, '"'w'"')/' "$MIG/002_dml.sql"
        dbm upgrade head
        expect_exit 0 "the fixed DML-only migration"
        expect_eq "$(db_query "SELECT count(*) FROM a")" 2 "rows after the fixed run"
        return 0
    fi
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_multi "-- dbmig:up
CREATE TABLE m1 (id INTEGER);
INSERT INTO m1 VALUES (1);
INSERT INTO a (id, v) VALUES (7, 'x');
CREATE TABLE m2 (id INTEGER);
INSERT INTO m2 VALUES (1);
INSERT INTO m1 (nosuch_column) VALUES (2);
CREATE TABLE m3 (id INTEGER);
-- dbmig:down
DROP TABLE m2;
DROP TABLE m1;"
    dbm upgrade head
    expect_exit 1
    expect_contains err "002_multi.sql:7"
    expect_no_table m1 "statement 1 must be rolled back"
    expect_no_table m2 "statement 4 must be rolled back"
    expect_no_table m3
    expect_eq "$(db_query "SELECT count(*) FROM a")" 0 "the insert into a must be rolled back"
    expect_applied "001"
}

case_irreversible_downgrade() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_irrev "-- dbmig:up
CREATE TABLE irr (id INTEGER);"
    mk_table "$MIG" 003_c c
    dbm upgrade head
    expect_exit 0
    dbm downgrade -1
    expect_exit 0 "reverting 003 does not cross 002"
    expect_applied "001 002"
    dbm upgrade head
    expect_exit 0
    dbm downgrade base
    expect_exit 3 "downgrade through an irreversible migration"
    expect_contains err 002
    expect_applied "001 002 003" "nothing may be reverted"
    expect_table c "003 must not be reverted before the refusal"
    expect_table irr
    dbm downgrade 001
    expect_exit 3 "downgrade 001 crosses 002"
    expect_table c
}

# `downgrade -1` reverts the most recently APPLIED revision, which is not
# the greatest id: two roots applied in the opposite order of their ids.
case_downgrade_last_applied() {
    mkmig "$MIG" 001_y "-- dbmig:parents base
-- dbmig:up
CREATE TABLE y (id INTEGER);
-- dbmig:down
DROP TABLE y;"
    mkmig "$MIG" 002_x "-- dbmig:parents base
-- dbmig:up
CREATE TABLE x (id INTEGER);
-- dbmig:down
DROP TABLE x;"
    dbm upgrade 002
    expect_exit 0 "upgrade 002 (one branch)"
    dbm upgrade 001
    expect_exit 0 "upgrade 001 (the other branch)"
    expect_applied "002 001" "application order"
    dbm --format json status
    expect_jq '([.revisions[] | select(.revision == "002")][0].seq) < ([.revisions[] | select(.revision == "001")][0].seq)' "status seq"
    dbm downgrade -1
    expect_exit 0 "downgrade -1"
    expect_applied "002" "downgrade -1 reverts 001, applied last, not 002 (the greatest id)"
    expect_no_table y; expect_table x
    dbm upgrade 001
    expect_exit 0
    dbm downgrade -2
    expect_exit 0 "downgrade -2"
    expect_applied ""
}

# An edited applied file stops a downgrade as it stops an upgrade: the down
# section that would run is not the one that matches what was applied.
case_edited_file_downgrade_refuses() {
    mk_chain3 "$MIG"
    dbm upgrade head
    expect_exit 0
    local before
    before=$(vt_snapshot)
    printf -- '-- edited\n' >> "$MIG/002_b.sql"
    dbm downgrade base
    expect_exit 3 "downgrade base with an edited applied file"
    expect_contains err 002_b.sql
    expect_contains err "repair --checksums"
    expect_eq "$(vt_snapshot)" "$before" "a refused downgrade changed the version table"
    expect_table a; expect_table b; expect_table c "a refused downgrade reverted something"
    dbm downgrade -1
    expect_exit 3 "downgrade -1 with an edited applied file"
    expect_table c
    dbm repair --checksums
    expect_exit 0
    dbm downgrade base
    expect_exit 0 "downgrade after repair --checksums"
    expect_applied ""
}

# The group commit closes every --commit-interval: a run's early revisions
# are committed (visible to another connection) while it goes on.
case_commit_interval_commits() {
    mk_table "$MIG" 001_a a
    local i
    for i in 2 3 4; do
        mkmig "$MIG" "00${i}_s$i" "CREATE TABLE s$i (id INTEGER);
$(slow_sql 2500000)"
    done
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval 300 upgrade head > "$T/out.1" 2> "$T/err.1" &
    local p=$! seen="" rc=0
    BG_PIDS="$BG_PIDS $p"
    # one query, one snapshot: the first one that holds 002
    for i in $(seq 1 300); do
        seen=$(db_query "SELECT revision FROM $VT ORDER BY revision" 2>/dev/null | tr '\n' ' ')
        [[ " $seen " == *" 002 "* ]] && break
        sleep 0.05
    done
    [[ " $seen " == *" 002 "* ]] || fail "002 never became visible: $(cat "$T/err.1")"
    [[ " $seen " != *" 004 "* ]] || fail "002 became visible only with 004: the run committed once, at the end (seen: $seen)"
    wait "$p" || rc=$?
    [ "$rc" = 0 ] || fail "the upgrade exited $rc: $(cat "$T/err.1")"
    expect_applied "001 002 003 004"
}

# Timestamps written to the version table are UTC, whatever the local zone.
case_times_are_utc() {
    [ "$(TZ=Pacific/Kiritimati date +%z)" = +1400 ] ||
        fail "the time zone Pacific/Kiritimati is unknown here (install tzdata: scripts/deps.sh)"
    mk_chain3 "$MIG"
    local t0 t1 at s
    t0=$(date -u +%s)
    TZ=Pacific/Kiritimati dbm upgrade head
    t1=$(date -u +%s)
    expect_exit 0
    at=$(db_query "SELECT applied_at FROM $VT WHERE revision = '003'")
    s=$(TZ=UTC date -d "${at%%.*}" +%s) || fail "applied_at '$at' is not a time"
    [ "$s" -ge $((t0 - 1)) ] && [ "$s" -le $((t1 + 1)) ] ||
        fail "applied_at '$at' is not the UTC time of the run ($(date -u -d "@$t0" '+%F %T')..$(date -u -d "@$t1" '+%F %T'), TZ=Pacific/Kiritimati)"
}

# ---------------------------------------------------------------------------
# stamp, check, repair

case_stamp() {
    mk_chain3 "$MIG"
    dbm stamp head
    expect_exit 0 "stamp head"
    expect_applied "001 002 003"
    expect_no_table a "stamp must not run SQL"
    expect_no_table c "stamp must not run SQL"
    dbm check
    expect_exit 0 "check after stamp head"
    dbm stamp 002
    expect_exit 0 "stamp 002"
    expect_applied "001 002"
    dbm stamp base
    expect_exit 0 "stamp base"
    expect_applied ""
    dbm stamp 001
    expect_exit 0 "stamp 001"
    expect_applied "001"
    expect_no_table a
    dbm upgrade head
    expect_exit 0 "upgrade after stamp 001"
    expect_no_table a "001 was stamped, not run"
    expect_table b; expect_table c
    dbm stamp nosuch
    expect_exit 2 "stamp to an unknown revision"
}

case_check_pending() {
    mk_chain3 "$MIG"
    dbm check
    expect_exit 3 "check on an empty database"
    dbm upgrade 002
    expect_exit 0
    dbm check
    expect_exit 3 "check with 003 pending"
    dbm upgrade head
    expect_exit 0
    dbm check
    expect_exit 0 "check with everything applied"
}

case_edited_file_repair_checksums() {
    mk_chain3 "$MIG"
    dbm upgrade head
    expect_exit 0
    printf -- '-- an edit after it was applied\n' >> "$MIG/002_b.sql"
    dbm check
    expect_exit 3 "check with an edited applied file"
    expect_contains all 002_b.sql "check names the edited file"
    expect_contains all "repair --checksums"
    dbm --format json status
    expect_exit 0 "status with an edited file"
    expect_jq '.summary.modified == 1 and ([.revisions[] | select(.modified)][0].revision == "002")'
    dbm repair --checksums
    expect_exit 0 "repair --checksums"
    dbm check
    expect_exit 0 "check after repair --checksums"
    expect_applied "001 002 003"
}

case_edited_file_upgrade_refuses() {
    mk_chain3 "$MIG"
    dbm upgrade 002
    expect_exit 0
    printf -- '-- edited\n' >> "$MIG/001_a.sql"
    dbm upgrade head
    expect_exit 3 "upgrade with a checksum mismatch"
    expect_contains err 001
    expect_applied "001 002"
    expect_no_table c "upgrade must refuse before running anything"
    # a trailing-white-space or CRLF change is not an edit
    sed -i '$d' "$MIG/001_a.sql"
    sed -i 's/$/  \r/' "$MIG/001_a.sql"
    dbm check
    expect_exit 3 "still pending 003"
    dbm upgrade head
    expect_exit 0 "white space and CRLF are normalised away"
    expect_applied "001 002 003"
}

# The last statement of a section may end in a line comment without its
# semicolon. Sent inside a longer text (a transactional batch on PostgreSQL
# and MariaDB, the --sql script) a `;` after it on the same line would be
# commented out and glue it to the version-table write.
case_last_statement_ends_in_comment() {
    mkmig "$MIG" 001_a "-- dbmig:up
CREATE TABLE a (id INTEGER PRIMARY KEY);
INSERT INTO a VALUES (1) -- the first row
-- dbmig:down
DROP TABLE a -- and it is gone"
    mk_table "$MIG" 002_b b
    dbm upgrade head
    expect_exit 0 "upgrade: the last statement ends in a comment"
    expect_applied "001 002"
    expect_eq "$(db_query 'SELECT COUNT(*) FROM a')" 1 "the row of 001"
    dbm downgrade base
    expect_exit 0 "downgrade: the statement ends in a comment"
    expect_no_table a
    # the script on an empty database, as case_sql_offline runs it (a
    # generic driver's script cannot know the types of a table it finds)
    db_reset
    local off=$URL
    [ "$DB_KIND" = sqlite ] && off=sqlite:$T/never.db
    run --url "$off" --dir "$MIG" --sql upgrade head
    expect_exit 0 "--sql upgrade head"
    cp "$T/out" "$T/script.sql"
    db_script "$T/script.sql" > "$T/script.log" 2>&1 || fail "the --sql script failed: $(head -c 300 "$T/script.log")"
    expect_applied "001 002" "the script writes the version rows"
    expect_eq "$(db_query 'SELECT COUNT(*) FROM a')" 1 "the script's row of 001"
}

# ---------------------------------------------------------------------------
# offline and dry runs

case_sql_offline() {
    mk_chain3 "$MIG"
    local never=$T/never.db
    run --url "sqlite:$never" --dir "$MIG" --sql upgrade head
    if [ "$DBMIG_TEST_DRIVER" != sqlite ]; then
        run --url "$URL" --dir "$MIG" --sql upgrade head
    fi
    expect_exit 0 "--sql upgrade head"
    [ -e "$never" ] && fail "--sql created the database file"
    expect_contains out "CREATE TABLE a"
    expect_contains out "CREATE TABLE c"
    expect_contains out "$VT"
    grep -qi "insert into" "$T/out" || fail "--sql output has no INSERT into the version table"
    grep -qi "create table" "$T/out" || fail "no CREATE TABLE"
    cp "$T/out" "$T/script.sql"
    db_script "$T/script.sql" > "$T/script.log" 2>&1 || fail "the --sql script failed: $(head -c 300 "$T/script.log")"
    expect_table a; expect_table b; expect_table c
    expect_applied "001 002 003" "the script writes the version rows"
    dbm check
    expect_exit 0 "check on the database built by the script"
    # downgrade script: offline there is no version table to start from, so
    # a bare target is a usage error naming the FROM:TO form ...
    local off=$URL
    [ "$DB_KIND" = sqlite ] && off=sqlite:$never
    run --url "$off" --dir "$MIG" --sql downgrade base
    expect_exit 2 "--sql downgrade without its starting point"
    expect_contains err "FROM:TO"
    [ -e "$never" ] && fail "--sql downgrade created the database file"
    # ... and FROM:TO gives a script that really reverts everything.
    run --url "$off" --dir "$MIG" --sql downgrade head:base
    expect_exit 0 "--sql downgrade head:base"
    [ -e "$never" ] && fail "--sql downgrade created the database file"
    expect_contains out "DROP TABLE c"
    expect_contains out "DROP TABLE a"
    cp "$T/out" "$T/down.sql"
    db_script "$T/down.sql" > "$T/down.log" 2>&1 || fail "the --sql downgrade script failed: $(head -c 300 "$T/down.log")"
    expect_no_table a "after the downgrade script"; expect_no_table c "after the downgrade script"
    expect_applied "" "the downgrade script deletes the version rows"
}

case_dry_run() {
    mk_chain3 "$MIG"
    dbm --dry-run upgrade head
    expect_exit 0 "--dry-run upgrade head"
    expect_contains all 003
    expect_no_table a "--dry-run ran SQL"
    expect_applied "" "--dry-run wrote version rows"
    dbm upgrade 001
    expect_exit 0
    local before
    before=$(vt_snapshot)
    dbm --dry-run upgrade head
    expect_exit 0
    expect_contains all 002
    expect_no_table b
    expect_eq "$(vt_snapshot)" "$before" "--dry-run upgrade changed the version table"
    dbm --dry-run downgrade base
    expect_exit 0 "--dry-run downgrade"
    expect_table a "--dry-run downgrade ran SQL"
    expect_eq "$(vt_snapshot)" "$before" "--dry-run downgrade changed the version table"
}

# ---------------------------------------------------------------------------
# JSON

case_json_outputs() {
    mk_chain3 "$MIG"
    dbm upgrade 002
    expect_exit 0
    dbm --format json status
    expect_exit 0 "status --format json"
    expect_jq ".driver == \"$DRIVER\" and (.url | type) == \"string\"" "status"
    expect_jq '(.revisions | length) == 3' "status"
    expect_jq '.revisions[0] | .revision == "001" and .file == "001_a.sql" and .state == "applied"
               and .applied == true and .dirty == false and .modified == false and .seq == 1
               and (.applied_at | type) == "string" and (.duration_ms | type) == "number"
               and (.message | type) == "string"' "status revision 001"
    expect_jq '.revisions[1].seq == 2 and .revisions[1].state == "applied"' "status revision 002"
    expect_jq '.revisions[2] | .revision == "003" and .state == "pending" and .applied == false' "status revision 003"
    expect_jq '.summary | .applied == 2 and .pending == 1 and .dirty == 0 and .modified == 0
               and .missing == 0 and .unknown == 0' "status summary"
    expect_jq '.heads == ["002"]' "status heads"

    dbm --format json current
    expect_exit 0 "current --format json"
    expect_jq '.heads == ["002"]' "current"

    dbm --format json check
    expect_exit 3 "check --format json with pending work"
    expect_jq '.ok == false and (.problems | type) == "array" and (.problems | length) >= 1
               and (.problems[0] | type) == "string" and .summary.pending == 1 and .summary.applied == 2' "check"

    dbm upgrade head
    expect_exit 0
    dbm --format json check
    expect_exit 0 "check --format json, all applied"
    expect_jq '.ok == true and .problems == [] and .summary.pending == 0 and .summary.applied == 3' "check ok"
    dbm --format json current
    expect_jq '.heads == ["003"]' "current after upgrade"

    run --format json drivers
    expect_exit 0 "drivers --format json"
    expect_jq 'type == "array" and length >= 1' "drivers"
    expect_jq 'map(select(.name == "sqlite")) | length == 1' "drivers lists sqlite once"
    expect_jq '.[] | select(.name == "sqlite") | (.version | type) == "string"
               and (.file | test("dbmig_sqlite\\.so$")) and (.abi | test("^2\\.[0-9]+$"))
               and (.capabilities | type) == "array" and (.capabilities | index("transactional-ddl")) != null
               and .error == null' "drivers sqlite entry"

    # text output of the same commands: each revision on its own line with
    # its state (a bare "001" would match any output listing the folder)
    dbm status
    expect_exit 0 "status (text)"
    expect_match out '^ *applied +001 ' "status (text)"
    expect_match out '^ *applied +003 ' "status (text)"
    expect_no_match out '^ *(pending|dirty) ' "status (text), all applied"
    dbm downgrade 002
    expect_exit 0
    dbm status
    expect_match out '^ *applied +002 ' "status (text) after downgrade 002"
    expect_match out '^ *pending +003 ' "status (text) after downgrade 002"
    dbm current
    expect_exit 0
    expect_match out '^002( |$)' "current (text) after downgrade 002"
    expect_no_match out '003' "current (text) after downgrade 002"
    run drivers
    expect_exit 0
    expect_match out '^ *sqlite ' "drivers (text)"
}

# ---------------------------------------------------------------------------
# usage errors: exit 2

case_exit2_usage() {
    mk_chain3 "$MIG"
    dbm --no-such-option status
    expect_exit 2 "an unknown global option"
    dbm upgrade --no-such-option
    expect_exit 2 "an unknown command option"
    dbm frobnicate
    expect_exit 2 "an unknown command"
    run
    expect_exit 2 "no command"
    dbm downgrade
    expect_exit 2 "downgrade without a target"
    dbm --format yaml status
    expect_exit 2 "--format yaml"
    dbm --lock-timeout abc status
    expect_exit 2 "--lock-timeout abc"
    dbm repair
    expect_exit 2 "repair without an action"
    expect_applied ""
}

case_exit2_driver_url() {
    mk_chain3 "$MIG"
    run --url "nosuchdb://u@h/x" --dir "$MIG" status
    expect_exit 2 "an unknown driver (scheme)"
    run --driver nosuchdb --url "$URL" --dir "$MIG" status
    expect_exit 2 "an unknown driver (--driver)"
    run --url "no-scheme-here" --dir "$MIG" status
    expect_exit 2 "a URL without a scheme"
    run --dir "$MIG" status
    expect_exit 2 "status without a URL"
    grep -qi url "$T/err" || fail "the missing-URL message does not mention the URL: $(_snip "$T/err")"
    run --dir "$MIG" upgrade head
    expect_exit 2 "upgrade without a URL"
    run --url "$URL" --dir "$T/no/such/folder" status
    expect_exit 2 "a missing --dir"
    expect_contains err "no/such/folder"
    printf 'x' > "$T/notadir"
    run --url "$URL" --dir "$T/notadir" upgrade head
    expect_exit 2 "--dir naming a file"
}

case_exit2_targets() {
    mk_chain3 "$MIG"
    dbm upgrade zzz
    expect_exit 2 "an unknown target"
    expect_contains err zzz
    expect_applied ""
    dbm upgrade 00
    expect_exit 2 "an ambiguous prefix 00"

    local amb=$T/amb
    mk_table "$amb" abc1_x x
    mk_table "$amb" abc2_y y
    run --url "$URL" --dir "$amb" upgrade abc
    expect_exit 2 "ambiguous prefix abc"
    expect_contains err abc1
    expect_contains err abc2
    expect_applied ""
    run --url "$URL" --dir "$amb" upgrade abc1
    expect_exit 0 "the full id abc1"
    expect_applied "abc1"
}

case_exit2_several_heads() {
    mkmig "$MIG" 001_one "-- dbmig:parents base
-- dbmig:up
CREATE TABLE one (id INTEGER);
-- dbmig:down
DROP TABLE one;"
    mkmig "$MIG" 002_two "-- dbmig:parents base
-- dbmig:up
CREATE TABLE two (id INTEGER);
-- dbmig:down
DROP TABLE two;"
    dbm upgrade head
    expect_exit 2 "head with two heads"
    expect_contains err heads
    expect_contains err 001
    expect_contains err 002
    expect_applied ""
    dbm upgrade
    expect_exit 2 "default target head with two heads"
    dbm upgrade heads
    expect_exit 0 "upgrade heads"
    expect_table one; expect_table two
    dbm --format json current
    expect_jq '(.heads | sort) == ["001","002"]' "two applied heads"
}

case_exit3_malformed() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_bad "-- dbmig:nosuchkey value
-- dbmig:up
CREATE TABLE b (id INTEGER);"
    dbm upgrade head
    expect_exit 3 "an unknown header key"
    expect_contains err "002_bad.sql:1"
    expect_applied ""
    rm "$MIG/002_bad.sql"
    mkmig "$MIG" 002_cyc "-- dbmig:parents 003"
    mkmig "$MIG" 003_cyc "-- dbmig:parents 002
CREATE TABLE x (id INTEGER);"
    printf 'CREATE TABLE y (id INTEGER);\n' >> "$MIG/002_cyc.sql"
    dbm upgrade head
    expect_exit 3 "a cycle"
    rm "$MIG"/00[23]_cyc.sql
    mkmig "$MIG" 002_orphan "-- dbmig:parents 999
CREATE TABLE z (id INTEGER);"
    dbm upgrade head
    expect_exit 3 "an unknown parent"
    expect_contains err 999
}

# ---------------------------------------------------------------------------
# upgrade --verify (SPEC section 12)

# 001 creates a; 002 creates b with a row and verifies it; 003 creates c and
# verifies a table nobody created (c_audit): its verify fails until it exists.
mk_verify() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_b "-- dbmig:up
CREATE TABLE b (id INTEGER PRIMARY KEY, v VARCHAR(20));
INSERT INTO b (id, v) VALUES (1, 'x');
-- dbmig:verify
SELECT id, v FROM b WHERE id = 1;
-- dbmig:down
DROP TABLE b;"
    mkmig "$MIG" 003_c "-- dbmig:up
CREATE TABLE c (id INTEGER PRIMARY KEY);
-- dbmig:verify
SELECT id FROM c;
SELECT id FROM c_audit;
-- dbmig:down
DROP TABLE c;"
}

case_verify_not_run_without_flag() {
    mk_verify
    dbm upgrade
    expect_exit 0 "upgrade without --verify ignores the verify sections"
    expect_applied "001 002 003"
    expect_not_contains all "verify"
}

case_verify_dry_run() {
    mk_verify
    dbm --dry-run upgrade --verify
    expect_exit 0 "a dry run with --verify (003's failing verify is listed, not run)"
    expect_contains err "dry run: would then verify 002 with $MIG/002_b.sql:5: SELECT id, v FROM b WHERE id = 1"
    expect_contains err "dry run: would then verify 003 with $MIG/003_c.sql:5: SELECT id FROM c_audit"
    expect_no_table a "--dry-run --verify ran SQL"
    expect_applied "" "--dry-run --verify wrote version rows"
}

case_verify_passes() {
    mk_verify
    db_query "CREATE TABLE c_audit (id INTEGER)" >/dev/null
    dbm -v upgrade --verify
    expect_exit 0 "every verify section passes"
    expect_applied "001 002 003"
    expect_contains err "verified 002: 1 verify statement(s) passed"
    expect_contains err "verified 003: 2 verify statement(s) passed"
    dbm check
    expect_exit 0
}

case_verify_fails() {
    mk_verify
    dbm upgrade --verify
    expect_exit 1 "a failing verify section fails the revision"
    expect_contains err "003_c.sql:5: verify failed: statement 2 of 2 of the verify section of revision 003"
    expect_contains err "c_audit"
    expect_table b "002 verified and committed before 003"
    if txddl; then
        expect_applied "001 002" "003 is rolled back"
        expect_no_table c "003's statements are rolled back with it"
        expect_contains err "nothing of 003 was applied"
        db_query "CREATE TABLE c_audit (id INTEGER)" >/dev/null
        dbm upgrade --verify
        expect_exit 0 "verify passes once the cause is fixed"
        expect_applied "001 002 003"
        return 0
    fi
    # MySQL: DDL commits, so 003 ran and is left dirty, all its statements counted
    expect_contains err "marked dirty (progress 1)"
    expect_contains err "dbmig upgrade --resume --verify"
    expect_eq "$(db_query "SELECT $DIRTY, progress FROM $VT WHERE revision='003'")" "1|1" "dirty row of 003"
    dbm upgrade --verify
    expect_exit 3 "later runs refuse the dirty revision"
    db_query "CREATE TABLE c_audit (id INTEGER)" >/dev/null
    dbm upgrade --resume --verify
    expect_exit 0 "--resume --verify runs only the verify section again"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision='003'")" 0 "003 clean"
    expect_applied "001 002 003"
    dbm check
    expect_exit 0
}

# An assertion that raises an error, per driver: PostgreSQL divides by a
# count of zero (not by a constant 0, which it folds, and fails, whatever
# the WHERE says), SQLite and MySQL (NULL for 1/0) overflow abs(). The
# driver's own verify section wins over the generic one. DML only:
# transactional on every driver, so a failure leaves nothing.
case_verify_driver_sections() {
    # PostgreSQL folds abs(<min bigint>) at plan time (it fails whatever
    # the WHERE says), so a PostgreSQL server gets its own section, named
    # after the driver that reaches it (postgres, or odbc in the ODBC suite).
    local sect=postgres line=4
    [ "$DB_KIND" = postgres ] && sect=${DBMIG_TEST_DRIVER%-postgres} line=6
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_rows "-- dbmig:up
INSERT INTO a (id, v) VALUES (1, 'x');
-- dbmig:verify
SELECT abs(-9223372036854775808) FROM (SELECT 1 AS one) AS x WHERE NOT EXISTS (SELECT 1 FROM a WHERE id = 2);
-- dbmig:verify $sect
SELECT 1/count(*) FROM a WHERE id = 2;
-- dbmig:down
DELETE FROM a;"
    dbm upgrade --verify
    expect_exit 1 "the assertion fails: no row 2"
    expect_contains err "002_rows.sql:$line: verify failed"
    expect_applied "001" "002 rolled back"
    expect_eq "$(db_query "SELECT count(*) FROM a")" 0 "002's row rolled back"
    sed -i "s/VALUES (1, 'x');/VALUES (1, 'x'), (2, 'y');/" "$MIG/002_rows.sql"
    dbm upgrade --verify
    expect_exit 0 "the assertion holds"
    expect_applied "001 002"
}

# ---------------------------------------------------------------------------
# transaction off, dirty revisions

mk_notx() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_notx "-- dbmig:transaction off
-- dbmig:up
CREATE TABLE d1 (id INTEGER);
INSERT INTO nosuch_table VALUES (1);
-- dbmig:down
DROP TABLE d1;"
    mk_table "$MIG" 003_c c
    dbm upgrade head
    expect_exit 1 "a failing transaction-off migration"
    expect_contains err "002_notx.sql:4"
    expect_table d1 "statement 1 of a transaction-off migration stays committed"
    expect_no_table c
    expect_eq "$(db_query "SELECT $DIRTY, progress FROM $VT WHERE revision='002'")" "1|1" "dirty row of 002 (dirty|progress)"
    dbm --format json status
    expect_exit 0 "status with a dirty revision"
    expect_jq '.summary.dirty == 1 and ([.revisions[] | select(.revision == "002")][0] | .dirty == true and .state == "dirty")' "status dirty"
    dbm status
    expect_match out '^ *dirty +002 ' "status (text) with a dirty revision"
    expect_match out '^ *applied +001 ' "status (text) with a dirty revision"
    expect_match out '^ *pending +003 ' "status (text) with a dirty revision"
    dbm upgrade head
    expect_exit 3 "upgrade with a dirty revision"
    expect_contains err 002
    expect_no_table c
    dbm check
    expect_exit 3 "check with a dirty revision"
}

case_notx_dirty_repair_reverted() {
    mk_notx
    db_query "DROP TABLE d1" >/dev/null   # the manual fix
    sed -i 's/INSERT INTO nosuch_table VALUES (1);/INSERT INTO d1 VALUES (1);/' "$MIG/002_notx.sql"
    dbm repair --reverted 002
    expect_exit 0 "repair --reverted 002"
    expect_applied "001"
    dbm upgrade head
    expect_exit 0 "upgrade after repair --reverted"
    expect_applied "001 002 003"
    expect_eq "$(db_query "SELECT count(*) FROM d1")" 1 "rows in d1"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision='002'")" 0 "002 clean"
    dbm check
    expect_exit 0
}

case_notx_dirty_repair_applied() {
    mk_notx
    dbm repair --applied 002
    expect_exit 0 "repair --applied 002"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision='002'")" 0 "002 clean after repair"
    dbm upgrade head
    expect_exit 0 "upgrade after repair --applied"
    expect_applied "001 002 003"
    expect_table c
    dbm check
    expect_exit 0
    dbm repair --applied 003
    expect_nonzero "repair --applied of a revision that is not dirty"
}

case_notx_dirty_resume() {
    mk_notx
    sed -i 's/INSERT INTO nosuch_table VALUES (1);/INSERT INTO d1 VALUES (1);/' "$MIG/002_notx.sql"
    dbm upgrade --resume head
    expect_exit 0 "upgrade --resume"
    expect_applied "001 002 003"
    expect_eq "$(db_query "SELECT count(*) FROM d1")" 1 "the resumed statement ran once"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision='002'")" 0 "002 clean after resume"
    dbm check
    expect_exit 0 "check after --resume (the new checksum is recorded)"
}

# ---------------------------------------------------------------------------
# concurrency, locks, crashes

case_concurrent_upgrades() {
    mkmig "$MIG" 001_counter "CREATE TABLE counter (rev VARCHAR(10));"
    local i
    for i in 2 3 4 5 6; do
        mkmig "$MIG" "00${i}_t$i" "CREATE TABLE t$i (id INTEGER);
INSERT INTO counter VALUES ('00$i');
$(slow_sql 300000)"
    done
    local pids="" p rc bad=""
    for i in $(seq 1 16); do
        "$DBMIG" --url "$URL" --dir "$MIG" --lock-timeout 30 upgrade head > "$T/out.$i" 2> "$T/err.$i" &
        p=$!
        pids="$pids $p"
        BG_PIDS="$BG_PIDS $p"
    done
    i=0
    for p in $pids; do
        i=$((i + 1))
        rc=0
        wait "$p" || rc=$?
        [ "$rc" = 0 ] || bad="$bad process $i exit $rc ($(head -c 300 "$T/err.$i" | tr '\n' '|'))"
    done
    [ -z "$bad" ] || fail "concurrent upgrades:$bad"
    expect_applied "001 002 003 004 005 006"
    expect_eq "$(db_query "SELECT count(*) FROM counter")" 5 "counter rows (each migration once)"
    expect_eq "$(db_query "SELECT count(DISTINCT rev) FROM counter")" 5 "distinct counter rows"
}

case_lock_timeout() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_slow "CREATE TABLE slow_t (id INTEGER);
$(slow_sql 15000000)"
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval 0 upgrade head > "$T/out.1" 2> "$T/err.1" &
    local p=$! rc=0
    BG_PIDS="$BG_PIDS $p"
    wait_until 10 _row_exists 001
    sleep 0.3
    kill -0 "$p" 2>/dev/null || fail "the slow upgrade ended too soon (calibrate slow_sql): $(cat "$T/err.1")"
    dbm --lock-timeout 0 upgrade head
    if [ "$RC" != 4 ] && ! kill -0 "$p" 2>/dev/null; then
        fail "the slow upgrade ended before the second process tried the lock (calibrate slow_sql); second exit $RC"
    fi
    expect_exit 4 "a second upgrade with --lock-timeout 0"
    grep -qi lock "$T/err" || fail "the lock time-out message does not mention the lock: $(_snip "$T/err")"
    wait "$p" || rc=$?
    [ "$rc" = 0 ] || fail "the first upgrade exited $rc: $(cat "$T/err.1")"
    expect_applied "001 002"
}

_row_exists() { [ "$(db_query "SELECT count(*) FROM $VT WHERE revision='$1'" 2>/dev/null)" = 1 ]; }

case_kill9_midway() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_slow "CREATE TABLE slow_t (id INTEGER);
INSERT INTO slow_t VALUES (1);
$(slow_sql 15000000)"
    mk_table "$MIG" 003_c c
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval 0 upgrade head > "$T/out.1" 2> "$T/err.1" &
    local p=$!
    BG_PIDS="$BG_PIDS $p"
    wait_until 10 _row_exists 001
    sleep 0.5
    kill -0 "$p" 2>/dev/null || fail "the slow upgrade ended too soon (calibrate slow_sql)"
    kill -9 "$p"
    wait "$p" 2>/dev/null
    expect_no_table c
    if ! txddl; then
        # No transactional DDL: 002 is left dirty with its first two
        # statements committed; status says so. The server finishes the
        # statement the killed client had sent (here the sleep) and then
        # drops its session and the lock with it: a stale lock would make
        # the upgrade exit 4 after the wait, not 3.
        expect_applied "001 002" "after kill -9"
        expect_eq "$(db_query "SELECT $DIRTY, progress FROM $VT WHERE revision='002'")" "1|2" "dirty row of 002 (dirty|progress)"
        dbm --format json status
        expect_exit 0 "status after kill -9"
        expect_jq '.summary.dirty == 1 and ([.revisions[] | select(.revision == "002")][0] | .dirty == true and .state == "dirty")' "status reports the dirty revision"
        dbm --lock-timeout 15 upgrade head
        expect_exit 3 "upgrade after kill -9 refuses the dirty revision (and finds no stale lock)"
        expect_contains err "--resume"
        sed -i '$d' "$MIG/002_slow.sql"
        dbm --lock-timeout 0 upgrade --resume head
        expect_exit 0 "upgrade --resume after kill -9"
        expect_applied "001 002 003"
        expect_eq "$(db_query "SELECT count(*) FROM slow_t")" 1 "slow_t rows"
        dbm check
        expect_exit 0
        return 0
    fi
    expect_applied "001" "after kill -9"
    expect_no_table slow_t "the killed migration must leave nothing"
    # the unapplied slow file may change: make the re-run quick
    sed -i '$d' "$MIG/002_slow.sql"
    dbm --lock-timeout 5 upgrade head
    expect_exit 0 "re-run after kill -9 (no stale lock)"
    expect_applied "001 002 003"
    expect_eq "$(db_query "SELECT count(*) FROM slow_t")" 1 "slow_t rows"
    dbm check
    expect_exit 0
}

# dbmig diff on SQLite, end to end (tests/schema/diff.sh covers every
# database; this case is here so that scripts/memcheck.sh runs the diff
# paths under valgrind): --sql, a refusal, a written file with a table
# rebuild, its upgrade and downgrade with rows kept, JSON, "no changes".
case_schema_diff() {
    [ "$DBMIG_TEST_DRIVER" = sqlite ] || skip "tests/schema/diff.sh covers diff on every database (a scratch database there needs CREATEDB)"
    mkmig "$MIG" 001_items "-- dbmig:up
CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20), old_note TEXT);
INSERT INTO items (id, name, old_note) VALUES (1, 'a', 'x'), (2, 'b', NULL);
-- dbmig:down
DROP TABLE items;"
    cat > "$T/want.sql" <<'SQL'
CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL DEFAULT '',
  qty INTEGER NOT NULL DEFAULT 0);
CREATE INDEX items_name_idx ON items (name);
SQL
    dbm --sql diff --to "$T/want.sql" --drivers ' sqlite '
    expect_exit 0 "diff --sql, a driver name with blanks around it"
    expect_contains err "note: table items: rebuilt"
    dbm -q --sql diff --to "$T/want.sql"
    expect_exit 0 "diff -q --sql"
    expect_not_contains err "dbmig: note:"
    expect_contains err "warning: table items: column old_note"
    expect_contains out "_dbmig_new_items"
    expect_contains out "-- dbmig:destructive"
    [ "$(ls "$MIG" | wc -l)" = 1 ] || fail "diff --sql wrote a file: $(ls "$MIG")"
    dbm diff --to "$T/want.sql" -m "reshape items"
    expect_exit 3 "destructive without --allow-destructive"
    expect_contains err "--allow-destructive"
    expect_contains err "old_note"
    dbm --format json diff --to "$T/want.sql" -m "reshape items" --allow-destructive
    expect_exit 0 "diff --allow-destructive --format json"
    expect_jq '.changed == true and (.file | endswith("_reshape_items.sql")) and (.notes | length) >= 1' "diff json"
    grep -q '^-- dbmig:up sqlite$' "$MIG"/*_reshape_items.sql || fail "the up section does not name sqlite"
    run --driver postgres --dir "$MIG" --sql upgrade base:head
    expect_exit 3 "the generated SQLite file on PostgreSQL"
    expect_contains err "no section of this file runs on driver postgres"
    dbm upgrade head
    expect_exit 0 "upgrade with the generated file"
    [ "$(sqlite3 "$DB_FILE" "SELECT count(*) FROM items")" = 2 ] || fail "the rebuild lost rows"
    dbm diff --to "$T/want.sql"
    expect_exit 0 "diff after the upgrade"
    expect_contains out "no changes"
    dbm downgrade -1
    expect_exit 0 "downgrade of the generated file"
    [ "$(sqlite3 "$DB_FILE" "SELECT count(*) FROM items")" = 2 ] || fail "the down's rebuild lost rows"
    { cat "$T/want.sql"; echo "CREATE TABLE gone (x INTEGER);"; echo "DROP TABLE gone;"; } > "$T/drop.sql"
    dbm --sql diff --to "$T/drop.sql"
    expect_exit 0 "a DROP statement in schema.sql"
    expect_contains err "warning: $T/drop.sql: line 5: a DROP statement"
    { cat "$T/want.sql"; echo "CREATE TABLE dbmig_version (x INTEGER);"; } > "$T/vt.sql"
    dbm --sql diff --to "$T/vt.sql"
    expect_exit 3 "schema.sql creates the version table"
    expect_contains err "the name of dbmig's version table"
    run --url "sqlite:$T/typo.db" --dir "$MIG" diff --to "$T/want.sql" --from-db
    expect_exit 3 "--from-db on a database that does not exist"
    expect_contains err "has none of the folder's revisions applied"
    [ -e "$T/typo.db" ] && fail "--from-db created the database"
    dbm diff --to "$T/want.sql" --from-db --allow-destructive
    expect_exit 3 "--from-db on a database behind the folder"
    expect_contains err "is not at the folder's head"
}

# ---------------------------------------------------------------------------
# configuration: environment and files

case_env_url() {
    mk_chain3 "$MIG"
    [ "$DBMIG_TEST_DRIVER" = sqlite ] || skip "uses two SQLite files"
    DBMIG_URL="sqlite:$T/env1.db" run --dir "$MIG" upgrade head
    expect_exit 0 "DBMIG_URL"
    [ -e "$T/env1.db" ] || fail "DBMIG_URL was not used"
    DATABASE_URL="sqlite:$T/env2.db" run --dir "$MIG" upgrade 001
    expect_exit 0 "DATABASE_URL"
    DB_FILE=$T/env2.db expect_applied "001" "DATABASE_URL database"
    DBMIG_URL="sqlite:$T/env3.db" DATABASE_URL="sqlite:$T/env4.db" run --dir "$MIG" upgrade head
    expect_exit 0
    [ -e "$T/env3.db" ] || fail "DBMIG_URL must beat DATABASE_URL"
    [ -e "$T/env4.db" ] && fail "DATABASE_URL used although DBMIG_URL is set"
    DBMIG_URL="sqlite:$T/env5.db" run --url "sqlite:$T/env6.db" --dir "$MIG" upgrade head
    expect_exit 0
    [ -e "$T/env6.db" ] || fail "--url must beat DBMIG_URL"
    [ -e "$T/env5.db" ] && fail "DBMIG_URL used although --url is given"
    DBMIG_DIR="$MIG" run --url "sqlite:$T/env7.db" upgrade head
    expect_exit 0 "DBMIG_DIR"
    DB_FILE=$T/env7.db expect_applied "001 002 003" "DBMIG_DIR database"
}

case_config_file() {
    [ "$DBMIG_TEST_DRIVER" = sqlite ] || skip "uses several SQLite files"
    mkdir -p "$T/proj/conf" "$T/elsewhere"
    mk_chain3 "$T/proj/migs"
    cat > "$T/proj/conf/my.ini" <<EOF
[dbmig]
url = sqlite:\${CASE_DIR}/default.db
dir = ../migs

[env.test]
url = sqlite:\${CASE_DIR}/test.db
EOF
    cd "$T/elsewhere" || fail "cd"
    CASE_DIR=$T run --config "$T/proj/conf/my.ini" --env test upgrade head
    expect_exit 0 "--config --env test"
    [ -e "$T/test.db" ] || fail "[env.test] url not used"
    [ -e "$T/default.db" ] && fail "[dbmig] url used despite --env test"
    DB_FILE=$T/test.db expect_applied "001 002 003" "env.test database"
    CASE_DIR=$T run --config "$T/proj/conf/my.ini" upgrade 001
    expect_exit 0 "--config without --env"
    DB_FILE=$T/default.db expect_applied "001" "[dbmig] database"
    CASE_DIR=$T run --config "$T/proj/conf/my.ini" --url "sqlite:$T/cli.db" upgrade 001
    expect_exit 0
    [ -e "$T/cli.db" ] || fail "--url must beat the config file"
    CASE_DIR=$T DBMIG_URL="sqlite:$T/envvar.db" run --config "$T/proj/conf/my.ini" --env test upgrade 001
    expect_exit 0
    [ -e "$T/envvar.db" ] || fail "DBMIG_URL must beat the config file"
    run --config "$T/proj/conf/my.ini" status
    expect_exit 2 "an unset \${VAR} in the config file"
    expect_contains err CASE_DIR
    CASE_DIR=$T run --config "$T/proj/conf/my.ini" --env nosuch status
    expect_exit 2 "an [env.NAME] absent from the file"
    run --config "$T/nosuch.ini" status
    expect_exit 2 "an unreadable --config"
    printf '[dbmig]\nnosuch_key = 1\n' > "$T/bad.ini"
    run --config "$T/bad.ini" status
    expect_exit 2 "an unknown key in the config file"
    expect_contains err "bad.ini:2"
    # ./dbmig.conf is read by default
    cd "$T/proj" || fail "cd"
    printf '[dbmig]\nurl = sqlite:%s/auto.db\ndir = migs\n' "$T" > dbmig.conf
    run upgrade head
    expect_exit 0 "./dbmig.conf"
    DB_FILE=$T/auto.db expect_applied "001 002 003" "./dbmig.conf database"
}

# ---------------------------------------------------------------------------
# show, help, version, redaction

case_show() {
    mk_chain3 "$MIG"
    mkmig "$MIG" 004_two "-- dbmig:message two statements
-- dbmig:up
CREATE TABLE two_a (id INTEGER);
INSERT INTO two_a VALUES (1);
-- dbmig:down
DROP TABLE two_a;"
    run --dir "$MIG" --driver "$DRIVER" show 004
    expect_exit 0 "show 004"
    expect_contains out "CREATE TABLE two_a (id INTEGER)"
    expect_contains out "INSERT INTO two_a VALUES (1)"
    expect_contains out "DROP TABLE two_a"
    expect_contains out "two statements"
    expect_contains out 003
    dbm show 002
    expect_exit 0 "show 002 with a URL"
    expect_contains out "CREATE TABLE b"
    dbm show nosuch
    expect_exit 2 "show an unknown revision"
    dbm show
    expect_exit 2 "show without a revision"
}

case_help_version() {
    run --version
    expect_exit 0 "--version"
    expect_contains out 0.1.0
    run --help
    expect_exit 0 "--help"
    expect_contains out upgrade
    local c
    for c in upgrade downgrade current status stamp show check repair drivers; do
        run "$c" --help
        expect_exit 0 "$c --help"
        [ -s "$T/out" ] || fail "$c --help printed nothing on stdout"
        expect_contains out "$c"
    done
}

case_password_redaction() {
    mk_chain3 "$MIG"
    local u
    for u in "postgres://u:secret@127.0.0.1:1/db" "mysql://u:secret@127.0.0.1:1/db" \
             "nosuchdb://u:secret@127.0.0.1:1/db" "postgres:/u:secret@127.0.0.1:1/db" \
             "u:secret@127.0.0.1:1/db"; do
        run --url "$u" --dir "$MIG" --lock-timeout 0 status
        expect_nonzero "$u"
        expect_not_contains all secret
        run -v --url "$u" --dir "$MIG" --format json status
        expect_nonzero "$u -v --format json"
        expect_not_contains all secret
        DATABASE_URL=$u run --dir "$MIG" upgrade head
        expect_nonzero "$u via DATABASE_URL"
        expect_not_contains all secret
        run --url "$u" --dir "$MIG" --dry-run upgrade head
        expect_not_contains all secret
    done
    run --url "nosuchdb://u:secret@127.0.0.1:1/db" --dir "$MIG" status
    expect_exit 2 "unknown driver with a password"
    expect_not_contains all secret
    # a connection failure names the URL, with its password as ***
    local d
    for d in postgres mysql; do
        run --url "$d://u:secret@127.0.0.1:1/db" --dir "$MIG" --lock-timeout 0 status
        expect_nonzero "$d on a closed port"
        expect_contains err "$d://u:***@127.0.0.1:1/db"
        expect_not_contains all secret
    done
}

# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# init (cli/cmd_init.c): a new project in an empty folder, offline

# The files of the folder with their checksums and modes (to prove a refused
# init changed nothing).
init_snapshot() {
    find . -print0 | sort -z | xargs -0 stat -c '%n %a %s' | grep -v '^\. '
    find . -type f -print0 | sort -z | xargs -0 -r sha256sum
}

# init for the suite's database (DB_KIND: sqlite, postgres, mysql).
init_driver_args() { [ "$DB_KIND" = sqlite ] || printf -- '--driver\n%s\n' "$DB_KIND"; }

case_init_creates_files() {
    mkdir "$T/proj" && cd "$T/proj" || fail "cd"
    umask 022
    local -a dargs
    mapfile -t dargs < <(init_driver_args)
    run init "${dargs[@]}"
    expect_exit 0 "init"
    local f id
    f=$(cd migrations && ls)
    [[ $f =~ ^([0-9]{14})_first_migration\.sql$ ]] || fail "first migration named $f"
    id=${BASH_REMATCH[1]}
    expect_eq "$(stat -c %a migrations dbmig.conf "migrations/$f" .gitignore | tr '\n' ' ')" \
        "755 644 644 644 " "modes"
    expect_eq "$(head -3 "migrations/$f")" \
        "-- dbmig:revision $id
-- dbmig:parents base
-- dbmig:message first migration" "the header of dbmig revision"
    grep -qx -- '-- dbmig:up' "migrations/$f" && grep -qx -- '-- dbmig:down' "migrations/$f" ||
        fail "up and down sections"
    grep -qx '\[dbmig\]' dbmig.conf && grep -qx '\[env.production\]' dbmig.conf || fail "sections"
    grep -qx '\*\.dbmig-lock\*' .gitignore || fail ".gitignore lacks the lock line"
    expect_contains out "dbmig upgrade"
    expect_contains out "migrations/$f"
    if [ "$DB_KIND" = sqlite ]; then
        grep -qx 'url = sqlite:dev.db' dbmig.conf || fail "no sqlite url"
        grep -qx 'dev.db' .gitignore || fail ".gitignore lacks dev.db"
        run upgrade
        expect_exit 0 "upgrade with the created config"
        DB_FILE=$T/proj/dev.db expect_applied "$id" "dev.db"
        run --config dbmig.conf status
        expect_exit 0 "--config dbmig.conf status"
        expect_contains out "applied"
    else
        grep -qx "driver = $DB_KIND" dbmig.conf || fail "the config does not name $DB_KIND"
        grep -q '^url = '"$DB_KIND"'://app@\|^url = '"$DB_KIND"'://app:\${' dbmig.conf ||
            fail "no $DB_KIND:// example without a password"
        grep -q 'DATABASE_URL' dbmig.conf || fail "no pointer to DATABASE_URL"
        run --config dbmig.conf history
        expect_exit 0 "the config loads (offline)"
        local -a odbc=()
        [ "$DRIVER" = odbc ] && odbc=(--driver odbc)
        run --config dbmig.conf "${odbc[@]}" --url "$URL" upgrade
        expect_exit 0 "upgrade with the created config"
        expect_applied "$id"
    fi
}

case_init_refuses_existing() {
    mkdir "$T/proj" && cd "$T/proj" || fail "cd"
    run init
    expect_exit 0 "first init"
    local before
    before=$(init_snapshot)
    run init
    expect_exit 2 "second init"
    expect_contains err "dbmig.conf"
    expect_contains err "nothing was written"
    expect_eq "$(init_snapshot)" "$before" "a refused init must change nothing"
    # no config, but a migrations folder with a file in it
    rm dbmig.conf
    before=$(init_snapshot)
    run init --driver postgres
    expect_exit 2 "non-empty migrations folder"
    expect_contains err "migrations"
    expect_contains err "dbmig revision"
    expect_eq "$(init_snapshot)" "$before" "a refused init must change nothing (folder)"
    [ -e dbmig.conf ] && fail "dbmig.conf written despite the refusal"
    # an empty folder is used as it is
    mkdir "$T/proj2" "$T/proj2/migrations" && cd "$T/proj2" || fail "cd"
    run init
    expect_exit 0 "init with an empty migrations folder"
}

case_init_gitignore_kept() {
    mkdir "$T/proj" && cd "$T/proj" || fail "cd"
    printf 'node_modules/\n*.dbmig-lock*\n/build' > .gitignore
    local -a dargs
    mapfile -t dargs < <(init_driver_args)
    run init "${dargs[@]}"
    expect_exit 0 "init"
    expect_eq "$(head -3 .gitignore)" "node_modules/
*.dbmig-lock*
/build" "the existing lines stay first"
    expect_eq "$(grep -c '^\*\.dbmig-lock\*$' .gitignore)" 1 "the lock line once"
    grep -qx '/build' .gitignore || fail "the last line without a newline was damaged"
    if [ "$DB_KIND" = sqlite ]; then
        grep -qx 'dev.db' .gitignore || fail "dev.db not added"
    else
        expect_eq "$(sed -n '4,$p' .gitignore | grep -cv '^#')" 0 "nothing else added"
    fi
}

# A dry run never writes: init --dry-run says what it would create, and
# the folder stays empty.
case_init_dry_run() {
    mkdir "$T/proj" && cd "$T/proj" || fail "cd"
    local -a dargs
    mapfile -t dargs < <(init_driver_args)
    run --dry-run init "${dargs[@]}"
    expect_exit 0 "init --dry-run"
    expect_contains out "would create dbmig.conf"
    expect_contains out "nothing was written"
    expect_eq "$(ls -A | wc -l)" 0 "nothing written by a dry run"
}

# --config FILE in another folder: its relative dir would be read from
# there, so init writes the folder's absolute path.
case_init_config_elsewhere() {
    mkdir -p "$T/proj/conf" && cd "$T/proj" || fail "cd"
    run --config conf/db.ini --dir db init
    expect_exit 0 "init --config conf/db.ini --dir db"
    [ -d db ] && [ -f conf/db.ini ] || fail "db/ and conf/db.ini not created"
    expect_contains out "dbmig --config conf/db.ini upgrade"
    run --config conf/db.ini history
    expect_exit 0 "history with the created config"
    expect_contains out "first migration"
}

case_init_usage_errors() {
    mkdir "$T/proj" && cd "$T/proj" || fail "cd"
    run --driver postgress init
    expect_exit 2 "unknown driver"
    expect_contains err "did you mean postgres"
    run init --driver=mysq
    expect_exit 2 "unknown driver after the command"
    expect_contains err "did you mean mysql"
    run init extra
    expect_exit 2 "an argument"
    run init --bogus
    expect_exit 2 "an option"
    run --config nowhere/dbmig.conf init
    expect_exit 2 "a config file in a missing folder"
    expect_contains err "nowhere/dbmig.conf"
    expect_eq "$(ls -A)" "" "a refused init writes nothing"
    run init --help
    expect_exit 0 "init --help"
    expect_contains out "--driver"
}

# ---------------------------------------------------------------------------
# --format json: one document on stdout, on failure too

# A password that must never show, in a URL nothing listens on.
JSON_PW=s3cretJsonPw
JSON_BAD_URL="postgres://u:$JSON_PW@127.0.0.1:1/db"

# json_fails WHAT ARGS...: dbmig ARGS (--format json in them, or in the
# environment or a config file) fails and stdout holds exactly one JSON
# document: ok false, exit_code the process's, an error without the
# password (the same message as on stderr). One jq for all of it: jq's
# start-up is most of this case's time.
json_fails() {
    local what=$1
    shift
    run "$@"
    [ "$RC" != 0 ] || fail "$what: expected a failure, got exit 0; stdout: $(_snip "$T/out")"
    jq -se --argjson rc "$RC" 'length == 1 and (.[0] | type == "object" and .ok == false
        and .exit_code == $rc and (.error | type) == "string" and (.error | length) > 0)' \
        "$T/out" > /dev/null 2>&1 ||
        fail "$what: expected one JSON document with ok false, exit_code $RC and an error; stdout: $(_snip "$T/out") stderr: $(_snip "$T/err")"
    expect_not_contains out "$JSON_PW"
    # the message stays on stderr (check's problems are its result, on stdout)
    [ -s "$T/err" ] || [ -n "${JSON_NO_ERR:-}" ] || fail "$what: nothing on stderr (its message must stay there)"
}

# json_one WHAT ARGS...: dbmig ARGS succeeds with exactly one JSON document.
json_one() {
    local what=$1
    shift
    run "$@"
    expect_exit 0 "$what"
    jq -se 'length == 1' "$T/out" > /dev/null 2>&1 ||
        fail "$what: expected one JSON document on stdout: $(_snip "$T/out")"
}

# json_has FILTER WHAT: after json_fails or json_one, FILTER holds (one jq).
json_has() {
    jq -e "$1" "$T/out" > /dev/null 2>&1 || fail "$2: JSON check failed: $1 on $(_snip "$T/out")"
}

case_json_failures() {
    mk_chain3 "$MIG"
    local bad=(--format json --url "$JSON_BAD_URL" --dir "$MIG") nodir=(--format json --dir "$T/nope")
    local c
    # the database cannot be reached (or, without the postgres plugin, no driver)
    for c in status current check upgrade stamp drift "schema dump"; do
        # shellcheck disable=SC2086 # "schema dump": two words
        json_fails "$c, unreachable" "${bad[@]}" $c $([ "$c" = stamp ] && echo head)
        json_has ".command == \"${c%% *}\"" "$c: command"
    done
    json_fails "wait, unreachable" "${bad[@]}" wait --timeout 0
    expect_exit 4 "wait --timeout 0 on nothing"
    # the migrations folder is missing
    for c in history heads branches lint revision; do
        json_fails "$c, no folder" "${nodir[@]}" --driver "$DRIVER" "$c" $([ "$c" = revision ] && echo -m x)
    done
    json_fails "lint --format json, no folder" --dir "$T/nope" --driver "$DRIVER" lint --format json
    json_fails "history --format json, no folder" --dir "$T/nope" history --format=json
    json_fails "schema dump --format json, unreachable" --url "$JSON_BAD_URL" schema dump --format json
    # usage mistakes after the command word, and the commands' own checks
    json_fails "status --bogus" --format json --url "$URL" --dir "$MIG" status --bogus
    expect_exit 2 "status --bogus"
    json_has '.command == "status" and (.error | test("--bogus"))' "status --bogus"
    json_fails "show an unknown revision" --format json --url "$URL" --dir "$MIG" show nosuch
    json_fails "drivers extra" --format json drivers extra
    json_fails "revision without -m" --format json --dir "$MIG" revision
    json_fails "merge of one head" --format json --dir "$MIG" merge -m join
    json_fails "schema without dump" --format json --url "$URL" schema nope
    json_fails "downgrade without a target" --format json --url "$URL" --dir "$MIG" downgrade
    json_fails "repair without an action" --format json --url "$URL" --dir "$MIG" repair
    json_fails "upgrade --sql" --format json --sql --url "$URL" --dir "$MIG" upgrade
    json_fails "test --bogus" --format json --url "$URL" --dir "$MIG" test --bogus
    json_fails "test --yes-destroy without --url" --format json --dir "$MIG" test --yes-destroy
    json_fails "diff without --to" --format json --url "$URL" --dir "$MIG" diff
    json_fails "wait --timeout xx" --format json --url "$URL" --dir "$MIG" wait --timeout xx
    json_fails "init extra" --format json init extra
    json_fails "fleet without --targets" --format json fleet status
    json_fails "fleet --merge-results without files" --format json fleet --merge-results
    json_fails "completion nosh" --format json completion nosh
    json_fails "help nosuch" --format json help nosuch
    json_fails "no command" --format json
    json_has '.command == null and .exit_code == 2' "no command"
    json_fails "--lock-timeout abc" --format json --lock-timeout abc --url "$URL" --dir "$MIG" status
    # JSON asked by the environment or the config file, the mistake before
    # they are read
    DBMIG_FORMAT=json json_fails "DBMIG_FORMAT=json, status --bogus" --url "$URL" status --bogus
    printf '[dbmig]\nformat = json\n' > "$T/json.conf"
    json_fails "format = json in the config file, status --bogus" --config "$T/json.conf" status --bogus
    # a checksum error (an applied file edited)
    dbm upgrade
    expect_exit 0 "upgrade"
    printf -- '-- edited\n' >> "$MIG/002_b.sql"
    JSON_NO_ERR=1 json_fails "check, an edited file" --format json --url "$URL" --dir "$MIG" check
    expect_exit 3 "check, an edited file"
    json_has '(.problems | length) >= 1 and (.error | test("002"))' "check, an edited file"
    json_fails "upgrade, an edited file" --format json --url "$URL" --dir "$MIG" upgrade
    # lint's findings (exit 3): SPEC 15's document, once
    mkmig "$T/lintm" 001_req "-- dbmig:up
ALTER TABLE t ADD COLUMN org INTEGER NOT NULL;
-- dbmig:down
ALTER TABLE t DROP COLUMN org;"
    run --dir "$T/lintm" --driver sqlite lint --format json
    expect_exit 3 "lint, an error finding"
    jq -se 'length == 1 and .[0].summary.errors >= 1' "$T/out" > /dev/null ||
        fail "lint, an error finding: one document: $(_snip "$T/out")"
    if [ "$DBMIG_TEST_DRIVER" = sqlite ]; then # test: a scratch database
        # a down that does not undo its up: test's report, exit 3
        mkmig "$T/testm" 001_keep "-- dbmig:up
CREATE TABLE keep (id INTEGER);
-- dbmig:down
SELECT 1;"
        JSON_NO_ERR=1 json_fails "test, a failing check" --format json --url "$URL" --dir "$T/testm" test
        expect_exit 3 "test, a failing check"
        json_has '.failed >= 1 and (.error | test("failed"))' "test, a failing check"
    fi
    # not JSON: nothing on stdout, as before
    run --url "$JSON_BAD_URL" --dir "$MIG" status
    expect_nonzero "status in text"
    [ ! -s "$T/out" ] || fail "status in text, failing: stdout must stay empty: $(_snip "$T/out")"
    run --format json --dir "$T/nope" --driver "$DRIVER" lint --format sarif
    expect_nonzero "lint --format sarif, no folder"
    [ ! -s "$T/out" ] || fail "lint --format sarif: its own format is not JSON: $(_snip "$T/out")"
}

case_json_successes() {
    mk_chain3 "$MIG"
    local c
    json_one "upgrade --dry-run" --format json --url "$URL" --dir "$MIG" upgrade --dry-run
    json_one "upgrade 002" --format json --url "$URL" --dir "$MIG" upgrade 002
    for c in status current history heads branches drivers; do
        json_one "$c" --format json --url "$URL" --dir "$MIG" "$c"
    done
    json_one "show" --format json --url "$URL" --dir "$MIG" show 001
    json_one "lint" --format json --url "$URL" --dir "$MIG" lint
    json_one "upgrade" --format json --url "$URL" --dir "$MIG" upgrade
    json_one "check" --format json --url "$URL" --dir "$MIG" check
    json_has '.ok == true and .exit_code == 0 and .error == null' "check"
    json_one "wait" --format json --url "$URL" --dir "$MIG" wait --timeout 0
    json_has '.ok == true and .exit_code == 0' "wait"
    if [ "$DBMIG_TEST_DRIVER" = sqlite ]; then # scratch databases, the catalog
        json_one "schema dump" --format json --url "$URL" schema dump
        json_one "schema dump -o" --url "$URL" schema dump --format json -o "$T/schema.json"
        json_has '.ok == true and .file == "'"$T/schema.json"'" and .bytes > 0 and .dry_run == false' "schema dump -o"
        jq -e .dialect "$T/schema.json" > /dev/null || fail "schema dump -o: the file holds the dump"
        run --format json --url "$URL" schema dump --format sql -o "$T/s.sql"
        expect_exit 0 "schema dump --format sql -o"
        [ ! -s "$T/out" ] || fail "schema dump --format sql -o: its own format is not JSON: $(_snip "$T/out")"
        json_one "drift" --format json --url "$URL" --dir "$MIG" drift
        json_one "test" --format json --url "$URL" --dir "$MIG" test
        json_has '.ok == true and .exit_code == 0 and .error == null' "test"
        cp -r "$MIG" "$T/m3"
        for c in a b c; do
            printf 'CREATE TABLE %s (id INTEGER PRIMARY KEY, v VARCHAR(20));\n' "$c"
        done > "$T/want.sql"
        printf 'CREATE TABLE d (id INTEGER PRIMARY KEY);\n' >> "$T/want.sql"
        json_one "diff" --format json --url "$URL" --dir "$T/m3" diff --to "$T/want.sql" -m want
        json_has '.ok == true and .changed == true' "diff"
    fi
    json_one "downgrade" --format json --url "$URL" --dir "$MIG" downgrade 002
    json_one "stamp" --format json --url "$URL" --dir "$MIG" stamp head
    json_one "repair" --format json --url "$URL" --dir "$MIG" repair --checksums
    printf '%s\n' "$URL" > "$T/targets"
    json_one "fleet status" --format json --dir "$MIG" fleet --targets "$T/targets" status
    json_has '.ok == true and .exit_code == 0' "fleet"
    # the files written in a copy of the folder
    cp -r "$MIG" "$T/m2"
    json_one "revision" --format json --dir "$T/m2" revision -m more --parent 002
    json_one "merge" --format json --dir "$T/m2" merge -m join
    mkdir "$T/proj"
    (cd "$T/proj" && "$DBMIG" --format json init > "$T/out" 2> "$T/err") || fail "init: $(_snip "$T/err")"
    jq -se 'length == 1 and .[0].command == "init" and .[0].ok == true and .[0].exit_code == 0' \
        "$T/out" > /dev/null || fail "init: one JSON document: $(_snip "$T/out")"
}

CASES=(
    case_upgrade_downgrade_rerun
    case_schema_diff
    case_targets_relative
    case_failure_in_k
    case_failure_in_k_commit_each
    case_failure_in_k_single_tx
    case_multi_statement_rollback
    case_irreversible_downgrade
    case_downgrade_last_applied
    case_edited_file_downgrade_refuses
    case_commit_interval_commits
    case_times_are_utc
    case_stamp
    case_check_pending
    case_edited_file_repair_checksums
    case_edited_file_upgrade_refuses
    case_sql_offline
    case_dry_run
    case_json_outputs
    case_exit2_usage
    case_exit2_driver_url
    case_exit2_targets
    case_exit2_several_heads
    case_exit3_malformed
    case_notx_dirty_repair_reverted
    case_notx_dirty_repair_applied
    case_notx_dirty_resume
    case_concurrent_upgrades
    case_lock_timeout
    case_kill9_midway
    case_env_url
    case_config_file
    case_show
    case_help_version
    case_password_redaction
    case_one_cpu
    case_last_statement_ends_in_comment
    case_verify_not_run_without_flag
    case_verify_dry_run
    case_verify_passes
    case_verify_fails
    case_verify_driver_sections
    case_init_creates_files
    case_init_refuses_existing
    case_init_gitignore_kept
    case_init_config_elsewhere
    case_init_dry_run
    case_init_usage_errors
    case_json_failures
    case_json_successes
)

[ -x "$DBMIG" ] || { echo "suite.sh: $DBMIG is not executable" >&2; exit 2; }
echo "dbmig CLI suite: $DBMIG, driver $DBMIG_TEST_DRIVER"
for c in "${CASES[@]}"; do
    run_case "$c"
done
summary
