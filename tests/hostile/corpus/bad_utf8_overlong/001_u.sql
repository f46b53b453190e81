CREATE TABLE a (x INT); -- À¯
