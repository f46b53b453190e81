-- dbmig:message FAULT 7: no down section, and not marked irreversible

-- dbmig:up
CREATE INDEX IF NOT EXISTS orders_account_idx ON orders (account_id);
