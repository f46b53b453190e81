-- dbmig:statement begin
anything; at all;
-- dbmig:statement end
SELECT 1;
