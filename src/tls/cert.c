/* cert.c - X.509 summary via mbedTLS, and the Certificate message walker.
 * See cert.h for the contract. */
#include "tls/cert.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include "core/err.h"

/* Largest SubjectPublicKeyInfo we re-encode: RSA-16384 is ~2.1 KB. */
#define SPKI_MAX 4096

static void hex(const uint8_t *p, size_t n, char *out, size_t outsz)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < outsz; i++) {
        out[o++] = digits[p[i] >> 4];
        out[o++] = digits[p[i] & 15];
    }
    out[o] = '\0';
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    unsigned char h[32];
    if (mbedtls_sha256_ret(p, n, h, 0) != 0) {
        out[0] = '\0';
        return;
    }
    hex(h, sizeof h, out, 65);
}

/* Copies untrusted text, replacing non-printable bytes; always terminates. */
static void copy_printable(char *dst, size_t dstsz, const uint8_t *src,
                           size_t n)
{
    size_t i;
    for (i = 0; i < n && i + 1 < dstsz; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[i] = '\0';
}

static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tr_cert_utc_to_time(int year, int mon, int day, int hour, int min,
                        int sec, time_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    if (year < 0 || year > 9999 || mon < 1 || mon > 12 || day < 1 ||
        hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
        return TR_E_MALFORMED;
    if (day > mdays[mon - 1] + (mon == 2 && is_leap(year)))
        return TR_E_MALFORMED;
    /* Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's
     * days_from_civil), years counted from March so Feb 29 is last. */
    int64_t y = year - (mon <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = mon > 2 ? mon - 3 : mon + 9;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    int64_t t = days * 86400 + hour * 3600 + min * 60 + sec;
    if (sizeof(time_t) < 8 && (t > INT32_MAX || t < INT32_MIN))
        return TR_E_MALFORMED;
    *out = (time_t)t;
    return 0;
}

const char *tr_cert_validity_name(enum tr_cert_validity v)
{
    switch (v) {
    case TR_CERT_VALID: return "valid";
    case TR_CERT_EXPIRED: return "expired";
    case TR_CERT_NOT_YET_VALID: return "not yet valid";
    default: return "unknown";
    }
}

static int conv_time(const mbedtls_x509_time *t, char iso[21], time_t *out)
{
    int rc = tr_cert_utc_to_time(t->year, t->mon, t->day, t->hour, t->min,
                                 t->sec, out);
    if (rc != 0) {
        iso[0] = '\0';
        return rc;
    }
    snprintf(iso, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon,
             t->day, t->hour, t->min, t->sec);
    return 0;
}

static const char *md_suffix(mbedtls_md_type_t md, int upper)
{
    switch (md) {
    case MBEDTLS_MD_MD5: return upper ? "MD5" : "md5";
    case MBEDTLS_MD_SHA1: return upper ? "SHA1" : "sha1";
    case MBEDTLS_MD_SHA224: return upper ? "SHA224" : "sha224";
    case MBEDTLS_MD_SHA256: return upper ? "SHA256" : "sha256";
    case MBEDTLS_MD_SHA384: return upper ? "SHA384" : "sha384";
    case MBEDTLS_MD_SHA512: return upper ? "SHA512" : "sha512";
    default: return NULL;
    }
}

static void sig_alg_name(const mbedtls_x509_crt *crt, char *buf, size_t n)
{
    const char *lo = md_suffix(crt->sig_md, 0);
    const char *up = md_suffix(crt->sig_md, 1);
    const char *desc = NULL;
    if (crt->sig_pk == MBEDTLS_PK_RSA && lo)
        snprintf(buf, n, "%sWithRSAEncryption", lo);
    else if (crt->sig_pk == MBEDTLS_PK_ECDSA && up)
        snprintf(buf, n, "ecdsa-with-%s", up);
    else if (crt->sig_pk == MBEDTLS_PK_RSASSA_PSS)
        snprintf(buf, n, "rsassaPss");
    else if (mbedtls_oid_get_sig_alg_desc(&crt->sig_oid, &desc) == 0 && desc)
        snprintf(buf, n, "%s", desc);
    else
        snprintf(buf, n, "unknown");
}

static void key_summary(mbedtls_x509_crt *crt, struct tr_cert_info *out)
{
    mbedtls_pk_type_t type = mbedtls_pk_get_type(&crt->pk);
    out->key_bits = (unsigned)mbedtls_pk_get_bitlen(&crt->pk);
    out->key_curve[0] = '\0';
    if (type == MBEDTLS_PK_RSA) {
        snprintf(out->key_type, sizeof out->key_type, "RSA");
    } else if (type == MBEDTLS_PK_ECKEY || type == MBEDTLS_PK_ECKEY_DH ||
               type == MBEDTLS_PK_ECDSA) {
        const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(crt->pk);
        const mbedtls_ecp_curve_info *ci =
            ec ? mbedtls_ecp_curve_info_from_grp_id(ec->grp.id) : NULL;
        snprintf(out->key_type, sizeof out->key_type, "EC");
        if (ci)
            snprintf(out->key_curve, sizeof out->key_curve, "%s", ci->name);
    } else {
        snprintf(out->key_type, sizeof out->key_type, "unknown");
    }

    /* Key fingerprint over SubjectPublicKeyInfo as mbedTLS encodes it, so
     * that the same computation on a private key file gives the same value;
     * fall back to the certificate's own bytes if re-encoding fails. */
    unsigned char spki[SPKI_MAX];
    int n = mbedtls_pk_write_pubkey_der(&crt->pk, spki, sizeof spki);
    if (n > 0)
        sha256_hex(spki + sizeof spki - (size_t)n, (size_t)n,
                   out->key_fingerprint);
    else
        sha256_hex(crt->pk_raw.p, crt->pk_raw.len, out->key_fingerprint);
}

static void san_summary(const mbedtls_x509_crt *crt, struct tr_cert_info *out)
{
    const mbedtls_x509_sequence *s;
    out->san_count = out->san_kept = 0;
    for (s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
        if (s->buf.tag !=
            (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME))
            continue;
        if (out->san_kept < TR_CERT_SAN_MAX) {
            copy_printable(out->san[out->san_kept], TR_CERT_SAN_LEN,
                           s->buf.p, s->buf.len);
            out->san_kept++;
        }
        out->san_count++;
    }
}

static int map_parse_error(int ret)
{
    /* mbedTLS codes are a high-level part plus a low-level part (e.g.
     * UNKNOWN_SIG_ALG + OID_NOT_FOUND); classify by the high-level one. */
    int high = -((-ret) & 0xff80);
    if (high == MBEDTLS_ERR_X509_ALLOC_FAILED ||
        high == MBEDTLS_ERR_PK_ALLOC_FAILED)
        return TR_E_NOMEM;
    /* Well-formed certificates using algorithms this mbedTLS lacks. */
    if (high == MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG ||
        high == MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE ||
        high == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG ||
        high == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE)
        return TR_E_UNSUPPORTED;
    return TR_E_MALFORMED;
}

int tr_cert_summarize(const uint8_t *der, size_t len, time_t capture_time,
                      struct tr_cert_info *out)
{
    mbedtls_x509_crt crt;
    int ret, rc = 0;

    memset(out, 0, sizeof *out);
    out->validity = TR_CERT_VALIDITY_UNKNOWN;
    if (!der)
        len = 0;
    sha256_hex(der ? der : (const uint8_t *)"", len, out->fingerprint);
    if (len == 0)
        return TR_E_MALFORMED;

    mbedtls_x509_crt_init(&crt);
    ret = mbedtls_x509_crt_parse_der(&crt, der, len);
    if (ret != 0) {
        out->mbedtls_err = ret;
        rc = map_parse_error(ret);
        goto done;
    }

    if (mbedtls_x509_dn_gets(out->subject, sizeof out->subject,
                             &crt.subject) < 0)
        out->subject[0] = '\0';
    if (mbedtls_x509_dn_gets(out->issuer, sizeof out->issuer,
                             &crt.issuer) < 0)
        out->issuer[0] = '\0';
    sanitize(out->subject);
    sanitize(out->issuer);

    {
        const uint8_t *p = crt.serial.p;
        size_t n = crt.serial.len;
        while (n > 1 && p[0] == 0) { /* DER sign byte, not part of the value */
            p++;
            n--;
        }
        hex(p, n, out->serial, sizeof out->serial);
    }

    if (conv_time(&crt.valid_from, out->not_before, &out->not_before_t) == 0 &&
        conv_time(&crt.valid_to, out->not_after, &out->not_after_t) == 0) {
        if (capture_time > out->not_after_t)
            out->validity = TR_CERT_EXPIRED;
        else if (capture_time < out->not_before_t)
            out->validity = TR_CERT_NOT_YET_VALID;
        else
            out->validity = TR_CERT_VALID;
    }

    out->self_signed = crt.subject_raw.len == crt.issuer_raw.len &&
                       memcmp(crt.subject_raw.p, crt.issuer_raw.p,
                              crt.subject_raw.len) == 0;
    sig_alg_name(&crt, out->sig_alg, sizeof out->sig_alg);
    key_summary(&crt, out);
    san_summary(&crt, out);
    out->parsed = 1;

done:
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* Backing for empty readers: never form NULL + 0. */
static const uint8_t no_bytes[1];

int tr_cert_msg_begin(struct tr_cert_iter *it, const uint8_t *body,
                      size_t len, int tls13)
{
    struct tr_reader r = body ? tr_rd_init(body, len) : tr_rd_init(no_bytes, 0);
    struct tr_reader ctx;

    memset(it, 0, sizeof *it);
    it->tls13 = tls13 != 0;
    if (it->tls13) {
        ctx = tr_rd_vec8(&r);
        it->context_len = tr_rd_left(&ctx);
        it->context = tr_rd_ok(&ctx) ? ctx.p : NULL;
    }
    it->list = tr_rd_vec24(&r);
    if (!tr_rd_finish(&r) || !tr_rd_ok(&it->list)) {
        it->err = 1;
        it->list = tr_rd_init(no_bytes, 0);
        return TR_E_MALFORMED;
    }
    return 0;
}

int tr_cert_msg_next(struct tr_cert_iter *it, struct tr_cert_entry *e)
{
    struct tr_reader cert, ext;

    if (it->err)
        return TR_E_MALFORMED;
    if (tr_rd_left(&it->list) == 0)
        return 0;
    cert = tr_rd_vec24(&it->list);
    if (it->tls13)
        ext = tr_rd_vec16(&it->list);
    else
        ext = tr_rd_init(no_bytes, 0);
    if (!tr_rd_ok(&it->list) || tr_rd_left(&cert) == 0) {
        it->err = 1; /* truncated entry, or an empty ASN.1Cert (<1..>) */
        return TR_E_MALFORMED;
    }
    e->der = tr_rd_rest(&cert, &e->len);
    e->ext = tr_rd_rest(&ext, &e->ext_len);
    e->index = it->index++;
    return 1;
}
