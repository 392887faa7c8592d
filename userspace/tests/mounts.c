/* The file layer's namespace: mount(2)/umount2(2) of tmpfs with crossing
 * in both directions, statfs, read-only remounts, lazy unmounts, symlink
 * loops, O_PATH/O_NOFOLLOW/O_DIRECTORY, rename rules across and within
 * file systems, unlink while open, fallocate and truncate(2), and the
 * memory devices in /dev. Validated on Linux (../shared/tools/linux-ref),
 * where it runs as root in a rootfs with /dev and /proc mounted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

#define DIR_ "/tmp/mounts_test"
#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define PIPEFS_MAGIC 0x50495045

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
        close(fd);
    }
}

static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void test_mount_crossing(void) {
    check_begin("mount: a tmpfs hides the directory, '..' leads back, umount shows it again");
    CHECK_EQ(mkdir(DIR_ "/m", 0755), 0);
    write_file(DIR_ "/m/under", "under");
    CHECK_EQ(mount("none", DIR_ "/m", "tmpfs", 0, "size=1m"), 0);
    CHECK_ERR(access(DIR_ "/m/under", F_OK), ENOENT);
    write_file(DIR_ "/m/over", "over");
    struct stat outer, inner;
    CHECK_EQ(stat(DIR_, &outer), 0);
    CHECK_EQ(stat(DIR_ "/m", &inner), 0);
    CHECK(outer.st_dev != inner.st_dev);
    CHECK_EQ(inner.st_mode & 07777, 01777); /* tmpfs's root: mode=1777 by default */
    CHECK(same_file(DIR_ "/m/..", DIR_));
    CHECK(same_file(DIR_ "/m/../m/over", DIR_ "/m/over"));

    char cwd[PATH_MAX];
    CHECK_EQ(chdir(DIR_ "/m"), 0);
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, DIR_ "/m") == 0);
    CHECK_EQ(chdir(".."), 0);
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, DIR_) == 0);

    struct statfs sfs;
    CHECK_EQ(statfs(DIR_ "/m/over", &sfs), 0);
    CHECK_EQ(sfs.f_type, TMPFS_MAGIC);
    CHECK_EQ(sfs.f_bsize, 4096);
    CHECK_EQ(sfs.f_blocks, 256); /* size=1m in pages */
    CHECK(sfs.f_bfree <= 255);   /* "over" holds a page */
    CHECK_EQ(sfs.f_namelen, 255);
    CHECK_EQ(sfs.f_flags & ST_RDONLY, 0);

    /* In use: an open file, a working directory. */
    int fd = open(DIR_ "/m/over", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_ERR(umount(DIR_ "/m"), EBUSY);
    close(fd);
    /* An open file without a name any more pins it just as well. */
    write_file(DIR_ "/m/gone", "gone");
    fd = open(DIR_ "/m/gone", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(unlink(DIR_ "/m/gone"), 0);
    CHECK_ERR(umount(DIR_ "/m"), EBUSY);
    close(fd);
    CHECK_EQ(chdir(DIR_ "/m"), 0);
    CHECK_ERR(umount(DIR_ "/m"), EBUSY);
    CHECK_EQ(chdir("/"), 0);

    /* A mount point cannot be removed or moved; names do not cross. */
    CHECK_ERR(rmdir(DIR_ "/m"), EBUSY);
    CHECK_ERR(rename(DIR_ "/m", DIR_ "/moved"), EBUSY);
    CHECK_ERR(rename(DIR_ "/m/over", DIR_ "/over"), EXDEV);
    CHECK_ERR(link(DIR_ "/m/over", DIR_ "/over-link"), EXDEV);

    CHECK_EQ(umount(DIR_ "/m"), 0);
    CHECK_EQ(access(DIR_ "/m/under", F_OK), 0);
    CHECK_ERR(access(DIR_ "/m/over", F_OK), ENOENT);
    CHECK_ERR(umount(DIR_ "/m"), EINVAL); /* not a mount point any more */
    CHECK_ERR(umount(DIR_ "/nonexistent"), ENOENT);
    CHECK_ERR(mount("none", DIR_ "/m", "no-such-fs-type", 0, NULL), ENODEV);
    /* Options a file system does not know are refused, not ignored. */
    CHECK_ERR(mount("none", DIR_ "/m", "tmpfs", 0, "bogus=1"), EINVAL);
    CHECK_ERR(mount("none", DIR_ "/m", "proc", 0, "bogus=1"), EINVAL);
    CHECK_ERR(mount((char *)1, DIR_ "/m", "tmpfs", 0, NULL), EFAULT);
    CHECK_ERR(mount("none", DIR_ "/m/under", "tmpfs", 0, NULL), ENOTDIR);
    CHECK_EQ(unlink(DIR_ "/m/under"), 0);
    CHECK_EQ(rmdir(DIR_ "/m"), 0);
    check_end();
}

static void test_stacked_and_read_only(void) {
    check_begin("mount: stacked mounts, MS_RDONLY remount gives EROFS, lazy unmount keeps open files");
    CHECK_EQ(mkdir(DIR_ "/r", 0755), 0);
    CHECK_EQ(mount("none", DIR_ "/r", "tmpfs", 0, NULL), 0);
    write_file(DIR_ "/r/first", "1");
    CHECK_EQ(mount("none", DIR_ "/r", "tmpfs", 0, NULL), 0); /* on top of the first */
    CHECK_ERR(access(DIR_ "/r/first", F_OK), ENOENT);
    CHECK(same_file(DIR_ "/r/..", DIR_));
    CHECK_EQ(umount(DIR_ "/r"), 0);
    CHECK_EQ(access(DIR_ "/r/first", F_OK), 0); /* the first is on top again */

    CHECK_EQ(mount(NULL, DIR_ "/r", NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
    struct statfs sfs;
    CHECK_EQ(statfs(DIR_ "/r", &sfs), 0);
    CHECK(sfs.f_flags & ST_RDONLY);
    CHECK_ERR(open(DIR_ "/r/first", O_WRONLY), EROFS);
    CHECK_ERR(open(DIR_ "/r/new", O_WRONLY | O_CREAT, 0644), EROFS);
    CHECK_ERR(mkdir(DIR_ "/r/dir", 0755), EROFS);
    CHECK_ERR(unlink(DIR_ "/r/first"), EROFS);
    CHECK_ERR(truncate(DIR_ "/r/first", 0), EROFS);
    int fd = open(DIR_ "/r/first", O_RDONLY);
    CHECK(fd >= 0);
    char c = 0;
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, '1');
    close(fd);
    CHECK_EQ(mount(NULL, DIR_ "/r", NULL, MS_REMOUNT, NULL), 0);
    write_file(DIR_ "/r/second", "2");

    /* MNT_DETACH: gone from the tree at once, open files go on working. */
    fd = open(DIR_ "/r/second", O_RDWR);
    CHECK(fd >= 0);
    CHECK_ERR(umount(DIR_ "/r"), EBUSY);
    CHECK_EQ(umount2(DIR_ "/r", MNT_DETACH), 0);
    CHECK_ERR(access(DIR_ "/r/second", F_OK), ENOENT);
    CHECK_EQ(pwrite(fd, "22", 2, 0), 2);
    char back[3] = { 0 };
    CHECK_EQ(pread(fd, back, 2, 0), 2);
    CHECK(strcmp(back, "22") == 0);
    close(fd);
    CHECK_ERR(umount2(DIR_ "/r", 0x100), EINVAL); /* an unknown flag */
    CHECK_EQ(rmdir(DIR_ "/r"), 0);
    check_end();
}

static void test_symlinks_and_open_flags(void) {
    check_begin("symlinks: 40 in a walk resolve, 41 are ELOOP; O_NOFOLLOW, O_PATH, O_DIRECTORY");
    CHECK_EQ(mkdir(DIR_ "/s", 0755), 0);
    write_file(DIR_ "/s/target", "t");
    char name[64], previous[64];
    snprintf(previous, sizeof previous, "target");
    for (int i = 0; i <= 40; ++i) {
        snprintf(name, sizeof name, DIR_ "/s/l%d", i);
        CHECK_EQ(symlink(previous, name), 0);
        snprintf(previous, sizeof previous, "l%d", i);
    }
    int fd = open(DIR_ "/s/l39", O_RDONLY); /* l39 -> ... -> l0 -> target: 40 links */
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK_ERR(open(DIR_ "/s/l40", O_RDONLY), ELOOP);
    CHECK_EQ(symlink("self", DIR_ "/s/self"), 0);
    CHECK_ERR(open(DIR_ "/s/self", O_RDONLY), ELOOP);
    CHECK_ERR(stat(DIR_ "/s/self/x", &(struct stat){ 0 }), ELOOP);

    CHECK_ERR(open(DIR_ "/s/l0", O_RDONLY | O_NOFOLLOW), ELOOP);
    fd = open(DIR_ "/s/l0", O_PATH | O_NOFOLLOW);
    CHECK(fd >= 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(S_ISLNK(st.st_mode));
    char c;
    CHECK_ERR(read(fd, &c, 1), EBADF);
    close(fd);

    int dir = open(DIR_ "/s", O_PATH | O_DIRECTORY);
    CHECK(dir >= 0);
    fd = openat(dir, "target", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, &c, 1), 1);
    close(fd);
    CHECK_ERR(syscall(SYS_getdents64, dir, (char[64]){ 0 }, 64), EBADF);
    CHECK_EQ(fchdir(dir), 0);
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, DIR_ "/s") == 0);
    CHECK_EQ(chdir("/"), 0);
    close(dir);

    /* O_CREAT through a dangling symlink creates its target; O_EXCL refuses. */
    CHECK_EQ(symlink("created", DIR_ "/s/dangling"), 0);
    CHECK_ERR(open(DIR_ "/s/dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    fd = open(DIR_ "/s/dangling", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK_EQ(access(DIR_ "/s/created", F_OK), 0);
    CHECK_EQ(unlink(DIR_ "/s/dangling"), 0);
    CHECK_EQ(unlink(DIR_ "/s/created"), 0);

    CHECK_ERR(open(DIR_ "/s/target", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR(open(DIR_ "/s/target/", O_RDONLY), ENOTDIR);
    CHECK_ERR(open(DIR_ "/s/", O_RDWR), EISDIR);
    CHECK_ERR(open(DIR_ "/s/newdir/", O_RDWR | O_CREAT, 0644), EISDIR);
    for (int i = 0; i <= 40; ++i) {
        snprintf(name, sizeof name, DIR_ "/s/l%d", i);
        CHECK_EQ(unlink(name), 0);
    }
    CHECK_EQ(unlink(DIR_ "/s/self"), 0);
    CHECK_EQ(unlink(DIR_ "/s/target"), 0);
    CHECK_EQ(rmdir(DIR_ "/s"), 0);
    check_end();
}

static void test_rename_and_unlink(void) {
    check_begin("rename(2) rules; a file unlinked while open stays readable");
    CHECK_EQ(mkdir(DIR_ "/a", 0755), 0);
    CHECK_EQ(mkdir(DIR_ "/a/sub", 0755), 0);
    CHECK_EQ(mkdir(DIR_ "/full", 0755), 0);
    write_file(DIR_ "/full/x", "x");
    write_file(DIR_ "/file", "data");
    CHECK_ERR(rename(DIR_ "/a", DIR_ "/full"), ENOTEMPTY);
    CHECK_ERR(rename(DIR_ "/a", DIR_ "/file"), ENOTDIR);
    CHECK_ERR(rename(DIR_ "/file", DIR_ "/a"), EISDIR);
    CHECK_ERR(rename(DIR_ "/a", DIR_ "/a/sub/inside"), EINVAL);
    CHECK_EQ(link(DIR_ "/file", DIR_ "/file2"), 0);
    CHECK_EQ(rename(DIR_ "/file", DIR_ "/file2"), 0); /* same inode: nothing happens */
    CHECK_EQ(access(DIR_ "/file", F_OK), 0);
    CHECK_EQ(rename(DIR_ "/a/sub", DIR_ "/full/x2"), 0);
    CHECK_EQ(rmdir(DIR_ "/full/x2"), 0);

    int fd = open(DIR_ "/file", O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(unlink(DIR_ "/file"), 0);
    CHECK_EQ(unlink(DIR_ "/file2"), 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_nlink, 0);
    char back[5] = { 0 };
    CHECK_EQ(pread(fd, back, 4, 0), 4);
    CHECK(strcmp(back, "data") == 0);
    CHECK_EQ(pwrite(fd, "more", 4, 4), 4);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 8);
    close(fd);
    CHECK_EQ(unlink(DIR_ "/full/x"), 0);
    CHECK_EQ(rmdir(DIR_ "/full"), 0);
    CHECK_EQ(rmdir(DIR_ "/a"), 0);
    check_end();
}

static void test_fallocate_truncate_statfs(void) {
    check_begin("fallocate, truncate(2), statfs of tmpfs, /proc and a pipe");
    CHECK_EQ(mkdir(DIR_ "/t", 0755), 0);
    CHECK_EQ(mount("none", DIR_ "/t", "tmpfs", 0, "size=64k"), 0);
    int fd = open(DIR_ "/t/f", O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    struct stat st;
    CHECK_EQ(fallocate(fd, 0, 0, 8192), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 8192);
    CHECK_EQ(st.st_blocks, 16);
    CHECK_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 4096), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 8192);
    CHECK_EQ(st.st_blocks, 24);
    CHECK_ERR(fallocate(fd, 0, 0, 1 << 20), ENOSPC); /* more than size=64k */
    CHECK_ERR(fallocate(fd, 0, -1, 10), EINVAL);
    CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
    char zero[16];
    CHECK_EQ(pread(fd, zero, sizeof zero, 4000), (long)sizeof zero);
    CHECK(zero[0] == 0 && zero[15] == 0);
    int reader = open(DIR_ "/t/f", O_RDONLY);
    CHECK_ERR(fallocate(reader, 0, 0, 10), EBADF);
    close(reader);
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_ERR(fallocate(pipe_fds[1], 0, 0, 10), ESPIPE);
    struct statfs sfs;
    CHECK_EQ(fstatfs(pipe_fds[0], &sfs), 0);
    CHECK_EQ(sfs.f_type, PIPEFS_MAGIC);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close(fd);

    CHECK_EQ(truncate(DIR_ "/t/f", 100), 0);
    CHECK_EQ(stat(DIR_ "/t/f", &st), 0);
    CHECK_EQ(st.st_size, 100);
    CHECK_ERR(truncate(DIR_ "/t", 0), EISDIR);
    CHECK_ERR(truncate(DIR_ "/t/missing", 0), ENOENT);
    CHECK_EQ(unlink(DIR_ "/t/f"), 0);
    CHECK_EQ(umount(DIR_ "/t"), 0);
    CHECK_EQ(rmdir(DIR_ "/t"), 0);

    CHECK_EQ(statfs("/proc", &sfs), 0);
    CHECK_EQ(sfs.f_type, PROC_SUPER_MAGIC);
    CHECK_EQ(statfs("/dev", &sfs), 0);
    CHECK_EQ(sfs.f_type, TMPFS_MAGIC); /* devtmpfs is a tmpfs */
    check_end();
}

static void test_mount_flags(void) {
    check_begin("noexec and nodev mounts: execve EACCES, mmap PROT_EXEC EPERM, device nodes EACCES");
    CHECK_EQ(mkdir(DIR_ "/x", 0755), 0);
    CHECK_EQ(mount("none", DIR_ "/x", "tmpfs", MS_NOEXEC | MS_NODEV, NULL), 0);
    /* A copy of this very program, executable but on a noexec mount. */
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open(DIR_ "/x/prog", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(in >= 0 && out >= 0);
    static char buffer[65536];
    for (;;) {
        ssize_t got = read(in, buffer, sizeof buffer);
        if (got <= 0)
            break;
        CHECK_EQ(write(out, buffer, (size_t)got), got);
    }
    close(in);
    close(out);
    char *argv[] = { DIR_ "/x/prog", NULL };
    char *envp[] = { NULL };
    CHECK_ERR(execve(argv[0], argv, envp), EACCES);
    int fd = open(DIR_ "/x/prog", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_ERR((long)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0), EPERM);
    char *map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(map != MAP_FAILED);
    if (map != MAP_FAILED) {
        CHECK_ERR(mprotect(map, 4096, PROT_READ | PROT_EXEC), EACCES);
        munmap(map, 4096);
    }
    close(fd);
    struct statfs sfs;
    CHECK_EQ(statfs(DIR_ "/x", &sfs), 0);
    CHECK((sfs.f_flags & ST_NOEXEC) && (sfs.f_flags & ST_NODEV));
    CHECK_EQ(mknod(DIR_ "/x/zero", S_IFCHR | 0600, makedev(1, 5)), 0);
    CHECK_ERR(open(DIR_ "/x/zero", O_RDONLY), EACCES);
    CHECK_EQ(unlink(DIR_ "/x/zero"), 0);
    CHECK_EQ(unlink(DIR_ "/x/prog"), 0);
    CHECK_EQ(umount(DIR_ "/x"), 0);
    CHECK_EQ(rmdir(DIR_ "/x"), 0);
    check_end();
}

static void check_device(const char *path, unsigned major_number, unsigned minor_number) {
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), major_number);
    CHECK_EQ(minor(st.st_rdev), minor_number);
}

static void test_devices(void) {
    check_begin("/dev: the memory devices and the console, as Linux's mem.c and tty");
    check_device("/dev/null", 1, 3);
    check_device("/dev/zero", 1, 5);
    check_device("/dev/full", 1, 7);
    check_device("/dev/random", 1, 8);
    check_device("/dev/urandom", 1, 9);
    check_device("/dev/tty", 5, 0);
    check_device("/dev/console", 5, 1);
    int full = open("/dev/full", O_RDWR);
    CHECK(full >= 0);
    char buffer[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    CHECK_ERR(write(full, "x", 1), ENOSPC);
    CHECK_EQ(read(full, buffer, sizeof buffer), (long)sizeof buffer);
    CHECK(buffer[0] == 0 && buffer[7] == 0);
    CHECK_EQ(lseek(full, 100, SEEK_SET), 0);
    close(full);
    int null = open("/dev/null", O_RDWR);
    CHECK(null >= 0);
    CHECK_EQ(syscall(SYS_write, null, 1L, 10L), 10); /* the buffer is not even read */
    CHECK_EQ(read(null, buffer, sizeof buffer), 0);
    close(null);
    /* A node made elsewhere reaches the same driver. */
    CHECK_EQ(mknod(DIR_ "/zero", S_IFCHR | 0600, makedev(1, 5)), 0);
    int zero = open(DIR_ "/zero", O_RDONLY);
    CHECK(zero >= 0);
    CHECK_EQ(read(zero, buffer, 4), 4);
    CHECK(buffer[0] == 0);
    close(zero);
    CHECK_EQ(unlink(DIR_ "/zero"), 0);
    /* A device number without a driver: ENXIO on open. */
    CHECK_EQ(mknod(DIR_ "/nodev", S_IFCHR | 0600, makedev(250, 250)), 0);
    CHECK_ERR(open(DIR_ "/nodev", O_RDONLY), ENXIO);
    CHECK_EQ(unlink(DIR_ "/nodev"), 0);
    check_end();
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    mkdir("/tmp", 01777);
    if (mkdir(DIR_, 0755) != 0) {
        printf("cannot create " DIR_ ": %s\n", strerror(errno));
        return 1;
    }
    test_mount_crossing();
    test_stacked_and_read_only();
    test_symlinks_and_open_flags();
    test_rename_and_unlink();
    test_fallocate_truncate_statfs();
    test_devices();
    test_mount_flags();
    rmdir(DIR_);
    check_exit();
    return 0;
}
