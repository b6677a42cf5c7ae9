/* session.h - per-connection protocol layer on top of TCP reassembly.
 *
 * Decides what each stream is (TLS by content on any port, STARTTLS after a
 * cleartext preamble, SSLv2-compatible hello, or plain TCP), frames TLS
 * records (RFC 5246 §6.2, RFC 8446 §5), reassembles handshake messages across
 * records, decodes them (tls/hs.h), names alerts, resynchronises after a gap
 * or a capture that starts mid-stream, and at the end of each connection
 * emits one verdict that diagnoses it.  Everything it learns goes to a
 * struct tr_sink as events (out/event.h).
 *
 * It implements struct tr_flow_ops: pass tr_session_flow_ops() and the
 * tr_sessions context to tr_flow_new().
 */
#ifndef TR_TLS_SESSION_H
#define TR_TLS_SESSION_H

#include <stdint.h>

#include "flow/flow.h"
#include "out/event.h"
#include "redact/redact.h"

struct tr_keystore;

struct tr_session_opts {
    struct tr_keystore *ks;          /* keys; NULL = dissect only */
    const struct tr_ruleset *rules;  /* NULL = redaction off (-R none) */
    struct tr_redact_opts ropts;
    int allow_uninspected;           /* --allow-uninspected: undecodable bodies pass */
};

/* Verdict classes, also the keys of the summary. */
enum tr_verdict {
    TR_V_OK = 0,        /* handshake completed */
    TR_V_RESUMED,       /* abbreviated handshake completed */
    TR_V_FAILED,        /* handshake failed (alert, or closed during it) */
    TR_V_INCOMPLETE,    /* capture does not show enough */
    TR_V_NOT_TLS,       /* cleartext TCP */
    TR_V_NO_DATA,       /* TCP connection without payload */
    TR_V_COUNT
};

const char *tr_verdict_name(enum tr_verdict v);

struct tr_sessions_totals {
    uint64_t conns;
    uint64_t by_verdict[TR_V_COUNT];
    uint64_t tls_records;
    uint64_t alerts;
    uint64_t gaps, gap_bytes;
    uint64_t skipped_bytes;     /* TLS bytes not dissected (resync) */
    uint64_t encrypted_bytes;   /* application data that stayed encrypted */
    uint64_t plain_bytes;       /* cleartext TCP payload */
    uint64_t starttls;
    uint64_t decrypted_bytes;   /* application data decrypted */
    uint64_t withheld_bytes;    /* protected or cleartext bytes withheld */
    uint64_t redacted_bytes;    /* bytes masked or tokenized */
    uint64_t dropped_bytes;     /* bytes withheld by drop rules or limits */
    size_t nrules;
    uint64_t *rule_matches;     /* per rule of the ruleset */
    uint64_t *rule_bytes;
};

struct tr_sessions;

/* opts may be NULL (no keys, no redaction). */
struct tr_sessions *tr_sessions_new(const struct tr_sink *sink, const struct tr_session_opts *opts);
void tr_sessions_free(struct tr_sessions *s);
const struct tr_flow_ops *tr_session_flow_ops(void);
const struct tr_sessions_totals *tr_sessions_totals(const struct tr_sessions *s);

#endif
