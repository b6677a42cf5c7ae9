/* fuzz_h2.c - the HTTP/2 direction rewriter over the default rule packs.
 * Input: byte 0 selects the direction (bit 0: client, with preface) and a
 * piece size; the rest is the direction's cleartext.  It is pushed whole
 * and in pieces: the outputs must be identical.  While framing was not lost,
 * the output must be a frame sequence whose every header block decodes with
 * a fresh HPACK decoder (no dynamic-table state needed). */
#include "proto/h2.h"
#include "redact/redact.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "sink.h"

static struct tr_ruleset *RS;

static void run(const uint8_t *data, size_t size, int client, size_t piece, struct sink *s,
                struct tr_h2_stats *st)
{
    static const uint8_t key[32] = {1};
    struct tr_redact_opts o = {.mask_char = 0, .token_key = key};
    struct tr_h2dir *d = tr_h2dir_new(client, RS, &o, emit, s);
    if (!d)
        abort();
    for (size_t i = 0; i < size; i += piece)
        if (tr_h2dir_push(d, data + i, size - i < piece ? size - i : piece))
            abort();
    if (tr_h2dir_finish(d))
        abort();
    tr_h2dir_stats(d, st);
    tr_h2dir_free(d);
}

/* Every complete header block of the output decodes; the only incomplete
 * thing allowed is the last frame when it is not a header frame. */
static void check_output(const uint8_t *p, size_t n, int client)
{
    nghttp2_hd_inflater *inf;
    if (nghttp2_hd_inflate_new(&inf))
        abort();
    size_t i = 0;
    if (client) {
        i = n < 24 ? n : 24;
    }
    uint8_t *blk = NULL;
    size_t blen = 0;
    int open = 0;
    while (i < n) {
        if (n - i < 9)
            abort(); /* frame headers are written whole */
        const uint8_t *h = p + i;
        size_t len = ((size_t)h[0] << 16) | ((size_t)h[1] << 8) | h[2];
        uint8_t type = h[3], fl = h[4];
        i += 9;
        int hdr = type == 1 || type == 5 || type == 9;
        if (len > n - i) {
            if (hdr || open)
                abort();
            break;
        }
        const uint8_t *pl = p + i;
        i += len;
        if (open && type != 9)
            abort();
        if (!hdr)
            continue;
        if (type == 9 && !open)
            abort();
        if (len > 16384 || (type != 9 && (fl & 0x8)))
            abort(); /* we write no padding and small frames */
        size_t skip = type == 1 && (fl & 0x20) ? 5 : type == 5 ? 4 : 0;
        if (skip > len)
            abort();
        blk = realloc(blk, blen + len - skip + 1);
        if (!blk)
            abort();
        memcpy(blk + blen, pl + skip, len - skip);
        blen += len - skip;
        open = 1;
        if (fl & 4) {
            const uint8_t *q = blk;
            size_t left = blen;
            for (;;) {
                nghttp2_nv nv;
                int f = 0;
                ssize_t rv = nghttp2_hd_inflate_hd2(inf, &nv, &f, q, left, 1);
                if (rv < 0)
                    abort();
                q += rv;
                left -= (size_t)rv;
                if (f & NGHTTP2_HD_INFLATE_FINAL) {
                    nghttp2_hd_inflate_end_headers(inf);
                    break;
                }
                if (!(f & NGHTTP2_HD_INFLATE_EMIT) && left == 0)
                    abort();
            }
            open = 0;
            blen = 0;
        }
    }
    if (open)
        abort();
    free(blk);
    nghttp2_hd_inflate_del(inf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!RS) {
        const char *root = getenv("TR_ROOT");
        char path[512];
        snprintf(path, sizeof path, "%s/rules", root ? root : ".");
        const char *p = path;
        char err[512];
        if (tr_rules_load(&RS, &p, 1, err, sizeof err))
            abort();
    }
    if (size < 1)
        return 0;
    int client = data[0] & 1;
    size_t piece = (size_t)(data[0] >> 1) % 64 + 1;
    data++;
    size--;
    struct sink a = {0}, b = {0};
    struct tr_h2_stats sa, sb;
    run(data, size, client, size ? size : 1, &a, &sa);
    run(data, size, client, piece, &b, &sb);
    if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len)))
        abort();
    if (sa.bytes_in != size || sa.bytes_out != a.len)
        abort();
    if (!sa.lost)
        check_output(a.p, a.len, client);
    free(a.p);
    free(b.p);
    return 0;
}
