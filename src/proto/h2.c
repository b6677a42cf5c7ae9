/* h2.c - see h2.h. */
#include "proto/h2.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/ascii.h"
#include "core/fill.h"
#include "core/wipealloc.h"
#include "proto/bodydec.h"
#include "proto/media.h"

#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN 24

enum { F_DATA = 0, F_HEADERS = 1, F_RST_STREAM = 3, F_PUSH_PROMISE = 5, F_CONTINUATION = 9 };
enum { FL_END_STREAM = 0x1, FL_END_HEADERS = 0x4, FL_PADDED = 0x8, FL_PRIORITY = 0x20 };
enum { K_PASS, K_BLOCK, K_DATA };


static const char wname[] = "x-tlsredact-withheld";

/* One decoded field: offsets into the rendered text. */
struct field {
    size_t no, nl, vo, vl;
};

struct tr_h2dir;

/* Body state of one stream. */
struct h2s {
    struct tr_h2dir *d;
    uint32_t sid;
    int used;
    int final_seen;        /* request / final response header block seen */
    int media;             /* enum tr_media of the body */
    int cod[TR_BODYDEC_MAX_CODINGS];
    int ncod;              /* codings to decode, order of application */
    int uninspected;       /* unknown coding passed (allow_uninspected) */
    int why;               /* TR_H1W_* + 1 once the body is withheld */
    int said;              /* ... and the header block says so */
    struct tr_bodydec *dec;
    struct tr_redactor *red;
    struct tr_buf pend;    /* redacted body not yet framed */
    uint64_t used_at;      /* frame counter at last use (eviction) */
};

struct tr_h2dir {
    int client;
    const struct tr_ruleset *rules;
    struct tr_redact_opts ropts; /* for body redactors (token key borrowed
                                    only at creation: see tr_h2dir_new) */
    uint8_t key[TR_REDACT_KEY_LEN];
    int have_key;
    int any_drop;          /* some rule drops: content-length is removed */
    tr_h2_body_fn bcb;
    void *bctx;
    struct h2s *streams;   /* TR_H2_MAX_STREAMS */
    size_t ndecoding;
    struct h2s *cur;       /* stream of the DATA frame being read */
    uint64_t *rmatch, *rbytes; /* per rule, of closed body redactors */
    struct tr_redact_stats bst;
    size_t preface_got;
    tr_h2_emit_fn emit;
    void *ctx;
    tr_h2_headers_fn hcb;
    void *hctx;
    struct tr_redactor *red;
    int red_failed;
    uint64_t red_off;      /* bytes pushed into red so far */
    char mask;
    nghttp2_hd_inflater *inf;
    nghttp2_hd_deflater *def;
    size_t mem_used;
    /* nghttp2 1.52 keeps a pointer to this (despite its documentation) */
    nghttp2_mem mem;

    /* current frame */
    uint8_t hdr[9];
    size_t hdr_have;
    int in_frame, kind;
    uint32_t flen, fpos, sid;
    uint8_t type, flags;
    /* header block frame: pad length, priority, promised id before the
     * fragment; padding after it */
    uint8_t pre[6];
    size_t pre_need, pre_have;
    uint32_t frag_left;

    /* header block being collected */
    int blk_open, blk_over;
    uint8_t blk_type, blk_flags;
    uint32_t blk_sid;
    uint8_t blk_extra[5];  /* priority fields or promised stream id */
    size_t blk_extra_len;
    uint64_t blk_in;       /* input bytes of the block's frames */
    struct tr_buf txt;     /* rendered fields, raw bytes */
    struct tr_buf out;     /* redacted rendering */
    struct tr_buf wh;      /* 1 per byte not emitted by the redactor */
    struct tr_buf fields;  /* struct field */

    int lost, hpack_lost;
    int wire_closed;               /* nothing more may be written */
    int allow_uninspected;         /* unknown codings pass as they are */
    struct tr_h2_stats st;
};

/* ---- accounting, wiping allocator for nghttp2 ---- */

static void *m_malloc(size_t n, void *ud)
{
    struct tr_h2dir *d = ud;
    if (n > TR_H2_MAX_MEMORY - d->mem_used) {
        d->st.limit_hits++;
        return NULL;
    }
    void *p = tr_wipe_alloc(n);
    if (p)
        d->mem_used += n;
    return p;
}

static void m_free(void *ptr, void *ud)
{
    struct tr_h2dir *d = ud;
    if (!ptr)
        return;
    d->mem_used -= tr_wipe_size(ptr);
    tr_wipe_free(ptr);
}

static void *m_calloc(size_t k, size_t n, void *ud)
{
    if (n && k > SIZE_MAX / n)
        return NULL;
    void *p = m_malloc(k * n, ud);
    if (p)
        memset(p, 0, k * n);
    return p;
}

static void *m_realloc(void *ptr, size_t n, void *ud)
{
    if (!ptr)
        return m_malloc(n, ud);
    if (n == 0) {
        m_free(ptr, ud);
        return NULL;
    }
    size_t old = tr_wipe_size(ptr);
    void *np = m_malloc(n, ud);
    if (!np)
        return NULL;
    memcpy(np, ptr, old < n ? old : n);
    m_free(ptr, ud);
    return np;
}

static int make_inflater(struct tr_h2dir *d)
{
    if (nghttp2_hd_inflate_new2(&d->inf, &d->mem) != 0) {
        d->inf = NULL;
        return TR_E_NOMEM;
    }
    /* senders may use any table size their peer allowed: accept updates up
     * to our ceiling (the table itself starts at 4096, as RFC 7541 says) */
    nghttp2_hd_inflate_change_table_size(d->inf, TR_H2_MAX_HPACK_TABLE);
    return 0;
}

static int make_deflater(struct tr_h2dir *d)
{
    /* table size 0: the first block opens with a size update 0 and nothing
     * is ever indexed */
    if (nghttp2_hd_deflate_new2(&d->def, 0, &d->mem) != 0) {
        d->def = NULL;
        return TR_E_NOMEM;
    }
    return 0;
}

/* ---- redactor sink ---- */

static int red_emit(void *ctx, const uint8_t *data, size_t len, uint64_t in_off, int kind)
{
    struct tr_h2dir *d = ctx;
    if (in_off < d->red_off)
        return 0;
    uint64_t off = in_off - d->red_off;
    if (off > d->out.len || len > d->out.len - off)
        return 0; /* cannot happen; uncovered bytes stay withheld */
    if (kind == TR_EMIT_DATA) {
        memcpy(d->out.data + off, data, len);
        memset(d->wh.data + off, 0, len);
    }
    return 0;
}

/* ---- public ---- */

struct tr_h2dir *tr_h2dir_new(int client, const struct tr_ruleset *rules,
                              const struct tr_redact_opts *ropts,
                              tr_h2_emit_fn emit, void *ctx)
{
    struct tr_h2dir *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->client = client;
    d->emit = emit;
    d->ctx = ctx;
    d->mem = (nghttp2_mem){d, m_malloc, m_free, m_calloc, m_realloc};
    d->mask = ropts && ropts->mask_char ? ropts->mask_char : '*';
    tr_buf_init(&d->txt, TR_H2_MAX_HEADER_BLOCK);
    tr_buf_init(&d->out, TR_H2_MAX_HEADER_BLOCK);
    tr_buf_init(&d->wh, TR_H2_MAX_HEADER_BLOCK);
    tr_buf_init(&d->fields, TR_H2_MAX_HEADER_BLOCK / 4 * sizeof(struct field));
    d->rules = rules;
    if (ropts)
        d->ropts = *ropts;
    d->ropts.keep_length = 0; /* DATA is re-framed: drop may shorten it */
    if (ropts && ropts->token_key) {
        /* body redactors are made later than the caller's key lives */
        memcpy(d->key, ropts->token_key, TR_REDACT_KEY_LEN);
        d->ropts.token_key = d->key;
    }
    d->streams = calloc(TR_H2_MAX_STREAMS, sizeof *d->streams);
    if (!d->streams)
        goto fail;
    if (rules) {
        size_t nr = tr_rules_count(rules);
        d->rmatch = calloc(nr ? nr : 1, sizeof *d->rmatch);
        d->rbytes = calloc(nr ? nr : 1, sizeof *d->rbytes);
        if (!d->rmatch || !d->rbytes)
            goto fail;
        for (size_t i = 0; i < nr; i++)
            d->any_drop |= tr_rules_action(rules, i) == TR_ACT_DROP;
        d->red = tr_redactor_new(rules, &d->ropts, red_emit, d);
        if (!d->red || tr_redactor_set_media(d->red, TR_MEDIA_HEAD))
            goto fail;
    }
    if (make_inflater(d) || make_deflater(d))
        goto fail;
    return d;
fail:
    tr_h2dir_free(d);
    return NULL;
}

void tr_h2dir_set_headers_cb(struct tr_h2dir *d, tr_h2_headers_fn fn, void *ctx)
{
    d->hcb = fn;
    d->hctx = ctx;
}

void tr_h2dir_set_body_cb(struct tr_h2dir *d, tr_h2_body_fn fn, void *ctx)
{
    d->bcb = fn;
    d->bctx = ctx;
}

static void wipe_buf(struct tr_buf *b)
{
    if (b->data)
        tr_redact_wipe(b->data, b->len);
    b->len = 0;
    /* give back memory of an unusually large block */
    if (b->cap > 65536)
        tr_buf_free(b);
}

static void block_reset(struct tr_h2dir *d)
{
    d->blk_open = d->blk_over = 0;
    d->blk_in = 0;
    d->blk_extra_len = 0;
    wipe_buf(&d->txt);
    wipe_buf(&d->out);
    wipe_buf(&d->wh);
    wipe_buf(&d->fields);
}

static void s_free(struct tr_h2dir *d, struct h2s *s);

void tr_h2dir_free(struct tr_h2dir *d)
{
    if (!d)
        return;
    if (d->streams)
        for (size_t i = 0; i < TR_H2_MAX_STREAMS; i++)
            s_free(d, &d->streams[i]);
    free(d->streams);
    free(d->rmatch);
    free(d->rbytes);
    block_reset(d);
    tr_buf_free(&d->txt);
    tr_buf_free(&d->out);
    tr_buf_free(&d->wh);
    tr_buf_free(&d->fields);
    tr_redactor_free(d->red);
    if (d->inf)
        nghttp2_hd_inflate_del(d->inf);
    if (d->def)
        nghttp2_hd_deflate_del(d->def);
    tr_redact_wipe(d, sizeof *d);
    free(d);
}

static int out(struct tr_h2dir *d, const uint8_t *p, size_t n)
{
    if (!n)
        return 0;
    if (d->wire_closed) { /* see tr_h2dir_finish */
        d->st.bytes_withheld += n;
        return 0;
    }
    d->st.bytes_out += n;
    return d->emit(d->ctx, p, n);
}

/* Withheld bytes keep their length: n fill bytes go out instead. */
static int out_fill(void *ctx, const uint8_t *p, size_t n) { return out(ctx, p, n); }

static int out_stars(struct tr_h2dir *d, size_t n)
{
    d->st.bytes_withheld += n;
    return tr_fill_emit(out_fill, d, n);
}

static int out_frame_hdr(struct tr_h2dir *d, size_t len, uint8_t type, uint8_t flags, uint32_t sid)
{
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};
    return out(d, h, 9);
}

/* ---- bodies (DATA per stream) ---- */

static int deflate_and_emit(struct tr_h2dir *d, nghttp2_nv *nva, size_t nf, uint8_t type,
                            uint8_t flags, uint32_t sid, const uint8_t *extra, size_t extra_len);

/* The body's redactor and decoder go; their counts stay with d. */
static void s_close_red(struct tr_h2dir *d, struct h2s *s)
{
    if (s->red) {
        struct tr_redact_stats st;
        tr_redactor_stats(s->red, &st);
        d->bst.bytes_in += st.bytes_in;
        d->bst.bytes_masked += st.bytes_masked;
        d->bst.bytes_tokenized += st.bytes_tokenized;
        d->bst.bytes_withheld_drop += st.bytes_withheld_drop;
        d->bst.bytes_withheld_limit += st.bytes_withheld_limit;
        d->bst.limit_hits += st.limit_hits;
        size_t nr = tr_rules_count(d->rules);
        for (size_t i = 0; i < nr; i++) {
            d->rmatch[i] += tr_redactor_rule_matches(s->red, i);
            d->rbytes[i] += tr_redactor_rule_bytes(s->red, i);
        }
        tr_redactor_free(s->red);
        s->red = NULL;
    }
    if (s->dec) {
        tr_bodydec_free(s->dec);
        s->dec = NULL;
        d->ndecoding--;
    }
}

static void s_free(struct tr_h2dir *d, struct h2s *s)
{
    if (!s->used)
        return;
    s_close_red(d, s);
    tr_buf_free(&s->pend);
    memset(s, 0, sizeof *s);
}

/* Writes the stream's pending body as DATA frames: only whole frames of
 * TR_H2_OUT_FRAME bytes, unless all (then the rest too, with END_STREAM on
 * the last frame when end - an empty frame if nothing is left). */
static int s_frames(struct tr_h2dir *d, struct h2s *s, int all, int end)
{
    size_t pos = 0;
    int rc = 0;
    for (;;) {
        size_t left = s->pend.len - pos;
        size_t k = left < TR_H2_OUT_FRAME ? left : TR_H2_OUT_FRAME;
        if (!all && k < TR_H2_OUT_FRAME)
            break;
        if (all && !k && !end)
            break;
        int last = k == left;
        uint8_t fl = all && end && last ? FL_END_STREAM : 0;
        const uint8_t *q = k ? s->pend.data + pos : NULL;
        rc = out_frame_hdr(d, k, F_DATA, fl, s->sid);
        if (!rc)
            rc = out(d, q, k);
        if (!rc && d->bcb && (k || fl))
            rc = d->bcb(d->bctx, s->sid, q, k, 0, fl != 0);
        pos += k;
        if (rc || (all && last))
            break;
    }
    if (pos) {
        tr_redact_wipe(s->pend.data, pos);
        tr_buf_consume(&s->pend, pos);
    }
    return rc;
}

static int s_red_emit(void *ctx, const uint8_t *data, size_t len, uint64_t in_off, int kind)
{
    struct h2s *s = ctx;
    struct tr_h2dir *d = s->d;
    (void)in_off;
    if (kind != TR_EMIT_DATA)
        return d->bcb ? d->bcb(d->bctx, s->sid, NULL, len, kind == TR_EMIT_WITHHELD_DROP ? 1 : 2, 0) : 0;
    int rc = tr_buf_append(&s->pend, data, len);
    if (!rc && s->pend.len >= TR_H2_OUT_FRAME)
        rc = s_frames(d, s, 0, 0);
    return rc;
}

/* Decoded body bytes into the stream's redactor (made on first use, in the
 * media context of the stream's content-type). */
static int s_red_push(void *ctx, const uint8_t *p, size_t n)
{
    struct h2s *s = ctx;
    struct tr_h2dir *d = s->d;
    if (s->ncod)
        d->st.bytes_decoded += n;
    if (!d->rules || s->uninspected) {
        int rc = tr_buf_append(&s->pend, p, n);
        return rc ? rc : s_frames(d, s, 0, 0);
    }
    if (!s->red) {
        s->red = tr_redactor_new(d->rules, &d->ropts, s_red_emit, s);
        if (!s->red)
            return TR_E_NOMEM;
        int rc = tr_redactor_set_media(s->red, s->media);
        if (rc)
            return rc;
    }
    return tr_redactor_push(s->red, p, n);
}

/* The body can no longer be inspected (reason why, TR_H1W_*): what was
 * decoded and redacted so far goes out, the rest is withheld. */
static int s_fail(struct tr_h2dir *d, struct h2s *s, int why)
{
    int rc = 0;
    if (s->red && tr_redactor_flush(s->red) == 0)
        rc = s_frames(d, s, 1, 0);
    s_close_red(d, s);
    s->why = why + 1;
    d->st.bodies_withheld[why]++;
    return rc;
}

/* n payload bytes of a DATA frame of stream s (NULL: no body state). */
static int s_data(struct tr_h2dir *d, struct h2s *s, const uint8_t *p, size_t n)
{
    if (!n)
        return 0;
    if (!s || s->why) {
        d->st.data_withheld += n;
        return s && d->bcb ? d->bcb(d->bctx, s->sid, NULL, n, 3, 0) : 0;
    }
    int rc;
    if (s->ncod) {
        if (!s->dec) {
            if (d->ndecoding >= TR_H2_MAX_DECODING ||
                !(s->dec = tr_bodydec_new(s->cod, (size_t)s->ncod, NULL))) {
                rc = s_fail(d, s, TR_H1W_LIMIT);
                return rc ? rc : s_data(d, s, p, n);
            }
            d->ndecoding++;
        }
        rc = tr_bodydec_push(s->dec, p, n, s_red_push, s);
        if (rc > 0) {
            rc = s_fail(d, s, rc == TR_BODYDEC_BOMB ? TR_H1W_BOMB : TR_H1W_DECODE_ERROR);
            d->st.data_withheld += n;
            return rc;
        }
    } else {
        rc = s_red_push(s, p, n);
    }
    if (rc) /* redactor or buffer failure: fail closed */
        rc = s_fail(d, s, TR_H1W_LIMIT);
    return rc;
}

/* A one-field header block "x-tlsredact-withheld: REASON" ending the stream. */
static int withheld_trailer(struct tr_h2dir *d, uint32_t sid, int why)
{
    const char *v = tr_http1_why_name(why);
    nghttp2_nv nv = {(uint8_t *)wname, (uint8_t *)v, sizeof wname - 1, strlen(v), NGHTTP2_NV_FLAG_NO_INDEX};
    int rc = deflate_and_emit(d, &nv, 1, F_HEADERS, FL_END_STREAM, sid, NULL, 0);
    if (!rc && d->hcb) {
        char line[80];
        int k = snprintf(line, sizeof line, "%s: %s\r\n", wname, v);
        rc = d->hcb(d->hctx, sid, F_HEADERS, 1, (const uint8_t *)line, (size_t)k);
    }
    return rc;
}

/* The body ends (done: its last byte was seen, the decoder must be
 * complete) or stops being followed; its last bytes go out, with END_STREAM
 * when es.  A withheld body not yet announced in its header block ends with
 * a withheld trailer block instead. */
static int s_end(struct tr_h2dir *d, struct h2s *s, int done, int es)
{
    int rc = 0;
    if (!s->why && s->dec && done) {
        rc = tr_bodydec_finish(s->dec, s_red_push, s);
        if (rc > 0 || rc < 0)
            rc = s_fail(d, s, TR_H1W_DECODE_ERROR);
        else
            d->st.bodies_decoded++;
    }
    if (!s->why && s->red && tr_redactor_flush(s->red) != 0)
        rc = s_fail(d, s, TR_H1W_LIMIT);
    if (rc)
        return rc;
    if (!s->why)
        return s_frames(d, s, 1, es);
    rc = s_frames(d, s, 1, 0);
    if (!rc && es)
        rc = s->said ? s_frames(d, s, 1, 1) : withheld_trailer(d, s->sid, s->why - 1);
    return rc;
}

/* Body state of stream sid, made when missing: when the table is full the
 * least recently used stream is closed early. */
static struct h2s *s_open(struct tr_h2dir *d, uint32_t sid)
{
    struct h2s *free_s = NULL, *lru = NULL;
    for (size_t i = 0; i < TR_H2_MAX_STREAMS; i++) {
        struct h2s *s = &d->streams[i];
        if (s->used && s->sid == sid) {
            s->used_at = d->st.frames;
            return s;
        }
        if (!s->used && !free_s)
            free_s = s;
        if (s->used && (!lru || s->used_at < lru->used_at))
            lru = s;
    }
    if (!free_s) {
        /* its later DATA finds no state and is withheld */
        d->st.streams_evicted++;
        s_end(d, lru, 0, 0);
        s_free(d, lru);
        free_s = lru;
    }
    free_s->used = 1;
    free_s->d = d;
    free_s->sid = sid;
    free_s->media = TR_MEDIA_ANY;
    free_s->used_at = d->st.frames;
    tr_buf_init(&free_s->pend, 1024u * 1024u);
    return free_s;
}

static struct h2s *s_find(struct tr_h2dir *d, uint32_t sid)
{
    for (size_t i = 0; i < TR_H2_MAX_STREAMS; i++)
        if (d->streams[i].used && d->streams[i].sid == sid)
            return &d->streams[i];
    return NULL;
}

/* Every stream's body so far goes out (end of direction, lost framing). */
static void s_end_all(struct tr_h2dir *d)
{
    for (size_t i = 0; i < TR_H2_MAX_STREAMS; i++) {
        if (d->streams[i].used) {
            d->st.streams_open_at_end++;
            s_end(d, &d->streams[i], 0, 0);
            s_free(d, &d->streams[i]);
        }
    }
}

/* Lost framing or state: from now on every byte is '*'. */
static void lose(struct tr_h2dir *d)
{
    /* bodies so far are complete DATA frames - not inside a frame passed
     * through that is cut short (see tr_h2dir_finish) */
    int wc = d->wire_closed;
    if (d->in_frame && d->kind == K_PASS)
        d->wire_closed = 1;
    s_end_all(d);
    d->wire_closed = wc;
    if (d->blk_open) {
        d->st.blocks_withheld++;
        d->st.bytes_withheld += d->blk_in;
    }
    if (!d->in_frame)
        d->st.bytes_withheld += d->hdr_have;
    block_reset(d);
    d->in_frame = 0;
    d->hdr_have = 0;
    d->lost = 1;
}

void tr_h2dir_allow_uninspected(struct tr_h2dir *d, int allow) { d->allow_uninspected = allow; }

void tr_h2dir_gap(struct tr_h2dir *d)
{
    if (!d->lost)
        lose(d);
}

static void hpack_lose(struct tr_h2dir *d)
{
    d->hpack_lost = 1;
}

/* A connection error (RFC 9113 §5.4.1): the peer must close the connection,
 * and frames after it may not be what they seem - fail closed.  consumed:
 * input bytes of the current frame taken but not yet emitted. */
static int proto_error(struct tr_h2dir *d, size_t consumed)
{
    d->st.protocol_errors++;
    lose(d);
    return out_stars(d, consumed);
}

/* Appends a decoded field to the rendering. */
static void add_field(struct tr_h2dir *d, const nghttp2_nv *nv)
{
    d->st.header_fields++;
    if (d->blk_over)
        return;
    size_t need = nv->namelen + nv->valuelen + 4;
    struct field f = {d->txt.len, nv->namelen, d->txt.len + nv->namelen + 2, nv->valuelen};
    if (need > TR_H2_MAX_HEADER_BLOCK - d->txt.len ||
        tr_buf_append(&d->txt, nv->name, nv->namelen) ||
        tr_buf_append(&d->txt, ": ", 2) ||
        tr_buf_append(&d->txt, nv->value, nv->valuelen) ||
        tr_buf_append(&d->txt, "\r\n", 2) ||
        tr_buf_append(&d->fields, &f, sizeof f)) {
        d->blk_over = 1;
        d->st.limit_hits++;
    }
}

/* Feeds fragment bytes to the inflater (final: end of the block). */
static void inflate_bytes(struct tr_h2dir *d, const uint8_t *p, size_t n, int final)
{
    if (d->hpack_lost)
        return;
    for (;;) {
        nghttp2_nv nv;
        int fl = 0;
        ssize_t r = nghttp2_hd_inflate_hd2(d->inf, &nv, &fl, p, n, final);
        if (r < 0 || (size_t)r > n) {
            d->st.hpack_errors++;
            hpack_lose(d);
            return;
        }
        if (r) {
            p += r;
            n -= (size_t)r;
        }
        if (fl & NGHTTP2_HD_INFLATE_EMIT)
            add_field(d, &nv);
        if (fl & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(d->inf);
            return;
        }
        if (!(fl & NGHTTP2_HD_INFLATE_EMIT) && n == 0) {
            if (final) { /* should have been final */
                d->st.hpack_errors++;
                hpack_lose(d);
            }
            return;
        }
    }
}

/* Runs the rendering through the redactor into d->out / d->wh.  Returns 0,
 * or -1 when the block must be withheld. */
static int redact_block(struct tr_h2dir *d)
{
    size_t n = d->txt.len;
    d->out.len = d->wh.len = 0;
    if (n == 0) /* a block without fields */
        return d->red_failed ? -1 : 0;
    if (tr_buf_append(&d->out, d->txt.data, n) || tr_buf_append(&d->wh, d->txt.data, n))
        return -1;
    if (!d->red) {
        memset(d->wh.data, 0, n);
        return d->red_failed ? -1 : 0;
    }
    /* the rules see one line per field: CR, LF and NUL cannot start lines */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d->out.data[i];
        if (c == '\r' || c == '\n' || c == 0)
            d->out.data[i] = ' ';
    }
    struct field *fv = (struct field *)(void *)d->fields.data;
    size_t nf = d->fields.len / sizeof *fv;
    for (size_t k = 0; k < nf; k++) {
        memcpy(d->out.data + fv[k].no + fv[k].nl, ": ", 2);
        memcpy(d->out.data + fv[k].vo + fv[k].vl, "\r\n", 2);
    }
    memset(d->wh.data, 1, n);
    /* push the sanitized text from a copy: red_emit writes into out */
    uint8_t slice[4096];
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i += sizeof slice) {
        size_t k = n - i < sizeof slice ? n - i : sizeof slice;
        memcpy(slice, d->out.data + i, k);
        rc = tr_redactor_push(d->red, slice, k);
    }
    tr_redact_wipe(slice, sizeof slice);
    if (!rc)
        rc = tr_redactor_flush(d->red);
    d->red_off += n;
    if (rc) {
        tr_redactor_free(d->red);
        d->red = NULL;
        d->red_failed = 1;
        return -1;
    }
    return 0;
}

/* Final bytes of one name or value at [o, o+l): the raw bytes when the rules
 * changed nothing, else the redacted rendering (fully masked when a drop
 * withheld any of it).  Written into d->out.  Returns bytes changed. */
static size_t finalize(struct tr_h2dir *d, size_t o, size_t l)
{
    const uint8_t *raw = d->txt.data + o;
    uint8_t *r = d->out.data + o;
    int withheld = 0, changed = 0;
    for (size_t i = 0; i < l; i++) {
        if (d->wh.data[o + i])
            withheld = 1;
        uint8_t s = raw[i] == '\r' || raw[i] == '\n' || raw[i] == 0 ? ' ' : raw[i];
        if (r[i] != s)
            changed = 1;
    }
    if (withheld)
        memset(r, d->mask, l);
    else if (!changed)
        memcpy(r, raw, l);
    size_t diff = 0;
    for (size_t i = 0; i < l; i++)
        diff += r[i] != raw[i];
    return diff;
}

/* Encodes fields into a block written as a frame of type (HEADERS or
 * PUSH_PROMISE; flags: its END_STREAM) plus CONTINUATIONs; extra: priority
 * fields or promised stream id, before the fragment. */
static int deflate_and_emit(struct tr_h2dir *d, nghttp2_nv *nva, size_t nf, uint8_t type0,
                            uint8_t flags, uint32_t sid, const uint8_t *extra, size_t extra_len)
{
    int rc = 0;
    uint8_t *blk = NULL;
    size_t bound = 0;
    ssize_t bl = -1;
    if (d->def || make_deflater(d) == 0) {
        bound = nghttp2_hd_deflate_bound(d->def, nva, nf);
        blk = malloc(bound ? bound : 1);
        if (!blk) {
            rc = TR_E_NOMEM;
            goto done;
        }
        bl = nghttp2_hd_deflate_hd(d->def, blk, bound, nva, nf);
    }
    if (bl < 0) {
        /* never expected; the deflater is unusable after an error */
        if (d->def)
            nghttp2_hd_deflate_del(d->def);
        d->def = NULL;
        rc = TR_E_NOMEM;
        goto done;
    }
    size_t len = (size_t)bl, pos = 0;
    int first = 1;
    do {
        size_t room = TR_H2_OUT_FRAME - (first ? extra_len : 0);
        size_t k = len - pos < room ? len - pos : room;
        int last = pos + k == len;
        uint8_t type = first ? type0 : F_CONTINUATION;
        uint8_t fl = last ? FL_END_HEADERS : 0;
        if (first && type0 == F_HEADERS) {
            fl |= flags & FL_END_STREAM;
            if (extra_len)
                fl |= FL_PRIORITY;
        }
        rc = out_frame_hdr(d, k + (first ? extra_len : 0), type, fl, sid);
        if (!rc && first && extra_len)
            rc = out(d, extra, extra_len);
        if (!rc)
            rc = out(d, blk + pos, k);
        pos += k;
        first = 0;
    } while (!rc && pos < len);
done:
    if (blk) {
        tr_redact_wipe(blk, bound);
        free(blk);
    }
    return rc;
}

static int emit_withheld(struct tr_h2dir *d)
{
    nghttp2_nv nv = {(uint8_t *)wname, (uint8_t *)"*", sizeof wname - 1, 1, NGHTTP2_NV_FLAG_NO_INDEX};
    d->st.blocks_withheld++;
    d->st.bytes_withheld += d->blk_in;
    int rc = 0;
    if (d->hcb) {
        static const char line[] = "x-tlsredact-withheld: *\r\n";
        rc = d->hcb(d->hctx, d->blk_sid, d->blk_type, 1, (const uint8_t *)line, sizeof line - 1);
    }
    if (!rc)
        rc = deflate_and_emit(d, &nv, 1, d->blk_type, d->blk_flags, d->blk_sid, d->blk_extra, d->blk_extra_len);
    return rc;
}

/* Does field f's raw name equal n, ignoring case? */
static int fname_is(const struct tr_h2dir *d, const struct field *f, const char *n)
{
    return tr_ieq(d->txt.data + f->no, f->nl, n);
}

/* The transcript view of a block: "name: value\r\n" per field, CR, LF and
 * NUL shown as ' '. */
static int view_block(struct tr_h2dir *d, const nghttp2_nv *nva, size_t nf, int withheld)
{
    size_t n = 0;
    for (size_t k = 0; k < nf; k++)
        n += nva[k].namelen + nva[k].valuelen + 4;
    uint8_t *t = malloc(n ? n : 1);
    if (!t)
        return TR_E_NOMEM;
    size_t o = 0;
    for (size_t k = 0; k < nf; k++) {
        for (int part = 0; part < 2; part++) {
            const uint8_t *q = part ? nva[k].value : nva[k].name;
            size_t l = part ? nva[k].valuelen : nva[k].namelen;
            for (size_t i = 0; i < l; i++)
                t[o + i] = q[i] == '\r' || q[i] == '\n' || q[i] == 0 ? ' ' : q[i];
            o += l;
            memcpy(t + o, part ? "\r\n" : ": ", 2);
            o += 2;
        }
    }
    int rc = d->hcb(d->hctx, d->blk_sid, d->blk_type, withheld, t, n);
    tr_redact_wipe(t, n);
    free(t);
    return rc;
}

/* A request / final response header block of stream s: the body's media
 * type and codings; which fields must change so the header block matches
 * the body we write (drop[k]: field k removed; rename: the
 * content-encoding field that becomes x-tlsredact-withheld). */
static void body_decisions(struct tr_h2dir *d, struct h2s *s, const struct field *fv, size_t nf,
                           uint8_t *drop, long *rename)
{
    int informational = 0;
    long ce = -1, cl = -1;
    for (size_t k = 0; k < nf; k++) {
        const uint8_t *v = d->txt.data + fv[k].vo;
        if (fname_is(d, &fv[k], ":status") && fv[k].vl == 3 && v[0] == '1')
            informational = 1;
        else if (fname_is(d, &fv[k], "content-type"))
            s->media = tr_media_classify((const char *)v, fv[k].vl);
        else if (fname_is(d, &fv[k], "content-encoding"))
            ce = (long)k;
        else if (fname_is(d, &fv[k], "content-length"))
            cl = (long)k;
    }
    if (informational)
        return; /* 1xx: the final response follows */
    s->final_seen = 1;
    if (d->client)
        d->st.requests++;
    else if (s->sid & 1)
        d->st.responses++;
    if (ce >= 0) {
        int n = tr_bodydec_parse(d->txt.data + fv[ce].vo, fv[ce].vl, s->cod, TR_BODYDEC_MAX_CODINGS);
        if (n > 0) {
            s->ncod = n;
            drop[ce] = 1;
        } else if (n < 0 && d->allow_uninspected) {
            s->uninspected = 1;
            d->st.encoded_bodies++;
        } else if (n < 0) {
            s->why = TR_H1W_UNKNOWN_CODING + 1;
            s->said = 1;
            d->st.encoded_bodies++;
            d->st.bodies_withheld[TR_H1W_UNKNOWN_CODING]++;
            *rename = ce;
        }
    }
    /* the length we write differs when decoded, withheld or dropped from */
    if (cl >= 0 && !s->uninspected && (s->ncod || s->why || d->any_drop))
        drop[cl] = 1;
}

/* END_HEADERS seen. */
static int finish_block(struct tr_h2dir *d)
{
    int rc = 0;
    nghttp2_nv *nva = NULL;
    uint8_t *drop = NULL;
    static const uint8_t none[1];
    int es = d->blk_type == F_HEADERS && (d->blk_flags & FL_END_STREAM);
    /* trailers end the body first; a request or response opens one */
    struct h2s *s = d->blk_type == F_HEADERS ? s_find(d, d->blk_sid) : NULL;
    int trailers = s && s->final_seen;
    if (trailers)
        rc = s_end(d, s, 1, 0);
    else if (d->blk_type == F_HEADERS && !s)
        s = s_open(d, d->blk_sid);
    if (rc)
        goto done;
    inflate_bytes(d, none, 0, 1);
    if (d->hpack_lost || d->blk_over || redact_block(d) != 0) {
        if (s && !trailers && !s->why) {
            /* its codings are unknown now: the body is withheld */
            s->why = TR_H1W_MALFORMED + 1;
            s->said = 1;
            d->st.bodies_withheld[TR_H1W_MALFORMED]++;
        }
        rc = emit_withheld(d);
        goto end_stream;
    }
    struct field *fv = (struct field *)(void *)d->fields.data;
    size_t nf = d->fields.len / sizeof *fv;
    nva = calloc(nf + 1, sizeof *nva);
    drop = calloc(nf + 1, 1);
    if (!nva || !drop) {
        rc = TR_E_NOMEM;
        goto done;
    }
    long rename = -1;
    if (s && !trailers)
        body_decisions(d, s, fv, nf, drop, &rename);
    size_t m = 0;
    for (size_t k = 0; k < nf; k++) {
        d->st.header_bytes_redacted += finalize(d, fv[k].no, fv[k].nl);
        d->st.header_bytes_redacted += finalize(d, fv[k].vo, fv[k].vl);
        if (drop[k])
            continue;
        nghttp2_nv *v = &nva[m++];
        v->name = d->out.data + fv[k].no;
        v->namelen = fv[k].nl;
        v->value = d->out.data + fv[k].vo;
        v->valuelen = fv[k].vl;
        v->flags = NGHTTP2_NV_FLAG_NO_INDEX;
        if ((long)k == rename) {
            /* the body cannot be inspected: withheld, and said so */
            v->name = (uint8_t *)wname;
            v->namelen = sizeof wname - 1;
            v->value = (uint8_t *)tr_http1_why_name(TR_H1W_UNKNOWN_CODING);
            v->valuelen = strlen((const char *)v->value);
        }
    }
    if (trailers && s->why && !s->said) {
        nghttp2_nv *v = &nva[m++];
        v->name = (uint8_t *)wname;
        v->namelen = sizeof wname - 1;
        v->value = (uint8_t *)tr_http1_why_name(s->why - 1);
        v->valuelen = strlen((const char *)v->value);
        v->flags = NGHTTP2_NV_FLAG_NO_INDEX;
        s->said = 1;
    }
    d->st.header_blocks++;
    if (d->hcb && (rc = view_block(d, nva, m, 0)))
        goto done;
    rc = deflate_and_emit(d, nva, m, d->blk_type, d->blk_flags, d->blk_sid, d->blk_extra, d->blk_extra_len);
end_stream:
    if (s && es) {
        /* the stream ends with this block: a body-less message, or
         * trailers after the body written above */
        s_free(d, s);
    }
done:
    free(nva);
    free(drop);
    block_reset(d);
    return rc;
}

/* A 9-byte frame header is complete. */
static int start_frame(struct tr_h2dir *d)
{
    const uint8_t *h = d->hdr;
    int rc = 0;
    d->flen = ((uint32_t)h[0] << 16) | ((uint32_t)h[1] << 8) | h[2];
    d->type = h[3];
    d->flags = h[4];
    /* the reserved bit is ignored (§4.1) */
    d->sid = (((uint32_t)h[5] & 0x7f) << 24) | ((uint32_t)h[6] << 16) | ((uint32_t)h[7] << 8) | h[8];
    d->fpos = 0;
    d->in_frame = 1;
    d->hdr_have = 0;
    d->st.frames++;
    if (d->blk_open && d->type != F_CONTINUATION)
        return proto_error(d, 9); /* a block is followed by its CONTINUATIONs (§6.10) */
    d->pre_have = d->pre_need = 0;
    d->frag_left = d->flen;
    switch (d->type) {
    case F_HEADERS:
    case F_PUSH_PROMISE:
        d->kind = K_BLOCK;
        d->blk_open = 1;
        d->blk_type = d->type;
        d->blk_flags = d->flags;
        d->blk_sid = d->sid;
        d->blk_in = 9 + (uint64_t)d->flen;
        if (d->flags & FL_PADDED)
            d->pre_need += 1;
        if (d->type == F_HEADERS && (d->flags & FL_PRIORITY))
            d->pre_need += 5;
        if (d->type == F_PUSH_PROMISE)
            d->pre_need += 4;
        if (d->pre_need > d->flen)
            return proto_error(d, 9);
        break;
    case F_CONTINUATION:
        if (!d->blk_open || d->sid != d->blk_sid)
            return proto_error(d, 9);
        d->kind = K_BLOCK;
        d->blk_in += 9 + (uint64_t)d->flen;
        break;
    case F_DATA:
        /* reassembled per stream and written as new frames (see h2.h) */
        if (d->sid == 0)
            return proto_error(d, 9); /* §6.1 */
        d->kind = K_DATA;
        d->cur = s_find(d, d->sid); /* no header block seen: withheld */
        if (d->cur)
            d->cur->used_at = d->st.frames;
        if (d->flags & FL_PADDED)
            d->pre_need = 1;
        if (d->pre_need > d->flen)
            return proto_error(d, 9);
        d->frag_left = d->flen - (uint32_t)d->pre_need;
        break;
    default:
        if (d->type == F_RST_STREAM) {
            /* the stream is abandoned: its body so far goes out first */
            struct h2s *s = s_find(d, d->sid);
            if (s) {
                rc = s_end(d, s, 0, 0);
                s_free(d, s);
            }
        }
        d->kind = K_PASS;
        if (!rc)
            rc = out(d, h, 9);
        break;
    }
    return rc;
}

static int end_frame(struct tr_h2dir *d)
{
    d->in_frame = 0;
    if (d->kind == K_BLOCK && (d->flags & FL_END_HEADERS))
        return finish_block(d);
    if (d->kind == K_DATA) {
        struct h2s *s = d->cur;
        d->cur = NULL;
        int es = d->flags & FL_END_STREAM;
        if (!s) { /* nothing of it was written: an empty frame keeps END_STREAM */
            int rc = es ? out_frame_hdr(d, 0, F_DATA, FL_END_STREAM, d->sid) : 0;
            return rc;
        }
        if (!es)
            return s->why ? 0 : s_frames(d, s, 1, 0);
        int rc = s_end(d, s, 1, 1);
        s_free(d, s);
        return rc;
    }
    return 0;
}

/* Payload bytes of a DATA frame: pad length, data, padding (dropped). */
static int data_bytes(struct tr_h2dir *d, const uint8_t *p, size_t n)
{
    if (n && d->pre_have < d->pre_need) {
        size_t pad = *p++;
        n--;
        d->pre_have = 1;
        if (pad > d->flen - 1) {
            /* §6.1: padding beyond the frame; the rest of this piece is
             * masked here, later pieces by push */
            d->cur = NULL;
            return proto_error(d, n);
        }
        d->frag_left = d->flen - 1 - (uint32_t)pad;
    }
    size_t k = n < d->frag_left ? n : d->frag_left;
    d->frag_left -= (uint32_t)k;
    return s_data(d, d->cur, p, k);
}

/* Payload bytes of a HEADERS / PUSH_PROMISE / CONTINUATION frame. */
static int block_bytes(struct tr_h2dir *d, const uint8_t *p, size_t n)
{
    while (n && d->pre_have < d->pre_need) {
        d->pre[d->pre_have++] = *p++;
        n--;
        if (d->pre_have == d->pre_need) {
            size_t at = 0, pad = 0;
            if (d->flags & FL_PADDED)
                pad = d->pre[at++];
            d->blk_extra_len = d->pre_need - at;
            memcpy(d->blk_extra, d->pre + at, d->blk_extra_len);
            if (pad > d->flen - d->pre_need)
                return proto_error(d, n); /* §6.2: padding beyond the frame */
            d->frag_left = d->flen - (uint32_t)d->pre_need - (uint32_t)pad;
        }
    }
    if (d->pre_have < d->pre_need)
        return 0;
    size_t k = n < d->frag_left ? n : d->frag_left;
    if (k)
        inflate_bytes(d, p, k, 0);
    d->frag_left -= (uint32_t)k;
    /* what follows is padding */
    return 0;
}

int tr_h2dir_push(struct tr_h2dir *d, const uint8_t *p, size_t n)
{
    int rc = 0;
    size_t i = 0;
    d->st.bytes_in += n;
    while (i < n && !rc) {
        if (d->lost)
            return out_stars(d, n - i);
        if (d->client && d->preface_got < PREFACE_LEN) {
            size_t k = PREFACE_LEN - d->preface_got;
            if (k > n - i)
                k = n - i;
            size_t m = 0;
            while (m < k && p[i + m] == (uint8_t)PREFACE[d->preface_got + m])
                m++;
            rc = out(d, p + i, m);
            d->preface_got += m;
            i += m;
            if (m < k) {
                /* not HTTP/2: nothing more can be interpreted */
                d->st.protocol_errors++;
                lose(d);
            }
            continue;
        }
        if (!d->in_frame) {
            d->hdr[d->hdr_have++] = p[i++];
            if (d->hdr_have == 9) {
                rc = start_frame(d);
                if (!rc && !d->lost && d->flen == 0)
                    rc = end_frame(d);
            }
            continue;
        }
        size_t k = d->flen - d->fpos;
        if (k > n - i)
            k = n - i;
        if (d->kind == K_PASS) {
            rc = out(d, p + i, k);
        } else if (d->kind == K_DATA) {
            rc = data_bytes(d, p + i, k);
        } else {
            rc = block_bytes(d, p + i, k);
        }
        d->fpos += (uint32_t)k;
        i += k;
        if (!rc && !d->lost && d->fpos == d->flen)
            rc = end_frame(d);
    }
    if (rc && !d->lost)
        lose(d); /* state may be half-updated: fail closed */
    return rc;
}

int tr_h2dir_finish(struct tr_h2dir *d)
{
    if (d->lost)
        return 0;
    d->cur = NULL;
    /* bodies so far, without END_STREAM - unless a frame passed through is
     * cut short: the output already ends inside it, so frames written now
     * would be read as its payload.  They then reach only the decoded view
     * (counted as withheld from the wire). */
    if (d->in_frame && d->kind == K_PASS)
        d->wire_closed = 1;
    s_end_all(d);
    if (d->blk_open) {
        d->st.blocks_withheld++;
        d->st.bytes_withheld += d->blk_in;
    } else if (!d->in_frame) {
        d->st.bytes_withheld += d->hdr_have;
    }
    block_reset(d);
    d->hdr_have = 0;
    d->in_frame = 0;
    return 0;
}

void tr_h2_stats_add(struct tr_h2_stats *a, const struct tr_h2_stats *b)
{
    a->bytes_in += b->bytes_in;
    a->bytes_out += b->bytes_out;
    a->frames += b->frames;
    a->header_blocks += b->header_blocks;
    a->header_fields += b->header_fields;
    a->header_bytes_redacted += b->header_bytes_redacted;
    a->blocks_withheld += b->blocks_withheld;
    a->hpack_errors += b->hpack_errors;
    a->protocol_errors += b->protocol_errors;
    a->limit_hits += b->limit_hits;
    a->bytes_withheld += b->bytes_withheld;
    a->encoded_bodies += b->encoded_bodies;
    a->bodies_decoded += b->bodies_decoded;
    a->bytes_decoded += b->bytes_decoded;
    for (int w = 0; w < TR_H1W_N; w++)
        a->bodies_withheld[w] += b->bodies_withheld[w];
    a->data_withheld += b->data_withheld;
    a->streams_evicted += b->streams_evicted;
    a->streams_open_at_end += b->streams_open_at_end;
    a->requests += b->requests;
    a->responses += b->responses;
    a->hpack_lost |= b->hpack_lost;
    a->lost |= b->lost;
}

void tr_h2dir_stats(const struct tr_h2dir *d, struct tr_h2_stats *st)
{
    *st = d->st;
    st->hpack_lost = d->hpack_lost;
    st->lost = d->lost;
}

static void add_stats(struct tr_redact_stats *a, const struct tr_redactor *r)
{
    struct tr_redact_stats st;
    if (!r)
        return;
    tr_redactor_stats(r, &st);
    a->bytes_in += st.bytes_in;
    a->bytes_masked += st.bytes_masked;
    a->bytes_tokenized += st.bytes_tokenized;
    a->bytes_withheld_drop += st.bytes_withheld_drop;
    a->bytes_withheld_limit += st.bytes_withheld_limit;
    a->limit_hits += st.limit_hits;
}

void tr_h2dir_redact_stats(const struct tr_h2dir *d, struct tr_redact_stats *st)
{
    *st = d->bst;
    add_stats(st, d->red);
    for (size_t k = 0; k < TR_H2_MAX_STREAMS; k++)
        if (d->streams[k].used)
            add_stats(st, d->streams[k].red);
}

/* Rule i's count in the header redactor, closed and live body redactors. */
static uint64_t rule_count(const struct tr_h2dir *d, size_t i, int bytes)
{
    if (!d->rules || i >= tr_rules_count(d->rules))
        return 0;
    uint64_t (*get)(const struct tr_redactor *, size_t) =
        bytes ? tr_redactor_rule_bytes : tr_redactor_rule_matches;
    uint64_t n = bytes ? d->rbytes[i] : d->rmatch[i];
    if (d->red)
        n += get(d->red, i);
    for (size_t k = 0; k < TR_H2_MAX_STREAMS; k++)
        if (d->streams[k].used && d->streams[k].red)
            n += get(d->streams[k].red, i);
    return n;
}

uint64_t tr_h2dir_rule_matches(const struct tr_h2dir *d, size_t i) { return rule_count(d, i, 0); }

uint64_t tr_h2dir_rule_bytes(const struct tr_h2dir *d, size_t i) { return rule_count(d, i, 1); }
