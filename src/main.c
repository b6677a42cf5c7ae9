/* main.c - tlsredact command line: options, the run loop, exit codes.
 *
 * The pipeline: capture -> decode -> flow (TCP reassembly) -> session (TLS)
 * -> sinks.  The only mutable state outside the run context is the signal
 * flag for live captures.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "out/text.h"
#include "tls/session.h"

/* exit codes (docs/tlsredact.1) */
enum {
    EX_DONE = 0,     /* ran to completion */
    EX_RUNTIME = 1,  /* input could not be read, output could not be written */
    EX_USAGE = 2,    /* bad command line */
    EX_DAMAGED = 3,  /* input damaged (e.g. truncated): what could be read was processed */
};

struct cli {
    const char *read_file;
    const char *iface;
    const char *out_file;
    char *filter;
    int verdicts_only;
    int progress; /* -1 auto */
};

static struct tr_capture *volatile live_capture; /* for SIGINT/SIGTERM only */

static void on_signal(int sig)
{
    (void)sig;
    if (live_capture)
        tr_capture_break(live_capture);
}

static void usage(FILE *o)
{
    fputs("Usage: tlsredact [options] (-r FILE | -i IFACE) [BPF filter expression]\n"
          "Reads a capture, reassembles TCP, dissects TLS on any port and diagnoses each\n"
          "connection.\n\n"
          "Input:\n"
          "  -r FILE            read a pcap/pcapng capture (gzip-compressed too); - = stdin\n"
          "  -i IFACE           capture live from an interface (stop with Ctrl-C)\n"
          "  EXPRESSION         BPF filter, as tcpdump takes it (e.g. 'tcp port 443')\n"
          "Output:\n"
          "  -o FILE            write the transcript to FILE (default: standard output)\n"
          "  -q, --verdicts     print connection headers, verdicts and the summary only\n"
          "  --no-progress      no progress indicator on standard error\n"
          "Other:\n"
          "  -h, --help         this help\n"
          "  -V, --version      version\n"
          "Exit codes: 0 done, 1 runtime error, 2 usage error, 3 damaged input (partly processed).\n"
          "See tlsredact(1).\n",
          o);
}

static void die_usage(const char *msg)
{
    fprintf(stderr, "tlsredact: %s (try 'tlsredact --help')\n", msg);
    exit(EX_USAGE);
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static void parse_args(struct cli *cli, int argc, char **argv)
{
    enum { OPT_NO_PROGRESS = 256 };
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"verdicts", no_argument, NULL, 'q'},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(cli, 0, sizeof *cli);
    cli->progress = -1;
    int c;
    /* '+': stop at the first non-option, which starts the filter expression */
    while ((c = getopt_long(argc, argv, "+r:i:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': cli->read_file = optarg; break;
        case 'i': cli->iface = optarg; break;
        case 'o': cli->out_file = optarg; break;
        case 'q': cli->verdicts_only = 1; break;
        case OPT_NO_PROGRESS: cli->progress = 0; break;
        case 'h': usage(stdout); exit(EX_DONE);
        case 'V': printf("tlsredact %s\n", TR_VERSION); exit(EX_DONE);
        default: die_usage("invalid option");
        }
    }
    if (!cli->read_file && !cli->iface)
        die_usage("no input: give -r FILE or -i IFACE");
    if (cli->read_file && cli->iface)
        die_usage("-r and -i cannot be used together");
    if (optind < argc) {
        cli->filter = join_args(argc - optind, argv + optind);
        if (!cli->filter) {
            fprintf(stderr, "tlsredact: out of memory\n");
            exit(EX_RUNTIME);
        }
    }
}

/* Decoder -> flow glue. */
static void on_tcp(void *ctx, const struct tr_seg *seg) { tr_flow_segment(ctx, seg); }

static double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void summary(const struct tr_sink *sink, const struct tr_decode_stats *ds,
                    const struct tr_flow_stats *fs, const struct tr_sessions_totals *t)
{
    struct tr_fields *fb = malloc(sizeof *fb);
    if (!fb)
        return;
    tr_fields_reset(fb);
    char line[512];
    int n = snprintf(line, sizeof line, "%llu TCP connection%s:", (unsigned long long)t->conns,
                     t->conns == 1 ? "" : "s");
    for (int v = 0; v < TR_V_COUNT && n > 0 && (size_t)n < sizeof line; v++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s %llu %s", v ? "," : "",
                      (unsigned long long)t->by_verdict[v], tr_verdict_name((enum tr_verdict)v));
    tr_fields_add(fb, 0, "packets", "%llu read: %llu TCP, %llu UDP, %llu ICMP, %llu other IP, %llu not IP",
                  (unsigned long long)ds->packets, (unsigned long long)ds->tcp, (unsigned long long)ds->udp,
                  (unsigned long long)ds->icmp, (unsigned long long)ds->other_ip,
                  (unsigned long long)ds->non_ip);
    tr_fields_add(fb, 0, "packets not decoded",
                  "%llu truncated, %llu bad header, %llu unsupported link type, %llu fragments dropped",
                  (unsigned long long)ds->truncated, (unsigned long long)ds->bad_header,
                  (unsigned long long)ds->bad_linktype, (unsigned long long)ds->frag_dropped);
    tr_fields_add(fb, 0, "fragments", "%llu received, %llu datagrams reassembled",
                  (unsigned long long)ds->fragments, (unsigned long long)ds->frag_reassembled);
    tr_fields_add(fb, 0, "TLS", "%llu records, %llu alerts, %llu STARTTLS", (unsigned long long)t->tls_records,
                  (unsigned long long)t->alerts, (unsigned long long)t->starttls);
    tr_fields_add(fb, 0, "bytes", "%llu cleartext TCP, %llu encrypted application data, %llu not dissected",
                  (unsigned long long)t->plain_bytes, (unsigned long long)t->encrypted_bytes,
                  (unsigned long long)t->skipped_bytes);
    tr_fields_add(fb, 0, "capture gaps", "%llu gaps, %llu bytes missing", (unsigned long long)t->gaps,
                  (unsigned long long)t->gap_bytes);
    tr_fields_add(fb, 0, "reassembly", "%llu connections at most at once, %llu closed idle, "
                  "%llu evicted (table full), %llu buffer limit hits, %llu implausible segments",
                  (unsigned long long)fs->max_live, (unsigned long long)fs->closed_idle,
                  (unsigned long long)fs->evicted_full, (unsigned long long)fs->ooo_limit_hits,
                  (unsigned long long)fs->out_of_window);
    struct tr_ev ev = {.type = TR_EV_SUMMARY, .title = "summary", .text = line, .fields = fb};
    sink->ev(sink->ctx, &ev);
    free(fb);
}

int main(int argc, char **argv)
{
    struct cli cli;
    parse_args(&cli, argc, argv);
    int rc = EX_DONE;
    char err[512] = "";

    struct tr_capture *cap = cli.read_file ? tr_capture_open_file(cli.read_file, err, sizeof err)
                                           : tr_capture_open_live(cli.iface, err, sizeof err);
    if (!cap) {
        fprintf(stderr, "tlsredact: %s\n", err);
        free(cli.filter);
        return EX_RUNTIME;
    }
    if (cli.filter && tr_capture_set_filter(cap, cli.filter, err, sizeof err) != 0) {
        fprintf(stderr, "tlsredact: %s\n", err);
        tr_capture_close(cap);
        free(cli.filter);
        return EX_USAGE;
    }
    int linktype = tr_capture_linktype(cap);
    if (!tr_decode_linktype_ok(linktype))
        fprintf(stderr, "tlsredact: %s: link type %d (%s) is not supported; its packets are counted, "
                "not decoded\n", cli.read_file ? cli.read_file : cli.iface, linktype,
                tr_decode_linktype_name(linktype));

    FILE *out = stdout;
    if (cli.out_file && strcmp(cli.out_file, "-") != 0) {
        out = fopen(cli.out_file, "w");
        if (!out) {
            fprintf(stderr, "tlsredact: %s: cannot write transcript (%s)\n", cli.out_file, strerror(errno));
            tr_capture_close(cap);
            free(cli.filter);
            return EX_RUNTIME;
        }
    }
    struct tr_text_opts topts = {.verdicts_only = cli.verdicts_only};
    struct tr_text *text = tr_text_new(out, &topts);
    struct tr_sink sink = tr_text_sink(text);
    struct tr_sessions *sessions = tr_sessions_new(&sink);
    struct tr_flow *flow = sessions ? tr_flow_new(tr_session_flow_ops(), sessions) : NULL;
    struct tr_decoder *dec = flow ? tr_decode_new(on_tcp, flow) : NULL;
    if (!text || !dec) {
        fprintf(stderr, "tlsredact: out of memory\n");
        return EX_RUNTIME;
    }

    if (cli.iface) {
        live_capture = cap;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    int progress = cli.progress;
    if (progress < 0)
        progress = cli.read_file && strcmp(cli.read_file, "-") != 0 && isatty(STDERR_FILENO);
    double next_progress = now_secs() + 0.5;

    struct tr_packet pkt;
    int r;
    while ((r = tr_capture_next(cap, &pkt, err, sizeof err)) == 1) {
        tr_decode_packet(dec, linktype, pkt.data, pkt.caplen, pkt.len, pkt.ts, pkt.frame);
        if (progress && (pkt.frame & 1023) == 0 && now_secs() >= next_progress) {
            uint64_t done, total;
            tr_capture_progress(cap, &done, &total);
            if (total)
                fprintf(stderr, "\r%5.1f%%  %llu packets", 100.0 * (double)done / (double)total,
                        (unsigned long long)pkt.frame);
            else
                fprintf(stderr, "\r%llu packets", (unsigned long long)pkt.frame);
            next_progress = now_secs() + 0.5;
        }
    }
    if (progress)
        fputs("\r                                        \r", stderr);
    if (r < 0) {
        fprintf(stderr, "tlsredact: %s\n", err);
        rc = EX_DAMAGED;
    }
    tr_flow_finish(flow);
    summary(&sink, tr_decode_stats(dec), tr_flow_stats(flow), tr_sessions_totals(sessions));
    live_capture = NULL;

    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "tlsredact: %s: write error (%s)\n", cli.out_file ? cli.out_file : "standard output",
                strerror(errno));
        rc = EX_RUNTIME;
    }
    if (out != stdout && fclose(out) != 0 && rc == EX_DONE) {
        fprintf(stderr, "tlsredact: %s: write error (%s)\n", cli.out_file, strerror(errno));
        rc = EX_RUNTIME;
    }
    tr_decode_free(dec);
    tr_flow_free(flow);
    tr_sessions_free(sessions);
    tr_text_free(text);
    tr_capture_close(cap);
    free(cli.filter);
    return rc;
}
