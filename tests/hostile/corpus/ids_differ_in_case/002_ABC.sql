-- dbmig:revision ABC
CREATE TABLE b (x INT);
