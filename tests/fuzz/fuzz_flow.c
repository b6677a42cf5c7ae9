/* fuzz_flow.c - TCP reassembly with arbitrary segment sequences.
 * Input: records of [flags dir seq(4) ack(4) len(1)] followed by len bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/reader.h"
#include "flow/flow.h"

struct sum { uint64_t bytes[2]; };

static void f_open(void *ctx, struct tr_conn *c) { (void)ctx; (void)c; }
static void f_data(void *ctx, struct tr_conn *c, int dir, const uint8_t *p, size_t n, uint64_t off,
                   struct timeval ts, uint64_t frame)
{
    struct sum *s = ctx;
    (void)c; (void)off; (void)ts; (void)frame;
    volatile uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= p[i]; /* touch every byte: ASan checks the view */
    s->bytes[dir & 1] += n;
}
static void f_gap(void *ctx, struct tr_conn *c, int dir, uint64_t off, uint64_t len, struct timeval ts)
{ (void)ctx; (void)c; (void)dir; (void)off; (void)len; (void)ts; }
static void f_fin(void *ctx, struct tr_conn *c, int dir, int rst, struct timeval ts)
{ (void)ctx; (void)c; (void)dir; (void)rst; (void)ts; }
static void f_close(void *ctx, struct tr_conn *c, enum tr_close_reason why)
{ (void)ctx; (void)c; (void)why; }

static const struct tr_flow_ops ops = {f_open, f_data, f_gap, f_fin, f_close};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sum s = {{0, 0}};
    struct tr_flow *f = tr_flow_new(&ops, &s);
    if (!f)
        return 0;
    struct tr_reader r = tr_rd_init(data, size);
    long t = 1;
    while (tr_rd_left(&r) >= 11) {
        struct tr_seg g;
        memset(&g, 0, sizeof g);
        g.flags = tr_rd_u8(&r);
        uint8_t d = tr_rd_u8(&r);
        g.seq = tr_rd_u32(&r);
        g.ack = tr_rd_u32(&r);
        size_t n = tr_rd_u8(&r);
        if (n > tr_rd_left(&r))
            n = tr_rd_left(&r);
        g.payload = tr_rd_bytes(&r, n);
        g.len = n;
        g.src.family = g.dst.family = 4;
        g.src.a[3] = (d & 1) ? 2 : 1;
        g.dst.a[3] = (d & 1) ? 1 : 2;
        g.sport = (d & 1) ? 443 : (uint16_t)(40000 + ((d >> 1) & 3));
        g.dport = (d & 1) ? (uint16_t)(40000 + ((d >> 1) & 3)) : 443;
        t += (d >> 4);
        g.ts.tv_sec = t;
        tr_flow_segment(f, &g);
    }
    tr_flow_finish(f);
    tr_flow_free(f);
    return 0;
}
