#!/usr/bin/env bash
# tests/env/env.sh — SPEC section 16 through the dbmig binary on SQLite: the
# .env file (its syntax, its place among the sources, --env-file,
# --no-env-file, a missing file, its mistakes with .env:LINE, no value ever
# printed) and placeholders (-- dbmig:placeholders on: values from --var,
# DBMIG_VAR_<NAME>, .env and [vars] with their precedence; an undefined one
# is exit 3 with nothing applied; --sql and show print the substituted
# text; the checksum ignores the values; the marker's mistakes).
#
#   DBMIG=build/dbmig bash tests/env/env.sh
#
# Same conventions as tests/cli/suite.sh (helpers in tests/cli/lib.sh):
# DBMIG_TEST_ONLY=regex, DBMIG_TEST_VERBOSE=1, DBMIG_TEST_KEEP=1. Each case
# runs in its own folder, which is where dbmig looks for .env.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DBMIG_TEST_DRIVER=sqlite
# shellcheck source=../cli/lib.sh
. "$HERE/../cli/lib.sh"

# Nothing of the developer's own .env settings may reach the cases.
unset DBMIG_ENV_FILE DBMIG_NO_ENV_FILE DBMIG_SQL DBMIG_VERBOSE DBMIG_QUIET
for v in $(compgen -e | grep '^DBMIG_VAR_'); do unset "$v"; done

PW=s3cr3t-pw # a password that must never be printed

# A migration creating table t, and one with placeholders.
mk_t() { mk_table "$MIG" 001_t t; }
mk_ph() {
    mkmig "$MIG" 001_ph "-- dbmig:placeholders on
-- dbmig:up
CREATE TABLE \${tbl} (id INTEGER, note TEXT DEFAULT '\${note}', lit TEXT DEFAULT '\$\${tbl}');
-- dbmig:down
DROP TABLE \${tbl};"
}

# ---- .env ------------------------------------------------------------------

case_dotenv_sources() {
    mk_t
    # DATABASE_URL from .env, with a comment, quotes and the export prefix
    printf '# the app'"'"'s settings\nAPP_SECRET=%s\nexport DATABASE_URL="sqlite:%s/du.db" # dev\n' \
        "$PW" "$T" > .env
    run --dir "$MIG" upgrade
    expect_exit 0 "DATABASE_URL from .env"
    [ -f du.db ] || fail "the .env's DATABASE_URL was not used"
    # DBMIG_URL in .env beats its DATABASE_URL and the config file
    printf '[dbmig]\nurl = sqlite:conf.db\n' > dbmig.conf
    printf 'DBMIG_URL=sqlite:dbmig.db\nDATABASE_URL=sqlite:du.db\n' > .env
    run --dir "$MIG" upgrade
    expect_exit 0 "DBMIG_URL from .env"
    [ -f dbmig.db ] && [ ! -f conf.db ] || fail ".env's DBMIG_URL should beat dbmig.conf"
    # ... but not the config file once it is only DATABASE_URL
    printf 'DATABASE_URL=sqlite:du2.db\n' > .env
    run --dir "$MIG" upgrade
    [ -f conf.db ] && [ ! -f du2.db ] || fail "[dbmig] url should beat .env's DATABASE_URL"
    rm dbmig.conf
    # the real environment wins, even over .env's more specific DBMIG_URL
    printf 'DBMIG_URL=sqlite:dotenv.db\n' > .env
    DBMIG_URL=sqlite:real.db run --dir "$MIG" upgrade
    [ -f real.db ] && [ ! -f dotenv.db ] || fail "the real DBMIG_URL should win"
    # an empty variable counts as unset: the file's value applies
    DBMIG_URL= run --dir "$MIG" upgrade
    [ -f dotenv.db ] || fail "an empty DBMIG_URL should count as unset"
    # the command line beats all
    run --url sqlite:cmd.db --dir "$MIG" upgrade
    [ -f cmd.db ] || fail "--url should beat .env"
    # the real DATABASE_URL beats .env's
    printf 'DATABASE_URL=sqlite:du3.db\n' > .env
    DATABASE_URL=sqlite:realdu.db run --dir "$MIG" upgrade
    [ -f realdu.db ] && [ ! -f du3.db ] || fail "the real DATABASE_URL should win over .env's"
}

# DATABASE_URL set in the real environment but beaten by a file's url: one
# note (the documented precedence surprises a dbmate user), passwords
# redacted, none with -q or when the user's own --url / DBMIG_URL wins.
case_dotenv_database_url_notice() {
    mk_t
    printf 'DBMIG_URL=sqlite:dev.db\n' > .env
    DATABASE_URL="postgres://u:$PW@prod.example/app" run --dir "$MIG" status
    expect_exit 0 ".env's DBMIG_URL over a real DATABASE_URL"
    expect_contains err "dbmig: note: using the url from .env:1 (sqlite:dev.db); DATABASE_URL is set (postgres://u:***@prod.example/app) and ignored: .env's DBMIG_URL ranks above it"
    expect_not_contains all "$PW"
    [ "$(grep -c 'DATABASE_URL is set' "$T/err")" = 1 ] || fail "the note should be printed once"
    DATABASE_URL="postgres://u:$PW@prod.example/app" run -q --dir "$MIG" status
    expect_not_contains err "DATABASE_URL is set"
    rm .env
    printf '[dbmig]\n# dev\nurl = sqlite:dev.db\n' > dbmig.conf
    DATABASE_URL=sqlite:prod.db run --dir "$MIG" status
    expect_contains err "note: using the url from dbmig.conf:3 (sqlite:dev.db); DATABASE_URL is set (sqlite:prod.db) and ignored: dbmig.conf's url ranks above it"
    # no note: the same URL, the user's own choice, DATABASE_URL empty
    DATABASE_URL=sqlite:dev.db run --dir "$MIG" status
    expect_not_contains err "DATABASE_URL is set"
    DATABASE_URL=sqlite:prod.db run --url sqlite:cmd.db --dir "$MIG" status
    expect_not_contains err "DATABASE_URL is set"
    DATABASE_URL=sqlite:prod.db DBMIG_URL=sqlite:env.db run --dir "$MIG" status
    expect_not_contains err "DATABASE_URL is set"
    DATABASE_URL= run --dir "$MIG" status
    expect_not_contains err "DATABASE_URL is set"
    rm dbmig.conf
    DATABASE_URL=sqlite:prod.db run --dir "$MIG" status
    expect_not_contains err "DATABASE_URL is set"
}

case_dotenv_settings_and_sources() {
    mk_t
    printf 'DBMIG_URL=sqlite:t.db\nDBMIG_DIR=%s\nDBMIG_FORMAT=json\nDBMIG_TABLE=my_versions\n' "$MIG" > .env
    run upgrade
    expect_exit 0 "settings from .env"
    expect_jq '.applied | length == 1' "--format json from .env"
    [ "$(sqlite3 t.db "SELECT count(*) FROM my_versions")" = 1 ] || fail "DBMIG_TABLE from .env"
    # a bad value names .env:LINE as its source
    printf 'DBMIG_URL=sqlite:t.db\n\nDBMIG_FORMAT=jsn\n' > .env
    run --dir "$MIG" status
    expect_exit 2 "a bad value from .env"
    expect_contains err "(from .env:3)"
    expect_contains err "did you mean json?"
    printf 'DBMIG_URL=sqlite:t.db\nDBMIG_LOCK_TIMEOUT=soon\n' > .env
    run --dir "$MIG" status
    expect_exit 2 "a bad number from .env"
    expect_contains err ".env:2"
    # DBMIG_ENV from .env selects the config's section
    printf '[dbmig]\nurl = sqlite:base.db\n[env.ci]\nurl = sqlite:ci.db\n' > dbmig.conf
    printf 'DBMIG_ENV=ci\n' > .env
    run --dir "$MIG" upgrade
    expect_exit 0 "DBMIG_ENV from .env"
    [ -f ci.db ] || fail "DBMIG_ENV=ci from .env should pick [env.ci]"
}

case_dotenv_files() {
    mk_t
    printf 'DBMIG_URL=sqlite:default.db\n' > .env
    mkdir -p conf
    printf 'DBMIG_URL=sqlite:other.db\n' > conf/other.env
    run --dir "$MIG" --env-file conf/other.env upgrade
    expect_exit 0 "--env-file"
    [ -f other.db ] && [ ! -f default.db ] || fail "--env-file should replace ./.env"
    DBMIG_ENV_FILE=conf/other.env run --url sqlite:x.db --dir "$MIG" -v status
    expect_contains err "read conf/other.env: nothing used"
    run --dir "$MIG" --no-env-file status
    expect_exit 2 "--no-env-file: no URL at all"
    expect_contains err "no database URL"
    DBMIG_NO_ENV_FILE=1 run --dir "$MIG" status
    expect_exit 2 "DBMIG_NO_ENV_FILE"
    # a missing explicit file is an error naming it; a missing ./.env is not
    run --dir "$MIG" --env-file conf/missing.env status
    expect_exit 2 "a missing --env-file"
    expect_contains err "conf/missing.env: no such .env file"
    run --dir "$MIG" --env-file conf/other.env --no-env-file status
    expect_exit 2 "--env-file with --no-env-file"
    expect_contains err "contradict"
    run --dir "$MIG" --env-file conf status
    expect_exit 2 "a folder as --env-file"
    expect_contains err "is a folder"
    rm .env
    run --url sqlite:t.db --dir "$MIG" -v status
    expect_exit 0 "no .env at all"
    expect_contains err "no .env file in this folder"
    printf '[dbmig]\nenv-file = x.env\n' > dbmig.conf
    run --url sqlite:t.db --dir "$MIG" status
    expect_exit 2 "env-file in dbmig.conf"
    expect_contains err "dbmig.conf:2: 'env-file' cannot be set in the config file"
}

# _dotenv_refused EXIT TEXT CONTENT: .env holding CONTENT makes `status`
# exit EXIT with TEXT, and the password appears nowhere.
_dotenv_refused() {
    printf '%b' "$3" > .env
    run --dir "$MIG" status
    expect_exit "$1" "$(printf '%b' "$3" | head -n 3 | tr '\n' '|')"
    expect_contains err "$2"
    expect_not_contains all "$PW"
}

case_dotenv_mistakes() {
    mk_t
    _dotenv_refused 2 ".env:2: the value of DBMIG_URL opens a double quote that is never closed" \
        "A=1\nDBMIG_URL=\"postgres://u:$PW@h/d\n"
    _dotenv_refused 2 ".env:1: text follows the closing quote" "DBMIG_URL='sqlite:$PW.db' x\n"
    _dotenv_refused 2 ".env:1: 'DBMIG_URL:' is not .env syntax; write DBMIG_URL=value" \
        "DBMIG_URL: sqlite:$PW.db\n"
    _dotenv_refused 2 ".env:1: DBMIG_URL has no '='" "DBMIG_URL\n"
    _dotenv_refused 2 ".env:2: DBMIG_URL is set twice (first on line 1)" \
        "DBMIG_URL=sqlite:a.db\nDBMIG_URL=sqlite:$PW.db\n"
    _dotenv_refused 2 ".env:1: after 'DB' comes neither '=' nor the end of the line" \
        "DB URL=$PW\n"
    _dotenv_refused 2 ".env:1: the value of DBMIG_URL uses \${DB_PW}, which is set neither" \
        "DBMIG_URL=postgres://u:\${DB_PW}@h/d\n"
    _dotenv_refused 2 ".env:1: DBMIG_PLUGIN_PATH cannot be set in a .env file" \
        "DBMIG_PLUGIN_PATH=/tmp\n"
    _dotenv_refused 2 ".env:1: DBMIG_ENV_FILE cannot be set in a .env file" "DBMIG_ENV_FILE=x\n"
    # a per-run choice, refused as dbmig.conf refuses dry-run and sql
    _dotenv_refused 2 ".env:2: DBMIG_DRY_RUN cannot be set in a .env file: it is a choice for one run" \
        "DBMIG_URL=sqlite:t.db\nDBMIG_DRY_RUN=1\n"
    expect_contains err "pass --dry-run"
    _dotenv_refused 2 ".env:3: DBMIG_SQL cannot be set in a .env file: it is a choice for one run" \
        "DBMIG_URL=sqlite:t.db\n# x\nDBMIG_SQL=true\n"
    expect_contains err "pass --sql"
    printf 'DBMIG_URL=sqlite:t.db\nDBMIG_DRY_RUN=1\n' > .env
    run --dir "$MIG" upgrade
    expect_exit 2 "upgrade with DBMIG_DRY_RUN in .env"
    expect_no_match all "dry run"
    # the same choice in the real environment is still a choice for this run
    printf 'DBMIG_URL=sqlite:t.db\n' > .env
    DBMIG_DRY_RUN=1 run --dir "$MIG" upgrade
    expect_exit 0 "DBMIG_DRY_RUN in the environment"
    expect_contains all "dry run: would apply"
    # `KEY = value` is what it looks like (as the dotenv libraries read it)
    printf 'DBMIG_URL = sqlite:spaced.db   # note\n' > .env
    run --dir "$MIG" upgrade
    expect_exit 0 "KEY = value"
    [ -f spaced.db ] || fail "'DBMIG_URL = sqlite:spaced.db' should set the URL"
    # a misspelt key: a warning with the nearest name, and the file's line
    printf 'DBMIG_URL=sqlite:t.db\nDBMIG_LOCKTIMEOUT=3\ndbmig_dir=m\n' > .env
    run --dir "$MIG" status
    expect_exit 0 "a misspelt key is a warning"
    expect_contains err ".env:2: DBMIG_LOCKTIMEOUT is not a dbmig setting and is ignored; did you mean DBMIG_LOCK_TIMEOUT?"
    expect_contains err ".env:3: dbmig_dir is ignored: names are case-sensitive; write DBMIG_DIR"
}

case_dotenv_secrets_and_verbose() {
    mk_t
    printf 'DB_PASSWORD=%s\nDBMIG_URL=sqlite:${DB_PASSWORD}.db\nOTHER=1\nDBMIG_VAR_TBL=%s\n' \
        "$PW" "$PW" > .env
    run --dir "$MIG" -v upgrade
    expect_exit 0 "a URL built from a line above"
    [ -f "$PW.db" ] || fail "\${DB_PASSWORD} from the line above was not expanded"
    expect_contains err "read .env: DBMIG_URL (line 2), DBMIG_VAR_TBL (line 4)"
    expect_contains err "ignored (not dbmig's): DB_PASSWORD, OTHER"
    expect_contains err "placeholder values: tbl (from .env:4)"
    # values never appear in the -v lines (the URL itself is the database's
    # file name here, so look only at dbmig's own lines)
    grep '^dbmig: ' "$T/err" | grep -qF "$PW" && fail "-v printed a value: $(grep '^dbmig: ' "$T/err")"
    return 0
}

case_dotenv_plugin_dir_trust() {
    mk_t
    # a plugin folder named by .env is checked like one named by dbmig.conf
    mkdir -p plugins
    chmod 777 plugins
    printf 'DBMIG_URL=sqlite:t.db\nDBMIG_PLUGIN_DIR=%s/plugins\n' "$T" > .env
    run --dir "$MIG" status
    expect_exit 2 "a group/world-writable plugin folder from .env"
    expect_contains err "plugins"
    expect_contains err ".env"
    DBMIG_PLUGIN_DIR=$T/plugins run --dir "$MIG" status
    expect_exit 0 "the same folder typed by the user"
}

# ---- init ---------------------------------------------------------------------

# init reads .env (DBMIG_DIR: where the project keeps its migrations) but
# no config file; a --dir under missing folders is made with them.
case_init_dotenv_and_parents() {
    printf 'DBMIG_DIR=db/from_dotenv\n' > .env
    run init
    expect_exit 0 "init with DBMIG_DIR from .env, under a missing db/"
    [ -d db/from_dotenv ] || fail "init did not create db/from_dotenv (mkdir -p)"
    expect_contains out "created db/from_dotenv/"
    grep -qx 'dir = db/from_dotenv' dbmig.conf || fail "dbmig.conf: $(grep '^dir' dbmig.conf)"
    rm -rf db dbmig.conf .gitignore .env
    run init --dir a/b/c/mig
    expect_exit 0 "init --dir a/b/c/mig"
    ls a/b/c/mig/*_first_migration.sql >/dev/null 2>&1 || fail "no first migration in a/b/c/mig"
    rm -rf a dbmig.conf .gitignore
    # a folder on the way that is a file: exit 2 naming it, nothing written
    : > db
    run init --dir db/mig
    expect_exit 2 "a file where a folder of --dir goes"
    expect_contains err "a folder above the migrations folder is a file: db; nothing was written"
    [ ! -e dbmig.conf ] && [ ! -e .gitignore ] || fail "init wrote something before refusing"
    rm db
}

case_init_json() {
    run --format json --dry-run init --dir db/m
    expect_exit 0 "init --dry-run --format json"
    expect_jq '.dry_run == true and .revision == null and .created[0] == "db/m/" and .exit_code == 0' "dry run JSON"
    [ ! -e db ] && [ ! -e dbmig.conf ] || fail "a dry run wrote something"
    run --format json init --dir db/m
    expect_exit 0 "init --format json"
    expect_jq '.dry_run == false and .driver == "sqlite" and .config == "dbmig.conf"' "init JSON"
    expect_jq '(.created | length) == 3 and (.created[1] | startswith("db/m/")) and .created[2] == "dbmig.conf"' "created"
    expect_jq '.gitignore.created == true and (.gitignore.added | index("dev.db")) != null' ".gitignore"
    expect_jq '(.next | contains("dbmig upgrade")) and (.revision | test("^[0-9]+$"))' "next and revision"
    [ -f "$(jq -r '.created[1]' "$T/out")" ] || fail "the JSON's first migration does not exist"
    # a refusal in JSON: exit_code and error too
    run --format json init --dir db/m
    expect_exit 2 "init again"
    [ -s "$T/out" ] || fail "a refusal with --format json printed no JSON"
    expect_jq '.exit_code == 2 and (.error | contains("the config file already exists"))' "JSON refusal"
    run --format jsn init
    expect_exit 2 "a bad --format"
    expect_contains err "did you mean json?"
}

# ---- placeholders ------------------------------------------------------------

case_placeholder_sources() {
    mk_ph
    dbm --var tbl=from_cmd --var note=n upgrade
    expect_exit 0 "--var"
    expect_table from_cmd
    [ "$(db_query "INSERT INTO from_cmd (id) VALUES (1); SELECT note || '|' || lit FROM from_cmd")" = 'n|${tbl}' ] ||
        fail "defaults: $(db_query "SELECT note || '|' || lit FROM from_cmd")"
    dbm --var tbl=from_cmd --var note=n downgrade base
    expect_exit 0 "downgrade with the same values"
    expect_no_table from_cmd
    DBMIG_VAR_TBL=from_env DBMIG_VAR_NOTE=n dbm upgrade
    expect_exit 0 "DBMIG_VAR_<NAME>"
    expect_table from_env
    dbm --var tbl=from_env --var note=n downgrade base
    printf '[vars]\ntbl = from_conf\nnote = ${DM_NOTE}\n' > dbmig.conf
    DM_NOTE=n dbm upgrade
    expect_exit 0 "[vars] (with \${VAR} from the environment)"
    expect_table from_conf
    dbm --var note=n --var tbl=from_conf downgrade base
    printf 'DBMIG_VAR_TBL=from_dotenv\n' > .env
    DM_NOTE=n dbm upgrade
    expect_table from_dotenv
    dbm --var note=n --var tbl=from_dotenv downgrade base
    # precedence: --var > DBMIG_VAR_ > .env > [vars]
    DM_NOTE=n DBMIG_VAR_TBL=real dbm --var TBL=cmd -v --sql upgrade
    expect_contains out "CREATE TABLE cmd "
    expect_contains err "placeholder values: tbl (from --var), note (from dbmig.conf:3)"
    DM_NOTE=n DBMIG_VAR_TBL=real dbm --sql upgrade
    expect_contains out "CREATE TABLE real "
    DM_NOTE=n dbm --sql upgrade
    expect_contains out "CREATE TABLE from_dotenv "
    rm .env
    DM_NOTE=n dbm --sql upgrade
    expect_contains out "CREATE TABLE from_conf "
}

case_placeholder_sql_and_show() {
    mk_ph
    dbm --var tbl=shown --var note="it''s; fine" --sql upgrade
    expect_exit 0 "--sql"
    expect_contains out "CREATE TABLE shown (id INTEGER, note TEXT DEFAULT 'it''s; fine', lit TEXT DEFAULT '\${tbl}');"
    expect_not_contains out '${note}'
    dbm --var tbl=shown --var note=x show 001
    expect_exit 0 "show"
    expect_contains out "CREATE TABLE shown (id INTEGER, note TEXT DEFAULT 'x'"
    expect_contains out "DROP TABLE shown"
    dbm --var tbl=shown --var note=x --format json show 001
    expect_jq '.up[0].sql | startswith("CREATE TABLE shown ")' "show --format json"
    # a ${...} in a file without the marker is SQL, left alone
    mkmig "$MIG" 002_plain "CREATE TABLE plain (v TEXT DEFAULT '\${tbl}');"
    dbm --var tbl=shown --var note=x upgrade
    expect_exit 0 "a file without the marker"
    db_query "INSERT INTO plain DEFAULT VALUES"
    [ "$(db_query "SELECT v FROM plain")" = '${tbl}' ] || fail "\${tbl} without the marker was changed"
}

# $$${name}$$: the placeholder right inside a PostgreSQL dollar quote is
# substituted ($$ then the value); the $${ escape is for the other places.
case_placeholder_dollar_quote() {
    mkmig "$MIG" 001_fn "-- dbmig:placeholders on
CREATE FUNCTION \${schema}.f() RETURNS text AS \$fn\$\${schema}.f says \$\${x}\$fn\$ LANGUAGE sql;
SELECT \$\$\${schema}\$\$, ' \$\${schema}';"
    run --dir "$MIG" --url postgres://app@127.0.0.1:1/app --var schema=t1 --sql upgrade
    expect_exit 0 "--sql on PostgreSQL (no connection)"
    expect_contains out 'CREATE FUNCTION t1.f() RETURNS text AS $fn$t1.f says ${x}$fn$ LANGUAGE sql;'
    expect_contains out "SELECT \$\$t1\$\$, ' \${schema}';"
}

case_placeholder_checksum() {
    mk_ph
    dbm --var tbl=t1 --var note=a upgrade
    expect_exit 0 "first value"
    sum=$(db_query "SELECT checksum FROM $VT")
    DBMIG_VAR_TBL=x DBMIG_VAR_NOTE=y dbm --format json show 001
    [ "$sum" = "$(jq -r .checksum "$T/out")" ] ||
        fail "show's checksum ($(jq -r .checksum "$T/out")) with other values differs from the applied one ($sum)"
    # another value: the applied revision is not "edited", check passes
    dbm --var tbl=t2 --var note=b status
    expect_exit 0 "status with another value"
    expect_contains out "0 of them edited"
    dbm --var tbl=t2 --var note=b check
    expect_exit 0 "check with another value"
    # without values: status reads no SQL and needs none ...
    dbm status
    expect_exit 0 "status needs no values"
    # ... but upgrade does, even with nothing pending: the applied file's
    # values are what a downgrade needs, and which files are pending is not
    # known before connecting (docs/placeholders.md)
    dbm upgrade
    expect_exit 3 "upgrade with nothing pending still needs the values"
    expect_contains err "001_ph.sql:3: placeholder \${tbl} has no value"
}

# An undefined placeholder is found before connecting: no SQLite file is
# created, an unreachable server is exit 3 (not 1), for every command that
# runs the files' SQL.
case_placeholder_before_connect() {
    mk_ph
    local c
    for c in "upgrade" "downgrade base" "--dry-run upgrade" "test" "test --yes-destroy" "drift"; do
        # shellcheck disable=SC2086 # c is several words
        run --dir "$MIG" --url "sqlite:$T/new.db" --var note=n $c
        expect_exit 3 "$c with an undefined placeholder"
        expect_contains err "001_ph.sql:3: placeholder \${tbl} has no value"
        [ ! -e "$T/new.db" ] || fail "$c created the SQLite file new.db before refusing"
        expect_not_contains out "scratch" # refused before a scratch database is made
    done
    run --dir "$MIG" --url "postgres://app:$PW@127.0.0.1:1/app" --var note=n upgrade
    expect_exit 3 "an unreachable server: the placeholder's exit 3, not the connection's 1"
    expect_contains err "001_ph.sql:3: placeholder \${tbl} has no value"
    expect_not_contains all "$PW"
    # a section of another driver needs no value on this one
    mkmig "$MIG" 001_ph "-- dbmig:placeholders on
-- dbmig:up
CREATE TABLE t (id INTEGER);
-- dbmig:up postgres
CREATE TABLE \${pg_only} (id INTEGER);"
    run --dir "$MIG" --url "sqlite:$T/new.db" upgrade
    expect_exit 0 "a placeholder in another driver's section"
    run --dir "$MIG" --url "postgres://app:$PW@127.0.0.1:1/app" upgrade
    expect_exit 3 "... is needed on that driver"
    expect_contains err "001_ph.sql:5: placeholder \${pg_only} has no value"
}

case_placeholder_undefined() {
    mk_table "$MIG" 001_a a
    mk_ph
    mv "$MIG/001_ph.sql" "$MIG/002_ph.sql"
    dbm --var tlb=x upgrade
    expect_exit 3 "an undefined placeholder"
    expect_contains err "002_ph.sql:3: placeholder \${tbl} has no value (did you mean \${tlb}?)"
    expect_contains err "--var tbl=VALUE"
    expect_contains err "DBMIG_VAR_TBL"
    expect_contains err "[vars]"
    expect_applied "" "nothing applied (001 neither)"
    expect_no_table a
    dbm --var tbl=x --sql upgrade
    expect_exit 3 "--sql with an undefined placeholder"
    expect_contains err "\${note} has no value"
    # an empty DBMIG_VAR_ counts as unset; an empty --var is a value
    DBMIG_VAR_NOTE= dbm --var tbl=x --sql upgrade
    expect_exit 3 "an empty DBMIG_VAR_NOTE"
    dbm --var tbl=x --var note= upgrade
    expect_exit 0 "an empty --var"
    expect_applied "001 002"
}

case_placeholder_mistakes() {
    mk_ph
    dbm --var tbl=x --var note=y --var TBL=z upgrade
    expect_exit 2 "--var twice with different values"
    expect_contains err "option '--var TBL' is given twice with different values"
    dbm --var tbl=x --var note=y --var tbl=x upgrade
    expect_exit 0 "--var twice with the same value"
    dbm --var tbl upgrade
    expect_exit 2 "--var without ="
    expect_contains err "--var needs NAME=VALUE"
    dbm --var 9x=1 upgrade
    expect_exit 2 "a bad name"
    expect_contains err "'9x' is not a placeholder name"
    DBMIG_VAR_9X=1 dbm status
    expect_exit 2 "a bad DBMIG_VAR_ name"
    expect_contains err "DBMIG_VAR_9X names no placeholder"
    printf '[var]\ntbl = x\n' > dbmig.conf
    dbm status
    expect_exit 2 "[var] for [vars]"
    expect_contains err "did you mean [vars]?"
    rm dbmig.conf
    # a value that would add a statement: exit 3, the placeholder named, not the value
    rm -f "$MIG"/*.sql
    db_reset
    mkmig "$MIG" 001_inj "-- dbmig:placeholders on
CREATE TABLE \${tbl} (id INTEGER);"
    dbm --var "tbl=x (id INTEGER); DROP TABLE $PW" upgrade
    expect_exit 3 "a value with ;"
    expect_contains err "001_inj.sql:2: the value of \${tbl} changes where this section's statements begin or end"
    expect_not_contains all "$PW"
    expect_applied ""
    # the marker's mistakes: exit 3 with file:line and the fix
    local m
    for m in "-- dbmig:placeholders yes|must be \`on\` or \`off\`" \
             "-- dbmig:placeholder on|did you mean -- dbmig:placeholders?" \
             "-- dbmig placeholders on|Write it as -- dbmig:placeholders on" \
             "-- dbmig:placeholders=on|Write -- dbmig:placeholders on"; do
        mkmig "$MIG" 001_inj "${m%%|*}
CREATE TABLE \${tbl} (id INTEGER);"
        dbm --var tbl=x upgrade
        expect_exit 3 "${m%%|*}"
        expect_contains err "001_inj.sql:1:"
        expect_contains err "${m#*|}"
    done
    mkmig "$MIG" 001_inj "-- dbmig:placeholders on
CREATE TABLE \${ tbl } (id INTEGER);"
    dbm --var tbl=x upgrade
    expect_exit 3 "\${ tbl }"
    expect_contains err "001_inj.sql:2: '\${ tbl }' is not a placeholder"
    expect_contains err '$${'
    expect_applied ""
}

CASES=(
    case_dotenv_sources
    case_dotenv_database_url_notice
    case_dotenv_settings_and_sources
    case_dotenv_files
    case_dotenv_mistakes
    case_dotenv_secrets_and_verbose
    case_dotenv_plugin_dir_trust
    case_init_dotenv_and_parents
    case_init_json
    case_placeholder_sources
    case_placeholder_sql_and_show
    case_placeholder_dollar_quote
    case_placeholder_checksum
    case_placeholder_before_connect
    case_placeholder_undefined
    case_placeholder_mistakes
)

[ -x "$DBMIG" ] || { echo "env.sh: $DBMIG is not executable" >&2; exit 2; }
echo "dbmig env suite (.env and placeholders): $DBMIG"
for c in "${CASES[@]}"; do
    run_case "$c"
done
summary
