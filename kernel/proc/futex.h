// Futexes: threads wait on a 32-bit user word until another thread wakes
// them (FUTEX_WAIT / FUTEX_WAKE). A word is keyed by address space and
// address, or, in MAP_SHARED memory, by its physical address, so waiters
// and wakers in different processes (process-shared pthread objects) meet.
#pragma once

#include <cstdint>
#include <optional>

#include "kernel/lib/error_or.h"

namespace akuma::proc {

class AddressSpace;

// Blocks while *address == expected (checked atomically with respect to
// wakers), until woken or until the monotonic clock reaches deadline_ns
// (0 or time::k_never: no deadline). Errors: TryAgain (value differs),
// Fault, TimedOut, Interrupted (a signal is pending).
ErrorOr<void> futex_wait(AddressSpace* space, uint64_t address, uint32_t expected, uint64_t deadline_ns);

// Wakes up to `count` waiters; returns how many were woken.
uint64_t futex_wake(AddressSpace* space, uint64_t address, uint64_t count);

// Tests only: called by futex_wait after it has read the word and before it
// sleeps, where a waker on another thread may run (preemption).
extern void (*futex_wait_window_hook)();

}  // namespace akuma::proc
