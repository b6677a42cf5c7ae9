/* test_decode.c - decode stage on hand-built packets: every link type,
 * VLAN/QinQ, IPv6 extension headers, IPv4/IPv6 fragments, truncation at every
 * length, snaplen-cut payloads, and the accounting invariant. */
#include "core/limits.h"
#include "decode/decode.h"
#include "tt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- byte builder ---- */
struct pb {
    uint8_t b[70000];
    size_t n;
};
static void p8(struct pb *p, unsigned v) { p->b[p->n++] = (uint8_t)v; }
static void p16(struct pb *p, unsigned v) { p8(p, v >> 8); p8(p, v); }
static void p32(struct pb *p, uint32_t v) { p16(p, v >> 16); p16(p, v & 0xffff); }
static void pmem(struct pb *p, const void *m, size_t n) { memcpy(p->b + p->n, m, n); p->n += n; }
static void pzero(struct pb *p, size_t n) { memset(p->b + p->n, 0, n); p->n += n; }

static const uint8_t V4S[4] = {10, 0, 0, 1}, V4D[4] = {10, 0, 0, 2};
static const uint8_t V6S[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6D[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* TCP header (+MSS 1460, wscale 7 if opts) and payload. */
static void tcp_seg(struct pb *p, int opts, const char *payload, size_t plen)
{
    p16(p, 443); p16(p, 51000); p32(p, 1000); p32(p, 2000);
    p16(p, ((opts ? 8u : 5u) << 12) | TR_TH_ACK | TR_TH_PSH);
    p16(p, 512); p16(p, 0xdead); p16(p, 0);
    if (opts) {
        p8(p, 2); p8(p, 4); p16(p, 1460);
        p8(p, 1); p8(p, 3); p8(p, 3); p8(p, 7);
        p8(p, 1); p8(p, 1); p8(p, 1); p8(p, 0); /* NOPs, EOL: pad to 12 */
    }
    if (plen)
        pmem(p, payload, plen);
}

static void ip4_hdr(struct pb *p, size_t paylen, uint8_t proto, uint16_t id, uint16_t fo, int opts)
{
    size_t ihl = opts ? 24 : 20;
    p8(p, 0x40 | (unsigned)(ihl / 4)); p8(p, 0); p16(p, (unsigned)(ihl + paylen));
    p16(p, id); p16(p, fo); p8(p, 64); p8(p, proto); p16(p, 0x1234 /* wrong on purpose */);
    pmem(p, V4S, 4); pmem(p, V4D, 4);
    if (opts) { p8(p, 1); p8(p, 1); p8(p, 1); p8(p, 0); }
}

static void ip6_hdr(struct pb *p, size_t paylen, uint8_t nh)
{
    p32(p, 0x60000000u); p16(p, (unsigned)paylen); p8(p, nh); p8(p, 64);
    pmem(p, V6S, 16); pmem(p, V6D, 16);
}

static void eth_hdr(struct pb *p, unsigned type)
{
    static const uint8_t mac[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    pmem(p, mac, 12); p16(p, type);
}

/* IPv4/TCP packet "hello" into p (after whatever is there). */
static void v4tcp(struct pb *p, int opts)
{
    struct pb t = {.n = 0};
    tcp_seg(&t, opts, "hello", 5);
    ip4_hdr(p, t.n, 6, 1, 0x4000, 0);
    pmem(p, t.b, t.n);
}

static void v6tcp(struct pb *p)
{
    struct pb t = {.n = 0};
    tcp_seg(&t, 1, "hello", 5);
    ip6_hdr(p, t.n, 6);
    pmem(p, t.b, t.n);
}

/* ---- collecting callback ---- */
struct got {
    int n;
    struct tr_seg last;
    uint8_t data[70000];
    size_t dlen;
};
static void on_tcp(void *ctx, const struct tr_seg *s)
{
    struct got *g = ctx;
    g->n++;
    g->last = *s;
    g->dlen = s->len;
    if (s->len)
        memcpy(g->data, s->payload, s->len);
}

static struct timeval tv(long s) { struct timeval t = {s, 0}; return t; }

static int accounted(struct tr_decoder *d)
{
    const struct tr_decode_stats *s = tr_decode_stats(d);
    return tr_decode_accounted(s) == s->packets;
}

/* Decodes one full packet; returns the number of segments delivered. */
static int run1(int lt, const struct pb *p, struct got *g)
{
    memset(g, 0, sizeof *g);
    struct tr_decoder *d = tr_decode_new(on_tcp, g);
    tr_decode_packet(d, lt, p->b, p->n, p->n, tv(1), 1);
    int ok = accounted(d) && tr_decode_stats(d)->packets == 1;
    tr_decode_free(d);
    return ok ? g->n : -1;
}

static void test_eth_ipv4_tcp(void)
{
    struct pb p = {.n = 0};
    struct got g;
    eth_hdr(&p, 0x0800);
    v4tcp(&p, 1);
    TT_EQ_INT(run1(1, &p, &g), 1);
    TT_EQ_INT(g.last.sport, 443);
    TT_EQ_INT(g.last.dport, 51000);
    TT_EQ_INT(g.last.seq, 1000);
    TT_EQ_INT(g.last.ack, 2000);
    TT_EQ_INT(g.last.flags, TR_TH_ACK | TR_TH_PSH);
    TT_EQ_INT(g.last.win, 512);
    TT_EQ_INT(g.last.mss, 1460);
    TT_EQ_INT(g.last.wscale, 7);
    TT_EQ_INT(g.last.len, 5);
    TT_EQ_INT(g.last.missing, 0);
    TT_EQ_INT(g.last.frame, 1);
    TT_EQ_MEM(g.data, "hello", 5);
    TT_EQ_INT(g.last.src.family, 4);
    TT_EQ_MEM(g.last.src.a, V4S, 4);
    TT_EQ_MEM(g.last.dst.a, V4D, 4);
    /* no options: wscale absent */
    p.n = 0;
    eth_hdr(&p, 0x0800);
    v4tcp(&p, 0);
    TT_EQ_INT(run1(1, &p, &g), 1);
    TT_EQ_INT(g.last.wscale, 0xff);
    TT_EQ_INT(g.last.mss, 0);
    /* IPv4 options and Ethernet padding beyond total length */
    p.n = 0;
    eth_hdr(&p, 0x0800);
    struct pb t = {.n = 0};
    tcp_seg(&t, 0, "hi", 2);
    ip4_hdr(&p, t.n, 6, 1, 0, 1);
    pmem(&p, t.b, t.n);
    pzero(&p, 6);
    TT_EQ_INT(run1(1, &p, &g), 1);
    TT_EQ_INT(g.last.len, 2);
    TT_EQ_MEM(g.data, "hi", 2);
}

static void test_vlan_qinq(void)
{
    static const unsigned stacks[][4] = {
        {0x8100, 0, 0, 0}, {0x88a8, 0x8100, 0, 0}, {0x9100, 0x8100, 0x8100, 0}, {0x9200, 0, 0, 0}};
    for (size_t i = 0; i < 4; i++) {
        struct pb p = {.n = 0};
        struct got g;
        eth_hdr(&p, stacks[i][0]);
        for (size_t j = 1; j <= 4; j++) {
            p16(&p, 100 + (unsigned)j); /* TCI */
            if (j < 4 && stacks[i][j]) {
                p16(&p, stacks[i][j]);
            } else {
                p16(&p, 0x86dd);
                break;
            }
        }
        v6tcp(&p);
        TT_EQ_INT(run1(1, &p, &g), 1);
        TT_EQ_INT(g.last.src.family, 6);
        TT_EQ_MEM(g.data, "hello", 5);
    }
    /* 9 stacked tags: refused as bad header */
    struct pb p = {.n = 0};
    struct got g;
    eth_hdr(&p, 0x8100);
    for (int j = 0; j < 9; j++) { p16(&p, 1); p16(&p, 0x8100); }
    p16(&p, 1); p16(&p, 0x0800);
    v4tcp(&p, 0);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    tr_decode_packet(d, 1, p.b, p.n, p.n, tv(1), 1);
    TT_EQ_INT(tr_decode_stats(d)->bad_header, 1);
    tr_decode_free(d);
}

static void test_link_types(void)
{
    struct pb p;
    struct got g;
    /* SLL */
    p.n = 0;
    p16(&p, 0); p16(&p, 1); p16(&p, 6); pzero(&p, 8); p16(&p, 0x0800);
    v4tcp(&p, 1);
    TT_EQ_INT(run1(113, &p, &g), 1);
    /* SLL2 */
    p.n = 0;
    p16(&p, 0x86dd); p16(&p, 0); p32(&p, 2); p16(&p, 1); p8(&p, 0); p8(&p, 6); pzero(&p, 8);
    v6tcp(&p);
    TT_EQ_INT(run1(276, &p, &g), 1);
    TT_EQ_INT(g.last.src.family, 6);
    /* raw IP under all its numbers, both families */
    static const int raws[] = {101, 12, 14};
    for (int i = 0; i < 3; i++) {
        p.n = 0; v4tcp(&p, 1);
        TT_EQ_INT(run1(raws[i], &p, &g), 1);
        p.n = 0; v6tcp(&p);
        TT_EQ_INT(run1(raws[i], &p, &g), 1);
    }
    p.n = 0; v4tcp(&p, 1);
    TT_EQ_INT(run1(228, &p, &g), 1);
    p.n = 0; v6tcp(&p);
    TT_EQ_INT(run1(229, &p, &g), 1);
    /* IPv6 bytes under link type IPv4: bad header, no segment */
    TT_EQ_INT(run1(228, &p, &g), 0);
    /* BSD null, little-endian and big-endian writers, every AF_INET6 */
    static const uint32_t fams6[] = {24, 28, 30};
    p.n = 0; p8(&p, 2); p8(&p, 0); p8(&p, 0); p8(&p, 0); v4tcp(&p, 1);
    TT_EQ_INT(run1(0, &p, &g), 1);
    p.n = 0; p32(&p, 2); v4tcp(&p, 1);
    TT_EQ_INT(run1(0, &p, &g), 1);
    for (int i = 0; i < 3; i++) {
        p.n = 0; p8(&p, fams6[i]); p8(&p, 0); p8(&p, 0); p8(&p, 0); v6tcp(&p);
        TT_EQ_INT(run1(0, &p, &g), 1);
        p.n = 0; p32(&p, fams6[i]); v6tcp(&p);
        TT_EQ_INT(run1(0, &p, &g), 1);
        /* LOOP: network order */
        p.n = 0; p32(&p, fams6[i]); v6tcp(&p);
        TT_EQ_INT(run1(108, &p, &g), 1);
    }
    p.n = 0; p32(&p, 2); v4tcp(&p, 1);
    TT_EQ_INT(run1(108, &p, &g), 1);
    /* unknown family: non_ip */
    p.n = 0; p32(&p, 7); v4tcp(&p, 1);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    tr_decode_packet(d, 108, p.b, p.n, p.n, tv(1), 1);
    tr_decode_packet(d, 9999, p.b, p.n, p.n, tv(1), 2);
    TT_EQ_INT(tr_decode_stats(d)->non_ip, 1);
    TT_EQ_INT(tr_decode_stats(d)->bad_linktype, 1);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
    /* PPPoE session */
    p.n = 0; eth_hdr(&p, 0x8864); p8(&p, 0x11); p8(&p, 0); p16(&p, 1); p16(&p, 0); p16(&p, 0x0021);
    v4tcp(&p, 0);
    TT_EQ_INT(run1(1, &p, &g), 1);
    TT_CHECK(tr_decode_linktype_ok(276) && tr_decode_linktype_ok(12) && !tr_decode_linktype_ok(105));
    TT_EQ_STR(tr_decode_linktype_name(276), "LINUX_SLL2");
    TT_EQ_STR(tr_decode_linktype_name(1), "EN10MB");
    TT_EQ_STR(tr_decode_linktype_name(4242), "UNKNOWN");
}

static void test_other_protocols(void)
{
    struct got g;
    memset(&g, 0, sizeof g);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    struct pb p = {.n = 0};
    eth_hdr(&p, 0x0806); pzero(&p, 28); /* ARP */
    tr_decode_packet(d, 1, p.b, p.n, p.n, tv(1), 1);
    p.n = 0; ip4_hdr(&p, 8, 17, 1, 0, 0); pzero(&p, 8);
    tr_decode_packet(d, 228, p.b, p.n, p.n, tv(1), 2);
    p.n = 0; ip4_hdr(&p, 8, 1, 1, 0, 0); pzero(&p, 8);
    tr_decode_packet(d, 228, p.b, p.n, p.n, tv(1), 3);
    p.n = 0; ip6_hdr(&p, 8, 58); pzero(&p, 8);
    tr_decode_packet(d, 229, p.b, p.n, p.n, tv(1), 4);
    p.n = 0; ip4_hdr(&p, 8, 47, 1, 0, 0); pzero(&p, 8); /* GRE */
    tr_decode_packet(d, 228, p.b, p.n, p.n, tv(1), 5);
    const struct tr_decode_stats *s = tr_decode_stats(d);
    TT_EQ_INT(s->non_ip, 1);
    TT_EQ_INT(s->udp, 1);
    TT_EQ_INT(s->icmp, 2);
    TT_EQ_INT(s->other_ip, 1);
    TT_EQ_INT(g.n, 0);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

static void test_ipv6_ext(void)
{
    struct pb t = {.n = 0};
    tcp_seg(&t, 1, "hello", 5);
    struct pb p = {.n = 0};
    struct got g;
    /* hop-by-hop(8) -> routing(16) -> dest opts(8) -> AH(16) -> atomic frag -> TCP */
    ip6_hdr(&p, 8 + 16 + 8 + 16 + 8 + t.n, 0);
    p8(&p, 43); p8(&p, 0); pzero(&p, 6);
    p8(&p, 60); p8(&p, 1); pzero(&p, 14);
    p8(&p, 51); p8(&p, 0); pzero(&p, 6);
    p8(&p, 44); p8(&p, 2); pzero(&p, 14); /* AH len 2 -> (2+2)*4 = 16 */
    p8(&p, 6); p8(&p, 0); p16(&p, 0); p32(&p, 77); /* atomic fragment */
    pmem(&p, t.b, t.n);
    TT_EQ_INT(run1(229, &p, &g), 1);
    TT_EQ_MEM(g.data, "hello", 5);
    TT_EQ_INT(g.last.mss, 1460);
    /* ESP and no-next-header stop the walk */
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    p.n = 0; ip6_hdr(&p, 16, 0); p8(&p, 50); p8(&p, 0); pzero(&p, 6); pzero(&p, 8);
    tr_decode_packet(d, 229, p.b, p.n, p.n, tv(1), 1);
    p.n = 0; ip6_hdr(&p, 8, 59); pzero(&p, 8);
    tr_decode_packet(d, 229, p.b, p.n, p.n, tv(1), 2);
    /* ext header longer than the payload length: bad header */
    p.n = 0; ip6_hdr(&p, 8, 60); p8(&p, 6); p8(&p, 4); pzero(&p, 6 + 32);
    tr_decode_packet(d, 229, p.b, p.n, p.n, tv(1), 3);
    /* 17 chained dest-opts headers: bad */
    p.n = 0; ip6_hdr(&p, 17 * 8, 60);
    for (int i = 0; i < 17; i++) { p8(&p, 60); p8(&p, 0); pzero(&p, 6); }
    tr_decode_packet(d, 229, p.b, p.n, p.n, tv(1), 4);
    TT_EQ_INT(tr_decode_stats(d)->other_ip, 2);
    TT_EQ_INT(tr_decode_stats(d)->bad_header, 2);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

/* ---- fragments ---- */

/* TCP segment of 5000 payload bytes cut into IPv4 fragments of `fsz`. */
struct frags {
    struct pb pk[16];
    int n;
    uint8_t payload[5000];
};

static void make_v4_frags(struct frags *f, size_t fsz, uint16_t id)
{
    for (size_t i = 0; i < sizeof f->payload; i++)
        f->payload[i] = (uint8_t)(i * 7 + id);
    struct pb t = {.n = 0};
    tcp_seg(&t, 0, (const char *)f->payload, sizeof f->payload);
    f->n = 0;
    for (size_t off = 0; off < t.n; off += fsz) {
        size_t n = t.n - off < fsz ? t.n - off : fsz;
        struct pb *p = &f->pk[f->n++];
        p->n = 0;
        eth_hdr(p, 0x0800);
        ip4_hdr(p, n, 6, id, (uint16_t)((off + n < t.n ? 0x2000 : 0) | (off / 8)), 0);
        pmem(p, t.b + off, n);
    }
}

static void make_v6_frags(struct frags *f, size_t fsz, uint32_t id)
{
    for (size_t i = 0; i < sizeof f->payload; i++)
        f->payload[i] = (uint8_t)(i * 3 + id);
    struct pb t = {.n = 0};
    /* fragmentable part: dest opts + TCP */
    p8(&t, 6); p8(&t, 0); pzero(&t, 6);
    tcp_seg(&t, 0, (const char *)f->payload, sizeof f->payload);
    f->n = 0;
    for (size_t off = 0; off < t.n; off += fsz) {
        size_t n = t.n - off < fsz ? t.n - off : fsz;
        struct pb *p = &f->pk[f->n++];
        p->n = 0;
        ip6_hdr(p, 8 + 8 + n, 0); /* hop-by-hop in the unfragmentable part */
        p8(p, 44); p8(p, 0); pzero(p, 6);
        p8(p, 60); p8(p, 0); p16(p, (unsigned)off | (off + n < t.n ? 1u : 0u)); p32(p, id);
        pmem(p, t.b + off, n);
    }
}

static void feed(struct tr_decoder *d, int lt, const struct pb *p, long sec, uint64_t frame)
{
    tr_decode_packet(d, lt, p->b, p->n, p->n, tv(sec), frame);
}

static void test_frag_v4_orders(void)
{
    static struct frags f;
    static struct got g;
    make_v4_frags(&f, 1480, 9);
    TT_EQ_INT(f.n, 4);
    static const int orders[][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}};
    for (int o = 0; o < 3; o++) {
        memset(&g, 0, sizeof g);
        struct tr_decoder *d = tr_decode_new(on_tcp, &g);
        for (int i = 0; i < 4; i++) {
            feed(d, 1, &f.pk[orders[o][i]], 10, (uint64_t)i + 1);
            TT_CHECK(accounted(d));
            TT_EQ_INT(g.n, i == 3 ? 1 : 0);
        }
        const struct tr_decode_stats *s = tr_decode_stats(d);
        TT_EQ_INT(s->tcp, 1);
        TT_EQ_INT(s->frag_merged, 3);
        TT_EQ_INT(s->frag_pending, 0);
        TT_EQ_INT(s->fragments, 4);
        TT_EQ_INT(s->frag_reassembled, 1);
        TT_EQ_INT(g.dlen, 5000);
        TT_EQ_MEM(g.data, f.payload, 5000);
        TT_EQ_INT(g.last.frame, 4);
        tr_decode_free(d);
    }
}

static void test_frag_v6(void)
{
    static struct frags f;
    static struct got g;
    make_v6_frags(&f, 1232, 0xabcdef);
    memset(&g, 0, sizeof g);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    for (int i = f.n - 1; i >= 0; i--)
        feed(d, 229, &f.pk[i], 10, (uint64_t)(f.n - i));
    const struct tr_decode_stats *s = tr_decode_stats(d);
    TT_EQ_INT(g.n, 1);
    TT_EQ_INT(g.dlen, 5000);
    TT_EQ_MEM(g.data, f.payload, 5000);
    TT_EQ_INT(s->tcp, 1);
    TT_EQ_INT(s->frag_merged, (uint64_t)f.n - 1);
    TT_CHECK(accounted(d));
    /* a different id with the same addresses is a separate datagram */
    make_v6_frags(&f, 1232, 5);
    for (int i = 0; i < f.n; i++)
        feed(d, 229, &f.pk[i], 11, 100 + (uint64_t)i);
    TT_EQ_INT(g.n, 2);
    TT_EQ_MEM(g.data, f.payload, 5000);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

static void test_frag_overlap(void)
{
    static struct frags f;
    static struct got g;
    make_v4_frags(&f, 1480, 3);
    /* identical duplicate: accepted */
    memset(&g, 0, sizeof g);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    feed(d, 1, &f.pk[1], 1, 1);
    feed(d, 1, &f.pk[1], 1, 2);
    for (int i = 0; i < f.n; i++)
        if (i != 1)
            feed(d, 1, &f.pk[i], 1, 3 + (uint64_t)i);
    TT_EQ_INT(g.n, 1);
    TT_EQ_MEM(g.data, f.payload, 5000);
    TT_EQ_INT(tr_decode_stats(d)->frag_merged, 4);
    TT_CHECK(accounted(d));
    tr_decode_free(d);

    /* conflicting overlap: datagram dropped, everything counted */
    memset(&g, 0, sizeof g);
    d = tr_decode_new(on_tcp, &g);
    feed(d, 1, &f.pk[0], 1, 1);
    feed(d, 1, &f.pk[1], 1, 2);
    struct pb evil = f.pk[1];
    evil.b[evil.n - 1] ^= 0xff;
    feed(d, 1, &evil, 1, 3);
    for (int i = 2; i < f.n; i++)
        feed(d, 1, &f.pk[i], 1, 4 + (uint64_t)i);
    const struct tr_decode_stats *s = tr_decode_stats(d);
    TT_EQ_INT(g.n, 0);
    TT_EQ_INT(s->frag_overlaps, 1);
    TT_EQ_INT(s->frag_dropped, 3);  /* two held + the conflicting one */
    TT_EQ_INT(s->frag_pending, 2);  /* the rest start a new datagram */
    TT_CHECK(accounted(d));
    tr_decode_flush(d);
    TT_EQ_INT(s->frag_pending, 0);
    TT_EQ_INT(s->frag_dropped, 5);
    TT_CHECK(accounted(d));
    tr_decode_free(d);

    /* partial overlap with a shifted fragment carrying the same bytes: fine */
    memset(&g, 0, sizeof g);
    d = tr_decode_new(on_tcp, &g);
    struct pb t = {.n = 0};
    tcp_seg(&t, 0, (const char *)f.payload, 5000);
    struct pb mid = {.n = 0};
    eth_hdr(&mid, 0x0800);
    ip4_hdr(&mid, 1600, 6, 3, 0x2000 | (1000 / 8), 0);
    pmem(&mid, t.b + 1000, 1600);
    feed(d, 1, &mid, 1, 1);
    for (int i = 0; i < f.n; i++)
        feed(d, 1, &f.pk[i], 1, 2 + (uint64_t)i);
    TT_EQ_INT(g.n, 1);
    TT_EQ_MEM(g.data, f.payload, 5000);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

static void test_frag_timeout_and_limits(void)
{
    static struct frags f;
    static struct got g;
    make_v4_frags(&f, 1480, 4);
    memset(&g, 0, sizeof g);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    const struct tr_decode_stats *s = tr_decode_stats(d);
    feed(d, 1, &f.pk[0], 100, 1);
    feed(d, 1, &f.pk[1], 100 + TR_IPFRAG_TIMEOUT_SECS - 1, 2);
    TT_EQ_INT(s->frag_pending, 2);
    /* a later unrelated packet past the timeout expires the datagram */
    struct pb p = {.n = 0};
    eth_hdr(&p, 0x0806); pzero(&p, 28);
    feed(d, 1, &p, 100 + TR_IPFRAG_TIMEOUT_SECS, 3);
    TT_EQ_INT(s->frag_timeouts, 1);
    TT_EQ_INT(s->frag_pending, 0);
    TT_EQ_INT(s->frag_dropped, 2);
    /* two datagrams of different ages expire one at a time */
    static struct frags f2;
    make_v4_frags(&f2, 1480, 44);
    feed(d, 1, &f2.pk[0], 120, 10);  /* B at 120 (A's remains come later) */
    feed(d, 1, &f.pk[0], 125, 11);   /* A again, at 125 */
    feed(d, 1, &p, 151, 12);
    TT_EQ_INT(s->frag_timeouts, 2);  /* B expired, A not yet */
    TT_EQ_INT(s->frag_pending, 1);
    feed(d, 1, &p, 155, 13);
    TT_EQ_INT(s->frag_timeouts, 3);
    TT_EQ_INT(s->frag_pending, 0);
    /* the remaining fragments alone never complete */
    feed(d, 1, &f.pk[2], 160, 14);
    feed(d, 1, &f.pk[3], 160, 15);
    TT_EQ_INT(g.n, 0);
    TT_CHECK(accounted(d));

    /* fragment past 65535 bytes: refused */
    p.n = 0;
    ip4_hdr(&p, 800, 6, 99, 0x2000 | 8100, 0);
    pzero(&p, 800);
    feed(d, 228, &p, 160, 16);
    TT_EQ_INT(s->frag_dropped, 5);
    /* non-last fragment not a multiple of 8: refused */
    p.n = 0;
    ip4_hdr(&p, 13, 6, 98, 0x2000, 0);
    pzero(&p, 13);
    feed(d, 228, &p, 160, 17);
    TT_EQ_INT(s->frag_dropped, 6);
    TT_CHECK(accounted(d));
    tr_decode_flush(d);

    /* table full: the oldest datagram is evicted */
    for (uint32_t i = 0; i < TR_IPFRAG_MAX_DATAGRAMS + 5; i++) {
        p.n = 0;
        ip4_hdr(&p, 8, 17, (uint16_t)i, 0x2000, 0);
        pzero(&p, 8);
        feed(d, 228, &p, 200, 10 + i);
    }
    TT_EQ_INT(s->frag_evicted, 5);
    TT_EQ_INT(s->frag_pending, TR_IPFRAG_MAX_DATAGRAMS);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

/* Raw IPv4 fragment of an id-77 UDP datagram. */
static void v4frag(struct pb *p, uint32_t off, size_t n, int more, uint8_t fill)
{
    p->n = 0;
    ip4_hdr(p, n, 17, 77, (uint16_t)((more ? 0x2000 : 0) | (off / 8)), 0);
    memset(p->b + p->n, fill, n);
    p->n += n;
}

static void test_frag_edges(void)
{
    static struct pb p;
    struct got g;
    memset(&g, 0, sizeof g);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    const struct tr_decode_stats *s = tr_decode_stats(d);
    /* two last fragments disagreeing on the total: dropped */
    v4frag(&p, 800, 100, 0, 1); feed(d, 228, &p, 1, 1);
    v4frag(&p, 800, 108, 0, 1); feed(d, 228, &p, 1, 2);
    TT_EQ_INT(s->frag_overlaps, 1);
    TT_EQ_INT(s->frag_dropped, 2);
    /* a middle fragment past the known end: dropped */
    v4frag(&p, 800, 100, 0, 1); feed(d, 228, &p, 1, 3);
    v4frag(&p, 800, 200, 1, 1); feed(d, 228, &p, 1, 4);
    TT_EQ_INT(s->frag_overlaps, 2);
    TT_EQ_INT(s->frag_dropped, 4);
    /* last fragment ending before bytes already held: dropped */
    v4frag(&p, 800, 200, 1, 1); feed(d, 228, &p, 1, 5);
    v4frag(&p, 8, 800, 0, 1); feed(d, 228, &p, 1, 6);
    TT_EQ_INT(s->frag_overlaps, 3);
    TT_EQ_INT(s->frag_dropped, 6);
    /* largest datagram: 65528 + 7 bytes, complete */
    for (uint32_t off = 0; off < 65528; off += 1480 * 8) {
        size_t n = 65528 - off < 1480 * 8 ? 65528 - off : 1480 * 8;
        v4frag(&p, off, n, 1, 2);
        feed(d, 228, &p, 1, 7);
    }
    v4frag(&p, 65528, 7, 0, 2); feed(d, 228, &p, 1, 8);
    TT_EQ_INT(s->udp, 1);
    TT_EQ_INT(s->frag_reassembled, 1);
    TT_EQ_INT(s->frag_pending, 0);
    /* IPv6: a reassembled payload holding another fragment header is bad */
    uint8_t inner[16] = {44, 0, 0, 8, 0, 0, 0, 1};
    p.n = 0; ip6_hdr(&p, 8 + 16, 44);
    p8(&p, 44); p8(&p, 0); p16(&p, 1); p32(&p, 5); pmem(&p, inner, 16);
    feed(d, 229, &p, 1, 9);
    p.n = 0; ip6_hdr(&p, 8 + 8, 44);
    p8(&p, 44); p8(&p, 0); p16(&p, 16); p32(&p, 5); pzero(&p, 8);
    feed(d, 229, &p, 1, 10);
    TT_EQ_INT(s->bad_header, 1);
    /* IPv6 fragment cut by the snaplen: truncated */
    tr_decode_packet(d, 229, p.b, p.n - 3, p.n, tv(1), 11);
    TT_EQ_INT(s->truncated, 1);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

/* A fragment cut by the snaplen cannot be reassembled: truncated. */
static void test_frag_truncated(void)
{
    static struct frags f;
    struct got g;
    make_v4_frags(&f, 1480, 5);
    memset(&g, 0, sizeof g);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    tr_decode_packet(d, 1, f.pk[1].b, 200, f.pk[1].n, tv(1), 1);
    TT_EQ_INT(tr_decode_stats(d)->truncated, 1);
    TT_EQ_INT(tr_decode_stats(d)->fragments, 1);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

/* caplen 0..N over a valid packet of each link type, len = N. */
static void trunc_loop(int lt, const struct pb *p, size_t hdrs)
{
    static struct got g;
    for (size_t cap = 0; cap <= p->n; cap++) {
        memset(&g, 0, sizeof g);
        struct tr_decoder *d = tr_decode_new(on_tcp, &g);
        /* exact-size copy so ASan catches an over-read */
        uint8_t *copy = malloc(cap ? cap : 1);
        memcpy(copy, p->b, cap);
        tr_decode_packet(d, lt, copy, cap, p->n, tv(1), 1);
        const struct tr_decode_stats *s = tr_decode_stats(d);
        TT_CHECK(accounted(d));
        if (cap < hdrs) {
            TT_EQ_INT(s->truncated, 1);
            TT_EQ_INT(g.n, 0);
        } else {
            TT_EQ_INT(s->tcp, 1);
            TT_EQ_INT(g.last.len, cap - hdrs);
            TT_EQ_INT(g.last.missing, p->n - cap);
            TT_EQ_INT(s->snap_truncated_payload, cap < p->n ? 1 : 0);
            TT_EQ_MEM(g.data, "hello", g.last.len);
        }
        free(copy);
        tr_decode_free(d);
    }
}

static void test_truncation_every_length(void)
{
    struct pb p;
    p.n = 0; eth_hdr(&p, 0x8100); p16(&p, 5); p16(&p, 0x0800); v4tcp(&p, 1);
    trunc_loop(1, &p, 18 + 20 + 32);
    p.n = 0; eth_hdr(&p, 0x86dd); v6tcp(&p);
    trunc_loop(1, &p, 14 + 40 + 32);
    p.n = 0; p16(&p, 0); p16(&p, 1); p16(&p, 6); pzero(&p, 8); p16(&p, 0x0800); v4tcp(&p, 1);
    trunc_loop(113, &p, 16 + 20 + 32);
    p.n = 0; p16(&p, 0x0800); pzero(&p, 18); v4tcp(&p, 1);
    trunc_loop(276, &p, 20 + 20 + 32);
    p.n = 0; v4tcp(&p, 1);
    trunc_loop(101, &p, 20 + 32);
    p.n = 0; v6tcp(&p);
    trunc_loop(229, &p, 40 + 32);
    p.n = 0; p32(&p, 24); v6tcp(&p);
    trunc_loop(108, &p, 4 + 40 + 32);
    p.n = 0; p8(&p, 2); pzero(&p, 3); v4tcp(&p, 1);
    trunc_loop(0, &p, 4 + 20 + 32);
    /* IPv6 with extension headers */
    struct pb t = {.n = 0};
    tcp_seg(&t, 1, "hello", 5);
    p.n = 0; ip6_hdr(&p, 8 + 16 + t.n, 0);
    p8(&p, 51); p8(&p, 0); pzero(&p, 6);
    p8(&p, 6); p8(&p, 2); pzero(&p, 14);
    pmem(&p, t.b, t.n);
    trunc_loop(229, &p, 40 + 24 + 32);
}

/* Lengths that lie: wire length shorter than the headers claim. */
static void test_bad_headers(void)
{
    struct got g;
    memset(&g, 0, sizeof g);
    struct tr_decoder *d = tr_decode_new(on_tcp, &g);
    const struct tr_decode_stats *s = tr_decode_stats(d);
    struct pb p;
    /* IPv4 version 5 */
    p.n = 0; v4tcp(&p, 0); p.b[0] = 0x55;
    feed(d, 101, &p, 1, 1);
    /* IHL 4 */
    p.n = 0; v4tcp(&p, 0); p.b[0] = 0x44;
    feed(d, 228, &p, 1, 2);
    /* total length beyond the frame */
    p.n = 0; v4tcp(&p, 0); p.b[2] = 0x05;
    feed(d, 228, &p, 1, 3);
    /* total length < IHL */
    p.n = 0; v4tcp(&p, 0); p.b[2] = 0; p.b[3] = 10;
    feed(d, 228, &p, 1, 4);
    /* TCP data offset 4 */
    p.n = 0; v4tcp(&p, 0); p.b[20 + 12] = 0x40;
    feed(d, 228, &p, 1, 5);
    /* TCP data offset 15 > segment */
    p.n = 0; v4tcp(&p, 0); p.b[20 + 12] = 0xf0;
    feed(d, 228, &p, 1, 6);
    /* raw IP with version 0 */
    p.n = 0; pzero(&p, 40);
    feed(d, 101, &p, 1, 7);
    /* runt Ethernet frame (len < 14) */
    p.n = 0; pzero(&p, 10);
    feed(d, 1, &p, 1, 8);
    TT_EQ_INT(s->bad_header, 8);
    TT_EQ_INT(g.n, 0);
    /* malformed TCP options are ignored, the segment kept */
    struct pb t = {.n = 0};
    tcp_seg(&t, 1, "x", 1);
    t.b[21] = 0; /* MSS option length 0 */
    p.n = 0; ip4_hdr(&p, t.n, 6, 1, 0, 0); pmem(&p, t.b, t.n);
    feed(d, 228, &p, 1, 9);
    TT_EQ_INT(g.n, 1);
    TT_EQ_INT(g.last.mss, 0);
    TT_EQ_INT(g.last.wscale, 0xff);
    /* total length 0 (TSO capture): use the frame */
    p.n = 0; v4tcp(&p, 0); p.b[2] = p.b[3] = 0;
    feed(d, 228, &p, 1, 10);
    TT_EQ_INT(g.n, 2);
    TT_EQ_INT(g.last.len, 5);
    /* len < caplen from a broken file: treated as caplen */
    p.n = 0; v4tcp(&p, 0);
    tr_decode_packet(d, 228, p.b, p.n, 3, tv(1), 11);
    TT_EQ_INT(g.n, 3);
    /* NULL data */
    tr_decode_packet(d, 1, NULL, 0, 60, tv(1), 12);
    TT_EQ_INT(s->truncated, 1);
    TT_CHECK(accounted(d));
    tr_decode_free(d);
}

static void test_addr(void)
{
    struct tr_addr a = {4, {192, 168, 1, 20}}, b = {6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    char buf[64];
    TT_EQ_STR(tr_addr_str(&a, buf, sizeof buf), "192.168.1.20");
    TT_EQ_STR(tr_addr_str(&b, buf, sizeof buf), "2001:db8::1");
    TT_CHECK(tr_addr_cmp(&a, &b) < 0);
    TT_CHECK(tr_addr_cmp(&a, &a) == 0);
    struct tr_addr c = a;
    c.a[3] = 21;
    TT_CHECK(tr_addr_cmp(&a, &c) < 0 && tr_addr_cmp(&c, &a) > 0);
}

int main(void)
{
    TT_RUN(test_eth_ipv4_tcp);
    TT_RUN(test_vlan_qinq);
    TT_RUN(test_link_types);
    TT_RUN(test_other_protocols);
    TT_RUN(test_ipv6_ext);
    TT_RUN(test_frag_v4_orders);
    TT_RUN(test_frag_v6);
    TT_RUN(test_frag_overlap);
    TT_RUN(test_frag_timeout_and_limits);
    TT_RUN(test_frag_truncated);
    TT_RUN(test_frag_edges);
    TT_RUN(test_truncation_every_length);
    TT_RUN(test_bad_headers);
    TT_RUN(test_addr);
    TT_DONE();
}
