/*
 * The C tests' assertion harness: every CHECK counts, a failing one prints
 * where and what, and main returns check_done()'s status (0 passes under
 * meson test). Shared by tests/core, tests/gzip, tests/schema and
 * tests/validate.
 */
#ifndef KVST_TEST_CHECK_H
#define KVST_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                        \
    do {                                                                   \
        check_count++;                                                     \
        if (!(cond)) {                                                     \
            check_failures++;                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
        }                                                                  \
    } while (0)

/* Equality of two unsigned codes, printing both on failure. */
#define CHECK_EQ(got, want)                                                \
    do {                                                                   \
        long long g_ = (long long)(got), w_ = (long long)(want); \
        check_count++;                                                     \
        if (g_ != w_) {                                                    \
            check_failures++;                                              \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__,  \
                    __LINE__, #got, g_, w_);                               \
        }                                                                  \
    } while (0)

/* A view equals a C string. */
#define CHECK_VIEW(view, lit)                                              \
    do {                                                                   \
        check_count++;                                                     \
        if (!((view).ptr && (view).len == strlen(lit) &&                   \
              memcmp((view).ptr, (lit), (view).len) == 0)) {               \
            check_failures++;                                              \
            fprintf(stderr, "%s:%d: %s is '%.*s', expected '%s'\n",        \
                    __FILE__, __LINE__, #view, (int)(view).len,            \
                    (view).ptr ? (view).ptr : "(null)", (lit));            \
        }                                                                  \
    } while (0)

static int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif /* KVST_TEST_CHECK_H */
