/* signals: handlers, masks, pending sets, default actions and signals
 * between processes, as Linux does them.
 *
 * usage: signals [segv|sigchld|pending|handler-mask|resethand|restart|
 *                 eintr|kill|default|stop|ignore-chld|sigaction|fork]
 *        (default: all)
 *
 * Linux facts checked here:
 *   - a SIGSEGV handler with SA_SIGINFO gets si_addr = the faulting address
 *     and si_code SEGV_MAPERR (nothing mapped) or SEGV_ACCERR (protection);
 *     it may siglongjmp out (the mask saved by sigsetjmp comes back) or fix
 *     the fault and return (rt_sigreturn re-runs the instruction).
 *   - SIGCHLD arrives when a child exits; sigsuspend waits for it and
 *     restores the mask.
 *   - a blocked signal stays pending (standard signals do not queue: two
 *     sends, one delivery) and its handler runs as soon as it is unblocked.
 *   - inside a handler the signal itself and sa_mask are blocked; the old
 *     mask returns after the handler. SA_RESETHAND: one-shot handler.
 *   - SA_RESTART restarts a read blocked on a pipe; without it the read
 *     fails with EINTR.
 *   - kill and tgkill reach another process with si_code SI_USER/SI_TKILL
 *     and si_pid = the sender; kill(pid, 0) probes; bad signal: EINVAL.
 *   - default actions: SIGTERM/SIGUSR1 terminate, SIGWINCH is ignored
 *     (a blocking read is not even interrupted), SIGSTOP stops until
 *     SIGCONT (whose handler then runs).
 *   - SIGCHLD set to SIG_IGN: children leave no zombies; wait gives ECHILD.
 *   - sigaction returns the old action exactly.
 *   - fork: the child inherits the mask and handlers; pending signals are
 *     not inherited.
 * (execve resetting handlers is checked by the exec test.)
 */
#define _GNU_SOURCE
#include "check.h"

#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L

static void short_sleep(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void set_handler(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

static void set_default(int sig) {
    signal(sig, SIG_DFL);
}

static int is_blocked(int sig) {
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    return sigismember(&now, sig);
}

static void block(int sig, int how) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    CHECK_EQ(sigprocmask(how, &set, NULL), 0);
}

/* ---- SIGSEGV */

static sigjmp_buf segv_jump;
static volatile void *segv_addr;
static volatile int segv_code, segv_signo, segv_count;
static char *fix_page; /* the handler makes this page writable and returns */

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    segv_signo = sig;
    segv_addr = si->si_addr;
    segv_code = si->si_code;
    segv_count++;
    if (fix_page && (char *)si->si_addr >= fix_page && (char *)si->si_addr < fix_page + PAGE) {
        mprotect(fix_page, PAGE, PROT_READ | PROT_WRITE);
        return;
    }
    siglongjmp(segv_jump, 1);
}

/* Writes to addr under the handler; returns 1 if the fault was taken. */
static int faults(volatile char *addr) {
    if (sigsetjmp(segv_jump, 1) == 0) {
        *addr = 1;
        return 0;
    }
    return 1;
}

static void test_segv(void) {
    check_begin("SIGSEGV handler: SA_SIGINFO si_addr/si_code, siglongjmp out, fix and return");
    set_action(SIGSEGV, on_segv, 0);
    segv_count = 0;
    CHECK(faults((volatile char *)0x10));
    CHECK_EQ(segv_signo, SIGSEGV);
    CHECK_EQ(segv_addr, 0x10);
    CHECK_EQ(segv_code, SEGV_MAPERR);
    CHECK(!is_blocked(SIGSEGV)); /* siglongjmp restored the mask */

    char *none = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(none != MAP_FAILED);
    CHECK(faults(none + PAGE + 123));
    CHECK_EQ(segv_addr, none + PAGE + 123);
    CHECK_EQ(segv_code, SEGV_ACCERR);
    CHECK(mprotect(none, PAGE, PROT_READ) == 0);
    CHECK(faults(none + 8)); /* write to a read-only page */
    CHECK_EQ(segv_addr, none + 8);
    CHECK_EQ(segv_code, SEGV_ACCERR);
    munmap(none, 2 * PAGE);
    char *gone = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, PAGE);
    CHECK(faults(gone + 100));
    CHECK_EQ(segv_addr, gone + 100);
    CHECK_EQ(segv_code, SEGV_MAPERR);
    CHECK_EQ(segv_count, 4);

    /* The handler fixes the protection and returns: the store re-runs. */
    fix_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(fix_page != MAP_FAILED);
    segv_count = 0;
    if (sigsetjmp(segv_jump, 1) == 0) {
        ((volatile char *)fix_page)[42] = 7;
        CHECK_EQ(fix_page[42], 7);
    } else {
        CHECK(!"the handler jumped instead of returning");
    }
    CHECK_EQ(segv_count, 1);
    munmap(fix_page, PAGE);
    fix_page = NULL;
    set_default(SIGSEGV);
    check_end();
}

/* ---- SIGCHLD and sigsuspend */

static volatile int chld_count;
static volatile pid_t chld_pid;

static void on_chld(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    chld_count++;
    chld_pid = si->si_pid;
}

static void test_sigchld(void) {
    check_begin("SIGCHLD arrives when a child exits; sigsuspend waits for it");
    set_action(SIGCHLD, on_chld, 0);
    block(SIGCHLD, SIG_BLOCK);
    chld_count = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    sigset_t wait_mask;
    sigprocmask(SIG_SETMASK, NULL, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    /* Blocked until sigsuspend, so it cannot be missed in between. */
    CHECK_ERR(sigsuspend(&wait_mask), EINTR);
    CHECK_EQ(chld_count, 1);
    CHECK_EQ(chld_pid, pid);
    CHECK(is_blocked(SIGCHLD)); /* sigsuspend restored the mask */
    check_child_status(pid, 0, 0);
    block(SIGCHLD, SIG_UNBLOCK);
    CHECK_EQ(chld_count, 1);
    set_default(SIGCHLD);
    check_end();
}

/* ---- pending */

static volatile int usr1_count;
static void on_usr1(int sig) {
    (void)sig;
    usr1_count++;
}

static void test_pending(void) {
    check_begin("a blocked signal stays pending until unblocked, then runs once");
    set_handler(SIGUSR1, on_usr1, 0);
    usr1_count = 0;
    block(SIGUSR1, SIG_BLOCK);
    /* A standard signal does not queue twice. (kill pends it for the
     * process, raise = tgkill for the thread: Linux keeps the two sets
     * apart, so one of each would be delivered twice. Not tested.) */
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(usr1_count, 0);
    sigset_t pending;
    sigemptyset(&pending);
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(sigismember(&pending, SIGUSR1));
    CHECK(!sigismember(&pending, SIGUSR2));
    block(SIGUSR1, SIG_UNBLOCK); /* delivered on the way out of this call */
    CHECK_EQ(usr1_count, 1);
    sigemptyset(&pending);
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(!sigismember(&pending, SIGUSR1));
    /* The same for a thread-directed signal. */
    block(SIGUSR1, SIG_BLOCK);
    CHECK_EQ(raise(SIGUSR1), 0);
    CHECK_EQ(raise(SIGUSR1), 0);
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGUSR1));
    CHECK_EQ(usr1_count, 1);
    block(SIGUSR1, SIG_UNBLOCK);
    CHECK_EQ(usr1_count, 2);
    /* Unblocked: delivered at once. */
    CHECK_EQ(raise(SIGUSR1), 0);
    CHECK_EQ(usr1_count, 3);
    /* A pending signal that becomes ignored is discarded. */
    block(SIGUSR1, SIG_BLOCK);
    raise(SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    sigpending(&pending);
    CHECK(!sigismember(&pending, SIGUSR1));
    block(SIGUSR1, SIG_UNBLOCK);
    CHECK_EQ(usr1_count, 3);
    set_default(SIGUSR1);
    check_end();
}

/* ---- the mask inside a handler */

static volatile int inner_usr1_blocked, inner_usr2_blocked, inner_term_blocked, mask_handler_runs;
static void on_usr1_mask(int sig) {
    (void)sig;
    mask_handler_runs++;
    inner_usr1_blocked = is_blocked(SIGUSR1);
    inner_usr2_blocked = is_blocked(SIGUSR2);
    inner_term_blocked = is_blocked(SIGTERM);
}

static void test_handler_mask(void) {
    check_begin("inside a handler: its signal and sa_mask blocked; SA_NODEFER; mask restored");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1_mask;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    mask_handler_runs = 0;
    raise(SIGUSR1);
    CHECK_EQ(mask_handler_runs, 1);
    CHECK(inner_usr1_blocked);
    CHECK(inner_usr2_blocked);
    CHECK(!inner_term_blocked);
    CHECK(!is_blocked(SIGUSR1) && !is_blocked(SIGUSR2));
    sa.sa_flags = SA_NODEFER;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    raise(SIGUSR1);
    CHECK_EQ(mask_handler_runs, 2);
    CHECK(!inner_usr1_blocked);
    CHECK(inner_usr2_blocked);
    set_default(SIGUSR1);
    check_end();
}

static void test_resethand(void) {
    check_begin("SA_RESETHAND: the handler runs once, then the default is back");
    set_handler(SIGUSR2, on_usr1, SA_RESETHAND);
    usr1_count = 0;
    raise(SIGUSR2);
    CHECK_EQ(usr1_count, 1);
    struct sigaction now;
    CHECK_EQ(sigaction(SIGUSR2, NULL, &now), 0);
    CHECK(now.sa_handler == SIG_DFL);
    check_end();
}

/* ---- SA_RESTART and EINTR on a blocking pipe read */

/* A child that signals the parent a few times (so at least one lands while
 * it is blocked in read), then writes "data" unless told to stop first. */
static pid_t spawn_nagger(int write_fd, int signals) {
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < signals; i++) {
            short_sleep(30);
            kill(parent, SIGUSR1);
        }
        short_sleep(30);
        (void)!write(write_fd, "data", 4);
        _exit(0);
    }
    CHECK(pid > 0);
    return pid;
}

static void test_restart(void) {
    check_begin("SA_RESTART restarts a blocking pipe read");
    set_handler(SIGUSR1, on_usr1, SA_RESTART);
    usr1_count = 0;
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = spawn_nagger(p[1], 3);
    char buf[8] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf), 4);
    CHECK(memcmp(buf, "data", 4) == 0);
    CHECK(usr1_count >= 1);
    check_child_status(pid, 0, 0);
    close(p[0]);
    close(p[1]);
    set_default(SIGUSR1);
    check_end();
}

static void test_eintr(void) {
    check_begin("without SA_RESTART a blocking pipe read fails with EINTR");
    set_handler(SIGUSR1, on_usr1, 0);
    usr1_count = 0;
    int p[2];
    CHECK_EQ(pipe(p), 0);
    /* Signals keep coming, data never: the read can only end by EINTR. */
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 200; i++) {
            short_sleep(30);
            kill(parent, SIGUSR1);
        }
        _exit(1);
    }
    char buf[8];
    CHECK_ERR(read(p[0], buf, sizeof buf), EINTR);
    CHECK(usr1_count >= 1);
    kill(pid, SIGKILL);
    check_child_status(pid, 0, SIGKILL);
    close(p[0]);
    close(p[1]);
    set_default(SIGUSR1);
    check_end();
}

/* ---- kill and tgkill to another process */

static volatile int got_code[2], got_pid[2], got_count;
static void on_usr2_info(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    if (got_count < 2) {
        got_code[got_count] = si->si_code;
        got_pid[got_count] = si->si_pid;
    }
    got_count++;
}

static void test_kill(void) {
    check_begin("kill and tgkill reach another process; kill(pid, 0); errors");
    int ready[2], ack[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(ack), 0);
    set_action(SIGUSR2, on_usr2_info, 0);
    block(SIGUSR2, SIG_BLOCK);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int base = check_failures;
        got_count = 0;
        sigset_t open_mask;
        sigemptyset(&open_mask);
        (void)!write(ready[1], "r", 1);
        for (int i = 0; i < 2; i++) {
            while (got_count <= i) sigsuspend(&open_mask);
            (void)!write(ack[1], "a", 1);
        }
        CHECK_EQ(got_count, 2);
        CHECK_EQ(got_code[0], SI_USER);
        CHECK_EQ(got_code[1], SI_TKILL);
        CHECK_EQ(got_pid[0], getppid());
        CHECK_EQ(got_pid[1], getppid());
        check_child_done(base);
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    CHECK_EQ(kill(pid, 0), 0);
    CHECK_EQ(kill(pid, SIGUSR2), 0);
    CHECK_EQ(read(ack[0], &c, 1), 1);
    CHECK_EQ(syscall(SYS_tgkill, pid, pid, SIGUSR2), 0);
    CHECK_EQ(read(ack[0], &c, 1), 1);
    check_child_status(pid, 0, 0);
    CHECK_ERR(kill(pid, 0), ESRCH); /* reaped: gone */
    CHECK_ERR(kill(getpid(), 65), EINVAL);
    CHECK_ERR(kill(getpid(), -1), EINVAL);
    CHECK_ERR(syscall(SYS_tgkill, getpid(), pid, 0), ESRCH);
    CHECK_ERR(syscall(SYS_tgkill, 0, getpid(), 0), EINVAL);
    block(SIGUSR2, SIG_UNBLOCK);
    set_default(SIGUSR2);
    close(ready[0]);
    close(ready[1]);
    close(ack[0]);
    close(ack[1]);
    check_end();
}

/* ---- default actions */

static void test_default(void) {
    check_begin("default actions: SIGTERM/SIGUSR1 terminate, SIGWINCH is ignored");
    const int fatal[] = {SIGTERM, SIGUSR1, SIGHUP, SIGPIPE};
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            for (;;) pause();
        }
        CHECK_EQ(kill(pid, fatal[i]), 0);
        check_child_status(pid, 0, fatal[i]);
    }
    /* SIGWINCH and SIGURG are ignored by default: the blocked read goes on
     * and returns the data. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char buf[4];
        ssize_t n = read(p[0], buf, sizeof buf);
        _exit(n == 1 ? 0 : 1);
    }
    short_sleep(20);
    CHECK_EQ(kill(pid, SIGWINCH), 0);
    CHECK_EQ(kill(pid, SIGURG), 0);
    CHECK_EQ(kill(pid, SIGCHLD), 0);
    short_sleep(20);
    CHECK_EQ(write(p[1], "x", 1), 1);
    check_child_status(pid, 0, 0);
    close(p[0]);
    close(p[1]);
    check_end();
}

/* ---- SIGSTOP / SIGCONT */

static volatile int *cont_seen; /* shared with the child */
static void on_cont(int sig) {
    (void)sig;
    *cont_seen = 1;
}

static void test_stop(void) {
    check_begin("SIGSTOP stops a child until SIGCONT; its SIGCONT handler runs");
    volatile long *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    if (shared == MAP_FAILED) {
        check_end();
        return;
    }
    cont_seen = (volatile int *)&shared[1];
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        set_handler(SIGCONT, on_cont, 0);
        for (;;) shared[0]++;
    }
    while (shared[0] < 1000) sched_yield();
    CHECK_EQ(kill(pid, SIGSTOP), 0);
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    /* Stopped: it cannot count, however long we look. */
    long frozen = shared[0];
    short_sleep(50);
    CHECK_EQ(shared[0], frozen);
    CHECK_EQ(*cont_seen, 0);
    CHECK_EQ(kill(pid, SIGCONT), 0);
    for (int i = 0; i < 100000 && shared[0] == frozen; i++) sched_yield();
    CHECK(shared[0] != frozen);
    for (int i = 0; i < 100000 && !*cont_seen; i++) sched_yield();
    CHECK_EQ(*cont_seen, 1);
    CHECK_EQ(kill(pid, SIGKILL), 0);
    check_child_status(pid, 0, SIGKILL);
    munmap((void *)shared, PAGE);
    check_end();
}

/* ---- SIGCHLD ignored */

static void test_ignore_chld(void) {
    check_begin("SIGCHLD set to SIG_IGN: no zombies, wait gives ECHILD");
    signal(SIGCHLD, SIG_IGN);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    /* Blocks until every child has gone, then has nothing to report. */
    CHECK_ERR(waitpid(-1, NULL, 0), ECHILD);
    CHECK_ERR(kill(pid, 0), ESRCH);
    set_default(SIGCHLD);
    check_end();
}

/* ---- sigaction round trip */

static void on_dummy(int sig) { (void)sig; }

static void test_sigaction(void) {
    check_begin("sigaction returns the old action exactly");
    struct sigaction sa, old, back;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_dummy;
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGRTMIN + 3);
    CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    CHECK(old.sa_handler == SIG_DFL);
    memset(&back, 0xff, sizeof back);
    CHECK_EQ(sigaction(SIGUSR1, NULL, &back), 0);
    CHECK(back.sa_handler == on_dummy);
    CHECK_EQ(back.sa_flags & (SA_RESTART | SA_NODEFER | SA_SIGINFO | SA_RESETHAND), SA_RESTART | SA_NODEFER);
    CHECK(sigismember(&back.sa_mask, SIGTERM));
    CHECK(sigismember(&back.sa_mask, SIGRTMIN + 3));
    CHECK(!sigismember(&back.sa_mask, SIGINT));
    /* Set and get in one call: old is the previous one. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    CHECK_EQ(sigaction(SIGUSR1, &sa, &back), 0);
    CHECK(back.sa_handler == on_dummy);
    CHECK_EQ(sigaction(SIGUSR1, &old, &back), 0);
    CHECK(back.sa_handler == SIG_IGN);
    CHECK_EQ(sigaction(SIGUSR1, NULL, &back), 0);
    CHECK(back.sa_handler == SIG_DFL);
    CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERR(sigaction(0, &sa, NULL), EINVAL);
    CHECK_ERR(sigaction(65, NULL, &back), EINVAL);
    check_end();
}

/* ---- fork: mask and handlers inherited, pending not */

static void test_fork(void) {
    check_begin("fork: mask and handlers inherited, pending signals not");
    set_handler(SIGUSR2, on_dummy, 0);
    block(SIGUSR1, SIG_BLOCK);
    raise(SIGUSR1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int base = check_failures;
        CHECK(is_blocked(SIGUSR1));
        CHECK(!is_blocked(SIGUSR2));
        sigset_t pending;
        sigemptyset(&pending);
        CHECK_EQ(sigpending(&pending), 0);
        CHECK(!sigismember(&pending, SIGUSR1));
        struct sigaction now;
        CHECK_EQ(sigaction(SIGUSR2, NULL, &now), 0);
        CHECK(now.sa_handler == on_dummy);
        check_child_done(base);
    }
    check_child_status(pid, 0, 0);
    sigset_t pending;
    sigemptyset(&pending);
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(sigismember(&pending, SIGUSR1)); /* still pending in the parent */
    signal(SIGUSR1, SIG_IGN);               /* discards it */
    block(SIGUSR1, SIG_UNBLOCK);
    set_default(SIGUSR1);
    set_default(SIGUSR2);
    check_end();
}

/* ---- timers and waiting for signals */

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static void test_itimer(void) {
    check_begin("alarm/setitimer: SIGALRM once and periodically, getitimer, EINTR of a read");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    alarms = 0;
    /* A one-shot 50 ms timer interrupts a read that would block forever. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    struct itimerval once = {{0, 0}, {0, 50000}};
    CHECK_EQ(setitimer(ITIMER_REAL, &once, NULL), 0);
    struct itimerval left;
    CHECK_EQ(getitimer(ITIMER_REAL, &left), 0);
    CHECK(left.it_value.tv_sec == 0 && left.it_value.tv_usec > 0 && left.it_value.tv_usec <= 50000);
    char c;
    CHECK_ERR(read(p[0], &c, 1), EINTR);
    CHECK_EQ(alarms, 1);
    CHECK_EQ(getitimer(ITIMER_REAL, &left), 0);
    CHECK(left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0); /* fired: disarmed */
    /* Periodic: 10 ms interval; count at least three, then disarm. */
    struct itimerval periodic = {{0, 10000}, {0, 10000}};
    CHECK_EQ(setitimer(ITIMER_REAL, &periodic, NULL), 0);
    while (alarms < 4) pause();
    struct itimerval off = {{0, 0}, {0, 0}}, old;
    CHECK_EQ(setitimer(ITIMER_REAL, &off, &old), 0);
    CHECK(old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 10000);
    CHECK(alarms >= 4); /* one more may have come before the disarm */
    int seen = alarms;
    struct timespec quiet = {0, 50 * 1000 * 1000};
    nanosleep(&quiet, NULL);
    CHECK_EQ(alarms, seen); /* disarmed: no more */
    /* alarm(): seconds left of the previous one. */
    CHECK_EQ(alarm(100), 0);
    CHECK(alarm(0) > 98);
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    CHECK_ERR(setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
    close(p[0]);
    close(p[1]);
    set_default(SIGALRM);
    check_end();
}

static void test_sigtimedwait(void) {
    check_begin("sigtimedwait/sigwaitinfo take a blocked signal without its handler; EAGAIN on timeout");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigset_t old;
    CHECK_EQ(sigprocmask(SIG_BLOCK, &set, &old), 0);
    struct timespec none = {0, 0};
    CHECK_ERR(sigtimedwait(&set, NULL, &none), EAGAIN);
    struct timespec short_wait = {0, 20 * 1000 * 1000};
    CHECK_ERR(sigtimedwait(&set, NULL, &short_wait), EAGAIN);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(sigwaitinfo(&set, &info), SIGUSR2);
    CHECK_EQ(info.si_signo, SIGUSR2);
    CHECK_EQ(info.si_code, SI_USER);
    CHECK_EQ(info.si_pid, getpid());
    /* From another process while we wait. */
    fflush(stdout);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec pause_ = {0, 30 * 1000 * 1000};
        nanosleep(&pause_, NULL);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec long_wait = {10, 0};
    memset(&info, 0, sizeof info);
    CHECK_EQ(sigtimedwait(&set, &info, &long_wait), SIGUSR1);
    CHECK_EQ(info.si_pid, pid);
    waitpid(pid, NULL, 0);
    sigset_t pending;
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(!sigismember(&pending, SIGUSR1) && !sigismember(&pending, SIGUSR2));
    CHECK_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    check_end();
}

/* A sleep stopped and continued (no handler runs) goes on sleeping toward
 * its old deadline: it neither fails with EINTR nor starts over. */
static void test_sleep_restart(void) {
    check_begin("nanosleep survives SIGSTOP/SIGCONT and ends no earlier than asked");
    int report[2];
    CHECK_EQ(pipe(report), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec start, end, want = {0, 400 * 1000 * 1000};
        clock_gettime(CLOCK_MONOTONIC, &start);
        int r = nanosleep(&want, NULL);
        int saved = errno;
        clock_gettime(CLOCK_MONOTONIC, &end);
        long elapsed_ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
        long out[3] = {r, saved, elapsed_ms};
        (void)!write(report[1], out, sizeof out);
        _exit(0);
    }
    struct timespec step = {0, 50 * 1000 * 1000};
    nanosleep(&step, NULL);
    CHECK_EQ(kill(pid, SIGSTOP), 0);
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
    CHECK(WIFSTOPPED(status));
    nanosleep(&step, NULL);
    CHECK_EQ(kill(pid, SIGCONT), 0);
    long out[3] = {-2, 0, 0};
    CHECK_EQ(read(report[0], out, sizeof out), (long)sizeof out);
    CHECK_EQ(out[0], 0); /* not -1/EINTR */
    CHECK(out[2] >= 400); /* a sleep is never shorter than asked */
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    close(report[0]);
    close(report[1]);
    check_end();
}

/* The sigaltstack system call with one struct for both (the libc wrapper's
 * arguments are restrict, so through syscall()) swaps: Linux reads the new
 * value before writing the old one. Too small a stack is ENOMEM. */
static void test_altstack_swap(void) {
    check_begin("sigaltstack: swap in place, ENOMEM below MINSIGSTKSZ, disable");
    static char first[65536], second[65536];
    stack_t ss = {.ss_sp = first, .ss_size = sizeof first, .ss_flags = 0};
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    stack_t swap = {.ss_sp = second, .ss_size = sizeof second, .ss_flags = 0};
    CHECK_EQ(syscall(SYS_sigaltstack, &swap, &swap), 0);
    CHECK(swap.ss_sp == first && swap.ss_size == sizeof first);
    stack_t now;
    CHECK_EQ(sigaltstack(NULL, &now), 0);
    CHECK(now.ss_sp == second && now.ss_flags == 0);
    stack_t tiny = {.ss_sp = first, .ss_size = 1024, .ss_flags = 0};
    CHECK_ERR(sigaltstack(&tiny, NULL), ENOMEM);
    stack_t off = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    CHECK_EQ(sigaltstack(&off, NULL), 0);
    CHECK_EQ(sigaltstack(NULL, &now), 0);
    CHECK_EQ(now.ss_flags, SS_DISABLE);
    check_end();
}

/* ---- the terminal's foreground group (what a shell's job control uses) */

static void test_job_control(void) {
    check_begin("setsid, TIOCSCTTY, tcsetpgrp/tcgetpgrp: ESRCH, EPERM across sessions");
    /* A group in this (the outer) session: */
    fflush(stdout);
    pid_t outer_group = fork();
    if (outer_group == 0) {
        setpgid(0, 0);
        pause();
        _exit(0);
    }
    setpgid(outer_group, outer_group);
    pid_t pid = fork();
    if (pid == 0) {
        int base = check_failures;
        CHECK_EQ(setsid(), getpid());
        CHECK_EQ(getsid(0), getpid());
        CHECK_EQ(getpgrp(), getpid());
        CHECK_ERR(setpgid(0, 0), EPERM);  /* a session leader keeps its group */
        CHECK_EQ(ioctl(0, TIOCSCTTY, 1), 0); /* root may take the console over */
        CHECK_EQ(tcsetpgrp(0, getpid()), 0);
        CHECK_EQ(tcgetpgrp(0), getpid());
        CHECK_EQ(ioctl(0, TIOCGSID, &(pid_t){0}), 0);
        CHECK_ERR(tcsetpgrp(0, outer_group), EPERM); /* a group in another session */
        CHECK_ERR(tcsetpgrp(0, 0x3ffffff0), ESRCH);  /* no such group */
        /* A second group of this session may become the foreground. */
        pid_t member = fork();
        if (member == 0) {
            setpgid(0, 0);
            pause();
            _exit(0);
        }
        CHECK_EQ(setpgid(member, member), 0); /* either side may set it first */
        CHECK_EQ(tcsetpgrp(0, member), 0);
        CHECK_EQ(tcgetpgrp(0), member);
        kill(member, SIGKILL);
        waitpid(member, NULL, 0);
        _exit(check_failures != base);
    }
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(status, 0);
    kill(outer_group, SIGKILL);
    waitpid(outer_group, NULL, 0);
    check_end();
}

/* sigqueue: rt_sigqueueinfo's value and code reach a SA_SIGINFO handler
 * and sigwaitinfo; a code that pretends to be kill()'s is EPERM for another
 * process. */
static volatile sig_atomic_t g_queued_value;
static volatile sig_atomic_t g_queued_code;
static void on_queued(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    g_queued_value = info->si_value.sival_int;
    g_queued_code = info->si_code;
}

static void test_sigqueue(void) {
    check_begin("sigqueue: values and codes of rt_sigqueueinfo");
    struct sigaction action = { 0 };
    action.sa_sigaction = on_queued;
    action.sa_flags = SA_SIGINFO;
    CHECK_EQ(sigaction(SIGRTMIN + 1, &action, NULL), 0);
    union sigval value = { .sival_int = 4242 };
    CHECK_EQ(sigqueue(getpid(), SIGRTMIN + 1, value), 0);
    CHECK_EQ(g_queued_value, 4242);
    CHECK_EQ(g_queued_code, SI_QUEUE);
    signal(SIGRTMIN + 1, SIG_DFL);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &set, &old), 0);
    value.sival_int = 77;
    CHECK_EQ(sigqueue(getpid(), SIGUSR2, value), 0);
    siginfo_t info;
    CHECK_EQ(sigwaitinfo(&set, &info), SIGUSR2);
    CHECK_EQ(info.si_code, SI_QUEUE);
    CHECK_EQ(info.si_value.sival_int, 77);
    CHECK_EQ(info.si_pid, getpid());
    CHECK_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);

    /* Pretending to be kill() (SI_USER) is allowed only towards oneself. */
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    siginfo_t forged;
    memset(&forged, 0, sizeof forged);
    forged.si_signo = SIGUSR1;
    forged.si_code = SI_USER;
    CHECK_ERR(syscall(SYS_rt_sigqueueinfo, child, SIGUSR1, &forged), EPERM);
    forged.si_code = SI_QUEUE;
    CHECK_EQ(syscall(SYS_rt_sigqueueinfo, child, SIGTERM, &forged), 0);
    int status = 0;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK_ERR(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (void *)8), EFAULT);
    CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR1, &forged), EINVAL);
    check_end();
}

int main(int argc, char **argv) {
    static const struct check_test tests[] = {
        {"segv", test_segv},
        {"sigqueue", test_sigqueue},
        {"sigchld", test_sigchld},
        {"pending", test_pending},
        {"handler-mask", test_handler_mask},
        {"resethand", test_resethand},
        {"restart", test_restart},
        {"eintr", test_eintr},
        {"kill", test_kill},
        {"default", test_default},
        {"stop", test_stop},
        {"ignore-chld", test_ignore_chld},
        {"sigaction", test_sigaction},
        {"fork", test_fork},
        {"job-control", test_job_control},
        {"itimer", test_itimer},
        {"sigtimedwait", test_sigtimedwait},
        {"sleep-restart", test_sleep_restart},
        {"altstack-swap", test_altstack_swap},
    };
    return check_run_tests("signals", argc, argv, tests, sizeof tests / sizeof *tests);
}
