/* buf.h - growable byte buffer with a hard ceiling (curl's dynbuf idea).
 * A buffer that held cleartext or secrets is wiped on free. */
#ifndef TR_CORE_BUF_H
#define TR_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct tr_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* ceiling: appends beyond it fail with TR_E_LIMIT */
};

void tr_buf_init(struct tr_buf *b, size_t max);
/* Appends n bytes; returns 0, TR_E_LIMIT (buffer unchanged) or TR_E_NOMEM. */
int tr_buf_append(struct tr_buf *b, const void *p, size_t n);
/* Drops the first n bytes (n <= len). */
void tr_buf_consume(struct tr_buf *b, size_t n);
void tr_buf_reset(struct tr_buf *b);
/* Wipes and frees. */
void tr_buf_free(struct tr_buf *b);

#endif
