/* Signal-driven I/O: fcntl F_SETOWN/F_GETOWN, F_SETOWN_EX/F_GETOWN_EX,
 * F_SETSIG/F_GETSIG and O_ASYNC (F_SETFL, FIOASYNC): SIGIO, or the chosen
 * signal with si_code POLL_IN/POLL_OUT, si_band and si_fd, for pipes, UNIX
 * sockets, ptys and inotify, to a process or a process group, as Linux 6.1.
 * Validated on Linux (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

/* Waits up to `ms` for one of the blocked signals in `set`; 0 if none came. */
static int wait_signal(int signal, siginfo_t *info, int ms) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    struct timespec timeout = { ms / 1000, (ms % 1000) * 1000000L };
    memset(info, 0, sizeof *info);
    int got = sigtimedwait(&set, info, &timeout);
    return got < 0 ? 0 : got;
}

static void block(int signal) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

static void drain(int signal) {
    siginfo_t info;
    while (wait_signal(signal, &info, 0))
        ;
}

static void test_owner(void) {
    check_begin("owner");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(fcntl(fds[0], F_GETOWN), 0);
    struct f_owner_ex owner = { 7, 7 };
    CHECK_EQ(fcntl(fds[0], F_GETOWN_EX, &owner), 0);
    CHECK_EQ(owner.type, F_OWNER_TID);  /* never set: Linux's PIDTYPE_PID */
    CHECK_EQ(owner.pid, 0);
    CHECK_EQ(fcntl(fds[0], F_SETOWN, getpid()), 0);
    CHECK_EQ(fcntl(fds[0], F_GETOWN), getpid());
    int shared = dup(fds[0]);  /* the owner belongs to the open file description */
    CHECK_EQ(fcntl(shared, F_GETOWN), getpid());
    close(shared);
    CHECK_EQ(fcntl(fds[0], F_GETOWN_EX, &owner), 0);
    CHECK_EQ(owner.type, F_OWNER_PID);
    CHECK_EQ(owner.pid, getpid());
    /* A process group (in a child with a group of its own: the reference
     * machine runs tests in process group 0). */
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        CHECK_EQ(setpgid(0, 0), 0);
        CHECK_EQ(fcntl(fds[0], F_SETOWN, -getpgrp()), 0);
        CHECK_EQ(fcntl(fds[0], F_GETOWN), -getpgrp());
        CHECK_EQ(fcntl(fds[0], F_GETOWN_EX, &owner), 0);
        CHECK_EQ(owner.type, F_OWNER_PGRP);
        CHECK_EQ(owner.pid, getpgrp());
        CHECK_ERR(fcntl(fds[0], F_SETOWN, 0x3ffffff0), ESRCH);
        CHECK_EQ(fcntl(fds[0], F_GETOWN), -getpgrp());  /* unchanged */
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(fcntl(fds[0], F_SETOWN, 0), 0);
    CHECK_EQ(fcntl(fds[0], F_GETOWN), 0);
    CHECK_EQ(fcntl(fds[0], F_GETOWN_EX, &owner), 0);
    CHECK_EQ(owner.type, F_OWNER_PID);  /* 0 is "no process" */
    CHECK_EQ(owner.pid, 0);
    owner.type = F_OWNER_TID;
    owner.pid = (pid_t)syscall(SYS_gettid);
    CHECK_EQ(fcntl(fds[0], F_SETOWN_EX, &owner), 0);
    CHECK_EQ(fcntl(fds[0], F_GETOWN), (long)syscall(SYS_gettid));
    owner.type = 3;
    CHECK_ERR(fcntl(fds[0], F_SETOWN_EX, &owner), EINVAL);
    owner.type = F_OWNER_PID;
    owner.pid = 0x3ffffff0;
    CHECK_ERR(fcntl(fds[0], F_SETOWN_EX, &owner), ESRCH);
    CHECK_ERR(fcntl(fds[0], F_SETOWN_EX, (void *)8), EFAULT);
    CHECK_EQ(fcntl(fds[0], F_GETSIG), 0);
    CHECK_EQ(fcntl(fds[0], F_SETSIG, SIGRTMIN + 1), 0);
    CHECK_EQ(fcntl(fds[0], F_GETSIG), SIGRTMIN + 1);
    CHECK_ERR(fcntl(fds[0], F_SETSIG, 65), EINVAL);
    CHECK_ERR(fcntl(fds[0], F_SETSIG, -1), EINVAL);
    CHECK_EQ(fcntl(fds[0], F_SETSIG, 0), 0);
    /* O_ASYNC shows in F_GETFL (from open() too, where it starts nothing). */
    CHECK_EQ(fcntl(fds[0], F_SETFL, O_ASYNC), 0);
    CHECK_EQ(fcntl(fds[0], F_GETFL) & O_ASYNC, O_ASYNC);
    int on = 0;
    CHECK_EQ(ioctl(fds[0], FIOASYNC, &on), 0);
    CHECK_EQ(fcntl(fds[0], F_GETFL) & O_ASYNC, 0);
    int file = open("/tmp/asyncio-file", O_CREAT | O_RDWR | O_ASYNC, 0600);
    CHECK(file >= 0);
    CHECK_EQ(fcntl(file, F_GETFL) & O_ASYNC, O_ASYNC);
    CHECK_EQ(fcntl(file, F_SETOWN, getpid()), 0);  /* any file has an owner */
    CHECK_EQ(fcntl(file, F_GETOWN), getpid());
    close(file);
    unlink("/tmp/asyncio-file");
    close(fds[0]);
    close(fds[1]);
    check_end();
}

static void test_pipe(void) {
    check_begin("pipe");
    block(SIGIO);
    block(SIGRTMIN);
    siginfo_t info;
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(fcntl(fds[0], F_SETOWN, getpid()), 0);
    /* Not asked for yet: no signal. */
    CHECK_EQ(write(fds[1], "a", 1), 1);
    CHECK_EQ(wait_signal(SIGIO, &info, 100), 0);
    CHECK_EQ(fcntl(fds[0], F_SETFL, O_ASYNC | O_NONBLOCK), 0);
    CHECK_EQ(write(fds[1], "b", 1), 1);
    CHECK_EQ(wait_signal(SIGIO, &info, 1000), SIGIO);
    CHECK_EQ(info.si_code, SI_KERNEL);  /* plain SIGIO carries no details */
    /* F_SETSIG: that signal, with the reason, the band and the descriptor. */
    CHECK_EQ(fcntl(fds[0], F_SETSIG, SIGRTMIN), 0);
    CHECK_EQ(write(fds[1], "c", 1), 1);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    CHECK_EQ(info.si_code, POLL_IN);
    CHECK_EQ(info.si_fd, fds[0]);
    CHECK_EQ(info.si_band, POLLIN | POLLRDNORM);
    char buffer[65536];
    CHECK_EQ(read(fds[0], buffer, sizeof buffer), 3);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 100), 0);  /* reading wakes only writers */
    /* The write end: a signal when room comes back. */
    CHECK_EQ(fcntl(fds[1], F_SETOWN, getpid()), 0);
    CHECK_EQ(fcntl(fds[1], F_SETSIG, SIGRTMIN), 0);
    CHECK_EQ(fcntl(fds[1], F_SETFL, O_ASYNC | O_NONBLOCK), 0);
    while (write(fds[1], buffer, sizeof buffer) > 0)
        ;
    drain(SIGRTMIN);
    CHECK_EQ(read(fds[0], buffer, 4096), 4096);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    CHECK_EQ(info.si_code, POLL_OUT);
    CHECK_EQ(info.si_fd, fds[1]);
    CHECK_EQ(info.si_band, POLLOUT | POLLWRNORM | POLLWRBAND);
    drain(SIGRTMIN);
    /* O_ASYNC off again: silence. */
    CHECK_EQ(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
    CHECK_EQ(read(fds[0], buffer, 4096), 4096);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 100), 0);
    close(fds[0]);
    close(fds[1]);
    check_end();
}

static void test_socket(void) {
    check_begin("socket");
    siginfo_t info;
    int pair[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    int on = 1;
    CHECK_EQ(fcntl(pair[0], F_SETOWN, getpid()), 0);
    CHECK_EQ(ioctl(pair[0], FIOASYNC, &on), 0);
    CHECK_EQ(fcntl(pair[0], F_GETFL) & O_ASYNC, O_ASYNC);
    CHECK_EQ(send(pair[1], "x", 1, 0), 1);
    CHECK_EQ(wait_signal(SIGIO, &info, 1000), SIGIO);
    drain(SIGIO);
    close(pair[0]);
    close(pair[1]);
    check_end();
}

static void test_pty(void) {
    check_begin("pty");
    siginfo_t info;
    /* The reference machine has no devpts mounted (Akuma's is: EBUSY). */
    mkdir("/dev/pts", 0755);
    mount("devpts", "/dev/pts", "devpts", 0, "gid=5,mode=620");
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(master >= 0);
    CHECK_EQ(grantpt(master), 0);
    CHECK_EQ(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    CHECK(slave >= 0);
    CHECK_EQ(fcntl(master, F_SETOWN, getpid()), 0);
    CHECK_EQ(fcntl(master, F_SETSIG, SIGRTMIN), 0);
    CHECK_EQ(fcntl(master, F_SETFL, O_ASYNC), 0);
    CHECK_EQ(write(slave, "hi\n", 3), 3);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    CHECK_EQ(info.si_code, POLL_IN);
    CHECK_EQ(info.si_fd, master);
    drain(SIGRTMIN);
    close(slave);
    close(master);
    drain(SIGRTMIN);
    check_end();
}

static void test_inotify(void) {
    check_begin("inotify");
    siginfo_t info;
    int in = inotify_init1(0);
    CHECK(inotify_add_watch(in, "/tmp", IN_CREATE) > 0);
    CHECK_EQ(fcntl(in, F_SETOWN, getpid()), 0);
    CHECK_EQ(fcntl(in, F_SETFL, O_ASYNC), 0);
    close(open("/tmp/asyncio-made", O_CREAT | O_WRONLY, 0600));
    CHECK_EQ(wait_signal(SIGIO, &info, 1000), SIGIO);
    unlink("/tmp/asyncio-made");
    close(in);
    drain(SIGIO);
    check_end();
}

/* dnotify (fcntl F_NOTIFY): a directory's events signal the owner of the
 * descriptor (the caller, unless one was set), once or (DN_MULTISHOT) each time. */
static void test_dnotify(void) {
    check_begin("dnotify");
    siginfo_t info;
    system("rm -rf /tmp/asyncio-dir");
    CHECK_EQ(mkdir("/tmp/asyncio-dir", 0755), 0);
    int dir = open("/tmp/asyncio-dir", O_RDONLY | O_DIRECTORY);
    int file = open("/tmp/asyncio-dir/f", O_CREAT | O_RDWR, 0600);
    CHECK_ERR(fcntl(file, F_NOTIFY, DN_CREATE), ENOTDIR);
    CHECK_EQ(fcntl(file, F_NOTIFY, 0), 0);  /* removing nothing is fine anywhere */
    CHECK_EQ(fcntl(dir, F_GETOWN), 0);
    CHECK_EQ(fcntl(dir, F_SETSIG, SIGRTMIN), 0);
    CHECK_EQ(fcntl(dir, F_NOTIFY, DN_CREATE), 0);
    CHECK_EQ(fcntl(dir, F_GETOWN), getpid());  /* F_NOTIFY made the caller the owner */
    CHECK_EQ(write(file, "x", 1), 1);  /* not asked for */
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 100), 0);
    close(open("/tmp/asyncio-dir/g", O_CREAT | O_WRONLY, 0600));
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    CHECK_EQ(info.si_code, POLL_MSG);
    CHECK_EQ(info.si_fd, dir);
    CHECK_EQ(info.si_band, POLLIN | POLLRDNORM | POLLMSG);
    drain(SIGRTMIN);
    /* Once only, without DN_MULTISHOT. */
    close(open("/tmp/asyncio-dir/h", O_CREAT | O_WRONLY, 0600));
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 100), 0);
    /* DN_MULTISHOT: every time; DN_DELETE covers unlink and moving out. */
    CHECK_EQ(fcntl(dir, F_NOTIFY, DN_DELETE | DN_MODIFY | DN_MULTISHOT), 0);
    CHECK_EQ(unlink("/tmp/asyncio-dir/h"), 0);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    drain(SIGRTMIN);
    CHECK_EQ(write(file, "y", 1), 1);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    drain(SIGRTMIN);
    CHECK_EQ(rename("/tmp/asyncio-dir/g", "/tmp/asyncio-moved"), 0);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    drain(SIGRTMIN);
    /* DN_RENAME: a rename inside the directory. */
    CHECK_EQ(fcntl(dir, F_NOTIFY, 0), 0);
    CHECK_EQ(fcntl(dir, F_NOTIFY, DN_RENAME | DN_MULTISHOT), 0);
    CHECK_EQ(unlink("/tmp/asyncio-moved"), 0);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 100), 0);
    CHECK_EQ(rename("/tmp/asyncio-dir/f", "/tmp/asyncio-dir/f2"), 0);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    drain(SIGRTMIN);
    /* DN_ATTRIB on the directory itself. */
    CHECK_EQ(fcntl(dir, F_NOTIFY, DN_ATTRIB), 0);
    CHECK_EQ(chmod("/tmp/asyncio-dir", 0700), 0);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 1000), SIGRTMIN);
    drain(SIGRTMIN);
    /* F_NOTIFY 0 ends it. */
    CHECK_EQ(fcntl(dir, F_NOTIFY, 0), 0);
    close(open("/tmp/asyncio-dir/i", O_CREAT | O_WRONLY, 0600));
    CHECK_EQ(chmod("/tmp/asyncio-dir", 0755), 0);
    CHECK_EQ(wait_signal(SIGRTMIN, &info, 100), 0);
    close(file);
    close(dir);
    system("rm -rf /tmp/asyncio-dir");
    check_end();
}

/* A process group owner: every member hears of it. */
static void test_group(void) {
    check_begin("group");
    int fds[2];
    int ready[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        setpgid(0, 0);
        siginfo_t info;
        CHECK_EQ(write(ready[1], "r", 1), 1);
        CHECK_EQ(wait_signal(SIGIO, &info, 5000), SIGIO);
        check_child_done(failures);
    }
    char byte;
    CHECK_EQ(read(ready[0], &byte, 1), 1);
    CHECK_EQ(fcntl(fds[0], F_SETOWN, -child), 0);
    CHECK_EQ(fcntl(fds[0], F_SETFL, O_ASYNC), 0);
    CHECK_EQ(write(fds[1], "g", 1), 1);
    check_child_status(child, 0, 0);
    siginfo_t info;
    CHECK_EQ(wait_signal(SIGIO, &info, 100), 0);  /* not to us: we are in another group */
    close(fds[0]);
    close(fds[1]);
    close(ready[0]);
    close(ready[1]);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    block(SIGIO);
    block(SIGRTMIN);
    static const struct check_test tests[] = {
        { "owner", test_owner },
        { "pipe", test_pipe },
        { "socket", test_socket },
        { "pty", test_pty },
        { "inotify", test_inotify },
        { "dnotify", test_dnotify },
        { "group", test_group },
    };
    return check_run_tests("asyncio", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
