/* fuzz_h2.c - the HTTP/2 direction rewriter over the default rule packs.
 * Input: byte 0 selects the direction (bit 0: client, with preface) and a
 * piece size; the rest is the direction's cleartext.  It is pushed whole
 * and in pieces: the outputs must say the same - every frame but DATA
 * identical and in the same order, and each stream's DATA payload and
 * END_STREAM count identical (where DATA frames are cut follows what the
 * body redactor had released, which may depend on the pieces).  While framing was not lost,
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

/* Canonical form of an output: frames other than DATA in order, then per
 * stream its DATA payload and END_STREAM count, then unframed tail bytes. */
static void canon(const uint8_t *p, size_t n, int client, struct sink *c)
{
    enum { MAXS = 512 };
    struct sink data[MAXS];
    uint32_t sids[MAXS];
    unsigned es[MAXS];
    size_t ns = 0;
    memset(data, 0, sizeof data);
    size_t i = client ? (n < 24 ? n : 24) : 0;
    emit(c, p, i);
    while (i + 9 <= n) {
        const uint8_t *h = p + i;
        size_t len = ((size_t)h[0] << 16) | ((size_t)h[1] << 8) | h[2];
        if (len > n - i - 9)
            break;
        uint32_t sid = ((uint32_t)h[5] << 24) | ((uint32_t)h[6] << 16) | ((uint32_t)h[7] << 8) | h[8];
        if (h[3] != 0) {
            emit(c, h, 9 + len);
        } else {
            size_t k = 0;
            while (k < ns && sids[k] != sid)
                k++;
            if (k == ns) {
                if (ns == MAXS)
                    abort();
                sids[ns] = sid;
                es[ns++] = 0;
            }
            if (h[4] & 8) /* we write DATA without padding */
                abort();
            emit(&data[k], h + 9, len);
            es[k] += h[4] & 1;
        }
        i += 9 + len;
    }
    /* streams in id order */
    for (size_t a = 0; a < ns; a++) {
        size_t m = a;
        for (size_t b = a + 1; b < ns; b++)
            if (sids[b] < sids[m])
                m = b;
        uint8_t hd[12];
        memcpy(hd, &sids[m], 4);
        memcpy(hd + 4, &es[m], 4);
        uint32_t dl = (uint32_t)data[m].len;
        memcpy(hd + 8, &dl, 4);
        emit(c, hd, sizeof hd);
        if (data[m].len)
            emit(c, data[m].p, data[m].len);
        free(data[m].p);
        data[m] = data[a];
        sids[m] = sids[a];
        es[m] = es[a];
    }
    emit(c, (const uint8_t *)"|", 1);
    if (i < n)
        emit(c, p + i, n - i);
}

static int same(const struct sink *a, const struct sink *b, int client)
{
    struct sink x = {0}, y = {0};
    canon(a->p, a->len, client, &x);
    canon(b->p, b->len, client, &y);
    int r = x.len == y.len && !memcmp(x.p, y.p, x.len);
    free(x.p);
    free(y.p);
    return r;
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
    if (!same(&a, &b, client)) {
        if (getenv("FUZZ_DUMP")) {
            FILE *f = fopen("/tmp/h2a.bin", "wb");
            fwrite(a.p, 1, a.len, f);
            fclose(f);
            f = fopen("/tmp/h2b.bin", "wb");
            fwrite(b.p, 1, b.len, f);
            fclose(f);
        }
        abort();
    }
    if (sa.bytes_in != size || sa.bytes_out != a.len)
        abort();
    if (!sa.lost)
        check_output(a.p, a.len, client);
    free(a.p);
    free(b.p);
    return 0;
}
