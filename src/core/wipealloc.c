/* wipealloc.c - see wipealloc.h. */
#include "core/wipealloc.h"

#include <stdint.h>
#include <stdlib.h>

#include <mbedtls/platform_util.h>

/* The header in front of every block: its size, padded to max alignment. */
union hdr {
    size_t n;
    max_align_t align;
};

void *tr_wipe_alloc(size_t n)
{
    if (n > SIZE_MAX - sizeof(union hdr))
        return NULL;
    union hdr *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->n = n;
    return h + 1;
}

void tr_wipe_free(void *p)
{
    if (!p)
        return;
    union hdr *h = (union hdr *)p - 1;
    mbedtls_platform_zeroize(p, h->n);
    free(h);
}

size_t tr_wipe_size(const void *p)
{
    return ((const union hdr *)p - 1)->n;
}

voidpf tr_wipe_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size && items > SIZE_MAX / size)
        return Z_NULL;
    return tr_wipe_alloc((size_t)items * size);
}

void tr_wipe_zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    tr_wipe_free(p);
}

void *tr_wipe_alloc_opaque(void *opaque, size_t n)
{
    (void)opaque;
    return tr_wipe_alloc(n);
}

void tr_wipe_free_opaque(void *opaque, void *p)
{
    (void)opaque;
    tr_wipe_free(p);
}
