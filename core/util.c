/* util.c — buffers, string vectors, error records. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int buf_reserve(dm_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->ptr, cap);
    if (!p)
        return -1;
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int dm_buf_append(dm_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n) /* buf_reserve() allocated b->ptr */
        memcpy(b->ptr + b->len, s, n); // NOLINT(clang-analyzer-core.NonNullParamChecker)
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int dm_buf_puts(dm_buf *b, const char *s) { return dm_buf_append(b, s, strlen(s)); }

int dm_buf_vprintf(dm_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dm_buf_printf(dm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dm_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void dm_buf_reset(dm_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void dm_buf_free(dm_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

const char *dm_buf_str(const dm_buf *b) { return b->ptr ? b->ptr : ""; }

char *dm_buf_take(dm_buf *b)
{
    char *p = b->ptr ? b->ptr : dm_strdup("");
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

int dm_strv_pushn(dm_strv *s, const char *str, size_t n)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    char *c = dm_strndup(str, n);
    if (!c)
        return -1;
    s->v[s->n++] = c;
    return 0;
}

int dm_strv_push(dm_strv *s, const char *str) { return dm_strv_pushn(s, str, strlen(str)); }

void dm_strv_free(dm_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

int dm_err_set(dm_err *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    dm_buf_reset(&e->msg);
    va_list ap;
    va_start(ap, fmt);
    dm_buf_vprintf(&e->msg, fmt, ap);
    va_end(ap);
    e->serial++;
    return code;
}

int dm_err_prefix(dm_err *e, const char *fmt, ...)
{
    if (!e)
        return DBMIG_ERROR;
    dm_buf pre = {0};
    va_list ap;
    va_start(ap, fmt);
    dm_buf_vprintf(&pre, fmt, ap);
    va_end(ap);
    dm_buf_puts(&pre, dm_buf_str(&e->msg));
    dm_buf_free(&e->msg);
    e->msg = pre;
    return e->code;
}

int dm_err_nomem(dm_err *e) { return dm_err_set(e, DBMIG_ERROR, "out of memory"); }

void dm_err_clear(dm_err *e)
{
    e->code = 0;
    e->serial++;
    dm_buf_reset(&e->msg);
}

void dm_err_free(dm_err *e) { dm_buf_free(&e->msg); }

const char *dm_err_msg(const dm_err *e) { return dm_buf_str(&e->msg); }

char *dm_strdup(const char *s) { return s ? dm_strndup(s, strlen(s)) : NULL; }

char *dm_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int dm_streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

double dm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void dm_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- arrays of strings handed to callers (public result structs) ---- */

const char **dm_strs_dup(const char *const *v, size_t n)
{
    const char **o = calloc(n + 1, sizeof *o);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(o[i] = dm_strdup(v[i]))) {
            for (size_t k = 0; k < i; k++)
                free((char *)o[k]);
            free(o);
            return NULL;
        }
    return o;
}

void dm_strs_free(const char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free((char *)v[i]);
    free(v);
}
