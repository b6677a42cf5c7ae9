/* internal.h - shared between the redact module's files only.  The only file
 * that includes PCRE2 besides the engine's .c files. */
#ifndef TR_REDACT_INTERNAL_H
#define TR_REDACT_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "redact/redact.h"

enum { /* validator bits */
    TR_VAL_LUHN = 1u << 0,
    TR_VAL_IBAN = 1u << 1,
    TR_VAL_SSN = 1u << 2,
    TR_VAL_ENTROPY = 1u << 3,
};

struct tr_example {
    int must_match;
    uint8_t *in;
    size_t inlen;
    uint8_t *expect; /* NULL: any match will do */
    size_t explen;
    unsigned line;
};

struct tr_rule {
    char *id;
    char *desc;
    pcre2_code *code;
    int jit;               /* JIT compiled for complete and partial-hard */
    uint32_t secret_group; /* 0: whole match */
    int action;
    size_t window;
    size_t kwwithin;       /* a keyword starts within this many bytes of the match start */
    int kwwithin_set;
    unsigned validators;
    double min_entropy;
    uint8_t **kw;          /* lowercased */
    size_t *kwlen;
    size_t nkw;
    size_t *kwid;          /* index of each keyword in ruleset kws */
    struct tr_example *ex;
    size_t nex;
    size_t file;           /* index into ruleset files */
    unsigned line;
};

struct tr_kw {
    uint8_t *s;   /* lowercased */
    size_t len;
    size_t *rules;
    size_t nrules;
};

struct tr_ruleset {
    struct tr_rule *rules;
    size_t n;
    char **files;
    size_t nfiles;
    pcre2_match_context *mctx;
    struct tr_kw *kws;
    size_t nkws;
    size_t maxklen;
    size_t *kworder;         /* kws indices sorted by first byte */
    size_t kwb[257];         /* kworder[kwb[c]..kwb[c+1]): first byte c */
    uint8_t first[256];      /* first[lower(b)]: some keyword starts with b */
    uint8_t pair[65536 / 8]; /* bitmap: first two bytes of 2-byte keywords */
    uint8_t tri[65536 / 8];  /* bitmap: hash of first three bytes (any case) */
    uint8_t single[256];     /* 1-byte keywords */
    size_t max_window;
    size_t context;          /* bytes kept before a scan position */
    uint32_t max_groups;
};

/* Validators, on the secret bytes. */
int tr_val_luhn(const uint8_t *p, size_t n);
int tr_val_iban(const uint8_t *p, size_t n);
int tr_val_ssn(const uint8_t *p, size_t n);
double tr_val_entropy(const uint8_t *p, size_t n);

/* Redactor restricted to one rule with action forced to mask (self-test);
 * only < 0 means all rules. */
struct tr_redactor *tr_redactor_new_sel(const struct tr_ruleset *rs,
                                        const struct tr_redact_opts *opts,
                                        tr_redact_emit_fn emit, void *ctx,
                                        long only);

static inline unsigned tr_tri_hash(uint8_t a, uint8_t b, uint8_t c)
{
    return ((unsigned)a << 8 ^ (unsigned)b << 4 ^ (unsigned)c ^ (unsigned)a >> 3) & 0xffffu;
}

static inline uint8_t tr_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

#endif
