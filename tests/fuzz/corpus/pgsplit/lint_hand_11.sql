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
