/* h2mask.c - see h2mask.h. */
#include "proto/h2mask.h"

#include <string.h>

#define PREFACE_LEN 24
#define MAX_FRAME ((1u << 24) - 1)

static const char name[] = "x-tlsredact-withheld";
#define NAME_LEN (sizeof name - 1)

enum { F_DATA = 0, F_HEADERS = 1, F_PUSH_PROMISE = 5, F_CONTINUATION = 9 };
enum { FL_PADDED = 0x8, FL_PRIORITY = 0x20 };

void tr_h2mask_init(struct tr_h2mask *m, int client)
{
    memset(m, 0, sizeof *m);
    m->client = client;
    m->preface_left = client ? PREFACE_LEN : 0;
}

void tr_h2mask_gap(struct tr_h2mask *m) { m->lost = 1; }

/* Length of the HPACK integer encoding of v with a 7-bit prefix. */
static size_t int_len(size_t v)
{
    size_t n = 1;
    if (v < 127)
        return 1;
    v -= 127;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n + 1;
}

/* Byte k of the HPACK integer encoding of v (7-bit prefix, flags 0). */
static uint8_t int_byte(size_t v, size_t k)
{
    if (v < 127)
        return (uint8_t)v;
    if (k == 0)
        return 127;
    size_t total = int_len(v);
    v -= 127;
    for (size_t j = 1; j < k; j++)
        v >>= 7;
    return (uint8_t)((v & 0x7f) | (k + 1 < total ? 0x80 : 0));
}

/* The filler of len bytes: 0x00 (literal, not indexed, new name), name
 * length, name, value length, value of '*'.  Blocks too short for that are
 * made of indexed fields 0x90 (static entry 16: accept-encoding). */
uint8_t tr_h2mask_filler(size_t len, size_t i)
{
    size_t head = 2 + NAME_LEN;
    if (len < head + 1 + 1) {
        return 0x90;
    }
    /* value length v such that head + int_len(v) + v == len */
    size_t v = 0, il = 1;
    for (il = 1; il <= 5; il++) {
        if (len < head + il)
            break;
        v = len - head - il;
        if (int_len(v) == il)
            break;
    }
    if (il > 5 || int_len(v) != il)
        return 0x90; /* cannot happen for sane lengths; still valid HPACK */
    if (i == 0)
        return 0x00;
    if (i == 1)
        return (uint8_t)NAME_LEN;
    if (i < head)
        return (uint8_t)name[i - 2];
    if (i < head + il)
        return int_byte(v, i - head);
    return '*';
}

static void start_frame(struct tr_h2mask *m)
{
    const uint8_t *h = m->hdr;
    m->left = ((uint32_t)h[0] << 16) | ((uint32_t)h[1] << 8) | h[2];
    m->type = h[3];
    m->flags = h[4];
    m->skip = m->pad = m->frag_len = m->frag_pos = m->pos = 0;
    if (m->left > MAX_FRAME) {
        m->lost = 1;
        return;
    }
    if (m->type == F_HEADERS || m->type == F_PUSH_PROMISE || m->type == F_CONTINUATION) {
        size_t pre = 0;
        if (m->type != F_CONTINUATION && (m->flags & FL_PADDED))
            pre += 1; /* pad length: read as it streams by */
        if (m->type == F_HEADERS && (m->flags & FL_PRIORITY))
            pre += 5;
        if (m->type == F_PUSH_PROMISE)
            pre += 4;
        if (pre > m->left) {
            m->lost = 1;
            return;
        }
        m->skip = pre;
        m->frag_len = m->left - pre; /* minus padding, known once the pad byte is read */
    }
}

void tr_h2mask_apply(struct tr_h2mask *m, uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (m->lost) {
            memset(p + i, '*', n - i);
            m->masked += n - i;
            return;
        }
        if (m->preface_left) {
            size_t k = n - i < m->preface_left ? n - i : m->preface_left;
            i += k;
            m->preface_left -= k;
            continue;
        }
        if (m->left == 0 && m->hdr_have < 9) {
            m->hdr[m->hdr_have++] = p[i++];
            if (m->hdr_have == 9) {
                start_frame(m);
                m->hdr_have = 0;
                if (m->left == 0)
                    continue;
                m->hdr_have = 9; /* in a payload */
            }
            continue;
        }
        /* payload bytes */
        size_t avail = n - i;
        if (m->skip) {
            /* the first payload byte of a PADDED frame is the pad length */
            if ((m->flags & FL_PADDED) && m->type != F_CONTINUATION && m->pos == 0) {
                size_t padlen = p[i];
                if (padlen > m->frag_len) {
                    m->lost = 1;
                    continue;
                }
                m->pad = padlen;
                m->frag_len -= padlen;
            }
            m->skip--;
            m->left--;
            m->pos++;
            i++;
        } else if (m->frag_pos < m->frag_len) {
            size_t k = m->frag_len - m->frag_pos;
            if (k > avail)
                k = avail;
            for (size_t j = 0; j < k; j++)
                p[i + j] = tr_h2mask_filler(m->frag_len, m->frag_pos + j);
            m->frag_pos += k;
            m->masked += k;
            m->left -= (uint32_t)k;
            m->pos += k;
            i += k;
        } else {
            /* DATA, padding, other frame types: untouched */
            size_t k = m->left < avail ? m->left : avail;
            m->left -= (uint32_t)k;
            m->pos += k;
            i += k;
        }
        if (m->left == 0)
            m->hdr_have = 0;
    }
}
