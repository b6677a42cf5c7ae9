/* decode.h - link layer -> IPv4/IPv6 (+ fragment reassembly) -> TCP segments.
 *
 * Input: one captured packet (link type, caplen bytes, original length).
 * Output: zero or more TCP segments through the on_tcp callback (a reassembled
 * IP datagram is delivered when its last fragment arrives).  Every packet is
 * accounted for: decoded, or counted under one tr_decode_stats reason.
 *
 * Link types: Ethernet (+802.1Q/802.1ad/QinQ), Linux SLL (113) and SLL2 (276),
 * raw IP (101, and 12/14 on some platforms), IPv4 (228), IPv6 (229),
 * BSD null (0) and OpenBSD loop (108).
 * IPv6 extension headers (hop-by-hop, routing, fragment, destination options,
 * AH) are walked to find TCP.
 *
 * Ownership: segment payload views borrow the packet (or the decoder's
 * reassembly buffer) and are valid only during the callback.
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
    uint64_t tcp;           /* TCP segments delivered */
    uint64_t udp, icmp, other_ip; /* IP but not TCP: counted, not decoded */
    uint64_t non_ip;        /* ARP, LLDP, ... */
    uint64_t truncated;     /* caplen too short for the headers */
    uint64_t bad_header;    /* malformed link/IP/TCP header */
    uint64_t bad_linktype;  /* packets of an unsupported link type */
    uint64_t fragments;     /* IP fragments received */
    uint64_t frag_reassembled; /* datagrams completed from fragments */
    uint64_t frag_dropped;  /* fragments dropped (timeout, overlap, limit) */
    uint64_t snap_truncated_payload; /* TCP segments with payload cut by snaplen */
};

typedef void (*tr_tcp_cb)(void *ctx, const struct tr_seg *seg);

struct tr_decoder; /* opaque: holds the IP fragment reassembly state */

/* Creates a decoder delivering segments to cb(ctx, seg). NULL on OOM. */
struct tr_decoder *tr_decode_new(tr_tcp_cb cb, void *ctx);
void tr_decode_free(struct tr_decoder *d);

/* True when the link type is one this decoder understands. */
int tr_decode_linktype_ok(int linktype);
/* Name of a link type for messages ("EN10MB", "LINUX_SLL2", ...). */
const char *tr_decode_linktype_name(int linktype);

/* Decodes one packet.  data has caplen bytes; len is the original length.
 * Returns 0 (accounted in stats either way); never fails on bad bytes. */
int tr_decode_packet(struct tr_decoder *d, int linktype, const uint8_t *data,
                     size_t caplen, size_t len, struct timeval ts, uint64_t frame);

const struct tr_decode_stats *tr_decode_stats(const struct tr_decoder *d);

/* Formats an address as text (IPv6 compressed) into buf (>= 46 bytes). */
const char *tr_addr_str(const struct tr_addr *a, char *buf, size_t n);
/* Compare two addresses: <0, 0, >0. */
int tr_addr_cmp(const struct tr_addr *a, const struct tr_addr *b);

#endif
