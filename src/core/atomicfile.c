/* atomicfile.c - write to a temporary name, rename when complete (see
 * atomicfile.h). */
#include "core/atomicfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

static void release(struct tr_atomic *a)
{
    free(a->path);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

int tr_atomic_open(struct tr_atomic *a, const char *path, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (strcmp(path, "-") == 0) {
        a->f = stdout;
        a->is_stdout = 1;
        return 0;
    }
    size_t n = strlen(path);
    a->path = malloc(n + 1);
    a->tmp = malloc(n + sizeof ".tmp-XXXXXX");
    if (!a->path || !a->tmp) {
        release(a);
        snprintf(err, errlen, "%s: out of memory", path);
        return TR_E_NOMEM;
    }
    memcpy(a->path, path, n + 1);
    memcpy(a->tmp, path, n);
    memcpy(a->tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create (%s)", path, strerror(errno));
        release(a);
        return TR_E_IO;
    }
    /* mkstemp makes 0600; a finished output gets the usual 0666 & ~umask */
    mode_t um = umask(077);
    umask(um);
    (void)fchmod(fd, 0666 & ~um);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        snprintf(err, errlen, "%s: cannot create (%s)", path, strerror(errno));
        close(fd);
        unlink(a->tmp);
        release(a);
        return TR_E_IO;
    }
    return 0;
}

int tr_atomic_commit(struct tr_atomic *a, char *err, size_t errlen)
{
    if (!a->f) {
        release(a);
        return 0;
    }
    if (a->is_stdout) {
        int bad = fflush(a->f) != 0 || ferror(a->f);
        if (bad)
            snprintf(err, errlen, "standard output: write error (%s)", strerror(errno ? errno : EIO));
        release(a);
        return bad ? TR_E_IO : 0;
    }
    int e = 0;
    if (fflush(a->f) != 0 || ferror(a->f))
        e = errno ? errno : EIO;
    if (!e && fsync(fileno(a->f)) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (fclose(a->f) != 0 && !e)
        e = errno ? errno : EIO;
    a->f = NULL;
    if (!e && rename(a->tmp, a->path) != 0)
        e = errno;
    if (e) {
        unlink(a->tmp);
        snprintf(err, errlen, "%s: write error (%s)", a->path, strerror(e));
        release(a);
        return TR_E_IO;
    }
    release(a);
    return 0;
}

void tr_atomic_abort(struct tr_atomic *a)
{
    if (a->f && !a->is_stdout) {
        fclose(a->f);
        unlink(a->tmp);
    }
    release(a);
}
