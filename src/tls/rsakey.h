/* rsakey.h - load an RSA private key for RSA key exchange decryption.
 *
 * Accepted: PEM or DER; PKCS#1 (RSA PRIVATE KEY) or PKCS#8 (PRIVATE KEY);
 * encrypted PKCS#8 (PBES2/PBKDF2 with AES-128/192/256-CBC or (3)DES-CBC and
 * HMAC-SHA1/224/256/384/512 - OpenSSL 3's default - and PKCS#12 PBE
 * pbeWithSHAAnd3-KeyTripleDES-CBC / 2-KeyTripleDES-CBC, RFC 8018 / RFC 7292
 * appendix C); legacy encrypted PEM (Proc-Type/DEK-Info); and PKCS#12
 * (.p12/.pfx, RFC 7292): PFX -> authSafe (data) -> SafeContents (plain or
 * inside encryptedData) -> keyBag / pkcs8ShroudedKeyBag.  The PFX MAC is not
 * verified: a wrong password shows as a decryption/parse failure instead.
 * Not supported (with a reason saying what to do): scrypt, RC2/RC4 PBEs,
 * BER indefinite lengths, signedData-protected PFX, non-RSA keys.
 *
 * Ownership: the caller owns the mbedtls_pk_context (init before the call,
 * free after; hand it to tr_keystore_add_rsa to move it into the store).
 * Every intermediate buffer holding key bytes is wiped.  Reasons are static
 * strings that never contain key or password bytes.
 */
#ifndef TR_TLS_RSAKEY_H
#define TR_TLS_RSAKEY_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

/* Largest key file read (a PKCS#12 with a long chain is ~20 KB). */
#define TR_RSAKEY_MAX_FILE (1u << 20)

enum tr_rsakey_format {
    TR_RSAKEY_FMT_UNKNOWN = 0,
    TR_RSAKEY_FMT_PEM,          /* PKCS#1 or PKCS#8 PEM */
    TR_RSAKEY_FMT_PEM_LEGACY_ENC, /* Proc-Type: 4,ENCRYPTED */
    TR_RSAKEY_FMT_PEM_PKCS8_ENC,  /* ENCRYPTED PRIVATE KEY */
    TR_RSAKEY_FMT_DER,          /* PKCS#1 or PKCS#8 DER */
    TR_RSAKEY_FMT_DER_PKCS8_ENC,
    TR_RSAKEY_FMT_PKCS12,
};

struct tr_rsakey_info {
    enum tr_rsakey_format format;
    int encrypted;      /* the key was password-protected */
    int need_password;  /* failed: encrypted and no password given; the CLI
                           may obtain one (tr_password_*) and retry */
    int wrong_password; /* failed: most likely the wrong password */
    int perms_warning;  /* the file is readable/writable by group or other */
    unsigned mode;      /* st_mode & 07777 of the file (0 for memory) */
    size_t bits;        /* modulus size on success */
    const char *reason; /* one line, on failure (static string) */
};

const char *tr_rsakey_format_str(enum tr_rsakey_format f);

/* Loads the RSA private key in path.  password may be NULL (none given);
 * pwlen is its length.  pk must be initialised (mbedtls_pk_init) and empty.
 * Returns 0 (pk holds an RSA key; info->perms_warning may be set), TR_E_IO
 * (cannot open/read; errno kept; info->reason set) or TR_E_KEY (unusable
 * key; info->reason, need_password, wrong_password say why). */
int tr_rsakey_load(const char *path, const char *password, size_t pwlen,
                   mbedtls_pk_context *pk, struct tr_rsakey_info *info);

/* Same from memory (no permission check). */
int tr_rsakey_load_mem(const uint8_t *data, size_t len, const char *password,
                       size_t pwlen, mbedtls_pk_context *pk,
                       struct tr_rsakey_info *info);

#endif
