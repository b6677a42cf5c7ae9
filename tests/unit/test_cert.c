/* test_cert.c - tls/cert.c against certificates made by
 * tests/unit/data/certs/make-certs.sh.  Every expected value below was read
 * from `openssl x509 -noout -text -fingerprint -sha256` (and, for the key
 * fingerprint, `openssl x509 -pubkey | openssl pkey -pubin -outform DER |
 * sha256sum`); regenerating the certificates means pasting new values. */
#include "tt.h"

#include <stdlib.h>

#include "core/err.h"
#include "tls/cert.h"

#define CAPTURE_2030 ((time_t)1893456000) /* 2030-01-01T00:00:00Z */

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
    const char *root = getenv("TR_ROOT");
    char path[512];
    snprintf(path, sizeof path, "%s/tests/unit/data/certs/%s",
             root ? root : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("  cannot open %s\n", path);
        return 0;
    }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void test_rsa_self_signed(void)
{
    static uint8_t der[4096];
    struct tr_cert_info ci;
    size_t n = load("rsa-self.der", der, sizeof der);
    TT_CHECK(n > 0);
    TT_EQ_INT(tr_cert_summarize(der, n, CAPTURE_2030, &ci), 0);
    TT_EQ_INT(ci.parsed, 1);
    TT_EQ_STR(ci.fingerprint, "be57250ee035622d7ea09b3d92a0ec5ce6b1304fd757ceaea36ac929d287058e");
    TT_EQ_STR(ci.subject, "C=FR, O=tlsredact test, CN=rsa.example.test");
    TT_EQ_STR(ci.issuer, "C=FR, O=tlsredact test, CN=rsa.example.test");
    TT_EQ_STR(ci.serial, "1001");
    TT_EQ_STR(ci.not_before, "2026-11-27T21:02:48Z");
    TT_EQ_STR(ci.not_after, "2036-11-24T21:02:48Z");
    TT_EQ_INT(ci.not_before_t, 1795813368);
    TT_EQ_INT(ci.not_after_t, 2111173368);
    TT_EQ_INT(ci.validity, TR_CERT_VALID);
    TT_EQ_INT(ci.self_signed, 1);
    TT_EQ_STR(ci.sig_alg, "sha256WithRSAEncryption");
    TT_EQ_STR(ci.key_type, "RSA");
    TT_EQ_STR(ci.key_curve, "");
    TT_EQ_INT(ci.key_bits, 2048);
    TT_EQ_STR(ci.key_fingerprint, "e96eec76eef09481d56007f405943b10bc1822c99a3635e7b9801a0c8f293393");
    TT_EQ_INT(ci.san_count, 1);
    TT_EQ_INT(ci.san_kept, 1);
    TT_EQ_STR(ci.san[0], "rsa.example.test");
    /* Before notBefore. */
    TT_EQ_INT(tr_cert_summarize(der, n, (time_t)1795813367, &ci), 0);
    TT_EQ_INT(ci.validity, TR_CERT_NOT_YET_VALID);
    /* The bounds themselves are inside the validity period (RFC 5280). */
    tr_cert_summarize(der, n, (time_t)1795813368, &ci);
    TT_EQ_INT(ci.validity, TR_CERT_VALID);
    tr_cert_summarize(der, n, (time_t)2111173368, &ci);
    TT_EQ_INT(ci.validity, TR_CERT_VALID);
    tr_cert_summarize(der, n, (time_t)2111173369, &ci);
    TT_EQ_INT(ci.validity, TR_CERT_EXPIRED);
}

static void test_ec_leaf_with_sans(void)
{
    static uint8_t der[4096];
    struct tr_cert_info ci;
    size_t n = load("ec-leaf.der", der, sizeof der);
    TT_CHECK(n > 0);
    TT_EQ_INT(tr_cert_summarize(der, n, CAPTURE_2030, &ci), 0);
    TT_EQ_STR(ci.fingerprint, "7de7a71515e393613c8ca648665e3d3cb9a159a045b8b8c6867c40d6c4d15e88");
    TT_EQ_STR(ci.subject, "O=tlsredact test, CN=www.example.test");
    TT_EQ_STR(ci.issuer, "O=tlsredact test, CN=Test CA");
    TT_EQ_STR(ci.serial, "3001");
    TT_EQ_STR(ci.not_before, "2026-11-27T21:02:49Z");
    TT_EQ_STR(ci.not_after, "2036-11-24T21:02:49Z");
    TT_EQ_INT(ci.not_after_t, 2111173369);
    TT_EQ_INT(ci.validity, TR_CERT_VALID);
    TT_EQ_INT(ci.self_signed, 0);
    TT_EQ_STR(ci.sig_alg, "ecdsa-with-SHA256");
    TT_EQ_STR(ci.key_type, "EC");
    TT_EQ_STR(ci.key_curve, "secp256r1");
    TT_EQ_INT(ci.key_bits, 256);
    TT_EQ_STR(ci.key_fingerprint, "2d24fc6cbb08bd349ebc8c8ecf250c97f42f7d49e1d4455850b43ee7166a22af");
    /* DNS names only (the IP:192.0.2.7 entry is not a DNS name). */
    TT_EQ_INT(ci.san_count, 4);
    TT_EQ_INT(ci.san_kept, 4);
    TT_EQ_STR(ci.san[0], "www.example.test");
    TT_EQ_STR(ci.san[1], "example.test");
    TT_EQ_STR(ci.san[2], "api.example.test");
    TT_EQ_STR(ci.san[3], "*.cdn.example.test");
}

static void test_ca(void)
{
    static uint8_t der[4096];
    struct tr_cert_info ci;
    size_t n = load("ca.der", der, sizeof der);
    TT_EQ_INT(tr_cert_summarize(der, n, CAPTURE_2030, &ci), 0);
    TT_EQ_STR(ci.fingerprint, "e1ff6cb271eded9a98daafd1e9f5eb1571a594c5391221b3f3cad530f3652fbd");
    TT_EQ_STR(ci.subject, "O=tlsredact test, CN=Test CA");
    TT_EQ_INT(ci.self_signed, 1);
    TT_EQ_STR(ci.serial, "2001");
    TT_EQ_INT(ci.not_after_t, 2426533368);
    TT_EQ_STR(ci.key_fingerprint, "ac09682bb3e67aa2ce25435e38c589087a88cd3a47a1618021c9c9a801becbc2");
    TT_EQ_INT(ci.san_count, 0);
}

static void test_expired(void)
{
    static uint8_t der[4096];
    struct tr_cert_info ci;
    size_t n = load("expired.der", der, sizeof der);
    TT_EQ_INT(tr_cert_summarize(der, n, CAPTURE_2030, &ci), 0);
    TT_EQ_STR(ci.fingerprint, "262b489e797939c6f0515207094c65413c38b9abf3d127cf9d2a5404e7718aec");
    TT_EQ_STR(ci.subject, "CN=expired.example.test, O=tlsredact test");
    TT_EQ_STR(ci.issuer, "O=tlsredact test, CN=Test CA");
    TT_EQ_STR(ci.serial, "4001");
    TT_EQ_STR(ci.not_before, "2020-01-01T00:00:00Z");
    TT_EQ_STR(ci.not_after, "2021-01-01T00:00:00Z");
    TT_EQ_INT(ci.not_before_t, 1577836800);
    TT_EQ_INT(ci.not_after_t, 1609459200);
    TT_EQ_INT(ci.validity, TR_CERT_EXPIRED);
    TT_EQ_STR(tr_cert_validity_name(ci.validity), "expired");
    TT_EQ_STR(ci.sig_alg, "ecdsa-with-SHA256");
    TT_EQ_STR(ci.key_type, "RSA");
    TT_EQ_INT(ci.key_bits, 2048);
    TT_EQ_STR(ci.key_fingerprint, "8aabce904322990b94e0803aca8c3060992e7b64642f598a3c14ceec527746df");
    TT_EQ_INT(ci.self_signed, 0);
    TT_EQ_STR(ci.san[0], "expired.example.test");
    /* Valid when captured in mid-2020. */
    tr_cert_summarize(der, n, (time_t)1593561600, &ci);
    TT_EQ_INT(ci.validity, TR_CERT_VALID);
}

static void test_unparseable_still_fingerprinted(void)
{
    static uint8_t der[4096];
    struct tr_cert_info ci;
    /* Ed25519: well-formed, unknown to mbedTLS 2.28. */
    size_t n = load("ed25519.der", der, sizeof der);
    TT_CHECK(n > 0);
    int rc = tr_cert_summarize(der, n, CAPTURE_2030, &ci);
    TT_CHECK(rc == TR_E_UNSUPPORTED || rc == TR_E_MALFORMED);
    TT_EQ_INT(rc, TR_E_UNSUPPORTED);
    TT_EQ_INT(ci.parsed, 0);
    TT_CHECK(ci.mbedtls_err != 0);
    TT_EQ_STR(ci.fingerprint, "1bb221de53fdacad9ba2734867f6080a815f576cd0a44c17bbbd28d85d448e7a");
    TT_EQ_INT(ci.validity, TR_CERT_VALIDITY_UNKNOWN);

    /* Truncated DER. */
    n = load("rsa-self.der", der, sizeof der);
    TT_EQ_INT(tr_cert_summarize(der, n - 10, CAPTURE_2030, &ci),
              TR_E_MALFORMED);
    TT_EQ_INT(ci.parsed, 0);
    TT_EQ_INT(strlen(ci.fingerprint), 64);
    /* Garbage and empty input. */
    static const uint8_t junk[] = "this is not a certificate";
    TT_EQ_INT(tr_cert_summarize(junk, sizeof junk, CAPTURE_2030, &ci),
              TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_summarize(junk, 0, CAPTURE_2030, &ci), TR_E_MALFORMED);
    /* SHA-256 of the empty string. */
    TT_EQ_STR(ci.fingerprint, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_utc_to_time(void)
{
    time_t t = 0;
    TT_EQ_INT(tr_cert_utc_to_time(1970, 1, 1, 0, 0, 0, &t), 0);
    TT_EQ_INT(t, 0);
    TT_EQ_INT(tr_cert_utc_to_time(1969, 12, 31, 23, 59, 59, &t), 0);
    TT_EQ_INT(t, -1);
    TT_EQ_INT(tr_cert_utc_to_time(2000, 2, 29, 12, 0, 0, &t), 0);
    TT_EQ_INT(t, 951825600);
    TT_EQ_INT(tr_cert_utc_to_time(2030, 1, 1, 0, 0, 0, &t), 0);
    TT_EQ_INT(t, 1893456000);
    TT_EQ_INT(tr_cert_utc_to_time(9999, 12, 31, 23, 59, 59, &t), 0);
    TT_EQ_INT(t, 253402300799LL);
    TT_EQ_INT(tr_cert_utc_to_time(2100, 2, 29, 0, 0, 0, &t), TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_utc_to_time(2021, 13, 1, 0, 0, 0, &t), TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_utc_to_time(2021, 4, 31, 0, 0, 0, &t), TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_utc_to_time(2021, 1, 1, 24, 0, 0, &t), TR_E_MALFORMED);
}

/* Appends a 24-bit length-prefixed blob. */
static size_t put24(uint8_t *p, const uint8_t *d, size_t n)
{
    p[0] = (uint8_t)(n >> 16);
    p[1] = (uint8_t)(n >> 8);
    p[2] = (uint8_t)n;
    memcpy(p + 3, d, n);
    return 3 + n;
}

static void test_cert_msg_tls12(void)
{
    static uint8_t leaf[4096], ca[4096], msg[10000];
    size_t nl = load("ec-leaf.der", leaf, sizeof leaf);
    size_t nc = load("ca.der", ca, sizeof ca);
    size_t o = 3;
    o += put24(msg + o, leaf, nl);
    o += put24(msg + o, ca, nc);
    msg[0] = (uint8_t)((o - 3) >> 16);
    msg[1] = (uint8_t)((o - 3) >> 8);
    msg[2] = (uint8_t)(o - 3);

    struct tr_cert_iter it;
    struct tr_cert_entry e;
    struct tr_cert_info ci;
    TT_EQ_INT(tr_cert_msg_begin(&it, msg, o, 0), 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 1);
    TT_EQ_INT(e.index, 0);
    TT_EQ_INT(e.len, nl);
    TT_CHECK(e.der == msg + 6);
    TT_EQ_INT(e.ext_len, 0);
    TT_EQ_INT(tr_cert_summarize(e.der, e.len, CAPTURE_2030, &ci), 0);
    TT_EQ_STR(ci.subject, "O=tlsredact test, CN=www.example.test");
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 1);
    TT_EQ_INT(e.index, 1);
    TT_EQ_INT(e.len, nc);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 0);

    /* Trailing byte after the list. */
    TT_EQ_INT(tr_cert_msg_begin(&it, msg, o + 1, 0), TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), TR_E_MALFORMED);
    /* Truncated body. */
    TT_EQ_INT(tr_cert_msg_begin(&it, msg, o - 1, 0), TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_msg_begin(&it, msg, 2, 0), TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_msg_begin(&it, NULL, 0, 0), TR_E_MALFORMED);
    /* Empty list: valid, no entries. */
    static const uint8_t empty[3] = {0, 0, 0};
    TT_EQ_INT(tr_cert_msg_begin(&it, empty, 3, 0), 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 0);
    /* Entry length overrunning the list. */
    static const uint8_t over[] = {0, 0, 5, 0, 0, 9, 1, 2};
    TT_EQ_INT(tr_cert_msg_begin(&it, over, sizeof over, 0), 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), TR_E_MALFORMED);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), TR_E_MALFORMED);
    /* Zero-length ASN.1Cert. */
    static const uint8_t zero[] = {0, 0, 3, 0, 0, 0};
    TT_EQ_INT(tr_cert_msg_begin(&it, zero, sizeof zero, 0), 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), TR_E_MALFORMED);
}

static void test_cert_msg_tls13(void)
{
    static uint8_t leaf[4096], msg[10000];
    size_t nl = load("ec-leaf.der", leaf, sizeof leaf);
    size_t o = 0;
    msg[o++] = 2; /* certificate_request_context */
    msg[o++] = 0xaa;
    msg[o++] = 0xbb;
    size_t list_at = o;
    o += 3;
    o += put24(msg + o, leaf, nl);
    msg[o++] = 0; /* extensions: one status_request-like blob */
    msg[o++] = 4;
    msg[o++] = 0;
    msg[o++] = 5;
    msg[o++] = 0;
    msg[o++] = 0;
    o += put24(msg + o, leaf, nl); /* second entry, no extensions */
    msg[o++] = 0;
    msg[o++] = 0;
    size_t ll = o - list_at - 3;
    msg[list_at] = (uint8_t)(ll >> 16);
    msg[list_at + 1] = (uint8_t)(ll >> 8);
    msg[list_at + 2] = (uint8_t)ll;

    struct tr_cert_iter it;
    struct tr_cert_entry e;
    TT_EQ_INT(tr_cert_msg_begin(&it, msg, o, 1), 0);
    TT_EQ_INT(it.context_len, 2);
    TT_CHECK(it.context && it.context[0] == 0xaa);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 1);
    TT_EQ_INT(e.len, nl);
    TT_EQ_INT(e.ext_len, 4);
    TT_CHECK(e.ext && e.ext[1] == 5);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 1);
    TT_EQ_INT(e.index, 1);
    TT_EQ_INT(e.ext_len, 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 0);

    /* Parsed as TLS 1.2 the same bytes do not fit. */
    TT_EQ_INT(tr_cert_msg_begin(&it, msg, o, 0), TR_E_MALFORMED);
    /* Missing the last extensions length. */
    msg[list_at + 2] = (uint8_t)(ll - 2);
    TT_EQ_INT(tr_cert_msg_begin(&it, msg, o - 2, 1), 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 1);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), TR_E_MALFORMED);
    /* Empty TLS 1.3 message (client without certificate). */
    static const uint8_t empty13[] = {0, 0, 0, 0};
    TT_EQ_INT(tr_cert_msg_begin(&it, empty13, sizeof empty13, 1), 0);
    TT_EQ_INT(it.context_len, 0);
    TT_EQ_INT(tr_cert_msg_next(&it, &e), 0);
}

int main(void)
{
    TT_RUN(test_rsa_self_signed);
    TT_RUN(test_ec_leaf_with_sans);
    TT_RUN(test_ca);
    TT_RUN(test_expired);
    TT_RUN(test_unparseable_still_fingerprinted);
    TT_RUN(test_utc_to_time);
    TT_RUN(test_cert_msg_tls12);
    TT_RUN(test_cert_msg_tls13);
    TT_DONE();
}
