// Threads waiting for something. All wait queues are protected by the
// scheduler lock: callers hold it (SchedulerLockGuard) around the check of
// their condition and the wait, so no wake-up can be lost in between.
#pragma once

#include "kernel/lib/intrusive_list.h"

namespace akuma::sched {

struct Thread;
class SchedulerLockGuard;

class WaitQueue {
public:
    constexpr WaitQueue() = default;

    // Blocks the current thread until woken. The scheduler lock is held on
    // entry and again on return (it is released while blocked).
    void wait(SchedulerLockGuard& guard);

    // Wake the first waiter / all waiters (scheduler lock held).
    // Returns the woken thread, or nullptr.
    Thread* wake_one(SchedulerLockGuard& guard);
    void wake_all(SchedulerLockGuard& guard);

    bool is_empty() const;

private:
    NodeQueue m_waiters;  // Thread::queue_link nodes
};

}  // namespace akuma::sched
