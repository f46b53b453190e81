-- dbmig:up
CREATE TABLE t (a INT);  
-- dbmig:down
DROP TABLE t;
