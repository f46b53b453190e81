-- dbmig:up
-- Remember which invitation a membership came from, and fill it in for the
-- memberships that already exist (the accepted invitation of the same
-- organization and e-mail address; MAX() picks one deterministically if
-- there are several).
ALTER TABLE memberships ADD COLUMN invitation_id VARCHAR(36) NULL;

UPDATE memberships
   SET invitation_id = (
           SELECT MAX(i.id)
             FROM invitations i
             JOIN users u ON u.email = i.email
            WHERE i.organization_id = memberships.organization_id
              AND u.id = memberships.user_id
              AND i.accepted_at IS NOT NULL)
 WHERE invitation_id IS NULL;

-- dbmig:down
ALTER TABLE memberships DROP COLUMN invitation_id;
