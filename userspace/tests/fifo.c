/* fifo: named pipes (mkfifo, mknod S_IFIFO) as Linux's fifo_open has them.
 *   node      mkfifo makes an S_IFIFO node (umask applied), EEXIST twice;
 *             fstat of an open FIFO is the node; /proc/self/fd names it
 *   nonblock  O_RDONLY|O_NONBLOCK opens at once; then O_WRONLY|O_NONBLOCK
 *             too and bytes pass; with no reader O_WRONLY|O_NONBLOCK is
 *             ENXIO
 *   blocking  O_WRONLY waits for a reader and O_RDONLY for a writer (a
 *             child on the other side); end of file once the writer closes
 *   rdwr      O_RDWR never waits; the pipe empties with its last close
 *   eintr     a waiting open ends with EINTR when a signal handler runs
 *   socket    mknod S_IFSOCK makes a socket node, which open refuses (ENXIO)
 * Usage: fifo [GROUP]. The FIFOs are made in $FIFO_DIR (default /tmp). */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>

static char g_path[256];

static void make_path(const char *name) {
    const char *dir = getenv("FIFO_DIR");
    snprintf(g_path, sizeof g_path, "%s/%s", dir ? dir : "/tmp", name);
    unlink(g_path);
}

static void test_node(void) {
    check_begin("node: mkfifo makes an S_IFIFO node; fstat and /proc/self/fd see it");
    make_path("fifo-node");
    mode_t old = umask(022);
    CHECK_EQ(mkfifo(g_path, 0666), 0);
    umask(old);
    CHECK_ERR(mkfifo(g_path, 0666), EEXIST);
    struct stat by_path, by_fd;
    CHECK_EQ(stat(g_path, &by_path), 0);
    CHECK(S_ISFIFO(by_path.st_mode));
    CHECK_EQ(by_path.st_mode & 0777, 0644u);
    int fd = open(g_path, O_RDONLY | O_NONBLOCK);
    CHECK(fd >= 0);
    CHECK_EQ(fstat(fd, &by_fd), 0);
    CHECK(S_ISFIFO(by_fd.st_mode));
    CHECK(by_fd.st_ino == by_path.st_ino && by_fd.st_dev == by_path.st_dev);
    char link[64], target[300];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    CHECK(length > 0);
    if (length > 0) {
        target[length] = 0;
        CHECK(strcmp(target, g_path) == 0);
    }
    CHECK_ERR(lseek(fd, 0, SEEK_SET), ESPIPE);
    close(fd);
    CHECK_EQ(unlink(g_path), 0);
    check_end();
}

static void test_nonblock(void) {
    check_begin("nonblock: open at once with O_NONBLOCK; writer without reader is ENXIO");
    make_path("fifo-nonblock");
    CHECK_EQ(mkfifo(g_path, 0600), 0);
    CHECK_ERR(open(g_path, O_WRONLY | O_NONBLOCK), ENXIO);
    int reader = open(g_path, O_RDONLY | O_NONBLOCK);
    CHECK(reader >= 0);
    char buffer[16];
    CHECK_EQ(read(reader, buffer, sizeof buffer), 0); /* no writer: end of file */
    int writer = open(g_path, O_WRONLY | O_NONBLOCK);
    CHECK(writer >= 0);
    CHECK_ERR(read(reader, buffer, sizeof buffer), EAGAIN); /* a writer, no data */
    CHECK_EQ(write(writer, "hello", 5), 5);
    CHECK_EQ(read(reader, buffer, sizeof buffer), 5);
    CHECK(memcmp(buffer, "hello", 5) == 0);
    close(writer);
    CHECK_EQ(read(reader, buffer, sizeof buffer), 0);
    close(reader);
    unlink(g_path);
    check_end();
}

static void test_blocking(void) {
    check_begin("blocking: each side's open waits for the other; EOF when the writer closes");
    make_path("fifo-blocking");
    CHECK_EQ(mkfifo(g_path, 0600), 0);
    pid_t child = fork();
    if (child == 0) {
        int writer = open(g_path, O_WRONLY); /* waits for the parent's reader */
        if (writer < 0) _exit(2);
        if (write(writer, "through the fifo", 16) != 16) _exit(3);
        close(writer);
        _exit(0);
    }
    usleep(100000); /* the child is (most likely) waiting in open by now */
    int reader = open(g_path, O_RDONLY);
    CHECK(reader >= 0);
    char buffer[32] = "";
    size_t total = 0;
    for (;;) {
        ssize_t got = read(reader, buffer + total, sizeof buffer - 1 - total);
        if (got <= 0) break;
        total += (size_t)got;
    }
    CHECK_EQ((long)total, 16L);
    CHECK(strcmp(buffer, "through the fifo") == 0);
    close(reader);
    check_child_status(child, 0, 0);

    /* The reader waits for a writer the same way. */
    child = fork();
    if (child == 0) {
        usleep(100000);
        int writer = open(g_path, O_WRONLY);
        if (writer < 0) _exit(2);
        if (write(writer, "x", 1) != 1) _exit(3);
        close(writer);
        _exit(0);
    }
    reader = open(g_path, O_RDONLY);
    CHECK(reader >= 0);
    CHECK_EQ(read(reader, buffer, 1), 1);
    close(reader);
    check_child_status(child, 0, 0);
    unlink(g_path);
    check_end();
}

static void test_rdwr(void) {
    check_begin("rdwr: O_RDWR never waits; the pipe empties with its last close");
    make_path("fifo-rdwr");
    CHECK_EQ(mknod(g_path, S_IFIFO | 0600, 0), 0);
    int both = open(g_path, O_RDWR);
    CHECK(both >= 0);
    CHECK_EQ(write(both, "abc", 3), 3);
    int reader = open(g_path, O_RDONLY | O_NONBLOCK);
    char buffer[8];
    CHECK_EQ(read(reader, buffer, 2), 2); /* one pipe for every opener */
    close(reader);
    close(both);
    both = open(g_path, O_RDWR | O_NONBLOCK);
    CHECK(both >= 0);
    CHECK_ERR(read(both, buffer, sizeof buffer), EAGAIN);
    close(both);
    unlink(g_path);
    check_end();
}

static void on_alarm(int signal) { (void)signal; }

static void test_eintr(void) {
    check_begin("eintr: a waiting open ends with EINTR when a handler runs");
    make_path("fifo-eintr");
    CHECK_EQ(mkfifo(g_path, 0600), 0);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = { { 0, 0 }, { 0, 200000 } };
    setitimer(ITIMER_REAL, &timer, NULL);
    CHECK_ERR(open(g_path, O_RDONLY), EINTR);
    signal(SIGALRM, SIG_DFL);
    unlink(g_path);
    check_end();
}

static void test_socket(void) {
    check_begin("socket: mknod S_IFSOCK makes a node that open refuses with ENXIO");
    make_path("fifo-socket-node");
    CHECK_EQ(mknod(g_path, S_IFSOCK | 0600, 0), 0);
    struct stat info;
    CHECK_EQ(stat(g_path, &info), 0);
    CHECK(S_ISSOCK(info.st_mode));
    CHECK_ERR(open(g_path, O_RDONLY), ENXIO);
    unlink(g_path);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "node", test_node },   { "nonblock", test_nonblock }, { "blocking", test_blocking },
        { "rdwr", test_rdwr },   { "eintr", test_eintr },       { "socket", test_socket },
    };
    return check_run_tests("fifo", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
