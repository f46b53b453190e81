-- Release 1, before the deploy (phase 1 of 6): the new column, nullable and
-- without a default, so adding it only changes the catalogue: no rewrite,
-- no scan, a lock held for milliseconds. App v1 keeps working: it does not
-- know the column and leaves it NULL.
-- dbmig:message add users.full_name (nullable)
-- dbmig:up
ALTER TABLE users ADD COLUMN full_name text;
-- dbmig:down
-- dbmig:destructive drops column users.full_name
ALTER TABLE users DROP COLUMN full_name;
