-- dbmig:revision ..
CREATE TABLE a (x INT);
