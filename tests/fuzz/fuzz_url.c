/* fuzz_url.c — URL parsing and redaction. Invariants: redaction works on
 * anything; when the parser finds a non-empty password, the redacted text
 * shows *** and the snprintf-like public function agrees with the internal
 * one at every buffer size tried. */
#include "fuzz_common.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_cstr(data, size);
    dm_buf r = {0};
    FZ_CHECK(dm_url_redact(s, &r) == 0);

    char small[8], big[256];
    size_t n1 = dbmig_redact_url(s, small, sizeof small);
    size_t n2 = dbmig_redact_url(s, big, sizeof big);
    FZ_CHECK(n1 == r.len && n2 == r.len);
    FZ_CHECK(strlen(small) == (r.len < sizeof small ? r.len : sizeof small - 1));
    FZ_CHECK(strncmp(big, dm_buf_str(&r), sizeof big - 1) == 0);
    FZ_CHECK(dbmig_redact_url(s, NULL, 0) == r.len);

    dm_url u = {0};
    dm_err e = {0};
    if (dm_url_parse(s, &u, &e) == 0) {
        FZ_CHECK(u.scheme && u.scheme[0]);
        if (u.password && u.password[0])
            FZ_CHECK(strstr(dm_buf_str(&r), "***") != NULL);
        char *p = dm_url_param(&u, "sslmode");
        free(p);
        p = dm_url_param(&u, "password");
        free(p);
    } else {
        FZ_CHECK(dm_err_msg(&e)[0] != '\0');
    }
    dm_url_free(&u);
    dm_err_free(&e);
    dm_buf_free(&r);
    free(s);
    return 0;
}
