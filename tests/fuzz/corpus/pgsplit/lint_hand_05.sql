-- case: adding-foreign-key-constraint/pos/3
ALTER TABLE users ADD COLUMN team_id bigint REFERENCES teams (id);
-- case: adding-foreign-key-constraint/pos/4
ALTER TABLE users ADD COLUMN team_id bigint CONSTRAINT users_team_fk REFERENCES teams;
-- case: adding-foreign-key-constraint/neg/1
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;
-- case: adding-foreign-key-constraint/neg/2
ALTER TABLE users VALIDATE CONSTRAINT users_org_fk;
-- case: adding-foreign-key-constraint/neg/3
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
-- case: adding-foreign-key-constraint/neg/4
CREATE TABLE items (id bigint, order_id bigint);
ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
-- case: constraint-missing-not-valid/pos/1
ALTER TABLE users ADD CONSTRAINT users_age_ck CHECK (age >= 0);
-- case: constraint-missing-not-valid/pos/2
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
-- case: constraint-missing-not-valid/pos/3
ALTER TABLE users ADD CONSTRAINT c2 CHECK (id > 0) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT c2;
-- case: constraint-missing-not-valid/pos/4
ALTER TABLE users ADD CHECK (char_length(name) < 200);
-- case: constraint-missing-not-valid/neg/1
ALTER TABLE users ADD CONSTRAINT users_age_ck CHECK (age >= 0) NOT VALID;
-- case: constraint-missing-not-valid/neg/2
ALTER TABLE users VALIDATE CONSTRAINT users_age_ck;
-- case: constraint-missing-not-valid/neg/3
-- dbmig:transaction off
ALTER TABLE users ADD CONSTRAINT IF NOT EXISTS c3 CHECK (id > 0) NOT VALID;
-- case: constraint-missing-not-valid/neg/4
CREATE TABLE prices (id bigint, amount numeric);
ALTER TABLE prices ADD CONSTRAINT prices_pos CHECK (amount > 0);
-- case: disallowed-unique-constraint/pos/1
ALTER TABLE users ADD CONSTRAINT users_email_uq UNIQUE (email);
