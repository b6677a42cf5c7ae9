/* test_http1.c - HTTP/1.x framing, body decoding (gzip, deflate, br, zstd,
 * stacked), header rewriting, withheld bodies (unknown coding, bomb, decode
 * error, limit), pipelining, HEAD/304, gaps, obs-fold, upgrades.  Every
 * output is re-parsed by the module itself: it must parse cleanly, carry no
 * Content-Encoding, and come out unchanged (nothing left to decode). */
#include "core/err.h"
#include "proto/http1.h"
#include "proto/media.h"
#include "proto/ws.h"
#include "enc.h"
#include "sb.h"
#include "tt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

/* ---- encoders (test time) ---- */

/* deflate at level 9, memLevel 9 (the compressed bodies these cases were
 * written against) */
static void zenc(struct sb *o, const void *p, size_t n, int wbits)
{
    enc_zlib_level(o, p, n, wbits, 9, 9);
}

/* brotli -c / zstd -c of the texts below (no encoder library is linked) */
static const char br_txt[] =
    "{\"user\":\"alice\",\"password\":\"Br0tliS3cret!\",\"note\":\"brotli brotli brotli brotli\"}";
static const uint8_t br_bin[] = {
    0xa1, 0x78, 0x02, 0x00, 0x6b, 0xa4, 0x16, 0x6b, 0xce, 0x70, 0x27, 0x10, 0xb7, 0xa5, 0xaa, 0xcb,
    0x06, 0xc1, 0xd0, 0x0c, 0xd5, 0x90, 0xf4, 0x3c, 0x1c, 0x8e, 0xc2, 0x79, 0x33, 0x75, 0x58, 0xfa,
    0x52, 0x12, 0x83, 0xb6, 0xaa, 0xc4, 0xc8, 0x27, 0x28, 0xb0, 0xdd, 0x44, 0x89, 0xef, 0x0b, 0x66,
    0xf4, 0x74, 0x5b, 0x43, 0x42, 0xb3, 0xd2, 0xb8, 0x2f, 0x15, 0x9c, 0x78, 0xe9, 0x56, 0x60};
static const char zs_txt[] =
    "{\"user\":\"bob\",\"api_key\":\"Zstd-K3y-0123456789\",\"note\":\"zstd zstd zstd zstd zstd\"}";
static const uint8_t zs_bin[] = {
    0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x50, 0x2d, 0x02, 0x00, 0xd4, 0x03, 0x7b, 0x22, 0x75, 0x73, 0x65,
    0x72, 0x22, 0x3a, 0x22, 0x62, 0x6f, 0x62, 0x22, 0x2c, 0x22, 0x61, 0x70, 0x69, 0x5f, 0x6b, 0x65,
    0x79, 0x22, 0x3a, 0x22, 0x5a, 0x73, 0x74, 0x64, 0x2d, 0x4b, 0x33, 0x79, 0x2d, 0x30, 0x31, 0x32,
    0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x22, 0x2c, 0x22, 0x6e, 0x6f, 0x74, 0x65, 0x22, 0x3a,
    0x22, 0x7a, 0x73, 0x74, 0x64, 0x20, 0x22, 0x7d, 0x01, 0x00, 0x8b, 0xa4, 0x40, 0x01, 0x01, 0x31,
    0x0d, 0xa1};

static const char json[] = "{\"user\":\"carol\",\"password\":\"hunter2-gz\",\"items\":[1,2,3,4,5,6,7,8]}";

/* ---- runner ---- */

struct run {
    struct sb out;
    struct tr_http1_stats st;
};

/* Pushes in in pieces of `piece` bytes (0: whole); server side paired with
 * a client side that first receives req (may be NULL). */
static void run(struct run *r, int client, const struct sb *in, size_t piece, const char *req,
                const struct tr_http1_opts *o)
{
    memset(r, 0, sizeof *r);
    struct sb cout = {0};
    struct tr_http1dir *c = NULL, *d = tr_http1dir_new(client, sink, &r->out, o);
    if (!d)
        abort();
    if (req) {
        c = tr_http1dir_new(1, sink, &cout, o);
        tr_http1dir_peer(c, d);
        tr_http1dir_push(c, (const uint8_t *)req, strlen(req));
    }
    if (!piece)
        piece = in->len ? in->len : 1;
    for (size_t i = 0; i < in->len; i += piece)
        TT_EQ_INT(tr_http1dir_push(d, in->p + i, in->len - i < piece ? in->len - i : piece), 0);
    TT_EQ_INT(tr_http1dir_finish(d), 0);
    tr_http1dir_stats(d, &r->st);
    tr_http1dir_free(d);
    tr_http1dir_free(c);
    sb_free(&cout);
}

/* The output parses cleanly, has no Content-Encoding, and re-parsing it
 * changes nothing. */
static void check_valid(const struct run *r, int client, const char *req)
{
    TT_CHECK(!has_ci(&r->out, "\ncontent-encoding:"));
    struct run again;
    run(&again, client, &r->out, 0, req, NULL);
    TT_EQ_INT(again.st.malformed, 0);
    TT_EQ_INT(again.out.len, r->out.len);
    TT_CHECK(again.out.len == r->out.len && memcmp(again.out.p, r->out.p, r->out.len) == 0);
    sb_free(&again.out);
}

/* Same output for every split into two pieces and for 1-byte pieces. */
static void check_splits(const struct sb *in, int client, const char *req, const struct run *whole)
{
    int bad = 0;
    for (size_t cut = 1; cut < in->len && !bad; cut++) {
        struct sb out = {0};
        struct sb c_out = {0};
        struct tr_http1dir *c = NULL, *d = tr_http1dir_new(client, sink, &out, NULL);
        if (req) {
            c = tr_http1dir_new(1, sink, &c_out, NULL);
            tr_http1dir_peer(c, d);
            tr_http1dir_push(c, (const uint8_t *)req, strlen(req));
        }
        tr_http1dir_push(d, in->p, cut);
        tr_http1dir_push(d, in->p + cut, in->len - cut);
        tr_http1dir_finish(d);
        if (out.len != whole->out.len || memcmp(out.p, whole->out.p, out.len))
            bad = 1;
        tr_http1dir_free(d);
        tr_http1dir_free(c);
        sb_free(&out);
        sb_free(&c_out);
    }
    TT_CHECK(!bad);
    struct run one;
    run(&one, client, in, 1, req, NULL);
    TT_CHECK(one.out.len == whole->out.len && !memcmp(one.out.p, whole->out.p, one.out.len));
    sb_free(&one.out);
}

static void resp_hdr(struct sb *b, const char *status_and_fields, size_t cl)
{
    char h[64];
    sb_str(b, status_and_fields);
    if (cl != (size_t)-1) {
        snprintf(h, sizeof h, "Content-Length: %zu\r\n", cl);
        sb_str(b, h);
    }
    sb_str(b, "\r\n");
}

/* ---- tests ---- */

static void t_looks_like(void)
{
    const char *yes_c[] = {"GET / HTTP/1.1\r\n", "POST /a?b=c HTTP/1.0\n", "M-SEARCH * HTTP/1.1\r\nH"};
    const char *no_c[] = {"GET / HTTP/1.1", "get / HTTP/1.1\r\n", "GET  / HTTP/1.1\r\n",
                          "PRI * HTTP/2.0\r\n", "\x16\x03\x01", "HTTP/1.1 200 OK\r\n"};
    for (size_t i = 0; i < sizeof yes_c / sizeof *yes_c; i++)
        TT_CHECK(tr_http1_looks_like((const uint8_t *)yes_c[i], strlen(yes_c[i]), 1));
    for (size_t i = 0; i < sizeof no_c / sizeof *no_c; i++)
        TT_CHECK(!tr_http1_looks_like((const uint8_t *)no_c[i], strlen(no_c[i]), 1));
    TT_CHECK(tr_http1_looks_like((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, 0));
    TT_CHECK(tr_http1_looks_like((const uint8_t *)"HTTP/1.0 404", 12, 0));
    TT_CHECK(!tr_http1_looks_like((const uint8_t *)"HTTP/1.1 20", 11, 0));
    TT_CHECK(!tr_http1_looks_like((const uint8_t *)"HTTP/2 200 OK\r\n", 15, 0));
    TT_CHECK(!tr_http1_looks_like((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0));
}

static void t_plain_requests(void)
{
    struct sb in = {0};
    sb_str(&in, "POST /login HTTP/1.1\r\nHost: example.com\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nContent-Length: 30\r\n\r\n"
                "user=bob&password=hunter2xyz12");
    sb_str(&in, "GET /a?token=abc HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer xyz\r\n\r\n");
    sb_str(&in, "\r\nPUT /up HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1234\r\n\r\n");
    sb_str(&in, "GET /last HTTP/1.1\r\nHost: e\r\n\r\n");
    struct run r;
    run(&r, 1, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.messages, 4);
    TT_EQ_INT(r.st.malformed, 0);
    TT_CHECK(r.out.len == in.len && !memcmp(r.out.p, in.p, in.len));
    check_valid(&r, 1, NULL);
    check_splits(&in, 1, NULL, &r);
    sb_free(&r.out);
    sb_free(&in);
}

static void t_head_304_204(void)
{
    const char *req = "HEAD /big HTTP/1.1\r\nHost: e\r\n\r\nGET /c HTTP/1.1\r\nHost: e\r\n\r\n"
                      "DELETE /x HTTP/1.1\r\nHost: e\r\n\r\nGET /d HTTP/1.1\r\nHost: e\r\n\r\n";
    struct sb in = {0};
    sb_str(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1000\r\n\r\n");
    sb_str(&in, "HTTP/1.1 100 Continue\r\n\r\n");
    sb_str(&in, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: \"x\"\r\n\r\n");
    sb_str(&in, "HTTP/1.1 204 No Content\r\n\r\n");
    sb_str(&in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    struct run r;
    run(&r, 0, &in, 0, req, NULL);
    TT_EQ_INT(r.st.messages, 5);
    TT_EQ_INT(r.st.malformed, 0);
    TT_EQ_INT(r.st.unpaired, 0);
    TT_CHECK(r.out.len == in.len && !memcmp(r.out.p, in.p, in.len));
    check_splits(&in, 0, req, &r);
    sb_free(&r.out);
    /* without pairing the HEAD response's length would swallow the rest */
    run(&r, 0, &in, 0, NULL, NULL);
    TT_CHECK(r.st.unpaired > 0);
    sb_free(&r.out);
    sb_free(&in);
}

/* A response whose body is text encoded as given. */
static void coded_case(const char *ce, const uint8_t *body, size_t blen, const char *text)
{
    struct sb in = {0}, want = {0};
    char h[256];
    snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: %s\r\n", ce);
    resp_hdr(&in, h, blen);
    sb_put(&in, body, blen);
    resp_hdr(&want, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", strlen(text));
    sb_str(&want, text);
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    TT_CHECK(r.out.len == want.len && !memcmp(r.out.p, want.p, want.len));
    if (r.out.len != want.len || memcmp(r.out.p, want.p, want.len))
        printf("  coding %s: got %zu bytes: %.*s\n", ce, r.out.len, (int)r.out.len, r.out.p);
    int withheld = 0;
    for (int i = 0; i < TR_H1W_N; i++)
        withheld += (int)r.st.bodies_withheld[i];
    TT_EQ_INT(withheld, 0);
    TT_EQ_INT(r.st.bytes_decoded, strlen(text));
    check_valid(&r, 0, NULL);
    check_splits(&in, 0, NULL, &r);
    sb_free(&r.out);
    sb_free(&in);
    sb_free(&want);
}

static void t_gzip(void)
{
    struct sb z = {0};
    zenc(&z, json, strlen(json), ENC_GZIP);
    coded_case("gzip", z.p, z.len, json);
    coded_case("x-gzip", z.p, z.len, json);
    coded_case("GZIP, identity", z.p, z.len, json);
    sb_free(&z);
}

static void t_deflate(void)
{
    struct sb z = {0}, raw = {0};
    zenc(&z, json, strlen(json), ENC_ZLIB);
    zenc(&raw, json, strlen(json), ENC_RAW);
    coded_case("deflate", z.p, z.len, json);
    coded_case("deflate", raw.p, raw.len, json);
    sb_free(&z);
    sb_free(&raw);
}

static void t_br_zstd(void)
{
    coded_case("br", br_bin, sizeof br_bin, br_txt);
    coded_case("zstd", zs_bin, sizeof zs_bin, zs_txt);
    struct run r;
    struct sb in = {0};
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n", sizeof br_bin);
    sb_put(&in, br_bin, sizeof br_bin);
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_decoded[TR_H1C_BR], 1);
    sb_free(&r.out);
    sb_free(&in);
    /* zstd output ending exactly at the decoder's 8 KiB buffer (was
     * withheld as decode-error before proto/bodydec) */
    static char t[8192 + 1];
    for (size_t i = 0; i < 8192; i++)
        t[i] = (char)('a' + (i * 7919) % 26);
    uint8_t z[9000];
    size_t zl = ZSTD_compress(z, sizeof z, t, 8192, 3);
    TT_CHECK(!ZSTD_isError(zl));
    coded_case("zstd", z, zl, t);
}

static void t_stacked(void)
{
    struct sb a = {0}, b = {0};
    /* "deflate, gzip": deflate applied first, then gzip */
    zenc(&a, json, strlen(json), ENC_ZLIB);
    zenc(&b, a.p, a.len, ENC_GZIP);
    coded_case("deflate, gzip", b.p, b.len, json);
    sb_free(&a);
    sb_free(&b);
    zenc(&a, br_bin, sizeof br_bin, ENC_GZIP);
    coded_case("br, gzip", a.p, a.len, br_txt);
    sb_free(&a);
    /* the order matters: the reverse is a decode error */
    zenc(&a, br_bin, sizeof br_bin, ENC_GZIP);
    struct sb in = {0};
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, br\r\n", a.len);
    sb_put(&in, a.p, a.len);
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_DECODE_ERROR], 1);
    TT_CHECK(has(&r.out, "X-Tlsredact-Withheld: decode-error\r\nContent-Length: 0\r\n\r\n"));
    TT_CHECK(!has(&r.out, "alice"));
    check_valid(&r, 0, NULL);
    sb_free(&r.out);
    sb_free(&in);
    sb_free(&a);
}

static void t_chunked_gzip(void)
{
    struct sb z = {0}, in = {0};
    zenc(&z, json, strlen(json), ENC_GZIP);
    sb_str(&in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n"
                "Trailer: X-Sum\r\n\r\n");
    size_t half = z.len / 2;
    char h[32];
    snprintf(h, sizeof h, "%zx\r\n", half);
    sb_str(&in, h);
    sb_put(&in, z.p, half);
    snprintf(h, sizeof h, "\r\n%zX\r\n", z.len - half);
    sb_str(&in, h);
    sb_put(&in, z.p + half, z.len - half);
    sb_str(&in, "\r\n0\r\nX-Sum: 42\r\n\r\n");
    sb_str(&in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    struct sb want = {0};
    snprintf(h, sizeof h, "%zx\r\n", strlen(json));
    sb_str(&want, "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n");
    sb_str(&want, h);
    sb_str(&want, json);
    sb_str(&want, "\r\n0\r\nX-Sum: 42\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    TT_CHECK(r.out.len == want.len && !memcmp(r.out.p, want.p, want.len));
    TT_EQ_INT(r.st.messages, 2);
    check_valid(&r, 0, NULL);
    check_splits(&in, 0, NULL, &r);
    sb_free(&r.out);
    sb_free(&want);
    sb_free(&in);
    sb_free(&z);
}

static void t_gzip_request(void)
{
    struct sb z = {0}, in = {0};
    zenc(&z, json, strlen(json), ENC_GZIP);
    resp_hdr(&in, "POST /api HTTP/1.1\r\nHost: e\r\nContent-Encoding: gzip\r\n", z.len);
    sb_put(&in, z.p, z.len);
    struct run r;
    run(&r, 1, &in, 0, NULL, NULL);
    TT_CHECK(has(&r.out, "hunter2-gz"));
    TT_CHECK(has(&r.out, "POST /api HTTP/1.1\r\nHost: e\r\nContent-Length: "));
    check_valid(&r, 1, NULL);
    sb_free(&r.out);
    sb_free(&in);
    sb_free(&z);
}

static void t_bomb(void)
{
    size_t n = 10u * 1000u * 1000u;
    uint8_t *zeros = calloc(1, n);
    struct sb z = {0}, in = {0};
    zenc(&z, zeros, n, ENC_GZIP);
    free(zeros);
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", z.len);
    sb_put(&in, z.p, z.len);
    sb_str(&in, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend");
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_BOMB], 1);
    TT_CHECK(has(&r.out, "HTTP/1.1 200 OK\r\nX-Tlsredact-Withheld: bomb\r\nContent-Length: 0\r\n\r\n"
                         "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend"));
    TT_CHECK(r.out.len < 200);
    check_valid(&r, 0, NULL);
    sb_free(&r.out);
    /* an absolute ceiling too */
    struct tr_http1_opts o = {0, 4096, 0};
    sb_free(&in);
    sb_free(&z);
    uint8_t big[8192];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)('a' + (i * 7919) % 26);
    zenc(&z, big, sizeof big, ENC_GZIP);
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", z.len);
    sb_put(&in, z.p, z.len);
    run(&r, 0, &in, 0, NULL, &o);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_BOMB], 1);
    sb_free(&r.out);
    sb_free(&in);
    sb_free(&z);
}

static void t_unknown_coding(void)
{
    struct sb in = {0};
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\n", 12);
    sb_str(&in, "SECRETBYTES!");
    sb_str(&in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: sdch\r\n\r\n"
                "4\r\nSECR\r\n0\r\nX-T: 1\r\n\r\n");
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_UNKNOWN_CODING], 2);
    TT_CHECK(!has(&r.out, "SECR"));
    TT_CHECK(has(&r.out, "HTTP/1.1 200 OK\r\nX-Tlsredact-Withheld: unknown-coding\r\nContent-Length: 0\r\n\r\n"));
    check_valid(&r, 0, NULL);
    check_splits(&in, 0, NULL, &r);
    sb_free(&r.out);
    struct tr_http1_opts o = {1, 0, 0};
    run(&r, 0, &in, 0, NULL, &o);
    TT_EQ_INT(r.st.bodies_uninspected, 2);
    TT_CHECK(r.out.len == in.len && !memcmp(r.out.p, in.p, in.len));
    sb_free(&r.out);
    sb_free(&in);
}

static void t_decode_error(void)
{
    struct sb z = {0}, in = {0};
    zenc(&z, json, strlen(json), ENC_GZIP);
    z.p[z.len / 2] ^= 0x55;
    z.p[z.len / 2 + 1] ^= 0xaa;
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", z.len);
    sb_put(&in, z.p, z.len);
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_DECODE_ERROR], 1);
    TT_CHECK(has(&r.out, "Content-Length: 0\r\n\r\n"));
    check_valid(&r, 0, NULL);
    sb_free(&r.out);
    sb_free(&in);
    /* truncated gzip (body shorter than the stream) */
    zenc(&in, "", 0, ENC_GZIP);
    sb_free(&in);
    sb_free(&z);
    zenc(&z, json, strlen(json), ENC_GZIP);
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", z.len - 8);
    sb_put(&in, z.p, z.len - 8);
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_DECODE_ERROR], 1);
    TT_CHECK(!has(&r.out, "hunter2"));
    sb_free(&r.out);
    sb_free(&in);
    sb_free(&z);
}

static void t_large_body(void)
{
    /* 3 MB of text compressing ~4:1: beyond the hold, HTTP/1.1 re-chunks */
    size_t n = 3u * 1000u * 1000u;
    uint8_t *t = malloc(n);
    uint32_t x = 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        t[i] = (uint8_t)('a' + (x >> 16) % 16);
    }
    struct sb z = {0}, in = {0};
    zenc(&z, t, n, ENC_GZIP);
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", z.len);
    sb_put(&in, z.p, z.len);
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    TT_CHECK(has(&r.out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
    TT_EQ_INT(r.st.bytes_decoded, n);
    TT_EQ_INT(r.st.bodies_decoded[TR_H1C_GZIP], 1);
    check_valid(&r, 0, NULL);
    sb_free(&r.out);
    sb_free(&in);
    resp_hdr(&in, "HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\n", z.len);
    sb_put(&in, z.p, z.len);
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_LIMIT], 1);
    TT_CHECK(has(&r.out, "HTTP/1.0 200 OK\r\nX-Tlsredact-Withheld: limit\r\nContent-Length: 0\r\n\r\n"));
    TT_CHECK(r.out.len < 100);
    sb_free(&r.out);
    sb_free(&in);
    sb_free(&z);
    free(t);
}

static void t_http10_eof(void)
{
    struct sb in = {0};
    sb_str(&in, "HTTP/1.0 200 OK\r\nServer: x\r\nConnection: close\r\n\r\nbody until the end\n");
    struct run r;
    run(&r, 0, &in, 0, NULL, NULL);
    TT_CHECK(r.out.len == in.len && !memcmp(r.out.p, in.p, in.len));
    TT_EQ_INT(r.st.malformed, 0);
    sb_free(&r.out);
    sb_free(&in);
    struct sb z = {0};
    zenc(&z, json, strlen(json), ENC_GZIP);
    sb_str(&in, "HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
    sb_put(&in, z.p, z.len);
    run(&r, 0, &in, 0, NULL, NULL);
    struct sb want = {0};
    resp_hdr(&want, "HTTP/1.0 200 OK\r\n", strlen(json));
    sb_str(&want, json);
    TT_CHECK(r.out.len == want.len && !memcmp(r.out.p, want.p, want.len));
    check_splits(&in, 0, NULL, &r);
    sb_free(&r.out);
    sb_free(&in);
    sb_free(&want);
    sb_free(&z);
}

static void t_obs_fold(void)
{
    struct sb in = {0};
    sb_str(&in, "GET / HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer\r\n  abc.def\r\n\tghi\r\nX: 1\n\n");
    struct run r;
    run(&r, 1, &in, 0, NULL, NULL);
    TT_CHECK(has(&r.out, "\r\nAuthorization: Bearer abc.def ghi\r\nX: 1\r\n\r\n"));
    TT_EQ_INT(r.st.malformed, 0);
    check_valid(&r, 1, NULL);
    sb_free(&r.out);
    sb_free(&in);
}

static void t_gap(void)
{
    struct sb out = {0};
    struct tr_http1dir *d = tr_http1dir_new(0, sink, &out, NULL);
    const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789";
    const char *b = "lost-rest\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    tr_http1dir_push(d, (const uint8_t *)a, strlen(a));
    tr_http1dir_gap(d);
    struct tr_http1_stats st;
    tr_http1dir_stats(d, &st);
    TT_EQ_INT(st.lost, 1);
    tr_http1dir_push(d, (const uint8_t *)b, strlen(b));
    tr_http1dir_finish(d);
    tr_http1dir_stats(d, &st);
    TT_EQ_INT(st.lost, 0);
    TT_EQ_INT(st.resyncs, 1);
    const char *want = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789**********"
                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    TT_CHECK(out.len == strlen(want) && !memcmp(out.p, want, out.len));
    tr_http1dir_free(d);
    sb_free(&out);

    /* in an encoded body: withheld, nothing decoded is shown */
    struct sb z = {0}, in = {0};
    zenc(&z, json, strlen(json), ENC_GZIP);
    resp_hdr(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", z.len);
    sb_put(&in, z.p, z.len / 2);
    d = tr_http1dir_new(0, sink, &out, NULL);
    tr_http1dir_push(d, in.p, in.len);
    tr_http1dir_gap(d);
    tr_http1dir_push(d, z.p + z.len / 2, z.len - z.len / 2);
    tr_http1dir_finish(d);
    tr_http1dir_stats(d, &st);
    TT_EQ_INT(st.bodies_withheld[TR_H1W_GAP], 1);
    TT_CHECK(has(&out, "X-Tlsredact-Withheld: gap\r\nContent-Length: 0\r\n\r\n"));
    TT_CHECK(!has(&out, "hunter2"));
    tr_http1dir_free(d);
    sb_free(&out);
    sb_free(&in);
    sb_free(&z);

    /* a chunked body: closed with a last chunk; after the gap nothing
     * passes until a start line */
    d = tr_http1dir_new(0, sink, &out, NULL);
    const char *c = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01234";
    tr_http1dir_push(d, (const uint8_t *)c, strlen(c));
    tr_http1dir_gap(d);
    const char *e = "zz\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    tr_http1dir_push(d, (const uint8_t *)e, strlen(e));
    tr_http1dir_finish(d);
    want = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01234*****\r\n0\r\n\r\n"
           "HTTP/1.1 204 No Content\r\n\r\n";
    TT_CHECK(out.len == strlen(want) && !memcmp(out.p, want, out.len));
    tr_http1dir_free(d);
    sb_free(&out);
}

static void t_malformed(void)
{
    struct sb in = {0};
    sb_str(&in, "GET / HTTP/1.1\r\nHost e\r\nX: y\r\n\r\nplain text\r\nGET /next HTTP/1.1\r\nHost: e\r\n\r\n");
    struct run r;
    run(&r, 1, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.malformed, 1);
    TT_EQ_INT(r.st.resyncs, 1);
    TT_EQ_INT(r.st.messages, 1);
    TT_CHECK(r.out.len == in.len && !memcmp(r.out.p, in.p, in.len));
    sb_free(&r.out);
    sb_free(&in);
    /* a malformed message that declared a coding: withheld */
    sb_str(&in, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                "\x1f\x8b\x08zzz\r\nmore\r\nHTTP/1.1 204 No Content\r\n\r\n");
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.malformed, 1);
    TT_CHECK(!has(&r.out, "\x1f\x8b"));
    TT_CHECK(!has(&r.out, "more"));
    TT_CHECK(has(&r.out, "HTTP/1.1 204 No Content\r\n\r\n"));
    sb_free(&r.out);
    sb_free(&in);
    /* oversized header section */
    sb_str(&in, "GET / HTTP/1.1\r\nX: ");
    for (int i = 0; i < 70000; i++)
        sb_str(&in, "a");
    sb_str(&in, "\r\n\r\n");
    run(&r, 1, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.malformed, 1);
    sb_free(&r.out);
    sb_free(&in);
    /* bad chunk size in an encoded body */
    sb_str(&in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\nzz\r\n\x1f\x8b\r\n");
    run(&r, 0, &in, 0, NULL, NULL);
    TT_EQ_INT(r.st.bodies_withheld[TR_H1W_MALFORMED], 1);
    TT_CHECK(!has(&r.out, "\x1f\x8b"));
    sb_free(&r.out);
    sb_free(&in);
}

static void t_websocket(void)
{
    struct sb cout = {0}, sout = {0};
    struct tr_http1dir *c = tr_http1dir_new(1, sink, &cout, NULL);
    struct tr_http1dir *s = tr_http1dir_new(0, sink, &sout, NULL);
    tr_http1dir_peer(c, s);
    const char *req = "GET /chat HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const char *resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    const uint8_t cframe[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    const uint8_t sframe[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    tr_http1dir_push(c, (const uint8_t *)req, strlen(req));
    tr_http1dir_push(c, cframe, 4); /* before the 101 was seen: held */
    tr_http1dir_push(s, (const uint8_t *)resp, strlen(resp));
    tr_http1dir_push(s, sframe, sizeof sframe);
    tr_http1dir_push(c, cframe + 4, sizeof cframe - 4);
    tr_http1dir_finish(c);
    tr_http1dir_finish(s);
    struct tr_http1_stats cs, ss;
    tr_http1dir_stats(c, &cs);
    tr_http1dir_stats(s, &ss);
    TT_EQ_INT(cs.upgrades, 1);
    TT_EQ_INT(ss.upgrades, 1);
    TT_EQ_INT(cs.upgrades_ws, 1);
    TT_EQ_INT(cs.upgraded_bytes_withheld, 0);
    /* the client frame comes out unmasked (proto/ws), the server's as is */
    TT_CHECK(cout.len == strlen(req) + 7 && !memcmp(cout.p, req, strlen(req)) &&
             !memcmp(cout.p + strlen(req), "\x81\x05Hello", 7));
    TT_CHECK(sout.len == strlen(resp) + sizeof sframe &&
             !memcmp(sout.p + strlen(resp), sframe, sizeof sframe));
    struct tr_ws_stats ws;
    TT_EQ_INT(tr_http1dir_ws_stats(c, &ws), 1);
    TT_EQ_INT(ws.frames, 1);
    tr_http1dir_free(s);
    TT_EQ_INT(tr_http1dir_push(c, cframe, 2), 0); /* peer gone: no dangling use */
    tr_http1dir_free(c);
    sb_free(&cout);
    sb_free(&sout);

    /* h2c upgrade: not inspected, withheld */
    c = tr_http1dir_new(1, sink, &cout, NULL);
    s = tr_http1dir_new(0, sink, &sout, NULL);
    tr_http1dir_peer(c, s);
    const char *h2c = "GET / HTTP/1.1\r\nHost: e\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                      "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
    const char *sw = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    tr_http1dir_push(c, (const uint8_t *)h2c, strlen(h2c));
    tr_http1dir_push(s, (const uint8_t *)sw, strlen(sw));
    tr_http1dir_push(s, (const uint8_t *)"\0\0\0\4\0\0\0\0\0", 9);
    tr_http1dir_push(c, (const uint8_t *)"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
    tr_http1dir_stats(c, &cs);
    tr_http1dir_stats(s, &ss);
    TT_EQ_INT(cs.upgraded_bytes_withheld, 24);
    TT_EQ_INT(ss.upgraded_bytes_withheld, 9);
    TT_EQ_INT(cout.len, strlen(h2c));
    TT_EQ_INT(sout.len, strlen(sw));
    tr_http1dir_free(c);
    tr_http1dir_free(s);
    sb_free(&cout);
    sb_free(&sout);

    /* refused upgrade: the held request is parsed as HTTP */
    c = tr_http1dir_new(1, sink, &cout, NULL);
    s = tr_http1dir_new(0, sink, &sout, NULL);
    tr_http1dir_peer(c, s);
    tr_http1dir_push(c, (const uint8_t *)req, strlen(req));
    tr_http1dir_push(c, (const uint8_t *)"GET /b HTTP/1.1\r\n\r\n", 19);
    const char *no = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    tr_http1dir_push(s, (const uint8_t *)no, strlen(no));
    tr_http1dir_finish(c);
    tr_http1dir_stats(c, &cs);
    TT_EQ_INT(cs.messages, 2);
    TT_EQ_INT(cs.upgrades, 0);
    TT_EQ_INT(cout.len, strlen(req) + 19);
    tr_http1dir_free(c);
    tr_http1dir_free(s);
    sb_free(&cout);
    sb_free(&sout);
}

/* ---- media context (tr_http1dir_set_media_cb) ---- */

#define MREC_MAX 64

/* The emitted stream cut by media: runs of (media, bytes).  Entry 0 is the
 * implicit TR_MEDIA_ANY before any report. */
struct mrec {
    struct sb out;
    int media[MREC_MAX];
    size_t bytes[MREC_MAX];
    size_t n;
    int bad; /* a report repeating the value, or followed by no byte */
};

static void mrec_media(void *ctx, int media)
{
    struct mrec *m = ctx;
    if (media == m->media[m->n - 1] || (m->n > 1 && m->bytes[m->n - 1] == 0) || m->n == MREC_MAX) {
        m->bad = 1;
        return;
    }
    m->media[m->n] = media;
    m->bytes[m->n++] = 0;
}

static int mrec_emit(void *ctx, const uint8_t *p, size_t n)
{
    struct mrec *m = ctx;
    m->bytes[m->n - 1] += n;
    sb_put(&m->out, p, n);
    return 0;
}

/* Runs in (pieces of `piece` bytes, 0: whole) through a direction with the
 * media callback; a server direction is paired with a client that sent req. */
static void mrun(struct mrec *m, int client, const char *in, size_t len, size_t piece, const char *req)
{
    memset(m, 0, sizeof *m);
    m->media[0] = TR_MEDIA_ANY;
    m->n = 1;
    struct mrec cm;
    memset(&cm, 0, sizeof cm);
    cm.n = 1;
    struct tr_http1dir *d = tr_http1dir_new(client, mrec_emit, m, NULL), *c = NULL;
    tr_http1dir_set_media_cb(d, mrec_media, m);
    if (req) {
        c = tr_http1dir_new(1, mrec_emit, &cm, NULL);
        tr_http1dir_peer(c, d);
        tr_http1dir_push(c, (const uint8_t *)req, strlen(req));
    }
    if (!piece)
        piece = len ? len : 1;
    for (size_t i = 0; i < len; i += piece)
        TT_EQ_INT(tr_http1dir_push(d, (const uint8_t *)in + i, len - i < piece ? len - i : piece), 0);
    TT_EQ_INT(tr_http1dir_finish(d), 0);
    tr_http1dir_free(d);
    tr_http1dir_free(c);
    sb_free(&cm.out);
    TT_CHECK(!m->bad);
}

/* Expected runs: media, byte count pairs, ended by -1. */
static void mcheck(const char *in, size_t len, int client, const char *req, const long *want)
{
    for (size_t piece = 0; piece < 3; piece++) {
        struct mrec m;
        mrun(&m, client, in, len, piece, req);
        size_t k = 0;
        int ok = 1;
        for (; want[2 * k] >= 0; k++)
            if (k >= m.n || m.media[k] != want[2 * k] || (long)m.bytes[k] != want[2 * k + 1])
                ok = 0;
        if (k != m.n)
            ok = 0;
        TT_CHECK(ok);
        if (!ok) {
            printf("  piece %zu: got", piece);
            for (size_t i = 0; i < m.n; i++)
                printf(" (%s, %zu)", tr_media_name(m.media[i]), m.bytes[i]);
            printf("\n");
        }
        sb_free(&m.out);
    }
}

#define L(s) ((long)strlen(s))

static void t_media_json_request(void)
{
    const char *h1 = "POST /api HTTP/1.1\r\nHost: e\r\nContent-Type: application/json; charset=utf-8\r\n"
                     "Content-Length: 24\r\n\r\n";
    const char *b1 = "{\"password\":\"hunter2xx\"}";
    const char *h2 = "GET /next HTTP/1.1\r\nHost: e\r\n\r\n";
    const char *h3 = "POST /raw HTTP/1.1\r\nContent-Length: 3\r\n\r\n"; /* no Content-Type */
    const char *h4 = "POST /form HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: 8\r\n\r\n";
    char in[1024];
    snprintf(in, sizeof in, "%s%s%s%sabc%sa=1&pw=2", h1, b1, h2, h3, h4);
    long want[] = {TR_MEDIA_ANY, 0,
                   TR_MEDIA_HEAD, L(h1), TR_MEDIA_JSON, L(b1),
                   TR_MEDIA_HEAD, L(h2) + L(h3), TR_MEDIA_ANY, 3,
                   TR_MEDIA_HEAD, L(h4), TR_MEDIA_FORM, 8, -1};
    TT_EQ_INT(L(b1), 24);
    mcheck(in, strlen(in), 1, NULL, want);
}

static void t_media_chunked_response(void)
{
    /* passed as it is: chunk lines count as body, trailers as HEAD */
    const char *req = "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
    const char *h1 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char *b1 = "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n";
    const char *t1 = "X-Trailer: 1\r\n\r\n";
    const char *h2 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char *b2 = "3\r\nabc\r\n0\r\n";
    char in[1024];
    snprintf(in, sizeof in, "%s%s%s%s%s\r\n", h1, b1, t1, h2, b2);
    long want[] = {TR_MEDIA_ANY, 0,
                   TR_MEDIA_HEAD, L(h1), TR_MEDIA_TEXT, L(b1),
                   TR_MEDIA_HEAD, L(t1) + L(h2), TR_MEDIA_TEXT, L(b2),
                   TR_MEDIA_HEAD, 2, -1};
    mcheck(in, strlen(in), 0, req, want);

    /* gzip'd and chunked: decoded, re-chunked as one chunk */
    struct sb z = {0}, zin = {0};
    zenc(&z, json, strlen(json), ENC_GZIP);
    sb_str(&zin, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    char h[32];
    snprintf(h, sizeof h, "%zx\r\n", z.len);
    sb_str(&zin, h);
    sb_put(&zin, z.p, z.len);
    sb_str(&zin, "\r\n0\r\nX-Sum: 42\r\n\r\n");
    const char *oh = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    snprintf(h, sizeof h, "%zx\r\n", strlen(json));
    long want2[] = {TR_MEDIA_ANY, 0,
                    TR_MEDIA_HEAD, L(oh), TR_MEDIA_JSON, L(h) + L(json) + 2 + 3,
                    TR_MEDIA_HEAD, L("X-Sum: 42\r\n\r\n"), -1};
    mcheck((const char *)zin.p, zin.len, 0, NULL, want2);
    sb_free(&zin);

    /* gzip'd with Content-Length: held, Content-Length recomputed */
    resp_hdr(&zin, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/problem+json\r\n",
             z.len);
    sb_put(&zin, z.p, z.len);
    char oh2[256];
    snprintf(oh2, sizeof oh2, "HTTP/1.1 200 OK\r\nContent-Type: application/problem+json\r\nContent-Length: %zu\r\n\r\n",
             strlen(json));
    long want3[] = {TR_MEDIA_ANY, 0, TR_MEDIA_HEAD, L(oh2), TR_MEDIA_JSON, L(json), -1};
    mcheck((const char *)zin.p, zin.len, 0, NULL, want3);
    sb_free(&zin);
    sb_free(&z);
}

static void t_media_malformed(void)
{
    const char *m1 = "GET /a HTTP/1.1\r\nHost: e\r\n\r\n";
    const char *bad = "GET / HTTP/1.1\r\nHost e\r\nX: y\r\n\r\nplain text\r\n";
    const char *m3 = "GET /next HTTP/1.1\r\nHost: e\r\n\r\n";
    char in[512];
    snprintf(in, sizeof in, "%s%s%s", m1, bad, m3);
    long want[] = {TR_MEDIA_ANY, 0, TR_MEDIA_HEAD, L(m1), TR_MEDIA_ANY, L(bad), TR_MEDIA_HEAD, L(m3), -1};
    mcheck(in, strlen(in), 1, NULL, want);
    /* from the first byte: nothing to report until the resync */
    snprintf(in, sizeof in, "%s%s", bad, m3);
    long want2[] = {TR_MEDIA_ANY, L(bad), TR_MEDIA_HEAD, L(m3), -1};
    mcheck(in, strlen(in), 1, NULL, want2);
}

static void t_media_gap_and_upgrade(void)
{
    /* the '*' fill that closes a body after a gap is body */
    struct mrec m;
    memset(&m, 0, sizeof m);
    m.n = 1;
    struct tr_http1dir *d = tr_http1dir_new(0, mrec_emit, &m, NULL);
    tr_http1dir_set_media_cb(d, mrec_media, &m);
    const char *a = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n";
    tr_http1dir_push(d, (const uint8_t *)a, strlen(a));
    tr_http1dir_gap(d);
    tr_http1dir_finish(d);
    tr_http1dir_free(d);
    TT_EQ_INT(m.n, 3);
    TT_EQ_INT(m.media[1], TR_MEDIA_HEAD);
    TT_EQ_INT(m.media[2], TR_MEDIA_TEXT);
    TT_EQ_INT(m.bytes[2], 20);
    TT_CHECK(!m.bad);
    sb_free(&m.out);

    /* WebSocket: the 101 is HEAD, frames after it ANY */
    const char *req = "GET /chat HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    const char *resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    char in[256];
    snprintf(in, sizeof in, "%s\x81\x05Hello", resp);
    long want[] = {TR_MEDIA_ANY, 0, TR_MEDIA_HEAD, L(resp), TR_MEDIA_ANY, 7, -1};
    mcheck(in, strlen(in), 0, req, want);
}

/* With a frame callback, chunk framing (passed or written) and WebSocket
 * frame headers go there: the emit stream holds each body as one text, so a
 * secret cut by a chunk boundary is whole for the rules; framing + content,
 * interleaved in call order, is the same output as without the callback. */
struct seq {
    struct sb all, text, frm;
};

static int seq_text(void *ctx, const uint8_t *p, size_t n)
{
    struct seq *q = ctx;
    sb_put(&q->all, p, n);
    sb_put(&q->text, p, n);
    return 0;
}

static int seq_frm(void *ctx, const uint8_t *p, size_t n)
{
    struct seq *q = ctx;
    sb_put(&q->all, p, n);
    sb_put(&q->frm, p, n);
    return 0;
}

static void t_frame_cb(void)
{
    const char *req = "POST /login HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "17\r\nuser=alice&password=hun\r\n5;x=1\r\nter2&\r\n0\r\n\r\n";
    for (int withcb = 0; withcb < 2; withcb++) {
        struct seq q;
        memset(&q, 0, sizeof q);
        struct tr_http1dir *d = tr_http1dir_new(1, seq_text, &q, NULL);
        if (withcb)
            tr_http1dir_set_frame_cb(d, seq_frm, &q);
        for (size_t i = 0; i < strlen(req); i++) /* byte by byte */
            TT_EQ_INT(tr_http1dir_push(d, (const uint8_t *)req + i, 1), 0);
        TT_EQ_INT(tr_http1dir_finish(d), 0);
        TT_CHECK(q.all.len == strlen(req) && !memcmp(q.all.p, req, q.all.len));
        if (withcb) {
            TT_CHECK(has(&q.text, "\r\n\r\nuser=alice&password=hunter2&"));
            static const char frm[] = "17\r\n\r\n5;x=1\r\n\r\n0\r\n";
            TT_CHECK(q.frm.len == sizeof frm - 1 && !memcmp(q.frm.p, frm, sizeof frm - 1));
        } else {
            TT_EQ_INT(q.frm.len, 0);
        }
        tr_http1dir_free(d);
        sb_free(&q.all);
        sb_free(&q.text);
        sb_free(&q.frm);
    }
    /* WebSocket: the frame header we write goes to the frame callback */
    struct seq c, sv;
    memset(&c, 0, sizeof c);
    memset(&sv, 0, sizeof sv);
    struct tr_http1dir *cd = tr_http1dir_new(1, seq_text, &c, NULL);
    struct tr_http1dir *sd = tr_http1dir_new(0, seq_text, &sv, NULL);
    tr_http1dir_set_frame_cb(cd, seq_frm, &c);
    tr_http1dir_set_frame_cb(sd, seq_frm, &sv);
    tr_http1dir_peer(cd, sd);
    const char *up = "GET /chat HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const char *sw = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    const uint8_t cframe[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    tr_http1dir_push(cd, (const uint8_t *)up, strlen(up));
    tr_http1dir_push(sd, (const uint8_t *)sw, strlen(sw));
    tr_http1dir_push(cd, cframe, sizeof cframe);
    tr_http1dir_finish(cd);
    tr_http1dir_finish(sd);
    TT_CHECK(c.frm.len == 2 && !memcmp(c.frm.p, "\x81\x05", 2));
    TT_CHECK(c.text.len == strlen(up) + 5 && !memcmp(c.text.p + strlen(up), "Hello", 5));
    tr_http1dir_free(cd);
    tr_http1dir_free(sd);
    sb_free(&c.all);
    sb_free(&c.text);
    sb_free(&c.frm);
    sb_free(&sv.all);
    sb_free(&sv.text);
    sb_free(&sv.frm);
}

int main(void)
{
    TT_RUN(t_looks_like);
    TT_RUN(t_plain_requests);
    TT_RUN(t_head_304_204);
    TT_RUN(t_gzip);
    TT_RUN(t_deflate);
    TT_RUN(t_br_zstd);
    TT_RUN(t_stacked);
    TT_RUN(t_chunked_gzip);
    TT_RUN(t_gzip_request);
    TT_RUN(t_bomb);
    TT_RUN(t_unknown_coding);
    TT_RUN(t_decode_error);
    TT_RUN(t_large_body);
    TT_RUN(t_http10_eof);
    TT_RUN(t_obs_fold);
    TT_RUN(t_gap);
    TT_RUN(t_malformed);
    TT_RUN(t_websocket);
    TT_RUN(t_frame_cb);
    TT_RUN(t_media_json_request);
    TT_RUN(t_media_chunked_response);
    TT_RUN(t_media_malformed);
    TT_RUN(t_media_gap_and_upgrade);
    TT_DONE();
}
