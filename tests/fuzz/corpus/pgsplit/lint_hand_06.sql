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
