CREATE TABLE a (x INT);
/* abc; SELECT 1;
