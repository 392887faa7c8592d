// Shared pieces of the calls that take or return times: the one way a user
// timespec becomes nanoseconds (validated, saturating: kernel/time/duration.h)
// and back.
#pragma once

#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/time/duration.h"
#include "kernel/time/realtime.h"

namespace akuma::sys {

// EFAULT, or EINVAL for a negative value or tv_nsec outside [0, 10^9).
inline ErrorOr<uint64_t> read_timespec_ns(mm::UserPtr<const linux_abi::Timespec> pointer) {
    auto value = TRY(mm::read_user(pointer));
    return time::timespec_ns(value.sec, value.nsec);
}

inline linux_abi::Timespec to_timespec(uint64_t ns) {
    return { static_cast<int64_t>(ns / time::k_ns_per_second), static_cast<int64_t>(ns % time::k_ns_per_second) };
}

inline linux_abi::Itimerspec to_itimerspec(uint64_t value_ns, uint64_t interval_ns) {
    return { to_timespec(interval_ns), to_timespec(value_ns) };
}

// A user itimerspec as (value, interval) in nanoseconds; EFAULT, or EINVAL
// if either is not a valid timespec.
struct TimerValues {
    uint64_t value_ns;
    uint64_t interval_ns;
};
inline ErrorOr<TimerValues> read_itimerspec_ns(mm::UserPtr<const linux_abi::Itimerspec> pointer) {
    auto spec = TRY(mm::read_user(pointer));
    return TimerValues { TRY(time::timespec_ns(spec.value.sec, spec.value.nsec)),
                         TRY(time::timespec_ns(spec.interval.sec, spec.interval.nsec)) };
}

// Whole microseconds, truncated (gettimeofday, rusage).
inline linux_abi::Timeval to_timeval(uint64_t ns) {
    return { static_cast<int64_t>(ns / time::k_ns_per_second),
             static_cast<int64_t>((ns % time::k_ns_per_second) / time::k_ns_per_us) };
}

// CLOCK_REALTIME is its time at boot plus CLOCK_MONOTONIC (time/realtime.h):
// an absolute CLOCK_REALTIME time converts to the monotonic deadline the
// wait queues and timers use by one subtraction (0 if it is before boot).
inline uint64_t realtime_at_boot_ns() { return time::realtime_base_ns(); }
inline uint64_t monotonic_from_realtime_ns(uint64_t realtime_ns) {
    return time::saturating_sub(realtime_ns, realtime_at_boot_ns());
}

}  // namespace akuma::sys
