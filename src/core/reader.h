/* reader.h - the one bounds-checked cursor over untrusted bytes.
 *
 * Every read of packet, record or file bytes goes through a struct tr_reader.
 * A failed read sets the sticky `err` flag and returns zero/empty; callers
 * read a whole structure and check tr_rd_ok() once at the end (BearSSL style).
 * Lengths are compared against what remains (`n > end - p`), never by forming
 * pointers past the end.  Views returned by tr_rd_bytes() borrow the
 * underlying buffer and are valid as long as it is.
 */
#ifndef TR_CORE_READER_H
#define TR_CORE_READER_H

#include <stddef.h>
#include <stdint.h>

struct tr_reader {
    const uint8_t *p;
    const uint8_t *end;
    int err;
};

static inline struct tr_reader tr_rd_init(const void *data, size_t len)
{
    struct tr_reader r;
    r.p = (const uint8_t *)data;
    r.end = r.p + len;
    r.err = 0;
    return r;
}

static inline size_t tr_rd_left(const struct tr_reader *r)
{
    return r->err ? 0 : (size_t)(r->end - r->p);
}

static inline int tr_rd_ok(const struct tr_reader *r) { return !r->err; }

/* True when everything was consumed and no read failed. */
static inline int tr_rd_done(const struct tr_reader *r)
{
    return !r->err && r->p == r->end;
}

static inline int tr_rd_need(struct tr_reader *r, size_t n)
{
    if (r->err || n > (size_t)(r->end - r->p)) {
        r->err = 1;
        return 0;
    }
    return 1;
}

static inline uint8_t tr_rd_u8(struct tr_reader *r)
{
    if (!tr_rd_need(r, 1))
        return 0;
    return *r->p++;
}

static inline uint16_t tr_rd_u16(struct tr_reader *r)
{
    if (!tr_rd_need(r, 2))
        return 0;
    uint16_t v = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    return v;
}

static inline uint32_t tr_rd_u24(struct tr_reader *r)
{
    if (!tr_rd_need(r, 3))
        return 0;
    uint32_t v = ((uint32_t)r->p[0] << 16) | ((uint32_t)r->p[1] << 8) | r->p[2];
    r->p += 3;
    return v;
}

static inline uint32_t tr_rd_u32(struct tr_reader *r)
{
    if (!tr_rd_need(r, 4))
        return 0;
    uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
                 ((uint32_t)r->p[2] << 8) | r->p[3];
    r->p += 4;
    return v;
}

/* Little-endian reads, for capture file headers and BSD loopback. */
static inline uint16_t tr_rd_u16le(struct tr_reader *r)
{
    if (!tr_rd_need(r, 2))
        return 0;
    uint16_t v = (uint16_t)(r->p[0] | (r->p[1] << 8));
    r->p += 2;
    return v;
}

static inline uint32_t tr_rd_u32le(struct tr_reader *r)
{
    if (!tr_rd_need(r, 4))
        return 0;
    uint32_t v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) |
                 ((uint32_t)r->p[2] << 16) | ((uint32_t)r->p[3] << 24);
    r->p += 4;
    return v;
}

/* Borrowed view of the next n bytes; NULL (and err set) if fewer remain. */
static inline const uint8_t *tr_rd_bytes(struct tr_reader *r, size_t n)
{
    if (!tr_rd_need(r, n))
        return NULL;
    const uint8_t *v = r->p;
    r->p += n;
    return v;
}

static inline void tr_rd_skip(struct tr_reader *r, size_t n)
{
    (void)tr_rd_bytes(r, n);
}

/* Sub-reader over the next n bytes; the parent advances past them. */
static inline struct tr_reader tr_rd_sub(struct tr_reader *r, size_t n)
{
    const uint8_t *v = tr_rd_bytes(r, n);
    struct tr_reader s = tr_rd_init(v, v ? n : 0);
    s.err = v ? 0 : 1;
    return s;
}

/* Length-prefixed vectors (TLS opaque<..2^8-1> etc.) as sub-readers. */
static inline struct tr_reader tr_rd_vec8(struct tr_reader *r)
{
    return tr_rd_sub(r, tr_rd_u8(r));
}

static inline struct tr_reader tr_rd_vec16(struct tr_reader *r)
{
    return tr_rd_sub(r, tr_rd_u16(r));
}

static inline struct tr_reader tr_rd_vec24(struct tr_reader *r)
{
    return tr_rd_sub(r, tr_rd_u24(r));
}

/* Rest of the buffer as a view (may be empty). */
static inline const uint8_t *tr_rd_rest(struct tr_reader *r, size_t *n)
{
    *n = tr_rd_left(r);
    const uint8_t *v = r->err ? NULL : r->p;
    if (!r->err)
        r->p = r->end;
    return v;
}

/* Fails the reader unless it was fully consumed. */
static inline int tr_rd_finish(struct tr_reader *r)
{
    if (r->p != r->end)
        r->err = 1;
    return !r->err;
}

#endif
