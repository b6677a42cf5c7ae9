/* flow.c - connection table and TCP reassembly (see flow.h). */
#include "flow/flow.h"
#include "core/limits.h"

#include <stdlib.h>
#include <string.h>

struct tr_ooo {
    struct tr_ooo *next;
    uint64_t off;
    size_t len;
    struct timeval ts;
    uint64_t frame;
    uint8_t data[];
};

#define NBUCKETS (1u << 17)
/* A segment further than this from the expected offset is not plausible
 * (TCP windows are at most 1 GiB with scaling). */
#define MAX_WINDOW ((int64_t)1 << 30)

struct tr_flow {
    const struct tr_flow_ops *ops;
    void *ctx;
    struct tr_conn **buckets;
    struct tr_conn *lru_head, *lru_tail; /* head = least recently active */
    uint64_t next_id;
    size_t ooo_total;
    struct timeval now;
    time_t last_sweep;
    struct tr_flow_stats st;
};

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int ep_cmp(const struct tr_addr *a, uint16_t pa, const struct tr_addr *b, uint16_t pb)
{
    int c = tr_addr_cmp(a, b);
    if (c)
        return c;
    return (int)pa - (int)pb;
}

static size_t tuple_hash(const struct tr_addr *a, uint16_t pa, const struct tr_addr *b, uint16_t pb)
{
    if (ep_cmp(a, pa, b, pb) > 0) {
        const struct tr_addr *t = a;
        a = b;
        b = t;
        uint16_t tp = pa;
        pa = pb;
        pb = tp;
    }
    uint8_t ports[4] = {(uint8_t)(pa >> 8), (uint8_t)pa, (uint8_t)(pb >> 8), (uint8_t)pb};
    uint32_t h = 2166136261u;
    h = mix(h, a->a, 16);
    h = mix(h, b->a, 16);
    h = mix(h, ports, 4);
    return h & (NBUCKETS - 1);
}

struct tr_flow *tr_flow_new(const struct tr_flow_ops *ops, void *ctx)
{
    struct tr_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->buckets = calloc(NBUCKETS, sizeof *f->buckets);
    if (!f->buckets) {
        free(f);
        return NULL;
    }
    f->ops = ops;
    f->ctx = ctx;
    f->next_id = 1;
    return f;
}

const struct tr_flow_stats *tr_flow_stats(const struct tr_flow *f) { return &f->st; }

static void lru_unlink(struct tr_flow *f, struct tr_conn *c)
{
    if (c->lprev)
        c->lprev->lnext = c->lnext;
    else
        f->lru_head = c->lnext;
    if (c->lnext)
        c->lnext->lprev = c->lprev;
    else
        f->lru_tail = c->lprev;
    c->lprev = c->lnext = NULL;
}

static void lru_append(struct tr_flow *f, struct tr_conn *c)
{
    c->lprev = f->lru_tail;
    c->lnext = NULL;
    if (f->lru_tail)
        f->lru_tail->lnext = c;
    else
        f->lru_head = c;
    f->lru_tail = c;
}

static struct tr_conn *lookup(struct tr_flow *f, const struct tr_seg *s, int *dir)
{
    size_t h = tuple_hash(&s->src, s->sport, &s->dst, s->dport);
    for (struct tr_conn *c = f->buckets[h]; c; c = c->hnext) {
        if (c->port[0] == s->sport && c->port[1] == s->dport &&
            !tr_addr_cmp(&c->addr[0], &s->src) && !tr_addr_cmp(&c->addr[1], &s->dst)) {
            *dir = 0;
            return c;
        }
        if (c->port[1] == s->sport && c->port[0] == s->dport &&
            !tr_addr_cmp(&c->addr[1], &s->src) && !tr_addr_cmp(&c->addr[0], &s->dst)) {
            *dir = 1;
            return c;
        }
    }
    return NULL;
}

/* ---- reassembly ---- */

static void deliver(struct tr_flow *f, struct tr_conn *c, int dir, const uint8_t *p,
                    size_t n, struct timeval ts, uint64_t frame)
{
    struct tr_half *h = &c->half[dir];
    f->ops->data(f->ctx, c, dir, p, n, h->off, ts, frame);
    h->off += n;
    h->next_seq += (uint32_t)n;
    h->bytes += n;
}

static void emit_gap(struct tr_flow *f, struct tr_conn *c, int dir, uint64_t len)
{
    struct tr_half *h = &c->half[dir];
    if (len == 0)
        return;
    f->ops->gap(f->ctx, c, dir, h->off, len, f->now);
    h->off += len;
    h->next_seq += (uint32_t)len;
    h->gap_bytes += len;
    h->gaps++;
}

static void free_ooo(struct tr_flow *f, struct tr_half *h, struct tr_ooo *o)
{
    h->ooo_bytes -= o->len;
    h->ooo_count--;
    f->ooo_total -= o->len;
    memset(o->data, 0, o->len); /* it may be cleartext */
    free(o);
}

/* Delivers held segments that have become contiguous; drops duplicates. */
static void drain(struct tr_flow *f, struct tr_conn *c, int dir)
{
    struct tr_half *h = &c->half[dir];
    if (h->ooo && h->ooo->off <= h->off)
        h->hole_acked = 0; /* the hole is filled; a later one starts its own grace */
    while (h->ooo && h->ooo->off <= h->off) {
        struct tr_ooo *o = h->ooo;
        h->ooo = o->next;
        uint64_t end = o->off + o->len;
        if (end > h->off) {
            size_t skip = (size_t)(h->off - o->off);
            h->dup_bytes += skip;
            deliver(f, c, dir, o->data + skip, o->len - skip, o->ts, o->frame);
        } else {
            h->dup_bytes += o->len;
        }
        free_ooo(f, h, o);
    }
    if (h->fin && !h->fin_done && h->off >= h->fin_off && !h->ooo) {
        h->fin_done = 1;
        f->ops->fin(f->ctx, c, dir, 0, f->now);
    }
}

/* Declares the hole before the first held segment lost, then drains. */
static void skip_hole(struct tr_flow *f, struct tr_conn *c, int dir)
{
    struct tr_half *h = &c->half[dir];
    if (!h->ooo)
        return;
    if (h->ooo->off > h->off)
        emit_gap(f, c, dir, h->ooo->off - h->off);
    drain(f, c, dir);
}

static long ms_since(struct timeval now, struct timeval then)
{
    return (long)(now.tv_sec - then.tv_sec) * 1000 + (long)(now.tv_usec - then.tv_usec) / 1000;
}

/* The peer acknowledged past a hole that has data after it: the hole's bytes
 * reached the peer.  If they have not appeared in the capture after a grace
 * period, they never will: declare the gap. */
static void check_hole(struct tr_flow *f, struct tr_conn *c, int dir)
{
    struct tr_half *h = &c->half[dir];
    while (h->ooo && h->have_ack_peer && h->max_acked >= h->ooo->off) {
        if (!h->hole_acked) {
            h->hole_acked = 1;
            h->hole_seg = c->segs;
            h->hole_ts = f->now;
            return;
        }
        if (c->segs - h->hole_seg < TR_REASM_HOLE_GRACE_SEGS &&
            ms_since(f->now, h->hole_ts) < (long)TR_REASM_HOLE_GRACE_MS)
            return;
        h->hole_acked = 0;
        skip_hole(f, c, dir);
    }
    if (!h->ooo)
        h->hole_acked = 0;
}

/* Flushes everything held, then reports bytes acknowledged but never seen. */
static void flush_half(struct tr_flow *f, struct tr_conn *c, int dir)
{
    struct tr_half *h = &c->half[dir];
    while (h->ooo)
        skip_hole(f, c, dir);
    if (h->have_ack_peer) {
        uint64_t limit = h->max_acked;
        if (h->fin && limit > h->fin_off)
            limit = h->fin_off;
        if (limit > h->off)
            emit_gap(f, c, dir, limit - h->off);
    }
    if (h->fin && !h->fin_done && h->off >= h->fin_off) {
        h->fin_done = 1;
        f->ops->fin(f->ctx, c, dir, 0, f->now);
    }
}

static void store_ooo(struct tr_flow *f, struct tr_conn *c, int dir, uint64_t off,
                      const uint8_t *p, size_t n, const struct tr_seg *s)
{
    struct tr_half *h = &c->half[dir];
    /* identical copy already held (retransmission of a held segment)? */
    struct tr_ooo **pp = &h->ooo;
    while (*pp && (*pp)->off < off)
        pp = &(*pp)->next;
    if (*pp && (*pp)->off == off && (*pp)->len >= n) {
        h->dup_bytes += n;
        return;
    }
    struct tr_ooo *o = malloc(sizeof *o + n);
    if (!o) {
        f->st.ooo_limit_hits++;
        skip_hole(f, c, dir);
        return;
    }
    o->off = off;
    o->len = n;
    o->ts = s->ts;
    o->frame = s->frame;
    memcpy(o->data, p, n);
    o->next = *pp;
    *pp = o;
    h->ooo_bytes += n;
    h->ooo_count++;
    f->ooo_total += n;
    /* budgets: give up on the oldest hole rather than grow */
    while (h->ooo && (h->ooo_bytes > TR_REASM_MAX_OOO_BYTES ||
                      h->ooo_count > TR_REASM_MAX_OOO_SEGS ||
                      f->ooo_total > TR_REASM_MAX_TOTAL_BYTES)) {
        f->st.ooo_limit_hits++;
        skip_hole(f, c, dir);
    }
    check_hole(f, c, dir);
}

static void half_data(struct tr_flow *f, struct tr_conn *c, int dir, const struct tr_seg *s)
{
    struct tr_half *h = &c->half[dir];
    uint32_t seq = s->seq;
    if (s->flags & TR_TH_SYN) {
        if (!h->syn) {
            h->syn = 1;
            h->isn = seq;
            if (!h->started) {
                h->started = 1;
                h->next_seq = seq + 1;
                h->off = 0;
            }
            if (s->mss)
                h->mss = s->mss;
        }
        seq += 1;
    }
    if (!h->started) {
        /* capture started mid-stream: this segment defines offset 0 */
        h->started = 1;
        h->next_seq = seq;
        h->off = 0;
    }
    h->segments++;
    h->snap_missing += s->missing;
    int64_t rel = (int32_t)(seq - h->next_seq);
    int64_t soff = (int64_t)h->off + rel;
    if (rel > MAX_WINDOW || rel < -MAX_WINDOW) {
        f->st.out_of_window++;
        return;
    }
    const uint8_t *p = s->payload;
    size_t n = s->len;
    if (n > 0) {
        int64_t end = soff + (int64_t)n;
        if (end <= (int64_t)h->off) {
            h->dup_bytes += n;
        } else {
            if (soff < (int64_t)h->off) {
                size_t skip = (size_t)((int64_t)h->off - soff);
                h->dup_bytes += skip;
                p += skip;
                n -= skip;
                soff = (int64_t)h->off;
            }
            if (soff == (int64_t)h->off) {
                deliver(f, c, dir, p, n, s->ts, s->frame);
                drain(f, c, dir);
            } else {
                store_ooo(f, c, dir, (uint64_t)soff, p, n, s);
            }
        }
    }
    if ((s->flags & TR_TH_FIN) && !h->fin && soff >= 0) {
        h->fin = 1;
        h->fin_off = (uint64_t)soff + s->len;
        if (h->fin_off < h->off)
            h->fin_off = h->off;
    }
    if (h->fin && !h->fin_done && h->off >= h->fin_off && !h->ooo) {
        h->fin_done = 1;
        f->ops->fin(f->ctx, c, dir, 0, s->ts);
    }
    if ((s->flags & TR_TH_RST) && !h->rst) {
        h->rst = 1;
        flush_half(f, c, dir);
        if (!h->fin_done) {
            h->fin_done = 1;
            f->ops->fin(f->ctx, c, dir, 1, s->ts);
        }
    }
}

static void half_ack(struct tr_flow *f, struct tr_conn *c, int peer_dir, uint32_t ack)
{
    struct tr_half *p = &c->half[peer_dir];
    if (!p->started)
        return;
    int64_t rel = (int32_t)(ack - p->next_seq);
    if (rel > MAX_WINDOW)
        return;
    int64_t aoff = (int64_t)p->off + rel;
    if (aoff <= 0)
        return;
    if (!p->have_ack_peer || (uint64_t)aoff > p->max_acked) {
        p->have_ack_peer = 1;
        p->max_acked = (uint64_t)aoff;
    }
    check_hole(f, c, peer_dir);
}

/* ---- connection lifecycle ---- */

static int conn_done(const struct tr_conn *c)
{
    return (c->half[0].rst || c->half[1].rst) ||
           (c->half[0].fin_done && c->half[1].fin_done);
}

static void conn_close(struct tr_flow *f, struct tr_conn *c, enum tr_close_reason why)
{
    flush_half(f, c, 0);
    flush_half(f, c, 1);
    f->ops->close(f->ctx, c, why);
    size_t h = tuple_hash(&c->addr[0], c->port[0], &c->addr[1], c->port[1]);
    struct tr_conn **pp = &f->buckets[h];
    while (*pp && *pp != c)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = c->hnext;
    lru_unlink(f, c);
    f->st.live--;
    free(c);
}

static struct tr_conn *conn_new(struct tr_flow *f, const struct tr_seg *s, int *dir)
{
    if (f->st.live >= TR_FLOW_MAX_CONNS && f->lru_head) {
        f->st.evicted_full++;
        conn_close(f, f->lru_head, TR_CLOSE_EVICTED);
    }
    struct tr_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    /* endpoint 0 is the initiator */
    int swap;
    if (s->flags & TR_TH_SYN)
        swap = (s->flags & TR_TH_ACK) != 0; /* SYN/ACK comes from the server */
    else if (s->sport < 1024 && s->dport >= 1024)
        swap = 1; /* sender looks like a server */
    else if (s->dport < 1024 && s->sport >= 1024)
        swap = 0;
    else
        swap = s->sport < s->dport;
    c->syn_seen = (s->flags & TR_TH_SYN) != 0;
    c->addr[0] = swap ? s->dst : s->src;
    c->port[0] = swap ? s->dport : s->sport;
    c->addr[1] = swap ? s->src : s->dst;
    c->port[1] = swap ? s->sport : s->dport;
    *dir = swap;
    c->id = f->next_id++;
    c->first_ts = c->last_ts = s->ts;
    c->first_frame = s->frame;
    size_t h = tuple_hash(&c->addr[0], c->port[0], &c->addr[1], c->port[1]);
    c->hnext = f->buckets[h];
    f->buckets[h] = c;
    lru_append(f, c);
    f->st.conns++;
    f->st.live++;
    if (f->st.live > f->st.max_live)
        f->st.max_live = f->st.live;
    f->ops->open(f->ctx, c);
    return c;
}

static void sweep(struct tr_flow *f)
{
    if (f->now.tv_sec == f->last_sweep)
        return;
    f->last_sweep = f->now.tv_sec;
    struct tr_conn *c = f->lru_head;
    while (c) {
        struct tr_conn *next = c->lnext;
        time_t idle = f->now.tv_sec - c->last_ts.tv_sec;
        if (idle < (time_t)TR_FLOW_CLOSED_SECS)
            break; /* everything after is more recent */
        if (conn_done(c)) {
            conn_close(f, c, TR_CLOSE_FIN);
        } else if (idle >= (time_t)TR_FLOW_IDLE_SECS) {
            f->st.closed_idle++;
            conn_close(f, c, TR_CLOSE_IDLE);
        }
        c = next;
    }
}

void tr_flow_segment(struct tr_flow *f, const struct tr_seg *s)
{
    if (s->ts.tv_sec > f->now.tv_sec ||
        (s->ts.tv_sec == f->now.tv_sec && s->ts.tv_usec > f->now.tv_usec))
        f->now = s->ts;
    int dir = 0;
    struct tr_conn *c = lookup(f, s, &dir);
    int syn_only = (s->flags & (TR_TH_SYN | TR_TH_ACK)) == TR_TH_SYN;
    if (c && syn_only) {
        struct tr_half *h = &c->half[dir];
        /* a new SYN with another ISN on a finished 4-tuple: port reuse */
        if ((conn_done(c) || (h->syn && h->isn != s->seq && h->bytes > 0)) &&
            !(h->syn && h->isn == s->seq)) {
            conn_close(f, c, TR_CLOSE_REUSED);
            c = NULL;
        }
    }
    if (!c) {
        if (s->len == 0 && !(s->flags & (TR_TH_SYN | TR_TH_FIN | TR_TH_RST))) {
            f->st.no_payload++; /* stray ACK of a connection we do not track */
            sweep(f);
            return;
        }
        c = conn_new(f, s, &dir);
        if (!c)
            return;
    }
    c->last_ts = s->ts;
    c->segs++;
    lru_unlink(f, c);
    lru_append(f, c);
    if (s->flags & TR_TH_ACK)
        half_ack(f, c, !dir, s->ack);
    half_data(f, c, dir, s);
    /* holes waiting for their grace period, in either direction */
    if (c->half[0].hole_acked)
        check_hole(f, c, 0);
    if (c->half[1].hole_acked)
        check_hole(f, c, 1);
    sweep(f);
}

void tr_flow_finish(struct tr_flow *f)
{
    while (f->lru_head) {
        struct tr_conn *c = f->lru_head;
        conn_close(f, c, conn_done(c) ? TR_CLOSE_FIN : TR_CLOSE_END);
    }
}

void tr_flow_free(struct tr_flow *f)
{
    if (!f)
        return;
    /* connections must have been closed by tr_flow_finish; free leftovers */
    while (f->lru_head) {
        struct tr_conn *c = f->lru_head;
        lru_unlink(f, c);
        for (int d = 0; d < 2; d++)
            while (c->half[d].ooo) {
                struct tr_ooo *o = c->half[d].ooo;
                c->half[d].ooo = o->next;
                free_ooo(f, &c->half[d], o);
            }
        free(c);
    }
    free(f->buckets);
    free(f);
}
