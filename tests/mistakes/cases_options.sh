# Mistakes with options, the environment and dbmig.conf (issue 13, 6-9 and
# 19-20): booleans that must mean what they say, DBMIG_<NAME> for every
# option, the precedence of the sources, options anywhere on the line, typos
# answered with the nearest known name. Sourced by run.sh; see there for
# `mistake`. The case's folder ($T) is the working folder, so a dbmig.conf
# written there is read by every dbmig run of the case.

# A migration that fails on every driver, after two that work.
_mk_chain_failing_third() {
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 002_b b
    mkmig "$MIG" 003_bad "-- dbmig:up
SELECT * FROM no_such_table_anywhere;
-- dbmig:down
SELECT 1;"
}

# ---- 6. booleans from the file and the environment ---------------------------

m_options_bool_zero_env_is_false() {
    # DBMIG_SINGLE_TRANSACTION=0 used to turn the option ON: the whole run
    # was then rolled back together. Off, each revision commits on its own.
    _mk_chain_failing_third
    DBMIG_SINGLE_TRANSACTION=0 dbm --commit-interval 0 upgrade
    expect_exit 1 "a failing third revision"
    expect_applied "001 002" "DBMIG_SINGLE_TRANSACTION=0 is off: 001 and 002 stay committed"
}

m_options_bool_false_file_is_false() {
    _mk_chain_failing_third
    printf '[dbmig]\nsingle-transaction = false\ncommit-interval = 0\n' > dbmig.conf
    dbm upgrade
    expect_exit 1 "a failing third revision"
    expect_applied "001 002" "single-transaction = false is off"
}

m_options_bool_quiet_false_env() {
    # DBMIG_QUIET=false used to silence the progress lines
    mk_chain3 "$MIG"
    DBMIG_QUIET=false dbm upgrade
    expect_exit 0
    expect_contains err "applied 001 a"
    expect_applied "001 002 003"
}

m_options_bool_bad_env() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    export DBMIG_QUIET=maybe
    mistake 2 "DBMIG_QUIET" "'maybe'" "true/false" -- upgrade
}

m_options_bool_bad_file() {
    mk_chain3 "$MIG"
    printf '[dbmig]\n; the run in one transaction\nsingle-transaction = nope\n' > dbmig.conf
    mistake 2 "dbmig.conf:3" "single-transaction" "true/false" -- upgrade
}

m_options_bool_yes_no_on_off_any_case() {
    mk_chain3 "$MIG"
    printf '[dbmig]\nquiet = YES\nno-color = Off\n' > dbmig.conf
    dbm upgrade 001
    expect_exit 0
    expect_not_contains err "applied 001 a"     # quiet = YES is on
    DBMIG_QUIET=No dbm upgrade                  # the environment beats the file
    expect_exit 0
    expect_contains err "applied 002 b"
}

# ---- 7. every option from DBMIG_<NAME> --------------------------------------------

m_options_dry_run_env() {
    # DBMIG_DRY_RUN=1 used to be ignored: a real upgrade ran
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    export DBMIG_DRY_RUN=1
    mistake 0 "002" -- upgrade
    expect_applied "001"
}

m_options_sql_env() {
    # DBMIG_SQL=1 used to be ignored: the database was upgraded
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    export DBMIG_SQL=1
    mistake 0 "CREATE TABLE c" -- upgrade
    expect_applied "001"
}

m_options_sql_env_named_when_refused() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    export DBMIG_SQL=true
    mistake 2 "DBMIG_SQL" "upgrade and downgrade" -- status
}

m_options_dry_run_in_file_refused() {
    mk_chain3 "$MIG"
    printf '[dbmig]\ndry-run = true\n' > dbmig.conf
    mistake 2 "dbmig.conf:2" "DBMIG_DRY_RUN" -- upgrade
}

m_options_every_env_name_read() {
    # each value option really comes from DBMIG_<NAME>: a bad value there is
    # refused naming the variable (before, several were never read)
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    local v
    for v in DBMIG_LOCK_TIMEOUT DBMIG_COMMIT_INTERVAL DBMIG_LEASE_SECONDS DBMIG_LOCK DBMIG_FORMAT; do
        env "$v=bogus" "$DBMIG" --url "$URL" --dir "$MIG" upgrade > "$T/out" 2> "$T/err" && RC=0 || RC=$?
        expect_exit 2 "$v=bogus"
        expect_contains err "$v"
    done
    expect_applied "001"
}

m_options_unknown_env_var_warns() {
    # a DBMIG_ variable meant for a setting gets a warning naming the setting;
    # one that resembles none (a script's own) is left alone
    mk_chain3 "$MIG"
    export DBMIG_LOCKTIMEOUT=5 DBMIG_DATABASE_URL=sqlite:elsewhere.db DBMIG_FOO=1
    dbm upgrade 001
    expect_exit 0
    expect_contains err "warning: the environment variable DBMIG_LOCKTIMEOUT is not a dbmig setting"
    expect_contains err "did you mean DBMIG_LOCK_TIMEOUT?"
    expect_contains err "DBMIG_DATABASE_URL is not a dbmig setting and is ignored; did you mean DBMIG_URL?"
    expect_not_contains err "DBMIG_FOO"
    expect_applied "001"
}

# ---- 8. ${VAR} only in the sections in use ---------------------------------------------

m_options_unset_var_in_unused_section() {
    # docs/configuration.md's own example: [env.prod] needs PGPASSWORD
    mk_chain3 "$MIG"
    unset DM_NEVER_SET
    cat > dbmig.conf <<EOF
[dbmig]
url = $URL
dir = migrations

[env.prod]
url = postgres://app:\${DM_NEVER_SET}@db.internal/app
EOF
    run upgrade
    expect_exit 0
    expect_applied "001 002 003"
    # selected, and not overridden by --url: now it is used, and refused
    mistake_raw 2 "dbmig.conf:6" "DM_NEVER_SET is not set" -- --env prod status
    # overridden by the command line: not used, so not expanded
    dbm --env prod status
    expect_exit 0
}

# ---- 9. precedence: command line > DBMIG_* > [env.NAME] > [dbmig] > DATABASE_URL ----------

m_options_database_url_loses_to_file() {
    mk_chain3 "$MIG"
    export DATABASE_URL=sqlite:$T/wrong.db
    printf '[dbmig]\nurl = %s\ndir = migrations\n' "$URL" > dbmig.conf
    run upgrade
    expect_exit 0
    expect_applied "001 002 003"
    [ ! -e "$T/wrong.db" ] || fail "DATABASE_URL beat the config file's url"
}

m_options_database_url_loses_to_env_section() {
    mk_chain3 "$MIG"
    export DATABASE_URL=sqlite:$T/wrong.db
    printf '[dbmig]\nurl = sqlite:%s/dev.db\ndir = migrations\n[env.prod]\nurl = %s\n' "$T" "$URL" > dbmig.conf
    run --env prod upgrade
    expect_exit 0
    expect_applied "001 002 003"
    [ ! -e "$T/wrong.db" ] || fail "DATABASE_URL beat --env prod"
    [ ! -e "$T/dev.db" ] || fail "[dbmig] beat --env prod"
}

m_options_env_var_beats_file_cli_beats_env() {
    mk_chain3 "$MIG"
    printf '[dbmig]\nurl = %s\ndir = migrations\ntable = from_file\n' "$URL" > dbmig.conf
    DBMIG_TABLE=from_env run upgrade 001
    expect_exit 0
    table_exists from_env || fail "DBMIG_TABLE did not beat the file"
    DBMIG_TABLE=wrong run --table from_env upgrade 002
    expect_exit 0
    ! table_exists wrong || fail "DBMIG_TABLE beat --table"
    ! table_exists from_file || fail "the file's table was used"
    expect_eq "$(db_query "SELECT revision FROM from_env ORDER BY seq" | tr '\n' ' ')" "001 002 " \
        "the rows of from_env"
}

# ---- 19. global options anywhere --------------------------------------------------------------

m_options_global_after_command() {
    mk_chain3 "$MIG"
    run status --url "$URL" --dir "$MIG"
    expect_exit 0
    expect_contains out "pending"
    run upgrade 002 --dir="$MIG" --url="$URL" --lock-timeout 5
    expect_exit 0
    expect_applied "001 002"
    run --dir "$MIG" downgrade --url "$URL" -1
    expect_exit 0
    expect_applied "001"
}

m_options_double_dash_ends_options() {
    mk_chain3 "$MIG"
    dbm upgrade; expect_exit 0
    dbm downgrade -- -2
    expect_exit 0
    expect_applied "001"
}

m_options_command_option_before_command() {
    mk_chain3 "$MIG"
    mistake 2 "'--allow-missing' is an option of upgrade" "after the command" -- --allow-missing upgrade
}

m_options_option_of_another_command() {
    mk_chain3 "$MIG"
    dbm upgrade; expect_exit 0
    mistake 2 "'--resume' is an option of upgrade, not of downgrade" -- downgrade --resume -1
}

m_options_given_twice() {
    # dbm passes --url; a second, different --url is a mistake, not "last wins"
    mk_chain3 "$MIG"
    mistake 2 "'--url' is given twice" -- upgrade --url "sqlite:$T/other.db"
    [ ! -e "$T/other.db" ] || fail "the second --url was used"
}

m_options_value_missing_at_end() {
    mk_chain3 "$MIG"
    mistake 2 "'--lock-timeout' needs a value" -- upgrade --lock-timeout
}

m_options_value_is_another_option() {
    mk_chain3 "$MIG"
    mistake 2 "'--table' needs a value" "got the option '--dry-run'" -- --table --dry-run upgrade
}

# ---- 20. typos, help, -V ------------------------------------------------------------------

m_options_typo_dry_run() {
    # a misspelt --dry-run must never become a real upgrade
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 2 "unknown option '--dryrun'" "did you mean --dry-run?" -- upgrade --dryrun
    expect_applied "001"
}

m_options_typo_command() {
    mk_chain3 "$MIG"
    mistake 2 "unknown command 'upgarde'" "did you mean upgrade?" -- upgarde
}

m_options_typo_driver() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 2 "no driver '${DRIVER}x'" "did you mean $DRIVER?" -- --driver "${DRIVER}x" upgrade
}

m_options_typo_config_key() {
    mk_chain3 "$MIG"
    printf '[dbmig]\ntabel = other_table\n' > dbmig.conf
    mistake 2 "dbmig.conf:2" "unknown key 'tabel'" "did you mean 'table'?" -- upgrade
}

m_options_key_twice_in_file() {
    mk_chain3 "$MIG"
    printf '[dbmig]\ntable = one\n\ntable = two\n' > dbmig.conf
    mistake 2 "dbmig.conf:4" "'table' is set twice" -- upgrade
}

m_options_help_and_version() {
    run help upgrade
    expect_exit 0
    cp "$T/out" "$T/help1"
    run upgrade --help
    expect_exit 0
    cmp -s "$T/out" "$T/help1" || fail "dbmig help upgrade differs from dbmig upgrade --help"
    run help
    expect_exit 0
    local o
    for o in --url --driver --dir --table --config --env --plugin-dir --sql --dry-run \
             --lock-timeout --lock --lease-seconds --single-transaction --commit-interval \
             --format --verbose --quiet --no-color --help --version; do
        grep -qE -- "(^| )$o([ ,=]|\$)" "$T/out" || fail "dbmig help does not list $o"
    done
    run -V
    expect_exit 0
    expect_contains out "dbmig "
    run help upgarde
    expect_exit 2
    expect_contains err "did you mean upgrade?"
}

# ---- and the values ------------------------------------------------------------------------

m_options_bad_numbers() {
    mk_chain3 "$MIG"
    mistake 2 "bad value 'abc' for lock-timeout" "--lock-timeout" "seconds >= 0" -- --lock-timeout abc upgrade
    mistake 2 "bad value '-1' for lock-timeout" -- upgrade --lock-timeout -1
    mistake 2 "bad value '-5' for commit-interval" "whole number of milliseconds" -- --commit-interval -5 upgrade
    mistake 2 "bad value '0' for lease-seconds" -- --lease-seconds 0 upgrade
}

m_options_format_xml() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 2 "bad value 'xml' for format" "text or json" -- status --format xml
    mistake 2 "did you mean json?" -- status --format jsn
}

m_options_config_missing() {
    mk_chain3 "$MIG"
    mistake 2 "missing.conf" "cannot read the config file" -- --config missing.conf upgrade
}

m_options_env_nosuch() {
    mk_chain3 "$MIG"
    printf '[dbmig]\n[env.prod]\n[env.staging]\n' > dbmig.conf
    mistake 2 "no [env.nosuch] section" "[env.prod], [env.staging]" -- --env nosuch upgrade
}

m_options_equals_and_vv() {
    mk_chain3 "$MIG"
    run --url="$URL" --dir="$MIG" -vv upgrade
    expect_exit 0
    expect_applied "001 002 003"
}

m_options_flag_with_value_on_command_line() {
    # --quiet=false on the command line beats quiet = true in the file
    mk_chain3 "$MIG"
    printf '[dbmig]\nquiet = true\n' > dbmig.conf
    dbm upgrade --quiet=false
    expect_exit 0
    expect_contains err "applied 001 a"
}

m_options_empty_value() {
    # `--env "$DEPLOY_ENV"` with the variable unset must not quietly run on
    # the [dbmig] defaults
    mk_chain3 "$MIG"
    printf '[dbmig]\n[env.prod]\n' > dbmig.conf
    mistake 2 "'--env' needs a value" -- --env "" upgrade
}

# DBMIG_VERBOSE=true is verbose (a boolean word, not a count read as 0).
m_options_verbose_word_env() {
    mk_chain3 "$MIG"
    RC=0
    DBMIG_VERBOSE=yes "$DBMIG" --url "$URL" --dir "$MIG" upgrade > "$T/out" 2> "$T/err" || RC=$?
    expect_exit 0 "DBMIG_VERBOSE=yes upgrade"
    expect_contains err "001_a.sql:2"
    expect_applied "001 002 003"
}

# A command flag given a value (`--allow-missing=yes`): refused naming the
# flag, not "unknown option ... did you mean --allow-missing?".
m_options_command_flag_with_value() {
    mk_chain3 "$MIG"
    mistake 2 "'--allow-missing' of upgrade takes no value" -- upgrade --allow-missing=yes
    mistake 2 "'--resume' of upgrade takes no value" -- upgrade --resume=false
}

# dump-schema takes a path: an empty value or a boolean word (`false` would
# write a file named "false") is refused before anything runs, with the line
m_options_dump_schema_false() {
    mk_chain3 "$MIG"
    printf '[dbmig]\ndump-schema = false\n' > dbmig.conf
    mistake 2 "dbmig.conf:2" "takes a file path, not 'false'" "remove the line" -- upgrade
    [ ! -e "$T/false" ] || fail "a file named false was written"
}

m_options_dump_schema_empty() {
    mk_chain3 "$MIG"
    printf '[dbmig]\ndump-schema =\n' > dbmig.conf
    mistake 2 "dbmig.conf:2" "dump-schema needs a file path" -- upgrade
}

m_options_dump_schema_env_off() {
    mk_chain3 "$MIG"
    DBMIG_DUMP_SCHEMA=off mistake 2 "DBMIG_DUMP_SCHEMA" "not 'off'" -- upgrade
    [ ! -e "$T/off" ] || fail "a file named off was written"
}

# A command's own option given twice is refused as a global one is (the last
# one no longer silently wins); -o and --output are one option; a list
# option (--depends) may repeat
m_options_command_option_twice() {
    mk_chain3 "$MIG"
    mistake 2 "'--output' of schema is given twice" -- schema dump -o "$T/a.sql" --output "$T/b.sql"
    [ ! -e "$T/a.sql" ] && [ ! -e "$T/b.sql" ] || fail "a dump was written"
    mistake 2 "'--junit' of test is given twice" -- test --junit "$T/a.xml" --junit "$T/b.xml"
    mistake 2 "'--rev-range' of history is given twice" -- history -r 001:002 --rev-range 001:003
    run --dry-run revision -m x --depends 001 --depends 002
    expect_exit 0 "--depends twice is a list"
}

# ` # text` after a value in dbmig.conf is a comment (as ` ; text` is):
# `url = sqlite:dev.db  # local` named a file "dev.db  # local", silently,
# and `[lint] ban-drop-table = off # legacy` was a bad value. A value that
# starts with # keeps it (`color = #fff`), as inih keeps a leading ;.
m_options_conf_hash_comment() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_b "-- dbmig:placeholders on
CREATE TABLE b (c VARCHAR(10) DEFAULT '\${color}');"
    printf '[dbmig]\nurl = %s   # the test database\ndir = %s # the folder\n[vars]\ncolor = #fff\n' \
        "$URL" "$MIG" > dbmig.conf
    run upgrade
    expect_exit 0 "a # comment after the url and the dir"
    expect_applied "001 002"
    if ls "$T" | grep -q '#'; then fail "a file named after the comment: $(ls "$T")"; fi
    run show 002
    expect_contains out "DEFAULT '#fff'"
}

# `dbmig init --driver postgres` writes `driver = postgres`; a URL of
# another built-in driver then went to libpq, whose complaint ("missing =",
# percent-encode the password) pointed nowhere near the cause. Named now,
# with both sources and the fix, before anything connects.
m_options_driver_url_clash() {
    mk_table "$MIG" 001_a a
    local other=postgres
    [ "$DB_KIND" = postgres ] && other=mysql
    printf '[dbmig]\ndriver = %s\n' "$other" > dbmig.conf
    mistake 2 "is for driver $DB_KIND, but the driver is $other (set by --driver, DBMIG_DRIVER or \`driver =\` in dbmig.conf" \
        "remove that driver setting" -- status
    expect_not_contains all "percent-encode"
    # the same driver as the scheme, or no driver line: as before
    printf '[dbmig]\ndriver = %s\n' "$DB_KIND" > dbmig.conf
    dbm status
    expect_exit 0 "driver = the URL's own"
}
