/* fuzz_common.h — small helpers shared by the libFuzzer targets. Test-only. */
#ifndef DBMIG_FUZZ_COMMON_H
#define DBMIG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of the input (inputs may hold NUL bytes; C-string
 * APIs then see a prefix, as they would from a real caller). */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Traps a violated invariant: libFuzzer reports the abort as a crash and
 * saves the input. */
#define FZ_CHECK(cond)                                                                    \
    do {                                                                                  \
        if (!(cond))                                                                      \
            __builtin_trap();                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
