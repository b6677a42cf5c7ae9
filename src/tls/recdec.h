/* recdec.h - decryption of TLS records, one direction of one connection.
 *
 * Families (suite table decides): NULL (MAC only), RC4 stream, CBC (DES,
 * 3DES, AES, Camellia) MAC-then-encrypt with SSLv3/TLS 1.0 implicit IV
 * chaining or TLS 1.1+ explicit IV, CBC encrypt-then-MAC (RFC 7366),
 * HMAC-MD5/SHA1/SHA256/SHA384 and the SSLv3 MAC (RFC 6101 5.2.3.1),
 * AES-GCM / Camellia-GCM (RFC 5288, 6367), AES-CCM / CCM_8 (RFC 6655, 7251),
 * ChaCha20-Poly1305 (RFC 7905), and TLS 1.3 AEAD records (RFC 8446 5.2-5.4).
 *
 * Keys are set once per epoch (cipher and HMAC contexts are keyed at init /
 * rekey, nothing is allocated per record).  Every MAC, tag and padding check
 * is enforced: a failure returns TR_E_DECRYPT and yields no plaintext.
 *
 * Sequence numbers: every call to tr_recdec_decrypt consumes one sequence
 * number, whether the record authenticates or not.  The peer assigned that
 * number when it sent the record, so after a corrupted or undecryptable
 * record the next one still decrypts; a failure does not desynchronise the
 * direction.  Callers that trial-decrypt (TLS 1.3 early data the server
 * skipped) save tr_recdec_seq() first and restore it with tr_recdec_set_seq()
 * when the record turns out not to belong to this epoch.  The CBC implicit IV
 * (SSLv3/TLS 1.0) likewise always advances to the record's last block.
 *
 * Ownership: struct tr_recdec is caller-owned; init copies the keys it
 * needs (the caller wipes its own copy); tr_recdec_free wipes everything.
 */
#ifndef TR_TLS_RECDEC_H
#define TR_TLS_RECDEC_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/cipher.h>
#include <mbedtls/md.h>

#include "tls/keysched.h"
#include "tls/suites.h"

/* Content types (RFC 8446 B.1). */
#define TR_CT_CHANGE_CIPHER_SPEC 20
#define TR_CT_ALERT              21
#define TR_CT_HANDSHAKE          22
#define TR_CT_APPLICATION_DATA   23

struct tr_recdec {
    const struct tr_suite *suite;
    uint16_t version;
    uint8_t etm;        /* encrypt-then-MAC negotiated (CBC only) */
    uint8_t ready;
    uint64_t seq;
    mbedtls_cipher_context_t cipher;
    mbedtls_md_context_t hmac;   /* TLS HMAC keyed once */
    mbedtls_md_context_t hash;   /* SSLv3 MAC: plain hash */
    uint8_t mac_key[48];
    uint8_t iv[16];              /* CBC chaining IV / AEAD fixed IV */
    uint8_t mac_len, iv_len;
};

/* Sets up `rd` for suite `s` in `version` with one direction's keys (a
 * tr_key_block half, or tr_tls13_traffic_keys output); seq starts at 0.
 * `encrypt_then_mac`: 1 when RFC 7366 was negotiated (ignored unless CBC).
 * Returns 0, TR_E_UNSUPPORTED / TR_E_MALFORMED (see tr_suite_check),
 * TR_E_ARG (key lengths do not match the suite) or TR_E_NOMEM; on error rd
 * is left freed (tr_recdec_free is still safe). */
int tr_recdec_init(struct tr_recdec *rd, const struct tr_suite *s,
                   uint16_t version, int encrypt_then_mac,
                   const struct tr_dir_keys *keys);

/* New keys for the same suite and version (TLS 1.3 KeyUpdate or the next
 * handshake epoch); seq resets to 0.  Returns 0, TR_E_ARG, TR_E_NOMEM. */
int tr_recdec_rekey(struct tr_recdec *rd, const struct tr_dir_keys *keys);

uint64_t tr_recdec_seq(const struct tr_recdec *rd);
void tr_recdec_set_seq(struct tr_recdec *rd, uint64_t seq);

/* Decrypts the body (`in`, `inlen`, header excluded) of one record whose
 * header carried `content_type` and `record_version`.  `out` must hold
 * `inlen` bytes; it may be the same buffer as `in` (in place) but must not
 * overlap it otherwise.  On any error out[0..inlen) is wiped, so an in-place
 * call destroys its input: trial decryption must use a separate buffer.
 * On success *outlen is the plaintext length and
 * *inner_type the real content type (TLS 1.3: from TLSInnerPlaintext after
 * stripping zero padding; earlier versions: content_type).
 * Returns 0, TR_E_DECRYPT (MAC/tag/padding failure, or a TLS 1.3 record
 * that is all zeros: *outlen = 0, out wiped), TR_E_TRUNCATED (shorter than
 * the minimum for the suite), TR_E_MALFORMED (longer than a record can be,
 * CBC body not a block multiple), TR_E_ARG (rd not initialised).
 * The sequence number advances in every case except TR_E_ARG. */
int tr_recdec_decrypt(struct tr_recdec *rd, uint8_t content_type,
                      uint16_t record_version, const uint8_t *in, size_t inlen,
                      uint8_t *out, size_t *outlen, uint8_t *inner_type);

/* Wipes keys and frees the contexts; safe on a zeroed or freed struct. */
void tr_recdec_free(struct tr_recdec *rd);

#endif
