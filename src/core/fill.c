#include "core/fill.h"

#include <string.h>

int tr_fill_emit(int (*emit)(void *ctx, const uint8_t *p, size_t n), void *ctx, uint64_t n)
{
    uint8_t fill[256];
    memset(fill, TR_FILL_CHAR, sizeof fill);
    while (n) {
        size_t k = n < sizeof fill ? (size_t)n : sizeof fill;
        int rc = emit(ctx, fill, k);
        if (rc)
            return rc;
        n -= k;
    }
    return 0;
}
