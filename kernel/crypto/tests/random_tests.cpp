// In-kernel tests of the random generator as the kernel runs it
// (kernel/crypto/random.h): seeded at boot from what the machine offers,
// output that looks random and never repeats, hardware entropy credited.
// The generator's rules themselves are host-tested (random_pool_test.cpp).
#include "kernel/boot/boot_state.h"
#include "kernel/crypto/random.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/thread.h"
#include "kernel/tests/ktest.h"

using namespace akuma;

namespace {

unsigned count_ones(std::span<const uint8_t> bytes) {
    unsigned ones = 0;
    for (uint8_t byte : bytes)
        ones += __builtin_popcount(byte);
    return ones;
}

// Lets `thread` run until it sleeps in a wait queue, so the test exercises
// the wake-up rather than a race.
bool wait_until_blocked(sched::Thread* thread) {
    for (int i = 0; i < 100000; ++i) {
        {
            sched::SchedulerLockGuard guard;
            if (thread->state == sched::ThreadState::Blocked)
                return true;
        }
        sched::yield();
    }
    return false;
}

uint64_t wait_for_seed(void*) { return random_wait_until_ready().is_error() ? 1 : 0; }

bool equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
    return a.size() == b.size() && __builtin_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

KTEST(random_seeded_from_the_dtb, "Random: seeded at boot from the DTB's rng-seed when there is one") {
    auto status = random_status();
    KEXPECT(status.reseeds > 0);
    if (boot::platform().rng_seed.size() * 8 >= crypto::RandomPool::k_ready_bits) {
        KEXPECT(random_ready());
        KEXPECT(status.ready);
        KEXPECT(status.credited_bits >= crypto::RandomPool::k_ready_bits);
        KEXPECT(!random_wait_until_ready().is_error());
    }
    KEXPECT_EQ(random_ready(), status.ready);
}

KTEST(random_requests_differ, "Random: successive requests differ, within and across requests") {
    uint8_t first[64];
    uint8_t second[64];
    random_fill(first);
    random_fill(second);
    KEXPECT(!equal(first, second));
    // No 8-byte word of a 4 KiB request repeats (a collision has
    // probability about 2^-45).
    static uint64_t words[512];
    random_fill({ reinterpret_cast<uint8_t*>(words), sizeof(words) });
    for (size_t i = 0; i < 512; ++i) {
        for (size_t j = i + 1; j < 512; ++j)
            KEXPECT(words[i] != words[j]);
    }
}

KTEST(random_looks_random, "Random: 64 KiB with balanced bits and every byte value") {
    // On the heap: the kernel's image (bss included) must stay small enough
    // to boot in 3 MiB of RAM.
    constexpr size_t k_bytes = 64 * 1024;
    auto* memory = static_cast<uint8_t*>(mm::kmalloc(k_bytes));
    KEXPECT(memory != nullptr);
    struct Release {
        uint8_t* memory;
        ~Release() { mm::kfree(memory); }
    } release { memory };
    std::span<uint8_t> buffer(memory, k_bytes);
    random_fill(buffer);
    // 512 Ki bits: ones within 6 standard deviations (6 * 362) of half.
    unsigned ones = count_ones(buffer);
    unsigned half = k_bytes * 4;
    unsigned distance = ones > half ? ones - half : half - ones;
    KEXPECT(distance < 6 * 362);
    // Each byte value is expected 256 times; below 150 is beyond 6 deviations.
    static unsigned counts[256];
    __builtin_memset(counts, 0, sizeof(counts));
    for (uint8_t byte : buffer)
        ++counts[byte];
    for (unsigned value = 0; value < 256; ++value)
        KEXPECT(counts[value] > 150);
}

KTEST(random_stream_in_pieces, "Random: a long request generated in pieces continues one stream") {
    uint8_t pieces[300];
    auto stream = random_stream(sizeof(pieces));
    stream.fill({ pieces, 1 });
    stream.fill({ pieces + 1, 150 });
    stream.fill({ pieces + 151, 149 });
    // Not constant, and no 16-byte run repeats at the block boundaries.
    KEXPECT(!equal({ pieces, 16 }, { pieces + 64, 16 }));
    KEXPECT(!equal({ pieces + 1, 64 }, { pieces + 65, 64 }));
    KEXPECT(count_ones(pieces) > 300 * 2 && count_ones(pieces) < 300 * 6);
}

// Only a boot without a seed (QEMU -machine dtb-randomness=off; the system
// test random.no_seed) has a reader to wake; it must run before the test
// below makes the generator ready.
KTEST(random_waiter_woken_by_entropy, "Random: a reader waiting for the seed is woken by hardware entropy") {
    if (random_ready())
        return;  // seeded at boot: nothing would wait
    auto thread = sched::spawn("random-waiter", wait_for_seed, nullptr);
    KEXPECT(!thread.is_error());
    KEXPECT(wait_until_blocked(thread.value()));
    uint8_t input[32];
    random_fill(input);  // stands in for a device's bytes
    random_add_hardware_entropy(input, 256);
    KEXPECT(random_ready());
    auto status = sched::join(thread.value());
    KEXPECT(!status.is_error());
    KEXPECT_EQ(status.value(), 0u);
}

KTEST(random_hardware_entropy_reseeds, "Random: hardware entropy is credited and reseeds the next request") {
    auto before = random_status();
    uint8_t input[32];
    random_fill(input);  // stands in for a device's bytes
    random_add_hardware_entropy(input, 256);
    auto credited = random_status();
    KEXPECT_EQ(credited.credited_bits, before.credited_bits + 256);
    KEXPECT(credited.ready);
    if (!before.ready) {
        // Reaching the threshold reseeds at once.
        KEXPECT(credited.reseeds > before.reseeds);
    } else {
        // Afterwards the next request reseeds (256 >= the 128-bit batch).
        uint8_t out[16];
        random_fill(out);
        KEXPECT(random_status().reseeds > credited.reseeds);
    }
    // Credit is capped at 8 bits per byte.
    random_add_hardware_entropy({ input, 4 }, 1000);
    KEXPECT_EQ(random_status().credited_bits, credited.credited_bits + 32);
}
