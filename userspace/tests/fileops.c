/* fileops: file and system calls Debian's programs reach for, as Linux:
 *   copy      copy_file_range with and without offset pointers, its EINVAL
 *             (flags, overlap) and EBADF (O_APPEND output) cases
 *   seekdata  SEEK_DATA/SEEK_HOLE on a file without holes: data from the
 *             offset, the hole at the end, ENXIO at or past it
 *   vectors   preadv/pwritev at an offset (the file offset stays), their
 *             v2 forms with offset -1, RWF_HIPRI, RWF_DSYNC and RWF_APPEND
 *   closerng  close_range closes a range, CLOSE_RANGE_CLOEXEC only marks
 *   names     sethostname is what uname and /proc/sys/kernel/hostname say;
 *             EINVAL past 64 bytes
 *   memfd     memfd_create: a nameless file to read, write, truncate and
 *             map shared; /proc/self/fd says "/memfd:NAME (deleted)"
 *   splice    splice between a regular file and a pipe both ways (offset
 *             pointers and own offsets), pipe to pipe, end of file,
 *             SPLICE_F_NONBLOCK's EAGAIN, EINVAL without a pipe or for
 *             unknown flags, ESPIPE for an offset on the pipe side
 *   misc      getcpu, fadvise64 (EINVAL for bad advice, ESPIPE on a pipe),
 *             getgroups, sched_getscheduler, sched_setaffinity (CPU 0;
 *             EINVAL for an empty mask), sched_rr_get_interval, lgetxattr
 * Usage: fileops [GROUP]. */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <sched.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/xattr.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif

static const char *tmp_path(const char *name) {
    static char path[128];
    snprintf(path, sizeof path, "/tmp/%s", name);
    return path;
}

static int make_file(const char *name, const char *contents) {
    int fd = open(tmp_path(name), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0 && contents) (void)!write(fd, contents, strlen(contents));
    return fd;
}

static void test_copy(void) {
    check_begin("copy: copy_file_range with and without offsets; EINVAL, EBADF");
    int in = make_file("fileops-in", "0123456789abcdef");
    int out = make_file("fileops-out", NULL);
    loff_t in_at = 4, out_at = 2;
    CHECK_EQ(copy_file_range(in, &in_at, out, &out_at, 6, 0), 6);
    CHECK_EQ((long)in_at, 10L);
    CHECK_EQ((long)out_at, 8L);
    CHECK_EQ((long)lseek(in, 0, SEEK_CUR), 16L); /* the offsets in the files stay */
    char buffer[32] = "";
    CHECK_EQ(pread(out, buffer, sizeof buffer, 0), 8);
    CHECK(memcmp(buffer, "\0\0" "456789", 8) == 0);
    CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
    CHECK_EQ(lseek(out, 0, SEEK_SET), 0);
    CHECK_EQ(copy_file_range(in, NULL, out, NULL, 100, 0), 16); /* to the end of the input */
    CHECK_EQ((long)lseek(in, 0, SEEK_CUR), 16L);
    CHECK_EQ((long)lseek(out, 0, SEEK_CUR), 16L);
    CHECK_EQ(copy_file_range(in, NULL, out, NULL, 100, 0), 0); /* at the end */
    CHECK_ERR(copy_file_range(in, NULL, out, NULL, 1, 1), EINVAL);
    loff_t a = 0, b = 4;
    CHECK_ERR(copy_file_range(in, &a, in, &b, 8, 0), EINVAL); /* overlapping */
    int appending = open(tmp_path("fileops-out"), O_WRONLY | O_APPEND);
    CHECK_ERR(copy_file_range(in, NULL, appending, NULL, 1, 0), EBADF);
    close(appending);
    close(in);
    close(out);
    unlink(tmp_path("fileops-in"));
    unlink(tmp_path("fileops-out"));
    check_end();
}

static void test_seekdata(void) {
    check_begin("seekdata: SEEK_DATA and SEEK_HOLE on a file without holes");
    int fd = make_file("fileops-seek", "some data here");
    CHECK_EQ((long)lseek(fd, 3, SEEK_DATA), 3L);
    CHECK_EQ((long)lseek(fd, 3, SEEK_HOLE), 14L);
    CHECK_ERR(lseek(fd, 14, SEEK_DATA), ENXIO);
    CHECK_ERR(lseek(fd, 20, SEEK_HOLE), ENXIO);
    close(fd);
    unlink(tmp_path("fileops-seek"));
    check_end();
}

static void test_vectors(void) {
    check_begin("vectors: preadv/pwritev at offsets; v2 with -1, RWF_HIPRI, RWF_DSYNC, RWF_APPEND");
    int fd = make_file("fileops-vec", "abcdefgh");
    char one[3] = "", two[3] = "";
    struct iovec read_vec[2] = { { one, 2 }, { two, 2 } };
    CHECK_EQ(preadv(fd, read_vec, 2, 2), 4);
    CHECK(memcmp(one, "cd", 2) == 0 && memcmp(two, "ef", 2) == 0);
    CHECK_EQ((long)lseek(fd, 0, SEEK_CUR), 8L);
    struct iovec write_vec[2] = { { "XY", 2 }, { "Z", 1 } };
    CHECK_EQ(pwritev(fd, write_vec, 2, 1), 3);
    char all[16] = "";
    CHECK_EQ(pread(fd, all, sizeof all, 0), 8);
    CHECK(memcmp(all, "aXYZefgh", 8) == 0);
    CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
    CHECK_EQ(preadv2(fd, read_vec, 1, -1, RWF_HIPRI), 2); /* at the file offset, which moves */
    CHECK(memcmp(one, "gh", 2) == 0);
    CHECK_EQ((long)lseek(fd, 0, SEEK_CUR), 8L);
    CHECK_EQ(pwritev2(fd, write_vec, 1, 0, RWF_DSYNC), 2);
    CHECK_EQ(pwritev2(fd, write_vec + 1, 1, 0, RWF_APPEND), 1); /* the offset is ignored */
    CHECK_EQ(pread(fd, all, sizeof all, 0), 9);
    CHECK(memcmp(all, "XYYZefghZ", 9) == 0);
    CHECK_ERR(preadv2(fd, read_vec, 1, 0, 0x1000), EOPNOTSUPP);
    close(fd);
    unlink(tmp_path("fileops-vec"));
    check_end();
}

static void test_closerng(void) {
    check_begin("closerng: close_range closes, CLOSE_RANGE_CLOEXEC only marks");
    CHECK_EQ(dup2(1, 30), 30);
    CHECK_EQ(dup2(1, 31), 31);
    CHECK_EQ(dup2(1, 33), 33);
    CHECK_EQ(syscall(SYS_close_range, 30, 31, 0), 0);
    CHECK_ERR(fcntl(30, F_GETFD), EBADF);
    CHECK_ERR(fcntl(31, F_GETFD), EBADF);
    CHECK_EQ(fcntl(33, F_GETFD), 0);
    CHECK_EQ(syscall(SYS_close_range, 32, ~0U, CLOSE_RANGE_CLOEXEC), 0);
    CHECK_EQ(fcntl(33, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(syscall(SYS_close_range, 33, ~0U, 0), 0);
    CHECK_ERR(fcntl(33, F_GETFD), EBADF);
    CHECK_ERR(syscall(SYS_close_range, 5, 4, 0), EINVAL);
    CHECK_ERR(syscall(SYS_close_range, 3, 4, 0x100), EINVAL);
    check_end();
}

static void test_names(void) {
    check_begin("names: sethostname shows in uname and /proc; EINVAL past 64 bytes");
    struct utsname before;
    CHECK_EQ(uname(&before), 0);
    CHECK_EQ(sethostname("fileops-host", 12), 0);
    struct utsname after;
    CHECK_EQ(uname(&after), 0);
    CHECK(strcmp(after.nodename, "fileops-host") == 0);
    char text[80] = "";
    int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, text, sizeof text - 1) > 0);
    close(fd);
    CHECK(strcmp(text, "fileops-host\n") == 0);
    char long_name[70];
    memset(long_name, 'x', sizeof long_name);
    CHECK_ERR(sethostname(long_name, 65), EINVAL);
    CHECK_EQ(sethostname(before.nodename, strlen(before.nodename)), 0);
    check_end();
}

static void test_misc(void) {
    check_begin("misc: getcpu, fadvise64, getgroups, sched_getscheduler, xattr answers");
    unsigned cpu = 99, node = 99;
    CHECK_EQ(syscall(SYS_getcpu, &cpu, &node, NULL), 0);
    CHECK(cpu < 64 && node == 0);
    int fd = make_file("fileops-misc", "x");
    CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
    CHECK_EQ(posix_fadvise(fd, 0, 0, 42), EINVAL);
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_EQ(posix_fadvise(pipe_fds[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    CHECK(getgroups(0, NULL) >= 0);
    CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
    CHECK_ERR(sched_getscheduler(-1), EINVAL);
    cpu_set_t mask;
    CHECK_ERR(sched_getaffinity(-1, sizeof mask, &mask), ESRCH); /* unlike the policy calls */
    CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
    CHECK_EQ(sched_get_priority_min(SCHED_OTHER), 0);
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_ERR(sched_setaffinity(0, sizeof set, &set), EINVAL); /* no CPU at all */
    CPU_SET(0, &set);
    CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0);
    struct timespec slice = { -1, -1 };
    CHECK_EQ(sched_rr_get_interval(0, &slice), 0);
    CHECK(slice.tv_sec == 0 && slice.tv_nsec >= 0 && slice.tv_nsec < 1000000000);
    char value[16];
    errno = 0;
    CHECK(lgetxattr(tmp_path("fileops-misc"), "user.none", value, sizeof value) == -1);
    CHECK(errno == ENODATA || errno == EOPNOTSUPP); /* no such attribute, either way */
    CHECK_ERR(lgetxattr(tmp_path("fileops-missing"), "user.none", value, sizeof value), ENOENT);
    close(fd);
    unlink(tmp_path("fileops-misc"));
    check_end();
}

static void test_memfd(void) {
    check_begin("memfd: memfd_create files: read, write, truncate, shared mapping, /proc name");
    int fd = memfd_create("fileops", MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    struct stat info;
    CHECK_EQ(fstat(fd, &info), 0);
    CHECK(S_ISREG(info.st_mode));
    CHECK_EQ(info.st_mode & 0777, 0777u);
    CHECK_EQ(write(fd, "memfd data", 10), 10);
    CHECK_EQ(ftruncate(fd, 8192), 0);
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    if (map != MAP_FAILED) {
        CHECK(memcmp(map, "memfd data", 10) == 0);
        memcpy(map + 4096, "through the map", 15);
        munmap(map, 8192);
    }
    char buffer[16] = "";
    CHECK_EQ(pread(fd, buffer, 15, 4096), 15);
    CHECK(memcmp(buffer, "through the map", 15) == 0);
    char link[64], target[128];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    CHECK(length > 0);
    if (length > 0) {
        target[length] = 0;
        CHECK(strcmp(target, "/memfd:fileops (deleted)") == 0);
    }
    close(fd);
    int plain = memfd_create("second", 0);
    CHECK(plain >= 0);
    CHECK_EQ(fcntl(plain, F_GETFD), 0);
    close(plain);
    char long_name[300];
    memset(long_name, 'n', sizeof long_name);
    long_name[250] = 0;
    CHECK_ERR(memfd_create(long_name, 0), EINVAL);
    CHECK_ERR(memfd_create("bad", 0x100), EINVAL);
    check_end();
}

static void test_splice(void) {
    check_begin("splice: file to pipe, pipe to file, pipe to pipe; EAGAIN, EINVAL, ESPIPE");
    alarm(30);
    int file = make_file("splice-in", "hello world");
    CHECK_EQ(lseek(file, 0, SEEK_SET), 0);
    int pipe_a[2], pipe_b[2];
    CHECK_EQ(pipe(pipe_a), 0);
    CHECK_EQ(pipe(pipe_b), 0);
    /* With an offset pointer: read there, the pointer moves, the file's
     * own offset stays. */
    loff_t at = 6;
    CHECK_EQ(splice(file, &at, pipe_a[1], NULL, 5, 0), 5);
    CHECK_EQ(at, 11);
    CHECK_EQ(lseek(file, 0, SEEK_CUR), 0);
    char buf[32] = {0};
    CHECK_EQ(read(pipe_a[0], buf, sizeof buf), 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    /* Without one: the file's offset moves. */
    CHECK_EQ(splice(file, NULL, pipe_a[1], NULL, 5, 0), 5);
    CHECK_EQ(lseek(file, 0, SEEK_CUR), 5);
    /* Pipe to pipe, then pipe to a file. */
    CHECK_EQ(splice(pipe_a[0], NULL, pipe_b[1], NULL, 64, 0), 5);
    int copy = make_file("splice-out", NULL);
    CHECK_EQ(splice(pipe_b[0], NULL, copy, NULL, 64, 0), 5);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(copy, buf, sizeof buf, 0), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    /* Into a file at an offset pointer. */
    CHECK_EQ(write(pipe_a[1], "XY", 2), 2);
    loff_t out_at = 1;
    CHECK_EQ(splice(pipe_a[0], NULL, copy, &out_at, 2, 0), 2);
    CHECK_EQ(out_at, 3);
    CHECK_EQ(pread(copy, buf, sizeof buf, 0), 5);
    CHECK(memcmp(buf, "hXYlo", 5) == 0);
    /* An empty pipe: EAGAIN when asked not to wait; end of file once no
     * writer is left. At the input's end of file: 0. */
    CHECK_ERR(splice(pipe_a[0], NULL, copy, NULL, 8, SPLICE_F_NONBLOCK), EAGAIN);
    at = 11;
    CHECK_EQ(splice(file, &at, pipe_a[1], NULL, 8, 0), 0);
    close(pipe_a[1]);
    CHECK_EQ(splice(pipe_a[0], NULL, copy, NULL, 8, 0), 0);
    /* Errors. */
    CHECK_ERR(splice(file, NULL, copy, NULL, 8, 0), EINVAL);
    at = 0;
    CHECK_ERR(splice(pipe_b[0], &at, copy, NULL, 8, 0), ESPIPE);
    CHECK_ERR(splice(file, NULL, pipe_b[1], NULL, 8, 0x100), EINVAL);
    int read_only = open(tmp_path("splice-in"), O_RDONLY);
    CHECK_ERR(splice(pipe_b[0], NULL, read_only, NULL, 8, 0), EBADF);
    close(read_only);
    close(pipe_a[0]);
    close(pipe_b[0]);
    close(pipe_b[1]);
    close(file);
    close(copy);
    unlink(tmp_path("splice-in"));
    unlink(tmp_path("splice-out"));
    alarm(0);
    check_end();
}

/* splice with sockets: a socket to a pipe and a pipe to a socket (UNIX
 * stream and TCP on loopback); an offset for a socket is EINVAL. A UNIX
 * socket takes SPLICE_F_NONBLOCK (TCP's splice_read only heeds the
 * socket's O_NONBLOCK, as Linux 6.1). */
static void splice_through(int pair[2], int unix_socket) {
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    if (unix_socket)
        CHECK_ERR(splice(pair[0], NULL, pipe_fds[1], NULL, 8, SPLICE_F_NONBLOCK), EAGAIN);
    CHECK_EQ(send(pair[1], "sockets", 7, 0), 7);
    CHECK_EQ(splice(pair[0], NULL, pipe_fds[1], NULL, 64, 0), 7);
    CHECK_EQ(splice(pipe_fds[0], NULL, pair[1], NULL, 64, 0), 7);
    char buf[16] = { 0 };
    CHECK_EQ(recv(pair[0], buf, sizeof buf, 0), 7);
    CHECK(memcmp(buf, "sockets", 7) == 0);
    loff_t at = 0;
    CHECK_EQ(write(pipe_fds[1], "x", 1), 1);
    CHECK_ERR(splice(pipe_fds[0], NULL, pair[1], &at, 1, 0), EINVAL);
    CHECK_ERR(splice(pair[0], &at, pipe_fds[1], NULL, 1, 0), EINVAL);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void test_splice_sockets(void) {
    check_begin("splice: socket to pipe, pipe to socket (UNIX, TCP)");
    alarm(30);
    int pair[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    splice_through(pair, 1);
    close(pair[0]);
    close(pair[1]);
    /* TCP on loopback (brought up if it is down, as on the reference machine). */
    int control = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    CHECK_EQ(ioctl(control, SIOCGIFFLAGS, &request), 0);
    if (!(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        CHECK_EQ(ioctl(control, SIOCSIFFLAGS, &request), 0);
    }
    close(control);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { 0 };
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(bind(listener, (struct sockaddr *)&address, sizeof address), 0);
    socklen_t length = sizeof address;
    CHECK_EQ(getsockname(listener, (struct sockaddr *)&address, &length), 0);
    CHECK_EQ(listen(listener, 1), 0);
    int tcp[2];
    tcp[1] = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(tcp[1], (struct sockaddr *)&address, sizeof address), 0);
    tcp[0] = accept(listener, NULL, NULL);
    CHECK(tcp[0] >= 0);
    splice_through(tcp, 0);
    close(tcp[0]);
    close(tcp[1]);
    close(listener);
    alarm(0);
    check_end();
}

/* syncfs, sync_file_range: Linux's argument checks; what they accept is
 * written back (here only their answers can be seen). */
static void test_sync(void) {
    check_begin("sync");
    int fd = open("/tmp/fileops-sync", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "abc", 3), 3);
    CHECK_EQ(syncfs(fd), 0);
    CHECK_ERR(syncfs(-1), EBADF);
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_EQ(syncfs(pipe_fds[0]), 0);  /* pipefs has nothing to write */
    CHECK_EQ(sync_file_range(fd, 0, 0, 0), 0);
    CHECK_EQ(sync_file_range(fd, 0, 3, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                        SYNC_FILE_RANGE_WAIT_AFTER), 0);
    CHECK_ERR(sync_file_range(fd, 0, 3, 8), EINVAL);
    CHECK_ERR(sync_file_range(fd, -1, 3, SYNC_FILE_RANGE_WRITE), EINVAL);
    CHECK_ERR(sync_file_range(fd, 0, -3, SYNC_FILE_RANGE_WRITE), EINVAL);
    CHECK_ERR(sync_file_range(pipe_fds[0], 0, 3, SYNC_FILE_RANGE_WRITE), ESPIPE);
    CHECK_ERR(sync_file_range(-1, 0, 3, SYNC_FILE_RANGE_WRITE), EBADF);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close(fd);
    unlink("/tmp/fileops-sync");
    check_end();
}

/* tee: one pipe's bytes into another without consuming them; vmsplice:
 * user memory into a pipe. */
static void test_tee(void) {
    check_begin("tee");
    int a[2], b[2], c[2];
    CHECK_EQ(pipe(a), 0);
    CHECK_EQ(pipe(b), 0);
    CHECK_EQ(pipe(c), 0);
    CHECK_EQ(write(a[1], "hello world", 11), 11);
    CHECK_EQ(tee(a[0], b[1], 5, 0), 5);
    CHECK_EQ(tee(a[0], c[1], 100, 0), 11);
    char buffer[32] = { 0 };
    CHECK_EQ(read(b[0], buffer, sizeof buffer), 5);
    CHECK(memcmp(buffer, "hello", 5) == 0);
    CHECK_EQ(read(c[0], buffer, sizeof buffer), 11);
    CHECK(memcmp(buffer, "hello world", 11) == 0);
    CHECK_EQ(read(a[0], buffer, sizeof buffer), 11);  /* still all there */
    /* Empty, no writers left: 0; with a writer and SPLICE_F_NONBLOCK: EAGAIN. */
    CHECK_ERR(tee(a[0], b[1], 5, SPLICE_F_NONBLOCK), EAGAIN);
    CHECK_ERR(tee(a[0], a[1], 5, 0), EINVAL);  /* the same pipe */
    int fd = open("/tmp/fileops-tee", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_ERR(tee(fd, b[1], 5, 0), EINVAL);  /* not a pipe */
    CHECK_ERR(tee(a[0], fd, 5, 0), EINVAL);
    CHECK_ERR(tee(a[0], b[1], 5, 0x100), EINVAL);
    CHECK_ERR(tee(a[1], b[1], 5, 0), EBADF);  /* the write end is not readable */
    close(a[1]);
    CHECK_EQ(tee(a[0], b[1], 5, 0), 0);
    /* A full output pipe with SPLICE_F_NONBLOCK: EAGAIN. */
    int d[2];
    CHECK_EQ(pipe(d), 0);
    CHECK_EQ(write(d[1], "xyz", 3), 3);
    CHECK_EQ(fcntl(c[1], F_SETPIPE_SZ, 4096), 4096);
    static char filler[4096];
    CHECK_EQ(write(c[1], filler, sizeof filler), (long)sizeof filler);
    CHECK_ERR(tee(d[0], c[1], 3, SPLICE_F_NONBLOCK), EAGAIN);

    /* vmsplice: the bytes of the iovecs, in order. */
    struct iovec parts[2] = { { "vm", 2 }, { "splice", 6 } };
    CHECK_EQ(vmsplice(b[1], parts, 2, 0), 8);
    CHECK_EQ(read(b[0], buffer, sizeof buffer), 8);
    CHECK(memcmp(buffer, "vmsplice", 8) == 0);
    CHECK_ERR(vmsplice(fd, parts, 2, 0), EBADF);  /* not a pipe */
    CHECK_ERR(vmsplice(b[1], parts, 2, 0x100), EINVAL);
    struct iovec wild = { (void *)8, 4 };
    CHECK_ERR(vmsplice(b[1], &wild, 1, 0), EFAULT);
    close(fd);
    unlink("/tmp/fileops-tee");
    close(a[0]);
    close(b[0]);
    close(b[1]);
    close(c[0]);
    close(c[1]);
    close(d[0]);
    close(d[1]);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "copy", test_copy },         { "seekdata", test_seekdata }, { "vectors", test_vectors },
        { "closerng", test_closerng }, { "names", test_names },       { "misc", test_misc },
        { "memfd", test_memfd },       { "splice", test_splice },     { "splice_sockets", test_splice_sockets },     { "sync", test_sync },
        { "tee", test_tee },
    };
    return check_run_tests("fileops", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
