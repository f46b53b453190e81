-- Release 1, after the backfill (phase 4 of 6). A plain SET NOT NULL scans
-- the whole table under an ACCESS EXCLUSIVE lock. Instead: a CHECK
-- constraint added NOT VALID (instant), validated under a lock that lets
-- reads and writes go on, after which SET NOT NULL (PostgreSQL 12 and
-- later) sees the valid constraint and skips the scan. Each statement
-- commits on its own (transaction off), otherwise the first statement's
-- lock would be held through the validation; dbmig records each one, so
-- a stopped run continues with `dbmig upgrade --resume`.
-- dbmig:message users.full_name NOT NULL
-- dbmig:phase post
-- dbmig:transaction off
-- dbmig:up
ALTER TABLE users ADD CONSTRAINT users_full_name_not_null
    CHECK (full_name IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_full_name_not_null;
ALTER TABLE users ALTER COLUMN full_name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_full_name_not_null;
-- dbmig:down
ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;
