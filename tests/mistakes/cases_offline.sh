# shellcheck shell=bash
# Mistakes around a database that is not there yet, and the offline script
# (--sql) run by the database's own client. Sourced by run.sh.

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
