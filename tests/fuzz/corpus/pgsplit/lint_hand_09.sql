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
