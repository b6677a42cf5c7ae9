/* fuzz_tls.c - the TLS session layer (record framing, STARTTLS and resync,
 * handshake and certificate decoding, verdicts) fed arbitrary streams.
 * Input: chunks [hdr len] + len bytes; hdr bit 0 = direction, bit 1 = SYN
 * seen at start, bit 2 = leave a hole before this chunk. */
#include <stdlib.h>
#include <string.h>

#include "core/reader.h"
#include "flow/flow.h"
#include "tls/session.h"

static void sink_ev(void *ctx, const struct tr_ev *ev)
{
    (void)ctx;
    volatile size_t n = 0;
    if (ev->fields)
        for (size_t i = 0; i < ev->fields->n; i++)
            n += ev->fields->f[i].val ? strlen(ev->fields->f[i].val) : 0;
    if (ev->text)
        n += strlen(ev->text);
}

/* The default rule packs, loaded once (from the source tree: make check and
 * the fuzzer run from the repository root), so that the HTTP/1.x, HTTP/2 and
 * WebSocket paths behind the redactor are fuzzed too.  Without them the
 * session runs with redaction off. */
static const struct tr_ruleset *rules(void)
{
    static struct tr_ruleset *rs;
    static int tried;
    if (!tried) {
        tried = 1;
        const char *paths[] = {getenv("TR_FUZZ_RULES") ? getenv("TR_FUZZ_RULES") : "rules"};
        char err[256];
        if (tr_rules_load(&rs, paths, 1, err, sizeof err) != 0)
            rs = NULL;
    }
    return rs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_sink sink = {sink_ev, NULL};
    struct tr_session_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.rules = rules();
    struct tr_sessions *S = tr_sessions_new(&sink, &opts);
    struct tr_flow *f = S ? tr_flow_new(tr_session_flow_ops(), S) : NULL;
    if (!f) {
        tr_sessions_free(S);
        return 0;
    }
    struct tr_reader r = tr_rd_init(data, size);
    uint32_t seq[2] = {1000, 90000};
    int started = 0;
    while (tr_rd_left(&r) >= 2) {
        uint8_t hdr = tr_rd_u8(&r);
        size_t n = tr_rd_u8(&r);
        if (n > tr_rd_left(&r))
            n = tr_rd_left(&r);
        int d = hdr & 1;
        struct tr_seg g;
        memset(&g, 0, sizeof g);
        g.src.family = g.dst.family = 4;
        g.src.a[3] = d ? 2 : 1;
        g.dst.a[3] = d ? 1 : 2;
        g.sport = d ? 443 : 40000;
        g.dport = d ? 40000 : 443;
        g.ts.tv_sec = 1;
        if (!started && (hdr & 2)) {
            struct tr_seg syn = g;
            syn.flags = TR_TH_SYN;
            syn.seq = seq[d]++;
            tr_flow_segment(f, &syn);
        }
        started = 1;
        if (hdr & 4)
            seq[d] += 7;
        g.flags = TR_TH_ACK;
        g.seq = seq[d];
        g.ack = seq[!d];
        g.payload = tr_rd_bytes(&r, n);
        g.len = n;
        seq[d] += (uint32_t)n;
        tr_flow_segment(f, &g);
    }
    tr_flow_finish(f);
    tr_flow_free(f);
    tr_sessions_free(S);
    return 0;
}
