-- dbmig:message FAULT 6: a second head (a branch from 001 nobody merged)
-- dbmig:parents 001

-- dbmig:up
CREATE TABLE side_notes (
    id INTEGER NOT NULL PRIMARY KEY
);

-- dbmig:down
DROP TABLE side_notes;
