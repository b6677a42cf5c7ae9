/* h2.c - see h2.h. */
#include "proto/h2.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fill.h"

#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN 24

enum { F_DATA = 0, F_HEADERS = 1, F_PUSH_PROMISE = 5, F_CONTINUATION = 9 };
enum { FL_END_STREAM = 0x1, FL_END_HEADERS = 0x4, FL_PADDED = 0x8, FL_PRIORITY = 0x20 };
enum { K_PASS, K_BLOCK, K_MASKED };

/* Streams whose bodies are content-encoded: DATA cannot be inspected (body
 * decoding is not done for HTTP/2 yet), so it is withheld - fail closed. */
#define ENC_STREAMS 256

static const char wname[] = "x-tlsredact-withheld";
/* nghttp2 allocations carry their size in front, so free can wipe them */
#define MHDR 16

/* One decoded field: offsets into the rendered text. */
struct field {
    size_t no, nl, vo, vl;
};

struct tr_h2dir {
    int client;
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
    uint32_t enc_sid[ENC_STREAMS]; /* streams with a content-encoding */
    size_t enc_n;
    int enc_all;                   /* more than ENC_STREAMS: every DATA withheld */
    int allow_uninspected;         /* encoded bodies pass as they are */
    struct tr_h2_stats st;
};

static int enc_has(const struct tr_h2dir *d, uint32_t sid)
{
    if (d->enc_all)
        return 1;
    for (size_t i = 0; i < d->enc_n; i++)
        if (d->enc_sid[i] == sid)
            return 1;
    return 0;
}

static void enc_add(struct tr_h2dir *d, uint32_t sid)
{
    if (enc_has(d, sid))
        return;
    d->st.encoded_bodies++;
    if (d->enc_n < ENC_STREAMS)
        d->enc_sid[d->enc_n++] = sid;
    else
        d->enc_all = 1;
}

/* ---- accounting, wiping allocator for nghttp2 ---- */

static void *m_malloc(size_t n, void *ud)
{
    struct tr_h2dir *d = ud;
    if (n > TR_H2_MAX_MEMORY - d->mem_used) {
        d->st.limit_hits++;
        return NULL;
    }
    uint8_t *p = malloc(n + MHDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    d->mem_used += n;
    return p + MHDR;
}

static void m_free(void *ptr, void *ud)
{
    struct tr_h2dir *d = ud;
    if (!ptr)
        return;
    uint8_t *p = (uint8_t *)ptr - MHDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    tr_redact_wipe(ptr, n);
    d->mem_used -= n;
    free(p);
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
    size_t old;
    memcpy(&old, (uint8_t *)ptr - MHDR, sizeof old);
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
    if (rules) {
        struct tr_redact_opts o;
        memset(&o, 0, sizeof o);
        if (ropts)
            o = *ropts;
        d->red = tr_redactor_new(rules, &o, red_emit, d);
        if (!d->red)
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

void tr_h2dir_free(struct tr_h2dir *d)
{
    if (!d)
        return;
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

/* Lost framing or state: from now on every byte is '*'. */
static void lose(struct tr_h2dir *d)
{
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

static int deflate_and_emit(struct tr_h2dir *d, nghttp2_nv *nva, size_t nf)
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
        size_t room = TR_H2_OUT_FRAME - (first ? d->blk_extra_len : 0);
        size_t k = len - pos < room ? len - pos : room;
        int last = pos + k == len;
        uint8_t type = first ? d->blk_type : F_CONTINUATION;
        uint8_t fl = last ? FL_END_HEADERS : 0;
        if (first && d->blk_type == F_HEADERS) {
            fl |= d->blk_flags & FL_END_STREAM;
            if (d->blk_extra_len)
                fl |= FL_PRIORITY;
        }
        rc = out_frame_hdr(d, k + (first ? d->blk_extra_len : 0), type, fl, d->blk_sid);
        if (!rc && first)
            rc = out(d, d->blk_extra, d->blk_extra_len);
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
        rc = deflate_and_emit(d, &nv, 1);
    return rc;
}

/* END_HEADERS seen. */
static int finish_block(struct tr_h2dir *d)
{
    int rc = 0;
    nghttp2_nv *nva = NULL;
    static const uint8_t none[1];
    inflate_bytes(d, none, 0, 1);
    if (d->hpack_lost || d->blk_over || redact_block(d) != 0) {
        rc = emit_withheld(d);
        goto done;
    }
    struct field *fv = (struct field *)(void *)d->fields.data;
    size_t nf = d->fields.len / sizeof *fv;
    nva = calloc(nf ? nf : 1, sizeof *nva);
    if (!nva) {
        rc = TR_E_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < nf; k++) {
        d->st.header_bytes_redacted += finalize(d, fv[k].no, fv[k].nl);
        d->st.header_bytes_redacted += finalize(d, fv[k].vo, fv[k].vl);
        nva[k].name = d->out.data + fv[k].no;
        nva[k].namelen = fv[k].nl;
        nva[k].value = d->out.data + fv[k].vo;
        nva[k].valuelen = fv[k].vl;
        nva[k].flags = NGHTTP2_NV_FLAG_NO_INDEX;
        static const char ce[] = "content-encoding", why[] = "encoded-body";
        if (d->blk_type == F_HEADERS && !d->allow_uninspected && fv[k].nl == sizeof ce - 1 &&
            !strncasecmp((const char *)d->txt.data + fv[k].no, ce, sizeof ce - 1) &&
            !(fv[k].vl == 8 && !strncasecmp((const char *)d->txt.data + fv[k].vo, "identity", 8))) {
            /* the body cannot be inspected: withheld, and said so */
            enc_add(d, d->blk_sid);
            nva[k].name = (uint8_t *)wname;
            nva[k].namelen = sizeof wname - 1;
            nva[k].value = (uint8_t *)why;
            nva[k].valuelen = sizeof why - 1;
        }
    }
    d->st.header_blocks++;
    if (d->hcb) {
        /* transcript view: the same fields, one line each */
        uint8_t *t = malloc(d->out.len ? d->out.len : 1);
        if (!t) {
            rc = TR_E_NOMEM;
            goto done;
        }
        if (d->out.len)
            memcpy(t, d->out.data, d->out.len);
        for (size_t k = 0; k < nf; k++) {
            for (size_t i = 0; i < fv[k].nl; i++)
                if (t[fv[k].no + i] == '\r' || t[fv[k].no + i] == '\n' || t[fv[k].no + i] == 0)
                    t[fv[k].no + i] = ' ';
            for (size_t i = 0; i < fv[k].vl; i++)
                if (t[fv[k].vo + i] == '\r' || t[fv[k].vo + i] == '\n' || t[fv[k].vo + i] == 0)
                    t[fv[k].vo + i] = ' ';
            memcpy(t + fv[k].no + fv[k].nl, ": ", 2);
            memcpy(t + fv[k].vo + fv[k].vl, "\r\n", 2);
        }
        rc = d->hcb(d->hctx, d->blk_sid, d->blk_type, 0, t, d->out.len);
        tr_redact_wipe(t, d->out.len);
        free(t);
        if (rc)
            goto done;
    }
    rc = deflate_and_emit(d, nva, nf);
done:
    free(nva);
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
    d->sid = ((uint32_t)h[5] << 24) | ((uint32_t)h[6] << 16) | ((uint32_t)h[7] << 8) | h[8];
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
    default:
        d->kind = d->type == F_DATA && !d->allow_uninspected && enc_has(d, d->sid) ? K_MASKED : K_PASS;
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
    return 0;
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
        } else if (d->kind == K_MASKED) {
            /* a PADDED frame's pad length byte stays, the payload goes */
            size_t keep = (d->fpos == 0 && (d->flags & FL_PADDED)) ? 1 : 0;
            rc = out(d, p + i, keep);
            if (!rc)
                rc = out_stars(d, k - keep);
            d->st.data_withheld += k - keep;
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

void tr_h2dir_stats(const struct tr_h2dir *d, struct tr_h2_stats *st)
{
    *st = d->st;
    st->hpack_lost = d->hpack_lost;
    st->lost = d->lost;
}

void tr_h2dir_redact_stats(const struct tr_h2dir *d, struct tr_redact_stats *st)
{
    memset(st, 0, sizeof *st);
    if (d->red)
        tr_redactor_stats(d->red, st);
}

uint64_t tr_h2dir_rule_matches(const struct tr_h2dir *d, size_t i)
{
    return d->red ? tr_redactor_rule_matches(d->red, i) : 0;
}

uint64_t tr_h2dir_rule_bytes(const struct tr_h2dir *d, size_t i)
{
    return d->red ? tr_redactor_rule_bytes(d->red, i) : 0;
}
