-- dbmig:up
CREATE TABLE a (x INT);
-- dbmig:revision other
