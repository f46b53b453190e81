-- dbmig:revision HEAD
CREATE TABLE a (x INT);
