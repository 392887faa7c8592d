/* Tiny check framework shared by the userspace syscall tests.
 * Each group prints "[TEST] <name>... PASS|FAIL"; failing checks print the
 * expression and line so a kernel log is enough to find the culprit. */
#ifndef AKUMA_TESTS_CHECK_H
#define AKUMA_TESTS_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;    /* total failed checks, decides exit status */
static int check_group_fails; /* failures within the current group */
static const char *check_group_name;

static inline void check_begin(const char *name) {
    check_group_name = name;
    check_group_fails = 0;
}

static inline void check_end(void) {
    printf("[TEST] %s... %s\n", check_group_name, check_group_fails ? "FAIL" : "PASS");
    fflush(stdout);
}

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("  check failed: %s (line %d, errno=%d %s)\n", #cond,         \
                   __LINE__, errno, strerror(errno));                            \
            check_failures++;                                                    \
            check_group_fails++;                                                 \
        }                                                                        \
    } while (0)

/* A syscall() result that must be -1 with the given errno. */
#define CHECK_ERR(expr, err)                                                     \
    do {                                                                         \
        errno = 0;                                                               \
        long check_r_ = (long)(expr);                                            \
        int check_e_ = errno;                                                    \
        if (check_r_ != -1 || check_e_ != (err)) {                               \
            printf("  check failed: %s -> %ld errno=%d (%s), want -1 %s "        \
                   "(line %d)\n", #expr, check_r_, check_e_,                     \
                   strerror(check_e_), #err, __LINE__);                          \
            check_failures++;                                                    \
            check_group_fails++;                                                 \
        }                                                                        \
    } while (0)

/* A result that must equal an exact value. */
#define CHECK_EQ(expr, want)                                                     \
    do {                                                                         \
        errno = 0;                                                               \
        long check_r_ = (long)(expr);                                            \
        long check_w_ = (long)(want);                                            \
        if (check_r_ != check_w_) {                                              \
            printf("  check failed: %s -> %ld errno=%d (%s), want %ld "          \
                   "(line %d)\n", #expr, check_r_, errno, strerror(errno),       \
                   check_w_, __LINE__);                                          \
            check_failures++;                                                    \
            check_group_fails++;                                                 \
        }                                                                        \
    } while (0)

/* Ends the program: status 0 only if every check passed. */
static inline void check_exit(void) {
    printf("%d check(s) failed\n", check_failures);
    fflush(stdout);
    exit(check_failures ? 1 : 0);
}

/* Named groups of checks: a program runs them all, or only the one named by
 * its first argument (`prog NAME`); an unknown name is status 2. */
struct check_test {
    const char *name;
    void (*run)(void);
};

static inline int check_run_tests(const char *program, int argc, char **argv, const struct check_test *tests,
                                  size_t count) {
    const char *only = argc > 1 ? argv[1] : NULL;
    int ran = 0;
    for (size_t i = 0; i < count; i++) {
        if (!only || strcmp(only, tests[i].name) == 0) {
            tests[i].run();
            ran++;
        }
    }
    if (!ran) {
        printf("%s: unknown test '%s'\n", program, only);
        return 2;
    }
    check_exit();
    return 0;
}

#endif
