-- dbmig:message Link users to organizations with a role

-- dbmig:up
CREATE TABLE IF NOT EXISTS memberships (
    id              VARCHAR(36) NOT NULL PRIMARY KEY,
    organization_id VARCHAR(36) NOT NULL,
    user_id         VARCHAR(36) NOT NULL,
    role            VARCHAR(32) NOT NULL DEFAULT 'member',
    created_at      TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT memberships_role_ck CHECK (role IN ('owner', 'admin', 'member', 'billing')),
    CONSTRAINT memberships_org_fk FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT memberships_user_fk FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

-- one membership per user and organization; also serves look-ups by organization
CREATE UNIQUE INDEX IF NOT EXISTS memberships_org_user_uq ON memberships (organization_id, user_id);
CREATE INDEX IF NOT EXISTS memberships_user_idx ON memberships (user_id);

-- dbmig:down
DROP TABLE IF EXISTS memberships;
