#!/usr/bin/env bash
# tests/zdt/phase.sh — pre/post-deployment phases (SPEC section 14) on every
# database: `-- dbmig:phase post` marks a revision that runs after the new
# code is deployed. upgrade --phase pre applies the others (a dry run and
# --sql say the same), refuses (exit 3, naming both) a pre revision that
# needs an unapplied post one, by parent or by depends, with or without a
# target; check --phase pre is the readiness gate (post ones pending pass,
# a pre one pending fails); --phase post and a plain upgrade apply all;
# status, show and history show the phase (text and JSON); --phase typed
# for a command without phases (downgrade, stamp) is a note, silent when it
# comes from the environment; a mistyped header is exit 3 with file:line.
set -u
fails=0
fail() { echo "FAIL phase.$TARGET $*"; fails=$((fails + 1)); }
command -v jq >/dev/null || { echo "FAIL phase.$TARGET jq is required"; exit 1; }
OUT=$PWD/out
# run CODE CASE CMD...: runs CMD (stdout in $OUT.1, stdout and stderr in
# $OUT), fails CASE unless it exits CODE
run() {
    local code=$1 case=$2
    shift 2
    "$@" >"$OUT.1" 2>"$OUT.2"
    local rc=$?
    cat "$OUT.1" "$OUT.2" >"$OUT"
    [ "$rc" = "$code" ] || { fail "$case: \`${*:2}\` exited $rc, not $code: $(head -c 1500 "$OUT")"; return 1; }
    return 0
}
# says CASE TEXT...: the last output holds every TEXT
says() {
    local case=$1 t
    shift
    for t in "$@"; do
        grep -qF -- "$t" "$OUT" || fail "$case: output does not say '$t': $(head -c 1500 "$OUT")"
    done
}
# lacks CASE TEXT...: the last output holds none of them
lacks() {
    local case=$1 t
    shift
    for t in "$@"; do
        ! grep -qF -- "$t" "$OUT" || fail "$case: output says '$t': $(head -c 1500 "$OUT")"
    done
}
# jqok CASE FILTER: stdout of the last command (JSON) satisfies FILTER
jqok() {
    jq -e "$2" "$OUT.1" >/dev/null 2>&1 || fail "$1: JSON does not satisfy $2: $(head -c 1500 "$OUT")"
}
# state REV: applied / pending / ... as status --format json says
state() {
    "$DBMIG" --url "$URL" --dir m --format json status 2>/dev/null |
        jq -r --arg r "$1" '.revisions[] | select(.revision == $r) | .state'
}
is_state() { # is_state CASE REV STATE
    local s
    s=$(state "$2")
    [ "$s" = "$3" ] || fail "$1: $2 is '$s', not '$3'"
}

mkdir -p m
cat >m/001_users.sql <<'EOF'
-- dbmig:up
CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50));
-- dbmig:down
DROP TABLE users;
EOF
cat >m/002_email.sql <<'EOF'
-- dbmig:message add users.email (nullable)
-- dbmig:up
ALTER TABLE users ADD COLUMN email VARCHAR(100);
EOF
cat >m/003_drop_name.sql <<'EOF'
-- dbmig:message drop users.name once no code reads it
-- dbmig:phase post
-- dbmig:up
ALTER TABLE users DROP COLUMN name;
EOF
D=("$DBMIG" --url "$URL" --dir m)

# --- status, show, history: the phase before anything runs
run 0 status_text "${D[@]}" status && says status_text "drop users.name once no code reads it  (head)  (post)"
grep -E '^ +pending +001 ' "$OUT" | grep -qF '(post)' && fail "status_text: 001 is tagged post"
run 0 status_json "${D[@]}" --format json status &&
    jqok status_json '[.revisions[] | {(.revision): .phase}] | add == {"001":"pre","002":"pre","003":"post"}'
run 0 show_text "$DBMIG" --dir m show 003 && says show_text "phase:       post"
run 0 show_pre "$DBMIG" --dir m show 002 && says show_pre "phase:       pre"
run 0 show_json "$DBMIG" --dir m --format json show 003 && jqok show_json '.phase == "post"'
run 0 history_json "$DBMIG" --dir m --format json history &&
    jqok history_json '[.revisions[] | {(.revision): .phase}] | add == {"001":"pre","002":"pre","003":"post"}'
run 0 history_text "$DBMIG" --dir m history &&
    says history_text "003 drop users.name once no code reads it (head, post)"

# --- the readiness gate fails while a pre revision is pending
run 3 check_pre_pending "${D[@]}" --phase pre check &&
    says check_pre_pending "001 (001_users.sql) is pending: run \`dbmig upgrade --phase pre\`"

# --- a dry run shows the plan without the post revision, and changes nothing
run 0 dry_pre "${D[@]}" --phase pre --dry-run upgrade &&
    says dry_pre "would apply 001" "would apply 002" \
        "--phase pre leaves out 1 post-deployment revision: 003" &&
    lacks dry_pre "would apply 003"
is_state dry_pre 001 pending

# --- the offline script honours --phase too
run 0 sql_pre "${D[@]}" --sql --phase pre upgrade &&
    says sql_pre "CREATE TABLE users" "ADD COLUMN email" && lacks sql_pre "DROP COLUMN name"

# --- upgrade --phase pre: 001 and 002, not 003
run 0 upgrade_pre "${D[@]}" --phase pre upgrade &&
    says upgrade_pre "--phase pre leaves out 1 post-deployment revision: 003" \
        "apply it with \`dbmig upgrade --phase post\`"
is_state upgrade_pre 001 applied
is_state upgrade_pre 002 applied
is_state upgrade_pre 003 pending
# old code still writes users.name: it must still be there
run 0 old_code_works "${D[@]}" --phase pre upgrade && says old_code_works "nothing to do"

# --- a post revision named as the target of --phase pre: refused (exit 2)
run 2 pre_post_target "${D[@]}" --phase pre upgrade 003 &&
    says pre_post_target "the target is (or counts) 003" "--phase pre never applies" \
        "dbmig upgrade --phase post 003"
is_state pre_post_target 003 pending

# --- readiness: the post revision pending passes, and is mentioned
run 0 check_pre_ready "${D[@]}" --phase pre check &&
    says check_pre_ready "every pre-deployment one applied" \
        "note: 1 post-deployment revision pending (003)"
run 0 check_pre_json "${D[@]}" --phase pre --format json check &&
    jqok check_pre_json '.ok == true and .phase == "pre" and .post_pending == ["003"] and .problems == []'
run 3 check_all "${D[@]}" check && says check_all "003 (003_drop_name.sql) is pending"

# --- a pre revision that needs the unapplied post one: refused, naming both
cat >m/004_index.sql <<'EOF'
-- dbmig:up
CREATE INDEX users_email ON users (email);
EOF
refused() { # refused CASE CMD...: exit 3 naming 004 and 003, nothing applied
    run 3 "$@" || return
    says "$1" "upgrade --phase pre cannot apply 004 (004_index.sql): it needs 003 (003_drop_name.sql), a post-deployment revision"
    is_state "$1" 004 pending
    is_state "$1" 003 pending
}
refused refuse_parent "${D[@]}" --phase pre upgrade
# a pre revision after 004 needs 003 through 004: counted with it
printf -- '-- dbmig:up\nCREATE INDEX users_id_email ON users (id, email);\n' >m/004b_more.sql
refused refuse_chain "${D[@]}" --phase pre upgrade &&
    says refuse_chain "(and 1 more pre revision needs an unapplied post one)"
rm m/004b_more.sql
refused refuse_target "${D[@]}" --phase pre upgrade 004
refused refuse_dry "${D[@]}" --phase pre --dry-run upgrade
run 3 check_pre_004 "${D[@]}" --phase pre check && says check_pre_004 "004 (004_index.sql) is pending"
# ... by depends rather than by parent
cat >m/004_index.sql <<'EOF'
-- dbmig:parents 002
-- dbmig:depends 003
-- dbmig:up
CREATE INDEX users_email ON users (email);
EOF
refused refuse_depends "${D[@]}" --phase pre upgrade 004
refused refuse_heads "${D[@]}" --phase pre upgrade heads
# ... and without a path through 003, 004 is applied alone
cat >m/004_index.sql <<'EOF'
-- dbmig:parents 002
-- dbmig:up
CREATE INDEX users_email ON users (email);
EOF
run 0 branch_pre "${D[@]}" --phase pre upgrade heads
is_state branch_pre 004 applied
is_state branch_pre 003 pending
printf -- '-- dbmig:parents 003 004\n-- dbmig:up\n' >m/005_merge.sql

# --- --phase post applies the rest; then everything passes
run 0 upgrade_post "${D[@]}" --phase post upgrade
is_state upgrade_post 003 applied
is_state upgrade_post 005 applied
run 0 check_done "${D[@]}" check
run 0 check_pre_done "${D[@]}" --phase pre check && lacks check_pre_done "post-deployment revision"

# --- a plain upgrade (no --phase) applies post revisions too
mkdir -p p
printf -- '-- dbmig:up\nCREATE TABLE p_a (id INTEGER PRIMARY KEY);\n' >p/001_a.sql
printf -- '-- dbmig:phase post\n-- dbmig:up\nCREATE TABLE p_b (id INTEGER PRIMARY KEY);\n' >p/002_b.sql
run 0 plain "$DBMIG" --url "$URL" --dir p --table p_version upgrade
run 0 plain_check "$DBMIG" --url "$URL" --dir p --table p_version check

# --- --phase typed for a command without phases: a note, nothing refused;
# the same from the environment (a whole environment's setting) is silent
NOTE="has no effect on"
run 0 note_downgrade "${D[@]}" --phase pre --dry-run downgrade 005 &&
    says note_downgrade "dbmig: note: --phase pre $NOTE downgrade (only upgrade and check"
run 0 note_stamp "${D[@]}" --phase=post --dry-run stamp head && says note_stamp "--phase post $NOTE stamp"
run 0 note_env env DBMIG_PHASE=pre "${D[@]}" --dry-run downgrade 005 && lacks note_env "$NOTE"
run 0 note_all "${D[@]}" --phase all --dry-run downgrade 005 && lacks note_all "$NOTE"
run 0 note_quiet "${D[@]}" --phase pre -q --dry-run stamp head && lacks note_quiet "$NOTE"
run 0 note_upgrade "${D[@]}" --phase pre upgrade && lacks note_upgrade "$NOTE"

# --- header mistakes: exit 3, file:line, the fix
mkdir -p bad
bad() { # bad CASE TEXT WANT...
    local case=$1 text=$2
    shift 2
    rm -f bad/*.sql
    printf -- "$text" >bad/001_x.sql
    run 3 "$case" "$DBMIG" --url "$URL" --dir bad --table bad_version status && says "$case" "$@"
}
bad bad_value '-- dbmig:message x\n-- dbmig:phase later\nSELECT 1;\n' \
    "bad/001_x.sql:2: -- dbmig:phase must be \`pre\` or \`post\`, not 'later'"
bad bad_empty '-- dbmig:phase\nSELECT 1;\n' "bad/001_x.sql:1: -- dbmig:phase needs a value"
bad bad_twice '-- dbmig:phase post\n-- dbmig:phase post\nSELECT 1;\n' \
    "bad/001_x.sql:2: duplicate header key -- dbmig:phase"
bad bad_place '-- dbmig:up\nSELECT 1;\n-- dbmig:phase post\n' \
    "bad/001_x.sql:3: header key -- dbmig:phase after the first section marker"
bad bad_colon '-- dbmig phase post\nSELECT 1;\n' "bad/001_x.sql:1:" "Write it as -- dbmig:phase post"
bad bad_yaml '-- dbmig:phase: post\nSELECT 1;\n' "bad/001_x.sql:1:" "Write -- dbmig:phase post"
bad bad_typo '-- dbmig:phases post\nSELECT 1;\n' "bad/001_x.sql:1:" "did you mean -- dbmig:phase?"

exit $((fails > 0))
