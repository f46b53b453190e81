-- dbmig:message FAULT 3: the down drops the wrong table (notes instead of tags)

-- dbmig:up
CREATE TABLE IF NOT EXISTS tags (
    id    INTEGER     NOT NULL PRIMARY KEY,
    label VARCHAR(50) NOT NULL
);

-- dbmig:down
DROP TABLE notes;
