# Driver ABI 2.0 mistakes (issue 14, item 2): a plugin built for ABI 1, a
# URL scheme that only a plugin's `schemes` names, and the lease lock asked
# of a driver that gives no SQL for it. They use the fixture plugins of a
# build tree (tests/fixtures: sec_fixtures, cases_security.sh) with their
# own SQLite files, so they run the same whatever DB_KIND is.
# Sourced by run.sh; see there for `mistake`.

# An ABI 1 plugin: exit 2, naming the file, its ABI, this dbmig's, and what
# to do (rebuild against driver.h 2.0, plugins/README.md).
m_abi_plugin_built_for_abi1() {
    sec_fixtures
    mk_chain3 "$MIG"
    mistake_raw 2 "dbmig_abi1.so" "built for driver ABI 1.0" "speaks ABI 2.3" \
        "rebuild the plugin against this dbmig's <dbmig/driver.h>" "plugins/README.md" \
        -- --dir "$MIG" --plugin-dir "$FIX" --url abi1:x status
}

# No dbmig_lsql.so exists: the lsql: scheme picks litesql, the plugin whose
# table lists lsql in its schemes (no --driver needed).
m_abi_scheme_declared_by_plugin() {
    sec_fixtures
    mk_chain3 "$MIG"
    run --dir "$MIG" --plugin-dir "$FIX" --url "lsql:$T/lsql.db" upgrade head
    expect_exit 0 "upgrade through the plugin declaring lsql"
    run --dir "$MIG" --plugin-dir "$FIX" --url "lsql:$T/lsql.db" status
    expect_exit 0 "status through the plugin declaring lsql"
    expect_contains out "driver litesql"
    expect_contains out "3 applied"
}

# A GENERIC third-party driver that gives no lease SQL: --lock lease is
# refused by name (exit 2) before anything is applied, instead of the
# driver being handed another dialect's SQL; the session lock works. The
# fixture also checks, on every call, that the core passes it the self its
# init() made (it fails with "self lost" otherwise).
m_abi_generic_driver_refuses_lease() {
    sec_fixtures
    mk_chain3 "$MIG"
    local db="lsql:$T/generic.db"
    mistake_raw 2 "--lock lease" "driver fxgeneric" "dbmig_fxgeneric.so" "gives no SQL for the lease lock" \
        "use --lock session" -- --dir "$MIG" --plugin-dir "$FIX" --driver fxgeneric --url "$db" \
        --lock lease upgrade head
    run --dir "$MIG" --plugin-dir "$FIX" --driver fxgeneric --url "$db" status
    expect_exit 0 "status after the refusal"
    expect_contains out "0 applied"
    expect_not_contains all "self lost"
    run --dir "$MIG" --plugin-dir "$FIX" --driver fxgeneric --url "$db" --lock session upgrade head
    expect_exit 0 "the same driver with the session lock"
    expect_not_contains all "self lost"
    run --dir "$MIG" --plugin-dir "$FIX" --driver fxgeneric --url "$db" status
    expect_contains out "3 applied"
}
