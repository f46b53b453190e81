-- dbmig:message DROP INDEX [IF EXISTS] i (MySQL: the table looked up, ON t added)

-- dbmig:up
DROP INDEX conf_b_note_idx;
DROP INDEX IF EXISTS conf_a_name_idx;
DROP INDEX IF EXISTS conf_a_name_idx;
DROP INDEX IF EXISTS conf_never_idx;

-- dbmig:down
CREATE INDEX IF NOT EXISTS conf_b_note_idx ON conf_b (note);
CREATE INDEX IF NOT EXISTS conf_a_name_idx ON conf_a (name);
