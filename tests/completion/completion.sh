#!/usr/bin/env bash
# Shell completion, as the generated scripts in build/share give it:
#   bash  the completion function driven as readline calls it (COMP_WORDS,
#         COMP_CWORD, COMPREPLY), `complete -p dbmig`, and bash-completion's
#         loader finding share/bash-completion/completions/dbmig;
#   zsh   the file autoloaded by compinit from fpath (#compdef), and _dbmig
#         run with compadd/_files stubbed to capture what it offers (no pty:
#         zsh's own matching and menu are not exercised);
#   fish  `complete -C` on the sourced script.
# Candidates: commands, a command's options, global options after the
# command, enumerated values (--format per command, --lock, --phase),
# drivers, revision ids, keywords and <label>@head from the migrations
# folder with --dir and dbmig.conf honoured, files for FILE values, and
# nothing (and no message) for a folder that does not load.
set -u
: "${DBMIG:?the dbmig binary}" "${DBMIG_SHARE:?build/share}" "${DBMIG_BUILD_DIR:?the build tree}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
BASH_SCRIPT=$DBMIG_SHARE/bash-completion/completions/dbmig
ZSH_SCRIPT=$DBMIG_SHARE/zsh/vendor-completions/_dbmig
FISH_SCRIPT=$DBMIG_SHARE/fish/vendor_completions.d/dbmig.fish
export PATH="$(dirname "$DBMIG"):$PATH" # the scripts run the `dbmig` typed

# ---- the sample project -------------------------------------------------------
rev() { # dir id parent [label]
    {
        echo "-- dbmig:revision $2"
        [ "$3" = - ] || echo "-- dbmig:parents $3"
        echo "-- dbmig:message rev $2"
        [ -z "${4:-}" ] || echo "-- dbmig:branch $4"
        printf -- '-- dbmig:up\nSELECT 1;\n-- dbmig:down\nSELECT 1;\n'
    } >"$1/$2_rev.sql"
}
P=$T/proj
mkdir -p "$P/migrations" "$P/other" "$P/conf/mig" "$P/broken"
rev "$P/migrations" 1001 -
rev "$P/migrations" 1002 1001
rev "$P/migrations" 1003 1001 feature
rev "$P/other" 2001 -
rev "$P/conf/mig" 3001 -
printf '[dbmig]\ndir = mig\n' >"$P/conf/dbmig.conf"
rev "$P/broken" 4001 nosuch
cd "$P" || exit 1

# ---- the scripts are what `dbmig completion SHELL` prints -------------------------
for s in bash:$BASH_SCRIPT zsh:$ZSH_SCRIPT fish:$FISH_SCRIPT; do
    "$DBMIG" completion "${s%%:*}" >"$T/script" || fail "dbmig completion ${s%%:*} failed"
    cmp -s "$T/script" "${s#*:}" || fail "${s#*:} is not what dbmig completion ${s%%:*} prints"
done
"$DBMIG" completion >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -q 'completion takes the shell: bash, zsh or fish' "$T/err" ||
    fail "dbmig completion without a shell: not exit 2 with the shells ($(cat "$T/err"))"
"$DBMIG" completion bsh >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -q "unknown shell 'bsh' (did you mean bash?)" "$T/err" ||
    fail "dbmig completion bsh: not exit 2 with a suggestion ($(cat "$T/err"))"
# a command's own option of a global option's name is offered once (lint
# --format listed --format twice)
n=$("$DBMIG" __complete lint --for | grep -c '^--format')
[ "$n" = 1 ] || fail "lint --for: --format offered $n times"
"$DBMIG" __complete lint --format= | grep -q '^--format=sarif' ||
    fail "lint --format=: sarif is not offered"
"$DBMIG" completion bash zsh >"$T/out" 2>"$T/err"
[ $? = 2 ] || fail "dbmig completion bash zsh: not refused"
"$DBMIG" completion --help | grep -q '^usage: dbmig completion bash|zsh|fish' ||
    fail "dbmig completion --help"
"$DBMIG" help | grep -q 'completion bash|zsh|fish' || fail "dbmig help does not list completion"

# ---- bash ------------------------------------------------------------------------
# b WORDS... : COMPREPLY, sorted, one line, for the command line WORDS with
# the cursor at the end of the last word (bash splits at = and :, as
# readline's COMP_WORDBREAKS does: write them as words of their own).
cat >"$T/b.sh" <<EOB
source "$BASH_SCRIPT"
b() {
    COMP_WORDS=("\$@"); COMP_CWORD=\$((\$# - 1)); COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}
    COMPREPLY=()
    _dbmig dbmig "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
    ((\${#COMPREPLY[@]})) && printf '%s\n' "\${COMPREPLY[@]}" | sort | tr '\n' ' '
}
EOB
b() { bash --norc --noprofile -c "source '$T/b.sh'; b \"\$@\"" b "$@" 2>&1; }
expect() { # what-it-is expected-words-regex got
    [[ $3 =~ $2 ]] || fail "$1: got '$3', expected /$2/"
}
expect_not() {
    [[ $3 =~ $2 ]] && fail "$1: got '$3', must not match /$2/"
}
expect "commands after 'dbmig up'" '^upgrade $' "$(b dbmig up)"
expect "commands after 'dbmig '" '(^| )drift .*history .*upgrade ' "$(b dbmig '')"
expect_not "hidden commands listed" '__' "$(b dbmig '')"
expect "upgrade's options" '^--allow-missing $' "$(b dbmig upgrade --al)"
expect "upgrade's options and the global ones" '--dir .*--resume .*--verify ' "$(b dbmig upgrade --)"
expect_not "revision's option offered to upgrade" '--parent' "$(b dbmig upgrade --)"
expect "a global option after the command" '^--lock-timeout $' "$(b dbmig status --lock-t)"
expect "a global option before the command" '^--dry-run $' "$(b dbmig --dry)"
expect "history --format" '^dot json mermaid text $' "$(b dbmig history --format '')"
expect "schema dump --format" '^json sql $' "$(b dbmig schema dump --format '')"
expect "global --format" '^json text $' "$(b dbmig status --format '')"
expect "history --format=j (COMP_WORDS split at =)" '^json $' "$(b dbmig history --format = j)"
expect "history --format= (the cursor after =)" '^dot json mermaid text $' "$(b dbmig history --format =)"
expect "--lock" '^lease session $' "$(b dbmig --lock '')"
expect "--phase" '^all post pre $' "$(b dbmig upgrade --phase '')"
expect "schema's subcommand" '^dump $' "$(b dbmig schema '')"
expect "completion's shells" '^bash fish zsh $' "$(b dbmig completion '')"
expect "help's commands" '^diff downgrade drift drivers $' "$(b dbmig help d)"
expect "--driver: the drivers found" '^mysql postgres sqlite $' "$(b dbmig --driver '')"
expect "upgrade TARGET" '^1001 1002 1003 base feature@head head heads $' "$(b dbmig upgrade '')"
expect "a label" '^feature@head $' "$(b dbmig upgrade fea)"
expect "stamp TARGET, by prefix" '^1001 1002 1003 $' "$(b dbmig stamp 100)"
expect "show REV: no keywords" '^1001 1002 1003 feature@head $' "$(b dbmig show '')"
expect "merge ID...: the second one too" '^1001 1002 1003 $' "$(b dbmig merge -m m 1002 '')"
expect "revision --parent ID" '^1001 1002 1003 $' "$(b dbmig revision -m x --parent '')"
expect "history -r A:B, the B side" '^feature@head $' "$(b dbmig history -r base : f)"
expect "fleet's command" '^upgrade $' "$(b dbmig fleet --targets t.txt upg)"
expect "fleet COMMAND's target" '^feature@head $' "$(b dbmig fleet --targets t.txt upgrade fea)"
expect "--dir honoured" '^2001 base head heads $' "$(b dbmig --dir other upgrade '')"
expect "--dir= honoured" '^2001 $' "$(b dbmig --dir = other downgrade 2)"
expect "--dir after the command" '^2001 $' "$(b dbmig upgrade --dir other 2)"
expect "DBMIG_DIR honoured" '^2001 $' "$(DBMIG_DIR=other b dbmig upgrade 2)"
expect "dbmig.conf's dir honoured" '^3001 $' "$(cd conf && b dbmig upgrade 3)"
expect "--config's dir honoured" '^3001 $' "$(b dbmig --config conf/dbmig.conf upgrade 3)"
expect "a broken folder: nothing, no message" '^$' "$(b dbmig --dir broken upgrade '')"
expect "a missing folder: nothing, no message" '^$' "$(b dbmig --dir nowhere upgrade '')"
expect "a missing --config: nothing, no message" '^$' "$(b dbmig --config nowhere.conf upgrade '')"
# (readline adds the / of a folder: compopt -o filenames)
expect "--config FILE: files" '^conf $' "$(b dbmig --config con)"
expect "--config FILE: files" '^conf/dbmig.conf conf/mig $' "$(b dbmig --config conf/)"
expect "--dir DIR: folders" '^migrations $' "$(b dbmig --dir mig)"
expect "after --: no options" '^$' "$(b dbmig upgrade -- --al)"

# complete -p, and bash-completion's loader finding the file where it is
# installed (XDG_DATA_DIRS/bash-completion/completions/dbmig)
out=$(bash --norc --noprofile -c "source '$BASH_SCRIPT'; complete -p dbmig" 2>&1)
[ "$out" = "complete -F _dbmig dbmig" ] || fail "complete -p dbmig: $out"
if [ -r /usr/share/bash-completion/bash_completion ]; then
    out=$(XDG_DATA_DIRS="$DBMIG_SHARE:/usr/share" BASH_COMPLETION_USER_DIR=$T/none bash --norc --noprofile -i -c \
        "source /usr/share/bash-completion/bash_completion; __load_completion dbmig; complete -p dbmig" 2>&1 | tail -1)
    [ "$out" = "complete -F _dbmig dbmig" ] || fail "bash-completion did not load the script: $out"
    out=$(bash --norc --noprofile -c "source /usr/share/bash-completion/bash_completion;
        source '$T/b.sh'; b dbmig --format = j" 2>&1)
    [ "$out" = "json " ] || fail "with bash-completion loaded, --format=j: '$out'"
else
    echo "note: bash-completion is not installed: its loader is not tested"
fi

# bash for real: an interactive bash on a pty, keys typed, TAB pressed, the
# line readline completed read back (readline's own word splitting at = and
# :, which the cases above imitate).
if command -v python3 >/dev/null; then
    cat >"$T/bash_on_pty.py" <<'EOP'
import os, pty, select, sys, time
script, cases = sys.argv[1], sys.argv[2:]
def read_until(fd, want, limit):
    out, end = "", time.time() + limit
    while time.time() < end and want not in out:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 4096).decode(errors="replace")
            except OSError:
                break
    return out
bad = 0
for case in cases: # a fresh bash for each: no state left by the one before
    typed, want = case.split("=>")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["PS1"] = "$ "
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    # READ''Y: the line typed echoes READ''Y, only its output is READY
    os.write(fd, ("bind 'set enable-bracketed-paste off'; source '%s'; echo READ''Y\n"
                  % script).encode())
    read_until(fd, "READY", 10.0)
    read_until(fd, "$ ", 2.0)
    os.write(fd, typed.encode() + b"\t")
    got = read_until(fd, want, 10.0)
    if want not in got:
        print("FAIL: bash on a pty: %r<TAB> gave %r, expected %r" % (typed, got[-80:], want))
        bad += 1
    os.write(fd, b"\x15exit\n") # ^U: the line erased
    read_until(fd, "\x00", 0.3)
    os.close(fd)
    os.waitpid(pid, 0)
sys.exit(1 if bad else 0)
EOP
    python3 "$T/bash_on_pty.py" "$BASH_SCRIPT" \
        'dbmig history --format=j=>history --format=json ' \
        'dbmig history -r base:fea=>-r base:feature@head ' \
        'dbmig upgr=>dbmig upgrade ' \
        'dbmig --dir oth=>dbmig --dir other/' ||
        fail "bash on a pty: readline did not complete as expected"
else
    echo "note: python3 is not installed: bash is not tested on a pty"
fi

# ---- zsh ---------------------------------------------------------------------------
if command -v zsh >/dev/null; then
    mkdir -p "$T/zfunc" && cp "$ZSH_SCRIPT" "$T/zfunc/_dbmig"
    # z WORDS...: what _dbmig offers (compadd's -a array, _files), sorted
    z() {
        zsh -f -c '
fpath=("$1" $fpath); shift
autoload -U compinit && compinit -u -D
[[ $_comps[dbmig] == _dbmig ]] || { print "compinit did not register _dbmig"; exit 1 }
autoload -Uz _dbmig
compadd() { while (( $# )); do case $1 in -a) print -rl -- ${(P)2}; shift 2;; -d) shift 2;; *) shift;; esac; done }
_files() { print -r -- "(files $*)" }
compset() { : }
words=("$@"); CURRENT=$#
_dbmig' z "$T/zfunc" "$@" 2>&1 | sort | tr '\n' ' '
    }
    expect "zsh: commands" '^upgrade $' "$(z dbmig up)"
    expect "zsh: history --format" '^dot json mermaid text $' "$(z dbmig history --format '')"
    expect "zsh: history --format=" '^--format=dot --format=json --format=mermaid --format=text $' \
        "$(z dbmig history --format=)"
    expect "zsh: a label" '^feature@head $' "$(z dbmig upgrade fea)"
    expect "zsh: --dir honoured" '^2001 $' "$(z dbmig --dir other upgrade 2)"
    expect "zsh: --config FILE" '^\(files \) $' "$(z dbmig --config c)"
    expect "zsh: a broken folder" '^$' "$(z dbmig --dir broken upgrade '')"
    out=$(zsh -f -c "autoload -U compinit && compinit -u -D; source '$ZSH_SCRIPT'; print \$_comps[dbmig]" 2>&1)
    [ "$out" = _dbmig ] || fail "zsh: sourcing _dbmig does not register it: $out"
else
    echo "note: zsh is not installed: its script is not tested"
fi

# ---- fish --------------------------------------------------------------------------
if command -v fish >/dev/null; then
    f() { fish --no-config -c "source '$FISH_SCRIPT'; complete -C '$*'" 2>&1 | cut -f1 | sort | tr '\n' ' '; }
    expect "fish: commands" '^upgrade $' "$(f dbmig up)"
    expect "fish: upgrade's options" '^--allow-missing $' "$(f dbmig upgrade --al)"
    expect "fish: history --format" '^dot json mermaid text $' "$(f dbmig history --format ' ')"
    expect "fish: a label" '^feature@head $' "$(f dbmig upgrade fea)"
    expect "fish: --dir honoured" '^2001 $' "$(f dbmig --dir other upgrade 2)"
    expect "fish: --config FILE" '^conf/ $' "$(f dbmig --config con)"
    expect "fish: --config=FILE" '^--config=conf/ $' "$(f dbmig --config=con)"
    expect "fish: a broken folder" '^$' "$(f dbmig --dir broken upgrade ' ')"
    fish --no-config -c "source '$FISH_SCRIPT'; complete -C 'dbmig upgrade fea'" | grep -q $'^feature@head\tthe head of the branch$' ||
        fail "fish: no description with a candidate"
else
    echo "note: fish is not installed: its script is not tested"
fi

# ---- installed where the shells look (the dbmig component) -------------------------
if cmake --install "$DBMIG_BUILD_DIR" --component dbmig --prefix "$T/inst" >"$T/install" 2>&1; then
    for p in bash-completion/completions/dbmig zsh/vendor-completions/_dbmig \
             fish/vendor_completions.d/dbmig.fish; do
        cmp -s "$T/inst/share/$p" "$DBMIG_SHARE/$p" || fail "cmake --install did not put share/$p"
    done
else
    fail "cmake --install --component dbmig failed: $(tail -3 "$T/install")"
fi

if [ "$fails" -gt 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "completion: ok"
