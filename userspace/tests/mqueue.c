/* POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
 * mq_notify and mq_getsetattr (through glibc's mq_* functions), with Linux
 * 6.1's limits, priorities, timeouts, notification and errors. Validated
 * on Linux (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

#define QUEUE "/akuma-mq-test"

static struct timespec after_ms(long ms) {
    struct timespec when;
    clock_gettime(CLOCK_REALTIME, &when);
    when.tv_nsec += (ms % 1000) * 1000000L;
    when.tv_sec += ms / 1000 + when.tv_nsec / 1000000000L;
    when.tv_nsec %= 1000000000L;
    return when;
}

static void test_open(void) {
    check_begin("open");
    mq_unlink(QUEUE);
    CHECK_ERR(mq_open(QUEUE, O_RDWR), ENOENT);
    mqd_t queue = mq_open(QUEUE, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640, NULL);
    CHECK(queue >= 0);
    CHECK_EQ(fcntl(queue, F_GETFD), FD_CLOEXEC);
    CHECK_ERR(mq_open(QUEUE, O_RDWR | O_CREAT | O_EXCL, 0640, NULL), EEXIST);
    struct mq_attr attr;
    CHECK_EQ(mq_getattr(queue, &attr), 0);
    CHECK_EQ(attr.mq_maxmsg, 10);  /* msg_default */
    CHECK_EQ(attr.mq_msgsize, 8192);
    CHECK_EQ(attr.mq_curmsgs, 0);
    CHECK_EQ(attr.mq_flags, 0);
    struct stat st;
    CHECK_EQ(fstat(queue, &st), 0);
    CHECK_EQ(st.st_mode, S_IFREG | 0640);
    /* Opening again names the same queue; attributes are then ignored. */
    struct mq_attr other = { .mq_maxmsg = 3, .mq_msgsize = 16 };
    mqd_t again = mq_open(QUEUE, O_WRONLY | O_CREAT, 0600, &other);
    CHECK(again >= 0);
    CHECK_EQ(mq_getattr(again, &attr), 0);
    CHECK_EQ(attr.mq_maxmsg, 10);
    close(again);
    CHECK_EQ(mq_close(queue), 0);
    CHECK_EQ(mq_unlink(QUEUE), 0);
    CHECK_ERR(mq_unlink(QUEUE), ENOENT);
    /* Attributes at creation. */
    struct mq_attr small = { .mq_maxmsg = 4, .mq_msgsize = 64 };
    queue = mq_open(QUEUE, O_RDWR | O_CREAT | O_NONBLOCK, 0600, &small);
    CHECK(queue >= 0);
    CHECK_EQ(mq_getattr(queue, &attr), 0);
    CHECK(attr.mq_maxmsg == 4 && attr.mq_msgsize == 64 && attr.mq_flags == O_NONBLOCK);
    mq_close(queue);
    mq_unlink(QUEUE);
    struct mq_attr bad = { .mq_maxmsg = 0, .mq_msgsize = 64 };
    CHECK_ERR(mq_open(QUEUE, O_RDWR | O_CREAT, 0600, &bad), EINVAL);
    bad.mq_maxmsg = 4;
    bad.mq_msgsize = -1;
    CHECK_ERR(mq_open(QUEUE, O_RDWR | O_CREAT, 0600, &bad), EINVAL);
    bad.mq_msgsize = 64;
    bad.mq_maxmsg = 70000;  /* past HARD_MSGMAX, even for root */
    CHECK_ERR(mq_open(QUEUE, O_RDWR | O_CREAT, 0600, &bad), EINVAL);
    /* Names, as the kernel sees them (glibc drops the leading '/'). */
    CHECK_ERR(syscall(SYS_mq_open, "a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    CHECK_ERR(syscall(SYS_mq_open, "", O_RDWR | O_CREAT, 0600, NULL), ENOENT);
    CHECK_ERR(syscall(SYS_mq_open, "..", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    char long_name[300];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    CHECK_ERR(syscall(SYS_mq_open, long_name, O_RDWR | O_CREAT, 0600, NULL), ENAMETOOLONG);
    CHECK_ERR(syscall(SYS_mq_open, (char *)8, O_RDWR, 0600, NULL), EFAULT);
    CHECK_ERR(syscall(SYS_mq_unlink, "a/b"), EACCES);
    check_end();
}

static void test_messages(void) {
    check_begin("messages");
    mq_unlink(QUEUE);
    struct mq_attr small = { .mq_maxmsg = 3, .mq_msgsize = 16 };
    mqd_t queue = mq_open(QUEUE, O_RDWR | O_CREAT | O_NONBLOCK, 0600, &small);
    CHECK(queue >= 0);
    char buffer[32];
    unsigned priority = 99;
    CHECK_ERR(mq_receive(queue, buffer, sizeof buffer, &priority), EAGAIN);
    CHECK_ERR(mq_receive(queue, buffer, 8, &priority), EMSGSIZE);  /* shorter than mq_msgsize */
    CHECK_ERR(mq_send(queue, "0123456789abcdefX", 17, 0), EMSGSIZE);
    CHECK_ERR(mq_send(queue, "x", 1, 32768), EINVAL);  /* MQ_PRIO_MAX */
    /* Highest priority first; equal priorities in order sent. */
    CHECK_EQ(mq_send(queue, "low", 3, 1), 0);
    CHECK_EQ(mq_send(queue, "high", 4, 7), 0);
    CHECK_EQ(mq_send(queue, "low2", 4, 1), 0);
    CHECK_ERR(mq_send(queue, "full", 4, 1), EAGAIN);
    struct mq_attr attr;
    CHECK_EQ(mq_getattr(queue, &attr), 0);
    CHECK_EQ(attr.mq_curmsgs, 3);
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, &priority), 4);
    CHECK(memcmp(buffer, "high", 4) == 0 && priority == 7);
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, &priority), 3);
    CHECK(memcmp(buffer, "low", 3) == 0 && priority == 1);
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, NULL), 4);
    CHECK(memcmp(buffer, "low2", 4) == 0);
    CHECK_EQ(mq_send(queue, "", 0, 0), 0);  /* an empty message */
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, &priority), 0);
    /* mq_setattr: only O_NONBLOCK changes. */
    struct mq_attr flags = { .mq_flags = 0 }, old;
    CHECK_EQ(mq_setattr(queue, &flags, &old), 0);
    CHECK_EQ(old.mq_flags, O_NONBLOCK);
    CHECK_EQ(fcntl(queue, F_GETFL) & O_NONBLOCK, 0);
    flags.mq_flags = O_NONBLOCK | O_APPEND;
    CHECK_ERR(mq_setattr(queue, &flags, NULL), EINVAL);
    flags.mq_flags = O_NONBLOCK;
    CHECK_EQ(mq_setattr(queue, &flags, NULL), 0);
    /* The access mode counts. */
    mqd_t reader = mq_open(QUEUE, O_RDONLY);
    mqd_t writer = mq_open(QUEUE, O_WRONLY);
    CHECK_ERR(mq_send(reader, "x", 1, 0), EBADF);
    CHECK_ERR(mq_receive(writer, buffer, sizeof buffer, NULL), EBADF);
    CHECK_ERR(mq_send(0x7000, "x", 1, 0), EBADF);
    int plain = open("/", O_RDONLY);
    CHECK_ERR(mq_send(plain, "x", 1, 0), EBADF);
    close(plain);
    /* read() shows the state; poll the readiness. */
    CHECK_EQ(mq_send(writer, "abc", 3, 0), 0);
    char text[128] = { 0 };
    CHECK(read(queue, text, sizeof text - 1) > 0);
    CHECK(strncmp(text, "QSIZE:3 ", 8) == 0);
    struct pollfd poller[2] = { { reader, POLLIN, 0 }, { writer, POLLOUT, 0 } };
    CHECK_EQ(poll(poller, 2, 0), 2);
    CHECK_EQ(mq_receive(reader, buffer, sizeof buffer, NULL), 3);
    CHECK_EQ(poll(poller, 1, 0), 0);
    close(reader);
    close(writer);
    mq_close(queue);
    /* Unlinked while open: the queue lives on for its descriptors. */
    queue = mq_open(QUEUE, O_RDWR | O_NONBLOCK);
    CHECK_EQ(mq_unlink(QUEUE), 0);
    CHECK_EQ(mq_send(queue, "still", 5, 0), 0);
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, NULL), 5);
    mq_close(queue);
    check_end();
}

static void test_waiting(void) {
    check_begin("waiting");
    mq_unlink(QUEUE);
    struct mq_attr small = { .mq_maxmsg = 1, .mq_msgsize = 16 };
    mqd_t queue = mq_open(QUEUE, O_RDWR | O_CREAT, 0600, &small);
    char buffer[16];
    struct timespec soon = after_ms(100);
    CHECK_ERR(mq_timedreceive(queue, buffer, sizeof buffer, NULL, &soon), ETIMEDOUT);
    struct timespec wrong = { 0, 2000000000L };
    CHECK_ERR(mq_timedreceive(queue, buffer, sizeof buffer, NULL, &wrong), EINVAL);
    CHECK_EQ(mq_send(queue, "one", 3, 0), 0);
    soon = after_ms(100);
    CHECK_ERR(mq_timedsend(queue, "two", 3, 0, &soon), ETIMEDOUT);
    /* A bad timeout is refused even when there is no need to wait. */
    CHECK_ERR(mq_timedreceive(queue, buffer, sizeof buffer, NULL, &wrong), EINVAL);
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, NULL), 3);
    /* A blocked receiver is woken by another process's send. */
    pid_t child = fork();
    if (child == 0) {
        usleep(50000);
        mqd_t mine = mq_open(QUEUE, O_WRONLY);
        _exit(mq_send(mine, "late", 4, 3) == 0 ? 0 : 1);
    }
    unsigned priority = 0;
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, &priority), 4);
    CHECK(memcmp(buffer, "late", 4) == 0 && priority == 3);
    check_child_status(child, 0, 0);
    mq_close(queue);
    mq_unlink(QUEUE);
    check_end();
}

static volatile sig_atomic_t g_notified;
static volatile int g_code, g_value, g_pid;

static void on_notify(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    g_notified++;
    g_code = info->si_code;
    g_value = info->si_value.sival_int;
    g_pid = info->si_pid;
}

static void test_notify(void) {
    check_begin("notify");
    mq_unlink(QUEUE);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_notify;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &action, NULL);
    mqd_t queue = mq_open(QUEUE, O_RDWR | O_CREAT | O_NONBLOCK, 0600, NULL);
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = SIGUSR1;
    event.sigev_value.sival_int = 42;
    CHECK_EQ(mq_notify(queue, &event), 0);
    CHECK_ERR(mq_notify(queue, &event), EBUSY);  /* one registration per queue */
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        CHECK_ERR(mq_notify(queue, &event), EBUSY);
        CHECK_EQ(mq_notify(queue, NULL), 0);  /* not ours: nothing happens */
        CHECK_EQ(mq_send(queue, "ping", 4, 0), 0);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    for (int i = 0; i < 100 && !g_notified; i++)
        usleep(10000);
    CHECK_EQ(g_notified, 1);
    CHECK_EQ(g_code, SI_MESGQ);
    CHECK_EQ(g_value, 42);
    CHECK_EQ(g_pid, child);
    /* One-shot: the next message into an empty queue tells nobody. */
    char buffer[8192];
    CHECK_EQ(mq_receive(queue, buffer, sizeof buffer, NULL), 4);
    CHECK_EQ(mq_send(queue, "again", 5, 0), 0);
    usleep(50000);
    CHECK_EQ(g_notified, 1);
    /* Only a message into an empty queue notifies. */
    CHECK_EQ(mq_notify(queue, &event), 0);
    CHECK_EQ(mq_send(queue, "more", 4, 0), 0);
    usleep(50000);
    CHECK_EQ(g_notified, 1);
    CHECK_EQ(mq_notify(queue, NULL), 0);
    CHECK_EQ(mq_notify(queue, NULL), 0);
    event.sigev_signo = 65;
    CHECK_ERR(mq_notify(queue, &event), EINVAL);
    event.sigev_signo = 0;  /* no signal, but a registration */
    CHECK_EQ(mq_notify(queue, &event), 0);
    CHECK_EQ(mq_notify(queue, NULL), 0);
    event.sigev_notify = 99;
    CHECK_ERR(mq_notify(queue, &event), EINVAL);
    /* SIGEV_NONE registers without a signal. */
    event.sigev_notify = SIGEV_NONE;
    CHECK_EQ(mq_notify(queue, &event), 0);
    mq_close(queue);
    mq_unlink(QUEUE);
    check_end();
}

static void test_limits(void) {
    check_begin("limits");
    char text[32] = { 0 };
    int fd = open("/proc/sys/fs/mqueue/msg_max", O_RDONLY);
    CHECK(fd >= 0 && read(fd, text, sizeof text - 1) > 0);
    close(fd);
    CHECK(strcmp(text, "10\n") == 0);
    memset(text, 0, sizeof text);
    fd = open("/proc/sys/fs/mqueue/queues_max", O_RDONLY);
    CHECK(fd >= 0 && read(fd, text, sizeof text - 1) > 0);
    close(fd);
    CHECK(strcmp(text, "256\n") == 0);
    /* RLIMIT_MSGQUEUE bounds the bytes a user's queues may hold: one
     * default queue takes 82880 of them (Linux's accounting). */
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        struct rlimit limit = { 100000, 100000 };
        CHECK_EQ(setrlimit(RLIMIT_MSGQUEUE, &limit), 0);
        mq_unlink(QUEUE);
        mq_unlink(QUEUE "2");
        mqd_t first = mq_open(QUEUE, O_RDWR | O_CREAT, 0600, NULL);
        CHECK(first >= 0);
        CHECK_ERR(mq_open(QUEUE "2", O_RDWR | O_CREAT, 0600, NULL), EMFILE);
        struct mq_attr small = { .mq_maxmsg = 10, .mq_msgsize = 1000 };
        mqd_t second = mq_open(QUEUE "2", O_RDWR | O_CREAT, 0600, &small);
        CHECK(second >= 0);
        mq_unlink(QUEUE);
        mq_unlink(QUEUE "2");
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "open", test_open },     { "messages", test_messages }, { "waiting", test_waiting },
        { "notify", test_notify }, { "limits", test_limits },
    };
    return check_run_tests("mqueue", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
