-- dbmig:transaction maybe
CREATE TABLE a (x INT);
