-- dbmig:message DROP TABLE IF EXISTS

-- dbmig:up
DROP TABLE IF EXISTS conf_gone;
DROP TABLE IF EXISTS conf_gone;
DROP TABLE IF EXISTS conf_never;

-- dbmig:down
CREATE TABLE IF NOT EXISTS conf_gone (id INTEGER NOT NULL PRIMARY KEY);
