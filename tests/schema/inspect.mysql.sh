#!/usr/bin/env bash
# inspect.mysql.sh — what the MySQL/MariaDB driver's inspect() reports, seen
# through the CLI: a schema with every kind of object MariaDB has, made by
# `dbmig upgrade` (so the splitter's trigger and routine bodies are part of
# it), dumped with `dbmig schema dump --format json` and compared with the
# JSON pinned below; then its SQL dump, loaded into an empty database as a
# migration (dbmig's splitter: bodies holding `;`), must inspect to the same
# JSON (the round trip); last, a routine whose body the server hides from
# the user makes the dump fail with the privilege to grant.
#
# Run by tests/schema/run.sh for TARGET mysql, with DBMIG, DBMIG_PLUGIN_DIR,
# URL (a fresh empty MariaDB database) and DBMIG_TEST_MYSQL_SOCKET (root
# makes the second database and the hidden routine) in the environment.
# Prints `FAIL <case> <why>` lines; exits 0 when every case passed.
set -u
: "${DBMIG:?}" "${URL:?}" "${DBMIG_PLUGIN_DIR:?}" "${DBMIG_TEST_MYSQL_SOCKET:?}"
W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-inspect-mysql.XXXXXX")
trap 'rm -rf "$W"' EXIT
failed=0
fail() { echo "FAIL $1 $2"; failed=1; }
dbmig() { "$DBMIG" --plugin-dir "$DBMIG_PLUGIN_DIR" "$@"; }

mkdir -p "$W/m" "$W/rt"
cat > "$W/m/001_schema.sql" <<'EOF'
-- dbmig:up
CREATE TABLE parent (
  a INT NOT NULL,
  b VARCHAR(20) NOT NULL,
  label VARCHAR(50) COLLATE utf8mb4_bin DEFAULT 'it''s',
  js VARCHAR(100) CHECK (json_valid(js)),
  PRIMARY KEY (a, b),
  CONSTRAINT parent_label_uq UNIQUE (label)
);
CREATE TABLE child (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  pa INT,
  pb VARCHAR(20),
  qty INT NOT NULL DEFAULT 0,
  price DECIMAL(10,2) DEFAULT NULL CHECK (price > 0),
  total DECIMAL(12,2) AS (qty * price) VIRTUAL,
  stotal DECIMAL(12,2) AS (qty * price) PERSISTENT,
  note TEXT,
  created DATETIME DEFAULT CURRENT_TIMESTAMP,
  doc JSON,
  CONSTRAINT child_parent_fk FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE CASCADE,
  CONSTRAINT qty_positive CHECK (qty >= 0)
);
CREATE INDEX child_note_prefix ON child (note(10), qty);
CREATE FULLTEXT INDEX child_note_ft ON child (note);
CREATE UNIQUE INDEX child_note_hash ON child (note, qty) USING HASH;
CREATE TABLE fk2 (x BIGINT, FOREIGN KEY (x) REFERENCES child (id));
CREATE VIEW child_v AS SELECT id, qty FROM child WHERE qty > 0;
CREATE TRIGGER child_bi BEFORE INSERT ON child FOR EACH ROW
BEGIN
  IF NEW.qty < 0 THEN
    SET NEW.qty = 0;
  END IF;
END;
CREATE FUNCTION add1(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
CREATE PROCEDURE p1(IN x INT, OUT y VARCHAR(10)) COMMENT 'it''s'
BEGIN
  SELECT x INTO y;
END;
CREATE SEQUENCE sq START WITH 5;
-- dbmig:down
DROP SEQUENCE sq;
DROP PROCEDURE p1;
DROP FUNCTION add1;
DROP VIEW child_v;
DROP TABLE fk2;
DROP TABLE child;
DROP TABLE parent;
EOF

# The JSON `schema dump` must give for it (pinned: a change in what the
# driver reports shows here as a diff).
cat > "$W/want.json" <<'JSON'
{
  "dialect": "mysql",
  "enums": [],
  "functions": [
    {
      "definition": "CREATE FUNCTION `add1`(`x` int(11)) RETURNS int(11) DETERMINISTIC\nRETURN x + 1",
      "digest": "2fa4de75b19a433d",
      "name": "add1"
    },
    {
      "definition": "CREATE PROCEDURE `p1`(IN `x` int(11), OUT `y` varchar(10) CHARSET utf8mb4) COMMENT 'it''s'\nBEGIN\n  SELECT x INTO y;\nEND",
      "digest": "126e02fbb16eeff8",
      "name": "p1"
    }
  ],
  "sequences": [
    {
      "definition": "start with 5 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle",
      "name": "sq",
      "owned_by_column": null,
      "owned_by_table": null
    }
  ],
  "tables": [
    {
      "checks": [
        {
          "expression": "`price` > 0",
          "name": "price"
        },
        {
          "expression": "`qty` >= 0",
          "name": "qty_positive"
        }
      ],
      "columns": [
        {
          "collation": null,
          "default": null,
          "family": "bigint",
          "generated": null,
          "generated_stored": false,
          "identity": true,
          "name": "id",
          "nullable": false,
          "position": 1,
          "type": "bigint(20)"
        },
        {
          "collation": null,
          "default": null,
          "family": "integer",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "pa",
          "nullable": true,
          "position": 2,
          "type": "int(11)"
        },
        {
          "collation": null,
          "default": null,
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "pb",
          "nullable": true,
          "position": 3,
          "type": "varchar(20)"
        },
        {
          "collation": null,
          "default": "0",
          "family": "integer",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "qty",
          "nullable": false,
          "position": 4,
          "type": "int(11)"
        },
        {
          "collation": null,
          "default": null,
          "family": "decimal",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "price",
          "nullable": true,
          "position": 5,
          "type": "decimal(10,2)"
        },
        {
          "collation": null,
          "default": null,
          "family": "decimal",
          "generated": "`qty` * `price`",
          "generated_stored": false,
          "identity": false,
          "name": "total",
          "nullable": true,
          "position": 6,
          "type": "decimal(12,2)"
        },
        {
          "collation": null,
          "default": null,
          "family": "decimal",
          "generated": "`qty` * `price`",
          "generated_stored": true,
          "identity": false,
          "name": "stotal",
          "nullable": true,
          "position": 7,
          "type": "decimal(12,2)"
        },
        {
          "collation": null,
          "default": null,
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "note",
          "nullable": true,
          "position": 8,
          "type": "text"
        },
        {
          "collation": null,
          "default": "current_timestamp()",
          "family": "timestamp",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "created",
          "nullable": true,
          "position": 9,
          "type": "datetime"
        },
        {
          "collation": null,
          "default": null,
          "family": "json",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "doc",
          "nullable": true,
          "position": 10,
          "type": "json"
        }
      ],
      "foreign_keys": [
        {
          "columns": [
            "pa",
            "pb"
          ],
          "deferrable": false,
          "name": "child_parent_fk",
          "on_delete": "CASCADE",
          "on_update": "RESTRICT",
          "ref_columns": [
            "a",
            "b"
          ],
          "ref_table": "parent"
        }
      ],
      "indexes": [
        {
          "columns": [
            "note"
          ],
          "method": "FULLTEXT",
          "name": "child_note_ft",
          "predicate": null,
          "unique": false
        },
        {
          "columns": [
            "note",
            "qty"
          ],
          "method": "HASH",
          "name": "child_note_hash",
          "predicate": null,
          "unique": true
        },
        {
          "columns": [
            "note(10)",
            "qty"
          ],
          "method": null,
          "name": "child_note_prefix",
          "predicate": null,
          "unique": false
        }
      ],
      "name": "child",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": ""
      },
      "triggers": [
        {
          "definition": "CREATE TRIGGER `child_bi` BEFORE INSERT ON `child` FOR EACH ROW BEGIN\n  IF NEW.qty < 0 THEN\n    SET NEW.qty = 0;\n  END IF;\nEND",
          "digest": "51f3df90cbc7e34a",
          "name": "child_bi"
        }
      ],
      "unique": []
    },
    {
      "checks": [],
      "columns": [
        {
          "collation": null,
          "default": null,
          "family": "bigint",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "x",
          "nullable": true,
          "position": 1,
          "type": "bigint(20)"
        }
      ],
      "foreign_keys": [
        {
          "columns": [
            "x"
          ],
          "deferrable": false,
          "name": "fk2_ibfk_1",
          "on_delete": "RESTRICT",
          "on_update": "RESTRICT",
          "ref_columns": [
            "id"
          ],
          "ref_table": "child"
        }
      ],
      "indexes": [],
      "name": "fk2",
      "primary_key": null,
      "triggers": [],
      "unique": []
    },
    {
      "checks": [
        {
          "expression": "json_valid(`js`)",
          "name": "js"
        }
      ],
      "columns": [
        {
          "collation": null,
          "default": null,
          "family": "integer",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "a",
          "nullable": false,
          "position": 1,
          "type": "int(11)"
        },
        {
          "collation": null,
          "default": null,
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "b",
          "nullable": false,
          "position": 2,
          "type": "varchar(20)"
        },
        {
          "collation": "utf8mb4_bin",
          "default": "'it''s'",
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "label",
          "nullable": true,
          "position": 3,
          "type": "varchar(50)"
        },
        {
          "collation": null,
          "default": null,
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "js",
          "nullable": true,
          "position": 4,
          "type": "varchar(100)"
        }
      ],
      "foreign_keys": [],
      "indexes": [],
      "name": "parent",
      "primary_key": {
        "columns": [
          "a",
          "b"
        ],
        "name": ""
      },
      "triggers": [],
      "unique": [
        {
          "columns": [
            "label"
          ],
          "name": "parent_label_uq"
        }
      ]
    }
  ],
  "views": [
    {
      "definition": "select `child`.`id` AS `id`,`child`.`qty` AS `qty` from `child` where `child`.`qty` > 0",
      "digest": "2c6bf1320973573b",
      "name": "child_v"
    }
  ]
}
JSON

# 1. the schema, made by upgrade, dumps as the pinned JSON
if ! dbmig --url "$URL" --dir "$W/m" upgrade > "$W/up.out" 2>&1; then
    fail schema "upgrade failed: $(tr '\n' '|' < "$W/up.out" | head -c 600)"
elif ! dbmig --url "$URL" --dir "$W/m" schema dump --format json > "$W/got.json" 2> "$W/err"; then
    fail json "schema dump --format json failed: $(tr '\n' '|' < "$W/err" | head -c 600)"
elif ! diff -u "$W/want.json" "$W/got.json" > "$W/json.diff"; then
    fail json "the dump differs from the pinned JSON (- pinned, + got): $(head -c 3000 "$W/json.diff" | tr '\n' '|')"
fi

# 2. the SQL dump, the up section of a migration in an empty database
#    (dbmig's splitter: trigger and procedure bodies holding `;`), inspects
#    to the same JSON
base=${URL%%\?*}
rt=${base##*/}_rt
rt_url=${base%/*}/$rt
mysql_root() { mariadb --no-defaults --socket="$DBMIG_TEST_MYSQL_SOCKET" -uroot "$@"; }
trap 'mysql_root -e "DROP DATABASE IF EXISTS $rt"; rm -rf "$W"' EXIT
if ! dbmig --url "$URL" --dir "$W/m" schema dump --format sql > "$W/dump.sql" 2> "$W/err"; then
    fail sql "schema dump --format sql failed: $(tr '\n' '|' < "$W/err" | head -c 600)"
elif ! mysql_root -e "CREATE DATABASE $rt" > "$W/err" 2>&1; then
    fail roundtrip "cannot create $rt: $(tr '\n' '|' < "$W/err")"
else
    { echo "-- dbmig:up"; cat "$W/dump.sql"; } > "$W/rt/001_dump.sql"
    if ! dbmig --url "$rt_url" --dir "$W/rt" upgrade > "$W/err" 2>&1; then
        fail roundtrip "the SQL dump does not load: $(tr '\n' '|' < "$W/err" | head -c 800)"
    elif ! dbmig --url "$rt_url" --dir "$W/rt" schema dump --format json > "$W/rt.json" 2> "$W/err"; then
        fail roundtrip "schema dump of the reloaded database failed: $(tr '\n' '|' < "$W/err" | head -c 600)"
    elif ! diff -u "$W/got.json" "$W/rt.json" > "$W/rt.diff"; then
        fail roundtrip "the reloaded SQL dump inspects differently (- original, + reloaded): $(head -c 3000 "$W/rt.diff" | tr '\n' '|')"
    fi
fi

# 3. a body the server hides (a routine made by another user) is an error
#    naming it and the privilege, not a dump that recreates nothing
if ! mysql_root "${base##*/}" -e "CREATE FUNCTION hid() RETURNS INT RETURN 1" > "$W/err" 2>&1; then
    fail hidden "cannot create the function as root: $(tr '\n' '|' < "$W/err")"
else
    dbmig --url "$URL" --dir "$W/m" schema dump > "$W/out" 2> "$W/err"
    rc=$?
    if [ "$rc" = 0 ]; then
        fail hidden "schema dump succeeded on a hidden routine body: $(grep -A1 'hid' "$W/out" | tr '\n' '|')"
    elif ! grep -q "function hid is not visible to this user" "$W/err" ||
         ! grep -q "GRANT SELECT ON mysql.proc" "$W/err"; then
        fail hidden "exit $rc without naming the function and the privilege: $(tr '\n' '|' < "$W/err")"
    fi
fi


# 4. a default that calls a sequence reads back without the database's
#    name (MariaDB: NEXT VALUE FOR sq2 -> nextval(`db`.`sq2`)), so that a
#    dump or a diff made from it calls the sequence of the database it runs
#    in
mkdir -p "$W/sq"
cat > "$W/sq/001_seq.sql" <<'EOF'
CREATE SEQUENCE sq2;
CREATE TABLE seqd (id BIGINT NOT NULL DEFAULT (NEXT VALUE FOR sq2) PRIMARY KEY);
EOF
sq_db=${base##*/}_sq
sq_url=${base%/*}/$sq_db
if ! mysql_root -e "CREATE DATABASE $sq_db" > "$W/err" 2>&1; then
    fail seqdefault "cannot create $sq_db: $(tr '\n' '|' < "$W/err")"
elif ! dbmig --url "$sq_url" --dir "$W/sq" upgrade > "$W/err" 2>&1 ||
     ! dbmig --url "$sq_url" --dir "$W/sq" schema dump > "$W/sq.sql" 2> "$W/err"; then
    fail seqdefault "upgrade or dump failed: $(tr '\n' '|' < "$W/err" | head -c 600)"
elif grep -q "$sq_db" "$W/sq.sql" || ! grep -q 'nextval(`sq2`)' "$W/sq.sql"; then
    fail seqdefault "the default names the database or lost its sequence: $(grep -i nextval "$W/sq.sql")"
fi
mysql_root -e "DROP DATABASE IF EXISTS $sq_db" > /dev/null 2>&1


# 5. views whose text MariaDB prints differently once read back (a comma
#    join: `from a join b` reloads as `from (a join b)`) inspect the same
#    before and after their dump is reloaded (diff's verification and a
#    dump's round trip need a text that settles)
mkdir -p "$W/cj" "$W/cj2"
cat > "$W/cj/001_views.sql" <<'EOF'
CREATE TABLE ca (id INT, x INT);
CREATE TABLE cb (id INT, y INT);
CREATE TABLE cc (id INT);
CREATE VIEW cv2 AS SELECT ca.x, cb.y FROM ca, cb WHERE ca.id = cb.id;
CREATE VIEW cv3 AS SELECT ca.x FROM ca, cb, cc WHERE ca.id = cb.id ORDER BY ca.x;
CREATE VIEW cvs AS SELECT ca.x FROM ca, (SELECT id FROM cb) s GROUP BY ca.x;
CREATE VIEW cvj AS SELECT ca.x FROM ca, cb JOIN cc ON cc.id = cb.id;
CREATE VIEW cvo AS SELECT ca.x FROM ca LEFT JOIN cb ON ca.id = cb.id;
CREATE VIEW cvq AS SELECT 'from a join b' AS t FROM ca;
EOF
cj_db=${base##*/}_cj
cj_url=${base%/*}/$cj_db
cj2_db=${base##*/}_cj2
cj2_url=${base%/*}/$cj2_db
if ! mysql_root -e "CREATE DATABASE $cj_db; CREATE DATABASE $cj2_db" > "$W/err" 2>&1; then
    fail commajoin "cannot create the databases: $(tr '\n' '|' < "$W/err")"
elif ! dbmig --url "$cj_url" --dir "$W/cj" upgrade > "$W/err" 2>&1 ||
     ! dbmig --url "$cj_url" --dir "$W/cj" schema dump > "$W/cj.sql" 2> "$W/err"; then
    fail commajoin "upgrade or dump failed: $(tr '\n' '|' < "$W/err" | head -c 600)"
else
    { echo "-- dbmig:up"; cat "$W/cj.sql"; } > "$W/cj2/001_dump.sql"
    if ! dbmig --url "$cj2_url" --dir "$W/cj2" upgrade > "$W/err" 2>&1 ||
       ! dbmig --url "$cj2_url" --dir "$W/cj2" schema dump > "$W/cj2.sql" 2> "$W/err"; then
        fail commajoin "the dump does not reload: $(tr '\n' '|' < "$W/err" | head -c 600)"
    elif ! diff -u "$W/cj.sql" "$W/cj2.sql" > "$W/cj.diff"; then
        fail commajoin "the views read back differently (- first, + reloaded): $(grep '^[-+]CREATE' "$W/cj.diff" | tr '\n' '|' | head -c 1500)"
    fi
fi
mysql_root -e "DROP DATABASE IF EXISTS $cj_db; DROP DATABASE IF EXISTS $cj2_db" > /dev/null 2>&1

exit "$failed"
