/* test_keysched.c - known answers for the key schedules.
 *   TLS 1.2 PRF: the widely used P_SHA256 / P_SHA384 "test label" vectors
 *     (values confirmed with `openssl kdf ... TLS1-PRF`);
 *   TLS 1.0 PRF (MD5+SHA1): same inputs, value from `openssl kdf -kdfopt
 *     digest:MD5-SHA1 TLS1-PRF`;
 *   SSLv3 master secret / key block, export expansion (SSLv3 and TLS 1.0),
 *     extended master secret: values from tests/unit/gen_recdec_vectors.py
 *     (python hashlib/hmac, independent of mbedTLS);
 *   TLS 1.3: RFC 8448 section 3 "Simple 1-RTT Handshake" secrets, keys, IVs;
 *     KeyUpdate from a python HKDF computation over RFC 8448's secret. */
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "tls/keysched.h"
#include "tls/suites.h"
#include "tt.h"

static size_t hx(const char *s, uint8_t *out)
{
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == ':') {
            s++;
            continue;
        }
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static int eqhex(const uint8_t *p, size_t n, const char *want)
{
    uint8_t w[512];
    size_t wn = hx(want, w);
    return wn == n && memcmp(p, w, n) == 0;
}

static const char *prf_secret = "9bbe436ba940f017b17652849a71db35";
static const char *prf_seed = "a0ba9f936cda311827a6f796ffd5198c";

static void test_prf_tls12_sha256(void)
{
    uint8_t sec[16], seed[16], out[100];
    hx(prf_secret, sec);
    hx(prf_seed, seed);
    TT_EQ_INT(tr_prf(tr_suite_find(0x009C), TR_VER_TLS12, sec, 16, "test label",
                     seed, 16, out, 100), 0);
    TT_CHECK(eqhex(out, 100,
        "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
        "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
        "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
        "87347b66"));
}

static void test_prf_tls12_sha384(void)
{
    uint8_t sec[16], seed[16], out[148];
    hx("b80b733d6ceefcdc71566ea48e5567df", sec);
    hx("cd665cf6a8447dd6ff8b27555edb7465", seed);
    TT_EQ_INT(tr_prf(tr_suite_find(0x009D), TR_VER_TLS12, sec, 16, "test label",
                     seed, 16, out, 100), 0);
    TT_CHECK(eqhex(out, 100,
        "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
        "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
        "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
        "9b5bf8cd"));
}

static void test_prf_tls10(void)
{
    uint8_t sec[16], seed[16], out[100];
    hx(prf_secret, sec);
    hx(prf_seed, seed);
    TT_EQ_INT(tr_prf(tr_suite_find(0x002F), TR_VER_TLS10, sec, 16, "test label",
                     seed, 16, out, 100), 0);
    TT_CHECK(eqhex(out, 100,
        "661740e6f98bc901efd2738502a71c03f76dd2f86298549b1148eff06714cf0f"
        "6b7c532cd8c69f1530e0bb680eec34c495fa75a8bfcc9c335484c0d3d194ab6e"
        "32975903c50ebcdbe9d67c0591bdbd80dddcc36d33ccd58adf96caae173f48dc"
        "40f983e2"));
    /* TLS 1.1 uses the same PRF */
    uint8_t out2[100];
    TT_EQ_INT(tr_prf(tr_suite_find(0x002F), TR_VER_TLS11, sec, 16, "test label",
                     seed, 16, out2, 100), 0);
    TT_EQ_MEM(out, out2, 100);
    /* no PRF for TLS 1.3 */
    TT_EQ_INT(tr_prf(tr_suite_find(0x1301), TR_VER_TLS13, sec, 16, "x", seed, 16,
                     out, 10), TR_E_UNSUPPORTED);
}

static const char *cr_hex = "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da";
static const char *sr_hex = "81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a";

static void test_ssl3_master_and_key_block(void)
{
    uint8_t cr[32], sr[32], pms[48], kb_want[160];
    struct tr_secret ms;
    struct tr_key_block kb;
    const struct tr_suite *s = tr_suite_find(0x002F);
    hx(cr_hex, cr);
    hx(sr_hex, sr);
    hx("0300333a41484f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe"
       "050c131a21282f363d444b525960676e", pms);
    TT_EQ_INT(tr_master_secret(s, TR_VER_SSL3, pms, 48, cr, sr, &ms), 0);
    TT_EQ_INT(ms.len, 48);
    TT_CHECK(eqhex(ms.b, 48,
        "6317b43630308df7de1284b46f698338ca0e9caf3ef2c44a47b64252cdfe8bf5"
        "96434d794470730f5ed3582050ced4e3"));
    TT_EQ_INT(tr_key_block(s, TR_VER_SSL3, &ms, cr, sr, &kb), 0);
    hx("3a365df3c97503dfd3689474128e81cd5fa75a1297091918b4fe25245e9051b8"
       "6f51c251ed6c78e9ab91acfa9a5ee199cb85d29ae48196b3733625c4a75efed0"
       "58b9e3b4a383d989dea9e846f09172c3c112010685588f0b50e7190cbdcacc05"
       "fb4ced35458417ab", kb_want);
    TT_EQ_INT(kb.client.mac_len, 20);
    TT_EQ_INT(kb.client.key_len, 16);
    TT_EQ_INT(kb.client.iv_len, 16);
    TT_EQ_MEM(kb.client.mac_key, kb_want, 20);
    TT_EQ_MEM(kb.server.mac_key, kb_want + 20, 20);
    TT_EQ_MEM(kb.client.key, kb_want + 40, 16);
    TT_EQ_MEM(kb.server.key, kb_want + 56, 16);
    TT_EQ_MEM(kb.client.iv, kb_want + 72, 16);
    TT_EQ_MEM(kb.server.iv, kb_want + 88, 16);
    /* EMS is not defined for SSLv3 */
    TT_EQ_INT(tr_master_secret_ems(s, TR_VER_SSL3, pms, 48, cr, 32, &ms),
              TR_E_UNSUPPORTED);
    tr_key_block_wipe(&kb);
    tr_secret_wipe(&ms);
}

static void test_ssl3_export_rc4_40(void)
{
    uint8_t cr[32], sr[32], pms[48];
    struct tr_secret ms;
    struct tr_key_block kb;
    const struct tr_suite *s = tr_suite_find(0x0003);
    hx(cr_hex, cr);
    hx(sr_hex, sr);
    hx("0300333a41484f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe"
       "050c131a21282f363d444b525960676e", pms);
    TT_EQ_INT(tr_master_secret(s, TR_VER_SSL3, pms, 48, cr, sr, &ms), 0);
    TT_EQ_INT(tr_key_block(s, TR_VER_SSL3, &ms, cr, sr, &kb), 0);
    TT_EQ_INT(kb.client.key_len, 16);
    TT_CHECK(eqhex(kb.client.key, 16, "69f3a52a8639250a67da22c5eaf8f612"));
    TT_CHECK(eqhex(kb.server.key, 16, "3e55679760b2f2a04d70f43998af0887"));
    TT_EQ_INT(kb.client.iv_len, 0);
    /* export suites do not exist from TLS 1.1 on */
    TT_EQ_INT(tr_key_block(s, TR_VER_TLS11, &ms, cr, sr, &kb), TR_E_MALFORMED);
}

static void test_tls10_export_des40(void)
{
    uint8_t cr[32], sr[32], pms[48];
    struct tr_secret ms;
    struct tr_key_block kb;
    const struct tr_suite *s = tr_suite_find(0x0008);
    hx(cr_hex, cr);
    hx(sr_hex, sr);
    hx("0301353c434a51585f666d747b828990979ea5acb3bac1c8cfd6dde4ebf2f900"
       "070e151c232a31383f464d545b626970", pms);
    TT_EQ_INT(tr_master_secret(s, TR_VER_TLS10, pms, 48, cr, sr, &ms), 0);
    TT_CHECK(eqhex(ms.b, 48,
        "059156fba48b25dce582745ad3d59bb99ac84b7b0e0c592d0778ff6c849fd7ef"
        "79db8551ff3a1ad00e183dd1d0ea24a9"));
    TT_EQ_INT(tr_key_block(s, TR_VER_TLS10, &ms, cr, sr, &kb), 0);
    TT_CHECK(eqhex(kb.client.mac_key, 20, "5d42d8afd761bbcd193f5e5eabe96c1828ecd64b"));
    TT_EQ_INT(kb.client.key_len, 8);
    TT_CHECK(eqhex(kb.client.key, 8, "77e100de9869d95d"));
    TT_CHECK(eqhex(kb.server.key, 8, "dbafb6812e060fe1"));
    TT_EQ_INT(kb.client.iv_len, 8);
    TT_CHECK(eqhex(kb.client.iv, 8, "ab09b027e48bc32b"));
    TT_CHECK(eqhex(kb.server.iv, 8, "55951aaf7706dbe5"));
}

static const uint8_t fake_hs[] = {1, 0, 0, 4, 'a', 'b', 'c', 'd', 2, 0, 0, 2, 'x', 'y'};

static void test_ems(void)
{
    uint8_t pms[48], h[48];
    size_t hl;
    struct tr_secret ms;
    hx("0301353c434a51585f666d747b828990979ea5acb3bac1c8cfd6dde4ebf2f900"
       "070e151c232a31383f464d545b626970", pms);

    const struct tr_suite *s = tr_suite_find(0x002F);
    TT_EQ_INT(tr_session_hash(s, TR_VER_TLS10, fake_hs, sizeof fake_hs, h, &hl), 0);
    TT_EQ_INT(hl, 36);
    TT_CHECK(eqhex(h, 36, "165ce54ecf5fa68af10145eb04798c71cd577939d9d2f77eb0363fac47c9d07f5aeab97e"));
    TT_EQ_INT(tr_master_secret_ems(s, TR_VER_TLS10, pms, 48, h, hl, &ms), 0);
    TT_CHECK(eqhex(ms.b, 48,
        "84b2a9ebca67a4c97075220f837726f78d586352cfbc2f3145a83527385a5c84"
        "70dab0ea25e4bc4fe991b2874ef13ec1"));

    s = tr_suite_find(0xC030); /* ECDHE_RSA_WITH_AES_256_GCM_SHA384 */
    TT_EQ_INT(tr_session_hash(s, TR_VER_TLS12, fake_hs, sizeof fake_hs, h, &hl), 0);
    TT_EQ_INT(hl, 48);
    TT_CHECK(eqhex(h, 48,
        "aa9d2be5d686c52986d8d58a273f05dfe6b80df58c95507fdfbeeef04a47d917"
        "5c75585615b236c39bef6389226b93e0"));
    TT_EQ_INT(tr_master_secret_ems(s, TR_VER_TLS12, pms, 48, h, hl, &ms), 0);
    TT_CHECK(eqhex(ms.b, 48,
        "68db1a1ff42804e64bab4bfb7bfcd508037047b194c1a171479bb3fc315bbad1"
        "8a56ee4adfcc5d1e63417735b3eaf875"));

    /* the running hash gives the same digests, and keeps running */
    struct tr_hshash hh;
    uint8_t d[48];
    size_t dl;
    TT_EQ_INT(tr_hshash_init(&hh), 0);
    TT_EQ_INT(tr_hshash_update(&hh, fake_hs, 8), 0);
    TT_EQ_INT(tr_hshash_peek(&hh, TR_HASH_SHA384, d, &dl), 0);
    TT_CHECK(memcmp(d, h, 48) != 0);
    TT_EQ_INT(tr_hshash_update(&hh, fake_hs + 8, sizeof fake_hs - 8), 0);
    TT_EQ_INT(tr_hshash_peek(&hh, TR_HASH_SHA384, d, &dl), 0);
    TT_EQ_INT(dl, 48);
    TT_EQ_MEM(d, h, 48);
    TT_EQ_INT(tr_hshash_peek(&hh, TR_HASH_MD5_SHA1, d, &dl), 0);
    TT_EQ_INT(dl, 36);
    TT_CHECK(eqhex(d, 36, "165ce54ecf5fa68af10145eb04798c71cd577939d9d2f77eb0363fac47c9d07f5aeab97e"));
    tr_hshash_free(&hh);
    tr_hshash_free(&hh); /* idempotent */
    tr_secret_wipe(&ms);
}

static void test_tls12_key_block_shapes(void)
{
    uint8_t cr[32] = {0}, sr[32] = {0};
    struct tr_secret ms = {48, {0}};
    struct tr_key_block kb;
    /* GCM: no MAC key, 4-byte fixed IV */
    TT_EQ_INT(tr_key_block(tr_suite_find(0xC02F), TR_VER_TLS12, &ms, cr, sr, &kb), 0);
    TT_EQ_INT(kb.client.mac_len, 0);
    TT_EQ_INT(kb.client.key_len, 16);
    TT_EQ_INT(kb.client.iv_len, 4);
    /* ChaCha20: 12-byte IV */
    TT_EQ_INT(tr_key_block(tr_suite_find(0xCCA8), TR_VER_TLS12, &ms, cr, sr, &kb), 0);
    TT_EQ_INT(kb.client.key_len, 32);
    TT_EQ_INT(kb.client.iv_len, 12);
    /* CBC in TLS 1.1+: explicit IVs, none derived */
    TT_EQ_INT(tr_key_block(tr_suite_find(0x0035), TR_VER_TLS12, &ms, cr, sr, &kb), 0);
    TT_EQ_INT(kb.client.mac_len, 20);
    TT_EQ_INT(kb.client.key_len, 32);
    TT_EQ_INT(kb.client.iv_len, 0);
    /* TLS 1.2 PRF, key block = PRF(ms, "key expansion", sr + cr) */
    uint8_t blk[2 * (20 + 32)];
    uint8_t seed[64];
    memcpy(seed, sr, 32);
    memcpy(seed + 32, cr, 32);
    TT_EQ_INT(tr_prf(tr_suite_find(0x0035), TR_VER_TLS12, ms.b, 48, "key expansion",
                     seed, 64, blk, sizeof blk), 0);
    TT_EQ_MEM(kb.server.mac_key, blk + 20, 20);
    TT_EQ_MEM(kb.server.key, blk + 40 + 32, 32);
    /* refused combinations */
    TT_EQ_INT(tr_key_block(tr_suite_find(0xC02F), TR_VER_TLS11, &ms, cr, sr, &kb),
              TR_E_MALFORMED);
    TT_EQ_INT(tr_key_block(tr_suite_find(0xC050), TR_VER_TLS12, &ms, cr, sr, &kb),
              TR_E_UNSUPPORTED); /* ARIA */
    TT_EQ_INT(tr_key_block(tr_suite_find(0x1301), TR_VER_TLS13, &ms, cr, sr, &kb),
              TR_E_UNSUPPORTED);
    TT_EQ_INT(tr_key_block(NULL, TR_VER_TLS12, &ms, cr, sr, &kb), TR_E_UNSUPPORTED);
}

/* RFC 8448 section 3 */
#define ECDHE "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"
#define HS_SECRET "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"
#define HS_HASH "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"
#define C_HS "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
#define S_HS "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
#define AP_HASH "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"
#define C_AP "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define S_AP "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"

static void load(struct tr_secret *s, const char *h)
{
    s->len = hx(h, s->b);
}

static void test_tls13_rfc8448_schedule(void)
{
    const struct tr_suite *s = tr_suite_find(0x1301);
    struct tr_secret early, derived, hs, master, out, ikm;
    uint8_t empty_hash[32], th[32];

    TT_EQ_INT(tr_hkdf_extract(TR_HASH_SHA256, NULL, 0, NULL, 0, &early), 0);
    TT_CHECK(eqhex(early.b, early.len,
        "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"));
    hx("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty_hash);
    TT_EQ_INT(tr_tls13_derive_secret(TR_HASH_SHA256, &early, "derived", empty_hash,
                                     32, &derived), 0);
    TT_CHECK(eqhex(derived.b, derived.len,
        "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba"));
    load(&ikm, ECDHE);
    TT_EQ_INT(tr_hkdf_extract(TR_HASH_SHA256, derived.b, derived.len, ikm.b, ikm.len,
                              &hs), 0);
    TT_CHECK(eqhex(hs.b, hs.len, HS_SECRET));

    hx(HS_HASH, th);
    TT_EQ_INT(tr_tls13_derive_secret(TR_HASH_SHA256, &hs, "c hs traffic", th, 32, &out), 0);
    TT_CHECK(eqhex(out.b, out.len, C_HS));
    TT_EQ_INT(tr_tls13_derive_secret(TR_HASH_SHA256, &hs, "s hs traffic", th, 32, &out), 0);
    TT_CHECK(eqhex(out.b, out.len, S_HS));

    TT_EQ_INT(tr_tls13_derive_secret(TR_HASH_SHA256, &hs, "derived", empty_hash, 32,
                                     &derived), 0);
    TT_CHECK(eqhex(derived.b, derived.len,
        "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4"));
    TT_EQ_INT(tr_hkdf_extract(TR_HASH_SHA256, derived.b, derived.len, NULL, 0,
                              &master), 0);
    TT_CHECK(eqhex(master.b, master.len,
        "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"));
    hx(AP_HASH, th);
    TT_EQ_INT(tr_tls13_derive_secret(TR_HASH_SHA256, &master, "c ap traffic", th, 32,
                                     &out), 0);
    TT_CHECK(eqhex(out.b, out.len, C_AP));
    TT_EQ_INT(tr_tls13_derive_secret(TR_HASH_SHA256, &master, "s ap traffic", th, 32,
                                     &out), 0);
    TT_CHECK(eqhex(out.b, out.len, S_AP));
    (void)s;
    tr_secret_wipe(&early);
    tr_secret_wipe(&hs);
    tr_secret_wipe(&master);
}

static void test_tls13_rfc8448_traffic_keys(void)
{
    const struct tr_suite *s = tr_suite_find(0x1301);
    struct tr_secret sec;
    struct tr_dir_keys k;

    load(&sec, S_HS);
    TT_EQ_INT(tr_tls13_traffic_keys(s, &sec, &k), 0);
    TT_EQ_INT(k.key_len, 16);
    TT_EQ_INT(k.iv_len, 12);
    TT_CHECK(eqhex(k.key, 16, "3fce516009c21727d0f2e4e86ee403bc"));
    TT_CHECK(eqhex(k.iv, 12, "5d313eb2671276ee13000b30"));
    load(&sec, C_HS);
    TT_EQ_INT(tr_tls13_traffic_keys(s, &sec, &k), 0);
    TT_CHECK(eqhex(k.key, 16, "dbfaa693d1762c5b666af5d950258d01"));
    TT_CHECK(eqhex(k.iv, 12, "5bd3c71b836e0b76bb73265f"));
    load(&sec, S_AP);
    TT_EQ_INT(tr_tls13_traffic_keys(s, &sec, &k), 0);
    TT_CHECK(eqhex(k.key, 16, "9f02283b6c9c07efc26bb9f2ac92e356"));
    TT_CHECK(eqhex(k.iv, 12, "cf782b88dd83549aadf1e984"));

    /* KeyUpdate: application_traffic_secret_1 */
    TT_EQ_INT(tr_tls13_next_secret(s, &sec), 0);
    TT_CHECK(eqhex(sec.b, sec.len,
        "51921b8aa3001976eb401d0a4319a8516416a6c56001a357e5d162031e84f916"));
    TT_EQ_INT(tr_tls13_traffic_keys(s, &sec, &k), 0);
    TT_CHECK(eqhex(k.key, 16, "2e63be99d67b39097feb9786cf7a15a0"));
    TT_CHECK(eqhex(k.iv, 12, "628a0a8298ac953baef4255a"));

    /* wrong secret size for the suite hash, pre-1.3 suite */
    sec.len = 48;
    TT_EQ_INT(tr_tls13_traffic_keys(s, &sec, &k), TR_E_MALFORMED);
    TT_EQ_INT(tr_tls13_next_secret(s, &sec), TR_E_MALFORMED);
    sec.len = 32;
    TT_EQ_INT(tr_tls13_traffic_keys(tr_suite_find(0xC02F), &sec, &k), TR_E_MALFORMED);
    /* SHA-384 suite: 32-byte key, 48-byte secret */
    struct tr_secret s384 = {48, {1}};
    TT_EQ_INT(tr_tls13_traffic_keys(tr_suite_find(0x1302), &s384, &k), 0);
    TT_EQ_INT(k.key_len, 32);
    tr_keys_wipe(&k);
    TT_EQ_INT(k.key_len, 0);
    tr_secret_wipe(&sec);
}

static void test_secret_type(void)
{
    struct tr_secret s;
    uint8_t big[65] = {0};
    TT_EQ_INT(tr_secret_set(&s, big, 64), 0);
    TT_EQ_INT(s.len, 64);
    TT_EQ_INT(tr_secret_set(&s, big, 65), TR_E_LIMIT);
    TT_EQ_INT(s.len, 0);
    uint8_t l[300];
    char lbl[251];
    memset(lbl, 'a', 250);
    lbl[250] = 0;
    TT_EQ_INT(tr_hkdf_expand_label(TR_HASH_SHA256, big, 32, lbl, NULL, 0, l, 10),
              TR_E_ARG);
    lbl[249] = 0; /* 6 + 249 = 255: the longest label allowed */
    TT_EQ_INT(tr_hkdf_expand_label(TR_HASH_SHA256, big, 32, lbl, NULL, 0, l, 10), 0);
    TT_EQ_INT(tr_hkdf_expand_label(TR_HASH_MD5, big, 32, "key", NULL, 0, l, 10),
              TR_E_UNSUPPORTED);
}

int main(void)
{
    TT_RUN(test_prf_tls12_sha256);
    TT_RUN(test_prf_tls12_sha384);
    TT_RUN(test_prf_tls10);
    TT_RUN(test_ssl3_master_and_key_block);
    TT_RUN(test_ssl3_export_rc4_40);
    TT_RUN(test_tls10_export_des40);
    TT_RUN(test_ems);
    TT_RUN(test_tls12_key_block_shapes);
    TT_RUN(test_tls13_rfc8448_schedule);
    TT_RUN(test_tls13_rfc8448_traffic_keys);
    TT_RUN(test_secret_type);
    TT_DONE();
}
