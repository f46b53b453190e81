-- dbmig:message FAULT 4: the verify section fails (the up forgot a column)

-- dbmig:up
CREATE TABLE audit (
    id   INTEGER      NOT NULL PRIMARY KEY,
    what VARCHAR(100) NOT NULL
);

-- dbmig:down
DROP TABLE audit;

-- dbmig:verify
SELECT id, what FROM audit WHERE 1 = 0;
SELECT who FROM audit WHERE 1 = 0;
