/* CPU-time interval timers and limits: setitimer/getitimer with
 * ITIMER_VIRTUAL (user time, SIGVTALRM) and ITIMER_PROF (user and system
 * time, SIGPROF), not inherited by fork; RLIMIT_CPU: SIGXCPU at the soft
 * limit (which then moves up a second), SIGKILL at the hard one. As Linux
 * 6.1; validated on Linux (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"

static volatile sig_atomic_t g_signals;

static void count_signal(int signal) {
    (void)signal;
    g_signals++;
}

static void catch_signal(int signal) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = count_signal;
    action.sa_flags = SA_RESTART;
    sigaction(signal, &action, NULL);
}

static long cpu_ms(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static long wall_ms(void) { return cpu_ms(CLOCK_MONOTONIC); }

/* Spins in user space until `want` signals came or `limit_ms` of wall time passed. */
static void spin_until(int want, long limit_ms, int with_syscalls) {
    long start = wall_ms();
    volatile unsigned long sink = 0;
    while (g_signals < want && wall_ms() - start < limit_ms) {
        for (int i = 0; i < 100000; i++)
            sink += (unsigned long)i;
        if (with_syscalls)
            for (int i = 0; i < 50; i++)
                syscall(SYS_getppid);
    }
}

static void test_virtual(void) {
    check_begin("virtual");
    catch_signal(SIGVTALRM);
    g_signals = 0;
    struct itimerval value = { { 0, 50000 }, { 0, 50000 } };
    struct itimerval old;
    CHECK_EQ(setitimer(ITIMER_VIRTUAL, &value, &old), 0);
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0);
    struct itimerval now;
    CHECK_EQ(getitimer(ITIMER_VIRTUAL, &now), 0);
    CHECK(now.it_interval.tv_sec == 0 && now.it_interval.tv_usec == 50000);
    /* Linux adds a tick (4 ms at its 250 Hz; Akuma's is 10 ms) so that at
     * least the time asked for passes. */
    CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 && now.it_value.tv_usec <= 60000);
    long cpu_before = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
    spin_until(3, 20000, 0);
    CHECK_EQ(g_signals, 3);
    /* Three periods of 50 ms of CPU time (less the time before the spin). */
    CHECK(cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu_before >= 100);
    /* Disarmed: the old value comes back, and nothing more arrives. */
    memset(&value, 0, sizeof value);
    CHECK_EQ(setitimer(ITIMER_VIRTUAL, &value, &old), 0);
    CHECK(old.it_interval.tv_usec == 50000);
    CHECK_EQ(getitimer(ITIMER_VIRTUAL, &now), 0);
    CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0 && now.it_interval.tv_usec == 0);
    int seen = g_signals;
    spin_until(seen + 1, 300, 0);
    CHECK_EQ(g_signals, seen);
    /* Sleeping uses no CPU time: a one-shot 20 ms timer stays quiet over 200 ms of sleep. */
    struct itimerval once = { { 0, 0 }, { 0, 20000 } };
    CHECK_EQ(setitimer(ITIMER_VIRTUAL, &once, NULL), 0);
    g_signals = 0;
    struct timespec nap = { 0, 200000000 };
    nanosleep(&nap, NULL);
    CHECK_EQ(g_signals, 0);
    spin_until(1, 20000, 0);
    CHECK_EQ(g_signals, 1);
    CHECK_EQ(getitimer(ITIMER_VIRTUAL, &now), 0);
    CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);  /* one-shot: spent */
    check_end();
}

static void test_prof(void) {
    check_begin("prof");
    catch_signal(SIGPROF);
    g_signals = 0;
    struct itimerval value = { { 0, 30000 }, { 0, 30000 } };
    CHECK_EQ(setitimer(ITIMER_PROF, &value, NULL), 0);
    spin_until(4, 20000, 1);
    CHECK_EQ(g_signals, 4);
    memset(&value, 0, sizeof value);
    CHECK_EQ(setitimer(ITIMER_PROF, &value, NULL), 0);
    check_end();
}

static void test_errors(void) {
    check_begin("errors");
    struct itimerval value = { { 0, 0 }, { 0, 1000000 } };
    CHECK_ERR(setitimer(ITIMER_VIRTUAL, &value, NULL), EINVAL);  /* usec out of range */
    CHECK_ERR(setitimer(3, &value, NULL), EINVAL);
    CHECK_ERR(getitimer(3, &value), EINVAL);
    CHECK_ERR(getitimer(ITIMER_PROF, (struct itimerval *)8), EFAULT);
    CHECK_ERR(syscall(SYS_setitimer, ITIMER_PROF, (void *)8, NULL), EFAULT);
    /* A NULL new value disarms (Linux's compatibility rule). */
    struct itimerval armed = { { 1, 0 }, { 1, 0 } };
    CHECK_EQ(setitimer(ITIMER_PROF, &armed, NULL), 0);
    struct itimerval old;
    CHECK_EQ(syscall(SYS_setitimer, ITIMER_PROF, NULL, &old), 0);
    CHECK(old.it_interval.tv_sec == 1);
    CHECK_EQ(getitimer(ITIMER_PROF, &old), 0);
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0);
    check_end();
}

static void test_fork(void) {
    check_begin("fork");
    struct itimerval value = { { 5, 0 }, { 5, 0 } };
    CHECK_EQ(setitimer(ITIMER_VIRTUAL, &value, NULL), 0);
    CHECK_EQ(setitimer(ITIMER_PROF, &value, NULL), 0);
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        struct itimerval now;
        CHECK_EQ(getitimer(ITIMER_VIRTUAL, &now), 0);
        CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0 && now.it_interval.tv_sec == 0);
        CHECK_EQ(getitimer(ITIMER_PROF, &now), 0);
        CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    struct itimerval now;
    CHECK_EQ(getitimer(ITIMER_VIRTUAL, &now), 0);
    CHECK(now.it_interval.tv_sec == 5);
    memset(&value, 0, sizeof value);
    setitimer(ITIMER_VIRTUAL, &value, NULL);
    setitimer(ITIMER_PROF, &value, NULL);
    check_end();
}

static void test_rlimit_cpu(void) {
    check_begin("rlimit_cpu");
    int report[2];
    CHECK_EQ(pipe(report), 0);
    pid_t child = fork();
    if (child == 0) {
        catch_signal(SIGXCPU);
        g_signals = 0;
        struct rlimit limit = { 1, 2 };
        if (setrlimit(RLIMIT_CPU, &limit) != 0)
            _exit(3);
        /* Past the soft limit: SIGXCPU, and the soft limit moves up a second. */
        spin_until(1, 30000, 0);
        struct rlimit now;
        getrlimit(RLIMIT_CPU, &now);
        char line[64];
        int length = snprintf(line, sizeof line, "%d %lu %lu\n", (int)g_signals, (unsigned long)now.rlim_cur,
                              (unsigned long)now.rlim_max);
        if (write(report[1], line, (size_t)length) != length)
            _exit(4);
        /* The hard limit kills. */
        spin_until(100, 30000, 0);
        _exit(5);
    }
    close(report[1]);
    check_child_status(child, 0, SIGKILL);
    char line[64] = { 0 };
    CHECK(read(report[0], line, sizeof line - 1) > 0);
    CHECK(strcmp(line, "1 2 2\n") == 0);
    close(report[0]);
    /* A child inherits the limit. */
    struct rlimit limit;
    CHECK_EQ(getrlimit(RLIMIT_CPU, &limit), 0);
    CHECK(limit.rlim_cur == RLIM_INFINITY);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "virtual", test_virtual },
        { "prof", test_prof },
        { "errors", test_errors },
        { "fork", test_fork },
        { "rlimit_cpu", test_rlimit_cpu },
    };
    return check_run_tests("cputimers", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
