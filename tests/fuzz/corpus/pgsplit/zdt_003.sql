-- Release 1, after the deploy (phase 3 of 6): app v2 now writes both
-- columns (phase 2), so only older rows still lack full_name. The keyset
-- batch walks users.id from its minimum to its maximum 1000 ids at a time,
-- each batch a short transaction of its own committed with its progress:
-- no long lock, no long transaction, and a stopped run resumes where it
-- stopped. `full_name IS NULL` keeps what v2 wrote and makes a batch safe
-- to run twice.
-- dbmig:message backfill users.full_name from users.name
-- dbmig:phase post
-- dbmig:up
-- dbmig:batch by id size 1000
UPDATE users SET full_name = name
 WHERE id >= :lo AND id < :hi AND full_name IS NULL;
-- dbmig:down
-- nothing to undo: the copied values are harmless
