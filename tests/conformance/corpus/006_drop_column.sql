-- dbmig:message ALTER TABLE t DROP COLUMN IF EXISTS c

-- dbmig:up
ALTER TABLE conf_b DROP COLUMN IF EXISTS temp;
ALTER TABLE conf_b DROP COLUMN IF EXISTS temp;
ALTER TABLE conf_b DROP COLUMN IF EXISTS never_col;
-- the plain form still works everywhere
ALTER TABLE conf_b DROP COLUMN temp2;

-- dbmig:down
ALTER TABLE conf_b ADD COLUMN IF NOT EXISTS temp2 INTEGER NULL;
ALTER TABLE conf_b ADD COLUMN IF NOT EXISTS temp VARCHAR(10) NULL;
