-- dbmig:message Third-party integrations (Slack, GitHub, ...) per organization

-- dbmig:up
CREATE TABLE IF NOT EXISTS integrations (
    id              VARCHAR(36)  NOT NULL PRIMARY KEY,
    organization_id VARCHAR(36)  NOT NULL,
    provider        VARCHAR(64)  NOT NULL,           -- 'slack', 'github', 'pagerduty', ...
    external_id     VARCHAR(255) NULL,               -- the workspace / installation id at the provider
    settings        TEXT         NULL,               -- JSON, validated by the application
    is_enabled      BOOLEAN      NOT NULL DEFAULT TRUE,
    created_by      VARCHAR(36)  NULL,
    created_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT integrations_org_fk FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT integrations_creator_fk FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS integrations_org_provider_uq ON integrations (organization_id, provider);

-- dbmig:down
DROP TABLE IF EXISTS integrations;
