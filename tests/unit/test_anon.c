/* test_anon.c - Crypto-PAn: the reference implementation's published sample
 * (key and address pairs from the Crypto-PAn distribution's sample trace),
 * prefix preservation, IPv6. */
#include "out/anon.h"
#include "tt.h"

#include <arpa/inet.h>

static const uint8_t key[32] = {21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
                                216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2};

static void v4(struct tr_anon *a, const char *in, char *out, size_t n)
{
    struct tr_addr x, y;
    memset(&x, 0, sizeof x);
    x.family = 4;
    inet_pton(AF_INET, in, x.a);
    tr_anon_addr(a, &x, &y);
    inet_ntop(AF_INET, y.a, out, (socklen_t)n);
}

static void test_reference_sample(void)
{
    struct tr_anon *a = tr_anon_new(key);
    char out[64];
    static const char *const pairs[][2] = {
        {"128.11.68.132", "135.242.180.132"},
        {"129.118.74.4", "134.136.186.123"},
        {"130.132.252.244", "133.68.164.234"},
        {"141.223.7.43", "141.167.8.160"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        v4(a, pairs[i][0], out, sizeof out);
        if (strcmp(out, pairs[i][1]) != 0)
            printf("  %s -> %s (want %s)\n", pairs[i][0], out, pairs[i][1]);
        TT_EQ_STR(out, pairs[i][1]);
    }
    tr_anon_free(a);
}

static int common_prefix(const uint8_t *x, const uint8_t *y, unsigned bits)
{
    unsigned k = 0;
    while (k < bits && ((x[k / 8] >> (7 - k % 8)) & 1) == ((y[k / 8] >> (7 - k % 8)) & 1))
        k++;
    return (int)k;
}

static void test_prefix_preserving(void)
{
    struct tr_anon *a = tr_anon_new(key);
    const char *addrs[] = {"10.1.2.3", "10.1.2.200", "10.1.9.3", "10.200.2.3", "192.168.0.1", "::1",
                           "2001:db8::1", "2001:db8::2", "2001:db8:1::1"};
    struct tr_addr in[9], out[9];
    for (int i = 0; i < 9; i++) {
        memset(&in[i], 0, sizeof in[i]);
        in[i].family = strchr(addrs[i], ':') ? 6 : 4;
        inet_pton(in[i].family == 6 ? AF_INET6 : AF_INET, addrs[i], in[i].a);
        tr_anon_addr(a, &in[i], &out[i]);
        TT_EQ_INT(out[i].family, in[i].family);
        TT_CHECK(memcmp(out[i].a, in[i].a, 16) != 0);
    }
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++) {
            if (in[i].family != in[j].family)
                continue;
            unsigned bits = in[i].family == 6 ? 128 : 32;
            TT_EQ_INT(common_prefix(in[i].a, in[j].a, bits), common_prefix(out[i].a, out[j].a, bits));
        }
    /* deterministic, cached or not */
    struct tr_addr again;
    tr_anon_addr(a, &in[0], &again);
    TT_EQ_MEM(again.a, out[0].a, 16);
    tr_anon_free(a);
}

int main(void)
{
    TT_RUN(test_reference_sample);
    TT_RUN(test_prefix_preserving);
    TT_DONE();
}
