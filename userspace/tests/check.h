/* Tiny check framework shared by the userspace syscall tests.
 * Each group prints "[TEST] <name>... PASS|FAIL"; failing checks print the
 * expression and line so a kernel log is enough to find the culprit. */
#ifndef AKUMA_TESTS_CHECK_H
#define AKUMA_TESTS_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Ends a forked child with its verdict as exit status: 0 only if it failed
 * no check since the fork (the parent reads it with check_child_status). */
static inline void check_child_done(int failures_at_fork) {
    fflush(stdout);
    _exit(check_failures != failures_at_fork ? 1 : 0);
}

/* Reaps child `pid` and checks it exited with `code` (signal == 0) or was
 * killed by `signal`. */
static inline void check_child_status(pid_t pid, int code, int signal) {
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    int ok = signal ? (WIFSIGNALED(status) && WTERMSIG(status) == signal)
                    : (WIFEXITED(status) && WEXITSTATUS(status) == code);
    if (!ok) {
        printf("  child %d: status 0x%x, want %s %d\n", (int)pid, status, signal ? "signal" : "exit",
               signal ? signal : code);
        check_failures++;
        check_group_fails++;
    }
}

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
