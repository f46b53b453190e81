/* embed_test.h — what the embedding tests share: a CHECK that counts
 * failures and goes on, and memory that ends at a PROT_NONE page, so that a
 * library reading or writing past a caller's (older, shorter) struct
 * crashes in any build, without ASan. Header-only: each test is one file. */
#ifndef DBMIG_EMBED_TEST_H
#define DBMIG_EMBED_TEST_H

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                          \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

typedef struct guarded {
    void *map;
    size_t len;
} guarded;

/* n bytes whose last byte is the last readable byte of a two-page mapping;
 * NULL on failure. Free with guarded_free. */
static void *guarded_alloc(guarded *g, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g->len = 2 * page;
    g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED)
        return NULL;
    if (mprotect((char *)g->map + page, page, PROT_NONE) != 0) {
        munmap(g->map, g->len);
        return NULL;
    }
    return (char *)g->map + page - n;
}

static void guarded_free(guarded *g) { munmap(g->map, g->len); }

#endif
