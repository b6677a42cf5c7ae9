/* redact.h - the redaction engine: rules compiled once (PCRE2 + JIT), a
 * streaming redactor per connection direction, actions mask/token/drop.
 *
 * Rule files are described in docs/rules.md.  A ruleset is immutable after
 * tr_rules_load() and may be shared by any number of redactors.  A redactor
 * consumes one ordered cleartext byte stream and emits the redacted stream
 * as soon as no rule can still match the bytes (bounded hold-back window).
 *
 * Determinism: the concatenated output of a redactor depends only on the
 * stream bytes, the rules, the options and the token key - never on how the
 * stream was cut into pushes (the one exception: a PCRE2 resource-limit hit,
 * which fails closed).
 *
 * Ownership: nothing returned here contains cleartext except the data passed
 * to the emit callback, which borrows the redactor's memory until the
 * callback returns.  Held-back cleartext and the token key copy are wiped on
 * free.  Statistics are counts only, never values.
 */
#ifndef TR_REDACT_REDACT_H
#define TR_REDACT_REDACT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits of the engine, with reasons. */
/* PCRE2 match limit per pcre2_match call: a benign rule uses a few thousand
 * steps on one window; a pathological one is stopped and fails closed. */
#define TR_REDACT_MATCH_LIMIT   1000000u
/* PCRE2 backtracking depth (interpreter only; JIT honours the match limit). */
#define TR_REDACT_DEPTH_LIMIT   10000u
/* PCRE2 heap limit in KiB for one match (interpreter). */
#define TR_REDACT_HEAP_LIMIT    20000u
/* Default and largest window (longest match a rule can make, in bytes). */
#define TR_REDACT_WINDOW_DEFAULT 1024u
#define TR_REDACT_WINDOW_MAX    65536u
/* A push is processed in slices of at most this many bytes, so the held-back
 * buffer stays below 2 * largest window + slice. */
#define TR_REDACT_SLICE         65536u
#define TR_REDACT_KEY_LEN       32u

struct tr_ruleset;
struct tr_redactor;

enum tr_redact_action { /* ordered from least to most protective */
    TR_ACT_TOKEN = 1,   /* same-length keyed pseudonym */
    TR_ACT_MASK = 2,    /* same-length fill */
    TR_ACT_DROP = 3,    /* bytes withheld from the output */
};

/* Loads rule files.  Each path is a rule file, or a directory whose *.rules
 * files are loaded in byte-wise sorted order.  Patterns are compiled and
 * JIT-compiled.  On error returns TR_E_RULES (or TR_E_NOMEM) with "file:line:
 * message" in err (a bad pattern adds PCRE2's message and offset); *out is
 * then NULL.  A load with zero rules overall is an error.  Returns 0. */
int tr_rules_load(struct tr_ruleset **out, const char *const *paths,
                  size_t npaths, char *err, size_t errlen);
void tr_rules_free(struct tr_ruleset *rs);
size_t tr_rules_count(const struct tr_ruleset *rs);
/* Rule i's id / description (borrowed, valid while rs is); NULL if i is out
 * of range.  Description may be "". */
const char *tr_rules_id(const struct tr_ruleset *rs, size_t i);
const char *tr_rules_description(const struct tr_ruleset *rs, size_t i);
int tr_rules_action(const struct tr_ruleset *rs, size_t i);
size_t tr_rules_window(const struct tr_ruleset *rs, size_t i);
/* Files loaded, in load order (for the audit report, which hashes them). */
size_t tr_rules_file_count(const struct tr_ruleset *rs);
const char *tr_rules_file(const struct tr_ruleset *rs, size_t i);

/* Runs every rule's embedded examples (each alone, action shown as mask
 * '*', pushed whole and in 1-byte pieces).  Writes one line per failure to
 * out (may be NULL): "file:line: rule ID: what" - examples are the rule
 * author's own test strings, never capture data.  Returns the number of
 * failures (0 = all pass), or a negative TR_E_* code. */
int tr_rules_selftest(const struct tr_ruleset *rs, FILE *out);

struct tr_redact_opts {
    char mask_char;          /* fill for mask; 0 means '*' */
    /* HMAC-SHA256 key for the token action, TR_REDACT_KEY_LEN bytes,
     * borrowed for tr_redactor_new only (it keeps a copy, wiped on free).
     * NULL: token actions are rendered as mask (no key, no pseudonym). */
    const uint8_t *token_key;
    /* Optional: called with the original bytes of every span that mask,
     * token or drop replaced (for the output leak self-check, which looks
     * for those values elsewhere in the outputs).  Borrowed for the call;
     * the callee must not print or keep them beyond its own wiped store. */
    void (*on_secret)(void *ctx, const uint8_t *p, size_t n);
    void *secret_ctx;
    /* Framed payloads (HTTP/1.x messages, WebSocket frames) whose length is
     * declared before the redactor sees them: spans a drop rule or a limit
     * hit withholds are emitted as mask fill of the same length (still
     * counted as withheld, emitted as TR_EMIT_DATA), so the output stays
     * framed.  HTTP/2 re-frames DATA itself and does not need this. */
    int keep_length;
};

/* Where in an HTTP message the redactor's bytes are, for rules with a
 * scope (docs/rules.md).  A rule scoped to `body:json` applies in
 * TR_MEDIA_JSON and TR_MEDIA_ANY; header and query scopes apply in
 * TR_MEDIA_HEAD and TR_MEDIA_ANY; unscoped rules apply everywhere.
 * TR_MEDIA_ANY (the default) is any stream the parsers could not place: all
 * rules apply, so scoping never lets through what a rule would cover. */
enum tr_media {
    TR_MEDIA_ANY = 0,
    TR_MEDIA_HEAD,   /* request/status line and header fields */
    TR_MEDIA_OTHER,  /* body of a binary or unlisted-but-known type */
    TR_MEDIA_FORM,
    TR_MEDIA_JSON,
    TR_MEDIA_XML,
    TR_MEDIA_TEXT,
    TR_MEDIA_N
};

/* Fills key with TR_REDACT_KEY_LEN random bytes (mbedTLS CTR-DRBG seeded
 * from the platform entropy source).  Returns 0 or TR_E_KEY. */
int tr_redact_random_key(uint8_t key[TR_REDACT_KEY_LEN]);
/* Reads a token key file: 64 hex digits (optionally followed by a newline)
 * are the key; any other content of at least 32 bytes is hashed with
 * SHA-256 into the key.  Returns 0, TR_E_KEY (message in err, never key
 * bytes) or TR_E_IO.  Wipe key with tr_redact_wipe() when done. */
int tr_redact_load_key(const char *path, uint8_t key[TR_REDACT_KEY_LEN],
                       char *err, size_t errlen);
void tr_redact_wipe(void *p, size_t n);

/* What an emit call carries. */
enum tr_emit_kind {
    TR_EMIT_DATA = 0,           /* data[0..len) is output (redacted) */
    TR_EMIT_WITHHELD_DROP = 1,  /* len input bytes withheld by a drop rule */
    TR_EMIT_WITHHELD_LIMIT = 2, /* len input bytes withheld: regex limit or
                                   window overflow (fail closed) */
};

/* Called in stream order.  in_off is the stream offset of the first input
 * byte concerned; for TR_EMIT_DATA len output bytes correspond to len input
 * bytes (mask and token keep lengths); for withheld kinds data is NULL and
 * len input bytes produced no output.  data is borrowed until return.
 * Return 0, or a negative TR_E_* code that push/flush then return. */
typedef int (*tr_redact_emit_fn)(void *ctx, const uint8_t *data, size_t len,
                                 uint64_t in_off, int kind);

/* New redactor for one stream.  rs must outlive it.  Returns NULL on out of
 * memory. */
struct tr_redactor *tr_redactor_new(const struct tr_ruleset *rs,
                                    const struct tr_redact_opts *opts,
                                    tr_redact_emit_fn emit, void *ctx);
/* Consumes len cleartext bytes; emits what is final.  Returns 0, an emit
 * error, TR_E_NOMEM or TR_E_LIMIT (internal buffer ceiling; should not
 * happen).  After an error the redactor is unusable except for free. */
int tr_redactor_push(struct tr_redactor *r, const uint8_t *data, size_t len);
/* End of stream, or a gap: matches that complete at the end are applied
 * and everything held back is emitted.  After flush the redactor continues
 * as if a new stream started (no match spans the flush point). */
int tr_redactor_flush(struct tr_redactor *r);
/* Switches the context of the bytes pushed next (enum tr_media).  When it
 * changes, held-back bytes are released as by tr_redactor_flush (no match
 * spans a context switch).  Returns 0 or as tr_redactor_flush. */
int tr_redactor_set_media(struct tr_redactor *r, int media);
/* Wipes held-back cleartext and the key copy; frees.  NULL is fine. */
void tr_redactor_free(struct tr_redactor *r);

struct tr_redact_stats {
    uint64_t bytes_in;              /* input bytes consumed */
    uint64_t bytes_masked;          /* output bytes replaced by mask */
    uint64_t bytes_tokenized;       /* output bytes replaced by tokens */
    uint64_t bytes_withheld_drop;   /* withheld by drop rules */
    uint64_t bytes_withheld_limit;  /* withheld by limit hits */
    uint64_t limit_hits;            /* regex limit / window overflow events */
};
/* Totals for this redactor (counts only). */
void tr_redactor_stats(const struct tr_redactor *r, struct tr_redact_stats *st);
/* Per-rule counts: matches accepted and bytes of their secret spans
 * (overlapping matches of different rules each count).  0 if i out of
 * range. */
uint64_t tr_redactor_rule_matches(const struct tr_redactor *r, size_t i);
uint64_t tr_redactor_rule_bytes(const struct tr_redactor *r, size_t i);

#endif
