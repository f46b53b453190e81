# bench/lint/squawk.sh — sourced by bench/lint_squawk.sh and
# bench/lint_bench.sh: squawk_bin installs squawk (npm's squawk-cli, whose
# platform binary comes as an optionalDependency, e.g. @squawk-cli/linux-x64)
# into a cache folder, once, and sets $SQUAWK to the binary. Not for CI:
# tests/lint/agree.py uses squawk's recorded findings instead.
#
#   SQUAWK_VERSION (default 2.66.0, the version the figures in docs/lint.md
#   were measured with), SQUAWK_CACHE (default ~/.cache/dbmig-squawk),
#   SQUAWK (a squawk binary to use instead).
squawk_bin() {
    if [[ -n "${SQUAWK:-}" ]]; then
        [[ -x "$SQUAWK" ]] || { echo "SQUAWK=$SQUAWK is not an executable" >&2; return 1; }
        return 0
    fi
    local ver=${SQUAWK_VERSION:-2.66.0}
    local cache=${SQUAWK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbmig-squawk}/$ver
    local bin
    bin=$(find "$cache/node_modules/@squawk-cli" -path '*/bin/squawk' -type f 2>/dev/null | head -1 || true)
    if [[ -z "$bin" ]]; then
        command -v npm >/dev/null || { echo "squawk needs npm (apt-get install npm)" >&2; return 1; }
        mkdir -p "$cache"
        echo "installing squawk-cli@$ver into $cache (npm)" >&2
        (cd "$cache" && npm install --no-audit --no-fund --silent "squawk-cli@$ver" >&2) || return 1
        bin=$(find "$cache/node_modules/@squawk-cli" -path '*/bin/squawk' -type f | head -1)
    fi
    # the platform binary itself, not the node wrapper (node's start-up would
    # be charged to squawk in the timings)
    [[ -x "$bin" ]] || { echo "no squawk binary for this platform under $cache" >&2; return 1; }
    SQUAWK=$bin
}

# dbmig_release_bin BUILD: a Release dbmig with the postgres driver (the
# figures compare optimised builds), in $DBMIG.
dbmig_release_bin() {
    local build=$1
    if [[ -n "${DBMIG:-}" ]]; then
        return 0
    fi
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDBMIG_TESTS=OFF >/dev/null
    cmake --build "$build" -j2 --target dbmig_cli dbmig_postgres >/dev/null
    DBMIG=$build/bin/dbmig
}
