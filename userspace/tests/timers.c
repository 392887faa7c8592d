/* POSIX timers (timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete) and queued real-time signals, through the
 * raw system calls so glibc's own bookkeeping stays out of the way.
 * Validated on Linux (../shared/tools/linux-ref). Every wait is bounded, so
 * a timer that never fires fails a check instead of hanging. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

struct kernel_sigevent {
    union sigval value;
    int signo;
    int notify;
    int thread_id;
    int pad[11];
};

static long k_timer_create(clockid_t clock, struct kernel_sigevent *event, int *id) {
    return syscall(SYS_timer_create, clock, event, id);
}
static long k_timer_settime(int id, int flags, const struct itimerspec *value, struct itimerspec *old) {
    return syscall(SYS_timer_settime, id, flags, value, old);
}
static long k_timer_gettime(int id, struct itimerspec *value) { return syscall(SYS_timer_gettime, id, value); }
static long k_timer_getoverrun(int id) { return syscall(SYS_timer_getoverrun, id); }
static long k_timer_delete(int id) { return syscall(SYS_timer_delete, id); }

static const long k_ms = 1000000L;

static struct itimerspec spec_ns(long value_ns, long interval_ns) {
    struct itimerspec spec = {
        { interval_ns / 1000000000L, interval_ns % 1000000000L },
        { value_ns / 1000000000L, value_ns % 1000000000L },
    };
    return spec;
}

static long ns_of(const struct timespec *t) { return t->tv_sec * 1000000000L + t->tv_nsec; }

static void block(int signal) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

static void unblock(int signal) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Waits up to `seconds` for the blocked `signal`; its number or -1. */
static int wait_signal(int signal, siginfo_t *info, long seconds) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    struct timespec timeout = { seconds, 0 };
    return sigtimedwait(&set, info, &timeout);
}

static int is_pending(int signal) {
    sigset_t set;
    sigpending(&set);
    return sigismember(&set, signal);
}

static void sleep_ns(long ns) {
    struct timespec t = { ns / 1000000000L, ns % 1000000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static void test_create(void) {
    check_begin("create");
    int id = -1;
    /* No sigevent: SIGALRM, the value is the timer's own ID. */
    block(SIGALRM);
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, NULL, &id), 0);
    CHECK(id >= 0);
    struct itimerspec zero, now;
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    memset(&zero, 0, sizeof zero);
    CHECK(memcmp(&now, &zero, sizeof now) == 0);  /* disarmed */
    struct itimerspec soon = spec_ns(20 * k_ms, 0);
    CHECK_EQ(k_timer_settime(id, 0, &soon, NULL), 0);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(wait_signal(SIGALRM, &info, 5), SIGALRM);
    CHECK_EQ(info.si_code, SI_TIMER);
    CHECK_EQ(info.si_timerid, id);
    CHECK_EQ(info.si_overrun, 0);
    CHECK_EQ(info.si_value.sival_int, id);
    CHECK_EQ(k_timer_delete(id), 0);
    unblock(SIGALRM);

    /* The next ID is not the one just freed (Linux counts up). */
    int second = -1, third = -1;
    struct kernel_sigevent event = { .notify = SIGEV_NONE };
    CHECK_EQ(k_timer_create(CLOCK_REALTIME, &event, &second), 0);
    CHECK_EQ(k_timer_create(CLOCK_BOOTTIME, &event, &third), 0);
    CHECK(second != third);
    CHECK_EQ(k_timer_delete(second), 0);
    CHECK_EQ(k_timer_delete(third), 0);
    check_end();
}

static void test_errors(void) {
    check_begin("errors");
    int id = -1;
    struct kernel_sigevent event = { .notify = SIGEV_SIGNAL, .signo = SIGUSR1 };
    CHECK_ERR(k_timer_create(99, &event, &id), EINVAL);
    /* Clocks without timers. */
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC_RAW, &event, &id), EOPNOTSUPP);
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC_COARSE, &event, &id), EOPNOTSUPP);
    CHECK_ERR(k_timer_create(CLOCK_REALTIME_COARSE, &event, &id), EOPNOTSUPP);
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC, (struct kernel_sigevent *)8, &id), EFAULT);
    event.notify = 7;
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC, &event, &id), EINVAL);
    event.notify = SIGEV_SIGNAL;
    event.signo = 0;
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC, &event, &id), EINVAL);
    event.signo = 65;
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC, &event, &id), EINVAL);
    /* SIGEV_THREAD_ID must name a thread of the caller's process. */
    event.signo = SIGUSR1;
    event.notify = SIGEV_SIGNAL | SIGEV_THREAD_ID;
    event.thread_id = getppid();
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC, &event, &id), EINVAL);
    event.thread_id = 0x3ffffff0;
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC, &event, &id), EINVAL);
    /* A process CPU clock of a process that does not exist. */
    clockid_t nobody = (clockid_t)((~4000000u << 3) | 2u);
    CHECK_ERR(k_timer_create(nobody, &event, &id), EINVAL);

    event.notify = SIGEV_NONE;
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, &event, &id), 0);
    struct itimerspec value = spec_ns(k_ms, 0), old;
    CHECK_ERR(k_timer_settime(id, 0, NULL, NULL), EINVAL);
    CHECK_ERR(k_timer_settime(id, 0, (struct itimerspec *)8, NULL), EFAULT);
    value.it_value.tv_nsec = 1000000000L;
    CHECK_ERR(k_timer_settime(id, 0, &value, NULL), EINVAL);
    value = spec_ns(k_ms, 0);
    value.it_interval.tv_nsec = -1;
    CHECK_ERR(k_timer_settime(id, 0, &value, NULL), EINVAL);
    value = spec_ns(k_ms, 0);
    CHECK_ERR(k_timer_settime(id + 1000, 0, &value, &old), EINVAL);
    CHECK_ERR(k_timer_gettime(id + 1000, &old), EINVAL);
    CHECK_ERR(k_timer_gettime(id, (struct itimerspec *)8), EFAULT);
    CHECK_ERR(k_timer_getoverrun(id + 1000), EINVAL);
    CHECK_ERR(k_timer_delete(id + 1000), EINVAL);
    CHECK_ERR(k_timer_delete(-1), EINVAL);
    CHECK_EQ(k_timer_delete(id), 0);
    CHECK_ERR(k_timer_delete(id), EINVAL);
    CHECK_ERR(k_timer_gettime(id, &old), EINVAL);
    check_end();
}

static void test_settime(void) {
    check_begin("settime");
    int id = -1;
    struct kernel_sigevent event = { .notify = SIGEV_SIGNAL, .signo = SIGUSR2 };
    event.value.sival_ptr = (void *)0x1234567890abcdefUL;
    block(SIGUSR2);
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, &event, &id), 0);
    /* Armed for 5 s: gettime shows what is left, and the old value comes
     * back from the next settime. */
    struct itimerspec value = spec_ns(5000 * k_ms, 0), now, old;
    CHECK_EQ(k_timer_settime(id, 0, &value, NULL), 0);
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK(ns_of(&now.it_value) > 0 && ns_of(&now.it_value) <= 5000 * k_ms);
    CHECK_EQ(ns_of(&now.it_interval), 0);
    value = spec_ns(0, 0);  /* disarm */
    CHECK_EQ(k_timer_settime(id, 0, &value, &old), 0);
    CHECK(ns_of(&old.it_value) > 0 && ns_of(&old.it_value) <= 5000 * k_ms);
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK_EQ(ns_of(&now.it_value), 0);
    sleep_ns(30 * k_ms);
    CHECK(!is_pending(SIGUSR2));  /* a disarmed timer sends nothing */

    /* Absolute on CLOCK_MONOTONIC, slightly ahead: the signal, with the
     * sigevent's value. */
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    value = spec_ns(ns_of(&t) + 20 * k_ms, 0);
    CHECK_EQ(k_timer_settime(id, TIMER_ABSTIME, &value, NULL), 0);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(wait_signal(SIGUSR2, &info, 5), SIGUSR2);
    CHECK_EQ(info.si_code, SI_TIMER);
    CHECK(info.si_value.sival_ptr == (void *)0x1234567890abcdefUL);
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK_EQ(ns_of(&now.it_value), 0);  /* a one-shot timer is disarmed once run */
    /* Absolute in the past: expires at once. */
    value = spec_ns(1, 0);
    CHECK_EQ(k_timer_settime(id, TIMER_ABSTIME, &value, NULL), 0);
    CHECK_EQ(wait_signal(SIGUSR2, &info, 5), SIGUSR2);
    CHECK_EQ(k_timer_delete(id), 0);

    /* CLOCK_REALTIME, absolute. */
    CHECK_EQ(k_timer_create(CLOCK_REALTIME, &event, &id), 0);
    clock_gettime(CLOCK_REALTIME, &t);
    value = spec_ns(ns_of(&t) + 20 * k_ms, 0);
    CHECK_EQ(k_timer_settime(id, TIMER_ABSTIME, &value, NULL), 0);
    CHECK_EQ(wait_signal(SIGUSR2, &info, 5), SIGUSR2);
    struct timespec after;
    clock_gettime(CLOCK_REALTIME, &after);
    CHECK(ns_of(&after) >= ns_of(&value.it_value));  /* never early */
    CHECK_EQ(k_timer_delete(id), 0);
    unblock(SIGUSR2);
    check_end();
}

static void test_overrun(void) {
    check_begin("overrun");
    int id = -1;
    struct kernel_sigevent event = { .notify = SIGEV_SIGNAL, .signo = SIGRTMIN };
    block(SIGRTMIN);
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, &event, &id), 0);
    /* Every 10 ms while the first signal waits blocked: one signal, the
     * other expiries as overruns. */
    struct itimerspec value = spec_ns(10 * k_ms, 10 * k_ms), now;
    CHECK_EQ(k_timer_settime(id, 0, &value, NULL), 0);
    sleep_ns(150 * k_ms);
    CHECK_EQ(k_timer_getoverrun(id), 0);  /* only counted at delivery */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 5), SIGRTMIN);
    CHECK_EQ(info.si_code, SI_TIMER);
    CHECK(info.si_overrun >= 5);
    CHECK_EQ(k_timer_getoverrun(id), info.si_overrun);
    /* Periodic: gettime shows the interval, and the timer goes on. */
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK_EQ(ns_of(&now.it_interval), 10 * k_ms);
    CHECK(ns_of(&now.it_value) > 0 && ns_of(&now.it_value) <= 10 * k_ms);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 5), SIGRTMIN);
    /* Deleted with its signal pending: the signal stays (Linux 6.1). */
    sleep_ns(30 * k_ms);
    CHECK(is_pending(SIGRTMIN));
    CHECK_EQ(k_timer_delete(id), 0);
    CHECK(is_pending(SIGRTMIN));
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 5), SIGRTMIN);
    sleep_ns(30 * k_ms);
    CHECK(!is_pending(SIGRTMIN));
    unblock(SIGRTMIN);
    check_end();
}

static void test_sigev_none(void) {
    check_begin("sigev_none");
    int id = -1;
    struct kernel_sigevent event = { .notify = SIGEV_NONE };
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, &event, &id), 0);
    struct itimerspec value = spec_ns(10 * k_ms, 0), now;
    CHECK_EQ(k_timer_settime(id, 0, &value, NULL), 0);
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK(ns_of(&now.it_value) > 0 && ns_of(&now.it_value) <= 10 * k_ms);
    sleep_ns(30 * k_ms);
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK_EQ(ns_of(&now.it_value), 0);  /* expired */
    /* Periodic: it moves on with no signal to wait for. */
    value = spec_ns(10 * k_ms, 20 * k_ms);
    CHECK_EQ(k_timer_settime(id, 0, &value, NULL), 0);
    sleep_ns(55 * k_ms);
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK(ns_of(&now.it_value) > 0 && ns_of(&now.it_value) <= 20 * k_ms);
    CHECK_EQ(ns_of(&now.it_interval), 20 * k_ms);
    CHECK_EQ(k_timer_delete(id), 0);
    check_end();
}

static volatile sig_atomic_t handled, handled_code, handled_id;

static void on_timer(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    handled_code = info->si_code;
    handled_id = info->si_timerid;
    handled++;
}

static void test_handler(void) {
    check_begin("handler");
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_timer;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &action, NULL);
    int id = -1;
    struct kernel_sigevent event = { .notify = SIGEV_SIGNAL, .signo = SIGUSR1 };
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, &event, &id), 0);
    handled = 0;
    struct itimerspec value = spec_ns(5 * k_ms, 5 * k_ms);
    CHECK_EQ(k_timer_settime(id, 0, &value, NULL), 0);
    for (int i = 0; i < 500 && handled < 3; i++)
        sleep_ns(10 * k_ms);
    CHECK(handled >= 3);
    CHECK_EQ(handled_code, SI_TIMER);
    CHECK_EQ(handled_id, id);
    CHECK_EQ(k_timer_delete(id), 0);
    signal(SIGUSR1, SIG_DFL);
    check_end();
}

static volatile sig_atomic_t main_thread_got;
static void on_main_thread(int signal) {
    (void)signal;
    main_thread_got++;
}

struct thread_target {
    pid_t tid;
    volatile int ready;
    int result;
    int code;
};

static void *target_thread(void *arg) {
    struct thread_target *target = arg;
    block(SIGRTMIN + 1);  /* only this thread blocks it */
    target->tid = (pid_t)syscall(SYS_gettid);
    __atomic_store_n(&target->ready, 1, __ATOMIC_RELEASE);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    target->result = wait_signal(SIGRTMIN + 1, &info, 5);
    target->code = info.si_code;
    return NULL;
}

static void test_thread_id(void) {
    check_begin("thread_id");
    /* The main thread would take the signal at once with its handler if
     * it were sent to the process; sent to the thread, it waits for it. */
    signal(SIGRTMIN + 1, on_main_thread);
    main_thread_got = 0;
    struct thread_target target = { 0, 0, 0, 0 };
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, target_thread, &target), 0);
    while (!__atomic_load_n(&target.ready, __ATOMIC_ACQUIRE))
        sched_yield();
    int id = -1;
    struct kernel_sigevent event = { .notify = SIGEV_SIGNAL | SIGEV_THREAD_ID, .signo = SIGRTMIN + 1 };
    event.thread_id = target.tid;
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, &event, &id), 0);
    struct itimerspec value = spec_ns(20 * k_ms, 0);
    CHECK_EQ(k_timer_settime(id, 0, &value, NULL), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(target.result, SIGRTMIN + 1);
    CHECK_EQ(target.code, SI_TIMER);
    CHECK_EQ(main_thread_got, 0);
    CHECK_EQ(k_timer_delete(id), 0);
    signal(SIGRTMIN + 1, SIG_DFL);
    check_end();
}

static void test_cpu_clocks(void) {
    check_begin("cpu_clocks");
    block(SIGUSR1);
    clockid_t clocks[] = { CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, 0 };
    clock_getcpuclockid(getpid(), &clocks[2]);  /* the process's, by PID */
    for (unsigned c = 0; c < sizeof clocks / sizeof clocks[0]; c++) {
        int id = -1;
        struct kernel_sigevent event = { .notify = SIGEV_SIGNAL, .signo = SIGUSR1 };
        CHECK_EQ(k_timer_create(clocks[c], &event, &id), 0);
        struct timespec start, end;
        clock_gettime(clocks[c], &start);
        struct itimerspec value = spec_ns(50 * k_ms, 0), now;
        CHECK_EQ(k_timer_settime(id, 0, &value, NULL), 0);
        CHECK_EQ(k_timer_gettime(id, &now), 0);
        CHECK(ns_of(&now.it_value) > 0 && ns_of(&now.it_value) <= 50 * k_ms);
        /* Burn CPU until it expires (bounded: 20 s of CPU at most). */
        volatile unsigned long spin = 0;
        int arrived = 0;
        for (;;) {
            for (int i = 0; i < 100000; i++)
                spin++;
            if (is_pending(SIGUSR1)) {
                arrived = 1;
                break;
            }
            clock_gettime(clocks[c], &end);
            if (ns_of(&end) - ns_of(&start) > 20000 * k_ms)
                break;
        }
        CHECK(arrived);
        clock_gettime(clocks[c], &end);
        CHECK(ns_of(&end) - ns_of(&start) >= 50 * k_ms);  /* never before that much CPU time */
        siginfo_t info;
        CHECK_EQ(wait_signal(SIGUSR1, &info, 1), SIGUSR1);
        CHECK_EQ(info.si_code, SI_TIMER);
        CHECK_EQ(k_timer_delete(id), 0);
    }
    unblock(SIGUSR1);
    check_end();
}

static void test_fork_exec(char *self) {
    check_begin("fork_exec");
    int id = -1;
    struct kernel_sigevent event = { .notify = SIGEV_NONE };
    CHECK_EQ(k_timer_create(CLOCK_MONOTONIC, &event, &id), 0);
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        struct itimerspec now;
        CHECK_ERR(k_timer_gettime(id, &now), EINVAL);  /* not inherited */
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    child = fork();
    if (child == 0) {
        char number[16];
        snprintf(number, sizeof number, "%d", id);
        execl(self, self, "after_exec", number, (char *)NULL);
        _exit(3);
    }
    check_child_status(child, 0, 0);  /* deleted by execve */
    struct itimerspec now;
    CHECK_EQ(k_timer_gettime(id, &now), 0);
    CHECK_EQ(k_timer_delete(id), 0);
    check_end();
}

static void test_queued_signals(void) {
    check_begin("queued_signals");
    block(SIGRTMIN + 2);
    block(SIGUSR1);
    union sigval value;
    for (int i = 1; i <= 3; i++) {
        value.sival_int = i;
        CHECK_EQ(sigqueue(getpid(), SIGRTMIN + 2, value), 0);
    }
    /* Each real-time instance, in order; a standard signal once. */
    for (int i = 1; i <= 2; i++) {
        value.sival_int = 10 + i;
        CHECK_EQ(sigqueue(getpid(), SIGUSR1, value), 0);
    }
    siginfo_t info;
    for (int i = 1; i <= 3; i++) {
        memset(&info, 0, sizeof info);
        CHECK_EQ(wait_signal(SIGRTMIN + 2, &info, 1), SIGRTMIN + 2);
        CHECK_EQ(info.si_code, SI_QUEUE);
        CHECK_EQ(info.si_value.sival_int, i);
        CHECK_EQ(is_pending(SIGRTMIN + 2), i < 3);
    }
    CHECK_EQ(wait_signal(SIGUSR1, &info, 1), SIGUSR1);
    CHECK_EQ(info.si_value.sival_int, 11);  /* the first one's */
    struct timespec zero = { 0, 0 };
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_ERR(sigtimedwait(&usr1, &info, &zero), EAGAIN);

    /* Lower real-time numbers go first, whatever the order sent. */
    value.sival_int = 0;
    block(SIGRTMIN + 3);
    CHECK_EQ(sigqueue(getpid(), SIGRTMIN + 3, value), 0);
    CHECK_EQ(sigqueue(getpid(), SIGRTMIN + 2, value), 0);
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGRTMIN + 2);
    sigaddset(&both, SIGRTMIN + 3);
    CHECK_EQ(sigtimedwait(&both, &info, &zero), SIGRTMIN + 2);
    CHECK_EQ(sigtimedwait(&both, &info, &zero), SIGRTMIN + 3);

    /* RLIMIT_SIGPENDING bounds the real-time signals: sigqueue's beyond it
     * fail with EAGAIN, kill()'s are lost without an error. */
    struct rlimit saved, limit;
    getrlimit(RLIMIT_SIGPENDING, &saved);
    limit = saved;
    limit.rlim_cur = 4;
    CHECK_EQ(setrlimit(RLIMIT_SIGPENDING, &limit), 0);
    int queued = 0;
    for (int i = 0; i < 10; i++) {
        if (sigqueue(getpid(), SIGRTMIN + 2, value) != 0)
            break;
        queued++;
    }
    CHECK_EQ(queued, 4);
    CHECK_ERR(sigqueue(getpid(), SIGRTMIN + 2, value), EAGAIN);
    CHECK_EQ(kill(getpid(), SIGRTMIN + 2), 0);
    int taken = 0;
    while (sigtimedwait(&both, &info, &zero) > 0)
        taken++;
    CHECK_EQ(taken, 4);
    /* And timers: each holds a signal ahead. */
    int ids[8], made = 0;
    struct kernel_sigevent event = { .notify = SIGEV_SIGNAL, .signo = SIGUSR1 };
    for (int i = 0; i < 8; i++) {
        if (k_timer_create(CLOCK_MONOTONIC, &event, &ids[i]) != 0)
            break;
        made++;
    }
    CHECK_EQ(made, 4);
    CHECK_ERR(k_timer_create(CLOCK_MONOTONIC, &event, &ids[7]), EAGAIN);
    for (int i = 0; i < made; i++)
        CHECK_EQ(k_timer_delete(ids[i]), 0);
    CHECK_EQ(setrlimit(RLIMIT_SIGPENDING, &saved), 0);
    unblock(SIGRTMIN + 2);
    unblock(SIGRTMIN + 3);
    unblock(SIGUSR1);
    check_end();
}

static char *self_path;
static void test_fork_exec_entry(void) { test_fork_exec(self_path); }

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(120);  /* a lost timer fails the run instead of hanging it */
    if (argc == 3 && strcmp(argv[1], "after_exec") == 0) {
        struct itimerspec now;
        return syscall(SYS_timer_gettime, atoi(argv[2]), &now) == -1 && errno == EINVAL ? 0 : 1;
    }
    self_path = argv[0];
    static const struct check_test tests[] = {
        { "create", test_create },       { "errors", test_errors },           { "settime", test_settime },
        { "overrun", test_overrun },     { "sigev_none", test_sigev_none },   { "handler", test_handler },
        { "thread_id", test_thread_id }, { "cpu_clocks", test_cpu_clocks },   { "fork_exec", test_fork_exec_entry },
        { "queued_signals", test_queued_signals },
    };
    return check_run_tests("timers", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
