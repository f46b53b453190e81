#!/usr/bin/env bash
# tests/zdt/options.sh — the options of SPEC section 14 as a user mistypes
# them: a DURATION without its unit, a bad phase, from the command line, the
# environment and the config file; each is a usage error (exit 2) naming the
# value and where it came from.
set -u
fails=0
fail() { echo "FAIL options.$TARGET $*"; fails=$((fails + 1)); }
mkdir -p m
printf -- '-- dbmig:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n' > m/001_t.sql
expect() { # expect CODE TEXT CMD...
    local code=$1 text=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    [ "$rc" = "$code" ] || { fail "\`$*\` exited $rc, not $code: $out"; return; }
    [ -z "$text" ] || printf '%s' "$out" | grep -qF -- "$text" || fail "\`$*\` does not say '$text': $out"
}
D=("$DBMIG" --url "$URL" --dir m)
expect 2 "bad value '2' for ddl-lock-timeout (from --ddl-lock-timeout)" "${D[@]}" --ddl-lock-timeout 2 status
expect 2 "a bare number has no unit" "${D[@]}" --statement-timeout 30 status
expect 2 "bad value '2h' for batch-pause" "${D[@]}" --batch-pause 2h status
expect 2 "bad value 'prod' for phase (from --phase)" "${D[@]}" --phase prod status
expect 2 "from DBMIG_BATCH_TIME" env DBMIG_BATCH_TIME=fast "${D[@]}" status
expect 2 "bad value '-1' for ddl-retries" "${D[@]}" --ddl-lock-timeout 1s --ddl-retries -1 status
printf '[dbmig]\nddl-lock-timeout = 2\n' > bad.conf
expect 2 "bad.conf:2" "${D[@]}" --config bad.conf status
printf '[dbmig]\nddl-lock-timout = 2s\n' > typo.conf
expect 2 "did you mean 'ddl-lock-timeout'" "${D[@]}" --config typo.conf status
# --batch-pause MS and --batch-time MS (SPEC 14): a bare number is milliseconds
expect 0 "" "${D[@]}" --batch-pause 50 --batch-time 200 status
# --ddl-retries without --ddl-lock-timeout does nothing: refused when typed,
# a note when a setting
expect 2 "--ddl-retries needs --ddl-lock-timeout" "${D[@]}" --ddl-retries 3 status
expect 0 "note: ddl-retries (from DBMIG_DDL_RETRIES) does nothing without ddl-lock-timeout" \
    env DBMIG_DDL_RETRIES=3 "${D[@]}" status
# well-formed values are accepted
expect 0 "" "${D[@]}" --ddl-lock-timeout 1.5s --ddl-retries 3 --statement-timeout 1m \
    --batch-pause 10ms --batch-time 250ms --phase all status
exit $((fails > 0))
