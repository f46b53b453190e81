-- dbmig:revision a'b
CREATE TABLE a (x INT);
