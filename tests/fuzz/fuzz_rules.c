/* fuzz_rules.c - the rule file parser: any bytes as a rule file; a loaded
 * set must self-test without crashing. */
#include "redact/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_rules_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    const char *p = path;
    struct tr_ruleset *rs = NULL;
    char err[512];
    if (tr_rules_load(&rs, &p, 1, err, sizeof err) == 0) {
        FILE *null = fopen("/dev/null", "w");
        tr_rules_selftest(rs, null);
        if (null)
            fclose(null);
        tr_rules_free(rs);
    }
    unlink(path);
    return 0;
}
