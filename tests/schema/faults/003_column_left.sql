-- dbmig:message FAULT 2: the down leaves the column the up adds

-- dbmig:up
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS nickname VARCHAR(50) NULL;

-- dbmig:down
-- (should be: ALTER TABLE accounts DROP COLUMN nickname)
