/* test_pcapw.c - the decrypted pcap sink: bytes of the packets it writes
 * (checksums recomputed, MSS segmentation, seq/ack consistency, IPv6, port
 * mapping, not-decrypted connections), exported-PDU TLVs byte-exact, and the
 * temporary-file discipline. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tt.h"
#include "decode/decode.h"
#include "out/pcapw.h"

static char tmpdir[64];

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

struct pkt {
    const uint8_t *p;
    size_t n;
};

struct file {
    uint8_t *buf;
    size_t len;
    uint32_t linktype;
    struct pkt pk[256];
    size_t n;
};

static int load(const char *path, struct file *f)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    f->buf = malloc(1 << 20);
    f->len = fread(f->buf, 1, 1 << 20, fp);
    fclose(fp);
    if (f->len < 24 || le32(f->buf) != 0xa1b2c3d4u)
        return -1;
    f->linktype = le32(f->buf + 20);
    size_t off = 24;
    while (off + 16 <= f->len && f->n < 256) {
        uint32_t incl = le32(f->buf + off + 8);
        if (off + 16 + incl > f->len || incl != le32(f->buf + off + 12))
            return -1;
        f->pk[f->n].p = f->buf + off + 16;
        f->pk[f->n++].n = incl;
        off += 16 + incl;
    }
    return off == f->len ? 0 : -1;
}

/* A decoded TCP packet of the file, checksums verified. */
struct tcpv {
    int v6, ok_ipsum, ok_tcpsum;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t mss;
    const uint8_t *payload;
    size_t len;
};

static int parse_tcp(const struct pkt *k, int ether, struct tcpv *t)
{
    memset(t, 0, sizeof *t);
    const uint8_t *p = k->p;
    size_t n = k->n;
    if (ether) {
        if (n < 14)
            return -1;
        uint16_t et = be16(p + 12);
        if (p[0] != 2 || p[6] != 2 || (et != 0x0800 && et != 0x86dd))
            return -1;
        p += 14;
        n -= 14;
    }
    uint32_t ps;
    size_t ipl;
    if (n >= 40 && (p[0] >> 4) == 6) {
        t->v6 = 1;
        ipl = 40;
        if (be16(p + 4) != n - 40 || p[6] != 6)
            return -1;
        t->ok_ipsum = 1;
        ps = tr_pcapw_sum(0, p + 8, 32) + 6 + (uint32_t)(n - 40);
    } else if (n >= 20 && p[0] == 0x45) {
        ipl = 20;
        if (be16(p + 2) != n || p[9] != 6)
            return -1;
        t->ok_ipsum = tr_pcapw_fold(tr_pcapw_sum(0, p, 20)) == 0xffff;
        ps = tr_pcapw_sum(0, p + 12, 8) + 6 + (uint32_t)(n - 20);
    } else {
        return -1;
    }
    const uint8_t *th = p + ipl;
    size_t tl = n - ipl;
    t->ok_tcpsum = tr_pcapw_fold(tr_pcapw_sum(ps, th, tl)) == 0xffff;
    size_t hl = (size_t)(th[12] >> 4) * 4;
    t->sport = be16(th);
    t->dport = be16(th + 2);
    t->seq = be32(th + 4);
    t->ack = be32(th + 8);
    t->flags = th[13];
    if (hl == 24 && th[20] == 2 && th[21] == 4)
        t->mss = be16(th + 22);
    t->payload = th + hl;
    t->len = tl - hl;
    return 0;
}

static struct tr_ev evt(int type, uint64_t conn, int dir, const struct tr_addr *cli, const struct tr_addr *srv,
                        uint16_t cport, uint16_t sport, long usec)
{
    struct tr_ev e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.conn = conn;
    e.dir = dir;
    e.cli = cli;
    e.srv = srv;
    e.cport = cport;
    e.sport = sport;
    e.ts.tv_sec = 1700000000;
    e.ts.tv_usec = usec;
    e.alpn = "";
    return e;
}

/* Checks every packet of a tcp-format file: checksums, and that each
 * segment's seq is the sender's next and its ack the peer's next, per
 * conversation (keyed by the server port; one client port in these tests).
 * Returns the number of inconsistent packets. */
static int check_stream(const struct file *f, int ether, uint16_t cport, uint32_t *bytes_c2s,
                        uint32_t *bytes_s2c, size_t *max_seg)
{
    uint32_t nxt[2] = {0, 0};
    int seen[2] = {0, 0}, bad = 0;
    *bytes_c2s = *bytes_s2c = 0;
    *max_seg = 0;
    for (size_t i = 0; i < f->n; i++) {
        struct tcpv t;
        if (parse_tcp(&f->pk[i], ether, &t) != 0 || !t.ok_ipsum || !t.ok_tcpsum) {
            bad++;
            continue;
        }
        int side = t.sport == cport ? 0 : 1;
        if (t.flags & TR_TH_SYN) {
            nxt[side] = t.seq;
            seen[side] = 1;
        }
        if (!seen[side] || t.seq != nxt[side])
            bad++;
        if ((t.flags & TR_TH_ACK) && (!seen[!side] || t.ack != nxt[!side]))
            bad++;
        nxt[side] += (uint32_t)t.len + ((t.flags & (TR_TH_SYN | TR_TH_FIN)) ? 1 : 0);
        if (side == 0)
            *bytes_c2s += (uint32_t)t.len;
        else
            *bytes_s2c += (uint32_t)t.len;
        if (t.len > *max_seg)
            *max_seg = t.len;
    }
    return bad;
}

static void test_checksum_known(void)
{
    /* RFC 1071 example words: 0001 f203 f4f5 f6f7 -> sum 0xddf2 */
    static const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    TT_EQ_INT(tr_pcapw_fold(tr_pcapw_sum(0, d, sizeof d)), 0xddf2);
    /* odd length: the last byte is padded with zero */
    static const uint8_t o[] = {0x12, 0x34, 0x56};
    TT_EQ_INT(tr_pcapw_fold(tr_pcapw_sum(0, o, sizeof o)), 0x6834);
}

static void test_build_v4_v6(void)
{
    struct tr_addr a = {.family = 4, .a = {10, 0, 0, 1}}, b = {.family = 4, .a = {10, 0, 0, 2}};
    uint8_t out[2048];
    const uint8_t pl[] = "GET / HTTP/1.1\r\n\r\n";
    struct tr_pcapw_seg s = {.src = &a, .dst = &b, .sport = 40000, .dport = 80, .seq = 1000, .ack = 2000,
                             .flags = TR_TH_ACK | TR_TH_PSH, .payload = pl, .len = sizeof pl - 1};
    size_t n = tr_pcapw_build_tcp(out, sizeof out, TR_PCAPW_ETHER, 1, 2, &s);
    TT_EQ_INT(n, 14 + 20 + 20 + sizeof pl - 1);
    struct pkt k = {out, n};
    struct tcpv t;
    TT_EQ_INT(parse_tcp(&k, 1, &t), 0);
    TT_CHECK(t.ok_ipsum && t.ok_tcpsum);
    TT_EQ_INT(t.seq, 1000);
    TT_EQ_INT(t.ack, 2000);
    TT_EQ_INT(t.len, sizeof pl - 1);
    static const uint8_t mac[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    TT_EQ_MEM(out, mac, 12);
    /* a flipped payload bit breaks the checksum */
    out[n - 1] ^= 1;
    TT_EQ_INT(parse_tcp(&k, 1, &t), 0);
    TT_CHECK(!t.ok_tcpsum);

    struct tr_addr a6 = {.family = 6, .a = {0x20, 1, 0xd, 0xb8, [15] = 1}};
    struct tr_addr b6 = {.family = 6, .a = {0x20, 1, 0xd, 0xb8, [15] = 2}};
    s.src = &a6;
    s.dst = &b6;
    s.flags = TR_TH_SYN;
    s.mss = 1440;
    s.len = 0;
    n = tr_pcapw_build_tcp(out, sizeof out, TR_PCAPW_RAW, 1, 2, &s);
    TT_EQ_INT(n, 40 + 24);
    k.n = n;
    TT_EQ_INT(parse_tcp(&k, 0, &t), 0);
    TT_CHECK(t.v6 && t.ok_tcpsum);
    TT_EQ_INT(t.mss, 1440);
    TT_EQ_INT(t.ack, 0); /* no ACK flag: ack field zero */
    TT_EQ_INT(tr_pcapw_build_tcp(out, 50, TR_PCAPW_RAW, 1, 2, &s), 0);
}

static void test_pdu_tlv_exact(void)
{
    struct tr_addr a = {.family = 4, .a = {192, 168, 1, 10}}, b = {.family = 4, .a = {192, 168, 1, 20}};
    uint8_t out[256];
    size_t n = tr_pcapw_build_pdu_hdr(out, sizeof out, "http", &a, &b, 51000, 443);
    static const uint8_t want[] = {
        0, 12, 0, 8, 'h', 't', 't', 'p', 0, 0, 0, 0,       /* proto name, NUL-padded to 8 */
        0, 20, 0, 4, 192, 168, 1, 10,                     /* IPv4 source */
        0, 21, 0, 4, 192, 168, 1, 20,                     /* IPv4 destination */
        0, 24, 0, 4, 0, 0, 0, 2,                          /* port type TCP */
        0, 25, 0, 4, 0, 0, 0xc7, 0x38,                    /* source port 51000 */
        0, 26, 0, 4, 0, 0, 0x01, 0xbb,                    /* destination port 443 */
        0, 0, 0, 0,                                       /* end */
    };
    TT_EQ_INT(n, sizeof want);
    TT_EQ_MEM(out, want, sizeof want);
    struct tr_addr a6 = {.family = 6, .a = {0xfe, 0x80, [15] = 1}}, b6 = {.family = 6, .a = {0xfe, 0x80, [15] = 2}};
    n = tr_pcapw_build_pdu_hdr(out, sizeof out, "http2", &a6, &b6, 1, 2);
    TT_EQ_INT(n, 4 + 8 + 2 * 20 + 3 * 8 + 4);
    TT_EQ_INT(be16(out + 2), 8);                  /* "http2" + NUL padded to 8 */
    TT_EQ_MEM(out + 4, "http2\0\0\0", 8);
    TT_EQ_INT(be16(out + 12), 22);
    TT_EQ_INT(be16(out + 32), 23);
    TT_EQ_INT(tr_pcapw_build_pdu_hdr(out, 20, "http", &a, &b, 1, 2), 0);
}

static void test_proto_names(void)
{
    TT_EQ_STR(tr_pcapw_proto_name("h2", 443), "http2");
    TT_EQ_STR(tr_pcapw_proto_name("http/1.1", 4433), "http");
    TT_EQ_STR(tr_pcapw_proto_name("", 993), "imap");
    TT_EQ_STR(tr_pcapw_proto_name("", 587), "smtp");
    TT_EQ_STR(tr_pcapw_proto_name("", 995), "pop");
    TT_EQ_STR(tr_pcapw_proto_name("", 636), "ldap");
    TT_EQ_STR(tr_pcapw_proto_name("", 4433), "data");
    TT_EQ_STR(tr_pcapw_proto_name("xmpp", 8443), "http");
}

static void test_portmap(void)
{
    struct tr_portmap pm;
    char err[200], s[600];
    tr_portmap_default(&pm);
    TT_EQ_INT(tr_portmap_lookup(&pm, 443), 80);
    TT_EQ_INT(tr_portmap_lookup(&pm, 5061), 5060);
    TT_EQ_INT(tr_portmap_lookup(&pm, 4433), 4433);
    TT_EQ_INT(tr_portmap_parse(&pm, "4433:8080,443=8000,993:993", err, sizeof err), 0);
    TT_EQ_INT(tr_portmap_lookup(&pm, 4433), 8080);
    TT_EQ_INT(tr_portmap_lookup(&pm, 443), 8000);
    TT_EQ_INT(tr_portmap_lookup(&pm, 993), 993);
    tr_portmap_str(&pm, s, sizeof s);
    TT_CHECK(strstr(s, "443:8000") && strstr(s, "4433:8080") && !strstr(s, "993:"));
    TT_CHECK(tr_portmap_parse(&pm, "443:0", err, sizeof err) != 0);
    TT_CHECK(tr_portmap_parse(&pm, "x", err, sizeof err) != 0);
    TT_EQ_INT(tr_portmap_parse(&pm, "none", err, sizeof err), 0);
    TT_EQ_INT(tr_portmap_lookup(&pm, 443), 443);
}

static int count_tmp(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp- >/dev/null", tmpdir);
    return system(cmd) == 0;
}

/* A decrypted IPv4 connection on 443: mapped to 80, client data cut at the
 * server's MSS, each burst acknowledged, FIN from both sides. */
static void test_tcp_decrypted_v4(void)
{
    char path[128], err[300];
    snprintf(path, sizeof path, "%s/v4.pcap", tmpdir);
    struct tr_pcapw_opts o = {.format = TR_PCAPW_TCP, .link = TR_PCAPW_ETHER};
    struct tr_pcapw *w = tr_pcapw_new(path, &o, err, sizeof err);
    TT_CHECK(w != NULL);
    if (!w)
        return;
    TT_CHECK(tr_pcapw_temp_path(w) && strstr(tr_pcapw_temp_path(w), "v4.pcap.tmp-"));
    struct tr_sink s = tr_pcapw_sink(w);
    struct tr_addr c = {.family = 4, .a = {10, 1, 1, 1}}, sv = {.family = 4, .a = {10, 2, 2, 2}};
    struct tr_ev e = evt(TR_EV_CONN_OPEN, 7, -1, &c, &sv, 50000, 443, 0);
    e.mss[0] = 100;
    e.mss[1] = 200;
    s.ev(s.ctx, &e);
    static const uint8_t hs[] = {22, 3, 1, 0, 4, 1, 0, 0, 0}; /* a cleartext record: left out */
    e = evt(TR_EV_RECORD, 7, 0, &c, &sv, 50000, 443, 10);
    e.raw = hs;
    e.rawlen = sizeof hs;
    s.ev(s.ctx, &e);
    uint8_t req[450], resp[130];
    memset(req, 'q', sizeof req);
    memset(resp, 'r', sizeof resp);
    e = evt(TR_EV_DATA, 7, 0, &c, &sv, 50000, 443, 20);
    e.decrypted = 1;
    e.data = req;
    e.len = 250;
    s.ev(s.ctx, &e);
    e.data = req + 250; /* same instant: joins the same burst */
    e.len = 200;
    s.ev(s.ctx, &e);
    e = evt(TR_EV_DATA, 7, 0, &c, &sv, 50000, 443, 25);
    e.decrypted = 1;
    e.withheld = 1; /* a withheld span: absent */
    e.len = 33;
    s.ev(s.ctx, &e);
    e = evt(TR_EV_DATA, 7, 1, &c, &sv, 50000, 443, 30);
    e.decrypted = 1;
    e.data = resp;
    e.len = sizeof resp;
    s.ev(s.ctx, &e);
    e = evt(TR_EV_CONN_CLOSE, 7, -1, &c, &sv, 50000, 443, 40);
    e.closed[0] = 1;
    e.closed[1] = 1;
    s.ev(s.ctx, &e);
    TT_EQ_INT(tr_pcapw_finish(w, err, sizeof err), 0);
    tr_pcapw_free(w);
    TT_CHECK(!count_tmp());
    struct file f;
    TT_EQ_INT(load(path, &f), 0);
    TT_EQ_INT(f.linktype, 1);
    uint32_t c2s, s2c;
    size_t maxseg;
    TT_EQ_INT(check_stream(&f, 1, 50000, &c2s, &s2c, &maxseg), 0);
    TT_EQ_INT(c2s, 450);
    TT_EQ_INT(s2c, 130);
    TT_EQ_INT(maxseg, 200);
    /* SYN, SYN/ACK, ACK; 200+200+50 + ACK; 100+30 + ACK; FIN, FIN, ACK */
    TT_EQ_INT(f.n, 3 + 4 + 3 + 3);
    struct tcpv t;
    parse_tcp(&f.pk[0], 1, &t);
    TT_EQ_INT(t.flags, TR_TH_SYN);
    TT_EQ_INT(t.dport, 80);
    TT_EQ_INT(t.mss, 100);
    parse_tcp(&f.pk[1], 1, &t);
    TT_EQ_INT(t.mss, 200);
    parse_tcp(&f.pk[3], 1, &t);
    TT_EQ_INT(t.len, 200);
    TT_CHECK(t.payload[0] == 'q');
    parse_tcp(&f.pk[5], 1, &t);
    TT_EQ_INT(t.len, 50);
    TT_CHECK(t.flags & TR_TH_PSH);
    parse_tcp(&f.pk[7], 1, &t);
    TT_EQ_INT(t.len, 100); /* the client announced 100 */
    TT_EQ_INT(t.sport, 80);
    parse_tcp(&f.pk[10], 1, &t);
    TT_EQ_INT(t.flags, TR_TH_FIN | TR_TH_ACK);
    parse_tcp(&f.pk[12], 1, &t);
    TT_EQ_INT(t.flags, TR_TH_ACK);
    /* the timestamp of the data is the event's */
    TT_EQ_INT(le32(f.pk[3].p - 12), 20);
    free(f.buf);
}

/* IPv6, raw IP, a connection that was not decrypted: its cleartext records on
 * the original port, never the protected one; RST as in the original. */
static void test_tcp_records_v6(void)
{
    char path[128], err[300];
    snprintf(path, sizeof path, "%s/v6.pcap", tmpdir);
    struct tr_pcapw_opts o = {.format = TR_PCAPW_TCP, .link = TR_PCAPW_RAW};
    struct tr_pcapw *w = tr_pcapw_new(path, &o, err, sizeof err);
    TT_CHECK(w != NULL);
    if (!w)
        return;
    struct tr_sink s = tr_pcapw_sink(w);
    struct tr_addr c = {.family = 6, .a = {0x20, 1, 0xd, 0xb8, [15] = 1}};
    struct tr_addr sv = {.family = 6, .a = {0x20, 1, 0xd, 0xb8, [15] = 2}};
    struct tr_ev e = evt(TR_EV_CONN_OPEN, 1, -1, &c, &sv, 40000, 443, 0);
    s.ev(s.ctx, &e);
    static const uint8_t ch[] = {22, 3, 1, 0, 4, 1, 0, 0, 0};
    static const uint8_t al[] = {21, 3, 3, 0, 2, 2, 48};
    e = evt(TR_EV_RECORD, 1, 0, &c, &sv, 40000, 443, 5);
    e.raw = ch;
    e.rawlen = sizeof ch;
    e.tls = 1;
    s.ev(s.ctx, &e);
    e = evt(TR_EV_RECORD, 1, 1, &c, &sv, 40000, 443, 6);
    e.encrypted = 1; /* protected, unreadable: decides "not decrypted" */
    e.len = 40;
    e.tls = 1;
    s.ev(s.ctx, &e);
    e = evt(TR_EV_RECORD, 1, 0, &c, &sv, 40000, 443, 7);
    e.raw = al;
    e.rawlen = sizeof al;
    e.tls = 1;
    s.ev(s.ctx, &e);
    e = evt(TR_EV_CONN_CLOSE, 1, -1, &c, &sv, 40000, 443, 9);
    e.closed[0] = 2;
    s.ev(s.ctx, &e);
    TT_EQ_INT(tr_pcapw_finish(w, err, sizeof err), 0);
    tr_pcapw_free(w);
    struct file f;
    TT_EQ_INT(load(path, &f), 0);
    TT_EQ_INT(f.linktype, 101);
    uint32_t c2s, s2c;
    size_t maxseg;
    TT_EQ_INT(check_stream(&f, 0, 40000, &c2s, &s2c, &maxseg), 0);
    TT_EQ_INT(c2s, sizeof ch + sizeof al);
    TT_EQ_INT(s2c, 0);
    struct tcpv t;
    int found_alert = 0;
    for (size_t i = 0; i < f.n; i++) {
        parse_tcp(&f.pk[i], 0, &t);
        TT_CHECK(t.v6);
        TT_CHECK(t.sport == 443 || t.dport == 443);
        if (t.len == sizeof al && memcmp(t.payload, al, sizeof al) == 0)
            found_alert = 1;
    }
    TT_CHECK(found_alert);
    parse_tcp(&f.pk[f.n - 1], 0, &t);
    TT_EQ_INT(t.flags, TR_TH_RST | TR_TH_ACK);
    free(f.buf);
}

/* pdu format: an HTTP request cut over two events is one record; tls
 * records are "tls" PDUs on the original port, data on the mapped one. */
static void test_pdu_sink(void)
{
    char path[128], err[300];
    snprintf(path, sizeof path, "%s/pdu.pcap", tmpdir);
    struct tr_pcapw_opts o = {.format = TR_PCAPW_PDU};
    struct tr_pcapw *w = tr_pcapw_new(path, &o, err, sizeof err);
    TT_CHECK(w != NULL);
    if (!w)
        return;
    struct tr_sink s = tr_pcapw_sink(w);
    struct tr_addr c = {.family = 4, .a = {10, 1, 1, 1}}, sv = {.family = 4, .a = {10, 2, 2, 2}};
    struct tr_ev e = evt(TR_EV_CONN_OPEN, 3, -1, &c, &sv, 50000, 443, 0);
    s.ev(s.ctx, &e);
    static const uint8_t ch[] = {22, 3, 1, 0, 4, 1, 0, 0, 0};
    e = evt(TR_EV_RECORD, 3, 0, &c, &sv, 50000, 443, 1);
    e.raw = ch;
    e.rawlen = sizeof ch;
    s.ev(s.ctx, &e);
    const char *req = "GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    e = evt(TR_EV_DATA, 3, 0, &c, &sv, 50000, 443, 2);
    e.decrypted = 1;
    e.alpn = "http/1.1";
    e.data = (const uint8_t *)req;
    e.len = 20;
    s.ev(s.ctx, &e);
    e.ts.tv_usec = 3;
    e.data = (const uint8_t *)req + 20;
    e.len = strlen(req) - 20;
    s.ev(s.ctx, &e);
    e = evt(TR_EV_CONN_CLOSE, 3, -1, &c, &sv, 50000, 443, 9);
    s.ev(s.ctx, &e);
    struct tr_pcapw_stats st;
    tr_pcapw_stats(w, &st);
    TT_EQ_INT(st.pdus, 2);
    TT_EQ_INT(tr_pcapw_finish(w, err, sizeof err), 0);
    tr_pcapw_free(w);
    struct file f;
    TT_EQ_INT(load(path, &f), 0);
    TT_EQ_INT(f.linktype, 252);
    TT_EQ_INT(f.n, 2);
    if (f.n == 2) {
        uint8_t hdr[128];
        size_t h = tr_pcapw_build_pdu_hdr(hdr, sizeof hdr, "tls", &c, &sv, 50000, 443);
        TT_EQ_INT(f.pk[0].n, h + sizeof ch);
        TT_EQ_MEM(f.pk[0].p, hdr, h);
        TT_EQ_MEM(f.pk[0].p + h, ch, sizeof ch);
        h = tr_pcapw_build_pdu_hdr(hdr, sizeof hdr, "http", &c, &sv, 50000, 80);
        TT_EQ_INT(f.pk[1].n, h + strlen(req));
        TT_EQ_MEM(f.pk[1].p, hdr, h);
        TT_EQ_MEM(f.pk[1].p + h, req, strlen(req));
    }
    free(f.buf);
}

static void test_pdu_len(void)
{
    uint64_t total;
    const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1";
    size_t first = strlen(r) - 8;
    TT_EQ_INT(tr_pcapw_pdu_len("http", 0, 0, (const uint8_t *)r, strlen(r), &total), (long)first);
    TT_EQ_INT(tr_pcapw_pdu_len("http", 0, 0, (const uint8_t *)r, first - 1, &total), 0);
    const char *b = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nxx";
    TT_EQ_INT(tr_pcapw_pdu_len("http", 0, 0, (const uint8_t *)b, strlen(b), &total), 0);
    TT_EQ_INT(total, strlen(b) - 2 + 100);
    TT_EQ_INT(tr_pcapw_pdu_len("http", 0, 0, (const uint8_t *)"xyz", 3, &total), -1);
    static const uint8_t fr[] = {0, 0, 2, 4, 0, 0, 0, 0, 0, 1, 2, 0xff};
    TT_EQ_INT(tr_pcapw_pdu_len("http2", 0, 0, fr, sizeof fr, &total), 11);
    TT_EQ_INT(tr_pcapw_pdu_len("http2", 1, 1, (const uint8_t *)"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nxyz", 27, &total), 24);
    TT_EQ_INT(tr_pcapw_pdu_len("imap", 1, 0, (const uint8_t *)"a1 OK\r\na2 NO", 12, &total), 7);
    TT_EQ_INT(tr_pcapw_pdu_len("data", 1, 0, (const uint8_t *)"abc", 3, &total), 3);
}

/* An output that cannot be created fails at once; an unfinished one leaves
 * no temporary file behind. */
static void test_files(void)
{
    char path[128], err[300];
    struct tr_pcapw_opts o = {.format = TR_PCAPW_TCP};
    snprintf(path, sizeof path, "%s/nodir/x.pcap", tmpdir);
    TT_CHECK(tr_pcapw_new(path, &o, err, sizeof err) == NULL);
    TT_CHECK(strstr(err, "x.pcap") != NULL);
    snprintf(path, sizeof path, "%s/abandoned.pcap", tmpdir);
    struct tr_pcapw *w = tr_pcapw_new(path, &o, err, sizeof err);
    TT_CHECK(w != NULL);
    TT_CHECK(count_tmp());
    tr_pcapw_free(w);
    TT_CHECK(!count_tmp());
    struct stat st;
    TT_CHECK(stat(path, &st) != 0);
    TT_EQ_INT(tr_pcapw_parse_format("pdu", &o.format), 0);
    TT_EQ_INT(o.format, TR_PCAPW_PDU);
    TT_CHECK(tr_pcapw_parse_format("pcapng", &o.format) != 0);
    TT_EQ_INT(tr_pcapw_parse_link("raw", &o.link), 0);
    TT_EQ_INT(o.link, TR_PCAPW_RAW);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tr_pcapw_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    TT_RUN(test_checksum_known);
    TT_RUN(test_build_v4_v6);
    TT_RUN(test_pdu_tlv_exact);
    TT_RUN(test_proto_names);
    TT_RUN(test_portmap);
    TT_RUN(test_tcp_decrypted_v4);
    TT_RUN(test_tcp_records_v6);
    TT_RUN(test_pdu_sink);
    TT_RUN(test_pdu_len);
    TT_RUN(test_files);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return tt_failed_total ? 1 : 0;
}
