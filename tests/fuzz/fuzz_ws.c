/* fuzz_ws.c - the WebSocket direction rewriter (src/proto/ws.c).
 * Input: byte 0 selects client (bit 0), permessage-deflate (bit 1), no
 * context takeover (bit 2) and a piece size (bits 3-7); the rest is the
 * direction's bytes.  Pushed whole and in pieces: outputs must be identical.
 * While the direction is not lost, the output must be a sequence of
 * well-formed frames: unmasked, RSV bits clear, control frames FIN and at
 * most 125 bytes (the last frame may be cut short by the end of input). */
#include "proto/ws.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "sink.h"

static void run(const uint8_t *data, size_t size, int mode, size_t piece, struct sink *s,
                struct tr_ws_stats *st)
{
    struct tr_wsdir *d = tr_wsdir_new(mode & 1, (mode >> 1) & 1, emit, s);
    if (!d)
        abort();
    if ((mode & 4) && tr_wsdir_set_deflate_params(d, 1, 0))
        abort();
    for (size_t i = 0; i < size; i += piece)
        if (tr_wsdir_push(d, data + i, size - i < piece ? size - i : piece))
            abort();
    if (tr_wsdir_finish(d))
        abort();
    tr_wsdir_stats(d, st);
    tr_wsdir_free(d);
}

static void check_output(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (n - i < 2)
            abort(); /* headers are written whole */
        uint8_t h0 = p[i], h1 = p[i + 1];
        if ((h0 & 0x70) || (h1 & 0x80))
            abort();
        uint64_t len = h1 & 0x7f;
        size_t hl = 2;
        if (len == 126) {
            if (n - i < 4)
                abort();
            len = ((uint64_t)p[i + 2] << 8) | p[i + 3];
            hl = 4;
        } else if (len == 127) {
            if (n - i < 10)
                abort();
            len = 0;
            for (int k = 0; k < 8; k++)
                len = (len << 8) | p[i + 2 + k];
            hl = 10;
        }
        if ((h0 & 8) && (!(h0 & 0x80) || len > 125))
            abort();
        i += hl;
        if (len > n - i)
            break; /* the input ended inside this frame */
        i += (size_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] & 7;
    size_t piece = (size_t)(data[0] >> 3) + 1;
    data++;
    size--;
    struct sink a = {0}, b = {0};
    struct tr_ws_stats sa, sb;
    run(data, size, mode, size ? size : 1, &a, &sa);
    run(data, size, mode, piece, &b, &sb);
    if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len)))
        abort();
    if (sa.bytes_in != size || sa.bytes_out != a.len)
        abort();
    if (!sa.lost)
        check_output(a.p, a.len);
    free(a.p);
    free(b.p);
    return 0;
}
