#!/usr/bin/env bash
# tests/graph/graph.sh — the revision graph through the dbmig binary on
# SQLite: two developers' branches and their merge, label@head, depends across
# branches, downgrade across a merge, stamp to a merge point, missing
# ancestors and --allow-missing, history/heads/branches (text and JSON), and
# the files written by `revision` and `merge`.
#
#   DBMIG=build/dbmig bash tests/graph/graph.sh
#
# Same conventions as tests/cli/suite.sh (helpers in tests/cli/lib.sh):
# DBMIG_TEST_ONLY=regex, DBMIG_TEST_VERBOSE=1, DBMIG_TEST_KEEP=1.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DBMIG_TEST_DRIVER=sqlite
# shellcheck source=../cli/lib.sh
. "$HERE/../cli/lib.sh"

# mk_rev DIR NAME TABLE PARENTS [EXTRA-HEADER]: a reversible migration with
# explicit parents ("base" for a root) creating TABLE.
mk_rev() {
    mkmig "$1" "$2" "-- dbmig:parents $4
${5:+$5
}-- dbmig:up
CREATE TABLE $3 (id INTEGER PRIMARY KEY);
-- dbmig:down
DROP TABLE $3;"
}

# The diamond: 001 -> 002a, 002b -> 003 (merge) -> 004.
mk_diamond() {
    mk_rev "$1" 001_base t001 base
    mk_rev "$1" 002a_left t002a 001
    mk_rev "$1" 002b_right t002b 001
    mk_rev "$1" 003_join t003 "002a 002b"
    mk_rev "$1" 004_after t004 003
}

# reverted_order: the revisions reverted, in the order of the progress lines.
reverted_order() { grep -o '^reverted [^ ]*' "$T/err" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//'; }
applied_order() { grep -o '^applied [^ ]*' "$T/err" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//'; }

# ---------------------------------------------------------------------------

case_two_developers_merge() {
    mk_rev "$MIG" 001_base base base
    # two developers branch off 001 on the same day
    mk_rev "$MIG" 20251116093000_alice_orders orders 001 "-- dbmig:message alice: orders"
    mk_rev "$MIG" 20251116101500_bob_invoices invoices 001 "-- dbmig:message bob: invoices"
    dbm upgrade head
    expect_exit 2 "upgrade head with two heads"
    expect_contains err "several heads: 20251116093000, 20251116101500"
    expect_contains err "dbmig merge -m MSG"
    expect_applied "" "nothing may run with an ambiguous head"
    run --dir "$MIG" heads
    expect_exit 0 "heads"
    expect_contains out "20251116093000 alice: orders (head)"
    expect_contains out "20251116101500 bob: invoices (head)"
    expect_contains out "2 heads"
    run --dir "$MIG" --format json heads
    expect_jq '.heads | map(.revision) == ["20251116093000","20251116101500"]' "heads json"
    run --dir "$MIG" branches
    expect_exit 0 "branches"
    expect_contains out "001 base (base, branch point) -> 20251116093000, 20251116101500"

    run --dir "$MIG" merge -m "join alice and bob"
    expect_exit 0 "merge"
    local f id
    f=$(ls "$MIG" | grep '_join_alice_and_bob\.sql$')
    [ -n "$f" ] || fail "no merge file written: $(ls "$MIG" | tr '\n' ' ')"
    id=${f%%_*}
    expect_contains out "created $MIG/$f: revision $id, parents 20251116093000, 20251116101500"
    grep -qx -- "-- dbmig:parents 20251116093000 20251116101500" "$MIG/$f" || fail "merge header: $(cat "$MIG/$f")"
    grep -qx -- "-- dbmig:revision $id" "$MIG/$f" || fail "merge header lacks the revision"
    run --dir "$MIG" --format json heads
    expect_jq ".heads | map(.revision) == [\"$id\"]" "one head after the merge"
    expect_jq '.heads[0].merge == true and (.heads[0].parents | length == 2)' "the head is the merge"

    dbm upgrade head
    expect_exit 0 "upgrade head after the merge"
    expect_applied "001 20251116093000 20251116101500 $id"
    expect_table orders; expect_table invoices
    dbm check
    expect_exit 0 "check after the merge"
}

case_label_head() {
    mk_rev "$MIG" 001_base base base
    mk_rev "$MIG" 002_feat feat 001 "-- dbmig:branch feature"
    mk_rev "$MIG" 003_feat2 feat2 002
    mk_rev "$MIG" 004_main main 001 "-- dbmig:branch main"
    dbm upgrade feature@head
    expect_exit 0 "upgrade feature@head"
    expect_applied "001 002 003"
    expect_no_table main
    dbm upgrade main@head
    expect_exit 0 "upgrade main@head"
    expect_applied "001 002 003 004"
    dbm downgrade 001
    expect_exit 0
    dbm upgrade nosuch@head
    expect_exit 2 "an unknown label"
    expect_contains err "no revision carries the branch label 'nosuch'"
    dbm upgrade 001+1
    expect_exit 2 "a walk across a branch point"
    expect_contains err "branch point at '001'"
    dbm upgrade heads
    expect_exit 0 "upgrade heads"
    expect_applied "001 002 003 004"
    run --dir "$MIG" heads
    expect_contains out "003 feat2 (head)"
    expect_contains out "004 main (head, branch main)"
}

case_depends_across_branches() {
    mk_rev "$MIG" 001_base base base
    mk_rev "$MIG" 002_users users 001 "-- dbmig:branch accounts"
    mkmig "$MIG" 003_orders "-- dbmig:parents 001
-- dbmig:branch shop
-- dbmig:depends 002
-- dbmig:up
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));
INSERT INTO users (id) VALUES (1);
INSERT INTO orders (id, user_id) VALUES (1, 1);
-- dbmig:down
DROP TABLE orders;"
    dbm upgrade shop@head
    expect_exit 0 "upgrade shop@head pulls in its depends"
    expect_applied "001 002 003"
    [ "$(applied_order)" = "001 002 003" ] || fail "order of application: $(applied_order)"
    dbm downgrade 001
    expect_exit 0 "downgrade 001"
    [ "$(reverted_order)" = "003 002" ] || fail "dependents must be reverted first: $(reverted_order)"
    expect_applied "001"
    run --dir "$MIG" history
    expect_contains out "003 orders (head, branch shop, depends on 002)"
    # an unknown depends teaches
    mk_rev "$MIG" 004_bad bad 001 "-- dbmig:depends 0003"
    dbm upgrade head
    expect_exit 3 "unknown depends"
    expect_contains err "004_bad.sql: revision '004' has unknown depends '0003'; did you mean '003' (003_orders.sql)?"
}

case_downgrade_across_merge() {
    mk_diamond "$MIG"
    dbm upgrade head
    expect_exit 0
    expect_applied "001 002a 002b 003 004"
    # down to one side of the merge: the merge and what follows go, both sides stay
    dbm downgrade 002b
    expect_exit 0 "downgrade 002b"
    [ "$(reverted_order)" = "004 003" ] || fail "reverted: $(reverted_order)"
    expect_applied "001 002a 002b"
    expect_table t002a; expect_table t002b; expect_no_table t003
    # the last applied one alone: only that side goes
    dbm downgrade -1
    expect_exit 0 "downgrade -1"
    expect_applied "001 002a"
    expect_no_table t002b; expect_table t002a
    dbm upgrade head
    expect_exit 0 "back up"
    expect_applied "001 002a 002b 003 004"
    # reverting a side reverts the merge with it, never the other side
    dbm downgrade 002a-1
    expect_exit 0 "downgrade 002a-1 (= 001)"
    expect_applied "001"
    dbm downgrade 003-1
    expect_exit 2 "003-1 meets a merge"
    expect_contains err "meets a merge at '003'"
    expect_contains err "002a, 002b"
}

case_stamp_merge_point() {
    mk_diamond "$MIG"
    dbm stamp 003
    expect_exit 0 "stamp 003"
    expect_applied "001 002a 002b 003"
    expect_no_table t001 "stamp runs no SQL"
    dbm --format json current
    expect_jq '.heads == ["003"]' "current after stamp"
    dbm stamp 002a
    expect_exit 0 "stamp 002a from the merge point"
    expect_applied "001 002a 002b"
    dbm --format json current
    expect_jq '.heads == ["002a","002b"]' "both sides are applied heads"
    dbm stamp heads
    expect_exit 0
    [ "$(db_query "SELECT count(*) FROM $VT")" = 5 ] || fail "stamp heads: $(applied)"
    dbm stamp base
    expect_exit 0
    expect_applied ""
}

case_missing_ancestor() {
    # header-less numbered files: a chain in file-name order
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 003_c c
    dbm upgrade head
    expect_exit 0
    expect_applied "001 003"
    # a colleague's older-numbered file is merged late: 001 -> 002 -> 003
    mk_table "$MIG" 002_b b
    dbm status
    expect_exit 0 "status reports, does not fail"
    expect_contains out "missing"
    dbm --format json status
    expect_jq '.summary.missing == 1 and (.revisions[] | select(.revision == "002") | .state) == "missing"'
    dbm check
    expect_exit 3 "check with a missing ancestor"
    expect_contains out "002 (002_b.sql) is missing"
    dbm upgrade head
    expect_exit 3 "upgrade refuses"
    expect_contains err "revision 002"
    expect_contains err "is not applied, but revisions that descend from it are"
    expect_contains err "--allow-missing"
    expect_no_table b
    dbm history
    expect_contains out "002 b [MISSING]"
    expect_contains out "003 c (head, current) [applied]"
    dbm upgrade head --allow-missing
    expect_exit 0 "upgrade --allow-missing"
    expect_applied "001 003 002"
    expect_table b
    dbm check
    expect_exit 0 "check after --allow-missing"
}

case_revision_and_merge_files() {
    mkdir -p "$MIG"
    # the id is the UTC time, whatever the local time zone (UTC+14 here, so
    # that an id from the local time is off by 14 hours)
    [ "$(TZ=Pacific/Kiritimati date +%z)" = +1400 ] ||
        fail "the time zone Pacific/Kiritimati is unknown here (install tzdata: scripts/deps.sh)"
    local t0 t1
    t0=$(date -u +%s)
    TZ=Pacific/Kiritimati run --dir "$MIG" revision -m "Create users table"
    t1=$(date -u +%s)
    expect_exit 0 "first revision"
    local f1 id1 at
    f1=$(ls "$MIG")
    [[ $f1 =~ ^[0-9]{14}_create_users_table\.sql$ ]] || fail "file name: $f1"
    id1=${f1%%_*}
    at=$(date -u -d "${id1:0:4}-${id1:4:2}-${id1:6:2} ${id1:8:2}:${id1:10:2}:${id1:12:2}" +%s) ||
        fail "id $id1 is not a time"
    [ "$at" -ge "$t0" ] && [ "$at" -le $((t1 + 2)) ] ||
        fail "id $id1 is not the UTC time of the run ($(date -u -d "@$t0" +%Y%m%d%H%M%S)..$(date -u -d "@$t1" +%Y%m%d%H%M%S), TZ=Pacific/Kiritimati)"
    grep -qx -- "-- dbmig:parents base" "$MIG/$f1" || fail "first file: $(cat "$MIG/$f1")"
    grep -qx -- "-- dbmig:message Create users table" "$MIG/$f1" || fail "message"
    grep -qx -- "-- dbmig:up" "$MIG/$f1" && grep -qx -- "-- dbmig:down" "$MIG/$f1" || fail "sections"
    sed -i 's/^-- dbmig:up$/-- dbmig:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);/; s/^-- dbmig:down$/-- dbmig:down\nDROP TABLE users;/' "$MIG/$f1"

    # two more in the same second: each takes the next free second
    run --dir "$MIG" revision -m "second"
    expect_exit 0
    run --dir "$MIG" --format json revision -m "third"
    expect_exit 0
    local id3 id2
    id3=$(jq -r .revision "$T/out")
    id2=$(jq -r '.parents[0]' "$T/out")
    [ "$id2" != "$id1" ] && [ "$id3" != "$id2" ] || fail "ids must differ: $id1 $id2 $id3"
    [[ $id2 > $id1 && $id3 > $id2 ]] || fail "ids must increase: $id1 $id2 $id3"

    # branches: two revisions off the same parent, one with a label
    run --dir "$MIG" revision -m "feature x" --parent "$id3" --branch featx
    expect_exit 0 "branch with a label"
    local fx
    fx=$(sed -n 's/^created \([^:]*\):.*/\1/p' "$T/out")
    grep -qx -- "-- dbmig:branch featx" "$fx" || fail "label header: $(cat "$fx")"
    run --dir "$MIG" revision -m "feature y" --parent "${id3:0:13}"
    expect_exit 2 "an ambiguous prefix"
    expect_contains err "ambiguous"
    run --dir "$MIG" revision -m "feature y" --parent "$id3" --depends "$id1"
    expect_exit 0 "second branch"
    run --dir "$MIG" revision -m "more"
    expect_exit 2 "revision with several heads"
    expect_contains err "several heads"
    expect_contains err "dbmig merge -m MSG"
    expect_contains err "--parent ID"
    run --dir "$MIG" revision -m "x" --parent 19990101000000
    expect_exit 2 "unknown parent"
    expect_contains err "unknown revision '19990101000000'"
    run --dir "$MIG" revision -m "x" --parent "$id3" --branch head
    expect_exit 2 "a reserved label"
    expect_contains err "not a valid branch label"

    run --dir "$MIG" merge -m "join features"
    expect_exit 0 "merge"
    run --dir "$MIG" merge -m "again"
    expect_exit 2 "merge with one head"
    expect_contains err "nothing to merge"
    run --dir "$MIG" merge
    expect_exit 2 "merge without a message"
    expect_contains err "needs a message"

    # the folder parses back to the intended graph
    run --dir "$MIG" --format json history
    expect_exit 0
    expect_jq 'def r(m): .revisions[] | select(.message == m);
        (r("Create users table").parents == [])
        and (r("second").parents == [r("Create users table").revision])
        and (r("third").parents == [r("second").revision])
        and (r("feature x").parents == [r("third").revision])
        and (r("feature x").branches == ["featx"])
        and (r("feature y").depends == [r("Create users table").revision])
        and (([r("feature x").revision, r("feature y").revision] | sort) as $w
             | (r("join features").parents | sort) == $w)
        and (r("join features").head) and ([.revisions[] | select(.head)] | length == 1)
        and (.revisions | length == 6)' "graph of the written files"
    run --dir "$MIG" history
    expect_contains out "merge of"
    dbm upgrade head
    expect_exit 0 "the written files apply (empty sections are no-ops)"
    expect_table users
    dbm upgrade featx@head
    expect_exit 0
    dbm downgrade base
    expect_exit 0 "and revert"
    expect_no_table users
}

case_history_drawing() {
    mk_rev "$MIG" 001_base base base
    mk_rev "$MIG" 002_x1 x1 001
    mk_rev "$MIG" 003_x2 x2 002 "-- dbmig:branch xs"
    mk_rev "$MIG" 004_y1 y1 001
    mk_rev "$MIG" 005_merge m "003 004"
    mk_rev "$MIG" 006_after n 005
    run --dir "$MIG" history
    expect_exit 0
    local want
    want='* 006 after (head)
* 005 merge (merge of 003 004)
|\
| * 004 y1
* | 003 x2 (branch xs)
* | 002 x1
|/
* 001 base (base, branch point)'
    [ "$(cat "$T/out")" = "$want" ] || fail "history drawing:
$(cat "$T/out")
want:
$want"
    run --dir "$MIG" history -r 002:005
    expect_exit 0 "a range"
    want='* 005 merge (merge of 003 004)
* 003 x2 (branch xs)
* 002 x1'
    [ "$(cat "$T/out")" = "$want" ] || fail "history -r 002:005: $(cat "$T/out")"
    run --dir "$MIG" history -r :004
    [ "$(cut -c3-5 "$T/out" | tr '\n' ' ')" = "004 001 " ] || fail "history -r :004: $(cat "$T/out")"
    run --dir "$MIG" history -r 003:xs@head
    expect_exit 0
    [ "$(grep -c '\*' "$T/out")" = 3 ] || fail "history -r 003:xs@head: $(cat "$T/out")"
    run --dir "$MIG" history -r 002
    expect_exit 2 "a range without a colon"
    expect_contains err "write it as A:B"
    run --dir "$MIG" history -r 00x:
    expect_exit 2
    expect_contains err "unknown revision '00x'"
    run --dir "$MIG" history -r current:
    expect_exit 2 "current without a database"
    expect_contains err "needs a database"
    run --dir "$MIG" --format json history
    expect_jq '.revisions | map(.revision) == ["006","005","004","003","002","001"]' "newest first"
    expect_jq '(.revisions[1].graph_after == ["|\\"]) and (.revisions[4].graph_after == ["|/"])' "drawing in JSON"
    expect_jq '.revisions[1].merge and .revisions[5].branch_point and .revisions[5].base' "flags"
    expect_jq '(.revisions[0] | has("state")) | not' "no marks without a database"
    # with a database: marks
    dbm upgrade 003
    expect_exit 0
    dbm --format json history
    expect_jq '[.revisions[] | .state] == ["pending","pending","pending","applied","applied","applied"]' "marks"
    expect_jq '[.revisions[] | select(.current) | .revision] == ["003"]' "current"
    dbm history -r current:
    expect_exit 0
    [ "$(grep -c '\*' "$T/out")" = 3 ] || fail "history -r current: $(cat "$T/out")"
    expect_contains out "003 x2 (current, branch xs) [applied]"
    expect_contains out "006 after (head) [pending]"
}

case_graph_errors() {
    mk_rev "$MIG" 001_a a 003
    mk_rev "$MIG" 002_b b 001
    mk_rev "$MIG" 003_c c 002
    run --dir "$MIG" history
    expect_exit 3 "a cycle"
    expect_contains err "a cycle in the revision graph: 001 (001_a.sql) -> 003 (003_c.sql) -> 002 (002_b.sql) -> 001"
    rm "$MIG"/*
    mk_rev "$MIG" 001_a a base
    mk_rev "$MIG" 002_b b 0001
    run --dir "$MIG" heads
    expect_exit 3 "an unknown parent"
    expect_contains err "002_b.sql: revision '002' has unknown parent '0001'; did you mean '001' (001_a.sql)?"
    rm "$MIG"/*
    mk_rev "$MIG" 001_a a base "-- dbmig:branch 002"
    mk_rev "$MIG" 002_b b 001
    run --dir "$MIG" heads
    expect_exit 3 "a label that is an id"
    expect_contains err "the branch label '002' of revision '001' is also the id of revision 002"
    rm "$MIG"/*
    mk_rev "$MIG" 001_a a base "-- dbmig:depends"
    run --dir "$MIG" heads
    expect_exit 3 "an empty depends"
    expect_contains err "001_a.sql:2"
}

case_help_and_usage() {
    local c
    for c in history heads branches revision merge; do
        run "$c" --help
        expect_exit 0 "$c --help"
        expect_contains out "usage: dbmig [options] $c"
    done
    run --help
    expect_contains out "history [-r A:B]"
    expect_contains out "merge -m MSG [ID...]"
    run revision
    expect_exit 2 "revision without -m"
    run revision -m x stray
    expect_exit 2 "revision with an argument"
    run heads extra
    expect_exit 2 "heads with an argument"
    run history --bogus
    expect_exit 2 "history with an unknown option"
    mkdir -p "$MIG"
    run --dir "$MIG" heads
    expect_exit 0 "heads of an empty folder"
    expect_contains out "no heads"
    run --dir "$MIG" merge -m x
    expect_exit 2 "merge in an empty folder"
}

# A numbered folder stays numbered: `revision` writes the next number, as
# the sample project's next hand-written file would be.
SAMPLE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../migrations" && pwd)
case_revision_numbered_folder() {
    rm -rf "$MIG"
    cp -r "$SAMPLE_DIR" "$MIG"
    run --dir "$MIG" --format json revision -m "Add invoices"
    expect_exit 0 "revision in the numbered sample folder"
    [ "$(jq -r .revision "$T/out")" = 011 ] || fail "id: $(cat "$T/out")"
    [ -f "$MIG/011_add_invoices.sql" ] || fail "file: $(ls "$MIG")"
    grep -qx -- "-- dbmig:parents 010" "$MIG/011_add_invoices.sql" || fail "parents: $(head -5 "$MIG/011_add_invoices.sql")"
    # --sequential agrees; --timestamp forces the time (and then --sequential
    # is refused there, naming the odd file); both at once is a usage error
    run --dir "$MIG" --format json revision -m "Add refunds" --sequential
    expect_exit 0 "revision --sequential"
    [ "$(jq -r .revision "$T/out")" = 012 ] || fail "--sequential id: $(cat "$T/out")"
    run --dir "$MIG" merge -m "x" --timestamp --sequential
    expect_exit 2 "--timestamp with --sequential"
    expect_contains err "give one"
    run --dir "$MIG" --format json revision -m "Timed" --timestamp
    expect_exit 0 "revision --timestamp"
    local tid
    tid=$(jq -r .revision "$T/out")
    [[ $tid =~ ^[0-9]{14}$ ]] || fail "--timestamp id: $tid"
    grep -qx -- "-- dbmig:parents 012" "$MIG/${tid}_timed.sql" || fail "--timestamp parents"
    run --dir "$MIG" revision -m "next" --sequential
    expect_exit 2 "--sequential in a mixed folder"
    expect_contains err "revision '$tid' (${tid}_timed.sql) is not numbered"
    expect_contains err "--timestamp"
    [ "$(ls "$MIG" | wc -l)" = 13 ] || fail "a refused revision wrote a file: $(ls "$MIG")"
}

# history --format dot|mermaid (issue 19, SPEC section 16): the diamond with
# a label, a post revision and a depends edge, states from the database (applied, pending,
# DIRTY), rendered by Graphviz and checked structurally for Mermaid.
case_history_pictures() {
    mk_rev "$MIG" 001_base base base
    mk_rev "$MIG" 002_left l 001 "-- dbmig:branch left
-- dbmig:phase post"
    mk_rev "$MIG" 003_right r 001 '-- dbmig:depends 002
-- dbmig:message say "hi" <b> \ back'
    mk_rev "$MIG" 004_join j "002 003"
    mkmig "$MIG" 005_bad "-- dbmig:parents 004
-- dbmig:transaction off
-- dbmig:up
CREATE TABLE ok5 (id INTEGER);
CREATE TABLE ok5 (id INTEGER);"
    run --dir "$MIG" history --format dot
    expect_exit 0 "history --format dot"
    expect_contains out 'digraph dbmig {'
    expect_contains out '"001" -> "002";'
    expect_contains out '"003" -> "004";'
    expect_contains out '"002" -> "003" [style=dashed, label="depends"];'
    expect_contains out 'say \"hi\" <b> \\ back'
    expect_contains out '"005" [label="005\nbad", fillcolor="#ffffff", color="#555555", penwidth=3];'
    expect_contains out '"002" [label="002\nleft\npost, branch left", fillcolor="#ffffff", color="#555555"];'
    cp "$T/out" "$T/nodb.dot"
    dbm upgrade 004
    expect_exit 0
    dbm upgrade head
    expect_exit 1 "005 fails half-way outside a transaction"
    run --url "$URL" --dir "$MIG" history --format dot
    expect_exit 0 "history --format dot with a database"
    expect_contains out '[applied]'
    expect_contains out 'label="005\nbad\n[DIRTY]"'
    expect_contains out 'branch left\n[applied]'
    if command -v dot >/dev/null; then
        dot -Tsvg "$T/out" >"$T/g.svg" 2>"$T/dot.err" || fail "dot -Tsvg refused it: $(cat "$T/dot.err")"
        [ -s "$T/dot.err" ] && fail "dot -Tsvg warned: $(cat "$T/dot.err")"
        grep -q '<svg' "$T/g.svg" || fail "no SVG from dot"
        [ "$(grep -c 'class="node"' "$T/g.svg")" = 5 ] || fail "SVG nodes: $(grep -c 'class="node"' "$T/g.svg")"
        [ "$(grep -c 'class="edge"' "$T/g.svg")" = 6 ] || fail "SVG edges"
        dot -Tsvg "$T/nodb.dot" >/dev/null 2>"$T/dot.err" && [ ! -s "$T/dot.err" ] || fail "nodb dot: $(cat "$T/dot.err")"
    elif [ -n "${CI:-}${DBMIG_TEST_NEED_DOT:-}" ]; then
        fail "Graphviz's dot is not installed (scripts/deps.sh installs graphviz)"
    fi
    run --url "$URL" --dir "$MIG" history --format mermaid
    expect_exit 0 "history --format mermaid"
    [ "$(head -1 "$T/out")" = "flowchart TD" ] || fail "mermaid header: $(head -1 "$T/out")"
    [ "$(grep -cE '^  r[0-9]+\["' "$T/out")" = 5 ] || fail "mermaid nodes: $(cat "$T/out")"
    [ "$(grep -cE '^  r[0-9]+ --> r[0-9]+$' "$T/out")" = 5 ] || fail "mermaid edges: $(cat "$T/out")"
    [ "$(grep -cE '^  r[0-9]+ -\. depends \.-> r[0-9]+$' "$T/out")" = 1 ] || fail "mermaid depends edge"
    expect_contains out 'say #quot;hi#quot; #60;b#62; \ back'
    expect_contains out '["002<br/>left<br/>post, branch left<br/>[applied]"]'
    grep -qE '^  class r[0-9]+ dirty$' "$T/out" || fail "no dirty class: $(cat "$T/out")"
    [ "$(grep -cE '^  class r[0-9]+ applied$' "$T/out")" = 4 ] || fail "applied classes: $(cat "$T/out")"
    # every node id used by an edge or a class is declared
    local ids
    ids=$(grep -oE 'r[0-9]+' "$T/out" | sort -u | tr '\n' ' ')
    [ "$ids" = "r0 r1 r2 r3 r4 " ] || fail "mermaid ids: $ids"
    run --dir "$MIG" history --format png
    expect_exit 2 "an unknown picture format"
    expect_contains err "expected text, json, dot (Graphviz) or mermaid"
    run --dir "$MIG" history --format json
    expect_exit 0 "history --format json is the JSON list"
    expect_jq '.revisions | length == 5' "history --format json"
}

CASES=(
    case_revision_numbered_folder
    case_two_developers_merge
    case_label_head
    case_depends_across_branches
    case_downgrade_across_merge
    case_stamp_merge_point
    case_missing_ancestor
    case_revision_and_merge_files
    case_history_drawing
    case_history_pictures
    case_graph_errors
    case_help_and_usage
)

[ -x "$DBMIG" ] || { echo "graph.sh: $DBMIG is not executable" >&2; exit 2; }
echo "dbmig graph suite: $DBMIG"
for c in "${CASES[@]}"; do
    run_case "$c"
done
summary
