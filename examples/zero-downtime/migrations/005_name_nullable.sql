-- Release 2, before the deploy: app v3 (phase 5 of 6) reads and writes
-- full_name only, so its inserts leave users.name out, which NOT NULL
-- would refuse. Relaxing the constraint is instant and v2, still running
-- until the deploy, is not affected.
-- dbmig:message users.name nullable (v3 stops writing it)
-- dbmig:up
ALTER TABLE users ALTER COLUMN name DROP NOT NULL;
-- dbmig:down
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
