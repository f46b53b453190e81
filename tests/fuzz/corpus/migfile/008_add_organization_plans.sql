-- dbmig:up
-- Billing plans. Every existing organization starts on 'free'; those that
-- already have more than five members are moved to 'team' so that nobody
-- loses access when seat limits start being enforced.
ALTER TABLE organizations ADD COLUMN plan VARCHAR(32) NOT NULL DEFAULT 'free';
ALTER TABLE organizations ADD COLUMN seat_limit INTEGER NULL;

UPDATE organizations
   SET plan = 'team'
 WHERE id IN (SELECT organization_id
                FROM memberships
               GROUP BY organization_id
              HAVING COUNT(*) > 5);

UPDATE organizations SET seat_limit = 5 WHERE plan = 'free';

-- dbmig:down
ALTER TABLE organizations DROP COLUMN seat_limit;
ALTER TABLE organizations DROP COLUMN plan;
