/* text.c - transcript sink (see text.h). */
#include "out/text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Consecutive cleartext pieces of one connection direction are printed as
 * one block (the redactor releases data in pieces); bounded. */
#define PEND_MAX 65536

struct tr_text {
    FILE *out;
    struct tr_text_opts opts;
    uint64_t pend_conn;
    int pend_dir;
    uint32_t pend_stream;   /* HTTP/2 view: stream and part, else 0 / NULL */
    const char *pend_title; /* static strings from the session layer */
    double pend_rel, pend_delta;
    size_t pend_len;
    unsigned char pend[PEND_MAX];
};

struct tr_text *tr_text_new(FILE *out, const struct tr_text_opts *opts)
{
    struct tr_text *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->out = out;
    if (opts)
        t->opts = *opts;
    return t;
}

static void flush_data(struct tr_text *t)
{
    FILE *o = t->out;
    if (!t->pend_len)
        return;
    if (t->pend_stream)
        fprintf(o, "%llu     %.4f (%.4f)  %s  http2 stream %lu %s, %zu bytes\n", (unsigned long long)t->pend_conn,
                t->pend_rel, t->pend_delta, t->pend_dir == 0 ? "C>S" : "S>C", (unsigned long)t->pend_stream,
                t->pend_title ? t->pend_title : "data", t->pend_len);
    else
        fprintf(o, "%llu     %.4f (%.4f)  %s  data, %zu bytes\n", (unsigned long long)t->pend_conn, t->pend_rel,
                t->pend_delta, t->pend_dir == 0 ? "C>S" : "S>C", t->pend_len);
    /* redacted cleartext, line by line with non-printables escaped */
    fputs("    ---\n    ", o);
    for (size_t i = 0; i < t->pend_len; i++) {
        unsigned char c = t->pend[i];
        if (c == '\n')
            fputs(i + 1 < t->pend_len ? "\n    " : "\n", o);
        else if (c == '\r')
            continue;
        else if (c == '\t' || (c >= 0x20 && c < 0x7f))
            fputc(c, o);
        else
            fprintf(o, "\\x%02x", c);
    }
    if (t->pend[t->pend_len - 1] != '\n')
        fputc('\n', o);
    fputs("    ---\n", o);
    memset(t->pend, 0, t->pend_len);
    t->pend_len = 0;
}

void tr_text_free(struct tr_text *t)
{
    if (!t)
        return;
    flush_data(t);
    free(t);
}

static void put_time(FILE *o, struct timeval ts)
{
    struct tm tm;
    time_t sec = ts.tv_sec;
    if (!gmtime_r(&sec, &tm)) {
        fprintf(o, "%lld.%06ld", (long long)ts.tv_sec, (long)ts.tv_usec);
        return;
    }
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(o, "%s.%06ld UTC", b, (long)ts.tv_usec);
}

static void put_fields(FILE *o, const struct tr_fields *fb, int base)
{
    if (!fb)
        return;
    for (size_t i = 0; i < fb->n; i++) {
        const struct tr_field *f = &fb->f[i];
        int ind = base + 2 * f->depth;
        if (f->key && f->val)
            fprintf(o, "%*s%s: %s\n", ind, "", f->key, f->val);
        else if (f->key)
            fprintf(o, "%*s%s\n", ind, "", f->key);
        else if (f->val && f->val[0])
            fprintf(o, "%*s%s\n", ind, "", f->val);
    }
    if (fb->truncated)
        fprintf(o, "%*s(further details omitted)\n", base, "");
}

static const char *dirs(int dir) { return dir == 0 ? "C>S" : dir == 1 ? "S>C" : "   "; }

static void ev(void *ctx, const struct tr_ev *e)
{
    struct tr_text *t = ctx;
    FILE *o = t->out;
    char a[64], b[64];
    if (e->type == TR_EV_DATA && e->view == TR_VIEW_WIRE)
        return; /* binary framing (HTTP/2): the transcript shows the decoded view */
    if (e->type != TR_EV_DATA || e->withheld)
        flush_data(t);
    switch (e->type) {
    case TR_EV_CONN_OPEN:
        if (t->opts.verdicts_only)
            break;
        fprintf(o, "\nNew TCP connection #%llu: %s(%u) <-> %s(%u)  ", (unsigned long long)e->conn,
                tr_addr_str(e->cli, a, sizeof a), e->cport, tr_addr_str(e->srv, b, sizeof b), e->sport);
        put_time(o, e->ts);
        fputc('\n', o);
        break;
    case TR_EV_RECORD:
        if (t->opts.verdicts_only)
            break;
        fprintf(o, "%llu %-3llu %.4f (%.4f)  %s  %s, %zu bytes%s\n", (unsigned long long)e->conn,
                (unsigned long long)e->rec, e->rel, e->delta, dirs(e->dir), e->title, e->len,
                e->encrypted ? " (encrypted)" : "");
        put_fields(o, e->fields, 6);
        break;
    case TR_EV_DATA:
        if (t->opts.verdicts_only)
            break;
        if (e->withheld) {
            char sn[48] = "";
            if (e->stream)
                snprintf(sn, sizeof sn, "http2 stream %lu ", (unsigned long)e->stream);
            fprintf(o, "%llu     %.4f (%.4f)  %s  %sdata: %zu bytes withheld (%s)\n", (unsigned long long)e->conn,
                    e->rel, e->delta, dirs(e->dir), sn, e->len,
                    e->withheld == 1 ? "drop rule"
                    : e->withheld == 3 ? "could not be decoded: fail closed"
                                       : "could not be inspected: fail closed");
            break;
        }
        if (!e->data)
            break;
        if (t->pend_len && (t->pend_conn != e->conn || t->pend_dir != e->dir || t->pend_stream != e->stream ||
                            t->pend_title != e->title))
            flush_data(t);
        for (size_t off = 0; off < e->len;) {
            if (!t->pend_len) {
                t->pend_conn = e->conn;
                t->pend_dir = e->dir;
                t->pend_stream = e->stream;
                t->pend_title = e->title;
                t->pend_rel = e->rel;
                t->pend_delta = e->delta;
            }
            size_t k = e->len - off;
            if (k > PEND_MAX - t->pend_len)
                k = PEND_MAX - t->pend_len;
            memcpy(t->pend + t->pend_len, e->data + off, k);
            t->pend_len += k;
            off += k;
            if (t->pend_len == PEND_MAX)
                flush_data(t);
        }
        break;
    case TR_EV_GAP:
        if (t->opts.verdicts_only)
            break;
        fprintf(o, "%llu     %.4f (%.4f)  %s  gap: %zu bytes missing from the capture at stream offset %llu\n",
                (unsigned long long)e->conn, e->rel, e->delta, dirs(e->dir), e->len,
                (unsigned long long)e->offset);
        break;
    case TR_EV_NOTE:
        if (t->opts.verdicts_only)
            break;
        fprintf(o, "%llu     %.4f (%.4f)  %s  note: %s\n", (unsigned long long)e->conn, e->rel, e->delta,
                dirs(e->dir), e->text);
        break;
    case TR_EV_VERDICT:
        if (t->opts.verdicts_only && e->cli)
            fprintf(o, "#%llu %s(%u) <-> %s(%u): %s\n", (unsigned long long)e->conn,
                    tr_addr_str(e->cli, a, sizeof a), e->cport, tr_addr_str(e->srv, b, sizeof b),
                    e->sport, e->text);
        else
            fprintf(o, "%llu     verdict: %s\n", (unsigned long long)e->conn, e->text);
        if (!t->opts.verdicts_only)
            put_fields(o, e->fields, 6);
        break;
    case TR_EV_CONN_CLOSE:
        break;
    case TR_EV_SUMMARY:
        fprintf(o, "\nSummary: %s\n", e->text ? e->text : "");
        put_fields(o, e->fields, 2);
        break;
    }
}

struct tr_sink tr_text_sink(struct tr_text *t)
{
    struct tr_sink s = {.ev = ev, .ctx = t};
    return s;
}
