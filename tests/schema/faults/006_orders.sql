-- dbmig:message Orders, with fixture rows (no fault here)

-- dbmig:up
CREATE TABLE orders (
    id         INTEGER NOT NULL PRIMARY KEY,
    account_id INTEGER NOT NULL,
    total      INTEGER NOT NULL
);

-- dbmig:down
DROP TABLE orders;

-- dbmig:verify
SELECT id, account_id, total FROM orders WHERE 1 = 0;

-- dbmig:fixture
INSERT INTO orders (id, account_id, total) VALUES (1, 1, 100), (2, 1, 250), (3, 2, 75);
