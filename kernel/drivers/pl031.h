// ARM PrimeCell PL031 real-time clock: read once at boot for the wall clock.
#pragma once

#include <cstdint>

#include "kernel/dt/platform_info.h"
#include "kernel/lib/error_or.h"

namespace akuma::drivers {

// Maps the RTC, checks its PrimeCell ID, reads the time and logs
// "[Time] UTC YYYY-MM-DD HH:MM:SS (PL031)". Error::NotFound if the ID is wrong.
ErrorOr<void> pl031_init(const DeviceInfo& rtc);

// Seconds since the Unix epoch read at pl031_init (0 without an RTC).
uint64_t wall_clock_seconds_at_boot();

// Reads the RTC now (0 without an RTC).
uint64_t pl031_read_seconds();

}  // namespace akuma::drivers
