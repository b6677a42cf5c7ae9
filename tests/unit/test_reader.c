/* test_reader.c - the bounds-checked cursor. */
#include "core/buf.h"
#include "core/err.h"
#include "core/reader.h"
#include "tt.h"

static void test_ints(void)
{
    const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    struct tr_reader r = tr_rd_init(b, sizeof b);
    TT_EQ_INT(tr_rd_u8(&r), 1);
    TT_EQ_INT(tr_rd_u16(&r), 0x0203);
    TT_EQ_INT(tr_rd_u24(&r), 0x040506);
    TT_EQ_INT(tr_rd_u32(&r), 0x0708090a);
    TT_CHECK(tr_rd_done(&r));
    r = tr_rd_init(b, sizeof b);
    TT_EQ_INT(tr_rd_u16le(&r), 0x0201);
    TT_EQ_INT(tr_rd_u32le(&r), 0x06050403);
}

static void test_sticky_error(void)
{
    const uint8_t b[] = {1, 2, 3};
    struct tr_reader r = tr_rd_init(b, sizeof b);
    TT_EQ_INT(tr_rd_u32(&r), 0);
    TT_CHECK(!tr_rd_ok(&r));
    /* once failed, every read fails even if bytes would remain */
    TT_EQ_INT(tr_rd_u8(&r), 0);
    TT_EQ_INT(tr_rd_left(&r), 0);
    TT_CHECK(tr_rd_bytes(&r, 1) == NULL);
}

static void test_every_length(void)
{
    /* each read type at every short length fails cleanly */
    uint8_t b[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    for (size_t n = 0; n < 4; n++) {
        struct tr_reader r = tr_rd_init(b, n);
        (void)tr_rd_u32(&r);
        TT_CHECK(!tr_rd_ok(&r));
        r = tr_rd_init(b, n);
        (void)tr_rd_bytes(&r, n + 1);
        TT_CHECK(!tr_rd_ok(&r));
    }
    struct tr_reader r = tr_rd_init(b, 0);
    TT_CHECK(tr_rd_bytes(&r, 0) != NULL || tr_rd_ok(&r));
}

static void test_vectors(void)
{
    /* vec16 of two vec8 strings, then a trailing byte */
    const uint8_t b[] = {0x00, 0x06, 0x02, 'h', '2', 0x02, 'h', '1', 0x99};
    struct tr_reader r = tr_rd_init(b, sizeof b);
    struct tr_reader v = tr_rd_vec16(&r);
    struct tr_reader a = tr_rd_vec8(&v);
    struct tr_reader c = tr_rd_vec8(&v);
    TT_CHECK(tr_rd_done(&v));
    TT_EQ_INT(tr_rd_left(&a), 2);
    TT_EQ_MEM(a.p, "h2", 2);
    TT_EQ_MEM(c.p, "h1", 2);
    TT_EQ_INT(tr_rd_u8(&r), 0x99);
    TT_CHECK(tr_rd_done(&r));
    /* a length that overruns its parent fails the parent and the child */
    const uint8_t bad[] = {0x00, 0x09, 0x01};
    r = tr_rd_init(bad, sizeof bad);
    v = tr_rd_vec16(&r);
    TT_CHECK(!tr_rd_ok(&r));
    TT_CHECK(!tr_rd_ok(&v));
    TT_EQ_INT(tr_rd_left(&v), 0);
    const uint8_t big[] = {0xff, 0xff, 0xff};
    r = tr_rd_init(big, sizeof big);
    v = tr_rd_vec24(&r);
    TT_CHECK(!tr_rd_ok(&v));
}

static void test_finish(void)
{
    const uint8_t b[] = {1, 2};
    struct tr_reader r = tr_rd_init(b, sizeof b);
    (void)tr_rd_u8(&r);
    TT_CHECK(!tr_rd_finish(&r));
    r = tr_rd_init(b, sizeof b);
    size_t n;
    const uint8_t *p = tr_rd_rest(&r, &n);
    TT_EQ_INT(n, 2);
    TT_CHECK(p == b);
    TT_CHECK(tr_rd_finish(&r));
}

static void test_buf_ceiling(void)
{
    struct tr_buf b;
    tr_buf_init(&b, 10);
    TT_EQ_INT(tr_buf_append(&b, "0123456789", 10), 0);
    TT_EQ_INT(tr_buf_append(&b, "x", 1), TR_E_LIMIT);
    TT_EQ_INT(b.len, 10);
    tr_buf_consume(&b, 4);
    TT_EQ_INT(b.len, 6);
    TT_EQ_MEM(b.data, "456789", 6);
    TT_EQ_INT(tr_buf_append(&b, "abcd", 4), 0);
    TT_EQ_MEM(b.data, "456789abcd", 10);
    tr_buf_free(&b);
    TT_CHECK(b.data == NULL);
}

int main(void)
{
    TT_RUN(test_ints);
    TT_RUN(test_sticky_error);
    TT_RUN(test_every_length);
    TT_RUN(test_vectors);
    TT_RUN(test_finish);
    TT_RUN(test_buf_ceiling);
    TT_DONE();
}
