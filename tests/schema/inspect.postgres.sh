#!/usr/bin/env bash
# tests/schema/inspect.postgres.sh — what the PostgreSQL driver's inspect()
# reports, seen through `dbmig schema dump` (SPEC section 12): a schema with
# every object kind (composite, named and deferrable keys, a cascading
# foreign key, a named CHECK, generated, identity and serial columns, a
# collation, partial, expression, gin and hash indexes, a view, a trigger
# and its function, a procedure, a standalone sequence, an IN list on a
# varchar column; enum types: one with a quote and a backslash in a label
# and a label added BEFORE another, an empty one with a quoted name, and a
# table using them in a column, an array column, a default, a CHECK and a
# partial index) dumps to the pinned JSON below, twice the same bytes; its
# SQL dump, loaded into the emptied database with psql, dumps to the same
# JSON again (the round trip); the version table is not in the dump; drift
# as a user without CREATEDB says to grant it or to give --scratch-url;
# `test --yes-destroy` and drift's --scratch-url empty enum types too.
# Pinned on PostgreSQL 15 (scripts/pg-server.sh takes the newest server
# installed): another major may spell a view's or function's text
# differently; re-pin from the diff then, after reading it.
#
# Run by tests/schema/run.sh with TARGET=postgres, DBMIG, DBMIG_PLUGIN_DIR and
# URL (a fresh empty database); by hand:
#   URL=postgres://... DBMIG=build/cli/dbmig bash tests/schema/inspect.postgres.sh
# Prints `FAIL <case> <why>` for each failed case; exit 0 when all pass.
set -u
: "${URL:?URL must name an empty PostgreSQL database}"
: "${DBMIG:?DBMIG must name the dbmig binary}"
unset DATABASE_URL DBMIG_URL DBMIG_DIR DBMIG_TABLE DBMIG_CONFIG DBMIG_FORMAT
export NO_COLOR=1
W=$(mktemp -d "${TMPDIR:-/tmp}/dbmig-inspect-pg.XXXXXX")
trap 'rm -rf "$W"' EXIT
nfail=0
fail() { echo "FAIL $1 $2"; nfail=$((nfail + 1)); }
dbmig() { "$DBMIG" ${DBMIG_PLUGIN_DIR:+--plugin-dir "$DBMIG_PLUGIN_DIR"} --url "$URL" --dir "$W/migrations" "$@"; }
psql_url() { psql -X -q -v ON_ERROR_STOP=1 -d "$URL" "$@"; }
empty() { psql_url -c "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null; }
mkdir -p "$W/migrations"

cat > "$W/schema.sql" <<'EOF'
CREATE TABLE accounts (
  org_id integer NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  email text COLLATE "C" NOT NULL,
  name character varying(100) DEFAULT 'anon',
  price numeric(10,2),
  total numeric GENERATED ALWAYS AS (price * 2) STORED,
  CONSTRAINT accounts_pkey PRIMARY KEY (org_id, id),
  CONSTRAINT accounts_email_key UNIQUE (email),
  CONSTRAINT price_positive CHECK (price > 0 AND price < 1000)
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  org_id integer,
  account_id bigint,
  tags text[],
  note text,
  "Odd ""name""" integer,
  status character varying(10) CONSTRAINT orders_status CHECK (status IN ('new', 'paid')),
  CONSTRAINT orders_account_fk FOREIGN KEY (org_id, account_id)
    REFERENCES accounts (org_id, id) ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE
);
CREATE INDEX orders_note_partial ON orders (note) WHERE note IS NOT NULL;
CREATE INDEX orders_lower_note ON orders (lower(note) DESC, org_id DESC);
CREATE INDEX orders_sum ON orders ((org_id + 1));
CREATE INDEX orders_tags_gin ON orders USING gin (tags);
CREATE INDEX orders_note_hash ON orders USING hash (note);
CREATE UNIQUE INDEX orders_odd ON orders ("Odd ""name""", org_id);
CREATE VIEW big_orders AS SELECT id, note FROM orders WHERE org_id > 10;
CREATE FUNCTION touch_note() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN NEW.note := coalesce(NEW.note, 'x'); RETURN NEW; END $$;
CREATE FUNCTION add_one(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
CREATE PROCEDURE nothing() LANGUAGE sql AS 'SELECT 1';
CREATE TRIGGER orders_touch BEFORE INSERT ON orders
  FOR EACH ROW EXECUTE FUNCTION touch_note();
CREATE SEQUENCE invoice_no AS integer START 100 INCREMENT 5 MINVALUE 10 MAXVALUE 100000
  CACHE 3 CYCLE;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'it''s \fine');
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
CREATE TYPE "Odd Enum" AS ENUM ();
CREATE TABLE moods (
  id integer PRIMARY KEY,
  m mood NOT NULL DEFAULT 'ok',
  history mood[],
  odd "Odd Enum",
  CONSTRAINT moods_not_sad CHECK (m <> 'sad')
);
CREATE INDEX moods_meh ON moods (id) WHERE m = 'meh';
EOF

# ---- the pinned dump -------------------------------------------------------
cat > "$W/expected.json" <<'EOF'
{
  "dialect": "postgres",
  "enums": [
    {
      "labels": [],
      "name": "Odd Enum"
    },
    {
      "labels": [
        "sad",
        "meh",
        "ok",
        "it's \\fine"
      ],
      "name": "mood"
    }
  ],
  "functions": [
    {
      "definition": "CREATE OR REPLACE FUNCTION public.add_one(integer)\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\nAS $function$SELECT $1 + 1$function$",
      "digest": "75ed030b6ea74bbd",
      "name": "add_one(integer)"
    },
    {
      "definition": "CREATE OR REPLACE PROCEDURE public.nothing()\n LANGUAGE sql\nAS $procedure$SELECT 1$procedure$",
      "digest": "55e279737f92cbc1",
      "name": "nothing()"
    },
    {
      "definition": "CREATE OR REPLACE FUNCTION public.touch_note()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$ BEGIN NEW.note := coalesce(NEW.note, 'x'); RETURN NEW; END $function$",
      "digest": "501bd579c218073c",
      "name": "touch_note()"
    }
  ],
  "sequences": [
    {
      "definition": "AS integer START 100 INCREMENT 5 MINVALUE 10 MAXVALUE 100000 CACHE 3 CYCLE",
      "name": "invoice_no",
      "owned_by_column": null,
      "owned_by_table": null
    },
    {
      "definition": "AS integer START 1 INCREMENT 1 MINVALUE 1 MAXVALUE 2147483647 CACHE 1 NO CYCLE",
      "name": "orders_id_seq",
      "owned_by_column": "id",
      "owned_by_table": "orders"
    }
  ],
  "tables": [
    {
      "checks": [
        {
          "expression": "price > 0::numeric AND price < 1000::numeric",
          "name": "price_positive"
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
          "name": "org_id",
          "nullable": false,
          "position": 1,
          "type": "integer"
        },
        {
          "collation": null,
          "default": null,
          "family": "bigint",
          "generated": null,
          "generated_stored": false,
          "identity": true,
          "name": "id",
          "nullable": false,
          "position": 2,
          "type": "bigint"
        },
        {
          "collation": "C",
          "default": null,
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "email",
          "nullable": false,
          "position": 3,
          "type": "text"
        },
        {
          "collation": null,
          "default": "'anon'::character varying",
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "name",
          "nullable": true,
          "position": 4,
          "type": "character varying(100)"
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
          "type": "numeric(10,2)"
        },
        {
          "collation": null,
          "default": null,
          "family": "decimal",
          "generated": "price * 2::numeric",
          "generated_stored": true,
          "identity": false,
          "name": "total",
          "nullable": true,
          "position": 6,
          "type": "numeric"
        }
      ],
      "foreign_keys": [],
      "indexes": [],
      "name": "accounts",
      "primary_key": {
        "columns": [
          "org_id",
          "id"
        ],
        "name": "accounts_pkey"
      },
      "triggers": [],
      "unique": [
        {
          "columns": [
            "email"
          ],
          "name": "accounts_email_key"
        }
      ]
    },
    {
      "checks": [
        {
          "expression": "m <> 'sad'::mood",
          "name": "moods_not_sad"
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
          "name": "id",
          "nullable": false,
          "position": 1,
          "type": "integer"
        },
        {
          "collation": null,
          "default": "'ok'::mood",
          "family": "other",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "m",
          "nullable": false,
          "position": 2,
          "type": "mood"
        },
        {
          "collation": null,
          "default": null,
          "family": "other",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "history",
          "nullable": true,
          "position": 3,
          "type": "mood[]"
        },
        {
          "collation": null,
          "default": null,
          "family": "other",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "odd",
          "nullable": true,
          "position": 4,
          "type": "\"Odd Enum\""
        }
      ],
      "foreign_keys": [],
      "indexes": [
        {
          "columns": [
            "id"
          ],
          "method": null,
          "name": "moods_meh",
          "predicate": "m = 'meh'::mood",
          "unique": false
        }
      ],
      "name": "moods",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "moods_pkey"
      },
      "triggers": [],
      "unique": []
    },
    {
      "checks": [
        {
          "expression": "status::text = ANY (ARRAY['new'::character varying::text, 'paid'::character varying::text])",
          "name": "orders_status"
        }
      ],
      "columns": [
        {
          "collation": null,
          "default": "nextval('orders_id_seq'::regclass)",
          "family": "integer",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "id",
          "nullable": false,
          "position": 1,
          "type": "integer"
        },
        {
          "collation": null,
          "default": null,
          "family": "integer",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "org_id",
          "nullable": true,
          "position": 2,
          "type": "integer"
        },
        {
          "collation": null,
          "default": null,
          "family": "bigint",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "account_id",
          "nullable": true,
          "position": 3,
          "type": "bigint"
        },
        {
          "collation": null,
          "default": null,
          "family": "other",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "tags",
          "nullable": true,
          "position": 4,
          "type": "text[]"
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
          "position": 5,
          "type": "text"
        },
        {
          "collation": null,
          "default": null,
          "family": "integer",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "Odd \"name\"",
          "nullable": true,
          "position": 6,
          "type": "integer"
        },
        {
          "collation": null,
          "default": null,
          "family": "text",
          "generated": null,
          "generated_stored": false,
          "identity": false,
          "name": "status",
          "nullable": true,
          "position": 7,
          "type": "character varying(10)"
        }
      ],
      "foreign_keys": [
        {
          "columns": [
            "org_id",
            "account_id"
          ],
          "deferrable": true,
          "name": "orders_account_fk",
          "on_delete": "CASCADE",
          "on_update": "SET NULL",
          "ref_columns": [
            "org_id",
            "id"
          ],
          "ref_table": "accounts"
        }
      ],
      "indexes": [
        {
          "columns": [
            "(lower(note)) DESC",
            "org_id DESC"
          ],
          "method": null,
          "name": "orders_lower_note",
          "predicate": null,
          "unique": false
        },
        {
          "columns": [
            "note"
          ],
          "method": "hash",
          "name": "orders_note_hash",
          "predicate": null,
          "unique": false
        },
        {
          "columns": [
            "note"
          ],
          "method": null,
          "name": "orders_note_partial",
          "predicate": "note IS NOT NULL",
          "unique": false
        },
        {
          "columns": [
            "Odd \"name\"",
            "org_id"
          ],
          "method": null,
          "name": "orders_odd",
          "predicate": null,
          "unique": true
        },
        {
          "columns": [
            "(org_id + 1)"
          ],
          "method": null,
          "name": "orders_sum",
          "predicate": null,
          "unique": false
        },
        {
          "columns": [
            "tags"
          ],
          "method": "gin",
          "name": "orders_tags_gin",
          "predicate": null,
          "unique": false
        }
      ],
      "name": "orders",
      "primary_key": {
        "columns": [
          "id"
        ],
        "name": "orders_pkey"
      },
      "triggers": [
        {
          "definition": "CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch_note()",
          "digest": "bf286fe439f2169f",
          "name": "orders_touch"
        }
      ],
      "unique": []
    }
  ],
  "views": [
    {
      "definition": "SELECT orders.id,\n    orders.note\n   FROM orders\n  WHERE orders.org_id > 10",
      "digest": "9d3e789b966d229d",
      "name": "big_orders"
    }
  ]
}
EOF

# ---- cases -------------------------------------------------------------------
empty
if ! psql_url -f "$W/schema.sql" >/dev/null 2>"$W/load.err"; then
    fail load "the schema does not load: $(head -c 300 "$W/load.err")"
    exit 1
fi

# json: the pinned dump
if ! dbmig schema dump --format json > "$W/dump1.json" 2>"$W/dump1.err"; then
    fail json "schema dump failed: $(head -c 300 "$W/dump1.err")"
elif ! diff -u "$W/expected.json" "$W/dump1.json" > "$W/json.diff"; then
    fail json "the dump differs from the pinned one: $(head -c 2000 "$W/json.diff")"
fi

# deterministic: the same bytes twice, JSON and SQL
dbmig schema dump --format json > "$W/dump2.json" 2>/dev/null
cmp -s "$W/dump1.json" "$W/dump2.json" || fail deterministic "two JSON dumps differ"
dbmig schema dump --format sql > "$W/dump1.sql" 2>"$W/sql.err" ||
    fail sql "schema dump --format sql failed: $(head -c 300 "$W/sql.err")"
dbmig schema dump --format sql > "$W/dump2.sql" 2>/dev/null
cmp -s "$W/dump1.sql" "$W/dump2.sql" || fail deterministic "two SQL dumps differ"

# round trip: the SQL dump loaded into the emptied database inspects the same
empty
if ! psql_url -f "$W/dump1.sql" >/dev/null 2>"$W/reload.err"; then
    fail roundtrip "the SQL dump does not load: $(head -c 500 "$W/reload.err")"
else
    dbmig schema dump --format json > "$W/dump3.json" 2>/dev/null
    diff -u "$W/dump1.json" "$W/dump3.json" > "$W/rt.diff" ||
        fail roundtrip "the reloaded dump differs: $(head -c 2000 "$W/rt.diff")"
fi

# version table: a migrated database dumps its tables, not dbmig's
empty
printf -- '-- dbmig:up\nCREATE TABLE migrated (id integer PRIMARY KEY);\n-- dbmig:down\nDROP TABLE migrated;\n' \
    > "$W/migrations/20240101000000_first.sql"
if ! dbmig upgrade > "$W/up.out" 2>&1; then
    fail version_table "upgrade failed: $(head -c 300 "$W/up.out")"
else
    out=$(dbmig schema dump --format json 2>&1)
    case $out in
        *'"migrated"'*) ;;
        *) fail version_table "the migrated table is not in the dump: $(echo "$out" | head -c 300)" ;;
    esac
    case $out in
        *dbmig_version*) fail version_table "the version table is in the dump" ;;
    esac
fi

# no_createdb: drift as a user who may not create databases says what to do
# (the driver's hint: --scratch-url or CREATEDB), without the password
pg_super() {
    local as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u nobody --)
    (cd / && "${as[@]}" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SERVER_SOCKET" -p "$PG_SERVER_PORT" \
        -U postgres -d postgres "$@")
}
user=${URL#*://}
user=${user%%[:@]*}
pass=${URL#*://$user:}
pass=${pass%%@*}
if [ -z "${PG_SERVER_SOCKET:-}" ] || [ -z "${PG_SERVER_PORT:-}" ]; then
    fail no_createdb "PG_SERVER_SOCKET and PG_SERVER_PORT are not set (run through scripts/pg-server.sh)"
elif ! pg_super -c "ALTER ROLE $user NOCREATEDB" >/dev/null; then
    fail no_createdb "cannot take CREATEDB from $user"
else
    out=$(dbmig drift 2>&1)
    rc=$?
    pg_super -c "ALTER ROLE $user CREATEDB" >/dev/null || fail no_createdb "cannot give CREATEDB back"
    [ "$rc" = 1 ] || fail no_createdb "exit $rc, not 1: $out"
    case $out in
        *"ALTER ROLE $user CREATEDB"*"--scratch-url"* | *"--scratch-url"*"ALTER ROLE $user CREATEDB"*) ;;
        *) fail no_createdb "the message does not say what to do: $out" ;;
    esac
    case $out in
        *"$pass"*) fail no_createdb "the password is shown: $out" ;;
    esac
fi
# enums_emptied: the objects dbmig empties a database of include enum types:
# `test --yes-destroy` on a database holding one, and drift's --scratch-url
# database once a folder that creates one was replayed there
empty
rm -f "$W/migrations"/*.sql
printf -- "-- dbmig:up\nCREATE TYPE mood AS ENUM ('a', 'b');\nCREATE TABLE feel (m mood);\n-- dbmig:down\nDROP TABLE feel;\nDROP TYPE mood;\n" \
    > "$W/migrations/20240101000000_mood.sql"
psql_url -c "CREATE TYPE left_over AS ENUM ('x'); CREATE TABLE t (l left_over)" >/dev/null
if ! out=$(dbmig test --yes-destroy 2>&1); then
    fail enums_emptied "test --yes-destroy failed: $(echo "$out" | head -c 600)"
fi
scratch=${URL##*/}_scratch
if ! psql_url -c "CREATE DATABASE $scratch" >/dev/null; then
    fail enums_emptied "cannot create $scratch"
else
    dbmig upgrade >/dev/null 2>&1 || fail enums_emptied "upgrade failed"
    out=$(dbmig drift --scratch-url "${URL%/*}/$scratch" 2>&1) ||
        fail enums_emptied "drift --scratch-url failed: $(echo "$out" | head -c 600)"
    left=$(psql -X -q -A -t -d "${URL%/*}/$scratch" -c "SELECT count(*) FROM pg_type WHERE typtype = 'e'")
    [ "$left" = 0 ] || fail enums_emptied "the scratch database still holds $left enum type(s)"
    psql_url -c "DROP DATABASE $scratch WITH (FORCE)" >/dev/null
fi
empty
exit $((nfail > 0))
