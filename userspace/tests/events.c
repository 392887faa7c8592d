/* events: eventfd, epoll, timerfd and signalfd as Linux has them.
 *   eventfd     the counter: read takes it whole, writes add, 8 bytes only,
 *               EAGAIN/EINVAL cases, semaphore mode, poll bits, fstat and
 *               /proc/self/fd of an anonymous file
 *   eventfd_block a read blocks until a child writes; a write that would
 *               pass 2^64-2 blocks until a read
 *   epoll_ctl   the error cases of epoll_create1 and epoll_ctl
 *   level       level-triggered: reported while ready, on every call
 *   edge        edge-triggered: once per new write, not after a read
 *   oneshot     once, then nothing until EPOLL_CTL_MOD re-arms it
 *   close       an item goes with its description's last close, not with
 *               one of its descriptors
 *   hup         EPOLLHUP on a read end whose writer left, EPOLLERR on a
 *               write end whose reader left (always watched)
 *   many        maxevents bounds a call; what it left comes next
 *   nested      an epoll watching an epoll; ELOOP for cycles
 *   wait        a blocked epoll_wait wakes for a child's write, times out
 *               with 0, and ends with EINTR for a handled signal
 *   timerfd     one-shot and periodic expiration counts (bounded by the
 *               clock read around them), gettime, absolute times,
 *               disarming, EAGAIN/EINVAL cases
 *   signalfd    blocked signals read as records, poll/epoll readiness,
 *               changing the mask, SIGKILL/SIGSTOP ignored in masks
 *   poll        ppoll/select on eventfd, timerfd, signalfd and epoll
 * Usage: events [GROUP]. */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

static uint64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int poll_bits(int fd, short events) {
    struct pollfd p = { fd, events, 0 };
    int n = poll(&p, 1, 0);
    return n < 0 ? -1 : p.revents;
}

static uint64_t read_u64(int fd) {
    uint64_t value = 0;
    if (read(fd, &value, sizeof value) != sizeof value)
        return ~0ull;
    return value;
}

static int write_u64(int fd, uint64_t value) { return (int)write(fd, &value, sizeof value); }

static void check_anonymous(int fd, const char *kind) {
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & S_IFMT, 0);
    CHECK_EQ(st.st_mode & 07777, 0600);
    char link[64], target[64], want[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    snprintf(want, sizeof want, "anon_inode:[%s]", kind);
    ssize_t n = readlink(link, target, sizeof target - 1);
    CHECK(n > 0);
    if (n > 0) {
        target[n] = 0;
        CHECK(strcmp(target, want) == 0);
    }
    /* Linux's noop_llseek: "succeeds" at 0; pread is ESPIPE. */
    CHECK_EQ(lseek(fd, 100, SEEK_SET), 0);
    char byte;
    CHECK_ERR(pread(fd, &byte, 1, 0), ESPIPE);
}

static void test_eventfd(void) {
    check_begin("eventfd: counter, semaphore mode, errors, poll bits, fstat");
    CHECK_ERR(eventfd(0, 0x100), EINVAL);
    int fd = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
    check_anonymous(fd, "eventfd");
    CHECK_EQ(poll_bits(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
    CHECK_EQ(write_u64(fd, 7), 8);
    char big[16] = { 0 };
    CHECK_EQ(read(fd, big, sizeof big), 8);  /* more room than 8: still 8 */
    uint64_t got;
    memcpy(&got, big, sizeof got);
    CHECK_EQ(got, 12);
    CHECK_EQ(poll_bits(fd, POLLIN | POLLOUT), POLLOUT);
    CHECK_ERR(read(fd, &got, sizeof got), EAGAIN);
    CHECK_ERR(read(fd, big, 4), EINVAL);
    CHECK_ERR(write(fd, big, 4), EINVAL);
    CHECK_ERR(write_u64(fd, ~0ull), EINVAL);
    CHECK_EQ(write_u64(fd, 0xfffffffffffffffeull), 8);  /* the maximum */
    CHECK_EQ(poll_bits(fd, POLLIN | POLLOUT), POLLIN);
    CHECK_ERR(write_u64(fd, 1), EAGAIN);
    CHECK_EQ(write_u64(fd, 0), 8);
    CHECK_EQ(read_u64(fd), 0xfffffffffffffffeull);
    close(fd);

    fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(fd >= 0);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_EQ(write_u64(fd, 2), 8);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_ERR(read(fd, &got, sizeof got), EAGAIN);
    close(fd);
    check_end();
}

static void test_eventfd_block(void) {
    check_begin("eventfd_block: blocked reads and writes wake");
    int fd = eventfd(0, 0);
    CHECK(fd >= 0);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        CHECK_EQ(write_u64(fd, 42), 8);
        check_child_done(failures);
    }
    CHECK_EQ(read_u64(fd), 42);  /* blocks until the child writes */
    check_child_status(child, 0, 0);
    CHECK_EQ(write_u64(fd, 0xfffffffffffffffeull), 8);
    child = fork();
    if (child == 0) {
        sleep_ms(50);
        CHECK_EQ(read_u64(fd), 0xfffffffffffffffeull);
        check_child_done(failures);
    }
    CHECK_EQ(write_u64(fd, 5), 8);  /* blocks until the child reads */
    check_child_status(child, 0, 0);
    CHECK_EQ(read_u64(fd), 5);
    close(fd);
    check_end();
}

static int epoll_add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* epoll_wait with no waiting: the count, and the first event in *first. */
static int ready_now(int ep, struct epoll_event *first) {
    struct epoll_event events[8];
    int n = epoll_wait(ep, events, 8, 0);
    if (n > 0 && first)
        *first = events[0];
    return n;
}

static void test_epoll_ctl(void) {
    check_begin("epoll_ctl: the error cases");
    CHECK_ERR(epoll_create1(1), EINVAL);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
    check_anonymous(ep, "eventpoll");
    int p[2];
    CHECK_EQ(pipe(p), 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
    CHECK_ERR(epoll_ctl(999, EPOLL_CTL_ADD, p[0], &ev), EBADF);
    CHECK_ERR(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev), EINVAL);  /* not an epoll */
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);     /* itself */
    CHECK_ERR(epoll_ctl(ep, 7, p[0], &ev), EINVAL);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (struct epoll_event *)8), EFAULT);
    int file = open("/proc/self/stat", O_RDONLY);
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, dir, &ev), EPERM);
    char path[64];
    snprintf(path, sizeof path, "/tmp/events-%d", getpid());
    int regular = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(regular >= 0);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, regular, &ev), EPERM);
    unlink(path);
    close(regular);
    close(file);
    close(dir);
    close(tmp);
    CHECK_EQ(epoll_add(ep, p[0], EPOLLIN, 1), 0);
    CHECK_ERR(epoll_add(ep, p[0], EPOLLIN, 1), EEXIST);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), EINVAL);
    ev.events = EPOLLIN | EPOLLONESHOT | EPOLLEXCLUSIVE;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), EINVAL);
    ev.events = EPOLLOUT | EPOLLEXCLUSIVE;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), EINVAL);  /* an exclusive item */
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
    struct epoll_event out[2];
    CHECK_ERR(epoll_wait(ep, out, 0, 0), EINVAL);
    CHECK_ERR(epoll_wait(p[0], out, 2, 0), EINVAL);
    CHECK_ERR(epoll_wait(999, out, 2, 0), EBADF);
    CHECK_ERR(epoll_wait(ep, (struct epoll_event *)0xffffffffffff0000ull, 2, 0), EFAULT);
    close(p[0]);
    close(p[1]);
    close(ep);
    check_end();
}

static void test_level(void) {
    check_begin("level: a readable pipe is reported on every call until drained");
    int ep = epoll_create1(0), p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(epoll_add(ep, p[0], EPOLLIN, 0x1234567890ull), 0);
    CHECK_EQ(epoll_add(ep, p[1], EPOLLOUT, 2), 0);
    struct epoll_event events[4];
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 1);  /* the write end only */
    CHECK_EQ(events[0].data.u64, 2);
    CHECK_EQ(events[0].events, EPOLLOUT);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0);
    CHECK_EQ(write(p[1], "abc", 3), 3);
    for (int round = 0; round < 3; round++) {
        CHECK_EQ(epoll_wait(ep, events, 4, 0), 1);
        CHECK_EQ(events[0].events, EPOLLIN);
        CHECK_EQ(events[0].data.u64, 0x1234567890ull);
    }
    char buf[8];
    CHECK_EQ(read(p[0], buf, 2), 2);
    CHECK_EQ(ready_now(ep, NULL), 1);
    CHECK_EQ(read(p[0], buf, 8), 1);
    CHECK_EQ(ready_now(ep, NULL), 0);
    close(p[0]);
    close(p[1]);
    close(ep);
    check_end();
}

static void test_edge(void) {
    check_begin("edge: once per write, not again after a partial read");
    int ep = epoll_create1(0), p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(epoll_add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
    CHECK_EQ(ready_now(ep, NULL), 0);
    CHECK_EQ(write(p[1], "abcd", 4), 4);
    struct epoll_event first = { 0 };
    CHECK_EQ(ready_now(ep, &first), 1);
    CHECK_EQ(first.events, EPOLLIN);
    CHECK_EQ(ready_now(ep, NULL), 0);
    char buf[4];
    CHECK_EQ(read(p[0], buf, 1), 1);
    CHECK_EQ(ready_now(ep, NULL), 0);  /* a read is no new edge */
    CHECK_EQ(write(p[1], "e", 1), 1);
    CHECK_EQ(ready_now(ep, NULL), 1);
    CHECK_EQ(ready_now(ep, NULL), 0);
    /* Edge-triggered write end: a read is an edge only if it makes room
     * in a full pipe (Linux's pipe_read wakes writers then only). */
    int out = epoll_create1(0);
    CHECK_EQ(epoll_add(out, p[1], EPOLLOUT | EPOLLET, 2), 0);
    CHECK_EQ(ready_now(out, NULL), 1);  /* ready when added */
    CHECK_EQ(ready_now(out, NULL), 0);
    CHECK_EQ(read(p[0], buf, 4), 4);
    CHECK_EQ(ready_now(out, NULL), 0);
    CHECK_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    static char chunk[4096];
    while (write(p[1], chunk, sizeof chunk) > 0) {}
    CHECK_EQ(ready_now(out, NULL), 0);
    CHECK_EQ(ready_now(ep, NULL), 1);  /* the read end: the writes were edges */
    CHECK_EQ(read(p[0], chunk, sizeof chunk), (long)sizeof chunk);
    CHECK_EQ(ready_now(out, NULL), 1);
    CHECK_EQ(read(p[0], chunk, sizeof chunk), (long)sizeof chunk);
    CHECK_EQ(ready_now(out, NULL), 0);
    /* eventfd: every write is an edge, even of 0. */
    int efd = eventfd(0, EFD_NONBLOCK);
    CHECK_EQ(epoll_add(ep, efd, EPOLLIN | EPOLLET, 3), 0);
    CHECK_EQ(write_u64(efd, 1), 8);
    CHECK_EQ(ready_now(ep, &first), 1);
    CHECK_EQ(first.data.u64, 3);
    CHECK_EQ(ready_now(ep, NULL), 0);
    CHECK_EQ(write_u64(efd, 0), 8);
    CHECK_EQ(ready_now(ep, NULL), 1);
    close(efd);
    close(out);
    close(p[0]);
    close(p[1]);
    close(ep);
    check_end();
}

static void test_oneshot(void) {
    check_begin("oneshot: once, then only after EPOLL_CTL_MOD");
    int ep = epoll_create1(0), p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(epoll_add(ep, p[0], EPOLLIN | EPOLLONESHOT, 9), 0);
    CHECK_EQ(ready_now(ep, NULL), 1);
    CHECK_EQ(ready_now(ep, NULL), 0);
    CHECK_EQ(write(p[1], "y", 1), 1);
    CHECK_EQ(ready_now(ep, NULL), 0);  /* disarmed: not even for new data */
    struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 10 };
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
    struct epoll_event first = { 0 };
    CHECK_EQ(ready_now(ep, &first), 1);
    CHECK_EQ(first.data.u64, 10);
    CHECK_EQ(ready_now(ep, NULL), 0);
    close(p[0]);
    close(p[1]);
    close(ep);
    check_end();
}

static void test_close(void) {
    check_begin("close: an item goes with the description, not with a descriptor");
    int ep = epoll_create1(0), p[2];
    CHECK_EQ(pipe(p), 0);
    int copy = dup(p[0]);
    CHECK_EQ(epoll_add(ep, p[0], EPOLLIN, 5), 0);
    CHECK_EQ(write(p[1], "x", 1), 1);
    close(p[0]);
    struct epoll_event first = { 0 };
    CHECK_EQ(ready_now(ep, &first), 1);  /* `copy` keeps the description */
    CHECK_EQ(first.data.u64, 5);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
    close(copy);
    CHECK_EQ(ready_now(ep, NULL), 0);
    /* A new description on the same number is a new file: not watched. */
    int p2[2];
    CHECK_EQ(pipe(p2), 0);
    CHECK_EQ(write(p2[1], "y", 1), 1);
    CHECK_EQ(ready_now(ep, NULL), 0);
    CHECK_EQ(epoll_add(ep, p2[0], EPOLLIN, 6), 0);
    CHECK_EQ(ready_now(ep, NULL), 1);
    /* Closing the epoll while it watches is fine, the pipe lives on. */
    close(ep);
    char c;
    CHECK_EQ(read(p2[0], &c, 1), 1);
    close(p2[0]);
    close(p2[1]);
    close(p[1]);
    check_end();
}

static void test_hup(void) {
    check_begin("hup: EPOLLHUP and EPOLLERR are always reported");
    int ep = epoll_create1(0), p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(epoll_add(ep, p[0], 0, 1), 0);  /* watching nothing at all */
    CHECK_EQ(ready_now(ep, NULL), 0);
    close(p[1]);
    struct epoll_event first = { 0 };
    CHECK_EQ(ready_now(ep, &first), 1);
    CHECK_EQ(first.events, EPOLLHUP);
    close(p[0]);
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(epoll_add(ep, p[1], EPOLLIN, 2), 0);
    CHECK_EQ(ready_now(ep, NULL), 0);
    close(p[0]);
    CHECK_EQ(ready_now(ep, &first), 1);
    CHECK_EQ(first.events, EPOLLERR);
    close(p[1]);
    close(ep);
    check_end();
}

static void test_many(void) {
    check_begin("many: maxevents bounds a call, the rest comes next");
    int ep = epoll_create1(0);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = eventfd(1, 0);
        CHECK_EQ(epoll_add(ep, fds[i], EPOLLIN, (uint64_t)i), 0);
    }
    struct epoll_event events[3];
    CHECK_EQ(epoll_wait(ep, events, 2, 0), 2);
    int seen = (1 << events[0].data.u64) | (1 << events[1].data.u64);
    CHECK_EQ(epoll_wait(ep, events, 1, 0), 1);
    seen |= 1 << events[0].data.u64;
    CHECK_EQ(seen, 7);  /* the one left out comes first next time */
    CHECK_EQ(epoll_wait(ep, events, 3, 0), 3);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    CHECK_EQ(epoll_wait(ep, events, 3, 0), 0);
    close(ep);
    check_end();
}

static void test_nested(void) {
    check_begin("nested: an epoll in an epoll, loops refused");
    int outer = epoll_create1(0), inner = epoll_create1(0), p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(epoll_add(inner, p[0], EPOLLIN, 1), 0);
    CHECK_EQ(epoll_add(outer, inner, EPOLLIN, 2), 0);
    CHECK_EQ(poll_bits(inner, POLLIN), 0);
    CHECK_EQ(ready_now(outer, NULL), 0);
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(poll_bits(inner, POLLIN), POLLIN);
    struct epoll_event first = { 0 };
    CHECK_EQ(ready_now(outer, &first), 1);
    CHECK_EQ(first.data.u64, 2);
    CHECK_EQ(first.events, EPOLLIN);
    CHECK_ERR(epoll_add(inner, outer, EPOLLIN, 3), ELOOP);
    /* A chain deeper than Linux's limit is refused too. */
    int chain[7];
    chain[0] = inner;
    int refused = 0;
    for (int i = 1; i < 7; i++) {
        chain[i] = epoll_create1(0);
        if (epoll_add(chain[i], chain[i - 1], EPOLLIN, 0) != 0) {
            int error = errno;
            CHECK_EQ(error, ELOOP);
            refused = i;
        }
    }
    CHECK(refused >= 5);
    for (int i = 1; i < 7; i++)
        close(chain[i]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    CHECK_EQ(ready_now(outer, NULL), 0);
    close(p[0]);
    close(p[1]);
    close(inner);
    close(outer);
    check_end();
}

static volatile sig_atomic_t g_handled;
static void on_signal(int signal) { g_handled = signal; }

static void test_wait(void) {
    check_begin("wait: wakes for a child's write, times out, EINTR");
    int ep = epoll_create1(0), p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(epoll_add(ep, p[0], EPOLLIN, 4), 0);
    struct epoll_event events[2];
    CHECK_EQ(epoll_wait(ep, events, 2, 30), 0);
    struct timespec zero = { 0, 0 }, later = { 0, 20000000 };
    CHECK_EQ(syscall(SYS_epoll_pwait2, ep, events, 2, &zero, NULL, 8), 0);
    CHECK_EQ(syscall(SYS_epoll_pwait2, ep, events, 2, &later, NULL, 8), 0);
    struct timespec bad = { 0, 1000000000 };
    CHECK_ERR(syscall(SYS_epoll_pwait2, ep, events, 2, &bad, NULL, 8), EINVAL);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        CHECK_EQ(write(p[1], "x", 1), 1);
        check_child_done(failures);
    }
    CHECK_EQ(epoll_wait(ep, events, 2, -1), 1);
    CHECK_EQ(events[0].data.u64, 4);
    check_child_status(child, 0, 0);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);

    struct sigaction action = { 0 };
    action.sa_handler = on_signal;
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    g_handled = 0;
    pid_t parent = getpid();
    child = fork();
    if (child == 0) {
        sleep_ms(50);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    CHECK_ERR(epoll_wait(ep, events, 2, -1), EINTR);
    CHECK_EQ(g_handled, SIGUSR1);
    check_child_status(child, 0, 0);
    /* epoll_pwait's mask: SIGUSR1 blocked while waiting, handled after. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    g_handled = 0;
    sigset_t wait_mask;
    sigemptyset(&wait_mask);
    sigaddset(&wait_mask, SIGUSR1);
    raise(SIGUSR1);
    CHECK_EQ(g_handled, SIGUSR1);
    g_handled = 0;
    CHECK_EQ(sigprocmask(SIG_BLOCK, &block, &old), 0);
    raise(SIGUSR1);
    CHECK_EQ(epoll_pwait(ep, events, 2, 20, &wait_mask), 0);  /* still blocked: times out */
    CHECK_EQ(g_handled, 0);
    sigset_t empty;
    sigemptyset(&empty);
    CHECK_ERR(epoll_pwait(ep, events, 2, -1, &empty), EINTR);  /* unblocked while waiting */
    CHECK_EQ(g_handled, SIGUSR1);
    CHECK_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    signal(SIGUSR1, SIG_DFL);
    close(p[0]);
    close(p[1]);
    close(ep);
    check_end();
}

/* Expirations of a timer that started at `start` with period `period`
 * (first expiry at start + first), as seen at time `at`. */
static uint64_t expected_ticks(uint64_t start, uint64_t first, uint64_t period, uint64_t at) {
    if (at < start + first)
        return 0;
    return period ? (at - start - first) / period + 1 : 1;
}

static void test_timerfd(void) {
    check_begin("timerfd: expiration counts, gettime, absolute times, errors");
    CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 0x1), EINVAL);
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK(fd >= 0);
    check_anonymous(fd, "timerfd");
    uint64_t count;
    CHECK_ERR(read(fd, &count, sizeof count), EAGAIN);  /* disarmed */
    struct itimerspec value = { { 0, 0 }, { 0, 0 } }, old;
    CHECK_EQ(timerfd_gettime(fd, &old), 0);
    CHECK_EQ(old.it_value.tv_sec + old.it_value.tv_nsec, 0);

    /* One-shot, relative. */
    value.it_value.tv_nsec = 20000000;
    CHECK_EQ(timerfd_settime(fd, 0, &value, NULL), 0);
    CHECK_EQ(timerfd_gettime(fd, &old), 0);
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 && old.it_value.tv_nsec <= 20000000);
    CHECK_EQ(poll_bits(fd, POLLIN), 0);
    sleep_ms(40);
    CHECK_EQ(poll_bits(fd, POLLIN), POLLIN);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_ERR(read(fd, &count, sizeof count), EAGAIN);
    CHECK_EQ(timerfd_gettime(fd, &old), 0);
    CHECK_EQ(old.it_value.tv_sec + old.it_value.tv_nsec, 0);  /* spent */

    /* Periodic: the count matches the clock read around it. */
    uint64_t period = 10000000, first = 15000000;
    value.it_value.tv_nsec = (long)first;
    value.it_interval.tv_nsec = (long)period;
    uint64_t before_set = now_ns(CLOCK_MONOTONIC);
    CHECK_EQ(timerfd_settime(fd, 0, &value, NULL), 0);
    uint64_t after_set = now_ns(CLOCK_MONOTONIC);
    sleep_ms(50);
    uint64_t before_read = now_ns(CLOCK_MONOTONIC);
    uint64_t ticks = read_u64(fd);
    uint64_t after_read = now_ns(CLOCK_MONOTONIC);
    /* At least what had expired by before_read counting from the latest
     * possible start, at most what had by after_read from the earliest. */
    CHECK(ticks >= expected_ticks(after_set, first, period, before_read));
    CHECK(ticks <= expected_ticks(before_set, first, period, after_read));
    CHECK(ticks >= 3);
    CHECK_EQ(timerfd_gettime(fd, &old), 0);
    CHECK_EQ(old.it_interval.tv_nsec, (long)period);
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 && old.it_value.tv_nsec <= (long)period);
    /* settime gives the old setting back and forgets the count. */
    sleep_ms(20);
    struct itimerspec off = { { 0, 0 }, { 0, 0 } };
    CHECK_EQ(timerfd_settime(fd, 0, &off, &old), 0);
    CHECK_EQ(old.it_interval.tv_nsec, (long)period);
    CHECK_ERR(read(fd, &count, sizeof count), EAGAIN);

    /* Absolute, already past: expires at once; 1.5 periods past with an
     * interval: two expirations. */
    struct itimerspec absolute = { { 0, 0 }, { 0, 0 } };
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    absolute.it_value.tv_sec = (time_t)((now - 15000000) / 1000000000ull);
    absolute.it_value.tv_nsec = (long)((now - 15000000) % 1000000000ull);
    absolute.it_interval.tv_nsec = 10000000;
    CHECK_EQ(timerfd_settime(fd, TFD_TIMER_ABSTIME, &absolute, NULL), 0);
    struct pollfd wait_for = { fd, POLLIN, 0 };
    CHECK_EQ(poll(&wait_for, 1, -1), 1);  /* Linux counts from its timer interrupt */
    uint64_t past = read_u64(fd);
    CHECK(past >= 2 && past <= 3);
    CHECK_EQ(timerfd_settime(fd, 0, &off, NULL), 0);

    /* CLOCK_REALTIME, absolute, in the future. */
    int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    CHECK(rt >= 0);
    uint64_t wall = now_ns(CLOCK_REALTIME) + 30000000;
    absolute.it_value.tv_sec = (time_t)(wall / 1000000000ull);
    absolute.it_value.tv_nsec = (long)(wall % 1000000000ull);
    absolute.it_interval.tv_nsec = 0;
    CHECK_EQ(timerfd_settime(rt, TFD_TIMER_ABSTIME, &absolute, NULL), 0);
    CHECK_ERR(read(rt, &count, sizeof count), EAGAIN);
    CHECK_EQ(timerfd_gettime(rt, &old), 0);
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 && old.it_value.tv_nsec <= 30000000);
    sleep_ms(50);
    CHECK_EQ(read_u64(rt), 1);
    close(rt);

    /* Errors. */
    struct itimerspec bad = { { 0, 0 }, { 0, 1000000000 } };
    CHECK_ERR(timerfd_settime(fd, 0, &bad, NULL), EINVAL);
    CHECK_ERR(timerfd_settime(fd, 0x8, &value, NULL), EINVAL);
    CHECK_ERR(timerfd_settime(fd, 0, NULL, NULL), EFAULT);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_ERR(timerfd_settime(p[0], 0, &value, NULL), EINVAL);
    CHECK_ERR(timerfd_gettime(p[0], &old), EINVAL);
    CHECK_ERR(timerfd_gettime(999, &old), EBADF);
    CHECK_ERR(read(fd, &count, 4), EINVAL);
    close(p[0]);
    close(p[1]);
    close(fd);

    /* A blocking read waits for the expiry; epoll sees it. */
    fd = timerfd_create(CLOCK_MONOTONIC, 0);
    int ep = epoll_create1(0);
    CHECK_EQ(epoll_add(ep, fd, EPOLLIN, 77), 0);
    struct itimerspec soon = { { 0, 0 }, { 0, 30000000 } };
    CHECK_EQ(timerfd_settime(fd, 0, &soon, NULL), 0);
    struct epoll_event event;
    CHECK_EQ(epoll_wait(ep, &event, 1, -1), 1);
    CHECK_EQ(event.data.u64, 77);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_EQ(timerfd_settime(fd, 0, &soon, NULL), 0);
    CHECK_EQ(read_u64(fd), 1);  /* blocks until it expires */
    close(ep);
    close(fd);
    check_end();
}

static void test_signalfd(void) {
    check_begin("signalfd: blocked signals read as records");
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &mask, &old), 0);
    CHECK_ERR(signalfd(-1, &mask, 0x1), EINVAL);
    CHECK_ERR(syscall(SYS_signalfd4, -1, &mask, 4, 0), EINVAL);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(fd >= 0);
    check_anonymous(fd, "signalfd");
    struct signalfd_siginfo records[4];
    CHECK_ERR(read(fd, records, sizeof records), EAGAIN);
    CHECK_ERR(read(fd, records, sizeof records[0] - 1), EINVAL);
    CHECK_EQ(poll_bits(fd, POLLIN), 0);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    CHECK_EQ(poll_bits(fd, POLLIN), POLLIN);
    CHECK_EQ(read(fd, records, sizeof records), 2 * (long)sizeof records[0]);
    CHECK_EQ(records[0].ssi_signo, SIGUSR1);
    CHECK_EQ(records[0].ssi_pid, getpid());
    CHECK_EQ(records[0].ssi_code, SI_USER);
    CHECK_EQ(records[1].ssi_signo, SIGUSR2);
    CHECK_EQ(poll_bits(fd, POLLIN), 0);
    sigset_t pending;
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(!sigismember(&pending, SIGUSR1));  /* taken by the read */

    /* A new mask for the same descriptor; KILL and STOP are dropped. */
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    sigaddset(&only2, SIGKILL);
    sigaddset(&only2, SIGSTOP);
    CHECK_EQ(signalfd(fd, &only2, 0), fd);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(poll_bits(fd, POLLIN), 0);
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    CHECK_EQ(read(fd, records, sizeof records), (long)sizeof records[0]);
    CHECK_EQ(records[0].ssi_signo, SIGUSR2);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_ERR(signalfd(p[0], &mask, 0), EINVAL);
    close(p[0]);
    close(p[1]);
    CHECK_ERR(signalfd(999, &mask, 0), EBADF);

    /* epoll and a blocking read see a signal sent by a child. */
    CHECK_EQ(signalfd(fd, &mask, 0), fd);
    CHECK_EQ(read(fd, records, sizeof records), (long)sizeof records[0]);  /* the SIGUSR1 left pending */
    int ep = epoll_create1(0);
    CHECK_EQ(epoll_add(ep, fd, EPOLLIN, 8), 0);
    CHECK_EQ(ready_now(ep, NULL), 0);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    struct epoll_event event;
    CHECK_EQ(epoll_wait(ep, &event, 1, -1), 1);
    CHECK_EQ(event.data.u64, 8);
    int flags = fcntl(fd, F_GETFL);
    CHECK_EQ(fcntl(fd, F_SETFL, flags & ~O_NONBLOCK), 0);
    CHECK_EQ(read(fd, records, sizeof records), (long)sizeof records[0]);
    CHECK_EQ(records[0].ssi_signo, SIGUSR2);
    CHECK_EQ(records[0].ssi_pid, child);
    check_child_status(child, 0, 0);
    child = fork();
    if (child == 0) {
        sleep_ms(50);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    CHECK_EQ(read(fd, records, sizeof records), (long)sizeof records[0]);  /* blocks */
    CHECK_EQ(records[0].ssi_signo, SIGUSR1);
    check_child_status(child, 0, 0);
    close(ep);
    close(fd);
    CHECK_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    check_end();
}

static void test_poll(void) {
    check_begin("poll: ppoll and select on the event files");
    int efd = eventfd(0, EFD_NONBLOCK);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    int ep = epoll_create1(0);
    CHECK_EQ(epoll_add(ep, efd, EPOLLIN, 1), 0);
    struct pollfd fds[3] = { { efd, POLLIN, 0 }, { tfd, POLLIN, 0 }, { ep, POLLIN, 0 } };
    CHECK_EQ(poll(fds, 3, 0), 0);
    struct itimerspec soon = { { 0, 0 }, { 0, 30000000 } };
    CHECK_EQ(timerfd_settime(tfd, 0, &soon, NULL), 0);
    CHECK_EQ(poll(fds, 3, -1), 1);  /* the timer wakes it */
    CHECK_EQ(fds[1].revents, POLLIN);
    CHECK_EQ(write_u64(efd, 1), 8);
    CHECK_EQ(poll(fds, 3, 0), 3);
    CHECK_EQ(fds[0].revents, POLLIN);
    CHECK_EQ(fds[2].revents, POLLIN);
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(efd, &readable);
    FD_SET(ep, &readable);
    struct timeval zero = { 0, 0 };
    CHECK_EQ(select((efd > ep ? efd : ep) + 1, &readable, NULL, NULL, &zero), 2);
    CHECK_EQ(read_u64(efd), 1);
    CHECK_EQ(read_u64(tfd), 1);
    CHECK_EQ(poll(fds, 3, 0), 0);
    close(ep);
    close(tfd);
    close(efd);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "eventfd", test_eventfd }, { "eventfd_block", test_eventfd_block }, { "epoll_ctl", test_epoll_ctl },
        { "level", test_level },     { "edge", test_edge },                   { "oneshot", test_oneshot },
        { "close", test_close },     { "hup", test_hup },                     { "many", test_many },
        { "nested", test_nested },   { "wait", test_wait },                   { "timerfd", test_timerfd },
        { "signalfd", test_signalfd }, { "poll", test_poll },
    };
    return check_run_tests("events", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
