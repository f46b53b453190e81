-- dbmig:message CREATE INDEX CONCURRENTLY (outside a transaction on PostgreSQL, keyword dropped elsewhere)

-- dbmig:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS conf_b_aid_idx ON conf_b (a_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS conf_b_aid_idx ON conf_b (a_id);

-- dbmig:down
DROP INDEX IF EXISTS conf_b_aid_idx;
