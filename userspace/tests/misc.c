/* misc: process identity, uname, clocks, randomness, limits, signal masks
 * and dispositions, ENOSYS, sched_yield and futex basics, as on Linux.
 *
 * Linux facts checked here:
 *   - a single-threaded process has gettid() == getpid().
 *   - SIGKILL and SIGSTOP are silently dropped from a blocked set; changing
 *     their action is EINVAL.
 *   - an ignored signal sent to yourself has no effect at all.
 *   - FUTEX_WAIT's timeout is relative and expires with ETIMEDOUT.
 */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int64_t ns_of(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

static int64_t mono_ns(void) {
    struct timespec t;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
    return ns_of(&t);
}

static void test_ids(void) {
    check_begin("getpid, getppid, gettid");
    long pid = syscall(SYS_getpid);
    CHECK(pid > 0);
    CHECK_EQ(syscall(SYS_getpid), pid); /* stable */
    CHECK_EQ(getpid(), pid);
    CHECK_EQ(syscall(SYS_gettid), pid); /* only one thread */
    long ppid = syscall(SYS_getppid);
    /* The first process may have no parent (0); otherwise it differs. */
    CHECK(ppid >= 0 && ppid != pid);
    check_end();
}

static void test_uname(void) {
    check_begin("uname");
    struct utsname u;
    memset(&u, 0xff, sizeof u);
    CHECK_EQ(syscall(SYS_uname, &u), 0);
    /* Every field must be a NUL-terminated string within its array. */
    CHECK(memchr(u.sysname, 0, sizeof u.sysname) && memchr(u.release, 0, sizeof u.release));
    CHECK(memchr(u.machine, 0, sizeof u.machine) && memchr(u.nodename, 0, sizeof u.nodename));
    CHECK(u.sysname[0] != 0 && u.release[0] != 0);
    CHECK(strcmp(u.sysname, "Linux") == 0 || strcmp(u.sysname, "Akuma") == 0);
    CHECK(strcmp(u.machine, "aarch64") == 0);
    printf("  uname: %s %s %s\n", u.sysname, u.release, u.machine);
    check_end();
}

static void test_clocks(void) {
    check_begin("clock_gettime MONOTONIC non-decreasing, nanosleep advances it");
    int64_t prev = mono_ns(), bad = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t now = mono_ns();
        if (now < prev) bad++;
        prev = now;
    }
    CHECK_EQ(bad, 0);
    int64_t before = mono_ns();
    struct timespec req = {0, 20 * 1000 * 1000};
    CHECK_EQ(syscall(SYS_nanosleep, &req, NULL), 0);
    int64_t slept = mono_ns() - before;
    CHECK(slept >= 20 * 1000 * 1000);
    /* clock_nanosleep with an absolute deadline returns at or after it. */
    struct timespec dl;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &dl);
    int64_t target = ns_of(&dl) + 10 * 1000 * 1000;
    dl.tv_sec = target / 1000000000;
    dl.tv_nsec = target % 1000000000;
    CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL), 0);
    CHECK(mono_ns() >= target);
    struct timespec badreq = {0, 1000000000}; /* tv_nsec out of range */
    CHECK_ERR(syscall(SYS_nanosleep, &badreq, NULL), EINVAL);
    struct timespec t;
    CHECK_ERR(syscall(SYS_clock_gettime, 12345, &t), EINVAL);
    check_end();

    check_begin("clock_getres");
    struct timespec res = {-1, -1};
    CHECK_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res), 0);
    CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
    res.tv_sec = res.tv_nsec = -1;
    CHECK_EQ(syscall(SYS_clock_getres, CLOCK_REALTIME, &res), 0);
    CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
    CHECK_ERR(syscall(SYS_clock_getres, 12345, &res), EINVAL);
    check_end();

    check_begin("gettimeofday / CLOCK_REALTIME plausible (after 2020)");
    struct timeval tv;
    CHECK_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0);
    CHECK(tv.tv_sec > 1577836800); /* 2020-01-01 */
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    struct timespec rt;
    CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt), 0);
    CHECK(rt.tv_sec >= tv.tv_sec && rt.tv_sec - tv.tv_sec < 5);
    check_end();
}

static int compare_blocks(const void *a, const void *b) { return memcmp(a, b, 16); }

static long getrandom_call(void *buffer, size_t length, unsigned flags) {
    return syscall(SYS_getrandom, buffer, length, flags);
}

/* The statistics only catch gross failures (a constant, a counter, stuck
 * bits, repeats): every bound is about 8 standard deviations or more from
 * the mean, so a correct generator fails one with probability < 1e-12. */
static void test_getrandom(void) {
    enum { k_size = 64 * 1024 };
    static unsigned char buf[k_size], again[k_size], blocks[k_size];

    check_begin("getrandom: 64 KiB that look random");
    CHECK_EQ(getrandom_call(buf, k_size, 0), k_size);
    long counts[256] = {0}, bit_ones[8] = {0}, ones = 0, repeats = 0, longest_run = 1, run = 1;
    for (size_t i = 0; i < k_size; i++) {
        counts[buf[i]]++;
        for (int bit = 0; bit < 8; bit++)
            bit_ones[bit] += (buf[i] >> bit) & 1;
        if (i > 0 && buf[i] == buf[i - 1]) {
            repeats++;
            if (++run > longest_run) longest_run = run;
        } else {
            run = 1;
        }
    }
    /* Every byte value 256 +- 16 times; chi-square over 255 degrees of
     * freedom: mean 255, standard deviation 22.6. */
    long fewest = k_size, most = 0;
    double chi_square = 0;
    for (int value = 0; value < 256; value++) {
        if (counts[value] < fewest) fewest = counts[value];
        if (counts[value] > most) most = counts[value];
        double off = (double)counts[value] - k_size / 256.0;
        chi_square += off * off / (k_size / 256.0);
    }
    for (int bit = 0; bit < 8; bit++) ones += bit_ones[bit];
    printf("  byte counts %ld..%ld, chi-square %.1f, ones %ld of %d, repeats %ld, longest run %ld\n", fewest, most,
           chi_square, ones, k_size * 8, repeats, longest_run);
    CHECK(fewest >= 128 && most <= 400);
    CHECK(chi_square < 500);
    CHECK(ones > k_size * 4 - 4000 && ones < k_size * 4 + 4000); /* sd 362 */
    for (int bit = 0; bit < 8; bit++)
        CHECK(bit_ones[bit] > k_size / 2 - 1500 && bit_ones[bit] < k_size / 2 + 1500); /* sd 128 */
    CHECK(repeats >= 128 && repeats <= 400); /* a byte equal to the one before: 256 +- 16 */
    CHECK(longest_run < 8);
    /* No two of the 4096 16-byte blocks are equal. */
    memcpy(blocks, buf, k_size);
    qsort(blocks, k_size / 16, 16, compare_blocks);
    int equal_blocks = 0;
    for (size_t i = 16; i < k_size; i += 16)
        equal_blocks += memcmp(blocks + i - 16, blocks + i, 16) == 0;
    CHECK_EQ(equal_blocks, 0);
    /* A second call is independent: bytes agree 256 +- 16 times. */
    CHECK_EQ(getrandom_call(again, k_size, 0), k_size);
    long same = 0;
    for (size_t i = 0; i < k_size; i++) same += buf[i] == again[i];
    CHECK(same <= 400);
    check_end();

    check_begin("getrandom: lengths and flags");
    /* Exactly the bytes asked for are written. */
    static const size_t lengths[] = {1, 7, 16, 33, 255, 256, 257, 4097};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        memset(buf, 0xaa, 8192);
        CHECK_EQ(getrandom_call(buf, lengths[i], 0), lengths[i]);
        size_t past = 0, unchanged = 0;
        for (size_t j = lengths[i]; j < 8192; j++) past += buf[j] != 0xaa;
        for (size_t j = 0; j < lengths[i]; j++) unchanged += buf[j] == 0xaa;
        CHECK_EQ(past, 0);
        CHECK(unchanged <= 4 + lengths[i] / 64); /* 1/256 of them, with room */
    }
    CHECK_EQ(getrandom_call(buf, 0, 0), 0);
    CHECK_EQ(getrandom_call(NULL, 0, 0), 0);
    CHECK_EQ(getrandom_call(buf, 64, GRND_NONBLOCK), 64);
    CHECK_EQ(getrandom_call(buf, 64, GRND_RANDOM), 64);
    CHECK_EQ(getrandom_call(buf, 64, GRND_RANDOM | GRND_NONBLOCK), 64);
    CHECK_EQ(getrandom_call(buf, 64, GRND_INSECURE), 64);
    CHECK_EQ(getrandom_call(buf, 64, GRND_INSECURE | GRND_NONBLOCK), 64);
    CHECK_ERR(getrandom_call(buf, 64, GRND_INSECURE | GRND_RANDOM), EINVAL); /* contradictory */
    CHECK_ERR(getrandom_call(buf, 64, 0x8), EINVAL);
    CHECK_ERR(getrandom_call(buf, 64, 0x1000), EINVAL);
    CHECK_ERR(getrandom_call(buf, 64, 0x80000000u), EINVAL);
    /* Linux 6.1 fills a large request whole when no signal comes (only
     * kernels before 5.18 stopped at 32 MiB). */
    size_t large = 33UL << 20;
    unsigned char *big = mmap(NULL, large, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(big != MAP_FAILED);
    if (big != MAP_FAILED) {
        CHECK_EQ(getrandom_call(big, large, 0), (long)large);
        munmap(big, large);
    }
    check_end();

    check_begin("getrandom: a buffer running into unmapped memory");
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(map != MAP_FAILED);
    CHECK_EQ(munmap(map + page, page), 0);
    unsigned char *end = map + page; /* the first unmapped byte */
    memset(map, 0x5a, page);
    /* What fits is written and counted; with a 64-byte-aligned rest Linux
     * fills it exactly, otherwise it may stop a few bytes short. */
    CHECK_EQ(getrandom_call(end - 256, 512, 0), 256);
    size_t untouched = 0;
    for (unsigned char *p = map; p < end - 256; p++) untouched += *p == 0x5a;
    CHECK_EQ(untouched, page - 256);
    long got = getrandom_call(end - 100, 200, 0);
    CHECK(got > 0 && got <= 100);
    CHECK_EQ(getrandom_call(end - 1, 200, 0), 1);
    CHECK_ERR(getrandom_call(end, 10, 0), EFAULT);
    CHECK_ERR(getrandom_call(NULL, 1, 0), EFAULT);
    munmap(map, page);
    unsigned char *read_only = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(read_only != MAP_FAILED);
    CHECK_ERR(getrandom_call(read_only, 16, 0), EFAULT);
    CHECK_EQ(read_only[0], 0);
    munmap(read_only, page);
    check_end();
}

/* The generator is seeded at boot (QEMU's DTB rng-seed on Akuma; on Linux
 * the same seed or jitter), so neither device blocks; /dev/random with
 * O_NONBLOCK reads like /dev/urandom once seeded (Linux 5.18+). Writes are
 * accepted whole by both, mixed in, credited nothing. */
static void test_random_devices(void) {
    static unsigned char buf[4096], other[4096];
    check_begin("/dev/random and /dev/urandom: reads, non-blocking reads, writes");
    int urandom = open("/dev/urandom", O_RDWR);
    int random = open("/dev/random", O_RDWR | O_NONBLOCK);
    CHECK(urandom >= 0 && random >= 0);
    CHECK_EQ(read(urandom, buf, sizeof buf), (long)sizeof buf);
    CHECK_EQ(read(random, other, sizeof other), (long)sizeof other);
    size_t same = 0, ones = 0;
    for (size_t i = 0; i < sizeof buf; i++) {
        same += buf[i] == other[i];
        ones += __builtin_popcount(buf[i]);
    }
    CHECK(same <= 64);                         /* 16 +- 4 */
    CHECK(ones > 16384 - 1000 && ones < 16384 + 1000); /* sd 90 */
    memset(buf, 0x42, sizeof buf);
    CHECK_EQ(write(urandom, buf, sizeof buf), (long)sizeof buf);
    CHECK_EQ(write(random, buf, 100), 100);
    CHECK_EQ(write(urandom, buf, 0), 0);
    /* Reads go on producing fresh bytes after the writes. */
    CHECK_EQ(read(urandom, other, 64), 64);
    CHECK(memcmp(other, buf, 64) != 0);
    close(urandom);
    close(random);
    check_end();

    check_begin("AT_RANDOM: 16 bytes that differ from a later getrandom");
    const unsigned char *at_random = (const unsigned char *)getauxval(AT_RANDOM);
    CHECK(at_random != NULL);
    if (at_random) {
        CHECK_EQ(getrandom_call(buf, 16, 0), 16);
        CHECK(memcmp(at_random, buf, 16) != 0);
        int zeros = 0;
        for (int i = 0; i < 16; i++) zeros += at_random[i] == 0;
        CHECK(zeros < 8);
    }
    check_end();
}

static void test_limits(void) {
    check_begin("prlimit64(RLIMIT_STACK)");
    struct rlimit rl = {0, 0};
    CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &rl), 0);
    CHECK(rl.rlim_cur > 0 && rl.rlim_cur <= rl.rlim_max);
    printf("  stack limit cur=%llu max=%llu\n", (unsigned long long)rl.rlim_cur,
           (unsigned long long)rl.rlim_max);
    CHECK_ERR(syscall(SYS_prlimit64, 0, 999, NULL, &rl), EINVAL);
    check_end();
}

/* The kernel's sigset is 64 bits on arm64; signal n is bit n-1. */
static uint64_t sigbit(int sig) { return 1ULL << (sig - 1); }

static void test_signals(void) {
    check_begin("rt_sigprocmask block/unblock round trip");
    uint64_t set = sigbit(SIGUSR1), old = ~0ULL, cur = 0;
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8), 0);
    CHECK(!(old & sigbit(SIGUSR1)));
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
    CHECK(cur & sigbit(SIGUSR1));
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, 8), 0);
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
    CHECK(!(cur & sigbit(SIGUSR1)));
    /* SIGKILL and SIGSTOP can never be blocked: silently dropped. */
    set = sigbit(SIGKILL) | sigbit(SIGSTOP) | sigbit(SIGUSR2);
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, &old, 8), 0);
    CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, &cur, 8), 0);
    CHECK(cur == sigbit(SIGUSR2));
    CHECK_ERR(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
    check_end();

    check_begin("rt_sigaction SIG_IGN, then kill(self, SIGUSR1) has no effect");
    /* Kernel layout of struct sigaction on arm64 (not glibc's). */
    struct ksigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } act = {SIG_IGN, 0, NULL, 0}, oldact;
    CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 8), 0);
    memset(&oldact, 0xff, sizeof oldact);
    CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &oldact, 8), 0);
    CHECK(oldact.handler == SIG_IGN);
    CHECK_EQ(syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1), 0);
    CHECK_EQ(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1), 0);
    printf("  still alive after SIGUSR1\n");
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGKILL, &act, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGSTOP, &act, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, 0, &act, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, 65, &act, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 4), EINVAL);
    /* Querying SIGKILL's action is allowed. */
    CHECK_EQ(syscall(SYS_rt_sigaction, SIGKILL, NULL, &oldact, 8), 0);
    CHECK(oldact.handler == SIG_DFL);
    /* Signal 0 only checks that the target exists. */
    CHECK_EQ(syscall(SYS_kill, syscall(SYS_getpid), 0), 0);
    check_end();
}

static void test_sched_nosys(void) {
    check_begin("unknown syscall -> ENOSYS, sched_yield");
    CHECK_ERR(syscall(999), ENOSYS);
    CHECK_ERR(syscall(500), ENOSYS);
    CHECK_EQ(syscall(SYS_sched_yield), 0);
    check_end();
}

static void test_futex(void) {
    check_begin("futex WAKE / WAIT mismatch / WAIT timeout");
    static uint32_t word = 5;
    CHECK_EQ(syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
    CHECK_EQ(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 0);
    CHECK_ERR(syscall(SYS_futex, &word, FUTEX_WAIT, 6, NULL, NULL, 0), EAGAIN);
    CHECK_ERR(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0), EAGAIN);
    struct timespec to = {0, 10 * 1000 * 1000};
    int64_t before = mono_ns();
    CHECK_ERR(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &to, NULL, 0), ETIMEDOUT);
    CHECK(mono_ns() - before >= 10 * 1000 * 1000);
    /* Misaligned futex words are rejected. */
    CHECK_ERR(syscall(SYS_futex, (char *)&word + 1, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
    check_end();
}

/* The generic timer's virtual counter is readable at EL0, as on Linux (the
 * vDSO and benchmarks read it directly); it advances, and agrees in rate
 * with CLOCK_MONOTONIC (both count the same virtual time). */
static void test_counter(void) {
    check_begin("CNTVCT_EL0/CNTFRQ_EL0 readable from user space");
    uint64_t frequency, first, second;
    asm volatile("mrs %0, cntfrq_el0" : "=r"(frequency));
    asm volatile("isb; mrs %0, cntvct_el0" : "=r"(first));
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    asm volatile("isb; mrs %0, cntvct_el0" : "=r"(second));
    CHECK(frequency > 0);
    CHECK(second > first);
    /* At least the 20 ms slept, in counter ticks. */
    CHECK(second - first >= frequency / 50);
    check_end();
}

/* Cache registers and instructions EL0 may use on Linux (SCTLR_EL1.UCT,
 * DZE, UCI): glibc's memset zeroes with DC ZVA when DCZID_EL0 allows it,
 * and JITs read CTR_EL0 and clean/invalidate to the point of unification
 * (__builtin___clear_cache). Without them these trap (SIGILL). */
static void test_cache_instructions(void) {
    check_begin("CTR_EL0, DCZID_EL0, DC ZVA and cache maintenance from user space");
    uint64_t ctr, dczid;
    asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
    asm volatile("mrs %0, dczid_el0" : "=r"(dczid));
    CHECK(ctr != 0);
    CHECK((dczid & 16) == 0); /* DZP clear: DC ZVA is permitted */
    size_t block = (size_t)4 << (dczid & 15);
    static unsigned char area[4096] __attribute__((aligned(4096)));
    memset(area, 0xa5, sizeof area);
    asm volatile("dc zva, %0" : : "r"(area + block) : "memory");
    size_t wrong = 0;
    for (size_t i = 0; i < sizeof area; i++)
        wrong += area[i] != (i >= block && i < 2 * block ? 0 : 0xa5);
    CHECK(wrong == 0);
    /* What __builtin___clear_cache does after writing code. */
    asm volatile("dc cvau, %0\n dsb ish\n ic ivau, %0\n dsb ish\n isb" : : "r"(area) : "memory");
    __builtin___clear_cache((char *)area, (char *)area + sizeof area);
    /* Cache maintenance counts as a read: allowed on a read-only page that
     * is not even populated yet (ESR.CM, as Linux's fault handler). */
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(code != MAP_FAILED);
    if (code != MAP_FAILED) {
        asm volatile("dc cvau, %0\n dsb ish\n ic ivau, %0\n dsb ish\n isb" : : "r"(code) : "memory");
        CHECK(code[0] == 0);
        munmap(code, 4096);
    }
    check_end();
}

/* Top-byte-ignore (Linux's tagged-address ABI on arm64): a tag in bits
 * 63:56 of a pointer reaches the same memory; a fault through a tagged
 * pointer reports the untagged address. */
static volatile uintptr_t g_tbi_fault_address;
static sigjmp_buf g_tbi_jump;
static void on_tbi_fault(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    g_tbi_fault_address = (uintptr_t)info->si_addr;
    siglongjmp(g_tbi_jump, 1);
}

static void test_top_byte_ignore(void) {
    check_begin("tbi: tagged pointers reach the same memory");
    volatile uint64_t *plain = malloc(sizeof *plain);
    volatile uint64_t *tagged = (volatile uint64_t *)((uintptr_t)plain | (UINT64_C(0x5a) << 56));
    *tagged = 42;
    CHECK_EQ(*plain, 42);
    *plain = 43;
    CHECK_EQ(*tagged, 43);
    free((void *)plain);
    char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction action = { 0 }, old;
    action.sa_sigaction = on_tbi_fault;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &action, &old);
    volatile char *tagged_page = (volatile char *)((uintptr_t)(page + 8) | (UINT64_C(0x3c) << 56));
    if (sigsetjmp(g_tbi_jump, 1) == 0)
        *tagged_page = 1;
    CHECK_EQ(g_tbi_fault_address, (uintptr_t)(page + 8));
    sigaction(SIGSEGV, &old, NULL);
    munmap(page, 4096);
    check_end();
}

/* The tagged-address ABI (prctl PR_SET_TAGGED_ADDR_CTRL): only with it do
 * system calls take tagged pointers; per thread, inherited by fork. */
static void test_tagged_address_abi(void) {
    check_begin("tagged address ABI: system calls take tagged pointers once asked");
    char buffer[8] = "abcdefg";
    char *tagged = (char *)((uintptr_t)buffer | (UINT64_C(0x2b) << 56));
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_EQ(prctl(PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0), 0);
    CHECK_ERR(write(pipe_fds[1], tagged, 3), EFAULT);
    CHECK_ERR(prctl(PR_SET_TAGGED_ADDR_CTRL, 2, 0, 0, 0), EINVAL);  /* an MTE bit: no MTE here */
    CHECK_ERR(prctl(PR_SET_TAGGED_ADDR_CTRL, PR_TAGGED_ADDR_ENABLE, 1, 0, 0), EINVAL);
    CHECK_ERR(prctl(PR_GET_TAGGED_ADDR_CTRL, 1, 0, 0, 0), EINVAL);
    CHECK_EQ(prctl(PR_SET_TAGGED_ADDR_CTRL, PR_TAGGED_ADDR_ENABLE, 0, 0, 0), 0);
    CHECK_EQ(prctl(PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0), PR_TAGGED_ADDR_ENABLE);
    CHECK_EQ(write(pipe_fds[1], tagged, 3), 3);
    CHECK_EQ(read(pipe_fds[0], tagged + 4, 3), 3);
    CHECK(memcmp(buffer, "abcdabc", 7) == 0);
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(prctl(PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0), PR_TAGGED_ADDR_ENABLE);
        CHECK_EQ(write(pipe_fds[1], tagged, 1), 1);
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(read(pipe_fds[0], buffer, 1), 1);
    CHECK_EQ(prctl(PR_SET_TAGGED_ADDR_CTRL, 0, 0, 0, 0), 0);
    CHECK_ERR(write(pipe_fds[1], tagged, 3), EFAULT);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    check_end();
}

/* membarrier: the commands it lists; private expedited ones need their
 * registration, which a fork inherits (it copies the mm). */
static void test_membarrier(void) {
    check_begin("membarrier: QUERY, GLOBAL, registered PRIVATE_EXPEDITED; EPERM, EINVAL");
    enum { query = 0, global = 1, global_expedited = 2, private_expedited = 8, register_private_expedited = 16 };
    long mask = syscall(SYS_membarrier, query, 0, 0);
    CHECK(mask > 0);
    CHECK((mask & (global | global_expedited | private_expedited | register_private_expedited)) ==
          (global | global_expedited | private_expedited | register_private_expedited));
    CHECK_EQ(syscall(SYS_membarrier, global, 0, 0), 0);
    CHECK_EQ(syscall(SYS_membarrier, global_expedited, 0, 0), 0);
    CHECK_ERR(syscall(SYS_membarrier, private_expedited, 0, 0), EPERM);
    CHECK_ERR(syscall(SYS_membarrier, global, 1, 0), EINVAL);
    CHECK_ERR(syscall(SYS_membarrier, 3, 0, 0), EINVAL);
    CHECK_ERR(syscall(SYS_membarrier, 1 << 20, 0, 0), EINVAL);
    CHECK_EQ(syscall(SYS_membarrier, register_private_expedited, 0, 0), 0);
    CHECK_EQ(syscall(SYS_membarrier, private_expedited, 0, 0), 0);
    pid_t child = fork();
    if (child == 0) {
        int failures = check_failures;
        CHECK_EQ(syscall(SYS_membarrier, private_expedited, 0, 0), 0);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    check_end();
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_ids();
    test_uname();
    test_clocks();
    test_getrandom();
    test_random_devices();
    test_limits();
    test_signals();
    test_sched_nosys();
    test_futex();
    test_counter();
    test_cache_instructions();
    test_top_byte_ignore();
    test_tagged_address_abi();
    test_membarrier();
    check_exit();
}
