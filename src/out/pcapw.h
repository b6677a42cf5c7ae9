/* pcapw.h - the decrypted pcap sink: -w FILE, --pcap-format tcp|pdu.
 *
 * Writes a classic pcap file (libpcap dump API) from the events of the
 * session layer.  The link type is chosen here, never copied from the input:
 *
 *   tcp (default)  every connection becomes a synthesized TCP/IP conversation
 *                  (IPv4 or IPv6, original addresses): SYN, SYN/ACK, ACK at the
 *                  connection's first timestamp; the redacted cleartext in
 *                  segments of at most the original MSS (else 1460), each
 *                  acknowledged by the peer; FIN/RST as the original closed.
 *                  Consistent seq/ack numbers, valid IP and TCP checksums.
 *                  Link type Ethernet (DLT_EN10MB, locally administered MACs
 *                  02:00:00:00:00:01 client / :02 server) or raw IP (101).
 *                  A decrypted connection is written on the cleartext
 *                  counterpart of its server port (443 -> 80 ...); a TLS
 *                  connection that was not decrypted keeps its port and carries
 *                  its cleartext TLS records only (handshake, alerts, CCS).
 *   pdu            LINKTYPE_WIRESHARK_UPPER_PDU (252): one record per chunk of
 *                  cleartext, tagged with the protocol (ALPN, else server port,
 *                  else "data"), addresses and ports; cleartext TLS records
 *                  of every TLS connection as "tls" PDUs.
 *
 * Only what events carry is written: DATA (already redacted) and the `raw`
 * bytes of cleartext records.  Protected records, keys, secrets and withheld
 * spans never reach the file.  Details and choices: docs/pcap.md.
 *
 * The file is written to "FILE.tmp-XXXXXX" next to FILE and renamed by
 * tr_pcapw_finish(); tr_pcapw_free() without a successful finish removes it.
 * Memory: per live connection a small state (sequence numbers) plus, while a
 * TLS connection has not shown whether it will be decrypted, a copy of its
 * cleartext records (at most TR_PCAPW_MAX_PENDING bytes).
 */
#ifndef TR_OUT_PCAPW_H
#define TR_OUT_PCAPW_H

#include <stddef.h>
#include <stdint.h>

#include "out/event.h"

enum tr_pcapw_format { TR_PCAPW_TCP = 0, TR_PCAPW_PDU = 1 };
enum tr_pcapw_link { TR_PCAPW_ETHER = 0, TR_PCAPW_RAW = 1 };

/* Cleartext records held per undecided TLS connection; beyond it the
 * connection is written as not decrypted (docs/pcap.md). */
/* pdu format: bytes of an unfinished application PDU held per direction;
 * a longer PDU is written in pieces of this size. */
#define TR_PCAPW_PDU_MAX (64u * 1024u)
#define TR_PCAPW_MAX_PENDING (1024u * 1024u)
/* Server-port mappings (defaults included). */
#define TR_PCAPW_MAX_PORTMAP 64

struct tr_portmap {
    uint16_t from[TR_PCAPW_MAX_PORTMAP], to[TR_PCAPW_MAX_PORTMAP];
    size_t n;
};

/* The default table: 443->80 8443->8080 993->143 995->110 465->25 636->389
 * 853->53 990->21 5061->5060. */
void tr_portmap_default(struct tr_portmap *pm);
/* Applies SPEC to pm: "none" empties the table; otherwise a comma list of
 * FROM:TO (or FROM=TO) that add to or override entries; FROM:FROM removes
 * the mapping of FROM.  Ports 1..65535.  Returns 0, or TR_E_ARG with the
 * reason in err. */
int tr_portmap_parse(struct tr_portmap *pm, const char *spec, char *err, size_t errlen);
/* The cleartext counterpart of port, or port itself when unmapped. */
uint16_t tr_portmap_lookup(const struct tr_portmap *pm, uint16_t port);
/* "443:80,8443:8080,..." ("" when empty) for the report. */
void tr_portmap_str(const struct tr_portmap *pm, char *buf, size_t n);

struct tr_pcapw_opts {
    enum tr_pcapw_format format;
    enum tr_pcapw_link link;       /* tcp format only */
    const struct tr_portmap *map;  /* NULL: the default table; copied */
};

/* "tcp"/"pdu" and "ether"/"raw" (also "ethernet", "rawip"). 0 or TR_E_ARG. */
int tr_pcapw_parse_format(const char *s, enum tr_pcapw_format *f);
int tr_pcapw_parse_link(const char *s, enum tr_pcapw_link *l);

struct tr_pcapw;

/* Creates PATH.tmp-XXXXXX and writes the pcap file header.  Returns NULL
 * with "PATH: reason" in err. */
struct tr_pcapw *tr_pcapw_new(const char *path, const struct tr_pcapw_opts *opts, char *err,
                              size_t errlen);
/* The sink to put in the tee.  Events of a failed writer are ignored. */
struct tr_sink tr_pcapw_sink(struct tr_pcapw *w);
/* 0, or -1 once a write failed (reason in err: file and errno text). */
int tr_pcapw_status(const struct tr_pcapw *w, char *err, size_t errlen);
/* Name of the temporary file while the writer is open (for a pre-commit
 * scan), NULL once finished. */
const char *tr_pcapw_temp_path(const struct tr_pcapw *w);
/* Writes what is still open (connections without CONN_CLOSE are left open,
 * as in the capture), flushes, fsyncs, closes and renames the temporary file
 * to PATH.  On failure the temporary file is removed and "PATH: write error
 * (reason)" is in err.  Returns 0 or TR_E_IO. */
int tr_pcapw_finish(struct tr_pcapw *w, char *err, size_t errlen);
/* Releases everything; removes the temporary file unless finished. */
void tr_pcapw_free(struct tr_pcapw *w);
/* Counters for the report. */
struct tr_pcapw_stats {
    uint64_t packets, conns, pdus, bytes;   /* records written, conversations, PDUs, payload bytes */
    uint64_t records_dropped;               /* cleartext records left out (decrypted connections) */
    uint64_t other;                         /* non-TCP packets kept (--keep-other) */
};
void tr_pcapw_stats(const struct tr_pcapw *w, struct tr_pcapw_stats *st);

/* ---- packet building (pcapw_pkt.c), exposed for the unit tests ---- */

/* Internet checksum (RFC 1071) of n bytes, folded, not complemented, added
 * to the partial sum `sum`. */
uint32_t tr_pcapw_sum(uint32_t sum, const uint8_t *p, size_t n);
uint16_t tr_pcapw_fold(uint32_t sum);

struct tr_pcapw_seg {
    const struct tr_addr *src, *dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;     /* TR_TH_* */
    uint16_t mss;      /* MSS option when non-zero (SYN) */
    const uint8_t *payload;
    size_t len;
};
/* Builds link header (ether: 14 bytes with the given MACs' last byte
 * src_mac/dst_mac; raw: none) + IPv4/IPv6 + TCP into out (cap bytes).
 * Returns the length, or 0 when it does not fit. */
size_t tr_pcapw_build_tcp(uint8_t *out, size_t cap, enum tr_pcapw_link link, uint8_t src_mac,
                          uint8_t dst_mac, const struct tr_pcapw_seg *s);
/* Exported-PDU header: TLVs 12 (proto, NUL-padded to 4), 20/21 or 22/23,
 * 24 (=2, TCP), 25, 26, 0.  Returns its length, or 0 when cap is short. */
size_t tr_pcapw_build_pdu_hdr(uint8_t *out, size_t cap, const char *proto, const struct tr_addr *src,
                              const struct tr_addr *dst, uint16_t sport, uint16_t dport);
/* Length of the first whole application PDU at p (n bytes) of protocol
 * `proto` (a tr_pcapw_proto_name() value) sent by the client (client=1) or
 * server, at_start when p is the start of that side's stream: > 0 its
 * length, 0 when more bytes are needed (*total = its full length when known,
 * else 0), -1 when p is not at a PDU start.  Protocols without framing
 * return n. */
long tr_pcapw_pdu_len(const char *proto, int client, int at_start, const uint8_t *p, size_t n,
                      uint64_t *total);
/* Protocol name for a PDU: from ALPN (h2 -> http2, http/1.x -> http, ...),
 * else from the server port, else "data". */
const char *tr_pcapw_proto_name(const char *alpn, uint16_t sport);

/* --keep-other: writes one non-TCP IP packet as captured (tcp format only;
 * the pdu format has no place for it).  Counted in the stats as other. */
int tr_pcapw_write_ip(struct tr_pcapw *w, const uint8_t *ip, size_t len, struct timeval ts);

#endif
