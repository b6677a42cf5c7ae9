/* enc.h - test-time encoders: gzip / zlib / raw deflate (zlib), brotli and
 * zstd, each compressing a whole input in one call and appending the result
 * to a struct sb (sb.h).  Header-only (static inline), test code only; the
 * test binaries link the encoder libraries.  Any library failure aborts. */
#ifndef TEST_ENC_H
#define TEST_ENC_H

#include "sb.h"

#include <brotli/encode.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* windowBits for enc_zlib*: gzip wrapper, zlib wrapper, raw deflate */
#define ENC_GZIP (16 + MAX_WBITS)
#define ENC_ZLIB MAX_WBITS
#define ENC_RAW (-MAX_WBITS)

/* deflate at a given level and memLevel (deflateInit2's). */
static inline void enc_zlib_level(struct sb *o, const void *p, size_t n, int wbits, int level,
                                  int memlevel)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, wbits, memlevel, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, (uLong)n) + 64;
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    sb_put(o, buf, cap - z.avail_out);
    deflateEnd(&z);
    free(buf);
}

/* deflate at zlib's default level and memLevel (6, 8). */
static inline void enc_zlib(struct sb *o, const void *p, size_t n, int wbits)
{
    enc_zlib_level(o, p, n, wbits, 6, 8);
}

/* brotli, quality 5, 4 MiB window. */
static inline void enc_br(struct sb *o, const void *p, size_t n)
{
    size_t cap = BrotliEncoderMaxCompressedSize(n) + 64;
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    size_t got = cap;
    if (!BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, n, p, &got, buf))
        abort();
    sb_put(o, buf, got);
    free(buf);
}

/* zstd, level 3. */
static inline void enc_zstd(struct sb *o, const void *p, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    size_t got = ZSTD_compress(buf, cap, p, n, 3);
    if (ZSTD_isError(got))
        abort();
    sb_put(o, buf, got);
    free(buf);
}

#endif
