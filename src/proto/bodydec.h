/* bodydec.h - HTTP content codings decoded for inspection, with bounds
 * (RFC 9110 §8.4; RFC 1950/1951/1952 gzip/deflate via zlib, RFC 7932 br via
 * libbrotlidec, RFC 8878 zstd via libzstd).
 *
 * One decoder decodes one message body through a stack of codings (as
 * listed in Content-Encoding / Transfer-Encoding, in order of application;
 * decoding runs in reverse).  Shared by HTTP/1.x (proto/http1) and HTTP/2
 * DATA (proto/h2).
 *
 * Bounds: decoded output beyond opts.max_body, or beyond opts.max_ratio
 * times the encoded input once TR_BODYDEC_RATIO_FLOOR bytes were decoded,
 * is a decompression bomb (TR_BODYDEC_BOMB); zstd frames whose window
 * exceeds 2^TR_BODYDEC_ZSTD_WINDOW_LOG are refused (TR_BODYDEC_ERROR).
 * After an error (a reason, or a negative code) the decoder is dead: later
 * push/finish calls return the same value and emit nothing.
 *
 * Ownership: the decoder owns its zlib / brotli / zstd states, allocated
 * through a wiping allocator (every block, windows included, is wiped when
 * the library frees it, at the latest in tr_bodydec_free).  Output bytes
 * are borrowed by the out callback until it returns.  No global state.
 */
#ifndef TR_PROTO_BODYDEC_H
#define TR_PROTO_BODYDEC_H

#include <stddef.h>
#include <stdint.h>

#define TR_BODYDEC_MAX_CODINGS   4u
#define TR_BODYDEC_MAX_BODY_DEFAULT  (64u * 1024u * 1024u)
#define TR_BODYDEC_MAX_RATIO_DEFAULT 100u
/* The ratio limit applies once this much was decoded: small, very
 * repetitive bodies legitimately compress better than 100:1. */
#define TR_BODYDEC_RATIO_FLOOR   (1u * 1024u * 1024u)
/* zstd window accepted (2^23 = 8 MiB, what browsers accept). */
#define TR_BODYDEC_ZSTD_WINDOW_LOG 23

enum tr_coding {
    TR_CODING_GZIP, TR_CODING_DEFLATE, TR_CODING_BR, TR_CODING_ZSTD, TR_CODING_N
};
/* tr_bodydec_coding_of(): not a coding to decode */
#define TR_CODING_IDENTITY (-1) /* "identity" ("chunked" is HTTP/1.x framing,
                                 * handled by proto/http1, not here) */
#define TR_CODING_UNKNOWN  (-2)

/* Results (positive): why a body could not be decoded. */
enum {
    TR_BODYDEC_OK = 0,
    TR_BODYDEC_BOMB = 1,   /* max_body or max_ratio exceeded */
    TR_BODYDEC_ERROR = 2,  /* corrupt or (at finish) truncated data */
};

struct tr_bodydec_opts {
    uint64_t max_body;   /* decoded bytes; 0: default */
    uint32_t max_ratio;  /* decoded / encoded; 0: default */
};

/* One coding token (case-insensitive, surrounding blanks not included):
 * gzip, x-gzip, deflate, br, zstd -> TR_CODING_*; identity ->
 * TR_CODING_IDENTITY; anything else TR_CODING_UNKNOWN. */
int tr_bodydec_coding_of(const uint8_t *p, size_t n);
/* Parses a Content-Encoding field value ("gzip", "deflate, br", ...):
 * codings[] gets them in order of application, identity and empty list
 * elements skipped, parameters after ';' ignored.  Returns the count (0:
 * nothing to decode), or TR_CODING_UNKNOWN when a coding is unknown or
 * there are more than max. */
int tr_bodydec_parse(const uint8_t *v, size_t n, int *codings, size_t max);

struct tr_bodydec;
/* Decoded output.  Returns 0, or a negative code that aborts the push
 * (push returns it, the decoder is then dead). */
typedef int (*tr_bodydec_out_fn)(void *ctx, const uint8_t *p, size_t n);

/* New decoder for codings[0..n) (order of application, 1 <= n <=
 * TR_BODYDEC_MAX_CODINGS).  deflate accepts zlib-wrapped and raw streams;
 * gzip accepts concatenated members.  opts NULL: defaults.  NULL on out of
 * memory or bad arguments. */
struct tr_bodydec *tr_bodydec_new(const int *codings, size_t n,
                                  const struct tr_bodydec_opts *opts);
/* Decodes the next n encoded bytes; decoded output goes to out (may be
 * called several times, or not at all).  Returns TR_BODYDEC_OK, a positive
 * reason, a negative value returned by out, or TR_E_NOMEM (a library ran
 * out of memory); the decoder is dead after anything but OK.  After the
 * end of a gzip member another member may follow; zstd frames may follow
 * each other (other bytes after a zstd frame: TR_BODYDEC_ERROR); any other
 * bytes after the end of a stream are ignored (never emitted). */
int tr_bodydec_push(struct tr_bodydec *b, const uint8_t *p, size_t n,
                    tr_bodydec_out_fn out, void *ctx);
/* End of the encoded body: OK when every layer reached its end (a layer
 * that received no byte at all counts as an empty body), else
 * TR_BODYDEC_ERROR (truncated).  Every push drains the decoders, so finish
 * emits nothing today; out is there for codings that would. */
int tr_bodydec_finish(struct tr_bodydec *b, tr_bodydec_out_fn out, void *ctx);
/* Encoded bytes pushed and decoded bytes handed to out so far. */
uint64_t tr_bodydec_in(const struct tr_bodydec *b);
uint64_t tr_bodydec_out(const struct tr_bodydec *b);
/* Wipes the decoder states and frees.  NULL is fine. */
void tr_bodydec_free(struct tr_bodydec *b);

#endif
