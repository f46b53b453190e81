/* fuzz_split.c — the statement splitter, the same input in every dialect.
 * Invariants: success or DBMIG_EINVALID with a "<file>:<line>" message;
 * statements are non-empty, NUL-terminated at their length, their lines
 * increase and lie inside the input; on failure the list is untouched. */
#include "fuzz_common.h"
#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (int d = DBMIG_DIALECT_GENERIC; d <= DBMIG_DIALECT_SQLITE; d++) {
        dm_stmt_list l = {0};
        dm_err e = {0};
        int rc = dm_split((const char *)data, size, d, 1, "fuzz.sql", &l, &e);
        if (rc != 0) {
            FZ_CHECK(rc == DBMIG_EINVALID || rc == DBMIG_ERROR);
            FZ_CHECK(strstr(dm_err_msg(&e), "fuzz.sql") != NULL);
            FZ_CHECK(l.n == 0);
        }
        int prev = 0;
        for (size_t i = 0; i < l.n; i++) {
            FZ_CHECK(l.v[i].sql && l.v[i].len > 0 && strlen(l.v[i].sql) <= l.v[i].len);
            FZ_CHECK(l.v[i].line >= prev && l.v[i].line <= lines);
            prev = l.v[i].line;
        }
        dm_stmt_list_free(&l);
        dm_err_free(&e);
    }
    return 0;
}
