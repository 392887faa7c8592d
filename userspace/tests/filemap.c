/* File mappings through the page cache: MAP_SHARED writes reach the file
 * and write(2) reaches the mapping, in this process and in others;
 * MAP_PRIVATE shares the file's pages until it writes one; a page wholly
 * past the end of the file is SIGBUS (BUS_ADRERR) until the file grows;
 * the protections a descriptor allows. Validated on Linux
 * (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "check.h"

#define DIR_ "/tmp/filemap_test"
#define PAGE 4096

static char page_a[PAGE], page_b[PAGE];

static int make_file(const char *path, size_t size, char fill) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    char buffer[PAGE];
    memset(buffer, fill, sizeof buffer);
    for (size_t done = 0; done < size;) {
        size_t step = size - done < sizeof buffer ? size - done : sizeof buffer;
        CHECK_EQ(write(fd, buffer, step), (long)step);
        done += step;
    }
    return fd;
}

static void test_shared_write_back(void) {
    check_begin("MAP_SHARED: stores reach the file, write(2) reaches the mapping, across fork");
    int fd = make_file(DIR_ "/shared", 3 * PAGE, 'a');
    char *map = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    if (map == MAP_FAILED)
        return;
    CHECK_EQ(map[PAGE + 7], 'a');
    memcpy(map + PAGE + 100, "stored", 6);
    char back[8] = { 0 };
    CHECK_EQ(pread(fd, back, 6, PAGE + 100), 6);
    CHECK(strcmp(back, "stored") == 0);
    CHECK_EQ(pwrite(fd, "written", 7, 2 * PAGE + 5), 7);
    CHECK(memcmp(map + 2 * PAGE + 5, "written", 7) == 0);
    CHECK_EQ(msync(map, 3 * PAGE, MS_SYNC), 0);

    pid_t child = fork();
    if (child == 0) {
        int at_fork = check_failures;
        memcpy(map + 10, "child", 5);
        /* A mapping of its own sees the parent's earlier store too. */
        char *own = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
        CHECK(own != MAP_FAILED && memcmp(own + PAGE + 100, "stored", 6) == 0 && memcmp(own + 10, "child", 5) == 0);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    CHECK(memcmp(map + 10, "child", 5) == 0);
    CHECK_EQ(pread(fd, back, 5, 10), 5);
    CHECK(memcmp(back, "child", 5) == 0);
    CHECK_EQ(munmap(map, 3 * PAGE), 0);
    /* What the mapping wrote stays in the file. */
    CHECK_EQ(pread(fd, back, 6, PAGE + 100), 6);
    CHECK(memcmp(back, "stored", 6) == 0);
    close(fd);
    CHECK_EQ(unlink(DIR_ "/shared"), 0);
    check_end();
}

static void test_private_copy_on_write(void) {
    check_begin("MAP_PRIVATE: the file's pages until a store copies one; stores never reach the file");
    int fd = make_file(DIR_ "/private", 2 * PAGE, 'p');
    char *map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(map != MAP_FAILED);
    if (map == MAP_FAILED)
        return;
    CHECK_EQ(map[0], 'p');
    /* Not yet written here: a change of the file shows through. */
    CHECK_EQ(pwrite(fd, "F", 1, 1), 1);
    CHECK_EQ(map[1], 'F');
    CHECK_EQ(pwrite(fd, "G", 1, PAGE + 1), 1);
    CHECK_EQ(map[PAGE + 1], 'G');
    /* A store copies the page: the file keeps its bytes, the copy its own. */
    map[2] = 'M';
    char byte = 0;
    CHECK_EQ(pread(fd, &byte, 1, 2), 1);
    CHECK_EQ(byte, 'p');
    CHECK_EQ(pwrite(fd, "H", 1, 3), 1);
    CHECK_EQ(map[3], 'p');  /* the copy no longer follows the file */
    CHECK_EQ(map[2], 'M');
    CHECK_EQ(munmap(map, 2 * PAGE), 0);
    /* A read-only private mapping of a descriptor open read-only. */
    int reader = open(DIR_ "/private", O_RDONLY);
    char *view = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, reader, 0);
    CHECK(view != MAP_FAILED && view[1] == 'F' && view[3] == 'H');
    if (view != MAP_FAILED)
        munmap(view, PAGE);
    close(reader);
    close(fd);
    CHECK_EQ(unlink(DIR_ "/private"), 0);
    check_end();
}

static sigjmp_buf g_jump;
static volatile int g_signal, g_code;
static void *volatile g_address;

static void on_fault(int signal, siginfo_t *info, void *context) {
    (void)context;
    g_signal = signal;
    g_code = info->si_code;
    g_address = info->si_addr;
    siglongjmp(g_jump, 1);
}

/* Reads the byte at p; the signal it raised (0 if none). */
static int touch(volatile char *p) {
    g_signal = 0;
    if (sigsetjmp(g_jump, 1) == 0)
        (void)*p;
    return g_signal;
}

static void test_sigbus_past_end(void) {
    check_begin("a page wholly past the end of the file is SIGBUS (BUS_ADRERR) until the file grows");
    struct sigaction action = { 0 }, old_bus, old_segv;
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &action, &old_bus);
    sigaction(SIGSEGV, &action, &old_segv);
    int fd = make_file(DIR_ "/short", PAGE + 100, 's');
    char *map = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    if (map != MAP_FAILED) {
        CHECK_EQ(touch(map + PAGE + 99), 0);
        CHECK_EQ(touch(map + PAGE + 200), 0); /* past the end, in its last page: zeros */
        CHECK_EQ(map[PAGE + 200], 0);
        CHECK_EQ(touch(map + 2 * PAGE + 1), SIGBUS);
        CHECK_EQ(g_code, BUS_ADRERR);
        CHECK(g_address == map + 2 * PAGE + 1);
        CHECK_EQ(ftruncate(fd, 3 * PAGE), 0);
        CHECK_EQ(touch(map + 2 * PAGE + 1), 0);
        CHECK_EQ(map[2 * PAGE + 1], 0);
        munmap(map, 3 * PAGE);
    }
    /* Truncating unmaps what lies past the new end, even pages already
     * touched (and private copies): touching them again is SIGBUS. */
    CHECK_EQ(ftruncate(fd, 3 * PAGE), 0);
    map = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *copy = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(map != MAP_FAILED && copy != MAP_FAILED);
    if (map != MAP_FAILED && copy != MAP_FAILED) {
        map[2 * PAGE] = 'T';
        CHECK_EQ(copy[2 * PAGE], 'T');
        copy[2 * PAGE + 1] = 'C'; /* a private copy of that page */
        CHECK_EQ(ftruncate(fd, PAGE + 10), 0);
        CHECK_EQ(touch(map + 2 * PAGE), SIGBUS);
        CHECK_EQ(touch(copy + 2 * PAGE), SIGBUS);
        CHECK_EQ(touch(map + PAGE + 9), 0);
        CHECK_EQ(map[PAGE + 10], 0); /* the rest of the last page: cleared */
        CHECK_EQ(ftruncate(fd, 3 * PAGE), 0);
        CHECK_EQ(touch(map + 2 * PAGE), 0);
        CHECK_EQ(map[2 * PAGE], 0); /* grown back: zeros, not the old bytes */
        munmap(map, 3 * PAGE);
        munmap(copy, 3 * PAGE);
    }
    /* The same for a private mapping. */
    CHECK_EQ(ftruncate(fd, 100), 0);
    map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(map != MAP_FAILED);
    if (map != MAP_FAILED) {
        CHECK_EQ(touch(map + 50), 0);
        CHECK_EQ(touch(map + PAGE), SIGBUS);
        munmap(map, 2 * PAGE);
    }
    sigaction(SIGBUS, &old_bus, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    close(fd);
    CHECK_EQ(unlink(DIR_ "/short"), 0);
    check_end();
}

static void test_protections(void) {
    check_begin("protections: a shared writable mapping needs a descriptor open for writing");
    int fd = make_file(DIR_ "/prot", PAGE, 'r');
    close(fd);
    int reader = open(DIR_ "/prot", O_RDONLY);
    CHECK_ERR((long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, reader, 0), EACCES);
    char *map = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, reader, 0);
    CHECK(map != MAP_FAILED);
    CHECK_ERR(mprotect(map, PAGE, PROT_READ | PROT_WRITE), EACCES);
    munmap(map, PAGE);
    /* Private: any protection (the copy is the process's own). */
    map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, reader, 0);
    CHECK(map != MAP_FAILED);
    if (map != MAP_FAILED) {
        map[0] = 'w';
        munmap(map, PAGE);
    }
    close(reader);
    /* O_APPEND does not matter (Linux refuses only append-only inodes, chattr +a). */
    int appender = open(DIR_ "/prot", O_RDWR | O_APPEND);
    map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, appender, 0);
    CHECK(map != MAP_FAILED);
    if (map != MAP_FAILED) {
        map[1] = 'A';
        munmap(map, PAGE);
    }
    char byte = 0;
    CHECK_EQ(pread(appender, &byte, 1, 1), 1);
    CHECK_EQ(byte, 'A');
    close(appender);
    int writer = open(DIR_ "/prot", O_WRONLY);
    CHECK_ERR((long)mmap(NULL, PAGE, PROT_READ, MAP_SHARED, writer, 0), EACCES);
    close(writer);
    CHECK_EQ(unlink(DIR_ "/prot"), 0);
    check_end();
}

static void test_program_file(void) {
    check_begin("a mapping of the running program's own file reads as read(2) does");
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0);
    char *map = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(map != MAP_FAILED);
    if (fd >= 0 && map != MAP_FAILED) {
        CHECK_EQ(pread(fd, page_a, PAGE, 0), PAGE);
        CHECK(memcmp(map, page_a, PAGE) == 0);
        CHECK(memcmp(map, "\177ELF", 4) == 0);
        memcpy(page_b, map, PAGE);
        munmap(map, PAGE);
    }
    if (fd >= 0)
        close(fd);
    check_end();
}

static void test_mremap(void) {
    check_begin("mremap: shrink, grow in place or move (pages, not copies), MREMAP_FIXED, errors");
    char *a = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED);
    memset(a, 'x', 2 * PAGE);
    /* The page after the first two is another mapping: no growing in place. */
    char *block = a + 2 * PAGE;
    CHECK_EQ(mprotect(block, PAGE, PROT_READ), 0);
    CHECK_ERR((long)mremap(a, 2 * PAGE, 4 * PAGE, 0), ENOMEM);
    char *b = mremap(a, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
    CHECK(b != MAP_FAILED && b != a);
    if (b != MAP_FAILED) {
        CHECK(b[0] == 'x' && b[2 * PAGE - 1] == 'x');
        CHECK(b[2 * PAGE] == 0 && b[4 * PAGE - 1] == 0); /* the new part: zeros */
        b[3 * PAGE] = 'n';
        /* The old range is free again. */
        char *again = mmap(a, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        CHECK(again == a);
        if (again == a)
            munmap(again, PAGE);
        /* Shrinking stays in place and frees the tail. */
        CHECK(mremap(b, 4 * PAGE, PAGE, 0) == b);
        char *tail = mmap(b + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        CHECK(tail == b + PAGE);
        if (tail == b + PAGE)
            munmap(tail, PAGE);
        /* Growing in place when the next pages are free. */
        CHECK(mremap(b, PAGE, 3 * PAGE, 0) == b);
        CHECK(b[0] == 'x' && b[PAGE] == 0);
        /* MREMAP_FIXED: to a chosen place, replacing what was there. */
        char *target = mmap(NULL, 8 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(target != MAP_FAILED);
        char *c = mremap(b, 3 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target + 4 * PAGE);
        CHECK(c == target + 4 * PAGE);
        if (c == target + 4 * PAGE) {
            CHECK(c[0] == 'x');
            c[1] = 'y'; /* still writable: the VMA moved with its protection */
            CHECK(c[1] == 'y');
        }
        CHECK_ERR((long)mremap(c, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, c + PAGE), EINVAL);
        munmap(target, 8 * PAGE);
    }
    munmap(block, PAGE);
    CHECK_ERR((long)mremap(a + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EINVAL);
    CHECK_ERR((long)mremap(a, PAGE, 2 * PAGE, MREMAP_FIXED, a + 16 * PAGE), EINVAL);
    CHECK_ERR((long)mremap(a, PAGE, 0, MREMAP_MAYMOVE), EINVAL);
    /* Not mapped at all: EFAULT. */
    CHECK_ERR((long)mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT);

    /* A shared file mapping keeps writing the file after it moves. */
    int fd = make_file(DIR_ "/remap", 2 * PAGE, 'f');
    char *map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    char *moved = mremap(map, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
    CHECK(moved != MAP_FAILED);
    if (moved != MAP_FAILED) {
        moved[PAGE + 3] = 'M';
        moved[5] = 'N';
        char back[2] = { 0 };
        CHECK_EQ(pread(fd, back, 1, PAGE + 3), 1);
        CHECK_EQ(back[0], 'M');
        CHECK_EQ(pread(fd, back, 1, 5), 1);
        CHECK_EQ(back[0], 'N');
        munmap(moved, 2 * PAGE);
    }
    close(fd);
    CHECK_EQ(unlink(DIR_ "/remap"), 0);
    check_end();
}

/* `filemap pressure`: file data survives a process that uses up memory.
 * The kernel frees what it can (clean page-cache pages) before it kills
 * the process that needs more (SIGKILL, as Linux's OOM killer). */
static int run_pressure(void) {
    check_begin("memory pressure: a process is killed for memory, file data stays intact");
    enum { files = 8, file_size = 1 << 20 };
    static unsigned char buffer[file_size];
    char path[64];
    mkdir(DIR_, 0755);
    for (int i = 0; i < files; ++i) {
        for (int j = 0; j < file_size; ++j)
            buffer[j] = (unsigned char)((i * 31 + j) % 251);
        snprintf(path, sizeof path, DIR_ "/pressure%d", i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0 && write(fd, buffer, file_size) == file_size);
        close(fd);
    }
    pid_t hog = fork();
    if (hog == 0) {
        for (;;) {
            char *chunk = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (chunk == MAP_FAILED)
                _exit(3);
            memset(chunk, 1, 1 << 20);
        }
    }
    check_child_status(hog, 0, SIGKILL);
    for (int i = 0; i < files; ++i) {
        snprintf(path, sizeof path, DIR_ "/pressure%d", i);
        int fd = open(path, O_RDONLY);
        CHECK(fd >= 0 && read(fd, buffer, file_size) == file_size);
        int intact = 1;
        for (int j = 0; j < file_size && intact; ++j)
            intact = buffer[j] == (unsigned char)((i * 31 + j) % 251);
        CHECK(intact);
        close(fd);
        CHECK_EQ(unlink(path), 0);
    }
    rmdir(DIR_);
    check_end();
    check_exit();
    return 0;
}

/* mincore: which pages are in memory; for a file mapping the page cache
 * counts even where this process has not touched the page. */
static void test_mincore(void) {
    check_begin("mincore: resident pages of anonymous and file mappings");
    long page = sysconf(_SC_PAGESIZE);
    unsigned char vec[8];
    char *anon = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    anon[0] = 1;
    anon[2 * page] = 1;
    memset(vec, 0xff, sizeof vec);
    CHECK_EQ(mincore(anon, 4 * page, vec), 0);
    CHECK_EQ(vec[0], 1);
    CHECK_EQ(vec[1], 0);
    CHECK_EQ(vec[2], 1);
    CHECK_EQ(vec[3], 0);
    CHECK_EQ(vec[4], 0xff);  /* only as many bytes as pages */
    CHECK_EQ(mincore(anon, 1, vec), 0);  /* a partial page counts whole */
    CHECK_EQ(mincore(anon, 0, vec), 0);
    CHECK_ERR(mincore(anon + 1, page, vec), EINVAL);
    CHECK_ERR(mincore(anon, page, (unsigned char *)8), EFAULT);
    CHECK_ERR(mincore((void *)(UINT64_C(1) << 56), page, vec), ENOMEM);
    munmap(anon + page, page);
    CHECK_ERR(mincore(anon, 3 * page, vec), ENOMEM);  /* a hole */
    munmap(anon, 4 * page);

    /* A file written through write(2): its pages are in the page cache,
     * so a fresh mapping of it reports them before any access. */
    const char *path = DIR_ "/mincore";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    static char data[8192];
    memset(data, 'm', sizeof data);
    CHECK_EQ(write(fd, data, sizeof data), (long)sizeof data);
    char *file = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(file != MAP_FAILED);
    CHECK_EQ(mincore(file, 2 * page, vec), 0);
    CHECK_EQ(vec[0], 1);
    CHECK_EQ(vec[1], 1);
    munmap(file, 2 * page);
    close(fd);
    unlink(path);
    check_end();
}

/* MREMAP_DONTUNMAP: the pages move, the old range stays mapped, empty. */
static void test_dontunmap(void) {
    check_begin("mremap MREMAP_DONTUNMAP: pages move, the old range stays, empty");
    long page = sysconf(_SC_PAGESIZE);
    char *old = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(old != MAP_FAILED);
    memset(old, 'd', 2 * page);
    char *moved = mremap(old, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    CHECK(moved != MAP_FAILED && moved != old);
    if (moved != MAP_FAILED) {
        CHECK_EQ(moved[0], 'd');
        CHECK_EQ(moved[2 * page - 1], 'd');
        CHECK_EQ(old[0], 0);  /* still mapped, demand-zero again */
        old[1] = 'o';
        CHECK_EQ(moved[1], 'd');
        munmap(moved, 2 * page);
    }
    /* At a fixed address. */
    char *target = mmap(NULL, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(old, 'f', 2 * page);
    char *fixed = mremap(old, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, target);
    CHECK(fixed == target);
    if (fixed == target) {
        CHECK_EQ(fixed[page], 'f');
        CHECK_EQ(old[page], 0);
    }
    /* Errors: sizes differ, or no MREMAP_MAYMOVE. */
    CHECK(mremap(old, 2 * page, 3 * page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) == MAP_FAILED && errno == EINVAL);
    CHECK(mremap(old, 2 * page, 2 * page, MREMAP_DONTUNMAP) == MAP_FAILED && errno == EINVAL);
    munmap(old, 2 * page);
    munmap(target, 2 * page);
    check_end();
}

/* mremap with an old size of 0: a second mapping of a shared mapping's
 * pages (Linux's "duplicate shm area"); private mappings refuse. */
static void test_duplicate(void) {
    check_begin("mremap with old size 0: a shared mapping duplicated");
    long page = sysconf(_SC_PAGESIZE);
    char *shared = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    shared[0] = 'a';
    shared[page] = 'b';
    char *copy = mremap(shared, 0, 2 * page, MREMAP_MAYMOVE);
    CHECK(copy != MAP_FAILED && copy != shared);
    if (copy != MAP_FAILED) {
        CHECK(copy[0] == 'a' && copy[page] == 'b');
        copy[0] = 'z';
        CHECK_EQ(shared[0], 'z');
    }
    /* From the middle of the mapping. */
    char *tail = mremap(shared + page, 0, page, MREMAP_MAYMOVE);
    CHECK(tail != MAP_FAILED && tail[0] == 'b');
    /* Where asked. */
    char *target = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *fixed = mremap(shared, 0, page, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    CHECK(fixed == target);
    if (fixed == target)
        CHECK_EQ(fixed[0], 'z');
    /* The original may go; the copies stay. */
    CHECK_EQ(munmap(shared, 2 * page), 0);
    if (copy != MAP_FAILED)
        CHECK(copy[0] == 'z' && copy[page] == 'b');
    /* A shared file mapping: the file's pages. */
    int fd = memfd_create("dup", 0);
    CHECK_EQ(write(fd, "hello", 5), 5);
    char *file_map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *file_copy = mremap(file_map, 0, page, MREMAP_MAYMOVE);
    CHECK(file_copy != MAP_FAILED && memcmp(file_copy, "hello", 5) == 0);
    if (file_copy != MAP_FAILED) {
        file_copy[0] = 'j';
        char byte = 0;
        CHECK_EQ(pread(fd, &byte, 1, 0), 1);
        CHECK_EQ(byte, 'j');
    }
    /* Errors: no MREMAP_MAYMOVE (ENOMEM), a private mapping (EINVAL). */
    CHECK(mremap(file_map, 0, page, 0) == MAP_FAILED && errno == ENOMEM);
    char *private_map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mremap(private_map, 0, page, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL);
    CHECK(mremap(file_map, 0, 0, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL);
    munmap(private_map, page);
    munmap(file_map, page);
    if (file_copy != MAP_FAILED)
        munmap(file_copy, page);
    if (copy != MAP_FAILED)
        munmap(copy, 2 * page);
    if (tail != MAP_FAILED)
        munmap(tail, page);
    munmap(target, page);
    close(fd);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "pressure") == 0)
        return run_pressure();
    mkdir("/tmp", 01777);
    mkdir(DIR_, 0755);
    test_shared_write_back();
    test_private_copy_on_write();
    test_sigbus_past_end();
    test_protections();
    test_program_file();
    test_mremap();
    test_mincore();
    test_dontunmap();
    test_duplicate();
    rmdir(DIR_);
    check_exit();
    return 0;
}
