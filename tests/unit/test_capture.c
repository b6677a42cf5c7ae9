/* test_capture.c - capture stage over small files written by hand into /tmp:
 * pcap, pcapng, gzip, stdin (file and pipe), empty, header-only, garbage,
 * truncated (plain and gzip), BPF filter, error texts. */
#include "capture/capture.h"
#include "tt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct fb {
    uint8_t b[8192];
    size_t n;
};
static void le16(struct fb *f, unsigned v) { f->b[f->n++] = (uint8_t)v; f->b[f->n++] = (uint8_t)(v >> 8); }
static void le32(struct fb *f, uint32_t v) { le16(f, v & 0xffff); le16(f, v >> 16); }
static void mem(struct fb *f, const void *p, size_t n) { memcpy(f->b + f->n, p, n); f->n += n; }

/* Ethernet/IPv4/TCP 443 -> 51000 with 4 payload bytes; udp=1: UDP instead. */
static size_t make_pkt(uint8_t *p, int udp, uint8_t tag)
{
    static const uint8_t eth[14] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00};
    size_t l4 = udp ? 8 : 20;
    size_t tot = 20 + l4 + 4;
    memcpy(p, eth, 14);
    uint8_t ip[20] = {0x45, 0, 0, (uint8_t)tot, 0, 1, 0x40, 0, 64, udp ? 17 : 6, 0, 0,
                      10, 0, 0, 1, 10, 0, 0, 2};
    memcpy(p + 14, ip, 20);
    uint8_t *t = p + 34;
    memset(t, 0, l4);
    t[0] = 443 >> 8; t[1] = 443 & 0xff; t[2] = 51000 >> 8; t[3] = 51000 & 0xff;
    if (udp) {
        t[5] = 12;
    } else {
        t[12] = 5 << 4;
        t[13] = 0x18;
    }
    memset(t + l4, tag, 4);
    return 14 + tot;
}

static void pcap_hdr(struct fb *f, uint32_t linktype)
{
    le32(f, 0xa1b2c3d4); le16(f, 2); le16(f, 4); le32(f, 0); le32(f, 0);
    le32(f, 65535); le32(f, linktype);
}

static void pcap_rec(struct fb *f, uint32_t sec, uint32_t usec, const uint8_t *p, size_t caplen,
                     size_t len)
{
    le32(f, sec); le32(f, usec); le32(f, (uint32_t)caplen); le32(f, (uint32_t)len);
    mem(f, p, caplen);
}

/* Three packets: TCP, UDP, TCP (second one snaplen-cut to 40 of 50). */
static void sample(struct fb *f)
{
    uint8_t p[128];
    f->n = 0;
    pcap_hdr(f, 1);
    size_t n = make_pkt(p, 0, 0xa1);
    pcap_rec(f, 1000, 1, p, n, n);
    n = make_pkt(p, 1, 0xb2);
    pcap_rec(f, 1000, 2, p, 40, n);
    n = make_pkt(p, 0, 0xc3);
    pcap_rec(f, 1001, 3, p, n, n);
}

static char *tmpfile_with(const void *data, size_t n)
{
    static char names[16][64];
    static int k;
    char *name = names[k++ % 16];
    snprintf(name, 64, "/tmp/tr_capXXXXXX");
    int fd = mkstemp(name);
    if (fd < 0)
        return NULL;
    if (n && write(fd, data, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return name;
}

static char *gz_tmpfile(const void *data, size_t n)
{
    char *name = tmpfile_with("", 0);
    gzFile g = gzopen(name, "wb");
    gzwrite(g, data, (unsigned)n);
    gzclose(g);
    return name;
}

static size_t file_bytes(const char *name, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(name, "rb");
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* Reads every packet; checks them against sample(); returns count or -1. */
static int read_sample(struct tr_capture *c, char *err, size_t errlen)
{
    struct tr_packet pk;
    int n = 0, rc;
    while ((rc = tr_capture_next(c, &pk, err, errlen)) == 1) {
        n++;
        TT_EQ_INT(pk.frame, n);
        if (n == 1) {
            TT_EQ_INT(pk.caplen, 58);
            TT_EQ_INT(pk.len, 58);
            TT_EQ_INT(pk.ts.tv_sec, 1000);
            TT_EQ_INT(pk.ts.tv_usec, 1);
            TT_EQ_INT(pk.data[54], 0xa1);
        } else if (n == 2) {
            TT_EQ_INT(pk.caplen, 40);
            TT_EQ_INT(pk.len, 46);
        } else if (n == 3) {
            TT_EQ_INT(pk.data[57], 0xc3);
            TT_EQ_INT(pk.ts.tv_sec, 1001);
        }
    }
    return rc < 0 ? -1 : n;
}

static void test_plain_pcap(void)
{
    static struct fb f;
    char err[256] = "";
    sample(&f);
    char *name = tmpfile_with(f.b, f.n);
    struct tr_capture *c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c != NULL);
    if (!c)
        return;
    TT_EQ_INT(tr_capture_linktype(c), 1);
    TT_EQ_INT(tr_capture_snaplen(c), 65535);
    uint64_t done, total;
    tr_capture_progress(c, &done, &total);
    TT_EQ_INT(total, f.n);
    TT_CHECK(done <= total);
    TT_EQ_INT(read_sample(c, err, sizeof err), 3);
    tr_capture_progress(c, &done, &total);
    TT_EQ_INT(done, f.n);
    uint64_t r, d;
    TT_EQ_INT(tr_capture_stats(c, &r, &d), -1); /* files have no kernel stats */
    tr_capture_close(c);
    unlink(name);
}

static void test_gzip(void)
{
    static struct fb f;
    static uint8_t gzb[8192];
    char err[256] = "";
    sample(&f);
    char *name = gz_tmpfile(f.b, f.n);
    size_t gzn = file_bytes(name, gzb, sizeof gzb);
    TT_CHECK(gzb[0] == 0x1f && gzb[1] == 0x8b);
    struct tr_capture *c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c != NULL);
    if (!c)
        return;
    TT_EQ_INT(read_sample(c, err, sizeof err), 3);
    uint64_t done, total;
    tr_capture_progress(c, &done, &total);
    TT_EQ_INT(total, gzn);
    TT_EQ_INT(done, gzn);
    tr_capture_close(c);

    /* gzip cut in the middle: packets before, then a truncation error */
    char *cut = tmpfile_with(gzb, gzn - 12); /* drop the trailer and some data */
    c = tr_capture_open_file(cut, err, sizeof err);
    TT_CHECK(c != NULL);
    if (c) {
        struct tr_packet pk;
        int rc, n = 0;
        while ((rc = tr_capture_next(c, &pk, err, sizeof err)) == 1)
            n++;
        TT_EQ_INT(rc, -1);
        TT_CHECK(strstr(err, "truncated capture file") != NULL);
        TT_CHECK(strncmp(err, cut, strlen(cut)) == 0);
        tr_capture_close(c);
    }
    /* gzip with corrupt deflate data */
    memcpy(gzb + 12, "\xff\xff\xff\xff\xff\xff", 6);
    char *bad = tmpfile_with(gzb, gzn);
    c = tr_capture_open_file(bad, err, sizeof err);
    if (c) {
        struct tr_packet pk;
        int rc;
        while ((rc = tr_capture_next(c, &pk, err, sizeof err)) == 1)
            ;
        TT_EQ_INT(rc, -1);
        tr_capture_close(c);
    }
    TT_CHECK(strstr(err, "corrupt gzip data") != NULL || strstr(err, "truncated") != NULL ||
             strstr(err, "bad magic") != NULL);
    unlink(name);
    unlink(cut);
    unlink(bad);
}

/* Runs "-" with fd 0 replaced by `fd`. */
static int read_stdin_from(int fd, char *err, size_t errlen)
{
    int saved = dup(0);
    dup2(fd, 0);
    close(fd);
    struct tr_capture *c = tr_capture_open_file("-", err, errlen);
    dup2(saved, 0);
    close(saved);
    if (!c)
        return -2;
    int n = read_sample(c, err, errlen);
    tr_capture_close(c);
    return n;
}

static int pipe_with(const void *data, size_t n)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    if (write(p[1], data, n) != (ssize_t)n)
        return -1;
    close(p[1]);
    return p[0];
}

static void test_stdin(void)
{
    static struct fb f;
    static uint8_t gzb[8192];
    char err[256] = "";
    sample(&f);
    char *name = tmpfile_with(f.b, f.n);
    char *gzname = gz_tmpfile(f.b, f.n);
    size_t gzn = file_bytes(gzname, gzb, sizeof gzb);
    /* regular files on stdin, plain and gzip */
    FILE *fp = fopen(name, "rb");
    TT_EQ_INT(read_stdin_from(dup(fileno(fp)), err, sizeof err), 3);
    fclose(fp);
    fp = fopen(gzname, "rb");
    TT_EQ_INT(read_stdin_from(dup(fileno(fp)), err, sizeof err), 3);
    fclose(fp);
    /* pipes, plain and gzip */
    TT_EQ_INT(read_stdin_from(pipe_with(f.b, f.n), err, sizeof err), 3);
    TT_EQ_INT(read_stdin_from(pipe_with(gzb, gzn), err, sizeof err), 3);
    /* garbage on a pipe */
    TT_EQ_INT(read_stdin_from(pipe_with("garbage garbage garbage garbage", 31), err, sizeof err),
              -2);
    TT_EQ_STR(err, "stdin: not a pcap or pcapng file (bad magic)");
    unlink(name);
    unlink(gzname);
}

static void test_bad_files(void)
{
    char err[256] = "", want[512];
    struct tr_capture *c;
    /* empty */
    char *name = tmpfile_with("", 0);
    c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c == NULL);
    snprintf(want, sizeof want, "%s: empty or truncated capture file (no complete file header)",
             name);
    TT_EQ_STR(err, want);
    unlink(name);
    /* garbage */
    static const char junk[] = "this is not a capture file at all, just text\n";
    name = tmpfile_with(junk, sizeof junk - 1);
    c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c == NULL);
    snprintf(want, sizeof want, "%s: not a pcap or pcapng file (bad magic)", name);
    TT_EQ_STR(err, want);
    TT_CHECK(strchr(err, '\n') == NULL);
    unlink(name);
    /* missing file, directory */
    c = tr_capture_open_file("/nonexistent/x.pcap", err, sizeof err);
    TT_CHECK(c == NULL);
    TT_EQ_STR(err, "/nonexistent/x.pcap: cannot open: No such file or directory");
    c = tr_capture_open_file("/tmp", err, sizeof err);
    TT_CHECK(c == NULL);
    TT_EQ_STR(err, "/tmp: is a directory, not a capture file");
    /* header only: zero packets, no error */
    static struct fb f;
    f.n = 0;
    pcap_hdr(&f, 113);
    name = tmpfile_with(f.b, f.n);
    c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c != NULL);
    if (c) {
        struct tr_packet pk;
        TT_EQ_INT(tr_capture_linktype(c), 113);
        TT_EQ_INT(tr_capture_next(c, &pk, err, sizeof err), 0);
        tr_capture_close(c);
    }
    unlink(name);
    /* header cut short */
    name = tmpfile_with(f.b, 10);
    c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c == NULL);
    TT_CHECK(strstr(err, "truncated") != NULL);
    unlink(name);
}

static void test_truncated_file(void)
{
    static struct fb f;
    char err[256] = "", want[512];
    sample(&f);
    /* cut in the data of packet 3, then in its record header */
    size_t cuts[] = {f.n - 5, f.n - 58 - 10};
    for (int i = 0; i < 2; i++) {
        char *name = tmpfile_with(f.b, cuts[i]);
        struct tr_capture *c = tr_capture_open_file(name, err, sizeof err);
        TT_CHECK(c != NULL);
        if (!c)
            continue;
        TT_EQ_INT(read_sample(c, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s: truncated capture file (packet 3 cut short)", name);
        TT_EQ_STR(err, want);
        tr_capture_close(c);
        unlink(name);
    }
}

static void pad4(struct fb *f)
{
    while (f->n % 4)
        f->b[f->n++] = 0;
}

static void test_pcapng(void)
{
    static struct fb f;
    uint8_t p[128];
    char err[256] = "";
    f.n = 0;
    /* Section Header Block */
    le32(&f, 0x0a0d0d0a); le32(&f, 28); le32(&f, 0x1a2b3c4d); le16(&f, 1); le16(&f, 0);
    le32(&f, 0xffffffff); le32(&f, 0xffffffff); le32(&f, 28);
    /* Interface Description Block: Linux SLL2 */
    le32(&f, 1); le32(&f, 20); le16(&f, 276); le16(&f, 0); le32(&f, 0); le32(&f, 20);
    /* Enhanced Packet Block */
    size_t n = make_pkt(p, 0, 0x5a);
    size_t blen = 32 + ((n + 3) & ~(size_t)3);
    uint64_t ts = 1700000000ull * 1000000ull + 42;
    le32(&f, 6); le32(&f, (uint32_t)blen); le32(&f, 0);
    le32(&f, (uint32_t)(ts >> 32)); le32(&f, (uint32_t)ts);
    le32(&f, (uint32_t)n); le32(&f, (uint32_t)n);
    mem(&f, p, n);
    pad4(&f);
    le32(&f, (uint32_t)blen);
    char *name = tmpfile_with(f.b, f.n);
    struct tr_capture *c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c != NULL);
    if (c) {
        struct tr_packet pk;
        TT_EQ_INT(tr_capture_linktype(c), 276);
        TT_EQ_INT(tr_capture_next(c, &pk, err, sizeof err), 1);
        TT_EQ_INT(pk.caplen, n);
        TT_EQ_INT(pk.ts.tv_sec, 1700000000);
        TT_EQ_INT(pk.ts.tv_usec, 42);
        TT_EQ_INT(pk.data[n - 1], 0x5a);
        TT_EQ_INT(tr_capture_next(c, &pk, err, sizeof err), 0);
        tr_capture_close(c);
    }
    unlink(name);
}

static void test_filter(void)
{
    static struct fb f;
    char err[256] = "";
    sample(&f);
    char *name = tmpfile_with(f.b, f.n);
    struct tr_capture *c = tr_capture_open_file(name, err, sizeof err);
    TT_CHECK(c != NULL);
    if (!c)
        return;
    TT_EQ_INT(tr_capture_set_filter(c, "tcp port nonsense((", err, sizeof err), -1);
    TT_CHECK(strncmp(err, "bad capture filter 'tcp port nonsense(('", 39) == 0);
    TT_CHECK(strchr(err, '\n') == NULL);
    TT_EQ_INT(tr_capture_set_filter(c, "udp", err, sizeof err), 0);
    struct tr_packet pk;
    int n = 0;
    while (tr_capture_next(c, &pk, err, sizeof err) == 1) {
        n++;
        TT_EQ_INT(pk.len, 46);
        TT_EQ_INT(pk.frame, 2); /* numbered as in the file */
    }
    TT_EQ_INT(n, 1);
    tr_capture_close(c);
    unlink(name);
}

static void test_live_errors(void)
{
    char err[256] = "";
    struct tr_capture *c = tr_capture_open_live("tr-no-such-if0", err, sizeof err);
    TT_CHECK(c == NULL);
    TT_CHECK(strncmp(err, "tr-no-such-if0: ", 16) == 0);
    TT_CHECK(strchr(err, '\n') == NULL);
    if (c)
        tr_capture_close(c);
    tr_capture_close(NULL);
}

int main(void)
{
    TT_RUN(test_plain_pcap);
    TT_RUN(test_gzip);
    TT_RUN(test_stdin);
    TT_RUN(test_bad_files);
    TT_RUN(test_truncated_file);
    TT_RUN(test_pcapng);
    TT_RUN(test_filter);
    TT_RUN(test_live_errors);
    TT_DONE();
}
