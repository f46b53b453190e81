-- dbmig:parents 001
CREATE TABLE a (x INT);
