/* limits.h - every budget in one place, with its reason.
 * Include as "core/limits.h".  Memory must grow with live connections only. */
#ifndef TR_CORE_LIMITS_H
#define TR_CORE_LIMITS_H

/* Largest packet we accept from libpcap; larger caplen is clamped by libpcap
 * anyway (its own maximum snaplen is 262144). */
#define TR_MAX_PACKET            262144u

/* Out-of-order TCP bytes buffered per direction before we declare the hole a
 * gap and move on.  Loopback GSO segments reach 64 KiB; allow several. */
#define TR_REASM_MAX_OOO_BYTES   (1u << 20)
/* Out-of-order segments held per direction (bounds list length / CPU). */
#define TR_REASM_MAX_OOO_SEGS    1024u
/* All out-of-order bytes buffered across all connections. */
#define TR_REASM_MAX_TOTAL_BYTES (256u << 20)

/* A hole the peer has acknowledged is declared lost (a gap) only after this
 * many further segments of the connection or this much capture time: the
 * capture may simply hold the data later than the ACK (multi-queue capture,
 * reordered files). */
#define TR_REASM_HOLE_GRACE_SEGS 32u
#define TR_REASM_HOLE_GRACE_MS   1000u

/* Live connections tracked at once; beyond it the oldest idle one is evicted
 * (reported). */
#define TR_FLOW_MAX_CONNS        65536u
/* A connection with no packet for this many seconds of capture time is closed. */
#define TR_FLOW_IDLE_SECS        600u
/* After FIN/RST in both directions, keep this long for retransmissions. */
#define TR_FLOW_CLOSED_SECS      5u

/* IP fragments: datagrams being reassembled at once, and their timeout. */
#define TR_IPFRAG_MAX_DATAGRAMS  1024u
#define TR_IPFRAG_TIMEOUT_SECS   30u

/* TLS: a record body is at most 2^14 + 2048 (RFC 5246 6.2.3); allow 2^14+2048
 * plus header.  A handshake message is at most 2^24, but certificates chains
 * beyond 256 KiB do not exist in practice: larger ones are malformed/limit. */
#define TR_TLS_MAX_RECORD        (16384u + 2048u)
#define TR_TLS_MAX_HANDSHAKE     (256u * 1024u)
/* Bytes of plaintext preamble scanned for STARTTLS before giving up on TLS. */
#define TR_STARTTLS_MAX_PREAMBLE (64u * 1024u)

#endif
