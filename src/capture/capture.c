/* capture.c - libpcap packet source (see capture.h). */
#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define LIVE_SNAPLEN 262144
#define LIVE_TIMEOUT_MS 200 /* lets a breakloop be noticed on idle links */
#define GZ_BUFFER (128u * 1024u)

struct tr_capture {
    pcap_t *p;
    FILE *fp;        /* plain file handed to libpcap (owned by it once open) */
    gzFile gz;       /* compressed input (owned by the cookie FILE) */
    int gz_error;    /* zlib reported corrupt data */
    int live;
    int have_filter;          /* files: filter applied here, see set_filter */
    struct bpf_program filter;
    uint64_t total;  /* input size, 0 if unknown */
    uint64_t frame;
    char name[256];  /* for messages: path, "stdin" or interface */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* one line: cut at the first newline libpcap might have left */
    char *nl = strchr(err, '\n');
    if (nl)
        *nl = '\0';
}

/* ---- gzip through a cookie FILE ---- */

static ssize_t gz_read(void *cookie, char *buf, size_t size)
{
    struct tr_capture *c = cookie;
    if (size > (unsigned)0x7fffffff)
        size = 0x7fffffff;
    int n = gzread(c->gz, buf, (unsigned)size);
    if (n >= 0)
        return n;
    int zerr = 0;
    gzerror(c->gz, &zerr);
    if (zerr == Z_BUF_ERROR)
        return 0; /* compressed stream cut short: libpcap reports truncation */
    c->gz_error = 1;
    errno = EIO;
    return -1;
}

static int gz_close(void *cookie)
{
    struct tr_capture *c = cookie;
    int rc = c->gz ? gzclose(c->gz) : Z_OK;
    c->gz = NULL;
    return rc == Z_OK ? 0 : -1;
}

static FILE *gz_file(struct tr_capture *c, int fd)
{
    c->gz = gzdopen(fd, "rb");
    if (!c->gz)
        return NULL;
    gzbuffer(c->gz, GZ_BUFFER);
    cookie_io_functions_t io = {gz_read, NULL, NULL, gz_close};
    FILE *f = fopencookie(c, "rb", io);
    if (!f) {
        gzclose(c->gz);
        c->gz = NULL;
    }
    return f;
}

/* Maps libpcap's open-time complaints to our one-line messages. */
static void open_error(const struct tr_capture *c, const char *perr, char *err, size_t errlen)
{
    if (strstr(perr, "unknown file format") || strstr(perr, "bad dump file format"))
        seterr(err, errlen, "%s: not a pcap or pcapng file (bad magic)", c->name);
    else if (strstr(perr, "truncated"))
        seterr(err, errlen, "%s: empty or truncated capture file (no complete file header)",
               c->name);
    else
        seterr(err, errlen, "%s: cannot read capture: %s", c->name, perr);
}

struct tr_capture *tr_capture_open_file(const char *path, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    struct tr_capture *c = calloc(1, sizeof *c);
    if (!c) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    int is_stdin = strcmp(path, "-") == 0;
    snprintf(c->name, sizeof c->name, "%s", is_stdin ? "stdin" : path);
    int fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        seterr(err, errlen, "%s: cannot open: %s", c->name, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        seterr(err, errlen, "%s: cannot open: %s", c->name, strerror(errno));
        close(fd);
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        seterr(err, errlen, "%s: is a directory, not a capture file", c->name);
        close(fd);
        goto fail;
    }
    FILE *f;
    unsigned char magic[2] = {0, 0};
    off_t pos = S_ISREG(st.st_mode) ? lseek(fd, 0, SEEK_CUR) : (off_t)-1;
    if (pos >= 0) {
        /* seekable: peek at the magic without consuming it */
        c->total = (uint64_t)st.st_size;
        ssize_t n = pread(fd, magic, 2, pos);
        if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            f = gz_file(c, fd);
        else
            f = fdopen(fd, "rb");
    } else {
        /* pipe: zlib reads plain data transparently as well as gzip */
        f = gz_file(c, fd);
    }
    if (!f) {
        seterr(err, errlen, "%s: cannot open: %s", c->name, strerror(errno ? errno : ENOMEM));
        close(fd);
        goto fail;
    }
    c->fp = f;
    c->p = pcap_fopen_offline(f, perr);
    if (!c->p) {
        if (c->gz_error)
            seterr(err, errlen, "%s: corrupt gzip data", c->name);
        else
            open_error(c, perr, err, errlen);
        fclose(f); /* also closes fd / the gzFile */
        goto fail;
    }
    return c;
fail:
    free(c);
    return NULL;
}

struct tr_capture *tr_capture_open_live(const char *iface, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    struct tr_capture *c = calloc(1, sizeof *c);
    if (!c) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "%s", iface);
    c->live = 1;
    c->p = pcap_create(iface, perr);
    if (!c->p) {
        seterr(err, errlen, "%s: cannot capture: %s", iface, perr);
        free(c);
        return NULL;
    }
    pcap_set_snaplen(c->p, LIVE_SNAPLEN);
    pcap_set_promisc(c->p, 1);
    pcap_set_immediate_mode(c->p, 1);
    pcap_set_timeout(c->p, LIVE_TIMEOUT_MS);
    int rc = pcap_activate(c->p);
    if (rc < 0) {
        switch (rc) {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            seterr(err, errlen, "%s: no such interface (list them with 'ip link')", iface);
            break;
        case PCAP_ERROR_PERM_DENIED:
        case PCAP_ERROR_PROMISC_PERM_DENIED:
            seterr(err, errlen, "%s: permission denied (run as root or grant CAP_NET_RAW)",
                   iface);
            break;
        case PCAP_ERROR_IFACE_NOT_UP:
            seterr(err, errlen, "%s: interface is down", iface);
            break;
        default:
            seterr(err, errlen, "%s: cannot capture: %s", iface,
                   rc == PCAP_ERROR ? pcap_geterr(c->p) : pcap_statustostr(rc));
        }
        pcap_close(c->p);
        free(c);
        return NULL;
    }
    return c;
}

int tr_capture_set_filter(struct tr_capture *c, const char *expr, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        seterr(err, errlen, "bad capture filter '%s': %s", expr, pcap_geterr(c->p));
        return -1;
    }
    if (!c->live) {
        /* Files: filter each packet ourselves so frame numbers stay those of
         * the file (as Wireshark shows them), not those of matching packets. */
        if (c->have_filter)
            pcap_freecode(&c->filter);
        c->filter = prog;
        c->have_filter = 1;
        return 0;
    }
    int rc = pcap_setfilter(c->p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        seterr(err, errlen, "%s: cannot apply capture filter '%s': %s", c->name, expr,
               pcap_geterr(c->p));
        return -1;
    }
    return 0;
}

int tr_capture_linktype(const struct tr_capture *c)
{
    return pcap_datalink(c->p);
}

int tr_capture_snaplen(const struct tr_capture *c)
{
    return pcap_snapshot(c->p);
}

int tr_capture_next(struct tr_capture *c, struct tr_packet *pkt, char *err, size_t errlen)
{
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(c->p, &h, &data);
        if (rc == 1) {
            ++c->frame;
            if (c->have_filter && !pcap_offline_filter(&c->filter, h, data))
                continue;
            pkt->data = data;
            pkt->caplen = h->caplen;
            pkt->len = h->len < h->caplen ? h->caplen : h->len;
            pkt->ts = h->ts;
            pkt->frame = c->frame;
            return 1;
        }
        if (rc == 0)
            continue; /* live: timeout with no packet */
        if (rc == PCAP_ERROR_BREAK)
            return 0;
        const char *perr = pcap_geterr(c->p);
        if (c->gz_error)
            seterr(err, errlen, "%s: corrupt gzip data (after packet %llu)", c->name,
                   (unsigned long long)c->frame);
        else if (strstr(perr, "truncated"))
            seterr(err, errlen, "%s: truncated capture file (packet %llu cut short)", c->name,
                   (unsigned long long)c->frame + 1);
        else
            seterr(err, errlen, "%s: read error at packet %llu: %s", c->name,
                   (unsigned long long)c->frame + 1, perr);
        return -1;
    }
}

void tr_capture_progress(const struct tr_capture *c, uint64_t *done, uint64_t *total)
{
    *done = 0;
    *total = c->total;
    if (c->live)
        return;
    if (c->gz) {
        z_off_t o = gzoffset(c->gz);
        *done = o > 0 ? (uint64_t)o : 0;
    } else if (c->fp) {
        long o = ftell(c->fp);
        *done = o > 0 ? (uint64_t)o : 0;
    }
    if (*total && *done > *total)
        *done = *total;
}

int tr_capture_stats(const struct tr_capture *c, uint64_t *received, uint64_t *dropped)
{
    struct pcap_stat ps;
    *received = *dropped = 0;
    if (!c->live || pcap_stats(c->p, &ps) != 0)
        return -1;
    *received = ps.ps_recv;
    *dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
    return 0;
}

void tr_capture_break(struct tr_capture *c)
{
    if (c && c->p)
        pcap_breakloop(c->p);
}

void tr_capture_close(struct tr_capture *c)
{
    if (!c)
        return;
    if (c->have_filter)
        pcap_freecode(&c->filter);
    if (c->p)
        pcap_close(c->p); /* closes the FILE (and through it the gzFile) */
    free(c);
}
