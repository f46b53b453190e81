-- dbmig:parents 999
CREATE TABLE a (x INT);
