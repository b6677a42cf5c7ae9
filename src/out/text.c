/* text.c - transcript sink (see text.h). */
#include "out/text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tr_text {
    FILE *out;
    struct tr_text_opts opts;
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

void tr_text_free(struct tr_text *t) { free(t); }

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
            fprintf(o, "%llu     %.4f (%.4f)  %s  data: %zu bytes withheld (%s)\n", (unsigned long long)e->conn,
                    e->rel, e->delta, dirs(e->dir), e->len,
                    e->withheld == 1 ? "drop rule" : "could not be inspected: fail closed");
            break;
        }
        if (!e->data)
            break;
        fprintf(o, "%llu     %.4f (%.4f)  %s  data, %zu bytes\n", (unsigned long long)e->conn, e->rel,
                e->delta, dirs(e->dir), e->len);
        /* redacted cleartext, line by line with non-printables escaped */
        fputs("    ---\n    ", o);
        for (size_t i = 0; i < e->len; i++) {
            unsigned char c = e->data[i];
            if (c == '\n')
                fputs(i + 1 < e->len ? "\n    " : "\n", o);
            else if (c == '\r')
                continue;
            else if (c == '\t' || (c >= 0x20 && c < 0x7f))
                fputc(c, o);
            else
                fprintf(o, "\\x%02x", c);
        }
        if (e->len && e->data[e->len - 1] != '\n')
            fputc('\n', o);
        fputs("    ---\n", o);
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
