-- Release 2, after the deploy (phase 6 of 6): no running code reads
-- users.name any more. Dropping a column only changes the catalogue in
-- PostgreSQL (the space is reclaimed as rows are rewritten).
-- dbmig:message drop users.name
-- dbmig:phase post
-- dbmig:irreversible
-- dbmig:up
-- dbmig:destructive drops column users.name
ALTER TABLE users DROP COLUMN name;
