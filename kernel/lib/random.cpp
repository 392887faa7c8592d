#include "kernel/lib/random.h"

#include "kernel/sched/mutex.h"

namespace akuma {

namespace {

// The generator's state, shared by every thread that asks for numbers
// (threads only: no interrupt handler draws random numbers).
constinit sched::Mutex g_lock;
constinit uint64_t g_state[4] = { 0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 1 };

uint64_t rotate_left(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

uint64_t counter() {
    uint64_t value;
    asm volatile("mrs %0, cntvct_el0" : "=r"(value));
    return value;
}

uint64_t next_locked() {
    // Timing jitter of the callers adds a little unpredictability.
    g_state[3] ^= counter();
    uint64_t result = rotate_left(g_state[1] * 5, 7) * 9;
    uint64_t t = g_state[1] << 17;
    g_state[2] ^= g_state[0];
    g_state[3] ^= g_state[1];
    g_state[1] ^= g_state[2];
    g_state[0] ^= g_state[3];
    g_state[2] ^= t;
    g_state[3] = rotate_left(g_state[3], 45);
    return result;
}

}  // namespace

void mix_entropy(uint64_t value) {
    sched::MutexGuard guard(g_lock);
    // SplitMix64 spreads a weak input over every state word.
    for (auto& word : g_state) {
        value += 0x9e3779b97f4a7c15ull;
        uint64_t z = value;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        word ^= z ^ (z >> 31);
    }
    if ((g_state[0] | g_state[1] | g_state[2] | g_state[3]) == 0)
        g_state[3] = 1;
}

uint64_t random_u64() {
    sched::MutexGuard guard(g_lock);
    return next_locked();
}

void random_fill(std::span<uint8_t> out) {
    sched::MutexGuard guard(g_lock);
    for (size_t i = 0; i < out.size(); i += 8) {
        uint64_t value = next_locked();
        for (size_t j = 0; j < 8 && i + j < out.size(); ++j)
            out[i + j] = static_cast<uint8_t>(value >> (8 * j));
    }
}

}  // namespace akuma
