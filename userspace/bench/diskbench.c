/* diskbench DIR [quick]: the storage rows of ./akuma bench disk, on an ext2
 * disk mounted at DIR (the image tools/bench.sh makes: DIR/big, 64 MiB;
 * DIR/tree, 100 directories of 100 files). The same static binary runs on
 * Akuma and on Linux; under QEMU -icount its nanoseconds (the raw
 * CLOCK_MONOTONIC syscall) are guest instructions.
 *
 * Rows, each printed as "[diskbench] NAME: N ns":
 *   seq-read-cold   read DIR/big whole, 128 KiB at a time, first time after boot
 *   seq-read-warm   the same again (from the page cache)
 *   rand-read-4k    one 4 KiB pread at a pseudo-random aligned offset of DIR/big (warm)
 *   seq-write       create DIR/w, write 32 MiB (4 MiB quick) 32 KiB at a time
 *                   (sshd's and cp's size), fsync, close; unlinked after the row
 *   small-file      create DIR/s, write 4 KiB, fsync, close, unlink
 *   find-10000      walk DIR/tree (opendir/readdir, lstat of every entry), first time
 * Each row is bracketed by calls of bench_mark(), an empty function whose
 * address a QEMU plugin watches (tools/profile/icount_marks.c): the
 * instructions the whole machine executes between the two calls are the
 * row's figure (virtual time would include the waits for the disk, which
 * -icount turns into timer periods). Exit status 0 when every step worked
 * (and the tree held 10,000 files). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline, used)) void bench_mark(void) { __asm__ volatile("" ::: "memory"); }

/* Ends a row: its second mark, then its line ("N ns" per operation, and
 * how many operations the marks enclose). */
static void report(const char *name, uint64_t total_ns, uint64_t count) {
    bench_mark();
    printf("[diskbench] %s: %llu ns, %llu times\n", name, (unsigned long long)(total_ns / (count ? count : 1)),
           (unsigned long long)count);
}

static char buffer[128 * 1024];

static int read_whole(const char *path, uint64_t *bytes) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    ssize_t got;
    *bytes = 0;
    while ((got = read(fd, buffer, sizeof buffer)) > 0)
        *bytes += (uint64_t)got;
    close(fd);
    return got < 0;
}

static uint64_t walk(const char *path, int *failed) {
    DIR *dir = opendir(path);
    if (!dir) {
        perror(path);
        *failed = 1;
        return 0;
    }
    uint64_t files = 0;
    struct dirent *entry;
    char child[512];
    while ((entry = readdir(dir))) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        struct stat st;
        if (lstat(child, &st) != 0) {
            perror(child);
            *failed = 1;
            continue;
        }
        if (S_ISDIR(st.st_mode))
            files += walk(child, failed);
        else
            ++files;
    }
    closedir(dir);
    return files;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        printf("usage: diskbench DIR [quick]\n");
        return 2;
    }
    int quick = argc > 2 && !strcmp(argv[2], "quick");
    char big[256], tree[256], small[256], written[256];
    snprintf(big, sizeof big, "%s/big", argv[1]);
    snprintf(tree, sizeof tree, "%s/tree", argv[1]);
    snprintf(small, sizeof small, "%s/s", argv[1]);
    snprintf(written, sizeof written, "%s/w", argv[1]);
    int failed = 0;

    uint64_t bytes = 0;
    bench_mark();
    uint64_t t0 = now_ns();
    failed |= read_whole(big, &bytes);
    report("seq-read-cold (64 MiB)", now_ns() - t0, 1);
    if (bytes != 64ull << 20) {
        printf("diskbench: %s has %llu bytes, not 64 MiB\n", big, (unsigned long long)bytes);
        failed = 1;
    }
    bench_mark();
    t0 = now_ns();
    failed |= read_whole(big, &bytes);
    report("seq-read-warm (64 MiB)", now_ns() - t0, 1);

    int fd = open(big, O_RDONLY);
    uint64_t state = 0x9e3779b97f4a7c15ull, reads = quick ? 100 : 2000;
    bench_mark();
    t0 = now_ns();
    for (uint64_t i = 0; i < reads && fd >= 0; ++i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        off_t offset = (off_t)(state % ((64u << 20) / 4096)) * 4096;
        if (pread(fd, buffer, 4096, offset) != 4096)
            failed = 1;
    }
    report("rand-read-4k (warm, per read)", now_ns() - t0, reads);
    if (fd >= 0)
        close(fd);

    uint64_t chunks = (quick ? 4u << 20 : 32u << 20) / 32768;
    memset(buffer, 'w', 32768);
    bench_mark();
    t0 = now_ns();
    int out = open(written, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (uint64_t i = 0; i < chunks && out >= 0; ++i) {
        if (write(out, buffer, 32768) != 32768)
            failed = 1;
    }
    if (out < 0 || fsync(out) != 0)
        failed = 1;
    if (out >= 0)
        close(out);
    report("seq-write 32 KiB writes + fsync (per MiB)", now_ns() - t0, chunks / 32);
    if (unlink(written) != 0)
        failed = 1;
    sync(); /* the 32 MiB file's blocks and pages freed before the next row, not in it */

    uint64_t cycles = quick ? 10 : 100;
    memset(buffer, 's', 4096);
    bench_mark();
    t0 = now_ns();
    for (uint64_t i = 0; i < cycles; ++i) {
        int out = open(small, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || write(out, buffer, 4096) != 4096 || fsync(out) != 0)
            failed = 1;
        if (out >= 0)
            close(out);
        if (unlink(small) != 0)
            failed = 1;
    }
    report("small-file create+write 4K+fsync+unlink (per file)", now_ns() - t0, cycles);

    bench_mark();
    t0 = now_ns();
    uint64_t files = walk(tree, &failed);
    report("find over 10,000 files (cold, whole walk)", now_ns() - t0, 1);
    if (files != 10000) {
        printf("diskbench: %s holds %llu files, not 10,000\n", tree, (unsigned long long)files);
        failed = 1;
    }
    printf("[diskbench] %s\n", failed ? "FAILED" : "done");
    return failed;
}
