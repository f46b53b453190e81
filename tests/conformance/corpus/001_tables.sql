-- dbmig:message CREATE TABLE IF NOT EXISTS and DROP TABLE IF EXISTS
-- Conformance corpus (SPEC section 9): every statement below is written once
-- for all databases. Each IF [NOT] EXISTS form appears twice in a row: the
-- second must be a no-op. conformance.sh also re-applies the whole corpus
-- over the finished schema (stamp base + upgrade head).

-- dbmig:up
CREATE TABLE IF NOT EXISTS conf_a (
    id    INTEGER      NOT NULL PRIMARY KEY,
    email VARCHAR(100) NOT NULL,
    name  VARCHAR(100) NULL,
    team  INTEGER      NULL
);
-- the same name again, even with another body: nothing happens
CREATE TABLE IF NOT EXISTS conf_a (id INTEGER NOT NULL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS conf_b (
    id   INTEGER     NOT NULL PRIMARY KEY,
    a_id INTEGER     NOT NULL,
    note VARCHAR(50) NULL
);
CREATE TABLE IF NOT EXISTS conf_gone (id INTEGER NOT NULL PRIMARY KEY);

-- dbmig:down
DROP TABLE IF EXISTS conf_gone;
DROP TABLE IF EXISTS conf_b;
DROP TABLE IF EXISTS conf_b;
DROP TABLE IF EXISTS conf_a;
