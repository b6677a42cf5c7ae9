/* redact_bench.c - pushes a file through the redactor in 16 KiB pieces (one
 * TLS record's worth), a new redactor per 1 MiB "connection", and prints
 * MB/s.  Usage: redact_bench FILE RULES...
 * With REDACT_BENCH_OUT=PATH in the environment the redacted stream is
 * written there (withheld runs as "<W kind len>" markers), to compare the
 * output of two engine builds byte for byte; REDACT_BENCH_REC=N changes the
 * piece size. */
#include "redact/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static FILE *dump;

static int sink(void *ctx, const uint8_t *d, size_t n, uint64_t off, int kind)
{
    (void)off;
    *(uint64_t *)ctx += n;
    if (dump) {
        if (kind == 0)
            fwrite(d, 1, n, dump);
        else
            fprintf(dump, "<W %d %zu>", kind, n);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FILE RULES...\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n);
    if (!buf || fread(buf, 1, n, f) != n)
        return 1;
    fclose(f);
    struct tr_ruleset *rs;
    char err[512];
    if (tr_rules_load(&rs, (const char *const *)argv + 2, (size_t)argc - 2, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *dp = getenv("REDACT_BENCH_OUT");
    if (dp && !(dump = fopen(dp, "wb")))
        return 1;
    const char *rp = getenv("REDACT_BENCH_REC");
    uint8_t key[32] = {7};
    struct tr_redact_opts o = {.mask_char = '*', .token_key = key};
    uint64_t out = 0, matches = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const size_t conn = 1u << 20;
    const size_t rec = rp && atol(rp) > 0 ? (size_t)atol(rp) : 16384;
    for (size_t c = 0; c < n; c += conn) {
        struct tr_redactor *R = tr_redactor_new(rs, &o, sink, &out);
        size_t end = c + conn < n ? c + conn : n;
        for (size_t i = c; i < end; i += rec)
            tr_redactor_push(R, buf + i, end - i < rec ? end - i : rec);
        tr_redactor_flush(R);
        for (size_t r = 0; r < tr_rules_count(rs); r++) {
            matches += tr_redactor_rule_matches(R, r);
            if (dump)
                fprintf(dump, "<R %zu %llu %llu>", r,
                        (unsigned long long)tr_redactor_rule_matches(R, r),
                        (unsigned long long)tr_redactor_rule_bytes(R, r));
        }
        tr_redactor_free(R);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%zu rules  %.1f MB in %.3f s  %.1f MB/s  %llu matches\n", tr_rules_count(rs),
           (double)n / 1e6, s, (double)n / 1e6 / s, (unsigned long long)matches);
    if (dump)
        fclose(dump);
    tr_rules_free(rs);
    free(buf);
    return 0;
}
