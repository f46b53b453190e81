/* url.h — database URLs: the scheme (which picks the driver), the password
 * (so that every message can be scrubbed of it) and redaction. Parsing uses
 * uriparser for the `scheme://` forms; `sqlite:path` and `sqlite::memory:`
 * are taken apart by hand because they are not hierarchical URIs. Internal. */
#ifndef DM_URL_H
#define DM_URL_H

#include <stddef.h>

#include "util.h"

typedef struct dm_url {
    char *scheme;   /* lower-case: "sqlite", "postgres", "postgresql", "mysql", ... */
    char *user;     /* NULL if none (percent-decoded) */
    char *password; /* NULL if none (percent-decoded) */
    char *host;     /* NULL if none */
    int port;       /* 0 if none */
    char *path;     /* sqlite: the file path (":memory:" for memory); others: the database name, decoded, without the leading / */
    char *query;    /* raw query string without '?', NULL if none */
} dm_url;

/* Fills u. A URL without a scheme, or one uriparser rejects, is DBMIG_EUSAGE
 * with the redacted URL and what is wrong. */
int dm_url_parse(const char *url, dm_url *u, dm_err *err);
void dm_url_free(dm_url *u);

/* Appends url with the password (userinfo after ':', and the values of
 * query or key=value parameters named password/pass/pwd) replaced by ***.
 * Works on anything, even unparsable text. */
int dm_url_redact(const char *url, dm_buf *out);

/* Looks up a query parameter (percent-decoded) of u. Returns a new string
 * or NULL. */
char *dm_url_param(const dm_url *u, const char *key);

#endif
