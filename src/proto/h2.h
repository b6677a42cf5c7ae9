/* h2.h - HTTP/2 header blocks decoded, redacted and re-encoded
 * (RFC 9113 §4.1, §4.3, §6.2, §6.6, §6.10; RFC 7541).
 *
 * HPACK hides header names and values from byte-level rules: Huffman coding
 * and dynamic-table references mean an Authorization or Cookie value never
 * appears as text in the stream.  This module follows the frames of one
 * connection direction, decodes every header block with libnghttp2's HPACK
 * inflater (one per direction: the dynamic table spans the connection),
 * renders the fields as text lines "name: value\r\n", runs them through the
 * redaction rules, and re-encodes the redacted fields as never-indexed
 * literals with a deflater whose dynamic table is 0 (a table size update 0
 * opens the first block), so the output decodes without any state a reader
 * could lose.  Re-encoded blocks are written as HEADERS / PUSH_PROMISE plus
 * CONTINUATION frames of at most 16384 payload bytes (the minimum every
 * peer accepts), without padding; priority fields and the promised stream
 * id are kept.
 *
 * Bodies: DATA payloads are reassembled per stream, decoded when the stream's
 * content-encoding is gzip, deflate, br or zstd (proto/bodydec; the field
 * and content-length are then removed from the header block), run through a
 * redactor of their own whose media context is the stream's content-type
 * (body-scoped rules, redact.h), and written as new DATA frames (no padding,
 * END_STREAM kept) - so drop rules and decoding may change a body's length
 * and the output stays framed.  A body that cannot be decoded is withheld:
 * an unknown coding renames the field to x-tlsredact-withheld and the DATA
 * carries nothing; a failure part-way (bomb, corrupt data, limits) ends the
 * stream with a trailer block "x-tlsredact-withheld: REASON".  Every other
 * frame (SETTINGS, WINDOW_UPDATE, ...) is passed unchanged as it arrives.
 *
 * Fail closed: a header block that cannot be decoded (HPACK error, frame
 * sequence error, block larger than TR_H2_MAX_HEADER_BLOCK, redactor error)
 * is replaced by a block decoding to one field "x-tlsredact-withheld: *";
 * after an HPACK error every later block of the direction is replaced so.
 * After a gap, or when the client preface is wrong, every further byte of
 * the direction is emitted as '*'.  No input header
 * block byte is ever emitted.
 *
 * The output is not the same length as the input: header blocks change
 * size.  Bytes of non-header frames keep their order and content.
 *
 * Ownership: struct tr_h2dir owns its nghttp2 inflater/deflater (allocated
 * through an accounting allocator that wipes on free, capped at
 * TR_H2_MAX_MEMORY), its redactor and its buffers; cleartext buffers are
 * wiped on free.  rules must outlive the struct; ropts is used by
 * tr_h2dir_new only.  Bytes passed to emit are borrowed until it returns.
 * No global state.
 */
#ifndef TR_PROTO_H2_H
#define TR_PROTO_H2_H

#include <stddef.h>
#include <stdint.h>

#include "proto/http1.h"
#include "redact/redact.h"

/* Rendered text ("name: value\r\n" lines) of one header block kept for
 * redaction.  Real requests carry a few KiB; nginx refuses more than 32 KiB
 * by default and nghttp2 64 KiB per field.  Beyond it the block is still
 * decoded (the dynamic table must stay in step) but withheld. */
#define TR_H2_MAX_HEADER_BLOCK  (256u * 1024u)
/* Largest SETTINGS_HEADER_TABLE_SIZE a sender may make use of: the inflater
 * accepts table size updates up to this (we do not track the peer's
 * SETTINGS; common values are 4096 and 65536). */
#define TR_H2_MAX_HPACK_TABLE   65536u
/* All nghttp2 allocations of one direction (dynamic table, a field being
 * decoded - nghttp2 caps one at 64 KiB -, the re-encoded block). */
#define TR_H2_MAX_MEMORY        (2u * 1024u * 1024u)
/* Payload of the frames we write: the minimum SETTINGS_MAX_FRAME_SIZE. */
#define TR_H2_OUT_FRAME         16384u
/* Streams of one direction with body state at once (SETTINGS_MAX_CONCURRENT_
 * STREAMS is commonly 100-128).  When full, the least recently used stream
 * is closed early: its later DATA starts a fresh body in context "any" (all
 * rules), or is withheld when the body was being decoded. */
#define TR_H2_MAX_STREAMS       128u
/* Of those, bodies decoded at once (a brotli or zstd window may take MiBs);
 * beyond it a content-encoded body is withheld (reason "limit"). */
#define TR_H2_MAX_DECODING      16u

struct tr_h2dir;

/* Output callback: the rewritten stream, in order.  Return 0, or a negative
 * TR_E_* code that push/finish then return. */
typedef int (*tr_h2_emit_fn)(void *ctx, const uint8_t *p, size_t n);

/* Optional callback for transcripts: the redacted header fields of one
 * block as text lines "name: value\r\n" (CR, LF and NUL inside names and
 * values shown as ' ').  type is 1 (HEADERS) or 5 (PUSH_PROMISE); withheld
 * is 1 when the block was replaced by the withheld field (text then holds
 * that field).  Borrowed until return; return as for tr_h2_emit_fn. */
typedef int (*tr_h2_headers_fn)(void *ctx, uint32_t stream_id, int type,
                                int withheld, const uint8_t *text, size_t n);

/* New state for one connection direction.  client: the direction starts
 * with the 24-byte connection preface.  rules: the rule set header fields
 * are redacted with (must outlive the struct; NULL means no header
 * redaction at all - fields are still re-encoded).  ropts: mask char and
 * token key (copied; may be NULL).  Returns NULL on out of memory. */
struct tr_h2dir *tr_h2dir_new(int client, const struct tr_ruleset *rules,
                              const struct tr_redact_opts *ropts,
                              tr_h2_emit_fn emit, void *ctx);
/* Sets (or clears, with fn NULL) the transcript callback. */
void tr_h2dir_set_headers_cb(struct tr_h2dir *d, tr_h2_headers_fn fn,
                             void *ctx);
/* Optional callback for transcripts: the redacted, decoded body bytes of a
 * stream as they go out in DATA frames (data, n); or withheld != 0 with n
 * input bytes withheld (1 by a drop rule, 2 by a regex limit, 3 the body
 * could not be decoded: unknown coding, bomb, corrupt, stream limits).  end: END_STREAM reached (n may be 0).  Borrowed until return;
 * return as for tr_h2_emit_fn. */
typedef int (*tr_h2_body_fn)(void *ctx, uint32_t stream_id, const uint8_t *data,
                             size_t n, int withheld, int end);
void tr_h2dir_set_body_cb(struct tr_h2dir *d, tr_h2_body_fn fn, void *ctx);

/* Consumes the next n bytes of the direction's cleartext and emits what is
 * final.  Returns 0, or an error from emit, or TR_E_NOMEM (the direction
 * then fails closed: later bytes are emitted as '*').  Malformed HTTP/2 is
 * not an error here: it is counted in the stats and withheld. */
int tr_h2dir_push(struct tr_h2dir *d, const uint8_t *p, size_t n);
/* Bytes were lost before the next push: framing and HPACK state can no
 * longer be trusted; every later byte is emitted as '*'.  A header block in
 * progress is withheld. */
void tr_h2dir_gap(struct tr_h2dir *d);
/* --allow-uninspected: DATA of streams with an unknown content-encoding
 * passes as it is (counted in encoded_bodies, not withheld). */
void tr_h2dir_allow_uninspected(struct tr_h2dir *d, int allow);
/* End of the direction.  A partial frame header or unfinished header block
 * is withheld (nothing is emitted for it).  Returns 0 or an emit error. */
int tr_h2dir_finish(struct tr_h2dir *d);
/* Wipes buffers and frees.  NULL is fine. */
void tr_h2dir_free(struct tr_h2dir *d);

struct tr_h2_stats {
    uint64_t bytes_in, bytes_out;
    uint64_t frames;            /* frame headers parsed */
    uint64_t header_blocks;     /* blocks decoded and re-encoded */
    uint64_t header_fields;     /* fields decoded */
    uint64_t header_bytes_redacted; /* name/value bytes changed by rules */
    uint64_t blocks_withheld;   /* blocks replaced by the withheld field */
    uint64_t hpack_errors;      /* inflater errors (HPACK lost afterwards) */
    uint64_t protocol_errors;   /* frame sequence / padding errors */
    uint64_t limit_hits;        /* block or memory limit reached */
    uint64_t bytes_withheld;    /* input bytes not passed: header block
                                   payloads withheld, '*' after loss,
                                   partial frames at the end */
    uint64_t encoded_bodies;    /* streams with an unknown content-encoding:
                                   withheld, the field renamed
                                   x-tlsredact-withheld (or passed: allow) */
    uint64_t bodies_decoded;    /* content-encoded bodies decoded to the end */
    uint64_t bytes_decoded;     /* decoded body bytes given to the rules */
    uint64_t bodies_withheld[TR_H1W_N]; /* by reason (unknown-coding, bomb,
                                   decode-error, limit) */
    uint64_t data_withheld;     /* DATA payload bytes not emitted for those
                                   reasons */
    uint64_t streams_evicted;   /* body state dropped: table full */
    uint64_t streams_open_at_end; /* body state still open at finish / loss */
    uint64_t requests;          /* client: request header blocks */
    uint64_t responses;         /* server: final response header blocks on
                                   client-initiated (odd) streams */
    int hpack_lost;             /* header blocks no longer decodable */
    int lost;                   /* framing lost: everything masked */
};
void tr_h2dir_stats(const struct tr_h2dir *d, struct tr_h2_stats *st);
/* a += b: counters summed, flags or'ed (both directions of a connection). */
void tr_h2_stats_add(struct tr_h2_stats *a, const struct tr_h2_stats *b);
/* Redaction counts of header text and bodies (the direction's own
 * redactors, see redact.h); zeros when there are none. */
void tr_h2dir_redact_stats(const struct tr_h2dir *d, struct tr_redact_stats *st);
uint64_t tr_h2dir_rule_matches(const struct tr_h2dir *d, size_t i);
uint64_t tr_h2dir_rule_bytes(const struct tr_h2dir *d, size_t i);

#endif
