/* unit_files.h — what the unit tests that write migration files into a
 * temporary folder share (test_engine, test_faults, test_alloc,
 * test_ddlretry, test_graph): writing a file, removing the folder.
 * Include after <cmocka.h>. */
#ifndef DBMIG_UNIT_FILES_H
#define DBMIG_UNIT_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* dir/name with text, or the test fails. */
static inline void ut_write_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* rm -rf dir (a mkdtemp folder: no quote in its name); 0 when it went. */
static inline int ut_rmrf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
