# SPEC section 16: the mistakes of placeholders and of the .env file. A
# placeholder mistake is exit 3 with file:line, found before anything runs
# (the bad file is the third of five, and nothing of the first two may be
# applied); a .env mistake is exit 2 with .env:LINE, before the database is
# touched. Values (they may be secrets) are never printed. Sourced by run.sh;
# see there for `mistake`.

# _env_five CONTENT: 001..005 creating tables a..e, where 003_c.sql is CONTENT.
# The database exists before the case, so that "unchanged" is about the
# migrations (a placeholder is checked before connecting: tests/env/env.sh
# case_placeholder_before_connect shows that no SQLite file is created).
_env_five() {
    db_query "CREATE TABLE keep (id INTEGER)" >/dev/null || fail "cannot create table keep"
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 002_b b
    mkmig "$MIG" 003_c "$1"
    mk_table "$MIG" 004_d d
    mk_table "$MIG" 005_e e
}

m_env_placeholder_undefined() {
    _env_five "-- dbmig:placeholders on
-- dbmig:up
CREATE TABLE \${tbl} (id INTEGER);
-- dbmig:down
DROP TABLE \${tbl};"
    mistake 3 "003_c.sql:3: placeholder \${tbl} has no value" "--var tbl=VALUE" "DBMIG_VAR_TBL" \
        -- upgrade
    expect_applied "" "an undefined placeholder"
    # misspelt: the defined name is suggested
    mistake 3 "003_c.sql:3:" "did you mean \${tlb}?" -- --var tlb=c upgrade
    expect_applied "" "a misspelt placeholder"
}

m_env_placeholder_marker_misspelt() {
    # read as a comment, ${tbl} would reach the database as written
    _env_five "-- dbmig:placeholder on
CREATE TABLE \${tbl} (id INTEGER);"
    mistake 3 "003_c.sql:1:" "did you mean -- dbmig:placeholders?" -- --var tbl=c upgrade
    expect_applied "" "a misspelt marker"
    mkmig "$MIG" 003_c "-- dbmig:placeholders true
CREATE TABLE \${tbl} (id INTEGER);"
    mistake 3 "003_c.sql:1:" "must be \`on\` or \`off\`, not 'true'" -- --var tbl=c upgrade
    expect_applied "" "a marker value that is not on/off"
}

m_env_placeholder_malformed() {
    _env_five "-- dbmig:placeholders on
CREATE TABLE c (v VARCHAR(20) DEFAULT '\${ tbl }');"
    mistake 3 "003_c.sql:2: '\${ tbl }' is not a placeholder" "\$\${ for a literal" -- --var tbl=c upgrade
    expect_applied "" "a malformed placeholder"
}

m_env_placeholder_value_adds_statement() {
    _env_five "-- dbmig:placeholders on
CREATE TABLE \${tbl} (id INTEGER);"
    mistake 3 "003_c.sql:2: the value of \${tbl} changes where this section's statements begin" \
        -- --var "tbl=c (id INTEGER); DROP TABLE keep_me_secret" upgrade
    expect_not_contains all "keep_me_secret"
    expect_applied "" "a value with a ;"
    expect_no_table c
}

# A value holding `--` in the LAST statement of a section: its `;` became
# part of a comment, so the statement ran to the end of the section, and a
# DELETE lost its last condition (found by a review: exit 0, rows gone).
m_env_placeholder_value_comments_out_the_end() {
    _env_five "-- dbmig:placeholders on
CREATE TABLE c (org INTEGER, id INTEGER);
DELETE FROM c WHERE org = \${org} AND id = 2;"
    mistake 3 "003_c.sql:3: the value of \${org} changes where this section's statements begin" \
        -- --var "org=1 --" upgrade
    expect_applied "" "a value with --"
    expect_no_table c
}

m_env_var_without_value() {
    mk_table "$MIG" 001_a a
    mistake 2 "--var needs NAME=VALUE" -- --var tbl upgrade
    mistake 2 "'my-tbl' is not a placeholder name" -- --var my-tbl=x upgrade
    mistake 2 "option '--var TBL' is given twice with different values" -- --var tbl=a --var TBL=b upgrade
    expect_applied "" "--var mistakes"
}

m_env_dotenv_unterminated_quote() {
    mk_table "$MIG" 001_a a
    printf 'APP=1\nDBMIG_LOCK_TIMEOUT="5\nDBMIG_VAR_PW=hunter2-secret\n' > "$T/.env"
    mistake 2 ".env:2: the value of DBMIG_LOCK_TIMEOUT opens a double quote that is never closed" \
        -- upgrade
    expect_not_contains all "hunter2-secret"
    expect_applied "" "an unterminated quote in .env"
}

m_env_dotenv_spaces_and_colon() {
    mk_table "$MIG" 001_a a
    printf 'DBMIG_LOCK TIMEOUT=5\n' > "$T/.env"
    mistake 2 ".env:1: after 'DBMIG_LOCK' comes neither '=' nor the end of the line" -- upgrade
    printf 'DBMIG_LOCK_TIMEOUT: 5\n' > "$T/.env"
    mistake 2 ".env:1: 'DBMIG_LOCK_TIMEOUT:' is not .env syntax; write DBMIG_LOCK_TIMEOUT=value" \
        -- upgrade
    printf 'DBMIG_SINGLE_TRANSACTION=sometimes\n' > "$T/.env"
    mistake 2 "DBMIG_SINGLE_TRANSACTION at .env:1" -- upgrade
    expect_applied "" ".env syntax mistakes"
}

m_env_dotenv_missing_env_file() {
    mk_table "$MIG" 001_a a
    mistake 2 "nope.env: no such .env file" -- --env-file nope.env upgrade
    mistake 2 "contradict" -- --env-file nope.env --no-env-file upgrade
    expect_applied "" "a missing --env-file"
}
