/* keysched.c - TLS key schedules (see keysched.h for the RFC map). */
#include "tls/keysched.h"

#include <string.h>

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

#include "core/err.h"

int tr_secret_set(struct tr_secret *s, const uint8_t *p, size_t n)
{
    if (n > sizeof s->b) {
        tr_secret_wipe(s);
        return TR_E_LIMIT;
    }
    if (n)
        memcpy(s->b, p, n);
    s->len = n;
    return 0;
}

void tr_secret_wipe(struct tr_secret *s)
{
    mbedtls_platform_zeroize(s, sizeof *s);
}

void tr_keys_wipe(struct tr_dir_keys *k)
{
    mbedtls_platform_zeroize(k, sizeof *k);
}

void tr_key_block_wipe(struct tr_key_block *kb)
{
    mbedtls_platform_zeroize(kb, sizeof *kb);
}

static const mbedtls_md_info_t *md_of(enum tr_hash h)
{
    switch (h) {
    case TR_HASH_MD5: return mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    case TR_HASH_SHA1: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    case TR_HASH_SHA256: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    case TR_HASH_SHA384: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
    default: return NULL;
    }
}

size_t tr_hash_len(enum tr_hash h)
{
    switch (h) {
    case TR_HASH_MD5: return 16;
    case TR_HASH_SHA1: return 20;
    case TR_HASH_MD5_SHA1: return 36;
    case TR_HASH_SHA256: return 32;
    case TR_HASH_SHA384: return 48;
    default: return 0;
    }
}

enum tr_hash tr_prf_hash(const struct tr_suite *s, uint16_t version)
{
    if (!s || version < TR_VER_SSL3 || version > TR_VER_TLS13)
        return TR_HASH_NONE;
    if (version <= TR_VER_TLS11)
        return TR_HASH_MD5_SHA1;
    if (s->prf == TR_HASH_SHA256 || s->prf == TR_HASH_SHA384)
        return (enum tr_hash)s->prf;
    return TR_HASH_NONE;
}

/* --- SSLv3 (RFC 6101 6.1, 6.2.2) --- */

/* out = MD5(secret + SHA1("A" + secret + seed)) + MD5(secret + SHA1("BB" +
 * secret + seed)) + ...  Used for both the master secret (seed = client
 * random + server random) and the key block (seed = server + client). */
static int ssl3_prf(const uint8_t *secret, size_t slen, const uint8_t *seed,
                    size_t seedlen, uint8_t *out, size_t outlen)
{
    const mbedtls_md_info_t *md5 = md_of(TR_HASH_MD5), *sha1 = md_of(TR_HASH_SHA1);
    mbedtls_md_context_t c5, c1;
    uint8_t salt[26], h1[20], h5[16];
    int rc = TR_E_NOMEM;

    if (outlen > 26 * 16)
        return TR_E_LIMIT;
    mbedtls_md_init(&c5);
    mbedtls_md_init(&c1);
    if (mbedtls_md_setup(&c5, md5, 0) != 0 || mbedtls_md_setup(&c1, sha1, 0) != 0)
        goto out;
    for (size_t i = 0, done = 0; done < outlen; i++) {
        memset(salt, 'A' + (int)i, i + 1);
        if (mbedtls_md_starts(&c1) || mbedtls_md_update(&c1, salt, i + 1) ||
            mbedtls_md_update(&c1, secret, slen) ||
            mbedtls_md_update(&c1, seed, seedlen) || mbedtls_md_finish(&c1, h1) ||
            mbedtls_md_starts(&c5) || mbedtls_md_update(&c5, secret, slen) ||
            mbedtls_md_update(&c5, h1, sizeof h1) || mbedtls_md_finish(&c5, h5))
            goto out;
        size_t n = outlen - done < 16 ? outlen - done : 16;
        memcpy(out + done, h5, n);
        done += n;
    }
    rc = 0;
out:
    mbedtls_md_free(&c5);
    mbedtls_md_free(&c1);
    mbedtls_platform_zeroize(h1, sizeof h1);
    mbedtls_platform_zeroize(h5, sizeof h5);
    if (rc)
        mbedtls_platform_zeroize(out, outlen);
    return rc;
}

static int md5_of(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                  const uint8_t *c, size_t clen, uint8_t out[16])
{
    mbedtls_md_context_t ctx;
    int rc = TR_E_NOMEM;
    mbedtls_md_init(&ctx);
    if (mbedtls_md_setup(&ctx, md_of(TR_HASH_MD5), 0) == 0 &&
        mbedtls_md_starts(&ctx) == 0 && mbedtls_md_update(&ctx, a, alen) == 0 &&
        mbedtls_md_update(&ctx, b, blen) == 0 &&
        mbedtls_md_update(&ctx, c, clen) == 0 && mbedtls_md_finish(&ctx, out) == 0)
        rc = 0;
    mbedtls_md_free(&ctx);
    return rc;
}

/* --- TLS PRF --- */

int tr_prf(const struct tr_suite *s, uint16_t version,
           const uint8_t *secret, size_t slen, const char *label,
           const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen)
{
    static const uint8_t empty[1];
    mbedtls_tls_prf_types t;

    if (version == TR_VER_SSL3)
        return ssl3_prf(secret ? secret : empty, slen, seed, seedlen, out, outlen);
    switch (tr_prf_hash(s, version)) {
    case TR_HASH_MD5_SHA1: t = MBEDTLS_SSL_TLS_PRF_TLS1; break;
    case TR_HASH_SHA256: t = MBEDTLS_SSL_TLS_PRF_SHA256; break;
    case TR_HASH_SHA384: t = MBEDTLS_SSL_TLS_PRF_SHA384; break;
    default: return TR_E_UNSUPPORTED;
    }
    if (version == TR_VER_TLS13)
        return TR_E_UNSUPPORTED;
    /* mbedTLS wants non-NULL buffers even when empty (export "IV block"). */
    if (mbedtls_ssl_tls_prf(t, secret ? secret : empty, slen, label,
                            seed ? seed : empty, seedlen, out, outlen) != 0) {
        mbedtls_platform_zeroize(out, outlen);
        return TR_E_UNSUPPORTED;
    }
    return 0;
}

int tr_master_secret(const struct tr_suite *s, uint16_t version,
                     const uint8_t *pms, size_t pmslen,
                     const uint8_t client_random[TR_RANDOM_LEN],
                     const uint8_t server_random[TR_RANDOM_LEN],
                     struct tr_secret *ms)
{
    uint8_t seed[2 * TR_RANDOM_LEN];
    memcpy(seed, client_random, TR_RANDOM_LEN);
    memcpy(seed + TR_RANDOM_LEN, server_random, TR_RANDOM_LEN);
    int rc = tr_prf(s, version, pms, pmslen, "master secret", seed, sizeof seed,
                    ms->b, TR_MASTER_LEN);
    ms->len = rc ? 0 : TR_MASTER_LEN;
    if (rc)
        tr_secret_wipe(ms);
    return rc;
}

int tr_master_secret_ems(const struct tr_suite *s, uint16_t version,
                         const uint8_t *pms, size_t pmslen,
                         const uint8_t *session_hash, size_t hashlen,
                         struct tr_secret *ms)
{
    if (version == TR_VER_SSL3 || version == TR_VER_TLS13) {
        tr_secret_wipe(ms);
        return TR_E_UNSUPPORTED;
    }
    int rc = tr_prf(s, version, pms, pmslen, "extended master secret",
                    session_hash, hashlen, ms->b, TR_MASTER_LEN);
    ms->len = rc ? 0 : TR_MASTER_LEN;
    if (rc)
        tr_secret_wipe(ms);
    return rc;
}

/* --- handshake hashes --- */

static const mbedtls_md_type_t hs_types[4] = {
    MBEDTLS_MD_MD5, MBEDTLS_MD_SHA1, MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384,
};

int tr_hshash_init(struct tr_hshash *h)
{
    for (int i = 0; i < 4; i++)
        mbedtls_md_init(&h->md[i]);
    h->ready = 1;
    for (int i = 0; i < 4; i++) {
        if (mbedtls_md_setup(&h->md[i], mbedtls_md_info_from_type(hs_types[i]), 0) ||
            mbedtls_md_starts(&h->md[i])) {
            tr_hshash_free(h);
            return TR_E_NOMEM;
        }
    }
    return 0;
}

int tr_hshash_update(struct tr_hshash *h, const uint8_t *p, size_t n)
{
    if (!h->ready)
        return TR_E_ARG;
    for (int i = 0; i < 4; i++)
        if (mbedtls_md_update(&h->md[i], p, n))
            return TR_E_NOMEM;
    return 0;
}

static int peek_one(const mbedtls_md_context_t *src, uint8_t *out)
{
    mbedtls_md_context_t c;
    int rc = TR_E_NOMEM;
    mbedtls_md_init(&c);
    if (mbedtls_md_setup(&c, src->md_info, 0) == 0 &&
        mbedtls_md_clone(&c, src) == 0 && mbedtls_md_finish(&c, out) == 0)
        rc = 0;
    mbedtls_md_free(&c);
    return rc;
}

int tr_hshash_peek(const struct tr_hshash *h, enum tr_hash which, uint8_t *out,
                   size_t *outlen)
{
    int rc;
    *outlen = 0;
    if (!h->ready)
        return TR_E_ARG;
    switch (which) {
    case TR_HASH_MD5: rc = peek_one(&h->md[0], out); break;
    case TR_HASH_SHA1: rc = peek_one(&h->md[1], out); break;
    case TR_HASH_MD5_SHA1:
        rc = peek_one(&h->md[0], out);
        if (!rc)
            rc = peek_one(&h->md[1], out + 16);
        break;
    case TR_HASH_SHA256: rc = peek_one(&h->md[2], out); break;
    case TR_HASH_SHA384: rc = peek_one(&h->md[3], out); break;
    default: return TR_E_UNSUPPORTED;
    }
    if (!rc)
        *outlen = tr_hash_len(which);
    return rc;
}

void tr_hshash_free(struct tr_hshash *h)
{
    if (!h->ready)
        return;
    for (int i = 0; i < 4; i++)
        mbedtls_md_free(&h->md[i]);
    h->ready = 0;
}

int tr_session_hash(const struct tr_suite *s, uint16_t version,
                    const uint8_t *msgs, size_t len, uint8_t out[48],
                    size_t *outlen)
{
    enum tr_hash hh = tr_prf_hash(s, version);
    *outlen = 0;
    if (version == TR_VER_SSL3 || version == TR_VER_TLS13)
        return TR_E_UNSUPPORTED;
    if (hh == TR_HASH_MD5_SHA1) {
        if (mbedtls_md(md_of(TR_HASH_MD5), msgs, len, out) ||
            mbedtls_md(md_of(TR_HASH_SHA1), msgs, len, out + 16))
            return TR_E_NOMEM;
    } else if (hh == TR_HASH_SHA256 || hh == TR_HASH_SHA384) {
        if (mbedtls_md(md_of(hh), msgs, len, out))
            return TR_E_NOMEM;
    } else {
        return TR_E_UNSUPPORTED;
    }
    *outlen = tr_hash_len(hh);
    return 0;
}

/* --- key block --- */

/* Export expansion (RFC 2246 6.3.1; SSLv3 6.2.2.1): the 5 secret key bytes
 * become exp_key_len bytes mixed with the randoms; IVs come from the randoms
 * alone. */
static int export_keys(const struct tr_suite *s, uint16_t version,
                       const uint8_t cr[TR_RANDOM_LEN],
                       const uint8_t sr[TR_RANDOM_LEN], struct tr_key_block *kb)
{
    uint8_t crsr[64], srcr[64], tmp[32];
    int rc = 0;

    memcpy(crsr, cr, 32);
    memcpy(crsr + 32, sr, 32);
    memcpy(srcr, sr, 32);
    memcpy(srcr + 32, cr, 32);
    if (version == TR_VER_SSL3) {
        if (md5_of(kb->client.key, s->key_len, cr, 32, sr, 32, tmp) ||
            md5_of(kb->server.key, s->key_len, sr, 32, cr, 32, tmp + 16))
            rc = TR_E_NOMEM;
        memcpy(kb->client.key, tmp, s->exp_key_len);
        memcpy(kb->server.key, tmp + 16, s->exp_key_len);
        if (!rc && s->iv_len &&
            (md5_of(cr, 32, sr, 32, NULL, 0, tmp) ||
             md5_of(sr, 32, cr, 32, NULL, 0, tmp + 16)))
            rc = TR_E_NOMEM;
        memcpy(kb->client.iv, tmp, s->iv_len);
        memcpy(kb->server.iv, tmp + 16, s->iv_len);
    } else {
        rc = tr_prf(s, version, kb->client.key, s->key_len, "client write key",
                    crsr, 64, tmp, s->exp_key_len);
        if (!rc)
            rc = tr_prf(s, version, kb->server.key, s->key_len,
                        "server write key", crsr, 64, tmp + 16, s->exp_key_len);
        memcpy(kb->client.key, tmp, s->exp_key_len);
        memcpy(kb->server.key, tmp + 16, s->exp_key_len);
        if (!rc && s->iv_len)
            rc = tr_prf(s, version, NULL, 0, "IV block", crsr, 64, tmp,
                        2u * s->iv_len);
        memcpy(kb->client.iv, tmp, s->iv_len);
        memcpy(kb->server.iv, tmp + s->iv_len, s->iv_len);
    }
    kb->client.key_len = kb->server.key_len = s->exp_key_len;
    kb->client.iv_len = kb->server.iv_len = s->iv_len;
    mbedtls_platform_zeroize(tmp, sizeof tmp);
    return rc;
}

int tr_key_block(const struct tr_suite *s, uint16_t version,
                 const struct tr_secret *ms,
                 const uint8_t client_random[TR_RANDOM_LEN],
                 const uint8_t server_random[TR_RANDOM_LEN],
                 struct tr_key_block *kb)
{
    uint8_t seed[2 * TR_RANDOM_LEN];
    uint8_t block[2 * (48 + 32 + 16)];
    int rc;

    memset(kb, 0, sizeof *kb);
    rc = tr_suite_check(s, version);
    if (rc)
        return rc;
    if (version == TR_VER_TLS13)
        return TR_E_UNSUPPORTED;
    int export = (s->flags & TR_SUITE_EXPORT) != 0;
    size_t mac = s->mac_len, key = s->key_len, iv = 0;
    if (s->mode == TR_MODE_CBC && version <= TR_VER_TLS10 && !export)
        iv = s->iv_len;
    else if (s->flags & TR_SUITE_AEAD)
        iv = s->iv_len;
    size_t need = 2 * (mac + key + iv);

    memcpy(seed, server_random, TR_RANDOM_LEN);
    memcpy(seed + TR_RANDOM_LEN, client_random, TR_RANDOM_LEN);
    rc = tr_prf(s, version, ms->b, ms->len, "key expansion", seed, sizeof seed,
                block, need);
    if (rc)
        goto out;
    const uint8_t *p = block;
    memcpy(kb->client.mac_key, p, mac), p += mac;
    memcpy(kb->server.mac_key, p, mac), p += mac;
    memcpy(kb->client.key, p, key), p += key;
    memcpy(kb->server.key, p, key), p += key;
    memcpy(kb->client.iv, p, iv), p += iv;
    memcpy(kb->server.iv, p, iv);
    kb->client.mac_len = kb->server.mac_len = (uint8_t)mac;
    kb->client.key_len = kb->server.key_len = (uint8_t)key;
    kb->client.iv_len = kb->server.iv_len = (uint8_t)iv;
    if (export)
        rc = export_keys(s, version, client_random, server_random, kb);
out:
    mbedtls_platform_zeroize(block, sizeof block);
    if (rc)
        tr_key_block_wipe(kb);
    return rc;
}

/* --- TLS 1.3 --- */

int tr_hkdf_expand_label(enum tr_hash h, const uint8_t *secret, size_t slen,
                         const char *label, const uint8_t *context,
                         size_t ctxlen, uint8_t *out, size_t outlen)
{
    /* struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } */
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t llen = strlen(label);
    const mbedtls_md_info_t *md = md_of(h);

    if (!md || (h != TR_HASH_SHA256 && h != TR_HASH_SHA384))
        return TR_E_UNSUPPORTED;
    if (llen > 255 - 6 || ctxlen > 255 || outlen > 0xffff)
        return TR_E_ARG;
    size_t n = 0;
    info[n++] = (uint8_t)(outlen >> 8);
    info[n++] = (uint8_t)outlen;
    info[n++] = (uint8_t)(6 + llen);
    memcpy(info + n, "tls13 ", 6), n += 6;
    memcpy(info + n, label, llen), n += llen;
    info[n++] = (uint8_t)ctxlen;
    if (ctxlen)
        memcpy(info + n, context, ctxlen), n += ctxlen;
    if (mbedtls_hkdf_expand(md, secret, slen, info, n, out, outlen) != 0) {
        mbedtls_platform_zeroize(out, outlen);
        return TR_E_ARG;
    }
    return 0;
}

int tr_tls13_derive_secret(enum tr_hash h, const struct tr_secret *secret,
                           const char *label, const uint8_t *thash,
                           size_t thashlen, struct tr_secret *out)
{
    size_t hl = tr_hash_len(h);
    uint8_t tmp[TR_SECRET_MAX];
    int rc = tr_hkdf_expand_label(h, secret->b, secret->len, label, thash,
                                  thashlen, tmp, hl);
    if (!rc)
        rc = tr_secret_set(out, tmp, hl);
    else
        tr_secret_wipe(out);
    mbedtls_platform_zeroize(tmp, sizeof tmp);
    return rc;
}

int tr_hkdf_extract(enum tr_hash h, const uint8_t *salt, size_t saltlen,
                    const uint8_t *ikm, size_t ikmlen, struct tr_secret *out)
{
    static const uint8_t zeros[TR_SECRET_MAX];
    const mbedtls_md_info_t *md = md_of(h);
    size_t hl = tr_hash_len(h);

    tr_secret_wipe(out);
    if (!md || (h != TR_HASH_SHA256 && h != TR_HASH_SHA384))
        return TR_E_UNSUPPORTED;
    if (!ikm || ikmlen == 0) {
        ikm = zeros;
        ikmlen = hl;
    }
    if (!salt || saltlen == 0) {
        salt = zeros;
        saltlen = hl;
    }
    if (mbedtls_hkdf_extract(md, salt, saltlen, ikm, ikmlen, out->b) != 0)
        return TR_E_ARG;
    out->len = hl;
    return 0;
}

int tr_tls13_traffic_keys(const struct tr_suite *s,
                          const struct tr_secret *secret,
                          struct tr_dir_keys *out)
{
    int rc;
    memset(out, 0, sizeof *out);
    rc = tr_suite_check(s, TR_VER_TLS13);
    if (rc)
        return rc;
    if (secret->len != tr_hash_len((enum tr_hash)s->prf))
        return TR_E_MALFORMED;
    rc = tr_hkdf_expand_label((enum tr_hash)s->prf, secret->b, secret->len,
                              "key", NULL, 0, out->key, s->key_len);
    if (!rc)
        rc = tr_hkdf_expand_label((enum tr_hash)s->prf, secret->b, secret->len,
                                  "iv", NULL, 0, out->iv, s->iv_len);
    if (rc) {
        tr_keys_wipe(out);
        return rc;
    }
    out->key_len = s->key_len;
    out->iv_len = s->iv_len;
    return 0;
}

int tr_tls13_next_secret(const struct tr_suite *s, struct tr_secret *secret)
{
    uint8_t tmp[TR_SECRET_MAX];
    if (!s || !(s->flags & TR_SUITE_TLS13))
        return TR_E_UNSUPPORTED;
    size_t hl = tr_hash_len((enum tr_hash)s->prf);
    if (secret->len != hl || hl == 0)
        return TR_E_MALFORMED;
    int rc = tr_hkdf_expand_label((enum tr_hash)s->prf, secret->b, secret->len,
                                  "traffic upd", NULL, 0, tmp, hl);
    if (!rc)
        memcpy(secret->b, tmp, hl);
    mbedtls_platform_zeroize(tmp, sizeof tmp);
    return rc;
}
