/* wipealloc.h - heap blocks that are wiped when freed.
 *
 * The decompressors (zlib, brotli, zstd) and nghttp2's HPACK tables keep
 * cleartext in buffers they allocate themselves.  Their allocator hooks are
 * pointed here: each block carries its size in a max-aligned header in front
 * of it, so that tr_wipe_free() can zero all of it before giving it back.
 *
 * Ownership: a block from tr_wipe_alloc() (or one of the adapters) belongs
 * to the caller until it is passed to tr_wipe_free() (or the matching
 * adapter); never to free(3).  No global state: accounting, if wanted, is
 * the caller's (see proto/h2.c), with tr_wipe_size() to learn a block's size.
 */
#ifndef TR_CORE_WIPEALLOC_H
#define TR_CORE_WIPEALLOC_H

#include <stddef.h>
#include <zlib.h>

/* A block of n bytes (n may be 0), or NULL (out of memory, or n too large
 * for the header).  Aligned for any type. */
void *tr_wipe_alloc(size_t n);
/* Zeroes the whole block, then frees it.  NULL is fine. */
void tr_wipe_free(void *p);
/* The n the block p (not NULL) was allocated with. */
size_t tr_wipe_size(const void *p);

/* zlib's alloc_func / free_func (opaque unused); items * size overflowing
 * gives Z_NULL. */
voidpf tr_wipe_zalloc(voidpf opaque, uInt items, uInt size);
void tr_wipe_zfree(voidpf opaque, voidpf p);

/* The (opaque, size) / (opaque, address) pair brotli's decoder and zstd's
 * ZSTD_customMem take (opaque unused). */
void *tr_wipe_alloc_opaque(void *opaque, size_t n);
void tr_wipe_free_opaque(void *opaque, void *p);

#endif
