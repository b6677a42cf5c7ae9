/* atomicfile.h - output files that appear under their name only when
 * complete.
 *
 * An output is written to "NAME.tmp-XXXXXX" in the directory of NAME and
 * renamed to NAME by tr_atomic_commit() once everything is written and
 * flushed to disk.  A run that is interrupted leaves at most a file with the
 * .tmp- suffix, never a partial file that looks complete; a run that fails
 * to write removes its temporary file (tr_atomic_abort).  The name "-" means
 * standard output (no temporary file; commit only flushes).
 *
 * Ownership: the struct is caller-owned (stack or embedded); the FILE belongs
 * to it until commit/abort.  Error text names the file and the errno reason,
 * never file contents.
 */
#ifndef TR_CORE_ATOMICFILE_H
#define TR_CORE_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>

struct tr_atomic {
    FILE *f;          /* write here */
    char *path;       /* final name (NULL for standard output) */
    char *tmp;        /* temporary name while open */
    int is_stdout;
};

/* Creates the temporary file (mode 0666 less the umask, like fopen).
 * Returns 0, or TR_E_IO / TR_E_NOMEM with "NAME: reason" in err. */
int tr_atomic_open(struct tr_atomic *a, const char *path, char *err, size_t errlen);
/* Flushes, fsyncs, closes and renames the temporary file to its final name.
 * On any failure the temporary file is removed and "NAME: write error
 * (reason)" is put in err.  Returns 0 or TR_E_IO.  The struct is released
 * either way (a later abort is a no-op). */
int tr_atomic_commit(struct tr_atomic *a, char *err, size_t errlen);
/* Closes and removes the temporary file, if still open.  Safe to call on a
 * zeroed, committed or aborted struct. */
void tr_atomic_abort(struct tr_atomic *a);

#endif
