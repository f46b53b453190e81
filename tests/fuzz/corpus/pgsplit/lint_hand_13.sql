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
