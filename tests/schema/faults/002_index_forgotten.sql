-- dbmig:message FAULT 1: the down forgets the index the up creates

-- dbmig:up
CREATE INDEX IF NOT EXISTS accounts_email_idx ON accounts (email);

-- dbmig:down
-- (should be: DROP INDEX accounts_email_idx)
