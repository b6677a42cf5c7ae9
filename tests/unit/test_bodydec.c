/* test_bodydec.c - the shared body decoder (proto/bodydec): real round trips
 * through the zlib, brotli and zstd encoders for every coding and stacks of
 * them, 1-byte pieces, concatenated gzip members and zstd frames, zlib vs raw
 * deflate, truncated and corrupt input, the zstd window limit, bombs by
 * max_body and by ratio (and a small very compressible body under the ratio
 * floor), dead decoders, out errors, and the Content-Encoding parser. */
#include "core/err.h"
#include "proto/bodydec.h"
#include "enc.h"
#include "sb.h"
#include "tt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* Applies one coding (deflate: zlib-wrapped unless raw). */
static void encode1(struct sb *o, const uint8_t *p, size_t n, int coding, int raw)
{
    switch (coding) {
    case TR_CODING_GZIP:
        enc_zlib(o, p, n, ENC_GZIP);
        break;
    case TR_CODING_DEFLATE:
        enc_zlib(o, p, n, raw ? ENC_RAW : ENC_ZLIB);
        break;
    case TR_CODING_BR:
        enc_br(o, p, n);
        break;
    default:
        enc_zstd(o, p, n);
        break;
    }
}

/* Applies codings[0..k) in that order (order of application). */
static void encode(struct sb *o, const uint8_t *p, size_t n, const int *codings, size_t k)
{
    struct sb cur = {0};
    sb_put(&cur, p, n);
    for (size_t i = 0; i < k; i++) {
        struct sb nx = {0};
        encode1(&nx, cur.p, cur.len, codings[i], 0);
        sb_free(&cur);
        cur = nx;
    }
    *o = cur;
}

/* Text that compresses, but not absurdly: several DEC_CHUNKs of output. */
static uint8_t *text(size_t n)
{
    uint8_t *t = malloc(n ? n : 1);
    uint32_t x = 12345;
    static const char words[][10] = {"\"user\":", "\"pass\":", "hunter2", "alice", ", ", "{", "}", "0123"};
    size_t i = 0;
    while (i < n) {
        x = x * 1103515245u + 12345u;
        const char *w = words[(x >> 16) % 8];
        for (size_t k = 0; w[k] && i < n; k++)
            t[i++] = (uint8_t)w[k];
    }
    return t;
}

/* Decodes enc pushed in pieces of `piece` bytes (0: whole). */
static int decode(struct sb *out, const int *codings, size_t k, const struct sb *enc, size_t piece,
                  const struct tr_bodydec_opts *o)
{
    memset(out, 0, sizeof *out);
    struct tr_bodydec *b = tr_bodydec_new(codings, k, o);
    if (!b)
        return -999;
    int rc = 0;
    if (!piece)
        piece = enc->len ? enc->len : 1;
    for (size_t i = 0; i < enc->len && !rc; i += piece)
        rc = tr_bodydec_push(b, enc->p + i, enc->len - i < piece ? enc->len - i : piece, sink, out);
    if (!rc)
        rc = tr_bodydec_finish(b, sink, out);
    if (!rc) {
        TT_EQ_INT(tr_bodydec_in(b), enc->len);
        TT_EQ_INT(tr_bodydec_out(b), out->len);
    }
    tr_bodydec_free(b);
    return rc;
}

/* Round trip of codings[0..k) over n bytes of text, whole, in 1-byte
 * pieces and in 1000-byte pieces: same output. */
static void roundtrip(const int *codings, size_t k, size_t n)
{
    uint8_t *t = text(n);
    struct sb enc = {0}, a, b, c;
    encode(&enc, t, n, codings, k);
    TT_EQ_INT(decode(&a, codings, k, &enc, 0, NULL), TR_BODYDEC_OK);
    TT_CHECK(a.len == n && (!n || !memcmp(a.p, t, n)));
    TT_EQ_INT(decode(&b, codings, k, &enc, 1, NULL), TR_BODYDEC_OK);
    TT_CHECK(b.len == n && (!n || !memcmp(b.p, t, n)));
    TT_EQ_INT(decode(&c, codings, k, &enc, 1000, NULL), TR_BODYDEC_OK);
    TT_CHECK(c.len == n && (!n || !memcmp(c.p, t, n)));
    sb_free(&a);
    sb_free(&b);
    sb_free(&c);
    sb_free(&enc);
    free(t);
}

/* ---- tests ---- */

static void t_each_coding(void)
{
    for (int c = 0; c < TR_CODING_N; c++) {
        roundtrip(&c, 1, 100000);
        roundtrip(&c, 1, 10);
        roundtrip(&c, 1, 0); /* empty content, still a complete stream */
    }
}

/* Decoded sizes at multiples of the decoders' 8 KiB output buffer: the
 * stream ends exactly when the buffer is full (zstd then reports the next
 * frame's header size on the next call). */
static void t_buffer_boundaries(void)
{
    static const size_t sizes[] = {8191, 8192, 8193, 16384, 24576};
    for (int c = 0; c < TR_CODING_N; c++)
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            roundtrip(&c, 1, sizes[i]);
    int stack[] = {TR_CODING_ZSTD, TR_CODING_BR, TR_CODING_GZIP};
    roundtrip(stack, 3, 16384);
}

static void t_raw_vs_zlib_deflate(void)
{
    uint8_t *t = text(50000);
    int d = TR_CODING_DEFLATE;
    for (int raw = 0; raw < 2; raw++) {
        struct sb enc = {0}, out;
        encode1(&enc, t, 50000, d, raw);
        /* a zlib header is 0x78..; raw deflate here starts with a block header */
        TT_CHECK(raw ? enc.p[0] != 0x78 : enc.p[0] == 0x78);
        TT_EQ_INT(decode(&out, &d, 1, &enc, 0, NULL), TR_BODYDEC_OK);
        TT_CHECK(out.len == 50000 && !memcmp(out.p, t, 50000));
        sb_free(&out);
        /* the decision needs two bytes: fed one at a time, same result */
        TT_EQ_INT(decode(&out, &d, 1, &enc, 1, NULL), TR_BODYDEC_OK);
        TT_CHECK(out.len == 50000 && !memcmp(out.p, t, 50000));
        sb_free(&out);
        sb_free(&enc);
    }
    /* a 1-byte deflate body cannot be complete */
    struct sb one = {0}, out;
    sb_put(&one, "\x78", 1);
    TT_EQ_INT(decode(&out, &d, 1, &one, 0, NULL), TR_BODYDEC_ERROR);
    sb_free(&out);
    sb_free(&one);
    free(t);
}

static void t_stacked(void)
{
    /* "Content-Encoding: gzip, br": gzip applied first, then br */
    int gb[] = {TR_CODING_GZIP, TR_CODING_BR};
    roundtrip(gb, 2, 60000);
    int four[] = {TR_CODING_DEFLATE, TR_CODING_GZIP, TR_CODING_ZSTD, TR_CODING_BR};
    roundtrip(four, 4, 60000);
    int zz[] = {TR_CODING_ZSTD, TR_CODING_DEFLATE};
    roundtrip(zz, 2, 3000);
    /* the wrong order does not decode */
    uint8_t *t = text(5000);
    struct sb enc = {0}, out;
    encode(&enc, t, 5000, gb, 2);
    int bg[] = {TR_CODING_BR, TR_CODING_GZIP};
    TT_EQ_INT(decode(&out, bg, 2, &enc, 0, NULL), TR_BODYDEC_ERROR);
    TT_EQ_INT(out.len, 0);
    sb_free(&out);
    sb_free(&enc);
    free(t);
}

static void t_concatenated(void)
{
    const char *a = "first member {\"a\":1}\n", *b = "second member {\"b\":2}\n";
    struct sb enc = {0}, out;
    int g = TR_CODING_GZIP, z = TR_CODING_ZSTD, br = TR_CODING_BR;
    enc_zlib(&enc, (const uint8_t *)a, strlen(a), ENC_GZIP);
    enc_zlib(&enc, (const uint8_t *)b, strlen(b), ENC_GZIP);
    for (size_t piece = 0; piece < 2; piece++) {
        TT_EQ_INT(decode(&out, &g, 1, &enc, piece, NULL), TR_BODYDEC_OK);
        TT_CHECK(out.len == strlen(a) + strlen(b) && !memcmp(out.p, a, strlen(a)) &&
                 !memcmp(out.p + strlen(a), b, strlen(b)));
        sb_free(&out);
    }
    /* bytes after the last member that do not start one: ignored */
    sb_put(&enc, "junk", 4);
    TT_EQ_INT(decode(&out, &g, 1, &enc, 0, NULL), TR_BODYDEC_OK);
    TT_EQ_INT(out.len, strlen(a) + strlen(b));
    sb_free(&out);
    sb_free(&enc);
    /* ... up to the end of the body: a member after junk is junk too,
     * however the body is cut */
    enc_zlib(&enc, (const uint8_t *)a, strlen(a), ENC_GZIP);
    sb_put(&enc, "XY", 2);
    enc_zlib(&enc, (const uint8_t *)b, strlen(b), ENC_GZIP);
    for (size_t piece = 0; piece < 4; piece++) {
        TT_EQ_INT(decode(&out, &g, 1, &enc, piece, NULL), TR_BODYDEC_OK);
        TT_CHECK(out.len == strlen(a) && !memcmp(out.p, a, strlen(a)));
        sb_free(&out);
    }
    sb_free(&enc);
    /* zstd frames one after the other */
    enc_zstd(&enc, (const uint8_t *)a, strlen(a));
    enc_zstd(&enc, (const uint8_t *)b, strlen(b));
    TT_EQ_INT(decode(&out, &z, 1, &enc, 1, NULL), TR_BODYDEC_OK);
    TT_EQ_INT(out.len, strlen(a) + strlen(b));
    sb_free(&out);
    sb_free(&enc);
    /* br: bytes after the end are ignored */
    enc_br(&enc, (const uint8_t *)a, strlen(a));
    sb_put(&enc, "junk", 4);
    TT_EQ_INT(decode(&out, &br, 1, &enc, 0, NULL), TR_BODYDEC_OK);
    TT_CHECK(out.len == strlen(a) && !memcmp(out.p, a, strlen(a)));
    sb_free(&out);
    sb_free(&enc);
}

/* A dead decoder: push (k bytes of p) and finish give its reason again, and
 * nothing more is emitted. */
static void expect_dead(struct tr_bodydec *b, const uint8_t *p, size_t k, struct sb *out, int why)
{
    size_t had = out->len;
    TT_EQ_INT(tr_bodydec_push(b, p, k, sink, out), why);
    TT_EQ_INT(tr_bodydec_finish(b, sink, out), why);
    TT_EQ_INT(out->len, had);
}

static void t_truncated(void)
{
    uint8_t *t = text(20000);
    for (int c = 0; c < TR_CODING_N; c++) {
        struct sb enc = {0}, out;
        encode1(&enc, t, 20000, c, 0);
        enc.len -= 3; /* end of stream missing */
        struct tr_bodydec *b = tr_bodydec_new(&c, 1, NULL);
        TT_CHECK(b != NULL);
        memset(&out, 0, sizeof out);
        TT_EQ_INT(tr_bodydec_push(b, enc.p, enc.len, sink, &out), TR_BODYDEC_OK);
        TT_EQ_INT(tr_bodydec_finish(b, sink, &out), TR_BODYDEC_ERROR);
        /* dead: the same reason, nothing emitted */
        expect_dead(b, enc.p, 10, &out, TR_BODYDEC_ERROR);
        tr_bodydec_free(b);
        sb_free(&out);
        sb_free(&enc);
    }
    free(t);
}

static void t_corrupt(void)
{
    uint8_t *t = text(20000);
    for (int c = 0; c < TR_CODING_N; c++) {
        struct sb enc = {0}, out;
        encode1(&enc, t, 20000, c, 0);
        /* a damaged header / first block */
        for (size_t i = 0; i < 8 && i < enc.len; i++)
            enc.p[i] ^= 0xa5;
        int rc = decode(&out, &c, 1, &enc, 0, NULL);
        TT_EQ_INT(rc, TR_BODYDEC_ERROR);
        TT_CHECK(out.len < 20000);
        sb_free(&out);
        sb_free(&enc);
    }
    /* push reports it; the decoder then stays dead */
    int g = TR_CODING_GZIP;
    struct tr_bodydec *b = tr_bodydec_new(&g, 1, NULL);
    struct sb out = {0};
    TT_EQ_INT(tr_bodydec_push(b, (const uint8_t *)"\x1f\x8b\x09zzzzzzzzzz", 13, sink, &out),
              TR_BODYDEC_ERROR);
    TT_EQ_INT(tr_bodydec_push(b, (const uint8_t *)"\x1f\x8b", 2, sink, &out), TR_BODYDEC_ERROR);
    TT_EQ_INT(tr_bodydec_finish(b, sink, &out), TR_BODYDEC_ERROR);
    TT_EQ_INT(out.len, 0);
    tr_bodydec_free(b);
    free(t);
}

static void t_zstd_window(void)
{
    /* a frame that declares a 16 MiB window (content size unknown) */
    size_t n = 100000;
    uint8_t *t = text(n);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, TR_BODYDEC_ZSTD_WINDOW_LOG + 1);
    size_t cap = ZSTD_compressBound(n) + 64;
    uint8_t *buf = malloc(cap);
    ZSTD_outBuffer ob = {buf, cap, 0};
    ZSTD_inBuffer ib = {t, n, 0};
    size_t r = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue);
    TT_CHECK(!ZSTD_isError(r));
    ZSTD_inBuffer none = {NULL, 0, 0};
    while ((r = ZSTD_compressStream2(cc, &ob, &none, ZSTD_e_end)) != 0 && !ZSTD_isError(r))
        ;
    ZSTD_freeCCtx(cc);
    struct sb enc = {0}, out;
    sb_put(&enc, buf, ob.pos);
    int z = TR_CODING_ZSTD;
    TT_EQ_INT(decode(&out, &z, 1, &enc, 0, NULL), TR_BODYDEC_ERROR);
    TT_EQ_INT(out.len, 0);
    sb_free(&out);
    sb_free(&enc);
    /* the same at the limit decodes */
    cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, TR_BODYDEC_ZSTD_WINDOW_LOG);
    ob.pos = 0;
    ib.pos = 0;
    r = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue);
    while ((r = ZSTD_compressStream2(cc, &ob, &none, ZSTD_e_end)) != 0 && !ZSTD_isError(r))
        ;
    ZSTD_freeCCtx(cc);
    sb_put(&enc, buf, ob.pos);
    TT_EQ_INT(decode(&out, &z, 1, &enc, 0, NULL), TR_BODYDEC_OK);
    TT_CHECK(out.len == n && !memcmp(out.p, t, n));
    sb_free(&out);
    sb_free(&enc);
    free(buf);
    free(t);
}

static void t_bomb_max_body(void)
{
    uint8_t *t = text(8192);
    struct tr_bodydec_opts o = {4096, 0};
    for (int c = 0; c < TR_CODING_N; c++) {
        struct sb enc = {0}, out;
        encode1(&enc, t, 8192, c, 0);
        TT_EQ_INT(decode(&out, &c, 1, &enc, 0, &o), TR_BODYDEC_BOMB);
        TT_CHECK(out.len <= 4096);
        sb_free(&out);
        /* exactly at the limit is fine */
        struct tr_bodydec_opts exact = {8192, 0};
        TT_EQ_INT(decode(&out, &c, 1, &enc, 0, &exact), TR_BODYDEC_OK);
        TT_EQ_INT(out.len, 8192);
        sb_free(&out);
        sb_free(&enc);
    }
    free(t);
}

static void t_bomb_ratio(void)
{
    /* 10 MiB of zeros: ~1000:1, over 100:1 once past the 1 MiB floor */
    size_t n = 10u << 20;
    uint8_t *zeros = calloc(1, n);
    struct sb enc = {0}, out;
    int g = TR_CODING_GZIP;
    enc_zlib(&enc, zeros, n, ENC_GZIP);
    struct tr_bodydec_opts o = {0, 100};
    struct tr_bodydec *b = tr_bodydec_new(&g, 1, &o);
    memset(&out, 0, sizeof out);
    TT_EQ_INT(tr_bodydec_push(b, enc.p, enc.len, sink, &out), TR_BODYDEC_BOMB);
    TT_CHECK(out.len <= TR_BODYDEC_RATIO_FLOOR + 8192);
    TT_CHECK(out.len > TR_BODYDEC_RATIO_FLOOR - 8192);
    TT_EQ_INT(tr_bodydec_out(b), out.len);
    /* dead: same reason again, nothing more */
    expect_dead(b, enc.p, 16, &out, TR_BODYDEC_BOMB);
    tr_bodydec_free(b);
    sb_free(&out);
    /* a laxer ratio lets it through (defaults: 64 MiB, 100:1 => bomb) */
    struct tr_bodydec_opts lax = {0, 5000};
    TT_EQ_INT(decode(&out, &g, 1, &enc, 0, &lax), TR_BODYDEC_OK);
    TT_EQ_INT(out.len, n);
    sb_free(&out);
    TT_EQ_INT(decode(&out, &g, 1, &enc, 0, NULL), TR_BODYDEC_BOMB);
    sb_free(&out);
    sb_free(&enc);
    /* 100 KiB of zeros, also ~1000:1, stays under the floor: OK */
    int codings[] = {TR_CODING_GZIP, TR_CODING_BR, TR_CODING_ZSTD};
    for (size_t i = 0; i < 3; i++) {
        encode1(&enc, zeros, 100u << 10, codings[i], 0);
        TT_CHECK(enc.len * 100 < (100u << 10));
        TT_EQ_INT(decode(&out, &codings[i], 1, &enc, 0, &o), TR_BODYDEC_OK);
        TT_EQ_INT(out.len, 100u << 10);
        sb_free(&out);
        sb_free(&enc);
    }
    /* the ratio counts the encoded bytes of the outer layer: a zstd bomb
     * inside gzip is still a bomb */
    int stack[] = {TR_CODING_ZSTD, TR_CODING_GZIP};
    encode(&enc, zeros, n, stack, 2);
    TT_EQ_INT(decode(&out, stack, 2, &enc, 4096, NULL), TR_BODYDEC_BOMB);
    sb_free(&out);
    sb_free(&enc);
    free(zeros);
}

static int out_fail_after;
static int failing(void *ctx, const uint8_t *p, size_t n)
{
    if (out_fail_after-- <= 0)
        return TR_E_IO;
    return sink(ctx, p, n);
}

static void t_out_error(void)
{
    uint8_t *t = text(100000);
    for (int c = 0; c < TR_CODING_N; c++) {
        struct sb enc = {0}, out = {0};
        encode1(&enc, t, 100000, c, 0);
        struct tr_bodydec *b = tr_bodydec_new(&c, 1, NULL);
        out_fail_after = 1;
        TT_EQ_INT(tr_bodydec_push(b, enc.p, enc.len, failing, &out), TR_E_IO);
        TT_CHECK(out.len > 0 && out.len < 100000);
        expect_dead(b, enc.p, 1, &out, TR_E_IO);
        tr_bodydec_free(b);
        sb_free(&out);
        sb_free(&enc);
    }
    free(t);
}

static void t_empty_and_args(void)
{
    /* no byte at all: an empty body, complete */
    int four[] = {TR_CODING_GZIP, TR_CODING_DEFLATE, TR_CODING_BR, TR_CODING_ZSTD};
    struct tr_bodydec *b = tr_bodydec_new(four, 4, NULL);
    TT_CHECK(b != NULL);
    struct sb out = {0};
    TT_EQ_INT(tr_bodydec_push(b, NULL, 0, sink, &out), TR_BODYDEC_OK);
    TT_EQ_INT(tr_bodydec_finish(b, sink, &out), TR_BODYDEC_OK);
    TT_EQ_INT(out.len, 0);
    TT_EQ_INT(tr_bodydec_in(b), 0);
    tr_bodydec_free(b);
    tr_bodydec_free(NULL);
    int five[] = {0, 1, 2, 3, 0};
    TT_CHECK(tr_bodydec_new(five, 5, NULL) == NULL);
    TT_CHECK(tr_bodydec_new(five, 0, NULL) == NULL);
    int bad[] = {TR_CODING_N};
    TT_CHECK(tr_bodydec_new(bad, 1, NULL) == NULL);
    int ident[] = {TR_CODING_IDENTITY};
    TT_CHECK(tr_bodydec_new(ident, 1, NULL) == NULL);
}

static int parse(const char *v, int *c, size_t max)
{
    return tr_bodydec_parse((const uint8_t *)v, strlen(v), c, max);
}

static void t_parse(void)
{
    int c[8];
    TT_EQ_INT(parse("gzip", c, 4), 1);
    TT_EQ_INT(c[0], TR_CODING_GZIP);
    TT_EQ_INT(parse("x-gzip , br", c, 4), 2);
    TT_EQ_INT(c[0], TR_CODING_GZIP);
    TT_EQ_INT(c[1], TR_CODING_BR);
    TT_EQ_INT(parse("identity", c, 4), 0);
    TT_EQ_INT(parse("", c, 4), 0);
    TT_EQ_INT(parse(" , ,", c, 4), 0);
    TT_EQ_INT(parse("compress", c, 4), TR_CODING_UNKNOWN);
    TT_EQ_INT(parse("gzip, compress", c, 4), TR_CODING_UNKNOWN);
    TT_EQ_INT(parse("gzip, deflate, br, zstd, gzip", c, 4), TR_CODING_UNKNOWN);
    TT_EQ_INT(parse("gzip, deflate, br, zstd, gzip", c, 5), 5);
    TT_EQ_INT(parse("gzip, identity, deflate, br, zstd", c, 4), 4);
    TT_EQ_INT(c[3], TR_CODING_ZSTD);
    TT_EQ_INT(parse("DEFLATE,\tZstd ;q=1, Br", c, 4), 3);
    TT_EQ_INT(c[0], TR_CODING_DEFLATE);
    TT_EQ_INT(c[1], TR_CODING_ZSTD);
    TT_EQ_INT(c[2], TR_CODING_BR);
    TT_EQ_INT(parse("g zip", c, 4), TR_CODING_UNKNOWN);
    TT_EQ_INT(parse("chunked", c, 4), TR_CODING_UNKNOWN);
    TT_EQ_INT(parse("br", c, 0), TR_CODING_UNKNOWN);
    TT_EQ_INT(parse("identity", c, 0), 0);
    TT_EQ_INT(tr_bodydec_coding_of((const uint8_t *)"X-GZIP", 6), TR_CODING_GZIP);
    TT_EQ_INT(tr_bodydec_coding_of((const uint8_t *)"Identity", 8), TR_CODING_IDENTITY);
    TT_EQ_INT(tr_bodydec_coding_of((const uint8_t *)"gzip ", 5), TR_CODING_UNKNOWN);
    TT_EQ_INT(tr_bodydec_coding_of((const uint8_t *)"", 0), TR_CODING_UNKNOWN);
}

int main(void)
{
    TT_RUN(t_each_coding);
    TT_RUN(t_buffer_boundaries);
    TT_RUN(t_raw_vs_zlib_deflate);
    TT_RUN(t_stacked);
    TT_RUN(t_concatenated);
    TT_RUN(t_truncated);
    TT_RUN(t_corrupt);
    TT_RUN(t_zstd_window);
    TT_RUN(t_bomb_max_body);
    TT_RUN(t_bomb_ratio);
    TT_RUN(t_out_error);
    TT_RUN(t_empty_and_args);
    TT_RUN(t_parse);
    TT_DONE();
}
