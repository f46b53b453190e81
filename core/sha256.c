/* sha256.c — see sha256.h for why the direct functions. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha256.h"

#include <string.h>

void dm_sha256_init(dm_sha256 *s) { SHA256_Init(s); }

void dm_sha256_update(dm_sha256 *s, const void *data, size_t len)
{
    if (len)
        SHA256_Update(s, data, len);
}

void dm_sha256_v1(const dm_sha256 *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    dm_sha256 copy = *s;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256_Final(md, &copy);
    memcpy(out, "v1:", 3);
    for (unsigned k = 0; k < SHA256_DIGEST_LENGTH; k++) {
        out[3 + 2 * k] = hex[md[k] >> 4];
        out[4 + 2 * k] = hex[md[k] & 15];
    }
    out[DM_SHA256_V1_LEN] = '\0';
}
