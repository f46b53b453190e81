# Mistakes with SQLite paths and files: a typo in the database path, a URL
# naming a folder, a text file, a read-only file, a missing folder, the
# sqlite:// forms, an empty path, a planted lock file, and the lock wait
# while another dbmig writes. Sourced by run.sh; see there for `mistake`.
# All of them are about SQLite files: skipped on the other drivers.

_sq_only() { [ "$DRIVER" = sqlite ] || skip "SQLite file paths only"; }

# No database file (and no lock file) at PATH.
_sq_absent() {
    [ ! -e "$1" ] || fail "$1 was created"
    [ ! -e "$1.dbmig-lock" ] || fail "$1.dbmig-lock was created"
}

# A database with 001 applied and 002, 003 pending; the typo'd path beside it.
_sq_typo_setup() {
    _sq_only
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    TYPO=$T/tset.db
}

m_sqlite_typo_status() {
    _sq_typo_setup
    mistake_raw 0 "tset.db" "does not exist" "0 applied (0 of them edited), 3 pending" -- --url "sqlite:$TYPO" --dir "$MIG" status
    _sq_absent "$TYPO"
}

m_sqlite_typo_current() {
    _sq_typo_setup
    mistake_raw 0 "base (nothing applied)" "tset.db" "does not exist" -- --url "sqlite:$TYPO" --dir "$MIG" current
    _sq_absent "$TYPO"
}

m_sqlite_typo_check() {
    _sq_typo_setup
    mistake_raw 3 "tset.db" "does not exist" "pending" -- --url "sqlite:$TYPO" --dir "$MIG" check
    _sq_absent "$TYPO"
}

m_sqlite_typo_history() {
    _sq_typo_setup
    mistake_raw 0 "does not exist" "pending" -- --url "sqlite:$TYPO" --dir "$MIG" history
    _sq_absent "$TYPO"
}

m_sqlite_typo_dry_run() {
    _sq_typo_setup
    mistake_raw 0 "does not exist" "would apply 001" -- --url "sqlite:$TYPO" --dir "$MIG" --dry-run upgrade
    _sq_absent "$TYPO"
    mistake_raw 0 "does not exist" -- --url "sqlite:$TYPO" --dir "$MIG" --dry-run stamp head
    _sq_absent "$TYPO"
}

# A read-only command in a folder that does not exist either: said so, and
# the folder is not made.
m_sqlite_typo_folder_status() {
    _sq_typo_setup
    mistake_raw 0 "nor does its folder" "0 applied (0 of them edited), 3 pending" -- --url "sqlite:$T/nodir/app.db" --dir "$MIG" status
    [ ! -e "$T/nodir" ] || fail "the folder $T/nodir was created"
}

# How a new SQLite database starts: upgrade creates it, and says so.
m_sqlite_upgrade_creates() {
    _sq_only
    mk_chain3 "$MIG"
    dbm upgrade head
    expect_exit 0
    expect_contains err "was created"
    expect_applied "001 002 003"
    # the second time there is nothing to create
    dbm upgrade head
    expect_exit 0
    expect_not_contains err "was created"
}

# upgrade into a folder that does not exist: exit 2 naming it; nothing made.
m_sqlite_missing_folder_upgrade() {
    _sq_only
    mk_chain3 "$MIG"
    mistake_raw 2 "folder" "nodir/app.db" "mkdir" -- --url "sqlite:nodir/app.db" --dir "$MIG" upgrade
    [ ! -e "$T/nodir" ] || fail "the folder nodir was created"
}

# The URL names a folder: exit 2, for reads and writes alike.
m_sqlite_url_is_folder() {
    _sq_only
    mk_chain3 "$MIG"
    mkdir "$T/data.db"
    mistake_raw 2 "data.db" "is a folder" -- --url "sqlite:$T/data.db" --dir "$MIG" upgrade
    mistake_raw 2 "is a folder" -- --url "sqlite:$T/data.db" --dir "$MIG" status
    [ -z "$(ls -A "$T/data.db")" ] || fail "something was written into the folder: $(ls -A "$T/data.db")"
}

# The URL names a file that is no database (a text file called x.db): exit
# 2, and the file is left exactly as it was, no lock file beside it.
m_sqlite_not_a_database() {
    _sq_only
    mk_chain3 "$MIG"
    printf 'shopping list\n- milk\n' > "$T/x.db"
    cp "$T/x.db" "$T/x.orig"
    mistake_raw 2 "x.db" "not an SQLite database" -- --url "sqlite:$T/x.db" --dir "$MIG" upgrade
    mistake_raw 2 "not an SQLite database" -- --url "sqlite:$T/x.db" --dir "$MIG" status
    mistake_raw 2 "not an SQLite database" -- --url "sqlite:$T/x.db" --dir "$MIG" stamp head
    cmp -s "$T/x.db" "$T/x.orig" || fail "x.db was changed: $(head -c 200 "$T/x.db" | od -c | head -3)"
    [ ! -e "$T/x.db.dbmig-lock" ] || fail "a lock file was made beside x.db"
}

# A database file the user may not write: status works, upgrade fails with
# the file named and nothing changed. Root writes anything: as root the
# commands run as nobody (setpriv).
m_sqlite_read_only_file() {
    _sq_only
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    rm -f "$DB_FILE.dbmig-lock"
    chmod 444 "$DB_FILE"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        command -v setpriv >/dev/null || skip "root without setpriv cannot test a read-only file"
        chmod 777 "$T"
        chmod -R a+rX "$MIG"
        as=(as_nobody)
    fi
    local before
    before=$(db_fingerprint)
    RC=0
    "${as[@]}" "$DBMIG" --url "$URL" --dir "$MIG" upgrade > "$T/out" 2> "$T/err" || RC=$?
    expect_exit 1 "upgrade of a read-only database file"
    expect_contains err "readonly"
    expect_contains err "test.db"
    expect_contains err "permissions"
    [ "$(db_fingerprint)" = "$before" ] || fail "the read-only database changed"
    RC=0
    "${as[@]}" "$DBMIG" --url "$URL" --dir "$MIG" status > "$T/out" 2> "$T/err" || RC=$?
    expect_exit 0 "status of a read-only database file"
    expect_contains out "1 applied (0 of them edited), 2 pending"
}

# sqlite:rel.db and sqlite://rel.db are the same file, relative to the
# working folder; sqlite:///abs/x.db (and sqlite:/abs/x.db) is absolute.
m_sqlite_url_forms() {
    _sq_only
    mk_chain3 "$MIG"
    run --url "sqlite://rel.db" --dir "$MIG" upgrade 001
    expect_exit 0
    [ -f "$T/rel.db" ] || fail "sqlite://rel.db did not make rel.db in the working folder"
    run --url "sqlite:rel.db" --dir "$MIG" current
    expect_exit 0
    expect_contains out "001"
    run --url "sqlite://$T/abs.db" --dir "$MIG" upgrade 002
    expect_exit 0
    [ -f "$T/abs.db" ] || fail "sqlite:///$T/abs.db did not make $T/abs.db"
    run --url "sqlite:$T/abs.db" --dir "$MIG" current
    expect_exit 0
    expect_contains out "002"
    # a typo'd relative path in a read-only command names where it looked
    mistake_raw 0 "$T/rell.db" "does not exist" -- --url "sqlite://rell.db" --dir "$MIG" status
    _sq_absent "$T/rell.db"
}

# sqlite: with no path (or only a query): exit 2, and no query value shown.
m_sqlite_empty_path() {
    _sq_only
    mk_chain3 "$MIG"
    mistake_raw 2 "no database file" -- --url "sqlite:" --dir "$MIG" status
    mistake_raw 2 "no database file" -- --url "sqlite:?password=s3cret" --dir "$MIG" upgrade
    expect_not_contains all "s3cret"
    mistake_raw 2 "sqlite:path/to/file.db" -- --url "sqlite://" --dir "$MIG" upgrade
}

# A URL of another database given to the SQLite driver: exit 2, the
# password not shown.
m_sqlite_driver_wrong_url() {
    _sq_only
    mk_chain3 "$MIG"
    # (another built-in driver's URL: named as such, with the fix)
    mistake_raw 2 "is for driver postgres, but the driver is sqlite" "remove that driver setting" \
        -- --driver sqlite --url "postgres://app:s3cret@db.example/app" --dir "$MIG" status
    expect_not_contains all "s3cret"
}

# Someone planted a symlink where the lock file goes: refused (exit 1), and
# the file it points to keeps its content.
m_sqlite_lock_symlink() {
    _sq_only
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    rm -f "$DB_FILE.dbmig-lock"
    printf 'precious\ncontent\n' > "$T/precious.txt"
    ln -s "$T/precious.txt" "$DB_FILE.dbmig-lock"
    mistake 1 "symbolic link" "test.db.dbmig-lock" "remove it" -- upgrade
    [ "$(cat "$T/precious.txt")" = "$(printf 'precious\ncontent')" ] || fail "the symlink's target was changed: $(cat "$T/precious.txt")"
    # read-only commands take no lock and work
    dbm status; expect_exit 0
}

# A FIFO or a folder where the lock file goes: refused at once (no hang).
m_sqlite_lock_not_a_file() {
    _sq_only
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    rm -f "$DB_FILE.dbmig-lock"
    mkfifo "$DB_FILE.dbmig-lock"
    mistake 1 "FIFO" "remove it" -- --lock-timeout 0 upgrade
    rm -f "$DB_FILE.dbmig-lock"
    mkdir "$DB_FILE.dbmig-lock"
    mistake 1 "is a folder" "remove it" -- --lock-timeout 0 upgrade
}

# A lock file owned by another user (who could swap it under us): refused.
# Needs root to make such a file; root's own files are fine.
m_sqlite_lock_other_owner() {
    _sq_only
    [ "$(id -u)" = 0 ] || skip "only root can make a file owned by another user"
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    chown 65534 "$DB_FILE.dbmig-lock"
    mistake 1 "owned by uid 65534" "remove it" -- upgrade
    chown 0 "$DB_FILE.dbmig-lock"
    dbm upgrade; expect_exit 0
    expect_applied "001 002 003"
}

# --lock-timeout bounds the wait while the holder writes (defect 18): the
# holder's migration writes enough to hold SQLite's exclusive lock, then
# runs a slow statement. The second upgrade must say it waits, for whom,
# and give up after about 1 s (not after SQLite's 10 s busy time-out).
m_sqlite_lock_timeout_while_writing() {
    _sq_only
    mk_table "$MIG" 001_a a
    mkmig "$MIG" 002_slow "CREATE TABLE slow_t (id INTEGER, pad TEXT);
INSERT INTO slow_t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT x, hex(randomblob(40)) FROM c;
$(slow_sql 25000000)"
    "$DBMIG" --url "$URL" --dir "$MIG" --commit-interval 0 upgrade head > "$T/out.1" 2> "$T/err.1" &
    local p=$! rc=0 t0 ms
    BG_PIDS="$BG_PIDS $p"
    # (not through the database: a reader would wait for the writer)
    wait_until 10 grep -q "applied 001" "$T/err.1"
    sleep 0.8 # the holder is inside 002, its rows written
    kill -0 "$p" 2>/dev/null || fail "the slow upgrade ended too soon (calibrate slow_sql): $(cat "$T/err.1")"
    t0=${EPOCHREALTIME/[.,]/}
    dbm --lock-timeout 1 upgrade head
    ms=$(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 ))
    kill -0 "$p" 2>/dev/null || fail "the slow upgrade ended before the second gave up (second exit $RC after $ms ms)"
    expect_exit 4 "a second upgrade with --lock-timeout 1 while the holder writes"
    expect_contains err "waiting up to 1s for the migration lock held by pid $p"
    [ "$ms" -lt 4000 ] || fail "--lock-timeout 1 gave up after $ms ms"
    t0=${EPOCHREALTIME/[.,]/}
    dbm --lock-timeout 0 upgrade head
    ms=$(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 ))
    expect_exit 4 "a second upgrade with --lock-timeout 0"
    [ "$ms" -lt 2000 ] || fail "--lock-timeout 0 gave up after $ms ms"
    wait "$p" || rc=$?
    [ "$rc" = 0 ] || fail "the first upgrade exited $rc: $(cat "$T/err.1")"
    expect_applied "001 002"
}

# `sudo dbmig upgrade` once, then the application's user: the lock file is
# root's and not writable for that user. Refused (exit 1) naming the owner
# and what to do, not "make the folder writable". Needs root (runs as nobody).
m_sqlite_lock_left_by_root() {
    _sq_only
    [ "$(id -u)" = 0 ] || skip "only root can leave a lock file another user may not write"
    command -v setpriv >/dev/null || skip "no setpriv to run as another user"
    mk_chain3 "$MIG"
    dbm upgrade 001; expect_exit 0
    chmod 777 "$T"
    chmod 666 "$DB_FILE"
    chmod -R a+rX "$MIG"
    local before
    before=$(db_fingerprint)
    RC=0
    as_nobody "$DBMIG" --url "$URL" --dir "$MIG" upgrade > "$T/out" 2> "$T/err" || RC=$?
    expect_exit 1 "upgrade as another user than the lock file's owner"
    expect_contains err "test.db.dbmig-lock"
    expect_contains err "belongs to uid 0"
    expect_contains err "run dbmig as the user who owns the database"
    [ "$(db_fingerprint)" = "$before" ] || fail "the database changed"
}
