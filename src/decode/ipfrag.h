/* ipfrag.h - IPv4 (RFC 791) and IPv6 (RFC 8200 4.5) fragment reassembly,
 * internal to the decode stage.
 *
 * Bounds: at most TR_IPFRAG_MAX_DATAGRAMS datagrams in progress (a new one
 * evicts the oldest); a datagram's payload (the fragmentable part) is at most
 * TR_IPFRAG_MAX_PAYLOAD bytes; a datagram is dropped TR_IPFRAG_TIMEOUT_SECS of
 * capture time after its first fragment.  Memory is allocated per datagram
 * only, grown to the highest offset seen.
 *
 * Overlap policy (deterministic, RFC 5722 spirit): a fragment that overlaps
 * bytes already held is accepted only if the overlapping bytes are identical
 * (a retransmission); otherwise the whole datagram is dropped (counted in
 * frag_overlaps), since two readings of the same bytes would let a sender show
 * the redactor something other than what the receiver saw.  A non-last
 * fragment whose length is not a multiple of 8 is refused.
 *
 * Accounting: updates the frag_* fields of the given tr_decode_stats as
 * described in decode.h (pending -> merged / dropped).
 */
#ifndef TR_DECODE_IPFRAG_H
#define TR_DECODE_IPFRAG_H

#include "decode/decode.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#define TR_IPFRAG_MAX_PAYLOAD 65535u

struct tr_ipfrag;

struct tr_ipfrag_key {
    struct tr_addr src, dst;
    uint32_t id;     /* IPv4: 16-bit identification; IPv6: 32-bit */
    uint8_t family;  /* 4 or 6 */
    uint8_t proto;   /* IPv4 protocol; 0 for IPv6 (not part of its key) */
};

enum {
    TR_IPFRAG_HELD = 0,    /* fragment stored; datagram incomplete */
    TR_IPFRAG_DONE = 1,    /* datagram complete: see tr_ipfrag_out */
    TR_IPFRAG_DROPPED = 2, /* fragment (and perhaps its datagram) dropped */
};

struct tr_ipfrag_out {
    const uint8_t *data; /* reassembled payload, valid until tr_ipfrag_release */
    size_t len;
    uint8_t proto;       /* IPv4 protocol / IPv6 next header of offset 0 */
};

/* NULL on OOM.  st is the decoder's stats (borrowed, must outlive f). */
struct tr_ipfrag *tr_ipfrag_new(struct tr_decode_stats *st);
void tr_ipfrag_free(struct tr_ipfrag *f);

/* Adds one fragment: payload p[0..n) at byte offset off, more = MF flag,
 * proto = protocol of what follows (IPv6: the fragment header's next header;
 * kept from the offset-0 fragment).  Returns TR_IPFRAG_HELD, _DONE (out filled;
 * call tr_ipfrag_release when done with it) or _DROPPED.  The fragment itself
 * is counted only on HELD (frag_pending) and DROPPED (frag_dropped); on DONE
 * the caller counts the packet under the datagram's transport. */
int tr_ipfrag_add(struct tr_ipfrag *f, const struct tr_ipfrag_key *k,
                  uint32_t off, const uint8_t *p, size_t n, int more,
                  uint8_t proto, struct timeval ts, struct tr_ipfrag_out *out);
/* Frees the datagram last returned as DONE. */
void tr_ipfrag_release(struct tr_ipfrag *f);
/* Drops datagrams whose first fragment is older than the timeout at `now`. */
void tr_ipfrag_expire(struct tr_ipfrag *f, struct timeval now);
/* Drops every datagram in progress (end of capture). */
void tr_ipfrag_flush(struct tr_ipfrag *f);
/* Datagrams in progress. */
size_t tr_ipfrag_count(const struct tr_ipfrag *f);

#endif
