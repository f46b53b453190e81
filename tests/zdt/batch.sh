#!/usr/bin/env bash
# tests/zdt/batch.sh — -- dbmig:batch statements (SPEC section 14, issue 17)
# on every target, both forms:
#  - the keyset form (by id size 100, ids with gaps) and the plain form (a
#    LIMITed UPDATE run until it changes no row) give the same rows as the
#    single statement run on a twin table;
#  - kill -9 in the middle of a backfill, then a plain `upgrade` (keyset;
#    it resumes by itself, saying so) or `upgrade --resume` (plain form)
#    finishes it: every row was changed exactly once (runs = 1: no committed
#    batch was redone, no row missed);
#  - progress: the final line of a batch statement in a log (and on SQLite
#    a line every 5 s), the totals in --format json;
#  - a failing batch names its range, leaves the revision dirty (status
#    says where), and --resume finishes it once the statement is fixed;
#  - SIGINT between two batches stops there (exit 130, dirty), and the
#    next upgrade finishes it.
set -u
fails=0
fail() { echo "FAIL batch.$TARGET $*"; fails=$((fails + 1)); }
DBNAME=${URL##*/}
mysql_root() { mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot -N -B "$@"; }
pg() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
sql() {
    case $TARGET in
        sqlite) sqlite3 -cmd ".timeout 5000" "${URL#sqlite:}" "$1" ;;
        postgres) pg -d "$URL" -c "$1" ;;
        mysql) mysql_root "$DBNAME" -e "$1" ;;
    esac
}
D=("$DBMIG" --url "$URL" --dir m)

# 1500 rows, ids 2, 4, .., 3000 (gaps: a keyset batch may hold fewer rows)
case $TARGET in
    sqlite) gen="WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1500) SELECT 2 * i FROM g" ;;
    postgres) gen="SELECT 2 * i FROM generate_series(1, 1500) AS g(i)" ;;
    mysql) gen="SELECT 2 * seq FROM seq_1_to_1500" ;;
esac
mkdir -p m
cat > m/001_t.sql <<SQL
CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER, runs INTEGER NOT NULL DEFAULT 0,
                runs2 INTEGER NOT NULL DEFAULT 0);
CREATE TABLE t2 (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER);
INSERT INTO t (id) $gen;
INSERT INTO t2 (id) $gen;
SQL
cat > m/002_keyset.sql <<'SQL'
-- dbmig:up
CREATE TABLE side (id INTEGER PRIMARY KEY);
-- dbmig:batch by id size 100
UPDATE t SET v = id * 3 + 1, runs = runs + 1 WHERE id >= :lo AND id < :hi;
INSERT INTO side (id) VALUES (1);
SQL

# progress_hash of revision $1
phash() { sql "SELECT progress_hash FROM dbmig_version WHERE revision = '$1'"; }
# run_and_kill WHEN ARGS...: runs dbmig ARGS in the background, kills it
# with -9 once its row's progress_hash says WHEN batches (b1:..:..:N:..)
# are committed
run_and_kill() {
    local want=$1
    shift
    "${D[@]}" "$@" > kill.out 2>&1 &
    local pid=$! i h n
    for i in $(seq 1 300); do
        h=$(phash "$REV" 2>/dev/null)
        n=$(printf '%s' "$h" | awk -F: '/^b1:/ { print $4 }')
        if [ -n "$n" ] && [ "$n" -ge "$want" ]; then
            kill -9 "$pid"
            wait "$pid" 2>/dev/null
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    wait "$pid" 2>/dev/null
    fail "$REV: never saw $want batches committed before the run ended: $(cat kill.out)"
    return 1
}

# ---- keyset form: kill -9, then a plain upgrade resumes it -------------------
"${D[@]}" upgrade 001 >/dev/null 2>&1 || fail "001 does not apply"
REV=002
run_and_kill 3 --batch-pause 100ms upgrade
h=$(phash 002)
done_rows=$(printf '%s' "$h" | awk -F: '{ print $5 }')
[ "$(sql "SELECT count(*) FROM t WHERE runs = 1")" = "$done_rows" ] ||
    fail "after kill -9 the committed batches' rows ($done_rows, from $h) are not the rows changed: $(sql "SELECT count(*) FROM t WHERE runs = 1")"
[ "$(sql "SELECT dirty FROM dbmig_version WHERE revision = '002'" | tr 'tf' '10')" = 1 ] ||
    fail "002 is not dirty after kill -9"
st=$("${D[@]}" status 2>&1)
printf '%s' "$st" | grep -q "dirty: in batch statement 2, lo=[0-9]*, [0-9]* batch" ||
    fail "status does not say where 002 stands: $st"
out=$("${D[@]}" upgrade 2>&1) || fail "the resuming upgrade failed: $out"
printf '%s' "$out" | grep -q "dirty inside its batch statement 2" || fail "no notice that 002 is resumed: $out"
printf '%s' "$out" | grep -q "002 statement 2: [0-9]* batches, [0-9]* rows" || fail "no final progress line: $out"
[ "$(sql "SELECT count(*) FROM t WHERE runs = 1")" = 1500 ] ||
    fail "keyset: not every row changed exactly once: $(sql "SELECT runs, count(*) FROM t GROUP BY runs")"
[ "$(sql "SELECT count(*) FROM side")" = 1 ] || fail "002's statement after the batch one did not run once"
sql "UPDATE t2 SET v = id * 3 + 1" >/dev/null
[ "$(sql "SELECT id, v FROM t ORDER BY id" | md5sum)" = "$(sql "SELECT id, v FROM t2 ORDER BY id" | md5sum)" ] ||
    fail "keyset: the rows differ from the single UPDATE's"
[ "$(sql "SELECT count(*) FROM dbmig_version WHERE dirty = 0 OR dirty = FALSE" 2>/dev/null || sql "SELECT count(*) FROM dbmig_version WHERE NOT dirty")" = 2 ] ||
    fail "002 is not clean after the resume"

# ---- plain form: kill -9, then upgrade --resume ---------------------------
case $TARGET in
    mysql) plain="UPDATE t SET w = id, runs2 = runs2 + 1 WHERE w IS NULL ORDER BY id LIMIT 100;" ;;
    *) plain="UPDATE t SET w = id, runs2 = runs2 + 1 WHERE id IN (SELECT id FROM t WHERE w IS NULL ORDER BY id LIMIT 100);" ;;
esac
printf -- '-- dbmig:up\n-- dbmig:batch\n%s\n' "$plain" > m/003_plain.sql
REV=003
run_and_kill 4 --batch-pause 100ms upgrade
h=$(phash 003)
done_rows=$(printf '%s' "$h" | awk -F: '{ print $5 }')
[ "$(sql "SELECT count(*) FROM t WHERE runs2 = 1")" = "$done_rows" ] ||
    fail "plain: after kill -9 the committed batches' rows ($done_rows) are not the rows changed"
out=$("${D[@]}" --format json upgrade --resume 2>err.txt) || fail "upgrade --resume failed: $out $(cat err.txt)"
printf '%s' "$out" | tr -d ' \n' | grep -q '"revision":"003",[^}]*"batch":{"batches":[0-9]*,"rows":[0-9]*}' ||
    fail "no batch totals in the JSON result: $out"
[ "$(sql "SELECT count(*) FROM t WHERE runs2 = 1 AND w = id")" = 1500 ] ||
    fail "plain: not every row changed exactly once: $(sql "SELECT runs2, count(*) FROM t GROUP BY runs2")"
sql "UPDATE t2 SET w = id" >/dev/null
[ "$(sql "SELECT id, v, w FROM t ORDER BY id" | md5sum)" = "$(sql "SELECT id, v, w FROM t2 ORDER BY id" | md5sum)" ] ||
    fail "plain: the rows differ from the single UPDATE's"

# ---- a failing batch names its range; fixed, --resume finishes it -----------
cat > m/004_fail.sql <<'SQL'
-- dbmig:up
CREATE TABLE f (id INTEGER PRIMARY KEY, u INTEGER UNIQUE);
INSERT INTO f (id, u) VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9),
  (10, 10), (11, 11), (12, 12), (13, 13), (14, 14), (15, 15), (16, 16), (17, 17), (18, 18);
-- dbmig:batch by id size 4
UPDATE f SET u = CASE WHEN id = 14 THEN 18 ELSE u + 100 END WHERE id >= :lo AND id < :hi;
SQL
out=$("${D[@]}" upgrade 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "a failing batch exited $rc, not 1: $out"
printf '%s' "$out" | grep -q "004_fail.sql:6: batch 4 (id 13..16) of statement 3 of 3 of revision 004 failed" ||
    fail "the failure does not name the batch and its range: $out"
printf '%s' "$out" | grep -q "3 batch(es) of statement 3 are committed" || fail "the failure does not say what is committed: $out"
[ "$(sql "SELECT count(*) FROM f WHERE u > 100")" = 12 ] || fail "the batches before the failing one are not committed"
st=$("${D[@]}" status 2>&1)
printf '%s' "$st" | grep -q "dirty: in batch statement 3, lo=13, 3 batches, 12 rows" || fail "status after the failure: $st"
st=$("${D[@]}" --format json status 2>&1)
printf '%s' "$st" | tr -d ' \n' | grep -q '"batch_position":{"statement":3,"batches":3,"rows":12,"next_lo":13}' ||
    fail "status --format json does not give the batch position as numbers: $st"
printf '%s' "$st" | tr -d ' \n' | grep -q '"revision":"003",[^}]*"batch_position":null' ||
    fail "status --format json: a clean revision's batch_position is not null: $st"
sed -i 's/THEN 18 ELSE/THEN 150 ELSE/' m/004_fail.sql
out=$("${D[@]}" upgrade --resume 2>&1) || fail "--resume after the fix failed: $out"
[ "$(sql "SELECT count(*) FROM f WHERE u > 100")" = 18 ] || fail "--resume: not every row of f is done: $(sql "SELECT id, u FROM f")"
[ "$(sql "SELECT count(*) FROM f WHERE u > 200")" = 0 ] || fail "--resume redid committed batches"
"${D[@]}" check >/dev/null 2>&1 || fail "check fails after the resume: $("${D[@]}" check 2>&1)"

# ---- SIGINT between two batches: a statement boundary, resumed ---------------
printf -- '-- dbmig:up\n-- dbmig:batch by id size 100\nUPDATE t SET runs = runs + 1 WHERE id >= :lo AND id < :hi;\n' > m/005_again.sql
"${D[@]}" --batch-pause 200ms upgrade > int.out 2>&1 &
pid=$!
for i in $(seq 1 200); do
    n=$(phash 005 2>/dev/null | awk -F: '/^b1:/ { print $4 }')
    [ -n "$n" ] && [ "$n" -ge 2 ] && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || fail "SIGINT between batches exited $rc, not 130: $(cat int.out)"
grep -q "stopped inside its batch statement 1 (a batch boundary)" int.out || fail "the stop does not say where: $(cat int.out)"
# every line says the same place: between two batches, not two statements
grep -q "STOPPED 005 again: stopped between two batches of its -- dbmig:batch statement" int.out ||
    fail "the STOPPED line does not say between two batches: $(cat int.out)"
grep -q "interrupted: stopped inside statement 1 of 1 of revision 005, between two of its batches" int.out ||
    fail "the error's first line does not say inside the batch statement: $(cat int.out)"
grep -q "between two statements\|stopped before statement" int.out &&
    fail "a stop between two batches is called a statement boundary: $(cat int.out)"
n=$(sql "SELECT count(*) FROM t WHERE runs = 2")
[ "$n" -gt 0 ] && [ "$n" -lt 1500 ] || fail "SIGINT: $n rows changed, not some of them"
out=$("${D[@]}" upgrade 2>&1) || fail "the upgrade after SIGINT failed: $out"
[ "$(sql "SELECT count(*) FROM t WHERE runs = 2")" = 1500 ] ||
    fail "SIGINT then upgrade: not every row changed exactly once: $(sql "SELECT runs, count(*) FROM t GROUP BY runs")"

# ---- a log line every 5 s (SQLite only: it takes 6 s) ----------------------
if [ "$TARGET" = sqlite ]; then
    printf -- '-- dbmig:up\n-- dbmig:batch by id size 250\nUPDATE t SET v = v + 1 WHERE id >= :lo AND id < :hi;\n' > m/006_slow.sql
    out=$("${D[@]}" --batch-pause 500ms upgrade 2>&1) || fail "006 failed: $out"
    printf '%s' "$out" | grep -q "006 statement 1: batch [0-9]*: [0-9]* rows, [0-9]* rows/s, [0-9]*%, ETA [0-9]* s" ||
        fail "no periodic progress line in the log: $out"
fi

# ---- --batch-time adapts the keyset size; a plain statement is told it does not
# 3000 ids in steps of 10 are 300 batches; each far under 10 s, the size
# doubles each time: 9 batches
printf -- '-- dbmig:up\n-- dbmig:batch by id size 10\nUPDATE t SET v = 0 WHERE id >= :lo AND id < :hi;\n' > m/009_adapt.sql
printf -- '-- dbmig:up\n-- dbmig:batch\n%s\n' "$(printf '%s' "$plain" | sed 's/w = id/w = NULL/; s/w IS NULL/w IS NOT NULL/')" > m/010_plain_time.sql
out=$("${D[@]}" --format json --batch-time 10s upgrade 2>err.txt) || fail "--batch-time upgrade failed: $out $(cat err.txt)"
nb=$(printf '%s' "$out" | tr -d ' \n' | sed -n 's/.*"revision":"009",[^}]*"batch":{"batches":\([0-9]*\),.*/\1/p')
[ -n "$nb" ] && [ "$nb" -le 20 ] || fail "--batch-time did not grow the batches (009: ${nb:-no} batches, 300 without it): $out"
[ "$(sql "SELECT count(*) FROM t WHERE v = 0")" = 1500 ] || fail "--batch-time: not every row of t changed"
grep -q "010_plain_time.sql:3: --batch-time does not apply to a plain -- dbmig:batch statement" err.txt ||
    fail "no notice that --batch-time does not apply to a plain statement: $(cat err.txt)"
[ "$(sql "SELECT count(*) FROM t WHERE w IS NULL")" = 1500 ] || fail "--batch-time: the plain statement did not finish"

# ---- a batch commits with its progress write or not at all (SQLite) --------
# A trigger fails the version table's write of batch 3's progress: batch 3's
# rows must be rolled back with it (else the resume would change them twice).
if [ "$TARGET" = sqlite ]; then
    printf -- '-- dbmig:up\nCREATE TABLE a (id INTEGER PRIMARY KEY, runs INTEGER NOT NULL DEFAULT 0);\nWITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50) INSERT INTO a (id) SELECT i FROM g;\n' > m/011_a.sql
    "${D[@]}" upgrade >/dev/null 2>&1 || fail "011 does not apply"
    printf -- '-- dbmig:up\n-- dbmig:batch by id size 10\nUPDATE a SET runs = runs + 1 WHERE id >= :lo AND id < :hi;\n' > m/012_atomic.sql
    sql "CREATE TRIGGER fault BEFORE UPDATE ON dbmig_version WHEN NEW.progress_hash LIKE 'b1:%:%:3:%'
         BEGIN SELECT RAISE(ABORT, 'fault injected'); END" >/dev/null
    out=$("${D[@]}" upgrade 2>&1) && fail "a failing progress write did not fail the run: $out"
    printf '%s' "$out" | grep -q "fault injected" || fail "the progress write's error is not shown: $out"
    [ "$(sql "SELECT group_concat(runs, '') FROM (SELECT runs FROM a ORDER BY id)")" = \
      "$(printf '1%.0s' $(seq 20))$(printf '0%.0s' $(seq 30))" ] ||
        fail "batch 3 was not rolled back with its progress write: $(sql "SELECT runs, count(*) FROM a GROUP BY runs")"
    printf '%s' "$(phash 012)" | grep -q ':21:2:20$' || fail "012's progress is not batch 2's: $(phash 012)"
    sql "DROP TRIGGER fault" >/dev/null
    out=$("${D[@]}" upgrade 2>&1) || fail "the upgrade after the fault failed: $out"
    [ "$(sql "SELECT count(*) FROM a WHERE runs = 1")" = 50 ] ||
        fail "after the fault, not every row changed exactly once: $(sql "SELECT runs, count(*) FROM a GROUP BY runs")"
fi

# ---- an empty table: the JSON result still gives the totals (0 and 0) --------
printf -- '-- dbmig:up\nCREATE TABLE e (id INTEGER PRIMARY KEY, v INTEGER);\n-- dbmig:batch by id size 10\nUPDATE e SET v = 1 WHERE id >= :lo AND id < :hi;\n' > m/013_empty.sql
printf -- '-- dbmig:up\n-- dbmig:batch\nDELETE FROM e WHERE id IN (SELECT id FROM (SELECT id FROM e LIMIT 10) AS x);\n' > m/014_empty_plain.sql
out=$("${D[@]}" --format json upgrade 2>err.txt) || fail "batches over an empty table failed: $out $(cat err.txt)"
for r in 013 014; do
    printf '%s' "$out" | tr -d ' \n' | grep -q "\"revision\":\"$r\",[^}]*\"batch\":{\"batches\":0,\"rows\":0}" ||
        fail "$r over an empty table: no batch totals in the JSON result: $out"
done
exit $((fails > 0))
