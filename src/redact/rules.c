/* rules.c - rule file parser and ruleset (format: docs/rules.md). */
#include "redact/internal.h"
#include "core/ascii.h"

#include "core/err.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RULES_MAX_FILE  (4u << 20) /* a rule file larger than this is a mistake */
#define RULES_MAX_RULES 4096u
#define RULES_MAX_KW    64u        /* longest keyword */
#define RULES_ID_MAX    64u

struct parse {
    struct tr_ruleset *rs;
    const char *file;
    size_t fileidx;
    unsigned line;
    char *err;
    size_t errlen;
    struct tr_rule *cur;    /* rule being read */
};

static int perr(struct parse *ps, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->err && ps->errlen)
        snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->file, ps->line, msg);
    return TR_E_RULES;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static void rule_clear(struct tr_rule *r)
{
    free(r->id);
    free(r->desc);
    if (r->code)
        pcre2_code_free(r->code);
    for (size_t i = 0; i < r->nkw; i++)
        free(r->kw[i]);
    free(r->kw);
    free(r->kwlen);
    free(r->kwid);
    free(r->pf);
    for (size_t i = 0; i < r->nex; i++) {
        free(r->ex[i].in);
        free(r->ex[i].expect);
    }
    free(r->ex);
    memset(r, 0, sizeof *r);
}

void tr_rules_free(struct tr_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_clear(&rs->rules[i]);
    free(rs->rules);
    for (size_t i = 0; i < rs->nfiles; i++)
        free(rs->files[i]);
    free(rs->files);
    for (size_t i = 0; i < rs->nkws; i++) {
        free(rs->kws[i].s);
        free(rs->kws[i].rules);
    }
    free(rs->kws);
    free(rs->kworder);
    free(rs->pf_rules);
    if (rs->mctx)
        pcre2_match_context_free(rs->mctx);
    free(rs);
}

/* Example strings: C-like escapes \r \n \t \\ \xHH, \s for a space (so a
 * trailing space is visible).  Returns 0 or -1 on a bad escape. */
static int unescape(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
    uint8_t *d = malloc(n + 1);
    size_t j = 0;
    if (!d)
        return -2;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            d[j++] = (uint8_t)s[i];
            continue;
        }
        if (++i >= n)
            goto bad;
        switch (s[i]) {
        case 'r': d[j++] = '\r'; break;
        case 'n': d[j++] = '\n'; break;
        case 't': d[j++] = '\t'; break;
        case 's': d[j++] = ' '; break;
        case '0': d[j++] = 0; break;
        case '\\': d[j++] = '\\'; break;
        case 'x': {
            unsigned v = 0;
            for (int k = 0; k < 2; k++) {
                if (++i >= n)
                    goto bad;
                int x = tr_hexval((unsigned char)s[i]);
                if (x < 0)
                    goto bad;
                v = v << 4 | (unsigned)x;
            }
            d[j++] = (uint8_t)v;
            break;
        }
        default:
            goto bad;
        }
    }
    *out = d;
    *outlen = j;
    return 0;
bad:
    free(d);
    return -1;
}

static int valid_id(const char *s, size_t n)
{
    if (n == 0 || n > RULES_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static int compile_rule(struct parse *ps, struct tr_rule *r, const char *pat,
                        size_t n, int utf)
{
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = PCRE2_USE_OFFSET_LIMIT |
                    (utf ? (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF) : 0);
    r->code = pcre2_compile((PCRE2_SPTR)pat, n, opts, &ec, &eo, NULL);
    if (!r->code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
            strcpy((char *)msg, "unknown error");
        return perr(ps, "bad pattern at offset %zu: %s", (size_t)eo,
                    (const char *)msg);
    }
    r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE |
                                            PCRE2_JIT_PARTIAL_HARD) == 0;
    int named = pcre2_substring_number_from_name(r->code,
                                                 (PCRE2_SPTR) "secret");
    uint32_t cap = 0;
    pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &cap);
    if (named > 0)
        r->secret_group = (uint32_t)named;
    else if (named == PCRE2_ERROR_NOUNIQUESUBSTRING)
        return perr(ps, "group name 'secret' used more than once");
    else
        r->secret_group = cap >= 1 ? 1 : 0;
    uint32_t lb = 0;
    pcre2_pattern_info(r->code, PCRE2_INFO_MAXLOOKBEHIND, &lb);
    if (lb + 16 > ps->rs->context)
        ps->rs->context = lb + 16;
    if (cap + 1 > ps->rs->max_groups)
        ps->rs->max_groups = cap + 1;
    return 0;
}

/* One prefilter atom at v[*j]: "[...]" (ranges, leading ^, escapes), "\\d",
 * "\\w", "\\s", "\\xHH", "\\" + punctuation, or a literal byte.  Fills
 * the 256-byte membership set.  Returns 0 or -1. */
static int pf_escape(const char *v, size_t n, size_t *j, uint8_t *set,
                     int *single)
{
    /* v[*j] is the backslash */
    if (*j + 1 >= n)
        return -1;
    char c = v[*j + 1];
    *j += 2;
    *single = -1;
    if (c == 'd') {
        for (int b = '0'; b <= '9'; b++)
            set[b] = 1;
    } else if (c == 'w') {
        for (int b = 0; b < 256; b++)
            if ((b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') ||
                (b >= 'a' && b <= 'z') || b == '_')
                set[b] = 1;
    } else if (c == 's') {
        set[' '] = set['\t'] = set['\n'] = set['\r'] = set['\v'] = set['\f'] = 1;
    } else if (c == 'x') {
        unsigned h = 0;
        for (int k = 0; k < 2; k++) {
            if (*j >= n)
                return -1;
            int x = tr_hexval((unsigned char)v[(*j)++]);
            h = h * 16 + (unsigned)(x < 0 ? 99 : x);
            if (h > 255)
                return -1;
        }
        set[h] = 1;
        *single = (int)h;
    } else if ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') ||
               (c >= '[' && c <= '`') || (c >= '{' && c <= '~')) {
        set[(uint8_t)c] = 1;
        *single = (uint8_t)c;
    } else {
        return -1;
    }
    return 0;
}

static int pf_atom(const char *v, size_t n, size_t *j, uint8_t set[256])
{
    memset(set, 0, 256);
    int single;
    if (*j >= n)
        return -1;
    if (v[*j] == '\\')
        return pf_escape(v, n, j, set, &single);
    if (v[*j] != '[') {
        if (strchr("()]{}|*+?.^$", v[*j]))
            return -1;
        set[(uint8_t)v[(*j)++]] = 1;
        return 0;
    }
    (*j)++;
    int neg = 0;
    if (*j < n && v[*j] == '^') {
        neg = 1;
        (*j)++;
    }
    int first = 1;
    for (;;) {
        if (*j >= n)
            return -1;
        if (v[*j] == ']' && !first)
            break;
        first = 0;
        int lo;
        if (v[*j] == '\\') {
            if (pf_escape(v, n, j, set, &lo))
                return -1;
            if (lo < 0)
                continue;
        } else {
            lo = (uint8_t)v[(*j)++];
        }
        if (*j + 1 < n && v[*j] == '-' && v[*j + 1] != ']') {
            (*j)++;
            int hi;
            uint8_t tmp[256];
            if (v[*j] == '\\') {
                memset(tmp, 0, sizeof tmp);
                if (pf_escape(v, n, j, tmp, &hi) || hi < 0)
                    return -1;
            } else {
                hi = (uint8_t)v[(*j)++];
            }
            if (hi < lo)
                return -1;
            for (int b = lo; b <= hi; b++)
                set[b] = 1;
        } else {
            set[lo] = 1;
        }
    }
    (*j)++;
    if (neg)
        for (int b = 0; b < 256; b++)
            set[b] = !set[b];
    return 0;
}

/* "prefilter SPEC": [(?<!ATOM) | (?<=ATOM)] then ATOM[{N}]... (docs/rules.md) */
static int parse_prefilter(struct parse *ps, struct tr_rule *r, const char *v,
                           size_t n)
{
    if (r->pf)
        return perr(ps, "second prefilter in rule %s", r->id);
    struct tr_prefilter *pf = calloc(1, sizeof *pf);
    if (!pf)
        return TR_E_NOMEM;
    size_t j = 0;
    const char *why = "bad prefilter syntax";
    if (n >= 4 && (!memcmp(v, "(?<!", 4) || !memcmp(v, "(?<=", 4))) {
        int neg = v[3] == '!';
        j = 4;
        if (pf_atom(v, n, &j, pf->lb) || j >= n || v[j] != ')')
            goto bad;
        j++;
        if (neg)
            for (int b = 0; b < 256; b++)
                pf->lb[b] = !pf->lb[b];
        pf->has_lb = 1;
    }
    uint8_t set[256];
    while (j < n) {
        if (pf_atom(v, n, &j, set))
            goto bad;
        unsigned cnt = 1;
        if (j < n && v[j] == '{') {
            cnt = 0;
            j++;
            while (j < n && v[j] >= '0' && v[j] <= '9' && cnt <= TR_PF_MAX_LEN)
                cnt = cnt * 10 + (unsigned)(v[j++] - '0');
            if (j >= n || v[j] != '}' || cnt == 0)
                goto bad;
            j++;
        }
        if (pf->len + cnt > TR_PF_MAX_LEN) {
            why = "prefilter longer than 32 bytes";
            goto bad;
        }
        struct tr_pf_seg *last = pf->nseg ? &pf->seg[pf->nseg - 1] : NULL;
        if (last && !memcmp(last->cls, set, 256)) {
            last->count += cnt;
        } else {
            if (pf->nseg == TR_PF_MAX_SEG) {
                why = "prefilter with more than 16 segments";
                goto bad;
            }
            struct tr_pf_seg *sg = &pf->seg[pf->nseg++];
            memcpy(sg->cls, set, 256);
            sg->count = cnt;
            sg->off = (unsigned)pf->len;
        }
        pf->len += cnt;
    }
    if (!pf->len) {
        why = "empty prefilter";
        goto bad;
    }
    r->pf = pf;
    return 0;
bad:
    free(pf);
    return perr(ps, "%s", why);
}

static int add_keyword(struct parse *ps, struct tr_rule *r, const char *s, size_t n);

/* "scope header:NAME", "scope header:*", "scope query:NAME": NAME is a
 * token (letters, digits, - _ .), at most 64 bytes; these apply in header
 * sections (and streams not known to be HTTP).  "scope body:TYPE[,TYPE]"
 * with TYPE form, json, xml or text: the pattern applies, unchanged, to
 * bodies of those media types (and streams not known to be HTTP). */
static int parse_scope(struct parse *ps, struct tr_rule *r, const char *v, size_t n)
{
    size_t plen;
    if (n > 5 && !memcmp(v, "body:", 5)) {
        static const char *const types[] = {"form", "json", "xml", "text"};
        static const int media[] = {TR_MEDIA_FORM, TR_MEDIA_JSON, TR_MEDIA_XML, TR_MEDIA_TEXT};
        r->scope = SCOPE_BODY;
        r->media = 1u << TR_MEDIA_ANY;
        size_t i = 5;
        for (;;) {
            size_t j = i;
            while (j < n && v[j] != ',')
                j++;
            size_t k = 0;
            while (k < 4 && !(strlen(types[k]) == j - i && !memcmp(v + i, types[k], j - i)))
                k++;
            if (k == 4)
                return perr(ps, "bad body scope '%.*s' (form, json, xml or text)", (int)(j - i > 16 ? 16 : j - i),
                            v + i);
            r->media |= 1u << media[k];
            if (j == n)
                break;
            i = j + 1; /* after a comma a type must follow */
        }
        return 0;
    }
    if (n == 6 && !memcmp(v, "target", 6)) {
        r->scope = SCOPE_TARGET;
        r->media = (1u << TR_MEDIA_ANY) | (1u << TR_MEDIA_HEAD);
        return 0;
    }
    if (n > 7 && !memcmp(v, "header:", 7)) {
        r->scope = SCOPE_HEADER;
        plen = 7;
    } else if (n > 6 && !memcmp(v, "query:", 6)) {
        r->scope = SCOPE_QUERY;
        plen = 6;
    } else {
        return perr(ps, "bad scope (header:NAME, header:*, query:NAME, target or body:TYPE)");
    }
    r->media = (1u << TR_MEDIA_ANY) | (1u << TR_MEDIA_HEAD);
    size_t nl = n - plen;
    if (nl > 64)
        return perr(ps, "scope name longer than 64 bytes");
    int any = r->scope == SCOPE_HEADER && nl == 1 && v[plen] == '*';
    for (size_t i = 0; i < nl && !any; i++) {
        char c = v[plen + i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return perr(ps, "bad scope name (letters, digits, - _ .)");
    }
    memcpy(r->scope_name, v + plen, nl);
    r->scope_name[nl] = '\0';
    return 0;
}

/* A scoped pattern P becomes a stream pattern anchored on what the scope
 * names, with P applied to the value:
 *   header:NAME  (?m)^(?i:NAME)[ \t]*:[ \t]*(?:P)       an HTTP/1.x header line,
 *                 or "NAME: value" as HTTP/2 headers are rendered
 *   query:NAME   (?m)^(?:[A-Za-z]+ |:path: )[^\s?#]*\?(?:[^\s#]*?&)?(?i:NAME)=(?:P)
 * When P has no capture group, all of P is the secret.  NAME becomes the
 * rule's keyword unless it has its own. */
static int compile_scoped(struct parse *ps, struct tr_rule *r, const char *pat, size_t n, int utf)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *probe = pcre2_compile((PCRE2_SPTR)pat, n, utf ? PCRE2_UTF : 0, &ec, &eo, NULL);
    if (!probe) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
            strcpy((char *)msg, "unknown error");
        return perr(ps, "bad pattern at offset %zu: %s", (size_t)eo, (const char *)msg);
    }
    uint32_t cap = 0;
    pcre2_pattern_info(probe, PCRE2_INFO_CAPTURECOUNT, &cap);
    pcre2_code_free(probe);
    const char *pre = r->scope == SCOPE_HEADER ? "(?m)^(?i:" : "(?m)^(?:[A-Za-z]+ |:path: )[^\\s?#]*\\?(?:[^\\s#]*?&)?(?i:";
    int any = !strcmp(r->scope_name, "*") || r->scope == SCOPE_TARGET;
    /* bounded: a long run of name characters without a colon must not
     * hold a whole window */
    const char *name = any ? "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}" : r->scope_name;
    const char *mid = r->scope == SCOPE_HEADER ? ")[ \t]*:[ \t]*(?:" : ")=(?:";
    if (r->scope == SCOPE_TARGET) {
        /* anywhere inside the request target (HTTP/1.x request line, or the
         * :path field of HTTP/2) */
        pre = "(?m)^(?:[A-Z][A-Z-]* |:path: )[^\\s]*?";
        name = "";
        mid = "(?:";
    }
    size_t need = strlen(pre) + strlen(name) + strlen(mid) + n + 32;
    char *full = malloc(need);
    if (!full)
        return TR_E_NOMEM;
    int len = snprintf(full, need, "%s%s%s%s%.*s%s)", pre, name, mid, cap ? "" : "(?<secret>", (int)n, pat,
                       cap ? "" : ")");
    int rc = len > 0 ? compile_rule(ps, r, full, (size_t)len, utf) : TR_E_NOMEM;
    free(full);
    if (rc == 0 && r->nkw == 0 && !any) {
        size_t kl = strlen(r->scope_name);
        rc = add_keyword(ps, r, r->scope_name, kl);
        if (rc == 0 && !r->kwwithin_set && r->scope == SCOPE_HEADER) {
            r->kwwithin = 0; /* the name starts the match */
            r->kwwithin_set = 1;
        }
    }
    return rc;
}

static int finish_rule(struct parse *ps)
{
    struct tr_rule *r = ps->cur;
    if (!r)
        return 0;
    ps->cur = NULL;
    if (!r->code) {
        ps->line = r->line;
        return perr(ps, "rule %s has no pattern", r->id);
    }
    if (!r->kwwithin_set || r->kwwithin > r->window)
        r->kwwithin = r->window;
    if (r->nkw == 0 && r->kwwithin_set) {
        ps->line = r->line;
        return perr(ps, "keyword-within without keywords in rule %s", r->id);
    }
    if (r->pf && r->nkw) {
        ps->line = r->line;
        return perr(ps, "prefilter and keywords in rule %s (use one)", r->id);
    }
    if (r->pf && r->pf->len > r->window) {
        ps->line = r->line;
        return perr(ps, "prefilter longer than the window in rule %s", r->id);
    }
    if (r->window > ps->rs->max_window)
        ps->rs->max_window = r->window;
    return 0;
}

static int add_keyword(struct parse *ps, struct tr_rule *r, const char *s,
                       size_t n)
{
    if (n > RULES_MAX_KW)
        return perr(ps, "keyword longer than %u bytes", RULES_MAX_KW);
    uint8_t *k = malloc(n);
    uint8_t **nk = realloc(r->kw, (r->nkw + 1) * sizeof *nk);
    if (nk)
        r->kw = nk;
    size_t *nl = realloc(r->kwlen, (r->nkw + 1) * sizeof *nl);
    if (nl)
        r->kwlen = nl;
    if (!k || !nk || !nl) {
        free(k);
        return TR_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        k[i] = tr_lower((uint8_t)s[i]);
    r->kw[r->nkw] = k;
    r->kwlen[r->nkw++] = n;
    return 0;
}

static int parse_line(struct parse *ps, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i == n || p[i] == '#')
        return 0;
    size_t ks = i;
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    const char *key = p + ks;
    size_t klen = i - ks;
    if (i < n)
        i++; /* exactly one separator; the value keeps further blanks */
    while (i < n && (p[i] == ' ' || p[i] == '\t') &&
           !(klen == 5 && !memcmp(key, "match", 5)) &&
           !(klen == 6 && !memcmp(key, "expect", 6)) &&
           !(klen == 7 && !memcmp(key, "nomatch", 7)))
        i++;
    const char *val = p + i;
    size_t vlen = n - i;
#define KEY(s) (klen == sizeof(s) - 1 && !memcmp(key, s, sizeof(s) - 1))
    struct tr_ruleset *rs = ps->rs;
    if (KEY("rule")) {
        int rc = finish_rule(ps);
        if (rc)
            return rc;
        while (vlen && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
            vlen--;
        if (!valid_id(val, vlen))
            return perr(ps, "bad rule id (1-%u of A-Z a-z 0-9 - _ .)",
                        RULES_ID_MAX);
        for (size_t j = 0; j < rs->n; j++)
            if (strlen(rs->rules[j].id) == vlen &&
                !memcmp(rs->rules[j].id, val, vlen))
                return perr(ps, "duplicate rule id %.*s", (int)vlen, val);
        if (rs->n >= RULES_MAX_RULES)
            return perr(ps, "more than %u rules", RULES_MAX_RULES);
        struct tr_rule *nr = realloc(rs->rules, (rs->n + 1) * sizeof *nr);
        if (!nr)
            return TR_E_NOMEM;
        rs->rules = nr;
        struct tr_rule *r = &rs->rules[rs->n];
        memset(r, 0, sizeof *r);
        r->id = xstrndup(val, vlen);
        r->desc = xstrndup("", 0);
        if (!r->id || !r->desc) {
            rule_clear(r);
            return TR_E_NOMEM;
        }
        r->action = TR_ACT_MASK;
        r->media = TR_MEDIA_ALL;
        r->window = TR_REDACT_WINDOW_DEFAULT;
        r->file = ps->fileidx;
        r->line = ps->line;
        rs->n++;
        ps->cur = r;
        return 0;
    }
    struct tr_rule *r = ps->cur;
    if (!r)
        return perr(ps, "'%.*s' outside a rule (start one with 'rule ID')",
                    (int)(klen > 32 ? 32 : klen), key);
    if (KEY("description")) {
        char *d = xstrndup(val, vlen);
        if (!d)
            return TR_E_NOMEM;
        free(r->desc);
        r->desc = d;
    } else if (KEY("pattern") || KEY("pattern-utf")) {
        if (r->code)
            return perr(ps, "second pattern in rule %s", r->id);
        if (vlen == 0)
            return perr(ps, "empty pattern");
        if (r->scope == SCOPE_HEADER || r->scope == SCOPE_QUERY || r->scope == SCOPE_TARGET)
            return compile_scoped(ps, r, val, vlen, KEY("pattern-utf"));
        return compile_rule(ps, r, val, vlen, KEY("pattern-utf"));
    } else if (KEY("scope")) {
        if (r->code)
            return perr(ps, "scope must come before the pattern in rule %s", r->id);
        if (r->scope != SCOPE_STREAM)
            return perr(ps, "second scope in rule %s", r->id);
        return parse_scope(ps, r, val, vlen);
    } else if (KEY("keywords")) {
        size_t j = 0, got = 0;
        while (j < vlen) {
            while (j < vlen && (val[j] == ' ' || val[j] == '\t'))
                j++;
            size_t s = j;
            while (j < vlen && val[j] != ' ' && val[j] != '\t')
                j++;
            if (j > s) {
                int rc = add_keyword(ps, r, val + s, j - s);
                if (rc)
                    return rc;
                got++;
            }
        }
        if (!got)
            return perr(ps, "keywords: none given");
    } else if (KEY("action")) {
        if (vlen == 4 && !memcmp(val, "mask", 4))
            r->action = TR_ACT_MASK;
        else if (vlen == 5 && !memcmp(val, "token", 5))
            r->action = TR_ACT_TOKEN;
        else if (vlen == 4 && !memcmp(val, "drop", 4))
            r->action = TR_ACT_DROP;
        else
            return perr(ps, "bad action (mask, token or drop)");
    } else if (KEY("window")) {
        char buf[24];
        char *end;
        if (vlen == 0 || vlen >= sizeof buf)
            return perr(ps, "bad window (16-%u)", TR_REDACT_WINDOW_MAX);
        memcpy(buf, val, vlen);
        buf[vlen] = 0;
        errno = 0;
        unsigned long w = strtoul(buf, &end, 10);
        if (errno || *end || buf[0] == '-' || w < 16 || w > TR_REDACT_WINDOW_MAX)
            return perr(ps, "bad window (16-%u)", TR_REDACT_WINDOW_MAX);
        r->window = w;
    } else if (KEY("prefilter")) {
        return parse_prefilter(ps, r, val, vlen);
    } else if (KEY("keyword-within")) {
        char buf[24];
        char *end;
        if (vlen == 0 || vlen >= sizeof buf)
            return perr(ps, "bad keyword-within (0-%u)", TR_REDACT_WINDOW_MAX);
        memcpy(buf, val, vlen);
        buf[vlen] = 0;
        errno = 0;
        unsigned long w = strtoul(buf, &end, 10);
        if (errno || *end || buf[0] == '-' || w > TR_REDACT_WINDOW_MAX)
            return perr(ps, "bad keyword-within (0-%u)", TR_REDACT_WINDOW_MAX);
        r->kwwithin = w;
        r->kwwithin_set = 1;
    } else if (KEY("validate")) {
        if (vlen == 4 && !memcmp(val, "luhn", 4))
            r->validators |= TR_VAL_LUHN;
        else if (vlen == 4 && !memcmp(val, "iban", 4))
            r->validators |= TR_VAL_IBAN;
        else if (vlen == 3 && !memcmp(val, "ssn", 3))
            r->validators |= TR_VAL_SSN;
        else if (vlen > 8 && !memcmp(val, "entropy=", 8)) {
            char buf[24];
            char *end;
            if (vlen - 8 >= sizeof buf)
                return perr(ps, "bad entropy (0-8 bits per byte)");
            memcpy(buf, val + 8, vlen - 8);
            buf[vlen - 8] = 0;
            double e = strtod(buf, &end);
            if (*end || !(e >= 0.0 && e <= 8.0))
                return perr(ps, "bad entropy (0-8 bits per byte)");
            r->validators |= TR_VAL_ENTROPY;
            r->min_entropy = e;
        } else
            return perr(ps, "bad validator (luhn, iban, ssn, entropy=BITS)");
    } else if (KEY("match") || KEY("nomatch")) {
        struct tr_example *ne = realloc(r->ex, (r->nex + 1) * sizeof *ne);
        if (!ne)
            return TR_E_NOMEM;
        r->ex = ne;
        struct tr_example *e = &r->ex[r->nex];
        memset(e, 0, sizeof *e);
        int rc = unescape(val, vlen, &e->in, &e->inlen);
        if (rc == -2)
            return TR_E_NOMEM;
        if (rc)
            return perr(ps, "bad escape in example (\\r \\n \\t \\s \\0 \\\\ \\xHH)");
        if (e->inlen == 0) {
            free(e->in);
            return perr(ps, "empty example");
        }
        e->must_match = KEY("match");
        e->line = ps->line;
        r->nex++;
    } else if (KEY("expect")) {
        if (!r->nex || !r->ex[r->nex - 1].must_match || r->ex[r->nex - 1].expect)
            return perr(ps, "expect must follow a match line");
        struct tr_example *e = &r->ex[r->nex - 1];
        int rc = unescape(val, vlen, &e->expect, &e->explen);
        if (rc == -2)
            return TR_E_NOMEM;
        if (rc)
            return perr(ps, "bad escape in example (\\r \\n \\t \\s \\0 \\\\ \\xHH)");
        if (e->explen != e->inlen) {
            free(e->expect);
            e->expect = NULL;
            return perr(ps, "expect must have the length of its match line");
        }
    } else {
        return perr(ps, "unknown directive '%.*s'",
                    (int)(klen > 32 ? 32 : klen), key);
    }
#undef KEY
    return 0;
}

static int load_file(struct tr_ruleset *rs, const char *path, char *err,
                     size_t errlen)
{
    struct parse ps = {rs, path, 0, 0, err, errlen, NULL};
    FILE *f = fopen(path, "rb");
    if (!f)
        return perr(&ps, "cannot open: %s", strerror(errno));
    char *text = malloc(RULES_MAX_FILE + 1);
    if (!text) {
        fclose(f);
        return TR_E_NOMEM;
    }
    size_t n = fread(text, 1, RULES_MAX_FILE + 1, f);
    int ioerr = ferror(f);
    fclose(f);
    int rc = 0;
    if (ioerr) {
        rc = perr(&ps, "read error");
        goto out;
    }
    if (n > RULES_MAX_FILE) {
        rc = perr(&ps, "file larger than %u bytes", RULES_MAX_FILE);
        goto out;
    }
    char **nf = realloc(rs->files, (rs->nfiles + 1) * sizeof *nf);
    if (!nf) {
        rc = TR_E_NOMEM;
        goto out;
    }
    rs->files = nf;
    if (!(rs->files[rs->nfiles] = xstrndup(path, strlen(path)))) {
        rc = TR_E_NOMEM;
        goto out;
    }
    ps.fileidx = rs->nfiles++;
    size_t s = 0;
    while (s < n && !rc) {
        size_t e = s;
        while (e < n && text[e] != '\n')
            e++;
        ps.line++;
        size_t le = e;
        if (le > s && text[le - 1] == '\r')
            le--;
        if (memchr(text + s, 0, le - s))
            rc = perr(&ps, "NUL byte in line");
        else
            rc = parse_line(&ps, text + s, le - s);
        s = e + 1;
    }
    if (!rc)
        rc = finish_rule(&ps);
out:
    free(text);
    return rc;
}

static int rules_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 6 && !strcmp(d->d_name + n - 6, ".rules");
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int load_path(struct tr_ruleset *rs, const char *path, char *err,
                     size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return load_file(rs, path, err, errlen);
    struct dirent **list;
    int n = scandir(path, &list, rules_filter, cmp_names);
    if (n < 0) {
        struct parse ps = {rs, path, 0, 0, err, errlen, NULL};
        return perr(&ps, "cannot read directory: %s", strerror(errno));
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (!rc) {
            size_t need = strlen(path) + strlen(list[i]->d_name) + 2;
            char *full = malloc(need);
            if (!full)
                rc = TR_E_NOMEM;
            else {
                snprintf(full, need, "%s/%s", path, list[i]->d_name);
                rc = load_file(rs, full, err, errlen);
                free(full);
            }
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

/* Keyword table shared by all rules: unique lowercased keywords, each with
 * the rules that use it, plus the hash filters of scan_keywords() (3- and
 * 4-byte prefixes folded with | 0x20) and the 1-byte keyword list. */
static int build_keywords(struct tr_ruleset *rs)
{
    {
        static const uint8_t m[4] = {0xff, 0xff, 0xff, 0};
        memcpy(&rs->kwmask3, m, 4);
    }
    for (size_t r = 0; r < rs->n; r++) {
        struct tr_rule *ru = &rs->rules[r];
        for (size_t k = 0; k < ru->nkw; k++) {
            size_t j;
            for (j = 0; j < rs->nkws; j++)
                if (rs->kws[j].len == ru->kwlen[k] &&
                    !memcmp(rs->kws[j].s, ru->kw[k], ru->kwlen[k]))
                    break;
            if (j == rs->nkws) {
                struct tr_kw *nk = realloc(rs->kws, (rs->nkws + 1) * sizeof *nk);
                if (!nk)
                    return TR_E_NOMEM;
                rs->kws = nk;
                memset(&nk[j], 0, sizeof nk[j]);
                if (!(nk[j].s = malloc(ru->kwlen[k])))
                    return TR_E_NOMEM;
                memcpy(nk[j].s, ru->kw[k], ru->kwlen[k]);
                nk[j].len = ru->kwlen[k];
                rs->nkws++;
            }
            if (!ru->kwid && !(ru->kwid = calloc(ru->nkw, sizeof *ru->kwid)))
                return TR_E_NOMEM;
            ru->kwid[k] = j;
            struct tr_kw *kw = &rs->kws[j];
            if (kw->nrules && kw->rules[kw->nrules - 1] == r)
                continue;
            size_t *nr = realloc(kw->rules, (kw->nrules + 1) * sizeof *nr);
            if (!nr)
                return TR_E_NOMEM;
            kw->rules = nr;
            kw->rules[kw->nrules++] = r;
        }
    }
    if (rs->nkws && !(rs->kworder = malloc(rs->nkws * sizeof *rs->kworder)))
        return TR_E_NOMEM;
    size_t o = 0;
    for (unsigned c = 0; c < 256; c++) {
        rs->kwb[c] = o;
        for (size_t j = 0; j < rs->nkws; j++)
            if (rs->kws[j].s[0] == c)
                rs->kworder[o++] = j;
    }
    rs->kwb[256] = o;
    for (size_t j = 0; j < rs->nkws; j++) {
        struct tr_kw *kw = &rs->kws[j];
        if (kw->len > rs->maxklen)
            rs->maxklen = kw->len;
        if (kw->len == 1) {
            for (int u = 0; u < 2; u++) {
                uint8_t b = u ? (uint8_t)(kw->s[0] - 32) : kw->s[0];
                if (u && !(kw->s[0] >= 'a' && kw->s[0] <= 'z'))
                    break;
                if (!memchr(rs->kw1b, b, rs->nkw1b) && rs->nkw1b < sizeof rs->kw1b)
                    rs->kw1b[rs->nkw1b++] = b;
            }
            continue;
        }
        /* folded first 3 bytes in the fast hash (2-byte keywords: any
         * third byte) */
        for (unsigned c = 0; c < 256; c++) {
            uint8_t t[4] = {(uint8_t)(kw->s[0] | 0x20), (uint8_t)(kw->s[1] | 0x20),
                            (uint8_t)((kw->len > 2 ? kw->s[2] : c) | 0x20), 0};
            uint32_t v;
            memcpy(&v, t, 4);
            uint32_t h = tr_kwhash3(v & rs->kwmask3);
            rs->kwhash[h] = 1;
            if (kw->len < 4)
                rs->kwshort[h] = 1;
            if (kw->len > 2)
                break;
        }
        if (kw->len >= 4) {
            uint8_t t[4];
            for (int k = 0; k < 4; k++)
                t[k] = (uint8_t)(kw->s[k] | 0x20);
            uint32_t v;
            memcpy(&v, t, 4);
            rs->kwquad[tr_kwhash3(v)] = 1;
        }
    }
    return 0;
}

/* Class table of the structural prefilters: distinct classes numbered
 * (at most TR_PF_MAX_CLS; a rule whose classes do not fit keeps no
 * prefilter - it is a hint). */
static int build_prefilters(struct tr_ruleset *rs)
{
    uint8_t cls[TR_PF_MAX_CLS][256];
    unsigned ncls = 0;
    for (size_t r = 0; r < rs->n; r++) {
        struct tr_rule *ru = &rs->rules[r];
        ru->pfslot = -1;
        if (!ru->pf)
            continue;
        unsigned save = ncls;
        int ok = 1;
        for (size_t k = 0; k <= ru->pf->nseg && ok; k++) {
            const uint8_t *c;
            unsigned *idx;
            if (k == ru->pf->nseg) {
                if (!ru->pf->has_lb)
                    break;
                c = ru->pf->lb;
                idx = &ru->pf->lbidx;
            } else {
                c = ru->pf->seg[k].cls;
                idx = &ru->pf->seg[k].idx;
            }
            unsigned i;
            for (i = 0; i < ncls; i++)
                if (!memcmp(cls[i], c, 256))
                    break;
            if (i == ncls) {
                if (ncls == TR_PF_MAX_CLS) {
                    ok = 0;
                    break;
                }
                memcpy(cls[ncls++], c, 256);
            }
            *idx = i;
        }
        if (!ok) {
            ncls = save;
            continue;
        }
        size_t *np = realloc(rs->pf_rules, (rs->pf_n + 1) * sizeof *np);
        if (!np)
            return TR_E_NOMEM;
        rs->pf_rules = np;
        ru->pfslot = (long)rs->pf_n;
        rs->pf_rules[rs->pf_n++] = r;
        if (ru->pf->len + 1 > rs->pf_kmax)
            rs->pf_kmax = ru->pf->len + 1;
    }
    rs->pf_ncls = ncls;
    for (unsigned i = 0; i < ncls; i++)
        for (unsigned b = 0; b < 256; b++)
            if (cls[i][b])
                rs->pf_ctab[i / 8][b] |= (uint8_t)(1u << (i % 8));
    return 0;
}

int tr_rules_load(struct tr_ruleset **out, const char *const *paths,
                  size_t npaths, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = 0;
    struct tr_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        return TR_E_NOMEM;
    rs->context = 16;
    int rc = 0;
    for (size_t i = 0; i < npaths && !rc; i++)
        rc = load_path(rs, paths[i], err, errlen);
    if (!rc && rs->n == 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: no rules found",
                     npaths ? paths[0] : "(no path)");
        rc = TR_E_RULES;
    }
    if (!rc)
        rc = build_keywords(rs);
    if (!rc)
        rc = build_prefilters(rs);
    if (!rc) {
        rs->mctx = pcre2_match_context_create(NULL);
        if (!rs->mctx)
            rc = TR_E_NOMEM;
        else {
            pcre2_set_match_limit(rs->mctx, TR_REDACT_MATCH_LIMIT);
            pcre2_set_depth_limit(rs->mctx, TR_REDACT_DEPTH_LIMIT);
            pcre2_set_heap_limit(rs->mctx, TR_REDACT_HEAP_LIMIT);
        }
    }
    if (rc) {
        if (rc == TR_E_NOMEM && err && errlen)
            snprintf(err, errlen, "out of memory loading rules");
        tr_rules_free(rs);
        return rc;
    }
    *out = rs;
    return 0;
}

size_t tr_rules_count(const struct tr_ruleset *rs) { return rs ? rs->n : 0; }

const char *tr_rules_id(const struct tr_ruleset *rs, size_t i)
{
    return rs && i < rs->n ? rs->rules[i].id : NULL;
}

const char *tr_rules_description(const struct tr_ruleset *rs, size_t i)
{
    return rs && i < rs->n ? rs->rules[i].desc : NULL;
}

int tr_rules_action(const struct tr_ruleset *rs, size_t i)
{
    return rs && i < rs->n ? rs->rules[i].action : 0;
}

size_t tr_rules_window(const struct tr_ruleset *rs, size_t i)
{
    return rs && i < rs->n ? rs->rules[i].window : 0;
}

size_t tr_rules_file_count(const struct tr_ruleset *rs)
{
    return rs ? rs->nfiles : 0;
}

const char *tr_rules_file(const struct tr_ruleset *rs, size_t i)
{
    return rs && i < rs->nfiles ? rs->files[i] : NULL;
}
