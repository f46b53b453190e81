# Commands that would act on the wrong thing, dry runs that would write,
# targets typed wrong (issue 13: defects 5, 10, 11, 12, 14, 14b). Sourced by
# run.sh; see there for `mistake`. Every case leaves the database exactly as
# it found it, unless the mistake's intended behaviour is to succeed (then
# that is asserted).

# A table that is not dbmig's, so that "the database" is never just absent
# (a fresh SQLite file then exists before the case, as a real one would).
_e_keep() { db_query "CREATE TABLE keep (id INTEGER)" >/dev/null; }

# 001, 002 applied; 003 (outside a transaction) dirty after its first
# statement committed and its second failed.
_e_dirty() {
    mk_table "$MIG" 001_a a
    mk_table "$MIG" 002_b b
    mkmig "$MIG" 003_c "-- dbmig:transaction off
-- dbmig:up
CREATE TABLE c (id INTEGER PRIMARY KEY);
INSERT INTO nosuch_table VALUES (1);
-- dbmig:down
DROP TABLE c;"
    dbm upgrade head
    expect_exit 1 "the upgrade through 003 fails"
    expect_eq "$(db_query "SELECT $DIRTY FROM $VT WHERE revision='003'")" 1 "003 is dirty"
}

# Two heads: 003 and 004 both children of 002.
_e_two_heads() {
    mk_chain3 "$MIG"
    mkmig "$MIG" 004_d "-- dbmig:parents 002
-- dbmig:up
CREATE TABLE d (id INTEGER PRIMARY KEY);
-- dbmig:down
DROP TABLE d;"
}

# ---- a dry run never writes (defect 5), for every writing command --------

m_engine_dry_upgrade() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 0 "dry run: would apply 002" "dry run: would apply 003" -- --dry-run upgrade head
    expect_no_table b
}

m_engine_dry_upgrade_fresh_creates_no_table() {
    mk_chain3 "$MIG"
    _e_keep
    mistake 0 "dry run: would create the version table dbmig_version" \
        "dry run: would apply 001" -- --dry-run upgrade
    expect_no_table "$VT" "a dry run created the version table"
}

m_engine_dry_downgrade() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    mistake 0 "dry run: would revert 003" "dry run: would revert 001" -- --dry-run downgrade base
    expect_table a
}

m_engine_dry_stamp() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 0 "dry run: would stamp 002 as applied" "dry run: would stamp 003 as applied" \
        -- --dry-run stamp head
}

m_engine_dry_repair_checksums() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    printf -- '-- edited after it was applied\n' >> "$MIG/002_b.sql"
    mistake 0 "dry run: would accept the edited file of 002" -- --dry-run repair --checksums
    dbm check; expect_exit 3 "the checksum is still the old one after the dry run"
}

m_engine_dry_repair_applied() {
    _e_dirty
    mistake 0 "dry run: would settle 003 as applied" -- --dry-run repair --applied 003
}

m_engine_dry_repair_reverted() {
    _e_dirty
    mistake 0 "dry run: would settle 003 as not applied" -- --dry-run repair --reverted 003
}

# revision and merge write files: a dry run says which, and writes none.
m_engine_dry_revision_and_merge() {
    _e_two_heads
    local before
    before=$(ls "$MIG")
    mistake 0 "dry run: would create" "parent 004" -- --dry-run revision -m "more" --parent 004
    mistake 0 "dry run: would create" "parents 003, 004" -- --dry-run merge -m "join"
    expect_eq "$(ls "$MIG")" "$before" "the migrations folder after dry runs"
}

# ---- commands that would act on the wrong thing ---------------------------

# Defect 10: downgrade -1 reverted the revision before one without a file.
m_engine_downgrade_last_without_file() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    rm "$MIG/003_c.sql"
    mistake 3 "the most recently applied revision, 003, has no file" \
        "dbmig repair --reverted 003" -- downgrade -1
    expect_table b "002 was reverted in place of 003"
}

# ... and the fix it names works: the row goes, the file-less revision is
# no longer in the way.
m_engine_repair_reverted_without_file() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    rm "$MIG/003_c.sql"
    dbm repair --reverted 003
    expect_exit 0 "repair --reverted of a revision without a file"
    expect_contains all "removed the row of 003"
    expect_applied "001 002"
    expect_table c "repair runs no SQL"
}

# Defect 11: a missing ancestor stops downgrade too.
m_engine_downgrade_missing_ancestor() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    mk_table "$MIG" 000_late late   # sorts first: the parent of 001 (0015 would be refused: 15 > 1)
    mistake 3 "revision 000" "dbmig upgrade --allow-missing" "dbmig downgrade --allow-missing" \
        -- downgrade -1
    dbm downgrade -1 --allow-missing
    expect_exit 0 "downgrade --allow-missing"
    expect_applied "001 002"
}

# Defect 14b: a downgrade target that is not applied.
m_engine_downgrade_target_not_applied() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 2 "cannot downgrade to 003" "it is not applied" "the applied head is 001" \
        -- downgrade 003
}

m_engine_downgrade_head_several_heads() {
    _e_two_heads
    dbm upgrade heads; expect_exit 0
    mistake 2 "several heads" "dbmig merge" -- downgrade head
}

m_engine_upgrade_head_several_heads_creates_nothing() {
    _e_two_heads
    mistake 2 "several heads: 003, 004" "heads" "dbmig merge" -- upgrade
}

m_engine_stamp_unknown_target() {
    mk_chain3 "$MIG"
    mistake 2 "unknown revision 'nosuch'" "stamp accepts" -- stamp nosuch
}

m_engine_downgrade_unknown_target() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    mistake 2 "unknown revision '004'" "did you mean" -- downgrade 004
}

m_engine_upgrade_minus_one() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    mistake 2 "upgrade cannot go to '-1'" "dbmig downgrade -1" -- upgrade -1
}

m_engine_downgrade_plus_one() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 2 "downgrade cannot go to '+1'" "dbmig upgrade +1" -- downgrade +1
}

m_engine_relative_zero() {
    mk_chain3 "$MIG"
    dbm upgrade 002; expect_exit 0
    mistake 2 "N in -N must be a whole number of at least 1" -- downgrade -0
    mistake 2 "N in +N must be a whole number of at least 1" -- upgrade +0
    mistake 2 "at least 1" -- downgrade 002-0
}

m_engine_ambiguous_prefix() {
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    mistake 2 "ambiguous revision prefix '00'" "001 (001_a.sql)" "002 (002_b.sql)" -- upgrade 00
}

m_engine_downgrade_more_than_applied() {
    mk_chain3 "$MIG"
    dbm upgrade 002; expect_exit 0
    mistake 2 "only 2 revisions are applied" "base" -- downgrade -3
}

# SPEC section 3: <id>-N and <id>+N for every command (they were "unknown
# revision"). Intended to succeed.
m_engine_relative_id_targets() {
    mk_chain3 "$MIG"
    dbm upgrade 003-1
    expect_exit 0 "upgrade 003-1"
    expect_applied "001 002"
    dbm upgrade head; expect_exit 0
    dbm downgrade 001+1
    expect_exit 0 "downgrade 001+1"
    expect_applied "001 002"
    expect_no_table c
}

m_engine_downgrade_base_on_empty_database() {
    mk_chain3 "$MIG"
    _e_keep
    mistake 0 "nothing to do" -- downgrade base
    expect_no_table "$VT" "downgrade base created the version table"
}

m_engine_repair_applied_not_dirty() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    mistake 2 "nothing to repair: revision 002 is applied and not dirty" -- repair --applied 002
}

m_engine_repair_reverted_not_dirty() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    mistake 2 "refusing to remove the row of revision 002" "dbmig downgrade" \
        -- repair --reverted 002
    expect_table b
}

m_engine_repair_unknown_revision() {
    mk_chain3 "$MIG"
    dbm upgrade 002; expect_exit 0
    mistake 2 "unknown revision 'zzz'" -- repair --reverted zzz
    mistake 2 "revision 003 (" "is not applied" -- repair --applied 003
}

# stamp backwards is allowed (it is what stamp is for), and says what it
# left in the database. Intended to succeed.
m_engine_stamp_backwards() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    dbm stamp 001
    expect_exit 0 "stamp backwards"
    expect_contains all "2 marked not applied"
    expect_contains all "still in the database"
    expect_applied "001"
    expect_table c "stamp runs no SQL"
}

# Defect 14: check with two heads named the command that then fails.
m_engine_check_two_heads() {
    _e_two_heads
    dbm upgrade 002; expect_exit 0
    mistake 3 "dbmig merge -m MSG" "dbmig upgrade heads" -- check
    expect_not_contains all "is pending: run \`dbmig upgrade\`"
    dbm upgrade heads
    expect_exit 0 "the advice works"
    dbm check
    expect_exit 0
}

# Defect 12: a schema-qualified version table must be read where it is
# written, or refused before anything is created.
m_engine_table_qualified() {
    mk_chain3 "$MIG"
    case $DB_KIND in
        sqlite)
            mistake 2 "an SQLite database has one schema, main" "use --table dbmig_version" \
                -- --table other.dbmig_version upgrade
            dbm --table main.dbmig_version upgrade; expect_exit 0
            dbm --table main.dbmig_version upgrade
            expect_exit 0 "the second run reads what the first wrote"
            expect_contains all "nothing to do"
            expect_applied "001 002 003" ;;
        mysql)
            mistake 2 "the version table lives in the URL's database" \
                -- --table other.dbmig_version upgrade ;;
        postgres)
            db_query "CREATE SCHEMA IF NOT EXISTS dbmig_meta" >/dev/null
            dbm --table dbmig_meta.dbmig_version upgrade; expect_exit 0
            dbm --table dbmig_meta.dbmig_version upgrade
            expect_exit 0 "the second run reads what the first wrote"
            expect_contains all "nothing to do"
            expect_eq "$(db_query "SELECT count(*) FROM dbmig_meta.dbmig_version")" 3 "rows"
            db_query "DROP SCHEMA dbmig_meta CASCADE" >/dev/null ;;
    esac
}
