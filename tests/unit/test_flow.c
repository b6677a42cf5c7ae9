/* test_flow.c - connection table and TCP reassembly. */
#include "flow/flow.h"
#include "core/limits.h"
#include "tt.h"

#include <stdlib.h>

/* Records what the reassembler delivers: per direction, the byte stream with
 * gaps written as '#' bytes, and the event counts. */
struct rec {
    char out[2][1 << 16];
    size_t len[2];
    uint64_t pos[2]; /* stream offset reached, even past what out[] keeps */
    int gaps[2];
    uint64_t gap_bytes[2];
    int fins[2], rsts[2], opens, closes;
    enum tr_close_reason why;
    int bad_offset;
};

static void r_open(void *ctx, struct tr_conn *c) { ((struct rec *)ctx)->opens++; (void)c; }

static void r_data(void *ctx, struct tr_conn *c, int dir, const uint8_t *p, size_t n, uint64_t off,
                   struct timeval ts, uint64_t frame)
{
    struct rec *r = ctx;
    (void)c; (void)ts; (void)frame;
    if (off != r->pos[dir])
        r->bad_offset++;
    r->pos[dir] += n;
    for (size_t i = 0; i < n && r->len[dir] < sizeof r->out[dir]; i++)
        r->out[dir][r->len[dir]++] = (char)p[i];
}

static void r_gap(void *ctx, struct tr_conn *c, int dir, uint64_t off, uint64_t len, struct timeval ts)
{
    struct rec *r = ctx;
    (void)c; (void)ts;
    if (off != r->pos[dir])
        r->bad_offset++;
    r->pos[dir] += len;
    r->gaps[dir]++;
    r->gap_bytes[dir] += len;
    for (uint64_t i = 0; i < len && r->len[dir] < sizeof r->out[dir]; i++)
        r->out[dir][r->len[dir]++] = '#';
}

static void r_fin(void *ctx, struct tr_conn *c, int dir, int rst, struct timeval ts)
{
    struct rec *r = ctx;
    (void)c; (void)ts;
    if (rst)
        r->rsts[dir]++;
    else
        r->fins[dir]++;
}

static void r_close(void *ctx, struct tr_conn *c, enum tr_close_reason why)
{
    struct rec *r = ctx;
    (void)c;
    r->closes++;
    r->why = why;
}

static const struct tr_flow_ops ops = {r_open, r_data, r_gap, r_fin, r_close};

static struct tr_seg mk(int from_client, uint32_t seq, uint32_t ack, uint8_t flags, const char *data)
{
    struct tr_seg s;
    memset(&s, 0, sizeof s);
    s.src.family = s.dst.family = 4;
    uint8_t cli[4] = {10, 0, 0, 1}, srv[4] = {10, 0, 0, 2};
    memcpy(s.src.a, from_client ? cli : srv, 4);
    memcpy(s.dst.a, from_client ? srv : cli, 4);
    s.sport = from_client ? 40000 : 443;
    s.dport = from_client ? 443 : 40000;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.payload = (const uint8_t *)data;
    s.len = data ? strlen(data) : 0;
    s.ts.tv_sec = 1000;
    return s;
}

static void feed(struct tr_flow *f, struct tr_seg s) { tr_flow_segment(f, &s); }

#define A TR_TH_ACK
/* client ISN 100, server ISN 5000 */
static void handshake(struct tr_flow *f)
{
    feed(f, mk(1, 100, 0, TR_TH_SYN, NULL));
    feed(f, mk(0, 5000, 101, TR_TH_SYN | A, NULL));
    feed(f, mk(1, 101, 5001, A, NULL));
}

static struct rec *run_start(struct tr_flow **f)
{
    struct rec *r = calloc(1, sizeof *r);
    *f = tr_flow_new(&ops, r);
    return r;
}

static void test_in_order(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    feed(f, mk(1, 101, 5001, A, "hello "));
    feed(f, mk(1, 107, 5001, A, "world"));
    feed(f, mk(0, 5001, 112, A, "pong"));
    feed(f, mk(1, 112, 5005, A | TR_TH_FIN, NULL));
    feed(f, mk(0, 5005, 113, A | TR_TH_FIN, NULL));
    tr_flow_finish(f);
    TT_EQ_INT(r->opens, 1);
    TT_EQ_INT(r->len[0], 11);
    TT_EQ_MEM(r->out[0], "hello world", 11);
    TT_EQ_MEM(r->out[1], "pong", 4);
    TT_EQ_INT(r->fins[0], 1);
    TT_EQ_INT(r->fins[1], 1);
    TT_EQ_INT(r->closes, 1);
    TT_EQ_INT(r->why, TR_CLOSE_FIN);
    TT_EQ_INT(r->bad_offset, 0);
    tr_flow_free(f);
    free(r);
}

static void test_out_of_order_and_dups(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    feed(f, mk(1, 107, 5001, A, "world"));  /* early */
    feed(f, mk(1, 112, 5001, A, "!!"));     /* early */
    feed(f, mk(1, 101, 5001, A, "hello ")); /* fills the hole */
    feed(f, mk(1, 101, 5001, A, "hello ")); /* retransmission */
    feed(f, mk(1, 104, 5001, A, "lo wor")); /* overlapping retransmission */
    feed(f, mk(1, 114, 5001, A, "?"));
    tr_flow_finish(f);
    TT_EQ_INT(r->len[0], 14);
    TT_EQ_MEM(r->out[0], "hello world!!?", 14);
    TT_EQ_INT(r->gaps[0], 0);
    TT_EQ_INT(r->bad_offset, 0);
    tr_flow_free(f);
    free(r);
}

static void test_gap_by_ack(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    feed(f, mk(1, 101, 5001, A, "aaaa"));
    /* 105..108 lost in the capture */
    feed(f, mk(1, 109, 5001, A, "cccc"));
    TT_EQ_INT(r->len[0], 4); /* held until proven lost */
    feed(f, mk(0, 5001, 113, A, NULL)); /* server acknowledges all of it */
    /* the capture may still hold the bytes later: wait for the grace period */
    TT_EQ_INT(r->gaps[0], 0);
    for (unsigned i = 0; i < TR_REASM_HOLE_GRACE_SEGS; i++)
        feed(f, mk(0, 5001, 113, A, NULL));
    TT_EQ_INT(r->gaps[0], 1);
    TT_EQ_INT(r->gap_bytes[0], 4);
    TT_EQ_INT(r->len[0], 12);
    TT_EQ_MEM(r->out[0], "aaaa####cccc", 12);
    tr_flow_finish(f);
    TT_EQ_INT(r->bad_offset, 0);
    tr_flow_free(f);
    free(r);
}

static void test_ack_before_data(void)
{
    /* a capture that recorded the ACK before the data it acknowledges */
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    feed(f, mk(1, 105, 5001, A, "bbbb"));
    feed(f, mk(0, 5001, 109, A, NULL));
    feed(f, mk(0, 5001, 109, A, NULL));
    feed(f, mk(1, 101, 5001, A, "aaaa"));
    tr_flow_finish(f);
    TT_EQ_INT(r->gaps[0], 0);
    TT_EQ_INT(r->len[0], 8);
    TT_EQ_MEM(r->out[0], "aaaabbbb", 8);
    tr_flow_free(f);
    free(r);
}

static void test_gap_at_end_and_acked_unseen(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    feed(f, mk(1, 101, 5001, A, "aa"));
    feed(f, mk(1, 105, 5001, A, "cc")); /* hole of 2, never acked */
    feed(f, mk(0, 5001, 103, A, "x"));
    feed(f, mk(0, 5003, 103, A, "z")); /* server hole of 1 */
    /* client acknowledges server bytes up to 5010: 5 bytes never captured */
    feed(f, mk(1, 107, 5010, A, NULL));
    tr_flow_finish(f);
    TT_EQ_MEM(r->out[0], "aa##cc", 6);
    TT_EQ_INT(r->len[0], 6);
    /* server: x, gap 1, z (delivered by the ack), then 5 acked-unseen bytes */
    TT_EQ_INT(r->len[1], 9);
    TT_EQ_MEM(r->out[1], "x#z######", 9);
    TT_EQ_INT(r->why, TR_CLOSE_END);
    TT_EQ_INT(r->bad_offset, 0);
    tr_flow_free(f);
    free(r);
}

static void test_seq_wrap(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    feed(f, mk(1, 0xfffffffdu, 0, TR_TH_SYN, NULL));
    feed(f, mk(0, 7, 0xfffffffeu, TR_TH_SYN | A, NULL));
    feed(f, mk(1, 0xfffffffeu, 8, A, "ab"));   /* wraps to 0 after */
    feed(f, mk(1, 2, 8, A, "ef"));             /* out of order across the wrap */
    feed(f, mk(1, 0, 8, A, "cd"));
    tr_flow_finish(f);
    TT_EQ_INT(r->len[0], 6);
    TT_EQ_MEM(r->out[0], "abcdef", 6);
    TT_EQ_INT(r->gaps[0], 0);
    tr_flow_free(f);
    free(r);
}

static void test_mid_stream(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    /* no SYN: the server speaks first in the capture; roles from the ports */
    feed(f, mk(0, 9000, 300, A, "resp"));
    feed(f, mk(1, 300, 9004, A, "req"));
    tr_flow_finish(f);
    TT_EQ_INT(r->opens, 1);
    TT_EQ_MEM(r->out[0], "req", 3);
    TT_EQ_MEM(r->out[1], "resp", 4);
    tr_flow_free(f);
    free(r);
}

static void test_rst_and_reuse(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    feed(f, mk(1, 101, 5001, A, "x"));
    feed(f, mk(0, 5001, 102, TR_TH_RST, NULL));
    TT_EQ_INT(r->rsts[1], 1);
    /* a new SYN on the same 4-tuple with another ISN: a new connection */
    feed(f, mk(1, 77777, 0, TR_TH_SYN, NULL));
    TT_EQ_INT(r->closes, 1);
    TT_EQ_INT(r->opens, 2);
    tr_flow_finish(f);
    TT_EQ_INT(r->closes, 2);
    tr_flow_free(f);
    free(r);
}

static void test_budget(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    /* never fill the hole at 101; send more held data than the budget */
    static char chunk[1001];
    memset(chunk, 'q', 1000);
    uint32_t seq = 102;
    size_t n = TR_REASM_MAX_OOO_SEGS + 10;
    for (size_t i = 0; i < n; i++, seq += 1000)
        feed(f, mk(1, seq, 5001, A, chunk));
    TT_CHECK(tr_flow_stats(f)->ooo_limit_hits > 0);
    TT_EQ_INT(r->gaps[0], 1);
    TT_EQ_INT(r->gap_bytes[0], 1);
    tr_flow_finish(f);
    TT_EQ_INT(r->bad_offset, 0);
    TT_EQ_INT(r->pos[0], 1 + 1000 * n);
    tr_flow_free(f);
    free(r);
}

static void test_idle_eviction(void)
{
    struct tr_flow *f;
    struct rec *r = run_start(&f);
    handshake(f);
    feed(f, mk(1, 101, 5001, A, "x"));
    /* another connection much later closes the first as idle */
    struct tr_seg s = mk(1, 1, 0, TR_TH_SYN, NULL);
    s.sport = 40001;
    s.ts.tv_sec = 1000 + TR_FLOW_IDLE_SECS + 1;
    tr_flow_segment(f, &s);
    TT_EQ_INT(r->closes, 1);
    TT_EQ_INT(r->why, TR_CLOSE_IDLE);
    TT_EQ_INT(tr_flow_stats(f)->live, 1);
    tr_flow_finish(f);
    tr_flow_free(f);
    free(r);
}

int main(void)
{
    TT_RUN(test_in_order);
    TT_RUN(test_out_of_order_and_dups);
    TT_RUN(test_gap_by_ack);
    TT_RUN(test_ack_before_data);
    TT_RUN(test_gap_at_end_and_acked_unseen);
    TT_RUN(test_seq_wrap);
    TT_RUN(test_mid_stream);
    TT_RUN(test_rst_and_reuse);
    TT_RUN(test_budget);
    TT_RUN(test_idle_eviction);
    TT_DONE();
}
