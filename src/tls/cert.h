/* cert.h - X.509 certificate summary and TLS Certificate message walking.
 *
 * tr_cert_summarize() turns one DER certificate (as carried in a TLS
 * Certificate message) into the fields a support engineer needs to diagnose
 * a handshake: names, validity at capture time, fingerprints, key.  Parsing
 * is mbedTLS's (x509_crt); this module is the only one that includes mbedTLS
 * x509 headers.  The SHA-256 fingerprint is computed even when mbedTLS
 * cannot parse the certificate.
 *
 * tr_cert_msg_begin()/tr_cert_msg_next() walk the certificate_list of a
 * Certificate handshake body: TLS <= 1.2 (RFC 5246 7.4.2) is
 * opaque ASN.1Cert<1..2^24-1> inside certificate_list<0..2^24-1>; TLS 1.3
 * (RFC 8446 4.4.2) prefixes certificate_request_context<0..2^8-1> and gives
 * every entry extensions<0..2^16-1>.  All reads go through core/reader.h.
 *
 * Ownership: struct tr_cert_info is caller-owned, fixed-size (every text
 * field bounded and NUL-terminated, possibly truncated); nothing allocated
 * survives the call.  Entries returned by the iterator borrow the message
 * body and are valid as long as it is.  Text fields come from the
 * certificate: bytes outside printable ASCII are replaced by '?'.
 */
#ifndef TR_TLS_CERT_H
#define TR_TLS_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/reader.h"

#define TR_CERT_DN_MAX     256 /* one-line DN, e.g. "C=FR, O=x, CN=y" */
#define TR_CERT_SAN_MAX    8   /* DNS subjectAltNames kept (count is exact) */
#define TR_CERT_SAN_LEN    128 /* per name, truncated beyond */
#define TR_CERT_SERIAL_MAX 65  /* 32 bytes (mbedTLS limit) as hex + NUL */

enum tr_cert_validity {
    TR_CERT_VALID = 0,         /* not_before <= capture_time <= not_after */
    TR_CERT_EXPIRED = 1,       /* capture_time > not_after */
    TR_CERT_NOT_YET_VALID = 2, /* capture_time < not_before */
    TR_CERT_VALIDITY_UNKNOWN = 3, /* not parsed */
};

struct tr_cert_info {
    /* Always set. */
    char fingerprint[65];       /* SHA-256 of the DER, lowercase hex */
    int parsed;                 /* 1 when mbedTLS parsed it: fields below set */
    int mbedtls_err;            /* mbedTLS error code when !parsed, else 0 */

    char subject[TR_CERT_DN_MAX]; /* mbedtls_x509_dn_gets: "O=..., CN=..." */
    char issuer[TR_CERT_DN_MAX];
    char serial[TR_CERT_SERIAL_MAX]; /* lowercase hex, no leading 00 bytes */
    char not_before[21];        /* "2020-01-01T00:00:00Z" (UTC) */
    char not_after[21];
    time_t not_before_t;        /* seconds since the epoch, UTC */
    time_t not_after_t;
    enum tr_cert_validity validity; /* at capture_time */
    int self_signed;            /* subject DN == issuer DN (byte-equal) */

    char sig_alg[40];           /* OpenSSL spelling: "sha256WithRSAEncryption",
                                   "ecdsa-with-SHA256", "rsassaPss"... */
    char key_type[12];          /* "RSA", "EC", "unknown" */
    char key_curve[24];         /* EC: "secp256r1" (mbedTLS name); else "" */
    unsigned key_bits;          /* RSA modulus / EC group size */
    char key_fingerprint[65];   /* SHA-256 of SubjectPublicKeyInfo DER as
                                   mbedtls_pk_write_pubkey_der encodes it;
                                   the value a private key is matched by */

    size_t san_count;           /* DNS names in subjectAltName (all) */
    size_t san_kept;            /* how many are in san[] (<= TR_CERT_SAN_MAX) */
    char san[TR_CERT_SAN_MAX][TR_CERT_SAN_LEN];
};

/* Summarizes one DER certificate.  capture_time is when the packet was
 * captured (validity is judged then, not now).  Returns 0; TR_E_MALFORMED
 * when mbedTLS rejects the DER, TR_E_UNSUPPORTED when it is well-formed but
 * uses an algorithm mbedTLS lacks (e.g. Ed25519 keys) - in both cases
 * out->fingerprint is set, out->parsed is 0 and out->mbedtls_err holds the
 * mbedTLS code; TR_E_NOMEM when mbedTLS could not allocate. */
int tr_cert_summarize(const uint8_t *der, size_t len, time_t capture_time,
                      struct tr_cert_info *out);

/* timegm() without touching TZ: broken-down UTC (month 1..12) to time_t.
 * Returns 0, or TR_E_MALFORMED for out-of-range fields. */
int tr_cert_utc_to_time(int year, int mon, int day, int hour, int min,
                        int sec, time_t *out);

/* Name of a verdict: "valid", "expired", "not yet valid", "unknown". */
const char *tr_cert_validity_name(enum tr_cert_validity v);

/* ---- Certificate message body iterator ---- */

struct tr_cert_iter {
    struct tr_reader list;      /* remaining certificate_list */
    int tls13;
    int err;                    /* sticky: a malformed entry was met */
    const uint8_t *context;     /* TLS 1.3 certificate_request_context */
    size_t context_len;
    size_t index;               /* entries returned so far */
};

struct tr_cert_entry {
    const uint8_t *der;         /* borrowed ASN.1Cert bytes (len >= 1) */
    size_t len;
    const uint8_t *ext;         /* TLS 1.3 entry extensions (may be empty) */
    size_t ext_len;
    size_t index;               /* 0 = end-entity certificate */
};

/* Starts walking a Certificate handshake body (without the 4-byte handshake
 * header).  tls13 selects the RFC 8446 layout.  Returns 0, or
 * TR_E_MALFORMED when the outer lengths do not match the body exactly.
 * An empty certificate_list is valid (a client with no certificate). */
int tr_cert_msg_begin(struct tr_cert_iter *it, const uint8_t *body,
                      size_t len, int tls13);

/* Next entry.  Returns 1 with *e filled, 0 at the end of the list, or
 * TR_E_MALFORMED (and keeps returning it) when an entry does not fit. */
int tr_cert_msg_next(struct tr_cert_iter *it, struct tr_cert_entry *e);

#endif
