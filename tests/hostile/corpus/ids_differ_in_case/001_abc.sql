-- dbmig:revision abc
CREATE TABLE a (x INT);
