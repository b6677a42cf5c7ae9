/* pcapw.c - the decrypted pcap sink (see pcapw.h and docs/pcap.md).
 *
 * Per connection: its addresses, MSS and whether it turned out decrypted.
 * A TLS connection's cleartext records are held (copied, bounded) until that
 * is known: the first decrypted byte says "decrypted" (records dropped, data
 * on the mapped port), the first protected record that could not be read, or
 * the close, says "not decrypted" (records written on the original port).
 * Each conversation written keeps only its next sequence numbers.
 */
#include "out/pcapw.h"
#include "proto/http1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/err.h"

#define SNAPLEN 262144
#define NBUCKETS 4096
#define DEFAULT_MSS 1460
#define MAX_INFLIGHT 32768u /* the peer acknowledges before this much is unacknowledged */
#define PDU_CHUNK 65535u    /* PDU payload per record */
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24u

enum { UNDECIDED, DECRYPTED, RECORDS };
enum { P_REC, P_DATA, P_GAP };

struct pend {
    struct pend *next;
    int kind, side;
    struct timeval ts;
    size_t len;
    uint8_t data[]; /* len bytes for P_REC / P_DATA */
};

struct conv {
    uint16_t port;    /* server port on the wire */
    uint32_t nxt[2];  /* next sequence number per side (0 client, 1 server) */
    uint32_t acked[2];/* how far the peer has acknowledged each side */
    uint32_t isn0;    /* the client's initial sequence number */
};

/* pdu format: one direction's unfinished application PDU */
struct pside {
    uint8_t *buf;     /* TR_PCAPW_PDU_MAX bytes once needed */
    size_t n;
    uint64_t skip;    /* rest of a PDU already written in pieces */
    int started;      /* bytes of this side were seen */
    int lost;         /* framing lost (gap, withheld span, no parse): as it comes */
    int big;          /* ... only because a message outgrew buf: resumable */
    struct timeval ts;
};

struct conn {
    uint64_t id;
    struct tr_addr cli, srv;
    uint16_t cport, sport;
    uint16_t mss[2];
    struct timeval t0;
    int decision;
    struct pend *ph, *pt;
    size_t pbytes;
    struct conv cv[2];
    size_t ncv;
    struct pside ps[2];
    const char *proto; /* pdu: protocol name of the last event (static string) */
    uint16_t pdu_port; /* pdu: server port named by cleartext PDUs */
    struct conn *next;
};

/* Bytes released at one instant for one side of one conversation are sent as
 * one segment (up to the MSS), as the packet that released them was: one
 * buffer for the whole writer, flushed before any other packet is written. */
struct coal {
    struct conn *c;   /* NULL: empty */
    struct conv *cv;
    int side;
    struct timeval ts;
    size_t n;
};

struct tr_pcapw {
    enum tr_pcapw_format format;
    enum tr_pcapw_link link;
    struct tr_portmap map;
    pcap_t *dead;
    pcap_dumper_t *d;
    FILE *f;
    char *path, *tmp;
    int failed;
    char err[600];
    struct conn *b[NBUCKETS];
    struct tr_pcapw_stats st;
    struct coal co;
    uint8_t cbuf[65536];
    uint8_t pkt[SNAPLEN];
};

int tr_pcapw_parse_format(const char *s, enum tr_pcapw_format *f)
{
    if (strcmp(s, "tcp") == 0)
        *f = TR_PCAPW_TCP;
    else if (strcmp(s, "pdu") == 0)
        *f = TR_PCAPW_PDU;
    else
        return TR_E_ARG;
    return 0;
}

int tr_pcapw_parse_link(const char *s, enum tr_pcapw_link *l)
{
    if (strcmp(s, "ether") == 0 || strcmp(s, "ethernet") == 0)
        *l = TR_PCAPW_ETHER;
    else if (strcmp(s, "raw") == 0 || strcmp(s, "rawip") == 0)
        *l = TR_PCAPW_RAW;
    else
        return TR_E_ARG;
    return 0;
}

/* ---- file ---- */

static void io_fail(struct tr_pcapw *w, int e)
{
    if (!w->failed)
        snprintf(w->err, sizeof w->err, "%s: write error (%s)", w->path, strerror(e ? e : EIO));
    w->failed = 1;
}

struct tr_pcapw *tr_pcapw_new(const char *path, const struct tr_pcapw_opts *opts, char *err,
                              size_t errlen)
{
    struct tr_pcapw *w = calloc(1, sizeof *w);
    size_t plen = strlen(path);
    if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(plen + 16))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    w->format = opts ? opts->format : TR_PCAPW_TCP;
    w->link = opts ? opts->link : TR_PCAPW_ETHER;
    if (opts && opts->map)
        w->map = *opts->map;
    else
        tr_portmap_default(&w->map);
    snprintf(w->tmp, plen + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create (%s)", path, strerror(errno));
        free(w->tmp);
        w->tmp = NULL;
        goto fail;
    }
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(fd, 0666 & ~um); /* as fopen would create it */
    w->f = fdopen(fd, "wb");
    if (!w->f) {
        snprintf(err, errlen, "%s: cannot create (%s)", path, strerror(errno));
        close(fd);
        goto fail;
    }
    int dlt = w->format == TR_PCAPW_PDU ? DLT_WIRESHARK_UPPER_PDU
              : w->link == TR_PCAPW_RAW ? DLT_RAW : DLT_EN10MB;
    w->dead = pcap_open_dead(dlt, SNAPLEN);
    if (!w->dead) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    w->d = pcap_dump_fopen(w->dead, w->f);
    if (!w->d) {
        snprintf(err, errlen, "%s: %s", path, pcap_geterr(w->dead));
        goto fail;
    }
    if (pcap_dump_flush(w->d) != 0 || ferror(w->f)) {
        snprintf(err, errlen, "%s: write error (%s)", path, strerror(errno));
        goto fail;
    }
    return w;
fail:
    tr_pcapw_free(w);
    return NULL;
}

static void put_record(struct tr_pcapw *w, struct timeval ts, const uint8_t *p, size_t n)
{
    if (w->failed || !n)
        return;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts = ts;
    h.caplen = h.len = (bpf_u_int32)n;
    pcap_dump((u_char *)w->d, &h, p);
    if (ferror(w->f))
        io_fail(w, errno);
    w->st.packets++;
}

/* ---- connections ---- */

static struct conn **slot(struct tr_pcapw *w, uint64_t id)
{
    struct conn **pp = &w->b[(id * 0x9e3779b97f4a7c15ull) >> 52];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    return pp;
}

static struct conn *get_conn(struct tr_pcapw *w, const struct tr_ev *e)
{
    struct conn **pp = slot(w, e->conn);
    if (*pp)
        return *pp;
    if (!e->cli || !e->srv)
        return NULL;
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        if (!w->failed)
            snprintf(w->err, sizeof w->err, "%s: out of memory", w->path);
        w->failed = 1;
        return NULL;
    }
    c->id = e->conn;
    c->cli = *e->cli;
    c->srv = *e->srv;
    c->cport = e->cport;
    c->sport = e->sport;
    c->pdu_port = e->sport;
    c->mss[0] = e->mss[0];
    c->mss[1] = e->mss[1];
    c->t0 = e->ts;
    *pp = c;
    return c;
}

static void free_pside(struct conn *c)
{
    for (int i = 0; i < 2; i++) {
        if (c->ps[i].buf)
            memset(c->ps[i].buf, 0, TR_PCAPW_PDU_MAX); /* held cleartext */
        free(c->ps[i].buf);
        c->ps[i].buf = NULL;
    }
}

static void free_pending(struct conn *c)
{
    while (c->ph) {
        struct pend *p = c->ph;
        c->ph = p->next;
        if (p->kind != P_GAP)
            memset(p->data, 0, p->len); /* held cleartext */
        free(p);
    }
    c->pt = NULL;
    c->pbytes = 0;
}

/* ---- tcp format ---- */

static void flush(struct tr_pcapw *w);

static void seg(struct tr_pcapw *w, const struct conn *c, struct conv *cv, int side, uint8_t flags,
                const uint8_t *p, size_t n, uint16_t mss, struct timeval ts)
{
    if (w->co.c)
        flush(w);
    struct tr_pcapw_seg s = {
        .src = side ? &c->srv : &c->cli, .dst = side ? &c->cli : &c->srv,
        .sport = side ? cv->port : c->cport, .dport = side ? c->cport : cv->port,
        .seq = cv->nxt[side], .ack = cv->nxt[!side], .flags = flags, .mss = mss,
        .payload = p, .len = n,
    };
    size_t len = tr_pcapw_build_tcp(w->pkt, sizeof w->pkt, w->link, side ? 2 : 1, side ? 1 : 2, &s);
    put_record(w, ts, w->pkt, len);
    cv->nxt[side] += (uint32_t)n + ((flags & (TR_TH_SYN | TR_TH_FIN)) ? 1u : 0u);
    if (flags & TR_TH_ACK)
        cv->acked[!side] = cv->nxt[!side];
}

/* A pure ACK from side, when it acknowledges something new. */
static void ack(struct tr_pcapw *w, const struct conn *c, struct conv *cv, int side, struct timeval ts)
{
    if (cv->acked[!side] != cv->nxt[!side])
        seg(w, c, cv, side, TR_TH_ACK, NULL, 0, 0, ts);
}

static struct conv *get_conv(struct tr_pcapw *w, struct conn *c, uint16_t port)
{
    for (size_t i = 0; i < c->ncv; i++)
        if (c->cv[i].port == port)
            return &c->cv[i];
    if (c->ncv == 2)
        return &c->cv[1]; /* cannot happen: a connection has its port and its mapped port */
    struct conv *cv = &c->cv[c->ncv++];
    memset(cv, 0, sizeof *cv);
    cv->port = port;
    /* deterministic initial sequence numbers, distinct per conversation */
    uint64_t h = (c->id + 1) * 0x9e3779b97f4a7c15ull + c->ncv;
    cv->nxt[0] = (uint32_t)(h >> 32);
    cv->nxt[1] = (uint32_t)h ^ 0x5a5a5a5au;
    cv->isn0 = cv->nxt[0];
    uint16_t m0 = c->mss[0] ? c->mss[0] : DEFAULT_MSS, m1 = c->mss[1] ? c->mss[1] : DEFAULT_MSS;
    seg(w, c, cv, 0, TR_TH_SYN, NULL, 0, m0, c->t0);
    seg(w, c, cv, 1, TR_TH_SYN | TR_TH_ACK, NULL, 0, m1, c->t0);
    seg(w, c, cv, 0, TR_TH_ACK, NULL, 0, 0, c->t0);
    w->st.conns++;
    return cv;
}

/* Segment size for data sent by side: what its peer announced. */
static size_t seg_size(const struct conn *c, int side)
{
    size_t m = c->mss[!side] ? c->mss[!side] : c->mss[side] ? c->mss[side] : DEFAULT_MSS;
    if (m < 64)
        m = 64;
    if (m > 65535 - 60 - 40)
        m = 65535 - 60 - 40;
    return m;
}

/* One data segment; the peer acknowledges first when much is in flight. */
static void data_seg(struct tr_pcapw *w, const struct conn *c, struct conv *cv, int side, const uint8_t *p,
                     size_t n, int push, struct timeval ts)
{
    if (cv->nxt[side] - cv->acked[side] >= MAX_INFLIGHT)
        ack(w, c, cv, !side, ts);
    seg(w, c, cv, side, (uint8_t)(TR_TH_ACK | (push ? TR_TH_PSH : 0)), p, n, 0, ts);
    w->st.bytes += n;
}

/* Sends what is buffered, then the peer acknowledges it. */
static void flush(struct tr_pcapw *w)
{
    struct coal co = w->co;
    if (!co.c)
        return;
    w->co.c = NULL;
    if (co.n)
        data_seg(w, co.c, co.cv, co.side, w->cbuf, co.n, 1, co.ts);
    ack(w, co.c, co.cv, !co.side, co.ts);
}

static void tcp_data(struct tr_pcapw *w, struct conn *c, uint16_t port, int side, const uint8_t *p,
                     size_t n, struct timeval ts)
{
    struct conv *cv = get_conv(w, c, port);
    struct coal *co = &w->co;
    if (co->c && (co->cv != cv || co->side != side || co->ts.tv_sec != ts.tv_sec ||
                  co->ts.tv_usec != ts.tv_usec))
        flush(w);
    size_t mss = seg_size(c, side);
    /* Wireshark 4.0 does not reassemble an HTTP/2 frame that starts in the
     * segment carrying the connection preface: the preface travels alone,
     * however the cleartext arrived in pieces. */
    size_t off = (size_t)(uint32_t)(cv->nxt[0] - (cv->isn0 + 1)) + (co->c ? co->n : 0);
    if (side == 0 && off < H2_PREFACE_LEN && (!co->c || (co->cv == cv && co->side == 0))) {
        size_t k = H2_PREFACE_LEN - off < n ? H2_PREFACE_LEN - off : n;
        const uint8_t *held = co->c ? w->cbuf : NULL;
        size_t nheld = co->c ? co->n : 0;
        if ((!held || memcmp(held, H2_PREFACE, nheld) == 0) && memcmp(p, &H2_PREFACE[off], k) == 0 &&
            off + k == H2_PREFACE_LEN) {
            uint8_t pre[H2_PREFACE_LEN];
            memcpy(pre, H2_PREFACE, H2_PREFACE_LEN);
            co->c = NULL;
            data_seg(w, c, cv, 0, pre, H2_PREFACE_LEN, 1, ts);
            p += k;
            n -= k;
            if (!n)
                return;
        }
    }
    while (n && !w->failed) {
        if (!co->c) {
            co->c = c;
            co->cv = cv;
            co->side = side;
            co->ts = ts;
            co->n = 0;
        }
        size_t k = mss - co->n < n ? mss - co->n : n;
        memcpy(w->cbuf + co->n, p, k);
        co->n += k;
        p += k;
        n -= k;
        if (co->n == mss) {
            /* a full segment: send it, keep collecting */
            struct coal keep = *co;
            co->c = NULL;
            data_seg(w, c, cv, side, w->cbuf, mss, 0, ts);
            *co = keep;
            co->n = 0;
        }
    }
}

/* Missing bytes: the sequence numbers jump, as in the capture. */
static void tcp_gap(struct tr_pcapw *w, struct conn *c, uint16_t port, int side, size_t n)
{
    flush(w);
    struct conv *cv = get_conv(w, c, port);
    cv->nxt[side] += (uint32_t)n;
}

static void tcp_close(struct tr_pcapw *w, struct conn *c, const int closed[2], struct timeval ts)
{
    if (!c->ncv)
        get_conv(w, c, c->decision == DECRYPTED ? tr_portmap_lookup(&w->map, c->sport) : c->sport);
    for (size_t i = 0; i < c->ncv; i++) {
        struct conv *cv = &c->cv[i];
        if (closed[0] == 1)
            seg(w, c, cv, 0, TR_TH_FIN | TR_TH_ACK, NULL, 0, 0, ts);
        if (closed[1] == 1)
            seg(w, c, cv, 1, TR_TH_FIN | TR_TH_ACK, NULL, 0, 0, ts);
        if (closed[0] == 1 || closed[1] == 1) {
            if (closed[0] != 2)
                ack(w, c, cv, 0, ts);
            if (closed[1] != 2)
                ack(w, c, cv, 1, ts);
        }
        for (int side = 0; side < 2; side++)
            if (closed[side] == 2)
                seg(w, c, cv, side, TR_TH_RST | TR_TH_ACK, NULL, 0, 0, ts);
    }
}

static void decide(struct tr_pcapw *w, struct conn *c, int how)
{
    c->decision = how;
    uint16_t mapped = how == DECRYPTED ? tr_portmap_lookup(&w->map, c->sport) : c->sport;
    for (struct pend *p = c->ph; p; p = p->next) {
        if (p->kind == P_REC && how == DECRYPTED)
            w->st.records_dropped++;
        else if (p->kind == P_GAP)
            tcp_gap(w, c, mapped, p->side, p->len);
        else
            tcp_data(w, c, c->sport, p->side, p->data, p->len, p->ts);
    }
    free_pending(c);
}

static void pend(struct tr_pcapw *w, struct conn *c, int kind, int side, struct timeval ts,
                 const uint8_t *data, size_t len)
{
    size_t n = kind == P_GAP ? 0 : len;
    struct pend *p = malloc(sizeof *p + n);
    if (!p) {
        if (!w->failed)
            snprintf(w->err, sizeof w->err, "%s: out of memory", w->path);
        w->failed = 1;
        return;
    }
    p->next = NULL;
    p->kind = kind;
    p->side = side;
    p->ts = ts;
    p->len = len;
    if (n)
        memcpy(p->data, data, n);
    if (c->pt)
        c->pt->next = p;
    else
        c->ph = p;
    c->pt = p;
    c->pbytes += n;
    if (c->pbytes > TR_PCAPW_MAX_PENDING)
        decide(w, c, RECORDS);
}

static void tcp_ev(struct tr_pcapw *w, struct conn *c, const struct tr_ev *e)
{
    int side = e->dir & 1;
    switch (e->type) {
    case TR_EV_RECORD:
        if (!e->raw) {
            if (e->encrypted && c->decision == UNDECIDED)
                decide(w, c, RECORDS);
        } else if (c->decision == DECRYPTED) {
            w->st.records_dropped++;
        } else if (c->decision == RECORDS) {
            tcp_data(w, c, c->sport, side, e->raw, e->rawlen, e->ts);
        } else {
            pend(w, c, P_REC, side, e->ts, e->raw, e->rawlen);
        }
        break;
    case TR_EV_DATA:
        if (e->decrypted && c->decision == UNDECIDED)
            decide(w, c, DECRYPTED);
        if (e->withheld || !e->data || !e->len)
            break; /* withheld spans are absent: the stream is shorter */
        if (e->decrypted)
            tcp_data(w, c, tr_portmap_lookup(&w->map, c->sport), side, e->data, e->len, e->ts);
        else if (c->decision == UNDECIDED && c->ph)
            pend(w, c, P_DATA, side, e->ts, e->data, e->len);
        else
            tcp_data(w, c, c->sport, side, e->data, e->len, e->ts);
        break;
    case TR_EV_GAP:
        if (c->decision == UNDECIDED && (e->tls || c->ph))
            pend(w, c, P_GAP, side, e->ts, NULL, e->len);
        else
            tcp_gap(w, c, c->decision == DECRYPTED ? tr_portmap_lookup(&w->map, c->sport) : c->sport,
                    side, e->len);
        break;
    case TR_EV_CONN_CLOSE:
        if (c->decision == UNDECIDED)
            decide(w, c, RECORDS);
        tcp_close(w, c, e->closed, e->ts);
        break;
    default:
        break;
    }
}

/* ---- pdu format ---- */

/* One PDU (in pieces of PDU_CHUNK); tls records name the original server
 * port, cleartext its mapped port when decrypted (as in the tcp format). */
static void pdu(struct tr_pcapw *w, const struct conn *c, int side, const char *proto, const uint8_t *p,
                size_t n, struct timeval ts)
{
    uint16_t sp = strcmp(proto, "tls") == 0 ? c->sport : c->pdu_port;
    size_t h = tr_pcapw_build_pdu_hdr(w->pkt, sizeof w->pkt, proto, side ? &c->srv : &c->cli,
                                      side ? &c->cli : &c->srv, side ? sp : c->cport,
                                      side ? c->cport : sp);
    while (n && h && !w->failed) {
        size_t k = n < PDU_CHUNK ? n : PDU_CHUNK;
        memcpy(w->pkt + h, p, k);
        put_record(w, ts, w->pkt, h + k);
        w->st.pdus++;
        w->st.bytes += k;
        p += k;
        n -= k;
    }
}

static int framed(const char *proto)
{
    static const char *const names[] = {"http", "http2", "smtp", "imap", "pop", "ftp"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(proto, names[i]) == 0)
            return 1;
    return 0;
}

static void pdu_flush(struct tr_pcapw *w, struct conn *c, int side, const char *proto)
{
    struct pside *ps = &c->ps[side];
    if (ps->n)
        pdu(w, c, side, proto, ps->buf, ps->n, ps->ts);
    ps->n = 0;
}

/* Appends what fits of p[0..n) to the side's buffer; returns how much. */
static size_t hold(struct pside *ps, const uint8_t *p, size_t n, struct timeval ts)
{
    size_t k = TR_PCAPW_PDU_MAX - ps->n < n ? TR_PCAPW_PDU_MAX - ps->n : n;
    memcpy(ps->buf + ps->n, p, k);
    ps->n += k;
    ps->ts = ts;
    return k;
}

/* Cleartext of one side, written as whole application PDUs when the
 * protocol's framing is known. */
static void pdu_data(struct tr_pcapw *w, struct conn *c, int side, const char *proto, const uint8_t *p,
                     size_t n, struct timeval ts)
{
    struct pside *ps = &c->ps[side];
    uint64_t total;
    if (framed(proto) && !ps->buf && !ps->lost) {
        ps->buf = malloc(TR_PCAPW_PDU_MAX);
        if (!ps->buf)
            ps->lost = 1;
    }
    while (n && !w->failed) {
        if (ps->skip) {
            size_t k = ps->skip < n ? (size_t)ps->skip : n;
            pdu(w, c, side, proto, p, k, ts);
            ps->skip -= k;
            p += k;
            n -= k;
            ps->started = 1;
            continue;
        }
        if (ps->lost && ps->buf && ps->big) {
            if (!strcmp(proto, "http") && tr_http1_looks_like(p, n, !side)) {
                /* the message too long to hold has ended: framing resumes
                 * at the next start line (the session releases HTTP/1.x
                 * messages as they end, so one starts a piece) */
                pdu_flush(w, c, side, "data");
                ps->lost = ps->big = 0;
            } else {
                /* its rest, in pieces of the buffer's size */
                size_t k = hold(ps, p, n, ts);
                p += k;
                n -= k;
                if (ps->n == TR_PCAPW_PDU_MAX) /* not a message start: not for the http dissector */
                    pdu_flush(w, c, side, "data");
                continue;
            }
        }
        if (ps->lost || !ps->buf) {
            pdu(w, c, side, proto, p, n, ts);
            ps->started = 1;
            return;
        }
        size_t k = hold(ps, p, n, ts);
        p += k;
        n -= k;
        long r = 0;
        size_t off = 0;
        while (off < ps->n &&
               (r = tr_pcapw_pdu_len(proto, !side, !ps->started, ps->buf + off, ps->n - off, &total)) > 0) {
            pdu(w, c, side, proto, ps->buf + off, (size_t)r, ts);
            off += (size_t)r;
            ps->started = 1;
        }
        if (off) {
            memmove(ps->buf, ps->buf + off, ps->n - off);
            ps->n -= off;
        }
        if (ps->n == 0)
            continue;
        if (r < 0 || ps->n == TR_PCAPW_PDU_MAX) {
            /* not at a message start, or a message longer than we hold */
            if (r == 0 && total > ps->n) {
                ps->skip = total - ps->n;
            } else {
                ps->lost = 1;
                ps->big = r == 0; /* a long message of unknown length (chunked) */
            }
            pdu_flush(w, c, side, proto);
            ps->started = 1;
        }
    }
}

static void pdu_ev(struct tr_pcapw *w, struct conn *c, const struct tr_ev *e)
{
    int side = e->dir & 1;
    /* the protocol the session parsed (HTTP/1.x seen without ALPN), else
     * ALPN, else the port - as mapped with --port-map */
    const char *proto = tr_pcapw_proto_name(e->app && *e->app ? e->app : e->alpn,
                                            tr_portmap_lookup(&w->map, c->sport));
    c->proto = proto;
    if (e->type == TR_EV_DATA)
        c->pdu_port = e->decrypted ? tr_portmap_lookup(&w->map, c->sport) : c->sport;
    switch (e->type) {
    case TR_EV_RECORD:
        if (e->raw)
            pdu(w, c, side, "tls", e->raw, e->rawlen, e->ts);
        break;
    case TR_EV_DATA:
        if (e->withheld || !e->data) {
            /* the stream is shorter here: what is held goes out as it is */
            pdu_flush(w, c, side, proto);
            c->ps[side].lost = 1;
        } else {
            pdu_data(w, c, side, proto, e->data, e->len, e->ts);
        }
        break;
    case TR_EV_GAP:
        pdu_flush(w, c, side, proto);
        c->ps[side].lost = 1;
        break;
    case TR_EV_CONN_CLOSE:
        pdu_flush(w, c, 0, proto);
        pdu_flush(w, c, 1, proto);
        break;
    default:
        break;
    }
}

/* ---- sink ---- */

static void drop_conn(struct tr_pcapw *w, uint64_t id)
{
    struct conn **pp = slot(w, id);
    struct conn *c = *pp;
    if (!c)
        return;
    *pp = c->next;
    free_pending(c);
    free_pside(c);
    free(c);
}

static void ev(void *ctx, const struct tr_ev *e)
{
    struct tr_pcapw *w = ctx;
    if (w->failed || e->type == TR_EV_SUMMARY || e->type == TR_EV_NOTE || e->type == TR_EV_VERDICT ||
        (e->type == TR_EV_DATA && e->view == TR_VIEW_TEXT))
        return;
    struct conn *c = get_conn(w, e);
    if (!c)
        return;
    if (e->type == TR_EV_CONN_OPEN) {
        c->t0 = e->ts;
        c->mss[0] = e->mss[0];
        c->mss[1] = e->mss[1];
        return;
    }
    if (e->dir < 0 && e->type != TR_EV_CONN_CLOSE)
        return;
    if (w->format == TR_PCAPW_PDU)
        pdu_ev(w, c, e);
    else
        tcp_ev(w, c, e);
    if (e->type == TR_EV_CONN_CLOSE) {
        flush(w);
        drop_conn(w, e->conn);
    }
}

struct tr_sink tr_pcapw_sink(struct tr_pcapw *w)
{
    struct tr_sink s = {.ev = ev, .ctx = w};
    return s;
}

int tr_pcapw_status(const struct tr_pcapw *w, char *err, size_t errlen)
{
    if (!w->failed)
        return 0;
    snprintf(err, errlen, "%s", w->err);
    return -1;
}

const char *tr_pcapw_temp_path(const struct tr_pcapw *w) { return w->d ? w->tmp : NULL; }

void tr_pcapw_stats(const struct tr_pcapw *w, struct tr_pcapw_stats *st) { *st = w->st; }

static void drop_all(struct tr_pcapw *w, int write)
{
    if (write)
        flush(w);
    w->co.c = NULL;
    for (size_t i = 0; i < NBUCKETS; i++)
        while (w->b[i]) {
            struct conn *c = w->b[i];
            if (write && w->format == TR_PCAPW_TCP && c->decision == UNDECIDED)
                decide(w, c, RECORDS);
            flush(w);
            if (write && w->format == TR_PCAPW_PDU)
                for (int side = 0; side < 2; side++)
                    pdu_flush(w, c, side, c->proto ? c->proto : "data");
            w->b[i] = c->next;
            free_pending(c);
            free_pside(c);
            free(c);
        }
}

int tr_pcapw_finish(struct tr_pcapw *w, char *err, size_t errlen)
{
    if (!w->d) {
        snprintf(err, errlen, "%s: already closed", w->path);
        return TR_E_IO;
    }
    drop_all(w, 1);
    if (!w->failed && (pcap_dump_flush(w->d) != 0 || ferror(w->f)))
        io_fail(w, errno);
    if (!w->failed && fsync(fileno(w->f)) != 0 && errno != EINVAL)
        io_fail(w, errno);
    pcap_dump_close(w->d); /* closes w->f; everything was flushed and synced above */
    w->d = NULL;
    w->f = NULL;
    if (!w->failed && rename(w->tmp, w->path) != 0)
        io_fail(w, errno);
    if (w->failed) {
        unlink(w->tmp);
        snprintf(err, errlen, "%s", w->err);
        return TR_E_IO;
    }
    free(w->tmp);
    w->tmp = NULL;
    return 0;
}

void tr_pcapw_free(struct tr_pcapw *w)
{
    if (!w)
        return;
    drop_all(w, 0);
    if (w->d)
        pcap_dump_close(w->d);
    else if (w->f)
        fclose(w->f);
    if (w->dead)
        pcap_close(w->dead);
    if (w->tmp) {
        unlink(w->tmp);
        free(w->tmp);
    }
    free(w->path);
    memset(w->cbuf, 0, sizeof w->cbuf);
    memset(w->pkt, 0, sizeof w->pkt);
    free(w);
}

int tr_pcapw_write_ip(struct tr_pcapw *w, const uint8_t *ip, size_t len, struct timeval ts)
{
    if (w->failed || w->format != TR_PCAPW_TCP || len == 0)
        return 0;
    size_t hdr = w->link == TR_PCAPW_RAW ? 0 : 14;
    if (len > sizeof w->pkt - hdr)
        len = sizeof w->pkt - hdr;
    if (hdr) {
        static const uint8_t mac[5] = {0x02, 0, 0, 0, 0};
        memcpy(w->pkt, mac, 5);
        w->pkt[5] = 2;
        memcpy(w->pkt + 6, mac, 5);
        w->pkt[11] = 1;
        int v6 = (ip[0] >> 4) == 6;
        w->pkt[12] = v6 ? 0x86 : 0x08;
        w->pkt[13] = v6 ? 0xdd : 0x00;
    }
    memcpy(w->pkt + hdr, ip, len);
    put_record(w, ts, w->pkt, hdr + len);
    w->st.other++;
    return w->failed ? -1 : 0;
}
