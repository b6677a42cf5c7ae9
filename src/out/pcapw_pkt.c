/* pcapw_pkt.c - bytes of the synthesized packets and exported-PDU headers
 * (see pcapw.h).  IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293) with the
 * checksum over the pseudo-header (RFC 1071, RFC 8200 8.1). */
#include "out/pcapw.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "decode/decode.h"

uint32_t tr_pcapw_sum(uint32_t sum, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
        if (sum & 0x80000000u)
            sum = (sum & 0xffff) + (sum >> 16);
    }
    if (i < n)
        sum += (uint32_t)p[i] << 8;
    return sum;
}

uint16_t tr_pcapw_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

size_t tr_pcapw_build_tcp(uint8_t *out, size_t cap, enum tr_pcapw_link link, uint8_t src_mac,
                          uint8_t dst_mac, const struct tr_pcapw_seg *s)
{
    int v6 = s->src->family == 6;
    size_t l2 = link == TR_PCAPW_ETHER ? 14 : 0;
    size_t l3 = v6 ? 40 : 20;
    size_t l4 = s->mss ? 24 : 20;
    if (s->len > 65535 - 60 || l2 + l3 + l4 + s->len > cap)
        return 0;
    uint8_t *p = out;
    if (l2) {
        static const uint8_t mac[5] = {0x02, 0, 0, 0, 0};
        memcpy(p, mac, 5);
        p[5] = dst_mac;
        memcpy(p + 6, mac, 5);
        p[11] = src_mac;
        put16(p + 12, v6 ? 0x86dd : 0x0800);
        p += 14;
    }
    uint8_t *ip = p;
    size_t tcplen = l4 + s->len;
    uint32_t psum = 0;
    if (v6) {
        memset(ip, 0, 40);
        ip[0] = 0x60;
        put16(ip + 4, (uint32_t)tcplen);
        ip[6] = 6;   /* next header: TCP */
        ip[7] = 64;  /* hop limit */
        memcpy(ip + 8, s->src->a, 16);
        memcpy(ip + 24, s->dst->a, 16);
        psum = tr_pcapw_sum(0, ip + 8, 32);
    } else {
        memset(ip, 0, 20);
        ip[0] = 0x45;
        put16(ip + 2, (uint32_t)(20 + tcplen));
        put16(ip + 6, 0x4000); /* DF */
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, s->src->a, 4);
        memcpy(ip + 16, s->dst->a, 4);
        put16(ip + 10, (uint16_t)~tr_pcapw_fold(tr_pcapw_sum(0, ip, 20)));
        psum = tr_pcapw_sum(0, ip + 12, 8);
    }
    psum += 6 + (uint32_t)tcplen;
    uint8_t *th = ip + l3;
    memset(th, 0, l4);
    put16(th, s->sport);
    put16(th + 2, s->dport);
    put32(th + 4, s->seq);
    put32(th + 8, (s->flags & TR_TH_ACK) ? s->ack : 0);
    th[12] = (uint8_t)((l4 / 4) << 4);
    th[13] = s->flags;
    put16(th + 14, 65535); /* window; never filled: peers acknowledge often */
    if (s->mss) {
        th[20] = 2;
        th[21] = 4;
        put16(th + 22, s->mss);
    }
    if (s->len)
        memcpy(th + l4, s->payload, s->len);
    uint16_t ck = (uint16_t)~tr_pcapw_fold(tr_pcapw_sum(psum, th, tcplen));
    put16(th + 16, ck);
    return l2 + l3 + tcplen;
}

static uint8_t *tlv(uint8_t *p, uint16_t tag, const void *v, size_t n, size_t padded)
{
    put16(p, tag);
    put16(p + 2, (uint32_t)padded);
    memset(p + 4, 0, padded);
    if (n)
        memcpy(p + 4, v, n);
    return p + 4 + padded;
}

size_t tr_pcapw_build_pdu_hdr(uint8_t *out, size_t cap, const char *proto, const struct tr_addr *src,
                              const struct tr_addr *dst, uint16_t sport, uint16_t dport)
{
    size_t pn = strlen(proto);
    if (pn > 64)
        return 0;
    size_t padded = (pn + 1 + 3) & ~(size_t)3; /* at least one NUL */
    size_t alen = src->family == 6 ? 16 : 4;
    size_t need = 4 + padded + 2 * (4 + alen) + 3 * (4 + 4) + 4;
    if (need > cap)
        return 0;
    uint8_t *p = out, v[4];
    p = tlv(p, 12, proto, pn, padded);
    p = tlv(p, alen == 16 ? 22 : 20, src->a, alen, alen);
    p = tlv(p, alen == 16 ? 23 : 21, dst->a, alen, alen);
    put32(v, 2); /* port type: TCP */
    p = tlv(p, 24, v, 4, 4);
    put32(v, sport);
    p = tlv(p, 25, v, 4, 4);
    put32(v, dport);
    p = tlv(p, 26, v, 4, 4);
    p = tlv(p, 0, NULL, 0, 0);
    return (size_t)(p - out);
}

const char *tr_pcapw_proto_name(const char *alpn, uint16_t sport)
{
    static const struct {
        const char *alpn, *proto;
    } by_alpn[] = {
        {"h2", "http2"}, {"http/1.1", "http"}, {"http/1.0", "http"}, {"http/0.9", "http"},
        {"imap", "imap"}, {"pop3", "pop"}, {"ftp", "ftp"},
    };
    static const struct {
        uint16_t port;
        const char *proto;
    } by_port[] = {
        {80, "http"}, {443, "http"}, {8080, "http"}, {8443, "http"},
        {25, "smtp"}, {465, "smtp"}, {587, "smtp"},
        {143, "imap"}, {993, "imap"},
        {110, "pop"}, {995, "pop"},
        {21, "ftp"}, {990, "ftp"},
        {389, "ldap"}, {636, "ldap"},
    };
    if (alpn && *alpn)
        for (size_t i = 0; i < sizeof by_alpn / sizeof by_alpn[0]; i++)
            if (strcmp(alpn, by_alpn[i].alpn) == 0)
                return by_alpn[i].proto;
    for (size_t i = 0; i < sizeof by_port / sizeof by_port[0]; i++)
        if (by_port[i].port == sport)
            return by_port[i].proto;
    return "data";
}

/* ---- port map ---- */

void tr_portmap_default(struct tr_portmap *pm)
{
    static const uint16_t def[][2] = {
        {443, 80}, {8443, 8080}, {993, 143}, {995, 110}, {465, 25},
        {636, 389}, {853, 53}, {990, 21}, {5061, 5060},
    };
    memset(pm, 0, sizeof *pm);
    for (size_t i = 0; i < sizeof def / sizeof def[0]; i++) {
        pm->from[i] = def[i][0];
        pm->to[i] = def[i][1];
    }
    pm->n = sizeof def / sizeof def[0];
}

static int port_num(const char *s, const char *end, uint16_t *out)
{
    unsigned long v = 0;
    if (s == end || end - s > 5)
        return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int tr_portmap_parse(struct tr_portmap *pm, const char *spec, char *err, size_t errlen)
{
    if (strcmp(spec, "none") == 0) {
        pm->n = 0;
        return 0;
    }
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        const char *sep = p;
        while (sep < e && *sep != ':' && *sep != '=')
            sep++;
        uint16_t from, to;
        if (sep == e || port_num(p, sep, &from) != 0 || port_num(sep + 1, e, &to) != 0) {
            snprintf(err, errlen, "--port-map: '%.*s' is not FROM:TO (ports 1-65535)", (int)(e - p), p);
            return TR_E_ARG;
        }
        size_t i = 0;
        while (i < pm->n && pm->from[i] != from)
            i++;
        if (from == to) {
            if (i < pm->n) {
                pm->n--;
                memmove(pm->from + i, pm->from + i + 1, (pm->n - i) * sizeof pm->from[0]);
                memmove(pm->to + i, pm->to + i + 1, (pm->n - i) * sizeof pm->to[0]);
            }
        } else if (i < pm->n) {
            pm->to[i] = to;
        } else if (pm->n == TR_PCAPW_MAX_PORTMAP) {
            snprintf(err, errlen, "--port-map: more than %d mappings", TR_PCAPW_MAX_PORTMAP);
            return TR_E_ARG;
        } else {
            pm->from[pm->n] = from;
            pm->to[pm->n++] = to;
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

uint16_t tr_portmap_lookup(const struct tr_portmap *pm, uint16_t port)
{
    for (size_t i = 0; i < pm->n; i++)
        if (pm->from[i] == port)
            return pm->to[i];
    return port;
}

void tr_portmap_str(const struct tr_portmap *pm, char *buf, size_t n)
{
    size_t used = 0;
    if (n)
        buf[0] = 0;
    for (size_t i = 0; i < pm->n && used < n; i++) {
        int k = snprintf(buf + used, n - used, "%s%u:%u", i ? "," : "", pm->from[i], pm->to[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}
