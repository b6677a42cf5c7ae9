/* ascii.h - ASCII case folding and hex digits for protocol text (HTTP
 * tokens, chunk sizes, key logs, rule files): locale-free, one place. */
#ifndef TR_CORE_ASCII_H
#define TR_CORE_ASCII_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline int tr_ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Value of one hex digit (either case), or -1. */
static inline int tr_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tr_ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Does p[0..n) start with s, ignoring ASCII case? */
static inline int tr_iprefix(const void *p, size_t n, const char *s)
{
    const uint8_t *q = p;
    size_t k = strlen(s);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tr_ascii_lower(q[i]) != tr_ascii_lower((uint8_t)s[i]))
            return 0;
    return 1;
}

/* Does p[0..n) equal s, ignoring ASCII case? */
static inline int tr_ieq(const void *p, size_t n, const char *s)
{
    return n == strlen(s) && tr_iprefix(p, n, s);
}

#endif
