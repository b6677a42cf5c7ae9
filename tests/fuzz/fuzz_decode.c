/* fuzz_decode.c - libFuzzer target for the decode stage.
 *
 * Input: byte 0 picks the link type; then packets, each
 *   u16 caplen (big-endian), u8 extra (len = caplen + extra * 16),
 *   u8 time step (seconds, so fragment timeouts happen), caplen bytes.
 * Several packets per input let fragment reassembly be explored.  Checks the
 * accounting invariant after every packet and after the final flush, and reads
 * every delivered payload byte (so ASan sees any bad view). */
#include "decode/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const int linktypes[] = {1, 113, 276, 101, 12, 14, 228, 229, 0, 108, 147};

struct sink {
    uint64_t sum;
};

static void on_tcp(void *ctx, const struct tr_seg *s)
{
    struct sink *k = ctx;
    for (size_t i = 0; i < s->len; i++)
        k->sum += s->payload[i];
    if (s->len + s->missing > 65535 + 262144)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct sink k = {0};
    struct tr_decoder *d = tr_decode_new(on_tcp, &k);
    if (!d)
        return 0;
    int lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    size_t pos = 1;
    uint64_t frame = 0;
    struct timeval ts = {1000, 0};
    while (size - pos >= 4) {
        size_t caplen = ((size_t)data[pos] << 8) | data[pos + 1];
        size_t len = caplen + (size_t)data[pos + 2] * 16;
        ts.tv_sec += data[pos + 3];
        pos += 4;
        if (caplen > size - pos)
            caplen = size - pos;
        /* exact-size copy: an over-read is caught by ASan */
        uint8_t *pkt = malloc(caplen ? caplen : 1);
        if (!pkt)
            break;
        memcpy(pkt, data + pos, caplen);
        tr_decode_packet(d, lt, pkt, caplen, len, ts, ++frame);
        free(pkt);
        pos += caplen;
        const struct tr_decode_stats *s = tr_decode_stats(d);
        if (tr_decode_accounted(s) != s->packets)
            abort();
    }
    tr_decode_flush(d);
    const struct tr_decode_stats *s = tr_decode_stats(d);
    if (tr_decode_accounted(s) != s->packets || s->frag_pending != 0)
        abort();
    tr_decode_free(d);
    return 0;
}
