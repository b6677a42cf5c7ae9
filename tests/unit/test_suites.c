/* test_suites.c - the cipher suite table: order, coverage, sizes. */
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "tls/suites.h"
#include "tt.h"

static void test_sorted_and_complete(void)
{
    /* every id in 0..0xFFFF: names round-trip and lookups agree */
    unsigned count = 0, decryptable = 0;
    int prev = -1;
    for (unsigned id = 0; id <= 0xFFFF; id++) {
        const struct tr_suite *s = tr_suite_find((uint16_t)id);
        if (!s)
            continue;
        TT_EQ_INT(s->id, id);
        TT_CHECK((int)id > prev);
        prev = (int)id;
        count++;
        TT_CHECK(s->name && s->name[0]);
        TT_CHECK((s->why == NULL) == ((s->flags & TR_SUITE_DECRYPTABLE) != 0));
        if (s->flags & TR_SUITE_DECRYPTABLE) {
            decryptable++;
            TT_CHECK(s->exp_key_len <= 32);
            TT_CHECK(s->iv_len <= 16);
            if (s->mode == TR_MODE_CBC)
                TT_CHECK(s->block_len == 8 || s->block_len == 16);
            if (s->flags & TR_SUITE_AEAD)
                TT_CHECK(s->tag_len == 16 || s->tag_len == 8);
            else
                TT_CHECK(s->mac_len == 0 ? s->id == 0 : 1);
        }
    }
    /* the IANA registry has 351 assigned values today, plus 16 GREASE and
     * 9 unregistered SSL-era values; fewer means rows were lost */
    TT_CHECK(count >= 370);
    TT_CHECK(decryptable >= 200);
    printf("  %u suites, %u decryptable\n", count, decryptable);
}

static void test_names(void)
{
    char b[16];
    TT_EQ_STR(tr_suite_name(0xC02F, b, sizeof b), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    TT_EQ_STR(tr_suite_name(0x1301, b, sizeof b), "TLS_AES_128_GCM_SHA256");
    TT_EQ_STR(tr_suite_name(0x00FF, b, sizeof b), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
    TT_EQ_STR(tr_suite_name(0x5600, b, sizeof b), "TLS_FALLBACK_SCSV");
    TT_EQ_STR(tr_suite_name(0x0003, b, sizeof b), "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
    TT_EQ_STR(tr_suite_name(0xCCA8, b, sizeof b), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    TT_EQ_STR(tr_suite_name(0xC0AA, b, sizeof b), "TLS_PSK_DHE_WITH_AES_128_CCM_8");
    TT_EQ_STR(tr_suite_name(0x0A0A, b, sizeof b), "GREASE");
    TT_EQ_STR(tr_suite_name(0xFAFA, b, sizeof b), "GREASE");
    TT_EQ_STR(tr_suite_name(0xC0FF, b, sizeof b), "0xC0FF");
    TT_EQ_STR(tr_suite_name(0x0a0b, b, sizeof b), "0x0A0B");
    TT_EQ_STR(tr_suite_name(0xC0FF, b, 3), "?");
    TT_CHECK(tr_suite_find(0x0A0A)->flags & TR_SUITE_GREASE);
    TT_CHECK(tr_suite_find(0x5600)->flags & TR_SUITE_SCSV);
    TT_CHECK(tr_suite_find(0xFF01) == NULL);
}

static void test_properties(void)
{
    const struct tr_suite *s = tr_suite_find(0xC02F);
    TT_EQ_INT(s->kx, TR_KX_ECDHE);
    TT_EQ_INT(s->cipher, TR_CIPHER_AES_128);
    TT_EQ_INT(s->mode, TR_MODE_GCM);
    TT_EQ_INT(s->mac, TR_MAC_AEAD);
    TT_EQ_INT(s->prf, TR_HASH_SHA256);
    TT_EQ_INT(s->key_len, 16);
    TT_EQ_INT(s->iv_len, 4);
    TT_EQ_INT(s->rec_iv_len, 8);
    TT_EQ_INT(s->tag_len, 16);

    s = tr_suite_find(0x009D);
    TT_EQ_INT(s->kx, TR_KX_RSA);
    TT_EQ_INT(s->prf, TR_HASH_SHA384);
    TT_EQ_INT(s->key_len, 32);

    s = tr_suite_find(0x000A);
    TT_EQ_INT(s->cipher, TR_CIPHER_3DES);
    TT_EQ_INT(s->mode, TR_MODE_CBC);
    TT_EQ_INT(s->mac, TR_MAC_SHA1);
    TT_EQ_INT(s->mac_len, 20);
    TT_EQ_INT(s->key_len, 24);
    TT_EQ_INT(s->block_len, 8);

    s = tr_suite_find(0x0003);
    TT_CHECK(s->flags & TR_SUITE_EXPORT);
    TT_EQ_INT(s->key_len, 5);
    TT_EQ_INT(s->exp_key_len, 16);
    TT_EQ_INT(s->mode, TR_MODE_STREAM);
    TT_EQ_INT(s->mac, TR_MAC_MD5);

    s = tr_suite_find(0x1305);
    TT_EQ_INT(s->kx, TR_KX_TLS13);
    TT_EQ_INT(s->mode, TR_MODE_CCM_8);
    TT_EQ_INT(s->tag_len, 8);
    TT_EQ_INT(s->iv_len, 12);
    TT_CHECK(tr_suite_decryptable(s));

    s = tr_suite_find(0xCCAC);
    TT_EQ_INT(s->kx, TR_KX_ECDHE_PSK);
    TT_EQ_INT(s->mode, TR_MODE_POLY1305);
    TT_EQ_INT(s->iv_len, 12);
    TT_EQ_INT(s->rec_iv_len, 0);

    TT_EQ_INT(tr_suite_find(0xC0AA)->kx, TR_KX_DHE_PSK);
    TT_EQ_INT(tr_suite_find(0x0018)->kx, TR_KX_DH_ANON);
    TT_EQ_INT(tr_suite_find(0xC086)->mode, TR_MODE_GCM); /* Camellia-GCM */
    TT_CHECK(tr_suite_decryptable(tr_suite_find(0xC086)));
    TT_CHECK(!tr_suite_decryptable(tr_suite_find(0xC050))); /* ARIA */
    TT_CHECK(strstr(tr_suite_find(0xC050)->why, "ARIA") != NULL);
    TT_CHECK(!tr_suite_decryptable(tr_suite_find(0x0096))); /* SEED */
    TT_CHECK(!tr_suite_decryptable(tr_suite_find(0x0007))); /* IDEA */
    TT_CHECK(!tr_suite_decryptable(tr_suite_find(0x0006))); /* RC2 */
    TT_CHECK(!tr_suite_decryptable(tr_suite_find(0x0A0A)));
    TT_EQ_STR(tr_kx_name(TR_KX_ECDHE), "ECDHE");
    TT_EQ_STR(tr_cipher_name(TR_CIPHER_CHACHA20), "CHACHA20");
    TT_EQ_STR(tr_mode_name(TR_MODE_CCM_8), "CCM_8");
    TT_EQ_STR(tr_mac_name(TR_MAC_SHA384), "SHA384");
    TT_EQ_STR(tr_mac_name(200), "?");
}

static void test_check(void)
{
    TT_EQ_INT(tr_suite_check(tr_suite_find(0xC02F), TR_VER_TLS12), 0);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0xC02F), TR_VER_TLS11), TR_E_MALFORMED);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0x1301), TR_VER_TLS12), TR_E_MALFORMED);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0xC02F), TR_VER_TLS13), TR_E_MALFORMED);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0x1301), TR_VER_TLS13), 0);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0x002F), TR_VER_SSL3), 0);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0x0003), TR_VER_TLS10), 0);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0x0003), TR_VER_TLS12), TR_E_MALFORMED);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0x00FF), TR_VER_TLS12), TR_E_MALFORMED);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0xC050), TR_VER_TLS12), TR_E_UNSUPPORTED);
    TT_EQ_INT(tr_suite_check(tr_suite_find(0x002F), 0x0200), TR_E_UNSUPPORTED);
    TT_EQ_INT(tr_suite_check(NULL, TR_VER_TLS12), TR_E_UNSUPPORTED);
}

int main(void)
{
    TT_RUN(test_sorted_and_complete);
    TT_RUN(test_names);
    TT_RUN(test_properties);
    TT_RUN(test_check);
    TT_DONE();
}
