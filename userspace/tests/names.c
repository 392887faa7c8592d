/* Every change of a name is seen by the next lookup of it: the kernel keeps
 * a lookup cache (names found and names known absent), and each check here
 * looks a name up, changes it, and looks it up again: create after a
 * failed lookup (open O_CREAT, mkdir, mknod, symlink, link), unlink and
 * rmdir after a successful one, rename over files and directories (the
 * names inside a moved directory follow it), a directory removed and made
 * again under the same name, names under a mount point while mounted and
 * after it, and a directory of many names. Validated on Linux
 * (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define DIR_ "/tmp/names_test"

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static ino_t inode_of(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static void make_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
}

static void test_create_after_miss(void) {
    check_begin("names: a name looked up in vain, then created, is found");
    CHECK_ERR(access(DIR_ "/f", F_OK), ENOENT);
    CHECK_ERR(access(DIR_ "/f", F_OK), ENOENT); /* twice: now known absent */
    make_file(DIR_ "/f");
    CHECK(exists(DIR_ "/f"));
    CHECK_ERR(access(DIR_ "/d", F_OK), ENOENT);
    CHECK_EQ(mkdir(DIR_ "/d", 0755), 0);
    CHECK(exists(DIR_ "/d"));
    CHECK_ERR(access(DIR_ "/node", F_OK), ENOENT);
    CHECK_EQ(mknod(DIR_ "/node", S_IFREG | 0644, 0), 0);
    CHECK(exists(DIR_ "/node"));
    CHECK_ERR(access(DIR_ "/sym", F_OK), ENOENT);
    CHECK_EQ(symlink("f", DIR_ "/sym"), 0);
    CHECK(exists(DIR_ "/sym"));
    CHECK_EQ(access(DIR_ "/sym", F_OK), 0); /* through the link, to f */
    CHECK_ERR(access(DIR_ "/hard", F_OK), ENOENT);
    CHECK_EQ(link(DIR_ "/f", DIR_ "/hard"), 0);
    CHECK_EQ(inode_of(DIR_ "/hard"), inode_of(DIR_ "/f"));
    /* A dangling symlink's target made by O_CREAT through it. */
    CHECK_EQ(symlink("target", DIR_ "/dangling"), 0);
    CHECK_ERR(access(DIR_ "/dangling", F_OK), ENOENT);
    CHECK_ERR(access(DIR_ "/target", F_OK), ENOENT);
    int fd = open(DIR_ "/dangling", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(exists(DIR_ "/target"));
    CHECK_EQ(access(DIR_ "/dangling", F_OK), 0);
    check_end();
}

static void test_remove_after_hit(void) {
    check_begin("names: a name found, then removed, is gone; made again, it is the new one");
    CHECK(exists(DIR_ "/node"));
    CHECK_EQ(unlink(DIR_ "/node"), 0);
    CHECK_ERR(access(DIR_ "/node", F_OK), ENOENT);
    CHECK(exists(DIR_ "/hard"));
    CHECK_EQ(unlink(DIR_ "/hard"), 0);
    CHECK_ERR(access(DIR_ "/hard", F_OK), ENOENT);
    CHECK(exists(DIR_ "/f"));
    CHECK_EQ(mkdir(DIR_ "/d/sub", 0755), 0);
    make_file(DIR_ "/d/sub/inner");
    CHECK(exists(DIR_ "/d/sub/inner"));
    CHECK_EQ(unlink(DIR_ "/d/sub/inner"), 0);
    CHECK_EQ(rmdir(DIR_ "/d/sub"), 0);
    CHECK_ERR(access(DIR_ "/d/sub", F_OK), ENOENT);
    CHECK_ERR(access(DIR_ "/d/sub/inner", F_OK), ENOENT);
    /* The same names again: a new directory, empty. */
    CHECK_EQ(mkdir(DIR_ "/d/sub", 0755), 0);
    CHECK_ERR(access(DIR_ "/d/sub/inner", F_OK), ENOENT);
    CHECK_EQ(rmdir(DIR_ "/d/sub"), 0);
    /* A file removed and made again under its name: found again. */
    CHECK_EQ(unlink(DIR_ "/f"), 0);
    CHECK_ERR(access(DIR_ "/f", F_OK), ENOENT);
    make_file(DIR_ "/f");
    CHECK(inode_of(DIR_ "/f") != 0);
    check_end();
}

static void test_rename(void) {
    check_begin("names: rename moves the name, replaces the target, and carries a directory's names");
    make_file(DIR_ "/a");
    make_file(DIR_ "/b");
    ino_t a = inode_of(DIR_ "/a");
    CHECK(exists(DIR_ "/b"));
    CHECK_EQ(rename(DIR_ "/a", DIR_ "/b"), 0);
    CHECK_ERR(access(DIR_ "/a", F_OK), ENOENT);
    CHECK_EQ(inode_of(DIR_ "/b"), a);
    CHECK_ERR(access(DIR_ "/c", F_OK), ENOENT);
    CHECK_EQ(rename(DIR_ "/b", DIR_ "/c"), 0);
    CHECK_EQ(inode_of(DIR_ "/c"), a);
    CHECK_ERR(access(DIR_ "/b", F_OK), ENOENT);
    CHECK_EQ(unlink(DIR_ "/c"), 0);

    CHECK_EQ(mkdir(DIR_ "/d/one", 0755), 0);
    make_file(DIR_ "/d/one/x");
    CHECK(exists(DIR_ "/d/one/x"));
    CHECK_EQ(rename(DIR_ "/d/one", DIR_ "/two"), 0);
    CHECK_ERR(access(DIR_ "/d/one", F_OK), ENOENT);
    CHECK_ERR(access(DIR_ "/d/one/x", F_OK), ENOENT);
    CHECK(exists(DIR_ "/two/x"));
    /* Over an empty directory: the old one's (absent) names do not linger. */
    CHECK_EQ(mkdir(DIR_ "/three", 0755), 0);
    CHECK_ERR(access(DIR_ "/three/x", F_OK), ENOENT);
    CHECK_EQ(rename(DIR_ "/two", DIR_ "/three"), 0);
    CHECK(exists(DIR_ "/three/x"));
    CHECK_ERR(access(DIR_ "/two", F_OK), ENOENT);
    CHECK_EQ(unlink(DIR_ "/three/x"), 0);
    CHECK_ERR(access(DIR_ "/three/x", F_OK), ENOENT);
    CHECK_EQ(rmdir(DIR_ "/three"), 0);
    check_end();
}

static void test_mount_point(void) {
    check_begin("names: a mount hides the names under it and shows them again when it goes");
    CHECK_EQ(mkdir(DIR_ "/m", 0755), 0);
    make_file(DIR_ "/m/under");
    CHECK(exists(DIR_ "/m/under"));
    CHECK_EQ(mount("none", DIR_ "/m", "tmpfs", 0, "size=64k"), 0);
    CHECK_ERR(access(DIR_ "/m/under", F_OK), ENOENT);
    make_file(DIR_ "/m/over");
    CHECK(exists(DIR_ "/m/over"));
    CHECK_EQ(umount(DIR_ "/m"), 0);
    CHECK(exists(DIR_ "/m/under"));
    CHECK_ERR(access(DIR_ "/m/over", F_OK), ENOENT);
    /* Mounted again: a fresh tmpfs, without the earlier "over". */
    CHECK_EQ(mount("none", DIR_ "/m", "tmpfs", 0, "size=64k"), 0);
    CHECK_ERR(access(DIR_ "/m/over", F_OK), ENOENT);
    CHECK_EQ(umount(DIR_ "/m"), 0);
    CHECK_EQ(unlink(DIR_ "/m/under"), 0);
    CHECK_EQ(rmdir(DIR_ "/m"), 0);
    check_end();
}

static void test_many_names(void) {
    check_begin("names: 3000 names in one directory, each found, then each gone");
    char path[64];
    int made = 0, found = 0, gone = 0;
    for (int i = 0; i < 3000; i++) {
        snprintf(path, sizeof path, DIR_ "/d/n%d", i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            made++;
            close(fd);
        }
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(path, sizeof path, DIR_ "/d/n%d", i);
        found += exists(path);
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(path, sizeof path, DIR_ "/d/n%d", i);
        CHECK_EQ(unlink(path), 0);
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(path, sizeof path, DIR_ "/d/n%d", i);
        gone += !exists(path);
    }
    CHECK_EQ(made, 3000);
    CHECK_EQ(found, 3000);
    CHECK_EQ(gone, 3000);
    check_end();
}

/* DIR_/f reached through a path of exactly `length` bytes: "./" repeated,
 * then the name (an odd padding length gets one extra slash). */
static const char *padded_path(char *buffer, size_t length) {
    const char *tail = "f";
    size_t fixed = strlen(DIR_ "/") + strlen(tail);
    size_t pad = length - fixed, at = 0;
    memcpy(buffer, DIR_ "/", strlen(DIR_ "/"));
    at = strlen(DIR_ "/");
    if (pad % 2) {
        buffer[at++] = '/';
        pad--;
    }
    for (size_t i = 0; i < pad; i += 2) {
        buffer[at++] = '.';
        buffer[at++] = '/';
    }
    strcpy(buffer + at, tail);
    return buffer;
}

static void test_long_paths(void) {
    check_begin("names: paths up to PATH_MAX - 1 bytes resolve, PATH_MAX is ENAMETOOLONG");
    static char path[8192];
    struct stat st;
    make_file(DIR_ "/f");
    ino_t ino = inode_of(DIR_ "/f");
    CHECK(ino != 0);
    size_t lengths[] = { 150, 191, 192, 193, 300, 1000, 4000, 4095 };
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        padded_path(path, lengths[i]);
        CHECK_EQ(strlen(path), lengths[i]);
        CHECK_EQ(lstat(path, &st), 0);
        CHECK(st.st_ino == ino);
        int fd = open(path, O_RDONLY);
        CHECK(fd >= 0);
        if (fd >= 0)
            close(fd);
        /* The same length naming nothing: the name is looked up, not cut. */
        path[lengths[i] - 1] = 'g';
        CHECK_ERR(open(path, O_RDONLY), ENOENT);
    }
    padded_path(path, 4096);
    CHECK_ERR(lstat(path, &st), ENAMETOOLONG);
    CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
    padded_path(path, 6000);
    CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
    CHECK_EQ(unlink(DIR_ "/f"), 0);
    check_end();
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    mkdir("/tmp", 01777);
    if (mkdir(DIR_, 0755) != 0) {
        printf("cannot create " DIR_ ": %s\n", strerror(errno));
        return 1;
    }
    test_create_after_miss();
    test_remove_after_hit();
    test_rename();
    test_mount_point();
    test_many_names();
    test_long_paths();
    unlink(DIR_ "/f");
    unlink(DIR_ "/sym");
    unlink(DIR_ "/dangling");
    unlink(DIR_ "/target");
    rmdir(DIR_ "/d");
    CHECK_EQ(rmdir(DIR_), 0);
    check_exit();
    return 0;
}
