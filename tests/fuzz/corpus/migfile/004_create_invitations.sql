-- dbmig:up
CREATE TABLE IF NOT EXISTS invitations (
    id              VARCHAR(36)  NOT NULL PRIMARY KEY,
    organization_id VARCHAR(36)  NOT NULL,
    email           VARCHAR(255) NOT NULL,
    role            VARCHAR(32)  NOT NULL DEFAULT 'member',
    token_hash      VARCHAR(64)  NOT NULL,           -- SHA-256 hex of the emailed token
    invited_by      VARCHAR(36)  NULL,
    created_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at      TIMESTAMP    NOT NULL,
    accepted_at     TIMESTAMP    NULL,
    CONSTRAINT invitations_org_fk FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT invitations_inviter_fk FOREIGN KEY (invited_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS invitations_token_uq ON invitations (token_hash);
CREATE INDEX IF NOT EXISTS invitations_org_email_idx ON invitations (organization_id, email);

-- dbmig:down
DROP TABLE IF EXISTS invitations;
