-- dbmig:message Track each user's last sign-in

-- dbmig:up
ALTER TABLE users ADD COLUMN last_login_at TIMESTAMP NULL;

-- dbmig:down
ALTER TABLE users DROP COLUMN last_login_at;
