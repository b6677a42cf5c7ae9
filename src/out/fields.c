/* fields.c - bounded field lists for events. */
#include "out/event.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tr_fields_reset(struct tr_fields *fb)
{
    fb->n = 0;
    fb->used = 0;
    fb->truncated = 0;
}

static const char *arena_put(struct tr_fields *fb, const char *s, size_t len)
{
    if (len + 1 > sizeof fb->arena - fb->used)
        return NULL;
    char *d = fb->arena + fb->used;
    memcpy(d, s, len);
    d[len] = '\0';
    fb->used += len + 1;
    return d;
}

static const char *arena_vfmt(struct tr_fields *fb, const char *fmt, va_list ap)
{
    size_t room = sizeof fb->arena - fb->used;
    if (room < 2)
        return NULL;
    char *d = fb->arena + fb->used;
    int n = vsnprintf(d, room, fmt, ap);
    if (n < 0 || (size_t)n >= room)
        return NULL;
    fb->used += (size_t)n + 1;
    return d;
}

void tr_fields_add(struct tr_fields *fb, int depth, const char *key, const char *fmt, ...)
{
    if (fb->n >= TR_MAX_FIELDS) {
        fb->truncated = 1;
        return;
    }
    size_t save = fb->used;
    const char *k = key ? arena_put(fb, key, strlen(key)) : NULL;
    const char *v = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        v = arena_vfmt(fb, fmt, ap);
        va_end(ap);
    }
    if ((key && !k) || (fmt && !v)) {
        fb->used = save;
        fb->truncated = 1;
        return;
    }
    fb->f[fb->n].depth = (uint8_t)depth;
    fb->f[fb->n].key = k;
    fb->f[fb->n].val = v;
    fb->n++;
}

void tr_fields_hex(struct tr_fields *fb, int depth, const char *key,
                   const uint8_t *p, size_t n, size_t max)
{
    char hex[2 * 64 + 4];
    size_t shown = n < max ? n : max;
    if (shown > 64)
        shown = 64;
    size_t j = 0;
    for (size_t i = 0; i < shown; i++) {
        static const char d[] = "0123456789abcdef";
        hex[j++] = d[p[i] >> 4];
        hex[j++] = d[p[i] & 15];
    }
    if (shown < n) {
        memcpy(hex + j, "...", 3);
        j += 3;
    }
    hex[j] = '\0';
    tr_fields_add(fb, depth, key, "%s", hex);
}
