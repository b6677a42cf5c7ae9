/* test_dsb.c - pcapng Decryption Secrets Blocks: editcap output, both byte
 * orders, several sections, gzip, truncation, non-pcapng input. */
#include "tt.h"

#include "core/err.h"
#include "tls/dsb.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#define DATA "tests/unit/data/dsb/"

static void test_editcap_file(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_dsb_stats st = {0};
    struct tr_keylog_stats kst = {0};
    TT_EQ_INT(tr_dsb_load_file(ks, DATA "secrets.pcapng", &st, &kst), 0);
    TT_EQ_INT(st.pcapng, 1);
    TT_EQ_INT(st.gzip, 0);
    TT_EQ_INT(st.sections, 1);
    TT_EQ_INT(st.dsbs, 1);
    TT_EQ_INT(st.tls_dsbs, 1);
    TT_EQ_INT(st.truncated, 0);
    TT_EQ_INT(st.malformed, 0);
    TT_CHECK(st.blocks >= 5); /* SHB, DSB, IDB, 2 EPB */
    TT_EQ_INT(kst.total, 9);
    TT_EQ_INT(kst.malformed, 0);
    TT_EQ_INT(kst.comments, 1);
    uint8_t cr[32];
    struct tr_secret s;
    memset(cr, 0x03, 32);
    TT_EQ_INT(tr_keystore_tls13_secret(ks, cr, TR_SL_SERVER_TRAFFIC_SECRET_0, &s), 0);
    TT_EQ_INT(s.len, 48);
    TT_EQ_INT(s.b[0], 0x18);
    tr_secret_wipe(&s);
    tr_keystore_free(ks);
}

static void test_not_pcapng(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_dsb_stats st = {0};
    struct tr_keylog_stats kst = {0};
    TT_EQ_INT(tr_dsb_load_file(ks, DATA "tiny.pcap", &st, &kst), 0);
    TT_EQ_INT(st.pcapng, 0);
    TT_EQ_INT(kst.total, 0);
    TT_EQ_INT(tr_dsb_load_file(ks, DATA "missing.pcapng", &st, &kst), TR_E_IO);
    TT_EQ_INT(tr_dsb_load_mem(ks, NULL, 0, &st, &kst), 0);
    tr_keystore_free(ks);
}

/* ---- hand-built pcapng images ---- */

struct img { uint8_t b[8192]; size_t n; };

static void put32(struct img *m, uint32_t v, int be)
{
    for (int i = 0; i < 4; i++)
        m->b[m->n++] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void put_bytes(struct img *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
    while (m->n % 4)
        m->b[m->n++] = 0;
}

static void shb(struct img *m, int be)
{
    put32(m, TR_PCAPNG_SHB, be);
    put32(m, 28, be);
    put32(m, 0x1A2B3C4D, be);
    m->b[m->n++] = be ? 0 : 1; m->b[m->n++] = be ? 1 : 0; /* major 1 */
    m->b[m->n++] = 0; m->b[m->n++] = 0;                     /* minor 0 */
    put32(m, 0xffffffff, be);
    put32(m, 0xffffffff, be);
    put32(m, 28, be);
}

static void block(struct img *m, uint32_t type, const void *body, size_t n, int be)
{
    size_t padded = (n + 3) & ~(size_t)3;
    put32(m, type, be);
    put32(m, (uint32_t)(padded + 12), be);
    put_bytes(m, body, n);
    put32(m, (uint32_t)(padded + 12), be);
}

static void dsb(struct img *m, uint32_t stype, const char *text, int be)
{
    size_t n = strlen(text), padded = (n + 3) & ~(size_t)3;
    put32(m, TR_PCAPNG_DSB, be);
    put32(m, (uint32_t)(padded + 20), be);
    put32(m, stype, be);
    put32(m, (uint32_t)n, be);
    put_bytes(m, text, n);
    put32(m, (uint32_t)(padded + 20), be);
}

static const char *line(char *buf, const char *label, int crbyte, int valbyte, int vlen)
{
    char *p = buf + sprintf(buf, "%s ", label);
    for (int i = 0; i < 32; i++)
        p += sprintf(p, "%02x", crbyte);
    *p++ = ' ';
    for (int i = 0; i < vlen; i++)
        p += sprintf(p, "%02X", valbyte);
    sprintf(p, "\r\n");
    return buf;
}

static void build_two_sections(struct img *m)
{
    char l1[300], l2[300], l3[300];
    char both[700];
    uint8_t epb[64] = {0};
    m->n = 0;
    /* section 1: big-endian, an EPB-like block, a WireGuard DSB, a TLS DSB */
    shb(m, 1);
    block(m, 6, epb, sizeof epb, 1);
    dsb(m, 0x57474b4c, "wireguard stuff", 1);
    snprintf(both, sizeof both, "%s%s", line(l1, "CLIENT_RANDOM", 0xa1, 0x01, 48),
             line(l2, "CLIENT_TRAFFIC_SECRET_0", 0xa2, 0x02, 32));
    both[strlen(both) - 2] = '\0'; /* no final newline */
    dsb(m, TR_DSB_TLS_KEYLOG, both, 1);
    /* section 2: little-endian */
    shb(m, 0);
    block(m, 6, epb, 20, 0);
    dsb(m, TR_DSB_TLS_KEYLOG, line(l3, "EXPORTER_SECRET", 0xa3, 0x03, 48), 0);
}

static void check_two_sections(struct tr_keystore *ks, const struct tr_dsb_stats *st,
                               const struct tr_keylog_stats *kst)
{
    uint8_t cr[32];
    struct tr_secret s;
    TT_EQ_INT(st->pcapng, 1);
    TT_EQ_INT(st->sections, 2);
    TT_EQ_INT(st->dsbs, 3);
    TT_EQ_INT(st->tls_dsbs, 2);
    TT_EQ_INT(st->other_dsbs, 1);
    TT_EQ_INT(st->truncated, 0);
    TT_EQ_INT(st->malformed, 0);
    TT_EQ_INT(kst->total, 3);
    memset(cr, 0xa1, 32);
    TT_EQ_INT(tr_keystore_master_by_random(ks, cr, &s), 0);
    TT_EQ_INT(s.b[47], 0x01);
    memset(cr, 0xa2, 32);
    TT_EQ_INT(tr_keystore_tls13_secret(ks, cr, TR_SL_CLIENT_TRAFFIC_SECRET_0, &s), 0);
    TT_EQ_INT(s.len, 32);
    memset(cr, 0xa3, 32);
    TT_EQ_INT(tr_keystore_tls13_secret(ks, cr, TR_SL_EXPORTER_SECRET, &s), 0);
    TT_EQ_INT(s.len, 48);
}

static void test_byte_orders_mem(void)
{
    static struct img m;
    build_two_sections(&m);
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_dsb_stats st = {0};
    struct tr_keylog_stats kst = {0};
    TT_EQ_INT(tr_dsb_load_mem(ks, m.b, m.n, &st, &kst), 0);
    check_two_sections(ks, &st, &kst);
    tr_keystore_free(ks);
}

static void test_plain_and_gzip_file(void)
{
    static struct img m;
    build_two_sections(&m);
    char path[] = "/tmp/tlsredact-dsbXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    if (fd < 0)
        return;
    TT_CHECK(write(fd, m.b, m.n) == (ssize_t)m.n);
    close(fd);
    for (int gz = 0; gz < 2; gz++) {
        if (gz) {
            gzFile g = gzopen(path, "wb");
            TT_CHECK(g != NULL);
            if (!g)
                break;
            TT_EQ_INT(gzwrite(g, m.b, (unsigned)m.n), (int)m.n);
            gzclose(g);
        }
        struct tr_keystore *ks = tr_keystore_new();
        struct tr_dsb_stats st = {0};
        struct tr_keylog_stats kst = {0};
        TT_EQ_INT(tr_dsb_load_file(ks, path, &st, &kst), 0);
        TT_EQ_INT(st.gzip, gz);
        check_two_sections(ks, &st, &kst);
        tr_keystore_free(ks);
    }
    unlink(path);
}

static void test_truncated_and_malformed(void)
{
    static struct img m;
    build_two_sections(&m);
    /* every truncation: never crashes, entries only from complete lines */
    for (size_t cut = 0; cut < m.n; cut++) {
        struct tr_keystore *ks = tr_keystore_new();
        struct tr_dsb_stats st = {0};
        struct tr_keylog_stats kst = {0};
        TT_EQ_INT(tr_dsb_load_mem(ks, m.b, cut, &st, &kst), 0);
        TT_CHECK(kst.total <= 3);
        TT_CHECK(cut < 12 || st.pcapng == 1);
        tr_keystore_free(ks);
    }
    /* impossible block length stops the walk */
    build_two_sections(&m);
    m.b[28 + 7] = 13; /* BE length of the block after the SHB: 13, not %4 */
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_dsb_stats st = {0};
    struct tr_keylog_stats kst = {0};
    TT_EQ_INT(tr_dsb_load_mem(ks, m.b, m.n, &st, &kst), 0);
    TT_EQ_INT(st.malformed, 1);
    TT_EQ_INT(st.bad_offset, 28);
    TT_EQ_INT(kst.total, 0);
    tr_keystore_free(ks);
}

int main(void)
{
    TT_RUN(test_editcap_file);
    TT_RUN(test_not_pcapng);
    TT_RUN(test_byte_orders_mem);
    TT_RUN(test_plain_and_gzip_file);
    TT_RUN(test_truncated_and_malformed);
    TT_DONE();
}
