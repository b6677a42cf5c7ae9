/* decode.h - link layer -> IPv4/IPv6 (+ fragment reassembly) -> TCP segments.
 *
 * Input: one captured packet (link type, caplen bytes, original length).
 * Output: zero or more TCP segments through the on_tcp callback (a reassembled
 * IP datagram is delivered when its last fragment arrives).  Every packet is
 * accounted for: decoded, or counted under one tr_decode_stats reason.
 *
 * Link types (DLT values as pcap_datalink() returns them): Ethernet
 * (+802.1Q 0x8100 / 802.1ad 0x88a8 / QinQ 0x9100, 0x9200, stacked up to 8 tags,
 * and PPPoE session 0x8864), Linux SLL (113) and SLL2 (276), raw IP (101, and
 * DLT_RAW 12/14 on some platforms), IPv4 (228), IPv6 (229), BSD null (0, family
 * in the capturing host's byte order, either order accepted) and loop (108,
 * network order).
 * IPv4 (RFC 791; options skipped; checksum NOT verified: offloaded checksums
 * are common in captures).  A total length of 0 (TSO captures) means "the rest
 * of the frame".  IPv6 (RFC 8200): extension headers hop-by-hop (0), routing
 * (43), fragment (44), destination options (60), AH (51, RFC 4302) are walked
 * to find the transport; ESP (50) and no-next-header (59) count as other_ip.
 * Fragments of both families are reassembled (see ipfrag.h for the limits
 * and the overlap policy).  TCP (RFC 9293): options MSS and window scale.
 *
 * Truncation: at every layer, a header that does not fit in what the outer
 * length fields / the wire length allow is bad_header; one that would fit on
 * the wire but was not captured (caplen < len) is truncated.  A TCP segment
 * whose headers were captured but whose payload was cut by the snaplen is
 * delivered with seg->len = captured bytes and seg->missing = the rest.
 *
 * Accounting: each packet given to tr_decode_packet() increments `packets`
 * and exactly one of the disposition counters, so that at every moment
 *
 *   packets == tcp + udp + icmp + other_ip + non_ip + truncated + bad_header
 *            + bad_linktype + frag_pending + frag_merged + frag_dropped
 *
 * (tr_decode_accounted() computes the right-hand side).  A fragment that
 * completes a datagram is counted under the datagram's transport (tcp, udp...),
 * or truncated/bad_header if that fails to decode.  Fragments held waiting for
 * the rest are frag_pending; when their datagram completes they move to
 * frag_merged, when it is dropped (timeout, overlap conflict, table full, end
 * of capture via tr_decode_flush) they move to frag_dropped.  A fragment refused
 * on arrival (bad offset/length, datagram > 65535 bytes) is frag_dropped.
 * The other counters (fragments, frag_reassembled, frag_timeouts, ...) are
 * informational and outside the sum.
 *
 * Ownership: segment payload views borrow the packet (or the decoder's
 * reassembly buffer) and are valid only during the callback.  No global state;
 * no allocation per packet except for fragments (bounded).
 */
#ifndef TR_DECODE_DECODE_H
#define TR_DECODE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct tr_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t a[16];  /* IPv4 uses the first 4 bytes; rest zero */
};

/* TCP flags */
#define TR_TH_FIN 0x01
#define TR_TH_SYN 0x02
#define TR_TH_RST 0x04
#define TR_TH_PSH 0x08
#define TR_TH_ACK 0x10
#define TR_TH_URG 0x20
#define TR_TH_ECE 0x40
#define TR_TH_CWR 0x80

struct tr_seg {
    struct tr_addr src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    uint16_t mss;          /* MSS option (SYN), 0 if absent */
    uint8_t wscale;        /* window scale option, 0xff if absent */
    const uint8_t *payload;
    size_t len;            /* payload bytes captured */
    size_t missing;        /* payload bytes on the wire but not captured (snaplen) */
    struct timeval ts;
    uint64_t frame;        /* 1-based frame number in the capture */
};

struct tr_decode_stats {
    uint64_t packets;       /* packets seen */
    /* dispositions: each packet lands in exactly one (see the sum above) */
    uint64_t tcp;           /* packets that delivered a TCP segment */
    uint64_t udp, icmp, other_ip; /* IP but not TCP: counted, not decoded */
    uint64_t non_ip;        /* ARP, LLDP, ... */
    uint64_t truncated;     /* caplen too short for the headers */
    uint64_t bad_header;    /* malformed link/IP/TCP header */
    uint64_t bad_linktype;  /* packets of an unsupported link type */
    uint64_t frag_pending;  /* fragments held in a datagram not yet complete */
    uint64_t frag_merged;   /* fragments folded into a completed datagram */
    uint64_t frag_dropped;  /* fragments dropped (refused, timeout, overlap, limit) */
    /* informational */
    uint64_t fragments;     /* IP fragment packets received */
    uint64_t frag_reassembled; /* datagrams completed from fragments */
    uint64_t frag_timeouts; /* datagrams expired (TR_IPFRAG_TIMEOUT_SECS) */
    uint64_t frag_overlaps; /* datagrams dropped for conflicting overlap */
    uint64_t frag_evicted;  /* datagrams evicted: table full (TR_IPFRAG_MAX_DATAGRAMS) */
    uint64_t snap_truncated_payload; /* TCP segments with payload cut by snaplen */
    uint64_t snap_missing_bytes;     /* sum of their missing bytes */
};

typedef void (*tr_tcp_cb)(void *ctx, const struct tr_seg *seg);

struct tr_decoder; /* opaque: holds the IP fragment reassembly state */

/* Non-TCP IP packets (UDP, ICMP, other protocols), for --keep-other: the IP
 * packet as captured (first IP header on, caplen bytes), borrowed for the
 * call.  Datagrams reassembled from IPv4 fragments are not passed. */
typedef void (*tr_other_cb)(void *ctx, const uint8_t *ip, size_t len, struct timeval ts);

/* Creates a decoder delivering segments to cb(ctx, seg). NULL on OOM. */
struct tr_decoder *tr_decode_new(tr_tcp_cb cb, void *ctx);
/* Frees the decoder and any fragments it holds (NULL is fine). */
void tr_decode_free(struct tr_decoder *d);
/* Also deliver non-TCP IP packets to cb (NULL: not). */
void tr_decode_set_other(struct tr_decoder *d, tr_other_cb cb, void *ctx);

/* True when the link type is one this decoder understands. */
int tr_decode_linktype_ok(int linktype);
/* Name of a link type for messages ("EN10MB", "LINUX_SLL2", ...); a static
 * string, "UNKNOWN" for others. */
const char *tr_decode_linktype_name(int linktype);

/* Decodes one packet.  data has caplen bytes; len is the original length
 * (len < caplen is treated as len == caplen).  Returns 0 (accounted in stats
 * either way); never fails on bad bytes.  Expires fragment datagrams older
 * than TR_IPFRAG_TIMEOUT_SECS of capture time before decoding. */
int tr_decode_packet(struct tr_decoder *d, int linktype, const uint8_t *data,
                     size_t caplen, size_t len, struct timeval ts, uint64_t frame);

/* End of capture: drops every incomplete datagram (its fragments move from
 * frag_pending to frag_dropped), so frag_pending is 0 afterwards. */
void tr_decode_flush(struct tr_decoder *d);

const struct tr_decode_stats *tr_decode_stats(const struct tr_decoder *d);
/* The disposition sum; equals s->packets at any time. */
uint64_t tr_decode_accounted(const struct tr_decode_stats *s);

/* Formats an address as text (IPv6 compressed) into buf (>= 46 bytes). */
const char *tr_addr_str(const struct tr_addr *a, char *buf, size_t n);
/* Compare two addresses: <0, 0, >0. */
int tr_addr_cmp(const struct tr_addr *a, const struct tr_addr *b);

#endif
