/* util.h — small shared helpers of the core: growable buffers, string
 * vectors, the error record every internal function fills. Internal. */
#ifndef DM_UTIL_H
#define DM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "dbmig/dbmig.h"

#if defined(__GNUC__)
#define DM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DM_PRINTF(f, a)
#endif

/* A growable, always NUL-terminated byte buffer. Zero-initialise to use. */
typedef struct dm_buf {
    char *ptr;  /* NULL until the first append */
    size_t len;
    size_t cap;
} dm_buf;

int dm_buf_append(dm_buf *b, const char *s, size_t n); /* 0 or -1 (ENOMEM) */
int dm_buf_puts(dm_buf *b, const char *s);
int dm_buf_printf(dm_buf *b, const char *fmt, ...) DM_PRINTF(2, 3);
int dm_buf_vprintf(dm_buf *b, const char *fmt, va_list ap);
void dm_buf_reset(dm_buf *b);              /* len = 0, keeps memory */
void dm_buf_free(dm_buf *b);
const char *dm_buf_str(const dm_buf *b);   /* "" when empty */
char *dm_buf_take(dm_buf *b);              /* hands the string over (never NULL unless ENOMEM) */

/* A vector of owned strings. */
typedef struct dm_strv {
    char **v;
    size_t n, cap;
} dm_strv;

int dm_strv_push(dm_strv *s, const char *str);           /* copies */
int dm_strv_pushn(dm_strv *s, const char *str, size_t n);
void dm_strv_free(dm_strv *s);

/* A malloc'd copy of n strings (NULL-terminated, each copied), as the
 * public result structs hold them; NULL on ENOMEM. dm_strs_free frees one
 * (NULL is fine). */
const char **dm_strs_dup(const char *const *v, size_t n);
void dm_strs_free(const char **v, size_t n);

/* The error record: a dbmig_rc code and a message. Internal functions take
 * `dm_err *err` and fill it on failure; callers only propagate. */
typedef struct dm_err {
    int code;     /* dbmig_rc */
    dm_buf msg;
    unsigned long serial; /* counts sets and clears: tells one failure from the next */
} dm_err;

/* Sets code and message; returns code so that `return dm_err_set(...)`. */
int dm_err_set(dm_err *e, int code, const char *fmt, ...) DM_PRINTF(3, 4);
/* Prepends context ("while reading x: ") to an existing message. */
int dm_err_prefix(dm_err *e, const char *fmt, ...) DM_PRINTF(2, 3);
int dm_err_nomem(dm_err *e);
void dm_err_clear(dm_err *e);
void dm_err_free(dm_err *e);
const char *dm_err_msg(const dm_err *e);

char *dm_strdup(const char *s);             /* NULL in, NULL out */
char *dm_strndup(const char *s, size_t n);
int dm_streq(const char *a, const char *b); /* NULL-safe */

/* Monotonic milliseconds. */
double dm_now_ms(void);
void dm_sleep_ms(int ms);

#endif
