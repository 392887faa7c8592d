/* sysinfo: file attributes (statx, chmod, chown, utimensat, fsync) and
 * system/resource information (sysinfo, CPU time: the CPU-time clocks,
 * times, getrusage and children's usage through wait4/waitid,
 * sched_getaffinity, wait4/waitid without children), as Linux reports them.
 * The CPU-time checks assert behaviour, not speed: work counts, sleeping
 * does not, a thread's clock is its own, a reaped child's time moves to
 * its parent; bounds are fractions of the wall time each step took.
 * Validated on Debian's Linux with ../shared/tools/linux-ref (exit 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *k_path = "/tmp/sysinfo_test";
static const char *k_name = "sysinfo_test"; /* k_path relative to /tmp */
static const char *k_link = "/tmp/sysinfo_test_link";
static const char *k_dir = "/tmp/sysinfo_test_dir";

#define MS (1000ull * 1000)
/* Linux's CPU-clock ids (include/linux/posix-timers.h): what
 * clock_getcpuclockid and pthread_getcpuclockid return. */
#define CPUCLOCK_PROF 0  /* user + system */
#define CPUCLOCK_VIRT 1  /* user */
#define CPUCLOCK_SCHED 2 /* all CPU time: CLOCK_{PROCESS,THREAD}_CPUTIME_ID */
#define CPUCLOCK_PERTHREAD 4
static clockid_t cpu_clock(pid_t pid, int which) { return (clockid_t)((~(unsigned)pid << 3) | (unsigned)which); }

static uint64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000 * MS + (uint64_t)ts.tv_nsec;
}

static uint64_t timeval_ns(struct timeval tv) { return (uint64_t)tv.tv_sec * 1000 * MS + (uint64_t)tv.tv_usec * 1000; }
static uint64_t usage_ns(const struct rusage *usage) { return timeval_ns(usage->ru_utime) + timeval_ns(usage->ru_stime); }

static uint64_t rusage_ns(int who) {
    struct rusage usage;
    CHECK_EQ(getrusage(who, &usage), 0);
    return usage_ns(&usage);
}

static volatile uint64_t g_sink;

static void spin_a_little(void) {
    for (int i = 0; i < 10000; i++)
        g_sink += (uint64_t)i;
}

/* User-mode work until `clock` has advanced by `ns`. */
static void burn(clockid_t clock, uint64_t ns) {
    uint64_t start = clock_ns(clock);
    while (clock_ns(clock) - start < ns)
        spin_a_little();
}

static void sleep_ms(long ms) {
    struct timespec nap = { ms / 1000, (ms % 1000) * (long)MS };
    CHECK_EQ(nanosleep(&nap, NULL), 0);
}

static void test_cpu_time_of_work(void) {
    check_begin("CPU-time clocks, getrusage, times count work");
    struct rusage usage;
    CHECK_EQ(getrusage(RUSAGE_SELF, &usage), 0);
    CHECK(usage.ru_maxrss > 0);
    CHECK_ERR(syscall(SYS_getrusage, 5, &usage), EINVAL);
    /* Wall time read outside, CPU time inside: CPU time of the only
     * thread cannot exceed the wall time around it. */
    uint64_t wall0 = clock_ns(CLOCK_MONOTONIC);
    struct tms tms0, tms1;
    clock_t ticks0 = times(&tms0);
    struct rusage self0, self1, thread_usage0, thread_usage1;
    CHECK_EQ(getrusage(RUSAGE_SELF, &self0), 0);
    CHECK_EQ(getrusage(RUSAGE_THREAD, &thread_usage0), 0);
    uint64_t process0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), thread0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    burn(CLOCK_MONOTONIC, 200 * MS);
    uint64_t process = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - process0, thread = clock_ns(CLOCK_THREAD_CPUTIME_ID) - thread0;
    CHECK_EQ(getrusage(RUSAGE_THREAD, &thread_usage1), 0);
    CHECK_EQ(getrusage(RUSAGE_SELF, &self1), 0);
    uint64_t user = timeval_ns(self1.ru_utime) - timeval_ns(self0.ru_utime);
    uint64_t self = usage_ns(&self1) - usage_ns(&self0);
    uint64_t thread_user = timeval_ns(thread_usage1.ru_utime) - timeval_ns(thread_usage0.ru_utime);
    clock_t ticks1 = times(&tms1);
    uint64_t wall = clock_ns(CLOCK_MONOTONIC) - wall0;
    printf("  200 ms of work: wall %llu us, process clock %llu us, utime %llu us, tms_utime %ld ticks\n",
           (unsigned long long)wall / 1000, (unsigned long long)process / 1000, (unsigned long long)user / 1000,
           (long)(tms1.tms_utime - tms0.tms_utime));
    CHECK(process >= wall / 2 && process <= wall);
    CHECK(thread >= wall / 2 && thread <= wall);
    CHECK(user >= wall / 2 && user <= wall);
    CHECK(self >= user && self <= wall);
    CHECK(thread_user >= wall / 2 && thread_user <= wall);
    /* times() counts USER_HZ ticks (100 per second). */
    CHECK_EQ(sysconf(_SC_CLK_TCK), 100);
    long tms_user = (long)(tms1.tms_utime - tms0.tms_utime);
    CHECK(tms_user >= (long)(wall / 2 / (10 * MS)) - 1 && tms_user <= (long)(wall / (10 * MS)) + 1);
    CHECK(tms1.tms_stime >= tms0.tms_stime);
    long elapsed = (long)(ticks1 - ticks0);
    CHECK(elapsed >= 15 && elapsed <= (long)(wall / (10 * MS)) + 2);
    check_end();
}

static void test_sleep_is_not_cpu_time(void) {
    check_begin("sleeping is not CPU time");
    uint64_t wall0 = clock_ns(CLOCK_MONOTONIC);
    uint64_t process0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), thread0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    uint64_t self0 = rusage_ns(RUSAGE_SELF);
    struct tms tms0, tms1;
    CHECK(times(&tms0) != (clock_t)-1);
    sleep_ms(300);
    CHECK(times(&tms1) != (clock_t)-1);
    uint64_t self = rusage_ns(RUSAGE_SELF) - self0;
    uint64_t process = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - process0, thread = clock_ns(CLOCK_THREAD_CPUTIME_ID) - thread0;
    uint64_t wall = clock_ns(CLOCK_MONOTONIC) - wall0;
    printf("  300 ms asleep: wall %llu us, process clock %llu us\n", (unsigned long long)wall / 1000,
           (unsigned long long)process / 1000);
    CHECK(wall >= 300 * MS);
    CHECK(process < 75 * MS);
    CHECK(thread < 75 * MS);
    CHECK(self < 75 * MS);
    CHECK((tms1.tms_utime + tms1.tms_stime) - (tms0.tms_utime + tms0.tms_stime) < 8);
    check_end();
}

static volatile int g_stop_spinning;

static void *spin_until_stopped(void *argument) {
    (void)argument;
    while (!g_stop_spinning)
        spin_a_little();
    return NULL;
}

static void test_thread_cpu_clocks(void) {
    check_begin("a thread's CPU clock is its own");
    /* The caller's own clock under its per-thread id reads between two
     * readings of CLOCK_THREAD_CPUTIME_ID (same for the process). */
    clockid_t own;
    CHECK_EQ(pthread_getcpuclockid(pthread_self(), &own), 0);
    CHECK(own == cpu_clock(gettid(), CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD));
    uint64_t a = clock_ns(CLOCK_THREAD_CPUTIME_ID), b = clock_ns(own), c = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    CHECK(a > 0 && a <= b && b <= c);
    CHECK_EQ(clock_getcpuclockid(0, &own), 0);
    CHECK(own == cpu_clock(0, CPUCLOCK_SCHED));
    a = clock_ns(CLOCK_PROCESS_CPUTIME_ID), b = clock_ns(own), c = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    CHECK(a > 0 && a <= b && b <= c);

    /* A second thread spins while this one sleeps: its clock and the
     * process's advance, this thread's does not. */
    uint64_t process0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), self0 = rusage_ns(RUSAGE_SELF);
    g_stop_spinning = 0;
    pthread_t spinner;
    CHECK_EQ(pthread_create(&spinner, NULL, spin_until_stopped, NULL), 0);
    clockid_t spinner_clock;
    CHECK_EQ(pthread_getcpuclockid(spinner, &spinner_clock), 0);
    uint64_t main0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), main_usage0 = rusage_ns(RUSAGE_THREAD);
    sleep_ms(300);
    uint64_t spun = clock_ns(spinner_clock);
    uint64_t main_ran = clock_ns(CLOCK_THREAD_CPUTIME_ID) - main0, process = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - process0;
    uint64_t main_usage = rusage_ns(RUSAGE_THREAD) - main_usage0, self = rusage_ns(RUSAGE_SELF) - self0;
    printf("  while main slept 300 ms: spinner %llu us, main %llu us, process %llu us\n",
           (unsigned long long)spun / 1000, (unsigned long long)main_ran / 1000, (unsigned long long)process / 1000);
    CHECK(spun >= 50 * MS);
    CHECK(main_ran < 75 * MS);
    CHECK(main_usage < 75 * MS);
    CHECK(process >= spun + main_ran);
    CHECK(self >= spun / 2);
    g_stop_spinning = 1;
    CHECK_EQ(pthread_join(spinner, NULL), 0);
    /* The time of a thread that has ended stays in its process. */
    CHECK(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - process0 >= process);
    CHECK(rusage_ns(RUSAGE_SELF) - self0 >= spun / 2);
    check_end();
}

static void test_children_cpu_time(void) {
    check_begin("a reaped child's CPU time moves to its parent");
    struct rusage usage, children0, children;
    struct tms tms0, tms1;
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &children0), 0);
    CHECK(times(&tms0) != (clock_t)-1);
    int go[2];
    CHECK_EQ(pipe(go), 0);
    int failures_at_fork = check_failures;
    pid_t pid = fork();
    if (pid == 0) {
        /* The child works 100 ms, its own child (reaped here) 100 ms more. */
        char byte;
        CHECK_EQ(read(go[0], &byte, 1), 1);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            burn(CLOCK_PROCESS_CPUTIME_ID, 100 * MS);
            _exit(0);
        }
        CHECK(grandchild > 0);
        burn(CLOCK_PROCESS_CPUTIME_ID, 100 * MS);
        check_child_status(grandchild, 0, 0);
        CHECK(rusage_ns(RUSAGE_CHILDREN) >= 100 * MS);
        check_child_done(failures_at_fork);
    }
    CHECK(pid > 0);
    /* Nothing to report yet: wait4 leaves the rusage alone. */
    int status;
    memset(&usage, 0x5a, sizeof(usage));
    CHECK_EQ(wait4(pid, &status, WNOHANG, &usage), 0);
    CHECK(usage.ru_maxrss == 0x5a5a5a5a5a5a5a5a);
    /* Another process's CPU clock can be read; its threads' cannot. */
    clockid_t child_clock;
    CHECK_EQ(clock_getcpuclockid(pid, &child_clock), 0);
    CHECK(child_clock == cpu_clock(pid, CPUCLOCK_SCHED));
    struct timespec ts;
    CHECK_EQ(clock_gettime(child_clock, &ts), 0);
    CHECK_ERR(syscall(SYS_clock_gettime, cpu_clock(pid, CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD), &ts), EINVAL);
    CHECK_EQ(write(go[1], "x", 1), 1);

    /* Exited, not yet reaped: nothing moved to the parent yet; waitid's
     * rusage is the child's own and its reaped children's time. */
    siginfo_t info;
    memset(&usage, 0, sizeof(usage));
    CHECK_EQ(syscall(SYS_waitid, P_PID, pid, &info, WEXITED | WNOWAIT, &usage), 0);
    CHECK_EQ(info.si_pid, pid);
    CHECK(usage_ns(&usage) >= 190 * MS);
    CHECK(clock_ns(child_clock) >= 100 * MS);  /* a zombie's clock: its own time */
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &children), 0);
    CHECK_EQ(usage_ns(&children), usage_ns(&children0));

    memset(&usage, 0, sizeof(usage));
    CHECK_EQ(wait4(pid, &status, 0, &usage), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("  child + grandchild: wait4 rusage %llu us\n", (unsigned long long)usage_ns(&usage) / 1000);
    CHECK(usage_ns(&usage) >= 190 * MS);
    CHECK(usage.ru_maxrss > 0);
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &children), 0);
    CHECK(usage_ns(&children) - usage_ns(&children0) >= 190 * MS);
    CHECK(children.ru_maxrss > 0);
    CHECK(times(&tms1) != (clock_t)-1);
    CHECK((tms1.tms_cutime + tms1.tms_cstime) - (tms0.tms_cutime + tms0.tms_cstime) >= 15);
    /* Reaped: its clock is gone. */
    CHECK_ERR(syscall(SYS_clock_gettime, child_clock, &ts), EINVAL);
    CHECK_EQ(clock_getcpuclockid(pid, &child_clock), ESRCH);
    close(go[0]);
    close(go[1]);
    check_end();
}

static void test_cpu_clock_ids(void) {
    check_begin("CPU-time clock ids");
    struct timespec ts;
    /* CPUCLOCK_VIRT counts user time only: never more than PROF. */
    uint64_t virt = clock_ns(cpu_clock(0, CPUCLOCK_VIRT)), prof = clock_ns(cpu_clock(0, CPUCLOCK_PROF));
    CHECK(virt > 0 && virt <= prof);
    virt = clock_ns(cpu_clock(0, CPUCLOCK_VIRT | CPUCLOCK_PERTHREAD));
    prof = clock_ns(cpu_clock(0, CPUCLOCK_PROF | CPUCLOCK_PERTHREAD));
    CHECK(virt > 0 && virt <= prof);
    CHECK_ERR(syscall(SYS_clock_gettime, cpu_clock(0, 3), &ts), EINVAL);
    CHECK_ERR(syscall(SYS_clock_gettime, cpu_clock(0, 3 | CPUCLOCK_PERTHREAD), &ts), EINVAL);
    CHECK_ERR(syscall(SYS_clock_gettime, cpu_clock(0x3ffffff, CPUCLOCK_SCHED), &ts), EINVAL);
    ts.tv_sec = ts.tv_nsec = -1;
    CHECK_EQ(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
    CHECK(ts.tv_sec == 0 && ts.tv_nsec > 0 && ts.tv_nsec <= (long)MS);
    CHECK_EQ(clock_getres(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
    CHECK_EQ(clock_getres(cpu_clock(getpid(), CPUCLOCK_PROF), &ts), 0);
    CHECK_ERR(syscall(SYS_clock_getres, cpu_clock(0, 3), &ts), EINVAL);

    /* Sleeping on a CPU clock: the own thread's is refused (glibc says so
     * itself for CLOCK_THREAD_CPUTIME_ID); the process's ends once the
     * process has used that much time, here a spinning thread's. */
    struct timespec request = { 0, 50 * (long)MS };
    CHECK_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &request, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_clock_nanosleep, cpu_clock(0, CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD), 0, &request, NULL),
              EINVAL);
    CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &request, NULL), EOPNOTSUPP);
    g_stop_spinning = 0;
    pthread_t spinner;
    CHECK_EQ(pthread_create(&spinner, NULL, spin_until_stopped, NULL), 0);
    uint64_t process0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &request, NULL), 0);
    CHECK(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - process0 >= 50 * MS);
    uint64_t target = clock_ns(CLOCK_PROCESS_CPUTIME_ID) + 50 * MS;
    struct timespec deadline = { (time_t)(target / (1000 * MS)), (long)(target % (1000 * MS)) };
    CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &deadline, NULL), 0);
    CHECK(clock_ns(CLOCK_PROCESS_CPUTIME_ID) >= target);
    g_stop_spinning = 1;
    CHECK_EQ(pthread_join(spinner, NULL), 0);
    check_end();
}

int main(void) {
    unlink(k_path);
    int fd = open(k_path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "0123456789", 10), 10);

    check_begin("statx matches fstat");
    struct statx sx;
    struct stat st;
    CHECK_EQ(statx(AT_FDCWD, k_path, 0, STATX_BASIC_STATS, &sx), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK((sx.stx_mask & (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO)) ==
          (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO));
    CHECK_EQ(sx.stx_size, 10);
    CHECK_EQ(sx.stx_mode, st.st_mode);
    CHECK_EQ(sx.stx_ino, st.st_ino);
    CHECK_EQ(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), 0);
    CHECK_EQ(sx.stx_size, 10);
    CHECK_ERR(statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &sx), ENOENT);
    CHECK_ERR(statx(AT_FDCWD, "/tmp/does-not-exist", 0, STATX_BASIC_STATS, &sx), ENOENT);
    check_end();

    check_begin("chmod, fchmod");
    CHECK_EQ(chmod(k_path, 0600), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0600);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(fchmod(fd, 0640), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0640);
    CHECK_ERR(chmod("/tmp/does-not-exist", 0600), ENOENT);
    int path_fd = open(k_path, O_PATH);
    CHECK(path_fd >= 0);
    CHECK_ERR(fchmod(path_fd, 0600), EBADF); /* O_PATH opens no file for changing */
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0640);
    check_end();

    check_begin("chown, fchown, lchown, fchownat");
    CHECK_EQ(chown(k_path, 1000, 2000), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 1000);
    CHECK_EQ(st.st_gid, 2000);
    CHECK_EQ(chown(k_path, (uid_t)-1, 3000), 0); /* -1 keeps that id */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 1000);
    CHECK_EQ(st.st_gid, 3000);
    CHECK_EQ(fchown(fd, 4000, (gid_t)-1), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_uid, 4000);
    CHECK_EQ(st.st_gid, 3000);
    CHECK_EQ(chown(k_path, (uid_t)-1, (gid_t)-1), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 4000);
    CHECK_EQ(st.st_gid, 3000);
    CHECK_EQ(st.st_mode & 07777, 0640); /* ownership changes leave plain permissions */
    /* lchown and AT_SYMLINK_NOFOLLOW change the link; chown follows it. */
    unlink(k_link);
    CHECK_EQ(symlink(k_path, k_link), 0);
    CHECK_EQ(lchown(k_link, 5000, 6000), 0);
    CHECK_EQ(lstat(k_link, &st), 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_uid, 5000);
    CHECK_EQ(st.st_gid, 6000);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 4000);
    CHECK_EQ(chown(k_link, 7, 8), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 7);
    CHECK_EQ(st.st_gid, 8);
    CHECK_EQ(lstat(k_link, &st), 0);
    CHECK_EQ(st.st_uid, 5000);
    CHECK_EQ(fchownat(AT_FDCWD, k_link, 9, 10, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_EQ(lstat(k_link, &st), 0);
    CHECK_EQ(st.st_uid, 9);
    CHECK_EQ(st.st_gid, 10);
    int tmp_dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(tmp_dir >= 0);
    CHECK_EQ(fchownat(tmp_dir, k_name, 11, 12, 0), 0); /* relative to a directory fd */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 11);
    CHECK_EQ(st.st_gid, 12);
    CHECK_EQ(fchownat(path_fd, "", 13, 14, AT_EMPTY_PATH), 0); /* an O_PATH fd names the file */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 13);
    CHECK_EQ(st.st_gid, 14);
    CHECK_ERR(fchown(path_fd, 0, 0), EBADF);
    CHECK_ERR(fchownat(AT_FDCWD, k_path, 0, 0, AT_SYMLINK_FOLLOW), EINVAL); /* not a fchownat flag */
    CHECK_ERR(fchown(-1, 0, 0), EBADF);
    CHECK_ERR(chown("/tmp/does-not-exist", 0, 0), ENOENT);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 13); /* the failed calls changed nothing */
    CHECK_EQ(st.st_gid, 14);
    /* Changing the owner of a non-directory clears set-user-ID, and
     * set-group-ID if group-executable, even for root and even with -1 -1;
     * without group execute S_ISGID (mandatory locking) stays; directories
     * keep both. */
    CHECK_EQ(fchmod(fd, 06755), 0);
    CHECK_EQ(chown(k_path, 0, 0), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0755);
    CHECK_EQ(fchmod(fd, 06755), 0);
    CHECK_EQ(fchown(fd, (uid_t)-1, (gid_t)-1), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0755);
    CHECK_EQ(fchmod(fd, 02640), 0);
    CHECK_EQ(chown(k_path, 0, 0), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 02640);
    rmdir(k_dir);
    CHECK_EQ(mkdir(k_dir, 0755), 0);
    CHECK_EQ(chmod(k_dir, 06755), 0);
    CHECK_EQ(chown(k_dir, 15, 16), 0);
    CHECK_EQ(stat(k_dir, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 06755);
    CHECK_EQ(st.st_uid, 15);
    CHECK_EQ(rmdir(k_dir), 0);
    CHECK_EQ(fchmod(fd, 0640), 0);
    CHECK_EQ(unlink(k_link), 0);
    close(tmp_dir);
    close(path_fd);
    check_end();

    check_begin("utimensat, UTIME_OMIT");
    struct timespec explicit_times[2] = { { 1000, 0 }, { 2000, 500 } };
    CHECK_EQ(utimensat(AT_FDCWD, k_path, explicit_times, 0), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_atim.tv_sec, 1000);
    CHECK_EQ(st.st_mtim.tv_sec, 2000);
    CHECK_EQ(st.st_mtim.tv_nsec, 500);
    struct timespec keep_atime[2] = { { 0, UTIME_OMIT }, { 3000, 0 } };
    CHECK_EQ(futimens(fd, keep_atime), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_atim.tv_sec, 1000);
    CHECK_EQ(st.st_mtim.tv_sec, 3000);
    CHECK_EQ(utimensat(AT_FDCWD, k_path, NULL, 0), 0);  /* now */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK(st.st_mtim.tv_sec > 3000);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    CHECK_ERR(utimensat(AT_FDCWD, k_path, bad, 0), EINVAL);
    check_end();

    check_begin("fsync, fdatasync, sync");
    /* What fsync'd is there for another open of the file. */
    CHECK_EQ(pwrite(fd, "synced", 6, 10), 6);
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(pwrite(fd, "data", 4, 16), 4);
    CHECK_EQ(fdatasync(fd), 0);
    int reader = open(k_path, O_RDONLY);
    CHECK(reader >= 0);
    char contents[32] = {0};
    CHECK_EQ(read(reader, contents, sizeof contents), 20);
    CHECK(memcmp(contents, "0123456789synceddata", 20) == 0);
    CHECK_EQ(fsync(reader), 0); /* read-only descriptors may sync too */
    CHECK_EQ(fdatasync(reader), 0);
    close(reader);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(fsync(dir), 0);
    CHECK_EQ(fdatasync(dir), 0);
    close(dir);
    /* Pipes and character devices have no fsync: EINVAL; O_PATH: EBADF. */
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_ERR(fsync(pipe_fds[0]), EINVAL);
    CHECK_ERR(fsync(pipe_fds[1]), EINVAL);
    CHECK_ERR(fdatasync(pipe_fds[0]), EINVAL);
    CHECK_ERR(fdatasync(pipe_fds[1]), EINVAL);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    int null_fd = open("/dev/null", O_RDWR);
    CHECK(null_fd >= 0);
    CHECK_ERR(fsync(null_fd), EINVAL);
    CHECK_ERR(fdatasync(null_fd), EINVAL);
    close(null_fd);
    int opath_fd = open(k_path, O_PATH);
    CHECK_ERR(fsync(opath_fd), EBADF);
    CHECK_ERR(fdatasync(opath_fd), EBADF);
    close(opath_fd);
    CHECK_ERR(fsync(-1), EBADF);
    CHECK_ERR(fdatasync(-1), EBADF);
    CHECK_ERR(fsync(999), EBADF);
    sync();
    check_end();

    check_begin("sysinfo");
    struct sysinfo info;
    CHECK_EQ(sysinfo(&info), 0);
    CHECK((unsigned long long)info.totalram * info.mem_unit > (1ull << 20));
    CHECK(info.freeram <= info.totalram);
    CHECK(info.procs >= 1);
    CHECK_ERR(sysinfo(NULL), EFAULT);
    check_end();

    test_cpu_time_of_work();
    test_sleep_is_not_cpu_time();
    test_thread_cpu_clocks();
    test_children_cpu_time();
    test_cpu_clock_ids();

    check_begin("sched_getaffinity");
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
    CHECK(CPU_ISSET(0, &set));
    CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1);
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
    check_end();

    check_begin("wait4, waitid without children");
    int status;
    CHECK_ERR(wait4(-1, &status, WNOHANG, NULL), ECHILD);
    CHECK_ERR(waitpid(-1, &status, 0), ECHILD);
    siginfo_t siginfo;
    CHECK_ERR(waitid(P_ALL, 0, &siginfo, WEXITED | WNOHANG), ECHILD);
    check_end();

    close(fd);
    unlink(k_path);
    check_exit();
}
