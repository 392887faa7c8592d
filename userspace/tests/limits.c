/* limits: resource limits as Linux keeps and enforces them.
 *   defaults   getrlimit's answers a program starts with; soft above hard
 *              and an unknown resource are EINVAL
 *   nofile     a lowered RLIMIT_NOFILE: open gets EMFILE, dup2 past it
 *              EBADF, F_DUPFD at or past it EINVAL; descriptors already
 *              open above it stay; raising it back works
 *   fsize      RLIMIT_FSIZE: a write crossing it is cut short, one at it
 *              gets SIGXFSZ (ignored here) and EFBIG, so does ftruncate
 *   as         RLIMIT_AS: a mapping past it is ENOMEM, a small one fits
 *   data       RLIMIT_DATA: brk cannot grow the heap past it
 *   inherit    fork and execve keep the limits; prlimit64 reads and sets
 *              another process's
 *   stack      a raised RLIMIT_STACK lets a new program's stack grow past
 *              the default 8 MiB
 * Usage: limits [GROUP]; limits --child-report RESOURCE prints a limit,
 * limits --child-recurse MIB uses that much stack. */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *g_self;

static void test_defaults(void) {
    check_begin("defaults: NOFILE 1024/1024, STACK 8 MiB soft, FSIZE/AS unlimited; EINVAL for bad requests");
    struct rlimit r;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &r), 0);
    CHECK_EQ((long)r.rlim_cur, 1024L);
    CHECK_EQ(getrlimit(RLIMIT_STACK, &r), 0);
    CHECK_EQ((long)r.rlim_cur, 8L << 20);
    CHECK_EQ(getrlimit(RLIMIT_FSIZE, &r), 0);
    CHECK(r.rlim_cur == RLIM_INFINITY && r.rlim_max == RLIM_INFINITY);
    CHECK_EQ(getrlimit(RLIMIT_AS, &r), 0);
    CHECK(r.rlim_cur == RLIM_INFINITY);
    struct rlimit bad = { 10, 5 };
    CHECK_ERR(setrlimit(RLIMIT_FSIZE, &bad), EINVAL);
    CHECK_ERR(syscall(SYS_prlimit64, 0, 99, NULL, &r), EINVAL);
    /* Setting what is there already works (Python's test_fsize_ismax). */
    CHECK_EQ(getrlimit(RLIMIT_FSIZE, &r), 0);
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &r), 0);
    check_end();
}

static void test_nofile(void) {
    check_begin("nofile: EMFILE, EBADF and EINVAL at a lowered RLIMIT_NOFILE; open ones stay");
    int high = dup2(0, 40);
    CHECK_EQ(high, 40);
    struct rlimit old, low = { 20, 1024 };
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fds[32];
    int opened = 0;
    for (; opened < 32; opened++) {
        fds[opened] = open("/dev/null", O_RDONLY);
        if (fds[opened] < 0) break;
        CHECK(fds[opened] < 20);
    }
    CHECK(opened < 32);
    CHECK_ERR(open("/dev/null", O_RDONLY), EMFILE);
    CHECK_ERR(dup2(0, 25), EBADF);
    CHECK_ERR(fcntl(0, F_DUPFD, 20), EINVAL);
    CHECK_EQ(fcntl(40, F_GETFD), 0); /* still open above the limit */
    for (int i = 0; i < opened; i++) close(fds[i]);
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
    CHECK_EQ(dup2(0, 25), 25);
    close(25);
    close(40);
    check_end();
}

static void test_fsize(void) {
    check_begin("fsize: a write crossing RLIMIT_FSIZE is cut short; past it SIGXFSZ and EFBIG");
    signal(SIGXFSZ, SIG_IGN);
    const char *path = "/tmp/limits-fsize";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    struct rlimit old, r = { 10000, RLIM_INFINITY };
    CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &r), 0);
    static char buffer[8000];
    CHECK_EQ(write(fd, buffer, sizeof buffer), 8000);
    CHECK_EQ(write(fd, buffer, 4000), 2000);
    CHECK_ERR(write(fd, buffer, 1), EFBIG);
    CHECK_ERR(pwrite(fd, buffer, 10, 20000), EFBIG);
    CHECK_ERR(ftruncate(fd, 20000), EFBIG);
    CHECK_EQ(ftruncate(fd, 5000), 0); /* shrinking is fine */
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
    CHECK_EQ(pwrite(fd, buffer, 10, 20000), 10);
    close(fd);
    unlink(path);
    signal(SIGXFSZ, SIG_DFL);
    check_end();
}

static void test_as(void) {
    check_begin("as: mmap past RLIMIT_AS is ENOMEM; below it works");
    pid_t child = fork();
    if (child == 0) {
        int before = check_failures;
        struct rlimit r = { 256UL << 20, RLIM_INFINITY };
        CHECK_EQ(setrlimit(RLIMIT_AS, &r), 0);
        void *big = mmap(NULL, 512UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(big == MAP_FAILED && errno == ENOMEM);
        void *small = mmap(NULL, 1UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(small != MAP_FAILED);
        check_child_done(before);
    }
    check_child_status(child, 0, 0);
    check_end();
}

static void test_data(void) {
    check_begin("data: brk cannot grow the heap past RLIMIT_DATA");
    pid_t child = fork();
    if (child == 0) {
        int before = check_failures;
        struct rlimit r = { 4UL << 20, RLIM_INFINITY };
        CHECK_EQ(setrlimit(RLIMIT_DATA, &r), 0);
        void *start = sbrk(0);
        CHECK(sbrk(64UL << 20) == (void *)-1);
        CHECK(sbrk(0) == start);
        CHECK(sbrk(4096) != (void *)-1);
        check_child_done(before);
    }
    check_child_status(child, 0, 0);
    check_end();
}

static void test_inherit(void) {
    check_begin("inherit: fork and execve keep limits; prlimit64 on another process");
    struct rlimit old, r = { 123456, RLIM_INFINITY };
    CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &r), 0);
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    pid_t child = fork();
    if (child == 0) {
        dup2(pipe_fds[1], 1);
        execl(g_self, g_self, "--child-report", "fsize", (char *)NULL);
        _exit(127);
    }
    close(pipe_fds[1]);
    char text[64] = "";
    ssize_t got = read(pipe_fds[0], text, sizeof text - 1);
    CHECK(got > 0);
    CHECK(strncmp(text, "123456", 6) == 0);
    close(pipe_fds[0]);
    check_child_status(child, 0, 0);
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);

    /* Another process's limits: read and set. */
    int go[2];
    CHECK_EQ(pipe(go), 0);
    child = fork();
    if (child == 0) {
        char byte;
        close(go[1]);
        (void)!read(go[0], &byte, 1); /* wait until the parent has set it */
        struct rlimit mine;
        getrlimit(RLIMIT_CORE, &mine);
        _exit(mine.rlim_cur == 4096 ? 0 : 1);
    }
    close(go[0]);
    struct rlimit set = { 4096, 8192 }, seen;
    CHECK_EQ(syscall(SYS_prlimit64, child, RLIMIT_CORE, &set, NULL), 0);
    CHECK_EQ(syscall(SYS_prlimit64, child, RLIMIT_CORE, NULL, &seen), 0);
    CHECK_EQ((long)seen.rlim_max, 8192L);
    CHECK_EQ(write(go[1], "x", 1), 1);
    close(go[1]);
    check_child_status(child, 0, 0);
    CHECK_ERR(syscall(SYS_prlimit64, 999999, RLIMIT_CORE, NULL, &seen), ESRCH);
    CHECK_ERR(syscall(SYS_prlimit64, -1, RLIMIT_CORE, NULL, &seen), ESRCH);
    check_end();
}

static void test_stack(void) {
    check_begin("stack: a program started with RLIMIT_STACK 64 MiB grows its stack to 24 MiB");
    pid_t child = fork();
    if (child == 0) {
        struct rlimit r = { 64UL << 20, RLIM_INFINITY };
        if (setrlimit(RLIMIT_STACK, &r) != 0) _exit(3);
        execl(g_self, g_self, "--child-recurse", "24", (char *)NULL);
        _exit(127);
    }
    check_child_status(child, 0, 0);
    check_end();
}

/* Uses about `mib` MiB of stack, one 64 KiB frame at a time. */
static int __attribute__((noinline)) recurse(int depth) {
    volatile char frame[65536];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    if (depth <= 0) return frame[0];
    return recurse(depth - 1) + frame[sizeof frame - 1] - (char)depth;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_self = argv[0];
    if (argc == 3 && strcmp(argv[1], "--child-report") == 0) {
        struct rlimit r;
        getrlimit(RLIMIT_FSIZE, &r);
        printf("%lu\n", (unsigned long)r.rlim_cur);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--child-recurse") == 0) {
        return recurse(atoi(argv[2]) * 16) == 0 ? 0 : 1;
    }
    static const struct check_test tests[] = {
        { "defaults", test_defaults }, { "nofile", test_nofile }, { "fsize", test_fsize },
        { "as", test_as },             { "data", test_data },     { "inherit", test_inherit },
        { "stack", test_stack },
    };
    return check_run_tests("limits", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
