-- dbmig:up
CREATE TABLE IF NOT EXISTS api_keys (
    id              VARCHAR(36)   NOT NULL PRIMARY KEY,
    organization_id VARCHAR(36)   NOT NULL,
    name            VARCHAR(255)  NOT NULL,
    key_prefix      VARCHAR(16)   NOT NULL,          -- shown in the UI: 'sk_live_ab12'
    key_hash        VARCHAR(128)  NOT NULL,          -- the secret itself is never stored
    scopes          VARCHAR(1024) NOT NULL DEFAULT 'read',
    created_by      VARCHAR(36)   NULL,
    created_at      TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at      TIMESTAMP     NULL,
    revoked_at      TIMESTAMP     NULL,
    CONSTRAINT api_keys_org_fk FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_creator_fk FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS api_keys_prefix_uq ON api_keys (key_prefix);
CREATE INDEX IF NOT EXISTS api_keys_org_idx ON api_keys (organization_id);

-- dbmig:down
DROP TABLE IF EXISTS api_keys;
