/* mlock, mlock2, munlock, mlockall, munlockall: the pages made at once,
 * VmLck in /proc/self/status, RLIMIT_MEMLOCK for a process without
 * CAP_IPC_LOCK, and Linux's errors. Validated on Linux
 * (../shared/tools/linux-ref). */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "check.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static long page;

/* VmLck in kB, or -1. */
static long locked_kb(void) {
    FILE *status = fopen("/proc/self/status", "r");
    if (!status)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, status))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    fclose(status);
    return kb;
}

static int resident_pages(void *start, size_t pages) {
    unsigned char vec[64];
    if (pages > sizeof vec || mincore(start, pages * page, vec) != 0)
        return -1;
    int count = 0;
    for (size_t i = 0; i < pages; i++)
        count += vec[i] & 1;
    return count;
}

static void test_mlock(void) {
    check_begin("mlock");
    char *area = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED);
    long before = locked_kb();
    CHECK_EQ(resident_pages(area, 8), 0);
    /* An unaligned start and length cover whole pages. */
    CHECK_EQ(mlock(area + 2 * page + 100, 2 * page), 0);
    CHECK_EQ(resident_pages(area, 8), 3);  /* pages 2, 3 and 4 made at once */
    CHECK_EQ(locked_kb() - before, 3 * page / 1024);
    CHECK_EQ(mlock(area + 2 * page, page), 0);  /* again: counted once */
    CHECK_EQ(locked_kb() - before, 3 * page / 1024);
    CHECK_EQ(munlock(area + 3 * page, page), 0);
    CHECK_EQ(locked_kb() - before, 2 * page / 1024);
    CHECK_EQ(resident_pages(area, 8), 3);  /* unlocking drops nothing */
    /* MLOCK_ONFAULT: locked, but made only when touched. */
    CHECK_EQ(mlock2(area + 6 * page, 2 * page, MLOCK_ONFAULT), 0);
    CHECK_EQ(resident_pages(area + 6 * page, 2), 0);
    CHECK_EQ(locked_kb() - before, 4 * page / 1024);
    area[6 * page] = 1;
    CHECK_EQ(resident_pages(area + 6 * page, 2), 1);
    CHECK_ERR(mlock2(area, page, 2), EINVAL);
    /* A hole: ENOMEM. */
    CHECK_EQ(munmap(area + 5 * page, page), 0);
    CHECK_ERR(mlock(area + 4 * page, 2 * page), ENOMEM);
    CHECK_ERR(munlock(area + 4 * page, 2 * page), ENOMEM);
    CHECK_EQ(mlock(area, 0), 0);
    /* A PROT_NONE page cannot be made: ENOMEM (Linux 6.1). */
    char *none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_ERR(mlock(none, page), ENOMEM);
    CHECK_EQ(resident_pages(none, 1), 0);
    munmap(none, page);
    /* Unmapping takes the lock with it. */
    CHECK_EQ(munmap(area, 8 * page), 0);
    CHECK_EQ(locked_kb(), before);
    /* A child does not inherit locks. */
    area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_EQ(mlock(area, 2 * page), 0);
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(locked_kb(), before);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    munmap(area, 2 * page);
    check_end();
}

static void test_mlockall(void) {
    check_begin("mlockall");
    CHECK_ERR(mlockall(0), EINVAL);
    CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL);
    CHECK_ERR(mlockall(8), EINVAL);
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        /* In a child: its whole memory gets locked. */
        char *before_area = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK_EQ(mlockall(MCL_CURRENT), 0);
        CHECK(locked_kb() > 0);
        CHECK_EQ(resident_pages(before_area, 4), 4);
        /* Not MCL_FUTURE: a new mapping is neither locked nor made. */
        char *later = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK_EQ(resident_pages(later, 4), 0);
        CHECK_EQ(mlockall(MCL_CURRENT | MCL_FUTURE), 0);
        long locked = locked_kb();
        char *future = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK_EQ(resident_pages(future, 4), 4);
        CHECK_EQ(locked_kb() - locked, 4 * page / 1024);
        CHECK_EQ(munlockall(), 0);
        CHECK_EQ(locked_kb(), 0);
        char *after = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK_EQ(resident_pages(after, 4), 0);
        /* MCL_FUTURE | MCL_ONFAULT: locked, made when touched. */
        CHECK_EQ(mlockall(MCL_FUTURE | MCL_ONFAULT), 0);
        char *on_fault = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK_EQ(resident_pages(on_fault, 4), 0);
        CHECK_EQ(locked_kb(), 4 * page / 1024);
        CHECK_EQ(munlockall(), 0);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    check_end();
}

/* In a forked child: RLIMIT_MEMLOCK of `pages` pages, then user and group
 * nobody, without CAP_IPC_LOCK, so that the limit counts. */
static void become_nobody_with_memlock(long pages) {
    struct rlimit limit = { pages * page, pages * page };
    CHECK_EQ(setrlimit(RLIMIT_MEMLOCK, &limit), 0);
    CHECK_EQ(setgid(65534), 0);
    CHECK_EQ(setuid(65534), 0);
}

static void test_limit(void) {
    check_begin("limit");
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        become_nobody_with_memlock(4);
        char *area = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK_EQ(mlock(area, 3 * page), 0);
        CHECK_ERR(mlock(area + 3 * page, 2 * page), ENOMEM);
        CHECK_EQ(mlock(area, 4 * page), 0);  /* three of them are locked already */
        CHECK_ERR(mlockall(MCL_CURRENT), ENOMEM);  /* all of memory is more */
        CHECK_EQ(munlock(area, 8 * page), 0);
        struct rlimit none = { 0, 4 * page };
        CHECK_EQ(setrlimit(RLIMIT_MEMLOCK, &none), 0);
        CHECK_ERR(mlock(area, page), EPERM);
        CHECK_ERR(mlockall(MCL_FUTURE), EPERM);
        CHECK_EQ(munlock(area, page), 0);
        CHECK_EQ(munlockall(), 0);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    check_end();
}

/* mmap's MAP_LOCKED (locked and made at once; past RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK: EAGAIN) and MAP_POPULATE (made at once). */
static void test_map_flags(void) {
    check_begin("map_flags");
    long before = locked_kb();
    char *locked = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    CHECK(locked != MAP_FAILED);
    CHECK_EQ(resident_pages(locked, 4), 4);
    CHECK_EQ(locked_kb() - before, 4 * page / 1024);
    munmap(locked, 4 * page);
    CHECK_EQ(locked_kb(), before);
    char *populated = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    CHECK(populated != MAP_FAILED);
    CHECK_EQ(resident_pages(populated, 4), 4);
    CHECK_EQ(locked_kb(), before);  /* made, not locked */
    munmap(populated, 4 * page);
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        become_nobody_with_memlock(2);
        CHECK(mmap(NULL, 4 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) == MAP_FAILED &&
              errno == EAGAIN);
        char *small = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
        CHECK(small != MAP_FAILED);
        CHECK_EQ(locked_kb(), 2 * page / 1024);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    page = sysconf(_SC_PAGESIZE);
    static const struct check_test tests[] = {
        { "mlock", test_mlock },
        { "mlockall", test_mlockall },
        { "limit", test_limit },
        { "map_flags", test_map_flags },
    };
    return check_run_tests("mlock", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
