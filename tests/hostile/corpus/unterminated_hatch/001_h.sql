-- dbmig:statement begin
CREATE TABLE a (x INT);
