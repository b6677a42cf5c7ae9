#include "core/buf.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

void tr_buf_init(struct tr_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

int tr_buf_append(struct tr_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (n > b->max || b->len > b->max - n)
        return TR_E_LIMIT;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n)
            nc *= 2;
        if (nc > b->max)
            nc = b->max;
        uint8_t *d = malloc(nc);
        if (!d)
            return TR_E_NOMEM;
        if (b->len)
            memcpy(d, b->data, b->len);
        if (b->data) {
            /* never leave old cleartext behind in freed memory */
            memset(b->data, 0, b->cap);
            free(b->data);
        }
        b->data = d;
        b->cap = nc;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void tr_buf_consume(struct tr_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void tr_buf_reset(struct tr_buf *b) { b->len = 0; }

void tr_buf_free(struct tr_buf *b)
{
    if (b->data) {
        volatile uint8_t *v = b->data;
        for (size_t i = 0; i < b->cap; i++)
            v[i] = 0;
        free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
}
