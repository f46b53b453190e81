-- dbmig:message FAULT 5: a clean-up that loses a fixture row of 006

-- dbmig:up
ALTER TABLE orders ADD COLUMN note VARCHAR(100) NULL;
DELETE FROM orders WHERE total < 100;

-- dbmig:down
ALTER TABLE orders DROP COLUMN note;
