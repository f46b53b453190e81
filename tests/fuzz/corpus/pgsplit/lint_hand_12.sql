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
