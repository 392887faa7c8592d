/* locks: advisory file locks as Linux has them.
 *   posix     F_SETLK write/read locks between processes: EAGAIN on a
 *             conflict, F_GETLK names the holder, read locks share, an
 *             unlock in the middle splits a lock
 *   close     closing any descriptor of the file drops the process's record
 *             locks on it; so does exiting
 *   wait      F_SETLKW waits until the holder unlocks; a signal handler
 *             interrupts it (EINTR)
 *   ofd       F_OFD_SETLK locks belong to the open description: two opens
 *             in one process conflict; F_OFD_GETLK reports pid -1
 *   flock     flock(2): per description, LOCK_NB gives EWOULDBLOCK, a
 *             separate space from fcntl locks
 *   errors    EINVAL for a bad type or whence, EBADF for a write lock on a
 *             read-only descriptor
 *   deadlock  F_SETLKW that would wait for a process waiting for us: EDEADLK
 * Usage: locks [GROUP]. Works in $LOCKS_DIR (default /tmp). */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>

static char g_path[256];

static int open_file(int flags) {
    const char *dir = getenv("LOCKS_DIR");
    snprintf(g_path, sizeof g_path, "%s/locks-test-file", dir ? dir : "/tmp");
    return open(g_path, flags | O_CREAT, 0600);
}

static int set_lock(int fd, int command, short type, off_t start, off_t len) {
    struct flock lock = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, command, &lock);
}

/* Runs `body` in a child with its own descriptor of the file; its exit
 * status is the number of its failed checks. */
static void in_child(void (*body)(int fd)) {
    pid_t child = fork();
    if (child == 0) {
        int before = check_failures;
        int fd = open_file(O_RDWR);
        body(fd);
        check_child_done(before);
    }
    check_child_status(child, 0, 0);
}

static void child_sees_write_lock(int fd) {
    CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 0, 10), EAGAIN);
    struct flock probe = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
    CHECK_EQ(fcntl(fd, F_GETLK, &probe), 0);
    CHECK_EQ(probe.l_type, F_WRLCK);
    CHECK_EQ((long)probe.l_start, 0L);
    CHECK_EQ((long)probe.l_len, 100L);
    CHECK_EQ(probe.l_pid, getppid());
    CHECK_EQ(set_lock(fd, F_SETLK, F_RDLCK, 100, 100), 0); /* past the parent's range */
}

static void child_split(int fd) {
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 45, 10), 0);   /* inside the unlocked hole */
    CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 10, 10), EAGAIN);
    CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 70, 10), EAGAIN);
}

static void child_read_shares(int fd) {
    CHECK_EQ(set_lock(fd, F_SETLK, F_RDLCK, 0, 0), 0);
    CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 0, 1), EAGAIN);
}

static void child_gets_all(int fd) { CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), 0); }

static void test_posix(void) {
    check_begin("posix: conflicts across processes, F_GETLK, shared read locks, splits");
    int fd = open_file(O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 100), 0);
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 100), 0); /* one's own lock: replaced */
    in_child(child_sees_write_lock);
    CHECK_EQ(set_lock(fd, F_SETLK, F_UNLCK, 40, 20), 0);
    in_child(child_split);
    CHECK_EQ(set_lock(fd, F_SETLK, F_RDLCK, 0, 0), 0); /* converts the rest to a read lock */
    in_child(child_read_shares);
    CHECK_EQ(set_lock(fd, F_SETLK, F_UNLCK, 0, 0), 0);
    in_child(child_gets_all);
    close(fd);
    unlink(g_path);
    check_end();
}

static void test_close(void) {
    check_begin("close: any close of the file drops the record locks; so does exit");
    int fd = open_file(O_RDWR | O_TRUNC);
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), 0);
    int other = open(g_path, O_RDONLY);
    CHECK(other >= 0);
    close(other); /* POSIX: this drops the lock taken through fd */
    in_child(child_gets_all);
    pid_t child = fork();
    if (child == 0) {
        int mine = open_file(O_RDWR);
        _exit(set_lock(mine, F_SETLK, F_WRLCK, 0, 0) == 0 ? 0 : 1); /* exits holding it */
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), 0);
    close(fd);
    unlink(g_path);
    check_end();
}

static void on_alarm(int signal) { (void)signal; }

static void test_wait(void) {
    check_begin("wait: F_SETLKW waits for the unlock; a signal interrupts it");
    int fd = open_file(O_RDWR | O_TRUNC);
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), 0);
    int report[2];
    CHECK_EQ(pipe(report), 0);
    pid_t child = fork();
    if (child == 0) {
        int mine = open_file(O_RDWR);
        if (set_lock(mine, F_SETLKW, F_WRLCK, 0, 0) != 0) _exit(1);
        (void)!write(report[1], "L", 1);
        _exit(0);
    }
    close(report[1]);
    usleep(200000);
    CHECK_EQ(fcntl(report[0], F_SETFL, O_NONBLOCK), 0);
    char byte;
    CHECK_ERR(read(report[0], &byte, 1), EAGAIN); /* still waiting */
    CHECK_EQ(fcntl(report[0], F_SETFL, 0), 0);
    CHECK_EQ(set_lock(fd, F_SETLK, F_UNLCK, 0, 0), 0);
    CHECK_EQ(read(report[0], &byte, 1), 1);
    check_child_status(child, 0, 0);
    close(report[0]);

    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), 0);
    child = fork();
    if (child == 0) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_alarm;
        sigaction(SIGALRM, &action, NULL);
        struct itimerval timer = { { 0, 0 }, { 0, 200000 } };
        setitimer(ITIMER_REAL, &timer, NULL);
        int mine = open_file(O_RDWR);
        int result = set_lock(mine, F_SETLKW, F_WRLCK, 0, 0);
        _exit(result == -1 && errno == EINTR ? 0 : 1);
    }
    check_child_status(child, 0, 0);
    close(fd);
    unlink(g_path);
    check_end();
}

static void test_ofd(void) {
    check_begin("ofd: open-description locks conflict within one process; F_OFD_GETLK pid -1");
    int first = open_file(O_RDWR | O_TRUNC);
    int second = open(g_path, O_RDWR);
    CHECK(first >= 0 && second >= 0);
    CHECK_EQ(set_lock(first, F_OFD_SETLK, F_WRLCK, 0, 10), 0);
    CHECK_ERR(set_lock(second, F_OFD_SETLK, F_WRLCK, 5, 10), EAGAIN);
    struct flock probe = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    CHECK_EQ(fcntl(second, F_OFD_GETLK, &probe), 0);
    CHECK_EQ(probe.l_type, F_WRLCK);
    CHECK_EQ(probe.l_pid, -1);
    struct flock bad = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1 };
    CHECK_ERR(fcntl(second, F_OFD_SETLK, &bad), EINVAL);
    close(first); /* the description goes: its lock too */
    CHECK_EQ(set_lock(second, F_OFD_SETLK, F_WRLCK, 5, 10), 0);
    close(second);
    unlink(g_path);
    check_end();
}

static void test_flock(void) {
    check_begin("flock: per description, LOCK_NB EWOULDBLOCK, apart from fcntl locks");
    int first = open_file(O_RDWR | O_TRUNC);
    int second = open(g_path, O_RDONLY);
    CHECK_EQ(flock(first, LOCK_EX), 0);
    CHECK_ERR(flock(second, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    int shared = dup(first);
    CHECK_EQ(flock(shared, LOCK_EX | LOCK_NB), 0); /* the same description */
    close(shared);
    in_child(child_gets_all); /* fcntl locks do not see flock locks */
    CHECK_EQ(flock(first, LOCK_SH), 0); /* converted */
    CHECK_EQ(flock(second, LOCK_SH | LOCK_NB), 0);
    CHECK_EQ(flock(first, LOCK_UN), 0);
    CHECK_EQ(flock(second, LOCK_UN), 0);
    CHECK_ERR(flock(first, LOCK_SH | LOCK_EX), EINVAL);
    close(first);
    close(second);
    unlink(g_path);
    check_end();
}

static void test_errors(void) {
    check_begin("errors: EINVAL for bad type or whence, EBADF for a write lock read-only");
    int fd = open_file(O_RDONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_ERR(set_lock(fd, F_SETLK, 7, 0, 0), EINVAL);
    struct flock lock = { .l_type = F_RDLCK, .l_whence = 9 };
    CHECK_ERR(fcntl(fd, F_SETLK, &lock), EINVAL);
    CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), EBADF);
    CHECK_EQ(set_lock(fd, F_SETLK, F_RDLCK, 0, 0), 0);
    lock.l_type = F_UNLCK;
    lock.l_whence = SEEK_SET;
    CHECK_ERR(fcntl(fd, F_GETLK, &lock), EINVAL);
    CHECK_ERR(set_lock(-1, F_SETLK, F_RDLCK, 0, 0), EBADF);
    close(fd);
    unlink(g_path);
    check_end();
}

/* F_SETLKW that would wait on a process waiting for us: EDEADLK. */
static void test_deadlock(void) {
    check_begin("deadlock: F_SETLKW on a lock whose owner waits for ours is EDEADLK");
    int fd = open_file(O_RDWR | O_TRUNC);
    CHECK_EQ(set_lock(fd, F_SETLK, F_WRLCK, 0, 1), 0);
    int report[2];
    CHECK_EQ(pipe(report), 0);
    pid_t child = fork();
    if (child == 0) {
        alarm(10);
        int mine = open_file(O_RDWR);
        if (set_lock(mine, F_SETLK, F_WRLCK, 1, 1) != 0)
            _exit(1);
        (void)!write(report[1], "1", 1);           /* holds byte 1 */
        if (set_lock(mine, F_SETLKW, F_WRLCK, 0, 1) != 0)  /* waits for byte 0 */
            _exit(2);
        _exit(0);
    }
    char byte;
    CHECK_EQ(read(report[0], &byte, 1), 1);
    /* Wait (bounded) until the child sleeps for byte 0: then F_SETLKW on
     * byte 1 would close the circle. */
    int refused = 0;
    for (int i = 0; i < 200 && !refused; i++) {
        usleep(10000);
        refused = set_lock(fd, F_SETLKW, F_WRLCK, 1, 1) == -1 && errno == EDEADLK;
    }
    CHECK(refused);
    /* F_SETLK is not checked: plain EAGAIN. */
    CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 1, 1), EAGAIN);
    CHECK_EQ(set_lock(fd, F_SETLK, F_UNLCK, 0, 1), 0);  /* the child gets byte 0 */
    check_child_status(child, 0, 0);
    close(report[0]);
    close(report[1]);
    close(fd);
    unlink(g_path);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "posix", test_posix }, { "close", test_close }, { "wait", test_wait },
        { "ofd", test_ofd },     { "flock", test_flock }, { "errors", test_errors },
        { "deadlock", test_deadlock },
    };
    return check_run_tests("locks", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
