/* main.c - tlsredact command line: options, the run loop, exit codes.
 *
 * The pipeline: capture -> decode -> flow (TCP reassembly) -> session (TLS)
 * -> sinks.  The only mutable state outside the run context is the signal
 * flag for live captures.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <sys/stat.h>

#include <mbedtls/sha256.h>

#include "capture/capture.h"
#include "core/err.h"
#include "core/password.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "out/anon.h"
#include "out/export.h"
#include "out/json.h"
#include "out/leakcheck.h"
#include "out/report.h"
#include "out/pcapw.h"
#include "out/text.h"
#include "redact/redact.h"
#include "tls/dsb.h"
#include "tls/keylog.h"
#include "tls/keystore.h"
#include "tls/rsakey.h"
#include "tls/session.h"

/* exit codes (docs/tlsredact.1) */
enum {
    EX_DONE = 0,     /* ran to completion */
    EX_RUNTIME = 1,  /* input could not be read, output could not be written */
    EX_USAGE = 2,    /* bad command line */
    EX_DAMAGED = 3,  /* input damaged (e.g. truncated): what could be read was processed */
};

#define MAX_LIST 64

struct cli {
    const char *read_file;
    const char *iface;
    const char *out_file;
    char *filter;
    int verdicts_only;
    int progress; /* -1 auto */
    const char *keys[MAX_LIST];     /* -k [IP:PORT=]KEYFILE */
    size_t nkeys;
    const char *keylogs[MAX_LIST];  /* -l KEYLOG */
    size_t nkeylogs;
    const char *psks[MAX_LIST];     /* --psk HEX */
    size_t npsks;
    const char *key_password_file;
    const char *rules[MAX_LIST];    /* -R FILE|DIR|none */
    size_t nrules;
    int rules_none;
    const char *token_key_file;
    char mask_char;
    int test_rules;                 /* --test-rules [FILE...] */
    const char *export_dir;
    int no_dsb;
    const char *pcap_out;           /* -w FILE */
    struct tr_pcapw_opts pcap;      /* --pcap-format, --pcap-link */
    struct tr_portmap portmap;      /* --port-map */
    int anonymize;                  /* --anonymize */
    int keep_other;                 /* --keep-other */
    int allow_uninspected;          /* --allow-uninspected */
    const char *json_file;          /* --json FILE */
    const char *report_file;        /* --report FILE */
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
          "Keys (any number, combined):\n"
          "  -k [IP:PORT=]KEYFILE  server RSA private key (PEM/DER, PKCS#1/#8, PKCS#12);\n"
          "                     without IP:PORT it is matched to the server certificate\n"
          "  --key-password-file FILE  password of encrypted keys (else $TLSREDACT_KEY_PASSWORD,\n"
          "                     else a prompt on the terminal)\n"
          "  -l KEYLOG          NSS key log file (SSLKEYLOGFILE); secrets in pcapng\n"
          "                     Decryption Secrets Blocks of the input are used too\n"
          "  --psk HEX          pre-shared key for plain PSK cipher suites\n"
          "  --no-dsb           ignore Decryption Secrets Blocks of the input\n"
          "Redaction:\n"
          "  -R FILE|DIR        rule file or directory of *.rules (repeatable; default: the\n"
          "                     installed packs, or rules/ of the source tree)\n"
          "  -R none            no redaction at all (said on standard error)\n"
          "  --token-key FILE   key for the token action (default: random per run)\n"
          "  --mask-char C      fill character of the mask action (default '*')\n"
          "  --test-rules [FILE...]  run the rules' embedded examples and exit\n"
          "  --allow-uninspected  pass bodies that cannot be decoded (unknown content coding,\n"
          "                     HTTP/2 encoded bodies) instead of withholding them\n"
          "Output:\n"
          "  -o FILE            write the transcript to FILE (default: standard output)\n"
          "  -q, --verdicts     print connection headers, verdicts and the summary only\n"
          "  --export-streams DIR  write each connection's redacted cleartext to\n"
          "                     DIR/N-CLIENT.PORT-SERVER.PORT.c2s and .s2c\n"
          "  --anonymize        replace IP addresses in every output by prefix-preserving\n"
          "                     pseudonyms (Crypto-PAn, keyed by --token-key)\n"
          "  --json FILE        write every event as JSON Lines (docs/json.md)\n"
          "  --report FILE      write the audit report (docs/report.md); summary on stderr\n"
          "  -w FILE            write a decrypted, redacted pcap (never keys or ciphertext)\n"
          "  --pcap-format tcp|pdu  tcp: synthesized cleartext TCP conversations (default);\n"
          "                     pdu: Wireshark exported PDUs (link type 252)\n"
          "  --pcap-link ether|raw  link type of the tcp format (default ether)\n"
          "  --keep-other       also copy non-TCP packets (UDP, ICMP...) into the tcp pcap,\n"
          "                     as captured: their payload is NOT inspected (default: dropped,\n"
          "                     counted)\n"
          "  --port-map SPEC    server ports of decrypted connections: FROM:TO,... added to\n"
          "                     443:80,8443:8080,993:143,995:110,465:25,636:389,853:53,990:21,\n"
          "                     5061:5060; FROM:FROM removes one; none = keep every port\n"
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
    enum { OPT_NO_PROGRESS = 256, OPT_KEYPW, OPT_PSK, OPT_TOKEN, OPT_MASK, OPT_TEST_RULES, OPT_EXPORT,
           OPT_NO_DSB, OPT_PCAP_FORMAT, OPT_PCAP_LINK, OPT_PORT_MAP, OPT_JSON, OPT_REPORT, OPT_ANON, OPT_KEEP_OTHER, OPT_ALLOW };
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"keylog", required_argument, NULL, 'l'},
        {"key-password-file", required_argument, NULL, OPT_KEYPW},
        {"psk", required_argument, NULL, OPT_PSK},
        {"no-dsb", no_argument, NULL, OPT_NO_DSB},
        {"json", required_argument, NULL, OPT_JSON},
        {"anonymize", no_argument, NULL, OPT_ANON},
        {"keep-other", no_argument, NULL, OPT_KEEP_OTHER},
        {"allow-uninspected", no_argument, NULL, OPT_ALLOW},
        {"report", required_argument, NULL, OPT_REPORT},
        {"write", required_argument, NULL, 'w'},
        {"pcap-format", required_argument, NULL, OPT_PCAP_FORMAT},
        {"pcap-link", required_argument, NULL, OPT_PCAP_LINK},
        {"port-map", required_argument, NULL, OPT_PORT_MAP},
        {"rules", required_argument, NULL, 'R'},
        {"token-key", required_argument, NULL, OPT_TOKEN},
        {"mask-char", required_argument, NULL, OPT_MASK},
        {"test-rules", no_argument, NULL, OPT_TEST_RULES},
        {"export-streams", required_argument, NULL, OPT_EXPORT},
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
    tr_portmap_default(&cli->portmap);
    cli->pcap.map = &cli->portmap;
    int c;
    opterr = 0; /* one line of our own instead of getopt's */
    /* '+': stop at the first non-option, which starts the filter expression */
    while ((c = getopt_long(argc, argv, "+r:i:o:qhVk:l:R:w:", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (cli->nkeys == MAX_LIST) die_usage("too many -k options");
            cli->keys[cli->nkeys++] = optarg;
            break;
        case 'l':
            if (cli->nkeylogs == MAX_LIST) die_usage("too many -l options");
            cli->keylogs[cli->nkeylogs++] = optarg;
            break;
        case OPT_PSK:
            if (cli->npsks == MAX_LIST) die_usage("too many --psk options");
            cli->psks[cli->npsks++] = optarg;
            break;
        case OPT_KEYPW: cli->key_password_file = optarg; break;
        case OPT_NO_DSB: cli->no_dsb = 1; break;
        case OPT_JSON: cli->json_file = optarg; break;
        case OPT_ANON: cli->anonymize = 1; break;
        case OPT_KEEP_OTHER: cli->keep_other = 1; break;
        case OPT_ALLOW: cli->allow_uninspected = 1; break;
        case OPT_REPORT: cli->report_file = optarg; break;
        case 'w': cli->pcap_out = optarg; break;
        case OPT_PCAP_FORMAT:
            if (tr_pcapw_parse_format(optarg, &cli->pcap.format) != 0)
                die_usage("--pcap-format takes tcp or pdu");
            break;
        case OPT_PCAP_LINK:
            if (tr_pcapw_parse_link(optarg, &cli->pcap.link) != 0)
                die_usage("--pcap-link takes ether or raw");
            break;
        case OPT_PORT_MAP: {
            char perr[256];
            if (tr_portmap_parse(&cli->portmap, optarg, perr, sizeof perr) != 0)
                die_usage(perr);
            break;
        }
        case 'R':
            if (strcmp(optarg, "none") == 0) {
                cli->rules_none = 1;
                break;
            }
            if (cli->nrules == MAX_LIST) die_usage("too many -R options");
            cli->rules[cli->nrules++] = optarg;
            break;
        case OPT_TOKEN: cli->token_key_file = optarg; break;
        case OPT_MASK:
            if (strlen(optarg) != 1 || optarg[0] < 0x21 || optarg[0] > 0x7e)
                die_usage("--mask-char takes one printable ASCII character");
            cli->mask_char = optarg[0];
            break;
        case OPT_TEST_RULES: cli->test_rules = 1; break;
        case OPT_EXPORT: cli->export_dir = optarg; break;
        case 'r': cli->read_file = optarg; break;
        case 'i': cli->iface = optarg; break;
        case 'o': cli->out_file = optarg; break;
        case 'q': cli->verdicts_only = 1; break;
        case OPT_NO_PROGRESS: cli->progress = 0; break;
        case 'h': usage(stdout); exit(EX_DONE);
        case 'V': printf("tlsredact %s\n", TR_VERSION); exit(EX_DONE);
        default: {
            char msg[160];
            const char *bad = argv[optind - 1] ? argv[optind - 1] : "?";
            if (optopt > 0 && optopt < 128 && strchr("rioklRw", optopt))
                snprintf(msg, sizeof msg, "option -%c needs an argument", optopt);
            else if (optopt >= 256)
                snprintf(msg, sizeof msg, "option '%.100s' needs an argument", bad);
            else if (optopt > 0 && optopt < 128)
                snprintf(msg, sizeof msg, "unknown option -%c", optopt);
            else
                snprintf(msg, sizeof msg, "unknown or incomplete option '%.100s'", bad);
            die_usage(msg);
        }
        }
    }
    if (cli->test_rules) {
        /* remaining arguments are rule files */
        for (; optind < argc; optind++) {
            if (cli->nrules == MAX_LIST)
                die_usage("too many rule files");
            cli->rules[cli->nrules++] = argv[optind];
        }
        return;
    }
    if (cli->rules_none && cli->nrules)
        die_usage("-R none cannot be combined with other -R options");
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
                    const struct tr_flow_stats *fs, const struct tr_sessions_totals *t,
                    const struct tr_ruleset *rules)
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
    tr_fields_add(fb, 0, "decryption", "%llu bytes of application data decrypted, %llu protected bytes withheld "
                  "(failed authentication or skipped)", (unsigned long long)t->decrypted_bytes,
                  (unsigned long long)t->withheld_bytes);
    if (rules) {
        tr_fields_add(fb, 0, "redaction", "%zu rules: %llu bytes masked or tokenized, %llu bytes withheld",
                      tr_rules_count(rules), (unsigned long long)t->redacted_bytes,
                      (unsigned long long)t->dropped_bytes);
        for (size_t i = 0; i < t->nrules; i++)
            if (t->rule_matches[i])
                tr_fields_add(fb, 1, tr_rules_id(rules, i), "%llu match%s, %llu bytes",
                              (unsigned long long)t->rule_matches[i], t->rule_matches[i] == 1 ? "" : "es",
                              (unsigned long long)t->rule_bytes[i]);
    } else {
        tr_fields_add(fb, 0, "redaction", "OFF (-R none)");
    }
    tr_fields_add(fb, 0, "reassembly", "%llu connections at most at once, %llu closed idle, "
                  "%llu evicted (table full), %llu buffer limit hits, %llu implausible segments",
                  (unsigned long long)fs->max_live, (unsigned long long)fs->closed_idle,
                  (unsigned long long)fs->evicted_full, (unsigned long long)fs->ooo_limit_hits,
                  (unsigned long long)fs->out_of_window);
    struct tr_ev ev = {.type = TR_EV_SUMMARY, .title = "summary", .text = line, .fields = fb};
    sink->ev(sink->ctx, &ev);
    free(fb);
}

/* The default rule packs: rules/ of the source tree when this binary runs
 * from a checkout, else the installed ones. */
static const char *default_rules_dir(char *buf, size_t n)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* the binary sits at the top of the tree, or in build-san/ */
            for (int up = 0; up < 2; up++) {
                char probe[4200];
                snprintf(probe, sizeof probe, "%s/src/main.c", exe);
                struct stat st;
                if (stat(probe, &st) == 0) {
                    snprintf(buf, n, "%s/rules", exe);
                    return buf;
                }
                slash = strrchr(exe, '/');
                if (!slash)
                    break;
                *slash = '\0';
            }
        }
    }
    /* installed: the configured directory, or relative to the binary
     * (PREFIX/bin/tlsredact -> PREFIX/share/tlsredact/rules) when the tree
     * was moved or installed with another PREFIX than it was built with */
    struct stat st;
    len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (stat(TR_RULES_DIR, &st) != 0 && len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, n, "%s/../share/tlsredact/rules", exe);
            if (stat(buf, &st) == 0)
                return buf;
        }
    }
    snprintf(buf, n, "%s", TR_RULES_DIR);
    return buf;
}

static struct tr_ruleset *load_rules(const struct cli *cli, int *rc)
{
    char dflt[4200], err[1024];
    const char *paths[MAX_LIST];
    size_t n = cli->nrules;
    for (size_t i = 0; i < n; i++)
        paths[i] = cli->rules[i];
    if (n == 0) {
        paths[0] = default_rules_dir(dflt, sizeof dflt);
        n = 1;
    }
    struct tr_ruleset *rs = NULL;
    if (tr_rules_load(&rs, paths, n, err, sizeof err) != 0) {
        fprintf(stderr, "tlsredact: %s\n", err);
        if (cli->nrules == 0)
            fprintf(stderr, "tlsredact: the default rule packs could not be loaded; give -R DIR, or -R none to "
                    "turn redaction off\n");
        *rc = EX_USAGE;
        return NULL;
    }
    return rs;
}

/* Splits "IP:PORT=FILE" ("[v6]:PORT=FILE" for IPv6); no binding: addr NULL. */
static int parse_key_spec(const char *spec, const char **file, struct tr_addr *addr, uint16_t *port, int *bound)
{
    const char *eq = strchr(spec, '=');
    *bound = 0;
    *file = spec;
    if (!eq)
        return 0;
    char host[128];
    size_t hl = (size_t)(eq - spec);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    char *colon = strrchr(host, ':');
    if (!colon)
        return -1;
    *colon = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -1;
    char *h = host;
    if (*h == '[') {
        h++;
        char *rb = strchr(h, ']');
        if (!rb)
            return -1;
        *rb = '\0';
    }
    memset(addr, 0, sizeof *addr);
    if (strcmp(h, "*") == 0 || *h == '\0') {
        addr->family = 0;
    } else if (inet_pton(AF_INET, h, addr->a) == 1) {
        addr->family = 4;
    } else if (inet_pton(AF_INET6, h, addr->a) == 1) {
        addr->family = 6;
    } else {
        return -1;
    }
    *port = (uint16_t)p;
    *bound = 1;
    *file = eq + 1;
    return 0;
}

static int get_password(const struct cli *cli, struct tr_password *pw, const char *keyfile)
{
    if (pw->set)
        return 0;
    if (cli->key_password_file) {
        if (tr_password_from_file(pw, cli->key_password_file) != 0) {
            fprintf(stderr, "tlsredact: %s: cannot read the key password file\n", cli->key_password_file);
            return -1;
        }
        return 0;
    }
    if (tr_password_from_env(pw) == 0 && pw->set)
        return 0;
    char prompt[512];
    snprintf(prompt, sizeof prompt, "Password for %s: ", keyfile);
    if (tr_password_prompt(pw, prompt) == 0 && pw->set)
        return 0;
    fprintf(stderr, "tlsredact: %s: the key is encrypted: give its password with --key-password-file FILE or "
            "TLSREDACT_KEY_PASSWORD\n", keyfile);
    return -1;
}

/* Loads every key source into ks.  Returns 0 or an exit code. */
static int load_keys(const struct cli *cli, struct tr_keystore *ks, int *have_keys)
{
    struct tr_password pw;
    memset(&pw, 0, sizeof pw);
    int rc = 0;
    for (size_t i = 0; i < cli->nkeys && !rc; i++) {
        const char *file;
        struct tr_addr addr;
        uint16_t port = 0;
        int bound;
        if (parse_key_spec(cli->keys[i], &file, &addr, &port, &bound) != 0) {
            fprintf(stderr, "tlsredact: -k %s: expected [IP:PORT=]KEYFILE (IPv6 as [addr]:port)\n",
                    cli->keys[i]);
            rc = EX_USAGE;
            break;
        }
        mbedtls_pk_context pk;
        struct tr_rsakey_info info;
        mbedtls_pk_init(&pk); /* tr_rsakey_load wants an initialised, empty context */
        int r = tr_rsakey_load(file, NULL, 0, &pk, &info);
        if (r != 0 && info.need_password) {
            if (get_password(cli, &pw, file) != 0) {
                rc = EX_RUNTIME;
                break;
            }
            r = tr_rsakey_load(file, pw.s, pw.len, &pk, &info);
        }
        if (r != 0) {
            fprintf(stderr, "tlsredact: %s: cannot use RSA key: %s\n", file,
                    info.reason ? info.reason : tr_strerror(r));
            rc = EX_RUNTIME;
            break;
        }
        if (info.perms_warning)
            fprintf(stderr, "tlsredact: warning: %s is readable by other users (mode %04o): chmod 600 it\n",
                    file, info.mode);
        if (tr_keystore_add_rsa(ks, &pk, bound ? &addr : NULL, port, file) < 0) {
            mbedtls_pk_free(&pk);
            fprintf(stderr, "tlsredact: %s: cannot store the key (out of memory)\n", file);
            rc = EX_RUNTIME;
            break;
        }
        *have_keys = 1;
    }
    tr_password_wipe(&pw);
    for (size_t i = 0; i < cli->nkeylogs && !rc; i++) {
        struct tr_keylog_stats st;
        memset(&st, 0, sizeof st);
        int r = tr_keylog_load_file(ks, cli->keylogs[i], &st);
        if (r == TR_E_IO) {
            fprintf(stderr, "tlsredact: %s: cannot read key log (%s)\n", cli->keylogs[i], strerror(errno));
            rc = EX_RUNTIME;
            break;
        }
        if (r != 0) {
            fprintf(stderr, "tlsredact: %s: key log not loaded (%s)\n", cli->keylogs[i], tr_strerror(r));
            rc = EX_RUNTIME;
            break;
        }
        if (st.total)
            *have_keys = 1;
        if (st.malformed || st.unknown) {
            char lines[160] = "";
            size_t l = 0;
            for (size_t k = 0; k < st.malformed && k < TR_KEYLOG_KEEP_LINES && l < sizeof lines - 24; k++)
                l += (size_t)snprintf(lines + l, sizeof lines - l, "%s%llu", k ? "," : "",
                                      (unsigned long long)st.malformed_lines[k]);
            fprintf(stderr, "tlsredact: %s: %llu entries loaded; %llu malformed line%s%s%s%s, %llu unknown "
                    "label%s (ignored)\n", cli->keylogs[i], (unsigned long long)st.total,
                    (unsigned long long)st.malformed, st.malformed == 1 ? "" : "s", l ? " (line " : "", lines,
                    l ? ")" : "", (unsigned long long)st.unknown, st.unknown == 1 ? "" : "s");
        } else if (st.total == 0) {
            fprintf(stderr, "tlsredact: warning: %s: no key log entries in this file\n", cli->keylogs[i]);
        }
    }
    for (size_t i = 0; i < cli->npsks && !rc; i++) {
        if (tr_keystore_add_psk_hex(ks, cli->psks[i]) < 0) {
            fprintf(stderr, "tlsredact: --psk: expected an even number of hex digits (at most 64 bytes)\n");
            rc = EX_USAGE;
            break;
        }
        *have_keys = 1;
    }
    if (!rc && cli->read_file && strcmp(cli->read_file, "-") != 0 && !cli->no_dsb) {
        struct tr_dsb_stats ds;
        struct tr_keylog_stats ks_st;
        memset(&ds, 0, sizeof ds);
        memset(&ks_st, 0, sizeof ks_st);
        if (tr_dsb_load_file(ks, cli->read_file, &ds, &ks_st) == 0 && ds.tls_dsbs) {
            fprintf(stderr, "tlsredact: %s: using %llu key log entr%s from %llu Decryption Secrets Block%s "
                    "(never copied to any output)\n", cli->read_file, (unsigned long long)ks_st.total,
                    ks_st.total == 1 ? "y" : "ies", (unsigned long long)ds.tls_dsbs, ds.tls_dsbs == 1 ? "" : "s");
            if (ks_st.total)
                *have_keys = 1;
        }
    }
    return rc;
}

static int run_test_rules(const struct cli *cli)
{
    int rc = 0;
    struct tr_ruleset *rs = load_rules(cli, &rc);
    if (!rs)
        return rc;
    int fails = tr_rules_selftest(rs, stdout);
    size_t n = tr_rules_count(rs);
    if (fails < 0) {
        fprintf(stderr, "tlsredact: rule self-test could not run (%s)\n", tr_strerror(fails));
        rc = EX_RUNTIME;
    } else {
        printf("%zu rules from %zu file%s: %s\n", n, tr_rules_file_count(rs),
               tr_rules_file_count(rs) == 1 ? "" : "s", fails ? "examples FAILED" : "all examples pass");
        rc = fails ? EX_DAMAGED : EX_DONE;
    }
    tr_rules_free(rs);
    return rc;
}

/* --keep-other: a non-TCP IP packet goes to the pcap as captured. */
static void keep_other(void *ctx, const uint8_t *ip, size_t len, struct timeval ts)
{
    tr_pcapw_write_ip(ctx, ip, len, ts);
}

/* Leak self-check of one output file: a hit (key material or a value the
 * rules redacted elsewhere) removes it.  Returns 0 when clean. */
static int leak_check_file(struct tr_leakcheck *lc, const char *file, int rules_on)
{
    uint64_t at = 0;
    int hit = lc ? tr_leakcheck_file(lc, file, &at) : -1;
    if (hit == 0)
        return 0;
    if (hit > 0 && !rules_on)
        fprintf(stderr, "tlsredact: leak self-check: %s contains key material (offset %llu): the "
                "decrypted traffic itself carries it and redaction is off (-R none); file removed\n",
                file, (unsigned long long)at);
    else if (hit > 0)
        fprintf(stderr, "tlsredact: leak self-check: %s contains key material or a value the rules redacted "
                "elsewhere (offset %llu): file removed; add a rule for it, or report it as a bug\n", file,
                (unsigned long long)at);
    else
        fprintf(stderr, "tlsredact: leak self-check: %s could not be checked: file removed\n", file);
    remove(file);
    return -1;
}

/* Every value a rule redacts is remembered for the leak self-check. */
static void leak_value(void *ctx, const uint8_t *p, size_t n)
{
    tr_leakcheck_add_value(ctx, p, n);
}

/* Sends each event to several sinks. */
struct tee {
    struct tr_sink s[8];
    size_t n;
};

static void tee_ev(void *ctx, const struct tr_ev *ev)
{
    struct tee *t = ctx;
    for (size_t i = 0; i < t->n; i++)
        t->s[i].ev(t->s[i].ctx, ev);
}

/* Everything a run owns, released in one place. */
struct run {
    struct tr_capture *cap;
    struct tr_keystore *ks;
    struct tr_ruleset *rules;
    uint8_t token_key[TR_REDACT_KEY_LEN];
    FILE *out;
    struct tr_text *text;
    struct tr_export *exp;
    struct tr_pcapw *pcapw;
    struct tr_json *json;
    struct tr_report *report;
    struct tr_anon *anon;
    struct tr_leakcheck *leak;
    struct tr_sessions *sessions;
    struct tr_flow *flow;
    struct tr_decoder *dec;
};

static void run_free(struct run *r)
{
    tr_decode_free(r->dec);
    tr_flow_free(r->flow);
    tr_sessions_free(r->sessions);
    tr_text_free(r->text);
    tr_export_free(r->exp);
    tr_pcapw_free(r->pcapw); /* removes the temporary file unless finished */
    tr_json_free(r->json);     /* removes an unfinished temporary file */
    tr_report_free(r->report); /* idem */
    tr_anon_free(r->anon);
    tr_leakcheck_free(r->leak);
    if (r->out && r->out != stdout)
        fclose(r->out);
    tr_rules_free(r->rules);
    tr_keystore_free(r->ks);
    tr_redact_wipe(r->token_key, sizeof r->token_key);
    if (r->cap)
        tr_capture_close(r->cap);
}

/* The options of this run, for the audit report: file names and bindings
 * only (no password, no PSK, no key bytes). */
static int report_options(struct tr_report *rep, const struct cli *cli)
{
    int e = 0;
    if (cli->read_file) e |= tr_report_option(rep, "-r", cli->read_file);
    if (cli->iface) e |= tr_report_option(rep, "-i", cli->iface);
    for (size_t i = 0; i < cli->nkeys; i++) e |= tr_report_option(rep, "-k", cli->keys[i]);
    for (size_t i = 0; i < cli->nkeylogs; i++) e |= tr_report_option(rep, "-l", cli->keylogs[i]);
    for (size_t i = 0; i < cli->npsks; i++) e |= tr_report_option(rep, "--psk", "(hidden)");
    if (cli->key_password_file) e |= tr_report_option(rep, "--key-password-file", cli->key_password_file);
    if (cli->no_dsb) e |= tr_report_option(rep, "--no-dsb", NULL);
    if (cli->rules_none) e |= tr_report_option(rep, "-R", "none");
    for (size_t i = 0; i < cli->nrules; i++) e |= tr_report_option(rep, "-R", cli->rules[i]);
    if (cli->token_key_file) e |= tr_report_option(rep, "--token-key", cli->token_key_file);
    if (cli->mask_char) {
        char m[2] = {cli->mask_char, 0};
        e |= tr_report_option(rep, "--mask-char", m);
    }
    if (cli->out_file) e |= tr_report_option(rep, "-o", cli->out_file);
    if (cli->verdicts_only) e |= tr_report_option(rep, "-q", NULL);
    if (cli->export_dir) e |= tr_report_option(rep, "--export-streams", cli->export_dir);
    if (cli->pcap_out) e |= tr_report_option(rep, "-w", cli->pcap_out);
    if (cli->pcap_out) e |= tr_report_option(rep, "--pcap-format", cli->pcap.format == TR_PCAPW_PDU ? "pdu" : "tcp");
    if (cli->anonymize) e |= tr_report_option(rep, "--anonymize", NULL);
    if (cli->keep_other) e |= tr_report_option(rep, "--keep-other", NULL);
    if (cli->allow_uninspected) e |= tr_report_option(rep, "--allow-uninspected", NULL);
    if (cli->json_file) e |= tr_report_option(rep, "--json", cli->json_file);
    if (cli->report_file) e |= tr_report_option(rep, "--report", cli->report_file);
    if (cli->filter) e |= tr_report_option(rep, "filter", cli->filter);
    return e ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct cli cli;
    parse_args(&cli, argc, argv);
    if (cli.test_rules)
        return run_test_rules(&cli);
    /* files of --export-streams older than this were not written by us
     * (one second of slack: mtime granularity) */
    const time_t run_start = time(NULL) - 1;
    int rc = EX_DONE;
    char err[1024] = "";
    struct run R;
    memset(&R, 0, sizeof R);

    /* keys first: no core dumps while they are in memory */
    int have_keys = 0;
    if (cli.nkeys || cli.nkeylogs || cli.npsks || cli.read_file) {
        tr_keystore_protect_process();
        R.ks = tr_keystore_new();
        if (!R.ks) {
            fprintf(stderr, "tlsredact: out of memory\n");
            return EX_RUNTIME;
        }
        rc = load_keys(&cli, R.ks, &have_keys);
        if (rc)
            goto done;
    }
    if (cli.rules_none) {
        fprintf(stderr, "tlsredact: redaction is OFF (-R none): cleartext is written as it is\n");
    } else {
        R.rules = load_rules(&cli, &rc);
        if (!R.rules)
            goto done;
    }
    struct tr_session_opts sopts;
    memset(&sopts, 0, sizeof sopts);
    sopts.ks = have_keys ? R.ks : NULL;
    sopts.rules = R.rules;
    sopts.ropts.mask_char = cli.mask_char;
    sopts.allow_uninspected = cli.allow_uninspected;
    if (cli.allow_uninspected)
        fprintf(stderr, "tlsredact: --allow-uninspected: bodies that cannot be decoded pass uninspected\n");
    if (R.rules || cli.anonymize) {
        int kr = cli.token_key_file ? tr_redact_load_key(cli.token_key_file, R.token_key, err, sizeof err)
                                    : tr_redact_random_key(R.token_key);
        if (kr != 0) {
            fprintf(stderr, "tlsredact: %s\n", cli.token_key_file ? err : "cannot draw a random token key");
            rc = EX_RUNTIME;
            goto done;
        }
        if (R.rules)
            sopts.ropts.token_key = R.token_key;
    }

    R.cap = cli.read_file ? tr_capture_open_file(cli.read_file, err, sizeof err)
                          : tr_capture_open_live(cli.iface, err, sizeof err);
    if (!R.cap) {
        fprintf(stderr, "tlsredact: %s\n", err);
        rc = EX_RUNTIME;
        goto done;
    }
    if (cli.filter && tr_capture_set_filter(R.cap, cli.filter, err, sizeof err) != 0) {
        fprintf(stderr, "tlsredact: %s\n", err);
        rc = EX_USAGE;
        goto done;
    }
    int linktype = tr_capture_linktype(R.cap);
    if (!tr_decode_linktype_ok(linktype))
        fprintf(stderr, "tlsredact: %s: link type %d (%s) is not supported; its packets are counted, "
                "not decoded\n", cli.read_file ? cli.read_file : cli.iface, linktype,
                tr_decode_linktype_name(linktype));

    R.out = stdout;
    if (cli.out_file && strcmp(cli.out_file, "-") != 0) {
        R.out = fopen(cli.out_file, "w");
        if (!R.out) {
            fprintf(stderr, "tlsredact: %s: cannot write transcript (%s)\n", cli.out_file, strerror(errno));
            rc = EX_RUNTIME;
            goto done;
        }
    }
    struct tr_text_opts topts = {.verdicts_only = cli.verdicts_only};
    R.text = tr_text_new(R.out, &topts);
    struct tee tee = {.n = 0};
    if (R.text)
        tee.s[tee.n++] = tr_text_sink(R.text);
    if (cli.export_dir) {
        R.exp = tr_export_new(cli.export_dir, err, sizeof err);
        if (!R.exp) {
            fprintf(stderr, "tlsredact: --export-streams %s\n", err);
            rc = EX_USAGE;
            goto done;
        }
        tee.s[tee.n++] = tr_export_sink(R.exp);
    }
    if (cli.pcap_out) {
        R.pcapw = tr_pcapw_new(cli.pcap_out, &cli.pcap, err, sizeof err);
        if (!R.pcapw) {
            fprintf(stderr, "tlsredact: -w %s\n", err);
            rc = EX_RUNTIME;
            goto done;
        }
        tee.s[tee.n++] = tr_pcapw_sink(R.pcapw);
    }
    if (cli.json_file) {
        R.json = tr_json_new(cli.json_file, NULL, err, sizeof err);
        if (!R.json) {
            fprintf(stderr, "tlsredact: --json %s\n", err);
            rc = EX_RUNTIME;
            goto done;
        }
        tee.s[tee.n++] = tr_json_sink(R.json);
    }
    if (cli.report_file) {
        R.report = tr_report_new(cli.report_file, err, sizeof err);
        if (!R.report || report_options(R.report, &cli) != 0 || tr_report_rules(R.report, R.rules) != 0) {
            fprintf(stderr, "tlsredact: --report %s\n", R.report ? "out of memory" : err);
            rc = EX_RUNTIME;
            goto done;
        }
        tr_report_input(R.report, cli.read_file, cli.iface);
        if (cli.rules_none)
            tr_report_note(R.report, "redaction OFF (-R none): cleartext written as it is");
        if (cli.out_file)
            tr_report_output(R.report, "transcript", cli.out_file);
        if (cli.json_file)
            tr_report_output(R.report, "json", cli.json_file);
        if (cli.pcap_out) {
            tr_report_output(R.report, "pcap", cli.pcap_out);
            for (size_t i = 0; i < cli.portmap.n; i++)
                tr_report_port_map(R.report, cli.portmap.from[i], cli.portmap.to[i]);
        }
        tee.s[tee.n++] = tr_report_sink(R.report);
    }
    struct tr_sink sink = {.ev = tee_ev, .ctx = &tee};
    if (cli.out_file || cli.json_file || cli.pcap_out) {
        R.leak = tr_leakcheck_new(NULL);
        if (!R.leak) {
            fprintf(stderr, "tlsredact: out of memory\n");
            rc = EX_RUNTIME;
            goto done;
        }
        sopts.ropts.on_secret = leak_value;
        sopts.ropts.secret_ctx = R.leak;
    }
    if (cli.anonymize) {
        /* a key of its own, derived from the token key */
        uint8_t akey[32];
        mbedtls_sha256_context sh;
        mbedtls_sha256_init(&sh);
        mbedtls_sha256_starts_ret(&sh, 0);
        mbedtls_sha256_update_ret(&sh, (const unsigned char *)"tlsredact anonymize", 19);
        mbedtls_sha256_update_ret(&sh, R.token_key, sizeof R.token_key);
        mbedtls_sha256_finish_ret(&sh, akey);
        mbedtls_sha256_free(&sh);
        R.anon = tr_anon_new(akey);
        tr_redact_wipe(akey, sizeof akey);
        if (!R.anon) {
            fprintf(stderr, "tlsredact: out of memory\n");
            rc = EX_RUNTIME;
            goto done;
        }
        sink = tr_anon_sink(R.anon, sink);
    }
    R.sessions = R.text ? tr_sessions_new(&sink, &sopts) : NULL;
    R.flow = R.sessions ? tr_flow_new(tr_session_flow_ops(), R.sessions) : NULL;
    R.dec = R.flow ? tr_decode_new(on_tcp, R.flow) : NULL;
    if (!R.dec) {
        fprintf(stderr, "tlsredact: out of memory\n");
        rc = EX_RUNTIME;
        goto done;
    }

    if (cli.keep_other) {
        if (!R.pcapw || cli.pcap.format != TR_PCAPW_TCP || cli.anonymize) {
            fprintf(stderr, "tlsredact: --keep-other needs -w with --pcap-format tcp, without --anonymize\n");
            rc = EX_USAGE;
            goto done;
        }
        fprintf(stderr, "tlsredact: --keep-other: non-TCP packets are copied as captured, uninspected\n");
        tr_decode_set_other(R.dec, keep_other, R.pcapw);
    }
    if (cli.iface) {
        live_capture = R.cap;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    int progress = cli.progress;
    if (progress < 0)
        progress = cli.read_file && strcmp(cli.read_file, "-") != 0 && isatty(STDERR_FILENO);
    double next_progress = now_secs() + 0.5;

    struct tr_packet pkt;
    int r;
    while ((r = tr_capture_next(R.cap, &pkt, err, sizeof err)) == 1) {
        tr_decode_packet(R.dec, linktype, pkt.data, pkt.caplen, pkt.len, pkt.ts, pkt.frame);
        if (progress && (pkt.frame & 1023) == 0 && now_secs() >= next_progress) {
            uint64_t pdone, total;
            tr_capture_progress(R.cap, &pdone, &total);
            if (total)
                fprintf(stderr, "\r%5.1f%%  %llu packets", 100.0 * (double)pdone / (double)total,
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
    tr_decode_flush(R.dec); /* fragments of datagrams that never completed */
    tr_flow_finish(R.flow);
    summary(&sink, tr_decode_stats(R.dec), tr_flow_stats(R.flow), tr_sessions_totals(R.sessions), R.rules);
    live_capture = NULL;

    if (fflush(R.out) != 0 || ferror(R.out)) {
        fprintf(stderr, "tlsredact: %s: write error (%s)\n", cli.out_file ? cli.out_file : "standard output",
                strerror(errno));
        rc = EX_RUNTIME;
    }
    if (R.out != stdout) {
        FILE *o = R.out;
        R.out = NULL;
        if (fclose(o) != 0) {
            fprintf(stderr, "tlsredact: %s: write error (%s)\n", cli.out_file, strerror(errno));
            rc = EX_RUNTIME;
        }
    }
    if (R.exp) {
        tr_export_free(R.exp); /* closes the last files */
        R.exp = NULL;
    }
    if (R.pcapw) {
        if (tr_pcapw_finish(R.pcapw, err, sizeof err) != 0) {
            fprintf(stderr, "tlsredact: %s\n", err);
            rc = EX_RUNTIME;
        }
        tr_pcapw_free(R.pcapw);
        R.pcapw = NULL;
    }
    if (R.json && tr_json_finish(R.json, err, sizeof err) != 0) {
        fprintf(stderr, "tlsredact: %s\n", err);
        rc = EX_RUNTIME;
    }
    /* the leak self-check: no output may contain the key material loaded,
     * nor any value the rules redacted somewhere in the run */
    if (R.leak && rc != EX_RUNTIME) {
        const char *files[3] = {cli.out_file && strcmp(cli.out_file, "-") ? cli.out_file : NULL,
                                cli.json_file && strcmp(cli.json_file, "-") ? cli.json_file : NULL,
                                cli.pcap_out};
        struct tr_leakcheck *lc = R.leak;
        if (have_keys)
            tr_leakcheck_add_keys(lc, R.ks);
        if (tr_leakcheck_values_dropped(lc))
            fprintf(stderr, "tlsredact: note: the leak self-check looked for the first %u redacted values only "
                    "(%llu more were not kept)\n", TR_LEAKCHECK_MAX_VALUES,
                    (unsigned long long)tr_leakcheck_values_dropped(lc));
        for (size_t i = 0; i < 3; i++)
            if (files[i] && leak_check_file(lc, files[i], R.rules != NULL) != 0)
                rc = EX_RUNTIME;
        /* the exported streams of this run: the directory is listed rather
         * than remembered, so memory does not grow with the connections */
        DIR *dp = cli.export_dir ? opendir(cli.export_dir) : NULL;
        struct dirent *de;
        while (dp && (de = readdir(dp)) != NULL) {
            size_t nl = strlen(de->d_name);
            if (nl < 5 || de->d_name[0] < '0' || de->d_name[0] > '9' ||
                (strcmp(de->d_name + nl - 4, ".c2s") && strcmp(de->d_name + nl - 4, ".s2c")))
                continue;
            char path[4096];
            struct stat sb;
            if (snprintf(path, sizeof path, "%s/%s", cli.export_dir, de->d_name) >= (int)sizeof path ||
                stat(path, &sb) != 0 || sb.st_mtime < run_start)
                continue; /* not written by this run */
            if (leak_check_file(lc, path, R.rules != NULL) != 0)
                rc = EX_RUNTIME;
        }
        if (dp)
            closedir(dp);
    }
    if (R.report) {
        if (rc == EX_DAMAGED)
            tr_report_note(R.report, "input damaged: what could be read was processed");
        /* last: every other output is closed, so the hashes are final */
        if (tr_report_finish(R.report, rc, err, sizeof err) != 0) {
            fprintf(stderr, "tlsredact: %s\n", err);
            rc = EX_RUNTIME;
        } else {
            tr_report_print_summary(R.report, stderr);
        }
    }
done:
    run_free(&R);
    free(cli.filter);
    return rc;
}
