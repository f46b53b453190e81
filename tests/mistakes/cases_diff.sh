# Mistakes with `dbmig diff` (SPEC section 13, issue 16) and the
# `-- dbmig:destructive <what>` line it writes: a missing or unreadable
# --to, options given twice or combined wrongly (two --scratch-url for one
# driver), a message of two lines, a driver without a scratch database, a
# schema.sql that does not load (or writes rows: a warning, the schema still
# compared), the destructive line in the wrong place. Each is refused with
# what to do; no file is written and the database is left as it was.
# Sourced by run.sh; see there for `mistake`.

# _diff_no_new_file: the folder holds only the files the case wrote.
_diff_no_new_file() {
    local n
    n=$(find "$MIG" -maxdepth 1 -name '*.sql' | wc -l)
    [ "$n" = "$1" ] || fail "diff wrote a file: $(ls "$MIG")"
}

m_diff_no_to() {
    mk_table "$MIG" 001_a a
    mistake 2 "diff needs --to FILE" "schema dump -o schema.sql" -- diff
    _diff_no_new_file 1
}

m_diff_to_unreadable() {
    mk_table "$MIG" 001_a a
    mistake 2 "cannot read nope.sql" "No such file" -- diff --to nope.sql
    _diff_no_new_file 1
}

m_diff_to_twice() {
    mk_table "$MIG" 001_a a
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));" > schema.sql
    mistake 2 "option '--to' of diff is given twice" -- diff --to schema.sql --to other.sql
    mistake 2 "option '--drivers' of diff is given twice" -- diff --to schema.sql \
        --drivers sqlite --drivers sqlite
}

m_diff_dry_run() {
    mk_table "$MIG" 001_a a
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));" > schema.sql
    mistake 2 "diff has no dry run" "use --sql" -- --dry-run diff --to schema.sql
    _diff_no_new_file 1
}

m_diff_drivers_list_malformed() {
    echo "CREATE TABLE a (id INTEGER);" > schema.sql
    mistake 2 "bad value 'sqlite,,postgres' for --drivers" "--drivers sqlite,postgres" -- \
        diff --to schema.sql --drivers sqlite,,postgres
    mistake 2 "--drivers names sqlite twice" -- diff --to schema.sql --drivers sqlite,SQLite3
}

m_diff_message_two_lines() {
    mk_table "$MIG" 001_a a
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));" > schema.sql
    mistake 2 "the message (-m) must be one line" -- diff --to schema.sql -m "$(printf 'one\ntwo')"
    _diff_no_new_file 1
}

m_diff_scratch_url_twice() {
    mk_table "$MIG" 001_a a
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));" > schema.sql
    mistake 2 "two --scratch-url for driver sqlite (the second: sqlite:b.db); give one per driver" \
        -- diff --to schema.sql --drivers sqlite --scratch-url sqlite:a.db --scratch-url sqlite:b.db
    _diff_no_new_file 1
}

m_diff_schema_sql_writes_rows() {
    # rows and drops in schema.sql change only what the file made: a
    # warning with the line, the schema still compared
    [ "$DB_KIND" = sqlite ] || skip "needs a scratch database (CREATEDB)"
    mk_table "$MIG" 001_a a
    printf 'CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));\nINSERT INTO a VALUES (1, NULL);\nDROP TABLE IF EXISTS zz;\n' > schema.sql
    mistake 0 "schema.sql: line 2: an INSERT statement: the desired schema is what its CREATE" \
        "line 3: a DROP statement" "write it in a migration instead" "no changes" -- \
        diff --to schema.sql
    _diff_no_new_file 1
}

m_diff_from_db_with_drivers() {
    echo "CREATE TABLE a (id INTEGER);" > schema.sql
    mistake 2 "--from-db compares with the --url database" "leave --drivers out" -- \
        diff --to schema.sql --from-db --drivers sqlite,postgres
}

m_diff_server_driver_without_scratch_url() {
    mk_table "$MIG" 001_a a
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));" > schema.sql
    local other=postgres
    [ "$DB_KIND" = postgres ] && other=mysql
    mistake 2 "a scratch database for driver $other lives on a server" \
        "pass --scratch-url $other://" -- diff --to schema.sql --drivers "$DB_KIND,$other"
    _diff_no_new_file 1
}

m_diff_scratch_url_for_another_driver() {
    # a URL for a driver diff does not write for; its password never shown
    echo "CREATE TABLE a (id INTEGER);" > schema.sql
    mistake 2 "--scratch-url mysql://u:***@h/db is for driver mysql, which diff does not write" \
        -- diff --to schema.sql --drivers sqlite --scratch-url mysql://u:sekrit99@h/db
    expect_not_contains all "sekrit99"
}

m_diff_schema_sql_fails() {
    # a server's scratch database needs CREATEDB, which the corpus's user
    # lacks; tests/schema/diff.sh covers this case on every database
    [ "$DB_KIND" = sqlite ] || skip "needs a scratch database (tests/schema/diff.sh: schema_sql_fails)"
    mk_table "$MIG" 001_a a
    printf 'CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));\n\nCREATE TABLE b (id INTEGER REFERENCES;\n' > schema.sql
    mistake 1 "schema.sql does not load into an empty $DB_KIND database" "schema.sql:3:" -- \
        diff --to schema.sql
    _diff_no_new_file 1
}

m_diff_schema_sql_bad_marker() {
    mk_table "$MIG" 001_a a
    printf -- '-- dbmig:up\nCREATE TABLE a (id INTEGER);\n-- dbmig:dwon\n' > schema.sql
    mistake 3 "schema.sql:3: unknown key -- dbmig:dwon" "did you mean -- dbmig:down?" -- \
        diff --to schema.sql
}

m_diff_several_heads() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_b "-- dbmig:parents 001
CREATE TABLE b (id INTEGER);"
    mkmig "$MIG" 003_c "-- dbmig:parents 001
CREATE TABLE c (id INTEGER);"
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(20));" > schema.sql
    mistake 2 "several heads (002, 003)" "dbmig merge -m MSG" -- diff --to schema.sql
    _diff_no_new_file 3
}

m_diff_fault_env_bad_value() {
    echo "CREATE TABLE a (id INTEGER);" > schema.sql
    DBMIG_TEST_DIFF_FAULT=down mistake 2 "bad value 'down' for DBMIG_TEST_DIFF_FAULT" -- \
        diff --to schema.sql
}

# ---- the line diff writes, in the wrong place ----------------------------------

m_diff_destructive_line_in_header() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_b "-- dbmig:destructive drops table a
-- dbmig:up
DROP TABLE a;"
    mistake 3 "002_b.sql:1: -- dbmig:destructive is in the header" \
        "on the line above that statement" -- upgrade
    expect_applied "" "after the refusal"
}

m_diff_destructive_line_misspelt() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_b "-- dbmig:up
-- dbmig:destructve drops table a
DROP TABLE a;"
    mistake 3 "002_b.sql:2: unknown key -- dbmig:destructve" \
        "did you mean -- dbmig:destructive?" -- upgrade
}

m_diff_destructive_line_without_what() {
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_b "-- dbmig:up
-- dbmig:destructive
DROP TABLE a;"
    mistake 3 "002_b.sql:2: -- dbmig:destructive needs to say what" -- upgrade
}
