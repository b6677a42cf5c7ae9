/* tt.h - minimal test harness.  Each check prints "PASS name" or
 * "FAIL name: where"; tests/run.sh counts those lines.  A test binary exits
 * non-zero when any check failed. */
#ifndef TT_H
#define TT_H

#include <stdio.h>
#include <string.h>

static int tt_failed_total;
static int tt_cur_failed;

#define TT_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond)) {                                                        \
            if (!tt_cur_failed)                                               \
                printf("  check failed: %s (%s:%d)\n", #cond, __FILE__,       \
                       __LINE__);                                             \
            tt_cur_failed++;                                                  \
        }                                                                     \
    } while (0)

#define TT_EQ_INT(a, b)                                                       \
    do {                                                                      \
        long long tt_a = (long long)(a), tt_b = (long long)(b);               \
        if (tt_a != tt_b) {                                                   \
            if (!tt_cur_failed)                                               \
                printf("  %s == %s failed: %lld != %lld (%s:%d)\n", #a, #b,   \
                       tt_a, tt_b, __FILE__, __LINE__);                       \
            tt_cur_failed++;                                                  \
        }                                                                     \
    } while (0)

#define TT_EQ_MEM(a, b, n) TT_CHECK(memcmp((a), (b), (n)) == 0)
#define TT_EQ_STR(a, b) TT_CHECK(strcmp((a), (b)) == 0)

#define TT_RUN(fn)                                                            \
    do {                                                                      \
        tt_cur_failed = 0;                                                    \
        fn();                                                                 \
        if (tt_cur_failed) {                                                  \
            printf("FAIL %s\n", #fn);                                         \
            tt_failed_total++;                                                \
        } else {                                                              \
            printf("PASS %s\n", #fn);                                         \
        }                                                                     \
    } while (0)

#define TT_DONE() return tt_failed_total ? 1 : 0

#endif
