# Security mistakes (issue 13, items 22, 24, 27): hostile passwords on a
# refused connection, a plugin folder named by a config file that is not
# safe, a broken plugin, a URL scheme no driver (or several) declares.
# Sourced by run.sh; see there for `mistake`.

# The broken test plugins (tests/fixtures), beside the binary in a build tree.
# (build/bin/dbmig, or the build/dbmig link to it: build/fixture-plugins).
sec_fixtures() {
    local d bin
    bin=$(dirname "$(readlink -f "$DBMIG")")
    for d in "${DBMIG_FIXTURE_PLUGIN_DIR:-}" "$bin/fixture-plugins" "$(dirname "$bin")/fixture-plugins"; do
        FIX=$d
        [ -n "$d" ] && [ -e "$d/dbmig_nulltable.so" ] && return 0
    done
    skip "no fixture plugins near $DBMIG (a build tree is needed)"
}

# sec_with_password PW: $URL with its password replaced by PW (as written);
# on SQLite a PostgreSQL URL to a port where nothing listens.
sec_with_password() {
    case $DB_KIND in
        sqlite) printf 'postgres://alice:%s@127.0.0.1:1/appdb' "$1" ;;
        *) local scheme=${URL%%://*} rest=${URL#*://}
           local user=${rest%%[:@]*} host=${rest##*@}
           printf '%s://%s:%s@%s' "$scheme" "$user" "$1" "$host" ;;
    esac
}

# sec_no_leak: nothing of a Zq..Wx password in the last run's output.
sec_no_leak() {
    expect_not_contains all "Zq"
    expect_not_contains all "Wx"
}

# A refused password holding / # ? @ : (percent-encoded, as they must be):
# exit 1, the server's refusal, *** in place of the password, no piece of it.
m_security_hostile_password_refused() {
    mk_chain3 "$MIG"
    local pw url
    for pw in 'Zq%2FWx' 'Zq%23Wx' 'Zq%3FWx' 'Zq%40Wx' 'Zq%3AWx' 'Zq%25Wx'; do
        url=$(sec_with_password "$pw")
        mistake_raw 1 ":***@" -- --dir "$MIG" --url "$url" status
        sec_no_leak
        mistake_raw 1 ":***@" -- --dir "$MIG" --url "$url" --format json status
        sec_no_leak
    done
}

# The same characters unencoded: refused before connecting where the driver
# would read a piece of the password as host, port or database (exit 2,
# "percent-encode"), else refused by the server (exit 1); never echoed.
m_security_hostile_password_unencoded() {
    mk_chain3 "$MIG"
    local pw url
    for pw in 'Zq/Wx' 'Zq#Wx' 'Zq?Wx' 'Zq@Wx' 'Zq:Wx' 'Zq@Wx/Vy'; do
        url=$(sec_with_password "$pw")
        run --dir "$MIG" --url "$url" status
        [ "$RC" = 1 ] || [ "$RC" = 2 ] || fail "password $pw: exit $RC, want 1 or 2"
        [ "$RC" = 1 ] || expect_contains err "percent-encode"
        expect_contains err ":***@"
        sec_no_leak
    done
}

# A password equal to the scheme or the user name masks that password only:
# the scheme, the user, the host and the driver's name stay readable.
m_security_password_equals_scheme_and_user() {
    mk_chain3 "$MIG"
    local scheme=${URL%%:*} url user
    [ "$DB_KIND" = sqlite ] && scheme=postgres
    url=$(sec_with_password "$scheme")
    mistake_raw 1 "$scheme://" "driver " -- --dir "$MIG" --url "$url" status
    expect_not_contains all "***://"
    user=$(printf '%s' "$url" | sed -E 's#^[a-z]+://([^:]+):.*#\1#')
    url=$(sec_with_password "$user")
    mistake_raw 1 "//$user:***@" -- --dir "$MIG" --url "$url" status
}

# A one-character and an empty password, and one equal to the port.
m_security_password_tiny_empty_port() {
    mk_chain3 "$MIG"
    local url port
    url=$(sec_with_password x)
    mistake_raw 1 ":***@" -- --dir "$MIG" --url "$url" status
    url=$(sec_with_password "")
    run --dir "$MIG" --url "$url" status # may connect: PGPASSWORD, ~/.pgpass or trust fill in
    expect_not_contains all "***://"
    port=$(printf '%s' "$url" | sed -E 's#.*@[^:/]+:([0-9]+)/.*#\1#')
    url=$(sec_with_password "$port")
    mistake_raw 1 ":***@" ":$port/" -- --dir "$MIG" --url "$url" status
}

# dbmig.conf names a plugin folder owned by someone else: refused (exit 2),
# naming the config file, the folder and the fix; nothing is loaded.
m_security_plugin_dir_not_owned() {
    [ "$(id -u)" = 0 ] || skip "needs root to give the folder to another user"
    mk_chain3 "$MIG"
    mkdir -p "$T/plug"
    chown nobody "$T/plug"
    printf '[dbmig]\nplugin-dir = %s\n' "$T/plug" > dbmig.conf
    mistake 2 "refusing plugin-dir" "dbmig.conf" "$T/plug" "owned by nobody" "--plugin-dir" -- status
}

# ... or writable by its group: refused.
m_security_plugin_dir_group_writable() {
    mk_chain3 "$MIG"
    mkdir -p "$T/plug"
    chmod 775 "$T/plug"
    printf '[dbmig]\nplugin-dir = plug\n' > dbmig.conf
    mistake 2 "refusing plugin-dir" "dbmig.conf" "writable by its group" "chmod go-w" -- status
    mistake 2 "refusing plugin-dir" -- upgrade head
}

# ... or sits in a folder everyone may write to (no sticky bit): refused.
m_security_plugin_dir_unsafe_parent() {
    mk_chain3 "$MIG"
    mkdir -p "$T/open/plug"
    chmod 777 "$T/open"
    printf '[dbmig]\nplugin-dir = open/plug\n' > dbmig.conf
    mistake 2 "refusing plugin-dir" "folder above it" "$T/open" "writable by everyone" -- status
}

# The same folder typed by the user (--plugin-dir, DBMIG_PLUGIN_PATH) is
# the user's choice: accepted.
m_security_plugin_dir_typed_is_trusted() {
    mk_chain3 "$MIG"
    mkdir -p "$T/plug"
    chmod 775 "$T/plug"
    dbm --plugin-dir "$T/plug" status
    expect_exit 0 "--plugin-dir on the command line"
    DBMIG_PLUGIN_PATH=$T/plug dbm status
    expect_exit 0 "DBMIG_PLUGIN_PATH"
    printf '[dbmig]\nplugin-dir = plug\n' > dbmig.conf
    dbm --plugin-dir "$T/plug" status
    expect_exit 0 "--plugin-dir beats the config file's plugin-dir"
}

# A non-root user: a config-named folder owned by root is fine, one owned by
# a third user is refused.
m_security_plugin_dir_nonroot_invoker() {
    [ "$(id -u)" = 0 ] || skip "needs root to switch users"
    command -v setpriv > /dev/null || skip "no setpriv"
    [ "$DB_KIND" = sqlite ] || skip "the refusal comes before the database; SQLite covers it"
    mk_chain3 "$MIG"
    chmod 755 "$T"
    mkdir -p "$T/plug"
    printf '[dbmig]\nplugin-dir = plug\n' > dbmig.conf
    nobody_run() {
        RC=0
        as_nobody "$DBMIG" "$@" > "$T/out" 2> "$T/err" || RC=$?
    }
    chown daemon "$T/plug"
    _mistake nobody_run 2 "refusing plugin-dir" "owned by daemon" -- --url "$URL" --dir "$MIG" --sql upgrade
    chown root "$T/plug"
    nobody_run --url "$URL" --dir "$MIG" --sql upgrade
    expect_exit 0 "a root-owned plugin folder, as nobody"
}

# A plugin whose required function is NULL: refused when loaded (exit 2)
# naming the file and the function, never a crash.
m_security_plugin_null_function() {
    sec_fixtures
    mk_chain3 "$MIG"
    mistake_raw 2 "dbmig_nulltable.so" "table_exists" "NULL" -- --dir "$MIG" --plugin-dir "$FIX" --url nulltable:x status
    mistake_raw 2 "dbmig_nullfn.so" "exec" -- --dir "$MIG" --plugin-dir "$FIX" --url nullfn:x status
}

# A URL scheme nobody serves: exit 2 with the nearest known scheme.
m_security_unknown_scheme() {
    mk_chain3 "$MIG"
    local typo
    case $DB_KIND in
        sqlite) typo=sqlit:test.db; want=sqlite ;;
        postgres) typo=postgress${URL#postgres}; want=postgres ;;
        mysql) typo=mysq${URL#mysql}; want=mysql ;;
    esac
    mistake_raw 2 "no driver for URL scheme" "did you mean '$want:'" -- --dir "$MIG" --url "$typo" status
    expect_not_contains all "Zq"
}

# A scheme two plugins declare: exit 2 naming both and --driver; a scheme
# one plugin declares routes to it.
m_security_scheme_routing() {
    sec_fixtures
    mk_chain3 "$MIG"
    mistake_raw 2 "declared by 2 drivers" "fxother" "fxroute" "--driver" -- --dir "$MIG" --plugin-dir "$FIX" --url fxshared:x status
    run --dir "$MIG" --plugin-dir "$FIX" --url fxr:x status
    expect_exit 1 "fxr: routes to fxroute, which has no database"
    expect_contains err "fixture driver fxroute"
    run --dir "$MIG" --plugin-dir "$FIX" --driver fxother --url fxshared:x status
    expect_exit 1 "--driver picks among them"
    expect_contains err "fixture driver fxother"
}

# A newline in a file name and a CR or an ESC sequence in a message: the
# --sql script keeps them inside their comment (escaped), so running the
# script never runs the text hidden in them; status, history and the
# progress lines never print them raw.
m_security_control_chars_in_names_and_messages() {
    mkmig "$MIG" 001_victim "-- dbmig:up
CREATE TABLE victim (id int);
-- dbmig:down
DROP TABLE victim;"
    printf -- '-- dbmig:message evil\rDROP TABLE victim; \033[31mred\n-- dbmig:up\nCREATE TABLE b2 (id int);\n-- dbmig:down\nDROP TABLE b2;\n' > "$MIG/002_cr.sql"
    printf -- '-- dbmig:up\nCREATE TABLE c3 (id int);\n-- dbmig:down\nDROP TABLE c3;\n' \
        > "$MIG/003_a"$'\n'"DROP TABLE victim;"$'\n'"--.sql"
    dbm --sql upgrade
    expect_exit 0 "--sql upgrade"
    cp "$T/out" "$T/script.sql"
    ! grep -q -x 'DROP TABLE victim;' "$T/script.sql" || fail "a file name broke out of its comment"
    ! grep -q $'\r' "$T/script.sql" || fail "a raw CR is in the script"
    ! grep -q $'\033' "$T/script.sql" || fail "a raw ESC is in the script"
    expect_contains out 'a\nDROP TABLE victim;\n--'
    db_script "$T/script.sql" > "$T/script.log" 2>&1 || fail "the script does not run: $(head -c 300 "$T/script.log")"
    expect_table victim "after running the script"
    expect_table c3 "after running the script"
    for cmd in status history current; do
        dbm "$cmd"
        expect_exit 0 "$cmd"
        ! grep -q -e $'\r' -e $'\033' "$T/out" "$T/err" || fail "$cmd printed a raw CR or ESC"
        [ "$cmd" != status ] || expect_contains out 'evil\rDROP TABLE victim; \x1b[31mred'
    done
    dbm downgrade base
    dbm upgrade head
    expect_exit 0 "upgrade"
    ! grep -q -e $'\r' -e $'\033' "$T/out" "$T/err" || fail "the progress lines printed a raw CR or ESC"
    expect_table victim "after upgrade"
}

# An error that names a file whose name holds an ESC sequence: exit 3, the
# name shown escaped, never raw (it would drive the terminal).
m_security_control_chars_in_errors() {
    mk_chain3 "$MIG"
    dbm upgrade head
    expect_exit 0 "upgrade head"
    printf -- '-- dbmig:bogus x\n-- dbmig:up\nSELECT 1;\n' > "$MIG/004_a"$'\033'"[31mred.sql"
    mistake 3 'dbmig:bogus' '004_a\x1b[31mred.sql:1' -- status
    ! grep -q $'\033' "$T/err" "$T/out" || fail "a raw ESC reached the output"
}
