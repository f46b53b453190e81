# Mistakes anyone makes on the first day: a command or target that does not
# exist. Sourced by run.sh; see there for `mistake`.

m_basics_unknown_command() {
    mk_chain3 "$MIG"
    mistake 2 "unknown command" -- upgarde head
}

m_basics_unknown_target() {
    mk_chain3 "$MIG"
    mistake 2 "nosuch" -- upgrade nosuch
}

m_basics_downgrade_without_target() {
    mk_chain3 "$MIG"
    dbm upgrade head; expect_exit 0
    mistake 2 "downgrade" -- downgrade
}
