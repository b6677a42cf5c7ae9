/* json.c - JSON Lines sink and JSON text helpers (see json.h). */
#include "out/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/atomicfile.h"

struct tr_json {
    FILE *out;
    struct tr_atomic af;   /* named file; af.f == out */
    int named;
    struct tr_json_opts opts;
    int failed;
    char err[600];
};

/* ---- helpers ---- */

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

int tr_json_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_len(p + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

void tr_json_strn(FILE *o, const uint8_t *p, size_t n)
{
    fputc('"', o);
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', o);
            fputc(c, o);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", o); break;
            case '\r': fputs("\\r", o); break;
            case '\t': fputs("\\t", o); break;
            case '\b': fputs("\\b", o); break;
            case '\f': fputs("\\f", o); break;
            default: fprintf(o, "\\u%04x", c); break;
            }
            i++;
        } else if (c < 0x80) {
            fputc(c, o);
            i++;
        } else {
            size_t l = utf8_len(p + i, n - i);
            if (l) {
                fwrite(p + i, 1, l, o);
                i += l;
            } else {
                fputs("\\ufffd", o); /* one replacement per bad byte */
                i++;
            }
        }
    }
    fputc('"', o);
}

void tr_json_str(FILE *o, const char *s)
{
    if (!s)
        fputs("null", o);
    else
        tr_json_strn(o, (const uint8_t *)s, strlen(s));
}

void tr_json_b64(FILE *o, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4 * 256];
    size_t k = 0;
    fputc('"', o);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[k++] = tab[(v >> 18) & 63];
        out[k++] = tab[(v >> 12) & 63];
        out[k++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < n ? tab[v & 63] : '=';
        if (k == sizeof out) {
            fwrite(out, 1, k, o);
            k = 0;
        }
    }
    fwrite(out, 1, k, o);
    fputc('"', o);
}

void tr_json_time(FILE *o, struct timeval ts)
{
    struct tm tm;
    time_t sec = ts.tv_sec;
    char b[40];
    if (!gmtime_r(&sec, &tm) || strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        fputs("null", o);
        return;
    }
    fprintf(o, "\"%s.%06ldZ\"", b, (long)ts.tv_usec);
}

void tr_json_fields(FILE *o, const struct tr_fields *fb)
{
    fputc('[', o);
    for (size_t i = 0; fb && i < fb->n; i++) {
        const struct tr_field *f = &fb->f[i];
        fprintf(o, "%s{\"depth\":%u,\"key\":", i ? "," : "", (unsigned)f->depth);
        tr_json_str(o, f->key);
        fputs(",\"value\":", o);
        tr_json_str(o, f->val);
        fputc('}', o);
    }
    fputc(']', o);
}

static const char *dir_name(int dir) { return dir == TR_C2S ? "\"c2s\"" : dir == TR_S2C ? "\"s2c\"" : "null"; }

static void put_endpoint(FILE *o, const char *name, const struct tr_addr *a, uint16_t port)
{
    char b[64];
    fprintf(o, ",\"%s\":{\"addr\":", name);
    tr_json_str(o, tr_addr_str(a, b, sizeof b));
    fprintf(o, ",\"port\":%u}", (unsigned)port);
}

static const char *closed_name(int c) { return c == 2 ? "rst" : c == 1 ? "fin" : "open"; }

/* ---- the sink ---- */

static void put_summary(FILE *o, const struct tr_conn_summary *s)
{
    static const char *const side[2] = {"client", "server"};
    fputs(",\"summary\":{", o);
    for (int i = 0; i < 2; i++)
        fprintf(o, "%s\"%s\":{\"segments\":%llu,\"tcp_bytes\":%llu,\"retransmitted\":%llu,\"missing\":%llu,"
                "\"records\":%llu,\"not_dissected\":%llu,\"plain\":%llu,\"decrypted\":%llu,\"encrypted\":%llu,"
                "\"failed\":%llu}", i ? "," : "", side[i],
                (unsigned long long)s->segments[i], (unsigned long long)s->tcp_bytes[i],
                (unsigned long long)s->retransmitted[i], (unsigned long long)s->missing[i],
                (unsigned long long)s->records[i], (unsigned long long)s->not_dissected[i],
                (unsigned long long)s->plain[i], (unsigned long long)s->decrypted[i],
                (unsigned long long)s->encrypted[i], (unsigned long long)s->failed[i]);
    fprintf(o, ",\"gaps\":%llu,\"gap_bytes\":%llu,\"masked\":%llu,\"withheld\":%llu,\"uninspected\":%llu",
            (unsigned long long)s->gaps, (unsigned long long)s->gap_bytes, (unsigned long long)s->masked,
            (unsigned long long)s->withheld, (unsigned long long)s->uninspected);
    fprintf(o, ",\"version\":%u,\"version_name\":", (unsigned)s->version);
    tr_json_str(o, s->version ? s->version_name : NULL);
    fprintf(o, ",\"suite\":%u,\"suite_name\":", (unsigned)s->suite);
    tr_json_str(o, s->suite ? s->suite_name : NULL);
    fputs(",\"sni\":", o);
    tr_json_str(o, s->sni && s->sni[0] ? s->sni : NULL);
    fputs(",\"decrypt_reason\":", o);
    tr_json_str(o, s->decrypt_reason ? s->decrypt_reason : "");
    fputs(",\"close_reason\":", o);
    tr_json_str(o, s->close_reason ? s->close_reason : "");
    fputs(",\"rules\":[", o);
    int first = 1;
    for (size_t i = 0; s->rule_matches && s->rule_bytes && s->rule_ids && i < s->nrules; i++) {
        if (!s->rule_matches[i] && !s->rule_bytes[i])
            continue;
        fputs(first ? "{\"id\":" : ",{\"id\":", o);
        first = 0;
        tr_json_str(o, s->rule_ids[i]);
        fprintf(o, ",\"matches\":%llu,\"bytes\":%llu}", (unsigned long long)s->rule_matches[i],
                (unsigned long long)s->rule_bytes[i]);
    }
    fputs("]}", o);
}

static void ev(void *ctx, const struct tr_ev *e)
{
    struct tr_json *j = ctx;
    FILE *o = j->out;
    if (!o)
        return; /* finished */
    if (e->type == TR_EV_DATA && e->view == TR_VIEW_WIRE)
        return; /* binary framing (HTTP/2): the decoded view is written instead */
    static const char *const names[] = {
        [TR_EV_CONN_OPEN] = "conn_open", [TR_EV_RECORD] = "record",   [TR_EV_DATA] = "data",
        [TR_EV_GAP] = "gap",             [TR_EV_NOTE] = "note",       [TR_EV_VERDICT] = "verdict",
        [TR_EV_CONN_CLOSE] = "conn_close", [TR_EV_SUMMARY] = "summary",
    };
    if ((unsigned)e->type >= sizeof names / sizeof names[0] || !names[e->type])
        return;
    fprintf(o, "{\"type\":\"%s\"", names[e->type]);
    if (e->type == TR_EV_SUMMARY) {
        fputs(",\"text\":", o);
        tr_json_str(o, e->text ? e->text : "");
        fputs(",\"fields\":", o);
        tr_json_fields(o, e->fields);
        fprintf(o, ",\"fields_truncated\":%s}\n", e->fields && e->fields->truncated ? "true" : "false");
        goto done;
    }
    fprintf(o, ",\"conn\":%llu,\"ts\":", (unsigned long long)e->conn);
    tr_json_time(o, e->ts);
    fprintf(o, ",\"rel\":%.6f,\"delta\":%.6f", e->rel, e->delta);
    switch (e->type) {
    case TR_EV_CONN_OPEN:
        if (e->cli && e->srv) {
            put_endpoint(o, "client", e->cli, e->cport);
            put_endpoint(o, "server", e->srv, e->sport);
        }
        fprintf(o, ",\"mss\":{\"client\":%u,\"server\":%u}", (unsigned)e->mss[0], (unsigned)e->mss[1]);
        break;
    case TR_EV_RECORD:
        fprintf(o, ",\"rec\":%llu,\"dir\":%s,\"content_type\":", (unsigned long long)e->rec, dir_name(e->dir));
        tr_json_str(o, e->title ? e->title : "");
        fprintf(o, ",\"length\":%zu,\"encrypted\":%s,\"fields\":", e->len, e->encrypted ? "true" : "false");
        tr_json_fields(o, e->fields);
        fprintf(o, ",\"fields_truncated\":%s", e->fields && e->fields->truncated ? "true" : "false");
        if (j->opts.raw_records && e->raw && e->rawlen) {
            fputs(",\"raw_b64\":", o);
            tr_json_b64(o, e->raw, e->rawlen);
        }
        break;
    case TR_EV_DATA:
        fprintf(o, ",\"dir\":%s,\"offset\":%llu,\"length\":%zu,\"decrypted\":%s", dir_name(e->dir),
                (unsigned long long)e->offset, e->len, e->decrypted ? "true" : "false");
        if (e->stream) {
            fprintf(o, ",\"http2_stream\":%lu,\"part\":", (unsigned long)e->stream);
            tr_json_str(o, e->title ? e->title : "body");
        }
        if (e->withheld) {
            fprintf(o, ",\"withheld\":%zu,\"reason\":\"%s\"", e->len,
                    e->withheld == 1 ? "drop_rule" : e->withheld == 3 ? "undecodable" : "fail_closed");
        } else if (e->data && tr_json_utf8_valid(e->data, e->len)) {
            fputs(",\"data\":", o);
            tr_json_strn(o, e->data, e->len);
        } else if (e->data) {
            fputs(",\"data_b64\":", o);
            tr_json_b64(o, e->data, e->len);
        } else {
            fputs(",\"data\":\"\"", o);
        }
        break;
    case TR_EV_GAP:
        fprintf(o, ",\"dir\":%s,\"offset\":%llu,\"length\":%zu", dir_name(e->dir), (unsigned long long)e->offset,
                e->len);
        break;
    case TR_EV_NOTE:
        fprintf(o, ",\"dir\":%s,\"text\":", dir_name(e->dir));
        tr_json_str(o, e->text ? e->text : "");
        break;
    case TR_EV_VERDICT:
        if (e->cli && e->srv) {
            put_endpoint(o, "client", e->cli, e->cport);
            put_endpoint(o, "server", e->srv, e->sport);
        }
        fputs(",\"verdict\":", o);
        tr_json_str(o, e->verdict ? e->verdict : e->title ? e->title : "");
        fputs(",\"text\":", o);
        tr_json_str(o, e->text ? e->text : "");
        fprintf(o, ",\"tls\":%s,\"alpn\":", e->tls ? "true" : "false");
        tr_json_str(o, e->alpn && e->alpn[0] ? e->alpn : NULL);
        fputs(",\"fields\":", o);
        tr_json_fields(o, e->fields);
        fprintf(o, ",\"fields_truncated\":%s", e->fields && e->fields->truncated ? "true" : "false");
        if (e->sum)
            put_summary(o, e->sum);
        break;
    case TR_EV_CONN_CLOSE:
        fprintf(o, ",\"closed\":{\"client\":\"%s\",\"server\":\"%s\"},\"tls\":%s", closed_name(e->closed[0]),
                closed_name(e->closed[1]), e->tls ? "true" : "false");
        break;
    default:
        break;
    }
    fputs("}\n", o);
done:
    if (ferror(o) && !j->failed) {
        j->failed = 1;
        snprintf(j->err, sizeof j->err, "%s: write error (%s)", j->named && j->af.path ? j->af.path : "JSON output",
                 strerror(errno ? errno : EIO));
    }
}

static void start_line(struct tr_json *j)
{
    fprintf(j->out, "{\"type\":\"start\",\"schema\":%d,\"tool\":\"tlsredact\",\"version\":", TR_JSON_SCHEMA);
#ifdef TR_VERSION
    tr_json_str(j->out, TR_VERSION);
#else
    tr_json_str(j->out, "unknown");
#endif
    fputs("}\n", j->out);
}

struct tr_json *tr_json_new_file(FILE *out, const struct tr_json_opts *opts)
{
    struct tr_json *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->out = out;
    if (opts)
        j->opts = *opts;
    start_line(j);
    return j;
}

struct tr_json *tr_json_new(const char *path, const struct tr_json_opts *opts, char *err, size_t errlen)
{
    struct tr_json *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (tr_atomic_open(&j->af, path, err, errlen) != 0) {
        free(j);
        return NULL;
    }
    j->named = 1;
    j->out = j->af.f;
    if (opts)
        j->opts = *opts;
    start_line(j);
    return j;
}

struct tr_sink tr_json_sink(struct tr_json *j)
{
    struct tr_sink s = {.ev = ev, .ctx = j};
    return s;
}

int tr_json_finish(struct tr_json *j, char *err, size_t errlen)
{
    if (j->failed) {
        snprintf(err, errlen, "%s", j->err);
        if (j->named)
            tr_atomic_abort(&j->af);
        j->out = NULL;
        return -1;
    }
    if (!j->named) {
        if (j->out && (fflush(j->out) != 0 || ferror(j->out))) {
            snprintf(err, errlen, "JSON output: write error (%s)", strerror(errno ? errno : EIO));
            return -1;
        }
        return 0;
    }
    j->out = NULL;
    return tr_atomic_commit(&j->af, err, errlen) == 0 ? 0 : -1;
}

void tr_json_free(struct tr_json *j)
{
    if (!j)
        return;
    if (j->named)
        tr_atomic_abort(&j->af); /* no-op once committed */
    free(j);
}
