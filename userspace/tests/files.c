/* files: file-system syscalls on /tmp behave as on Linux.
 *
 * Everything lives under /tmp/files_test, removed at start and end so a
 * previous failed run does not matter.
 *
 * Linux facts checked here:
 *   - readlinkat does not NUL-terminate and silently truncates to bufsiz.
 *   - getcwd (raw syscall) returns the length including the NUL.
 *   - unlinkat of a directory without AT_REMOVEDIR is EISDIR; of a
 *     non-empty directory with it, ENOTEMPTY.
 *   - opening a directory with O_WRONLY or O_RDWR is EISDIR.
 *   - a path that goes through a regular file is ENOTDIR.
 *   - tmpfs (Linux's /tmp under the initramfs is its rootfs, a tmpfs) keeps
 *     file data in pages allocated as written: ftruncate to 64 MiB takes no
 *     memory and st_blocks 0, a hole reads as zeros, truncating down gives
 *     the pages back at once (sysinfo freeram) and clears the rest of the
 *     last page.
 *   - tmpfs size= counts data pages: a write that crosses the limit writes
 *     what fits and returns the short count, the next one fails with ENOSPC;
 *     growing a file with ftruncate needs no room (`files tmpfs-limit`).
 */
#define _GNU_SOURCE
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <termios.h>
#include <unistd.h>

#define DIR_ "/tmp/files_test"

static const char *cleanup_files[] = {
    DIR_ "/f", DIR_ "/g", DIR_ "/renamed", DIR_ "/link", DIR_ "/app", DIR_ "/sendfile-out", DIR_ "/sparse",
    DIR_ "/sub/a", DIR_ "/sub/b", DIR_ "/sub/c",
};
static const char *cleanup_dirs[] = {DIR_ "/sub", DIR_ "/empty", DIR_};

static void cleanup(void) {
    for (size_t i = 0; i < sizeof cleanup_files / sizeof *cleanup_files; i++)
        unlink(cleanup_files[i]);
    for (size_t i = 0; i < sizeof cleanup_dirs / sizeof *cleanup_dirs; i++)
        rmdir(cleanup_dirs[i]);
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), strlen(text));
    close(fd);
}

static void test_basic_io(void) {
    check_begin("open O_CREAT|O_EXCL, write, read, lseek");
    int fd = open(DIR_ "/f", O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK_ERR(open(DIR_ "/f", O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
    CHECK_EQ(write(fd, "hello world", 11), 11);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
    CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
    char buf[32] = {0};
    CHECK_EQ(read(fd, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK_EQ(read(fd, buf, sizeof buf), 0); /* at EOF */
    CHECK_EQ(lseek(fd, -5, SEEK_END), 6);
    CHECK_EQ(lseek(fd, -2, SEEK_CUR), 4);
    CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERR(lseek(fd, -100, SEEK_CUR), EINVAL);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4); /* failed seeks do not move it */
    CHECK_ERR(lseek(fd, 0, 42), EINVAL);

    /* pread/pwrite use their own offset and leave the file offset alone. */
    CHECK_EQ(pwrite(fd, "W", 1, 6), 1);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(fd, buf, 5, 6), 5);
    CHECK(memcmp(buf, "World", 5) == 0);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
    CHECK_EQ(pread(fd, buf, 5, 100), 0);

    /* Seeking past the end then writing leaves a zero-filled gap. */
    CHECK_EQ(lseek(fd, 20, SEEK_SET), 20);
    CHECK_EQ(write(fd, "!", 1), 1);
    memset(buf, 1, sizeof buf);
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 21);
    CHECK(buf[11] == 0 && buf[19] == 0 && buf[20] == '!');
    close(fd);
    check_end();
}

static void test_append_truncate_stat(void) {
    check_begin("O_APPEND, ftruncate, fstat");
    write_file(DIR_ "/app", "abc");
    int fd = open(DIR_ "/app", O_RDWR | O_APPEND);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(write(fd, "de", 2), 2); /* goes to the end regardless */
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
    char buf[16] = {0};
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 5);
    CHECK(memcmp(buf, "abcde", 5) == 0);

    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 0777) == 0600);
    CHECK_EQ(st.st_size, 5);

    CHECK_EQ(ftruncate(fd, 2), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 2);
    CHECK_EQ(ftruncate(fd, 10), 0); /* growing reads back as zeros */
    memset(buf, 1, sizeof buf);
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 10);
    CHECK(buf[0] == 'a' && buf[1] == 'b' && buf[2] == 0 && buf[9] == 0);
    CHECK_ERR(ftruncate(fd, -1), EINVAL);
    close(fd);

    /* ftruncate needs a writable descriptor. */
    fd = open(DIR_ "/app", O_RDONLY);
    CHECK_ERR(ftruncate(fd, 0), EINVAL);
    close(fd);
    check_end();
}

static void test_dup_fcntl(void) {
    check_begin("dup, dup3, fcntl");
    int fd = open(DIR_ "/f", O_RDWR);
    CHECK(fd >= 0);
    int d = dup(fd);
    CHECK(d > fd);
    /* Duplicates share one file offset. */
    CHECK_EQ(lseek(fd, 3, SEEK_SET), 3);
    CHECK_EQ(lseek(d, 0, SEEK_CUR), 3);
    CHECK_EQ(fcntl(d, F_GETFD), 0); /* dup clears close-on-exec */

    CHECK_EQ(dup3(fd, 50, O_CLOEXEC), 50);
    CHECK_EQ(fcntl(50, F_GETFD), FD_CLOEXEC);
    CHECK_ERR(dup3(fd, fd, 0), EINVAL);
    CHECK_ERR(dup3(fd, 51, O_APPEND), EINVAL);
    CHECK_ERR(dup3(999, 51, 0), EBADF);

    int hi = fcntl(fd, F_DUPFD, 100);
    CHECK(hi >= 100);
    CHECK_EQ(fcntl(hi, F_GETFD), 0);
    int hc = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    CHECK(hc >= 100 && hc != hi);
    CHECK_EQ(fcntl(hc, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(hc, F_SETFD, 0), 0);
    CHECK_EQ(fcntl(hc, F_GETFD), 0);
    CHECK_EQ(fcntl(hi, F_SETFD, FD_CLOEXEC), 0);
    CHECK_EQ(fcntl(hi, F_GETFD), FD_CLOEXEC);

    /* Status flags live on the open file, so duplicates see changes. */
    int fl = fcntl(fd, F_GETFL);
    CHECK((fl & O_ACCMODE) == O_RDWR);
    CHECK(!(fl & O_APPEND));
    CHECK_EQ(fcntl(fd, F_SETFL, fl | O_APPEND), 0);
    CHECK(fcntl(d, F_GETFL) & O_APPEND);
    struct stat st;
    fstat(fd, &st);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(write(d, "Z", 1), 1);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), st.st_size + 1);
    CHECK_ERR(fcntl(999, F_GETFD), EBADF);

    close(fd);
    close(d);
    close(50);
    close(hi);
    close(hc);
    check_end();
}

static void test_dirs(void) {
    check_begin("mkdirat, getdents64");
    CHECK_EQ(mkdirat(AT_FDCWD, DIR_ "/sub", 0755), 0);
    CHECK_ERR(mkdirat(AT_FDCWD, DIR_ "/sub", 0755), EEXIST);
    CHECK_ERR(mkdirat(AT_FDCWD, DIR_ "/nope/x", 0755), ENOENT);
    CHECK_ERR(mkdirat(AT_FDCWD, DIR_ "/f/x", 0755), ENOTDIR);
    write_file(DIR_ "/sub/a", "1");
    write_file(DIR_ "/sub/b", "2");
    /* A relative path resolves against the directory fd. */
    int dfd = open(DIR_ "/sub", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    int cfd = openat(dfd, "c", O_WRONLY | O_CREAT, 0600);
    CHECK(cfd >= 0);
    close(cfd);

    /* Names: ".", "..", a, b, c -> bits 0..4. */
    const char *want[] = {".", "..", "a", "b", "c"};
    int seen = 0, others = 0;
    char buf[512];
    long n;
    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *de = (void *)(buf + off);
            int known = 0;
            for (int i = 0; i < 5; i++)
                if (strcmp(de->name, want[i]) == 0) {
                    seen |= 1 << i;
                    known = 1;
                    if (i >= 2) CHECK(de->type == DT_REG);
                }
            if (!known) others++;
            CHECK(de->reclen > 0 && de->reclen % 8 == 0);
            off += de->reclen ? de->reclen : n;
        }
    }
    CHECK_EQ(n, 0);
    CHECK_EQ(seen, 0x1f);
    CHECK_EQ(others, 0);
    /* A buffer too small for even one entry is EINVAL. */
    lseek(dfd, 0, SEEK_SET);
    CHECK_ERR(syscall(SYS_getdents64, dfd, buf, 8), EINVAL);
    close(dfd);
    int ffd = open(DIR_ "/f", O_RDONLY);
    CHECK_ERR(syscall(SYS_getdents64, ffd, buf, sizeof buf), ENOTDIR);
    close(ffd);
    check_end();
}

static void test_rename_unlink(void) {
    check_begin("renameat, unlinkat");
    write_file(DIR_ "/g", "gee");
    CHECK_EQ(renameat(AT_FDCWD, DIR_ "/g", AT_FDCWD, DIR_ "/renamed"), 0);
    CHECK_ERR(access(DIR_ "/g", F_OK), ENOENT);
    char buf[8] = {0};
    int fd = open(DIR_ "/renamed", O_RDONLY);
    CHECK_EQ(read(fd, buf, sizeof buf), 3);
    CHECK(memcmp(buf, "gee", 3) == 0);
    close(fd);
    CHECK_ERR(renameat(AT_FDCWD, DIR_ "/g", AT_FDCWD, DIR_ "/h"), ENOENT);

    CHECK_EQ(unlinkat(AT_FDCWD, DIR_ "/renamed", 0), 0);
    CHECK_ERR(unlinkat(AT_FDCWD, DIR_ "/renamed", 0), ENOENT);
    CHECK_ERR(unlinkat(AT_FDCWD, DIR_ "/sub", 0), EISDIR);
    CHECK_ERR(unlinkat(AT_FDCWD, DIR_ "/sub", AT_REMOVEDIR), ENOTEMPTY);
    CHECK_ERR(unlinkat(AT_FDCWD, DIR_ "/f", AT_REMOVEDIR), ENOTDIR);
    CHECK_EQ(mkdirat(AT_FDCWD, DIR_ "/empty", 0755), 0);
    CHECK_EQ(unlinkat(AT_FDCWD, DIR_ "/empty", AT_REMOVEDIR), 0);
    CHECK_ERR(access(DIR_ "/empty", F_OK), ENOENT);
    check_end();
}

static void test_symlink(void) {
    check_begin("symlinkat, readlinkat, newfstatat AT_SYMLINK_NOFOLLOW");
    const char *target = DIR_ "/f";
    CHECK_EQ(symlinkat(target, AT_FDCWD, DIR_ "/link"), 0);
    CHECK_ERR(symlinkat(target, AT_FDCWD, DIR_ "/link"), EEXIST);
    char buf[64];
    memset(buf, '#', sizeof buf);
    long len = (long)strlen(target);
    CHECK_EQ(readlinkat(AT_FDCWD, DIR_ "/link", buf, sizeof buf), len);
    CHECK(memcmp(buf, target, len) == 0);
    CHECK(buf[len] == '#'); /* no NUL terminator written */
    memset(buf, '#', sizeof buf);
    CHECK_EQ(readlinkat(AT_FDCWD, DIR_ "/link", buf, 4), 4); /* truncated */
    CHECK(memcmp(buf, target, 4) == 0 && buf[4] == '#');
    CHECK_ERR(readlinkat(AT_FDCWD, DIR_ "/f", buf, sizeof buf), EINVAL);
    CHECK_ERR(readlinkat(AT_FDCWD, DIR_ "/none", buf, sizeof buf), ENOENT);

    struct stat st;
    CHECK_EQ(fstatat(AT_FDCWD, DIR_ "/link", &st, AT_SYMLINK_NOFOLLOW), 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_size, len);
    CHECK_EQ(fstatat(AT_FDCWD, DIR_ "/link", &st, 0), 0);
    CHECK(S_ISREG(st.st_mode));
    /* Opening through the link reaches the target. */
    int fd = open(DIR_ "/link", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, 5), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    close(fd);
    check_end();
}

static void test_cwd(void) {
    check_begin("chdir, getcwd");
    char buf[256];
    CHECK_EQ(chdir(DIR_ "/sub"), 0);
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    CHECK_EQ(n, strlen(DIR_ "/sub") + 1); /* length includes the NUL */
    CHECK(strcmp(buf, DIR_ "/sub") == 0);
    CHECK_ERR(syscall(SYS_getcwd, buf, 4), ERANGE);
    /* Relative paths now resolve in the new directory. */
    CHECK_EQ(access("a", F_OK), 0);
    CHECK_EQ(chdir(".."), 0);
    CHECK(getcwd(buf, sizeof buf) && strcmp(buf, DIR_) == 0);
    CHECK_ERR(chdir(DIR_ "/f"), ENOTDIR);
    CHECK_ERR(chdir(DIR_ "/none"), ENOENT);
    CHECK_EQ(chdir("/"), 0);
    CHECK(getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0);
    check_end();
}

static void test_errors(void) {
    check_begin("open errors (EISDIR, ENOTDIR, ENOENT), EBADF, ENOTTY");
    CHECK_ERR(open(DIR_, O_WRONLY), EISDIR);
    CHECK_ERR(open(DIR_, O_RDWR), EISDIR);
    CHECK_ERR(open(DIR_ "/f", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR(open(DIR_ "/none", O_RDONLY), ENOENT);
    CHECK_ERR(open(DIR_ "/none/x", O_RDONLY | O_CREAT, 0600), ENOENT);
    CHECK_ERR(open(DIR_ "/f/x", O_RDONLY), ENOTDIR);
    CHECK_ERR(open("", O_RDONLY), ENOENT);
    int fd = open(DIR_, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    char c;
    CHECK_ERR(read(fd, &c, 1), EISDIR);
    close(fd);

    CHECK_ERR(close(999), EBADF);
    CHECK_ERR(close(-1), EBADF);
    fd = open(DIR_ "/f", O_RDONLY);
    close(fd);
    CHECK_ERR(read(fd, &c, 1), EBADF);
    CHECK_ERR(write(fd, "x", 1), EBADF);
    fd = open(DIR_ "/f", O_RDONLY);
    CHECK_ERR(write(fd, "x", 1), EBADF); /* not open for writing */
    struct termios t;
    CHECK_ERR(ioctl(fd, TCGETS, &t), ENOTTY);
    close(fd);
    check_end();
}

static void test_dev(void) {
    check_begin("/dev/null, /dev/zero");
    char buf[64];
    int fd = open("/dev/null", O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, sizeof buf), 0);
    CHECK_EQ(write(fd, "discard", 7), 7);
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    CHECK(fd >= 0);
    memset(buf, 0xff, sizeof buf);
    CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
    int zero = 1;
    for (size_t i = 0; i < sizeof buf; i++)
        if (buf[i]) zero = 0;
    CHECK(zero);
    close(fd);
    check_end();
}

static void test_access(void) {
    check_begin("faccessat");
    CHECK_EQ(faccessat(AT_FDCWD, DIR_ "/f", F_OK, 0), 0);
    CHECK_EQ(faccessat(AT_FDCWD, DIR_ "/f", R_OK | W_OK, 0), 0);
    CHECK_EQ(faccessat(AT_FDCWD, DIR_, R_OK | X_OK, 0), 0);
    CHECK_ERR(faccessat(AT_FDCWD, DIR_ "/none", F_OK, 0), ENOENT);
    CHECK_ERR(faccessat(AT_FDCWD, DIR_ "/f/x", F_OK, 0), ENOTDIR);
    int dfd = open(DIR_, O_RDONLY | O_DIRECTORY);
    CHECK_EQ(faccessat(dfd, "f", F_OK, 0), 0);
    close(dfd);
    check_end();
}

static void test_sendfile(void) {
    check_begin("sendfile: with and without an offset pointer");
    write_file(DIR_ "/g", "0123456789");
    int in = open(DIR_ "/g", O_RDONLY);
    int out = open(DIR_ "/sendfile-out", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(in >= 0 && out >= 0);
    /* Without an offset pointer: the input's offset advances. */
    CHECK_EQ(lseek(in, 2, SEEK_SET), 2);
    CHECK_EQ(syscall(SYS_sendfile, out, in, NULL, 3), 3);
    CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);
    /* With one: read at *offset, which is updated; the file offset stays. */
    off_t offset = 7;
    CHECK_EQ(syscall(SYS_sendfile, out, in, &offset, 100), 3);
    CHECK_EQ(offset, 10);
    CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);
    CHECK_EQ(syscall(SYS_sendfile, out, in, &offset, 100), 0); /* at the end */
    char buffer[16] = {0};
    CHECK_EQ(pread(out, buffer, sizeof buffer, 0), 6);
    CHECK(memcmp(buffer, "234789", 6) == 0);
    CHECK_ERR(syscall(SYS_sendfile, out, 999, NULL, 1), EBADF);
    offset = -1;
    CHECK_ERR(syscall(SYS_sendfile, out, in, &offset, 1), EINVAL);
    close(in);
    close(out);
    check_end();
}

#define KIB 1024L
#define MIB (1024L * 1024)

static long free_ram(void) {
    struct sysinfo info;
    CHECK_EQ(sysinfo(&info), 0);
    return (long)info.freeram * (long)info.mem_unit;
}

static int all_bytes(const char *buf, size_t count, char value) {
    for (size_t i = 0; i < count; i++) {
        if (buf[i] != value)
            return 0;
    }
    return 1;
}

static char chunk[MIB];

static void test_sparse(void) {
    check_begin("sparse /tmp file: ftruncate 64 MiB takes no memory, holes read zero, truncating frees");
    memset(chunk, 'c', sizeof chunk); /* its pages are ours before measuring */
    int fd = open(DIR_ "/sparse", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    /* The memory figures are tmpfs's (its data is RAM); on a disk file
     * system (a disk root keeps /tmp on the disk) only the file's contents
     * and that blocks are counted are checked: ext2 counts its indirect
     * blocks in st_blocks too. */
    struct statfs where;
    CHECK_EQ(fstatfs(fd, &where), 0);
    int in_memory = where.f_type == 0x01021994 /* TMPFS_MAGIC */ || where.f_type == (long)0x858458f6 /* RAMFS */;
    if (!in_memory)
        printf("  %s is not in memory (f_type %#lx): memory checks skipped\n", DIR_, (long)where.f_type);
    long before = free_ram();
    CHECK_EQ(ftruncate(fd, 64 * MIB), 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 64 * MIB);
    CHECK_EQ(st.st_blocks, 0);
    long used = before - free_ram();
    if (in_memory && (used > 4 * MIB || used < -4 * MIB))
        printf("  ftruncate to 64 MiB changed free RAM by %ld KiB\n", used / KIB);
    CHECK(!in_memory || (used <= 4 * MIB && used >= -4 * MIB));

    /* One page written at 60 MiB; everything around it reads as zeros. */
    CHECK_EQ(pwrite(fd, "sixty", 5, 60 * MIB), 5);
    static char buf[8192];
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(pread(fd, buf, sizeof buf, 60 * MIB - 4096), sizeof buf);
    CHECK(all_bytes(buf, 4096, 0));
    CHECK(memcmp(buf + 4096, "sixty", 5) == 0);
    CHECK(all_bytes(buf + 4101, sizeof buf - 4101, 0));
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(pread(fd, buf, sizeof buf, 64 * MIB - 10), 10);
    CHECK(all_bytes(buf, 10, 0));
    CHECK_EQ(pread(fd, buf, sizeof buf, 64 * MIB), 0);
    CHECK_EQ(pread(fd, buf, 4096, 0), 4096);
    CHECK(all_bytes(buf, 4096, 0));
    CHECK_EQ(fstat(fd, &st), 0);
    if (in_memory)
        CHECK_EQ(st.st_blocks, 8); /* the one page, in 512-byte units */
    else
        CHECK(st.st_blocks >= 8);

    /* 16 MiB of data takes memory; truncating down gives it back. (Linux's
     * free RAM moves by a few MiB on its own: the bounds allow for that.) */
    long empty = free_ram();
    for (long i = 0; i < 16; i++)
        CHECK_EQ(pwrite(fd, chunk, MIB, i * MIB), MIB);
    long full = free_ram();
    if (in_memory && empty - full < 12 * MIB)
        printf("  16 MiB written took %ld KiB of free RAM\n", (empty - full) / KIB);
    CHECK(!in_memory || empty - full >= 12 * MIB);
    CHECK_EQ(ftruncate(fd, 4096 + 100), 0);
    long freed = free_ram() - full;
    if (in_memory && freed < 12 * MIB)
        printf("  truncating to 4196 bytes gave back %ld KiB\n", freed / KIB);
    CHECK(!in_memory || freed >= 12 * MIB);
    CHECK_EQ(fstat(fd, &st), 0);
    if (in_memory)
        CHECK_EQ(st.st_blocks, 16);
    else
        CHECK(st.st_blocks >= 16);

    /* The bytes past the new end were cleared: growing again shows zeros. */
    CHECK_EQ(ftruncate(fd, 3 * 4096), 0);
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(pread(fd, buf, sizeof buf, 4096), sizeof buf);
    CHECK(all_bytes(buf, 100, 'c'));
    CHECK(all_bytes(buf + 100, sizeof buf - 100, 0));
    close(fd);
    CHECK_EQ(unlink(DIR_ "/sparse"), 0);
    check_end();
}

/* `files tmpfs-limit BYTES`: the program mounts a tmpfs of size=BYTES (a
 * multiple of 4 KiB, at least 64 KiB) on /tmp/files_limit and fills it.
 * `files tmpfs-limit BYTES rootfs`: the root file system itself has that
 * size= and nothing else written in it (Akuma booted with
 * initramfs_options=size=BYTES); nothing is mounted. */
static int run_tmpfs_limit(const char *size_text, int on_rootfs) {
    const char *dir = on_rootfs ? "/files_limit" : "/tmp/files_limit";
    long limit = size_text ? atol(size_text) : 0;
    if (limit < 64 * KIB || limit % 4096) {
        printf("usage: files tmpfs-limit BYTES (a multiple of 4096, >= 65536)\n");
        return 2;
    }
    check_begin("tmpfs size=: a write across the limit is short, then ENOSPC; holes are free; unlink gives back");
    mkdir(dir, 0700);
    char options[32];
    snprintf(options, sizeof options, "size=%ld", limit);
    int mounted = 0;
    if (!on_rootfs) {
        mounted = mount("none", dir, "tmpfs", 0, options) == 0;
        CHECK(mounted);
    }
    static char big[1 * MIB];
    memset(big, 'L', sizeof big);
    CHECK(limit + 4 * 4096 <= (long)sizeof big);

    char path_f[64], path_g[64];
    snprintf(path_f, sizeof path_f, "%s/f", dir);
    snprintf(path_g, sizeof path_g, "%s/g", dir);
    int f = open(path_f, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int g = open(path_g, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(f >= 0 && g >= 0);
    /* Four pages more than fit: what fits is written. */
    CHECK_EQ(write(f, big, limit + 4 * 4096), limit);
    CHECK_ERR(write(f, "x", 1), ENOSPC);
    CHECK_ERR(write(g, "x", 1), ENOSPC);
    struct stat st;
    CHECK_EQ(fstat(g, &st), 0);
    CHECK_EQ(st.st_size, 0);
    /* Pages a file has can be rewritten; growing it needs none. */
    CHECK_EQ(pwrite(f, "rewritten", 9, 100), 9);
    CHECK_EQ(ftruncate(f, 1024 * MIB), 0);
    CHECK_ERR(pwrite(f, "y", 1, 512 * MIB), ENOSPC);
    /* One page freed: a write across two pages fills the first one only. */
    CHECK_EQ(ftruncate(f, limit - 2 * 4096 + 10), 0);
    CHECK_EQ(pwrite(f, big, 5000, MIB + 100), 4096 - 100);
    CHECK_EQ(fstat(f, &st), 0);
    CHECK_EQ(st.st_size, MIB + 4096);
    CHECK_EQ(st.st_blocks, limit / 512);
    char check[16];
    CHECK_EQ(pread(f, check, 9, 100), 9);
    CHECK(memcmp(check, "rewritten", 9) == 0);
    /* Removing the file gives everything back. */
    close(f);
    CHECK_EQ(unlink(path_f), 0);
    CHECK_EQ(write(g, big, limit + 4096), limit);
    close(g);
    CHECK_EQ(unlink(path_g), 0);
    if (mounted)
        CHECK_EQ(umount(dir), 0);
    CHECK_EQ(rmdir(dir), 0);
    check_end();
    check_exit();
    return 0;
}

/* Linux's import_iovec: readv checks the whole iovec array before reading
 * anything: a negative length is EINVAL, an element in unmapped memory
 * EFAULT, even after an element that could have been read. */
static void test_readv_import(void) {
    check_begin("readv: the whole iovec array is checked first (EINVAL, EFAULT)");
    int fd = open("/dev/zero", O_RDONLY);
    CHECK(fd >= 0);
    char a[8], b[8];
    struct iovec bad_length[2] = { { a, sizeof a }, { b, (size_t)-1 } };
    CHECK_ERR(readv(fd, bad_length, 2), EINVAL);
    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(pages != MAP_FAILED);
    if (pages != MAP_FAILED) {
        CHECK_EQ(munmap(pages + 4096, 4096), 0);
        struct iovec *straddling = (struct iovec *)(pages + 4096 - sizeof(struct iovec));
        straddling->iov_base = a;
        straddling->iov_len = sizeof a;
        CHECK_ERR(readv(fd, straddling, 2), EFAULT); /* the second element is unmapped */
        CHECK_EQ(readv(fd, straddling, 1), (long)sizeof a);
        munmap(pages, 4096);
    }
    close(fd);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "tmpfs-limit") == 0)
        return run_tmpfs_limit(argc > 2 ? argv[2] : NULL, argc > 3 && strcmp(argv[3], "rootfs") == 0);
    cleanup();
    if (mkdir(DIR_, 0755) != 0) {
        printf("cannot create " DIR_ ": %s\n", strerror(errno));
        return 1;
    }
    test_basic_io();
    test_append_truncate_stat();
    test_dup_fcntl();
    test_dirs();
    test_rename_unlink();
    test_symlink();
    test_cwd();
    test_errors();
    test_dev();
    test_access();
    test_sendfile();
    test_sparse();
    test_readv_import();
    cleanup();
    check_exit();
}
