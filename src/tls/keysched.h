/* keysched.h - TLS key schedules: from premaster / master / traffic secrets
 * to the per-direction keys that record decryption needs.
 *
 *   SSLv3 (RFC 6101 6.1, 6.2.2)     master secret and key block from MD5/SHA-1
 *                                   (mbedTLS 2.28 has no SSLv3 PRF compiled in)
 *   TLS 1.0/1.1 (RFC 2246/4346 5)   PRF = P_MD5 xor P_SHA1, via mbedtls_ssl_tls_prf
 *   TLS 1.2 (RFC 5246 5)            PRF = P_SHA256 / P_SHA384, via mbedtls_ssl_tls_prf
 *   Extended master secret (RFC 7627) from the session hash
 *   Export key expansion (RFC 2246 6.3.1, SSLv3 6.2.2.1)
 *   TLS 1.3 (RFC 8446 7.1-7.3)       HKDF-Expand-Label over mbedtls_hkdf_expand,
 *                                   Derive-Secret, traffic key/iv, KeyUpdate
 *
 * Ownership: every secret lives in a struct tr_secret or struct tr_dir_keys
 * owned by the caller; wipe them with tr_secret_wipe / tr_keys_wipe when
 * done (mbedtls_platform_zeroize).  Nothing here allocates secrets on the
 * heap except mbedTLS's own short-lived contexts, which it frees.  Functions
 * return 0 or a negative TR_E_* code; on error outputs are wiped.
 */
#ifndef TR_TLS_KEYSCHED_H
#define TR_TLS_KEYSCHED_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

#include "tls/suites.h"

#define TR_SECRET_MAX 64 /* SHA-384 output is 48; 64 leaves room for 1.3 PSKs */
#define TR_RANDOM_LEN 32
#define TR_MASTER_LEN 48

/* A secret: master secret, traffic secret, premaster (RSA: 48 bytes). */
struct tr_secret {
    size_t len;
    uint8_t b[TR_SECRET_MAX];
};

/* Copies n bytes into s; TR_E_LIMIT if n > TR_SECRET_MAX (s wiped). */
int tr_secret_set(struct tr_secret *s, const uint8_t *p, size_t n);
void tr_secret_wipe(struct tr_secret *s);

/* Keys protecting one direction of one epoch.  For TLS 1.2 AEAD, iv holds
 * the fixed (implicit) part of the nonce (4 bytes GCM/CCM, 12 ChaCha20);
 * for TLS 1.3 the full 12-byte iv; for CBC in SSLv3/TLS 1.0 the first IV. */
struct tr_dir_keys {
    uint8_t mac_key[48];
    uint8_t key[32];
    uint8_t iv[16];
    uint8_t mac_len, key_len, iv_len;
};

struct tr_key_block {
    struct tr_dir_keys client; /* client_write_*: decrypts client -> server */
    struct tr_dir_keys server; /* server_write_*: decrypts server -> client */
};

void tr_keys_wipe(struct tr_dir_keys *k);
void tr_key_block_wipe(struct tr_key_block *kb);

/* The hash behind the PRF of `version` with suite `s`: TR_HASH_MD5_SHA1 for
 * SSLv3..TLS 1.1 (SSLv3 uses its own MD5/SHA-1 construction), the suite's
 * SHA-256/384 for TLS 1.2 and 1.3; TR_HASH_NONE if unknown. */
enum tr_hash tr_prf_hash(const struct tr_suite *s, uint16_t version);

/* Output size of hash h (MD5_SHA1: 36); 0 for NONE. */
size_t tr_hash_len(enum tr_hash h);

/* PRF(secret, label, seed)[0..outlen) of `version` with suite `s`.
 * For SSLv3 the label is ignored and the SSLv3 construction is used:
 * out = MD5(secret + SHA1("A" + secret + seed)) + MD5(secret + SHA1("BB"...))...
 * (at most 26 rounds, i.e. 416 bytes).  Returns 0, TR_E_UNSUPPORTED (TLS 1.3
 * or no PRF for s), TR_E_LIMIT (outlen too large for SSLv3). */
int tr_prf(const struct tr_suite *s, uint16_t version,
           const uint8_t *secret, size_t slen, const char *label,
           const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen);

/* master_secret = PRF(pms, "master secret", client_random + server_random)
 * (SSLv3: its construction over the same seed).  ms->len = 48. */
int tr_master_secret(const struct tr_suite *s, uint16_t version,
                     const uint8_t *pms, size_t pmslen,
                     const uint8_t client_random[TR_RANDOM_LEN],
                     const uint8_t server_random[TR_RANDOM_LEN],
                     struct tr_secret *ms);

/* RFC 7627: master_secret = PRF(pms, "extended master secret", session_hash).
 * TLS 1.0-1.2 only (TR_E_UNSUPPORTED for SSLv3/1.3). */
int tr_master_secret_ems(const struct tr_suite *s, uint16_t version,
                         const uint8_t *pms, size_t pmslen,
                         const uint8_t *session_hash, size_t hashlen,
                         struct tr_secret *ms);

/* Running hash of handshake messages for the session hash (RFC 7627 3) and
 * TLS 1.3 transcripts.  All candidate hashes run at once because the hash is
 * known only once the ServerHello is parsed; messages are small.
 * Feed each handshake message whole (4-byte header included), as sent. */
struct tr_hshash {
    mbedtls_md_context_t md[4]; /* MD5, SHA-1, SHA-256, SHA-384 */
    int ready;
};

/* Returns 0 or TR_E_NOMEM (state wiped). */
int tr_hshash_init(struct tr_hshash *h);
int tr_hshash_update(struct tr_hshash *h, const uint8_t *p, size_t n);
/* Digest so far with hash `which` (the state keeps running).  out must hold
 * tr_hash_len(which) bytes (MD5_SHA1: MD5 || SHA-1, 36 bytes).  Returns 0,
 * TR_E_UNSUPPORTED (NONE) or TR_E_NOMEM. */
int tr_hshash_peek(const struct tr_hshash *h, enum tr_hash which, uint8_t *out,
                   size_t *outlen);
void tr_hshash_free(struct tr_hshash *h);

/* One-shot session hash over concatenated handshake messages `msgs`:
 * MD5||SHA-1 (36 bytes) for <= TLS 1.1, the suite's PRF hash for TLS 1.2. */
int tr_session_hash(const struct tr_suite *s, uint16_t version,
                    const uint8_t *msgs, size_t len, uint8_t out[48],
                    size_t *outlen);

/* Key block expansion (RFC 5246 6.3; RFC 2246 6.3 and SSLv3 6.2.2 for
 * export suites): fills both directions for suite s / version from the
 * 48-byte master secret.  IVs are derived for CBC only in SSLv3/TLS 1.0
 * (later versions carry them per record) and for AEAD fixed IVs.
 * Returns 0, TR_E_UNSUPPORTED (suite not decryptable / TLS 1.3) or
 * TR_E_MALFORMED (suite not valid in version). */
int tr_key_block(const struct tr_suite *s, uint16_t version,
                 const struct tr_secret *ms,
                 const uint8_t client_random[TR_RANDOM_LEN],
                 const uint8_t server_random[TR_RANDOM_LEN],
                 struct tr_key_block *kb);

/* --- TLS 1.3 (RFC 8446 7.1) --- */

/* HKDF-Expand-Label(secret, label, context, outlen) with hash h (SHA256 or
 * SHA384); `label` without the "tls13 " prefix, at most 249 bytes; context
 * at most 255 bytes; outlen at most 255 * hashlen. */
int tr_hkdf_expand_label(enum tr_hash h, const uint8_t *secret, size_t slen,
                         const char *label, const uint8_t *context,
                         size_t ctxlen, uint8_t *out, size_t outlen);

/* Derive-Secret(secret, label, transcript_hash) = HKDF-Expand-Label(secret,
 * label, transcript_hash, Hash.length).  out->len = hash length. */
int tr_tls13_derive_secret(enum tr_hash h, const struct tr_secret *secret,
                           const char *label, const uint8_t *thash,
                           size_t thashlen, struct tr_secret *out);

/* HKDF-Extract(salt, ikm) with hash h; out->len = hash length.  A NULL/empty
 * ikm stands for Hash.length zero bytes, as RFC 8446 7.1 uses it. */
int tr_hkdf_extract(enum tr_hash h, const uint8_t *salt, size_t saltlen,
                    const uint8_t *ikm, size_t ikmlen, struct tr_secret *out);

/* Traffic keys of a TLS 1.3 epoch (RFC 8446 7.3): key = HKDF-Expand-Label(
 * secret, "key", "", key_length), iv = ...("iv", "", 12).  secret->len must
 * be the suite hash length.  Returns 0, TR_E_UNSUPPORTED, TR_E_MALFORMED. */
int tr_tls13_traffic_keys(const struct tr_suite *s,
                          const struct tr_secret *secret,
                          struct tr_dir_keys *out);

/* KeyUpdate (RFC 8446 7.2): replaces *secret with
 * HKDF-Expand-Label(secret, "traffic upd", "", Hash.length). */
int tr_tls13_next_secret(const struct tr_suite *s, struct tr_secret *secret);

#endif
