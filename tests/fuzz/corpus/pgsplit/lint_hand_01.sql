-- tests/lint/corpus/hand.sql — hand-written PostgreSQL cases for the
-- agreement with squawk (bench/lint_squawk.sh, tests/lint/agree.py).
-- A case starts at a `-- case: NAME` line and runs to the next one; it
-- becomes one migration file (dbmig) and one .sql file (squawk). Names say
-- which rule the case aims at and whether it should fire (pos) or is a
-- near miss (neg); the comparison does not read them. A case whose first
-- line is `-- dbmig:transaction off` runs outside a transaction (squawk is
-- then run without --assume-in-transaction).

-- case: renaming-column/pos/1
ALTER TABLE users RENAME COLUMN email TO mail;
-- case: renaming-column/pos/2
ALTER TABLE public.users RENAME email TO mail;
-- case: renaming-column/pos/3
ALTER TABLE IF EXISTS "Users" RENAME COLUMN "Email" TO "Mail";
-- case: renaming-column/neg/1
ALTER TABLE users ADD COLUMN mail text;
-- case: renaming-column/neg/2
ALTER INDEX users_email_idx RENAME TO users_mail_idx;
-- case: renaming-column/neg/3
ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_mail_key;
-- case: renaming-table/pos/1
ALTER TABLE users RENAME TO people;
-- case: renaming-table/pos/2
ALTER TABLE IF EXISTS app.users RENAME TO people;
-- case: renaming-table/neg/1
ALTER SEQUENCE users_id_seq RENAME TO people_id_seq;
-- case: renaming-table/neg/2
ALTER VIEW active_users RENAME TO live_users;
-- case: renaming-table/neg/3
ALTER TABLE users RENAME COLUMN a TO b;
-- case: adding-required-field/pos/1
ALTER TABLE users ADD COLUMN org_id bigint NOT NULL;
-- case: adding-required-field/pos/2
ALTER TABLE users ADD org_id bigint NOT NULL;
-- case: adding-required-field/pos/3
ALTER TABLE users ADD COLUMN IF NOT EXISTS flags integer NOT NULL;
-- case: adding-required-field/pos/4
ALTER TABLE users ADD COLUMN code text NOT NULL DEFAULT NULL;
-- case: adding-required-field/neg/1
ALTER TABLE users ADD COLUMN org_id bigint NOT NULL DEFAULT 0;
-- case: adding-required-field/neg/2
ALTER TABLE users ADD COLUMN org_id bigint;
