-- dbmig:up
-- dbmig:statement begin
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
-- dbmig:statement end
