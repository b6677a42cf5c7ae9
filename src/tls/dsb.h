/* dsb.h - pcapng Decryption Secrets Blocks (draft-ietf-opsawg-pcapng,
 * "Decryption Secrets Block", block type 0x0000000A).
 *
 * libpcap does not expose DSBs, so the capture file is walked here, block
 * by block: Section Header Blocks set the byte order (both orders, any
 * number of sections); every other block is skipped by seeking past it
 * without reading it; a DSB whose secrets type is TLS key log ("TLSK",
 * 0x544c534b) is streamed in chunks through the key log parser into the key
 * store.  Constant memory on multi-GB files.  A gzip-compressed capture
 * (1f 8b) is read through zlib (skipping then costs decompression, still in
 * constant memory).  A file that is not pcapng is not an error: nothing is
 * loaded.
 *
 * Ownership: DSB bytes are secrets: the chunk buffer is wiped after use,
 * nothing is kept except what the key store holds.  Outputs never copy a
 * DSB (that is the writers' side of the same rule).
 */
#ifndef TR_TLS_DSB_H
#define TR_TLS_DSB_H

#include <stddef.h>
#include <stdint.h>

#include "tls/keylog.h"
#include "tls/keystore.h"

#define TR_PCAPNG_SHB 0x0A0D0D0Au
#define TR_PCAPNG_DSB 0x0000000Au
#define TR_DSB_TLS_KEYLOG 0x544c534bu /* "TLSK" */

struct tr_dsb_stats {
    int pcapng;            /* the input is pcapng */
    int gzip;              /* ... read through zlib */
    uint64_t sections;     /* Section Header Blocks */
    uint64_t blocks;       /* all blocks, SHBs included */
    uint64_t dsbs;         /* Decryption Secrets Blocks */
    uint64_t tls_dsbs;     /* ... of type TLS key log (loaded) */
    uint64_t other_dsbs;   /* ... of other types (WireGuard, ZigBee...): ignored */
    uint64_t bad_dsbs;     /* DSBs whose secrets length overruns the block */
    int truncated;         /* the file ends inside a block */
    int malformed;         /* a block length is impossible: walk stopped */
    uint64_t bad_offset;   /* file offset (uncompressed) of that block */
};

/* Walks path and loads every TLS key log DSB into ks.  st and kst are
 * accumulated (zero them once); kst line numbers are per DSB.  Returns 0
 * (also for non-pcapng, truncated or malformed files: see st), TR_E_IO
 * (cannot open/read; errno kept), or a fatal/limit code from the store. */
int tr_dsb_load_file(struct tr_keystore *ks, const char *path,
                     struct tr_dsb_stats *st, struct tr_keylog_stats *kst);

/* Same over an uncompressed pcapng image in memory (tests, fuzzing). */
int tr_dsb_load_mem(struct tr_keystore *ks, const uint8_t *data, size_t len,
                    struct tr_dsb_stats *st, struct tr_keylog_stats *kst);

#endif
