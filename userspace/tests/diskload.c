/* A deterministic file-system workload for the storage tests (issue 18).
 *
 *   diskload DIR          the workload, in DIR (made here; it must not exist)
 *   diskload --fill DIR   fill the file system to ENOSPC and recover
 *   diskload --read DIR   read everything under DIR; report every error
 *   diskload --churn DIR  write, rename and delete in a loop, forever
 *   diskload --unsynced DIR  write two files (one of them also renamed)
 *                         without any sync, wait 15 s, say so, then idle:
 *                         the kernel's own write-back must have put them
 *                         on the disk by then (the host kills the machine)
 *
 * The workload: files of 0 B to several MiB (direct, indirect and
 * double-indirect blocks with 1 KiB and 4 KiB blocks) written at
 * pseudo-random offsets, truncated down and up (holes), renamed across
 * directories (files and a directory with contents), hard links (one name
 * then removed), files written and read after being unlinked while open,
 * mkdir/rmdir, symlinks (fast and slow), fsync/fdatasync and a directory of
 * many names. Every parameter and every byte comes from one fixed-seed
 * xorshift64 generator; the program keeps its own model of what each file
 * must hold and checks every byte it reads against it.
 *
 * No manifest is written: tests/system/diskload_verify.py is an independent
 * mirror of the same workload (same generator, same steps) that computes
 * the final tree and compares it with the image, read on the host by
 * debugfs. Any change here must be made there too.
 * Validated on Linux (tools/linux-ref-disk, its ext2 driver). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* ------------------------------------------------------------ generator */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t step(uint64_t x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

static uint64_t rnd(void) {
    rng = step(rng);
    return rng;
}

/* One draw, always (so both sides consume alike): 0 when n is 0. */
static uint64_t below(uint64_t n) {
    uint64_t r = rnd();
    return n ? r % n : 0;
}

static uint64_t min_u(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}

/* The bytes of one write: the generator's words from `seed`, little-endian. */
static void fill(unsigned char *buf, size_t len, uint64_t seed) {
    uint64_t x = seed | 1;
    for (size_t i = 0; i < len; i += 8) {
        x = step(x);
        for (size_t k = 0; k < 8 && i + k < len; k++)
            buf[i + k] = (unsigned char)(x >> (8 * k));
    }
}

/* ------------------------------------------------------------ the model */

enum { T_FILE = 1, T_DIR, T_LINK };

struct inode_m {
    unsigned char *data;
    size_t size, cap;
    int nlink;
};

struct entry {
    char path[128]; /* relative to the top directory */
    int type;
    struct inode_m *ino;
    char target[160];
};

#define MAX_ENTRIES 512
static struct entry entries[MAX_ENTRIES];
static int entry_count;
static char top[256];

static const char *full(const char *rel) {
    static char buf[4][512];
    static int next;
    char *b = buf[next++ % 4];
    int n = snprintf(b, 512, "%s/%s", top, rel);
    if (n < 0 || n >= 512)
        exit(2);
    return b;
}

static struct entry *m_find(const char *path) {
    for (int i = 0; i < entry_count; i++)
        if (strcmp(entries[i].path, path) == 0)
            return &entries[i];
    return NULL;
}

static struct entry *m_add(const char *path, int type) {
    if (entry_count == MAX_ENTRIES) {
        printf("diskload: model full\n");
        exit(2);
    }
    struct entry *e = &entries[entry_count++];
    memset(e, 0, sizeof *e);
    snprintf(e->path, sizeof e->path, "%s", path);
    e->type = type;
    return e;
}

static struct inode_m *m_new_inode(void) {
    struct inode_m *ino = calloc(1, sizeof *ino);
    ino->nlink = 1;
    return ino;
}

static void m_drop(struct inode_m *ino) {
    if (--ino->nlink == 0) {
        free(ino->data);
        free(ino);
    }
}

static void m_remove(const char *path) {
    struct entry *e = m_find(path);
    if (!e)
        return;
    if (e->type == T_FILE)
        m_drop(e->ino);
    *e = entries[--entry_count];
}

static void m_resize(struct inode_m *ino, size_t size) {
    if (size > ino->cap) {
        size_t cap = ino->cap ? ino->cap : 4096;
        while (cap < size)
            cap *= 2;
        ino->data = realloc(ino->data, cap);
        if (!ino->data) {
            printf("diskload: out of memory\n");
            exit(2);
        }
        ino->cap = cap;
    }
    if (size > ino->size)
        memset(ino->data + ino->size, 0, size - ino->size);
    ino->size = size;
}

static void m_write(struct inode_m *ino, size_t off, const unsigned char *data, size_t len) {
    if (off + len > ino->size)
        m_resize(ino, off + len);
    memcpy(ino->data + off, data, len);
}

/* rename: the target (a file) is replaced; a directory's names follow it. */
static void m_rename(const char *from, const char *to) {
    m_remove(to);
    size_t n = strlen(from);
    for (int i = 0; i < entry_count; i++) {
        struct entry *e = &entries[i];
        if (strcmp(e->path, from) == 0) {
            snprintf(e->path, sizeof e->path, "%s", to);
        } else if (strncmp(e->path, from, n) == 0 && e->path[n] == '/') {
            char rest[128];
            snprintf(rest, sizeof rest, "%s", e->path + n);
            snprintf(e->path, sizeof e->path, "%s%s", to, rest);
        }
    }
}

/* ------------------------------------------------------------ checked I/O */

static unsigned char *scratch;
#define SCRATCH (1u << 20)

static void write_all(int fd, size_t off, const unsigned char *data, size_t len, int use_pwrite) {
    if (!use_pwrite)
        CHECK_EQ(lseek(fd, (off_t)off, SEEK_SET), (long)off);
    while (len) {
        ssize_t n = use_pwrite ? pwrite(fd, data, len, (off_t)off) : write(fd, data, len);
        if (n <= 0) {
            CHECK(n > 0);
            return;
        }
        data += n;
        off += (size_t)n;
        len -= (size_t)n;
    }
}

/* A write of `len` generated bytes at `off`, to the file and its model. */
static void gen_write(int fd, struct inode_m *ino, size_t off, size_t len, uint64_t seed, int use_pwrite) {
    unsigned char *buf = malloc(len ? len : 1);
    fill(buf, len, seed);
    write_all(fd, off, buf, len, use_pwrite);
    m_write(ino, off, buf, len);
    free(buf);
}

/* Reads the whole of fd (from 0, in odd-sized pieces) against the model. */
static void verify_fd(int fd, const struct inode_m *ino, const char *what) {
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    if ((size_t)st.st_size != ino->size) {
        printf("  %s: size %lld, expected %zu\n", what, (long long)st.st_size, ino->size);
        check_failures++;
        check_group_fails++;
    }
    size_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, scratch, 7777 * 13, (off_t)off);
        if (n < 0) {
            printf("  %s: read at %zu: %s\n", what, off, strerror(errno));
            check_failures++;
            check_group_fails++;
            return;
        }
        if (n == 0)
            break;
        if (off + (size_t)n > ino->size || memcmp(scratch, ino->data + off, (size_t)n) != 0) {
            size_t k = 0;
            while (off + k < ino->size && k < (size_t)n && scratch[k] == ino->data[off + k])
                k++;
            printf("  %s: wrong byte at %zu (of %zu)\n", what, off + k, ino->size);
            check_failures++;
            check_group_fails++;
            return;
        }
        off += (size_t)n;
    }
    if (off != ino->size) {
        printf("  %s: read %zu bytes, expected %zu\n", what, off, ino->size);
        check_failures++;
        check_group_fails++;
    }
}

static void verify_path(const char *rel) {
    struct entry *e = m_find(rel);
    CHECK(e && e->type == T_FILE);
    if (!e || e->type != T_FILE)
        return;
    int fd = open(full(rel), O_RDONLY);
    CHECK(fd >= 0);
    if (fd < 0) {
        printf("  cannot open %s\n", rel);
        return;
    }
    verify_fd(fd, e->ino, rel);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_nlink, e->ino->nlink);
    close(fd);
}

static void gone(const char *rel) {
    struct stat st;
    CHECK_ERR(lstat(full(rel), &st), ENOENT);
}

static void make_dir(const char *rel) {
    CHECK_EQ(mkdir(full(rel), 0755), 0);
    m_add(rel, T_DIR);
}

static int open_file(const char *rel, int flags) {
    int fd = open(full(rel), flags, 0644);
    CHECK(fd >= 0);
    if (fd < 0)
        printf("  cannot open %s\n", rel);
    return fd;
}

/* ------------------------------------------------------------ the workload */

#define NFILES 12
static const size_t sizes[NFILES] = { 0, 1, 1000, 1024, 4096, 12288, 12289, 70000, 300000, 1100000, 3500000, 5300000 };
static const char *const dirs[3] = { "a", "b", "c" };

static const char *file_name(int i) {
    static char buf[4][32];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 32, "%s/f%02d", dirs[i % 3], i);
    return b;
}

static void phase_create(void) {
    check_begin("diskload: files of 0 B to 5 MiB written at random offsets, then sized");
    for (int d = 0; d < 3; d++)
        make_dir(dirs[d]);
    for (int i = 0; i < NFILES; i++) {
        const char *rel = file_name(i);
        size_t s = sizes[i];
        int fd = open_file(rel, O_RDWR | O_CREAT | O_EXCL);
        struct entry *e = m_add(rel, T_FILE);
        e->ino = m_new_inode();
        if (fd < 0)
            continue;
        int writes = s ? 1 + (int)below(5) : 0;
        for (int w = 0; w < writes; w++) {
            size_t off = below(s);
            size_t len = 1 + below(min_u(s - off, s / 2 + 1));
            uint64_t seed = rnd();
            gen_write(fd, e->ino, off, len, seed, w % 2 == 0);
        }
        CHECK_EQ(ftruncate(fd, (off_t)s), 0);
        m_resize(e->ino, s);
        verify_fd(fd, e->ino, rel);
        close(fd);
    }
    check_end();
}

static void phase_sync(void) {
    check_begin("diskload: fsync, fdatasync (files and a directory)");
    for (int i = 9; i <= 10; i++) {
        const char *rel = file_name(i);
        struct entry *e = m_find(rel);
        int fd = open_file(rel, O_RDWR);
        if (fd < 0)
            continue;
        size_t s = e->ino->size;
        size_t off = below(s);
        size_t len = 1 + below(min_u(s - off, 4096));
        uint64_t seed = rnd();
        gen_write(fd, e->ino, off, len, seed, 1);
        CHECK_EQ(i == 9 ? fsync(fd) : fdatasync(fd), 0);
        verify_fd(fd, e->ino, rel);
        close(fd);
    }
    int dfd = open(top, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    CHECK_EQ(fsync(dfd), 0);
    close(dfd);
    check_end();
}

static void phase_truncate(void) {
    check_begin("diskload: truncate down and up (holes), O_TRUNC, writes into holes");
    static const int which[4] = { 7, 8, 10, 11 };
    for (int k = 0; k < 4; k++) {
        const char *rel = file_name(which[k]);
        struct entry *e = m_find(rel);
        int fd = open_file(rel, O_RDWR);
        if (fd < 0)
            continue;
        size_t cur = e->ino->size;
        size_t down = below(cur);
        CHECK_EQ(ftruncate(fd, (off_t)down), 0);
        m_resize(e->ino, down);
        verify_fd(fd, e->ino, rel);
        size_t up = down + 1 + below(cur);
        CHECK_EQ(ftruncate(fd, (off_t)up), 0);
        m_resize(e->ino, up);
        size_t off = down + below(up - down);
        size_t len = 1 + below(min_u(up - off, 5000));
        uint64_t seed = rnd();
        gen_write(fd, e->ino, off, len, seed, 1);
        verify_fd(fd, e->ino, rel);
        close(fd);
    }
    /* f04: to nothing, then a 200000-byte hole with 10 bytes in it. */
    {
        const char *rel = file_name(4);
        struct entry *e = m_find(rel);
        int fd = open_file(rel, O_RDWR);
        if (fd >= 0) {
            CHECK_EQ(ftruncate(fd, 0), 0);
            m_resize(e->ino, 0);
            CHECK_EQ(ftruncate(fd, 200000), 0);
            m_resize(e->ino, 200000);
            gen_write(fd, e->ino, 150000, 10, rnd(), 1);
            verify_fd(fd, e->ino, rel);
            close(fd);
        }
    }
    /* f03: O_TRUNC, then 500 bytes. */
    {
        const char *rel = file_name(3);
        struct entry *e = m_find(rel);
        int fd = open_file(rel, O_RDWR | O_TRUNC);
        if (fd >= 0) {
            m_resize(e->ino, 0);
            gen_write(fd, e->ino, 0, 500, rnd(), 0);
            verify_fd(fd, e->ino, rel);
            close(fd);
        }
    }
    check_end();
}

static void rename_checked(const char *from, const char *to) {
    CHECK_EQ(rename(full(from), full(to)), 0);
    m_rename(from, to);
    gone(from);
}

static void phase_rename(void) {
    check_begin("diskload: rename files and a directory with contents across directories");
    make_dir("a/deep");
    make_dir("a/deep/er");
    {
        struct entry *e = m_add("a/deep/er/inner", T_FILE);
        e->ino = m_new_inode();
        int fd = open_file(e->path, O_RDWR | O_CREAT | O_EXCL);
        if (fd >= 0) {
            gen_write(fd, e->ino, 0, 5000, rnd(), 1);
            close(fd);
        }
        e = m_add("a/deep/top", T_FILE);
        e->ino = m_new_inode();
        fd = open_file(e->path, O_RDWR | O_CREAT | O_EXCL);
        if (fd >= 0)
            close(fd);
    }
    rename_checked("a/deep", "c/deep2");
    gone("a/deep/er/inner");
    verify_path("c/deep2/er/inner");
    verify_path("c/deep2/top");
    CHECK_ERR(rename(full("c/deep2"), full("c/deep2/er/x")), EINVAL);
    rename_checked("a/f00", "b/moved00");
    rename_checked("b/f01", "c/f02"); /* replaces f02 */
    rename_checked("c/f05", "c/f05r");
    rename_checked("b/f07", "a/f07");
    verify_path("b/moved00");
    verify_path("c/f02");
    verify_path("c/f05r");
    verify_path("a/f07");
    check_end();
}

static void phase_links(void) {
    check_begin("diskload: hard links, one name removed, writes seen through the other");
    CHECK_EQ(link(full("c/f08"), full("a/h08")), 0);
    {
        struct entry *src = m_find("c/f08");
        struct entry *e = m_add("a/h08", T_FILE);
        e->ino = src->ino;
        e->ino->nlink++;
    }
    CHECK_EQ(link(full("a/f06"), full("c/h06")), 0);
    {
        struct entry *src = m_find("a/f06");
        struct entry *e = m_add("c/h06", T_FILE);
        e->ino = src->ino;
        e->ino->nlink++;
    }
    CHECK_EQ(unlink(full("a/f06")), 0);
    m_remove("a/f06");
    gone("a/f06");
    {
        struct entry *e = m_find("a/h08");
        int fd = open_file("a/h08", O_RDWR);
        if (fd >= 0) {
            size_t s = e->ino->size;
            size_t off = below(s);
            size_t len = 1 + below(min_u(s - off, 20000));
            gen_write(fd, e->ino, off, len, rnd(), 1);
            close(fd);
        }
    }
    verify_path("c/f08");
    verify_path("a/h08");
    verify_path("c/h06");
    struct stat a, b;
    CHECK_EQ(stat(full("c/f08"), &a), 0);
    CHECK_EQ(stat(full("a/h08"), &b), 0);
    CHECK(a.st_ino == b.st_ino);
    check_end();
}

static void phase_unlink_open(void) {
    check_begin("diskload: files unlinked while open are still written and read");
    {
        struct entry *e = m_find("b/f10");
        struct inode_m *ino = e->ino;
        ino->nlink++; /* ours: kept past the model's unlink */
        int fd = open_file("b/f10", O_RDWR);
        CHECK_EQ(unlink(full("b/f10")), 0);
        m_remove("b/f10");
        gone("b/f10");
        if (fd >= 0) {
            struct stat st;
            CHECK_EQ(fstat(fd, &st), 0);
            CHECK_EQ(st.st_nlink, 0);
            for (int k = 0; k < 3; k++) {
                size_t off = below(ino->size + 100000);
                size_t len = 1 + below(50000);
                gen_write(fd, ino, off, len, rnd(), k % 2);
            }
            verify_fd(fd, ino, "b/f10 (unlinked)");
            close(fd);
        }
        m_drop(ino);
    }
    {
        struct inode_m *ino = m_new_inode();
        int fd = open_file("a/tmpfile", O_RDWR | O_CREAT | O_EXCL);
        if (fd >= 0) {
            gen_write(fd, ino, 0, 300000, rnd(), 1);
            CHECK_EQ(unlink(full("a/tmpfile")), 0);
            gone("a/tmpfile");
            CHECK_EQ(ftruncate(fd, 1000), 0);
            m_resize(ino, 1000);
            gen_write(fd, ino, 2000, 3000, rnd(), 0);
            verify_fd(fd, ino, "a/tmpfile (unlinked)");
            close(fd);
        }
        m_drop(ino);
    }
    check_end();
}

static void phase_dirs(void) {
    check_begin("diskload: mkdir, rmdir (refused while not empty), errors");
    make_dir("tmpdir");
    int fd = open_file("tmpdir/x", O_RDWR | O_CREAT | O_EXCL);
    if (fd >= 0)
        close(fd);
    CHECK_ERR(rmdir(full("tmpdir")), ENOTEMPTY);
    CHECK_EQ(unlink(full("tmpdir/x")), 0);
    CHECK_EQ(rmdir(full("tmpdir")), 0);
    m_remove("tmpdir");
    gone("tmpdir");
    make_dir("keep");
    make_dir("keep/empty");
    CHECK_ERR(mkdir(full("keep"), 0755), EEXIST);
    CHECK_ERR(rmdir(full("c/f02")), ENOTDIR);
    CHECK_ERR(unlink(full("keep")), EISDIR);
    check_end();
}

static void add_symlink(const char *target, const char *rel) {
    CHECK_EQ(symlink(target, full(rel)), 0);
    struct entry *e = m_add(rel, T_LINK);
    snprintf(e->target, sizeof e->target, "%s", target);
}

static void phase_symlinks(void) {
    check_begin("diskload: symlinks (fast and slow), followed and read");
    add_symlink("../a/f03", "c/s03");
    char longer[121];
    for (int i = 0; i < 120; i++)
        longer[i] = (char)('a' + below(26));
    longer[120] = 0;
    longer[10] = '/';
    add_symlink(longer, "b/long");
    add_symlink("deep2", "c/sdir");
    {
        int fd = open_file("c/s03", O_RDONLY);
        if (fd >= 0) {
            verify_fd(fd, m_find("a/f03")->ino, "c/s03");
            close(fd);
        }
        fd = open_file("c/sdir/er/inner", O_RDONLY);
        if (fd >= 0) {
            verify_fd(fd, m_find("c/deep2/er/inner")->ino, "c/sdir/er/inner");
            close(fd);
        }
    }
    struct stat st;
    CHECK_ERR(stat(full("b/long"), &st), ENOENT);
    check_end();
}

static void phase_many(void) {
    check_begin("diskload: a directory of many names, every third removed");
    make_dir("many");
    for (int i = 0; i < 150; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "many/name-%03d", i);
        struct entry *e = m_add(rel, T_FILE);
        e->ino = m_new_inode();
        int fd = open_file(rel, O_RDWR | O_CREAT | O_EXCL);
        if (fd >= 0) {
            size_t len = below(300);
            gen_write(fd, e->ino, 0, len, rnd(), 1);
            close(fd);
        }
    }
    for (int i = 0; i < 150; i += 3) {
        char rel[64];
        snprintf(rel, sizeof rel, "many/name-%03d", i);
        CHECK_EQ(unlink(full(rel)), 0);
        m_remove(rel);
        gone(rel);
    }
    check_end();
}

static void check_dir_listing(const struct entry *d) {
    const char *rel = d ? d->path : "";
    size_t n = strlen(rel);
    int expected = 0, found = 0, subdirs = 0;
    for (int i = 0; i < entry_count; i++) {
        const char *p = entries[i].path;
        const char *rest = n ? (strncmp(p, rel, n) == 0 && p[n] == '/' ? p + n + 1 : NULL) : p;
        if (rest && !strchr(rest, '/')) {
            expected++;
            subdirs += entries[i].type == T_DIR;
        }
    }
    DIR *dir = opendir(n ? full(rel) : top);
    CHECK(dir != NULL);
    if (!dir)
        return;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char path[512];
        int len = snprintf(path, sizeof path, "%s%s%s", rel, n ? "/" : "", de->d_name);
        if (len < 0 || len >= (int)sizeof path)
            exit(2);
        if (!m_find(path)) {
            printf("  unexpected name %s\n", path);
            check_failures++;
            check_group_fails++;
        }
        found++;
    }
    closedir(dir);
    CHECK_EQ(found, expected);
    struct stat st;
    CHECK_EQ(stat(n ? full(rel) : top, &st), 0);
    CHECK_EQ(st.st_nlink, 2 + subdirs);
}

static void phase_final(void) {
    check_begin("diskload: the whole tree, every byte, names, links and counts");
    for (int i = 0; i < entry_count; i++) {
        struct entry *e = &entries[i];
        if (e->type == T_FILE) {
            verify_path(e->path);
        } else if (e->type == T_LINK) {
            char buf[256];
            ssize_t n = readlink(full(e->path), buf, sizeof buf);
            CHECK_EQ(n, (long)strlen(e->target));
            CHECK(n >= 0 && memcmp(buf, e->target, (size_t)n) == 0);
        } else {
            check_dir_listing(e);
        }
    }
    check_dir_listing(NULL);
    check_end();
}

static int workload(const char *dir) {
    snprintf(top, sizeof top, "%s", dir);
    scratch = malloc(SCRATCH);
    CHECK_EQ(mkdir(top, 0755), 0);
    phase_create();
    phase_sync();
    phase_truncate();
    phase_rename();
    phase_links();
    phase_unlink_open();
    phase_dirs();
    phase_symlinks();
    phase_many();
    phase_final();
    sync();
    check_exit();
    return 0;
}

/* ------------------------------------------------------------ --fill */

#define FIRST_SIZE 100000
#define FIRST_SEED 0x1234567ull
#define SECOND_SEED 0x7654321ull
#define FILLER_SEED 0xabcdefull
#define CHUNK 65536

static void write_new(const char *path, size_t size, uint64_t seed, struct inode_m *ino) {
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    gen_write(fd, ino, 0, size, seed, 1);
    CHECK_EQ(fsync(fd), 0);
    verify_fd(fd, ino, path);
    close(fd);
}

static int fill_mode(const char *dir) {
    scratch = malloc(SCRATCH);
    char first[300], filler[300], second[300];
    snprintf(first, sizeof first, "%s/first", dir);
    snprintf(filler, sizeof filler, "%s/filler", dir);
    snprintf(second, sizeof second, "%s/second", dir);
    check_begin("diskload --fill: a file written and fsynced");
    CHECK_EQ(mkdir(dir, 0755), 0);
    struct inode_m *one = m_new_inode();
    write_new(first, FIRST_SIZE, FIRST_SEED, one);
    check_end();

    check_begin("diskload --fill: writes until ENOSPC; a short write is reported as such");
    struct inode_m *fill_ino = m_new_inode();
    int fd = open(filler, O_RDWR | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    unsigned char *chunk = malloc(CHUNK);
    size_t total = 0;
    int short_writes = 0, enospc = 0, rounds = 0;
    while (fd >= 0 && rounds++ < 100000) {
        fill(chunk, CHUNK, FILLER_SEED + total);
        ssize_t n = write(fd, chunk, CHUNK);
        if (n < 0) {
            int write_errno = errno;
            CHECK_EQ(write_errno, ENOSPC);
            enospc = 1;
            break;
        }
        CHECK(n > 0);
        if (n <= 0)
            break;
        m_write(fill_ino, total, chunk, (size_t)n);
        total += (size_t)n;
        if (n < CHUNK) {
            short_writes++;
            /* The next write has no room at all. */
            ssize_t again = write(fd, chunk, CHUNK);
            int again_errno = errno;
            CHECK_EQ(again, -1);
            CHECK_EQ(again_errno, ENOSPC);
            enospc = again < 0 && again_errno == ENOSPC;
            break;
        }
    }
    CHECK(enospc);
    CHECK(total > 0);
    printf("diskload --fill: %zu bytes written before ENOSPC (%d short write)\n", total, short_writes);
    if (fd >= 0) {
        struct stat st;
        CHECK_EQ(fstat(fd, &st), 0);
        CHECK_EQ(st.st_size, (long)total);
        verify_fd(fd, fill_ino, "filler");
        CHECK_EQ(fsync(fd), 0);
        close(fd);
    }
    check_end();

    check_begin("diskload --fill: the first file intact; space back after deleting the filler");
    fd = open(first, O_RDONLY);
    CHECK(fd >= 0);
    if (fd >= 0) {
        verify_fd(fd, one, "first");
        close(fd);
    }
    CHECK_EQ(unlink(filler), 0);
    struct inode_m *two = m_new_inode();
    write_new(second, FIRST_SIZE, SECOND_SEED, two);
    check_end();
    sync();
    check_exit();
    return 0;
}

/* ------------------------------------------------------------ --read */

static int read_entries, read_errors;

static void read_error(const char *path, const char *op) {
    int e = errno;
    printf("diskload --read: %s: %s: %s (errno %d)\n", path, op, strerror(e), e);
    read_errors++;
}

static void read_tree(const char *path, int depth) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        read_error(path, "lstat");
        return;
    }
    read_entries++;
    if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        if (readlink(path, buf, sizeof buf) < 0)
            read_error(path, "readlink");
    } else if (S_ISREG(st.st_mode)) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            read_error(path, "open");
            return;
        }
        size_t total = 0;
        for (;;) {
            ssize_t n = read(fd, scratch, SCRATCH);
            if (n < 0) {
                read_error(path, "read");
                break;
            }
            total += (size_t)n;
            if (n == 0 || total >= (64u << 20))
                break;
        }
        close(fd);
    } else if (S_ISDIR(st.st_mode)) {
        if (depth > 32)
            return;
        DIR *dir = opendir(path);
        if (!dir) {
            read_error(path, "opendir");
            return;
        }
        char (*names)[256] = malloc(256 * 256);
        int count = 0;
        struct dirent *de;
        errno = 0;
        while ((de = readdir(dir)) && count < 256) {
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "lost+found"))
                snprintf(names[count++], 256, "%s", de->d_name);
            errno = 0;
        }
        if (errno)
            read_error(path, "readdir");
        closedir(dir);
        for (int i = 0; i < count; i++) {
            char child[1024];
            snprintf(child, sizeof child, "%s/%s", path, names[i]);
            read_tree(child, depth + 1);
        }
        free(names);
    }
}

static int read_mode(const char *dir) {
    scratch = malloc(SCRATCH);
    read_tree(dir, 0);
    printf("diskload --read: %d entries, %d errors\n", read_entries, read_errors);
    return read_errors ? 4 : 0;
}

/* ------------------------------------------------------------ --churn */

static int churn_mode(const char *dir) {
    mkdir(dir, 0755);
    unsigned char *buf = malloc(CHUNK);
    for (unsigned round = 0;; round++) {
        char a[300], b[300];
        snprintf(a, sizeof a, "%s/c%u", dir, round % 8);
        snprintf(b, sizeof b, "%s/r%u", dir, round % 8);
        int fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            printf("diskload --churn: open %s: %s\n", a, strerror(errno));
            return 1;
        }
        for (int k = 0; k < 8; k++) {
            fill(buf, CHUNK, round * 8 + (unsigned)k);
            if (write(fd, buf, CHUNK) != CHUNK) {
                printf("diskload --churn: write: %s\n", strerror(errno));
                return 1;
            }
        }
        if (round % 2)
            fsync(fd);
        close(fd);
        rename(a, b);
        if (round % 3 == 0) {
            snprintf(b, sizeof b, "%s/r%u", dir, (round + 4) % 8);
            unlink(b);
        }
        printf("diskload --churn: round %u\n", round);
        fflush(stdout);
    }
}

/* ------------------------------------------------------------ --unsynced */

#define UNSYNCED_SIZE (3 * 1024 * 1024 + 1000)
#define UNSYNCED_SEED 0xabcdef

static int unsynced_mode(const char *dir) {
    if (mkdir(dir, 0755) != 0) {
        printf("diskload --unsynced: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    unsigned char *data = malloc(UNSYNCED_SIZE);
    fill(data, UNSYNCED_SIZE, UNSYNCED_SEED);
    static const char *const names[2] = { "written", "moved.tmp" };
    for (int i = 0; i < 2; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            printf("diskload --unsynced: open %s: %s\n", path, strerror(errno));
            return 1;
        }
        /* sshd's and cp's size of write */
        for (size_t off = 0; off < UNSYNCED_SIZE; off += 32768) {
            size_t len = min_u(32768, UNSYNCED_SIZE - off);
            if (write(fd, data + off, len) != (ssize_t)len) {
                printf("diskload --unsynced: write: %s\n", strerror(errno));
                return 1;
            }
        }
        close(fd);
    }
    char from[300], to[300];
    snprintf(from, sizeof from, "%s/moved.tmp", dir);
    snprintf(to, sizeof to, "%s/moved", dir);
    if (rename(from, to) != 0) {
        printf("diskload --unsynced: rename: %s\n", strerror(errno));
        return 1;
    }
    printf("diskload --unsynced: written, not synced\n");
    sleep(15);
    printf("diskload --unsynced: waited\n");
    for (;;)
        pause();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && argv[1][0] != '-')
        return workload(argv[1]);
    if (argc == 3 && !strcmp(argv[1], "--fill"))
        return fill_mode(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--read"))
        return read_mode(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--churn"))
        return churn_mode(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--unsynced"))
        return unsynced_mode(argv[2]);
    printf("usage: diskload DIR | --fill DIR | --read DIR | --churn DIR | --unsynced DIR\n");
    return 2;
}
