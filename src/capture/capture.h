/* capture.h - packet source over libpcap: pcap/pcapng files, stdin ("-"),
 * gzip-compressed captures (detected by magic, read through zlib), and live
 * interfaces; with an optional BPF filter, as tcpdump applies it.
 *
 * Only this module (and the pcap writer) includes <pcap.h>.
 *
 * Input detection: a seekable file is peeked for the gzip magic (1f 8b); gzip
 * is read through zlib behind a fopencookie FILE handed to libpcap.  A pipe
 * (stdin) always goes through zlib, which passes plain data through unchanged.
 * Formats: whatever pcap_fopen_offline reads (pcap, nanosecond pcap, pcapng
 * with a single link type).  Timestamps are microseconds.
 *
 * Messages (err): one line, no program prefix, naming the input ("stdin" for
 * "-"): "X: not a pcap or pcapng file (bad magic)", "X: empty or truncated
 * capture file (no complete file header)", "X: truncated capture file (packet
 * N cut short)", "X: corrupt gzip data", "IFACE: permission denied (...)"...
 * A file holding only its header yields zero packets, not an error.
 *
 * Ownership: the capture owns the file/stream it opened and closes it in
 * tr_capture_close.  Packet bytes are borrowed until the next tr_capture_next.
 * No global state; one struct per input.
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
    uint64_t frame;       /* 1-based position in the input (counts filtered-out
                           * packets too, so it matches Wireshark's numbering) */
};

/* Opens a capture file ("-" = stdin; gzip detected by content). On failure
 * returns NULL and writes a one-line reason (no "tlsredact:" prefix) to err. */
struct tr_capture *tr_capture_open_file(const char *path, char *err, size_t errlen);
/* Opens a live interface (promiscuous, snaplen 262144, immediate mode, 200 ms
 * read timeout so tr_capture_break is noticed on an idle link). */
struct tr_capture *tr_capture_open_live(const char *iface, char *err, size_t errlen);
/* Applies a BPF filter expression (tcpdump syntax, netmask unknown); 0 or -1
 * with a reason in err.  Live: in the kernel.  Files: tested per packet here,
 * so tr_packet.frame stays the packet's number in the file (frames not
 * matching the filter are skipped, not renumbered). */
int tr_capture_set_filter(struct tr_capture *c, const char *expr, char *err, size_t errlen);
/* DLT value of the input (pcap_datalink): feed it to tr_decode_packet. */
int tr_capture_linktype(const struct tr_capture *c);
/* Snapshot length of the input (file header / live setting). */
int tr_capture_snaplen(const struct tr_capture *c);
/* Next packet: 1 = got one, 0 = end of input, -1 = read error (reason in err).
 * A file truncated in the middle of a packet is a read error reported as
 * "truncated capture file" after the packets before it were delivered. */
int tr_capture_next(struct tr_capture *c, struct tr_packet *pkt, char *err, size_t errlen);
/* Bytes of the input file consumed so far and its total size (0 if unknown),
 * for the progress indicator. */
void tr_capture_progress(const struct tr_capture *c, uint64_t *done, uint64_t *total);
/* Stops a live capture from a signal handler (pcap_breakloop). */
void tr_capture_break(struct tr_capture *c);
/* Live captures: packets the kernel received and dropped (buffer full or
 * interface drops), for the report.  0, or -1 for files / when unavailable. */
int tr_capture_stats(const struct tr_capture *c, uint64_t *received, uint64_t *dropped);
/* Closes the input and frees c (NULL is fine). */
void tr_capture_close(struct tr_capture *c);

#endif
