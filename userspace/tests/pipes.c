/* pipes: pipe2, blocking and nonblocking pipe I/O, poll/ppoll/select on
 * pipes, and descriptor duplication, within one process (the tests across
 * fork live elsewhere).
 *
 * Linux facts checked here:
 *   - a pipe holds 64 KiB (F_GETPIPE_SZ 65536); a read returns what is
 *     buffered, up to the request, without waiting for more;
 *   - read returns 0 once every write end is closed; writing with no read
 *     end fails with EPIPE and raises SIGPIPE (ignored or blocked here, so
 *     the process survives);
 *   - the 64 KiB are 16 page slots: a write whose length is not a multiple of
 *     4096 first tops up the last page with len % 4096 bytes if they fit,
 *     then fills whole pages; a write never splits its length % 4096 bytes
 *     over two pages. So 1000-byte writes fill 64000 bytes (four per page),
 *     and behind one byte a 70000-byte write puts in 368 + 15 * 4096;
 *     POLLOUT means a free slot, yet a small write can still top up the
 *     last page of a full pipe; writev is one write (atomic up to PIPE_BUF
 *     in total);
 *   - F_SETPIPE_SZ rounds up to a power-of-two number of pages (at least
 *     one) and returns the new size; fewer pages than hold data is EBUSY;
 *     more than 2^31 is EINVAL; not a pipe is EBADF;
 *   - F_GETFL of the ends is O_RDONLY / O_WRONLY (plus O_NONBLOCK);
 *     fstat and statx say S_IFIFO, mode 0600; lseek/pread are ESPIPE,
 *     fsync EINVAL;
 *   - poll: POLLHUP on the read end once writers are gone, POLLERR on the
 *     write end once readers are gone; a closed descriptor is POLLNVAL,
 *     a negative one is skipped; select: EBADF for a closed descriptor;
 *   - a blocked read or write is woken by another thread's write or read;
 *     a signal handler without SA_RESTART ends a blocked read with EINTR
 *     (and a blocked write that moved bytes with the partial count), with
 *     SA_RESTART the read goes on; poll is always EINTR.
 *   - a 1 MiB write reaches a reader reading odd sizes intact; 100-byte
 *     writes from two threads never mix (PIPE_BUF).
 * The helper threads retry their signal until the main thread is past the
 * blocking call, so the outcome does not depend on timing.
 */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CAPACITY 65536

static char big[CAPACITY + 8192];

static int lowest_free_fd(void) {
    int fd = dup(0);
    close(fd);
    return fd;
}

static void test_pipe2_flags(void) {
    check_begin("pipe2 flags, F_GETFL, F_GETFD, EINVAL, EFAULT");
    int fds[2];
    CHECK_EQ(pipe2(fds, 0), 0);
    CHECK(fds[0] >= 3 && fds[1] >= 3 && fds[0] != fds[1]);
    CHECK_EQ(fcntl(fds[0], F_GETFL), O_RDONLY);
    CHECK_EQ(fcntl(fds[1], F_GETFL), O_WRONLY);
    CHECK_EQ(fcntl(fds[0], F_GETFD), 0);
    CHECK_EQ(fcntl(fds[0], F_GETPIPE_SZ), CAPACITY);
    close(fds[0]);
    close(fds[1]);

    CHECK_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    CHECK_EQ(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(fds[1], F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    CHECK_EQ(fcntl(fds[1], F_GETFL), O_WRONLY | O_NONBLOCK);
    close(fds[0]);
    close(fds[1]);

    int before = lowest_free_fd();
    CHECK_ERR(pipe2(fds, O_APPEND), EINVAL);
    CHECK_ERR(pipe2(fds, O_TRUNC), EINVAL);
    CHECK_ERR(syscall(SYS_pipe2, (int *)8, 0), EFAULT);
    CHECK_EQ(lowest_free_fd(), before); /* nothing leaked */
    check_end();
}

static void test_read_write(void) {
    check_begin("write then read: order, partial reads, what is buffered, FIONREAD");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    char buf[128] = {0};
    CHECK_EQ(write(fds[1], "hello ", 6), 6);
    CHECK_EQ(write(fds[1], "world", 5), 5);
    int available = -1;
    CHECK_EQ(ioctl(fds[0], FIONREAD, &available), 0);
    CHECK_EQ(available, 11);
    CHECK_EQ(read(fds[0], buf, 5), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    /* A blocking read with less buffered than asked returns at once. */
    CHECK_EQ(read(fds[0], buf, sizeof buf), 6);
    CHECK(memcmp(buf, " world", 6) == 0);
    CHECK_EQ(read(fds[0], buf, 0), 0);
    CHECK_EQ(write(fds[1], buf, 0), 0);

    /* More than one kernel chunk, taken by a single read. */
    for (size_t i = 0; i < 40000; i++) big[i] = (char)(i * 13);
    CHECK_EQ(write(fds[1], big, 40000), 40000);
    static char in[CAPACITY];
    CHECK_EQ(read(fds[0], in, sizeof in), 40000);
    CHECK(memcmp(in, big, 40000) == 0);

    /* readv: a later iovec takes only what is buffered. */
    CHECK_EQ(write(fds[1], "abcdef", 6), 6);
    char a[4], b[4];
    struct iovec iov[2] = {{a, 4}, {b, 4}};
    CHECK_EQ(readv(fds[0], iov, 2), 6);
    CHECK(memcmp(a, "abcd", 4) == 0 && memcmp(b, "ef", 2) == 0);
    CHECK_EQ(write(fds[1], "wxyz", 4), 4);
    CHECK_EQ(readv(fds[0], iov, 2), 4); /* must not wait for the second */
    struct iovec out[2] = {{"12", 2}, {"345", 3}};
    CHECK_EQ(writev(fds[1], out, 2), 5);
    CHECK_EQ(read(fds[0], buf, sizeof buf), 5);
    CHECK(memcmp(buf, "12345", 5) == 0);
    close(fds[0]);
    close(fds[1]);
    check_end();
}

static void test_eof(void) {
    check_begin("EOF after the write end closes");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(close(fds[1]), 0);
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1); /* buffered data first */
    CHECK_EQ(read(fds[0], &c, 1), 0);
    CHECK_EQ(read(fds[0], &c, 1), 0);
    close(fds[0]);
    check_end();
}

static volatile sig_atomic_t sigpipe_count;
static void on_sigpipe(int signal) {
    (void)signal;
    sigpipe_count++;
}

static void test_epipe(void) {
    check_begin("EPIPE and SIGPIPE with no read end");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(close(fds[0]), 0);

    /* Blocked: stays pending. */
    sigset_t pipe_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &pipe_set, NULL), 0);
    CHECK_ERR(write(fds[1], "x", 1), EPIPE);
    sigemptyset(&pending);
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(sigismember(&pending, SIGPIPE));
    /* Ignoring it discards the pending one; unblocking is then harmless. */
    CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    CHECK_EQ(sigprocmask(SIG_UNBLOCK, &pipe_set, NULL), 0);

    /* Ignored: only the error. */
    CHECK_ERR(write(fds[1], "x", 1), EPIPE);
    CHECK_EQ(write(fds[1], "", 0), 0); /* empty writes succeed */

    /* Handled: the handler runs once per failed write. */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigpipe;
    sigemptyset(&action.sa_mask);
    CHECK_EQ(sigaction(SIGPIPE, &action, NULL), 0);
    sigpipe_count = 0;
    CHECK_ERR(write(fds[1], "xy", 2), EPIPE);
    CHECK_EQ(sigpipe_count, 1);
    CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);

    struct pollfd p = {fds[1], POLLOUT, 0};
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT | POLLERR);
    close(fds[1]);
    check_end();
}

static void test_nonblocking(void) {
    check_begin("O_NONBLOCK: EAGAIN when empty and when full; 64 KiB capacity");
    int fds[2];
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    char buf[4096];
    CHECK_ERR(read(fds[0], buf, sizeof buf), EAGAIN);
    memset(buf, 'p', sizeof buf);
    long total = 0;
    for (int i = 0; i < 100; i++) {
        ssize_t n = write(fds[1], buf, sizeof buf);
        if (n < 0) {
            int error = errno;
            CHECK_EQ(error, EAGAIN);
            break;
        }
        total += n;
    }
    CHECK_EQ(total, CAPACITY);
    CHECK_ERR(write(fds[1], buf, 1), EAGAIN);
    /* Room for one block again after reading one. */
    CHECK_EQ(read(fds[0], buf, sizeof buf), (long)sizeof buf);
    CHECK_EQ(write(fds[1], buf, sizeof buf), (long)sizeof buf);
    CHECK_ERR(write(fds[1], buf, sizeof buf), EAGAIN);
    /* Drain it all. */
    total = 0;
    for (;;) {
        ssize_t n = read(fds[0], big, sizeof big);
        if (n < 0) {
            int error = errno;
            CHECK_EQ(error, EAGAIN);
            break;
        }
        total += n;
    }
    CHECK_EQ(total, CAPACITY);
    /* A write larger than the pipe puts in what fits. */
    CHECK_EQ(write(fds[1], big, CAPACITY + 4000), CAPACITY);
    close(fds[0]);
    close(fds[1]);

    /* F_SETFL switches O_NONBLOCK both ways. */
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    CHECK_EQ(fcntl(fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    CHECK_ERR(read(fds[0], buf, 1), EAGAIN);
    int on = 0;
    CHECK_EQ(ioctl(fds[0], FIONBIO, &on), 0);
    CHECK_EQ(fcntl(fds[0], F_GETFL), O_RDONLY);
    on = 1;
    CHECK_EQ(ioctl(fds[0], FIONBIO, &on), 0);
    CHECK_EQ(fcntl(fds[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    CHECK_EQ(fcntl(fds[0], F_SETFL, 0), 0);
    CHECK_EQ(fcntl(fds[0], F_GETFL), O_RDONLY);
    CHECK_EQ(write(fds[1], "z", 1), 1);
    CHECK_EQ(read(fds[0], buf, sizeof buf), 1);
    close(fds[0]);
    close(fds[1]);
    check_end();
}

/* Fills a nonblocking pipe with writes of `size` bytes; returns the total. */
static long fill(int fd, size_t size) {
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, big, size);
        if (n < 0) {
            int error = errno;
            CHECK_EQ(error, EAGAIN);
            return total;
        }
        total += n;
    }
}

static void test_page_slots(void) {
    check_begin("16 page slots: small writes share a page, big ones fill whole pages");
    int fds[2];
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    CHECK_EQ(fill(fds[1], 1000), 64000); /* 4 per page; a fifth does not fit */
    close(fds[0]);
    close(fds[1]);

    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(fill(fds[1], 4096), 15 * 4096); /* a whole page each */
    close(fds[0]);
    close(fds[1]);

    /* 70000 % 4096 = 368 bytes top up the first page, then whole pages
     * (the write goes through the kernel in several pieces). */
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(write(fds[1], big, 70000), 368 + 15 * 4096);
    CHECK_EQ(read(fds[0], big, sizeof big), 1 + 368 + 15 * 4096);
    close(fds[0]);
    close(fds[1]);

    /* Full slots: no POLLOUT, but the last page still takes a small write. */
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    CHECK_EQ(fill(fds[1], 4096), CAPACITY);
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1); /* the first page is not free yet */
    CHECK_ERR(write(fds[1], "y", 1), EAGAIN);
    CHECK_EQ(read(fds[0], big, 4095), 4095);
    CHECK_EQ(write(fds[1], "y", 1), 1); /* a page of its own: now 16 again */
    struct pollfd p = {fds[1], POLLOUT, 0};
    CHECK_EQ(poll(&p, 1, 0), 0);
    CHECK_EQ(write(fds[1], big, 100), 100); /* tops up the last page */
    CHECK_ERR(write(fds[1], big, 4096), EAGAIN);
    int available = -1;
    CHECK_EQ(ioctl(fds[0], FIONREAD, &available), 0);
    CHECK_EQ(available, 15 * 4096 + 101);
    close(fds[0]);
    close(fds[1]);

    /* writev is one write: 100 bytes in two iovecs do not fit the 96 left
     * in the last page of a full pipe, so none of them go in (PIPE_BUF). */
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    CHECK_EQ(write(fds[1], big, 15 * 4096 + 4000), 15 * 4096 + 4000);
    struct iovec two[2] = {{big, 50}, {big, 50}};
    CHECK_ERR(writev(fds[1], two, 2), EAGAIN);
    two[0].iov_len = two[1].iov_len = 48;
    CHECK_EQ(writev(fds[1], two, 2), 96);
    close(fds[0]);
    close(fds[1]);
    check_end();
}

static void test_pipe_size(void) {
    check_begin("F_SETPIPE_SZ / F_GETPIPE_SZ");
    int fds[2];
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    CHECK_EQ(fcntl(fds[0], F_SETPIPE_SZ, 0), 4096);
    CHECK_EQ(fcntl(fds[1], F_GETPIPE_SZ), 4096);
    CHECK_EQ(fcntl(fds[1], F_SETPIPE_SZ, 5000), 8192);
    CHECK_EQ(fcntl(fds[1], F_SETPIPE_SZ, 12288), 16384);
    CHECK_ERR(fcntl(fds[1], F_SETPIPE_SZ, -1), EINVAL);
    CHECK_EQ(fcntl(fds[1], F_GETPIPE_SZ), 16384);
    CHECK_EQ(fill(fds[1], 4096), 16384);
    CHECK_ERR(fcntl(fds[1], F_SETPIPE_SZ, 8192), EBUSY); /* 4 pages hold data */
    /* Growing makes room at once. */
    CHECK_EQ(fcntl(fds[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
    CHECK_EQ(fcntl(fds[0], F_GETPIPE_SZ), 1 << 20);
    CHECK_EQ(fill(fds[1], 65536), (1 << 20) - 16384);
    CHECK_EQ(read(fds[0], big, sizeof big), sizeof big);
    close(fds[0]);
    close(fds[1]);

    /* One page: one write of up to a page, small ones top it up. */
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    CHECK_EQ(fcntl(fds[1], F_SETPIPE_SZ, 4096), 4096);
    CHECK_EQ(write(fds[1], big, 4000), 4000);
    CHECK_EQ(write(fds[1], big, 96), 96);
    CHECK_ERR(write(fds[1], big, 1), EAGAIN);
    close(fds[0]);
    close(fds[1]);

    int null = open("/dev/null", O_RDWR);
    CHECK_ERR(fcntl(null, F_SETPIPE_SZ, 4096), EBADF);
    CHECK_ERR(fcntl(null, F_GETPIPE_SZ), EBADF);
    close(null);
    check_end();
}

static void test_poll(void) {
    check_begin("poll/ppoll: POLLIN, POLLOUT, POLLHUP, POLLERR, POLLNVAL");
    int fds[2];
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLOUT, 0}};
    CHECK_EQ(poll(p, 2, 0), 1);
    CHECK_EQ(p[0].revents, 0);
    CHECK_EQ(p[1].revents, POLLOUT);
    CHECK_EQ(poll(p, 1, 10), 0); /* times out */

    CHECK_EQ(write(fds[1], "data", 4), 4);
    CHECK_EQ(poll(p, 2, -1), 2);
    CHECK_EQ(p[0].revents, POLLIN);
    CHECK_EQ(p[1].revents, POLLOUT);
    /* Only what was asked for (and errors) is reported. */
    p[0].events = POLLOUT;
    CHECK_EQ(poll(p, 1, 0), 0);
    p[0].events = POLLIN | POLLRDNORM;
    CHECK_EQ(poll(p, 1, 0), 1);
    CHECK_EQ(p[0].revents, POLLIN | POLLRDNORM);
    p[0].events = POLLIN;

    /* Full: no POLLOUT. */
    while (write(fds[1], big, sizeof big) > 0) {
    }
    CHECK_EQ(poll(&p[1], 1, 0), 0);

    /* ppoll with a zero timeout, and with a (harmless) signal mask. */
    struct timespec zero = {0, 0};
    CHECK_EQ(ppoll(p, 2, &zero, NULL), 1);
    sigset_t none;
    sigemptyset(&none);
    struct timespec short_wait = {0, 1000000};
    CHECK_EQ(ppoll(&p[1], 1, &short_wait, &none), 0);
    /* The kernel writes the time left back (glibc's ppoll hides it). */
    CHECK_EQ(syscall(SYS_ppoll, &p[1], 1, &short_wait, &none, 8), 0);
    CHECK_EQ(short_wait.tv_sec, 0);
    CHECK_EQ(short_wait.tv_nsec, 0);
    CHECK_ERR(syscall(SYS_ppoll, p, 2, &zero, &none, 4), EINVAL);
    struct timespec bad = {0, 1000000000};
    CHECK_ERR(ppoll(p, 2, &bad, NULL), EINVAL);

    /* Write end closed: POLLHUP, with POLLIN while data is left. */
    close(fds[1]);
    CHECK_EQ(poll(p, 1, 0), 1);
    CHECK_EQ(p[0].revents, POLLIN | POLLHUP);
    while (read(fds[0], big, sizeof big) > 0) {
    }
    p[0].events = 0; /* POLLHUP is reported unasked */
    CHECK_EQ(poll(p, 1, 0), 1);
    CHECK_EQ(p[0].revents, POLLHUP);
    close(fds[0]);

    /* Read end closed: POLLERR on the write end. */
    CHECK_EQ(pipe(fds), 0);
    close(fds[0]);
    p[1].fd = fds[1];
    p[1].events = POLLOUT;
    CHECK_EQ(poll(&p[1], 1, -1), 1);
    CHECK_EQ(p[1].revents, POLLOUT | POLLERR);
    close(fds[1]);

    /* A closed descriptor is POLLNVAL; a negative one is skipped. */
    struct pollfd odd[2] = {{fds[1], POLLIN, 0}, {-1, POLLIN, 0x77}};
    CHECK_EQ(poll(odd, 2, 0), 1);
    CHECK_EQ(odd[0].revents, POLLNVAL);
    CHECK_EQ(odd[1].revents, 0);

    /* Regular files and /dev/null are always ready. */
    int null = open("/dev/null", O_RDWR);
    struct pollfd dev = {null, POLLIN | POLLOUT, 0};
    CHECK_EQ(poll(&dev, 1, -1), 1);
    CHECK_EQ(dev.revents, POLLIN | POLLOUT);
    close(null);
    check_end();
}

static void test_select(void) {
    check_begin("select (pselect6): read, write, timeout, EBADF");
    int fds[2];
    CHECK_EQ(pipe2(fds, O_NONBLOCK), 0);
    fd_set readable, writable;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_SET(fds[0], &readable);
    FD_SET(fds[1], &writable);
    int nfds = (fds[0] > fds[1] ? fds[0] : fds[1]) + 1;
    struct timeval wait = {0, 0};
    CHECK_EQ(select(nfds, &readable, &writable, NULL, &wait), 1);
    CHECK(!FD_ISSET(fds[0], &readable));
    CHECK(FD_ISSET(fds[1], &writable));

    FD_ZERO(&readable);
    FD_SET(fds[0], &readable);
    wait.tv_sec = 0;
    wait.tv_usec = 10000;
    CHECK_EQ(select(nfds, &readable, NULL, NULL, &wait), 0);
    CHECK(!FD_ISSET(fds[0], &readable));
    CHECK(wait.tv_sec == 0 && wait.tv_usec == 0); /* the time left */

    CHECK_EQ(write(fds[1], "s", 1), 1);
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_SET(fds[0], &readable);
    FD_SET(fds[1], &writable);
    CHECK_EQ(select(nfds, &readable, &writable, NULL, NULL), 2);
    CHECK(FD_ISSET(fds[0], &readable) && FD_ISSET(fds[1], &writable));

    /* pselect with a signal mask. */
    sigset_t none;
    sigemptyset(&none);
    struct timespec zero = {0, 0};
    FD_ZERO(&readable);
    FD_SET(fds[0], &readable);
    CHECK_EQ(pselect(nfds, &readable, NULL, NULL, &zero, &none), 1);

    /* A closed descriptor in a set: EBADF. */
    int closed = fds[1];
    close(fds[1]);
    FD_ZERO(&writable);
    FD_SET(closed, &writable);
    CHECK_ERR(select(nfds, NULL, &writable, NULL, &wait), EBADF);
    /* Writer gone: the read end is readable (EOF). */
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    FD_ZERO(&readable);
    FD_SET(fds[0], &readable);
    CHECK_EQ(select(nfds, &readable, NULL, NULL, NULL), 1);
    CHECK_ERR(select(-1, NULL, NULL, NULL, &wait), EINVAL);
    close(fds[0]);
    check_end();
}

static void test_stat_seek(void) {
    check_begin("fstat S_IFIFO, lseek/pread/pwrite ESPIPE");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    struct stat r, w;
    CHECK_EQ(fstat(fds[0], &r), 0);
    CHECK_EQ(fstat(fds[1], &w), 0);
    CHECK(S_ISFIFO(r.st_mode));
    CHECK_EQ(r.st_mode & 07777, 0600);
    CHECK(r.st_ino == w.st_ino && r.st_dev == w.st_dev);
    CHECK_EQ(r.st_nlink, 1);
    struct statx x;
    CHECK_EQ(statx(fds[1], "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x), 0);
    CHECK(S_ISFIFO(x.stx_mode) && x.stx_ino == r.st_ino);
    CHECK_ERR(fsync(fds[1]), EINVAL);
    CHECK_ERR(lseek(fds[0], 0, SEEK_CUR), ESPIPE);
    CHECK_ERR(lseek(fds[1], 0, SEEK_SET), ESPIPE);
    char c = 0;
    CHECK_ERR(pread(fds[0], &c, 1, 0), ESPIPE);
    CHECK_ERR(pwrite(fds[1], &c, 1, 0), ESPIPE);
    CHECK_ERR(read(fds[1], &c, 1), EBADF);
    CHECK_ERR(write(fds[0], &c, 1), EBADF);
    CHECK_ERR(ioctl(fds[0], TCGETS, &r), ENOTTY);
    close(fds[0]);
    close(fds[1]);
    check_end();
}

static void test_dup(void) {
    check_begin("dup2/dup3 onto an open descriptor, F_DUPFD");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    int target = open("/dev/null", O_WRONLY);
    CHECK(target >= 0);
    /* dup2 closes what target held and shares the write end. */
    CHECK_EQ(dup2(fds[1], target), target);
    CHECK_EQ(fcntl(target, F_GETFL), O_WRONLY);
    CHECK_EQ(fcntl(target, F_GETFD), 0);
    CHECK_EQ(write(target, "via dup", 7), 7);
    char buf[16] = {0};
    CHECK_EQ(read(fds[0], buf, sizeof buf), 7);
    CHECK(memcmp(buf, "via dup", 7) == 0);
    /* The write end stays open while a duplicate does. */
    close(fds[1]);
    struct pollfd p = {fds[0], POLLIN, 0};
    CHECK_EQ(poll(&p, 1, 0), 0);
    /* Same descriptor: dup2 checks it and returns it; dup3 refuses. */
    CHECK_EQ(dup2(target, target), target);
    CHECK_ERR(dup3(target, target, 0), EINVAL);
    CHECK_ERR(dup2(fds[1], fds[1]), EBADF); /* closed */
    CHECK_ERR(dup2(fds[1], 50), EBADF);
    CHECK_ERR(dup3(target, 50, O_NONBLOCK), EINVAL);
    CHECK_ERR(dup2(target, 1 << 20), EBADF);
    CHECK_EQ(dup3(target, 50, O_CLOEXEC), 50);
    CHECK_EQ(fcntl(50, F_GETFD), FD_CLOEXEC);
    /* F_DUPFD / F_DUPFD_CLOEXEC: the lowest free descriptor >= the minimum. */
    CHECK_EQ(fcntl(target, F_DUPFD, 50), 51);
    CHECK_EQ(fcntl(51, F_GETFD), 0);
    CHECK_EQ(fcntl(target, F_DUPFD_CLOEXEC, 50), 52);
    CHECK_EQ(fcntl(52, F_GETFD), FD_CLOEXEC);
    CHECK_ERR(fcntl(target, F_DUPFD, 1 << 20), EINVAL);
    CHECK_ERR(fcntl(fds[1], F_DUPFD, 0), EBADF);
    close(target);
    close(50);
    close(51);
    CHECK_EQ(poll(&p, 1, 0), 0); /* 52 still holds the write end */
    close(52);
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLHUP);
    CHECK_EQ(read(fds[0], buf, sizeof buf), 0);
    close(fds[0]);
    check_end();
}

/* ---- blocking, across threads ---- */

static pthread_t main_thread;
static volatile sig_atomic_t usr1_count;
static volatile int main_done;
static int helper_fd;
static const char *helper_text;

static void on_usr1(int signal) {
    (void)signal;
    usr1_count++;
}

static void set_usr1_handler(int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    action.sa_flags = flags;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, NULL);
}

static void pause_ms(long ms) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

/* Writes helper_text to helper_fd after a moment. */
static void *late_writer(void *unused) {
    (void)unused;
    pause_ms(20);
    if (write(helper_fd, helper_text, strlen(helper_text)) < 0) return (void *)1;
    return NULL;
}

/* Reads a block from helper_fd after a moment. */
static void *late_reader(void *unused) {
    (void)unused;
    static char block[4096];
    pause_ms(20);
    if (read(helper_fd, block, sizeof block) != (ssize_t)sizeof block) return (void *)1;
    return NULL;
}

/* SIGUSR1 to the main thread until it is past its blocking call. */
static void *signaller(void *unused) {
    (void)unused;
    while (!main_done) {
        pause_ms(10);
        if (!main_done) pthread_kill(main_thread, SIGUSR1);
    }
    return NULL;
}

/* Some SIGUSR1s, then helper_text to helper_fd. */
static void *signal_then_write(void *unused) {
    (void)unused;
    for (int i = 0; i < 3; i++) {
        pause_ms(10);
        pthread_kill(main_thread, SIGUSR1);
    }
    pause_ms(10);
    if (write(helper_fd, helper_text, strlen(helper_text)) < 0) return (void *)1;
    return NULL;
}

static void start(pthread_t *thread, void *(*body)(void *)) {
    main_done = 0;
    CHECK_EQ(pthread_create(thread, NULL, body, NULL), 0);
}

static void finish(pthread_t thread) {
    main_done = 1;
    void *result = (void *)1;
    CHECK_EQ(pthread_join(thread, &result), 0);
    CHECK(result == NULL);
}

static void test_blocking(void) {
    check_begin("blocking: woken by another thread; EINTR and SA_RESTART");
    main_thread = pthread_self();
    pthread_t thread;
    int fds[2];
    char buf[64] = {0};
    CHECK_EQ(pipe(fds), 0);

    /* A blocked reader gets a later write; poll sees it too. */
    helper_fd = fds[1];
    helper_text = "late";
    start(&thread, late_writer);
    CHECK_EQ(read(fds[0], buf, sizeof buf), 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    finish(thread);
    helper_text = "polled";
    start(&thread, late_writer);
    struct pollfd p = {fds[0], POLLIN, 0};
    CHECK_EQ(poll(&p, 1, -1), 1);
    CHECK_EQ(p.revents, POLLIN);
    finish(thread);
    CHECK_EQ(read(fds[0], buf, sizeof buf), 6);

    /* A writer blocked on a full pipe finishes once a reader makes room. */
    CHECK_EQ(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
    while (write(fds[1], big, sizeof big) > 0) {
    }
    CHECK_EQ(fcntl(fds[1], F_SETFL, 0), 0);
    helper_fd = fds[0];
    start(&thread, late_reader);
    CHECK_EQ(write(fds[1], big, 4096), 4096);
    finish(thread);
    CHECK_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    while (read(fds[0], big, sizeof big) > 0) {
    }
    CHECK_EQ(fcntl(fds[0], F_SETFL, 0), 0);

    /* A handler without SA_RESTART: EINTR. */
    set_usr1_handler(0);
    usr1_count = 0;
    start(&thread, signaller);
    CHECK_ERR(read(fds[0], buf, sizeof buf), EINTR);
    finish(thread);
    CHECK(usr1_count >= 1);
    usr1_count = 0;
    start(&thread, signaller);
    CHECK_ERR(poll(&p, 1, -1), EINTR);
    finish(thread);
    CHECK(usr1_count >= 1);

    /* A blocked write that already moved bytes returns their count (room
     * for one page here: Linux fills pipes by the page). */
    CHECK_EQ(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
    CHECK_EQ(write(fds[1], big, CAPACITY - 4096), CAPACITY - 4096);
    CHECK_EQ(fcntl(fds[1], F_SETFL, 0), 0);
    start(&thread, signaller);
    CHECK_EQ(write(fds[1], big, 8192), 4096);
    finish(thread);
    CHECK_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    while (read(fds[0], big, sizeof big) > 0) {
    }
    CHECK_EQ(fcntl(fds[0], F_SETFL, 0), 0);

    /* SA_RESTART: the read goes on until the data comes. */
    set_usr1_handler(SA_RESTART);
    usr1_count = 0;
    helper_fd = fds[1];
    helper_text = "after";
    start(&thread, signal_then_write);
    CHECK_EQ(read(fds[0], buf, sizeof buf), 5);
    CHECK(memcmp(buf, "after", 5) == 0);
    finish(thread);
    CHECK(usr1_count >= 1);
    signal(SIGUSR1, SIG_DFL);
    close(fds[0]);
    close(fds[1]);
    check_end();
}

/* ---- streams through a pipe between threads ---- */

#define STREAM_BYTES (1 << 20)
#define RECORD 100
#define RECORDS 2000
static int stream_fd;
static unsigned char stream_byte(size_t i) { return (unsigned char)(i * 7 + i / 4096); }

/* One write of 1 MiB, so the kernel hands it to the pipe in many chunks
 * while the reader drains pages, the unfinished one too. */
static void *stream_writer(void *unused) {
    (void)unused;
    static unsigned char data[STREAM_BYTES];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = stream_byte(i);
    return write(stream_fd, data, sizeof data) == (ssize_t)sizeof data ? NULL : (void *)1;
}

/* Records of RECORD bytes, all of one letter: PIPE_BUF writes never mix. */
static void *record_writer(void *letter) {
    char record[RECORD];
    memset(record, (int)(intptr_t)letter, sizeof record);
    for (int i = 0; i < RECORDS; i++) {
        if (write(stream_fd, record, sizeof record) != (ssize_t)sizeof record)
            return (void *)1;
    }
    return NULL;
}

static void test_streams(void) {
    check_begin("streams between threads: 1 MiB in one write; small writes stay whole");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    stream_fd = fds[1];
    pthread_t writer;
    CHECK_EQ(pthread_create(&writer, NULL, stream_writer, NULL), 0);
    static unsigned char in[8192];
    size_t got = 0, bad = 0, size = 1;
    while (got < STREAM_BYTES) {
        ssize_t n = read(fds[0], in, size);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            bad += in[i] != stream_byte(got + (size_t)i);
        got += (size_t)n;
        size = size * 3 % sizeof in + 1; /* 1, 4, 13, ...: odd sizes across pages */
    }
    void *result = (void *)1;
    CHECK_EQ(pthread_join(writer, &result), 0);
    CHECK(result == NULL);
    CHECK_EQ(got, STREAM_BYTES);
    CHECK_EQ(bad, 0);

    pthread_t a, b;
    CHECK_EQ(pthread_create(&a, NULL, record_writer, (void *)'a'), 0);
    CHECK_EQ(pthread_create(&b, NULL, record_writer, (void *)'b'), 0);
    size_t records = 0, mixed = 0;
    got = 0;
    while (got < 2 * RECORDS * RECORD) {
        ssize_t n = read(fds[0], in + got % RECORD, RECORD - got % RECORD);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got % RECORD == 0) {
            records++;
            for (int i = 1; i < RECORD; i++)
                mixed += in[i] != in[0];
        }
    }
    CHECK_EQ(pthread_join(a, &result), 0);
    CHECK(result == NULL);
    CHECK_EQ(pthread_join(b, &result), 0);
    CHECK(result == NULL);
    CHECK_EQ(records, 2 * RECORDS);
    CHECK_EQ(mixed, 0);
    close(fds[0]);
    close(fds[1]);
    check_end();
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_pipe2_flags();
    test_read_write();
    test_eof();
    test_epipe();
    test_nonblocking();
    test_page_slots();
    test_pipe_size();
    test_poll();
    test_select();
    test_stat_seek();
    test_dup();
    test_blocking();
    test_streams();
    check_exit();
}
