-- dbmig:revision ../../etc/passwd
CREATE TABLE a (x INT);
