// timerfd(2): a timer read as a file. It expires at its deadline and then
// every interval (if one is set); read() returns, as 8 bytes, how many
// expirations happened since the last read or timerfd_settime, blocking
// while none did (EAGAIN with O_NONBLOCK; a disarmed timer blocks for
// ever, as on Linux). poll: POLLIN once one did.
//
// Clocks: CLOCK_MONOTONIC, CLOCK_BOOTTIME (the same clock: Akuma never
// suspends), CLOCK_REALTIME (the monotonic clock plus the boot time, which
// clock_settime moves; absolute times convert once, when armed), and their _ALARM
// forms (no suspend to wake from: the same timers).
// TFD_TIMER_CANCEL_ON_SET is EINVAL: setting the real-time clock
// (clock_settime) does not reach armed timers yet.
//
// Expirations are counted from the clock when the timer is looked at, so
// they are exact whatever the tick; a kernel timer event at each deadline
// wakes the readers and pollers (up to a tick late).
#pragma once

#include <cstdint>

#include "kernel/fs/file.h"

namespace akuma::events {

class TimerFile;

struct TimerSetting {
    uint64_t value_ns;     // time to the next expiry; 0: disarmed
    uint64_t interval_ns;  // 0: one-shot
};

// `clock`: a CLOCK_* id (Invalid for others); `file_flags`: O_RDWR and O_NONBLOCK.
ErrorOr<fs::File*> create_timerfd(int clock, uint32_t file_flags);
TimerFile* as_timerfd(fs::File& file);

// timerfd_settime: `setting.value_ns` is absolute on the timer's clock when
// `absolute`, else relative. Returns the old setting (relative).
TimerSetting timerfd_set(TimerFile& timer, const TimerSetting& setting, bool absolute);
TimerSetting timerfd_get(TimerFile& timer);

}  // namespace akuma::events
