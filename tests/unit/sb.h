/* sb.h - a growable byte buffer for the unit tests: built-up input, and the
 * output a module under test emits through its callback (sink).
 *
 * Header-only (static inline), test code only.  A struct sb starts as
 * {0}, owns its bytes and is released with sb_free().  The bytes are always
 * followed by a NUL (not counted in len) once anything was put, so text
 * output can be handed to string functions.  Allocation failure aborts. */
#ifndef TEST_SB_H
#define TEST_SB_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sb {
    uint8_t *p;
    size_t len, cap;
};

static inline void sb_put(struct sb *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

static inline void sb_str(struct sb *b, const char *s) { sb_put(b, s, strlen(s)); }

static inline void sb_free(struct sb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* An emit callback appending to the struct sb ctx; always 0. */
static inline int sink(void *ctx, const uint8_t *p, size_t n)
{
    sb_put(ctx, p, n);
    return 0;
}

/* Whether s occurs in b (exactly / ignoring ASCII case). */
static inline int has(const struct sb *b, const char *s)
{
    return b->len && memmem(b->p, b->len, s, strlen(s)) != NULL;
}

static inline int has_ci(const struct sb *b, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= b->len; i++)
        if (strncasecmp((const char *)b->p + i, s, k) == 0)
            return 1;
    return 0;
}

#endif
