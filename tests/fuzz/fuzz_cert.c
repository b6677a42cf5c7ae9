/* fuzz_cert.c - tr_cert_summarize() and the Certificate message walker.
 * Input: one flag byte (bit 0: TLS 1.3 layout, bit 1: treat the rest as one
 * DER certificate rather than a Certificate message body), then the bytes.
 * Corpus: tests/fuzz/corpus/fuzz_cert (certificates and messages built from
 * tests/unit/data/certs). */
#include <stddef.h>
#include <stdint.h>

#include "tls/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_cert_info ci;
    struct tr_cert_iter it;
    struct tr_cert_entry e;

    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    data++;
    size--;
    if (flags & 2) {
        (void)tr_cert_summarize(data, size, (time_t)1893456000, &ci);
        return 0;
    }
    if (tr_cert_msg_begin(&it, data, size, flags & 1) != 0)
        return 0;
    /* A 256 KiB message holds at most ~43k three-byte entries; summarizing
     * a handful is enough to exercise the hand-off. */
    for (int n = 0; tr_cert_msg_next(&it, &e) == 1; n++)
        if (n < 8)
            (void)tr_cert_summarize(e.der, e.len, 0, &ci);
    return 0;
}
