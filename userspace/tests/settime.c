/* Setting the time of day: clock_settime(CLOCK_REALTIME) and settimeofday
 * for root (CAP_SYS_TIME), EPERM for others, Linux's EINVAL cases, the time
 * zone kept for gettimeofday, and file times following the clock. The
 * clock is put back at the end. adjtimex and clock_adjtime reading the
 * state of a clock no NTP daemon disciplines (as stress-ng's get stressor
 * and glibc's adjtime do), and their errors. Validated on Linux
 * (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "check.h"

/* The system calls themselves (glibc's wrappers turn settimeofday into
 * clock_settime, and read the zone from the vDSO). */
static long k_settimeofday(const struct timeval *tv, const struct timezone *tz) {
    return syscall(SYS_settimeofday, tv, tz);
}
static long k_gettimeofday(struct timeval *tv, struct timezone *tz) { return syscall(SYS_gettimeofday, tv, tz); }

static long ns_between(const struct timespec *a, const struct timespec *b) {
    return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

static void test_set(void) {
    check_begin("set");
    struct timespec before, now, monotonic_before, monotonic_after;
    clock_gettime(CLOCK_MONOTONIC, &monotonic_before);
    clock_gettime(CLOCK_REALTIME, &before);
    /* A day ahead. */
    struct timespec ahead = { before.tv_sec + 86400, before.tv_nsec };
    CHECK_EQ(clock_settime(CLOCK_REALTIME, &ahead), 0);
    clock_gettime(CLOCK_REALTIME, &now);
    CHECK(ns_between(&ahead, &now) >= 0 && ns_between(&ahead, &now) < 5000000000L);
    /* Files made now carry the new time. */
    int fd = open("/tmp/settime-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(st.st_mtime >= ahead.tv_sec && st.st_mtime < ahead.tv_sec + 5);
    close(fd);
    unlink("/tmp/settime-file");
    /* settimeofday: microseconds. */
    struct timeval tv = { before.tv_sec + 3600, 500000 };
    CHECK_EQ(k_settimeofday(&tv, NULL), 0);
    struct timeval got;
    CHECK_EQ(k_gettimeofday(&got, NULL), 0);
    CHECK(got.tv_sec >= tv.tv_sec && got.tv_sec < tv.tv_sec + 5);
    /* The monotonic clock does not move. */
    clock_gettime(CLOCK_MONOTONIC, &monotonic_after);
    CHECK(ns_between(&monotonic_before, &monotonic_after) >= 0 &&
          ns_between(&monotonic_before, &monotonic_after) < 5000000000L);
    /* Back to where it was, plus the time spent. */
    clock_gettime(CLOCK_MONOTONIC, &monotonic_after);
    long spent = ns_between(&monotonic_before, &monotonic_after);
    struct timespec back = before;
    back.tv_sec += spent / 1000000000L;
    back.tv_nsec += spent % 1000000000L;
    if (back.tv_nsec >= 1000000000L) {
        back.tv_sec++;
        back.tv_nsec -= 1000000000L;
    }
    CHECK_EQ(clock_settime(CLOCK_REALTIME, &back), 0);
    check_end();
}

static void test_errors(void) {
    check_begin("errors");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    CHECK_ERR(clock_settime(CLOCK_MONOTONIC, &now), EINVAL);
    CHECK_ERR(clock_settime(CLOCK_BOOTTIME, &now), EINVAL);
    CHECK_ERR(syscall(SYS_clock_settime, CLOCK_MONOTONIC, (struct timespec *)8), EINVAL);  /* before the time is read */
    CHECK_ERR(clock_settime(CLOCK_PROCESS_CPUTIME_ID, &now), EINVAL);
    clockid_t by_pid;
    CHECK_EQ(clock_getcpuclockid(getpid(), &by_pid), 0);
    CHECK_ERR(clock_settime(by_pid, &now), EPERM);  /* a CPU clock named by PID */
    CHECK_ERR(clock_settime(99, &now), EINVAL);
    CHECK_ERR(syscall(SYS_clock_settime, CLOCK_REALTIME, (struct timespec *)8), EFAULT);
    struct timespec bad = { now.tv_sec, 1000000000L };
    CHECK_ERR(clock_settime(CLOCK_REALTIME, &bad), EINVAL);
    struct timespec negative = { -1, 0 };
    CHECK_ERR(clock_settime(CLOCK_REALTIME, &negative), EINVAL);
    struct timespec epoch = { 0, 0 };  /* before the machine started */
    CHECK_ERR(clock_settime(CLOCK_REALTIME, &epoch), EINVAL);
    struct timeval tv = { now.tv_sec, 1000000 };
    CHECK_ERR(k_settimeofday(&tv, NULL), EINVAL);
    tv.tv_usec = -1;
    CHECK_ERR(k_settimeofday(&tv, NULL), EINVAL);
    struct timezone far = { 16 * 60, 0 };
    CHECK_ERR(k_settimeofday(NULL, &far), EINVAL);
    /* The zone: kept, and gettimeofday gives it back. */
    struct timezone zone = { -120, 0 }, got = { 1, 1 };
    CHECK_EQ(k_settimeofday(NULL, &zone), 0);
    CHECK_EQ(k_gettimeofday(NULL, &got), 0);
    CHECK_EQ(got.tz_minuteswest, -120);
    zone.tz_minuteswest = 0;
    CHECK_EQ(k_settimeofday(NULL, &zone), 0);
    /* Not root: EPERM (a bad time is still EINVAL first). */
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(setuid(65534), 0);
        CHECK_ERR(clock_settime(CLOCK_REALTIME, &now), EPERM);
        CHECK_ERR(k_settimeofday(NULL, &zone), EPERM);
        CHECK_ERR(clock_settime(CLOCK_REALTIME, &bad), EINVAL);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    check_end();
}

static long k_clock_adjtime(clockid_t clock, struct timex *tx) { return syscall(SYS_clock_adjtime, clock, tx); }

static void test_adjtimex(void) {
    check_begin("adjtimex");
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    /* Nothing has synchronised the clock: TIME_ERROR, STA_UNSYNC, the
     * error bounds at their limit (16 s), Linux's constants. */
    CHECK_EQ(syscall(SYS_adjtimex, &tx), TIME_ERROR);
    CHECK(tx.status & STA_UNSYNC);
    CHECK_EQ(tx.offset, 0);
    CHECK_EQ(tx.freq, 0);
    CHECK_EQ(tx.maxerror, 16000000);
    CHECK_EQ(tx.esterror, 16000000);
    CHECK_EQ(tx.constant, 2);
    CHECK_EQ(tx.precision, 1);
    CHECK_EQ(tx.tolerance, 32768000);
    CHECK_EQ(tx.tick, 10000);
    CHECK(tx.time.tv_sec >= now.tv_sec && tx.time.tv_sec <= now.tv_sec + 2);
    CHECK(tx.time.tv_usec >= 0 && tx.time.tv_usec < 1000000);
    memset(&tx, 0, sizeof tx);
    CHECK_EQ(k_clock_adjtime(CLOCK_REALTIME, &tx), TIME_ERROR);
    CHECK_EQ(tx.maxerror, 16000000);
    /* glibc's adjtime(NULL, &left): ADJ_OFFSET_SS_READ, nothing left. */
    struct timeval left = { 1, 1 };
    CHECK_EQ(adjtime(NULL, &left), 0);
    CHECK_EQ(left.tv_sec, 0);
    CHECK_EQ(left.tv_usec, 0);
    /* adjtime with a zero delta cancels a slew (none is under way). */
    struct timeval zero = { 0, 0 };
    CHECK_EQ(adjtime(&zero, &left), 0);
    CHECK_EQ(left.tv_sec, 0);
    CHECK_EQ(left.tv_usec, 0);
    /* Clocks: only CLOCK_REALTIME can be adjusted. */
    clockid_t by_pid;
    CHECK_EQ(clock_getcpuclockid(getpid(), &by_pid), 0);
    const clockid_t not_adjustable[] = { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
                                         CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_REALTIME_COARSE, by_pid };
    for (size_t i = 0; i < sizeof not_adjustable / sizeof not_adjustable[0]; ++i)
        CHECK_ERR(k_clock_adjtime(not_adjustable[i], &tx), EOPNOTSUPP);
    CHECK_ERR(k_clock_adjtime(10, &tx), EINVAL); /* no such clock */
    CHECK_ERR(k_clock_adjtime(99, &tx), EINVAL);
    CHECK_ERR(k_clock_adjtime(-5, &tx), EINVAL); /* ~0 << 3 | 3: a clock device on fd 0 */
    CHECK_ERR(syscall(SYS_adjtimex, (struct timex *)8), EFAULT);
    CHECK_ERR(k_clock_adjtime(99, (struct timex *)8), EFAULT); /* read before the clock is looked at */
    /* ADJ_ADJTIME needs ADJ_OFFSET_SINGLESHOT; a tick beyond 10 % and a
     * bad offset to inject are EINVAL. */
    memset(&tx, 0, sizeof tx);
    tx.modes = 0x8000;
    CHECK_ERR(syscall(SYS_adjtimex, &tx), EINVAL);
    tx.modes = ADJ_TICK;
    tx.tick = 1;
    CHECK_ERR(syscall(SYS_adjtimex, &tx), EINVAL);
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_SETOFFSET;
    tx.time.tv_usec = -1;
    CHECK_ERR(syscall(SYS_adjtimex, &tx), EINVAL);
    /* Not root: reading is fine, changing anything EPERM. */
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(setuid(65534), 0);
        memset(&tx, 0, sizeof tx);
        CHECK_EQ(syscall(SYS_adjtimex, &tx), TIME_ERROR);
        CHECK_EQ(adjtime(NULL, &left), 0);
        tx.modes = ADJ_MAXERROR;
        CHECK_ERR(syscall(SYS_adjtimex, &tx), EPERM);
        tx.modes = ADJ_OFFSET_SINGLESHOT;
        CHECK_ERR(syscall(SYS_adjtimex, &tx), EPERM);
        struct timeval delta = { 0, 1000 };
        CHECK_ERR(adjtime(&delta, NULL), EPERM);
        CHECK_ERR(adjtime(&zero, NULL), EPERM);
        tx.modes = 0x100000; /* no such mode, but a mode */
        CHECK_ERR(syscall(SYS_adjtimex, &tx), EPERM);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "set", test_set },
        { "errors", test_errors },
        { "adjtimex", test_adjtimex },
    };
    return check_run_tests("settime", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
