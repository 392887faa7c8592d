/* timeouts: timed waits end when Linux ends them, and huge timeouts mean
 * "forever", never "at once".
 *
 * Linux facts checked here:
 *   - FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, or an
 *     absolute CLOCK_REALTIME time with FUTEX_CLOCK_REALTIME; both end with
 *     ETIMEDOUT once that time passes. FUTEX_CLOCK_REALTIME with plain
 *     FUTEX_WAIT is ENOSYS. glibc's pthread_cond_timedwait, sem_timedwait
 *     and pthread_mutex_timedlock use CLOCK_REALTIME deadlines this way.
 *   - every timespec is validated (EINVAL for tv_nsec >= 10^9 or < 0, or a
 *     negative relative time) and converted without overflow: a timeout of
 *     LLONG_MAX seconds sleeps until a signal, it does not return at once.
 * A wait that never ended would hang the test: alarm() turns that into a
 * failure (SIGALRM kills the program). Elapsed times are only checked to be
 * at least the timeout (a wait never ends early), never against an upper
 * bound: time under emulation is not a test criterion.
 */
#define _GNU_SOURCE
#include "check.h"

#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000L

static long futex(uint32_t *word, int op, uint32_t value, const struct timespec *timeout, uint32_t bitset) {
    return syscall(SYS_futex, word, op, value, timeout, NULL, bitset);
}

static struct timespec now_on(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t;
}

static struct timespec plus_ns(struct timespec t, long ns) {
    t.tv_nsec += ns;
    while (t.tv_nsec >= 1000000000L) {
        t.tv_nsec -= 1000000000L;
        t.tv_sec++;
    }
    return t;
}

static long elapsed_ns(struct timespec from, struct timespec to) {
    return (to.tv_sec - from.tv_sec) * 1000000000L + (to.tv_nsec - from.tv_nsec);
}

static void test_futex_deadlines(void) {
    check_begin("futex WAIT_BITSET deadlines (monotonic, realtime), relative WAIT");
    alarm(20);
    uint32_t word = 0;
    struct timespec start = now_on(CLOCK_MONOTONIC);
    struct timespec deadline = plus_ns(now_on(CLOCK_REALTIME), 50 * MS);
    CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | FUTEX_PRIVATE_FLAG, 0, &deadline,
                    FUTEX_BITSET_MATCH_ANY),
              ETIMEDOUT);
    CHECK(elapsed_ns(start, now_on(CLOCK_MONOTONIC)) >= 50 * MS);

    start = now_on(CLOCK_MONOTONIC);
    deadline = plus_ns(start, 50 * MS);
    CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &deadline, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK(elapsed_ns(start, now_on(CLOCK_MONOTONIC)) >= 50 * MS);

    struct timespec relative = { 0, 50 * MS };
    start = now_on(CLOCK_MONOTONIC);
    CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 0, &relative, 0), ETIMEDOUT);
    CHECK(elapsed_ns(start, now_on(CLOCK_MONOTONIC)) >= 50 * MS);

    /* A realtime deadline already past: ETIMEDOUT at once; a value that
     * differs: EAGAIN before any timeout. */
    struct timespec past = { 1, 0 };
    CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &past, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &past, FUTEX_BITSET_MATCH_ANY), EAGAIN);
    /* FUTEX_CLOCK_REALTIME belongs to the absolute-time operations only. */
    CHECK_ERR(futex(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &relative, 0), ENOSYS);
    CHECK_ERR(futex(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, 0), ENOSYS);
    struct timespec bad = { 0, 1000000000L };
    CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &bad, FUTEX_BITSET_MATCH_ANY), EINVAL);
    struct timespec negative = { -1, 0 };
    CHECK_ERR(futex(&word, FUTEX_WAIT, 0, &negative, 0), EINVAL);
    alarm(0);
    check_end();
}

static void test_glibc_realtime_waits(void) {
    check_begin("pthread_cond_timedwait, sem_timedwait, pthread_mutex_timedlock time out");
    alarm(20);
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    struct timespec deadline = plus_ns(now_on(CLOCK_REALTIME), 50 * MS);
    pthread_mutex_lock(&mutex);
    CHECK_EQ(pthread_cond_timedwait(&cond, &mutex, &deadline), ETIMEDOUT);
    pthread_mutex_unlock(&mutex);

    sem_t sem;
    sem_init(&sem, 0, 0);
    deadline = plus_ns(now_on(CLOCK_REALTIME), 50 * MS);
    CHECK_ERR(sem_timedwait(&sem, &deadline), ETIMEDOUT);

    /* A default (non error-checking) mutex the caller holds: glibc does not
     * detect the deadlock, so the timed lock waits on the futex and gives up
     * at the deadline. */
    pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&held);
    deadline = plus_ns(now_on(CLOCK_REALTIME), 50 * MS);
    CHECK_EQ(pthread_mutex_timedlock(&held, &deadline), ETIMEDOUT);
    alarm(0);
    check_end();
}

/* Forks a child that runs `wait_forever`; after `grace_ms` of the parent's
 * sleep the child must still be waiting (a wrapped timeout returns at
 * once). The parent then kills it. */
static void check_waits_forever(const char *what, void (*wait_forever)(void)) {
    pid_t child = fork();
    if (child == 0) {
        wait_forever();
        printf("  %s returned\n", what);
        fflush(stdout);
        _exit(3);
    }
    struct timespec grace = { 0, 300 * MS };
    nanosleep(&grace, NULL);
    int status = 0;
    int reaped = waitpid(child, &status, WNOHANG);
    if (reaped != 0)
        printf("  %s: ended early (status 0x%x)\n", what, status);
    CHECK_EQ(reaped, 0);
    kill(child, SIGKILL);
    if (reaped == 0)
        waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void nanosleep_llong_max(void) {
    struct timespec forever = { LLONG_MAX, 0 };
    nanosleep(&forever, NULL);
}

static void nanosleep_llong_max_ns(void) {
    struct timespec forever = { LLONG_MAX, 999999999L };
    nanosleep(&forever, NULL);
}

static void clock_nanosleep_abs_max(void) {
    struct timespec forever = { LLONG_MAX, 0 };
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &forever, NULL);
}

static void futex_relative_max(void) {
    uint32_t word = 0;
    struct timespec forever = { LLONG_MAX, 0 };
    futex(&word, FUTEX_WAIT, 0, &forever, 0);
}

static void futex_realtime_abs_max(void) {
    uint32_t word = 0;
    struct timespec forever = { LLONG_MAX, 0 };
    futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &forever, FUTEX_BITSET_MATCH_ANY);
}

static void ppoll_max(void) {
    struct timespec forever = { LLONG_MAX, 0 };
    ppoll(NULL, 0, &forever, NULL);
}

static void sigtimedwait_max(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec forever = { LLONG_MAX, 0 };
    sigtimedwait(&set, NULL, &forever);
}

static void test_huge_timeouts(void) {
    check_begin("LLONG_MAX timeouts wait until a signal");
    alarm(30);
    check_waits_forever("nanosleep {LLONG_MAX, 0}", nanosleep_llong_max);
    check_waits_forever("nanosleep {LLONG_MAX, 999999999}", nanosleep_llong_max_ns);
    check_waits_forever("clock_nanosleep TIMER_ABSTIME {LLONG_MAX, 0}", clock_nanosleep_abs_max);
    check_waits_forever("futex WAIT {LLONG_MAX, 0}", futex_relative_max);
    check_waits_forever("futex WAIT_BITSET|CLOCK_REALTIME {LLONG_MAX, 0}", futex_realtime_abs_max);
    check_waits_forever("ppoll {LLONG_MAX, 0}", ppoll_max);
    check_waits_forever("sigtimedwait {LLONG_MAX, 0}", sigtimedwait_max);
    alarm(0);
    check_end();
}

static void on_alarm(int signal) { (void)signal; }

static void test_huge_timeout_interrupted(void) {
    check_begin("an interrupted LLONG_MAX nanosleep reports EINTR and a huge remainder");
    alarm(20);
    struct sigaction action = { 0 };
    action.sa_handler = on_alarm;
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = { { 0, 0 }, { 0, 100000 } };
    setitimer(ITIMER_REAL, &timer, NULL);
    struct timespec forever = { LLONG_MAX / 2, 0 }, left = { 0, 0 };
    CHECK_ERR(nanosleep(&forever, &left), EINTR);
    CHECK(left.tv_sec > 1000000000L);
    /* setitimer with a huge value stays armed. */
    struct itimerval huge = { { 0, 0 }, { LONG_MAX / 4, 0 } }, current;
    CHECK_EQ(setitimer(ITIMER_REAL, &huge, NULL), 0);
    CHECK_EQ(getitimer(ITIMER_REAL, &current), 0);
    CHECK(current.it_value.tv_sec > 1000000000L);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    alarm(0);
    check_end();
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_futex_deadlines();
    test_glibc_realtime_waits();
    test_huge_timeouts();
    test_huge_timeout_interrupted();
    printf("timeouts: %s\n", check_failures ? "FAIL" : "PASS");
    return check_failures ? 1 : 0;
}
