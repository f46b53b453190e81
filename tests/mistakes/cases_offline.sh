# shellcheck shell=bash
# Mistakes around a database that is not there yet, and the offline script
# (--sql) run by the database's own client. Sourced by run.sh.

# The SQLite helpers are cases_sqlite.sh's (run.sh sources every cases
# file into one shell): _sq_only, _sq_absent PATH, _sq_typo_setup (001
# applied, TYPO a mistyped path beside the database).

# A typo in a rollback URL: downgrade has nothing to revert in a file that
# does not exist. Refused (exit 1, as for a server database that is not
# there) naming the path and that only upgrade creates a database; the file
# is not created. It used to be created, with "nothing to do" and exit 0.
m_offline_typo_downgrade() {
    _sq_typo_setup
    mistake_raw 1 "cannot downgrade" "tset.db" "$TYPO" "does not exist" "only \`dbmig upgrade\` creates" \
        -- --url "sqlite:$TYPO" --dir "$MIG" downgrade base
    expect_not_contains all "so it was created"
    _sq_absent "$TYPO"
    mistake_raw 1 "cannot downgrade" "does not exist" -- --url "sqlite:$TYPO" --dir "$MIG" downgrade -- -1
    _sq_absent "$TYPO"
    mistake_raw 1 "cannot downgrade" "does not exist" -- --url "sqlite:$TYPO" --dir "$MIG" --dry-run downgrade base
    _sq_absent "$TYPO"
}

# repair has no version table to repair in a file that does not exist:
# refused the same way, nothing created; in a missing folder too.
m_offline_typo_repair() {
    _sq_typo_setup
    mistake_raw 1 "cannot repair" "$TYPO" "does not exist" "only \`dbmig upgrade\` creates" \
        -- --url "sqlite:$TYPO" --dir "$MIG" repair --checksums
    _sq_absent "$TYPO"
    mistake_raw 1 "cannot repair" "does not exist" -- --url "sqlite:$TYPO" --dir "$MIG" repair --applied 001
    _sq_absent "$TYPO"
    mistake_raw 1 "cannot repair" "does not exist" -- --url "sqlite:$TYPO" --dir "$MIG" --dry-run repair --checksums
    _sq_absent "$TYPO"
    mistake_raw 1 "cannot downgrade" "nor does its folder" -- --url "sqlite:$T/nodir/x.db" --dir "$MIG" downgrade base
    [ ! -e "$T/nodir" ] || fail "the folder nodir was created"
}

# stamp writes the version table (as upgrade does, it makes the database
# say something): it still creates a missing file, and says so.
m_offline_typo_stamp_creates() {
    _sq_typo_setup
    mistake_raw 0 "tset.db" "so it was created" -- --url "sqlite:$TYPO" --dir "$MIG" stamp head
    [ -f "$TYPO" ] || fail "stamp did not create $TYPO"
    expect_eq "$(DB_FILE=$TYPO applied)" "001 002 003" "revisions stamped in the new file"
}

# schema dump of a missing file: the empty dump, and a notice saying why.
m_offline_typo_schema_dump() {
    _sq_typo_setup
    mistake_raw 0 "$TYPO" "does not exist" "an empty database" -- --url "sqlite:$TYPO" --dir "$MIG" schema dump
    _sq_absent "$TYPO"
}

# status in a folder that does not exist: its hint is wait's (upgrade would
# refuse a missing folder), not "`dbmig upgrade` creates it".
m_offline_typo_folder_hint() {
    _sq_typo_setup
    mistake_raw 0 "nor does its folder" "not its folder" "mkdir -p" -- --url "sqlite:$T/nodir/x.db" --dir "$MIG" status
    expect_not_contains all "\`dbmig upgrade\` creates it"
    [ ! -e "$T/nodir" ] || fail "the folder nodir was created"
}

# The --sql script of a trigger whose body holds `;` (MySQL: written with
# DELIMITER, as docs/drivers.md shows; PostgreSQL: a $$ function body;
# SQLite: BEGIN ... END), fed to the database's own client: the trigger and
# the version rows are there after it, and status agrees. The mysql client
# cut the body at its first `;` when the script had no DELIMITER.
m_offline_script_bodies() {
    case $DB_KIND in
        sqlite) mkmig "$MIG" 001_log "CREATE TABLE users (id int);
CREATE TABLE log (id int);
CREATE TRIGGER users_log AFTER INSERT ON users FOR EACH ROW
BEGIN
  INSERT INTO log VALUES (NEW.id); -- one; of two
  INSERT INTO log VALUES (NEW.id + 100);
END;" ;;
        postgres) mkmig "$MIG" 001_log "CREATE TABLE users (id int);
CREATE TABLE log (id int);
CREATE FUNCTION users_log() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  INSERT INTO log VALUES (NEW.id); -- one; of two
  INSERT INTO log VALUES (NEW.id + 100);
  RETURN NEW;
END;
\$\$;
CREATE TRIGGER users_log AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_log();" ;;
        mysql) mkmig "$MIG" 001_log "CREATE TABLE users (id int);
CREATE TABLE log (id int);
DELIMITER //
CREATE TRIGGER users_log AFTER INSERT ON users FOR EACH ROW
BEGIN
  INSERT INTO log VALUES (NEW.id); -- one; of two
  INSERT INTO log VALUES (NEW.id + 100);
END//
DELIMITER ;" ;;
        *) skip "no client for $DB_KIND" ;;
    esac
    mkmig "$MIG" 002_row "INSERT INTO users VALUES (1);"
    dbm --sql upgrade head
    expect_exit 0 "--sql upgrade head"
    cp "$T/out" "$T/script.sql"
    db_script "$T/script.sql" > "$T/script.log" 2>&1 ||
        fail "the $DB_KIND client refused the --sql script: $(head -c 300 "$T/script.log")"
    expect_applied "001 002" "the script writes the version rows"
    expect_eq "$(db_query "SELECT id FROM log ORDER BY id" | tr '\n' ' ')" "1 101 " "rows the trigger wrote"
    dbm status
    expect_exit 0 "status after the script"
    expect_contains out "2 applied"
    expect_contains out "0 pending"
}
