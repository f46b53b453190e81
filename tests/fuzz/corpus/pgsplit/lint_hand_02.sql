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
