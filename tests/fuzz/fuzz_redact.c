/* fuzz_redact.c - the matcher over the default packs: any bytes as a
 * cleartext stream, pushed whole and in pieces whose sizes come from the
 * input; the outputs must be identical and account for every input byte. */
#include "redact/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    uint8_t *p;
    size_t len, cap;
    uint64_t in; /* input bytes accounted for */
};

static int emit(void *ctx, const uint8_t *d, size_t n, uint64_t off, int kind)
{
    struct sink *s = ctx;
    if (off != s->in)
        abort();
    s->in += n;
    if (kind != 0) {
        d = (const uint8_t *)"\x01";
        n = 1;
    }
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, s->cap);
        if (!s->p)
            abort();
    }
    memcpy(s->p + s->len, d, n);
    s->len += n;
    return 0;
}

static struct tr_ruleset *RS;

static void run(const uint8_t *data, size_t size, size_t piece, struct sink *s)
{
    static const uint8_t key[32] = {1};
    struct tr_redact_opts o = {.mask_char = 0, .token_key = key};
    struct tr_redactor *R = tr_redactor_new(RS, &o, emit, s);
    if (!R)
        abort();
    for (size_t i = 0; i < size; i += piece)
        tr_redactor_push(R, data + i, size - i < piece ? size - i : piece);
    tr_redactor_flush(R);
    tr_redactor_free(R);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!RS) {
        const char *root = getenv("TR_ROOT");
        char path[512];
        snprintf(path, sizeof path, "%s/rules", root ? root : ".");
        const char *p = path;
        char err[512];
        if (tr_rules_load(&RS, &p, 1, err, sizeof err))
            abort();
    }
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    struct sink a = {0}, b = {0};
    run(data, size, size ? size : 1, &a);
    run(data, size, piece, &b);
    if (a.in != size || b.in != size || a.len != b.len ||
        (a.len && memcmp(a.p, b.p, a.len)))
        abort();
    free(a.p);
    free(b.p);
    return 0;
}
