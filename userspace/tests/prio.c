/* prio: scheduling attributes and the execution context, as Linux 6.1 has
 * them for root (the test runs as root).
 *   nice         getpriority/setpriority: PRIO_PROCESS (per thread), PRIO_PGRP,
 *                PRIO_USER, clamping, errors, zombies, fork/clone/exec
 *                inheritance, /proc/<pid>/stat's priority and nice
 *   sched        sched_setscheduler/getscheduler/setparam/getparam:
 *                policies, priority ranges, errors, per thread, /proc
 *   resetonfork  SCHED_RESET_ON_FORK for processes and threads; exec keeps
 *   unprivileged without CAP_SYS_NICE: RLIMIT_NICE and RLIMIT_RTPRIO rule
 *   personality  PER_LINUX and ADDR_NO_RANDOMIZE, inherited, kept by exec
 *   unshare      what needs no namespace; namespaces as the kernel has them
 *   setns        EBADF, EINVAL for files and pidfds without namespaces
 * Where Linux's answer depends on its configuration (namespaces, 32-bit
 * EL0), the check asks the system what it has (/proc/self/ns/<type>) and
 * expects the answer a Linux so configured gives.
 * Usage: prio [GROUP | --exec-child NICE POLICY RTPRIO PERSONA]. */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

static const char *g_self;

/* The raw system calls: getpriority's ABI value is 20 - nice. */
static long raw_getprio(int which, int who) { return syscall(SYS_getpriority, which, who); }
static long raw_setprio(int which, int who, int nice) { return syscall(SYS_setpriority, which, who, nice); }
static long set_sched(pid_t pid, int policy, int priority) {
    struct sched_param param = { .sched_priority = priority };
    return syscall(SYS_sched_setscheduler, pid, policy, &param);
}
static long set_param(pid_t pid, int priority) {
    struct sched_param param = { .sched_priority = priority };
    return syscall(SYS_sched_setparam, pid, &param);
}
static long get_sched(pid_t pid) { return syscall(SYS_sched_getscheduler, pid); }
static long get_param(pid_t pid) {
    struct sched_param param = { .sched_priority = -1000 };
    if (syscall(SYS_sched_getparam, pid, &param) != 0)
        return -1000;
    return param.sched_priority;
}
static long raw_personality(unsigned long persona) { return syscall(SYS_personality, persona); }
static long raw_unshare(unsigned long flags) { return syscall(SYS_unshare, flags); }
static long raw_setns(int fd, int type) { return syscall(SYS_setns, fd, type); }

/* unshare without touching errno (a vfork child shares its parent's). */
__attribute__((noinline)) static long svc_unshare(unsigned long flags) {
    register long x8 __asm__("x8") = SYS_unshare;
    register long x0 __asm__("x0") = (long)flags;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8) : "memory");
    return x0;
}

/* Field `field` (1-based, as proc(5) numbers them) of /proc/<pid>/stat. */
static long stat_field(pid_t pid, int field) {
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -99999;
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0)
        return -99999;
    line[n] = 0;
    char *p = strrchr(line, ')');
    if (!p)
        return -99999;
    p += 2; /* field 3 */
    for (int f = 3; f < field; f++) {
        p = strchr(p, ' ');
        if (!p)
            return -99999;
        p++;
    }
    return strtol(p, NULL, 10);
}

static int drop_capability(int capability) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0)
        return -1;
    data[capability / 32].effective &= ~(1u << (capability % 32));
    return (int)syscall(SYS_capset, &header, data);
}

/* Runs `body` in a forked child (whatever it changes stays there). */
static void in_child(void (*body)(void)) {
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        body();
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
}

/* Execs this program to check what the new image has. */
static void exec_and_check(int nice, int policy, int rt_priority, unsigned persona) {
    char args[4][32];
    snprintf(args[0], sizeof args[0], "%d", nice);
    snprintf(args[1], sizeof args[1], "%d", policy);
    snprintf(args[2], sizeof args[2], "%d", rt_priority);
    snprintf(args[3], sizeof args[3], "%u", persona);
    fflush(stdout);
    execl(g_self, g_self, "--exec-child", args[0], args[1], args[2], args[3], (char *)NULL);
    _exit(99);
}

static int exec_child(char **argv) {
    int nice = atoi(argv[2]), policy = atoi(argv[3]), rt_priority = atoi(argv[4]);
    unsigned persona = (unsigned)strtoul(argv[5], NULL, 10);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 20 - nice);
    CHECK_EQ(get_sched(0), policy);
    CHECK_EQ(get_param(0), rt_priority);
    CHECK_EQ(raw_personality(0xffffffff), persona);
    fflush(stdout);
    return check_failures ? 1 : 0;
}

/* ---- nice ---- */

static void nice_self(void) {
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 7), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 13);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 7); /* glibc's conversion */
    CHECK_EQ(stat_field(getpid(), 18), 27);    /* priority: 20 + nice */
    CHECK_EQ(stat_field(getpid(), 19), 7);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, getpid(), 100), 0); /* clamped */
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 1);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, -100), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 40);
    CHECK_EQ(stat_field(getpid(), 19), -20);
    CHECK_EQ(stat_field(getpid(), 18), 0);
    errno = 0;
    CHECK_EQ(nice(5), -15);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 6), 0);
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 14); /* fork inherits */
        if (check_failures != failures)
            check_child_done(failures);
        exec_and_check(6, SCHED_OTHER, 0, 0); /* and exec keeps */
    }
    check_child_status(child, 0, 0);
}

static int g_to_main[2], g_to_thread[2];

static void *reniced_thread(void *unused) {
    (void)unused;
    pid_t tid = gettid();
    char go;
    if (write(g_to_main[1], &tid, sizeof tid) != sizeof tid || read(g_to_thread[0], &go, 1) != 1)
        return (void *)-1L;
    long scheduler = get_sched(0);
    long mine = raw_getprio(PRIO_PROCESS, 0);
    return (void *)(mine * 100 + scheduler);
}

/* PRIO_PROCESS with a TID is that thread's; PRIO_PGRP covers every thread. */
static void nice_threads(void) {
    CHECK_EQ(setpgid(0, 0), 0);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 4), 0);
    CHECK_EQ(pipe(g_to_main), 0);
    CHECK_EQ(pipe(g_to_thread), 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, reniced_thread, NULL), 0);
    pid_t tid = 0;
    CHECK_EQ(read(g_to_main[0], &tid, sizeof tid), sizeof tid);
    CHECK(tid != getpid());
    CHECK_EQ(raw_getprio(PRIO_PROCESS, tid), 16); /* a new thread inherits */
    CHECK_EQ(raw_setprio(PRIO_PROCESS, tid, 9), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, tid), 11);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 16); /* the caller's own is its own */
    CHECK_EQ(stat_field(getpid(), 19), 4);      /* /proc/<pid>: the leader's */
    CHECK_EQ(raw_setprio(PRIO_PROCESS, tid, 3), 0);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 10), 0);
    CHECK_EQ(raw_getprio(PRIO_PGRP, 0), 17); /* the highest priority of the group */
    CHECK_EQ(raw_getprio(PRIO_PGRP, getpid()), 17);
    /* a real-time policy for one thread only */
    CHECK_EQ(set_sched(tid, SCHED_RR, 7), 0);
    CHECK_EQ(get_sched(tid), SCHED_RR);
    CHECK_EQ(get_param(tid), 7);
    CHECK_EQ(get_sched(0), SCHED_OTHER);
    CHECK_EQ(raw_setprio(PRIO_PGRP, 0, 2), 0); /* every thread of the group */
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 18);
    char go = 1;
    CHECK_EQ(write(g_to_thread[1], &go, 1), 1);
    void *result = NULL;
    CHECK_EQ(pthread_join(thread, &result), 0);
    CHECK_EQ((long)result, 18 * 100 + SCHED_RR);
    close(g_to_main[0]);
    close(g_to_main[1]);
    close(g_to_thread[0]);
    close(g_to_thread[1]);
}

/* Another process group, named by its ID. */
static void nice_group(void) {
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    CHECK_EQ(setpgid(child, child), 0);
    CHECK_EQ(raw_setprio(PRIO_PGRP, child, 5), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, child), 15);
    CHECK_EQ(raw_getprio(PRIO_PGRP, child), 15);
    CHECK_EQ(stat_field(child, 19), 5);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 20); /* the caller is not in it */
    kill(child, SIGKILL);
    check_child_status(child, 0, SIGKILL);
}

/* A zombie still has its nice value, until it is reaped. */
static void nice_zombie(void) {
    pid_t child = fork();
    if (child == 0) {
        raw_setprio(PRIO_PROCESS, 0, 11);
        _exit(0);
    }
    siginfo_t info;
    CHECK_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, child), 9);
    CHECK_EQ(stat_field(child, 19), 11);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, child, 12), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, child), 8);
    CHECK_EQ(get_sched(child), SCHED_OTHER);
    check_child_status(child, 0, 0);
    CHECK_ERR(raw_getprio(PRIO_PROCESS, child), ESRCH);
}

static void test_nice(void) {
    check_begin("nice: getpriority/setpriority per thread, group, user; inherited; in /proc");
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 20);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, getpid()), 20);
    CHECK_EQ(stat_field(getpid(), 18), 20);
    CHECK_EQ(stat_field(getpid(), 19), 0);
    CHECK_ERR(raw_getprio(3, 0), EINVAL);
    CHECK_ERR(raw_getprio(-1, 0), EINVAL);
    CHECK_ERR(raw_setprio(3, 0, 0), EINVAL);
    CHECK_ERR(raw_getprio(PRIO_PROCESS, 4000000), ESRCH);
    CHECK_ERR(raw_setprio(PRIO_PROCESS, 4000000, 1), ESRCH);
    CHECK_ERR(raw_getprio(PRIO_PROCESS, -1), ESRCH);
    CHECK_ERR(raw_getprio(PRIO_PGRP, 4000000), ESRCH);
    CHECK_ERR(raw_setprio(PRIO_PGRP, 4000000, 0), ESRCH);
    CHECK_ERR(raw_getprio(PRIO_USER, 4242), ESRCH); /* no process of that user */
    CHECK_ERR(raw_setprio(PRIO_USER, 4242, 0), ESRCH);
    CHECK(raw_getprio(PRIO_USER, 0) >= 20);
    in_child(nice_self);
    in_child(nice_threads);
    nice_group();
    nice_zombie();
    /* PRIO_USER 0: the caller's user, every process here. */
    CHECK_EQ(raw_setprio(PRIO_USER, 0, 3), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 17);
    CHECK(raw_getprio(PRIO_USER, 0) >= 17);
    CHECK_EQ(raw_setprio(PRIO_USER, 0, 0), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 20);
    check_end();
}

/* ---- sched ---- */

static void sched_policies(void) {
    CHECK_EQ(get_sched(0), SCHED_OTHER);
    CHECK_EQ(get_param(0), 0);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 5), 0);
    CHECK_EQ(set_sched(0, SCHED_FIFO, 10), 0);
    CHECK_EQ(get_sched(0), SCHED_FIFO);
    CHECK_EQ(get_sched(getpid()), SCHED_FIFO);
    CHECK_EQ(get_param(0), 10);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 15); /* the nice value stays */
    CHECK_EQ(stat_field(getpid(), 18), -11);    /* -1 - rt_priority */
    CHECK_EQ(stat_field(getpid(), 19), 5);
    CHECK_EQ(stat_field(getpid(), 40), 10);     /* rt_priority */
    CHECK_EQ(stat_field(getpid(), 41), SCHED_FIFO);
    CHECK_EQ(set_param(0, 20), 0);
    CHECK_EQ(get_param(0), 20);
    CHECK_EQ(get_sched(0), SCHED_FIFO);
    CHECK_ERR(set_param(0, 0), EINVAL);
    CHECK_ERR(set_param(0, 100), EINVAL);
    CHECK_EQ(set_sched(0, SCHED_RR, 99), 0);
    CHECK_EQ(get_sched(0), SCHED_RR);
    CHECK_EQ(stat_field(getpid(), 18), -100);
    CHECK_ERR(set_sched(0, SCHED_RR, 100), EINVAL);
    CHECK_ERR(set_sched(0, SCHED_RR, -1), EINVAL);
    CHECK_ERR(set_sched(0, SCHED_RR, 0), EINVAL);
    CHECK_ERR(set_sched(0, SCHED_OTHER, 1), EINVAL);
    CHECK_ERR(set_sched(0, SCHED_BATCH, 1), EINVAL);
    CHECK_ERR(set_sched(0, SCHED_IDLE, 1), EINVAL);
    CHECK_ERR(set_sched(0, 4, 0), EINVAL);
    CHECK_ERR(set_sched(0, 6, 0), EINVAL); /* SCHED_DEADLINE needs sched_setattr */
    CHECK_ERR(set_sched(0, 7, 0), EINVAL);
    CHECK_ERR(set_sched(0, -1, 0), EINVAL);
    CHECK_ERR(set_sched(0, 0x10000000, 0), EINVAL);
    CHECK_EQ(get_sched(0), SCHED_RR); /* unchanged by the failures */
    CHECK_EQ(get_param(0), 99);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, -3), 0); /* kept for later under RR */
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 23);
    CHECK_EQ(stat_field(getpid(), 19), -3);
    CHECK_EQ(stat_field(getpid(), 18), -100);
    CHECK_EQ(set_sched(0, SCHED_BATCH, 0), 0);
    CHECK_EQ(get_sched(0), SCHED_BATCH);
    CHECK_EQ(get_param(0), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 23);
    CHECK_EQ(stat_field(getpid(), 18), 17);
    CHECK_EQ(stat_field(getpid(), 40), 0);
    CHECK_EQ(stat_field(getpid(), 41), SCHED_BATCH);
    CHECK_EQ(set_sched(0, SCHED_IDLE, 0), 0);
    CHECK_EQ(get_sched(0), SCHED_IDLE);
    CHECK_EQ(stat_field(getpid(), 41), SCHED_IDLE);
    CHECK_EQ(set_param(0, 0), 0);
    CHECK_EQ(set_sched(0, SCHED_OTHER, 0), 0);
    CHECK_EQ(get_sched(0), SCHED_OTHER);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 23);
    /* another process */
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    CHECK_EQ(set_sched(child, SCHED_FIFO, 3), 0);
    CHECK_EQ(get_sched(child), SCHED_FIFO);
    CHECK_EQ(get_param(child), 3);
    CHECK_EQ(stat_field(child, 40), 3);
    CHECK_EQ(get_sched(0), SCHED_OTHER);
    kill(child, SIGKILL);
    check_child_status(child, 0, SIGKILL);
}

static void test_sched(void) {
    check_begin("sched: set/get scheduler and parameters, ranges, errors");
    CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
    CHECK_EQ(sched_get_priority_min(SCHED_FIFO), 1);
    CHECK_EQ(sched_get_priority_max(SCHED_RR), 99);
    CHECK_EQ(sched_get_priority_min(SCHED_RR), 1);
    CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
    CHECK_EQ(sched_get_priority_min(SCHED_BATCH), 0);
    CHECK_EQ(sched_get_priority_max(SCHED_IDLE), 0);
    CHECK_EQ(sched_get_priority_max(6), 0); /* SCHED_DEADLINE: Linux answers 0 */
    CHECK_EQ(sched_get_priority_min(6), 0);
    CHECK_ERR(sched_get_priority_max(4), EINVAL);
    CHECK_ERR(sched_get_priority_min(7), EINVAL);
    CHECK_ERR(sched_get_priority_max(-1), EINVAL);
    CHECK_ERR(set_sched(-1, SCHED_OTHER, 0), EINVAL);
    CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)8), EFAULT);
    CHECK_ERR(set_sched(4000000, SCHED_OTHER, 0), ESRCH);
    CHECK_ERR(set_sched(4000000, 4, 0), ESRCH); /* the thread is looked up first */
    CHECK_ERR(syscall(SYS_sched_setparam, 0, NULL), EINVAL);
    CHECK_ERR(set_param(-1, 0), EINVAL);
    CHECK_ERR(set_param(4000000, 0), ESRCH);
    CHECK_ERR(get_sched(-1), EINVAL);
    CHECK_ERR(get_sched(4000000), ESRCH);
    CHECK_ERR(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_sched_getparam, -1, &(struct sched_param) { 0 }), EINVAL);
    CHECK_ERR(syscall(SYS_sched_getparam, 4000000, &(struct sched_param) { 0 }), ESRCH);
    CHECK_ERR(syscall(SYS_sched_getparam, 0, (void *)8), EFAULT);
    in_child(sched_policies);
    CHECK_EQ(get_sched(0), SCHED_OTHER);
    check_end();
}

/* ---- SCHED_RESET_ON_FORK ---- */

static void *report_thread(void *unused) {
    (void)unused;
    return (void *)(get_sched(0) * 10000 + get_param(0) * 100 + raw_getprio(PRIO_PROCESS, 0));
}

/* policy * 10000 + rt_priority * 100 + (20 - nice) of a new thread. */
static long new_thread_sees(void) {
    pthread_t thread;
    void *result = (void *)-1L;
    if (pthread_create(&thread, NULL, report_thread, NULL) != 0 || pthread_join(thread, &result) != 0)
        return -1;
    return (long)result;
}

static void child_expects(long policy, long rt_priority, long raw_prio) {
    pid_t child = fork();
    if (child == 0) {
        int ok = get_sched(0) == policy && get_param(0) == rt_priority &&
                 raw_getprio(PRIO_PROCESS, 0) == raw_prio;
        if (!ok)
            printf("  child sees policy %ld param %ld prio %ld, want %ld %ld %ld\n", get_sched(0), get_param(0),
                   raw_getprio(PRIO_PROCESS, 0), policy, rt_priority, raw_prio);
        fflush(stdout);
        _exit(ok ? 0 : 1);
    }
    check_child_status(child, 0, 0);
}

static void reset_on_fork(void) {
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, -5), 0);
    CHECK_EQ(set_sched(0, SCHED_FIFO | SCHED_RESET_ON_FORK, 5), 0);
    CHECK_EQ(get_sched(0), SCHED_FIFO | SCHED_RESET_ON_FORK);
    CHECK_EQ(get_param(0), 5);
    CHECK_EQ(stat_field(getpid(), 41), SCHED_FIFO); /* stat shows the policy alone */
    child_expects(SCHED_OTHER, 0, 20);              /* real time: back to SCHED_OTHER, nice 0 */
    CHECK_EQ(new_thread_sees(), SCHED_OTHER * 10000 + 0 + 20);
    CHECK_EQ(set_param(0, 6), 0); /* keeps the flag */
    CHECK_EQ(get_sched(0), SCHED_FIFO | SCHED_RESET_ON_FORK);
    CHECK_EQ(set_sched(0, SCHED_BATCH | SCHED_RESET_ON_FORK, 0), 0);
    child_expects(SCHED_BATCH, 0, 20); /* the policy stays, a negative nice goes */
    CHECK_EQ(new_thread_sees(), SCHED_BATCH * 10000 + 20);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 4), 0);
    child_expects(SCHED_BATCH, 0, 16); /* a positive one stays */
    CHECK_EQ(set_sched(0, SCHED_RR, 3), 0); /* root may clear the flag */
    CHECK_EQ(get_sched(0), SCHED_RR);
    child_expects(SCHED_RR, 3, 16); /* inherited as it is */
    CHECK_EQ(new_thread_sees(), SCHED_RR * 10000 + 300 + 16);
    pid_t child = fork();
    if (child == 0)
        exec_and_check(4, SCHED_RR, 3, 0); /* exec keeps it all */
    check_child_status(child, 0, 0);
}

static void test_reset_on_fork(void) {
    check_begin("resetonfork: SCHED_RESET_ON_FORK for processes and threads; exec keeps");
    in_child(reset_on_fork);
    check_end();
}

/* ---- without CAP_SYS_NICE ---- */

static void unprivileged(void) {
    CHECK_EQ(drop_capability(CAP_SYS_NICE), 0);
    CHECK_ERR(raw_setprio(PRIO_PROCESS, 0, -1), EACCES); /* RLIMIT_NICE 0 */
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 5), 0);        /* raising is free */
    CHECK_ERR(raw_setprio(PRIO_PROCESS, 0, 4), EACCES);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 5), 0);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 15);
    struct rlimit limit = { 30, 30 };
    CHECK_EQ(setrlimit(RLIMIT_NICE, &limit), 0); /* down to 20 - 30 = -10 */
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, -10), 0);
    CHECK_ERR(raw_setprio(PRIO_PROCESS, 0, -11), EACCES);
    CHECK_EQ(raw_getprio(PRIO_PROCESS, 0), 30);
    CHECK_ERR(set_sched(0, SCHED_FIFO, 1), EPERM); /* RLIMIT_RTPRIO 0 */
    limit = (struct rlimit) { 10, 10 };
    CHECK_EQ(setrlimit(RLIMIT_RTPRIO, &limit), 0);
    CHECK_EQ(set_sched(0, SCHED_FIFO, 10), 0);
    CHECK_ERR(set_sched(0, SCHED_FIFO, 11), EPERM);
    CHECK_ERR(set_param(0, 11), EPERM);
    CHECK_EQ(set_sched(0, SCHED_RR, 5), 0);
    CHECK_EQ(set_sched(0, SCHED_IDLE, 0), 0);
    limit = (struct rlimit) { 20, 20 };
    CHECK_EQ(setrlimit(RLIMIT_NICE, &limit), 0);
    CHECK_ERR(set_sched(0, SCHED_OTHER, 0), EPERM); /* leaving SCHED_IDLE at nice -10 */
    CHECK_ERR(set_sched(0, SCHED_BATCH, 0), EPERM);
    CHECK_EQ(raw_setprio(PRIO_PROCESS, 0, 0), 0);
    CHECK_EQ(set_sched(0, SCHED_OTHER, 0), 0); /* at nice 0 it may */
    CHECK_EQ(set_sched(0, SCHED_OTHER | SCHED_RESET_ON_FORK, 0), 0);
    CHECK_ERR(set_sched(0, SCHED_OTHER, 0), EPERM); /* only root clears the flag */
    CHECK_EQ(set_sched(0, SCHED_BATCH | SCHED_RESET_ON_FORK, 0), 0);
    CHECK_EQ(get_sched(0), SCHED_BATCH | SCHED_RESET_ON_FORK);
}

static void test_unprivileged(void) {
    check_begin("unprivileged: without CAP_SYS_NICE, RLIMIT_NICE and RLIMIT_RTPRIO decide");
    in_child(unprivileged);
    check_end();
}

/* ---- personality ---- */

static void personality_child(void) {
    CHECK_EQ(raw_personality(0xffffffff), PER_LINUX);
    CHECK_EQ(raw_personality(PER_LINUX | ADDR_NO_RANDOMIZE), PER_LINUX);
    CHECK_EQ(raw_personality(0xffffffff), ADDR_NO_RANDOMIZE);
    CHECK_EQ(personality(0xffffffff), ADDR_NO_RANDOMIZE);
    pid_t child = fork();
    if (child == 0) {
        if (raw_personality(0xffffffff) != ADDR_NO_RANDOMIZE)
            _exit(1);
        exec_and_check(0, SCHED_OTHER, 0, ADDR_NO_RANDOMIZE); /* fork and exec keep it */
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(raw_personality(PER_LINUX), ADDR_NO_RANDOMIZE);
    CHECK_EQ(raw_personality(0xffffffff), PER_LINUX);
    /* PER_LINUX32: Linux takes it where the CPU runs 32-bit programs (and
     * then uname says armv8l), else EINVAL, as Akuma, which runs none. */
    errno = 0;
    long old = raw_personality(PER_LINUX32);
    int error = errno;
    if (old == -1) {
        CHECK_EQ(error, EINVAL);
        CHECK_EQ(raw_personality(0xffffffff), PER_LINUX);
    } else {
        CHECK_EQ(old, PER_LINUX);
        struct utsname name;
        CHECK_EQ(uname(&name), 0);
        CHECK(strcmp(name.machine, "armv8l") == 0);
        CHECK_EQ(raw_personality(PER_LINUX), PER_LINUX32);
    }
    /* Another persona: Linux 6.1 records it; Akuma refuses it (EINVAL). */
    errno = 0;
    old = raw_personality(PER_BSD);
    error = errno;
    if (old == -1)
        CHECK_EQ(error, EINVAL);
    else
        CHECK_EQ(raw_personality(PER_LINUX), PER_BSD);
    CHECK_EQ(raw_personality(0xffffffff), PER_LINUX);
}

static void test_personality(void) {
    check_begin("personality: PER_LINUX, ADDR_NO_RANDOMIZE kept by fork and exec, PER_LINUX32");
    in_child(personality_child);
    check_end();
}

/* ---- unshare ---- */

static int has_namespace(const char *type) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", type);
    return access(path, F_OK) == 0;
}

static const struct {
    unsigned long flag;
    const char *type;
} k_namespaces[] = {
    { CLONE_NEWUTS, "uts" }, { CLONE_NEWIPC, "ipc" },   { CLONE_NEWNET, "net" },   { CLONE_NEWPID, "pid" },
    { CLONE_NEWTIME, "time" }, { CLONE_NEWNS, "mnt" }, { CLONE_NEWUSER, "user" },
};

static void unshare_alone(void) {
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_EQ(raw_unshare(CLONE_FILES), 0); /* nothing shared: nothing to do */
    CHECK(fcntl(pipe_fds[0], F_GETFD) != -1);
    CHECK_EQ(write(pipe_fds[1], "x", 1), 1);
    CHECK_EQ(raw_unshare(CLONE_FS), 0);
    CHECK_EQ(raw_unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM), 0);
    CHECK_EQ(raw_unshare(CLONE_THREAD), 0); /* alone: nothing to unshare */
    CHECK_EQ(raw_unshare(CLONE_SIGHAND), 0);
    CHECK_EQ(raw_unshare(CLONE_VM), 0);
    CHECK_EQ(raw_unshare(CLONE_NEWCGROUP), 0); /* granted with or without cgroups */
    CHECK_ERR(raw_unshare(CLONE_SETTLS), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_PARENT), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_VFORK), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_PIDFD), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_PTRACE), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_CHILD_SETTID), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_IO), EINVAL);
    CHECK_ERR(raw_unshare(1ul << 32), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_FILES | CLONE_SETTLS), EINVAL);
    char byte;
    CHECK_EQ(read(pipe_fds[0], &byte, 1), 1);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    /* A vfork child shares its parent's memory: CLONE_VM cannot be had. */
    pid_t child = vfork();
    if (child == 0)
        _exit(svc_unshare(CLONE_VM) == -EINVAL ? 0 : 1);
    check_child_status(child, 0, 0);
    /* Namespaces need CAP_SYS_ADMIN, whichever the kernel has. */
    CHECK_EQ(drop_capability(CAP_SYS_ADMIN), 0);
    CHECK_ERR(raw_unshare(CLONE_NEWUTS), EPERM);
    CHECK_ERR(raw_unshare(CLONE_NEWIPC), EPERM);
    CHECK_ERR(raw_unshare(CLONE_NEWNET), EPERM);
    CHECK_ERR(raw_unshare(CLONE_NEWPID), EPERM);
    CHECK_ERR(raw_unshare(CLONE_NEWNS), EPERM);
    CHECK_ERR(raw_unshare(CLONE_NEWCGROUP), EPERM);
    CHECK_EQ(raw_unshare(CLONE_FILES), 0);
}

static int g_commands[2], g_answers[2], g_spare_fd;

/* A second thread answers what it sees: 'f' whether g_spare_fd is open in
 * its table, 'u' its umask. */
static void *answering_thread(void *unused) {
    (void)unused;
    char command;
    while (read(g_commands[0], &command, 1) == 1 && command != 'q') {
        int answer = 0;
        if (command == 'f')
            answer = fcntl(g_spare_fd, F_GETFD) != -1;
        else if (command == 'u') {
            answer = (int)umask(022);
            umask((mode_t)answer);
        }
        if (write(g_answers[1], &answer, sizeof answer) != sizeof answer)
            break;
    }
    return NULL;
}

static int ask(char command) {
    int answer = -1;
    if (write(g_commands[1], &command, 1) != 1 || read(g_answers[0], &answer, sizeof answer) != sizeof answer)
        return -1;
    return answer;
}

/* With a second thread: CLONE_THREAD/SIGHAND/VM are EINVAL on Linux too;
 * CLONE_FILES and CLONE_FS give Linux's caller private copies, which
 * Akuma (tables per process) refuses with EINVAL. */
static void unshare_threaded(void) {
    CHECK_EQ(pipe(g_commands), 0);
    CHECK_EQ(pipe(g_answers), 0);
    g_spare_fd = open("/", O_RDONLY | O_DIRECTORY);
    CHECK(g_spare_fd >= 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, answering_thread, NULL), 0);
    CHECK_ERR(raw_unshare(CLONE_THREAD), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_SIGHAND), EINVAL);
    CHECK_ERR(raw_unshare(CLONE_VM), EINVAL);
    CHECK_EQ(raw_unshare(CLONE_SYSVSEM), 0);
    CHECK_EQ(ask('f'), 1);
    errno = 0;
    long result = raw_unshare(CLONE_FILES);
    int error = errno;
    if (result == 0) {
        CHECK_EQ(close(g_spare_fd), 0); /* in the caller's new table only */
        CHECK_EQ(ask('f'), 1);
    } else {
        CHECK_EQ(error, EINVAL);
        CHECK(fcntl(g_spare_fd, F_GETFD) != -1);
        close(g_spare_fd);
    }
    mode_t old_mask = umask(022);
    umask(old_mask);
    errno = 0;
    result = raw_unshare(CLONE_FS);
    error = errno;
    if (result == 0) {
        umask(077); /* the caller's own now */
        CHECK_EQ(ask('u'), (int)old_mask);
        umask(old_mask);
    } else {
        CHECK_EQ(error, EINVAL);
    }
    CHECK_EQ(write(g_commands[1], "q", 1), 1);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    close(g_commands[0]);
    close(g_commands[1]);
    close(g_answers[0]);
    close(g_answers[1]);
}

/* Each namespace as the kernel has it: made if /proc/self/ns/<type> shows
 * the kernel has that kind, else EINVAL as a Linux built without it. */
static int g_namespace;

static void unshare_namespace(void) {
    unsigned long flag = k_namespaces[g_namespace].flag;
    const char *type = k_namespaces[g_namespace].type;
    int expected_ok = has_namespace(type);
    errno = 0;
    long result = raw_unshare(flag);
    if (expected_ok ? result != 0 : (result != -1 || errno != EINVAL)) {
        printf("  unshare(%s) -> %ld errno %d, want %s\n", type, result, errno, expected_ok ? "0" : "EINVAL");
        check_failures++;
        check_group_fails++;
    }
    CHECK_ERR(raw_unshare(flag | CLONE_SETTLS), EINVAL);
}

static void test_unshare(void) {
    check_begin("unshare: files, fs, sysvsem; threads; namespaces as the kernel has them");
    CHECK_EQ(raw_unshare(0), 0);
    in_child(unshare_alone);
    in_child(unshare_threaded);
    for (g_namespace = 0; g_namespace < (int)(sizeof k_namespaces / sizeof k_namespaces[0]); g_namespace++)
        in_child(unshare_namespace);
    check_end();
}

/* ---- setns ---- */

static void setns_pidfd(void) {
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    CHECK(pidfd >= 0);
    CHECK_ERR(raw_setns(pidfd, 0), EINVAL);         /* a pidfd needs types */
    CHECK_ERR(raw_setns(pidfd, CLONE_VM), EINVAL);  /* not a namespace */
    /* Joining one's own namespaces: done where the kernel has them. */
    static const struct {
        int flag;
        const char *type;
    } types[] = { { CLONE_NEWUTS, "uts" }, { CLONE_NEWNS, "mnt" } };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int expected_ok = has_namespace(types[i].type);
        errno = 0;
        long result = raw_setns(pidfd, types[i].flag);
        if (expected_ok ? result != 0 : (result != -1 || errno != EINVAL)) {
            printf("  setns(pidfd, %s) -> %ld errno %d, want %s\n", types[i].type, result, errno,
                   expected_ok ? "0" : "EINVAL");
            check_failures++;
            check_group_fails++;
        }
    }
    close(pidfd);
}

static void test_setns(void) {
    check_begin("setns: EBADF, EINVAL for other files, pidfds as the kernel has namespaces");
    CHECK_ERR(raw_setns(-1, 0), EBADF);
    CHECK_ERR(raw_setns(1000, 0), EBADF);
    CHECK_ERR(raw_setns(1000, CLONE_NEWUTS), EBADF);
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_ERR(raw_setns(pipe_fds[0], 0), EINVAL);
    CHECK_ERR(raw_setns(pipe_fds[0], CLONE_NEWUTS), EINVAL);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    int fd = open("/proc/self/stat", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_ERR(raw_setns(fd, 0), EINVAL);
    close(fd);
    in_child(setns_pidfd);
    check_end();
}

/* sched_setattr/sched_getattr: the struct's sizes (VER0 48, VER1 56,
 * E2BIG with the size written back), nice for the fair policies, a
 * real-time priority, KEEP_POLICY/KEEP_PARAMS; utilization clamps are
 * EOPNOTSUPP on a kernel without them (Debian's). Run in a child, which
 * changes its own attributes only. */
struct attr_v1 {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
    uint8_t extra[16];
};

static void test_attr(void) {
    check_begin("attr");
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        struct attr_v1 attr;
        memset(&attr, 0x5a, sizeof attr);
        CHECK_EQ(syscall(SYS_sched_getattr, 0, &attr, 56, 0), 0);
        CHECK(attr.size == 56 && attr.policy == SCHED_OTHER && attr.flags == 0 && attr.priority == 0);
        CHECK(attr.util_min == 0 && attr.util_max == 0);
        memset(&attr, 0x5a, sizeof attr);
        CHECK_EQ(syscall(SYS_sched_getattr, 0, &attr, 48, 0), 0);
        CHECK(attr.size == 48 && attr.util_min == 0x5a5a5a5a);  /* nothing past the size asked for */
        CHECK_EQ(syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0), 0);
        CHECK_EQ(attr.size, 56);
        CHECK_ERR(syscall(SYS_sched_getattr, 0, &attr, 40, 0), EINVAL);
        CHECK_ERR(syscall(SYS_sched_getattr, 0, &attr, 56, 1), EINVAL);
        CHECK_ERR(syscall(SYS_sched_getattr, 0x3ffffff0, &attr, 56, 0), ESRCH);
        /* A nice value for SCHED_OTHER, clamped to 19. */
        memset(&attr, 0, sizeof attr);
        attr.size = 48;
        attr.nice = 5;
        CHECK_EQ(syscall(SYS_sched_setattr, 0, &attr, 0), 0);
        CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5);
        attr.nice = 100;
        CHECK_EQ(syscall(SYS_sched_setattr, 0, &attr, 0), 0);
        CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);
        /* SCHED_FIFO at 10. */
        memset(&attr, 0, sizeof attr);
        attr.size = 48;
        attr.policy = SCHED_FIFO;
        attr.priority = 10;
        CHECK_EQ(syscall(SYS_sched_setattr, 0, &attr, 0), 0);
        CHECK_EQ(sched_getscheduler(0), SCHED_FIFO);
        memset(&attr, 0x5a, sizeof attr);
        CHECK_EQ(syscall(SYS_sched_getattr, 0, &attr, 56, 0), 0);
        CHECK(attr.policy == SCHED_FIFO && attr.priority == 10 && attr.nice == 0);
        /* KEEP_POLICY and KEEP_PARAMS: nothing changes. */
        memset(&attr, 0, sizeof attr);
        attr.size = 48;
        attr.flags = 0x08 | 0x10;
        CHECK_EQ(syscall(SYS_sched_setattr, 0, &attr, 0), 0);
        CHECK_EQ(sched_getscheduler(0), SCHED_FIFO);
        /* Sizes: 0 is VER0; too small or non-zero bytes past ours: E2BIG, our size written back. */
        memset(&attr, 0, sizeof attr);
        CHECK_EQ(syscall(SYS_sched_setattr, 0, &attr, 0), 0);  /* size 0: SCHED_OTHER, nice 0 */
        CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
        attr.size = 40;
        CHECK_ERR(syscall(SYS_sched_setattr, 0, &attr, 0), E2BIG);
        CHECK_EQ(attr.size, 56);
        memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        CHECK_EQ(syscall(SYS_sched_setattr, 0, &attr, 0), 0);  /* zeros past ours are fine */
        attr.extra[3] = 1;
        CHECK_ERR(syscall(SYS_sched_setattr, 0, &attr, 0), E2BIG);
        CHECK_EQ(attr.size, 56);
        /* Flags and arguments. */
        memset(&attr, 0, sizeof attr);
        attr.size = 48;
        attr.flags = 0x20;  /* SCHED_FLAG_UTIL_CLAMP_MIN needs VER1 */
        CHECK_ERR(syscall(SYS_sched_setattr, 0, &attr, 0), EINVAL);
        attr.size = 56;
        CHECK_ERR(syscall(SYS_sched_setattr, 0, &attr, 0), EOPNOTSUPP);
        attr.flags = 0x80;
        CHECK_ERR(syscall(SYS_sched_setattr, 0, &attr, 0), EINVAL);
        attr.flags = 0;
        attr.policy = SCHED_FIFO;  /* priority 0 */
        CHECK_ERR(syscall(SYS_sched_setattr, 0, &attr, 0), EINVAL);
        CHECK_ERR(syscall(SYS_sched_setattr, 0, NULL, 0), EINVAL);
        CHECK_ERR(syscall(SYS_sched_setattr, -1, &attr, 0), EINVAL);
        CHECK_ERR(syscall(SYS_sched_setattr, 0, &attr, 1), EINVAL);
        attr.policy = SCHED_OTHER;
        CHECK_ERR(syscall(SYS_sched_setattr, 0x3ffffff0, &attr, 0), ESRCH);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    check_end();
}

/* ioprio_set/ioprio_get: classes and levels, inheritance by fork, a
 * process group's best value, permission; recorded only (no I/O
 * scheduler acts on them, as with Linux's "none"). */
#define IOPRIO(class_, data) (((class_) << 13) | (data))
static void test_ioprio(void) {
    check_begin("ioprio");
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        CHECK_EQ(setpgid(0, 0), 0);
        CHECK_EQ(syscall(SYS_ioprio_get, 1, 0), 0);  /* none set */
        CHECK_EQ(syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 4)), 0);
        CHECK_EQ(syscall(SYS_ioprio_get, 1, 0), IOPRIO(2, 4));
        CHECK_EQ(syscall(SYS_ioprio_set, 1, 0, IOPRIO(1, 7)), 0);  /* real time: root */
        CHECK_EQ(syscall(SYS_ioprio_set, 1, 0, IOPRIO(3, 5)), 0);
        CHECK_EQ(syscall(SYS_ioprio_get, 1, 0), IOPRIO(3, 5));
        CHECK_ERR(syscall(SYS_ioprio_set, 1, 0, IOPRIO(0, 3)), EINVAL);  /* "none" has no level */
        CHECK_ERR(syscall(SYS_ioprio_set, 1, 0, IOPRIO(5, 0)), EINVAL);
        CHECK_ERR(syscall(SYS_ioprio_set, 9, 0, IOPRIO(2, 1)), EINVAL);
        CHECK_ERR(syscall(SYS_ioprio_get, 9, 0), EINVAL);
        CHECK_ERR(syscall(SYS_ioprio_set, 1, 0x3ffffff0, IOPRIO(2, 1)), ESRCH);
        CHECK_ERR(syscall(SYS_ioprio_get, 1, 0x3ffffff0), ESRCH);
        /* Alone in its group: the group's value is its own. */
        CHECK_EQ(syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 3)), 0);
        CHECK_EQ(syscall(SYS_ioprio_get, 2, 0), IOPRIO(2, 3));
        int ready[2], done[2];
        CHECK_EQ(pipe(ready), 0);
        CHECK_EQ(pipe(done), 0);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            /* Inherited; then "none", which counts as best-effort 4 in a group. */
            char byte;
            int inherited = (int)syscall(SYS_ioprio_get, 1, 0);
            syscall(SYS_ioprio_set, 1, 0, IOPRIO(0, 0));
            if (write(ready[1], "r", 1) != 1 || read(done[0], &byte, 1) != 1)
                _exit(2);
            _exit(inherited == IOPRIO(2, 3) ? 0 : 1);
        }
        char byte;
        CHECK_EQ(read(ready[0], &byte, 1), 1);
        CHECK_EQ(syscall(SYS_ioprio_get, 2, 0), IOPRIO(2, 3));  /* the best of BE3 and none */
        CHECK_EQ(syscall(SYS_ioprio_set, 1, 0, IOPRIO(3, 0)), 0);
        CHECK_EQ(syscall(SYS_ioprio_get, 2, 0), IOPRIO(2, 4));  /* idle and none (BE4) */
        CHECK_EQ(syscall(SYS_ioprio_set, 2, 0, IOPRIO(2, 6)), 0);  /* the whole group */
        CHECK_EQ(syscall(SYS_ioprio_get, 1, grandchild), IOPRIO(2, 6));
        CHECK_EQ(write(done[1], "d", 1), 1);
        check_child_status(grandchild, 0, 0);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_self = argv[0];
    if (argc == 6 && strcmp(argv[1], "--exec-child") == 0)
        return exec_child(argv);
    alarm(60);
    static const struct check_test tests[] = {
        { "nice", test_nice },
        { "sched", test_sched },
        { "resetonfork", test_reset_on_fork },
        { "unprivileged", test_unprivileged },
        { "personality", test_personality },
        { "unshare", test_unshare },
        { "setns", test_setns },
        { "attr", test_attr },
        { "ioprio", test_ioprio },
    };
    return check_run_tests("prio", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
