#!/usr/bin/env bash
# secrets.sh — passwords never leave dbmig: not through a child's command
# line (fleet), not through any message, summary or script, whatever the
# password holds (issue 13, items 21 and 22).
#
#   DBMIG=build/dbmig bash tests/hostile/secrets.sh
#
# Needs python3 (a TCP listener that accepts and never answers: a "slow"
# PostgreSQL target). No database server is needed: the refused connections
# go to port 1 or to that listener.
set -uo pipefail
: "${DBMIG:?DBMIG must name the dbmig binary}"
DBMIG=$(cd "$(dirname "$DBMIG")" && pwd)/$(basename "$DBMIG")
unset DBMIG_URL DATABASE_URL DBMIG_DIR DBMIG_TABLE DBMIG_DRIVER DBMIG_CONFIG DBMIG_ENV \
      DBMIG_LOCK_TIMEOUT DBMIG_PLUGIN_PATH DBMIG_FORMAT
export NO_COLOR=1
W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-secrets.XXXXXX")
LPID=
cleanup() { [ -n "$LPID" ] && kill "$LPID" 2> /dev/null; rm -rf "$W"; }
trap cleanup EXIT
cd "$W" || exit 2
failures=0 checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

mkdir m
printf -- '-- dbmig:up\nCREATE TABLE t1 (id INTEGER PRIMARY KEY);\n-- dbmig:down\nDROP TABLE t1;\n' > m/001_one.sql

# A listener that accepts connections and never answers, for 30 s.
cat > slow.py << 'PY'
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []; s.settimeout(0.2); end = time.time() + float(sys.argv[1])
while time.time() < end:
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
PY

# ---- 21. fleet: no password on a child's command line --------------------
python3 slow.py 30 > port &
LPID=$!
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
PORT=$(cat port)
FLEETPW='Fl33t/Pw#x?y'
FLEETPW_ENC='Fl33t%2FPw%23x%3Fy'
echo "postgres://fleetuser:$FLEETPW_ENC@127.0.0.1:$PORT/db?connect_timeout=6" > targets
"$DBMIG" --dir m fleet --targets targets status > fleet.out 2> fleet.err &
FPID=$!
found=0
for _ in $(seq 100); do
    for child in $(pgrep -P "$FPID"); do
        [ -r "/proc/$child/cmdline" ] || continue
        cmd=$(tr '\0' ' ' < "/proc/$child/cmdline")
        case $cmd in *" status"*) ;; *) continue ;; esac
        found=1
        if grep -qF -e "$FLEETPW" -e "$FLEETPW_ENC" -e 'Fl33t' "/proc/$child/cmdline"; then
            fail "fleet: the password is on the child's command line: $cmd"
        fi
    done
    ((found)) && break
    sleep 0.1
done
wait "$FPID"
((found)) && ok || fail "fleet: never saw the child process (the check did not run)"
if grep -qF -e "Fl33t" fleet.out fleet.err; then fail "fleet: the password is in its output"; else ok; fi
grep -q 'fleetuser:\*\*\*@127.0.0.1' fleet.out && ok || fail "fleet: the summary does not show the redacted URL: $(cat fleet.out)"
kill "$LPID" 2> /dev/null; wait "$LPID" 2> /dev/null; LPID=

# ---- 22. hostile passwords through every output path ----------------------
# Each password is written into the URL as is (unencoded) and, where it holds
# special characters, also percent-encoded. Passwords made of a marker (Zq..Wx)
# are grepped for directly, and for their pieces (a leak of half a password
# is a leak); the others equal a part of the URL (the scheme, user, host,
# port) or are tiny, and there the check is that the URL is shown with
# exactly its password masked: scheme, user, host and port intact.
marked=('Zq/Wx' 'Zq#Wx' 'Zq?Wx' 'Zq@Wx' 'Zq:Wx' 'Zq%40Wx' 'Zq%2FWx%3F' 'Zq@Wx/Vy?Uv#Ts' 'Zq@Wx/Vy' 'Zq?Uv/Wx' 'Zq%zzWx')
plain=('postgres' 'mysql' 'alice' '127.0.0.1' '1' 'x' '' 'appdb' '***')
# check_out WHAT SCHEME PW: the last run's stdout+stderr ($W/o, $W/e)
check_out() {
    local what=$1 scheme=$2 pw=$3
    local want="$scheme://alice:***@127.0.0.1:1/appdb"
    if ! grep -qF -- "$want" o e; then
        fail "$what [$pw]: the URL is not shown as $want: $(head -c 400 e)"
    else ok; fi
    if grep -qF -e '***://' -e '//***' -e '***@***' -e 'alice:***@***' o e; then
        fail "$what [$pw]: something else than the password was masked: $(head -c 400 e)"
    fi
    case $pw in
    Zq*) if grep -q -e 'Zq' -e 'Wx' -e 'Vy' -e 'Uv' -e 'Ts' o e; then
             fail "$what [$pw]: (a piece of) the password is in the output: $(grep -h -m2 -e Zq -e Wx -e Vy -e Ts o e)"
         else ok; fi ;;
    esac
}
for scheme in postgres mysql; do
    for pw in "${marked[@]}" "${plain[@]}"; do
        url="$scheme://alice:$pw@127.0.0.1:1/appdb"
        "$DBMIG" --url "$url" --dir m status > o 2> e; rc=$?
        ((rc == 1 || rc == 2)) && ok || fail "$scheme status [$pw]: exit $rc, want 1 or 2: $(cat e)"
        check_out "$scheme status" "$scheme" "$pw"
        "$DBMIG" --url "$url" --dir m --format json status > o 2> e
        check_out "$scheme status --format json" "$scheme" "$pw"
        DATABASE_URL=$url "$DBMIG" --dir m -v upgrade > o 2> e
        check_out "$scheme upgrade (DATABASE_URL)" "$scheme" "$pw"
        echo "$url" > targets
        "$DBMIG" --dir m fleet --targets targets status > o 2> e
        check_out "$scheme fleet summary" "$scheme" "$pw"
        "$DBMIG" --dir m --format json fleet --targets targets status > o 2> e
        check_out "$scheme fleet JSON summary" "$scheme" "$pw"
        "$DBMIG" --url "$url" --dir m --sql upgrade > o 2> e
        case $pw in Zq*) ! grep -q -e Zq -e Wx o e && ok || fail "$scheme --sql [$pw]: the password is in the script" ;; esac
    done
done

echo "secrets: $checks checks passed, $failures failed"
((failures == 0))
