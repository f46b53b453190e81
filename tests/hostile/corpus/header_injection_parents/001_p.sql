-- dbmig:parents base; DROP TABLE dbmig_version
CREATE TABLE a (x INT);
