/* event.h - what the dissection layers tell the outputs.
 *
 * The session layer describes each connection as a stream of events; every
 * output (text transcript, JSON Lines, ...) is a sink that formats them.
 * Details are an ordered list of (depth, key, value) fields so that text and
 * structured outputs render the same facts.  Field text is built from wire
 * values by the dissectors (names, numbers, lengths, hashes) - never from
 * payload bytes; cleartext travels only in TR_EV_DATA, after redaction.
 *
 * Ownership: an event and everything it points to is borrowed for the call.
 */
#ifndef TR_OUT_EVENT_H
#define TR_OUT_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "decode/decode.h"

enum { TR_VIEW_BOTH = 0, TR_VIEW_WIRE = 1, TR_VIEW_TEXT = 2 };

enum tr_ev_type {
    TR_EV_CONN_OPEN,   /* addresses, ports, first timestamp */
    TR_EV_RECORD,      /* one TLS record (title = content type) + fields */
    TR_EV_DATA,        /* cleartext bytes (plain TCP or decrypted) */
    TR_EV_GAP,         /* bytes missing from the capture */
    TR_EV_NOTE,        /* a remark about the connection (resync, STARTTLS...) */
    TR_EV_VERDICT,     /* the diagnosis of the connection + fields */
    TR_EV_CONN_CLOSE,
    TR_EV_SUMMARY,     /* end of run: fields with totals */
};

struct tr_field {
    uint8_t depth;     /* 0 = directly under the event */
    const char *key;   /* may be NULL for a bare value line */
    const char *val;
};

#define TR_MAX_FIELDS 512
#define TR_FIELD_ARENA (32u * 1024u)

/* A bounded list of fields; values are formatted into an arena.  When full,
 * further adds are dropped and `truncated` is set (the sink says so). */
struct tr_fields {
    struct tr_field f[TR_MAX_FIELDS];
    size_t n;
    char arena[TR_FIELD_ARENA];
    size_t used;
    int truncated;
};

void tr_fields_reset(struct tr_fields *fb);
/* Adds a field; key is copied too.  fmt may be NULL for a key-only line. */
void tr_fields_add(struct tr_fields *fb, int depth, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds a field whose value is the hex of n bytes (at most max bytes shown,
 * then "..."). */
void tr_fields_hex(struct tr_fields *fb, int depth, const char *key,
                   const uint8_t *p, size_t n, size_t max);

/* Direction as shown: client to server or server to client. */
enum { TR_C2S = 0, TR_S2C = 1 };

/* Numbers behind a VERDICT, for structured outputs (index 0 client, 1 server). */
struct tr_conn_summary {
    uint64_t segments[2], tcp_bytes[2], retransmitted[2], missing[2];
    uint64_t gaps, gap_bytes;
    uint64_t records[2];
    uint64_t not_dissected[2];  /* TLS bytes skipped while resynchronising */
    uint64_t plain[2];          /* cleartext TCP / STARTTLS preamble bytes */
    uint64_t decrypted[2];      /* application data decrypted */
    uint64_t encrypted[2];      /* application data that stayed encrypted */
    uint64_t failed[2];         /* protected bytes withheld: bad MAC, skipped 0-RTT */
    uint64_t masked, withheld;  /* redaction: bytes masked/tokenized, withheld */
    uint64_t uninspected;       /* withheld by the HTTP/WebSocket decoders: bodies,
                                   header blocks or frames that could not be
                                   decoded (unknown coding, bomb, HPACK error...) */
    size_t nrules;              /* per-rule counts of this connection */
    const uint64_t *rule_matches, *rule_bytes;
    const char *const *rule_ids;
    uint16_t version, suite;    /* negotiated (0 if none) */
    const char *version_name, *suite_name, *sni;
    const char *decrypt_reason; /* why (some) records stayed encrypted, "" */
    const char *close_reason;   /* fin, idle, evicted, end, reused */
};

struct tr_ev {
    enum tr_ev_type type;
    uint64_t conn;              /* connection number */
    uint64_t rec;               /* record number within the connection (RECORD) */
    int dir;                    /* TR_C2S / TR_S2C */
    struct timeval ts;          /* packet time */
    double rel, delta;          /* seconds since connection start / previous event */
    const char *title;          /* record type, verdict class, note text */
    const char *text;           /* one-line summary (verdict, note) */
    const struct tr_fields *fields;
    const uint8_t *data;        /* DATA: cleartext */
    size_t len;                 /* DATA: bytes; GAP: bytes missing; RECORD: length */
    uint64_t offset;            /* DATA/GAP: stream offset in direction dir */
    int encrypted;              /* RECORD: body could not be read */
    int withheld;               /* DATA: len bytes withheld, data NULL:
                                   1 by a drop rule, 2 fail-closed (limit),
                                   3 could not be decoded (HTTP/2 view; the
                                   count is in the summary's uninspected) */
    int decrypted;              /* DATA: from decrypted TLS (0: cleartext TCP
                                   or a STARTTLS preamble) */
    /* DATA: which outputs it is for.  Most cleartext is both the bytes on
     * the wire and what a reader wants to see (TR_VIEW_BOTH).  HTTP/2 is
     * binary: its rewritten frames are TR_VIEW_WIRE (pcap, stream export),
     * and a decoded view - header fields as "name: value" lines, bodies
     * decoded - is TR_VIEW_TEXT (transcript, JSON, report), with stream set
     * and title "headers", "push_promise" or "body". */
    int view;
    uint32_t stream;            /* DATA, TR_VIEW_TEXT: HTTP/2 stream id */
    /* RECORD: the original record (header included) when it travelled in
     * cleartext (handshake, alert, change_cipher_spec before keys): safe to
     * keep in outputs so handshake failures stay analysable.  NULL for
     * protected records - their ciphertext never reaches an output. */
    const uint8_t *raw;
    size_t rawlen;
    const char *alpn;           /* negotiated ALPN protocol, "" if none */
    const char *app;            /* application protocol the session parsed
                                   ("http/1.1", "h2"), NULL if none */
    const char *verdict;        /* VERDICT: class name (ok, failed, ...) */
    uint16_t mss[2];            /* CONN_OPEN/CLOSE: MSS announced by client/server (0 unknown) */
    int closed[2];              /* CONN_CLOSE: per side 0 open, 1 FIN, 2 RST */
    int tls;                    /* CONN_CLOSE/VERDICT: the connection carried TLS */
    const struct tr_conn_summary *sum; /* VERDICT */
    /* CONN_OPEN */
    const struct tr_addr *cli, *srv;
    uint16_t cport, sport;
};

struct tr_sink {
    void (*ev)(void *ctx, const struct tr_ev *ev);
    void *ctx;
};

#endif
