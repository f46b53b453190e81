# The file format's issue-15 parts (SPEC section 12): `-- dbmig:verify` and
# `-- dbmig:fixture` sections, the header flag `-- dbmig:irreversible`, and
# `upgrade --verify`. Each misspelling or misuse is refused with file:line
# and the fix (exit 3 for a file, 2 for an option), before anything runs:
# the bad file is the second of three and nothing of the first is applied.
# Sourced by run.sh; see there for `mistake`.

_f15_keep() { db_query "CREATE TABLE keep (id INTEGER)" >/dev/null || fail "cannot create table keep"; }

# _f15_three CONTENT: 001 and 003 create tables a and c; 002_b.sql is CONTENT.
_f15_three() {
    _f15_keep
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_b "$1"
    mk_table "$MIG" 003_c c
}

# _f15_refused TEXT...: upgrade, upgrade --verify and check all exit 3 with
# every TEXT, and nothing is applied.
_f15_refused() {
    mistake 3 "$@" -- upgrade
    mistake 3 "$@" -- upgrade --verify
    mistake 3 "$@" -- check
    expect_applied "" "after the refusals"
    expect_no_table a "after the refusals"
}

m_format15_verify_misspelt() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:verfy
SELECT id FROM b;"
    _f15_refused "002_b.sql:3:" "unknown key -- dbmig:verfy" "did you mean -- dbmig:verify?"
}

m_format15_fixtures_plural() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:fixtures
INSERT INTO b VALUES (1);"
    _f15_refused "002_b.sql:3:" "unknown key -- dbmig:fixtures" "did you mean -- dbmig:fixture?"
}

m_format15_verify_no_colon() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig verify
SELECT id FROM b;"
    _f15_refused "002_b.sql:3:" "follows dbmig and a colon" "Write it as -- dbmig:verify"
}

m_format15_fixture_blank_after_colon() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig: fixture
INSERT INTO b VALUES (1);"
    _f15_refused "002_b.sql:3:" "no blank may come after the colon" "Write it as -- dbmig:fixture"
}

m_format15_verify_unknown_driver() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:verify postgress
SELECT id FROM b;"
    _f15_refused "002_b.sql:3:" "-- dbmig:verify postgress names no known driver" \
        "did you mean postgres?"
}

# `pg` (and psql, maria, lite...) are too far from the names for the edit
# distance; they got no suggestion (found by review)
m_format15_up_driver_alias() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:up pg
CREATE TABLE b (id BIGINT);"
    _f15_refused "002_b.sql:3:" "-- dbmig:up pg names no known driver" "did you mean postgres?"
}

m_format15_verify_before_up() {
    # SQL, then a verify marker: the up marker was forgotten
    _f15_three "CREATE TABLE b (id INTEGER);
-- dbmig:verify
SELECT id FROM b;"
    _f15_refused "002_b.sql:1:" "SQL comes before the first section marker (-- dbmig:verify" \
        "Put -- dbmig:up above it"
}

m_format15_fixture_without_up() {
    _f15_three "-- rows for the tests
-- dbmig:fixture
INSERT INTO keep VALUES (1);"
    _f15_refused "002_b.sql:2:" "a -- dbmig:fixture section but no -- dbmig:up section"
}

m_format15_verify_twice() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:verify
SELECT id FROM b;
-- dbmig:verify
SELECT count(*) FROM b;"
    _f15_refused "002_b.sql:5:" "a second -- dbmig:verify section (the first is at line 3)"
}

m_format15_irreversible_misspelt() {
    _f15_three "-- dbmig:irreversable
-- dbmig:up
CREATE TABLE b (id INTEGER);"
    _f15_refused "002_b.sql:1:" "unknown key -- dbmig:irreversable" \
        "did you mean -- dbmig:irreversible?"
}

m_format15_irreversible_value() {
    _f15_three "-- dbmig:irreversible true
-- dbmig:up
CREATE TABLE b (id INTEGER);"
    _f15_refused "002_b.sql:1:" "-- dbmig:irreversible takes no value, not 'true'" \
        "remove the line to keep it reversible"
}

m_format15_irreversible_yaml() {
    _f15_three "-- dbmig:irreversible: true
-- dbmig:up
CREATE TABLE b (id INTEGER);"
    _f15_refused "002_b.sql:1:" "puts ':' after the key" \
        "Write -- dbmig:irreversible alone: it takes no value"
}

m_format15_transaction_ini() {
    # the same habit on another key
    _f15_three "-- dbmig:transaction=off
CREATE TABLE b (id INTEGER);"
    _f15_refused "002_b.sql:1:" "puts '=' after the key" "Write -- dbmig:transaction off"
}

m_format15_irreversible_with_down() {
    _f15_three "-- dbmig:irreversible
-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:down
DROP TABLE b;"
    _f15_refused "002_b.sql:4:" "has a -- dbmig:down section but is marked -- dbmig:irreversible (line 1): remove one"
}

m_format15_irreversible_after_section() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:irreversible"
    _f15_refused "002_b.sql:3:" "header key -- dbmig:irreversible after the first section marker"
}

m_format15_down_irreversible() {
    # a down section "for the driver irreversible"
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:down irreversible"
    _f15_refused "002_b.sql:3:" "Write -- dbmig:irreversible in the header"
}

m_format15_downgrade_through_irreversible() {
    _f15_three "-- dbmig:irreversible
-- dbmig:message drop the old data
-- dbmig:up
CREATE TABLE b (id INTEGER);"
    dbm upgrade; expect_exit 0 "an irreversible revision applies"
    expect_applied "001 002 003"
    mistake 3 "002 (" "is marked -- dbmig:irreversible" "nothing was reverted" \
        "Downgrade to 002 or a later revision" -- downgrade base
    expect_table c "003 must not be reverted before the refusal"
}

m_format15_verify_with_sql() {
    # an offline script runs nothing, so it cannot verify
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:verify
SELECT id FROM b;"
    mistake 2 "--verify cannot be honoured with --sql" "Drop --verify" -- --sql upgrade --verify
    expect_not_contains out "CREATE TABLE"
}

m_format15_verify_on_downgrade() {
    _f15_keep
    mk_table "$MIG" 001_a a
    dbm upgrade; expect_exit 0
    mistake 2 "'--verify' is an option of upgrade, not of downgrade" -- downgrade base --verify
    expect_table a
}

m_format15_verify_option_misspelt() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);"
    mistake 2 "unknown option '--verfy' for upgrade" "did you mean --verify?" -- upgrade --verfy
}

m_format15_verify_fails() {
    # a DML-only revision runs in a transaction on every driver: a failed
    # verify leaves nothing behind, not even a dirty row
    _f15_keep
    mk_table "$MIG" 001_a a
    dbm upgrade; expect_exit 0 "001 (the version table exists before the mistake)"
    mkmig "$MIG" 002_rows "-- dbmig:up
INSERT INTO keep (id) VALUES (1);
-- dbmig:verify
SELECT id FROM keep;
SELECT id FROM keep_archive;
-- dbmig:down
DELETE FROM keep;"
    mistake 1 "002_rows.sql:5: verify failed" "statement 2 of 2 of the verify section of revision 002" \
        "nothing of 002 was applied" -- upgrade --verify
    expect_eq "$(db_query "SELECT count(*) FROM keep")" 0 "the revision's row was rolled back"
    expect_applied "001"
}

# `-- dbmig irreversible` (no colon) is not read as a comment
m_format15_irreversible_no_colon() {
    _f15_three "-- dbmig irreversible
-- dbmig:up
CREATE TABLE b (id INTEGER);"
    _f15_refused "002_b.sql:1:" "follows dbmig and a colon" "Write it as -- dbmig:irreversible"
}

# a verify section only checks: a statement that changes the database would
# be applied with the revision, so it is refused before anything runs
m_format15_verify_changes_database() {
    _f15_three "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:verify
DROP TABLE b;
-- dbmig:down
DROP TABLE b;"
    mistake 3 "002_b.sql:4" "a verify section only checks" "move it to the up section" -- upgrade --verify
    expect_applied "" "nothing applied"
    mkmig "$MIG" 002_b "-- dbmig:up
CREATE TABLE b (id INTEGER);
-- dbmig:verify
DELETE FROM b;
-- dbmig:down
DROP TABLE b;"
    mistake 3 "002_b.sql:4" "a verify section only checks" -- upgrade --verify
    expect_applied "" "nothing applied"
}
