/* ws.h - WebSocket frames (RFC 6455 §5) unmasked and permessage-deflate
 * (RFC 7692) messages decompressed, so that the byte redactor downstream
 * sees text and JSON instead of XOR-masked or deflated bytes.
 *
 * One struct tr_wsdir follows one direction of a connection after an
 * HTTP/1.1 Upgrade to websocket.  Frames are parsed incrementally (any
 * split of the input gives the same output) and re-framed:
 *
 *  - every output frame is UNMASKED (MASK bit clear, no masking key), in
 *    both directions, and its payload is the cleartext; the output is not
 *    re-masked (a masked client frame is only an obstacle to inspection -
 *    Wireshark dissects unmasked client frames the same way);
 *  - RSV1 is always clear on output: messages compressed with
 *    permessage-deflate are written decompressed, as one or more frames of
 *    at most TR_WS_OUT_CHUNK payload bytes (a fragmented message: first
 *    frame with the message opcode, then continuation frames, FIN on the
 *    last); fragments of the input are kept as fragment boundaries;
 *  - uncompressed data frames and control frames (close, ping, pong) are
 *    written as they arrive with the same FIN/opcode/length (lengths are
 *    re-encoded in their shortest form);
 *  - control frames interleaved in a fragmented message stay in place.
 *
 * Fail closed:
 *  - a frame longer than TR_WS_MAX_FRAME, or a compressed message inflating
 *    beyond its limit (TR_WS_MAX_INFLATED, or TR_WS_MAX_RATIO times its
 *    compressed size once past TR_WS_RATIO_FLOOR), is withheld: its frames
 *    from there on are written with a payload of '*' at the input payload
 *    length.  With context takeover the inflater's window is then unknown:
 *    every later compressed message of the direction is withheld the same
 *    way (uncompressed messages and control frames still pass);
 *  - a protocol error (reserved bits or opcodes, RSV1 without
 *    permessage-deflate or on a continuation / control frame, continuation
 *    without a message, a new message inside a fragmented one, a control
 *    frame fragmented or longer than 125, a 64-bit length with its top bit
 *    set) or an inflate error loses the direction: the bytes of the
 *    offending frame not yet written and every later byte are written as
 *    '*';
 *  - after a gap every later byte is '*'.
 * No masked or compressed input byte is ever written.
 *
 * Memory per direction: the zlib inflater (32 KiB window, allocations
 * wiped on free) and one output chunk of TR_WS_OUT_CHUNK bytes, both
 * allocated on the first compressed message.  No global state.  Bytes
 * passed to emit are borrowed until it returns.
 */
#ifndef TR_PROTO_WS_H
#define TR_PROTO_WS_H

#include <stddef.h>
#include <stdint.h>

/* Largest frame payload accepted (RFC 6455 allows 2^63-1). */
#define TR_WS_MAX_FRAME      (16u * 1024u * 1024u)
/* Largest decompressed message. */
#define TR_WS_MAX_INFLATED   (64u * 1024u * 1024u)
/* Expansion ratio allowed once a message inflated past TR_WS_RATIO_FLOOR
 * (small messages referring to earlier ones with context takeover
 * legitimately compress far better than 100:1). */
#define TR_WS_MAX_RATIO      100u
#define TR_WS_RATIO_FLOOR    (1u * 1024u * 1024u)
/* Payload of the frames a decompressed message is written as. */
#define TR_WS_OUT_CHUNK      16384u

struct tr_wsdir;

struct tr_ws_stats {
    uint64_t bytes_in, bytes_out;
    uint64_t frames;            /* frame headers parsed */
    uint64_t control_frames;    /* close, ping, pong */
    uint64_t messages;          /* data messages completed (FIN seen) */
    uint64_t compressed_messages; /* messages with RSV1 (started) */
    uint64_t bytes_unmasked;    /* payload bytes unmasked */
    uint64_t bytes_inflated;    /* decompressed bytes produced */
    uint64_t frames_out;        /* frames written */
    uint64_t mask_anomalies;    /* client frame unmasked or server frame
                                   masked (decoded anyway) */
    /* frames withheld (payload written as '*'), by reason */
    uint64_t withheld_frame_limit;   /* frame beyond TR_WS_MAX_FRAME */
    uint64_t withheld_inflate_limit; /* message beyond its inflate limit */
    uint64_t withheld_context_lost;  /* compressed message after the
                                        inflater's window was lost */
    uint64_t protocol_errors;
    uint64_t inflate_errors;
    uint64_t bytes_withheld;    /* input bytes not written as decoded
                                   (upper bound after a loss) */
    int lost;                   /* framing lost: everything written as '*' */
    int inflate_lost;           /* compressed messages no longer decodable */
    const char *why;            /* first reason of lost / inflate_lost /
                                   a withheld frame (static text), or NULL */
};

/* New state for one direction.  client: the client-to-server direction
 * (frames expected masked).  permessage_deflate: the extension was
 * negotiated (RSV1 marks compressed messages; otherwise RSV1 is a protocol
 * error).  emit receives the rewritten stream in order; it returns 0 or a
 * negative TR_E_* code that push/finish then return.  NULL on out of
 * memory. */
struct tr_wsdir *tr_wsdir_new(int client, int permessage_deflate,
                              int (*emit)(void *ctx, const uint8_t *p, size_t n),
                              void *ctx);
/* The negotiated permessage-deflate parameters of this direction's sender
 * (server_* for the server direction, client_* for the client one).
 * no_context_takeover: every message starts with an empty window.
 * max_window_bits: 8..15, or 0 for the default (15); the inflater always
 * uses a 32 KiB window, which decodes any smaller one.  Takes effect at the
 * next message.  Returns 0, or TR_E_ARG for a bad window size. */
int tr_wsdir_set_deflate_params(struct tr_wsdir *d, int no_context_takeover,
                                int max_window_bits);
/* Consumes the next n bytes of the direction and emits what is final.
 * Returns 0 or an emit error (or TR_E_NOMEM); the direction is then lost.
 * Malformed WebSocket is not an error here: it is counted and withheld. */
int tr_wsdir_push(struct tr_wsdir *d, const uint8_t *p, size_t n);
/* Bytes were lost before the next push: every later byte is written as
 * '*'.  Decoded-but-unwritten bytes of a frame in progress are dropped. */
/* Optional: frame headers we write go to fn instead of emit, so a caller
 * can keep them out of the text its rules scan (a header byte inside a
 * token would otherwise cut the token in two).  NULL: through emit. */
void tr_wsdir_set_frame_cb(struct tr_wsdir *d, int (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx);
void tr_wsdir_gap(struct tr_wsdir *d);
/* End of the direction.  A partial frame header, or the undecoded part of a
 * partial compressed frame, is withheld (nothing written for it).  A
 * partial uncompressed frame was already written as far as it went.
 * Returns 0 or an emit error. */
int tr_wsdir_finish(struct tr_wsdir *d);
/* Wipes buffers and frees.  NULL is fine. */
void tr_wsdir_free(struct tr_wsdir *d);
void tr_wsdir_stats(const struct tr_wsdir *d, struct tr_ws_stats *st);

#endif
