/* test_redact_corpus.c - the labelled corpus (tests/redact/): recall on
 * planted secrets must be 100%, structure and look-alikes must survive
 * (false positives); and the split test: every sample pushed in two pieces
 * split at every offset, and in 1-byte pieces, gives the one-push output. */
#include "core/err.h"
#include "redact/redact.h"
#include "tt.h"

#include <dirent.h>
#include <stdlib.h>

static char dir[600];
static struct tr_ruleset *RS;
static const uint8_t KEY[32] = {0x42};

struct sink {
    uint8_t *p;
    size_t len, cap;
    uint64_t withheld;
};

static int emit(void *ctx, const uint8_t *d, size_t n, uint64_t off, int kind)
{
    struct sink *s = ctx;
    (void)off;
    if (kind != TR_EMIT_DATA) {
        /* mark withheld bytes visibly so the comparison sees them */
        s->withheld += n;
        d = (const uint8_t *)"\x01W";
        n = 2;
    }
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->len, d, n);
    s->len += n;
    return 0;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    b[*n] = 0;
    fclose(f);
    return b;
}

/* Redacts in pieces: cut1/cut2 are split points (cut1 == n: one push);
 * step > 0 pushes step-byte pieces. */
static struct sink run(const uint8_t *in, size_t n, size_t cut, size_t step)
{
    struct sink s = {0};
    struct tr_redact_opts o = {.mask_char = '*', .token_key = KEY};
    struct tr_redactor *R = tr_redactor_new(RS, &o, emit, &s);
    if (step) {
        for (size_t i = 0; i < n; i += step)
            tr_redactor_push(R, in + i, n - i < step ? n - i : step);
    } else {
        tr_redactor_push(R, in, cut);
        tr_redactor_push(R, in + cut, n - cut);
    }
    tr_redactor_flush(R);
    tr_redactor_free(R);
    return s;
}

static size_t unesc(const char *s, char *d)
{
    size_t j = 0;
    for (; *s; s++) {
        if (*s != '\\') {
            d[j++] = *s;
            continue;
        }
        s++;
        d[j++] = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
    }
    d[j] = 0;
    return j;
}

static int contains(const struct sink *s, const char *needle, size_t nl)
{
    if (nl == 0 || nl > s->len)
        return 0;
    for (size_t i = 0; i + nl <= s->len; i++)
        if (s->p[i] == (uint8_t)needle[0] && !memcmp(s->p + i, needle, nl))
            return 1;
    return 0;
}

/* Checks each row of a manifest; must_absent: secrets.  Returns failures. */
static int check_manifest(const char *name, int must_absent, int *total)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    static char line[1 << 16], text[1 << 16];
    int bad = 0;
    char cur[256] = "";
    struct sink out = {0};
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = 0;
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2)
            continue;
        *t1 = *t2 = 0;
        if (strcmp(cur, line)) {
            size_t ll = strlen(line);
            if (ll >= sizeof cur)
                ll = sizeof cur - 1;
            memcpy(cur, line, ll);
            cur[ll] = 0;
            free(out.p);
            char sp[1024];
            snprintf(sp, sizeof sp, "%s/%.255s", dir, cur);
            size_t n;
            uint8_t *in = slurp(sp, &n);
            if (!in)
                return -1;
            out = run(in, n, n, 0);
            free(in);
        }
        size_t nl = unesc(t2 + 1, text);
        (*total)++;
        if (contains(&out, text, nl) == must_absent) {
            bad++;
            /* never print the secret itself: its kind and file */
            printf("  %s: %s %s\n", cur, must_absent ? "secret found:" : "not kept:",
                   must_absent ? t1 + 1 : text);
        }
    }
    free(out.p);
    fclose(f);
    return bad;
}

static void test_recall(void)
{
    int total = 0;
    int missed = check_manifest("secrets.tsv", 1, &total);
    TT_CHECK(missed == 0 && total > 30);
    printf("  recall: %d/%d planted secrets redacted (%.1f%%)\n", total - missed,
           total, total ? 100.0 * (total - missed) / total : 0.0);
}

static void test_false_positives(void)
{
    int total = 0;
    int bad = check_manifest("survivors.tsv", 0, &total);
    printf("  false positives: %d/%d look-alikes and structure strings altered\n",
           bad, total);
    TT_CHECK(bad == 0 && total > 30);
}

static void test_split_every_offset(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int samples = 0;
    long runs = 0;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".txt"))
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%.600s/%.255s", dir, e->d_name);
        size_t n;
        uint8_t *in = slurp(p, &n);
        struct sink ref = run(in, n, n, 0);
        TT_EQ_INT(ref.withheld, 0);
        int bad = 0;
        for (size_t cut = 0; cut <= n && !bad; cut++) {
            struct sink s = run(in, n, cut, 0);
            runs++;
            if (s.len != ref.len || memcmp(s.p, ref.p, s.len)) {
                printf("  %s: split at %zu differs\n", e->d_name, cut);
                bad = 1;
            }
            free(s.p);
        }
        size_t steps[] = {1, 7, 1000};
        for (size_t k = 0; k < 3 && !bad; k++) {
            struct sink s = run(in, n, 0, steps[k]);
            runs++;
            if (s.len != ref.len || memcmp(s.p, ref.p, s.len)) {
                printf("  %s: %zu-byte pieces differ\n", e->d_name, steps[k]);
                bad = 1;
            }
            free(s.p);
        }
        if (bad)
            tt_cur_failed++;
        free(ref.p);
        free(in);
        samples++;
    }
    if (d)
        closedir(d);
    printf("  split test: %d samples, %ld runs\n", samples, runs);
    TT_CHECK(samples >= 5);
}

int main(void)
{
    const char *root = getenv("TR_ROOT");
    char rules[600], err[512];
    snprintf(dir, sizeof dir, "%s/tests/redact", root ? root : ".");
    snprintf(rules, sizeof rules, "%s/rules", root ? root : ".");
    const char *p = rules;
    if (tr_rules_load(&RS, &p, 1, err, sizeof err)) {
        printf("FAIL load rules: %s\n", err);
        return 1;
    }
    TT_RUN(test_recall);
    TT_RUN(test_false_positives);
    TT_RUN(test_split_every_offset);
    tr_rules_free(RS);
    TT_DONE();
}
