-- dbmig:up
CREATE TABLE IF NOT EXISTS users (
    id                VARCHAR(36)  NOT NULL PRIMARY KEY,
    email             VARCHAR(255) NOT NULL,
    full_name         VARCHAR(255) NULL,
    password_hash     VARCHAR(255) NULL,           -- NULL for SSO-only accounts
    is_staff          BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    email_verified_at TIMESTAMP    NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS users_email_uq ON users (email);

-- dbmig:down
DROP TABLE IF EXISTS users;
