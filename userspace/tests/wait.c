/* wait: wait4/waitpid/waitid status reporting, as Linux does it.
 *
 * usage: wait [exited|signaled|any|nohang|echild|waitid|zombie|orphan|
 *              stopped|sigchld|pgrp]   (default: all)
 *
 * Linux facts checked here:
 *   - the status encodes exit codes (code << 8) and terminating signals
 *     (low 7 bits); only the low 8 bits of an exit code survive.
 *   - waitpid(-1) takes any child; WNOHANG gives 0 while the child runs;
 *     with no children (or a pid that is not a child) it is ECHILD.
 *   - waitid fills siginfo: si_signo SIGCHLD, si_code CLD_EXITED/CLD_KILLED/
 *     CLD_STOPPED/CLD_CONTINUED, si_status the code or signal, si_pid;
 *     with WNOHANG and nothing to report it returns 0 with si_pid zeroed;
 *     WNOWAIT leaves the child waitable.
 *   - a dead child stays a zombie (kill(pid, 0) succeeds) until reaped,
 *     then the pid is gone (ESRCH).
 *   - an orphan is re-parented (to PID 1 on linux-ref, where /prog runs as
 *     a child of PID 1, busybox sh) and its grandparent cannot wait for it
 *     (unless the grandparent is PID 1: then it is the new parent).
 *   - WUNTRACED reports SIGSTOP, WCONTINUED reports SIGCONT.
 *   - SIGCHLD reaches the parent with si_pid/si_code/si_status.
 *   - waitpid(0) waits for the caller's process group, waitpid(-pgid) for
 *     another group.
 */
#define _GNU_SOURCE
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what, int got, int want) {
    printf("  %s: got %d (0x%x), want %d\n", what, got, got, want);
    check_failures++;
    check_group_fails++;
}

/* A child that sleeps (in pause) until a signal ends it. */
static pid_t spawn_pauser(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    CHECK(pid > 0);
    return pid;
}

/* A child that exits with code once a byte (or EOF) arrives on fd. */
static pid_t spawn_waiter(int read_fd, int code) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        (void)!read(read_fd, &c, 1);
        _exit(code);
    }
    CHECK(pid > 0);
    return pid;
}

static void short_sleep(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void test_exited(void) {
    check_begin("WIFEXITED/WEXITSTATUS for several exit codes");
    const int codes[] = {0, 1, 2, 42, 127, 255, 256, 300};
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) _exit(codes[i]);
        int status = -1;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status));
        CHECK(!WIFSIGNALED(status) && !WIFSTOPPED(status));
        if (WEXITSTATUS(status) != (codes[i] & 0xff)) fail("exit status", WEXITSTATUS(status), codes[i] & 0xff);
        CHECK_EQ(status, (codes[i] & 0xff) << 8);
    }
    /* wait4 and wait report the same. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(9);
    int status = -1;
    CHECK_EQ(wait(&status), pid);
    CHECK_EQ(status, 9 << 8);
    check_end();
}

static void test_signaled(void) {
    check_begin("WIFSIGNALED/WTERMSIG: SIGKILL, SIGTERM, SIGINT, SIGUSR1, SIGSEGV, SIGABRT");
    const int sigs[] = {SIGKILL, SIGTERM, SIGINT, SIGUSR1};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        pid_t pid = spawn_pauser();
        CHECK_EQ(kill(pid, sigs[i]), 0);
        int status = -1;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) && !WIFEXITED(status));
        if (WTERMSIG(status) != sigs[i]) fail("WTERMSIG", WTERMSIG(status), sigs[i]);
    }
    /* Faults: WCOREDUMP may be set (core dumps enabled) and is not asserted. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        volatile uintptr_t addr = 0x10;
        *(volatile int *)addr = 1;
        _exit(99);
    }
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status));
    if (WTERMSIG(status) != SIGSEGV) fail("WTERMSIG of a NULL write", WTERMSIG(status), SIGSEGV);
    fflush(stdout);
    pid = fork();
    if (pid == 0) abort();
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status));
    if (WTERMSIG(status) != SIGABRT) fail("WTERMSIG of abort()", WTERMSIG(status), SIGABRT);
    check_end();
}

static void test_any(void) {
    check_begin("waitpid(-1) reaps any child, each once");
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        pids[i] = fork();
        if (pids[i] == 0) _exit(10 + i);
    }
    int seen = 0;
    for (int n = 0; n < 3; n++) {
        int status = -1;
        pid_t got = waitpid(-1, &status, 0);
        int found = 0;
        for (int i = 0; i < 3; i++) {
            if (got == pids[i]) {
                found = 1;
                CHECK(!(seen & (1 << i)));
                seen |= 1 << i;
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 10 + i);
            }
        }
        CHECK(found);
    }
    CHECK_EQ(seen, 7);
    CHECK_ERR(waitpid(-1, NULL, 0), ECHILD);
    check_end();
}

static void test_nohang(void) {
    check_begin("WNOHANG returns 0 while the child runs");
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = spawn_waiter(p[0], 5);
    int status = 12345;
    CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);
    CHECK_EQ(waitpid(-1, &status, WNOHANG), 0);
    CHECK_EQ(status, 12345); /* untouched when nothing is reported */
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(status, 5 << 8);
    close(p[0]);
    close(p[1]);
    check_end();
}

static void test_echild(void) {
    check_begin("ECHILD without children or for a non-child; EINVAL for bad options");
    CHECK_ERR(waitpid(-1, NULL, 0), ECHILD);
    CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
    CHECK_ERR(waitpid(getpid(), NULL, 0), ECHILD);
    CHECK_ERR(waitpid(getppid(), NULL, 0), ECHILD);
    CHECK_ERR(waitpid(0, NULL, 0), ECHILD);
    siginfo_t si;
    CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
    CHECK_ERR(waitid(P_PID, (id_t)getpid(), &si, WEXITED), ECHILD);
    CHECK_ERR(waitpid(-1, NULL, 0x10000000), EINVAL);
    CHECK_ERR(waitid(P_ALL, 0, &si, 0), EINVAL); /* no event asked for */
    check_end();
}

static void test_waitid(void) {
    check_begin("waitid: CLD_EXITED/CLD_KILLED, si_status, WNOHANG, WNOWAIT");
    siginfo_t si;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(77);
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED), 0);
    CHECK_EQ(si.si_signo, SIGCHLD);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_status, 77);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_uid, getuid());
    CHECK_ERR(waitpid(pid, NULL, 0), ECHILD); /* reaped */

    pid = spawn_pauser();
    CHECK_EQ(kill(pid, SIGKILL), 0);
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0);
    CHECK_EQ(si.si_signo, SIGCHLD);
    CHECK_EQ(si.si_code, CLD_KILLED);
    CHECK_EQ(si.si_status, SIGKILL);
    CHECK_EQ(si.si_pid, pid);

    /* WNOHANG with a running child: 0, and Linux zeroes si_pid. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid = spawn_waiter(p[0], 3);
    memset(&si, 0, sizeof si);
    si.si_pid = 12345;
    CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG), 0);
    CHECK_EQ(si.si_pid, 0);
    CHECK_EQ(write(p[1], "x", 1), 1);
    /* WNOWAIT: reported, but still there to be waited for. */
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_status, 3);
    CHECK_EQ(si.si_pid, pid);
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0);
    CHECK_EQ(si.si_pid, pid);
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(status, 3 << 8);
    close(p[0]);
    close(p[1]);
    check_end();
}

static void test_zombie(void) {
    check_begin("a dead child stays a zombie until reaped");
    int p[2];
    CHECK_EQ(pipe(p), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        _exit(4); /* closes p[1]: the parent sees EOF */
    }
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 0);
    close(p[0]);
    /* Wait (without reaping) until it has really exited. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    CHECK_EQ(si.si_pid, pid);
    /* Its pid still exists; signals to a zombie are accepted and ignored. */
    CHECK_EQ(kill(pid, 0), 0);
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK_EQ(syscall(SYS_tgkill, pid, pid, 0), 0); /* its main thread too */
    CHECK_EQ(syscall(SYS_tkill, pid, SIGTERM), 0);
    CHECK_EQ(getpgid(pid), getpgid(0));
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, WNOHANG), pid);
    CHECK_EQ(status, 4 << 8); /* the SIGKILL changed nothing */
    CHECK_ERR(kill(pid, 0), ESRCH);
    CHECK_ERR(waitpid(pid, NULL, WNOHANG), ECHILD);
    check_end();
}

static void test_orphan(void) {
    check_begin("an orphan is re-parented; its grandparent cannot wait for it");
    int p[2];
    CHECK_EQ(pipe(p), 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        pid_t me = getpid();
        pid_t grandchild = fork();
        if (grandchild == 0) {
            /* Wait (bounded) for the parent to die, then report. */
            pid_t pp = getppid();
            for (int i = 0; i < 1000 && pp == me; i++) {
                short_sleep(5);
                pp = getppid();
            }
            pid_t report[2] = {getpid(), pp};
            (void)!write(p[1], report, sizeof report);
            _exit(0);
        }
        _exit(grandchild > 0 ? 0 : 1);
    }
    close(p[1]);
    int status = -1;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK_EQ(status, 0);
    pid_t report[2] = {0, 0};
    CHECK_EQ(read(p[0], report, sizeof report), (long)sizeof report);
    close(p[0]);
    printf("  the orphan's new parent is PID %d (its old parent was %d, the test is %d)\n", (int)report[1],
           (int)child, (int)getpid());
    CHECK(report[0] > 0);
    CHECK(report[1] != child);
    /* PID 1 on Linux. Akuma's test mode has no PID 1 (the kernel runs the
     * tests): orphans are then reaped by the kernel and getppid() is 0. */
    CHECK(report[1] >= 0);
    if (getpid() == 1) {
        /* This test is PID 1 itself (e.g. ./akuma exec): the orphan is
         * ours now, and ours to reap. */
        CHECK_EQ(report[1], 1);
        status = -1;
        CHECK_EQ(waitpid(report[0], &status, 0), report[0]);
        CHECK_EQ(status, 0);
    } else {
        CHECK(report[1] != getpid());
        CHECK_ERR(waitpid(report[0], NULL, WNOHANG), ECHILD);
    }
    check_end();
}

static void test_stopped(void) {
    check_begin("WUNTRACED reports SIGSTOP, WCONTINUED reports SIGCONT");
    pid_t pid = spawn_pauser();
    CHECK_EQ(kill(pid, SIGSTOP), 0);
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
    CHECK(WIFSTOPPED(status));
    if (WSTOPSIG(status) != SIGSTOP) fail("WSTOPSIG", WSTOPSIG(status), SIGSTOP);
    CHECK_EQ(status, (SIGSTOP << 8) | 0x7f);
    /* Reported once; a plain wait does not see stops. */
    CHECK_EQ(waitpid(pid, &status, WUNTRACED | WNOHANG), 0);
    CHECK_EQ(kill(pid, SIGCONT), 0);
    status = -1;
    CHECK_EQ(waitpid(pid, &status, WCONTINUED), pid);
    CHECK(WIFCONTINUED(status));
    CHECK_EQ(status, 0xffff);
    CHECK_EQ(waitpid(pid, &status, WCONTINUED | WNOHANG), 0);

    /* The same through waitid. */
    CHECK_EQ(kill(pid, SIGSTOP), 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WSTOPPED), 0);
    CHECK_EQ(si.si_code, CLD_STOPPED);
    CHECK_EQ(si.si_status, SIGSTOP);
    CHECK_EQ(si.si_pid, pid);
    /* A stopped child still dies of SIGKILL... but first continue it. */
    CHECK_EQ(kill(pid, SIGCONT), 0);
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WCONTINUED), 0);
    CHECK_EQ(si.si_code, CLD_CONTINUED);
    CHECK_EQ(si.si_status, SIGCONT);
    CHECK_EQ(kill(pid, SIGSTOP), 0);
    CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    check_end();
}

static volatile sig_atomic_t sigchld_count;
static volatile pid_t sigchld_pid;
static volatile int sigchld_code, sigchld_status;

static void on_sigchld(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    sigchld_count++;
    sigchld_pid = si->si_pid;
    sigchld_code = si->si_code;
    sigchld_status = si->si_status;
}

static void test_sigchld(void) {
    check_begin("SIGCHLD reaches the parent with the child's pid and status");
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigchld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGCHLD, &sa, &old), 0);
    sigchld_count = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(6);
    int status = -1;
    /* The signal is queued when the child dies, before wait returns. */
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(status, 6 << 8);
    CHECK_EQ(sigchld_count, 1);
    CHECK_EQ(sigchld_pid, pid);
    CHECK_EQ(sigchld_code, CLD_EXITED);
    CHECK_EQ(sigchld_status, 6);

    /* A killed child: CLD_KILLED with the signal. */
    sigchld_count = 0;
    pid = spawn_pauser();
    CHECK_EQ(kill(pid, SIGTERM), 0);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_EQ(sigchld_count, 1);
    CHECK_EQ(sigchld_pid, pid);
    CHECK_EQ(sigchld_code, CLD_KILLED);
    CHECK_EQ(sigchld_status, SIGTERM);
    CHECK_EQ(sigaction(SIGCHLD, &old, NULL), 0);
    check_end();
}

static void test_pgrp(void) {
    check_begin("waitpid(0) waits for the caller's group, waitpid(-pgid) for another");
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t same = spawn_waiter(p[0], 1);
    fflush(stdout);
    pid_t other = fork();
    if (other == 0) {
        setpgid(0, 0);
        char c;
        (void)!read(p[0], &c, 1);
        _exit(2);
    }
    /* Both sides set the group, so it is in place whoever runs first. */
    CHECK_EQ(setpgid(other, other), 0);
    CHECK_EQ(getpgid(other), other);
    CHECK_EQ(getpgid(same), getpgid(0));
    CHECK_EQ(write(p[1], "xy", 2), 2); /* one byte releases each */
    close(p[1]);
    close(p[0]);
    int status = -1;
    CHECK_EQ(waitpid(0, &status, 0), same);
    CHECK_EQ(status, 1 << 8);
    /* The only child left is in another group: none in ours. */
    CHECK_ERR(waitpid(0, &status, 0), ECHILD);
    CHECK_EQ(waitpid(-other, &status, 0), other);
    CHECK_EQ(status, 2 << 8);
    check_end();
}

/* A zombie child asked only for stops (no WEXITED): ECHILD at once, as on
 * Linux (it can never report a stop), and it is still there to reap. */
static void test_zombie_not_stoppable(void) {
    check_begin("zombie-wstopped: waitid(WSTOPPED) with only a zombie child is ECHILD");
    pid_t child = fork();
    if (child == 0)
        _exit(5);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);  /* it is a zombie now */
    CHECK_ERR(waitid(P_ALL, 0, &info, WSTOPPED), ECHILD);
    CHECK_ERR(waitid(P_PID, child, &info, WSTOPPED | WCONTINUED), ECHILD);
    int status = 0;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
    check_end();
}

int main(int argc, char **argv) {
    static const struct check_test tests[] = {
        {"exited", test_exited},
        {"signaled", test_signaled},
        {"any", test_any},
        {"nohang", test_nohang},
        {"echild", test_echild},
        {"waitid", test_waitid},
        {"zombie", test_zombie},
        {"orphan", test_orphan},
        {"stopped", test_stopped},
        {"sigchld", test_sigchld},
        {"pgrp", test_pgrp},
        {"zombie-wstopped", test_zombie_not_stoppable},
    };
    return check_run_tests("wait", argc, argv, tests, sizeof tests / sizeof *tests);
}
