/* export.c - per-connection cleartext files (see export.h). */
#include "out/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct open_conn {
    uint64_t conn;
    FILE *f[2];
    char name[2][4352];
    struct open_conn *next;
};

struct tr_export {
    char dir[4096];
    struct open_conn *open;
    int failed;
    char err[600];
};

struct tr_export *tr_export_new(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory (create it first)", dir);
        return NULL;
    }
    struct tr_export *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(x->dir, sizeof x->dir, "%s", dir);
    return x;
}

static struct open_conn *find(struct tr_export *x, uint64_t conn, int create)
{
    for (struct open_conn *o = x->open; o; o = o->next)
        if (o->conn == conn)
            return o;
    if (!create)
        return NULL;
    struct open_conn *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->conn = conn;
    o->next = x->open;
    x->open = o;
    return o;
}

static void fail(struct tr_export *x, const char *name)
{
    if (!x->failed)
        snprintf(x->err, sizeof x->err, "%s: cannot write exported stream (%s)", name, strerror(errno));
    x->failed = 1;
}

static void close_conn(struct tr_export *x, uint64_t conn)
{
    struct open_conn **pp = &x->open;
    while (*pp && (*pp)->conn != conn)
        pp = &(*pp)->next;
    struct open_conn *o = *pp;
    if (!o)
        return;
    *pp = o->next;
    for (int d = 0; d < 2; d++)
        if (o->f[d] && fclose(o->f[d]) != 0)
            fail(x, o->name[d]);
    free(o);
}

static void ev(void *ctx, const struct tr_ev *e)
{
    struct tr_export *x = ctx;
    if (e->type == TR_EV_CONN_CLOSE) {
        close_conn(x, e->conn);
        return;
    }
    if (e->type != TR_EV_DATA || e->view == TR_VIEW_TEXT || !e->data || !e->len || e->dir < 0 || !e->cli)
        return;
    struct open_conn *o = find(x, e->conn, 1);
    if (!o) {
        x->failed = 1;
        snprintf(x->err, sizeof x->err, "out of memory");
        return;
    }
    int d = e->dir & 1;
    if (!o->f[d]) {
        char a[64], b[64];
        snprintf(o->name[d], sizeof o->name[d], "%s/%llu-%s.%u-%s.%u.%s", x->dir, (unsigned long long)e->conn,
                 tr_addr_str(e->cli, a, sizeof a), e->cport, tr_addr_str(e->srv, b, sizeof b), e->sport,
                 d == 0 ? "c2s" : "s2c");
        o->f[d] = fopen(o->name[d], "wb");
        if (!o->f[d]) {
            fail(x, o->name[d]);
            return;
        }
    }
    if (fwrite(e->data, 1, e->len, o->f[d]) != e->len)
        fail(x, o->name[d]);
}

struct tr_sink tr_export_sink(struct tr_export *x)
{
    struct tr_sink s = {.ev = ev, .ctx = x};
    return s;
}

int tr_export_status(const struct tr_export *x, char *err, size_t errlen)
{
    if (!x->failed)
        return 0;
    snprintf(err, errlen, "%s", x->err);
    return -1;
}

void tr_export_free(struct tr_export *x)
{
    if (!x)
        return;
    while (x->open)
        close_conn(x, x->open->conn);
    free(x);
}
