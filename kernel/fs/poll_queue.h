// Readiness notification, per pollable object (Linux's wait_queue_head as
// poll uses it). A pipe, the console or a socket owns a PollQueue and
// notifies it whenever its poll events may have changed; whoever waits for
// readiness hooks into the queues of exactly the files it watches, so one
// change wakes only the pollers of that file.
//
// A PollHook is one registration: poll(2) and select(2) register one per
// descriptor for the duration of the call (PollWaiter, below); epoll keeps
// hooks registered for as long as a file is in its interest list.
//
// A notification carries the events that may have become ready (Linux's
// wake-up key): a pipe's reader makes room (POLLOUT) and its writer brings
// data (POLLIN), so an edge-triggered epoll watching for POLLIN is not
// woken by reads. k_poll_any_event: anything may have changed.
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

constexpr uint16_t k_poll_any_event = 0xffff;

class PollHook {
public:
    // The watched object may be ready now for `events` (scheduler lock
    // held; must not sleep or allocate). Returns whether the hook took the
    // notification (an exclusive hook that did not want it returns false).
    virtual bool notify(sched::SchedulerLockGuard& guard, uint16_t events) = 0;
    ListNode link;
    // EPOLLEXCLUSIVE: of the exclusive hooks of a queue, a notification
    // goes to the first that takes it (the others still get the next).
    bool exclusive { false };

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
    void notify(sched::SchedulerLockGuard& guard, uint16_t events = k_poll_any_event);
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
        bool notify(sched::SchedulerLockGuard& guard, uint16_t events) override;
        PollWaiter* waiter { nullptr };
        PollQueue* queue { nullptr };
    };

private:
    friend class Hook;
    bool m_changed { false };
    sched::WaitQueue m_sleeper;
};

}  // namespace akuma::fs
