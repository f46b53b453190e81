/* tty.c — see tty.h. */
#include "tty.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_safe(const char *s, char *buf, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return "";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        char esc[8];
        const char *piece = esc;
        if (*p == '\n')
            piece = "\\n";
        else if (*p == '\r')
            piece = "\\r";
        else if (*p == '\t')
            piece = "\\t";
        else if (*p < 0x20 || *p == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            snprintf(esc, sizeof esc, "\\u%04x", p[1]);
            p++;
        } else {
            if (o + 1 >= cap)
                break;
            buf[o++] = (char)*p;
            continue;
        }
        size_t n = strlen(piece);
        if (o + n >= cap)
            break;
        memcpy(buf + o, piece, n);
        o += n;
    }
    buf[o] = '\0';
    return buf;
}

char *cli_safe_dup(const char *s)
{
    size_t n = strlen(s ? s : "");
    size_t cap = n * 6 + 1; /* the longest escape, \u00HH, for 2 bytes; \xHH for 1 */
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    const char *p = s ? s : "";
    while (*p) {
        size_t line = strcspn(p, "\n");
        char *seg = malloc(line + 1);
        if (!seg) {
            free(out);
            return NULL;
        }
        memcpy(seg, p, line);
        seg[line] = '\0';
        cli_safe(seg, out + o, cap - o);
        free(seg);
        o += strlen(out + o);
        p += line;
        if (*p == '\n' && o + 1 < cap) {
            out[o++] = '\n';
            out[o] = '\0';
            p++;
        }
    }
    out[o] = '\0';
    return out;
}
