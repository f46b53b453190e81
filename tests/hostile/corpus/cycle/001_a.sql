-- dbmig:parents 002
CREATE TABLE a (x INT);
