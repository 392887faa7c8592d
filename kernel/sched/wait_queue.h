// Threads waiting for something. All wait queues are protected by the
// scheduler lock: callers hold it (SchedulerLockGuard) around the check of
// their condition and the wait, so no wake-up can be lost in between.
#pragma once

#include <cstdint>

#include "kernel/lib/intrusive_list.h"

namespace akuma::sched {

struct Thread;
class SchedulerLockGuard;

enum class WaitResult : uint8_t { Woken, Interrupted, TimedOut };

class WaitQueue {
public:
    constexpr WaitQueue() = default;

    // Blocks the current thread until woken. The scheduler lock is held on
    // entry and again on return (it is released while blocked).
    void wait(SchedulerLockGuard& guard);

    // Like wait(), but also returns when a signal is pending for the thread
    // (Thread::signal_pending, before or while sleeping: Interrupted) or
    // when the monotonic clock reaches deadline_ns (TimedOut; 0 or
    // time::k_never: no deadline). Callers re-check their condition first and turn
    // Interrupted into Error::Interrupted (EINTR or a restarted syscall).
    WaitResult wait_interruptible(SchedulerLockGuard& guard, uint64_t deadline_ns = 0);

    // Wake the first waiter / all waiters (scheduler lock held).
    // Returns the woken thread, or nullptr.
    Thread* wake_one(SchedulerLockGuard& guard);
    void wake_all(SchedulerLockGuard& guard);

    bool is_empty() const;

    // Takes `thread` out of this queue (it is in it) and makes it runnable
    // with `reason` (scheduler lock held).
    void remove_and_wake(SchedulerLockGuard& guard, Thread* thread, WaitResult reason);

private:
    NodeQueue m_waiters;  // Thread::queue_link nodes
};

// Marks `thread` as having a signal to handle and, if it sleeps in an
// interruptible wait, wakes it with Interrupted (scheduler lock held; safe
// from IRQ handlers).
void interrupt_thread_locked(SchedulerLockGuard& guard, Thread* thread);

// Sleeps until the monotonic clock reaches deadline_ns (time::k_never:
// until a signal); returns early (false) when a signal is pending for the
// thread.
bool sleep_interruptible_until(uint64_t deadline_ns);

}  // namespace akuma::sched
