/* suites.h - the one table of TLS cipher suites, keyed by IANA id.
 *
 * Holds every value assigned in the IANA "TLS Cipher Suites" registry
 * (RFC 8447), the GREASE values of RFC 8701 (named "GREASE"), the two
 * signalling values (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, RFC 5746;
 * TLS_FALLBACK_SCSV, RFC 7507) and a few unregistered values that real
 * SSL-era stacks sent (EXPORT1024, SSL_RSA_FIPS; flagged TR_SUITE_NONIANA).
 * For each suite it says how records are protected: key exchange, bulk
 * cipher and mode, MAC, key/IV/tag sizes, the PRF (TLS 1.2) or HKDF (1.3)
 * hash, and whether mbedTLS 2.28 as built on Debian 12 can decrypt it (when
 * not, `why` says why: ARIA, IDEA, RC2, SEED, SM4, GOST are not compiled in).
 *
 * The table is static, sorted, read-only; lookups return pointers into it.
 */
#ifndef TR_TLS_SUITES_H
#define TR_TLS_SUITES_H

#include <stddef.h>
#include <stdint.h>

/* Protocol versions as on the wire. */
#define TR_VER_SSL3  0x0300u
#define TR_VER_TLS10 0x0301u
#define TR_VER_TLS11 0x0302u
#define TR_VER_TLS12 0x0303u
#define TR_VER_TLS13 0x0304u

enum tr_kx {
    TR_KX_NONE = 0,  /* TLS_NULL_WITH_NULL_NULL, SCSV, GREASE */
    TR_KX_RSA,       /* an RSA private key decrypts the premaster */
    TR_KX_DH,        /* static DH (DH_DSS, DH_RSA) */
    TR_KX_DHE,       /* DHE_DSS, DHE_RSA */
    TR_KX_DH_ANON,
    TR_KX_ECDH,      /* static ECDH (ECDH_ECDSA, ECDH_RSA) */
    TR_KX_ECDHE,     /* ECDHE_ECDSA, ECDHE_RSA */
    TR_KX_ECDH_ANON,
    TR_KX_PSK,
    TR_KX_RSA_PSK,
    TR_KX_DHE_PSK,
    TR_KX_ECDHE_PSK,
    TR_KX_KRB5,
    TR_KX_SRP,
    TR_KX_ECCPWD,
    TR_KX_GOST,
    TR_KX_TLS13      /* TLS 1.3: negotiated separately from the suite */
};

enum tr_cipher {
    TR_CIPHER_NULL = 0,
    TR_CIPHER_RC4_40,     /* export: 5 secret bytes expanded to 16 */
    TR_CIPHER_RC4_56,
    TR_CIPHER_RC4_128,
    TR_CIPHER_RC2_40,
    TR_CIPHER_RC2_56,
    TR_CIPHER_DES40,      /* export: 5 secret bytes expanded to 8 */
    TR_CIPHER_DES,
    TR_CIPHER_3DES,
    TR_CIPHER_IDEA,
    TR_CIPHER_SEED,
    TR_CIPHER_AES_128,
    TR_CIPHER_AES_256,
    TR_CIPHER_CAMELLIA_128,
    TR_CIPHER_CAMELLIA_256,
    TR_CIPHER_ARIA_128,
    TR_CIPHER_ARIA_256,
    TR_CIPHER_CHACHA20,
    TR_CIPHER_SM4,
    TR_CIPHER_GOST,
    TR_CIPHER_AEGIS_128L,
    TR_CIPHER_AEGIS_256
};

enum tr_mode {
    TR_MODE_NONE = 0,  /* NULL cipher */
    TR_MODE_STREAM,
    TR_MODE_CBC,
    TR_MODE_GCM,
    TR_MODE_CCM,
    TR_MODE_CCM_8,
    TR_MODE_POLY1305,
    TR_MODE_OTHER      /* GOST CTR/MGM, AEGIS: not decryptable */
};

enum tr_mac {
    TR_MAC_NONE = 0,   /* TLS_NULL_WITH_NULL_NULL */
    TR_MAC_MD5,
    TR_MAC_SHA1,
    TR_MAC_SHA256,
    TR_MAC_SHA384,
    TR_MAC_AEAD,       /* integrity from the AEAD tag */
    TR_MAC_OTHER
};

/* Hash functions used by key schedules and MACs. */
enum tr_hash {
    TR_HASH_NONE = 0,
    TR_HASH_MD5,
    TR_HASH_SHA1,
    TR_HASH_MD5_SHA1,  /* TLS 1.0/1.1 PRF and handshake hash */
    TR_HASH_SHA256,
    TR_HASH_SHA384
};

#define TR_SUITE_DECRYPTABLE 0x01u /* records can be decrypted with mbedTLS */
#define TR_SUITE_EXPORT      0x02u /* export-grade: key material expanded */
#define TR_SUITE_TLS13       0x04u /* a TLS 1.3 suite */
#define TR_SUITE_SCSV        0x08u /* signalling value, never negotiated */
#define TR_SUITE_GREASE      0x10u /* RFC 8701 reserved value */
#define TR_SUITE_NONIANA     0x20u /* sent by old stacks, never registered */
#define TR_SUITE_AEAD        0x40u

struct tr_suite {
    uint16_t id;
    uint8_t kx;          /* enum tr_kx */
    uint8_t cipher;      /* enum tr_cipher */
    uint8_t mode;        /* enum tr_mode */
    uint8_t mac;         /* enum tr_mac */
    uint8_t prf;         /* enum tr_hash: TLS 1.2 PRF / TLS 1.3 HKDF hash */
    uint8_t flags;       /* TR_SUITE_* */
    uint8_t key_len;     /* key bytes taken from the key block (export: 5) */
    uint8_t exp_key_len; /* key bytes after export expansion (= key_len otherwise) */
    uint8_t iv_len;      /* implicit IV: CBC block (<= TLS 1.0), AEAD fixed IV */
    uint8_t rec_iv_len;  /* explicit nonce per record (GCM/CCM in TLS 1.2: 8) */
    uint8_t block_len;   /* cipher block size for CBC, else 0 */
    uint8_t mac_len;     /* HMAC output length, 0 for AEAD */
    uint8_t tag_len;     /* AEAD tag length, else 0 */
    const char *name;    /* IANA name ("GREASE" for RFC 8701 values) */
    const char *why;     /* NULL when decryptable, else the reason it is not */
};

/* The suite with IANA id `id`, or NULL when the value is unassigned. */
const struct tr_suite *tr_suite_find(uint16_t id);

/* Name of `id`: the table name, or "0xC0FF" (upper-case hex) written into
 * buf[n] for an unassigned value.  Returns a pointer to either; never NULL
 * (with n < 7 an unknown id yields "?"). */
const char *tr_suite_name(uint16_t id, char *buf, size_t n);

/* 1 when records of `s` can be decrypted by this build (table flag). */
int tr_suite_decryptable(const struct tr_suite *s);

/* Checks that suite `s` can be used with protocol `version` and that this
 * build can decrypt it.  Returns 0, TR_E_UNSUPPORTED (not decryptable here,
 * or an unknown version) or TR_E_MALFORMED (a combination no peer can
 * negotiate: a TLS 1.3 suite below 1.3, an AEAD/SHA-2 suite below TLS 1.2,
 * a pre-1.3 suite in 1.3). */
int tr_suite_check(const struct tr_suite *s, uint16_t version);

/* Short names for the enums, for transcripts ("ECDHE", "AES_128", "GCM"...). */
const char *tr_kx_name(unsigned kx);
const char *tr_cipher_name(unsigned cipher);
const char *tr_mode_name(unsigned mode);
const char *tr_mac_name(unsigned mac);

#endif
