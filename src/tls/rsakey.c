/* rsakey.c - RSA private key files: PEM/DER, PKCS#1/#8, encrypted PKCS#8
 * (own PBES2, since mbedTLS 2.28's only knows DES ciphers), legacy
 * encrypted PEM (mbedTLS), PKCS#12 (own walk over the PFX).
 * DER is walked with a small TLV reader over the core reader. */
#include "tls/rsakey.h"

#include "core/err.h"
#include "core/reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/asn1.h>
#include <mbedtls/cipher.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pkcs12.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>

/* PBKDF2 iteration ceiling: OpenSSL uses 2048, Windows up to 600000. */
#define MAX_ITERATIONS (16u << 20)
/* Nesting depth is fixed by the PFX structure; this caps work on a hostile
 * file: SafeContents bags visited, encrypted containers decrypted. */
#define MAX_BAGS 4096

static const char R_PW_NEEDED[] =
    "key is encrypted: a password is needed (--key-password-file, "
    "TLSREDACT_KEY_PASSWORD or the prompt)";
static const char R_WRONG_PW[] = "cannot parse RSA key (wrong password?)";
static const char R_NOT_RSA_EC[] =
    "not an RSA key (EC): ECDHE/ECDSA servers need a key log";
static const char R_NOT_RSA[] =
    "not an RSA key: only RSA keys decrypt RSA key exchange; other servers "
    "need a key log";
static const char R_CERT[] = "file holds a certificate, not a private key";
static const char R_PARSE[] =
    "cannot parse RSA key (not a PEM, DER or PKCS#12 private key)";
static const char R_SCRYPT[] =
    "key encrypted with scrypt (unsupported): convert with "
    "`openssl pkcs8 -topk8 -v2 aes-256-cbc`";
static const char R_PBE_UNSUP[] =
    "key encryption algorithm unsupported: convert with "
    "`openssl pkcs8 -topk8 -v2 aes-256-cbc` (for .p12/.pfx: "
    "`openssl pkcs12 -nodes`)";
static const char R_P12_NOKEY[] = "PKCS#12 file holds no private key";
static const char R_P12_UNSUP_ENC[] =
    "PKCS#12 encrypted with an unsupported algorithm (RC2/RC4): re-export "
    "with `openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC` "
    "or convert with `openssl pkcs12 -nodes`";
static const char R_BER[] =
    "PKCS#12 file uses BER indefinite lengths (unsupported): convert with "
    "`openssl pkcs12 -nodes`";
static const char R_P12_SIGNED[] =
    "PKCS#12 in public-key integrity mode (unsupported): convert with "
    "`openssl pkcs12 -nodes`";
static const char R_TOO_BIG[] = "file too large for a key file";
static const char R_EMPTY[] = "empty key file";
static const char R_IO[] = "cannot read key file";
static const char R_NOMEM[] = "out of memory";

/* OIDs (DER content bytes) */
struct oid { const uint8_t *b; size_t n; };
#define OID(name, ...) static const uint8_t name##_b[] = {__VA_ARGS__}; \
    static const struct oid name = {name##_b, sizeof name##_b}
OID(oid_rsa, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
OID(oid_ec, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
OID(oid_data, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01);
OID(oid_signed, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02);
OID(oid_encdata, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06);
OID(oid_pbes2, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d);
OID(oid_pbkdf2, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c);
OID(oid_scrypt, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b);
OID(oid_p12pbe, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01);
OID(oid_keybag, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x01);
OID(oid_shrouded, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02);
OID(oid_aes128, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02);
OID(oid_aes192, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16);
OID(oid_aes256, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a);
OID(oid_des3, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07);
OID(oid_des, 0x2b, 0x0e, 0x03, 0x02, 0x07);

/* ---- DER TLV walking over the core reader -------------------------------- */

struct tlv {
    uint8_t tag;
    const uint8_t *raw;   /* whole TLV */
    size_t rawlen;
    struct tr_reader c;   /* contents */
};

struct ctx {
    const char *pw;
    size_t pwlen;
    struct tr_rsakey_info *info;
    int indefinite;       /* saw a BER indefinite length */
    int bags;
};

static int tlv_next(struct ctx *cx, struct tr_reader *r, struct tlv *t)
{
    const uint8_t *start = r->p;
    size_t before = tr_rd_left(r);
    t->tag = tr_rd_u8(r);
    uint8_t l = tr_rd_u8(r);
    size_t len = l;
    if (l == 0x80) {
        cx->indefinite = 1;
        r->err = 1;
    } else if (l > 0x80) {
        unsigned n = l & 0x7f;
        if (n > 4)
            r->err = 1;
        len = 0;
        for (unsigned i = 0; i < n && !r->err; i++)
            len = len << 8 | tr_rd_u8(r);
    }
    t->c = tr_rd_sub(r, len);
    if (!tr_rd_ok(r) || !tr_rd_ok(&t->c)) {
        r->err = 1;
        memset(t, 0, sizeof *t);
        t->c.err = 1;
        return 0;
    }
    t->raw = start;
    t->rawlen = before - tr_rd_left(r);
    return 1;
}

/* Reads a TLV that must carry tag. */
static int tlv_expect(struct ctx *cx, struct tr_reader *r, uint8_t tag, struct tlv *t)
{
    if (!tlv_next(cx, r, t))
        return 0;
    if (t->tag != tag) {
        r->err = 1;
        t->c.err = 1;
        return 0;
    }
    return 1;
}

static int oid_is(const struct tlv *t, const struct oid *o)
{
    return t->tag == MBEDTLS_ASN1_OID && t->c.err == 0 &&
           tr_rd_left(&t->c) == o->n && memcmp(t->c.p, o->b, o->n) == 0;
}

static int oid_has_prefix(const struct tlv *t, const struct oid *o)
{
    return t->tag == MBEDTLS_ASN1_OID && tr_rd_left(&t->c) > o->n &&
           memcmp(t->c.p, o->b, o->n) == 0;
}

static mbedtls_asn1_buf asn1buf(const struct tlv *t)
{
    mbedtls_asn1_buf b;
    b.tag = t->tag;
    b.len = tr_rd_left(&t->c);
    b.p = (unsigned char *)t->c.p;
    return b;
}

/* Small non-negative INTEGER. */
static int tlv_uint(const struct tlv *t, unsigned long *v)
{
    struct tr_reader r = t->c;
    size_t n = tr_rd_left(&r);
    if (t->tag != MBEDTLS_ASN1_INTEGER || n == 0 || n > 5)
        return 0;
    unsigned long x = 0;
    if (r.p[0] & 0x80)
        return 0;
    while (tr_rd_left(&r))
        x = x << 8 | tr_rd_u8(&r);
    *v = x;
    return 1;
}

/* ---- decryption of EncryptedPrivateKeyInfo / EncryptedContentInfo ------- */

#define ALG_OK 0
#define ALG_UNSUPPORTED 1   /* reason set */
#define ALG_BAD_PASSWORD 2
#define ALG_MALFORMED 3
#define ALG_NOMEM 4

/* PBES2 (RFC 8018 6.2): params = SEQUENCE { keyDerivationFunc, encryptionScheme }. */
static int pbes2(struct ctx *cx, struct tr_reader params, const uint8_t *ct,
                 size_t ctlen, uint8_t *out, size_t *olen)
{
    struct tlv kdf, kdfoid, kdfp, salt, iter, enc, encoid, iv, t;
    unsigned long iterations, keylen = 0;
    mbedtls_md_type_t md = MBEDTLS_MD_SHA1;
    mbedtls_cipher_type_t ctype;
    uint8_t key[32];
    int rc = ALG_MALFORMED;

    if (!tlv_expect(cx, &params, 0x30, &kdf) ||
        !tlv_expect(cx, &kdf.c, MBEDTLS_ASN1_OID, &kdfoid))
        return ALG_MALFORMED;
    if (oid_is(&kdfoid, &oid_scrypt)) {
        cx->info->reason = R_SCRYPT;
        return ALG_UNSUPPORTED;
    }
    if (!oid_is(&kdfoid, &oid_pbkdf2)) {
        cx->info->reason = R_PBE_UNSUP;
        return ALG_UNSUPPORTED;
    }
    if (!tlv_expect(cx, &kdf.c, 0x30, &kdfp) ||
        !tlv_expect(cx, &kdfp.c, MBEDTLS_ASN1_OCTET_STRING, &salt) ||
        !tlv_expect(cx, &kdfp.c, MBEDTLS_ASN1_INTEGER, &iter) ||
        !tlv_uint(&iter, &iterations) || iterations == 0 ||
        iterations > MAX_ITERATIONS)
        return ALG_MALFORMED;
    while (tr_rd_left(&kdfp.c)) {
        if (!tlv_next(cx, &kdfp.c, &t))
            return ALG_MALFORMED;
        if (t.tag == MBEDTLS_ASN1_INTEGER) {
            if (!tlv_uint(&t, &keylen))
                return ALG_MALFORMED;
        } else if (t.tag == 0x30) {
            struct tlv prf;
            if (!tlv_expect(cx, &t.c, MBEDTLS_ASN1_OID, &prf))
                return ALG_MALFORMED;
            mbedtls_asn1_buf ob = asn1buf(&prf);
            if (mbedtls_oid_get_md_hmac(&ob, &md) != 0) {
                cx->info->reason = R_PBE_UNSUP;
                return ALG_UNSUPPORTED;
            }
        } else {
            return ALG_MALFORMED;
        }
    }
    if (!tlv_expect(cx, &params, 0x30, &enc) ||
        !tlv_expect(cx, &enc.c, MBEDTLS_ASN1_OID, &encoid))
        return ALG_MALFORMED;
    if (oid_is(&encoid, &oid_aes128))
        ctype = MBEDTLS_CIPHER_AES_128_CBC;
    else if (oid_is(&encoid, &oid_aes192))
        ctype = MBEDTLS_CIPHER_AES_192_CBC;
    else if (oid_is(&encoid, &oid_aes256))
        ctype = MBEDTLS_CIPHER_AES_256_CBC;
    else if (oid_is(&encoid, &oid_des3))
        ctype = MBEDTLS_CIPHER_DES_EDE3_CBC;
    else if (oid_is(&encoid, &oid_des))
        ctype = MBEDTLS_CIPHER_DES_CBC;
    else {
        cx->info->reason = R_PBE_UNSUP;
        return ALG_UNSUPPORTED;
    }
    const mbedtls_cipher_info_t *ci = mbedtls_cipher_info_from_type(ctype);
    if (!ci) {
        cx->info->reason = R_PBE_UNSUP;
        return ALG_UNSUPPORTED;
    }
    if (!tlv_expect(cx, &enc.c, MBEDTLS_ASN1_OCTET_STRING, &iv) ||
        tr_rd_left(&iv.c) != ci->iv_size)
        return ALG_MALFORMED;
    size_t klen = ci->key_bitlen / 8;
    if ((keylen && keylen != klen) || klen > sizeof key)
        return ALG_MALFORMED;

    mbedtls_md_context_t mdc;
    mbedtls_cipher_context_t cc;
    mbedtls_md_init(&mdc);
    mbedtls_cipher_init(&cc);
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    if (!mi || mbedtls_md_setup(&mdc, mi, 1) != 0 ||
        mbedtls_pkcs5_pbkdf2_hmac(&mdc, (const unsigned char *)cx->pw, cx->pwlen,
                                  salt.c.p, tr_rd_left(&salt.c),
                                  (unsigned)iterations, (uint32_t)klen, key) != 0) {
        rc = ALG_NOMEM;
        goto out;
    }
    if (mbedtls_cipher_setup(&cc, ci) != 0 ||
        mbedtls_cipher_setkey(&cc, key, (int)ci->key_bitlen, MBEDTLS_DECRYPT) != 0) {
        rc = ALG_NOMEM;
        goto out;
    }
    if (mbedtls_cipher_crypt(&cc, iv.c.p, ci->iv_size, ct, ctlen, out, olen) != 0) {
        rc = ALG_BAD_PASSWORD; /* bad padding */
        goto out;
    }
    rc = ALG_OK;
out:
    mbedtls_platform_zeroize(key, sizeof key);
    mbedtls_cipher_free(&cc);
    mbedtls_md_free(&mdc);
    return rc;
}

/* Decrypts ct under the AlgorithmIdentifier alg (contents reader).  out has
 * room for ctlen + 16 bytes. */
static int decrypt_alg(struct ctx *cx, struct tr_reader alg, const uint8_t *ct,
                       size_t ctlen, uint8_t *out, size_t *olen)
{
    struct tlv oid, params;
    if (!tlv_expect(cx, &alg, MBEDTLS_ASN1_OID, &oid) ||
        !tlv_expect(cx, &alg, 0x30, &params))
        return ALG_MALFORMED;
    cx->info->encrypted = 1;
    if (!cx->pw) {
        cx->info->need_password = 1;
        cx->info->reason = R_PW_NEEDED;
        return ALG_UNSUPPORTED;
    }
    if (oid_is(&oid, &oid_pbes2))
        return pbes2(cx, params.c, ct, ctlen, out, olen);
    if (oid_has_prefix(&oid, &oid_p12pbe)) {
        mbedtls_md_type_t md;
        mbedtls_cipher_type_t ctype;
        mbedtls_asn1_buf ob = asn1buf(&oid);
        if (mbedtls_oid_get_pkcs12_pbe_alg(&ob, &md, &ctype) != 0) {
            cx->info->reason = R_P12_UNSUP_ENC;
            return ALG_UNSUPPORTED;
        }
        mbedtls_asn1_buf pb = asn1buf(&params);
        if (cx->pwlen > 128) /* mbedtls_pkcs12_pbe's limit */
            return ALG_BAD_PASSWORD;
        if (mbedtls_pkcs12_pbe(&pb, MBEDTLS_PKCS12_PBE_DECRYPT, ctype, md,
                               (const unsigned char *)cx->pw, cx->pwlen, ct,
                               ctlen, out) != 0)
            return ALG_BAD_PASSWORD;
        /* mbedtls_pkcs12_pbe does not report the unpadded length: the DER
         * inside carries its own. */
        *olen = ctlen;
        return ALG_OK;
    }
    cx->info->reason = R_PBE_UNSUP;
    return ALG_UNSUPPORTED;
}

/* ---- plain private keys ------------------------------------------------- */

/* Parses a plain PKCS#8/PKCS#1/SEC1 DER key; checks the algorithm first so
 * that Ed25519 & co. get a precise reason.  decrypted: bytes came out of a
 * decryption (garbage means wrong password). */
static int parse_plain_der(struct ctx *cx, const uint8_t *der, size_t len,
                           mbedtls_pk_context *pk, int decrypted)
{
    struct tr_reader r = tr_rd_init(der, len);
    struct tlv seq, ver, alg, oid;
    if (!tlv_expect(cx, &r, 0x30, &seq)) {
        cx->info->reason = decrypted ? R_WRONG_PW : R_PARSE;
        cx->info->wrong_password = decrypted;
        return TR_E_KEY;
    }
    /* PrivateKeyInfo ::= SEQUENCE { INTEGER, AlgorithmIdentifier, ... } */
    struct tr_reader in = seq.c;
    if (tlv_expect(cx, &in, MBEDTLS_ASN1_INTEGER, &ver) &&
        tlv_expect(cx, &in, 0x30, &alg) &&
        tlv_expect(cx, &alg.c, MBEDTLS_ASN1_OID, &oid) && !oid_is(&oid, &oid_rsa)) {
        cx->info->reason = oid_is(&oid, &oid_ec) ? R_NOT_RSA_EC : R_NOT_RSA;
        return TR_E_KEY;
    }
    mbedtls_pk_free(pk);
    mbedtls_pk_init(pk);
    if (mbedtls_pk_parse_key(pk, seq.raw, seq.rawlen, NULL, 0) != 0) {
        cx->info->reason = decrypted ? R_WRONG_PW : R_PARSE;
        cx->info->wrong_password = decrypted;
        return TR_E_KEY;
    }
    return 0;
}

/* EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING } */
static int parse_epki(struct ctx *cx, const uint8_t *der, size_t len,
                      mbedtls_pk_context *pk)
{
    struct tr_reader r = tr_rd_init(der, len);
    struct tlv seq, alg, data;
    if (!tlv_expect(cx, &r, 0x30, &seq) || !tlv_expect(cx, &seq.c, 0x30, &alg) ||
        !tlv_expect(cx, &seq.c, MBEDTLS_ASN1_OCTET_STRING, &data)) {
        cx->info->reason = R_PARSE;
        return TR_E_KEY;
    }
    size_t ctlen = tr_rd_left(&data.c), olen = 0;
    uint8_t *out = malloc(ctlen + 32);
    if (!out) {
        cx->info->reason = R_NOMEM;
        return TR_E_NOMEM;
    }
    int rc = TR_E_KEY;
    int a = decrypt_alg(cx, alg.c, data.c.p, ctlen, out, &olen);
    if (a == ALG_OK) {
        rc = parse_plain_der(cx, out, olen, pk, 1);
    } else if (a == ALG_BAD_PASSWORD) {
        cx->info->wrong_password = 1;
        cx->info->reason = R_WRONG_PW;
    } else if (a == ALG_MALFORMED) {
        cx->info->reason = R_PARSE;
    } else if (a == ALG_NOMEM) {
        cx->info->reason = R_NOMEM;
        rc = TR_E_NOMEM;
    }
    mbedtls_platform_zeroize(out, ctlen + 32);
    free(out);
    return rc;
}

/* ---- PKCS#12 ------------------------------------------------------------ */

static int p12_safecontents(struct ctx *cx, struct tr_reader sc,
                            mbedtls_pk_context *pk, int *found);

/* Tries one key candidate; keeps the first RSA key found. */
static int p12_key(struct ctx *cx, const struct tlv *val, int shrouded,
                   mbedtls_pk_context *pk, int *found)
{
    mbedtls_pk_context tmp;
    mbedtls_pk_init(&tmp);
    int rc = shrouded ? parse_epki(cx, val->raw, val->rawlen, &tmp)
                      : parse_plain_der(cx, val->raw, val->rawlen, &tmp, 0);
    if (rc == 0) {
        if (mbedtls_pk_get_type(&tmp) == MBEDTLS_PK_RSA) {
            mbedtls_pk_free(pk);
            *pk = tmp; /* move */
            *found = 1;
            cx->info->reason = NULL;
            return 0;
        }
        cx->info->reason = R_NOT_RSA_EC;
        rc = TR_E_KEY;
    }
    mbedtls_pk_free(&tmp);
    return rc;
}

static int p12_bag(struct ctx *cx, struct tlv *bag, mbedtls_pk_context *pk,
                   int *found)
{
    struct tlv id, wrap, val;
    if (++cx->bags > MAX_BAGS)
        return TR_E_KEY;
    if (!tlv_expect(cx, &bag->c, MBEDTLS_ASN1_OID, &id) ||
        !tlv_expect(cx, &bag->c, 0xa0, &wrap) || !tlv_next(cx, &wrap.c, &val))
        return TR_E_KEY;
    if (oid_is(&id, &oid_keybag))
        return p12_key(cx, &val, 0, pk, found);
    if (oid_is(&id, &oid_shrouded))
        return p12_key(cx, &val, 1, pk, found);
    return 0; /* certBag, crlBag, secretBag, safeContentsBag: not needed */
}

static int p12_safecontents(struct ctx *cx, struct tr_reader sc,
                            mbedtls_pk_context *pk, int *found)
{
    struct tlv seq, bag;
    int rc = 0;
    if (!tlv_expect(cx, &sc, 0x30, &seq))
        return TR_E_KEY;
    while (tr_rd_left(&seq.c) && !*found) {
        if (!tlv_expect(cx, &seq.c, 0x30, &bag))
            return TR_E_KEY;
        int r = p12_bag(cx, &bag, pk, found);
        if (r == TR_E_NOMEM)
            return r;
        if (r)
            rc = r; /* remember, keep looking for another key */
    }
    return *found ? 0 : rc;
}

/* EncryptedData ::= SEQUENCE { version, EncryptedContentInfo ::= SEQUENCE {
 *   contentType, contentEncryptionAlgorithm, [0] IMPLICIT OCTET STRING } } */
static int p12_encrypted(struct ctx *cx, struct tr_reader in,
                         mbedtls_pk_context *pk, int *found)
{
    struct tlv ed, ver, eci, ctype, alg, ct;
    if (!tlv_expect(cx, &in, 0x30, &ed) ||
        !tlv_expect(cx, &ed.c, MBEDTLS_ASN1_INTEGER, &ver) ||
        !tlv_expect(cx, &ed.c, 0x30, &eci) ||
        !tlv_expect(cx, &eci.c, MBEDTLS_ASN1_OID, &ctype) ||
        !tlv_expect(cx, &eci.c, 0x30, &alg) || !tlv_next(cx, &eci.c, &ct) ||
        (ct.tag != 0x80 && ct.tag != 0xa0))
        return TR_E_KEY;
    if (ct.tag == 0xa0) /* constructed (BER) octet string: not handled */
        return TR_E_KEY;
    size_t ctlen = tr_rd_left(&ct.c), olen = 0;
    uint8_t *out = malloc(ctlen + 32);
    if (!out)
        return TR_E_NOMEM;
    int rc = TR_E_KEY;
    int a = decrypt_alg(cx, alg.c, ct.c.p, ctlen, out, &olen);
    if (a == ALG_OK)
        rc = p12_safecontents(cx, tr_rd_init(out, olen), pk, found);
    else if (a == ALG_BAD_PASSWORD)
        cx->info->wrong_password = 1;
    else if (a == ALG_NOMEM)
        rc = TR_E_NOMEM;
    mbedtls_platform_zeroize(out, ctlen + 32);
    free(out);
    return rc;
}

/* PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData } */
static int parse_pkcs12(struct ctx *cx, const uint8_t *der, size_t len,
                        mbedtls_pk_context *pk)
{
    struct tr_reader r = tr_rd_init(der, len);
    struct tlv pfx, ver, as, asoid, asw, asoct, safes, ci, cioid, ciw, oct;
    int found = 0, rc = 0, saw_unsup = 0;
    const char *unsup_reason = NULL;

    cx->info->format = TR_RSAKEY_FMT_PKCS12;
    if (!tlv_expect(cx, &r, 0x30, &pfx) ||
        !tlv_expect(cx, &pfx.c, MBEDTLS_ASN1_INTEGER, &ver) ||
        !tlv_expect(cx, &pfx.c, 0x30, &as) ||
        !tlv_expect(cx, &as.c, MBEDTLS_ASN1_OID, &asoid))
        goto malformed;
    if (oid_is(&asoid, &oid_signed)) {
        cx->info->reason = R_P12_SIGNED;
        return TR_E_KEY;
    }
    if (!oid_is(&asoid, &oid_data) || !tlv_expect(cx, &as.c, 0xa0, &asw) ||
        !tlv_expect(cx, &asw.c, MBEDTLS_ASN1_OCTET_STRING, &asoct) ||
        !tlv_expect(cx, &asoct.c, 0x30, &safes))
        goto malformed;
    while (tr_rd_left(&safes.c) && !found) {
        if (!tlv_expect(cx, &safes.c, 0x30, &ci) ||
            !tlv_expect(cx, &ci.c, MBEDTLS_ASN1_OID, &cioid))
            goto malformed;
        if (!tr_rd_left(&ci.c))
            continue;
        if (!tlv_expect(cx, &ci.c, 0xa0, &ciw))
            goto malformed;
        const char *before = cx->info->reason;
        int r2;
        if (oid_is(&cioid, &oid_data)) {
            if (!tlv_expect(cx, &ciw.c, MBEDTLS_ASN1_OCTET_STRING, &oct))
                goto malformed;
            r2 = p12_safecontents(cx, oct.c, pk, &found);
        } else if (oid_is(&cioid, &oid_encdata)) {
            r2 = p12_encrypted(cx, ciw.c, pk, &found);
            if (r2 && cx->info->reason != before && !cx->info->wrong_password &&
                !cx->info->need_password) {
                /* e.g. RC2-encrypted certificates: fine if the key is
                 * elsewhere; remembered for the report otherwise */
                saw_unsup = 1;
                unsup_reason = cx->info->reason;
                cx->info->reason = before;
                r2 = 0;
            }
        } else {
            continue; /* envelopedData etc.: nothing we can open */
        }
        if (r2 == TR_E_NOMEM)
            return r2;
        if (r2 && !rc)
            rc = r2;
    }
    if (found)
        return 0;
    if (cx->indefinite) {
        cx->info->reason = R_BER;
        return TR_E_KEY;
    }
    if (cx->info->need_password) {
        cx->info->reason = R_PW_NEEDED;
        return TR_E_KEY;
    }
    if (cx->info->wrong_password) {
        cx->info->reason = R_WRONG_PW;
        return TR_E_KEY;
    }
    if (!cx->info->reason)
        cx->info->reason = saw_unsup ? unsup_reason : R_P12_NOKEY;
    (void)rc;
    return TR_E_KEY;
malformed:
    cx->info->reason = cx->indefinite ? R_BER : R_PARSE;
    return TR_E_KEY;
}

/* ---- format detection --------------------------------------------------- */

const char *tr_rsakey_format_str(enum tr_rsakey_format f)
{
    switch (f) {
    case TR_RSAKEY_FMT_UNKNOWN: return "unknown";
    case TR_RSAKEY_FMT_PEM: return "PEM";
    case TR_RSAKEY_FMT_PEM_LEGACY_ENC: return "encrypted PEM (legacy)";
    case TR_RSAKEY_FMT_PEM_PKCS8_ENC: return "encrypted PKCS#8 PEM";
    case TR_RSAKEY_FMT_DER: return "DER";
    case TR_RSAKEY_FMT_DER_PKCS8_ENC: return "encrypted PKCS#8 DER";
    case TR_RSAKEY_FMT_PKCS12: return "PKCS#12";
    }
    return "?";
}

static const uint8_t *memfind(const uint8_t *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle);
    if (nn == 0 || hn < nn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == (uint8_t)needle[0] && memcmp(h + i, needle, nn) == 0)
            return h + i;
    return NULL;
}

static int map_pk_error(struct ctx *cx, int e)
{
    if (e == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
        cx->info->encrypted = 1;
        cx->info->need_password = 1;
        cx->info->reason = R_PW_NEEDED;
    } else if (e == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
        cx->info->encrypted = 1;
        cx->info->wrong_password = 1;
        cx->info->reason = R_WRONG_PW;
    } else if (e == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG) {
        cx->info->reason = R_NOT_RSA;
    } else {
        cx->info->reason = R_PARSE;
    }
    return TR_E_KEY;
}

static int load_pem(struct ctx *cx, const uint8_t *data, size_t len,
                    mbedtls_pk_context *pk)
{
    /* mbedTLS wants PEM NUL-terminated, length including the NUL */
    int rc;
    uint8_t *z = malloc(len + 1);
    if (!z) {
        cx->info->reason = R_NOMEM;
        return TR_E_NOMEM;
    }
    memcpy(z, data, len);
    z[len] = '\0';
    cx->info->format = TR_RSAKEY_FMT_PEM;
    if (memfind(data, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        mbedtls_pem_context pem;
        size_t used;
        mbedtls_pem_init(&pem);
        cx->info->format = TR_RSAKEY_FMT_PEM_PKCS8_ENC;
        cx->info->encrypted = 1;
        if (mbedtls_pem_read_buffer(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----",
                                    "-----END ENCRYPTED PRIVATE KEY-----", z,
                                    NULL, 0, &used) != 0) {
            cx->info->reason = R_PARSE;
            rc = TR_E_KEY;
        } else {
            rc = parse_epki(cx, pem.buf, pem.buflen, pk);
        }
        mbedtls_pem_free(&pem);
    } else if (memfind(data, len, "PRIVATE KEY-----")) {
        if (memfind(data, len, "Proc-Type: 4,ENCRYPTED")) {
            cx->info->format = TR_RSAKEY_FMT_PEM_LEGACY_ENC;
            cx->info->encrypted = 1;
        }
        if (!memfind(data, len, "-----BEGIN RSA PRIVATE KEY-----") &&
            !memfind(data, len, "-----BEGIN PRIVATE KEY-----") &&
            memfind(data, len, "-----BEGIN EC PRIVATE KEY-----")) {
            cx->info->reason = R_NOT_RSA_EC;
            rc = TR_E_KEY;
        } else if (memfind(data, len, "-----BEGIN PRIVATE KEY-----")) {
            /* PKCS#8: decode ourselves to name the algorithm if not RSA */
            mbedtls_pem_context pem;
            size_t used;
            mbedtls_pem_init(&pem);
            if (mbedtls_pem_read_buffer(&pem, "-----BEGIN PRIVATE KEY-----",
                                        "-----END PRIVATE KEY-----", z, NULL, 0,
                                        &used) != 0) {
                cx->info->reason = R_PARSE;
                rc = TR_E_KEY;
            } else {
                rc = parse_plain_der(cx, pem.buf, pem.buflen, pk, 0);
            }
            mbedtls_pem_free(&pem);
        } else {
            int e = mbedtls_pk_parse_key(pk, z, len + 1,
                                         (const unsigned char *)cx->pw,
                                         cx->pw ? cx->pwlen : 0);
            rc = e ? map_pk_error(cx, e) : 0;
        }
    } else if (memfind(data, len, "-----BEGIN CERTIFICATE-----")) {
        cx->info->reason = R_CERT;
        rc = TR_E_KEY;
    } else {
        cx->info->reason = R_PARSE;
        rc = TR_E_KEY;
    }
    mbedtls_platform_zeroize(z, len + 1);
    free(z);
    return rc;
}

static int load_der(struct ctx *cx, const uint8_t *data, size_t len,
                    mbedtls_pk_context *pk)
{
    struct tr_reader r = tr_rd_init(data, len);
    struct tlv seq, a, b;
    cx->info->format = TR_RSAKEY_FMT_DER;
    if (!tlv_expect(cx, &r, 0x30, &seq) || !tlv_next(cx, &seq.c, &a) ||
        !tlv_next(cx, &seq.c, &b)) {
        cx->info->reason = cx->indefinite ? R_BER : R_PARSE;
        return TR_E_KEY;
    }
    /* PFX: INTEGER 3, ContentInfo SEQUENCE { OID ... } */
    if (a.tag == MBEDTLS_ASN1_INTEGER && b.tag == 0x30 && tr_rd_left(&b.c) &&
        b.c.p[0] == MBEDTLS_ASN1_OID) {
        unsigned long v;
        if (tlv_uint(&a, &v) && v == 3)
            return parse_pkcs12(cx, data, len, pk);
    }
    /* EncryptedPrivateKeyInfo: AlgorithmIdentifier, OCTET STRING */
    if (a.tag == 0x30 && b.tag == MBEDTLS_ASN1_OCTET_STRING) {
        cx->info->format = TR_RSAKEY_FMT_DER_PKCS8_ENC;
        cx->info->encrypted = 1;
        return parse_epki(cx, data, len, pk);
    }
    /* Certificate: SEQUENCE { tbsCertificate SEQUENCE, AlgorithmIdentifier, BIT STRING } */
    if (a.tag == 0x30 && b.tag == 0x30 && tr_rd_left(&seq.c) &&
        seq.c.p[0] == MBEDTLS_ASN1_BIT_STRING) {
        cx->info->reason = R_CERT;
        return TR_E_KEY;
    }
    return parse_plain_der(cx, seq.raw, seq.rawlen, pk, 0);
}

int tr_rsakey_load_mem(const uint8_t *data, size_t len, const char *password,
                       size_t pwlen, mbedtls_pk_context *pk,
                       struct tr_rsakey_info *info)
{
    struct ctx cx;
    int rc;
    memset(&cx, 0, sizeof cx);
    cx.pw = password;
    cx.pwlen = password ? pwlen : 0;
    cx.info = info;
    info->format = TR_RSAKEY_FMT_UNKNOWN;
    info->encrypted = info->need_password = info->wrong_password = 0;
    info->bits = 0;
    info->reason = NULL;
    if (!data || len == 0) {
        info->reason = R_EMPTY;
        return TR_E_KEY;
    }
    if (memfind(data, len, "-----BEGIN "))
        rc = load_pem(&cx, data, len, pk);
    else
        rc = load_der(&cx, data, len, pk);
    if (rc == 0 && mbedtls_pk_get_type(pk) != MBEDTLS_PK_RSA) {
        info->reason = mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY) ? R_NOT_RSA_EC : R_NOT_RSA;
        rc = TR_E_KEY;
    }
    if (rc == 0 && mbedtls_rsa_check_privkey(mbedtls_pk_rsa(*pk)) != 0) {
        info->reason = R_PARSE;
        rc = TR_E_KEY;
    }
    if (rc != 0) {
        mbedtls_pk_free(pk);
        mbedtls_pk_init(pk);
        if (!info->reason)
            info->reason = R_PARSE;
        if (info->need_password)
            info->wrong_password = 0;
        return rc == TR_E_NOMEM ? TR_E_NOMEM : TR_E_KEY;
    }
    info->bits = mbedtls_pk_get_bitlen(pk);
    return 0;
}

int tr_rsakey_load(const char *path, const char *password, size_t pwlen,
                   mbedtls_pk_context *pk, struct tr_rsakey_info *info)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;
    memset(info, 0, sizeof *info);
    FILE *f = fopen(path, "rb");
    if (!f) {
        info->reason = R_IO;
        return TR_E_IO;
    }
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        info->reason = R_IO;
        errno = e;
        return TR_E_IO;
    }
    info->mode = (unsigned)(st.st_mode & 07777);
    info->perms_warning = (st.st_mode & 077) != 0;
    if (st.st_size < 0 || (uint64_t)st.st_size > TR_RSAKEY_MAX_FILE) {
        fclose(f);
        info->reason = R_TOO_BIG;
        return TR_E_KEY;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        info->reason = R_NOMEM;
        return TR_E_NOMEM;
    }
    len = fread(buf, 1, (size_t)st.st_size + 1, f);
    if (ferror(f) || len > (size_t)st.st_size) {
        int e = errno;
        rc = ferror(f) ? TR_E_IO : TR_E_KEY;
        info->reason = ferror(f) ? R_IO : R_TOO_BIG;
        fclose(f);
        mbedtls_platform_zeroize(buf, (size_t)st.st_size + 1);
        free(buf);
        errno = e;
        return rc;
    }
    fclose(f);
    unsigned mode = info->mode;
    int warn = info->perms_warning;
    rc = tr_rsakey_load_mem(buf, len, password, pwlen, pk, info);
    info->mode = mode;
    info->perms_warning = warn;
    mbedtls_platform_zeroize(buf, (size_t)st.st_size + 1);
    free(buf);
    return rc;
}
