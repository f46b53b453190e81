-- dbmig:message Accounts and notes, with fixture rows (no fault here)

-- dbmig:up
CREATE TABLE accounts (
    id    INTEGER      NOT NULL PRIMARY KEY,
    email VARCHAR(100) NOT NULL,
    name  VARCHAR(100) NULL
);
CREATE TABLE notes (
    id   INTEGER      NOT NULL PRIMARY KEY,
    body VARCHAR(200) NULL
);

-- dbmig:down
DROP TABLE notes;
DROP TABLE accounts;

-- dbmig:fixture
INSERT INTO accounts (id, email, name) VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@example.com', 'Bob'), (3, 'cy@example.com', NULL);
