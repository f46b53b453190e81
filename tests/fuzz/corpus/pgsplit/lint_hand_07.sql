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
