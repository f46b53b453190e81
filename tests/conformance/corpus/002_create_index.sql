-- dbmig:message CREATE [UNIQUE] INDEX IF NOT EXISTS i ON t (...)

-- dbmig:up
CREATE INDEX IF NOT EXISTS conf_a_name_idx ON conf_a (name);
CREATE INDEX IF NOT EXISTS conf_a_name_idx ON conf_a (name);
CREATE UNIQUE INDEX IF NOT EXISTS conf_a_email_uq ON conf_a (email);
CREATE UNIQUE INDEX IF NOT EXISTS conf_a_email_uq ON conf_a (email);
create index if not exists conf_b_multi_idx on conf_b (a_id, note);
CREATE INDEX IF NOT EXISTS conf_b_multi_idx
    ON conf_b (a_id, note);
-- a plain CREATE INDEX, dropped without IF EXISTS in 004
CREATE INDEX conf_b_note_idx ON conf_b (note);

-- dbmig:down
DROP INDEX IF EXISTS conf_b_note_idx;
DROP INDEX IF EXISTS conf_b_multi_idx;
DROP INDEX IF EXISTS conf_a_email_uq;
DROP INDEX IF EXISTS conf_a_name_idx;
DROP INDEX IF EXISTS conf_a_name_idx;
