/* decode.c - link layer -> IP -> TCP (see decode.h for the contract).
 *
 * Every layer works on a reader holding the captured bytes of that layer and
 * `wire`, the bytes the layer has on the wire (>= what the reader holds).  A
 * header longer than `wire` is malformed (bad_header); longer than what was
 * captured only, it is truncated. */
#include "decode/decode.h"
#include "decode/ipfrag.h"
#include "core/reader.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum disp {
    D_TCP, D_UDP, D_ICMP, D_OTHER, D_NONIP, D_TRUNC, D_BAD, D_BADLINK,
    D_FRAG_HELD, D_FRAG_DROP,
};

#define MAX_VLAN_TAGS 8
#define MAX_IP6_EXT 16

struct tr_decoder {
    tr_tcp_cb cb;
    void *ctx;
    tr_other_cb other;
    void *other_ctx;
    const uint8_t *ip;      /* this packet's first IP header (for other) */
    size_t ip_len;
    struct tr_decode_stats st;
    struct tr_ipfrag *frag;
};

/* What travels down the layers with the bytes. */
struct pctx {
    struct tr_decoder *d;
    struct timeval ts;
    uint64_t frame;
};

/* Byte i ahead of the cursor, without consuming (caller checked it is there). */
static uint8_t peek(const struct tr_reader *r, size_t i)
{
    struct tr_reader t = *r;
    tr_rd_skip(&t, i);
    return tr_rd_u8(&t);
}

/* -1 if n bytes are there; else the disposition explaining why not. */
static int need(const struct tr_reader *r, size_t wire, size_t n)
{
    if (n > wire)
        return D_BAD;
    if (n > tr_rd_left(r))
        return D_TRUNC;
    return -1;
}

static int ipv4(const struct pctx *c, struct tr_reader *r, size_t wire);
static int ipv6(const struct pctx *c, struct tr_reader *r, size_t wire);

/* ---- TCP ---- */

static void tcp_options(struct tr_reader o, struct tr_seg *s)
{
    while (tr_rd_left(&o)) {
        uint8_t kind = tr_rd_u8(&o);
        if (kind == 0)
            break;
        if (kind == 1)
            continue;
        uint8_t len = tr_rd_u8(&o);
        if (len < 2 || !tr_rd_ok(&o))
            break; /* malformed options: keep what we have, as stacks do */
        struct tr_reader v = tr_rd_sub(&o, (size_t)len - 2);
        if (!tr_rd_ok(&v))
            break;
        if (kind == 2 && len == 4)
            s->mss = tr_rd_u16(&v);
        else if (kind == 3 && len == 3)
            s->wscale = tr_rd_u8(&v);
    }
}

static int tcp(const struct pctx *c, const struct tr_addr *src, const struct tr_addr *dst,
               struct tr_reader *r, size_t wire)
{
    int e = need(r, wire, 20);
    if (e >= 0)
        return e;
    struct tr_seg s;
    memset(&s, 0, sizeof s);
    s.src = *src;
    s.dst = *dst;
    s.sport = tr_rd_u16(r);
    s.dport = tr_rd_u16(r);
    s.seq = tr_rd_u32(r);
    s.ack = tr_rd_u32(r);
    uint16_t offfl = tr_rd_u16(r);
    s.win = tr_rd_u16(r);
    tr_rd_skip(r, 4); /* checksum (not verified: offload), urgent pointer */
    s.flags = (uint8_t)(offfl & 0xff);
    s.wscale = 0xff;
    size_t doff = (size_t)(offfl >> 12) * 4;
    if (doff < 20)
        return D_BAD;
    if ((e = need(r, wire - 20, doff - 20)) >= 0)
        return e;
    tcp_options(tr_rd_sub(r, doff - 20), &s);
    size_t wire_pl = wire - doff;
    size_t cap_pl = tr_rd_left(r);
    if (cap_pl > wire_pl)
        cap_pl = wire_pl;
    s.payload = cap_pl ? tr_rd_bytes(r, cap_pl) : NULL;
    s.len = cap_pl;
    s.missing = wire_pl - cap_pl;
    s.ts = c->ts;
    s.frame = c->frame;
    if (s.missing) {
        c->d->st.snap_truncated_payload++;
        c->d->st.snap_missing_bytes += s.missing;
    }
    if (c->d->cb)
        c->d->cb(c->d->ctx, &s);
    return D_TCP;
}

static int transport(const struct pctx *c, uint8_t proto, const struct tr_addr *src,
                     const struct tr_addr *dst, struct tr_reader *r, size_t wire)
{
    switch (proto) {
    case 6:
        return tcp(c, src, dst, r, wire);
    case 17:
        return D_UDP;
    case 1:
    case 58:
        return D_ICMP;
    default:
        return D_OTHER;
    }
}

/* ---- IPv4 ---- */

/* Start of an IP header of at least hlen bytes: the outermost one is
 * remembered (the packet's IP layer).  Returns a result code when the
 * header is truncated, else -1. */
static int ip_begin(const struct pctx *c, struct tr_reader *r, size_t wire, size_t hlen)
{
    int e = need(r, wire, hlen);
    if (e < 0 && !c->d->ip) {
        c->d->ip = r->p;
        c->d->ip_len = tr_rd_left(r);
    }
    return e;
}

static int ipv4(const struct pctx *c, struct tr_reader *r, size_t wire)
{
    int e = ip_begin(c, r, wire, 20);
    if (e >= 0)
        return e;
    size_t capl = tr_rd_left(r);
    uint8_t vihl = tr_rd_u8(r);
    tr_rd_skip(r, 1); /* DSCP/ECN */
    size_t totlen = tr_rd_u16(r);
    uint16_t id = tr_rd_u16(r);
    uint16_t fo = tr_rd_u16(r);
    tr_rd_skip(r, 1); /* TTL */
    uint8_t proto = tr_rd_u8(r);
    tr_rd_skip(r, 2); /* checksum: not verified (offload) */
    struct tr_addr src, dst;
    memset(&src, 0, sizeof src);
    memset(&dst, 0, sizeof dst);
    src.family = dst.family = 4;
    memcpy(src.a, tr_rd_bytes(r, 4), 4);
    memcpy(dst.a, tr_rd_bytes(r, 4), 4);
    size_t ihl = (size_t)(vihl & 15) * 4;
    if ((vihl >> 4) != 4 || ihl < 20)
        return D_BAD;
    if (totlen == 0)
        totlen = wire; /* TSO: the stack had not filled it in yet */
    if (totlen < ihl || totlen > wire)
        return D_BAD;
    if ((e = need(r, totlen - 20, ihl - 20)) >= 0)
        return e;
    tr_rd_skip(r, ihl - 20); /* options */
    size_t cap_ip = capl < totlen ? capl : totlen;
    struct tr_reader pl = tr_rd_sub(r, cap_ip - ihl);
    size_t wire_pl = totlen - ihl;

    uint32_t off = (uint32_t)(fo & 0x1fff) * 8;
    int more = (fo & 0x2000) != 0;
    if (!more && off == 0)
        return transport(c, proto, &src, &dst, &pl, wire_pl);

    c->d->st.fragments++;
    if (tr_rd_left(&pl) < wire_pl)
        return D_TRUNC; /* a partly captured fragment cannot be reassembled */
    struct tr_ipfrag_key k;
    memset(&k, 0, sizeof k);
    k.src = src;
    k.dst = dst;
    k.id = id;
    k.family = 4;
    k.proto = proto;
    struct tr_ipfrag_out out;
    const uint8_t *fp = tr_rd_bytes(&pl, wire_pl);
    int rc = tr_ipfrag_add(c->d->frag, &k, off, fp, wire_pl, more, proto, c->ts, &out);
    if (rc == TR_IPFRAG_HELD)
        return D_FRAG_HELD;
    if (rc != TR_IPFRAG_DONE)
        return D_FRAG_DROP;
    struct tr_reader rr = tr_rd_init(out.data, out.len);
    int disp = transport(c, out.proto, &src, &dst, &rr, out.len);
    tr_ipfrag_release(c->d->frag);
    return disp;
}

/* ---- IPv6 ---- */

/* Walks extension headers from next header nh over r; reassembles fragments
 * unless in_frag (a reassembled payload may not hold another fragment header). */
static int ip6_walk(const struct pctx *c, uint8_t nh, const struct tr_addr *src,
                    const struct tr_addr *dst, struct tr_reader *r, size_t wire, int in_frag)
{
    for (int i = 0; i < MAX_IP6_EXT; i++) {
        int e;
        size_t hl;
        switch (nh) {
        case 0:  /* hop-by-hop */
        case 43: /* routing */
        case 60: /* destination options */
        case 51: /* AH */
            if ((e = need(r, wire, 2)) >= 0)
                return e;
            hl = nh == 51 ? ((size_t)peek(r, 1) + 2) * 4 : ((size_t)peek(r, 1) + 1) * 8;
            if ((e = need(r, wire, hl)) >= 0)
                return e;
            nh = tr_rd_u8(r);
            tr_rd_skip(r, hl - 1);
            wire -= hl;
            break;
        case 44: { /* fragment */
            if ((e = need(r, wire, 8)) >= 0)
                return e;
            uint8_t fnh = tr_rd_u8(r);
            tr_rd_skip(r, 1);
            uint16_t om = tr_rd_u16(r);
            uint32_t id = tr_rd_u32(r);
            wire -= 8;
            uint32_t off = om & 0xfff8u;
            int more = om & 1;
            if (off == 0 && !more) { /* atomic fragment (RFC 6946) */
                nh = fnh;
                break;
            }
            if (in_frag)
                return D_BAD;
            c->d->st.fragments++;
            if (tr_rd_left(r) < wire)
                return D_TRUNC;
            struct tr_ipfrag_key k;
            memset(&k, 0, sizeof k);
            k.src = *src;
            k.dst = *dst;
            k.id = id;
            k.family = 6;
            struct tr_ipfrag_out out;
            const uint8_t *fp = tr_rd_bytes(r, wire);
            int rc = tr_ipfrag_add(c->d->frag, &k, off, fp, wire, more, fnh, c->ts, &out);
            if (rc == TR_IPFRAG_HELD)
                return D_FRAG_HELD;
            if (rc != TR_IPFRAG_DONE)
                return D_FRAG_DROP;
            struct tr_reader rr = tr_rd_init(out.data, out.len);
            int disp = ip6_walk(c, out.proto, src, dst, &rr, out.len, 1);
            tr_ipfrag_release(c->d->frag);
            return disp;
        }
        case 50: /* ESP: encrypted from here */
        case 59: /* no next header */
            return D_OTHER;
        default:
            return transport(c, nh, src, dst, r, wire);
        }
    }
    return D_BAD; /* too many extension headers */
}

static int ipv6(const struct pctx *c, struct tr_reader *r, size_t wire)
{
    int e = ip_begin(c, r, wire, 40);
    if (e >= 0)
        return e;
    size_t capl = tr_rd_left(r);
    uint32_t vtf = tr_rd_u32(r);
    size_t plen = tr_rd_u16(r);
    uint8_t nh = tr_rd_u8(r);
    tr_rd_skip(r, 1); /* hop limit */
    struct tr_addr src, dst;
    memset(&src, 0, sizeof src);
    memset(&dst, 0, sizeof dst);
    src.family = dst.family = 6;
    memcpy(src.a, tr_rd_bytes(r, 16), 16);
    memcpy(dst.a, tr_rd_bytes(r, 16), 16);
    if ((vtf >> 28) != 6)
        return D_BAD;
    size_t iplen = plen ? plen + 40 : wire; /* 0: jumbogram or TSO */
    if (iplen > wire)
        return D_BAD;
    size_t cap_ip = capl < iplen ? capl : iplen;
    struct tr_reader pl = tr_rd_sub(r, cap_ip - 40);
    return ip6_walk(c, nh, &src, &dst, &pl, iplen - 40, 0);
}

/* ---- link layers ---- */

/* Version nibble picks the family (raw IP link types). */
static int raw_ip(const struct pctx *c, struct tr_reader *r, size_t wire)
{
    int e = need(r, wire, 1);
    if (e >= 0)
        return e;
    switch (peek(r, 0) >> 4) {
    case 4:
        return ipv4(c, r, wire);
    case 6:
        return ipv6(c, r, wire);
    default:
        return D_BAD;
    }
}

/* Ethertype dispatch, with VLAN tags and PPPoE session. */
static int ethertype(const struct pctx *c, uint16_t type, struct tr_reader *r, size_t wire)
{
    int e;
    for (int tags = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100 || type == 0x9200;
         tags++) {
        if (tags == MAX_VLAN_TAGS)
            return D_BAD;
        if ((e = need(r, wire, 4)) >= 0)
            return e;
        tr_rd_skip(r, 2); /* TCI */
        type = tr_rd_u16(r);
        wire -= 4;
    }
    switch (type) {
    case 0x0800:
        return ipv4(c, r, wire);
    case 0x86dd:
        return ipv6(c, r, wire);
    case 0x8864: { /* PPPoE session (RFC 2516) */
        if ((e = need(r, wire, 8)) >= 0)
            return e;
        tr_rd_skip(r, 6);
        uint16_t ppp = tr_rd_u16(r);
        wire -= 8;
        if (ppp == 0x0021)
            return ipv4(c, r, wire);
        if (ppp == 0x0057)
            return ipv6(c, r, wire);
        return D_NONIP;
    }
    default:
        return D_NONIP;
    }
}

static int bsd_family(const struct pctx *c, uint32_t fam, struct tr_reader *r, size_t wire)
{
    switch (fam) {
    case 2:
        return ipv4(c, r, wire);
    case 10: /* Linux AF_INET6, seen from some tools */
    case 24: /* NetBSD/OpenBSD AF_INET6 */
    case 28: /* FreeBSD */
    case 30: /* Darwin */
        return ipv6(c, r, wire);
    default:
        return D_NONIP;
    }
}

static int link_decode(const struct pctx *c, int lt, struct tr_reader *r, size_t wire)
{
    int e;
    switch (lt) {
    case 1: /* Ethernet */
        if ((e = need(r, wire, 14)) >= 0)
            return e;
        tr_rd_skip(r, 12);
        return ethertype(c, tr_rd_u16(r), r, wire - 14);
    case 113: /* Linux cooked v1 */
        if ((e = need(r, wire, 16)) >= 0)
            return e;
        tr_rd_skip(r, 14);
        return ethertype(c, tr_rd_u16(r), r, wire - 16);
    case 276: { /* Linux cooked v2 */
        if ((e = need(r, wire, 20)) >= 0)
            return e;
        uint16_t type = tr_rd_u16(r);
        tr_rd_skip(r, 18);
        return ethertype(c, type, r, wire - 20);
    }
    case 12: case 14: case 101:
        return raw_ip(c, r, wire);
    case 228:
        return ipv4(c, r, wire);
    case 229:
        return ipv6(c, r, wire);
    case 0: { /* BSD null: family in the capturing host's order */
        if ((e = need(r, wire, 4)) >= 0)
            return e;
        uint32_t fam = tr_rd_u32le(r);
        if (fam > 0xffff)
            fam = ((fam & 0xff) << 24) | ((fam & 0xff00) << 8) |
                  ((fam >> 8) & 0xff00) | (fam >> 24);
        return bsd_family(c, fam, r, wire - 4);
    }
    case 108: /* OpenBSD loop: network order */
        if ((e = need(r, wire, 4)) >= 0)
            return e;
        return bsd_family(c, tr_rd_u32(r), r, wire - 4);
    default:
        return D_BADLINK;
    }
}

/* ---- public ---- */

struct tr_decoder *tr_decode_new(tr_tcp_cb cb, void *ctx)
{
    struct tr_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cb = cb;
    d->ctx = ctx;
    d->frag = tr_ipfrag_new(&d->st);
    if (!d->frag) {
        free(d);
        return NULL;
    }
    return d;
}

void tr_decode_set_other(struct tr_decoder *d, tr_other_cb cb, void *ctx)
{
    d->other = cb;
    d->other_ctx = ctx;
}

void tr_decode_free(struct tr_decoder *d)
{
    if (!d)
        return;
    tr_ipfrag_free(d->frag);
    free(d);
}

int tr_decode_packet(struct tr_decoder *d, int linktype, const uint8_t *data,
                     size_t caplen, size_t len, struct timeval ts, uint64_t frame)
{
    struct pctx c = {d, ts, frame};
    if (!data)
        caplen = 0;
    if (len < caplen)
        len = caplen;
    d->st.packets++;
    if (tr_ipfrag_count(d->frag))
        tr_ipfrag_expire(d->frag, ts);
    struct tr_reader r = tr_rd_init(data, caplen);
    d->ip = NULL;
    int disp = link_decode(&c, linktype, &r, len);
    if ((disp == D_UDP || disp == D_ICMP || disp == D_OTHER) && d->other && d->ip) {
        /* a datagram completed from IPv4 fragments is not one packet: skip */
        int frag = d->ip_len >= 8 && (d->ip[0] >> 4) == 4 && ((d->ip[6] & 0x3f) | d->ip[7]);
        if (!frag)
            d->other(d->other_ctx, d->ip, d->ip_len, ts);
    }
    switch (disp) {
    case D_TCP: d->st.tcp++; break;
    case D_UDP: d->st.udp++; break;
    case D_ICMP: d->st.icmp++; break;
    case D_OTHER: d->st.other_ip++; break;
    case D_NONIP: d->st.non_ip++; break;
    case D_TRUNC: d->st.truncated++; break;
    case D_BAD: d->st.bad_header++; break;
    case D_BADLINK: d->st.bad_linktype++; break;
    case D_FRAG_HELD: break; /* counted by ipfrag (frag_pending) */
    case D_FRAG_DROP: break; /* counted by ipfrag (frag_dropped) */
    }
    return 0;
}

void tr_decode_flush(struct tr_decoder *d)
{
    tr_ipfrag_flush(d->frag);
}

const struct tr_decode_stats *tr_decode_stats(const struct tr_decoder *d)
{
    return &d->st;
}

uint64_t tr_decode_accounted(const struct tr_decode_stats *s)
{
    return s->tcp + s->udp + s->icmp + s->other_ip + s->non_ip + s->truncated +
           s->bad_header + s->bad_linktype + s->frag_pending + s->frag_merged +
           s->frag_dropped;
}

const char *tr_addr_str(const struct tr_addr *a, char *buf, size_t n)
{
    if (!buf || n == 0)
        return "";
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)n))
        snprintf(buf, n, "?");
    return buf;
}

int tr_addr_cmp(const struct tr_addr *a, const struct tr_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->a, b->a, a->family == 6 ? 16 : 4);
}
