/* keystore.h - the one place secrets live.
 *
 * Holds every piece of key material a run uses:
 *   - TLS <= 1.2 master secrets by client random (CLIENT_RANDOM), by session
 *     ID (RSA Session-ID lines, and sessions learnt at runtime) and by session
 *     ticket (learnt at runtime; RFC 5077 resumption);
 *   - pre-master secrets by the first 8 bytes of the encrypted pre-master
 *     (RSA label) and by client random (PMS_CLIENT_RANDOM);
 *   - TLS 1.3 secrets by client random + label (RFC 8446 7.1; key log labels
 *     of draft-ietf-tls-keylogfile);
 *   - PSKs (RFC 4279), by identity or one identity-less default (--psk HEX);
 *   - RSA private keys, each optionally bound to a server IP:PORT.
 *
 * Storage: one open-addressing hash table (linear probing, keyed hash with a
 * per-store random seed so crafted key logs cannot force collisions) for the
 * symmetric secrets: O(1) lookups for millions of entries.  RSA keys sit in a
 * small array (a run has a handful).
 *
 * Ownership: lookups copy into a caller-provided struct tr_secret, which the
 * caller wipes with tr_secret_wipe() when done.  RSA keys are returned as
 * const views owned by the store, valid until tr_keystore_free().  Everything
 * the store holds is wiped with mbedtls_platform_zeroize when it is freed or
 * moved (table growth).  Nothing here logs, and no function puts secret bytes
 * into a message: diagnosis is by codes and public-key fingerprints only.
 *
 * Not thread-safe: one store per run context (RSA decryption uses the store's
 * CTR_DRBG for blinding).
 */
#ifndef TR_TLS_KEYSTORE_H
#define TR_TLS_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#include "decode/decode.h" /* struct tr_addr */
#include "tls/keysched.h" /* struct tr_secret, tr_secret_wipe */

/* The one secret type, struct tr_secret (len + b[TR_SECRET_MAX], 64 bytes:
 * TLS 1.3 SHA-384 secrets and master secrets are 48, a PSK up to 64), and
 * tr_secret_wipe() come from the key schedule module. */

/* What a symmetric entry is, and the key log label that names it.  The order
 * is stable (stats arrays are indexed by it). */
enum tr_secret_label {
    TR_SL_CLIENT_RANDOM = 0,       /* client random (32) -> master secret (48) */
    TR_SL_RSA,                     /* enc. pre-master prefix (8) -> pre-master (48) */
    TR_SL_RSA_SESSION_ID,          /* session ID (1..32) -> master secret (48) */
    TR_SL_PMS_CLIENT_RANDOM,       /* client random (32) -> pre-master (48) */
    TR_SL_CLIENT_EARLY_TRAFFIC_SECRET, /* TLS 1.3: client random -> 32/48 */
    TR_SL_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
    TR_SL_SERVER_HANDSHAKE_TRAFFIC_SECRET,
    TR_SL_CLIENT_TRAFFIC_SECRET_0,
    TR_SL_SERVER_TRAFFIC_SECRET_0,
    TR_SL_EARLY_EXPORTER_SECRET,
    TR_SL_EXPORTER_SECRET,
    TR_SL_SESSION_TICKET,          /* runtime: SHA-256(ticket) -> master (48) */
    TR_SL_PSK,                     /* SHA-256(identity) or default -> PSK */
    TR_SL_COUNT
};

/* Key log label text ("CLIENT_RANDOM", "RSA Session-ID", ...), or a
 * descriptive name for runtime-only kinds. */
const char *tr_secret_label_name(enum tr_secret_label l);

/* Result of adding a symmetric secret. */
enum tr_ks_add {
    TR_KS_ADDED = 0,     /* new entry */
    TR_KS_DUPLICATE = 1, /* same key and same secret already present */
    TR_KS_CONFLICT = 2,  /* same key, different secret: first one kept */
    TR_KS_REPLACED = 3,  /* same key, different secret: replaced (runtime adds) */
};

struct tr_keystore; /* opaque */

/* Creates an empty store; seeds its CTR_DRBG from the platform entropy
 * source.  Returns NULL on out-of-memory or entropy failure. */
struct tr_keystore *tr_keystore_new(void);
/* Wipes every secret and key, frees the store.  NULL is a no-op. */
void tr_keystore_free(struct tr_keystore *ks);

/* Disables core dumps for the process (RLIMIT_CORE 0, PR_SET_DUMPABLE 0) so
 * that loaded keys cannot end up in a core file.  Call once before loading
 * keys.  Returns 0 or TR_E_IO (the caller may warn and go on). */
int tr_keystore_protect_process(void);

/* ---- symmetric secrets ------------------------------------------------- */

/* Adds one secret under (label, key).  key is what the label is looked up by
 * (see enum tr_secret_label; for TR_SL_RSA only the first 8 bytes are used,
 * for TR_SL_SESSION_TICKET and TR_SL_PSK pass the ticket / identity itself:
 * the store keys them by SHA-256).  klen must be 1..32 except for tickets and
 * PSK identities (any length; a PSK identity may be empty = the default PSK).
 * val is 1..TR_SECRET_MAX bytes.  With replace, an existing entry with a
 * different secret is overwritten (TR_KS_REPLACED), otherwise kept
 * (TR_KS_CONFLICT).  Returns a TR_KS_* value (>= 0), TR_E_ARG for bad
 * sizes, or TR_E_NOMEM.  The store copies key and val. */
int tr_keystore_add(struct tr_keystore *ks, enum tr_secret_label label,
                    const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen, int replace);

/* Looks up (label, key) and copies the secret into out.  Returns 0 or
 * TR_E_NOKEY (out then has len 0). */
int tr_keystore_get(const struct tr_keystore *ks, enum tr_secret_label label,
                    const uint8_t *key, size_t klen, struct tr_secret *out);

/* Number of entries held under a label. */
size_t tr_keystore_count(const struct tr_keystore *ks, enum tr_secret_label label);

/* Convenience wrappers over tr_keystore_get/add.  All return 0 or TR_E_NOKEY
 * (getters), TR_KS_* / TR_E_* (adders). */
int tr_keystore_master_by_random(const struct tr_keystore *ks,
                                 const uint8_t client_random[32],
                                 struct tr_secret *ms);
int tr_keystore_master_by_session_id(const struct tr_keystore *ks,
                                     const uint8_t *sid, size_t sid_len,
                                     struct tr_secret *ms);
int tr_keystore_master_by_ticket(const struct tr_keystore *ks,
                                 const uint8_t *ticket, size_t ticket_len,
                                 struct tr_secret *ms);
/* Runtime learning after a full handshake: the latest one wins (replace). */
int tr_keystore_add_master_by_session_id(struct tr_keystore *ks,
                                         const uint8_t *sid, size_t sid_len,
                                         const uint8_t *ms, size_t ms_len);
int tr_keystore_add_master_by_ticket(struct tr_keystore *ks,
                                     const uint8_t *ticket, size_t ticket_len,
                                     const uint8_t *ms, size_t ms_len);
/* enc is the encrypted pre-master (at least 8 bytes; only 8 are used). */
int tr_keystore_pms_by_enc_prefix(const struct tr_keystore *ks,
                                  const uint8_t *enc, size_t enc_len,
                                  struct tr_secret *pms);
int tr_keystore_pms_by_random(const struct tr_keystore *ks,
                              const uint8_t client_random[32],
                              struct tr_secret *pms);
/* label: one of the seven TLS 1.3 labels. */
int tr_keystore_tls13_secret(const struct tr_keystore *ks,
                             const uint8_t client_random[32],
                             enum tr_secret_label label, struct tr_secret *out);
/* PSKs: identity may be NULL/empty for the default (--psk HEX) key.  Lookup
 * tries the identity first, then the default. */
int tr_keystore_add_psk(struct tr_keystore *ks, const uint8_t *identity,
                        size_t id_len, const uint8_t *psk, size_t psk_len);
int tr_keystore_psk(const struct tr_keystore *ks, const uint8_t *identity,
                    size_t id_len, struct tr_secret *psk);
/* Parses --psk HEX (even number of hex digits, 1..TR_SECRET_MAX bytes) and
 * adds it as the default PSK.  Returns TR_KS_* or TR_E_ARG. */
int tr_keystore_add_psk_hex(struct tr_keystore *ks, const char *hex);

/* ---- RSA private keys -------------------------------------------------- */

/* A key held by the store.  Read-only view for callers. */
struct tr_rsa_key {
    mbedtls_pk_context pk;
    int bound;               /* 1: applies to addr:port */
    struct tr_addr addr;     /* family 0 = any address (with bound) */
    uint16_t port;           /* 0 = any port (with bound) */
    uint8_t spki_sha256[32]; /* SHA-256 of the DER SubjectPublicKeyInfo */
    size_t bits;
    char name[256];          /* label for messages (usually the file name) */
};

/* Takes ownership of *pk (an RSA key, e.g. from tr_rsakey_load) and resets
 * the caller's context to empty.  addr NULL = not bound (matched by
 * certificate); otherwise bound to addr (family 0 = any) and port (0 = any).
 * name is copied (truncated) for messages.  Returns 0, TR_E_KEY (not RSA or
 * public key cannot be encoded) or TR_E_NOMEM; on error *pk is untouched. */
int tr_keystore_add_rsa(struct tr_keystore *ks, mbedtls_pk_context *pk,
                        const struct tr_addr *addr, uint16_t port,
                        const char *name);

size_t tr_keystore_rsa_count(const struct tr_keystore *ks);
/* i-th key (0-based), NULL when out of range. */
const struct tr_rsa_key *tr_keystore_rsa_at(const struct tr_keystore *ks, size_t i);

enum tr_rsa_match_reason {
    TR_RSA_BOUND = 0,       /* found: key bound to this IP:PORT */
    TR_RSA_CERT_MATCH,      /* found: key's public key is the certificate's */
    TR_RSA_NO_KEYS,         /* no RSA key loaded */
    TR_RSA_NO_CERT,         /* no certificate given, no bound key */
    TR_RSA_CERT_BAD,        /* certificate did not parse */
    TR_RSA_CERT_NOT_RSA,    /* certificate key is not RSA (ECDSA...) */
    TR_RSA_NO_MATCH,        /* no key's public key matches the certificate */
};

struct tr_rsa_match {
    enum tr_rsa_match_reason reason;
    int have_cert;              /* cert_sha256 is valid */
    uint8_t cert_sha256[32];    /* SHA-256 of the certificate DER (fingerprint) */
    int have_cert_spki;         /* cert_spki_sha256 is valid */
    uint8_t cert_spki_sha256[32]; /* SHA-256 of the certificate's SPKI: compare
                                     with each key's spki_sha256 */
    int bound_mismatch;         /* a bound key was chosen but the certificate
                                   given carries a different public key */
};

const char *tr_rsa_match_reason_str(enum tr_rsa_match_reason r);

/* Picks the RSA key for a server: a key bound to addr:port first, else a key
 * whose public key equals the one in cert_der (the server's end-entity
 * certificate, may be NULL), else NULL.  m (required) receives the reason and
 * fingerprints for the diagnosis.  Returns a view owned by the store. */
const struct tr_rsa_key *tr_keystore_rsa_for_server(
    const struct tr_keystore *ks, const struct tr_addr *addr, uint16_t port,
    const uint8_t *cert_der, size_t cert_len, struct tr_rsa_match *m);

enum tr_pms_status {
    TR_PMS_OK = 0,
    TR_PMS_BAD_LENGTH,   /* ciphertext length != key modulus length */
    TR_PMS_BAD_PADDING,  /* PKCS#1 v1.5 padding invalid: wrong key */
    TR_PMS_BAD_SIZE,     /* decrypted to something other than 48 bytes */
    TR_PMS_INTERNAL,     /* mbedTLS failure (RNG, ...) */
};

/* Decrypts an RSA-encrypted pre-master (RFC 5246 7.4.7.1): enc is the
 * EncryptedPreMasterSecret without its 2-byte length (n must equal the
 * modulus size).  On success pms receives 48 bytes and *version (if not
 * NULL) the client_version inside it (not checked: the caller may report a
 * mismatch).  Returns 0, TR_E_DECRYPT (wrong key: status says why) or
 * TR_E_MALFORMED (length); status (may be NULL) receives the detail.  pms
 * is zeroed on failure. */
int tr_keystore_rsa_decrypt_pms(struct tr_keystore *ks,
                                const struct tr_rsa_key *key,
                                const uint8_t *enc, size_t n, uint8_t pms[48],
                                uint16_t *version, enum tr_pms_status *status);

const char *tr_pms_status_str(enum tr_pms_status s);

/* Calls cb for every secret value held: master secrets, premasters, TLS 1.3
 * secrets, PSKs, and the private parts (D, P, Q, big-endian) of each RSA
 * key.  For the output leak self-check only: cb must not keep or print the
 * bytes (they are wiped after each call). */
typedef void (*tr_keystore_secret_cb)(void *ctx, const uint8_t *secret, size_t len);
void tr_keystore_foreach_secret(const struct tr_keystore *ks, tr_keystore_secret_cb cb, void *ctx);

#endif
