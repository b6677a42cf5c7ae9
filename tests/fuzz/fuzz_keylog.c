/* fuzz_keylog.c - NSS key log parser: memory path, plus the same bytes fed
 * in small uneven chunks through the stream (the results must agree). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_keystore *ks = tr_keystore_new(), *ks2 = tr_keystore_new();
    struct tr_keylog_stats st, st2;
    struct tr_keylog_stream s;
    if (!ks || !ks2)
        goto out;
    memset(&st, 0, sizeof st);
    memset(&st2, 0, sizeof st2);
    tr_keylog_load_mem(ks, data, size, &st);
    tr_keylog_stream_init(&s, ks2, &st2);
    for (size_t off = 0, step = 1; off < size; off += step, step = step % 7 + 1)
        tr_keylog_stream_feed(&s, data + off, step < size - off ? step : size - off);
    tr_keylog_stream_finish(&s);
    if (st.total != st2.total || st.lines != st2.lines ||
        st.malformed != st2.malformed || st.unknown != st2.unknown)
        abort();
out:
    tr_keystore_free(ks);
    tr_keystore_free(ks2);
    return 0;
}
