/* recdec.c - TLS record decryption (see recdec.h for the contract). */
#include "tls/recdec.h"

#include <string.h>

#include <mbedtls/platform_util.h>

#include "core/err.h"
#include "core/limits.h"

/* RFC 8446 5.2: TLSCiphertext.length <= 2^14 + 256; RFC 5246 6.2.3 allows
 * 2^14 + 2048 before 1.3.  One bound from limits.h covers both. */
#define MAX_BODY TR_TLS_MAX_RECORD

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Compares without an early exit; we are not an oracle for anyone, but
 * there is no reason to be a timing one either. */
static int ct_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    return d != 0;
}

static mbedtls_cipher_type_t cipher_type(const struct tr_suite *s)
{
    switch (s->cipher) {
    case TR_CIPHER_RC4_40:
    case TR_CIPHER_RC4_128:
        return MBEDTLS_CIPHER_ARC4_128;
    case TR_CIPHER_DES40:
    case TR_CIPHER_DES:
        return MBEDTLS_CIPHER_DES_CBC;
    case TR_CIPHER_3DES:
        return MBEDTLS_CIPHER_DES_EDE3_CBC;
    case TR_CIPHER_AES_128:
        switch (s->mode) {
        case TR_MODE_CBC: return MBEDTLS_CIPHER_AES_128_CBC;
        case TR_MODE_GCM: return MBEDTLS_CIPHER_AES_128_GCM;
        case TR_MODE_CCM:
        case TR_MODE_CCM_8: return MBEDTLS_CIPHER_AES_128_CCM;
        default: break;
        }
        break;
    case TR_CIPHER_AES_256:
        switch (s->mode) {
        case TR_MODE_CBC: return MBEDTLS_CIPHER_AES_256_CBC;
        case TR_MODE_GCM: return MBEDTLS_CIPHER_AES_256_GCM;
        case TR_MODE_CCM:
        case TR_MODE_CCM_8: return MBEDTLS_CIPHER_AES_256_CCM;
        default: break;
        }
        break;
    case TR_CIPHER_CAMELLIA_128:
        if (s->mode == TR_MODE_CBC)
            return MBEDTLS_CIPHER_CAMELLIA_128_CBC;
        if (s->mode == TR_MODE_GCM)
            return MBEDTLS_CIPHER_CAMELLIA_128_GCM;
        break;
    case TR_CIPHER_CAMELLIA_256:
        if (s->mode == TR_MODE_CBC)
            return MBEDTLS_CIPHER_CAMELLIA_256_CBC;
        if (s->mode == TR_MODE_GCM)
            return MBEDTLS_CIPHER_CAMELLIA_256_GCM;
        break;
    case TR_CIPHER_CHACHA20:
        return MBEDTLS_CIPHER_CHACHA20_POLY1305;
    default:
        break;
    }
    return MBEDTLS_CIPHER_NONE;
}

static mbedtls_md_type_t mac_type(unsigned mac)
{
    switch (mac) {
    case TR_MAC_MD5: return MBEDTLS_MD_MD5;
    case TR_MAC_SHA1: return MBEDTLS_MD_SHA1;
    case TR_MAC_SHA256: return MBEDTLS_MD_SHA256;
    case TR_MAC_SHA384: return MBEDTLS_MD_SHA384;
    default: return MBEDTLS_MD_NONE;
    }
}

static int is_aead(const struct tr_suite *s)
{
    return (s->flags & TR_SUITE_AEAD) != 0;
}

/* Keys the contexts; they were set up by init. */
static int set_keys(struct tr_recdec *rd, const struct tr_dir_keys *k)
{
    const struct tr_suite *s = rd->suite;
    int implicit_iv = is_aead(s) ||
                      (s->mode == TR_MODE_CBC && rd->version <= TR_VER_TLS10);

    if (k->key_len != s->exp_key_len || k->key_len > sizeof k->key)
        return TR_E_ARG;
    if (!is_aead(s) && k->mac_len != s->mac_len)
        return TR_E_ARG;
    if (implicit_iv && (k->iv_len != s->iv_len || k->iv_len > sizeof rd->iv))
        return TR_E_ARG;
    if (s->cipher != TR_CIPHER_NULL &&
        mbedtls_cipher_setkey(&rd->cipher, k->key, 8 * (int)k->key_len,
                              MBEDTLS_DECRYPT) != 0)
        return TR_E_ARG;
    if (!is_aead(s) && s->mac_len) {
        if (rd->version == TR_VER_SSL3) {
            memcpy(rd->mac_key, k->mac_key, k->mac_len);
        } else if (mbedtls_md_hmac_starts(&rd->hmac, k->mac_key, k->mac_len) != 0) {
            return TR_E_NOMEM;
        }
    }
    rd->mac_len = is_aead(s) ? 0 : k->mac_len;
    rd->iv_len = implicit_iv ? k->iv_len : 0;
    if (implicit_iv)
        memcpy(rd->iv, k->iv, k->iv_len);
    rd->seq = 0;
    return 0;
}

int tr_recdec_init(struct tr_recdec *rd, const struct tr_suite *s,
                   uint16_t version, int encrypt_then_mac,
                   const struct tr_dir_keys *keys)
{
    int rc;

    memset(rd, 0, sizeof *rd);
    mbedtls_cipher_init(&rd->cipher);
    mbedtls_md_init(&rd->hmac);
    mbedtls_md_init(&rd->hash);
    rd->ready = 1; /* contexts initialised: free is meaningful from here */
    rc = tr_suite_check(s, version);
    if (rc)
        goto fail;
    rd->suite = s;
    rd->version = version;
    rd->etm = (encrypt_then_mac && s->mode == TR_MODE_CBC) ? 1 : 0;

    if (s->cipher != TR_CIPHER_NULL) {
        const mbedtls_cipher_info_t *ci =
            mbedtls_cipher_info_from_type(cipher_type(s));
        if (!ci) {
            rc = TR_E_UNSUPPORTED;
            goto fail;
        }
        if (mbedtls_cipher_setup(&rd->cipher, ci) != 0) {
            rc = TR_E_NOMEM;
            goto fail;
        }
        if (s->mode == TR_MODE_CBC &&
            mbedtls_cipher_set_padding_mode(&rd->cipher, MBEDTLS_PADDING_NONE) != 0) {
            rc = TR_E_UNSUPPORTED;
            goto fail;
        }
    }
    if (!is_aead(s) && s->mac_len) {
        const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(mac_type(s->mac));
        if (!mi) {
            rc = TR_E_UNSUPPORTED;
            goto fail;
        }
        if (mbedtls_md_setup(version == TR_VER_SSL3 ? &rd->hash : &rd->hmac, mi,
                             version == TR_VER_SSL3 ? 0 : 1) != 0) {
            rc = TR_E_NOMEM;
            goto fail;
        }
    }
    rc = set_keys(rd, keys);
    if (rc)
        goto fail;
    return 0;
fail:
    tr_recdec_free(rd);
    return rc;
}

int tr_recdec_rekey(struct tr_recdec *rd, const struct tr_dir_keys *keys)
{
    if (!rd->ready || !rd->suite)
        return TR_E_ARG;
    return set_keys(rd, keys);
}

uint64_t tr_recdec_seq(const struct tr_recdec *rd)
{
    return rd->seq;
}

void tr_recdec_set_seq(struct tr_recdec *rd, uint64_t seq)
{
    rd->seq = seq;
}

void tr_recdec_free(struct tr_recdec *rd)
{
    if (rd->ready) {
        mbedtls_cipher_free(&rd->cipher);
        mbedtls_md_free(&rd->hmac);
        mbedtls_md_free(&rd->hash);
    }
    mbedtls_platform_zeroize(rd, sizeof *rd);
}

/* MAC of a pre-1.3 record: HMAC(seq || type || version || len || data), or
 * for SSLv3 hash(key + pad2 + hash(key + pad1 + seq || type || len || data)). */
static int record_mac(struct tr_recdec *rd, uint64_t seq, uint8_t type,
                      uint16_t version, const uint8_t *data, size_t len,
                      uint8_t out[48])
{
    uint8_t hdr[13];
    put_u64(hdr, seq);
    hdr[8] = type;
    if (rd->version == TR_VER_SSL3) {
        static const uint8_t pad1[48] = {
            0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36,
            0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36,
            0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36,
            0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36, 0x36,
        };
        uint8_t pad2[48], inner[48];
        size_t npad = rd->mac_len == 16 ? 48 : 40;
        memset(pad2, 0x5c, sizeof pad2);
        hdr[9] = (uint8_t)(len >> 8);
        hdr[10] = (uint8_t)len;
        if (mbedtls_md_starts(&rd->hash) ||
            mbedtls_md_update(&rd->hash, rd->mac_key, rd->mac_len) ||
            mbedtls_md_update(&rd->hash, pad1, npad) ||
            mbedtls_md_update(&rd->hash, hdr, 11) ||
            mbedtls_md_update(&rd->hash, data, len) ||
            mbedtls_md_finish(&rd->hash, inner) || mbedtls_md_starts(&rd->hash) ||
            mbedtls_md_update(&rd->hash, rd->mac_key, rd->mac_len) ||
            mbedtls_md_update(&rd->hash, pad2, npad) ||
            mbedtls_md_update(&rd->hash, inner, rd->mac_len) ||
            mbedtls_md_finish(&rd->hash, out))
            return TR_E_NOMEM;
        return 0;
    }
    hdr[9] = (uint8_t)(version >> 8);
    hdr[10] = (uint8_t)version;
    hdr[11] = (uint8_t)(len >> 8);
    hdr[12] = (uint8_t)len;
    if (mbedtls_md_hmac_reset(&rd->hmac) ||
        mbedtls_md_hmac_update(&rd->hmac, hdr, sizeof hdr) ||
        mbedtls_md_hmac_update(&rd->hmac, data, len) ||
        mbedtls_md_hmac_finish(&rd->hmac, out))
        return TR_E_NOMEM;
    return 0;
}

static int check_mac(struct tr_recdec *rd, uint64_t seq, uint8_t type,
                     uint16_t version, const uint8_t *data, size_t len,
                     const uint8_t *mac)
{
    uint8_t calc[48];
    if (record_mac(rd, seq, type, version, data, len, calc) != 0)
        return TR_E_DECRYPT;
    return ct_differ(calc, mac, rd->mac_len) ? TR_E_DECRYPT : 0;
}

/* NULL cipher and RC4: MAC-then-encrypt, no padding. */
static int dec_stream(struct tr_recdec *rd, uint64_t seq, uint8_t type,
                      uint16_t version, const uint8_t *in, size_t inlen,
                      uint8_t *out, size_t *outlen)
{
    if (inlen < rd->mac_len)
        return TR_E_TRUNCATED;
    if (rd->suite->cipher == TR_CIPHER_NULL) {
        if (out != in)
            memmove(out, in, inlen);
    } else {
        size_t olen = 0;
        /* The RC4 keystream runs on across records: update, never reset. */
        if (mbedtls_cipher_update(&rd->cipher, in, inlen, out, &olen) != 0 ||
            olen != inlen)
            return TR_E_DECRYPT;
    }
    size_t n = inlen - rd->mac_len;
    if (rd->mac_len && check_mac(rd, seq, type, version, out, n, out + n))
        return TR_E_DECRYPT;
    *outlen = n;
    return 0;
}

static int dec_cbc(struct tr_recdec *rd, uint64_t seq, uint8_t type,
                   uint16_t version, const uint8_t *in, size_t inlen,
                   uint8_t *out, size_t *outlen)
{
    size_t bs = rd->suite->block_len, mac = rd->mac_len;
    size_t ivlen = rd->version >= TR_VER_TLS11 ? bs : 0;
    size_t clen = rd->etm ? inlen - mac : inlen; /* checked below */
    uint8_t iv[16], next_iv[16];

    if (inlen < ivlen + bs + (rd->etm ? mac : 0))
        return TR_E_TRUNCATED;
    if (!rd->etm && inlen < ivlen + ((mac + 1 + bs - 1) / bs) * bs)
        return TR_E_TRUNCATED;
    if ((clen - ivlen) % bs != 0)
        return TR_E_MALFORMED;
    if (ivlen) {
        memcpy(iv, in, bs);
    } else {
        memcpy(iv, rd->iv, bs);
        memcpy(next_iv, in + clen - bs, bs); /* before an in-place decrypt */
        memcpy(rd->iv, next_iv, bs);
    }
    if (rd->etm && check_mac(rd, seq, type, version, in, clen, in + clen))
        return TR_E_DECRYPT;

    size_t olen = 0;
    if (mbedtls_cipher_crypt(&rd->cipher, iv, bs, in + ivlen, clen - ivlen,
                             out + ivlen, &olen) != 0 ||
        olen != clen - ivlen)
        return TR_E_DECRYPT;
    uint8_t *p = out + ivlen;
    size_t n = olen;

    /* Padding: TLS requires every pad byte = pad length (RFC 5246 6.2.3.2);
     * SSLv3 only bounds its length by the block size (RFC 6101 5.2.3.2). */
    size_t pad = p[n - 1];
    if (pad + 1 > n)
        return TR_E_DECRYPT;
    if (rd->version == TR_VER_SSL3) {
        if (pad + 1 > bs)
            return TR_E_DECRYPT;
    } else {
        uint8_t bad = 0;
        for (size_t i = n - 1 - pad; i < n - 1; i++)
            bad |= (uint8_t)(p[i] ^ pad);
        if (bad)
            return TR_E_DECRYPT;
    }
    n -= pad + 1;
    if (!rd->etm) {
        if (n < mac)
            return TR_E_DECRYPT;
        n -= mac;
        if (check_mac(rd, seq, type, version, p, n, p + n))
            return TR_E_DECRYPT;
    }
    if (ivlen)
        memmove(out, p, n);
    *outlen = n;
    return 0;
}

/* TLS 1.2 AEAD (RFC 5288 3, RFC 6655 3, RFC 7905 2) and TLS 1.3 (RFC 8446 5.2). */
static int dec_aead(struct tr_recdec *rd, uint64_t seq, uint8_t type,
                    uint16_t version, const uint8_t *in, size_t inlen,
                    uint8_t *out, size_t *outlen, uint8_t *inner_type)
{
    const struct tr_suite *s = rd->suite;
    size_t tag = s->tag_len, explicit_len = s->rec_iv_len;
    uint8_t nonce[12], aad[13];
    size_t nlen, aadlen, olen = 0;
    int tls13 = rd->version == TR_VER_TLS13;

    if (inlen < explicit_len + tag + (tls13 ? 1 : 0))
        return TR_E_TRUNCATED;
    size_t clen = inlen - explicit_len - tag; /* plaintext length */

    if (explicit_len) { /* GCM/CCM: fixed 4 bytes || explicit 8 bytes */
        memcpy(nonce, rd->iv, 4);
        memcpy(nonce + 4, in, 8);
        nlen = 12;
    } else { /* ChaCha20 and TLS 1.3: iv XOR padded seq */
        memcpy(nonce, rd->iv, 12);
        uint8_t sq[8];
        put_u64(sq, seq);
        for (int i = 0; i < 8; i++)
            nonce[4 + i] ^= sq[i];
        nlen = 12;
    }
    if (tls13) { /* additional data = the record header */
        aad[0] = type;
        aad[1] = (uint8_t)(version >> 8);
        aad[2] = (uint8_t)version;
        aad[3] = (uint8_t)(inlen >> 8);
        aad[4] = (uint8_t)inlen;
        aadlen = 5;
    } else {
        put_u64(aad, seq);
        aad[8] = type;
        aad[9] = (uint8_t)(version >> 8);
        aad[10] = (uint8_t)version;
        aad[11] = (uint8_t)(clen >> 8);
        aad[12] = (uint8_t)clen;
        aadlen = 13;
    }
    /* Decrypt at the same offset as the input (safe in place), move after. */
    if (mbedtls_cipher_auth_decrypt_ext(&rd->cipher, nonce, nlen, aad, aadlen,
                                        in + explicit_len, clen + tag,
                                        out + explicit_len, clen, &olen, tag) != 0 ||
        olen != clen)
        return TR_E_DECRYPT;
    if (explicit_len)
        memmove(out, out + explicit_len, clen);
    if (tls13) {
        /* TLSInnerPlaintext: content || type || zeros (RFC 8446 5.4). */
        size_t i = clen;
        while (i > 0 && out[i - 1] == 0)
            i--;
        if (i == 0)
            return TR_E_DECRYPT;
        *inner_type = out[i - 1];
        clen = i - 1;
    }
    *outlen = clen;
    return 0;
}

int tr_recdec_decrypt(struct tr_recdec *rd, uint8_t content_type,
                      uint16_t record_version, const uint8_t *in, size_t inlen,
                      uint8_t *out, size_t *outlen, uint8_t *inner_type)
{
    int rc;
    *outlen = 0;
    if (!rd->ready || !rd->suite)
        return TR_E_ARG;
    uint64_t seq = rd->seq++;
    *inner_type = content_type;
    if (inlen > MAX_BODY)
        return TR_E_MALFORMED;
    switch (rd->suite->mode) {
    case TR_MODE_NONE:
    case TR_MODE_STREAM:
        rc = dec_stream(rd, seq, content_type, record_version, in, inlen, out, outlen);
        break;
    case TR_MODE_CBC:
        rc = dec_cbc(rd, seq, content_type, record_version, in, inlen, out, outlen);
        break;
    case TR_MODE_GCM:
    case TR_MODE_CCM:
    case TR_MODE_CCM_8:
    case TR_MODE_POLY1305:
        rc = dec_aead(rd, seq, content_type, record_version, in, inlen, out,
                      outlen, inner_type);
        break;
    default:
        rc = TR_E_UNSUPPORTED;
        break;
    }
    if (rc) {
        /* No unauthenticated byte leaves: wipe what may have been written. */
        mbedtls_platform_zeroize(out, inlen);
        *outlen = 0;
        *inner_type = content_type;
    }
    return rc;
}
