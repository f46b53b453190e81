/* tty.c — see tty.h. */
#include "tty.h"

#include <stdio.h>
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
