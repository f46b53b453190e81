/* fuzz_config.c — the CLI's INI config parser (libinih + ${VAR} expansion +
 * key checks), fed through a memory file so nothing touches the disk. The
 * first byte picks --env prod or none. Invariants: success or an error
 * naming the file; every value stored is a known key. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_common.h"

static int fz_fd = -1;
static char fz_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fz_fd < 0) {
        setenv("DBMIG_FUZZ_SET", "value", 1);
        fz_fd = memfd_create("dbmig-fuzz.conf", 0);
        if (fz_fd < 0)
            abort();
        snprintf(fz_path, sizeof fz_path, "/proc/self/fd/%d", fz_fd);
    }
    const char *env = size > 0 && (data[0] & 1) ? "prod" : NULL;
    if (ftruncate(fz_fd, 0) != 0 || pwrite(fz_fd, data, size, 0) != (ssize_t)size)
        abort();
    cli_config cfg = {0};
    char err[1024] = "";
    int rc = cli_config_load_file(&cfg, fz_path, 1, env, err, sizeof err);
    if (rc != 0)
        FZ_CHECK(err[0] != '\0');
    for (size_t i = 0; i < cfg.n; i++)
        FZ_CHECK(cli_config_known(cfg.key[i]) && cfg.val[i]);
    cli_config_free(&cfg);

    char *s = fz_cstr(data, size);
    char *x = cli_expand_env(s, err, sizeof err);
    FZ_CHECK(x || err[0]);
    free(x);
    free(s);
    return 0;
}
