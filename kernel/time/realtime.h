// CLOCK_REALTIME: the RTC's reading at boot plus the monotonic clock, moved
// by clock_settime(CLOCK_REALTIME) and settimeofday (root only). Everything
// that tells the time of day asks here: gettimeofday and clock_gettime,
// file timestamps, /proc/stat's btime, absolute CLOCK_REALTIME deadlines.
// An absolute realtime deadline becomes a monotonic one when it is armed;
// setting the clock later does not move it (Linux re-arms such timers).
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::time {

// Realtime at monotonic 0 (the boot), in ns since the epoch.
uint64_t realtime_base_ns();
// Now.
uint64_t realtime_now_ns();
// Sets the clock to `realtime_ns` now. Invalid for a time before the
// machine started (the boot would be before the epoch), as Linux's
// do_settimeofday64.
ErrorOr<void> set_realtime_ns(uint64_t realtime_ns);

}  // namespace akuma::time
