/* fuzz_migfile.c — the migration-file parser (header, sections, checksum)
 * and, for every parsed file, the statements of each section in each
 * dialect. Invariants: a parse either succeeds or fails with a message and
 * DBMIG_EINVALID; the checksum is always "v1:" + 64 hex digits. */
#include "fuzz_common.h"
#include "migfile.h"

static void fz_statements(const dm_migfile *mf, int kind, const char *drv)
{
    for (int d = DBMIG_DIALECT_GENERIC; d <= DBMIG_DIALECT_SQLITE; d++) {
        dm_stmt_list l = {0};
        dm_err e = {0};
        int found = 0;
        int rc = dm_migfile_statements(mf, kind, drv, d, &l, &found, &e);
        FZ_CHECK(rc == 0 || (rc == DBMIG_EINVALID && dm_err_msg(&e)[0]));
        for (size_t i = 0; i < l.n; i++)
            FZ_CHECK(l.v[i].sql && strlen(l.v[i].sql) == l.v[i].len && l.v[i].line >= 1);
        dm_stmt_list_free(&l);
        dm_err_free(&e);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char sum[DM_CHECKSUM_LEN + 1];
    dm_checksum((const char *)data, size, sum);
    FZ_CHECK(strlen(sum) == DM_CHECKSUM_LEN && memcmp(sum, "v1:", 3) == 0);

    dm_migfile mf;
    dm_err e = {0};
    int rc = dm_migfile_parse("fuzz/001_input.sql", (const char *)data, size, &mf, &e);
    if (rc != 0) {
        FZ_CHECK(rc == DBMIG_EINVALID || rc == DBMIG_EUSAGE);
        FZ_CHECK(dm_err_msg(&e)[0] != '\0');
        dm_err_free(&e);
        return 0;
    }
    FZ_CHECK(mf.revision && dm_valid_rev_id(mf.revision));
    FZ_CHECK(strcmp(mf.checksum, sum) == 0);
    static const char *const drivers[] = {NULL, "postgres", "mysql", "sqlite"};
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
        fz_statements(&mf, DM_UP, drivers[i]);
        fz_statements(&mf, DM_DOWN, drivers[i]);
    }
    dm_migfile_free(&mf);
    dm_err_free(&e);
    return 0;
}
