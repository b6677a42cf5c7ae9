/* report.c - the audit report (see report.h, docs/report.md). */
#include "out/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/atomicfile.h"
#include "core/err.h"
#include "core/sha256file.h"
#include "out/json.h"
#include "redact/redact.h"

/* Bounds of what main registers (argv-sized, not capture-sized). */
#define MAX_OPTS     256
#define MAX_OUTPUTS  64
#define MAX_NOTES    64
#define MAX_PORTMAP  64
#define MAX_VERDICTS 16
/* Buckets of the table of open connections (chained; the flow table bounds
 * how many are open at once). */
#define LIVE_BUCKETS 4096

struct hashed {
    char *role;         /* outputs only */
    char *path;
    int is_std;         /* standard input/output: listed, not hashed */
    int done;           /* hash attempted */
    int ok;
    char sha[TR_SHA256_HEX_LEN + 1];
    uint64_t size;
    char error[128];
};

/* What the report needs of a connection before its VERDICT that the
 * VERDICT does not carry: the withheld spans by reason. */
struct live {
    uint64_t conn;
    struct timeval first;
    uint64_t drop_bytes, drop_spans, limit_bytes, limit_spans, uninspected;
    struct live *next;
};

struct dirtot {
    uint64_t tcp, plain, decrypted, not_decrypted, failed;
};

struct totals {
    uint64_t conns;
    struct dirtot d[2];
    uint64_t drop_bytes, drop_spans, limit_bytes, limit_spans, uninspected;
    uint64_t masked, gaps, gap_bytes;
};

struct tr_report {
    struct tr_atomic af;
    char *path;
    FILE *conns;            /* per-connection entries, one JSON object a line */
    int conns_failed;
    struct timeval started;
    int fixed_time;         /* SOURCE_DATE_EPOCH */
    struct hashed input;
    char *iface;
    struct { char *opt, *val; } opts[MAX_OPTS];
    size_t nopts;
    int rules_on;
    size_t nrules;
    char **rule_id, **rule_desc;
    int *rule_action;
    uint64_t *rule_matches, *rule_bytes;
    struct hashed *rule_files;
    size_t nrule_files;
    struct hashed out[MAX_OUTPUTS];
    size_t nout;
    uint16_t portmap[MAX_PORTMAP][2];
    size_t nportmap;
    char *notes[MAX_NOTES];
    size_t nnotes;
    struct live *live[LIVE_BUCKETS];
    struct { char name[32]; uint64_t n; } verdicts[MAX_VERDICTS];
    size_t nverdicts;
    struct totals tot;
    char *summary;          /* SUMMARY event as JSON members, or NULL */
    char *summary_text;
    int status;
    int finished;
};

static char *sdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---- setup ---- */

struct tr_report *tr_report_new(const char *path, char *err, size_t errlen)
{
    struct tr_report *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long t = sde && *sde ? strtoll(sde, &end, 10) : -1;
    if (t >= 0 && end && *end == '\0') {
        r->started.tv_sec = (time_t)t;
        r->fixed_time = 1;
    } else {
        gettimeofday(&r->started, NULL);
    }
    r->path = sdup(path);
    if (!r->path) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(r);
        return NULL;
    }
    if (tr_atomic_open(&r->af, path, err, errlen) != 0) {
        free(r->path);
        free(r);
        return NULL;
    }
    /* the connection list waits in an unlinked file beside the report */
    r->conns = NULL;
    {
        char *name = r->af.tmp ? malloc(strlen(r->af.tmp) + sizeof ".c-XXXXXX") : NULL;
        if (name) {
            strcpy(name, r->af.tmp);
            strcat(name, ".c-XXXXXX");
            int fd = mkstemp(name);
            if (fd >= 0) {
                unlink(name);
                r->conns = fdopen(fd, "w+b");
                if (!r->conns)
                    close(fd);
            }
            free(name);
        }
        if (!r->conns)
            r->conns = tmpfile();
    }
    if (!r->conns) {
        snprintf(err, errlen, "%s: cannot create a temporary file (%s)", path, strerror(errno));
        tr_atomic_abort(&r->af);
        free(r->path);
        free(r);
        return NULL;
    }
    return r;
}

void tr_report_input(struct tr_report *r, const char *path, const char *iface)
{
    free(r->input.path);
    free(r->iface);
    memset(&r->input, 0, sizeof r->input);
    r->iface = NULL;
    if (path) {
        r->input.path = sdup(path);
        r->input.is_std = strcmp(path, "-") == 0;
    }
    if (iface)
        r->iface = sdup(iface);
}

int tr_report_option(struct tr_report *r, const char *opt, const char *value)
{
    if (r->nopts == MAX_OPTS)
        return TR_E_LIMIT;
    if (value && strcmp(opt, "--psk") == 0)
        value = "(hidden)";
    char *o = sdup(opt), *v = value ? sdup(value) : NULL;
    if (!o || (value && !v)) {
        free(o);
        free(v);
        return TR_E_NOMEM;
    }
    r->opts[r->nopts].opt = o;
    r->opts[r->nopts].val = v;
    r->nopts++;
    return 0;
}

static void hash_one(struct hashed *h)
{
    h->done = 1;
    if (h->is_std || !h->path)
        return;
    if (tr_sha256_file(h->path, h->sha, &h->size) == 0)
        h->ok = 1;
    else
        snprintf(h->error, sizeof h->error, "%s", strerror(errno ? errno : EIO));
}

int tr_report_rules(struct tr_report *r, const struct tr_ruleset *rs)
{
    if (!rs || r->rules_on)
        return 0;
    size_t n = tr_rules_count(rs), nf = tr_rules_file_count(rs);
    r->rule_id = calloc(n ? n : 1, sizeof *r->rule_id);
    r->rule_desc = calloc(n ? n : 1, sizeof *r->rule_desc);
    r->rule_action = calloc(n ? n : 1, sizeof *r->rule_action);
    r->rule_matches = calloc(n ? n : 1, sizeof *r->rule_matches);
    r->rule_bytes = calloc(n ? n : 1, sizeof *r->rule_bytes);
    r->rule_files = calloc(nf ? nf : 1, sizeof *r->rule_files);
    if (!r->rule_id || !r->rule_desc || !r->rule_action || !r->rule_matches || !r->rule_bytes || !r->rule_files)
        return TR_E_NOMEM;
    r->rules_on = 1;
    for (size_t i = 0; i < n; i++) {
        r->rule_id[i] = sdup(tr_rules_id(rs, i) ? tr_rules_id(rs, i) : "");
        r->rule_desc[i] = sdup(tr_rules_description(rs, i) ? tr_rules_description(rs, i) : "");
        r->rule_action[i] = tr_rules_action(rs, i);
        r->nrules = i + 1;
        if (!r->rule_id[i] || !r->rule_desc[i])
            return TR_E_NOMEM;
    }
    for (size_t i = 0; i < nf; i++) {
        r->rule_files[i].path = sdup(tr_rules_file(rs, i));
        r->nrule_files = i + 1;
        if (!r->rule_files[i].path)
            return TR_E_NOMEM;
        hash_one(&r->rule_files[i]); /* the content that was compiled */
    }
    return 0;
}

int tr_report_output(struct tr_report *r, const char *role, const char *path)
{
    if (r->nout == MAX_OUTPUTS)
        return TR_E_LIMIT;
    struct hashed *h = &r->out[r->nout];
    memset(h, 0, sizeof *h);
    h->role = sdup(role);
    h->path = sdup(path);
    if (!h->role || !h->path) {
        free(h->role);
        free(h->path);
        return TR_E_NOMEM;
    }
    h->is_std = strcmp(path, "-") == 0;
    r->nout++;
    return 0;
}

int tr_report_port_map(struct tr_report *r, uint16_t tls_port, uint16_t clear_port)
{
    if (r->nportmap == MAX_PORTMAP)
        return TR_E_LIMIT;
    r->portmap[r->nportmap][0] = tls_port;
    r->portmap[r->nportmap][1] = clear_port;
    r->nportmap++;
    return 0;
}

int tr_report_note(struct tr_report *r, const char *text)
{
    if (r->nnotes == MAX_NOTES)
        return TR_E_LIMIT;
    if (!(r->notes[r->nnotes] = sdup(text)))
        return TR_E_NOMEM;
    r->nnotes++;
    return 0;
}

/* ---- open connections ---- */

static struct live **live_slot(struct tr_report *r, uint64_t conn)
{
    struct live **pp = &r->live[(conn * 0x9e3779b97f4a7c15ull) >> 52 & (LIVE_BUCKETS - 1)];
    while (*pp && (*pp)->conn != conn)
        pp = &(*pp)->next;
    return pp;
}

static struct live *live_get(struct tr_report *r, uint64_t conn)
{
    struct live **pp = live_slot(r, conn);
    if (!*pp) {
        struct live *l = calloc(1, sizeof *l);
        if (!l)
            return NULL;
        l->conn = conn;
        *pp = l;
    }
    return *pp;
}

static void live_drop(struct tr_report *r, uint64_t conn)
{
    struct live **pp = live_slot(r, conn);
    struct live *l = *pp;
    if (l) {
        *pp = l->next;
        free(l);
    }
}

/* ---- events ---- */

static const char *action_name(int a)
{
    return a == TR_ACT_TOKEN ? "token" : a == TR_ACT_MASK ? "mask" : a == TR_ACT_DROP ? "drop" : "unknown";
}

static void put_endpoint(FILE *o, const char *name, const struct tr_addr *a, uint16_t port)
{
    char b[64];
    fprintf(o, ",\"%s\":{\"addr\":", name);
    tr_json_str(o, a ? tr_addr_str(a, b, sizeof b) : NULL);
    fprintf(o, ",\"port\":%u}", (unsigned)port);
}

static void count_verdict(struct tr_report *r, const char *v)
{
    for (size_t i = 0; i < r->nverdicts; i++)
        if (strcmp(r->verdicts[i].name, v) == 0) {
            r->verdicts[i].n++;
            return;
        }
    if (r->nverdicts < MAX_VERDICTS) {
        snprintf(r->verdicts[r->nverdicts].name, sizeof r->verdicts[r->nverdicts].name, "%s", v);
        r->verdicts[r->nverdicts++].n = 1;
    }
}

static void on_verdict(struct tr_report *r, const struct tr_ev *e)
{
    static const struct tr_conn_summary none;
    const struct tr_conn_summary *s = e->sum ? e->sum : &none;
    struct live zero = {.conn = e->conn}, *l = *live_slot(r, e->conn);
    if (!l)
        l = &zero;
    const char *verdict = e->verdict ? e->verdict : e->title ? e->title : "";
    FILE *o = r->conns;
    struct timeval first = l->first;
    if (!first.tv_sec && !first.tv_usec)
        first = e->ts;

    fprintf(o, "{\"conn\":%llu", (unsigned long long)e->conn);
    put_endpoint(o, "client", e->cli, e->cport);
    put_endpoint(o, "server", e->srv, e->sport);
    fputs(",\"first_seen\":", o);
    tr_json_time(o, first);
    fputs(",\"last_seen\":", o);
    tr_json_time(o, e->ts);
    fprintf(o, ",\"tls\":%s,\"verdict\":", e->tls ? "true" : "false");
    tr_json_str(o, verdict);
    fputs(",\"verdict_text\":", o);
    tr_json_str(o, e->text ? e->text : "");
    fputs(",\"version\":", o);
    tr_json_str(o, s->version ? s->version_name : NULL);
    fputs(",\"suite\":", o);
    tr_json_str(o, s->suite ? s->suite_name : NULL);
    fputs(",\"sni\":", o);
    tr_json_str(o, s->sni && s->sni[0] ? s->sni : NULL);
    fputs(",\"alpn\":", o);
    tr_json_str(o, e->alpn && e->alpn[0] ? e->alpn : NULL);
    fputs(",\"bytes\":{", o);
    for (int i = 0; i < 2; i++) {
        fprintf(o, "%s\"%s\":{\"tcp\":%llu,\"plain\":%llu,\"decrypted\":%llu,\"not_decrypted\":%llu,"
                "\"failed\":%llu}", i ? "," : "", i ? "s2c" : "c2s", (unsigned long long)s->tcp_bytes[i],
                (unsigned long long)s->plain[i], (unsigned long long)s->decrypted[i],
                (unsigned long long)s->encrypted[i], (unsigned long long)s->failed[i]);
        struct dirtot *d = &r->tot.d[i];
        d->tcp += s->tcp_bytes[i];
        d->plain += s->plain[i];
        d->decrypted += s->decrypted[i];
        d->not_decrypted += s->encrypted[i];
        d->failed += s->failed[i];
    }
    fprintf(o, "},\"withheld\":{\"failed_or_skipped\":%llu,\"not_decrypted\":%llu,\"redaction_drop\":%llu,"
            "\"redaction_drop_spans\":%llu,\"redaction_limit\":%llu,\"redaction_limit_spans\":%llu,"
            "\"uninspected\":%llu}",
            (unsigned long long)(s->failed[0] + s->failed[1]), (unsigned long long)(s->encrypted[0] + s->encrypted[1]),
            (unsigned long long)l->drop_bytes, (unsigned long long)l->drop_spans,
            (unsigned long long)l->limit_bytes, (unsigned long long)l->limit_spans,
            (unsigned long long)s->uninspected);
    fprintf(o, ",\"gaps\":{\"count\":%llu,\"bytes\":%llu}", (unsigned long long)s->gaps,
            (unsigned long long)s->gap_bytes);
    fprintf(o, ",\"redaction\":{\"masked_bytes\":%llu,\"rules\":[", (unsigned long long)s->masked);
    int first_rule = 1;
    for (size_t i = 0; s->rule_matches && s->rule_bytes && i < s->nrules; i++) {
        if (!s->rule_matches[i] && !s->rule_bytes[i])
            continue;
        const char *id = s->rule_ids ? s->rule_ids[i] : i < r->nrules ? r->rule_id[i] : NULL;
        fputs(first_rule ? "{\"id\":" : ",{\"id\":", o);
        first_rule = 0;
        tr_json_str(o, id ? id : "");
        fprintf(o, ",\"matches\":%llu,\"bytes\":%llu}", (unsigned long long)s->rule_matches[i],
                (unsigned long long)s->rule_bytes[i]);
        if (i < r->nrules) {
            r->rule_matches[i] += s->rule_matches[i];
            r->rule_bytes[i] += s->rule_bytes[i];
        }
    }
    fputs("]},\"decrypt_reason\":", o);
    tr_json_str(o, s->decrypt_reason ? s->decrypt_reason : "");
    fputs(",\"close_reason\":", o);
    tr_json_str(o, s->close_reason ? s->close_reason : "");
    fputs("}\n", o);
    if (ferror(o))
        r->conns_failed = errno ? errno : EIO;

    r->tot.conns++;
    r->tot.drop_bytes += l->drop_bytes;
    r->tot.drop_spans += l->drop_spans;
    r->tot.limit_bytes += l->limit_bytes;
    r->tot.limit_spans += l->limit_spans;
    r->tot.uninspected += s->uninspected;
    r->tot.masked += s->masked;
    r->tot.gaps += s->gaps;
    r->tot.gap_bytes += s->gap_bytes;
    count_verdict(r, verdict);
}

static void on_summary(struct tr_report *r, const struct tr_ev *e)
{
    free(r->summary);
    free(r->summary_text);
    r->summary = NULL;
    r->summary_text = sdup(e->text ? e->text : "");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return;
    fputs("\"text\":", m);
    tr_json_str(m, e->text ? e->text : "");
    fputs(",\"fields\":", m);
    tr_json_fields(m, e->fields);
    if (fclose(m) == 0)
        r->summary = buf;
    else
        free(buf);
}

static void ev(void *ctx, const struct tr_ev *e)
{
    struct tr_report *r = ctx;
    if (r->finished)
        return;
    struct live *l;
    switch (e->type) {
    case TR_EV_CONN_OPEN:
        if ((l = live_get(r, e->conn)) != NULL)
            l->first = e->ts;
        break;
    case TR_EV_DATA:
        /* undecodable content is counted once, from the verdict summary */
        if (!e->withheld || e->withheld == 3 || !(l = live_get(r, e->conn)))
            break;
        if (e->withheld == 1) {
            l->drop_bytes += e->len;
            l->drop_spans++;
        } else {
            l->limit_bytes += e->len;
            l->limit_spans++;
        }
        break;
    case TR_EV_VERDICT:
        on_verdict(r, e);
        break;
    case TR_EV_CONN_CLOSE:
        live_drop(r, e->conn);
        break;
    case TR_EV_SUMMARY:
        on_summary(r, e);
        break;
    default:
        break;
    }
}

struct tr_sink tr_report_sink(struct tr_report *r)
{
    struct tr_sink s = {.ev = ev, .ctx = r};
    return s;
}

/* ---- the document ---- */

static void put_hashed(FILE *o, const struct hashed *h)
{
    fputs("{", o);
    if (h->role) {
        fputs("\"role\":", o);
        tr_json_str(o, h->role);
        fputc(',', o);
    }
    fputs("\"path\":", o);
    tr_json_str(o, h->is_std ? NULL : h->path);
    if (h->is_std)
        fprintf(o, ",\"stream\":\"%s\"", h->role ? "stdout" : "stdin");
    if (h->ok)
        fprintf(o, ",\"size\":%llu,\"sha256\":\"%s\"", (unsigned long long)h->size, h->sha);
    else
        fputs(",\"size\":null,\"sha256\":null", o);
    if (!h->ok && h->error[0]) {
        fputs(",\"error\":", o);
        tr_json_str(o, h->error);
    } else if (h->is_std) {
        fputs(",\"error\":\"not a file: not hashed\"", o);
    }
    fputc('}', o);
}

static void put_time_member(FILE *o, const char *name, struct timeval tv)
{
    fprintf(o, "  \"%s\": ", name);
    tr_json_time(o, tv);
}

static void put_dirtot(FILE *o, const struct dirtot *d)
{
    fprintf(o, "{\"tcp\":%llu,\"plain\":%llu,\"decrypted\":%llu,\"not_decrypted\":%llu,\"failed\":%llu}",
            (unsigned long long)d->tcp, (unsigned long long)d->plain, (unsigned long long)d->decrypted,
            (unsigned long long)d->not_decrypted, (unsigned long long)d->failed);
}

static int copy_conns(struct tr_report *r, FILE *o)
{
    if (fflush(r->conns) != 0 || fseek(r->conns, 0, SEEK_SET) != 0)
        return errno ? errno : EIO;
    char buf[65536];
    size_t n;
    int first = 1, bol = 1;
    while ((n = fread(buf, 1, sizeof buf, r->conns)) > 0) {
        /* each entry is one line: indent it, separate with commas */
        for (size_t i = 0; i < n; i++) {
            if (bol) {
                fputs(first ? "\n    " : ",\n    ", o);
                first = 0;
                bol = 0;
            }
            if (buf[i] == '\n')
                bol = 1;
            else
                fputc(buf[i], o);
        }
    }
    if (ferror(r->conns))
        return errno ? errno : EIO;
    fputs(first ? "" : "\n  ", o);
    return 0;
}

static void write_doc(struct tr_report *r, FILE *o, struct timeval finished)
{
    fprintf(o, "{\n  \"report_schema\": %d,\n  \"tool\": {\"name\": \"tlsredact\", \"version\": ", TR_REPORT_SCHEMA);
#ifdef TR_VERSION
    tr_json_str(o, TR_VERSION);
#else
    tr_json_str(o, "unknown");
#endif
    fputs("},\n", o);
    put_time_member(o, "run_started", r->started);
    fputs(",\n", o);
    put_time_member(o, "run_finished", finished);
    fprintf(o, ",\n  \"reproducible_time\": %s,\n  \"exit_status\": %d,\n", r->fixed_time ? "true" : "false",
            r->status);
    fputs("  \"options\": [", o);
    for (size_t i = 0; i < r->nopts; i++) {
        fputs(i ? ", {\"option\": " : "{\"option\": ", o);
        tr_json_str(o, r->opts[i].opt);
        fputs(", \"value\": ", o);
        tr_json_str(o, r->opts[i].val);
        fputc('}', o);
    }
    fputs("],\n  \"input\": ", o);
    if (r->input.path) {
        put_hashed(o, &r->input);
    } else {
        fputs("{\"interface\": ", o);
        tr_json_str(o, r->iface);
        fputs(", \"sha256\": null}", o);
    }
    fputs(",\n  \"outputs\": [", o);
    for (size_t i = 0; i < r->nout; i++) {
        fputs(i ? ",\n    " : "\n    ", o);
        put_hashed(o, &r->out[i]);
    }
    fputs(r->nout ? "\n  ],\n" : "],\n", o);
    fprintf(o, "  \"redaction\": {\"enabled\": %s, \"files\": [", r->rules_on ? "true" : "false");
    for (size_t i = 0; i < r->nrule_files; i++) {
        fputs(i ? ",\n    " : "\n    ", o);
        put_hashed(o, &r->rule_files[i]);
    }
    fputs("],\n    \"rules\": [", o);
    for (size_t i = 0; i < r->nrules; i++) {
        fputs(i ? ",\n      {\"id\": " : "\n      {\"id\": ", o);
        tr_json_str(o, r->rule_id[i]);
        fprintf(o, ", \"action\": \"%s\", \"description\": ", action_name(r->rule_action[i]));
        tr_json_str(o, r->rule_desc[i]);
        fputc('}', o);
    }
    fputs("]},\n  \"port_map\": [", o);
    for (size_t i = 0; i < r->nportmap; i++)
        fprintf(o, "%s{\"tls_port\": %u, \"cleartext_port\": %u}", i ? ", " : "", (unsigned)r->portmap[i][0],
                (unsigned)r->portmap[i][1]);
    fputs("],\n  \"notes\": [", o);
    for (size_t i = 0; i < r->nnotes; i++) {
        if (i)
            fputs(", ", o);
        tr_json_str(o, r->notes[i]);
    }
    fputs("],\n  \"connections\": [", o);
}

static void write_tail(struct tr_report *r, FILE *o)
{
    fputs("],\n  \"rule_totals\": [", o);
    for (size_t i = 0; i < r->nrules; i++) {
        fputs(i ? ",\n    {\"id\": " : "\n    {\"id\": ", o);
        tr_json_str(o, r->rule_id[i]);
        fprintf(o, ", \"action\": \"%s\", \"matches\": %llu, \"bytes\": %llu}", action_name(r->rule_action[i]),
                (unsigned long long)r->rule_matches[i], (unsigned long long)r->rule_bytes[i]);
    }
    fputs(r->nrules ? "\n  ],\n" : "],\n", o);
    const struct totals *t = &r->tot;
    fprintf(o, "  \"totals\": {\"connections\": %llu, \"verdicts\": {", (unsigned long long)t->conns);
    for (size_t i = 0; i < r->nverdicts; i++) {
        if (i)
            fputs(", ", o);
        tr_json_str(o, r->verdicts[i].name);
        fprintf(o, ": %llu", (unsigned long long)r->verdicts[i].n);
    }
    fputs("},\n    \"bytes\": {\"c2s\": ", o);
    put_dirtot(o, &t->d[0]);
    fputs(", \"s2c\": ", o);
    put_dirtot(o, &t->d[1]);
    fprintf(o, "},\n    \"withheld\": {\"failed_or_skipped\": %llu, \"not_decrypted\": %llu, "
            "\"redaction_drop\": %llu, \"redaction_drop_spans\": %llu, \"redaction_limit\": %llu, "
            "\"redaction_limit_spans\": %llu, \"uninspected\": %llu},\n",
            (unsigned long long)(t->d[0].failed + t->d[1].failed),
            (unsigned long long)(t->d[0].not_decrypted + t->d[1].not_decrypted),
            (unsigned long long)t->drop_bytes, (unsigned long long)t->drop_spans,
            (unsigned long long)t->limit_bytes, (unsigned long long)t->limit_spans,
            (unsigned long long)t->uninspected);
    fprintf(o, "    \"masked_bytes\": %llu, \"gaps\": {\"count\": %llu, \"bytes\": %llu}},\n",
            (unsigned long long)t->masked, (unsigned long long)t->gaps, (unsigned long long)t->gap_bytes);
    fputs("  \"summary\": ", o);
    if (r->summary)
        fprintf(o, "{%s}", r->summary);
    else
        fputs("null", o);
    fputs("\n}\n", o);
}

int tr_report_finish(struct tr_report *r, int status, char *err, size_t errlen)
{
    if (r->finished) {
        snprintf(err, errlen, "%s: report already written", r->path);
        return -1;
    }
    r->finished = 1;
    r->status = status;
    struct timeval finished = r->started;
    if (!r->fixed_time)
        gettimeofday(&finished, NULL);
    if (r->input.path)
        hash_one(&r->input);
    for (size_t i = 0; i < r->nout; i++)
        hash_one(&r->out[i]);
    FILE *o = r->af.f;
    write_doc(r, o, finished);
    int e = r->conns_failed ? r->conns_failed : copy_conns(r, o);
    if (e) {
        snprintf(err, errlen, "%s: cannot write the connection list (%s)", r->path, strerror(e));
        tr_atomic_abort(&r->af);
        return -1;
    }
    write_tail(r, o);
    return tr_atomic_commit(&r->af, err, errlen) == 0 ? 0 : -1;
}

/* ---- stderr summary ---- */

void tr_report_print_summary(const struct tr_report *r, FILE *o)
{
    const struct totals *t = &r->tot;
    fprintf(o, "tlsredact: report: %llu connection%s", (unsigned long long)t->conns, t->conns == 1 ? "" : "s");
    for (size_t i = 0; i < r->nverdicts; i++)
        fprintf(o, "%s %llu %s", i ? "," : ":", (unsigned long long)r->verdicts[i].n, r->verdicts[i].name);
    uint64_t matches = 0;
    for (size_t i = 0; i < r->nrules; i++)
        matches += r->rule_matches[i];
    fprintf(o, "\ntlsredact: report: %llu bytes decrypted (%llu client to server, %llu server to client); ",
            (unsigned long long)(t->d[0].decrypted + t->d[1].decrypted), (unsigned long long)t->d[0].decrypted,
            (unsigned long long)t->d[1].decrypted);
    if (r->rules_on)
        fprintf(o, "%llu bytes masked or tokenized, %llu rule match%s\n", (unsigned long long)t->masked,
                (unsigned long long)matches, matches == 1 ? "" : "es");
    else
        fputs("redaction OFF\n", o);
    fprintf(o, "tlsredact: report: withheld: %llu bytes failed authentication or skipped 0-RTT, %llu not "
            "decrypted, %llu by drop rules, %llu fail-closed, %llu undecodable HTTP content; %llu gap%s "
            "(%llu bytes missing)\n",
            (unsigned long long)(t->d[0].failed + t->d[1].failed),
            (unsigned long long)(t->d[0].not_decrypted + t->d[1].not_decrypted), (unsigned long long)t->drop_bytes,
            (unsigned long long)t->limit_bytes, (unsigned long long)t->uninspected, (unsigned long long)t->gaps,
            t->gaps == 1 ? "" : "s",
            (unsigned long long)t->gap_bytes);
    if (!r->finished)
        return;
    fprintf(o, "tlsredact: report written to %s; SHA-256 of the files it describes (check with sha256sum -c):\n",
            strcmp(r->path, "-") == 0 ? "standard output" : r->path);
    if (r->input.ok)
        fprintf(o, "%s  %s\n", r->input.sha, r->input.path);
    for (size_t i = 0; i < r->nrule_files; i++)
        if (r->rule_files[i].ok)
            fprintf(o, "%s  %s\n", r->rule_files[i].sha, r->rule_files[i].path);
    for (size_t i = 0; i < r->nout; i++)
        if (r->out[i].ok)
            fprintf(o, "%s  %s\n", r->out[i].sha, r->out[i].path);
}

void tr_report_free(struct tr_report *r)
{
    if (!r)
        return;
    tr_atomic_abort(&r->af);
    if (r->conns)
        fclose(r->conns);
    free(r->path);
    free(r->input.path);
    free(r->iface);
    for (size_t i = 0; i < r->nopts; i++) {
        free(r->opts[i].opt);
        free(r->opts[i].val);
    }
    for (size_t i = 0; i < r->nrules; i++) {
        free(r->rule_id[i]);
        free(r->rule_desc[i]);
    }
    free(r->rule_id);
    free(r->rule_desc);
    free(r->rule_action);
    free(r->rule_matches);
    free(r->rule_bytes);
    for (size_t i = 0; i < r->nrule_files; i++)
        free(r->rule_files[i].path);
    free(r->rule_files);
    for (size_t i = 0; i < r->nout; i++) {
        free(r->out[i].role);
        free(r->out[i].path);
    }
    for (size_t i = 0; i < r->nnotes; i++)
        free(r->notes[i]);
    for (size_t b = 0; b < LIVE_BUCKETS; b++)
        while (r->live[b]) {
            struct live *l = r->live[b];
            r->live[b] = l->next;
            free(l);
        }
    free(r->summary);
    free(r->summary_text);
    free(r);
}
