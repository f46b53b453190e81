-- dbmig:up
CREATE TABLE a (x INT);
-- dbmig:up
SELECT 1;
