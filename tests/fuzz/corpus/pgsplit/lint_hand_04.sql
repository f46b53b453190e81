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
