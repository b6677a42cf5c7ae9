/* h2mask.h - fail-closed HTTP/2 header blocks (RFC 9113 §4, §6.2, §6.6, §6.10).
 *
 * HPACK (RFC 7541) hides header names and values from byte-level rules:
 * Huffman coding and dynamic-table references mean an Authorization or
 * Cookie value is not visible as text.  Until header blocks are decoded and
 * re-encoded, every header block fragment (HEADERS, PUSH_PROMISE,
 * CONTINUATION) is replaced, in place and at the same length, by a valid
 * HPACK block that decodes to one "x-tlsredact-withheld" field of '*'s - so
 * frames, lengths and the TCP stream stay consistent and Wireshark still
 * dissects the output, but no header byte leaves.  DATA frames pass through
 * untouched (the byte rules see them).  After a gap, or on a frame the parser
 * cannot follow, everything after it in that direction is masked: fail
 * closed.
 *
 * One struct per connection direction; no allocation.
 */
#ifndef TR_PROTO_H2MASK_H
#define TR_PROTO_H2MASK_H

#include <stddef.h>
#include <stdint.h>

struct tr_h2mask {
    int client;           /* this direction starts with the connection preface */
    size_t preface_left;  /* preface bytes still expected */
    uint8_t hdr[9];       /* frame header being read */
    size_t hdr_have;
    uint32_t left;        /* payload bytes left in the current frame */
    uint8_t type, flags;
    size_t skip;          /* pad length / priority bytes before the fragment */
    size_t frag_len, frag_pos; /* header block fragment: total and done */
    size_t pad;           /* padding after the fragment */
    size_t pos;           /* payload bytes of the current frame consumed */
    int lost;             /* framing lost: mask everything */
    uint64_t masked;      /* bytes replaced */
};

void tr_h2mask_init(struct tr_h2mask *m, int client);
/* Masks header block bytes of p[0..n) in place; bytes are the next of the
 * direction's stream. */
void tr_h2mask_apply(struct tr_h2mask *m, uint8_t *p, size_t n);
/* Bytes were lost: framing can no longer be trusted. */
void tr_h2mask_gap(struct tr_h2mask *m);

/* Byte i of the filler HPACK block of length len (exposed for tests). */
uint8_t tr_h2mask_filler(size_t len, size_t i);

#endif
