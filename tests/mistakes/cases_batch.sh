# -- dbmig:batch (SPEC section 14, issue 17): every mistake in the marker or
# in the statement it marks is exit 3 naming file:line and the fix, found
# before anything runs (the bad file is the third of five, and nothing of
# the first two may be applied). Marker mistakes are found when the folder
# is read (upgrade and check); a statement that cannot be batched when the
# statements are split (upgrade). Sourced by run.sh.

# _batch_file MARKER STATEMENT: 003_c.sql creates c, then MARKER above
# STATEMENT.
_batch_five() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER);
$1
$2"
}

m_batch_unknown_word() {
    _batch_five "-- dbmig:batch by id chunk 100" "UPDATE c SET v = 1 WHERE id >= :lo AND id < :hi;"
    _refused "003_c.sql:3:" "unknown word 'chunk'" "-- dbmig:batch by COLUMN size N"
}

m_batch_size_zero() {
    _batch_five "-- dbmig:batch by id size 0" "UPDATE c SET v = 1 WHERE id >= :lo AND id < :hi;"
    _refused "003_c.sql:3:" "size '0' is not a positive integer"
}

m_batch_size_too_large() {
    # a size past the 64-bit range is a valid number, too large: said so
    _batch_five "-- dbmig:batch by id size 99999999999999999999" "UPDATE c SET v = 1 WHERE id >= :lo AND id < :hi;"
    _refused "003_c.sql:3:" "size '99999999999999999999' is not a positive integer of 64 bits: it is too large (at most 9223372036854775807)"
}

m_batch_by_without_size() {
    _batch_five "-- dbmig:batch by id" "UPDATE c SET v = 1 WHERE id >= :lo AND id < :hi;"
    _refused "003_c.sql:3:" "\`by\` needs \`size N\`"
}

m_batch_marks_nothing() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER);
-- dbmig:batch
-- dbmig:down
DROP TABLE c;"
    _refused "003_c.sql:3:" "marks no statement"
}

m_batch_in_header() {
    _mk_five "-- dbmig:batch
-- dbmig:message c
-- dbmig:up
CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER);"
    _refused "003_c.sql:1:" "in the header"
}

m_batch_twice() {
    _batch_five "-- dbmig:batch
-- dbmig:batch" "DELETE FROM c WHERE id IN (SELECT id FROM c LIMIT 10);"
    _refused "003_c.sql:4:" "a second -- dbmig:batch marker" "first is at line 3"
}

m_batch_in_verify() {
    _mk_five "-- dbmig:up
CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER);
-- dbmig:verify
-- dbmig:batch
SELECT 1 FROM c;"
    _refused "003_c.sql:4:" "not of a verify section"
}

m_batch_not_dml() {
    _batch_five "-- dbmig:batch" "CREATE INDEX c_v ON c (v);"
    mistake 3 "003_c.sql:4:" "not INSERT, UPDATE or DELETE" -- upgrade
    expect_applied "" "a batched CREATE INDEX"
}

m_batch_keyset_without_hi() {
    _batch_five "-- dbmig:batch by id size 10" "UPDATE c SET v = 1 WHERE id >= :lo;"
    mistake 3 "003_c.sql:4:" "without :hi" "WHERE id >= :lo AND id < :hi" -- upgrade
    expect_applied "" "a keyset statement without :hi"
}

m_batch_keyset_in_quotes_only() {
    # a placeholder inside a string or a comment is text, not a placeholder
    _batch_five "-- dbmig:batch by id size 10" "UPDATE c SET v = ':lo' /* :hi */ WHERE id > 0;"
    mistake 3 "003_c.sql:4:" "without :lo and :hi" -- upgrade
    expect_applied "" "placeholders only inside quotes"
}

m_batch_plain_with_lo() {
    _batch_five "-- dbmig:batch" "UPDATE c SET v = 1 WHERE id >= :lo AND id < :hi;"
    mistake 3 "003_c.sql:4:" "uses :lo and :hi" "plain" -- upgrade
    expect_applied "" "a plain batch with :lo"
}

m_batch_keyset_no_table() {
    _batch_five "-- dbmig:batch by id size 10" "INSERT INTO c (id, v) SELECT id + 1000, v FROM c WHERE id >= :lo AND id < :hi;"
    mistake 3 "003_c.sql:4:" "from TABLE" -- upgrade
    expect_applied "" "an INSERT ... SELECT without from"
}

m_batch_inside_statement() {
    _batch_five "" "UPDATE c SET v = 1
-- dbmig:batch
WHERE id IN (SELECT id FROM c LIMIT 10);"
    mistake 3 "003_c.sql:5:" "inside the statement that starts at line 4" -- upgrade
    expect_applied "" "a marker inside a statement"
}

m_batch_offline_script() {
    # --sql cannot loop over batches nor record them: refused, naming it
    _batch_five "-- dbmig:batch" "DELETE FROM c WHERE id IN (SELECT id FROM c LIMIT 10);"
    mistake 2 "cannot write an offline script of revision 003" "apply it online" -- --sql upgrade
}

m_batch_single_transaction() {
    # each batch commits alone: --single-transaction is refused, naming the
    # statement and its marker's line
    _batch_five "-- dbmig:batch" "DELETE FROM c WHERE id IN (SELECT id FROM c LIMIT 10);"
    if [ "$DB_KIND" = mysql ]; then # no transactional DDL: refused before the files matter
        mistake 2 "--single-transaction needs transactional DDL, which driver mysql does not have" \
            -- upgrade --single-transaction
        expect_applied "" "--single-transaction on MySQL"
        return
    fi
    mistake 2 "cannot include revision 003" "003_c.sql:4 is marked -- dbmig:batch (line 3)" \
        -- upgrade --single-transaction
    expect_applied "" "a batch revision under --single-transaction"
}

m_batch_unknown_placeholder() {
    # SQLite would bind a misspelt :lo as NULL (0 rows, "applied"): refused
    _batch_five "-- dbmig:batch by id size 10" "UPDATE c SET v = 1 WHERE id >= :lo AND id < :hi AND :lowest = 1;"
    mistake 3 "003_c.sql:4:" ":lowest in the statement marked -- dbmig:batch (line 3)" "only :lo and :hi" -- upgrade
    expect_applied "" "a misspelt placeholder"
}

# Found when the batch statement starts (the column's range is read then):
# the marker's file:line, and no dirty row is left behind.
m_batch_keyset_unknown_column() {
    mkmig "$MIG" 001_c "-- dbmig:up
CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER);
INSERT INTO c (id, v) VALUES (1, 0);"
    dbm upgrade; expect_exit 0
    mkmig "$MIG" 002_fill "-- dbmig:up
-- dbmig:batch by nosuch size 10
UPDATE c SET v = 1 WHERE nosuch >= :lo AND nosuch < :hi;"
    mistake 1 "002_fill.sql:2: -- dbmig:batch by nosuch (line 2) cannot read the range" \
        "nothing of 002 was applied" -- upgrade
    dbm status
    expect_contains out "pending  002"
    expect_contains out "0 dirty"
}
