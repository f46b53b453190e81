# Markers are strict (SPEC section 2, issue 13): a marker that is misspelt,
# in another case, in another tool's syntax, or naming a driver that does
# not exist must never be read as a comment; each is exit 3 naming the file,
# the line and the fix, found before anything runs (the bad file is the third
# of five, and nothing of the first two may be applied), by `upgrade` and by
# `check` alike. Sourced by run.sh; see there for `mistake`.

# The database exists before the case (on SQLite a file with one table), so
# that "unchanged" is about the migrations, not about creating the file.
_mk_db() {
    db_query "CREATE TABLE keep (id INTEGER)" >/dev/null || fail "cannot create table keep"
}

# _mk_five CONTENT: 001..005 creating tables a..e, where 003_c.sql is CONTENT.
_mk_five() {
    _mk_db
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 002_b b
    mkmig "$MIG" 003_c "$1"
    mk_table "$MIG" 004_d d
    mk_table "$MIG" 005_e e
}

# _refused TEXT...: `upgrade` and `check` both exit 3 with every TEXT, and
# leave the database as it was (nothing applied, not even 001 and 002).
_refused() {
    mistake 3 "$@" -- upgrade
    expect_not_contains all "applied 001"
    mistake 3 "$@" -- check
    expect_applied "" "after the refusals"
    expect_no_table a "after the refusals"
}

# A built-in driver other than the one in use.
_other_driver() { if [ "$DRIVER" = postgres ]; then echo mysql; else echo postgres; fi; }

m_markers_unknown_driver() {
    _mk_five "-- dbmig:up sqllite
CREATE TABLE c (id INTEGER);
-- dbmig:down sqllite
DROP TABLE c;"
    _refused "003_c.sql:1:" "sqllite" "did you mean sqlite?"
}

m_markers_unknown_driver_typo_of_plugin() {
    # a plugin on the search path is a known name; it is listed, not loaded
    mkdir -p "$T/plugins"
    : > "$T/plugins/dbmig_duckdb.so"
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- dbmig:up duckbd
CREATE TABLE c (id BIGINT);"
    mistake 3 "003_c.sql:3:" "did you mean duckdb?" -- --plugin-dir "$T/plugins" upgrade
    mistake 3 "003_c.sql:3:" "did you mean duckdb?" -- --plugin-dir "$T/plugins" check
    # spelt right, the section is for that plugin; here the generic one runs
    mkmig "$MIG" 003_c "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- dbmig:up DuckDB
CREATE TABLE c (id BIGINT);"
    dbm --plugin-dir "$T/plugins" upgrade; expect_exit 0 "a plugin's section"
    expect_table c
    expect_applied "001 002 003 004 005"
}

m_markers_only_other_drivers() {
    local other
    other=$(_other_driver)
    _mk_five "-- dbmig:up $other
CREATE TABLE c (id INTEGER);
-- dbmig:down $other
DROP TABLE c;"
    _refused "003_c.sql:1:" "no section of this file runs on driver $DRIVER" \
        "-- dbmig:up $other (line 1)" "an empty -- dbmig:up $DRIVER section"
}

m_markers_explicit_empty_section() {
    # the intended way to say "nothing on this driver": applied, nothing run
    local other
    other=$(_other_driver)
    _mk_five "-- dbmig:up $other
CREATE TABLE c (id INTEGER);
-- dbmig:up $DRIVER
-- dbmig:down $other
DROP TABLE c;
-- dbmig:down $DRIVER"
    dbm upgrade; expect_exit 0 "an explicit empty section"
    expect_applied "001 002 003 004 005"
    expect_no_table c
    dbm downgrade base; expect_exit 0 "its empty down section"
    expect_applied ""
}

m_markers_down_only_for_other_driver() {
    # generic up, down only for another driver: irreversible on this one
    local other
    other=$(_other_driver)
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- dbmig:down $other
DROP TABLE c;"
    dbm upgrade; expect_exit 0 "generic up"
    expect_table c
    mistake 3 "003_c.sql" "irreversible" "for driver $DRIVER" "-- dbmig:down" -- downgrade base
    expect_applied "001 002 003 004 005"
    # what can be reverted above it still can
    dbm downgrade 003; expect_exit 0 "down to the irreversible one"
    expect_applied "001 002 003"
}

m_markers_upper_case() {
    # read as comments, the down SQL would run inside up
    _mk_five "-- DBMIG:UP
CREATE TABLE c (id INTEGER);
-- DBMIG:DOWN
DROP TABLE c;"
    dbm upgrade; expect_exit 0 "upper-case markers"
    expect_table c "-- DBMIG:DOWN is a marker, its SQL must not run on upgrade"
    expect_applied "001 002 003 004 005"
    dbm downgrade 002; expect_exit 0
    expect_no_table c "the down section ran"
}

m_markers_mixed_case_header() {
    _mk_db
    mkmig "$MIG" 001_a "-- Dbmig:Revision first
-- dbmig:Message Mixed Case
-- dbmig:Up
CREATE TABLE a (id INTEGER);
-- Dbmig:Down
DROP TABLE a;"
    dbm upgrade; expect_exit 0
    expect_applied "first"
    expect_table a
}

m_markers_blank_after_colon() {
    _mk_five "-- dbmig: up
CREATE TABLE c (id INTEGER);
-- dbmig: down
DROP TABLE c;"
    _refused "003_c.sql:1:" "no blank may come after the colon" "Write it as -- dbmig:up"
}

m_markers_no_colon() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- dbmig down
DROP TABLE c;"
    _refused "003_c.sql:3:" "follows dbmig and a colon" "Write it as -- dbmig:down"
}

m_markers_blanks_around_dashes() {
    # no blank after --, or two: still the marker obviously meant
    _mk_five "--dbmig:up
CREATE TABLE c (id INTEGER);
--  dbmig:down
DROP TABLE c;"
    dbm upgrade; expect_exit 0
    expect_table c
    dbm downgrade 002; expect_exit 0
    expect_no_table c
}

m_markers_upgrade_key() {
    _mk_five "-- dbmig:upgrade
CREATE TABLE c (id INTEGER);
-- dbmig:down
DROP TABLE c;"
    _refused "003_c.sql:1:" "unknown key -- dbmig:upgrade" "did you mean -- dbmig:up?"
}

m_markers_downgrade_key() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- dbmig:downgrade
DROP TABLE c;"
    _refused "003_c.sql:3:" "unknown key -- dbmig:downgrade" "did you mean -- dbmig:down?"
}

m_markers_block_comment() {
    _mk_five "/* dbmig:up */
CREATE TABLE c (id INTEGER);
/* dbmig:down */
DROP TABLE c;"
    _refused "003_c.sql:1:" "not a block comment" "Write it as -- dbmig:up"
}

m_markers_hash_comment() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
# dbmig:down
DROP TABLE c;"
    _refused "003_c.sql:3:" "not a # comment" "Write it as -- dbmig:down"
}

m_markers_dbmate() {
    _mk_five "-- migrate:up
CREATE TABLE c (id INTEGER);

-- migrate:down
DROP TABLE c;"
    _refused "003_c.sql:1:" "dbmate marker" "Write -- dbmig:up instead"
}

m_markers_dbmate_down() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- migrate:down
DROP TABLE c;"
    _refused "003_c.sql:3:" "dbmate marker" "Write -- dbmig:down instead"
}

m_markers_goose() {
    _mk_five "-- +goose Up
CREATE TABLE c (id INTEGER);

-- +goose Down
DROP TABLE c;"
    _refused "003_c.sql:1:" "goose marker" "Write -- dbmig:up instead"
}

m_markers_goose_statement() {
    _mk_five "-- dbmig:up
-- +goose StatementBegin
CREATE TABLE c (id INTEGER);
-- +goose StatementEnd
-- dbmig:down
DROP TABLE c;"
    _refused "003_c.sql:2:" "goose marker" "Write -- dbmig:statement begin instead"
}

m_markers_sql_migrate() {
    _mk_five "-- +migrate Up
CREATE TABLE c (id INTEGER);
-- +migrate Down
DROP TABLE c;"
    _refused "003_c.sql:1:" "sql-migrate marker" "Write -- dbmig:up instead"
}

m_markers_sql_migrate_statement() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- dbmig:down
-- +migrate StatementBegin
DROP TABLE c;
-- +migrate StatementEnd"
    _refused "003_c.sql:4:" "sql-migrate marker" "Write -- dbmig:statement begin instead"
}

m_markers_down_without_up() {
    _mk_five "-- the up part was forgotten
-- dbmig:down
DROP TABLE c;"
    _refused "003_c.sql:2:" "no -- dbmig:up section" "Add -- dbmig:up"
}

m_markers_begin_commit() {
    # a COMMIT would end dbmig's own transaction before the version row;
    # found when the run is validated, before 002 (pending too) is applied
    _mk_five "-- dbmig:up
BEGIN;
CREATE TABLE c (id INTEGER);
COMMIT;
-- dbmig:down
DROP TABLE c;"
    dbm upgrade 001; expect_exit 0
    mistake 3 "003_c.sql:2:" "BEGIN inside a migration" \
        "dbmig already runs each migration in a transaction" "-- dbmig:transaction off" -- upgrade
    expect_applied "001"
    mistake 3 "003_c.sql:2:" "BEGIN inside a migration" -- --dry-run upgrade
}

m_markers_start_transaction_in_down() {
    # in a down section: refused when a downgrade would run it, before 004
    # and 005 are reverted
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER);
-- dbmig:down
START TRANSACTION;
DROP TABLE c;
ROLLBACK;"
    dbm upgrade; expect_exit 0
    mistake 3 "003_c.sql:4:" "START TRANSACTION inside a migration" -- downgrade 002
    expect_applied "001 002 003 004 005"
}

m_markers_begin_commit_transaction_off() {
    # outside a transaction the file's own BEGIN/COMMIT stay allowed
    local begin=BEGIN
    [ "$DB_KIND" = mysql ] && begin="START TRANSACTION"
    _mk_five "-- dbmig:transaction off
-- dbmig:up
$begin;
INSERT INTO keep (id) VALUES (1);
INSERT INTO keep (id) VALUES (2);
COMMIT;
-- dbmig:down
DELETE FROM keep;"
    dbm upgrade; expect_exit 0 "BEGIN/COMMIT with transaction off"
    expect_applied "001 002 003 004 005"
    expect_eq "$(db_query "SELECT count(*) FROM keep")" 2 "rows inserted"
}
