#include "kernel/crypto/random.h"

#include <atomic>
#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/crypto/secure_erase.h"
#include "kernel/drivers/pl031.h"
#include "kernel/lib/kprint.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/spinlock.h"
#include "kernel/sched/wait_queue.h"

namespace akuma {

namespace {

// Boot-time jitter: counter readings around a little work. Credited
// nothing: under QEMU the counter follows the host's clock (and under
// -icount it is exactly reproducible), so how much it jitters is unknown.
constexpr unsigned k_boot_jitter_samples = 256;

// The pool is built on first use (no global constructors in the kernel).
constinit IrqSpinLock g_lock;
alignas(crypto::RandomPool) uint8_t g_pool_storage[sizeof(crypto::RandomPool)];
constinit crypto::RandomPool* g_pool = nullptr;

// Mirrors the pool's readiness for readers outside the lock; readers that
// sleep on it check it under the scheduler lock (no lost wake-up).
constinit std::atomic<bool> g_ready { false };
constinit sched::WaitQueue g_ready_waiters;

crypto::RandomPool& pool_locked() {
    if (!g_pool)
        g_pool = new (g_pool_storage) crypto::RandomPool();
    return *g_pool;
}

void wake_ready_waiters() {
    if (!sched::scheduler_running())
        return;
    sched::SchedulerLockGuard guard;
    g_ready_waiters.wake_all(guard);
}

void add_entropy(std::span<const uint8_t> input, unsigned credited_bits) {
    uint64_t now = arch::monotonic_ns();
    bool became_ready = false;
    {
        SpinLockGuard guard(g_lock);
        auto& pool = pool_locked();
        bool was_ready = pool.is_ready();
        pool.add_entropy(input, credited_bits, now);
        if (!was_ready && pool.is_ready()) {
            g_ready.store(true, std::memory_order_release);
            became_ready = true;
        }
    }
    if (became_ready)
        wake_ready_waiters();
}

template <typename T> std::span<const uint8_t> bytes_of(const T& value) {
    return { reinterpret_cast<const uint8_t*>(&value), sizeof(value) };
}

void collect_boot_jitter() {
    uint8_t scratch[crypto::k_chacha20_block_size] {};
    uint8_t key[crypto::k_chacha20_key_size] {};
    uint8_t nonce[crypto::k_chacha20_nonce_size] {};
    for (unsigned i = 0; i < k_boot_jitter_samples; ++i) {
        uint64_t before = arch::read_counter();
        crypto::chacha20_block(key, i, nonce, scratch);
        uint64_t after = arch::read_counter();
        random_add_timing_sample((after - before) ^ (after << 16) ^ scratch[0]);
    }
}

}  // namespace

void random_init(const PlatformInfo& platform) {
    // Uncredited first: what differs from boot to boot only a little.
    uint64_t clock[2] = { arch::read_counter(), drivers::wall_clock_seconds_at_boot() };
    random_add_input(bytes_of(clock));
    collect_boot_jitter();

    // The boot loader's seeds are trusted, as Linux trusts rng-seed with
    // CONFIG_RANDOM_TRUST_BOOTLOADER (Debian's default): QEMU fills them
    // from the host's getrandom().
    unsigned seed_bits = 0;
    if (!platform.rng_seed.empty()) {
        unsigned bits = platform.rng_seed.size() * 8 < 4096 ? unsigned(platform.rng_seed.size() * 8) : 4096;
        add_entropy(platform.rng_seed, bits);
        seed_bits += bits;
    }
    if (platform.kaslr_seed) {
        add_entropy(bytes_of(*platform.kaslr_seed), 64);
        seed_bits += 64;
    }

    // The first output key comes from everything above.
    uint8_t first[16];
    random_fill(first);
    crypto::secure_erase(first, sizeof(first));

    if (seed_bits == 0) {
        kprintln("[Random] no hardware entropy source: seeded from timer jitter only "
                 "(not fit for keys until a source adds entropy)");
        return;
    }
    const char* sources = platform.rng_seed.empty() ? "kaslr-seed"
                          : platform.kaslr_seed    ? "rng-seed and kaslr-seed"
                                                   : "rng-seed";
    if (random_ready())
        kprintln("[Random] seeded from the DTB {} ({} bits) and timer jitter", sources, seed_bits);
    else
        kprintln("[Random] seeded from the DTB {} ({} bits) and timer jitter: not fit for keys until a "
                 "source adds {} more bits",
                 sources, seed_bits, crypto::RandomPool::k_ready_bits - seed_bits);
}

bool random_ready() { return g_ready.load(std::memory_order_acquire); }

ErrorOr<void> random_wait_until_ready() {
    if (random_ready())
        return {};
    sched::SchedulerLockGuard guard;
    while (!random_ready()) {
        if (g_ready_waiters.wait_interruptible(guard) == sched::WaitResult::Interrupted)
            return Error::Interrupted;
    }
    return {};
}

crypto::RandomStream random_stream(size_t size) {
    uint64_t now = arch::monotonic_ns();
    SpinLockGuard guard(g_lock);
    return pool_locked().begin_request(size, now);
}

void random_fill(std::span<uint8_t> out) { random_stream(out.size()).fill(out); }

void random_add_hardware_entropy(std::span<const uint8_t> input, unsigned credited_bits) {
    add_entropy(input, credited_bits);
}

void random_add_input(std::span<const uint8_t> input) { add_entropy(input, 0); }

void random_add_timing_sample(uint64_t sample) {
    SpinLockGuard guard(g_lock);
    pool_locked().add_timing_sample(sample);
}

RandomStatus random_status() {
    SpinLockGuard guard(g_lock);
    auto& pool = pool_locked();
    return { pool.is_ready(), pool.credited_bits(), pool.reseed_count() };
}

}  // namespace akuma
