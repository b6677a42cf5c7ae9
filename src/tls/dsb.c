/* dsb.c - pcapng block walker that loads Decryption Secrets Blocks. */
#include "tls/dsb.h"

#include "core/err.h"
#include "core/reader.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

#include <mbedtls/platform_util.h>

/* Read size for DSB contents; also the zlib buffer size. */
#define CHUNK 65536u

/* Byte source: a zlib file (plain files read transparently) or memory. */
struct src {
    gzFile gz;
    const uint8_t *mem;
    size_t len, pos;
    uint64_t off;   /* uncompressed offset */
    int ioerr;
};

/* Reads up to n bytes; returns the count (short at end of input). */
static size_t src_read(struct src *s, uint8_t *buf, size_t n)
{
    size_t got = 0;
    if (s->gz) {
        while (got < n) {
            unsigned want = (unsigned)((n - got) > CHUNK ? CHUNK : (n - got));
            int r = gzread(s->gz, buf + got, want);
            if (r < 0) {
                s->ioerr = 1;
                break;
            }
            if (r == 0)
                break;
            got += (size_t)r;
        }
    } else {
        got = s->len - s->pos < n ? s->len - s->pos : n;
        if (got)
            memcpy(buf, s->mem + s->pos, got);
        s->pos += got;
    }
    s->off += got;
    return got;
}

/* Skips n bytes without reading them (lseek for plain files).  Returns 0,
 * or -1 when the input ended first (or on error). */
static int src_skip(struct src *s, uint64_t n)
{
    if (s->gz) {
        z_off_t before = gztell(s->gz);
        if (n > (uint64_t)INT64_MAX / 2)
            return -1;
        z_off_t r = gzseek(s->gz, (z_off_t)n, SEEK_CUR);
        if (r < 0 || (uint64_t)(r - before) != n) {
            s->ioerr = r < 0;
            return -1;
        }
        s->off += n;
        /* gzseek on a plain file may seek past the end: detect by peeking
         * at the next read (gzread returns 0).  Callers read a block header
         * next and treat a short read as truncation. */
        return 0;
    }
    if (n > s->len - s->pos) {
        s->off += s->len - s->pos;
        s->pos = s->len;
        return -1;
    }
    s->pos += (size_t)n;
    s->off += n;
    return 0;
}

static uint32_t get32(const uint8_t *p, int be)
{
    struct tr_reader r = tr_rd_init(p, 4);
    return be ? tr_rd_u32(&r) : tr_rd_u32le(&r);
}

/* One DSB: body_len bytes after type+length, ending with the trailing
 * length.  Streams TLS key log contents into the key log parser. */
static int load_dsb(struct tr_keystore *ks, struct src *s, uint64_t body_len,
                    int be, struct tr_dsb_stats *st, struct tr_keylog_stats *kst,
                    uint8_t *chunk)
{
    uint8_t hdr[8];
    int rc = 0;
    st->dsbs++;
    if (body_len < 12) { /* secrets type, length, trailing length */
        st->bad_dsbs++;
        return src_skip(s, body_len) == 0 ? 0 : (st->truncated = 1, 0);
    }
    if (src_read(s, hdr, 8) != 8) {
        st->truncated = 1;
        return 0;
    }
    uint32_t type = get32(hdr, be);
    uint64_t slen = get32(hdr + 4, be);
    uint64_t room = body_len - 12; /* secrets + padding + options */
    if (slen > room) {
        st->bad_dsbs++;
        if (src_skip(s, body_len - 8) != 0)
            st->truncated = 1;
        return 0;
    }
    if (type != TR_DSB_TLS_KEYLOG) {
        st->other_dsbs++;
        if (src_skip(s, body_len - 8) != 0)
            st->truncated = 1;
        return 0;
    }
    st->tls_dsbs++;
    struct tr_keylog_stream kl;
    tr_keylog_stream_init(&kl, ks, kst);
    uint64_t left = slen;
    while (left) {
        size_t want = left > CHUNK ? CHUNK : (size_t)left;
        size_t got = src_read(s, chunk, want);
        if (got && !rc)
            rc = tr_keylog_stream_feed(&kl, chunk, got);
        mbedtls_platform_zeroize(chunk, got);
        left -= got;
        if (got < want) {
            st->truncated = 1;
            break;
        }
    }
    /* A DSB holds whole lines; a truncated one still ends its last line. */
    int rc2 = tr_keylog_stream_finish(&kl);
    if (!rc)
        rc = rc2;
    if (!st->truncated && src_skip(s, room - slen + 4) != 0)
        st->truncated = 1;
    return rc;
}

static int walk(struct tr_keystore *ks, struct src *s, struct tr_dsb_stats *st,
                struct tr_keylog_stats *kst)
{
    uint8_t hdr[12];
    uint8_t chunk[CHUNK];
    int be = 0, rc = 0;

    size_t got = src_read(s, hdr, 12);
    if (got < 12 || get32(hdr, 0) != TR_PCAPNG_SHB)
        return 0; /* not pcapng (pcap, or empty): nothing to load */
    st->pcapng = 1;
    uint64_t block_off = 0;
    for (;;) {
        uint32_t type, len;
        if (get32(hdr, 0) == TR_PCAPNG_SHB) {
            uint32_t magic = get32(hdr + 8, 0);
            if (magic == 0x1A2B3C4Du)
                be = 0;
            else if (magic == 0x4D3C2B1Au)
                be = 1;
            else {
                st->malformed = 1;
                st->bad_offset = block_off;
                break;
            }
            st->sections++;
        }
        type = get32(hdr, be);
        len = get32(hdr + 4, be);
        st->blocks++;
        if (len < 12 || len % 4 || (type == TR_PCAPNG_SHB && len < 28)) {
            st->malformed = 1;
            st->bad_offset = block_off;
            break;
        }
        if (type == TR_PCAPNG_SHB) {
            if (src_skip(s, (uint64_t)len - 12) != 0) {
                st->truncated = 1;
                break;
            }
        } else if (type == TR_PCAPNG_DSB) {
            rc = load_dsb(ks, s, (uint64_t)len - 8, be, st, kst, chunk);
            if (rc || st->truncated)
                break;
        } else if (src_skip(s, (uint64_t)len - 8) != 0) {
            st->truncated = 1;
            break;
        }
        /* next block: type + length, and for an SHB the byte-order magic */
        block_off = s->off;
        got = src_read(s, hdr, 8);
        if (got == 0)
            break; /* clean end */
        if (got < 8) {
            st->truncated = 1;
            break;
        }
        if (get32(hdr, 0) == TR_PCAPNG_SHB) {
            if (src_read(s, hdr + 8, 4) != 4) {
                st->truncated = 1;
                break;
            }
        }
    }
    mbedtls_platform_zeroize(chunk, sizeof chunk);
    return rc;
}

int tr_dsb_load_mem(struct tr_keystore *ks, const uint8_t *data, size_t len,
                    struct tr_dsb_stats *st, struct tr_keylog_stats *kst)
{
    struct src s;
    memset(&s, 0, sizeof s);
    s.mem = data;
    s.len = data ? len : 0;
    return walk(ks, &s, st, kst);
}

int tr_dsb_load_file(struct tr_keystore *ks, const char *path,
                     struct tr_dsb_stats *st, struct tr_keylog_stats *kst)
{
    struct src s;
    uint8_t magic[2];
    memset(&s, 0, sizeof s);
    FILE *f = fopen(path, "rb");
    if (!f)
        return TR_E_IO;
    size_t n = fread(magic, 1, 2, f);
    fclose(f);
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        st->gzip = 1;
    s.gz = gzopen(path, "rb");
    if (!s.gz)
        return TR_E_IO;
    gzbuffer(s.gz, CHUNK);
    int rc = walk(ks, &s, st, kst);
    int e = errno;
    if (!rc && s.ioerr)
        rc = TR_E_IO;
    gzclose(s.gz);
    errno = e;
    return rc;
}
