/* test_leakcheck.c - the output leak self-check finds secrets raw and as
 * key-log hex, across read chunks, and nothing in clean data. */
#include "out/leakcheck.h"
#include "tt.h"

#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

static const uint8_t secret[48] = {
    0x9b, 0xbe, 0x43, 0x6b, 0xa9, 0x40, 0xf0, 0x17, 0xb1, 0x76, 0x52, 0x84, 0x9a, 0x71, 0xdb, 0x35,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};

static struct tr_leakcheck *make(void)
{
    struct tr_leakcheck *lc = tr_leakcheck_new(NULL);
    if (lc)
        tr_leakcheck_add(lc, secret, sizeof secret);
    return lc;
}

static void test_mem(void)
{
    struct tr_leakcheck *lc = make();
    TT_CHECK(lc != NULL);
    TT_EQ_INT(tr_leakcheck_patterns(lc), 3);
    uint8_t buf[200];
    memset(buf, 'x', sizeof buf);
    TT_CHECK(!tr_leakcheck_mem(lc, buf, sizeof buf));
    memcpy(buf + 77, secret + 0, 16);
    TT_CHECK(tr_leakcheck_mem(lc, buf, sizeof buf));
    memset(buf, 'x', sizeof buf);
    memcpy(buf + 3, "CLIENT_RANDOM 00 9bbe436ba940f017b17652849a71db35", 50);
    TT_CHECK(tr_leakcheck_mem(lc, buf, sizeof buf));
    memset(buf, 'x', sizeof buf);
    memcpy(buf + 184, "9BBE436BA940F017", 16); /* at the very end */
    TT_CHECK(tr_leakcheck_mem(lc, buf, sizeof buf));
    /* 15 of 16 bytes is not a hit */
    memset(buf, 'x', sizeof buf);
    memcpy(buf + 10, secret, 15);
    TT_CHECK(!tr_leakcheck_mem(lc, buf, sizeof buf));
    tr_leakcheck_free(lc);
}

static void test_file_across_chunks(void)
{
    struct tr_leakcheck *lc = make();
    char path[] = "/tmp/tr_leakXXXXXX";
    int fd = mkstemp(path);
    TT_CHECK(fd >= 0);
    size_t n = (1u << 20) + 4096;
    uint8_t *big = malloc(n);
    memset(big, 0x41, n);
    /* straddles the 1 MiB read boundary */
    memcpy(big + (1u << 20) - 7, secret, 16);
    TT_CHECK(write(fd, big, n) == (ssize_t)n);
    close(fd);
    uint64_t at = 0;
    TT_EQ_INT(tr_leakcheck_file(lc, path, &at), 1);
    TT_EQ_INT(at, (1u << 20) - 7);
    memset(big, 0x41, n);
    fd = open(path, O_WRONLY | O_TRUNC);
    TT_CHECK(write(fd, big, n) == (ssize_t)n);
    close(fd);
    TT_EQ_INT(tr_leakcheck_file(lc, path, &at), 0);
    TT_EQ_INT(tr_leakcheck_file(lc, "/nonexistent/file", &at), -1);
    unlink(path);
    free(big);
    tr_leakcheck_free(lc);
}

static void test_redacted_values(void)
{
    struct tr_leakcheck *lc = tr_leakcheck_new(NULL);
    TT_EQ_INT(tr_leakcheck_add_value(lc, (const uint8_t *)"password123", 11), 0);
    TT_EQ_INT(tr_leakcheck_add_value(lc, (const uint8_t *)"hunter2", 7), 0);      /* too short: not kept */
    TT_EQ_INT(tr_leakcheck_add_value(lc, (const uint8_t *)"**********", 10), 0);  /* a mask: not kept */
    TT_EQ_INT(tr_leakcheck_patterns(lc), 1);
    static const char field[] = "user=alice&password=***********&x=password";
    TT_CHECK(!tr_leakcheck_mem(lc, (const uint8_t *)field, strlen(field))); /* the name, not the value */
    static const char leak[] = "echo: your password123 was accepted";
    TT_CHECK(tr_leakcheck_mem(lc, (const uint8_t *)leak, strlen(leak)));
    static const char cut[] = "...password12";
    TT_CHECK(!tr_leakcheck_mem(lc, (const uint8_t *)cut, strlen(cut)));
    static const char mask[] = "a **************** b";
    TT_CHECK(!tr_leakcheck_mem(lc, (const uint8_t *)mask, strlen(mask)));
    tr_leakcheck_free(lc);
}

int main(void)
{
    TT_RUN(test_redacted_values);
    TT_RUN(test_mem);
    TT_RUN(test_file_across_chunks);
    TT_DONE();
}
