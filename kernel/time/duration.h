// Durations and deadlines in nanoseconds, and the one conversion from the
// user ABI's (seconds, sub-second) pairs to them. Hardware independent: the
// kernel and the host tests compile it.
//
// Every conversion saturates instead of wrapping: a timeout too large for 64
// bits of nanoseconds (nanosleep({LLONG_MAX, 0}), a futex deadline in the
// year 10^11) becomes k_never, a deadline no clock reaches, so the wait
// lasts "forever" as on Linux (whose ktime_t saturates at KTIME_MAX the same
// way) instead of ending at once.
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::time {

constexpr uint64_t k_ns_per_us = 1'000;
constexpr uint64_t k_ns_per_second = 1'000'000'000;
// A deadline (or duration) that never comes.
constexpr uint64_t k_never = ~uint64_t { 0 };

constexpr uint64_t saturating_add(uint64_t a, uint64_t b) { return a > k_never - b ? k_never : a + b; }

constexpr uint64_t saturating_sub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

constexpr uint64_t saturating_mul(uint64_t a, uint64_t b) {
    return b != 0 && a > k_never / b ? k_never : a * b;
}

// (seconds, sub-second units) as nanoseconds. Invalid (EINVAL) for a
// negative field or a sub-second part of a whole second or more, as every
// Linux call that takes a timespec or timeval checks.
inline ErrorOr<uint64_t> duration_ns(int64_t seconds, int64_t sub, uint64_t ns_per_sub, uint64_t subs_per_second) {
    if (seconds < 0 || sub < 0 || static_cast<uint64_t>(sub) >= subs_per_second)
        return Error::Invalid;
    return saturating_add(saturating_mul(static_cast<uint64_t>(seconds), k_ns_per_second),
                          static_cast<uint64_t>(sub) * ns_per_sub);
}

inline ErrorOr<uint64_t> timespec_ns(int64_t seconds, int64_t nanoseconds) {
    return duration_ns(seconds, nanoseconds, 1, k_ns_per_second);
}

inline ErrorOr<uint64_t> timeval_ns(int64_t seconds, int64_t microseconds) {
    return duration_ns(seconds, microseconds, k_ns_per_us, k_ns_per_second / k_ns_per_us);
}

// The deadline `duration` after `now` (k_never if it would not fit).
constexpr uint64_t deadline_after(uint64_t now, uint64_t duration) { return saturating_add(now, duration); }

// What is left of a wait toward `deadline` at `now` (0 once it passed).
constexpr uint64_t time_left(uint64_t deadline, uint64_t now) { return saturating_sub(deadline, now); }

}  // namespace akuma::time
