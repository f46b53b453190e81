-- dbmig:branch 001
CREATE TABLE b (x INT);
