// The kernel's one-shot timers (sleep, timeouts). Expired events run from
// the periodic tick (arch/aarch64/timer.cpp), in IRQ context, so the
// resolution is one tick period: an event fires on the first tick whose
// time is >= its deadline, i.e. up to one period late, never early.
// Callbacks run with the queue unlocked and may add or cancel events.
#pragma once

#include <cstdint>

#include "kernel/time/timer_list.h"

namespace akuma::time {

// Queues the caller-owned event (moved if already queued). The event must
// stay alive until it has fired or been cancelled.
void timer_queue_add(TimerEvent& event);

// True if the event was queued and now will not fire; false if it already
// fired (or is firing on another CPU) or was never added.
bool timer_queue_cancel(TimerEvent& event);

// timer_queue_cancel(), and if the callback is running on another CPU,
// waits for it to return: then nothing of the event's is in use, and its
// owner may free it (and what its context points to). Never from the
// event's own callback.
bool timer_queue_cancel_sync(TimerEvent& event);

// Runs the callbacks of events due at `now_ns`. At most as many events as
// were queued on entry, so a callback that re-adds itself with a past
// deadline runs again on the next tick instead of looping here.
void timer_queue_run_expired(uint64_t now_ns);

}  // namespace akuma::time
