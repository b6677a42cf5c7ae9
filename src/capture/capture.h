/* capture.h - packet source over libpcap: pcap/pcapng files, stdin ("-"),
 * gzip-compressed captures (detected by magic, read through zlib), and live
 * interfaces; with an optional BPF filter, as tcpdump applies it.
 *
 * Only this module (and the pcap writer) includes <pcap.h>.
 */
#ifndef TR_CAPTURE_CAPTURE_H
#define TR_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct tr_capture;

struct tr_packet {
    const uint8_t *data;  /* caplen bytes, valid until the next tr_capture_next */
    size_t caplen;
    size_t len;           /* original length on the wire */
    struct timeval ts;
    uint64_t frame;       /* 1-based */
};

/* Opens a capture file ("-" = stdin; gzip detected by content). On failure
 * returns NULL and writes a one-line reason (no "tlsredact:" prefix) to err. */
struct tr_capture *tr_capture_open_file(const char *path, char *err, size_t errlen);
/* Opens a live interface (promiscuous, snaplen 262144). */
struct tr_capture *tr_capture_open_live(const char *iface, char *err, size_t errlen);
/* Applies a BPF filter expression; 0 or -1 with a reason in err. */
int tr_capture_set_filter(struct tr_capture *c, const char *expr, char *err, size_t errlen);
int tr_capture_linktype(const struct tr_capture *c);
/* Next packet: 1 = got one, 0 = end of input, -1 = read error (reason in err).
 * A file truncated in the middle of a packet is a read error reported as
 * "truncated capture file" after the packets before it were delivered. */
int tr_capture_next(struct tr_capture *c, struct tr_packet *pkt, char *err, size_t errlen);
/* Bytes of the input file consumed so far and its total size (0 if unknown),
 * for the progress indicator. */
void tr_capture_progress(const struct tr_capture *c, uint64_t *done, uint64_t *total);
/* Stops a live capture from a signal handler (pcap_breakloop). */
void tr_capture_break(struct tr_capture *c);
void tr_capture_close(struct tr_capture *c);

#endif
