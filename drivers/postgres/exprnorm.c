/* exprnorm.c — the one rewrite inspect() applies to the expressions
 * PostgreSQL deparses (CHECK, DEFAULT, generated, index predicate, view and
 * trigger text), so that a schema dump reloaded into an empty database
 * inspects to the same model (SPEC section 12).
 *
 * Why: PostgreSQL's deparsed text is not always a fixed point of parsing.
 * `role IN ('a', 'b')` on a varchar column is stored as an array of varchar
 * cast to text[], deparsed as
 *     ARRAY['a'::character varying, 'b'::character varying]::text[]
 * but the parser pushes a cast of an ARRAY[...] constructor down into its
 * elements, so that text, loaded again, deparses as
 *     ARRAY['a'::character varying::text, 'b'::character varying::text]
 * (the same meaning; pg_dump output drifts the same way). This file turns
 * the first form into the second, the fixed point, so the database the
 * migrations made and its reloaded dump report the same text. Only arrays
 * whose elements are all literals with casts are rewritten (what an IN
 * list gives); anything else is left as the server wrote it. String
 * literals and quoted names are skipped, so text inside them is never
 * touched.
 */
#include "pg_int.h"

#include <ctype.h>
#include <string.h>

/* A growable output text, through the host allocator. */
typedef struct pg_out {
    const dbmig_host *h;
    char *p;
    size_t n, cap;
    int oom;
} pg_out;

static void pg_out_put(pg_out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->n + n + 1 > o->cap) {
        size_t cap = (o->n + n + 1) * 2;
        char *p = pg_alloc(o->h, cap);
        if (!p) {
            o->oom = 1;
            return;
        }
        if (o->n)
            memcpy(p, o->p, o->n);
        pg_free(o->h, o->p);
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = '\0';
}

/* The end of a quoted run starting at s[i] (q: ' or "; doubled q inside). */
static size_t pg_skip_quoted(const char *s, size_t i, char q)
{
    for (i++; s[i]; i++) {
        if (s[i] == q) {
            if (s[i + 1] != q)
                return i + 1;
            i++;
        }
    }
    return i;
}

/* A type name after "::": letters, digits, _ . " and spaces between words,
 * and one (n[,m]) modifier: "character varying(3)", "\"char\"". */
static size_t pg_skip_type(const char *s, size_t i)
{
    size_t start = i;
    while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '"' ||
           (s[i] == ' ' && i > start && (isalpha((unsigned char)s[i + 1]))))
        i++;
    if (i > start && s[i] == '(') {
        size_t j = i + 1;
        while (isdigit((unsigned char)s[j]) || s[j] == ',')
            j++;
        if (s[j] == ')')
            i = j + 1;
    }
    return i;
}

/* One array element at s[i]: a quoted or numeric literal and one or more
 * ::type casts. Returns its end, or 0 when it is anything else. */
static size_t pg_skip_element(const char *s, size_t i)
{
    if (s[i] == '\'')
        i = pg_skip_quoted(s, i, '\'');
    else if (isdigit((unsigned char)s[i]))
        while (isalnum((unsigned char)s[i]) || s[i] == '.')
            i++;
    else
        return 0;
    int casts = 0;
    while (s[i] == ':' && s[i + 1] == ':') {
        size_t e = pg_skip_type(s, i + 2);
        if (e == i + 2)
            return 0;
        i = e;
        casts++;
    }
    return casts ? i : 0;
}

/* s[i] starts "ARRAY[": when it is ARRAY[e1, ...]::T[] with elements as
 * pg_skip_element reads them, writes ARRAY[e1::T, ...] and returns the
 * end of what it replaced; 0 (nothing written) otherwise. */
static size_t pg_array_cast(pg_out *o, const char *s, size_t i)
{
    size_t p = i + 6, elems[64][2], n = 0;
    for (;;) {
        size_t e = pg_skip_element(s, p);
        if (!e || n == sizeof elems / sizeof elems[0])
            return 0;
        elems[n][0] = p;
        elems[n++][1] = e;
        if (s[e] == ']')
            break;
        if (s[e] != ',' || s[e + 1] != ' ')
            return 0;
        p = e + 2;
    }
    p = elems[n - 1][1] + 1; /* after ']' */
    if (s[p] != ':' || s[p + 1] != ':')
        return 0;
    size_t t = p + 2, te = pg_skip_type(s, t);
    if (te == t || s[te] != '[' || s[te + 1] != ']' || s[te + 2] == '[')
        return 0;
    pg_out_put(o, "ARRAY[", 6);
    for (size_t k = 0; k < n; k++) {
        if (k)
            pg_out_put(o, ", ", 2);
        pg_out_put(o, s + elems[k][0], elems[k][1] - elems[k][0]);
        pg_out_put(o, "::", 2);
        pg_out_put(o, s + t, te - t);
    }
    pg_out_put(o, "]", 1);
    return te + 2;
}

/* in rewritten as the top comment says into *out (host-allocated, the
 * caller frees it), or *out = NULL when nothing changed. -1: no memory. */
int pg_expr_normalise(const dbmig_host *h, const char *in, char **out)
{
    *out = NULL;
    if (!in || !strstr(in, "ARRAY["))
        return 0;
    pg_out o = {h, NULL, 0, 0, 0};
    int changed = 0;
    size_t i = 0, from = 0;
    while (in[i]) {
        if (in[i] == '\'' || in[i] == '"') {
            i = pg_skip_quoted(in, i, in[i]);
            continue;
        }
        if (strncmp(in + i, "ARRAY[", 6) == 0 &&
            (i == 0 || !(isalnum((unsigned char)in[i - 1]) || in[i - 1] == '_'))) {
            size_t mark = o.n;
            pg_out_put(&o, in + from, i - from);
            size_t end = pg_array_cast(&o, in, i);
            if (end) {
                changed = 1;
                i = from = end;
                continue;
            }
            o.n = mark; /* not one of ours: copied later with the rest */
            if (o.p)
                o.p[o.n] = '\0';
        }
        i++;
    }
    if (changed)
        pg_out_put(&o, in + from, strlen(in + from));
    if (o.oom) {
        pg_free(h, o.p);
        return -1;
    }
    if (!changed) {
        pg_free(h, o.p);
        return 0;
    }
    *out = o.p;
    return 0;
}
