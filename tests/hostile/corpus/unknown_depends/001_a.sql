-- dbmig:depends nope
CREATE TABLE a (x INT);
