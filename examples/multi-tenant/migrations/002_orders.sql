-- dbmig:placeholders on
-- dbmig:message orders, and a function that totals a customer's
-- dbmig:up
CREATE TABLE ${schema}.orders (
    id BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES ${schema}.customers (id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0)
);
CREATE INDEX orders_customer ON ${schema}.orders (customer_id);
-- The function body is dollar-quoted: placeholders are substituted in it
-- too, so the tenant's schema is fixed in the function (a body that needs
-- a literal dollar-brace writes $${ for it).
CREATE FUNCTION ${schema}.customer_total(c BIGINT) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(SUM(amount_cents), 0) FROM ${schema}.orders WHERE customer_id = c
$$;
-- dbmig:down
DROP FUNCTION ${schema}.customer_total(BIGINT);
DROP TABLE ${schema}.orders;
