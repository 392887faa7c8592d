#include "kernel/time/realtime.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/drivers/pl031.h"
#include "kernel/time/duration.h"

namespace akuma::time {

namespace {

// Added to the RTC's boot time (atomic: set by one CPU, read by all).
constinit int64_t g_adjustment_ns = 0;

uint64_t rtc_base_ns() { return saturating_mul(drivers::wall_clock_seconds_at_boot(), k_ns_per_second); }

}  // namespace

uint64_t realtime_base_ns() {
    int64_t adjusted = static_cast<int64_t>(rtc_base_ns()) + __atomic_load_n(&g_adjustment_ns, __ATOMIC_RELAXED);
    return adjusted > 0 ? static_cast<uint64_t>(adjusted) : 0;
}

uint64_t realtime_now_ns() { return realtime_base_ns() + arch::monotonic_ns(); }

ErrorOr<void> set_realtime_ns(uint64_t realtime_ns) {
    uint64_t now = arch::monotonic_ns();
    if (realtime_ns < now || realtime_ns > static_cast<uint64_t>(INT64_MAX))
        return Error::Invalid;
    int64_t adjustment = static_cast<int64_t>(realtime_ns - now) - static_cast<int64_t>(rtc_base_ns());
    __atomic_store_n(&g_adjustment_ns, adjustment, __ATOMIC_RELAXED);
    return {};
}

}  // namespace akuma::time
