-- dbmig:message FAULT 8: an up that only worked on the author's database
-- dbmig:parents 010

-- dbmig:up
INSERT INTO plans_from_my_laptop (id) VALUES (1);

-- dbmig:down
DELETE FROM plans_from_my_laptop WHERE id = 1;
