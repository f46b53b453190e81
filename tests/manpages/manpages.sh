#!/usr/bin/env bash
# The man pages dbmig(1) and dbmig.conf(5), as built (build/share/man) and as
# installed (cmake --install --component dbmig): they render without a
# warning, and nothing of the program's tables is missing from them. The
# tables are asked of the program itself (`dbmig __complete`, which reads
# the parser's tables), so a new command, command option or global option
# without help text fails here.
set -u
: "${DBMIG:?the dbmig binary}" "${DBMIG_SHARE:?build/share}" "${DBMIG_BUILD_DIR:?the build tree}"
if [ "${DBMIG_MANPAGES:-}" != ON ]; then
    echo "SKIP: pandoc was not found when the build was configured, so there are no man pages"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

PAGE1=$DBMIG_SHARE/man/man1/dbmig.1
PAGE5=$DBMIG_SHARE/man/man5/dbmig.conf.5

# 1. each page renders at 80 columns with no warning from groff or man
for p in "$PAGE1" "$PAGE5"; do
    [ -s "$p" ] || { fail "$p was not built"; continue; }
    if ! LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" >"$T/out" 2>"$T/err"; then
        fail "man -l $p failed: $(cat "$T/err")"
    fi
    [ -s "$T/err" ] && fail "man --warnings -l $p warns: $(head -5 "$T/err")"
    [ "$(wc -l <"$T/out")" -gt 20 ] || fail "$p renders to almost nothing"
    if grep -n '(undocumented)' "$T/out"; then
        fail "$p has an entry without text: add it to cli/help.c"
    fi
    # no line wider than the 80 columns asked for (a synopsis or a term that
    # does not break)
    awk -v p="$p" 'length($0) > 80 { print p ": line " NR " has " length($0) " columns: " $0 }' \
        "$T/out" | head -3 | while read -r l; do echo "FAIL: $l"; done | grep . && fails=$((fails + 1))
done
LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$PAGE1" >"$T/dbmig.1.txt" 2>/dev/null
LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$PAGE5" >"$T/dbmig.conf.5.txt" 2>/dev/null

# The tables, from the program (first column of `dbmig __complete`).
commands=$("$DBMIG" __complete -- '' | cut -f1)
globals=$("$DBMIG" __complete -- -- | cut -f1)
[ "$(echo "$commands" | wc -l)" -ge 20 ] || fail "dbmig __complete '' lists too few commands: $commands"
echo "$commands" | grep -qx completion || fail "the command list lacks completion"
[ "$(echo "$globals" | wc -l)" -ge 20 ] || fail "dbmig __complete -- lists too few options"

# A command's section of dbmig(1): from its subsection title to the next.
# the main usage (`dbmig help`, written by hand in cli/help.c) names every
# command option of the parser's tables, so that its summary does not fall
# behind the per-command help (the long forms of -m, -r, -o are spelt short)
"$DBMIG" help >"$T/usage"
for c in $commands; do
    for o in $("$DBMIG" __complete -- "$c" -- | cut -f1); do
        case $o in --message | --rev-range | --output) continue ;; esac
        echo "$globals" | grep -qx -- "$o" && continue
        grep -qF -- "$o" "$T/usage" || fail "dbmig help (cli_usage_main) does not name $c's option $o"
    done
done

section() {
    awk -v c="$1" '/^   [^ ]/ { on = ($0 == "   " c) } /^[^ ]/ { on = 0 } on' "$T/dbmig.1.txt"
}
squash() { tr -s ' \n' '  ' | sed 's/`//g'; }

# 2. every command has its section, with its options and its help's prose
for c in $commands; do
    section "$c" >"$T/sec"
    if [ ! -s "$T/sec" ]; then
        fail "dbmig(1) has no section for the command $c"
        continue
    fi
    for o in $("$DBMIG" __complete -- "$c" -- | cut -f1); do
        echo "$globals" | grep -qxF -- "$o" && continue # a global option
        grep -qE -- "(^|[ [,])$o([] ,=]|\$)" "$T/sec" || fail "dbmig(1): $c's option $o is not in its section"
    done
    # the help's first line of prose, in the section (the same text)
    line=$("$DBMIG" help "$c" | sed -n '2,$p' | grep -v '^ ' | head -1)
    [ -n "$line" ] || continue
    squash <"$T/sec" >"$T/sec1"
    grep -qF -- "$(echo "$line" | squash)" "$T/sec1" ||
        fail "dbmig(1)'s section $c lacks its help's text: $line"
done

# 3. every global option is in OPTIONS; every setting is a key of dbmig.conf(5)
awk '/^OPTIONS/ { on = 1; next } /^[^ ]/ { on = 0 } on' "$T/dbmig.1.txt" >"$T/options"
for o in $globals; do
    grep -qE -- "^       (-[a-zA-Z], )?$o( |\$)" "$T/options" || fail "dbmig(1) OPTIONS lacks $o"
    # actions, not settings; --var sets placeholders ([vars], DBMIG_VAR_<NAME>)
    case $o in --help | --version | --var) continue ;; esac
    # refused in the file (cli/config.c cf_known_key): not a key of the page
    case $o in --env | --config | --env-file | --no-env-file | --dry-run | --sql)
        grep -qE -- "^       ${o#--} = " "$T/dbmig.conf.5.txt" &&
            fail "dbmig.conf(5) lists ${o#--}, which the file refuses"
        continue ;;
    esac
    grep -qE -- "^       ${o#--} = " "$T/dbmig.conf.5.txt" || fail "dbmig.conf(5) lacks the key ${o#--}"
    grep -qF -- "DBMIG_$(echo "${o#--}" | tr a-z- A-Z_)" "$T/dbmig.conf.5.txt" ||
        fail "dbmig.conf(5) does not name the variable of ${o#--}"
done
grep -qE '^       dump-schema = FILE' "$T/dbmig.conf.5.txt" || fail "dbmig.conf(5) lacks dump-schema"
# the main usage's closing notes
grep -qF 'exit codes: 0 ok' "$T/dbmig.1.txt" || fail "dbmig(1) lacks the exit codes of dbmig --help"
for sec in '[vars]' '[lint]' '.env'; do
    grep -qF -- "$sec" "$T/dbmig.conf.5.txt" || fail "dbmig.conf(5) does not describe $sec"
done

# 4. installed where man finds them (the dbmig component)
if cmake --install "$DBMIG_BUILD_DIR" --component dbmig --prefix "$T/inst" >"$T/install" 2>&1; then
    # gzipped (Debian policy 12.1), and the same page
    for p in share/man/man1/dbmig.1 share/man/man5/dbmig.conf.5; do
        [ -f "$T/inst/$p.gz" ] && [ ! -e "$T/inst/$p" ] &&
            zcat "$T/inst/$p.gz" | cmp -s - "$DBMIG_SHARE/${p#share/}" ||
            fail "cmake --install did not put $p.gz (the page, gzipped)"
    done
    MANPATH=$T/inst/share/man man -w dbmig.conf >/dev/null 2>&1 ||
        fail "man -w dbmig.conf does not find the installed page"
else
    fail "cmake --install --component dbmig failed: $(tail -3 "$T/install")"
fi

if [ "$fails" -gt 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "man pages: ok ($(echo "$commands" | wc -l) commands, $(echo "$globals" | wc -l) options)"
