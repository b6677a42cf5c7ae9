/* test_ws.c - WebSocket frames are unmasked and permessage-deflate messages
 * inflated, re-framed so the output parses as unmasked, uncompressed frames
 * with the cleartext payloads; the output does not depend on how the input
 * was cut; gaps, protocol errors, inflate errors and bombs fail closed. */
#include "core/err.h"
#include "proto/ws.h"
#include "sb.h"
#include "tt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SECRET "Bearer sk_live_SECRET0123456789"

/* ---- input builder ---- */

/* lenform: 0 shortest, 16 or 64 forced. key: NULL for unmasked. */
static void frame(struct sb *b, int fin, int rsv1, int op, const uint8_t *key,
                  const void *pl, size_t n, int lenform)
{
    uint8_t h[14];
    size_t k = 2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | op);
    uint8_t m = key ? 0x80 : 0;
    if (lenform == 0 && n < 126) {
        h[1] = (uint8_t)(m | n);
    } else if (lenform != 64 && n <= 0xffff) {
        h[1] = m | 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        k = 4;
    } else {
        h[1] = m | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        k = 10;
    }
    if (key) {
        memcpy(h + k, key, 4);
        k += 4;
    }
    sb_put(b, h, k);
    const uint8_t *q = pl;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = key ? (uint8_t)(q[i] ^ key[i & 3]) : q[i];
        sb_put(b, &c, 1);
    }
}

static const uint8_t KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

/* permessage-deflate sender (RFC 7692 §7.2.1): raw deflate, sync flush,
 * the trailing 00 00 ff ff removed. */
struct pmd {
    z_stream z;
    int no_ctx;
};

static void pmd_init(struct pmd *c, int no_ctx)
{
    memset(c, 0, sizeof *c);
    c->no_ctx = no_ctx;
    if (deflateInit2(&c->z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
}

static void pmd_end(struct pmd *c)
{
    deflateEnd(&c->z);
}

static void pmd_compress(struct pmd *c, const void *msg, size_t n, struct sb *outb)
{
    size_t cap = deflateBound(&c->z, n) + 64;
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    c->z.next_in = (Bytef *)(uintptr_t)msg;
    c->z.avail_in = (uInt)n;
    c->z.next_out = buf;
    c->z.avail_out = (uInt)cap;
    if (deflate(&c->z, Z_SYNC_FLUSH) != Z_OK || c->z.avail_in)
        abort();
    size_t len = cap - c->z.avail_out;
    if (len < 4 || memcmp(buf + len - 4, "\x00\x00\xff\xff", 4))
        abort();
    sb_put(outb, buf, len - 4);
    free(buf);
    if (c->no_ctx)
        deflateReset(&c->z);
}

/* ---- output parser ---- */

struct msg {
    int op;
    struct sb pl;
};

struct parsed {
    int ok;          /* every frame well formed, unmasked, RSV clear */
    int nframes;
    int nctrl;
    struct msg msgs[16];
    int nmsgs;
    int ctrl_ops[16];
    struct sb ctrl_pl[16];
    int max_payload; /* largest data frame payload */
};

static void parsed_free(struct parsed *r)
{
    for (int i = 0; i < r->nmsgs; i++)
        sb_free(&r->msgs[i].pl);
    for (int i = 0; i < r->nctrl && i < 16; i++)
        sb_free(&r->ctrl_pl[i]);
}

/* Parses the output as complete frames and reassembles messages. */
static void parse(const struct sb *b, struct parsed *r)
{
    memset(r, 0, sizeof *r);
    r->ok = 1;
    size_t i = 0;
    int open = 0;
    while (i < b->len) {
        if (b->len - i < 2) {
            r->ok = 0;
            return;
        }
        const uint8_t *h = b->p + i;
        int fin = h[0] >> 7, op = h[0] & 15;
        if ((h[0] & 0x70) || (h[1] & 0x80)) {
            r->ok = 0;
            return;
        }
        uint64_t len = h[1] & 0x7f;
        size_t hl = 2;
        if (len == 126) {
            if (b->len - i < 4) { r->ok = 0; return; }
            len = ((uint64_t)h[2] << 8) | h[3];
            hl = 4;
            if (len < 126) r->ok = 0; /* not shortest */
        } else if (len == 127) {
            if (b->len - i < 10) { r->ok = 0; return; }
            len = 0;
            for (int k = 0; k < 8; k++)
                len = (len << 8) | h[2 + k];
            hl = 10;
            if (len <= 0xffff) r->ok = 0;
        }
        if (len > b->len - i - hl) {
            r->ok = 0;
            return;
        }
        const uint8_t *pl = h + hl;
        i += hl + (size_t)len;
        r->nframes++;
        if (op & 8) {
            if (!fin || len > 125) r->ok = 0;
            if (r->nctrl < 16) {
                r->ctrl_ops[r->nctrl] = op;
                sb_put(&r->ctrl_pl[r->nctrl], pl, (size_t)len);
            }
            r->nctrl++;
            continue;
        }
        if ((int)len > r->max_payload)
            r->max_payload = (int)len;
        if (op == 0) {
            if (!open) { r->ok = 0; return; }
        } else {
            if (open || r->nmsgs == 16) { r->ok = 0; return; }
            r->msgs[r->nmsgs].op = op;
            r->nmsgs++;
            open = 1;
        }
        sb_put(&r->msgs[r->nmsgs - 1].pl, pl, (size_t)len);
        if (fin)
            open = 0;
    }
    if (open)
        r->ok = 0;
}

/* ---- runner ---- */

struct cfg {
    int client, pmd, no_ctx;
};

static void run(const struct cfg *c, const struct sb *in, size_t piece, struct sb *o,
                struct tr_ws_stats *st)
{
    struct tr_wsdir *d = tr_wsdir_new(c->client, c->pmd, sink, o);
    if (!d)
        abort();
    if (c->no_ctx && tr_wsdir_set_deflate_params(d, 1, 15))
        abort();
    if (!piece)
        piece = in->len ? in->len : 1;
    for (size_t i = 0; i < in->len; i += piece)
        if (tr_wsdir_push(d, in->p + i, in->len - i < piece ? in->len - i : piece))
            abort();
    if (tr_wsdir_finish(d))
        abort();
    if (st)
        tr_wsdir_stats(d, st);
    tr_wsdir_free(d);
}

/* Output of a two-piece split at every offset equals the whole run. */
static int split_invariant(const struct cfg *c, const struct sb *in, const struct sb *whole)
{
    int ok = 1;
    for (size_t cut = 0; cut <= in->len && ok; cut++) {
        struct sb o = {0};
        struct tr_wsdir *d = tr_wsdir_new(c->client, c->pmd, sink, &o);
        if (c->no_ctx)
            tr_wsdir_set_deflate_params(d, 1, 0);
        tr_wsdir_push(d, in->p, cut);
        tr_wsdir_push(d, in->p + cut, in->len - cut);
        tr_wsdir_finish(d);
        tr_wsdir_free(d);
        if (o.len != whole->len || (o.len && memcmp(o.p, whole->p, o.len)))
            ok = 0;
        sb_free(&o);
    }
    for (size_t piece = 1; piece <= 7 && ok; piece++) {
        struct sb o = {0};
        run(c, in, piece, &o, NULL);
        if (o.len != whole->len || (o.len && memcmp(o.p, whole->p, o.len)))
            ok = 0;
        sb_free(&o);
    }
    return ok;
}

static int all_stars(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '*')
            return 0;
    return 1;
}

/* ---- tests ---- */

static void test_masked_client_text(void)
{
    struct sb in = {0}, o = {0};
    const char *m = "{\"token\":\"" SECRET "\"}";
    frame(&in, 1, 0, 1, KEY, m, strlen(m), 0);
    TT_CHECK(!has(&in, SECRET));
    struct cfg c = {1, 0, 0};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    struct parsed r;
    parse(&o, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.nmsgs, 1);
    TT_EQ_INT(r.msgs[0].op, 1);
    TT_EQ_INT(r.msgs[0].pl.len, strlen(m));
    TT_EQ_MEM(r.msgs[0].pl.p, m, strlen(m));
    TT_CHECK(has(&o, SECRET));
    TT_EQ_INT(o.len, in.len - 4); /* the masking key is gone */
    TT_EQ_INT(st.bytes_unmasked, strlen(m));
    TT_EQ_INT(st.frames, 1);
    TT_EQ_INT(st.messages, 1);
    TT_EQ_INT(st.mask_anomalies, 0);
    TT_EQ_INT(st.lost, 0);
    TT_CHECK(split_invariant(&c, &in, &o));
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

static void test_unmasked_server_frame(void)
{
    struct sb in = {0}, o = {0};
    const char *m = "hello " SECRET;
    frame(&in, 1, 0, 1, NULL, m, strlen(m), 0);
    frame(&in, 1, 0, 2, NULL, "\x00\x01\x02", 3, 0);
    struct cfg c = {0, 0, 0};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    TT_EQ_INT(o.len, in.len);
    TT_EQ_MEM(o.p, in.p, in.len);
    TT_EQ_INT(st.messages, 2);
    TT_EQ_INT(st.bytes_unmasked, 0);
    /* a masked server frame is unmasked too (counted as an anomaly) */
    struct sb in2 = {0}, o2 = {0};
    frame(&in2, 1, 0, 1, KEY, m, strlen(m), 0);
    run(&c, &in2, 0, &o2, &st);
    TT_EQ_INT(o2.len, o.len - 5);
    TT_CHECK(has(&o2, SECRET));
    TT_EQ_INT(st.mask_anomalies, 1);
    sb_free(&in);
    sb_free(&o);
    sb_free(&in2);
    sb_free(&o2);
}

static void test_lengths(void)
{
    struct sb in = {0}, o = {0};
    uint8_t *big = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        big[i] = (uint8_t)('a' + i % 26);
    memcpy(big + 300, SECRET, strlen(SECRET));
    memcpy(big + 69000, SECRET, strlen(SECRET));
    frame(&in, 1, 0, 1, KEY, big, 300 + strlen(SECRET), 0);  /* 16-bit */
    frame(&in, 1, 0, 2, KEY, big, 70000, 0);                 /* 64-bit */
    frame(&in, 1, 0, 1, KEY, "short", 5, 64);                /* non-minimal */
    frame(&in, 1, 0, 1, KEY, "", 0, 0);                      /* empty */
    struct cfg c = {1, 0, 0};
    run(&c, &in, 0, &o, NULL);
    struct parsed r;
    parse(&o, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.nmsgs, 4);
    TT_EQ_INT(r.msgs[0].pl.len, 300 + strlen(SECRET));
    TT_EQ_MEM(r.msgs[0].pl.p, big, 300 + strlen(SECRET));
    TT_EQ_INT(r.msgs[1].pl.len, 70000);
    TT_EQ_MEM(r.msgs[1].pl.p, big, 70000);
    TT_EQ_INT(r.msgs[2].pl.len, 5);
    TT_EQ_MEM(r.msgs[2].pl.p, "short", 5);
    TT_EQ_INT(r.msgs[3].pl.len, 0);
    /* header of the 64-bit frame is unmasked and keeps 64-bit form */
    TT_EQ_INT(o.len, 4 + 300 + strlen(SECRET) + 10 + 70000 + 2 + 5 + 2);
    struct sb o2 = {0};
    run(&c, &in, 1, &o2, NULL);
    TT_CHECK(o2.len == o.len && !memcmp(o2.p, o.p, o.len));
    parsed_free(&r);
    free(big);
    sb_free(&in);
    sb_free(&o);
    sb_free(&o2);
}

static struct sb control_stream(void)
{
    struct sb in = {0};
    frame(&in, 0, 0, 1, KEY, "{\"pass", 6, 0);
    frame(&in, 1, 0, 9, KEY, "ping!", 5, 0);                 /* ping in between */
    frame(&in, 0, 0, 0, KEY, "word\":\"hunt", 11, 0);
    frame(&in, 1, 0, 0, KEY, "er2\"}", 5, 0);
    frame(&in, 1, 0, 10, KEY, "pong", 4, 0);
    frame(&in, 1, 0, 8, KEY, "\x03\xe8" "bye", 5, 0);
    return in;
}

static void test_fragments_and_control(void)
{
    struct sb in = control_stream(), o = {0};
    struct cfg c = {1, 0, 0};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    struct parsed r;
    parse(&o, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.nmsgs, 1);
    TT_EQ_INT(r.nframes, 6);
    TT_EQ_INT(r.msgs[0].pl.len, 22);
    TT_EQ_MEM(r.msgs[0].pl.p, "{\"password\":\"hunter2\"}", 22);
    TT_EQ_INT(r.nctrl, 3);
    TT_EQ_INT(r.ctrl_ops[0], 9);
    TT_EQ_MEM(r.ctrl_pl[0].p, "ping!", 5);
    TT_EQ_INT(r.ctrl_ops[1], 10);
    TT_EQ_INT(r.ctrl_ops[2], 8);
    TT_EQ_MEM(r.ctrl_pl[2].p, "\x03\xe8" "bye", 5);
    TT_EQ_INT(st.control_frames, 3);
    TT_EQ_INT(st.messages, 1);
    TT_CHECK(split_invariant(&c, &in, &o));
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

/* Compressed messages, server direction (unmasked) or client (masked). */
static struct sb deflate_stream(int client, int no_ctx, const char **msgs, int n)
{
    struct sb in = {0};
    struct pmd c;
    pmd_init(&c, no_ctx);
    for (int i = 0; i < n; i++) {
        struct sb z = {0};
        pmd_compress(&c, msgs[i], strlen(msgs[i]), &z);
        if (i == 1) {
            /* fragmented compressed message: RSV1 only on the first */
            size_t a = z.len / 3, b2 = 2 * z.len / 3;
            frame(&in, 0, 1, 1, client ? KEY : NULL, z.p, a, 0);
            frame(&in, 1, 0, 9, client ? KEY : NULL, "p", 1, 0);
            frame(&in, 0, 0, 0, client ? KEY : NULL, z.p + a, b2 - a, 0);
            frame(&in, 1, 0, 0, client ? KEY : NULL, z.p + b2, z.len - b2, 0);
        } else {
            frame(&in, 1, 1, 1, client ? KEY : NULL, z.p, z.len, 0);
        }
        sb_free(&z);
    }
    pmd_end(&c);
    return in;
}

static const char *MSGS[] = {
    "{\"user\":\"bob\",\"authorization\":\"" SECRET "\"}",
    "{\"user\":\"bob\",\"authorization\":\"" SECRET "\",\"n\":2,\"pad\":\"abcdefghijklmnopqrstuvwxyz\"}",
    "{\"user\":\"bob\",\"authorization\":\"" SECRET "\"}",
    "plain ascii text without much repetition 0123456789",
};

static void check_deflate(int client, int no_ctx)
{
    struct sb in = deflate_stream(client, no_ctx, MSGS, 4), o = {0};
    TT_CHECK(!has(&in, SECRET));
    TT_CHECK(!has(&in, "authorization"));
    struct cfg c = {client, 1, no_ctx};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    struct parsed r;
    parse(&o, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.nmsgs, 4);
    for (int i = 0; i < 4 && i < r.nmsgs; i++) {
        TT_EQ_INT(r.msgs[i].op, 1);
        TT_EQ_INT(r.msgs[i].pl.len, strlen(MSGS[i]));
        if (r.msgs[i].pl.len == strlen(MSGS[i]))
            TT_EQ_MEM(r.msgs[i].pl.p, MSGS[i], strlen(MSGS[i]));
    }
    TT_EQ_INT(r.nctrl, 1);
    TT_CHECK(has(&o, SECRET));
    TT_EQ_INT(st.compressed_messages, 4);
    TT_EQ_INT(st.messages, 4);
    TT_EQ_INT(st.bytes_inflated, strlen(MSGS[0]) + strlen(MSGS[1]) + strlen(MSGS[2]) + strlen(MSGS[3]));
    TT_EQ_INT(st.lost, 0);
    TT_EQ_INT(st.inflate_lost, 0);
    TT_EQ_INT(st.inflate_errors, 0);
    TT_CHECK(split_invariant(&c, &in, &o));
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

static void test_deflate_context_takeover(void)
{
    check_deflate(0, 0);
    check_deflate(1, 0);
}

static void test_deflate_no_context_takeover(void)
{
    check_deflate(0, 1);
    check_deflate(1, 1);
    /* decoding a no-context stream as context takeover also works (the
     * window only holds more); the reverse must fail closed */
    struct sb in = deflate_stream(0, 0, MSGS, 3), o = {0};
    struct cfg c = {0, 1, 1};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    TT_CHECK(st.lost || st.inflate_errors || st.bytes_inflated > 0);
    TT_CHECK(!has(&o, "\xc1")); /* no compressed frame header passes */
    sb_free(&in);
    sb_free(&o);
}

static void test_deflate_large_chunks(void)
{
    size_t n = 100000;
    char *m = malloc(n + 1);
    unsigned x = 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        m[i] = (char)('a' + (x >> 16) % 26);
    }
    m[n] = 0;
    memcpy(m + 50000, SECRET, strlen(SECRET));
    const char *msgs[1] = {m};
    struct sb in = deflate_stream(1, 0, msgs, 1), o = {0};
    struct cfg c = {1, 1, 0};
    run(&c, &in, 0, &o, NULL);
    struct parsed r;
    parse(&o, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.nmsgs, 1);
    TT_EQ_INT(r.msgs[0].pl.len, n);
    TT_CHECK(r.msgs[0].pl.len == n && !memcmp(r.msgs[0].pl.p, m, n));
    TT_EQ_INT(r.max_payload, TR_WS_OUT_CHUNK);
    TT_EQ_INT(r.nframes, (int)((n + TR_WS_OUT_CHUNK - 1) / TR_WS_OUT_CHUNK));
    TT_CHECK(has(&o, SECRET));
    for (size_t piece = 1; piece < 2000; piece = piece * 3 + 1) {
        struct sb o2 = {0};
        run(&c, &in, piece, &o2, NULL);
        TT_CHECK(o2.len == o.len && !memcmp(o2.p, o.p, o.len));
        sb_free(&o2);
    }
    parsed_free(&r);
    free(m);
    sb_free(&in);
    sb_free(&o);
}

/* A message ended with a final deflate block (RFC 7692 §7.2.3.3). */
static void test_deflate_bfinal(void)
{
    const char *m = "final block " SECRET;
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    uint8_t buf[256];
    z.next_in = (Bytef *)(uintptr_t)m;
    z.avail_in = (uInt)strlen(m);
    z.next_out = buf;
    z.avail_out = sizeof buf;
    TT_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t zl = sizeof buf - z.avail_out;
    deflateEnd(&z);
    struct sb in = {0}, o = {0};
    frame(&in, 1, 1, 1, NULL, buf, zl, 0);
    /* then a message compressed by a fresh sender (its own empty window) */
    struct pmd c2;
    pmd_init(&c2, 0);
    struct sb z2 = {0};
    pmd_compress(&c2, "second", 6, &z2);
    pmd_end(&c2);
    frame(&in, 1, 1, 1, NULL, z2.p, z2.len, 0);
    struct cfg c = {0, 1, 0};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    struct parsed r;
    parse(&o, &r);
    if (!r.ok) {
        for (size_t i = 0; i < o.len && i < 80; i++) printf("%02x ", o.p[i]);
        printf("\n why=%s lost=%d\n", st.why ? st.why : "-", st.lost);
    }
    TT_CHECK(r.ok);
    TT_EQ_INT(r.nmsgs, 2);
    TT_CHECK(r.nmsgs >= 1 && r.msgs[0].pl.len == strlen(m) &&
             !memcmp(r.msgs[0].pl.p, m, strlen(m)));
    TT_CHECK(r.nmsgs >= 2 && r.msgs[1].pl.len == 6 && !memcmp(r.msgs[1].pl.p, "second", 6));
    TT_EQ_INT(st.lost, 0);
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
    sb_free(&z2);
}

static void test_gap(void)
{
    struct sb in = deflate_stream(1, 0, MSGS, 3), o = {0};
    struct cfg c = {1, 1, 0};
    struct tr_wsdir *d = tr_wsdir_new(1, 1, sink, &o);
    size_t cut = in.len / 2;
    tr_wsdir_push(d, in.p, cut);
    size_t before = o.len;
    tr_wsdir_gap(d);
    tr_wsdir_push(d, in.p + cut, in.len - cut);
    tr_wsdir_finish(d);
    struct tr_ws_stats st;
    tr_wsdir_stats(d, &st);
    tr_wsdir_free(d);
    TT_EQ_INT(st.lost, 1);
    TT_CHECK(st.why && strstr(st.why, "gap"));
    TT_EQ_INT(o.len, before + (in.len - cut));
    TT_CHECK(all_stars(o.p + before, in.len - cut));
    (void)c;
    sb_free(&in);
    sb_free(&o);
}

/* Messages far beyond the expansion ratio are withheld; with context
 * takeover later compressed messages too, without it they decode. */
static void check_bomb(int no_ctx)
{
    size_t n = 3u * 1024u * 1024u;
    char *zeros = calloc(1, n + 1);
    memset(zeros, 'A', n);
    const char *msgs[3] = {"before", zeros, "after " SECRET};
    struct sb in = deflate_stream(0, no_ctx, msgs, 3), o = {0};
    TT_CHECK(in.len < n / 100);
    struct sb tail = {0};
    frame(&tail, 1, 0, 9, NULL, "still", 5, 0);
    frame(&tail, 1, 0, 1, NULL, "uncompressed", 12, 0);
    sb_put(&in, tail.p, tail.len);
    struct cfg c = {0, 1, no_ctx};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    struct parsed r;
    parse(&o, &r);
    if (!r.ok) printf("  bomb: nmsgs %d nframes %d why=%s lost=%d olen %zu\n", r.nmsgs, r.nframes, st.why ? st.why : "-", st.lost, o.len);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.nmsgs, 4);
    TT_EQ_INT(st.lost, 0);
    TT_CHECK(st.withheld_inflate_limit >= 1);
    TT_CHECK(o.len < 2u * 1024u * 1024u);
    if (r.nmsgs == 4) {
        TT_EQ_MEM(r.msgs[0].pl.p, "before", 6);
        /* withheld part of message 1: '*' frames */
        TT_CHECK(r.msgs[1].pl.len <= TR_WS_RATIO_FLOOR + 2 * 16384 + 4096);
        if (no_ctx) {
            TT_CHECK(r.msgs[2].pl.len == strlen(msgs[2]) &&
                     !memcmp(r.msgs[2].pl.p, msgs[2], strlen(msgs[2])));
            TT_EQ_INT(st.inflate_lost, 0);
        } else {
            TT_CHECK(all_stars(r.msgs[2].pl.p, r.msgs[2].pl.len));
            TT_EQ_INT(st.inflate_lost, 1);
            TT_CHECK(st.withheld_context_lost >= 1);
        }
        TT_EQ_MEM(r.msgs[3].pl.p, "uncompressed", 12);
    }
    TT_EQ_INT(r.nctrl, 2);
    struct sb o2 = {0};
    run(&c, &in, 997, &o2, NULL);
    TT_CHECK(o2.len == o.len && !memcmp(o2.p, o.p, o.len));
    parsed_free(&r);
    free(zeros);
    sb_free(&in);
    sb_free(&o);
    sb_free(&o2);
    sb_free(&tail);
}

static void test_inflate_bomb(void)
{
    check_bomb(0);
    check_bomb(1);
}

static void test_frame_limit(void)
{
    struct sb in = {0}, o = {0};
    uint8_t h[14] = {0x82, 0xff};
    uint64_t len = (uint64_t)TR_WS_MAX_FRAME + 1;
    for (int i = 0; i < 8; i++)
        h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    memcpy(h + 10, KEY, 4);
    sb_put(&in, h, 14);
    for (int i = 0; i < 100; i++)
        sb_put(&in, SECRET, strlen(SECRET));
    struct cfg c = {1, 0, 0};
    struct tr_ws_stats st;
    run(&c, &in, 0, &o, &st);
    TT_EQ_INT(st.withheld_frame_limit, 1);
    TT_EQ_INT(o.len, 10 + 100 * strlen(SECRET));
    TT_CHECK(all_stars(o.p + 10, o.len - 10));
    sb_free(&in);
    sb_free(&o);
}

/* Protocol errors: the offending frame and everything after become '*'.
 * The first `verbatim` bad bytes are a valid frame that passes as is; the
 * `dropped` bytes after them a compressed fragment that produced nothing. */
static void check_garbage(const struct cfg *c, const uint8_t *bad, size_t badlen,
                          size_t verbatim, size_t dropped)
{
    struct sb in = {0}, o = {0};
    frame(&in, 1, 0, 1, c->client ? KEY : NULL, "ok", 2, 0);
    size_t good = c->client ? 2 + 4 + 2 : 2 + 2;
    sb_put(&in, bad, badlen);
    frame(&in, 1, 0, 1, c->client ? KEY : NULL, SECRET, strlen(SECRET), 0);
    struct tr_ws_stats st;
    run(c, &in, 0, &o, &st);
    TT_EQ_INT(st.lost, 1);
    TT_CHECK(st.protocol_errors + st.inflate_errors == 1);
    TT_CHECK(o.len >= 4 && !memcmp(o.p, "\x81\x02ok", 4));
    if (o.len != 4 + in.len - good - dropped)
        printf("  garbage case %02x %02x (len %zu)\n", bad[0], bad[1], badlen);
    TT_EQ_INT(o.len, 4 + in.len - good - dropped);
    TT_CHECK(o.len >= 4 + verbatim && !memcmp(o.p + 4, bad, verbatim));
    TT_CHECK(o.len >= 4 + verbatim && all_stars(o.p + 4 + verbatim, o.len - 4 - verbatim));
    TT_CHECK(!has(&o, SECRET));
    TT_CHECK(split_invariant(c, &in, &o));
    sb_free(&in);
    sb_free(&o);
}

static void test_garbage(void)
{
    struct cfg srv = {0, 0, 0}, srvd = {0, 1, 0};
    check_garbage(&srv, (const uint8_t *)"\x83\x01x", 3, 0, 0);       /* reserved opcode */
    check_garbage(&srv, (const uint8_t *)"\x8b\x01x", 3, 0, 0);       /* reserved control */
    check_garbage(&srv, (const uint8_t *)"\xa1\x01x", 3, 0, 0);       /* RSV2 */
    check_garbage(&srv, (const uint8_t *)"\xc1\x01x", 3, 0, 0);       /* RSV1 without pmd */
    check_garbage(&srv, (const uint8_t *)"\x80\x01x", 3, 0, 0);       /* continuation alone */
    check_garbage(&srv, (const uint8_t *)"\x09\x01x", 3, 0, 0);       /* fragmented ping */
    check_garbage(&srv, (const uint8_t *)"\x01\x01x\x81\x00", 5, 3, 0); /* new msg inside */
    check_garbage(&srv, (const uint8_t *)"\x82\xff\x80\0\0\0\0\0\0\x01", 10, 0, 0); /* top bit */
    uint8_t ping[2 + 126] = {0x89, 0x7e, 0x00, 126};
    check_garbage(&srv, ping, 4, 0, 0);                               /* long ping */
    check_garbage(&srvd, (const uint8_t *)"\xc1\x03\xff\xff\xff", 5, 0, 0); /* bad deflate */
    check_garbage(&srvd, (const uint8_t *)"\x41\x01\x00\xc0\x01\x07", 6, 0, 3); /* RSV1 on continuation */
    check_garbage(&srvd, (const uint8_t *)"\x41\x01\x00\x80\x01\x07", 6, 0, 3); /* bad stored block */
}

/* Random bytes never crash and never pass masked payloads. */
static void test_random(void)
{
    unsigned x = 7;
    for (int it = 0; it < 300; it++) {
        struct sb in = {0}, o = {0};
        size_t n = 1 + it * 7 % 400;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            uint8_t b = (uint8_t)(x >> 16);
            sb_put(&in, &b, 1);
        }
        struct cfg c = {it & 1, (it >> 1) & 1, (it >> 2) & 1};
        struct tr_ws_stats st;
        run(&c, &in, 0, &o, &st);
        struct sb o2 = {0};
        run(&c, &in, 3, &o2, NULL);
        TT_CHECK(o.len == o2.len && (!o.len || !memcmp(o.p, o2.p, o.len)));
        TT_EQ_INT(st.bytes_in, in.len);
        TT_EQ_INT(st.bytes_out, o.len);
        sb_free(&in);
        sb_free(&o);
        sb_free(&o2);
    }
}

static void test_bad_params(void)
{
    struct sb o = {0};
    struct tr_wsdir *d = tr_wsdir_new(0, 1, sink, &o);
    TT_EQ_INT(tr_wsdir_set_deflate_params(d, 0, 7), TR_E_ARG);
    TT_EQ_INT(tr_wsdir_set_deflate_params(d, 0, 16), TR_E_ARG);
    TT_EQ_INT(tr_wsdir_set_deflate_params(d, 1, 9), 0);
    TT_EQ_INT(tr_wsdir_set_deflate_params(d, 0, 0), 0);
    tr_wsdir_free(d);
    tr_wsdir_free(NULL);
}

int main(void)
{
    TT_RUN(test_masked_client_text);
    TT_RUN(test_unmasked_server_frame);
    TT_RUN(test_lengths);
    TT_RUN(test_fragments_and_control);
    TT_RUN(test_deflate_context_takeover);
    TT_RUN(test_deflate_no_context_takeover);
    TT_RUN(test_deflate_large_chunks);
    TT_RUN(test_deflate_bfinal);
    TT_RUN(test_gap);
    TT_RUN(test_inflate_bomb);
    TT_RUN(test_frame_limit);
    TT_RUN(test_garbage);
    TT_RUN(test_random);
    TT_RUN(test_bad_params);
    TT_DONE();
}
