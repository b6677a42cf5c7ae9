/* ws.c - see ws.h. */
#include "proto/ws.h"

#include "core/err.h"
#include "core/fill.h"
#include "core/wipealloc.h"
#include "redact/redact.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { OP_CONT = 0, OP_TEXT = 1, OP_BIN = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };
/* what happens to the payload of the current frame */
enum {
    K_STREAM,  /* unmasked and written as it arrives (header already out) */
    K_STARS,   /* written as '*' as it arrives (header already out) */
    K_INFLATE, /* unmasked, inflated into obuf, written in chunks */
    K_SWALLOW  /* inflate limit hit inside: dropped, '*' frame at its end */
};

struct tr_wsdir {
    int client, pmd, no_ctx, no_ctx_next;
    int (*emit)(void *ctx, const uint8_t *p, size_t n);
    void *ctx;
    int (*frame_emit)(void *ctx, const uint8_t *p, size_t n); /* headers, or NULL */
    void *frame_ctx;

    /* current frame header */
    uint8_t hdr[14];
    size_t hdr_have, hdr_need;
    int in_frame, kind;
    uint8_t fin, rsv1, op, masked, key[4];
    uint64_t flen, fpos;

    /* current data message */
    int msg_open, msg_comp, msg_withheld, out_started;
    uint8_t msg_op;
    uint64_t msg_in, msg_out, msg_allowed;

    /* inflater */
    z_stream zs;
    int zs_init, zs_ended;
    uint8_t *obuf;
    size_t olen;

    int lost, inflate_lost;
    struct tr_ws_stats st;
};

/* ---- output ---- */

static int out(struct tr_wsdir *d, const uint8_t *p, size_t n)
{
    if (!n)
        return 0;
    d->st.bytes_out += n;
    return d->emit(d->ctx, p, n);
}

/* Withheld bytes keep their length: n fill bytes go out instead. */
static int out_fill(void *ctx, const uint8_t *p, size_t n) { return out(ctx, p, n); }

static int out_stars(struct tr_wsdir *d, uint64_t n)
{
    return tr_fill_emit(out_fill, d, n);
}

/* An unmasked frame header, length in its shortest form. */
static int out_hdr(struct tr_wsdir *d, int fin, uint8_t op, uint64_t len)
{
    uint8_t h[10];
    size_t n = 2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | (op & 0x0f));
    if (len < 126) {
        h[1] = (uint8_t)len;
    } else if (len <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        n = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        n = 10;
    }
    d->st.frames_out++;
    if (d->frame_emit) {
        d->st.bytes_out += n;
        return d->frame_emit(d->frame_ctx, h, n);
    }
    return out(d, h, n);
}

/* Opcode of the next output frame of the current data message. */
static uint8_t msg_out_op(struct tr_wsdir *d)
{
    uint8_t op = d->out_started ? OP_CONT : d->msg_op;
    d->out_started = 1;
    return op;
}

/* ---- loss ---- */

static void note(struct tr_wsdir *d, const char *why)
{
    if (!d->st.why)
        d->st.why = why;
}

static void drop_obuf(struct tr_wsdir *d)
{
    if (d->obuf)
        tr_redact_wipe(d->obuf, d->olen);
    d->olen = 0;
}

/* Input bytes of the current frame taken but not represented in the output
 * (header and payload of a frame being inflated, or a header being
 * collected). */
static uint64_t unwritten(const struct tr_wsdir *d)
{
    if (!d->in_frame)
        return d->hdr_have;
    if (d->kind == K_INFLATE || d->kind == K_SWALLOW)
        return d->hdr_need + d->fpos;
    return 0;
}

static void lose(struct tr_wsdir *d, const char *why)
{
    note(d, why);
    d->st.bytes_withheld += unwritten(d);
    drop_obuf(d);
    d->in_frame = 0;
    d->hdr_have = 0;
    d->msg_open = 0;
    d->lost = 1;
}

/* A protocol or inflate error: the unwritten bytes of the current frame
 * (plus extra: the rest of the piece being handled) become '*', and so does
 * everything after. */
static int fail(struct tr_wsdir *d, const char *why, uint64_t extra)
{
    uint64_t n = unwritten(d) + extra;
    lose(d, why);
    d->st.bytes_withheld += extra;
    return out_stars(d, n);
}

void tr_wsdir_set_frame_cb(struct tr_wsdir *d, int (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx)
{
    d->frame_emit = fn;
    d->frame_ctx = ctx;
}

void tr_wsdir_gap(struct tr_wsdir *d)
{
    if (!d->lost)
        lose(d, "gap in the stream");
}

/* ---- inflate ---- */

static int inflater_ready(struct tr_wsdir *d)
{
    if (!d->obuf) {
        d->obuf = malloc(TR_WS_OUT_CHUNK);
        if (!d->obuf)
            return TR_E_NOMEM;
    }
    if (!d->zs_init) {
        memset(&d->zs, 0, sizeof d->zs);
        d->zs.zalloc = tr_wipe_zalloc;
        d->zs.zfree = tr_wipe_zfree;
        if (inflateInit2(&d->zs, -MAX_WBITS) != Z_OK)
            return TR_E_NOMEM;
        d->zs_init = 1;
    }
    return 0;
}

/* A final deflate block ended the stream of the last message (RFC 7692
 * §7.2.3.3): start a new one for the next, keeping the window. */
static int restart_stream(struct tr_wsdir *d)
{
    uint8_t *win = malloc(32768);
    uInt wl = 32768;
    int rc = -1;
    if (win && inflateGetDictionary(&d->zs, win, &wl) == Z_OK &&
        inflateReset(&d->zs) == Z_OK &&
        (wl == 0 || inflateSetDictionary(&d->zs, win, wl) == Z_OK))
        rc = 0;
    if (win) {
        tr_redact_wipe(win, 32768);
        free(win);
    }
    return rc;
}

static int flush_chunk(struct tr_wsdir *d, int fin)
{
    int rc = out_hdr(d, fin, msg_out_op(d), d->olen);
    if (!rc)
        rc = out(d, d->obuf, d->olen);
    drop_obuf(d);
    return rc;
}

/* Results of inflate_feed besides 0 and emit errors. */
#define IF_TRIP 1
#define IF_ERROR 2

/* Inflates n cleartext bytes of the current message into obuf, writing
 * full chunks.  After return obuf holds less than a chunk. */
static int inflate_feed(struct tr_wsdir *d, const uint8_t *p, size_t n)
{
    if (d->zs_ended) {
        /* a final block ended the message's stream (RFC 7692 §7.2.3.3):
         * the rest of the message (its 00 00 ff ff tail) is not data */
        return 0;
    }
    d->zs.next_in = (Bytef *)(uintptr_t)p;
    d->zs.avail_in = (uInt)n;
    for (;;) {
        if (d->olen == TR_WS_OUT_CHUNK) {
            int rc = flush_chunk(d, 0);
            if (rc)
                return rc;
        }
        /* never produce more than one byte past the limit: the point where
         * it trips does not depend on how the input was cut */
        uint64_t room = TR_WS_OUT_CHUNK - d->olen;
        uint64_t left = d->msg_allowed + 1 - d->msg_out;
        if (room > left)
            room = left;
        d->zs.next_out = d->obuf + d->olen;
        d->zs.avail_out = (uInt)room;
        int zr = inflate(&d->zs, Z_SYNC_FLUSH);
        size_t got = (size_t)room - d->zs.avail_out;
        d->olen += got;
        d->msg_out += got;
        d->st.bytes_inflated += got;
        if (d->msg_out > d->msg_allowed)
            return IF_TRIP;
        if (zr == Z_STREAM_END) {
            d->zs_ended = 1;
            break;
        }
        if (zr == Z_BUF_ERROR) /* no progress possible: needs input */
            break;
        if (zr != Z_OK)
            return IF_ERROR;
        if (d->zs.avail_in == 0 && d->zs.avail_out != 0)
            break;
    }
    d->zs.next_in = NULL;
    d->zs.avail_in = 0;
    return 0;
}

/* The inflate limit was hit inside the current frame. */
static void trip(struct tr_wsdir *d)
{
    drop_obuf(d);
    d->kind = K_SWALLOW;
    d->msg_withheld = 1;
    d->st.withheld_inflate_limit++;
    d->st.bytes_withheld += d->hdr_need + d->fpos;
    note(d, "message inflated beyond the limit");
    if (!d->no_ctx)
        d->inflate_lost = 1;
}

/* ---- frames ---- */

static int end_message(struct tr_wsdir *d)
{
    d->st.messages++;
    d->msg_open = 0;
    if (d->msg_comp && d->zs_init) {
        if (d->no_ctx || d->inflate_lost) {
            d->zs_ended = 0;
            if (inflateReset(&d->zs) != Z_OK)
                return -1;
        } else if (d->zs_ended) {
            d->zs_ended = 0;
            if (restart_stream(d))
                return -1;
        }
    }
    return 0;
}

static int end_frame(struct tr_wsdir *d)
{
    int rc = 0;
    int data = !(d->op & 8);
    d->in_frame = 0;
    if (d->kind == K_INFLATE && d->fin) {
        static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
        rc = inflate_feed(d, tail, sizeof tail);
        if (rc == IF_TRIP) {
            d->in_frame = 1; /* for the accounting in trip() */
            trip(d);
            d->in_frame = 0;
            rc = 0;
        } else if (rc == IF_ERROR) {
            d->st.inflate_errors++;
            d->in_frame = 1;
            return fail(d, "inflate error", 0);
        }
        if (rc)
            return rc;
    }
    if (d->kind == K_INFLATE) {
        if (d->fin || d->olen)
            rc = flush_chunk(d, d->fin);
    } else if (d->kind == K_SWALLOW) {
        rc = out_hdr(d, d->fin, msg_out_op(d), d->flen);
        if (!rc)
            rc = out_stars(d, d->flen);
    }
    if (!rc && data && d->fin && end_message(d))
        return fail(d, "inflate error", 0);
    return rc;
}

static int proto_error(struct tr_wsdir *d, const char *why)
{
    d->st.protocol_errors++;
    d->kind = K_STREAM; /* nothing of the frame written: its header */
    return fail(d, why, d->hdr_need);
}

/* The header in d->hdr is complete. */
static int start_frame(struct tr_wsdir *d)
{
    const uint8_t *h = d->hdr;
    size_t at = 2;
    d->fin = h[0] >> 7;
    d->rsv1 = (h[0] >> 6) & 1;
    d->op = h[0] & 0x0f;
    d->masked = h[1] >> 7;
    uint64_t len = h[1] & 0x7f;
    if (len == 126) {
        len = ((uint64_t)h[2] << 8) | h[3];
        at = 4;
    } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | h[2 + i];
        at = 10;
    }
    if (d->masked)
        memcpy(d->key, h + at, 4);
    d->flen = len;
    d->fpos = 0;
    d->in_frame = 1;
    d->kind = K_STREAM;
    d->st.frames++;

    if (h[0] & 0x30)
        return proto_error(d, "reserved bit RSV2/RSV3 set");
    if (len >> 63)
        return proto_error(d, "64-bit length with the top bit set");
    int control = (d->op & 8) != 0;
    if (control) {
        if (d->op != OP_CLOSE && d->op != OP_PING && d->op != OP_PONG)
            return proto_error(d, "reserved control opcode");
        if (!d->fin || len > 125)
            return proto_error(d, "control frame fragmented or longer than 125");
        if (d->rsv1)
            return proto_error(d, "RSV1 on a control frame");
    } else if (d->op == OP_CONT) {
        if (!d->msg_open)
            return proto_error(d, "continuation without a message");
        if (d->rsv1)
            return proto_error(d, "RSV1 on a continuation frame");
    } else if (d->op == OP_TEXT || d->op == OP_BIN) {
        if (d->msg_open)
            return proto_error(d, "new message inside a fragmented one");
        if (d->rsv1 && !d->pmd)
            return proto_error(d, "RSV1 without permessage-deflate");
    } else {
        return proto_error(d, "reserved data opcode");
    }
    if (d->masked != (d->client != 0))
        d->st.mask_anomalies++;

    if (control) {
        d->st.control_frames++;
        d->st.frames_out++;
        uint8_t o[2] = {(uint8_t)(0x80 | d->op), (uint8_t)len};
        return out(d, o, 2);
    }
    if (d->op != OP_CONT) {
        d->msg_open = 1;
        d->msg_op = d->op;
        d->msg_comp = d->rsv1;
        d->msg_withheld = 0;
        d->out_started = 0;
        d->msg_in = d->msg_out = 0;
        if (d->msg_comp) {
            d->st.compressed_messages++;
            d->no_ctx = d->no_ctx_next;
            if (d->inflate_lost) {
                d->msg_withheld = 1;
                d->st.withheld_context_lost++;
            } else {
                int rc = inflater_ready(d);
                if (rc)
                    return rc;
            }
        }
    } else if (d->msg_comp && d->msg_withheld && d->inflate_lost) {
        d->st.withheld_context_lost++;
    }
    if (len > TR_WS_MAX_FRAME && !d->msg_withheld) {
        d->st.withheld_frame_limit++;
        note(d, "frame longer than the limit");
        if (d->msg_comp) {
            d->msg_withheld = 1;
            if (!d->no_ctx)
                d->inflate_lost = 1;
        }
        d->kind = K_STARS;
    } else if (d->msg_withheld) {
        d->kind = K_STARS;
    } else if (d->msg_comp) {
        d->kind = K_INFLATE;
        /* limits of the message, fixed for the frame: the whole frame and
         * the 4-byte tail count as compressed input */
        d->msg_in += len;
        uint64_t allowed = (d->msg_in + 4) * TR_WS_MAX_RATIO;
        if (allowed < TR_WS_RATIO_FLOOR)
            allowed = TR_WS_RATIO_FLOOR;
        if (allowed > TR_WS_MAX_INFLATED)
            allowed = TR_WS_MAX_INFLATED;
        d->msg_allowed = allowed;
        return 0;
    }
    /* streamed: the header goes out now */
    return out_hdr(d, d->fin, msg_out_op(d), len);
}

/* Payload bytes of the current frame. */
static int payload(struct tr_wsdir *d, const uint8_t *p, size_t n)
{
    int rc = 0;
    if (d->kind == K_STARS || d->kind == K_SWALLOW) {
        d->st.bytes_withheld += n;
        d->fpos += n;
        return d->kind == K_STARS ? out_stars(d, n) : 0;
    }
    uint8_t tmp[4096];
    while (n && !rc) {
        size_t k = n < sizeof tmp ? n : sizeof tmp;
        if (d->masked) {
            for (size_t i = 0; i < k; i++)
                tmp[i] = p[i] ^ d->key[(d->fpos + i) & 3];
            d->st.bytes_unmasked += k;
        } else {
            memcpy(tmp, p, k);
        }
        if (d->kind == K_STREAM) {
            rc = out(d, tmp, k);
        } else {
            rc = inflate_feed(d, tmp, k);
            if (rc == IF_TRIP) {
                d->fpos += k;
                trip(d);
                d->st.bytes_withheld += n - k;
                d->fpos += n - k;
                tr_redact_wipe(tmp, sizeof tmp);
                return 0;
            }
            if (rc == IF_ERROR) {
                d->st.inflate_errors++;
                d->fpos += k;
                rc = fail(d, "inflate error", n - k);
                d->fpos = 0;
                tr_redact_wipe(tmp, sizeof tmp);
                return rc ? rc : -1000; /* lost: caller stops */
            }
        }
        d->fpos += k;
        p += k;
        n -= k;
    }
    tr_redact_wipe(tmp, sizeof tmp);
    return rc;
}

int tr_wsdir_push(struct tr_wsdir *d, const uint8_t *p, size_t n)
{
    int rc = 0;
    size_t i = 0;
    d->st.bytes_in += n;
    while (i < n && !rc) {
        if (d->lost) {
            d->st.bytes_withheld += n - i;
            return out_stars(d, n - i);
        }
        if (!d->in_frame) {
            d->hdr[d->hdr_have++] = p[i++];
            if (d->hdr_have == 2) {
                uint8_t l7 = d->hdr[1] & 0x7f;
                d->hdr_need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) +
                              ((d->hdr[1] & 0x80) ? 4 : 0);
            }
            if (d->hdr_have >= 2 && d->hdr_have == d->hdr_need) {
                d->hdr_have = 0;
                rc = start_frame(d);
                if (!rc && !d->lost && d->flen == 0)
                    rc = end_frame(d);
            }
            continue;
        }
        uint64_t left = d->flen - d->fpos;
        size_t k = left < n - i ? (size_t)left : n - i;
        rc = payload(d, p + i, k);
        i += k;
        if (rc == -1000)
            rc = 0; /* lost; the loop writes the rest as '*' */
        if (!rc && !d->lost && d->fpos == d->flen)
            rc = end_frame(d);
    }
    if (rc && !d->lost)
        lose(d, "output error"); /* state may be half-updated: fail closed */
    return rc;
}

int tr_wsdir_finish(struct tr_wsdir *d)
{
    if (d->lost)
        return 0;
    if (d->in_frame || d->hdr_have) {
        d->st.bytes_withheld += unwritten(d);
        note(d, "stream ended inside a frame");
    }
    drop_obuf(d);
    d->in_frame = 0;
    d->hdr_have = 0;
    return 0;
}

struct tr_wsdir *tr_wsdir_new(int client, int permessage_deflate,
                              int (*emit)(void *ctx, const uint8_t *p, size_t n),
                              void *ctx)
{
    struct tr_wsdir *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->client = client != 0;
    d->pmd = permessage_deflate != 0;
    d->emit = emit;
    d->ctx = ctx;
    return d;
}

int tr_wsdir_set_deflate_params(struct tr_wsdir *d, int no_context_takeover,
                                int max_window_bits)
{
    if (max_window_bits != 0 && (max_window_bits < 8 || max_window_bits > 15))
        return TR_E_ARG;
    d->no_ctx_next = no_context_takeover != 0;
    return 0;
}

void tr_wsdir_free(struct tr_wsdir *d)
{
    if (!d)
        return;
    if (d->zs_init)
        inflateEnd(&d->zs);
    if (d->obuf) {
        tr_redact_wipe(d->obuf, TR_WS_OUT_CHUNK);
        free(d->obuf);
    }
    tr_redact_wipe(d, sizeof *d);
    free(d);
}

void tr_wsdir_stats(const struct tr_wsdir *d, struct tr_ws_stats *st)
{
    *st = d->st;
    st->lost = d->lost;
    st->inflate_lost = d->inflate_lost;
}
