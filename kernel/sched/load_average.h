// Linux's load average (kernel/sched/loadavg.c): every 5 seconds each of
// three figures moves toward the number of active threads by an
// exponential decay with a 1, 5 and 15 minute time constant, in 11-bit
// fixed point with Linux's exact constants, so /proc/loadavg means what it
// means on Linux. Pure arithmetic, shared by the scheduler and host tests.
#pragma once

#include <cstdint>

namespace akuma::sched {

struct LoadAverage {
    static constexpr unsigned k_shift = 11;  // FSHIFT
    static constexpr uint64_t k_one = 1ull << k_shift;
    static constexpr unsigned k_interval_seconds = 5;  // LOAD_FREQ
    // EXP_1, EXP_5, EXP_15: 2048 / exp(5 s / (1, 5, 15 min)).
    static constexpr uint64_t k_decay[3] = { 1884, 2014, 2037 };

    uint64_t figures[3] {};  // fixed point, k_shift fraction bits

    // One sample of `active` threads (runnable or running).
    void sample(uint64_t active) {
        uint64_t target = active * k_one;
        for (unsigned i = 0; i < 3; ++i) {
            uint64_t next = figures[i] * k_decay[i] + target * (k_one - k_decay[i]);
            // Rounds up while rising, as Linux's calc_load, so a steady load
            // of n reaches n.00 instead of stopping a hair below.
            if (target >= figures[i])
                next += k_one - 1;
            figures[i] = next / k_one;
        }
    }
};

}  // namespace akuma::sched
