#include "kernel/fs/poll_queue.h"

#include "kernel/sched/scheduler.h"

namespace akuma::fs {

void PollQueue::add(sched::SchedulerLockGuard&, PollHook& hook) { m_hooks.push_back(hook); }

void PollQueue::remove(sched::SchedulerLockGuard&, PollHook& hook) {
    if (hook.link.linked)
        m_hooks.remove(hook);
}

void PollQueue::notify(sched::SchedulerLockGuard& guard, uint16_t events) {
    PollHook* woken_exclusive = nullptr;
    m_hooks.for_each([&](PollHook& hook) {
        if (!hook.exclusive)
            (void)hook.notify(guard, events);
        else if (!woken_exclusive && hook.notify(guard, events))
            woken_exclusive = &hook;
    });
    if (woken_exclusive) {
        // The next notification tries the others first.
        m_hooks.remove(*woken_exclusive);
        m_hooks.push_back(*woken_exclusive);
    }
}

bool PollWaiter::Hook::notify(sched::SchedulerLockGuard& guard, uint16_t) {
    waiter->m_changed = true;
    waiter->m_sleeper.wake_all(guard);
    return true;
}

sched::WaitResult PollWaiter::wait_locked(sched::SchedulerLockGuard& guard, uint64_t deadline_ns) {
    if (m_changed)
        return sched::WaitResult::Woken;
    return m_sleeper.wait_interruptible(guard, deadline_ns);
}

}  // namespace akuma::fs
