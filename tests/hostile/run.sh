#!/usr/bin/env bash
# run.sh — the hostile-input suite: migration folders, option values, URLs
# and plugin set-ups an attacker or an accident could produce. Each must give
# a clear error (naming the file where there is one) with a defined exit code
# (SPEC section 5), apply nothing, never crash, hang or trip a sanitizer, and
# never print a password.
#
#   DBMIG=build/dbmig bash tests/hostile/run.sh
#
# Environment: DBMIG (the binary), DBMIG_SOURCE_DIR (the source tree),
# DBMIG_FIXTURE_PLUGIN_DIR (the broken test plugins, optional),
# DBMIG_HOSTILE_KEEP=1 keeps the temp folder.
#
# The corpus: corpus/<case>/ is a migrations folder, its .expect file reads
# "EXIT_CODES<tab>REGEX<tab>OPTIONS": the allowed exit codes, an extended regular
# expression the error must match, extra global options (--driver postgres
# --sql runs another dialect's splitter offline). Cases that cannot be
# checked-in files (10 MB lines, symbolic links, FIFOs) are made below.
set -uo pipefail
: "${DBMIG:?DBMIG must name the dbmig binary}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DBMIG=$(cd "$(dirname "$DBMIG")" && pwd)/$(basename "$DBMIG")
command -v sqlite3 > /dev/null || { echo "run.sh: sqlite3 is required" >&2; exit 2; }
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_LOCK_TIMEOUT DBMIG_PLUGIN_PATH DBMIG_FORMAT
export NO_COLOR=1
W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-hostile.XXXXXX")
cleanup() { chmod -R u+rwx "$W" 2> /dev/null; [ -n "${DBMIG_HOSTILE_KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT
cd "$W" || exit 2

SECRET=Hunter2Secret      # the password every URL below carries
cases=0 runs=0 failures=0
declare -a failed_cases=()

# run ARGS...: dbmig with a 60 s cap; stdout/stderr in $W/out, $W/err; $RC.
# RUNAS: a command prefix (empty: dbmig runs as the caller).
RUNAS=()
run() {
    RC=0
    timeout 60 "${RUNAS[@]}" "$DBMIG" "$@" > "$W/out" 2> "$W/err" < /dev/null || RC=$?
    runs=$((runs + 1))
}

CASE= PROBLEMS=
problem() { PROBLEMS+="    $*"$'\n'; }

# sane: the last run did not crash, hang or trip a sanitizer, its exit code
# is one of SPEC section 5's, a failure says something, and no password or
# sanitizer report is in its output.
sane() {
    local what=$1
    if ((RC == 124)); then problem "$what: hung (killed after 60 s)"; return; fi
    if ((RC > 4)); then problem "$what: exit $RC (a crash or an undefined code): $(head -c 300 "$W/err")"; fi
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$W/err"; then
        problem "$what: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$W/err")"
    fi
    if ((RC != 0)) && ! [ -s "$W/err" ] && ! [ -s "$W/out" ]; then problem "$what: exit $RC with no message"; fi
    if grep -q "$SECRET" "$W/out" "$W/err"; then problem "$what: the password appears in the output"; fi
}

# nothing_applied DB: no version row, no table but dbmig's own.
nothing_applied() {
    local db=$1
    [ -e "$db" ] || return 0
    local rows tables
    rows=$(sqlite3 "$db" "SELECT COUNT(*) FROM dbmig_version" 2> /dev/null || echo 0)
    tables=$(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'dbmig_version%'" 2> /dev/null)
    [ "$rows" = 0 ] || problem "version rows were written: $(sqlite3 "$db" 'SELECT revision FROM dbmig_version' | tr '\n' ' ')"
    [ -z "$tables" ] || problem "tables were created: $(echo "$tables" | tr '\n' ' ')"
}

finish_case() {
    CASE=${CASE//$'\n'/\\n}
    cases=$((cases + 1))
    if [ -n "$PROBLEMS" ]; then
        failures=$((failures + 1))
        failed_cases+=("$CASE")
        printf 'FAIL %s\n%s' "$CASE" "$PROBLEMS"
    else
        printf 'ok   %s\n' "$CASE"
    fi
    PROBLEMS=
}

# folder_case NAME DIR CODES REGEX [OPTIONS...]: upgrade must fail with one
# of CODES and a message matching REGEX; nothing applied; the read-only
# commands on the same folder must not crash either.
folder_case() {
    CASE=$1
    local dir=$2 codes=$3 regex=$4
    shift 4
    local db="$W/$CASE.db"
    rm -f "$db"
    run --url "sqlite:$db" --dir "$dir" "$@" upgrade
    sane upgrade
    if ! [[ ",$codes," == *",$RC,"* ]]; then
        problem "upgrade: exit $RC, expected one of $codes: $(head -c 300 "$W/err" | tr '\n' '|')"
    elif [ -n "$regex" ] && ! grep -qiE -- "$regex" "$W/err"; then
        problem "upgrade: the error does not match /$regex/: $(head -c 300 "$W/err" | tr '\n' '|')"
    fi
    nothing_applied "$db"
    if [[ " $* " == *" --sql "* ]]; then
        [ -e "$db" ] && problem "--sql created the database"
        if ((RC != 0)) && [ -s "$W/out" ] && grep -q 'dbmig_version' "$W/out"; then
            problem "--sql printed a partial script on failure"
        fi
    else
        local c
        for c in status history heads check "show 001" "--sql upgrade" "downgrade base"; do
            # shellcheck disable=SC2086
            run --url "sqlite:$db" --dir "$dir" "$@" $c
            sane "$c"
        done
        nothing_applied "$db"
    fi
    finish_case
}

# ---- the checked-in corpus --------------------------------------------------
for d in "$HERE"/corpus/*/; do
    name=$(basename "$d")
    IFS=$'\t' read -r codes regex opts < "$d/.expect"
    # shellcheck disable=SC2086
    folder_case "$name" "$d" "$codes" "$regex" $opts
done

# ---- generated inputs ---------------------------------------------------------
gen() { rm -rf "$W/g"; mkdir -p "$W/g"; }

gen; { printf -- '-- '; head -c 10000000 /dev/zero | tr '\0' a; printf '\n'; } > "$W/g/001_huge_comment.sql"
folder_case huge_line_comment "$W/g" 3 'no SQL statement'

gen; { head -c 10000000 /dev/zero | tr '\0' x; printf ';\n'; } > "$W/g/001_huge_stmt.sql"
folder_case huge_line_statement "$W/g" 1 'statement 1 of 1 of revision 001 failed'

gen; { printf -- '-- dbmig:message '; head -c 10000000 /dev/zero | tr '\0' m; printf '\nCREATE TABLE a (x INT);\n'; } > "$W/g/001_huge_message.sql"
folder_case huge_line_message "$W/g" 3 'message'

gen; { for _ in $(seq 200000); do printf '/*'; done; printf '\nSELECT 1;\n'; } > "$W/g/001_deep.sql"
folder_case deep_comment_nesting_sqlite "$W/g" 3 unterminated
folder_case deep_comment_nesting_pg "$W/g" 3 unterminated --driver postgres --sql

gen; { for _ in $(seq 100000); do printf '/* '; done; for _ in $(seq 100000); do printf '*/ '; done; printf '\nCREATE TABLE a (x INT);\nSELECT $$ x;\n'; } > "$W/g/001_deep.sql"
folder_case deep_balanced_nesting_pg "$W/g" 3 unterminated --driver postgres --sql

gen; { head -c 200000 /dev/zero | tr '\0' "'"; printf 'x;\n'; } > "$W/g/001_quotes.sql"
folder_case many_empty_strings "$W/g" 1,3 ''

gen; ln -s 001_loop.sql "$W/g/001_loop.sql"
folder_case symlink_self_loop "$W/g" 2,3 '001_loop.sql'

gen; ln -s 002_b.sql "$W/g/001_a.sql"; ln -s 001_a.sql "$W/g/002_b.sql"
folder_case symlink_loop "$W/g" 2,3 '001_a.sql'

gen; printf 'CREATE TABLE a (x INT);\n' > "$W/outside.sql"; ln -s "$W/outside.sql" "$W/g/001_out.sql"
folder_case symlink_outside_folder "$W/g" 2,3 '001_out.sql'

gen; ln -s /dev/zero "$W/g/001_zero.sql"
folder_case symlink_to_device "$W/g" 2,3 '001_zero.sql'

gen; mkfifo "$W/g/001_fifo.sql"; printf 'CREATE TABLE a (x INT);\n' > "$W/g/002_ok.sql"; chmod 000 "$W/g/002_ok.sql"
if [ "$(id -u)" = 0 ]; then
    # root reads anything: dbmig runs as nobody for this case (tests/nobody.sh;
    # CI runs as root), in a folder nobody may write to for its database.
    [ "$(bash "$HERE/../nobody.sh" id -u)" != 0 ] || { echo "run.sh: cannot drop to nobody" >&2; exit 2; }
    chmod 1777 "$W"
    RUNAS=(bash "$HERE/../nobody.sh")
    folder_case unreadable_file_and_fifo "$W/g" 2 '002_ok.sql'
    RUNAS=()
    chmod 0700 "$W"
else
    folder_case unreadable_file_and_fifo "$W/g" 2 '002_ok.sql'
fi

CASE=empty_folder
gen; run --url "sqlite:$W/empty.db" --dir "$W/g" upgrade; sane upgrade
((RC == 0)) || problem "an empty folder is an empty graph: exit $RC"
run --url "sqlite:$W/empty.db" --dir "$W/g" status; sane status
finish_case

CASE=missing_folder
run --url "sqlite:$W/missing.db" --dir "$W/does/not/exist" upgrade; sane upgrade
((RC == 2)) || problem "a missing folder is exit 2, got $RC"
grep -q 'does/not/exist' "$W/err" || problem "the error does not name the folder"
finish_case

CASE=folder_is_a_file
run --url "sqlite:$W/file.db" --dir "$HERE/run.sh" upgrade; sane upgrade
((RC == 2)) || problem "a file as --dir is exit 2, got $RC"
finish_case

# A message that looks like SQL is stored as text, never run.
CASE=message_sql_injection_is_data
gen; printf -- "-- dbmig:message x'); DROP TABLE canary; --\nCREATE TABLE a (x INT);\n" > "$W/g/002_inj.sql"
printf 'CREATE TABLE canary (x INT);\n' > "$W/g/001_canary.sql"
run --url "sqlite:$W/inj.db" --dir "$W/g" upgrade; sane upgrade
((RC == 0)) || problem "exit $RC"
[ "$(sqlite3 "$W/inj.db" "SELECT message FROM dbmig_version WHERE revision = '002'")" = "x'); DROP TABLE canary; --" ] ||
    problem "the message was not stored verbatim"
sqlite3 "$W/inj.db" 'SELECT 1 FROM canary' > /dev/null 2>&1 || problem "table canary was dropped"
finish_case

# ---- version table names --------------------------------------------------------
gen; printf 'CREATE TABLE a (x INT);\n' > "$W/g/001_a.sql"
for t in 'x"; DROP TABLE a; --' "x'y" 'a;b' 'a b' '' 'a.b.c' '1abc' "$(printf 't%.0s' $(seq 64))" 'main.' '.x' 'a-b' 'x`y' 'a[b]'; do
    CASE="table_name:$t"
    run --url "sqlite:$W/t.db" --dir "$W/g" --table "$t" upgrade; sane upgrade
    ((RC == 2)) || problem "exit $RC, expected 2"
    grep -qi 'table' "$W/err" || problem "the error does not say it is the table name"
    nothing_applied "$W/t.db"
    finish_case
done
CASE="table_name:from_config"
printf '[dbmig]\ntable = x"; DROP TABLE a; --\n' > "$W/t.conf"
run --config "$W/t.conf" --url "sqlite:$W/t.db" --dir "$W/g" upgrade; sane upgrade
((RC == 2)) || problem "exit $RC, expected 2"
nothing_applied "$W/t.db"
finish_case

# ---- URLs ----------------------------------------------------------------------------
# Every one carries $SECRET somewhere a password can be; none may print it.
for u in "postgres://u:$SECRET@[::1/db" "postgres://u:$SECRET@127.0.0.1:1/db" \
         "postgresql://u:$SECRET@127.0.0.1:1/db?sslmode=disable&connect_timeout=2" \
         "postgres://u@127.0.0.1:1/db?password=$SECRET" "postgres://u:p%40$SECRET@127.0.0.1:1/db" \
         "postgres://u:$SECRET@host name/db" "postgres://u:$SECRET@127.0.0.1:99999/db" \
         "mysql://root:$SECRET@127.0.0.1:1/db" "mysql://root:$SECRET@127.0.0.1:1/db?unknown=1" \
         "mysql://root:$SECRET@localhost:1/db%00x" "host=127.0.0.1 password=$SECRET dbname=x" \
         "nosuchdriver://u:$SECRET@h/d" "sqlite:$W/x.db?password=$SECRET" \
         "$(printf 'postgres://u:%s@h\n/d' "$SECRET")" "postgres://u:$SECRET:$SECRET@127.0.0.1:1/d" \
         "postgres://u:$SECRET@@127.0.0.1:1/d" "postgres://:$SECRET@127.0.0.1:1/d" ""; do
    CASE="url:${u//$SECRET/***}"
    for c in upgrade status "--format json status" "--format json check" current "-v upgrade" \
             "--sql upgrade" "--dry-run upgrade" "stamp head"; do
        # shellcheck disable=SC2086
        run --url "$u" --dir "$W/g" --lock-timeout 1 $c
        sane "$c"
        ((RC != 0)) || [ "$c" = "--sql upgrade" ] || problem "$c: exit 0 against a bad URL"
    done
    finish_case
done
# Through the environment and the config file, with ${VAR} expansion.
CASE="url:from_environment_and_config"
export DBMIG_HOSTILE_PW=$SECRET
printf '[dbmig]\nurl = postgres://u:${DBMIG_HOSTILE_PW}@127.0.0.1:1/db\n' > "$W/u.conf"
run --config "$W/u.conf" --dir "$W/g" -v upgrade; sane "config url"
((RC == 1)) || problem "config url: exit $RC, expected 1"
DATABASE_URL="mysql://u:$SECRET@127.0.0.1:1/db" run --dir "$W/g" -v status; sane "DATABASE_URL"
printf '[dbmig]\nurl postgres://u:%s@127.0.0.1:1/db\n' "$SECRET" > "$W/bad.conf"
run --config "$W/bad.conf" --dir "$W/g" upgrade; sane "config syntax error"
((RC == 2)) || problem "config syntax error: exit $RC, expected 2"
printf '[dbmig]\nurl = postgres://u:%s@127.0.0.1:1/db\nnope = 1\n' "$SECRET" > "$W/bad2.conf"
run --config "$W/bad2.conf" --dir "$W/g" upgrade; sane "config unknown key"
((RC == 2)) || problem "config unknown key: exit $RC, expected 2"
printf 'postgres://u:%s@127.0.0.1:1/a\nmysql://u:%s@127.0.0.1:1/b\n' "$SECRET" "$SECRET" > "$W/targets"
run --dir "$W/g" fleet --targets "$W/targets" status; sane "fleet"
((RC != 0)) || problem "fleet: exit 0 against unreachable targets"
run --dir "$W/g" --format json fleet --targets "$W/targets" status; sane "fleet json"
finish_case

# ---- plugins: never from the working folder --------------------------------------------
# A broken dbmig_sqlite.so (the bad-ABI fixture, or plain junk) sits in the
# working folder; dbmig must use the real plugin, whatever the path says.
CASE=no_plugin_from_working_folder
mkdir -p "$W/cwd"
if [ -n "${DBMIG_FIXTURE_PLUGIN_DIR:-}" ] && [ -f "$DBMIG_FIXTURE_PLUGIN_DIR/dbmig_badabi.so" ]; then
    cp "$DBMIG_FIXTURE_PLUGIN_DIR/dbmig_badabi.so" "$W/cwd/dbmig_sqlite.so"
else
    printf 'not a shared object\n' > "$W/cwd/dbmig_sqlite.so"
fi
cp "$W/cwd/dbmig_sqlite.so" "$W/cwd/dbmig_sqlite"; cp "$W/cwd/dbmig_sqlite.so" "$W/cwd/dbmig_sqlite.la"
for pp in unset '' ':' '::' ; do
    for pd in none ''; do
        rm -f "$W/cwd/p.db"
        args=(--url "sqlite:$W/cwd/p.db" --dir "$W/g")
        [ "$pd" = none ] || args=(--plugin-dir "$pd" "${args[@]}")
        if [ "$pp" = unset ]; then
            (cd "$W/cwd" && timeout 60 "$DBMIG" "${args[@]}" upgrade > "$W/out" 2> "$W/err"); RC=$?
        else
            (cd "$W/cwd" && DBMIG_PLUGIN_PATH=$pp timeout 60 "$DBMIG" "${args[@]}" upgrade > "$W/out" 2> "$W/err"); RC=$?
        fi
        runs=$((runs + 1))
        sane "upgrade (DBMIG_PLUGIN_PATH=$pp, --plugin-dir=$pd)"
        ((RC == 0)) || problem "DBMIG_PLUGIN_PATH='$pp' --plugin-dir='$pd': exit $RC: $(head -c 200 "$W/err")"
        (cd "$W/cwd" && DBMIG_PLUGIN_PATH=${pp/unset/} timeout 60 "$DBMIG" --format json drivers > "$W/out" 2> "$W/err"); RC=$?
        runs=$((runs + 1))
        # (a drivers run that failed would list nothing, and pass the check)
        ((RC == 0)) || problem "drivers (DBMIG_PLUGIN_PATH='$pp'): exit $RC: $(head -c 200 "$W/err")"
        if grep -q "$W/cwd" "$W/out" "$W/err"; then
            problem "drivers lists a file of the working folder (DBMIG_PLUGIN_PATH='$pp')"
        fi
    done
done
finish_case

printf '\nhostile: %d cases, %d dbmig runs, %d failed\n' "$cases" "$runs" "$failures"
((failures == 0)) || { printf 'failed: %s\n' "${failed_cases[*]}"; exit 1; }
exit 0
