/* memory: brk / mmap / munmap / mprotect / madvise semantics as on Linux.
 *
 * No test here relies on a fault being delivered as a signal (Akuma cannot
 * run signal handlers yet): a range is shown to be free by mapping it again
 * with MAP_FIXED_NOREPLACE, and to be mapped by MAP_FIXED_NOREPLACE failing
 * with EEXIST.
 *
 * Linux facts checked here:
 *   - brk(0) and any failing brk return the current break (never -1).
 *   - shrinking the break then growing it again gives zeroed whole pages.
 *   - mmap rounds the length up to whole pages; munmap with an unaligned
 *     address or a zero length is EINVAL; mprotect over a hole is ENOMEM.
 *   - a file mapping reads zeros past EOF up to the end of the last page.
 *   - Linux allows PROT_WRITE|PROT_EXEC (and runs code written there), and
 *     so does Akuma by default; under its boot argument user_wx=deny it
 *     refuses both with EACCES (run with --wx-denied to check that).
 *   - a process has at most vm.max_map_count VMAs (65530 by default): a
 *     split beyond it fails with ENOMEM and leaves the pages as they were.
 */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PAGE 4096UL

static uintptr_t page_up(uintptr_t x) { return (x + PAGE - 1) & ~(PAGE - 1); }

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

static int all_byte(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

static unsigned char *map_anon(void *hint, size_t len, int prot, int extra) {
    return mmap(hint, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
}

#define RW (PROT_READ | PROT_WRITE)

/* True if [p, p+len) is unmapped: claim it without replacing anything. */
static int range_free(void *p, size_t len) {
    void *q = mmap(p, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (q == MAP_FAILED) return 0;
    munmap(q, len);
    return q == p;
}

static void test_brk(void) {
    check_begin("brk");
    /* Raw syscall: the glibc wrapper hides the kernel's return value. */
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    CHECK(cur != 0);
    CHECK_EQ(syscall(SYS_brk, 0), cur);

    /* Grow by a non-page amount; every byte up to the new break is usable. */
    size_t grow = 3 * PAGE + 123;
    uintptr_t want = cur + grow;
    CHECK_EQ(syscall(SYS_brk, want), want);
    CHECK_EQ(syscall(SYS_brk, 0), want);
    if ((uintptr_t)syscall(SYS_brk, 0) == want) {
        memset((void *)cur, 0x5a, grow);
        CHECK(all_byte((unsigned char *)cur, grow, 0x5a));

        /* Shrink then regrow: whole pages above the old break are fresh. */
        CHECK_EQ(syscall(SYS_brk, cur), cur);
        CHECK_EQ(syscall(SYS_brk, want), want);
        uintptr_t first = page_up(cur);
        CHECK(all_zero((unsigned char *)first, want - first));
    }

    /* Failure returns the unchanged break, not an error code. */
    uintptr_t now = (uintptr_t)syscall(SYS_brk, 0);
    CHECK_EQ(syscall(SYS_brk, now + (1UL << 46)), now);
    CHECK_EQ(syscall(SYS_brk, 0), now);
    /* Below the start of the heap is refused the same way. */
    CHECK_EQ(syscall(SYS_brk, 0x1000), now);
    CHECK_EQ(syscall(SYS_brk, cur), cur); /* give it back */
    check_end();
}

static void test_anon(void) {
    check_begin("mmap anonymous: zeroed, aligned, length rounded");
    unsigned char *p = map_anon(NULL, 5000, RW, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        CHECK(((uintptr_t)p & (PAGE - 1)) == 0);
        CHECK(all_zero(p, 2 * PAGE)); /* 5000 rounds up to two pages */
        p[2 * PAGE - 1] = 1;
        /* The second page is part of the mapping. */
        CHECK(map_anon(p + PAGE, PAGE, RW, MAP_FIXED_NOREPLACE) == MAP_FAILED && errno == EEXIST);
        CHECK_EQ(munmap(p, 5000), 0); /* munmap rounds the length too */
        CHECK(range_free(p, 2 * PAGE));
    }
    CHECK(map_anon(NULL, 0, RW, 0) == MAP_FAILED && errno == EINVAL);
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 12345, 0) == MAP_FAILED && errno == EBADF);
    check_end();
}

static void test_fixed(void) {
    check_begin("mmap MAP_FIXED replaces, MAP_FIXED_NOREPLACE -> EEXIST");
    unsigned char *p = map_anon(NULL, 2 * PAGE, RW, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        memset(p, 0xaa, 2 * PAGE);
        CHECK(map_anon(p, PAGE, RW, MAP_FIXED) == p);
        CHECK(all_zero(p, PAGE));                   /* old contents gone */
        CHECK(all_byte(p + PAGE, PAGE, 0xaa));      /* neighbour untouched */
        errno = 0;
        CHECK(map_anon(p + PAGE, PAGE, RW, MAP_FIXED_NOREPLACE) == MAP_FAILED);
        CHECK(errno == EEXIST);
        CHECK(all_byte(p + PAGE, PAGE, 0xaa));
        munmap(p, 2 * PAGE);
    }
    check_end();

    check_begin("mmap hint at a free address is honoured");
    unsigned char *r = map_anon(NULL, 4 * PAGE, RW, 0);
    CHECK(r != MAP_FAILED);
    if (r != MAP_FAILED) {
        munmap(r, 4 * PAGE);
        unsigned char *h = map_anon(r + PAGE, PAGE, RW, 0);
        CHECK(h == r + PAGE);
        if (h != MAP_FAILED) munmap(h, PAGE);
    }
    check_end();
}

static void test_munmap(void) {
    check_begin("munmap middle page splits the mapping");
    unsigned char *p = map_anon(NULL, 3 * PAGE, RW, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        memset(p, 0x11, 3 * PAGE);
        CHECK_EQ(munmap(p + PAGE, PAGE), 0);
        CHECK(all_byte(p, PAGE, 0x11));
        CHECK(all_byte(p + 2 * PAGE, PAGE, 0x11));
        p[0] = 0x22;
        p[2 * PAGE] = 0x33;
        /* The hole is free: it can be claimed without replacing anything. */
        unsigned char *h = map_anon(p + PAGE, PAGE, RW, MAP_FIXED_NOREPLACE);
        CHECK(h == p + PAGE);
        if (h == p + PAGE) CHECK(all_zero(h, PAGE));
        CHECK(p[0] == 0x22 && p[2 * PAGE] == 0x33);
        munmap(p, 3 * PAGE);
    }
    check_end();

    check_begin("munmap EINVAL (unaligned address, zero length)");
    unsigned char *q = map_anon(NULL, PAGE, RW, 0);
    CHECK_ERR(munmap(q + 1, PAGE), EINVAL);
    CHECK_ERR(munmap(q, 0), EINVAL);
    CHECK_EQ(munmap(q, PAGE), 0);
    /* Unmapping an already-free range is not an error. */
    CHECK_EQ(munmap(q, PAGE), 0);
    check_end();
}

static void test_mprotect(void) {
    check_begin("mprotect RO then RW keeps contents");
    unsigned char *p = map_anon(NULL, 2 * PAGE, RW, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        memset(p, 0x77, 2 * PAGE);
        CHECK_EQ(mprotect(p, PAGE, PROT_READ), 0);
        CHECK(all_byte(p, 2 * PAGE, 0x77));
        CHECK_EQ(mprotect(p, PAGE, RW), 0);
        p[0] = 0x78;
        CHECK(p[0] == 0x78 && all_byte(p + 1, 2 * PAGE - 1, 0x77));
        CHECK_ERR(mprotect(p + 1, PAGE, PROT_READ), EINVAL);
        munmap(p, 2 * PAGE);
    }
    check_end();

    check_begin("mprotect over a hole -> ENOMEM");
    unsigned char *q = map_anon(NULL, 3 * PAGE, RW, 0);
    CHECK(q != MAP_FAILED);
    if (q != MAP_FAILED) {
        munmap(q + PAGE, PAGE);
        CHECK_ERR(mprotect(q, 3 * PAGE, RW), ENOMEM);
        CHECK_ERR(mprotect(q + PAGE, PAGE, RW), ENOMEM);
        munmap(q, 3 * PAGE);
    }
    check_end();
}

static void test_madvise(void) {
    check_begin("madvise(MADV_DONTNEED) zeroes anonymous memory");
    unsigned char *p = map_anon(NULL, 4 * PAGE, RW, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        memset(p, 0xcc, 4 * PAGE);
        CHECK_EQ(madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED), 0);
        CHECK(all_byte(p, PAGE, 0xcc));
        CHECK(all_zero(p + PAGE, 2 * PAGE));
        CHECK(all_byte(p + 3 * PAGE, PAGE, 0xcc));
        munmap(p, 4 * PAGE);
    }
    check_end();
}

static void test_file_map(void) {
    check_begin("mmap of a file (MAP_PRIVATE, zeros past EOF)");
    const char *path = "/tmp/memory_test_file";
    char content[100];
    for (size_t i = 0; i < sizeof content; i++) content[i] = (char)('A' + i % 26);
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, content, sizeof content), sizeof content);
    unsigned char *p = mmap(NULL, sizeof content, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        CHECK(memcmp(p, content, sizeof content) == 0);
        CHECK(all_zero(p + sizeof content, PAGE - sizeof content));
        munmap(p, sizeof content);
    }
    /* A private writable mapping is copy-on-write: the file is unchanged. */
    unsigned char *w = mmap(NULL, PAGE, RW, MAP_PRIVATE, fd, 0);
    CHECK(w != MAP_FAILED);
    if (w != MAP_FAILED) {
        w[0] = 'z';
        char c = 0;
        CHECK_EQ(pread(fd, &c, 1, 0), 1);
        CHECK(c == 'A');
        munmap(w, PAGE);
    }
    close(fd);
    unlink(path);
    check_end();
}

/* MAP_SHARED file mappings: Linux lets a shared mapping be writable only
 * through a descriptor open for writing (EACCES otherwise, at mmap and at
 * mprotect). Through an O_RDWR descriptor it maps the file's own pages, so
 * writes reach the file (Akuma too, since the page cache: issue 17). */
static void test_file_map_shared(void) {
    check_begin("mmap MAP_SHARED of a file: writable only through a writable descriptor, writes reach the file");
    const char *path = "/tmp/memory_test_shared";
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "abcdefgh", 8), 8);
    close(fd);

    int ro = open(path, O_RDONLY);
    CHECK(ro >= 0);
    unsigned char *r = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
    CHECK(r != MAP_FAILED);
    if (r != MAP_FAILED) {
        CHECK(memcmp(r, "abcdefgh", 8) == 0);
        CHECK_ERR(mprotect(r, PAGE, PROT_READ | PROT_WRITE), EACCES);
        CHECK(memcmp(r, "abcdefgh", 8) == 0); /* still mapped, still readable */
        munmap(r, PAGE);
    }
    errno = 0;
    CHECK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED && errno == EACCES);
    /* A private writable mapping of the same read-only descriptor is fine. */
    unsigned char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    CHECK(priv != MAP_FAILED);
    if (priv != MAP_FAILED) munmap(priv, PAGE);
    close(ro);

    int rw = open(path, O_RDWR);
    CHECK(rw >= 0);
    errno = 0;
    unsigned char *w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
    CHECK(w != MAP_FAILED);
    if (w != MAP_FAILED) {
        w[0] = 'Z';
        CHECK_EQ(msync(w, PAGE, MS_SYNC), 0);
        char c = 0;
        CHECK_EQ(pread(rw, &c, 1, 0), 1);
        CHECK(c == 'Z'); /* Linux: the write reached the file */
        munmap(w, PAGE);
    }
    /* Mapped read-only through the writable descriptor: mprotect may add
     * PROT_WRITE only where the kernel can honour it. */
    unsigned char *later = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, rw, 0);
    CHECK(later != MAP_FAILED);
    if (later != MAP_FAILED) {
        errno = 0;
        CHECK_EQ(mprotect(later, PAGE, PROT_READ | PROT_WRITE), 0);
        if (mprotect(later, PAGE, PROT_READ | PROT_WRITE) == 0) {
            later[1] = 'Y';
            char c = 0;
            CHECK_EQ(msync(later, PAGE, MS_SYNC), 0);
            CHECK_EQ(pread(rw, &c, 1, 1), 1);
            CHECK(c == 'Y');
        } else {
            int refused = errno;
            CHECK_EQ(refused, EACCES);
        }
        munmap(later, PAGE);
    }
    close(rw);
    unlink(path);
    /* msync's argument checks. */
    unsigned char *a = map_anon(NULL, 2 * PAGE, PROT_READ, 0);
    CHECK(a != MAP_FAILED);
    CHECK_EQ(msync(a, 2 * PAGE, MS_SYNC), 0);
    CHECK_ERR(msync(a + 1, PAGE, MS_SYNC), EINVAL);
    CHECK_ERR(msync(a, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
    CHECK_ERR(msync(a, PAGE, 0x100), EINVAL);
    munmap(a + PAGE, PAGE);
    CHECK_ERR(msync(a, 2 * PAGE, MS_ASYNC), ENOMEM);
    munmap(a, PAGE);
    check_end();
}

static void test_large(void) {
    check_begin("64 MiB mapping touched sparsely");
    size_t len = 64UL << 20;
    unsigned char *p = map_anon(NULL, len, RW, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        /* Demand paging: only the touched pages need backing. */
        for (size_t off = 0; off < len; off += 1UL << 20) p[off + 7] = (unsigned char)(off >> 20);
        p[len - 1] = 0xee;
        int ok = 1;
        for (size_t off = 0; off < len; off += 1UL << 20)
            if (p[off + 7] != (unsigned char)(off >> 20) || p[off] != 0) ok = 0;
        CHECK(ok);
        CHECK(p[len - 1] == 0xee);
        CHECK_EQ(munmap(p, len), 0);
    }
    check_end();
}

/* vm.max_map_count, or Linux's default where there is no /proc (Akuma). */
static long max_map_count(void) {
    long value = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &value) != 1) value = 65530;
        fclose(f);
    }
    return value;
}

/* True if the kernel can read the byte at p (write() from it to a pipe). */
static int readable(int pipe_write, int pipe_read, const void *p) {
    if (write(pipe_write, p, 1) != 1) return 0;
    char c;
    return read(pipe_read, &c, 1) == 1;
}

/* Issue 16: every other page of one mapping mprotected makes a VMA per page
 * (this took 53 s for 16,384 VMAs when they were a sorted vector). Untouched
 * PROT_NONE and PROT_READ pages cost no memory. */
static void test_many_vmas(void) {
    long limit = max_map_count();
    /* Room for more VMAs than the limit allows. */
    size_t pages = 2 * (size_t)limit + 64;
    size_t len = pages * PAGE;
    int pipe_fds[2] = {-1, -1};

    check_begin("mprotect of every other page: 17,000 VMAs");
    CHECK_EQ(pipe(pipe_fds), 0);
    unsigned char *p = map_anon(NULL, len, PROT_NONE, MAP_NORESERVE);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED) {
        check_end();
        return;
    }
    size_t calls = 0; /* page 2i+1 is PROT_READ for every i < calls */
    int failed = 0;
    for (; calls < 8500; calls++)
        if (mprotect(p + (2 * calls + 1) * PAGE, PAGE, PROT_READ) != 0) failed++;
    CHECK_EQ(failed, 0);
    CHECK(readable(pipe_fds[1], pipe_fds[0], p + PAGE));
    CHECK(readable(pipe_fds[1], pipe_fds[0], p + (2 * calls - 1) * PAGE));
    CHECK(!readable(pipe_fds[1], pipe_fds[0], p + (2 * calls) * PAGE));
    check_end();

    check_begin("more VMAs than vm.max_map_count -> ENOMEM");
    int error = 0;
    for (; 2 * calls + 2 < pages; calls++) {
        errno = 0;
        if (mprotect(p + (2 * calls + 1) * PAGE, PAGE, PROT_READ) != 0) {
            error = errno;
            break;
        }
    }
    CHECK_EQ(error, ENOMEM);
    /* This mapping alone is 2 * calls + 1 VMAs; the program's own (image,
     * heap, stack, ...) are a few more. Linux may leave one split done. */
    long vmas = 2 * (long)calls + 1;
    printf("  vm.max_map_count %ld: ENOMEM with %ld VMAs in the mapping\n", limit, vmas);
    CHECK(vmas <= limit + 1);
    CHECK(vmas >= limit - 100);
    /* The page whose mprotect failed is still PROT_NONE, the one before it
     * is still readable. */
    CHECK(!readable(pipe_fds[1], pipe_fds[0], p + (2 * calls + 1) * PAGE));
    CHECK(readable(pipe_fds[1], pipe_fds[0], p + (2 * calls - 1) * PAGE));
    /* What needs no new VMA still works: undoing the last one merges three
     * into one, after which one more split fits again. */
    CHECK_EQ(mprotect(p + (2 * calls - 1) * PAGE, PAGE, PROT_NONE), 0);
    CHECK(!readable(pipe_fds[1], pipe_fds[0], p + (2 * calls - 1) * PAGE));
    CHECK_EQ(mprotect(p + (2 * calls - 1) * PAGE, PAGE, PROT_READ), 0);
    /* Unmapping it all returns every VMA. */
    CHECK_EQ(munmap(p, len), 0);
    unsigned char *q = map_anon(NULL, 3 * PAGE, PROT_NONE, 0);
    CHECK(q != MAP_FAILED);
    if (q != MAP_FAILED) {
        CHECK_EQ(mprotect(q + PAGE, PAGE, PROT_READ), 0);
        CHECK_EQ(munmap(q, 3 * PAGE), 0);
    }
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    check_end();
}

/* Linux maps W+X memory (JITs rely on it): the page takes code written
 * into it and runs it, and mprotect may make a writable page executable.
 * Akuma does the same unless booted with user_wx=deny, when both fail with
 * EACCES (and R+X alone is still fine). */
static void test_wx(int denied) {
    check_begin(denied ? "PROT_WRITE|PROT_EXEC refused with EACCES (user_wx=deny)"
                       : "PROT_WRITE|PROT_EXEC: mapped, written and run; mprotect to it too");
    errno = 0;
    unsigned char *p = map_anon(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, 0);
    int mapped_errno = errno;
    unsigned char *w = map_anon(NULL, PAGE, PROT_READ | PROT_WRITE, 0);
    CHECK(w != MAP_FAILED);
    if (denied) {
        CHECK(p == MAP_FAILED);
        CHECK_EQ(mapped_errno, EACCES);
        CHECK_ERR(mprotect(w, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), EACCES);
        CHECK_EQ(mprotect(w, PAGE, PROT_READ | PROT_EXEC), 0); /* one or the other is fine */
    } else {
        /* mov w0, #42; ret  and  mov w0, #7; ret */
        static const uint32_t code42[] = { 0x52800540, 0xd65f03c0 };
        static const uint32_t code7[] = { 0x528000e0, 0xd65f03c0 };
        CHECK(p != MAP_FAILED);
        if (p != MAP_FAILED) {
            memcpy(p, code42, sizeof code42);
            __builtin___clear_cache((char *)p, (char *)p + sizeof code42);
            int (*fn)(void) = (int (*)(void))(uintptr_t)p;
            CHECK_EQ(fn(), 42);
            /* Rewritten in place (a JIT patching its code). */
            memcpy(p, code7, sizeof code7);
            __builtin___clear_cache((char *)p, (char *)p + sizeof code7);
            CHECK_EQ(fn(), 7);
        }
        if (w != MAP_FAILED) {
            memcpy(w, code42, sizeof code42);
            CHECK_EQ(mprotect(w, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
            __builtin___clear_cache((char *)w, (char *)w + sizeof code42);
            int (*fn)(void) = (int (*)(void))(uintptr_t)w;
            CHECK_EQ(fn(), 42);
        }
    }
    if (p != MAP_FAILED) munmap(p, PAGE);
    if (w != MAP_FAILED) munmap(w, PAGE);
    check_end();
}

int main(int argc, char **argv) {
    int wx_denied = argc > 1 && strcmp(argv[1], "--wx-denied") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Print first so stdio's buffer (malloc, maybe via brk) exists before
     * the brk test moves the break behind glibc's back. */
    printf("memory test\n");
    test_brk();
    test_anon();
    test_fixed();
    test_munmap();
    test_mprotect();
    test_madvise();
    test_file_map();
    test_file_map_shared();
    test_large();
    test_many_vmas();
    test_wx(wx_denied);
    check_exit();
}
