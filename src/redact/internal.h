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

/* Structural prefilter of a keyword-less rule (directive "prefilter"): a
 * byte-class sequence every match (and every partial match) starting at s
 * satisfies: optionally a class for the byte before s, then pf_len bytes
 * from s on, as segments of runs of one class. */
#define TR_PF_MAX_LEN 32u  /* longest prefilter, in bytes */
#define TR_PF_MAX_SEG 16u
#define TR_PF_MAX_CLS 16u  /* distinct classes per ruleset (two table bytes) */
struct tr_pf_seg {
    uint8_t cls[256]; /* membership */
    unsigned count;   /* run length */
    unsigned off;     /* offset from the match start */
    unsigned idx;     /* class index in the ruleset table */
};
struct tr_prefilter {
    int has_lb;
    uint8_t lb[256]; /* allowed bytes before the start */
    unsigned lbidx;
    size_t nseg;
    struct tr_pf_seg seg[TR_PF_MAX_SEG];
    size_t len;
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
    struct tr_prefilter *pf; /* NULL: none */
    int scope;             /* SCOPE_* : where the pattern applies */
    unsigned media;        /* bit m: active in enum tr_media m */
    char scope_name[65];   /* header or query parameter name */
    long pfslot;           /* index among the ruleset's prefiltered rules, -1: none */
    struct tr_example *ex;
    size_t nex;
    size_t file;           /* index into ruleset files */
    unsigned line;
};

/* scope directive: the pattern applies to one HTTP header's value (or any
 * header's, name "*"), one query parameter's value (HTTP/1.x lines and
 * HTTP/2 decoded headers alike), the request target, or to bodies of some
 * media types */
enum { SCOPE_STREAM = 0, SCOPE_HEADER, SCOPE_QUERY, SCOPE_TARGET, SCOPE_BODY };
#define TR_MEDIA_ALL ((1u << TR_MEDIA_N) - 1u)

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
    /* fast keyword filter: hash(first 3 bytes | 0x20) over keywords of
     * 2+ bytes; 1-byte keywords found with memchr */
    uint8_t kwhash[1u << 14]; /* 1: a keyword hashes here */
    uint8_t kwshort[1u << 14]; /* 1: a keyword of 2-3 bytes hashes here */
    uint8_t kwquad[1u << 14]; /* 1: hash of the folded first 4 bytes of a
                                 keyword of 4+ bytes */
    uint32_t kwmask3;        /* memcpy'd uint32 mask of its first 3 bytes */
    uint8_t kw1b[256];       /* bytes that are a 1-byte keyword (any case) */
    size_t nkw1b;
    /* structural prefilters */
    uint8_t pf_ctab[2][256]; /* [j / 8] bit j % 8: byte in class j */
    unsigned pf_ncls;
    size_t pf_kmax;          /* longest prefilter (+1 for the byte before) */
    size_t *pf_rules;        /* rule index per slot */
    size_t pf_n;
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

static inline uint32_t tr_kwhash3(uint32_t v)
{
    return (v * 0x9E3779B1u) >> (32 - 14);
}

static inline uint8_t tr_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

#endif
