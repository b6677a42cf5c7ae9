/* flow.h - connection table and per-direction TCP reassembly.
 *
 * Segments in (from decode), ordered byte streams out: for each connection,
 * open / data / gap / fin / close events through struct tr_flow_ops.  Each
 * connection has two endpoints; endpoint 0 is the initiator (sender of the
 * SYN, or, when the SYN was not captured, the side with the higher,
 * ephemeral-looking port).  Data "in direction d" is data sent by endpoint d.
 *
 * Reassembly (RFC 9293 sequence arithmetic, 32-bit wrap): in-order data is
 * passed through without copying; out-of-order segments are copied and held,
 * bounded per direction (TR_REASM_MAX_OOO_*) and globally
 * (TR_REASM_MAX_TOTAL_BYTES).  Retransmissions and overlaps are trimmed
 * (first copy wins).  A hole becomes a gap event when the peer has
 * acknowledged data past it and the missing bytes still have not turned up
 * TR_REASM_HOLE_GRACE_SEGS segments or TR_REASM_HOLE_GRACE_MS of capture time
 * later (captures taken on several queues record an ACK before the data it
 * acknowledges), when a budget is hit, or when the connection ends; bytes the
 * peer acknowledged but that were never captured are reported as a gap at the
 * end too.  Nothing is dropped silently.
 *
 * Connections are evicted when idle (capture time) or closed, and when the
 * table is full (oldest first); the close event says why.
 */
#ifndef TR_FLOW_FLOW_H
#define TR_FLOW_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "decode/decode.h"

struct tr_ooo;

struct tr_half {
    int started;        /* any segment seen in this direction */
    int syn;            /* SYN seen */
    uint32_t isn;
    uint32_t next_seq;  /* sequence number of the next expected byte */
    uint64_t off;       /* stream offset of next_seq */
    struct tr_ooo *ooo; /* held out-of-order segments, sorted by offset */
    size_t ooo_bytes, ooo_count;
    int fin, fin_done, rst;
    uint64_t fin_off;
    int have_ack_peer;  /* peer acknowledged bytes in this direction */
    uint64_t max_acked; /* highest offset the peer acknowledged */
    int hole_acked;     /* the peer acknowledged past the first hole... */
    uint64_t hole_seg;  /* ...when the connection had seen this many segments */
    struct timeval hole_ts;
    uint16_t mss;
    /* accounting */
    uint64_t segments, bytes, dup_bytes, gap_bytes, gaps, conflict_bytes;
    uint64_t snap_missing; /* payload bytes lost to snaplen */
};

enum tr_close_reason {
    TR_CLOSE_FIN = 0,   /* both sides finished (FIN/RST) */
    TR_CLOSE_IDLE,      /* no packet for TR_FLOW_IDLE_SECS */
    TR_CLOSE_EVICTED,   /* table full: oldest connection evicted */
    TR_CLOSE_END,       /* end of capture with the connection still open */
    TR_CLOSE_REUSED,    /* a new SYN reused the 4-tuple */
};

struct tr_conn {
    uint64_t id;                 /* 1-based, in order of first packet */
    struct tr_addr addr[2];
    uint16_t port[2];
    struct tr_half half[2];      /* half[d]: bytes sent by endpoint d */
    struct timeval first_ts, last_ts;
    uint64_t first_frame;
    int syn_seen;                /* initiator known from a SYN */
    uint64_t segs;               /* segments seen, both directions */
    void *app;                   /* owned by the upper layer */
    /* table links */
    struct tr_conn *hnext;
    struct tr_conn *lprev, *lnext;
};

struct tr_flow_ops {
    void (*open)(void *ctx, struct tr_conn *c);
    /* n contiguous bytes at stream offset off in direction dir. */
    void (*data)(void *ctx, struct tr_conn *c, int dir, const uint8_t *p,
                 size_t n, uint64_t off, struct timeval ts, uint64_t frame);
    /* len bytes missing at stream offset off in direction dir. */
    void (*gap)(void *ctx, struct tr_conn *c, int dir, uint64_t off,
                uint64_t len, struct timeval ts);
    /* end of direction dir (FIN reached in order, or RST). */
    void (*fin)(void *ctx, struct tr_conn *c, int dir, int rst, struct timeval ts);
    /* Last event for c; the upper layer frees c->app here. */
    void (*close)(void *ctx, struct tr_conn *c, enum tr_close_reason why);
};

struct tr_flow_stats {
    uint64_t conns, live, max_live;
    uint64_t evicted_full, closed_idle;
    uint64_t ooo_limit_hits;   /* budgets that forced a gap */
    uint64_t out_of_window;    /* segments too far from the stream to be plausible */
    uint64_t no_payload;       /* pure ACKs etc. */
};

struct tr_flow;

struct tr_flow *tr_flow_new(const struct tr_flow_ops *ops, void *ctx);
/* Feeds one TCP segment (from decode). */
void tr_flow_segment(struct tr_flow *f, const struct tr_seg *seg);
/* End of input: flushes and closes every live connection. */
void tr_flow_finish(struct tr_flow *f);
const struct tr_flow_stats *tr_flow_stats(const struct tr_flow *f);
void tr_flow_free(struct tr_flow *f);

#endif
