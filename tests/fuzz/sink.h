/* sink.h - a growable byte sink for the fuzz targets of stream rewriters
 * (h2, http1, ws): each compares the output of a whole push with that of
 * pushes in pieces. */
#ifndef TR_FUZZ_SINK_H
#define TR_FUZZ_SINK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sink {
    uint8_t *p;
    size_t len, cap;
};

/* emit callback: appends n bytes (aborts on out of memory: a fuzz harness) */
static inline int emit(void *ctx, const uint8_t *d, size_t n)
{
    struct sink *s = ctx;
    if (!n)
        return 0;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, s->cap);
        if (!s->p)
            abort();
    }
    memcpy(s->p + s->len, d, n);
    s->len += n;
    return 0;
}

#endif
