/* fuzz_dsb.c - pcapng block walker and Decryption Secrets Block loader. */
#include <stdint.h>
#include <string.h>

#include "tls/dsb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_keystore *ks = tr_keystore_new();
    struct tr_dsb_stats st;
    struct tr_keylog_stats kst;
    if (!ks)
        return 0;
    memset(&st, 0, sizeof st);
    memset(&kst, 0, sizeof kst);
    tr_dsb_load_mem(ks, data, size, &st, &kst);
    tr_keystore_free(ks);
    return 0;
}
