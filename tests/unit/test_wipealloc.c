/* test_wipealloc.c - the wiping allocator (core/wipealloc): blocks carry
 * their size and are max-aligned, NULL and 0-byte blocks, sizes too large
 * for the header, the zlib adapter's items * size overflow, a real zlib
 * round trip through the adapters, and realloc built by hand from
 * alloc / size / free (as proto/h2.c does for nghttp2). */
#include "core/wipealloc.h"
#include "tt.h"

#include <limits.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void t_alloc_free_size(void)
{
    size_t sizes[] = {0, 1, 15, 16, 17, 4096, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        uint8_t *p = tr_wipe_alloc(sizes[i]);
        TT_CHECK(p != NULL);
        if (!p)
            continue;
        TT_EQ_INT(tr_wipe_size(p), sizes[i]);
        TT_EQ_INT((uintptr_t)p % alignof(max_align_t), 0);
        memset(p, 0xa5, sizes[i]);
        tr_wipe_free(p);
    }
    tr_wipe_free(NULL);
    /* no room for the header: refused before malloc */
    TT_CHECK(tr_wipe_alloc(SIZE_MAX) == NULL);
    TT_CHECK(tr_wipe_alloc(SIZE_MAX - 8) == NULL);
}

static void t_opaque(void)
{
    int tag;
    void *p = tr_wipe_alloc_opaque(&tag, 33);
    TT_CHECK(p != NULL);
    TT_EQ_INT(tr_wipe_size(p), 33);
    tr_wipe_free_opaque(&tag, p);
    tr_wipe_free_opaque(NULL, NULL);
}

static void t_zlib_adapter(void)
{
    voidpf p = tr_wipe_zalloc(NULL, 7, 9);
    TT_CHECK(p != Z_NULL);
    if (p)
        TT_EQ_INT(tr_wipe_size(p), 63);
    tr_wipe_zfree(NULL, p);
    /* items * size does not fit in size_t: only where size_t is no wider
     * than two uInts (with 64-bit size_t the product always fits, and a
     * malloc that large is refused, or aborted under ASan) */
#if SIZE_MAX / UINT_MAX < UINT_MAX
    TT_CHECK(tr_wipe_zalloc(NULL, UINT_MAX, UINT_MAX) == Z_NULL);
#endif
    p = tr_wipe_zalloc(NULL, 5, 0);
    TT_CHECK(p != Z_NULL);
    tr_wipe_zfree(NULL, p);

    /* deflate and inflate with the adapters as zlib's allocator */
    static uint8_t in[20000], mid[30000], out[20000];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)("secret text "[i % 12] ^ (i >> 9));
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = tr_wipe_zalloc;
    z.zfree = tr_wipe_zfree;
    TT_EQ_INT(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = in;
    z.avail_in = sizeof in;
    z.next_out = mid;
    z.avail_out = sizeof mid;
    TT_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = sizeof mid - z.avail_out;
    deflateEnd(&z);
    memset(&z, 0, sizeof z);
    z.zalloc = tr_wipe_zalloc;
    z.zfree = tr_wipe_zfree;
    TT_EQ_INT(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = mid;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = sizeof out;
    TT_EQ_INT(inflate(&z, Z_FINISH), Z_STREAM_END);
    TT_EQ_INT(sizeof out - z.avail_out, sizeof in);
    TT_EQ_MEM(out, in, sizeof in);
    inflateEnd(&z);
}

/* realloc from the three primitives: the old size bounds the copy */
static void *re(void *p, size_t n)
{
    if (!p)
        return tr_wipe_alloc(n);
    size_t old = tr_wipe_size(p);
    void *np = tr_wipe_alloc(n);
    if (!np)
        return NULL;
    memcpy(np, p, old < n ? old : n);
    tr_wipe_free(p);
    return np;
}

static void t_realloc_by_hand(void)
{
    static const size_t steps[] = {10, 1000, 4, 0, 7};
    uint8_t *p = NULL;
    size_t have = 0; /* bytes of p that hold 0, 1, 2, ... */
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        size_t n = steps[i];
        p = re(p, n);
        TT_CHECK(p != NULL);
        if (!p)
            return;
        TT_EQ_INT(tr_wipe_size(p), n);
        for (size_t k = 0; k < have && k < n; k++)
            TT_EQ_INT(p[k], k);
        for (size_t k = 0; k < n; k++)
            p[k] = (uint8_t)k;
        have = n;
    }
    tr_wipe_free(p);
}

int main(void)
{
    TT_RUN(t_alloc_free_size);
    TT_RUN(t_opaque);
    TT_RUN(t_zlib_adapter);
    TT_RUN(t_realloc_by_hand);
    TT_DONE();
}
