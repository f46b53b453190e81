-- dbmig:parents 001
CREATE TABLE b (x INT);
