-- dbmig:message Create the organizations table (one row per tenant)

-- dbmig:up
CREATE TABLE IF NOT EXISTS organizations (
    id         VARCHAR(36)  NOT NULL PRIMARY KEY,   -- a UUID assigned by the application
    slug       VARCHAR(63)  NOT NULL,
    name       VARCHAR(255) NOT NULL,
    is_active  BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX IF NOT EXISTS organizations_slug_uq ON organizations (slug);

-- dbmig:down
DROP TABLE IF EXISTS organizations;
