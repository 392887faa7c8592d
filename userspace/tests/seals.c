/* memfd seals: MFD_ALLOW_SEALING, fcntl(F_ADD_SEALS/F_GET_SEALS) and what
 * each seal refuses (write, truncate, grow, shared writable mappings), as
 * Linux 6.1. Validated on Linux (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "check.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static int make(unsigned flags) { return (int)syscall(SYS_memfd_create, "sealed", flags); }

static void test_flags(void) {
    check_begin("flags");
    int plain = make(MFD_CLOEXEC);
    CHECK(plain >= 0);
    CHECK_EQ(fcntl(plain, F_GET_SEALS), F_SEAL_SEAL);  /* sealing not allowed: sealed shut */
    CHECK_ERR(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
    int fd = make(MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), 0);
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0x1000), EINVAL);
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, 0), 0);
    /* Files that cannot be sealed. */
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_ERR(fcntl(pipe_fds[0], F_GET_SEALS), EINVAL);
    CHECK_ERR(fcntl(pipe_fds[1], F_ADD_SEALS, F_SEAL_WRITE), EINVAL);
    CHECK_ERR(fcntl(pipe_fds[0], F_ADD_SEALS, F_SEAL_WRITE), EPERM);  /* not open for writing: asked first */
    int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK_ERR(fcntl(tmp, F_GET_SEALS), EINVAL);
    close(tmp);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    /* Seals belong to the file (a duplicate sees them too). */
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
    int copy = dup(fd);
    CHECK_EQ(fcntl(copy, F_GET_SEALS), F_SEAL_GROW);
    close(copy);
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
    CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_GROW | F_SEAL_SEAL);
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0), EPERM);
    close(fd);
    close(plain);
    check_end();
}

static void test_size_seals(void) {
    check_begin("size_seals");
    int fd = make(MFD_ALLOW_SEALING);
    CHECK_EQ(write(fd, "0123456789", 10), 10);
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    CHECK_ERR(ftruncate(fd, 5), EPERM);
    CHECK_EQ(ftruncate(fd, 20), 0);  /* growing is still fine */
    CHECK_EQ(ftruncate(fd, 20), 0);  /* so is the same size */
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
    CHECK_ERR(ftruncate(fd, 21), EPERM);
    CHECK_EQ(ftruncate(fd, 20), 0);
    /* Writes inside the file still go; past its end they do not. */
    CHECK_EQ(pwrite(fd, "ab", 2, 18), 2);
    CHECK_ERR(pwrite(fd, "abc", 3, 18), EPERM);
    CHECK_ERR(pwrite(fd, "x", 1, 20), EPERM);
    CHECK_ERR(fallocate(fd, 0, 0, 4096), EPERM);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 20);
    close(fd);
    check_end();
}

static void test_write_seals(void) {
    check_begin("write_seals");
    int fd = make(MFD_ALLOW_SEALING);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    /* A shared writable mapping keeps F_SEAL_WRITE away. */
    char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(shared != MAP_FAILED);
    shared[0] = 'm';
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
    CHECK_EQ(munmap(shared, 4096), 0);
    /* Nor may a forked child's copy of one. */
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(shared != MAP_FAILED);
    int hold[2];
    CHECK_EQ(pipe(hold), 0);
    pid_t child = fork();
    if (child == 0) {
        char byte_in;
        close(hold[1]);
        (void)!read(hold[0], &byte_in, 1);  /* until the parent closes its end */
        _exit(0);
    }
    close(hold[0]);
    CHECK_EQ(munmap(shared, 4096), 0);
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
    close(hold[1]);
    check_child_status(child, 0, 0);
    /* A private mapping does not. */
    char *private_map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(private_map != MAP_FAILED);
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
    private_map[1] = 'p';  /* copy-on-write: allowed, the file unchanged */
    char byte = 0;
    CHECK_EQ(pread(fd, &byte, 1, 1), 1);
    CHECK_EQ(byte, 0);
    CHECK_EQ(pread(fd, &byte, 1, 0), 1);
    CHECK_EQ(byte, 'm');
    CHECK_ERR(write(fd, "x", 1), EPERM);
    CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM);
    /* Truncation is not a write: only the size seals stop it. */
    CHECK_EQ(ftruncate(fd, 8192), 0);
    munmap(private_map, 4096);
    close(fd);

    /* F_SEAL_FUTURE_WRITE: no new writes or writable shared mappings; one
     * already made keeps writing. */
    fd = make(MFD_ALLOW_SEALING);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(shared != MAP_FAILED);
    CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
    shared[0] = 'f';
    CHECK_EQ(pread(fd, &byte, 1, 0), 1);
    CHECK_EQ(byte, 'f');
    CHECK_ERR(write(fd, "x", 1), EPERM);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM);
    char *reader = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(reader != MAP_FAILED);
    if (reader != MAP_FAILED) {
        CHECK_EQ(reader[0], 'f');
        CHECK_ERR(mprotect(reader, 4096, PROT_READ | PROT_WRITE), EACCES);
        munmap(reader, 4096);
    }
    munmap(shared, 4096);
    close(fd);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "flags", test_flags },
        { "size_seals", test_size_seals },
        { "write_seals", test_write_seals },
    };
    return check_run_tests("seals", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
