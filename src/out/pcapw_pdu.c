/* pcapw_pdu.c - where one application PDU ends, for the exported-PDU format
 * (see pcapw.h).  Exported PDUs are dissected one record at a time, without
 * TCP reassembly, so a record should hold whole messages: HTTP/1.x messages
 * (RFC 9112: Content-Length, chunked, or no body), HTTP/2 frames (RFC 9113
 * 4.1, and the client preface), whole lines for the line-based protocols. */
#include "out/pcapw.h"
#include "core/ascii.h"

#include <string.h>

static const uint8_t *find(const uint8_t *p, size_t n, const char *pat, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (p[i] == (uint8_t)pat[0] && memcmp(p + i, pat, m) == 0)
            return p + i;
    return NULL;
}

/* Chunked body from p: its length when complete, 0 when incomplete, -1 when
 * it does not parse. */
static long chunked_len(const uint8_t *p, size_t n)
{
    size_t off = 0;
    for (;;) {
        const uint8_t *eol = find(p + off, n - off, "\r\n", 2);
        if (!eol)
            return n - off > 1024 ? -1 : 0;
        uint64_t sz = 0;
        const uint8_t *q = p + off;
        int digits = 0;
        for (; q < eol; q++, digits++) {
            int v = tr_hexval(*q);
            if (v < 0)
                break;
            if (sz > (1ull << 40))
                return -1;
            sz = sz * 16 + (uint64_t)v;
        }
        if (!digits)
            return -1;
        off = (size_t)(eol - p) + 2;
        if (sz == 0) {
            /* trailer section, then an empty line */
            if (n - off >= 2 && p[off] == '\r' && p[off + 1] == '\n')
                return (long)(off + 2);
            const uint8_t *e = find(p + off, n - off, "\r\n\r\n", 4);
            return e ? (long)(e - p + 4) : 0;
        }
        if (sz + 2 > n - off)
            return 0;
        off += (size_t)sz + 2;
    }
}

static long http_len(int client, const uint8_t *p, size_t n, uint64_t *total)
{
    if (n && (p[0] < 'A' || p[0] > 'Z'))
        return -1; /* not at a message start */
    const uint8_t *he = find(p, n, "\r\n\r\n", 4);
    if (!he)
        return 0;
    size_t hlen = (size_t)(he - p) + 4;
    int response = n >= 5 && memcmp(p, "HTTP/", 5) == 0;
    int status = 0;
    if (response && hlen > 12)
        status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    uint64_t clen = 0;
    int have_len = 0, chunked = 0, close = 0;
    for (const uint8_t *l = find(p, hlen, "\r\n", 2) + 2; l < he;) {
        const uint8_t *eol = find(l, (size_t)(he + 2 - l), "\r\n", 2);
        if (tr_iprefix(l, (size_t)(eol - l), "content-length:")) {
            const uint8_t *q = l + 15;
            while (q < eol && (*q == ' ' || *q == '\t'))
                q++;
            for (clen = 0; q < eol && *q >= '0' && *q <= '9' && clen < (1ull << 50); q++)
                clen = clen * 10 + (uint64_t)(*q - '0');
            have_len = 1;
        } else if (tr_iprefix(l, (size_t)(eol - l), "transfer-encoding:") &&
                   find(l, (size_t)(eol - l), "chunked", 7)) {
            chunked = 1;
        } else if (tr_iprefix(l, (size_t)(eol - l), "connection:") && find(l, (size_t)(eol - l), "close", 5)) {
            close = 1;
        }
        l = eol + 2;
    }
    (void)client;
    if (chunked) {
        long c = chunked_len(p + hlen, n - hlen);
        return c > 0 ? (long)hlen + c : c;
    }
    if (!have_len) {
        if (!response || status / 100 == 1 || status == 204 || status == 304)
            return (long)hlen;
        /* an HTTP/1.1 response that is kept alive has a length unless it
         * has no body (the answer to HEAD: we do not see the request) */
        if (hlen > 8 && !memcmp(p, "HTTP/1.1", 8) && !close)
            return (long)hlen;
        return 0; /* until the close */
    }
    *total = hlen + clen;
    return hlen + clen <= n ? (long)(hlen + clen) : 0;
}

long tr_pcapw_pdu_len(const char *proto, int client, int at_start, const uint8_t *p, size_t n,
                      uint64_t *total)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    *total = 0;
    if (!n)
        return 0;
    if (strcmp(proto, "http2") == 0) {
        if (client && at_start) {
            size_t m = n < 24 ? n : 24;
            if (memcmp(p, preface, m) == 0) {
                *total = 24;
                return n >= 24 ? 24 : 0;
            }
        }
        if (n < 9)
            return 0;
        size_t flen = 9 + ((size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]);
        *total = flen;
        return flen <= n ? (long)flen : 0;
    }
    if (strcmp(proto, "http") == 0)
        return http_len(client, p, n, total);
    if (strcmp(proto, "smtp") == 0 || strcmp(proto, "imap") == 0 || strcmp(proto, "pop") == 0 ||
        strcmp(proto, "ftp") == 0) {
        for (size_t i = n; i > 0; i--)
            if (p[i - 1] == '\n')
                return (long)i;
        return 0;
    }
    return (long)n; /* no framing known: as it comes */
}
