/* fuzz_http1.c - the HTTP/1.x direction rewriter (proto/http1).
 * Input: byte 0 selects the direction (bit 0: client), allow_uninspected
 * (bit 1), a gap in the middle (bit 2) and a piece size (bits 3-7); the rest
 * is the direction's cleartext.  A server direction is paired with a client
 * that sent HEAD, GET and a WebSocket Upgrade.  The input is pushed whole
 * and in pieces: the outputs must be identical, so must the media context
 * reports (where in the output each one falls), and the byte count in the
 * stats must match what was emitted.  A media report that repeats the last
 * value, or that no byte follows, is a bug. */
#include "proto/http1.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "sink.h"

/* Media reports: a hash of (output offset, media) pairs. */
struct media_log {
    const struct sink *out;
    uint64_t h;
    size_t n, last_off;
    int last;
};

static void on_media(void *ctx, int media)
{
    struct media_log *m = ctx;
    if (media == m->last || (m->n && m->out->len == m->last_off))
        abort();
    m->h = (m->h ^ (uint64_t)m->out->len) * 1099511628211u;
    m->h = (m->h ^ (uint64_t)media) * 1099511628211u;
    m->n++;
    m->last = media;
    m->last_off = m->out->len;
}

static void run(const uint8_t *data, size_t size, int flags, size_t piece, struct sink *s,
                struct tr_http1_stats *st, struct media_log *ml)
{
    struct tr_http1_opts o = {flags & 2, 1u << 20, 0};
    struct sink cs = {0};
    int client = flags & 1;
    struct tr_http1dir *d = tr_http1dir_new(client, emit, s, &o);
    struct tr_http1dir *c = NULL;
    if (!d)
        abort();
    ml->out = s;
    tr_http1dir_set_media_cb(d, on_media, ml);
    if (!client) {
        /* a paired client that asked HEAD, GET, then an Upgrade */
        static const char req[] = "HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"
                                  "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
        c = tr_http1dir_new(1, emit, &cs, &o);
        tr_http1dir_peer(c, d);
        tr_http1dir_push(c, (const uint8_t *)req, sizeof req - 1);
    }
    size_t half = size / 2;
    for (size_t i = 0; i < size;) {
        size_t k = size - i < piece ? size - i : piece;
        if ((flags & 4) && i < half && i + k > half)
            k = half - i;
        if (tr_http1dir_push(d, data + i, k))
            abort();
        i += k;
        if ((flags & 4) && i == half)
            tr_http1dir_gap(d);
    }
    if (tr_http1dir_finish(d))
        abort();
    /* the last report was followed by bytes too */
    if (ml->n && s->len == ml->last_off)
        abort();
    tr_http1dir_stats(d, st);
    tr_http1dir_free(d);
    if (c) {
        tr_http1dir_push(c, (const uint8_t *)"\x81\x80\1\2\3\4", 6);
        tr_http1dir_finish(c);
        tr_http1dir_free(c);
    }
    free(cs.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int flags = data[0] & 7;
    size_t piece = (size_t)(data[0] >> 3) + 1;
    data++;
    size--;
    struct sink a = {0}, b = {0};
    struct tr_http1_stats sa, sb;
    struct media_log ma = {0}, mb = {0};
    run(data, size, flags, size ? size : 1, &a, &sa, &ma);
    run(data, size, flags, piece, &b, &sb, &mb);
    if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len)))
        abort();
    if (ma.n != mb.n || ma.h != mb.h)
        abort();
    if (sa.bytes_out != a.len)
        abort();
    free(a.p);
    free(b.p);
    return 0;
}
