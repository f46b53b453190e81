/* sha256.h — SHA-256 for checksums and progress hashes, from libcrypto.
 *
 * libcrypto's direct SHA256_* functions, not EVP: OpenSSL 3 marks them
 * deprecated in favour of EVP, but EVP's first digest fetch initialises the
 * provider machinery (configuration, name maps) — about 0.8 ms per process
 * plus its clean-up at exit, more than hashing 1,000 migration files, and
 * every start of an application pays it. The direct functions compute the
 * same digest with the same (hardware-accelerated) code and need no set-up.
 * These digests detect edited files; nothing here needs a FIPS provider.
 * If a future OpenSSL drops them, this file is the one to change. */
#ifndef DBMIG_SHA256_H
#define DBMIG_SHA256_H

#include <openssl/sha.h>
#include <stddef.h>

/* "v1:" and 64 hex digits (the checksum and progress_hash format). */
#define DM_SHA256_V1_LEN 67

/* A plain struct: callers keep it on the stack and copy it by assignment. */
typedef SHA256_CTX dm_sha256;

void dm_sha256_init(dm_sha256 *s);
void dm_sha256_update(dm_sha256 *s, const void *data, size_t len);
/* Writes "v1:<hex>" and a NUL into out (DM_SHA256_V1_LEN + 1 bytes). The
 * state is left alone: a copy of it can be finished and hashing go on. */
void dm_sha256_v1(const dm_sha256 *s, char *out);

#endif
