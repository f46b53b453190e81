-- dbmig:revision abc
-- dbmig:parents base
-- dbmig:message hello
-- dbmig:branch feat
-- dbmig:depends x
-- dbmig:transaction off
-- dbmig:up postgres
CREATE INDEX CONCURRENTLY i ON t (a);
-- dbmig:up
CREATE INDEX i ON t (a);
-- dbmig:down
DROP INDEX i;
