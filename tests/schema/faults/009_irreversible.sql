-- dbmig:message One-way on purpose: marked irreversible (no fault here)
-- dbmig:irreversible

-- dbmig:up
CREATE TABLE legacy_import (
    id INTEGER NOT NULL PRIMARY KEY
);
