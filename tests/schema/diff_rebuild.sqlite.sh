#!/usr/bin/env bash
# tests/schema/diff_rebuild.sqlite.sh — `dbmig diff` on SQLite where ALTER
# TABLE cannot make the change: the table rebuild of
# core/schema_diff_sqlite.c, through the whole product path (diff writes
# the revision, upgrade runs it on a database with rows, downgrade reverts
# it). run.sh runs a NAME.sqlite.sh script on SQLite alone.
#   - users (AUTOINCREMENT, a deleted highest id) and posts (a key to
#     users, an index, a trigger, a view over both) change in ways only a
#     rebuild makes: refused without --allow-destructive (a column goes),
#     written with it, marked, applied: rows kept, ids go on after the
#     deleted one, the trigger fires, posts' key still points at users,
#     the database dumps as the desired schema; downgraded: dumps as
#     before, rows kept;
#   - a key added that the rows break: upgrade fails naming the table
#     and how to list the rows, and the database is as before (one
#     transaction); once the row is fixed, the same revision goes through.
set -u
: "${DBMIG:?}" "${URL:?}" "${TARGET:?}" "${DBMIG_PLUGIN_DIR:?}"
[ "$TARGET" = sqlite ] || exit 0
W=$(mktemp -d "${TMPDIR:-/tmp}/diffrb.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
NFAIL=0
fail() { echo "FAIL $1 $2"; NFAIL=$((NFAIL + 1)); }
DB=${URL#sqlite:}
M=$W/migrations
mkdir -p "$M" "$W/tmp"
sql() { sqlite3 "$DB" "$1"; }
run() { (cd "$W" && TMPDIR=$W/tmp "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" --url "$URL" --dir "$M" "$@") > "$W/out" 2> "$W/err"; RC=$?; }
errtext() { head -c 700 "$W/err" | tr '\n' '|'; }
# expect CASE WANT_RC [TEXT...]: exit code, and each TEXT in stdout or stderr
expect() {
    local case=$1 want=$2 t
    shift 2
    [ "$RC" = "$want" ] || fail "$case" "exit $RC, expected $want: $(errtext) $(head -c 300 "$W/out" | tr '\n' '|')"
    for t in "$@"; do
        grep -qF -- "$t" "$W/out" "$W/err" || fail "$case" "no '$t' in: $(head -c 400 "$W/out" | tr '\n' '|') | $(errtext)"
    done
}
# same CASE GOT WANT
same() { [ "$2" = "$3" ] || fail "$1" "got '$(printf '%s' "$2" | tr '\n' '|')', expected '$(printf '%s' "$3" | tr '\n' '|')'"; }

cat > "$M/001_start.sql" <<'SQL'
-- dbmig:message start
-- dbmig:up
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, name TEXT,
  score REAL DEFAULT 0);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id)
  ON DELETE CASCADE, title TEXT NOT NULL);
CREATE INDEX posts_user ON posts (user_id);
CREATE TABLE audit (msg TEXT);
CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN INSERT INTO audit VALUES ('post ' || new.title); END;
CREATE VIEW user_posts AS SELECT u.email, p.title FROM users u JOIN posts p ON p.user_id = u.id;
INSERT INTO users (email, name, score) VALUES ('a@x', 'A', 1.5), ('b@x', 'B', 2), ('c@x', 'C', 3);
DELETE FROM users WHERE id = 3;
INSERT INTO posts (user_id, title) VALUES (1, 'one'), (2, 'two');
-- dbmig:down
DROP VIEW user_posts;
DROP TABLE audit;
DROP TABLE posts;
DROP TABLE users;
SQL
run -q upgrade head
expect setup 0
run schema dump -o "$W/before.sql"
expect setup_dump 0

# users: name goes, a NOT NULL column with a default and a CHECK comes,
# email gets a collation; posts: title's type changes, a column comes.
cat > "$W/want.sql" <<'SQL'
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL COLLATE NOCASE,
  score REAL DEFAULT 0, active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)));
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id)
  ON DELETE CASCADE, title VARCHAR(200) NOT NULL, tags TEXT DEFAULT (''));
CREATE INDEX posts_user ON posts (user_id);
CREATE TABLE audit (msg TEXT);
CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN INSERT INTO audit VALUES ('post ' || new.title); END;
CREATE VIEW user_posts AS SELECT u.email, p.title FROM users u JOIN posts p ON p.user_id = u.id;
SQL
run diff --to want.sql -m rebuild
expect refused_without_flag 3 "--allow-destructive"
[ -z "$(find "$M" -name '*rebuild*')" ] || fail refused_without_flag "a file was written"
run diff --to want.sql -m rebuild --allow-destructive
expect written 0
F=$(find "$M" -name '*rebuild.sql' | head -1)
if [ -z "$F" ]; then
    fail written "no *rebuild.sql in $(ls "$M")"
    echo "$NFAIL failure(s)"
    exit 1
fi
grep -q '^CREATE TABLE "_dbmig_new_users"' "$F" || fail written "no rebuild of users in $F"
grep -q '^-- dbmig:destructive table users: column name dropped with its data$' "$F" ||
    fail written "no destructive marker for users.name: $(grep -n destructive "$F" | tr '\n' '|')"
grep -q "pragma_foreign_key_check('posts', 'main')" "$F" || fail written "no foreign-key check of posts"

run -q upgrade head
expect applied 0
same applied_rows "$(sql 'SELECT id, email, score, active FROM users ORDER BY id')" "1|a@x|1.5|1
2|b@x|2.0|1"
sql "INSERT INTO users (email) VALUES ('d@x')"
same ids_go_on "$(sql "SELECT id FROM users WHERE email = 'd@x'")" "4"
same posts_kept "$(sql 'SELECT id, user_id, title, tags FROM posts ORDER BY id')" "1|1|one|
2|2|two|"
sql "INSERT INTO posts (user_id, title) VALUES (4, 'three')"
same trigger_back "$(sql "SELECT msg FROM audit WHERE msg = 'post three'")" "post three"
same key_points_at_users "$(sql "SELECT \"table\", \"to\", on_delete FROM pragma_foreign_key_list('posts')")" "users|id|CASCADE"
same view_back "$(sql 'SELECT count(*) FROM user_posts')" "3"
same nocase "$(sql "SELECT count(*) FROM users WHERE email = 'A@X'")" "1"
same no_leftovers "$(sql "SELECT count(*) FROM sqlite_master WHERE name LIKE '\\_dbmig%' ESCAPE '\\'")" "0"
run diff --to want.sql --from-db
expect applied_equals_want 0 "no changes"

sql "DELETE FROM posts WHERE id = 3; DELETE FROM audit WHERE msg = 'post three'; DELETE FROM users WHERE id = 4"
run -q downgrade -1
expect reverted 0
run schema dump -o "$W/after_down.sql"
cmp -s "$W/before.sql" "$W/after_down.sql" ||
    fail reverted "dumps differently: $(diff "$W/before.sql" "$W/after_down.sql" | head -6 | tr '\n' '|')"
same reverted_rows "$(sql 'SELECT id, email, name, score FROM users ORDER BY id')" "1|a@x||1.5
2|b@x||2.0"
rm -f "$F"

# ---- a key added that the rows break -------------------------------------------
# tags.post_id gets a key to posts; tag 2 names post 99, which is not
# there. (posts' orphan row breaks a key the change does not touch: that
# one is not what fails.)
sql "INSERT INTO posts (id, user_id, title) VALUES (9, 77, 'orphan')"
cat > "$M/002_tags.sql" <<'SQL'
-- dbmig:message tags
-- dbmig:up
CREATE TABLE tags (id INTEGER PRIMARY KEY, post_id INTEGER);
-- dbmig:down
DROP TABLE tags;
SQL
run -q upgrade head
expect key_setup 0
sql "INSERT INTO tags VALUES (1, 1), (2, 99)"
run schema dump -o "$W/with_tags.sql"
sed 's/"post_id" INTEGER$/"post_id" INTEGER REFERENCES "posts" ("id")/; s/"post_id" INTEGER,$/"post_id" INTEGER REFERENCES "posts" ("id"),/' \
    "$W/with_tags.sql" > "$W/key.sql"
grep -q 'REFERENCES "posts" ("id")' "$W/key.sql" || fail key_setup "tags reads differently in the dump: $(grep -A3 tags "$W/with_tags.sql" | tr '\n' '|')"
run diff --to key.sql -m key
expect key_written 0
run -q upgrade head
expect key_violation 1 "foreign key check after rebuilding table tags: rows of table tags point at no parent row" \
    "pragma_foreign_key_check('tags')"
run schema dump -o "$W/after_fail.sql"
cmp -s "$W/with_tags.sql" "$W/after_fail.sql" || fail key_rolled_back "the failed upgrade left changes: $(diff "$W/with_tags.sql" "$W/after_fail.sql" | head -4 | tr '\n' '|')"
same key_rows_kept "$(sql 'SELECT * FROM tags ORDER BY id')" "1|1
2|99"
# the row fixed, the same revision goes through
sql "UPDATE tags SET post_id = 2 WHERE id = 2"
run -q upgrade head
expect key_fixed 0
same key_applied "$(sql "SELECT \"table\" FROM pragma_foreign_key_list('tags')")" "posts"

[ "$NFAIL" = 0 ] || { echo "$NFAIL failure(s)"; exit 1; }
exit 0
