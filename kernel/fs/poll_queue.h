// Readiness notification, per pollable object (Linux's wait_queue_head as
// poll uses it). A pipe, the console or a socket owns a PollQueue and
// notifies it whenever its poll events may have changed; whoever waits for
// readiness hooks into the queues of exactly the files it watches, so one
// change wakes only the pollers of that file.
//
// A PollHook is one registration: poll(2) and select(2) register one per
// descriptor for the duration of the call (PollWaiter, below); epoll will
// keep hooks registered for as long as a file is in its interest list.
//
// Locking: queues and hooks are protected by the scheduler lock, the lock
// objects already hold when they wake their own readers and writers, so
// notify() never loses a wake-up against a poller that registers, scans
// and sleeps under that same lock.
#pragma once

#include <cstdint>

#include "kernel/lib/intrusive_list.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::sched {
class SchedulerLockGuard;
}

namespace akuma::fs {

class PollHook {
public:
    // The watched object may be ready now (scheduler lock held; must not
    // sleep or allocate).
    virtual void notify(sched::SchedulerLockGuard& guard) = 0;
    ListNode link;

protected:
    ~PollHook() = default;
};

class PollQueue {
public:
    constexpr PollQueue() = default;
    PollQueue(const PollQueue&) = delete;
    PollQueue& operator=(const PollQueue&) = delete;

    void add(sched::SchedulerLockGuard& guard, PollHook& hook);
    void remove(sched::SchedulerLockGuard& guard, PollHook& hook);
    void notify(sched::SchedulerLockGuard& guard);
    bool is_empty() const { return m_hooks.is_empty(); }

private:
    IntrusiveList<PollHook, &PollHook::link> m_hooks;
};

// One poll(2)/select(2) call's wait: its hooks (one per watched queue) all
// wake the one thread that sleeps in wait(). A notification between the
// registration and the sleep is not lost: it marks the waiter as changed.
class PollWaiter {
public:
    PollWaiter() = default;
    PollWaiter(const PollWaiter&) = delete;
    PollWaiter& operator=(const PollWaiter&) = delete;

    // Forgets notifications before a fresh scan (scheduler lock held).
    void reset_locked() { m_changed = false; }
    bool notified_locked() const { return m_changed; }
    // Sleeps until a hooked queue notified since reset_locked() (Woken, at
    // once if one already did), a signal is pending (Interrupted) or the
    // monotonic clock reaches deadline_ns (TimedOut; 0: no deadline).
    sched::WaitResult wait_locked(sched::SchedulerLockGuard& guard, uint64_t deadline_ns);

    // A hook that belongs to this waiter; registered in one queue.
    class Hook final : public PollHook {
    public:
        void notify(sched::SchedulerLockGuard& guard) override;
        PollWaiter* waiter { nullptr };
        PollQueue* queue { nullptr };
    };

private:
    friend class Hook;
    bool m_changed { false };
    sched::WaitQueue m_sleeper;
};

}  // namespace akuma::fs
