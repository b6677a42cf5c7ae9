/* http1.c - see http1.h and docs/http1.md. */
#include "proto/http1.h"
#include "core/ascii.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fill.h"
#include "core/reader.h"
#include "proto/bodydec.h"
#include "proto/media.h"
#include "proto/ws.h"
#include "redact/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum state {
    S_START,      /* between messages */
    S_HEAD,       /* collecting the header section */
    S_BODY_CL,
    S_CHUNK_SIZE,
    S_CHUNK_DATA,
    S_CHUNK_CRLF,
    S_TRAILERS,
    S_BODY_EOF,
    S_UPG_WAIT,   /* client: answer to Upgrade/CONNECT not known yet */
    S_UPGRADED,
    S_RAW,        /* unparsed until a start line at a line start */
};
enum outmode { O_PASS, O_HOLD, O_CHUNK, O_DISCARD };
enum framing { F_NONE, F_CL, F_CHUNKED, F_EOF };
enum upgkind { U_NONE, U_WS, U_OPAQUE };
/* decision of the server about a pending upgrade */
enum { D_NONE, D_REFUSED, D_WS, D_OPAQUE };

struct reqinfo {
    uint8_t head, connect, upgrade, upgrade_ws;
};

struct tr_http1dir {
    int client;
    tr_http1_emit_fn emit;
    void *ctx;
    struct tr_http1_opts o;
    struct tr_http1dir *peer;
    int err; /* sticky fatal error */

    /* client: requests awaiting a response (read by the server peer) */
    struct reqinfo fifo[TR_HTTP1_MAX_PIPELINE];
    size_t fhead, fcount;
    /* client: server's answer to our pending upgrade (set by the peer) */
    int upg_decision, upg_pmd;
    int pmd_nct[2], pmd_mwb[2]; /* permessage-deflate params [client, server] */

    enum state st;
    struct tr_buf hbuf;   /* header section, then trailers */
    size_t hline;         /* start of the current line in hbuf */
    struct tr_buf lbuf;   /* chunk-size line / raw line */
    struct tr_buf ohdr;   /* rebuilt header section, no final CRLF */
    struct tr_buf dbuf;   /* decoded body held */
    struct tr_buf ubuf;   /* client bytes held during S_UPG_WAIT */

    /* current message */
    int minor;
    struct reqinfo req;   /* request: what it is; response: its request */
    int status;
    int frm;
    uint64_t left;        /* CL body / chunk bytes left */
    int outm, hdr_out;
    int orig_chunked;
    struct tr_bodydec *dec; /* coded body being decoded */
    int cod[TR_HTTP1_MAX_CODINGS]; /* its codings, in order of application */
    size_t ncod;
    int dec_limit;        /* the body outgrew what can be held (LIMIT) */
    int bmedia;           /* enum tr_media of the body */
    int upgrade_after;    /* enum upgkind for after this message */
    int pmd_after;
    /* output framing state, to close the message after a gap */
    int ofrm;             /* F_CL: out_left bytes owed; F_CHUNKED: passing chunks */
    uint64_t out_left;

    /* raw / lost */
    int raw_emit, raw_ls, distrust;
    /* upgraded */
    int upg;
    struct tr_wsdir *ws;

    /* media context of the emitted bytes */
    tr_http1_media_fn media_fn;
    void *media_ctx;
    tr_http1_emit_fn frame_fn; /* framing bytes, or NULL: through emit */
    void *frame_ctx;
    int media_cur, media_want;

    struct tr_http1_stats s;
};

static const char *const why_names[TR_H1W_N] = {
    "unknown-coding", "bomb", "decode-error", "limit", "gap", "malformed",
};

const char *tr_http1_why_name(int why)
{
    return why >= 0 && why < TR_H1W_N ? why_names[why] : "?";
}

/* ---- small helpers ---- */

static int tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void wipe(struct tr_buf *b)
{
    if (b->data)
        tr_redact_wipe(b->data, b->len);
    b->len = 0;
    if (b->cap > 65536)
        tr_buf_free(b);
}

/* The media context of the next bytes emitted (reported lazily by out). */
static void media(struct tr_http1dir *d, int m) { d->media_want = m; }

static int out(struct tr_http1dir *d, const void *p, size_t n)
{
    if (!n || d->err)
        return d->err;
    if (d->media_want != d->media_cur) {
        d->media_cur = d->media_want;
        if (d->media_fn)
            d->media_fn(d->media_ctx, d->media_cur);
    }
    d->s.bytes_out += n;
    int rc = d->emit(d->ctx, p, n);
    if (rc)
        d->err = rc;
    return rc;
}

static int outs(struct tr_http1dir *d, const char *s) { return out(d, s, strlen(s)); }

/* Framing bytes (no payload): to the frame callback when there is one. */
static int out_frm(struct tr_http1dir *d, const void *p, size_t n)
{
    if (!d->frame_fn)
        return out(d, p, n);
    if (!n || d->err)
        return d->err;
    d->s.bytes_out += n;
    int rc = d->frame_fn(d->frame_ctx, p, n);
    if (rc)
        d->err = rc;
    return rc;
}

static int outs_frm(struct tr_http1dir *d, const char *s) { return out_frm(d, s, strlen(s)); }

static int out_void(void *ctx, const uint8_t *p, size_t n) { return out(ctx, p, n); }

/* Withheld bytes keep their length: n fill bytes go out instead. */
static int out_fill(struct tr_http1dir *d, uint64_t n)
{
    return tr_fill_emit(out_void, d, n);
}

static int out_chunk(struct tr_http1dir *d, const uint8_t *p, size_t n)
{
    char h[24];
    static const char hex[] = "0123456789abcdef";
    size_t k = sizeof h;
    h[--k] = '\n';
    h[--k] = '\r';
    size_t v = n;
    do {
        h[--k] = hex[v & 15];
        v >>= 4;
    } while (v);
    int rc = out_frm(d, h + k, sizeof h - k);
    if (!rc)
        rc = out(d, p, n);
    if (!rc)
        rc = outs_frm(d, "\r\n");
    return rc;
}

/* ---- detection ---- */

/* HTTP/1.d */
static int rd_version(struct tr_reader *r, int *minor)
{
    const uint8_t *v = tr_rd_bytes(r, 7);
    if (!v || memcmp(v, "HTTP/1.", 7) != 0)
        return 0;
    uint8_t c = tr_rd_u8(r);
    if (!tr_rd_ok(r) || c < '0' || c > '9')
        return 0;
    *minor = c - '0';
    return 1;
}

static int at_eol(struct tr_reader *r)
{
    uint8_t c = tr_rd_u8(r);
    if (c == '\r')
        c = tr_rd_u8(r);
    return tr_rd_ok(r) && c == '\n';
}

/* Parses a request line; strict: 1 when well formed.  line: without LF. */
static int parse_reqline(const uint8_t *p, size_t n, int strict_method, struct reqinfo *ri, int *minor)
{
    struct tr_reader r = tr_rd_init(p, n);
    const uint8_t *m = r.p;
    size_t ml = 0;
    while (tr_rd_left(&r) && *r.p != ' ') {
        uint8_t c = tr_rd_u8(&r);
        if (strict_method ? !((c >= 'A' && c <= 'Z') || c == '-' || c == '_') : !tchar(c))
            return 0;
        ml++;
    }
    if (ml == 0 || ml > 32 || tr_rd_u8(&r) != ' ')
        return 0;
    size_t tl = 0;
    while (tr_rd_left(&r) && *r.p != ' ') {
        uint8_t c = tr_rd_u8(&r);
        if (c <= 0x20 || c == 0x7f)
            return 0;
        tl++;
    }
    if (tl == 0 || tr_rd_u8(&r) != ' ')
        return 0;
    int mi = 0;
    if (!rd_version(&r, &mi) || !at_eol(&r) || !tr_rd_done(&r))
        return 0;
    if (ri) {
        memset(ri, 0, sizeof *ri);
        ri->head = ml == 4 && !memcmp(m, "HEAD", 4);
        ri->connect = ml == 7 && !memcmp(m, "CONNECT", 7);
    }
    if (minor)
        *minor = mi;
    return 1;
}

static int parse_statusline(const uint8_t *p, size_t n, int *status, int *minor)
{
    struct tr_reader r = tr_rd_init(p, n);
    int mi = 0;
    if (!rd_version(&r, &mi) || tr_rd_u8(&r) != ' ')
        return 0;
    int code = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t c = tr_rd_u8(&r);
        if (c < '0' || c > '9')
            return 0;
        code = code * 10 + (c - '0');
    }
    if (!tr_rd_ok(&r) || code < 100)
        return 0;
    if (tr_rd_left(&r) && *r.p == ' ') {
        while (tr_rd_left(&r) > 2)
            tr_rd_skip(&r, 1);
        if (tr_rd_left(&r) == 2 && r.p[0] != '\r')
            tr_rd_skip(&r, 1);
    }
    if (!at_eol(&r) || !tr_rd_done(&r))
        return 0;
    if (status)
        *status = code;
    if (minor)
        *minor = mi;
    return 1;
}

int tr_http1_looks_like(const uint8_t *p, size_t n, int client)
{
    const uint8_t *lf = n ? memchr(p, '\n', n) : NULL;
    if (!client) {
        /* the status line needs only its first 12 bytes */
        struct tr_reader r = tr_rd_init(p, n);
        int mi;
        if (!rd_version(&r, &mi) || tr_rd_u8(&r) != ' ')
            return 0;
        for (int i = 0; i < 3; i++) {
            uint8_t c = tr_rd_u8(&r);
            if (!tr_rd_ok(&r) || c < '0' || c > '9')
                return 0;
        }
        if (!tr_rd_left(&r))
            return tr_rd_ok(&r);
        uint8_t c = tr_rd_u8(&r);
        return c == ' ' || c == '\r' || c == '\n';
    }
    if (!lf)
        return 0;
    return parse_reqline(p, (size_t)(lf - p) + 1, 1, NULL, NULL);
}

/* ---- message output ---- */

static int emit_headers(struct tr_http1dir *d, const char *extra)
{
    media(d, TR_MEDIA_HEAD);
    int rc = out(d, d->ohdr.data, d->ohdr.len);
    if (!rc && extra)
        rc = outs(d, extra);
    if (!rc)
        rc = outs(d, "\r\n");
    d->hdr_out = 1;
    return rc;
}

static void stats_withheld(struct tr_http1dir *d, int why)
{
    d->s.bodies_withheld[why]++;
}

/* Replaces the rest of the body: nothing more of it is emitted. */
static int withhold_body(struct tr_http1dir *d, int why)
{
    int rc = 0;
    char line[64];
    stats_withheld(d, why);
    if (d->outm == O_HOLD || (d->outm == O_PASS && !d->hdr_out)) {
        snprintf(line, sizeof line, "X-Tlsredact-Withheld: %s\r\nContent-Length: 0\r\n",
                 tr_http1_why_name(why));
        rc = emit_headers(d, line);
    } else if (d->outm == O_CHUNK) {
        /* last chunk, then the reason as a trailer */
        media(d, d->bmedia);
        rc = outs_frm(d, "0\r\n");
        snprintf(line, sizeof line, "X-Tlsredact-Withheld: %s\r\n\r\n", tr_http1_why_name(why));
        media(d, TR_MEDIA_HEAD);
        if (!rc)
            rc = outs(d, line);
    }
    d->ofrm = F_NONE;
    d->outm = O_DISCARD;
    tr_bodydec_free(d->dec);
    d->dec = NULL;
    wipe(&d->dbuf);
    return rc;
}

/* Decoded body bytes (tr_bodydec output): held, or re-chunked. */
static int decoded(void *ctx, const uint8_t *p, size_t n)
{
    struct tr_http1dir *d = ctx;
    if (d->outm == O_HOLD) {
        if (n <= TR_HTTP1_MAX_HOLD - d->dbuf.len) {
            int rc = tr_buf_append(&d->dbuf, p, n);
            if (rc == TR_E_LIMIT)
                d->dec_limit = 1;
            return rc;
        }
        if (d->minor == 0) {
            d->dec_limit = 1;
            return TR_E_LIMIT;
        }
        /* too large to hold: chunked framing from here */
        int rc = emit_headers(d, "Transfer-Encoding: chunked\r\n");
        media(d, d->bmedia);
        if (!rc && d->dbuf.len)
            rc = out_chunk(d, d->dbuf.data, d->dbuf.len);
        d->s.bytes_decoded += d->dbuf.len;
        wipe(&d->dbuf);
        d->outm = O_CHUNK;
        if (rc)
            return rc;
    }
    d->s.bytes_decoded += n;
    media(d, d->bmedia);
    return out_chunk(d, p, n);
}

/* Encoded body bytes of the current message. */
static int body_bytes(struct tr_http1dir *d, const uint8_t *p, size_t n)
{
    if (!n)
        return 0;
    switch (d->outm) {
    case O_PASS:
        media(d, d->bmedia);
        return out(d, p, n);
    case O_DISCARD:
        d->s.bytes_withheld += n;
        return 0;
    default:
        break;
    }
    int rc = tr_bodydec_push(d->dec, p, n, decoded, d);
    if (d->dec_limit)
        rc = withhold_body(d, TR_H1W_LIMIT);
    else if (rc == TR_BODYDEC_BOMB)
        rc = withhold_body(d, TR_H1W_BOMB);
    else if (rc == TR_BODYDEC_ERROR)
        rc = withhold_body(d, TR_H1W_DECODE_ERROR);
    return rc;
}

static void msg_reset(struct tr_http1dir *d)
{
    tr_bodydec_free(d->dec);
    d->dec = NULL;
    d->ncod = 0;
    d->dec_limit = 0;
    d->bmedia = TR_MEDIA_ANY;
    wipe(&d->dbuf);
    wipe(&d->ohdr);
    wipe(&d->hbuf);
    d->hline = 0;
    d->outm = O_PASS;
    d->hdr_out = 0;
    d->frm = F_NONE;
    d->ofrm = F_NONE;
    d->left = d->out_left = 0;
    d->orig_chunked = 0;
    d->upgrade_after = U_NONE;
    d->pmd_after = 0;
    memset(&d->req, 0, sizeof d->req);
}

static void enter_upgraded(struct tr_http1dir *d, int kind, int pmd);

/* End of the current message's body.  trailers: hbuf holds the trailer
 * section (chunked input, may be empty). */
static int msg_end(struct tr_http1dir *d)
{
    int rc = 0;
    if (d->outm == O_HOLD || d->outm == O_CHUNK) {
        /* every layer must have reached its end (or received nothing) */
        int fr = d->dec ? tr_bodydec_finish(d->dec, decoded, d) : TR_BODYDEC_ERROR;
        if (fr < 0)
            return fr;
        if (fr != TR_BODYDEC_OK) {
            rc = withhold_body(d, TR_H1W_DECODE_ERROR);
        } else {
            for (size_t i = 0; i < d->ncod; i++)
                d->s.bodies_decoded[d->cod[i]]++;
            if (d->outm == O_HOLD) {
                char line[64];
                if (d->orig_chunked) {
                    rc = emit_headers(d, "Transfer-Encoding: chunked\r\n");
                    media(d, d->bmedia);
                    if (!rc && d->dbuf.len)
                        rc = out_chunk(d, d->dbuf.data, d->dbuf.len);
                } else {
                    snprintf(line, sizeof line, "Content-Length: %zu\r\n", d->dbuf.len);
                    rc = emit_headers(d, line);
                    media(d, d->bmedia);
                    if (!rc)
                        rc = out(d, d->dbuf.data, d->dbuf.len);
                }
                d->s.bytes_decoded += d->dbuf.len;
            }
            if (!rc && (d->orig_chunked || d->outm == O_CHUNK)) {
                media(d, d->bmedia);
                rc = outs_frm(d, "0\r\n");
                media(d, TR_MEDIA_HEAD); /* the trailer section */
                if (!rc)
                    rc = out(d, d->hbuf.data, d->hbuf.len);
                if (!rc)
                    rc = outs(d, "\r\n");
            }
        }
    }
    int upg = d->upgrade_after, pmd = d->pmd_after;
    if (!d->distrust || d->outm != O_DISCARD)
        d->distrust = 0; /* a complete message after a resync */
    msg_reset(d);
    d->st = S_START;
    if (upg != U_NONE)
        enter_upgraded(d, upg, pmd);
    return rc;
}

/* ---- header section ---- */

struct field {
    size_t no, nl, vo, vl; /* in ohdr */
};

/* Comma-separated tokens of a field value, parameters after ';' dropped. */
struct tok_it {
    struct tr_reader r;
};

static int tok_next(struct tok_it *t, const uint8_t **p, size_t *n)
{
    for (;;) {
        while (tr_rd_left(&t->r) && (*t->r.p == ' ' || *t->r.p == '\t' || *t->r.p == ','))
            tr_rd_skip(&t->r, 1);
        if (!tr_rd_left(&t->r))
            return 0;
        const uint8_t *s = t->r.p;
        size_t k = 0, end = 0;
        int param = 0;
        while (tr_rd_left(&t->r) && *t->r.p != ',') {
            uint8_t c = tr_rd_u8(&t->r);
            if (c == ';')
                param = 1;
            k++;
            if (!param && c != ' ' && c != '\t')
                end = k;
        }
        if (end) {
            *p = s;
            *n = end;
            return 1;
        }
    }
}

struct hinfo {
    int has_cl, cl_bad, te, te_chunked_last, te_bad;
    uint64_t cl;
    int codings[TR_HTTP1_MAX_CODINGS];
    size_t ncod; /* in application order: CE first, then TE */
    int unknown; /* a coding not known, or more than TR_HTTP1_MAX_CODINGS */
    int any_coding;
    int upgrade, upgrade_ws, pmd;
    int nct[2], mwb[2]; /* permessage-deflate params [client, server] */
    int media, has_ct; /* Content-Type: enum tr_media */
};

/* One transfer coding other than chunked. */
static void add_coding(struct hinfo *h, const uint8_t *p, size_t n)
{
    int c = tr_bodydec_coding_of(p, n);
    if (c == TR_CODING_IDENTITY)
        return;
    h->any_coding = 1;
    if (c < 0 || h->ncod >= TR_HTTP1_MAX_CODINGS)
        h->unknown = 1;
    else
        h->codings[h->ncod++] = c;
}

/* The permessage-deflate element of Sec-WebSocket-Extensions and its
 * parameters (RFC 7692 §7.1). */
static void pmd_params(struct hinfo *h, const uint8_t *v, size_t vl)
{
    struct tr_reader r = tr_rd_init(v, vl);
    int in_pmd = 0, first = 1;
    while (tr_rd_left(&r)) {
        while (tr_rd_left(&r) && (*r.p == ' ' || *r.p == '\t'))
            tr_rd_skip(&r, 1);
        const uint8_t *s = r.p;
        size_t k = 0;
        while (tr_rd_left(&r) && *r.p != ';' && *r.p != ',' && *r.p != '=') {
            tr_rd_skip(&r, 1);
            k++;
        }
        while (k && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            k--;
        int val = -1;
        if (tr_rd_left(&r) && *r.p == '=') {
            tr_rd_skip(&r, 1);
            val = 0;
            while (tr_rd_left(&r) && *r.p != ';' && *r.p != ',') {
                uint8_t c = tr_rd_u8(&r);
                if (c >= '0' && c <= '9' && val < 100)
                    val = val * 10 + (c - '0');
            }
        }
        if (first) {
            in_pmd = !h->pmd && tr_ieq(s, k, "permessage-deflate");
            h->pmd |= in_pmd;
        } else if (in_pmd) {
            for (int side = 0; side < 2; side++) {
                const char *pre = side ? "server_" : "client_";
                char nm[40];
                snprintf(nm, sizeof nm, "%sno_context_takeover", pre);
                if (tr_ieq(s, k, nm))
                    h->nct[side] = 1;
                snprintf(nm, sizeof nm, "%smax_window_bits", pre);
                if (tr_ieq(s, k, nm) && val >= 8 && val <= 15)
                    h->mwb[side] = val;
            }
        }
        uint8_t sep = tr_rd_u8(&r);
        first = sep == ',';
    }
}

static void field_info(struct hinfo *h, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl,
                       int pass)
{
    struct tok_it t = {tr_rd_init(v, vl)};
    const uint8_t *tp;
    size_t tn;
    if (pass == 0 && tr_ieq(name, nl, "content-length")) {
        int any = 0;
        while (tok_next(&t, &tp, &tn)) {
            any = 1;
            uint64_t x = 0;
            for (size_t i = 0; i < tn; i++) {
                if (tp[i] < '0' || tp[i] > '9' || x > (UINT64_MAX >> 4)) {
                    h->cl_bad = 1;
                    return;
                }
                x = x * 10 + (uint64_t)(tp[i] - '0');
            }
            if (h->has_cl && x != h->cl)
                h->cl_bad = 1;
            h->has_cl = 1;
            h->cl = x;
        }
        if (!any)
            h->cl_bad = 1;
    } else if (pass == 0 && tr_ieq(name, nl, "content-encoding")) {
        int c[TR_HTTP1_MAX_CODINGS];
        int k = tr_bodydec_parse(v, vl, c, TR_HTTP1_MAX_CODINGS - h->ncod);
        if (k != 0)
            h->any_coding = 1;
        if (k < 0)
            h->unknown = 1;
        for (int i = 0; i < k; i++)
            h->codings[h->ncod++] = c[i];
    } else if (pass == 0 && tr_ieq(name, nl, "content-type")) {
        /* several Content-Type fields that disagree: no class */
        int m = tr_media_classify((const char *)v, vl);
        h->media = h->has_ct && h->media != m ? TR_MEDIA_ANY : m;
        h->has_ct = 1;
    } else if (pass == 1 && tr_ieq(name, nl, "transfer-encoding")) {
        /* transfer codings apply after content codings */
        while (tok_next(&t, &tp, &tn)) {
            h->te = 1;
            if (h->te_chunked_last)
                h->te_bad = 1; /* chunked must be last, and only once */
            if (tr_ieq(tp, tn, "chunked"))
                h->te_chunked_last = 1;
            else
                add_coding(h, tp, tn);
        }
    } else if (pass == 0 && tr_ieq(name, nl, "upgrade")) {
        h->upgrade = 1;
        while (tok_next(&t, &tp, &tn)) {
            size_t k = 0;
            while (k < tn && tp[k] != '/')
                k++;
            if (tr_ieq(tp, k, "websocket"))
                h->upgrade_ws = 1;
        }
    } else if (pass == 0 && tr_ieq(name, nl, "sec-websocket-extensions")) {
        pmd_params(h, v, vl);
    }
}

static int is_framing_field(const uint8_t *name, size_t nl)
{
    return tr_ieq(name, nl, "content-length") || tr_ieq(name, nl, "transfer-encoding") ||
           tr_ieq(name, nl, "content-encoding");
}

/* Rebuilds hbuf into ohdr (start line + fields, folds joined, CRLF ends)
 * and fills fields.  drop_framing: leaves out Content-Length,
 * Transfer-Encoding, Content-Encoding.  Returns 0, TR_E_MALFORMED or a
 * fatal code. */
static int rebuild(struct tr_http1dir *d, struct hinfo *h, int drop_framing, int collect)
{
    struct tr_reader r = tr_rd_init(d->hbuf.data, d->hbuf.len);
    int rc = 0, first = 1, have_field = 0, dropping = 0;
    size_t cur_no = 0, cur_nl = 0, cur_vo = 0;
    wipe(&d->ohdr);
    d->ohdr.max = TR_HTTP1_MAX_HEADER + 4;
    for (;;) {
        const uint8_t *ls = r.p;
        size_t ll = 0;
        while (tr_rd_left(&r) && *r.p != '\n') {
            tr_rd_skip(&r, 1);
            ll++;
        }
        if (tr_rd_u8(&r) != '\n' || !tr_rd_ok(&r))
            return TR_E_MALFORMED;
        if (ll && ls[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break; /* end of section */
        if (first) {
            first = 0;
            rc = tr_buf_append(&d->ohdr, ls, ll);
            continue;
        }
        if (ls[0] == ' ' || ls[0] == '\t') {
            /* obs-fold (RFC 9112 §5.2): joined with one SP */
            if (!have_field)
                return TR_E_MALFORMED;
            size_t k = 0;
            while (k < ll && (ls[k] == ' ' || ls[k] == '\t'))
                k++;
            if (!dropping && k < ll &&
                ((rc = tr_buf_append(&d->ohdr, " ", 1)) || (rc = tr_buf_append(&d->ohdr, ls + k, ll - k))))
                break;
            continue;
        }
        /* finish the previous field */
        if (have_field && collect) {
            const uint8_t *o = d->ohdr.data;
            for (int pass = 0; pass < 2; pass++)
                field_info(h, o + cur_no, cur_nl, o + cur_vo, d->ohdr.len - cur_vo, pass);
        }
        size_t k = 0;
        while (k < ll && ls[k] != ':') {
            if (!tchar(ls[k]))
                return TR_E_MALFORMED;
            k++;
        }
        if (k == 0 || k == ll)
            return TR_E_MALFORMED;
        if (dropping)
            d->ohdr.len = cur_no - 2; /* remove the dropped field and its CRLF */
        dropping = drop_framing && is_framing_field(ls, k);
        if ((rc = tr_buf_append(&d->ohdr, "\r\n", 2)) != 0)
            break;
        cur_no = d->ohdr.len;
        cur_nl = k;
        size_t v = k + 1;
        while (v < ll && (ls[v] == ' ' || ls[v] == '\t'))
            v++;
        if ((rc = tr_buf_append(&d->ohdr, ls, ll)) != 0)
            break;
        cur_vo = cur_no + v;
        have_field = 1;
    }
    if (rc)
        return rc == TR_E_LIMIT ? TR_E_MALFORMED : rc;
    if (have_field && collect) {
        const uint8_t *o = d->ohdr.data;
        for (int pass = 0; pass < 2; pass++)
            field_info(h, o + cur_no, cur_nl, o + cur_vo, d->ohdr.len - cur_vo, pass);
    }
    if (dropping)
        d->ohdr.len = cur_no - 2;
    rc = tr_buf_append(&d->ohdr, "\r\n", 2);
    return rc == TR_E_LIMIT ? TR_E_MALFORMED : rc;
}

static int malformed(struct tr_http1dir *d, int encoded);

/* A complete header section is in hbuf. */
static int head_done(struct tr_http1dir *d)
{
    struct hinfo h;
    memset(&h, 0, sizeof h);
    const uint8_t *lf = memchr(d->hbuf.data, '\n', d->hbuf.len);
    size_t l1 = (size_t)(lf - d->hbuf.data) + 1;
    int ok;
    if (d->client)
        ok = parse_reqline(d->hbuf.data, l1, 0, &d->req, &d->minor);
    else
        ok = parse_statusline(d->hbuf.data, l1, &d->status, &d->minor);
    int rc = ok ? rebuild(d, &h, 0, 1) : TR_E_MALFORMED;
    if (rc == TR_E_MALFORMED || h.cl_bad || h.te_bad || (h.te && !h.te_chunked_last && d->client))
        return malformed(d, h.any_coding);
    if (rc)
        return rc;
    d->s.messages++;

    /* framing (RFC 9112 §6.3) */
    int upgrade = U_NONE;
    if (d->client) {
        d->req.upgrade = h.upgrade || d->req.connect;
        d->req.upgrade_ws = h.upgrade_ws;
        if (h.te)
            d->frm = F_CHUNKED;
        else if (h.has_cl && h.cl)
            d->frm = F_CL;
        else
            d->frm = F_NONE;
        if (d->fcount < TR_HTTP1_MAX_PIPELINE) {
            d->fifo[(d->fhead + d->fcount) % TR_HTTP1_MAX_PIPELINE] = d->req;
            d->fcount++;
        } else {
            d->s.pipeline_overflow++;
        }
        if (d->req.upgrade)
            upgrade = U_OPAQUE; /* pending: S_UPG_WAIT after the body */
    } else {
        struct tr_http1dir *c = d->peer;
        int final = d->status >= 200 || d->status == 101;
        memset(&d->req, 0, sizeof d->req);
        if (final) {
            if (c && c->fcount) {
                d->req = c->fifo[c->fhead];
                c->fhead = (c->fhead + 1) % TR_HTTP1_MAX_PIPELINE;
                c->fcount--;
            } else {
                d->s.unpaired++;
            }
        }
        if (d->status == 101) {
            upgrade = d->req.upgrade_ws && h.upgrade_ws ? U_WS : U_OPAQUE;
            d->pmd_after = h.pmd;
            memcpy(d->pmd_nct, h.nct, sizeof d->pmd_nct);
            memcpy(d->pmd_mwb, h.mwb, sizeof d->pmd_mwb);
            if (c) {
                memcpy(c->pmd_nct, h.nct, sizeof c->pmd_nct);
                memcpy(c->pmd_mwb, h.mwb, sizeof c->pmd_mwb);
            }
        } else if (d->req.connect && d->status >= 200 && d->status < 300) {
            upgrade = U_OPAQUE;
        }
        if (c && d->req.upgrade && final)
            c->upg_decision = upgrade == U_WS ? D_WS : upgrade == U_OPAQUE ? D_OPAQUE : D_REFUSED;
        if (c && upgrade == U_WS)
            c->upg_pmd = h.pmd;
        if (d->req.head || d->status < 200 || d->status == 204 || d->status == 304 ||
            upgrade != U_NONE)
            d->frm = F_NONE;
        else if (h.te && h.te_chunked_last)
            d->frm = F_CHUNKED;
        else if (h.te)
            d->frm = F_EOF;
        else if (h.has_cl)
            d->frm = h.cl ? F_CL : F_NONE;
        else
            d->frm = F_EOF;
    }
    d->upgrade_after = upgrade;
    d->left = h.cl;
    d->orig_chunked = d->frm == F_CHUNKED;

    int encoded = h.any_coding && d->frm != F_NONE;
    int pass = !encoded || (d->o.allow_uninspected && h.unknown);
    if (!pass) {
        /* decode: rebuild without the framing fields */
        struct hinfo h2;
        memset(&h2, 0, sizeof h2);
        rc = rebuild(d, &h2, 1, 0);
        if (rc == TR_E_MALFORMED)
            return malformed(d, 1);
        if (rc)
            return rc;
    }
    wipe(&d->hbuf);
    d->hline = 0;
    d->bmedia = h.media;
    if (pass) {
        if (encoded)
            d->s.bodies_uninspected++;
        d->outm = O_PASS;
        rc = emit_headers(d, NULL);
        d->ofrm = d->frm;
        d->out_left = d->left;
    } else {
        d->outm = O_HOLD;
        if (h.unknown) {
            rc = withhold_body(d, TR_H1W_UNKNOWN_CODING);
        } else {
            struct tr_bodydec_opts bo = {d->o.max_body, d->o.max_ratio};
            d->ncod = h.ncod;
            memcpy(d->cod, h.codings, h.ncod * sizeof *h.codings);
            d->dec = tr_bodydec_new(d->cod, d->ncod, &bo);
            if (!d->dec)
                rc = TR_E_NOMEM;
        }
    }
    if (rc)
        return rc;
    switch (d->frm) {
    case F_NONE:
        return msg_end(d);
    case F_CL:
        d->st = S_BODY_CL;
        break;
    case F_CHUNKED:
        d->st = S_CHUNK_SIZE;
        break;
    default:
        d->st = S_BODY_EOF;
        break;
    }
    return 0;
}

/* ---- malformed, raw, lost ---- */

/* Closes the output message so the emitted stream stays framed. */
static int close_output(struct tr_http1dir *d, int why)
{
    int rc = 0;
    if (d->outm == O_HOLD || d->outm == O_CHUNK) {
        rc = withhold_body(d, why);
    } else if (d->outm == O_PASS && d->hdr_out) {
        media(d, d->bmedia);
        if (d->ofrm == F_CL && d->out_left <= TR_HTTP1_MAX_PAD) {
            rc = out_fill(d, d->out_left);
        } else if (d->ofrm == F_CHUNKED) {
            if (d->st == S_CHUNK_DATA)
                rc = out_fill(d, d->left);
            if (!rc && (d->st == S_CHUNK_DATA || d->st == S_CHUNK_CRLF))
                rc = outs_frm(d, "\r\n");
            if (!rc && d->st != S_TRAILERS)
                rc = outs_frm(d, "0\r\n");
            media(d, TR_MEDIA_HEAD); /* the end of the trailer section */
            if (!rc)
                rc = outs(d, "\r\n");
        }
    }
    msg_reset(d);
    return rc;
}

/* Does this header text declare a coding other than identity/chunked? */
static int declares_coding(const uint8_t *p, size_t n)
{
    struct tr_reader r = tr_rd_init(p, n);
    while (tr_rd_left(&r)) {
        const uint8_t *ls = r.p;
        size_t ll = 0;
        while (tr_rd_left(&r) && *r.p != '\n') {
            tr_rd_skip(&r, 1);
            ll++;
        }
        tr_rd_skip(&r, 1);
        while (ll && (ls[ll - 1] == '\r' || ls[ll - 1] == ' ' || ls[ll - 1] == '\t'))
            ll--;
        const uint8_t *colon = ll ? memchr(ls, ':', ll) : NULL;
        if (!colon)
            continue;
        size_t k = (size_t)(colon - ls), vl = ll - k - 1;
        while (k > 0 && (ls[k - 1] == ' ' || ls[k - 1] == '\t'))
            k--;
        struct hinfo h;
        memset(&h, 0, sizeof h);
        if (tr_ieq(ls, k, "content-encoding"))
            field_info(&h, ls, k, colon + 1, vl, 0);
        else if (tr_ieq(ls, k, "transfer-encoding"))
            field_info(&h, ls, k, colon + 1, vl, 1);
        if (h.any_coding || h.te_bad)
            return 1;
    }
    return 0;
}

/* The message does not parse: close it, then pass bytes unparsed (when
 * nothing was encoded) until a start line at a line start. */
static int malformed(struct tr_http1dir *d, int encoded)
{
    int rc = 0;
    d->s.malformed++;
    if (d->st == S_HEAD || d->st == S_START) {
        encoded |= declares_coding(d->hbuf.data, d->hbuf.len);
        d->raw_emit = (!encoded && !d->distrust) || d->o.allow_uninspected;
        if (d->raw_emit) {
            media(d, TR_MEDIA_ANY);
            d->s.bytes_raw += d->hbuf.len;
            rc = out(d, d->hbuf.data, d->hbuf.len);
        } else {
            d->s.bytes_withheld += d->hbuf.len;
        }
        d->raw_ls = d->hbuf.len && d->hbuf.data[d->hbuf.len - 1] == '\n';
        msg_reset(d);
    } else {
        int enc = d->outm != O_PASS || encoded;
        rc = close_output(d, TR_H1W_MALFORMED);
        d->raw_emit = (!enc && !d->distrust) || d->o.allow_uninspected;
        d->raw_ls = 0;
    }
    wipe(&d->lbuf);
    d->st = S_RAW;
    return rc;
}

static int raw_line(struct tr_http1dir *d, int complete)
{
    const uint8_t *p = d->lbuf.data;
    size_t n = d->lbuf.len;
    int rc = 0;
    if (d->raw_ls && complete && tr_http1_looks_like(p, n, d->client)) {
        /* resynchronised: the line starts a message */
        d->s.resyncs++;
        d->s.lost = 0;
        msg_reset(d);
        rc = tr_buf_append(&d->hbuf, p, n);
        wipe(&d->lbuf);
        if (rc)
            return rc;
        d->hline = d->hbuf.len;
        d->st = S_HEAD;
        return 0;
    }
    if (d->raw_emit && !d->o.allow_uninspected && d->raw_ls && declares_coding(p, n))
        d->raw_emit = 0; /* a message we missed declares a coding */
    if (d->raw_emit) {
        media(d, TR_MEDIA_ANY);
        d->s.bytes_raw += n;
        rc = out(d, p, n);
    } else {
        d->s.bytes_withheld += n;
    }
    d->raw_ls = complete;
    wipe(&d->lbuf);
    return rc;
}

/* ---- upgrade ---- */

static int ws_frame(void *ctx, const uint8_t *p, size_t n) { return out_frm(ctx, p, n); }

static int ws_emit(void *ctx, const uint8_t *p, size_t n)
{
    return out(ctx, p, n);
}

static void start_upgraded(struct tr_http1dir *d)
{
    d->s.upgrades++;
    d->st = S_UPGRADED;
    media(d, TR_MEDIA_ANY); /* not HTTP any more */
    if (d->upg != U_WS)
        return;
    d->s.upgrades_ws++;
    d->ws = tr_wsdir_new(d->client, d->upg_pmd, ws_emit, d);
    if (d->ws && d->frame_fn)
        tr_wsdir_set_frame_cb(d->ws, ws_frame, d);
    if (d->ws && d->upg_pmd)
        tr_wsdir_set_deflate_params(d->ws, d->pmd_nct[!d->client], d->pmd_mwb[!d->client]);
}

static void enter_upgraded(struct tr_http1dir *d, int kind, int pmd)
{
    if (d->client) {
        d->st = S_UPG_WAIT;
        return;
    }
    d->upg = kind;
    d->upg_pmd = pmd;
    start_upgraded(d);
}

static int upgraded_bytes(struct tr_http1dir *d, const uint8_t *p, size_t n)
{
    /* WebSocket server frames are unmasked text the byte rules can read;
     * client frames are masked and permessage-deflate payloads compressed:
     * not inspected.  Other protocols (h2c, CONNECT tunnels) likewise. */
    if (d->ws) {
        int rc = tr_wsdir_push(d->ws, p, n);
        if (rc)
            d->err = rc;
        return rc;
    }
    /* without a ws state (out of memory) nothing is inspected */
    int pass = d->o.allow_uninspected;
    if (pass)
        return out(d, p, n);
    d->s.bytes_withheld += n;
    d->s.upgraded_bytes_withheld += n;
    return 0;
}

static int push_bytes(struct tr_http1dir *d, const uint8_t *p, size_t n);

/* Client in S_UPG_WAIT: applies the server's answer once known. */
static int upg_resolve(struct tr_http1dir *d, int at_end)
{
    int dec = d->upg_decision;
    if (dec == D_NONE && !d->peer && d->ubuf.len) {
        /* no peer: a refused upgrade is followed by another request,
         * WebSocket frames start with FIN/opcode bits, not a letter */
        uint8_t c = d->ubuf.data[0];
        dec = c >= 'A' && c <= 'Z' ? D_REFUSED : D_OPAQUE;
    }
    if (dec == D_NONE) {
        if (at_end) {
            d->s.bytes_withheld += d->ubuf.len;
            d->s.upgraded_bytes_withheld += d->ubuf.len;
            wipe(&d->ubuf);
        }
        return 0;
    }
    d->upg_decision = D_NONE;
    if (dec == D_REFUSED) {
        d->st = S_START;
    } else {
        d->upg = dec == D_WS ? U_WS : U_OPAQUE;
        start_upgraded(d);
    }
    /* replay what was held */
    struct tr_buf held = d->ubuf;
    tr_buf_init(&d->ubuf, TR_HTTP1_MAX_UPGRADE_HOLD);
    int rc = held.len ? push_bytes(d, held.data, held.len) : 0;
    tr_buf_free(&held);
    return rc;
}

/* ---- the state machine ---- */

/* Appends bytes up to and including LF to b.  Returns bytes taken; *done
 * when LF was taken; TR_E_LIMIT through *over when b is full. */
static size_t take_line(struct tr_buf *b, const uint8_t *p, size_t n, int *done, int *over)
{
    const uint8_t *lf = memchr(p, '\n', n);
    size_t k = lf ? (size_t)(lf - p) + 1 : n;
    *done = lf != NULL;
    *over = 0;
    if (k > b->max - b->len) {
        k = b->max - b->len;
        *done = 0;
        *over = 1;
    }
    if (tr_buf_append(b, p, k) != 0) {
        *over = 1;
        return 0;
    }
    return k;
}

/* Parses a chunk-size line in lbuf: 1*HEXDIG [ext] CRLF. */
static int chunk_size(const uint8_t *p, size_t n, uint64_t *sz)
{
    struct tr_reader r = tr_rd_init(p, n);
    uint64_t v = 0;
    size_t digits = 0;
    while (tr_rd_left(&r)) {
        uint8_t c = *r.p;
        int x = tr_hexval(c);
        if (x < 0)
            break;
        tr_rd_skip(&r, 1);
        if (++digits > 15)
            return 0;
        v = v << 4 | (uint64_t)x;
    }
    if (!digits)
        return 0;
    while (tr_rd_left(&r) && (*r.p == ' ' || *r.p == '\t'))
        tr_rd_skip(&r, 1);
    if (tr_rd_left(&r) && *r.p == ';')
        while (tr_rd_left(&r) > 2 || (tr_rd_left(&r) == 2 && r.p[0] != '\r'))
            tr_rd_skip(&r, 1);
    if (!at_eol(&r) || !tr_rd_done(&r))
        return 0;
    *sz = v;
    return 1;
}

/* Reads one header or trailer line into hbuf: 1 when a line is complete
 * (*ls, *ll, and *blank for the empty line that ends the section), 0 when
 * more bytes are needed, -1 when the section is over its limit.  *k: bytes
 * consumed. */
static int header_line(struct tr_http1dir *d, const uint8_t *q, size_t m, size_t *k,
                       const uint8_t **ls, size_t *ll, int *blank)
{
    int done = 0, over = 0;
    d->hbuf.max = TR_HTTP1_MAX_HEADER;
    *k = take_line(&d->hbuf, q, m, &done, &over);
    if (over)
        return -1;
    if (!done)
        return 0;
    *ll = d->hbuf.len - d->hline;
    *ls = d->hbuf.data + d->hline;
    *blank = *ll == 1 || (*ll == 2 && (*ls)[0] == '\r');
    return 1;
}

static int push_bytes(struct tr_http1dir *d, const uint8_t *p, size_t n)
{
    int rc = 0;
    size_t i = 0;
    while (i < n && !rc && !d->err) {
        const uint8_t *q = p + i;
        size_t m = n - i, k = 0;
        int done = 0, over = 0;
        switch (d->st) {
        case S_START:
            if (*q == '\r' || *q == '\n') {
                rc = out(d, q, 1); /* empty lines between messages */
                k = 1;
                break;
            }
            msg_reset(d);
            d->st = S_HEAD;
            continue;
        case S_HEAD: {
            const uint8_t *ls;
            size_t ll;
            int blank, hl = header_line(d, q, m, &k, &ls, &ll, &blank);
            if (hl < 0) {
                i += k;
                rc = malformed(d, 0);
                continue;
            }
            if (hl > 0) {
                if (d->hline == 0 && !(d->client ? parse_reqline(ls, ll, 0, NULL, NULL)
                                                 : parse_statusline(ls, ll, NULL, NULL))) {
                    i += k;
                    rc = malformed(d, 0);
                    continue;
                }
                if (d->hline > 0 && blank) {
                    i += k;
                    rc = head_done(d);
                    continue;
                }
                d->hline = d->hbuf.len;
            }
            break;
        }
        case S_BODY_CL:
            k = m < d->left ? m : (size_t)d->left;
            d->left -= k;
            if (d->outm == O_PASS)
                d->out_left -= k;
            rc = body_bytes(d, q, k);
            if (!rc && d->left == 0) {
                i += k;
                rc = msg_end(d);
                continue;
            }
            break;
        case S_BODY_EOF:
            k = m;
            rc = body_bytes(d, q, k);
            break;
        case S_CHUNK_SIZE:
            d->lbuf.max = TR_HTTP1_MAX_LINE;
            k = take_line(&d->lbuf, q, m, &done, &over);
            if (over) {
                i += k;
                rc = malformed(d, 0);
                continue;
            }
            if (done) {
                uint64_t sz;
                if (!chunk_size(d->lbuf.data, d->lbuf.len, &sz)) {
                    i += k;
                    wipe(&d->lbuf);
                    rc = malformed(d, 0);
                    continue;
                }
                if (d->outm == O_PASS) {
                    media(d, d->bmedia); /* chunk-size lines count as body */
                    rc = out_frm(d, d->lbuf.data, d->lbuf.len);
                }
                wipe(&d->lbuf);
                d->left = sz;
                d->st = sz ? S_CHUNK_DATA : S_TRAILERS;
                d->hline = 0;
                wipe(&d->hbuf);
            }
            break;
        case S_CHUNK_DATA:
            k = m < d->left ? m : (size_t)d->left;
            d->left -= k;
            rc = body_bytes(d, q, k);
            if (d->left == 0)
                d->st = S_CHUNK_CRLF;
            break;
        case S_CHUNK_CRLF:
            d->lbuf.max = 2;
            k = take_line(&d->lbuf, q, m, &done, &over);
            if (over || (done && !(d->lbuf.len == 1 || d->lbuf.data[0] == '\r'))) {
                i += k;
                wipe(&d->lbuf);
                rc = malformed(d, 0);
                continue;
            }
            if (done) {
                if (d->outm == O_PASS) {
                    media(d, d->bmedia);
                    rc = outs_frm(d, "\r\n");
                }
                wipe(&d->lbuf);
                d->st = S_CHUNK_SIZE;
            }
            break;
        case S_TRAILERS: {
            const uint8_t *ls;
            size_t ll;
            int last, hl = header_line(d, q, m, &k, &ls, &ll, &last);
            if (hl < 0) {
                i += k;
                rc = malformed(d, 0);
                continue;
            }
            if (hl > 0) {
                if (!last) {
                    size_t c = 0;
                    while (c < ll && ls[c] != ':' && tchar(ls[c]))
                        c++;
                    if ((c == 0 || ls[c] != ':') && ls[0] != ' ' && ls[0] != '\t') {
                        i += k;
                        rc = malformed(d, 0);
                        continue;
                    }
                }
                if (d->outm == O_PASS) {
                    media(d, TR_MEDIA_HEAD);
                    rc = last ? outs(d, "\r\n") : out(d, ls, ll);
                    wipe(&d->hbuf);
                    d->hline = 0;
                } else if (last) {
                    d->hbuf.len = d->hline; /* keep the trailer lines only */
                } else {
                    d->hline = d->hbuf.len;
                }
                if (last) {
                    i += k;
                    rc = msg_end(d);
                    continue;
                }
            }
            break;
        }
        case S_UPG_WAIT:
            d->ubuf.max = TR_HTTP1_MAX_UPGRADE_HOLD;
            k = m;
            if (tr_buf_append(&d->ubuf, q, m) != 0) {
                d->s.bytes_withheld += m;
                d->s.upgraded_bytes_withheld += m;
            }
            rc = upg_resolve(d, 0);
            break;
        case S_UPGRADED:
            k = m;
            rc = upgraded_bytes(d, q, m);
            break;
        case S_RAW:
            d->lbuf.max = TR_HTTP1_MAX_LINE;
            k = take_line(&d->lbuf, q, m, &done, &over);
            if (done || over)
                rc = raw_line(d, done);
            break;
        }
        i += k;
    }
    if (rc > 0)
        rc = 0;
    return rc ? rc : d->err;
}

/* ---- public ---- */

struct tr_http1dir *tr_http1dir_new(int client, tr_http1_emit_fn emit, void *ctx,
                                    const struct tr_http1_opts *opts)
{
    struct tr_http1dir *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->client = client;
    d->emit = emit;
    d->ctx = ctx;
    if (opts)
        d->o = *opts;
    if (!d->o.max_body)
        d->o.max_body = TR_HTTP1_MAX_BODY_DEFAULT;
    if (!d->o.max_ratio)
        d->o.max_ratio = TR_HTTP1_MAX_RATIO_DEFAULT;
    tr_buf_init(&d->hbuf, TR_HTTP1_MAX_HEADER);
    tr_buf_init(&d->lbuf, TR_HTTP1_MAX_LINE);
    tr_buf_init(&d->ohdr, TR_HTTP1_MAX_HEADER + 4);
    tr_buf_init(&d->dbuf, TR_HTTP1_MAX_HOLD);
    tr_buf_init(&d->ubuf, TR_HTTP1_MAX_UPGRADE_HOLD);
    d->st = S_START;
    d->bmedia = d->media_cur = d->media_want = TR_MEDIA_ANY;
    return d;
}

int tr_http1dir_idle(const struct tr_http1dir *d)
{
    return d->st == S_START;
}

void tr_http1dir_set_frame_cb(struct tr_http1dir *d, tr_http1_emit_fn fn, void *ctx)
{
    d->frame_fn = fn;
    d->frame_ctx = ctx;
}

void tr_http1dir_set_media_cb(struct tr_http1dir *d, tr_http1_media_fn fn, void *ctx)
{
    d->media_fn = fn;
    d->media_ctx = ctx;
}

void tr_http1dir_peer(struct tr_http1dir *client, struct tr_http1dir *server)
{
    if (client) {
        if (client->peer && client->peer != server)
            client->peer->peer = NULL;
        client->peer = server;
    }
    if (server) {
        if (server->peer && server->peer != client)
            server->peer->peer = NULL;
        server->peer = client;
    }
}

int tr_http1dir_push(struct tr_http1dir *d, const uint8_t *p, size_t n)
{
    d->s.bytes_in += n;
    if (d->err) {
        d->s.bytes_withheld += n;
        return d->err;
    }
    int rc = 0;
    if (d->st == S_UPG_WAIT)
        rc = upg_resolve(d, 0);
    if (!rc)
        rc = push_bytes(d, p, n);
    if (rc && !d->err)
        d->err = rc;
    return rc;
}

void tr_http1dir_gap(struct tr_http1dir *d)
{
    d->s.gaps++;
    if (d->err)
        return;
    switch (d->st) {
    case S_UPGRADED:
        if (d->ws)
            tr_wsdir_gap(d->ws);
        return; /* not framed by us: bytes keep passing or being withheld */
    case S_UPG_WAIT:
        d->s.bytes_withheld += d->ubuf.len;
        wipe(&d->ubuf);
        return;
    case S_START:
    case S_RAW:
        break;
    case S_HEAD:
        d->s.bytes_withheld += d->hbuf.len;
        break;
    default:
        if (close_output(d, TR_H1W_GAP) != 0)
            return;
        break;
    }
    msg_reset(d);
    wipe(&d->lbuf);
    d->st = S_RAW;
    d->raw_emit = 0;
    d->raw_ls = 0;
    d->distrust = 1;
    d->s.lost = 1;
}

int tr_http1dir_finish(struct tr_http1dir *d)
{
    if (d->err)
        return 0;
    int rc = 0;
    switch (d->st) {
    case S_UPG_WAIT:
        rc = upg_resolve(d, 1);
        if (!rc && d->st != S_UPG_WAIT)
            return tr_http1dir_finish(d);
        break;
    case S_BODY_EOF:
        rc = msg_end(d);
        break;
    case S_UPGRADED:
        if (d->ws)
            rc = tr_wsdir_finish(d->ws);
        break;
    case S_HEAD:
        rc = malformed(d, 0); /* incomplete header section */
        if (!rc && d->lbuf.len)
            rc = raw_line(d, 0);
        break;
    case S_RAW:
        if (d->lbuf.len)
            rc = raw_line(d, 0);
        break;
    case S_BODY_CL:
    case S_CHUNK_SIZE:
    case S_CHUNK_DATA:
    case S_CHUNK_CRLF:
    case S_TRAILERS:
        /* truncated body: what was decoded is not emitted */
        if (d->outm == O_HOLD || d->outm == O_CHUNK)
            rc = withhold_body(d, TR_H1W_DECODE_ERROR);
        d->s.bytes_withheld += d->lbuf.len;
        msg_reset(d);
        break;
    default:
        break;
    }
    wipe(&d->lbuf);
    return rc ? rc : 0;
}

void tr_http1_stats_add(struct tr_http1_stats *a, const struct tr_http1_stats *b)
{
    a->bytes_in += b->bytes_in;
    a->bytes_out += b->bytes_out;
    a->messages += b->messages;
    for (int c = 0; c < TR_H1C_N; c++)
        a->bodies_decoded[c] += b->bodies_decoded[c];
    a->bytes_decoded += b->bytes_decoded;
    for (int w = 0; w < TR_H1W_N; w++)
        a->bodies_withheld[w] += b->bodies_withheld[w];
    a->bodies_uninspected += b->bodies_uninspected;
    a->malformed += b->malformed;
    a->bytes_raw += b->bytes_raw;
    a->bytes_withheld += b->bytes_withheld;
    a->gaps += b->gaps;
    a->resyncs += b->resyncs;
    a->upgrades += b->upgrades;
    a->upgrades_ws += b->upgrades_ws;
    a->upgraded_bytes_withheld += b->upgraded_bytes_withheld;
    a->unpaired += b->unpaired;
    a->pipeline_overflow += b->pipeline_overflow;
    a->lost |= b->lost;
}

void tr_http1dir_stats(const struct tr_http1dir *d, struct tr_http1_stats *st)
{
    *st = d->s;
}

int tr_http1dir_ws_stats(const struct tr_http1dir *d, struct tr_ws_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!d->ws)
        return 0;
    tr_wsdir_stats(d->ws, st);
    return 1;
}

void tr_http1dir_free(struct tr_http1dir *d)
{
    if (!d)
        return;
    if (d->peer)
        d->peer->peer = NULL;
    tr_bodydec_free(d->dec);
    tr_wsdir_free(d->ws);
    tr_buf_free(&d->hbuf);
    tr_buf_free(&d->lbuf);
    tr_buf_free(&d->ohdr);
    tr_buf_free(&d->dbuf);
    tr_buf_free(&d->ubuf);
    tr_redact_wipe(d, sizeof *d);
    free(d);
}
