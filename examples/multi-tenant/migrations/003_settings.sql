-- dbmig:placeholders on
-- dbmig:message per-tenant settings, seeded with the tenant's plan
-- dbmig:up
CREATE TABLE ${schema}.settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- A value used as data goes inside quotes: a quote in it would be refused
-- (it would change where the statement ends), so plans are plain words.
INSERT INTO ${schema}.settings (key, value) VALUES ('plan', '${plan}');
-- dbmig:down
DROP TABLE ${schema}.settings;
