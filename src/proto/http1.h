/* http1.h - HTTP/1.x messages parsed, bodies decoded, headers rewritten
 * (RFC 9112 §2-§7, RFC 9110 §8.4 / §8.6 / §6.6.2, RFC 1950/1951/1952,
 * RFC 7932, RFC 8878; RFC 6455 §4 for the Upgrade hand-off).
 *
 * Compressed and chunked bodies hide their text from byte-level rules: a
 * gzip'd JSON body never shows `"password":`.  This module follows one
 * connection direction (requests from the client, responses from the
 * server), decodes every Content-Encoding / Transfer-Encoding it knows
 * (gzip, x-gzip, deflate as zlib or raw, br, zstd, identity, stacked) and
 * emits the message with the body decoded and the headers adjusted
 * (Content-Encoding removed, Content-Length recomputed, or chunked framing
 * written), so the byte redactor downstream inspects the decoded text and
 * the output still dissects as HTTP.  Header sections are re-emitted with
 * obs-fold continuation lines joined into one line, CRLF line ends.
 *
 * Fail closed: a body that cannot be decoded (unknown coding, decode error,
 * decompression bomb, size limit) is withheld - replaced by an empty body
 * and an `X-Tlsredact-Withheld: <reason>` field (or trailer, when part of a
 * re-chunked body was already emitted) - unless opts.allow_uninspected.  No
 * byte of an encoded body is ever emitted.  A malformed message falls back
 * to passing bytes unparsed (the byte rules still apply) only while no
 * content coding was declared; else those bytes are withheld.  After a gap
 * everything is withheld until the next start line at a line start.
 * After a 101 to a WebSocket Upgrade both directions are handed to
 * proto/ws (frames unmasked / inflated there); any other upgrade or CONNECT
 * tunnel is withheld unless allow_uninspected.  See docs/http1.md.
 *
 * Pairing: a response's framing depends on its request (HEAD, CONNECT) and
 * a 101 switches both directions.  tr_http1dir_peer() links the two
 * directions of one connection: the client object keeps a FIFO of pending
 * requests that the server object reads.  Without a peer, responses are
 * framed as if answering GET.
 *
 * Ownership: struct tr_http1dir owns its buffers and decoders; buffers that
 * held cleartext are wiped on free.  Bytes passed to emit are borrowed until
 * it returns.  emit is only called from push/gap/finish of the same object.
 * No global state.
 */
#ifndef TR_PROTO_HTTP1_H
#define TR_PROTO_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "proto/bodydec.h"

/* Header section (start line + fields) and trailer section: beyond it the
 * message is malformed.  nginx's default is 8 KiB per line, 32 KiB total. */
#define TR_HTTP1_MAX_HEADER     (64u * 1024u)
/* One chunk-size line, one line scanned while resynchronising. */
#define TR_HTTP1_MAX_LINE       (8u * 1024u)
/* Decoded body held back to recompute Content-Length.  Beyond it an
 * HTTP/1.1 message switches to chunked framing, an HTTP/1.0 one is
 * withheld. */
#define TR_HTTP1_MAX_HOLD       (1u * 1024u * 1024u)
/* Decoding bounds (proto/bodydec): defaults of the options below, the
 * decoded size past which the ratio applies, stacked codings decoded
 * (Content-Encoding + Transfer-Encoding), zstd window. */
#define TR_HTTP1_MAX_BODY_DEFAULT  TR_BODYDEC_MAX_BODY_DEFAULT
#define TR_HTTP1_MAX_RATIO_DEFAULT TR_BODYDEC_MAX_RATIO_DEFAULT
#define TR_HTTP1_RATIO_FLOOR    TR_BODYDEC_RATIO_FLOOR
#define TR_HTTP1_MAX_CODINGS    TR_BODYDEC_MAX_CODINGS
#define TR_HTTP1_ZSTD_WINDOW_LOG TR_BODYDEC_ZSTD_WINDOW_LOG
/* Requests awaiting their response (pipelining). */
#define TR_HTTP1_MAX_PIPELINE   64u
/* Client bytes held while the answer to an Upgrade / CONNECT is unknown. */
#define TR_HTTP1_MAX_UPGRADE_HOLD (64u * 1024u)
/* After a gap inside a Content-Length body, the rest of the output body is
 * filled with '*' so the output stays framed - up to this many bytes. */
#define TR_HTTP1_MAX_PAD        (16u * 1024u * 1024u)

struct tr_http1dir;

struct tr_http1_opts {
    int allow_uninspected;  /* pass bodies/streams that cannot be decoded */
    uint64_t max_body;      /* decoded bytes of one body; 0: default */
    uint32_t max_ratio;     /* decoded / encoded; 0: default */
};

/* Output callback: the rewritten stream, in order.  Return 0, or a negative
 * TR_E_* code that push/finish then return. */
typedef int (*tr_http1_emit_fn)(void *ctx, const uint8_t *p, size_t n);

/* The codings of proto/bodydec, same values. */
enum tr_http1_coding {
    TR_H1C_GZIP = TR_CODING_GZIP,
    TR_H1C_DEFLATE = TR_CODING_DEFLATE,
    TR_H1C_BR = TR_CODING_BR,
    TR_H1C_ZSTD = TR_CODING_ZSTD,
    TR_H1C_N = TR_CODING_N
};

enum tr_http1_why {
    TR_H1W_UNKNOWN_CODING, /* coding not in the list above (or too many) */
    TR_H1W_BOMB,           /* max_body or max_ratio exceeded */
    TR_H1W_DECODE_ERROR,   /* corrupt or truncated encoded data */
    TR_H1W_LIMIT,          /* HTTP/1.0 body beyond TR_HTTP1_MAX_HOLD */
    TR_H1W_GAP,            /* bytes lost inside the body */
    TR_H1W_MALFORMED,      /* framing error inside an encoded body */
    TR_H1W_N
};

struct tr_http1_stats {
    uint64_t bytes_in, bytes_out;
    uint64_t messages;          /* header sections parsed */
    uint64_t bodies_decoded[TR_H1C_N]; /* coding layers fully decoded */
    uint64_t bytes_decoded;     /* decoded body bytes emitted */
    uint64_t bodies_withheld[TR_H1W_N];
    uint64_t bodies_uninspected; /* encoded bodies passed (allow_uninspected) */
    uint64_t malformed;         /* messages that did not parse */
    uint64_t bytes_raw;         /* bytes passed unparsed after malformed */
    uint64_t bytes_withheld;    /* input bytes not emitted */
    uint64_t gaps, resyncs;
    uint64_t upgrades;          /* 101 / CONNECT tunnels entered */
    uint64_t upgrades_ws;       /* of which WebSocket (to proto/ws) */
    uint64_t upgraded_bytes_withheld; /* after an upgrade, not inspected */
    uint64_t unpaired;          /* responses without a known request */
    uint64_t pipeline_overflow; /* requests not remembered */
    int lost;                   /* withholding until a start line */
};

/* Does p[0..n) start with a request line (client) or status line (server)?
 * METHOD SP target SP HTTP/1.d (CR)LF, or HTTP/1.d SP 3DIGIT (SP/CR/LF).
 * Returns 1 or 0. */
int tr_http1_looks_like(const uint8_t *p, size_t n, int client);

/* New state for one direction.  client: this direction carries requests.
 * opts: copied; NULL means defaults.  Returns NULL on out of memory. */
struct tr_http1dir *tr_http1dir_new(int client, tr_http1_emit_fn emit, void *ctx,
                                    const struct tr_http1_opts *opts);
/* Links the two directions of one connection (either may be NULL to
 * unlink).  The server object then learns request methods and upgrades. */
void tr_http1dir_peer(struct tr_http1dir *client, struct tr_http1dir *server);
/* Consumes the next n bytes of the direction.  Returns 0, an error from
 * emit, or TR_E_NOMEM (the direction then withholds everything).
 * Malformed HTTP is not an error: it is counted in the stats. */
int tr_http1dir_push(struct tr_http1dir *d, const uint8_t *p, size_t n);
/* Bytes were lost before the next push: the message in progress is closed
 * (withheld body, or '*' padding of a plain Content-Length body) and bytes
 * are withheld until a start line at a line start. */
void tr_http1dir_gap(struct tr_http1dir *d);
/* End of the direction: a body delimited by the end of the stream is
 * completed; an incomplete encoded body is withheld.  Returns 0 or an emit
 * error. */
int tr_http1dir_finish(struct tr_http1dir *d);
void tr_http1dir_stats(const struct tr_http1dir *d, struct tr_http1_stats *st);
/* a += b: counters summed, flags or'ed (both directions of a connection). */
void tr_http1_stats_add(struct tr_http1_stats *a, const struct tr_http1_stats *b);
/* Optional: framing bytes we write - chunk-size lines and chunk CRLFs
 * (passed or written), WebSocket frame headers - go to fn instead of emit,
 * so a caller can keep them out of the text its rules scan (a chunk
 * boundary inside a password would otherwise cut it in two).  They hold no
 * payload.  NULL: through emit. */
void tr_http1dir_set_frame_cb(struct tr_http1dir *d, tr_http1_emit_fn fn, void *ctx);
/* 1 when the direction is between messages: everything of the last message
 * has been emitted, nothing of the next one (a caller may then release
 * bytes it holds back without splitting a message); else 0. */
int tr_http1dir_idle(const struct tr_http1dir *d);

/* Media context of the emitted bytes, for body-scoped redaction rules
 * (enum tr_media in redact/redact.h, tr_redactor_set_media()).  fn is called
 * with the new value immediately before the first byte emitted under it,
 * only when it differs from the last value reported (initially
 * TR_MEDIA_ANY, not reported):
 *   TR_MEDIA_HEAD   start line + header section, and a trailer section
 *                   (including the empty line that ends it);
 *   body class      body bytes, as tr_media_classify(Content-Type) (no
 *                   Content-Type: TR_MEDIA_ANY); for a chunked body the
 *                   chunk-size lines, chunk CRLFs and the last-chunk line
 *                   count as body too; so do the '*' fill and framing that
 *                   close a body after a gap;
 *   TR_MEDIA_ANY    bytes passed unparsed (malformed message, lost
 *                   framing), after an upgrade (WebSocket frames, tunnels).
 * Empty lines between messages keep the current value.  Set it before the
 * first push; fn NULL removes it.  fn must not call back into d. */
typedef void (*tr_http1_media_fn)(void *ctx, int media);
void tr_http1dir_set_media_cb(struct tr_http1dir *d, tr_http1_media_fn fn, void *ctx);
/* Stats of the WebSocket module after an upgrade (see ws.h).  Returns 1,
 * or 0 (st zeroed) when the direction has no WebSocket state. */
struct tr_ws_stats;
int tr_http1dir_ws_stats(const struct tr_http1dir *d, struct tr_ws_stats *st);
/* Name of a withheld reason ("unknown-coding", ...), for reports. */
const char *tr_http1_why_name(int why);
/* Unlinks the peer, wipes buffers and frees.  NULL is fine. */
void tr_http1dir_free(struct tr_http1dir *d);

#endif
