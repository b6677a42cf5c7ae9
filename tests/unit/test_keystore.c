/* test_keystore.c - symmetric secrets, resumption, PSK, RSA key selection
 * and pre-master decryption. */
#include "tt.h"

#include "core/err.h"
#include "tls/keystore.h"
#include "tls/rsakey.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#define KEYS "tests/unit/data/keys/"

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 131u + i * 7u + (seed >> 8) * 3u + (seed >> 16));
}

static void test_add_get(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    TT_CHECK(ks != NULL);
    uint8_t cr[32], ms[48], ms2[48];
    struct tr_secret s;
    fill(cr, 32, 1);
    fill(ms, 48, 2);
    fill(ms2, 48, 3);
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_CLIENT_RANDOM, cr, 32, ms, 48, 0), TR_KS_ADDED);
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_CLIENT_RANDOM, cr, 32, ms, 48, 0), TR_KS_DUPLICATE);
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_CLIENT_RANDOM, cr, 32, ms2, 48, 0), TR_KS_CONFLICT);
    TT_EQ_INT(tr_keystore_master_by_random(ks, cr, &s), 0);
    TT_EQ_INT(s.len, 48);
    TT_EQ_MEM(s.b, ms, 48);
    /* same key bytes, other label: separate */
    TT_EQ_INT(tr_keystore_pms_by_random(ks, cr, &s), TR_E_NOKEY);
    TT_EQ_INT(s.len, 0);
    TT_EQ_INT(tr_keystore_tls13_secret(ks, cr, TR_SL_SERVER_TRAFFIC_SECRET_0, &s), TR_E_NOKEY);
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_SERVER_TRAFFIC_SECRET_0, cr, 32, ms2, 32, 0), TR_KS_ADDED);
    TT_EQ_INT(tr_keystore_tls13_secret(ks, cr, TR_SL_SERVER_TRAFFIC_SECRET_0, &s), 0);
    TT_EQ_INT(s.len, 32);
    TT_EQ_MEM(s.b, ms2, 32);
    TT_EQ_INT(tr_keystore_tls13_secret(ks, cr, TR_SL_CLIENT_RANDOM, &s), TR_E_NOKEY);
    /* RSA: keyed by the first 8 bytes of the encrypted pre-master */
    uint8_t enc[256];
    fill(enc, sizeof enc, 9);
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_RSA, enc, 8, ms, 48, 0), TR_KS_ADDED);
    TT_EQ_INT(tr_keystore_pms_by_enc_prefix(ks, enc, sizeof enc, &s), 0);
    TT_EQ_MEM(s.b, ms, 48);
    TT_EQ_INT(tr_keystore_pms_by_enc_prefix(ks, enc, 7, &s), TR_E_NOKEY);
    /* bad sizes */
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_CLIENT_RANDOM, cr, 33, ms, 48, 0), TR_E_ARG);
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_CLIENT_RANDOM, cr, 32, ms, 65, 0), TR_E_ARG);
    TT_EQ_INT(tr_keystore_add(ks, TR_SL_CLIENT_RANDOM, cr, 32, ms, 0, 0), TR_E_ARG);
    TT_EQ_INT(tr_keystore_count(ks, TR_SL_CLIENT_RANDOM), 1);
    TT_EQ_STR(tr_secret_label_name(TR_SL_CLIENT_HANDSHAKE_TRAFFIC_SECRET),
              "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    tr_secret_wipe(&s);
    TT_EQ_INT(s.len, 0);
    tr_keystore_free(ks);
}

static void test_resumption(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    uint8_t sid[32], ticket[200], ms[48], ms2[48];
    struct tr_secret s;
    fill(sid, 32, 4);
    fill(ticket, sizeof ticket, 5);
    fill(ms, 48, 6);
    fill(ms2, 48, 7);
    TT_EQ_INT(tr_keystore_master_by_session_id(ks, sid, 32, &s), TR_E_NOKEY);
    TT_EQ_INT(tr_keystore_add_master_by_session_id(ks, sid, 32, ms, 48), TR_KS_ADDED);
    TT_EQ_INT(tr_keystore_master_by_session_id(ks, sid, 32, &s), 0);
    TT_EQ_MEM(s.b, ms, 48);
    /* a later full handshake with the same ID wins */
    TT_EQ_INT(tr_keystore_add_master_by_session_id(ks, sid, 32, ms2, 48), TR_KS_REPLACED);
    TT_EQ_INT(tr_keystore_master_by_session_id(ks, sid, 32, &s), 0);
    TT_EQ_MEM(s.b, ms2, 48);
    /* a shorter session ID is another key */
    TT_EQ_INT(tr_keystore_master_by_session_id(ks, sid, 16, &s), TR_E_NOKEY);
    TT_EQ_INT(tr_keystore_add_master_by_session_id(ks, sid, 0, ms, 48), TR_E_ARG);

    TT_EQ_INT(tr_keystore_add_master_by_ticket(ks, ticket, sizeof ticket, ms, 48), TR_KS_ADDED);
    TT_EQ_INT(tr_keystore_master_by_ticket(ks, ticket, sizeof ticket, &s), 0);
    TT_EQ_MEM(s.b, ms, 48);
    ticket[199] ^= 1;
    TT_EQ_INT(tr_keystore_master_by_ticket(ks, ticket, sizeof ticket, &s), TR_E_NOKEY);
    TT_EQ_INT(tr_keystore_master_by_ticket(ks, ticket, 0, &s), TR_E_NOKEY);
    tr_keystore_free(ks);
}

static void test_psk(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_secret s;
    TT_EQ_INT(tr_keystore_psk(ks, NULL, 0, &s), TR_E_NOKEY);
    TT_EQ_INT(tr_keystore_add_psk_hex(ks, "00112233445566778899AaBbCcDdEeFf"), TR_KS_ADDED);
    TT_EQ_INT(tr_keystore_psk(ks, (const uint8_t *)"client1", 7, &s), 0);
    TT_EQ_INT(s.len, 16);
    TT_EQ_INT(s.b[0], 0x00);
    TT_EQ_INT(s.b[15], 0xff);
    uint8_t k2[4] = {1, 2, 3, 4};
    TT_EQ_INT(tr_keystore_add_psk(ks, (const uint8_t *)"client1", 7, k2, 4), TR_KS_ADDED);
    TT_EQ_INT(tr_keystore_psk(ks, (const uint8_t *)"client1", 7, &s), 0);
    TT_EQ_INT(s.len, 4);
    TT_EQ_INT(tr_keystore_psk(ks, (const uint8_t *)"client2", 7, &s), 0);
    TT_EQ_INT(s.len, 16);
    TT_EQ_INT(tr_keystore_add_psk_hex(ks, "0"), TR_E_ARG);
    TT_EQ_INT(tr_keystore_add_psk_hex(ks, "zz"), TR_E_ARG);
    TT_EQ_INT(tr_keystore_add_psk_hex(ks, ""), TR_E_ARG);
    tr_keystore_free(ks);
}

static void test_many_entries(void)
{
    enum { N = 300000 };
    struct tr_keystore *ks = tr_keystore_new();
    uint8_t cr[32], ms[48];
    struct tr_secret s;
    clock_t t0 = clock();
    int bad = 0;
    for (unsigned i = 0; i < N; i++) {
        fill(cr, 32, i);
        memcpy(cr, &i, sizeof i);
        fill(ms, 48, i + 1);
        if (tr_keystore_add(ks, TR_SL_CLIENT_RANDOM, cr, 32, ms, 48, 0) != TR_KS_ADDED)
            bad++;
    }
    for (unsigned i = 0; i < N; i++) {
        fill(cr, 32, i);
        memcpy(cr, &i, sizeof i);
        fill(ms, 48, i + 1);
        if (tr_keystore_master_by_random(ks, cr, &s) != 0 || memcmp(s.b, ms, 48) != 0)
            bad++;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    TT_EQ_INT(bad, 0);
    TT_EQ_INT(tr_keystore_count(ks, TR_SL_CLIENT_RANDOM), N);
    TT_CHECK(secs < 5.0);
    printf("  %d adds + lookups in %.2f s\n", N, secs);
    tr_keystore_free(ks);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = malloc(1 << 16);
    *n = b ? fread(b, 1, 1 << 16, f) : 0;
    fclose(f);
    return b;
}

static int add_key(struct tr_keystore *ks, const char *file,
                   const struct tr_addr *addr, uint16_t port)
{
    mbedtls_pk_context pk;
    struct tr_rsakey_info info;
    mbedtls_pk_init(&pk);
    int rc = tr_rsakey_load(file, "test", 4, &pk, &info);
    if (rc == 0)
        rc = tr_keystore_add_rsa(ks, &pk, addr, port, file);
    mbedtls_pk_free(&pk);
    return rc;
}

static void test_rsa_for_server(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_rsa_match m;
    size_t clen = 0;
    uint8_t *cert = slurp(KEYS "rsa-cert.der", &clen);
    struct tr_addr a = {4, {10, 0, 0, 1}}, b = {4, {10, 0, 0, 2}};
    TT_CHECK(cert != NULL);
    if (!cert)
        return;

    TT_CHECK(tr_keystore_rsa_for_server(ks, &a, 443, cert, clen, &m) == NULL);
    TT_EQ_INT(m.reason, TR_RSA_NO_KEYS);

    TT_EQ_INT(add_key(ks, KEYS "rsa-other.pem", NULL, 0), 0);
    TT_CHECK(tr_keystore_rsa_for_server(ks, &a, 443, cert, clen, &m) == NULL);
    TT_EQ_INT(m.reason, TR_RSA_NO_MATCH);
    TT_EQ_INT(m.have_cert, 1);
    TT_EQ_INT(m.have_cert_spki, 1);
    uint8_t fp[32];
    mbedtls_sha256_ret(cert, clen, fp, 0);
    TT_EQ_MEM(m.cert_sha256, fp, 32);
    TT_CHECK(memcmp(m.cert_spki_sha256, tr_keystore_rsa_at(ks, 0)->spki_sha256, 32) != 0);
    TT_CHECK(tr_keystore_rsa_for_server(ks, &a, 443, NULL, 0, &m) == NULL);
    TT_EQ_INT(m.reason, TR_RSA_NO_CERT);
    TT_CHECK(tr_keystore_rsa_for_server(ks, &a, 443, cert, clen / 2, &m) == NULL);
    TT_EQ_INT(m.reason, TR_RSA_CERT_BAD);

    /* PKCS#12 copy of the certificate's key: matched by public key */
    TT_EQ_INT(add_key(ks, KEYS "rsa.p12", NULL, 0), 0);
    const struct tr_rsa_key *k = tr_keystore_rsa_for_server(ks, &a, 443, cert, clen, &m);
    TT_CHECK(k == tr_keystore_rsa_at(ks, 1));
    TT_EQ_INT(m.reason, TR_RSA_CERT_MATCH);
    TT_EQ_MEM(m.cert_spki_sha256, tr_keystore_rsa_at(ks, 1)->spki_sha256, 32);
    TT_EQ_INT(tr_keystore_rsa_at(ks, 1)->bits, 2048);

    /* a bound key wins, and a mismatch with the certificate is flagged */
    TT_EQ_INT(add_key(ks, KEYS "rsa-other.pem", &b, 8443), 0);
    k = tr_keystore_rsa_for_server(ks, &b, 8443, cert, clen, &m);
    TT_CHECK(k == tr_keystore_rsa_at(ks, 2));
    TT_EQ_INT(m.reason, TR_RSA_BOUND);
    TT_EQ_INT(m.bound_mismatch, 1);
    k = tr_keystore_rsa_for_server(ks, &b, 8443, NULL, 0, &m);
    TT_CHECK(k == tr_keystore_rsa_at(ks, 2));
    TT_EQ_INT(m.bound_mismatch, 0);
    k = tr_keystore_rsa_for_server(ks, &b, 443, NULL, 0, &m);
    TT_CHECK(k == NULL);
    TT_EQ_INT(m.reason, TR_RSA_NO_CERT);
    /* wildcard address, any port */
    struct tr_addr any = {0, {0}};
    TT_EQ_INT(add_key(ks, KEYS "rsa-pkcs1.pem", &any, 0), 0);
    struct tr_addr v6 = {6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    k = tr_keystore_rsa_for_server(ks, &v6, 1234, NULL, 0, &m);
    TT_CHECK(k == tr_keystore_rsa_at(ks, 3));
    k = tr_keystore_rsa_for_server(ks, &b, 8443, NULL, 0, &m);
    TT_CHECK(k == tr_keystore_rsa_at(ks, 2)); /* exact beats wildcard */

    /* EC keys are refused */
    mbedtls_pk_context ec;
    mbedtls_pk_init(&ec);
    TT_EQ_INT(mbedtls_pk_parse_keyfile(&ec, KEYS "ec.pem", NULL), 0);
    TT_EQ_INT(tr_keystore_add_rsa(ks, &ec, NULL, 0, "ec"), TR_E_KEY);
    mbedtls_pk_free(&ec);
    free(cert);
    tr_keystore_free(ks);
}

static void test_rsa_decrypt_pms(void)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_rsa_match m;
    size_t clen = 0;
    uint8_t *cert = slurp(KEYS "rsa-cert.der", &clen);
    mbedtls_x509_crt crt;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    uint8_t pms[48], got[48], enc[512];
    size_t elen = 0;
    uint16_t ver = 0;
    enum tr_pms_status st;

    mbedtls_x509_crt_init(&crt);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    TT_EQ_INT(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0), 0);
    TT_EQ_INT(mbedtls_x509_crt_parse_der(&crt, cert, clen), 0);
    fill(pms, 48, 77);
    pms[0] = 3;
    pms[1] = 3;
    TT_EQ_INT(mbedtls_pk_encrypt(&crt.pk, pms, 48, enc, &elen, sizeof enc,
                                 mbedtls_ctr_drbg_random, &drbg), 0);
    TT_EQ_INT(elen, 256);

    TT_EQ_INT(add_key(ks, KEYS "rsa-other.pem", NULL, 0), 0);
    TT_EQ_INT(add_key(ks, KEYS "rsa-pkcs8-enc.der", NULL, 0), 0);
    const struct tr_rsa_key *k = tr_keystore_rsa_for_server(ks, NULL, 0, cert, clen, &m);
    TT_CHECK(k == tr_keystore_rsa_at(ks, 1));
    if (k) {
        TT_EQ_INT(tr_keystore_rsa_decrypt_pms(ks, k, enc, elen, got, &ver, &st), 0);
        TT_EQ_INT(st, TR_PMS_OK);
        TT_EQ_MEM(got, pms, 48);
        TT_EQ_INT(ver, 0x0303);
        /* corrupted ciphertext: diagnosed, no garbage */
        enc[100] ^= 0x55;
        TT_EQ_INT(tr_keystore_rsa_decrypt_pms(ks, k, enc, elen, got, NULL, &st), TR_E_DECRYPT);
        TT_EQ_INT(st, TR_PMS_BAD_PADDING);
        TT_CHECK(got[0] == 0 && got[47] == 0);
        enc[100] ^= 0x55;
        /* truncated ciphertext */
        TT_EQ_INT(tr_keystore_rsa_decrypt_pms(ks, k, enc, elen - 1, got, NULL, &st), TR_E_MALFORMED);
        TT_EQ_INT(st, TR_PMS_BAD_LENGTH);
    }
    /* wrong key (1024-bit): length mismatch */
    const struct tr_rsa_key *wrong = tr_keystore_rsa_at(ks, 0);
    TT_EQ_INT(tr_keystore_rsa_decrypt_pms(ks, wrong, enc, elen, got, NULL, &st), TR_E_MALFORMED);
    TT_EQ_INT(st, TR_PMS_BAD_LENGTH);
    /* wrong key, same size: padding failure */
    struct tr_keystore *ks2 = tr_keystore_new();
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    TT_EQ_INT(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
    TT_EQ_INT(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, &drbg, 2048, 65537), 0);
    TT_EQ_INT(tr_keystore_add_rsa(ks2, &pk, NULL, 0, "generated"), 0);
    TT_EQ_INT(tr_keystore_rsa_decrypt_pms(ks2, tr_keystore_rsa_at(ks2, 0), enc, elen, got, NULL, &st), TR_E_DECRYPT);
    TT_EQ_INT(st, TR_PMS_BAD_PADDING);
    /* right key, 47-byte plaintext: wrong size */
    uint8_t short_enc[256];
    TT_EQ_INT(mbedtls_pk_encrypt(&crt.pk, pms, 47, short_enc, &elen, sizeof short_enc,
                                 mbedtls_ctr_drbg_random, &drbg), 0);
    if (k) {
        TT_EQ_INT(tr_keystore_rsa_decrypt_pms(ks, k, short_enc, elen, got, NULL, &st), TR_E_DECRYPT);
        TT_EQ_INT(st, TR_PMS_BAD_SIZE);
    }
    mbedtls_pk_free(&pk);
    tr_keystore_free(ks2);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    mbedtls_x509_crt_free(&crt);
    free(cert);
    tr_keystore_free(ks);
}

int main(void)
{
    TT_RUN(test_add_get);
    TT_RUN(test_resumption);
    TT_RUN(test_psk);
    TT_RUN(test_many_entries);
    TT_RUN(test_rsa_for_server);
    TT_RUN(test_rsa_decrypt_pms);
    TT_DONE();
}
