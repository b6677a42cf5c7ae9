/* keylog.h - NSS key log parser (SSLKEYLOGFILE; draft-ietf-tls-keylogfile).
 *
 * Reads key log text from a file or a memory buffer (a pcapng Decryption
 * Secrets Block) into a key store.  Labels: CLIENT_RANDOM, RSA,
 * "RSA Session-ID:<hex> Master-Key:<hex>", PMS_CLIENT_RANDOM and the TLS 1.3
 * CLIENT_EARLY_TRAFFIC_SECRET, CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET,
 * CLIENT/SERVER_TRAFFIC_SECRET_0, EARLY_EXPORTER_SECRET, EXPORTER_SECRET.
 *
 * Tolerant of what real files contain: CRLF or LF (or a lone CR), no final
 * newline, upper/lower-case hex, '#' comments, blank lines, leading/trailing
 * whitespace, runs of spaces/tabs between fields, duplicates (counted), an
 * RSA line carrying the whole encrypted pre-master (first 8 bytes used), and
 * "RSA Session-ID:" lines with an empty session ID (counted, ignored).
 * Unknown labels and malformed lines are counted with the numbers of their
 * first few lines.  Nothing is ever echoed: stats hold counts and line
 * numbers only, never text from the file.
 *
 * Ownership: the parser copies secrets into the store and wipes its own line
 * buffers; the caller keeps the input.
 */
#ifndef TR_TLS_KEYLOG_H
#define TR_TLS_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "tls/keystore.h"

/* Longest line accepted; real lines are < 250 bytes.  Longer is malformed. */
#define TR_KEYLOG_MAX_LINE 1024
/* Line numbers kept per problem class for the report. */
#define TR_KEYLOG_KEEP_LINES 8

enum tr_keylog_bad {
    TR_KL_BAD_SYNTAX = 1,   /* missing field, extra field, not hex, odd digits */
    TR_KL_BAD_LENGTH,       /* hex decodes to the wrong number of bytes */
    TR_KL_BAD_TOO_LONG,     /* line longer than TR_KEYLOG_MAX_LINE */
    TR_KL_BAD_CONTROL,      /* NUL or other control byte in the line */
};

/* Counters accumulate over several loads (zero-initialise once, e.g. with
 * `struct tr_keylog_stats st = {0};`). */
struct tr_keylog_stats {
    uint64_t lines;                   /* lines seen, including blank/comments */
    uint64_t entries[TR_SL_COUNT];    /* new entries added, by label */
    uint64_t total;                   /* sum of entries[] */
    uint64_t duplicates;              /* same key + secret seen before */
    uint64_t conflicts;               /* same key, other secret (first kept) */
    uint64_t empty_session_id;        /* "RSA Session-ID:" with no ID: ignored */
    uint64_t comments, blank;
    uint64_t unknown;                 /* unknown label */
    uint64_t unknown_lines[TR_KEYLOG_KEEP_LINES];
    uint64_t malformed;
    uint64_t malformed_lines[TR_KEYLOG_KEEP_LINES];
    uint8_t malformed_why[TR_KEYLOG_KEEP_LINES]; /* enum tr_keylog_bad */
};

/* Loads a key log file.  Returns 0 (bad lines are counted, not errors),
 * TR_E_IO (cannot open/read: errno is kept), TR_E_LIMIT / TR_E_NOMEM (store
 * full: stop).  Line numbers are 1-based within this file. */
int tr_keylog_load_file(struct tr_keystore *ks, const char *path,
                        struct tr_keylog_stats *st);

/* Same over a memory buffer (e.g. DSB contents). */
int tr_keylog_load_mem(struct tr_keystore *ks, const uint8_t *data, size_t len,
                       struct tr_keylog_stats *st);

/* Streaming form, for input that arrives in pieces (a DSB read in chunks):
 * init, feed any number of chunks (lines may span chunks), finish.  The
 * stream holds one line buffer (wiped as each line is consumed); constant
 * memory whatever the input size.  feed/finish return 0 or a fatal/limit
 * code from the store (stop feeding then, but still call finish). */
struct tr_keylog_stream {
    struct tr_keystore *ks;
    struct tr_keylog_stats *st;
    uint8_t line[TR_KEYLOG_MAX_LINE];
    size_t len;
    int too_long;
    int prev_cr;
    int started;  /* a byte of the current line was seen */
    int bom_done;
    uint64_t lineno;
};

void tr_keylog_stream_init(struct tr_keylog_stream *s, struct tr_keystore *ks,
                           struct tr_keylog_stats *st);
int tr_keylog_stream_feed(struct tr_keylog_stream *s, const uint8_t *p, size_t n);
int tr_keylog_stream_finish(struct tr_keylog_stream *s);

/* Parses one line (no line terminator) into the store; exposed for tests and
 * the fuzzer.  lineno is recorded for unknown/malformed lines.  Returns 0 or a
 * fatal/limit code from the store. */
int tr_keylog_line(struct tr_keystore *ks, const uint8_t *line, size_t len,
                   uint64_t lineno, struct tr_keylog_stats *st);

const char *tr_keylog_bad_str(enum tr_keylog_bad why);

#endif
