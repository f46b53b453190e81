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
