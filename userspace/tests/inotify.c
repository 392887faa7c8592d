/* inotify(7): inotify_init1, inotify_add_watch, inotify_rm_watch and the
 * events Linux 6.1 delivers on tmpfs for opens, reads, writes, closes,
 * attribute changes, creates, links, unlinks, renames and umount, in
 * Linux's order; IN_ONESHOT, IN_EXCL_UNLINK, IN_MASK_ADD/IN_MASK_CREATE,
 * the queue limit, blocking reads and poll. Validated on Linux
 * (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "check.h"

#define DIR_PATH "/tmp/inotify-test"

struct want {
    int wd;
    unsigned mask;
    const char *name;
};

/* Reads what is queued (non-blocking) and checks it is exactly `wanted`;
 * the cookies of the events are left in `cookies`. */
static void expect_events(int fd, const struct want *wanted, int count, unsigned *cookies, int line) {
    char buffer[8192] __attribute__((aligned(8)));
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    ssize_t got = read(fd, buffer, sizeof buffer);
    fcntl(fd, F_SETFL, flags);
    if (got < 0)
        got = 0;
    int seen = 0;
    for (char *p = buffer; p < buffer + got; seen++) {
        struct inotify_event *event = (struct inotify_event *)p;
        const char *name = event->len ? event->name : "";
        if (seen < count) {
            const struct want *w = &wanted[seen];
            if (event->wd != w->wd || event->mask != w->mask || strcmp(name, w->name ? w->name : "") != 0) {
                printf("  check failed (line %d): event %d is wd=%d mask=%#x name=%s, want wd=%d mask=%#x name=%s\n",
                       line, seen, event->wd, event->mask, name, w->wd, w->mask, w->name ? w->name : "");
                check_failures++;
                check_group_fails++;
            }
            if (cookies)
                cookies[seen] = event->cookie;
        } else {
            printf("  check failed (line %d): extra event wd=%d mask=%#x name=%s\n", line, event->wd, event->mask, name);
            check_failures++;
            check_group_fails++;
        }
        p += sizeof *event + event->len;
    }
    if (seen < count) {
        printf("  check failed (line %d): %d events, want %d\n", line, seen, count);
        check_failures++;
        check_group_fails++;
    }
}
#define EXPECT(fd, cookies, ...)                                                             \
    do {                                                                                     \
        const struct want wanted_[] = { __VA_ARGS__ };                                       \
        expect_events(fd, wanted_, sizeof wanted_ / sizeof wanted_[0], cookies, __LINE__);   \
    } while (0)
#define EXPECT_NONE(fd) expect_events(fd, NULL, 0, NULL, __LINE__)

static void touch(const char *path) { close(open(path, O_CREAT | O_WRONLY, 0644)); }

static void fresh_dir(void) {
    system("rm -rf " DIR_PATH);
    CHECK_EQ(mkdir(DIR_PATH, 0755), 0);
}

static void test_api(void) {
    check_begin("api");
    fresh_dir();
    CHECK_ERR(inotify_init1(0x1234), EINVAL);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(in >= 0);
    CHECK_EQ(fcntl(in, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(in, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY | O_NONBLOCK);
    struct stat st;
    CHECK_EQ(fstat(in, &st), 0);
    CHECK_EQ(st.st_mode, 0600);
    char link[64] = { 0 };
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", in);
    CHECK(readlink(self, link, sizeof link - 1) > 0 && strcmp(link, "anon_inode:inotify") == 0);
    CHECK_ERR(inotify_add_watch(in, DIR_PATH, 0), EINVAL);
    CHECK_ERR(inotify_add_watch(in, DIR_PATH, 0x00010000), EINVAL);  /* no known bit */
    CHECK_ERR(inotify_add_watch(in, DIR_PATH, IN_OPEN | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
    CHECK_ERR(inotify_add_watch(0x7000, DIR_PATH, IN_OPEN), EBADF);
    int not_inotify = open("/", O_RDONLY);
    CHECK_ERR(inotify_add_watch(not_inotify, DIR_PATH, IN_OPEN), EINVAL);
    CHECK_ERR(inotify_rm_watch(not_inotify, 1), EINVAL);
    close(not_inotify);
    CHECK_ERR(inotify_add_watch(in, DIR_PATH "/missing", IN_OPEN), ENOENT);
    touch(DIR_PATH "/file");
    CHECK_ERR(inotify_add_watch(in, DIR_PATH "/file", IN_OPEN | IN_ONLYDIR), ENOTDIR);
    int wd = inotify_add_watch(in, DIR_PATH, IN_CREATE);
    CHECK_EQ(wd, 1);
    CHECK_EQ(inotify_add_watch(in, DIR_PATH "/", IN_DELETE | IN_MASK_ADD), wd);  /* the same inode */
    CHECK_ERR(inotify_add_watch(in, DIR_PATH, IN_DELETE | IN_MASK_CREATE), EEXIST);
    CHECK_EQ(inotify_add_watch(in, DIR_PATH "/file", IN_ATTRIB), 2);
    CHECK_ERR(inotify_rm_watch(in, 99), EINVAL);
    /* IN_MASK_ADD kept IN_CREATE. */
    touch(DIR_PATH "/second");
    unlink(DIR_PATH "/second");
    EXPECT(in, NULL, { wd, IN_CREATE, "second" }, { wd, IN_DELETE, "second" });
    /* Without IN_MASK_ADD the mask is replaced: no IN_CREATE any more. */
    CHECK_EQ(inotify_add_watch(in, DIR_PATH, IN_DELETE), wd);
    touch(DIR_PATH "/third");
    EXPECT_NONE(in);
    char buffer[64];
    CHECK_ERR(read(in, buffer, sizeof buffer), EAGAIN);
    /* A read must fit the whole first event; FIONREAD counts the padded records. */
    unlink(DIR_PATH "/third");
    int available = -1;
    CHECK_EQ(ioctl(in, FIONREAD, &available), 0);
    CHECK_EQ(available, 32);
    CHECK_ERR(read(in, buffer, 31), EINVAL);
    CHECK_EQ(read(in, buffer, sizeof buffer), 32);
    struct inotify_event *event = (struct inotify_event *)buffer;
    CHECK_EQ(event->len, 16);
    CHECK(strcmp(event->name, "third") == 0);
    /* rm_watch queues IN_IGNORED; the wd is gone afterwards. */
    CHECK_EQ(inotify_rm_watch(in, wd), 0);
    EXPECT(in, NULL, { wd, IN_IGNORED, NULL });
    CHECK_ERR(inotify_rm_watch(in, wd), EINVAL);
    /* wds are not reused at once. */
    CHECK_EQ(inotify_add_watch(in, DIR_PATH, IN_CREATE), 3);
    close(in);
    check_end();
}

static void test_file_events(void) {
    check_begin("file_events");
    fresh_dir();
    int in = inotify_init1(IN_NONBLOCK);
    int dw = inotify_add_watch(in, DIR_PATH, IN_ALL_EVENTS);
    int fd = open(DIR_PATH "/f", O_CREAT | O_WRONLY, 0644);
    int fw = inotify_add_watch(in, DIR_PATH "/f", IN_ALL_EVENTS);
    CHECK_EQ(write(fd, "abc", 3), 3);
    CHECK_EQ(write(fd, "d", 1), 1);
    CHECK_EQ(write(fd, "", 0), 0);  /* nothing written: no event */
    close(fd);
    EXPECT(in, NULL, { dw, IN_CREATE, "f" }, { dw, IN_OPEN, "f" }, { dw, IN_MODIFY, "f" }, { fw, IN_MODIFY, NULL },
           { dw, IN_MODIFY, "f" }, { fw, IN_MODIFY, NULL }, { dw, IN_CLOSE_WRITE, "f" },
           { fw, IN_CLOSE_WRITE, NULL });
    char bytes[8];
    fd = open(DIR_PATH "/f", O_RDONLY);
    CHECK_EQ(read(fd, bytes, 2), 2);
    CHECK_EQ(pread(fd, bytes, 8, 0), 4);
    CHECK_EQ(read(fd, bytes, 8), 2);
    CHECK_EQ(read(fd, bytes, 8), 0);  /* the end: no event */
    close(fd);
    EXPECT(in, NULL, { dw, IN_OPEN, "f" }, { fw, IN_OPEN, NULL }, { dw, IN_ACCESS, "f" }, { fw, IN_ACCESS, NULL },
           { dw, IN_ACCESS, "f" }, { fw, IN_ACCESS, NULL }, { dw, IN_ACCESS, "f" }, { fw, IN_ACCESS, NULL },
           { dw, IN_CLOSE_NOWRITE, "f" }, { fw, IN_CLOSE_NOWRITE, NULL });
    CHECK_EQ(chmod(DIR_PATH "/f", 0600), 0);
    CHECK_EQ(chown(DIR_PATH "/f", 1, 1), 0);
    CHECK_EQ(truncate(DIR_PATH "/f", 1), 0);
    struct timespec times[2] = { { 1, 0 }, { 2, 0 } };
    CHECK_EQ(utimensat(AT_FDCWD, DIR_PATH "/f", times, 0), 0);
    times[1].tv_nsec = UTIME_OMIT;
    CHECK_EQ(utimensat(AT_FDCWD, DIR_PATH "/f", times, 0), 0);
    times[1].tv_nsec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    CHECK_EQ(utimensat(AT_FDCWD, DIR_PATH "/f", times, 0), 0);
    EXPECT(in, NULL, { dw, IN_ATTRIB, "f" }, { fw, IN_ATTRIB, NULL }, { dw, IN_ATTRIB, "f" }, { fw, IN_ATTRIB, NULL },
           { dw, IN_MODIFY, "f" }, { fw, IN_MODIFY, NULL }, { dw, IN_ATTRIB, "f" }, { fw, IN_ATTRIB, NULL },
           { dw, IN_ACCESS, "f" }, { fw, IN_ACCESS, NULL }, { dw, IN_MODIFY, "f" }, { fw, IN_MODIFY, NULL });
    /* Through a descriptor: the name it was opened under. O_TRUNC is a modification before the open. */
    fd = open(DIR_PATH "/f", O_RDWR | O_TRUNC);
    CHECK_EQ(fchmod(fd, 0644), 0);
    CHECK_EQ(ftruncate(fd, 10), 0);
    close(fd);
    EXPECT(in, NULL, { dw, IN_MODIFY, "f" }, { fw, IN_MODIFY, NULL }, { dw, IN_OPEN, "f" }, { fw, IN_OPEN, NULL },
           { dw, IN_ATTRIB, "f" }, { fw, IN_ATTRIB, NULL }, { dw, IN_MODIFY, "f" }, { fw, IN_MODIFY, NULL },
           { dw, IN_CLOSE_WRITE, "f" }, { fw, IN_CLOSE_WRITE, NULL });
    /* A directory: open, listing, close, chmod carry IN_ISDIR. */
    CHECK_EQ(mkdir(DIR_PATH "/d", 0755), 0);
    int sw = inotify_add_watch(in, DIR_PATH "/d", IN_ALL_EVENTS);
    int dfd = open(DIR_PATH "/d", O_RDONLY | O_DIRECTORY);
    char listing[512];
    CHECK(syscall(SYS_getdents64, dfd, listing, sizeof listing) > 0);
    close(dfd);
    CHECK_EQ(chmod(DIR_PATH "/d", 0700), 0);
    EXPECT(in, NULL, { dw, IN_CREATE | IN_ISDIR, "d" }, { dw, IN_OPEN | IN_ISDIR, "d" }, { sw, IN_OPEN | IN_ISDIR, NULL },
           { dw, IN_ACCESS | IN_ISDIR, "d" }, { sw, IN_ACCESS | IN_ISDIR, NULL },
           { dw, IN_CLOSE_NOWRITE | IN_ISDIR, "d" }, { sw, IN_CLOSE_NOWRITE | IN_ISDIR, NULL },
           { dw, IN_ATTRIB | IN_ISDIR, "d" }, { sw, IN_ATTRIB | IN_ISDIR, NULL });
    close(in);
    check_end();
}

static void test_names(void) {
    check_begin("names");
    fresh_dir();
    touch(DIR_PATH "/a");
    touch(DIR_PATH "/b");
    CHECK_EQ(mkdir(DIR_PATH "/sub", 0755), 0);
    int in = inotify_init1(IN_NONBLOCK);
    int dw = inotify_add_watch(in, DIR_PATH, IN_ALL_EVENTS);
    int aw = inotify_add_watch(in, DIR_PATH "/a", IN_ALL_EVENTS);
    int bw = inotify_add_watch(in, DIR_PATH "/b", IN_ALL_EVENTS);
    int sw = inotify_add_watch(in, DIR_PATH "/sub", IN_ALL_EVENTS);
    unsigned cookies[8] = { 0 };
    /* link: the inode's link count changed, then the new name. */
    CHECK_EQ(link(DIR_PATH "/a", DIR_PATH "/hard"), 0);
    EXPECT(in, NULL, { aw, IN_ATTRIB, NULL }, { dw, IN_CREATE, "hard" });
    /* Two names of one inode: rename does nothing. */
    CHECK_EQ(rename(DIR_PATH "/a", DIR_PATH "/hard"), 0);
    EXPECT_NONE(in);
    CHECK_EQ(unlink(DIR_PATH "/hard"), 0);
    EXPECT(in, NULL, { aw, IN_ATTRIB, NULL }, { dw, IN_DELETE, "hard" });
    /* Rename over another file: the replaced one is deleted. */
    CHECK_EQ(rename(DIR_PATH "/a", DIR_PATH "/b"), 0);
    EXPECT(in, cookies, { dw, IN_MOVED_FROM, "a" }, { dw, IN_MOVED_TO, "b" }, { bw, IN_ATTRIB, NULL },
           { aw, IN_MOVE_SELF, NULL }, { bw, IN_DELETE_SELF, NULL }, { bw, IN_IGNORED, NULL });
    CHECK(cookies[0] != 0 && cookies[0] == cookies[1]);
    CHECK_EQ(cookies[2], 0);
    unsigned first_cookie = cookies[0];
    /* Into another directory. */
    CHECK_EQ(rename(DIR_PATH "/b", DIR_PATH "/sub/c"), 0);
    EXPECT(in, cookies, { dw, IN_MOVED_FROM, "b" }, { sw, IN_MOVED_TO, "c" }, { aw, IN_MOVE_SELF, NULL });
    CHECK(cookies[0] != 0 && cookies[0] == cookies[1] && cookies[0] != first_cookie);
    /* A directory moves: IN_ISDIR, but not on IN_MOVE_SELF. */
    CHECK_EQ(rename(DIR_PATH "/sub", DIR_PATH "/sub2"), 0);
    EXPECT(in, NULL, { dw, IN_MOVED_FROM | IN_ISDIR, "sub" }, { dw, IN_MOVED_TO | IN_ISDIR, "sub2" },
           { sw, IN_MOVE_SELF, NULL });
    /* unlink of a file nothing holds open. */
    CHECK_EQ(unlink(DIR_PATH "/sub2/c"), 0);
    EXPECT(in, NULL, { aw, IN_ATTRIB, NULL }, { aw, IN_DELETE_SELF, NULL }, { aw, IN_IGNORED, NULL },
           { sw, IN_DELETE, "c" });
    /* Other kinds of node. */
    CHECK_EQ(symlink("target", DIR_PATH "/link"), 0);
    CHECK_EQ(mknod(DIR_PATH "/fifo", S_IFIFO | 0600, 0), 0);
    CHECK_EQ(mkdir(DIR_PATH "/sub2/deeper", 0755), 0);
    EXPECT(in, NULL, { dw, IN_CREATE, "link" }, { dw, IN_CREATE, "fifo" }, { sw, IN_CREATE | IN_ISDIR, "deeper" });
    /* A watch on the symlink itself, which only asked for IN_ATTRIB. */
    int lw = inotify_add_watch(in, DIR_PATH "/link", IN_ATTRIB | IN_DONT_FOLLOW);
    CHECK(lw > 0);
    CHECK_EQ(unlink(DIR_PATH "/link"), 0);
    EXPECT(in, NULL, { lw, IN_ATTRIB, NULL }, { lw, IN_IGNORED, NULL }, { dw, IN_DELETE, "link" });
    /* rmdir */
    CHECK_EQ(rmdir(DIR_PATH "/sub2/deeper"), 0);
    CHECK_EQ(rmdir(DIR_PATH "/sub2"), 0);
    EXPECT(in, NULL, { sw, IN_DELETE | IN_ISDIR, "deeper" }, { sw, IN_DELETE_SELF, NULL }, { sw, IN_IGNORED, NULL },
           { dw, IN_DELETE | IN_ISDIR, "sub2" });
    close(in);
    check_end();
}

static void test_lifetime(void) {
    check_begin("lifetime");
    fresh_dir();
    int in = inotify_init1(IN_NONBLOCK);
    int dw = inotify_add_watch(in, DIR_PATH, IN_ALL_EVENTS);
    /* Unlinked while open: IN_DELETE_SELF waits for the last close. */
    int fd = open(DIR_PATH "/e", O_CREAT | O_RDWR, 0644);
    int ew = inotify_add_watch(in, DIR_PATH "/e", IN_ALL_EVENTS);
    int second = dup(fd);
    CHECK_EQ(unlink(DIR_PATH "/e"), 0);
    EXPECT(in, NULL, { dw, IN_CREATE, "e" }, { dw, IN_OPEN, "e" }, { ew, IN_ATTRIB, NULL }, { dw, IN_DELETE, "e" });
    CHECK_EQ(write(fd, "x", 1), 1);  /* the directory still hears of it by its old name */
    close(fd);
    EXPECT(in, NULL, { dw, IN_MODIFY, "e" }, { ew, IN_MODIFY, NULL });
    close(second);
    EXPECT(in, NULL, { dw, IN_CLOSE_WRITE, "e" }, { ew, IN_CLOSE_WRITE, NULL }, { ew, IN_DELETE_SELF, NULL },
           { ew, IN_IGNORED, NULL });
    /* IN_ONESHOT: one event, then the watch ends. */
    fd = open(DIR_PATH "/q", O_CREAT | O_RDWR, 0644);
    CHECK_EQ(inotify_rm_watch(in, dw), 0);
    EXPECT(in, NULL, { dw, IN_CREATE, "q" }, { dw, IN_OPEN, "q" }, { dw, IN_IGNORED, NULL });
    int qw = inotify_add_watch(in, DIR_PATH "/q", IN_MODIFY | IN_ONESHOT);
    CHECK_EQ(write(fd, "1", 1), 1);
    CHECK_EQ(write(fd, "2", 1), 1);
    EXPECT(in, NULL, { qw, IN_MODIFY, NULL }, { qw, IN_IGNORED, NULL });
    CHECK_ERR(inotify_rm_watch(in, qw), EINVAL);
    close(fd);
    /* IN_EXCL_UNLINK: nothing more about a child once it has no name. */
    dw = inotify_add_watch(in, DIR_PATH, IN_MODIFY | IN_EXCL_UNLINK);
    fd = open(DIR_PATH "/g", O_CREAT | O_RDWR, 0644);
    CHECK_EQ(write(fd, "1", 1), 1);
    CHECK_EQ(unlink(DIR_PATH "/g"), 0);
    CHECK_EQ(write(fd, "2", 1), 1);
    close(fd);
    EXPECT(in, NULL, { dw, IN_MODIFY, "g" });
    /* Identical events in a row are merged into one. */
    fd = open(DIR_PATH "/q", O_WRONLY);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(write(fd, "x", 1), 1);
    close(fd);
    EXPECT(in, NULL, { dw, IN_MODIFY, "q" });
    /* Closing an instance with watches ends them (nothing left behind). */
    int other = inotify_init1(0);
    CHECK(inotify_add_watch(other, DIR_PATH "/q", IN_ALL_EVENTS) > 0);
    CHECK(inotify_add_watch(other, DIR_PATH, IN_ALL_EVENTS) > 0);
    CHECK_EQ(close(other), 0);
    CHECK_EQ(unlink(DIR_PATH "/q"), 0);
    EXPECT_NONE(in);
    close(in);
    check_end();
}

/* The calls that move bytes inside the kernel tell of them too, as Linux
 * 6.1: sendfile and copy_file_range write through the splice machinery
 * (IN_MODIFY), then tell of the input and the output; splice tells only of
 * what it wrote into a file; fallocate is IN_MODIFY. */
static void test_transfers(void) {
    check_begin("transfers");
    fresh_dir();
    int source = open(DIR_PATH "/source", O_CREAT | O_RDWR, 0644);
    CHECK_EQ(write(source, "0123456789", 10), 10);
    int target = open(DIR_PATH "/target", O_CREAT | O_RDWR, 0644);
    int in = inotify_init1(IN_NONBLOCK);
    int sw = inotify_add_watch(in, DIR_PATH "/source", IN_ACCESS | IN_MODIFY);
    int tw = inotify_add_watch(in, DIR_PATH "/target", IN_ACCESS | IN_MODIFY);
    off_t at = 0;
    CHECK_EQ(sendfile(target, source, &at, 4), 4);
    EXPECT(in, NULL, { tw, IN_MODIFY, NULL }, { sw, IN_ACCESS, NULL }, { tw, IN_MODIFY, NULL });
    loff_t from = 4, to = 4;
    CHECK_EQ(copy_file_range(source, &from, target, &to, 3, 0), 3);
    EXPECT(in, NULL, { tw, IN_MODIFY, NULL }, { sw, IN_ACCESS, NULL }, { tw, IN_MODIFY, NULL });
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    loff_t offset = 0;
    CHECK_EQ(splice(source, &offset, pipe_fds[1], NULL, 5, 0), 5);
    CHECK_EQ(splice(pipe_fds[0], NULL, target, NULL, 5, 0), 5);
    EXPECT(in, NULL, { tw, IN_MODIFY, NULL });
    CHECK_EQ(fallocate(target, 0, 0, 8192), 0);
    EXPECT(in, NULL, { tw, IN_MODIFY, NULL });
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close(source);
    close(target);
    close(in);
    check_end();
}

static void write_sysctl(const char *path, const char *value) {
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, value, strlen(value)), (long)strlen(value));
    close(fd);
}

static void test_limits(void) {
    check_begin("limits");
    fresh_dir();
    char old[32] = { 0 };
    int fd = open("/proc/sys/fs/inotify/max_queued_events", O_RDONLY);
    CHECK(fd >= 0 && read(fd, old, sizeof old - 1) > 0);
    close(fd);
    CHECK(strcmp(old, "16384\n") == 0);
    fd = open("/proc/sys/fs/inotify/max_user_instances", O_RDONLY);
    char instances[32] = { 0 };
    CHECK(fd >= 0 && read(fd, instances, sizeof instances - 1) > 0);
    close(fd);
    CHECK(strcmp(instances, "128\n") == 0);
    write_sysctl("/proc/sys/fs/inotify/max_queued_events", "4\n");
    int in = inotify_init1(IN_NONBLOCK);
    int dw = inotify_add_watch(in, DIR_PATH, IN_CREATE);
    for (int i = 0; i < 8; i++) {
        char name[64];
        snprintf(name, sizeof name, DIR_PATH "/o%d", i);
        touch(name);
    }
    EXPECT(in, NULL, { dw, IN_CREATE, "o0" }, { dw, IN_CREATE, "o1" }, { dw, IN_CREATE, "o2" },
           { dw, IN_CREATE, "o3" }, { -1, IN_Q_OVERFLOW, NULL });
    write_sysctl("/proc/sys/fs/inotify/max_queued_events", old);
    close(in);
    /* Instances per user. */
    write_sysctl("/proc/sys/fs/inotify/max_user_instances", "3\n");
    int made[4];
    int count = 0;
    for (; count < 4; count++) {
        made[count] = inotify_init1(0);
        if (made[count] < 0)
            break;
    }
    CHECK(count < 4 && errno == EMFILE);
    for (int i = 0; i < count; i++)
        close(made[i]);
    write_sysctl("/proc/sys/fs/inotify/max_user_instances", instances);
    /* Watches per user. */
    char watches[32] = { 0 };
    fd = open("/proc/sys/fs/inotify/max_user_watches", O_RDONLY);
    CHECK(fd >= 0 && read(fd, watches, sizeof watches - 1) > 0);
    close(fd);
    write_sysctl("/proc/sys/fs/inotify/max_user_watches", "1\n");
    in = inotify_init1(0);
    CHECK(inotify_add_watch(in, DIR_PATH, IN_CREATE) > 0);
    CHECK_EQ(inotify_add_watch(in, DIR_PATH, IN_DELETE), 1);  /* the same watch */
    CHECK_ERR(inotify_add_watch(in, "/tmp", IN_CREATE), ENOSPC);
    close(in);
    write_sysctl("/proc/sys/fs/inotify/max_user_watches", watches);
    fd = open("/proc/sys/fs/inotify/max_user_watches", O_WRONLY);
    CHECK_ERR(write(fd, "-1\n", 3), EINVAL);  /* no negative limits */
    close(fd);
    check_end();
}

static void on_alarm(int signal) { (void)signal; }

static void test_waiting(void) {
    check_begin("waiting");
    fresh_dir();
    int in = inotify_init1(0);
    int dw = inotify_add_watch(in, DIR_PATH, IN_CREATE);
    struct pollfd poller = { in, POLLIN, 0 };
    CHECK_EQ(poll(&poller, 1, 0), 0);
    pid_t child = fork();
    if (child == 0) {
        usleep(50000);
        touch(DIR_PATH "/late");
        _exit(0);
    }
    /* A blocking read sleeps until the child makes the file. */
    char buffer[256] __attribute__((aligned(8)));
    CHECK_EQ(read(in, buffer, sizeof buffer), 32);
    struct inotify_event *event = (struct inotify_event *)buffer;
    CHECK_EQ(event->wd, dw);
    CHECK(strcmp(event->name, "late") == 0);
    check_child_status(child, 0, 0);
    touch(DIR_PATH "/now");
    CHECK_EQ(poll(&poller, 1, 1000), 1);
    CHECK_EQ(poller.revents, POLLIN);
    CHECK_EQ(read(in, buffer, sizeof buffer), 32);
    /* A signal ends a blocking read (no SA_RESTART): EINTR. */
    struct sigaction action = { 0 };
    action.sa_handler = on_alarm;
    sigaction(SIGALRM, &action, NULL);
    alarm(1);
    CHECK_ERR(read(in, buffer, sizeof buffer), EINTR);
    close(in);
    check_end();
}

static void test_unmount(void) {
    check_begin("unmount");
    fresh_dir();
    CHECK_EQ(mkdir(DIR_PATH "/m", 0755), 0);
    CHECK_EQ(mount("none", DIR_PATH "/m", "tmpfs", 0, NULL), 0);
    touch(DIR_PATH "/m/x");
    int in = inotify_init1(IN_NONBLOCK);
    int xw = inotify_add_watch(in, DIR_PATH "/m/x", IN_ALL_EVENTS);
    int rw = inotify_add_watch(in, DIR_PATH "/m", IN_CREATE);
    /* Watches do not keep a file system busy. */
    CHECK_EQ(umount(DIR_PATH "/m"), 0);
    EXPECT(in, NULL, { xw, IN_UNMOUNT, NULL }, { xw, IN_IGNORED, NULL }, { rw, IN_UNMOUNT | IN_ISDIR, NULL },
           { rw, IN_IGNORED, NULL });
    /* Busy (a file open on it): no events, the watch stays. */
    CHECK_EQ(mount("none", DIR_PATH "/m", "tmpfs", 0, NULL), 0);
    int fd = open(DIR_PATH "/m/y", O_CREAT | O_RDWR, 0644);
    rw = inotify_add_watch(in, DIR_PATH "/m", IN_CREATE);
    CHECK_ERR(umount(DIR_PATH "/m"), EBUSY);
    EXPECT_NONE(in);
    close(fd);
    CHECK_EQ(umount(DIR_PATH "/m"), 0);
    EXPECT(in, NULL, { rw, IN_UNMOUNT | IN_ISDIR, NULL }, { rw, IN_IGNORED, NULL });
    close(in);
    system("rm -rf " DIR_PATH);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "api", test_api },
        { "file_events", test_file_events },
        { "names", test_names },
        { "lifetime", test_lifetime },
        { "transfers", test_transfers },
        { "limits", test_limits },
        { "waiting", test_waiting },
        { "unmount", test_unmount },
    };
    return check_run_tests("inotify", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
