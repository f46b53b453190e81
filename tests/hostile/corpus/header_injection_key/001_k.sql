-- dbmig:up; DROP TABLE x
CREATE TABLE a (x INT);
-- dbmig:evil yes
