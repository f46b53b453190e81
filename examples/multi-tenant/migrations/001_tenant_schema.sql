-- dbmig:placeholders on
-- dbmig:message the tenant's schema and its customers
-- dbmig:up
CREATE SCHEMA ${schema};
CREATE TABLE ${schema}.customers (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- dbmig:down
DROP TABLE ${schema}.customers;
DROP SCHEMA ${schema};
