# File names from other tools' habits that would run in another order than
# they say (REVIEW-20 sections 2 and 10): golang-migrate's 1_..10_ and
# Flyway's V1__..V10__ without headers (10 sorts first), Flyway's U1__ undo
# and R__ repeatable scripts, golang-migrate's .up.sql/.down.sql pairs. Each
# is exit 3 naming the files and the fix, before anything runs, on every
# driver (core/graph.c, dm_graph_load_dir). Sourced by run.sh; see there for
# `mistake`.

_naming_db() {
    db_query "CREATE TABLE keep (id INTEGER)" >/dev/null || fail "cannot create table keep"
}

# _naming_chain N: 1_t1.sql .. N_tN.sql, header-less, golang-migrate style.
_naming_chain() {
    local i
    for i in $(seq 1 "$1"); do mk_table "$MIG" "${i}_t$i" "t$i"; done
}

m_naming_widths_fresh() {
    _naming_db
    _naming_chain 10
    mistake 3 "10_t10.sql sorts before" "1_t1.sql by name, but its number is higher (10 > 1)" \
        "1_t1.sql -> 01_t1.sql" "10_t10.sql the header \`-- dbmig:parents 9\`" -- upgrade
    expect_not_contains all "applying"
    mistake 3 "10_t10.sql sorts before" -- check
    expect_applied "" "after the refusals"
}

# 1..9 applied, then 10_t10.sql added: the cause is the name, not a file
# merged late (the old message sent the user to --allow-missing). The
# headers the messages ask for make it apply 10 last.
m_naming_widths_added_late() {
    _naming_db
    _naming_chain 9
    dbm upgrade; expect_exit 0 "1..9"
    mk_table "$MIG" 10_t10 t10
    mistake 3 "10_t10.sql sorts before" "\`-- dbmig:parents 9\`" -- upgrade
    expect_not_contains all "allow-missing"
    mkmig "$MIG" 10_t10 "-- dbmig:parents 9
$(cat "$MIG/10_t10.sql")"
    mistake 3 "revision 1 would follow 10" "1_t1.sql the header \`-- dbmig:parents base\`" -- upgrade
    mkmig "$MIG" 1_t1 "-- dbmig:parents base
$(cat "$MIG/1_t1.sql")"
    dbm repair --checksums; expect_exit 0 "repair --checksums"
    dbm upgrade; expect_exit 0 "with the headers"
    expect_applied "1 2 3 4 5 6 7 8 9 10"
}

m_naming_flyway_widths() {
    _naming_db
    mk_table "$MIG" V1__a a
    mk_table "$MIG" V2__b b
    mk_table "$MIG" V10__c c
    mistake 3 "V10__c.sql sorts before" "V1__a.sql -> V01__a.sql" "\`-- dbmig:parents V2\`" -- upgrade
    expect_no_table a
}

m_naming_flyway_undo() {
    _naming_db
    mk_table "$MIG" V1__a a
    mkmig "$MIG" U1__a "DROP TABLE a;"
    mistake 3 "U1__a.sql: a Flyway undo script" "the \`-- dbmig:down\` section of the versioned file" \
        "in V1__a.sql" -- upgrade
    mistake 3 "U1__a.sql: a Flyway undo script" -- check
}

m_naming_flyway_repeatable() {
    _naming_db
    mk_table "$MIG" V1__a a
    mkmig "$MIG" R__v "CREATE VIEW v AS SELECT 1 AS one;"
    mistake 3 "R__v.sql: a Flyway repeatable migration" "each change is a new revision" -- upgrade
}

m_naming_golang_migrate_pair() {
    _naming_db
    mkmig "$MIG" 1_create_users.up "CREATE TABLE users (id INTEGER);"
    mkmig "$MIG" 1_create_users.down "DROP TABLE users;"
    mistake 3 "1_create_users.up.sql and 1_create_users.down.sql are a golang-migrate" \
        "Merge them into one file, 1_create_users.sql" "\`-- dbmig:down\`" -- upgrade
    expect_not_contains all "duplicate revision id"
    # following the old advice (another id for one of them) is refused too
    rm "$MIG/1_create_users.up.sql"
    mistake 3 "1_create_users.down.sql: a golang-migrate down script" -- upgrade
}

# Names that only look like another tool's are ordinary dbmig files.
m_naming_near_misses_load() {
    _naming_db
    mk_table "$MIG" 001_a a
    mk_table "$MIG" Users_table users_t
    mk_table "$MIG" U2_undo_log undo_log
    dbm upgrade; expect_exit 0 "near misses"
    expect_applied "001 U2 Users"
}
