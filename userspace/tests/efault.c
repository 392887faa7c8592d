/* efault: pointer-taking syscalls given bad user pointers must fail with
 * EFAULT (or do exactly what Linux does) and never crash the caller.
 *
 * Bad pointers tried (see setup_pointers):
 *   null      NULL
 *   kernel    0xffff000000000000 (a kernel address)
 *   unmapped  a page that was mapped and then munmapped
 *   readonly  a PROT_READ page, only for buffers the kernel WRITES
 *   straddle  the last 8 bytes of a mapped page followed by an unmapped page,
 *             used with a length of 16 or more
 *
 * Linux facts checked here (Debian arm64 kernel via linux-ref):
 *   - read/write/getrandom into or out of a straddling buffer return the
 *     partial count (8), not EFAULT; readv with a good iov[0] and a bad
 *     iov[1] returns the bytes of iov[0].
 *   - everything that copies a whole struct (stat, timespec, utsname,
 *     sigaction, rlimit, iovec array, termios) fails with EFAULT if any
 *     byte of it is bad; readlinkat and getdents64 too (getdents64 may
 *     still have stored the first bytes of a record before it faulted).
 *   - but a terminal and a pipe take a write in pieces, each copied whole or
 *     not at all: the tty layer in 2048-byte chunks, a pipe in pages (the
 *     length % 4096 bytes that top up the last page, then 4096 at a time).
 *     A piece that runs into the hole ends the write: the bytes of the
 *     pieces before it, or EFAULT when there were none (100 good bytes of
 *     200 are EFAULT; 3000 of 5000 to a tty are 2048). writev is one
 *     stream, so a good iov[0] does not save a bad iov[1] there.
 *   - /dev/null does not read the buffer: an unmapped one is fine, a
 *     kernel address is still EFAULT.
 *   - getcwd only copies the path it returns: "/tmp" fits in the 8 good
 *     bytes of the straddle buffer, so it succeeds (returns 5).
 *   - a path with no NUL before the unmapped page is EFAULT.
 *   - NULL is allowed (returns 0) for clock_getres res, gettimeofday tv,
 *     rt_sigaction act/oldact, rt_sigprocmask set/oldset, prlimit64 old.
 *   - futex FUTEX_WAIT on a read-only page works (it only reads), so with a
 *     mismatched value it returns EAGAIN.
 */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static char *p_kernel = (char *)0xffff000000000000UL;
static char *p_unmapped;
static char *p_readonly;
static char *p_straddle; /* 8 good bytes, then an unmapped page */
static char *p_straddle4; /* 4 good bytes: for objects of exactly 8 bytes */
static char *p_hole;      /* three good pages end here, then an unmapped page */

static const char *data_path = "/tmp/efault_data";
static const char *link_path = "/tmp/efault_link";
static int data_fd = -1;

static void setup_pointers(void) {
    /* Map everything first: no later mmap may land in the holes we make. */
    char *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *b = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p_readonly = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *c = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED || b == MAP_FAILED || p_readonly == MAP_FAILED || c == MAP_FAILED) {
        printf("setup: mmap failed\n");
        exit(1);
    }
    if (munmap(a, PAGE) != 0 || munmap(b + PAGE, PAGE) != 0 || munmap(c + 3 * PAGE, PAGE) != 0) {
        printf("setup: munmap failed\n");
        exit(1);
    }
    p_unmapped = a;
    p_straddle = b + PAGE - 8;
    p_straddle4 = b + PAGE - 4;
    p_hole = c + 3 * PAGE;
    memset(c, ' ', 3 * PAGE); /* what a terminal shows of them */
}

static void setup_files(void) {
    char buf[64];
    memset(buf, 'x', sizeof buf);
    unlink(data_path);
    unlink(link_path);
    data_fd = open(data_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (data_fd < 0 || write(data_fd, buf, sizeof buf) != (ssize_t)sizeof buf ||
        symlink(data_path, link_path) != 0 || chdir("/tmp") != 0) {
        printf("setup: file setup failed (errno %d)\n", errno);
        exit(1);
    }
}

/* One bad-pointer case: fn(p) must return want, with errno want_errno when
 * want is -1. */
static void expect(const char *label, long (*fn)(char *), char *p, long want, int want_errno) {
    errno = 0;
    long r = fn(p);
    int e = errno;
    if (r != want || (want == -1 && e != want_errno)) {
        printf("  %s: got %ld errno %d (%s), want %ld errno %d\n", label, r, e,
               strerror(e), want, want == -1 ? want_errno : 0);
        check_failures++;
        check_group_fails++;
    }
}

/* Buffers the kernel writes: all five bad pointers; straddle result given. */
static void out_buf(const char *name, long (*fn)(char *), long straddle_want) {
    check_begin(name);
    expect("null", fn, NULL, -1, EFAULT);
    expect("kernel", fn, p_kernel, -1, EFAULT);
    expect("unmapped", fn, p_unmapped, -1, EFAULT);
    expect("readonly", fn, p_readonly, -1, EFAULT);
    expect("straddle", fn, p_straddle, straddle_want, EFAULT);
    check_end();
}

/* Pointers the kernel only reads (paths, requests): no read-only case. */
static void in_ptr(const char *name, long (*fn)(char *)) {
    check_begin(name);
    /* Non-NUL bytes up to the hole, so a path read runs into it; refilled
     * each time because earlier tests wrote partial output here. */
    memset(p_straddle, 'a', 8);
    expect("null", fn, NULL, -1, EFAULT);
    expect("kernel", fn, p_kernel, -1, EFAULT);
    expect("unmapped", fn, p_unmapped, -1, EFAULT);
    expect("straddle", fn, p_straddle, -1, EFAULT);
    check_end();
}

/* ---- thin wrappers: one bad pointer argument each ---- */

static long do_read(char *p) {
    lseek(data_fd, 0, SEEK_SET);
    return syscall(SYS_read, data_fd, p, 16);
}
static long do_write(char *p) {
    lseek(data_fd, 0, SEEK_SET);
    return syscall(SYS_write, data_fd, p, 16);
}
static long do_readv_arr(char *p) { return syscall(SYS_readv, data_fd, p, 1); }
static long do_writev_arr(char *p) { return syscall(SYS_writev, data_fd, p, 1); }
static long do_readv_base(char *p) {
    struct iovec iov = {p, 16};
    lseek(data_fd, 0, SEEK_SET);
    return syscall(SYS_readv, data_fd, &iov, 1);
}
static long do_writev_base(char *p) {
    struct iovec iov = {p, 16};
    lseek(data_fd, 0, SEEK_SET);
    return syscall(SYS_writev, data_fd, &iov, 1);
}
static long do_openat(char *p) { return syscall(SYS_openat, AT_FDCWD, p, O_RDONLY); }
static long do_fstatat_path(char *p) {
    struct stat st;
    return syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0);
}
static long do_fstatat_buf(char *p) { return syscall(SYS_newfstatat, AT_FDCWD, data_path, p, 0); }
static long do_fstat(char *p) { return syscall(SYS_fstat, data_fd, p); }
static long do_getdents64(char *p) {
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    long r = syscall(SYS_getdents64, fd, p, 64);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}
static long do_readlinkat_path(char *p) {
    char buf[64];
    return syscall(SYS_readlinkat, AT_FDCWD, p, buf, sizeof buf);
}
static long do_readlinkat_buf(char *p) { return syscall(SYS_readlinkat, AT_FDCWD, link_path, p, 64); }
static long do_faccessat(char *p) { return syscall(SYS_faccessat, AT_FDCWD, p, F_OK); }
static long do_getcwd(char *p) { return syscall(SYS_getcwd, p, 64); }
static long do_chdir(char *p) { return syscall(SYS_chdir, p); }
static long do_uname(char *p) { return syscall(SYS_uname, p); }
static long do_clock_gettime(char *p) { return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p); }
static long do_clock_getres(char *p) { return syscall(SYS_clock_getres, CLOCK_MONOTONIC, p); }
static long do_gettimeofday(char *p) { return syscall(SYS_gettimeofday, p, NULL); }
static long do_nanosleep(char *p) { return syscall(SYS_nanosleep, p, NULL); }
static long do_clock_nanosleep(char *p) { return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, NULL); }
static long do_getrandom(char *p) { return syscall(SYS_getrandom, p, 16, 0); }
/* 8 = sizeof the kernel's sigset_t on arm64. */
static long do_sigaction_act(char *p) { return syscall(SYS_rt_sigaction, SIGUSR2, p, NULL, 8); }
static long do_sigaction_old(char *p) { return syscall(SYS_rt_sigaction, SIGUSR2, NULL, p, 8); }
static long do_sigprocmask_set(char *p) { return syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8); }
static long do_sigprocmask_old(char *p) { return syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8); }
static long do_prlimit_old(char *p) { return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p); }
static long do_prlimit_new(char *p) { return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, p, NULL); }
/* Value 1 never matches (the test pages hold 0 or 'a'), so no wait. */
static long do_futex(char *p) { return syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0); }
static long do_tcgets(char *p) { return syscall(SYS_ioctl, 1, TCGETS, p); }
static long do_mkdirat(char *p) { return syscall(SYS_mkdirat, AT_FDCWD, p, 0755); }
static long do_unlinkat(char *p) { return syscall(SYS_unlinkat, AT_FDCWD, p, 0); }
static long do_symlinkat_target(char *p) {
    return syscall(SYS_symlinkat, p, AT_FDCWD, "/tmp/efault_newlink");
}
static long do_symlinkat_link(char *p) { return syscall(SYS_symlinkat, "/tmp/x", AT_FDCWD, p); }

static long write_hole(int fd, size_t good, size_t count) {
    return syscall(SYS_write, fd, p_hole - good, count);
}

/* iov[0] good, iov[1] 100 good bytes of 200. */
static long writev_hole(int fd) {
    struct iovec iov[2] = {{p_hole - 3 * PAGE, 10}, {p_hole - 100, 200}};
    return syscall(SYS_writev, fd, iov, 2);
}

/* The terminal: stdout when it is one (the console, on Linux and Akuma). */
static void test_tty_write(void) {
    int fd = isatty(1) ? 1 : open("/dev/console", O_WRONLY);
    if (fd < 0 || !isatty(fd)) {
        check_begin("write to a terminal (none here: skipped)");
        check_end();
        return;
    }
    check_begin("write to a terminal: 2048-byte chunks copied whole, else EFAULT");
    CHECK_ERR(write_hole(fd, 100, 200), EFAULT);
    CHECK_ERR(write_hole(fd, 0, 10), EFAULT);
    CHECK_ERR(write_hole(fd, 2047, 4096), EFAULT);
    CHECK_ERR(writev_hole(fd), EFAULT);
    CHECK_EQ(write_hole(fd, 10, 10), 10);
    CHECK_EQ(write_hole(fd, 3000, 5000), 2048);
    CHECK_EQ(write_hole(fd, 2048, 4096), 2048);
    CHECK_EQ(write(fd, "\n", 1), 1);
    check_end();
    if (fd != 1)
        close(fd);
}

/* A pipe, fresh for each case; `prefill` bytes already in it. */
static long pipe_case(size_t prefill, size_t good, size_t count, size_t *buffered) {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK) != 0)
        return -2;
    if (prefill && write(fds[1], p_hole - 3 * PAGE, prefill) != (ssize_t)prefill)
        return -3;
    errno = 0;
    long r = good == (size_t)-1 ? writev_hole(fds[1]) : write_hole(fds[1], good, count);
    int saved = errno;
    int available = -1;
    ioctl(fds[0], FIONREAD, &available);
    *buffered = (size_t)available;
    close(fds[0]);
    close(fds[1]);
    errno = saved;
    return r;
}

static void test_pipe_write(void) {
    check_begin("write to a pipe: pages copied whole, else EFAULT");
    size_t buffered;
    CHECK_ERR(pipe_case(0, 100, 200, &buffered), EFAULT);
    CHECK_EQ(buffered, 0);
    CHECK_ERR(pipe_case(0, 3000, 5000, &buffered), EFAULT);
    CHECK_EQ(pipe_case(0, 5000, 9000, &buffered), 4096);
    CHECK_EQ(buffered, 4096);
    /* Behind one byte: 12388 % 4096 = 100 top up the first page, then
     * whole pages up to the hole. */
    CHECK_ERR(pipe_case(1, 100, 200, &buffered), EFAULT);
    CHECK_EQ(pipe_case(1, 150, 4196, &buffered), 100);
    CHECK_EQ(pipe_case(1, 9000, 12388, &buffered), 100 + 2 * 4096);
    CHECK_EQ(buffered, 1 + 100 + 2 * 4096);
    CHECK_ERR(pipe_case(0, (size_t)-1, 0, &buffered), EFAULT);
    check_end();
}

static void test_null_write(void) {
    check_begin("write to /dev/null: the buffer is not read");
    int fd = open("/dev/null", O_WRONLY);
    CHECK_EQ(syscall(SYS_write, fd, p_unmapped, 16), 16);
    CHECK_EQ(write_hole(fd, 100, 200), 200);
    CHECK_ERR(syscall(SYS_write, fd, p_kernel, 16), EFAULT);
    close(fd);
    check_end();
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("efault test\n"); /* stdio allocates its buffer before the holes exist */
    setup_files();
    setup_pointers();

    out_buf("read (into bad buffer; straddle -> partial 8)", do_read, 8);

    /* write only reads the buffer, so a read-only source is fine. */
    check_begin("write (from bad buffer; straddle -> partial 8)");
    expect("null", do_write, NULL, -1, EFAULT);
    expect("kernel", do_write, p_kernel, -1, EFAULT);
    expect("unmapped", do_write, p_unmapped, -1, EFAULT);
    expect("readonly source", do_write, p_readonly, 16, 0);
    expect("straddle", do_write, p_straddle, 8, 0);
    check_end();

    test_tty_write();
    test_pipe_write();
    test_null_write();

    in_ptr("readv (bad iovec array)", do_readv_arr);
    out_buf("readv (bad iov_base; straddle -> partial 8)", do_readv_base, 8);
    in_ptr("writev (bad iovec array)", do_writev_arr);
    check_begin("writev (bad iov_base; straddle -> partial 8)");
    expect("null", do_writev_base, NULL, -1, EFAULT);
    expect("kernel", do_writev_base, p_kernel, -1, EFAULT);
    expect("unmapped", do_writev_base, p_unmapped, -1, EFAULT);
    expect("straddle", do_writev_base, p_straddle, 8, 0);
    check_end();

    /* A good first iovec then a bad one: Linux returns what it transferred. */
    check_begin("readv (good iov[0], bad iov[1] -> partial)");
    {
        char good[4];
        struct iovec iov[2] = {{good, sizeof good}, {p_unmapped, 16}};
        lseek(data_fd, 0, SEEK_SET);
        CHECK_EQ(syscall(SYS_readv, data_fd, iov, 2), 4);
    }
    check_end();

    in_ptr("openat (bad path)", do_openat);
    in_ptr("newfstatat (bad path)", do_fstatat_path);
    out_buf("newfstatat (bad statbuf)", do_fstatat_buf, -1);
    out_buf("fstat (bad statbuf)", do_fstat, -1);
    out_buf("getdents64 (bad buffer)", do_getdents64, -1);
    in_ptr("readlinkat (bad path)", do_readlinkat_path);
    out_buf("readlinkat (bad buffer)", do_readlinkat_buf, -1);
    in_ptr("faccessat (bad path)", do_faccessat);
    out_buf("getcwd (bad buffer; \"/tmp\" fits the straddle -> 5)", do_getcwd, 5);
    in_ptr("chdir (bad path)", do_chdir);
    out_buf("uname", do_uname, -1);
    out_buf("clock_gettime", do_clock_gettime, -1);

    /* res and tv may be NULL: that means "don't report it". */
    check_begin("clock_getres (NULL res allowed)");
    expect("null", do_clock_getres, NULL, 0, 0);
    expect("kernel", do_clock_getres, p_kernel, -1, EFAULT);
    expect("unmapped", do_clock_getres, p_unmapped, -1, EFAULT);
    expect("readonly", do_clock_getres, p_readonly, -1, EFAULT);
    expect("straddle", do_clock_getres, p_straddle, -1, EFAULT);
    check_end();
    check_begin("gettimeofday (NULL tv allowed)");
    expect("null", do_gettimeofday, NULL, 0, 0);
    expect("kernel", do_gettimeofday, p_kernel, -1, EFAULT);
    expect("unmapped", do_gettimeofday, p_unmapped, -1, EFAULT);
    expect("readonly", do_gettimeofday, p_readonly, -1, EFAULT);
    expect("straddle", do_gettimeofday, p_straddle, -1, EFAULT);
    check_end();

    in_ptr("nanosleep (bad request)", do_nanosleep);
    in_ptr("clock_nanosleep (bad request)", do_clock_nanosleep);
    out_buf("getrandom (straddle -> partial 8)", do_getrandom, 8);

    /* act/oldact and set/oldset may be NULL. */
    check_begin("rt_sigaction (bad act / bad oldact)");
    expect("act null", do_sigaction_act, NULL, 0, 0);
    expect("act kernel", do_sigaction_act, p_kernel, -1, EFAULT);
    expect("act unmapped", do_sigaction_act, p_unmapped, -1, EFAULT);
    expect("act straddle", do_sigaction_act, p_straddle, -1, EFAULT);
    expect("oldact null", do_sigaction_old, NULL, 0, 0);
    expect("oldact kernel", do_sigaction_old, p_kernel, -1, EFAULT);
    expect("oldact unmapped", do_sigaction_old, p_unmapped, -1, EFAULT);
    expect("oldact readonly", do_sigaction_old, p_readonly, -1, EFAULT);
    expect("oldact straddle", do_sigaction_old, p_straddle, -1, EFAULT);
    check_end();

    /* sigset_t is 8 bytes, so the 8-byte straddle fits; use 4 good bytes. */
    check_begin("rt_sigprocmask (bad set / bad oldset)");
    expect("set null", do_sigprocmask_set, NULL, 0, 0);
    expect("set kernel", do_sigprocmask_set, p_kernel, -1, EFAULT);
    expect("set unmapped", do_sigprocmask_set, p_unmapped, -1, EFAULT);
    expect("set straddle", do_sigprocmask_set, p_straddle4, -1, EFAULT);
    expect("oldset null", do_sigprocmask_old, NULL, 0, 0);
    expect("oldset kernel", do_sigprocmask_old, p_kernel, -1, EFAULT);
    expect("oldset unmapped", do_sigprocmask_old, p_unmapped, -1, EFAULT);
    expect("oldset readonly", do_sigprocmask_old, p_readonly, -1, EFAULT);
    expect("oldset straddle", do_sigprocmask_old, p_straddle4, -1, EFAULT);
    expect("oldset 8 bytes fit", do_sigprocmask_old, p_straddle, 0, 0);
    check_end();

    check_begin("prlimit64 (bad old_limit / bad new_limit)");
    expect("old null", do_prlimit_old, NULL, 0, 0);
    expect("old kernel", do_prlimit_old, p_kernel, -1, EFAULT);
    expect("old unmapped", do_prlimit_old, p_unmapped, -1, EFAULT);
    expect("old readonly", do_prlimit_old, p_readonly, -1, EFAULT);
    expect("old straddle", do_prlimit_old, p_straddle, -1, EFAULT);
    expect("new kernel", do_prlimit_new, p_kernel, -1, EFAULT);
    expect("new unmapped", do_prlimit_new, p_unmapped, -1, EFAULT);
    check_end();

    /* FUTEX_WAIT only reads the word: a read-only page is valid. */
    check_begin("futex (FUTEX_WAIT on bad uaddr)");
    expect("null", do_futex, NULL, -1, EFAULT);
    expect("kernel", do_futex, p_kernel, -1, EFAULT);
    expect("unmapped", do_futex, p_unmapped, -1, EFAULT);
    expect("readonly (readable, value mismatch)", do_futex, p_readonly, -1, EAGAIN);
    check_end();

    /* Only meaningful when fd 1 is a terminal (it is the console on
     * linux-ref); otherwise TCGETS is ENOTTY whatever the pointer. */
    {
        struct termios t;
        if (syscall(SYS_ioctl, 1, TCGETS, &t) == 0) {
            out_buf("ioctl(1, TCGETS, bad)", do_tcgets, -1);
        } else {
            check_begin("ioctl(1, TCGETS, bad) (stdout not a tty: ENOTTY)");
            expect("null", do_tcgets, NULL, -1, ENOTTY);
            check_end();
        }
    }

    in_ptr("mkdirat (bad path)", do_mkdirat);
    in_ptr("unlinkat (bad path)", do_unlinkat);
    in_ptr("symlinkat (bad target)", do_symlinkat_target);
    in_ptr("symlinkat (bad linkpath)", do_symlinkat_link);

    close(data_fd);
    unlink(link_path);
    unlink(data_path);
    check_exit();
}
