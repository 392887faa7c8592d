/* A disk as a block special file: /dev/vda's node (S_IFBLK, its device
 * number), its size by lseek(SEEK_END) and the BLK* ioctls, reads of what
 * the host put on the image, writes at unaligned offsets and across sector
 * boundaries read back, pread/pwrite, fsync, the end of the disk (a read
 * there is empty, a write ENOSPC), and a node made with mknod opening the
 * same disk. Run with a disk attached (./akuma exec --disk IMAGE) whose
 * sector 3 starts with the text given as the first argument; writes
 * "akuma-was-here" at byte 1,000,001 for the host to find afterwards.
 * Validated on Linux with the same image attached (virtio_blk). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

#define DISK "/dev/vda"

static void test_node_and_size(void) {
    check_begin("blockdev: /dev/vda is a block device; its size from lseek and the ioctls agree");
    struct stat st;
    CHECK_EQ(stat(DISK, &st), 0);
    CHECK(S_ISBLK(st.st_mode));
    CHECK_EQ(minor(st.st_rdev), 0u);
    int fd = open(DISK, O_RDWR);
    CHECK(fd >= 0);
    if (fd < 0) {
        check_end();
        return;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    CHECK(end >= 4 * 1024 * 1024);
    uint64_t bytes = 0;
    CHECK_EQ(ioctl(fd, BLKGETSIZE64, &bytes), 0);
    CHECK_EQ((off_t)bytes, end);
    unsigned long sectors = 0;
    CHECK_EQ(ioctl(fd, BLKGETSIZE, &sectors), 0);
    CHECK_EQ((off_t)sectors * 512, end);
    int sector_size = 0;
    CHECK_EQ(ioctl(fd, BLKSSZGET, &sector_size), 0);
    CHECK_EQ(sector_size, 512);
    int read_only = -1;
    CHECK_EQ(ioctl(fd, BLKROGET, &read_only), 0);
    CHECK_EQ(read_only, 0);
    CHECK_ERR(ioctl(fd, TCGETS, (void *)0), ENOTTY);
    CHECK_EQ(lseek(fd, -512, SEEK_END), end - 512);
    close(fd);
    check_end();
}

static void test_read_host_data(const char *marker) {
    check_begin("blockdev: what the host wrote into the image reads back, at any offset and length");
    int fd = open(DISK, O_RDONLY);
    CHECK(fd >= 0);
    char buffer[4096];
    size_t length = strlen(marker);
    CHECK_EQ(pread(fd, buffer, length, 3 * 512), (long)length);
    CHECK(memcmp(buffer, marker, length) == 0);
    /* The same bytes through a read starting mid-sector and spanning three. */
    memset(buffer, 0, sizeof buffer);
    CHECK_EQ(pread(fd, buffer, 1100, 3 * 512 - 300), 1100);
    CHECK(memcmp(buffer + 300, marker, length) == 0);
    CHECK_EQ(lseek(fd, 3 * 512 + 1, SEEK_SET), 3 * 512 + 1);
    CHECK_EQ(read(fd, buffer, 3), 3);
    CHECK(memcmp(buffer, marker + 1, 3) == 0);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3 * 512 + 4);
    close(fd);
    check_end();
}

static void test_write_read_back(void) {
    check_begin("blockdev: unaligned writes, whole sectors and a 200 KiB run read back; fsync");
    int fd = open(DISK, O_RDWR);
    CHECK(fd >= 0);
    static char pattern[200 * 1024], back[200 * 1024];
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (char)(i * 31 + 7);
    /* Across a sector boundary, not aligned at either end. */
    CHECK_EQ(pwrite(fd, pattern, 777, 2 * 1024 * 1024 + 300), 777);
    CHECK_EQ(pread(fd, back, 777, 2 * 1024 * 1024 + 300), 777);
    CHECK(memcmp(back, pattern, 777) == 0);
    /* The bytes around it are untouched (zero: the image is sparse there). */
    CHECK_EQ(pread(fd, back, 300, 2 * 1024 * 1024), 300);
    int zeros = 1;
    for (int i = 0; i < 300; i++)
        zeros &= back[i] == 0;
    CHECK(zeros);
    /* A large aligned run: several requests in flight. */
    CHECK_EQ(pwrite(fd, pattern, sizeof pattern, 3 * 1024 * 1024), (long)sizeof pattern);
    memset(back, 0, sizeof back);
    CHECK_EQ(pread(fd, back, sizeof back, 3 * 1024 * 1024), (long)sizeof back);
    CHECK(memcmp(back, pattern, sizeof pattern) == 0);
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(fdatasync(fd), 0);
    /* For the host to find after the run. */
    CHECK_EQ(pwrite(fd, "akuma-was-here", 14, 1000001), 14);
    CHECK_EQ(fsync(fd), 0);
    close(fd);
    check_end();
}

static void test_end_of_disk(void) {
    check_begin("blockdev: at the end of the disk a read is empty and a write is ENOSPC; a short one is cut");
    int fd = open(DISK, O_RDWR);
    CHECK(fd >= 0);
    off_t end = lseek(fd, 0, SEEK_END);
    char buffer[1024] = "tail";
    CHECK_EQ(pread(fd, buffer, sizeof buffer, end), 0);
    CHECK_ERR(pwrite(fd, buffer, sizeof buffer, end), ENOSPC);
    CHECK_EQ(pwrite(fd, buffer, sizeof buffer, end - 100), 100);
    CHECK_EQ(pread(fd, buffer, sizeof buffer, end - 100), 100);
    CHECK(memcmp(buffer, "tail", 4) == 0);
    close(fd);
    check_end();
}

static void test_mknod_node(const char *marker) {
    check_begin("blockdev: a node made with mknod opens the same disk; a number without one is ENXIO");
    struct stat st;
    CHECK_EQ(stat(DISK, &st), 0);
    unlink("/tmp/blockdev-node");
    CHECK_EQ(mknod("/tmp/blockdev-node", S_IFBLK | 0600, st.st_rdev), 0);
    int fd = open("/tmp/blockdev-node", O_RDONLY);
    CHECK(fd >= 0);
    char buffer[64];
    size_t length = strlen(marker);
    CHECK_EQ(pread(fd, buffer, length, 3 * 512), (long)length);
    CHECK(memcmp(buffer, marker, length) == 0);
    close(fd);
    CHECK_EQ(unlink("/tmp/blockdev-node"), 0);
    CHECK_EQ(mknod("/tmp/blockdev-none", S_IFBLK | 0600, makedev(major(st.st_rdev), 240)), 0);
    CHECK_ERR(open("/tmp/blockdev-none", O_RDONLY), ENXIO);
    CHECK_EQ(unlink("/tmp/blockdev-none"), 0);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *marker = argc > 1 ? argv[1] : "";
    if (!*marker) {
        printf("usage: blockdev MARKER (the text at sector 3 of the disk)\n");
        return 2;
    }
    mkdir("/tmp", 01777);
    test_node_and_size();
    test_read_host_data(marker);
    test_write_read_back();
    test_end_of_disk();
    test_mknod_node(marker);
    check_exit();
    return 0;
}
