// membench: the cost of memory and process operations, in guest instructions.
//
// Under QEMU with -icount shift=0,sleep=off CLOCK_MONOTONIC advances exactly
// 1 ns per guest instruction, so every "ns" printed here is an instruction
// count. The clock is read with the raw syscall, never glibc's wrapper: on
// Linux that may go through the vDSO, and Akuma and Linux must be measured
// the same way.
//
// Output: "[membench] reset to main(): <N> ns since reset" (virtual time
// from the machine's reset to this program's main), one line per metric,
// then "[membench] done":
//   [membench] <metric>: <N> ns/op (<iterations> iterations)
//   [membench] <metric>: <delta> KiB for <requested> KiB requested (<ratio>%)
//   [membench] resident: unavailable          (neither /proc/self/status nor sysinfo)
//   [membench] <metric>: skipped (<why>)       (resident, page-per-block allocator)
//   [membench] <metric>: unavailable (<call>: <error>)   (the kernel lacks it)
// A metric that cannot run prints "[membench] <metric>: FAILED (<why>)" and
// makes the exit status 1; the others still run. The process metrics
// (fork, execve, pipes, threads) print "unavailable" instead when the
// kernel refuses the system call they need: not a failure.
//
// Usage: membench [quick]   ("quick" divides iteration counts by 20)
//        membench --exit    (exits at once: the program the execve metric runs)
// Iteration counts keep a full run near 300 million guest instructions on
// Linux (page faults ~3300 each, getpid ~570, fork+exit+wait ~160000).
// The allocator name is AKUMA_MALLOC (libakuma's choice) or "default",
// unless the build defines MEMBENCH_ALLOCATOR_NAME (e.g. "glibc").

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr size_t page_size = 4096;
constexpr size_t kib = 1024;
constexpr size_t mib = 1024 * kib;

bool any_failed = false;
unsigned divisor = 1;  // 20 in quick mode
const char* self_path = nullptr;  // argv[0]: the execve metric runs it again

uint64_t now_ns() {
    timespec ts{};
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// Default iteration count, scaled for quick mode (never below 1).
uint64_t iters(uint64_t n) {
    uint64_t scaled = n / divisor;
    return scaled ? scaled : 1;
}

// Keeps the compiler from dropping a pointer's allocation or stores to it.
inline void escape(void* p) { asm volatile("" : : "r"(p) : "memory"); }

void report(const char* metric, uint64_t elapsed_ns, uint64_t count) {
    std::printf("[membench] %s: %llu ns/op (%llu iterations)\n", metric,
                static_cast<unsigned long long>(elapsed_ns / count),
                static_cast<unsigned long long>(count));
}

// err: errno of the failed call, 0 where there is none (raw brk, malloc).
void fail(const char* metric, const char* why, int err = 0) {
    if (err)
        std::printf("[membench] %s: FAILED (%s: %s)\n", metric, why, std::strerror(err));
    else
        std::printf("[membench] %s: FAILED (%s)\n", metric, why);
    any_failed = true;
}

void* map_anon(size_t len) {
    return mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

// One write per page: the first touch of each page is a fault.
void touch_pages(void* base, size_t len) {
    auto* p = static_cast<volatile unsigned char*>(base);
    for (size_t off = 0; off < len; off += page_size) p[off] = 1;
}

// Deterministic sizes, identical on every run and kernel.
struct lcg {
    uint64_t state;
    uint32_t next() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return uint32_t(state >> 33);
    }
};

const char* allocator_name() {
#ifdef MEMBENCH_ALLOCATOR_NAME
    return MEMBENCH_ALLOCATOR_NAME;
#else
    const char* name = std::getenv("AKUMA_MALLOC");
    return name && *name ? name : "default";
#endif
}

// ---- 1. null syscall

void bench_getpid() {
    const char* metric = "null syscall (getpid)";
    for (int i = 0; i < 1000; i++) syscall(SYS_getpid);  // warm caches/TLB paths
    uint64_t n = iters(20000);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) syscall(SYS_getpid);
    report(metric, now_ns() - t0, n);
}

// ---- 2. anonymous page fault

void bench_page_fault() {
    const char* metric = "anonymous page fault (per page, 8 MiB)";
    constexpr size_t len = 8 * mib;
    uint64_t rounds = iters(4);
    uint64_t elapsed = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        void* p = map_anon(len);
        if (p == MAP_FAILED) return fail(metric, "mmap 8 MiB", errno);
        uint64_t t0 = now_ns();
        touch_pages(p, len);
        elapsed += now_ns() - t0;
        munmap(p, len);
    }
    report(metric, elapsed, rounds * (len / page_size));
}

// ---- 3. small mapping life cycle

void bench_mmap_small() {
    const char* metric = "mmap 64 KiB + touch + munmap";
    constexpr size_t len = 64 * kib;
    uint64_t n = iters(250);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        void* p = map_anon(len);
        if (p == MAP_FAILED) return fail(metric, "mmap 64 KiB", errno);
        touch_pages(p, len);
        if (munmap(p, len) != 0) return fail(metric, "munmap 64 KiB", errno);
    }
    report(metric, now_ns() - t0, n);
}

// ---- 4. tearing down a populated mapping

void bench_munmap_large() {
    const char* metric = "munmap 8 MiB populated";
    constexpr size_t len = 8 * mib;
    uint64_t n = iters(3);
    uint64_t elapsed = 0;
    for (uint64_t i = 0; i < n; i++) {
        void* p = map_anon(len);
        if (p == MAP_FAILED) return fail(metric, "mmap 8 MiB", errno);
        touch_pages(p, len);
        uint64_t t0 = now_ns();
        int rc = munmap(p, len);
        elapsed += now_ns() - t0;
        if (rc != 0) return fail(metric, "munmap 8 MiB", errno);
    }
    report(metric, elapsed, n);
}

// ---- 5. program break

void bench_brk() {
    const char* metric = "brk grow 64 KiB + touch + shrink";
    constexpr size_t len = 64 * kib;
    uint64_t n = iters(250);
    // Nothing may call malloc inside the loop: a brk allocator owns the break.
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        // Raw syscall: it returns the current break, even on failure.
        auto cur = static_cast<uintptr_t>(syscall(SYS_brk, 0));
        auto grown = static_cast<uintptr_t>(syscall(SYS_brk, cur + len));
        if (grown != cur + len) return fail(metric, "brk grow");
        touch_pages(reinterpret_cast<void*>(cur), len);
        if (static_cast<uintptr_t>(syscall(SYS_brk, cur)) != cur) return fail(metric, "brk shrink");
    }
    report(metric, now_ns() - t0, n);
}

// ---- 6. malloc/free churn

void bench_malloc_free() {
    char metric[128];
    std::snprintf(metric, sizeof metric, "malloc+free 16..512 B mixed (%s)", allocator_name());
    static constexpr size_t sizes[] = {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};
    constexpr size_t size_count = sizeof sizes / sizeof sizes[0];
    constexpr size_t window = 64;  // live blocks; FIFO order defeats a LIFO fast path
    void* live[window];
    lcg rng{12345};

    auto alloc_one = [&]() -> void* {
        size_t size = sizes[rng.next() % size_count];
        auto* p = static_cast<unsigned char*>(std::malloc(size));
        if (p) {
            p[0] = 1;  // touch, as a real caller would
            escape(p);
        }
        return p;
    };

    // Replaces the oldest live block `count` times; false if malloc failed.
    uint64_t pairs_done = 0;
    auto churn = [&](uint64_t count) {
        for (uint64_t i = 0; i < count; i++, pairs_done++) {
            size_t slot = pairs_done % window;
            std::free(live[slot]);
            live[slot] = alloc_one();
            if (!live[slot]) return false;
        }
        return true;
    };
    auto free_all = [&] {
        for (void* p : live) std::free(p);  // null after a failure: fine
    };

    for (size_t i = 0; i < window; i++) live[i] = nullptr;
    for (size_t i = 0; i < window; i++) {
        live[i] = alloc_one();
        if (!live[i]) {
            free_all();
            return fail(metric, "malloc (warm-up)");
        }
    }
    // Warm-up, timed as a probe: a debugging allocator (guard: several
    // syscalls per block, ~70000 ns a pair on Linux) would take billions of
    // instructions over the usual count, so it gets a count worth ~20 M.
    // The threshold sits far from both kinds (the others take < 500
    // instructions a pair) so that it also splits them the same way in
    // wall-clock runs without -icount, where the cold first pairs (page
    // faults, code translated for the first time) take several µs each.
    constexpr uint64_t probe_pairs = 256;
    uint64_t t_probe = now_ns();
    bool ok = churn(probe_pairs);
    uint64_t probe_ns = now_ns() - t_probe;
    uint64_t per_pair = probe_ns / probe_pairs;
    uint64_t n = 100000;
    if (per_pair > 20000) {
        n = 20000000 / per_pair / 100 * 100;  // round: jitter must not change the count
        if (n < 100) n = 100;
    } else if (ok) {
        ok = churn(4096 - probe_pairs);  // let a fast allocator reach steady state
    }
    if (!ok) {
        free_all();
        return fail(metric, "malloc (warm-up)");
    }

    n = iters(n);
    uint64_t t0 = now_ns();
    ok = churn(n);
    uint64_t elapsed = now_ns() - t0;
    free_all();
    if (!ok) return fail(metric, "malloc");
    report(metric, elapsed, n);
}

// ---- process metrics: shared helpers

void unavailable(const char* metric, const char* call, int err) {
    std::printf("[membench] %s: unavailable (%s: %s)\n", metric, call, std::strerror(err));
}

// Reaps pid; true if it exited with status 0. waitpid failing (no wait4 in
// the kernel) is reported as unavailable, a child's bad status as a failure.
bool reap_ok(const char* metric, pid_t pid) {
    int status = 0;
    pid_t got;
    do {
        got = waitpid(pid, &status, 0);
    } while (got < 0 && errno == EINTR);
    if (got != pid) {
        unavailable(metric, "waitpid", errno);
        return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char why[64];
        std::snprintf(why, sizeof why, "child wait status 0x%x", status);
        fail(metric, why);
        return false;
    }
    return true;
}

// One fork whose child runs `child` and _exits with its result; false if
// the fork or the reaping failed (already reported).
template <typename Child>
bool fork_and_reap(const char* metric, Child child) {
    pid_t pid = fork();
    if (pid < 0) {
        unavailable(metric, "fork", errno);
        return false;
    }
    if (pid == 0) _exit(child());
    return reap_ok(metric, pid);
}

// n cycles of fork_and_reap after n/10 untimed ones (at least one).
template <typename Child>
void bench_fork_cycles(const char* metric, uint64_t n, Child child) {
    for (uint64_t i = 0; i < n / 10 + 1; i++)
        if (!fork_and_reap(metric, child)) return;
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++)
        if (!fork_and_reap(metric, child)) return;
    report(metric, now_ns() - t0, n);
}

// ---- 7. process creation: fork + exit + wait

void bench_fork_exit() {
    bench_fork_cycles("fork+exit+wait", iters(200), [] { return 0; });
}

// ---- 8. fork + execve of this (static) program, which exits at once

void bench_fork_exec() {
    const char* metric = "fork+execve+wait (static membench --exit)";
    if (!self_path || self_path[0] != '/') {
        std::printf("[membench] %s: unavailable (argv[0] is not an absolute path)\n", metric);
        return;
    }
    bench_fork_cycles(metric, iters(50), [] {
        char* const args[] = { const_cast<char*>(self_path), const_cast<char*>("--exit"), nullptr };
        execve(self_path, args, environ);
        return 127;  // execve failed: the parent reports the status
    });
}

// ---- 9. pipe ping-pong between two processes

bool read_byte(int fd) {
    char c;
    ssize_t got;
    do {
        got = read(fd, &c, 1);
    } while (got < 0 && errno == EINTR);
    return got == 1;
}

bool write_byte(int fd) {
    char c = 'x';
    ssize_t put;
    do {
        put = write(fd, &c, 1);
    } while (put < 0 && errno == EINTR);
    return put == 1;
}

void bench_pipe_ping_pong() {
    const char* metric = "pipe ping-pong round trip (1 byte each way, 2 processes)";
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0) return unavailable(metric, "pipe", errno);
    if (pipe(to_parent) != 0) {
        int err = errno;
        close(to_child[0]);
        close(to_child[1]);
        return unavailable(metric, "pipe", err);
    }
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(to_child[0]);
        close(to_child[1]);
        close(to_parent[0]);
        close(to_parent[1]);
        return unavailable(metric, "fork", err);
    }
    if (pid == 0) {  // echo every byte back until the parent closes its end
        close(to_child[1]);
        close(to_parent[0]);
        while (read_byte(to_child[0]))
            if (!write_byte(to_parent[1])) _exit(1);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    // Should the child die, a write must fail (EPIPE), not kill membench.
    struct sigaction ignore {}, previous {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &previous);
    uint64_t n = iters(2000);
    bool ok = true;
    for (uint64_t i = 0; ok && i < n / 10; i++) ok = write_byte(to_child[1]) && read_byte(to_parent[0]);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; ok && i < n; i++) ok = write_byte(to_child[1]) && read_byte(to_parent[0]);
    uint64_t elapsed = now_ns() - t0;
    close(to_child[1]);  // the child sees end of file and exits
    close(to_parent[0]);
    sigaction(SIGPIPE, &previous, nullptr);
    if (!reap_ok(metric, pid)) return;
    if (!ok) return fail(metric, "a byte was lost");
    report(metric, elapsed, n);
}

// ---- 10. thread create + join

void* thread_body(void* arg) { return arg; }

void bench_thread() {
    const char* metric = "thread create+join (pthread)";
    auto cycle = [&]() {
        pthread_t thread;
        int err = pthread_create(&thread, nullptr, thread_body, nullptr);
        if (err != 0) {
            unavailable(metric, "pthread_create", err);
            return false;
        }
        err = pthread_join(thread, nullptr);
        if (err != 0) {
            fail(metric, "pthread_join", err);
            return false;
        }
        return true;
    };
    uint64_t n = iters(500);
    for (uint64_t i = 0; i < n / 10 + 1; i++)
        if (!cycle()) return;
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++)
        if (!cycle()) return;
    report(metric, now_ns() - t0, n);
}

// ---- 11. resident memory of many small blocks

// Memory in use, in KiB: VmRSS from /proc/self/status where there is a
// procfs (Linux); else the kernel's own page accounting through sysinfo(2):
// RAM in use system-wide, exact on Akuma (no page cache, nothing else runs).
// -1 if neither is available. open/read, not stdio, so the measurement
// itself allocates nothing.
long read_used_kb() {
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[4096];
        size_t used = 0;
        ssize_t got;
        while (used < sizeof buf - 1 && (got = read(fd, buf + used, sizeof buf - 1 - used)) > 0)
            used += size_t(got);
        close(fd);
        buf[used] = '\0';
        const char* line = std::strstr(buf, "\nVmRSS:");
        return line ? std::strtol(line + 7, nullptr, 10) : -1;
    }
    struct sysinfo info {};
    if (sysinfo(&info) != 0) return -1;
    return long((info.totalram - info.freeram) * info.mem_unit / kib);
}

void resident_unavailable() { std::printf("[membench] resident: unavailable\n"); }

void bench_resident() {
    char metric[128];
    std::snprintf(metric, sizeof metric, "resident memory for 100000 live 16..256 B allocations (%s)",
                  allocator_name());
    constexpr size_t count = 100000;
    if (read_used_kb() < 0) return resident_unavailable();

    // The pointer table comes from mmap and is populated before the first
    // reading, so only the allocator's memory shows in the delta.
    constexpr size_t table_len = count * sizeof(void*);
    auto** table = static_cast<unsigned char**>(map_anon(table_len));
    if (table == MAP_FAILED) return fail(metric, "mmap table", errno);
    std::memset(table, 0, table_len);

    lcg rng{67890};
    size_t requested = 0;
    size_t made = 0;
    auto allocate_up_to = [&](size_t target) {
        for (; made < target; made++) {
            size_t size = 16 + rng.next() % (256 - 16 + 1);
            auto* p = static_cast<unsigned char*>(std::malloc(size));
            if (!p) return false;
            std::memset(p, 0xa5, size);  // touch every byte: resident means used
            table[made] = p;
            requested += size;
        }
        return true;
    };
    auto release = [&] {
        for (size_t i = 0; i < made; i++) std::free(table[i]);
        munmap(table, table_len);
    };

    long before = read_used_kb();
    // Probe: an allocator spending a page or more per block (guard) would
    // need ~400 MiB and more mappings than Linux allows (libakuma's guard
    // aborts then), so it is skipped rather than run into the wall.
    constexpr size_t probe_blocks = 1000;
    bool ok = allocate_up_to(probe_blocks);
    long probe_kb = read_used_kb() - before;
    if (ok && probe_kb > long(2 * probe_blocks)) {
        release();
        std::printf("[membench] %s: skipped (%ld KiB resident for the first %zu blocks)\n", metric, probe_kb,
                    probe_blocks);
        return;
    }
    ok = ok && allocate_up_to(count);
    long after = read_used_kb();
    release();

    if (!ok) return fail(metric, "malloc ran out");
    if (before < 0 || after < 0) return fail(metric, "memory use unreadable");
    long delta = after - before;
    unsigned long long requested_kib = (requested + kib - 1) / kib;
    std::printf("[membench] %s: %ld KiB for %llu KiB requested (%lld%%)\n", metric, delta, requested_kib,
                static_cast<long long>(delta) * 100 / static_cast<long long>(requested_kib));
}

}  // namespace

int main(int argc, char** argv) {
    // Line-buffered so a crash still shows the metrics already done.
    if (argc == 2 && std::strcmp(argv[1], "--exit") == 0) return 0;  // the execve metric's child
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "quick") != 0)) {
        std::fprintf(stderr, "usage: membench [quick]\n");
        return 2;
    }
    if (argc == 2) divisor = 20;
    self_path = argv[0];
    // Virtual time since reset (the generic timer's virtual counter starts
    // at 0 there under QEMU): how long the kernel took to get here.
    uint64_t counter, frequency;
    asm volatile("isb; mrs %0, cntvct_el0" : "=r"(counter));
    asm volatile("mrs %0, cntfrq_el0" : "=r"(frequency));
    std::printf("[membench] reset to main(): %llu ns since reset\n",
                static_cast<unsigned long long>(counter / frequency * 1000000000u +
                                                counter % frequency * 1000000000u / frequency));

    bench_getpid();
    bench_page_fault();
    bench_mmap_small();
    bench_munmap_large();
    bench_brk();
    bench_malloc_free();
    // Process metrics while membench is small: fork's cost grows with the
    // parent's resident pages, and the resident metric leaves glibc's heap big.
    bench_fork_exit();
    bench_fork_exec();
    bench_pipe_ping_pong();
    bench_thread();
    bench_resident();
    std::printf("[membench] done\n");
    return any_failed ? 1 : 0;
}
