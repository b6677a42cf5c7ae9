/* bodydec.c - see bodydec.h. */
/* ZSTD_createDStream_advanced (custom allocator, so that zstd's buffers are
 * wiped on free): declared in the "static" part of zstd.h, exported by the
 * shared libzstd and stable since v1.0. */
#define ZSTD_STATIC_LINKING_ONLY

#include "proto/bodydec.h"
#include "core/ascii.h"

#include "core/err.h"
#include "core/wipealloc.h"
#include "redact/redact.h"

#include <brotli/decode.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* Decoded bytes handed on per library call (stack buffer, wiped). */
#define DEC_CHUNK 8192

/* One coding layer.  Layer 0 receives the encoded bytes: it undoes the
 * coding applied last. */
struct layer {
    int coding;         /* enum tr_coding */
    int done;           /* the stream reached its end */
    int junk;           /* bytes after the end that start no gzip member:
                         * this and everything after is ignored */
    uint64_t in;        /* bytes fed to this layer */
    uint8_t pend[2];    /* deflate: first bytes, to tell zlib from raw */
    size_t npend;
    int zinit;
    z_stream z;
    BrotliDecoderState *br;
    ZSTD_DStream *zs;
};

struct tr_bodydec {
    struct layer l[TR_BODYDEC_MAX_CODINGS];
    size_t n;
    uint64_t max_body;
    uint32_t max_ratio;
    uint64_t in, out;
    int dead;           /* 0, or what every later call returns */
    tr_bodydec_out_fn fn; /* during push only */
    void *ctx;
};

/* ---- coding names ---- */

int tr_bodydec_coding_of(const uint8_t *p, size_t n)
{
    if (tr_ieq(p, n, "gzip") || tr_ieq(p, n, "x-gzip"))
        return TR_CODING_GZIP;
    if (tr_ieq(p, n, "deflate"))
        return TR_CODING_DEFLATE;
    if (tr_ieq(p, n, "br"))
        return TR_CODING_BR;
    if (tr_ieq(p, n, "zstd"))
        return TR_CODING_ZSTD;
    if (tr_ieq(p, n, "identity"))
        return TR_CODING_IDENTITY;
    return TR_CODING_UNKNOWN;
}

static int blank(uint8_t c) { return c == ' ' || c == '\t'; }

int tr_bodydec_parse(const uint8_t *v, size_t n, int *codings, size_t max)
{
    size_t cnt = 0, i = 0;
    while (i < n) {
        /* one list element: up to ',', parameters after ';' ignored */
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = s;
        while (e < i && v[e] != ';')
            e++;
        i++; /* the comma */
        while (s < e && blank(v[s]))
            s++;
        while (e > s && blank(v[e - 1]))
            e--;
        if (s == e)
            continue; /* empty element (RFC 9110 §5.6.1) */
        int c = tr_bodydec_coding_of(v + s, e - s);
        if (c == TR_CODING_IDENTITY)
            continue;
        if (c < 0 || cnt >= max)
            return TR_CODING_UNKNOWN;
        codings[cnt++] = c;
    }
    return (int)cnt;
}

/* ---- decoder ---- */

/* The libraries' windows hold cleartext: they allocate through
 * core/wipealloc, which wipes every block before free. */
static int layer_init(struct layer *g)
{
    switch (g->coding) {
    case TR_CODING_GZIP:
    case TR_CODING_DEFLATE:
        /* deflate: zlib until the first two bytes say raw (feed) */
        g->z.zalloc = tr_wipe_zalloc;
        g->z.zfree = tr_wipe_zfree;
        if (inflateInit2(&g->z, g->coding == TR_CODING_GZIP ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
            return TR_E_NOMEM;
        g->zinit = 1;
        return 0;
    case TR_CODING_BR:
        g->br = BrotliDecoderCreateInstance(tr_wipe_alloc_opaque, tr_wipe_free_opaque, NULL);
        return g->br ? 0 : TR_E_NOMEM;
    case TR_CODING_ZSTD: {
        ZSTD_customMem cm = {tr_wipe_alloc_opaque, tr_wipe_free_opaque, NULL};
        g->zs = ZSTD_createDStream_advanced(cm);
        if (!g->zs ||
            ZSTD_isError(ZSTD_DCtx_setParameter(g->zs, ZSTD_d_windowLogMax, TR_BODYDEC_ZSTD_WINDOW_LOG)))
            return TR_E_NOMEM;
        return 0;
    }
    default:
        return TR_E_ARG;
    }
}

static void layer_free(struct layer *g)
{
    if (g->zinit)
        inflateEnd(&g->z);
    if (g->br)
        BrotliDecoderDestroyInstance(g->br);
    if (g->zs)
        ZSTD_freeDStream(g->zs);
    tr_redact_wipe(g, sizeof *g);
}

struct tr_bodydec *tr_bodydec_new(const int *codings, size_t n, const struct tr_bodydec_opts *opts)
{
    if (!codings || n < 1 || n > TR_BODYDEC_MAX_CODINGS)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (codings[i] < 0 || codings[i] >= TR_CODING_N)
            return NULL;
    struct tr_bodydec *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->max_body = opts && opts->max_body ? opts->max_body : TR_BODYDEC_MAX_BODY_DEFAULT;
    b->max_ratio = opts && opts->max_ratio ? opts->max_ratio : TR_BODYDEC_MAX_RATIO_DEFAULT;
    b->n = n;
    /* decoding runs in reverse order of application */
    for (size_t i = 0; i < n; i++) {
        b->l[i].coding = codings[n - 1 - i];
        if (layer_init(&b->l[i]) != 0) {
            tr_bodydec_free(b);
            return NULL;
        }
    }
    return b;
}

static int feed(struct tr_bodydec *b, size_t i, const uint8_t *p, size_t n);

/* Decoded output of the last layer: bounded, then handed to out. */
static int emit(struct tr_bodydec *b, const uint8_t *p, size_t n)
{
    uint64_t total = b->out + n;
    if (total > b->max_body || (total > TR_BODYDEC_RATIO_FLOOR && total / b->max_ratio > b->in))
        return TR_BODYDEC_BOMB;
    b->out = total;
    return b->fn(b->ctx, p, n);
}

static int next(struct tr_bodydec *b, size_t i, const uint8_t *p, size_t n)
{
    return i + 1 < b->n ? feed(b, i + 1, p, n) : emit(b, p, n);
}

static int feed_zlib(struct tr_bodydec *b, size_t i, const uint8_t *p, size_t n)
{
    struct layer *g = &b->l[i];
    uint8_t buf[DEC_CHUNK];
    int rc = 0;
    g->z.next_in = (Bytef *)(uintptr_t)p;
    g->z.avail_in = (uInt)n;
    for (;;) {
        if (g->done) {
            /* gzip members may follow each other; anything else after the
             * end is ignored (never emitted), up to the end of the body,
             * wherever the pushes cut it */
            if (!g->z.avail_in || g->junk)
                break;
            if (g->coding != TR_CODING_GZIP || g->z.next_in[0] != 0x1f) {
                g->junk = 1;
                break;
            }
            inflateReset(&g->z);
            g->done = 0;
        }
        g->z.next_out = buf;
        g->z.avail_out = sizeof buf;
        int zr = inflate(&g->z, Z_NO_FLUSH);
        size_t got = sizeof buf - g->z.avail_out;
        if (got && (rc = next(b, i, buf, got)) != 0)
            break;
        if (zr == Z_STREAM_END) {
            g->done = 1;
            continue;
        }
        if (zr == Z_BUF_ERROR)
            break;
        if (zr != Z_OK) {
            rc = zr == Z_MEM_ERROR ? TR_E_NOMEM : TR_BODYDEC_ERROR;
            break;
        }
        if (g->z.avail_in == 0 && g->z.avail_out != 0)
            break;
    }
    g->z.next_in = NULL;
    g->z.avail_in = 0;
    tr_redact_wipe(buf, sizeof buf);
    return rc;
}

static int feed_br(struct tr_bodydec *b, size_t i, const uint8_t *p, size_t n)
{
    struct layer *g = &b->l[i];
    uint8_t buf[DEC_CHUNK];
    int rc = 0;
    size_t ain = n;
    const uint8_t *nin = p;
    while (!g->done) {
        size_t aout = sizeof buf;
        uint8_t *nout = buf;
        BrotliDecoderResult r = BrotliDecoderDecompressStream(g->br, &ain, &nin, &aout, &nout, NULL);
        size_t got = sizeof buf - aout;
        if (got && (rc = next(b, i, buf, got)) != 0)
            break;
        if (r == BROTLI_DECODER_RESULT_SUCCESS) {
            g->done = 1;
        } else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
            break;
        } else if (r == BROTLI_DECODER_RESULT_ERROR) {
            rc = TR_BODYDEC_ERROR;
            break;
        }
    }
    tr_redact_wipe(buf, sizeof buf);
    return rc;
}

static int feed_zstd(struct tr_bodydec *b, size_t i, const uint8_t *p, size_t n)
{
    struct layer *g = &b->l[i];
    uint8_t buf[DEC_CHUNK];
    int rc = 0;
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer ob = {buf, sizeof buf, 0};
        size_t before = in.pos;
        size_t r = ZSTD_decompressStream(g->zs, &ob, &in);
        if (ZSTD_isError(r)) {
            rc = TR_BODYDEC_ERROR; /* corrupt, or window over the limit */
            break;
        }
        if (ob.pos && (rc = next(b, i, buf, ob.pos)) != 0)
            break;
        /* 0: a frame ended and was flushed.  A call that consumed nothing
         * after that (buf was exactly filled) returns the size of the next
         * frame header: the stream is still at its end. */
        if (r == 0)
            g->done = 1;
        else if (in.pos != before)
            g->done = 0;
        if (in.pos == in.size && ob.pos < ob.size)
            break;
    }
    tr_redact_wipe(buf, sizeof buf);
    return rc;
}

/* Feeds n bytes to layer i.  Returns 0, a TR_BODYDEC_* reason, or a
 * negative code (out, or out of memory). */
static int feed(struct tr_bodydec *b, size_t i, const uint8_t *p, size_t n)
{
    struct layer *g = &b->l[i];
    if (!n)
        return 0;
    g->in += n;
    if (g->coding == TR_CODING_DEFLATE && g->npend < 2) {
        /* RFC 9110 says zlib; some servers send raw deflate: a zlib header
         * is CM 8, CINFO <= 7 and a multiple of 31 (RFC 1950 §2.2) */
        while (n && g->npend < 2) {
            g->pend[g->npend++] = *p++;
            n--;
        }
        if (g->npend < 2)
            return 0;
        unsigned h = ((unsigned)g->pend[0] << 8) | g->pend[1];
        int zlib = (g->pend[0] & 0x0f) == 8 && (g->pend[0] >> 4) <= 7 && h % 31 == 0;
        if (!zlib && inflateReset2(&g->z, -MAX_WBITS) != Z_OK)
            return TR_BODYDEC_ERROR;
        int rc = feed_zlib(b, i, g->pend, 2);
        if (rc || !n)
            return rc;
    }
    switch (g->coding) {
    case TR_CODING_GZIP:
    case TR_CODING_DEFLATE:
        return feed_zlib(b, i, p, n);
    case TR_CODING_BR:
        return feed_br(b, i, p, n);
    default:
        return feed_zstd(b, i, p, n);
    }
}

int tr_bodydec_push(struct tr_bodydec *b, const uint8_t *p, size_t n, tr_bodydec_out_fn out,
                    void *ctx)
{
    if (b->dead)
        return b->dead;
    if (!n)
        return 0;
    b->in += n;
    b->fn = out;
    b->ctx = ctx;
    int rc = feed(b, 0, p, n);
    b->fn = NULL;
    b->ctx = NULL;
    if (rc)
        b->dead = rc;
    return rc;
}

int tr_bodydec_finish(struct tr_bodydec *b, tr_bodydec_out_fn out, void *ctx)
{
    (void)out; /* every push drains the decoders: nothing is left to emit */
    (void)ctx;
    if (b->dead)
        return b->dead;
    /* a layer that received nothing is an empty body: complete */
    for (size_t i = 0; i < b->n; i++)
        if (b->l[i].in && !b->l[i].done)
            return b->dead = TR_BODYDEC_ERROR;
    return TR_BODYDEC_OK;
}

uint64_t tr_bodydec_in(const struct tr_bodydec *b) { return b->in; }

uint64_t tr_bodydec_out(const struct tr_bodydec *b) { return b->out; }

void tr_bodydec_free(struct tr_bodydec *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        layer_free(&b->l[i]);
    tr_redact_wipe(b, sizeof *b);
    free(b);
}
