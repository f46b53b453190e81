-- dbmig:message A plain reversible revision after the faults (no fault here)

-- dbmig:up
CREATE TABLE settings (
    name  VARCHAR(50)  NOT NULL PRIMARY KEY,
    value VARCHAR(200) NULL
);
CREATE INDEX IF NOT EXISTS settings_value_idx ON settings (value);

-- dbmig:down
DROP INDEX IF EXISTS settings_value_idx;
DROP TABLE settings;

-- dbmig:fixture
INSERT INTO settings (name, value) VALUES ('theme', 'dark'), ('lang', NULL);
