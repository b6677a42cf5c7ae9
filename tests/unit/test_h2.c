/* test_h2.c - HTTP/2 header blocks are decoded, redacted with the real rules
 * and re-encoded so that a fresh HPACK decoder reads them; DATA is carried
 * unchanged; the output does not depend on how the input was cut; HPACK
 * errors, frame errors and gaps fail closed. */
#include "core/err.h"
#include "proto/h2.h"
#include "redact/redact.h"
#include "enc.h"
#include "sb.h"
#include "tt.h"

#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static struct tr_ruleset *RS;

/* ---- input builder: a real nghttp2 encoder (dynamic table, Huffman) ---- */

struct hf {
    const char *n, *v;
};

static void frame_hdr(struct sb *b, size_t len, uint8_t type, uint8_t flags, uint32_t sid)
{
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};
    sb_put(b, h, 9);
}

static size_t encode(nghttp2_hd_deflater *def, const struct hf *h, size_t nh, uint8_t **blk)
{
    nghttp2_nv nva[32];
    for (size_t i = 0; i < nh; i++) {
        nva[i].name = (uint8_t *)(uintptr_t)h[i].n;
        nva[i].namelen = strlen(h[i].n);
        nva[i].value = (uint8_t *)(uintptr_t)h[i].v;
        nva[i].valuelen = strlen(h[i].v);
        nva[i].flags = NGHTTP2_NV_FLAG_NONE;
    }
    size_t bound = nghttp2_hd_deflate_bound(def, nva, nh);
    *blk = malloc(bound);
    ssize_t n = nghttp2_hd_deflate_hd(def, *blk, bound, nva, nh);
    if (n < 0)
        abort();
    return (size_t)n;
}

/* HEADERS (+ CONTINUATION when split > 0: fragments of split bytes);
 * padprio: PADDED (7 bytes) and PRIORITY on the HEADERS frame. */
static void put_headers(struct sb *b, nghttp2_hd_deflater *def, uint32_t sid,
                        const struct hf *h, size_t nh, int end_stream, size_t split, int padprio)
{
    uint8_t *blk;
    size_t n = encode(def, h, nh, &blk);
    size_t first = split && split < n ? split : n;
    uint8_t fl = (uint8_t)((end_stream ? 1 : 0) | (first == n ? 4 : 0) | (padprio ? 0x28 : 0));
    frame_hdr(b, first + (padprio ? 1 + 5 + 7 : 0), 1, fl, sid);
    if (padprio) {
        static const uint8_t pp[6] = {7, 0x80, 0, 0, 3, 200};
        sb_put(b, pp, 6);
    }
    sb_put(b, blk, first);
    if (padprio)
        sb_put(b, "\0\0\0\0\0\0\0", 7);
    for (size_t pos = first; pos < n;) {
        size_t k = n - pos < split ? n - pos : split;
        frame_hdr(b, k, 9, pos + k == n ? 4 : 0, sid);
        sb_put(b, blk + pos, k);
        pos += k;
    }
    free(blk);
}

static void put_data(struct sb *b, uint32_t sid, const char *s, int end_stream)
{
    frame_hdr(b, strlen(s), 0, end_stream ? 1 : 0, sid);
    sb_put(b, s, strlen(s));
}

static void put_settings(struct sb *b)
{
    static const uint8_t s[] = {0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100, 0, 4, 0, 1, 0, 0};
    sb_put(b, s, sizeof s);
}

/* ---- output parser: frames, and a fresh HPACK decoder ---- */

struct parsed {
    int ok;              /* framing and HPACK decoded without error */
    size_t blocks;
    size_t max_payload;
    int padded_seen, prio_seen;
    struct sb hdrs;      /* "name: value\n" per field, "--\n" per block */
    struct sb data;      /* DATA payloads, concatenated */
    uint32_t last_sid;
};

static void parse_out(const uint8_t *p, size_t n, int client, struct parsed *r)
{
    memset(r, 0, sizeof *r);
    nghttp2_hd_inflater *inf;
    if (nghttp2_hd_inflate_new(&inf))
        abort();
    size_t i = 0;
    r->ok = 1;
    if (client) {
        if (n < 24 || memcmp(p, PREFACE, 24)) {
            r->ok = 0;
            goto done;
        }
        i = 24;
    }
    struct sb blk = {0};
    int open = 0;
    while (i < n) {
        if (n - i < 9) {
            r->ok = 0;
            break;
        }
        const uint8_t *h = p + i;
        size_t len = ((size_t)h[0] << 16) | ((size_t)h[1] << 8) | h[2];
        uint8_t type = h[3], fl = h[4];
        uint32_t sid = ((uint32_t)h[5] << 24) | ((uint32_t)h[6] << 16) | ((uint32_t)h[7] << 8) | h[8];
        i += 9;
        if (len > n - i) {
            r->ok = 0;
            break;
        }
        if (len > r->max_payload)
            r->max_payload = len;
        const uint8_t *pl = p + i;
        i += len;
        if (open && type != 9) {
            r->ok = 0;
            break;
        }
        if (type == 0) {
            sb_put(&r->data, pl, len);
            continue;
        }
        if (type != 1 && type != 5 && type != 9)
            continue;
        if (type == 9 && !open) {
            r->ok = 0;
            break;
        }
        size_t skip = 0;
        if (type != 9 && (fl & 0x8))
            r->padded_seen = 1;
        if (type == 1 && (fl & 0x20)) {
            r->prio_seen = 1;
            skip = 5;
        }
        if (type == 5)
            skip = 4;
        if (skip > len) {
            r->ok = 0;
            break;
        }
        sb_put(&blk, pl + skip, len - skip);
        open = 1;
        r->last_sid = sid;
        if (fl & 4) {
            open = 0;
            const uint8_t *q = blk.p;
            size_t left = blk.len;
            for (;;) {
                nghttp2_nv nv;
                int f = 0;
                ssize_t rv = nghttp2_hd_inflate_hd2(inf, &nv, &f, q, left, 1);
                if (rv < 0) {
                    r->ok = 0;
                    break;
                }
                q += rv;
                left -= (size_t)rv;
                if (f & NGHTTP2_HD_INFLATE_EMIT) {
                    sb_put(&r->hdrs, nv.name, nv.namelen);
                    sb_put(&r->hdrs, ": ", 2);
                    sb_put(&r->hdrs, nv.value, nv.valuelen);
                    sb_put(&r->hdrs, "\n", 1);
                }
                if (f & NGHTTP2_HD_INFLATE_FINAL) {
                    nghttp2_hd_inflate_end_headers(inf);
                    break;
                }
                if (!(f & NGHTTP2_HD_INFLATE_EMIT) && left == 0)
                    break;
            }
            sb_put(&r->hdrs, "--\n", 3);
            r->blocks++;
            blk.len = 0;
        }
    }
    if (open)
        r->ok = 0;
    sb_free(&blk);
done:
    nghttp2_hd_inflate_del(inf);
}

static void parsed_free(struct parsed *r)
{
    sb_free(&r->hdrs);
    sb_free(&r->data);
}

/* Runs input through a direction in pieces of `piece` bytes (0: whole), or
 * split once at `cut` when piece == SIZE_MAX. */
static void run(const struct sb *in, int client, size_t piece, size_t cut, struct sb *o,
                struct tr_h2_stats *st)
{
    static const uint8_t key[TR_REDACT_KEY_LEN] = {7};
    struct tr_redact_opts ro = {.mask_char = 0, .token_key = key};
    struct tr_h2dir *d = tr_h2dir_new(client, RS, &ro, sink, o);
    if (!d)
        abort();
    if (piece == SIZE_MAX) {
        TT_EQ_INT(tr_h2dir_push(d, in->p, cut), 0);
        TT_EQ_INT(tr_h2dir_push(d, in->p + cut, in->len - cut), 0);
    } else if (piece == 0) {
        TT_EQ_INT(tr_h2dir_push(d, in->p, in->len), 0);
    } else {
        for (size_t i = 0; i < in->len; i += piece)
            TT_EQ_INT(tr_h2dir_push(d, in->p + i, in->len - i < piece ? in->len - i : piece), 0);
    }
    TT_EQ_INT(tr_h2dir_finish(d), 0);
    if (st)
        tr_h2dir_stats(d, st);
    tr_h2dir_free(d);
}

/* A client stream: two GETs sharing secrets through the dynamic table,
 * then a POST with a body, a block with CONTINUATION and PADDED+PRIORITY. */
static void client_stream(struct sb *b, size_t split, int padprio)
{
    nghttp2_hd_deflater *def;
    if (nghttp2_hd_deflate_new(&def, 4096))
        abort();
    sb_put(b, PREFACE, 24);
    put_settings(b);
    const struct hf r1[] = {
        {":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"},
        {":path", "/login?user=bob&password=hunter2xyz"}, {"user-agent", "curl/8.1.2"},
        {"authorization", "Bearer sekrit-token-123456"}, {"cookie", "SID=cookiesecret42"},
        {"accept", "*/*"},
    };
    put_headers(b, def, 1, r1, sizeof r1 / sizeof r1[0], 1, split, padprio);
    const struct hf r2[] = {
        {":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"},
        {":path", "/index.html"}, {"user-agent", "curl/8.1.2"},
        {"authorization", "Bearer sekrit-token-123456"}, {"cookie", "SID=cookiesecret42"},
        {"x-api-key", "apikeysecret987"},
    };
    put_headers(b, def, 3, r2, sizeof r2 / sizeof r2[0], 1, split, 0);
    const struct hf r3[] = {
        {":method", "POST"}, {":scheme", "https"}, {":authority", "example.com"},
        {":path", "/form"}, {"content-type", "text/plain"},
        {"authorization", "Bearer sekrit-token-123456"},
    };
    put_headers(b, def, 5, r3, sizeof r3 / sizeof r3[0], 0, split, padprio);
    put_data(b, 5, "hello body, nothing secret", 1);
    nghttp2_hd_deflate_del(def);
}

static const char *const secrets[] = {"hunter2xyz", "sekrit-token-123456", "cookiesecret42",
                                      "apikeysecret987", "sessval-77a9"};

static int no_secret(const struct sb *o)
{
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (has(o, secrets[i]))
            return 0;
    return 1;
}

static void test_request_redacted(void)
{
    struct sb in = {0}, o = {0};
    client_stream(&in, 0, 0);
    struct tr_h2_stats st;
    run(&in, 1, 0, 0, &o, &st);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.blocks, 3);
    TT_EQ_INT(st.requests, 3);
    TT_EQ_INT(st.responses, 0);
    TT_CHECK(no_secret(&o));
    TT_CHECK(no_secret(&r.hdrs));
    TT_CHECK(has(&r.hdrs, ":method: GET\n"));
    TT_CHECK(has(&r.hdrs, ":method: POST\n"));
    TT_CHECK(has(&r.hdrs, ":path: /login?user=bob&password=**********\n"));
    TT_CHECK(has(&r.hdrs, ":path: /index.html\n"));
    TT_CHECK(has(&r.hdrs, ":authority: example.com\n"));
    TT_CHECK(has(&r.hdrs, "user-agent: curl/8.1.2\n"));
    TT_CHECK(has(&r.hdrs, "authorization: Bearer *******************\n"));
    TT_CHECK(has(&r.hdrs, "x-api-key: "));
    TT_CHECK(has(&r.hdrs, "accept: */*\n"));
    TT_CHECK(has(&r.hdrs, "cookie: "));
    TT_CHECK(has(&r.hdrs, "content-type: text/plain\n"));
    TT_EQ_INT(r.data.len, strlen("hello body, nothing secret"));
    TT_CHECK(has(&r.data, "hello body, nothing secret"));
    TT_CHECK(r.max_payload <= 16384);
    TT_EQ_INT(st.header_blocks, 3);
    TT_EQ_INT(st.header_fields, 22);
    TT_EQ_INT(st.blocks_withheld, 0);
    TT_EQ_INT(st.hpack_errors, 0);
    TT_CHECK(st.header_bytes_redacted >= 10 + 19 * 3 + 14 * 2 + 15);
    TT_EQ_INT(st.bytes_in, in.len);
    TT_EQ_INT(st.bytes_out, o.len);
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

static void test_rule_counts(void)
{
    struct sb in = {0}, o = {0};
    client_stream(&in, 0, 0);
    static const uint8_t key[TR_REDACT_KEY_LEN] = {7};
    struct tr_redact_opts ro = {.mask_char = '#', .token_key = key};
    struct tr_h2dir *d = tr_h2dir_new(1, RS, &ro, sink, &o);
    TT_CHECK(d != NULL);
    TT_EQ_INT(tr_h2dir_push(d, in.p, in.len), 0);
    TT_EQ_INT(tr_h2dir_finish(d), 0);
    size_t auth = SIZE_MAX;
    for (size_t i = 0; i < tr_rules_count(RS); i++)
        if (!strcmp(tr_rules_id(RS, i), "http-authorization"))
            auth = i;
    TT_CHECK(auth != SIZE_MAX);
    TT_EQ_INT(tr_h2dir_rule_matches(d, auth), 3);
    struct tr_redact_stats rs;
    tr_h2dir_redact_stats(d, &rs);
    TT_CHECK(rs.bytes_masked > 0);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_CHECK(has(&r.hdrs, "authorization: Bearer ###################\n"));
    parsed_free(&r);
    tr_h2dir_free(d);
    sb_free(&in);
    sb_free(&o);
}

static void test_continuation_padding_priority(void)
{
    struct sb in = {0}, o = {0}, ref = {0};
    client_stream(&in, 7, 1);
    run(&in, 1, 0, 0, &o, NULL);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.blocks, 3);
    TT_CHECK(!r.padded_seen);
    TT_CHECK(r.prio_seen);
    TT_CHECK(no_secret(&o));
    TT_CHECK(has(&r.hdrs, ":path: /login?user=bob&password=**********\n"));
    TT_CHECK(has(&r.data, "hello body, nothing secret"));
    /* the same requests without CONTINUATION/padding decode to the same fields */
    struct sb in2 = {0};
    client_stream(&in2, 0, 0);
    run(&in2, 1, 0, 0, &ref, NULL);
    struct parsed r2;
    parse_out(ref.p, ref.len, 1, &r2);
    TT_CHECK(r.hdrs.len == r2.hdrs.len && !memcmp(r.hdrs.p, r2.hdrs.p, r.hdrs.len));
    parsed_free(&r);
    parsed_free(&r2);
    sb_free(&in);
    sb_free(&in2);
    sb_free(&o);
    sb_free(&ref);
}

static void test_split_invariance(void)
{
    struct sb in = {0}, whole = {0};
    client_stream(&in, 5, 1);
    run(&in, 1, 0, 0, &whole, NULL);
    int same = 1;
    for (size_t cut = 0; cut <= in.len; cut++) {
        struct sb o = {0};
        run(&in, 1, SIZE_MAX, cut, &o, NULL);
        if (o.len != whole.len || memcmp(o.p, whole.p, o.len))
            same = 0;
        sb_free(&o);
    }
    TT_CHECK(same);
    size_t pieces[] = {1, 2, 3, 9, 10, 17};
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        struct sb o = {0};
        run(&in, 1, pieces[k], 0, &o, NULL);
        TT_CHECK(o.len == whole.len && !memcmp(o.p, whole.p, o.len));
        sb_free(&o);
    }
    sb_free(&in);
    sb_free(&whole);
}

static void test_server_response(void)
{
    struct sb in = {0}, o = {0};
    nghttp2_hd_deflater *def;
    if (nghttp2_hd_deflate_new(&def, 4096))
        abort();
    put_settings(&in);
    const struct hf h[] = {
        {":status", "200"}, {"content-type", "text/html"},
        {"set-cookie", "sessionid=sessval-77a9; HttpOnly; Path=/"}, {"server", "nginx"},
    };
    put_headers(&in, def, 1, h, 4, 0, 0, 0);
    put_data(&in, 1, "<html>ok</html>", 0);
    /* trailers reuse the dynamic table */
    put_headers(&in, def, 1, h + 2, 1, 1, 0, 0);
    nghttp2_hd_deflate_del(def);
    struct tr_h2_stats st;
    run(&in, 0, 0, 0, &o, &st);
    struct parsed r;
    parse_out(o.p, o.len, 0, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.blocks, 2);
    TT_CHECK(no_secret(&o));
    TT_CHECK(has(&r.hdrs, ":status: 200\n"));
    TT_CHECK(has(&r.hdrs, "server: nginx\n"));
    TT_CHECK(has(&r.hdrs, "set-cookie: sessionid="));
    TT_CHECK(has(&r.hdrs, "; HttpOnly; Path=/\n"));
    TT_CHECK(has(&r.data, "<html>ok</html>"));
    TT_EQ_INT(st.blocks_withheld, 0);
    TT_EQ_INT(st.responses, 1); /* the trailers are not a second response */
    TT_EQ_INT(st.requests, 0);
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

/* DATA payloads of stream sid in an output frame sequence (server side). */
static void data_of(const uint8_t *p, size_t n, uint32_t sid, struct sb *out)
{
    for (size_t i = 0; i + 9 <= n;) {
        size_t len = ((size_t)p[i] << 16) | ((size_t)p[i + 1] << 8) | p[i + 2];
        uint32_t s = ((uint32_t)p[i + 5] << 24) | ((uint32_t)p[i + 6] << 16) | ((uint32_t)p[i + 7] << 8) | p[i + 8];
        if (len > n - i - 9)
            break;
        if (p[i + 3] == 0 && s == sid)
            sb_put(out, p + i + 9, len);
        i += 9 + len;
    }
}

static void put_data_n(struct sb *b, uint32_t sid, const uint8_t *p, size_t n, int end_stream)
{
    frame_hdr(b, n, 0, end_stream ? 1 : 0, sid);
    sb_put(b, p, n);
}

/* Content-encoded bodies: gzip is decoded per stream (split over DATA
 * frames), redacted, and written with content-encoding and content-length
 * removed; an unknown coding is withheld and said in the header block;
 * corrupt data is withheld from where it fails, said in a trailer block. */
static void test_encoded_bodies(void)
{
    struct sb in = {0}, o = {0};
    nghttp2_hd_deflater *def;
    if (nghttp2_hd_deflate_new(&def, 4096))
        abort();
    put_settings(&in);
    const char body[] = "{\"user\":\"alice\",\"password\":\"hunter2xyz\",\"note\":\"decoded ok\"}";
    struct sb z = {0}; /* gzip, level 9 */
    enc_zlib_level(&z, body, sizeof body - 1, ENC_GZIP, 9, 8);
    const struct hf h1[] = {{":status", "200"}, {"content-type", "application/json"},
                            {"content-encoding", "gzip"}, {"content-length", "99"}};
    const struct hf h3[] = {{":status", "200"}, {"content-encoding", "compress"}, {"content-length", "20"}};
    const struct hf h5[] = {{":status", "200"}, {"content-encoding", "gzip"}};
    const struct hf h7[] = {{":status", "200"}, {"content-encoding", "identity"}};
    put_headers(&in, def, 1, h1, 4, 0, 0, 0);
    put_headers(&in, def, 3, h3, 3, 0, 0, 0);
    put_headers(&in, def, 5, h5, 2, 0, 0, 0);
    put_headers(&in, def, 7, h7, 2, 0, 0, 0);
    put_data_n(&in, 1, z.p, 10, 0); /* split across frames, interleaved */
    put_data(&in, 3, "\x1f\x9dpassword=hunter2xyz", 1);
    put_data(&in, 5, "\x1f\x8b\x08\x00garbage-hunter2xyz", 1);
    put_data_n(&in, 1, z.p + 10, z.len - 10, 1);
    put_data(&in, 7, "plain body", 1);
    nghttp2_hd_deflate_del(def);
    struct tr_h2_stats st;
    run(&in, 0, 0, 0, &o, &st);
    struct parsed r;
    parse_out(o.p, o.len, 0, &r);
    TT_CHECK(r.ok);
    TT_CHECK(no_secret(&o));
    TT_CHECK(!has(&r.hdrs, "content-encoding: gzip"));
    TT_CHECK(!has(&r.hdrs, "content-encoding: compress"));
    TT_CHECK(!has(&r.hdrs, "content-length"));
    TT_CHECK(has(&r.hdrs, "x-tlsredact-withheld: unknown-coding\n"));
    TT_CHECK(has(&r.hdrs, "x-tlsredact-withheld: decode-error\n"));
    TT_CHECK(has(&r.hdrs, "content-encoding: identity\n"));
    TT_CHECK(has(&r.data, "{\"user\":\"alice\",\"password\":\"**********\",\"note\":\"decoded ok\"}"));
    TT_CHECK(has(&r.data, "plain body"));
    TT_CHECK(!has(&o, "garbage"));
    TT_EQ_INT(st.encoded_bodies, 1);
    TT_EQ_INT(st.bodies_decoded, 1);
    TT_EQ_INT(st.bytes_decoded, sizeof body - 1);
    TT_EQ_INT(st.bodies_withheld[TR_H1W_UNKNOWN_CODING], 1);
    TT_EQ_INT(st.bodies_withheld[TR_H1W_DECODE_ERROR], 1);
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
    sb_free(&z);
}

/* Rules from text, through a temporary file (removed once loaded); NULL
 * (and a failed check) when they do not load. */
static struct tr_ruleset *rules_from_text(const char *tag, const char *text)
{
    char pbuf[64];
    snprintf(pbuf, sizeof pbuf, "/tmp/test_h2_%s.%ld.rules", tag, (long)getpid());
    const char *path = pbuf;
    FILE *f = fopen(path, "w");
    TT_CHECK(f != NULL);
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    struct tr_ruleset *rs = NULL;
    char err[256];
    TT_EQ_INT(tr_rules_load(&rs, &path, 1, err, sizeof err), 0);
    remove(path);
    return rs;
}

/* Body-scoped rules follow the stream's content-type; a drop rule shortens
 * the body and the output stays framed (DATA is re-framed); the output does
 * not depend on how DATA was cut. */
static void test_body_scope_and_drop(void)
{
    struct tr_ruleset *rs = rules_from_text(
        "scope", "rule t-json\nscope body:json\npattern \"name\":\"(?<secret>[^\"]{1,64})\"\nkeywords name\n"
                 "match \"name\":\"bob\"\n"
                 "rule t-drop\npattern DROP-[a-z]{1,32}\nkeywords DROP-\naction drop\nmatch DROP-abc\n");
    if (!rs)
        return;
    struct sb in = {0};
    nghttp2_hd_deflater *def;
    if (nghttp2_hd_deflate_new(&def, 4096))
        abort();
    put_settings(&in);
    const struct hf hj[] = {{":status", "200"}, {"content-type", "application/json; charset=utf-8"},
                            {"content-length", "40"}};
    const struct hf ht[] = {{":status", "200"}, {"content-type", "text/plain"}};
    put_headers(&in, def, 1, hj, 3, 0, 0, 0);
    put_headers(&in, def, 3, ht, 2, 0, 0, 0);
    put_data(&in, 1, "{\"name\":\"bo", 0);
    put_data(&in, 3, "\"name\":\"carol\" DROP-", 0);
    put_data(&in, 1, "b\",\"x\":\"DROP-secret\"}", 1);
    put_data(&in, 3, "zzz end", 1);
    nghttp2_hd_deflate_del(def);
    struct sb o[3] = {{0}};
    for (int v = 0; v < 3; v++) {
        struct tr_h2dir *d = tr_h2dir_new(0, rs, NULL, sink, &o[v]);
        size_t piece = v == 0 ? in.len : v == 1 ? 1 : 7;
        for (size_t i = 0; i < in.len; i += piece)
            TT_EQ_INT(tr_h2dir_push(d, in.p + i, in.len - i < piece ? in.len - i : piece), 0);
        TT_EQ_INT(tr_h2dir_finish(d), 0);
        if (v == 0) {
            struct tr_redact_stats rst;
            tr_h2dir_redact_stats(d, &rst);
            TT_EQ_INT(rst.bytes_withheld_drop, strlen("DROP-secret") + strlen("DROP-zzz"));
            TT_EQ_INT(tr_h2dir_rule_matches(d, 0), 1);
            TT_EQ_INT(tr_h2dir_rule_matches(d, 1), 2);
        }
        tr_h2dir_free(d);
    }
    TT_CHECK(o[0].len == o[1].len && !memcmp(o[0].p, o[1].p, o[0].len));
    TT_CHECK(o[0].len == o[2].len && !memcmp(o[0].p, o[2].p, o[0].len));
    struct parsed r;
    parse_out(o[0].p, o[0].len, 0, &r);
    TT_CHECK(r.ok);
    TT_CHECK(!has(&r.hdrs, "content-length")); /* a drop rule exists */
    struct sb s1 = {0}, s3 = {0};
    data_of(o[0].p, o[0].len, 1, &s1);
    data_of(o[0].p, o[0].len, 3, &s3);
    TT_CHECK(s1.len == strlen("{\"name\":\"***\",\"x\":\"\"}") && has(&s1, "{\"name\":\"***\",\"x\":\"\"}"));
    TT_CHECK(s3.len == strlen("\"name\":\"carol\"  end") && has(&s3, "\"name\":\"carol\"  end"));
    sb_free(&s1);
    sb_free(&s3);
    TT_CHECK(!has(&o[0], "DROP-"));
    parsed_free(&r);
    for (int v = 0; v < 3; v++)
        sb_free(&o[v]);
    sb_free(&in);
    tr_rules_free(rs);
}

/* A block that outgrows one frame is written as HEADERS + CONTINUATION. */
static void test_large_block(void)
{
    struct sb in = {0}, o = {0};
    nghttp2_hd_deflater *def;
    if (nghttp2_hd_deflate_new(&def, 4096))
        abort();
    sb_put(&in, PREFACE, 24);
    char *big = malloc(40001);
    for (size_t i = 0; i < 40000; i++)
        big[i] = (char)('a' + i % 26);
    big[40000] = 0;
    const struct hf h[] = {
        {":method", "GET"}, {":path", "/"}, {"x-big", big},
        {"authorization", "Basic sekrit-token-123456"},
    };
    put_headers(&in, def, 1, h, 4, 1, 16000, 0);
    nghttp2_hd_deflate_del(def);
    run(&in, 1, 0, 0, &o, NULL);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.blocks, 1);
    TT_CHECK(r.max_payload == 16384);
    TT_CHECK(has(&r.hdrs, big));
    TT_CHECK(no_secret(&o));
    free(big);
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

/* Block beyond TR_H2_MAX_HEADER_BLOCK: withheld, the next still decodes. */
static void test_block_limit(void)
{
    struct sb in = {0}, o = {0};
    nghttp2_hd_deflater *def;
    if (nghttp2_hd_deflate_new(&def, 4096))
        abort();
    sb_put(&in, PREFACE, 24);
    size_t vl = 60000;
    char *big = malloc(vl + 1);
    memset(big, 'q', vl);
    big[vl] = 0;
    const struct hf h[] = {{":method", "GET"}, {"x-1", big}, {"x-2", big}, {"x-3", big},
                           {"x-4", big}, {"x-5", big}, {"cookie", "a=cookiesecret42"}};
    put_headers(&in, def, 1, h, 7, 1, 16384, 0);
    const struct hf h2[] = {{":method", "GET"}, {":path", "/after"}, {"cookie", "a=cookiesecret42"}};
    put_headers(&in, def, 3, h2, 3, 1, 0, 0);
    nghttp2_hd_deflate_del(def);
    struct tr_h2_stats st;
    run(&in, 1, 0, 0, &o, &st);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.blocks, 2);
    TT_CHECK(has(&r.hdrs, "x-tlsredact-withheld: *\n--\n:method: GET\n:path: /after\n"));
    TT_CHECK(!has(&o, "qqqqqqqq"));
    TT_CHECK(no_secret(&o));
    TT_EQ_INT(st.blocks_withheld, 1);
    TT_EQ_INT(st.header_blocks, 1);
    TT_CHECK(st.limit_hits >= 1);
    free(big);
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

/* HPACK garbage: withheld, and every later block too (table lost); other
 * frames still pass. */
static void test_hpack_garbage(void)
{
    struct sb in = {0}, o = {0};
    sb_put(&in, PREFACE, 24);
    /* literal with incremental indexing, new name, then a string length far
     * beyond the block: an HPACK error after some plain secret bytes */
    static const uint8_t g[] = "\x40\x0d" "authorization" "\x7f\xff\xff\xff\x0f" "hunter2xyz";
    frame_hdr(&in, sizeof g - 1, 1, 5, 1);
    sb_put(&in, g, sizeof g - 1);
    put_data(&in, 1, "plain data", 0);
    static const uint8_t idx[] = {0xbe}; /* dynamic index 62: now unknown */
    frame_hdr(&in, 1, 1, 5, 3);
    sb_put(&in, idx, 1);
    static const uint8_t ok[] = "\x82\x84\x00\x06" "cookie" "\x0e" "cookiesecret42";
    frame_hdr(&in, sizeof ok - 1, 1, 5, 5);
    sb_put(&in, ok, sizeof ok - 1);
    struct tr_h2_stats st;
    run(&in, 1, 0, 0, &o, &st);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.blocks, 3);
    TT_CHECK(has(&r.hdrs, "x-tlsredact-withheld: *\n--\nx-tlsredact-withheld: *\n--\n"
                          "x-tlsredact-withheld: *\n--\n"));
    /* its codings are unknown: the body of a withheld block is withheld */
    TT_CHECK(!has(&r.data, "plain data"));
    TT_EQ_INT(st.data_withheld, strlen("plain data"));
    TT_EQ_INT(st.bodies_withheld[TR_H1W_MALFORMED], 3);
    TT_CHECK(no_secret(&o));
    TT_CHECK(!has(&o, "authorization"));
    TT_EQ_INT(st.hpack_errors, 1);
    TT_EQ_INT(st.blocks_withheld, 3);
    TT_CHECK(st.hpack_lost);
    parsed_free(&r);
    sb_free(&in);
    sb_free(&o);
}

/* Frame sequence errors are connection errors (RFC 9113 §5.4.1): what
 * follows is masked, a block in progress withheld. */
static void test_protocol_errors(void)
{
    static const uint8_t a[] = "\x00\x0d" "authorization" "\x0a" "hunter2xyz";
    for (int c = 0; c < 5; c++) {
        struct sb in = {0}, o = {0};
        sb_put(&in, PREFACE, 24);
        put_settings(&in);
        size_t good = in.len;
        switch (c) {
        case 0: /* HEADERS interrupted by DATA */
            frame_hdr(&in, 10, 1, 1, 1);
            sb_put(&in, a, 10);
            put_data(&in, 1, "hunter2xyz", 1);
            break;
        case 1: /* CONTINUATION without a block */
            frame_hdr(&in, sizeof a - 1, 9, 4, 1);
            sb_put(&in, a, sizeof a - 1);
            break;
        case 2: /* CONTINUATION of another stream */
            frame_hdr(&in, 10, 1, 1, 1);
            sb_put(&in, a, 10);
            frame_hdr(&in, sizeof a - 1 - 10, 9, 4, 3);
            sb_put(&in, a + 10, sizeof a - 1 - 10);
            break;
        case 3: /* pad length beyond the frame */
            frame_hdr(&in, 3 + sizeof a - 1, 1, 0x0d, 3);
            sb_put(&in, "\x7f", 1);
            sb_put(&in, a, sizeof a - 1);
            sb_put(&in, "\x82\x84", 2);
            break;
        case 4: /* PUSH_PROMISE too short for its promised stream id */
            frame_hdr(&in, 3, 5, 4, 1);
            sb_put(&in, "\x00\x00\x02", 3);
            put_data(&in, 1, "hunter2xyz", 1);
            break;
        }
        struct tr_h2_stats st;
        run(&in, 1, 0, 0, &o, &st);
        TT_CHECK(o.len >= good && !memcmp(o.p, in.p, good));
        int stars = 1;
        for (size_t i = good; i < o.len; i++)
            stars &= o.p[i] == '*';
        TT_CHECK(stars);
        TT_CHECK(no_secret(&o));
        TT_CHECK(!has(&o, "authorization"));
        TT_EQ_INT(st.protocol_errors, 1);
        TT_CHECK(st.lost);
        sb_free(&in);
        sb_free(&o);
    }
}

/* After a gap nothing but '*' leaves; a block in progress is withheld. */
static void test_gap(void)
{
    struct sb in = {0}, o = {0};
    client_stream(&in, 0, 0);
    struct tr_h2dir *d = tr_h2dir_new(1, RS, NULL, sink, &o);
    size_t cut = 24 + 21 + 15; /* inside the first HEADERS frame */
    TT_EQ_INT(tr_h2dir_push(d, in.p, cut), 0);
    tr_h2dir_gap(d);
    size_t before = o.len;
    TT_EQ_INT(tr_h2dir_push(d, in.p + cut + 5, in.len - cut - 5), 0);
    TT_EQ_INT(tr_h2dir_finish(d), 0);
    TT_EQ_INT(before, 24 + 21);
    TT_EQ_INT(o.len, before + in.len - cut - 5);
    int stars = 1;
    for (size_t i = before; i < o.len; i++)
        stars &= o.p[i] == '*';
    TT_CHECK(stars);
    struct tr_h2_stats st;
    tr_h2dir_stats(d, &st);
    TT_CHECK(st.lost);
    TT_EQ_INT(st.blocks_withheld, 1);
    tr_h2dir_free(d);
    sb_free(&in);
    sb_free(&o);
}

static void test_bad_preface(void)
{
    struct sb o = {0};
    struct tr_h2dir *d = tr_h2dir_new(1, RS, NULL, sink, &o);
    static const char req[] = "PRI * HTTP/2.0\r\nAuthorization: Bearer hunter2xyz\r\n";
    TT_EQ_INT(tr_h2dir_push(d, (const uint8_t *)req, sizeof req - 1), 0);
    TT_EQ_INT(o.len, sizeof req - 1);
    TT_CHECK(!has(&o, "hunter2xyz"));
    TT_CHECK(!memcmp(o.p, "PRI * HTTP/2.0\r\n****", 20));
    tr_h2dir_free(d);
    sb_free(&o);
}

/* CR/LF inside a value cannot forge a line, and the drop action withholds
 * the whole value. */
static void test_injection_and_drop(void)
{
    struct tr_ruleset *rs = rules_from_text(
        "drop", "rule t-drop\npattern (?m)^x-drop:[ \\t]*(?<secret>[^\\r\\n]{1,100})\nkeywords x-drop\n"
                "action drop\nmatch x-drop: abc\\r\\n\n"
                "rule t-line\npattern (?m)^authorization: (?<secret>[^\\r\\n]{1,100})\n"
                "keywords authorization\nmatch authorization: x\\r\\n\n");
    if (!rs)
        return;
    struct sb in = {0}, o = {0};
    nghttp2_hd_deflater *def;
    if (nghttp2_hd_deflate_new(&def, 4096))
        abort();
    sb_put(&in, PREFACE, 24);
    const struct hf h[] = {{":method", "GET"}, {"x-drop", "dropme-value"},
                           {"x-note", "a\r\nauthorization: notaheader"}, {"x-keep", "keep"}};
    put_headers(&in, def, 1, h, 4, 1, 0, 0);
    nghttp2_hd_deflate_del(def);
    struct tr_h2dir *d = tr_h2dir_new(1, rs, NULL, sink, &o);
    TT_EQ_INT(tr_h2dir_push(d, in.p, in.len), 0);
    TT_EQ_INT(tr_h2dir_finish(d), 0);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_CHECK(has(&r.hdrs, "x-drop: ************\n"));
    TT_CHECK(has(&r.hdrs, "x-note: a\r\nauthorization: notaheader\n"));
    TT_CHECK(has(&r.hdrs, "x-keep: keep\n"));
    TT_CHECK(!has(&o, "dropme"));
    struct tr_redact_stats rst;
    tr_h2dir_redact_stats(d, &rst);
    TT_EQ_INT(rst.bytes_withheld_drop, 12);
    parsed_free(&r);
    tr_h2dir_free(d);
    tr_rules_free(rs);
    sb_free(&in);
    sb_free(&o);
}

/* A sender whose peer allowed a larger table announces it with a size
 * update: accepted up to TR_H2_MAX_HPACK_TABLE, beyond it fail closed. */
static void test_table_size_update(void)
{
    size_t sizes[] = {65536, 100000};
    for (size_t k = 0; k < 2; k++) {
        struct sb in = {0}, o = {0};
        nghttp2_hd_deflater *def;
        if (nghttp2_hd_deflate_new(&def, sizes[k]) ||
            nghttp2_hd_deflate_change_table_size(def, sizes[k]))
            abort();
        sb_put(&in, PREFACE, 24);
        const struct hf h[] = {{":method", "GET"}, {":path", "/?token=hunter2xyz"},
                               {"x-plain", "visible"}};
        put_headers(&in, def, 1, h, 3, 1, 0, 0);
        put_headers(&in, def, 3, h, 3, 1, 0, 0);
        nghttp2_hd_deflate_del(def);
        struct tr_h2_stats st;
        run(&in, 1, 0, 0, &o, &st);
        struct parsed r;
        parse_out(o.p, o.len, 1, &r);
        TT_CHECK(r.ok);
        TT_EQ_INT(r.blocks, 2);
        TT_CHECK(no_secret(&o));
        if (k == 0) {
            TT_CHECK(has(&r.hdrs, ":path: /?token=**********\nx-plain: visible\n--\n"
                                  ":method: GET\n:path: /?token=**********\nx-plain: visible\n"));
            TT_EQ_INT(st.blocks_withheld, 0);
        } else {
            TT_EQ_INT(st.blocks_withheld, 2);
            TT_EQ_INT(st.hpack_errors, 1);
        }
        parsed_free(&r);
        sb_free(&in);
        sb_free(&o);
    }
}

static int hcb_calls;
static int hcb(void *ctx, uint32_t sid, int type, int withheld, const uint8_t *t, size_t n)
{
    sb_put(ctx, t, n);
    hcb_calls++;
    (void)sid;
    (void)type;
    (void)withheld;
    return 0;
}

static void test_headers_callback(void)
{
    struct sb in = {0}, o = {0}, txt = {0};
    client_stream(&in, 0, 0);
    struct tr_h2dir *d = tr_h2dir_new(1, RS, NULL, sink, &o);
    tr_h2dir_set_headers_cb(d, hcb, &txt);
    TT_EQ_INT(tr_h2dir_push(d, in.p, in.len), 0);
    TT_EQ_INT(hcb_calls, 3);
    TT_CHECK(has(&txt, ":method: GET\r\n:scheme: https\r\n"));
    TT_CHECK(has(&txt, ":path: /login?user=bob&password=**********\r\n"));
    TT_CHECK(no_secret(&txt));
    tr_h2dir_free(d);
    sb_free(&in);
    sb_free(&o);
    sb_free(&txt);
}

/* Empty header blocks (trailers may be empty) and an empty SETTINGS. */
static void test_empty_block(void)
{
    struct sb in = {0}, o = {0}, txt = {0};
    sb_put(&in, PREFACE, 24);
    frame_hdr(&in, 0, 4, 0, 0);
    frame_hdr(&in, 0, 1, 5, 1);
    frame_hdr(&in, 1, 1, 5, 3);
    sb_put(&in, "\x20", 1); /* only a table size update */
    struct tr_h2dir *d = tr_h2dir_new(1, RS, NULL, sink, &o);
    tr_h2dir_set_headers_cb(d, hcb, &txt);
    TT_EQ_INT(tr_h2dir_push(d, in.p, in.len), 0);
    TT_EQ_INT(tr_h2dir_finish(d), 0);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_EQ_INT(r.blocks, 2);
    TT_EQ_INT(r.hdrs.len, 6);
    TT_EQ_INT(txt.len, 0);
    struct tr_h2_stats st;
    tr_h2dir_stats(d, &st);
    TT_EQ_INT(st.header_blocks, 2);
    TT_EQ_INT(st.blocks_withheld, 0);
    parsed_free(&r);
    tr_h2dir_free(d);
    sb_free(&in);
    sb_free(&o);
    sb_free(&txt);
}

/* Without rules the fields are re-encoded unchanged. */
static void test_no_rules(void)
{
    struct sb in = {0}, o = {0};
    client_stream(&in, 3, 1);
    struct tr_h2dir *d = tr_h2dir_new(1, NULL, NULL, sink, &o);
    TT_EQ_INT(tr_h2dir_push(d, in.p, in.len), 0);
    struct parsed r;
    parse_out(o.p, o.len, 1, &r);
    TT_CHECK(r.ok);
    TT_CHECK(has(&r.hdrs, "authorization: Bearer sekrit-token-123456\n"));
    parsed_free(&r);
    tr_h2dir_free(d);
    sb_free(&in);
    sb_free(&o);
}

int main(void)
{
    const char *root = getenv("TR_ROOT");
    char path[512];
    snprintf(path, sizeof path, "%s/rules", root ? root : ".");
    const char *p = path;
    char err[256];
    if (tr_rules_load(&RS, &p, 1, err, sizeof err) != 0) {
        printf("FAIL load rules: %s\n", err);
        return 1;
    }
    TT_RUN(test_request_redacted);
    TT_RUN(test_encoded_bodies);
    TT_RUN(test_body_scope_and_drop);
    TT_RUN(test_rule_counts);
    TT_RUN(test_continuation_padding_priority);
    TT_RUN(test_split_invariance);
    TT_RUN(test_server_response);
    TT_RUN(test_large_block);
    TT_RUN(test_block_limit);
    TT_RUN(test_hpack_garbage);
    TT_RUN(test_protocol_errors);
    TT_RUN(test_gap);
    TT_RUN(test_bad_preface);
    TT_RUN(test_table_size_update);
    TT_RUN(test_injection_and_drop);
    TT_RUN(test_headers_callback);
    TT_RUN(test_empty_block);
    TT_RUN(test_no_rules);
    tr_rules_free(RS);
    TT_DONE();
}
