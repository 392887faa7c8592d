/* pidfd: pidfd_open, pidfd_send_signal, waitid(P_PIDFD) and poll on a
 * pidfd, as Linux has them.
 *   open    errors (EINVAL, ESRCH), close-on-exec, the anonymous file
 *   poll    readable once the process exits, reaped or not
 *   signal  pidfd_send_signal kills a child; errors (EBADF, EINVAL)
 *   procdir pidfd_send_signal takes a /proc/PID directory as a pidfd (and
 *           nothing else of /proc); waitid and pidfd_getfd do not
 *   wait    waitid(P_PIDFD), WNOHANG by a nonblocking pidfd (EAGAIN)
 *   clone   CLONE_PIDFD through clone3 and clone; its errors make no child
 * Usage: pidfd [GROUP]. */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int signal, siginfo_t *info, unsigned flags) {
    return (int)syscall(SYS_pidfd_send_signal, fd, signal, info, flags);
}

static int readable(int fd, int timeout_ms) {
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static pid_t sleeper(void) {
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    return child;
}

static void test_open(void) {
    check_begin("open: errors, close-on-exec, an anonymous file");
    CHECK_ERR(pidfd_open(-1, 0), EINVAL);
    CHECK_ERR(pidfd_open(getpid(), 1), EINVAL);
    CHECK_ERR(pidfd_open(4000000, 0), ESRCH);
    int fd = pidfd_open(getpid(), 0);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    char link[64], target[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    CHECK(n > 0);
    if (n > 0) {
        target[n] = 0;
        CHECK(strcmp(target, "anon_inode:[pidfd]") == 0);
    }
    CHECK(!readable(fd, 0));  /* we are alive */
    close(fd);
    check_end();
}

static void test_poll(void) {
    check_begin("poll: readable once the process exits, reaped or not");
    pid_t child = fork();
    if (child == 0) {
        struct timespec ts = { 0, 50000000 };
        nanosleep(&ts, NULL);
        _exit(3);
    }
    int fd = pidfd_open(child, 0);
    CHECK(fd >= 0);
    CHECK(!readable(fd, 0));
    CHECK(readable(fd, 5000));  /* woken by the exit */
    int status = 0;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(readable(fd, 0));  /* still, once reaped */
    close(fd);
    check_end();
}

static void test_signal(void) {
    check_begin("signal: pidfd_send_signal");
    pid_t child = sleeper();
    int fd = pidfd_open(child, 0);
    CHECK(fd >= 0);
    CHECK_ERR(pidfd_send_signal(fd, SIGTERM, NULL, 1), EINVAL);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_ERR(pidfd_send_signal(p[0], SIGTERM, NULL, 0), EBADF);
    CHECK_ERR(pidfd_send_signal(999, SIGTERM, NULL, 0), EBADF);
    close(p[0]);
    close(p[1]);
    siginfo_t forged;
    memset(&forged, 0, sizeof forged);
    forged.si_signo = SIGTERM;
    forged.si_code = SI_USER;
    CHECK_ERR(pidfd_send_signal(fd, SIGTERM, &forged, 0), EPERM);  /* pretending to be kill() */
    forged.si_signo = SIGUSR1;
    forged.si_code = SI_QUEUE;
    CHECK_ERR(pidfd_send_signal(fd, SIGTERM, &forged, 0), EINVAL);  /* si_signo must match */
    CHECK_EQ(pidfd_send_signal(fd, 0, NULL, 0), 0);  /* a probe */
    CHECK_EQ(pidfd_send_signal(fd, SIGKILL, NULL, 0), 0);
    check_child_status(child, 0, SIGKILL);
    CHECK_ERR(pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH);  /* gone */
    close(fd);
    check_end();
}

static volatile sig_atomic_t g_usr1_seen;
static void on_usr1(int signal) {
    (void)signal;
    g_usr1_seen = 1;
}

static void test_procdir(void) {
    check_begin("procdir: a /proc/PID directory in place of a pidfd");
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
    CHECK(self >= 0);
    CHECK_EQ(pidfd_send_signal(self, SIGUSR1, NULL, 0), 0);
    CHECK(g_usr1_seen);
    close(self);

    pid_t child = sleeper();
    char path[32];
    snprintf(path, sizeof path, "/proc/%d", (int)child);
    int dir = open(path, O_RDONLY | O_DIRECTORY);
    CHECK(dir >= 0);
    siginfo_t info;
    CHECK_ERR(waitid(P_PIDFD, (id_t)dir, &info, WEXITED | WNOHANG), EBADF);
    CHECK_ERR((int)syscall(SYS_pidfd_getfd, dir, 0, 0), EBADF);
    CHECK_EQ(pidfd_send_signal(dir, 0, NULL, 0), 0);
    int sent = pidfd_send_signal(dir, SIGKILL, NULL, 0);
    CHECK_EQ(sent, 0);
    if (sent != 0)
        kill(child, SIGKILL); /* so that the check below does not wait for ever */
    check_child_status(child, 0, SIGKILL);
    CHECK_ERR(pidfd_send_signal(dir, SIGTERM, NULL, 0), ESRCH); /* reaped */
    close(dir);

    /* Nothing else of /proc, nor any other directory. */
    const char *others[] = { "/proc", "/proc/self/fd", "/proc/self/status", "/" };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; ++i) {
        int fd = open(others[i], O_RDONLY);
        CHECK(fd >= 0);
        CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, NULL, 0), EBADF);
        close(fd);
    }
    check_end();
}

static void test_wait(void) {
    check_begin("wait: waitid(P_PIDFD)");
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    int fd = pidfd_open(child, 0);
    CHECK(fd >= 0);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PIDFD, (id_t)fd, &info, WEXITED), 0);
    CHECK_EQ(info.si_pid, child);
    CHECK_EQ(info.si_code, CLD_EXITED);
    CHECK_EQ(info.si_status, 7);
    close(fd);

    child = sleeper();
    fd = pidfd_open(child, PIDFD_NONBLOCK);
    CHECK(fd >= 0);
    CHECK_ERR(waitid(P_PIDFD, (id_t)fd, &info, WEXITED), EAGAIN);
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PIDFD, (id_t)fd, &info, WEXITED | WNOHANG), 0);
    CHECK_EQ(info.si_pid, 0);
    kill(child, SIGKILL);
    CHECK(readable(fd, 5000));
    CHECK_EQ(waitid(P_PIDFD, (id_t)fd, &info, WEXITED), 0);
    CHECK_EQ(info.si_code, CLD_KILLED);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_ERR(waitid(P_PIDFD, (id_t)p[0], &info, WEXITED), EBADF);
    close(p[0]);
    close(p[1]);
    close(fd);
    check_end();
}

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* clone3 without a new stack: the child returns 0 into this frame, as fork. */
static long clone3_fork(struct clone_args_v0 *args) { return syscall(SYS_clone3, args, sizeof *args); }

static void test_clone(void) {
    check_begin("clone");
    /* clone3 with CLONE_PIDFD: a close-on-exec pidfd for the child. */
    int pidfd = -2;
    struct clone_args_v0 args = { CLONE_PIDFD, (uint64_t)(uintptr_t)&pidfd, 0, 0, SIGCHLD, 0, 0, 0 };
    int next_fd = dup(0);  /* the pidfd will take the lowest free number */
    close(next_fd);
    long child = clone3_fork(&args);
    if (child == 0) {
        /* Its table is a copy made before the pidfd was installed: no pidfd. */
        int has_it = fcntl(next_fd, F_GETFD) != -1;
        usleep(20000);
        _exit(has_it ? 6 : 5);
    }
    CHECK(child > 0);
    CHECK_EQ(pidfd, next_fd);
    CHECK_EQ(fcntl(pidfd, F_GETFD), FD_CLOEXEC);
    CHECK(readable(pidfd, 5000));  /* once it has exited */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PIDFD, pidfd, &info, WEXITED), 0);
    CHECK_EQ(info.si_pid, child);
    CHECK_EQ(info.si_status, 5);
    close(pidfd);

    /* clone(2): the pidfd goes where parent_tid would. */
    pidfd = -2;
    child = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
    if (child == 0) {
        for (;;)
            pause();
    }
    CHECK(child > 0);
    CHECK(pidfd >= 0);
    CHECK_EQ(pidfd_send_signal(pidfd, SIGKILL, NULL, 0), 0);
    int status = 0;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(pidfd);

    /* Errors, none of which makes a child. */
    CHECK_ERR(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pidfd, 0, 0), EINVAL);
    args.flags = CLONE_PIDFD | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    CHECK_ERR(clone3_fork(&args), EINVAL);
    args.flags = CLONE_PIDFD;
    args.pidfd = 8;
    CHECK_ERR(clone3_fork(&args), EFAULT);
    CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
    /* Without CLONE_PIDFD the field is not looked at. */
    args.flags = 0;
    child = clone3_fork(&args);
    if (child == 0)
        _exit(0);
    CHECK(child > 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    check_end();
}

/* pidfd_getfd: a copy of another process's descriptor (close-on-exec). */
static void test_getfd(void) {
    check_begin("getfd");
    int pipe_fds[2], ready[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_EQ(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        /* Holds a file of its own at descriptor 40, then waits to be told. */
        int mine = open("/proc/self/stat", O_RDONLY);
        dup2(mine, 40);
        char byte;
        if (write(ready[1], "r", 1) != 1 || read(pipe_fds[0], &byte, 1) != 1)
            _exit(1);
        _exit(0);
    }
    char byte;
    CHECK_EQ(read(ready[0], &byte, 1), 1);
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    CHECK(pidfd >= 0);
    CHECK_ERR(syscall(SYS_pidfd_getfd, pidfd, 40, 1), EINVAL);
    CHECK_ERR(syscall(SYS_pidfd_getfd, 0x7000, 40, 0), EBADF);
    CHECK_ERR(syscall(SYS_pidfd_getfd, pipe_fds[0], 40, 0), EBADF);  /* not a pidfd */
    CHECK_ERR(syscall(SYS_pidfd_getfd, pidfd, 999, 0), EBADF);
    int copy = (int)syscall(SYS_pidfd_getfd, pidfd, 40, 0);
    CHECK(copy >= 0);
    CHECK_EQ(fcntl(copy, F_GETFD), FD_CLOEXEC);
    char text[64] = { 0 };
    CHECK(read(copy, text, sizeof text - 1) > 0);  /* the child's /proc/self/stat */
    char want[16];
    snprintf(want, sizeof want, "%d (", child);
    CHECK(strncmp(text, want, strlen(want)) == 0);
    close(copy);
    CHECK_EQ(write(pipe_fds[1], "g", 1), 1);
    check_child_status(child, 0, 0);
    /* Reaped: ESRCH. */
    CHECK_ERR(syscall(SYS_pidfd_getfd, pidfd, 40, 0), ESRCH);
    close(pidfd);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close(ready[0]);
    close(ready[1]);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "open", test_open }, { "poll", test_poll }, { "signal", test_signal }, { "procdir", test_procdir },
        { "wait", test_wait },
        { "clone", test_clone }, { "getfd", test_getfd },
    };
    return check_run_tests("pidfd", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
