/* test_h2mask.c - HTTP/2 header blocks are masked with valid HPACK, DATA is
 * untouched, framing survives any split, gaps fail closed. */
#include "proto/h2mask.h"
#include "tt.h"

#include <stdlib.h>

/* Minimal HPACK walker: returns 1 when p[0..n) is a sequence of complete
 * indexed (static table) or literal-without-indexing representations. */
static int hpack_int(const uint8_t *p, size_t n, size_t *i, int prefix, size_t *v)
{
    if (*i >= n)
        return 0;
    size_t max = (1u << prefix) - 1;
    *v = p[(*i)++] & max;
    if (*v < max)
        return 1;
    int shift = 0;
    for (;;) {
        if (*i >= n || shift > 28)
            return 0;
        uint8_t b = p[(*i)++];
        *v += (size_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            return 1;
    }
}

static int valid_hpack(const uint8_t *p, size_t n)
{
    size_t i = 0, v;
    while (i < n) {
        if (p[i] & 0x80) {
            if (!hpack_int(p, n, &i, 7, &v) || v == 0 || v > 61)
                return 0;
        } else if (p[i] == 0x00) {
            i++;
            if (!hpack_int(p, n, &i, 7, &v) || v > n - i)
                return 0;
            i += v;
            if (!hpack_int(p, n, &i, 7, &v) || v > n - i)
                return 0;
            i += v;
        } else {
            return 0;
        }
    }
    return 1;
}

static void test_filler_is_valid_hpack(void)
{
    uint8_t buf[70000];
    size_t lens[] = {1, 2, 3, 10, 22, 23, 24, 25, 150, 151, 152, 153, 200, 1000, 16383, 16384, 69999};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        for (size_t i = 0; i < n; i++)
            buf[i] = tr_h2mask_filler(n, i);
        TT_CHECK(valid_hpack(buf, n));
    }
    for (size_t n = 1; n < 400; n++) {
        for (size_t i = 0; i < n; i++)
            buf[i] = tr_h2mask_filler(n, i);
        TT_CHECK(valid_hpack(buf, n));
    }
}

/* client preface + SETTINGS + HEADERS(padded, priority) + CONTINUATION + DATA */
static size_t build(uint8_t *b)
{
    size_t n = 0;
    memcpy(b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    n = 24;
    static const uint8_t settings[] = {0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100};
    memcpy(b + n, settings, sizeof settings);
    n += sizeof settings;
    /* HEADERS: len = 1 pad len + 5 prio + 20 block + 3 pad, flags PADDED|PRIORITY */
    uint8_t h[9] = {0, 0, 29, 1, 0x08 | 0x20, 0, 0, 0, 1};
    memcpy(b + n, h, 9);
    n += 9;
    b[n++] = 3;
    memcpy(b + n, "\x80\x00\x00\x00\x10", 5);
    n += 5;
    memcpy(b + n, "authorization:secret", 20);
    n += 20;
    memset(b + n, 0, 3);
    n += 3;
    uint8_t c[9] = {0, 0, 12, 9, 0x4, 0, 0, 0, 1};
    memcpy(b + n, c, 9);
    n += 9;
    memcpy(b + n, "cookie:sid=1", 12);
    n += 12;
    uint8_t d[9] = {0, 0, 11, 0, 0x1, 0, 0, 0, 1};
    memcpy(b + n, d, 9);
    n += 9;
    memcpy(b + n, "password=hi", 11);
    n += 11;
    return n;
}

static void test_frames(void)
{
    uint8_t in[256], whole[256], part[256];
    size_t n = build(in);
    memcpy(whole, in, n);
    struct tr_h2mask m;
    tr_h2mask_init(&m, 1);
    tr_h2mask_apply(&m, whole, n);
    TT_CHECK(memmem(whole, n, "secret", 6) == NULL);
    TT_CHECK(memmem(whole, n, "sid=1", 5) == NULL);
    TT_CHECK(memmem(whole, n, "password=hi", 11) != NULL); /* DATA untouched */
    TT_CHECK(memcmp(whole, in, 24 + 15) == 0);              /* preface, SETTINGS untouched */
    TT_EQ_INT(m.masked, 20 + 12);
    TT_CHECK(valid_hpack(whole + 24 + 15 + 9 + 6, 20));
    /* the same output whatever the split */
    for (size_t cut = 0; cut <= n; cut++) {
        memcpy(part, in, n);
        tr_h2mask_init(&m, 1);
        tr_h2mask_apply(&m, part, cut);
        tr_h2mask_apply(&m, part + cut, n - cut);
        TT_CHECK(memcmp(part, whole, n) == 0);
    }
    memcpy(part, in, n);
    tr_h2mask_init(&m, 1);
    for (size_t i = 0; i < n; i++)
        tr_h2mask_apply(&m, part + i, 1);
    TT_CHECK(memcmp(part, whole, n) == 0);
}

static void test_gap_fails_closed(void)
{
    uint8_t in[256];
    size_t n = build(in);
    struct tr_h2mask m;
    tr_h2mask_init(&m, 1);
    tr_h2mask_apply(&m, in, 30);
    tr_h2mask_gap(&m);
    tr_h2mask_apply(&m, in + 30, n - 30);
    for (size_t i = 30; i < n; i++)
        TT_CHECK(in[i] == '*');
}

static void test_bad_padding_fails_closed(void)
{
    /* pad length larger than the frame */
    uint8_t f[] = {0, 0, 4, 1, 0x08, 0, 0, 0, 1, 200, 'a', 'b', 'c', 0, 0, 3, 0, 0, 0, 0, 0, 1, 'x', 'y', 'z'};
    struct tr_h2mask m;
    tr_h2mask_init(&m, 0);
    tr_h2mask_apply(&m, f, sizeof f);
    TT_CHECK(memchr(f + 10, 'x', sizeof f - 10) == NULL);
}

int main(void)
{
    TT_RUN(test_filler_is_valid_hpack);
    TT_RUN(test_frames);
    TT_RUN(test_gap_fails_closed);
    TT_RUN(test_bad_padding_fails_closed);
    TT_DONE();
}
