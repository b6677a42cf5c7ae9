/* fuzz_recdec.c - record decryption with keys taken from the input.
 * Layout: suite id (2) | version selector (1) | flags (1: bit0 EtM) |
 * mac key (48) | key (32) | iv (16) | seq (8) | records, each
 * type (1) | length (2) | body (length, clipped to what is left).
 * Random keys almost never authenticate, so this mostly exercises the
 * length/padding/tag paths; the corpus holds records with valid MACs. */
#include <stdint.h>
#include <string.h>

#include "core/limits.h"
#include "tls/keysched.h"
#include "tls/recdec.h"
#include "tls/suites.h"

static const uint16_t versions[] = {TR_VER_SSL3, TR_VER_TLS10, TR_VER_TLS11,
                                    TR_VER_TLS12, TR_VER_TLS13};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[TR_TLS_MAX_RECORD + 64];
    if (size < 4 + 48 + 32 + 16 + 8)
        return 0;
    uint16_t id = (uint16_t)(data[0] << 8 | data[1]);
    uint16_t ver = versions[data[2] % 5];
    int etm = data[3] & 1;
    const struct tr_suite *s = tr_suite_find(id);
    if (!s)
        return 0;
    struct tr_dir_keys k;
    memset(&k, 0, sizeof k);
    memcpy(k.mac_key, data + 4, 48);
    memcpy(k.key, data + 52, 32);
    memcpy(k.iv, data + 84, 16);
    k.mac_len = s->mac_len;
    k.key_len = s->exp_key_len;
    k.iv_len = s->iv_len;
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++)
        seq = seq << 8 | data[100 + i];
    size_t off = 108;

    struct tr_recdec rd;
    if (tr_recdec_init(&rd, s, ver, etm, &k) != 0)
        return 0;
    tr_recdec_set_seq(&rd, seq);
    while (size - off >= 3) {
        uint8_t type = data[off];
        size_t len = (size_t)(data[off + 1] << 8 | data[off + 2]);
        off += 3;
        if (len > size - off)
            len = size - off;
        size_t ol;
        uint8_t it;
        int rc = tr_recdec_decrypt(&rd, type, ver, data + off, len, out, &ol, &it);
        if (rc == 0 && ol > len)
            __builtin_trap();
        off += len;
        if (rc == 0 && (off & 1)) /* now and then, a KeyUpdate-style rekey */
            (void)tr_recdec_rekey(&rd, &k);
    }
    tr_recdec_free(&rd);
    return 0;
}
