-- tests/lint/corpus/hand.sql — hand-written PostgreSQL cases for the
-- agreement with squawk (bench/lint_squawk.sh, tests/lint/agree.py).
-- A case starts at a `-- case: NAME` line and runs to the next one; it
-- becomes one migration file (dbmig) and one .sql file (squawk). Names say
-- which rule the case aims at and whether it should fire (pos) or is a
-- near miss (neg); the comparison does not read them. A case whose first
-- line is `-- dbmig:transaction off` runs outside a transaction (squawk is
-- then run without --assume-in-transaction).

-- case: renaming-column/pos/1
ALTER TABLE users RENAME COLUMN email TO mail;
-- case: renaming-column/pos/2
ALTER TABLE public.users RENAME email TO mail;
-- case: renaming-column/pos/3
ALTER TABLE IF EXISTS "Users" RENAME COLUMN "Email" TO "Mail";
-- case: renaming-column/neg/1
ALTER TABLE users ADD COLUMN mail text;
-- case: renaming-column/neg/2
ALTER INDEX users_email_idx RENAME TO users_mail_idx;
-- case: renaming-column/neg/3
ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_mail_key;
-- case: renaming-table/pos/1
ALTER TABLE users RENAME TO people;
-- case: renaming-table/pos/2
ALTER TABLE IF EXISTS app.users RENAME TO people;
-- case: renaming-table/neg/1
ALTER SEQUENCE users_id_seq RENAME TO people_id_seq;
-- case: renaming-table/neg/2
ALTER VIEW active_users RENAME TO live_users;
-- case: renaming-table/neg/3
ALTER TABLE users RENAME COLUMN a TO b;
-- case: adding-required-field/pos/1
ALTER TABLE users ADD COLUMN org_id bigint NOT NULL;
-- case: adding-required-field/pos/2
ALTER TABLE users ADD org_id bigint NOT NULL;
-- case: adding-required-field/pos/3
ALTER TABLE users ADD COLUMN IF NOT EXISTS flags integer NOT NULL;
-- case: adding-required-field/pos/4
ALTER TABLE users ADD COLUMN code text NOT NULL DEFAULT NULL;
-- case: adding-required-field/neg/1
ALTER TABLE users ADD COLUMN org_id bigint NOT NULL DEFAULT 0;
-- case: adding-required-field/neg/2
ALTER TABLE users ADD COLUMN org_id bigint;
-- case: adding-required-field/neg/3
ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY NOT NULL;
-- case: adding-required-field/neg/4
ALTER TABLE users ADD COLUMN created timestamptz NOT NULL DEFAULT now();
-- case: adding-required-field/neg/5
ALTER TABLE users ADD COLUMN g bigint NOT NULL GENERATED ALWAYS AS (id * 2) STORED;
-- case: adding-field-with-default/pos/1
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
-- case: adding-field-with-default/pos/2
ALTER TABLE users ADD COLUMN r float8 DEFAULT random();
-- case: adding-field-with-default/pos/3
ALTER TABLE users ADD COLUMN at timestamptz DEFAULT clock_timestamp();
-- case: adding-field-with-default/pos/4
ALTER TABLE users ADD COLUMN up text GENERATED ALWAYS AS (upper(email)) STORED;
-- case: adding-field-with-default/pos/5
ALTER TABLE users ADD COLUMN h text DEFAULT md5(random()::text);
-- case: adding-field-with-default/neg/1
ALTER TABLE users ADD COLUMN n integer DEFAULT 0;
-- case: adding-field-with-default/neg/2
ALTER TABLE users ADD COLUMN at timestamptz DEFAULT now();
-- case: adding-field-with-default/neg/3
ALTER TABLE users ADD COLUMN s text DEFAULT 'new';
-- case: adding-field-with-default/neg/4
ALTER TABLE users ADD COLUMN b boolean DEFAULT false NOT NULL;
-- case: adding-field-with-default/neg/5
ALTER TABLE users ADD COLUMN j jsonb DEFAULT '{}'::jsonb;
-- case: adding-field-with-default/neg/6
ALTER TABLE users ADD COLUMN a text[] DEFAULT '{}';
-- case: adding-field-with-default/neg/7
ALTER TABLE users ADD COLUMN d numeric(10,2) DEFAULT -1.5;
-- case: adding-field-with-default/neg/8
ALTER TABLE users ADD COLUMN t timestamptz DEFAULT CURRENT_TIMESTAMP;
-- case: adding-not-nullable-field/pos/1
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
-- case: adding-not-nullable-field/pos/2
ALTER TABLE users ALTER email SET NOT NULL;
-- case: adding-not-nullable-field/pos/3
ALTER TABLE users ALTER COLUMN email SET NOT NULL, ALTER COLUMN name SET NOT NULL;
-- case: adding-not-nullable-field/neg/1
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
-- case: adding-not-nullable-field/neg/2
ALTER TABLE users ALTER COLUMN email SET DEFAULT '';
-- case: adding-not-nullable-field/neg/3
ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;
-- case: ban-drop-column/pos/1
ALTER TABLE users DROP COLUMN legacy;
-- case: ban-drop-column/pos/2
ALTER TABLE users DROP legacy;
-- case: ban-drop-column/pos/3
ALTER TABLE users DROP COLUMN IF EXISTS legacy CASCADE;
-- case: ban-drop-column/neg/1
ALTER TABLE users DROP CONSTRAINT users_legacy_check;
-- case: ban-drop-column/neg/2
ALTER TABLE users ALTER COLUMN legacy DROP DEFAULT;
-- case: ban-drop-table/pos/1
DROP TABLE users;
-- case: ban-drop-table/pos/2
DROP TABLE IF EXISTS users, accounts CASCADE;
-- case: ban-drop-table/pos/3
DROP TABLE app.audit_2019;
-- case: ban-drop-table/neg/1
DROP VIEW users_view;
-- case: ban-drop-table/neg/2
DROP SEQUENCE users_id_seq;
-- case: ban-drop-table/neg/3
DROP MATERIALIZED VIEW monthly_totals;
-- case: ban-drop-table/neg/4
DROP TYPE mood;
-- case: ban-drop-database/pos/1
DROP DATABASE app;
-- case: ban-drop-database/pos/2
DROP DATABASE IF EXISTS app_test;
-- case: ban-drop-database/neg/1
DROP SCHEMA IF EXISTS staging CASCADE;
-- case: ban-drop-database/neg/2
CREATE DATABASE app_copy;
-- case: require-concurrent-index-creation/pos/1
CREATE INDEX users_email_idx ON users (email);
-- case: require-concurrent-index-creation/pos/2
CREATE UNIQUE INDEX users_email_uq ON users (lower(email));
-- case: require-concurrent-index-creation/pos/3
CREATE INDEX IF NOT EXISTS users_org_idx ON users USING btree (org_id) WHERE deleted_at IS NULL;
-- case: require-concurrent-index-creation/pos/4
CREATE INDEX ON users (created_at);
-- case: require-concurrent-index-creation/pos/5
CREATE INDEX users_tags_gin ON public.users USING gin (tags);
-- case: require-concurrent-index-creation/neg/1
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
-- case: require-concurrent-index-creation/neg/2
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_uq ON users (email);
-- case: require-concurrent-index-creation/neg/3
CREATE TABLE notes (id bigint, body text);
CREATE INDEX notes_body_idx ON notes (body);
-- case: require-concurrent-index-creation/neg/4
CREATE INDEX CONCURRENTLY ON users (org_id);
-- case: require-concurrent-index-deletion/pos/1
DROP INDEX users_email_idx;
-- case: require-concurrent-index-deletion/pos/2
DROP INDEX IF EXISTS users_email_idx;
-- case: require-concurrent-index-deletion/pos/3
DROP INDEX app.users_email_idx, app.users_org_idx;
-- case: require-concurrent-index-deletion/neg/1
DROP INDEX CONCURRENTLY users_email_idx;
-- case: require-concurrent-index-deletion/neg/2
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
-- case: ban-concurrent-index-creation-in-transaction/pos/1
CREATE INDEX CONCURRENTLY users_f ON users (email);
UPDATE users SET email = lower(email);
-- case: ban-concurrent-index-creation-in-transaction/pos/2
BEGIN;
CREATE INDEX CONCURRENTLY users_g ON users (email);
COMMIT;
-- case: ban-concurrent-index-creation-in-transaction/pos/3
ALTER TABLE users ADD COLUMN IF NOT EXISTS x text;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_x ON users (x);
-- case: ban-concurrent-index-creation-in-transaction/neg/1
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_f ON users (email);
-- case: ban-concurrent-index-creation-in-transaction/neg/2
-- dbmig:transaction off
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_h ON users (email);
-- case: adding-foreign-key-constraint/pos/1
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);
-- case: adding-foreign-key-constraint/pos/2
ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE;
-- case: adding-foreign-key-constraint/pos/3
ALTER TABLE users ADD COLUMN team_id bigint REFERENCES teams (id);
-- case: adding-foreign-key-constraint/pos/4
ALTER TABLE users ADD COLUMN team_id bigint CONSTRAINT users_team_fk REFERENCES teams;
-- case: adding-foreign-key-constraint/neg/1
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;
-- case: adding-foreign-key-constraint/neg/2
ALTER TABLE users VALIDATE CONSTRAINT users_org_fk;
-- case: adding-foreign-key-constraint/neg/3
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
-- case: adding-foreign-key-constraint/neg/4
CREATE TABLE items (id bigint, order_id bigint);
ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
-- case: constraint-missing-not-valid/pos/1
ALTER TABLE users ADD CONSTRAINT users_age_ck CHECK (age >= 0);
-- case: constraint-missing-not-valid/pos/2
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
-- case: constraint-missing-not-valid/pos/3
ALTER TABLE users ADD CONSTRAINT c2 CHECK (id > 0) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT c2;
-- case: constraint-missing-not-valid/pos/4
ALTER TABLE users ADD CHECK (char_length(name) < 200);
-- case: constraint-missing-not-valid/neg/1
ALTER TABLE users ADD CONSTRAINT users_age_ck CHECK (age >= 0) NOT VALID;
-- case: constraint-missing-not-valid/neg/2
ALTER TABLE users VALIDATE CONSTRAINT users_age_ck;
-- case: constraint-missing-not-valid/neg/3
-- dbmig:transaction off
ALTER TABLE users ADD CONSTRAINT IF NOT EXISTS c3 CHECK (id > 0) NOT VALID;
-- case: constraint-missing-not-valid/neg/4
CREATE TABLE prices (id bigint, amount numeric);
ALTER TABLE prices ADD CONSTRAINT prices_pos CHECK (amount > 0);
-- case: disallowed-unique-constraint/pos/1
ALTER TABLE users ADD CONSTRAINT users_email_uq UNIQUE (email);
-- case: disallowed-unique-constraint/pos/2
ALTER TABLE users ADD UNIQUE (email, org_id);
-- case: disallowed-unique-constraint/pos/3
ALTER TABLE users ADD COLUMN handle text UNIQUE;
-- case: disallowed-unique-constraint/neg/1
ALTER TABLE users ADD CONSTRAINT users_email_uq UNIQUE USING INDEX users_email_idx;
-- case: disallowed-unique-constraint/neg/2
CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);
-- case: disallowed-unique-constraint/neg/3
CREATE TABLE handles (name text UNIQUE);
-- case: disallowed-unique-constraint/neg/4
ALTER TABLE users ADD CONSTRAINT users_pk PRIMARY KEY USING INDEX users_pk_idx;
-- case: changing-column-type/pos/1
ALTER TABLE users ALTER COLUMN email TYPE text;
-- case: changing-column-type/pos/2
ALTER TABLE users ALTER COLUMN id SET DATA TYPE bigint;
-- case: changing-column-type/pos/3
ALTER TABLE users ALTER COLUMN amount TYPE numeric(12,2) USING amount::numeric;
-- case: changing-column-type/pos/4
ALTER TABLE users ALTER name TYPE varchar(300);
-- case: changing-column-type/neg/1
ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x';
-- case: changing-column-type/neg/2
ALTER TYPE mood ADD VALUE 'meh';
-- case: changing-column-type/neg/3
ALTER TABLE users ALTER COLUMN name SET STATISTICS 500;
-- case: prefer-robust-stmts/pos/1
-- dbmig:transaction off
ALTER TABLE users ADD COLUMN c text;
-- case: prefer-robust-stmts/pos/2
-- dbmig:transaction off
CREATE INDEX CONCURRENTLY users_c ON users (c);
-- case: prefer-robust-stmts/pos/3
-- dbmig:transaction off
DROP INDEX CONCURRENTLY users_c;
-- case: prefer-robust-stmts/pos/4
-- dbmig:transaction off
CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz);
-- case: prefer-robust-stmts/pos/5
-- dbmig:transaction off
DROP TABLE old_events;
-- case: prefer-robust-stmts/pos/6
-- dbmig:transaction off
ALTER TABLE users DROP COLUMN legacy;
-- case: prefer-robust-stmts/neg/1
-- dbmig:transaction off
ALTER TABLE users ADD COLUMN IF NOT EXISTS c text;
-- case: prefer-robust-stmts/neg/2
-- dbmig:transaction off
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_c ON users (c);
-- case: prefer-robust-stmts/neg/3
-- dbmig:transaction off
DROP INDEX CONCURRENTLY IF EXISTS users_c;
-- case: prefer-robust-stmts/neg/4
ALTER TABLE users ADD COLUMN c text;
-- case: prefer-robust-stmts/neg/5
-- dbmig:transaction off
CREATE TABLE IF NOT EXISTS events (id bigint PRIMARY KEY, at timestamptz);
-- case: prefer-robust-stmts/neg/6
-- dbmig:transaction off
DROP TABLE IF EXISTS old_events;
-- case: prefer-robust-stmts/neg/7
-- dbmig:transaction off
ALTER TABLE users DROP COLUMN IF EXISTS legacy;
-- case: prefer-robust-stmts/neg/8
CREATE TABLE events (id bigint PRIMARY KEY);
-- case: ban-truncate-cascade/pos/1
TRUNCATE users CASCADE;
-- case: ban-truncate-cascade/pos/2
TRUNCATE TABLE users, orders RESTART IDENTITY CASCADE;
-- case: ban-truncate-cascade/neg/1
TRUNCATE users;
-- case: ban-truncate-cascade/neg/2
TRUNCATE TABLE users RESTRICT;
-- case: ban-truncate-cascade/neg/3
DELETE FROM users;
-- case: prefer-bigint-over-int/pos/1
CREATE TABLE t6 (id int PRIMARY KEY);
-- case: prefer-bigint-over-int/pos/2
CREATE TABLE t6 (id integer);
-- case: prefer-bigint-over-int/pos/3
ALTER TABLE users ADD COLUMN visits int4;
-- case: prefer-bigint-over-int/pos/4
CREATE TABLE t6 (id serial PRIMARY KEY);
-- case: prefer-bigint-over-int/pos/5
ALTER TABLE users ALTER COLUMN visits TYPE integer;
-- case: prefer-bigint-over-int/neg/1
CREATE TABLE t6 (id bigint PRIMARY KEY);
-- case: prefer-bigint-over-int/neg/2
CREATE TABLE t6 (id int8, n numeric);
-- case: prefer-bigint-over-int/neg/3
ALTER TABLE users ADD COLUMN visits bigint;
-- case: prefer-bigint-over-int/neg/4
CREATE TABLE t6 (ids integer[]);
-- case: prefer-bigint-over-smallint/pos/1
CREATE TABLE t7 (n smallint);
-- case: prefer-bigint-over-smallint/pos/2
ALTER TABLE users ADD COLUMN rank int2;
-- case: prefer-bigint-over-smallint/pos/3
CREATE TABLE t7 (id smallserial);
-- case: prefer-bigint-over-smallint/neg/1
CREATE TABLE t7 (n bigint);
-- case: prefer-bigint-over-smallint/neg/2
CREATE TABLE t7 (flag boolean);
-- case: prefer-identity/pos/1
CREATE TABLE t8 (id bigserial PRIMARY KEY);
-- case: prefer-identity/pos/2
CREATE TABLE t8 (id serial);
-- case: prefer-identity/pos/3
ALTER TABLE users ADD COLUMN seq serial8;
-- case: prefer-identity/neg/1
CREATE TABLE t8 (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);
-- case: prefer-identity/neg/2
CREATE TABLE t8 (id bigint GENERATED ALWAYS AS IDENTITY);
-- case: prefer-identity/neg/3
CREATE SEQUENCE t8_seq;
-- case: prefer-text-field/pos/1
CREATE TABLE t9 (name varchar(100));
-- case: prefer-text-field/pos/2
ALTER TABLE users ADD COLUMN nick character varying(40);
-- case: prefer-text-field/pos/3
CREATE TABLE t9 (a varchar(10), b varchar(20));
-- case: prefer-text-field/neg/1
CREATE TABLE t9 (name text);
-- case: prefer-text-field/neg/2
CREATE TABLE t9 (name varchar);
-- case: prefer-text-field/neg/3
CREATE TABLE t9 (name text CHECK (char_length(name) <= 100));
-- case: prefer-timestamp-tz/pos/1
ALTER TABLE users ADD COLUMN seen timestamp;
-- case: prefer-timestamp-tz/pos/2
CREATE TABLE t10 (at timestamp without time zone NOT NULL);
-- case: prefer-timestamp-tz/pos/3
CREATE TABLE t10 (at timestamp(3));
-- case: prefer-timestamp-tz/pos/4
ALTER TABLE users ALTER COLUMN seen TYPE timestamp;
-- case: prefer-timestamp-tz/neg/1
ALTER TABLE users ADD COLUMN seen timestamptz;
-- case: prefer-timestamp-tz/neg/2
CREATE TABLE t10 (at timestamp with time zone);
-- case: prefer-timestamp-tz/neg/3
CREATE TABLE t10 (d date, t time);
-- case: prefer-timestamp-tz/neg/4
CREATE TABLE t10 (at timestamptz(3));
-- case: ban-char-field/pos/1
CREATE TABLE t11 (code char(3));
-- case: ban-char-field/pos/2
ALTER TABLE users ADD COLUMN country character(2);
-- case: ban-char-field/pos/3
CREATE TABLE t11 (flag char);
-- case: ban-char-field/neg/1
CREATE TABLE t11 (code text);
-- case: ban-char-field/neg/2
CREATE TABLE t11 (code varchar(3));
-- case: ban-char-field/neg/3
CREATE TABLE t11 (code "char");
-- case: require-timeout-settings/pos/1
ALTER TABLE users ADD COLUMN d text;
-- case: require-timeout-settings/pos/2
SET statement_timeout = '5s';
ALTER TABLE users ADD COLUMN d text;
-- case: require-timeout-settings/pos/3
DROP TABLE IF EXISTS legacy;
-- case: require-timeout-settings/pos/4
ALTER TABLE users ADD COLUMN d text;
SET lock_timeout = '2s';
-- case: require-timeout-settings/neg/1
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN d text;
-- case: require-timeout-settings/neg/2
SET LOCAL lock_timeout = '2s';
SET LOCAL statement_timeout = '10s';
ALTER TABLE users ADD COLUMN d text;
-- case: require-timeout-settings/neg/3
CREATE TABLE t12 (a bigint);
-- case: require-timeout-settings/neg/4
INSERT INTO users (id) VALUES (1);
-- case: require-timeout-settings/neg/5
SET lock_timeout TO 2000;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
-- case: transaction-nesting/pos/1
BEGIN;
UPDATE users SET a = 1;
COMMIT;
-- case: transaction-nesting/pos/2
START TRANSACTION;
ALTER TABLE users ADD COLUMN z text;
COMMIT;
-- case: transaction-nesting/pos/3
UPDATE users SET a = 1;
COMMIT;
-- case: transaction-nesting/neg/1
-- dbmig:transaction off
BEGIN;
UPDATE users SET a = 1;
COMMIT;
-- case: transaction-nesting/neg/2
UPDATE users SET a = 1;
-- case: transaction-nesting/neg/3
SAVEPOINT s1;
UPDATE users SET a = 1;
RELEASE SAVEPOINT s1;
-- case: mixed/1
SET lock_timeout = '1s';
ALTER TABLE users ADD COLUMN org_id bigint NOT NULL DEFAULT 0;
CREATE INDEX users_org ON users (org_id);
-- case: mixed/2
CREATE TABLE accounts (
    id serial PRIMARY KEY,
    name varchar(255) NOT NULL,
    created_at timestamp NOT NULL DEFAULT now(),
    kind char(1)
);
-- case: mixed/3
ALTER TABLE users
    ADD COLUMN a int,
    ADD COLUMN b timestamp,
    DROP COLUMN c;
-- case: mixed/4
SET lock_timeout = '3s';
ALTER TABLE orders ADD CONSTRAINT orders_total_ck CHECK (total >= 0) NOT VALID;
-- case: mixed/5
-- dbmig:transaction off
SET lock_timeout = '3s';
DROP INDEX CONCURRENTLY IF EXISTS orders_old_idx;
-- case: mixed/6
COMMENT ON COLUMN users.email IS 'the address';
-- case: mixed/7
CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$ LANGUAGE plpgsql;
-- case: mixed/8
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
-- case: mixed/9
CREATE VIEW active AS SELECT * FROM users WHERE deleted_at IS NULL;
-- case: mixed/10
GRANT SELECT ON users TO reporting;
-- case: mixed/11
UPDATE users SET email = lower(email) WHERE email <> lower(email);
-- case: mixed/12
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
-- case: mixed/13
CREATE EXTENSION IF NOT EXISTS pgcrypto;
-- case: mixed/14
ALTER TABLE users ALTER COLUMN email SET DEFAULT '', ALTER COLUMN email DROP NOT NULL;
-- case: mixed/15
CREATE TABLE logs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), msg text) PARTITION BY RANGE (at);
-- case: mixed/16
CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- case: mixed/17
ALTER TABLE users ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';
-- case: mixed/18
ALTER TABLE users ADD COLUMN deleted_at timestamptz, ADD COLUMN deleted_by bigint REFERENCES users (id);
-- case: mixed/19
CREATE TABLE IF NOT EXISTS tags (id bigint PRIMARY KEY, name text NOT NULL UNIQUE, created_at timestamptz DEFAULT now());
-- case: mixed/20
ALTER TABLE users SET (fillfactor = 90);
-- case: mixed/21
ALTER TABLE users ADD COLUMN price money;
-- case: mixed/22
ALTER TABLE users ADD PRIMARY KEY (id);
-- case: mixed/23
ALTER TABLE users ADD CONSTRAINT users_excl EXCLUDE USING gist (during WITH &&);
-- case: mixed/24
ALTER TABLE users ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
-- case: mixed/25
CREATE UNLOGGED TABLE scratch (k text, v text);
-- case: mixed/26
CREATE TEMP TABLE tmp_ids (id int);
-- case: mixed/27
REINDEX INDEX users_email_idx;
-- case: mixed/28
REINDEX INDEX CONCURRENTLY users_email_idx;
-- case: mixed/29
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
-- case: mixed/30
ALTER TABLE users ADD COLUMN id2 serial PRIMARY KEY;
-- case: mixed/31
ALTER TABLE users ADD COLUMN id3 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
-- case: mixed/32
ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
-- case: mixed/33
ALTER TABLE users RENAME COLUMN email TO email_address;
ALTER TABLE users ADD COLUMN email text;
-- case: mixed/34
CREATE INDEX CONCURRENTLY users_lower_email ON users (lower(email));
-- case: mixed/35
ALTER TABLE IF EXISTS users DROP COLUMN IF EXISTS tmp;
-- case: mixed/36
DROP TABLE IF EXISTS tmp_import;
CREATE TABLE tmp_import (id bigint, payload jsonb);
-- case: mixed/37
ALTER TABLE users ALTER COLUMN score TYPE bigint, ALTER COLUMN score SET NOT NULL;
-- case: mixed/38
CREATE TABLE a (id int primary key); CREATE TABLE b (id int references a(id));
-- case: mixed/39
ALTER TABLE users ADD COLUMN uuid uuid NOT NULL DEFAULT gen_random_uuid();
-- case: mixed/40
SELECT 1;
-- case: adding-serial-primary-key-field/pos/1
ALTER TABLE users ADD PRIMARY KEY (id);
-- case: adding-serial-primary-key-field/pos/2
ALTER TABLE users ADD COLUMN pk bigserial PRIMARY KEY;
-- case: adding-serial-primary-key-field/pos/3
ALTER TABLE users ADD CONSTRAINT users_pk PRIMARY KEY (id, org_id);
-- case: adding-serial-primary-key-field/neg/1
ALTER TABLE users ADD CONSTRAINT users_pk PRIMARY KEY USING INDEX users_pk_idx;
-- case: adding-serial-primary-key-field/neg/2
CREATE TABLE t13 (id bigint PRIMARY KEY);
-- case: ban-drop-not-null/pos/1
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
-- case: ban-drop-not-null/pos/2
ALTER TABLE users ALTER email DROP NOT NULL, ALTER name DROP NOT NULL;
-- case: ban-drop-not-null/neg/1
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
-- case: ban-drop-not-null/neg/2
ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
-- case: require-concurrent-reindex/pos/1
REINDEX INDEX users_email_idx;
-- case: require-concurrent-reindex/pos/2
REINDEX TABLE users;
-- case: require-concurrent-reindex/neg/1
REINDEX INDEX CONCURRENTLY users_email_idx;
-- case: require-concurrent-reindex/neg/2
REINDEX (CONCURRENTLY) TABLE users;
-- case: require-concurrent-reindex/neg/3
REINDEX SYSTEM app;
-- case: parse-error/pos/1
ALTER TABLE users FROBNICATE COLUMN x;
-- case: parse-error/pos/2
CREATE TABLE t14 (id bigint,);
-- case: parse-error/neg/1
ALTER TABLE users ADD COLUMN IF NOT EXISTS e text;
-- case: require-timeout-settings/pos/5
DROP VIEW IF EXISTS active_users;
-- case: require-timeout-settings/pos/6
CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();
-- case: require-timeout-settings/pos/7
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
-- case: require-timeout-settings/pos/8
SET lock_timeout = 0;
ALTER TABLE users ADD COLUMN f text;
-- case: require-timeout-settings/pos/9
SET lock_timeout = '1s';
RESET lock_timeout;
ALTER TABLE users ADD COLUMN f text;
-- case: require-timeout-settings/pos/10
REFRESH MATERIALIZED VIEW monthly_totals;
-- case: require-timeout-settings/neg/6
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_f ON users (f);
-- case: require-timeout-settings/neg/7
COMMENT ON TABLE users IS 'people';
-- case: require-timeout-settings/neg/8
ALTER INDEX users_f RENAME TO users_f2;
-- case: require-timeout-settings/neg/9
CREATE TYPE status AS ENUM ('on', 'off');
-- case: prefer-robust-stmts/pos/9
-- dbmig:transaction off
ALTER TABLE users ADD CONSTRAINT users_age_ck CHECK (age >= 0) NOT VALID;
-- case: prefer-robust-stmts/pos/10
-- dbmig:transaction off
ALTER TABLE users DROP CONSTRAINT users_age_ck;
-- case: prefer-robust-stmts/pos/11
-- dbmig:transaction off
ALTER TABLE users RENAME COLUMN a TO b;
-- case: prefer-robust-stmts/neg/9
-- dbmig:transaction off
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_age_ck;
ALTER TABLE users ADD CONSTRAINT users_age_ck CHECK (age >= 0) NOT VALID;
-- case: prefer-robust-stmts/neg/10
-- dbmig:transaction off
ALTER TABLE users ALTER COLUMN email SET DEFAULT '';
-- case: prefer-robust-stmts/neg/11
BEGIN;
CREATE TABLE t15 (id bigint);
COMMIT;
-- case: transaction-nesting/neg/4
BEGIN;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_k ON users (k);
COMMIT;
