/* fill.h - emitting n copies of a fill byte (the '*' that stands for bytes
 * withheld at the same length) through a stream rewriter's emit callback,
 * in bounded pieces. */
#ifndef TR_CORE_FILL_H
#define TR_CORE_FILL_H

#include <stddef.h>
#include <stdint.h>

/* The mask character used where withheld bytes keep their length. */
#define TR_FILL_CHAR '*'

/* Calls emit(ctx, piece, k) with pieces of TR_FILL_CHAR totalling n bytes.
 * Returns 0 or the first non-zero emit result. */
int tr_fill_emit(int (*emit)(void *ctx, const uint8_t *p, size_t n), void *ctx, uint64_t n);

#endif
